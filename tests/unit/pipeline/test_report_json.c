/* test_report_json.c - the repright.report/2 serialiser: fields and types, NAN as null, faults
 * listed per rep, the v2 confidences and reasons, the plank hold block, the "source" block of
 * report_json_print(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rr_error.h"
#include "pipeline/analyze.h"
#include "pipeline/report_json.h"

/* The report as a jansson object, from report_json_dumps(). */
static json_t *report_json_build(const struct analysis_report *r)
{
    char *text = report_json_dumps(r);
    if (!text)
        return NULL;
    json_t *o = json_loads(text, 0, NULL);
    free(text);
    return o;
}

static struct analysis_report *make_report(void)
{
    struct analysis_report *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->exercise = "squat";
    r->confidence = 0.9f;
    r->n_candidates = 2;
    r->candidates[0] = (struct analysis_candidate){"squat", 0.9f};
    r->candidates[1] = (struct analysis_candidate){"lunge", 0.1f};
    r->view = ANALYSIS_VIEW_SIDE;
    r->n_frames = 100;
    r->n_frames_used = 98;
    r->duration_s = 3.3f;
    r->n_reps = 1;
    r->reps = calloc(1, sizeof *r->reps);
    assert_non_null(r->reps);
    struct analysis_rep *p = &r->reps[0];
    p->index = 1;
    p->frame_start = 10;
    p->frame_turn = 30;
    p->frame_end = 50;
    p->t_start_us = 333333;
    p->t_turn_us = 1000000;
    p->t_end_us = 1666666;
    p->rom = 95.0f;
    p->rom_unit = "deg";
    p->depth = 80.0f;
    p->depth_name = "min_knee_angle_deg";
    p->concentric_s = 0.66f;
    p->eccentric_s = NAN;
    p->symmetry_deg = NAN;
    p->score = 62.0f;
    p->verdict = ANALYSIS_BAD;
    p->confidence = 0.9f;
    p->n_checks = 2;
    p->checks[0] = (struct analysis_check){"heels_rise", "keep your heels down", "shin", 0.2f, 0.1f,
                                           1, ANALYSIS_SEV_MODERATE, ANALYSIS_FAULT, 0.9f, NULL};
    p->checks[1] = (struct analysis_check){"knees_past_toes", "sit back", "shin", NAN, 0.35f, 1,
                                           ANALYSIS_SEV_MINOR, ANALYSIS_NOT_JUDGED, NAN, "hidden"};
    p->n_faults = 1;
    r->people = 1;
    r->athlete = 0;
    r->set = (struct analysis_set){.reps = 1, .bad = 1, .mean_score = 62.0f,
                                   .top_fault = "heels_rise", .top_fault_reps = 1,
                                   .time_under_tension_s = 1.33f};
    return r;
}

static void report_json__writes_schema_reps_checks_and_nulls(void **state)
{
    (void)state;
    struct analysis_report *r = make_report();
    char *text = report_json_dumps(r);
    assert_non_null(text);
    json_error_t err;
    json_t *o = json_loads(text, 0, &err);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "schema")), "repright.report/2");
    assert_string_equal(REPORT_JSON_SCHEMA, "repright.report/2");
    assert_int_equal(json_integer_value(json_object_get(o, "athlete")), 0);
    assert_string_equal(json_string_value(json_object_get(o, "exercise")), "squat");
    assert_string_equal(json_string_value(json_object_get(o, "exercise_source")), "recognised");
    assert_string_equal(json_string_value(json_object_get(o, "view")), "side");
    assert_int_equal(json_array_size(json_object_get(o, "candidates")), 2);
    assert_true(json_is_null(json_object_get(o, "hold")));
    json_t *set = json_object_get(o, "set");
    assert_int_equal(json_integer_value(json_object_get(set, "reps")), 1);
    assert_string_equal(json_string_value(json_object_get(set, "top_fault")), "heels_rise");
    json_t *rep = json_array_get(json_object_get(o, "reps"), 0);
    assert_non_null(rep);
    assert_string_equal(json_string_value(json_object_get(rep, "verdict")), "bad");
    assert_float_equal(json_number_value(json_object_get(rep, "t_turn_s")), 1.0, 1e-6);
    assert_true(json_is_null(json_object_get(json_object_get(rep, "tempo"), "eccentric_s")));
    assert_true(json_is_null(json_object_get(rep, "symmetry_deg")));
    json_t *faults = json_object_get(rep, "faults");
    assert_int_equal(json_array_size(faults), 1);
    assert_string_equal(json_string_value(json_array_get(faults, 0)), "heels_rise");
    json_t *c1 = json_array_get(json_object_get(rep, "checks"), 1);
    assert_string_equal(json_string_value(json_object_get(c1, "outcome")), "not_judged");
    assert_true(json_is_null(json_object_get(c1, "value")));
    assert_string_equal(json_string_value(json_object_get(c1, "fault_when")), "above");
    assert_string_equal(json_string_value(json_object_get(c1, "severity")), "minor");
    assert_string_equal(json_string_value(json_object_get(c1, "reason")), "hidden");
    assert_true(json_is_null(json_object_get(c1, "confidence")));
    assert_float_equal(json_number_value(json_object_get(rep, "confidence")), 0.9, 1e-6);
    json_decref(o);
    free(text);
    analysis_report_free(r);
}

