/*
 * test_model.c - the .tflite loader: synthetic files for every feature and error path (built
 * with tests/support/tflite_writer), then the four real BlazePose models when installed.
 *
 * The real-model group runs after the synthetic group and SKIPs (exit 77) when the model
 * cache is absent, so the synthetic checks always run. With RR_WRITE_SEEDS=DIR set, the
 * program also writes the fuzz seed corpus (tests/fuzz/corpus/fuzz_model) into DIR.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "base/rr_error.h"
#include "pose/flatbuf.h"
#include "pose/model.h"
#include "support/rrtest.h"
#include "support/tflite_writer.h"

/* --- IR invariants: what backends rely on (model.c DESIGN block) --- */

static int64_t win_out(int in, int k, int s, int d, int same)
{
    int64_t eff = (int64_t)(k - 1) * d + 1;
    if (same)
        return (in + s - 1) / s;
    return eff > in ? -1 : (in - eff) / s + 1;
}

/* Returns NULL when the IR is consistent, else what is wrong. */
static const char *ir_violation(const struct model *m)
{
    if (m->n_inputs < 1 || m->n_outputs < 1)
        return "no inputs or outputs";
    char *produced = calloc((size_t)m->n_tensors + 1, 1);
    const char *bad = NULL;
    size_t total = 0;
    if (!produced)
        return "nomem";
    for (int i = 0; i < m->n_tensors && !bad; i++) {
        const struct model_tensor *t = &m->tensors[i];
        size_t c = 1;
        if (t->ndim < 1 || t->ndim > MODEL_MAX_DIMS || !t->name)
            bad = "tensor ndim";
        for (int d = 0; !bad && d < t->ndim; d++) {
            if (t->dims[d] < 1)
                bad = "tensor dim";
            else
                c *= (size_t)t->dims[d];
        }
        if (!bad && (c != t->count || c > MODEL_MAX_TENSOR_ELEMS))
            bad = "tensor count";
        total += t->count;
    }
    if (!bad && total > MODEL_MAX_TOTAL_ELEMS)
        bad = "total elements";
    for (int k = 0; k < m->n_inputs && !bad; k++) {
        int i = m->inputs[k];
        if (i < 0 || i >= m->n_tensors || m->tensors[i].data || produced[i])
            bad = "subgraph input";
        else
            produced[i] = 1;
    }
    for (int k = 0; k < m->n_ops && !bad; k++) {
        const struct model_op *op = &m->ops[k];
        if ((unsigned)op->kind >= MODEL_OP__COUNT || op->n_inputs < 1 ||
            op->n_inputs > MODEL_MAX_OP_INPUTS || op->output < 0 || op->output >= m->n_tensors) {
            bad = "op header";
            break;
        }
        int weights = op->kind == MODEL_OP_CONV2D || op->kind == MODEL_OP_DWCONV2D;
        for (int j = 0; j < op->n_inputs && !bad; j++) {
            int i = op->inputs[j];
            if (i < 0 || i >= m->n_tensors)
                bad = "op input index";
            else if (weights && j > 0 ? !m->tensors[i].data : (m->tensors[i].data || !produced[i]))
                bad = "op input kind";
        }
        const struct model_tensor *y = &m->tensors[op->output];
        if (!bad && (y->data || produced[op->output]))
            bad = "op output";
        if (bad)
            break;
        produced[op->output] = 1;
        const struct model_tensor *x = &m->tensors[op->inputs[0]];
        const struct model_op_opt *o = &op->opt;
        switch (op->kind) {
        case MODEL_OP_CONV2D:
        case MODEL_OP_DWCONV2D: {
            const struct model_tensor *w = &m->tensors[op->inputs[1]];
            const struct model_tensor *b = &m->tensors[op->inputs[2]];
            int dw = op->kind == MODEL_OP_DWCONV2D;
            int oc = dw ? w->dims[3] : w->dims[0];
            if (op->n_inputs != 3 || x->ndim != 4 || w->ndim != 4 || y->ndim != 4 ||
                (dw ? (w->dims[0] != 1 || oc != x->dims[3]) : w->dims[3] != x->dims[3]) ||
                b->count != (size_t)oc || y->dims[3] != oc || y->dims[0] != x->dims[0] ||
                o->stride_h < 1 || o->stride_w < 1 || o->dilation_h < 1 || o->dilation_w < 1 ||
                y->dims[1] != win_out(x->dims[1], w->dims[1], o->stride_h, o->dilation_h, o->same_padding) ||
                y->dims[2] != win_out(x->dims[2], w->dims[2], o->stride_w, o->dilation_w, o->same_padding))
                bad = "conv shapes";
            break;
        }
        case MODEL_OP_MAXPOOL2D:
            if (x->ndim != 4 || y->ndim != 4 || y->dims[3] != x->dims[3] || o->filter_h < 1 ||
                o->stride_h < 1 ||
                y->dims[1] != win_out(x->dims[1], o->filter_h, o->stride_h, 1, o->same_padding) ||
                y->dims[2] != win_out(x->dims[2], o->filter_w, o->stride_w, 1, o->same_padding))
                bad = "pool shapes";
            break;
        case MODEL_OP_ADD: {
            const struct model_tensor *b = &m->tensors[op->inputs[1]];
            if (op->n_inputs != 2 || b->ndim != x->ndim || y->ndim != x->ndim ||
                memcmp(b->dims, x->dims, sizeof(int) * (size_t)x->ndim) ||
                memcmp(y->dims, x->dims, sizeof(int) * (size_t)x->ndim))
                bad = "add shapes";
            break;
        }
        case MODEL_OP_PAD:
            for (int d = 0; d < x->ndim; d++)
                if (o->pad[d][0] < 0 || o->pad[d][1] < 0 ||
                    y->dims[d] != x->dims[d] + o->pad[d][0] + o->pad[d][1])
                    bad = "pad shapes";
            break;
        case MODEL_OP_DEPTH_TO_SPACE:
            if (o->block < 1 || x->ndim != 4 || x->dims[3] % (o->block * o->block) ||
                y->dims[1] != x->dims[1] * o->block || y->dims[3] * o->block * o->block != x->dims[3])
                bad = "d2s shapes";
            break;
        case MODEL_OP_RESHAPE:
        case MODEL_OP_LOGISTIC:
            if (x->count != y->count)
                bad = "count";
            break;
        case MODEL_OP_RESIZE_BILINEAR:
            if (x->ndim != 4 || y->ndim != 4 || x->dims[3] != y->dims[3])
                bad = "resize shapes";
            break;
        case MODEL_OP_CONCAT: {
            int64_t sum = 0;
            if (o->axis < 0 || o->axis >= y->ndim) {
                bad = "concat axis";
                break;
            }
            for (int j = 0; j < op->n_inputs; j++)
                sum += m->tensors[op->inputs[j]].dims[o->axis];
            if (sum != y->dims[o->axis])
                bad = "concat shapes";
            break;
        }
        default:
            break;
        }
    }
    for (int k = 0; k < m->n_outputs && !bad; k++) {
        int i = m->outputs[k];
        if (i < 0 || i >= m->n_tensors || !produced[i] || m->tensors[i].data)
            bad = "subgraph output";
    }
    free(produced);
    return bad;
}

