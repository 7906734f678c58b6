/*
 * fdio.c - descriptor-backed AVIOContext with a hard end at the size seen by fstat (see fdio.h).
 */
#include "video/fdio.h"

#include "base/rr_error.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavformat/avformat.h>
#include <libavutil/error.h>
#include <libavutil/log.h>
#include <libavutil/mem.h>

#define FDIO_AVIO_BUFFER 65536

static pthread_once_t fdio_once = PTHREAD_ONCE_INIT;

static void fdio_drop_log(void *avcl, int level, const char *fmt, va_list vl)
{
    (void)avcl;
    (void)level;
    (void)fmt;
    (void)vl;
}

static void fdio_init_once(void)
{
    const char *env = getenv("REPRIGHT_FFMPEG_LOG");
    if (env && *env && strcmp(env, "0") != 0) {
        av_log_set_level(AV_LOG_WARNING);
        return;
    }
    av_log_set_level(AV_LOG_QUIET);
    av_log_set_callback(fdio_drop_log);
}

void fdio_ffmpeg_init(void)
{
    pthread_once(&fdio_once, fdio_init_once);
}

const char *fdio_averr(int averr, char *buf, size_t len)
{
    if (len == 0)
        return buf;
    if (av_strerror(averr, buf, len) < 0)
        snprintf(buf, len, "ffmpeg error %d", averr);
    return buf;
}

static ssize_t fdio_pread(int fd, uint8_t *buf, size_t n, int64_t off)
{
    ssize_t r;
    do {
        r = pread(fd, buf, n, (off_t)off);
    } while (r < 0 && errno == EINTR);
    return r;
}

static int fdio_check(struct fdio *f, const char *path, int64_t max_bytes, char *msg,
                      size_t msg_len);

int fdio_open(struct fdio *f, const char *path, int64_t max_bytes, char *msg, size_t msg_len)
{
    memset(f, 0, sizeof *f);
    f->fd = -1;
    if (!path || !*path) {
        snprintf(msg, msg_len, "no file name given");
        return RR_ERR_INVAL;
    }
    f->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (f->fd < 0) {
        int e = errno;
        snprintf(msg, msg_len, "cannot read %s: %s", path, strerror(e));
        return (e == ENOENT || e == ENOTDIR) ? RR_ERR_NOTFOUND : RR_ERR_IO;
    }
    f->opened = 1;
    return fdio_check(f, path, max_bytes, msg, msg_len);
}

int fdio_adopt(struct fdio *f, int fd, const char *name, int64_t max_bytes, char *msg,
               size_t msg_len)
{
    memset(f, 0, sizeof *f);
    f->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (f->fd < 0) {
        snprintf(msg, msg_len, "cannot read %s: %s", name, strerror(errno));
        return RR_ERR_IO;
    }
    f->opened = 1;
    return fdio_check(f, name, max_bytes, msg, msg_len);
}

/* The checks and the sniffing head of a freshly opened descriptor; closes it on failure. */
static int fdio_check(struct fdio *f, const char *path, int64_t max_bytes, char *msg,
                      size_t msg_len)
{
    int ret = 0;
    struct stat st;
    if (fstat(f->fd, &st) != 0) {
        snprintf(msg, msg_len, "cannot read %s: %s", path, strerror(errno));
        ret = RR_ERR_IO;
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(msg, msg_len, "cannot read %s: not a regular file", path);
        ret = RR_ERR_IO;
        goto out;
    }
    if ((int64_t)st.st_size > max_bytes) {
        snprintf(msg, msg_len, "%s is %lld bytes, over the limit of %lld", path,
                 (long long)st.st_size, (long long)max_bytes);
        ret = RR_ERR_TOOBIG;
        goto out;
    }
    f->size = (int64_t)st.st_size;
    size_t want = f->size < (int64_t)sizeof f->head ? (size_t)f->size : sizeof f->head;
    size_t got = 0;
    while (got < want) {
        ssize_t r = fdio_pread(f->fd, f->head + got, want - got, (int64_t)got);
        if (r < 0) {
            snprintf(msg, msg_len, "cannot read %s: %s", path, strerror(errno));
            ret = RR_ERR_IO;
            goto out;
        }
        if (r == 0)
            break; /* file shrank since fstat: sniff what we have */
        got += (size_t)r;
    }
    f->head_len = got;
out:
    if (ret < 0)
        fdio_close(f);
    return ret;
}

