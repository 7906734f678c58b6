/*
 * test_worker.c - the queue vtable, the kind table and the worker pool end to end: a real clip
 * is analysed into a workout (and a re-run replaces it), garbage fails permanently with a
 * message, an expired lease of a dead worker is recovered, a crash-looping job is
 * dead-lettered, an unknown kind is refused on the job, and stop releases a running lease.
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
#include "rrtest.h"
#include "store/store.h"

#define CLIP "media/videos/squat_side_BAD_heels_k_i002.mp4"

struct fx {
    char dir[256];
    struct app app;
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
    snprintf(f->dir, sizeof f->dir, "/tmp/rr-queue-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    struct app_config *c = &f->app.cfg;
    snprintf(c->data_dir, sizeof c->data_dir, "%s", f->dir);
    snprintf(c->queue_url, sizeof c->queue_url, "db");
    rrtest_require_model("queue/test_worker", "pose_landmark_lite.tflite", c->model_dir,
                         sizeof c->model_dir);
    c->model = POSE_MODEL_LITE;
    c->workers = 1;
    c->job_max_attempts = 3;
    c->job_lease_s = 6;
    char url[512];
    snprintf(url, sizeof url, "sqlite:%s/db.sqlite", f->dir);
    assert_int_equal(store_open(url, &f->app.store, NULL, 0), 0);
    assert_int_equal(store_migrate(f->app.store, NULL, NULL, 0), 0);
    snprintf(url, sizeof url, "file:%s/blobs", f->dir);
    assert_int_equal(blob_open(url, NULL, &f->app.blob), 0);
    assert_int_equal(store_user_create(f->app.store, "w@example.com", "x", "user", &f->user), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    blob_close(f->app.blob);
    store_close(f->app.store);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", f->dir);
    free(f);
    return 0;
}

/* Store bytes (from a file, or garbage) as a video of the fixture's user; returns the id. */
static void add_video(struct fx *f, const char *path, char id[STORE_ID_LEN + 1])
{
    struct store_video v;
    memset(&v, 0, sizeof v);
    store_new_id(v.id);
    snprintf(v.user_id, sizeof v.user_id, "%s", f->user.id);
    snprintf(v.blob_key, sizeof v.blob_key, "videos/%s/original", v.id);
    struct blob_writer *w;
    assert_int_equal(blob_writer_begin(f->app.blob, v.blob_key, &w), 0);
    if (path) {
        size_t len = 0;
        char *data = rrtest_read_file(path, 64u << 20, &len);
        assert_non_null(data);
        assert_int_equal(blob_writer_write(w, data, len), 0);
        free(data);
    } else {
        char junk[4096];
        for (size_t i = 0; i < sizeof junk; i++)
            junk[i] = (char)(i * 131 + 7);
        assert_int_equal(blob_writer_write(w, junk, sizeof junk), 0);
    }
    struct blob_info info;
    assert_int_equal(blob_writer_commit(w, &info), 0);
    v.size = info.size;
    memcpy(v.sha256, info.sha256, sizeof v.sha256);
    snprintf(v.status, sizeof v.status, "uploaded");
    assert_int_equal(store_video_create(f->app.store, &v), 0);
    memcpy(id, v.id, STORE_ID_LEN + 1);
}

static void submit(struct fx *f, const char *video_id, char job[STORE_ID_LEN + 1])
{
    char payload[128];
    snprintf(payload, sizeof payload, "{\"video_id\":\"%s\"}", video_id);
    assert_int_equal(queue_submit(&f->app, "analyze_video", f->user.id, payload, job), 0);
}

/* Wait until the job is done or dead (or timeout); returns its final record. */
static void wait_job(struct fx *f, const char *id, int timeout_s, struct store_job *j)
{
    for (int i = 0; i < timeout_s * 10; i++) {
        assert_int_equal(store_job_get(f->app.store, NULL, id, j), 0);
        if (j->state == STORE_JOB_DONE || j->state == STORE_JOB_DEAD)
            return;
        sleep_ms(100);
    }
    fail_msg("job %s still %s after %d s", id, store_job_state_name(j->state), timeout_s);
}

static size_t count_workouts(struct fx *f)
{
    struct store_workout *items = NULL;
    size_t n = 0;
    char next[STORE_CURSOR_MAX];
    assert_int_equal(store_workout_list(f->app.store, f->user.id, NULL, NULL, 100, &items, &n,
                                        next),
                     0);
    free(items);
    return n;
}

