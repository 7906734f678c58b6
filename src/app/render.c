/*
 * render.c - the overlay video and the best/worst thumbnails of an analysed video, made only
 * when asked (a button on the replay, or the upload's "overlay" setting): the render_video job
 * kind and the use cases that queue and run it.
 *
 * DESIGN: the analysis job ends when the report is stored (app/analyze.c), so the dashboard
 * shows results as soon as they exist; drawing the overlay needs a second decoding pass and an
 * H.264 encode, about as long as the analysis itself, and most people never watch it. The
 * render reads back what the analysis stored (report.json and the landmark track) and draws
 * exactly those verdicts (pipeline_render), so the overlay never disagrees with the report.
 *
 * Like the analysis (issue 15), the render decodes the untrusted upload only in a sandboxed
 * child (sandbox_render: the same rlimits and seccomp filter; the overlay and thumbnails are
 * published here only when the child ended well) when cfg.analysis_sandbox is on, and is held
 * to cfg.job_cpu_budget_s on the child's reading of the header (one decoding pass plus the
 * overlay's convert, draw and encode per frame); in process otherwise, with the same budget.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app/app_int.h"
#include "base/rr_error.h"
#include "base/rr_log.h"
#include "blob/blob.h"
#include "pipeline/analyze.h"
#include "pipeline/sandbox.h"

#define RENDER_REPORT_MAX (4 << 20)

int app_render_video(struct app *a, const char *user_id, const char *video_id,
                     char job_id[STORE_ID_LEN + 1], int *queued)
{
    struct store_video v;
    if (!a || !video_id || !job_id || !queued)
        return RR_ERR_INVAL;
    *queued = 0;
    int rc = store_video_get(a->store, user_id, video_id, &v);
    if (rc < 0)
        return rc;
    if (strcmp(v.status, "analysed") != 0)
        return RR_ERR_CONFLICT;
    struct store_job *job = malloc(sizeof *job); /* ~5 KB: off the request thread's stack */
    if (!job)
        return RR_ERR_NOMEM;
    rc = store_job_find_for_video(a->store, user_id, v.id, APP_KIND_RENDER_VIDEO, job);
    if (rc == 0 && (job->state == STORE_JOB_QUEUED || job->state == STORE_JOB_RUNNING)) {
        memcpy(job_id, job->id, STORE_ID_LEN + 1); /* already on its way */
        free(job);
        return 0;
    }
    free(job);
    if (rc < 0 && rc != RR_ERR_NOTFOUND)
        return rc;
    rc = app__enqueue(a, APP_KIND_RENDER_VIDEO, v.user_id, v.id, NULL, job_id);
    if (rc == 0)
        *queued = 1;
    return rc;
}

/* A stored derived object of the video as text (report.json). */
static int read_text(struct app *a, const char *video_id, const char *which, char **out,
                     size_t *len)
{
    char key[BLOB_KEY_MAX + 1];
    struct blob_reader *r = NULL;
    *out = NULL;
    if (!app_video_key(video_id, which, key, sizeof key))
        return RR_ERR_INVAL;
    int rc = blob_get(a->blob, key, &r);
    if (rc < 0)
        return rc;
    int64_t size = blob_reader_size(r);
    char *buf = size > 0 && size <= RENDER_REPORT_MAX ? malloc((size_t)size + 1) : NULL;
    rc = !buf ? (size > RENDER_REPORT_MAX ? RR_ERR_TOOBIG : RR_ERR_NOMEM)
         : blob_reader_read(r, buf, (size_t)size) == size ? 0
                                                          : RR_ERR_IO;
    blob_reader_close(r);
    if (rc < 0) {
        free(buf);
        return rc;
    }
    buf[size] = '\0';
    *out = buf;
    *len = (size_t)size;
    return 0;
}

static void progress(app_progress_fn fn, void *ud, const char *stage, double fraction)
{
    if (fn)
        fn(ud, stage, fraction);
}

struct render_progress {
    app_progress_fn fn;
    void *ud;
};

