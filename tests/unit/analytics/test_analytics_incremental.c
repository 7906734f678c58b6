/*
 * test_analytics_incremental.c - the analytics rows the store keeps incrementally (each workout
 * write adds or takes back its share in its own transaction, issue 12) against the oracle, a
 * full recompute from the stored workouts (analytics_recompute), after seeded random sequences
 * of puts, video re-analyses (replace, maybe onto another day or exercise), session sets (append,
 * maybe moving the session's start to an earlier day), deletes and retried syncs, for two users.
 * Also: the counts stored on the workout row (reps, reps by verdict) against the rep rows, and
 * a retried sync or a refused write counts nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analytics/analytics.h"
#include "base/rr_error.h"
#include "store/store.h"
#include "support/pgtest.h"

#define NDAYS 4
#define NEX 3
#define MAXW 400

static const char *const days[NDAYS] = {"2026-02-28", "2026-03-01", "2026-03-02", "2026-03-31"};
static const char *const exercises[NEX] = {"squat", "pushup", "plank"};

struct fx {
    struct store *s;
    char dir[64];
    char user[2][STORE_ID_LEN + 1];
    int64_t now;
    uint64_t rng;
    /* what the sequence created: workouts (maybe deleted since), videos, sessions */
    char wid[MAXW][STORE_ID_LEN + 1];
    int wuser[MAXW];
    size_t nw;
    char vid[8][STORE_ID_LEN + 1];
    int vuser[8];
    int nsync; /* client ids handed out */
};

static int64_t fx_clock(void *ctx)
{
    struct fx *f = ctx;
    return f->now++;
}

