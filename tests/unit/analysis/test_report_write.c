/* test_report_write.c - the dependency-free report writer (src/analysis/report_write.h): the
 * repright.report/2 fields and types (reals stay reals, NAN is null, strings are escaped), every
 * field of /1 still there, the v2 additions (confidences and reasons, partial reps, camera,
 * people, athlete), the plank hold block, an empty report, the caller's precision and the
 * writer's sticky size error (the writer itself: tests/unit/base/test_rr_json.c).
 * jansson parses the output here; tests/unit/pipeline/test_report_json.c covers the same text
 * through report_json.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "analysis/report_write.h"
#include "base/rr_error.h"

static json_t *parse(const char *s)
{
    json_error_t err;
    json_t *o = json_loads(s, 0, &err);
    if (!o)
        fail_msg("not JSON (%s): %s", err.text, s);
    return o;
}

static void report_write__writes_every_field_with_its_type(void **state)
{
    (void)state;
    struct analysis_rep rep = {.index = 1, .frame_start = 3, .frame_turn = 30, .frame_end = 60,
                               .t_start_us = 100000, .t_turn_us = 1000000, .t_end_us = 2000000,
                               .rom = 90.0f, .rom_unit = "deg", .depth = NAN, .depth_name = "d",
                               .concentric_s = 1.0f, .eccentric_s = NAN, .symmetry_deg = 2.5f,
                               .score = 64.0f, .verdict = ANALYSIS_BAD, .confidence = 0.875f,
                               .cannot_judge_reason = NULL, .n_checks = 2, .n_faults = 1};
    rep.checks[0] = (struct analysis_check){.name = "heels_rise", .cue = "say \"heels\\down\"\n",
                                            .unit = "shin", .value = 0.25f, .threshold = 0.1f,
                                            .above = 1, .severity = ANALYSIS_SEV_MODERATE,
                                            .outcome = ANALYSIS_FAULT, .confidence = 0.75f,
                                            .reason = NULL};
    rep.checks[1] = (struct analysis_check){.name = "knee_valgus", .cue = NULL, .unit = NULL,
                                            .value = NAN, .threshold = 0.8f, .above = 0,
                                            .severity = ANALYSIS_SEV_MAJOR,
                                            .outcome = ANALYSIS_NOT_JUDGED,
                                            .confidence = NAN, .reason = "hidden"};
    struct analysis_rep unjudged = rep;
    unjudged.index = 2;
    unjudged.verdict = ANALYSIS_CANNOT_JUDGE;
    unjudged.score = NAN;
    unjudged.confidence = NAN;
    unjudged.cannot_judge_reason = "landmarks_hidden";
    unjudged.n_checks = 0;
    unjudged.n_faults = 0;
    struct analysis_rep two[2] = {rep, unjudged};
    struct analysis_partial part = {.frame_start = 61, .frame_turn = 70, .t_start_us = 2100000,
                                    .t_turn_us = 2400000, .reached = 0.375f};
    struct analysis_report r = {.exercise = "squat", .exercise_given = 0, .confidence = 1.0f,
                                .n_candidates = 1, .view = ANALYSIS_VIEW_SIDE, .n_frames = 61,
                                .n_frames_used = 60, .duration_s = 2.0f, .n_reps = 2, .reps = two,
                                .n_partials = 1, .partials = &part, .camera_roll_deg = -4.5f,
                                .people = 2, .athlete = 1};
    r.candidates[0] = (struct analysis_candidate){"squat", 1.0f};
    r.set = (struct analysis_set){.reps = 2, .partial_reps = 1, .bad = 1, .cannot_judge = 1,
                                  .mean_score = 64.0f,
                                  .top_fault = "heels_rise", .top_fault_reps = 1,
                                  .time_under_tension_s = 1.9f};
    char *s = analysis_report_json(&r);
    assert_non_null(s);
    assert_non_null(strstr(s, "\"confidence\":1.0,")); /* a real stays a real */
    assert_non_null(strstr(s, "\"index\":1,"));        /* an integer stays an integer */
    json_t *o = parse(s);
    free(s);
    assert_string_equal(json_string_value(json_object_get(o, "schema")), ANALYSIS_REPORT_SCHEMA);
    assert_true(json_is_real(json_object_get(o, "confidence")));
    assert_true(json_is_false(json_object_get(o, "is_hold")));
    assert_string_equal(ANALYSIS_REPORT_SCHEMA, "repright.report/2");
    assert_true(json_is_null(json_object_get(o, "hold")));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "frames"), "used")), 60);
    /* v1 fields keep their place and meaning: the view stays at the top level too */
    assert_string_equal(json_string_value(json_object_get(o, "view")), "side");
    json_t *cam = json_object_get(o, "camera");
    assert_string_equal(json_string_value(json_object_get(cam, "view")), "side");
    assert_true(json_is_real(json_object_get(cam, "roll_deg")));
    assert_float_equal(json_real_value(json_object_get(cam, "roll_deg")), -4.5, 0.0);
    assert_true(json_is_integer(json_object_get(o, "people")));
    assert_int_equal(json_integer_value(json_object_get(o, "people")), 2);
    assert_int_equal(json_integer_value(json_object_get(o, "athlete")), 1);
    json_t *set = json_object_get(o, "set");
    assert_int_equal(json_integer_value(json_object_get(set, "reps")), 2);
    assert_int_equal(json_integer_value(json_object_get(set, "partial_reps")), 1);
    assert_int_equal(json_integer_value(json_object_get(set, "cannot_judge")), 1);
    json_t *parts = json_object_get(o, "partial_reps");
    assert_int_equal(json_array_size(parts), 1);
    json_t *pa = json_array_get(parts, 0);
    assert_float_equal(json_real_value(json_object_get(pa, "t_start_s")), 2.1, 1e-12);
    assert_float_equal(json_real_value(json_object_get(pa, "t_turn_s")), 2.4, 1e-12);
    assert_int_equal(json_integer_value(json_object_get(pa, "frame_start")), 61);
    assert_int_equal(json_integer_value(json_object_get(pa, "frame_turn")), 70);
    assert_float_equal(json_real_value(json_object_get(pa, "reached")), 0.375, 0.0);
    json_t *u = json_array_get(json_object_get(o, "reps"), 1);
    assert_string_equal(json_string_value(json_object_get(u, "verdict")), "cannot_judge");
    assert_true(json_is_null(json_object_get(u, "score"))); /* no score for cannot_judge */
    assert_true(json_is_null(json_object_get(u, "confidence")));
    assert_string_equal(json_string_value(json_object_get(u, "cannot_judge_reason")),
                        "landmarks_hidden");
    assert_int_equal(json_array_size(json_object_get(u, "checks")), 0);
    json_t *p = json_array_get(json_object_get(o, "reps"), 0);
    assert_int_equal(json_integer_value(json_object_get(p, "frame_end")), 60);
    assert_float_equal(json_real_value(json_object_get(p, "t_start_s")), 0.1, 1e-12);
    assert_float_equal(json_real_value(json_object_get(p, "symmetry_deg")), 2.5, 0.0);
    assert_true(json_is_null(json_object_get(json_object_get(p, "depth"), "value")));
    assert_true(json_is_null(json_object_get(json_object_get(p, "tempo"), "eccentric_s")));
    assert_string_equal(json_string_value(json_object_get(p, "verdict")), "bad");
    assert_float_equal(json_real_value(json_object_get(p, "confidence")), 0.875, 0.0);
    assert_true(json_is_null(json_object_get(p, "cannot_judge_reason")));
    assert_true(json_real_value(json_object_get(p, "score")) < 70.0);
    json_t *faults = json_object_get(p, "faults");
    assert_int_equal(json_array_size(faults), 1);
    assert_string_equal(json_string_value(json_array_get(faults, 0)), "heels_rise");
    json_t *c0 = json_array_get(json_object_get(p, "checks"), 0);
    assert_string_equal(json_string_value(json_object_get(c0, "cue")), "say \"heels\\down\"\n");
    assert_float_equal(json_real_value(json_object_get(c0, "value")), (double)0.25f, 0.0);
    assert_string_equal(json_string_value(json_object_get(c0, "fault_when")), "above");
    assert_float_equal(json_real_value(json_object_get(c0, "confidence")), 0.75, 0.0);
    assert_true(json_is_null(json_object_get(c0, "reason")));
    json_t *c1 = json_array_get(json_object_get(p, "checks"), 1);
    assert_true(json_is_null(json_object_get(c1, "cue")));
    assert_true(json_is_null(json_object_get(c1, "value")));
    assert_string_equal(json_string_value(json_object_get(c1, "fault_when")), "below");
    assert_string_equal(json_string_value(json_object_get(c1, "outcome")), "not_judged");
    assert_true(json_is_null(json_object_get(c1, "confidence")));
    assert_string_equal(json_string_value(json_object_get(c1, "reason")), "hidden");
    /* A float value is written so that it parses back to exactly the same number. */
    assert_true((float)json_real_value(json_object_get(json_object_get(o, "set"),
                                                       "time_under_tension_s")) == 1.9f);
    json_decref(o);
}

