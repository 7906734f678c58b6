/*
 * test_analytics.c - the aggregator over a real SQLite store: synthetic workouts are saved with
 * store_workout_put, then daily rows are recomputed and the summaries checked (periods with ISO
 * weeks, idempotent re-runs, recompute after delete, streaks across month ends and gaps,
 * personal records, fault ranking) along with the date helpers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analytics/analytics.h"
#include "base/rr_error.h"
#include "store/store.h"

struct fx {
    struct store *s;
    char dir[64];
    char user[STORE_ID_LEN + 1];
    char other[STORE_ID_LEN + 1];
    int64_t now;
};

static int64_t fx_clock(void *ctx)
{
    struct fx *f = ctx;
    return f->now++; /* strictly increasing: created_at orders the pages */
}

static int64_t T(const char *day)
{
    int64_t t = 0;
    assert_int_equal(analytics_day_parse(day, &t), 0);
    return t;
}

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    char url[128], msg[256] = "";
    struct store_user u;
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/rr-analytics-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(url, sizeof url, "sqlite:%s/test.db", f->dir);
    assert_int_equal(store_open(url, &f->s, msg, sizeof msg), 0);
    assert_int_equal(store_migrate(f->s, NULL, msg, sizeof msg), 0);
    f->now = T("2026-03-01");
    store_set_clock(f->s, fx_clock, f);
    assert_int_equal(store_user_create(f->s, "a@example.com", "hash", "user", &u), 0);
    memcpy(f->user, u.id, sizeof f->user);
    assert_int_equal(store_user_create(f->s, "b@example.com", "hash", "user", &u), 0);
    memcpy(f->other, u.id, sizeof f->other);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    char path[128];
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    store_close(f->s);
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/test.db%s", f->dir, suffix[i]);
        unlink(path);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

/* One workout of one set: `nreps` reps scored `score` each, faults JSON for every rep. The
 * workout starts at noon of `day`. Returns the id in id_out (may be NULL). */
static void put(struct fx *f, const char *user, const char *day, const char *exercise, int nreps,
                double score, double load_kg, int64_t hold_ms, const char *faults,
                char id_out[STORE_ID_LEN + 1])
{
    struct store_workout w;
    struct store_set set;
    struct store_rep reps[40];
    memset(&w, 0, sizeof w);
    memset(&set, 0, sizeof set);
    memset(reps, 0, sizeof reps);
    assert_true(nreps <= 40);
    memcpy(w.user_id, user, sizeof w.user_id);
    snprintf(w.exercise, sizeof w.exercise, "%s", exercise);
    w.started_at = T(day) + 12 * 3600 * 1000LL;
    w.duration_ms = 60000;
    w.score = score;
    snprintf(set.exercise, sizeof set.exercise, "%s", exercise);
    set.reps = nreps;
    set.score = score;
    set.load_kg = load_kg;
    set.hold_ms = hold_ms;
    for (int i = 0; i < nreps; i++) {
        reps[i].set_idx = 0;
        reps[i].idx = i;
        reps[i].t_start_ms = i * 2000;
        reps[i].t_end_ms = i * 2000 + 1500;
        reps[i].score = score;
        snprintf(reps[i].metrics, sizeof reps[i].metrics, "{}");
        snprintf(reps[i].faults, sizeof reps[i].faults, "%s", faults ? faults : "[]");
    }
    assert_int_equal(store_workout_put(f->s, &w, &set, 1, reps, (size_t)nreps, NULL), 0);
    assert_int_equal(analytics_update_for_workout(f->s, user, w.id), 0);
    if (id_out)
        memcpy(id_out, w.id, STORE_ID_LEN + 1);
}

static void day_rows(struct fx *f, const char *day, struct store_analytics_day **d, size_t *n)
{
    assert_int_equal(store_analytics_range(f->s, f->user, day, day, NULL, d, n), 0);
}

/* ---- dates ---------------------------------------------------------------------------------- */

