/*
 * test_analyze.c - analysing a video, through the analyze_video job the app hands the worker
 * pool and through the use case called directly (as a CLI command would): a real clip becomes a
 * report, landmarks, overlay, thumbnails and one workout (a re-run replaces it), garbage fails
 * permanently with a message and no local path, a job naming no video or a deleted one is
 * written off with the reason, and stop releases a running job's lease. Real clip + lite model
 * (SKIP without ../shared or the model cache).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app/app.h"
#include "app/app_int.h"
#include "base/rr_error.h"
#include "blob/blob.h"
#include "queue/queue.h"
#include "queue/worker.h"
#include "support/rrtest.h"
#include "store/store.h"
#include "video/decode.h"

#define CLIP "media/videos/squat_side_BAD_heels_k_i002.mp4"

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
    char models[1024], arg1[300], arg2[1100], msg[256];
    rrtest_require_model("app/test_analyze", "pose_landmark_lite.tflite", models, sizeof models);
    snprintf(f->dir, sizeof f->dir, "/tmp/rr-analyze-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(arg1, sizeof arg1, "--data-dir=%s", f->dir);
    snprintf(arg2, sizeof arg2, "--model-dir=%s", models);
    char *argv[] = {"serve", arg1, arg2, "--model", "lite", "--job-lease-s", "6", NULL};
    struct app_config c;
    assert_int_equal(app_config_load(&c, APP_CMD_SERVE, 7, argv, msg, sizeof msg), 0);
    assert_int_equal(app_open(&c, &f->a, msg, sizeof msg), 0);
    assert_int_equal(store_user_create(f->a->store, "w@example.com", "x", "user", &f->user), 0);
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

/* Upload bytes (a file, or garbage) as the fixture user's video through the ingest use case. */
static void upload(struct fx *f, const char *path, struct app_ingested *out)
{
    char key[128], id[STORE_ID_LEN + 1];
    store_new_id(id);
    snprintf(key, sizeof key, "videos/%s/original", id);
    struct blob_writer *w;
    assert_int_equal(blob_writer_begin(f->a->blob, key, &w), 0);
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
    struct app_upload up = {.user_id = f->user.id, .video_id = id, .blob_key = key,
                            .size = info.size, .sha256 = info.sha256};
    assert_int_equal(app_ingest_upload(f->a, &up, out), 0);
}

static struct worker_pool *start(struct fx *f, int threads)
{
    struct worker_config wc;
    struct worker_pool *p = NULL;
    char msg[256];
    app_worker_config(f->a, threads, &wc);
    assert_int_equal(worker_pool_start(&wc, &p, msg, sizeof msg), 0);
    return p;
}

