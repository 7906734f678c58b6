/*
 * analytics.c - the training aggregator: recomputes analytics_daily rows from stored workouts and
 * answers the summary queries (period buckets, streaks, records, faults). Pure C over store.h.
 *
 * DESIGN: the daily row is derived data, kept by the store's workout writes in their own
 * transaction (each adds or takes back its share, so retries and re-analyses never double
 * count). analytics_recompute() reads all workouts of that (user, day, exercise) and writes the
 * totals with store_analytics_set: the oracle the tests compare the kept rows with. Days
 * are UTC. Periods longer than a day are folded from daily rows in memory; records and faults
 * need per-set / per-rep detail and scan the workouts themselves (bounded by
 * ANALYTICS_SCAN_MAX).
 */
#include "analytics/analytics.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rr_error.h"

/* ---- dates ---------------------------------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (era arithmetic, valid for year >= 0). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = y / 400;
    int64_t yoe = y - era * 400;
    int64_t mp = (m + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static void day_name(int64_t dn, char out[11])
{
    int y, m, d;
    civil_from_days(dn, &y, &m, &d);
    snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
}

void analytics_day_of(int64_t t_ms, char out[11])
{
    day_name(floor_div(t_ms, ANALYTICS_DAY_MS), out);
}

/* "YYYY-MM-DD" -> day number; INVAL unless a real date in 1970..9999. */
static int day_number(const char *day, int64_t *dn)
{
    if (!day || strlen(day) != 10 || day[4] != '-' || day[7] != '-')
        return RR_ERR_INVAL;
    int v[3] = {0, 0, 0};
    static const int start[3] = {0, 5, 8}, len[3] = {4, 2, 2};
    for (int f = 0; f < 3; f++)
        for (int i = 0; i < len[f]; i++) {
            char c = day[start[f] + i];
            if (c < '0' || c > '9')
                return RR_ERR_INVAL;
            v[f] = v[f] * 10 + (c - '0');
        }
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (v[0] < 1970 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > mdays[v[1] - 1])
        return RR_ERR_INVAL;
    int leap = (v[0] % 4 == 0 && v[0] % 100 != 0) || v[0] % 400 == 0;
    if (v[1] == 2 && v[2] == 29 && !leap)
        return RR_ERR_INVAL;
    *dn = days_from_civil(v[0], v[1], v[2]);
    return 0;
}

int analytics_day_parse(const char *day, int64_t *t_ms)
{
    int64_t dn;
    if (!t_ms)
        return RR_ERR_INVAL;
    int err = day_number(day, &dn);
    if (err)
        return err;
    *t_ms = dn * ANALYTICS_DAY_MS;
    return 0;
}

static const char *const period_names[] = {"day", "week", "month"};

int analytics_period_parse(const char *s, enum analytics_period *out)
{
    for (int i = 0; s && out && i < 3; i++)
        if (strcmp(s, period_names[i]) == 0) {
            *out = (enum analytics_period)i;
            return 0;
        }
    return RR_ERR_INVAL;
}

const char *analytics_period_name(enum analytics_period p)
{
    return (unsigned)p < 3 ? period_names[p] : "unknown";
}

const char *analytics_record_kind_name(enum analytics_record_kind k)
{
    static const char *const names[] = {"most_reps_in_set", "best_set_score", "longest_hold_ms"};
    return (unsigned)k < 3 ? names[k] : "unknown";
}

/* Bucket of a day number: its first day and label. */
static int64_t bucket_of(enum analytics_period p, int64_t dn, char label[11])
{
    int y, m, d;
    if (p == ANALYTICS_DAY) {
        day_name(dn, label);
        return dn;
    }
    if (p == ANALYTICS_MONTH) {
        civil_from_days(dn, &y, &m, &d);
        snprintf(label, 11, "%04d-%02d", y, m);
        return days_from_civil(y, m, 1);
    }
    /* ISO week: Monday first; 1970-01-01 (day 0) was a Thursday */
    int64_t wd = dn - ((dn + 3) % 7 + 7) % 7; /* the Monday on or before dn */
    int64_t thursday = wd + 3;
    civil_from_days(thursday, &y, &m, &d);
    int64_t week = (thursday - days_from_civil(y, 1, 1)) / 7 + 1;
    snprintf(label, 11, "%04d-W%02d", y, (int)week);
    return wd;
}

