/*
 * test_crop_yuv.c - crop_rotated_yuv() (crops straight from YUV 4:2:0 planes) against
 * crop_rotated() on an RGB image converted here with textbook formulas: same geometry for every
 * rotation of the stored picture, both borders, limited and full range, BT.601 / 709 / 2020;
 * exact black and white; the double path for far-away rects; argument checks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rr_error.h"
#include "pose/crop.h"

/* stored picture: odd sizes so the last chroma column/row is a half one */
#define SW 45
#define SH 31
#define CW ((SW + 1) / 2)
#define CH ((SH + 1) / 2)
#define OUT 40

static uint8_t Yp[SH][SW + 3], Up[CH][CW + 1], Vp[CH][CW + 1];

/* Smooth content inside the RGB gamut: bilinear interpolation commutes with the (affine) colour
 * conversion, and no clamping happens (the RGB crop blends clamped pixels, the YUV crop clamps
 * blended ones; both are right, but they differ where colours leave the gamut). */
static void fill(int full)
{
    (void)full;
    for (int y = 0; y < SH; y++)
        for (int x = 0; x < SW; x++)
            Yp[y][x] = (uint8_t)(60 + 120 * (x + 2 * y) / (SW + 2 * SH));
    for (int y = 0; y < CH; y++)
        for (int x = 0; x < CW; x++) {
            Up[y][x] = (uint8_t)(110 + x);
            Vp[y][x] = (uint8_t)(145 - 2 * y);
        }
}

static struct crop_yuv view(int rotation, int full, int matrix)
{
    struct crop_yuv c = {SW,     SH,     &Yp[0][0], &Up[0][0], &Vp[0][0],
                         SW + 3, CW + 1, rotation,  full,      matrix};
    return c;
}

static double clampd(double v)
{
    return v < 0 ? 0 : v > 255 ? 255 : v;
}

/* chroma at luma pixel (x, y): bilinear at (x/2, (y-0.5)/2), edges replicated */
static double chroma(const uint8_t p[CH][CW + 1], int x, int y)
{
    double cx = x / 2.0, cy = (y - 0.5) / 2.0;
    int x0 = (int)floor(cx), y0 = (int)floor(cy);
    double fx = cx - x0, fy = cy - y0;
    int xa = x0 < 0 ? 0 : x0 > CW - 1 ? CW - 1 : x0, xb = x0 + 1 > CW - 1 ? CW - 1 : x0 + 1;
    int ya = y0 < 0 ? 0 : y0 > CH - 1 ? CH - 1 : y0, yb = y0 + 1 > CH - 1 ? CH - 1 : y0 + 1;
    if (xb < 0)
        xb = 0;
    if (yb < 0)
        yb = 0;
    return (1 - fx) * (1 - fy) * p[ya][xa] + fx * (1 - fy) * p[ya][xb] + (1 - fx) * fy * p[yb][xa] +
           fx * fy * p[yb][xb];
}

/* textbook YUV -> RGB of the stored picture, then turned upright by hand */
static uint8_t rgb_up[SW * SH * 3];

static struct rr_image reference_rgb(int rotation, int full, int matrix)
{
    static const double kr[3] = {0.299, 0.2126, 0.2627}, kb[3] = {0.114, 0.0722, 0.0593};
    double r = kr[matrix], b = kb[matrix], g = 1 - r - b;
    int uw = rotation == 90 || rotation == 270 ? SH : SW;
    int uh = rotation == 90 || rotation == 270 ? SW : SH;
    for (int y = 0; y < SH; y++)
        for (int x = 0; x < SW; x++) {
            double Y = full ? Yp[y][x] : (Yp[y][x] - 16) * 255.0 / 219.0;
            double cs = full ? 1.0 : 255.0 / 224.0;
            double U = (chroma(Up, x, y) - 128) * cs, V = (chroma(Vp, x, y) - 128) * cs;
            double rgb[3] = {Y + 2 * (1 - r) * V,
                             Y - 2 * b * (1 - b) / g * U - 2 * r * (1 - r) / g * V,
                             Y + 2 * (1 - b) * U};
            int ux, uy; /* where stored (x, y) shows upright */
            switch (rotation) {
            case 90:
                ux = SH - 1 - y;
                uy = x;
                break;
            case 180:
                ux = SW - 1 - x;
                uy = SH - 1 - y;
                break;
            case 270:
                ux = y;
                uy = SW - 1 - x;
                break;
            default:
                ux = x;
                uy = y;
                break;
            }
            for (int c = 0; c < 3; c++)
                rgb_up[((size_t)uy * (size_t)uw + (size_t)ux) * 3 + (size_t)c] =
                    (uint8_t)lround(clampd(rgb[c]));
        }
    struct rr_image im = {uw, uh, (size_t)uw * 3, rgb_up};
    return im;
}

