/*
 * test_usecases.c - the use cases on real engines (SQLite store, file blob store, db queue), no
 * HTTP: ingesting an upload (video row + linked job, idempotent, repairs a missing job, refuses
 * another user's id), saving a workout (new, repeated, repeated after a delete, an analysis
 * re-run that moves the workout to another day and exercise: analytics follow each time),
 * deleting a workout (its video, jobs and blobs go too) and deleting a video (its workout, jobs,
 * blobs and analytics go; another user's id answers NOTFOUND and touches nothing), deleting an
 * account (every video file, workout, job, session and usage counter of the user go, another
 * user's stay; a failure half-way leaves the account, and deleting again finishes it).
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
#include "app/partners.h"
#include "base/rr_error.h"
#include "auth/token.h"
#include "base/rr_fault.h"
#include "blob/blob.h"
#include "store/store.h"

#define DAY1 1772359200000LL /* 2026-03-01T10:00:00Z */
#define DAY2 (DAY1 + 86400000LL)

struct fx {
    char dir[64];
    struct app *a;
    char user[STORE_ID_LEN + 1], other[STORE_ID_LEN + 1];
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/rr-usecases-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char arg[128], msg[256];
    snprintf(arg, sizeof arg, "--data-dir=%s", f->dir);
    char *argv[] = {"serve", arg, NULL};
    struct app_config c;
    assert_int_equal(app_config_load(&c, APP_CMD_SERVE, 2, argv, msg, sizeof msg), 0);
    assert_int_equal(app_open(&c, &f->a, msg, sizeof msg), 0);
    struct store_user u;
    assert_int_equal(store_user_create(f->a->store, "u@example.com", "x", "user", &u), 0);
    memcpy(f->user, u.id, sizeof f->user);
    assert_int_equal(store_user_create(f->a->store, "o@example.com", "x", "user", &u), 0);
    memcpy(f->other, u.id, sizeof f->other);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    app_close(f->a);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", f->dir);
    free(f);
    return 0;
}

static void put_blob(struct fx *f, const char *key)
{
    struct blob_writer *w = NULL;
    assert_int_equal(blob_writer_begin(f->a->blob, key, &w), 0);
    assert_int_equal(blob_writer_write(w, "data", 4), 0);
    assert_int_equal(blob_writer_commit(w, NULL), 0);
}

static int blob_exists(struct fx *f, const char *key)
{
    struct blob_info bi;
    return blob_stat(f->a->blob, key, &bi) == 0;
}

static size_t count_jobs(struct fx *f, const char *user)
{
    struct store_job *items = NULL;
    size_t n = 0;
    char next[STORE_CURSOR_MAX];
    assert_int_equal(store_job_list(f->a->store, user, NULL, 100, &items, &n, next), 0);
    free(items);
    return n;
}

