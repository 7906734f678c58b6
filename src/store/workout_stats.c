/*
 * workout_stats.c - what a workout adds to the derived numbers kept beside it: the counts the
 * workout list shows (reps, reps by verdict) and its share of its analytics_daily row.
 *
 * DESIGN: computed in C from the records the caller hands to store_workout_put (before the
 * backend takes its write lock, so the serial part of a write stays small), stored on the
 * workout row, added to the (user, day, exercise) analytics row in the same transaction as the
 * workout and taken back from it when the workout is replaced or deleted. The definitions are
 * analytics' (docs/internals/analytics.md); analytics_recompute() reads the children and stays
 * the oracle the tests compare against (tests/unit/analytics/test_analytics_incremental.c).
 */
#include "store/store_internal.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#define DAY_MS 86400000LL

/* The rep's metrics "verdict" string, classified: 1 good, 2 bad, 3 cannot_judge, 0 none (no
 * verdict, not a string, malformed metrics) - as the SQL json_extract of the migration. */
static int rep_verdict(const struct store_rep *r)
{
    if (!strstr(r->metrics, "verdict") && !strchr(r->metrics, '\\'))
        return 0; /* the common early exit: no parse (an escaped key could spell it) */
    json_t *m = json_loads(r->metrics, 0, NULL);
    const char *v = json_string_value(json_object_get(m, "verdict"));
    int k = !v ? 0 : strcmp(v, "good") == 0 ? 1 : strcmp(v, "bad") == 0 ? 2
              : strcmp(v, "cannot_judge") == 0 ? 3 : 0;
    json_decref(m);
    return k;
}

void store__workout_stats(const struct store_set *sets, size_t nsets,
                          const struct store_rep *reps, size_t nreps,
                          struct store_workout_stats *out)
{
    memset(out, 0, sizeof *out);
    int64_t hold = 0;
    for (size_t i = 0; i < nsets; i++) {
        const struct store_set *st = &sets[i];
        out->reps += st->reps;
        hold += st->hold_ms;
        if (st->load_kg > 0 && st->reps > 0)
            out->volume += st->load_kg * st->reps;
        int has_rep_rows = 0;
        for (size_t j = 0; j < nreps && !has_rep_rows; j++)
            has_rep_rows = reps[j].set_idx == (int)i;
        if (!has_rep_rows && st->score > 0) { /* a hold: its set score counts once */
            out->score_sum += st->score;
            out->score_n++;
        }
    }
    for (size_t j = 0; j < nreps; j++) {
        int k = rep_verdict(&reps[j]);
        out->good += k == 1;
        out->bad += k == 2;
        out->unjudged += k == 3;
        if (k != 3) { /* a rep that cannot be judged has no score */
            out->score_sum += reps[j].score;
            out->score_n++;
        }
    }
    out->active = out->reps > 0 || hold > 0 || nreps > 0;
}

void store__workout_stats_add(struct store_workout_stats *into,
                              const struct store_workout_stats *add)
{
    into->reps += add->reps;
    into->good += add->good;
    into->bad += add->bad;
    into->unjudged += add->unjudged;
    into->active = into->active || add->active;
    into->volume += add->volume;
    into->score_sum += add->score_sum;
    into->score_n += add->score_n;
}

void store__day_of(int64_t t_ms, char out[11])
{
    int64_t z = t_ms / DAY_MS;
    if (t_ms % DAY_MS != 0 && t_ms < 0)
        z--; /* floor */
    /* civil_from_days (H. Hinnant) */
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    int64_t y = yoe + era * 400 + (m <= 2);
    if (y < 0 || y > 9999)
        y = y < 0 ? 0 : 9999; /* outside any real workout; keeps the text 10 characters */
    snprintf(out, 11, "%04d-%02d-%02d", (int)y, m, d);
}
