/*
 * test_worker.c - the generic worker pool over a kind table handed in by the test (the pool knows
 * no kind of its own): handlers get the pool's context and write their outcome on the job
 * (done, retry with back-off, dead at once, unknown kind), the heartbeat keeps the lease of a job
 * that runs longer than its lease, an expired lease of a dead worker is taken over, a job that
 * died with its workers on its last attempt is reaped and its kind's dead hook runs, and stop
 * releases the lease of a job still running. No models, no app: the kinds are test functions.
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

/* The handlers' shared context (what the app is to the real kinds). */
struct tctx {
    atomic_int ran;
    atomic_int dead_calls;
    atomic_int slow_ms;
    char dead_job[STORE_ID_LEN + 1];
};

struct fx {
    char dir[256];
    struct store *store;
    struct queue *q;
    struct store_user user;
    struct tctx t;
};

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int k_ok(struct job_ctx *ctx, char *err, size_t err_len)
{
    (void)err;
    (void)err_len;
    struct tctx *t = ctx->ctx;
    job_progress(ctx, "half", 0.5);
    job_progress(ctx, "half", 0.6); /* throttled: same stage within 250 ms */
    atomic_fetch_add(&t->ran, 1);
    return 0;
}

static int k_boom(struct job_ctx *ctx, char *err, size_t err_len)
{
    snprintf(err, err_len, "boom: %s", ctx->job->payload);
    ctx->permanent = 1;
    return RR_ERR_CORRUPT;
}

static int k_transient(struct job_ctx *ctx, char *err, size_t err_len)
{
    (void)ctx;
    snprintf(err, err_len, "store busy, try later");
    return RR_ERR_BUSY;
}

static int k_silent(struct job_ctx *ctx, char *err, size_t err_len)
{
    (void)ctx;
    (void)err;
    (void)err_len;
    return RR_ERR_IO; /* no message: the pool writes the code's text */
}

/* Runs t->slow_ms, in 20 ms steps, reporting progress. */
static int k_slow(struct job_ctx *ctx, char *err, size_t err_len)
{
    (void)err;
    (void)err_len;
    struct tctx *t = ctx->ctx;
    int total = atomic_load(&t->slow_ms);
    for (int done = 0; done < total; done += 20) {
        job_progress(ctx, "slow", (double)done / total);
        sleep_ms(20);
    }
    job_log(ctx, RR_LOG_INFO, "slow job ran", NULL);
    return 0;
}

static void dead_hook(void *ctx, const struct store_job *job)
{
    struct tctx *t = ctx;
    memcpy(t->dead_job, job->id, sizeof t->dead_job);
    atomic_fetch_add(&t->dead_calls, 1);
}

