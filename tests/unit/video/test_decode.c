/*
 * test_decode.c - hardened decoding (src/video): real clips against ground_truth.json, hostile and
 * odd files generated at test time in a temporary directory (nothing committed), limits,
 * rotation, pixel conversion, content sniffing and still images.
 *
 * Cases that need the ffmpeg command-line tool (rotated, remuxed and re-encoded fixtures) or
 * ../shared are skipped with a SKIP line when it is missing (an encoder missing skips only its
 * row of the codec table), and the program then exits 77 unless something failed (rrtest.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>

#include "base/rr_error.h"
#include "base/rr_image.h"
#include "support/rrtest.h"
#include "video/decode.h"
#include "video/frameconv.h"
#include "video/sniff.h"

#define FFMPEG_BIN "/usr/bin/ffmpeg"

static char tmpdir[256];

/* --- helpers ------------------------------------------------------------------------------- */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static const char *tmp_path(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", tmpdir, name);
    return buf;
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    if (n)
        assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static uint8_t *read_all(const char *path, size_t *n)
{
    char *d = rrtest_read_file(path, (size_t)64 << 20, n);
    assert_non_null(d);
    return (uint8_t *)d;
}

/* Run the ffmpeg CLI quietly; returns its exit status. */
static int ffmpeg_run(const char *args)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s -nostdin -hide_banner -v error -y %s </dev/null >/dev/null 2>&1",
             FFMPEG_BIN, args);
    int st = system(cmd);
    return st;
}

static int encoder_exists(const char *name)
{
    return avcodec_find_encoder_by_name(name) != NULL;
}

static const char *shared_clip(const char *test, const char *rel, char *buf, size_t len)
{
    return rrtest_case_shared(test, rel, buf, len);
}

struct decode_stats {
    int64_t frames;
    int width, height;
    int sizes_constant;
    int strictly_increasing;
    int64_t first_t, last_t;
    double mean_luma; /* over sampled pixels of all frames */
    int end;          /* the code that ended decoding */
    char msg[256];
};

/* Decode up to max_frames (<= 0: all); check per-frame invariants as it goes. */
static int decode_all(const char *path, const struct video_limits *lim, int64_t max_frames,
                      struct decode_stats *s)
{
    memset(s, 0, sizeof *s);
    s->sizes_constant = 1;
    s->strictly_increasing = 1;
    struct video *v = NULL;
    int ret = video_open(path, lim, &v, s->msg, sizeof s->msg);
    if (ret < 0) {
        assert_null(v);
        assert_true(s->msg[0] != '\0');
        s->end = ret;
        return ret;
    }
    const struct video_info *info = video_get_info(v);
    s->width = info->width;
    s->height = info->height;
    double luma = 0;
    int64_t samples = 0, prev = -1;
    for (;;) {
        if (max_frames > 0 && s->frames >= max_frames) {
            ret = 0;
            break;
        }
        struct rr_image im;
        int64_t t = -1;
        ret = video_next(v, &im, &t, s->msg, sizeof s->msg);
        if (ret < 0)
            break;
        assert_non_null(im.rgb);
        assert_true(im.stride >= (size_t)im.width * 3);
        if (im.width != s->width || im.height != s->height)
            s->sizes_constant = 0;
        if (s->frames == 0)
            s->first_t = t;
        else if (t <= prev)
            s->strictly_increasing = 0;
        prev = t;
        s->last_t = t;
        for (int y = 0; y < im.height; y += 37)
            for (int x = 0; x < im.width; x += 41) {
                const uint8_t *p = im.rgb + (size_t)y * im.stride + (size_t)x * 3;
                luma += 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
                samples++;
            }
        s->frames++;
    }
    s->end = ret;
    s->mean_luma = samples ? luma / (double)samples : 0;
    if (ret < 0 && ret != RR_ERR_EOF)
        assert_true(s->msg[0] != '\0');
    /* Errors are sticky: asking again gives the same answer, never a crash. */
    if (ret < 0) {
        struct rr_image im;
        char m2[64];
        assert_int_equal(video_next(v, &im, NULL, m2, sizeof m2), ret);
    }
    video_close(v);
    return ret;
}

static int is_documented_error(int ret)
{
    return ret == RR_ERR_NOTFOUND || ret == RR_ERR_IO || ret == RR_ERR_UNSUPPORTED ||
           ret == RR_ERR_TOOBIG || ret == RR_ERR_CORRUPT || ret == RR_ERR_EOF || ret == RR_ERR_NOMEM;
}

/* A PNG made with FFmpeg's own encoder: pattern pixel (x, y) = (x*7, y*5, x+y) mod 256. */
static void write_png(const char *path, int w, int h)
{
    const AVCodec *enc = avcodec_find_encoder_by_name("png");
    assert_non_null(enc);
    AVCodecContext *c = avcodec_alloc_context3(enc);
    assert_non_null(c);
    c->width = w;
    c->height = h;
    c->pix_fmt = AV_PIX_FMT_RGB24;
    c->time_base = (AVRational){1, 25};
    assert_int_equal(avcodec_open2(c, enc, NULL), 0);
    AVFrame *f = av_frame_alloc();
    assert_non_null(f);
    f->width = w;
    f->height = h;
    f->format = AV_PIX_FMT_RGB24;
    assert_int_equal(av_frame_get_buffer(f, 0), 0);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *p = f->data[0] + (size_t)y * f->linesize[0] + (size_t)x * 3;
            p[0] = (uint8_t)(x * 7);
            p[1] = (uint8_t)(y * 5);
            p[2] = (uint8_t)(x + y);
        }
    AVPacket *pkt = av_packet_alloc();
    assert_non_null(pkt);
    assert_int_equal(avcodec_send_frame(c, f), 0);
    assert_int_equal(avcodec_receive_packet(c, pkt), 0);
    write_file(path, pkt->data, (size_t)pkt->size);
    av_packet_free(&pkt);
    av_frame_free(&f);
    avcodec_free_context(&c);
}

/* --- setup --------------------------------------------------------------------------------- */

static int group_setup(void **state)
{
    (void)state;
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/rr_test_decode_XXXXXX", base && *base ? base : "/tmp");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    char cmd[512];
    if (tmpdir[0] && strstr(tmpdir, "rr_test_decode_")) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        return system(cmd) == 0 ? 0 : -1;
    }
    return 0;
}

/* --- real clips ---------------------------------------------------------------------------- */

