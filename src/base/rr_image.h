/*
 * rr_image.h - an 8-bit RGB image view and an owning RGB buffer.
 *
 * struct rr_image is a view: it never owns its pixels. Pixels are packed RGB (3 bytes per pixel),
 * rows `stride` bytes apart (stride >= 3 * width). struct rr_rgbbuf owns a heap buffer that can be
 * reused frame after frame (it only grows, and never past RR_IMAGE_MAX_PIXELS).
 * Thread-safety: none needed; a buffer belongs to one thread at a time.
 */
#ifndef RR_IMAGE_H
#define RR_IMAGE_H

#include <stddef.h>
#include <stdint.h>

/* Largest image we accept anywhere: 4096 x 4096 (covers 4K UHD in either orientation). */
#define RR_IMAGE_MAX_SIDE 4096
#define RR_IMAGE_MAX_PIXELS ((size_t)RR_IMAGE_MAX_SIDE * RR_IMAGE_MAX_SIDE)

struct rr_image {
    int width;
    int height;
    size_t stride;      /* bytes between rows */
    const uint8_t *rgb; /* width*3 bytes used per row */
};

struct rr_rgbbuf {
    uint8_t *data;
    size_t cap;
    int width;
    int height;
};

/* Bytes allocated past the last pixel: SIMD converters (swscale's fast yuv2rgb) may store a few
 * pixels beyond the end of a row, which only matters after the last row. */
#define RR_RGBBUF_SLACK 1024

/* Make room for width x height RGB (stride = 3*width), plus RR_RGBBUF_SLACK bytes. Returns 0, RR_ERR_INVAL for a
 * non-positive size, RR_ERR_TOOBIG past RR_IMAGE_MAX_SIDE, RR_ERR_NOMEM. */
int rr_rgbbuf_reserve(struct rr_rgbbuf *b, int width, int height);
struct rr_image rr_rgbbuf_view(const struct rr_rgbbuf *b);
void rr_rgbbuf_release(struct rr_rgbbuf *b);

#endif