static void dates__parse_strict_calendar_days_and_format_utc_days(void **state)
{
    (void)state;
    int64_t t = -1;
    char out[11];
    assert_int_equal(analytics_day_parse("1970-01-01", &t), 0);
    assert_true(t == 0);
    assert_int_equal(analytics_day_parse("2024-02-29", &t), 0);
    analytics_day_of(t + ANALYTICS_DAY_MS - 1, out);
    assert_string_equal(out, "2024-02-29");
    analytics_day_of(t + ANALYTICS_DAY_MS, out);
    assert_string_equal(out, "2024-03-01");
    assert_int_equal(analytics_day_parse("2000-02-29", &t), 0); /* divisible by 400 */
    const char *bad[] = {"2026-02-29", "1900-02-29", "2026-13-01", "2026-00-10", "2026-04-31",
                         "2026-1-01",  "2026/01/01", "20260101xx", "1969-12-31", "2026-01-0a",
                         "",           NULL};
    for (int i = 0; bad[i]; i++)
        assert_int_equal(analytics_day_parse(bad[i], &t), RR_ERR_INVAL);
    assert_int_equal(analytics_day_parse(NULL, &t), RR_ERR_INVAL);
    assert_int_equal(analytics_day_parse("2026-01-01", NULL), RR_ERR_INVAL);
    analytics_day_of(T("2026-12-31") + 5, out);
    assert_string_equal(out, "2026-12-31");
    analytics_day_of(-1, out); /* one ms before the epoch */
    assert_string_equal(out, "1969-12-31");
}

static void dates__period_and_record_names_round_trip(void **state)
{
    (void)state;
    enum analytics_period p = ANALYTICS_DAY;
    assert_int_equal(analytics_period_parse("week", &p), 0);
    assert_int_equal(p, ANALYTICS_WEEK);
    assert_string_equal(analytics_period_name(p), "week");
    assert_int_equal(analytics_period_parse("month", &p), 0);
    assert_string_equal(analytics_period_name(p), "month");
    assert_int_equal(analytics_period_parse("day", &p), 0);
    assert_int_equal(analytics_period_parse("year", &p), RR_ERR_INVAL);
    assert_int_equal(analytics_period_parse(NULL, &p), RR_ERR_INVAL);
    assert_string_equal(analytics_period_name((enum analytics_period)9), "unknown");
    assert_string_equal(analytics_record_kind_name(ANALYTICS_MOST_REPS), "most_reps_in_set");
    assert_string_equal(analytics_record_kind_name(ANALYTICS_LONGEST_HOLD), "longest_hold_ms");
    assert_string_equal(analytics_record_kind_name((enum analytics_record_kind)7), "unknown");
}

/* ---- daily rows ----------------------------------------------------------------------------- */

static void update__aggregates_a_day_and_rerunning_does_not_double_count(void **state)
{
    struct fx *f = *state;
    char a[STORE_ID_LEN + 1], b[STORE_ID_LEN + 1];
    struct store_analytics_day *d = NULL;
    size_t n = 0;
    put(f, f->user, "2026-03-02", "squat", 10, 80, 60, 0, NULL, a);
    put(f, f->user, "2026-03-02", "squat", 5, 50, 0, 0, NULL, b); /* bodyweight: no volume */
    put(f, f->user, "2026-03-02", "pushup", 12, 90, 0, 0, NULL, NULL);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(analytics_update_for_workout(f->s, f->user, a), 0);
        assert_int_equal(analytics_update_for_workout(f->s, f->user, b), 0);
    }
    day_rows(f, "2026-03-02", &d, &n);
    assert_int_equal(n, 2);
    assert_string_equal(d[0].exercise, "pushup");
    assert_int_equal(d[0].sessions, 1);
    assert_int_equal(d[0].reps, 12);
    assert_string_equal(d[1].exercise, "squat");
    assert_int_equal(d[1].sessions, 2);
    assert_int_equal(d[1].reps, 15);
    assert_true(d[1].volume == 600.0); /* 60 kg x 10 */
    assert_int_equal(d[1].score_n, 15);
    assert_true(d[1].mean_score > 69.99 && d[1].mean_score < 70.01); /* (800 + 250) / 15 */
    free(d);
}

