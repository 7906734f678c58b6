/* test_filter.c - one-euro / low-pass smoothing against hand-computed values. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>

#include "pose/filter.h"

#define S (INT64_C(1000000000))

static void filter__lowpass_first_value_passes_then_blends(void **state)
{
    (void)state;
    struct filter_lowpass f;
    filter_lowpass_init(&f, 0.1);
    assert_float_equal(filter_lowpass_apply(&f, 1.0), 1.0, 0);
    assert_float_equal(filter_lowpass_apply(&f, 0.0), 0.9, 1e-12);
    assert_float_equal(filter_lowpass_apply(&f, 0.0), 0.81, 1e-12);
    assert_float_equal(f.raw, 0.0, 0);
    /* out-of-range alpha is ignored (previous alpha kept) */
    assert_float_equal(filter_lowpass_apply_alpha(&f, 1.0, 1.5), 0.1 + 0.9 * 0.81, 1e-12);
}

static void filter__one_euro_matches_hand_computed_values(void **state)
{
    (void)state;
    struct filter_one_euro f;
    /* beta 0: a plain low-pass at 1 Hz cutoff; the frequency comes from the timestamps (10 Hz).
     * alpha = 1 / (1 + tau / te), tau = 1 / (2 pi), te = 0.1 -> 0.3858695450950375 */
    filter_one_euro_init(&f, 30.0, 1.0, 0.0, 1.0);
    assert_float_equal(filter_one_euro_apply(&f, 1 * S, 1.0, 10.0), 10.0, 0);
    assert_float_equal(filter_one_euro_apply(&f, 1 * S + S / 10, 1.0, 12.0), 10.771739090190074, 1e-9);
    assert_float_equal(f.frequency, 10.0, 1e-9);

    /* beta 0.1: the derivative filter saw 0 on the first sample, so its output is
     * alpha_d * (12 - 10) * 10 Hz = 7.717391; cutoff = 1 + 0.1 * 7.717391 */
    filter_one_euro_init(&f, 30.0, 1.0, 0.1, 1.0);
    filter_one_euro_apply(&f, 1 * S, 1.0, 10.0);
    assert_float_equal(filter_one_euro_apply(&f, 1 * S + S / 10, 1.0, 12.0), 11.053575439079994, 1e-9);
    /* third sample: derivative 10 low-passed with the previous 20 */
    assert_float_equal(filter_one_euro_apply(&f, 1 * S + 2 * S / 10, 1.0, 13.0), 12.102433761961905, 1e-9);
}

static void filter__one_euro_value_scale_scales_the_derivative(void **state)
{
    (void)state;
    struct filter_one_euro a, b;
    filter_one_euro_init(&a, 30.0, 1.0, 0.1, 1.0);
    filter_one_euro_init(&b, 30.0, 1.0, 0.1, 1.0);
    filter_one_euro_apply(&a, S, 0.5, 20.0);
    filter_one_euro_apply(&b, S, 1.0, 10.0);
    double va = filter_one_euro_apply(&a, S + S / 10, 0.5, 24.0);
    double vb = filter_one_euro_apply(&b, S + S / 10, 1.0, 12.0);
    assert_float_equal(va, 2 * vb, 1e-9);
}

static void filter__one_euro_returns_raw_value_for_non_increasing_time(void **state)
{
    (void)state;
    struct filter_one_euro f;
    filter_one_euro_init(&f, 30.0, 0.05, 80.0, 1.0);
    /* t = 0 on a fresh filter is not after the initial last time 0: raw and not recorded */
    assert_float_equal(filter_one_euro_apply(&f, 0, 1.0, 5.0), 5.0, 0);
    assert_int_equal(f.x.initialized, 0);
    assert_float_equal(filter_one_euro_apply(&f, 2 * S, 1.0, 7.0), 7.0, 0);
    assert_float_equal(f.frequency, 30.0, 0); /* first recorded sample keeps 30 Hz */
    assert_float_equal(filter_one_euro_apply(&f, 2 * S, 1.0, 100.0), 100.0, 0);
    assert_float_equal(filter_one_euro_apply(&f, 1 * S, 1.0, -3.0), -3.0, 0);
    double v = filter_one_euro_apply(&f, 3 * S, 1.0, 8.0);
    assert_true(v > 7.0 && v < 8.0);
}

