/*
 * test_ref.c - the reference backend: every kernel against hand-computed answers on tiny
 * tensors (padding rules, activations, resize modes, depth-to-space order, concat axes, channel
 * PAD), the tiled fast paths against a naive loop on odd shapes, graph validation errors, and
 * small multi-op graphs run through the public net API.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/rr_error.h"
#include "pose/model.h"
#include "pose/net.h"
#include "pose/ref/ref.h"
#include "support/rrtest.h"

#define EPS 1e-5f

static void expect_floats(const float *got, const float *want, size_t n, float tol)
{
    for (size_t k = 0; k < n; k++) {
        if (fabsf(got[k] - want[k]) > tol) {
            print_error("index %zu: got %.7g, want %.7g\n", k, (double)got[k], (double)want[k]);
            fail();
        }
    }
}

static struct ref_dims D(int n, int h, int w, int c)
{
    return (struct ref_dims){n, h, w, c};
}

static struct ref_window W(int kh, int kw, int s, int same, int in_h, int in_w)
{
    struct ref_window w = {kh, kw, s, s, 1, 1, 0, 0};
    int o;
    assert_int_equal(ref_window_size(in_h, kh, s, 1, same, &o, &w.pad_top, NULL), 0);
    assert_int_equal(ref_window_size(in_w, kw, s, 1, same, &o, &w.pad_left, NULL), 0);
    return w;
}

static float lcg_state_next(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (float)((*s >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static void fill_random(float *x, size_t n, uint32_t seed)
{
    for (size_t k = 0; k < n; k++)
        x[k] = lcg_state_next(&seed);
}

/* ---------------------------------------------------------------- window / padding rules */

static void ref__same_padding_is_asymmetric_for_stride_two_on_even_sizes(void **st)
{
    (void)st;
    int out, before, after;
    assert_int_equal(ref_window_size(4, 3, 2, 1, 1, &out, &before, &after), 0);
    assert_int_equal(out, 2);
    assert_int_equal(before, 0);
    assert_int_equal(after, 1);
    assert_int_equal(ref_window_size(5, 3, 2, 1, 1, &out, &before, &after), 0);
    assert_int_equal(out, 3);
    assert_int_equal(before, 1);
    assert_int_equal(after, 1);
    assert_int_equal(ref_window_size(8, 5, 1, 1, 1, &out, &before, &after), 0);
    assert_int_equal(out, 8);
    assert_int_equal(before, 2);
    assert_int_equal(after, 2);
    /* SAME never pads negatively: 1x1 stride 2 on 5 -> 3 outputs, no padding. */
    assert_int_equal(ref_window_size(5, 1, 2, 1, 1, &out, &before, &after), 0);
    assert_int_equal(out, 3);
    assert_int_equal(before + after, 0);
}

static void ref__valid_window_size_follows_dilation_and_rejects_oversized_kernels(void **st)
{
    (void)st;
    int out, before = -1;
    assert_int_equal(ref_window_size(5, 3, 2, 1, 0, &out, &before, NULL), 0);
    assert_int_equal(out, 2);
    assert_int_equal(before, 0);
    assert_int_equal(ref_window_size(5, 3, 1, 2, 0, &out, NULL, NULL), 0);
    assert_int_equal(out, 1);
    assert_int_equal(ref_window_size(4, 3, 1, 2, 0, &out, NULL, NULL), RR_ERR_INVAL);
    assert_int_equal(ref_window_size(4, 3, 0, 1, 1, &out, NULL, NULL), RR_ERR_INVAL);
    assert_int_equal(ref_window_size(4, 3, 1, 0, 1, &out, NULL, NULL), RR_ERR_INVAL);
    assert_int_equal(ref_window_size(4, 70000, 1, 70000, 1, &out, NULL, NULL), RR_ERR_TOOBIG);
}

/* ---------------------------------------------------------------- conv */

/* Naive CONV_2D / DEPTHWISE_CONV_2D straight from the TFLite definition (OHWI filter). */
static void naive_conv(const float *x, struct ref_dims xd, const float *f, int kh, int kw,
                       const float *bias, float *y, struct ref_dims yd, int sh, int sw, int dh,
                       int dw, int same, int depthwise)
{
    int pt = 0, pl = 0;
    if (same) {
        int th = (yd.h - 1) * sh + (kh - 1) * dh + 1 - xd.h;
        int tw = (yd.w - 1) * sw + (kw - 1) * dw + 1 - xd.w;
        pt = th > 0 ? th / 2 : 0;
        pl = tw > 0 ? tw / 2 : 0;
    }
    for (int n = 0; n < yd.n; n++)
        for (int oy = 0; oy < yd.h; oy++)
            for (int ox = 0; ox < yd.w; ox++)
                for (int o = 0; o < yd.c; o++) {
                    double s = bias ? bias[o] : 0.0;
                    for (int ky = 0; ky < kh; ky++)
                        for (int kx = 0; kx < kw; kx++) {
                            int iy = oy * sh - pt + ky * dh, ix = ox * sw - pl + kx * dw;
                            if (iy < 0 || iy >= xd.h || ix < 0 || ix >= xd.w)
                                continue;
                            const float *xp = x + ((n * xd.h + iy) * xd.w + ix) * xd.c;
                            if (depthwise) {
                                s += xp[o / (yd.c / xd.c)] * f[(ky * kw + kx) * yd.c + o];
                            } else {
                                for (int i = 0; i < xd.c; i++)
                                    s += xp[i] * f[((o * kh + ky) * kw + kx) * xd.c + i];
                            }
                        }
                    y[((n * yd.h + oy) * yd.w + ox) * yd.c + o] = (float)s;
                }
}

static void run_conv(const float *x, struct ref_dims xd, const float *ohwi, int kh, int kw,
                     const float *bias, float *y, struct ref_dims yd, const struct ref_window *w,
                     int act)
{
    size_t n = 0;
    assert_int_equal(ref_conv2d_packed_size(yd.c, kh, kw, xd.c, &n), 0);
    float *p = malloc(n * sizeof *p);
    assert_non_null(p);
    ref_conv2d_pack(ohwi, yd.c, kh, kw, xd.c, p);
    ref_conv2d(x, xd, p, bias, y, yd, w, act);
    free(p);
}

static void ref__conv_same_3x3_sums_the_in_bounds_neighbourhood(void **st)
{
    (void)st;
    float x[9], f[9], y[9];
    for (int k = 0; k < 9; k++) {
        x[k] = (float)(k + 1);
        f[k] = 1.0f;
    }
    struct ref_window w = W(3, 3, 1, 1, 3, 3);
    run_conv(x, D(1, 3, 3, 1), f, 3, 3, NULL, y, D(1, 3, 3, 1), &w, MODEL_ACT_NONE);
    const float want[9] = {12, 21, 16, 27, 45, 33, 24, 39, 28};
    expect_floats(y, want, 9, EPS);
}

