/*
 * analyze.c - the analyse-a-video use cases and the analyze_video job kind that runs them:
 * fetch the original from the blob store, run pipeline_analyze (the report: no overlay, no
 * thumbnails; those are a render_video job, app/render.c, made only when asked), store the
 * report and the landmark track under videos/<id>/ (app_video_key), save the workout built from
 * the report struct through app_save_workout (replacing an earlier run's, analytics included)
 * and mark the video analysed. The report becomes JSON once, where it is stored; nothing here
 * parses it back. "Analyse again as..." (app_reanalyze_video) queues the same job with another
 * exercise in its payload.
 *
 * Before the pipeline runs (issue 15): the original's size and SHA-256 are checked against its
 * row (a mismatch fails the job for good: the stored file is damaged), and the job's cost is
 * estimated from what the container declares (frames x pixels x model) and refused over
 * cfg.job_cpu_budget_s; the same budget, in frames, bounds the decoder while it runs, so a file
 * that lies about its length stops at its budget. Failures no retry can fix (bad input, too
 * costly, out of memory while decoding, a damaged original) are permanent.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app/app_int.h"
#include "app/partners.h"
#include "base/rr_error.h"
#include "base/rr_json.h"
#include "base/rr_log.h"
#include "blob/blob.h"
#include "pipeline/analyze.h"
#include "pipeline/landmarks_file.h"
#include "pipeline/report_json.h"
#include "pipeline/sandbox.h"

/* How far the whole analysis is at a pipeline stage's fraction: the pose pass is the bulk of
 * the work. A stage not listed passes its fraction through. */
static const struct {
    const char *stage;
    double base, span;
} stage_share[] = {
    {"pose", 0.05, 0.75}, {"analysis", 0.80, 0}, {"overlay", 0.85, 0.10}, {"done", 0.95, 0},
};

struct progress_map {
    app_progress_fn fn;
    void *ud;
};

static void on_progress(void *ud, const char *stage, double fraction)
{
    const struct progress_map *m = ud;
    double f = fraction;
    for (size_t i = 0; i < sizeof stage_share / sizeof stage_share[0]; i++)
        if (strcmp(stage, stage_share[i].stage) == 0)
            f = stage_share[i].base + stage_share[i].span * fraction;
    if (m->fn)
        m->fn(m->ud, stage, f);
}

static void progress(app_progress_fn fn, void *ud, const char *stage, double fraction)
{
    if (fn)
        fn(ud, stage, fraction);
}

/* A small JSON document written into out[cap] (never past it), or `empty` when it does not fit. */
static void finish_small(struct rr_json *j, char *out, size_t cap, const char *empty)
{
    if (rr_json_finish(j) != 0 || rr_json_data(j) != out)
        snprintf(out, cap, "%s", empty);
    rr_json_release(j);
}

static void rep_metrics(const struct analysis_rep *r, char *out, size_t cap)
{
    struct rr_json o;
    rr_json_init(&o, out, cap, cap - 1);
    rr_json_object_begin(&o);
    RR_JSON_KEY(&o, "rom");
    rr_json_real(&o, r->rom); /* NaN: null ("not measured") */
    if (r->rom_unit) {
        RR_JSON_KEY(&o, "rom_unit");
        rr_json_string(&o, r->rom_unit);
    }
    RR_JSON_KEY(&o, "depth");
    rr_json_real(&o, r->depth);
    if (r->depth_name) {
        RR_JSON_KEY(&o, "depth_name");
        rr_json_string(&o, r->depth_name);
    }
    RR_JSON_KEY(&o, "concentric_s");
    rr_json_real(&o, r->concentric_s);
    RR_JSON_KEY(&o, "eccentric_s");
    rr_json_real(&o, r->eccentric_s);
    RR_JSON_KEY(&o, "symmetry_deg");
    rr_json_real(&o, r->symmetry_deg);
    RR_JSON_KEY(&o, "verdict");
    rr_json_string(&o, analysis_verdict_name(r->verdict));
    RR_JSON_KEY(&o, "confidence");
    rr_json_real(&o, r->confidence);
    if (r->cannot_judge_reason) {
        RR_JSON_KEY(&o, "cannot_judge_reason");
        rr_json_string(&o, r->cannot_judge_reason);
    }
    rr_json_object_end(&o);
    finish_small(&o, out, cap, "{}");
}

static void rep_faults(const struct analysis_rep *r, char *out, size_t cap)
{
    struct rr_json a;
    rr_json_init(&a, out, cap, cap - 1);
    rr_json_array_begin(&a);
    for (int i = 0; i < r->n_checks && i < ANALYSIS_MAX_CHECKS; i++)
        if (r->checks[i].outcome == ANALYSIS_FAULT && r->checks[i].name)
            rr_json_string(&a, r->checks[i].name);
    rr_json_array_end(&a);
    finish_small(&a, out, cap, "[]");
}

/* The report's workout: one set, one row per rep, saved through app_save_workout (replacing
 * an earlier run's workout and its analytics share). */