static void report_write__writes_a_hold_and_an_empty_report(void **state)
{
    (void)state;
    struct analysis_hold_window w[3] = {{0, 1000000, 100.0f, ANALYSIS_GOOD, NULL},
                                        {1000000, 2000000, 55.0f, ANALYSIS_BAD, "hip_sag"},
                                        {2000000, 3000000, NAN, ANALYSIS_CANNOT_JUDGE, NULL}};
    struct analysis_report r = {.exercise = "plank", .exercise_given = 1, .confidence = 1.0f,
                                .is_hold = 1};
    r.set.mean_score = NAN;
    r.hold = (struct analysis_hold){.hold_s = 2.0f, .good_form_s = 1.0f, .mean_score = 100.0f,
                                    .n_windows = 3, .windows = w};
    char *s = analysis_report_json(&r);
    json_t *o = parse(s);
    free(s);
    assert_string_equal(json_string_value(json_object_get(o, "exercise_source")), "given");
    json_t *h = json_object_get(o, "hold");
    assert_float_equal(json_real_value(json_object_get(h, "hold_s")), 2.0, 0.0);
    assert_int_equal(json_array_size(json_object_get(h, "checks")), 0);
    json_t *w1 = json_array_get(json_object_get(h, "windows"), 1);
    assert_string_equal(json_string_value(json_object_get(w1, "fault")), "hip_sag");
    assert_float_equal(json_real_value(json_object_get(w1, "score")), 55.0, 0.0);
    json_t *w2 = json_array_get(json_object_get(h, "windows"), 2);
    assert_true(json_is_null(json_object_get(w2, "score"))); /* cannot judge: no score */
    assert_string_equal(json_string_value(json_object_get(w2, "verdict")), "cannot_judge");
    assert_true(json_is_null(json_object_get(json_array_get(json_object_get(h, "windows"), 0), "fault")));
    json_decref(o);

    struct analysis_report empty;
    memset(&empty, 0, sizeof empty);
    empty.set.mean_score = NAN;
    empty.athlete = -1;
    s = analysis_report_json(&empty);
    o = parse(s);
    free(s);
    assert_true(json_is_null(json_object_get(o, "exercise")));
    assert_int_equal(json_array_size(json_object_get(o, "reps")), 0);
    assert_int_equal(json_array_size(json_object_get(o, "partial_reps")), 0);
    assert_int_equal(json_integer_value(json_object_get(o, "people")), 0);
    assert_true(json_is_null(json_object_get(o, "athlete"))); /* nobody is the athlete */
    assert_string_equal(json_string_value(json_object_get(json_object_get(o, "camera"), "view")),
                        "unknown");
    assert_int_equal(json_array_size(json_object_get(o, "candidates")), 0);
    json_decref(o);
    assert_null(analysis_report_json(NULL));
}

