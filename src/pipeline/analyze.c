/*
 * analyze.c - decode -> pose -> analysis -> renders (see analyze.h).
 *
 * DESIGN: a decoder thread fills a small ring of slots; the calling thread runs the pose
 * session on each slot in order and hands it back. The ring has RING slots, so at most RING
 * decoded frames exist at once whatever the clip length. A slot holds the decoder's own picture
 * by reference: 8-bit YUV 4:2:0 (all usual phone video) goes to the pose crops as planes, with
 * no whole-frame RGB conversion; anything else is converted to RGB on the decoder thread. Pose
 * results (small, ~1.4 KB per frame) are kept for the whole clip, bounded by
 * ANALYSIS_MAX_FRAMES, because analysis looks at the whole series. A second pass re-decodes the clip to draw the overlay and thumbnails from the
 * stored landmarks and the report.
 */
#include "analyze.h"
#include "render.h"

#include "../base/rr_error.h"
#include "../pose/crop.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RING 4

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

struct slot {
    struct video_frame *frame; /* the decoded picture, by reference */
    int is_yuv;                /* 1: yuv is a view of frame; 0: rgb holds the converted frame */
    struct crop_yuv yuv;
    struct rr_rgbbuf rgb;
    int64_t t_us;
};

/* Decoder thread: next frame into s, as a YUV view when possible, else as RGB. */
static int slot_fill(struct video *v, struct slot *s, char *msg, size_t msg_len)
{
    int rc = video_next_frame(v, s->frame, &s->t_us, msg, msg_len);
    if (rc < 0)
        return rc;
    struct video_yuv y;
    s->is_yuv = video_frame_yuv(s->frame, &y) == 0;
    if (s->is_yuv) {
        struct crop_yuv c = {y.width, y.height, y.y, y.u, y.v, y.y_stride, y.uv_stride,
                             y.rotation, y.full_range, (int)y.matrix};
        s->yuv = c;
        return 0;
    }
    rc = video_frame_rgb(v, s->frame, &s->rgb);
    if (rc < 0)
        snprintf(msg, msg_len, "cannot convert frame to RGB: %s", rr_strerror(rc));
    return rc;
}

struct ring {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct slot slots[RING];
    size_t head, tail; /* produced / consumed counters */
    int done;          /* producer finished (rc says how) */
    int rc;
    int stop;          /* consumer asks the producer to stop */
    char msg[256];
    struct video *v;
    double decode_ms;
};

