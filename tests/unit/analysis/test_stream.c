/* test_stream.c - the streaming analysis core (src/analysis/stream.h): the batch analysis is
 * "push every frame, then report" (report JSON compared byte for byte), a report in the middle
 * changes nothing, bad input gets clear errors and leaves the stream as it was; exercise
 * recognition on synthetic movements (squat, push-up, curl, press, jumping jack, plank; nobody
 * training when standing or fidgeting); reps judged end to end on synthetic squats, and a
 * movement short of a rep reported as a partial rep, never counted. */
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
#include "analysis/report_write.h"
#include "analysis/stream.h"
#include "base/rr_error.h"
#include "synth.h"

#define MAXN 4000

static struct rr_pose_frame frames[MAXN];

static size_t squats(enum synth_view view, int reps, float end_frac)
{
    struct synth_pose stand = {.shin_fwd = 0.0f};
    struct synth_pose bottom = {
        .knee_flex = 110.0f, .shin_fwd = 30.0f, .torso_lean = 35.0f, .shoulder_flex = 90.0f};
    struct synth_plan plan = {.fps = 30.0f,
                              .lead_s = 1.0f,
                              .rep_s = 2.0f,
                              .pause_far_s = 0.5f,
                              .pause_rest_s = 0.5f,
                              .reps = reps,
                              .tail_s = 1.0f,
                              .end_frac = end_frac};
    struct synth_cam cam = {view, 1280, 720, 0.35f};
    return synth_series(&stand, &bottom, &plan, &cam, frames, MAXN);
}

static char *stream_json(const struct analysis_stream *s)
{
    struct analysis_report *r = NULL;
    assert_int_equal(analysis_stream_report(s, &r), 0);
    char *j = analysis_report_json(r);
    assert_non_null(j);
    analysis_report_free(r);
    return j;
}

static char *batch_json(const struct rr_pose_frame *fr, size_t n, const char *exercise)
{
    struct analysis_opts o = analysis_opts_default();
    o.exercise = exercise;
    struct analysis_report *r = NULL;
    assert_int_equal(analysis_run(fr, n, &o, &r), 0);
    char *j = analysis_report_json(r);
    assert_non_null(j);
    analysis_report_free(r);
    return j;
}

/* Push fr[0..n) into a new stream; every `every` frames (0: never) take a report and check it
 * against the batch analysis of the prefix. Returns the final report's JSON. */
static char *push_all(const struct rr_pose_frame *fr, size_t n, const char *exercise, size_t every)
{
    struct analysis_opts o = analysis_opts_default();
    o.exercise = exercise;
    struct analysis_stream *s = NULL;
    assert_int_equal(analysis_stream_new(&o, &s), 0);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(analysis_stream_push(s, &fr[i]), 0);
        assert_int_equal(analysis_stream_frames(s), i + 1);
        if (every && (i + 1) % every == 0) {
            char *a = stream_json(s), *b = batch_json(fr, i + 1, exercise);
            if (strcmp(a, b) != 0)
                fail_msg("report after %zu pushes differs from the batch analysis:\n%s\n%s", i + 1,
                         a, b);
            free(a);
            free(b);
        }
    }
    char *j = stream_json(s);
    analysis_stream_free(s);
    return j;
}

static void stream__batch_equals_pushing_frame_by_frame_and_reporting_at_the_end(void **state)
{
    (void)state;
    for (int view = SYNTH_FRONT; view <= SYNTH_SIDE; view++) {
        size_t n = squats((enum synth_view)view, 4, 0.5f);
        for (int given = 0; given < 2; given++) {
            const char *ex = given ? "squat" : NULL;
            char *a = push_all(frames, n, ex, 0), *b = batch_json(frames, n, ex);
            assert_string_equal(a, b);
            free(a);
            free(b);
        }
    }
}

static void stream__a_report_in_the_middle_does_not_change_the_stream(void **state)
{
    (void)state;
    size_t n = squats(SYNTH_FRONT, 4, 0.5f);
    /* Reports after every 7th push (a rep open, being judged, at rest ...) then at the end. */
    char *a = push_all(frames, n, NULL, 7), *b = push_all(frames, n, NULL, 0);
    assert_string_equal(a, b);
    free(a);
    free(b);
    a = push_all(frames, n, "squat", 5);
    b = batch_json(frames, n, "squat");
    assert_string_equal(a, b);
    free(a);
    free(b);
}

