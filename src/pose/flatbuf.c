/*
 * flatbuf.c - bounds-checked FlatBuffers reading (see flatbuf.h).
 *
 * Layout reminders (FlatBuffers binary format): a table starts with an int32 soffset; its
 * vtable lives at table - soffset and holds uint16 [vtable bytes, table bytes, field offsets…];
 * field `id` has its offset at vtable + 4 + 2*id (0 = absent). A uoffset at position p points to
 * p + value (always forward). A vector is a uint32 count followed by the elements.
 */
#include "pose/flatbuf.h"

#include <assert.h>

#include "base/rr_error.h"

/* Is [pos, pos+n) inside the buffer? Written to avoid overflow. */
static int in_bounds(const struct flatbuf *fb, size_t pos, size_t n)
{
    return pos <= fb->len && n <= fb->len - pos;
}

static int table_at(const struct flatbuf *fb, size_t pos, struct flatbuf_table *out)
{
    if (!in_bounds(fb, pos, 4))
        return RR_ERR_CORRUPT;
    int64_t soff = (int32_t)flatbuf_le32(fb->data + pos);
    int64_t vtab = (int64_t)pos - soff;
    if (vtab < 0 || (uint64_t)vtab > fb->len || !in_bounds(fb, (size_t)vtab, 4))
        return RR_ERR_CORRUPT;
    size_t vlen = flatbuf_le16(fb->data + vtab);
    size_t tlen = flatbuf_le16(fb->data + vtab + 2);
    if (vlen < 4 || (vlen & 1) || !in_bounds(fb, (size_t)vtab, vlen))
        return RR_ERR_CORRUPT;
    if (tlen < 4 || !in_bounds(fb, pos, tlen))
        return RR_ERR_CORRUPT;
    out->fb = fb;
    out->pos = pos;
    out->size = tlen;
    out->vtab = (size_t)vtab;
    out->vtab_len = vlen;
    return 0;
}

int flatbuf_root(const struct flatbuf *fb, struct flatbuf_table *out)
{
    if (!fb->data || fb->len < 8)
        return RR_ERR_CORRUPT;
    return table_at(fb, flatbuf_le32(fb->data), out);
}

int flatbuf_has_identifier(const struct flatbuf *fb, const char *ident)
{
    if (!fb->data || fb->len < 8)
        return 0;
    for (int i = 0; i < 4; i++)
        if (fb->data[4 + i] != (uint8_t)ident[i])
            return 0;
    return 1;
}

/* Position of field `id` (size bytes), 0 when absent, or RR_ERR_CORRUPT. */
static int64_t field_pos(const struct flatbuf_table *t, int id, size_t size)
{
    if (id < 0 || id > 1000)
        return RR_ERR_CORRUPT;
    size_t slot = 4 + 2 * (size_t)id;
    if (slot + 2 > t->vtab_len)
        return 0;
    size_t off = flatbuf_le16(t->fb->data + t->vtab + slot);
    if (off == 0)
        return 0;
    /* off < 4 would overlap the table's own soffset. */
    if (off < 4 || off > t->size || size > t->size - off)
        return RR_ERR_CORRUPT;
    return (int64_t)(t->pos + off);
}

int flatbuf_u8(const struct flatbuf_table *t, int id, uint8_t def, uint8_t *out)
{
    int64_t p = field_pos(t, id, 1);
    if (p < 0)
        return (int)p;
    *out = p ? t->fb->data[p] : def;
    return 0;
}

int flatbuf_i8(const struct flatbuf_table *t, int id, int8_t def, int8_t *out)
{
    int64_t p = field_pos(t, id, 1);
    if (p < 0)
        return (int)p;
    *out = p ? (int8_t)t->fb->data[p] : def;
    return 0;
}

int flatbuf_u32(const struct flatbuf_table *t, int id, uint32_t def, uint32_t *out)
{
    int64_t p = field_pos(t, id, 4);
    if (p < 0)
        return (int)p;
    *out = p ? flatbuf_le32(t->fb->data + p) : def;
    return 0;
}

int flatbuf_i32(const struct flatbuf_table *t, int id, int32_t def, int32_t *out)
{
    uint32_t v = 0;
    int rc = flatbuf_u32(t, id, (uint32_t)def, &v);
    if (rc < 0)
        return rc;
    *out = (int32_t)v;
    return 0;
}

int flatbuf_u64(const struct flatbuf_table *t, int id, uint64_t def, uint64_t *out)
{
    int64_t p = field_pos(t, id, 8);
    if (p < 0)
        return (int)p;
    if (!p) {
        *out = def;
        return 0;
    }
    const uint8_t *b = t->fb->data + p;
    *out = (uint64_t)flatbuf_le32(b) | ((uint64_t)flatbuf_le32(b + 4) << 32);
    return 0;
}

/* Follow the uoffset stored in field `id`: 1 and *target, 0 when absent, or RR_ERR_CORRUPT. */
static int deref_field(const struct flatbuf_table *t, int id, size_t *target)
{
    int64_t p = field_pos(t, id, 4);
    if (p <= 0)
        return (int)p;
    uint32_t rel = flatbuf_le32(t->fb->data + p);
    if (!in_bounds(t->fb, (size_t)p, rel) || !in_bounds(t->fb, (size_t)p + rel, 4))
        return RR_ERR_CORRUPT;
    *target = (size_t)p + rel;
    return 1;
}

int flatbuf_table_field(const struct flatbuf_table *t, int id, struct flatbuf_table *out)
{
    size_t target = 0;
    int rc = deref_field(t, id, &target);
    if (rc <= 0)
        return rc;
    rc = table_at(t->fb, target, out);
    return rc < 0 ? rc : 1;
}

static int vec_at(const struct flatbuf *fb, size_t pos, size_t elem, struct flatbuf_vec *out)
{
    if (!in_bounds(fb, pos, 4) || elem == 0)
        return RR_ERR_CORRUPT;
    size_t n = flatbuf_le32(fb->data + pos);
    size_t start = pos + 4;
    if (n > (fb->len - start) / elem)
        return RR_ERR_CORRUPT;
    out->fb = fb;
    out->pos = start;
    out->n = n;
    out->elem = elem;
    return 0;
}

int flatbuf_vec_field(const struct flatbuf_table *t, int id, size_t elem, struct flatbuf_vec *out)
{
    size_t target = 0;
    out->fb = t->fb;
    out->pos = 0;
    out->n = 0;
    out->elem = elem;
    int rc = deref_field(t, id, &target);
    if (rc <= 0)
        return rc;
    rc = vec_at(t->fb, target, elem, out);
    return rc < 0 ? rc : 1;
}

int flatbuf_string_field(const struct flatbuf_table *t, int id, const char **s, size_t *n)
{
    struct flatbuf_vec v;
    int rc = flatbuf_vec_field(t, id, 1, &v);
    *s = rc > 0 ? (const char *)(t->fb->data + v.pos) : "";
    *n = rc > 0 ? v.n : 0;
    return rc;
}

int flatbuf_vec_table(const struct flatbuf_vec *v, size_t i, struct flatbuf_table *out)
{
    assert(i < v->n && v->elem == 4);
    size_t p = v->pos + 4 * i;
    uint32_t rel = flatbuf_le32(v->fb->data + p);
    if (!in_bounds(v->fb, p, rel))
        return RR_ERR_CORRUPT;
    return table_at(v->fb, p + rel, out);
}
