/* test_analysis.c - the batch entry point (src/analysis/analysis.h): analysis_run()'s argument
 * and size checks, an empty series, frames without a person, the names of the report's enums
 * and the exercise registry. What the analysis finds is tested in test_stream.c (the stream it
 * runs), test_rules.c and test_fixtures.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "analysis/analysis.h"
#include "analysis/params.h"
#include "base/rr_error.h"
#include "synth.h"

static struct rr_pose_frame frames[64];

static void analysis__checks_its_arguments_and_limits(void **state)
{
    (void)state;
    struct analysis_report *r = NULL;
    struct synth_pose p = {0};
    struct synth_cam cam = {SYNTH_FRONT, 1280, 720, 0.35f};
    synth_frame(&p, &cam, 1000, &frames[0]);
    synth_frame(&p, &cam, 0, &frames[1]);
    assert_int_equal(analysis_run(frames, 2, NULL, NULL), RR_ERR_INVAL);
    assert_int_equal(analysis_run(NULL, 2, NULL, &r), RR_ERR_INVAL);
    assert_int_equal(analysis_run(frames, 2, NULL, &r), RR_ERR_INVAL); /* time goes back */
    assert_null(r);
    struct analysis_opts o = {.exercise = "yoga"};
    frames[1].t_us = 2000;
    assert_int_equal(analysis_run(frames, 2, &o, &r), RR_ERR_INVAL);
    assert_int_equal(analysis_run(frames, (size_t)ANALYSIS_MAX_FRAMES + 1, NULL, &r),
                     RR_ERR_TOOBIG);
    assert_int_equal(analysis_run(frames, 0, NULL, &r), 0);
    assert_non_null(r);
    assert_null(r->exercise);
    assert_int_equal(r->n_reps, 0);
    assert_int_equal(r->n_partials, 0);
    assert_int_equal(r->people, 0);
    assert_int_equal(r->athlete, -1);
    assert_true(isnan(r->set.mean_score));
    analysis_report_free(r);
    analysis_report_free(NULL);
    /* Explicit parameters: the shipped ones give the same report as NULL. */
    struct analysis_params params = *analysis_params_default();
    o.exercise = NULL;
    o.params = &params;
    assert_int_equal(analysis_run(frames, 2, &o, &r), 0);
    assert_int_equal(r->n_frames, 2);
    analysis_report_free(r);
    const char *const *names;
    assert_int_equal(analysis_exercises(&names), 9);
    assert_string_equal(names[0], "squat");
    assert_string_equal(analysis_view_name(ANALYSIS_VIEW_SIDE), "side");
    assert_string_equal(analysis_view_name(ANALYSIS_VIEW_UNKNOWN), "unknown");
    assert_string_equal(analysis_verdict_name(ANALYSIS_CANNOT_JUDGE), "cannot_judge");
    assert_string_equal(analysis_severity_name(ANALYSIS_SEV_MAJOR), "major");
    assert_string_equal(analysis_outcome_name(ANALYSIS_NOT_JUDGED), "not_judged");
    struct analysis_opts d = analysis_opts_default();
    assert_null(d.exercise);
    assert_null(d.params);
}

static void analysis__frames_without_a_person_give_no_exercise(void **state)
{
    (void)state;
    for (int i = 0; i < 60; i++) {
        memset(&frames[i], 0, sizeof frames[i]);
        frames[i].t_us = (int64_t)i * 33333;
    }
    struct analysis_report *r = NULL;
    assert_int_equal(analysis_run(frames, 60, NULL, &r), 0);
    assert_null(r->exercise);
    assert_int_equal(r->n_frames, 60);
    assert_int_equal(r->n_frames_used, 0);
    assert_int_equal(r->view, ANALYSIS_VIEW_UNKNOWN);
    assert_int_equal(r->people, 0);
    assert_int_equal(r->athlete, -1);
    analysis_report_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(analysis__checks_its_arguments_and_limits),
        cmocka_unit_test(analysis__frames_without_a_person_give_no_exercise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