static void decode__real_clips_match_ground_truth_frames_sizes_and_times(void **state)
{
    (void)state;
    char gt_path[1024];
    rrtest_case_shared("decode__real_clips_match_ground_truth", "media/ground_truth.json", gt_path,
                       sizeof gt_path);
    json_error_t jerr;
    json_t *gt = json_load_file(gt_path, 0, &jerr);
    assert_non_null(gt);
    assert_true(json_is_array(gt));
    size_t i;
    json_t *e;
    int checked = 0;
    json_array_foreach(gt, i, e)
    {
        const char *rel = json_string_value(json_object_get(e, "file"));
        json_int_t frames = json_integer_value(json_object_get(e, "frames"));
        json_int_t w = json_integer_value(json_object_get(e, "width"));
        json_int_t h = json_integer_value(json_object_get(e, "height"));
        assert_non_null(rel);
        char rel2[512], path[1024];
        snprintf(rel2, sizeof rel2, "media/%s", rel);
        shared_clip("decode__real_clips_match_ground_truth", rel2, path, sizeof path);
        struct decode_stats s;
        double t0 = now_ms();
        int ret = decode_all(path, NULL, 0, &s);
        double ms = now_ms() - t0;
        printf("  %-45s %4lld frames %4dx%-4d (truth %4lld %4lldx%-4lld) last t %8.1f ms, "
               "decoded in %6.0f ms (%.0f fps), mean luma %.0f\n",
               rel, (long long)s.frames, s.width, s.height, (long long)frames, (long long)w,
               (long long)h, (double)s.last_t / 1000.0, ms, (double)s.frames * 1000.0 / ms,
               s.mean_luma);
        if (ret != RR_ERR_EOF)
            printf("  %s: %s\n", rel, s.msg);
        assert_int_equal(ret, RR_ERR_EOF);
        assert_int_equal(s.frames, frames);
        assert_int_equal(s.width, w);
        assert_int_equal(s.height, h);
        assert_true(s.sizes_constant);
        assert_true(s.strictly_increasing);
        assert_int_equal(s.first_t, 0);
        assert_true(s.mean_luma > 3.0 && s.mean_luma < 250.0);
        checked++;
    }
    json_decref(gt);
    assert_true(checked >= 15);
}

static void decode__info_reports_codec_container_fps_and_duration(void **state)
{
    (void)state;
    char path[1024], msg[256];
    shared_clip("decode__info", "media/mediapipe/tfjs_pose_squats.mp4", path, sizeof path);
    struct video *v = NULL;
    assert_int_equal(video_open(path, NULL, &v, msg, sizeof msg), 0);
    const struct video_info *in = video_get_info(v);
    assert_string_equal(in->codec, "h264");
    assert_string_equal(in->container, "mp4");
    assert_int_equal(in->rotation, 0);
    assert_int_equal(in->width, 720);
    assert_int_equal(in->height, 1280);
    assert_true(in->fps > 4.99 && in->fps < 5.01);
    assert_int_equal(in->frames, 65);
    assert_true(in->duration_us > 12900000 && in->duration_us < 13100000);
    /* Frame timestamps follow the 5 fps clock: frame k at k * 200 ms. */
    for (int k = 0; k < 5; k++) {
        struct rr_image im;
        int64_t t;
        assert_int_equal(video_next(v, &im, &t, msg, sizeof msg), 0);
        assert_int_equal(t, (int64_t)k * 200000);
    }
    assert_int_equal(video_next(v, NULL, NULL, msg, sizeof msg), RR_ERR_INVAL);
    assert_int_equal(video_next(NULL, NULL, NULL, msg, sizeof msg), RR_ERR_INVAL);
    video_close(v);
    video_close(NULL);
    assert_null(video_get_info(NULL));
}

/* --- hostile and odd files ----------------------------------------------------------------- */

static void expect_open_error(const char *path, int want, const char *needle)
{
    struct video *v = (struct video *)&v; /* must be reset to NULL */
    char msg[256] = "";
    int ret = video_open(path, NULL, &v, msg, sizeof msg);
    printf("  %-28s -> %s: %s\n", strrchr(path, '/') + 1, rr_errname(ret), msg);
    assert_int_equal(ret, want);
    assert_null(v);
    if (needle)
        assert_non_null(strstr(msg, needle));
}

static void decode__refuses_missing_empty_text_playlist_random_and_directory(void **state)
{
    (void)state;
    char p[512];
    expect_open_error(tmp_path(p, sizeof p, "does-not-exist.mp4"), RR_ERR_NOTFOUND, "cannot read");
    write_file(tmp_path(p, sizeof p, "empty.mp4"), "", 0);
    expect_open_error(p, RR_ERR_CORRUPT, "empty");
    const char *text = "This is not a video.\nJust a note someone renamed.\n";
    write_file(tmp_path(p, sizeof p, "note.mp4"), text, strlen(text));
    expect_open_error(p, RR_ERR_UNSUPPORTED, "text");
    const char *m3u = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n#EXTINF:10.0,\n"
                      "http://127.0.0.1:1/segment0.ts\n#EXTINF:10.0,\nfile:///etc/passwd\n"
                      "#EXT-X-ENDLIST\n";
    write_file(tmp_path(p, sizeof p, "playlist.mp4"), m3u, strlen(m3u));
    expect_open_error(p, RR_ERR_UNSUPPORTED, "playlist");
    uint8_t rnd[65536];
    uint64_t x = 0x1234567887654321ull;
    for (size_t i = 0; i < sizeof rnd; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        rnd[i] = (uint8_t)x;
    }
    write_file(tmp_path(p, sizeof p, "random.mp4"), rnd, sizeof rnd);
    expect_open_error(p, RR_ERR_UNSUPPORTED, "not a supported video");
    /* An ftyp box followed by garbage: looks like mp4, cannot be parsed. */
    memcpy(rnd, "\0\0\0\x18" "ftypisom\0\0\x02\0isomiso2", 24);
    write_file(tmp_path(p, sizeof p, "ftyp-garbage.mp4"), rnd, 4096);
    expect_open_error(p, RR_ERR_CORRUPT, NULL);
    expect_open_error(tmpdir, RR_ERR_IO, "not a regular file");
    write_png(tmp_path(p, sizeof p, "picture.mp4"), 32, 24);
    expect_open_error(p, RR_ERR_UNSUPPORTED, "png");
    char msg[64];
    struct video *v = NULL;
    struct video_limits bad = video_limits_default();
    bad.max_streams = 0;
    assert_int_equal(video_open(p, &bad, &v, msg, sizeof msg), RR_ERR_INVAL);
    assert_int_equal(video_open(NULL, NULL, &v, msg, sizeof msg), RR_ERR_INVAL);
    assert_int_equal(video_open(p, NULL, NULL, msg, sizeof msg), RR_ERR_INVAL);
}

