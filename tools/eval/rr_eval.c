/*
 * rr_eval.c - the analysis core over a labelled corpus (tools/eval/build_corpus.py writes it):
 * counting, recognition, rep boundaries, faults and plank holds, per source and per exercise,
 * with the exercise given and recognised; optional floors (exit 1 below them) and JSON.
 *
 *   rr_eval MANIFEST [--set S]... [--source S]... [--id ID] [--param NAME=VALUE]...
 *           [--json OUT] [--floors] [--verbose] [--loso NAME=V1,V2,...]... [--loso-check]
 *           [--fps F]   (keep only the frames a camera at F frames/s would deliver)
 *           [--phase P] (with --fps: the camera's first tick P of a frame interval late, 0..1)
 *           [--jitter J] (with --fps: each next frame after (1 +- J) intervals, uniformly,
 *                       seeded by the phase: a device whose pace varies, 0..1)
 *
 * Metrics (docs/internals/analysis.md "Evaluation"):
 *   exact     count equals the label (or one of reps_accept)
 *   obo       within one of the nearest accepted count
 *   mae       mean |pred - reps| / reps over items with reps > 0
 *   f1        rep-boundary event F1: a predicted rep matches a labelled one when their time
 *             intervals overlap with IoU >= 0.5 (one-to-one, greedy by IoU)
 *   recognition: confusion matrix over the nine exercises and "none", macro-F1 over the labels
 *             present in the set
 *   faults    per fault: clips labelled with it where some rep shows it (recall), clips where it
 *             was reported that carry the label (precision); false alarms = reps with any fault
 *             on clips labelled free of faults, per rep
 *   hold      plank: |predicted - labelled hold| in seconds
 * --loso: for each listed constant, choose its value inside leave-one-source-out folds (the
 * value that maximises exact counts and recognitions on the other dev sources, then the lowest
 * MAE; coordinate descent from the shipped values, moving only to a strictly better value),
 * report the held-out result per source, then the values chosen on all of them; --loso-check
 * fails when those differ from the shipped values (src/analysis/params.c).
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis/analysis.h"
#include "analysis/params.h"
#include "base/rr_error.h"
#include "pipeline/landmarks_file.h"

#define MAX_ITEMS 1024
#define MAX_BOUNDS 256
#define MAX_FAULTS 8
#define N_CLASSES 10 /* nine exercises + none */
#define MAX_SOURCES 64
#define MAX_LOSO 16
#define MAX_GRID 16

struct item {
    char set[32], source[96], id[128], exercise[32];
    int reps, accept[8], n_accept;
    double bounds[MAX_BOUNDS][2];
    int n_bounds;
    double hold_s; /* NAN when not labelled */
    char faults[MAX_FAULTS][32];
    int n_faults;
    char path[1024];
    struct rr_pose_frame *frames;
    size_t n;
};

struct result {
    int given_reps, auto_reps;
    char recognised[32];
    double f1_tp, f1_pred, f1_true;
    double hold_s;
    char found[16][32];
    int found_reps[16]; /* reps showing found[q] (exercise given; 0 for hold checks) */
    int n_found;
    int reps_flagged; /* reps with any fault (exercise given) */
    int reps_judged;
};

static struct item items[MAX_ITEMS];
static int n_items;
static int verbose;

static const char *class_names[N_CLASSES] = {"squat", "push_up", "lunge", "deadlift",
                                             "biceps_curl", "shoulder_press", "jumping_jack",
                                             "pull_up", "plank", "none"};

static int class_of(const char *name)
{
    for (int i = 0; i < N_CLASSES; i++)
        if (name && strcmp(name, class_names[i]) == 0)
            return i;
    return N_CLASSES - 1;
}

/* Copy src into dst[cap], cut to fit. */
static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n >= cap)
        n = cap - 1;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

static int load_manifest(const char *path, char **sets, int n_sets, char **sources, int n_sources,
                         const char *only_id)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root) {
        fprintf(stderr, "rr_eval: %s: %s (line %d)\n", path, jerr.text, jerr.line);
        return -1;
    }
    char dir[1024];
    copy_str(dir, sizeof dir, path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        copy_str(dir, sizeof dir, ".");
    json_t *arr = json_object_get(root, "items");
    size_t k;
    json_t *it;
    json_array_foreach(arr, k, it)
    {
        const char *set = json_string_value(json_object_get(it, "set"));
        const char *source = json_string_value(json_object_get(it, "source"));
        const char *id = json_string_value(json_object_get(it, "id"));
        const char *lm = json_string_value(json_object_get(it, "landmarks"));
        if (!set || !source || !id || !lm)
            continue;
        int keep = n_sets == 0;
        for (int i = 0; i < n_sets; i++)
            keep |= strcmp(set, sets[i]) == 0;
        if (n_sources > 0) {
            int ks = 0;
            for (int i = 0; i < n_sources; i++)
                ks |= strcmp(source, sources[i]) == 0;
            keep &= ks;
        }
        if (only_id && strcmp(id, only_id) != 0)
            keep = 0;
        if (!keep || n_items >= MAX_ITEMS)
            continue;
        struct item *m = &items[n_items];
        memset(m, 0, sizeof *m);
        copy_str(m->set, sizeof m->set, set);
        copy_str(m->source, sizeof m->source, source);
        copy_str(m->id, sizeof m->id, id);
        copy_str(m->exercise, sizeof m->exercise,
                 json_string_value(json_object_get(it, "exercise")));
        m->reps = (int)json_integer_value(json_object_get(it, "reps"));
        if (class_of(m->exercise) == N_CLASSES - 1)
            m->reps = 0; /* "none": the right count is zero whatever the source counted */
        json_t *acc = json_object_get(it, "reps_accept");
        size_t j;
        json_t *v;
        json_array_foreach(acc, j, v)
        {
            if (m->n_accept < 8)
                m->accept[m->n_accept++] = (int)json_integer_value(v);
        }
        if (class_of(m->exercise) == N_CLASSES - 1)
            m->n_accept = 0;
        json_t *b = json_object_get(it, "bounds_ms");
        json_array_foreach(b, j, v)
        {
            if (m->n_bounds < MAX_BOUNDS && json_array_size(v) == 2) {
                m->bounds[m->n_bounds][0] = json_number_value(json_array_get(v, 0)) / 1000.0;
                m->bounds[m->n_bounds][1] = json_number_value(json_array_get(v, 1)) / 1000.0;
                m->n_bounds++;
            }
        }
        json_t *h = json_object_get(it, "hold_s");
        m->hold_s = json_is_number(h) ? json_number_value(h) : NAN;
        json_t *fl = json_object_get(it, "faults");
        json_array_foreach(fl, j, v)
        {
            if (m->n_faults < MAX_FAULTS)
                copy_str(m->faults[m->n_faults++], 32, json_string_value(v));
        }
        if (snprintf(m->path, sizeof m->path, "%s/%s", dir, lm) >= (int)sizeof m->path)
            continue; /* path too long for this tool */
        n_items++;
    }
    json_decref(root);
    return 0;
}

