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

/* ---- YUV 4:2:0 source ---- */

void crop_yuv_upright(const struct crop_yuv *img, int *w, int *h)
{
    int swap = img->rotation == 90 || img->rotation == 270;
    *w = swap ? img->height : img->width;
    *h = swap ? img->width : img->height;
}

int crop_yuv_valid(const struct crop_yuv *im)
{
    return im && im->y && im->u && im->v && im->width >= 1 && im->height >= 1 &&
           im->width <= RR_IMAGE_MAX_SIDE && im->height <= RR_IMAGE_MAX_SIDE &&
           im->y_stride >= (size_t)im->width && im->uv_stride >= (size_t)(im->width + 1) / 2 &&
           (im->rotation == 0 || im->rotation == 90 || im->rotation == 180 ||
            im->rotation == 270) &&
           im->matrix >= 0 && im->matrix <= 2;
}

/* YUV -> RGB on values scaled by 1024 (bilinear sums): rgb = ky * (Y - yoff * wsum) + chroma. */
struct yuv_coef {
    float ky, yoff, kc;   /* range expansion */
    float rv, gu, gv, bu; /* matrix */
};

static struct yuv_coef yuv_coef_make(int full_range, int matrix)
{
    static const float kr[3] = {0.299f, 0.2126f, 0.2627f}, kb[3] = {0.114f, 0.0722f, 0.0593f};
    float r = kr[matrix], b = kb[matrix], g = 1.0f - r - b;
    struct yuv_coef c;
    c.ky = full_range ? 1.0f / 1024.0f : 255.0f / 219.0f / 1024.0f;
    c.yoff = full_range ? 0.0f : 16.0f;
    c.kc = full_range ? 1.0f / 1024.0f : 255.0f / 224.0f / 1024.0f;
    c.rv = 2.0f * (1.0f - r);
    c.bu = 2.0f * (1.0f - b);
    c.gu = 2.0f * b * (1.0f - b) / g;
    c.gv = 2.0f * r * (1.0f - r) / g;
    return c;
}

/* Bilinear chroma at 1/32-chroma-pixel point (X, Y), edges replicated; result scaled by 1024. */
static inline void chroma_at(const struct crop_yuv *im, int cw, int ch, int X, int Y, int *u,
                             int *v)
{
    int sx = X >> 5, sy = Y >> 5, fx = X & 31, fy = Y & 31;
    int x0 = clampi(sx, 0, cw - 1), x1 = clampi(sx + 1, 0, cw - 1);
    int y0 = clampi(sy, 0, ch - 1), y1 = clampi(sy + 1, 0, ch - 1);
    size_t r0 = (size_t)y0 * im->uv_stride, r1 = (size_t)y1 * im->uv_stride;
    int w00 = (32 - fx) * (32 - fy), w01 = fx * (32 - fy), w10 = (32 - fx) * fy, w11 = fx * fy;
    *u = im->u[r0 + (size_t)x0] * w00 + im->u[r0 + (size_t)x1] * w01 +
         im->u[r1 + (size_t)x0] * w10 + im->u[r1 + (size_t)x1] * w11;
    *v = im->v[r0 + (size_t)x0] * w00 + im->v[r0 + (size_t)x1] * w01 +
         im->v[r1 + (size_t)x0] * w10 + im->v[r1 + (size_t)x1] * w11;
}

int crop_rotated_yuv(const struct crop_yuv *img, const struct crop_rect *r, int out_w, int out_h,
                     enum crop_border border, float lo, float hi, float *out)
{
    if (!crop_yuv_valid(img) || !r || out_w < 1 || out_h < 1 || !out)
        return RR_ERR_INVAL;
    const float scale = (hi - lo) / 255.0f;
    const struct yuv_coef k = yuv_coef_make(img->full_range, img->matrix);