/* --- synthetic models --- */

enum { B_ADD = 0, B_CONCAT = 2, B_CONV = 3, B_DWCONV = 4, B_D2S = 5, B_DEQUANT = 6, B_LOGISTIC = 14,
       B_MAXPOOL = 17, B_RESHAPE = 22, B_RESIZE = 23, B_PAD = 34, B_GATHER = 36, B_DENSIFY = 124 };

/* Knobs that each break one thing in the all-ops model (all 0 = valid). */
struct defect {
    uint32_t version;  /* 0 = 3 */
    int buffer_index;  /* >0: the bias tensor's buffer index */
    int filter_in_ch;  /* >0: input channels of the first conv filter */
    int add_mismatch;  /* ADD of differently shaped tensors */
    int concat_axis;   /* != 1 */
    int d2s_block;     /* 0 = 2 */
    int stride;        /* 0 = 2 (first conv) */
    int bad_segments;  /* non-monotonic CSR segments */
    int bad_index;     /* CSR column index out of range */
    int gather;        /* add an unsupported GATHER op */
    int huge;          /* a tensor of 2^16 x 2^16 elements */
    int use_before;    /* DWCONV reads a tensor computed later */
    int write_input;   /* an op writes the subgraph input */
    int index_type;    /* CSR index vector type (0 = uint8) */
    int no_conv_opts;  /* first conv without options (stride defaults to 0) */
    int custom;        /* a CUSTOM op */
    int pad_negative;  /* a negative padding */
};

static float sparse_val(int r, int k)
{
    return (float)(r + 1) * (k ? -0.25f : 0.5f);
}

/* x[1,8,8,4] -PAD-> [1,10,10,4] -CONV3x3s2(fp16 via DEQUANTIZE)-> a[1,4,4,8]
 *   -DWCONV3x3 SAME-> b; ADD(a,b) -> c; CONV1x1(sparse fp16 via DENSIFY+DEQUANTIZE)(c) -> d;
 *   MAXPOOL2x2(c) -> e[1,2,2,8] -RESIZE 4x4-> f[1,4,4,8] -RESHAPE(shape const)-> g[1,16,8];
 *   D2S(d) -> h[1,8,8,2] -LOGISTIC-> i -RESHAPE-> j[1,16,8]; CONCAT axis 1 (g, j) -> k[1,32,8].
 * Outputs: k, i. */
