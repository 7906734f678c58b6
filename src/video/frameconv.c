/*
 * frameconv.c - swscale to RGB24 with correct range and matrix, then an exact rotation
 * (see frameconv.h).
 */
#include "video/frameconv.h"

#include "base/rr_error.h"

#include <math.h>
#include <string.h>

#include <libavutil/frame.h>
#include <libavutil/pixdesc.h>
#include <libavutil/pixfmt.h>
#include <libswscale/swscale.h>

/* Exact conversion for still images (MediaPipe's expectations come from exact RGB); the fast SIMD
 * path for video, where conversion would otherwise cost more than decoding (1080p: ~11 ms vs
 * ~4 ms per frame) and the difference is below one grey level on average. */
#define FRAMECONV_FLAGS_EXACT (SWS_BILINEAR | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT)
#define FRAMECONV_FLAGS_FAST (SWS_BILINEAR)

void frameconv_init(struct frameconv *c, int fast)
{
    memset(c, 0, sizeof *c);
    c->fast = fast;
    c->src_fmt = AV_PIX_FMT_NONE;
}

/* yuvj* are the deprecated "full range" aliases: use the plain format plus an explicit range. */
static enum AVPixelFormat frameconv_unjpeg(enum AVPixelFormat f, int *full)
{
    switch (f) {
    case AV_PIX_FMT_YUVJ420P:
        *full = 1;
        return AV_PIX_FMT_YUV420P;
    case AV_PIX_FMT_YUVJ422P:
        *full = 1;
        return AV_PIX_FMT_YUV422P;
    case AV_PIX_FMT_YUVJ444P:
        *full = 1;
        return AV_PIX_FMT_YUV444P;
    case AV_PIX_FMT_YUVJ440P:
        *full = 1;
        return AV_PIX_FMT_YUV440P;
    case AV_PIX_FMT_YUVJ411P:
        *full = 1;
        return AV_PIX_FMT_YUV411P;
    default:
        return f;
    }
}

static int frameconv_is_yuv(enum AVPixelFormat f)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f);
    return d && !(d->flags & AV_PIX_FMT_FLAG_RGB) && !(d->flags & AV_PIX_FMT_FLAG_PAL) &&
           d->nb_components >= 3;
}

void frameconv_fit(int w, int h, int64_t max_pixels, int *out_w, int *out_h)
{
    *out_w = w;
    *out_h = h;
    if (max_pixels <= 0 || w <= 0 || h <= 0 || (int64_t)w * h <= max_pixels)
        return;
    double s = sqrt((double)max_pixels / ((double)w * (double)h));
    int sw = (int)floor(w * s) & ~1, sh = (int)floor(h * s) & ~1;
    *out_w = sw < 2 ? 2 : sw;
    *out_h = sh < 2 ? 2 : sh;
}

static int frameconv_setup(struct frameconv *c, int w, int h, enum AVPixelFormat fmt, int full,
                           int space)
{
    int flags = c->fast ? FRAMECONV_FLAGS_FAST : FRAMECONV_FLAGS_EXACT;
    int dw, dh;
    frameconv_fit(w, h, c->max_pixels, &dw, &dh);
    if (c->sws && c->src_w == w && c->src_h == h && c->src_fmt == (int)fmt &&
        c->src_full_range == full && c->src_space == space && c->src_flags == flags &&
        c->dst_w == dw && c->dst_h == dh)
        return 0;
    sws_freeContext(c->sws);
    c->sws = NULL;
    c->src_fmt = AV_PIX_FMT_NONE;
    if (!sws_isSupportedInput(fmt))
        return RR_ERR_UNSUPPORTED;
    c->sws = sws_getContext(w, h, fmt, dw, dh, AV_PIX_FMT_RGB24, flags, NULL, NULL, NULL);
    if (!c->sws)
        return RR_ERR_NOMEM;
    if (frameconv_is_yuv(fmt)) {
        /* SWS_CS_* share AVColorSpace's numbering; unknown values fall back to BT.601. */
        int known = space == AVCOL_SPC_BT709 || space == AVCOL_SPC_FCC || space == AVCOL_SPC_BT470BG ||
                    space == AVCOL_SPC_SMPTE170M || space == AVCOL_SPC_SMPTE240M ||
                    space == AVCOL_SPC_BT2020_NCL || space == AVCOL_SPC_BT2020_CL;
        int cs = known ? space : SWS_CS_DEFAULT;
        const int *in = sws_getCoefficients(cs);
        const int *outc = sws_getCoefficients(SWS_CS_DEFAULT);
        /* Best effort: a failure leaves swscale's defaults (limited range BT.601). */
        (void)sws_setColorspaceDetails(c->sws, in, full, outc, 1, 0, 1 << 16, 1 << 16);
    }
    c->src_w = w;
    c->src_h = h;
    c->src_fmt = (int)fmt;
    c->src_full_range = full;
    c->src_space = space;
    c->src_flags = flags;
    c->dst_w = dw;
    c->dst_h = dh;
    return 0;
}

