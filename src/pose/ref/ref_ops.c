/*
 * ref_ops.c - reference kernels for the non-convolution ops: ADD, LOGISTIC, MAX_POOL_2D, PAD,
 * RESIZE_BILINEAR, DEPTH_TO_SPACE and CONCATENATION (TFLite semantics, NHWC fp32).
 *
 * These ops move or combine data and cost little next to the convolutions, so they favour plain
 * loops that mirror the TFLite reference kernels (resize follows reference_ops ResizeBilinear
 * step for step, including its float arithmetic).
 */
#include "pose/ref/ref.h"
#include "pose/model.h"

#include <assert.h>
#include <float.h>
#include <math.h>
#include <string.h>

void ref_add(const float *a, const float *b, float *y, size_t count, int act)
{
    for (size_t k = 0; k < count; k++)
        y[k] = a[k] + b[k];
    ref_activate(y, count, act);
}

void ref_logistic(const float *x, float *y, size_t count)
{
    for (size_t k = 0; k < count; k++) {
        const float v = x[k];
        if (v >= 0.0f) {
            y[k] = 1.0f / (1.0f + expf(-v));
        } else {
            const float e = expf(v); /* never overflows for v < 0 */
            y[k] = e / (1.0f + e);
        }
    }
}

void ref_maxpool2d(const float *x, struct ref_dims xd, float *y, struct ref_dims yd,
                   const struct ref_window *win, int act)
{
    assert(xd.n == yd.n && xd.c == yd.c);
    const int c = xd.c;
    for (int n = 0; n < yd.n; n++)
        for (int oy = 0; oy < yd.h; oy++)
            for (int ox = 0; ox < yd.w; ox++) {
                float *yr = y + (((size_t)n * yd.h + oy) * yd.w + ox) * c;
                for (int k = 0; k < c; k++)
                    yr[k] = -FLT_MAX;
                for (int ky = 0; ky < win->kh; ky++) {
                    const int iy = oy * win->stride_h - win->pad_top + ky * win->dilation_h;
                    if (iy < 0 || iy >= xd.h)
                        continue;
                    for (int kx = 0; kx < win->kw; kx++) {
                        const int ix = ox * win->stride_w - win->pad_left + kx * win->dilation_w;
                        if (ix < 0 || ix >= xd.w)
                            continue;
                        const float *xr = x + (((size_t)n * xd.h + iy) * xd.w + ix) * c;
                        for (int k = 0; k < c; k++)
                            yr[k] = xr[k] > yr[k] ? xr[k] : yr[k];
                    }
                }
                ref_activate(yr, (size_t)c, act);
            }
}

void ref_pad(const float *x, const int in[4], const int pad[4][2], float *y)
{
    int out[4];
    for (int d = 0; d < 4; d++)
        out[d] = in[d] + pad[d][0] + pad[d][1];
    memset(y, 0, (size_t)out[0] * out[1] * out[2] * out[3] * sizeof *y);
    const size_t row = (size_t)in[3];
    for (int a = 0; a < in[0]; a++)
        for (int b = 0; b < in[1]; b++)
            for (int c = 0; c < in[2]; c++) {
                const float *src = x + (((size_t)a * in[1] + b) * in[2] + c) * row;
                float *dst = y + ((((size_t)a + pad[0][0]) * out[1] + b + pad[1][0]) * out[2] +
                                  c + pad[2][0]) * out[3] + pad[3][0];
                memcpy(dst, src, row * sizeof *y);
            }
}

/* One axis of TFLite's ComputeInterpolationValues. */
static void interp(int dst, float scale, int half_pixel, int in, float *src, int *lo, int *hi)
{
    const float v = half_pixel ? ((float)dst + 0.5f) * scale - 0.5f : (float)dst * scale;
    const int f = (int)floorf(v);
    const int c = (int)ceilf(v);
    *src = v;
    *lo = f > 0 ? f : 0;
    *hi = c < in - 1 ? c : in - 1;
}

static float axis_scale(int in, int out, int align_corners)
{
    if (align_corners && out > 1)
        return (float)(in - 1) / (float)(out - 1);
    return (float)in / (float)out;
}

void ref_resize_bilinear(const float *x, struct ref_dims xd, float *y, struct ref_dims yd,
                         int align_corners, int half_pixel_centers)
{
    assert(xd.n == yd.n && xd.c == yd.c);
    const float sy = axis_scale(xd.h, yd.h, align_corners);
    const float sx = axis_scale(xd.w, yd.w, align_corners);
    const int c = xd.c;
    for (int n = 0; n < yd.n; n++)
        for (int oy = 0; oy < yd.h; oy++) {
            float fy;
            int y0, y1;
            interp(oy, sy, half_pixel_centers, xd.h, &fy, &y0, &y1);
            const float dy = fy - (float)y0;
            const float *r0 = x + ((size_t)n * xd.h + y0) * xd.w * c;
            const float *r1 = x + ((size_t)n * xd.h + y1) * xd.w * c;
            for (int ox = 0; ox < yd.w; ox++) {
                float fx;
                int x0, x1;
                interp(ox, sx, half_pixel_centers, xd.w, &fx, &x0, &x1);
                const float dx = fx - (float)x0;
                const float w00 = (1 - dy) * (1 - dx), w10 = dy * (1 - dx);
                const float w01 = (1 - dy) * dx, w11 = dy * dx;
                const float *p00 = r0 + (size_t)x0 * c, *p01 = r0 + (size_t)x1 * c;
                const float *p10 = r1 + (size_t)x0 * c, *p11 = r1 + (size_t)x1 * c;
                float *yr = y + (((size_t)n * yd.h + oy) * yd.w + ox) * c;
                for (int k = 0; k < c; k++)
                    yr[k] = p00[k] * w00 + p10[k] * w10 + p01[k] * w01 + p11[k] * w11;
            }
        }
}

void ref_depth_to_space(const float *x, struct ref_dims xd, int block, float *y)
{
    assert(block >= 1 && xd.c % (block * block) == 0);
    const int co = xd.c / (block * block);
    const int oh = xd.h * block, ow = xd.w * block;
    for (int n = 0; n < xd.n; n++)
        for (int h = 0; h < xd.h; h++)
            for (int w = 0; w < xd.w; w++) {
                const float *src = x + (((size_t)n * xd.h + h) * xd.w + w) * xd.c;
                for (int i = 0; i < block; i++)
                    for (int j = 0; j < block; j++) {
                        float *dst = y + (((size_t)n * oh + (size_t)h * block + i) * ow +
                                          (size_t)w * block + j) * co;
                        memcpy(dst, src + ((size_t)i * block + j) * co, (size_t)co * sizeof *y);
                    }
            }
}

void ref_concat(const float *const *xs, const size_t *inner, int n, size_t outer, float *y,
                int act)
{
    float *dst = y;
    for (size_t o = 0; o < outer; o++)
        for (int k = 0; k < n; k++) {
            memcpy(dst, xs[k] + o * inner[k], inner[k] * sizeof *y);
            dst += inner[k];
        }
    ref_activate(y, (size_t)(dst - y), act);
}