/* How far a check's value is past its fault line, in units of the measure's noise (the form
 * engine reports a fault past +0; its confidence is 1 / (1 + e^(-2|margin|)), margin counted
 * from the threshold): NAN when not judged. */
static double fault_line(const struct analysis_check *c)
{
    if (isnan(c->value) || isnan(c->confidence))
        return NAN;
    double p = c->confidence < 0.5f ? 0.5 : (double)c->confidence;
    double m = p >= 1.0 - 1e-7 ? 8.0 : 0.5 * log(p / (1.0 - p)); /* 8: as far as a float shows */
    double side = c->above ? (double)(c->value - c->threshold) : (double)(c->threshold - c->value);
    return (side < 0.0 ? -m : m) - 1.0;
}

/* Keep only the frames a camera at `fps` frames per second would have delivered (the first
 * frame at or after each tick, the first tick `phase` of an interval after the clip's first
 * frame), as the live coach sees a clip on a slow phone. */
static void subsample(struct item *m, double fps, double phase, double jitter)
{
    if (!(fps > 0.0) || m->n == 0)
        return;
    const int64_t step = (int64_t)(1e6 / fps);
    int64_t next = m->frames[0].t_us + (int64_t)(phase * (double)step);
    /* splitmix64 of the phase and the clip's length: every bit of the seed differs */
    uint64_t rng = (uint64_t)(phase * 1e6) * 0x100000001b3ull + (uint64_t)m->n + 0x9e3779b97f4a7c15ull;
    rng = (rng ^ (rng >> 30)) * 0xbf58476d1ce4e5b9ull;
    rng = (rng ^ (rng >> 27)) * 0x94d049bb133111ebull;
    rng ^= rng >> 31;
    rng |= 1; /* xorshift needs a non-zero state */
    size_t k = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (m->frames[i].t_us < next)
            continue;
        m->frames[k++] = m->frames[i];
        if (jitter > 0.0) { /* the next frame after (1 +- jitter) steps, uniformly */
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            double u = (double)(rng >> 11) / 9007199254740992.0;
            next = m->frames[i].t_us + (int64_t)((double)step * (1.0 - jitter + 2.0 * jitter * u));
        } else {
            next += step * (1 + (m->frames[i].t_us - next) / step);
        }
    }
    m->n = k;
}

static int load_frames(double fps, double phase, double jitter)
{
    for (int i = 0; i < n_items; i++) {
        char msg[256] = "";
        int err = landmarks_file_load(items[i].path, &items[i].frames, &items[i].n, NULL, NULL,
                                      msg, sizeof msg);
        if (err) {
            fprintf(stderr, "rr_eval: %s: %s\n", items[i].path, msg[0] ? msg : rr_strerror(err));
            return -1;
        }
        subsample(&items[i], fps, phase, jitter);
    }
    return 0;
}

static int accepts(const struct item *m, int got)
{
    if (got == m->reps)
        return 1;
    for (int i = 0; i < m->n_accept; i++)
        if (m->accept[i] == got)
            return 1;
    return 0;
}

static int off_by(const struct item *m, int got)
{
    int best = abs(got - m->reps);
    for (int i = 0; i < m->n_accept; i++)
        if (abs(got - m->accept[i]) < best)
            best = abs(got - m->accept[i]);
    return best;
}

/* Greedy one-to-one matching of predicted and true intervals at IoU >= 0.5. */
static void event_f1(const struct item *m, const struct analysis_report *r, struct result *res)
{
    res->f1_true = m->n_bounds;
    res->f1_pred = (double)r->n_reps;
    res->f1_tp = 0.0;
    if (m->n_bounds == 0 || r->n_reps == 0)
        return;
    char used_t[MAX_BOUNDS] = {0};
    for (size_t k = 0; k < r->n_reps; k++) {
        double ps = (double)r->reps[k].t_start_us * 1e-6, pe = (double)r->reps[k].t_end_us * 1e-6;
        int best = -1;
        double best_iou = 0.5;
        for (int j = 0; j < m->n_bounds; j++) {
            if (used_t[j])
                continue;
            double ts = m->bounds[j][0], te = m->bounds[j][1];
            double inter = fmin(pe, te) - fmax(ps, ts);
            double uni = fmax(pe, te) - fmin(ps, ts);
            double iou = (inter > 0 && uni > 0) ? inter / uni : 0.0;
            if (iou >= best_iou) {
                best_iou = iou;
                best = j;
            }
        }
        if (best >= 0) {
            used_t[best] = 1;
            res->f1_tp += 1.0;
        }
    }
}