static void decode__truncated_clip_is_an_error_at_every_cut_point(void **state)
{
    (void)state;
    static const char *const clips[] = {"media/videos/squat_front_bodyweight_k015.mp4",
                                        "media/videos/curl_ezbar_front_seb.mp4"};
    for (size_t c = 0; c < 2; c++) {
        char src[1024], p[512];
        shared_clip("decode__truncated_clip", clips[c], src, sizeof src);
        size_t n = 0;
        uint8_t *d = read_all(src, &n);
        const size_t cuts[] = {1, 7, 16, 40, 1000, n / 10, n / 3, n / 2, n * 9 / 10, n - 4096, n - 1};
        for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
            tmp_path(p, sizeof p, "cut.mp4");
            write_file(p, d, cuts[k]);
            struct decode_stats s;
            int ret = decode_all(p, NULL, 0, &s);
            printf("  %s cut at %zu/%zu -> %s after %lld frames: %s\n", strrchr(clips[c], '/') + 1,
                   cuts[k], n, rr_errname(ret), (long long)s.frames, s.msg);
            assert_true(is_documented_error(ret));
            /* Anything short of the last few bytes (which may hold only optional metadata) is
             * refused: no silent half-decoded upload. */
            if (cuts[k] < n - 4096 || (c == 0 && cuts[k] < n - 1))
                assert_int_not_equal(ret, RR_ERR_EOF);
        }
        free(d);
    }
}

static void decode__mutated_clip_never_crashes(void **state)
{
    (void)state;
    char src[1024], p[512];
    shared_clip("decode__mutated_clip", "media/mediapipe/tfjs_pose_squats.mp4", src, sizeof src);
    size_t n = 0;
    uint8_t *d = read_all(src, &n);
    uint8_t *m = malloc(n);
    assert_non_null(m);
    uint64_t x = 0x9E3779B97F4A7C15ull;
    int outcomes[16] = {0};
    for (int round = 0; round < 24; round++) {
        memcpy(m, d, n);
        int flips = 1 + round % 8;
        for (int k = 0; k < flips; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            /* Half the rounds hit the moov box at the end (sample tables), half anywhere. */
            size_t off = (round % 2) ? (size_t)(x % n) : n - 1038 + (size_t)(x % 1038);
            m[off] ^= (uint8_t)(1u << ((x >> 32) % 8));
        }
        write_file(tmp_path(p, sizeof p, "mutated.mp4"), m, n);
        struct decode_stats s;
        int ret = decode_all(p, NULL, 12, &s);
        assert_true(ret == 0 || is_documented_error(ret));
        outcomes[-ret < 16 && ret <= 0 ? -ret : 15]++;
    }
    printf("  24 mutations: %d decoded 12 frames, %d corrupt, %d unsupported, %d too big, %d eof\n",
           outcomes[0], outcomes[-RR_ERR_CORRUPT], outcomes[-RR_ERR_UNSUPPORTED],
           outcomes[-RR_ERR_TOOBIG], outcomes[-RR_ERR_EOF]);
    free(m);
    free(d);
}

static void decode__limits_refuse_size_dimensions_streams_and_duration(void **state)
{
    (void)state;
    char path[1024];
    shared_clip("decode__limits", "media/videos/squat_front_bodyweight_k015.mp4", path, sizeof path);
    struct decode_stats s;
    struct video_limits l = video_limits_default();
    l.max_file_bytes = 1000;
    assert_int_equal(decode_all(path, &l, 0, &s), RR_ERR_TOOBIG);
    assert_non_null(strstr(s.msg, "over the limit"));
    l = video_limits_default();
    l.max_width = 640;
    assert_int_equal(decode_all(path, &l, 0, &s), RR_ERR_TOOBIG);
    l = video_limits_default();
    l.max_height = 719;
    assert_int_equal(decode_all(path, &l, 0, &s), RR_ERR_TOOBIG);
    char three[1024]; /* video + audio + a data track */
    shared_clip("decode__limits", "media/videos/curl_ezbar_front_seb.mp4", three, sizeof three);
    l = video_limits_default();
    l.max_streams = 2;
    assert_int_equal(decode_all(three, &l, 0, &s), RR_ERR_TOOBIG);
    assert_non_null(strstr(s.msg, "3 streams"));
    l.max_streams = 3;
    assert_int_equal(decode_all(three, &l, 5, &s), 0);
    l = video_limits_default();
    l.max_duration_us = 500000; /* the clip lasts 1.1 s */
    assert_int_equal(decode_all(path, &l, 0, &s), RR_ERR_TOOBIG);
    assert_non_null(strstr(s.msg, "over the limit"));
    printf("  limits: %s\n", s.msg);
}

/* Patch the width/height of the avc1 sample entry to 65535 x 65535: refused before decoding. */
static void decode__refuses_huge_declared_dimensions_before_allocating(void **state)
{
    (void)state;
    char src[1024], p[512];
    shared_clip("decode__huge_dimensions", "media/videos/squat_front_bodyweight_k015.mp4", src,
                sizeof src);
    size_t n = 0;
    uint8_t *d = read_all(src, &n);
    size_t at = 0;
    for (size_t i = n - 2185; i + 32 < n; i++)
        if (memcmp(d + i, "avc1", 4) == 0) {
            at = i;
            break;
        }
    assert_true(at > 0);
    /* Visual sample entry: type, 6 reserved, data ref (2), 16 pre-defined/reserved, width, height. */
    assert_int_equal((d[at + 28] << 8) | d[at + 29], 1280);
    assert_int_equal((d[at + 30] << 8) | d[at + 31], 720);
    memset(d + at + 28, 0xFF, 4);
    write_file(tmp_path(p, sizeof p, "huge.mp4"), d, n);
    struct decode_stats s;
    assert_int_equal(decode_all(p, NULL, 0, &s), RR_ERR_TOOBIG);
    printf("  huge: %s\n", s.msg);
    assert_non_null(strstr(s.msg, "65535x65535"));
    /* The container may also understate the size: 320x180 declared, 1280x720 coded. The
     * decoded frame is checked against the limit too. */
    d[at + 28] = 0x01;
    d[at + 29] = 0x40;
    d[at + 30] = 0x00;
    d[at + 31] = 0xB4;
    write_file(tmp_path(p, sizeof p, "understated.mp4"), d, n);
    struct video_limits l = video_limits_default();
    l.max_width = 640;
    l.max_height = 640;
    assert_int_equal(decode_all(p, &l, 0, &s), RR_ERR_TOOBIG);
    printf("  understated: %s\n", s.msg);
    assert_int_equal(s.frames, 0);
    assert_non_null(strstr(s.msg, "decoded frame is 1280x720"));
    free(d);
}

