/*
 * analyze_job.c - the analyze_video job: fetch the uploaded video from the blob store, run
 * pipeline_analyze (report, overlay, thumbnails), store the derived objects under
 * videos/<id>/..., save the workout (sets, reps; replaced on a re-run, never duplicated), mark
 * the video analysed or failed, and update the analytics aggregates when that module exists.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../api/app.h"
#include "../base/rr_error.h"
#include "../blob/blob.h"
#include "../pipeline/analyze.h"
#include "../pipeline/landmarks_file.h"
#include "../pipeline/report_json.h"
#include "queue.h"
#include "worker.h"

#if defined(__has_include)
#if __has_include("../analytics/analytics.h")
#include "../analytics/analytics.h"
#define HAVE_ANALYTICS 1
#endif
#endif

static int id_ok(const char *id)
{
    if (!id || strlen(id) != STORE_ID_LEN)
        return 0;
    for (size_t i = 0; i < STORE_ID_LEN; i++) {
        char c = id[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return 0;
    }
    return 1;
}

const char *queue_video_key(const char *video_id, const char *which, char *buf, size_t len)
{
    if (!id_ok(video_id) || !which || !buf)
        return NULL;
    const char *tail = NULL;
    if (strcmp(which, "overlay") == 0)
        tail = "overlay.mp4";
    else if (strcmp(which, "best") == 0)
        tail = "thumbs/best.jpg";
    else if (strcmp(which, "worst") == 0)
        tail = "thumbs/worst.jpg";
    else if (strcmp(which, "report") == 0)
        tail = "report.json";
    else if (strcmp(which, "landmarks") == 0)
        tail = "landmarks.json";
    if (!tail)
        return NULL;
    int n = snprintf(buf, len, "videos/%s/%s", video_id, tail);
    if (n < 0 || (size_t)n >= len)
        return NULL;
    return buf;
}

static void on_progress(void *ud, const char *stage, double fraction)
{
    struct job_ctx *ctx = ud;
    /* pose pass is the bulk of the work: 0..80 %, analysis 80, overlay/thumbs 85..99 */
    double f = fraction;
    if (strcmp(stage, "pose") == 0)
        f = 0.05 + 0.75 * fraction;
    else if (strcmp(stage, "analysis") == 0)
        f = 0.8;
    else if (strcmp(stage, "overlay") == 0)
        f = 0.85 + 0.1 * fraction;
    else if (strcmp(stage, "done") == 0)
        f = 0.95;
    job_progress(ctx, stage, f);
}

static json_t *num_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static void rep_metrics(const struct analysis_rep *r, char *out, size_t cap)
{
    json_t *o = json_object();
    if (o) {
        json_object_set_new(o, "rom", num_or_null(r->rom));
        if (r->rom_unit)
            json_object_set_new(o, "rom_unit", json_string(r->rom_unit));
        json_object_set_new(o, "depth", num_or_null(r->depth));
        if (r->depth_name)
            json_object_set_new(o, "depth_name", json_string(r->depth_name));
        json_object_set_new(o, "concentric_s", num_or_null(r->concentric_s));
        json_object_set_new(o, "eccentric_s", num_or_null(r->eccentric_s));
        json_object_set_new(o, "symmetry_deg", num_or_null(r->symmetry_deg));
        json_object_set_new(o, "verdict", json_string(analysis_verdict_name(r->verdict)));
        json_object_set_new(o, "confidence", num_or_null(r->confidence));
        if (r->cannot_judge_reason)
            json_object_set_new(o, "cannot_judge_reason", json_string(r->cannot_judge_reason));
    }
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    snprintf(out, cap, "%s", s && strlen(s) < cap ? s : "{}");
    free(s);
    json_decref(o);
}

static void rep_faults(const struct analysis_rep *r, char *out, size_t cap)
{
    json_t *a = json_array();
    for (int i = 0; a && i < r->n_checks && i < ANALYSIS_MAX_CHECKS; i++)
        if (r->checks[i].outcome == ANALYSIS_FAULT && r->checks[i].name)
            json_array_append_new(a, json_string(r->checks[i].name));
    char *s = a ? json_dumps(a, JSON_COMPACT) : NULL;
    snprintf(out, cap, "%s", s && strlen(s) < cap ? s : "[]");
    free(s);
    json_decref(a);
}

