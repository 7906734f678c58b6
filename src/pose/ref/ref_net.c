/*
 * ref_net.c - the reference backend (net__ref_ops): validates a model's graph, plans its memory
 * once and runs the plain-C kernels of ref_conv.c / ref_ops.c op by op.
 *
 * DESIGN
 * create() checks every op against TFLite's shape rules before anything runs, so a kernel never
 * sees a shape it could read or write out of bounds with; a refused graph gives
 * RR_ERR_INVAL (inconsistent shapes, bad indices, graph order) or RR_ERR_UNSUPPORTED (valid
 * TFLite this backend does not run, e.g. a non-constant filter) and a message naming the op.
 * Memory: every activation tensor gets a slice of one arena. Slices are assigned like TFLite's
 * arena planner: a tensor lives from the op that writes it to the last op that reads it (model
 * inputs and outputs for the whole run), and tensors are placed largest first at the lowest
 * offset that does not collide with a tensor whose lifetime overlaps. RESHAPE outputs alias their
 * input's slice (same bytes, new shape), so a reshape costs nothing at run time. Lifetimes are
 * inclusive, so an op's output never shares memory with its inputs. Conv filters are repacked
 * once into the layout ref_conv2d reads. After create(), run() only calls kernels.
 */
#include "pose/ref/ref.h"
#include "base/rr_error.h"
#include "pose/model.h"
#include "pose/net.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REF_ALIGN 64 /* bytes; every arena slice starts on a cache line */

struct ref_step {
    enum model_op_kind kind;
    int n_in;
    const float *in[MODEL_MAX_OP_INPUTS];
    float *out;
    struct ref_dims xd, yd;
    struct ref_window win;
    int act;
    const float *w, *bias;
    size_t count;                       /* ADD, LOGISTIC */
    size_t outer;                       /* CONCAT */
    size_t inner[MODEL_MAX_OP_INPUTS];  /* CONCAT */
    int pin[4], pad[4][2];              /* PAD, right-aligned to 4-D */
    int block;                          /* DEPTH_TO_SPACE */
    int align_corners, half_pixel;      /* RESIZE_BILINEAR */
    size_t packed_off;                  /* CONV2D: offset of its packed filter in the pool */
};

struct ref_net {
    const struct model *m;
    struct ref_step *steps;
    unsigned char *live; /* per op: feeds a kept output (else never run) */
    float **tptr;   /* per tensor: constant data, arena slice, or NULL (unused) */
    float *arena;
    float *packed;  /* repacked conv filters */
};

/* Per-tensor planning record, only used inside create(). */
struct ref_buf {
    int tensor;
    int first, last; /* op indices, inclusive; -1 = before the first op */
    size_t bytes;
    size_t offset;
};

static int fail(char *msg, size_t len, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(char *msg, size_t len, int rc, const char *fmt, ...)
{
    if (msg && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, len, fmt, ap);
        va_end(ap);
    }
    return rc;
}

/* Right-align a tensor of rank 1..4 into NHWC. */
static struct ref_dims dims4(const struct model_tensor *t)
{
    int d[4] = {1, 1, 1, 1};
    for (int k = 0; k < t->ndim; k++)
        d[4 - t->ndim + k] = t->dims[k];
    return (struct ref_dims){d[0], d[1], d[2], d[3]};
}

static int dims_eq(struct ref_dims a, struct ref_dims b)
{
    return a.n == b.n && a.h == b.h && a.w == b.w && a.c == b.c;
}

