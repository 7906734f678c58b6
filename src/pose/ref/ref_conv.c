/*
 * ref_conv.c - reference CONV_2D and DEPTHWISE_CONV_2D (TFLite semantics, NHWC fp32).
 *
 * DESIGN: correctness first, then just fast enough for tests and offline use. The filter of a
 * convolution is repacked once (at net creation) from OHWI to [KH,KW,I,O] so the innermost loop
 * runs over contiguous output channels; depthwise filters are already [KH,KW,C]. Hot loops work
 * on fixed-width tiles (REF_TILE output channels, REF_ROWS pixels) held in small local arrays:
 * the trip counts are compile-time constants, which GCC/Clang vectorise even at -O2 (GCC's
 * "very cheap" cost model refuses loops whose count is unknown), and the remainder is handled by
 * a plain scalar loop. Results differ from TFLite only by float summation order.
 */
#include "pose/ref/ref.h"
#include "base/rr_error.h"
#include "pose/model.h"

#include <assert.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define REF_TILE 8 /* output channels per register tile */
#define REF_ROWS 4 /* pixels per 1x1-convolution block */

int ref_window_size(int in, int k, int stride, int dilation, int same, int *out, int *pad_before,
                    int *pad_after)
{
    if (in < 1 || k < 1 || stride < 1 || dilation < 1)
        return RR_ERR_INVAL;
    int64_t eff = (int64_t)(k - 1) * dilation + 1;
    if (eff > INT_MAX)
        return RR_ERR_TOOBIG;
    int64_t o, total = 0;
    if (same) {
        o = ((int64_t)in + stride - 1) / stride;
        total = (o - 1) * stride + eff - in;
        if (total < 0)
            total = 0;
    } else {
        if (eff > in)
            return RR_ERR_INVAL;
        o = (in - eff) / stride + 1;
    }
    *out = (int)o;
    if (pad_before)
        *pad_before = (int)(total / 2);
    if (pad_after)
        *pad_after = (int)(total - total / 2);
    return 0;
}

static void act_bounds(int act, float *lo, float *hi)
{
    switch (act) {
    case MODEL_ACT_RELU:
        *lo = 0.0f;
        *hi = INFINITY;
        break;
    case MODEL_ACT_RELU_N1_TO_1:
        *lo = -1.0f;
        *hi = 1.0f;
        break;
    case MODEL_ACT_RELU6:
        *lo = 0.0f;
        *hi = 6.0f;
        break;
    default:
        *lo = -INFINITY;
        *hi = INFINITY;
        break;
    }
}

static inline float clampf(float v, float lo, float hi)
{
    v = v < lo ? lo : v;
    return v > hi ? hi : v;
}

void ref_activate(float *x, size_t count, int act)
{
    if (act == MODEL_ACT_NONE)
        return;
    float lo, hi;
    act_bounds(act, &lo, &hi);
    for (size_t k = 0; k < count; k++)
        x[k] = clampf(x[k], lo, hi);
}

int ref_conv2d_packed_size(int o, int kh, int kw, int i, size_t *out)
{
    if (o < 1 || kh < 1 || kw < 1 || i < 1)
        return RR_ERR_INVAL;
    size_t n = (size_t)o;
    const int f[3] = {kh, kw, i};
    for (int k = 0; k < 3; k++) {
        if (n > SIZE_MAX / sizeof(float) / (size_t)f[k])
            return RR_ERR_TOOBIG;
        n *= (size_t)f[k];
    }
    *out = n;
    return 0;
}

void ref_conv2d_pack(const float *ohwi, int o, int kh, int kw, int i, float *packed)
{
    for (int oc = 0; oc < o; oc++)
        for (int y = 0; y < kh; y++)
            for (int x = 0; x < kw; x++)
                for (int ic = 0; ic < i; ic++)
                    packed[(((size_t)y * kw + x) * i + ic) * o + oc] =
                        ohwi[(((size_t)oc * kh + y) * kw + x) * i + ic];
}

/* 1x1 convolution, stride 1, no padding: y[P,O] = x[P,I] * w[I,O] + bias, then clamp.
 * Blocks of REF_ROWS pixels share every load of a weight tile. */
