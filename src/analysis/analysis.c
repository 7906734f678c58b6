/*
 * analysis.c - analysis_run(): geometry -> athlete filter -> recognition -> view -> rep
 * segmentation or hold detection -> form rules -> scores -> set summary.
 *
 * DESIGN
 * - Geometry is computed once per frame (geometry.c) and everything else reads it.
 * - The athlete is the person the tracker follows for most of the clip: a jump of the torso by
 *   more than a torso length between neighbouring frames, or a sudden change of body size, starts
 *   a new track; tracks that do not look like the main one (place and size) are ignored.
 * - Each exercise is data (exercise.h): its rep signal goes through the streaming tracker
 *   (reps.c); its rules through the rule engine (form.c). Nothing here is exercise-specific.
 * - Cannot judge beats guessing: a rule whose landmarks are hidden or out of frame, or that the
 *   camera view cannot show, is reported as not judged and never turns into a fault.
 * docs/internals/analysis.md has the longer version.
 */
#include "analysis.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../base/rr_error.h"
#include "exercise.h"
#include "form.h"
#include "recognise.h"
#include "reps.h"

/* Rep window edges: where the signal is within this part of the rep's amplitude of rest. */
#define EDGE_FRAC 0.15f
/* Plank form windows. */
#define HOLD_WINDOW_S 1.0f

struct analysis_opts analysis_opts_default(void)
{
    struct analysis_opts o = {.exercise = NULL};
    return o;
}

const char *analysis_view_name(enum analysis_view v)
{
    switch (v) {
    case ANALYSIS_VIEW_FRONT:
        return "front";
    case ANALYSIS_VIEW_SIDE:
        return "side";
    case ANALYSIS_VIEW_DIAGONAL:
        return "diagonal";
    case ANALYSIS_VIEW_BACK:
        return "back";
    case ANALYSIS_VIEW_UNKNOWN:
        break;
    }
    return "unknown";
}

const char *analysis_verdict_name(enum analysis_verdict v)
{
    switch (v) {
    case ANALYSIS_GOOD:
        return "good";
    case ANALYSIS_BAD:
        return "bad";
    case ANALYSIS_CANNOT_JUDGE:
        break;
    }
    return "cannot_judge";
}

const char *analysis_severity_name(enum analysis_severity s)
{
    switch (s) {
    case ANALYSIS_SEV_MINOR:
        return "minor";
    case ANALYSIS_SEV_MODERATE:
        return "moderate";
    case ANALYSIS_SEV_MAJOR:
        return "major";
    }
    return "unknown";
}

const char *analysis_outcome_name(enum analysis_outcome o)
{
    switch (o) {
    case ANALYSIS_PASS:
        return "pass";
    case ANALYSIS_FAULT:
        return "fault";
    case ANALYSIS_NOT_JUDGED:
        break;
    }
    return "not_judged";
}

void analysis_report_free(struct analysis_report *r)
{
    if (!r)
        return;
    free(r->reps);
    free(r->hold.windows);
    free(r);
}

static float secs(int64_t a_us, int64_t b_us)
{
    return (float)((double)(b_us - a_us) * 1e-6);
}

/* ------------------------------------------------------------------ athlete filter */

static void hip_centre(const struct geom_frame *g, float out[2])
{
    geom_img_mid(g, RR_LM_LEFT_HIP, out);
}

/* Mark frames that belong to someone other than the main tracked person as invalid. */
/* Body scale in the image: the larger of torso length and shoulder width, so that turning or
 * lying towards the camera (which shortens one of them) does not look like another person. */
static float body_scale(const struct geom_frame *g)
{
    float l[2], r[2];
    geom_img(g, RR_LM_LEFT_SHOULDER, l);
    geom_img(g, RR_LM_RIGHT_SHOULDER, r);
    float w = hypotf(l[0] - r[0], l[1] - r[1]);
    return w > g->torso_img ? w : g->torso_img;
}

