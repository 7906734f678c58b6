/* test_encode.c - drawing primitives, JPEG and H.264 output (to a path or a descriptor) read back
 * through the decoder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/rr_error.h"
#include "support/rrtest.h"
#include "video/decode.h"
#include "video/draw.h"
#include "video/encode.h"

static char tmpdir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rr_test_encode_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static const uint8_t *px(const struct draw_canvas *c, int x, int y)
{
    return c->rgb + (size_t)y * c->stride + (size_t)x * 3;
}

static void draw__line_and_disc_colour_the_right_pixels(void **state)
{
    (void)state;
    uint8_t buf[64 * 48 * 3] = {0};
    struct draw_canvas c = {buf, 64, 48, 64 * 3};
    draw_line(&c, 4, 10, 60, 10, 3, DRAW_RED);
    assert_int_equal(px(&c, 30, 10)[0], 230);
    assert_int_equal(px(&c, 30, 30)[0], 0);
    draw_disc(&c, 32, 32, 5, DRAW_GREEN);
    assert_int_equal(px(&c, 32, 32)[1], 200);
    assert_int_equal(px(&c, 32, 40)[1], 0);
    /* out-of-range and non-finite coordinates are clipped, never written out of bounds */
    draw_line(&c, -1e9f, -5, 1e9f, 500, 4, DRAW_WHITE);
    draw_disc(&c, NAN, 3, 4, DRAW_WHITE);
    draw_box(&c, -10, -10, 1000, 1000, DRAW_BLACK, 1.0f);
    assert_int_equal(px(&c, 32, 32)[1], 0);
}

static void draw__text_renders_and_measures(void **state)
{
    (void)state;
    struct draw_font *f = NULL;
    int rc = draw_font_open(NULL, 16, &f);
    if (rc == RR_ERR_NOTFOUND)
        rrtest_skip_case("draw__text_renders_and_measures", "DejaVu font not installed");
    assert_int_equal(rc, 0);
    int w = draw_text_width(f, "Rep 3: knees in");
    assert_true(w > 60 && w < 400);
    uint8_t buf[200 * 30 * 3] = {0};
    struct draw_canvas c = {buf, 200, 30, 600};
    int adv = draw_text(&c, f, 2, 2, "Rep 3: knees in \xc3\xa9\xe2\x82\xac", DRAW_WHITE);
    assert_true(adv > w);
    int lit = 0;
    for (size_t i = 0; i < sizeof buf; i++)
        lit += buf[i] > 128;
    assert_true(lit > 50);
    assert_int_equal(draw_font_open(NULL, 2, &f), RR_ERR_INVAL);
    draw_font_free(f);
    draw_font_free(NULL);
}

static void fill_pattern(uint8_t *rgb, int w, int h, int k)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *p = rgb + ((size_t)y * w + x) * 3;
            p[0] = (uint8_t)(x * 2 + k);
            p[1] = (uint8_t)(y * 2);
            p[2] = 128;
        }
}

static void jpeg__round_trips_through_image_load(void **state)
{
    (void)state;
    int w = 96, h = 64;
    uint8_t *rgb = malloc((size_t)w * h * 3);
    assert_non_null(rgb);
    fill_pattern(rgb, w, h, 0);
    struct rr_image im = {w, h, (size_t)w * 3, rgb};
    char path[512], msg[256] = "";
    snprintf(path, sizeof path, "%s/t.jpg", tmpdir);
    assert_int_equal(jpeg_write(path, &im, 90, msg, sizeof msg), 0);
    struct rr_rgbbuf back = {0};
    assert_int_equal(image_load(path, &back, msg, sizeof msg), 0);
    assert_int_equal(back.width, w);
    assert_int_equal(back.height, h);
    double err = 0;
    for (size_t i = 0; i < (size_t)w * h * 3; i++)
        err += fabs((double)back.data[i] - rgb[i]);
    err /= (double)w * h * 3;
    printf("jpeg round trip mean abs error %.2f\n", err);
    assert_true(err < 6.0);
    char part[600];
    snprintf(part, sizeof part, "%s.part", path);
    assert_int_not_equal(access(part, F_OK), 0);
    assert_int_equal(jpeg_write(path, &im, 0, msg, sizeof msg), RR_ERR_INVAL);
    rr_rgbbuf_release(&back);
    free(rgb);
}

