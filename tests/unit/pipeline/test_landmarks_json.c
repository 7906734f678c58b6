/* test_landmarks_json.c - the compact landmark track writer: shape, rounding, null frames,
 * non-finite values, decimation past the frame cap, and the size per frame. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/landmarks_json.h"

static void fill(struct rr_pose_frame *f, int64_t t_us, int has_pose, float base)
{
    memset(f, 0, sizeof *f);
    f->t_us = t_us;
    f->has_pose = has_pose;
    for (int k = 0; k < RR_NUM_LANDMARKS; k++) {
        f->image[k].x = base + 0.01f * (float)k;
        f->image[k].y = 1.0f - base - 0.01f * (float)k;
        f->image[k].visibility = 0.5f;
    }
}

static json_t *parse(char *text)
{
    assert_non_null(text);
    json_error_t e;
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &e);
    assert_non_null(j);
    free(text);
    return j;
}

static void landmarks__shape_values_and_nulls(void **state)
{
    (void)state;
    struct rr_pose_frame f[3];
    fill(&f[0], 0, 1, 0.1234567f);
    fill(&f[1], 33366, 0, 0.2f);
    fill(&f[2], 66733, 1, 0.3f);
    f[2].image[5].x = NAN;
    f[2].image[6].y = INFINITY;
    f[2].image[7].x = -0.00001f; /* rounds to -0 -> "0" */
    json_t *j = parse(landmarks_json_dumps(f, 3, 29.97, 1280, 720));
    assert_string_equal(json_string_value(json_object_get(j, "schema")), LANDMARKS_JSON_SCHEMA);
    assert_true(fabs(json_number_value(json_object_get(j, "fps")) - 29.97) < 1e-9);
    assert_int_equal(json_integer_value(json_object_get(j, "width")), 1280);
    assert_int_equal(json_integer_value(json_object_get(j, "height")), 720);
    assert_int_equal(json_integer_value(json_object_get(j, "stride")), 1);
    json_t *frames = json_object_get(j, "frames");
    assert_int_equal(json_array_size(frames), 3);
    assert_int_equal(json_integer_value(json_array_get(json_array_get(frames, 1), 0)), 33);
    assert_true(json_is_null(json_array_get(json_array_get(frames, 1), 1)));
    json_t *lm0 = json_array_get(json_array_get(frames, 0), 1);
    assert_int_equal(json_array_size(lm0), 99);
    assert_true(fabs(json_number_value(json_array_get(lm0, 0)) - 0.123) < 1e-12); /* 3 dp */
    assert_true(fabs(json_number_value(json_array_get(lm0, 1)) - 0.877) < 1e-12);
    assert_true(fabs(json_number_value(json_array_get(lm0, 2)) - 0.5) < 1e-12);
    assert_true(fabs(json_number_value(json_array_get(lm0, 3 * 32)) - 0.443) < 1e-12);
    json_t *lm2 = json_array_get(json_array_get(frames, 2), 1);
    assert_int_equal(json_integer_value(json_array_get(json_array_get(frames, 2), 0)), 66);
    assert_true(json_number_value(json_array_get(lm2, 15)) == 0.0);      /* NaN -> 0 */
    assert_true(json_number_value(json_array_get(lm2, 3 * 6 + 1)) == 0.0); /* inf -> 0 */
    assert_true(json_is_integer(json_array_get(lm2, 21)));                /* "0", not "-0" */
    json_decref(j);
}

static void landmarks__empty_and_bad_arguments(void **state)
{
    (void)state;
    char *s = landmarks_json_dumps(NULL, 0, 0, 0, 0);
    assert_string_equal(s, "{\"schema\":\"repright.landmarks/1\",\"fps\":0,\"width\":0,"
                           "\"height\":0,\"stride\":1,\"frames\":[]}");
    free(s);
    assert_null(landmarks_json_dumps(NULL, 3, 30, 1, 1));
    s = landmarks_json_dumps(NULL, 0, -5, -1, -2); /* negative sizes clamp to 0 */
    json_t *j = parse(s);
    assert_int_equal(json_integer_value(json_object_get(j, "width")), 0);
    assert_true(json_number_value(json_object_get(j, "fps")) == 0.0);
    json_decref(j);
}

static void landmarks__long_tracks_are_decimated_and_compact(void **state)
{
    (void)state;
    size_t n = LANDMARKS_JSON_MAX_FRAMES * 2 + 5;
    struct rr_pose_frame *f = calloc(n, sizeof *f);
    assert_non_null(f);
    for (size_t i = 0; i < n; i++)
        fill(&f[i], (int64_t)i * 33333, (int)(i % 2 == 0), 0.25f);
    char *text = landmarks_json_dumps(f, n, 30, 640, 480);
    assert_non_null(text);
    size_t len = strlen(text);
    json_t *j = parse(text);
    assert_int_equal(json_integer_value(json_object_get(j, "stride")), 3);
    json_t *frames = json_object_get(j, "frames");
    assert_true(json_array_size(frames) <= LANDMARKS_JSON_MAX_FRAMES);
    assert_int_equal(json_array_size(frames), (n + 2) / 3);
    assert_int_equal(json_integer_value(json_array_get(json_array_get(frames, 1), 0)), 99);
    assert_true(len < (size_t)LANDMARKS_JSON_MAX_FRAMES * 600); /* < 600 bytes a frame */
    json_decref(j);
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(landmarks__shape_values_and_nulls),
        cmocka_unit_test(landmarks__empty_and_bad_arguments),
        cmocka_unit_test(landmarks__long_tracks_are_decimated_and_compact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