/* Shape sanity of a tensor some op or the subgraph refers to. */
static int check_tensor(const struct model *m, int t, char *msg, size_t len)
{
    const struct model_tensor *mt = &m->tensors[t];
    if (mt->ndim < 1 || mt->ndim > MODEL_MAX_DIMS)
        return fail(msg, len, RR_ERR_UNSUPPORTED, "tensor %d: rank %d not in 1..4", t, mt->ndim);
    size_t count = 1;
    for (int k = 0; k < mt->ndim; k++) {
        if (mt->dims[k] < 1)
            return fail(msg, len, RR_ERR_INVAL, "tensor %d: dimension %d is %d", t, k,
                        mt->dims[k]);
        if ((size_t)mt->dims[k] > MODEL_MAX_TENSOR_ELEMS / count)
            return fail(msg, len, RR_ERR_TOOBIG, "tensor %d: more than %zu elements", t,
                        (size_t)MODEL_MAX_TENSOR_ELEMS);
        count *= (size_t)mt->dims[k];
    }
    if (count != mt->count)
        return fail(msg, len, RR_ERR_INVAL, "tensor %d: count %zu != product of dims %zu", t,
                    mt->count, count);
    return 0;
}

/* Number of inputs an op reads as data; further inputs (e.g. int32 shape or paddings tensors
 * a loader kept) are ignored. */
static int data_inputs(const struct model_op *op)
{
    switch (op->kind) {
    case MODEL_OP_CONV2D:
    case MODEL_OP_DWCONV2D:
        return op->n_inputs >= 3 && op->inputs[2] >= 0 ? 3 : 2;
    case MODEL_OP_ADD:
        return 2;
    case MODEL_OP_CONCAT:
        return op->n_inputs;
    default:
        return 1;
    }
}

static const char *op_name(enum model_op_kind k)
{
    static const char *const names[MODEL_OP__COUNT] = {
        [MODEL_OP_CONV2D] = "CONV_2D",
        [MODEL_OP_DWCONV2D] = "DEPTHWISE_CONV_2D",
        [MODEL_OP_ADD] = "ADD",
        [MODEL_OP_MAXPOOL2D] = "MAX_POOL_2D",
        [MODEL_OP_PAD] = "PAD",
        [MODEL_OP_RESIZE_BILINEAR] = "RESIZE_BILINEAR",
        [MODEL_OP_DEPTH_TO_SPACE] = "DEPTH_TO_SPACE",
        [MODEL_OP_RESHAPE] = "RESHAPE",
        [MODEL_OP_LOGISTIC] = "LOGISTIC",
        [MODEL_OP_CONCAT] = "CONCATENATION",
    };
    return (unsigned)k < MODEL_OP__COUNT ? names[k] : "?";
}

/* Window geometry of conv / depthwise / pool along both axes; checks it yields `yd`. */
static int plan_window(const struct model_op *op, int i, struct ref_dims xd, struct ref_dims yd,
                       int kh, int kw, int dil_h, int dil_w, struct ref_window *win, char *msg,
                       size_t len)
{
    const struct model_op_opt *o = &op->opt;
    int oh = 0, ow = 0;
    int rc = ref_window_size(xd.h, kh, o->stride_h, dil_h, o->same_padding, &oh, &win->pad_top,
                             NULL);
    if (rc == 0)
        rc = ref_window_size(xd.w, kw, o->stride_w, dil_w, o->same_padding, &ow, &win->pad_left,
                             NULL);
    if (rc < 0)
        return fail(msg, len, rc,
                    "op %d (%s): window %dx%d stride %dx%d dilation %dx%d does not fit input "
                    "%dx%d",
                    i, op_name(op->kind), kh, kw, o->stride_h, o->stride_w, dil_h, dil_w, xd.h,
                    xd.w);
    if (oh != yd.h || ow != yd.w || xd.n != yd.n)
        return fail(msg, len, RR_ERR_INVAL, "op %d (%s): output %dx%dx%d, expected %dx%dx%d", i,
                    op_name(op->kind), yd.n, yd.h, yd.w, xd.n, oh, ow);
    win->kh = kh;
    win->kw = kw;
    win->stride_h = o->stride_h;
    win->stride_w = o->stride_w;
    win->dilation_h = dil_h;
    win->dilation_w = dil_w;
    return 0;
}

static int check_act(const struct model_op *op, int i, char *msg, size_t len)
{
    if (op->opt.act < MODEL_ACT_NONE || op->opt.act > MODEL_ACT_RELU6)
        return fail(msg, len, RR_ERR_UNSUPPORTED, "op %d (%s): fused activation %d", i,
                    op_name(op->kind), op->opt.act);
    return 0;
}