static float got[OUT * OUT * 3], want[OUT * OUT * 3];

static void compare(int rotation, int full, int matrix, enum crop_border border,
                    const struct crop_rect *r, double *max_diff, double *mean_diff)
{
    struct crop_yuv c = view(rotation, full, matrix);
    struct rr_image im = reference_rgb(rotation, full, matrix);
    int w, h;
    crop_yuv_upright(&c, &w, &h);
    assert_int_equal(w, im.width);
    assert_int_equal(h, im.height);
    assert_int_equal(crop_rotated_yuv(&c, r, OUT, OUT, border, 0.0f, 255.0f, got), 0);
    assert_int_equal(crop_rotated(&im, r, OUT, OUT, border, 0.0f, 255.0f, want), 0);
    double mx = 0, sum = 0;
    for (int i = 0; i < OUT * OUT * 3; i++) {
        double d = fabs((double)got[i] - (double)want[i]);
        mx = d > mx ? d : mx;
        sum += d;
    }
    *max_diff = mx;
    *mean_diff = sum / (OUT * OUT * 3);
}

static void crop_yuv__matches_rgb_crop_for_every_rotation_range_matrix_and_border(void **state)
{
    (void)state;
    static const int rots[4] = {0, 90, 180, 270};
    double worst = 0, worst_mean = 0;
    for (int full = 0; full <= 1; full++) {
        fill(full);
        for (int m = 0; m <= 2; m++)
            for (int k = 0; k < 4; k++)
                for (int b = 0; b <= 1; b++) {
                    int uw = rots[k] % 180 ? SH : SW, uh = rots[k] % 180 ? SW : SH;
                    /* inside, turned, and hanging over the top-left corner */
                    const struct crop_rect rects[3] = {
                        {0.5f * (float)uw, 0.5f * (float)uh, 0.6f * (float)uw, 0.6f * (float)uh,
                         0.0f},
                        {0.45f * (float)uw, 0.55f * (float)uh, 20.0f, 25.0f, 0.7f},
                        {3.0f, 2.0f, 30.0f, 30.0f, -0.3f},
                    };
                    for (int q = 0; q < 3; q++) {
                        double mx, mean;
                        compare(rots[k], full, m, (enum crop_border)b, &rects[q], &mx, &mean);
                        if (mx > 3.0 || mean > 0.6)
                            fail_msg(
                                "rot %d full %d matrix %d border %d rect %d: max %.2f mean %.3f",
                                rots[k], full, m, b, q, mx, mean);
                        worst = mx > worst ? mx : worst;
                        worst_mean = mean > worst_mean ? mean : worst_mean;
                    }
                }
    }
    printf("  worst difference to the RGB crop: max %.1f, mean %.3f grey levels\n", worst,
           worst_mean);
}