static void stream__bad_input_gets_clear_errors_and_leaves_the_stream_as_it_was(void **state)
{
    (void)state;
    struct analysis_stream *s = NULL;
    struct analysis_opts o = analysis_opts_default();
    o.exercise = "yoga";
    assert_int_equal(analysis_stream_new(&o, &s), RR_ERR_INVAL);
    assert_null(s);
    assert_int_equal(analysis_stream_new(NULL, NULL), RR_ERR_INVAL);
    assert_int_equal(analysis_stream_new(NULL, &s), 0);
    size_t n = squats(SYNTH_FRONT, 2, 0.0f);
    for (size_t i = 0; i < n / 2; i++)
        assert_int_equal(analysis_stream_push(s, &frames[i]), 0);
    char *before = stream_json(s);
    /* out of order: older than the previous frame */
    struct rr_pose_frame old = frames[n / 2];
    old.t_us = frames[n / 2 - 1].t_us - 1;
    assert_int_equal(analysis_stream_push(s, &old), RR_ERR_INVAL);
    assert_int_equal(analysis_stream_frames(s), n / 2);
    char *after = stream_json(s);
    assert_string_equal(before, after);
    free(before);
    free(after);
    /* NULL */
    struct analysis_report *r = NULL;
    assert_int_equal(analysis_stream_push(NULL, &frames[0]), RR_ERR_INVAL);
    assert_int_equal(analysis_stream_push(s, NULL), RR_ERR_INVAL);
    assert_int_equal(analysis_stream_report(NULL, &r), RR_ERR_INVAL);
    assert_int_equal(analysis_stream_report(s, NULL), RR_ERR_INVAL);
    assert_int_equal(analysis_stream_frames(NULL), 0);
    int reps = -1, phase = -1, judged = -1;
    assert_null(analysis_stream_exercise(NULL, &reps, &phase));
    assert_int_equal(reps, 0);
    assert_int_equal(phase, 0);
    analysis_stream_judged(NULL, &judged);
    assert_int_equal(judged, 0);
    /* equal times are allowed; the rest of the series still matches the batch analysis */
    for (size_t i = n / 2; i < n; i++)
        assert_int_equal(analysis_stream_push(s, &frames[i]), 0);
    char *a = stream_json(s), *b = batch_json(frames, n, NULL);
    assert_string_equal(a, b);
    free(a);
    free(b);
    analysis_stream_free(s);
    analysis_stream_free(NULL);
}

static void stream__too_many_frames_is_an_error_and_the_stream_stays_usable(void **state)
{
    (void)state;
    struct analysis_stream *s = NULL;
    assert_int_equal(analysis_stream_new(NULL, &s), 0);
    struct rr_pose_frame f;
    memset(&f, 0, sizeof f); /* no pose: cheap */
    for (size_t i = 0; i < ANALYSIS_MAX_FRAMES; i++) {
        f.t_us = (int64_t)i * 16667;
        assert_int_equal(analysis_stream_push(s, &f), 0);
    }
    f.t_us += 16667;
    assert_int_equal(analysis_stream_push(s, &f), RR_ERR_TOOBIG);
    assert_int_equal(analysis_stream_frames(s), ANALYSIS_MAX_FRAMES);
    struct analysis_report *r = NULL;
    assert_int_equal(analysis_stream_report(s, &r), 0);
    assert_int_equal(r->n_frames, ANALYSIS_MAX_FRAMES);
    assert_null(r->exercise);
    assert_int_equal(r->people, 0);
    assert_int_equal(r->athlete, -1);
    analysis_report_free(r);
    analysis_stream_free(s);
}

/* ---- recognition (the decision is the stream's: stream.c decide()) ---- */

static const char *recognise(enum synth_view view, struct synth_pose rest, struct synth_pose far,
                             int reps, size_t *n_reps)
{
    struct synth_plan plan = {.fps = 30.0f,
                              .lead_s = 1.0f,
                              .rep_s = 2.0f,
                              .pause_far_s = 0.3f,
                              .pause_rest_s = 0.7f,
                              .reps = reps,
                              .tail_s = 1.0f};
    struct synth_cam cam = {view, 1280, 720, 0.35f};
    size_t n = synth_series(&rest, &far, &plan, &cam, frames, MAXN);
    struct analysis_report *r = NULL;
    assert_int_equal(analysis_run(frames, n, NULL, &r), 0);
    static char name[32];
    snprintf(name, sizeof name, "%s", r->exercise ? r->exercise : "none");
    printf("  %s view, %d reps: recognised %s (confidence %.2f), %zu reps; candidates:",
           view == SYNTH_SIDE ? "side" : "front", reps, name, (double)r->confidence, r->n_reps);
    for (int i = 0; i < r->n_candidates && i < 3; i++)
        printf(" %s=%.2f", r->candidates[i].exercise, (double)r->candidates[i].score);
    printf("\n");
    if (n_reps)
        *n_reps = r->n_reps;
    if (r->exercise)
        assert_true(r->confidence >= 0.35f && r->confidence <= 1.0f);
    assert_true(r->n_candidates > 0);
    analysis_report_free(r);
    return name;
}