static int plan_conv(const struct model *m, const struct model_op *op, int i, struct ref_step *s,
                     size_t *packed_total, char *msg, size_t len)
{
    const int dw = op->kind == MODEL_OP_DWCONV2D;
    const struct model_tensor *f = &m->tensors[op->inputs[1]];
    const struct model_tensor *b = s->n_in == 3 ? &m->tensors[op->inputs[2]] : NULL;
    if (!f->data || (b && !b->data))
        return fail(msg, len, RR_ERR_UNSUPPORTED, "op %d (%s): filter and bias must be constant",
                    i, op_name(op->kind));
    if (f->ndim != 4)
        return fail(msg, len, RR_ERR_INVAL, "op %d (%s): filter has rank %d, expected 4", i,
                    op_name(op->kind), f->ndim);
    const int fo = f->dims[0], kh = f->dims[1], kw = f->dims[2], fi = f->dims[3];
    if (dw) {
        if (fo != 1 || fi != s->yd.c || s->yd.c % s->xd.c != 0)
            return fail(msg, len, RR_ERR_INVAL,
                        "op %d (%s): filter [%d,%d,%d,%d] does not map %d to %d channels", i,
                        op_name(op->kind), fo, kh, kw, fi, s->xd.c, s->yd.c);
    } else if (fi != s->xd.c || fo != s->yd.c) {
        return fail(msg, len, RR_ERR_INVAL,
                    "op %d (%s): filter [%d,%d,%d,%d] does not map %d to %d channels", i,
                    op_name(op->kind), fo, kh, kw, fi, s->xd.c, s->yd.c);
    }
    if (b && b->count != (size_t)s->yd.c)
        return fail(msg, len, RR_ERR_INVAL, "op %d (%s): bias has %zu values, expected %d", i,
                    op_name(op->kind), b->count, s->yd.c);
    const int dh = op->opt.dilation_h ? op->opt.dilation_h : 1;
    const int dwl = op->opt.dilation_w ? op->opt.dilation_w : 1;
    int rc = plan_window(op, i, s->xd, s->yd, kh, kw, dh, dwl, &s->win, msg, len);
    if (rc < 0)
        return rc;
    s->w = f->data;
    s->bias = b ? b->data : NULL;
    if (!dw) {
        size_t n = 0;
        rc = ref_conv2d_packed_size(fo, kh, kw, fi, &n);
        if (rc < 0 || n > SIZE_MAX / sizeof(float) - *packed_total)
            return fail(msg, len, RR_ERR_TOOBIG, "op %d (%s): filter too large", i,
                        op_name(op->kind));
        s->packed_off = *packed_total;
        *packed_total += n;
    }
    return 0;
}

static int plan_pad(const struct model *m, const struct model_op *op, int i, struct ref_step *s,
                    char *msg, size_t len)
{
    const struct model_tensor *x = &m->tensors[op->inputs[0]];
    const struct model_tensor *y = &m->tensors[op->output];
    if (x->ndim != y->ndim)
        return fail(msg, len, RR_ERR_INVAL, "op %d (PAD): input rank %d, output rank %d", i,
                    x->ndim, y->ndim);
    const int shift = 4 - x->ndim;
    for (int d = 0; d < 4; d++) {
        s->pin[d] = 1;
        s->pad[d][0] = s->pad[d][1] = 0;
    }
    for (int d = 0; d < 4; d++) {
        const int *p = op->opt.pad[d];
        if (p[0] < 0 || p[1] < 0 || (d >= x->ndim && (p[0] || p[1])))
            return fail(msg, len, RR_ERR_INVAL, "op %d (PAD): bad padding [%d,%d] for dim %d", i,
                        p[0], p[1], d);
        if (d >= x->ndim)
            continue;
        const int64_t want = (int64_t)x->dims[d] + p[0] + p[1];
        if (want != y->dims[d])
            return fail(msg, len, RR_ERR_INVAL,
                        "op %d (PAD): dim %d is %d + %d + %d but output has %d", i, d,
                        x->dims[d], p[0], p[1], y->dims[d]);
        s->pin[d + shift] = x->dims[d];
        s->pad[d + shift][0] = p[0];
        s->pad[d + shift][1] = p[1];
    }
    return 0;
}