static int fdio_read_cb(void *opaque, uint8_t *buf, int len)
{
    struct fdio *f = opaque;
    if (len <= 0)
        return AVERROR(EINVAL);
    if (f->pos >= f->size)
        return AVERROR_EOF;
    int64_t left = f->size - f->pos;
    size_t n = (int64_t)len < left ? (size_t)len : (size_t)left;
    ssize_t r = fdio_pread(f->fd, buf, n, f->pos);
    if (r < 0)
        return AVERROR(errno);
    if (r == 0)
        return AVERROR_EOF;
    f->pos += r;
    return (int)r;
}

static int64_t fdio_seek_cb(void *opaque, int64_t offset, int whence)
{
    struct fdio *f = opaque;
    int64_t base;
    whence &= ~AVSEEK_FORCE;
    switch (whence) {
    case AVSEEK_SIZE:
        return f->size;
    case SEEK_SET:
        base = 0;
        break;
    case SEEK_CUR:
        base = f->pos;
        break;
    case SEEK_END:
        base = f->size;
        break;
    default:
        return AVERROR(EINVAL);
    }
    /* 0 <= base <= size, so this range check cannot overflow. */
    if (offset < -base || offset > f->size - base)
        return AVERROR(EINVAL);
    f->pos = base + offset;
    return f->pos;
}

int fdio_avio(struct fdio *f, struct AVIOContext **out)
{
    *out = NULL;
    if (f->avio) {
        *out = f->avio;
        return 0;
    }
    uint8_t *buf = av_malloc(FDIO_AVIO_BUFFER);
    if (!buf)
        return RR_ERR_NOMEM;
    f->pos = 0;
    f->avio = avio_alloc_context(buf, FDIO_AVIO_BUFFER, 0, f, fdio_read_cb, NULL, fdio_seek_cb);
    if (!f->avio) {
        av_free(buf);
        return RR_ERR_NOMEM;
    }
    *out = f->avio;
    return 0;
}

int fdio_read_all(struct fdio *f, uint8_t **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    if (f->size < 0 || (uint64_t)f->size > SIZE_MAX - AV_INPUT_BUFFER_PADDING_SIZE)
        return RR_ERR_TOOBIG;
    size_t n = (size_t)f->size;
    uint8_t *buf = av_malloc(n + AV_INPUT_BUFFER_PADDING_SIZE);
    if (!buf)
        return RR_ERR_NOMEM;
    size_t got = 0;
    while (got < n) {
        ssize_t r = fdio_pread(f->fd, buf + got, n - got, (int64_t)got);
        if (r < 0) {
            av_free(buf);
            return RR_ERR_IO;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    memset(buf + got, 0, AV_INPUT_BUFFER_PADDING_SIZE);
    *data = buf;
    *len = got;
    return 0;
}

void fdio_close(struct fdio *f)
{
    if (f->avio) {
        av_freep(&f->avio->buffer);
        avio_context_free(&f->avio);
    }
    if (f->opened)
        close(f->fd);
    f->opened = 0;
    f->fd = -1;
    f->size = 0;
    f->pos = 0;
    f->head_len = 0;
}

int fdio_refuse_io_open(struct AVFormatContext *s, struct AVIOContext **pb, const char *url,
                        int flags, struct AVDictionary **options)
{
    (void)s;
    (void)url;
    (void)flags;
    (void)options;
    *pb = NULL;
    return AVERROR(EPERM);
}