static uint8_t *build_all_ops(const struct defect *df, size_t *len)
{
    struct tflite_writer *w = tflite_writer_new();
    assert_non_null(w);
    if (df->version)
        tflite_writer_set_version(w, df->version);
    int x = tflite_writer_tensor(w, "input", TFLW_FLOAT32, 4, (int32_t[]){1, 8, 8, 4}, 0);
    int32_t pads[8] = {0, 0, 1, 1, 1, 1, 0, 0};
    if (df->pad_negative)
        pads[2] = -1;
    int padt = tflite_writer_const_i32(w, "paddings", 2, (int32_t[]){4, 2}, pads);
    int xp = tflite_writer_tensor(w, "padded", TFLW_FLOAT32, 4, (int32_t[]){1, 10, 10, 4}, 0);
    int ic = df->filter_in_ch ? df->filter_in_ch : 4;
    uint16_t wf16[8 * 3 * 3 * 8];
    for (int i = 0; i < 8 * 9 * ic; i++)
        wf16[i] = tflite_writer_half((float)(i % 13) * 0.125f - 0.75f);
    int w16 = tflite_writer_const_f16(w, "w1_fp16", 4, (int32_t[]){8, 3, 3, ic}, wf16);
    int w32 = tflite_writer_tensor(w, "w1", TFLW_FLOAT32, 4, (int32_t[]){8, 3, 3, ic}, 0);
    float bias[8] = {0.5f, -1, 2, 0, 0, 0, 0, 1};
    int b1 = tflite_writer_const_f32(w, "b1", 1, (int32_t[]){8}, bias);
    int a = tflite_writer_tensor(w, "a", TFLW_FLOAT32, 4, (int32_t[]){1, 4, 4, 8}, 0);
    float dwv[9 * 8];
    for (int i = 0; i < 72; i++)
        dwv[i] = (float)i / 72.0f;
    int dww = tflite_writer_const_f32(w, "dw_w", 4, (int32_t[]){1, 3, 3, 8}, dwv);
    int dwb = tflite_writer_const_f32(w, "dw_b", 1, (int32_t[]){8}, bias);
    if (df->buffer_index)
        dwb = tflite_writer_tensor(w, "dw_b_bad", TFLW_FLOAT32, 1, (int32_t[]){8}, df->buffer_index);
    int b = tflite_writer_tensor(w, "b", TFLW_FLOAT32, 4, (int32_t[]){1, 4, 4, 8}, 0);
    int c = tflite_writer_tensor(w, "c", TFLW_FLOAT32, 4, (int32_t[]){1, 4, 4, 8}, 0);
    /* sparse [8,1,1,8]: row r holds columns r and (r+3)%8, ascending */
    uint16_t sv[16];
    uint32_t seg[9], idx[16];
    for (int r = 0; r < 8; r++) {
        int c0 = r, c1 = (r + 3) % 8;
        int lo = c0 < c1 ? c0 : c1, hi = c0 < c1 ? c1 : c0;
        idx[2 * r] = (uint32_t)lo;
        idx[2 * r + 1] = (uint32_t)hi;
        sv[2 * r] = tflite_writer_half(sparse_val(r, 0));
        sv[2 * r + 1] = tflite_writer_half(sparse_val(r, 1));
        seg[r] = (uint32_t)(2 * r);
    }
    seg[8] = 16;
    if (df->bad_segments)
        seg[4] = 12;
    if (df->bad_index)
        idx[5] = 8;
    int sbuf = tflite_writer_buffer(w, sv, sizeof sv);
    int s16 = tflite_writer_tensor(w, "w2_sparse", TFLW_FLOAT16, 4, (int32_t[]){8, 1, 1, 8}, sbuf);
    tflite_writer_sparse_csr(w, s16, df->index_type ? df->index_type : 3, seg, 9, idx, 16);
    int sd16 = tflite_writer_tensor(w, "w2_dense16", TFLW_FLOAT16, 4, (int32_t[]){8, 1, 1, 8}, 0);
    int s32 = tflite_writer_tensor(w, "w2", TFLW_FLOAT32, 4, (int32_t[]){8, 1, 1, 8}, 0);
    int b2 = tflite_writer_const_f32(w, "b2", 1, (int32_t[]){8}, bias);
    int d = tflite_writer_tensor(w, "d", TFLW_FLOAT32, 4, (int32_t[]){1, 4, 4, 8}, 0);
    int e = tflite_writer_tensor(w, "e", TFLW_FLOAT32, 4, (int32_t[]){1, 2, 2, 8}, 0);
    int sz = tflite_writer_const_i32(w, "size", 1, (int32_t[]){2}, (int32_t[]){4, 4});
    int f = tflite_writer_tensor(w, "f", TFLW_FLOAT32, 4, (int32_t[]){1, 4, 4, 8}, 0);
    int shp = tflite_writer_const_i32(w, "shape", 1, (int32_t[]){3}, (int32_t[]){1, -1, 8});
    int g = tflite_writer_tensor(w, "g", TFLW_FLOAT32, 3, (int32_t[]){1, 16, 8}, 0);
    int h = tflite_writer_tensor(w, "h", TFLW_FLOAT32, 4, (int32_t[]){1, 8, 8, 2}, 0);
    int i = tflite_writer_tensor(w, "i", TFLW_FLOAT32, 4, (int32_t[]){1, 8, 8, 2}, 0);
    int j = tflite_writer_tensor(w, "j", TFLW_FLOAT32, 3, (int32_t[]){1, 16, 8}, 0);
    int k = tflite_writer_tensor(w, "k", TFLW_FLOAT32, 3, (int32_t[]){1, 32, 8}, 0);
    int odd = tflite_writer_tensor(w, "odd", TFLW_FLOAT32, 4, (int32_t[]){1, 4, 4, 7}, 0);
    if (df->huge)
        tflite_writer_tensor(w, "huge", TFLW_FLOAT32, 4, (int32_t[]){1, 65536, 65536, 1}, 0);

    struct tflite_writer_opt conv_opts[] = {{0, 1, 1}, {1, 4, df->stride ? df->stride : 2},
                                            {2, 4, df->stride ? df->stride : 2}, {3, 1, 3}};
    struct tflite_writer_opt dw_opts[] = {{1, 4, 1}, {2, 4, 1}, {3, 4, 1}};
    struct tflite_writer_opt c11_opts[] = {{1, 4, 1}, {2, 4, 1}};
    struct tflite_writer_opt pool_opts[] = {{0, 1, 1}, {1, 4, 2}, {2, 4, 2}, {3, 4, 2}, {4, 4, 2}};
    struct tflite_writer_opt resize_opts[] = {{3, 1, 1}};
    struct tflite_writer_opt d2s_opts[] = {{0, 4, df->d2s_block ? df->d2s_block : 2}};
    struct tflite_writer_opt cat_opts[] = {{0, 4, df->concat_axis ? df->concat_axis : 1}};

    tflite_writer_op(w, B_PAD, (int[]){x, padt}, 2, (int[]){df->write_input ? x : xp}, 1, 22, NULL, 0);
    tflite_writer_op(w, B_DEQUANT, (int[]){w16}, 1, (int[]){w32}, 1, 0, NULL, 0);
    tflite_writer_op(w, B_CONV, (int[]){xp, w32, b1}, 3, (int[]){a}, 1, df->no_conv_opts ? 0 : 1,
                     conv_opts, 4);
    if (df->use_before)
        tflite_writer_op(w, B_DWCONV, (int[]){c, dww, dwb}, 3, (int[]){b}, 1, 2, dw_opts, 3);
    else
        tflite_writer_op(w, B_DWCONV, (int[]){a, dww, dwb}, 3, (int[]){b}, 1, 2, dw_opts, 3);
    tflite_writer_op(w, B_ADD, (int[]){a, df->add_mismatch ? xp : b}, 2, (int[]){c}, 1, 11, NULL, 0);
    if (df->gather)
        tflite_writer_op(w, B_GATHER, (int[]){c, sz}, 2, (int[]){odd}, 1, 0, NULL, 0);
    if (df->custom)
        tflite_writer_custom_op(w, "MyFancyOp", (int[]){c}, 1, (int[]){odd}, 1);
    tflite_writer_op(w, B_DENSIFY, (int[]){s16}, 1, (int[]){sd16}, 1, 99, NULL, 0);
    tflite_writer_op(w, B_DEQUANT, (int[]){sd16}, 1, (int[]){s32}, 1, 38, NULL, 0);
    tflite_writer_op(w, B_CONV, (int[]){c, s32, b2}, 3, (int[]){d}, 1, 1, c11_opts, 2);
    tflite_writer_op(w, B_MAXPOOL, (int[]){c}, 1, (int[]){e}, 1, 5, pool_opts, 5);
    tflite_writer_op(w, B_RESIZE, (int[]){e, sz}, 2, (int[]){f}, 1, 15, resize_opts, 1);
    tflite_writer_op(w, B_RESHAPE, (int[]){f, shp}, 2, (int[]){g}, 1, 0, NULL, 0);
    tflite_writer_op(w, B_D2S, (int[]){d}, 1, (int[]){h}, 1, 94, d2s_opts, 1);
    tflite_writer_op(w, B_LOGISTIC, (int[]){h}, 1, (int[]){i}, 1, 0, NULL, 0);
    tflite_writer_op(w, B_RESHAPE, (int[]){i}, 1, (int[]){j}, 1, 0, NULL, 0);
    tflite_writer_op(w, B_CONCAT, (int[]){g, j}, 2, (int[]){k}, 1, 10, cat_opts, 1);
    tflite_writer_io(w, (int[]){x}, 1, (int[]){k, i}, 2);
    uint8_t *buf = NULL;
    assert_int_equal(tflite_writer_finish(w, &buf, len), 0);
    tflite_writer_free(w);
    return buf;
}

/* Load bytes; on success also assert the IR invariants. */
static int load(const uint8_t *buf, size_t len, struct model **m, char *msg, size_t msg_len)
{
    int rc = model_load(buf, len, m, msg, msg_len);
    if (rc == 0) {
        const char *bad = ir_violation(*m);
        if (bad)
            fail_msg("loaded model violates IR invariant: %s", bad);
    } else {
        assert_null(*m);
        assert_true(rc == RR_ERR_CORRUPT || rc == RR_ERR_UNSUPPORTED || rc == RR_ERR_TOOBIG);
        if (msg && msg_len)
            assert_true(msg[0] != 0);
    }
    return rc;
}

static int expect_error(const struct defect *df, int want, const char *needle)
{
    size_t len;
    uint8_t *buf = build_all_ops(df, &len);
    struct model *m = NULL;
    char msg[256];
    int rc = load(buf, len, &m, msg, sizeof msg);
    free(buf);
    if (rc != want || !strstr(msg, needle))
        fail_msg("got %d (%s), want %d with '%s'", rc, msg, want, needle);
    return rc;
}

static int find_tensor(const struct model *m, const char *name)
{
    for (int i = 0; i < m->n_tensors; i++)
        if (strcmp(m->tensors[i].name, name) == 0)
            return i;
    return -1;
}

/* --- synthetic tests --- */

