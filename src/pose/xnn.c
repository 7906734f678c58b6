/*
 * xnn.c - the XNNPACK backend of net.h (net__xnn_ops): a struct model compiled into one XNNPACK
 * subgraph runtime.
 *
 * DESIGN
 * create() validates the whole model first (indices, topological order, every op's shapes and
 * parameters against what the op implies), so an unusual model is refused with RR_ERR_UNSUPPORTED
 * and a message naming the op, instead of an opaque XNNPACK status. It then defines one subgraph:
 *   - model constants become static XNNPACK values that point at the model's fp32 data (no copy;
 *     the model is immutable and outlives the net, as net.h requires);
 *   - subgraph inputs are external inputs, subgraph outputs external outputs;
 *   - every op maps to one node (table `xnn_definers`), except CONCATENATION, which this XNNPACK
 *     version has no node for: each concat input becomes an external output that XNNPACK writes
 *     straight into the right byte offset of the final output buffer (zero copy) when all dims
 *     before the axis are 1; otherwise it gets its own buffer and run() does a strided copy.
 * Ops that feed no kept output (net_new_outputs) are not defined at all, and an output left out
 * gets no buffer, so XNNPACK never sees them.
 * SAME padding is turned into explicit TF padding (total = max((out-1)*s + (k-1)*d + 1 - in, 0),
 * before = total/2), so stride-2 SAME on even sizes is asymmetric exactly as in TensorFlow.
 * The runtime, the thread pool (NULL for threads == 1) and the external buffers (with
 * XNN_EXTRA_BYTES of slack, since XNNPACK may read past the end) are created once, and
 * xnn_setup_runtime() is called once; run() is xnn_invoke_runtime() plus the planned copies, with
 * no heap allocation. xnn_initialize() runs once per process (pthread_once).
 */
#include "pose/net.h"

#include "base/rr_error.h"
#include "pose/model.h"

#include <math.h>
#include <pthread.h>
#include <pthreadpool.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xnnpack.h>

#define XNN_MAX_THREADS 64
#define XNN_BUF_ALIGN 64

/* One strided copy of a concat input into the concat output, done after each invoke. */
struct xnn_copy {
    const float *src;
    float *dst;
    size_t rows;       /* product of the dims before the concat axis */
    size_t row_floats; /* floats of this input per row */
    size_t dst_stride; /* floats of the output per row */
};

struct xnn_state {
    xnn_runtime_t runtime;
    pthreadpool_t pool;
    int n_inputs, n_outputs;
    float **inputs;  /* [n_inputs], external input buffers */
    float **outputs; /* [n_outputs], external output (or concat) buffers */
    int n_bufs;
    void **bufs;     /* every buffer allocated here, freed in destroy */
    int n_copies;
    struct xnn_copy *copies;
};

/* Per-tensor facts gathered before the subgraph is defined. */
struct xnn_tinfo {
    int producer;      /* op index, or -1 */
    int consumers;     /* number of op inputs that read it (concat inputs included) */
    int model_input;   /* index in m->inputs, or -1 */
    int model_output;  /* index in m->outputs, or -1 */
    int concat_op;     /* for a concat input: the concat op index, or -1 */
    uint32_t ext_id;   /* external id, or XNN_INVALID_VALUE_ID */
    uint32_t flags;    /* XNN_VALUE_FLAG_* */
    uint32_t vid;      /* XNNPACK value id once defined, else XNN_INVALID_VALUE_ID */
    float *ext_data;   /* pointer given to xnn_setup_runtime for an external value */
};

struct xnn_build {
    const struct model *m;
    const unsigned char *live; /* live[k]: op k feeds a kept output */
    struct xnn_tinfo *ti;
    xnn_subgraph_t sg;
    int op;            /* op being checked or defined, for messages */
    char *msg;
    size_t msg_len;
};

/* ---------------------------------------------------------------------------------------------- */

__attribute__((format(printf, 4, 5))) static int xnn__fail(char *msg, size_t msg_len, int rc,
                                                           const char *fmt, ...)
{
    if (msg && msg_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, msg_len, fmt, ap);
        va_end(ap);
    }
    return rc;
}

/* An RR_ERR_UNSUPPORTED about the op being built: "xnnpack: op 12 (CONV_2D): <reason>". */
__attribute__((format(printf, 2, 3))) static int op_bad(struct xnn_build *b, const char *fmt, ...)
{
    if (b->msg && b->msg_len) {
        char reason[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(reason, sizeof reason, fmt, ap);
        va_end(ap);
        snprintf(b->msg, b->msg_len, "xnnpack: op %d (%s): %s", b->op,
                 model_op_name(b->m->ops[b->op].kind), reason);
    }
    return RR_ERR_UNSUPPORTED;
}

static int xnn_status_fail(struct xnn_build *b, const char *call, enum xnn_status st)
{
    return xnn__fail(b->msg, b->msg_len, RR_ERR_BACKEND, "xnnpack: %s failed with status %d at op %d",
                     call, (int)st, b->op);
}

static pthread_once_t xnn_once = PTHREAD_ONCE_INIT;
static enum xnn_status xnn_init_status = xnn_status_uninitialized;

static void xnn_init_once(void)
{
    xnn_init_status = xnn_initialize(NULL);
}

static const struct model_tensor *T(const struct xnn_build *b, int t)
{
    return &b->m->tensors[t];
}

static int same_shape(const struct model_tensor *a, const struct model_tensor *c)
{
    if (a->ndim != c->ndim)
        return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->dims[i] != c->dims[i])
            return 0;
    return 1;
}