static void update__recompute_after_delete_shrinks_then_removes_the_row(void **state)
{
    struct fx *f = *state;
    char a[STORE_ID_LEN + 1], b[STORE_ID_LEN + 1];
    struct store_analytics_day *d = NULL;
    size_t n = 0;
    put(f, f->user, "2026-03-03", "lunge", 8, 70, 0, 0, NULL, a);
    put(f, f->user, "2026-03-03", "lunge", 4, 70, 0, 0, NULL, b);
    assert_int_equal(store_workout_delete(f->s, f->user, a), 0);
    assert_int_equal(analytics_update_for_workout(f->s, f->user, a), RR_ERR_NOTFOUND);
    assert_int_equal(analytics_recompute(f->s, f->user, "2026-03-03", "lunge"), 0);
    day_rows(f, "2026-03-03", &d, &n);
    assert_int_equal(n, 1);
    assert_int_equal(d[0].sessions, 1);
    assert_int_equal(d[0].reps, 4);
    free(d);
    assert_int_equal(store_workout_delete(f->s, f->user, b), 0);
    assert_int_equal(analytics_recompute(f->s, f->user, "2026-03-03", "lunge"), 0);
    day_rows(f, "2026-03-03", &d, &n);
    assert_int_equal(n, 0);
}

static void update__plank_without_rep_rows_counts_its_set_score_once(void **state)
{
    struct fx *f = *state;
    struct store_analytics_day *d = NULL;
    size_t n = 0;
    put(f, f->user, "2026-03-04", "plank", 0, 64, 0, 45000, NULL, NULL);
    day_rows(f, "2026-03-04", &d, &n);
    assert_int_equal(n, 1);
    assert_int_equal(d[0].sessions, 1);
    assert_int_equal(d[0].reps, 0);
    assert_int_equal(d[0].score_n, 1);
    assert_true(d[0].mean_score == 64.0);
    free(d);
}

static void update__reps_that_could_not_be_judged_stay_out_of_the_mean_score(void **state)
{
    struct fx *f = *state;
    struct store_workout w;
    struct store_set set;
    struct store_rep reps[3];
    memset(&w, 0, sizeof w);
    memset(&set, 0, sizeof set);
    memset(reps, 0, sizeof reps);
    memcpy(w.user_id, f->user, sizeof w.user_id);
    snprintf(w.exercise, sizeof w.exercise, "squat");
    w.started_at = T("2026-03-06") + 12 * 3600 * 1000LL;
    w.score = 75;
    snprintf(set.exercise, sizeof set.exercise, "squat");
    set.reps = 3;
    set.score = 75;
    static const char *const metrics[] = {"{\"verdict\":\"good\"}", "{\"verdict\":\"bad\"}",
                                          "{\"verdict\":\"cannot_judge\"}"};
    static const double scores[] = {90, 60, 0}; /* the worker stores 0 for "no score" */
    for (int i = 0; i < 3; i++) {
        reps[i].idx = i + 1;
        reps[i].t_start_ms = i * 2000;
        reps[i].t_end_ms = i * 2000 + 1500;
        reps[i].score = scores[i];
        snprintf(reps[i].metrics, sizeof reps[i].metrics, "%s", metrics[i]);
        snprintf(reps[i].faults, sizeof reps[i].faults, "[]");
    }
    assert_int_equal(store_workout_put(f->s, &w, &set, 1, reps, 3, NULL), 0);
    assert_int_equal(analytics_update_for_workout(f->s, f->user, w.id), 0);
    struct store_analytics_day *d = NULL;
    size_t n = 0;
    day_rows(f, "2026-03-06", &d, &n);
    assert_int_equal(n, 1);
    assert_int_equal(d[0].reps, 3);
    assert_int_equal(d[0].score_n, 2);
    assert_true(d[0].mean_score == 75.0);
    free(d);
}

