/*
 * test_ops.c - every pose op, with the parameter variants the four BlazePose models use, run on
 * the reference backend and on XNNPACK (1 and 2 threads) through the public net API.
 *
 * Each case builds a tiny `struct model` by hand (random fixed-seed inputs and weights) and
 * requires |xnn - ref| <= ATOL + RTOL * |ref| for every output element (ATOL = RTOL = 1e-4; the
 * only difference between the backends is fp32 summation order). The max difference is printed.
 * Also checked: the XNNPACK backend refuses malformed or unsupported graphs with
 * RR_ERR_UNSUPPORTED and a message naming the op, reruns deterministically, and runs two nets of
 * one model concurrently.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rr_error.h"
#include "pose/model.h"
#include "pose/net.h"

#define ATOL 1e-4
#define RTOL 1e-4
#define MAXT 16
#define MAXOPS 8

/* A hand-built model of a few ops; tensors' constant data is owned by the case. */
struct opcase {
    struct model m;
    struct model_tensor t[MAXT];
    struct model_op ops[MAXOPS];
    int inputs[4], outputs[4];
    uint64_t rng;
};

static float rnd(struct opcase *c, float lo, float hi)
{
    /* xorshift64*: fixed seed per case, same numbers on every machine */
    c->rng ^= c->rng >> 12;
    c->rng ^= c->rng << 25;
    c->rng ^= c->rng >> 27;
    uint64_t r = c->rng * 2685821657736338717ull;
    return lo + (hi - lo) * (float)((r >> 40) / (double)(1 << 24));
}

static void oc_init(struct opcase *c, uint64_t seed)
{
    memset(c, 0, sizeof *c);
    c->rng = seed * 0x9e3779b97f4a7c15ull + 1;
    c->m.tensors = c->t;
    c->m.ops = c->ops;
    c->m.inputs = c->inputs;
    c->m.outputs = c->outputs;
}

static void oc_free(struct opcase *c)
{
    for (int i = 0; i < c->m.n_tensors; i++)
        free(c->t[i].data);
}

static int oc_tensor(struct opcase *c, int ndim, const int *dims)
{
    assert_true(c->m.n_tensors < MAXT);
    int i = c->m.n_tensors++;
    struct model_tensor *t = &c->t[i];
    t->ndim = ndim;
    t->count = 1;
    for (int d = 0; d < ndim; d++) {
        t->dims[d] = dims[d];
        t->count *= (size_t)dims[d];
    }
    return i;
}

static int oc_const(struct opcase *c, int ndim, const int *dims, float lo, float hi)
{
    int i = oc_tensor(c, ndim, dims);
    struct model_tensor *t = &c->t[i];
    t->data = malloc(t->count * sizeof(float));
    assert_non_null(t->data);
    for (size_t k = 0; k < t->count; k++)
        t->data[k] = rnd(c, lo, hi);
    return i;
}

static int oc_input(struct opcase *c, int ndim, const int *dims)
{
    int i = oc_tensor(c, ndim, dims);
    c->inputs[c->m.n_inputs++] = i;
    return i;
}

static void oc_output(struct opcase *c, int t)
{
    c->outputs[c->m.n_outputs++] = t;
}

static struct model_op *oc_op(struct opcase *c, enum model_op_kind kind, int out, int n_in,
                              const int *in)
{
    assert_true(c->m.n_ops < MAXOPS);
    struct model_op *op = &c->ops[c->m.n_ops++];
    memset(op, 0, sizeof *op);
    op->kind = kind;
    op->n_inputs = n_in;
    memcpy(op->inputs, in, (size_t)n_in * sizeof *in);
    op->output = out;
    op->opt.stride_w = op->opt.stride_h = 1;
    op->opt.dilation_w = op->opt.dilation_h = 1;
    return op;
}

/* TF output size of a window op (independent of both backends' own code). */
static int win_out(int in, int k, int s, int same)
{
    return same ? (in + s - 1) / s : (in - k) / s + 1;
}

/* CONV_2D or DEPTHWISE_CONV_2D on tensor x; returns the output tensor. */
static int oc_conv(struct opcase *c, int x, int depthwise, int cout, int kh, int kw, int stride,
                   int same, int act)
{
    const struct model_tensor *xt = &c->t[x];
    int cin = xt->dims[3];
    if (depthwise)
        cout = cin;
    float ws = 1.0f / sqrtf((float)(kh * kw * (depthwise ? 1 : cin))) * 3.0f;
    int w = depthwise ? oc_const(c, 4, (int[]){ 1, kh, kw, cin }, -ws, ws)
                      : oc_const(c, 4, (int[]){ cout, kh, kw, cin }, -ws, ws);
    int b = oc_const(c, 1, (int[]){ cout }, -1.0f, 1.0f);
    int y = oc_tensor(c, 4, (int[]){ xt->dims[0], win_out(xt->dims[1], kh, stride, same),
                                      win_out(xt->dims[2], kw, stride, same), cout });
    struct model_op *op = oc_op(c, depthwise ? MODEL_OP_DWCONV2D : MODEL_OP_CONV2D, y, 3,
                                (int[]){ x, w, b });
    op->opt.stride_h = op->opt.stride_w = stride;
    op->opt.same_padding = same;
    op->opt.act = act;
    return y;
}

static int oc_pad(struct opcase *c, int x, const int pads[4][2])
{
    const struct model_tensor *xt = &c->t[x];
    int dims[4];
    for (int d = 0; d < xt->ndim; d++)
        dims[d] = xt->dims[d] + pads[d][0] + pads[d][1];
    int y = oc_tensor(c, xt->ndim, dims);
    struct model_op *op = oc_op(c, MODEL_OP_PAD, y, 1, (int[]){ x });
    memcpy(op->opt.pad, pads, sizeof op->opt.pad);
    return y;
}

static int oc_reshape(struct opcase *c, int x, int ndim, const int *dims)
{
    int y = oc_tensor(c, ndim, dims);
    oc_op(c, MODEL_OP_RESHAPE, y, 1, (int[]){ x });
    return y;
}

static void fill_inputs(struct net *n, const struct model *m, uint64_t seed, float lo, float hi)
{
    struct opcase g = { .rng = seed * 0x2545f4914f6cdd1dull + 7 };
    for (int i = 0; i < m->n_inputs; i++) {
        float *in = net_input(n, i);
        assert_non_null(in);
        for (size_t k = 0; k < model_input(m, i)->count; k++)
            in[k] = rnd(&g, lo, hi);
    }
}

/* Runs the case on REF and on XNN with 1 and 2 threads; asserts the tolerance. Returns the max
 * abs difference seen. */