static void conv1x1(const float *restrict x, size_t pixels, int ci, const float *restrict w,
                    const float *restrict bias, float *restrict y, int co, float lo, float hi)
{
    size_t p = 0;
    for (; p + REF_ROWS <= pixels; p += REF_ROWS) {
        const float *restrict xr = x + p * (size_t)ci;
        float *restrict yr = y + p * (size_t)co;
        int o0 = 0;
        for (; o0 + REF_TILE <= co; o0 += REF_TILE) {
            float acc[REF_ROWS][REF_TILE];
            for (int r = 0; r < REF_ROWS; r++)
                for (int t = 0; t < REF_TILE; t++)
                    acc[r][t] = bias ? bias[o0 + t] : 0.0f;
            for (int i = 0; i < ci; i++) {
                const float *restrict wv = w + (size_t)i * co + o0;
                for (int r = 0; r < REF_ROWS; r++) {
                    const float a = xr[(size_t)r * ci + i];
                    for (int t = 0; t < REF_TILE; t++)
                        acc[r][t] += a * wv[t];
                }
            }
            for (int r = 0; r < REF_ROWS; r++)
                for (int t = 0; t < REF_TILE; t++)
                    yr[(size_t)r * co + o0 + t] = clampf(acc[r][t], lo, hi);
        }
        for (; o0 < co; o0++) {
            for (int r = 0; r < REF_ROWS; r++) {
                float s = bias ? bias[o0] : 0.0f;
                for (int i = 0; i < ci; i++)
                    s += xr[(size_t)r * ci + i] * w[(size_t)i * co + o0];
                yr[(size_t)r * co + o0] = clampf(s, lo, hi);
            }
        }
    }
    for (; p < pixels; p++) {
        const float *restrict xr = x + p * (size_t)ci;
        float *restrict yr = y + p * (size_t)co;
        int o0 = 0;
        for (; o0 + REF_TILE <= co; o0 += REF_TILE) {
            float acc[REF_TILE];
            for (int t = 0; t < REF_TILE; t++)
                acc[t] = bias ? bias[o0 + t] : 0.0f;
            for (int i = 0; i < ci; i++) {
                const float *restrict wv = w + (size_t)i * co + o0;
                const float a = xr[i];
                for (int t = 0; t < REF_TILE; t++)
                    acc[t] += a * wv[t];
            }
            for (int t = 0; t < REF_TILE; t++)
                yr[o0 + t] = clampf(acc[t], lo, hi);
        }
        for (; o0 < co; o0++) {
            float s = bias ? bias[o0] : 0.0f;
            for (int i = 0; i < ci; i++)
                s += xr[i] * w[(size_t)i * co + o0];
            yr[o0] = clampf(s, lo, hi);
        }
    }
}

/* yr[o] += sum_i xr[i] * wk[i*co + o] over all output channels (one kernel tap). */
static void conv_tap(float *restrict yr, const float *restrict xr, const float *restrict wk,
                     int ci, int co)
{
    int o0 = 0;
    for (; o0 + REF_TILE <= co; o0 += REF_TILE) {
        float acc[REF_TILE];
        for (int t = 0; t < REF_TILE; t++)
            acc[t] = yr[o0 + t];
        for (int i = 0; i < ci; i++) {
            const float *restrict wv = wk + (size_t)i * co + o0;
            const float a = xr[i];
            for (int t = 0; t < REF_TILE; t++)
                acc[t] += a * wv[t];
        }
        for (int t = 0; t < REF_TILE; t++)
            yr[o0 + t] = acc[t];
    }
    for (; o0 < co; o0++) {
        float s = yr[o0];
        for (int i = 0; i < ci; i++)
            s += xr[i] * wk[(size_t)i * co + o0];
        yr[o0] = s;
    }
}

void ref_conv2d(const float *x, struct ref_dims xd, const float *w, const float *bias, float *y,
                struct ref_dims yd, const struct ref_window *win, int act)
{
    assert(xd.n == yd.n && win->kh >= 1 && win->kw >= 1);
    float lo, hi;
    act_bounds(act, &lo, &hi);
    const int ci = xd.c, co = yd.c;

    if (win->kh == 1 && win->kw == 1 && win->stride_h == 1 && win->stride_w == 1 &&
        win->pad_top == 0 && win->pad_left == 0 && xd.h == yd.h && xd.w == yd.w) {
        conv1x1(x, (size_t)xd.n * xd.h * xd.w, ci, w, bias, y, co, lo, hi);
        return;
    }

    const size_t tap = (size_t)ci * co;
    for (int n = 0; n < yd.n; n++) {
        for (int oy = 0; oy < yd.h; oy++) {
            for (int ox = 0; ox < yd.w; ox++) {
                float *yr = y + (((size_t)n * yd.h + oy) * yd.w + ox) * co;
                for (int o = 0; o < co; o++)
                    yr[o] = bias ? bias[o] : 0.0f;
                for (int ky = 0; ky < win->kh; ky++) {
                    const int iy = oy * win->stride_h - win->pad_top + ky * win->dilation_h;
                    if (iy < 0 || iy >= xd.h)
                        continue;
                    for (int kx = 0; kx < win->kw; kx++) {
                        const int ix = ox * win->stride_w - win->pad_left + kx * win->dilation_w;
                        if (ix < 0 || ix >= xd.w)
                            continue;
                        conv_tap(yr, x + (((size_t)n * xd.h + iy) * xd.w + ix) * ci,
                                 w + ((size_t)ky * win->kw + kx) * tap, ci, co);
                    }
                }
                for (int o = 0; o < co; o++)
                    yr[o] = clampf(yr[o], lo, hi);
            }
        }
    }
}

