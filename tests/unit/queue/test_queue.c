/*
 * test_queue.c - the queue contract, run against both backends: "db" (the store's jobs table)
 * and redis:// (Redis Streams over the same table, on a throwaway redis-server): a job linked to
 * a video is claimed, leased, progressed and completed through queue_*(); a dead worker's late
 * calls are refused once another worker took its expired lease; a crash-looping job is
 * dead-lettered after max_attempts; the reaper takes only jobs out of attempts and reports each
 * once; every refusal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/rr_error.h"
#include "queue/queue.h"
#include "store/store.h"
#include "support/pgtest.h"
#include "support/rrtest.h"
#include "support/rrtest_redis.h"

static const char *g_url = "db"; /* the backend under test */

struct fx {
    char dir[256];
    struct store *store;
    struct queue *q;
    struct store_user user;
};

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/rr-queue-db-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char url[512];
    assert_int_equal(pgtest_store_url(f->dir, "db.sqlite", url, sizeof url), 0);
    assert_int_equal(store_open(url, &f->store, NULL, 0), 0);
    assert_int_equal(store_migrate(f->store, NULL, NULL, 0), 0);
    assert_int_equal(store_user_create(f->store, "q@example.com", "x", "user", &f->user), 0);
    assert_int_equal(rrtest_redis_flush_url(g_url), 0);
    char msg[256] = "";
    assert_int_equal(queue_open(g_url, f->store, &f->q, msg, sizeof msg), 0);
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

/* Claim within ms: an expired lease is claimable at once from the "db" queue; over Redis once
 * the dead worker's token idled takeover_ms too. */
static int claim_within(struct fx *f, const char *owner, int64_t lease, int ms, struct store_job *j)
{
    int rc = RR_ERR_NOTFOUND;
    for (int waited = 0; waited <= ms; waited += 20) {
        rc = queue_claim(f->q, owner, lease, j);
        if (rc != RR_ERR_NOTFOUND)
            return rc;
        sleep_ms(20);
    }
    return rc;
}

static void video(struct fx *f, char id[STORE_ID_LEN + 1])
{
    struct store_video v;
    memset(&v, 0, sizeof v);
    snprintf(v.user_id, sizeof v.user_id, "%s", f->user.id);
    snprintf(v.blob_key, sizeof v.blob_key, "videos/x/original");
    snprintf(v.status, sizeof v.status, "uploaded");
    assert_int_equal(store_video_create(f->store, &v), 0);
    memcpy(id, v.id, STORE_ID_LEN + 1);
}

