/*
 * test_crop_yuv.c - crop_rotated_yuv() (crops straight from YUV 4:2:0 planes) against
 * crop_rotated() on an RGB image converted here with textbook formulas: same geometry for every
 * rotation of the stored picture, both borders, limited and full range, BT.601 / 709 / 2020;
 * exact black and white; the double path for far-away rects; argument checks; the batched
 * interior path bit-identical to plain per-pixel sampling on random pictures and rects.
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

/* ---- every pixel the careful way: the batched interior path must give the same bits ---- */

static int clampi_t(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* One pixel at 1/32-pixel stored point (X, Y), written plainly: per-neighbour borders, chroma
 * with replicated edges, the documented float conversion and 8-bit rounding. */
static void careful_pixel(const struct crop_yuv *c, int X, int Y, int border, float lo, float scale,
                          float *o)
{
    static const float kr[3] = {0.299f, 0.2126f, 0.2627f}, kb[3] = {0.114f, 0.0722f, 0.0593f};
    float r = kr[c->matrix], b = kb[c->matrix], g = 1.0f - r - b;
    float ky = c->full_range ? 1.0f / 1024.0f : 255.0f / 219.0f / 1024.0f;
    float yoff = c->full_range ? 0.0f : 16.0f;
    float kc = c->full_range ? 1.0f / 1024.0f : 255.0f / 224.0f / 1024.0f;
    int sx = X >> 5, sy = Y >> 5, fx = X & 31, fy = Y & 31;
    int ws[4] = {(32 - fx) * (32 - fy), fx * (32 - fy), (32 - fx) * fy, fx * fy};
    int ysum = 0, wsum = 0, any = 0;
    for (int j = 0; j < 4; j++) {
        int x = sx + (j & 1), y = sy + (j >> 1);
        int in = x >= 0 && x < c->width && y >= 0 && y < c->height;
        any |= in;
        if (!in && border == CROP_BORDER_ZERO)
            continue;
        x = clampi_t(x, 0, c->width - 1);
        y = clampi_t(y, 0, c->height - 1);
        ysum += c->y[(size_t)y * c->y_stride + (size_t)x] * ws[j];
        wsum += ws[j];
    }
    if (!any && border == CROP_BORDER_ZERO) {
        o[0] = o[1] = o[2] = lo;
        return;
    }
    int CX = X >> 1, CY = (Y >> 1) - 8, cw = (c->width + 1) / 2, ch = (c->height + 1) / 2;
    int gx = CX & 31, gy = CY & 31, cu = 0, cv = 0;
    int cwt[4] = {(32 - gx) * (32 - gy), gx * (32 - gy), (32 - gx) * gy, gx * gy};
    for (int j = 0; j < 4; j++) {
        int x = clampi_t((CX >> 5) + (j & 1), 0, cw - 1),
            y = clampi_t((CY >> 5) + (j >> 1), 0, ch - 1);
        cu += c->u[(size_t)y * c->uv_stride + (size_t)x] * cwt[j];
        cv += c->v[(size_t)y * c->uv_stride + (size_t)x] * cwt[j];
    }
    float fw = (float)wsum * (1.0f / 1024.0f);
    float yy = ((float)ysum - yoff * (float)wsum) * ky + 384.5f;
    float uu = ((float)cu - 131072.0f) * kc * fw, vv = ((float)cv - 131072.0f) * kc * fw;
    float t[3] = {yy + 2.0f * (1.0f - r) * vv,
                  yy - 2.0f * b * (1.0f - b) / g * uu - 2.0f * r * (1.0f - r) / g * vv,
                  yy + 2.0f * (1.0f - b) * uu};
    for (int k = 0; k < 3; k++) {
        int q = clampi_t(clampi_t((int)t[k], 0, 1023) - 384, 0, 255);
        o[k] = (float)q * scale + lo;
    }
}

/* The whole crop pixel by pixel (rows within +-2^20 px: 48.16 fixed-point steps). */
static void careful_crop(const struct crop_yuv *c, const struct crop_rect *rc, int ow, int oh,
                         int border, float lo, float hi, float *out)
{
    double m[6], n[6];
    crop_affine(rc, ow, oh, m);
    double w1 = c->width - 1, h1 = c->height - 1;
    switch (c->rotation) {
    case 90:
        n[0] = m[3], n[1] = m[4], n[2] = m[5], n[3] = -m[0], n[4] = -m[1], n[5] = h1 - m[2];
        break;
    case 180:
        n[0] = -m[0], n[1] = -m[1], n[2] = w1 - m[2], n[3] = -m[3], n[4] = -m[4], n[5] = h1 - m[5];
        break;
    case 270:
        n[0] = -m[3], n[1] = -m[4], n[2] = w1 - m[5], n[3] = m[0], n[4] = m[1], n[5] = m[2];
        break;
    default:
        memcpy(n, m, sizeof n);
        break;
    }
    const double F = 65536.0, B = 70368744177664.0; /* 2^46 */
    for (int v = 0; v < oh; v++) {
        double x0 = n[1] * v + n[2], y0 = n[4] * v + n[5];
        int64_t xf = (int64_t)(x0 * 32.0 * F + B + 0.5 * F),
                yf = (int64_t)(y0 * 32.0 * F + B + 0.5 * F);
        int64_t dx = (int64_t)(n[0] * 32.0 * F), dy = (int64_t)(n[3] * 32.0 * F);
        for (int u = 0; u < ow; u++)
            careful_pixel(c, (int)(((xf + dx * u) >> 16) - ((int64_t)1 << 30)),
                          (int)(((yf + dy * u) >> 16) - ((int64_t)1 << 30)), border, lo,
                          (hi - lo) / 255.0f, out + ((size_t)v * (size_t)ow + (size_t)u) * 3);
    }
}

#define BW 97
#define BH 64
static uint8_t bigY[BH][BW + 5], bigU[(BH + 1) / 2][(BW + 1) / 2 + 2],
    bigV[(BH + 1) / 2][(BW + 1) / 2 + 2];
static float fast[70 * 70 * 3], slow[70 * 70 * 3];

static void crop_yuv__interior_batches_match_pixel_by_pixel_sampling(void **state)
{
    (void)state;
    srand(12345);
    for (size_t i = 0; i < sizeof bigY; i++)
        (&bigY[0][0])[i] = (uint8_t)(rand() & 255);
    for (size_t i = 0; i < sizeof bigU; i++) {
        (&bigU[0][0])[i] = (uint8_t)(rand() & 255);
        (&bigV[0][0])[i] = (uint8_t)(rand() & 255);
    }
    int checked = 0;
    for (int t = 0; t < 400; t++) {
        struct crop_yuv c = {BW,          BH,        &bigY[0][0],      &bigU[0][0],
                             &bigV[0][0], BW + 5,    (BW + 1) / 2 + 2, (rand() % 4) * 90,
                             rand() % 2,  rand() % 3};
        int uw, uh;
        crop_yuv_upright(&c, &uw, &uh);
        /* mostly inside, some hanging over an edge or a corner, some wholly outside */
        float spread = t % 4 == 0 ? 1.6f : 0.6f;
        struct crop_rect rc = {
            (0.5f + spread * ((float)rand() / (float)RAND_MAX - 0.5f)) * (float)uw,
            (0.5f + spread * ((float)rand() / (float)RAND_MAX - 0.5f)) * (float)uh,
            5.0f + (float)(rand() % 60), 5.0f + (float)(rand() % 60),
            6.3f * (float)rand() / (float)RAND_MAX - 3.15f};
        int ow = 1 + rand() % 70, oh = 1 + rand() % 70;
        int border = rand() % 2;
        float lo = t % 3 == 0 ? -1.0f : 0.0f, hi = 1.0f;
        assert_int_equal(crop_rotated_yuv(&c, &rc, ow, oh, (enum crop_border)border, lo, hi, fast),
                         0);
        careful_crop(&c, &rc, ow, oh, border, lo, hi, slow);
        for (int i = 0; i < ow * oh * 3; i++)
            if (memcmp(&fast[i], &slow[i], sizeof(float)) != 0)
                fail_msg("case %d (rot %d, %dx%d out, border %d): value %d is %.6f, want %.6f", t,
                         c.rotation, ow, oh, border, i, (double)fast[i], (double)slow[i]);
        checked += ow * oh;
    }
    printf("  %d pixels identical to pixel-by-pixel sampling\n", checked);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crop_yuv__matches_rgb_crop_for_every_rotation_range_matrix_and_border),
        cmocka_unit_test(crop_yuv__limits_are_black_and_white),
        cmocka_unit_test(crop_yuv__far_away_rects_take_the_double_path),
        cmocka_unit_test(crop_yuv__refuses_bad_arguments),
        cmocka_unit_test(crop_yuv__interior_batches_match_pixel_by_pixel_sampling),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