    /* output -> upright (m), then upright -> stored (n): the turn is an exact pixel permutation */
    double m[6], n[6];
    crop_affine(r, out_w, out_h, m);
    const double w1d = img->width - 1, h1d = img->height - 1;
    switch (img->rotation) {
    case 90: /* upright (x, y) shows stored (y, h-1-x) */
        n[0] = m[3], n[1] = m[4], n[2] = m[5];
        n[3] = -m[0], n[4] = -m[1], n[5] = h1d - m[2];
        break;
    case 180:
        n[0] = -m[0], n[1] = -m[1], n[2] = w1d - m[2];
        n[3] = -m[3], n[4] = -m[4], n[5] = h1d - m[5];
        break;
    case 270: /* upright (x, y) shows stored (w-1-y, x) */
        n[0] = -m[3], n[1] = -m[4], n[2] = w1d - m[5];
        n[3] = m[0], n[4] = m[1], n[5] = m[2];
        break;
    default:
        for (int i = 0; i < 6; i++)
            n[i] = m[i];
        break;
    }
    const int iw = img->width, ih = img->height;
    const int cw = (iw + 1) / 2, ch = (ih + 1) / 2;
    const size_t ys = img->y_stride;
    const uint8_t *Yp = img->y;
    const unsigned w1 = (unsigned)(iw - 1), h1 = (unsigned)(ih - 1);
    const int replicate = border == CROP_BORDER_REPLICATE;