/* --- rotation ------------------------------------------------------------------------------ */

static void rotation_case(const char *src, int tag, int want_rotation)
{
    char p[512], args[2048];
    snprintf(args, sizeof args, "-i '%s' -map 0:v -c copy -metadata:s:v rotate=%d '%s'", src, tag,
             tmp_path(p, sizeof p, "rotated.mp4"));
    assert_int_equal(ffmpeg_run(args), 0);
    char msg[256];
    struct video *a = NULL, *b = NULL;
    assert_int_equal(video_open(src, NULL, &a, msg, sizeof msg), 0);
    assert_int_equal(video_open(p, NULL, &b, msg, sizeof msg), 0);
    const struct video_info *ia = video_get_info(a), *ib = video_get_info(b);
    printf("  rotate=%d tag -> rotation %d, %dx%d -> %dx%d\n", tag, ib->rotation, ia->width,
           ia->height, ib->width, ib->height);
    assert_int_equal(ib->rotation, want_rotation);
    int swap = want_rotation == 90 || want_rotation == 270;
    assert_int_equal(ib->width, swap ? ia->height : ia->width);
    assert_int_equal(ib->height, swap ? ia->width : ia->height);
    uint8_t *expect = malloc((size_t)ia->width * ia->height * 3);
    assert_non_null(expect);
    for (int k = 0; k < 3; k++) {
        struct rr_image fa, fb;
        int64_t ta, tb;
        assert_int_equal(video_next(a, &fa, &ta, msg, sizeof msg), 0);
        assert_int_equal(video_next(b, &fb, &tb, msg, sizeof msg), 0);
        assert_int_equal(ta, tb);
        assert_int_equal(fb.width, ib->width);
        assert_int_equal(fb.height, ib->height);
        if (want_rotation == 0) {
            memcpy(expect, fa.rgb, (size_t)fa.width * fa.height * 3);
        } else {
            frameconv_rotate(fa.rgb, fa.width, fa.height, want_rotation, expect);
        }
        assert_memory_equal(fb.rgb, expect, (size_t)fb.width * fb.height * 3);
    }
    free(expect);
    video_close(a);
    video_close(b);
}

static void decode__rotated_clips_come_out_upright(void **state)
{
    (void)state;
    char src[1024];
    shared_clip("decode__rotated_clips", "media/videos/squat_front_bodyweight_k015.mp4", src, sizeof src);
    rrtest_case_tool("decode__rotated_clips_come_out_upright", FFMPEG_BIN);
    /* ffmpeg 5.1 stores its legacy "rotate" tag as a display matrix turning the picture
     * counter-clockwise, so rotate=90 needs 270 degrees clockwise to come out upright; the next
     * test checks that this is exactly what the ffmpeg tool's own autorotation shows. */
    rotation_case(src, 90, 270);
    rotation_case(src, 180, 180);
    rotation_case(src, 270, 90);
    rotation_case(src, 0, 0);
}

/* A phone recording in portrait stores landscape pixels and a track matrix {0, 1, -1, 0}
 * (QuickTime's "rotate 90 degrees clockwise to display"); patched in by hand, no ffmpeg tool. */
static void decode__portrait_phone_matrix_rotates_clockwise(void **state)
{
    (void)state;
    char src[1024], p[512], msg[256];
    shared_clip("decode__portrait_phone_matrix", "media/videos/squat_front_bodyweight_k015.mp4", src,
                sizeof src);
    size_t n = 0;
    uint8_t *d = read_all(src, &n);
    size_t t = 0;
    for (size_t i = n - 2185; i + 88 < n; i++)
        if (memcmp(d + i, "tkhd", 4) == 0) {
            t = i;
            break;
        }
    assert_true(t > 0);
    assert_int_equal(d[t + 4], 0); /* version 0: the matrix starts 44 bytes after the type */
    uint8_t *m = d + t + 44;
    assert_int_equal(m[1], 0x01); /* identity a = 0x00010000 */
    static const uint8_t portrait[36] = {0, 0, 0, 0,    0, 1, 0, 0, 0, 0, 0, 0,
                                         0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                         0, 0, 0, 0,    0, 0, 0, 0, 0x40, 0, 0, 0};
    memcpy(m, portrait, sizeof portrait);
    write_file(tmp_path(p, sizeof p, "portrait.mp4"), d, n);
    /* 45 degrees (cos = sin = 0x0000B505 in 16.16) is not a right angle: left as it is. */
    static const uint8_t tilted[36] = {0, 0, 0xB5, 0x05, 0, 0, 0xB5, 0x05, 0, 0, 0, 0,
                                       0xFF, 0xFF, 0x4A, 0xFB, 0, 0, 0xB5, 0x05, 0, 0, 0, 0,
                                       0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0};
    memcpy(m, tilted, sizeof tilted);
    write_file(tmp_path(p, sizeof p, "tilted.mp4"), d, n);
    free(d);
    struct video *c = NULL;
    assert_int_equal(video_open(p, NULL, &c, msg, sizeof msg), 0);
    assert_int_equal(video_get_info(c)->rotation, 0);
    assert_int_equal(video_get_info(c)->width, 1280);
    video_close(c);
    tmp_path(p, sizeof p, "portrait.mp4");
    struct video *a = NULL, *b = NULL;
    assert_int_equal(video_open(src, NULL, &a, msg, sizeof msg), 0);
    assert_int_equal(video_open(p, NULL, &b, msg, sizeof msg), 0);
    assert_int_equal(video_get_info(b)->rotation, 90);
    assert_int_equal(video_get_info(b)->width, 720);
    assert_int_equal(video_get_info(b)->height, 1280);
    struct rr_image fa, fb;
    assert_int_equal(video_next(a, &fa, NULL, msg, sizeof msg), 0);
    assert_int_equal(video_next(b, &fb, NULL, msg, sizeof msg), 0);
    assert_int_equal(fb.width, 720);
    assert_int_equal(fb.height, 1280);
    /* Clockwise: the source's top-left pixel ends up top-right, its bottom-left top-left. */
    assert_memory_equal(fb.rgb + (size_t)719 * 3, fa.rgb, 3);
    assert_memory_equal(fb.rgb, fa.rgb + (size_t)719 * fa.stride, 3);
    assert_memory_equal(fb.rgb + (size_t)1279 * fb.stride, fa.rgb + (size_t)719 * fa.stride + 1279 * 3, 3);
    video_close(a);
    video_close(b);
}