static void run_item(const struct item *m, const struct analysis_params *params, struct result *res)
{
    memset(res, 0, sizeof *res);
    res->hold_s = NAN;
    struct analysis_opts o = analysis_opts_default();
    o.params = params;
    struct analysis_report *r = NULL;
    int cls = class_of(m->exercise);
    /* Exercise given (not for "none" items: nothing to give). */
    if (cls != N_CLASSES - 1) {
        o.exercise = m->exercise;
        if (analysis_run(m->frames, m->n, &o, &r) == 0) {
            res->given_reps = (int)r->n_reps;
            event_f1(m, r, res);
            if (r->is_hold)
                res->hold_s = r->hold.hold_s;
            for (size_t k = 0; k < r->n_reps; k++) {
                int any = 0;
                for (int j = 0; j < r->reps[k].n_checks; j++) {
                    const struct analysis_check *c = &r->reps[k].checks[j];
                    if (c->outcome != ANALYSIS_FAULT)
                        continue;
                    any = 1;
                    int q = 0;
                    while (q < res->n_found && strcmp(res->found[q], c->name) != 0)
                        q++;
                    if (q == res->n_found && res->n_found < 16)
                        copy_str(res->found[res->n_found++], 32, c->name);
                    if (q < res->n_found)
                        res->found_reps[q]++;
                }
                res->reps_flagged += any;
                res->reps_judged += r->reps[k].verdict != ANALYSIS_CANNOT_JUDGE;
            }
            for (int j = 0; r->is_hold && j < r->hold.n_checks; j++) {
                const struct analysis_check *c = &r->hold.checks[j];
                if (c->outcome == ANALYSIS_FAULT && res->n_found < 16)
                    copy_str(res->found[res->n_found++], 32, c->name);
            }
            if (verbose > 1) {
                printf("    %s given:", m->id);
                for (size_t k = 0; k < r->n_reps; k++) {
                    printf(" [%.2f-%.2f %s #%zu", (double)r->reps[k].t_start_us * 1e-6,
                           (double)r->reps[k].t_end_us * 1e-6,
                           analysis_verdict_name(r->reps[k].verdict),
                           r->reps[k].frame_end - r->reps[k].frame_start + 1);
                    for (int j = 0; verbose > 2 && j < r->reps[k].n_checks; j++) {
                        const struct analysis_check *c = &r->reps[k].checks[j];
                        printf(" %s=%.2f~%.2f%s", c->name, (double)c->value, fault_line(c),
                               c->outcome == ANALYSIS_FAULT ? "!" : "");
                    }
                    printf("]");
                }
                printf(" partial %d\n", r->set.partial_reps);
            }
        }
        analysis_report_free(r);
        r = NULL;
    }
    o.exercise = NULL;
    if (analysis_run(m->frames, m->n, &o, &r) == 0) {
        res->auto_reps = r->exercise && !r->is_hold ? (int)r->n_reps : 0;
        copy_str(res->recognised, sizeof res->recognised, r->exercise ? r->exercise : "none");
        if (verbose > 1) {
            printf("    candidates:");
            for (int k = 0; k < r->n_candidates && k < 4; k++)
                printf(" %s=%.2f", r->candidates[k].exercise, (double)r->candidates[k].score);
            printf("\n");
        }
    } else {
        copy_str(res->recognised, sizeof res->recognised, "error");
    }
    analysis_report_free(r);
}

/* ------------------------------------------------------------------ aggregation */

struct agg {
    int n, exact, obo, n_mae;
    double mae;
    int a_exact, a_obo, a_n_mae;
    double a_mae;
    double tp, pred, truth;
    int rec_ok, rec_n;
    double hold_err;
    int hold_n;
};

static void agg_add(struct agg *a, const struct item *m, const struct result *r)
{
    int cls = class_of(m->exercise);
    if (cls != N_CLASSES - 1 && strcmp(m->exercise, "plank") != 0) {
        a->n++;
        a->exact += accepts(m, r->given_reps);
        a->obo += off_by(m, r->given_reps) <= 1;
        a->a_exact += accepts(m, r->auto_reps);
        a->a_obo += off_by(m, r->auto_reps) <= 1;
        if (m->reps > 0) {
            a->mae += fabs((double)(r->given_reps - m->reps)) / m->reps;
            a->a_mae += fabs((double)(r->auto_reps - m->reps)) / m->reps;
            a->n_mae++;
            a->a_n_mae++;
        }
        if (m->n_bounds > 0) {
            a->tp += r->f1_tp;
            a->pred += r->f1_pred;
            a->truth += r->f1_true;
        }
    }
    a->rec_n++;
    a->rec_ok += class_of(r->recognised) == cls;
    if (!isnan(m->hold_s) && !isnan(r->hold_s)) {
        a->hold_err += fabs(r->hold_s - m->hold_s);
        a->hold_n++;
    } else if (!isnan(m->hold_s)) {
        a->hold_err += m->hold_s;
        a->hold_n++;
    }
}

static double f1_of(const struct agg *a)
{
    return a->pred + a->truth > 0 ? 2.0 * a->tp / (a->pred + a->truth) : NAN;
}

static void agg_print(const char *name, const struct agg *a)
{
    double n = a->n ? a->n : NAN;
    printf("  %-34s %4d | %5.1f%% %5.1f%% %6.3f | %5.1f%% %5.1f%% %6.3f | %5.3f | %3d/%-3d", name,
           a->n, 100.0 * a->exact / n, 100.0 * a->obo / n, a->n_mae ? a->mae / a->n_mae : NAN,
           100.0 * a->a_exact / n, 100.0 * a->a_obo / n, a->a_n_mae ? a->a_mae / a->a_n_mae : NAN,
           f1_of(a), a->rec_ok, a->rec_n);
    if (a->hold_n)
        printf(" | hold err %.1fs", a->hold_err / a->hold_n);
    printf("\n");
}

