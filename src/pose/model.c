/*
 * model.c - .tflite flatbuffer loader: validates the file and builds RepRight's graph IR.
 *
 * DESIGN
 * The loader walks the TFLite schema (field ids in ../shared/docs/blazepose.md 1.3) through the
 * bounds-checked readers of flatbuf.h, so every offset, vtable entry and vector length is
 * checked before use; the walk is schema-directed (no generic recursion) and every loop is
 * bounded by a MODEL_MAX_* limit or by a vector length that was checked against the file.
 *
 * One pass over the operators, in file order (TFLite files are topologically ordered):
 *   - DEQUANTIZE and DENSIFY of a constant are folded: the output tensor becomes an fp32
 *     constant (fp16 -> fp32 exactly, sparse CSR -> dense);
 *   - every other supported op is checked (arity, tensor kinds, shapes, options) and appended
 *     to the IR; int32 constants (PAD paddings, RESHAPE shape, RESIZE size) are consumed here;
 *   - anything else is refused with its builtin name.
 * Then only the tensors the IR references are kept (renumbered in file order), so fp16 sources,
 * sparse tensors and int32 shape constants disappear.
 *
 * Invariants the backends may rely on after a successful load:
 *   - every tensor has 1..4 dims, all >= 1, count = product <= MODEL_MAX_TENSOR_ELEMS, and the
 *     sum of all counts is <= MODEL_MAX_TOTAL_ELEMS;
 *   - constants (data != NULL) appear only as CONV2D/DWCONV2D filter and bias; every other op
 *     input, every op output and every subgraph input/output is an activation (data == NULL);
 *   - every activation is a subgraph input or the output of exactly one earlier op; no op
 *     writes a subgraph input; every subgraph output is produced by an op;
 *   - output shapes match the op semantics exactly (TF SAME/VALID sizes, same-shape ADD,
 *     CONCAT sums, DEPTH_TO_SPACE, PAD, equal counts for RESHAPE), with strides, dilations,
 *     pool sizes and blocks in [1, MODEL__MAX_PARAM].
 */
#include "pose/model.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/rr_error.h"
#include "pose/flatbuf.h"

/* Bound on strides, dilations, pool windows and block sizes, and on a conv/pool window's
 * effective extent, so that backends' index arithmetic stays far from int overflow. */
#define MODEL__MAX_PARAM 1024
#define MODEL__MAX_EXTENT (1 << 20)
#define MODEL__MAX_NAME 1024 /* longer names are truncated */
#define MODEL__MAX_OPCODES 1024
#define MODEL__MAX_IO 64

/* TensorType values used here. */
enum { TT_FLOAT32 = 0, TT_FLOAT16 = 1, TT_INT32 = 2 };

/* --- builtin operator names (schema enum BuiltinOperator) --- */
static const char *const builtin_names[] = {
    "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D", "DEPTH_TO_SPACE",
    "DEQUANTIZE", "EMBEDDING_LOOKUP", "FLOOR", "FULLY_CONNECTED", "HASHTABLE_LOOKUP",
    "L2_NORMALIZATION", "L2_POOL_2D", "LOCAL_RESPONSE_NORMALIZATION", "LOGISTIC", "LSH_PROJECTION",
    "LSTM", "MAX_POOL_2D", "MUL", "RELU", "RELU_N1_TO_1", "RELU6", "RESHAPE", "RESIZE_BILINEAR",
    "RNN", "SOFTMAX", "SPACE_TO_DEPTH", "SVDF", "TANH", "CONCAT_EMBEDDINGS", "SKIP_GRAM", "CALL",
    "CUSTOM", "EMBEDDING_LOOKUP_SPARSE", "PAD", "UNIDIRECTIONAL_SEQUENCE_RNN", "GATHER",
    "BATCH_TO_SPACE_ND", "SPACE_TO_BATCH_ND", "TRANSPOSE", "MEAN", "SUB", "DIV", "SQUEEZE",
    "UNIDIRECTIONAL_SEQUENCE_LSTM", "STRIDED_SLICE", "BIDIRECTIONAL_SEQUENCE_RNN", "EXP",
    "TOPK_V2", "SPLIT", "LOG_SOFTMAX", "DELEGATE", "BIDIRECTIONAL_SEQUENCE_LSTM", "CAST", "PRELU",
    "MAXIMUM", "ARG_MAX", "MINIMUM", "LESS", "NEG", "PADV2", "GREATER", "GREATER_EQUAL",
    "LESS_EQUAL", "SELECT", "SLICE", "SIN", "TRANSPOSE_CONV", "SPARSE_TO_DENSE", "TILE",
    "EXPAND_DIMS", "EQUAL", "NOT_EQUAL", "LOG", "SUM", "SQRT", "RSQRT", "SHAPE", "POW", "ARG_MIN",
    "FAKE_QUANT", "REDUCE_PROD", "REDUCE_MAX", "PACK", "LOGICAL_OR", "ONE_HOT", "LOGICAL_AND",
    "LOGICAL_NOT", "UNPACK", "REDUCE_MIN", "FLOOR_DIV", "REDUCE_ANY", "SQUARE", "ZEROS_LIKE",
    "FILL", "FLOOR_MOD", "RANGE", "RESIZE_NEAREST_NEIGHBOR", "LEAKY_RELU", "SQUARED_DIFFERENCE",
    "MIRROR_PAD", "ABS", "SPLIT_V", "UNIQUE", "CEIL", "REVERSE_V2", "ADD_N", "GATHER_ND", "COS",
    "WHERE", "RANK", "ELU", "REVERSE_SEQUENCE", "MATRIX_DIAG", "QUANTIZE", "MATRIX_SET_DIAG",
    "ROUND", "HARD_SWISH", "IF", "WHILE", "NON_MAX_SUPPRESSION_V4", "NON_MAX_SUPPRESSION_V5",
    "SCATTER_ND", "SELECT_V2", "DENSIFY", "SEGMENT_SUM", "BATCH_MATMUL",
    "PLACEHOLDER_FOR_GREATER_OP_CODES", "CUMSUM", "CALL_ONCE", "BROADCAST_TO", "RFFT2D",
    "CONV_3D", "IMAG", "REAL", "COMPLEX_ABS", "HASHTABLE", "HASHTABLE_FIND", "HASHTABLE_IMPORT",
    "HASHTABLE_SIZE", "REDUCE_ALL", "CONV_3D_TRANSPOSE",
};

static const char *builtin_name(int code)
{
    if (code >= 0 && (size_t)code < sizeof builtin_names / sizeof builtin_names[0])
        return builtin_names[code];
    return "UNKNOWN";
}