static void queue__runs_a_video_job_through_its_life(void **state)
{
    struct fx *f = *state;
    char vid[STORE_ID_LEN + 1], id[STORE_ID_LEN + 1];
    struct store_job j;
    video(f, vid);
    assert_string_equal(queue_backend_name(f->q), strcmp(g_url, "db") == 0 ? "db" : "redis");
    assert_int_equal(queue_enqueue(f->q, "k", f->user.id, vid, NULL, 3, 0, id), 0);
    assert_int_equal(queue_claim(f->q, "w1", 1000, &j), 0);
    assert_string_equal(j.id, id);
    assert_string_equal(j.video_id, vid);
    assert_int_equal(j.attempts, 1);
    assert_int_equal(queue_claim(f->q, "w2", 1000, &j), RR_ERR_NOTFOUND);
    assert_int_equal(queue_heartbeat(f->q, id, "w1", 5000), 0);
    assert_int_equal(queue_progress(f->q, id, "w1", 7.0, "pose"), 0); /* clamped to 1 */
    assert_int_equal(queue_progress(f->q, id, "w1", -1, NULL), 0);     /* and to 0 */
    assert_int_equal(queue_get(f->q, id, &j), 0);
    assert_string_equal(j.stage, "pose");
    assert_true(j.progress == 0);
    assert_int_equal(queue_complete(f->q, id, "w2"), RR_ERR_CONFLICT);
    assert_int_equal(queue_complete(f->q, id, "w1"), 0);
    assert_int_equal(queue_get(f->q, id, &j), 0);
    assert_int_equal(j.state, STORE_JOB_DONE);
    /* a job for a video that does not exist is refused, nothing written */
    assert_int_equal(queue_enqueue(f->q, "k", f->user.id, "0123456789abcdef0123456789abcdef",
                                   NULL, 3, 0, id),
                     RR_ERR_NOTFOUND);
    assert_int_equal(queue_claim(f->q, "w1", 1000, &j), RR_ERR_NOTFOUND);
    /* fail: retryable -> queued with back-off; permanent -> dead */
    assert_int_equal(queue_enqueue(f->q, "k", NULL, NULL, "{\"n\":1}", 3, 0, id), 0);
    assert_int_equal(queue_claim(f->q, "w1", 1000, &j), 0);
    enum store_job_state st = STORE_JOB_DONE;
    assert_int_equal(queue_fail(f->q, id, "w1", NULL, false, &st), 0);
    assert_int_equal(st, STORE_JOB_QUEUED);
    assert_int_equal(queue_get(f->q, id, &j), 0);
    assert_string_equal(j.error, "failed");
    assert_true(j.run_after > j.updated_at);
    assert_int_equal(queue_enqueue(f->q, "k", NULL, NULL, NULL, 3, 0, id), 0);
    assert_int_equal(queue_claim(f->q, "w1", 1000, &j), 0);
    assert_int_equal(queue_fail(f->q, id, "w1", "bad input", true, &st), 0);
    assert_int_equal(st, STORE_JOB_DEAD);
    /* release gives the attempt back */
    assert_int_equal(queue_enqueue(f->q, "k", NULL, NULL, NULL, 3, 0, id), 0);
    assert_int_equal(queue_claim(f->q, "w1", 1000, &j), 0);
    assert_int_equal(queue_release(f->q, id, "w1"), 0);
    assert_int_equal(queue_get(f->q, id, &j), 0);
    assert_int_equal(j.state, STORE_JOB_QUEUED);
    assert_int_equal(j.attempts, 0);
}

static void queue__refuses_the_late_calls_of_a_worker_whose_lease_was_taken(void **state)
{
    struct fx *f = *state;
    char id[STORE_ID_LEN + 1];
    struct store_job j;
    assert_int_equal(queue_enqueue(f->q, "k", f->user.id, NULL, NULL, 3, 0, id), 0);
    assert_int_equal(queue_claim(f->q, "dead-worker", 50, &j), 0);
    sleep_ms(120);
    assert_int_equal(claim_within(f, "other", 1000, 3000, &j), 0);
    assert_int_equal(j.attempts, 2);
    assert_int_equal(queue_complete(f->q, id, "dead-worker"), RR_ERR_CONFLICT);
    assert_int_equal(queue_heartbeat(f->q, id, "dead-worker", 1000), RR_ERR_CONFLICT);
    assert_int_equal(queue_complete(f->q, id, "other"), 0);
}

static void queue__dead_letters_a_crash_looping_job_after_max_attempts(void **state)
{
    struct fx *f = *state;
    char job[STORE_ID_LEN + 1];
    assert_int_equal(queue_enqueue(f->q, "k", f->user.id, NULL, "{}", 2, 0, job), 0);
    struct store_job j;
    for (int i = 0; i < 2; i++) { /* claim, then "crash" (lease runs out) */
        assert_int_equal(queue_claim(f->q, "crasher", 50, &j), 0);
        assert_int_equal(j.attempts, i + 1);
        sleep_ms(120);
    }
    assert_int_equal(queue_claim(f->q, "crasher", 50, &j), RR_ERR_NOTFOUND);
    assert_int_equal(queue_get(f->q, job, &j), 0);
    assert_int_equal(j.state, STORE_JOB_DEAD);
}