static void update__is_scoped_to_the_owner_and_checks_arguments(void **state)
{
    struct fx *f = *state;
    char a[STORE_ID_LEN + 1];
    put(f, f->user, "2026-03-05", "squat", 3, 70, 0, 0, NULL, a);
    assert_int_equal(analytics_update_for_workout(f->s, f->other, a), RR_ERR_NOTFOUND);
    assert_int_equal(analytics_update_for_workout(f->s, f->user, "zz"), RR_ERR_NOTFOUND);
    assert_int_equal(analytics_update_for_workout(NULL, f->user, a), RR_ERR_INVAL);
    assert_int_equal(analytics_recompute(f->s, f->user, "2026-02-30", "squat"), RR_ERR_INVAL);
    assert_int_equal(analytics_recompute(f->s, f->user, "2026-03-05", ""), RR_ERR_INVAL);
    struct analytics_bucket *b = NULL;
    size_t n = 0;
    assert_int_equal(analytics_summary(f->s, f->other, ANALYTICS_DAY, "2026-01-01", "2026-12-31",
                                       NULL, &b, &n),
                     0);
    assert_int_equal(n, 0);
}

/* ---- periods -------------------------------------------------------------------------------- */

static void summary__folds_days_into_iso_weeks_and_months(void **state)
{
    struct fx *f = *state;
    /* 2026-12-31 is a Thursday: week 2026-W53 runs Mon 12-28 .. Sun 2027-01-03 */
    put(f, f->user, "2026-12-28", "squat", 10, 80, 50, 0, NULL, NULL);
    put(f, f->user, "2027-01-03", "squat", 6, 60, 50, 0, NULL, NULL);
    put(f, f->user, "2027-01-04", "squat", 4, 100, 0, 0, NULL, NULL);
    put(f, f->user, "2027-01-04", "pushup", 20, 90, 0, 0, NULL, NULL);
    struct analytics_bucket *b = NULL;
    size_t n = 0;

    assert_int_equal(analytics_summary(f->s, f->user, ANALYTICS_WEEK, "2026-12-01", "2027-01-31",
                                       NULL, &b, &n),
                     0);
    assert_int_equal(n, 2);
    assert_string_equal(b[0].label, "2026-W53");
    assert_string_equal(b[0].start, "2026-12-28");
    assert_int_equal(b[0].sessions, 2);
    assert_int_equal(b[0].reps, 16);
    assert_true(b[0].volume_kg == 800.0);
    assert_true(b[0].mean_score > 72.49 && b[0].mean_score < 72.51); /* (800 + 360) / 16 */
    assert_string_equal(b[1].label, "2027-W01");
    assert_string_equal(b[1].start, "2027-01-04");
    assert_int_equal(b[1].sessions, 2);
    assert_int_equal(b[1].reps, 24);
    free(b);

    assert_int_equal(analytics_summary(f->s, f->user, ANALYTICS_MONTH, "2026-12-01", "2027-01-31",
                                       "squat", &b, &n),
                     0);
    assert_int_equal(n, 2);
    assert_string_equal(b[0].label, "2026-12");
    assert_string_equal(b[0].start, "2026-12-01");
    assert_int_equal(b[0].reps, 10);
    assert_string_equal(b[1].label, "2027-01");
    assert_int_equal(b[1].sessions, 2);
    assert_int_equal(b[1].reps, 10);
    free(b);

    assert_int_equal(analytics_summary(f->s, f->user, ANALYTICS_DAY, "2027-01-03", "2027-01-04",
                                       NULL, &b, &n),
                     0);
    assert_int_equal(n, 2);
    assert_string_equal(b[0].label, "2027-01-03");
    assert_string_equal(b[1].label, "2027-01-04");
    assert_int_equal(b[1].sessions, 2);
    free(b);
}