static int save_workout(struct app *a, const struct store_video *v,
                        const struct analysis_report *rep, int64_t duration_ms,
                        char workout_id[STORE_ID_LEN + 1], char *err, size_t err_len)
{
    struct store_workout w;
    memset(&w, 0, sizeof w);
    snprintf(w.user_id, sizeof w.user_id, "%s", v->user_id);
    snprintf(w.video_id, sizeof w.video_id, "%s", v->id);
    snprintf(w.exercise, sizeof w.exercise, "%s", rep->exercise ? rep->exercise : "unknown");
    w.started_at = v->created_at;
    w.duration_ms = duration_ms;
    w.score = isfinite(rep->set.mean_score) ? rep->set.mean_score
              : (rep->is_hold && isfinite(rep->hold.mean_score)) ? rep->hold.mean_score
                                                                 : 0;
    struct store_set set;
    memset(&set, 0, sizeof set);
    set.idx = 0;
    snprintf(set.exercise, sizeof set.exercise, "%s", w.exercise);
    set.reps = (int)rep->n_reps;
    set.score = w.score;
    set.hold_ms = rep->is_hold && isfinite(rep->hold.hold_s) ? (int64_t)(rep->hold.hold_s * 1000)
                                                              : 0;
    size_t nreps = rep->n_reps > STORE_REPS_MAX ? STORE_REPS_MAX : rep->n_reps;
    struct store_rep *reps = nreps ? calloc(nreps, sizeof *reps) : NULL;
    if (nreps && !reps)
        return RR_ERR_NOMEM;
    for (size_t i = 0; i < nreps; i++) {
        const struct analysis_rep *r = &rep->reps[i];
        reps[i].set_idx = 0;
        reps[i].idx = r->index;
        reps[i].t_start_ms = r->t_start_us / 1000;
        reps[i].t_end_ms = r->t_end_us / 1000;
        /* A rep that cannot be judged has no score; the column is NOT NULL, so 0 stands in
         * and metrics.verdict says it is not a score (analytics leaves it out of means). */
        reps[i].score = isfinite(r->score) ? r->score : 0;
        rep_metrics(r, reps[i].metrics, sizeof reps[i].metrics);
        rep_faults(r, reps[i].faults, sizeof reps[i].faults);
    }
    enum app_saved how;
    int rc = app_save_workout(a, &w, &set, 1, reps, nreps, NULL, &how);
    if (rc < 0)
        snprintf(err, err_len, "cannot save the workout: %s", rr_strerror(rc));
    else
        memcpy(workout_id, w.id, STORE_ID_LEN + 1);
    free(reps);
    return rc;
}

/* Store `text` (taken, freed) under the video's derived key `which`. */
static int put_text(struct blob *b, const char *video_id, const char *which, char *text)
{
    char key[BLOB_KEY_MAX + 1];
    if (!text)
        return RR_ERR_NOMEM;
    if (!app_video_key(video_id, which, key, sizeof key)) {
        free(text);
        return RR_ERR_INVAL;
    }
    struct blob_writer *w = NULL;
    int rc = blob_writer_begin(b, key, &w);
    if (rc == 0)
        rc = blob_writer_write(w, text, strlen(text));
    if (rc == 0) {
        rc = blob_writer_commit(w, NULL);
        w = NULL;
    }
    blob_writer_abort(w);
    free(text);
    return rc;
}

int app__put_file_if_any(struct blob *b, const char *video_id, const char *which,
                         const char *path)
{
    struct stat st;
    char key[BLOB_KEY_MAX + 1];
    if (!path || !path[0] || stat(path, &st) != 0)
        return 0;
    if (!app_video_key(video_id, which, key, sizeof key))
        return RR_ERR_INVAL;
    return blob_put_file(b, key, path, NULL);
}

/* Failures of the pipeline that no retry can fix: bad input, a video over a limit, and running
 * out of memory while decoding (a hostile file asks for the same allocation every time; a
 * retry would only repeat the damage). */
static int is_permanent(int rc)
{
    return rc == RR_ERR_CORRUPT || rc == RR_ERR_UNSUPPORTED || rc == RR_ERR_TOOBIG ||
           rc == RR_ERR_NOPOSE || rc == RR_ERR_EOF || rc == RR_ERR_INVAL || rc == RR_ERR_NOMEM;
}

int app__bad_input(int rc)
{
    return is_permanent(rc);
}

void app__failure_words(int rc, const char *msg, const char *src, char *err, size_t err_len)
{
    switch (rc) {
    case RR_ERR_NOPOSE:
        snprintf(err, err_len, "no person was found in the video: film the whole body, in good "
                               "light");
        return;
    case RR_ERR_CORRUPT:
    case RR_ERR_UNSUPPORTED:
    case RR_ERR_EOF:
        snprintf(err, err_len, "this file is not a video RepRight can read: upload an mp4, mov, "
                               "webm or mkv clip");
        return;
    case RR_ERR_TOOBIG:
        snprintf(err, err_len, "the video is too long or too large: at most 10 minutes, "
                               "4096x4096 pixels and 512 MiB");
        return;
    default:
        break;
    }
    /* something of ours: the stage's own words, without the local descriptor path */
    snprintf(err, err_len, "%s", msg && msg[0] ? msg : rr_strerror(rc));
    if (src && src[0]) {
        size_t sl = strlen(src);
        const char *name = "the video";
        size_t nl = strlen(name); /* shorter than src: the text only shrinks */
        for (char *p = strstr(err, src); p; p = strstr(p + nl, src)) {
            memmove(p + nl, p + sl, strlen(p + sl) + 1);
            memcpy(p, name, nl);
        }
    }
}

