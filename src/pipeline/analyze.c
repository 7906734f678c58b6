/*
 * analyze.c - decode -> pose -> analysis -> renders (see analyze.h).
 *
 * DESIGN: the pose of every frame comes from the one decode -> pose stream (pose_stream.h: a
 * decoder thread a few frames ahead, YUV planes straight to the crops), the same input path
 * `repright pose` uses. Pose results (small, ~1.4 KB per frame) are kept for the whole clip,
 * bounded by ANALYSIS_MAX_FRAMES, because analysis looks at the whole series. A second pass
 * re-decodes the clip to draw the overlay and thumbnails from the stored landmarks and the
 * report.
 */
#include "pipeline/analyze.h"

#include "base/rr_error.h"
#include "pipeline/pose_stream.h"
#include "pipeline/render.h"
#include "pipeline/report_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int pipeline_default_threads(void)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores <= 2)
        return 1;
    return cores - 1 > 4 ? 4 : (int)(cores - 1);
}

struct pipeline_opts pipeline_opts_default(void)
{
    struct pipeline_opts o = {0};
    o.backend = NET_BACKEND_XNN;
    o.threads = 1;
    o.limits = video_limits_default();
    return o;
}

static int frames_push(struct pipeline_result *out, size_t *cap, const struct rr_pose_frame *f)
{
    if (out->n_frames == *cap) {
        if (*cap >= ANALYSIS_MAX_FRAMES)
            return RR_ERR_TOOBIG;
        size_t nc = *cap ? *cap * 2 : 256;
        if (nc > ANALYSIS_MAX_FRAMES)
            nc = ANALYSIS_MAX_FRAMES;
        struct rr_pose_frame *p = realloc(out->frames, nc * sizeof *p);
        if (!p)
            return RR_ERR_NOMEM;
        out->frames = p;
        *cap = nc;
    }
    out->frames[out->n_frames++] = *f;
    return 0;
}

static void pose_progress(void *ud, double fraction)
{
    const struct pipeline_opts *o = ud;
    o->progress(o->progress_ud, "pose", fraction);
}

/* Pass 1: the pose of every frame, through the one decode -> pose stream. */
static int pose_pass(const char *path, const struct pose_models *models,
                     const struct pipeline_opts *o, struct pipeline_result *out, char *msg,
                     size_t msg_len)
{
    struct pose_stream_opts so = pose_stream_opts_default();
    so.backend = o->backend;
    so.threads = o->threads;
    so.limits = o->limits;
    so.input_fd = o->input_fd;
    if (o->progress) {
        so.progress = pose_progress;
        so.progress_ud = (void *)o;
    }
    struct pose_stream *ps = NULL;
    struct pose_stream_stats st;
    char smsg[256] = "";
    size_t cap = 0;
    int rc = pose_stream_open(path, &so, &ps, smsg, sizeof smsg);
    if (rc < 0) {
        snprintf(msg, msg_len, "cannot decode %s: %s", path, smsg[0] ? smsg : rr_strerror(rc));
        return rc;
    }
    out->info = pose_stream_get_info(ps)->video;
    rc = pose_stream_start(ps, models, smsg, sizeof smsg);
    if (rc < 0)
        snprintf(msg, msg_len, "pose engine: %s", smsg[0] ? smsg : rr_strerror(rc));
    while (rc == 0) {
        struct rr_pose_frame f;
        rc = pose_stream_next(ps, &f, smsg, sizeof smsg);
        if (rc == RR_ERR_EOF) {
            rc = 0;
            break;
        }
        if (rc == 0)
            rc = frames_push(out, &cap, &f);
        if (rc == 0)
            continue;
        pose_stream_get_stats(ps, &st);
        if (st.failed == POSE_STREAM_DECODE)
            snprintf(msg, msg_len, "cannot decode %s at frame %zu: %s", path, out->n_frames,
                     smsg[0] ? smsg : rr_strerror(rc));
        else
            snprintf(msg, msg_len, "%s at frame %zu: %s",
                     st.failed == POSE_STREAM_POSE    ? "pose engine"
                     : rc == RR_ERR_TOOBIG ? "clip too long"
                                           : "pose pass",
                     out->n_frames, rr_strerror(rc));
    }
    pose_stream_get_stats(ps, &st);
    out->stats.frames_with_pose = st.frames_with_pose;
    out->stats.detector_runs = st.detector_runs;
    out->stats.pose_busy_ms = st.pose_busy_ms;
    out->stats.decode_busy_ms = st.decode_busy_ms;
    pose_stream_close(ps);
    return rc;
}

/* The series in out->frames -> out->report; shared by videos and landmark files. */
static int analysis_pass(const struct pipeline_opts *o, struct pipeline_result *out, char *msg,
                         size_t msg_len)
{
    if (o->progress)
        o->progress(o->progress_ud, "analysis", 0);
    double ta = now_ms();
    struct analysis_opts ao = analysis_opts_default();
    ao.exercise = o->exercise;
    int rc = analysis_run(out->frames, out->n_frames, &ao, &out->report);
    out->stats.analysis_ms = now_ms() - ta;
    if (rc < 0)
        snprintf(msg, msg_len, "analysis: %s%s", rr_strerror(rc),
                 rc == RR_ERR_INVAL && o->exercise ? " (unknown exercise?)" : "");
    return rc;
}

