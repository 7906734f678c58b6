/* test_reps.c - rep segmentation: the 1-D tracker on synthetic signals (clean reps, pauses at
 * the far end, slow reps, partial reps at either clip edge, noise, set-up fidgeting, stillness,
 * tracking gaps, count-at-peak vs count-at-return) and end to end on synthetic squat poses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>

#include "analysis/analysis.h"
#include "analysis/reps.h"
#include "synth.h"

#define FPS 30.0
#define MAXN 4000

static const struct reps_params squat_like = {.min_range = 35.0f, .hyst = 10.0f,
                                              .return_frac = 0.6f, .lead_in = 8.0f,
                                              .min_rep_s = 0.4f, .max_gap_s = 1.0f,
                                              .smooth_s = 0.08f, .count_at_peak = 0};

/* Deterministic noise in [-1, 1]. */
static float noise(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return (float)((*s >> 16) & 0x7fff) / 16383.5f - 1.0f;
}

struct sig {
    float v[MAXN];
    size_t n;
};

static void add_hold(struct sig *s, float value, double secs)
{
    for (int i = 0; i < (int)(secs * FPS) && s->n < MAXN; i++)
        s->v[s->n++] = value;
}

/* One movement from a to b with a cosine profile over secs. */
static void add_move(struct sig *s, float a, float b, double secs)
{
    int k = (int)(secs * FPS);
    for (int i = 1; i <= k && s->n < MAXN; i++)
        s->v[s->n++] = a + (b - a) * (float)(0.5 - 0.5 * cos(M_PI * i / k));
}

static int count(const struct sig *s, const struct reps_params *p, float noise_amp)
{
    struct reps_tracker t;
    reps_tracker_init(&t, p);
    unsigned seed = 7;
    int reps = 0;
    for (size_t i = 0; i < s->n; i++) {
        struct reps_event ev;
        float v = s->v[i];
        if (!isnan(v))
            v += noise_amp * noise(&seed);
        int64_t t_us = (int64_t)llround((double)i / FPS * 1e6);
        if (reps_tracker_push(&t, i, t_us, v, &ev)) {
            assert_true(ev.i_start <= ev.i_turn);
            assert_true(ev.i_turn <= ev.i_count);
            reps++;
        }
    }
    return reps;
}

static void add_reps(struct sig *s, int reps, double rep_s, double pause_bottom_s)
{
    for (int r = 0; r < reps; r++) {
        add_move(s, 10.0f, 90.0f, rep_s / 2);
        add_hold(s, 90.0f, pause_bottom_s);
        add_move(s, 90.0f, 10.0f, rep_s / 2);
        add_hold(s, 10.0f, 0.5);
    }
}

static void reps__counts_clean_reps(void **state)
{
    (void)state;
    struct sig s = {.n = 0};
    add_hold(&s, 10.0f, 1.0);
    add_reps(&s, 5, 2.0, 0.0);
    assert_int_equal(count(&s, &squat_like, 0.0f), 5);
}

static void reps__pause_at_the_bottom_is_one_rep(void **state)
{
    (void)state;
    struct sig s = {.n = 0};
    add_hold(&s, 10.0f, 1.0);
    add_reps(&s, 3, 2.0, 3.0);
    assert_int_equal(count(&s, &squat_like, 3.0f), 3);
}

static void reps__counts_very_slow_reps(void **state)
{
    (void)state;
    struct sig s = {.n = 0};
    add_hold(&s, 10.0f, 1.0);
    add_reps(&s, 3, 12.0, 0.0);
    assert_int_equal(count(&s, &squat_like, 2.0f), 3);
}

static void reps__rep_cut_at_clip_start_counts_when_its_working_phase_is_inside(void **state)
{
    (void)state;
    struct sig s = {.n = 0};
    add_hold(&s, 85.0f, 0.3); /* clip starts at the bottom */
    add_move(&s, 85.0f, 10.0f, 1.0);
    add_hold(&s, 10.0f, 0.5);
    add_reps(&s, 2, 2.0, 0.0);
    assert_int_equal(count(&s, &squat_like, 0.0f), 3);
}

static void reps__rep_cut_at_clip_end_does_not_count(void **state)
{
    (void)state;
    struct sig s = {.n = 0};
    add_hold(&s, 10.0f, 0.5);
    add_reps(&s, 2, 2.0, 0.0);
    add_move(&s, 10.0f, 90.0f, 1.0); /* down ... */
    add_move(&s, 90.0f, 60.0f, 0.5); /* ... and only a third of the way back up */
    assert_int_equal(count(&s, &squat_like, 0.0f), 2);
}

static void reps__noise_does_not_add_reps(void **state)
{
    (void)state;
    struct sig s = {.n = 0};
    add_hold(&s, 10.0f, 1.0);
    add_reps(&s, 4, 2.0, 0.5);
    assert_int_equal(count(&s, &squat_like, 6.0f), 4);
}