int app__source_open(struct app *a, const struct store_video *v, const char *tmpdir,
                     struct app_source *src, char *err, size_t err_len, int *permanent)
{
    memset(src, 0, sizeof *src);
    src->copy_fd = -1;
    int rc = blob_get(a->blob, v->blob_key, &src->rd);
    if (rc < 0) {
        snprintf(err, err_len, "the uploaded video is missing from storage: upload it again");
        *permanent = rc == RR_ERR_NOTFOUND;
        return rc;
    }
    int fd = blob_reader_fd(src->rd);
    if (fd >= 0) {
        snprintf(src->path, sizeof src->path, "/proc/self/fd/%d", fd);
        return 0;
    }
    /* a backend without descriptors: copy to a local file */
    snprintf(src->path, sizeof src->path, "%s/source", tmpdir);
    src->copy_fd = open(src->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (src->copy_fd < 0) {
        snprintf(err, err_len, "cannot write a local copy of the video");
        return RR_ERR_IO;
    }
    char buf[65536];
    int64_t n;
    for (n = blob_reader_read(src->rd, buf, sizeof buf); n > 0;
         n = blob_reader_read(src->rd, buf, sizeof buf))
        if (write(src->copy_fd, buf, (size_t)n) != n)
            break;
    if (n != 0) {
        snprintf(err, err_len, "cannot write a local copy of the video");
        return RR_ERR_IO;
    }
    /* the copy must hash to the upload's SHA-256 (a remote store gives no descriptor to hash) */
    int rfd = open(src->path, O_RDONLY | O_CLOEXEC);
    int rc2 =
        rfd < 0 ? RR_ERR_IO : app__check_integrity(v, rfd, blob_reader_size(src->rd), err, err_len);
    if (rfd >= 0)
        close(rfd);
    if (rc2 == RR_ERR_CORRUPT)
        *permanent = 1;
    return rc2;
}

void app__source_close(struct app_source *src)
{
    if (src->copy_fd >= 0)
        close(src->copy_fd);
    src->copy_fd = -1;
    blob_reader_close(src->rd);
    src->rd = NULL;
}

/* ---- cost ------------------------------------------------------------------------------------ */

/* CPU milliseconds per frame on one core (measured on the reference box, docs/internals/
 * reliability.md): the landmark model's run and one decoding pass at the source size for the
 * analysis; the render job (made only when asked, app/render.c) decodes once more and converts,
 * draws and encodes the overlay at its (capped) size, and has its own estimate. */
static const double model_ms[] = {8.0, 14.0, 56.0}; /* lite, full, heavy */
#define COST_DECODE_MS_PER_MPX 3.0                  /* one decoding pass */
#define COST_RENDER_MS_PER_MPX 17.0
#define COST_RENDER_MAX_MPX (1920.0 * 1080.0 / 1e6) /* render.c draws at most this large */

double app_analysis_cost_ms_per_frame(int width, int height, enum pose_model_kind model)
{
    double mpx = (double)width * (double)height / 1e6;
    int m = (int)model >= 0 && (int)model < 3 ? (int)model : 1;
    return model_ms[m] + COST_DECODE_MS_PER_MPX * mpx;
}

/* Frames the container announces, else duration x rate, else the longest allowed clip. */
static double declared_frames(const struct video_info *in, const struct video_limits *lim)
{
    double fps = in->fps > 0 ? in->fps : 30.0;
    if (in->frames > 0)
        return (double)in->frames;
    if (in->duration_us > 0)
        return (double)in->duration_us / 1e6 * fps;
    return (double)lim->max_duration_us / 1e6 * fps;
}

/* CPU milliseconds per frame of the render job alone: one decoding pass at the source size and
 * the overlay's convert, draw and encode at its (capped) size. */
double app__render_cost_ms_per_frame(int width, int height)
{
    double mpx = (double)width * (double)height / 1e6;
    double out = mpx < COST_RENDER_MAX_MPX ? mpx : COST_RENDER_MAX_MPX;
    return COST_DECODE_MS_PER_MPX * mpx + COST_RENDER_MS_PER_MPX * out;
}

/* A job's estimated cost (per_frame ms x the header's frames) against the budget; over it ->
 * TOOBIG with a reason for the user (`what`: "analyse", "render"). On success lim->max_frames
 * bounds the run to the budget (at least the declared frames). */
static int admit_frames(const struct app *a, const struct video_info *in, double per,
                        const char *what, struct video_limits *lim, double *cost_s, char *err,
                        size_t err_len)
{
    double frames = declared_frames(in, lim);
    *cost_s = frames * per / 1000.0;
    int budget = a->cfg.job_cpu_budget_s;
    if (budget <= 0)
        return 0;
    if (*cost_s > budget) {
        snprintf(err, err_len,
                 "the video is too costly to %s: about %.0f s of processing (%dx%d, %.0f "
                 "frames) where one %s may take %d s; send a shorter or smaller clip",
                 what, *cost_s, in->width, in->height, frames,
                 strcmp(what, "render") == 0 ? "render" : "analysis", budget);
        return RR_ERR_TOOBIG;
    }
    double allowed = (double)budget * 1000.0 / per;
    if (allowed < frames * 1.05 + 30)
        allowed = frames * 1.05 + 30;
    lim->max_frames = (int64_t)allowed;
    return 0;
}

/* What a run needs beyond the video: the exercise, the landmark model and the owner's plan (its
 * longest video, and the plan above for the refusal's words). */
struct run_opts {
    const char *exercise;      /* NULL: recognise */
    enum pose_model_kind model;
    int64_t max_video_s;       /* the plan's; -1: no limit */
    char plan_name[32];
    char next_name[32];        /* "" at the top */
    int64_t next_max_video_s;
};

/* The video's length against the owner's plan, once the container said it: QUOTA with a
 * sentence for the user. Else lim->max_frames is bounded to the plan's length (a file that
 * understates its duration stops there). */
static int admit_plan(const struct run_opts *ro, const struct video_info *in,
                      struct video_limits *lim, char *err, size_t err_len)
{
    if (ro->max_video_s < 0)
        return 0;
    int64_t max_us = ro->max_video_s * 1000000 + 500000; /* half a second of container slack */
    if (in->duration_us > max_us) {
        char up[96] = "";
        if (ro->next_name[0])
            snprintf(up, sizeof up, " or move to %s (%lld s)", ro->next_name,
                     (long long)ro->next_max_video_s);
        snprintf(err, err_len,
                 "the video is %.0f s long and your %s plan analyses up to %lld s per video: "
                 "trim it%s",
                 (double)in->duration_us / 1e6, ro->plan_name, (long long)ro->max_video_s, up);
        return RR_ERR_QUOTA;
    }
    double fps = in->fps > 0 ? in->fps : 30.0;
    int64_t plan_frames = (int64_t)((double)max_us / 1e6 * fps * 1.05) + 30;
    if (lim->max_frames <= 0 || lim->max_frames > plan_frames)
        lim->max_frames = plan_frames;
    return 0;
}

/* The analysis's cost from the container's header (admit_frames), with the run's model. */
static int admit_cost(const struct app *a, const struct video_info *in,
                      enum pose_model_kind model, struct video_limits *lim, double *cost_s,
                      char *err, size_t err_len)
{
    double per = app_analysis_cost_ms_per_frame(in->width, in->height, model);
    return admit_frames(a, in, per, "analyse", lim, cost_s, err, err_len);
}

int app__admit_render(const struct app *a, const struct video_info *in, struct video_limits *lim,
                      double *cost_s, char *err, size_t err_len)
{
    double per = app__render_cost_ms_per_frame(in->width, in->height);
    return admit_frames(a, in, per, "render", lim, cost_s, err, err_len);
}

/* The plan's length, then the cost: what a run admits from the container's header. *refused:
 * 1 over the budget, 2 over the plan's length. */
static int admit_video(const struct app *a, const struct run_opts *ro,
                       const struct video_info *in, struct video_limits *lim, double *cost_s,
                       int *refused, char *err, size_t err_len)
{
    int rc = admit_cost(a, in, ro->model, lim, cost_s, err, err_len);
    if (rc < 0) {
        *refused = 1;
        return rc;
    }
    rc = admit_plan(ro, in, lim, err, err_len);
    *refused = rc < 0 ? 2 : 0;
    return rc;
}

/* admit_video on the header as this process reads it (the analysis without a sandbox). */
static int check_cost(struct app *a, const struct run_opts *ro, const char *src,
                      struct video_limits *lim, double *cost_s, int *refused, char *err,
                      size_t err_len)
{
    struct video *vd = NULL;
    char msg[256] = "";
    *cost_s = 0;
    int rc = video_open(src, lim, &vd, msg, sizeof msg);
    if (rc < 0) /* the pipeline reports it in its own words */
        return 0;
    struct video_info in = *video_get_info(vd);
    video_close(vd);
    return admit_video(a, ro, &in, lim, cost_s, refused, err, err_len);
}

/* ---- integrity ---------------------------------------------------------------------------- */

/* SHA-256 of all of fd (pread, the descriptor's offset is left alone) as hex; *size the bytes. */
static int hash_fd(int fd, char hex[65], int64_t *size)
{
    crypto_hash_sha256_state sha;
    unsigned char digest[32];
    char *buf = malloc(1 << 16);
    if (!buf)
        return RR_ERR_NOMEM;
    crypto_hash_sha256_init(&sha);
    off_t pos = 0;
    int rc = 0;
    for (;;) {
        ssize_t n = pread(fd, buf, 1 << 16, pos);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = RR_ERR_IO;
            break;
        }
        if (n == 0)
            break;
        crypto_hash_sha256_update(&sha, (const unsigned char *)buf, (unsigned long long)n);
        pos += n;
    }
    free(buf);
    crypto_hash_sha256_final(&sha, digest);
    sodium_bin2hex(hex, 65, digest, sizeof digest);
    *size = (int64_t)pos;
    return rc;
}