/* ---- workout scans -------------------------------------------------------------------------- */

typedef int (*scan_fn)(struct store *s, const char *user_id, const struct store_workout *w,
                       void *ctx);

/* Every workout of the user matching f (newest first), at most ANALYTICS_SCAN_MAX. */
static int scan_workouts(struct store *s, const char *user_id, const struct store_workout_filter *f,
                         scan_fn fn, void *ctx)
{
    char cursor[STORE_CURSOR_MAX] = "";
    size_t seen = 0;
    int err = 0;
    do {
        struct store_workout *items = NULL;
        size_t n = 0;
        err = store_workout_list(s, user_id, f, cursor, STORE_PAGE_MAX, &items, &n, cursor);
        for (size_t i = 0; !err && i < n; i++) {
            if (++seen > ANALYTICS_SCAN_MAX)
                err = RR_ERR_TOOBIG;
            else
                err = fn(s, user_id, &items[i], ctx);
        }
        free(items);
    } while (!err && cursor[0]);
    return err;
}

/* ---- recomputation -------------------------------------------------------------------------- */

struct day_totals {
    int64_t sessions, reps, score_n;
    double volume, score_sum;
};

/* A rep that could not be judged has no score (docs/report-schema.md): its stored 0 is a
 * placeholder for the NOT NULL column, not a score, and stays out of the means. */
static int rep_has_score(const struct store_rep *r)
{
    json_t *m = json_loads(r->metrics, 0, NULL);
    const char *v = json_string_value(json_object_get(m, "verdict"));
    int scored = !v || strcmp(v, "cannot_judge") != 0;
    json_decref(m);
    return scored;
}

/* Faults count only on reps judged bad; a rep stored without a verdict (older syncs) counts
 * by its fault list. */
static int rep_judged_bad(const struct store_rep *r)
{
    json_t *m = json_loads(r->metrics, 0, NULL);
    const char *v = json_string_value(json_object_get(m, "verdict"));
    int bad = !v || strcmp(v, "bad") == 0;
    json_decref(m);
    return bad;
}

static int add_workout_totals(struct store *s, const char *user_id, const struct store_workout *w,
                              void *ctx)
{
    struct day_totals *t = ctx;
    struct store_set *sets = NULL;
    struct store_rep *reps = NULL;
    size_t nsets = 0, nreps = 0;
    int err = store_workout_sets(s, user_id, w->id, &sets, &nsets);
    if (!err)
        err = store_workout_reps(s, user_id, w->id, &reps, &nreps);
    if (err == RR_ERR_NOTFOUND) /* deleted while we scanned */
        err = 0;
    if (err)
        goto out;
    /* A workout with no rep and no hold (an analysis that recognised nothing, a set stopped
     * before its first rep) is no training: it counts nowhere. */
    int64_t all_reps = 0, all_hold = 0;
    for (size_t i = 0; i < nsets; i++) {
        all_reps += sets[i].reps;
        all_hold += sets[i].hold_ms;
    }
    if (all_reps <= 0 && all_hold <= 0 && nreps == 0)
        goto out;
    t->sessions++;
    for (size_t i = 0; i < nsets; i++) {
        t->reps += sets[i].reps;
        if (sets[i].load_kg > 0 && sets[i].reps > 0)
            t->volume += sets[i].load_kg * sets[i].reps;
        int has_rep_rows = 0;
        for (size_t j = 0; j < nreps && !has_rep_rows; j++)
            has_rep_rows = strcmp(reps[j].set_id, sets[i].id) == 0;
        if (!has_rep_rows && sets[i].score > 0) {
            t->score_sum += sets[i].score;
            t->score_n++;
        }
    }
    for (size_t j = 0; j < nreps; j++) {
        if (!rep_has_score(&reps[j]))
            continue;
        t->score_sum += reps[j].score;
        t->score_n++;
    }
out:
    free(sets);
    free(reps);
    return err;
}

int analytics_recompute(struct store *s, const char *user_id, const char *day,
                        const char *exercise)
{
    int64_t t0;
    if (!s || !user_id || !exercise || !exercise[0])
        return RR_ERR_INVAL;
    int err = analytics_day_parse(day, &t0);
    if (err)
        return err;
    struct store_workout_filter f = {exercise, t0, t0 + ANALYTICS_DAY_MS};
    struct day_totals t = {0, 0, 0, 0, 0};
    err = scan_workouts(s, user_id, &f, add_workout_totals, &t);
    if (err)
        return err;
    return store_analytics_set(s, user_id, day, exercise, t.sessions, t.reps, t.volume,
                               t.score_sum, t.score_n);
}