/* Wait until the job is done or dead (or timeout); returns its final record. */
static void wait_job(struct fx *f, const char *id, int timeout_s, struct store_job *j)
{
    for (int i = 0; i < timeout_s * 10; i++) {
        assert_int_equal(store_job_get(f->a->store, NULL, id, j), 0);
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
    assert_int_equal(store_workout_list(f->a->store, f->user.id, NULL, NULL, 100, &items, &n,
                                        next),
                     0);
    free(items);
    return n;
}

struct progress_log {
    int calls;
    double last;
    char stages[8][32];
    int n_stages;
};

static void record_progress(void *ud, const char *stage, double fraction)
{
    struct progress_log *l = ud;
    l->calls++;
    assert_true(fraction >= 0 && fraction <= 1);
    l->last = fraction;
    if (l->n_stages == 0 || strcmp(l->stages[l->n_stages - 1], stage) != 0) {
        if (l->n_stages < 8)
            snprintf(l->stages[l->n_stages++], sizeof l->stages[0], "%s", stage);
    }
}

static void analyze__a_real_clip_becomes_one_workout_and_a_rerun_replaces_it(void **state)
{
    struct fx *f = *state;
    char clip[1024];
    struct app_ingested in;
    rrtest_case_shared("app/test_analyze", CLIP, clip, sizeof clip);
    upload(f, clip, &in);
    struct worker_pool *p = start(f, 1);
    struct store_job j;
    wait_job(f, in.job_id, 100, &j);
    assert_int_equal(j.state, STORE_JOB_DONE);
    assert_int_equal(j.attempts, 1);
    assert_true(j.progress > 0.99);

    struct store_video v;
    assert_int_equal(store_video_get(f->a->store, f->user.id, in.video_id, &v), 0);
    assert_string_equal(v.status, "analysed");
    assert_true(v.duration_ms > 1000);
    struct store_workout w;
    assert_int_equal(store_workout_get_by_video(f->a->store, in.video_id, &w), 0);
    assert_string_equal(w.exercise, "squat");
    struct store_set *sets = NULL;
    size_t nsets = 0;
    assert_int_equal(store_workout_sets(f->a->store, f->user.id, w.id, &sets, &nsets), 0);
    assert_int_equal(nsets, 1);
    assert_int_equal(sets[0].reps, 1);
    free(sets);
    struct store_rep *reps = NULL;
    size_t nreps = 0;
    assert_int_equal(store_workout_reps(f->a->store, f->user.id, w.id, &reps, &nreps), 0);
    assert_int_equal(nreps, 1);
    assert_non_null(strstr(reps[0].faults, "heels_rise"));
    free(reps);
    /* the report is out as soon as the analysis is: no overlay, no thumbnails yet */
    const char *which[] = {"report", "landmarks", "overlay", "best", "worst"};
    for (size_t i = 0; i < 5; i++) {
        char key[BLOB_KEY_MAX + 1];
        struct blob_info bi;
        assert_non_null(app_video_key(in.video_id, which[i], key, sizeof key));
        assert_int_equal(blob_stat(f->a->blob, key, &bi), i < 2 ? 0 : RR_ERR_NOTFOUND);
    }
    /* made when asked: a render_video job draws them from the stored report and track */
    char rjob[STORE_ID_LEN + 1];
    int queued = 0;
    assert_int_equal(app_render_video(f->a, f->user.id, in.video_id, rjob, &queued), 0);
    assert_int_equal(queued, 1);
    char rjob2[STORE_ID_LEN + 1];
    assert_int_equal(app_render_video(f->a, f->user.id, in.video_id, rjob2, &queued), 0);
    assert_int_equal(queued, 0); /* the one on its way is handed back */
    assert_string_equal(rjob, rjob2);
    wait_job(f, rjob, 100, &j);
    assert_int_equal(j.state, STORE_JOB_DONE);
    assert_string_equal(j.kind, "render_video");
    for (size_t i = 0; i < 5; i++) {
        char key[BLOB_KEY_MAX + 1];
        struct blob_info bi;
        assert_non_null(app_video_key(in.video_id, which[i], key, sizeof key));
        assert_int_equal(blob_stat(f->a->blob, key, &bi), 0);
        assert_true(bi.size > 0);
    }
    worker_pool_stop(p);

    /* the use case called directly (a CLI command would): the same result, one workout */
    struct progress_log log = {0};
    int permanent = -1;
    char err[512];
    assert_int_equal(app_analyze_video(f->a, in.video_id, "squat", record_progress, &log,
                                       &permanent, err, sizeof err),
                     0);
    assert_int_equal(permanent, 0);
    assert_int_equal(count_workouts(f), 1);
    assert_true(log.calls >= 4);
    assert_string_equal(log.stages[0], "fetch");
    assert_string_equal(log.stages[1], "pose");
    assert_string_equal(log.stages[log.n_stages - 1], "store");
    struct store_workout w2;
    assert_int_equal(store_workout_get_by_video(f->a->store, in.video_id, &w2), 0);
    assert_string_not_equal(w2.id, w.id); /* replaced, not added */
    /* the overlay of the earlier run showed its verdicts: gone with the new run */
    char key[BLOB_KEY_MAX + 1];
    struct blob_info bi;
    assert_non_null(app_video_key(in.video_id, "overlay", key, sizeof key));
    assert_int_equal(blob_stat(f->a->blob, key, &bi), RR_ERR_NOTFOUND);
    /* an unknown exercise is refused before any work */
    assert_int_equal(app_analyze_video(f->a, in.video_id, "no_such", NULL, NULL, &permanent,
                                       err, sizeof err),
                     RR_ERR_INVAL);
    assert_int_equal(permanent, 1);
}

/* The video's stored overlay decodes: its frame count (0 when it is not stored). */
static size_t stored_overlay_frames(struct fx *f, const char *video_id)
{
    char key[BLOB_KEY_MAX + 1], msg[256];
    struct blob_reader *r = NULL;
    assert_non_null(app_video_key(video_id, "overlay", key, sizeof key));
    if (blob_get(f->a->blob, key, &r) < 0)
        return 0;
    assert_true(blob_reader_fd(r) >= 0);
    struct video *v = NULL;
    struct video_limits lim = video_limits_default();
    assert_int_equal(video_open_fd(blob_reader_fd(r), "overlay", &lim, &v, msg, sizeof msg), 0);
    size_t n = 0;
    struct rr_image im;
    int64_t t;
    while (video_next(v, &im, &t, msg, sizeof msg) == 0)
        n++;
    video_close(v);
    blob_reader_close(r);
    return n;
}

static int stored(struct fx *f, const char *video_id, const char *which)
{
    char key[BLOB_KEY_MAX + 1];
    struct blob_info bi;
    assert_non_null(app_video_key(video_id, which, key, sizeof key));
    return blob_stat(f->a->blob, key, &bi) == 0 && bi.size > 0;
}

static void drop_renders(struct fx *f, const char *video_id)
{
    static const char *const which[] = {"overlay", "best", "worst"};
    for (size_t i = 0; i < 3; i++) {
        char key[BLOB_KEY_MAX + 1];
        assert_non_null(app_video_key(video_id, which[i], key, sizeof key));
        (void)blob_delete(f->a->blob, key);
    }
}

/* The render job sandboxed (the default) and in process: the same playable overlay and
 * thumbnails; a crashing render child stores nothing and fails for good; the render's budget
 * refuses a costly header and bounds a cheap one. */
static void analyze__the_render_runs_sandboxed_or_in_process_and_a_crash_stores_nothing(
    void **state)
{
    struct fx *f = *state;
    char clip[1024], err[512];
    struct app_ingested in;
    rrtest_case_shared("app/test_analyze", CLIP, clip, sizeof clip);
    upload(f, clip, &in);
    int permanent = -1;
    assert_int_equal(app_analyze_video(f->a, in.video_id, "squat", NULL, NULL, &permanent, err,
                                       sizeof err),
                     0);
    assert_true(f->a->cfg.analysis_sandbox);
    const char *exe = getenv("REPRIGHT_ANALYZER");
    if (!exe || access(exe, X_OK) != 0)
        rrtest_skip_case("app/test_analyze", "REPRIGHT_ANALYZER is not the repright binary");

    /* a render child that crashes: nothing stored, a permanent failure in plain words */
    char crash[512];
    snprintf(crash, sizeof crash, "%s/crash.sh", f->dir);
    FILE *sh = fopen(crash, "w");
    assert_non_null(sh);
    fprintf(sh, "#!/bin/sh\nprintf 'half an mp4' >&6\nkill -SEGV $$\n");
    fclose(sh);
    assert_int_equal(chmod(crash, 0700), 0);
    char saved[sizeof f->a->cfg.analyzer];
    memcpy(saved, f->a->cfg.analyzer, sizeof saved);
    snprintf(f->a->cfg.analyzer, sizeof f->a->cfg.analyzer, "%s", crash);
    assert_int_equal(app_render_video_run(f->a, in.video_id, NULL, NULL, &permanent, err,
                                          sizeof err),
                     RR_ERR_CORRUPT);
    assert_int_equal(permanent, 1);
    assert_null(strstr(err, "/proc/self"));
    assert_false(stored(f, in.video_id, "overlay"));
    assert_false(stored(f, in.video_id, "best"));
    memcpy(f->a->cfg.analyzer, saved, sizeof saved);

    /* sandboxed: a playable overlay, frame for frame, and both thumbnails */
    assert_int_equal(app_render_video_run(f->a, in.video_id, NULL, NULL, &permanent, err,
                                          sizeof err),
                     0);
    size_t sandboxed = stored_overlay_frames(f, in.video_id);
    assert_int_equal(sandboxed, 47);
    assert_true(stored(f, in.video_id, "best") && stored(f, in.video_id, "worst"));

    /* in process (REPRIGHT_ANALYSIS_SANDBOX=off): the same */
    drop_renders(f, in.video_id);
    f->a->cfg.analysis_sandbox = 0;
    assert_int_equal(app_render_video_run(f->a, in.video_id, NULL, NULL, &permanent, err,
                                          sizeof err),
                     0);
    f->a->cfg.analysis_sandbox = 1;
    assert_int_equal(stored_overlay_frames(f, in.video_id), sandboxed);
    assert_true(stored(f, in.video_id, "best") && stored(f, in.video_id, "worst"));

    /* the render's budget: 10 min of 2160p30 is refused in its words, the clip is bounded */
    struct video_info big = {.width = 3840, .height = 2160, .fps = 30, .frames = 18000};
    struct video_limits lim = video_limits_default();
    double cost = 0;
    f->a->cfg.job_cpu_budget_s = 300;
    assert_int_equal(app__admit_render(f->a, &big, &lim, &cost, err, sizeof err),
                     RR_ERR_TOOBIG);
    assert_non_null(strstr(err, "too costly to render"));
    assert_true(cost > 300);
    struct video_info small = {.width = 1280, .height = 720, .fps = 30, .frames = 47};
    lim = video_limits_default();
    assert_int_equal(app__admit_render(f->a, &small, &lim, &cost, err, sizeof err), 0);
    assert_true(cost < 2 && lim.max_frames >= 47);
    printf("render cost estimate: 720p %.1f ms/frame, 2160p %.1f ms/frame\n",
           app__render_cost_ms_per_frame(1280, 720), app__render_cost_ms_per_frame(3840, 2160));
}

static void analyze__fails_an_undecodable_video_permanently_with_a_message(void **state)
{
    struct fx *f = *state;
    struct app_ingested in;
    upload(f, NULL, &in);
    struct worker_pool *p = start(f, 1);
    struct store_job j;
    wait_job(f, in.job_id, 60, &j);
    worker_pool_stop(p);
    assert_int_equal(j.state, STORE_JOB_DEAD);
    assert_int_equal(j.attempts, 1); /* no retries for bad input */
    /* said once, in plain words */
    assert_string_equal(j.error, "this file is not a video RepRight can read: upload an mp4, mov, "
                                 "webm or mkv clip");
    assert_null(strstr(j.error, "/proc/")); /* no local paths leak */
    struct store_video v;
    assert_int_equal(store_video_get(f->a->store, NULL, in.video_id, &v), 0);
    assert_string_equal(v.status, "failed");
    assert_string_equal(v.error, j.error);
    assert_int_equal(count_workouts(f), 0);
    /* the use case says the same, and that no retry can help */
    int permanent = 0;
    char err[512];
    assert_true(app_analyze_video(f->a, in.video_id, NULL, NULL, NULL, &permanent, err,
                                  sizeof err) < 0);
    assert_int_equal(permanent, 1);
    assert_non_null(strstr(err, "not a video"));
    /* and the overlay of a video that was never analysed is refused */
    char rjob[STORE_ID_LEN + 1];
    int queued = 0;
    assert_int_equal(app_render_video(f->a, f->user.id, in.video_id, rjob, &queued),
                     RR_ERR_CONFLICT);
}

static void analyze__writes_off_jobs_without_a_video_or_with_a_deleted_one(void **state)
{
    struct fx *f = *state;
    char none[STORE_ID_LEN + 1];
    struct app_ingested in;
    assert_int_equal(queue_enqueue(f->a->queue, "analyze_video", f->user.id, NULL, "{}", 3, 0,
                                   none),
                     0);
    upload(f, NULL, &in);
    /* the video is deleted while its job waits: the job goes with it (nothing left to fail) */
    assert_int_equal(app_delete_video(f->a, f->user.id, in.video_id), 0);
    struct store_job j;
    assert_int_equal(store_job_get(f->a->store, NULL, in.job_id, &j), RR_ERR_NOTFOUND);
    struct worker_pool *p = start(f, 2);
    wait_job(f, none, 30, &j);
    assert_int_equal(j.state, STORE_JOB_DEAD);
    assert_int_equal(j.attempts, 1);
    assert_non_null(strstr(j.error, "names no video"));
    worker_pool_stop(p);
    int permanent = 0;
    char err[256];
    assert_int_equal(app_analyze_video(f->a, "0123456789abcdef0123456789abcdef", NULL, NULL,
                                       NULL, &permanent, err, sizeof err),
                     RR_ERR_NOTFOUND);
    assert_int_equal(permanent, 1);
    assert_non_null(strstr(err, "deleted"));
}

static void analyze__stop_releases_the_lease_of_a_job_still_running(void **state)
{
    struct fx *f = *state;
    char clip[1024];
    struct app_ingested in;
    rrtest_case_shared("app/test_analyze", CLIP, clip, sizeof clip);
    upload(f, clip, &in);
    struct worker_pool *p = start(f, 1);
    worker_pool_set_drain_ms(p, 0);
    struct store_job j;
    for (int i = 0; i < 300; i++) { /* wait until it is running with some progress */
        assert_int_equal(store_job_get(f->a->store, NULL, in.job_id, &j), 0);
        if (j.state == STORE_JOB_RUNNING && j.progress > 0.1)
            break;
        sleep_ms(100);
    }
    assert_int_equal(j.state, STORE_JOB_RUNNING);
    assert_true(j.stage[0] != 0);
    worker_pool_stop(p);
    assert_int_equal(store_job_get(f->a->store, NULL, in.job_id, &j), 0);
    assert_int_equal(j.state, STORE_JOB_QUEUED); /* runnable again by the next process */
    assert_int_equal(j.lease_until, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            analyze__writes_off_jobs_without_a_video_or_with_a_deleted_one, setup, teardown),
        cmocka_unit_test_setup_teardown(
            analyze__fails_an_undecodable_video_permanently_with_a_message, setup, teardown),
        cmocka_unit_test_setup_teardown(
            analyze__a_real_clip_becomes_one_workout_and_a_rerun_replaces_it, setup, teardown),
        cmocka_unit_test_setup_teardown(
            analyze__the_render_runs_sandboxed_or_in_process_and_a_crash_stores_nothing, setup,
            teardown),
        cmocka_unit_test_setup_teardown(analyze__stop_releases_the_lease_of_a_job_still_running,
                                        setup, teardown),
    };
    return rrtest_status(cmocka_run_group_tests(tests, NULL, NULL));
}