static void mp4__writes_h264_that_decodes_back(void **state)
{
    (void)state;
    int w = 161, h = 120; /* odd width: padded by the writer */
    uint8_t *rgb = malloc((size_t)w * h * 3);
    assert_non_null(rgb);
    char path[512], msg[256] = "";
    snprintf(path, sizeof path, "%s/o.mp4", tmpdir);
    struct video_writer *vw = NULL;
    assert_int_equal(video_writer_open(path, w, h, 30.0, &vw, msg, sizeof msg), 0);
    for (int i = 0; i < 20; i++) {
        fill_pattern(rgb, w, h, i * 5);
        struct rr_image im = {w, h, (size_t)w * 3, rgb};
        assert_int_equal(video_writer_write(vw, &im, (int64_t)i * 33333, msg, sizeof msg), 0);
    }
    struct rr_image wrong = {w - 1, h, (size_t)w * 3, rgb};
    assert_int_equal(video_writer_write(vw, &wrong, 999999, msg, sizeof msg), RR_ERR_INVAL);
    assert_int_equal(video_writer_close(vw, msg, sizeof msg), 0);

    struct video *v = NULL;
    assert_int_equal(video_open(path, NULL, &v, msg, sizeof msg), 0);
    struct rr_image fr;
    int64_t t, last = -1;
    int n = 0;
    while (video_next(v, &fr, &t, msg, sizeof msg) == 0) {
        assert_true(t > last);
        last = t;
        n++;
    }
    assert_int_equal(n, 20);
    assert_true(video_get_info(v)->width >= w);
    video_close(v);
    assert_int_equal(video_writer_open(path, 1, 1, 30.0, &vw, msg, sizeof msg), RR_ERR_INVAL);
    char bad[600];
    snprintf(bad, sizeof bad, "%s/no/such/dir/x.mp4", tmpdir);
    assert_int_equal(video_writer_open(bad, w, h, 30.0, &vw, msg, sizeof msg), RR_ERR_IO);
    video_writer_abort(NULL);
    free(rgb);
}

/* Frames decoded from the file at path (-1: does not open). */
static int frames_in(const char *path)
{
    struct video *v = NULL;
    char msg[256];
    if (video_open(path, NULL, &v, msg, sizeof msg) != 0)
        return -1;
    struct rr_image fr;
    int64_t t;
    int n = 0;
    while (video_next(v, &fr, &t, msg, sizeof msg) == 0)
        n++;
    video_close(v);
    return n;
}

/* The descriptor writer (a sandboxed renderer's): the file decodes to as many frames as the
 * same frames written by path, the descriptor stays open
 * and the caller's; nothing is renamed; abort leaves the descriptor alone. JPEG bytes in memory
 * are the same encoder's. */
static void mp4__writes_to_a_descriptor_and_jpeg_to_memory(void **state)
{
    (void)state;
    int w = 96, h = 64;
    uint8_t *rgb = malloc((size_t)w * h * 3);
    assert_non_null(rgb);
    char path[512], by_path[512], msg[256] = "";
    snprintf(path, sizeof path, "%s/fd.mp4", tmpdir);
    snprintf(by_path, sizeof by_path, "%s/path.mp4", tmpdir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    struct video_writer *vw = NULL, *pw = NULL;
    assert_int_equal(video_writer_open_fd(fd, w, h, 25.0, &vw, msg, sizeof msg), 0);
    assert_int_equal(video_writer_open(by_path, w, h, 25.0, &pw, msg, sizeof msg), 0);
    for (int i = 0; i < 30; i++) {
        fill_pattern(rgb, w, h, i * 9);
        struct rr_image im = {w, h, (size_t)w * 3, rgb};
        assert_int_equal(video_writer_write(vw, &im, (int64_t)i * 40000, msg, sizeof msg), 0);
        assert_int_equal(video_writer_write(pw, &im, (int64_t)i * 40000, msg, sizeof msg), 0);
    }
    assert_int_equal(video_writer_close(vw, msg, sizeof msg), 0);
    assert_int_equal(video_writer_close(pw, msg, sizeof msg), 0);
    assert_true(fcntl(fd, F_GETFD) >= 0); /* still open */
    struct stat st;
    char part[600];
    snprintf(part, sizeof part, "%s.part", path);
    assert_int_not_equal(stat(part, &st), 0); /* no part file: the caller publishes */
    int n = frames_in(path);
    assert_true(n >= 29); /* the decoder may hold back the last frame of a short clip */
    assert_int_equal(n, frames_in(by_path));
    /* abort on a descriptor: the file and the descriptor stay */
    assert_int_equal(video_writer_open_fd(fd, w, h, 25.0, &vw, msg, sizeof msg), 0);
    video_writer_abort(vw);
    assert_true(fcntl(fd, F_GETFD) >= 0);
    close(fd);
    assert_int_equal(video_writer_open_fd(-1, w, h, 25.0, &vw, msg, sizeof msg), RR_ERR_INVAL);

    uint8_t *jpeg = NULL;
    size_t len = 0;
    struct rr_image im = {w, h, (size_t)w * 3, rgb};
    assert_int_equal(jpeg_encode(&im, 88, &jpeg, &len, msg, sizeof msg), 0);
    assert_true(len > 4 && jpeg[0] == 0xff && jpeg[1] == 0xd8 && jpeg[len - 2] == 0xff &&
                jpeg[len - 1] == 0xd9);
    free(jpeg);
    assert_int_equal(jpeg_encode(&im, 0, &jpeg, &len, msg, sizeof msg), RR_ERR_INVAL);
    assert_null(jpeg);
    free(rgb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(draw__line_and_disc_colour_the_right_pixels),
        cmocka_unit_test(draw__text_renders_and_measures),
        cmocka_unit_test(jpeg__round_trips_through_image_load),
        cmocka_unit_test(mp4__writes_h264_that_decodes_back),
        cmocka_unit_test(mp4__writes_to_a_descriptor_and_jpeg_to_memory),
    };
    return rrtest_status(cmocka_run_group_tests(tests, setup, teardown));
}