static double check_case(struct opcase *c, const char *name, float in_lo, float in_hi)
{
    const struct model *m = &c->m;
    char msg[256] = "";
    struct net *ref = NULL;
    int rc = net_new(m, NET_BACKEND_REF, 1, &ref, msg, sizeof msg);
    if (rc < 0)
        fail_msg("%s: reference net_new: %d %s", name, rc, msg);
    fill_inputs(ref, m, 42, in_lo, in_hi);
    assert_int_equal(net_run(ref), 0);

    double worst = 0;
    for (int threads = 1; threads <= 2; threads++) {
        struct net *x = NULL;
        msg[0] = 0;
        rc = net_new(m, NET_BACKEND_XNN, threads, &x, msg, sizeof msg);
        if (rc < 0)
            fail_msg("%s: xnnpack net_new(%d threads): %d %s", name, threads, rc, msg);
        fill_inputs(x, m, 42, in_lo, in_hi);
        assert_int_equal(net_run(x), 0);
        for (int o = 0; o < m->n_outputs; o++) {
            const float *a = net_output(ref, o), *b = net_output(x, o);
            double maxd = 0, maxref = 0;
            size_t bad = 0, first_bad = 0;
            for (size_t k = 0; k < model_output(m, o)->count; k++) {
                double d = fabs((double)a[k] - (double)b[k]);
                if (!isfinite(b[k]) || !(d <= ATOL + RTOL * fabs((double)a[k]))) {
                    if (!bad++)
                        first_bad = k;
                }
                if (d > maxd)
                    maxd = d;
                if (fabs((double)a[k]) > maxref)
                    maxref = fabs((double)a[k]);
            }
            printf("  %-40s out %d, %d thread(s): max|diff| %.3g (max|ref| %.3g)\n", name, o,
                   threads, maxd, maxref);
            if (bad)
                fail_msg("%s: output %d: %zu elements out of tolerance, first at %zu: ref %g xnn %g",
                         name, o, bad, first_bad, (double)a[first_bad], (double)b[first_bad]);
            if (maxd > worst)
                worst = maxd;
        }
        net_free(x);
    }
    net_free(ref);
    return worst;
}

/* ---- one op, one case ---------------------------------------------------------------------- */

static void conv_case(const char *name, int h, int w, int cin, int cout, int k, int stride,
                      int same, int act, int depthwise, const int pre_pad)
{
    struct opcase c;
    oc_init(&c, (uint64_t)(h * 131 + cin * 17 + k * 7 + stride + depthwise * 1000 + act));
    int x = oc_input(&c, 4, (int[]){ 1, h, w, cin });
    if (pre_pad)
        x = oc_pad(&c, x, (const int[4][2]){ { 0, 0 }, { pre_pad, pre_pad }, { pre_pad, pre_pad },
                                              { 0, 0 } });
    oc_output(&c, oc_conv(&c, x, depthwise, cout, k, k, stride, same, act));
    check_case(&c, name, -3.0f, 3.0f);
    oc_free(&c);
}

static void ops__conv_1x1_same_relu6_matches_reference(void **state)
{
    (void)state;
    conv_case("conv 1x1 s1 SAME relu6", 8, 8, 16, 24, 1, 1, 1, MODEL_ACT_RELU6, 0, 0);
}

static void ops__conv_1x1_valid_matches_reference(void **state)
{
    (void)state;
    conv_case("conv 1x1 s1 VALID", 7, 7, 32, 8, 1, 1, 0, MODEL_ACT_NONE, 0, 0);
}

static void ops__conv_3x3_s2_valid_after_pad_matches_reference(void **state)
{
    (void)state;
    conv_case("pad 1 + conv 3x3 s2 VALID relu6", 16, 16, 3, 16, 3, 2, 0, MODEL_ACT_RELU6, 0, 1);
}

static void ops__conv_3x3_same_one_output_channel_matches_reference(void **state)
{
    (void)state;
    conv_case("conv 3x3 s1 SAME 1 channel", 16, 16, 8, 1, 3, 1, 1, MODEL_ACT_NONE, 0, 0);
}

static void ops__conv_2x2_valid_vector_head_matches_reference(void **state)
{
    (void)state;
    conv_case("conv 2x2 VALID on 2x2x24", 2, 2, 24, 13, 2, 1, 0, MODEL_ACT_NONE, 0, 0);
}

static void ops__dwconv_3x3_same_relu6_matches_reference(void **state)
{
    (void)state;
    conv_case("dwconv 3x3 s1 SAME relu6", 8, 8, 16, 0, 3, 1, 1, MODEL_ACT_RELU6, 1, 0);
}

static void ops__dwconv_5x5_same_matches_reference(void **state)
{
    (void)state;
    conv_case("dwconv 5x5 s1 SAME", 7, 7, 8, 0, 5, 1, 1, MODEL_ACT_NONE, 1, 0);
}

static void ops__dwconv_3x3_s2_valid_after_pad_matches_reference(void **state)
{
    (void)state;
    conv_case("pad 1 + dwconv 3x3 s2 VALID", 8, 8, 8, 0, 3, 2, 0, MODEL_ACT_NONE, 1, 1);
}

static void ops__dwconv_5x5_s2_valid_after_pad_matches_reference(void **state)
{
    (void)state;
    conv_case("pad 2 + dwconv 5x5 s2 VALID relu6", 8, 8, 8, 0, 5, 2, 0, MODEL_ACT_RELU6, 1, 2);
}

static void ops__dwconv_3x3_s2_same_on_even_inputs_is_asymmetric_like_tf(void **state)
{
    (void)state;
    conv_case("dwconv 3x3 s2 SAME 8->4", 8, 8, 8, 0, 3, 2, 1, MODEL_ACT_NONE, 1, 0);
    conv_case("dwconv 3x3 s2 SAME 4->2", 4, 4, 16, 0, 3, 2, 1, MODEL_ACT_RELU6, 1, 0);
}

static void add_case(const char *name, int act)
{
    struct opcase c;
    oc_init(&c, (uint64_t)(500 + act));
    int dims[4] = { 1, 8, 8, 16 };
    int a = oc_input(&c, 4, dims), b = oc_input(&c, 4, dims);
    int y = oc_tensor(&c, 4, dims);
    oc_op(&c, MODEL_OP_ADD, y, 2, (int[]){ a, b })->opt.act = act;
    oc_output(&c, y);
    check_case(&c, name, -5.0f, 5.0f);
    oc_free(&c);
}