static void reps__setup_fidgeting_and_stillness_are_not_reps(void **state)
{
    (void)state;
    struct sig s = {.n = 0};
    for (int i = 0; i < 6; i++) { /* shifting weight, unracking: small movements */
        add_move(&s, 10.0f, 30.0f, 0.4);
        add_move(&s, 30.0f, 10.0f, 0.4);
    }
    add_hold(&s, 10.0f, 5.0);
    assert_int_equal(count(&s, &squat_like, 2.0f), 0);
    struct sig still = {.n = 0};
    add_hold(&still, 12.0f, 10.0);
    assert_int_equal(count(&still, &squat_like, 1.0f), 0);
}

static void reps__long_tracking_gap_drops_the_interrupted_rep(void **state)
{
    (void)state;
    struct sig s = {.n = 0};
    add_hold(&s, 10.0f, 0.5);
    add_move(&s, 10.0f, 90.0f, 1.0);
    add_hold(&s, NAN, 2.0); /* person lost for 2 s */
    add_hold(&s, 10.0f, 1.0);
    add_reps(&s, 2, 2.0, 0.0);
    assert_int_equal(count(&s, &squat_like, 0.0f), 2);
}

static void reps__count_at_peak_counts_a_rep_ending_at_the_top(void **state)
{
    (void)state;
    struct reps_params curl = squat_like;
    curl.count_at_peak = 1;
    curl.min_range = 45.0f;
    struct sig s = {.n = 0};
    add_hold(&s, 10.0f, 0.5);
    add_reps(&s, 1, 2.0, 0.0);
    add_move(&s, 10.0f, 90.0f, 1.0); /* clip ends at the top of the second curl */
    assert_int_equal(count(&s, &curl, 0.0f), 2);
    /* Same clip counted at the return: the second is not complete. */
    assert_int_equal(count(&s, &squat_like, 0.0f), 1);
}

static void reps__count_at_peak_counts_a_lift_finished_as_tracking_starts(void **state)
{
    (void)state;
    struct reps_params pull = squat_like;
    pull.count_at_peak = 1;
    struct sig s = {.n = 0};
    add_move(&s, 75.0f, 90.0f, 0.4); /* tracking begins near the top, still rising */
    add_hold(&s, 90.0f, 1.0);
    add_move(&s, 90.0f, 10.0f, 1.5);
    add_hold(&s, 10.0f, 1.0);
    assert_int_equal(count(&s, &pull, 0.0f), 1);
    /* Starting at the top without rising (unracked at lockout) is not a rep. */
    struct sig t = {.n = 0};
    add_hold(&t, 90.0f, 1.0);
    add_move(&t, 90.0f, 10.0f, 1.5);
    add_hold(&t, 10.0f, 1.0);
    assert_int_equal(count(&t, &pull, 0.0f), 0);
}

static void reps__counts_synthetic_squats_end_to_end(void **state)
{
    (void)state;
    struct rr_pose_frame *fr = calloc(MAXN, sizeof *fr);
    assert_non_null(fr);
    struct synth_pose stand = {.shin_fwd = 0.0f};
    struct synth_pose bottom = {.knee_flex = 110.0f, .shin_fwd = 30.0f, .torso_lean = 35.0f,
                                .shoulder_flex = 90.0f};
    struct synth_plan plan = {.fps = 30.0f, .lead_s = 1.0f, .rep_s = 2.0f, .pause_far_s = 0.5f,
                              .pause_rest_s = 0.5f, .reps = 5, .tail_s = 1.0f, .end_frac = 0.5f};
    struct synth_cam cam = {SYNTH_FRONT, 1280, 720, 0.35f};
    size_t n = synth_series(&stand, &bottom, &plan, &cam, fr, MAXN);
    struct analysis_report *r = NULL;
    assert_int_equal(analysis_run(fr, n, NULL, &r), 0);
    assert_non_null(r->exercise);
    assert_string_equal(r->exercise, "squat");
    assert_int_equal(r->n_reps, 5);
    assert_int_equal(r->set.reps, 5);
    for (size_t k = 0; k < r->n_reps; k++) {
        const struct analysis_rep *p = &r->reps[k];
        assert_true(p->t_start_us < p->t_turn_us && p->t_turn_us < p->t_end_us);
        assert_true(p->rom > 80.0f);
        assert_float_equal(p->depth, 70.0f, 3.0f);
        assert_true(p->eccentric_s > 0.5f && p->concentric_s > 0.5f);
        assert_true(p->symmetry_deg < 2.0f);
    }
    assert_true(r->set.time_under_tension_s > 5.0f);
    analysis_report_free(r);
    free(fr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reps__counts_clean_reps),
        cmocka_unit_test(reps__pause_at_the_bottom_is_one_rep),
        cmocka_unit_test(reps__counts_very_slow_reps),
        cmocka_unit_test(reps__rep_cut_at_clip_start_counts_when_its_working_phase_is_inside),
        cmocka_unit_test(reps__rep_cut_at_clip_end_does_not_count),
        cmocka_unit_test(reps__noise_does_not_add_reps),
        cmocka_unit_test(reps__setup_fidgeting_and_stillness_are_not_reps),
        cmocka_unit_test(reps__long_tracking_gap_drops_the_interrupted_rep),
        cmocka_unit_test(reps__count_at_peak_counts_a_rep_ending_at_the_top),
        cmocka_unit_test(reps__count_at_peak_counts_a_lift_finished_as_tracking_starts),
        cmocka_unit_test(reps__counts_synthetic_squats_end_to_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