/* The original against its row: same size, same SHA-256 (rows written before hashes were kept
 * have none: size only). CORRUPT with a log line when the stored file is damaged. */
int app__check_integrity(const struct store_video *v, int fd, int64_t size, char *err,
                         size_t err_len)
{
    char got[65] = "";
    int64_t n = size;
    int rc = 0;
    if (v->sha256[0] && fd >= 0) {
        rc = hash_fd(fd, got, &n);
        if (rc < 0) {
            snprintf(err, err_len, "cannot read the stored original: %s", rr_strerror(rc));
            return rc;
        }
    }
    int size_bad = v->size > 0 && n != v->size;
    int hash_bad = got[0] && strcmp(got, v->sha256) != 0;
    if (!size_bad && !hash_bad)
        return 0;
    rr_log(RR_LOG_ERROR, "blob integrity check failed", RR_LOG_VIDEO_ID(v->id),
           RR_LOG_STR("key", v->blob_key), RR_LOG_INT("expected_size", v->size),
           RR_LOG_INT("size", n), RR_LOG_STR("expected_sha256", v->sha256),
           RR_LOG_STR("sha256", got[0] ? got : NULL));
    snprintf(err, err_len,
             "the stored original is damaged (its %s no longer matches the upload); upload "
             "the video again",
             size_bad ? "size" : "SHA-256");
    return RR_ERR_CORRUPT;
}

