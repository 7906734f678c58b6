/*
 * frameconv.h - decoded AVFrame -> upright packed RGB24 (internal to src/video).
 *
 * libswscale: exact (SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT) for still images, the fast SIMD path
 * for video frames (`fast`, chosen at init); full-range sources
 * (yuvj* formats or color_range = JPEG) and the frame's colour matrix (BT.601/709/2020) are
 * honoured; output is always full-range RGB. Rotation by 90/180/270 degrees clockwise happens
 * after conversion. The scaler and the scratch buffer are cached and only rebuilt when the source
 * size or format changes, so steady-state frames allocate nothing.
 * Ownership: struct frameconv owns the SwsContext and scratch buffer; the output rr_rgbbuf belongs
 * to the caller. Errors: RR_ERR_INVAL (bad frame / rotation), RR_ERR_TOOBIG (past
 * RR_IMAGE_MAX_SIDE), RR_ERR_NOMEM, RR_ERR_UNSUPPORTED (pixel format swscale cannot read).
 * Thread-safety: one struct per thread.
 */
#ifndef RR_VIDEO_FRAMECONV_H
#define RR_VIDEO_FRAMECONV_H

#include "base/rr_image.h"

struct AVFrame;
struct SwsContext;

struct frameconv {
    struct SwsContext *sws;
    int fast;                                            /* 1: fast SIMD conversion */
    int64_t max_pixels; /* > 0: frames larger than this are scaled down to fit (aspect kept) */
    int src_w, src_h, src_fmt, src_full_range, src_space, src_flags; /* what sws was built for */
    int dst_w, dst_h;                                    /* output size before rotation */
    struct rr_rgbbuf scratch;                            /* unrotated RGB when rotating */
};

/* Zero-initialise; fast = 1 selects the fast conversion (a zeroed struct is exact). */
void frameconv_init(struct frameconv *c, int fast);
/* The size a w x h picture is converted to under max_pixels (<= 0: unchanged): scaled down
 * with its aspect kept and even sides when w * h > max_pixels. Pure. */
void frameconv_fit(int w, int h, int64_t max_pixels, int *out_w, int *out_h);
/* Convert fr, rotated clockwise by `rotation` (0, 90, 180, 270), into out (resized as needed),
 * scaled down first when c->max_pixels says so. */
int frameconv_run(struct frameconv *c, const struct AVFrame *fr, int rotation, struct rr_rgbbuf *out);
void frameconv_release(struct frameconv *c);

/* Rotate packed RGB src (w x h, stride 3*w) clockwise into dst (already sized: h x w for 90/270). */
void frameconv_rotate(const uint8_t *src, int w, int h, int rotation, uint8_t *dst);

#endif