static void summary__week_labels_follow_the_iso_week_year(void **state)
{
    struct fx *f = *state;
    put(f, f->user, "2024-12-30", "squat", 1, 80, 0, 0, NULL, NULL); /* Monday of 2025-W01 */
    put(f, f->user, "2021-01-03", "squat", 1, 80, 0, 0, NULL, NULL); /* Sunday of 2020-W53 */
    struct analytics_bucket *b = NULL;
    size_t n = 0;
    assert_int_equal(analytics_summary(f->s, f->user, ANALYTICS_WEEK, "2024-12-30", "2024-12-30",
                                       NULL, &b, &n),
                     0);
    assert_int_equal(n, 1);
    assert_string_equal(b[0].label, "2025-W01");
    free(b);
    assert_int_equal(analytics_summary(f->s, f->user, ANALYTICS_WEEK, "2021-01-01", "2021-01-10",
                                       NULL, &b, &n),
                     0);
    assert_int_equal(n, 1);
    assert_string_equal(b[0].label, "2020-W53");
    assert_string_equal(b[0].start, "2020-12-28");
    free(b);
}

static void summary__refuses_bad_and_oversized_ranges(void **state)
{
    struct fx *f = *state;
    struct analytics_bucket *b = NULL;
    size_t n = 0;
    assert_int_equal(analytics_summary(f->s, f->user, ANALYTICS_DAY, "2026-03-02", "2026-03-01",
                                       NULL, &b, &n),
                     RR_ERR_INVAL);
    assert_int_equal(analytics_summary(f->s, f->user, ANALYTICS_DAY, "bad", "2026-03-01", NULL,
                                       &b, &n),
                     RR_ERR_INVAL);
    assert_int_equal(analytics_summary(f->s, f->user, (enum analytics_period)5, "2026-03-01",
                                       "2026-03-01", NULL, &b, &n),
                     RR_ERR_INVAL);
    assert_int_equal(analytics_summary(f->s, f->user, ANALYTICS_DAY, "2000-01-01", "2026-03-01",
                                       NULL, &b, &n),
                     RR_ERR_TOOBIG);
    /* a long but allowed range is read in chunks */
    put(f, f->user, "2017-01-02", "squat", 2, 80, 0, 0, NULL, NULL);
    put(f, f->user, "2026-03-01", "squat", 3, 80, 0, 0, NULL, NULL);
    assert_int_equal(analytics_summary(f->s, f->user, ANALYTICS_MONTH, "2017-01-01", "2026-12-31",
                                       NULL, &b, &n),
                     0);
    assert_int_equal(n, 2);
    assert_string_equal(b[0].label, "2017-01");
    assert_string_equal(b[1].label, "2026-03");
    free(b);
}

/* ---- streaks -------------------------------------------------------------------------------- */

static void streaks__run_across_a_month_end_and_break_on_gaps(void **state)
{
    struct fx *f = *state;
    struct analytics_streak st;
    assert_int_equal(analytics_streaks(f->s, f->user, 0, &st), 0);
    assert_int_equal(st.current, 0);
    assert_int_equal(st.longest, 0);
    assert_string_equal(st.last_day, "");

    /* older run of 5 (Dec 29 .. Jan 2, across the year end), gap, run of 4 across Feb/Mar */
    const char *days[] = {"2025-12-29", "2025-12-30", "2025-12-31", "2026-01-01", "2026-01-02",
                          "2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02"};
    for (size_t i = 0; i < sizeof days / sizeof days[0]; i++)
        put(f, f->user, days[i], "squat", 3, 70, 0, 0, NULL, NULL);
    put(f, f->user, "2026-03-02", "pushup", 3, 70, 0, 0, NULL, NULL); /* two exercises, one day */

    f->now = T("2026-03-02") + 3600 * 1000; /* today */
    assert_int_equal(analytics_streaks(f->s, f->user, 0, &st), 0);
    assert_int_equal(st.current, 4);
    assert_string_equal(st.current_start, "2026-02-27");
    assert_int_equal(st.longest, 5);
    assert_string_equal(st.last_day, "2026-03-02");

    f->now = T("2026-03-03") + 3600 * 1000; /* yesterday still counts */
    assert_int_equal(analytics_streaks(f->s, f->user, 0, &st), 0);
    assert_int_equal(st.current, 4);

    f->now = T("2026-03-04") + 3600 * 1000; /* a missed day ends it */
    assert_int_equal(analytics_streaks(f->s, f->user, 0, &st), 0);
    assert_int_equal(st.current, 0);
    assert_string_equal(st.current_start, "");
    assert_int_equal(st.longest, 5);

    /* training again today: a new streak of 1, longest unchanged */
    put(f, f->user, "2026-03-04", "squat", 3, 70, 0, 0, NULL, NULL);
    assert_int_equal(analytics_streaks(f->s, f->user, 0, &st), 0);
    assert_int_equal(st.current, 1);
    assert_int_equal(st.longest, 5);
    assert_int_equal(analytics_streaks(f->s, f->user, 0, NULL), RR_ERR_INVAL);
}