static void ref__conv_same_stride_two_pads_bottom_right_only(void **st)
{
    (void)st;
    float x[16], f[9], y[4];
    for (int k = 0; k < 16; k++)
        x[k] = (float)(k + 1);
    for (int k = 0; k < 9; k++)
        f[k] = 1.0f;
    struct ref_window w = W(3, 3, 2, 1, 4, 4);
    assert_int_equal(w.pad_top, 0);
    assert_int_equal(w.pad_left, 0);
    run_conv(x, D(1, 4, 4, 1), f, 3, 3, NULL, y, D(1, 2, 2, 1), &w, MODEL_ACT_NONE);
    const float want[4] = {54, 45, 72, 54}; /* symmetric padding would give 14 first */
    expect_floats(y, want, 4, EPS);
}

static void ref__conv_valid_uses_only_full_windows(void **st)
{
    (void)st;
    float x[16], f[9], y[4];
    for (int k = 0; k < 16; k++)
        x[k] = (float)(k + 1);
    for (int k = 0; k < 9; k++)
        f[k] = 1.0f;
    struct ref_window w = W(3, 3, 1, 0, 4, 4);
    run_conv(x, D(1, 4, 4, 1), f, 3, 3, NULL, y, D(1, 2, 2, 1), &w, MODEL_ACT_NONE);
    const float want[4] = {54, 63, 90, 99};
    expect_floats(y, want, 4, EPS);
}

static void ref__conv_mixes_channels_with_ohwi_filter_and_bias(void **st)
{
    (void)st;
    const float x[2] = {1, 2}, f[4] = {1, 2, 3, 4}, b[2] = {10, 20};
    float y[2];
    struct ref_window w = W(1, 1, 1, 1, 1, 1);
    run_conv(x, D(1, 1, 1, 2), f, 1, 1, b, y, D(1, 1, 1, 2), &w, MODEL_ACT_NONE);
    const float want[2] = {15, 31};
    expect_floats(y, want, 2, EPS);
}

static void ref__conv_honours_dilation(void **st)
{
    (void)st;
    const float x[5] = {1, 2, 3, 4, 5}, f[2] = {1, 1};
    float y[3];
    struct ref_window w = {1, 2, 1, 1, 1, 2, 0, 0};
    run_conv(x, D(1, 1, 5, 1), f, 1, 2, NULL, y, D(1, 1, 3, 1), &w, MODEL_ACT_NONE);
    const float want[3] = {4, 6, 8};
    expect_floats(y, want, 3, EPS);
}

static void ref__conv_applies_each_fused_activation(void **st)
{
    (void)st;
    /* 9 pixels x 9 channels: exercises the 4-pixel blocks, the 8-channel tiles and both tails. */
    enum { P = 9, C = 9 };
    const float vals[P] = {-2.0f, -0.5f, 0.5f, 3.0f, 7.0f, -7.0f, 0.0f, 1.5f, 6.5f};
    float x[P * C], f[C * C], y[P * C];
    memset(f, 0, sizeof f);
    for (int c = 0; c < C; c++)
        f[c * C + c] = 1.0f; /* identity */
    for (int p = 0; p < P; p++)
        for (int c = 0; c < C; c++)
            x[p * C + c] = vals[p];
    static const struct {
        int act;
        float lo, hi;
    } acts[] = {{MODEL_ACT_NONE, -INFINITY, INFINITY},
                {MODEL_ACT_RELU, 0, INFINITY},
                {MODEL_ACT_RELU_N1_TO_1, -1, 1},
                {MODEL_ACT_RELU6, 0, 6}};
    for (size_t a = 0; a < sizeof acts / sizeof acts[0]; a++) {
        struct ref_window w = W(1, 1, 1, 1, 1, P);
        run_conv(x, D(1, 1, P, C), f, 1, 1, NULL, y, D(1, 1, P, C), &w, acts[a].act);
        float want[P * C];
        for (int k = 0; k < P * C; k++)
            want[k] = fminf(fmaxf(x[k], acts[a].lo), acts[a].hi);
        expect_floats(y, want, P * C, EPS);
        /* The generic (windowed) path clamps the same way. */
        struct ref_window w3 = W(1, 1, 2, 1, 1, P);
        float y2[5 * C];
        run_conv(x, D(1, 1, P, C), f, 1, 1, NULL, y2, D(1, 1, 5, C), &w3, acts[a].act);
        for (int p = 0; p < 5; p++)
            expect_floats(y2 + p * C, want + 2 * p * C, C, EPS);
    }
}

static void ref__conv_fast_paths_match_a_naive_loop_on_odd_shapes(void **st)
{
    (void)st;
    static const struct {
        int h, w, ci, co, kh, kw, s, d, same;
    } cases[] = {
        {7, 5, 19, 21, 1, 1, 1, 1, 1}, {6, 6, 3, 24, 3, 3, 2, 1, 0}, {8, 8, 5, 17, 3, 3, 2, 1, 1},
        {5, 7, 9, 1, 3, 3, 1, 1, 1},   {2, 2, 12, 13, 2, 2, 1, 1, 0}, {9, 9, 4, 8, 3, 3, 1, 2, 1},
        {3, 3, 16, 16, 1, 1, 2, 1, 0},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        int oh, ow;
        assert_int_equal(ref_window_size(cases[k].h, cases[k].kh, cases[k].s, cases[k].d,
                                         cases[k].same, &oh, NULL, NULL), 0);
        assert_int_equal(ref_window_size(cases[k].w, cases[k].kw, cases[k].s, cases[k].d,
                                         cases[k].same, &ow, NULL, NULL), 0);
        struct ref_dims xd = D(1, cases[k].h, cases[k].w, cases[k].ci);
        struct ref_dims yd = D(1, oh, ow, cases[k].co);
        size_t nx = (size_t)xd.h * xd.w * xd.c, ny = (size_t)oh * ow * yd.c;
        size_t nf = (size_t)yd.c * cases[k].kh * cases[k].kw * xd.c;
        float *x = malloc(nx * sizeof *x), *f = malloc(nf * sizeof *f);
        float *b = malloc((size_t)yd.c * sizeof *b);
        float *y = malloc(ny * sizeof *y), *want = malloc(ny * sizeof *want);
        assert_true(x && f && b && y && want);
        fill_random(x, nx, 1 + (uint32_t)k);
        fill_random(f, nf, 100 + (uint32_t)k);
        fill_random(b, (size_t)yd.c, 200 + (uint32_t)k);
        struct ref_window w = {cases[k].kh, cases[k].kw, cases[k].s, cases[k].s, cases[k].d,
                               cases[k].d, 0, 0};
        ref_window_size(xd.h, w.kh, w.stride_h, w.dilation_h, cases[k].same, &oh, &w.pad_top,
                        NULL);
        ref_window_size(xd.w, w.kw, w.stride_w, w.dilation_w, cases[k].same, &ow, &w.pad_left,
                        NULL);
        run_conv(x, xd, f, w.kh, w.kw, b, y, yd, &w, MODEL_ACT_NONE);
        naive_conv(x, xd, f, w.kh, w.kw, b, want, yd, w.stride_h, w.stride_w, w.dilation_h,
                   w.dilation_w, cases[k].same, 0);
        expect_floats(y, want, ny, 1e-4f);

        /* Depthwise on the same geometry (channels = ci). */
        struct ref_dims dyd = D(1, oh, ow, xd.c);
        size_t ndy = (size_t)oh * ow * xd.c;
        float *dw = malloc((size_t)w.kh * w.kw * xd.c * sizeof *dw);
        float *dy = malloc(ndy * sizeof *dy), *dwant = malloc(ndy * sizeof *dwant);
        assert_true(dw && dy && dwant);
        fill_random(dw, (size_t)w.kh * w.kw * xd.c, 300 + (uint32_t)k);
        ref_dwconv2d(x, xd, dw, NULL, dy, dyd, &w, MODEL_ACT_NONE);
        naive_conv(x, xd, dw, w.kh, w.kw, NULL, dwant, dyd, w.stride_h, w.stride_w, w.dilation_h,
                   w.dilation_w, cases[k].same, 1);
        expect_floats(dy, dwant, ndy, 1e-4f);
        free(x);
        free(f);
        free(b);
        free(y);
        free(want);
        free(dw);
        free(dy);
        free(dwant);
    }
}

