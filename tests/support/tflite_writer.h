/*
 * tflite_writer.h - a tiny .tflite (TFL3 flatbuffer) writer for tests and fuzz seeds only.
 *
 * Builds synthetic models field by field, so tests can produce both valid files and files
 * with one precise defect (out-of-range buffer index, wrong schema version, huge dims, an
 * unsupported op…). It writes what the loader reads (blazepose.md 1.3 field ids) and nothing
 * more; it does not validate anything on purpose.
 *
 * Usage: w = tflite_writer_new(); add buffers, tensors, ops; tflite_writer_io(); then
 * tflite_writer_finish() hands out a malloc'd byte buffer (caller frees). Indices returned by
 * the add functions are the file's indices. Functions return -1 only when out of memory, which
 * also makes finish() fail. Buffer 0 is the empty sentinel, created by tflite_writer_new().
 * Not thread-safe; one writer per test.
 */
#ifndef RR_TEST_TFLITE_WRITER_H
#define RR_TEST_TFLITE_WRITER_H

#include <stddef.h>
#include <stdint.h>

enum { TFLW_FLOAT32 = 0, TFLW_FLOAT16 = 1, TFLW_INT32 = 2 };

struct tflite_writer;

/* One scalar field of an options table: field id, byte size (1 or 4) and value. */
struct tflite_writer_opt {
    int id;
    int size;
    int32_t value;
};

struct tflite_writer *tflite_writer_new(void);
void tflite_writer_free(struct tflite_writer *w);

/* Schema version written in the root table (default 3) and the description string. */
void tflite_writer_set_version(struct tflite_writer *w, uint32_t version);

/* A buffer holding len raw bytes; returns its index. */
int tflite_writer_buffer(struct tflite_writer *w, const void *data, size_t len);

/* A tensor; ndim 0..8 dims copied from shape. buffer 0 = activation. Returns its index. */
int tflite_writer_tensor(struct tflite_writer *w, const char *name, int type, int ndim,
                         const int32_t *shape, int buffer);

/* Constant helpers: the buffer and the tensor in one call. */
int tflite_writer_const_f32(struct tflite_writer *w, const char *name, int ndim, const int32_t *shape,
                            const float *v);
int tflite_writer_const_f16(struct tflite_writer *w, const char *name, int ndim, const int32_t *shape,
                            const uint16_t *bits);
int tflite_writer_const_i32(struct tflite_writer *w, const char *name, int ndim, const int32_t *shape,
                            const int32_t *v);

/* Make `tensor` sparse: dims 0..n-2 DENSE, the last dim SPARSE_CSR with the given segments
 * and indices stored as SparseIndexVector `index_type` (1 int32, 2 uint16, 3 uint8). The
 * tensor's buffer holds the non-zero values. Returns 0 or -1. */
int tflite_writer_sparse_csr(struct tflite_writer *w, int tensor, int index_type,
                             const uint32_t *segments, size_t n_segments, const uint32_t *indices,
                             size_t n_indices);

/* An operator with builtin `code` (custom_name non-NULL makes it CUSTOM with that name),
 * options table of union tag opt_tag (0 = none) holding n_opts scalar fields. */
int tflite_writer_op(struct tflite_writer *w, int code, const int *in, int n_in, const int *out,
                     int n_out, int opt_tag, const struct tflite_writer_opt *opts, int n_opts);
int tflite_writer_custom_op(struct tflite_writer *w, const char *custom_name, const int *in,
                            int n_in, const int *out, int n_out);

/* Subgraph inputs and outputs (copied). */
void tflite_writer_io(struct tflite_writer *w, const int *in, int n_in, const int *out, int n_out);

/* Serialise. Returns 0 and a malloc'd *out of *len bytes, or -1. */
int tflite_writer_finish(struct tflite_writer *w, uint8_t **out, size_t *len);

/* IEEE binary16 bits of f (round to nearest even; for test data). */
uint16_t tflite_writer_half(float f);

#endif
