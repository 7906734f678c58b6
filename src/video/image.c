/*
 * image.c - image_load(): one JPEG or PNG, sniffed by content, structure-checked, decoded with
 * FFmpeg's mjpeg/png decoder (see decode.h).
 *
 * No demuxer is involved: the whole file (at most IMAGE_MAX_BYTES) is one packet. Before the
 * decoder sees it, a small walk over the JPEG segments / PNG chunks reads the declared size
 * (refused past RR_IMAGE_MAX_SIDE before any pixel allocation) and insists on the end marker
 * (EOI / IEND), so a truncated upload is an error instead of a half-grey picture.
 * The same walk picks up the first EXIF APP1 segment's orientation (exif.c); the decoded pixels
 * are turned upright accordingly, so a phone's portrait photo comes out portrait.
 */
#include "video/decode.h"

#include "base/rr_error.h"
#include "video/exif.h"
#include "video/fdio.h"
#include "video/frameconv.h"
#include "video/sniff.h"

#include <stdio.h>
#include <string.h>

#include <libavcodec/avcodec.h>

#define IMAGE_MAX_BYTES ((int64_t)64 << 20)

static uint32_t image_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* PNG: IHDR first, chunks in bounds, IEND present. */
static int image_check_png(const uint8_t *d, size_t n, int *w, int *h, char *msg, size_t msg_len)
{
    size_t pos = 8;
    int seen_ihdr = 0;
    while (pos + 12 <= n) {
        uint32_t len = image_be32(d + pos);
        const uint8_t *type = d + pos + 4;
        if (len > n - pos - 12) {
            snprintf(msg, msg_len, "png is truncated (chunk past the end)");
            return RR_ERR_CORRUPT;
        }
        if (!seen_ihdr) {
            if (memcmp(type, "IHDR", 4) != 0 || len < 8) {
                snprintf(msg, msg_len, "png does not start with a header chunk");
                return RR_ERR_CORRUPT;
            }
            uint32_t pw = image_be32(d + pos + 8), ph = image_be32(d + pos + 12);
            if (pw == 0 || ph == 0) {
                snprintf(msg, msg_len, "png declares an empty image");
                return RR_ERR_CORRUPT;
            }
            if (pw > RR_IMAGE_MAX_SIDE || ph > RR_IMAGE_MAX_SIDE) {
                snprintf(msg, msg_len, "png is %ux%u, over the limit of %dx%d", pw, ph,
                         RR_IMAGE_MAX_SIDE, RR_IMAGE_MAX_SIDE);
                return RR_ERR_TOOBIG;
            }
            *w = (int)pw;
            *h = (int)ph;
            seen_ihdr = 1;
        }
        if (memcmp(type, "IEND", 4) == 0)
            return 0;
        pos += 12 + (size_t)len;
    }
    snprintf(msg, msg_len, "png is truncated (no end chunk)");
    return RR_ERR_CORRUPT;
}

/* JPEG: walk marker segments up to the first SOS, read the frame size from SOFn, then require an
 * EOI marker after the scan (scan data never contains FF D9: 0xFF bytes are stuffed). The first
 * APP1 segment that carries EXIF gives *orientation (0 when none or malformed). */
