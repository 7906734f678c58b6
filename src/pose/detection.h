/*
 * detection.h - SSD detector post-processing as MediaPipe does it for BlazePose
 * (blazepose.md 3.3 decoding, 3.4 weighted NMS, 3.5 letterbox removal).
 *
 * Pure math on caller-owned arrays: no allocation (sorting is done in place on a caller-supplied
 * index array, never with qsort, which may allocate). Thread-safety: reentrant.
 */
#ifndef RR_POSE_DETECTION_H
#define RR_POSE_DETECTION_H

#include "pose/anchors.h"

#define DETECTION_MAX_KEYPOINTS 4

/* One detection; box as corners, everything normalised to the detector tensor (or, after
 * detection_remove_letterbox, to the image). */
struct detection {
    float score;
    float xmin, ymin, xmax, ymax;
    float kp[DETECTION_MAX_KEYPOINTS][2];
};

struct detection_decode_opts {
    int num_coords;          /* values per anchor in the regressor tensor (12) */
    int num_keypoints;       /* 0..DETECTION_MAX_KEYPOINTS (4) */
    int keypoint_offset;     /* index of the first keypoint value (4) */
    float x_scale, y_scale, w_scale, h_scale; /* 224 */
    float score_clip;        /* raw score clamp (100) */
    float min_score;         /* drop detections with score < min_score (0.5) */
};

/* The options of pose_detection_cpu.pbtxt with min_score = min_detection_confidence. */
struct detection_decode_opts detection_decode_opts_pose(float min_score);

/* Decode n anchors: boxes [n, num_coords] (reverse_output_order XYWH layout), scores [n] raw
 * logits. Keeps detections with sigmoid(clamped score) >= min_score and a non-negative,
 * non-NaN box size, in anchor order. Returns the number written (at most max). */
int detection_decode(const float *boxes, const float *scores, const struct anchor *anchors, int n,
                     const struct detection_decode_opts *o, struct detection *out, int max);

/* Intersection over union of two boxes (0 when they do not overlap). */
float detection_iou(const struct detection *a, const struct detection *b);

/* MediaPipe's WEIGHTED non-max suppression over dets[0..n-1] with IoU threshold `thresh`
 * (strict >). `order` is scratch for n ints. Writes at most max results (best first) to out,
 * which must not alias dets. Returns the count. */
int detection_nms_weighted(const struct detection *dets, int n, float thresh, int *order,
                           struct detection *out, int max);

/* Letterbox padding of a keep_aspect_ratio crop, normalised: left, top, right, bottom. */
struct letterbox {
    float left, top, right, bottom;
};

/* Padding MediaPipe's PadRoi adds to fit a roi_w x roi_h (pixels) region into a tensor_w x
 * tensor_h tensor keeping the aspect ratio; *roi_w / *roi_h grow to the padded size. */
struct letterbox letterbox_pad(int tensor_w, int tensor_h, float *roi_w, float *roi_h);

/* Map a detection from tensor coordinates back to the un-padded region. */
void detection_remove_letterbox(struct detection *d, int num_keypoints, const struct letterbox *p);

#endif
