/*
 * crop.h - rotated-rectangle crop of an RGB image into a float NHWC tensor, reproducing what
 * MediaPipe's ImageToTensorCalculator does on CPU (blazepose.md 3.1, 3.7): the rect's four
 * corners (cv::boxPoints) are mapped onto the output corners, every output pixel (u, v) samples
 * the source at the affine image of (u, v) with OpenCV's integer-pixel-centre convention and
 * OpenCV's 8-bit INTER_LINEAR arithmetic (coordinates quantised to 1/32 pixel, 15-bit fixed-point
 * weights, result rounded to 8 bits), then the value range transform p * (hi - lo) / 255 + lo.
 *
 * No allocation; out must hold out_w * out_h * 3 floats. Thread-safety: reentrant.
 */
#ifndef RR_POSE_CROP_H
#define RR_POSE_CROP_H

#include "../base/rr_image.h"

enum crop_border {
    CROP_BORDER_ZERO = 0,      /* outside pixels are 0 (i.e. `lo` after the range transform) */
    CROP_BORDER_REPLICATE = 1, /* outside pixels repeat the nearest edge pixel */
};

/* A rotated rectangle in pixels (MediaPipe RotatedRect): centre, size, rotation in radians. */
struct crop_rect {
    float cx, cy, w, h;
    float rotation;
};

/* The affine map output pixel -> source point: sx = m[0]*u + m[1]*v + m[2],
 * sy = m[3]*u + m[4]*v + m[5]. */
void crop_affine(const struct crop_rect *r, int out_w, int out_h, double m[6]);

/* Fill out (out_h rows of out_w RGB float triples) from img. Returns 0 or RR_ERR_INVAL for
 * an empty image / non-positive output size. */
int crop_rotated(const struct rr_image *img, const struct crop_rect *r, int out_w, int out_h,
                 enum crop_border border, float lo, float hi, float *out);

#endif