static void shape_str(const struct model_tensor *t, char *buf, size_t len)
{
    size_t n = 0;
    n += (size_t)snprintf(buf, len, "[");
    for (int i = 0; i < t->ndim && n < len; i++)
        n += (size_t)snprintf(buf + n, len - n, i ? ",%d" : "%d", t->dims[i]);
    if (n < len)
        snprintf(buf + n, len - n, "]");
}

/* Activation (non-constant) tensor with the given rank (0 = any). */
static int need_act(struct xnn_build *b, int t, int ndim, const char *what)
{
    const struct model_tensor *x = T(b, t);
    if (x->data)
        return op_bad(b, "%s (tensor %d) is a constant; only run-time tensors are supported there",
                      what, t);
    if (ndim && x->ndim != ndim)
        return op_bad(b, "%s (tensor %d) must be %d-d, has %d dims", what, t, ndim, x->ndim);
    return 0;
}

static int act_range(struct xnn_build *b, int act, float *lo, float *hi)
{
    switch (act) {
    case MODEL_ACT_NONE:
        *lo = -INFINITY;
        *hi = INFINITY;
        return 0;
    case MODEL_ACT_RELU:
        *lo = 0.0f;
        *hi = INFINITY;
        return 0;
    case MODEL_ACT_RELU_N1_TO_1:
        *lo = -1.0f;
        *hi = 1.0f;
        return 0;
    case MODEL_ACT_RELU6:
        *lo = 0.0f;
        *hi = 6.0f;
        return 0;
    default:
        return op_bad(b, "fused activation %d not supported", act);
    }
}

/* One spatial axis of a sliding window (conv, depthwise conv, pool). */
struct xnn_win {
    uint32_t out, before, after;
};

static int window(struct xnn_build *b, const char *axis, int in, int k, int s, int d, int same,
                  struct xnn_win *w)
{
    if (k < 1 || s < 1 || d < 1 || k > 4096 || s > 4096 || d > 4096)
        return op_bad(b, "%s: kernel %d, stride %d, dilation %d out of range", axis, k, s, d);
    int64_t ek = (int64_t)(k - 1) * d + 1;
    if (same) {
        int64_t out = ((int64_t)in + s - 1) / s;
        int64_t total = (out - 1) * s + ek - in;
        if (total < 0)
            total = 0;
        w->out = (uint32_t)out;
        w->before = (uint32_t)(total / 2);
        w->after = (uint32_t)(total - total / 2);
    } else {
        if (in < ek)
            return op_bad(b, "%s: VALID window %lld larger than input %d", axis, (long long)ek, in);
        w->out = (uint32_t)((in - ek) / s + 1);
        w->before = w->after = 0;
    }
    return 0;
}

/* XNNPACK value id of tensor t, defining it on first use. */
static int value(struct xnn_build *b, int t, uint32_t *id)
{
    struct xnn_tinfo *ti = &b->ti[t];
    if (ti->vid != XNN_INVALID_VALUE_ID) {
        *id = ti->vid;
        return 0;
    }
    const struct model_tensor *x = T(b, t);
    size_t dims[MODEL_MAX_DIMS];
    for (int i = 0; i < x->ndim; i++)
        dims[i] = (size_t)x->dims[i];
    enum xnn_status st = xnn_define_tensor_value(b->sg, xnn_datatype_fp32, (size_t)x->ndim, dims,
                                                 x->data, ti->ext_id, ti->flags, &ti->vid);
    if (st != xnn_status_success) {
        ti->vid = XNN_INVALID_VALUE_ID;
        return xnn_status_fail(b, "xnn_define_tensor_value", st);
    }
    *id = ti->vid;
    return 0;
}

/* Value ids of the op's first input and its output (the common case). */
static int io_values(struct xnn_build *b, const struct model_op *op, uint32_t *x, uint32_t *y)
{
    int rc = value(b, op->inputs[0], x);
    if (rc < 0)
        return rc;
    return value(b, op->output, y);
}

static int need_inputs(struct xnn_build *b, const struct model_op *op, int n)
{
    if (op->n_inputs != n)
        return op_bad(b, "expects %d input(s), has %d", n, op->n_inputs);
    return 0;
}

static int check_out_shape(struct xnn_build *b, const struct model_op *op, int ndim,
                           const int *want)
{
    const struct model_tensor *y = T(b, op->output);
    int ok = y->ndim == ndim;
    for (int i = 0; ok && i < ndim; i++)
        ok = y->dims[i] == want[i];
    if (!ok) {
        char have[64], exp[64];
        struct model_tensor e = { .ndim = ndim };
        memcpy(e.dims, want, (size_t)ndim * sizeof *want);
        shape_str(y, have, sizeof have);
        shape_str(&e, exp, sizeof exp);
        return op_bad(b, "output shape %s, expected %s", have, exp);
    }
    return 0;
}

