/*
 * pose_stream.c - decode -> pose, one frame at a time (pose_stream.h).
 *
 * DESIGN: a decoder thread fills a ring of RING slots; next() runs the pose session on the
 * oldest slot and hands it back before returning, so at most RING decoded pictures exist at
 * once whatever the clip length. A slot holds the decoder's own picture by reference: YUV 4:2:0
 * goes to the crops as planes, anything else is converted to RGB on the decoder thread (into a
 * per-slot buffer that is reused). The counters the decoder thread updates (decode time, its
 * result) are read under the ring mutex.
 */
#include "pipeline/pose_stream.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/rr_error.h"
#include "base/rr_image.h"
#include "pose/crop.h"

#define RING 4

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

struct slot {
    struct video_frame *frame; /* the decoded picture, by reference */
    int is_yuv;                /* 1: yuv is a view of frame; 0: rgb holds the converted frame */
    struct crop_yuv yuv;
    struct rr_rgbbuf rgb;
    int64_t t_us;
};

struct pose_stream {
    struct pose_stream_opts opts;
    struct pose_stream_info info;
    struct pose_stream_stats stats;
    struct pose_session *session;
    int err;         /* first error of next(), returned again */
    int image_done;  /* the image's one frame was returned */
    struct rr_rgbbuf image;
    double expect;   /* frames the container announces, 0 when unknown */

    /* the ring: everything below is shared with the decoder thread, under mu */
    struct video *v;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int sync_ready; /* mu and cv initialised */
    pthread_t thread;
    int running;    /* the thread was started (and not yet joined) */
    struct slot slots[RING];
    size_t head, tail; /* produced / consumed counters */
    int done;          /* producer finished (dec_rc says how) */
    int dec_rc;
    int stop;          /* consumer asks the producer to stop */
    char dec_msg[256];
    double decode_ms;
};

struct pose_stream_opts pose_stream_opts_default(void)
{
    struct pose_stream_opts o;
    memset(&o, 0, sizeof o);
    o.backend = NET_BACKEND_XNN;
    o.threads = 1;
    o.limits = video_limits_default();
    return o;
}

/* Decoder thread: next frame into sl, as a YUV view when possible, else as RGB. */
static int slot_fill(struct video *v, struct slot *sl, char *msg, size_t msg_len)
{
    int rc = video_next_frame(v, sl->frame, &sl->t_us, msg, msg_len);
    if (rc < 0)
        return rc;
    struct video_yuv y;
    sl->is_yuv = video_frame_yuv(sl->frame, &y) == 0;
    if (sl->is_yuv) {
        struct crop_yuv c = {y.width, y.height, y.y, y.u, y.v, y.y_stride, y.uv_stride,
                             y.rotation, y.full_range, (int)y.matrix};
        sl->yuv = c;
        return 0;
    }
    rc = video_frame_rgb(v, sl->frame, &sl->rgb);
    if (rc < 0)
        snprintf(msg, msg_len, "cannot convert frame to RGB: %s", rr_strerror(rc));
    return rc;
}