static void agg_json(json_t *o, const struct agg *a)
{
    json_object_set_new(o, "items", json_integer(a->n));
    json_object_set_new(o, "exact", json_real(a->n ? (double)a->exact / a->n : 0));
    json_object_set_new(o, "within_one", json_real(a->n ? (double)a->obo / a->n : 0));
    json_object_set_new(o, "mae", json_real(a->n_mae ? a->mae / a->n_mae : 0));
    json_object_set_new(o, "recognised_exact", json_real(a->n ? (double)a->a_exact / a->n : 0));
    json_object_set_new(o, "recognised_within_one", json_real(a->n ? (double)a->a_obo / a->n : 0));
    json_object_set_new(o, "recognised_mae", json_real(a->a_n_mae ? a->a_mae / a->a_n_mae : 0));
    double f1 = f1_of(a);
    json_object_set_new(o, "event_f1", isnan(f1) ? json_null() : json_real(f1));
    json_object_set_new(o, "recognition_ok", json_integer(a->rec_ok));
    json_object_set_new(o, "recognition_items", json_integer(a->rec_n));
    if (a->hold_n)
        json_object_set_new(o, "hold_abs_err_s", json_real(a->hold_err / a->hold_n));
}

static double macro_f1(int conf[N_CLASSES][N_CLASSES], int *present_out)
{
    double sum = 0.0;
    int present = 0;
    for (int c = 0; c < N_CLASSES; c++) {
        int tp = conf[c][c], fp = 0, fn = 0, truth = 0;
        for (int k = 0; k < N_CLASSES; k++) {
            truth += conf[c][k];
            if (k != c) {
                fp += conf[k][c];
                fn += conf[c][k];
            }
        }
        if (truth == 0)
            continue;
        present++;
        sum += 2.0 * tp / (double)(2 * tp + fp + fn);
    }
    if (present_out)
        *present_out = present;
    return present ? sum / present : NAN;
}

/* ------------------------------------------------------------------ one evaluation */

struct summary {
    struct agg all;
    double macro_f1;
    int conf[N_CLASSES][N_CLASSES];
    int good_reps, good_flagged, fault_clips, fault_caught;
};

/* Results already computed, per parameter vector: the leave-one-source-out folds walk mostly
 * the same grid points, so each (constants, item) pair runs once. */
#define MAX_MEMO 512
static struct memo {
    struct analysis_params p;
    struct result *res;
    unsigned char *done;
} memo[MAX_MEMO];
static int n_memo;

static struct memo *memo_for(const struct analysis_params *p)
{
    for (int k = 0; k < n_memo; k++)
        if (memcmp(&memo[k].p, p, sizeof *p) == 0)
            return &memo[k];
    if (n_memo == MAX_MEMO)
        return NULL;
    struct memo *m = &memo[n_memo];
    m->res = calloc((size_t)n_items, sizeof *m->res);
    m->done = calloc((size_t)n_items, 1);
    if (!m->res || !m->done) {
        free(m->res);
        free(m->done);
        return NULL;
    }
    m->p = *p;
    n_memo++;
    return m;
}

static void memo_free(void)
{
    for (int k = 0; k < n_memo; k++) {
        free(memo[k].res);
        free(memo[k].done);
    }
    n_memo = 0;
}

static void evaluate(const struct analysis_params *params, const int *mask, struct result *res,
                     struct summary *sum)
{
    memset(sum, 0, sizeof *sum);
    struct memo *m = memo_for(params);
    for (int i = 0; i < n_items; i++) {
        if (mask && !mask[i])
            continue;
        if (m && m->done[i]) {
            res[i] = m->res[i];
        } else {
            run_item(&items[i], params, &res[i]);
            if (m) {
                m->res[i] = res[i];
                m->done[i] = 1;
            }
        }
        agg_add(&sum->all, &items[i], &res[i]);
        sum->conf[class_of(items[i].exercise)][class_of(res[i].recognised)]++;
        if (items[i].n_faults == 0 && class_of(items[i].exercise) != N_CLASSES - 1) {
            sum->good_reps += res[i].given_reps;
            sum->good_flagged += res[i].reps_flagged;
        }
        for (int f = 0; f < items[i].n_faults; f++) {
            sum->fault_clips++;
            for (int q = 0; q < res[i].n_found; q++)
                if (strcmp(res[i].found[q], items[i].faults[f]) == 0) {
                    sum->fault_caught++;
                    break;
                }
        }
    }
    sum->macro_f1 = macro_f1(sum->conf, NULL);
}

/* Per fault over one set's items (exercise given): recall = labelled clips where some rep shows
 * it; precision = clips where it was reported that carry the label; false alarms = reps showing
 * it on clips of a real exercise labelled free of faults, per such rep. */
