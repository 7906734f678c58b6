/*
 * test_store_pg_reconnect.c - the PostgreSQL backend's connection handling against a real
 * server (tests/support/pgtest.h): the store survives a server restart (store_check fails while
 * it is down and passes after, stale pooled connections are replaced), the pool is bounded and
 * serves more threads than connections, a dead server is a clean error.
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

#include "base/rr_error.h"
#include "store/store.h"
#include "support/pgtest.h"
#include "support/rrtest.h"

static char g_url[512];

static struct store *open_store(void)
{
    struct store *s = NULL;
    char msg[256] = "";
    assert_int_equal(pgtest_new_db(g_url, sizeof g_url, NULL, 0), 0);
    assert_int_equal(store_open(g_url, &s, msg, sizeof msg), 0);
    assert_int_equal(store_migrate(s, NULL, msg, sizeof msg), 0);
    assert_string_equal(store_backend_name(s), "postgres");
    return s;
}

struct hammer {
    struct store *s;
    int ok, failed;
};

static void *hammer_thread(void *arg)
{
    struct hammer *h = arg;
    char id[STORE_ID_LEN + 1];
    struct store_job j;
    for (int i = 0; i < 20; i++) {
        if (store_job_enqueue(h->s, "k", NULL, "{}", 3, 0, id) == 0 &&
            store_job_get(h->s, NULL, id, &j) == 0)
            h->ok++;
        else
            h->failed++;
    }
    return NULL;
}

/* Many threads at once (more than the pool has connections): all served. */
static void pool__serves_more_threads_than_connections(void **state)
{
    (void)state;
    enum { THREADS = 24 };
    struct store *s = open_store();
    pthread_t t[THREADS];
    struct hammer h[THREADS];
    for (int i = 0; i < THREADS; i++) {
        h[i] = (struct hammer){s, 0, 0};
        assert_int_equal(pthread_create(&t[i], NULL, hammer_thread, &h[i]), 0);
    }
    int ok = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(h[i].failed, 0);
        ok += h[i].ok;
    }
    assert_int_equal(ok, THREADS * 20);
    struct store_job_counts c;
    assert_int_equal(store_job_counts(s, &c), 0);
    assert_int_equal(c.queued, THREADS * 20);
    struct store_stats st;
    assert_int_equal(store_stats(s, &st), 0);
    assert_true(st.writes >= THREADS * 20);
    store_close(s);
}

/* Server restarted under a live store: down = clean errors, up again = everything works on
 * new connections, no store re-open. */