/* Mark frames that belong to someone other than the main tracked person as invalid. */
static int follow_athlete(struct geom_frame *g, size_t n)
{
    int *track = malloc(n * sizeof *track);
    if (!track)
        return RR_ERR_NOMEM;
    int ntracks = 0;
    size_t prev = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        track[i] = -1;
        if (!g[i].valid)
            continue;
        int fresh = prev == (size_t)-1;
        if (!fresh) {
            float a[2], b[2];
            hip_centre(&g[prev], a);
            hip_centre(&g[i], b);
            float scale = body_scale(&g[prev]);
            float ratio = body_scale(&g[i]) / scale;
            fresh = hypotf(a[0] - b[0], a[1] - b[1]) > 1.5f * scale || ratio < 0.5f || ratio > 2.0f;
        }
        if (fresh)
            ntracks++; /* at most one per frame: bounded by n */
        track[i] = ntracks - 1;
        prev = i;
    }
    if (ntracks > 1) {
        /* The main track: most frames. Others survive when they look like it (same place, same
         * size: the tracker lost and found the athlete again). */
        size_t *count = calloc((size_t)ntracks, sizeof *count);
        float *px = calloc((size_t)ntracks * 2, sizeof *px);
        if (!count || !px) {
            free(count);
            free(px);
            free(track);
            return RR_ERR_NOMEM;
        }
        for (size_t i = 0; i < n; i++) {
            if (track[i] < 0)
                continue;
            float c[2];
            hip_centre(&g[i], c);
            int t = track[i];
            if (count[t] == 0) {
                px[2 * t] = c[0];
                px[2 * t + 1] = body_scale(&g[i]);
            }
            count[t]++;
        }
        int main_t = 0;
        for (int t = 1; t < ntracks; t++)
            if (count[t] > count[main_t])
                main_t = t;
        for (size_t i = 0; i < n; i++) {
            int t = track[i];
            if (t < 0 || t == main_t)
                continue;
            float dx = fabsf(px[2 * t] - px[2 * main_t]);
            float ratio = px[2 * t + 1] / px[2 * main_t + 1];
            if (dx > 1.5f * px[2 * main_t + 1] || ratio < 0.6f || ratio > 1.67f)
                g[i].valid = 0;
        }
        free(count);
        free(px);
    }
    free(track);
    return 0;
}

/* ------------------------------------------------------------------ helpers */

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static enum analysis_view series_view(const struct geom_frame *g, size_t n)
{
    float buf[512];
    size_t m = 0, stride = n / 512 + 1;
    for (size_t i = 0; i < n && m < 512; i += stride)
        if (g[i].valid && !isnan(g[i].yaw_deg))
            buf[m++] = fabsf(g[i].yaw_deg);
    if (m == 0)
        return ANALYSIS_VIEW_UNKNOWN;
    qsort(buf, m, sizeof buf[0], cmp_float);
    return geom_view_from_yaw(buf[m / 2]);
}

static int series_side(const struct geom_frame *g, size_t n)
{
    static const int ids[] = {RR_LM_LEFT_SHOULDER, RR_LM_LEFT_ELBOW, RR_LM_LEFT_WRIST,
                              RR_LM_LEFT_HIP,      RR_LM_LEFT_KNEE,  RR_LM_LEFT_ANKLE,
                              RR_LM_LEFT_HEEL,     RR_LM_LEFT_FOOT_INDEX, RR_LM_LEFT_EAR};
    double v[2] = {0.0, 0.0};
    for (size_t i = 0; i < n; i++) {
        if (!g[i].valid)
            continue;
        for (size_t k = 0; k < sizeof ids / sizeof ids[0]; k++)
            for (int s = 0; s < 2; s++)
                v[s] += g[i].src->image[ids[k] + s].visibility;
    }
    return v[GEOM_RIGHT] > v[GEOM_LEFT] ? GEOM_RIGHT : GEOM_LEFT;
}

static int in_posture(const struct exercise_def *ex, const struct geom_frame *g)
{
    return g->valid && (!ex->posture || ex->posture(g));
}

