/*
 * pose_stream.h - the one decode -> pose stream: a video (or, when asked, a still image) in,
 * one struct rr_pose_frame per decoded frame out. `repright analyze` (pipeline_analyze(), so
 * also the job worker) and `repright pose` both read frames through it, so the verification
 * tool sees exactly the input path production uses.
 *
 * That path: a decoder thread keeps a few frames ahead in a small ring; a picture in 8-bit YUV
 * 4:2:0 (every usual phone video) goes to the pose crops as planes by reference, with no
 * whole-frame RGB conversion (pose_session_run_yuv); anything else is converted to RGB on the
 * decoder thread. An image is decoded to RGB and is a stream of one frame at t = 0, always in
 * static mode (no tracking).
 *
 * Phases (create -> setup -> invoke -> delete):
 *   pose_stream_open()  opens and checks the input (no models needed: a bad file is reported
 *                       before any model is loaded);
 *   pose_stream_start() creates the pose session on the caller's models and starts decoding;
 *   pose_stream_next()  the next frame's pose, in presentation order, until RR_ERR_EOF;
 *   pose_stream_close() stops the decoder and frees everything (NULL is a no-op).
 * No allocation per frame after start.
 *
 * Ownership: the caller owns `models` (read-only, shared, must outlive the stream) and the
 * output frames; the stream owns the decoder, its thread, the ring and the pose session.
 * Errors: open: RR_ERR_NOTFOUND / RR_ERR_IO / RR_ERR_UNSUPPORTED / RR_ERR_CORRUPT / RR_ERR_TOOBIG
 * with the decoder's reason in msg; start: the pose engine's code and reason, RR_ERR_NOMEM;
 * next: RR_ERR_EOF at the end, else the decoder's code (stats.failed = POSE_STREAM_DECODE) or
 * the pose engine's (POSE_STREAM_POSE) with the reason in msg. After an error next() returns
 * it again.
 * Thread-safety: a stream is used by one thread (its decoder thread is internal); the progress
 * callback runs on the thread calling next().
 */
#ifndef RR_PIPELINE_POSE_STREAM_H
#define RR_PIPELINE_POSE_STREAM_H

#include <stddef.h>

#include "base/rr_landmarks.h"
#include "pose/blazepose.h"
#include "video/decode.h"

struct pose_stream_opts {
    enum net_backend backend; /* NET_BACKEND_XNN */
    int threads;              /* inference threads, >= 1 */
    int static_mode;          /* 1: every video frame independent (no tracking, no smoothing) */
    int accept_images;        /* 1: a JPEG or PNG is a one-frame stream; 0: videos only */
    struct video_limits limits;
    int input_fd;             /* > 2: read the video from this descriptor (duplicated), the path
                               * only names it; 0 (the default): open the path */
    /* Every 10 frames: frames done / frames expected (0..1), when the container tells. */
    void (*progress)(void *ud, double fraction);
    void *progress_ud;
};
/* XNNPACK, 1 thread, video mode, videos only, default limits, no progress. */
struct pose_stream_opts pose_stream_opts_default(void);

struct pose_stream_info {
    int is_image;            /* 1: a still image (one frame) */
    struct video_info video; /* size after rotation; for an image only width and height */
};

enum pose_stream_stage { POSE_STREAM_OK = 0, POSE_STREAM_DECODE, POSE_STREAM_POSE };

struct pose_stream_stats {
    size_t frames;            /* returned by next() */
    size_t frames_with_pose;
    size_t detector_runs;     /* frames on which the person detector ran (not tracked) */
    double pose_busy_ms;      /* inside the pose session */
    double decode_busy_ms;    /* inside the decoder (its own thread) */
    enum pose_stream_stage failed; /* where the first error came from */
};

struct pose_stream;

int pose_stream_open(const char *path, const struct pose_stream_opts *opts,
                     struct pose_stream **out, char *msg, size_t msg_len);
const struct pose_stream_info *pose_stream_get_info(const struct pose_stream *s);
int pose_stream_start(struct pose_stream *s, const struct pose_models *models, char *msg,
                      size_t msg_len);
int pose_stream_next(struct pose_stream *s, struct rr_pose_frame *out, char *msg,
                     size_t msg_len);
void pose_stream_get_stats(struct pose_stream *s, struct pose_stream_stats *st);
void pose_stream_close(struct pose_stream *s);

#endif