static const struct job_kind kinds[] = {
    {.name = "ok", .run = k_ok, .dead = dead_hook},
    {.name = "boom", .run = k_boom},
    {.name = "transient", .run = k_transient},
    {.name = "silent", .run = k_silent},
    {.name = "slow", .run = k_slow, .lease_s = 3},
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/rr-worker-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char url[512];
    assert_int_equal(pgtest_store_url(f->dir, "db.sqlite", url, sizeof url), 0);
    assert_int_equal(store_open(url, &f->store, NULL, 0), 0);
    assert_int_equal(store_migrate(f->store, NULL, NULL, 0), 0);
    assert_int_equal(store_user_create(f->store, "w@example.com", "x", "user", &f->user), 0);
    assert_int_equal(rrtest_redis_flush_url(g_url), 0);
    assert_int_equal(queue_open(g_url, f->store, &f->q, NULL, 0), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    queue_close(f->q);
    store_close(f->store);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", f->dir);
    free(f);
    return 0;
}

static struct worker_config config(struct fx *f, int threads)
{
    return (struct worker_config){.store = f->store, .queue_url = g_url, .threads = threads,
                                  .lease_s = 6, .kinds = kinds,
                                  .n_kinds = sizeof kinds / sizeof kinds[0], .ctx = &f->t};
}

static void enqueue(struct fx *f, const char *kind, int attempts, char id[STORE_ID_LEN + 1])
{
    assert_int_equal(queue_enqueue(f->q, kind, f->user.id, NULL, "{\"x\":1}", attempts, 0, id), 0);
}

/* Wait until the job is in `want` (or timeout); returns its record. */
static void wait_state(struct fx *f, const char *id, enum store_job_state want, int timeout_ms,
                       struct store_job *j)
{
    for (int waited = 0; waited <= timeout_ms; waited += 20) {
        assert_int_equal(queue_get(f->q, id, j), 0);
        if (j->state == want)
            return;
        sleep_ms(20);
    }
    fail_msg("job %s still %s after %d ms", id, store_job_state_name(j->state), timeout_ms);
}

static void pool__runs_each_kind_and_writes_the_outcome_on_the_job(void **state)
{
    struct fx *f = *state;
    char ok[STORE_ID_LEN + 1], boom[STORE_ID_LEN + 1], again[STORE_ID_LEN + 1];
    char silent[STORE_ID_LEN + 1], bogus[STORE_ID_LEN + 1];
    enqueue(f, "ok", 3, ok);
    enqueue(f, "boom", 3, boom);
    enqueue(f, "transient", 3, again);
    enqueue(f, "silent", 1, silent);
    enqueue(f, "bogus_kind", 3, bogus);
    struct worker_pool *p = NULL;
    struct worker_config c = config(f, 2);
    assert_int_equal(worker_pool_start(&c, &p, NULL, 0), 0);
    struct store_job j;
    wait_state(f, ok, STORE_JOB_DONE, 10000, &j);
    assert_int_equal(j.attempts, 1);
    assert_true(j.progress > 0.99);
    assert_int_equal(atomic_load(&f->t.ran), 1); /* the handler got the pool's context */
    wait_state(f, boom, STORE_JOB_DEAD, 10000, &j);
    assert_int_equal(j.attempts, 1); /* permanent: no retry */
    assert_string_equal(j.error, "boom: {\"x\":1}");
    wait_state(f, silent, STORE_JOB_DEAD, 10000, &j);
    assert_string_equal(j.error, rr_strerror(RR_ERR_IO));
    wait_state(f, bogus, STORE_JOB_DEAD, 10000, &j);
    assert_non_null(strstr(j.error, "unknown job kind \"bogus_kind\""));
    for (int i = 0; i < 500; i++) { /* retryable: queued again with back-off, attempt spent */
        assert_int_equal(queue_get(f->q, again, &j), 0);
        if (j.state == STORE_JOB_QUEUED && j.attempts == 1)
            break;
        sleep_ms(20);
    }
    assert_int_equal(j.state, STORE_JOB_QUEUED);
    assert_int_equal(j.attempts, 1);
    assert_string_equal(j.error, "store busy, try later");
    assert_true(j.run_after >= j.updated_at + STORE_JOB_BACKOFF_BASE_MS);
    worker_pool_stop(p);
    assert_int_equal(atomic_load(&f->t.dead_calls), 0); /* hooks are for reaped jobs only */
}

static void pool__heartbeat_keeps_the_lease_of_a_job_longer_than_its_lease(void **state)
{
    struct fx *f = *state;
    char id[STORE_ID_LEN + 1];
    atomic_store(&f->t.slow_ms, 4500); /* the slow kind's lease is 3 s */
    enqueue(f, "slow", 3, id);
    struct worker_pool *p = NULL;
    struct worker_config c = config(f, 1);
    assert_int_equal(worker_pool_start(&c, &p, NULL, 0), 0);
    struct store_job j;
    wait_state(f, id, STORE_JOB_RUNNING, 5000, &j);
    for (int i = 0; i < 40; i++) { /* past the lease: nobody else may claim it */
        struct store_job other;
        assert_int_equal(queue_claim(f->q, "thief", 1000, &other), RR_ERR_NOTFOUND);
        sleep_ms(100);
    }
    wait_state(f, id, STORE_JOB_DONE, 10000, &j);
    assert_int_equal(j.attempts, 1);
    worker_pool_stop(p);
}

static void pool__takes_over_the_expired_lease_of_a_dead_worker(void **state)
{
    struct fx *f = *state;
    char id[STORE_ID_LEN + 1];
    enqueue(f, "ok", 3, id);
    struct store_job j;
    assert_int_equal(queue_claim(f->q, "dead-worker", 300, &j), 0); /* never heartbeats */
    struct worker_pool *p = NULL;
    struct worker_config c = config(f, 1);
    assert_int_equal(worker_pool_start(&c, &p, NULL, 0), 0);
    wait_state(f, id, STORE_JOB_DONE, 10000, &j);
    /* the pool counts the job once its complete call returned (after the row turned done) */
    for (int i = 0; i < 250 && worker_pool_jobs_finished(p) < 1; i++)
        sleep_ms(20);
    assert_int_equal(worker_pool_jobs_finished(p), 1);
    worker_pool_stop(p);
    assert_int_equal(j.attempts, 2);
    assert_int_equal(queue_complete(f->q, id, "dead-worker"), RR_ERR_CONFLICT);
}

static void pool__reaps_a_job_that_died_on_its_last_attempt_and_runs_the_dead_hook(void **state)
{
    struct fx *f = *state;
    char id[STORE_ID_LEN + 1];
    enqueue(f, "ok", 2, id);
    struct store_job j;
    for (int i = 0; i < 2; i++) { /* both attempts die with their worker */
        assert_int_equal(queue_claim(f->q, "crasher", 50, &j), 0);
        sleep_ms(120);
    }
    struct worker_pool *p = NULL;
    struct worker_config c = config(f, 1);
    assert_int_equal(worker_pool_start(&c, &p, NULL, 0), 0);
    for (int i = 0; i < 250 && atomic_load(&f->t.dead_calls) == 0; i++)
        sleep_ms(20);
    worker_pool_stop(p);
    assert_int_equal(atomic_load(&f->t.dead_calls), 1);
    assert_string_equal(f->t.dead_job, id);
    assert_int_equal(atomic_load(&f->t.ran), 0); /* never run a third time */
    assert_int_equal(queue_get(f->q, id, &j), 0);
    assert_int_equal(j.state, STORE_JOB_DEAD);
    assert_int_equal(j.attempts, 2);
}

static void pool__stop_releases_the_lease_of_a_job_still_running(void **state)
{
    struct fx *f = *state;
    char id[STORE_ID_LEN + 1];
    atomic_store(&f->t.slow_ms, 3000);
    enqueue(f, "slow", 3, id);
    struct worker_pool *p = NULL;
    struct worker_config c = config(f, 1);
    assert_int_equal(worker_pool_start(&c, &p, NULL, 0), 0);
    worker_pool_set_drain_ms(p, 0);
    struct store_job j;
    for (int i = 0; i < 250; i++) { /* running, with some progress */
        assert_int_equal(queue_get(f->q, id, &j), 0);
        if (j.state == STORE_JOB_RUNNING && j.progress > 0.05)
            break;
        sleep_ms(20);
    }
    assert_string_equal(j.stage, "slow");
    worker_pool_stop(p);
    assert_int_equal(queue_get(f->q, id, &j), 0);
    assert_int_equal(j.state, STORE_JOB_QUEUED); /* runnable again by the next process */
    assert_int_equal(j.lease_until, 0);
    assert_int_equal(j.attempts, 0); /* no attempt spent */
}

static void pool__refuses_bad_configurations(void **state)
{
    struct fx *f = *state;
    struct worker_pool *p = (struct worker_pool *)1;
    char msg[160];
    struct worker_config c = config(f, 1);
    c.threads = 0;
    assert_int_equal(worker_pool_start(&c, &p, msg, sizeof msg), RR_ERR_INVAL);
    assert_null(p);
    assert_non_null(strstr(msg, "threads"));
    c = config(f, WORKER_POOL_MAX + 1);
    assert_int_equal(worker_pool_start(&c, &p, NULL, 0), RR_ERR_INVAL);
    c = config(f, 1);
    c.store = NULL;
    assert_int_equal(worker_pool_start(&c, &p, NULL, 0), RR_ERR_INVAL);
    c = config(f, 1);
    c.n_kinds = 0;
    assert_int_equal(worker_pool_start(&c, &p, NULL, 0), RR_ERR_INVAL);
    c = config(f, 1);
    c.lease_s = 0;
    assert_int_equal(worker_pool_start(&c, &p, NULL, 0), RR_ERR_INVAL);
    assert_int_equal(worker_pool_start(NULL, &p, NULL, 0), RR_ERR_INVAL);
    c = config(f, 1);
    c.queue_url = "amqp://x";
    assert_int_equal(worker_pool_start(&c, &p, msg, sizeof msg), RR_ERR_UNSUPPORTED);
    assert_null(p);
    c.queue_url = "redis://:hunter2@127.0.0.1:1/0"; /* nothing listens on port 1 */
    assert_int_equal(worker_pool_start(&c, &p, msg, sizeof msg), RR_ERR_IO);
    assert_null(p);
    assert_non_null(strstr(msg, "cannot reach redis at 127.0.0.1:1"));
    assert_null(strstr(msg, "hunter2"));
    worker_pool_stop(NULL);
    worker_pool_set_drain_ms(NULL, 5);
    assert_int_equal(worker_pool_jobs_finished(NULL), 0);
    assert_ptr_equal(job_kind_find(kinds, 5, "slow"), &kinds[4]);
    assert_null(job_kind_find(kinds, 5, "nope"));
    assert_null(job_kind_find(kinds, 5, NULL));
    assert_null(job_kind_find(NULL, 0, "ok"));
    job_progress(NULL, "x", 0.5); /* no job: nothing happens */
    job_log(NULL, RR_LOG_INFO, "no job", NULL);
}

static int run(const char *url)
{
    g_url = url;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(pool__refuses_bad_configurations, setup, teardown),
        cmocka_unit_test_setup_teardown(pool__runs_each_kind_and_writes_the_outcome_on_the_job,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(pool__takes_over_the_expired_lease_of_a_dead_worker,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            pool__reaps_a_job_that_died_on_its_last_attempt_and_runs_the_dead_hook, setup,
            teardown),
        cmocka_unit_test_setup_teardown(pool__stop_releases_the_lease_of_a_job_still_running,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            pool__heartbeat_keeps_the_lease_of_a_job_longer_than_its_lease, setup, teardown),
    };
    return cmocka_run_group_tests_name(strcmp(url, "db") == 0 ? "test_worker db" : "test_worker redis",
                                       tests, NULL, NULL);
}

int main(void)
{
    return rrtest_status(rrtest_queue_backends("test_worker", "?block_ms=50&takeover_ms=200", run));
}