/* Depthwise with multiplier 1: per output pixel, tiles of REF_TILE channels accumulate over the
 * in-bounds taps. */
static void dwconv_m1(const float *restrict x, struct ref_dims xd, const float *restrict w,
                      const float *restrict bias, float *restrict y, struct ref_dims yd,
                      const struct ref_window *win, float lo, float hi)
{
    const int c = yd.c;
    for (int n = 0; n < yd.n; n++) {
        for (int oy = 0; oy < yd.h; oy++) {
            const int iy0 = oy * win->stride_h - win->pad_top;
            for (int ox = 0; ox < yd.w; ox++) {
                const int ix0 = ox * win->stride_w - win->pad_left;
                float *restrict yr = y + (((size_t)n * yd.h + oy) * yd.w + ox) * c;
                int c0 = 0;
                for (; c0 + REF_TILE <= c; c0 += REF_TILE) {
                    float acc[REF_TILE];
                    for (int t = 0; t < REF_TILE; t++)
                        acc[t] = bias ? bias[c0 + t] : 0.0f;
                    for (int ky = 0; ky < win->kh; ky++) {
                        const int iy = iy0 + ky * win->dilation_h;
                        if (iy < 0 || iy >= xd.h)
                            continue;
                        const float *restrict xrow = x + ((size_t)n * xd.h + iy) * xd.w * c + c0;
                        const float *restrict wrow = w + (size_t)ky * win->kw * c + c0;
                        for (int kx = 0; kx < win->kw; kx++) {
                            const int ix = ix0 + kx * win->dilation_w;
                            if (ix < 0 || ix >= xd.w)
                                continue;
                            const float *restrict xv = xrow + (size_t)ix * c;
                            const float *restrict wv = wrow + (size_t)kx * c;
                            for (int t = 0; t < REF_TILE; t++)
                                acc[t] += xv[t] * wv[t];
                        }
                    }
                    for (int t = 0; t < REF_TILE; t++)
                        yr[c0 + t] = clampf(acc[t], lo, hi);
                }
                for (; c0 < c; c0++) {
                    float s = bias ? bias[c0] : 0.0f;
                    for (int ky = 0; ky < win->kh; ky++) {
                        const int iy = iy0 + ky * win->dilation_h;
                        if (iy < 0 || iy >= xd.h)
                            continue;
                        for (int kx = 0; kx < win->kw; kx++) {
                            const int ix = ix0 + kx * win->dilation_w;
                            if (ix < 0 || ix >= xd.w)
                                continue;
                            s += x[(((size_t)n * xd.h + iy) * xd.w + ix) * c + c0] *
                                 w[((size_t)ky * win->kw + kx) * c + c0];
                        }
                    }
                    yr[c0] = clampf(s, lo, hi);
                }
            }
        }
    }
}

void ref_dwconv2d(const float *x, struct ref_dims xd, const float *w, const float *bias, float *y,
                  struct ref_dims yd, const struct ref_window *win, int act)
{
    assert(xd.n == yd.n && yd.c % xd.c == 0);
    float lo, hi;
    act_bounds(act, &lo, &hi);
    if (yd.c == xd.c) {
        dwconv_m1(x, xd, w, bias, y, yd, win, lo, hi);
        return;
    }
    const int mult = yd.c / xd.c;
    for (int n = 0; n < yd.n; n++)
        for (int oy = 0; oy < yd.h; oy++)
            for (int ox = 0; ox < yd.w; ox++)
                for (int oc = 0; oc < yd.c; oc++) {
                    float s = bias ? bias[oc] : 0.0f;
                    for (int ky = 0; ky < win->kh; ky++) {
                        const int iy = oy * win->stride_h - win->pad_top + ky * win->dilation_h;
                        if (iy < 0 || iy >= xd.h)
                            continue;
                        for (int kx = 0; kx < win->kw; kx++) {
                            const int ix =
                                ox * win->stride_w - win->pad_left + kx * win->dilation_w;
                            if (ix < 0 || ix >= xd.w)
                                continue;
                            s += x[(((size_t)n * xd.h + iy) * xd.w + ix) * xd.c + oc / mult] *
                                 w[((size_t)ky * win->kw + kx) * yd.c + oc];
                        }
                    }
                    y[(((size_t)n * yd.h + oy) * yd.w + ox) * yd.c + oc] = clampf(s, lo, hi);
                }
}