/* Save the report's workout: one set, one row per rep. Replaces an earlier run's workout. */
static int save_workout(struct store *s, const struct store_video *v,
                        const struct analysis_report *rep, int64_t duration_ms,
                        struct store_workout *w, char *err, size_t err_len)
{
    memset(w, 0, sizeof *w);
    snprintf(w->user_id, sizeof w->user_id, "%s", v->user_id);
    snprintf(w->video_id, sizeof w->video_id, "%s", v->id);
    snprintf(w->exercise, sizeof w->exercise, "%s", rep->exercise ? rep->exercise : "unknown");
    w->started_at = v->created_at;
    w->duration_ms = duration_ms;
    w->score = isfinite(rep->set.mean_score) ? rep->set.mean_score
               : (rep->is_hold && isfinite(rep->hold.mean_score)) ? rep->hold.mean_score
                                                                  : 0;
    struct store_set set;
    memset(&set, 0, sizeof set);
    set.idx = 0;
    snprintf(set.exercise, sizeof set.exercise, "%s", w->exercise);
    set.reps = (int)rep->n_reps;
    set.score = w->score;
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
    int rc = store_workout_put(s, w, &set, 1, reps, nreps, NULL);
    if (rc < 0)
        snprintf(err, err_len, "cannot save the workout: %s", rr_strerror(rc));
    free(reps);
    return rc;
}

