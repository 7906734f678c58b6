/*
 * test_dead_letter.c - a video whose analysis job is dead-lettered ends "failed" with a reason,
 * whichever way the job died: its lease expired on the last attempt (the worker crashed or hung
 * every time: reaped by queue_reap_expired, the kind's dead hook marks the video), or the handler
 * failed on its last attempt. No models needed: the pose models are pointed at an empty folder.
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

#include "api/app.h"
#include "base/rr_error.h"
#include "blob/blob.h"
#include "queue/queue.h"
#include "queue/worker.h"
#include "store/store.h"

struct fx {
    char dir[256];
    struct app app;
    struct store_user user;
    struct queue *q;
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
    snprintf(f->dir, sizeof f->dir, "/tmp/rr-deadletter-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    struct app_config *c = &f->app.cfg;
    snprintf(c->data_dir, sizeof c->data_dir, "%s", f->dir);
    snprintf(c->queue_url, sizeof c->queue_url, "db");
    snprintf(c->model_dir, sizeof c->model_dir, "%s/no-models", f->dir);
    c->model = POSE_MODEL_LITE;
    c->workers = 1;
    c->job_max_attempts = 1;
    c->job_lease_s = 6;
    char url[512];
    snprintf(url, sizeof url, "sqlite:%s/db.sqlite", f->dir);
    assert_int_equal(store_open(url, &f->app.store, NULL, 0), 0);
    assert_int_equal(store_migrate(f->app.store, NULL, NULL, 0), 0);
    snprintf(url, sizeof url, "file:%s/blobs", f->dir);
    assert_int_equal(blob_open(url, NULL, &f->app.blob), 0);
    assert_int_equal(store_user_create(f->app.store, "d@example.com", "x", "user", &f->user), 0);
    assert_int_equal(queue_open("db", f->app.store, &f->q, NULL, 0), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    queue_close(f->q);
    blob_close(f->app.blob);
    store_close(f->app.store);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", f->dir);
    free(f);
    return 0;
}

/* A video row (no blob: these jobs never get that far) and its analyze job. */
static void video_and_job(struct fx *f, int max_attempts, char vid[STORE_ID_LEN + 1],
                          char job[STORE_ID_LEN + 1])
{
    struct store_video v;
    memset(&v, 0, sizeof v);
    store_new_id(v.id);
    snprintf(v.user_id, sizeof v.user_id, "%s", f->user.id);
    snprintf(v.blob_key, sizeof v.blob_key, "videos/%s/original", v.id);
    snprintf(v.status, sizeof v.status, "uploaded");
    assert_int_equal(store_video_create(f->app.store, &v), 0);
    memcpy(vid, v.id, STORE_ID_LEN + 1);
    char payload[128];
    snprintf(payload, sizeof payload, "{\"video_id\":\"%s\"}", vid);
    assert_int_equal(queue_enqueue(f->q, "analyze_video", f->user.id, payload, max_attempts, 0,
                                   job),
                     0);
}

/* "Crash" on a claim: take the job with a 50 ms lease, mark the video processing as the handler
 * would, and let the lease lapse. */
static void crash_once(struct fx *f, const char *vid)
{
    struct store_job j;
    assert_int_equal(queue_claim(f->q, "crasher", 50, &j), 0);
    assert_int_equal(store_video_set_status(f->app.store, vid, "processing", -1), 0);
    sleep_ms(120);
}

