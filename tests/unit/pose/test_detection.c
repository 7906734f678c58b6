/* test_detection.c - detector decoding, weighted NMS and letterbox removal on crafted data. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "pose/detection.h"

static struct detection box(float score, float x0, float y0, float x1, float y1, float kp)
{
    struct detection d;
    memset(&d, 0, sizeof d);
    d.score = score;
    d.xmin = x0, d.ymin = y0, d.xmax = x1, d.ymax = y1;
    for (int k = 0; k < 4; k++)
        d.kp[k][0] = kp + (float)k, d.kp[k][1] = kp - (float)k;
    return d;
}

static void detection__decodes_xywh_relative_to_anchor(void **state)
{
    (void)state;
    struct anchor a[2] = {{0.5f, 0.5f, 1.0f, 1.0f}, {0.25f, 0.75f, 1.0f, 1.0f}};
    float boxes[24] = {22.4f, -11.2f, 44.8f, 22.4f, 11.2f, 0, 0, 11.2f, -22.4f, 0, 0, 0,
                       0,     0,      10,    10,    0,     0, 0, 0,     0,      0, 0, 0};
    float scores[2] = {1000.0f, -3.0f}; /* clipped to 100 -> 1.0; second below 0.5 */
    struct detection d[2];
    struct detection_decode_opts o = detection_decode_opts_pose(0.5f);
    int n = detection_decode(boxes, scores, a, 2, &o, d, 2);
    assert_int_equal(n, 1);
    assert_float_equal(d[0].score, 1.0f, 1e-7);
    assert_float_equal(d[0].xmin, 0.6f - 0.1f, 1e-6);
    assert_float_equal(d[0].xmax, 0.6f + 0.1f, 1e-6);
    assert_float_equal(d[0].ymin, 0.45f - 0.05f, 1e-6);
    assert_float_equal(d[0].ymax, 0.45f + 0.05f, 1e-6);
    assert_float_equal(d[0].kp[0][0], 0.55f, 1e-6);
    assert_float_equal(d[0].kp[0][1], 0.5f, 1e-6);
    assert_float_equal(d[0].kp[1][1], 0.55f, 1e-6);
    assert_float_equal(d[0].kp[2][0], 0.4f, 1e-6);
    assert_float_equal(d[0].kp[3][0], 0.5f, 1e-6);
}

static void detection__keeps_score_at_threshold_and_drops_negative_sizes(void **state)
{
    (void)state;
    struct anchor a[3] = {{0.5f, 0.5f, 1, 1}, {0.5f, 0.5f, 1, 1}, {0.5f, 0.5f, 1, 1}};
    float boxes[36] = {0};
    boxes[12 + 2] = -5.0f; /* negative width */
    boxes[24 + 3] = 5.0f;
    float scores[3] = {0.0f, 5.0f, -0.01f}; /* sigmoid(0) = 0.5 is kept (drop is strict <) */
    struct detection d[3];
    struct detection_decode_opts o = detection_decode_opts_pose(0.5f);
    assert_int_equal(detection_decode(boxes, scores, a, 3, &o, d, 3), 1);
    assert_float_equal(d[0].score, 0.5f, 1e-7);
    assert_int_equal(detection_decode(boxes, scores, a, 3, &o, d, 0), 0);
    scores[0] = NAN;
    assert_int_equal(detection_decode(boxes, scores, a, 3, &o, d, 3), 0);
}

static void detection__iou_of_known_boxes(void **state)
{
    (void)state;
    struct detection a = box(1, 0, 0, 1, 1, 0), b = box(1, 0.5f, 0, 1.5f, 1, 0);
    struct detection c = box(1, 2, 2, 3, 3, 0);
    assert_float_equal(detection_iou(&a, &b), 0.5f / 1.5f, 1e-6);
    assert_float_equal(detection_iou(&a, &c), 0.0f, 0);
    assert_float_equal(detection_iou(&a, &a), 1.0f, 1e-6);
}