static uint32_t rnd(struct fx *f, uint32_t n)
{
    f->rng = f->rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(f->rng >> 33) % n;
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
    snprintf(f->dir, sizeof f->dir, "/tmp/rr-incr-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(pgtest_store_url(f->dir, "test.db", url, sizeof url), 0);
    assert_int_equal(store_open(url, &f->s, msg, sizeof msg), 0);
    assert_int_equal(store_migrate(f->s, NULL, msg, sizeof msg), 0);
    f->now = T("2026-04-01");
    store_set_clock(f->s, fx_clock, f);
    assert_int_equal(store_user_create(f->s, "a@example.com", "hash", "user", &u), 0);
    memcpy(f->user[0], u.id, sizeof f->user[0]);
    assert_int_equal(store_user_create(f->s, "b@example.com", "hash", "user", &u), 0);
    memcpy(f->user[1], u.id, sizeof f->user[1]);
    for (int i = 0; i < 8; i++) {
        struct store_video v;
        memset(&v, 0, sizeof v);
        f->vuser[i] = i % 2;
        memcpy(v.user_id, f->user[i % 2], sizeof v.user_id);
        snprintf(v.blob_key, sizeof v.blob_key, "videos/%d/original", i);
        snprintf(v.status, sizeof v.status, "done");
        v.size = 1;
        assert_int_equal(store_video_create(f->s, &v), 0);
        memcpy(f->vid[i], v.id, sizeof f->vid[i]);
    }
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

/* Random sets and reps: rep rows or only a count, verdicts of every kind (and none, and
 * malformed metrics), loads known or not, holds, fractional scores; sometimes nothing at all. */
static size_t random_body(struct fx *f, const char *exercise, struct store_set *sets,
                          size_t max_sets, struct store_rep *reps, size_t *nreps)
{
    static const char *const metrics[] = {
        "{\"verdict\":\"good\"}", "{\"verdict\":\"bad\",\"cue\":\"knees\"}",
        "{\"verdict\":\"cannot_judge\",\"cannot_judge_reason\":\"occluded\"}", "{}",
        "not json", "{\"verdict\":7}", "{\"verd\\u0069ct\":\"bad\"}"};
    size_t nsets = 1 + rnd(f, (uint32_t)max_sets);
    *nreps = 0;
    for (size_t i = 0; i < nsets; i++) {
        struct store_set *st = &sets[i];
        memset(st, 0, sizeof *st);
        st->idx = (int)i;
        snprintf(st->exercise, sizeof st->exercise, "%s", exercise);
        st->reps = (int)rnd(f, 5);                  /* 0..4, 0 = none */
        st->score = rnd(f, 4) ? rnd(f, 400) / 4.0 : 0; /* quarters: exact sums */
        st->load_kg = rnd(f, 2) ? 0 : 2.5 * (1 + rnd(f, 40));
        st->hold_ms = rnd(f, 4) == 0 ? 1000 * (int64_t)rnd(f, 60) : 0;
        if (rnd(f, 3) == 0)
            continue; /* a set without rep rows */
        for (int j = 0; j < st->reps; j++) {
            struct store_rep *r = &reps[(*nreps)++];
            memset(r, 0, sizeof *r);
            r->set_idx = (int)i;
            r->idx = j;
            r->t_start_ms = j * 2000;
            r->t_end_ms = j * 2000 + 1500;
            r->score = rnd(f, 1000) / 8.0;
            snprintf(r->metrics, sizeof r->metrics, "%s",
                     metrics[rnd(f, sizeof metrics / sizeof metrics[0])]);
            snprintf(r->faults, sizeof r->faults, "[]");
        }
    }
    return nsets;
}

static void fill_workout(struct fx *f, struct store_workout *w, int user)
{
    memset(w, 0, sizeof *w);
    memcpy(w->user_id, f->user[user], sizeof w->user_id);
    snprintf(w->exercise, sizeof w->exercise, "%s", exercises[rnd(f, NEX)]);
    w->started_at = T(days[rnd(f, NDAYS)]) + (int64_t)rnd(f, 86400) * 1000;
    w->duration_ms = 1000 * (int64_t)rnd(f, 600);
    w->score = rnd(f, 100);
}

static void remember(struct fx *f, const struct store_workout *w, int user)
{
    for (size_t i = 0; i < f->nw; i++)
        if (strcmp(f->wid[i], w->id) == 0)
            return;
    if (f->nw < MAXW) {
        memcpy(f->wid[f->nw], w->id, sizeof f->wid[0]);
        f->wuser[f->nw++] = user;
    }
}

static void op_put(struct fx *f, int user, int with_client_id)
{
    struct store_workout w;
    struct store_set sets[3];
    struct store_rep reps[12];
    size_t nreps;
    char cid[32];
    fill_workout(f, &w, user);
    size_t nsets = random_body(f, w.exercise, sets, 3, reps, &nreps);
    snprintf(cid, sizeof cid, "c%d", f->nsync++);
    assert_int_equal(store_workout_put(f->s, &w, sets, nsets, reps, nreps,
                                       with_client_id ? cid : NULL),
                     0);
    remember(f, &w, user);
    if (with_client_id && rnd(f, 2)) { /* the retry of that sync: nothing is written */
        struct store_workout again;
        fill_workout(f, &again, user);
        assert_int_equal(store_workout_put(f->s, &again, sets, nsets, reps, nreps, cid),
                         RR_ERR_CONFLICT);
        assert_string_equal(again.id, w.id);
    }
}

static void op_video(struct fx *f)
{
    struct store_workout w;
    struct store_set sets[3];
    struct store_rep reps[12];
    size_t nreps;
    int v = (int)rnd(f, 8);
    fill_workout(f, &w, f->vuser[v]);
    memcpy(w.video_id, f->vid[v], sizeof w.video_id);
    size_t nsets = random_body(f, w.exercise, sets, 2, reps, &nreps);
    assert_int_equal(store_workout_put(f->s, &w, sets, nsets, reps, nreps, NULL), 0);
    remember(f, &w, f->vuser[v]);
}

static void op_session(struct fx *f, int user)
{
    struct store_workout w;
    struct store_set set;
    struct store_rep reps[12];
    size_t nreps;
    char key[64], cid[32];
    int appended = 0;
    fill_workout(f, &w, user);
    snprintf(key, sizeof key, "session/%s/s%u", w.exercise, rnd(f, 3));
    (void)random_body(f, w.exercise, &set, 1, reps, &nreps);
    snprintf(cid, sizeof cid, "c%d", f->nsync++);
    assert_int_equal(store_workout_put_session(f->s, &w, &set, reps, nreps, cid, key, &appended),
                     0);
    remember(f, &w, user);
}

static void op_delete(struct fx *f)
{
    if (!f->nw)
        return;
    size_t i = rnd(f, (uint32_t)f->nw);
    int err = store_workout_delete(f->s, f->user[f->wuser[i]], f->wid[i]);
    assert_true(err == 0 || err == RR_ERR_NOTFOUND); /* NOTFOUND: deleted or replaced before */
    /* another user's id is refused and changes nothing */
    if (f->nw > 1)
        assert_true(store_workout_delete(f->s, f->user[1 - f->wuser[0]], f->wid[0]) ==
                        RR_ERR_NOTFOUND ||
                    strcmp(f->user[1 - f->wuser[0]], f->user[f->wuser[0]]) == 0);
}

/* Every analytics row of both users, then the oracle's, must agree. */
static void check_against_oracle(struct fx *f)
{
    for (int u = 0; u < 2; u++) {
        struct store_analytics_day *kept = NULL, *oracle = NULL;
        size_t nk = 0, no = 0;
        assert_int_equal(store_analytics_range(f->s, f->user[u], "2026-01-01", "2026-12-31",
                                               NULL, &kept, &nk),
                         0);
        for (int d = 0; d < NDAYS; d++)
            for (int e = 0; e < NEX; e++)
                assert_int_equal(analytics_recompute(f->s, f->user[u], days[d], exercises[e]), 0);
        assert_int_equal(store_analytics_range(f->s, f->user[u], "2026-01-01", "2026-12-31",
                                               NULL, &oracle, &no),
                         0);
        if (nk != no) {
            fprintf(stderr, "user %d: %zu rows kept, the oracle has %zu\n", u, nk, no);
            for (size_t i = 0; i < nk; i++)
                fprintf(stderr, "  kept %s %s %lld\n", kept[i].day, kept[i].exercise,
                        (long long)kept[i].sessions);
            for (size_t i = 0; i < no; i++)
                fprintf(stderr, "  oracle %s %s %lld\n", oracle[i].day, oracle[i].exercise,
                        (long long)oracle[i].sessions);
        }
        assert_int_equal(nk, no);
        for (size_t i = 0; i < nk; i++) {
            assert_string_equal(kept[i].day, oracle[i].day);
            assert_string_equal(kept[i].exercise, oracle[i].exercise);
            assert_int_equal(kept[i].sessions, oracle[i].sessions);
            assert_int_equal(kept[i].reps, oracle[i].reps);
            assert_int_equal(kept[i].score_n, oracle[i].score_n);
            assert_true(fabs(kept[i].volume - oracle[i].volume) < 1e-6);
            assert_true(fabs(kept[i].score_sum - oracle[i].score_sum) < 1e-6);
        }
        free(kept);
        free(oracle);
    }
}

/* The counts on each listed workout against its rep rows and sets. */
static void check_counts(struct fx *f)
{
    for (int u = 0; u < 2; u++) {
        char cursor[STORE_CURSOR_MAX] = "";
        do {
            struct store_workout *items = NULL;
            size_t n = 0;
            assert_int_equal(store_workout_list(f->s, f->user[u], NULL, cursor, STORE_PAGE_MAX,
                                                &items, &n, cursor),
                             0);
            for (size_t i = 0; i < n; i++) {
                struct store_set *sets = NULL;
                struct store_rep *reps = NULL;
                size_t ns = 0, nr = 0;
                int sum = 0, good = 0, bad = 0, cj = 0;
                assert_int_equal(store_workout_sets(f->s, f->user[u], items[i].id, &sets, &ns), 0);
                assert_int_equal(store_workout_reps(f->s, f->user[u], items[i].id, &reps, &nr), 0);
                for (size_t j = 0; j < ns; j++)
                    sum += sets[j].reps;
                for (size_t j = 0; j < nr; j++) {
                    good += strcmp(reps[j].metrics, "{\"verdict\":\"good\"}") == 0;
                    bad += strncmp(reps[j].metrics, "{\"verdict\":\"bad\"", 16) == 0 ||
                           strstr(reps[j].metrics, "\\u0069") != NULL;
                    cj += strstr(reps[j].metrics, "\"cannot_judge\"") != NULL;
                }
                assert_int_equal(items[i].reps, sum);
                assert_int_equal(items[i].reps_good, good);
                assert_int_equal(items[i].reps_bad, bad);
                assert_int_equal(items[i].reps_unjudged, cj);
                struct store_workout one;
                assert_int_equal(store_workout_get(f->s, f->user[u], items[i].id, &one), 0);
                assert_int_equal(one.reps_bad, bad);
                free(sets);
                free(reps);
            }
            free(items);
        } while (cursor[0]);
    }
}

static void run_sequence(struct fx *f, uint64_t seed, int ops)
{
    f->rng = seed;
    for (int i = 1; i <= ops; i++) {
        int user = (int)rnd(f, 2);
        switch (rnd(f, 10)) {
        case 0: case 1: case 2: op_put(f, user, rnd(f, 2)); break;
        case 3: case 4: op_video(f); break;
        case 5: case 6: op_session(f, user); break;
        default: op_delete(f); break;
        }
        if (i % 25 == 0)
            check_against_oracle(f);
    }
    check_against_oracle(f);
    check_counts(f);
}

static void incremental__matches_a_full_recompute_after_random_sequences(void **state)
{
    struct fx *f = *state;
    run_sequence(f, 12, 150);
    run_sequence(f, 0x5eed, 150);
}

/* A workout with nothing in it counts nowhere; once a session set brings reps, it counts on
 * the day its (earlier) start moved to, and its old day's row is gone. */
static void incremental__session_moves_to_an_earlier_day_and_starts_counting(void **state)
{
    struct fx *f = *state;
    struct store_workout w;
    struct store_set set;
    struct store_rep rep;
    struct store_analytics_day *rows = NULL;
    size_t n = 0;
    int appended = 0;
    memset(&w, 0, sizeof w);
    memset(&set, 0, sizeof set);
    memset(&rep, 0, sizeof rep);
    memcpy(w.user_id, f->user[0], sizeof w.user_id);
    snprintf(w.exercise, sizeof w.exercise, "squat");
    snprintf(set.exercise, sizeof set.exercise, "squat");
    w.started_at = T("2026-03-02") + 60000; /* 00:01 */
    assert_int_equal(store_workout_put_session(f->s, &w, &set, NULL, 0, NULL, "session/squat/x",
                                               &appended),
                     0);
    assert_int_equal(appended, 0);
    assert_int_equal(store_analytics_range(f->s, f->user[0], "2026-01-01", "2026-12-31", NULL,
                                           &rows, &n),
                     0);
    assert_int_equal(n, 0); /* nothing trained yet */
    w.started_at = T("2026-03-01") + 86340000; /* 23:59 the day before */
    set.reps = 1;
    rep.score = 75;
    snprintf(rep.metrics, sizeof rep.metrics, "{\"verdict\":\"good\"}");
    snprintf(rep.faults, sizeof rep.faults, "[]");
    assert_int_equal(store_workout_put_session(f->s, &w, &set, &rep, 1, NULL, "session/squat/x",
                                               &appended),
                     0);
    assert_int_equal(appended, 1);
    assert_int_equal(store_analytics_range(f->s, f->user[0], "2026-01-01", "2026-12-31", NULL,
                                           &rows, &n),
                     0);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].day, "2026-03-01");
    assert_int_equal(rows[0].sessions, 1);
    assert_int_equal(rows[0].reps, 1);
    assert_true(rows[0].mean_score == 75);
    free(rows);
    struct store_workout got;
    assert_int_equal(store_workout_get(f->s, f->user[0], w.id, &got), 0);
    assert_int_equal(got.reps, 1);
    assert_int_equal(got.reps_good, 1);
    /* deleting it leaves no row behind */
    assert_int_equal(store_workout_delete(f->s, f->user[0], w.id), 0);
    assert_int_equal(store_analytics_range(f->s, f->user[0], "2026-01-01", "2026-12-31", NULL,
                                           &rows, &n),
                     0);
    assert_int_equal(n, 0);
    free(rows);
}