/* Our upright frame must match what the ffmpeg tool produces with its autorotation. */
static void decode__rotation_agrees_with_ffmpeg_autorotate(void **state)
{
    (void)state;
    char src[1024], p[512], raw[512], args[2048], msg[256];
    shared_clip("decode__rotation_agrees", "media/videos/squat_front_bodyweight_k015.mp4", src,
                sizeof src);
    rrtest_case_tool("decode__rotation_agrees_with_ffmpeg_autorotate", FFMPEG_BIN);
    snprintf(args, sizeof args, "-i '%s' -map 0:v -c copy -metadata:s:v rotate=90 '%s'", src,
             tmp_path(p, sizeof p, "rot90.mp4"));
    assert_int_equal(ffmpeg_run(args), 0);
    snprintf(args, sizeof args,
             "-i '%s' -frames:v 1 -sws_flags bilinear+accurate_rnd+full_chroma_int "
             "-f rawvideo -pix_fmt rgb24 '%s'",
             p, tmp_path(raw, sizeof raw, "rot90.rgb"));
    assert_int_equal(ffmpeg_run(args), 0);
    size_t n = 0;
    uint8_t *ref = read_all(raw, &n);
    struct video *v = NULL;
    assert_int_equal(video_open(p, NULL, &v, msg, sizeof msg), 0);
    struct rr_image im;
    assert_int_equal(video_next(v, &im, NULL, msg, sizeof msg), 0);
    assert_int_equal(n, (size_t)im.width * im.height * 3);
    double diff = 0;
    for (size_t i = 0; i < n; i++)
        diff += abs((int)ref[i] - (int)im.rgb[i]);
    diff /= (double)n;
    printf("  first frame %dx%d vs ffmpeg autorotate: mean |diff| %.3f\n", im.width, im.height, diff);
    assert_true(diff < 2.0);
    video_close(v);
    free(ref);
}

/* --- other containers and codecs, made at test time ---------------------------------------- */

static void codec_case(const char *name, const char *encoder, const char *extra, const char *file,
                       int want, const char *want_codec)
{
    char p[512], args[2048];
    if (encoder && !encoder_exists(encoder)) {
        rrtest_skip("decode__codecs", "%s: encoder %s not available", name, encoder);
        return; /* the other codecs of the table still run */
    }
    snprintf(args, sizeof args,
             "-f lavfi -i testsrc2=size=160x120:rate=10 -frames:v 10 -pix_fmt yuv420p %s '%s'",
             extra, tmp_path(p, sizeof p, file));
    assert_int_equal(ffmpeg_run(args), 0);
    struct decode_stats s;
    int ret = decode_all(p, NULL, 0, &s);
    printf("  %-12s -> %s, %lld frames %dx%d %s\n", name, rr_errname(ret), (long long)s.frames,
           s.width, s.height, s.msg);
    assert_int_equal(ret, want);
    if (want == RR_ERR_EOF) {
        assert_int_equal(s.frames, 10);
        assert_int_equal(s.width, 160);
        assert_int_equal(s.height, 120);
        assert_true(s.strictly_increasing);
        assert_int_equal(s.last_t, 900000);
        char msg[256];
        struct video *v = NULL;
        assert_int_equal(video_open(p, NULL, &v, msg, sizeof msg), 0);
        assert_string_equal(video_get_info(v)->codec, want_codec);
        video_close(v);
    }
}

static void decode__accepts_allowed_codecs_and_refuses_others(void **state)
{
    (void)state;
    rrtest_case_tool("decode__accepts_allowed_codecs_and_refuses_others", FFMPEG_BIN);
    codec_case("h264/mkv", "libx264", "-c:v libx264 -preset ultrafast", "h264.mkv", RR_ERR_EOF, "h264");
    codec_case("hevc/mp4", "libx265", "-c:v libx265 -preset ultrafast -x265-params log-level=none",
               "hevc.mp4", RR_ERR_EOF, "hevc");
    codec_case("vp9/webm", "libvpx-vp9", "-c:v libvpx-vp9 -deadline realtime -cpu-used 8", "vp9.webm",
               RR_ERR_EOF, "vp9");
    codec_case("av1/mp4", "libaom-av1", "-c:v libaom-av1 -cpu-used 8 -row-mt 0", "av1.mp4",
               RR_ERR_EOF, "av1");
    codec_case("mpeg4/mp4", "mpeg4", "-c:v mpeg4", "mpeg4.mp4", RR_ERR_UNSUPPORTED, NULL);
    codec_case("mjpeg/mov", "mjpeg", "-c:v mjpeg -pix_fmt yuvj420p", "mjpeg.mov", RR_ERR_UNSUPPORTED, NULL);
}

static void decode__refuses_audio_only_and_too_many_streams(void **state)
{
    (void)state;
    char src[1024], p[512], args[2048];
    shared_clip("decode__streams", "media/videos/squat_front_bodyweight_k015.mp4", src, sizeof src);
    rrtest_case_tool("decode__refuses_audio_only_and_too_many_streams", FFMPEG_BIN);
    snprintf(args, sizeof args, "-f lavfi -i sine=duration=0.5 -c:a aac '%s'",
             tmp_path(p, sizeof p, "audio.m4a"));
    assert_int_equal(ffmpeg_run(args), 0);
    expect_open_error(p, RR_ERR_UNSUPPORTED, "no video stream");
    snprintf(args, sizeof args, "-i '%s' -map 0:v -map 0:v -map 0:v -map 0:v -map 0:v -c copy '%s'",
             src, tmp_path(p, sizeof p, "five-streams.mp4"));
    assert_int_equal(ffmpeg_run(args), 0);
    expect_open_error(p, RR_ERR_TOOBIG, "5 streams");
}