/* ---------------------------------------------------------------- depthwise */

static void ref__dwconv_filters_each_channel_separately(void **st)
{
    (void)st;
    float x[18], f[18], y[18];
    for (int k = 0; k < 9; k++) {
        x[2 * k] = (float)(k + 1);
        x[2 * k + 1] = 10.0f * (float)(k + 1);
        f[2 * k] = 1.0f;
        f[2 * k + 1] = 2.0f;
    }
    const float b[2] = {0.5f, -1.0f};
    struct ref_window w = W(3, 3, 1, 1, 3, 3);
    ref_dwconv2d(x, D(1, 3, 3, 2), f, b, y, D(1, 3, 3, 2), &w, MODEL_ACT_NONE);
    const float sums[9] = {12, 21, 16, 27, 45, 33, 24, 39, 28};
    for (int k = 0; k < 9; k++) {
        assert_float_equal(y[2 * k], sums[k] + 0.5f, EPS);
        assert_float_equal(y[2 * k + 1], 20.0f * sums[k] - 1.0f, EPS);
    }
}

static void ref__dwconv_same_stride_two_pads_bottom_right_only(void **st)
{
    (void)st;
    float x[16], f[9], y[4];
    for (int k = 0; k < 16; k++)
        x[k] = (float)(k + 1);
    for (int k = 0; k < 9; k++)
        f[k] = 1.0f;
    struct ref_window w = W(3, 3, 2, 1, 4, 4);
    ref_dwconv2d(x, D(1, 4, 4, 1), f, NULL, y, D(1, 2, 2, 1), &w, MODEL_ACT_RELU6);
    const float want[4] = {6, 6, 6, 6};
    expect_floats(y, want, 4, EPS);
    ref_dwconv2d(x, D(1, 4, 4, 1), f, NULL, y, D(1, 2, 2, 1), &w, MODEL_ACT_NONE);
    const float raw[4] = {54, 45, 72, 54};
    expect_floats(y, raw, 4, EPS);
}

static void ref__dwconv_depth_multiplier_reads_input_channel_oc_over_m(void **st)
{
    (void)st;
    const float x[2] = {1, 2}, f[4] = {1, 2, 3, 4};
    float y[4];
    struct ref_window w = W(1, 1, 1, 1, 1, 1);
    ref_dwconv2d(x, D(1, 1, 1, 2), f, NULL, y, D(1, 1, 1, 4), &w, MODEL_ACT_NONE);
    const float want[4] = {1, 2, 6, 8};
    expect_floats(y, want, 4, EPS);
}

/* ---------------------------------------------------------------- element-wise */

static void ref__add_applies_fused_activation(void **st)
{
    (void)st;
    const float a[4] = {1, -2, 0.25f, 5}, b[4] = {3, 1, 0.5f, 4};
    float y[4];
    ref_add(a, b, y, 4, MODEL_ACT_NONE);
    const float w0[4] = {4, -1, 0.75f, 9};
    expect_floats(y, w0, 4, EPS);
    ref_add(a, b, y, 4, MODEL_ACT_RELU);
    const float w1[4] = {4, 0, 0.75f, 9};
    expect_floats(y, w1, 4, EPS);
    ref_add(a, b, y, 4, MODEL_ACT_RELU_N1_TO_1);
    const float w2[4] = {1, -1, 0.75f, 1};
    expect_floats(y, w2, 4, EPS);
    ref_add(a, b, y, 4, MODEL_ACT_RELU6);
    const float w3[4] = {4, 0, 0.75f, 6};
    expect_floats(y, w3, 4, EPS);
}

static void ref__logistic_is_exact_and_saturates_without_nan(void **st)
{
    (void)st;
    const float x[5] = {0, 1, -1, 200, -200};
    float y[5];
    ref_logistic(x, y, 5);
    const float want[5] = {0.5f, 0.7310586f, 0.2689414f, 1.0f, 0.0f};
    expect_floats(y, want, 5, 1e-7f);
    for (int k = 0; k < 5; k++)
        assert_false(isnan(y[k]));
}

/* ---------------------------------------------------------------- pool, pad, resize, d2s */

static void ref__maxpool_valid_two_by_two(void **st)
{
    (void)st;
    float x[16], y[4];
    for (int k = 0; k < 16; k++)
        x[k] = (float)(k + 1);
    struct ref_window w = W(2, 2, 2, 0, 4, 4);
    ref_maxpool2d(x, D(1, 4, 4, 1), y, D(1, 2, 2, 1), &w, MODEL_ACT_NONE);
    const float want[4] = {6, 8, 14, 16};
    expect_floats(y, want, 4, EPS);
}

static void ref__maxpool_same_ignores_padded_cells(void **st)
{
    (void)st;
    float x[16], y[4];
    for (int k = 0; k < 16; k++)
        x[k] = -(float)(k + 1);
    struct ref_window w = W(3, 3, 2, 1, 4, 4);
    ref_maxpool2d(x, D(1, 4, 4, 1), y, D(1, 2, 2, 1), &w, MODEL_ACT_NONE);
    const float want[4] = {-1, -3, -9, -11}; /* zero padding would give 0 at [1] .. [3] */
    expect_floats(y, want, 4, EPS);
    ref_maxpool2d(x, D(1, 4, 4, 1), y, D(1, 2, 2, 1), &w, MODEL_ACT_RELU);
    const float zero[4] = {0, 0, 0, 0};
    expect_floats(y, zero, 4, 0);
}

