/*
 * sniff.c - content sniffing for untrusted media files: magic bytes first, then FFmpeg's prober
 * must agree on a demuxer from the allow-list (see sniff.h).
 */
#include "video/sniff.h"

#include <string.h>

#include <libavformat/avformat.h>

/* Demuxer names exactly as FFmpeg 5.1 spells them. */
static const struct {
    enum sniff_kind kind;
    const char *demuxer;
    const char *label;
} sniff_table[] = {
    {SNIFF_MP4, "mov,mp4,m4a,3gp,3g2,mj2", "mp4"},
    {SNIFF_MATROSKA, "matroska,webm", "matroska"},
    {SNIFF_JPEG, "jpeg_pipe", "jpeg"},
    {SNIFF_PNG, "png_pipe", "png"},
};

static int has_prefix(const uint8_t *buf, size_t n, const char *magic, size_t len)
{
    return n >= len && memcmp(buf, magic, len) == 0;
}

/* First ISO-BMFF box: 32-bit size (0, 1 = 64-bit or >= 8) then a known top-level type. */
static int looks_like_bmff(const uint8_t *buf, size_t n)
{
    static const char *const types[] = {"ftyp", "moov", "mdat", "free", "skip", "wide", "pnot"};
    if (n < 12)
        return 0;
    uint32_t size = ((uint32_t)buf[0] << 24) | ((uint32_t)buf[1] << 16) | ((uint32_t)buf[2] << 8) | buf[3];
    if (size != 0 && size != 1 && size < 8)
        return 0;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (memcmp(buf + 4, types[i], 4) == 0)
            return 1;
    return 0;
}

/* Printable text: no NUL and almost no control bytes other than whitespace. */
static int looks_like_text(const uint8_t *buf, size_t n)
{
    size_t ctrl = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = buf[i];
        if (c == 0)
            return 0;
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' && c != 0x1b)
            ctrl++;
        if (c == 0x7f)
            ctrl++;
    }
    return ctrl * 100 <= n;
}

static int looks_like_playlist(const uint8_t *buf, size_t n)
{
    size_t i = 0;
    if (has_prefix(buf, n, "\xEF\xBB\xBF", 3))
        i = 3;
    while (i < n && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
        i++;
    if (has_prefix(buf + i, n - i, "#EXTM3U", 7))
        return 1;
    /* DASH manifests are XML with an <MPD element near the top. */
    if (has_prefix(buf + i, n - i, "<?xml", 5) || has_prefix(buf + i, n - i, "<MPD", 4)) {
        for (size_t k = i; k + 4 <= n && k < i + 1024; k++)
            if (memcmp(buf + k, "<MPD", 4) == 0)
                return 1;
    }
    return 0;
}

/* Ask FFmpeg's prober (no file name, so no extension hint) which demuxer fits. */
static const char *probe_name(const uint8_t *buf, size_t n)
{
    uint8_t padded[SNIFF_HEAD_BYTES + AVPROBE_PADDING_SIZE];
    if (n > SNIFF_HEAD_BYTES)
        n = SNIFF_HEAD_BYTES;
    memcpy(padded, buf, n);
    memset(padded + n, 0, AVPROBE_PADDING_SIZE);
    AVProbeData pd = {.filename = "", .buf = padded, .buf_size = (int)n, .mime_type = NULL};
    int score = 0;
    const AVInputFormat *f = av_probe_input_format3(&pd, 1, &score);
    if (!f || score <= 0)
        return NULL;
    return f->name;
}

void sniff_bytes(const uint8_t *buf, size_t n, struct sniff_result *out)
{
    out->kind = SNIFF_UNKNOWN;
    out->demuxer = NULL;
    out->label = "unknown binary data";
    if (n == 0 || !buf) {
        out->kind = SNIFF_EMPTY;
        out->label = "empty file";
        return;
    }
    if (n > SNIFF_HEAD_BYTES)
        n = SNIFF_HEAD_BYTES;
    enum sniff_kind kind = SNIFF_UNKNOWN;
    if (has_prefix(buf, n, "\xFF\xD8\xFF", 3))
        kind = SNIFF_JPEG;
    else if (has_prefix(buf, n, "\x89PNG\r\n\x1a\n", 8))
        kind = SNIFF_PNG;
    else if (has_prefix(buf, n, "\x1a\x45\xdf\xa3", 4))
        kind = SNIFF_MATROSKA;
    else if (looks_like_bmff(buf, n))
        kind = SNIFF_MP4;
    else if (looks_like_playlist(buf, n)) {
        out->kind = SNIFF_PLAYLIST;
        out->label = "playlist (HLS/DASH)";
        return;
    } else if (looks_like_text(buf, n)) {
        out->kind = SNIFF_TEXT;
        out->label = "text";
        return;
    } else {
        return;
    }
    for (size_t i = 0; i < sizeof sniff_table / sizeof sniff_table[0]; i++) {
        if (sniff_table[i].kind != kind)
            continue;
        out->kind = kind;
        out->label = sniff_table[i].label;
        const char *name = probe_name(buf, n);
        if (name && strcmp(name, sniff_table[i].demuxer) == 0)
            out->demuxer = sniff_table[i].demuxer;
        return;
    }
}

int sniff_is_video(enum sniff_kind kind)
{
    return kind == SNIFF_MP4 || kind == SNIFF_MATROSKA;
}

int sniff_is_image(enum sniff_kind kind)
{
    return kind == SNIFF_JPEG || kind == SNIFF_PNG;
}