static void ops__add_relu6_and_none_match_reference(void **state)
{
    (void)state;
    add_case("add relu6", MODEL_ACT_RELU6);
    add_case("add none", MODEL_ACT_NONE);
}

static void ops__maxpool_2x2_s2_matches_reference(void **state)
{
    (void)state;
    struct opcase c;
    oc_init(&c, 600);
    int x = oc_input(&c, 4, (int[]){ 1, 8, 8, 16 });
    int y = oc_tensor(&c, 4, (int[]){ 1, 4, 4, 16 });
    struct model_op *op = oc_op(&c, MODEL_OP_MAXPOOL2D, y, 1, (int[]){ x });
    op->opt.filter_h = op->opt.filter_w = 2;
    op->opt.stride_h = op->opt.stride_w = 2;
    oc_output(&c, y);
    check_case(&c, "maxpool 2x2 s2 VALID", -3.0f, 3.0f);
    oc_free(&c);
}

static void ops__spatial_and_channel_pad_match_reference(void **state)
{
    (void)state;
    struct opcase c;
    oc_init(&c, 700);
    int x = oc_input(&c, 4, (int[]){ 1, 5, 5, 3 });
    oc_output(&c, oc_pad(&c, x, (const int[4][2]){ { 0, 0 }, { 1, 2 }, { 2, 1 }, { 0, 0 } }));
    check_case(&c, "pad spatial", -1.0f, 1.0f);
    oc_free(&c);

    oc_init(&c, 701);
    x = oc_input(&c, 4, (int[]){ 1, 4, 4, 6 });
    oc_output(&c, oc_pad(&c, x, (const int[4][2]){ { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 5 } }));
    check_case(&c, "pad channels 6->11", -1.0f, 1.0f);
    oc_free(&c);
}

static void resize_case(const char *name, int h, int w, int ch, int half_pixel, int align_corners)
{
    struct opcase c;
    oc_init(&c, (uint64_t)(800 + h + ch));
    int x = oc_input(&c, 4, (int[]){ 1, h, w, ch });
    int y = oc_tensor(&c, 4, (int[]){ 1, 2 * h, 2 * w, ch });
    struct model_op *op = oc_op(&c, MODEL_OP_RESIZE_BILINEAR, y, 1, (int[]){ x });
    op->opt.half_pixel_centers = half_pixel;
    op->opt.align_corners = align_corners;
    oc_output(&c, y);
    check_case(&c, name, -2.0f, 2.0f);
    oc_free(&c);
}

static void ops__resize_bilinear_x2_half_pixel_matches_reference(void **state)
{
    (void)state;
    resize_case("resize bilinear 4->8 half-pixel", 4, 4, 8, 1, 0);
    resize_case("resize bilinear 8x6->16x12 half-pixel", 8, 6, 3, 1, 0);
}

/* Not used by the models, but the backend maps them, so they are checked too. */
static void ops__resize_bilinear_align_corners_and_legacy_match_reference(void **state)
{
    (void)state;
    resize_case("resize bilinear align_corners", 4, 5, 3, 0, 1);
    resize_case("resize bilinear legacy (neither)", 4, 5, 3, 0, 0);
}

static void ops__relu_and_relu_n1_to_1_activations_match_reference(void **state)
{
    (void)state;
    conv_case("conv 1x1 relu", 4, 4, 8, 8, 1, 1, 1, MODEL_ACT_RELU, 0, 0);
    conv_case("dwconv 3x3 relu_n1_to_1", 4, 4, 8, 0, 3, 1, 1, MODEL_ACT_RELU_N1_TO_1, 1, 0);
}

static void ops__depth_to_space_block2_matches_reference(void **state)
{
    (void)state;
    struct opcase c;
    oc_init(&c, 900);
    int x = oc_input(&c, 4, (int[]){ 1, 4, 3, 16 });
    int y = oc_tensor(&c, 4, (int[]){ 1, 8, 6, 4 });
    oc_op(&c, MODEL_OP_DEPTH_TO_SPACE, y, 1, (int[]){ x })->opt.block = 2;
    oc_output(&c, y);
    double d = check_case(&c, "depth_to_space b2", -1.0f, 1.0f);
    assert_true(d == 0.0); /* a pure permutation: bit-exact */
    oc_free(&c);
}

static void ops__reshape_matches_reference(void **state)
{
    (void)state;
    struct opcase c;
    oc_init(&c, 1000);
    int x = oc_input(&c, 4, (int[]){ 1, 4, 4, 2 });
    oc_output(&c, oc_reshape(&c, x, 3, (int[]){ 1, 32, 1 }));
    double d = check_case(&c, "reshape [1,4,4,2]->[1,32,1]", -1.0f, 1.0f);
    assert_true(d == 0.0);
    oc_free(&c);

    oc_init(&c, 1001);
    x = oc_input(&c, 4, (int[]){ 1, 1, 1, 5 });
    oc_output(&c, oc_reshape(&c, x, 2, (int[]){ 1, 5 }));
    d = check_case(&c, "reshape [1,1,1,5]->[1,5]", -1.0f, 1.0f);
    assert_true(d == 0.0);
    oc_free(&c);
}

static void ops__logistic_matches_reference(void **state)
{
    (void)state;
    struct opcase c;
    oc_init(&c, 1100);
    int x = oc_input(&c, 4, (int[]){ 1, 5, 7, 3 });
    int y = oc_tensor(&c, 4, (int[]){ 1, 5, 7, 3 });
    oc_op(&c, MODEL_OP_LOGISTIC, y, 1, (int[]){ x });
    oc_output(&c, y);
    check_case(&c, "logistic", -12.0f, 12.0f);
    oc_free(&c);
}

/* Detector-style head: three feature maps reshaped to [1,N_i,C] and concatenated on axis 1 (the
 * XNNPACK backend writes each reshape straight into the concat output). */
static void ops__concat_axis1_of_three_inputs_matches_reference(void **state)
{
    (void)state;
    static const int ch[2] = { 1, 12 };
    for (int v = 0; v < 2; v++) {
        struct opcase c;
        oc_init(&c, (uint64_t)(1200 + v));
        int a = oc_input(&c, 4, (int[]){ 1, 4, 4, 2 * ch[v] });
        int b = oc_input(&c, 4, (int[]){ 1, 2, 2, 2 * ch[v] });
        int d = oc_input(&c, 4, (int[]){ 1, 1, 1, 6 * ch[v] });
        int ra = oc_reshape(&c, a, 3, (int[]){ 1, 32, ch[v] });
        int rb = oc_reshape(&c, b, 3, (int[]){ 1, 8, ch[v] });
        int rd = oc_reshape(&c, d, 3, (int[]){ 1, 6, ch[v] });
        int y = oc_tensor(&c, 3, (int[]){ 1, 46, ch[v] });
        oc_op(&c, MODEL_OP_CONCAT, y, 3, (int[]){ ra, rb, rd })->opt.axis = 1;
        oc_output(&c, y);
        double diff = check_case(&c, v ? "concat axis 1, 12 channels" : "concat axis 1, 1 channel",
                                 -1.0f, 1.0f);
        assert_true(diff == 0.0);
        oc_free(&c);
    }
}

