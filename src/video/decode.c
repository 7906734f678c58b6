/*
 * decode.c - hardened video decoding: sniff, allow-listed demuxer over our own descriptor,
 * allow-listed decoder, limits, rotation, real timestamps (see decode.h).
 *
 * DESIGN
 * - FFmpeg never sees a file name or a protocol: fdio.c opens the file and hands libavformat an
 *   AVIOContext; io_open refuses every further request (mov drefs, playlists, ...). The format is
 *   forced to the one sniff.c agreed on, so no other demuxer ever parses the bytes.
 * - avformat_find_stream_info() is not called: mp4 and Matroska carry codec parameters in their
 *   headers, and skipping it keeps other streams' decoders (audio, subtitles) out of reach. Every
 *   stream but the chosen video one is discarded at the demuxer.
 * - Limits are checked on what the container declares (size, streams, dimensions, duration,
 *   sample table past the end of the file) before the decoder opens, and again on every frame
 *   (decoded dimensions via max_pixels and an explicit check, running timestamps, frame count).
 * - Timestamps: best_effort_timestamp relative to the first frame, rescaled to microseconds; a
 *   missing or non-increasing stamp is replaced by previous + one nominal frame period, so
 *   callers always see strictly increasing times.
 */
#include "video/decode.h"

#include "base/rr_error.h"
#include "base/rr_fault.h"
#include "video/fdio.h"
#include "video/frameconv.h"
#include "video/sniff.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/mathematics.h>

/* Hard caps independent of the caller's limits. */
#define VIDEO_MAX_STREAMS_PARSED 64 /* the demuxer refuses to create more */
#define VIDEO_MAX_FPS 1000          /* frame-count cap = duration limit x this rate */
#define VIDEO_MAX_BAD_PACKETS 32    /* consecutive undecodable packets before giving up */
#define VIDEO_PROBESIZE (8 << 20)

struct video {
    struct fdio io;
    AVFormatContext *fmt;
    AVCodecContext *dec;
    AVPacket *pkt;
    AVFrame *frame;
    int stream_index;
    AVRational tb;
    struct video_limits lim;
    struct video_info info;
    struct frameconv conv;
    struct rr_rgbbuf rgb;
    int64_t first_pts;
    int have_first;
    int64_t last_t_us;
    int64_t frames_out;
    int64_t max_frames;
    int64_t step_us;
    int draining;
    int bad_packets;
    int sticky; /* error returned once is returned again */
};

struct video_frame {
    AVFrame *av;  /* a reference to the decoder's picture */
    int rotation; /* clockwise degrees to show it upright */
};

struct video_codec_allow {
    enum AVCodecID id;
    const char *decoders[3]; /* tried in order; only software decoders we trust */
};

static const struct video_codec_allow video_codecs[] = {
    {AV_CODEC_ID_H264, {"h264", NULL, NULL}},
    {AV_CODEC_ID_HEVC, {"hevc", NULL, NULL}},
    {AV_CODEC_ID_VP9, {"vp9", "libvpx-vp9", NULL}},
    {AV_CODEC_ID_AV1, {"libdav1d", "libaom-av1", NULL}},
};

struct video_limits video_limits_default(void)
{
    struct video_limits l = {
        .max_file_bytes = (int64_t)512 << 20,
        .max_width = 4096,
        .max_height = 4096,
        .max_streams = 4,
        .max_duration_us = (int64_t)600 * 1000000,
    };
    return l;
}

static const AVCodec *video_pick_decoder(enum AVCodecID id)
{
    for (size_t i = 0; i < sizeof video_codecs / sizeof video_codecs[0]; i++) {
        if (video_codecs[i].id != id)
            continue;
        for (int k = 0; k < 3 && video_codecs[i].decoders[k]; k++) {
            const AVCodec *c = avcodec_find_decoder_by_name(video_codecs[i].decoders[k]);
            if (c && c->id == id)
                return c;
        }
    }
    return NULL;
}