static void reap__takes_only_jobs_out_of_attempts_and_reports_each_once(void **state)
{
    struct fx *f = *state;
    char j1[STORE_ID_LEN + 1], j2[STORE_ID_LEN + 1];
    char ids[4][STORE_ID_LEN + 1];
    size_t n = 9;
    assert_int_equal(queue_enqueue(f->q, "k", f->user.id, NULL, NULL, 1, 0, j1), 0);
    assert_int_equal(queue_enqueue(f->q, "k", f->user.id, NULL, NULL, 2, 0, j2), 0);
    /* both claimed together (no claim in between dead-letters j1), then both workers die */
    struct store_job a, b;
    assert_int_equal(queue_claim(f->q, "crasher", 50, &a), 0);
    assert_int_equal(queue_claim(f->q, "crasher", 50, &b), 0);
    sleep_ms(120);
    assert_int_equal(queue_reap_expired(f->q, ids, 4, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(ids[0], j1);
    struct store_job job;
    assert_int_equal(queue_get(f->q, j1, &job), 0);
    assert_int_equal(job.state, STORE_JOB_DEAD);
    assert_non_null(strstr(job.error, "lease expired on the last attempt"));
    assert_int_equal(queue_get(f->q, j2, &job), 0);
    assert_int_equal(job.state, STORE_JOB_RUNNING); /* claimable again, not dead */
    assert_int_equal(queue_reap_expired(f->q, ids, 4, &n), 0);
    assert_int_equal(n, 0); /* already settled */
}

static void queue__refuses_bad_arguments_and_unknown_backends(void **state)
{
    struct fx *f = *state;
    struct queue *q = NULL;
    char msg[128], id[STORE_ID_LEN + 1], ids[2][STORE_ID_LEN + 1];
    size_t n = 0;
    struct store_job j;
    assert_int_equal(queue_open("amqp://x", f->store, &q, msg, sizeof msg), RR_ERR_UNSUPPORTED);
    assert_null(q);
    assert_non_null(strstr(msg, "queue"));
    assert_int_equal(queue_open("db", NULL, &q, NULL, 0), RR_ERR_INVAL);
    assert_int_equal(queue_open("", f->store, &q, NULL, 0), 0); /* "" = the default, db */
    queue_close(q);
    queue_close(NULL);
    assert_int_equal(queue_enqueue(NULL, "k", NULL, NULL, NULL, 1, 0, id), RR_ERR_INVAL);
    assert_int_equal(queue_enqueue(f->q, NULL, NULL, NULL, NULL, 1, 0, id), RR_ERR_INVAL);
    assert_int_equal(queue_enqueue(f->q, "k", NULL, NULL, NULL, 0, 0, id), RR_ERR_INVAL);
    assert_int_equal(queue_claim(NULL, "o", 1, &j), RR_ERR_INVAL);
    assert_int_equal(queue_claim(f->q, "o", 0, &j), RR_ERR_INVAL);
    assert_int_equal(queue_heartbeat(NULL, "i", "o", 1), RR_ERR_INVAL);
    assert_int_equal(queue_progress(NULL, "i", "o", 0, NULL), RR_ERR_INVAL);
    assert_int_equal(queue_complete(NULL, "i", "o"), RR_ERR_INVAL);
    assert_int_equal(queue_fail(NULL, "i", "o", NULL, false, NULL), RR_ERR_INVAL);
    assert_int_equal(queue_release(NULL, "i", "o"), RR_ERR_INVAL);
    assert_int_equal(queue_get(NULL, "i", &j), RR_ERR_INVAL);
    assert_int_equal(queue_get(f->q, "nope", &j), RR_ERR_NOTFOUND);
    assert_int_equal(queue_reap_expired(NULL, ids, 2, &n), RR_ERR_INVAL);
    assert_int_equal(queue_reap_expired(f->q, ids, 0, &n), RR_ERR_INVAL);
    assert_int_equal(queue_reap_expired(f->q, NULL, 2, &n), RR_ERR_INVAL);
    assert_string_equal(queue_backend_name(NULL), "none");
}

static int run(const char *url)
{
    g_url = url;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(queue__runs_a_video_job_through_its_life, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            queue__refuses_the_late_calls_of_a_worker_whose_lease_was_taken, setup, teardown),
        cmocka_unit_test_setup_teardown(queue__dead_letters_a_crash_looping_job_after_max_attempts,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            reap__takes_only_jobs_out_of_attempts_and_reports_each_once, setup, teardown),
        cmocka_unit_test_setup_teardown(queue__refuses_bad_arguments_and_unknown_backends, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name(strcmp(url, "db") == 0 ? "queue db" : "queue redis",
                                       tests, NULL, NULL);
}

int main(void)
{
    return rrtest_status(rrtest_queue_backends("test_queue", "?block_ms=50&takeover_ms=200", run));
}
