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

#include "base/rr_image.h"

#include <stddef.h>
#include <stdint.h>

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

/* A planar 8-bit YUV 4:2:0 picture as a video decoder stores it (chroma (w+1)/2 x (h+1)/2,
 * sited left/between rows as in H.264 and MPEG-2), shown upright after a clockwise turn of
 * `rotation` degrees. Colour: `full_range` 0..255 or 16..235; `matrix` 0 BT.601, 1 BT.709,
 * 2 BT.2020 (non-constant luminance). */
struct crop_yuv {
    int width, height; /* stored size */
    const uint8_t *y, *u, *v;
    size_t y_stride, uv_stride;
    int rotation;
    int full_range;
    int matrix;
};

/* 1 when planes, size (<= RR_IMAGE_MAX_SIDE), strides, rotation and matrix are usable. */
int crop_yuv_valid(const struct crop_yuv *img);
/* Upright size of a crop_yuv (width and height swap for 90 / 270). */
void crop_yuv_upright(const struct crop_yuv *img, int *w, int *h);

/* crop_rotated() sampling the YUV planes directly: r is in upright pixels; every output pixel is
 * the bilinear (1/32-pixel, OpenCV convention) luma and chroma at its source point, converted to
 * RGB and rounded to 8 bits, then the range transform. Same geometry and borders as
 * crop_rotated() on the RGB conversion of the picture; colours differ from an RGB converter by
 * its own rounding and chroma interpolation (about one grey level). Returns 0 or RR_ERR_INVAL
 * (bad planes, strides, rotation or matrix, non-positive output size). */
int crop_rotated_yuv(const struct crop_yuv *img, const struct crop_rect *r, int out_w, int out_h,
                     enum crop_border border, float lo, float hi, float *out);

/* Fill out (out_h rows of out_w RGB float triples) from img. Returns 0 or RR_ERR_INVAL for
 * an empty image / non-positive output size. */
int crop_rotated(const struct rr_image *img, const struct crop_rect *r, int out_w, int out_h,
                 enum crop_border border, float lo, float hi, float *out);

#endif