static void model__loads_every_supported_op_from_a_synthetic_file(void **state)
{
    (void)state;
    struct defect df = {0};
    size_t len;
    uint8_t *buf = build_all_ops(&df, &len);
    struct model *m = NULL;
    char msg[256];
    assert_int_equal(load(buf, len, &m, msg, sizeof msg), 0);
    free(buf);
    static const enum model_op_kind kinds[] = {
        MODEL_OP_PAD, MODEL_OP_CONV2D, MODEL_OP_DWCONV2D, MODEL_OP_ADD, MODEL_OP_CONV2D,
        MODEL_OP_MAXPOOL2D, MODEL_OP_RESIZE_BILINEAR, MODEL_OP_RESHAPE, MODEL_OP_DEPTH_TO_SPACE,
        MODEL_OP_LOGISTIC, MODEL_OP_RESHAPE, MODEL_OP_CONCAT};
    assert_int_equal(m->n_ops, 12);
    for (int k = 0; k < 12; k++)
        assert_int_equal(m->ops[k].kind, kinds[k]);
    assert_string_equal(m->description, "rr synthetic");
    /* options */
    const struct model_op *pad = &m->ops[0], *conv = &m->ops[1], *dw = &m->ops[2];
    assert_int_equal(pad->n_inputs, 1);
    assert_int_equal(pad->opt.pad[1][0], 1);
    assert_int_equal(pad->opt.pad[2][1], 1);
    assert_int_equal(pad->opt.pad[3][1], 0);
    assert_int_equal(conv->opt.same_padding, 0);
    assert_int_equal(conv->opt.stride_h, 2);
    assert_int_equal(conv->opt.dilation_w, 1);
    assert_int_equal(conv->opt.act, MODEL_ACT_RELU6);
    assert_int_equal(dw->opt.same_padding, 1); /* schema default */
    assert_int_equal(m->ops[5].opt.filter_w, 2);
    assert_int_equal(m->ops[6].opt.half_pixel_centers, 1);
    assert_int_equal(m->ops[6].opt.align_corners, 0);
    assert_int_equal(m->ops[6].n_inputs, 1);
    assert_int_equal(m->ops[8].opt.block, 2);
    assert_int_equal(m->ops[11].opt.axis, 1);
    assert_int_equal(m->ops[11].n_inputs, 2);
    /* int32 constants and fp16 / sparse sources are gone; fp32 constants stay */
    assert_int_equal(find_tensor(m, "paddings"), -1);
    assert_int_equal(find_tensor(m, "size"), -1);
    assert_int_equal(find_tensor(m, "shape"), -1);
    assert_int_equal(find_tensor(m, "w1_fp16"), -1);
    assert_int_equal(find_tensor(m, "w2_sparse"), -1);
    int w1 = find_tensor(m, "w1"), b1 = find_tensor(m, "b1"), dww = find_tensor(m, "dw_w");
    assert_true(w1 >= 0 && b1 >= 0 && dww >= 0);
    assert_non_null(m->tensors[w1].data);
    assert_float_equal(m->tensors[w1].data[0], -0.75f, 0);
    assert_float_equal(m->tensors[w1].data[14], 0.125f * 1 - 0.75f, 0);
    assert_float_equal(m->tensors[b1].data[2], 2.0f, 0);
    assert_float_equal(m->tensors[dww].data[71], 71.0f / 72.0f, 0);
    /* I/O order and shapes */
    assert_int_equal(m->n_inputs, 1);
    assert_int_equal(m->n_outputs, 2);
    assert_string_equal(model_input(m, 0)->name, "input");
    assert_string_equal(model_output(m, 0)->name, "k");
    assert_int_equal(model_output(m, 0)->dims[1], 32);
    assert_string_equal(model_output(m, 1)->name, "i");
    assert_null(model_output(m, 1)->data);
    model_free(m);
}

static void model__densifies_csr_values_into_the_right_cells(void **state)
{
    (void)state;
    for (int type = 1; type <= 3; type++) { /* int32, uint16, uint8 index vectors */
        struct defect df = {.index_type = type};
        size_t len;
        uint8_t *buf = build_all_ops(&df, &len);
        struct model *m = NULL;
        assert_int_equal(load(buf, len, &m, NULL, 0), 0);
        free(buf);
        int w2 = find_tensor(m, "w2");
        assert_true(w2 >= 0);
        const float *v = m->tensors[w2].data;
        assert_non_null(v);
        int nz = 0;
        for (int r = 0; r < 8; r++) {
            int c0 = r, c1 = (r + 3) % 8;
            int lo = c0 < c1 ? c0 : c1, hi = c0 < c1 ? c1 : c0;
            for (int c = 0; c < 8; c++) {
                float want = c == lo ? sparse_val(r, 0) : c == hi ? sparse_val(r, 1) : 0.0f;
                assert_float_equal(v[r * 8 + c], want, 0);
                nz += v[r * 8 + c] != 0;
            }
        }
        assert_int_equal(nz, 16);
        model_free(m);
    }
}

/* Reference decode by arithmetic (independent of the loader's bit manipulation). */
static double half_ref(uint16_t h)
{
    int s = h >> 15, e = (h >> 10) & 31, f = h & 1023;
    double v;
    if (e == 0)
        v = ldexp(f, -24);
    else if (e == 31)
        v = f ? NAN : INFINITY;
    else
        v = ldexp(1024 + f, e - 25);
    return s ? -v : v;
}

static void model__converts_every_fp16_value_exactly(void **state)
{
    (void)state;
    /* a 1x1 conv whose [256,1,1,256] fp16 filter holds all 65536 bit patterns */
    struct tflite_writer *w = tflite_writer_new();
    uint16_t *bits = malloc(65536 * sizeof *bits);
    float *bias = calloc(256, sizeof *bias);
    assert_non_null(bits);
    assert_non_null(bias);
    for (int i = 0; i < 65536; i++)
        bits[i] = (uint16_t)i;
    int x = tflite_writer_tensor(w, "x", TFLW_FLOAT32, 4, (int32_t[]){1, 1, 1, 256}, 0);
    int w16 = tflite_writer_const_f16(w, "w16", 4, (int32_t[]){256, 1, 1, 256}, bits);
    int w32 = tflite_writer_tensor(w, "w32", TFLW_FLOAT32, 4, (int32_t[]){256, 1, 1, 256}, 0);
    int b = tflite_writer_const_f32(w, "b", 1, (int32_t[]){256}, bias);
    int y = tflite_writer_tensor(w, "y", TFLW_FLOAT32, 4, (int32_t[]){1, 1, 1, 256}, 0);
    struct tflite_writer_opt o[] = {{1, 4, 1}, {2, 4, 1}};
    tflite_writer_op(w, B_DEQUANT, (int[]){w16}, 1, (int[]){w32}, 1, 0, NULL, 0);
    tflite_writer_op(w, B_CONV, (int[]){x, w32, b}, 3, (int[]){y}, 1, 1, o, 2);
    tflite_writer_io(w, (int[]){x}, 1, (int[]){y}, 1);
    uint8_t *buf;
    size_t len;
    assert_int_equal(tflite_writer_finish(w, &buf, &len), 0);
    tflite_writer_free(w);
    struct model *m = NULL;
    assert_int_equal(load(buf, len, &m, NULL, 0), 0);
    const float *v = m->tensors[find_tensor(m, "w32")].data;
    int subnormals = 0;
    for (int i = 0; i < 65536; i++) {
        double want = half_ref((uint16_t)i);
        if (isnan(want)) {
            uint32_t got;
            memcpy(&got, &v[i], 4);
            assert_true(isnan(v[i]));
            assert_int_equal(got >> 31, (unsigned)i >> 15);
            assert_int_equal((got >> 13) & 1023, (unsigned)i & 1023); /* payload kept */
        } else {
            if ((double)v[i] != want || !signbit(v[i]) != !signbit(want))
                fail_msg("fp16 0x%04x -> %.9g, want %.9g", i, (double)v[i], want);
            subnormals += ((i >> 10) & 31) == 0 && (i & 1023);
        }
    }
    assert_int_equal(subnormals, 2 * 1023);
    model_free(m);
    free(buf);
    free(bits);
    free(bias);
}