/* A retried sync and a write that fails (a foreign key) leave the rows as they were. */
static void incremental__a_refused_write_counts_nothing(void **state)
{
    struct fx *f = *state;
    struct store_workout w;
    struct store_set set;
    struct store_analytics_day *rows = NULL;
    size_t n = 0;
    memset(&w, 0, sizeof w);
    memset(&set, 0, sizeof set);
    memcpy(w.user_id, f->user[0], sizeof w.user_id);
    snprintf(w.exercise, sizeof w.exercise, "squat");
    snprintf(set.exercise, sizeof set.exercise, "squat");
    set.reps = 5;
    w.started_at = T("2026-03-01");
    assert_int_equal(store_workout_put(f->s, &w, &set, 1, NULL, 0, "once"), 0);
    /* the same client id again: CONFLICT, nothing counted twice */
    assert_int_equal(store_workout_put(f->s, &w, &set, 1, NULL, 0, "once"), RR_ERR_CONFLICT);
    /* an unknown user (foreign key): refused, rolled back with its analytics share */
    memcpy(w.user_id, "0123456789abcdef0123456789abcdef", sizeof w.user_id);
    assert_int_not_equal(store_workout_put(f->s, &w, &set, 1, NULL, 0, NULL), 0);
    assert_int_equal(store_analytics_range(f->s, f->user[0], "2026-03-01", "2026-03-01", NULL,
                                           &rows, &n),
                     0);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].sessions, 1);
    assert_int_equal(rows[0].reps, 5);
    free(rows);
    check_against_oracle(f);
}

int main(void)
{
#define T_(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T_(incremental__matches_a_full_recompute_after_random_sequences),
        T_(incremental__session_moves_to_an_earlier_day_and_starts_counting),
        T_(incremental__a_refused_write_counts_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
