/* rr_buf.c - the bounded byte buffer (rr_buf.h). */
#include "base/rr_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rr_error.h"

void rr_buf_init(struct rr_buf *b, char *initial, size_t initial_cap, size_t max)
{
    memset(b, 0, sizeof *b);
    b->max = max > RR_BUF_MAX_LIMIT ? RR_BUF_MAX_LIMIT : max;
    if (initial && initial_cap > 0) {
        b->data = initial;
        b->cap = initial_cap > b->max + 1 ? b->max + 1 : initial_cap; /* never past max */
        b->data[0] = '\0';
    }
}

void rr_buf_release(struct rr_buf *b)
{
    if (b->heap)
        free(b->data);
    b->data = NULL;
    b->heap = 0;
    b->len = b->cap = 0;
}

void rr_buf_reset(struct rr_buf *b)
{
    b->len = 0;
    b->err = 0;
    if (b->data)
        b->data[0] = '\0';
}

void rr_buf_fail(struct rr_buf *b, int err)
{
    if (!b->err)
        b->err = err;
}

int rr_buf__grow(struct rr_buf *b, size_t n)
{
    if (b->err)
        return 0;
    if (n > b->max || b->len > b->max - n) {
        rr_buf_fail(b, RR_ERR_TOOBIG);
        return 0;
    }
    size_t need = b->len + n + 1; /* <= max + 1, no overflow: max <= RR_BUF_MAX_LIMIT */
    if (need <= b->cap)
        return 1;
    size_t cap = b->cap < RR_BUF_MIN_HEAP ? RR_BUF_MIN_HEAP : b->cap;
    while (cap < need)
        cap *= 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    char *nd = b->heap ? realloc(b->data, cap) : malloc(cap);
    if (!nd) {
        rr_buf_fail(b, RR_ERR_NOMEM);
        return 0;
    }
    if (!b->heap && b->data)
        memcpy(nd, b->data, b->len + 1);
    else if (!b->data)
        nd[0] = '\0';
    b->data = nd;
    b->cap = cap;
    b->heap = 1;
    return 1;
}

void rr_buf_add(struct rr_buf *b, const void *p, size_t n)
{
    if (n && rr_buf_reserve(b, n)) {
        memcpy(b->data + b->len, p, n);
        rr_buf_commit(b, n);
    }
}

void rr_buf_addc(struct rr_buf *b, char c)
{
    if (rr_buf_reserve(b, 1)) {
        b->data[b->len] = c;
        rr_buf_commit(b, 1);
    }
}

void rr_buf_adds(struct rr_buf *b, const char *s)
{
    rr_buf_add(b, s, strlen(s));
}

void rr_buf_addf(struct rr_buf *b, const char *fmt, ...)
{
    if (b->err)
        return;
    char *dst = b->data ? b->data + b->len : NULL;
    size_t room = b->data ? b->cap - b->len : 0;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(dst, room, fmt, ap);
    va_end(ap);
    if (w < 0) {
        rr_buf_fail(b, RR_ERR_INVAL);
        return;
    }
    if ((size_t)w < room) { /* it fitted, NUL included */
        b->len += (size_t)w;
        return;
    }
    if (!rr_buf_reserve(b, (size_t)w)) {
        if (b->data)
            b->data[b->len] = '\0'; /* vsnprintf wrote a partial result past len */
        return;
    }
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)w + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)w;
}

char *rr_buf_detach(struct rr_buf *b, size_t *len)
{
    char *s = NULL;
    if (len)
        *len = 0;
    if (!b->err) {
        if (b->heap) {
            s = b->data;
            b->data = NULL;
            b->heap = 0;
        } else {
            s = malloc(b->len + 1);
            if (s) {
                if (b->len)
                    memcpy(s, b->data, b->len);
                s[b->len] = '\0';
            }
        }
        if (s && len)
            *len = b->len;
    }
    rr_buf_release(b);
    return s;
}