static void detection__weighted_nms_averages_overlapping_boxes(void **state)
{
    (void)state;
    struct detection in[4] = {
        box(0.6f, 0.1f, 0.1f, 1.1f, 1.1f, 2.0f), /* IoU with A = 0.81 / 1.19 */
        box(0.8f, 2, 2, 3, 3, 7.0f),             /* separate */
        box(0.9f, 0, 0, 1, 1, 1.0f),             /* A: best */
        box(0.7f, 0.0f, 0.7f, 1.0f, 1.7f, 5.0f), /* IoU with A = 0.3/1.7 < 0.3: kept apart */
    };
    int order[4];
    struct detection out[4];
    int n = detection_nms_weighted(in, 4, 0.3f, order, out, 4);
    assert_int_equal(n, 3);
    /* first: A weighted with the first box (scores 0.9, 0.6); the score stays A's. */
    assert_float_equal(out[0].score, 0.9f, 1e-7);
    assert_float_equal(out[0].xmin, (0.0f * 0.9f + 0.1f * 0.6f) / 1.5f, 1e-6);
    assert_float_equal(out[0].ymax, (1.0f * 0.9f + 1.1f * 0.6f) / 1.5f, 1e-6);
    assert_float_equal(out[0].kp[0][0], (1.0f * 0.9f + 2.0f * 0.6f) / 1.5f, 1e-6);
    assert_float_equal(out[0].kp[3][1], ((1.0f - 3) * 0.9f + (2.0f - 3) * 0.6f) / 1.5f, 1e-6);
    /* then the separate box, unchanged, then the low-overlap one */
    assert_float_equal(out[1].score, 0.8f, 1e-7);
    assert_float_equal(out[1].xmin, 2.0f, 1e-7);
    assert_float_equal(out[1].kp[0][0], 7.0f, 1e-7);
    assert_float_equal(out[2].score, 0.7f, 1e-7);
    assert_float_equal(out[2].ymin, 0.7f, 1e-7);
}

static void detection__weighted_nms_threshold_is_strict_and_max_limits(void **state)
{
    (void)state;
    /* IoU just above and just below 0.3 */
    struct detection a = box(0.9f, 0, 0, 1, 1, 0);
    struct detection above[2] = {a, box(0.8f, 0.0f, 0.53f, 1.0f, 1.53f, 0)}; /* .47/1.53=.307 */
    struct detection below[2] = {a, box(0.8f, 0.0f, 0.55f, 1.0f, 1.55f, 0)}; /* .45/1.55=.290 */
    int order[2];
    struct detection out[2];
    assert_int_equal(detection_nms_weighted(above, 2, 0.3f, order, out, 2), 1);
    assert_int_equal(detection_nms_weighted(below, 2, 0.3f, order, out, 2), 2);
    assert_int_equal(detection_nms_weighted(below, 2, 0.3f, order, out, 1), 1);
    assert_float_equal(out[0].score, 0.9f, 1e-7);
    assert_int_equal(detection_nms_weighted(below, 0, 0.3f, order, out, 2), 0);
}

static void detection__letterbox_of_landscape_image_pads_top_and_bottom(void **state)
{
    (void)state;
    float w = 1280, h = 720;
    struct letterbox p = letterbox_pad(224, 224, &w, &h);
    assert_float_equal(p.top, 0.21875f, 1e-6);
    assert_float_equal(p.bottom, 0.21875f, 1e-6);
    assert_float_equal(p.left, 0.0f, 0);
    assert_float_equal(h, 1280.0f, 1e-3);
    float w2 = 720, h2 = 1280;
    struct letterbox q = letterbox_pad(224, 224, &w2, &h2);
    assert_float_equal(q.left, 0.21875f, 1e-6);
    assert_float_equal(w2, 1280.0f, 1e-3);

    struct detection d = box(1, 0.25f, 0.21875f, 0.75f, 0.5f, 0.5f);
    detection_remove_letterbox(&d, 4, &p);
    assert_float_equal(d.xmin, 0.25f, 1e-6);
    assert_float_equal(d.ymin, 0.0f, 1e-6);
    assert_float_equal(d.ymax, (0.5f - 0.21875f) / 0.5625f, 1e-6);
    assert_float_equal(d.kp[0][1], (0.5f - 0.21875f) / 0.5625f, 1e-6);
    assert_float_equal(d.kp[1][0], 1.5f, 1e-6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(detection__decodes_xywh_relative_to_anchor),
        cmocka_unit_test(detection__keeps_score_at_threshold_and_drops_negative_sizes),
        cmocka_unit_test(detection__iou_of_known_boxes),
        cmocka_unit_test(detection__weighted_nms_averages_overlapping_boxes),
        cmocka_unit_test(detection__weighted_nms_threshold_is_strict_and_max_limits),
        cmocka_unit_test(detection__letterbox_of_landscape_image_pads_top_and_bottom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