static json_t *fault_table(const struct result *res)
{
    char names[32][32];
    int n = 0;
    for (int i = 0; i < n_items; i++) {
        if (!res[i].recognised[0])
            continue;
        for (int f = 0; f < items[i].n_faults + res[i].n_found; f++) {
            const char *nm = f < items[i].n_faults ? items[i].faults[f]
                                                   : res[i].found[f - items[i].n_faults];
            int dup = 0;
            for (int k = 0; k < n; k++)
                dup |= strcmp(names[k], nm) == 0;
            if (!dup && n < 32)
                copy_str(names[n++], 32, nm);
        }
    }
    json_t *o = json_object();
    if (n == 0)
        return o;
    int good_reps = 0;
    for (int i = 0; i < n_items; i++)
        if (res[i].recognised[0] && items[i].n_faults == 0 &&
            class_of(items[i].exercise) != N_CLASSES - 1)
            good_reps += res[i].given_reps;
    printf("  %-24s %9s %9s %9s | %s\n", "fault", "labelled", "recall", "precision",
           "false alarms per good rep");
    for (int k = 0; k < n; k++) {
        int lab = 0, caught = 0, reported = 0, right = 0, fa = 0;
        for (int i = 0; i < n_items; i++) {
            if (!res[i].recognised[0])
                continue;
            int is_lab = 0, is_found = 0, reps = 0;
            for (int f = 0; f < items[i].n_faults; f++)
                is_lab |= strcmp(items[i].faults[f], names[k]) == 0;
            for (int q = 0; q < res[i].n_found; q++)
                if (strcmp(res[i].found[q], names[k]) == 0) {
                    is_found = 1;
                    reps = res[i].found_reps[q];
                }
            lab += is_lab;
            caught += is_lab && is_found;
            reported += is_found;
            right += is_lab && is_found;
            if (items[i].n_faults == 0 && class_of(items[i].exercise) != N_CLASSES - 1)
                fa += reps;
        }
        double rec = lab ? (double)caught / lab : NAN, prec = reported ? (double)right / reported : NAN;
        double far = good_reps ? (double)fa / good_reps : NAN;
        printf("  %-24s %9d %9.2f %9.2f | %d / %d = %.3f\n", names[k], lab, rec, prec, fa,
               good_reps, far);
        json_t *f = json_object();
        json_object_set_new(f, "labelled_clips", json_integer(lab));
        json_object_set_new(f, "caught", json_integer(caught));
        json_object_set_new(f, "reported_clips", json_integer(reported));
        json_object_set_new(f, "reported_and_labelled", json_integer(right));
        json_object_set_new(f, "false_alarm_reps", json_integer(fa));
        json_object_set_new(f, "good_reps", json_integer(good_reps));
        json_object_set_new(o, names[k], f);
    }
    return o;
}

static void print_tables(const char *title, const struct result *res, const struct summary *sum,
                         json_t *jout)
{
    printf("\n== %s\n", title);
    printf("  %-34s %4s | %-21s | %-21s | %-5s | %s\n", "group", "n", "given: exact obo mae",
           "recognised: exact obo mae", "F1", "recognised");
    json_t *jsrc = json_object(), *jex = json_object();
    /* per source */
    char seen[MAX_SOURCES][96];
    int n_seen = 0;
    for (int i = 0; i < n_items; i++) {
        if (!res[i].recognised[0])
            continue;
        int dup = 0;
        for (int k = 0; k < n_seen; k++)
            dup |= strcmp(seen[k], items[i].source) == 0;
        if (!dup && n_seen < MAX_SOURCES)
            copy_str(seen[n_seen++], 96, items[i].source);
    }
    for (int k = 0; k < n_seen; k++) {
        struct agg a;
        memset(&a, 0, sizeof a);
        for (int i = 0; i < n_items; i++)
            if (strcmp(items[i].source, seen[k]) == 0 && res[i].recognised[0])
                agg_add(&a, &items[i], &res[i]);
        char name[128] = "source ";
        copy_str(name + 7, sizeof name - 7, seen[k]);
        agg_print(name, &a);
        json_t *o = json_object();
        agg_json(o, &a);
        json_object_set_new(jsrc, seen[k], o);
    }
    for (int c = 0; c < N_CLASSES; c++) {
        struct agg a;
        memset(&a, 0, sizeof a);
        for (int i = 0; i < n_items; i++)
            if (class_of(items[i].exercise) == c && res[i].recognised[0])
                agg_add(&a, &items[i], &res[i]);
        if (a.rec_n == 0)
            continue;
        char name[128] = "exercise ";
        copy_str(name + 9, sizeof name - 9, class_names[c]);
        agg_print(name, &a);
        json_t *o = json_object();
        agg_json(o, &a);
        json_object_set_new(jex, class_names[c], o);
    }
    agg_print("ALL", &sum->all);
    printf("  recognition macro-F1 %.3f\n", sum->macro_f1);
    printf("  confusion (rows truth, columns recognised):\n  %-15s", "");
    for (int k = 0; k < N_CLASSES; k++)
        printf(" %6.6s", class_names[k]);
    printf("\n");
    for (int c = 0; c < N_CLASSES; c++) {
        int any = 0;
        for (int k = 0; k < N_CLASSES; k++)
            any |= sum->conf[c][k];
        if (!any)
            continue;
        printf("  %-15s", class_names[c]);
        for (int k = 0; k < N_CLASSES; k++)
            printf(" %6d", sum->conf[c][k]);
        printf("\n");
    }
    if (sum->fault_clips || sum->good_reps)
        printf("  faults: %d of %d labelled faults caught; %d of %d reps on clips without a "
               "labelled fault flagged (%.1f%%)\n",
               sum->fault_caught, sum->fault_clips, sum->good_flagged, sum->good_reps,
               sum->good_reps ? 100.0 * sum->good_flagged / sum->good_reps : 0.0);
    json_t *jfaults = fault_table(res);
    if (jout) {
        json_t *o = json_object();
        json_t *all = json_object();
        agg_json(all, &sum->all);
        json_object_set_new(o, "all", all);
        json_object_set_new(o, "by_source", jsrc);
        json_object_set_new(o, "by_exercise", jex);
        json_object_set_new(o, "macro_f1", json_real(sum->macro_f1));
        json_t *cm = json_object();
        for (int c = 0; c < N_CLASSES; c++) {
            json_t *row = json_object();
            for (int k = 0; k < N_CLASSES; k++)
                if (sum->conf[c][k])
                    json_object_set_new(row, class_names[k], json_integer(sum->conf[c][k]));
            if (json_object_size(row))
                json_object_set_new(cm, class_names[c], row);
            else
                json_decref(row);
        }
        json_object_set_new(o, "confusion", cm);
        json_object_set_new(o, "faults_caught", json_integer(sum->fault_caught));
        json_object_set_new(o, "faults_labelled", json_integer(sum->fault_clips));
        json_object_set_new(o, "good_reps", json_integer(sum->good_reps));
        json_object_set_new(o, "good_reps_flagged", json_integer(sum->good_flagged));
        json_object_set_new(o, "by_fault", jfaults);
        json_object_set_new(jout, title, o);
    } else {
        json_decref(jsrc);
        json_decref(jex);
        json_decref(jfaults);
    }
}