static void ref__pad_spatial_inserts_zero_rows_and_columns(void **st)
{
    (void)st;
    const float x[2] = {1, 2};
    const int in[4] = {1, 1, 2, 1};
    const int pad[4][2] = {{0, 0}, {1, 0}, {0, 1}, {0, 0}};
    float y[6];
    memset(y, 0x7f, sizeof y);
    ref_pad(x, in, pad, y);
    const float want[6] = {0, 0, 0, 1, 2, 0};
    expect_floats(y, want, 6, 0);
}

static void ref__pad_channel_axis_widens_every_pixel(void **st)
{
    (void)st;
    const float x[4] = {5, 6, 7, 8}; /* [1,1,2,2] */
    const int in[4] = {1, 1, 2, 2};
    const int pad[4][2] = {{0, 0}, {0, 0}, {0, 0}, {1, 2}};
    float y[10];
    memset(y, 0x7f, sizeof y);
    ref_pad(x, in, pad, y);
    const float want[10] = {0, 5, 6, 0, 0, 0, 7, 8, 0, 0};
    expect_floats(y, want, 10, 0);
}

static void ref__resize_half_pixel_centres_clamp_at_the_edges(void **st)
{
    (void)st;
    const float x[2] = {0, 4};
    float y[4];
    ref_resize_bilinear(x, D(1, 1, 2, 1), y, D(1, 1, 4, 1), 0, 1);
    const float want[4] = {0, 1, 3, 4};
    expect_floats(y, want, 4, EPS);

    const float x2[4] = {0, 4, 8, 12};
    float y2[16];
    ref_resize_bilinear(x2, D(1, 2, 2, 1), y2, D(1, 4, 4, 1), 0, 1);
    const float want2[16] = {0, 1, 3, 4, 2, 3, 5, 6, 6, 7, 9, 10, 8, 9, 11, 12};
    expect_floats(y2, want2, 16, EPS);
}

static void ref__resize_align_corners_and_legacy_modes(void **st)
{
    (void)st;
    const float x[2] = {0, 4};
    float y[4];
    ref_resize_bilinear(x, D(1, 1, 2, 1), y, D(1, 1, 4, 1), 1, 0);
    const float ac[4] = {0, 4.0f / 3, 8.0f / 3, 4};
    expect_floats(y, ac, 4, EPS);
    ref_resize_bilinear(x, D(1, 1, 2, 1), y, D(1, 1, 4, 1), 0, 0);
    const float legacy[4] = {0, 2, 4, 4};
    expect_floats(y, legacy, 4, EPS);
    /* Downscale, legacy: src = dst * 2 -> picks columns 0 and 2 exactly. */
    const float x4[4] = {1, 2, 3, 4};
    float y2[2];
    ref_resize_bilinear(x4, D(1, 1, 4, 1), y2, D(1, 1, 2, 1), 0, 0);
    const float down[2] = {1, 3};
    expect_floats(y2, down, 2, EPS);
    /* Multi-channel: channels interpolate independently. */
    const float xc[4] = {0, 10, 4, 50};
    float yc[8];
    ref_resize_bilinear(xc, D(1, 1, 2, 2), yc, D(1, 1, 4, 2), 0, 1);
    const float wc[8] = {0, 10, 1, 20, 3, 40, 4, 50};
    expect_floats(yc, wc, 8, EPS);
}

static void ref__depth_to_space_uses_dcr_order(void **st)
{
    (void)st;
    float x[8], y[8];
    for (int k = 0; k < 8; k++)
        x[k] = (float)k; /* [1,1,2,4]: pixel 0 = 0..3, pixel 1 = 4..7 */
    ref_depth_to_space(x, D(1, 1, 2, 4), 2, y);
    const float want[8] = {0, 1, 4, 5, 2, 3, 6, 7}; /* [1,2,4,1] */
    expect_floats(y, want, 8, 0);

    float x2[8], y2[8];
    for (int k = 0; k < 8; k++)
        x2[k] = (float)k; /* [1,1,1,8], C_out = 2 */
    ref_depth_to_space(x2, D(1, 1, 1, 8), 2, y2);
    /* out[i,j,c] = in[(i*2+j)*2+c] */
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            for (int c = 0; c < 2; c++)
                assert_float_equal(y2[(i * 2 + j) * 2 + c], x2[(i * 2 + j) * 2 + c], 0);
}