static const char *const kind_names[MODEL_OP__COUNT] = {
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

const char *model_op_name(enum model_op_kind k)
{
    if ((unsigned)k < MODEL_OP__COUNT)
        return kind_names[k];
    return "UNKNOWN";
}

/* --- loader state --- */

/* One tensor of the file, while loading. */
struct ltensor {
    struct flatbuf_table tab;
    int ndim;
    int dims[MODEL_MAX_DIMS];
    size_t count;
    int type;
    const uint8_t *raw; /* constant bytes in the file (dense values, or sparse non-zeros) */
    size_t raw_len;
    int sparse;
    struct flatbuf_table sparsity;
    int is_const;  /* has a buffer, or is the output of a folded op */
    float *f32;    /* materialised fp32 constant (owned until moved into the model) */
    int produced;  /* written by an op already seen (or a subgraph input) */
    int is_input;
    int keep;      /* referenced by the IR */
    int new_index;
};

/* One operator of the file, as parsed. */
struct lop {
    int code;
    int n_in;
    int in[MODEL_MAX_OP_INPUTS];
    int out;
    int has_opts;
    struct flatbuf_table opts;
};

struct loader {
    struct flatbuf fb;
    char *msg;
    size_t msg_len;
    int *codes;
    int n_codes;
    struct flatbuf_vec buffers;
    struct ltensor *t;
    int n_t;
    size_t alloc_elems; /* fp32 constant elements materialised so far */
    struct model_op *ops;
    int n_ops;
};

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int fail(struct loader *L, int rc, const char *fmt, ...)
{
    if (L->msg && L->msg_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(L->msg, L->msg_len, fmt, ap);
        va_end(ap);
    }
    return rc;
}

/* Exact IEEE binary16 -> binary32 (subnormals normalised, inf and NaN payload kept). */
static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t man = h & 0x3ffu;
    uint32_t bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else {
            uint32_t e = 113; /* 127 - 14: exponent of 2^-14 */
            while (!(man & 0x400u)) {
                man <<= 1;
                e--;
            }
            bits = sign | (e << 23) | ((man & 0x3ffu) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (man << 13);
    } else {
        bits = sign | ((exp + 112) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static size_t type_size(int type)
{
    switch (type) {
    case TT_FLOAT32:
    case TT_INT32:
        return 4;
    case TT_FLOAT16:
        return 2;
    default:
        return 0;
    }
}

static float raw_value(int type, const uint8_t *p)
{
    if (type == TT_FLOAT16)
        return half_to_float(flatbuf_le16(p));
    uint32_t bits = flatbuf_le32(p);
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static char *dup_bounded(const char *s, size_t n)
{
    if (n > MODEL__MAX_NAME)
        n = MODEL__MAX_NAME;
    const char *nul = memchr(s, 0, n);
    if (nul)
        n = (size_t)(nul - s);
    char *d = malloc(n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

/* --- parsing of the file's tables --- */

static int parse_opcodes(struct loader *L, const struct flatbuf_table *root)
{
    struct flatbuf_vec v;
    if (flatbuf_vec_field(root, 1, 4, &v) < 0)
        return fail(L, RR_ERR_CORRUPT, "malformed operator_codes vector");
    if (v.n > MODEL__MAX_OPCODES)
        return fail(L, RR_ERR_TOOBIG, "%zu operator codes (limit %d)", v.n, MODEL__MAX_OPCODES);
    L->n_codes = (int)v.n;
    L->codes = calloc(v.n ? v.n : 1, sizeof *L->codes);
    if (!L->codes)
        return RR_ERR_NOMEM;
    for (size_t i = 0; i < v.n; i++) {
        struct flatbuf_table oc;
        int8_t dep;
        int32_t code;
        if (flatbuf_vec_table(&v, i, &oc) < 0 || flatbuf_i8(&oc, 0, 0, &dep) < 0 ||
            flatbuf_i32(&oc, 3, 0, &code) < 0)
            return fail(L, RR_ERR_CORRUPT, "operator code %zu: malformed table", i);
        if (dep > code)
            code = dep;
        if (code < 0)
            return fail(L, RR_ERR_CORRUPT, "operator code %zu: negative builtin code %d", i,
                        (int)code);
        L->codes[i] = (int)code;
    }
    return 0;
}

/* Shape, type, buffer and sparsity of tensor i. */
static int parse_tensor(struct loader *L, int i)
{
    struct ltensor *t = &L->t[i];
    struct flatbuf_vec shape;
    int8_t type;
    uint32_t buf;
    if (flatbuf_vec_field(&t->tab, 0, 4, &shape) < 0 || flatbuf_i8(&t->tab, 1, 0, &type) < 0 ||
        flatbuf_u32(&t->tab, 2, 0, &buf) < 0)
        return fail(L, RR_ERR_CORRUPT, "tensor %d: malformed table", i);
    if (shape.n > MODEL_MAX_DIMS)
        return fail(L, RR_ERR_UNSUPPORTED, "tensor %d: %zu dimensions (at most %d)", i, shape.n,
                    MODEL_MAX_DIMS);
    t->type = type;
    t->count = 1;
    if (shape.n == 0) { /* a scalar: one element */
        t->ndim = 1;
        t->dims[0] = 1;
    } else {
        t->ndim = (int)shape.n;
        for (int d = 0; d < t->ndim; d++) {
            int32_t v = flatbuf_vec_i32(&shape, (size_t)d);
            if (v < 1)
                return fail(L, RR_ERR_CORRUPT, "tensor %d: dimension %d is %d", i, d, (int)v);
            if ((size_t)v > MODEL_MAX_TENSOR_ELEMS / t->count)
                return fail(L, RR_ERR_TOOBIG, "tensor %d: more than %zu elements", i,
                            MODEL_MAX_TENSOR_ELEMS);
            t->dims[d] = v;
            t->count *= (size_t)v;
        }
    }

    struct flatbuf_table q;
    int rc = flatbuf_table_field(&t->tab, 4, &q);
    if (rc < 0)
        return fail(L, RR_ERR_CORRUPT, "tensor %d: malformed quantization", i);
    if (rc > 0) {
        struct flatbuf_vec scale;
        if (flatbuf_vec_field(&q, 2, 4, &scale) < 0)
            return fail(L, RR_ERR_CORRUPT, "tensor %d: malformed quantization", i);
        if (scale.n > 0)
            return fail(L, RR_ERR_UNSUPPORTED, "tensor %d: quantized tensors are not supported", i);
    }
    rc = flatbuf_table_field(&t->tab, 6, &t->sparsity);
    if (rc < 0)
        return fail(L, RR_ERR_CORRUPT, "tensor %d: malformed sparsity", i);
    t->sparse = rc > 0;

    if (buf >= L->buffers.n)
        return fail(L, RR_ERR_CORRUPT, "tensor %d: buffer index %u out of range", i, buf);
    if (buf > 0) {
        struct flatbuf_table b;
        struct flatbuf_vec data;
        uint64_t off = 0;
        if (flatbuf_vec_table(&L->buffers, buf, &b) < 0 || flatbuf_vec_field(&b, 0, 1, &data) < 0 ||
            flatbuf_u64(&b, 1, 0, &off) < 0)
            return fail(L, RR_ERR_CORRUPT, "tensor %d: malformed buffer %u", i, buf);
        if (off > 1)
            return fail(L, RR_ERR_UNSUPPORTED, "tensor %d: external buffers are not supported", i);
        if (data.n > 0) {
            t->raw = L->fb.data + data.pos;
            t->raw_len = data.n;
            t->is_const = 1;
        }
    }
    if (t->sparse && !t->is_const)
        return fail(L, RR_ERR_CORRUPT, "tensor %d: sparse tensor without data", i);
    if (t->is_const) {
        size_t es = type_size(t->type);
        if (!es)
            return fail(L, RR_ERR_UNSUPPORTED, "tensor %d: constant of unsupported type %d", i,
                        t->type);
        if (t->raw_len % es)
            return fail(L, RR_ERR_CORRUPT, "tensor %d: buffer size %zu is not a multiple of %zu", i,
                        t->raw_len, es);
        if (!t->sparse && t->raw_len / es != t->count)
            return fail(L, RR_ERR_CORRUPT, "tensor %d: buffer holds %zu values, shape needs %zu", i,
                        t->raw_len / es, t->count);
    }
    return 0;
}

/* --- constants --- */

static int take_elems(struct loader *L, int i, size_t n)
{
    if (n > MODEL_MAX_TOTAL_ELEMS - L->alloc_elems)
        return fail(L, RR_ERR_TOOBIG, "tensor %d: constants exceed %zu elements in total", i,
                    MODEL_MAX_TOTAL_ELEMS);
    L->alloc_elems += n;
    return 0;
}

/* The `values` vector of a SparseIndexVector union member with tag `tag`. */
static int sparse_index_vec(struct loader *L, int ti, const struct flatbuf_table *dm, int tag_id,
                            struct flatbuf_vec *v)
{
    uint8_t tag;
    struct flatbuf_table u;
    if (flatbuf_u8(dm, tag_id, 0, &tag) < 0 || flatbuf_table_field(dm, tag_id + 1, &u) <= 0)
        return fail(L, RR_ERR_CORRUPT, "tensor %d: missing sparse index vector", ti);
    size_t elem = tag == 1 ? 4 : tag == 2 ? 2 : tag == 3 ? 1 : 0;
    if (!elem)
        return fail(L, RR_ERR_CORRUPT, "tensor %d: sparse index vector type %d", ti, tag);
    if (flatbuf_vec_field(&u, 0, elem, v) < 0)
        return fail(L, RR_ERR_CORRUPT, "tensor %d: malformed sparse index vector", ti);
    return 0;
}

static size_t sparse_index(const struct flatbuf_vec *v, size_t k)
{
    const uint8_t *p = flatbuf_vec_at(v, k);
    if (v->elem == 1)
        return p[0];
    if (v->elem == 2)
        return flatbuf_le16(p);
    int32_t x = (int32_t)flatbuf_le32(p);
    return x < 0 ? SIZE_MAX : (size_t)x;
}

/* Dense fp32 values of a sparse constant into out (count floats, zeroed). Supported format:
 * identity traversal order, no block map, dims 0..n-2 DENSE and the last dim DENSE or
 * SPARSE_CSR (rows = product of the leading dims, row r owns entries [seg[r], seg[r+1])). */
static int densify(struct loader *L, int i, float *out)
{
    struct ltensor *t = &L->t[i];
    struct flatbuf_vec order, blocks, dm;
    if (flatbuf_vec_field(&t->sparsity, 0, 4, &order) < 0 ||
        flatbuf_vec_field(&t->sparsity, 1, 4, &blocks) < 0 ||
        flatbuf_vec_field(&t->sparsity, 2, 4, &dm) < 0)
        return fail(L, RR_ERR_CORRUPT, "tensor %d: malformed sparsity parameters", i);
    if (blocks.n != 0 || order.n != (size_t)t->ndim || dm.n != (size_t)t->ndim)
        return fail(L, RR_ERR_UNSUPPORTED, "tensor %d: unsupported sparse format (block map or "
                    "traversal order)", i);
    for (int d = 0; d < t->ndim; d++)
        if (flatbuf_vec_i32(&order, (size_t)d) != d)
            return fail(L, RR_ERR_UNSUPPORTED, "tensor %d: unsupported sparse traversal order", i);

    size_t es = type_size(t->type);
    if (t->type != TT_FLOAT16 && t->type != TT_FLOAT32)
        return fail(L, RR_ERR_UNSUPPORTED, "tensor %d: sparse tensor of type %d", i, t->type);
    size_t nnz = t->raw_len / es;
    int last = t->ndim - 1;
    for (int d = 0; d <= last; d++) {
        struct flatbuf_table m;
        int8_t format;
        int32_t dense_size;
        if (flatbuf_vec_table(&dm, (size_t)d, &m) < 0 || flatbuf_i8(&m, 0, 0, &format) < 0 ||
            flatbuf_i32(&m, 1, 0, &dense_size) < 0)
            return fail(L, RR_ERR_CORRUPT, "tensor %d: malformed dimension metadata %d", i, d);
        if (d < last || format == 0) {
            if (format != 0 || dense_size != t->dims[d])
                return fail(L, RR_ERR_UNSUPPORTED, "tensor %d: unsupported sparse dimension %d", i,
                            d);
            if (d == last) { /* all dimensions dense: plain values */
                if (nnz != t->count)
                    return fail(L, RR_ERR_CORRUPT, "tensor %d: %zu values for %zu elements", i, nnz,
                                t->count);
                for (size_t k = 0; k < nnz; k++)
                    out[k] = raw_value(t->type, t->raw + k * es);
            }
            continue;
        }
        if (format != 1)
            return fail(L, RR_ERR_CORRUPT, "tensor %d: dimension %d has format %d", i, d, format);
        struct flatbuf_vec seg, idx;
        int rc = sparse_index_vec(L, i, &m, 2, &seg);
        if (rc < 0)
            return rc;
        rc = sparse_index_vec(L, i, &m, 4, &idx);
        if (rc < 0)
            return rc;
        size_t cols = (size_t)t->dims[last];
        size_t rows = t->count / cols;
        if (seg.n != rows + 1 || idx.n != nnz)
            return fail(L, RR_ERR_CORRUPT, "tensor %d: %zu segments and %zu indices for %zu rows "
                        "and %zu values", i, seg.n, idx.n, rows, nnz);
        if (sparse_index(&seg, 0) != 0 || sparse_index(&seg, rows) != nnz)
            return fail(L, RR_ERR_CORRUPT, "tensor %d: segments do not span the values", i);
        for (size_t r = 0; r < rows; r++) {
            size_t a = sparse_index(&seg, r), b = sparse_index(&seg, r + 1);
            if (b < a || b > nnz)
                return fail(L, RR_ERR_CORRUPT, "tensor %d: segments not monotonic at row %zu", i, r);
            for (size_t k = a; k < b; k++) {
                size_t c = sparse_index(&idx, k);
                if (c >= cols)
                    return fail(L, RR_ERR_CORRUPT, "tensor %d: index %zu out of range at row %zu", i,
                                c, r);
                out[r * cols + c] = raw_value(t->type, t->raw + k * es);
            }
        }
    }
    return 0;
}

/* Make t->f32 hold the tensor's fp32 values (dense fp32/fp16 buffers, or sparse). */
static int materialize(struct loader *L, int i)
{
    struct ltensor *t = &L->t[i];
    if (t->f32)
        return 0;
    if (!t->is_const)
        return fail(L, RR_ERR_CORRUPT, "tensor %d: not a constant", i);
    if (t->type != TT_FLOAT16 && t->type != TT_FLOAT32)
        return fail(L, RR_ERR_UNSUPPORTED, "tensor %d: constant of type %d where fp32 is needed", i,
                    t->type);
    int rc = take_elems(L, i, t->count);
    if (rc < 0)
        return rc;
    float *f = calloc(t->count, sizeof *f);
    if (!f)
        return RR_ERR_NOMEM;
    if (t->sparse) {
        rc = densify(L, i, f);
        if (rc < 0) {
            free(f);
            return rc;
        }
    } else {
        size_t es = type_size(t->type);
        for (size_t k = 0; k < t->count; k++)
            f[k] = raw_value(t->type, t->raw + k * es);
    }
    t->f32 = f;
    return 0;
}

/* Dense int32 constant (PAD paddings, RESHAPE shape, RESIZE size): pointer to its raw bytes. */
static int int32_const(struct loader *L, int opi, int i, size_t want, const char *what,
                       const uint8_t **raw)
{
    struct ltensor *t = &L->t[i];
    if (!t->is_const || t->sparse || t->type != TT_INT32)
        return fail(L, RR_ERR_UNSUPPORTED, "operator %d: %s must be a constant int32 tensor", opi,
                    what);
    if (want && t->count != want)
        return fail(L, RR_ERR_CORRUPT, "operator %d: %s has %zu values, expected %zu", opi, what,
                    t->count, want);
    *raw = t->raw;
    return 0;
}

/* --- operators --- */

/* An activation input: fp32, and a subgraph input or the output of an earlier op. */
static int need_act(struct loader *L, int opi, int i)
{
    struct ltensor *t = &L->t[i];
    if (t->is_const)
        return fail(L, RR_ERR_UNSUPPORTED, "operator %d: constant tensor %d used as data input",
                    opi, i);
    if (!t->produced)
        return fail(L, RR_ERR_CORRUPT, "operator %d: input tensor %d is used before it is computed",
                    opi, i);
    if (t->type != TT_FLOAT32)
        return fail(L, RR_ERR_UNSUPPORTED, "operator %d: tensor %d has type %d (only float32 "
                    "activations)", opi, i, t->type);
    return 0;
}

static int need_weight(struct loader *L, int opi, int i)
{
    if (!L->t[i].is_const)
        return fail(L, RR_ERR_UNSUPPORTED, "operator %d: tensor %d must be a constant", opi, i);
    return materialize(L, i);
}

/* The op's output must be a fresh fp32 activation (marked produced only after the op's
 * inputs were checked, so an op cannot read its own output). */
static int check_output(struct loader *L, int opi, int i)
{
    struct ltensor *t = &L->t[i];
    if (t->is_const || t->produced)
        return fail(L, RR_ERR_CORRUPT, "operator %d: output tensor %d is %s", opi, i,
                    t->is_input ? "a subgraph input" : t->is_const ? "a constant"
                                                                   : "already computed");
    if (t->type != TT_FLOAT32)
        return fail(L, RR_ERR_UNSUPPORTED, "operator %d: output tensor %d has type %d", opi, i,
                    t->type);
    return 0;
}

static int check_param(struct loader *L, int opi, const char *what, int32_t v)
{
    if (v < 1 || v > MODEL__MAX_PARAM)
        return fail(L, RR_ERR_CORRUPT, "operator %d: %s %d out of range", opi, what, (int)v);
    return 0;
}

static int check_act(struct loader *L, int opi, int8_t act)
{
    if (act < 0 || act > MODEL_ACT_RELU6)
        return fail(L, RR_ERR_UNSUPPORTED, "operator %d: fused activation %d", opi, act);
    return 0;
}

static int need_4d(struct loader *L, int opi, int i)
{
    if (L->t[i].ndim != 4)
        return fail(L, RR_ERR_UNSUPPORTED, "operator %d: tensor %d is %d-d, expected 4-d NHWC", opi,
                    i, L->t[i].ndim);
    return 0;
}

static int same_shape(const struct ltensor *a, const struct ltensor *b)
{
    if (a->ndim != b->ndim)
        return 0;
    for (int d = 0; d < a->ndim; d++)
        if (a->dims[d] != b->dims[d])
            return 0;
    return 1;
}

static int shape_error(struct loader *L, int opi, const char *what)
{
    return fail(L, RR_ERR_CORRUPT, "operator %d (%s): inconsistent shapes", opi, what);
}

/* Output extent of a window op along one axis (TF SAME/VALID), or -1 when invalid. */
static int64_t window_out(int in, int k, int stride, int dil, int same)
{
    int64_t eff = (int64_t)(k - 1) * dil + 1;
    if (eff > MODEL__MAX_EXTENT)
        return -1;
    if (same)
        return ((int64_t)in + stride - 1) / stride;
    if (eff > in)
        return -1;
    return ((int64_t)in - eff) / stride + 1;
}

/* Spatial checks shared by conv, depthwise conv and max pool: x [N,H,W,C] -> y [N,OH,OW,oc]. */
static int check_window(struct loader *L, int opi, const char *what, const struct model_op *op,
                        int x, int y, int kh, int kw, int oc)
{
    const struct ltensor *a = &L->t[x], *b = &L->t[y];
    int64_t oh = window_out(a->dims[1], kh, op->opt.stride_h, op->opt.dilation_h,
                            op->opt.same_padding);
    int64_t ow = window_out(a->dims[2], kw, op->opt.stride_w, op->opt.dilation_w,
                            op->opt.same_padding);
    if (b->ndim != 4 || b->dims[0] != a->dims[0] || oh != b->dims[1] || ow != b->dims[2] ||
        b->dims[3] != oc)
        return shape_error(L, opi, what);
    return 0;
}

static int parse_padding(struct loader *L, int opi, const struct flatbuf_table *o, int id,
                         struct model_op *op)
{
    int8_t pad;
    if (flatbuf_i8(o, id, 0, &pad) < 0)
        return fail(L, RR_ERR_CORRUPT, "operator %d: malformed options", opi);
    if (pad != 0 && pad != 1)
        return fail(L, RR_ERR_CORRUPT, "operator %d: padding %d", opi, pad);
    op->opt.same_padding = pad == 0;
    return 0;
}

typedef int (*op_build_fn)(struct loader *L, int opi, const struct lop *o, struct model_op *op);

static int build_conv(struct loader *L, int opi, const struct lop *o, struct model_op *op)
{
    int depthwise = op->kind == MODEL_OP_DWCONV2D;
    /* Conv2D {0 padding, 1 stride_w, 2 stride_h, 3 act, 4 dil_w, 5 dil_h};
     * DepthwiseConv2D {0 padding, 1 stride_w, 2 stride_h, 3 depth_multiplier, 4 act, 5 dil_w, 6 dil_h}. */
    int base = depthwise ? 1 : 0;
    int32_t sw = 0, sh = 0, dw = 1, dh = 1;
    int8_t act = 0;
    if (o->has_opts &&
        (flatbuf_i32(&o->opts, 1, 0, &sw) < 0 || flatbuf_i32(&o->opts, 2, 0, &sh) < 0 ||
         flatbuf_i8(&o->opts, 3 + base, 0, &act) < 0 ||
         flatbuf_i32(&o->opts, 4 + base, 1, &dw) < 0 || flatbuf_i32(&o->opts, 5 + base, 1, &dh) < 0))
        return fail(L, RR_ERR_CORRUPT, "operator %d: malformed options", opi);
    int rc = o->has_opts ? parse_padding(L, opi, &o->opts, 0, op) : 0;
    if (!o->has_opts)
        op->opt.same_padding = 1;
    if (rc < 0 || (rc = check_param(L, opi, "stride", sw)) < 0 ||
        (rc = check_param(L, opi, "stride", sh)) < 0 ||
        (rc = check_param(L, opi, "dilation", dw)) < 0 ||
        (rc = check_param(L, opi, "dilation", dh)) < 0 || (rc = check_act(L, opi, act)) < 0)
        return rc;
    op->opt.stride_w = sw;
    op->opt.stride_h = sh;
    op->opt.dilation_w = dw;
    op->opt.dilation_h = dh;
    op->opt.act = act;

    int x = o->in[0], w = o->in[1], bias = o->in[2];
    if ((rc = need_act(L, opi, x)) < 0 || (rc = need_4d(L, opi, x)) < 0 ||
        (rc = need_weight(L, opi, w)) < 0 || (rc = need_4d(L, opi, w)) < 0 ||
        (rc = need_weight(L, opi, bias)) < 0)
        return rc;
    const struct ltensor *tx = &L->t[x], *tw = &L->t[w], *tb = &L->t[bias];
    int ch = tx->dims[3];
    int oc = depthwise ? tw->dims[3] : tw->dims[0];
    if (depthwise ? (tw->dims[0] != 1 || oc != ch) : tw->dims[3] != ch)
        return depthwise && tw->dims[0] == 1
                   ? fail(L, RR_ERR_UNSUPPORTED, "operator %d: depth multiplier other than 1", opi)
                   : shape_error(L, opi, kind_names[op->kind]);
    if (tb->ndim != 1 || tb->count != (size_t)oc)
        return shape_error(L, opi, kind_names[op->kind]);
    rc = check_window(L, opi, kind_names[op->kind], op, x, o->out, tw->dims[1], tw->dims[2], oc);
    if (rc < 0)
        return rc;
    op->n_inputs = 3;
    op->inputs[0] = x;
    op->inputs[1] = w;
    op->inputs[2] = bias;
    return 0;
}

static int build_maxpool(struct loader *L, int opi, const struct lop *o, struct model_op *op)
{
    /* Pool2D {0 padding, 1 stride_w, 2 stride_h, 3 filter_w, 4 filter_h, 5 act} */
    int32_t sw = 0, sh = 0, fw = 0, fh = 0;
    int8_t act = 0;
    op->opt.same_padding = 1;
    if (o->has_opts &&
        (flatbuf_i32(&o->opts, 1, 0, &sw) < 0 || flatbuf_i32(&o->opts, 2, 0, &sh) < 0 ||
         flatbuf_i32(&o->opts, 3, 0, &fw) < 0 || flatbuf_i32(&o->opts, 4, 0, &fh) < 0 ||
         flatbuf_i8(&o->opts, 5, 0, &act) < 0))
        return fail(L, RR_ERR_CORRUPT, "operator %d: malformed options", opi);
    int rc = o->has_opts ? parse_padding(L, opi, &o->opts, 0, op) : 0;
    if (rc < 0 || (rc = check_param(L, opi, "stride", sw)) < 0 ||
        (rc = check_param(L, opi, "stride", sh)) < 0 ||
        (rc = check_param(L, opi, "filter size", fw)) < 0 ||
        (rc = check_param(L, opi, "filter size", fh)) < 0 || (rc = check_act(L, opi, act)) < 0)
        return rc;
    op->opt.stride_w = sw;
    op->opt.stride_h = sh;
    op->opt.filter_w = fw;
    op->opt.filter_h = fh;
    op->opt.dilation_w = op->opt.dilation_h = 1;
    op->opt.act = act;
    int x = o->in[0];
    if ((rc = need_act(L, opi, x)) < 0 || (rc = need_4d(L, opi, x)) < 0)
        return rc;
    return check_window(L, opi, "MAX_POOL_2D", op, x, o->out, fh, fw, L->t[x].dims[3]);
}

static int build_add(struct loader *L, int opi, const struct lop *o, struct model_op *op)
{
    int8_t act = 0;
    int rc;
    if (o->has_opts && flatbuf_i8(&o->opts, 0, 0, &act) < 0)
        return fail(L, RR_ERR_CORRUPT, "operator %d: malformed options", opi);
    if ((rc = check_act(L, opi, act)) < 0 || (rc = need_act(L, opi, o->in[0])) < 0 ||
        (rc = need_act(L, opi, o->in[1])) < 0)
        return rc;
    op->opt.act = act;
    if (!same_shape(&L->t[o->in[0]], &L->t[o->in[1]]))
        return fail(L, RR_ERR_UNSUPPORTED, "operator %d: ADD with broadcasting", opi);
    if (!same_shape(&L->t[o->in[0]], &L->t[o->out]))
        return shape_error(L, opi, "ADD");
    return 0;
}

static int build_logistic(struct loader *L, int opi, const struct lop *o, struct model_op *op)
{
    (void)op;
    int rc = need_act(L, opi, o->in[0]);
    if (rc < 0)
        return rc;
    if (!same_shape(&L->t[o->in[0]], &L->t[o->out]))
        return shape_error(L, opi, "LOGISTIC");
    return 0;
}

static int build_pad(struct loader *L, int opi, const struct lop *o, struct model_op *op)
{
    int x = o->in[0];
    const uint8_t *raw = NULL;
    int rc = need_act(L, opi, x);
    if (rc < 0)
        return rc;
    const struct ltensor *tx = &L->t[x], *ty = &L->t[o->out];
    rc = int32_const(L, opi, o->in[1], 2 * (size_t)tx->ndim, "paddings", &raw);
    if (rc < 0)
        return rc;
    if (ty->ndim != tx->ndim)
        return shape_error(L, opi, "PAD");
    for (int d = 0; d < tx->ndim; d++) {
        int32_t before = (int32_t)flatbuf_le32(raw + 8 * d);
        int32_t after = (int32_t)flatbuf_le32(raw + 8 * d + 4);
        if (before < 0 || after < 0 || (int64_t)tx->dims[d] + before + after != ty->dims[d])
            return shape_error(L, opi, "PAD");
        op->opt.pad[d][0] = before;
        op->opt.pad[d][1] = after;
    }
    op->n_inputs = 1;
    return 0;
}

static int build_resize(struct loader *L, int opi, const struct lop *o, struct model_op *op)
{
    /* ResizeBilinear {2 align_corners, 3 half_pixel_centers} */
    uint8_t ac = 0, hp = 0;
    const uint8_t *raw = NULL;
    int x = o->in[0];
    if (o->has_opts && (flatbuf_u8(&o->opts, 2, 0, &ac) < 0 || flatbuf_u8(&o->opts, 3, 0, &hp) < 0))
        return fail(L, RR_ERR_CORRUPT, "operator %d: malformed options", opi);
    if (ac && hp)
        return fail(L, RR_ERR_CORRUPT, "operator %d: align_corners with half_pixel_centers", opi);
    op->opt.align_corners = ac != 0;
    op->opt.half_pixel_centers = hp != 0;
    int rc;
    if ((rc = need_act(L, opi, x)) < 0 || (rc = need_4d(L, opi, x)) < 0 ||
        (rc = int32_const(L, opi, o->in[1], 2, "size", &raw)) < 0)
        return rc;
    const struct ltensor *tx = &L->t[x], *ty = &L->t[o->out];
    if (ty->ndim != 4 || ty->dims[0] != tx->dims[0] || ty->dims[3] != tx->dims[3] ||
        (int32_t)flatbuf_le32(raw) != ty->dims[1] || (int32_t)flatbuf_le32(raw + 4) != ty->dims[2])
        return shape_error(L, opi, "RESIZE_BILINEAR");
    op->n_inputs = 1;
    return 0;
}

static int build_depth_to_space(struct loader *L, int opi, const struct lop *o, struct model_op *op)
{
    int32_t block = 0;
    int x = o->in[0];
    if (o->has_opts && flatbuf_i32(&o->opts, 0, 0, &block) < 0)
        return fail(L, RR_ERR_CORRUPT, "operator %d: malformed options", opi);
    int rc;
    if ((rc = check_param(L, opi, "block size", block)) < 0 || (rc = need_act(L, opi, x)) < 0 ||
        (rc = need_4d(L, opi, x)) < 0)
        return rc;
    op->opt.block = block;
    const struct ltensor *tx = &L->t[x], *ty = &L->t[o->out];
    int64_t bb = (int64_t)block * block;
    if (tx->dims[3] % bb != 0 || ty->ndim != 4 || ty->dims[0] != tx->dims[0] ||
        ty->dims[1] != (int64_t)tx->dims[1] * block || ty->dims[2] != (int64_t)tx->dims[2] * block ||
        ty->dims[3] != tx->dims[3] / bb)
        return shape_error(L, opi, "DEPTH_TO_SPACE");
    return 0;
}

static int build_reshape(struct loader *L, int opi, const struct lop *o, struct model_op *op)
{
    int x = o->in[0];
    int rc = need_act(L, opi, x);
    if (rc < 0)
        return rc;
    const struct ltensor *ty = &L->t[o->out];
    if (L->t[x].count != ty->count)
        return shape_error(L, opi, "RESHAPE");
    if (o->n_in == 2) { /* the shape tensor must agree with the output (-1 = inferred) */
        const uint8_t *raw = NULL;
        rc = int32_const(L, opi, o->in[1], 0, "shape", &raw);
        if (rc < 0)
            return rc;
        const struct ltensor *ts = &L->t[o->in[1]];
        if (ts->count != (size_t)ty->ndim)
            return shape_error(L, opi, "RESHAPE");
        for (int d = 0; d < ty->ndim; d++) {
            int32_t v = (int32_t)flatbuf_le32(raw + 4 * d);
            if (v != -1 && v != ty->dims[d])
                return shape_error(L, opi, "RESHAPE");
        }
    }
    op->n_inputs = 1;
    return 0;
}

static int build_concat(struct loader *L, int opi, const struct lop *o, struct model_op *op)
{
    int32_t axis = 0;
    int8_t act = 0;
    if (o->has_opts && (flatbuf_i32(&o->opts, 0, 0, &axis) < 0 || flatbuf_i8(&o->opts, 1, 0, &act) < 0))
        return fail(L, RR_ERR_CORRUPT, "operator %d: malformed options", opi);
    const struct ltensor *ty = &L->t[o->out];
    int rc = check_act(L, opi, act);
    if (rc < 0)
        return rc;
    if (axis < 0)
        axis += ty->ndim;
    if (axis < 0 || axis >= ty->ndim)
        return fail(L, RR_ERR_CORRUPT, "operator %d: concatenation axis out of range", opi);
    op->opt.axis = axis;
    op->opt.act = act;
    int64_t sum = 0;
    for (int k = 0; k < o->n_in; k++) {
        rc = need_act(L, opi, o->in[k]);
        if (rc < 0)
            return rc;
        const struct ltensor *tx = &L->t[o->in[k]];
        if (tx->ndim != ty->ndim)
            return shape_error(L, opi, "CONCATENATION");
        for (int d = 0; d < ty->ndim; d++)
            if (d != axis && tx->dims[d] != ty->dims[d])
                return shape_error(L, opi, "CONCATENATION");
        sum += tx->dims[axis];
    }
    if (sum != ty->dims[axis])
        return shape_error(L, opi, "CONCATENATION");
    return 0;
}

enum { FOLD_DEQUANTIZE = MODEL_OP__COUNT, FOLD_DENSIFY };

/* Supported builtin codes: what they become, their BuiltinOptions tag, arity, builder. */
static const struct op_desc {
    int code;
    int kind; /* enum model_op_kind, or FOLD_* */
    int opt_tag;
    int min_in, max_in;
    op_build_fn build;
} op_table[] = {
    {0, MODEL_OP_ADD, 11, 2, 2, build_add},
    {2, MODEL_OP_CONCAT, 10, 1, MODEL_MAX_OP_INPUTS, build_concat},
    {3, MODEL_OP_CONV2D, 1, 3, 3, build_conv},
    {4, MODEL_OP_DWCONV2D, 2, 3, 3, build_conv},
    {5, MODEL_OP_DEPTH_TO_SPACE, 94, 1, 1, build_depth_to_space},
    {6, FOLD_DEQUANTIZE, 38, 1, 1, NULL},
    {14, MODEL_OP_LOGISTIC, 0, 1, 1, build_logistic},
    {17, MODEL_OP_MAXPOOL2D, 5, 1, 1, build_maxpool},
    {22, MODEL_OP_RESHAPE, 17, 1, 2, build_reshape},
    {23, MODEL_OP_RESIZE_BILINEAR, 15, 2, 2, build_resize},
    {34, MODEL_OP_PAD, 22, 2, 2, build_pad},
    {124, FOLD_DENSIFY, 99, 1, 1, NULL},
};

static const struct op_desc *find_op(int code)
{
    for (size_t i = 0; i < sizeof op_table / sizeof op_table[0]; i++)
        if (op_table[i].code == code)
            return &op_table[i];
    return NULL;
}

/* DEQUANTIZE / DENSIFY of a constant: the output becomes an fp32 constant. */
static int fold(struct loader *L, int opi, const struct op_desc *d, const struct lop *o)
{
    struct ltensor *in = &L->t[o->in[0]], *out = &L->t[o->out];
    const char *name = d->kind == FOLD_DEQUANTIZE ? "DEQUANTIZE" : "DENSIFY";
    if (!in->is_const)
        return fail(L, RR_ERR_UNSUPPORTED, "operator %d: %s of a non-constant tensor", opi, name);
    if (d->kind == FOLD_DEQUANTIZE ? in->type != TT_FLOAT16 || out->type != TT_FLOAT32
                                   : in->type != out->type)
        return fail(L, RR_ERR_UNSUPPORTED, "operator %d: %s from type %d to type %d", opi, name,
                    in->type, out->type);
    if (out->is_const || out->produced)
        return fail(L, RR_ERR_CORRUPT, "operator %d: output tensor %d is already defined", opi,
                    o->out);
    if (!same_shape(in, out))
        return shape_error(L, opi, name);
    int rc = materialize(L, o->in[0]);
    if (rc < 0)
        return rc;
    if (in->raw) {
        /* File-backed source: hand its values over; materialize() can redo them if another
         * op reads the same source. */
        out->f32 = in->f32;
        in->f32 = NULL;
    } else {
        rc = take_elems(L, o->out, out->count);
        if (rc < 0)
            return rc;
        out->f32 = malloc(out->count * sizeof *out->f32);
        if (!out->f32)
            return RR_ERR_NOMEM;
        memcpy(out->f32, in->f32, out->count * sizeof *out->f32);
    }
    out->is_const = 1;
    out->produced = 1;
    return 0;
}

static int parse_operator(struct loader *L, int opi, const struct flatbuf_vec *ops, struct lop *o)
{
    struct flatbuf_table t;
    uint32_t opcode;
    uint8_t opt_type;
    struct flatbuf_vec in, out;
    if (flatbuf_vec_table(ops, (size_t)opi, &t) < 0 || flatbuf_u32(&t, 0, 0, &opcode) < 0 ||
        flatbuf_vec_field(&t, 1, 4, &in) < 0 || flatbuf_vec_field(&t, 2, 4, &out) < 0 ||
        flatbuf_u8(&t, 3, 0, &opt_type) < 0)
        return fail(L, RR_ERR_CORRUPT, "operator %d: malformed table", opi);
    if (opcode >= (uint32_t)L->n_codes)
        return fail(L, RR_ERR_CORRUPT, "operator %d: opcode index %u out of range", opi, opcode);
    o->code = L->codes[opcode];
    const struct op_desc *d = find_op(o->code);
    if (!d) {
        if (o->code == 32) {
            struct flatbuf_table oc;
            const char *s = "";
            size_t n = 0;
            struct flatbuf_vec codes;
            struct flatbuf_table root;
            if (flatbuf_root(&L->fb, &root) == 0 && flatbuf_vec_field(&root, 1, 4, &codes) > 0 &&
                opcode < codes.n && flatbuf_vec_table(&codes, opcode, &oc) == 0)
                flatbuf_string_field(&oc, 1, &s, &n);
            int len = n > 64 ? 64 : (int)n;
            return fail(L, RR_ERR_UNSUPPORTED, "unsupported custom op '%.*s' at operator %d", len, s,
                        opi);
        }
        return fail(L, RR_ERR_UNSUPPORTED, "unsupported op %s (%d) at operator %d",
                    builtin_name(o->code), o->code, opi);
    }
    if (in.n < (size_t)d->min_in || in.n > (size_t)d->max_in || out.n != 1)
        return fail(L, RR_ERR_CORRUPT, "operator %d (%s): %zu inputs and %zu outputs", opi,
                    builtin_name(o->code), in.n, out.n);
    o->n_in = (int)in.n;
    for (int k = 0; k <= o->n_in; k++) {
        int32_t ti = k < o->n_in ? flatbuf_vec_i32(&in, (size_t)k) : flatbuf_vec_i32(&out, 0);
        if (ti < 0 || ti >= L->n_t)
            return fail(L, RR_ERR_CORRUPT, "operator %d: tensor index %d out of range", opi, (int)ti);
        if (k < o->n_in)
            o->in[k] = ti;
        else
            o->out = ti;
    }
    o->has_opts = 0;
    if (opt_type != 0 && opt_type != d->opt_tag)
        return fail(L, RR_ERR_CORRUPT, "operator %d (%s): options of type %d", opi,
                    builtin_name(o->code), opt_type);
    int rc = flatbuf_table_field(&t, 4, &o->opts);
    if (rc < 0)
        return fail(L, RR_ERR_CORRUPT, "operator %d: malformed options", opi);
    o->has_opts = rc > 0 && opt_type == d->opt_tag;
    return 0;
}

static int run_operators(struct loader *L, const struct flatbuf_table *sg)
{
    struct flatbuf_vec ops;
    if (flatbuf_vec_field(sg, 3, 4, &ops) < 0)
        return fail(L, RR_ERR_CORRUPT, "malformed operators vector");
    if (ops.n > MODEL_MAX_OPS)
        return fail(L, RR_ERR_TOOBIG, "%zu operators (limit %d)", ops.n, MODEL_MAX_OPS);
    L->ops = calloc(ops.n ? ops.n : 1, sizeof *L->ops);
    if (!L->ops)
        return RR_ERR_NOMEM;
    for (int opi = 0; opi < (int)ops.n; opi++) {
        struct lop o;
        int rc = parse_operator(L, opi, &ops, &o);
        if (rc < 0)
            return rc;
        const struct op_desc *d = find_op(o.code);
        if (d->kind >= MODEL_OP__COUNT) {
            rc = fold(L, opi, d, &o);
            if (rc < 0)
                return rc;
            continue;
        }
        struct model_op *op = &L->ops[L->n_ops];
        memset(op, 0, sizeof *op);
        op->kind = (enum model_op_kind)d->kind;
        op->n_inputs = o.n_in;
        memcpy(op->inputs, o.in, sizeof o.in);
        op->output = o.out;
        rc = check_output(L, opi, o.out);
        if (rc < 0)
            return rc;
        rc = d->build(L, opi, &o, op);
        if (rc < 0)
            return rc;
        L->t[o.out].produced = 1;
        for (int j = op->n_inputs; j < MODEL_MAX_OP_INPUTS; j++)
            op->inputs[j] = -1; /* consumed int32 constants are not part of the IR */
        L->n_ops++;
    }
    return 0;
}

/* Subgraph inputs (sel 1) or outputs (sel 2) into *idx. */
static int parse_io(struct loader *L, const struct flatbuf_table *sg, int sel, int **idx, int *n)
{
    const char *what = sel == 1 ? "input" : "output";
    struct flatbuf_vec v;
    if (flatbuf_vec_field(sg, sel, 4, &v) < 0)
        return fail(L, RR_ERR_CORRUPT, "malformed subgraph %ss", what);
    if (v.n == 0 || v.n > MODEL__MAX_IO)
        return fail(L, RR_ERR_CORRUPT, "subgraph has %zu %ss", v.n, what);
    *idx = malloc(v.n * sizeof **idx);
    if (!*idx)
        return RR_ERR_NOMEM;
    *n = (int)v.n;
    for (size_t k = 0; k < v.n; k++) {
        int32_t ti = flatbuf_vec_i32(&v, k);
        if (ti < 0 || ti >= L->n_t)
            return fail(L, RR_ERR_CORRUPT, "subgraph %s %zu: tensor index %d out of range", what, k,
                        (int)ti);
        (*idx)[k] = ti;
        struct ltensor *t = &L->t[ti];
        if (sel == 1) {
            if (t->is_const || t->is_input || t->type != TT_FLOAT32)
                return fail(L, RR_ERR_CORRUPT, "subgraph input %zu: tensor %d is not a fresh float32 "
                            "activation", k, (int)ti);
            t->is_input = 1;
            t->produced = 1;
        }
    }
    return 0;
}

/* --- assembly of the IR --- */

static int build_model(struct loader *L, struct model *m)
{
    for (int k = 0; k < m->n_outputs; k++) {
        struct ltensor *t = &L->t[m->outputs[k]];
        if (t->is_const || !t->produced)
            return fail(L, RR_ERR_CORRUPT, "subgraph output %d: tensor %d is not computed by any op",
                        k, m->outputs[k]);
        t->keep = 1;
    }
    for (int k = 0; k < m->n_inputs; k++)
        L->t[m->inputs[k]].keep = 1;
    for (int k = 0; k < L->n_ops; k++) {
        L->t[L->ops[k].output].keep = 1;
        for (int j = 0; j < L->ops[k].n_inputs; j++)
            L->t[L->ops[k].inputs[j]].keep = 1;
    }
    int n = 0;
    size_t total = 0;
    for (int i = 0; i < L->n_t; i++) {
        if (!L->t[i].keep)
            continue;
        L->t[i].new_index = n++;
        total += L->t[i].count; /* each <= 2^26, at most 4096 of them: no overflow */
    }
    if (total > MODEL_MAX_TOTAL_ELEMS)
        return fail(L, RR_ERR_TOOBIG, "tensors hold %zu elements in total (limit %zu)", total,
                    MODEL_MAX_TOTAL_ELEMS);
    m->tensors = calloc((size_t)n ? (size_t)n : 1, sizeof *m->tensors);
    if (!m->tensors)
        return RR_ERR_NOMEM;
    m->n_tensors = n;
    for (int i = 0; i < L->n_t; i++) {
        struct ltensor *t = &L->t[i];
        if (!t->keep)
            continue;
        struct model_tensor *mt = &m->tensors[t->new_index];
        const char *s;
        size_t len;
        flatbuf_string_field(&t->tab, 3, &s, &len); /* malformed name -> "" */
        mt->name = dup_bounded(s, len);
        if (!mt->name)
            return RR_ERR_NOMEM;
        mt->ndim = t->ndim;
        memcpy(mt->dims, t->dims, sizeof mt->dims);
        mt->count = t->count;
        mt->data = t->f32; /* NULL for activations */
        t->f32 = NULL;
    }
    for (int k = 0; k < m->n_inputs; k++)
        m->inputs[k] = L->t[m->inputs[k]].new_index;
    for (int k = 0; k < m->n_outputs; k++)
        m->outputs[k] = L->t[m->outputs[k]].new_index;
    for (int k = 0; k < L->n_ops; k++) {
        struct model_op *op = &L->ops[k];
        op->output = L->t[op->output].new_index;
        for (int j = 0; j < op->n_inputs; j++)
            op->inputs[j] = L->t[op->inputs[j]].new_index;
    }
    m->ops = L->ops;
    m->n_ops = L->n_ops;
    L->ops = NULL;
    return 0;
}

static int load(struct loader *L, struct model *m)
{
    struct flatbuf_table root, sg;
    struct flatbuf_vec subgraphs, tensors;
    uint32_t version;
    if (L->fb.len < 8)
        return fail(L, RR_ERR_CORRUPT, "file too short (%zu bytes)", L->fb.len);
    if (!flatbuf_has_identifier(&L->fb, "TFL3"))
        return fail(L, RR_ERR_CORRUPT, "wrong file identifier (not a TFL3 flatbuffer)");
    if (flatbuf_root(&L->fb, &root) < 0 || flatbuf_u32(&root, 0, 0, &version) < 0)
        return fail(L, RR_ERR_CORRUPT, "malformed root table");
    if (version != 3)
        return fail(L, RR_ERR_UNSUPPORTED, "schema version %u (expected 3)", version);
    const char *desc;
    size_t dlen;
    if (flatbuf_string_field(&root, 3, &desc, &dlen) < 0)
        return fail(L, RR_ERR_CORRUPT, "malformed description");
    m->description = dup_bounded(desc, dlen);
    if (!m->description)
        return RR_ERR_NOMEM;
    int rc = parse_opcodes(L, &root);
    if (rc < 0)
        return rc;
    if (flatbuf_vec_field(&root, 4, 4, &L->buffers) < 0)
        return fail(L, RR_ERR_CORRUPT, "malformed buffers vector");
    /* Verify every buffer (like a flatbuffer verifier would), not only the referenced ones:
     * cheap, and a truncated file then fails even where no tensor points. */
    for (size_t i = 0; i < L->buffers.n; i++) {
        struct flatbuf_table b;
        struct flatbuf_vec data;
        if (flatbuf_vec_table(&L->buffers, i, &b) < 0 || flatbuf_vec_field(&b, 0, 1, &data) < 0)
            return fail(L, RR_ERR_CORRUPT, "buffer %zu: malformed", i);
    }
    if (flatbuf_vec_field(&root, 2, 4, &subgraphs) < 0 || subgraphs.n == 0 ||
        flatbuf_vec_table(&subgraphs, 0, &sg) < 0)
        return fail(L, RR_ERR_CORRUPT, "missing or malformed subgraph");
    if (flatbuf_vec_field(&sg, 0, 4, &tensors) < 0)
        return fail(L, RR_ERR_CORRUPT, "malformed tensors vector");
    if (tensors.n > MODEL_MAX_TENSORS)
        return fail(L, RR_ERR_TOOBIG, "%zu tensors (limit %d)", tensors.n, MODEL_MAX_TENSORS);
    L->n_t = (int)tensors.n;
    L->t = calloc(tensors.n ? tensors.n : 1, sizeof *L->t);
    if (!L->t)
        return RR_ERR_NOMEM;
    for (int i = 0; i < L->n_t; i++) {
        if (flatbuf_vec_table(&tensors, (size_t)i, &L->t[i].tab) < 0)
            return fail(L, RR_ERR_CORRUPT, "tensor %d: malformed table", i);
        rc = parse_tensor(L, i);
        if (rc < 0)
            return rc;
    }
    rc = parse_io(L, &sg, 1, &m->inputs, &m->n_inputs);
    if (rc < 0)
        return rc;
    rc = parse_io(L, &sg, 2, &m->outputs, &m->n_outputs);
    if (rc < 0)
        return rc;
    rc = run_operators(L, &sg);
    if (rc < 0)
        return rc;
    return build_model(L, m);
}

int model_load(const void *bytes, size_t len, struct model **out, char *msg, size_t msg_len)
{
    if (msg && msg_len)
        msg[0] = 0;
    if (!out || (!bytes && len))
        return RR_ERR_INVAL;
    *out = NULL;
    struct loader L;
    memset(&L, 0, sizeof L);
    L.fb.data = bytes;
    L.fb.len = len;
    L.msg = msg;
    L.msg_len = msg_len;
    int rc;
    struct model *m = calloc(1, sizeof *m);
    if (!m) {
        rc = RR_ERR_NOMEM;
        goto out;
    }
    if (len > MODEL_MAX_FILE_BYTES) {
        rc = fail(&L, RR_ERR_TOOBIG, "file of %zu bytes (limit %zu)", len, MODEL_MAX_FILE_BYTES);
        goto out;
    }
    rc = load(&L, m);
out:
    if (rc == RR_ERR_NOMEM)
        fail(&L, rc, "out of memory");
    if (L.t)
        for (int i = 0; i < L.n_t; i++)
            free(L.t[i].f32);
    free(L.t);
    free(L.codes);
    free(L.ops);
    if (rc < 0) {
        model_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

int model_load_file(const char *path, struct model **out, char *msg, size_t msg_len)
{
    if (msg && msg_len)
        msg[0] = 0;
    if (!path || !out)
        return RR_ERR_INVAL;
    *out = NULL;
    int rc = 0;
    uint8_t *buf = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        rc = errno == ENOENT ? RR_ERR_NOTFOUND : RR_ERR_IO;
        if (msg && msg_len)
            snprintf(msg, msg_len, "cannot open %s: %s", path, strerror(errno));
        goto out;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = RR_ERR_IO;
        if (msg && msg_len)
            snprintf(msg, msg_len, "%s: not a regular file", path);
        goto out;
    }
    if ((uint64_t)st.st_size > MODEL_MAX_FILE_BYTES) {
        rc = RR_ERR_TOOBIG;
        if (msg && msg_len)
            snprintf(msg, msg_len, "%s: file of %lld bytes (limit %zu)", path,
                     (long long)st.st_size, MODEL_MAX_FILE_BYTES);
        goto out;
    }
    size_t len = (size_t)st.st_size;
    buf = malloc(len ? len : 1);
    if (!buf) {
        rc = RR_ERR_NOMEM;
        goto out;
    }
    if (fread(buf, 1, len, f) != len) {
        rc = RR_ERR_IO;
        if (msg && msg_len)
            snprintf(msg, msg_len, "%s: short read", path);
        goto out;
    }
    rc = model_load(buf, len, out, msg, msg_len);
out:
    free(buf);
    if (f)
        fclose(f);
    return rc;
}

void model_free(struct model *m)
{
    if (!m)
        return;
    if (m->tensors) {
        for (int i = 0; i < m->n_tensors; i++) {
            free(m->tensors[i].name);
            free(m->tensors[i].data);
        }
    }
    free(m->tensors);
    free(m->ops);
    free(m->inputs);
    free(m->outputs);
    free(m->description);
    free(m);
}