/* Clockwise degrees (0/90/180/270) that make the stream upright; 0 for odd angles or flips. */
static int video_rotation(const AVStream *st)
{
    size_t size = 0;
    const uint8_t *sd = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, &size);
    if (!sd || size < 9 * sizeof(int32_t))
        return 0;
    int32_t m[9];
    memcpy(m, sd, sizeof m);
    double ccw = av_display_rotation_get(m);
    if (isnan(ccw))
        return 0;
    double cw = -ccw;
    cw -= 360.0 * floor(cw / 360.0);
    long q = lround(cw / 90.0);
    if (fabs(cw - 90.0 * (double)q) > 1.0)
        return 0;
    return (int)((q % 4) * 90);
}

/* Refuse an mp4 whose sample table points past the end of the file (a cut-off upload). */
static int video_check_truncated(AVStream *st, int64_t file_size, char *msg, size_t msg_len)
{
    int n = avformat_index_get_entries_count(st);
    for (int i = 0; i < n; i++) {
        const AVIndexEntry *e = avformat_index_get_entry(st, i);
        if (!e)
            break;
        if (e->pos < 0 || e->size < 0 || e->pos > file_size || e->size > file_size - e->pos) {
            snprintf(msg, msg_len, "file is truncated: video sample %d lies past the end (%lld bytes)",
                     i, (long long)file_size);
            return RR_ERR_CORRUPT;
        }
    }
    return 0;
}

static int video_limits_valid(const struct video_limits *l)
{
    return l->max_file_bytes > 0 && l->max_width > 0 && l->max_height > 0 && l->max_streams > 0 &&
           l->max_duration_us > 0;
}

/* fd >= 0: read that descriptor, `path` only names it; else open path. */
static int video_open_src(const char *path, int fd, const struct video_limits *lim,
                          struct video **out, char *msg, size_t msg_len)
{
    int ret = 0;
    char err[AV_ERROR_MAX_STRING_SIZE];
    AVDictionary *opts = NULL;
    struct video *v = NULL;
    if (msg && msg_len)
        msg[0] = '\0';
    if (!out) {
        snprintf(msg, msg_len, "no output pointer");
        return RR_ERR_INVAL;
    }
    *out = NULL;
    fdio_ffmpeg_init();
    v = calloc(1, sizeof *v);
    if (!v) {
        snprintf(msg, msg_len, "out of memory");
        return RR_ERR_NOMEM;
    }
    frameconv_init(&v->conv, 1);
    v->lim = lim ? *lim : video_limits_default();
    if (!video_limits_valid(&v->lim)) {
        snprintf(msg, msg_len, "invalid video limits");
        ret = RR_ERR_INVAL;
        goto out;
    }
    ret = fd >= 0 ? fdio_adopt(&v->io, fd, path, v->lim.max_file_bytes, msg, msg_len)
                  : fdio_open(&v->io, path, v->lim.max_file_bytes, msg, msg_len);
    if (ret < 0)
        goto out;

    struct sniff_result sn;
    sniff_bytes(v->io.head, v->io.head_len, &sn);
    if (sn.kind == SNIFF_EMPTY) {
        snprintf(msg, msg_len, "%s is empty", path);
        ret = RR_ERR_CORRUPT;
        goto out;
    }
    if (!sniff_is_video(sn.kind)) {
        snprintf(msg, msg_len, "%s is not a supported video (content: %s)", path, sn.label);
        ret = RR_ERR_UNSUPPORTED;
        goto out;
    }
    if (!sn.demuxer) {
        snprintf(msg, msg_len, "%s looks like %s but its header is not recognised", path, sn.label);
        ret = RR_ERR_CORRUPT;
        goto out;
    }
    const AVInputFormat *ifmt = av_find_input_format(sn.kind == SNIFF_MP4 ? "mov" : "matroska");
    if (!ifmt || strcmp(ifmt->name, sn.demuxer) != 0) {
        snprintf(msg, msg_len, "demuxer for %s is not available", sn.label);
        ret = RR_ERR_UNSUPPORTED;
        goto out;
    }