/* ---- records and faults --------------------------------------------------------------------- */

static void records__keep_the_best_set_per_exercise_and_the_earliest_on_ties(void **state)
{
    struct fx *f = *state;
    char first[STORE_ID_LEN + 1], best[STORE_ID_LEN + 1], plank[STORE_ID_LEN + 1];
    struct analytics_record *r = NULL;
    size_t n = 0;
    assert_int_equal(analytics_records(f->s, f->user, 0, &r, &n), 0);
    assert_int_equal(n, 0);
    put(f, f->user, "2026-03-01", "squat", 12, 70, 0, 0, NULL, first);
    put(f, f->user, "2026-03-02", "squat", 8, 95, 0, 0, NULL, best);
    put(f, f->user, "2026-03-03", "squat", 12, 60, 0, 0, NULL, NULL); /* ties 12 reps: later */
    put(f, f->user, "2026-03-03", "plank", 0, 50, 0, 30000, NULL, NULL);
    put(f, f->user, "2026-03-04", "plank", 0, 40, 0, 90000, NULL, plank);
    put(f, f->other, "2026-03-04", "squat", 30, 99, 0, 0, NULL, NULL); /* not ours */
    assert_int_equal(analytics_records(f->s, f->user, 0, &r, &n), 0);
    assert_int_equal(n, 4);
    /* plank: best set score, longest hold (no reps record: 0 reps); squat: reps, score */
    assert_string_equal(r[0].exercise, "plank");
    assert_int_equal(r[0].kind, ANALYTICS_BEST_SET_SCORE);
    assert_true(r[0].value == 50.0);
    assert_int_equal(r[1].kind, ANALYTICS_LONGEST_HOLD);
    assert_true(r[1].value == 90000.0);
    assert_string_equal(r[1].workout_id, plank);
    assert_string_equal(r[1].day, "2026-03-04");
    assert_string_equal(r[2].exercise, "squat");
    assert_int_equal(r[2].kind, ANALYTICS_MOST_REPS);
    assert_true(r[2].value == 12.0);
    assert_string_equal(r[2].workout_id, first);
    assert_string_equal(r[2].day, "2026-03-01");
    assert_int_equal(r[3].kind, ANALYTICS_BEST_SET_SCORE);
    assert_true(r[3].value == 95.0);
    assert_string_equal(r[3].workout_id, best);
    free(r);
    assert_int_equal(analytics_records(f->s, f->user, 0, NULL, &n), RR_ERR_INVAL);
}