static double thread_cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- one analysis run, in a sandboxed child or in this process ---------------------------- */

/* What a run produced: the report and landmark texts as they will be stored, the report as a
 * struct for the workout, the video's geometry and the run's figures. */
struct run {
    char *report_text, *track_text;         /* owned until stored */
    const struct analysis_report *report;   /* points into res or loaded */
    struct video_info info;
    struct pipeline_stats stats;
    double cost_s;                          /* the estimate the budget was checked against */
    int refused;                            /* 1: over the budget (cost_s says by how much),
                                               2: longer than the owner's plan allows */
    struct pipeline_result res;             /* in process */
    int have_res;
    struct sandbox_result sb;               /* sandboxed */
    struct analysis_report *loaded;
    void *doc;
};

static void run_release(struct run *r)
{
    free(r->report_text);
    free(r->track_text);
    if (r->have_res)
        pipeline_result_release(&r->res);
    sandbox_result_release(&r->sb);
    analysis_report_free(r->loaded);
    report_json_doc_free(r->doc);
    memset(r, 0, sizeof *r);
}

static int run_in_process(struct app *a, const char *src, const struct run_opts *ro,
                          struct progress_map *map, struct run *r, char *err, size_t err_len)
{
    char msg[512] = "";
    const char *exercise = ro->exercise;
    struct pipeline_opts o = pipeline_opts_default();
    int rc = check_cost(a, ro, src, &o.limits, &r->cost_s, &r->refused, err, err_len);
    if (rc < 0)
        return rc;
    /* the models last: a damaged or too costly video is refused without them */
    const struct pose_models *models = NULL;
    rc = app_pose_models_kind(a, ro->model, &models, msg, sizeof msg);
    if (rc < 0) {
        snprintf(err, err_len, "cannot load the pose models: %s", msg[0] ? msg : rr_strerror(rc));
        return rc;
    }
    o.threads = 1;
    o.exercise = exercise && exercise[0] ? exercise : NULL;
    o.progress = on_progress;
    o.progress_ud = map;
    progress(map->fn, map->ud, "pose", 0.05);
    rc = pipeline_analyze(src, models, &o, &r->res, msg, sizeof msg);
    r->have_res = 1;
    if (rc < 0) {
        /* said once, in plain words; never the local descriptor path */
        app__failure_words(rc, msg, src, err, err_len);
        return rc;
    }
    r->report = r->res.report;
    r->info = r->res.info;
    r->stats = r->res.stats;
    r->report_text = report_json_dumps(r->res.report);
    r->track_text = landmarks_file_write_track(r->res.frames, r->res.n_frames, r->res.info.fps,
                                               r->res.info.width, r->res.info.height);
    if (!r->report_text || !r->track_text) {
        snprintf(err, err_len, "cannot store the results: %s", rr_strerror(RR_ERR_NOMEM));
        return RR_ERR_NOMEM;
    }
    return 0;
}

struct admit_ctx {
    const struct app *a;
    const struct run_opts *ro;
    struct video_limits lim;
    double cost_s;
    int refused;
};

static int sandbox_admit(void *ud, const struct video_info *in, int64_t *max_frames, char *err,
                         size_t err_len)
{
    struct admit_ctx *c = ud;
    struct video_limits lim = c->lim;
    int rc = admit_video(c->a, c->ro, in, &lim, &c->cost_s, &c->refused, err, err_len);
    if (rc == 0 && lim.max_frames > 0)
        *max_frames = lim.max_frames;
    return rc;
}