static int image_check_jpeg(const uint8_t *d, size_t n, int *w, int *h, int *orientation,
                            char *msg, size_t msg_len)
{
    int seen_exif = 0;
    size_t pos = 2;
    int have_sof = 0;
    for (;;) {
        while (pos < n && d[pos] == 0xFF && pos + 1 < n && d[pos + 1] == 0xFF)
            pos++; /* fill bytes */
        if (pos + 4 > n) {
            snprintf(msg, msg_len, "jpeg is truncated (in the header)");
            return RR_ERR_CORRUPT;
        }
        if (d[pos] != 0xFF) {
            snprintf(msg, msg_len, "jpeg header is malformed");
            return RR_ERR_CORRUPT;
        }
        uint8_t marker = d[pos + 1];
        if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
            pos += 2; /* standalone markers */
            continue;
        }
        if (marker == 0xD9) {
            snprintf(msg, msg_len, "jpeg ends before any image data");
            return RR_ERR_CORRUPT;
        }
        size_t len = ((size_t)d[pos + 2] << 8) | d[pos + 3];
        if (len < 2 || len > n - pos - 2) {
            snprintf(msg, msg_len, "jpeg is truncated (segment past the end)");
            return RR_ERR_CORRUPT;
        }
        int is_sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 &&
                     marker != 0xCC;
        if (is_sof) {
            if (len < 8) {
                snprintf(msg, msg_len, "jpeg frame header is too short");
                return RR_ERR_CORRUPT;
            }
            int jh = (d[pos + 5] << 8) | d[pos + 6];
            int jw = (d[pos + 7] << 8) | d[pos + 8];
            if (jw == 0 || jh == 0) {
                snprintf(msg, msg_len, "jpeg declares an empty image");
                return RR_ERR_CORRUPT;
            }
            if (jw > RR_IMAGE_MAX_SIDE || jh > RR_IMAGE_MAX_SIDE) {
                snprintf(msg, msg_len, "jpeg is %dx%d, over the limit of %dx%d", jw, jh,
                         RR_IMAGE_MAX_SIDE, RR_IMAGE_MAX_SIDE);
                return RR_ERR_TOOBIG;
            }
            *w = jw;
            *h = jh;
            have_sof = 1;
        }
        if (marker == 0xE1 && !seen_exif && len >= 8 && memcmp(d + pos + 4, "Exif\0\0", 6) == 0) {
            seen_exif = 1;
            *orientation = exif_orientation(d + pos + 4, len - 2);
        }
        pos += 2 + len;
        if (marker == 0xDA)
            break; /* start of scan */
    }
    if (!have_sof) {
        snprintf(msg, msg_len, "jpeg has no frame header");
        return RR_ERR_CORRUPT;
    }
    for (size_t i = pos; i + 1 < n; i++)
        if (d[i] == 0xFF && d[i + 1] == 0xD9)
            return 0;
    snprintf(msg, msg_len, "jpeg is truncated (no end-of-image marker)");
    return RR_ERR_CORRUPT;
}