static void print_items(const struct result *res)
{
    printf("\n  %-12s %-48s %-14s %5s %5s %5s %-14s %s\n", "source", "id", "exercise", "truth",
           "given", "auto", "recognised", "faults");
    for (int i = 0; i < n_items; i++) {
        const struct item *m = &items[i];
        const struct result *r = &res[i];
        char src[13];
        copy_str(src, sizeof src, m->source);
        char f[160] = "";
        for (int q = 0; q < r->n_found; q++) {
            size_t u = strlen(f);
            snprintf(f + u, sizeof f - u, "%s%s", q ? "," : "", r->found[q]);
        }
        int bad = !accepts(m, r->given_reps) || class_of(r->recognised) != class_of(m->exercise);
        if (!isnan(m->hold_s)) {
            size_t u = strlen(f);
            snprintf(f + u, sizeof f - u, "%shold %.1f s of %.1f", u ? " " : "", r->hold_s,
                     m->hold_s);
        }
        printf("%s %-12s %-48.48s %-14s %5d %5d %5d %-14s %s\n", bad ? "x" : " ", src, m->id,
               m->exercise, m->reps, r->given_reps, r->auto_reps, r->recognised, f);
    }
}

/* ------------------------------------------------------------------ floors */

struct floor {
    const char *what;
    double value, limit;
    int higher_is_better;
};

static int check_floors(const struct floor *f, int n)
{
    int fail = 0;
    printf("\n== floors\n");
    for (int i = 0; i < n; i++) {
        int ok = f[i].higher_is_better ? f[i].value >= f[i].limit : f[i].value <= f[i].limit;
        printf("  %-4s %-70s %.3f (%s %.3f)\n", ok ? "ok" : "FAIL", f[i].what, f[i].value,
               f[i].higher_is_better ? ">=" : "<=", f[i].limit);
        fail |= !ok;
    }
    return fail;
}

/* ------------------------------------------------------------------ leave one source out */

struct loso_out {
    int held_exact, held_n, held_rec, held_rec_n;
    char worst[96];
    double worst_exact;
    int differs; /* a constant chosen on all sources differs from the shipped value */
};

/* Objective on the training sources: exact counts (given and recognised) and right
 * recognitions, ties broken by the lower MAE. */
static double objective(const struct summary *s)
{
    int rec = 0;
    for (int c = 0; c < N_CLASSES; c++)
        rec += s->conf[c][c];
    return (double)(s->all.exact + s->all.a_exact + rec) - 1e-3 * (s->all.mae + s->all.a_mae);
}

/* Coordinate descent (two sweeps, starting from the shipped values) over the grids, on the
 * items of `mask`; a value moves only to a strictly better one; writes the choice into *p. */
static void choose(struct analysis_params *p, const char *const *names, float grid[][MAX_GRID],
                   const int *n_grid, int n, int *mask, struct result *res)
{
    for (int sweep = 0; sweep < 2; sweep++) {
        for (int l = 0; l < n; l++) {
            float *field = analysis_params_field(p, names[l]);
            float best_v = *field;
            /* Ties keep the current value: a grid point must do strictly better to move it. */
            struct summary s0;
            evaluate(p, mask, res, &s0);
            double best = objective(&s0);
            for (int gi = 0; gi < n_grid[l]; gi++) {
                *field = grid[l][gi];
                struct summary s;
                evaluate(p, mask, res, &s);
                double o = objective(&s);
                if (o > best + 1e-9) {
                    best = o;
                    best_v = grid[l][gi];
                }
            }
            *field = best_v;
        }
    }
}

static void loso(const struct analysis_params *shipped, const char *const *names,
                 float grid[][MAX_GRID], const int *n_grid, int n, int *mask, struct result *res,
                 struct loso_out *out)
{
    char srcs[MAX_SOURCES][96];
    int ns = 0;
    for (int i = 0; i < n_items; i++) {
        if (strcmp(items[i].set, "dev") != 0)
            continue;
        int dup = 0;
        for (int k = 0; k < ns; k++)
            dup |= strcmp(srcs[k], items[i].source) == 0;
        if (!dup && ns < MAX_SOURCES)
            copy_str(srcs[ns++], 96, items[i].source);
    }
    printf("\n== leave-one-source-out over %d dev sources: constants chosen without the held-out "
           "source\n  %-44s", ns, "held-out source");
    for (int l = 0; l < n; l++)
        printf(" %10.10s", strchr(names[l], '.') ? strchr(names[l], '.') + 1 : names[l]);
    printf(" | exact  recognised\n");
    out->worst_exact = 2.0;
    for (int k = 0; k <= ns; k++) {
        struct analysis_params p = *shipped;
        for (int i = 0; i < n_items; i++)
            mask[i] = strcmp(items[i].set, "dev") == 0 &&
                      (k == ns || strcmp(items[i].source, srcs[k]) != 0);
        choose(&p, names, grid, n_grid, n, mask, res);
        if (k == ns) {
            printf("  %-44s", "chosen on all dev sources");
            for (int l = 0; l < n; l++)
                printf(" %10g", (double)*analysis_params_field(&p, names[l]));
            printf("\n  %-44s", "shipped");
            for (int l = 0; l < n; l++) {
                float v = *analysis_params_field((struct analysis_params *)shipped, names[l]);
                printf(" %10g", (double)v);
                if (fabsf(v - *analysis_params_field(&p, names[l])) > 1e-6f)
                    out->differs = 1;
            }
            printf("\n");
            break;
        }
        for (int i = 0; i < n_items; i++)
            mask[i] = strcmp(items[i].set, "dev") == 0 && strcmp(items[i].source, srcs[k]) == 0;
        struct summary s;
        evaluate(&p, mask, res, &s);
        int rec = 0;
        for (int c = 0; c < N_CLASSES; c++)
            rec += s.conf[c][c];
        printf("  %-44.44s", srcs[k]);
        for (int l = 0; l < n; l++)
            printf(" %10g", (double)*analysis_params_field(&p, names[l]));
        printf(" | %2d/%-2d  %2d/%-2d\n", s.all.exact, s.all.n, rec, s.all.rec_n);
        out->held_exact += s.all.exact;
        out->held_n += s.all.n;
        out->held_rec += rec;
        out->held_rec_n += s.all.rec_n;
        double ex = s.all.n ? (double)s.all.exact / s.all.n : 1.0;
        double rc = s.all.rec_n ? (double)rec / s.all.rec_n : 1.0;
        if (fmin(ex, rc) < out->worst_exact) {
            out->worst_exact = fmin(ex, rc);
            copy_str(out->worst, sizeof out->worst, srcs[k]);
        }
    }
    printf("  held out: reps exact %d/%d (%.1f%%), recognised %d/%d (%.1f%%); worst source %s "
           "(%.0f%%)\n",
           out->held_exact, out->held_n, 100.0 * out->held_exact / fmax(1, out->held_n),
           out->held_rec, out->held_rec_n, 100.0 * out->held_rec / fmax(1, out->held_rec_n),
           out->worst, 100.0 * out->worst_exact);
}