/* Concat on an inner axis cannot alias (rows interleave): the backend copies after invoke. */
static void ops__concat_on_inner_axis_matches_reference(void **state)
{
    (void)state;
    struct opcase c;
    oc_init(&c, 1300);
    int a = oc_input(&c, 4, (int[]){ 1, 3, 4, 2 });
    int b = oc_input(&c, 4, (int[]){ 1, 3, 4, 5 });
    int la = oc_tensor(&c, 4, (int[]){ 1, 3, 4, 2 });
    int lb = oc_tensor(&c, 4, (int[]){ 1, 3, 4, 5 });
    oc_op(&c, MODEL_OP_LOGISTIC, la, 1, (int[]){ a });
    oc_op(&c, MODEL_OP_LOGISTIC, lb, 1, (int[]){ b });
    int y = oc_tensor(&c, 4, (int[]){ 1, 3, 4, 7 });
    oc_op(&c, MODEL_OP_CONCAT, y, 2, (int[]){ la, lb })->opt.axis = 3;
    oc_output(&c, y);
    check_case(&c, "logistic x2 + concat axis 3", -4.0f, 4.0f);
    oc_free(&c);
}

/* A small block the way the models chain ops: conv -> dwconv -> add (residual) -> resize. */
static void ops__chained_block_matches_reference(void **state)
{
    (void)state;
    struct opcase c;
    oc_init(&c, 1400);
    int x = oc_input(&c, 4, (int[]){ 1, 8, 8, 8 });
    int e = oc_conv(&c, x, 0, 16, 1, 1, 1, 1, MODEL_ACT_RELU6);
    int dw = oc_conv(&c, e, 1, 0, 3, 3, 1, 1, MODEL_ACT_RELU6);
    int p = oc_conv(&c, dw, 0, 8, 1, 1, 1, 1, MODEL_ACT_NONE);
    int s = oc_tensor(&c, 4, (int[]){ 1, 8, 8, 8 });
    oc_op(&c, MODEL_OP_ADD, s, 2, (int[]){ p, x });
    int up = oc_tensor(&c, 4, (int[]){ 1, 16, 16, 8 });
    oc_op(&c, MODEL_OP_RESIZE_BILINEAR, up, 1, (int[]){ s })->opt.half_pixel_centers = 1;
    oc_output(&c, up);
    oc_output(&c, e);
    check_case(&c, "conv+dwconv+conv+add+resize (2 outputs)", -2.0f, 2.0f);
    oc_free(&c);
}

/* ---- outputs left out (net_new_outputs) ------------------------------------------------------ */

/* Three heads on one input: out 0 = conv, out 1 = concat of two logistic branches (the XNNPACK
 * backend's aliasing path), out 2 = add(conv, x), which shares out 0's conv. */
static void three_heads(struct opcase *c)
{
    oc_init(c, 1500);
    int x = oc_input(c, 4, (int[]){ 1, 6, 6, 4 });
    int a = oc_conv(c, x, 0, 4, 3, 3, 1, 1, MODEL_ACT_NONE);
    oc_output(c, a);
    int l1 = oc_tensor(c, 4, (int[]){ 1, 6, 6, 4 });
    int l2 = oc_tensor(c, 4, (int[]){ 1, 6, 6, 4 });
    oc_op(c, MODEL_OP_LOGISTIC, l1, 1, (int[]){ x });
    oc_op(c, MODEL_OP_LOGISTIC, l2, 1, (int[]){ a });
    int r1 = oc_reshape(c, l1, 3, (int[]){ 1, 36, 4 });
    int r2 = oc_reshape(c, l2, 3, (int[]){ 1, 36, 4 });
    int cat = oc_tensor(c, 3, (int[]){ 1, 72, 4 });
    oc_op(c, MODEL_OP_CONCAT, cat, 2, (int[]){ r1, r2 })->opt.axis = 1;
    oc_output(c, cat);
    int s = oc_tensor(c, 4, (int[]){ 1, 6, 6, 4 });
    oc_op(c, MODEL_OP_ADD, s, 2, (int[]){ a, x });
    oc_output(c, s);
}

static struct net *net_with(const struct model *m, enum net_backend be, int threads,
                            unsigned outputs)
{
    char msg[256] = "";
    struct net *n = NULL;
    int rc = net_new_outputs(m, be, threads, outputs, &n, msg, sizeof msg);
    if (rc < 0)
        fail_msg("net_new_outputs(%s, %d threads, mask %#x): %d %s", net_backend_name(be),
                 threads, outputs, rc, msg);
    fill_inputs(n, m, 7, -2.0f, 2.0f);
    assert_int_equal(net_run(n), 0);
    return n;
}

static void net__left_out_outputs_are_null_and_kept_ones_unchanged(void **state)
{
    (void)state;
    static const unsigned masks[] = {1u << 0, 1u << 1, 1u << 2, 1u << 0 | 1u << 2,
                                     1u << 1 | 1u << 2};
    static const struct { enum net_backend be; int threads; } cfg[] = {
        { NET_BACKEND_REF, 1 }, { NET_BACKEND_XNN, 1 }, { NET_BACKEND_XNN, 2 } };
    struct opcase c;
    three_heads(&c);
    const struct model *m = &c.m;
    for (size_t k = 0; k < sizeof cfg / sizeof cfg[0]; k++) {
        struct net *all = net_with(m, cfg[k].be, cfg[k].threads, NET_ALL_OUTPUTS);
        for (size_t j = 0; j < sizeof masks / sizeof masks[0]; j++) {
            struct net *part = net_with(m, cfg[k].be, cfg[k].threads, masks[j]);
            for (int o = 0; o < m->n_outputs; o++) {
                const float *want = net_output(all, o), *got = net_output(part, o);
                assert_non_null(want);
                if (!(masks[j] >> o & 1u)) {
                    assert_null(got);
                    continue;
                }
                if (!got)
                    fail_msg("%s/%d threads, mask %#x: output %d is NULL",
                             net_backend_name(cfg[k].be), cfg[k].threads, masks[j], o);
                assert_memory_equal(got, want, model_output(m, o)->count * sizeof(float));
            }
            net_free(part);
        }
        net_free(all);
    }
    oc_free(&c);
}