static void model__rejects_wrong_identifier_and_short_files(void **state)
{
    (void)state;
    struct defect df = {0};
    size_t len;
    uint8_t *buf = build_all_ops(&df, &len);
    struct model *m = NULL;
    char msg[256];
    buf[4] = 'X';
    assert_int_equal(load(buf, len, &m, msg, sizeof msg), RR_ERR_CORRUPT);
    assert_non_null(strstr(msg, "identifier"));
    assert_int_equal(load(buf, 0, &m, msg, sizeof msg), RR_ERR_CORRUPT);
    assert_int_equal(load((const uint8_t *)"TFL3", 4, &m, msg, sizeof msg), RR_ERR_CORRUPT);
    assert_int_equal(model_load(NULL, 10, &m, msg, sizeof msg), RR_ERR_INVAL);
    free(buf);
}

static void model__rejects_a_file_truncated_at_every_offset(void **state)
{
    (void)state;
    struct defect df = {0};
    size_t len;
    uint8_t *buf = build_all_ops(&df, &len);
    assert_true(len > 1000);
    for (size_t n = 0; n < len; n++) {
        /* a fresh copy of exactly n bytes, so ASan sees any read past the end */
        uint8_t *cut = malloc(n ? n : 1);
        assert_non_null(cut);
        memcpy(cut, buf, n);
        struct model *m = NULL;
        char msg[256];
        int rc = load(cut, n, &m, msg, sizeof msg);
        if (rc == 0)
            fail_msg("truncated at %zu of %zu bytes but loaded", n, len);
        free(cut);
    }
    free(buf);
}

