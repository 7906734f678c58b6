/*
 * sniff.h - decide what a file is from its first bytes (internal to src/video).
 *
 * The file name is never consulted: a playlist renamed .mp4 is still a playlist. Magic bytes pick
 * a family (ISO-BMFF/QuickTime, Matroska/WebM, JPEG, PNG), then FFmpeg's own prober must agree
 * and name a demuxer from our allow-list; anything else is refused by the callers.
 * Ownership: none (pure function of the bytes; returned strings are static).
 * Thread-safety: thread-safe (av_probe_input_format3 only reads static tables).
 */
#ifndef RR_VIDEO_SNIFF_H
#define RR_VIDEO_SNIFF_H

#include <stddef.h>
#include <stdint.h>

/* How many leading bytes callers should pass (more is ignored). */
#define SNIFF_HEAD_BYTES 4096

enum sniff_kind {
    SNIFF_UNKNOWN = 0, /* binary data of no allowed family */
    SNIFF_EMPTY,       /* zero bytes */
    SNIFF_TEXT,        /* printable text (JSON, HTML, a note...) */
    SNIFF_PLAYLIST,    /* HLS (#EXTM3U) or DASH manifest: refers to other resources */
    SNIFF_MP4,         /* ISO-BMFF / QuickTime: mov,mp4,m4a,3gp,3g2,mj2 */
    SNIFF_MATROSKA,    /* Matroska / WebM */
    SNIFF_JPEG,
    SNIFF_PNG,
};

struct sniff_result {
    enum sniff_kind kind;
    /* FFmpeg demuxer name agreed by magic bytes and the prober ("mov,mp4,m4a,3gp,3g2,mj2",
     * "matroska,webm", "jpeg_pipe", "png_pipe"), or NULL when they disagree or kind is not media. */
    const char *demuxer;
    const char *label; /* short human name of the kind: "mp4", "hls playlist", "text"... */
};

/* Classify buf[0..n) (n may be 0). Always fills *out; never fails. */
void sniff_bytes(const uint8_t *buf, size_t n, struct sniff_result *out);

/* Is kind a video container (mp4 / matroska) or a still image (jpeg / png)? */
int sniff_is_video(enum sniff_kind kind);
int sniff_is_image(enum sniff_kind kind);

#endif