static void net__asking_for_no_output_is_refused(void **state)
{
    (void)state;
    struct opcase c;
    three_heads(&c);
    char msg[256] = "";
    struct net *n = NULL;
    assert_int_equal(net_new_outputs(&c.m, NET_BACKEND_XNN, 1, 0, &n, msg, sizeof msg),
                     RR_ERR_INVAL);
    assert_null(n);
    assert_non_null(strstr(msg, "no output"));
    /* bits past the model's outputs ask for nothing either */
    assert_int_equal(net_new_outputs(&c.m, NET_BACKEND_REF, 1, 1u << 5, &n, msg, sizeof msg),
                     RR_ERR_INVAL);
    oc_free(&c);
}

/* ---- XNNPACK-specific behaviour -------------------------------------------------------------- */

static void expect_refused(struct opcase *c, const char *needle)
{
    char msg[256] = "";
    struct net *n = NULL;
    int rc = net_new(&c->m, NET_BACKEND_XNN, 1, &n, msg, sizeof msg);
    printf("  refused as expected: %s\n", msg);
    assert_int_equal(rc, RR_ERR_UNSUPPORTED);
    assert_null(n);
    if (!strstr(msg, needle))
        fail_msg("message \"%s\" lacks \"%s\"", msg, needle);
}

static void xnn__refuses_conv_whose_filter_channels_do_not_match(void **state)
{
    (void)state;
    struct opcase c;
    oc_init(&c, 1500);
    int x = oc_input(&c, 4, (int[]){ 1, 4, 4, 8 });
    int w = oc_const(&c, 4, (int[]){ 4, 1, 1, 6 }, -1, 1);
    int b = oc_const(&c, 1, (int[]){ 4 }, -1, 1);
    int y = oc_tensor(&c, 4, (int[]){ 1, 4, 4, 4 });
    oc_op(&c, MODEL_OP_CONV2D, y, 3, (int[]){ x, w, b })->opt.same_padding = 1;
    oc_output(&c, y);
    expect_refused(&c, "op 0 (");
    expect_refused(&c, "input channels");
    oc_free(&c);
}

static void xnn__refuses_output_shape_that_disagrees_with_the_op(void **state)
{
    (void)state;
    struct opcase c;
    oc_init(&c, 1600);
    int x = oc_input(&c, 4, (int[]){ 1, 8, 8, 4 });
    int y = oc_tensor(&c, 4, (int[]){ 1, 3, 4, 4 }); /* 2x2 s2 pool of 8x8 gives 4x4 */
    struct model_op *op = oc_op(&c, MODEL_OP_MAXPOOL2D, y, 1, (int[]){ x });
    op->opt.filter_h = op->opt.filter_w = 2;
    op->opt.stride_h = op->opt.stride_w = 2;
    oc_output(&c, y);
    expect_refused(&c, "output shape [1,3,4,4], expected [1,4,4,4]");
    oc_free(&c);
}

static void xnn__refuses_resize_with_align_corners_and_half_pixel(void **state)
{
    (void)state;
    struct opcase c;
    oc_init(&c, 1700);
    int x = oc_input(&c, 4, (int[]){ 1, 4, 4, 2 });
    int y = oc_tensor(&c, 4, (int[]){ 1, 8, 8, 2 });
    struct model_op *op = oc_op(&c, MODEL_OP_RESIZE_BILINEAR, y, 1, (int[]){ x });
    op->opt.half_pixel_centers = 1;
    op->opt.align_corners = 1;
    oc_output(&c, y);
    expect_refused(&c, "align_corners");
    oc_free(&c);
}

static void xnn__refuses_concat_whose_result_feeds_another_op(void **state)
{
    (void)state;
    struct opcase c;
    oc_init(&c, 1800);
    int a = oc_input(&c, 2, (int[]){ 1, 3 });
    int la = oc_tensor(&c, 2, (int[]){ 1, 3 });
    int lb = oc_tensor(&c, 2, (int[]){ 1, 3 });
    oc_op(&c, MODEL_OP_LOGISTIC, la, 1, (int[]){ a });
    oc_op(&c, MODEL_OP_LOGISTIC, lb, 1, (int[]){ a });
    int y = oc_tensor(&c, 2, (int[]){ 1, 6 });
    oc_op(&c, MODEL_OP_CONCAT, y, 2, (int[]){ la, lb })->opt.axis = 1;
    int z = oc_tensor(&c, 2, (int[]){ 1, 6 });
    oc_op(&c, MODEL_OP_LOGISTIC, z, 1, (int[]){ y });
    oc_output(&c, z);
    expect_refused(&c, "CONCAT");
    oc_free(&c);
}

static void xnn__refuses_tensor_read_before_it_is_written(void **state)
{
    (void)state;
    struct opcase c;
    oc_init(&c, 1900);
    int x = oc_input(&c, 2, (int[]){ 1, 4 });
    int t = oc_tensor(&c, 2, (int[]){ 1, 4 });
    int y = oc_tensor(&c, 2, (int[]){ 1, 4 });
    oc_op(&c, MODEL_OP_ADD, y, 2, (int[]){ x, t });
    oc_op(&c, MODEL_OP_LOGISTIC, t, 1, (int[]){ x });
    oc_output(&c, y);
    expect_refused(&c, "read before it is written");
    oc_free(&c);
}

/* Independent of both backends: ones through a 3x3 s2 SAME depthwise conv of ones on 4x4. TF puts
 * the single padding row/column at the bottom/right, so out(0,0) sees 3x3 inputs and out(1,1)
 * 2x2; a symmetric (top/left) padding would give 4 and 9 instead. */
/* Refusal table: each entry builds a small graph that is wrong in one way. Base: x [1,4,4,4]
 * (tensor 0) -> CONV_2D 3x3 SAME with filter (1) and bias (2) -> y (3). */
static void base_conv(struct opcase *c)
{
    int x = oc_input(c, 4, (int[]){ 1, 4, 4, 4 });
    oc_output(c, oc_conv(c, x, 0, 4, 3, 3, 1, 1, MODEL_ACT_NONE));
}

static void r_bad_act(struct opcase *c)
{
    base_conv(c);
    c->ops[0].opt.act = 7;
}

static void r_valid_window_too_big(struct opcase *c)
{
    base_conv(c);
    c->t[0].dims[1] = c->t[0].dims[2] = 2;
    c->t[0].count = 16;
    c->ops[0].opt.same_padding = 0;
}