static void worker__analyses_a_real_clip_into_one_rep_and_a_rerun_replaces_it(void **state)
{
    struct fx *f = *state;
    char clip[1024], vid[STORE_ID_LEN + 1], job[STORE_ID_LEN + 1];
    rrtest_case_shared("queue/test_worker", CLIP, clip, sizeof clip);
    add_video(f, clip, vid);
    submit(f, vid, job);
    struct worker_pool *p = NULL;
    char msg[256];
    assert_int_equal(worker_pool_start(&f->app, 1, &p, msg, sizeof msg), 0);
    struct store_job j;
    wait_job(f, job, 100, &j);
    assert_int_equal(j.state, STORE_JOB_DONE);
    assert_int_equal(j.attempts, 1);
    assert_true(j.progress > 0.99);

    struct store_video v;
    assert_int_equal(store_video_get(f->app.store, f->user.id, vid, &v), 0);
    assert_string_equal(v.status, "analysed");
    assert_true(v.duration_ms > 1000);
    struct store_workout w;
    assert_int_equal(store_workout_get_by_video(f->app.store, vid, &w), 0);
    assert_string_equal(w.exercise, "squat");
    struct store_set *sets = NULL;
    size_t nsets = 0;
    assert_int_equal(store_workout_sets(f->app.store, f->user.id, w.id, &sets, &nsets), 0);
    assert_int_equal(nsets, 1);
    assert_int_equal(sets[0].reps, 1);
    free(sets);
    struct store_rep *reps = NULL;
    size_t nreps = 0;
    assert_int_equal(store_workout_reps(f->app.store, f->user.id, w.id, &reps, &nreps), 0);
    assert_int_equal(nreps, 1);
    assert_non_null(strstr(reps[0].faults, "heels_rise"));
    free(reps);
    /* derived objects */
    const char *which[] = {"report", "overlay", "best", "worst"};
    for (size_t i = 0; i < 4; i++) {
        char key[BLOB_KEY_MAX + 1];
        struct blob_info bi;
        assert_non_null(queue_video_key(vid, which[i], key, sizeof key));
        assert_int_equal(blob_stat(f->app.blob, key, &bi), 0);
        assert_true(bi.size > 0);
    }

    /* a second run replaces the workout instead of adding one */
    char job2[STORE_ID_LEN + 1];
    submit(f, vid, job2);
    wait_job(f, job2, 100, &j);
    assert_int_equal(j.state, STORE_JOB_DONE);
    assert_int_equal(count_workouts(f), 1);
    assert_true(worker_pool_jobs_finished(p) >= 2);
    worker_pool_stop(p);
}

static void worker__fails_an_undecodable_video_permanently_with_a_message(void **state)
{
    struct fx *f = *state;
    char vid[STORE_ID_LEN + 1], job[STORE_ID_LEN + 1];
    add_video(f, NULL, vid);
    submit(f, vid, job);
    struct worker_pool *p = NULL;
    assert_int_equal(worker_pool_start(&f->app, 1, &p, NULL, 0), 0);
    struct store_job j;
    wait_job(f, job, 60, &j);
    worker_pool_stop(p);
    assert_int_equal(j.state, STORE_JOB_DEAD);
    assert_int_equal(j.attempts, 1); /* no retries for bad input */
    assert_non_null(strstr(j.error, "analysis failed"));
    assert_null(strstr(j.error, "/proc/")); /* no local paths leak */
    struct store_video v;
    assert_int_equal(store_video_get(f->app.store, NULL, vid, &v), 0);
    assert_string_equal(v.status, "failed");
    assert_int_equal(count_workouts(f), 0);
}