static void stream__recognises_squats(void **state)
{
    (void)state;
    size_t reps;
    struct synth_pose rest = {0},
                      far = {
                          .knee_flex = 110, .shin_fwd = 30, .torso_lean = 35, .shoulder_flex = 90};
    assert_string_equal(recognise(SYNTH_FRONT, rest, far, 4, &reps), "squat");
    assert_int_equal(reps, 4);
    assert_string_equal(recognise(SYNTH_SIDE, rest, far, 4, &reps), "squat");
}

static void stream__recognises_push_ups(void **state)
{
    (void)state;
    size_t reps;
    struct synth_pose rest = {.pitch = 90, .shoulder_flex = 80},
                      far = {.pitch = 90, .shoulder_flex = 55, .elbow_flex = 90};
    assert_string_equal(recognise(SYNTH_SIDE, rest, far, 3, &reps), "push_up");
    assert_int_equal(reps, 3);
}

static void stream__recognises_curls_and_presses(void **state)
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

static void stream__recognises_jumping_jacks(void **state)
{
    (void)state;
    size_t reps;
    struct synth_pose rest = {.shoulder_abd = 10, .stance = 0.12f},
                      far = {.shoulder_abd = 160, .stance = 0.35f};
    assert_string_equal(recognise(SYNTH_FRONT, rest, far, 4, &reps), "jumping_jack");
    assert_int_equal(reps, 4);
}

static void stream__recognises_a_plank_hold(void **state)
{
    (void)state;
    struct synth_pose p = {.pitch = 90, .shoulder_flex = 90, .elbow_flex = 90};
    assert_string_equal(recognise(SYNTH_SIDE, p, p, 1, NULL), "plank");
}

static void stream__someone_standing_or_fidgeting_is_not_training(void **state)
{
    (void)state;
    size_t reps;
    struct synth_pose still = {0};
    assert_string_equal(recognise(SYNTH_FRONT, still, still, 3, &reps), "none");
    assert_int_equal(reps, 0);
    /* shifting weight, scratching the head: small knee bends and one arm movement */
    struct synth_pose a = {.knee_flex = 5},
                      b = {.knee_flex = 15, .shoulder_flex = 30, .elbow_flex = 20};
    assert_string_equal(recognise(SYNTH_FRONT, a, b, 3, &reps), "none");
    assert_int_equal(reps, 0);
}

/* ---- reps end to end ---- */

/* After frames[0..n): one squat to `reach` of the full depth and back in 2 s, then 1 s
 * standing. Returns the new count. */
static size_t add_short_squat(size_t n, float reach)
{
    struct synth_pose stand = {.shin_fwd = 0.0f};
    struct synth_pose bottom = {
        .knee_flex = 110.0f, .shin_fwd = 30.0f, .torso_lean = 35.0f, .shoulder_flex = 90.0f};
    struct synth_cam cam = {SYNTH_FRONT, 1280, 720, 0.35f};
    int64_t t0 = frames[n - 1].t_us;
    for (int i = 1; i <= 90 && n < MAXN; i++, n++) {
        double t = i / 30.0;
        float a = t < 2.0 ? reach * (float)(0.5 - 0.5 * cos(SYNTH_PI * t)) : 0.0f;
        struct synth_pose p = synth_mix(&stand, &bottom, a);
        synth_frame(&p, &cam, t0 + (int64_t)llround(t * 1e6), &frames[n]);
    }
    return n;
}