static void r_zero_stride(struct opcase *c)
{
    base_conv(c);
    c->ops[0].opt.stride_h = 0;
}

static void r_bias_size(struct opcase *c)
{
    base_conv(c);
    c->t[2].dims[0] = c->t[2].count = 3;
}

static void r_filter_not_constant(struct opcase *c)
{
    base_conv(c);
    free(c->t[1].data);
    c->t[1].data = NULL;
    c->inputs[c->m.n_inputs++] = 1;
}

static void r_conv_two_inputs(struct opcase *c)
{
    base_conv(c);
    c->ops[0].n_inputs = 2;
}

static void r_conv_input_3d(struct opcase *c)
{
    base_conv(c);
    c->t[0].ndim = 3;
    c->t[0].dims[2] = 16;
    c->t[0].count = 64;
}

static void r_dwconv_multiplier(struct opcase *c)
{
    base_conv(c);
    c->ops[0].kind = MODEL_OP_DWCONV2D;
}

static void r_unknown_kind(struct opcase *c)
{
    base_conv(c);
    c->ops[0].kind = (enum model_op_kind)99;
}

static void r_input_index(struct opcase *c)
{
    base_conv(c);
    c->ops[0].inputs[0] = 50;
}

static void r_output_index(struct opcase *c)
{
    base_conv(c);
    c->ops[0].output = -1;
}

static void r_writes_its_input(struct opcase *c)
{
    base_conv(c);
    c->ops[0].output = 0;
}

static void r_output_is_constant(struct opcase *c)
{
    base_conv(c);
    c->outputs[0] = 1;
}

static void r_output_twice(struct opcase *c)
{
    base_conv(c);
    c->outputs[c->m.n_outputs++] = 3;
}

static void r_input_constant(struct opcase *c)
{
    base_conv(c);
    c->inputs[c->m.n_inputs++] = 2;
}

static void r_output_never_written(struct opcase *c)
{
    base_conv(c);
    oc_output(c, oc_tensor(c, 2, (int[]){ 1, 4 }));
}

static void r_five_dims(struct opcase *c)
{
    base_conv(c);
    c->t[0].ndim = 5;
}

static void r_zero_dim(struct opcase *c)
{
    base_conv(c);
    c->t[0].dims[3] = 0;
}

static void r_count_mismatch(struct opcase *c)
{
    base_conv(c);
    c->t[0].count = 7;
}

static void r_no_inputs(struct opcase *c)
{
    base_conv(c);
    c->m.n_inputs = 0;
}

static void r_op_inputs(struct opcase *c)
{
    base_conv(c);
    c->ops[0].n_inputs = 0;
}

static void r_add_shapes(struct opcase *c)
{
    int a = oc_input(c, 2, (int[]){ 1, 4 }), b = oc_input(c, 2, (int[]){ 1, 2 });
    int y = oc_tensor(c, 2, (int[]){ 1, 4 });
    oc_op(c, MODEL_OP_ADD, y, 2, (int[]){ a, b });
    oc_output(c, y);
}

static void r_add_constant(struct opcase *c)
{
    int a = oc_input(c, 2, (int[]){ 1, 4 }), b = oc_const(c, 2, (int[]){ 1, 4 }, 0, 1);
    int y = oc_tensor(c, 2, (int[]){ 1, 4 });
    oc_op(c, MODEL_OP_ADD, y, 2, (int[]){ a, b });
    oc_output(c, y);
}

static void r_pool_1x1(struct opcase *c)
{
    int x = oc_input(c, 4, (int[]){ 1, 4, 4, 2 });
    int y = oc_tensor(c, 4, (int[]){ 1, 4, 4, 2 });
    struct model_op *op = oc_op(c, MODEL_OP_MAXPOOL2D, y, 1, (int[]){ x });
    op->opt.filter_h = op->opt.filter_w = 1;
    oc_output(c, y);
}

static void r_pad_negative(struct opcase *c)
{
    int x = oc_input(c, 4, (int[]){ 1, 4, 4, 2 });
    oc_output(c, oc_pad(c, x, (const int[4][2]){ { 0, 0 }, { 1, 1 }, { 0, 0 }, { 0, 0 } }));
    c->ops[0].opt.pad[2][0] = -1;
}

static void r_d2s_block(struct opcase *c)
{
    int x = oc_input(c, 4, (int[]){ 1, 2, 2, 8 });
    int y = oc_tensor(c, 4, (int[]){ 1, 6, 6, 1 });
    oc_op(c, MODEL_OP_DEPTH_TO_SPACE, y, 1, (int[]){ x })->opt.block = 3;
    oc_output(c, y);
}

static void r_reshape_count(struct opcase *c)
{
    int x = oc_input(c, 2, (int[]){ 1, 6 });
    oc_output(c, oc_reshape(c, x, 2, (int[]){ 1, 5 }));
}

static void r_logistic_shape(struct opcase *c)
{
    int x = oc_input(c, 2, (int[]){ 1, 6 });
    int y = oc_tensor(c, 2, (int[]){ 6, 1 });
    oc_op(c, MODEL_OP_LOGISTIC, y, 1, (int[]){ x });
    oc_output(c, y);
}

static void r_resize_3d_output(struct opcase *c)
{
    int x = oc_input(c, 4, (int[]){ 1, 2, 2, 2 });
    int y = oc_tensor(c, 3, (int[]){ 4, 4, 2 });
    oc_op(c, MODEL_OP_RESIZE_BILINEAR, y, 1, (int[]){ x })->opt.half_pixel_centers = 1;
    oc_output(c, y);
}

/* Two logistic results concatenated on axis 1 of [1,3] tensors: [1,6]. */
static struct model_op *base_concat(struct opcase *c, int out_w)
{
    int a = oc_input(c, 2, (int[]){ 1, 3 });
    int la = oc_tensor(c, 2, (int[]){ 1, 3 }), lb = oc_tensor(c, 2, (int[]){ 1, 3 });
    oc_op(c, MODEL_OP_LOGISTIC, la, 1, (int[]){ a });
    oc_op(c, MODEL_OP_LOGISTIC, lb, 1, (int[]){ a });
    int y = oc_tensor(c, 2, (int[]){ 1, out_w });
    struct model_op *op = oc_op(c, MODEL_OP_CONCAT, y, 2, (int[]){ la, lb });
    op->opt.axis = 1;
    oc_output(c, y);
    return op;
}

static void r_concat_axis(struct opcase *c)
{
    base_concat(c, 6)->opt.axis = 2;
}