/* ---- one definer per op kind ----------------------------------------------------------------- */

static int def_conv_like(struct xnn_build *b, const struct model_op *op, int depthwise)
{
    int rc = need_inputs(b, op, 3);
    if (rc < 0)
        return rc;
    const struct model_tensor *x = T(b, op->inputs[0]);
    const struct model_tensor *w = T(b, op->inputs[1]);
    const struct model_tensor *bias = T(b, op->inputs[2]);
    rc = need_act(b, op->inputs[0], 4, "input");
    if (rc < 0)
        return rc;
    if (!w->data || w->ndim != 4)
        return op_bad(b, "filter must be a 4-d constant");
    int cin = x->dims[3];
    int cout = depthwise ? w->dims[3] : w->dims[0];
    int kh = w->dims[1], kw = w->dims[2];
    if (depthwise && (w->dims[0] != 1 || w->dims[3] != cin))
        return op_bad(b, "filter [%d,%d,%d,%d] must be [1,KH,KW,%d] (depth multiplier 1)",
                      w->dims[0], w->dims[1], w->dims[2], w->dims[3], cin);
    if (!depthwise && w->dims[3] != cin)
        return op_bad(b, "filter has %d input channels, input has %d", w->dims[3], cin);
    if (!bias->data || bias->ndim != 1 || bias->dims[0] != cout)
        return op_bad(b, "bias must be a 1-d constant of %d values", cout);
    struct xnn_win wh, ww;
    rc = window(b, "height", x->dims[1], kh, op->opt.stride_h, op->opt.dilation_h,
                op->opt.same_padding, &wh);
    if (rc < 0)
        return rc;
    rc = window(b, "width", x->dims[2], kw, op->opt.stride_w, op->opt.dilation_w,
                op->opt.same_padding, &ww);
    if (rc < 0)
        return rc;
    int want[4] = { x->dims[0], (int)wh.out, (int)ww.out, cout };
    rc = check_out_shape(b, op, 4, want);
    if (rc < 0)
        return rc;
    float lo = -INFINITY, hi = INFINITY;
    rc = act_range(b, op->opt.act, &lo, &hi);
    if (rc < 0)
        return rc;
    uint32_t xi, wi, bi, yi;
    rc = io_values(b, op, &xi, &yi);
    if (rc < 0)
        return rc;
    rc = value(b, op->inputs[1], &wi);
    if (rc < 0)
        return rc;
    rc = value(b, op->inputs[2], &bi);
    if (rc < 0)
        return rc;
    enum xnn_status st;
    if (depthwise)
        st = xnn_define_depthwise_convolution_2d(
            b->sg, wh.before, ww.after, wh.after, ww.before, (uint32_t)kh, (uint32_t)kw,
            (uint32_t)op->opt.stride_h, (uint32_t)op->opt.stride_w, (uint32_t)op->opt.dilation_h,
            (uint32_t)op->opt.dilation_w, 1, (size_t)cin, lo, hi, xi, wi, bi, yi, 0);
    else
        st = xnn_define_convolution_2d(
            b->sg, wh.before, ww.after, wh.after, ww.before, (uint32_t)kh, (uint32_t)kw,
            (uint32_t)op->opt.stride_h, (uint32_t)op->opt.stride_w, (uint32_t)op->opt.dilation_h,
            (uint32_t)op->opt.dilation_w, 1, (size_t)cin, (size_t)cout, lo, hi, xi, wi, bi, yi, 0);
    if (st != xnn_status_success)
        return xnn_status_fail(b, depthwise ? "xnn_define_depthwise_convolution_2d"
                                            : "xnn_define_convolution_2d", st);
    return 0;
}

static int def_conv(struct xnn_build *b, const struct model_op *op)
{
    return def_conv_like(b, op, 0);
}

static int def_dwconv(struct xnn_build *b, const struct model_op *op)
{
    return def_conv_like(b, op, 1);
}

static int def_add(struct xnn_build *b, const struct model_op *op)
{
    int rc = need_inputs(b, op, 2);
    if (rc < 0)
        return rc;
    for (int i = 0; i < 2; i++) {
        rc = need_act(b, op->inputs[i], 0, i ? "second input" : "first input");
        if (rc < 0)
            return rc;
        if (!same_shape(T(b, op->inputs[i]), T(b, op->output)))
            return op_bad(b, "input %d shape differs from the output (broadcasting unsupported)", i);
    }
    float lo = -INFINITY, hi = INFINITY;
    rc = act_range(b, op->opt.act, &lo, &hi);
    if (rc < 0)
        return rc;
    uint32_t a, c, y;
    rc = io_values(b, op, &a, &y);
    if (rc < 0)
        return rc;
    rc = value(b, op->inputs[1], &c);
    if (rc < 0)
        return rc;
    enum xnn_status st = xnn_define_add2(b->sg, lo, hi, a, c, y, 0);
    return st == xnn_status_success ? 0 : xnn_status_fail(b, "xnn_define_add2", st);
}