static void stream__judges_synthetic_squats_end_to_end(void **state)
{
    (void)state;
    size_t n = squats(SYNTH_FRONT, 5, 0.0f);
    n = add_short_squat(n, 0.0f); /* 5 squats, then standing 3 s */
    struct analysis_report *r = NULL;
    assert_int_equal(analysis_run(frames, n, NULL, &r), 0);
    printf("  %s, %zu reps, %zu partial reps, view %s, %d people (athlete %d), roll %.1f deg\n",
           r->exercise ? r->exercise : "none", r->n_reps, r->n_partials,
           analysis_view_name(r->view), r->people, r->athlete, (double)r->camera_roll_deg);
    assert_non_null(r->exercise);
    assert_string_equal(r->exercise, "squat");
    assert_int_equal(r->n_reps, 5);
    assert_int_equal(r->set.reps, 5);
    assert_int_equal(r->people, 1);
    assert_int_equal(r->athlete, 0);
    assert_float_equal(r->camera_roll_deg, 0.0f, 1.0f);
    for (size_t k = 0; k < r->n_reps; k++) {
        const struct analysis_rep *p = &r->reps[k];
        assert_int_equal(p->index, (int)k + 1);
        assert_true(p->t_start_us < p->t_turn_us && p->t_turn_us < p->t_end_us);
        assert_non_null(p->rom_unit);
        assert_true(p->rom > 0.0f);
        assert_float_equal(p->depth, 70.0f, 3.0f); /* knee flexion 110: knee angle 70 */
        assert_true(p->eccentric_s > 0.5f && p->concentric_s > 0.5f);
        assert_true(p->symmetry_deg < 2.0f);
        /* clean form: good, scored at least 70, sure of itself */
        assert_int_equal(p->verdict, ANALYSIS_GOOD);
        assert_true(p->score >= 70.0f && p->score <= 100.0f);
        assert_true(p->confidence >= 0.5f && p->confidence <= 1.0f);
        assert_null(p->cannot_judge_reason);
    }
    /* all five reps have the same range of motion (one athlete, one depth) */
    assert_float_equal(r->reps[0].rom, r->reps[4].rom, 0.05f * r->reps[0].rom);
    assert_true(r->set.time_under_tension_s > 5.0f);
    assert_int_equal(r->n_partials, 0);
    assert_int_equal(r->set.partial_reps, 0);
    analysis_report_free(r);
}

static void stream__a_movement_short_of_a_rep_is_a_partial_rep_not_counted(void **state)
{
    (void)state;
    /* A sixth squat to a growing share of the depth: nothing (a fidget), then a partial rep,
     * then a rep; never both, never counted as a partial. Where the steps fall depends on the
     * exercise signal and the counter's thresholds; their order does not. */
    int stage = 0, partial_seen = 0;
    for (int k = 2; k <= 20; k++) {
        float reach = 0.05f * (float)k;
        size_t n = squats(SYNTH_FRONT, 5, 0.0f);
        n = add_short_squat(n, reach);
        struct analysis_report *r = NULL;
        assert_int_equal(analysis_run(frames, n, NULL, &r), 0);
        printf("  sixth squat to %.2f of the depth: %zu reps, %zu partial reps", (double)reach,
               r->n_reps, r->n_partials);
        for (size_t q = 0; q < r->n_partials; q++)
            printf(" (reached %.2f of the typical range)", (double)r->partials[q].reached);
        printf("\n");
        assert_non_null(r->exercise);
        assert_string_equal(r->exercise, "squat");
        int now = r->n_reps == 6 ? 2 : (r->n_partials > 0 ? 1 : 0);
        assert_true(r->n_reps == 5 || r->n_reps == 6);
        assert_true(r->n_partials <= 1 && !(r->n_reps == 6 && r->n_partials > 0));
        assert_int_equal(r->set.partial_reps, (int)r->n_partials);
        assert_true(now >= stage); /* none -> partial -> rep */
        stage = now;
        if (r->n_partials == 1) {
            const struct analysis_partial *pa = &r->partials[0];
            assert_true(pa->frame_start >= r->reps[4].frame_end);
            assert_true(pa->frame_turn > pa->frame_start && pa->t_turn_us > pa->t_start_us);
            assert_true(pa->reached > 0.0f && pa->reached < 1.0f);
            partial_seen = 1;
        }
        analysis_report_free(r);
    }
    assert_true(partial_seen);
    assert_int_equal(stage, 2); /* the full-depth sixth squat is a rep */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stream__batch_equals_pushing_frame_by_frame_and_reporting_at_the_end),
        cmocka_unit_test(stream__a_report_in_the_middle_does_not_change_the_stream),
        cmocka_unit_test(stream__bad_input_gets_clear_errors_and_leaves_the_stream_as_it_was),
        cmocka_unit_test(stream__too_many_frames_is_an_error_and_the_stream_stays_usable),
        cmocka_unit_test(stream__recognises_squats),
        cmocka_unit_test(stream__recognises_push_ups),
        cmocka_unit_test(stream__recognises_curls_and_presses),
        cmocka_unit_test(stream__recognises_jumping_jacks),
        cmocka_unit_test(stream__recognises_a_plank_hold),
        cmocka_unit_test(stream__someone_standing_or_fidgeting_is_not_training),
        cmocka_unit_test(stream__judges_synthetic_squats_end_to_end),
        cmocka_unit_test(stream__a_movement_short_of_a_rep_is_a_partial_rep_not_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