static float joint_value(const struct geom_frame *g, int joint, int s)
{
    switch (joint) {
    case EX_JOINT_KNEE:
        return form_knee_angle(g, s);
    case EX_JOINT_HIP:
        return (geom_trusted(g, RR_LM_LEFT_SHOULDER + s) && geom_trusted(g, RR_LM_LEFT_HIP + s) &&
                geom_trusted(g, RR_LM_LEFT_KNEE + s)) ? g->hip[s] : NAN;
    case EX_JOINT_ELBOW:
        return (geom_trusted(g, RR_LM_LEFT_SHOULDER + s) && geom_trusted(g, RR_LM_LEFT_ELBOW + s) &&
                geom_trusted(g, RR_LM_LEFT_WRIST + s)) ? g->elbow[s] : NAN;
    case EX_JOINT_SHOULDER:
        return (geom_trusted(g, RR_LM_LEFT_HIP + s) && geom_trusted(g, RR_LM_LEFT_SHOULDER + s) &&
                geom_trusted(g, RR_LM_LEFT_ELBOW + s)) ? g->shoulder[s] : NAN;
    }
    return NAN;
}

/* Mean |left - right| of the exercise's main joint over the rep; NAN unless both sides are seen
 * in at least half of the rep's frames. */
static float symmetry(const struct exercise_def *ex, const struct rule_ctx *c)
{
    if (ex->sym_joint < 0)
        return NAN;
    double sum = 0.0;
    size_t m = 0, valid = 0;
    for (size_t i = c->start; i <= c->end; i++) {
        const struct geom_frame *g = &c->frames[i];
        if (!g->valid)
            continue;
        valid++;
        float l = joint_value(g, ex->sym_joint, 0), r = joint_value(g, ex->sym_joint, 1);
        if (isnan(l) || isnan(r))
            continue;
        sum += fabs((double)l - (double)r);
        m++;
    }
    return (m > 0 && m * 2 >= valid) ? (float)(sum / (double)m) : NAN;
}

/* In a side view the body moves in a plane parallel to the image, so thighs, shins and torso
 * keep their image length. A segment much shorter than usual is a tracking error (typically an
 * occlusion the model still reports as visible): its landmarks lose their trusted status. */
static int gate_foreshortening(struct geom_frame *g, size_t n)
{
    static const int seg[][2] = {{RR_LM_LEFT_HIP, RR_LM_LEFT_KNEE},
                                 {RR_LM_LEFT_KNEE, RR_LM_LEFT_ANKLE},
                                 {RR_LM_LEFT_SHOULDER, RR_LM_LEFT_HIP}};
    float *len = malloc(n * sizeof *len);
    if (!len)
        return RR_ERR_NOMEM;
    for (size_t k = 0; k < sizeof seg / sizeof seg[0]; k++) {
        for (int s = 0; s < 2; s++) {
            int a = seg[k][0] + s, b = seg[k][1] + s;
            size_t m = 0;
            for (size_t i = 0; i < n; i++) {
                if (!g[i].valid || !geom_trusted(&g[i], a) || !geom_trusted(&g[i], b))
                    continue;
                float pa[2], pb[2];
                geom_img(&g[i], a, pa);
                geom_img(&g[i], b, pb);
                len[m++] = hypotf(pa[0] - pb[0], pa[1] - pb[1]);
            }
            if (m < 3)
                continue;
            qsort(len, m, sizeof len[0], cmp_float);
            float ref = len[(size_t)(0.9f * (float)(m - 1))];
            for (size_t i = 0; i < n; i++) {
                if (!g[i].valid || !geom_trusted(&g[i], a) || !geom_trusted(&g[i], b))
                    continue;
                float pa[2], pb[2];
                geom_img(&g[i], a, pa);
                geom_img(&g[i], b, pb);
                if (hypotf(pa[0] - pb[0], pa[1] - pb[1]) < 0.6f * ref)
                    g[i].trusted &= ~(((uint64_t)1 << a) | ((uint64_t)1 << b));
            }
        }
    }
    free(len);
    return 0;
}

/* ------------------------------------------------------------------ reps */

