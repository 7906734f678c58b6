/*
 * test_store_plans.c - the store's side of plans (migration "plans"): the seeded plans, a user's
 * plan and organisation, metered video rows (count + insert in one transaction: 16 threads at
 * limit - 1 -> exactly one row; the user's and the organisation's counters), usage listing,
 * feature flags and their rules, billing events applied once. Argument refusals included.
 * SQLite on a temporary file; PostgreSQL (test_store_plans_pg) with RR_TEST_STORE=postgres.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/rr_error.h"
#include "store/store.h"
#include "support/pgtest.h"

struct fx {
    char dir[128];
    struct store *s;
    struct store_user u;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    char url[200], msg[200];
    snprintf(f->dir, sizeof f->dir, "/tmp/rr-store-plans-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(pgtest_store_url(f->dir, "t.db", url, sizeof url), 0);
    assert_int_equal(store_open(url, &f->s, msg, sizeof msg), 0);
    assert_int_equal(store_migrate(f->s, NULL, msg, sizeof msg), 0);
    assert_int_equal(store_user_create(f->s, "q@example.com", "x", "user", &f->u), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    char cmd[200];
    store_close(f->s);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", f->dir);
    free(f);
    return 0;
}

static void video_of(const struct fx *f, struct store_video *v)
{
    memset(v, 0, sizeof *v);
    snprintf(v->user_id, sizeof v->user_id, "%s", f->u.id);
    snprintf(v->blob_key, sizeof v->blob_key, "videos/k/original");
    snprintf(v->status, sizeof v->status, "uploaded");
}

static void plans__three_are_seeded_by_rank_and_a_user_starts_free(void **state)
{
    struct fx *f = *state;
    struct store_plan *p = NULL, one;
    size_t n = 0;
    assert_int_equal(store_plan_list(f->s, &p, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(p[0].id, "free");
    assert_string_equal(p[1].id, "pro");
    assert_string_equal(p[2].id, "gym");
    assert_int_equal(p[0].uploads_per_month, 10);
    assert_false(p[0].overlay_video);
    assert_int_equal(p[2].uploads_per_month, -1);
    free(p);
    assert_string_equal(f->u.plan, "free");
    struct store_user got;
    assert_int_equal(store_user_get(f->s, f->u.id, &got), 0);
    assert_string_equal(got.plan, "free");
    assert_string_equal(got.org_id, "");
    assert_int_equal(store_plan_get(f->s, "nope", &one), RR_ERR_NOTFOUND);
    assert_int_equal(store_plan_get(f->s, "Bad Id", &one), RR_ERR_NOTFOUND);
    assert_int_equal(store_user_set_plan(f->s, f->u.id, "pro"), 0);
    assert_int_equal(store_user_set_plan(f->s, f->u.id, "nope"), RR_ERR_INVAL);
    assert_int_equal(store_user_set_plan(f->s, "0123456789abcdef0123456789abcdef", "pro"),
                     RR_ERR_NOTFOUND);
    assert_int_equal(store_user_set_org(f->s, f->u.id, "org-1"), 0);
    assert_int_equal(store_user_get_by_email(f->s, "Q@example.com", &got), 0);
    assert_string_equal(got.plan, "pro");
    assert_string_equal(got.org_id, "org-1");
    assert_int_equal(store_org_plan(f->s, "org-1", &one), RR_ERR_NOTFOUND);
    assert_int_equal(store_user_set_org(f->s, f->u.id, ""), 0);
    assert_int_equal(store_user_get(f->s, f->u.id, &got), 0);
    assert_string_equal(got.org_id, "");
}

struct race {
    struct fx *f;
    pthread_barrier_t *go;
    int rc;
};

static void *racer(void *arg)
{
    struct race *r = arg;
    struct store_video v;
    video_of(r->f, &v);
    /* warm up: on PostgreSQL this opens the pool's connections (opened on demand, one at a
     * time), so the racing transactions really overlap instead of queueing on connects */
    for (int i = 0; i < 20; i++) {
        struct store_plan *p = NULL;
        size_t n = 0;
        if (store_plan_list(r->f->s, &p, &n) == 0)
            free(p);
    }
    pthread_barrier_wait(r->go);
    r->rc = store_video_create_metered(r->f->s, &v, "uploads", NULL, NULL);
    return NULL;
}

