/* test_crop.c - rotated crop on synthetic images: geometry, borders, OpenCV rounding. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "base/rr_error.h"
#include "pose/crop.h"

#define PI_F 3.14159265358979323846f

/* R = 3x, G = 4y, B = 100: bilinear interpolation of a linear ramp is exact. */
static uint8_t ramp[48][64 * 3];

static struct rr_image ramp_image(void)
{
    for (int y = 0; y < 48; y++)
        for (int x = 0; x < 64; x++) {
            ramp[y][3 * x] = (uint8_t)(3 * x);
            ramp[y][3 * x + 1] = (uint8_t)(4 * y);
            ramp[y][3 * x + 2] = 100;
        }
    struct rr_image img = {64, 48, 64 * 3, &ramp[0][0]};
    return img;
}

static void crop__axis_aligned_maps_integer_pixels(void **state)
{
    (void)state;
    struct rr_image img = ramp_image();
    float out[16 * 16 * 3];
    struct crop_rect r = {32, 24, 16, 16, 0};
    assert_int_equal(crop_rotated(&img, &r, 16, 16, CROP_BORDER_ZERO, 0.0f, 1.0f, out), 0);
    /* output (u, v) samples (32 - 8 + u, 24 - 8 + v): OpenCV integer pixel centres, no +0.5 */
    for (int v = 0; v < 16; v++)
        for (int u = 0; u < 16; u++) {
            const float *p = out + (v * 16 + u) * 3;
            assert_float_equal(p[0], 3.0f * (24 + u) / 255.0f, 1e-6);
            assert_float_equal(p[1], 4.0f * (16 + v) / 255.0f, 1e-6);
            assert_float_equal(p[2], 100.0f / 255.0f, 1e-6);
        }
}

static void crop__rotation_by_90_degrees_turns_the_sampling_grid(void **state)
{
    (void)state;
    struct rr_image img = ramp_image();
    float out[16 * 16 * 3];
    struct crop_rect r = {32, 24, 16, 16, PI_F / 2};
    assert_int_equal(crop_rotated(&img, &r, 16, 16, CROP_BORDER_ZERO, -1.0f, 1.0f, out), 0);
    /* source = centre + R(90)(u - 8, v - 8) = (32 - (v - 8), 24 + (u - 8)) */
    for (int v = 0; v < 16; v++)
        for (int u = 0; u < 16; u++) {
            const float *p = out + (v * 16 + u) * 3;
            float sx = 32.0f - (float)(v - 8), sy = 24.0f + (float)(u - 8);
            assert_float_equal(p[0], 3.0f * sx * 2.0f / 255.0f - 1.0f, 1e-5);
            assert_float_equal(p[1], 4.0f * sy * 2.0f / 255.0f - 1.0f, 1e-5);
        }
}

static void crop__arbitrary_rotation_interpolates_the_ramp(void **state)
{
    (void)state;
    struct rr_image img = ramp_image();
    float out[20 * 20 * 3];
    float th = 0.3f;
    struct crop_rect r = {30, 22, 20, 20, th};
    double m[6];
    crop_affine(&r, 20, 20, m);
    assert_int_equal(crop_rotated(&img, &r, 20, 20, CROP_BORDER_REPLICATE, 0.0f, 255.0f, out), 0);
    for (int v = 0; v < 20; v++)
        for (int u = 0; u < 20; u++) {
            float dx = (float)u - 10, dy = (float)v - 10;
            float sx = 30 + cosf(th) * dx - sinf(th) * dy;
            float sy = 22 + sinf(th) * dx + cosf(th) * dy;
            assert_float_equal(m[0] * u + m[1] * v + m[2], sx, 1e-4);
            assert_float_equal(m[3] * u + m[4] * v + m[5], sy, 1e-4);
            const float *p = out + (v * 20 + u) * 3;
            /* 1/32 px quantisation (<= 3/64 per axis step of 3) plus 8-bit rounding */
            assert_float_equal(p[0], 3.0f * sx, 0.6);
            assert_float_equal(p[1], 4.0f * sy, 0.6);
            assert_float_equal(p[2], 100.0f, 1e-6);
        }
}