static int plan_concat(const struct model *m, const struct model_op *op, int i,
                       struct ref_step *s, char *msg, size_t len)
{
    const struct model_tensor *y = &m->tensors[op->output];
    int axis = op->opt.axis < 0 ? op->opt.axis + y->ndim : op->opt.axis;
    if (axis < 0 || axis >= y->ndim)
        return fail(msg, len, RR_ERR_INVAL, "op %d (CONCATENATION): axis %d for rank %d", i,
                    op->opt.axis, y->ndim);
    size_t outer = 1, after = 1;
    for (int d = 0; d < axis; d++)
        outer *= (size_t)y->dims[d];
    for (int d = axis + 1; d < y->ndim; d++)
        after *= (size_t)y->dims[d];
    int64_t sum = 0;
    for (int k = 0; k < s->n_in; k++) {
        const struct model_tensor *x = &m->tensors[op->inputs[k]];
        if (x->ndim != y->ndim)
            return fail(msg, len, RR_ERR_INVAL,
                        "op %d (CONCATENATION): input %d has rank %d, output %d", i, k, x->ndim,
                        y->ndim);
        for (int d = 0; d < y->ndim; d++)
            if (d != axis && x->dims[d] != y->dims[d])
                return fail(msg, len, RR_ERR_INVAL,
                            "op %d (CONCATENATION): input %d dim %d is %d, output %d", i, k, d,
                            x->dims[d], y->dims[d]);
        sum += x->dims[axis];
        s->inner[k] = (size_t)x->dims[axis] * after;
    }
    if (sum != y->dims[axis])
        return fail(msg, len, RR_ERR_INVAL,
                    "op %d (CONCATENATION): inputs sum to %lld along axis %d, output has %d", i,
                    (long long)sum, axis, y->dims[axis]);
    s->outer = outer;
    return 0;
}