int image_load(const char *path, struct rr_rgbbuf *out, char *msg, size_t msg_len)
{
    int ret = 0;
    char err[AV_ERROR_MAX_STRING_SIZE];
    struct fdio io = {0};
    struct frameconv conv;
    struct rr_rgbbuf raw = {0};
    AVCodecContext *dec = NULL;
    AVPacket *pkt = NULL;
    AVFrame *frame = NULL;
    uint8_t *data = NULL;
    size_t len = 0;

    frameconv_init(&conv, 0);
    if (msg && msg_len)
        msg[0] = '\0';
    if (!out) {
        snprintf(msg, msg_len, "no output buffer");
        return RR_ERR_INVAL;
    }
    fdio_ffmpeg_init();
    ret = fdio_open(&io, path, IMAGE_MAX_BYTES, msg, msg_len);
    if (ret < 0)
        goto out;
    struct sniff_result sn;
    sniff_bytes(io.head, io.head_len, &sn);
    if (sn.kind == SNIFF_EMPTY) {
        snprintf(msg, msg_len, "%s is empty", path);
        ret = RR_ERR_CORRUPT;
        goto out;
    }
    if (!sniff_is_image(sn.kind)) {
        snprintf(msg, msg_len, "%s is not a jpeg or png image (content: %s)", path, sn.label);
        ret = RR_ERR_UNSUPPORTED;
        goto out;
    }
    ret = fdio_read_all(&io, &data, &len);
    if (ret < 0) {
        snprintf(msg, msg_len, "cannot read %s: %s", path, rr_strerror(ret));
        goto out;
    }
    int w = 0, h = 0, orientation = 0;
    if (sn.kind == SNIFF_PNG)
        ret = image_check_png(data, len, &w, &h, msg, msg_len);
    else
        ret = image_check_jpeg(data, len, &w, &h, &orientation, msg, msg_len);
    if (ret < 0)
        goto out;
    if (!sn.demuxer) {
        snprintf(msg, msg_len, "%s looks like %s but its header is not recognised", path, sn.label);
        ret = RR_ERR_CORRUPT;
        goto out;
    }

    const AVCodec *codec = avcodec_find_decoder_by_name(sn.kind == SNIFF_PNG ? "png" : "mjpeg");
    if (!codec) {
        snprintf(msg, msg_len, "%s decoder is not available", sn.label);
        ret = RR_ERR_UNSUPPORTED;
        goto out;
    }
    dec = avcodec_alloc_context3(codec);
    pkt = av_packet_alloc();
    frame = av_frame_alloc();
    if (!dec || !pkt || !frame) {
        snprintf(msg, msg_len, "out of memory");
        ret = RR_ERR_NOMEM;
        goto out;
    }
    dec->thread_count = 1;
    dec->thread_type = FF_THREAD_SLICE;
    dec->max_pixels = (int64_t)RR_IMAGE_MAX_SIDE * RR_IMAGE_MAX_SIDE;
    int averr = avcodec_open2(dec, codec, NULL);
    if (averr < 0) {
        snprintf(msg, msg_len, "cannot open %s decoder: %s", codec->name,
                 fdio_averr(averr, err, sizeof err));
        ret = RR_ERR_INTERNAL;
        goto out;
    }
    if (len > INT32_MAX - AV_INPUT_BUFFER_PADDING_SIZE) {
        snprintf(msg, msg_len, "%s is too large", path);
        ret = RR_ERR_TOOBIG;
        goto out;
    }
    averr = av_packet_from_data(pkt, data, (int)len);
    if (averr < 0) {
        snprintf(msg, msg_len, "out of memory");
        ret = RR_ERR_NOMEM;
        goto out;
    }
    data = NULL; /* owned by pkt now */
    pkt->flags |= AV_PKT_FLAG_KEY;
    averr = avcodec_send_packet(dec, pkt);
    if (averr >= 0)
        averr = avcodec_send_packet(dec, NULL);
    if (averr >= 0 || averr == AVERROR_EOF)
        averr = avcodec_receive_frame(dec, frame);
    if (averr < 0) {
        snprintf(msg, msg_len, "cannot decode %s %s: %s", sn.label, path,
                 fdio_averr(averr, err, sizeof err));
        ret = averr == AVERROR(ENOMEM) ? RR_ERR_NOMEM : RR_ERR_CORRUPT;
        goto out;
    }
    if (frame->width != w || frame->height != h) {
        snprintf(msg, msg_len, "decoded %dx%d but %s declares %dx%d", frame->width, frame->height,
                 path, w, h);
        ret = RR_ERR_CORRUPT;
        goto out;
    }
    int upright = orientation <= 1;
    ret = frameconv_run(&conv, frame, 0, upright ? out : &raw);
    if (ret < 0) {
        snprintf(msg, msg_len, "cannot convert %s to RGB: %s", path, rr_strerror(ret));
        goto out;
    }
    if (!upright) {
        ret = exif_orient(raw.data, raw.width, raw.height, orientation, out);
        if (ret < 0) {
            snprintf(msg, msg_len, "cannot apply the EXIF orientation of %s: %s", path,
                     rr_strerror(ret));
            goto out;
        }
    }
out:
    rr_rgbbuf_release(&raw);
    av_free(data);
    av_frame_free(&frame);
    av_packet_free(&pkt);
    avcodec_free_context(&dec);
    frameconv_release(&conv);
    fdio_close(&io);
    return ret;
}