static uint32_t rd32(const uint8_t *p)
{
    return flatbuf_le32(p);
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void model__rejects_bad_root_soffset_and_vtable_entries(void **state)
{
    (void)state;
    struct defect df = {0};
    size_t len;
    uint8_t *orig = build_all_ops(&df, &len);
    uint8_t *buf = malloc(len);
    assert_non_null(buf);
    struct model *m = NULL;
    char msg[256];
    uint32_t root = rd32(orig);
    uint32_t vt = root - rd32(orig + root);
    /* root uoffset past the end, at the end, pointing at itself */
    uint32_t bad_roots[] = {0xffffffffu, 0x7fffffffu, (uint32_t)len, (uint32_t)len - 2, 0};
    for (size_t k = 0; k < sizeof bad_roots / sizeof bad_roots[0]; k++) {
        memcpy(buf, orig, len);
        wr32(buf, bad_roots[k]);
        assert_int_not_equal(load(buf, len, &m, msg, sizeof msg), 0);
    }
    /* soffset sending the vtable outside the buffer (both directions) */
    uint32_t bad_soff[] = {root + 1, (uint32_t)-(int32_t)len, 0x80000000u, root + 0x10000u};
    for (size_t k = 0; k < sizeof bad_soff / sizeof bad_soff[0]; k++) {
        memcpy(buf, orig, len);
        wr32(buf + root, bad_soff[k]);
        assert_int_equal(load(buf, len, &m, msg, sizeof msg), RR_ERR_CORRUPT);
    }
    /* vtable length odd / too small / huge, table length huge */
    uint16_t bad_vt[][2] = {{3, 0}, {2, 0}, {0xfffe, 0}, {0, 0xffff}, {0, 2}};
    for (size_t k = 0; k < sizeof bad_vt / sizeof bad_vt[0]; k++) {
        memcpy(buf, orig, len);
        if (bad_vt[k][0]) {
            buf[vt] = (uint8_t)bad_vt[k][0];
            buf[vt + 1] = (uint8_t)(bad_vt[k][0] >> 8);
        } else {
            buf[vt + 2] = (uint8_t)bad_vt[k][1];
            buf[vt + 3] = (uint8_t)(bad_vt[k][1] >> 8);
        }
        assert_int_equal(load(buf, len, &m, msg, sizeof msg), RR_ERR_CORRUPT);
    }
    /* every field slot of the root vtable pointing past the table, or into its soffset */
    uint16_t vlen = flatbuf_le16(orig + vt);
    for (uint32_t slot = 4; slot + 2 <= vlen; slot += 2) {
        uint16_t bad_off[] = {0xfff0, 2};
        for (int k = 0; k < 2; k++) {
            memcpy(buf, orig, len);
            buf[vt + slot] = (uint8_t)bad_off[k];
            buf[vt + slot + 1] = (uint8_t)(bad_off[k] >> 8);
            int rc = load(buf, len, &m, msg, sizeof msg);
            assert_int_not_equal(rc, 0);
        }
    }
    /* every uoffset field of the root table pointing far away */
    for (uint32_t slot = 6; slot + 2 <= vlen; slot += 2) { /* fields 1.. are offsets */
        uint16_t off = flatbuf_le16(orig + vt + slot);
        if (!off)
            continue;
        memcpy(buf, orig, len);
        wr32(buf + root + off, 0x7ffffff0u);
        assert_int_equal(load(buf, len, &m, msg, sizeof msg), RR_ERR_CORRUPT);
    }
    free(buf);
    free(orig);
}

static void model__rejects_out_of_range_buffer_index(void **state)
{
    (void)state;
    struct defect df = {.buffer_index = 900};
    expect_error(&df, RR_ERR_CORRUPT, "buffer index 900 out of range");
}

static void model__names_unsupported_ops(void **state)
{
    (void)state;
    struct defect df = {.gather = 1};
    expect_error(&df, RR_ERR_UNSUPPORTED, "unsupported op GATHER (36) at operator 5");
    struct defect dc = {.custom = 1};
    expect_error(&dc, RR_ERR_UNSUPPORTED, "custom op 'MyFancyOp' at operator 5");
    assert_string_equal(model_op_name(MODEL_OP_DWCONV2D), "DEPTHWISE_CONV_2D");
    assert_string_equal(model_op_name(MODEL_OP_CONCAT), "CONCATENATION");
    assert_string_equal(model_op_name(MODEL_OP__COUNT), "UNKNOWN");
}

static void model__rejects_oversized_dims_as_toobig(void **state)
{
    (void)state;
    struct defect df = {.huge = 1};
    expect_error(&df, RR_ERR_TOOBIG, "more than");
}

static void model__rejects_unsupported_schema_version(void **state)
{
    (void)state;
    struct defect df = {.version = 2};
    expect_error(&df, RR_ERR_UNSUPPORTED, "schema version 2");
}

static void model__rejects_inconsistent_shapes_and_options(void **state)
{
    (void)state;
    struct defect d1 = {.filter_in_ch = 3};
    expect_error(&d1, RR_ERR_CORRUPT, "operator 2 (CONV_2D): inconsistent shapes");
    struct defect d2 = {.add_mismatch = 1};
    expect_error(&d2, RR_ERR_UNSUPPORTED, "ADD with broadcasting");
    struct defect d3 = {.concat_axis = 5};
    expect_error(&d3, RR_ERR_CORRUPT, "concatenation axis out of range");
    struct defect d3b = {.concat_axis = 2}; /* valid axis, wrong sum */
    expect_error(&d3b, RR_ERR_CORRUPT, "CONCATENATION");
    struct defect d4 = {.d2s_block = 3};
    expect_error(&d4, RR_ERR_CORRUPT, "DEPTH_TO_SPACE");
    struct defect d4b = {.d2s_block = -2};
    expect_error(&d4b, RR_ERR_CORRUPT, "block size -2 out of range");
    struct defect d5 = {.stride = -1};
    expect_error(&d5, RR_ERR_CORRUPT, "stride -1 out of range");
    struct defect d6 = {.stride = 3}; /* valid stride, output shape no longer matches */
    expect_error(&d6, RR_ERR_CORRUPT, "CONV_2D");
    struct defect d7 = {.no_conv_opts = 1}; /* schema default stride 0 */
    expect_error(&d7, RR_ERR_CORRUPT, "stride 0 out of range");
    struct defect d8 = {.pad_negative = 1};
    expect_error(&d8, RR_ERR_CORRUPT, "PAD");
}

static void model__rejects_malformed_sparse_tensors(void **state)
{
    (void)state;
    struct defect d1 = {.bad_segments = 1};
    expect_error(&d1, RR_ERR_CORRUPT, "segments not monotonic");
    struct defect d2 = {.bad_index = 1};
    expect_error(&d2, RR_ERR_CORRUPT, "index 8 out of range");
}

static void model__rejects_bad_dataflow(void **state)
{
    (void)state;
    struct defect d1 = {.use_before = 1};
    expect_error(&d1, RR_ERR_CORRUPT, "used before it is computed");
    struct defect d2 = {.write_input = 1};
    expect_error(&d2, RR_ERR_CORRUPT, "is a subgraph input");
}

static void model__load_file_reports_missing_file(void **state)
{
    (void)state;
    struct model *m = NULL;
    char msg[256];
    assert_int_equal(model_load_file("/nonexistent/x.tflite", &m, msg, sizeof msg), RR_ERR_NOTFOUND);
    assert_null(m);
    assert_non_null(strstr(msg, "cannot open"));
    assert_int_equal(model_load_file("/", &m, msg, sizeof msg), RR_ERR_IO);
    model_free(NULL);
}

static uint64_t rng_state = 0x243F6A8885A308D3ull;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Flip bytes / overwrite words of buf (len bytes) and load; never crash, error or valid IR. */
static void mutate_many(const uint8_t *orig, size_t len, int rounds, size_t hot_lo, size_t hot_hi,
                        int *ok, int *err)
{
    uint8_t *buf = malloc(len);
    assert_non_null(buf);
    for (int r = 0; r < rounds; r++) {
        memcpy(buf, orig, len);
        int n = 1 + (int)(rng() % 4);
        for (int k = 0; k < n; k++) {
            /* most mutations hit the metadata region, the rest anywhere */
            size_t span = hot_hi > hot_lo ? hot_hi - hot_lo : len;
            size_t pos = (r % 4) ? hot_lo + (size_t)(rng() % span) : (size_t)(rng() % len);
            if (pos + 4 <= len && (rng() & 1)) {
                static const uint32_t vals[] = {0, 0xffffffffu, 0x7fffffffu, 0x80000000u, 1, 4096};
                wr32(buf + pos, vals[rng() % 6]);
            } else if (pos < len) {
                buf[pos] ^= (uint8_t)(1u << (rng() % 8));
            }
        }
        struct model *m = NULL;
        char msg[256];
        int rc = load(buf, len, &m, msg, sizeof msg);
        if (rc == 0)
            (*ok)++;
        else
            (*err)++;
        model_free(m);
    }
    free(buf);
}

static void model__survives_random_mutations_of_a_synthetic_file(void **state)
{
    (void)state;
    struct defect df = {0};
    size_t len;
    uint8_t *buf = build_all_ops(&df, &len);
    int ok = 0, err = 0;
    mutate_many(buf, len, 3000, 0, len, &ok, &err);
    printf("synthetic mutations: %d loaded, %d rejected\n", ok, err);
    assert_int_equal(ok + err, 3000);
    assert_true(err > 0);
    free(buf);
}

/* --- real models (SKIP when absent) --- */

static char model_dir[4096];

static uint8_t *read_model(const char *file, size_t *len)
{
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", model_dir, file);
    uint8_t *buf = (uint8_t *)rrtest_read_file(path, MODEL_MAX_FILE_BYTES, len);
    assert_non_null(buf);
    return buf;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Load a real model (timed, best of 3) and check op count, input and output shapes. */
static struct model *load_real(const char *file, int want_ops, const uint8_t **raw, size_t *raw_len)
{
    size_t len;
    uint8_t *buf = read_model(file, &len);
    struct model *m = NULL;
    char msg[256];
    double best = 1e9;
    for (int k = 0; k < 3; k++) {
        double t0 = now_ms();
        int rc = model_load(buf, len, &m, msg, sizeof msg);
        double t = now_ms() - t0;
        if (rc != 0)
            fail_msg("%s: %s (%d)", file, msg, rc);
        best = t < best ? t : best;
        if (k < 2)
            model_free(m);
    }
    printf("model_load %s: %.1f ms (best of 3, %zu bytes, %d ops, %d tensors)\n", file, best, len,
           m->n_ops, m->n_tensors);
    const char *bad = ir_violation(m);
    if (bad)
        fail_msg("%s: IR invariant: %s", file, bad);
    assert_int_equal(m->n_ops, want_ops);
    assert_string_equal(m->description, "MLIR Converted.");
    if (raw) {
        *raw = buf;
        *raw_len = len;
    } else {
        free(buf);
    }
    return m;
}

static void assert_dims(const struct model_tensor *t, const char *name, int ndim, int d0, int d1,
                        int d2, int d3)
{
    int want[4] = {d0, d1, d2, d3};
    assert_string_equal(t->name, name);
    assert_int_equal(t->ndim, ndim);
    for (int d = 0; d < ndim; d++)
        assert_int_equal(t->dims[d], want[d]);
    assert_null(t->data);
}

static void count_kinds(const struct model *m, int *cnt)
{
    memset(cnt, 0, sizeof(int) * MODEL_OP__COUNT);
    for (int k = 0; k < m->n_ops; k++)
        cnt[m->ops[k].kind]++;
}

static void model__loads_the_real_detector(void **state)
{
    (void)state;
    struct model *m = load_real("pose_detection.tflite", 109, NULL, NULL);
    int cnt[MODEL_OP__COUNT];
    count_kinds(m, cnt);
    assert_int_equal(cnt[MODEL_OP_CONV2D], 45);
    assert_int_equal(cnt[MODEL_OP_DWCONV2D], 28);
    assert_int_equal(cnt[MODEL_OP_ADD], 15);
    assert_int_equal(cnt[MODEL_OP_PAD], 8);
    assert_int_equal(cnt[MODEL_OP_RESHAPE], 6);
    assert_int_equal(cnt[MODEL_OP_DEPTH_TO_SPACE], 3);
    assert_int_equal(cnt[MODEL_OP_RESIZE_BILINEAR], 2);
    assert_int_equal(cnt[MODEL_OP_CONCAT], 2);
    assert_int_equal(m->n_inputs, 1);
    assert_int_equal(m->n_outputs, 2);
    assert_dims(model_input(m, 0), "input_1", 4, 1, 224, 224, 3);
    assert_dims(model_output(m, 0), "Identity", 3, 1, 2254, 12, 0);
    assert_dims(model_output(m, 1), "Identity_1", 3, 1, 2254, 1, 0);
    /* dense-equivalent weight count from blazepose.md 1.1 */
    size_t consts = 0;
    for (int i = 0; i < m->n_tensors; i++)
        if (m->tensors[i].data)
            consts += m->tensors[i].count;
    assert_int_equal(consts, 2965026);
    /* the 38 densified 1x1 kernels: ~25% non-zeros, 680,895 stored values in all */
    int sparse = 0;
    size_t nnz_sum = 0, dense_sum = 0;
    for (int k = 0; k < m->n_ops; k++) {
        if (m->ops[k].kind != MODEL_OP_CONV2D)
            continue;
        const struct model_tensor *w = &m->tensors[m->ops[k].inputs[1]];
        size_t nnz = 0;
        for (size_t e = 0; e < w->count; e++)
            nnz += w->data[e] != 0.0f;
        if (w->dims[1] == 1 && w->dims[2] == 1 && nnz * 2 < w->count) {
            sparse++;
            nnz_sum += nnz;
            dense_sum += w->count;
        }
    }
    printf("detector: %d sparse kernels, %zu non-zeros of %zu (density %.3f)\n", sparse, nnz_sum,
           dense_sum, (double)nnz_sum / (double)dense_sum);
    assert_int_equal(sparse, 38);
    assert_int_equal(dense_sum, 2723584);
    assert_true(nnz_sum <= 680895 && nnz_sum > 680895 * 99 / 100);
    /* CONCAT along axis 1 into the outputs */
    assert_int_equal(m->ops[m->n_ops - 1].kind, MODEL_OP_CONCAT);
    assert_int_equal(m->ops[m->n_ops - 1].opt.axis, 1);
    model_free(m);
}

static void check_landmark_io(const struct model *m)
{
    assert_int_equal(m->n_inputs, 1);
    assert_int_equal(m->n_outputs, 5);
    assert_dims(model_input(m, 0), "input_1", 4, 1, 256, 256, 3);
    assert_dims(model_output(m, 0), "Identity", 2, 1, 195, 0, 0);
    assert_dims(model_output(m, 1), "Identity_1", 2, 1, 1, 0, 0);
    assert_dims(model_output(m, 2), "Identity_2", 4, 1, 256, 256, 1);
    assert_dims(model_output(m, 3), "Identity_3", 4, 1, 64, 64, 39);
    assert_dims(model_output(m, 4), "Identity_4", 2, 1, 117, 0, 0);
}

/* Walk the file independently (flatbuf readers only) and compare every fp16 DEQUANTIZE source
 * with the IR constant of the same name, decoded with half_ref(). Returns values checked. */
static size_t spot_check_fp16(const struct model *m, const uint8_t *raw, size_t len, int max_ops)
{
    struct flatbuf fb = {raw, len};
    struct flatbuf_table root, sg, t;
    struct flatbuf_vec codes, subgraphs, tensors, ops, buffers;
    assert_int_equal(flatbuf_root(&fb, &root), 0);
    assert_int_equal(flatbuf_vec_field(&root, 1, 4, &codes), 1);
    assert_int_equal(flatbuf_vec_field(&root, 2, 4, &subgraphs), 1);
    assert_int_equal(flatbuf_vec_field(&root, 4, 4, &buffers), 1);
    assert_int_equal(flatbuf_vec_table(&subgraphs, 0, &sg), 0);
    assert_int_equal(flatbuf_vec_field(&sg, 0, 4, &tensors), 1);
    assert_int_equal(flatbuf_vec_field(&sg, 3, 4, &ops), 1);
    size_t checked = 0;
    int done = 0;
    for (size_t k = 0; k < ops.n && done < max_ops; k++) {
        struct flatbuf_table op, oc, tin, tout, b;
        struct flatbuf_vec in, out, data;
        uint32_t opcode;
        int8_t dep;
        int32_t code;
        uint32_t bi;
        assert_int_equal(flatbuf_vec_table(&ops, k, &op), 0);
        assert_int_equal(flatbuf_u32(&op, 0, 0, &opcode), 0);
        assert_int_equal(flatbuf_vec_table(&codes, opcode, &oc), 0);
        assert_int_equal(flatbuf_i8(&oc, 0, 0, &dep), 0);
        assert_int_equal(flatbuf_i32(&oc, 3, 0, &code), 0);
        if ((dep > code ? dep : code) != B_DEQUANT)
            continue;
        assert_int_equal(flatbuf_vec_field(&op, 1, 4, &in), 1);
        assert_int_equal(flatbuf_vec_field(&op, 2, 4, &out), 1);
        assert_int_equal(flatbuf_vec_table(&tensors, (size_t)flatbuf_vec_i32(&in, 0), &tin), 0);
        assert_int_equal(flatbuf_vec_table(&tensors, (size_t)flatbuf_vec_i32(&out, 0), &tout), 0);
        if (flatbuf_table_field(&tin, 6, &t) == 1)
            continue; /* sparse source: covered by the density check */
        assert_int_equal(flatbuf_u32(&tin, 2, 0, &bi), 0);
        assert_int_equal(flatbuf_vec_table(&buffers, bi, &b), 0);
        assert_int_equal(flatbuf_vec_field(&b, 0, 1, &data), 1);
        const char *name;
        size_t nlen;
        assert_int_equal(flatbuf_string_field(&tout, 3, &name, &nlen), 1);
        char nm[512];
        snprintf(nm, sizeof nm, "%.*s", (int)nlen, name);
        int ti = find_tensor(m, nm);
        assert_true(ti >= 0);
        const struct model_tensor *mt = &m->tensors[ti];
        assert_non_null(mt->data);
        assert_int_equal(data.n, mt->count * 2);
        for (size_t e = 0; e < mt->count; e++) {
            double want = half_ref(flatbuf_le16(raw + data.pos + 2 * e));
            if ((double)mt->data[e] != want)
                fail_msg("%s[%zu] = %.9g, want %.9g", nm, e, (double)mt->data[e], want);
        }
        checked += mt->count;
        done++;
    }
    return checked;
}

static void model__loads_the_real_landmark_models(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        int ops, conv, dw, add, pad, pool;
    } want[] = {
        {"pose_landmark_lite.tflite", 129, 54, 34, 25, 5, 2},
        {"pose_landmark_full.tflite", 140, 58, 38, 28, 5, 2},
        {"pose_landmark_heavy.tflite", 293, 116, 82, 73, 8, 5},
    };
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        const uint8_t *raw;
        size_t len;
        struct model *m = load_real(want[k].file, want[k].ops, &raw, &len);
        int cnt[MODEL_OP__COUNT];
        count_kinds(m, cnt);
        assert_int_equal(cnt[MODEL_OP_CONV2D], want[k].conv);
        assert_int_equal(cnt[MODEL_OP_DWCONV2D], want[k].dw);
        assert_int_equal(cnt[MODEL_OP_ADD], want[k].add);
        assert_int_equal(cnt[MODEL_OP_PAD], want[k].pad);
        assert_int_equal(cnt[MODEL_OP_MAXPOOL2D], want[k].pool);
        assert_int_equal(cnt[MODEL_OP_RESIZE_BILINEAR], 5);
        assert_int_equal(cnt[MODEL_OP_RESHAPE], 3);
        assert_int_equal(cnt[MODEL_OP_LOGISTIC], 1);
        check_landmark_io(m);
        for (int i = 0; i < m->n_ops; i++)
            if (m->ops[i].kind == MODEL_OP_RESIZE_BILINEAR)
                assert_true(m->ops[i].opt.half_pixel_centers && !m->ops[i].opt.align_corners);
        size_t checked = spot_check_fp16(m, raw, len, 100000);
        printf("%s: %zu fp16 weights match the manual decode\n", want[k].file, checked);
        assert_true(checked > 1000000);
        if (k == 2) { /* heavy: channel-axis PAD 192 -> 288 */
            int chan_pads = 0;
            for (int i = 0; i < m->n_ops; i++)
                if (m->ops[i].kind == MODEL_OP_PAD && m->ops[i].opt.pad[3][1] > 0)
                    chan_pads++;
            assert_int_equal(chan_pads, 3);
        }
        model_free(m);
        free((void *)raw);
    }
}