static int run_sandboxed(struct app *a, int fd, const struct run_opts *ro,
                         struct progress_map *map, struct run *r, char *err, size_t err_len)
{
    const char *exercise = ro->exercise;
    static const char *const model_names[] = {"lite", "full", "heavy"};
    char msg[512] = "", dirbuf[1024];
    if (fd < 0) {
        snprintf(err, err_len, "cannot read the local copy of the video");
        return RR_ERR_IO;
    }
    const char *dir = a->cfg.model_dir[0] ? a->cfg.model_dir
                                          : pose_model_dir_default(dirbuf, sizeof dirbuf);
    int budget = a->cfg.job_cpu_budget_s;
    struct admit_ctx ac = {a, ro, video_limits_default(), 0, 0};
    struct sandbox_request rq = {
        .exe = a->cfg.analyzer,
        .video_fd = fd,
        .model_dir = dir ? dir : "",
        .model = model_names[(int)ro->model >= 0 && (int)ro->model < 3 ? (int)ro->model : 1],
        .exercise = exercise && exercise[0] ? exercise : NULL,
        .limits = ac.lim,
        .memory_bytes = (int64_t)a->cfg.analysis_memory_bytes,
        /* the estimate can be off by the machine's load and the model's warm-up: twice the
         * budget plus half a minute of CPU, four times that of wall-clock time */
        .cpu_seconds = budget > 0 ? 2 * budget + 30 : 0,
        .wall_ms = budget > 0 ? (int64_t)(8 * budget + 120) * 1000 : INT64_C(24) * 3600 * 1000,
        .admit = sandbox_admit,
        .admit_ud = &ac,
        .progress = on_progress,
        .progress_ud = map,
    };
    progress(map->fn, map->ud, "pose", 0.05);
    int rc = sandbox_analyze(&rq, &r->sb, msg, sizeof msg);
    r->cost_s = ac.cost_s;
    r->refused = ac.refused;
    if (rc < 0) {
        if ((rc == RR_ERR_TOOBIG || rc == RR_ERR_QUOTA) && msg[0]) /* the budget's, the
                                                                       plan's, the limits' words */
            snprintf(err, err_len, "%s", msg);
        else
            app__failure_words(rc, msg, NULL, err, err_len);
        return rc;
    }
    r->info = r->sb.info;
    r->stats = r->sb.stats;
    rc = report_json_load(r->sb.report, r->sb.report_len, &r->loaded, &r->doc, msg, sizeof msg);
    if (rc < 0) {
        snprintf(err, err_len, "the analysis process sent an unreadable report: %s", msg);
        return RR_ERR_CORRUPT;
    }
    r->report = r->loaded;
    r->report_text = r->sb.report;
    r->track_text = r->sb.track;
    r->sb.report = r->sb.track = NULL; /* ours now */
    return 0;
}

static int analyze_run(struct app *a, const char *video_id, const char *exercise, int model,
                       app_progress_fn progress_fn, void *ud, int *permanent, char *err,
                       size_t err_len);

int app_analyze_video(struct app *a, const char *video_id, const char *exercise,
                      app_progress_fn progress_fn, void *ud, int *permanent, char *err,
                      size_t err_len)
{
    return analyze_run(a, video_id, exercise, -1, progress_fn, ud, permanent, err, err_len);
}

/* The run's options: the model (-1: the server's) and the owner's plan (no plan row: no length
 * limit). */
static void run_opts_of(struct app *a, const struct store_video *v, const char *exercise,
                        int model, struct run_opts *ro)
{
    struct store_plan p, next;
    memset(ro, 0, sizeof *ro);
    ro->exercise = exercise && exercise[0] ? exercise : NULL;
    ro->model = model >= 0 && model < 3 ? (enum pose_model_kind)model : a->cfg.model;
    ro->max_video_s = -1;
    if (app_user_plan(a, v->user_id, NULL, &p) < 0)
        return;
    ro->max_video_s = p.max_video_s;
    snprintf(ro->plan_name, sizeof ro->plan_name, "%s", p.name);
    if (app_plan_above(a, &p, &next) == 0) {
        snprintf(ro->next_name, sizeof ro->next_name, "%s", next.name);
        ro->next_max_video_s = next.max_video_s;
    }
}