/* Shape rules of one op; fills the step's geometry (pointers come later). */
static int plan_op(const struct model *m, int i, struct ref_step *s, size_t *packed_total,
                   char *msg, size_t len)
{
    const struct model_op *op = &m->ops[i];
    const struct model_tensor *x = &m->tensors[op->inputs[0]];
    const struct model_tensor *y = &m->tensors[op->output];
    s->kind = op->kind;
    s->xd = dims4(x);
    s->yd = dims4(y);
    s->act = op->opt.act;
    int rc = 0;
    switch (op->kind) {
    case MODEL_OP_CONV2D:
    case MODEL_OP_DWCONV2D:
        rc = check_act(op, i, msg, len);
        if (rc == 0)
            rc = plan_conv(m, op, i, s, packed_total, msg, len);
        break;
    case MODEL_OP_MAXPOOL2D:
        rc = check_act(op, i, msg, len);
        if (rc == 0 && s->xd.c != s->yd.c)
            rc = fail(msg, len, RR_ERR_INVAL, "op %d (MAX_POOL_2D): %d channels in, %d out", i,
                      s->xd.c, s->yd.c);
        if (rc == 0)
            rc = plan_window(op, i, s->xd, s->yd, op->opt.filter_h, op->opt.filter_w, 1, 1,
                             &s->win, msg, len);
        break;
    case MODEL_OP_ADD: {
        const struct model_tensor *b = &m->tensors[op->inputs[1]];
        rc = check_act(op, i, msg, len);
        if (rc == 0 && (!dims_eq(s->xd, s->yd) || !dims_eq(dims4(b), s->yd)))
            rc = fail(msg, len, RR_ERR_UNSUPPORTED,
                      "op %d (ADD): operand shapes differ from the output (no broadcasting)", i);
        s->count = y->count;
        break;
    }
    case MODEL_OP_PAD:
        rc = plan_pad(m, op, i, s, msg, len);
        break;
    case MODEL_OP_RESIZE_BILINEAR:
        if (s->xd.n != s->yd.n || s->xd.c != s->yd.c)
            rc = fail(msg, len, RR_ERR_INVAL,
                      "op %d (RESIZE_BILINEAR): batch or channels differ between input and output",
                      i);
        else if (op->opt.align_corners && op->opt.half_pixel_centers)
            rc = fail(msg, len, RR_ERR_UNSUPPORTED,
                      "op %d (RESIZE_BILINEAR): align_corners with half_pixel_centers", i);
        s->align_corners = op->opt.align_corners != 0;
        s->half_pixel = op->opt.half_pixel_centers != 0;
        break;
    case MODEL_OP_DEPTH_TO_SPACE: {
        const int64_t b = op->opt.block;
        if (b < 1 || b > 4096 || s->xd.c % (b * b) != 0 || s->yd.n != s->xd.n ||
            s->yd.h != s->xd.h * b || s->yd.w != s->xd.w * b || s->yd.c != s->xd.c / (b * b))
            rc = fail(msg, len, RR_ERR_INVAL,
                      "op %d (DEPTH_TO_SPACE): block %d does not map %dx%dx%d to %dx%dx%d", i,
                      op->opt.block, s->xd.h, s->xd.w, s->xd.c, s->yd.h, s->yd.w, s->yd.c);
        s->block = op->opt.block;
        break;
    }
    case MODEL_OP_RESHAPE:
    case MODEL_OP_LOGISTIC:
        if (x->count != y->count)
            rc = fail(msg, len, RR_ERR_INVAL, "op %d (%s): %zu elements in, %zu out", i,
                      op_name(op->kind), x->count, y->count);
        s->count = y->count;
        break;
    case MODEL_OP_CONCAT:
        rc = check_act(op, i, msg, len);
        if (rc == 0)
            rc = plan_concat(m, op, i, s, msg, len);
        break;
    default:
        rc = fail(msg, len, RR_ERR_UNSUPPORTED, "op %d: unknown kind %d", i, (int)op->kind);
        break;
    }
    return rc;
}

/* Graph-level checks: indices, single writer, inputs defined before use. Fills prod[] (the op
 * writing each tensor, -1 for none) and is_input[]. */