static void model__survives_truncation_and_byte_flips_of_a_real_model(void **state)
{
    (void)state;
    size_t len;
    uint8_t *buf = read_model("pose_landmark_lite.tflite", &len);
    int err = 0, ok = 0;
    for (int k = 1; k <= 200; k++) {
        size_t n = (size_t)((double)len * k / 201.0) + (size_t)(rng() % 64);
        if (n >= len)
            n = len - 1;
        uint8_t *cut = malloc(n);
        assert_non_null(cut);
        memcpy(cut, buf, n);
        struct model *m = NULL;
        char msg[256];
        if (load(cut, n, &m, msg, sizeof msg) == 0) {
            ok++;
            model_free(m);
        } else {
            err++;
        }
        free(cut);
    }
    printf("real truncations: %d rejected, %d loaded\n", err, ok);
    assert_int_equal(ok, 0);
    /* The metadata (tables, vectors) of this file: everything outside the big weight buffers.
     * Mutate there mostly (first and last 128 KiB), sometimes anywhere. */
    ok = err = 0;
    size_t hot = len > (256u << 10) ? (128u << 10) : len / 2;
    mutate_many(buf, len, 100, 0, hot, &ok, &err);
    mutate_many(buf, len, 100, len - hot, len, &ok, &err);
    printf("real byte flips: %d loaded, %d rejected\n", ok, err);
    assert_int_equal(ok + err, 200);
    free(buf);
}

