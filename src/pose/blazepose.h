/*
 * blazepose.h - MediaPipe BlazePose (legacy Pose solution) in native C.
 *
 * Reproduces MediaPipe's CPU graph exactly (constants and formulas: ../shared/docs/blazepose.md):
 * detector (224x224 letterbox, SSD anchors, decoding, weighted NMS, first detection) -> rotated
 * ROI -> landmark model on a rotated 256x256 crop -> heatmap refinement -> projection to the
 * image -> world landmarks -> (video mode) ROI for the next frame from the auxiliary landmarks,
 * re-detection when the pose flag drops, one-euro smoothing with MediaPipe's constants.
 *
 * Ownership: struct pose_models holds the immutable models (detector + one landmark model) and is
 * shared by any number of sessions and threads; it must outlive them. A pose_session owns its
 * nets, crop buffers and tracking state; all are allocated in pose_session_new(), so
 * pose_session_run() performs no heap allocation.
 * Errors: RR_ERR_* codes; *_new/_load fill `msg` with a one-line reason.
 * Thread-safety: a session is used by one thread at a time; models are read-only.
 */
#ifndef RR_POSE_BLAZEPOSE_H
#define RR_POSE_BLAZEPOSE_H

#include <stddef.h>
#include <stdint.h>

#include "base/rr_image.h"
#include "base/rr_landmarks.h"
#include "pose/net.h"

enum pose_model_kind { POSE_MODEL_LITE = 0, POSE_MODEL_FULL = 1, POSE_MODEL_HEAVY = 2 };

struct pose_models;
struct pose_session;

/* Default model directory: $REPRIGHT_MODEL_DIR, else $HOME/.cache/repright/models. */
const char *pose_model_dir_default(char *buf, size_t len);
/* "lite" / "full" / "heavy" -> kind; RR_ERR_INVAL for anything else. */
int pose_model_kind_parse(const char *s, enum pose_model_kind *out);

/* Load pose_detection.tflite and pose_landmark_<kind>.tflite from dir. */
int pose_models_load(const char *dir, enum pose_model_kind kind, struct pose_models **out,
                     char *msg, size_t msg_len);
void pose_models_free(struct pose_models *m);

struct pose_session_opts {
    enum net_backend backend; /* NET_BACKEND_XNN unless testing */
    int threads;              /* >= 1 */
    int static_mode;          /* 1: every frame independent (detector each time, no smoothing) */
    int smooth;               /* video mode only: one-euro smoothing (MediaPipe default 1) */
    float min_detection_confidence; /* 0.5 */
    float min_tracking_confidence;  /* 0.5 */
};
/* MediaPipe's defaults: XNNPACK, 1 thread, video mode, smoothing on, 0.5 / 0.5. */
struct pose_session_opts pose_session_opts_default(void);

int pose_session_new(const struct pose_models *models, const struct pose_session_opts *opts,
                     struct pose_session **out, char *msg, size_t msg_len);
void pose_session_free(struct pose_session *s);
/* Forget tracking and smoothing state (next frame runs the detector). */
void pose_session_reset(struct pose_session *s);

/* Process one frame at time t_us (microseconds, increasing in video mode). Fills *out
 * (out->has_pose = 0 when no person). Returns 0, or RR_ERR_INVAL / RR_ERR_BACKEND. */
int pose_session_run(struct pose_session *s, const struct rr_image *img, int64_t t_us,
                     struct rr_pose_frame *out);

/* Same as pose_session_run() on a YUV 4:2:0 picture (crop.h), sampled directly by the crops: a
 * video pipeline skips the whole-frame RGB conversion. Landmarks are normalised to the upright
 * picture. */
struct crop_yuv;
int pose_session_run_yuv(struct pose_session *s, const struct crop_yuv *img, int64_t t_us,
                         struct rr_pose_frame *out);

/* A detector result after NMS, normalised to the image (letterbox removed). */
struct pose_detection {
    float score;
    float xmin, ymin, width, height; /* box (the face box for BlazePose) */
    float kp[4][2];                  /* keypoints: mid-hip, full-body point, mid-shoulder, upper-body point */
};
/* Run only the detector on img; writes up to max detections (best first). Returns the count. */
int pose_session_detect(struct pose_session *s, const struct rr_image *img,
                        struct pose_detection *dets, int max);

/* Per-stage wall time of the last pose_session_run(), for benchmarks. */
struct pose_timing {
    double detector_ms, landmark_ms, pre_post_ms, total_ms;
    int ran_detector;
};
void pose_session_last_timing(const struct pose_session *s, struct pose_timing *t);

#endif
