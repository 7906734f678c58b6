/*
 * crop.c - rotated crop with OpenCV's fixed-point bilinear warp (see crop.h).
 *
 * DESIGN: cv::warpPerspective on 8UC3 computes, per output pixel, the source point in double,
 * rounds 32*x to an int (cvRound), splits it into an integer pixel (>> 5) and a 1/32 fraction,
 * and blends the four neighbours with weights (32-fx)(32-fy)*32 ... summing to 1 << 15, rounding
 * the result to uint8. The converter then maps uint8 to float with convertTo(scale, offset).
 * The rect is a parallelogram, so the map is affine: we step it incrementally, no trig per pixel.
 */
#include "crop.h"
#include "../base/rr_error.h"

#include <math.h>
#include <stdint.h>

#define CROP_PI 3.14159265358979323846

void crop_affine(const struct crop_rect *r, int out_w, int out_h, double m[6])
{
    /* cv::boxPoints on a cv::RotatedRect whose angle is in float degrees. */
    float deg = r->rotation * 180.0f / (float)CROP_PI;
    double ang = deg * CROP_PI / 180.0;
    float b = (float)cos(ang) * 0.5f;
    float a = (float)sin(ang) * 0.5f;
    float p0x = r->cx - a * r->h - b * r->w; /* -> output (0, H) */
    float p0y = r->cy + b * r->h - a * r->w;
    float p1x = r->cx + a * r->h - b * r->w; /* -> output (0, 0) */
    float p1y = r->cy - b * r->h - a * r->w;
    float p2x = 2 * r->cx - p0x;             /* -> output (W, 0) */
    float p2y = 2 * r->cy - p0y;
    double W = out_w, H = out_h;
    m[0] = (p2x - (double)p1x) / W;
    m[1] = (p0x - (double)p1x) / H;
    m[2] = p1x;
    m[3] = (p2y - (double)p1y) / W;
    m[4] = (p0y - (double)p1y) / H;
    m[5] = p1y;
}

static inline int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Round half to even like cvRound (default FP rounding mode), without a libm call: adding
 * 1.5 * 2^52 leaves the rounded integer in the low mantissa bits. Callers clamp |v| < 2^30. */
static inline int round_fixed(double v)
{
    union {
        double d;
        int64_t i;
    } u;
    u.d = v + 6755399441055744.0;
    return (int)(int32_t)(uint32_t)(uint64_t)u.i;
}

static inline double clamp_coord(double v)
{
    return v < -1073741824.0 ? -1073741824.0 : v > 1073741823.0 ? 1073741823.0 : v;
}

int crop_rotated(const struct rr_image *img, const struct crop_rect *r, int out_w, int out_h,
                 enum crop_border border, float lo, float hi, float *out)
{
    if (!img || !img->rgb || img->width < 1 || img->height < 1 || out_w < 1 || out_h < 1 || !out)
        return RR_ERR_INVAL;
    float lut[256];
    float scale = (hi - lo) / 255.0f;
    for (int i = 0; i < 256; i++)
        lut[i] = (float)i * scale + lo;

    double m[6];
    crop_affine(r, out_w, out_h, m);
    const int iw = img->width, ih = img->height;
    const size_t stride = img->stride;
    const uint8_t *src = img->rgb;
    const unsigned w1 = (unsigned)(iw - 1), h1 = (unsigned)(ih - 1);
    const int replicate = border == CROP_BORDER_REPLICATE;

    /* everything in units of 1/32 pixel */
    const double dx = m[0] * 32.0, dy = m[3] * 32.0;
    for (int v = 0; v < out_h; v++) {
        double xr = (m[1] * v + m[2]) * 32.0, yr = (m[4] * v + m[5]) * 32.0;
        float *o = out + (size_t)v * (size_t)out_w * 3;
        for (int u = 0; u < out_w; u++, o += 3) {
            int X = round_fixed(clamp_coord(xr + dx * u));
            int Y = round_fixed(clamp_coord(yr + dy * u));
            int sx = X >> 5, sy = Y >> 5; /* arithmetic shift = floor */
            int fx = X & 31, fy = Y & 31;
            int w00 = (32 - fx) * (32 - fy), w01 = fx * (32 - fy);
            int w10 = (32 - fx) * fy, w11 = fx * fy;
            if ((unsigned)sx < w1 && (unsigned)sy < h1) {
                const uint8_t *p = src + (size_t)sy * stride + (size_t)sx * 3;
                const uint8_t *q = p + stride;
                for (int c = 0; c < 3; c++) {
                    int s = p[c] * w00 + p[c + 3] * w01 + q[c] * w10 + q[c + 3] * w11;
                    o[c] = lut[(s + 512) >> 10];
                }
                continue;
            }
            if (!replicate && (sx >= iw || sx + 1 < 0 || sy >= ih || sy + 1 < 0)) {
                o[0] = o[1] = o[2] = lut[0];
                continue;
            }
            int x0, x1, y0, y1;
            if (replicate) {
                x0 = clampi(sx, 0, iw - 1);
                x1 = clampi(sx + 1, 0, iw - 1);
                y0 = clampi(sy, 0, ih - 1);
                y1 = clampi(sy + 1, 0, ih - 1);
            } else {
                x0 = sx >= 0 && sx < iw ? sx : -1;
                x1 = sx + 1 >= 0 && sx + 1 < iw ? sx + 1 : -1;
                y0 = sy >= 0 && sy < ih ? sy : -1;
                y1 = sy + 1 >= 0 && sy + 1 < ih ? sy + 1 : -1;
            }
            for (int c = 0; c < 3; c++) {
                int v00 = x0 >= 0 && y0 >= 0 ? src[(size_t)y0 * stride + (size_t)x0 * 3 + c] : 0;
                int v01 = x1 >= 0 && y0 >= 0 ? src[(size_t)y0 * stride + (size_t)x1 * 3 + c] : 0;
                int v10 = x0 >= 0 && y1 >= 0 ? src[(size_t)y1 * stride + (size_t)x0 * 3 + c] : 0;
                int v11 = x1 >= 0 && y1 >= 0 ? src[(size_t)y1 * stride + (size_t)x1 * 3 + c] : 0;
                int s = v00 * w00 + v01 * w01 + v10 * w10 + v11 * w11;
                o[c] = lut[(s + 512) >> 10];
            }
        }
    }
    return 0;
}
