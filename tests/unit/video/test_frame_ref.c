/*
 * test_frame_ref.c - zero-copy frames for inference: video_next_frame() hands out the decoder's
 * picture by reference with the same timestamps as video_next_into(); video_frame_yuv() describes
 * its 4:2:0 planes (size, strides, rotation, range, matrix) and video_frame_rgb() converts it to
 * exactly what video_next_into() gives, rotation included; non-4:2:0 pictures are refused by
 * video_frame_yuv(); references stay valid while the decoder moves on. Clips are made here with
 * our own H.264 writer (and the ffmpeg tool for a rotation tag / 4:4:4: those cases are skipped
 * without it, and the program exits 77 unless something failed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/rr_error.h"
#include "base/rr_image.h"
#include "support/rrtest.h"
#include "video/decode.h"
#include "video/encode.h"

#define FFMPEG_BIN "/usr/bin/ffmpeg"
#define W 96
#define H 64
#define FRAMES 8

static char tmpdir[256];
static char clip[512], rotated[512], yuv444[512];

static void paint(uint8_t *px, int k)
{
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            uint8_t *p = px + ((size_t)y * W + (size_t)x) * 3;
            p[0] = (uint8_t)(x * 2 + k * 10);
            p[1] = (uint8_t)(y * 3);
            p[2] = (uint8_t)(x < W / 2 ? 40 : 200);
        }
}

static int group_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rr_test_frame_ref_XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(clip, sizeof clip, "%s/clip.mp4", tmpdir);
    snprintf(rotated, sizeof rotated, "%s/rotated.mp4", tmpdir);
    snprintf(yuv444, sizeof yuv444, "%s/yuv444.mp4", tmpdir);
    static uint8_t px[W * H * 3];
    struct video_writer *w = NULL;
    char msg[256];
    if (video_writer_open(clip, W, H, 30.0, &w, msg, sizeof msg) != 0) {
        fprintf(stderr, "video_writer_open: %s\n", msg);
        return -1;
    }
    for (int k = 0; k < FRAMES; k++) {
        paint(px, k);
        struct rr_image im = {W, H, W * 3, px};
        if (video_writer_write(w, &im, (int64_t)k * 33333, msg, sizeof msg) != 0)
            return -1;
    }
    return video_writer_close(w, msg, sizeof msg) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    unlink(clip);
    unlink(rotated);
    unlink(yuv444);
    return rmdir(tmpdir);
}

static int ffmpeg_run(const char *args)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s -nostdin -hide_banner -v error -y %s </dev/null >/dev/null 2>&1",
             FFMPEG_BIN, args);
    return system(cmd);
}

/* Decode path twice, by reference and as RGB: same count, times, pixels; the YUV view matches
 * the stream. Returns the frames seen. */
static int compare_paths(const char *path, int want_rotation)
{
    char msg[256];
    struct video *a = NULL, *b = NULL;
    assert_int_equal(video_open(path, NULL, &a, msg, sizeof msg), 0);
    assert_int_equal(video_open(path, NULL, &b, msg, sizeof msg), 0);
    struct video_frame *f = video_frame_new();
    assert_non_null(f);
    struct rr_rgbbuf ra = {0}, rb = {0};
    int n = 0;
    for (;;) {
        int64_t ta = -1, tb = -2;
        int rc = video_next_frame(a, f, &ta, msg, sizeof msg);
        int rc2 = video_next_into(b, &rb, &tb, msg, sizeof msg);
        assert_int_equal(rc, rc2);
        if (rc == RR_ERR_EOF)
            break;
        assert_int_equal(rc, 0);
        assert_int_equal(ta, tb);
        struct video_yuv y;
        assert_int_equal(video_frame_yuv(f, &y), 0);
        int swap = want_rotation == 90 || want_rotation == 270;
        assert_int_equal(y.rotation, want_rotation);
        assert_int_equal(swap ? y.height : y.width, rb.width);
        assert_int_equal(swap ? y.width : y.height, rb.height);
        assert_true(y.y_stride >= (size_t)y.width && y.uv_stride >= (size_t)(y.width + 1) / 2);
        assert_non_null(y.u);
        assert_non_null(y.v);
        assert_true(y.matrix >= VIDEO_YUV_BT601 && y.matrix <= VIDEO_YUV_BT2020);
        assert_int_equal(video_frame_rgb(a, f, &ra), 0);
        assert_int_equal(ra.width, rb.width);
        assert_int_equal(ra.height, rb.height);
        assert_memory_equal(ra.data, rb.data, (size_t)ra.width * (size_t)ra.height * 3);
        const struct video_info *ia = video_get_info(a), *ib = video_get_info(b);
        assert_int_equal(ia->width, ib->width);
        assert_int_equal(ia->height, ib->height);
        n++;
    }
    rr_rgbbuf_release(&ra);
    rr_rgbbuf_release(&rb);
    video_frame_free(f);
    video_close(a);
    video_close(b);
    return n;
}

static void frame_ref__matches_the_rgb_path_frame_for_frame(void **state)
{
    (void)state;
    assert_int_equal(compare_paths(clip, 0), FRAMES);
}

