/*
 * tflite_writer.c - see tflite_writer.h. Test-only.
 *
 * The model is collected in plain arrays and serialised at the end with a minimal
 * back-to-front FlatBuffers builder: objects are prepended to the buffer, so every uoffset
 * points forward to something written earlier, as the format requires. A reference to an
 * object is its distance from the end of the buffer.
 */
#include "support/tflite_writer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* --- back-to-front builder --- */

#define FBB_MAX_FIELDS 16

struct fbb {
    uint8_t *buf;
    size_t cap, size, minalign;
    int failed;
    size_t field_ref[FBB_MAX_FIELDS];
    int n_fields;
};

static void fbb_grow(struct fbb *b, size_t n)
{
    if (b->failed || b->size + n <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->size + n)
        cap *= 2;
    uint8_t *nb = malloc(cap);
    if (!nb) {
        b->failed = 1;
        return;
    }
    if (b->size)
        memcpy(nb + cap - b->size, b->buf + b->cap - b->size, b->size);
    free(b->buf);
    b->buf = nb;
    b->cap = cap;
}

static void fbb_push(struct fbb *b, const void *p, size_t n)
{
    fbb_grow(b, n);
    if (b->failed)
        return;
    b->size += n;
    if (n)
        memcpy(b->buf + b->cap - b->size, p, n);
}

/* Pad so that after `extra` more bytes the size is a multiple of align. */
static void fbb_prep(struct fbb *b, size_t align, size_t extra)
{
    static const uint8_t zeros[16] = {0};
    if (align > b->minalign)
        b->minalign = align;
    size_t pad = (align - ((b->size + extra) % align)) % align;
    fbb_push(b, zeros, pad);
}