static void faults__are_ranked_per_exercise_most_frequent_first(void **state)
{
    struct fx *f = *state;
    struct analytics_fault *a = NULL;
    size_t n = 0;
    put(f, f->user, "2026-03-01", "squat", 4, 60, 0, 0, "[\"knee_valgus\",\"shallow_depth\"]", NULL);
    put(f, f->user, "2026-03-02", "squat", 3, 60, 0, 0, "[\"shallow_depth\"]", NULL);
    put(f, f->user, "2026-03-02", "squat", 2, 60, 0, 0, "[\"forward_lean\", 7, {\"x\":1}]", NULL);
    put(f, f->user, "2026-03-02", "pushup", 5, 60, 0, 0, "[\"hips_sag\"]", NULL);
    put(f, f->user, "2026-03-03", "squat", 1, 60, 0, 0, "not json", NULL);
    put(f, f->other, "2026-03-02", "squat", 9, 60, 0, 0, "[\"knee_valgus\"]", NULL);

    assert_int_equal(analytics_top_faults(f->s, f->user, NULL, 0, 0, 10, &a, &n), 0);
    assert_int_equal(n, 4);
    assert_string_equal(a[0].exercise, "pushup");
    assert_string_equal(a[0].fault, "hips_sag");
    assert_int_equal(a[0].count, 5);
    assert_string_equal(a[1].exercise, "squat");
    assert_string_equal(a[1].fault, "shallow_depth");
    assert_int_equal(a[1].count, 7);
    assert_string_equal(a[2].fault, "knee_valgus");
    assert_int_equal(a[2].count, 4);
    assert_string_equal(a[3].fault, "forward_lean");
    assert_int_equal(a[3].count, 2);
    free(a);

    /* per-exercise cap, exercise filter, time window */
    assert_int_equal(analytics_top_faults(f->s, f->user, NULL, 0, 0, 1, &a, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(a[1].fault, "shallow_depth");
    free(a);
    assert_int_equal(analytics_top_faults(f->s, f->user, "squat", T("2026-03-02"),
                                          T("2026-03-03"), 10, &a, &n),
                     0);
    assert_int_equal(n, 2);
    assert_string_equal(a[0].fault, "shallow_depth");
    assert_int_equal(a[0].count, 3);
    assert_string_equal(a[1].fault, "forward_lean");
    free(a);
    assert_int_equal(analytics_top_faults(f->s, f->user, "deadlift", 0, 0, 10, &a, &n), 0);
    assert_int_equal(n, 0);
    assert_null(a);
    assert_int_equal(analytics_top_faults(f->s, f->user, NULL, 0, 0, 0, &a, &n), RR_ERR_INVAL);
}

static void scans__page_through_more_than_one_store_page(void **state)
{
    struct fx *f = *state;
    for (int i = 0; i < 130; i++)
        put(f, f->user, "2026-03-05", "pushup", 1, 50 + (i % 2), 0, 0, "[\"hips_sag\"]", NULL);
    struct store_analytics_day *d = NULL;
    size_t n = 0;
    day_rows(f, "2026-03-05", &d, &n);
    assert_int_equal(n, 1);
    assert_int_equal(d[0].sessions, 130);
    assert_int_equal(d[0].reps, 130);
    free(d);
    struct analytics_fault *a = NULL;
    assert_int_equal(analytics_top_faults(f->s, f->user, NULL, 0, 0, 3, &a, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(a[0].count, 130);
    free(a);
}

int main(void)
{
#define T_(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dates__parse_strict_calendar_days_and_format_utc_days),
        cmocka_unit_test(dates__period_and_record_names_round_trip),
        T_(update__aggregates_a_day_and_rerunning_does_not_double_count),
        T_(update__recompute_after_delete_shrinks_then_removes_the_row),
        T_(update__plank_without_rep_rows_counts_its_set_score_once),
        T_(update__reps_that_could_not_be_judged_stay_out_of_the_mean_score),
        T_(update__is_scoped_to_the_owner_and_checks_arguments),
        T_(summary__folds_days_into_iso_weeks_and_months),
        T_(summary__week_labels_follow_the_iso_week_year),
        T_(summary__refuses_bad_and_oversized_ranges),
        T_(streaks__run_across_a_month_end_and_break_on_gaps),
        T_(records__keep_the_best_set_per_exercise_and_the_earliest_on_ties),
        T_(faults__are_ranked_per_exercise_most_frequent_first),
        T_(scans__page_through_more_than_one_store_page),
    };
#undef T_
    return cmocka_run_group_tests(tests, NULL, NULL);
}
