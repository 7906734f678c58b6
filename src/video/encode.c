/*
 * encode.c - H.264/MP4 and JPEG output (see encode.h).
 *
 * DESIGN: frames arrive as packed RGB; libswscale converts to yuv420p (yuvj420p for JPEG) into
 * one reused AVFrame. Output goes to "<path>.part", fsync'ed, then renamed, so readers only ever
 * see complete files.
 */
#include "video/encode.h"
#include "base/rr_error.h"

#include <errno.h>
#include <fcntl.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct video_writer {
    AVFormatContext *fmt;
    AVCodecContext *enc;
    AVStream *st;
    AVFrame *frame;
    AVPacket *pkt;
    struct SwsContext *sws;
    int width, height; /* input size */
    int64_t last_pts;
    int fd;            /* >= 0: writing to the caller's descriptor (video_writer_open_fd) */
    char path[4096];   /* "" with fd */
    char part[4200];
};

#define FD_AVIO_BUFFER (64 * 1024)

/* The AVIOContext callbacks of video_writer_open_fd: plain write and lseek on the descriptor
 * (the mp4 muxer seeks back to finish the mdat box). */
#if LIBAVFORMAT_VERSION_MAJOR >= 61
static int fd_write_cb(void *opaque, const uint8_t *buf, int len)
#else
static int fd_write_cb(void *opaque, uint8_t *buf, int len)
#endif
{
    const struct video_writer *w = opaque;
    int done = 0;
    while (done < len) {
        ssize_t n = write(w->fd, buf + done, (size_t)(len - done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return AVERROR(n < 0 ? errno : EIO);
        done += (int)n;
    }
    return len;
}

static int64_t fd_seek_cb(void *opaque, int64_t offset, int whence)
{
    const struct video_writer *w = opaque;
    if (whence & AVSEEK_SIZE) {
        struct stat st;
        return fstat(w->fd, &st) == 0 ? (int64_t)st.st_size : AVERROR(errno);
    }
    off_t r = lseek(w->fd, (off_t)offset, whence & ~AVSEEK_FORCE);
    return r < 0 ? AVERROR(errno) : (int64_t)r;
}

static void set_msg(char *msg, size_t len, const char *what, int averr)
{
    if (!msg || !len)
        return;
    char buf[128] = "";
    if (averr)
        av_strerror(averr, buf, sizeof buf);
    snprintf(msg, len, "%s%s%s", what, averr ? ": " : "", buf);
}

/* fsync the file and then rename it into place, fsyncing the directory. */
static int commit_file(const char *part, const char *path)
{
    int fd = open(part, O_RDONLY);
    if (fd < 0)
        return RR_ERR_IO;
    int rc = fsync(fd);
    close(fd);
    if (rc != 0 || rename(part, path) != 0)
        return RR_ERR_IO;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    else
        snprintf(dir, sizeof dir, ".");
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    return 0;
}

static void writer_free(struct video_writer *w)
{
    if (!w)
        return;
    if (w->fmt) {
        if (w->fmt->pb && w->fd >= 0) { /* ours: the buffer and the context, not the fd */
            av_freep(&w->fmt->pb->buffer);
            avio_context_free(&w->fmt->pb);
        } else if (w->fmt->pb) {
            avio_closep(&w->fmt->pb);
        }
        avformat_free_context(w->fmt);
    }
    avcodec_free_context(&w->enc);
    av_frame_free(&w->frame);
    av_packet_free(&w->pkt);
    sws_freeContext(w->sws);
    free(w);
}

/* Open the writer on path (fd < 0) or on the caller's descriptor fd. */
static int writer_open(const char *path, int fd, int width, int height, double fps,
                       struct video_writer **out, char *msg, size_t msg_len)
{
    if ((!path && fd < 0) || width < 2 || height < 2 || width > RR_IMAGE_MAX_SIDE ||
        height > RR_IMAGE_MAX_SIDE || !(fps > 0 && fps <= 240)) {
        set_msg(msg, msg_len, "invalid overlay size or frame rate", 0);
        return RR_ERR_INVAL;
    }
    struct video_writer *w = calloc(1, sizeof *w);
    if (!w)
        return RR_ERR_NOMEM;
    int rc = RR_ERR_NOMEM, err = 0;
    w->fd = fd;
    if (fd < 0) {
        snprintf(w->path, sizeof w->path, "%s", path);
        snprintf(w->part, sizeof w->part, "%s.part", path);
    }
    w->width = width;
    w->height = height;
    w->last_pts = -1;
    const AVCodec *codec = avcodec_find_encoder_by_name("libx264");
    if (!codec)
        codec = avcodec_find_encoder(AV_CODEC_ID_H264);
    if (!codec) {
        set_msg(msg, msg_len, "no h264 encoder available", 0);
        rc = RR_ERR_UNSUPPORTED;
        goto out;
    }
    err = avformat_alloc_output_context2(&w->fmt, NULL, "mp4", NULL);
    if (err < 0 || !w->fmt)
        goto out;
    w->st = avformat_new_stream(w->fmt, NULL);
    w->enc = avcodec_alloc_context3(codec);
    w->frame = av_frame_alloc();
    w->pkt = av_packet_alloc();
    if (!w->st || !w->enc || !w->frame || !w->pkt)
        goto out;
    w->enc->width = (width + 1) & ~1;
    w->enc->height = (height + 1) & ~1;
    w->enc->pix_fmt = AV_PIX_FMT_YUV420P;
    w->enc->time_base = (AVRational){1, 90000};
    w->enc->framerate = av_d2q(fps, 1000);
    w->enc->gop_size = (int)(fps * 2);
    w->enc->thread_count = 1;
    if (w->fmt->oformat->flags & AVFMT_GLOBALHEADER)
        w->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    av_opt_set(w->enc->priv_data, "preset", "veryfast", 0);
    av_opt_set(w->enc->priv_data, "crf", "23", 0);
    err = avcodec_open2(w->enc, codec, NULL);
    if (err < 0) {
        set_msg(msg, msg_len, "cannot open h264 encoder", err);
        rc = RR_ERR_UNSUPPORTED;
        goto out;
    }
    err = avcodec_parameters_from_context(w->st->codecpar, w->enc);
    if (err < 0)
        goto out;
    w->st->time_base = w->enc->time_base;
    w->frame->format = w->enc->pix_fmt;
    w->frame->width = w->enc->width;
    w->frame->height = w->enc->height;
    err = av_frame_get_buffer(w->frame, 0);
    if (err < 0)
        goto out;
    w->sws = sws_getContext(width, height, AV_PIX_FMT_RGB24, width, height, AV_PIX_FMT_YUV420P,
                            SWS_BILINEAR, NULL, NULL, NULL);
    if (!w->sws)
        goto out;
    if (fd >= 0) {
        uint8_t *buf = av_malloc(FD_AVIO_BUFFER);
        w->fmt->pb = buf ? avio_alloc_context(buf, FD_AVIO_BUFFER, 1, w, NULL, fd_write_cb,
                                              fd_seek_cb)
                         : NULL;
        if (!w->fmt->pb) {
            av_free(buf);
            goto out;
        }
        err = 0;
    } else {
        err = avio_open(&w->fmt->pb, w->part, AVIO_FLAG_WRITE);
    }
    if (err < 0) {
        set_msg(msg, msg_len, "cannot create overlay file", err);
        rc = RR_ERR_IO;
        goto out;
    }
    err = avformat_write_header(w->fmt, NULL);
    if (err < 0) {
        set_msg(msg, msg_len, "cannot write mp4 header", err);
        rc = RR_ERR_IO;
        goto out;
    }
    *out = w;
    return 0;
out:
    if (rc == RR_ERR_NOMEM && err < 0)
        set_msg(msg, msg_len, "cannot set up the h264 encoder", err);
    video_writer_abort(w);
    return rc;
}

int video_writer_open(const char *path, int width, int height, double fps,
                      struct video_writer **out, char *msg, size_t msg_len)
{
    if (!path) {
        set_msg(msg, msg_len, "no overlay path", 0);
        return RR_ERR_INVAL;
    }
    return writer_open(path, -1, width, height, fps, out, msg, msg_len);
}

int video_writer_open_fd(int fd, int width, int height, double fps, struct video_writer **out,
                         char *msg, size_t msg_len)
{
    if (fd < 0) {
        set_msg(msg, msg_len, "no overlay descriptor", 0);
        return RR_ERR_INVAL;
    }
    return writer_open(NULL, fd, width, height, fps, out, msg, msg_len);
}

/* Send one frame (or NULL to flush) and write every packet that comes out. */
static int pump(struct video_writer *w, AVFrame *f)
{
    int err = avcodec_send_frame(w->enc, f);
    if (err < 0)
        return err;
    for (;;) {
        err = avcodec_receive_packet(w->enc, w->pkt);
        if (err == AVERROR(EAGAIN) || err == AVERROR_EOF)
            return 0;
        if (err < 0)
            return err;
        av_packet_rescale_ts(w->pkt, w->enc->time_base, w->st->time_base);
        w->pkt->stream_index = w->st->index;
        err = av_interleaved_write_frame(w->fmt, w->pkt);
        if (err < 0)
            return err;
    }
}

int video_writer_write(struct video_writer *w, const struct rr_image *frame, int64_t t_us,
                       char *msg, size_t msg_len)
{
    if (!w || !frame || frame->width != w->width || frame->height != w->height) {
        set_msg(msg, msg_len, "overlay frame size changed", 0);
        return RR_ERR_INVAL;
    }
    int err = av_frame_make_writable(w->frame);
    if (err < 0)
        goto fail;
    const uint8_t *src[1] = {frame->rgb};
    int src_stride[1] = {(int)frame->stride};
    sws_scale(w->sws, src, src_stride, 0, frame->height, w->frame->data, w->frame->linesize);
    int64_t pts = av_rescale(t_us, 90000, 1000000);
    if (pts <= w->last_pts)
        pts = w->last_pts + 1;
    w->last_pts = pts;
    w->frame->pts = pts;
    err = pump(w, w->frame);
    if (err < 0)
        goto fail;
    return 0;
fail:
    set_msg(msg, msg_len, "cannot encode overlay frame", err);
    return RR_ERR_IO;
}

int video_writer_close(struct video_writer *w, char *msg, size_t msg_len)
{
    if (!w)
        return RR_ERR_INVAL;
    int err = pump(w, NULL);
    if (err >= 0)
        err = av_write_trailer(w->fmt);
    if (err >= 0 && w->fd >= 0) {
        avio_flush(w->fmt->pb);
        err = w->fmt->pb->error;
    } else if (err >= 0) {
        err = avio_closep(&w->fmt->pb);
    }
    int rc = 0;
    if (err < 0) {
        set_msg(msg, msg_len, "cannot finish overlay file", err);
        rc = RR_ERR_IO;
    } else if (w->fd < 0 && commit_file(w->part, w->path) != 0) {
        set_msg(msg, msg_len, "cannot move overlay file into place", 0);
        rc = RR_ERR_IO;
    }
    if (rc != 0 && w->fd < 0)
        unlink(w->part);
    writer_free(w);
    return rc;
}

void video_writer_abort(struct video_writer *w)
{
    if (!w)
        return;
    char part[sizeof w->part];
    memcpy(part, w->part, sizeof part);
    int on_fd = w->fd >= 0;
    writer_free(w);
    if (!on_fd)
        unlink(part);
}

int jpeg_encode(const struct rr_image *img, int quality, uint8_t **data, size_t *len,
                char *msg, size_t msg_len)
{
    if (data)
        *data = NULL;
    if (len)
        *len = 0;
    if (!data || !len || !img || !img->rgb || img->width < 1 || img->height < 1 ||
        img->width > RR_IMAGE_MAX_SIDE || img->height > RR_IMAGE_MAX_SIDE || quality < 1 ||
        quality > 100) {
        set_msg(msg, msg_len, "invalid image for jpeg", 0);
        return RR_ERR_INVAL;
    }
    int rc = RR_ERR_NOMEM, err = 0;
    AVCodecContext *enc = NULL;
    AVFrame *f = av_frame_alloc();
    AVPacket *pkt = av_packet_alloc();
    struct SwsContext *sws = NULL;
    const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
    if (!codec) {
        rc = RR_ERR_UNSUPPORTED;
        set_msg(msg, msg_len, "no jpeg encoder available", 0);
        goto out;
    }
    enc = avcodec_alloc_context3(codec);
    if (!enc || !f || !pkt)
        goto out;
    enc->width = img->width;
    enc->height = img->height;
    enc->pix_fmt = AV_PIX_FMT_YUVJ420P;
    enc->time_base = (AVRational){1, 25};
    enc->flags |= AV_CODEC_FLAG_QSCALE;
    enc->thread_count = 1;
    /* map quality 1..100 to mjpeg's qscale 31..2 */
    int q = 2 + (100 - quality) * 29 / 99;
    enc->global_quality = FF_QP2LAMBDA * q;
    err = avcodec_open2(enc, codec, NULL);
    if (err < 0) {
        rc = RR_ERR_UNSUPPORTED;
        set_msg(msg, msg_len, "cannot open jpeg encoder", err);
        goto out;
    }
    f->format = enc->pix_fmt;
    f->width = img->width;
    f->height = img->height;
    f->quality = enc->global_quality;
    f->pict_type = AV_PICTURE_TYPE_I;
    if (av_frame_get_buffer(f, 0) < 0)
        goto out;
    sws = sws_getContext(img->width, img->height, AV_PIX_FMT_RGB24, img->width, img->height,
                         AV_PIX_FMT_YUVJ420P, SWS_BILINEAR, NULL, NULL, NULL);
    if (!sws)
        goto out;
    const uint8_t *src[1] = {img->rgb};
    int stride[1] = {(int)img->stride};
    sws_scale(sws, src, stride, 0, img->height, f->data, f->linesize);
    f->pts = 0;
    err = avcodec_send_frame(enc, f);
    if (err >= 0)
        err = avcodec_send_frame(enc, NULL);
    if (err >= 0)
        err = avcodec_receive_packet(enc, pkt);
    if (err < 0 || pkt->size <= 0) {
        rc = RR_ERR_IO;
        set_msg(msg, msg_len, "cannot encode jpeg", err);
        goto out;
    }
    *data = malloc((size_t)pkt->size);
    if (!*data)
        goto out;
    memcpy(*data, pkt->data, (size_t)pkt->size);
    *len = (size_t)pkt->size;
    rc = 0;
out:
    sws_freeContext(sws);
    avcodec_free_context(&enc);
    av_frame_free(&f);
    av_packet_free(&pkt);
    return rc;
}

int jpeg_write(const char *path, const struct rr_image *img, int quality, char *msg,
               size_t msg_len)
{
    if (!path) {
        set_msg(msg, msg_len, "invalid image for jpeg", 0);
        return RR_ERR_INVAL;
    }
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = jpeg_encode(img, quality, &data, &len, msg, msg_len);
    if (rc < 0)
        return rc;
    char part[4200];
    snprintf(part, sizeof part, "%s.part", path);
    FILE *fp = fopen(part, "wb");
    if (!fp || fwrite(data, 1, len, fp) != len || fflush(fp) != 0) {
        rc = RR_ERR_IO;
        set_msg(msg, msg_len, "cannot write jpeg file", 0);
    }
    if (fp)
        fclose(fp);
    free(data);
    if (rc == 0 && commit_file(part, path) != 0) {
        rc = RR_ERR_IO;
        set_msg(msg, msg_len, "cannot move jpeg into place", 0);
    }
    if (rc != 0)
        unlink(part);
    return rc;
}
