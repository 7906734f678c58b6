/*
 * test_dead_letter.c - a video whose analyze_video job is dead-lettered ends "failed" with a
 * reason, whichever way the job died: its lease expired on the last attempt (the worker crashed
 * or hung every time: the pool reaps it and the kind's dead hook fails the video), or the handler
 * failed on its last attempt. No models needed: the model directory is an empty folder.
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

#include "app/app.h"
#include "base/rr_error.h"
#include "blob/blob.h"
#include "queue/queue.h"
#include "queue/worker.h"
#include "store/store.h"

struct fx {
    char dir[256];
    struct app *a;
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
    snprintf(f->dir, sizeof f->dir, "/tmp/rr-deadletter-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char arg1[300], arg2[300], msg[256];
    snprintf(arg1, sizeof arg1, "--data-dir=%s", f->dir);
    snprintf(arg2, sizeof arg2, "--model-dir=%s/no-models", f->dir);
    /* in process: the handler's own failure on a missing model is what these cases need (a
     * sandboxed child reads the header first and refuses "not a video" before the models
     * matter; pipeline/test_sandbox covers that order) */
    char *argv[] = {"serve", arg1, arg2, "--job-max-attempts", "1", "--job-lease-s", "6",
                    "--analysis-sandbox", "off", NULL};
    struct app_config c;
    assert_int_equal(app_config_load(&c, APP_CMD_SERVE, 9, argv, msg, sizeof msg), 0);
    assert_int_equal(app_open(&c, &f->a, msg, sizeof msg), 0);
    assert_int_equal(store_user_create(f->a->store, "d@example.com", "x", "user", &f->user), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    app_close(f->a);
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
    assert_int_equal(store_video_create(f->a->store, &v), 0);
    memcpy(vid, v.id, STORE_ID_LEN + 1);
    assert_int_equal(queue_enqueue(f->a->queue, "analyze_video", f->user.id, vid, NULL,
                                   max_attempts, 0, job),
                     0);
}

/* "Crash" on a claim: take the job with a 50 ms lease, mark the video processing as the handler
 * would, and let the lease lapse. */
static void crash_once(struct fx *f, const char *vid)
{
    struct store_job j;
    assert_int_equal(queue_claim(f->a->queue, "crasher", 50, &j), 0);
    assert_int_equal(store_video_set_status(f->a->store, vid, "processing", -1), 0);
    sleep_ms(120);
}

static struct worker_pool *start(struct fx *f)
{
    struct worker_config wc;
    struct worker_pool *p = NULL;
    char msg[256];
    app_worker_config(f->a, 1, &wc);
    assert_int_equal(worker_pool_start(&wc, &p, msg, sizeof msg), 0);
    return p;
}

static void dead_hook__fails_the_video_with_the_reason_and_ignores_jobs_without_one(void **state)
{
    struct fx *f = *state;
    char vid[STORE_ID_LEN + 1], job[STORE_ID_LEN + 1];
    video_and_job(f, 1, vid, job);
    crash_once(f, vid);
    char ids[2][STORE_ID_LEN + 1];
    size_t n = 0;
    assert_int_equal(queue_reap_expired(f->a->queue, ids, 2, &n), 0);
    assert_int_equal(n, 1);
    size_t nk = 0;
    const struct job_kind *k = job_kind_find(app_job_kinds(&nk), 1, "analyze_video");
    assert_non_null(k);
    struct store_job j;
    assert_int_equal(store_job_get(f->a->store, NULL, job, &j), 0);
    k->dead(f->a, &j);
    struct store_video v;
    assert_int_equal(store_video_get(f->a->store, f->user.id, vid, &v), 0);
    assert_string_equal(v.status, "failed");
    assert_non_null(strstr(v.error, "the analysis stopped before it finished"));
    /* a job without a video, or whose error is empty, is handled too */
    j.video_id[0] = '\0';
    k->dead(f->a, &j);
    memcpy(j.video_id, vid, sizeof j.video_id);
    j.error[0] = '\0';
    k->dead(f->a, &j);
    assert_int_equal(store_video_get(f->a->store, f->user.id, vid, &v), 0);
    assert_non_null(strstr(v.error, "the analysis stopped before it finished"));
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
    struct worker_pool *pool = start(f);
    struct store_video v;
    for (int i = 0; i < 50; i++) {
        assert_int_equal(store_video_get(f->a->store, NULL, vid, &v), 0);
        if (strcmp(v.status, "failed") == 0)
            break;
        sleep_ms(100);
    }
    worker_pool_stop(pool);
    assert_string_equal(v.status, "failed");
    assert_non_null(strstr(v.error, "the analysis stopped before it finished, 2 times"));
    struct store_job j;
    assert_int_equal(store_job_get(f->a->store, NULL, job, &j), 0);
    assert_int_equal(j.state, STORE_JOB_DEAD);
    assert_int_equal(j.attempts, 2);
}

/* The handler failing on its last attempt (here: the models cannot load) fails the video with
 * the handler's message; a later success clears it. */
static void handler__last_attempt_failure_fails_the_video_with_its_message(void **state)
{
    struct fx *f = *state;
    char vid[STORE_ID_LEN + 1], job[STORE_ID_LEN + 1], key[BLOB_KEY_MAX + 1];
    video_and_job(f, 1, vid, job);
    /* the original exists (the models are loaded after it was fetched and checked) */
    struct blob_writer *w = NULL;
    snprintf(key, sizeof key, "videos/%s/original", vid);
    assert_int_equal(blob_writer_begin(f->a->blob, key, &w), 0);
    assert_int_equal(blob_writer_write(w, "not a video", 11), 0);
    assert_int_equal(blob_writer_commit(w, NULL), 0);
    struct worker_pool *pool = start(f);
    struct store_job j;
    for (int i = 0; i < 100; i++) {
        assert_int_equal(store_job_get(f->a->store, NULL, job, &j), 0);
        if (j.state == STORE_JOB_DEAD)
            break;
        sleep_ms(100);
    }
    worker_pool_stop(pool);
    assert_int_equal(j.state, STORE_JOB_DEAD);
    struct store_video v;
    assert_int_equal(store_video_get(f->a->store, NULL, vid, &v), 0);
    assert_string_equal(v.status, "failed");
    assert_non_null(strstr(v.error, "cannot load the pose models"));
    assert_string_equal(v.error, j.error);
    /* the models stay unloaded and say so again (a later call may succeed) */
    const struct pose_models *m = NULL;
    char msg[256] = "";
    assert_true(app_pose_models(f->a, &m, msg, sizeof msg) < 0);
    assert_null(m);
    assert_true(msg[0] != '\0');
    /* any later status (a re-run) clears the reason */
    assert_int_equal(store_video_set_status(f->a->store, vid, "analysed", 1000), 0);
    assert_int_equal(store_video_get(f->a->store, NULL, vid, &v), 0);
    assert_string_equal(v.error, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            dead_hook__fails_the_video_with_the_reason_and_ignores_jobs_without_one, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            pool__fails_the_video_of_a_job_dead_lettered_after_lease_expiries, setup, teardown),
        cmocka_unit_test_setup_teardown(
            handler__last_attempt_failure_fails_the_video_with_its_message, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