/* Sessions in the analytics row of (user, day of t, exercise); 0 when there is no row. */
static int64_t sessions(struct fx *f, const char *user, int64_t t, const char *exercise)
{
    char day[11];
    struct store_analytics_day *d = NULL;
    size_t n = 0;
    time_t s = (time_t)(t / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(day, sizeof day, "%Y-%m-%d", &tm);
    assert_int_equal(store_analytics_range(f->a->store, user, day, day, exercise, &d, &n), 0);
    int64_t out = n ? d[0].sessions : 0;
    free(d);
    return out;
}

/* A committed original and its ingest; returns the ids. */
static void ingest(struct fx *f, const char *user, const char *id, struct app_ingested *out)
{
    char key[128];
    snprintf(key, sizeof key, "videos/%s/original", id ? id : "new");
    put_blob(f, key);
    struct app_upload up = {.user_id = user, .video_id = id, .blob_key = key, .size = 4,
                            .sha256 = "ab"};
    assert_int_equal(app_ingest_upload(f->a, &up, out), 0);
}

/* A workout of one set with n reps; video_id may be NULL. */
static int save(struct fx *f, const char *user, const char *video_id, int64_t started,
                const char *exercise, const char *client_id, struct store_workout *w,
                enum app_saved *how)
{
    struct store_set set;
    struct store_rep reps[3];
    memset(w, 0, sizeof *w);
    memset(&set, 0, sizeof set);
    memset(reps, 0, sizeof reps);
    snprintf(w->user_id, sizeof w->user_id, "%s", user);
    snprintf(w->video_id, sizeof w->video_id, "%s", video_id ? video_id : "");
    snprintf(w->exercise, sizeof w->exercise, "%s", exercise);
    snprintf(set.exercise, sizeof set.exercise, "%s", exercise);
    w->started_at = started;
    w->score = 80;
    set.reps = 3;
    set.score = 80;
    for (int i = 0; i < 3; i++) {
        reps[i].idx = i;
        reps[i].t_start_ms = i * 1000;
        reps[i].t_end_ms = i * 1000 + 900;
        reps[i].score = 80;
    }
    return app_save_workout(f->a, w, &set, 1, reps, 3, client_id, how);
}

static void ingest__makes_the_video_and_its_linked_job_once(void **state)
{
    struct fx *f = *state;
    char id[STORE_ID_LEN + 1];
    struct app_ingested a1, a2;
    store_new_id(id);
    ingest(f, f->user, id, &a1);
    assert_string_equal(a1.video_id, id); /* the upload id is the video id */
    struct store_job j;
    assert_int_equal(store_job_get(f->a->store, f->user, a1.job_id, &j), 0);
    assert_string_equal(j.kind, "analyze_video");
    assert_string_equal(j.video_id, id);
    assert_int_equal(j.max_attempts, f->a->cfg.job_max_attempts);
    struct store_video v;
    assert_int_equal(store_video_get(f->a->store, f->user, id, &v), 0);
    assert_string_equal(v.status, "uploaded");
    assert_int_equal(v.size, 4);
    /* again (a HEAD after the last PATCH, a retried request): same video, same job */
    ingest(f, f->user, id, &a2);
    assert_string_equal(a2.video_id, a1.video_id);
    assert_string_equal(a2.job_id, a1.job_id);
    assert_int_equal(count_jobs(f, f->user), 1);
    /* a new upload without an id gets a fresh video */
    ingest(f, f->user, NULL, &a2);
    assert_string_not_equal(a2.video_id, a1.video_id);
    assert_int_equal(count_jobs(f, f->user), 2);
}

static void ingest__repairs_a_row_without_its_job_and_refuses_foreign_ids(void **state)
{
    struct fx *f = *state;
    struct store_video v;
    struct app_ingested out;
    memset(&v, 0, sizeof v);
    snprintf(v.user_id, sizeof v.user_id, "%s", f->user);
    snprintf(v.blob_key, sizeof v.blob_key, "videos/x/original");
    snprintf(v.status, sizeof v.status, "uploaded");
    assert_int_equal(store_video_create(f->a->store, &v), 0); /* crashed before the job */
    ingest(f, f->user, v.id, &out);
    assert_string_equal(out.video_id, v.id);
    struct store_job j;
    assert_int_equal(store_job_find_for_video(f->a->store, f->user, v.id, "analyze_video", &j), 0);
    assert_string_equal(j.id, out.job_id);
    /* another user naming that id gets nothing and changes nothing */
    struct app_upload up = {.user_id = f->other, .video_id = v.id, .blob_key = "videos/x/o",
                            .size = 1};
    assert_int_equal(app_ingest_upload(f->a, &up, &out), RR_ERR_NOTFOUND);
    assert_int_equal(count_jobs(f, f->other), 0);
    /* refusals */
    assert_int_equal(app_ingest_upload(f->a, NULL, &out), RR_ERR_INVAL);
    up.user_id = NULL;
    assert_int_equal(app_ingest_upload(f->a, &up, &out), RR_ERR_INVAL);
    up.user_id = f->user;
    up.video_id = "0123456789abcdef0123456789abcdef0"; /* 33 characters */
    assert_int_equal(app_ingest_upload(f->a, &up, &out), RR_ERR_INVAL);
}

static void save__is_idempotent_per_client_id_and_keeps_analytics(void **state)
{
    struct fx *f = *state;
    struct store_workout w, again;
    enum app_saved how;
    assert_int_equal(save(f, f->user, NULL, DAY1, "squat", "phone-1", &w, &how), 0);
    assert_int_equal(how, APP_SAVED_NEW);
    assert_true(w.id[0] && w.created_at > 0);
    assert_int_equal(sessions(f, f->user, DAY1, "squat"), 1);
    /* the phone retries: nothing written, the first workout comes back */
    assert_int_equal(save(f, f->user, NULL, DAY1, "squat", "phone-1", &again, &how), 0);
    assert_int_equal(how, APP_SAVED_AGAIN);
    assert_string_equal(again.id, w.id);
    assert_int_equal(sessions(f, f->user, DAY1, "squat"), 1);
    /* the same key for other data (issue 15): a conflict, nothing written, nothing lost */
    assert_int_equal(save(f, f->user, NULL, DAY2, "lunge", "phone-1", &again, &how),
                     RR_ERR_CONFLICT);
    assert_string_equal(again.id, w.id);
    assert_string_equal(again.exercise, "squat");
    assert_int_equal(again.started_at, DAY1);
    assert_int_equal(sessions(f, f->user, DAY1, "squat"), 1);
    assert_int_equal(sessions(f, f->user, DAY2, "lunge"), 0);
    /* deleted since: the key holds, nothing comes back */
    assert_int_equal(app_delete_workout(f->a, f->user, w.id), 0);
    assert_int_equal(sessions(f, f->user, DAY1, "squat"), 0);
    assert_int_equal(save(f, f->user, NULL, DAY1, "squat", "phone-1", &again, &how), 0);
    assert_int_equal(how, APP_SAVED_GONE);
    assert_string_equal(again.id, w.id);
    assert_int_equal(sessions(f, f->user, DAY1, "squat"), 0);
    assert_int_equal(app_save_workout(f->a, NULL, NULL, 0, NULL, 0, NULL, &how), RR_ERR_INVAL);
}

static void save__a_rerun_that_moves_the_workout_updates_both_days(void **state)
{
    struct fx *f = *state;
    struct app_ingested in;
    struct store_workout w;
    enum app_saved how;
    ingest(f, f->user, NULL, &in);
    assert_int_equal(save(f, f->user, in.video_id, DAY1, "squat", NULL, &w, &how), 0);
    assert_int_equal(sessions(f, f->user, DAY1, "squat"), 1);
    /* a second analysis recognises another exercise on another day: one workout, moved */
    assert_int_equal(save(f, f->user, in.video_id, DAY2, "lunge", NULL, &w, &how), 0);
    assert_int_equal(how, APP_SAVED_NEW);
    assert_int_equal(sessions(f, f->user, DAY1, "squat"), 0);
    assert_int_equal(sessions(f, f->user, DAY2, "lunge"), 1);
    struct store_workout byv;
    assert_int_equal(store_workout_get_by_video(f->a->store, in.video_id, &byv), 0);
    assert_string_equal(byv.id, w.id);
}

static void delete_workout__takes_its_video_jobs_and_blobs(void **state)
{
    struct fx *f = *state;
    struct app_ingested in;
    struct store_workout w;
    enum app_saved how;
    char key[256];
    ingest(f, f->user, NULL, &in);
    put_blob(f, app_video_key(in.video_id, "report", key, sizeof key));
    put_blob(f, app_video_key(in.video_id, "best", key, sizeof key));
    assert_int_equal(save(f, f->user, in.video_id, DAY1, "squat", NULL, &w, &how), 0);
    /* not someone else's to delete */
    assert_int_equal(app_delete_workout(f->a, f->other, w.id), RR_ERR_NOTFOUND);
    assert_int_equal(sessions(f, f->user, DAY1, "squat"), 1);

    assert_int_equal(app_delete_workout(f->a, f->user, w.id), 0);
    struct store_video v;
    struct store_job j;
    assert_int_equal(store_video_get(f->a->store, NULL, in.video_id, &v), RR_ERR_NOTFOUND);
    assert_int_equal(store_job_get(f->a->store, NULL, in.job_id, &j), RR_ERR_NOTFOUND);
    assert_false(blob_exists(f, app_video_key(in.video_id, "report", key, sizeof key)));
    assert_false(blob_exists(f, app_video_key(in.video_id, "best", key, sizeof key)));
    assert_int_equal(sessions(f, f->user, DAY1, "squat"), 0);
    assert_int_equal(app_delete_workout(f->a, f->user, w.id), RR_ERR_NOTFOUND);
    /* a device workout has no video to take */
    assert_int_equal(save(f, f->user, NULL, DAY1, "plank", "p", &w, &how), 0);
    assert_int_equal(app_delete_workout(f->a, f->user, w.id), 0);
}

static void delete_video__takes_everything_derived_from_it(void **state)
{
    struct fx *f = *state;
    struct app_ingested in, keep;
    struct store_workout w, kept;
    enum app_saved how;
    char id[STORE_ID_LEN + 1], key[256], orig[128];
    store_new_id(id);
    ingest(f, f->user, id, &in);
    snprintf(orig, sizeof orig, "videos/%s/original", id);
    static const char *const derived[] = {"overlay", "best", "worst", "report", "landmarks"};
    for (size_t i = 0; i < 5; i++)
        put_blob(f, app_video_key(id, derived[i], key, sizeof key));
    assert_int_equal(save(f, f->user, id, DAY1, "squat", NULL, &w, &how), 0);
    ingest(f, f->user, NULL, &keep); /* another video of the same user, same day */
    assert_int_equal(save(f, f->user, keep.video_id, DAY1, "squat", NULL, &kept, &how), 0);
    assert_int_equal(sessions(f, f->user, DAY1, "squat"), 2);

    /* another user: NOTFOUND, nothing touched */
    assert_int_equal(app_delete_video(f->a, f->other, id), RR_ERR_NOTFOUND);
    assert_true(blob_exists(f, orig));

    assert_int_equal(app_delete_video(f->a, f->user, id), 0);
    struct store_video v;
    struct store_job j;
    assert_int_equal(store_video_get(f->a->store, NULL, id, &v), RR_ERR_NOTFOUND);
    assert_int_equal(store_job_get(f->a->store, NULL, in.job_id, &j), RR_ERR_NOTFOUND);
    assert_int_equal(store_workout_get(f->a->store, f->user, w.id, &w), RR_ERR_NOTFOUND);
    assert_false(blob_exists(f, orig));
    for (size_t i = 0; i < 5; i++)
        assert_false(blob_exists(f, app_video_key(id, derived[i], key, sizeof key)));
    assert_int_equal(sessions(f, f->user, DAY1, "squat"), 1); /* the other video's workout */
    assert_int_equal(store_workout_get(f->a->store, f->user, kept.id, &kept), 0);
    assert_int_equal(store_job_get(f->a->store, NULL, keep.job_id, &j), 0);
    assert_int_equal(app_delete_video(f->a, f->user, id), RR_ERR_NOTFOUND);
    /* a video without a workout (never analysed) goes too */
    assert_int_equal(app_delete_video(f->a, f->user, keep.video_id), 0);
    assert_int_equal(sessions(f, f->user, DAY1, "squat"), 0);
    assert_int_equal(count_jobs(f, f->user), 0);
}

/* Rows of this month's usage counters about subject (a user id). */
static size_t usage_rows(struct fx *f, const char *subject)
{
    char month[STORE_MONTH_LEN + 1];
    struct store_usage_row *rows = NULL;
    size_t n = 0, k = 0;
    store_month_of(store_now(f->a->store), month);
    assert_int_equal(store_usage_list(f->a->store, month, NULL, &rows, &n), 0);
    for (size_t i = 0; i < n; i++)
        k += strcmp(rows[i].subject_id, subject) == 0;
    free(rows);
    return k;
}

/* n analysed-looking videos of user (original + every derived blob), the first with a workout,
 * a refresh token and a usage counter; ids[] gets the video ids. */
static void account_with_videos(struct fx *f, const char *user, size_t n,
                                char ids[][STORE_ID_LEN + 1], char token[TOKEN_HASH_HEX_SIZE])
{
    static const char *const derived[] = {"overlay", "best", "worst", "report", "landmarks"};
    char key[256];
    for (size_t v = 0; v < n; v++) {
        struct app_ingested in;
        store_new_id(ids[v]);
        ingest(f, user, ids[v], &in);
        for (size_t i = 0; i < 5; i++)
            put_blob(f, app_video_key(ids[v], derived[i], key, sizeof key));
    }
    struct store_workout w;
    enum app_saved how;
    assert_int_equal(save(f, user, ids[0], DAY1, "squat", NULL, &w, &how), 0);
    snprintf(token, TOKEN_HASH_HEX_SIZE, "%.32s%.32s", user, user);
    assert_int_equal(store_refresh_create(f->a->store, user, NULL, token,
                                          store_now(f->a->store) + 3600000, NULL),
                     0);
    assert_int_equal(store_usage_add(f->a->store, user, NULL, "analysis_seconds", 12, ids[0]), 0);
}

/* Every file of the video: the original and each derived object. */
static size_t video_files(struct fx *f, const char *id)
{
    static const char *const derived[] = {"overlay", "best", "worst", "report", "landmarks"};
    char key[256], orig[128];
    snprintf(orig, sizeof orig, "videos/%s/original", id);
    size_t k = (size_t)blob_exists(f, orig);
    for (size_t i = 0; i < 5; i++)
        k += (size_t)blob_exists(f, app_video_key(id, derived[i], key, sizeof key));
    return k;
}

static void delete_account__takes_every_file_row_and_session(void **state)
{
    struct fx *f = *state;
    char mine[3][STORE_ID_LEN + 1], theirs[1][STORE_ID_LEN + 1];
    char tok[TOKEN_HASH_HEX_SIZE], other_tok[TOKEN_HASH_HEX_SIZE];
    account_with_videos(f, f->user, 3, mine, tok);
    account_with_videos(f, f->other, 1, theirs, other_tok);
    assert_int_equal(video_files(f, mine[0]), 6);
    assert_true(usage_rows(f, f->user) >= 1);

    assert_int_equal(app_account_delete(f->a, f->user), 0);
    struct store_user u;
    struct store_refresh r;
    assert_int_equal(store_user_get(f->a->store, f->user, &u), RR_ERR_NOTFOUND);
    for (size_t v = 0; v < 3; v++)
        assert_int_equal(video_files(f, mine[v]), 0);
    assert_int_equal(store_refresh_get(f->a->store, tok, &r), RR_ERR_NOTFOUND);
    assert_int_equal(count_jobs(f, f->user), 0);
    assert_int_equal(usage_rows(f, f->user), 0);
    /* the other account keeps everything */
    assert_int_equal(video_files(f, theirs[0]), 6);
    assert_int_equal(store_refresh_get(f->a->store, other_tok, &r), 0);
    assert_int_equal(r.revoked_at, 0);
    assert_int_equal(count_jobs(f, f->other), 1);
    assert_true(usage_rows(f, f->other) >= 1);
    assert_int_equal(sessions(f, f->other, DAY1, "squat"), 1);
    /* once: again is NOTFOUND */
    assert_int_equal(app_account_delete(f->a, f->user), RR_ERR_NOTFOUND);
}

static void delete_account__a_failure_half_way_is_finished_by_running_again(void **state)
{
    struct fx *f = *state;
    char mine[3][STORE_ID_LEN + 1];
    char tok[TOKEN_HASH_HEX_SIZE];
    account_with_videos(f, f->user, 3, mine, tok);
    /* the sessions go (write 1), then a video's rows; the 3rd write transaction fails */
    assert_int_equal(rr_fault_set("store.begin:3"), 0);
    int rc = app_account_delete(f->a, f->user);
    rr_fault_clear();
    assert_true(rc < 0);
    struct store_user u;
    struct store_refresh r;
    assert_int_equal(store_user_get(f->a->store, f->user, &u), 0); /* still there, not done */
    assert_int_equal(store_refresh_get(f->a->store, tok, &r), 0);
    assert_true(r.revoked_at > 0); /* but no session can be refreshed */
    assert_int_equal(app_account_delete(f->a, f->user), 0);
    assert_int_equal(store_user_get(f->a->store, f->user, &u), RR_ERR_NOTFOUND);
    for (size_t v = 0; v < 3; v++)
        assert_int_equal(video_files(f, mine[v]), 0);
    assert_int_equal(usage_rows(f, f->user), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(ingest__makes_the_video_and_its_linked_job_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            ingest__repairs_a_row_without_its_job_and_refuses_foreign_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(save__is_idempotent_per_client_id_and_keeps_analytics,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(save__a_rerun_that_moves_the_workout_updates_both_days,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(delete_workout__takes_its_video_jobs_and_blobs, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(delete_account__takes_every_file_row_and_session, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            delete_account__a_failure_half_way_is_finished_by_running_again, setup, teardown),
        cmocka_unit_test_setup_teardown(delete_video__takes_everything_derived_from_it, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