static int def_maxpool(struct xnn_build *b, const struct model_op *op)
{
    int rc = need_inputs(b, op, 1);
    if (rc < 0)
        return rc;
    rc = need_act(b, op->inputs[0], 4, "input");
    if (rc < 0)
        return rc;
    const struct model_tensor *x = T(b, op->inputs[0]);
    int ph = op->opt.filter_h, pw = op->opt.filter_w;
    if (ph < 1 || pw < 1 || ph * pw < 2)
        return op_bad(b, "pool window %dx%d not supported (XNNPACK needs more than 1 element)", ph,
                      pw);
    struct xnn_win wh, ww;
    rc = window(b, "height", x->dims[1], ph, op->opt.stride_h, 1, op->opt.same_padding, &wh);
    if (rc < 0)
        return rc;
    rc = window(b, "width", x->dims[2], pw, op->opt.stride_w, 1, op->opt.same_padding, &ww);
    if (rc < 0)
        return rc;
    int want[4] = { x->dims[0], (int)wh.out, (int)ww.out, x->dims[3] };
    rc = check_out_shape(b, op, 4, want);
    if (rc < 0)
        return rc;
    float lo = -INFINITY, hi = INFINITY;
    rc = act_range(b, op->opt.act, &lo, &hi);
    if (rc < 0)
        return rc;
    uint32_t xi, yi;
    rc = io_values(b, op, &xi, &yi);
    if (rc < 0)
        return rc;
    /* SAME via XNNPACK's own TF flag: padded taps never win the max, as in TensorFlow. */
    uint32_t flags = op->opt.same_padding ? XNN_FLAG_TENSORFLOW_SAME_PADDING : 0;
    enum xnn_status st = xnn_define_max_pooling_2d(
        b->sg, 0, 0, 0, 0, (uint32_t)ph, (uint32_t)pw, (uint32_t)op->opt.stride_h,
        (uint32_t)op->opt.stride_w, 1, 1, lo, hi, xi, yi, flags);
    return st == xnn_status_success ? 0 : xnn_status_fail(b, "xnn_define_max_pooling_2d", st);
}

static int def_pad(struct xnn_build *b, const struct model_op *op)
{
    int rc = need_inputs(b, op, 1);
    if (rc < 0)
        return rc;
    rc = need_act(b, op->inputs[0], 0, "input");
    if (rc < 0)
        return rc;
    const struct model_tensor *x = T(b, op->inputs[0]);
    size_t pre[MODEL_MAX_DIMS], post[MODEL_MAX_DIMS];
    int want[MODEL_MAX_DIMS];
    for (int i = 0; i < x->ndim; i++) {
        int p0 = op->opt.pad[i][0], p1 = op->opt.pad[i][1];
        if (p0 < 0 || p1 < 0 || p0 > (1 << 20) || p1 > (1 << 20))
            return op_bad(b, "padding %d/%d of dim %d not supported", p0, p1, i);
        pre[i] = (size_t)p0;
        post[i] = (size_t)p1;
        want[i] = x->dims[i] + p0 + p1;
    }
    rc = check_out_shape(b, op, x->ndim, want);
    if (rc < 0)
        return rc;
    uint32_t xi, yi;
    rc = io_values(b, op, &xi, &yi);
    if (rc < 0)
        return rc;
    enum xnn_status st = xnn_define_static_constant_pad(b->sg, pre, post, 0.0f, xi, yi, 0);
    return st == xnn_status_success ? 0 : xnn_status_fail(b, "xnn_define_static_constant_pad", st);
}

static int def_resize(struct xnn_build *b, const struct model_op *op)
{
    int rc = need_inputs(b, op, 1);
    if (rc < 0)
        return rc;
    rc = need_act(b, op->inputs[0], 4, "input");
    if (rc < 0)
        return rc;
    const struct model_tensor *x = T(b, op->inputs[0]), *y = T(b, op->output);
    if (y->ndim != 4)
        return op_bad(b, "output must be 4-d");
    int want[4] = { x->dims[0], y->dims[1], y->dims[2], x->dims[3] };
    rc = check_out_shape(b, op, 4, want);
    if (rc < 0)
        return rc;
    uint32_t flags;
    if (op->opt.align_corners && op->opt.half_pixel_centers)
        return op_bad(b, "align_corners together with half_pixel_centers is not defined");
    else if (op->opt.align_corners)
        flags = XNN_FLAG_ALIGN_CORNERS;
    else if (op->opt.half_pixel_centers)
        flags = 0; /* XNNPACK's default is half-pixel centres */
    else
        flags = XNN_FLAG_TENSORFLOW_LEGACY_MODE;
    uint32_t xi, yi;
    rc = io_values(b, op, &xi, &yi);
    if (rc < 0)
        return rc;
    enum xnn_status st = xnn_define_static_resize_bilinear_2d(b->sg, (size_t)y->dims[1],
                                                              (size_t)y->dims[2], xi, yi, flags);
    return st == xnn_status_success ? 0
                                    : xnn_status_fail(b, "xnn_define_static_resize_bilinear_2d", st);
}

