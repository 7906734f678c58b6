/*
 * test_scaled_output.c - bounded work per video (issue 15): RGB frames scaled down right after
 * decoding when a caller caps the picture size (the overlay render draws and encodes a 4096 x
 * 4096 upload at 1920 x 1080 worth of pixels), rotation included, clips under the cap untouched;
 * and a frame budget (video_limits.max_frames) that stops a file running past what its job may
 * cost. Clips are made with the ffmpeg tool at test time (SKIP without it).
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
#include "video/frameconv.h"

#define FFMPEG_BIN "/usr/bin/ffmpeg"

static char tmpdir[64];

static int make_clip(const char *name, const char *size, const char *extra, char *out, size_t len)
{
    char cmd[1024];
    snprintf(out, len, "%s/%s", tmpdir, name);
    snprintf(cmd, sizeof cmd,
             FFMPEG_BIN " -loglevel error -y -f lavfi -i testsrc=s=%s:r=10:d=1 -c:v libx264 "
                        "-preset ultrafast -pix_fmt yuv420p %s %s",
             size, extra, out);
    return system(cmd);
}

static void fit__keeps_small_pictures_and_scales_big_ones(void **state)
{
    (void)state;
    int w, h;
    frameconv_fit(1280, 720, 1920LL * 1080, &w, &h);
    assert_true(w == 1280 && h == 720);
    frameconv_fit(1920, 1080, 1920LL * 1080, &w, &h);
    assert_true(w == 1920 && h == 1080);
    frameconv_fit(3840, 2160, 1920LL * 1080, &w, &h);
    assert_true(w == 1920 && h == 1080);
    frameconv_fit(4096, 4096, 1920LL * 1080, &w, &h);
    assert_true(w == 1440 && h == 1440);
    frameconv_fit(1081, 4097, 1920LL * 1080, &w, &h);
    assert_true(w % 2 == 0 && h % 2 == 0 && (int64_t)w * h <= 1920LL * 1080);
    frameconv_fit(4096, 4096, 0, &w, &h);
    assert_true(w == 4096 && h == 4096);
}

static void decode__rgb_frames_scaled_to_the_cap(void **state)
{
    (void)state;
    rrtest_case_tool("decode__rgb_frames_scaled_to_the_cap", FFMPEG_BIN);
    char plain[128], rotated[128], msg[256];
    assert_int_equal(make_clip("plain.mp4", "640x480", "", plain, sizeof plain), 0);
    /* the rotate tag sticks when remuxing (-c copy), not while encoding */
    char cmd[512];
    snprintf(rotated, sizeof rotated, "%s/rot.mp4", tmpdir);
    snprintf(cmd, sizeof cmd,
             FFMPEG_BIN " -loglevel error -y -i %s -c copy -metadata:s:v rotate=90 %s", plain,
             rotated);
    assert_int_equal(system(cmd), 0);
    struct {
        const char *path;
        int64_t cap;
        int w, h;
    } rows[] = {
        {plain, 0, 640, 480},          /* no cap */
        {plain, 640 * 480, 640, 480},  /* at the cap: unchanged */
        {plain, 320 * 240, 320, 240},  /* scaled */
        {rotated, 320 * 240, 240, 320} /* scaled, then turned upright */
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct video *v = NULL;
        assert_int_equal(video_open(rows[i].path, NULL, &v, msg, sizeof msg), 0);
        video_set_max_pixels(v, rows[i].cap);
        int ow, oh;
        video_output_size(v, &ow, &oh);
        assert_int_equal(ow, rows[i].w);
        assert_int_equal(oh, rows[i].h);
        struct rr_image fr;
        int64_t t;
        int n = 0;
        while (video_next(v, &fr, &t, msg, sizeof msg) == 0) {
            assert_int_equal(fr.width, rows[i].w);
            assert_int_equal(fr.height, rows[i].h);
            n++;
        }
        assert_int_equal(n, 10);
        video_close(v);
    }
}

static void decode__a_frame_budget_stops_the_stream(void **state)
{
    (void)state;
    rrtest_case_tool("decode__a_frame_budget_stops_the_stream", FFMPEG_BIN);
    char clip[128], msg[256];
    assert_int_equal(make_clip("budget.mp4", "160x120", "", clip, sizeof clip), 0);
    struct video_limits lim = video_limits_default();
    lim.max_frames = 4;
    struct video *v = NULL;
    assert_int_equal(video_open(clip, &lim, &v, msg, sizeof msg), 0);
    struct rr_image fr;
    int64_t t;
    for (int i = 0; i < 4; i++)
        assert_int_equal(video_next(v, &fr, &t, msg, sizeof msg), 0);
    assert_int_equal(video_next(v, &fr, &t, msg, sizeof msg), RR_ERR_TOOBIG);
    assert_non_null(strstr(msg, "more than 4 frames"));
    video_close(v);
}

static int group_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rr-scaled-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fit__keeps_small_pictures_and_scales_big_ones),
        cmocka_unit_test(decode__rgb_frames_scaled_to_the_cap),
        cmocka_unit_test(decode__a_frame_budget_stops_the_stream),
    };
    return rrtest_status(cmocka_run_group_tests(tests, group_setup, group_teardown));
}