static void r_concat_sum(struct opcase *c)
{
    base_concat(c, 7);
}

static void r_concat_of_model_input(struct opcase *c)
{
    base_concat(c, 6)->inputs[0] = 0;
}

static void r_concat_same_tensor_twice(struct opcase *c)
{
    struct model_op *op = base_concat(c, 6);
    op->inputs[1] = op->inputs[0];
}

static void r_concat_dims(struct opcase *c)
{
    struct model_tensor *y = &c->t[base_concat(c, 6)->output];
    y->dims[0] = 2;
    y->count = 12;
}

static void r_concat_rank(struct opcase *c)
{
    struct model_op *op = base_concat(c, 6);
    struct model_tensor *y = &c->t[op->output];
    y->ndim = 3;
    y->dims[2] = 1;
}

static void r_concat_of_concat(struct opcase *c)
{
    struct model_op *op = base_concat(c, 6);
    int y2 = oc_tensor(c, 2, (int[]){ 1, 6 });
    oc_op(c, MODEL_OP_CONCAT, y2, 1, (int[]){ op->output })->opt.axis = 1;
    oc_output(c, y2);
}

struct refusal {
    const char *name;
    void (*build)(struct opcase *c);
    int rc;
    const char *needle;
};

static const struct refusal refusals[] = {
    { "unknown activation", r_bad_act, RR_ERR_UNSUPPORTED, "fused activation 7" },
    { "VALID window larger than input", r_valid_window_too_big, RR_ERR_UNSUPPORTED, "VALID window 3" },
    { "stride 0", r_zero_stride, RR_ERR_UNSUPPORTED, "stride 0" },
    { "bias size", r_bias_size, RR_ERR_UNSUPPORTED, "bias" },
    { "filter not constant", r_filter_not_constant, RR_ERR_UNSUPPORTED, "filter must be" },
    { "conv with 2 inputs", r_conv_two_inputs, RR_ERR_UNSUPPORTED, "expects 3 input" },
    { "conv on a 3-d tensor", r_conv_input_3d, RR_ERR_UNSUPPORTED, "must be 4-d" },
    { "depthwise filter", r_dwconv_multiplier, RR_ERR_UNSUPPORTED, "depth multiplier" },
    { "unknown op kind", r_unknown_kind, RR_ERR_UNSUPPORTED, "unknown kind 99" },
    { "input index", r_input_index, RR_ERR_UNSUPPORTED, "index 50 out of range" },
    { "output index", r_output_index, RR_ERR_UNSUPPORTED, "index -1 out of range" },
    { "op writes the subgraph input", r_writes_its_input, RR_ERR_UNSUPPORTED, "written twice" },
    { "subgraph output is a constant", r_output_is_constant, RR_ERR_UNSUPPORTED, "output 0" },
    { "subgraph output listed twice", r_output_twice, RR_ERR_UNSUPPORTED, "output 1" },
    { "subgraph input is a constant", r_input_constant, RR_ERR_UNSUPPORTED, "input 1" },
    { "subgraph output never written", r_output_never_written, RR_ERR_UNSUPPORTED,
      "never written" },
    { "5-d tensor", r_five_dims, RR_ERR_UNSUPPORTED, "5 dims" },
    { "zero dim", r_zero_dim, RR_ERR_UNSUPPORTED, "dim 3 = 0" },
    { "count mismatch", r_count_mismatch, RR_ERR_INVAL, "count 7" },
    { "no subgraph inputs", r_no_inputs, RR_ERR_INVAL, "malformed" },
    { "op without inputs", r_op_inputs, RR_ERR_UNSUPPORTED, "0 inputs" },
    { "add with different shapes", r_add_shapes, RR_ERR_UNSUPPORTED, "broadcasting" },
    { "add of a constant", r_add_constant, RR_ERR_UNSUPPORTED, "is a constant" },
    { "1x1 max pool", r_pool_1x1, RR_ERR_UNSUPPORTED, "pool window 1x1" },
    { "negative padding", r_pad_negative, RR_ERR_UNSUPPORTED, "padding -1/0 of dim 2" },
    { "depth_to_space block 3 of 8 channels", r_d2s_block, RR_ERR_UNSUPPORTED, "block size 3" },
    { "reshape changing the count", r_reshape_count, RR_ERR_UNSUPPORTED, "6 elements into 5" },
    { "logistic changing the shape", r_logistic_shape, RR_ERR_UNSUPPORTED, "differs" },
    { "resize to a 3-d output", r_resize_3d_output, RR_ERR_UNSUPPORTED, "output must be 4-d" },
    { "concat axis out of range", r_concat_axis, RR_ERR_UNSUPPORTED, "axis 2" },
    { "concat sizes do not add up", r_concat_sum, RR_ERR_UNSUPPORTED, "add up to 6" },
    { "concat of a subgraph input", r_concat_of_model_input, RR_ERR_UNSUPPORTED, "intermediate" },
    { "concat of one tensor twice", r_concat_same_tensor_twice, RR_ERR_UNSUPPORTED,
      "already feeds" },
    { "concat with mismatched dims", r_concat_dims, RR_ERR_UNSUPPORTED, "dim 0 is 1, output has 2" },
    { "concat with mismatched rank", r_concat_rank, RR_ERR_UNSUPPORTED, "rank 2" },
    { "concat of a concat", r_concat_of_concat, RR_ERR_UNSUPPORTED, "CONCAT" },
};

static void xnn__refuses_each_malformed_or_unsupported_graph_with_a_message(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
        const struct refusal *r = &refusals[i];
        struct opcase c;
        oc_init(&c, 3000 + i);
        r->build(&c);
        char msg[256] = "";
        struct net *n = NULL;
        int rc = net_new(&c.m, NET_BACKEND_XNN, 1, &n, msg, sizeof msg);
        printf("  %-38s -> %d %s\n", r->name, rc, msg);
        if (rc != r->rc || n || !strstr(msg, r->needle))
            fail_msg("%s: got %d \"%s\", want %d with \"%s\"", r->name, rc, msg, r->rc, r->needle);
        oc_free(&c);
    }
}