static int def_depth_to_space(struct xnn_build *b, const struct model_op *op)
{
    int rc = need_inputs(b, op, 1);
    if (rc < 0)
        return rc;
    rc = need_act(b, op->inputs[0], 4, "input");
    if (rc < 0)
        return rc;
    const struct model_tensor *x = T(b, op->inputs[0]);
    int bs = op->opt.block;
    if (bs < 2 || bs > 64 || x->dims[3] % (bs * bs) != 0)
        return op_bad(b, "block size %d with %d channels not supported", bs, x->dims[3]);
    int want[4] = { x->dims[0], x->dims[1] * bs, x->dims[2] * bs, x->dims[3] / (bs * bs) };
    rc = check_out_shape(b, op, 4, want);
    if (rc < 0)
        return rc;
    uint32_t xi, yi;
    rc = io_values(b, op, &xi, &yi);
    if (rc < 0)
        return rc;
    enum xnn_status st = xnn_define_depth_to_space(b->sg, xi, yi, (uint32_t)bs, 0);
    return st == xnn_status_success ? 0 : xnn_status_fail(b, "xnn_define_depth_to_space", st);
}

static int def_reshape(struct xnn_build *b, const struct model_op *op)
{
    /* TFLite RESHAPE may carry the shape as a second (constant) input; the output tensor's
     * shape is authoritative, so only the first input is used. */
    if (op->n_inputs < 1 || op->n_inputs > 2)
        return op_bad(b, "expects 1 or 2 inputs, has %d", op->n_inputs);
    int rc = need_act(b, op->inputs[0], 0, "input");
    if (rc < 0)
        return rc;
    const struct model_tensor *x = T(b, op->inputs[0]), *y = T(b, op->output);
    if (x->count != y->count)
        return op_bad(b, "reshape of %zu elements into %zu", x->count, y->count);
    size_t dims[MODEL_MAX_DIMS];
    for (int i = 0; i < y->ndim; i++)
        dims[i] = (size_t)y->dims[i];
    uint32_t xi, yi;
    rc = io_values(b, op, &xi, &yi);
    if (rc < 0)
        return rc;
    enum xnn_status st = xnn_define_static_reshape(b->sg, (size_t)y->ndim, dims, xi, yi, 0);
    return st == xnn_status_success ? 0 : xnn_status_fail(b, "xnn_define_static_reshape", st);
}

static int def_logistic(struct xnn_build *b, const struct model_op *op)
{
    int rc = need_inputs(b, op, 1);
    if (rc < 0)
        return rc;
    rc = need_act(b, op->inputs[0], 0, "input");
    if (rc < 0)
        return rc;
    if (!same_shape(T(b, op->inputs[0]), T(b, op->output)))
        return op_bad(b, "output shape differs from the input");
    uint32_t xi, yi;
    rc = io_values(b, op, &xi, &yi);
    if (rc < 0)
        return rc;
    enum xnn_status st = xnn_define_sigmoid(b->sg, xi, yi, 0);
    return st == xnn_status_success ? 0 : xnn_status_fail(b, "xnn_define_sigmoid", st);
}

/* CONCATENATION has no node: its inputs were made external outputs (see plan_concat). */
static int def_concat(struct xnn_build *b, const struct model_op *op)
{
    (void)b;
    (void)op;
    return 0;
}

static int (*const xnn_definers[MODEL_OP__COUNT])(struct xnn_build *, const struct model_op *) = {
    [MODEL_OP_CONV2D] = def_conv,
    [MODEL_OP_DWCONV2D] = def_dwconv,
    [MODEL_OP_ADD] = def_add,
    [MODEL_OP_MAXPOOL2D] = def_maxpool,
    [MODEL_OP_PAD] = def_pad,
    [MODEL_OP_RESIZE_BILINEAR] = def_resize,
    [MODEL_OP_DEPTH_TO_SPACE] = def_depth_to_space,
    [MODEL_OP_RESHAPE] = def_reshape,
    [MODEL_OP_LOGISTIC] = def_logistic,
    [MODEL_OP_CONCAT] = def_concat,
};

/* ---- model-level checks and planning ---------------------------------------------------------- */