static void on_render_progress(void *ud, const char *stage, double fraction)
{
    const struct render_progress *m = ud;
    if (strcmp(stage, "overlay") == 0)
        fraction = 0.05 + 0.85 * fraction;
    progress(m->fn, m->ud, stage, fraction);
}

/* Copy everything r holds into a new file at path. */
static int copy_to_file(struct blob_reader *r, const char *path)
{
    char buf[65536];
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return RR_ERR_IO;
    int64_t n;
    int rc = 0;
    for (n = blob_reader_read(r, buf, sizeof buf); n > 0; n = blob_reader_read(r, buf, sizeof buf))
        if (write(fd, buf, (size_t)n) != n) {
            rc = RR_ERR_IO;
            break;
        }
    if (rc == 0 && n < 0)
        rc = (int)n;
    if (close(fd) != 0 && rc == 0)
        rc = RR_ERR_IO;
    return rc;
}

/* What one render produced (paths in the scratch dir) and cost. */
struct render_out {
    int has_thumbs;
    char best[4096], worst[4096];
    size_t frames;
    double cost_s;
    int refused;
    struct sandbox_render_result sb; /* sandboxed: the child's figures */
};

struct render_admit {
    const struct app *a;
    double cost_s;
    int refused;
};

static int render_admit(void *ud, const struct video_info *in, int64_t *max_frames, char *err,
                        size_t err_len)
{
    struct render_admit *c = ud;
    struct video_limits lim = video_limits_default();
    int rc = app__admit_render(c->a, in, &lim, &c->cost_s, err, err_len);
    c->refused = rc < 0;
    if (rc == 0 && lim.max_frames > 0)
        *max_frames = lim.max_frames;
    return rc;
}

/* The render in a sandboxed child (pipeline/sandbox.h): the untrusted decode never runs here. */
static int render_sandboxed(struct app *a, const struct app_source *src, const char *report,
                            size_t report_len, int track_fd, const char *overlay,
                            const char *tmpdir, struct render_progress *map,
                            struct render_out *ro, char *err, size_t err_len)
{
    char msg[512] = "";
    int fd = blob_reader_fd(src->rd);
    int own_fd = fd < 0 ? open(src->path, O_RDONLY | O_CLOEXEC) : -1;
    if (fd < 0)
        fd = own_fd;
    if (fd < 0) {
        snprintf(err, err_len, "cannot read the local copy of the video");
        return RR_ERR_IO;
    }
    int budget = a->cfg.job_cpu_budget_s;
    struct render_admit ac = {a, 0, 0};
    struct sandbox_render_request rq = {
        .exe = a->cfg.analyzer,
        .video_fd = fd,
        .report = report,
        .report_len = report_len,
        .track_fd = track_fd,
        .overlay_path = overlay,
        .thumbs_dir = tmpdir,
        .limits = video_limits_default(),
        .memory_bytes = (int64_t)a->cfg.analysis_memory_bytes,
        /* as the analysis: twice the budget plus half a minute of CPU, four times that of
         * wall-clock time */
        .cpu_seconds = budget > 0 ? 2 * budget + 30 : 0,
        .wall_ms = budget > 0 ? (int64_t)(8 * budget + 120) * 1000 : INT64_C(24) * 3600 * 1000,
        .admit = render_admit,
        .admit_ud = &ac,
        .progress = on_render_progress,
        .progress_ud = map,
    };
    int rc = sandbox_render(&rq, &ro->sb, msg, sizeof msg);
    if (own_fd >= 0)
        close(own_fd);
    ro->cost_s = ac.cost_s;
    ro->refused = ac.refused;
    if (rc < 0) {
        if (rc == RR_ERR_TOOBIG && msg[0]) /* the budget's or the limits' own words */
            snprintf(err, err_len, "%s", msg);
        else
            app__failure_words(rc, msg, NULL, err, err_len);
        return rc;
    }
    ro->frames = ro->sb.frames;
    ro->has_thumbs = ro->sb.has_thumbs;
    snprintf(ro->best, sizeof ro->best, "%s", ro->sb.thumb_best);
    snprintf(ro->worst, sizeof ro->worst, "%s", ro->sb.thumb_worst);
    return 0;
}

