/* rr_image.c - owning RGB buffer helpers. */
#include "base/rr_image.h"
#include "base/rr_error.h"

#include <stdlib.h>

int rr_rgbbuf_reserve(struct rr_rgbbuf *b, int width, int height)
{
    if (width <= 0 || height <= 0)
        return RR_ERR_INVAL;
    if (width > RR_IMAGE_MAX_SIDE || height > RR_IMAGE_MAX_SIDE)
        return RR_ERR_TOOBIG;
    size_t need = (size_t)width * (size_t)height * 3u + RR_RGBBUF_SLACK;
    if (need > b->cap) {
        uint8_t *p = realloc(b->data, need);
        if (!p)
            return RR_ERR_NOMEM;
        b->data = p;
        b->cap = need;
    }
    b->width = width;
    b->height = height;
    return 0;
}

struct rr_image rr_rgbbuf_view(const struct rr_rgbbuf *b)
{
    struct rr_image im = {b->width, b->height, (size_t)b->width * 3u, b->data};
    return im;
}

void rr_rgbbuf_release(struct rr_rgbbuf *b)
{
    free(b->data);
    b->data = NULL;
    b->cap = 0;
    b->width = b->height = 0;
}
