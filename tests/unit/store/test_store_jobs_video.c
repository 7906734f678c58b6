/*
 * test_store_jobs_video.c - the video a job is about as a real column (migration "jobs_video"):
 * store_job_enqueue_video links a job to a video, store_job_find_for_video finds the newest job
 * of a kind for a video by one indexed lookup (owner-scoped), a job of a video that does not exist
 * is refused, and deleting the video deletes its jobs. The index is used (EXPLAIN QUERY PLAN is
 * not reachable here; the lookup is timed behind 300 newer jobs instead).
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
#include "store/store.h"
#include "support/storetest.h"

struct fx {
    struct store *s;
    char dir[STORETEST_DIR_MAX];
    char user[STORE_ID_LEN + 1], other[STORE_ID_LEN + 1];
    int64_t now;
};

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->now = STORETEST_NOW;
    storetest_open(&f->s, f->dir, "jv", &f->now);
    storetest_user(f->s, "a@example.com", f->user);
    storetest_user(f->s, "b@example.com", f->other);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    storetest_close(f->s, f->dir);
    free(f);
    return 0;
}

static void video(struct fx *f, const char *user, char id[STORE_ID_LEN + 1])
{
    struct store_video v;
    memset(&v, 0, sizeof v);
    snprintf(v.user_id, sizeof v.user_id, "%s", user);
    snprintf(v.blob_key, sizeof v.blob_key, "videos/x/original");
    snprintf(v.status, sizeof v.status, "uploaded");
    assert_int_equal(store_video_create(f->s, &v), 0);
    memcpy(id, v.id, STORE_ID_LEN + 1);
}

static void jobs_video__links_finds_the_newest_and_scopes_to_the_owner(void **state)
{
    struct fx *f = *state;
    char vid[STORE_ID_LEN + 1], j1[STORE_ID_LEN + 1], j2[STORE_ID_LEN + 1], j3[STORE_ID_LEN + 1];
    struct store_job j;
    video(f, f->user, vid);
    assert_int_equal(store_job_find_for_video(f->s, f->user, vid, "analyze_video", &j),
                     RR_ERR_NOTFOUND);
    assert_int_equal(store_job_enqueue_video(f->s, "analyze_video", f->user, vid, NULL, 3, 0, j1),
                     0);
    f->now += 10;
    assert_int_equal(store_job_enqueue_video(f->s, "analyze_video", f->user, vid, "{}", 3, 0, j2),
                     0);
    f->now += 10;
    assert_int_equal(store_job_enqueue_video(f->s, "other_kind", f->user, vid, "{}", 3, 0, j3), 0);

    assert_int_equal(store_job_find_for_video(f->s, f->user, vid, "analyze_video", &j), 0);
    assert_string_equal(j.id, j2); /* the newest of that kind */
    assert_string_equal(j.video_id, vid);
    assert_string_equal(j.payload, "{}");
    assert_int_equal(store_job_find_for_video(f->s, NULL, vid, "other_kind", &j), 0);
    assert_string_equal(j.id, j3);
    /* another user's video answers like an unknown one */
    assert_int_equal(store_job_find_for_video(f->s, f->other, vid, "analyze_video", &j),
                     RR_ERR_NOTFOUND);
    /* every read of a job carries the column */
    assert_int_equal(store_job_get(f->s, f->user, j1, &j), 0);
    assert_string_equal(j.video_id, vid);
    assert_int_equal(store_job_claim(f->s, "w1", 1000, &j), 0);
    assert_string_equal(j.video_id, vid);
    struct store_job *items = NULL;
    size_t n = 0;
    char next[STORE_CURSOR_MAX];
    assert_int_equal(store_job_list(f->s, f->user, NULL, 10, &items, &n, next), 0);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(items[i].video_id, vid);
    free(items);
    /* a job about no video */
    char plain[STORE_ID_LEN + 1];
    assert_int_equal(store_job_enqueue(f->s, "analyze_video", f->user, "{}", 3, 0, plain), 0);
    assert_int_equal(store_job_get(f->s, NULL, plain, &j), 0);
    assert_string_equal(j.video_id, "");
}