static int check_graph(const struct model *m, int *prod, unsigned char *is_input, char *msg,
                       size_t len)
{
    const int nt = m->n_tensors;
    for (int t = 0; t < nt; t++)
        prod[t] = -1;
    for (int k = 0; k < m->n_inputs; k++) {
        const int t = m->inputs[k];
        if (t < 0 || t >= nt)
            return fail(msg, len, RR_ERR_INVAL, "model input %d: tensor %d out of range", k, t);
        if (m->tensors[t].data)
            return fail(msg, len, RR_ERR_INVAL, "model input %d: tensor %d is a constant", k, t);
        int rc = check_tensor(m, t, msg, len);
        if (rc < 0)
            return rc;
        is_input[t] = 1;
    }
    for (int i = 0; i < m->n_ops; i++) {
        const struct model_op *op = &m->ops[i];
        if ((unsigned)op->kind >= MODEL_OP__COUNT)
            return fail(msg, len, RR_ERR_UNSUPPORTED, "op %d: unknown kind %d", i, (int)op->kind);
        if (op->n_inputs < 1 || op->n_inputs > MODEL_MAX_OP_INPUTS)
            return fail(msg, len, RR_ERR_INVAL, "op %d (%s): %d inputs", i, op_name(op->kind),
                        op->n_inputs);
        const int nin = data_inputs(op);
        if (nin > op->n_inputs)
            return fail(msg, len, RR_ERR_INVAL, "op %d (%s): %d inputs, needs %d", i,
                        op_name(op->kind), op->n_inputs, nin);
        for (int k = 0; k < nin; k++) {
            const int t = op->inputs[k];
            if (t < 0 || t >= nt)
                return fail(msg, len, RR_ERR_INVAL, "op %d (%s): input %d: tensor %d out of range",
                            i, op_name(op->kind), k, t);
            if (!m->tensors[t].data && !is_input[t] && prod[t] < 0)
                return fail(msg, len, RR_ERR_INVAL,
                            "op %d (%s): input tensor %d is not computed before it is read", i,
                            op_name(op->kind), t);
            int rc = check_tensor(m, t, msg, len);
            if (rc < 0)
                return rc;
        }
        const int o = op->output;
        if (o < 0 || o >= nt)
            return fail(msg, len, RR_ERR_INVAL, "op %d (%s): output tensor %d out of range", i,
                        op_name(op->kind), o);
        if (m->tensors[o].data || is_input[o] || prod[o] >= 0)
            return fail(msg, len, RR_ERR_INVAL,
                        "op %d (%s): output tensor %d is a constant, a model input or written twice",
                        i, op_name(op->kind), o);
        int rc = check_tensor(m, o, msg, len);
        if (rc < 0)
            return rc;
        prod[o] = i;
    }
    for (int k = 0; k < m->n_outputs; k++) {
        const int t = m->outputs[k];
        if (t < 0 || t >= nt)
            return fail(msg, len, RR_ERR_INVAL, "model output %d: tensor %d out of range", k, t);
        if (!m->tensors[t].data && !is_input[t] && prod[t] < 0)
            return fail(msg, len, RR_ERR_INVAL, "model output %d: tensor %d is never computed", k,
                        t);
        int rc = check_tensor(m, t, msg, len);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int cmp_buf_size(const void *a, const void *b)
{
    const struct ref_buf *x = a, *y = b;
    if (x->bytes != y->bytes)
        return x->bytes < y->bytes ? 1 : -1;
    return x->tensor - y->tensor;
}

static int cmp_buf_offset(const void *a, const void *b)
{
    const struct ref_buf *const *x = a, *const *y = b;
    if ((*x)->offset != (*y)->offset)
        return (*x)->offset < (*y)->offset ? -1 : 1;
    return 0;
}

/* Greedy best-offset placement, largest first. bufs[] is sorted in place; returns the arena
 * size in bytes. `scratch` has room for n pointers. */
static size_t place_buffers(struct ref_buf *bufs, int n, struct ref_buf **scratch)
{
    qsort(bufs, (size_t)n, sizeof *bufs, cmp_buf_size);
    size_t total = 0;
    for (int k = 0; k < n; k++) {
        int nc = 0;
        for (int j = 0; j < k; j++)
            if (bufs[j].first <= bufs[k].last && bufs[k].first <= bufs[j].last)
                scratch[nc++] = &bufs[j];
        qsort(scratch, (size_t)nc, sizeof *scratch, cmp_buf_offset);
        size_t off = 0;
        for (int j = 0; j < nc; j++) {
            if (scratch[j]->offset >= off + bufs[k].bytes)
                break;
            const size_t end = scratch[j]->offset + scratch[j]->bytes;
            if (end > off)
                off = end;
        }
        bufs[k].offset = off;
        if (off + bufs[k].bytes > total)
            total = off + bufs[k].bytes;
    }
    return total;
}

static void ref_destroy(void *state)
{
    struct ref_net *r = state;
    if (!r)
        return;
    free(r->steps);
    free(r->live);
    free(r->tptr);
    free(r->arena);
    free(r->packed);
    free(r);
}

static int ref_create(const struct model *m, int threads, const unsigned char *live, void **state,
                      char *msg, size_t len)
{
    (void)threads; /* the reference backend is single-threaded by design */
    int rc = 0;
    struct ref_net *r = NULL;
    int *prod = NULL, *root = NULL;
    unsigned char *is_input = NULL;
    struct ref_buf *bufs = NULL;
    struct ref_buf **scratch = NULL;
    int *buf_of = NULL;
    if (msg && len)
        msg[0] = '\0';

    if (!m || !live || !state || m->n_tensors < 0 || m->n_tensors > MODEL_MAX_TENSORS ||
        m->n_ops < 0 || m->n_ops > MODEL_MAX_OPS || m->n_inputs < 0 || m->n_outputs < 0 ||
        (m->n_tensors && !m->tensors) || (m->n_ops && !m->ops) || (m->n_inputs && !m->inputs) ||
        (m->n_outputs && !m->outputs)) {
        rc = fail(msg, len, RR_ERR_INVAL, "malformed model structure");
        goto out;
    }
    const int nt = m->n_tensors, nops = m->n_ops;
    r = calloc(1, sizeof *r);
    prod = malloc(((size_t)nt + 1) * sizeof *prod);
    root = malloc(((size_t)nt + 1) * sizeof *root);
    buf_of = malloc(((size_t)nt + 1) * sizeof *buf_of);
    is_input = calloc((size_t)nt + 1, 1);
    bufs = calloc((size_t)nt + 1, sizeof *bufs);
    scratch = calloc((size_t)nt + 1, sizeof *scratch);
    if (r) {
        r->m = m;
        r->steps = calloc((size_t)nops + 1, sizeof *r->steps);
        r->live = malloc((size_t)nops + 1);
        r->tptr = calloc((size_t)nt + 1, sizeof *r->tptr);
    }
    if (!r || !prod || !root || !buf_of || !is_input || !bufs || !scratch || !r->steps ||
        !r->tptr || !r->live) {
        rc = fail(msg, len, RR_ERR_NOMEM, "out of memory planning the reference net");
        goto out;
    }
    rc = check_graph(m, prod, is_input, msg, len);
    if (rc < 0)
        goto out;
    memcpy(r->live, live, (size_t)nops);

    size_t packed_total = 0;
    for (int i = 0; i < nops; i++) {
        r->steps[i].n_in = data_inputs(&m->ops[i]);
        rc = plan_op(m, i, &r->steps[i], &packed_total, msg, len);
        if (rc < 0)
            goto out;
    }

    /* Alias groups (RESHAPE output -> its input's root) and buffer lifetimes. */
    for (int t = 0; t < nt; t++) {
        root[t] = t;
        buf_of[t] = -1;
    }
    for (int i = 0; i < nops; i++)
        if (m->ops[i].kind == MODEL_OP_RESHAPE)
            root[m->ops[i].output] = root[m->ops[i].inputs[0]];
    int nb = 0;
    for (int t = 0; t < nt; t++) {
        if (root[t] != t || m->tensors[t].data || (!is_input[t] && prod[t] < 0))
            continue;
        const size_t bytes = m->tensors[t].count * sizeof(float);
        bufs[nb] = (struct ref_buf){.tensor = t,
                                    .first = is_input[t] ? -1 : prod[t],
                                    .last = is_input[t] ? nops : prod[t],
                                    .bytes = (bytes + REF_ALIGN - 1) / REF_ALIGN * REF_ALIGN};
        buf_of[t] = nb++;
    }
    for (int i = 0; i < nops; i++) {
        for (int k = 0; k < r->steps[i].n_in; k++) {
            const int b = buf_of[root[m->ops[i].inputs[k]]];
            if (b >= 0 && bufs[b].last < i)
                bufs[b].last = i;
        }
        const int b = buf_of[root[m->ops[i].output]];
        if (b >= 0 && bufs[b].last < i)
            bufs[b].last = i;
    }
    for (int k = 0; k < m->n_outputs; k++) {
        const int b = buf_of[root[m->outputs[k]]];
        if (b >= 0)
            bufs[b].last = nops;
    }
    const size_t arena_bytes = place_buffers(bufs, nb, scratch);
    if (arena_bytes) {
        r->arena = aligned_alloc(REF_ALIGN, arena_bytes);
        if (!r->arena) {
            rc = fail(msg, len, RR_ERR_NOMEM, "cannot allocate %zu bytes of activations",
                      arena_bytes);
            goto out;
        }
        memset(r->arena, 0, arena_bytes);
    }
    for (int k = 0; k < nb; k++)
        r->tptr[bufs[k].tensor] = r->arena + bufs[k].offset / sizeof(float);
    for (int t = 0; t < nt; t++) {
        if (m->tensors[t].data)
            r->tptr[t] = m->tensors[t].data;
    }
    for (int t = 0; t < nt; t++)
        if (root[t] != t)
            r->tptr[t] = r->tptr[root[t]];

    if (packed_total) {
        r->packed = malloc(packed_total * sizeof(float));
        if (!r->packed) {
            rc = fail(msg, len, RR_ERR_NOMEM, "cannot allocate %zu packed filter values",
                      packed_total);
            goto out;
        }
    }
    for (int i = 0; i < nops; i++) {
        struct ref_step *s = &r->steps[i];
        const struct model_op *op = &m->ops[i];
        for (int k = 0; k < s->n_in; k++)
            s->in[k] = r->tptr[op->inputs[k]];
        s->out = r->tptr[op->output];
        if (s->kind == MODEL_OP_CONV2D) {
            const struct model_tensor *f = &m->tensors[op->inputs[1]];
            float *p = r->packed + s->packed_off;
            ref_conv2d_pack(f->data, f->dims[0], f->dims[1], f->dims[2], f->dims[3], p);
            s->w = p;
        }
    }
    *state = r;
    r = NULL;
out:
    ref_destroy(r);
    free(prod);
    free(root);
    free(buf_of);
    free(is_input);
    free(bufs);
    free(scratch);
    return rc;
}

static float *ref_input(void *state, int i)
{
    struct ref_net *r = state;
    if (!r || i < 0 || i >= r->m->n_inputs)
        return NULL;
    return r->tptr[r->m->inputs[i]];
}

static const float *ref_output(void *state, int i)
{
    struct ref_net *r = state;
    if (!r || i < 0 || i >= r->m->n_outputs)
        return NULL;
    return r->tptr[r->m->outputs[i]]; /* net.c hides outputs left out */
}

static int ref_run(void *state)
{
    struct ref_net *r = state;
    if (!r)
        return RR_ERR_INVAL;
    for (int i = 0; i < r->m->n_ops; i++) {
        const struct ref_step *s = &r->steps[i];
        if (!r->live[i])
            continue; /* feeds no kept output */
        switch (s->kind) {
        case MODEL_OP_CONV2D:
            ref_conv2d(s->in[0], s->xd, s->w, s->bias, s->out, s->yd, &s->win, s->act);
            break;
        case MODEL_OP_DWCONV2D:
            ref_dwconv2d(s->in[0], s->xd, s->w, s->bias, s->out, s->yd, &s->win, s->act);
            break;
        case MODEL_OP_ADD:
            ref_add(s->in[0], s->in[1], s->out, s->count, s->act);
            break;
        case MODEL_OP_MAXPOOL2D:
            ref_maxpool2d(s->in[0], s->xd, s->out, s->yd, &s->win, s->act);
            break;
        case MODEL_OP_PAD:
            ref_pad(s->in[0], s->pin, s->pad, s->out);
            break;
        case MODEL_OP_RESIZE_BILINEAR:
            ref_resize_bilinear(s->in[0], s->xd, s->out, s->yd, s->align_corners, s->half_pixel);
            break;
        case MODEL_OP_DEPTH_TO_SPACE:
            ref_depth_to_space(s->in[0], s->xd, s->block, s->out);
            break;
        case MODEL_OP_RESHAPE:
            if (s->out != s->in[0]) /* never: reshape aliases its input */
                memcpy(s->out, s->in[0], s->count * sizeof(float));
            break;
        case MODEL_OP_LOGISTIC:
            ref_logistic(s->in[0], s->out, s->count);
            break;
        case MODEL_OP_CONCAT:
            ref_concat(s->in, s->inner, s->n_in, s->outer, s->out, s->act);
            break;
        default:
            return RR_ERR_BACKEND;
        }
    }
    return 0;
}

const struct net_ops net__ref_ops = {
    .create = ref_create,
    .input = ref_input,
    .output = ref_output,
    .run = ref_run,
    .destroy = ref_destroy,
};