/* Indices, ranks, counts and topological order; fills producer/consumer/io facts. */
static int check_graph(struct xnn_build *b)
{
    const struct model *m = b->m;
    char *msg = b->msg;
    size_t len = b->msg_len;
    if (m->n_tensors < 1 || m->n_tensors > MODEL_MAX_TENSORS || !m->tensors || m->n_ops < 0 ||
        m->n_ops > MODEL_MAX_OPS || (m->n_ops && !m->ops) || m->n_inputs < 1 ||
        m->n_outputs < 1 || m->n_inputs > m->n_tensors || m->n_outputs > m->n_tensors ||
        !m->inputs || !m->outputs)
        return xnn__fail(msg, len, RR_ERR_INVAL, "xnnpack: malformed model header");
    for (int t = 0; t < m->n_tensors; t++) {
        const struct model_tensor *x = &m->tensors[t];
        if (x->ndim < 1 || x->ndim > MODEL_MAX_DIMS)
            return xnn__fail(msg, len, RR_ERR_UNSUPPORTED, "xnnpack: tensor %d has %d dims", t,
                             x->ndim);
        size_t count = 1;
        for (int i = 0; i < x->ndim; i++) {
            if (x->dims[i] < 1 || (size_t)x->dims[i] > MODEL_MAX_TENSOR_ELEMS / count)
                return xnn__fail(msg, len, RR_ERR_UNSUPPORTED,
                                 "xnnpack: tensor %d: dim %d = %d out of range", t, i, x->dims[i]);
            count *= (size_t)x->dims[i];
        }
        if (count != x->count)
            return xnn__fail(msg, len, RR_ERR_INVAL,
                             "xnnpack: tensor %d: count %zu does not match its dims", t, x->count);
        b->ti[t] = (struct xnn_tinfo){ .producer = -1, .model_input = -1, .model_output = -1,
                                       .concat_op = -1, .ext_id = XNN_INVALID_VALUE_ID,
                                       .vid = XNN_INVALID_VALUE_ID };
    }
    for (int i = 0; i < m->n_inputs; i++) {
        int t = m->inputs[i];
        if (t < 0 || t >= m->n_tensors || b->ti[t].model_input >= 0 || m->tensors[t].data)
            return xnn__fail(msg, len, RR_ERR_UNSUPPORTED,
                             "xnnpack: subgraph input %d (tensor %d) is invalid, repeated or constant",
                             i, t);
        b->ti[t].model_input = i;
    }
    for (int i = 0; i < m->n_outputs; i++) {
        int t = m->outputs[i];
        if (t < 0 || t >= m->n_tensors || b->ti[t].model_output >= 0 || m->tensors[t].data ||
            b->ti[t].model_input >= 0)
            return xnn__fail(msg, len, RR_ERR_UNSUPPORTED,
                             "xnnpack: subgraph output %d (tensor %d) is invalid, repeated, "
                             "constant or an input",
                             i, t);
        b->ti[t].model_output = i;
    }
    for (int k = 0; k < m->n_ops; k++) {
        const struct model_op *op = &m->ops[k];
        b->op = k;
        if ((unsigned)op->kind >= MODEL_OP__COUNT)
            return xnn__fail(msg, len, RR_ERR_UNSUPPORTED, "xnnpack: op %d has unknown kind %d", k,
                             (int)op->kind);
        if (op->n_inputs < 1 || op->n_inputs > MODEL_MAX_OP_INPUTS)
            return op_bad(b, "%d inputs", op->n_inputs);
        for (int j = 0; j < op->n_inputs; j++) {
            int t = op->inputs[j];
            if (t < 0 || t >= m->n_tensors)
                return op_bad(b, "input %d: tensor index %d out of range", j, t);
            if (!m->tensors[t].data && b->ti[t].model_input < 0 && b->ti[t].producer < 0)
                return op_bad(b, "input %d: tensor %d is read before it is written", j, t);
            b->ti[t].consumers++;
        }
        int o = op->output;
        if (o < 0 || o >= m->n_tensors)
            return op_bad(b, "output tensor index %d out of range", o);
        if (m->tensors[o].data || b->ti[o].model_input >= 0 || b->ti[o].producer >= 0)
            return op_bad(b, "output tensor %d is a constant, an input or written twice", o);
        b->ti[o].producer = k;
    }
    for (int i = 0; i < m->n_outputs; i++)
        if (b->ti[m->outputs[i]].producer < 0)
            return xnn__fail(msg, len, RR_ERR_UNSUPPORTED,
                             "xnnpack: subgraph output %d is never written", i);
    return 0;
}

/* Checks a CONCAT op's shapes and the conditions for aliasing its inputs into its output. */
static int check_concat(struct xnn_build *b, int k)
{
    const struct model_op *op = &b->m->ops[k];
    const struct model_tensor *y = T(b, op->output);
    b->op = k;
    if (b->ti[op->output].model_output < 0 || b->ti[op->output].consumers > 0)
        return op_bad(b, "output must be a subgraph output that no op reads (no concat node)");
    int axis = op->opt.axis;
    if (axis < 0 || axis >= y->ndim)
        return op_bad(b, "axis %d out of range", axis);
    int64_t along = 0;
    for (int j = 0; j < op->n_inputs; j++) {
        int t = op->inputs[j];
        const struct model_tensor *x = T(b, t);
        struct xnn_tinfo *ti = &b->ti[t];
        if (x->data || ti->model_input >= 0 || ti->model_output >= 0)
            return op_bad(b, "input %d (tensor %d) must be an intermediate tensor", j, t);
        if (ti->concat_op >= 0)
            return op_bad(b, "input %d (tensor %d) already feeds a concatenation", j, t);
        /* (a concat input cannot be another concat's result: those have no readers) */
        if (x->ndim != y->ndim)
            return op_bad(b, "input %d rank %d differs from output rank %d", j, x->ndim, y->ndim);
        for (int i = 0; i < y->ndim; i++)
            if (i != axis && x->dims[i] != y->dims[i])
                return op_bad(b, "input %d dim %d is %d, output has %d", j, i, x->dims[i],
                              y->dims[i]);
        along += x->dims[axis];
        ti->concat_op = k;
    }
    if (along != y->dims[axis])
        return op_bad(b, "inputs add up to %lld along axis %d, output has %d", (long long)along,
                      axis, y->dims[axis]);
    return 0;
}