int analytics_update_for_workout(struct store *s, const char *user_id, const char *workout_id)
{
    struct store_workout w;
    if (!s || !user_id || !workout_id)
        return RR_ERR_INVAL;
    int err = store_workout_get(s, user_id, workout_id, &w);
    if (err)
        return err;
    char day[11];
    analytics_day_of(w.started_at, day);
    return analytics_recompute(s, user_id, day, w.exercise);
}

/* ---- summaries ------------------------------------------------------------------------------ */

/* Daily rows of [from, to] (day numbers) in chunks small enough for STORE_ANALYTICS_MAX. */
typedef int (*row_fn)(const struct store_analytics_day *d, int64_t dn, void *ctx);

static int each_day_row(struct store *s, const char *user_id, int64_t from, int64_t to,
                        const char *exercise, row_fn fn, void *ctx)
{
    int err = 0;
    for (int64_t lo = from; !err && lo <= to; lo += 200) {
        int64_t hi = lo + 199 < to ? lo + 199 : to;
        char a[11], b[11];
        day_name(lo, a);
        day_name(hi, b);
        struct store_analytics_day *rows = NULL;
        size_t n = 0;
        err = store_analytics_range(s, user_id, a, b, exercise, &rows, &n);
        if (!err && n >= STORE_ANALYTICS_MAX)
            err = RR_ERR_TOOBIG; /* more exercises per day than any real user has */
        for (size_t i = 0; !err && i < n; i++) {
            int64_t dn;
            err = day_number(rows[i].day, &dn);
            if (!err)
                err = fn(&rows[i], dn, ctx);
        }
        free(rows);
    }
    return err;
}

struct bucket_acc {
    enum analytics_period p;
    struct analytics_bucket *b;
    size_t n, cap;
    int64_t last_start;
};

static int fold_bucket(const struct store_analytics_day *d, int64_t dn, void *ctx)
{
    struct bucket_acc *acc = ctx;
    char label[11];
    int64_t start = bucket_of(acc->p, dn, label);
    if (acc->n == 0 || acc->last_start != start) {
        if (acc->n == acc->cap) {
            size_t ncap = acc->cap ? acc->cap * 2 : 16;
            struct analytics_bucket *nb = realloc(acc->b, ncap * sizeof *nb);
            if (!nb)
                return RR_ERR_NOMEM;
            acc->b = nb;
            acc->cap = ncap;
        }
        struct analytics_bucket *nbk = &acc->b[acc->n++];
        memset(nbk, 0, sizeof *nbk);
        day_name(start, nbk->start);
        memcpy(nbk->label, label, sizeof nbk->label);
        acc->last_start = start;
    }
    struct analytics_bucket *b = &acc->b[acc->n - 1];
    b->sessions += d->sessions;
    b->reps += d->reps;
    b->volume_kg += d->volume;
    b->score_sum += d->score_sum;
    b->score_n += d->score_n;
    b->mean_score = b->score_n > 0 ? b->score_sum / (double)b->score_n : 0;
    return 0;
}

int analytics_summary(struct store *s, const char *user_id, enum analytics_period p,
                      const char *from_day, const char *to_day, const char *exercise,
                      struct analytics_bucket **out, size_t *n)
{
    int64_t from, to;
    if (!s || !user_id || !out || !n || (unsigned)p > ANALYTICS_MONTH)
        return RR_ERR_INVAL;
    *out = NULL;
    *n = 0;
    if (day_number(from_day, &from) || day_number(to_day, &to) || to < from)
        return RR_ERR_INVAL;
    if (to - from + 1 > ANALYTICS_RANGE_DAYS_MAX)
        return RR_ERR_TOOBIG;
    struct bucket_acc acc = {p, NULL, 0, 0, 0};
    int err = each_day_row(s, user_id, from, to, exercise, fold_bucket, &acc);
    if (err) {
        free(acc.b);
        return err;
    }
    *out = acc.b;
    *n = acc.n;
    return 0;
}