static void filter__landmarks_scale_by_object_size_and_reset(void **state)
{
    (void)state;
    struct filter_one_euro_params p = {30.0, 1.0, 0.1, 1.0, 1e-6f, 0};
    struct filter_landmarks f;
    filter_landmarks_init(&f, &p);
    float pts[2][3] = {{10, 20, 30}, {1, 2, 3}};
    filter_landmarks_apply(&f, 1000000, 2.0f, pts, 2);
    assert_float_equal(pts[0][0], 10.0f, 0);
    float next[2][3] = {{12, 20, 30}, {1, 2, 3}};
    filter_landmarks_apply(&f, 1100000, 2.0f, next, 2);
    /* value scale 1/2 turns the derivative 20 into 10: same as the beta test at half speed */
    struct filter_one_euro ref;
    filter_one_euro_init(&ref, 30.0, 1.0, 0.1, 1.0);
    filter_one_euro_apply(&ref, S, 0.5, 10.0);
    assert_float_equal(next[0][0], (float)filter_one_euro_apply(&ref, S + S / 10, 0.5, 12.0), 1e-5);
    assert_float_equal(next[0][1], 20.0f, 1e-5);
    /* tiny object: values pass unchanged */
    float tiny[2][3] = {{50, 50, 50}, {1, 2, 3}};
    filter_landmarks_apply(&f, 1200000, 0.0f, tiny, 2);
    assert_float_equal(tiny[0][0], 50.0f, 0);
    /* reset: the next sample passes raw */
    filter_landmarks_reset(&f);
    float after[2][3] = {{70, 70, 70}, {1, 2, 3}};
    filter_landmarks_apply(&f, 1300000, 2.0f, after, 2);
    assert_float_equal(after[0][0], 70.0f, 0);
}

static void filter__world_params_disable_value_scaling(void **state)
{
    (void)state;
    struct filter_one_euro_params p = filter_params_pose_world();
    assert_int_equal(p.disable_value_scaling, 1);
    assert_float_equal(p.min_cutoff, 0.1, 1e-7);
    assert_float_equal(p.beta, 40.0, 0);
    struct filter_landmarks f;
    filter_landmarks_init(&f, &p);
    float a[1][3] = {{0.5f, 0.5f, 0.5f}};
    filter_landmarks_apply(&f, 1000, 0.0f, a, 1); /* object scale ignored */
    float b[1][3] = {{0.6f, 0.5f, 0.5f}};
    filter_landmarks_apply(&f, 34333, 0.0f, b, 1);
    assert_true(b[0][0] > 0.5f && b[0][0] < 0.6f);
    struct filter_one_euro_params img = filter_params_pose_image();
    assert_float_equal(img.min_cutoff, 0.05, 1e-7);
    assert_float_equal(img.beta, 80.0, 0);
    struct filter_one_euro_params aux = filter_params_pose_aux();
    assert_float_equal(aux.min_cutoff, 0.01, 1e-7);
    assert_float_equal(aux.beta, 10.0, 0);
}

static void filter__visibility_lowpass_alpha_point_one(void **state)
{
    (void)state;
    struct filter_visibility f;
    filter_visibility_init(&f, FILTER_POSE_VISIBILITY_ALPHA);
    float v[2] = {1.0f, 0.0f};
    filter_visibility_apply(&f, v, 2);
    assert_float_equal(v[0], 1.0f, 0);
    float w[2] = {0.0f, 1.0f};
    filter_visibility_apply(&f, w, 2);
    assert_float_equal(w[0], 0.9f, 1e-6);
    assert_float_equal(w[1], 0.1f, 1e-6);
    filter_visibility_reset(&f);
    float x[2] = {0.3f, 0.3f};
    filter_visibility_apply(&f, x, 2);
    assert_float_equal(x[0], 0.3f, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(filter__lowpass_first_value_passes_then_blends),
        cmocka_unit_test(filter__one_euro_matches_hand_computed_values),
        cmocka_unit_test(filter__one_euro_value_scale_scales_the_derivative),
        cmocka_unit_test(filter__one_euro_returns_raw_value_for_non_increasing_time),
        cmocka_unit_test(filter__landmarks_scale_by_object_size_and_reset),
        cmocka_unit_test(filter__world_params_disable_value_scaling),
        cmocka_unit_test(filter__visibility_lowpass_alpha_point_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