static void *buf_new(struct xnn_state *s, size_t floats)
{
    void *p = NULL;
    size_t bytes = floats * sizeof(float) + XNN_EXTRA_BYTES;
    if (posix_memalign(&p, XNN_BUF_ALIGN, bytes) != 0)
        return NULL;
    memset(p, 0, bytes);
    s->bufs[s->n_bufs++] = p;
    return p;
}

/* External ids and buffers: inputs, outputs, then concat inputs (aliased or with a copy). */
static int plan_externals(struct xnn_build *b, struct xnn_state *s, uint32_t *n_ext)
{
    const struct model *m = b->m;
    uint32_t next = 0;
    for (int i = 0; i < m->n_inputs; i++) {
        struct xnn_tinfo *ti = &b->ti[m->inputs[i]];
        ti->ext_id = next++;
        ti->flags = XNN_VALUE_FLAG_EXTERNAL_INPUT;
        ti->ext_data = buf_new(s, model_input(m, i)->count);
        if (!ti->ext_data)
            return RR_ERR_NOMEM;
        s->inputs[i] = ti->ext_data;
    }
    for (int i = 0; i < m->n_outputs; i++) {
        int t = m->outputs[i];
        struct xnn_tinfo *ti = &b->ti[t];
        if (!b->live[ti->producer])
            continue; /* left out: s->outputs[i] stays NULL */
        s->outputs[i] = buf_new(s, model_output(m, i)->count);
        if (!s->outputs[i])
            return RR_ERR_NOMEM;
        if (m->ops[ti->producer].kind == MODEL_OP_CONCAT)
            continue; /* not an XNNPACK value: its inputs write into the buffer */
        ti->ext_id = next++;
        ti->flags = XNN_VALUE_FLAG_EXTERNAL_OUTPUT;
        ti->ext_data = s->outputs[i];
    }
    for (int k = 0; k < m->n_ops; k++) {
        const struct model_op *op = &m->ops[k];
        if (op->kind != MODEL_OP_CONCAT || !b->live[k])
            continue;
        const struct model_tensor *y = T(b, op->output);
        float *out = s->outputs[b->ti[op->output].model_output];
        int axis = op->opt.axis;
        size_t rows = 1, inner_out = 1;
        for (int i = 0; i < axis; i++)
            rows *= (size_t)y->dims[i];
        for (int i = axis; i < y->ndim; i++)
            inner_out *= (size_t)y->dims[i];
        size_t off = 0;
        for (int j = 0; j < op->n_inputs; j++) {
            int t = op->inputs[j];
            struct xnn_tinfo *ti = &b->ti[t];
            size_t inner_in = T(b, t)->count / rows;
            ti->ext_id = next++;
            ti->flags = XNN_VALUE_FLAG_EXTERNAL_OUTPUT;
            if (rows == 1) {
                ti->ext_data = out + off; /* zero copy: XNNPACK writes into place */
            } else {
                ti->ext_data = buf_new(s, T(b, t)->count);
                if (!ti->ext_data)
                    return RR_ERR_NOMEM;
                s->copies[s->n_copies++] = (struct xnn_copy){
                    .src = ti->ext_data, .dst = out + off, .rows = rows,
                    .row_floats = inner_in, .dst_stride = inner_out };
            }
            off += inner_in;
        }
    }
    *n_ext = next;
    return 0;
}

/* ---- vtable -------------------------------------------------------------------------------- */

static void xnn_destroy(void *state)
{
    struct xnn_state *s = state;
    if (!s)
        return;
    if (s->runtime)
        xnn_delete_runtime(s->runtime);
    if (s->pool)
        pthreadpool_destroy(s->pool);
    for (int i = 0; i < s->n_bufs; i++)
        free(s->bufs[i]);
    free(s->bufs);
    free(s->copies);
    free(s->inputs);
    free(s->outputs);
    free(s);
}

