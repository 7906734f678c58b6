/*
 * rr_buf.h - the one growable byte buffer: bytes appended at the end, a hard cap, one growth
 * policy, sticky errors. Every text RepRight builds in memory (JSON documents through
 * rr_json.h, log lines, the metrics page, landmark and report files) grows in one of these.
 *
 * Invariants (after rr_buf_init):
 *  - data[0..len) holds the bytes; once anything is allocated, data[len] == '\0', so text can
 *    be read as a C string (the bytes may hold NULs of their own);
 *  - len <= max, and storage never grows past max + 1 bytes (the NUL): a write that would pass
 *    max is refused whole (nothing of it is appended) with RR_ERR_TOOBIG;
 *  - growth: the caller's `initial` storage first (e.g. a stack array; may be NULL), then the
 *    heap, doubling from RR_BUF_MIN_HEAP bytes, clamped to max + 1;
 *  - errors are sticky: the first failure (RR_ERR_NOMEM, RR_ERR_TOOBIG, or one a layer above
 *    records with rr_buf_fail) is kept in err, every later write is a no-op, and the caller
 *    checks rr_buf_error() once at the end.
 * Ownership: the buffer never frees the caller's initial storage; rr_buf_release() frees heap
 * storage; rr_buf_detach() hands the text over (malloc'd, the caller frees it).
 * Thread-safety: a buffer belongs to one thread at a time; nothing here has global state.
 */
#ifndef RR_BASE_BUF_H
#define RR_BASE_BUF_H

#include <stddef.h>

#define RR_BUF_MIN_HEAP 256
/* Largest max accepted (larger values are clamped): leaves room for the NUL and doubling. */
#define RR_BUF_MAX_LIMIT ((size_t)-1 / 4)

struct rr_buf {
    char *data;  /* NULL until the first write when there is no initial storage */
    size_t len;  /* bytes held, <= max */
    size_t cap;  /* bytes of storage, NUL included */
    size_t max;  /* hard cap on len */
    int err;     /* first RR_ERR_*, 0 while fine */
    int heap;    /* data was allocated here */
};

/* `initial` (initial_cap bytes, may be NULL with 0) is used until it is full. */
void rr_buf_init(struct rr_buf *b, char *initial, size_t initial_cap, size_t max);
/* Frees heap storage; the buffer is then empty and may be initialised again. */
void rr_buf_release(struct rr_buf *b);
/* Empties the buffer and clears the error; storage is kept for reuse. */
void rr_buf_reset(struct rr_buf *b);

/* The text as a malloc'd NUL-terminated string (*len its length, may be NULL); NULL when the
 * buffer holds an error or memory ran out. The buffer is released either way. */
char *rr_buf_detach(struct rr_buf *b, size_t *len);

/* Room for n more bytes (and the NUL): 1, or 0 after recording the error (or when one is
 * already recorded). */
int rr_buf__grow(struct rr_buf *b, size_t n);
static inline int rr_buf_reserve(struct rr_buf *b, size_t n)
{
    if (!b->err && b->cap > b->len && n < b->cap - b->len)
        return 1;
    return rr_buf__grow(b, n);
}
/* After writing n bytes at data + len (room reserved): count them and NUL-terminate. */
static inline void rr_buf_commit(struct rr_buf *b, size_t n)
{
    b->len += n;
    b->data[b->len] = '\0';
}

void rr_buf_add(struct rr_buf *b, const void *p, size_t n);
void rr_buf_addc(struct rr_buf *b, char c);
void rr_buf_adds(struct rr_buf *b, const char *s); /* up to its NUL */
/* printf-formatted text (the whole result or nothing). */
void rr_buf_addf(struct rr_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Record an error (the first one wins); later writes are no-ops. */
void rr_buf_fail(struct rr_buf *b, int err);

static inline int rr_buf_error(const struct rr_buf *b) { return b->err; }
static inline size_t rr_buf_len(const struct rr_buf *b) { return b->len; }
/* The bytes, NUL-terminated ("" before the first write). Valid until the next write. */
static inline const char *rr_buf_data(const struct rr_buf *b) { return b->data ? b->data : ""; }

#endif
