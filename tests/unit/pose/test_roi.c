/* test_roi.c - ROI math against MediaPipe's worked example (blazepose.md 3.6). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>

#include "pose/roi.h"

#define PI_F 3.14159265358979323846f

static void roi__worked_example_matches_mediapipe_expanded_rect(void **state)
{
    (void)state;
    /* pose_expected_detection.pbtxt -> pose_expected_expanded_rect.pbtxt on a 1000x667 image */
    struct roi_rect r = roi_pose(0.49192297f, 0.7013345f, 0.48453212f, 0.32265595f, 1000, 667);
    assert_float_equal(r.xc, 0.49192297f, 1e-6);
    assert_float_equal(r.yc, 0.7013345f, 1e-6);
    assert_float_equal(r.w, 0.6317167f, 1e-6);
    assert_float_equal(r.h, 0.9471016f, 1e-6);
    assert_float_equal(r.rotation, -0.0292532f, 1e-6);
}

static void roi__alignment_rect_is_twice_the_point_distance(void **state)
{
    (void)state;
    /* p1 straight above p0 by 100 px: rotation 0, side 200 px. */
    struct roi_rect r = roi_from_alignment(0.5f, 0.5f, 0.5f, 0.25f, 400, 400, PI_F / 2);
    assert_float_equal(r.w, 0.5f, 1e-6);
    assert_float_equal(r.h, 0.5f, 1e-6);
    assert_float_equal(r.rotation, 0.0f, 1e-6);
    /* p1 to the right: the body lies along +x, the rect turns by +90 deg (clockwise on screen). */
    r = roi_from_alignment(0.5f, 0.5f, 0.75f, 0.5f, 400, 400, PI_F / 2);
    assert_float_equal(r.rotation, PI_F / 2, 1e-6);
    /* p1 below: upside down, rotation normalised to -pi. */
    r = roi_from_alignment(0.5f, 0.5f, 0.5f, 0.75f, 400, 400, PI_F / 2);
    assert_float_equal(fabsf(r.rotation), PI_F, 1e-6);
}

static void roi__transform_squares_on_long_side_in_pixels(void **state)
{
    (void)state;
    struct roi_rect r = {0.5f, 0.5f, 0.2f, 0.5f, 0.3f}; /* 200 x 250 px on 1000x500 */
    struct roi_rect t = roi_transform(r, 1000, 500, 1.25f, 1.25f, 1);
    assert_float_equal(t.w * 1000, 312.5f, 1e-3);
    assert_float_equal(t.h * 500, 312.5f, 1e-3);
    assert_float_equal(t.rotation, 0.3f, 0);
    assert_float_equal(t.xc, 0.5f, 0);
    t = roi_transform(r, 1000, 500, 2.0f, 1.0f, 0);
    assert_float_equal(t.w, 0.4f, 1e-7);
    assert_float_equal(t.h, 0.5f, 1e-7);
}

static void roi__normalize_radians_wraps_into_minus_pi_pi(void **state)
{
    (void)state;
    assert_float_equal(roi_normalize_radians(3 * PI_F / 2), -PI_F / 2, 1e-6);
    assert_float_equal(roi_normalize_radians(-3 * PI_F / 2), PI_F / 2, 1e-6);
    assert_float_equal(roi_normalize_radians(0.5f), 0.5f, 1e-7);
    assert_float_equal(roi_normalize_radians(5 * PI_F), -PI_F, 1e-5);
    assert_true(roi_normalize_radians(PI_F) < 0.0f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(roi__worked_example_matches_mediapipe_expanded_rect),
        cmocka_unit_test(roi__alignment_rect_is_twice_the_point_distance),
        cmocka_unit_test(roi__transform_squares_on_long_side_in_pixels),
        cmocka_unit_test(roi__normalize_radians_wraps_into_minus_pi_pi),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
