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
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_int.h"
#include "base/rr_error.h"
#include "blob/blob.h"
#include "pipeline/analyze.h"

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
    /* the overlay video is a plan feature (the owner's plan, also for system callers) */
    rc = app_plan_feature(a, v.user_id, "overlay_video", NULL);
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

int app_render_video_run(struct app *a, const char *video_id, app_progress_fn progress_fn,
                         void *ud, int *permanent, char *err, size_t err_len)
{
    struct store_video v;
    struct app_source src = {.copy_fd = -1};
    struct blob_reader *lm = NULL;
    struct pipeline_result res;
    char tmpdir[1200] = "", overlay[1300], lm_path[64], msg[512] = "";
    int scratch_fd = -1;
    char *report = NULL;
    size_t report_len = 0;
    int have_res = 0;

    *permanent = 0;
    err[0] = '\0';
    int rc = store_video_get(a->store, NULL, video_id, &v);
    if (rc < 0) {
        snprintf(err, err_len, "video %.40s: %s", video_id,
                 rc == RR_ERR_NOTFOUND ? "deleted" : rr_strerror(rc));
        *permanent = rc == RR_ERR_NOTFOUND;
        return rc;
    }
    if (strcmp(v.status, "analysed") != 0) {
        snprintf(err, err_len, "the video is not analysed (yet): nothing to draw");
        *permanent = 1;
        return RR_ERR_CONFLICT;
    }
    progress(progress_fn, ud, "fetch", 0.02);
    rc = read_text(a, v.id, "report", &report, &report_len);
    char key[BLOB_KEY_MAX + 1];
    if (rc == 0 && app_video_key(v.id, "landmarks", key, sizeof key))
        rc = blob_get(a->blob, key, &lm);
    if (rc == 0 && blob_reader_fd(lm) < 0)
        rc = RR_ERR_UNSUPPORTED;
    if (rc < 0) {
        snprintf(err, err_len, "the stored analysis cannot be read (%s): analyse the video again",
                 rr_strerror(rc));
        *permanent = rc == RR_ERR_NOTFOUND || rc == RR_ERR_UNSUPPORTED;
        goto out;
    }
    snprintf(lm_path, sizeof lm_path, "/proc/self/fd/%d", blob_reader_fd(lm));
    rc = app__scratch_open(a, tmpdir, sizeof tmpdir, &scratch_fd);
    if (rc < 0) {
        snprintf(err, err_len, "cannot create a scratch directory: %s", rr_strerror(rc));
        goto out;
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
    struct pipeline_opts o = pipeline_opts_default();
    o.overlay_path = overlay;
    o.thumbs_dir = tmpdir;
    o.progress = on_render_progress;
    o.progress_ud = &map;
    rc = pipeline_render(src.path, report, report_len, lm_path, &o, &res, msg, sizeof msg);
    have_res = 1;
    if (rc < 0) {
        app__failure_words(rc, msg, src.path, err, err_len);
        *permanent = app__bad_input(rc);
        goto out;
    }
    progress(progress_fn, ud, "store", 0.95);
    rc = app__put_file_if_any(a->blob, v.id, "overlay", overlay);
    if (rc == 0 && res.has_thumbs)
        rc = app__put_file_if_any(a->blob, v.id, "best", res.thumb_best);
    if (rc == 0 && res.has_thumbs)
        rc = app__put_file_if_any(a->blob, v.id, "worst", res.thumb_worst);
    if (rc < 0)
        snprintf(err, err_len, "cannot store the overlay: %s", rr_strerror(rc));
out:
    if (have_res)
        pipeline_result_release(&res);
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