static int run_reps(const struct exercise_def *ex, const struct geom_frame *g, size_t n,
                    struct analysis_report *r, enum analysis_view view, int side)
{
    int err = 0;
    float *y = malloc(n * sizeof *y);
    struct reps_event *evs = NULL;
    size_t nev = 0, cap = 0;
    if (!y)
        return RR_ERR_NOMEM;
    struct reps_tracker tr;
    reps_tracker_init(&tr, &ex->seg);
    for (size_t i = 0; i < n; i++) {
        float v = in_posture(ex, &g[i]) ? ex->signal(&g[i]) : NAN;
        struct reps_event ev;
        int got = reps_tracker_push(&tr, i, g[i].t_us, v, &ev);
        y[i] = isnan(v) ? NAN : reps_tracker_value(&tr);
        if (!got)
            continue;
        if (nev == cap) {
            size_t nc = cap ? cap * 2 : 16;
            struct reps_event *ne = realloc(evs, nc * sizeof *ne);
            if (!ne) {
                err = RR_ERR_NOMEM;
                goto out;
            }
            evs = ne;
            cap = nc;
        }
        evs[nev++] = ev;
    }
    if (nev > 0) {
        r->reps = calloc(nev, sizeof *r->reps);
        if (!r->reps) {
            err = RR_ERR_NOMEM;
            goto out;
        }
    }
    for (size_t k = 0; k < nev; k++) {
        const struct reps_event *ev = &evs[k];
        struct analysis_rep *rep = &r->reps[k];
        size_t lo_bound = k > 0 ? evs[k - 1].i_turn : 0;
        size_t hi_bound = k + 1 < nev ? evs[k + 1].i_turn : n - 1;
        /* Far end: a rep counted on the way up keeps rising after the count. */
        size_t turn = ev->i_turn;
        float v_turn = ev->v_turn;
        if (ex->seg.count_at_peak) {
            for (size_t i = ev->i_turn; i <= hi_bound && i < n; i++) {
                if (isnan(y[i]))
                    continue;
                if (y[i] > v_turn) {
                    v_turn = y[i];
                    turn = i;
                } else if (y[i] < v_turn - ex->seg.hyst) {
                    break;
                }
            }
        }
        float amp = v_turn - ev->v_start;
        float edge = ev->v_start + EDGE_FRAC * amp;
        /* Start: last frame before the far end still near the rest level. */
        size_t start = ev->i_start;
        for (size_t i = turn; i > ev->i_start && i > lo_bound; i--) {
            if (!isnan(y[i]) && y[i] <= edge) {
                start = i;
                break;
            }
        }
        /* End: first frame after the far end back near the rest level. A rep that began at
         * the far end (clip edge) is measured on the way back instead. */
        float low = v_turn;
        for (size_t i = turn; i <= hi_bound && i < n; i++)
            if (!isnan(y[i]) && y[i] < low)
                low = y[i];
        float rom = amp;
        if (v_turn - low > amp) {
            rom = v_turn - low;
            edge = low + EDGE_FRAC * rom;
        }
        size_t end = turn;
        int returned = 0;
        for (size_t i = turn; i <= hi_bound && i < n; i++) {
            if (isnan(y[i]))
                continue;
            end = i;
            if (y[i] <= edge) {
                returned = 1;
                break;
            }
        }
        if (!returned && !ex->seg.count_at_peak && end < ev->i_count)
            end = ev->i_count;
        rep->index = (int)k + 1;
        rep->frame_start = start;
        rep->frame_turn = turn;
        rep->frame_end = end;
        rep->t_start_us = g[start].t_us;
        rep->t_turn_us = g[turn].t_us;
        rep->t_end_us = g[end].t_us;
        rep->rom = rom;
        rep->rom_unit = ex->signal_unit;
        float to_turn = secs(g[start].t_us, g[turn].t_us);
        float from_turn = secs(g[turn].t_us, g[end].t_us);
        int cut_start = ev->i_start == ev->i_turn; /* began at the far end */
        if (ex->seg.count_at_peak) {
            rep->concentric_s = to_turn;
            rep->eccentric_s = returned ? from_turn : NAN;
        } else {
            rep->eccentric_s = cut_start ? NAN : to_turn;
            rep->concentric_s = from_turn;
        }
        struct rule_ctx c = {.frames = g, .n = n, .start = start, .turn = turn, .end = end,
                             .outer_start = k > 0 ? r->reps[k - 1].frame_end : 0,
                             .outer_end = hi_bound, .view = view, .side = side};
        if (c.outer_start > start)
            c.outer_start = start;
        if (c.outer_end < end)
            c.outer_end = end;
        rep->depth = ex->depth ? ex->depth(&c) : NAN;
        rep->depth_name = ex->depth_name;
        rep->symmetry_deg = symmetry(ex, &c);
        rep->n_faults = form_evaluate(ex, &c, rep->checks, &rep->n_checks);
        rep->score = form_score(rep->checks, rep->n_checks);
        rep->verdict = form_verdict(rep->checks, rep->n_checks, rep->score);
    }
    r->n_reps = nev;
out:
    free(y);
    free(evs);
    return err;
}

