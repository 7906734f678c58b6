/*
 * test_store_fair.c - fair claims across job owners and storage usage (issue 15, migration
 * "job_fairness").
 *
 * Found before: the claim took the oldest runnable job of anyone, so one user who queued 20
 * jobs first held the only worker for all of them while another user's single job waited
 * behind; and there was no way to cap a user's running jobs, nor to sum what a user stores.
 * Now: owners are served round robin (fewest live leases, then least recently served), a cap
 * skips owners at their limit, expired leases come back fairly, system jobs (no user) are one
 * more owner, and the claim stays fast behind a greedy owner's 5,000 queued jobs.
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
    char a[STORE_ID_LEN + 1], b[STORE_ID_LEN + 1], c[STORE_ID_LEN + 1];
    int64_t now;
};

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->now = STORETEST_NOW;
    storetest_open(&f->s, f->dir, "fair", &f->now);
    storetest_user(f->s, "a@example.com", f->a);
    storetest_user(f->s, "b@example.com", f->b);
    storetest_user(f->s, "c@example.com", f->c);
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

/* n jobs of user (NULL: system), one millisecond apart. */
static void enqueue(struct fx *f, const char *user, int n)
{
    for (int i = 0; i < n; i++) {
        f->now++;
        assert_int_equal(store_job_enqueue(f->s, "k", user, NULL, 3, 0, NULL), 0);
    }
}

/* Claim, remember the owner, complete at once (one worker). */
static void claim_done(struct fx *f, char who[STORE_ID_LEN + 1])
{
    struct store_job j;
    f->now++;
    assert_int_equal(store_job_claim(f->s, "w", 60000, &j), 0);
    memcpy(who, j.user_id, STORE_ID_LEN + 1);
    assert_int_equal(store_job_complete(f->s, j.id, "w"), 0);
}

/* A queued 20 jobs first, then B 3 and C 1: one worker serves A, B, C, A, B, A, B, A, A, ... */
static void test_round_robin_across_owners(void **state)
{
    struct fx *f = *state;
    enqueue(f, f->a, 20);
    enqueue(f, f->b, 3);
    enqueue(f, f->c, 1);
    const char *want[] = {f->a, f->b, f->c, f->a, f->b, f->a, f->b, f->a, f->a};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        char who[STORE_ID_LEN + 1];
        claim_done(f, who);
        assert_string_equal(who, want[i]);
    }
    /* what is left is A's */
    for (int i = 0; i < 15; i++) {
        char who[STORE_ID_LEN + 1];
        claim_done(f, who);
        assert_string_equal(who, f->a);
    }
    struct store_job j;
    assert_int_equal(store_job_claim(f->s, "w", 60000, &j), RR_ERR_NOTFOUND);
}

/* Two workers: each owner gets one before anyone gets a second (fewest live leases first),
 * and a cap of 1 keeps an owner at one running job even when workers are idle. */
static void test_fewest_running_and_cap(void **state)
{
    struct fx *f = *state;
    enqueue(f, f->a, 5);
    enqueue(f, f->b, 5);
    struct store_job j1, j2, j3;
    f->now++;
    assert_int_equal(store_job_claim_capped(f->s, "w1", 60000, 1, &j1), 0);
    assert_int_equal(store_job_claim_capped(f->s, "w2", 60000, 1, &j2), 0);
    assert_string_not_equal(j1.user_id, j2.user_id);
    /* both owners at their cap: a third worker finds nothing it may run */
    assert_int_equal(store_job_claim_capped(f->s, "w3", 60000, 1, &j3), RR_ERR_NOTFOUND);
    /* without a cap the third worker takes one of them */
    assert_int_equal(store_job_claim(f->s, "w3", 60000, &j3), 0);
    assert_int_equal(store_job_complete(f->s, j3.id, "w3"), 0);
    /* a lease that expires is no longer a live one: the owner is below the cap again, and its
     * abandoned job is what it gets back (the oldest runnable of that owner) */
    f->now += 60001;
    assert_int_equal(store_job_heartbeat(f->s, j2.id, "w2", 60000), 0);
    struct store_job again;
    assert_int_equal(store_job_claim_capped(f->s, "w4", 60000, 1, &again), 0);
    assert_string_equal(again.user_id, j1.user_id);
    assert_string_equal(again.id, j1.id);
    assert_int_equal(again.attempts, 2);
}

