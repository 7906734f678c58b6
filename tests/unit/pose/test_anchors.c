/* test_anchors.c - SSD anchor generation against MediaPipe's layout for the pose detector. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "base/rr_error.h"
#include "pose/anchors.h"

#include <math.h>

static struct anchor buf[ANCHORS_POSE_COUNT + 16];

static void anchors__pose_detector_has_2254(void **state)
{
    (void)state;
    struct anchors_opts o = anchors_opts_pose();
    assert_int_equal(anchors_count(&o), 2254);
    assert_int_equal(anchors_generate(&o, buf, ANCHORS_POSE_COUNT + 16), 2254);
}

static void anchors__pose_detector_order_and_centres(void **state)
{
    (void)state;
    struct anchors_opts o = anchors_opts_pose();
    assert_int_equal(anchors_generate(&o, buf, ANCHORS_POSE_COUNT), 2254);
    /* stride 8: 28x28 cells, 2 anchors each, row-major. */
    assert_float_equal(buf[0].cx, 0.5f / 28, 1e-7);
    assert_float_equal(buf[0].cy, 0.5f / 28, 1e-7);
    assert_float_equal(buf[1].cx, 0.5f / 28, 1e-7);
    assert_float_equal(buf[2].cx, 1.5f / 28, 1e-7);
    assert_float_equal(buf[2].cy, 0.5f / 28, 1e-7);
    assert_float_equal(buf[56].cx, 0.5f / 28, 1e-7); /* second row */
    assert_float_equal(buf[56].cy, 1.5f / 28, 1e-7);
    assert_float_equal(buf[1567].cx, 27.5f / 28, 1e-7);
    assert_float_equal(buf[1567].cy, 27.5f / 28, 1e-7);
    /* stride 16: 14x14 cells, 2 anchors each. */
    assert_float_equal(buf[1568].cx, 0.5f / 14, 1e-7);
    assert_float_equal(buf[1568].cy, 0.5f / 14, 1e-7);
    assert_float_equal(buf[1959].cx, 13.5f / 14, 1e-7);
    /* three stride-32 layers merged: 7x7 cells, 6 anchors each. */
    for (int i = 1960; i < 1966; i++) {
        assert_float_equal(buf[i].cx, 0.5f / 7, 1e-7);
        assert_float_equal(buf[i].cy, 0.5f / 7, 1e-7);
    }
    assert_float_equal(buf[1966].cx, 1.5f / 7, 1e-7);
    assert_float_equal(buf[2253].cx, 6.5f / 7, 1e-7);
    assert_float_equal(buf[2253].cy, 6.5f / 7, 1e-7);
    for (int i = 0; i < 2254; i++) {
        assert_true(buf[i].w == 1.0f && buf[i].h == 1.0f);
    }
}

static void anchors__sizes_follow_scales_without_fixed_size(void **state)
{
    (void)state;
    struct anchors_opts o = anchors_opts_pose();
    o.fixed_anchor_size = 0;
    assert_int_equal(anchors_generate(&o, buf, ANCHORS_POSE_COUNT), 2254);
    /* layer 0: scale 0.1484375 (aspect 1), then sqrt(scale0 * scale1) for the interpolated one. */
    float s0 = 0.1484375f, s1 = 0.1484375f + (0.75f - 0.1484375f) / 4.0f;
    assert_float_equal(buf[0].w, s0, 1e-6);
    assert_float_equal(buf[0].h, s0, 1e-6);
    assert_float_equal(buf[1].w, sqrtf(s0 * s1), 1e-6);
    /* last layer's interpolated anchor uses next scale 1.0 */
    assert_float_equal(buf[2253].w, sqrtf(0.75f * 1.0f), 1e-6);
}

static void anchors__reduced_lowest_layer_has_three_boxes(void **state)
{
    (void)state;
    struct anchors_opts o = anchors_opts_pose();
    o.reduce_boxes_in_lowest_layer = 1;
    /* 28*28*3 + 14*14*2 + 7*7*6 */
    assert_int_equal(anchors_count(&o), 2352 + 392 + 294);
}

static void anchors__rejects_bad_options_and_small_buffers(void **state)
{
    (void)state;
    struct anchors_opts o = anchors_opts_pose();
    assert_int_equal(anchors_generate(&o, buf, 100), RR_ERR_TOOBIG);
    o.num_layers = 0;
    assert_int_equal(anchors_count(&o), RR_ERR_INVAL);
    o = anchors_opts_pose();
    o.strides[2] = 0;
    assert_int_equal(anchors_generate(&o, buf, ANCHORS_POSE_COUNT), RR_ERR_INVAL);
    assert_int_equal(anchors_count(NULL), RR_ERR_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(anchors__pose_detector_has_2254),
        cmocka_unit_test(anchors__pose_detector_order_and_centres),
        cmocka_unit_test(anchors__sizes_follow_scales_without_fixed_size),
        cmocka_unit_test(anchors__reduced_lowest_layer_has_three_boxes),
        cmocka_unit_test(anchors__rejects_bad_options_and_small_buffers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