static void summarise_set(struct analysis_report *r)
{
    struct analysis_set *s = &r->set;
    memset(s, 0, sizeof *s);
    s->reps = (int)r->n_reps;
    double sum = 0.0;
    int scored = 0;
    for (size_t k = 0; k < r->n_reps; k++) {
        const struct analysis_rep *rep = &r->reps[k];
        if (rep->verdict == ANALYSIS_GOOD)
            s->good++;
        else if (rep->verdict == ANALYSIS_BAD)
            s->bad++;
        else
            s->cannot_judge++;
        if (!isnan(rep->score)) {
            sum += rep->score;
            scored++;
        }
        s->time_under_tension_s += secs(rep->t_start_us, rep->t_end_us);
    }
    s->mean_score = scored ? (float)(sum / scored) : NAN;
    /* Most frequent fault: count reps per fault name (names are static strings). */
    for (size_t k = 0; k < r->n_reps; k++) {
        for (int j = 0; j < r->reps[k].n_checks; j++) {
            const struct analysis_check *c = &r->reps[k].checks[j];
            if (c->outcome != ANALYSIS_FAULT)
                continue;
            int count = 0;
            for (size_t m = 0; m < r->n_reps; m++)
                for (int q = 0; q < r->reps[m].n_checks; q++)
                    if (r->reps[m].checks[q].outcome == ANALYSIS_FAULT &&
                        strcmp(r->reps[m].checks[q].name, c->name) == 0)
                        count++;
            if (count > s->top_fault_reps) {
                s->top_fault_reps = count;
                s->top_fault = c->name;
            }
        }
    }
}

/* ------------------------------------------------------------------ hold (plank) */

static int run_hold(const struct exercise_def *ex, const struct geom_frame *g, size_t n,
                    struct analysis_report *r, enum analysis_view view, int side)
{
    /* Longest run of frames in the hold posture, allowing tracking gaps up to max_gap_s. */
    size_t best_a = 0, best_b = 0, a = 0, last = 0;
    int have = 0, have_best = 0;
    float best_len = -1.0f;
    for (size_t i = 0; i <= n; i++) {
        int ok = i < n && in_posture(ex, &g[i]);
        if (ok && have && secs(g[last].t_us, g[i].t_us) > ex->seg.max_gap_s) {
            ok = 0; /* close the run, then reopen below */
            i--;
        }
        if (ok) {
            if (!have) {
                a = i;
                have = 1;
            }
            last = i;
            continue;
        }
        if (have) {
            float len = secs(g[a].t_us, g[last].t_us);
            if (len > best_len) {
                best_len = len;
                best_a = a;
                best_b = last;
                have_best = 1;
            }
            have = 0;
        }
    }
    struct analysis_hold *h = &r->hold;
    h->mean_score = NAN;
    if (!have_best)
        return 0;
    h->hold_s = secs(g[best_a].t_us, g[best_b].t_us);
    struct rule_ctx whole = {.frames = g, .n = n, .start = best_a, .turn = (best_a + best_b) / 2,
                             .end = best_b, .outer_start = best_a, .outer_end = best_b,
                             .view = view, .side = side};
    form_evaluate(ex, &whole, h->checks, &h->n_checks);
    /* One window per HOLD_WINDOW_S. */
    size_t cap = (size_t)(h->hold_s / HOLD_WINDOW_S) + 2;
    if (cap > n + 1)
        cap = n + 1;
    h->windows = calloc(cap, sizeof *h->windows);
    if (!h->windows)
        return RR_ERR_NOMEM;
    double sum = 0.0;
    int scored = 0;
    size_t w0 = best_a;
    while (w0 <= best_b && h->n_windows < cap) {
        size_t w1 = w0;
        while (w1 + 1 <= best_b && secs(g[w0].t_us, g[w1 + 1].t_us) < HOLD_WINDOW_S)
            w1++;
        struct rule_ctx c = whole;
        c.start = w0;
        c.end = w1;
        c.turn = (w0 + w1) / 2;
        c.outer_start = w0;
        c.outer_end = w1;
        struct analysis_check checks[ANALYSIS_MAX_CHECKS];
        int nc = 0;
        form_evaluate(ex, &c, checks, &nc);
        struct analysis_hold_window *w = &h->windows[h->n_windows++];
        w->t_start_us = g[w0].t_us;
        w->t_end_us = g[w1].t_us;
        w->score = form_score(checks, nc);
        w->verdict = form_verdict(checks, nc, w->score);
        w->fault = NULL;
        enum analysis_severity worst = 0;
        for (int j = 0; j < nc; j++)
            if (checks[j].outcome == ANALYSIS_FAULT && checks[j].severity > worst) {
                worst = checks[j].severity;
                w->fault = checks[j].name;
            }
        if (!isnan(w->score)) {
            sum += w->score;
            scored++;
        }
        /* A window lasts until the next one starts (the last one to its own end). */
        int64_t t_next = w1 + 1 <= best_b ? g[w1 + 1].t_us : g[w1].t_us;
        if (w->verdict == ANALYSIS_GOOD)
            h->good_form_s += secs(g[w0].t_us, t_next);
        w0 = w1 + 1;
    }
    h->mean_score = scored ? (float)(sum / scored) : NAN;
    return 0;
}

