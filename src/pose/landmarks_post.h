/*
 * landmarks_post.h - BlazePose landmark-model post-processing (blazepose.md 3.8):
 * tensor -> 39 crop-normalised landmarks (TensorsToLandmarks), heatmap refinement
 * (RefineLandmarksFromHeatmap), letterbox removal and projection from the ROI to the image
 * (LandmarkProjection), world landmarks rotated by the ROI (WorldLandmarkProjection).
 *
 * Pure math on caller-owned arrays, no allocation. Thread-safety: reentrant.
 */
#ifndef RR_POSE_LANDMARKS_POST_H
#define RR_POSE_LANDMARKS_POST_H

#include "pose/detection.h"
#include "pose/roi.h"

#define LMPOST_NUM 39     /* landmarks the model outputs (33 pose + 2 aux + 4 unused) */
#define LMPOST_AUX0 33    /* ROI centre (mid-hip) */
#define LMPOST_AUX1 34    /* ROI size / rotation point */

struct lmpost_point {
    float x, y, z;
    float visibility, presence;
};

/* raw[5*n]: x, y, z in pixels of the input_size x input_size crop, visibility and presence
 * logits. Writes x/size, y/size, z/size/normalize_z, sigmoid(vis), sigmoid(presence). */
void lmpost_decode(const float *raw, int n, int input_size, float normalize_z,
                   struct lmpost_point *out);

/* Refine x, y of pts[0..n-1] from heatmap logits [hm_h, hm_w, channels] (channel i belongs to
 * point i): sigmoid-weighted centroid over a kernel x kernel window, when the window's max
 * confidence >= min_conf. Reproduces MediaPipe's bounds check exactly (it tests the column
 * against the height, so rows below the map shrink the window instead of skipping it). */
void lmpost_refine_heatmap(struct lmpost_point *pts, int n, const float *heatmap, int hm_h,
                           int hm_w, int channels, int kernel, float min_conf);

/* Letterbox removal then projection from the ROI (normalised to the image) to the image. */
void lmpost_project(struct lmpost_point *pts, int n, const struct letterbox *pad,
                    const struct roi_rect *roi);

/* World landmarks: raw[3*n] metres; rotate x, y by the ROI rotation. */
void lmpost_world(const float *raw, int n, float rotation, float (*out)[3]);

#endif