static void *decoder_main(void *arg)
{
    struct pose_stream *s = arg;
    char msg[sizeof s->dec_msg] = "";
    for (;;) {
        pthread_mutex_lock(&s->mu);
        while (s->head - s->tail == RING && !s->stop)
            pthread_cond_wait(&s->cv, &s->mu);
        int stop = s->stop;
        struct slot *sl = &s->slots[s->head % RING];
        pthread_mutex_unlock(&s->mu);
        if (stop)
            break;
        double t0 = now_ms();
        int rc = slot_fill(s->v, sl, msg, sizeof msg);
        double dt = now_ms() - t0;
        pthread_mutex_lock(&s->mu);
        s->decode_ms += dt;
        if (rc == 0) {
            s->head++;
        } else {
            s->done = 1;
            s->dec_rc = rc == RR_ERR_EOF ? 0 : rc;
            memcpy(s->dec_msg, msg, sizeof msg);
        }
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
        if (rc != 0)
            return NULL;
    }
    pthread_mutex_lock(&s->mu);
    s->done = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

int pose_stream_open(const char *path, const struct pose_stream_opts *opts,
                     struct pose_stream **out, char *msg, size_t msg_len)
{
    char dummy[8];
    if (!msg || !msg_len) {
        msg = dummy;
        msg_len = sizeof dummy;
    }
    msg[0] = '\0';
    if (out)
        *out = NULL;
    if (!path || !out) {
        snprintf(msg, msg_len, "invalid argument");
        return RR_ERR_INVAL;
    }
    struct pose_stream *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(msg, msg_len, "out of memory");
        return RR_ERR_NOMEM;
    }
    s->opts = opts ? *opts : pose_stream_opts_default();
    if (s->opts.threads < 1)
        s->opts.threads = 1;
    int rc = RR_ERR_UNSUPPORTED;
    if (s->opts.input_fd > 2) { /* a sandbox's descriptor: videos only, nothing opened */
        rc = video_open_fd(s->opts.input_fd, path, &s->opts.limits, &s->v, msg, msg_len);
    } else if (s->opts.accept_images) {
        rc = image_load(path, &s->image, msg, msg_len);
        if (rc == 0) {
            s->info.is_image = 1;
            s->info.video.width = s->image.width;
            s->info.video.height = s->image.height;
            *out = s;
            return 0;
        }
    }
    if (rc == RR_ERR_UNSUPPORTED && s->opts.input_fd <= 2) { /* not an image: a video? */
        msg[0] = '\0';
        rc = video_open(path, &s->opts.limits, &s->v, msg, msg_len);
    }
    if (rc < 0) {
        pose_stream_close(s);
        return rc;
    }
    s->info.video = *video_get_info(s->v);
    s->expect = (double)s->info.video.frames;
    if (s->expect <= 0 && s->info.video.duration_us > 0 && s->info.video.fps > 0)
        s->expect = (double)s->info.video.duration_us / 1e6 * s->info.video.fps;
    *out = s;
    return 0;
}

const struct pose_stream_info *pose_stream_get_info(const struct pose_stream *s)
{
    return &s->info;
}