static void frame_ref__rotation_travels_with_the_frame(void **state)
{
    (void)state;
    rrtest_case_tool("frame_ref__rotation_travels_with_the_frame", FFMPEG_BIN);
    char args[2048];
    snprintf(args, sizeof args, "-i '%s' -map 0:v -c copy -metadata:s:v rotate=90 '%s'", clip,
             rotated);
    assert_int_equal(ffmpeg_run(args), 0);
    struct video *v = NULL;
    char msg[256];
    assert_int_equal(video_open(rotated, NULL, &v, msg, sizeof msg), 0);
    int rot = video_get_info(v)->rotation;
    video_close(v);
    printf("  rotate=90 tag -> rotation %d\n", rot);
    assert_true(rot == 90 || rot == 270);
    assert_int_equal(compare_paths(rotated, rot), FRAMES);
}

/* Several references held at once (a ring): each keeps its own picture. */
static void frame_ref__held_frames_keep_their_pixels(void **state)
{
    (void)state;
    char msg[256];
    struct video *v = NULL;
    assert_int_equal(video_open(clip, NULL, &v, msg, sizeof msg), 0);
    struct video_frame *f[4];
    uint8_t first[4];
    int64_t t[4];
    for (int i = 0; i < 4; i++) {
        f[i] = video_frame_new();
        assert_non_null(f[i]);
        assert_int_equal(video_next_frame(v, f[i], &t[i], msg, sizeof msg), 0);
        struct video_yuv y;
        assert_int_equal(video_frame_yuv(f[i], &y), 0);
        first[i] = y.y[(size_t)(H / 2) * y.y_stride + 4]; /* left half: x*2 + k*10 grows */
        if (i)
            assert_true(t[i] > t[i - 1]);
    }
    for (int i = 1; i < 4; i++)
        assert_true(first[i] > first[i - 1]); /* still four different pictures */
    for (int i = 0; i < 4; i++) {
        struct video_yuv y;
        assert_int_equal(video_frame_yuv(f[i], &y), 0);
        assert_int_equal(y.y[(size_t)(H / 2) * y.y_stride + 4], first[i]);
        video_frame_free(f[i]);
    }
    video_frame_free(NULL);
    video_close(v);
}

static void frame_ref__non_420_pictures_go_through_rgb(void **state)
{
    (void)state;
    rrtest_case_tool("frame_ref__non_420_pictures_go_through_rgb", FFMPEG_BIN);
    char args[2048];
    snprintf(args, sizeof args, "-i '%s' -c:v libx264 -pix_fmt yuv444p -preset ultrafast '%s'",
             clip, yuv444);
    if (ffmpeg_run(args) != 0)
        rrtest_skip_case("frame_ref__non_420_pictures_go_through_rgb",
                         "libx264 4:4:4 not available in the ffmpeg tool");
    char msg[256];
    struct video *v = NULL;
    assert_int_equal(video_open(yuv444, NULL, &v, msg, sizeof msg), 0);
    struct video_frame *f = video_frame_new();
    assert_non_null(f);
    int64_t t;
    assert_int_equal(video_next_frame(v, f, &t, msg, sizeof msg), 0);
    struct video_yuv y;
    assert_int_equal(video_frame_yuv(f, &y), RR_ERR_UNSUPPORTED);
    struct rr_rgbbuf rgb = {0};
    assert_int_equal(video_frame_rgb(v, f, &rgb), 0);
    assert_int_equal(rgb.width, W);
    assert_int_equal(rgb.height, H);
    rr_rgbbuf_release(&rgb);
    video_frame_free(f);
    video_close(v);
}

static void frame_ref__bad_arguments_are_refused(void **state)
{
    (void)state;
    char msg[256];
    struct video_yuv y;
    struct rr_rgbbuf rgb = {0};
    struct video_frame *f = video_frame_new();
    assert_non_null(f);
    assert_int_equal(video_frame_yuv(NULL, &y), RR_ERR_INVAL);
    assert_int_equal(video_frame_yuv(f, &y), RR_ERR_INVAL); /* empty */
    assert_int_equal(video_frame_yuv(f, NULL), RR_ERR_INVAL);
    assert_int_equal(video_next_frame(NULL, f, NULL, msg, sizeof msg), RR_ERR_INVAL);
    assert_true(msg[0] != '\0');
    struct video *v = NULL;
    assert_int_equal(video_open(clip, NULL, &v, msg, sizeof msg), 0);
    assert_int_equal(video_frame_rgb(v, f, &rgb), RR_ERR_INVAL); /* empty */
    assert_int_equal(video_frame_rgb(NULL, f, &rgb), RR_ERR_INVAL);
    assert_int_equal(video_next_frame(v, NULL, NULL, msg, sizeof msg), RR_ERR_INVAL);
    /* drain, then the end is sticky */
    int n = 0;
    while (video_next_frame(v, f, NULL, msg, sizeof msg) == 0)
        n++;
    assert_int_equal(n, FRAMES);
    assert_int_equal(video_next_frame(v, f, NULL, msg, sizeof msg), RR_ERR_EOF);
    video_close(v);
    video_frame_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(frame_ref__matches_the_rgb_path_frame_for_frame),
        cmocka_unit_test(frame_ref__rotation_travels_with_the_frame),
        cmocka_unit_test(frame_ref__held_frames_keep_their_pixels),
        cmocka_unit_test(frame_ref__non_420_pictures_go_through_rgb),
        cmocka_unit_test(frame_ref__bad_arguments_are_refused),
    };
    return rrtest_status(cmocka_run_group_tests(tests, group_setup, group_teardown));
}
