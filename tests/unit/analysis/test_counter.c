/* test_counter.c - the adaptive hysteresis rep counter (src/analysis/counter.h) on synthetic
 * phase signals, with the shipped parameters (params.h): N cosine cycles, slow motion, long
 * pauses at either end, dropped samples, a series that starts at the far end, partial reps,
 * counting at the far end, tracking gaps, non-finite samples, noise and fidgeting. Signals are
 * in units of the exercise's prior amplitude (amp0 = 1, rest 0, far end 1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>

#include "analysis/counter.h"
#include "analysis/params.h"

#define FPS 30.0
#define MAXN 20000

static const struct counter_signal at_rest = {.amp0 = 1.0f, .floor = 0.1f, .count_at_far = 0};
static const struct counter_signal at_far = {.amp0 = 1.0f, .floor = 0.1f, .count_at_far = 1};

struct sig {
    float v[MAXN];
    size_t n;
};

static struct sig g_sig; /* one series at a time: too big for the stack */

/* Deterministic noise in [-1, 1]. */
static float noise(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return (float)((*s >> 16) & 0x7fff) / 16383.5f - 1.0f;
}

static void add_hold(struct sig *s, float value, double secs)
{
    for (int i = 0; i < (int)lround(secs * FPS) && s->n < MAXN; i++)
        s->v[s->n++] = value;
}

/* One movement from a to b with a cosine profile over secs. */
static void add_move(struct sig *s, float a, float b, double secs)
{
    int k = (int)lround(secs * FPS);
    for (int i = 1; i <= k && s->n < MAXN; i++)
        s->v[s->n++] = a + (b - a) * (float)(0.5 - 0.5 * cos(M_PI * i / k));
}

/* `reps` cycles rest -> far -> rest, each rep_s long, with holds at both ends. */
static void add_reps(struct sig *s, int reps, double rep_s, double hold_far_s, double hold_rest_s)
{
    for (int r = 0; r < reps; r++) {
        add_move(s, 0.0f, 1.0f, rep_s / 2);
        add_hold(s, 1.0f, hold_far_s);
        add_move(s, 1.0f, 0.0f, rep_s / 2);
        add_hold(s, 0.0f, hold_rest_s);
    }
}

struct tally {
    int reps, partials;
    size_t rep_event[64]; /* sample index of each rep event */
    struct counter_event first_rep, last_partial;
};

/* Push s through a new counter. Samples whose index is a multiple of drop_every (> 0) are left
 * out; noise_amp adds deterministic noise. Each sample is at i / FPS seconds. */
static struct tally run(const struct sig *s, const struct counter_signal *sg, int drop_every,
                        float noise_amp)
{
    struct counter c;
    counter_init(&c, &analysis_params_default()->counter, sg);
    struct tally t = {0};
    unsigned seed = 7;
    for (size_t i = 0; i < s->n; i++) {
        float v = s->v[i];
        if (isfinite(v))
            v += noise_amp * noise(&seed);
        if (drop_every > 0 && (i % (size_t)drop_every) == 0)
            continue;
        struct counter_event ev;
        int64_t t_us = (int64_t)llround((double)i / FPS * 1e6);
        if (!counter_push(&c, i, t_us, v, &ev))
            continue;
        assert_true(ev.i_rest <= ev.i_far);
        assert_true(ev.i_far <= ev.i_event);
        assert_int_equal(ev.i_event, i);
        if (ev.kind == COUNTER_REP) {
            if (t.reps == 0)
                t.first_rep = ev;
            if (t.reps < 64)
                t.rep_event[t.reps] = i;
            t.reps++;
        } else {
            assert_int_equal(ev.kind, COUNTER_PARTIAL);
            t.last_partial = ev;
            t.partials++;
        }
    }
    assert_int_equal(c.reps, t.reps);
    assert_int_equal(c.partials, t.partials);
    return t;
}

static void counter__counts_n_sine_cycles(void **state)
{
    (void)state;
    for (int n = 1; n <= 8; n++) {
        struct sig *s = &g_sig;
        s->n = 0;
        add_hold(s, 0.0f, 1.0);
        add_reps(s, n, 2.0, 0.0, 0.0);
        add_hold(s, 0.0f, 1.0);
        struct tally t = run(s, &at_rest, 0, 0.0f);
        assert_int_equal(t.reps, n);
        assert_int_equal(t.partials, 0);
        /* a rep spans the movement: rise and far end near the signal's */
        assert_float_equal(t.first_rep.v_far - t.first_rep.v_rest, 1.0f, 0.15f);
        assert_false(t.first_rep.from_far);
    }
}

static void counter__counts_slow_motion_at_a_quarter_speed(void **state)
{
    (void)state;
    struct sig *s = &g_sig;
    s->n = 0;
    add_hold(s, 0.0f, 4.0);
    add_reps(s, 5, 8.0, 0.0, 0.0); /* 2-second reps played at 0.25x */
    add_hold(s, 0.0f, 4.0);
    struct tally t = run(s, &at_rest, 0, 0.01f);
    assert_int_equal(t.reps, 5);
    assert_int_equal(t.partials, 0);
}