static void meter__sixteen_threads_at_limit_minus_one_make_exactly_one_row(void **state)
{
    struct fx *f = *state;
    struct store_video v;
    struct store_meter m;
    for (int i = 0; i < 9; i++) {
        video_of(f, &v);
        assert_int_equal(store_video_create_metered(f->s, &v, "uploads", "org-9", &m), 0);
        assert_int_equal(m.used, i);
        assert_int_equal(m.limit, 10);
    }
    enum { N = 16 };
    pthread_t t[N];
    struct race r[N];
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, N);
    for (int i = 0; i < N; i++) {
        r[i] = (struct race){f, &go, 1};
        assert_int_equal(pthread_create(&t[i], NULL, racer, &r[i]), 0);
    }
    int ok = 0, quota = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        ok += r[i].rc == 0;
        quota += r[i].rc == RR_ERR_QUOTA;
    }
    pthread_barrier_destroy(&go);
    assert_int_equal(ok, 1);
    assert_int_equal(quota, N - 1);
    video_of(f, &v);
    assert_int_equal(store_video_create_metered(f->s, &v, "uploads", NULL, &m), RR_ERR_QUOTA);
    assert_int_equal(m.used, 10);
    assert_string_equal(m.plan, "free");
    struct store_video *items = NULL;
    size_t n = 0;
    char next[STORE_CURSOR_MAX];
    assert_int_equal(store_video_list(f->s, f->u.id, NULL, 100, &items, &n, next), 0);
    assert_int_equal(n, 10); /* a refused row was rolled back with its count */
    free(items);
    /* an unlimited plan counts without refusing */
    assert_int_equal(store_user_set_plan(f->s, f->u.id, "gym"), 0);
    video_of(f, &v);
    assert_int_equal(store_video_create_metered(f->s, &v, "uploads", NULL, &m), 0);
    assert_int_equal(m.limit, -1);
    assert_int_equal(m.used, 10);
    /* the month's rows: the user's 11, the organisation's 9 (explicit org only) */
    char month[STORE_MONTH_LEN + 1];
    store_month_of(store_now(f->s), month);
    struct store_usage_row *rows = NULL;
    assert_int_equal(store_usage_list(f->s, month, NULL, &rows, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].subject_kind, "user");
    assert_int_equal(rows[0].count, 11);
    assert_string_equal(rows[0].plan, "gym");
    assert_string_equal(rows[1].subject_kind, "org");
    assert_string_equal(rows[1].subject_id, "org-9");
    assert_int_equal(rows[1].count, 9);
    free(rows);
    assert_int_equal(store_video_create_metered(f->s, &v, "Up Loads", NULL, &m), RR_ERR_INVAL);
    assert_int_equal(store_usage_add(f->s, f->u.id, NULL, "uploads", -1, NULL), RR_ERR_INVAL);
    assert_int_equal(store_usage_list(f->s, "2026-1", NULL, &rows, &n), RR_ERR_INVAL);
}

static void meter__a_deleted_user_takes_its_counters_not_the_orgs(void **state)
{
    struct fx *f = *state;
    struct store_user keep;
    char ref[STORE_ID_LEN + 1], month[STORE_MONTH_LEN + 1];
    struct store_usage_row *rows = NULL;
    size_t n = 0;
    store_new_id(ref);
    assert_int_equal(store_user_create(f->s, "k@example.com", "x", "user", &keep), 0);
    assert_int_equal(store_usage_add(f->s, f->u.id, "org-7", "uploads", 2, ref), 0);
    assert_int_equal(store_usage_add(f->s, f->u.id, NULL, "analysis_seconds", 30, ref), 0);
    assert_int_equal(store_usage_add(f->s, keep.id, NULL, "uploads", 1, ref), 0);
    store_month_of(store_now(f->s), month);
    assert_int_equal(store_usage_list(f->s, month, NULL, &rows, &n), 0);
    free(rows);
    assert_int_equal(n, 4); /* the user's two, the other user's one, the org's one */
    assert_int_equal(store_user_delete(f->s, f->u.id), 0);
    assert_int_equal(store_usage_list(f->s, month, NULL, &rows, &n), 0);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++)
        assert_string_not_equal(rows[i].subject_id, f->u.id);
    free(rows);
    assert_int_equal(store_user_delete(f->s, f->u.id), RR_ERR_NOTFOUND);
}

static void meter__month_of_is_utc(void **state)
{
    (void)state;
    char m[STORE_MONTH_LEN + 1];
    store_month_of(0, m);
    assert_string_equal(m, "1970-01");
    store_month_of(1798761599000LL, m); /* 2026-12-31T23:59:59Z */
    assert_string_equal(m, "2026-12");
    store_month_of(1798761600000LL, m); /* 2027-01-01T00:00:00Z */
    assert_string_equal(m, "2027-01");
}