    /* Luma point in 1/32 pixel; chroma point (x/2, (y-0.5)/2) in 1/32 chroma pixel. Rows whose
     * ends stay within +-2^20 pixels step in 48.16 fixed point (no per-pixel rounding of doubles;
     * the accumulated step error is below 1/2^10 of a 1/32 pixel over a row); others take the
     * double path. BIAS keeps the fixed-point values positive so shifts are plain floors. */
    const int64_t BIAS = (int64_t)1 << 46, FIX = 65536;
    const double lim = 1048576.0;
    const float ky = k.ky, yoff = k.yoff, kc = k.kc, rv = k.rv, gu = k.gu, gv = k.gv, bu = k.bu;
    const size_t cs = img->uv_stride;
    const uint8_t *Up = img->u, *Vp = img->v;
    /* 8-bit rounding, clamping and the range transform in one lookup: entry i is the output
     * for the RGB value i - CLAMP_OFF clamped to 0..255. Converted values stay within about
     * -300..600 (luma -19..298, chroma terms at most 1.9 x 146), so OFF 384 and 1024 entries hold
     * them; the index is clamped anyway. */
    enum { CLAMP_OFF = 384, CLAMP_N = 1024 };
    float clamp_lut[CLAMP_N];
    for (int i = 0; i < CLAMP_N; i++) {
        int q = clampi(i - CLAMP_OFF, 0, 255);
        clamp_lut[i] = (float)q * scale + lo;
    }
    for (int v = 0; v < out_h; v++) {
        double x0 = n[1] * v + n[2], y0 = n[4] * v + n[5];
        double x1 = x0 + n[0] * (out_w - 1), y1 = y0 + n[3] * (out_w - 1);
        int fixed_row = fabs(x0) < lim && fabs(x1) < lim && fabs(y0) < lim && fabs(y1) < lim;
        int64_t xf = 0, yf = 0, dxf = 0, dyf = 0;
        if (fixed_row) {
            xf = (int64_t)(x0 * 32.0 * (double)FIX + (double)BIAS + 0.5 * (double)FIX);
            yf = (int64_t)(y0 * 32.0 * (double)FIX + (double)BIAS + 0.5 * (double)FIX);
            dxf = (int64_t)(n[0] * 32.0 * (double)FIX);
            dyf = (int64_t)(n[3] * 32.0 * (double)FIX);
        }
        const double xr = x0 * 32.0, yr = y0 * 32.0, dx = n[0] * 32.0, dy = n[3] * 32.0;
        float *o = out + (size_t)v * (size_t)out_w * 3;
        {
            for (int u = 0; u < out_w; u++, o += 3) {
                int X, Y;
                if (fixed_row) {
                    X = (int)(((xf + dxf * u) >> 16) - (BIAS >> 16));
                    Y = (int)(((yf + dyf * u) >> 16) - (BIAS >> 16));
                } else {
                    X = round_fixed(clamp_coord(xr + dx * u));
                    Y = round_fixed(clamp_coord(yr + dy * u));
                }
                int sx = X >> 5, sy = Y >> 5;
                int fx = X & 31, fy = Y & 31;
                int w00 = (32 - fx) * (32 - fy), w01 = fx * (32 - fy);
                int w10 = (32 - fx) * fy, w11 = fx * fy;
                int ysum, wsum = 1024;
                if ((unsigned)sx < w1 && (unsigned)sy < h1) {
                    const uint8_t *p = Yp + (size_t)sy * ys + (size_t)sx;
                    ysum = p[0] * w00 + p[1] * w01 + p[ys] * w10 + p[ys + 1] * w11;
                } else {
                    if (!replicate && (sx >= iw || sx + 1 < 0 || sy >= ih || sy + 1 < 0)) {
                        o[0] = o[1] = o[2] = clamp_lut[CLAMP_OFF];
                        continue;
                    }
                    int x0i, x1i, y0i, y1i;
                    if (replicate) {
                        x0i = clampi(sx, 0, iw - 1);
                        x1i = clampi(sx + 1, 0, iw - 1);
                        y0i = clampi(sy, 0, ih - 1);
                        y1i = clampi(sy + 1, 0, ih - 1);
                    } else { /* outside neighbours are black RGB: they drop out of the sum */
                        x0i = sx >= 0 && sx < iw ? sx : -1;
                        x1i = sx + 1 >= 0 && sx + 1 < iw ? sx + 1 : -1;
                        y0i = sy >= 0 && sy < ih ? sy : -1;
                        y1i = sy + 1 >= 0 && sy + 1 < ih ? sy + 1 : -1;
                    }
                    const int xs[4] = {x0i, x1i, x0i, x1i}, yv[4] = {y0i, y0i, y1i, y1i};
                    const int ws[4] = {w00, w01, w10, w11};
                    ysum = 0;
                    wsum = 0;
                    for (int j = 0; j < 4; j++) {
                        if (xs[j] < 0 || yv[j] < 0)
                            continue;
                        ysum += Yp[(size_t)yv[j] * ys + (size_t)xs[j]] * ws[j];
                        wsum += ws[j];
                    }
                }
                int CX = X >> 1, CY = (Y >> 1) - 8; /* floor halves: 1/64 pixel at most */
                int cx = CX >> 5, cy = CY >> 5;
                int cu, cvv;
                if ((unsigned)cx < (unsigned)(cw - 1) && (unsigned)cy < (unsigned)(ch - 1)) {
                    int gx = CX & 31, gy = CY & 31;
                    int c00 = (32 - gx) * (32 - gy), c01 = gx * (32 - gy);
                    int c10 = (32 - gx) * gy, c11 = gx * gy;
                    size_t at = (size_t)cy * cs + (size_t)cx;
                    const uint8_t *pu = Up + at, *pv = Vp + at;
                    cu = pu[0] * c00 + pu[1] * c01 + pu[cs] * c10 + pu[cs + 1] * c11;
                    cvv = pv[0] * c00 + pv[1] * c01 + pv[cs] * c10 + pv[cs + 1] * c11;
                } else {
                    chroma_at(img, cw, ch, CX, CY, &cu, &cvv);
                }
                /* Chroma sums are scaled by 1024 like ysum; weight them like this pixel's luma
                 * (wsum is below 1024 only at a zero border). */
                float fw = (float)wsum * (1.0f / 1024.0f);
                float yy = ((float)ysum - yoff * (float)wsum) * ky + ((float)CLAMP_OFF + 0.5f);
                float uu = ((float)cu - 131072.0f) * kc * fw;
                float vv = ((float)cvv - 131072.0f) * kc * fw;
                o[0] = clamp_lut[clampi((int)(yy + rv * vv), 0, CLAMP_N - 1)];
                o[1] = clamp_lut[clampi((int)(yy - gu * uu - gv * vv), 0, CLAMP_N - 1)];
                o[2] = clamp_lut[clampi((int)(yy + bu * uu), 0, CLAMP_N - 1)];
            }
        }
    }
    return 0;
}