/* A Matroska copy written to a pipe has no duration and no cues: only the running timestamp
 * check can stop it, and without a limit it decodes exactly like the mp4. */
static void decode__streamed_matroska_stops_at_the_running_duration_limit(void **state)
{
    (void)state;
    char src[1024], p[512], args[2048];
    shared_clip("decode__streamed_matroska", "media/videos/squat_front_bodyweight_k015.mp4", src,
                sizeof src);
    rrtest_case_tool("decode__streamed_matroska_stops_at_the_running_duration_limit", FFMPEG_BIN);
    /* pipe:3 is never seekable, even when fd 3 is a file. */
    snprintf(args, sizeof args, "-i '%s' -map 0:v -c copy -f matroska pipe:3 3>'%s'", src,
             tmp_path(p, sizeof p, "streamed.mkv"));
    assert_int_equal(ffmpeg_run(args), 0);
    char msg[256];
    struct video *v = NULL;
    assert_int_equal(video_open(p, NULL, &v, msg, sizeof msg), 0);
    assert_string_equal(video_get_info(v)->container, "matroska");
    printf("  streamed mkv: container duration %lld us\n", (long long)video_get_info(v)->duration_us);
    video_close(v);
    struct decode_stats s;
    assert_int_equal(decode_all(p, NULL, 0, &s), RR_ERR_EOF);
    assert_int_equal(s.frames, 33);
    assert_true(s.strictly_increasing);
    struct video_limits l = video_limits_default();
    l.max_duration_us = 500000;
    int ret = decode_all(p, &l, 0, &s);
    printf("  0.5 s limit -> %s after %lld frames (last t %lld us): %s\n", rr_errname(ret),
           (long long)s.frames, (long long)s.last_t, s.msg);
    assert_int_equal(ret, RR_ERR_TOOBIG);
    assert_true(s.last_t <= 500000);
    assert_true(s.frames >= 10 && s.frames < 33);
}

/* --- pixel conversion ---------------------------------------------------------------------- */

static uint8_t convert_gray(int fmt, int range, int luma)
{
    AVFrame *f = av_frame_alloc();
    assert_non_null(f);
    f->width = 16;
    f->height = 8;
    f->format = fmt;
    f->color_range = range;
    assert_int_equal(av_frame_get_buffer(f, 0), 0);
    memset(f->data[0], luma, (size_t)f->linesize[0] * 8);
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(fmt);
    assert_non_null(desc);
    int ch = AV_CEIL_RSHIFT(f->height, desc->log2_chroma_h);
    memset(f->data[1], 128, (size_t)f->linesize[1] * (size_t)ch);
    memset(f->data[2], 128, (size_t)f->linesize[2] * (size_t)ch);
    uint8_t v = 0;
    /* the exact path is returned; the fast (video) path must agree within 2 grey levels */
    for (int fast = 1; fast >= 0; fast--) {
        struct frameconv c;
        frameconv_init(&c, fast);
        struct rr_rgbbuf out = {0};
        assert_int_equal(frameconv_run(&c, f, 0, &out), 0);
        assert_int_equal(out.width, 16);
        uint8_t g = out.data[(3 * 16 + 5) * 3 + 1];
        assert_in_range(out.data[(3 * 16 + 5) * 3 + 0], g > 2 ? g - 2 : 0, g + 2);
        assert_in_range(out.data[(3 * 16 + 5) * 3 + 2], g > 2 ? g - 2 : 0, g + 2);
        if (!fast)
            assert_in_range(v, g > 2 ? g - 2 : 0, g + 2);
        v = g;
        rr_rgbbuf_release(&out);
        frameconv_release(&c);
    }
    av_frame_free(&f);
    return v;
}

static void frameconv__honours_limited_and_full_range(void **state)
{
    (void)state;
    /* Limited (TV) range: 16..235 stretches to 0..255. */
    assert_int_equal(convert_gray(AV_PIX_FMT_YUV420P, AVCOL_RANGE_MPEG, 16), 0);
    assert_int_equal(convert_gray(AV_PIX_FMT_YUV420P, AVCOL_RANGE_MPEG, 235), 255);
    assert_in_range(convert_gray(AV_PIX_FMT_YUV420P, AVCOL_RANGE_UNSPECIFIED, 126), 127, 129);
    /* Full (JPEG) range, flagged either way, passes through. */
    assert_in_range(convert_gray(AV_PIX_FMT_YUV420P, AVCOL_RANGE_JPEG, 16), 15, 17);
    assert_in_range(convert_gray(AV_PIX_FMT_YUVJ420P, AVCOL_RANGE_UNSPECIFIED, 16), 15, 17);
    assert_in_range(convert_gray(AV_PIX_FMT_YUVJ420P, AVCOL_RANGE_JPEG, 235), 234, 236);
    assert_int_equal(convert_gray(AV_PIX_FMT_YUVJ420P, AVCOL_RANGE_JPEG, 255), 255);
    static const int jfmts[] = {AV_PIX_FMT_YUVJ422P, AV_PIX_FMT_YUVJ444P, AV_PIX_FMT_YUVJ440P,
                                AV_PIX_FMT_YUVJ411P};
    for (size_t i = 0; i < sizeof jfmts / sizeof jfmts[0]; i++) {
        assert_in_range(convert_gray(jfmts[i], AVCOL_RANGE_UNSPECIFIED, 20), 19, 21);
        assert_int_equal(convert_gray(jfmts[i] == AV_PIX_FMT_YUVJ422P ? AV_PIX_FMT_YUV422P
                                                                      : AV_PIX_FMT_YUV444P,
                                      AVCOL_RANGE_MPEG, 16),
                         0);
    }
}

static void frameconv__refuses_bad_frames_and_rotations(void **state)
{
    (void)state;
    struct frameconv c;
    frameconv_init(&c, 0);
    struct rr_rgbbuf out = {0};
    assert_int_equal(frameconv_run(&c, NULL, 0, &out), RR_ERR_INVAL);
    AVFrame *f = av_frame_alloc();
    assert_non_null(f);
    assert_int_equal(frameconv_run(&c, f, 0, &out), RR_ERR_INVAL); /* no size, no data */
    f->width = 8;
    f->height = 8;
    f->format = AV_PIX_FMT_YUV420P;
    assert_int_equal(av_frame_get_buffer(f, 0), 0);
    assert_int_equal(frameconv_run(&c, f, 45, &out), RR_ERR_INVAL);
    f->width = RR_IMAGE_MAX_SIDE + 8; /* claimed size only: refused before reading */
    assert_int_equal(frameconv_run(&c, f, 0, &out), RR_ERR_TOOBIG);
    f->width = 8;
    f->format = AV_PIX_FMT_VAAPI; /* a hardware surface: swscale cannot read it */
    assert_int_equal(frameconv_run(&c, f, 0, &out), RR_ERR_UNSUPPORTED);
    f->format = AV_PIX_FMT_YUV420P;
    assert_int_equal(frameconv_run(&c, f, 180, &out), 0);
    assert_int_equal(out.width, 8);
    frameconv_release(&c);
    frameconv_release(&c); /* twice is harmless */
    rr_rgbbuf_release(&out);
    av_frame_free(&f);
}