static void counter__pauses_of_three_seconds_at_the_top_and_bottom_cost_nothing(void **state)
{
    (void)state;
    struct sig *s = &g_sig;
    s->n = 0;
    add_hold(s, 0.0f, 1.0);
    add_reps(s, 4, 2.0, 3.0, 3.0);
    struct tally t = run(s, &at_rest, 0, 0.02f);
    assert_int_equal(t.reps, 4);
    assert_int_equal(t.partials, 0);
    t = run(s, &at_far, 0, 0.02f);
    assert_int_equal(t.reps, 4);
}

static void counter__twenty_percent_dropped_samples_still_count(void **state)
{
    (void)state;
    struct sig *s = &g_sig;
    s->n = 0;
    add_hold(s, 0.0f, 1.0);
    add_reps(s, 6, 2.0, 0.3, 0.5);
    add_hold(s, 0.0f, 1.0);
    struct tally t = run(s, &at_rest, 5, 0.0f); /* every 5th sample missing */
    assert_int_equal(t.reps, 6);
    /* and as NAN samples (the pose was there, the signal was not measurable) */
    for (size_t i = 0; i < s->n; i += 5)
        s->v[i] = NAN;
    t = run(s, &at_rest, 0, 0.0f);
    assert_int_equal(t.reps, 6);
    t = run(s, &at_far, 0, 0.0f);
    assert_int_equal(t.reps, 6);
}

static void counter__a_series_starting_at_the_far_end_counts_its_first_return(void **state)
{
    (void)state;
    struct sig *s = &g_sig;
    s->n = 0;
    add_hold(s, 1.0f, 0.5); /* the clip starts at the bottom of a squat */
    add_move(s, 1.0f, 0.0f, 1.0);
    add_hold(s, 0.0f, 0.5);
    add_reps(s, 2, 2.0, 0.0, 0.5);
    struct tally t = run(s, &at_rest, 0, 0.0f);
    assert_int_equal(t.reps, 3);
    assert_true(t.first_rep.from_far);
    assert_true(t.rep_event[0] < (size_t)lround(1.5 * FPS)); /* counted on that first return */
}

static void counter__a_partial_rep_is_reported_as_partial_and_not_counted(void **state)
{
    (void)state;
    const struct counter_params *p = &analysis_params_default()->counter;
    /* Between the hysteresis band (a movement) and the smallest full cycle (a rep). */
    float reach = 0.5f * (p->h_frac + p->keep_frac);
    printf("partial reach %.3f of the typical amplitude (h_frac %.2f, keep_frac %.2f)\n",
           (double)reach, (double)p->h_frac, (double)p->keep_frac);
    struct sig *s = &g_sig;
    s->n = 0;
    add_hold(s, 0.0f, 1.0);
    add_reps(s, 3, 2.0, 0.0, 0.5);
    add_move(s, 0.0f, reach, 1.0);
    add_hold(s, reach, 0.5);
    add_move(s, reach, 0.0f, 1.0);
    add_hold(s, 0.0f, 1.0);
    add_reps(s, 1, 2.0, 0.0, 0.5);
    add_hold(s, 0.0f, 1.0);
    for (int far = 0; far < 2; far++) {
        struct tally t = run(s, far ? &at_far : &at_rest, 0, 0.0f);
        assert_int_equal(t.reps, 4);
        assert_int_equal(t.partials, 1);
        float rise = t.last_partial.v_far - t.last_partial.v_rest;
        assert_true(rise > 0.5f * reach && rise < p->keep_frac);
        assert_true(t.last_partial.i_far > (size_t)lround(8.0 * FPS)); /* the short movement */
    }
}

static void counter__count_at_far_counts_at_the_top(void **state)
{
    (void)state;
    struct sig *s = &g_sig;
    s->n = 0;
    add_hold(s, 0.0f, 0.5);
    add_move(s, 0.0f, 1.0f, 1.0);
    size_t top = s->n; /* the far end is reached here ... */
    add_hold(s, 1.0f, 1.0);
    size_t back = s->n; /* ... and left here */
    add_move(s, 1.0f, 0.0f, 1.0);
    add_hold(s, 0.0f, 0.5);
    add_move(s, 0.0f, 1.0f, 1.0); /* the clip ends at the top of a second curl */
    struct tally t = run(s, &at_far, 0, 0.0f);
    assert_int_equal(t.reps, 2);
    assert_true(t.rep_event[0] <= top + (size_t)lround(0.3 * FPS));
    assert_true(t.rep_event[0] < back);
    /* Counted at the return instead, the second is not complete and the first comes later. */
    t = run(s, &at_rest, 0, 0.0f);
    assert_int_equal(t.reps, 1);
    assert_true(t.rep_event[0] > back);
}