int pipeline_analyze(const char *video_path, const struct pose_models *models,
                     const struct pipeline_opts *opts, struct pipeline_result *out, char *msg,
                     size_t msg_len)
{
    char dummy[8];
    if (!msg || !msg_len) {
        msg = dummy;
        msg_len = sizeof dummy;
    }
    msg[0] = 0;
    if (!video_path || !models || !out)
        return RR_ERR_INVAL;
    struct pipeline_opts o = opts ? *opts : pipeline_opts_default();
    if (o.threads < 1)
        o.threads = 1;
    memset(out, 0, sizeof *out);
    double t0 = now_ms();
    int rc = pose_pass(video_path, models, &o, out, msg, msg_len);
    out->stats.frames = out->n_frames;
    out->stats.pose_wall_ms = now_ms() - t0;
    out->stats.fps = out->stats.pose_wall_ms > 0
                         ? (double)out->n_frames * 1000.0 / out->stats.pose_wall_ms
                         : 0;
    if (rc < 0)
        goto out;
    if (out->n_frames == 0) {
        rc = RR_ERR_CORRUPT;
        snprintf(msg, msg_len, "no decodable video frame in %s", video_path);
        goto out;
    }
    if (out->stats.frames_with_pose == 0) {
        rc = RR_ERR_NOPOSE;
        snprintf(msg, msg_len, "no person found in %s", video_path);
        goto out;
    }
    rc = analysis_pass(&o, out, msg, msg_len);
    if (rc < 0)
        goto out;
    if (o.overlay_path || o.thumbs_dir) {
        double tr = now_ms();
        rc = render_pass(video_path, &o, out, msg, msg_len);
        out->stats.render_ms = now_ms() - tr;
        if (rc < 0)
            goto out;
    }
    if (o.progress)
        o.progress(o.progress_ud, "done", 1);
out:
    out->stats.wall_ms = now_ms() - t0;
    return rc;
}

int pipeline_analyze_landmarks(const char *path, const struct pipeline_opts *opts,
                               struct pipeline_result *out, char *msg, size_t msg_len)
{
    char dummy[8], lmsg[384] = "";
    if (!msg || !msg_len) {
        msg = dummy;
        msg_len = sizeof dummy;
    }
    msg[0] = 0;
    if (!path || !out)
        return RR_ERR_INVAL;
    memset(out, 0, sizeof *out);
    struct pipeline_opts o = opts ? *opts : pipeline_opts_default();
    if (o.overlay_path || o.thumbs_dir) {
        snprintf(msg, msg_len, "an overlay or thumbnails need the video, not landmarks");
        return RR_ERR_INVAL;
    }
    double t0 = now_ms();
    out->from_landmarks = 1;
    int rc = landmarks_file_load(path, &out->frames, &out->n_frames, NULL, &out->landmarks, lmsg,
                                 sizeof lmsg);
    if (rc < 0) {
        snprintf(msg, msg_len, "cannot read landmarks %s: %s", path, lmsg);
        goto out;
    }
    out->info.width = out->landmarks.width;
    out->info.height = out->landmarks.height;
    out->info.fps = out->landmarks.fps;
    out->stats.frames = out->n_frames;
    out->stats.frames_with_pose = out->landmarks.n_with_pose;
    if (out->stats.frames_with_pose == 0) {
        rc = RR_ERR_NOPOSE;
        snprintf(msg, msg_len, "no person found in %s (no frame has a pose)", path);
        goto out;
    }
    rc = analysis_pass(&o, out, msg, msg_len);
    if (rc == 0 && o.progress)
        o.progress(o.progress_ud, "done", 1);
out:
    out->stats.wall_ms = now_ms() - t0;
    return rc;
}

int pipeline_render(const char *video_path, const char *report_text, size_t report_len,
                    int landmarks_fd, const struct pipeline_opts *opts,
                    struct pipeline_result *out, char *msg, size_t msg_len)
{
    char dummy[8], sub[384] = "";
    if (!msg || !msg_len) {
        msg = dummy;
        msg_len = sizeof dummy;
    }
    msg[0] = 0;
    if (!out)
        return RR_ERR_INVAL;
    memset(out, 0, sizeof *out);
    if (!video_path || !report_text || landmarks_fd < 0 || !opts ||
        (!opts->overlay_path && opts->overlay_fd <= 2 && !opts->thumbs_dir && !opts->thumb_sink))
        return RR_ERR_INVAL;
    double t0 = now_ms();
    int rc = report_json_load(report_text, report_len, &out->report, &out->report_doc, sub,
                              sizeof sub);
    if (rc < 0) {
        snprintf(msg, msg_len, "stored report: %s", sub);
        return rc;
    }
    rc = landmarks_file_load_fd(landmarks_fd, &out->frames, &out->n_frames, NULL,
                                &out->landmarks, sub, sizeof sub);
    if (rc < 0) {
        snprintf(msg, msg_len, "stored landmark track: %s", sub);
        goto out;
    }
    out->from_landmarks = 1;
    double tr = now_ms();
    rc = render_pass(video_path, opts, out, msg, msg_len);
    out->stats.render_ms = now_ms() - tr;
    if (rc == 0 && opts->progress)
        opts->progress(opts->progress_ud, "done", 1);
out:
    out->stats.wall_ms = now_ms() - t0;
    return rc;
}

void pipeline_result_release(struct pipeline_result *r)
{
    if (!r)
        return;
    free(r->frames);
    analysis_report_free(r->report);
    report_json_doc_free(r->report_doc);
    memset(r, 0, sizeof *r);
}