/* System jobs (no user) are one more owner in the rotation. */
static void test_system_jobs_are_an_owner(void **state)
{
    struct fx *f = *state;
    enqueue(f, f->a, 3);
    enqueue(f, NULL, 2);
    char who[STORE_ID_LEN + 1];
    claim_done(f, who);
    assert_string_equal(who, f->a);
    claim_done(f, who);
    assert_string_equal(who, "");
    claim_done(f, who);
    assert_string_equal(who, f->a);
    claim_done(f, who);
    assert_string_equal(who, "");
    claim_done(f, who);
    assert_string_equal(who, f->a);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* 5,000 queued jobs of one owner and 200 done ones of each other: the other owner's job is
 * claimed next, and a claim costs a few milliseconds, not a scan per owner of everything. */
static void test_claim_stays_fast_behind_a_greedy_owner(void **state)
{
    struct fx *f = *state;
    enqueue(f, f->b, 200);
    enqueue(f, f->c, 200);
    for (int i = 0; i < 400; i++) {
        char who[STORE_ID_LEN + 1];
        claim_done(f, who);
    }
    enqueue(f, f->a, 5000);
    char who[STORE_ID_LEN + 1];
    claim_done(f, who);
    assert_string_equal(who, f->a);
    enqueue(f, f->b, 1);
    double t0 = now_ms();
    claim_done(f, who);
    double ms = now_ms() - t0;
    assert_string_equal(who, f->b); /* B waited less than A's backlog */
    t0 = now_ms();
    for (int i = 0; i < 20; i++)
        claim_done(f, who);
    double per = (now_ms() - t0) / 20;
    print_message("fair claim behind 5,000 queued jobs: first %.2f ms, then %.2f ms each "
                  "(claim + complete)\n",
                  ms, per);
    assert_true(per < 50);
}

/* Usage for quotas: videos + unfinished, unexpired uploads; another user's rows never count. */
static void test_user_usage(void **state)
{
    struct fx *f = *state;
    int64_t bytes = -1;
    assert_int_equal(store_user_usage(f->s, f->a, &bytes), 0);
    assert_int_equal(bytes, 0);
    struct store_video v;
    memset(&v, 0, sizeof v);
    snprintf(v.user_id, sizeof v.user_id, "%s", f->a);
    snprintf(v.blob_key, sizeof v.blob_key, "videos/x/original");
    snprintf(v.status, sizeof v.status, "uploaded");
    v.size = 1000;
    assert_int_equal(store_video_create(f->s, &v), 0);
    struct store_upload u;
    memset(&u, 0, sizeof u);
    snprintf(u.user_id, sizeof u.user_id, "%s", f->a);
    snprintf(u.blob_key, sizeof u.blob_key, "uploads/x");
    u.length = 500;
    u.expires_at = f->now + 1000;
    assert_int_equal(store_upload_create(f->s, &u), 0);
    struct store_upload done = u;
    done.id[0] = '\0';
    done.length = 0; /* a finished (zero-length) upload: its bytes are the video's */
    assert_int_equal(store_upload_create(f->s, &done), 0);
    assert_int_equal(store_upload_complete(f->s, done.id, "0000000000000000000000000000000000000000000000000000000000000000"), 0);
    struct store_upload other = u;
    other.id[0] = '\0';
    snprintf(other.user_id, sizeof other.user_id, "%s", f->b);
    other.length = 7777;
    assert_int_equal(store_upload_create(f->s, &other), 0);
    assert_int_equal(store_user_usage(f->s, f->a, &bytes), 0);
    assert_int_equal(bytes, 1500);
    f->now += 1000; /* the upload expired: no longer reserved */
    assert_int_equal(store_user_usage(f->s, f->a, &bytes), 0);
    assert_int_equal(bytes, 1000);
    assert_int_equal(store_user_usage(f->s, "nope", &bytes), RR_ERR_NOTFOUND);
    assert_int_equal(store_user_usage(f->s, f->a, NULL), RR_ERR_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_robin_across_owners, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_fewest_running_and_cap, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_system_jobs_are_an_owner, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_claim_stays_fast_behind_a_greedy_owner, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_user_usage, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