static void ref__concat_joins_along_the_requested_axis(void **st)
{
    (void)st;
    /* axis 1 of [1,2,3] + [1,1,3] -> [1,3,3]: outer 1, inner 6 and 3. */
    const float a[6] = {1, 2, 3, 4, 5, 6}, b[3] = {7, 8, 9};
    const float *xs[2] = {a, b};
    float y[9];
    const size_t in1[2] = {6, 3};
    ref_concat(xs, in1, 2, 1, y, MODEL_ACT_NONE);
    const float w1[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    expect_floats(y, w1, 9, 0);
    /* last axis of [1,3,2] + [1,3,1] -> [1,3,3]: outer 3, inner 2 and 1 (interleaved). */
    const float c[3] = {-7, 8, -9};
    const float *xs2[2] = {a, c};
    const size_t in2[2] = {2, 1};
    ref_concat(xs2, in2, 2, 3, y, MODEL_ACT_RELU);
    const float w2[9] = {1, 2, 0, 3, 4, 8, 5, 6, 0};
    expect_floats(y, w2, 9, 0);
}

/* ---------------------------------------------------------------- graphs through net.h */

#define TB_MAX_T 32
#define TB_MAX_OPS 16

struct tb {
    struct model m;
    struct model_tensor t[TB_MAX_T];
    struct model_op ops[TB_MAX_OPS];
    int in[4], out[4];
};

static void tb_init(struct tb *b)
{
    memset(b, 0, sizeof *b);
    b->m.tensors = b->t;
    b->m.ops = b->ops;
    b->m.inputs = b->in;
    b->m.outputs = b->out;
}

static int tb_tensor(struct tb *b, float *data, int ndim, int d0, int d1, int d2, int d3)
{
    assert_true(b->m.n_tensors < TB_MAX_T);
    struct model_tensor *t = &b->t[b->m.n_tensors];
    const int d[4] = {d0, d1, d2, d3};
    t->ndim = ndim;
    t->count = 1;
    for (int k = 0; k < ndim; k++) {
        t->dims[k] = d[k];
        t->count *= (size_t)d[k];
    }
    t->data = data;
    return b->m.n_tensors++;
}

static struct model_op *tb_op(struct tb *b, enum model_op_kind kind, int out, int n, ...)
{
    assert_true(b->m.n_ops < TB_MAX_OPS);
    struct model_op *op = &b->ops[b->m.n_ops++];
    op->kind = kind;
    op->output = out;
    op->n_inputs = n;
    va_list ap;
    va_start(ap, n);
    for (int k = 0; k < n; k++)
        op->inputs[k] = va_arg(ap, int);
    va_end(ap);
    op->opt.stride_h = op->opt.stride_w = 1;
    op->opt.dilation_h = op->opt.dilation_w = 1;
    return op;
}

static void tb_io(struct tb *b, int in, int out)
{
    b->in[b->m.n_inputs++] = in;
    b->out[b->m.n_outputs++] = out;
}

/* The detector's shape: two heads of different size reshaped to [1,N,K] and concatenated along
 * axis 1, plus a residual block whose skip input must survive several ops. Checked against the
 * kernels called directly on separate buffers. */
static void ref__net_runs_a_multi_op_graph_like_the_kernels(void **st)
{
    (void)st;
    static float w1[8 * 1 * 1 * 4], b1[8], dw[1 * 3 * 3 * 8], db[8], w2[8 * 1 * 1 * 8];
    static float wh1[6 * 1 * 1 * 8], wh2[12 * 1 * 1 * 8];
    fill_random(w1, 32, 11);
    fill_random(b1, 8, 12);
    fill_random(dw, 72, 13);
    fill_random(db, 8, 14);
    fill_random(w2, 64, 15);
    fill_random(wh1, 48, 16);
    fill_random(wh2, 96, 17);

    struct tb b;
    tb_init(&b);
    int x = tb_tensor(&b, NULL, 4, 1, 4, 4, 4);
    int tw1 = tb_tensor(&b, w1, 4, 8, 1, 1, 4), tb1 = tb_tensor(&b, b1, 1, 8, 0, 0, 0);
    int tdw = tb_tensor(&b, dw, 4, 1, 3, 3, 8), tdb = tb_tensor(&b, db, 1, 8, 0, 0, 0);
    int tw2 = tb_tensor(&b, w2, 4, 8, 1, 1, 8);
    int twh1 = tb_tensor(&b, wh1, 4, 6, 1, 1, 8), twh2 = tb_tensor(&b, wh2, 4, 12, 1, 1, 8);
    int a = tb_tensor(&b, NULL, 4, 1, 4, 4, 8);     /* conv1x1 relu6 */
    int p = tb_tensor(&b, NULL, 4, 1, 6, 6, 8);     /* pad 1 */
    int d = tb_tensor(&b, NULL, 4, 1, 4, 4, 8);     /* dw 3x3 valid */
    int c = tb_tensor(&b, NULL, 4, 1, 4, 4, 8);     /* conv1x1 */
    int s = tb_tensor(&b, NULL, 4, 1, 4, 4, 8);     /* add(a, c) */
    int mp = tb_tensor(&b, NULL, 4, 1, 2, 2, 8);    /* maxpool 2x2 */
    int h1 = tb_tensor(&b, NULL, 4, 1, 4, 4, 6);    /* head 1 on s */
    int h2 = tb_tensor(&b, NULL, 4, 1, 2, 2, 12);   /* head 2 on mp */
    int r1 = tb_tensor(&b, NULL, 3, 1, 48, 2, 0);   /* [1,48,2] */
    int r2 = tb_tensor(&b, NULL, 3, 1, 24, 2, 0);   /* [1,24,2] */
    int cat = tb_tensor(&b, NULL, 3, 1, 72, 2, 0);  /* concat axis 1 */
    int sg = tb_tensor(&b, NULL, 2, 1, 144, 0, 0);  /* logistic on reshaped concat */
    int flat = tb_tensor(&b, NULL, 2, 1, 144, 0, 0);

    tb_op(&b, MODEL_OP_CONV2D, a, 3, x, tw1, tb1)->opt.act = MODEL_ACT_RELU6;
    struct model_op *op = tb_op(&b, MODEL_OP_PAD, p, 1, a);
    op->opt.pad[1][0] = op->opt.pad[1][1] = op->opt.pad[2][0] = op->opt.pad[2][1] = 1;
    tb_op(&b, MODEL_OP_DWCONV2D, d, 3, p, tdw, tdb)->opt.same_padding = 0;
    tb_op(&b, MODEL_OP_CONV2D, c, 2, d, tw2)->opt.same_padding = 1;
    tb_op(&b, MODEL_OP_ADD, s, 2, a, c);
    op = tb_op(&b, MODEL_OP_MAXPOOL2D, mp, 1, s);
    op->opt.filter_h = op->opt.filter_w = op->opt.stride_h = op->opt.stride_w = 2;
    tb_op(&b, MODEL_OP_CONV2D, h1, 3, s, twh1, -1)->opt.same_padding = 1;
    tb_op(&b, MODEL_OP_CONV2D, h2, 2, mp, twh2)->opt.same_padding = 1;
    tb_op(&b, MODEL_OP_RESHAPE, r1, 1, h1);
    tb_op(&b, MODEL_OP_RESHAPE, r2, 1, h2);
    tb_op(&b, MODEL_OP_CONCAT, cat, 2, r1, r2)->opt.axis = 1;
    tb_op(&b, MODEL_OP_RESHAPE, flat, 1, cat);
    tb_op(&b, MODEL_OP_LOGISTIC, sg, 1, flat);
    tb_io(&b, x, cat);
    b.out[b.m.n_outputs++] = sg;
    b.out[b.m.n_outputs++] = tw1; /* a constant may be an output too */

    struct net *n = NULL;
    char msg[256];
    int rc = net_new(&b.m, NET_BACKEND_REF, 1, &n, msg, sizeof msg);
    if (rc < 0)
        print_error("net_new: %s\n", msg);
    assert_int_equal(rc, 0);
    assert_null(net_input(n, 1));
    assert_null(net_output(n, 3));
    float *in = net_input(n, 0);
    assert_non_null(in);
    float xin[64];
    fill_random(xin, 64, 99);
    memcpy(in, xin, sizeof xin);
    assert_int_equal(net_run(n), 0);

    /* Expected, kernel by kernel. */
    float ea[128], ep[288], ed[128], ec[128], es[128], emp[32], eh1[96], eh2[48], ecat[144],
        esg[144];
    float pk[96];
    struct ref_window w1x1 = W(1, 1, 1, 1, 4, 4);
    ref_conv2d_pack(w1, 8, 1, 1, 4, pk);
    ref_conv2d(xin, D(1, 4, 4, 4), pk, b1, ea, D(1, 4, 4, 8), &w1x1, MODEL_ACT_RELU6);
    const int pin[4] = {1, 4, 4, 8};
    const int pads[4][2] = {{0, 0}, {1, 1}, {1, 1}, {0, 0}};
    ref_pad(ea, pin, pads, ep);
    struct ref_window w3 = W(3, 3, 1, 0, 6, 6);
    ref_dwconv2d(ep, D(1, 6, 6, 8), dw, db, ed, D(1, 4, 4, 8), &w3, MODEL_ACT_NONE);
    ref_conv2d_pack(w2, 8, 1, 1, 8, pk);
    ref_conv2d(ed, D(1, 4, 4, 8), pk, NULL, ec, D(1, 4, 4, 8), &w1x1, MODEL_ACT_NONE);
    ref_add(ea, ec, es, 128, MODEL_ACT_NONE);
    struct ref_window wp = W(2, 2, 2, 0, 4, 4);
    ref_maxpool2d(es, D(1, 4, 4, 8), emp, D(1, 2, 2, 8), &wp, MODEL_ACT_NONE);
    ref_conv2d_pack(wh1, 6, 1, 1, 8, pk);
    ref_conv2d(es, D(1, 4, 4, 8), pk, NULL, eh1, D(1, 4, 4, 6), &w1x1, MODEL_ACT_NONE);
    ref_conv2d_pack(wh2, 12, 1, 1, 8, pk);
    struct ref_window w1x1s = W(1, 1, 1, 1, 2, 2);
    ref_conv2d(emp, D(1, 2, 2, 8), pk, NULL, eh2, D(1, 2, 2, 12), &w1x1s, MODEL_ACT_NONE);
    memcpy(ecat, eh1, sizeof eh1);
    memcpy(ecat + 96, eh2, sizeof eh2);
    ref_logistic(ecat, esg, 144);

    expect_floats(net_output(n, 0), ecat, 144, 0);
    expect_floats(net_output(n, 1), esg, 144, 0);
    assert_ptr_equal(net_output(n, 2), w1);
    /* The input survives a run, and a second run gives the same answer. */
    expect_floats(in, xin, 64, 0);
    assert_int_equal(net_run(n), 0);
    expect_floats(net_output(n, 1), esg, 144, 0);
    net_free(n);
}

/* PAD on the channel axis (heavy model) and a rank-2 PAD, via the net. */
static void ref__net_pads_channels_and_low_rank_tensors(void **st)
{
    (void)st;
    struct tb b;
    tb_init(&b);
    int x = tb_tensor(&b, NULL, 4, 1, 1, 2, 2);
    int y = tb_tensor(&b, NULL, 4, 1, 1, 2, 5);
    struct model_op *op = tb_op(&b, MODEL_OP_PAD, y, 1, x);
    op->opt.pad[3][1] = 3;
    tb_io(&b, x, y);
    struct net *n = NULL;
    assert_int_equal(net_new(&b.m, NET_BACKEND_REF, 1, &n, NULL, 0), 0);
    const float xin[4] = {1, 2, 3, 4};
    memcpy(net_input(n, 0), xin, sizeof xin);
    assert_int_equal(net_run(n), 0);
    const float want[10] = {1, 2, 0, 0, 0, 3, 4, 0, 0, 0};
    expect_floats(net_output(n, 0), want, 10, 0);
    net_free(n);

    tb_init(&b);
    x = tb_tensor(&b, NULL, 2, 2, 2, 0, 0);
    y = tb_tensor(&b, NULL, 2, 3, 3, 0, 0);
    op = tb_op(&b, MODEL_OP_PAD, y, 1, x);
    op->opt.pad[0][0] = 1; /* dims in input order: [[1,0],[0,1]] */
    op->opt.pad[1][1] = 1;
    tb_io(&b, x, y);
    assert_int_equal(net_new(&b.m, NET_BACKEND_REF, 1, &n, NULL, 0), 0);
    memcpy(net_input(n, 0), xin, sizeof xin);
    assert_int_equal(net_run(n), 0);
    const float want2[9] = {0, 0, 0, 1, 2, 0, 3, 4, 0};
    expect_floats(net_output(n, 0), want2, 9, 0);
    net_free(n);
}

/* A long chain where every intermediate has the same size: the planner must reuse memory
 * without ever letting an op's output overwrite a value still needed (the skip input). */
static void ref__net_memory_reuse_keeps_live_values_intact(void **st)
{
    (void)st;
    struct tb b;
    tb_init(&b);
    int x = tb_tensor(&b, NULL, 4, 1, 3, 3, 4);
    int t[10];
    for (int k = 0; k < 10; k++)
        t[k] = tb_tensor(&b, NULL, 4, 1, 3, 3, 4);
    tb_op(&b, MODEL_OP_ADD, t[0], 2, x, x);      /* 2x */
    for (int k = 1; k < 9; k++)
        tb_op(&b, MODEL_OP_ADD, t[k], 2, t[k - 1], x); /* 2x + k*x */
    tb_op(&b, MODEL_OP_ADD, t[9], 2, t[8], t[0]);  /* 10x + 2x */
    tb_io(&b, x, t[9]);
    struct net *n = NULL;
    assert_int_equal(net_new(&b.m, NET_BACKEND_REF, 1, &n, NULL, 0), 0);
    float *in = net_input(n, 0);
    for (int k = 0; k < 36; k++)
        in[k] = (float)k - 10.0f;
    assert_int_equal(net_run(n), 0);
    const float *out = net_output(n, 0);
    for (int k = 0; k < 36; k++)
        assert_float_equal(out[k], 12.0f * ((float)k - 10.0f), EPS);
    net_free(n);
}

/* ---------------------------------------------------------------- validation */

static float g_w[64];

/* One conv [1,4,4,2] -> [1,4,4,3] (SAME), editable by each case. */
static void tb_conv(struct tb *b, int *fx)
{
    tb_init(b);
    int x = tb_tensor(b, NULL, 4, 1, 4, 4, 2);
    int f = tb_tensor(b, g_w, 4, 3, 1, 1, 2);
    int bias = tb_tensor(b, g_w, 1, 3, 0, 0, 0);
    int y = tb_tensor(b, NULL, 4, 1, 4, 4, 3);
    tb_op(b, MODEL_OP_CONV2D, y, 3, x, f, bias)->opt.same_padding = 1;
    tb_io(b, x, y);
    if (fx)
        *fx = f;
}

static void expect_refused(struct tb *b, int rc, const char *needle)
{
    struct net *n = NULL;
    char msg[256] = "";
    int got = net_new(&b->m, NET_BACKEND_REF, 1, &n, msg, sizeof msg);
    if (got != rc || !strstr(msg, needle))
        print_error("rc %d (want %d), msg \"%s\" (want \"%s\")\n", got, rc, msg, needle);
    assert_int_equal(got, rc);
    assert_null(n);
    assert_non_null(strstr(msg, needle));
}

static void ref__create_refuses_inconsistent_graphs_with_a_message(void **st)
{
    (void)st;
    struct tb b;
    int f;

    tb_conv(&b, &f);
    struct net *n = NULL;
    assert_int_equal(net_new(&b.m, NET_BACKEND_REF, 1, &n, NULL, 0), 0); /* the base case runs */
    net_free(n);

    tb_conv(&b, &f);
    b.t[f].dims[3] = 5;
    b.t[f].count = 15;
    expect_refused(&b, RR_ERR_INVAL, "op 0 (CONV_2D): filter");

    tb_conv(&b, &f);
    b.t[3].dims[1] = 3; /* output 3x4 cannot come from SAME stride 1 on 4x4 */
    b.t[3].count = 36;
    expect_refused(&b, RR_ERR_INVAL, "op 0 (CONV_2D): output");

    tb_conv(&b, &f);
    b.t[f].data = NULL;
    expect_refused(&b, RR_ERR_INVAL, "not computed before");

    tb_conv(&b, &f);
    b.t[f].count = 7;
    expect_refused(&b, RR_ERR_INVAL, "count 7");

    tb_conv(&b, &f);
    b.t[2].dims[0] = 4;
    b.t[2].count = 4;
    expect_refused(&b, RR_ERR_INVAL, "bias");

    tb_conv(&b, &f);
    b.ops[0].opt.act = 9;
    expect_refused(&b, RR_ERR_UNSUPPORTED, "activation");

    tb_conv(&b, &f);
    b.ops[0].opt.stride_h = 0;
    expect_refused(&b, RR_ERR_INVAL, "stride");

    tb_conv(&b, &f);
    b.ops[0].inputs[0] = 40;
    expect_refused(&b, RR_ERR_INVAL, "out of range");

    tb_conv(&b, &f);
    b.ops[0].output = 0; /* writes the model input */
    expect_refused(&b, RR_ERR_INVAL, "written twice");

    tb_conv(&b, &f);
    b.t[0].ndim = 5;
    expect_refused(&b, RR_ERR_UNSUPPORTED, "rank 5");

    tb_conv(&b, &f);
    b.t[0].dims[2] = -4;
    expect_refused(&b, RR_ERR_INVAL, "dimension 2 is -4");

    tb_conv(&b, &f);
    b.out[0] = 3;
    b.ops[0].output = 1; /* writes a constant */
    expect_refused(&b, RR_ERR_INVAL, "constant");

    tb_conv(&b, &f);
    b.m.n_ops = 0;
    expect_refused(&b, RR_ERR_INVAL, "never computed");

    tb_conv(&b, &f);
    b.ops[0].kind = MODEL_OP__COUNT;
    expect_refused(&b, RR_ERR_UNSUPPORTED, "unknown kind");

    tb_conv(&b, &f);
    b.t[f].dims[1] = 5; /* VALID 5x1 kernel on a 4-row input */
    b.t[f].count = 30;
    b.ops[0].opt.same_padding = 0;
    expect_refused(&b, RR_ERR_INVAL, "does not fit");

    /* A non-constant filter computed by an earlier op is valid TFLite but not supported. */
    tb_init(&b);
    int x = tb_tensor(&b, NULL, 4, 1, 1, 1, 1);
    int fr = tb_tensor(&b, NULL, 4, 1, 1, 1, 1);
    int y = tb_tensor(&b, NULL, 4, 1, 1, 1, 1);
    tb_op(&b, MODEL_OP_LOGISTIC, fr, 1, x);
    tb_op(&b, MODEL_OP_CONV2D, y, 2, x, fr);
    tb_io(&b, x, y);
    expect_refused(&b, RR_ERR_UNSUPPORTED, "op 1 (CONV_2D): filter and bias must be constant");
}

static void ref__create_refuses_bad_shapes_for_the_other_ops(void **st)
{
    (void)st;
    struct tb b;

    tb_init(&b); /* ADD without broadcasting */
    int x = tb_tensor(&b, NULL, 4, 1, 2, 2, 3), x2 = tb_tensor(&b, g_w, 4, 1, 2, 1, 3);
    int y = tb_tensor(&b, NULL, 4, 1, 2, 2, 3);
    tb_op(&b, MODEL_OP_ADD, y, 2, x, x2);
    tb_io(&b, x, y);
    expect_refused(&b, RR_ERR_UNSUPPORTED, "op 0 (ADD)");

    tb_init(&b); /* CONCAT sizes do not add up */
    x = tb_tensor(&b, NULL, 3, 1, 4, 2, 0);
    x2 = tb_tensor(&b, g_w, 3, 1, 3, 2, 0);
    y = tb_tensor(&b, NULL, 3, 1, 8, 2, 0);
    tb_op(&b, MODEL_OP_CONCAT, y, 2, x, x2)->opt.axis = 1;
    tb_io(&b, x, y);
    expect_refused(&b, RR_ERR_INVAL, "sum to 7");
    b.ops[0].opt.axis = 3;
    expect_refused(&b, RR_ERR_INVAL, "axis 3");
    b.ops[0].opt.axis = 2;
    expect_refused(&b, RR_ERR_INVAL, "input 0 dim 1");

    tb_init(&b); /* PAD */
    x = tb_tensor(&b, NULL, 4, 1, 2, 2, 3);
    y = tb_tensor(&b, NULL, 4, 1, 4, 2, 3);
    struct model_op *op = tb_op(&b, MODEL_OP_PAD, y, 1, x);
    op->opt.pad[1][0] = 1;
    tb_io(&b, x, y);
    expect_refused(&b, RR_ERR_INVAL, "op 0 (PAD): dim 1");
    op->opt.pad[1][0] = 3;
    op->opt.pad[1][1] = -1;
    expect_refused(&b, RR_ERR_INVAL, "bad padding");

    tb_init(&b); /* DEPTH_TO_SPACE */
    x = tb_tensor(&b, NULL, 4, 1, 2, 2, 6);
    y = tb_tensor(&b, NULL, 4, 1, 4, 4, 1);
    tb_op(&b, MODEL_OP_DEPTH_TO_SPACE, y, 1, x)->opt.block = 2;
    tb_io(&b, x, y);
    expect_refused(&b, RR_ERR_INVAL, "DEPTH_TO_SPACE");
    b.ops[0].opt.block = 0;
    expect_refused(&b, RR_ERR_INVAL, "block 0");

    tb_init(&b); /* RESIZE */
    x = tb_tensor(&b, NULL, 4, 1, 2, 2, 3);
    y = tb_tensor(&b, NULL, 4, 1, 4, 4, 3);
    op = tb_op(&b, MODEL_OP_RESIZE_BILINEAR, y, 1, x);
    op->opt.align_corners = op->opt.half_pixel_centers = 1;
    tb_io(&b, x, y);
    expect_refused(&b, RR_ERR_UNSUPPORTED, "align_corners");
    op->opt.align_corners = 0;
    b.t[y].dims[3] = 2;
    b.t[y].count = 32;
    expect_refused(&b, RR_ERR_INVAL, "channels differ");

    tb_init(&b); /* RESHAPE / LOGISTIC element counts */
    x = tb_tensor(&b, NULL, 2, 1, 6, 0, 0);
    y = tb_tensor(&b, NULL, 3, 1, 2, 2, 0);
    tb_op(&b, MODEL_OP_RESHAPE, y, 1, x);
    tb_io(&b, x, y);
    expect_refused(&b, RR_ERR_INVAL, "6 elements in, 4 out");

    tb_init(&b); /* MAX_POOL channel mismatch, then a zero-size filter */
    x = tb_tensor(&b, NULL, 4, 1, 4, 4, 3);
    y = tb_tensor(&b, NULL, 4, 1, 2, 2, 3);
    op = tb_op(&b, MODEL_OP_MAXPOOL2D, y, 1, x);
    op->opt.filter_h = op->opt.filter_w = op->opt.stride_h = op->opt.stride_w = 2;
    tb_io(&b, x, y);
    struct net *n = NULL;
    assert_int_equal(net_new(&b.m, NET_BACKEND_REF, 1, &n, NULL, 0), 0);
    net_free(n);
    op->opt.filter_w = 0;
    expect_refused(&b, RR_ERR_INVAL, "MAX_POOL_2D");
    op->opt.filter_w = 2;
    b.t[y].dims[3] = 1;
    b.t[y].count = 4;
    expect_refused(&b, RR_ERR_INVAL, "3 channels in, 1 out");

    tb_init(&b); /* depthwise: filter channels must equal output channels */
    x = tb_tensor(&b, NULL, 4, 1, 3, 3, 4);
    int f = tb_tensor(&b, g_w, 4, 1, 3, 3, 3);
    y = tb_tensor(&b, NULL, 4, 1, 3, 3, 4);
    tb_op(&b, MODEL_OP_DWCONV2D, y, 2, x, f)->opt.same_padding = 1;
    tb_io(&b, x, y);
    expect_refused(&b, RR_ERR_INVAL, "op 0 (DEPTHWISE_CONV_2D): filter");
}

/* ---------------------------------------------------------------- the real models */

/* Every op of the four BlazePose graphs (incl. heavy's channel PAD and the detector's rank-3
 * CONCAT) plans and runs, with finite outputs of the documented sizes. Needs the model cache
 * and the loader; skipped (this test only) when the files are absent. The numeric comparison
 * against XNNPACK lives in test_ops.c. */
static void ref__runs_all_four_blazepose_models(void **st)
{
    (void)st;
    static const struct {
        const char *file;
        int n_out;
        size_t counts[5];
    } models[] = {
        {"pose_detection.tflite", 2, {2254 * 12, 2254}},
        {"pose_landmark_lite.tflite", 5, {195, 1, 256 * 256, 64 * 64 * 39, 117}},
        {"pose_landmark_full.tflite", 5, {195, 1, 256 * 256, 64 * 64 * 39, 117}},
        {"pose_landmark_heavy.tflite", 5, {195, 1, 256 * 256, 64 * 64 * 39, 117}},
    };
    const char *env = getenv("REPRIGHT_MODEL_DIR"), *home = getenv("HOME");
    char dir[1024], path[1200];
    if (env && *env)
        snprintf(dir, sizeof dir, "%s", env);
    else
        snprintf(dir, sizeof dir, "%s/.cache/repright/models", home ? home : "/root");
    for (size_t k = 0; k < sizeof models / sizeof models[0]; k++) {
        struct stat sb;
        snprintf(path, sizeof path, "%s/%s", dir, models[k].file);
        if (stat(path, &sb) != 0)
            rrtest_skip_case("ref__runs_all_four_blazepose_models", "%s not found", path);
        struct model *m = NULL;
        char msg[256] = "";
        int rc = model_load_file(path, &m, msg, sizeof msg);
        if (rc < 0)
            print_error("%s: %s\n", models[k].file, msg);
        assert_int_equal(rc, 0);
        struct net *n = NULL;
        rc = net_new(m, NET_BACKEND_REF, 1, &n, msg, sizeof msg);
        if (rc < 0)
            print_error("%s: %s\n", models[k].file, msg);
        assert_int_equal(rc, 0);
        assert_int_equal(m->n_outputs, models[k].n_out);
        const struct model_tensor *in = model_input(m, 0);
        float *x = net_input(n, 0);
        for (size_t i = 0; i < in->count; i++)
            x[i] = (float)((i * 7919u) % 256u) / 255.0f;
        assert_int_equal(net_run(n), 0);
        for (int o = 0; o < m->n_outputs; o++) {
            assert_int_equal(model_output(m, o)->count, models[k].counts[o]);
            const float *y = net_output(n, o);
            for (size_t i = 0; i < models[k].counts[o]; i++)
                assert_true(isfinite(y[i]));
        }
        if (m->n_outputs == 5) { /* the pose flag is already a probability */
            const float flag = net_output(n, 1)[0];
            assert_true(flag >= 0.0f && flag <= 1.0f);
        }
        net_free(n);
        model_free(m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ref__same_padding_is_asymmetric_for_stride_two_on_even_sizes),
        cmocka_unit_test(ref__valid_window_size_follows_dilation_and_rejects_oversized_kernels),
        cmocka_unit_test(ref__conv_same_3x3_sums_the_in_bounds_neighbourhood),
        cmocka_unit_test(ref__conv_same_stride_two_pads_bottom_right_only),
        cmocka_unit_test(ref__conv_valid_uses_only_full_windows),
        cmocka_unit_test(ref__conv_mixes_channels_with_ohwi_filter_and_bias),
        cmocka_unit_test(ref__conv_honours_dilation),
        cmocka_unit_test(ref__conv_applies_each_fused_activation),
        cmocka_unit_test(ref__conv_fast_paths_match_a_naive_loop_on_odd_shapes),
        cmocka_unit_test(ref__dwconv_filters_each_channel_separately),
        cmocka_unit_test(ref__dwconv_same_stride_two_pads_bottom_right_only),
        cmocka_unit_test(ref__dwconv_depth_multiplier_reads_input_channel_oc_over_m),
        cmocka_unit_test(ref__add_applies_fused_activation),
        cmocka_unit_test(ref__logistic_is_exact_and_saturates_without_nan),
        cmocka_unit_test(ref__maxpool_valid_two_by_two),
        cmocka_unit_test(ref__maxpool_same_ignores_padded_cells),
        cmocka_unit_test(ref__pad_spatial_inserts_zero_rows_and_columns),
        cmocka_unit_test(ref__pad_channel_axis_widens_every_pixel),
        cmocka_unit_test(ref__resize_half_pixel_centres_clamp_at_the_edges),
        cmocka_unit_test(ref__resize_align_corners_and_legacy_modes),
        cmocka_unit_test(ref__depth_to_space_uses_dcr_order),
        cmocka_unit_test(ref__concat_joins_along_the_requested_axis),
        cmocka_unit_test(ref__net_runs_a_multi_op_graph_like_the_kernels),
        cmocka_unit_test(ref__net_pads_channels_and_low_rank_tensors),
        cmocka_unit_test(ref__net_memory_reuse_keeps_live_values_intact),
        cmocka_unit_test(ref__create_refuses_inconsistent_graphs_with_a_message),
        cmocka_unit_test(ref__create_refuses_bad_shapes_for_the_other_ops),
        cmocka_unit_test(ref__runs_all_four_blazepose_models),
    };
    return rrtest_status(cmocka_run_group_tests(tests, NULL, NULL));
}