int pose_stream_start(struct pose_stream *s, const struct pose_models *models, char *msg,
                      size_t msg_len)
{
    char dummy[8];
    if (!msg || !msg_len) {
        msg = dummy;
        msg_len = sizeof dummy;
    }
    msg[0] = '\0';
    if (!s || !models || s->session) {
        snprintf(msg, msg_len, "invalid argument");
        return RR_ERR_INVAL;
    }
    struct pose_session_opts so = pose_session_opts_default();
    so.backend = s->opts.backend;
    so.threads = s->opts.threads;
    so.static_mode = s->info.is_image || s->opts.static_mode;
    int rc = pose_session_new(models, &so, &s->session, msg, msg_len);
    if (rc < 0) {
        if (!msg[0])
            snprintf(msg, msg_len, "%s", rr_strerror(rc));
        return rc;
    }
    if (s->info.is_image)
        return 0;
    for (int i = 0; i < RING; i++) {
        s->slots[i].frame = video_frame_new();
        if (!s->slots[i].frame) {
            snprintf(msg, msg_len, "out of memory");
            return RR_ERR_NOMEM;
        }
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    s->sync_ready = 1;
    if (pthread_create(&s->thread, NULL, decoder_main, s) != 0) {
        snprintf(msg, msg_len, "cannot start the decoder thread");
        return RR_ERR_NOMEM;
    }
    s->running = 1;
    return 0;
}

/* The pose of one picture into out; 0 or the session's error. */
static int run_pose(struct pose_stream *s, const struct slot *sl, const struct rr_image *img,
                    int64_t t_us, struct rr_pose_frame *out)
{
    double t0 = now_ms();
    int rc;
    if (sl && sl->is_yuv) {
        rc = pose_session_run_yuv(s->session, &sl->yuv, t_us, out);
    } else {
        struct rr_image im = sl ? rr_rgbbuf_view(&sl->rgb) : *img;
        rc = pose_session_run(s->session, &im, t_us, out);
    }
    s->stats.pose_busy_ms += now_ms() - t0;
    struct pose_timing tm;
    pose_session_last_timing(s->session, &tm);
    s->stats.detector_runs += tm.ran_detector ? 1u : 0u;
    return rc;
}

static int fail(struct pose_stream *s, int rc, enum pose_stream_stage stage)
{
    s->err = rc;
    s->stats.failed = stage;
    return rc;
}

int pose_stream_next(struct pose_stream *s, struct rr_pose_frame *out, char *msg,
                     size_t msg_len)
{
    char dummy[8];
    if (!msg || !msg_len) {
        msg = dummy;
        msg_len = sizeof dummy;
    }
    msg[0] = '\0';
    if (!s || !out || !s->session) {
        snprintf(msg, msg_len, "invalid argument");
        return RR_ERR_INVAL;
    }
    if (s->err) {
        snprintf(msg, msg_len, "%s", rr_strerror(s->err));
        return s->err;
    }
    int rc;
    if (s->info.is_image) {
        if (s->image_done)
            return RR_ERR_EOF;
        s->image_done = 1;
        struct rr_image img = rr_rgbbuf_view(&s->image);
        rc = run_pose(s, NULL, &img, 0, out);
    } else {
        pthread_mutex_lock(&s->mu);
        while (s->head == s->tail && !s->done)
            pthread_cond_wait(&s->cv, &s->mu);
        int have = s->head != s->tail, dec_rc = s->dec_rc;
        pthread_mutex_unlock(&s->mu);
        if (!have) {
            if (dec_rc == 0)
                return RR_ERR_EOF;
            snprintf(msg, msg_len, "%s", s->dec_msg[0] ? s->dec_msg : rr_strerror(dec_rc));
            return fail(s, dec_rc, POSE_STREAM_DECODE);
        }
        struct slot *sl = &s->slots[s->tail % RING];
        rc = run_pose(s, sl, NULL, sl->t_us, out);
        pthread_mutex_lock(&s->mu);
        s->tail++; /* the slot goes back to the decoder */
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
    }
    if (rc < 0) {
        snprintf(msg, msg_len, "%s", rr_strerror(rc));
        return fail(s, rc, POSE_STREAM_POSE);
    }
    s->stats.frames++;
    s->stats.frames_with_pose += out->has_pose ? 1u : 0u;
    if (s->opts.progress && s->expect > 0 && s->stats.frames % 10 == 0) {
        double f = (double)s->stats.frames / s->expect;
        s->opts.progress(s->opts.progress_ud, f > 1 ? 1 : f);
    }
    return 0;
}

void pose_stream_get_stats(struct pose_stream *s, struct pose_stream_stats *st)
{
    *st = s->stats;
    if (s->sync_ready) {
        pthread_mutex_lock(&s->mu);
        st->decode_busy_ms = s->decode_ms;
        pthread_mutex_unlock(&s->mu);
    }
}

void pose_stream_close(struct pose_stream *s)
{
    if (!s)
        return;
    if (s->running) {
        pthread_mutex_lock(&s->mu);
        s->stop = 1;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->thread, NULL);
    }
    if (s->sync_ready) {
        pthread_mutex_destroy(&s->mu);
        pthread_cond_destroy(&s->cv);
    }
    for (int i = 0; i < RING; i++) {
        rr_rgbbuf_release(&s->slots[i].rgb);
        video_frame_free(s->slots[i].frame);
    }
    pose_session_free(s->session);
    video_close(s->v);
    rr_rgbbuf_release(&s->image);
    free(s);
}