static void fbb_u32(struct fbb *b, uint32_t v)
{
    uint8_t le[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    fbb_prep(b, 4, 0);
    fbb_push(b, le, 4);
}

static void fbb_u16(struct fbb *b, uint16_t v)
{
    uint8_t le[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    fbb_prep(b, 2, 0);
    fbb_push(b, le, 2);
}

static void fbb_uoffset(struct fbb *b, size_t ref)
{
    fbb_prep(b, 4, 0);
    fbb_u32(b, (uint32_t)(b->size + 4 - ref));
}

/* Vector of n scalars of es bytes (already little-endian), aligned to align. */
static size_t fbb_vec(struct fbb *b, const void *data, size_t n, size_t es, size_t align)
{
    fbb_prep(b, 4, n * es);
    fbb_prep(b, align, n * es);
    fbb_push(b, data, n * es);
    fbb_u32(b, (uint32_t)n);
    return b->size;
}

static size_t fbb_vec_i32(struct fbb *b, const int32_t *v, size_t n)
{
    uint8_t *le = malloc(n * 4 + 1);
    if (!le) {
        b->failed = 1;
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t x = (uint32_t)v[i];
        le[4 * i] = (uint8_t)x;
        le[4 * i + 1] = (uint8_t)(x >> 8);
        le[4 * i + 2] = (uint8_t)(x >> 16);
        le[4 * i + 3] = (uint8_t)(x >> 24);
    }
    size_t r = fbb_vec(b, le, n, 4, 4);
    free(le);
    return r;
}

static size_t fbb_vec_refs(struct fbb *b, const size_t *refs, size_t n)
{
    fbb_prep(b, 4, n * 4);
    for (size_t i = n; i-- > 0;)
        fbb_uoffset(b, refs[i]);
    fbb_u32(b, (uint32_t)n);
    return b->size;
}

static size_t fbb_string(struct fbb *b, const char *s)
{
    size_t n = strlen(s);
    fbb_prep(b, 4, n + 1);
    fbb_push(b, s, n + 1);
    fbb_u32(b, (uint32_t)n);
    return b->size;
}

static void fbb_start(struct fbb *b)
{
    b->n_fields = 0;
    memset(b->field_ref, 0, sizeof b->field_ref);
}

static void fbb_mark(struct fbb *b, int id)
{
    b->field_ref[id] = b->size;
    if (id + 1 > b->n_fields)
        b->n_fields = id + 1;
}

static void fbb_field_u8(struct fbb *b, int id, uint8_t v)
{
    fbb_push(b, &v, 1);
    fbb_mark(b, id);
}

static void fbb_field_u32(struct fbb *b, int id, uint32_t v)
{
    fbb_u32(b, v);
    fbb_mark(b, id);
}

static void fbb_field_ref(struct fbb *b, int id, size_t ref)
{
    fbb_uoffset(b, ref);
    fbb_mark(b, id);
}

static size_t fbb_end(struct fbb *b, size_t start)
{
    (void)start;
    fbb_prep(b, 4, 0);
    fbb_u32(b, 0); /* soffset, patched below */
    size_t table = b->size;
    size_t tlen = table - start;
    for (int id = b->n_fields; id-- > 0;)
        fbb_u16(b, (uint16_t)(b->field_ref[id] ? table - b->field_ref[id] : 0));
    fbb_u16(b, (uint16_t)tlen);
    fbb_u16(b, (uint16_t)(4 + 2 * b->n_fields));
    size_t vt = b->size;
    if (!b->failed) {
        uint32_t soff = (uint32_t)(vt - table);
        uint8_t *p = b->buf + b->cap - table;
        p[0] = (uint8_t)soff;
        p[1] = (uint8_t)(soff >> 8);
        p[2] = (uint8_t)(soff >> 16);
        p[3] = (uint8_t)(soff >> 24);
    }
    return table;
}

/* --- the model being collected --- */

struct wtensor {
    char *name;
    int type, ndim, buffer;
    int32_t shape[8];
    int sparse, index_type;
    uint32_t *seg, *idx;
    size_t n_seg, n_idx;
};

struct wop {
    int opcode;
    int in[16], out[4];
    int n_in, n_out;
    int opt_tag;
    struct tflite_writer_opt opts[16];
    int n_opts;
};

struct wcode {
    int code;
    char *custom;
};

struct tflite_writer {
    int failed;
    uint32_t version;
    struct wtensor *t;
    int n_t, cap_t;
    struct wop *ops;
    int n_ops, cap_ops;
    uint8_t **bufs;
    size_t *buf_len;
    int n_bufs, cap_bufs;
    struct wcode codes[64];
    int n_codes;
    int in[16], out[16], n_in, n_out;
};

static int grow(void **p, int *cap, int need, size_t es)
{
    if (need <= *cap)
        return 0;
    int nc = *cap ? *cap * 2 : 16;
    while (nc < need)
        nc *= 2;
    void *np = realloc(*p, (size_t)nc * es);
    if (!np)
        return -1;
    *p = np;
    *cap = nc;
    return 0;
}

struct tflite_writer *tflite_writer_new(void)
{
    struct tflite_writer *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->version = 3;
    if (tflite_writer_buffer(w, NULL, 0) != 0) {
        tflite_writer_free(w);
        return NULL;
    }
    return w;
}

void tflite_writer_free(struct tflite_writer *w)
{
    if (!w)
        return;
    for (int i = 0; i < w->n_t; i++) {
        free(w->t[i].name);
        free(w->t[i].seg);
        free(w->t[i].idx);
    }
    for (int i = 0; i < w->n_bufs; i++)
        free(w->bufs[i]);
    for (int i = 0; i < w->n_codes; i++)
        free(w->codes[i].custom);
    free(w->t);
    free(w->ops);
    free(w->bufs);
    free(w->buf_len);
    free(w);
}

void tflite_writer_set_version(struct tflite_writer *w, uint32_t version)
{
    w->version = version;
}

int tflite_writer_buffer(struct tflite_writer *w, const void *data, size_t len)
{
    int cap = w->cap_bufs;
    if (grow((void **)&w->bufs, &cap, w->n_bufs + 1, sizeof *w->bufs) < 0 ||
        grow((void **)&w->buf_len, &w->cap_bufs, w->n_bufs + 1, sizeof *w->buf_len) < 0) {
        w->failed = 1;
        return -1;
    }
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy) {
        w->failed = 1;
        return -1;
    }
    if (len)
        memcpy(copy, data, len);
    w->bufs[w->n_bufs] = copy;
    w->buf_len[w->n_bufs] = len;
    return w->n_bufs++;
}

int tflite_writer_tensor(struct tflite_writer *w, const char *name, int type, int ndim,
                         const int32_t *shape, int buffer)
{
    if (ndim < 0 || ndim > 8 || grow((void **)&w->t, &w->cap_t, w->n_t + 1, sizeof *w->t) < 0) {
        w->failed = 1;
        return -1;
    }
    struct wtensor *t = &w->t[w->n_t];
    memset(t, 0, sizeof *t);
    size_t n = strlen(name);
    t->name = malloc(n + 1);
    if (!t->name) {
        w->failed = 1;
        return -1;
    }
    memcpy(t->name, name, n + 1);
    t->type = type;
    t->ndim = ndim;
    t->buffer = buffer;
    for (int d = 0; d < ndim; d++)
        t->shape[d] = shape[d];
    return w->n_t++;
}

static size_t shape_count(int ndim, const int32_t *shape)
{
    size_t n = 1;
    for (int d = 0; d < ndim; d++)
        n *= (size_t)shape[d];
    return n;
}

int tflite_writer_const_f32(struct tflite_writer *w, const char *name, int ndim, const int32_t *shape,
                            const float *v)
{
    int b = tflite_writer_buffer(w, v, shape_count(ndim, shape) * 4);
    return b < 0 ? -1 : tflite_writer_tensor(w, name, TFLW_FLOAT32, ndim, shape, b);
}

int tflite_writer_const_f16(struct tflite_writer *w, const char *name, int ndim, const int32_t *shape,
                            const uint16_t *bits)
{
    int b = tflite_writer_buffer(w, bits, shape_count(ndim, shape) * 2);
    return b < 0 ? -1 : tflite_writer_tensor(w, name, TFLW_FLOAT16, ndim, shape, b);
}

int tflite_writer_const_i32(struct tflite_writer *w, const char *name, int ndim, const int32_t *shape,
                            const int32_t *v)
{
    int b = tflite_writer_buffer(w, v, shape_count(ndim, shape) * 4);
    return b < 0 ? -1 : tflite_writer_tensor(w, name, TFLW_INT32, ndim, shape, b);
}

int tflite_writer_sparse_csr(struct tflite_writer *w, int tensor, int index_type,
                             const uint32_t *segments, size_t n_segments, const uint32_t *indices,
                             size_t n_indices)
{
    struct wtensor *t = &w->t[tensor];
    t->seg = malloc((n_segments + 1) * sizeof *t->seg);
    t->idx = malloc((n_indices + 1) * sizeof *t->idx);
    if (!t->seg || !t->idx) {
        w->failed = 1;
        return -1;
    }
    if (n_segments)
        memcpy(t->seg, segments, n_segments * sizeof *t->seg);
    if (n_indices)
        memcpy(t->idx, indices, n_indices * sizeof *t->idx);
    t->n_seg = n_segments;
    t->n_idx = n_indices;
    t->index_type = index_type;
    t->sparse = 1;
    return 0;
}

static int opcode_index(struct tflite_writer *w, int code, const char *custom)
{
    for (int i = 0; i < w->n_codes; i++)
        if (w->codes[i].code == code && !custom && !w->codes[i].custom)
            return i;
    if (w->n_codes == (int)(sizeof w->codes / sizeof w->codes[0])) {
        w->failed = 1;
        return -1;
    }
    w->codes[w->n_codes].code = code;
    w->codes[w->n_codes].custom = NULL;
    if (custom) {
        size_t n = strlen(custom);
        w->codes[w->n_codes].custom = malloc(n + 1);
        if (!w->codes[w->n_codes].custom) {
            w->failed = 1;
            return -1;
        }
        memcpy(w->codes[w->n_codes].custom, custom, n + 1);
    }
    return w->n_codes++;
}

static int add_op(struct tflite_writer *w, int opcode, const int *in, int n_in, const int *out,
                  int n_out, int opt_tag, const struct tflite_writer_opt *opts, int n_opts)
{
    if (opcode < 0 || n_in > 16 || n_out > 4 || n_opts > 16 ||
        grow((void **)&w->ops, &w->cap_ops, w->n_ops + 1, sizeof *w->ops) < 0) {
        w->failed = 1;
        return -1;
    }
    struct wop *o = &w->ops[w->n_ops];
    memset(o, 0, sizeof *o);
    o->opcode = opcode;
    o->n_in = n_in;
    o->n_out = n_out;
    if (n_in)
        memcpy(o->in, in, (size_t)n_in * sizeof *in);
    if (n_out)
        memcpy(o->out, out, (size_t)n_out * sizeof *out);
    o->opt_tag = opt_tag;
    o->n_opts = n_opts;
    if (n_opts)
        memcpy(o->opts, opts, (size_t)n_opts * sizeof *opts);
    return w->n_ops++;
}

int tflite_writer_op(struct tflite_writer *w, int code, const int *in, int n_in, const int *out,
                     int n_out, int opt_tag, const struct tflite_writer_opt *opts, int n_opts)
{
    return add_op(w, opcode_index(w, code, NULL), in, n_in, out, n_out, opt_tag, opts, n_opts);
}

int tflite_writer_custom_op(struct tflite_writer *w, const char *custom_name, const int *in,
                            int n_in, const int *out, int n_out)
{
    return add_op(w, opcode_index(w, 32, custom_name), in, n_in, out, n_out, 0, NULL, 0);
}

void tflite_writer_io(struct tflite_writer *w, const int *in, int n_in, const int *out, int n_out)
{
    w->n_in = n_in > 16 ? 16 : n_in;
    w->n_out = n_out > 16 ? 16 : n_out;
    for (int i = 0; i < w->n_in; i++)
        w->in[i] = in[i];
    for (int i = 0; i < w->n_out; i++)
        w->out[i] = out[i];
}

/* --- serialisation --- */

static size_t index_vector_table(struct fbb *b, int type, const uint32_t *v, size_t n)
{
    size_t es = type == 1 ? 4 : type == 2 ? 2 : 1;
    uint8_t *le = malloc(n * es + 1);
    if (!le) {
        b->failed = 1;
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < es; k++)
            le[i * es + k] = (uint8_t)(v[i] >> (8 * k));
    size_t vec = fbb_vec(b, le, n, es, es);
    free(le);
    size_t start = b->size;
    fbb_start(b);
    fbb_field_ref(b, 0, vec);
    return fbb_end(b, start);
}

static size_t sparsity_table(struct fbb *b, const struct wtensor *t)
{
    size_t dims[8];
    int32_t order[8];
    for (int d = 0; d < t->ndim; d++)
        order[d] = d;
    for (int d = 0; d < t->ndim; d++) {
        if (d < t->ndim - 1) {
            size_t start = b->size;
            fbb_start(b);
            fbb_field_u32(b, 1, (uint32_t)t->shape[d]); /* dense_size; format DENSE = default */
            dims[d] = fbb_end(b, start);
        } else {
            size_t seg = index_vector_table(b, t->index_type, t->seg, t->n_seg);
            size_t idx = index_vector_table(b, t->index_type, t->idx, t->n_idx);
            size_t start = b->size;
            fbb_start(b);
            fbb_field_ref(b, 3, seg);
            fbb_field_ref(b, 5, idx);
            fbb_field_u8(b, 0, 1); /* SPARSE_CSR */
            fbb_field_u8(b, 2, (uint8_t)t->index_type);
            fbb_field_u8(b, 4, (uint8_t)t->index_type);
            dims[d] = fbb_end(b, start);
        }
    }
    size_t dm = fbb_vec_refs(b, dims, (size_t)t->ndim);
    size_t ord = fbb_vec_i32(b, order, (size_t)t->ndim);
    size_t start = b->size;
    fbb_start(b);
    fbb_field_ref(b, 0, ord);
    fbb_field_ref(b, 2, dm);
    return fbb_end(b, start);
}

static size_t write_tensors(struct fbb *b, const struct tflite_writer *w)
{
    size_t *refs = calloc((size_t)w->n_t + 1, sizeof *refs);
    if (!refs) {
        b->failed = 1;
        return 0;
    }
    for (int i = 0; i < w->n_t; i++) {
        const struct wtensor *t = &w->t[i];
        size_t sp = t->sparse ? sparsity_table(b, t) : 0;
        size_t name = fbb_string(b, t->name);
        size_t shape = fbb_vec_i32(b, t->shape, (size_t)t->ndim);
        size_t start = b->size;
        fbb_start(b);
        fbb_field_ref(b, 0, shape);
        fbb_field_ref(b, 3, name);
        if (sp)
            fbb_field_ref(b, 6, sp);
        fbb_field_u32(b, 2, (uint32_t)t->buffer);
        if (t->type)
            fbb_field_u8(b, 1, (uint8_t)t->type);
        refs[i] = fbb_end(b, start);
    }
    size_t v = fbb_vec_refs(b, refs, (size_t)w->n_t);
    free(refs);
    return v;
}

static size_t write_ops(struct fbb *b, const struct tflite_writer *w)
{
    size_t *refs = calloc((size_t)w->n_ops + 1, sizeof *refs);
    if (!refs) {
        b->failed = 1;
        return 0;
    }
    for (int i = 0; i < w->n_ops; i++) {
        const struct wop *o = &w->ops[i];
        size_t opts = 0;
        if (o->opt_tag) {
            size_t start = b->size;
            fbb_start(b);
            for (int k = 0; k < o->n_opts; k++) {
                if (o->opts[k].size == 1)
                    fbb_field_u8(b, o->opts[k].id, (uint8_t)o->opts[k].value);
                else
                    fbb_field_u32(b, o->opts[k].id, (uint32_t)o->opts[k].value);
            }
            opts = fbb_end(b, start);
        }
        int32_t in[16], out[4];
        for (int k = 0; k < o->n_in; k++)
            in[k] = o->in[k];
        for (int k = 0; k < o->n_out; k++)
            out[k] = o->out[k];
        size_t vin = fbb_vec_i32(b, in, (size_t)o->n_in);
        size_t vout = fbb_vec_i32(b, out, (size_t)o->n_out);
        size_t start = b->size;
        fbb_start(b);
        fbb_field_ref(b, 1, vin);
        fbb_field_ref(b, 2, vout);
        if (opts)
            fbb_field_ref(b, 4, opts);
        if (o->opcode)
            fbb_field_u32(b, 0, (uint32_t)o->opcode);
        if (o->opt_tag)
            fbb_field_u8(b, 3, (uint8_t)o->opt_tag);
        refs[i] = fbb_end(b, start);
    }
    size_t v = fbb_vec_refs(b, refs, (size_t)w->n_ops);
    free(refs);
    return v;
}

int tflite_writer_finish(struct tflite_writer *w, uint8_t **out, size_t *len)
{
    struct fbb b;
    memset(&b, 0, sizeof b);
    b.minalign = 1;
    *out = NULL;
    *len = 0;
    if (w->failed)
        return -1;

    /* buffers (data last in the file, as the converter does) */
    size_t *brefs = calloc((size_t)w->n_bufs + 1, sizeof *brefs);
    size_t *crefs = calloc((size_t)w->n_codes + 1, sizeof *crefs);
    if (!brefs || !crefs) {
        free(brefs);
        free(crefs);
        return -1;
    }
    for (int i = 0; i < w->n_bufs; i++) {
        size_t data = w->buf_len[i] ? fbb_vec(&b, w->bufs[i], w->buf_len[i], 1, 16) : 0;
        size_t start = b.size;
        fbb_start(&b);
        if (data)
            fbb_field_ref(&b, 0, data);
        brefs[i] = fbb_end(&b, start);
    }
    size_t buffers = fbb_vec_refs(&b, brefs, (size_t)w->n_bufs);

    size_t tensors = write_tensors(&b, w);
    size_t ops = write_ops(&b, w);
    int32_t io[16];
    for (int i = 0; i < w->n_in; i++)
        io[i] = w->in[i];
    size_t vin = fbb_vec_i32(&b, io, (size_t)w->n_in);
    for (int i = 0; i < w->n_out; i++)
        io[i] = w->out[i];
    size_t vout = fbb_vec_i32(&b, io, (size_t)w->n_out);
    size_t sgname = fbb_string(&b, "main");
    size_t start = b.size;
    fbb_start(&b);
    fbb_field_ref(&b, 0, tensors);
    fbb_field_ref(&b, 1, vin);
    fbb_field_ref(&b, 2, vout);
    fbb_field_ref(&b, 3, ops);
    fbb_field_ref(&b, 4, sgname);
    size_t sg = fbb_end(&b, start);
    size_t subgraphs = fbb_vec_refs(&b, &sg, 1);

    for (int i = 0; i < w->n_codes; i++) {
        size_t custom = w->codes[i].custom ? fbb_string(&b, w->codes[i].custom) : 0;
        int code = w->codes[i].code;
        start = b.size;
        fbb_start(&b);
        if (custom)
            fbb_field_ref(&b, 1, custom);
        fbb_field_u32(&b, 3, (uint32_t)code);
        fbb_field_u32(&b, 2, 1);
        fbb_field_u8(&b, 0, (uint8_t)(code < 127 ? code : 127));
        crefs[i] = fbb_end(&b, start);
    }
    size_t codes = fbb_vec_refs(&b, crefs, (size_t)w->n_codes);
    size_t desc = fbb_string(&b, "rr synthetic");

    start = b.size;
    fbb_start(&b);
    fbb_field_ref(&b, 1, codes);
    fbb_field_ref(&b, 2, subgraphs);
    fbb_field_ref(&b, 3, desc);
    fbb_field_ref(&b, 4, buffers);
    fbb_field_u32(&b, 0, w->version);
    size_t root = fbb_end(&b, start);

    fbb_prep(&b, b.minalign > 4 ? b.minalign : 4, 8);
    fbb_push(&b, "TFL3", 4);
    fbb_uoffset(&b, root);
    free(brefs);
    free(crefs);
    if (b.failed) {
        free(b.buf);
        return -1;
    }
    uint8_t *res = malloc(b.size);
    if (!res) {
        free(b.buf);
        return -1;
    }
    memcpy(res, b.buf + b.cap - b.size, b.size);
    free(b.buf);
    *out = res;
    *len = b.size;
    return 0;
}

uint16_t tflite_writer_half(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    if (isnan(f))
        return (uint16_t)(sign | 0x7e00u);
    float a = fabsf(f);
    if (a >= 65520.0f)
        return (uint16_t)(sign | 0x7c00u);
    if (a < 6.103515625e-05f) { /* subnormal: multiples of 2^-24 */
        float q = nearbyintf(a * 16777216.0f);
        return (uint16_t)(sign | (uint16_t)q);
    }
    int e;
    float m = frexpf(a, &e); /* a = m * 2^e, m in [0.5, 1) */
    float mant = nearbyintf((m * 2.0f - 1.0f) * 1024.0f);
    int exp = e - 1 + 15;
    if (mant >= 1024.0f) {
        mant = 0;
        exp++;
    }
    return (uint16_t)(sign | (uint16_t)(exp << 10) | (uint16_t)mant);
}