static void xnn__same_stride2_padding_puts_extra_row_bottom_right(void **state)
{
    (void)state;
    struct opcase c;
    oc_init(&c, 2200);
    int x = oc_input(&c, 4, (int[]){ 1, 4, 4, 1 });
    int y = oc_conv(&c, x, 1, 0, 3, 3, 2, 1, MODEL_ACT_NONE);
    for (int k = 0; k < 9; k++)
        c.t[c.ops[0].inputs[1]].data[k] = 1.0f;
    c.t[c.ops[0].inputs[2]].data[0] = 0.0f;
    oc_output(&c, y);
    char msg[256] = "";
    struct net *n = NULL;
    assert_int_equal(net_new(&c.m, NET_BACKEND_XNN, 1, &n, msg, sizeof msg), 0);
    float *in = net_input(n, 0);
    for (int k = 0; k < 16; k++)
        in[k] = 1.0f;
    assert_int_equal(net_run(n), 0);
    const float *out = net_output(n, 0);
    assert_float_equal(out[0], 9.0f, 1e-6);
    assert_float_equal(out[1], 6.0f, 1e-6);
    assert_float_equal(out[2], 6.0f, 1e-6);
    assert_float_equal(out[3], 4.0f, 1e-6);
    net_free(n);
    oc_free(&c);
}

static void xnn__reruns_deterministically_with_stable_buffers(void **state)
{
    (void)state;
    struct opcase c;
    oc_init(&c, 2000);
    int x = oc_input(&c, 4, (int[]){ 1, 8, 8, 8 });
    oc_output(&c, oc_conv(&c, x, 0, 8, 3, 3, 1, 1, MODEL_ACT_NONE));
    char msg[256] = "";
    struct net *n = NULL;
    assert_int_equal(net_new(&c.m, NET_BACKEND_XNN, 2, &n, msg, sizeof msg), 0);
    float *in = net_input(n, 0);
    const float *out = net_output(n, 0);
    assert_null(net_input(n, 1));
    assert_null(net_output(n, 1));
    fill_inputs(n, &c.m, 5, -1, 1);
    size_t cnt = model_output(&c.m, 0)->count;
    float *first = malloc(cnt * sizeof *first);
    assert_non_null(first);
    assert_int_equal(net_run(n), 0);
    memcpy(first, out, cnt * sizeof *first);
    assert_int_equal(net_run(n), 0);
    assert_ptr_equal(net_input(n, 0), in);
    assert_ptr_equal(net_output(n, 0), out);
    assert_memory_equal(first, out, cnt * sizeof *first);
    /* a different input changes the output: the run really reads the buffer */
    in[0] += 1.0f;
    assert_int_equal(net_run(n), 0);
    assert_true(memcmp(first, out, cnt * sizeof *first) != 0);
    free(first);
    net_free(n);
    oc_free(&c);
}

struct conc_arg {
    struct net *n;
    int rc;
};

static void *conc_run(void *p)
{
    struct conc_arg *a = p;
    for (int i = 0; i < 20 && a->rc == 0; i++)
        a->rc = net_run(a->n);
    return NULL;
}

static void xnn__two_nets_of_one_model_run_concurrently(void **state)
{
    (void)state;
    struct opcase c;
    oc_init(&c, 2100);
    int x = oc_input(&c, 4, (int[]){ 1, 16, 16, 8 });
    oc_output(&c, oc_conv(&c, x, 0, 16, 3, 3, 1, 1, MODEL_ACT_RELU6));
    char msg[256] = "";
    struct net *n[2] = { NULL, NULL };
    for (int i = 0; i < 2; i++) {
        assert_int_equal(net_new(&c.m, NET_BACKEND_XNN, 1, &n[i], msg, sizeof msg), 0);
        fill_inputs(n[i], &c.m, 9, -1, 1);
    }
    struct conc_arg args[2] = { { n[0], 0 }, { n[1], 0 } };
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&th[i], NULL, conc_run, &args[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(args[0].rc, 0);
    assert_int_equal(args[1].rc, 0);
    assert_memory_equal(net_output(n[0], 0), net_output(n[1], 0),
                        model_output(&c.m, 0)->count * sizeof(float));
    net_free(n[0]);
    net_free(n[1]);
    oc_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ops__conv_1x1_same_relu6_matches_reference),
        cmocka_unit_test(ops__conv_1x1_valid_matches_reference),
        cmocka_unit_test(ops__conv_3x3_s2_valid_after_pad_matches_reference),
        cmocka_unit_test(ops__conv_3x3_same_one_output_channel_matches_reference),
        cmocka_unit_test(ops__conv_2x2_valid_vector_head_matches_reference),
        cmocka_unit_test(ops__dwconv_3x3_same_relu6_matches_reference),
        cmocka_unit_test(ops__dwconv_5x5_same_matches_reference),
        cmocka_unit_test(ops__dwconv_3x3_s2_valid_after_pad_matches_reference),
        cmocka_unit_test(ops__dwconv_5x5_s2_valid_after_pad_matches_reference),
        cmocka_unit_test(ops__dwconv_3x3_s2_same_on_even_inputs_is_asymmetric_like_tf),
        cmocka_unit_test(ops__add_relu6_and_none_match_reference),
        cmocka_unit_test(ops__maxpool_2x2_s2_matches_reference),
        cmocka_unit_test(ops__spatial_and_channel_pad_match_reference),
        cmocka_unit_test(ops__resize_bilinear_x2_half_pixel_matches_reference),
        cmocka_unit_test(ops__resize_bilinear_align_corners_and_legacy_match_reference),
        cmocka_unit_test(ops__relu_and_relu_n1_to_1_activations_match_reference),
        cmocka_unit_test(ops__depth_to_space_block2_matches_reference),
        cmocka_unit_test(ops__reshape_matches_reference),
        cmocka_unit_test(ops__logistic_matches_reference),
        cmocka_unit_test(ops__concat_axis1_of_three_inputs_matches_reference),
        cmocka_unit_test(ops__concat_on_inner_axis_matches_reference),
        cmocka_unit_test(ops__chained_block_matches_reference),
        cmocka_unit_test(net__left_out_outputs_are_null_and_kept_ones_unchanged),
        cmocka_unit_test(net__asking_for_no_output_is_refused),
        cmocka_unit_test(xnn__refuses_conv_whose_filter_channels_do_not_match),
        cmocka_unit_test(xnn__refuses_output_shape_that_disagrees_with_the_op),
        cmocka_unit_test(xnn__refuses_resize_with_align_corners_and_half_pixel),
        cmocka_unit_test(xnn__refuses_concat_whose_result_feeds_another_op),
        cmocka_unit_test(xnn__refuses_tensor_read_before_it_is_written),
        cmocka_unit_test(xnn__refuses_each_malformed_or_unsupported_graph_with_a_message),
        cmocka_unit_test(xnn__same_stride2_padding_puts_extra_row_bottom_right),
        cmocka_unit_test(xnn__reruns_deterministically_with_stable_buffers),
        cmocka_unit_test(xnn__two_nets_of_one_model_run_concurrently),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