static void report_json__writes_a_plank_hold_and_no_exercise(void **state)
{
    (void)state;
    struct analysis_report *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->exercise = "plank";
    r->exercise_given = 1;
    r->is_hold = 1;
    r->hold.hold_s = 3.0f;
    r->hold.good_form_s = 2.0f;
    r->hold.mean_score = 62.0f;
    r->hold.n_windows = 1;
    r->hold.windows = calloc(1, sizeof *r->hold.windows);
    assert_non_null(r->hold.windows);
    r->hold.windows[0] = (struct analysis_hold_window){0, 1000000, 62.0f, ANALYSIS_BAD, "hip_sag"};
    r->set.mean_score = NAN;
    json_t *o = report_json_build(r);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "exercise_source")), "given");
    json_t *h = json_object_get(o, "hold");
    assert_float_equal(json_number_value(json_object_get(h, "hold_s")), 3.0, 1e-6);
    json_t *w = json_array_get(json_object_get(h, "windows"), 0);
    assert_string_equal(json_string_value(json_object_get(w, "fault")), "hip_sag");
    assert_true(json_is_null(json_object_get(json_object_get(o, "set"), "mean_score")));
    json_decref(o);
    analysis_report_free(r);

    struct analysis_report empty = {0};
    o = report_json_build(&empty);
    assert_non_null(o);
    assert_true(json_is_null(json_object_get(o, "exercise")));
    assert_int_equal(json_array_size(json_object_get(o, "reps")), 0);
    json_decref(o);
    assert_null(report_json_build(NULL));
}

static void report_json__print_adds_the_source_block(void **state)
{
    (void)state;
    struct pipeline_result res;
    memset(&res, 0, sizeof res);
    res.report = make_report();
    res.info.width = 1280;
    res.info.height = 720;
    res.stats.frames = 100;
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(report_json_print(f, "clip.mp4", "full", &res), 0);
    rewind(f);
    json_error_t err;
    json_t *o = json_loadf(f, 0, &err);
    assert_non_null(o);
    json_t *src = json_object_get(o, "source");
    assert_string_equal(json_string_value(json_object_get(src, "file")), "clip.mp4");
    assert_int_equal(json_integer_value(json_object_get(src, "width")), 1280);
    assert_int_equal(json_array_size(json_object_get(o, "reps")), 1);
    json_decref(o);
    fclose(f);
    assert_int_equal(report_json_print(NULL, NULL, NULL, &res), RR_ERR_INVAL);
    analysis_report_free(res.report);
}

/* The stored text is byte for byte what the former pipeline gave: the 17-digit text of the
 * analysis core parsed by jansson and dumped again with 6 digits; the printed one is jansson's
 * JSON_INDENT(2) layout. */
static void report_json__bytes_match_the_jansson_round_trip(void **state)
{
    (void)state;
    struct analysis_report *r = make_report();
    r->duration_s = 1e-5f;
    r->camera_roll_deg = -123456.789f;
    char *full = analysis_report_json(r), *mine = report_json_dumps(r);
    assert_non_null(full);
    assert_non_null(mine);
    json_t *o = json_loads(full, 0, NULL);
    assert_non_null(o);
    char *ref = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    assert_string_equal(mine, ref);
    free(ref);
    free(mine);
    free(full);
    json_decref(o);

    struct pipeline_result res;
    memset(&res, 0, sizeof res);
    res.report = r;
    res.info.width = 1080;
    res.info.height = 1920;
    res.info.fps = 29.97;
    res.stats.frames = 100;
    res.stats.wall_ms = 1234.5678;
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(report_json_print(f, "clip \xc3\xa9.mp4", "lite", &res), 0);
    long n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    char *printed = calloc(1, (size_t)n + 1);
    assert_non_null(printed);
    assert_int_equal(fread(printed, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    o = json_loads(printed, 0, NULL);
    assert_non_null(o);
    ref = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    assert_non_null(ref);
    assert_int_equal(printed[n - 1], '\n');
    printed[n - 1] = '\0';
    assert_string_equal(printed, ref);
    free(ref);
    free(printed);
    json_decref(o);
    analysis_report_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(report_json__writes_schema_reps_checks_and_nulls),
        cmocka_unit_test(report_json__writes_a_plank_hold_and_no_exercise),
        cmocka_unit_test(report_json__print_adds_the_source_block),
        cmocka_unit_test(report_json__bytes_match_the_jansson_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