static void crop__letterbox_rows_are_zero_border(void **state)
{
    (void)state;
    uint8_t px[4][8 * 3];
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 8 * 3; x++)
            px[y][x] = (uint8_t)(10 + 50 * y);
    struct rr_image img = {8, 4, 8 * 3, &px[0][0]};
    float out[8 * 8 * 3];
    struct crop_rect r = {4, 2, 8, 8, 0}; /* the detector's letterboxed whole-image rect */
    assert_int_equal(crop_rotated(&img, &r, 8, 8, CROP_BORDER_ZERO, -1.0f, 1.0f, out), 0);
    for (int v = 0; v < 8; v++) {
        float want = (v < 2 || v >= 6) ? -1.0f : (10.0f + 50.0f * (float)(v - 2)) * 2.0f / 255.0f - 1.0f;
        for (int u = 0; u < 8; u++)
            assert_float_equal(out[(v * 8 + u) * 3 + 1], want, 1e-6);
    }
    /* replicate: the same rows repeat the nearest image row */
    assert_int_equal(crop_rotated(&img, &r, 8, 8, CROP_BORDER_REPLICATE, 0.0f, 1.0f, out), 0);
    assert_float_equal(out[0], 10.0f / 255.0f, 1e-6);
    assert_float_equal(out[(7 * 8) * 3], 160.0f / 255.0f, 1e-6);
}

static void crop__rect_outside_image_gives_border_values(void **state)
{
    (void)state;
    struct rr_image img = ramp_image();
    float out[4 * 4 * 3];
    struct crop_rect r = {-100, -100, 4, 4, 0.7f};
    assert_int_equal(crop_rotated(&img, &r, 4, 4, CROP_BORDER_ZERO, -1.0f, 1.0f, out), 0);
    for (int i = 0; i < 4 * 4 * 3; i++)
        assert_float_equal(out[i], -1.0f, 0);
    assert_int_equal(crop_rotated(&img, &r, 4, 4, CROP_BORDER_REPLICATE, 0.0f, 255.0f, out), 0);
    for (int i = 0; i < 16; i++) { /* top-left pixel (0, 0, 100) */
        assert_float_equal(out[3 * i], 0.0f, 0);
        assert_float_equal(out[3 * i + 2], 100.0f, 1e-5);
    }
}

static void crop__rounds_like_opencv_fixed_point(void **state)
{
    (void)state;
    uint8_t px[6] = {0, 0, 0, 255, 255, 255};
    struct rr_image img = {2, 1, 6, px};
    float out[3];
    /* output pixel 0 samples x = 0.5: (0 * 16 + 255 * 16) / 32 = 127.5 -> rounds to 128 */
    struct crop_rect r = {1.0f, 0.5f, 1.0f, 1.0f, 0};
    assert_int_equal(crop_rotated(&img, &r, 1, 1, CROP_BORDER_REPLICATE, 0.0f, 255.0f, out), 0);
    assert_float_equal(out[0], 128.0f, 1e-5);
    /* x = 0.25 + 1/128: quantised to 8/32 -> 255 * 8 / 32 = 63.75 -> 64 */
    r.cx = 0.75f + 1.0f / 128;
    assert_int_equal(crop_rotated(&img, &r, 1, 1, CROP_BORDER_REPLICATE, 0.0f, 255.0f, out), 0);
    assert_float_equal(out[0], 64.0f, 1e-5);
}

static void crop__rejects_empty_input(void **state)
{
    (void)state;
    float out[3];
    struct crop_rect r = {0, 0, 1, 1, 0};
    struct rr_image img = {0, 0, 0, NULL};
    assert_int_equal(crop_rotated(&img, &r, 1, 1, CROP_BORDER_ZERO, 0, 1, out), RR_ERR_INVAL);
    struct rr_image ok = ramp_image();
    assert_int_equal(crop_rotated(&ok, &r, 0, 1, CROP_BORDER_ZERO, 0, 1, out), RR_ERR_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crop__axis_aligned_maps_integer_pixels),
        cmocka_unit_test(crop__rotation_by_90_degrees_turns_the_sampling_grid),
        cmocka_unit_test(crop__arbitrary_rotation_interpolates_the_ramp),
        cmocka_unit_test(crop__letterbox_rows_are_zero_border),
        cmocka_unit_test(crop__rect_outside_image_gives_border_values),
        cmocka_unit_test(crop__rounds_like_opencv_fixed_point),
        cmocka_unit_test(crop__rejects_empty_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