static void *decoder_main(void *arg)
{
    struct ring *r = arg;
    for (;;) {
        pthread_mutex_lock(&r->mu);
        while (r->head - r->tail == RING && !r->stop)
            pthread_cond_wait(&r->cv, &r->mu);
        int stop = r->stop;
        pthread_mutex_unlock(&r->mu);
        if (stop)
            break;
        struct slot *s = &r->slots[r->head % RING];
        double t0 = now_ms();
        int rc = slot_fill(r->v, s, r->msg, sizeof r->msg);
        r->decode_ms += now_ms() - t0;
        pthread_mutex_lock(&r->mu);
        if (rc == 0) {
            r->head++;
        } else {
            r->done = 1;
            r->rc = rc == RR_ERR_EOF ? 0 : rc;
        }
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
        if (rc != 0)
            return NULL;
    }
    pthread_mutex_lock(&r->mu);
    r->done = 1;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    return NULL;
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

/* Pass 1: decode on a thread, pose on this one. */
static int pose_pass(const char *path, const struct pose_models *models,
                     const struct pipeline_opts *o, struct pipeline_result *out, char *msg,
                     size_t msg_len)
{
    struct ring r;
    memset(&r, 0, sizeof r);
    struct pose_session *ps = NULL;
    size_t cap = 0;
    int rc = video_open(path, &o->limits, &r.v, r.msg, sizeof r.msg);
    if (rc < 0) {
        snprintf(msg, msg_len, "cannot decode %s: %s", path, r.msg[0] ? r.msg : rr_strerror(rc));
        return rc;
    }
    out->info = *video_get_info(r.v);
    struct pose_session_opts so = pose_session_opts_default();
    so.backend = o->backend;
    so.threads = o->threads;
    char pmsg[256] = "";
    rc = pose_session_new(models, &so, &ps, pmsg, sizeof pmsg);
    if (rc < 0) {
        snprintf(msg, msg_len, "pose engine: %s", pmsg[0] ? pmsg : rr_strerror(rc));
        video_close(r.v);
        return rc;
    }
    pthread_mutex_init(&r.mu, NULL);
    pthread_cond_init(&r.cv, NULL);
    for (int i = 0; i < RING; i++) {
        r.slots[i].frame = video_frame_new();
        if (!r.slots[i].frame) {
            rc = RR_ERR_NOMEM;
            snprintf(msg, msg_len, "out of memory");
            goto out_nothread;
        }
    }
    pthread_t th;
    if (pthread_create(&th, NULL, decoder_main, &r) != 0) {
        rc = RR_ERR_NOMEM;
        snprintf(msg, msg_len, "cannot start decoder thread");
        goto out_nothread;
    }
    double expect = (double)out->info.frames;
    if (expect <= 0 && out->info.duration_us > 0 && out->info.fps > 0)
        expect = (double)out->info.duration_us / 1e6 * out->info.fps;
    for (;;) {
        pthread_mutex_lock(&r.mu);
        while (r.head == r.tail && !r.done)
            pthread_cond_wait(&r.cv, &r.mu);
        int have = r.head != r.tail;
        pthread_mutex_unlock(&r.mu);
        if (!have)
            break;
        struct slot *s = &r.slots[r.tail % RING];
        struct rr_pose_frame f;
        double t0 = now_ms();
        if (s->is_yuv) {
            rc = pose_session_run_yuv(ps, &s->yuv, s->t_us, &f);
        } else {
            struct rr_image im = rr_rgbbuf_view(&s->rgb);
            rc = pose_session_run(ps, &im, s->t_us, &f);
        }
        out->stats.pose_busy_ms += now_ms() - t0;
        struct pose_timing tm;
        pose_session_last_timing(ps, &tm);
        out->stats.detector_runs += tm.ran_detector ? 1u : 0u;
        if (rc == 0)
            rc = frames_push(out, &cap, &f);
        pthread_mutex_lock(&r.mu);
        r.tail++;
        if (rc < 0)
            r.stop = 1;
        pthread_cond_broadcast(&r.cv);
        pthread_mutex_unlock(&r.mu);
        if (rc < 0) {
            snprintf(msg, msg_len, "%s at frame %zu: %s",
                     rc == RR_ERR_TOOBIG ? "clip too long" : "pose engine", out->n_frames,
                     rr_strerror(rc));
            break;
        }
        out->stats.frames_with_pose += f.has_pose ? 1u : 0u;
        if (o->progress && expect > 0 && (out->n_frames % 10) == 0)
            o->progress(o->progress_ud, "pose",
                        (double)out->n_frames / expect > 1 ? 1 : (double)out->n_frames / expect);
    }
    pthread_join(th, NULL);
    if (rc == 0 && r.rc < 0) {
        rc = r.rc;
        snprintf(msg, msg_len, "cannot decode %s at frame %zu: %s", path, out->n_frames,
                 r.msg[0] ? r.msg : rr_strerror(rc));
    }
    out->stats.decode_busy_ms = r.decode_ms;
out_nothread:
    pthread_mutex_destroy(&r.mu);
    pthread_cond_destroy(&r.cv);
    for (int i = 0; i < RING; i++) {
        rr_rgbbuf_release(&r.slots[i].rgb);
        video_frame_free(r.slots[i].frame);
    }
    pose_session_free(ps);
    video_close(r.v);
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

void pipeline_result_release(struct pipeline_result *r)
{
    if (!r)
        return;
    free(r->frames);
    analysis_report_free(r->report);
    memset(r, 0, sizeof *r);
}