    AVIOContext *pb = NULL;
    ret = fdio_avio(&v->io, &pb);
    if (ret < 0) {
        snprintf(msg, msg_len, "out of memory");
        goto out;
    }
    v->fmt = avformat_alloc_context();
    if (!v->fmt) {
        snprintf(msg, msg_len, "out of memory");
        ret = RR_ERR_NOMEM;
        goto out;
    }
    v->fmt->pb = pb;
    v->fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
    v->fmt->io_open = fdio_refuse_io_open;
    v->fmt->max_streams = VIDEO_MAX_STREAMS_PARSED;
    v->fmt->probesize = VIDEO_PROBESIZE;
    av_dict_set(&opts, "protocol_whitelist", "file", 0);
    av_dict_set(&opts, "format_whitelist", "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm", 0);
    av_dict_set(&opts, "codec_whitelist", "h264,hevc,vp9,libvpx-vp9,libdav1d,libaom-av1", 0);
    int averr = avformat_open_input(&v->fmt, "untrusted-input", ifmt, &opts);
    if (averr < 0) {
        /* avformat_open_input frees the context on failure; fdio still owns pb. */
        snprintf(msg, msg_len, "cannot parse %s container of %s: %s", sn.label, path,
                 fdio_averr(averr, err, sizeof err));
        ret = averr == AVERROR(ENOMEM) ? RR_ERR_NOMEM : RR_ERR_CORRUPT;
        goto out;
    }
    if (v->fmt->nb_streams == 0) {
        snprintf(msg, msg_len, "%s has no streams", path);
        ret = RR_ERR_UNSUPPORTED;
        goto out;
    }
    if ((int64_t)v->fmt->nb_streams > v->lim.max_streams) {
        snprintf(msg, msg_len, "%s has %u streams, over the limit of %d", path, v->fmt->nb_streams,
                 v->lim.max_streams);
        ret = RR_ERR_TOOBIG;
        goto out;
    }
    AVStream *st = NULL;
    v->stream_index = -1;
    for (unsigned i = 0; i < v->fmt->nb_streams; i++) {
        AVStream *s = v->fmt->streams[i];
        if (!st && s->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
            !(s->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
            st = s;
            v->stream_index = (int)i;
        } else {
            s->discard = AVDISCARD_ALL;
        }
    }
    if (!st) {
        snprintf(msg, msg_len, "%s has no video stream", path);
        ret = RR_ERR_UNSUPPORTED;
        goto out;
    }
    const AVCodecParameters *cp = st->codecpar;
    const AVCodec *codec = video_pick_decoder(cp->codec_id);
    if (!codec) {
        snprintf(msg, msg_len, "video codec %s is not supported (h264, hevc, vp9, av1 are)",
                 avcodec_get_name(cp->codec_id));
        ret = RR_ERR_UNSUPPORTED;
        goto out;
    }
    if (cp->width < 0 || cp->height < 0) {
        snprintf(msg, msg_len, "%s declares a negative frame size", path);
        ret = RR_ERR_CORRUPT;
        goto out;
    }
    if (cp->width > v->lim.max_width || cp->height > v->lim.max_height) {
        snprintf(msg, msg_len, "%s is %dx%d, over the limit of %dx%d", path, cp->width, cp->height,
                 v->lim.max_width, v->lim.max_height);
        ret = RR_ERR_TOOBIG;
        goto out;
    }
    if (st->time_base.num <= 0 || st->time_base.den <= 0) {
        snprintf(msg, msg_len, "%s has an invalid time base", path);
        ret = RR_ERR_CORRUPT;
        goto out;
    }
    v->tb = st->time_base;
    if (sn.kind == SNIFF_MP4) {
        ret = video_check_truncated(st, v->io.size, msg, msg_len);
        if (ret < 0)
            goto out;
    }

    int64_t dur = 0;
    if (v->fmt->duration != AV_NOPTS_VALUE && v->fmt->duration > 0)
        dur = v->fmt->duration; /* AV_TIME_BASE is microseconds */
    if (st->duration != AV_NOPTS_VALUE && st->duration > 0) {
        int64_t sd = av_rescale_q(st->duration, st->time_base, AV_TIME_BASE_Q);
        if (sd > dur)
            dur = sd;
    }
    if (dur > v->lim.max_duration_us) {
        snprintf(msg, msg_len, "%s lasts %.1f s, over the limit of %.1f s", path, (double)dur / 1e6,
                 (double)v->lim.max_duration_us / 1e6);
        ret = RR_ERR_TOOBIG;
        goto out;
    }

    v->dec = avcodec_alloc_context3(codec);
    if (!v->dec) {
        snprintf(msg, msg_len, "out of memory");
        ret = RR_ERR_NOMEM;
        goto out;
    }
    averr = avcodec_parameters_to_context(v->dec, cp);
    if (averr < 0) {
        snprintf(msg, msg_len, "bad codec parameters: %s", fdio_averr(averr, err, sizeof err));
        ret = RR_ERR_CORRUPT;
        goto out;
    }
    /* One thread: callers run many videos in parallel. Slice threading keeps zero frame delay. */
    v->dec->thread_count = 1;
    v->dec->thread_type = FF_THREAD_SLICE;
    v->dec->pkt_timebase = st->time_base;
    /* Hard ceiling inside the decoder; the caller's (smaller) limits are checked per frame so
     * that breaking them reads as RR_ERR_TOOBIG, not as an undecodable stream. */
    v->dec->max_pixels = (int64_t)RR_IMAGE_MAX_PIXELS;
    averr = avcodec_open2(v->dec, codec, NULL);
    if (averr < 0) {
        snprintf(msg, msg_len, "cannot open %s decoder: %s", codec->name,
                 fdio_averr(averr, err, sizeof err));
        ret = averr == AVERROR(ENOMEM) ? RR_ERR_NOMEM : RR_ERR_CORRUPT;
        goto out;
    }
    v->pkt = av_packet_alloc();
    v->frame = av_frame_alloc();
    if (!v->pkt || !v->frame) {
        snprintf(msg, msg_len, "out of memory");
        ret = RR_ERR_NOMEM;
        goto out;
    }

    struct video_info *info = &v->info;
    info->rotation = video_rotation(st);
    int swap = info->rotation == 90 || info->rotation == 270;
    info->width = swap ? cp->height : cp->width;
    info->height = swap ? cp->width : cp->height;
    AVRational fr = st->avg_frame_rate;
    if (fr.num <= 0 || fr.den <= 0)
        fr = st->r_frame_rate;
    info->fps = (fr.num > 0 && fr.den > 0) ? av_q2d(fr) : 0.0;
    if (!(info->fps > 0.0 && info->fps <= VIDEO_MAX_FPS))
        info->fps = 0.0;
    info->duration_us = dur;
    info->frames = st->nb_frames > 0 ? st->nb_frames : 0;
    snprintf(info->codec, sizeof info->codec, "%s", avcodec_get_name(cp->codec_id));
    snprintf(info->container, sizeof info->container, "%s", sn.label);
    v->step_us = info->fps > 0.0 ? (int64_t)llround(1e6 / info->fps) : 33333;
    if (v->step_us < 1)
        v->step_us = 1;
    v->max_frames = v->lim.max_duration_us / 1000000 * VIDEO_MAX_FPS + VIDEO_MAX_FPS;
    if (v->lim.max_frames > 0 && v->lim.max_frames < v->max_frames)
        v->max_frames = v->lim.max_frames; /* e.g. a job's CPU budget in frames */
    v->last_t_us = -1;
    ret = 0;
out:
    av_dict_free(&opts);
    if (ret < 0) {
        video_close(v);
        v = NULL;
    }
    *out = v;
    return ret;
}

int video_open(const char *path, const struct video_limits *lim, struct video **out, char *msg,
               size_t msg_len)
{
    return video_open_src(path, -1, lim, out, msg, msg_len);
}

int video_open_fd(int fd, const char *name, const struct video_limits *lim, struct video **out,
                  char *msg, size_t msg_len)
{
    if (fd < 0) {
        snprintf(msg, msg_len, "no descriptor given");
        return RR_ERR_INVAL;
    }
    return video_open_src(name && *name ? name : "the video", fd, lim, out, msg, msg_len);
}

const struct video_info *video_get_info(const struct video *v)
{
    return v ? &v->info : NULL;
}

void video_set_max_pixels(struct video *v, int64_t max_pixels)
{
    if (v)
        v->conv.max_pixels = max_pixels > 0 ? max_pixels : 0;
}

void video_output_size(const struct video *v, int *width, int *height)
{
    frameconv_fit(v->info.width, v->info.height, v->conv.max_pixels, width, height);
}

/* Microseconds since the first frame; strictly after the previous frame. */
static int64_t video_frame_time(struct video *v, const AVFrame *f)
{
    int64_t pts = f->best_effort_timestamp;
    if (pts == AV_NOPTS_VALUE)
        pts = f->pts;
    int64_t t = -1;
    if (pts != AV_NOPTS_VALUE) {
        if (!v->have_first) {
            v->first_pts = pts;
            v->have_first = 1;
        }
        /* Hostile stamps could overflow the subtraction: treat those as missing. */
        int ok = (v->first_pts >= 0) ? pts >= INT64_MIN + v->first_pts
                                     : pts <= INT64_MAX + v->first_pts;
        if (ok) {
            int64_t d = av_rescale_q(pts - v->first_pts, v->tb, AV_TIME_BASE_Q);
            if (d != INT64_MIN)
                t = d;
        }
    }
    if (v->last_t_us < 0) {
        if (t < 0)
            t = 0;
    } else if (t <= v->last_t_us) {
        t = v->last_t_us + v->step_us;
    }
    return t;
}

/* Checks the frame in v->frame against the limits and stamps it; 0 or an RR_ERR_* with msg. */
static int video_accept(struct video *v, int64_t *t_out, char *msg, size_t msg_len)
{
    const AVFrame *f = v->frame;
    if (f->width <= 0 || f->height <= 0 || f->width > v->lim.max_width ||
        f->height > v->lim.max_height) {
        snprintf(msg, msg_len, "decoded frame is %dx%d, outside the limit of %dx%d", f->width,
                 f->height, v->lim.max_width, v->lim.max_height);
        return RR_ERR_TOOBIG;
    }
    if (v->frames_out >= v->max_frames) {
        snprintf(msg, msg_len, "more than %lld frames", (long long)v->max_frames);
        return RR_ERR_TOOBIG;
    }
    int64_t t = video_frame_time(v, f);
    if (t > v->lim.max_duration_us) {
        snprintf(msg, msg_len, "video runs past the limit of %.1f s",
                 (double)v->lim.max_duration_us / 1e6);
        return RR_ERR_TOOBIG;
    }
    *t_out = t;
    return 0;
}

/* The frame was handed out: advance the clock and the count. */
static void video_commit(struct video *v, int64_t t, int64_t *t_us)
{
    int swap = v->info.rotation == 90 || v->info.rotation == 270;
    v->last_t_us = t;
    v->frames_out++;
    v->info.width = swap ? v->frame->height : v->frame->width;
    v->info.height = swap ? v->frame->width : v->frame->height;
    if (t_us)
        *t_us = t;
}

static int video_emit(struct video *v, struct rr_rgbbuf *dst, int64_t *t_us, char *msg,
                      size_t msg_len)
{
    int64_t t;
    int ret = video_accept(v, &t, msg, msg_len);
    if (ret < 0)
        return ret;
    ret = frameconv_run(&v->conv, v->frame, v->info.rotation, dst);
    if (ret < 0) {
        snprintf(msg, msg_len, "cannot convert frame to RGB: %s", rr_strerror(ret));
        return ret;
    }
    video_commit(v, t, t_us);
    return 0;
}

/* Hand the decoder's frame over by reference (no conversion). */
static int video_emit_ref(struct video *v, struct video_frame *dst, int64_t *t_us, char *msg,
                          size_t msg_len)
{
    int64_t t;
    int ret = video_accept(v, &t, msg, msg_len);
    if (ret < 0)
        return ret;
    video_commit(v, t, t_us);
    av_frame_unref(dst->av);
    av_frame_move_ref(dst->av, v->frame);
    dst->rotation = v->info.rotation;
    return 0;
}

int video_next(struct video *v, struct rr_image *frame, int64_t *t_us, char *msg, size_t msg_len)
{
    if (!v || !frame) {
        if (msg && msg_len)
            snprintf(msg, msg_len, "invalid argument");
        return RR_ERR_INVAL;
    }
    int ret = video_next_into(v, &v->rgb, t_us, msg, msg_len);
    if (ret == 0)
        *frame = rr_rgbbuf_view(&v->rgb);
    return ret;
}

/* The decode loop shared by video_next_into() (rgb) and video_next_frame() (ref). */
static int video_next_any(struct video *v, struct rr_rgbbuf *rgb, struct video_frame *ref,
                          int64_t *t_us, char *msg, size_t msg_len)
{
    char err[AV_ERROR_MAX_STRING_SIZE];
    int ret;
    if (v->sticky < 0) {
        snprintf(msg, msg_len, "%s", v->sticky == RR_ERR_EOF ? "end of stream" : "decoder stopped after an error");
        return v->sticky;
    }
    for (;;) {
        int averr = avcodec_receive_frame(v->dec, v->frame);
        if (averr == 0) {
            ret = rgb ? video_emit(v, rgb, t_us, msg, msg_len)
                      : video_emit_ref(v, ref, t_us, msg, msg_len);
            av_frame_unref(v->frame);
            goto out;
        }
        if (averr == AVERROR_EOF) {
            if (v->frames_out == 0) {
                snprintf(msg, msg_len, "no decodable video frames");
                ret = RR_ERR_CORRUPT;
            } else {
                snprintf(msg, msg_len, "end of stream");
                ret = RR_ERR_EOF;
            }
            goto out;
        }
        if (averr != AVERROR(EAGAIN)) {
            snprintf(msg, msg_len, "decoding failed after %lld frames: %s",
                     (long long)v->frames_out, fdio_averr(averr, err, sizeof err));
            ret = averr == AVERROR(ENOMEM) ? RR_ERR_NOMEM : RR_ERR_CORRUPT;
            goto out;
        }
        if (v->draining) { /* a drained decoder must not ask for more */
            snprintf(msg, msg_len, "decoder asked for input after the end");
            ret = RR_ERR_CORRUPT;
            goto out;
        }
        averr = av_read_frame(v->fmt, v->pkt);
        if (averr == AVERROR_EOF) {
            v->draining = 1;
            averr = avcodec_send_packet(v->dec, NULL);
            if (averr < 0 && averr != AVERROR_EOF) {
                snprintf(msg, msg_len, "cannot flush decoder: %s", fdio_averr(averr, err, sizeof err));
                ret = RR_ERR_CORRUPT;
                goto out;
            }
            continue;
        }
        if (averr < 0) {
            snprintf(msg, msg_len, "cannot read the container after %lld frames: %s",
                     (long long)v->frames_out, fdio_averr(averr, err, sizeof err));
            ret = averr == AVERROR(ENOMEM) ? RR_ERR_NOMEM : RR_ERR_CORRUPT;
            goto out;
        }
        if (v->pkt->stream_index != v->stream_index) {
            av_packet_unref(v->pkt);
            continue;
        }
        int corrupt = (v->pkt->flags & AV_PKT_FLAG_CORRUPT) != 0;
        averr = rr_fault(RR_FAULT_VIDEO_NOMEM) ? AVERROR(ENOMEM)
                                               : avcodec_send_packet(v->dec, v->pkt);
        av_packet_unref(v->pkt);
        if (averr == AVERROR(ENOMEM)) {
            snprintf(msg, msg_len, "out of memory");
            ret = RR_ERR_NOMEM;
            goto out;
        }
        if (averr < 0 || corrupt) {
            /* Tolerate a damaged packet or two (the decoder conceals), not a stream of them. */
            if (++v->bad_packets > VIDEO_MAX_BAD_PACKETS) {
                snprintf(msg, msg_len, "too many undecodable packets after %lld frames",
                         (long long)v->frames_out);
                ret = RR_ERR_CORRUPT;
                goto out;
            }
        } else {
            v->bad_packets = 0;
        }
    }
out:
    if (ret < 0)
        v->sticky = ret;
    return ret;
}

int video_next_into(struct video *v, struct rr_rgbbuf *dst, int64_t *t_us, char *msg,
                    size_t msg_len)
{
    if (msg && msg_len)
        msg[0] = '\0';
    if (!v || !dst) {
        snprintf(msg, msg_len, "invalid argument");
        return RR_ERR_INVAL;
    }
    return video_next_any(v, dst, NULL, t_us, msg, msg_len);
}

int video_next_frame(struct video *v, struct video_frame *dst, int64_t *t_us, char *msg,
                     size_t msg_len)
{
    if (msg && msg_len)
        msg[0] = '\0';
    if (!v || !dst) {
        snprintf(msg, msg_len, "invalid argument");
        return RR_ERR_INVAL;
    }
    return video_next_any(v, NULL, dst, t_us, msg, msg_len);
}

struct video_frame *video_frame_new(void)
{
    struct video_frame *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->av = av_frame_alloc();
    if (!f->av) {
        free(f);
        return NULL;
    }
    return f;
}

void video_frame_free(struct video_frame *f)
{
    if (!f)
        return;
    av_frame_free(&f->av);
    free(f);
}

int video_frame_yuv(const struct video_frame *f, struct video_yuv *out)
{
    if (!f || !out || !f->av->data[0])
        return RR_ERR_INVAL;
    const AVFrame *a = f->av;
    int full = a->color_range == AVCOL_RANGE_JPEG || a->format == AV_PIX_FMT_YUVJ420P;
    if ((a->format != AV_PIX_FMT_YUV420P && a->format != AV_PIX_FMT_YUVJ420P) || a->width < 1 ||
        a->height < 1 || a->width > RR_IMAGE_MAX_SIDE || a->height > RR_IMAGE_MAX_SIDE ||
        !a->data[1] || !a->data[2] || a->linesize[0] < a->width ||
        a->linesize[1] < (a->width + 1) / 2 || a->linesize[2] != a->linesize[1])
        return RR_ERR_UNSUPPORTED;
    memset(out, 0, sizeof *out);
    out->width = a->width;
    out->height = a->height;
    out->y = a->data[0];
    out->u = a->data[1];
    out->v = a->data[2];
    out->y_stride = (size_t)a->linesize[0];
    out->uv_stride = (size_t)a->linesize[1];
    out->rotation = f->rotation;
    out->full_range = full;
    switch (a->colorspace) {
    case AVCOL_SPC_BT709:
        out->matrix = VIDEO_YUV_BT709;
        break;
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL:
        out->matrix = VIDEO_YUV_BT2020;
        break;
    default: /* BT.601 and unknown, as frameconv does */
        out->matrix = VIDEO_YUV_BT601;
        break;
    }
    return 0;
}

int video_frame_rgb(struct video *v, const struct video_frame *f, struct rr_rgbbuf *dst)
{
    if (!v || !f || !dst || !f->av->data[0])
        return RR_ERR_INVAL;
    return frameconv_run(&v->conv, f->av, f->rotation, dst);
}

void video_close(struct video *v)
{
    if (!v)
        return;
    av_packet_free(&v->pkt);
    av_frame_free(&v->frame);
    avcodec_free_context(&v->dec);
    avformat_close_input(&v->fmt);
    fdio_close(&v->io);
    frameconv_release(&v->conv);
    rr_rgbbuf_release(&v->rgb);
    free(v);
}