/* --- seed corpus for tests/fuzz/fuzz_model --- */

static int write_file(const char *dir, const char *name, const uint8_t *buf, size_t len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t n = fwrite(buf, 1, len, f);
    return fclose(f) == 0 && n == len ? 0 : -1;
}

static int write_seeds(const char *dir)
{
    static const struct {
        const char *name;
        struct defect df;
    } seeds[] = {
        {"all_ops_u8.tflite", {0}},
        {"all_ops_i32.tflite", {.index_type = 1}},
        {"all_ops_u16.tflite", {.index_type = 2}},
        {"gather.tflite", {.gather = 1}},
        {"custom.tflite", {.custom = 1}},
    };
    for (size_t k = 0; k < sizeof seeds / sizeof seeds[0]; k++) {
        size_t len;
        uint8_t *buf = build_all_ops(&seeds[k].df, &len);
        int rc = write_file(dir, seeds[k].name, buf, len);
        printf("seed %s: %zu bytes%s\n", seeds[k].name, len, rc ? " (write failed)" : "");
        free(buf);
        if (rc)
            return -1;
    }
    return 0;
}

int main(void)
{
    const char *seed_dir = getenv("RR_WRITE_SEEDS");
    if (seed_dir && *seed_dir)
        return write_seeds(seed_dir) == 0 ? 0 : 1;

    const struct CMUnitTest synthetic[] = {
        cmocka_unit_test(model__loads_every_supported_op_from_a_synthetic_file),
        cmocka_unit_test(model__densifies_csr_values_into_the_right_cells),
        cmocka_unit_test(model__converts_every_fp16_value_exactly),
        cmocka_unit_test(model__rejects_wrong_identifier_and_short_files),
        cmocka_unit_test(model__rejects_a_file_truncated_at_every_offset),
        cmocka_unit_test(model__rejects_bad_root_soffset_and_vtable_entries),
        cmocka_unit_test(model__rejects_out_of_range_buffer_index),
        cmocka_unit_test(model__names_unsupported_ops),
        cmocka_unit_test(model__rejects_oversized_dims_as_toobig),
        cmocka_unit_test(model__rejects_unsupported_schema_version),
        cmocka_unit_test(model__rejects_inconsistent_shapes_and_options),
        cmocka_unit_test(model__rejects_malformed_sparse_tensors),
        cmocka_unit_test(model__rejects_bad_dataflow),
        cmocka_unit_test(model__load_file_reports_missing_file),
        cmocka_unit_test(model__survives_random_mutations_of_a_synthetic_file),
    };
    int failed = cmocka_run_group_tests_name("model_synthetic", synthetic, NULL, NULL);
    if (failed)
        return 1;
    static const char *const files[] = {"pose_detection.tflite", "pose_landmark_lite.tflite",
                                        "pose_landmark_full.tflite", "pose_landmark_heavy.tflite"};
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++)
        rrtest_require_model("test_model", files[k], model_dir, sizeof model_dir);
    const struct CMUnitTest real[] = {
        cmocka_unit_test(model__loads_the_real_detector),
        cmocka_unit_test(model__loads_the_real_landmark_models),
        cmocka_unit_test(model__survives_truncation_and_byte_flips_of_a_real_model),
    };
    return cmocka_run_group_tests_name("model_real", real, NULL, NULL) ? 1 : 0;
}