static void frameconv__rotates_exactly_and_reuses_buffers(void **state)
{
    (void)state;
    /* 3 x 2 image, pixel value = its index: 0 1 2 / 3 4 5. */
    uint8_t src[18], dst[18];
    for (int i = 0; i < 6; i++)
        memset(src + 3 * i, i, 3);
    static const uint8_t want90[6] = {3, 0, 4, 1, 5, 2};   /* 2 wide, 3 high */
    static const uint8_t want180[6] = {5, 4, 3, 2, 1, 0};  /* 3 wide, 2 high */
    static const uint8_t want270[6] = {2, 5, 1, 4, 0, 3};  /* 2 wide, 3 high */
    const uint8_t *wants[3] = {want90, want180, want270};
    for (int r = 0; r < 3; r++) {
        frameconv_rotate(src, 3, 2, 90 * (r + 1), dst);
        for (int i = 0; i < 6; i++)
            assert_int_equal(dst[3 * i], wants[r][i]);
    }
    /* Same-size frames reuse the scaler and the buffers. */
    AVFrame *f = av_frame_alloc();
    f->width = 64;
    f->height = 48;
    f->format = AV_PIX_FMT_YUV420P;
    assert_int_equal(av_frame_get_buffer(f, 0), 0);
    av_frame_make_writable(f);
    memset(f->data[0], 100, (size_t)f->linesize[0] * 48);
    memset(f->data[1], 128, (size_t)f->linesize[1] * 24);
    memset(f->data[2], 128, (size_t)f->linesize[2] * 24);
    struct frameconv c;
    frameconv_init(&c, 0);
    struct rr_rgbbuf out = {0};
    assert_int_equal(frameconv_run(&c, f, 90, &out), 0);
    assert_int_equal(out.width, 48);
    assert_int_equal(out.height, 64);
    const void *sws = c.sws, *scratch = c.scratch.data, *data = out.data;
    assert_int_equal(frameconv_run(&c, f, 90, &out), 0);
    assert_ptr_equal(c.sws, sws);
    assert_ptr_equal(c.scratch.data, scratch);
    assert_ptr_equal(out.data, data);
    assert_int_equal(frameconv_run(&c, f, 45, &out), RR_ERR_INVAL);
    frameconv_release(&c);
    rr_rgbbuf_release(&out);
    av_frame_free(&f);
}

/* --- sniffing ------------------------------------------------------------------------------ */

static void sniff__classifies_by_content_not_name(void **state)
{
    (void)state;
    struct sniff_result r;
    sniff_bytes(NULL, 0, &r);
    assert_int_equal(r.kind, SNIFF_EMPTY);
    sniff_bytes((const uint8_t *)"#EXTM3U\n#EXTINF:1,\na.ts\n", 24, &r);
    assert_int_equal(r.kind, SNIFF_PLAYLIST);
    assert_null(r.demuxer);
    sniff_bytes((const uint8_t *)"\xEF\xBB\xBF  \n#EXTM3U\n", 16, &r);
    assert_int_equal(r.kind, SNIFF_PLAYLIST);
    const char *mpd = "<?xml version=\"1.0\"?>\n<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\">";
    sniff_bytes((const uint8_t *)mpd, strlen(mpd), &r);
    assert_int_equal(r.kind, SNIFF_PLAYLIST);
    sniff_bytes((const uint8_t *)"{\"hello\": 1}\n", 13, &r);
    assert_int_equal(r.kind, SNIFF_TEXT);
    sniff_bytes((const uint8_t *)"\x1a\x45\xdf\xa3", 4, &r);
    assert_int_equal(r.kind, SNIFF_MATROSKA);
    /* Magic alone is not enough: FFmpeg's prober must agree on the demuxer. */
    uint8_t junk[64] = {0, 0, 0, 8, 'f', 't', 'y', 'p'};
    sniff_bytes(junk, 12, &r);
    assert_int_equal(r.kind, SNIFF_MP4);
    uint8_t box[64] = {0, 0, 0, 3, 'f', 't', 'y', 'p'}; /* box size 3 is impossible */
    sniff_bytes(box, sizeof box, &r);
    assert_int_not_equal(r.kind, SNIFF_MP4);
    assert_true(sniff_is_video(SNIFF_MP4) && sniff_is_video(SNIFF_MATROSKA));
    assert_false(sniff_is_video(SNIFF_PNG));
    assert_true(sniff_is_image(SNIFF_JPEG) && sniff_is_image(SNIFF_PNG));
    assert_false(sniff_is_image(SNIFF_TEXT));
    char path[1024];
    shared_clip("sniff__classifies", "media/mediapipe/tfjs_pose_squats.mp4", path, sizeof path);
    size_t n;
    uint8_t *d = read_all(path, &n);
    sniff_bytes(d, n, &r);
    assert_int_equal(r.kind, SNIFF_MP4);
    assert_string_equal(r.demuxer, "mov,mp4,m4a,3gp,3g2,mj2");
    free(d);
    shared_clip("sniff__classifies", "media/mediapipe/tfjs_pose.jpg", path, sizeof path);
    d = read_all(path, &n);
    sniff_bytes(d, n, &r);
    assert_int_equal(r.kind, SNIFF_JPEG);
    assert_string_equal(r.demuxer, "jpeg_pipe");
    free(d);
}

/* --- still images -------------------------------------------------------------------------- */