static void counter__a_gap_longer_than_gap_s_does_not_lose_the_count(void **state)
{
    (void)state;
    const struct counter_params *p = &analysis_params_default()->counter;
    struct counter c;
    counter_init(&c, p, &at_rest);
    struct sig *s = &g_sig;
    s->n = 0;
    add_hold(s, 0.0f, 1.0);
    add_reps(s, 3, 2.0, 0.0, 0.5);
    add_move(s, 0.0f, 1.0f, 1.0); /* on the way down when the person is lost */
    size_t gap_at = s->n;
    add_hold(s, NAN, (double)p->gap_s + 1.0);
    size_t back_at = s->n;
    add_hold(s, 0.0f, 1.0);
    add_reps(s, 2, 2.0, 0.0, 0.5);
    int reps_before_gap = -1;
    for (size_t i = 0; i < s->n; i++) {
        struct counter_event ev;
        if (i == gap_at)
            reps_before_gap = c.reps;
        if (i >= gap_at && i < back_at)
            continue; /* no samples at all */
        counter_push(&c, i, (int64_t)llround((double)i / FPS * 1e6), s->v[i], &ev);
        if (i == back_at)
            assert_int_equal(c.reps, reps_before_gap); /* the gap forgot the phase, not the count */
    }
    assert_int_equal(reps_before_gap, 3);
    assert_int_equal(c.reps, 5);
}

static void counter__nan_and_inf_samples_are_ignored(void **state)
{
    (void)state;
    struct counter c;
    counter_init(&c, &analysis_params_default()->counter, &at_rest);
    assert_true(isnan(counter_value(&c)));
    struct sig *s = &g_sig;
    s->n = 0;
    add_hold(s, 0.0f, 1.0);
    add_reps(s, 4, 2.0, 0.2, 0.5);
    add_hold(s, 0.0f, 1.0);
    static const float bad[] = {NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < s->n; i += 7)
        s->v[i] = bad[(i / 7) % 3];
    int reps = 0;
    for (size_t i = 0; i < s->n; i++) {
        struct counter_event ev;
        reps += counter_push(&c, i, (int64_t)llround((double)i / FPS * 1e6), s->v[i], &ev) &&
                ev.kind == COUNTER_REP;
        if (i > 0)
            assert_true(isfinite(counter_value(&c)));
    }
    assert_int_equal(reps, 4);
    assert_int_equal(c.reps, 4);
    assert_float_equal(counter_amplitude(&c), 1.0f, 0.15f);
}

static void counter__noise_does_not_add_reps(void **state)
{
    (void)state;
    struct sig *s = &g_sig;
    s->n = 0;
    add_hold(s, 0.0f, 1.0);
    add_reps(s, 4, 2.0, 0.5, 0.5);
    add_hold(s, 0.0f, 1.0);
    struct tally t = run(s, &at_rest, 0, 0.075f);
    assert_int_equal(t.reps, 4);
    t = run(s, &at_far, 0, 0.075f);
    assert_int_equal(t.reps, 4);
}

static void counter__fidgeting_and_stillness_are_not_reps(void **state)
{
    (void)state;
    struct sig *s = &g_sig;
    s->n = 0;
    for (int i = 0; i < 6; i++) { /* shifting weight, unracking: small movements */
        add_move(s, 0.0f, 0.2f, 0.4);
        add_move(s, 0.2f, 0.0f, 0.4);
    }
    add_hold(s, 0.0f, 5.0);
    struct tally t = run(s, &at_rest, 0, 0.02f);
    assert_int_equal(t.reps, 0);
    t = run(s, &at_far, 0, 0.02f);
    assert_int_equal(t.reps, 0);
    s->n = 0;
    add_hold(s, 0.05f, 10.0);
    t = run(s, &at_rest, 0, 0.01f);
    assert_int_equal(t.reps + t.partials, 0);
}

static void counter__a_rep_cut_at_the_clip_end_does_not_count(void **state)
{
    (void)state;
    struct sig *s = &g_sig;
    s->n = 0;
    add_hold(s, 0.0f, 0.5);
    add_reps(s, 2, 2.0, 0.0, 0.5);
    add_move(s, 0.0f, 1.0f, 1.0);  /* down ... */
    add_move(s, 1.0f, 0.75f, 0.5); /* ... and only a quarter of the way back up */
    struct tally t = run(s, &at_rest, 0, 0.0f);
    assert_int_equal(t.reps, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(counter__counts_n_sine_cycles),
        cmocka_unit_test(counter__counts_slow_motion_at_a_quarter_speed),
        cmocka_unit_test(counter__pauses_of_three_seconds_at_the_top_and_bottom_cost_nothing),
        cmocka_unit_test(counter__twenty_percent_dropped_samples_still_count),
        cmocka_unit_test(counter__a_series_starting_at_the_far_end_counts_its_first_return),
        cmocka_unit_test(counter__a_partial_rep_is_reported_as_partial_and_not_counted),
        cmocka_unit_test(counter__count_at_far_counts_at_the_top),
        cmocka_unit_test(counter__a_gap_longer_than_gap_s_does_not_lose_the_count),
        cmocka_unit_test(counter__nan_and_inf_samples_are_ignored),
        cmocka_unit_test(counter__noise_does_not_add_reps),
        cmocka_unit_test(counter__fidgeting_and_stillness_are_not_reps),
        cmocka_unit_test(counter__a_rep_cut_at_the_clip_end_does_not_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