static void reap__dead_letters_only_jobs_out_of_attempts_and_the_hook_fails_the_video(
    void **state)
{
    struct fx *f = *state;
    char v1[STORE_ID_LEN + 1], j1[STORE_ID_LEN + 1], v2[STORE_ID_LEN + 1], j2[STORE_ID_LEN + 1];
    char ids[4][STORE_ID_LEN + 1];
    size_t n = 9;
    video_and_job(f, 1, v1, j1);
    video_and_job(f, 2, v2, j2);
    /* both claimed (in either order: same millisecond), then both workers die: j1 had its only
     * attempt, j2 has one left (claimed together so no claim in between dead-letters j1) */
    struct store_job j, k2;
    assert_int_equal(queue_claim(f->q, "crasher", 50, &j), 0);
    assert_int_equal(queue_claim(f->q, "crasher", 50, &k2), 0);
    assert_true((strcmp(j.id, j1) == 0 && strcmp(k2.id, j2) == 0) ||
                (strcmp(j.id, j2) == 0 && strcmp(k2.id, j1) == 0));
    assert_int_equal(store_video_set_status(f->app.store, v1, "processing", -1), 0);
    assert_int_equal(store_video_set_status(f->app.store, v2, "processing", -1), 0);
    sleep_ms(120);

    assert_int_equal(queue_reap_expired(f->q, ids, 4, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(ids[0], j1);
    struct store_job job;
    assert_int_equal(store_job_get(f->app.store, NULL, j1, &job), 0);
    assert_int_equal(job.state, STORE_JOB_DEAD);
    assert_non_null(strstr(job.error, "lease expired on the last attempt"));
    assert_int_equal(store_job_get(f->app.store, NULL, j2, &job), 0);
    assert_int_equal(job.state, STORE_JOB_RUNNING); /* claimable again, not dead */
    assert_int_equal(queue_reap_expired(f->q, ids, 4, &n), 0);
    assert_int_equal(n, 0); /* already settled */

    const struct job_kind *k = queue_kind_find("analyze_video");
    assert_non_null(k);
    assert_non_null(k->dead);
    assert_int_equal(store_job_get(f->app.store, NULL, j1, &job), 0);
    k->dead(&f->app, &job);
    struct store_video v;
    assert_int_equal(store_video_get(f->app.store, f->user.id, v1, &v), 0);
    assert_string_equal(v.status, "failed");
    assert_string_equal(v.error, "analysis failed: lease expired on the last attempt");
    assert_int_equal(store_video_get(f->app.store, f->user.id, v2, &v), 0);
    assert_string_equal(v.status, "processing");

    /* a payload without a usable video id is ignored by the hook */
    snprintf(job.payload, sizeof job.payload, "{\"video_id\":7}");
    k->dead(&f->app, &job);
    snprintf(job.payload, sizeof job.payload, "not json");
    k->dead(&f->app, &job);

    /* refusals */
    assert_int_equal(queue_reap_expired(NULL, ids, 4, &n), RR_ERR_INVAL);
    assert_int_equal(queue_reap_expired(f->q, ids, 0, &n), RR_ERR_INVAL);
    assert_int_equal(queue_reap_expired(f->q, NULL, 4, &n), RR_ERR_INVAL);
    assert_int_equal(store_job_reap_expired(f->app.store, ids, 1001, &n), RR_ERR_INVAL);
    assert_int_equal(store_video_fail(f->app.store, "nope", "x"), RR_ERR_NOTFOUND);
}

/* The running pool settles a job that died on its last attempt elsewhere (a killed process):
 * the video does not stay "processing". */
static void pool__fails_the_video_of_a_job_dead_lettered_after_lease_expiries(void **state)
{
    struct fx *f = *state;
    char vid[STORE_ID_LEN + 1], job[STORE_ID_LEN + 1];
    video_and_job(f, 2, vid, job);
    crash_once(f, vid);
    crash_once(f, vid); /* both attempts died with the worker */

    struct worker_pool *pool = NULL;
    char msg[256] = "";
    assert_int_equal(worker_pool_start(&f->app, 1, &pool, msg, sizeof msg), 0);
    struct store_video v;
    for (int i = 0; i < 50; i++) {
        assert_int_equal(store_video_get(f->app.store, NULL, vid, &v), 0);
        if (strcmp(v.status, "failed") == 0)
            break;
        sleep_ms(100);
    }
    worker_pool_stop(pool);
    assert_string_equal(v.status, "failed");
    assert_non_null(strstr(v.error, "lease expired on the last attempt"));
    struct store_job j;
    assert_int_equal(store_job_get(f->app.store, NULL, job, &j), 0);
    assert_int_equal(j.state, STORE_JOB_DEAD);
    assert_int_equal(j.attempts, 2);
}

/* The handler failing on its last attempt (here: the models cannot load) fails the video with
 * the handler's message; a later success clears it. */
static void handler__last_attempt_failure_fails_the_video_with_its_message(void **state)
{
    struct fx *f = *state;
    char vid[STORE_ID_LEN + 1], job[STORE_ID_LEN + 1];
    video_and_job(f, 1, vid, job);
    struct worker_pool *pool = NULL;
    char msg[256] = "";
    assert_int_equal(worker_pool_start(&f->app, 1, &pool, msg, sizeof msg), 0);
    struct store_job j;
    for (int i = 0; i < 100; i++) {
        assert_int_equal(store_job_get(f->app.store, NULL, job, &j), 0);
        if (j.state == STORE_JOB_DEAD)
            break;
        sleep_ms(100);
    }
    worker_pool_stop(pool);
    assert_int_equal(j.state, STORE_JOB_DEAD);
    struct store_video v;
    assert_int_equal(store_video_get(f->app.store, NULL, vid, &v), 0);
    assert_string_equal(v.status, "failed");
    assert_non_null(strstr(v.error, "cannot load the pose models"));
    assert_string_equal(v.error, j.error);
    /* any later status (a re-run) clears the reason */
    assert_int_equal(store_video_set_status(f->app.store, vid, "analysed", 1000), 0);
    assert_int_equal(store_video_get(f->app.store, NULL, vid, &v), 0);
    assert_string_equal(v.error, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            reap__dead_letters_only_jobs_out_of_attempts_and_the_hook_fails_the_video, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            pool__fails_the_video_of_a_job_dead_lettered_after_lease_expiries, setup, teardown),
        cmocka_unit_test_setup_teardown(
            handler__last_attempt_failure_fails_the_video_with_its_message, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