/* ------------------------------------------------------------------ main */

/* A numeric option: the whole argument a number within its range, or exit 64 with the range. */
struct num_opt {
    const char *name, *range;
    double *out, lo, hi;
    int lo_in, hi_in; /* the bound itself allowed */
};

static const struct num_opt *number_opt(const struct num_opt *o, size_t n, const char *name)
{
    for (size_t k = 0; k < n; k++)
        if (strcmp(o[k].name, name) == 0)
            return &o[k];
    return NULL;
}

static int number_arg(const struct num_opt *o, const char *arg)
{
    char *end = NULL;
    double x = strtod(arg, &end);
    int in = (o->lo_in ? x >= o->lo : x > o->lo) && (o->hi_in ? x <= o->hi : x < o->hi);
    if (end == arg || *end != '\0' || !in) {
        fprintf(stderr, "rr_eval: %s must be in %s\n", o->name, o->range);
        return -1;
    }
    *o->out = x;
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: rr_eval MANIFEST [--set S]... [--source S]... [--id ID] "
                    "[--param NAME=VALUE]... [--loso NAME=V1,V2,...]... [--json OUT] [--floors] "
                    "[--loso-check] [--verbose] [--fps F [--phase P] [--jitter J]]\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage();
        return 64;
    }
    const char *manifest = argv[1];
    char *sets[8], *sources[32];
    int n_sets = 0, n_sources = 0, floors = 0, loso_check = 0;
    const char *json_path = NULL, *only = NULL;
    struct analysis_params params = *analysis_params_default();
    char *loso_name[MAX_LOSO];
    float loso_grid[MAX_LOSO][MAX_GRID];
    int loso_n[MAX_LOSO], n_loso = 0;
    double fps = 0.0, phase = 0.0, jitter = 0.0;
    const struct num_opt nums[] = {
        {"--fps", "(0, 1000]", &fps, 0.0, 1000.0, 0, 1},
        {"--phase", "[0, 1)", &phase, 0.0, 1.0, 1, 0},
        {"--jitter", "[0, 1)", &jitter, 0.0, 1.0, 1, 0},
    };
    const size_t n_nums = sizeof nums / sizeof nums[0];
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--set") == 0 && v && n_sets < 8) {
            sets[n_sets++] = argv[++i];
        } else if (strcmp(a, "--source") == 0 && v && n_sources < 32) {
            sources[n_sources++] = argv[++i];
        } else if (strcmp(a, "--id") == 0 && v) {
            only = argv[++i];
        } else if (strcmp(a, "--json") == 0 && v) {
            json_path = argv[++i];
        } else if (strcmp(a, "--floors") == 0) {
            floors = 1;
        } else if (strcmp(a, "--loso-check") == 0) {
            loso_check = 1;
        } else if (strcmp(a, "--verbose") == 0) {
            verbose++;
        } else if (number_opt(nums, n_nums, a) && v) {
            if (number_arg(number_opt(nums, n_nums, a), argv[++i]))
                return 64;
        } else if ((strcmp(a, "--param") == 0 || strcmp(a, "--loso") == 0) && v) {
            char buf[256];
            copy_str(buf, sizeof buf, argv[++i]);
            char *eq = strchr(buf, '=');
            if (!eq) {
                usage();
                return 64;
            }
            *eq = '\0';
            float *field = analysis_params_field(&params, buf);
            if (!field) {
                fprintf(stderr, "rr_eval: unknown parameter %s\n", buf);
                return 64;
            }
            if (strcmp(a, "--param") == 0) {
                *field = strtof(eq + 1, NULL);
            } else if (n_loso < MAX_LOSO) {
                loso_name[n_loso] = strdup(buf);
                loso_n[n_loso] = 0;
                for (char *t = strtok(eq + 1, ","); t && loso_n[n_loso] < MAX_GRID; t = strtok(NULL, ","))
                    loso_grid[n_loso][loso_n[n_loso]++] = strtof(t, NULL);
                n_loso++;
            }
        } else {
            usage();
            return 64;
        }
    }
    if ((phase > 0.0 || jitter > 0.0) && !(fps > 0.0)) {
        fprintf(stderr, "rr_eval: --phase and --jitter need --fps\n");
        return 64;
    }
    if (load_manifest(manifest, sets, n_sets, sources, n_sources, only) || load_frames(fps, phase, jitter))
        return 2;
    if (n_items <= 0) {
        fprintf(stderr, "rr_eval: no items selected\n");
        return 2;
    }
    const size_t n_alloc = (size_t)n_items;
    struct result *res = calloc(n_alloc, sizeof *res);
    if (!res)
        return 70;
    json_t *jout = json_object();
    clock_t t0 = clock();
    int fail = 0;
    /* One table per set. */
    char set_names[8][32];
    int n_set_names = 0;
    for (int i = 0; i < n_items; i++) {
        int dup = 0;
        for (int k = 0; k < n_set_names; k++)
            dup |= strcmp(set_names[k], items[i].set) == 0;
        if (!dup && n_set_names < 8)
            copy_str(set_names[n_set_names++], 32, items[i].set);
    }
    int *mask = calloc(n_alloc, sizeof *mask);
    if (!mask)
        return 70;
    struct summary sums[8];
    for (int k = 0; k < n_set_names; k++) {
        for (int i = 0; i < n_items; i++)
            mask[i] = strcmp(items[i].set, set_names[k]) == 0;
        evaluate(&params, mask, res, &sums[k]);
    }
    double ms = 1000.0 * (double)(clock() - t0) / CLOCKS_PER_SEC;
    size_t frames = 0;
    for (int i = 0; i < n_items; i++)
        frames += items[i].n;
    if (verbose)
        print_items(res);
    for (int k = 0; k < n_set_names; k++) {
        struct result *sub = calloc(n_alloc, sizeof *sub);
        if (!sub)
            return 70;
        /* print_tables walks all items; give it only this set's results */
        for (int i = 0; i < n_items; i++)
            if (strcmp(items[i].set, set_names[k]) == 0)
                sub[i] = res[i];
        print_tables(set_names[k], sub, &sums[k], jout);
        free(sub);
    }
    printf("\n%d items, %zu frames, %.0f ms (%.4f ms per frame per run, 2 runs per item)\n",
           n_items, frames, ms, frames ? ms / (2.0 * (double)frames) : 0.0);
    /* Leave-one-source-out choice of the listed constants over the dev sources. */
    struct loso_out lo;
    memset(&lo, 0, sizeof lo);
    if (n_loso > 0) {
        /* The folds get their own results: the floors below read the shipped ones. */
        struct result *scratch = calloc(n_alloc, sizeof *scratch);
        if (!scratch)
            return 70;
        loso(&params, (const char *const *)loso_name, loso_grid, loso_n, n_loso, mask, scratch,
             &lo);
        free(scratch);
        if (jout) {
            json_t *o = json_object();
            json_object_set_new(o, "held_out_exact", json_integer(lo.held_exact));
            json_object_set_new(o, "held_out_items", json_integer(lo.held_n));
            json_object_set_new(o, "held_out_recognised", json_integer(lo.held_rec));
            json_object_set_new(o, "held_out_recognition_items", json_integer(lo.held_rec_n));
            json_object_set_new(o, "worst_source", json_string(lo.worst));
            json_object_set_new(o, "worst_source_exact", json_real(lo.worst_exact));
            json_object_set_new(jout, "loso", o);
        }
        if (loso_check && lo.differs) {
            printf("  FAIL: the shipped constants are not the ones chosen on all dev sources "
                   "(src/analysis/params.c)\n");
            fail = 1;
        }
    }
    if (floors) {
        struct floor f[16];
        int nf = 0;
        for (int k = 0; k < n_set_names; k++) {
            const struct summary *s = &sums[k];
            if (strcmp(set_names[k], "repcount") == 0) {
                f[nf++] = (struct floor){"repcount: 79 videos, exercise given, MAE",
                                         s->all.mae / fmax(1, s->all.n_mae), 0.25, 0};
                f[nf++] = (struct floor){"repcount: exercise given, within one",
                                         (double)s->all.obo / fmax(1, s->all.n), 0.65, 1};
                f[nf++] = (struct floor){"repcount: exercise recognised, MAE",
                                         s->all.a_mae / fmax(1, s->all.a_n_mae), 0.30, 0};
                f[nf++] = (struct floor){"repcount: exercise recognised, within one",
                                         (double)s->all.a_obo / fmax(1, s->all.n), 0.60, 1};
                f[nf++] = (struct floor){"repcount: all 152, recognition macro-F1", s->macro_f1,
                                         0.70, 1};
            } else if (strcmp(set_names[k], "dev") == 0) {
                int off = 0;
                for (int i = 0; i < n_items; i++)
                    if (strcmp(items[i].set, "dev") == 0 && class_of(items[i].exercise) < 8 &&
                        off_by(&items[i], res[i].given_reps) > 1)
                        off++;
                f[nf++] = (struct floor){"dev: reps exact (exercise given)",
                                         (double)s->all.exact / fmax(1, s->all.n), 0.85, 1};
                f[nf++] = (struct floor){"dev: reps off by more than one",
                                         (double)off / fmax(1, s->all.n), 0.02, 0};
                f[nf++] = (struct floor){"dev: exercise recognised (controls as none)",
                                         (double)s->all.rec_ok / fmax(1, s->all.rec_n), 0.90, 1};
                f[nf++] = (struct floor){"dev: labelled faults caught",
                                         (double)s->fault_caught / fmax(1, s->fault_clips), 1.0, 1};
                f[nf++] = (struct floor){"dev: good reps flagged",
                                         (double)s->good_flagged / fmax(1, s->good_reps), 0.10, 0};
            }
        }
        fail |= check_floors(f, nf);
    }
    if (json_path) {
        if (json_dump_file(jout, json_path, JSON_INDENT(1) | JSON_SORT_KEYS) != 0) {
            fprintf(stderr, "rr_eval: cannot write %s\n", json_path);
            fail = 1;
        }
    }
    json_decref(jout);
    for (int i = 0; i < n_items; i++)
        free(items[i].frames);
    for (int l = 0; l < n_loso; l++)
        free(loso_name[l]);
    free(mask);
    free(res);
    memo_free();
    return fail ? 1 : 0;
}
