/*
 * test_worker_fair.c - the worker pool shares its workers fairly between job owners (issue 15:
 * "one user can monopolise analysis"): with one worker, a user who queued 6 jobs first and a
 * user who queued 2 after take turns (A B A B A A A A, not A A A A A A B B); with three workers
 * and a per-user cap of 1, a user never has two jobs running at once while the third worker
 * serves the other user; without a cap the same pool uses every worker for the one busy user.
 * The kinds are test functions (no app, no models).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/rr_error.h"
#include "queue/queue.h"
#include "queue/worker.h"
#include "store/store.h"
#include "support/pgtest.h"
#include "support/rrtest.h"
#include "support/rrtest_redis.h"

static const char *g_url = "db"; /* the queue backend under test (main runs both) */

#define MAX_RUNS 64

struct tctx {
    pthread_mutex_t mu;
    char order[MAX_RUNS]; /* 'A' / 'B' per job, in the order they started */
    int n;
    int running[2];       /* per owner, now */
    int max_running[2];   /* per owner, ever */
    int max_total;
    int total;
    int sleep_ms;
    char a[STORE_ID_LEN + 1], b[STORE_ID_LEN + 1];
};

struct fx {
    char dir[64];
    struct store *store;
    struct tctx t;
};

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int k_record(struct job_ctx *ctx, char *err, size_t err_len)
{
    (void)err;
    (void)err_len;
    struct tctx *t = ctx->ctx;
    int who = strcmp(ctx->job->user_id, t->a) == 0 ? 0 : 1;
    pthread_mutex_lock(&t->mu);
    if (t->n < MAX_RUNS)
        t->order[t->n++] = who ? 'B' : 'A';
    t->running[who]++;
    t->total++;
    if (t->running[who] > t->max_running[who])
        t->max_running[who] = t->running[who];
    if (t->total > t->max_total)
        t->max_total = t->total;
    pthread_mutex_unlock(&t->mu);
    sleep_ms(t->sleep_ms);
    pthread_mutex_lock(&t->mu);
    t->running[who]--;
    t->total--;
    pthread_mutex_unlock(&t->mu);
    return 0;
}

static const struct job_kind kinds[] = {{.name = "record", .run = k_record}};

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    char url[128], msg[256] = "";
    struct store_user u;
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/rr-worker-fair-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(pgtest_store_url(f->dir, "q.db", url, sizeof url), 0);
    assert_int_equal(store_open(url, &f->store, msg, sizeof msg), 0);
    assert_int_equal(store_migrate(f->store, NULL, msg, sizeof msg), 0);
    assert_int_equal(store_user_create(f->store, "a@example.com", "h", "user", &u), 0);
    memcpy(f->t.a, u.id, sizeof f->t.a);
    assert_int_equal(store_user_create(f->store, "b@example.com", "h", "user", &u), 0);
    memcpy(f->t.b, u.id, sizeof f->t.b);
    pthread_mutex_init(&f->t.mu, NULL);
    assert_int_equal(rrtest_redis_flush_url(g_url), 0);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    char cmd[128];
    store_close(f->store);
    pthread_mutex_destroy(&f->t.mu);
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static void enqueue(struct fx *f, const char *user, int n)
{
    for (int i = 0; i < n; i++) {
        assert_int_equal(store_job_enqueue(f->store, "record", user, NULL, 3, 0, NULL), 0);
        sleep_ms(2); /* distinct created_at */
    }
}

static void run_pool(struct fx *f, int threads, int per_user_max, int jobs)
{
    struct worker_config wc = {.store = f->store, .queue_url = g_url, .threads = threads, .lease_s = 30,
                               .kinds = kinds, .n_kinds = 1, .ctx = &f->t,
                               .per_user_max = per_user_max};
    struct worker_pool *p = NULL;
    char msg[128];
    assert_int_equal(worker_pool_start(&wc, &p, msg, sizeof msg), 0);
    for (int i = 0; i < 3000 && worker_pool_jobs_finished(p) < jobs; i++)
        sleep_ms(10);
    assert_int_equal(worker_pool_jobs_finished(p), jobs);
    worker_pool_stop(p);
}

static void test_one_worker_takes_turns(void **state)
{
    struct fx *f = *state;
    enqueue(f, f->t.a, 6);
    enqueue(f, f->t.b, 2);
    f->t.sleep_ms = 5;
    run_pool(f, 1, 0, 8);
    f->t.order[f->t.n] = '\0';
    print_message("one worker, A queued 6 then B 2: %s\n", f->t.order);
    assert_string_equal(f->t.order, "ABABAAAA");
}

static void test_cap_per_user(void **state)
{
    struct fx *f = *state;
    enqueue(f, f->t.a, 6);
    enqueue(f, f->t.b, 3);
    f->t.sleep_ms = 60;
    run_pool(f, 3, 1, 9);
    print_message("three workers, cap 1: at most %d of A and %d of B at once\n",
                  f->t.max_running[0], f->t.max_running[1]);
    assert_int_equal(f->t.max_running[0], 1);
    assert_int_equal(f->t.max_running[1], 1);
}

static void test_no_cap_uses_every_worker(void **state)
{
    struct fx *f = *state;
    enqueue(f, f->t.a, 6);
    f->t.sleep_ms = 100;
    run_pool(f, 3, 0, 6);
    print_message("three workers, no cap, one user: %d at once\n", f->t.max_running[0]);
    assert_true(f->t.max_running[0] >= 2);
}

static int run(const char *url)
{
    g_url = url;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_one_worker_takes_turns, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_cap_per_user, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_no_cap_uses_every_worker, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests_name(strcmp(url, "db") == 0 ? "test_worker_fair db" : "test_worker_fair redis",
                                       tests, NULL, NULL);
}

int main(void)
{
    return rrtest_status(rrtest_queue_backends("test_worker_fair", "?block_ms=50&takeover_ms=200", run));
}