/* Store `text` (taken, freed) under the video's derived key `which`. */
static int put_text(struct blob *b, const char *video_id, const char *which, char *text)
{
    char key[BLOB_KEY_MAX + 1];
    if (!text)
        return RR_ERR_NOMEM;
    if (!queue_video_key(video_id, which, key, sizeof key)) {
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

static int put_file_if_any(struct blob *b, const char *video_id, const char *which,
                           const char *path)
{
    struct stat st;
    char key[BLOB_KEY_MAX + 1];
    if (!path || !path[0] || stat(path, &st) != 0)
        return 0;
    if (!queue_video_key(video_id, which, key, sizeof key))
        return RR_ERR_INVAL;
    return blob_put_file(b, key, path, NULL);
}

static void rm_tree_flat(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char p[2048];
    for (e = readdir(d); e; e = readdir(d)) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

/* Decoding problems that no retry can fix. */
static int is_bad_input(int rc)
{
    return rc == RR_ERR_CORRUPT || rc == RR_ERR_UNSUPPORTED || rc == RR_ERR_TOOBIG ||
           rc == RR_ERR_NOPOSE || rc == RR_ERR_EOF || rc == RR_ERR_INVAL;
}

int job_analyze_video(struct job_ctx *ctx, char *err, size_t err_len)
{
    struct app *a = ctx->app;
    const struct store_job *job = ctx->job;
    struct blob_reader *rd = NULL;
    struct pipeline_result res;
    int have_res = 0, tmp_made = 0, copy_fd = -1;
    char tmpdir[1200] = "", src[1300] = "", overlay[1300] = "";
    char msg[512] = "";
    struct store_video v;
    int rc;

    json_error_t jerr;
    json_t *pl = json_loads(job->payload, 0, &jerr);
    const char *vid = pl ? json_string_value(json_object_get(pl, "video_id")) : NULL;
    if (!id_ok(vid)) {
        snprintf(err, err_len, "payload has no valid video_id");
        ctx->permanent = 1;
        rc = RR_ERR_INVAL;
        goto out;
    }
    rc = store_video_get(a->store, NULL, vid, &v);
    if (rc < 0) {
        snprintf(err, err_len, "video %s: %s", vid, rc == RR_ERR_NOTFOUND ? "deleted" : rr_strerror(rc));
        ctx->permanent = rc == RR_ERR_NOTFOUND;
        goto out;
    }
    store_video_set_status(a->store, v.id, "processing", -1);

    const struct pose_models *models = NULL;
    rc = worker_pool_models(ctx->pool, &models, msg, sizeof msg);
    if (rc < 0) {
        snprintf(err, err_len, "cannot load the pose models: %s", msg[0] ? msg : rr_strerror(rc));
        goto out;
    }
    job_progress(ctx, "fetch", 0.02);
    rc = blob_get(a->blob, v.blob_key, &rd);
    if (rc < 0) {
        snprintf(err, err_len, "original video missing from the blob store: %s", rr_strerror(rc));
        ctx->permanent = rc == RR_ERR_NOTFOUND;
        goto out;
    }

    /* scratch space next to the blobs (same filesystem: finished files are renamed in) */
    const char *base = a->cfg.data_dir[0] ? a->cfg.data_dir : "/tmp";
    char work[1100];
    snprintf(work, sizeof work, "%s/work", base);
    mkdir(base, 0700);
    mkdir(work, 0700);
    snprintf(tmpdir, sizeof tmpdir, "%s/job-XXXXXX", work);
    if (!mkdtemp(tmpdir)) {
        snprintf(err, err_len, "cannot create a scratch directory: %s", strerror(errno));
        rc = RR_ERR_IO;
        goto out;
    }
    tmp_made = 1;
    int fd = blob_reader_fd(rd);
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
    }
    snprintf(overlay, sizeof overlay, "%s/overlay.mp4", tmpdir);

    struct pipeline_opts o = pipeline_opts_default();
    o.threads = 1;
    o.overlay_path = overlay;
    o.thumbs_dir = tmpdir;
    o.progress = on_progress;
    o.progress_ud = ctx;
    job_progress(ctx, "pose", 0.05);
    rc = pipeline_analyze(src, models, &o, &res, msg, sizeof msg);
    have_res = 1;
    if (rc < 0) {
        /* never leak the local descriptor path into the message */
        snprintf(err, err_len, "analysis failed: %s", msg[0] ? msg : rr_strerror(rc));
        size_t sl = strlen(src);
        const char *name = "the video";
        size_t nl = strlen(name); /* shorter than src: the text only shrinks */
        for (char *p = strstr(err, src); p; p = strstr(p + nl, src)) {
            memmove(p + nl, p + sl, strlen(p + sl) + 1);
            memcpy(p, name, nl);
        }
        ctx->permanent = is_bad_input(rc);
        goto out;
    }
    job_progress(ctx, "store", 0.96);
    rc = put_text(a->blob, v.id, "report", report_json_dumps(res.report));
    if (rc == 0) /* the skeleton track the dashboard draws over the replay */
        rc = put_text(a->blob, v.id, "landmarks",
                      landmarks_file_write_track(res.frames, res.n_frames, res.info.fps,
                                           res.info.width, res.info.height));
    if (rc == 0)
        rc = put_file_if_any(a->blob, v.id, "overlay", overlay);
    if (rc == 0 && res.has_thumbs)
        rc = put_file_if_any(a->blob, v.id, "best", res.thumb_best);
    if (rc == 0 && res.has_thumbs)
        rc = put_file_if_any(a->blob, v.id, "worst", res.thumb_worst);
    if (rc < 0) {
        snprintf(err, err_len, "cannot store the results: %s", rr_strerror(rc));
        goto out;
    }
    int64_t duration_ms = res.info.duration_us > 0 ? res.info.duration_us / 1000
                                                   : (int64_t)(res.report->duration_s * 1000);
    struct store_workout w;
    rc = save_workout(a->store, &v, res.report, duration_ms, &w, err, err_len);
    if (rc < 0)
        goto out;
#ifdef HAVE_ANALYTICS
    {
        int arc = analytics_update_for_workout(a->store, v.user_id, w.id);
        if (arc < 0)
            fprintf(stderr, "{\"level\":\"warn\",\"msg\":\"analytics update failed\","
                            "\"job_id\":\"%s\",\"detail\":\"%s\"}\n",
                    job->id, rr_strerror(arc));
    }
#endif
    rc = store_video_set_status(a->store, v.id, "analysed", duration_ms);
    if (rc < 0)
        snprintf(err, err_len, "cannot mark the video analysed: %s", rr_strerror(rc));
out:
    if (rc < 0 && vid && id_ok(vid) && (ctx->permanent || job->attempts >= job->max_attempts))
        store_video_fail(a->store, vid, err[0] ? err : rr_strerror(rc));
    if (have_res)
        pipeline_result_release(&res);
    if (copy_fd >= 0)
        close(copy_fd);
    blob_reader_close(rd);
    if (tmp_made)
        rm_tree_flat(tmpdir);
    json_decref(pl);
    return rc;
}

/* Dead-lettered without the handler deciding it (the lease ran out on the last attempt: the
 * worker crashed or hung every time): the video fails with the job's reason. */
void job_analyze_video_dead(struct app *a, const struct store_job *job)
{
    json_t *pl = json_loads(job->payload, 0, NULL);
    const char *vid = pl ? json_string_value(json_object_get(pl, "video_id")) : NULL;
    if (vid && id_ok(vid)) {
        char msg[STORE_ERROR_MAX + 32]; /* the store cuts it to STORE_ERROR_MAX */
        snprintf(msg, sizeof msg, "analysis failed: %s",
                 job->error[0] ? job->error : "the job was dead-lettered");
        store_video_fail(a->store, vid, msg);
    }
    json_decref(pl);
}
