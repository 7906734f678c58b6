/* test_recognise.c - exercise recognition on synthetic movements (squat, push-up, curl,
 * jumping jack, press, plank), "no exercise" for someone standing or fidgeting, and the public
 * API's argument and size checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "base/rr_error.h"
#include "synth.h"

#define MAXN 2000

static struct rr_pose_frame frames[MAXN];

static const char *recognise(enum synth_view view, struct synth_pose rest, struct synth_pose far,
                             int reps, size_t *n_reps)
{
    struct synth_plan plan = {.fps = 30.0f, .lead_s = 1.0f, .rep_s = 2.0f, .pause_far_s = 0.3f,
                              .pause_rest_s = 0.7f, .reps = reps, .tail_s = 1.0f};
    struct synth_cam cam = {view, 1280, 720, 0.35f};
    size_t n = synth_series(&rest, &far, &plan, &cam, frames, MAXN);
    struct analysis_report *r = NULL;
    assert_int_equal(analysis_run(frames, n, NULL, &r), 0);
    static char name[32];
    snprintf(name, sizeof name, "%s", r->exercise ? r->exercise : "none");
    if (n_reps)
        *n_reps = r->n_reps;
    if (r->exercise)
        assert_true(r->confidence >= 0.35f && r->confidence <= 1.0f);
    assert_true(r->n_candidates > 0);
    analysis_report_free(r);
    return name;
}

static void recognise__finds_squats(void **state)
{
    (void)state;
    size_t reps;
    struct synth_pose rest = {0}, far = {.knee_flex = 110, .shin_fwd = 30, .torso_lean = 35,
                                         .shoulder_flex = 90};
    assert_string_equal(recognise(SYNTH_FRONT, rest, far, 4, &reps), "squat");
    assert_int_equal(reps, 4);
    assert_string_equal(recognise(SYNTH_SIDE, rest, far, 4, &reps), "squat");
}

static void recognise__finds_push_ups(void **state)
{
    (void)state;
    size_t reps;
    struct synth_pose rest = {.pitch = 90, .shoulder_flex = 80},
                      far = {.pitch = 90, .shoulder_flex = 55, .elbow_flex = 90};
    assert_string_equal(recognise(SYNTH_SIDE, rest, far, 3, &reps), "push_up");
    assert_int_equal(reps, 3);
}

static void recognise__finds_curls_and_presses(void **state)
{
    (void)state;
    size_t reps;
    struct synth_pose c0 = {.elbow_flex = 10, .shoulder_flex = 5},
                      c1 = {.elbow_flex = 120, .shoulder_flex = 15};
    assert_string_equal(recognise(SYNTH_FRONT, c0, c1, 3, &reps), "biceps_curl");
    assert_int_equal(reps, 3);
    struct synth_pose p0 = {.shoulder_flex = 90, .elbow_flex = 130}, p1 = {.shoulder_flex = 180};
    assert_string_equal(recognise(SYNTH_FRONT, p0, p1, 3, &reps), "shoulder_press");
    assert_int_equal(reps, 3);
}

static void recognise__finds_jumping_jacks(void **state)
{
    (void)state;
    size_t reps;
    struct synth_pose rest = {.shoulder_abd = 10, .stance = 0.12f},
                      far = {.shoulder_abd = 160, .stance = 0.35f};
    assert_string_equal(recognise(SYNTH_FRONT, rest, far, 4, &reps), "jumping_jack");
    assert_int_equal(reps, 4);
}

static void recognise__finds_a_plank_hold(void **state)
{
    (void)state;
    struct synth_pose p = {.pitch = 90, .shoulder_flex = 90, .elbow_flex = 90};
    assert_string_equal(recognise(SYNTH_SIDE, p, p, 1, NULL), "plank");
}

static void recognise__someone_standing_or_fidgeting_is_not_training(void **state)
{
    (void)state;
    size_t reps;
    struct synth_pose still = {0};
    assert_string_equal(recognise(SYNTH_FRONT, still, still, 3, &reps), "none");
    assert_int_equal(reps, 0);
    /* shifting weight, scratching the head: small knee bends and one arm movement */
    struct synth_pose a = {.knee_flex = 5}, b = {.knee_flex = 15, .shoulder_flex = 30,
                                                 .elbow_flex = 20};
    assert_string_equal(recognise(SYNTH_FRONT, a, b, 3, &reps), "none");
    assert_int_equal(reps, 0);
}

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
    analysis_report_free(r);
    analysis_report_free(NULL);
    const char *const *names;
    assert_int_equal(analysis_exercises(&names), 9);
    assert_string_equal(names[0], "squat");
    assert_string_equal(analysis_view_name(ANALYSIS_VIEW_SIDE), "side");
    assert_string_equal(analysis_verdict_name(ANALYSIS_CANNOT_JUDGE), "cannot_judge");
    assert_string_equal(analysis_severity_name(ANALYSIS_SEV_MAJOR), "major");
    assert_string_equal(analysis_outcome_name(ANALYSIS_NOT_JUDGED), "not_judged");
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
    assert_int_equal(r->n_frames_used, 0);
    assert_int_equal(r->view, ANALYSIS_VIEW_UNKNOWN);
    analysis_report_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(recognise__finds_squats),
        cmocka_unit_test(recognise__finds_push_ups),
        cmocka_unit_test(recognise__finds_curls_and_presses),
        cmocka_unit_test(recognise__finds_jumping_jacks),
        cmocka_unit_test(recognise__finds_a_plank_hold),
        cmocka_unit_test(recognise__someone_standing_or_fidgeting_is_not_training),
        cmocka_unit_test(analysis__checks_its_arguments_and_limits),
        cmocka_unit_test(analysis__frames_without_a_person_give_no_exercise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