static int xnn_create(const struct model *m, int threads, const unsigned char *live, void **state,
                      char *msg, size_t msg_len)
{
    struct xnn_build b = { .m = m, .live = live, .msg = msg, .msg_len = msg_len, .op = -1 };
    struct xnn_state *s = NULL;
    struct xnn_external_value *ext = NULL;
    uint32_t n_ext = 0;
    int rc;

    if (!m || !live || !state || threads < 1)
        return RR_ERR_INVAL;
    if (threads > XNN_MAX_THREADS)
        threads = XNN_MAX_THREADS;
    pthread_once(&xnn_once, xnn_init_once);
    if (xnn_init_status != xnn_status_success)
        return xnn__fail(msg, msg_len,
                         xnn_init_status == xnn_status_unsupported_hardware ? RR_ERR_UNSUPPORTED
                                                                            : RR_ERR_BACKEND,
                         "xnnpack: xnn_initialize failed with status %d", (int)xnn_init_status);
    if (m->n_tensors < 1 || m->n_tensors > MODEL_MAX_TENSORS)
        return xnn__fail(msg, msg_len, RR_ERR_INVAL, "xnnpack: %d tensors", m->n_tensors);

    b.ti = calloc((size_t)m->n_tensors, sizeof *b.ti);
    s = calloc(1, sizeof *s);
    if (!b.ti || !s) {
        rc = RR_ERR_NOMEM;
        goto out;
    }
    rc = check_graph(&b);
    if (rc < 0)
        goto out;
    int n_concat_inputs = 0;
    for (int k = 0; k < m->n_ops; k++) {
        if (m->ops[k].kind != MODEL_OP_CONCAT || !live[k])
            continue;
        rc = check_concat(&b, k);
        if (rc < 0)
            goto out;
        n_concat_inputs += m->ops[k].n_inputs;
    }

    s->n_inputs = m->n_inputs;
    s->n_outputs = m->n_outputs;
    s->inputs = calloc((size_t)m->n_inputs, sizeof *s->inputs);
    s->outputs = calloc((size_t)m->n_outputs, sizeof *s->outputs);
    s->bufs = calloc((size_t)(m->n_inputs + m->n_outputs + n_concat_inputs), sizeof *s->bufs);
    s->copies = calloc((size_t)n_concat_inputs + 1, sizeof *s->copies);
    if (!s->inputs || !s->outputs || !s->bufs || !s->copies) {
        rc = RR_ERR_NOMEM;
        goto out;
    }
    rc = plan_externals(&b, s, &n_ext);
    if (rc < 0)
        goto out;

    enum xnn_status st = xnn_create_subgraph(n_ext, 0, &b.sg);
    if (st != xnn_status_success) {
        rc = xnn_status_fail(&b, "xnn_create_subgraph", st);
        goto out;
    }
    /* Define every subgraph input up front so the external id set is complete. */
    for (int i = 0; i < m->n_inputs; i++) {
        uint32_t id;
        rc = value(&b, m->inputs[i], &id);
        if (rc < 0)
            goto out;
    }
    for (int k = 0; k < m->n_ops; k++) {
        if (!live[k])
            continue; /* feeds no kept output */
        b.op = k;
        rc = xnn_definers[m->ops[k].kind](&b, &m->ops[k]);
        if (rc < 0)
            goto out;
    }
    b.op = -1;

    if (threads > 1) {
        s->pool = pthreadpool_create((size_t)threads);
        if (!s->pool) {
            rc = xnn__fail(msg, msg_len, RR_ERR_BACKEND, "xnnpack: cannot create %d threads",
                           threads);
            goto out;
        }
    }
    st = xnn_create_runtime_v2(b.sg, s->pool, XNN_FLAG_YIELD_WORKERS, &s->runtime);
    if (st != xnn_status_success) {
        rc = xnn_status_fail(&b, "xnn_create_runtime_v2", st);
        goto out;
    }

    ext = calloc(n_ext, sizeof *ext);
    if (!ext) {
        rc = RR_ERR_NOMEM;
        goto out;
    }
    uint32_t n = 0;
    for (int t = 0; t < m->n_tensors; t++) {
        if (b.ti[t].ext_id == XNN_INVALID_VALUE_ID)
            continue;
        ext[n++] = (struct xnn_external_value){ .id = b.ti[t].ext_id, .data = b.ti[t].ext_data };
    }
    st = xnn_setup_runtime(s->runtime, n, ext);
    if (st != xnn_status_success) {
        rc = xnn_status_fail(&b, "xnn_setup_runtime", st);
        goto out;
    }
    *state = s;
    s = NULL;
    rc = 0;
out:
    if (b.sg)
        xnn_delete_subgraph(b.sg);
    free(ext);
    free(b.ti);
    xnn_destroy(s);
    if (rc == RR_ERR_NOMEM)
        xnn__fail(msg, msg_len, rc, "xnnpack: out of memory");
    return rc;
}

static float *xnn_input(void *state, int i)
{
    struct xnn_state *s = state;
    return i >= 0 && i < s->n_inputs ? s->inputs[i] : NULL;
}

static const float *xnn_output(void *state, int i)
{
    struct xnn_state *s = state;
    return i >= 0 && i < s->n_outputs ? s->outputs[i] : NULL;
}

static void xnn_noop_task(void *ctx, size_t i)
{
    (void)ctx;
    (void)i;
}

static int xnn_run(void *state)
{
    struct xnn_state *s = state;
    if (xnn_invoke_runtime(s->runtime) != xnn_status_success)
        return RR_ERR_BACKEND;
    /* Put the workers to sleep now. Without this they spin (up to 10^6 pause loops) waiting for
     * the next command while this thread crops, post-processes and the decoder needs the core:
     * XNN_FLAG_YIELD_WORKERS alone does not reach the pool in this XNNPACK. */
    if (s->pool)
        pthreadpool_parallelize_1d(s->pool, xnn_noop_task, NULL,
                                   pthreadpool_get_threads_count(s->pool),
                                   PTHREADPOOL_FLAG_YIELD_WORKERS);
    for (int c = 0; c < s->n_copies; c++) {
        const struct xnn_copy *cp = &s->copies[c];
        for (size_t r = 0; r < cp->rows; r++)
            memcpy(cp->dst + r * cp->dst_stride, cp->src + r * cp->row_floats,
                   cp->row_floats * sizeof(float));
    }
    return 0;
}

const struct net_ops net__xnn_ops = {
    .create = xnn_create,
    .input = xnn_input,
    .output = xnn_output,
    .run = xnn_run,
    .destroy = xnn_destroy,
};