static void worker__recovers_the_expired_lease_of_a_dead_worker(void **state)
{
    struct fx *f = *state;
    char vid[STORE_ID_LEN + 1], job[STORE_ID_LEN + 1];
    add_video(f, NULL, vid);
    submit(f, vid, job);
    struct queue *q = NULL;
    assert_int_equal(queue_open("db", f->app.store, &q, NULL, 0), 0);
    assert_string_equal(queue_backend_name(q), "db");
    struct store_job j;
    /* a worker that claims and dies: short lease, never heartbeats */
    assert_int_equal(queue_claim(q, "dead-worker", 300, &j), 0);
    assert_string_equal(j.id, job);
    assert_int_equal(queue_claim(q, "other", 300, &j), RR_ERR_NOTFOUND);
    struct worker_pool *p = NULL;
    assert_int_equal(worker_pool_start(&f->app, 1, &p, NULL, 0), 0);
    wait_job(f, job, 60, &j);
    worker_pool_stop(p);
    assert_int_equal(j.attempts, 2); /* taken over after the lease expired */
    assert_int_equal(j.state, STORE_JOB_DEAD);
    assert_string_not_equal(j.lease_owner, "dead-worker");
    /* the dead worker's late calls are refused */
    assert_int_equal(queue_complete(q, job, "dead-worker"), RR_ERR_CONFLICT);
    assert_int_equal(queue_heartbeat(q, job, "dead-worker", 1000), RR_ERR_CONFLICT);
    queue_close(q);
}

static void worker__dead_letters_a_crash_looping_job_after_max_attempts(void **state)
{
    struct fx *f = *state;
    struct queue *q = NULL;
    char job[STORE_ID_LEN + 1];
    assert_int_equal(queue_open(NULL, f->app.store, &q, NULL, 0), 0);
    assert_int_equal(queue_enqueue(q, "analyze_video", f->user.id, "{}", 2, 0, job), 0);
    struct store_job j;
    for (int i = 0; i < 2; i++) { /* claim, then "crash" (lease runs out) */
        assert_int_equal(queue_claim(q, "crasher", 50, &j), 0);
        assert_int_equal(j.attempts, i + 1);
        assert_int_equal(queue_progress(q, job, "crasher", 2.0, "pose"), 0);
        sleep_ms(120);
    }
    assert_int_equal(queue_claim(q, "crasher", 50, &j), RR_ERR_NOTFOUND);
    assert_int_equal(store_job_get(f->app.store, NULL, job, &j), 0);
    assert_int_equal(j.state, STORE_JOB_DEAD);
    queue_close(q);
}

static void worker__writes_unknown_kinds_and_bad_payloads_on_the_job(void **state)
{
    struct fx *f = *state;
    char bogus[STORE_ID_LEN + 1], bad[STORE_ID_LEN + 1], gone[STORE_ID_LEN + 1];
    assert_int_equal(store_job_enqueue(f->app.store, "bogus_kind", NULL, "{}", 3, 0, bogus), 0);
    assert_int_equal(store_job_enqueue(f->app.store, "analyze_video", NULL, "{\"video_id\":1}", 3,
                                       0, bad),
                     0);
    assert_int_equal(store_job_enqueue(f->app.store, "analyze_video", NULL,
                                       "{\"video_id\":\"0123456789abcdef0123456789abcdef\"}", 3,
                                       0, gone),
                     0);
    struct worker_pool *p = NULL;
    assert_int_equal(worker_pool_start(&f->app, 2, &p, NULL, 0), 0);
    struct store_job j;
    wait_job(f, bogus, 30, &j);
    assert_int_equal(j.state, STORE_JOB_DEAD);
    assert_non_null(strstr(j.error, "unknown job kind"));
    wait_job(f, bad, 30, &j);
    assert_int_equal(j.state, STORE_JOB_DEAD);
    assert_non_null(strstr(j.error, "video_id"));
    wait_job(f, gone, 30, &j);
    assert_int_equal(j.state, STORE_JOB_DEAD);
    assert_non_null(strstr(j.error, "deleted"));
    assert_int_equal(worker_pool_jobs_finished(p), 3);
    worker_pool_stop(p);
}

static void worker__stop_releases_the_lease_of_a_job_still_running(void **state)
{
    struct fx *f = *state;
    char clip[1024], vid[STORE_ID_LEN + 1], job[STORE_ID_LEN + 1];
    rrtest_case_shared("queue/test_worker", CLIP, clip, sizeof clip);
    add_video(f, clip, vid);
    submit(f, vid, job);
    struct worker_pool *p = NULL;
    assert_int_equal(worker_pool_start(&f->app, 1, &p, NULL, 0), 0);
    worker_pool_set_drain_ms(p, 0);
    struct store_job j;
    for (int i = 0; i < 300; i++) { /* wait until it is running with some progress */
        assert_int_equal(store_job_get(f->app.store, NULL, job, &j), 0);
        if (j.state == STORE_JOB_RUNNING && j.progress > 0.1)
            break;
        sleep_ms(100);
    }
    assert_int_equal(j.state, STORE_JOB_RUNNING);
    assert_true(j.stage[0] != 0);
    worker_pool_stop(p);
    assert_int_equal(store_job_get(f->app.store, NULL, job, &j), 0);
    assert_int_equal(j.state, STORE_JOB_QUEUED); /* runnable again by the next process */
    assert_int_equal(j.lease_until, 0);
}