static void reconnect__the_store_survives_a_server_restart(void **state)
{
    (void)state;
    if (!pgtest_owns_server())
        rrtest_skip_case("test_store_pg_reconnect", "an external server cannot be restarted");
    struct store *s = open_store();
    char msg[256] = "", id[STORE_ID_LEN + 1];
    struct store_user u;
    assert_int_equal(store_user_create(s, "a@example.com", "h", "user", &u), 0);
    /* warm several pooled connections so there are stale ones after the restart */
    pthread_t t[6];
    struct hammer h[6];
    for (int i = 0; i < 6; i++) {
        h[i] = (struct hammer){s, 0, 0};
        assert_int_equal(pthread_create(&t[i], NULL, hammer_thread, &h[i]), 0);
    }
    for (int i = 0; i < 6; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(store_check(s, msg, sizeof msg), 0);

    assert_int_equal(pgtest_server_stop(), 0);
    int err = store_check(s, msg, sizeof msg);
    assert_int_equal(err, RR_ERR_IO);
    assert_non_null(strstr(msg, "database unreachable"));
    assert_int_equal(store_job_enqueue(s, "k", NULL, "{}", 1, 0, id), RR_ERR_IO);
    struct store_user got;
    assert_int_equal(store_user_get(s, u.id, &got), RR_ERR_IO);

    assert_int_equal(pgtest_server_start(), 0);
    assert_int_equal(store_check(s, msg, sizeof msg), 0);
    /* every pooled connection was dead: each is replaced on first use, no call fails */
    for (int i = 0; i < 6; i++) {
        h[i] = (struct hammer){s, 0, 0};
        assert_int_equal(pthread_create(&t[i], NULL, hammer_thread, &h[i]), 0);
    }
    for (int i = 0; i < 6; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(h[i].failed, 0);
    }
    assert_int_equal(store_user_get(s, u.id, &got), 0);
    assert_string_equal(got.email, "a@example.com");
    store_close(s);
}

/* Restart while idle, then straight to a write: the stale connection's BEGIN is retried. */
static void reconnect__the_first_write_after_a_restart_succeeds(void **state)
{
    (void)state;
    if (!pgtest_owns_server())
        rrtest_skip_case("test_store_pg_reconnect", "an external server cannot be restarted");
    struct store *s = open_store();
    char id[STORE_ID_LEN + 1];
    assert_int_equal(store_job_enqueue(s, "k", NULL, "{}", 1, 0, id), 0);
    assert_int_equal(pgtest_server_stop(), 0);
    assert_int_equal(pgtest_server_start(), 0);
    assert_int_equal(store_job_enqueue(s, "k", NULL, "{}", 1, 0, id), 0);
    struct store_job j;
    assert_int_equal(store_job_get(s, NULL, id, &j), 0);
    store_close(s);
}

/* Errors map like SQLite's: unique -> CONFLICT, foreign key -> NOTFOUND. */
static void errors__map_to_the_store_codes(void **state)
{
    (void)state;
    struct store *s = open_store();
    struct store_user u;
    assert_int_equal(store_user_create(s, "b@example.com", "h", "user", &u), 0);
    assert_int_equal(store_user_create(s, "B@EXAMPLE.com", "h", "user", NULL), RR_ERR_CONFLICT);
    struct store_video v = {0};
    snprintf(v.user_id, sizeof v.user_id, "%s", "0123456789abcdef0123456789abcdef");
    snprintf(v.blob_key, sizeof v.blob_key, "k");
    snprintf(v.status, sizeof v.status, "uploaded");
    assert_int_equal(store_video_create(s, &v), RR_ERR_NOTFOUND);
    store_close(s);
}

/* Children read in one statement: sets without reps leave no empty rows behind. */
static void children__sets_without_reps_leave_no_gaps(void **state)
{
    (void)state;
    struct store *s = open_store();
    struct store_user u;
    assert_int_equal(store_user_create(s, "c@example.com", "h", "user", &u), 0);
    struct store_workout w = {0};
    memcpy(w.user_id, u.id, sizeof w.user_id);
    snprintf(w.exercise, sizeof w.exercise, "squat");
    struct store_set sets[3];
    memset(sets, 0, sizeof sets);
    for (int i = 0; i < 3; i++) {
        sets[i].idx = i;
        snprintf(sets[i].exercise, sizeof sets[i].exercise, "squat");
    }
    struct store_rep reps[3];
    memset(reps, 0, sizeof reps);
    reps[0].set_idx = 0;
    reps[1].set_idx = 2;
    reps[1].idx = 0;
    reps[2].set_idx = 2;
    reps[2].idx = 1;
    assert_int_equal(store_workout_put(s, &w, sets, 3, reps, 3, NULL), 0);
    struct store_rep *got = NULL;
    struct store_set *gs = NULL;
    size_t n = 0;
    assert_int_equal(store_workout_reps(s, u.id, w.id, &got, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(got[0].set_idx, 0);
    assert_int_equal(got[1].set_idx, 2);
    assert_int_equal(got[2].idx, 1);
    free(got);
    assert_int_equal(store_workout_sets(s, u.id, w.id, &gs, &n), 0);
    assert_int_equal(n, 3);
    free(gs);
    store_close(s);
}

struct claimer {
    struct store *s;
    int id;
    int rc;
    pthread_barrier_t *go;
};

static void *claim_thread(void *arg)
{
    struct claimer *c = arg;
    char owner[32];
    struct store_job j;
    snprintf(owner, sizeof owner, "w%d", c->id);
    pthread_barrier_wait(c->go);
    c->rc = store_job_claim_capped(c->s, owner, 60000, 2, &j);
    return NULL;
}

/* Claims racing for one owner's jobs under a cap of 2 live leases: exactly 2 succeed (the cap is
 * counted under the owner's advisory lock, SKIP LOCKED alone would let 8 through). */
static void claims__the_per_user_cap_holds_under_concurrent_claims(void **state)
{
    (void)state;
    enum { THREADS = 8 };
    struct store *s = open_store();
    struct store_user u;
    char id[STORE_ID_LEN + 1];
    assert_int_equal(store_user_create(s, "d@example.com", "h", "user", &u), 0);
    for (int i = 0; i < 20; i++)
        assert_int_equal(store_job_enqueue(s, "k", u.id, "{}", 3, 0, id), 0);
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, THREADS);
    pthread_t t[THREADS];
    struct claimer c[THREADS];
    for (int i = 0; i < THREADS; i++) {
        c[i] = (struct claimer){s, i, 1, &go};
        assert_int_equal(pthread_create(&t[i], NULL, claim_thread, &c[i]), 0);
    }
    int ok = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        assert_true(c[i].rc == 0 || c[i].rc == RR_ERR_NOTFOUND);
        ok += c[i].rc == 0;
    }
    pthread_barrier_destroy(&go);
    assert_int_equal(ok, 2);
    struct store_job_counts n;
    assert_int_equal(store_job_counts(s, &n), 0);
    assert_int_equal(n.running, 2);
    assert_int_equal(n.queued, 18);
    store_close(s);
}

int main(void)
{
    int rc = pgtest_start();
    if (rc)
        return rc == RRTEST_SKIP_CODE ? rc : 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pool__serves_more_threads_than_connections),
        cmocka_unit_test(errors__map_to_the_store_codes),
        cmocka_unit_test(children__sets_without_reps_leave_no_gaps),
        cmocka_unit_test(claims__the_per_user_cap_holds_under_concurrent_claims),
        cmocka_unit_test(reconnect__the_first_write_after_a_restart_succeeds),
        cmocka_unit_test(reconnect__the_store_survives_a_server_restart),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    pgtest_shutdown();
    return rrtest_status(failed);
}