static void report_write__follows_the_writer_precision_and_cap(void **state)
{
    (void)state;
    struct analysis_report r;
    memset(&r, 0, sizeof r);
    r.set.mean_score = NAN;
    r.athlete = -1;
    r.confidence = 0.123456789f;
    r.duration_s = 1e-5f;
    /* the report's own text: 17 digits, so the float reads back exactly */
    char *s = analysis_report_json(&r);
    json_t *o = parse(s);
    assert_true(json_real_value(json_object_get(o, "confidence")) == (double)r.confidence);
    assert_non_null(strstr(s, "\"duration_s\":9.9999997473787516e-6")); /* jansson's exponent */
    json_decref(o);
    free(s);

    /* a caller's writer: its precision, and the report as one value among others */
    struct rr_json j;
    rr_json_init(&j, NULL, 0, 1 << 20);
    rr_json_set_precision(&j, 6);
    rr_json_array_begin(&j);
    analysis_write_report(&j, &r);
    rr_json_int(&j, 7);
    rr_json_array_end(&j);
    s = rr_json_detach(&j, NULL);
    assert_non_null(s);
    assert_non_null(strstr(s, "\"confidence\":0.123457,"));
    assert_non_null(strstr(s, "\"mean_score\":null,"));
    assert_int_equal(s[strlen(s) - 2], '7');
    free(s);

    /* a report larger than the writer's cap: TOOBIG, nothing handed out */
    rr_json_init(&j, NULL, 0, 100);
    analysis_write_report(&j, &r);
    assert_int_equal(rr_json_error(&j), RR_ERR_TOOBIG);
    assert_true(rr_json_len(&j) <= 100);
    assert_null(rr_json_detach(&j, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(report_write__writes_every_field_with_its_type),
        cmocka_unit_test(report_write__writes_a_hold_and_an_empty_report),
        cmocka_unit_test(report_write__follows_the_writer_precision_and_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