static int analyze_run(struct app *a, const char *video_id, const char *exercise, int model,
                       app_progress_fn progress_fn, void *ud, int *permanent, char *err,
                       size_t err_len)
{
    struct blob_reader *rd = NULL;
    struct run run;
    int scratch_fd = -1, copy_fd = -1;
    double cpu0 = thread_cpu_ms();
    char tmpdir[1200] = "", src[1300] = "";
    struct store_video v;
    struct progress_map map = {progress_fn, ud};
    int rc;

    memset(&run, 0, sizeof run);
    *permanent = 0;
    err[0] = '\0';
    if (exercise && exercise[0] && !app_exercise_known(exercise)) {
        snprintf(err, err_len, "unknown exercise \"%.40s\"", exercise);
        *permanent = 1;
        return RR_ERR_INVAL;
    }
    rc = store_video_get(a->store, NULL, video_id, &v);
    if (rc < 0) {
        snprintf(err, err_len, "video %.40s: %s", video_id,
                 rc == RR_ERR_NOTFOUND ? "deleted" : rr_strerror(rc));
        *permanent = rc == RR_ERR_NOTFOUND;
        goto out;
    }
    store_video_set_status(a->store, v.id, "processing", -1);

    progress(progress_fn, ud, "fetch", 0.02);
    rc = blob_get(a->blob, v.blob_key, &rd);
    if (rc < 0) {
        snprintf(err, err_len, "the uploaded video is missing from storage: upload it again");
        *permanent = rc == RR_ERR_NOTFOUND;
        goto out;
    }
    int fd = blob_reader_fd(rd);
    rc = app__check_integrity(&v, fd, blob_reader_size(rd), err, err_len);
    if (rc < 0) {
        *permanent = rc == RR_ERR_CORRUPT;
        goto out;
    }

    /* scratch space next to the blobs (same filesystem: finished files are renamed in),
     * locked while the job runs so the sweeper only removes those of dead jobs */
    rc = app__scratch_open(a, tmpdir, sizeof tmpdir, &scratch_fd);
    if (rc < 0) {
        snprintf(err, err_len, "cannot create a scratch directory: %s", rr_strerror(rc));
        goto out;
    }
    if (fd >= 0) {
        snprintf(src, sizeof src, "/proc/self/fd/%d", fd);
    } else { /* a backend without descriptors: copy to a local file */
        snprintf(src, sizeof src, "%s/source", tmpdir);
        copy_fd = open(src, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (copy_fd < 0) {
            rc = RR_ERR_IO;
            snprintf(err, err_len, "cannot write a local copy of the video");
            goto out;
        }
        char buf[65536];
        int64_t n;
        for (n = blob_reader_read(rd, buf, sizeof buf); n > 0;
             n = blob_reader_read(rd, buf, sizeof buf))
            if (write(copy_fd, buf, (size_t)n) != n)
                break;
        if (n != 0) {
            rc = RR_ERR_IO;
            snprintf(err, err_len, "cannot write a local copy of the video");
            goto out;
        }
        /* the copy is what gets analysed: it must hash to the upload's SHA-256 */
        int rfd = open(src, O_RDONLY | O_CLOEXEC);
        rc =
            rfd < 0 ? RR_ERR_IO : app__check_integrity(&v, rfd, blob_reader_size(rd), err, err_len);
        if (rfd >= 0)
            close(rfd);
        if (rc < 0) {
            *permanent = rc == RR_ERR_CORRUPT;
            goto out;
        }
    }
    int in_fd = fd >= 0 ? fd : open(src, O_RDONLY | O_CLOEXEC);
    struct run_opts ro;
    run_opts_of(a, &v, exercise, model, &ro);
    rc = a->cfg.analysis_sandbox ? run_sandboxed(a, in_fd, &ro, &map, &run, err, err_len)
                                 : run_in_process(a, src, &ro, &map, &run, err, err_len);
    if (fd < 0 && in_fd >= 0)
        close(in_fd);
    if (rc < 0) {
        if (run.refused == 1)
            rr_log(RR_LOG_WARN, "analysis refused: over the cost budget", RR_LOG_VIDEO_ID(v.id),
                   RR_LOG_REAL("estimated_cpu_s", run.cost_s),
                   RR_LOG_INT("budget_s", a->cfg.job_cpu_budget_s));
        if (run.refused == 2)
            rr_log(RR_LOG_INFO, "analysis refused: longer than the plan allows",
                   RR_LOG_VIDEO_ID(v.id), RR_LOG_INT("max_video_s", ro.max_video_s));
        *permanent = is_permanent(rc) || run.refused;
        goto out;
    }
    rr_log(RR_LOG_INFO, "analysis cost", RR_LOG_VIDEO_ID(v.id),
           RR_LOG_INT("width", run.info.width), RR_LOG_INT("height", run.info.height),
           RR_LOG_UINT("frames", run.stats.frames), RR_LOG_REAL("estimated_cpu_s", run.cost_s),
           RR_LOG_REAL("wall_ms", run.stats.wall_ms),
           RR_LOG_REAL("decode_busy_ms", run.stats.decode_busy_ms),
           RR_LOG_REAL("pose_busy_ms", run.stats.pose_busy_ms),
           RR_LOG_INT("sandboxed", a->cfg.analysis_sandbox),
           RR_LOG_REAL("sandbox_startup_ms", run.sb.startup_ms),
           RR_LOG_REAL("sandbox_cpu_ms", run.sb.child_cpu_ms),
           RR_LOG_INT("sandbox_max_rss_kb", run.sb.child_max_rss_kb),
           RR_LOG_REAL("worker_cpu_ms", thread_cpu_ms() - cpu0));
    progress(progress_fn, ud, "store", 0.96);
    rc = put_text(a->blob, v.id, "report", run.report_text);
    run.report_text = NULL;
    if (rc == 0) /* the skeleton track the dashboard draws over the replay */
        rc = put_text(a->blob, v.id, "landmarks", run.track_text);
    run.track_text = NULL;
    if (rc < 0) {
        snprintf(err, err_len, "cannot store the results: %s", rr_strerror(rc));
        goto out;
    }
    /* an earlier run's overlay and thumbnails showed its verdicts: they go (best effort) */
    static const char *const stale[] = {"overlay", "best", "worst"};
    for (size_t i = 0; i < sizeof stale / sizeof stale[0]; i++) {
        char key[BLOB_KEY_MAX + 1];
        if (app_video_key(v.id, stale[i], key, sizeof key))
            (void)blob_delete(a->blob, key);
    }
    int64_t duration_ms = run.info.duration_us > 0 ? run.info.duration_us / 1000
                                                   : (int64_t)(run.report->duration_s * 1000);
    char workout_id[STORE_ID_LEN + 1];
    rc = save_workout(a, &v, run.report, duration_ms, workout_id, err, err_len);
    if (rc < 0)
        goto out;
    /* the orgs the member shares workouts with hear of it: recorded with the status, sent by
     * the drain (a failure there is only logged; the row waits for the next drain) */
    const struct store_outbox_event done = {APP_WEBHOOK_ANALYSIS_COMPLETED,
                                            APP_SCOPE_WORKOUTS_READ, NULL};
    rc = store_video_set_status_ev(a->store, v.id, "analysed", duration_ms, &done);
    if (rc < 0)
        snprintf(err, err_len, "cannot mark the video analysed: %s", rr_strerror(rc));
    else { /* metered per analysis run (a re-analysis counts again); the org follows the user */
        (void)app_outbox_drain(a, v.user_id, NULL);
        (void)store_usage_add(a->store, v.user_id, NULL, "video_seconds",
                              (duration_ms + 999) / 1000, v.id);
    }
out:
    run_release(&run);
    if (copy_fd >= 0)
        close(copy_fd);
    blob_reader_close(rd);
    app__scratch_close(tmpdir, scratch_fd);
    return rc;
}

void app__analyze_payload(const char *exercise, int overlay, const char *model, char *out,
                          size_t cap)
{
    struct rr_json j;
    char stack[256];
    rr_json_init(&j, stack, sizeof stack, cap - 1);
    rr_json_object_begin(&j);
    if (exercise && exercise[0]) {
        RR_JSON_KEY(&j, "exercise");
        rr_json_string(&j, exercise);
    }
    if (overlay) {
        RR_JSON_KEY(&j, "overlay");
        rr_json_bool(&j, 1);
    }
    if (model && model[0]) {
        RR_JSON_KEY(&j, "model");
        rr_json_string(&j, model);
    }
    rr_json_object_end(&j);
    if (rr_json_finish(&j) == 0)
        snprintf(out, cap, "%.*s", (int)rr_json_len(&j), rr_json_data(&j));
    else
        snprintf(out, cap, "{}");
    rr_json_release(&j);
}

int app_reanalyze_video(struct app *a, const char *user_id, const char *video_id,
                        const char *exercise, char job_id[STORE_ID_LEN + 1])
{
    struct store_video v;
    if (!a || !user_id || !video_id || !job_id)
        return RR_ERR_INVAL;
    if (exercise && exercise[0] && !app_exercise_known(exercise))
        return RR_ERR_INVAL;
    int rc = store_video_get(a->store, user_id, video_id, &v);
    if (rc < 0)
        return rc;
    struct store_job *job = malloc(sizeof *job); /* ~5 KB: off the request thread's stack */
    if (!job)
        return RR_ERR_NOMEM;
    rc = store_job_find_for_video(a->store, user_id, v.id, APP_KIND_ANALYZE_VIDEO, job);
    int busy = rc == 0 && (job->state == STORE_JOB_QUEUED || job->state == STORE_JOB_RUNNING);
    free(job);
    if (rc < 0 && rc != RR_ERR_NOTFOUND)
        return rc;
    if (busy)
        return RR_ERR_CONFLICT;
    char payload[128];
    app__analyze_payload(exercise, 0, NULL, payload, sizeof payload);
    return app__enqueue(a, APP_KIND_ANALYZE_VIDEO, user_id, v.id, payload, job_id);
}

/* ---- the analyze_video job ------------------------------------------------------------------ */

static void job_progress_fn(void *ud, const char *stage, double fraction)
{
    job_progress(ud, stage, fraction);
}

/* The job's video is its video_id column; the exercise (and whether the overlay should follow)
 * its payload. On a failure no retry can fix, or on the last attempt, the video ends "failed"
 * with the job's message. */
int app__job_analyze_video(struct job_ctx *ctx, char *err, size_t err_len)
{
    struct app *a = ctx->ctx;
    const struct store_job *job = ctx->job;
    if (!job->video_id[0]) {
        snprintf(err, err_len, "the job names no video (video_id)");
        ctx->permanent = 1;
        return RR_ERR_INVAL;
    }
    json_t *p = json_loads(job->payload, 0, NULL);
    const char *exercise = json_string_value(json_object_get(p, "exercise"));
    int overlay = json_is_true(json_object_get(p, "overlay"));
    const char *mname = json_string_value(json_object_get(p, "model"));
    static const char *const kinds[] = {"lite", "full", "heavy"};
    int model = -1;
    for (int k = 0; mname && k < 3; k++)
        if (strcmp(mname, kinds[k]) == 0)
            model = k;
    /* the heavy model was checked against the plan when it was asked for; a plan that lost it
     * since gets the server's model */
    if (model == POSE_MODEL_HEAVY && job->user_id[0] &&
        app_plan_feature(a, job->user_id, "heavy_model", NULL) != 0) {
        job_log(ctx, RR_LOG_WARN, "heavy model no longer in the plan: server model used",
                job->video_id);
        model = -1;
    }
    int permanent = 0;
    int rc = analyze_run(a, job->video_id, exercise, model, job_progress_fn, ctx, &permanent, err,
                         err_len);
    json_decref(p);
    ctx->permanent = permanent;
    if (rc < 0 && (permanent || job->attempts >= job->max_attempts))
        store_video_fail(a->store, job->video_id, err[0] ? err : rr_strerror(rc));
    if (rc == 0 && overlay) { /* asked for at upload: the overlay follows, the report is out */
        char id[STORE_ID_LEN + 1];
        int q = 0;
        if (app_render_video(a, job->user_id[0] ? job->user_id : NULL, job->video_id, id, &q) < 0)
            job_log(ctx, RR_LOG_WARN, "overlay not queued", job->video_id);
    }
    return rc;
}

/* Dead-lettered without the handler deciding it (the lease ran out on the last attempt: the
 * worker crashed or hung every time): the video fails with the job's reason. */
void app__job_analyze_video_dead(void *app, const struct store_job *job)
{
    struct app *a = app;
    if (!job->video_id[0])
        return;
    char msg[STORE_ERROR_MAX + 32]; /* the store cuts it to STORE_ERROR_MAX */
    /* the lease ran out on every attempt: say so in plain words (job->error keeps the detail) */
    char times[32] = "once";
    if (job->attempts > 1)
        snprintf(times, sizeof times, "%d times", job->attempts);
    snprintf(msg, sizeof msg, "the analysis stopped before it finished, %s: try again later",
             times);
    store_video_fail(a->store, job->video_id, msg);
}