/* ---- streaks -------------------------------------------------------------------------------- */

struct streak_acc {
    int64_t prev;  /* last training day seen, or INT64_MIN */
    int64_t run;   /* length of the run ending at prev */
    int64_t start; /* first day of that run */
    int64_t longest;
};

static int fold_streak(const struct store_analytics_day *d, int64_t dn, void *ctx)
{
    struct streak_acc *a = ctx;
    if (d->sessions <= 0 || dn == a->prev)
        return 0;
    if (a->run > 0 && dn == a->prev + 1) {
        a->run++;
    } else {
        a->run = 1;
        a->start = dn;
    }
    a->prev = dn;
    if (a->run > a->longest)
        a->longest = a->run;
    return 0;
}

int analytics_streaks(struct store *s, const char *user_id, int64_t from_ms,
                      struct analytics_streak *out)
{
    char first[11], last[11];
    if (!s || !user_id || !out)
        return RR_ERR_INVAL;
    memset(out, 0, sizeof *out);
    int err = store_analytics_span(s, user_id, first, last);
    if (err == RR_ERR_NOTFOUND)
        return 0;
    if (err)
        return err;
    int64_t from, to;
    if (day_number(first, &from) || day_number(last, &to))
        return RR_ERR_CORRUPT;
    int64_t kept = floor_div(from_ms, ANALYTICS_DAY_MS);
    if (kept > from)
        from = kept;
    if (from > to)
        return 0; /* nothing inside the window */
    struct streak_acc a = {INT64_MIN, 0, 0, 0};
    err = each_day_row(s, user_id, from, to, NULL, fold_streak, &a);
    if (err)
        return err;
    out->longest = a.longest;
    if (a.run > 0)
        day_name(a.prev, out->last_day);
    int64_t today = floor_div(store_now(s), ANALYTICS_DAY_MS);
    if (a.run > 0 && (a.prev == today || a.prev == today - 1)) {
        out->current = a.run;
        day_name(a.start, out->current_start);
    }
    return 0;
}

/* ---- faults --------------------------------------------------------------------------------- */

struct fault_acc {
    struct analytics_fault *f;
    size_t n, cap;
};

static int fault_add(struct fault_acc *a, const char *exercise, const char *name)
{
    if (strlen(name) > ANALYTICS_FAULT_MAX || !name[0])
        return 0; /* not a name we produce; ignore rather than truncate into a false merge */
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->f[i].fault, name) == 0 && strcmp(a->f[i].exercise, exercise) == 0) {
            a->f[i].count++;
            return 0;
        }
    if (a->n == a->cap) {
        size_t ncap = a->cap ? a->cap * 2 : 16;
        struct analytics_fault *nf = realloc(a->f, ncap * sizeof *nf);
        if (!nf)
            return RR_ERR_NOMEM;
        a->f = nf;
        a->cap = ncap;
    }
    struct analytics_fault *f = &a->f[a->n++];
    memset(f, 0, sizeof *f);
    snprintf(f->exercise, sizeof f->exercise, "%s", exercise);
    snprintf(f->fault, sizeof f->fault, "%s", name);
    f->count = 1;
    return 0;
}

static int scan_faults(struct store *s, const char *user_id, const struct store_workout *w,
                       void *ctx)
{
    struct store_rep *reps = NULL;
    size_t n = 0;
    int err = store_workout_reps(s, user_id, w->id, &reps, &n);
    if (err == RR_ERR_NOTFOUND)
        err = 0;
    for (size_t i = 0; !err && i < n; i++) {
        if (!rep_judged_bad(&reps[i]))
            continue; /* a good rep's checks are notes, not faults */
        json_t *arr = json_loads(reps[i].faults, JSON_REJECT_DUPLICATES, NULL);
        size_t k;
        json_t *v;
        json_array_foreach(arr, k, v) {
            if (!err && json_is_string(v))
                err = fault_add(ctx, w->exercise, json_string_value(v));
        }
        json_decref(arr);
    }
    free(reps);
    return err;
}

static int fault_cmp(const void *pa, const void *pb)
{
    const struct analytics_fault *a = pa, *b = pb;
    int c = strcmp(a->exercise, b->exercise);
    if (c)
        return c;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return strcmp(a->fault, b->fault);
}