void frameconv_rotate(const uint8_t *src, int w, int h, int rotation, uint8_t *dst)
{
    size_t sstride = (size_t)w * 3u;
    if (rotation == 180) {
        for (int y = 0; y < h; y++) {
            const uint8_t *s = src + (size_t)y * sstride;
            uint8_t *d = dst + (size_t)(h - 1 - y) * sstride + (size_t)(w - 1) * 3u;
            for (int x = 0; x < w; x++, s += 3, d -= 3)
                memcpy(d, s, 3);
        }
        return;
    }
    /* 90 / 270: output is h wide and w high, stride 3*h. */
    size_t dstride = (size_t)h * 3u;
    for (int y = 0; y < h; y++) {
        const uint8_t *s = src + (size_t)y * sstride;
        for (int x = 0; x < w; x++, s += 3) {
            size_t dx, dy;
            if (rotation == 90) { /* clockwise: (x, y) -> (h-1-y, x) */
                dx = (size_t)(h - 1 - y);
                dy = (size_t)x;
            } else { /* 270 clockwise: (x, y) -> (y, w-1-x) */
                dx = (size_t)y;
                dy = (size_t)(w - 1 - x);
            }
            memcpy(dst + dy * dstride + dx * 3u, s, 3);
        }
    }
}

int frameconv_run(struct frameconv *c, const struct AVFrame *fr, int rotation, struct rr_rgbbuf *out)
{
    if (!fr || fr->width <= 0 || fr->height <= 0 || !fr->data[0])
        return RR_ERR_INVAL;
    if (rotation != 0 && rotation != 90 && rotation != 180 && rotation != 270)
        return RR_ERR_INVAL;
    if (fr->width > RR_IMAGE_MAX_SIDE || fr->height > RR_IMAGE_MAX_SIDE)
        return RR_ERR_TOOBIG;
    int full = fr->color_range == AVCOL_RANGE_JPEG;
    enum AVPixelFormat fmt = frameconv_unjpeg((enum AVPixelFormat)fr->format, &full);
    int ret = frameconv_setup(c, fr->width, fr->height, fmt, full, (int)fr->colorspace);
    if (ret < 0)
        return ret;
    int sw = c->dst_w, sh = c->dst_h; /* converted size, before rotation */
    int ow = (rotation == 90 || rotation == 270) ? sh : sw;
    int oh = (rotation == 90 || rotation == 270) ? sw : sh;
    ret = rr_rgbbuf_reserve(out, ow, oh);
    if (ret < 0)
        return ret;
    struct rr_rgbbuf *target = out;
    if (rotation != 0) {
        ret = rr_rgbbuf_reserve(&c->scratch, sw, sh);
        if (ret < 0)
            return ret;
        target = &c->scratch;
    }
    uint8_t *dst[4] = {target->data, NULL, NULL, NULL};
    int dst_stride[4] = {sw * 3, 0, 0, 0};
    int h = sws_scale(c->sws, (const uint8_t *const *)fr->data, fr->linesize, 0, fr->height, dst,
                      dst_stride);
    if (h != sh)
        return RR_ERR_CORRUPT;
    if (rotation != 0)
        frameconv_rotate(c->scratch.data, sw, sh, rotation, out->data);
    return 0;
}

void frameconv_release(struct frameconv *c)
{
    sws_freeContext(c->sws);
    c->sws = NULL;
    rr_rgbbuf_release(&c->scratch);
    c->src_fmt = AV_PIX_FMT_NONE;
}