/* The render in this process (cfg.analysis_sandbox off), held to the same budget. */
static int render_in_process(struct app *a, const struct app_source *src, const char *report,
                             size_t report_len, int track_fd, const char *overlay,
                             const char *tmpdir, struct render_progress *map,
                             struct render_out *ro, char *err, size_t err_len)
{
    char msg[512] = "";
    struct pipeline_opts o = pipeline_opts_default();
    struct video *vd = NULL;
    if (video_open(src->path, &o.limits, &vd, msg, sizeof msg) == 0) {
        struct video_info in = *video_get_info(vd);
        video_close(vd);
        int rc = app__admit_render(a, &in, &o.limits, &ro->cost_s, err, err_len);
        if (rc < 0) {
            ro->refused = 1;
            return rc;
        }
    } /* else the render says it in its own words */
    msg[0] = '\0';
    o.overlay_path = overlay;
    o.thumbs_dir = tmpdir;
    o.progress = on_render_progress;
    o.progress_ud = map;
    struct pipeline_result res;
    int rc = pipeline_render(src->path, report, report_len, track_fd, &o, &res, msg, sizeof msg);
    if (rc < 0) {
        app__failure_words(rc, msg, src->path, err, err_len);
    } else {
        ro->frames = res.stats.frames;
        ro->has_thumbs = res.has_thumbs;
        snprintf(ro->best, sizeof ro->best, "%s", res.thumb_best);
        snprintf(ro->worst, sizeof ro->worst, "%s", res.thumb_worst);
    }
    pipeline_result_release(&res);
    return rc;
}

