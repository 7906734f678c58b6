/*
 * roi.h - rotated regions of interest as MediaPipe computes them (blazepose.md 3.6, 3.9):
 * AlignmentPointsRectsCalculator (two keypoints -> rotated square), RectTransformationCalculator
 * (scale + square_long) and the radian normalisation of DetectionsToRectsCalculator.
 *
 * Pure math, no allocation. Thread-safety: reentrant.
 */
#ifndef RR_POSE_ROI_H
#define RR_POSE_ROI_H

/* MediaPipe NormalizedRect: centre and size normalised to the image, rotation in radians
 * (clockwise on screen, y down). */
struct roi_rect {
    float xc, yc, w, h;
    float rotation;
};

/* a - 2*pi*floor((a + pi) / (2*pi)), i.e. into [-pi, pi). */
float roi_normalize_radians(float a);

/* Rect centred on (x0, y0) (normalised), side 2*|p1 - p0| in pixels, rotated so that the vector
 * p0 -> p1 points at target_angle (radians, 90 deg = up). */
struct roi_rect roi_from_alignment(float x0, float y0, float x1, float y1, int img_w, int img_h,
                                   float target_angle);

/* Scale width/height by sx, sy after optionally making the rect square on its long side in
 * pixels (square_long). Centre and rotation are unchanged (shift 0). */
struct roi_rect roi_transform(struct roi_rect r, int img_w, int img_h, float sx, float sy,
                              int square_long);

/* The BlazePose ROI: alignment (target 90 deg) followed by 1.25 x 1.25 square_long. */
struct roi_rect roi_pose(float x0, float y0, float x1, float y1, int img_w, int img_h);

#endif
