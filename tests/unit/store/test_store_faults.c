/*
 * test_store_faults.c - every failure point of the SQLite backend, one at a time (SQLite's
 * faultsim loop): for each store.* site and N = 1, 2, ... the Nth hit of the site fails while an
 * operation runs, until an N is reached that the operation never hits. Each failure must come
 * back as a clean error code (NOMEM, IO, BUSY) and leave the database as it was before the call:
 * no partial workout (sets or reps without their workout, a client id spent on nothing), no job
 * half claimed, no upload offset or completion recorded, no refresh token half rotated. The run
 * that is not hit must succeed. The database is checked through a connection of its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/rr_error.h"
#include "base/rr_fault.h"
#include "store/store.h"

#define MAX_HITS 400 /* no operation here reaches a site this often */

static const enum rr_fault_site sites[] = {RR_FAULT_STORE_ALLOC, RR_FAULT_STORE_BEGIN,
                                           RR_FAULT_STORE_PREPARE, RR_FAULT_STORE_STEP,
                                           RR_FAULT_STORE_COMMIT};

struct fx {
    char dir[64];
    char path[128];
    struct store *s;
    struct store_user user;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    char url[160], msg[256];
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/rr-store-faults-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/test.db", f->dir);
    snprintf(url, sizeof url, "sqlite:%s", f->path);
    if (store_open(url, &f->s, msg, sizeof msg) < 0 || store_migrate(f->s, NULL, msg, sizeof msg))
        return -1;
    if (store_user_create(f->s, "faults@example.com", "h", "user", &f->user) < 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    static const char *const suffix[] = {"", "-wal", "-shm"};
    char p[160];
    rr_fault_clear();
    store_close(f->s);
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        snprintf(p, sizeof p, "%s%s", f->path, suffix[i]);
        unlink(p);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

/* One integer from SQL, read by a connection of the test's own. */
static int64_t count(struct fx *f, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int64_t n = -1;
    assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static void arm(enum rr_fault_site site, int nth)
{
    char spec[64];
    snprintf(spec, sizeof spec, "%s:%d", rr_fault_name(site), nth);
    assert_int_equal(rr_fault_set(spec), 0);
}

/* After an injected failure: the code is one a storage failure may give. */
static void assert_clean_error(int rc, enum rr_fault_site site, int nth)
{
    if (rc != RR_ERR_NOMEM && rc != RR_ERR_IO && rc != RR_ERR_BUSY && rc != RR_ERR_INTERNAL)
        fail_msg("%s:%d: rc %d (%s), want a storage error", rr_fault_name(site), nth, rc,
                 rr_strerror(rc));
}

/* Run op with the Nth hit of each site failing, N = 1.. until op no longer reaches N. check
 * gets the return code and whether the fault fired. Returns how many failures were injected. */
static int sweep(struct fx *f, int (*op)(struct fx *, int round),
                 void (*check)(struct fx *, int rc, int fired, enum rr_fault_site, int nth))
{
    int injected = 0, round = 0;
    for (size_t k = 0; k < sizeof sites / sizeof sites[0]; k++) {
        for (int nth = 1;; nth++) {
            assert_true(nth < MAX_HITS);
            arm(sites[k], nth);
            int rc = op(f, round++);
            int fired = rr_fault_fired(sites[k]) > 0;
            rr_fault_clear();
            if (fired) {
                assert_clean_error(rc, sites[k], nth);
                injected++;
            }
            check(f, rc, fired, sites[k], nth);
            if (!fired)
                break;
        }
    }
    return injected;
}

/* ---- workouts: all or nothing -----------------------------------------------------------------
 */

static int put_workout(struct fx *f, int round)
{
    struct store_workout w;
    struct store_set sets[3];
    struct store_rep reps[6];
    char client_id[32];
    memset(&w, 0, sizeof w);
    memset(sets, 0, sizeof sets);
    memset(reps, 0, sizeof reps);
    memcpy(w.user_id, f->user.id, sizeof w.user_id);
    snprintf(w.exercise, sizeof w.exercise, "squat");
    w.started_at = 1700000000000 + round;
    for (int i = 0; i < 3; i++) {
        sets[i].idx = i;
        snprintf(sets[i].exercise, sizeof sets[i].exercise, "squat");
        sets[i].reps = 2;
    }
    for (int i = 0; i < 6; i++) {
        reps[i].set_idx = i / 2;
        reps[i].idx = i % 2;
        reps[i].t_end_ms = 1000;
        snprintf(reps[i].metrics, sizeof reps[i].metrics, "{\"depth\":0.%d}", i);
        snprintf(reps[i].faults, sizeof reps[i].faults, "[]");
    }
    snprintf(client_id, sizeof client_id, "phone-%d", round);
    return store_workout_put(f->s, &w, sets, 3, reps, 6, client_id);
}

static void check_workout(struct fx *f, int rc, int fired, enum rr_fault_site site, int nth)
{
    int64_t w = count(f, "SELECT count(*) FROM workouts");
    int64_t s = count(f, "SELECT count(*) FROM sets");
    int64_t r = count(f, "SELECT count(*) FROM reps");
    int64_t k = count(f, "SELECT count(*) FROM idempotency_keys");
    if (fired) {
        if (w != 0 || s != 0 || r != 0 || k != 0)
            fail_msg("%s:%d left %lld workouts, %lld sets, %lld reps, %lld client ids",
                     rr_fault_name(site), nth, (long long)w, (long long)s, (long long)r,
                     (long long)k);
        return;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(w, 1);
    assert_int_equal(s, 3);
    assert_int_equal(r, 6);
    assert_int_equal(k, 1);
    /* back to empty for the next site (the client id stays spent: a new one per round) */
    char sql[] = "DELETE FROM workouts; DELETE FROM idempotency_keys";
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    assert_int_equal(sqlite3_exec(db, "PRAGMA foreign_keys=ON", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void faults__a_failed_workout_save_leaves_nothing_behind(void **state)
{
    struct fx *f = *state;
    int injected = sweep(f, put_workout, check_workout);
    print_message("workout_put: %d failures injected, none left a trace\n", injected);
    assert_true(injected > 20);
}

/* ---- jobs: never half claimed ------------------------------------------------------------------
 */

static char job_id[STORE_ID_LEN + 1];

static int claim(struct fx *f, int round)
{
    (void)round;
    struct store_job j;
    return store_job_claim(f->s, "worker-1", 30000, &j);
}

static void check_claim(struct fx *f, int rc, int fired, enum rr_fault_site site, int nth)
{
    struct store_job j;
    assert_int_equal(store_job_get(f->s, NULL, job_id, &j), 0);
    if (fired) {
        if (j.state != STORE_JOB_QUEUED || j.attempts != 0 || j.lease_owner[0])
            fail_msg("%s:%d: job %s, attempts %d, owner '%s'", rr_fault_name(site), nth,
                     store_job_state_name(j.state), j.attempts, j.lease_owner);
        return;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(j.state, STORE_JOB_RUNNING);
    assert_int_equal(j.attempts, 1);
    assert_string_equal(j.lease_owner, "worker-1");
    assert_int_equal(store_job_release(f->s, job_id, "worker-1"), 0); /* queued, attempts 0 */
}

static void faults__a_failed_claim_leaves_the_job_queued(void **state)
{
    struct fx *f = *state;
    assert_int_equal(store_job_enqueue(f->s, "analyze_video", f->user.id, "{}", 3, 0, job_id), 0);
    int injected = sweep(f, claim, check_claim);
    print_message("job_claim: %d failures injected\n", injected);
    assert_true(injected > 5);
}

/* ---- uploads: the offset and completion are recorded whole or not at all ----------------------
 */

static char upload_id[STORE_ID_LEN + 1];
static const char sha[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

static int advance_and_complete(struct fx *f, int round)
{
    (void)round;
    int rc = store_upload_set_offset(f->s, upload_id, 0, 100);
    if (rc == 0)
        rc = store_upload_complete(f->s, upload_id, sha);
    return rc;
}

static void check_upload(struct fx *f, int rc, int fired, enum rr_fault_site site, int nth)
{
    struct store_upload u;
    assert_int_equal(store_upload_get(f->s, NULL, upload_id, &u), 0);
    if (fired) {
        /* either step may have failed; what is recorded is a state the steps allow */
        int ok = (u.offset == 0 && !u.complete) || (u.offset == 100 && !u.complete);
        if (!ok)
            fail_msg("%s:%d: offset %lld complete %d", rr_fault_name(site), nth,
                     (long long)u.offset, u.complete);
        if (u.offset == 100)
            assert_int_equal(store_upload_set_offset(f->s, upload_id, 100, 0), 0);
        return;
    }
    assert_int_equal(rc, 0);
    assert_true(u.complete);
    assert_int_equal(u.offset, 100);
    assert_string_equal(u.sha256, sha);
    char sql[128];
    snprintf(sql, sizeof sql,
             "UPDATE uploads SET complete = 0, sha256 = '', upload_offset = 0 "
             "WHERE id = '%s'",
             upload_id);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void faults__a_failed_upload_step_records_nothing(void **state)
{
    struct fx *f = *state;
    struct store_upload u;
    memset(&u, 0, sizeof u);
    memcpy(u.user_id, f->user.id, sizeof u.user_id);
    u.length = 100;
    u.expires_at = store_now(f->s) + 3600000;
    snprintf(u.blob_key, sizeof u.blob_key, "uploads/x");
    assert_int_equal(store_upload_create(f->s, &u), 0);
    memcpy(upload_id, u.id, sizeof upload_id);
    int injected = sweep(f, advance_and_complete, check_upload);
    print_message("upload offset + complete: %d failures injected\n", injected);
    assert_true(injected > 5);
}

/* ---- refresh tokens: never half rotated --------------------------------------------------------
 */

static int rotate(struct fx *f, int round)
{
    char old_hash[32], new_hash[32];
    struct store_refresh out;
    snprintf(old_hash, sizeof old_hash, "h-%d", round);
    snprintf(new_hash, sizeof new_hash, "h-%d-next", round);
    int rc = store_refresh_create(f->s, f->user.id, NULL, old_hash, store_now(f->s) + 60000, NULL);
    if (rc < 0)
        return rc;
    return store_refresh_rotate(f->s, old_hash, new_hash, store_now(f->s) + 60000, &out);
}

static void check_rotate(struct fx *f, int rc, int fired, enum rr_fault_site site, int nth)
{
    /* every old token either unused with no successor, or used with exactly one */
    int64_t bad = count(f, "SELECT count(*) FROM refresh_tokens o WHERE o.token_hash NOT LIKE "
                           "'%-next' AND ((o.used_at IS NULL) <> (NOT EXISTS (SELECT 1 FROM "
                           "refresh_tokens n WHERE n.token_hash = o.token_hash || '-next')))");
    if (bad != 0)
        fail_msg("%s:%d: %lld tokens half rotated", rr_fault_name(site), nth, (long long)bad);
    if (!fired)
        assert_int_equal(rc, 0);
}

static void faults__a_failed_rotation_is_all_or_nothing(void **state)
{
    struct fx *f = *state;
    int injected = sweep(f, rotate, check_rotate);
    print_message("refresh create + rotate: %d failures injected\n", injected);
    assert_true(injected > 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(faults__a_failed_workout_save_leaves_nothing_behind, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(faults__a_failed_claim_leaves_the_job_queued, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(faults__a_failed_upload_step_records_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(faults__a_failed_rotation_is_all_or_nothing, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