int analytics_top_faults(struct store *s, const char *user_id, const char *exercise,
                         int64_t from_ms, int64_t to_ms, size_t per_exercise,
                         struct analytics_fault **out, size_t *n)
{
    if (!s || !user_id || !out || !n || per_exercise == 0)
        return RR_ERR_INVAL;
    *out = NULL;
    *n = 0;
    struct store_workout_filter f = {exercise, from_ms, to_ms};
    struct fault_acc a = {NULL, 0, 0};
    int err = scan_workouts(s, user_id, &f, scan_faults, &a);
    if (err) {
        free(a.f);
        return err;
    }
    if (a.n > 1)
        qsort(a.f, a.n, sizeof *a.f, fault_cmp);
    /* keep the first per_exercise of each exercise group */
    size_t w = 0, run = 0;
    for (size_t i = 0; i < a.n; i++) {
        run = (i > 0 && strcmp(a.f[i].exercise, a.f[i - 1].exercise) == 0) ? run + 1 : 0;
        if (run < per_exercise)
            a.f[w++] = a.f[i];
    }
    if (w == 0) {
        free(a.f);
        a.f = NULL;
    }
    *out = a.f;
    *n = w;
    return 0;
}

/* ---- records -------------------------------------------------------------------------------- */

struct record_acc {
    struct analytics_record *r;
    size_t n, cap;
};

static int record_offer(struct record_acc *a, const struct store_workout *w,
                        enum analytics_record_kind kind, double value)
{
    if (!(value > 0))
        return 0;
    for (size_t i = 0; i < a->n; i++) {
        struct analytics_record *r = &a->r[i];
        if (r->kind == kind && strcmp(r->exercise, w->exercise) == 0) {
            /* scans run newest first: ties go to the older workout */
            if (value >= r->value) {
                r->value = value;
                memcpy(r->workout_id, w->id, sizeof r->workout_id);
                analytics_day_of(w->started_at, r->day);
            }
            return 0;
        }
    }
    if (a->n == a->cap) {
        size_t ncap = a->cap ? a->cap * 2 : 16;
        struct analytics_record *nr = realloc(a->r, ncap * sizeof *nr);
        if (!nr)
            return RR_ERR_NOMEM;
        a->r = nr;
        a->cap = ncap;
    }
    struct analytics_record *r = &a->r[a->n++];
    memset(r, 0, sizeof *r);
    memcpy(r->exercise, w->exercise, sizeof r->exercise);
    r->kind = kind;
    r->value = value;
    memcpy(r->workout_id, w->id, sizeof r->workout_id);
    analytics_day_of(w->started_at, r->day);
    return 0;
}

static int scan_records(struct store *s, const char *user_id, const struct store_workout *w,
                        void *ctx)
{
    struct store_set *sets = NULL;
    size_t n = 0;
    int err = store_workout_sets(s, user_id, w->id, &sets, &n);
    if (err == RR_ERR_NOTFOUND)
        err = 0;
    for (size_t i = 0; !err && i < n; i++) {
        err = record_offer(ctx, w, ANALYTICS_MOST_REPS, sets[i].reps);
        if (!err)
            err = record_offer(ctx, w, ANALYTICS_BEST_SET_SCORE, sets[i].score);
        if (!err)
            err = record_offer(ctx, w, ANALYTICS_LONGEST_HOLD, (double)sets[i].hold_ms);
    }
    free(sets);
    return err;
}

static int record_cmp(const void *pa, const void *pb)
{
    const struct analytics_record *a = pa, *b = pb;
    int c = strcmp(a->exercise, b->exercise);
    if (c)
        return c;
    return (int)a->kind - (int)b->kind;
}

int analytics_records(struct store *s, const char *user_id, int64_t from_ms,
                      struct analytics_record **out, size_t *n)
{
    if (!s || !user_id || !out || !n)
        return RR_ERR_INVAL;
    *out = NULL;
    *n = 0;
    struct record_acc a = {NULL, 0, 0};
    struct store_workout_filter f = {NULL, from_ms > 0 ? from_ms : 0, 0};
    int err = scan_workouts(s, user_id, &f, scan_records, &a);
    if (err) {
        free(a.r);
        return err;
    }
    if (a.n > 1)
        qsort(a.r, a.n, sizeof *a.r, record_cmp);
    *out = a.r;
    *n = a.n;
    return 0;
}
