/*
 * fdio.h - read an untrusted file through a descriptor we open ourselves (internal to src/video).
 *
 * FFmpeg never opens anything by name: fdio_open() opens and fstat()s the path (regular files
 * only, size checked against a limit), keeps the first SNIFF_HEAD_BYTES for sniffing, and
 * fdio_avio() wraps the descriptor in an AVIOContext whose reads never go past the size seen at
 * open time. fdio_refuse_io_open() is an AVFormatContext.io_open that refuses every request, so a
 * demuxer can never reach a second file or a network protocol.
 * Ownership: struct fdio owns the descriptor and the AVIOContext (and its buffer).
 * Errors: RR_ERR_NOTFOUND (no such file), RR_ERR_IO (unreadable, not a regular file),
 * RR_ERR_TOOBIG (over the byte limit), RR_ERR_NOMEM; `msg` gets a one-line reason.
 * Thread-safety: one struct fdio per thread; fdio_ffmpeg_init() is thread-safe (pthread_once).
 */
#ifndef RR_VIDEO_FDIO_H
#define RR_VIDEO_FDIO_H

#include <stddef.h>
#include <stdint.h>

#include "video/sniff.h"

struct AVIOContext;
struct AVFormatContext;
struct AVDictionary;

struct fdio {
    int fd;
    int opened; /* fd is ours to close (a zeroed struct is safe to close) */
    int64_t size; /* bytes at open time; reads stop here */
    int64_t pos;
    uint8_t head[SNIFF_HEAD_BYTES];
    size_t head_len;
    struct AVIOContext *avio;
};

/* Quiet FFmpeg's logging (set REPRIGHT_FFMPEG_LOG=1 to see it) once per process. */
void fdio_ffmpeg_init(void);

int fdio_open(struct fdio *f, const char *path, int64_t max_bytes, char *msg, size_t msg_len);
/* The same over a descriptor the caller already holds (duplicated: the caller keeps its own);
 * `name` only names it in messages. For a sandbox that may no longer open files. */
int fdio_adopt(struct fdio *f, int fd, const char *name, int64_t max_bytes, char *msg,
               size_t msg_len);
/* Wrap the descriptor for libavformat (seekable, read-only). 0 or RR_ERR_NOMEM. */
int fdio_avio(struct fdio *f, struct AVIOContext **out);
/* Read the whole file into an av_malloc'd buffer with AV_INPUT_BUFFER_PADDING_SIZE zero bytes
 * after it (ready for av_packet_from_data). 0, RR_ERR_IO, RR_ERR_NOMEM. */
int fdio_read_all(struct fdio *f, uint8_t **data, size_t *len);
/* Closes the descriptor and frees the AVIOContext; safe on a zeroed, failed or closed struct. */
void fdio_close(struct fdio *f);

int fdio_refuse_io_open(struct AVFormatContext *s, struct AVIOContext **pb, const char *url,
                        int flags, struct AVDictionary **options);

/* av_strerror into buf; returns buf. */
const char *fdio_averr(int averr, char *buf, size_t len);

#endif