static void crop_yuv__limits_are_black_and_white(void **state)
{
    (void)state;
    struct crop_rect r = {10.0f, 10.0f, 8.0f, 8.0f, 0.3f};
    struct crop_yuv c = view(0, 0, 1);
    memset(Yp, 235, sizeof Yp);
    memset(Up, 128, sizeof Up);
    memset(Vp, 128, sizeof Vp);
    assert_int_equal(crop_rotated_yuv(&c, &r, OUT, OUT, CROP_BORDER_ZERO, -1.0f, 1.0f, got), 0);
    for (int i = 0; i < OUT * OUT * 3; i++)
        assert_float_equal(got[i], 1.0f, 1e-6f);
    memset(Yp, 16, sizeof Yp);
    assert_int_equal(crop_rotated_yuv(&c, &r, OUT, OUT, CROP_BORDER_ZERO, -1.0f, 1.0f, got), 0);
    for (int i = 0; i < OUT * OUT * 3; i++)
        assert_float_equal(got[i], -1.0f, 1e-6f);
    /* entirely outside with a zero border: lo */
    memset(Yp, 200, sizeof Yp);
    struct crop_rect away = {-500.0f, -500.0f, 50.0f, 50.0f, 0.0f};
    assert_int_equal(crop_rotated_yuv(&c, &away, OUT, OUT, CROP_BORDER_ZERO, -1.0f, 1.0f, got), 0);
    for (int i = 0; i < OUT * OUT * 3; i++)
        assert_float_equal(got[i], -1.0f, 1e-6f);
    /* ... and the nearest edge with replication */
    assert_int_equal(
        crop_rotated_yuv(&c, &away, OUT, OUT, CROP_BORDER_REPLICATE, 0.0f, 255.0f, got), 0);
    for (int i = 0; i < OUT * OUT * 3; i++)
        assert_float_equal(got[i], (float)lround((200 - 16) * 255.0 / 219.0), 1.0f);
}

/* Rects millions of pixels wide leave the fixed-point path: still in range, same as RGB. */
static void crop_yuv__far_away_rects_take_the_double_path(void **state)
{
    (void)state;
    fill(0);
    struct crop_rect huge = {20.0f, 15.0f, 4.0e7f, 3.0e7f, 0.2f};
    double mx, mean;
    compare(90, 0, 0, CROP_BORDER_REPLICATE, &huge, &mx, &mean);
    assert_true(mx <= 3.0);
    compare(0, 1, 1, CROP_BORDER_ZERO, &huge, &mx, &mean);
    assert_true(mx <= 3.0);
}

static void crop_yuv__refuses_bad_arguments(void **state)
{
    (void)state;
    struct crop_rect r = {10.0f, 10.0f, 8.0f, 8.0f, 0.0f};
    struct crop_yuv c = view(0, 0, 0);
    assert_true(crop_yuv_valid(&c));
    assert_int_equal(crop_rotated_yuv(NULL, &r, 4, 4, CROP_BORDER_ZERO, 0, 1, got), RR_ERR_INVAL);
    assert_int_equal(crop_rotated_yuv(&c, NULL, 4, 4, CROP_BORDER_ZERO, 0, 1, got), RR_ERR_INVAL);
    assert_int_equal(crop_rotated_yuv(&c, &r, 0, 4, CROP_BORDER_ZERO, 0, 1, got), RR_ERR_INVAL);
    assert_int_equal(crop_rotated_yuv(&c, &r, 4, 4, CROP_BORDER_ZERO, 0, 1, NULL), RR_ERR_INVAL);
    struct crop_yuv bad = c;
    bad.rotation = 45;
    assert_false(crop_yuv_valid(&bad));
    assert_int_equal(crop_rotated_yuv(&bad, &r, 4, 4, CROP_BORDER_ZERO, 0, 1, got), RR_ERR_INVAL);
    bad = c;
    bad.matrix = 3;
    assert_false(crop_yuv_valid(&bad));
    bad = c;
    bad.uv_stride = CW - 1;
    assert_false(crop_yuv_valid(&bad));
    bad = c;
    bad.y_stride = SW - 1;
    assert_false(crop_yuv_valid(&bad));
    bad = c;
    bad.u = NULL;
    assert_false(crop_yuv_valid(&bad));
    bad = c;
    bad.width = RR_IMAGE_MAX_SIDE + 1;
    assert_false(crop_yuv_valid(&bad));
    assert_false(crop_yuv_valid(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crop_yuv__matches_rgb_crop_for_every_rotation_range_matrix_and_border),
        cmocka_unit_test(crop_yuv__limits_are_black_and_white),
        cmocka_unit_test(crop_yuv__far_away_rects_take_the_double_path),
        cmocka_unit_test(crop_yuv__refuses_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
