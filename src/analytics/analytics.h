/*
 * analytics.h - RepRight's training aggregates: the analytics_daily rows kept per (user, UTC day,
 * exercise), and the summaries built from them and from the stored workouts (periods, streaks,
 * personal records, most frequent faults).
 *
 * Definitions (docs/internals/analytics.md has the long form):
 *  - day: the UTC calendar day of a workout's started_at ("YYYY-MM-DD"); weeks are ISO 8601
 *    weeks (Monday first, label "2026-W48", the week-year being the year of its Thursday);
 *    months are calendar months ("2026-11").
 *  - sessions: workouts. reps: the sum of the workout's sets' rep counts. A workout with no rep
 *    and no hold (an analysis that recognised no exercise, "unknown", 0 reps) counts nowhere.
 *  - volume_kg: load-weighted volume, sum over sets of load_kg x reps for sets whose load is
 *    known (load_kg > 0); bodyweight sets add reps but no volume.
 *  - faults: the fault names of reps judged bad (a good rep's failed checks are notes).
 *  - mean score: over every stored rep's score; a set without rep rows (a plank hold) counts
 *    its set score once when that score is > 0.
 *  - streaks: consecutive UTC days with at least one session; the current streak must end today
 *    or yesterday (store clock), otherwise it is 0.
 *  - records per exercise: most reps in one set, best set score, longest hold (hold_ms).
 * A workout is counted under workout.exercise (all its sets).
 *
 * The daily rows are kept by the store: each workout write adds or takes back its share in its
 * own transaction (store.h "Derived numbers"). analytics_update_for_workout() and
 * analytics_recompute() RECOMPUTE a row from everything stored for that day and exercise (never
 * double counting): the oracle of the store's rows in the tests, and their repair.
 *
 * Ownership: list results are malloc'd arrays the caller frees with free() (NULL when *n == 0).
 * Errors (negative RR_ERR_*): INVAL (bad argument or date), NOTFOUND (no such workout for that
 * user), TOOBIG (a range or scan over its bound), and whatever the store returns.
 * Thread-safety: stateless; safe from any thread with a shared store. A recomputation racing a
 * write of the same row may leave the older snapshot; the next recomputation repairs it.
 */
#ifndef RR_ANALYTICS_ANALYTICS_H
#define RR_ANALYTICS_ANALYTICS_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define ANALYTICS_DAY_MS 86400000LL
#define ANALYTICS_RANGE_DAYS_MAX 3700 /* summary ranges: about ten years */
#define ANALYTICS_SCAN_MAX 20000      /* workouts read by one records/faults/recompute scan */
#define ANALYTICS_FAULT_MAX 63        /* fault name length kept */

enum analytics_period { ANALYTICS_DAY = 0, ANALYTICS_WEEK, ANALYTICS_MONTH };

struct analytics_bucket {
    char start[11]; /* first day of the bucket (the Monday for weeks, the 1st for months) */
    char label[11]; /* "2026-11-25", "2026-W48", "2026-11" */
    int64_t sessions, reps;
    double volume_kg;
    double mean_score; /* score_sum / score_n, 0 when score_n == 0 */
    double score_sum;
    int64_t score_n;
};

struct analytics_streak {
    int64_t current, longest; /* days */
    char current_start[11];   /* first day of the current streak, "" when current == 0 */
    char last_day[11];        /* latest training day, "" when none */
};

struct analytics_fault {
    char exercise[STORE_NAME_MAX + 1];
    char fault[ANALYTICS_FAULT_MAX + 1];
    int64_t count;
};

enum analytics_record_kind {
    ANALYTICS_MOST_REPS = 0, /* value: reps in one set */
    ANALYTICS_BEST_SET_SCORE, /* value: set score */
    ANALYTICS_LONGEST_HOLD,   /* value: hold in milliseconds */
};

struct analytics_record {
    char exercise[STORE_NAME_MAX + 1];
    enum analytics_record_kind kind;
    double value;
    char workout_id[STORE_ID_LEN + 1];
    char day[11]; /* UTC day of that workout */
};

/* ---- dates ---------------------------------------------------------------------------------- */

/* UTC day of a millisecond timestamp. */
void analytics_day_of(int64_t t_ms, char out[11]);
/* Strict "YYYY-MM-DD" (a real calendar date, years 1970..9999) -> ms at 00:00 UTC. INVAL. */
int analytics_day_parse(const char *day, int64_t *t_ms);
/* "day"|"week"|"month" -> period; INVAL otherwise. */
int analytics_period_parse(const char *s, enum analytics_period *out);
const char *analytics_period_name(enum analytics_period p);
const char *analytics_record_kind_name(enum analytics_record_kind k);

/* ---- maintenance ---------------------------------------------------------------------------- */

/* Recompute the (user, day of the workout, workout.exercise) row from the stored workouts. */
int analytics_update_for_workout(struct store *s, const char *user_id, const char *workout_id);
/* Recompute one (user, day, exercise) row; deletes it when no workout is left. */
int analytics_recompute(struct store *s, const char *user_id, const char *day,
                        const char *exercise);

/* ---- queries -------------------------------------------------------------------------------- */

/* Non-empty buckets covering [from_day, to_day] (inclusive), ascending; exercise NULL = all.
 * TOOBIG when the range exceeds ANALYTICS_RANGE_DAYS_MAX days; INVAL when to < from. */
int analytics_summary(struct store *s, const char *user_id, enum analytics_period p,
                      const char *from_day, const char *to_day, const char *exercise,
                      struct analytics_bucket **out, size_t *n);
/* Current and longest streak over the user's days from the day of from_ms on (0 = the whole
 * history; the plan's history cut-off); today from the store clock. */
int analytics_streaks(struct store *s, const char *user_id, int64_t from_ms,
                      struct analytics_streak *out);
/* Fault counts over the user's reps of workouts started in [from_ms, to_ms) (0 = open), grouped
 * by exercise (ascending), most frequent first (ties by name), at most per_exercise each;
 * exercise NULL = all. */
int analytics_top_faults(struct store *s, const char *user_id, const char *exercise,
                         int64_t from_ms, int64_t to_ms, size_t per_exercise,
                         struct analytics_fault **out, size_t *n);
/* Personal records over the workouts started at or after from_ms (0 = all; the plan's history
 * cut-off): per exercise (ascending) and kind, only kinds with a value > 0; the earliest
 * workout reaching the value holds the record. */
int analytics_records(struct store *s, const char *user_id, int64_t from_ms,
                      struct analytics_record **out, size_t *n);

#endif