static void queue__refuses_bad_arguments_and_unknown_backends(void **state)
{
    struct fx *f = *state;
    struct queue *q = NULL;
    char msg[128], id[STORE_ID_LEN + 1], key[BLOB_KEY_MAX + 1];
    assert_int_equal(queue_open("redis://x", f->app.store, &q, msg, sizeof msg),
                     RR_ERR_UNSUPPORTED);
    assert_non_null(strstr(msg, "queue"));
    assert_int_equal(queue_open("db", NULL, &q, NULL, 0), RR_ERR_INVAL);
    assert_int_equal(queue_submit(&f->app, "nope", NULL, "{}", id), RR_ERR_INVAL);
    assert_int_equal(queue_submit(NULL, "analyze_video", NULL, "{}", id), RR_ERR_INVAL);
    assert_null(queue_kind_find(NULL));
    assert_non_null(queue_kind_find("analyze_video"));
    assert_null(queue_video_key("xyz", "overlay", key, sizeof key));
    assert_null(queue_video_key("0123456789abcdef0123456789abcdef", "other", key, sizeof key));
    assert_null(queue_video_key("0123456789abcdef0123456789abcdef", "best", key, 10));
    assert_string_equal(queue_video_key("0123456789abcdef0123456789abcdef", "best", key,
                                        sizeof key),
                        "videos/0123456789abcdef0123456789abcdef/thumbs/best.jpg");
    assert_int_equal(queue_enqueue(NULL, "k", NULL, NULL, 1, 0, id), RR_ERR_INVAL);
    assert_int_equal(queue_claim(NULL, "o", 1, NULL), RR_ERR_INVAL);
    assert_int_equal(queue_heartbeat(NULL, "i", "o", 1), RR_ERR_INVAL);
    assert_int_equal(queue_progress(NULL, "i", "o", 0, NULL), RR_ERR_INVAL);
    assert_int_equal(queue_complete(NULL, "i", "o"), RR_ERR_INVAL);
    assert_int_equal(queue_fail(NULL, "i", "o", NULL, false, NULL), RR_ERR_INVAL);
    assert_int_equal(queue_release(NULL, "i", "o"), RR_ERR_INVAL);
    assert_string_equal(queue_backend_name(NULL), "none");
    struct worker_pool *p = NULL;
    assert_int_equal(worker_pool_start(&f->app, 0, &p, msg, sizeof msg), RR_ERR_INVAL);
    assert_int_equal(worker_pool_start(NULL, 1, &p, msg, sizeof msg), RR_ERR_INVAL);
    snprintf(f->app.cfg.queue_url, sizeof f->app.cfg.queue_url, "redis://x");
    assert_int_equal(worker_pool_start(&f->app, 1, &p, msg, sizeof msg), RR_ERR_UNSUPPORTED);
    assert_null(p);
    worker_pool_stop(NULL);
    assert_int_equal(worker_pool_jobs_finished(NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(queue__refuses_bad_arguments_and_unknown_backends, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(worker__dead_letters_a_crash_looping_job_after_max_attempts,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(worker__writes_unknown_kinds_and_bad_payloads_on_the_job,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            worker__fails_an_undecodable_video_permanently_with_a_message, setup, teardown),
        cmocka_unit_test_setup_teardown(worker__recovers_the_expired_lease_of_a_dead_worker, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            worker__analyses_a_real_clip_into_one_rep_and_a_rerun_replaces_it, setup, teardown),
        cmocka_unit_test_setup_teardown(worker__stop_releases_the_lease_of_a_job_still_running,
                                        setup, teardown),
    };
    return rrtest_status(cmocka_run_group_tests(tests, NULL, NULL));
}
