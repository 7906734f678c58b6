/*
 * decode.h - decode untrusted video files and images to RGB frames (FFmpeg libav*).
 *
 * Hardened for hostile input (../shared/docs/reliability.md "Untrusted input"): the container is
 * sniffed by content and only mp4/mov/webm-class demuxers (and, for images, jpeg/png) are
 * allowed; only h264/hevc/vp9/av1 video decoders (mjpeg/png for images); no network protocols
 * (only "file"); limits on file size, pixels (4K), streams, decoded duration. Rotation metadata is
 * honoured (frames come out upright); timestamps are real presentation times (variable frame
 * rate safe).
 *
 * Ownership: struct video owns the FFmpeg contexts and one RGB frame buffer; the rr_image
 * returned by video_next() stays valid until the next call or video_close().
 * Errors: RR_ERR_NOTFOUND / RR_ERR_IO (cannot open), RR_ERR_UNSUPPORTED (format or codec not
 * allowed, no video stream), RR_ERR_TOOBIG (a limit), RR_ERR_CORRUPT (undecodable), RR_ERR_EOF
 * (end of stream); `msg` gets a one-line reason.
 * Thread-safety: one struct video per thread.
 */
#ifndef RR_VIDEO_DECODE_H
#define RR_VIDEO_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "base/rr_image.h"

struct video_limits {
    int64_t max_file_bytes;   /* default 512 MiB */
    int max_width, max_height;/* default 4096 x 4096 (before rotation) */
    int max_streams;          /* default 4 */
    int64_t max_duration_us;  /* default 600 s */
    int64_t max_frames;       /* 0 (default): duration limit x 1000 fps; else the smaller */
};
struct video_limits video_limits_default(void);

struct video_info {
    int width, height;   /* output size, after rotation */
    int rotation;        /* degrees clockwise applied: 0, 90, 180, 270 */
    double fps;          /* average frame rate (informational) */
    int64_t duration_us; /* container duration, or 0 if unknown */
    int64_t frames;      /* frame count if the container knows it, else 0 */
    char codec[32];
    char container[32];
};

struct video;

int video_open(const char *path, const struct video_limits *lim, struct video **out, char *msg,
               size_t msg_len);
/* The same over a descriptor the caller holds (it is duplicated; the caller keeps and closes
 * its own); `name` names the video in messages. Nothing is opened by name: a sandboxed decoder
 * that may not open files uses this. */
int video_open_fd(int fd, const char *name, const struct video_limits *lim, struct video **out,
                  char *msg, size_t msg_len);
const struct video_info *video_get_info(const struct video *v);
/* RGB frames (video_next, video_next_into, video_frame_rgb) come out scaled down to fit within
 * max_pixels, aspect kept, even sides, when the picture is larger; 0 (the default) = full size.
 * Decoding itself is unchanged: none of the allowed decoders (h264, hevc, vp9, av1) can decode
 * at a reduced size (libavcodec's lowres is for older codecs), so this saves the conversion and
 * whatever the caller does per pixel afterwards (drawing, encoding). */
void video_set_max_pixels(struct video *v, int64_t max_pixels);
/* Upright size of the RGB frames for the stream's current picture size (info width x height
 * under the max_pixels above). */
void video_output_size(const struct video *v, int *width, int *height);
/* Next frame, upright RGB, and its presentation time in microseconds from the stream start.
 * Returns 0, RR_ERR_EOF at the end, or another RR_ERR_* on failure. */
int video_next(struct video *v, struct rr_image *frame, int64_t *t_us, char *msg, size_t msg_len);
/* Same as video_next(), but converts into the caller's buffer (resized as needed), so a
 * pipeline can decode straight into its own ring of frames without a copy. */
int video_next_into(struct video *v, struct rr_rgbbuf *dst, int64_t *t_us, char *msg,
                    size_t msg_len);
void video_close(struct video *v);

/* Zero-copy access for inference: a decoded picture held by reference, and a view of its 8-bit
 * YUV 4:2:0 planes (what H.264/HEVC/VP9/AV1 phone videos decode to), so a consumer can sample
 * only the pixels it needs instead of converting whole frames to RGB. A video_frame keeps the
 * decoder's buffer alive until it is reused or freed; it may be read on another thread than the
 * one decoding (the buffer is not written again while referenced). */
struct video_frame;
struct video_frame *video_frame_new(void); /* NULL when out of memory */
void video_frame_free(struct video_frame *f);
/* Next frame by reference (any earlier content of f is released); *t_us as video_next(). */
int video_next_frame(struct video *v, struct video_frame *f, int64_t *t_us, char *msg,
                     size_t msg_len);

enum video_yuv_matrix { VIDEO_YUV_BT601 = 0, VIDEO_YUV_BT709 = 1, VIDEO_YUV_BT2020 = 2 };
struct video_yuv {
    int width, height;           /* stored (luma) size, before rotation */
    const uint8_t *y, *u, *v;    /* chroma planes are (width+1)/2 x (height+1)/2 */
    size_t y_stride, uv_stride;  /* bytes between rows */
    int rotation;                /* clockwise degrees that show it upright: 0, 90, 180, 270 */
    int full_range;              /* 1: 0..255 (JPEG range), 0: 16..235 / 16..240 */
    enum video_yuv_matrix matrix;
};
/* View of f's planes (valid while f holds the picture): 0, or RR_ERR_UNSUPPORTED when the
 * picture is not 8-bit 4:2:0 (10-bit, 4:2:2, ...): use video_frame_rgb() then. */
int video_frame_yuv(const struct video_frame *f, struct video_yuv *out);
/* Convert f to upright RGB like video_next_into() would have; call on v's thread. */
int video_frame_rgb(struct video *v, const struct video_frame *f, struct rr_rgbbuf *dst);

/* Decode a still image (JPEG or PNG, sniffed by content) into out (RGB). */
int image_load(const char *path, struct rr_rgbbuf *out, char *msg, size_t msg_len);

#endif