static double thread_cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int app_render_video_run(struct app *a, const char *video_id, app_progress_fn progress_fn,
                         void *ud, int *permanent, char *err, size_t err_len)
{
    struct store_video v;
    struct app_source src = {.copy_fd = -1};
    struct blob_reader *lm = NULL;
    char tmpdir[1200] = "", overlay[1300], lm_path[1300];
    int scratch_fd = -1, track_fd = -1, own_track_fd = -1;
    char *report = NULL;
    size_t report_len = 0;
    double cpu0 = thread_cpu_ms();
    struct render_out *ro = calloc(1, sizeof *ro); /* ~8 KB of paths: off the stack */

    *permanent = 0;
    err[0] = '\0';
    if (!ro)
        return RR_ERR_NOMEM;
    int rc = store_video_get(a->store, NULL, video_id, &v);
    if (rc < 0) {
        snprintf(err, err_len, "video %.40s: %s", video_id,
                 rc == RR_ERR_NOTFOUND ? "deleted" : rr_strerror(rc));
        *permanent = rc == RR_ERR_NOTFOUND;
        free(ro);
        return rc;
    }
    if (strcmp(v.status, "analysed") != 0) {
        snprintf(err, err_len, "the video is not analysed (yet): nothing to draw");
        *permanent = 1;
        free(ro);
        return RR_ERR_CONFLICT;
    }
    progress(progress_fn, ud, "fetch", 0.02);
    rc = read_text(a, v.id, "report", &report, &report_len);
    char key[BLOB_KEY_MAX + 1];
    if (rc == 0 && app_video_key(v.id, "landmarks", key, sizeof key))
        rc = blob_get(a->blob, key, &lm);
    if (rc < 0) {
        snprintf(err, err_len, "the stored analysis cannot be read (%s): analyse the video again",
                 rr_strerror(rc));
        *permanent = rc == RR_ERR_NOTFOUND;
        goto out;
    }
    rc = app__scratch_open(a, tmpdir, sizeof tmpdir, &scratch_fd);
    if (rc < 0) {
        snprintf(err, err_len, "cannot create a scratch directory: %s", rr_strerror(rc));
        goto out;
    }
    track_fd = blob_reader_fd(lm);
    if (track_fd < 0) { /* a remote store (S3): a local copy for the renderer */
        snprintf(lm_path, sizeof lm_path, "%s/landmarks", tmpdir);
        rc = copy_to_file(lm, lm_path);
        if (rc == 0 && (own_track_fd = open(lm_path, O_RDONLY | O_CLOEXEC)) < 0)
            rc = RR_ERR_IO;
        if (rc < 0) {
            snprintf(err, err_len, "cannot copy the stored analysis: %s", rr_strerror(rc));
            goto out;
        }
        track_fd = own_track_fd;
    }
    rc = app__source_open(a, &v, tmpdir, &src, err, err_len, permanent);
    if (rc == 0) /* the original as uploaded, as the analysis checked it */
        rc = app__check_integrity(&v, blob_reader_fd(src.rd), blob_reader_size(src.rd), err,
                                  err_len);
    if (rc == RR_ERR_CORRUPT)
        *permanent = 1;
    if (rc < 0)
        goto out;
    snprintf(overlay, sizeof overlay, "%s/overlay.mp4", tmpdir);
    struct render_progress map = {progress_fn, ud};
    rc = a->cfg.analysis_sandbox
             ? render_sandboxed(a, &src, report, report_len, track_fd, overlay, tmpdir, &map, ro,
                                err, err_len)
             : render_in_process(a, &src, report, report_len, track_fd, overlay, tmpdir, &map,
                                 ro, err, err_len);
    if (rc < 0) {
        if (ro->refused)
            rr_log(RR_LOG_WARN, "render refused: over the cost budget", RR_LOG_VIDEO_ID(v.id),
                   RR_LOG_REAL("estimated_cpu_s", ro->cost_s),
                   RR_LOG_INT("budget_s", a->cfg.job_cpu_budget_s));
        *permanent = app__bad_input(rc);
        goto out;
    }
    rr_log(RR_LOG_INFO, "render cost", RR_LOG_VIDEO_ID(v.id), RR_LOG_UINT("frames", ro->frames),
           RR_LOG_REAL("estimated_cpu_s", ro->cost_s),
           RR_LOG_INT("sandboxed", a->cfg.analysis_sandbox),
           RR_LOG_REAL("sandbox_startup_ms", ro->sb.startup_ms),
           RR_LOG_REAL("sandbox_cpu_ms", ro->sb.child_cpu_ms),
           RR_LOG_INT("sandbox_max_rss_kb", ro->sb.child_max_rss_kb),
           RR_LOG_REAL("worker_cpu_ms", thread_cpu_ms() - cpu0));
    progress(progress_fn, ud, "store", 0.95);
    rc = app__put_file_if_any(a->blob, v.id, "overlay", overlay);
    if (rc == 0 && ro->has_thumbs)
        rc = app__put_file_if_any(a->blob, v.id, "best", ro->best);
    if (rc == 0 && ro->has_thumbs)
        rc = app__put_file_if_any(a->blob, v.id, "worst", ro->worst);
    if (rc < 0)
        snprintf(err, err_len, "cannot store the overlay: %s", rr_strerror(rc));
out:
    if (own_track_fd >= 0)
        close(own_track_fd);
    free(ro);
    free(report);
    blob_reader_close(lm);
    app__source_close(&src);
    app__scratch_close(tmpdir, scratch_fd);
    return rc;
}

static void job_progress_fn(void *ud, const char *stage, double fraction)
{
    job_progress(ud, stage, fraction);
}

int app__job_render_video(struct job_ctx *ctx, char *err, size_t err_len)
{
    const struct store_job *job = ctx->job;
    if (!job->video_id[0]) {
        snprintf(err, err_len, "the job names no video (video_id)");
        ctx->permanent = 1;
        return RR_ERR_INVAL;
    }
    int permanent = 0;
    int rc = app_render_video_run(ctx->ctx, job->video_id, job_progress_fn, ctx, &permanent, err,
                                  err_len);
    ctx->permanent = permanent;
    return rc;
}
