/*
 * flatbuf.h - bounds-checked reading of a FlatBuffers byte buffer (internal to pose/).
 *
 * Only what the .tflite loader needs: the root table, tables reached through uoffsets, scalar
 * fields with schema defaults, vectors of scalars / tables and strings. Every soffset, uoffset,
 * vtable entry and vector length is checked against the buffer before it is dereferenced, and
 * every read goes byte by byte (little-endian) so unaligned or hostile data cannot fault. A
 * check that fails returns RR_ERR_CORRUPT; the caller adds the context to its message.
 *
 * There is no generic recursion: the caller walks a fixed schema, so depth is bounded by it.
 * Ownership: a struct flatbuf borrows the bytes; tables and vectors borrow the flatbuf.
 * Thread-safety: all functions are pure readers.
 */
#ifndef RR_POSE_FLATBUF_H
#define RR_POSE_FLATBUF_H

#include <stddef.h>
#include <stdint.h>

struct flatbuf {
    const uint8_t *data;
    size_t len;
};

/* A validated table: the inline part [pos, pos+size) and its vtable [vtab, vtab+vtab_len) are
 * both inside the buffer. */
struct flatbuf_table {
    const struct flatbuf *fb;
    size_t pos, size;
    size_t vtab, vtab_len;
};

/* A validated vector: n elements of `elem` bytes starting at pos, all inside the buffer. */
struct flatbuf_vec {
    const struct flatbuf *fb;
    size_t pos;
    size_t n;
    size_t elem;
};

/* Little-endian loads from p (no alignment required). */
static inline uint16_t flatbuf_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t flatbuf_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* The root table (uoffset at byte 0). RR_ERR_CORRUPT when the buffer is shorter than 8 bytes
 * or the table is out of bounds. */
int flatbuf_root(const struct flatbuf *fb, struct flatbuf_table *out);

/* 1 when bytes 4..7 equal ident[0..3], else 0 (also 0 for buffers shorter than 8 bytes). */
int flatbuf_has_identifier(const struct flatbuf *fb, const char *ident);

/* Scalar field `id` of a table. Absent field -> *out = def. Returns 0 or RR_ERR_CORRUPT when the
 * field would lie outside the table. */
int flatbuf_u8(const struct flatbuf_table *t, int id, uint8_t def, uint8_t *out);
int flatbuf_i8(const struct flatbuf_table *t, int id, int8_t def, int8_t *out);
int flatbuf_i32(const struct flatbuf_table *t, int id, int32_t def, int32_t *out);
int flatbuf_u32(const struct flatbuf_table *t, int id, uint32_t def, uint32_t *out);
int flatbuf_u64(const struct flatbuf_table *t, int id, uint64_t def, uint64_t *out);

/* Sub-table / vector / string field: 1 when present (and valid), 0 when absent (vector: n = 0),
 * RR_ERR_CORRUPT when it points outside the buffer. `elem` is the element size in bytes
 * (4 for vectors of tables or strings). Strings are returned as (pointer, length) without
 * requiring the terminating NUL. */
int flatbuf_table_field(const struct flatbuf_table *t, int id, struct flatbuf_table *out);
int flatbuf_vec_field(const struct flatbuf_table *t, int id, size_t elem, struct flatbuf_vec *out);
int flatbuf_string_field(const struct flatbuf_table *t, int id, const char **s, size_t *n);

/* Element i (< v->n, asserted) of a vector of tables. 0 or RR_ERR_CORRUPT. */
int flatbuf_vec_table(const struct flatbuf_vec *v, size_t i, struct flatbuf_table *out);

/* Element i (< v->n, asserted) of a scalar vector; elem must match. */
static inline const uint8_t *flatbuf_vec_at(const struct flatbuf_vec *v, size_t i)
{
    return v->fb->data + v->pos + i * v->elem;
}
static inline int32_t flatbuf_vec_i32(const struct flatbuf_vec *v, size_t i)
{
    return (int32_t)flatbuf_le32(flatbuf_vec_at(v, i));
}

#endif