/* ------------------------------------------------------------------ entry point */

int analysis_run(const struct rr_pose_frame *frames, size_t n, const struct analysis_opts *opts,
                 struct analysis_report **out)
{
    int err = 0;
    struct geom_frame *g = NULL;
    struct analysis_report *r = NULL;
    struct analysis_opts def = analysis_opts_default();
    if (!out || (!frames && n > 0))
        return RR_ERR_INVAL;
    *out = NULL;
    if (n > ANALYSIS_MAX_FRAMES)
        return RR_ERR_TOOBIG;
    if (!opts)
        opts = &def;
    const struct exercise_def *ex = NULL;
    if (opts->exercise) {
        ex = exercise_find(opts->exercise);
        if (!ex)
            return RR_ERR_INVAL;
    }
    for (size_t i = 1; i < n; i++)
        if (frames[i].t_us < frames[i - 1].t_us)
            return RR_ERR_INVAL;

    r = calloc(1, sizeof *r);
    if (!r)
        return RR_ERR_NOMEM;
    r->n_frames = n;
    r->set.mean_score = NAN;
    r->hold.mean_score = NAN;
    if (n == 0) {
        r->exercise = ex ? ex->name : NULL;
        r->exercise_given = ex != NULL;
        r->confidence = ex ? 1.0f : 0.0f;
        r->is_hold = ex ? ex->is_hold : 0;
        goto done;
    }
    g = malloc(n * sizeof *g);
    if (!g) {
        err = RR_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        geom_frame_compute(&frames[i], &g[i]);
    err = follow_athlete(g, n);
    if (err)
        goto out;
    for (size_t i = 0; i < n; i++)
        r->n_frames_used += g[i].valid ? 1u : 0u;
    r->duration_s = secs(frames[0].t_us, frames[n - 1].t_us);

    struct series_features f;
    err = recognise_features(g, n, &f);
    if (err)
        goto out;
    r->n_candidates = recognise_rank(&f, r->candidates, ANALYSIS_MAX_EXERCISES);
    if (ex) {
        r->exercise_given = 1;
        r->confidence = 1.0f;
    } else if (r->n_candidates > 0 && r->candidates[0].score >= RECOGNISE_MIN_SCORE) {
        ex = exercise_find(r->candidates[0].exercise);
        r->confidence = r->candidates[0].score;
    }
    r->view = series_view(g, n);
    if (r->view == ANALYSIS_VIEW_SIDE) {
        err = gate_foreshortening(g, n);
        if (err)
            goto out;
    }
    if (!ex)
        goto done;
    r->exercise = ex->name;
    r->is_hold = ex->is_hold;
    int side = series_side(g, n);
    if (ex->is_hold)
        err = run_hold(ex, g, n, r, r->view, side);
    else
        err = run_reps(ex, g, n, r, r->view, side);
    if (err)
        goto out;
done:
    summarise_set(r);
    *out = r;
    r = NULL;
out:
    free(g);
    analysis_report_free(r);
    return err;
}
