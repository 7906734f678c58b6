/*
 * encode.h - write RGB frames as an H.264 MP4 (libx264 via libavcodec) and single JPEGs.
 *
 * Files are written to "<path>.part" and renamed into place only when complete (after fsync), so
 * a crash or error never leaves a half-written file under the final name.
 * Ownership: a video_writer owns its FFmpeg contexts and conversion buffers; frames passed in
 * are only read. Errors: RR_ERR_INVAL (bad size), RR_ERR_IO (cannot create/write/rename),
 * RR_ERR_UNSUPPORTED (encoder missing), RR_ERR_NOMEM; `msg` gets a one-line reason.
 * Thread-safety: one writer per thread.
 */
#ifndef RR_VIDEO_ENCODE_H
#define RR_VIDEO_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "base/rr_image.h"

struct video_writer;

/* width/height of every frame to come (even sizes are not required: odd ones are padded). */
int video_writer_open(const char *path, int width, int height, double fps,
                      struct video_writer **out, char *msg, size_t msg_len);
/* The same on a descriptor the caller holds, open for reading and writing and seekable (the mp4
 * muxer seeks back to finish its boxes); the file is written from its current offset. The
 * descriptor stays the caller's: close neither closes, fsyncs nor renames it (a sandboxed
 * renderer writes here, its parent publishes the file). */
int video_writer_open_fd(int fd, int width, int height, double fps, struct video_writer **out,
                         char *msg, size_t msg_len);
/* Append one frame shown at t_us (microseconds; non-increasing times are nudged forward). */
int video_writer_write(struct video_writer *w, const struct rr_image *frame, int64_t t_us,
                       char *msg, size_t msg_len);
/* Flush, finish the file and rename it into place (on a descriptor: flush only); frees w
 * whatever happens. */
int video_writer_close(struct video_writer *w, char *msg, size_t msg_len);
/* Discard: free w and remove the partial file (on a descriptor: leave it to the caller). video_writer_abort(NULL) is a no-op. */
void video_writer_abort(struct video_writer *w);

/* Encode one RGB image as a baseline JPEG (quality 1..100) into a malloc'd *data of *len bytes
 * (the caller frees it); nothing is opened. */
int jpeg_encode(const struct rr_image *img, int quality, uint8_t **data, size_t *len,
                char *msg, size_t msg_len);
/* jpeg_encode into path, through path.part, fsync and rename. */
int jpeg_write(const char *path, const struct rr_image *img, int quality, char *msg,
               size_t msg_len);

#endif
