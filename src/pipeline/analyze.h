/*
 * analyze.h - the one place that wires decode -> pose -> analysis -> report, thumbnails and
 * overlay. `repright analyze` and the job worker both call pipeline_analyze(); there is no
 * second copy of this wiring.
 *
 * Frames come from the one decode -> pose stream (pose_stream.h, also behind `repright pose`):
 * decoding runs on its own thread, a few frames ahead of pose inference, so both cores work.
 * Overlay video and thumbnails take a second decoding pass (frames are not kept in memory).
 *
 * pipeline_analyze_landmarks() runs the same analysis on a landmark file (landmarks_file.h)
 * instead of a video: no models, no decoding, no renders.
 *
 * pipeline_render() draws an analysis made earlier: the stored report (report_json_load) and
 * landmark track over a second decoding of the video -> overlay and thumbnails, no pose, no
 * analysis (the server's render_video job: the overlay is made only when asked).
 *
 * Ownership: the caller owns `models` (shared, read-only, may serve many pipelines at once) and
 * the result; pipeline_result_release() frees what the result holds.
 * Errors: whatever the stages return (RR_ERR_NOTFOUND/IO/UNSUPPORTED/CORRUPT/TOOBIG from
 * decoding or reading the landmark file, RR_ERR_NOPOSE when no frame holds a person,
 * RR_ERR_INVAL for bad options); `msg` names the stage and the reason.
 * Thread-safety: reentrant; one call per thread.
 */
#ifndef RR_PIPELINE_ANALYZE_H
#define RR_PIPELINE_ANALYZE_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/analysis.h"
#include "pipeline/landmarks_file.h"
#include "pose/blazepose.h"
#include "video/decode.h"

struct draw_font;

struct pipeline_opts {
    enum net_backend backend;  /* NET_BACKEND_XNN */
    int threads;               /* inference threads, >= 1 */
    const char *exercise;      /* NULL: recognise */
    const char *overlay_path;  /* NULL: no overlay video */
    const char *thumbs_dir;    /* NULL: no thumbnails; else best.jpg and worst.jpg inside */
    struct video_limits limits;
    int input_fd;              /* > 2: pipeline_analyze and pipeline_render read the video from
                                * this descriptor (video_path only names it); 0 (the default):
                                * open the path */
    int overlay_fd;            /* > 2: the overlay is written to this descriptor (read-write,
                                * seekable; video_writer_open_fd) instead of overlay_path, and
                                * left to the caller to publish */
    /* Non-NULL: each thumbnail ("best", "worst") is handed here as JPEG bytes instead of being
     * written into thumbs_dir; a negative return stops the render with that code. */
    int (*thumb_sink)(void *ud, const char *name, const uint8_t *jpeg, size_t len);
    void *thumb_ud;
    struct draw_font *font;    /* non-NULL: the HUD font (the caller's; resized to the frame),
                                * for a renderer that may not open files; NULL: opened here */
    /* Called from the calling thread: stage ("pose", "analysis", "overlay"), fraction 0..1. */
    void (*progress)(void *ud, const char *stage, double fraction);
    void *progress_ud;
};
struct pipeline_opts pipeline_opts_default(void);

/* Inference threads for one analysis on this machine: the online cores minus one (left to the
 * decoder thread), clamped to 1..4; so 1 on a 2-core machine. More threads than that make every
 * operator's fork-join barrier wait for whichever pose thread the decoder or another process
 * preempted (docs/internals/pipeline.md). */
int pipeline_default_threads(void);

struct pipeline_stats {
    double wall_ms;        /* whole call */
    double pose_wall_ms;   /* decode + pose pass */
    double pose_busy_ms;   /* time inside pose_session_run */
    double decode_busy_ms; /* time inside the decoder thread's video_next */
    double analysis_ms;
    double render_ms;      /* overlay + thumbnails pass */
    size_t frames;
    size_t frames_with_pose;
    size_t detector_runs;  /* frames on which the person detector ran (not tracked) */
    double fps;            /* frames / pose_wall */
};

struct pipeline_result {
    int from_landmarks;                   /* 1: pipeline_analyze_landmarks() */
    struct landmarks_file_info landmarks; /* the landmark file, when from_landmarks */
    struct video_info info;               /* width, height, fps (of the file when from_landmarks) */
    size_t n_frames;
    struct rr_pose_frame *frames; /* n_frames, owned */
    struct analysis_report *report;
    struct pipeline_stats stats;
    int has_thumbs;
    char thumb_best[4096], thumb_worst[4096];
    void *report_doc; /* pipeline_render: the parsed report the report's strings point into */
};

int pipeline_analyze(const char *video_path, const struct pose_models *models,
                     const struct pipeline_opts *opts, struct pipeline_result *out, char *msg,
                     size_t msg_len);
/* The analysis of a landmark file: opts->exercise and opts->progress are used, overlay_path and
 * thumbs_dir must be NULL (RR_ERR_INVAL: they need the video). out->frames holds the file's
 * frames, out->landmarks what the file said about itself. Errors as landmarks_file_load(), and
 * RR_ERR_NOPOSE when no frame has a pose (an empty file included). */
int pipeline_analyze_landmarks(const char *path, const struct pipeline_opts *opts,
                               struct pipeline_result *out, char *msg, size_t msg_len);
/* The overlay (opts->overlay_path or overlay_fd) and thumbnails (opts->thumbs_dir or
 * thumb_sink) of the video at video_path (or opts->input_fd), drawn from a stored report
 * (text[0..report_len), repright.report/1 or /2) and its landmark track (read from
 * landmarks_fd, repright.pose/1; a track that kept every k-th frame is matched by time).
 * opts->progress gets "overlay". out->report and out->frames hold what was drawn,
 * out->stats.frames the frames decoded. Errors: RR_ERR_INVAL (no output asked for, NULL
 * arguments), RR_ERR_CORRUPT (not a report or a landmark file), decoding and encoding codes;
 * msg names the stage. */
int pipeline_render(const char *video_path, const char *report_text, size_t report_len,
                    int landmarks_fd, const struct pipeline_opts *opts,
                    struct pipeline_result *out, char *msg, size_t msg_len);
void pipeline_result_release(struct pipeline_result *r);

#endif