static void image_load__decodes_the_shared_jpeg(void **state)
{
    (void)state;
    char path[1024], msg[256];
    shared_clip("image_load__jpeg", "media/mediapipe/tfjs_pose.jpg", path, sizeof path);
    struct rr_rgbbuf b = {0};
    double t0 = now_ms();
    assert_int_equal(image_load(path, &b, msg, sizeof msg), 0);
    double ms = now_ms() - t0;
    assert_int_equal(b.width, 1000);
    assert_int_equal(b.height, 667);
    double sum = 0;
    for (size_t i = 0; i < (size_t)b.width * b.height * 3; i++)
        sum += b.data[i];
    double mean = sum / ((double)b.width * b.height * 3);
    printf("  tfjs_pose.jpg 1000x667 in %.1f ms, mean %.1f\n", ms, mean);
    assert_true(mean > 20 && mean < 235);
    /* Loading again into the same buffer reuses it. */
    const uint8_t *first = b.data;
    assert_int_equal(image_load(path, &b, msg, sizeof msg), 0);
    assert_ptr_equal(b.data, first);
    rr_rgbbuf_release(&b);
}

static void image_load__decodes_a_generated_png_exactly(void **state)
{
    (void)state;
    char p[512], msg[256];
    write_png(tmp_path(p, sizeof p, "pattern.png"), 57, 31);
    struct rr_rgbbuf b = {0};
    assert_int_equal(image_load(p, &b, msg, sizeof msg), 0);
    assert_int_equal(b.width, 57);
    assert_int_equal(b.height, 31);
    for (int y = 0; y < 31; y++)
        for (int x = 0; x < 57; x++) {
            const uint8_t *px = b.data + ((size_t)y * 57 + (size_t)x) * 3;
            assert_int_equal(px[0], (uint8_t)(x * 7));
            assert_int_equal(px[1], (uint8_t)(y * 5));
            assert_int_equal(px[2], (uint8_t)(x + y));
        }
    rr_rgbbuf_release(&b);
}

static void expect_image_error(const char *path, int want, const char *needle)
{
    char msg[256] = "";
    struct rr_rgbbuf b = {0};
    int ret = image_load(path, &b, msg, sizeof msg);
    printf("  image %-22s -> %s: %s\n", strrchr(path, '/') + 1, rr_errname(ret), msg);
    assert_int_equal(ret, want);
    if (needle)
        assert_non_null(strstr(msg, needle));
    rr_rgbbuf_release(&b);
}

static void image_load__refuses_truncated_huge_and_non_images(void **state)
{
    (void)state;
    char src[1024], p[512];
    shared_clip("image_load__refuses", "media/mediapipe/tfjs_pose.jpg", src, sizeof src);
    size_t n;
    uint8_t *d = read_all(src, &n);
    const size_t cuts[] = {3, 100, 600, n / 4, n / 2, n - 3, n - 2};
    for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
        write_file(tmp_path(p, sizeof p, "cut.jpg"), d, cuts[k]);
        expect_image_error(p, RR_ERR_CORRUPT, NULL);
    }
    /* Declared size past 4096: SOF0 height/width patched. */
    size_t sof = 0;
    for (size_t i = 2; i + 9 < n; i++)
        if (d[i] == 0xFF && (d[i + 1] == 0xC0 || d[i + 1] == 0xC2)) {
            sof = i;
            break;
        }
    assert_true(sof > 0);
    d[sof + 5] = 0xFF;
    d[sof + 6] = 0xF0;
    write_file(tmp_path(p, sizeof p, "huge.jpg"), d, n);
    expect_image_error(p, RR_ERR_TOOBIG, "over the limit");
    free(d);

    write_png(tmp_path(p, sizeof p, "big.png"), 40, 30);
    d = read_all(p, &n);
    write_file(tmp_path(p, sizeof p, "cut.png"), d, n - 12);
    expect_image_error(p, RR_ERR_CORRUPT, "truncated");
    d[16] = 0x00; /* IHDR width = 0x00010028 = 65576 */
    d[17] = 0x01;
    write_file(tmp_path(p, sizeof p, "huge.png"), d, n);
    expect_image_error(p, RR_ERR_TOOBIG, "over the limit");
    free(d);

    write_file(tmp_path(p, sizeof p, "empty.jpg"), "", 0);
    expect_image_error(p, RR_ERR_CORRUPT, "empty");
    expect_image_error(tmp_path(p, sizeof p, "missing.jpg"), RR_ERR_NOTFOUND, "cannot read");
    write_file(tmp_path(p, sizeof p, "note.jpg"), "hello\n", 6);
    expect_image_error(p, RR_ERR_UNSUPPORTED, "text");
    char clip[1024];
    shared_clip("image_load__refuses", "media/mediapipe/tfjs_pose_squats.mp4", clip, sizeof clip);
    expect_image_error(clip, RR_ERR_UNSUPPORTED, "mp4");
    char msg[64];
    assert_int_equal(image_load(clip, NULL, msg, sizeof msg), RR_ERR_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sniff__classifies_by_content_not_name),
        cmocka_unit_test(frameconv__honours_limited_and_full_range),
        cmocka_unit_test(frameconv__rotates_exactly_and_reuses_buffers),
        cmocka_unit_test(frameconv__refuses_bad_frames_and_rotations),
        cmocka_unit_test(decode__refuses_missing_empty_text_playlist_random_and_directory),
        cmocka_unit_test(decode__info_reports_codec_container_fps_and_duration),
        cmocka_unit_test(decode__limits_refuse_size_dimensions_streams_and_duration),
        cmocka_unit_test(decode__refuses_huge_declared_dimensions_before_allocating),
        cmocka_unit_test(decode__truncated_clip_is_an_error_at_every_cut_point),
        cmocka_unit_test(decode__mutated_clip_never_crashes),
        cmocka_unit_test(decode__rotated_clips_come_out_upright),
        cmocka_unit_test(decode__portrait_phone_matrix_rotates_clockwise),
        cmocka_unit_test(decode__rotation_agrees_with_ffmpeg_autorotate),
        cmocka_unit_test(decode__accepts_allowed_codecs_and_refuses_others),
        cmocka_unit_test(decode__refuses_audio_only_and_too_many_streams),
        cmocka_unit_test(decode__streamed_matroska_stops_at_the_running_duration_limit),
        cmocka_unit_test(image_load__decodes_the_shared_jpeg),
        cmocka_unit_test(image_load__decodes_a_generated_png_exactly),
        cmocka_unit_test(image_load__refuses_truncated_huge_and_non_images),
        cmocka_unit_test(decode__real_clips_match_ground_truth_frames_sizes_and_times),
    };
    return rrtest_status(cmocka_run_group_tests(tests, group_setup, group_teardown));
}
