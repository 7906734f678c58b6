/*
 * landmarks_json.c - writer of the compact landmark track (landmarks_json.h).
 *
 * DESIGN: written by hand into one growing buffer rather than through jansson: a track holds
 * up to 18000 x 99 numbers, and a jansson tree of that many reals costs far more memory and
 * time than the text. Numbers are printed with a fixed number of decimals and trailing zeros
 * trimmed ("0.5", "1", "-0.012").
 */
#include "landmarks_json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct buf {
    char *p;
    size_t len, cap;
    int failed;
};

static void buf_reserve(struct buf *b, size_t more)
{
    if (b->failed || b->len + more + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->failed = 1;
        return;
    }
    b->p = p;
    b->cap = cap;
}

static void buf_put(struct buf *b, const char *s, size_t n)
{
    buf_reserve(b, n);
    if (b->failed)
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* A number with `dec` decimals, trailing zeros (and a bare '.') trimmed; "-0" becomes "0". */
static void buf_num(struct buf *b, double v, int dec)
{
    char t[48];
    if (!isfinite(v) || fabs(v) > 1e9)
        v = 0;
    int n = snprintf(t, sizeof t, "%.*f", dec, v);
    if (n <= 0 || (size_t)n >= sizeof t)
        n = snprintf(t, sizeof t, "0");
    if (strchr(t, '.')) {
        while (n > 0 && t[n - 1] == '0')
            n--;
        if (n > 0 && t[n - 1] == '.')
            n--;
    }
    t[n] = '\0';
    if (strcmp(t, "-0") == 0)
        buf_put(b, "0", 1);
    else
        buf_put(b, t, (size_t)n);
}

char *landmarks_json_dumps(const struct rr_pose_frame *frames, size_t n, double fps, int width,
                           int height)
{
    struct buf b = {0};
    char head[192];
    if (!frames && n > 0)
        return NULL;
    size_t stride = n > LANDMARKS_JSON_MAX_FRAMES
                        ? (n + LANDMARKS_JSON_MAX_FRAMES - 1) / LANDMARKS_JSON_MAX_FRAMES
                        : 1;
    int hl = snprintf(head, sizeof head, "{\"schema\":\"%s\",\"fps\":", LANDMARKS_JSON_SCHEMA);
    buf_put(&b, head, (size_t)hl);
    buf_num(&b, fps > 0 ? fps : 0, 3);
    hl = snprintf(head, sizeof head, ",\"width\":%d,\"height\":%d,\"stride\":%zu,\"frames\":[",
                  width > 0 ? width : 0, height > 0 ? height : 0, stride);
    buf_put(&b, head, (size_t)hl);
    buf_reserve(&b, (n / stride + 1) * 600);
    for (size_t i = 0; i < n && !b.failed; i += stride) {
        const struct rr_pose_frame *f = &frames[i];
        if (i)
            buf_put(&b, ",", 1);
        buf_put(&b, "[", 1);
        buf_num(&b, (double)(f->t_us / 1000), 0);
        if (!f->has_pose) {
            buf_put(&b, ",null]", 6);
            continue;
        }
        buf_put(&b, ",[", 2);
        for (int k = 0; k < RR_NUM_LANDMARKS; k++) {
            const struct rr_landmark *l = &f->image[k];
            if (k)
                buf_put(&b, ",", 1);
            buf_num(&b, l->x, 3);
            buf_put(&b, ",", 1);
            buf_num(&b, l->y, 3);
            buf_put(&b, ",", 1);
            buf_num(&b, l->visibility, 2);
        }
        buf_put(&b, "]]", 2);
    }
    buf_put(&b, "]}", 2);
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    return b.p;
}