static void flags__rules_per_scope_and_their_deletion(void **state)
{
    struct fx *f = *state;
    struct store_flag *fl = NULL;
    size_t n = 0;
    assert_int_equal(store_flag_list(f->s, f->u.id, NULL, "pro", &fl, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(fl[1].name, "priority_queue");
    assert_int_equal(fl[1].plan_rule, 1);
    assert_int_equal(fl[1].user_rule, -1);
    assert_int_equal(fl[0].rollout_percent, 100);
    free(fl);
    assert_int_equal(store_flag_rule(f->s, "priority_queue", "user", f->u.id, 0), 0);
    assert_int_equal(store_flag_rule(f->s, "priority_queue", "user", f->u.id, 1), 0); /* upsert */
    assert_int_equal(store_flag_list(f->s, f->u.id, "org-2", "free", &fl, &n), 0);
    assert_int_equal(fl[1].user_rule, 1);
    assert_int_equal(fl[1].plan_rule, -1);
    free(fl);
    assert_int_equal(store_flag_rule(f->s, "priority_queue", "user", f->u.id, -1), 0);
    assert_int_equal(store_flag_rule(f->s, "priority_queue", "user", f->u.id, -1),
                     RR_ERR_NOTFOUND);
    assert_int_equal(store_flag_rule(f->s, "priority_queue", "user", "", 1), RR_ERR_INVAL);
    assert_int_equal(store_flag_set(f->s, "new.flag-1", "d", 5), 0);
    assert_int_equal(store_flag_set(f->s, "New", "d", 5), RR_ERR_INVAL);
}

static void billing__an_event_is_applied_once(void **state)
{
    struct fx *f = *state;
    int dup = -1;
    struct store_user got;
    assert_int_equal(store_billing_apply(f->s, "evt_1", "subscription.updated", f->u.id, "pro",
                                         &dup),
                     0);
    assert_int_equal(dup, 0);
    assert_int_equal(store_user_set_plan(f->s, f->u.id, "free"), 0);
    assert_int_equal(store_billing_apply(f->s, "evt_1", "subscription.updated", f->u.id, "pro",
                                         &dup),
                     0);
    assert_int_equal(dup, 1);
    assert_int_equal(store_user_get(f->s, f->u.id, &got), 0);
    assert_string_equal(got.plan, "free"); /* the replay changed nothing */
    assert_int_equal(store_billing_apply(f->s, "evt_2", "subscription.updated", f->u.id,
                                         "platinum", &dup),
                     RR_ERR_INVAL);
    assert_int_equal(store_billing_apply(f->s, "evt_3", "subscription.updated",
                                         "0123456789abcdef0123456789abcdef", "pro", &dup),
                     RR_ERR_NOTFOUND);
    /* neither refused event was recorded: a retry after the fix applies */
    assert_int_equal(store_billing_apply(f->s, "evt_2", "subscription.updated", f->u.id, "gym",
                                         &dup),
                     0);
    assert_int_equal(dup, 0);
    assert_int_equal(store_user_get(f->s, f->u.id, &got), 0);
    assert_string_equal(got.plan, "gym");
    assert_int_equal(store_billing_apply(f->s, "", "t", f->u.id, "gym", &dup), RR_ERR_INVAL);
}

struct replay {
    struct fx *f;
    pthread_barrier_t *go;
    int rc, dup;
};

static void *replayer(void *arg)
{
    struct replay *r = arg;
    for (int i = 0; i < 20; i++) { /* warm up the pool, as in racer() */
        struct store_plan *p = NULL;
        size_t n = 0;
        if (store_plan_list(r->f->s, &p, &n) == 0)
            free(p);
    }
    pthread_barrier_wait(r->go);
    r->rc = store_billing_apply(r->f->s, "evt_par", "subscription.updated", r->f->u.id, "pro",
                                &r->dup);
    return NULL;
}

/* The provider delivering one event several times at once: applied once, the others are
 * duplicates (not CONFLICT: on PostgreSQL the writers really run together). */
static void billing__parallel_replays_of_one_event_apply_it_once(void **state)
{
    struct fx *f = *state;
    enum { N = 8 };
    pthread_t t[N];
    struct replay r[N];
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, N);
    for (int i = 0; i < N; i++) {
        r[i] = (struct replay){f, &go, 1, -1};
        assert_int_equal(pthread_create(&t[i], NULL, replayer, &r[i]), 0);
    }
    int applied = 0, dups = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(r[i].rc, 0);
        applied += r[i].dup == 0;
        dups += r[i].dup == 1;
    }
    pthread_barrier_destroy(&go);
    assert_int_equal(applied, 1);
    assert_int_equal(dups, N - 1);
    struct store_user got;
    assert_int_equal(store_user_get(f->s, f->u.id, &got), 0);
    assert_string_equal(got.plan, "pro");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(plans__three_are_seeded_by_rank_and_a_user_starts_free,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            meter__sixteen_threads_at_limit_minus_one_make_exactly_one_row, setup, teardown),
        cmocka_unit_test(meter__month_of_is_utc),
        cmocka_unit_test_setup_teardown(meter__a_deleted_user_takes_its_counters_not_the_orgs,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(flags__rules_per_scope_and_their_deletion, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(billing__an_event_is_applied_once, setup, teardown),
        cmocka_unit_test_setup_teardown(billing__parallel_replays_of_one_event_apply_it_once,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