static void jobs_video__refuses_unknown_videos_and_bad_arguments(void **state)
{
    struct fx *f = *state;
    char id[STORE_ID_LEN + 1];
    struct store_job j;
    assert_int_equal(store_job_enqueue_video(f->s, "analyze_video", f->user,
                                             "0123456789abcdef0123456789abcdef", NULL, 3, 0, id),
                     RR_ERR_NOTFOUND);
    assert_int_equal(store_job_enqueue_video(f->s, "analyze_video", f->user, "not-an-id", NULL, 3,
                                             0, id),
                     RR_ERR_NOTFOUND);
    assert_int_equal(store_job_find_for_video(f->s, NULL, "nope", "analyze_video", &j),
                     RR_ERR_NOTFOUND);
    assert_int_equal(store_job_find_for_video(f->s, NULL, "0123456789abcdef0123456789abcdef", "",
                                              &j),
                     RR_ERR_INVAL);
    assert_int_equal(store_job_find_for_video(f->s, NULL, "0123456789abcdef0123456789abcdef",
                                              "analyze_video", NULL),
                     RR_ERR_INVAL);
    struct store_job_counts c;
    assert_int_equal(store_job_counts(f->s, &c), 0);
    assert_int_equal(c.queued, 0); /* nothing half-written */
}

static void jobs_video__deleting_the_video_deletes_its_jobs(void **state)
{
    struct fx *f = *state;
    char v1[STORE_ID_LEN + 1], v2[STORE_ID_LEN + 1], j1[STORE_ID_LEN + 1], j2[STORE_ID_LEN + 1];
    struct store_job j;
    video(f, f->user, v1);
    video(f, f->user, v2);
    assert_int_equal(store_job_enqueue_video(f->s, "analyze_video", f->user, v1, NULL, 3, 0, j1),
                     0);
    assert_int_equal(store_job_enqueue_video(f->s, "analyze_video", f->user, v2, NULL, 3, 0, j2),
                     0);
    assert_int_equal(store_video_delete(f->s, f->user, v1), 0);
    assert_int_equal(store_job_get(f->s, NULL, j1, &j), RR_ERR_NOTFOUND);
    assert_int_equal(store_job_find_for_video(f->s, NULL, v1, "analyze_video", &j),
                     RR_ERR_NOTFOUND);
    assert_int_equal(store_job_get(f->s, NULL, j2, &j), 0); /* the other video's job stays */
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void jobs_video__lookup_does_not_scan_the_other_jobs(void **state)
{
    struct fx *f = *state;
    char vid[STORE_ID_LEN + 1], target[STORE_ID_LEN + 1], id[STORE_ID_LEN + 1];
    struct store_job j;
    video(f, f->user, vid);
    assert_int_equal(store_job_enqueue_video(f->s, "analyze_video", f->user, vid, NULL, 3, 0,
                                             target),
                     0);
    for (int i = 0; i < 300; i++) { /* newer jobs of other videos (the old search scanned them) */
        char other[STORE_ID_LEN + 1];
        f->now++;
        video(f, f->user, other);
        assert_int_equal(store_job_enqueue_video(f->s, "analyze_video", f->user, other, NULL, 3, 0,
                                                 id),
                         0);
    }
    double t0 = now_s();
    for (int i = 0; i < 200; i++)
        assert_int_equal(store_job_find_for_video(f->s, f->user, vid, "analyze_video", &j), 0);
    double per = (now_s() - t0) / 200;
    assert_string_equal(j.id, target);
    printf("find_for_video behind 300 newer jobs: %.1f us per lookup\n", per * 1e6);
    assert_true(per < 0.002); /* an index lookup: tens of microseconds, even under sanitizers */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            jobs_video__links_finds_the_newest_and_scopes_to_the_owner, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(jobs_video__refuses_unknown_videos_and_bad_arguments,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(jobs_video__deleting_the_video_deletes_its_jobs, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(jobs_video__lookup_does_not_scan_the_other_jobs, fx_setup,
                                        fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
