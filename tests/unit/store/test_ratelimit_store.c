/*
 * test_ratelimit_store.c - store_ratelimit_apply: the read-modify-write of rate-limit states is
 * one transaction (a refusing callback changes nothing), states persist across calls and store
 * objects, zeroed states are deleted, purge goes by the last write, arguments are checked, and
 * concurrent processes lose no update.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/rr_error.h"
#include "store/store.h"
#include "support/pgtest.h"

struct fx {
    struct store *s;
    char dir[64];
    char url[128];
};

static _Atomic int64_t fake_now = 1700000000000;

static int64_t fake_clock(void *ctx)
{
    (void)ctx;
    return atomic_load(&fake_now);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    char msg[256] = "";
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/rr-ratestore-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(pgtest_store_url(f->dir, "t.db", f->url, sizeof f->url), 0);
    assert_int_equal(store_open(f->url, &f->s, msg, sizeof msg), 0);
    assert_int_equal(store_migrate(f->s, NULL, msg, sizeof msg), 0);
    atomic_store(&fake_now, 1700000000000);
    store_set_clock(f->s, fake_clock, NULL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    char path[160];
    store_close(f->s);
    static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
        snprintf(path, sizeof path, "%s/t.db%s", f->dir, sfx[i]);
        unlink(path);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

/* Callback context: copies what it saw, then applies `set` (or fails with `fail`). */
struct cb {
    struct store_rate_state seen[STORE_RATE_KEYS_MAX];
    struct store_rate_state set[STORE_RATE_KEYS_MAX];
    size_t n;
    int calls;
    int fail;
    int change; /* 1: states = set */
};

static int cb_fn(void *ctx, struct store_rate_state *st, size_t n)
{
    struct cb *c = ctx;
    c->calls++;
    c->n = n;
    memcpy(c->seen, st, n * sizeof *st);
    if (c->fail)
        return c->fail;
    if (c->change)
        memcpy(st, c->set, n * sizeof *st);
    return 0;
}

static int count_up(void *ctx, struct store_rate_state *st, size_t n)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++)
        st[i].cur++;
    return 0;
}

static void apply__reads_zero_then_keeps_what_the_callback_wrote(void **state)
{
    struct fx *f = *state;
    const char *keys[] = {"login:ip:10.0.0.1", "login:acct:abc"};
    struct cb c;
    memset(&c, 0, sizeof c);
    assert_int_equal(store_ratelimit_apply(f->s, keys, 2, cb_fn, &c), 0);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.n, 2);
    struct store_rate_state zero;
    memset(&zero, 0, sizeof zero);
    assert_memory_equal(&c.seen[0], &zero, sizeof zero);
    assert_memory_equal(&c.seen[1], &zero, sizeof zero);

    c.change = 1;
    c.set[0] = (struct store_rate_state){.window_start = 1700000040, .prev = 3, .cur = 4,
                                          .strikes = 2, .blocked_until = 1700000100,
                                          .last_hit = 1700000055};
    c.set[1] = (struct store_rate_state){.cur = 1, .last_hit = 9};
    assert_int_equal(store_ratelimit_apply(f->s, keys, 2, cb_fn, &c), 0);

    /* a second store object (another process would be the same) sees the written values */
    struct store *s2;
    char msg[256];
    assert_int_equal(store_open(f->url, &s2, msg, sizeof msg), 0);
    struct cb d;
    memset(&d, 0, sizeof d);
    const char *rev[] = {"login:acct:abc", "login:ip:10.0.0.1", "other"};
    assert_int_equal(store_ratelimit_apply(s2, rev, 3, cb_fn, &d), 0);
    assert_memory_equal(&d.seen[0], &c.set[1], sizeof zero);
    assert_memory_equal(&d.seen[1], &c.set[0], sizeof zero);
    assert_memory_equal(&d.seen[2], &zero, sizeof zero);
    store_close(s2);
}

static void apply__a_refusing_callback_rolls_back(void **state)
{
    struct fx *f = *state;
    const char *keys[] = {"k1"};
    struct cb c;
    memset(&c, 0, sizeof c);
    c.change = 1;
    c.set[0].cur = 7;
    assert_int_equal(store_ratelimit_apply(f->s, keys, 1, cb_fn, &c), 0);
    c.set[0].cur = 8;
    c.fail = RR_ERR_RATELIMITED;
    assert_int_equal(store_ratelimit_apply(f->s, keys, 1, cb_fn, &c), RR_ERR_RATELIMITED);
    c.fail = 0;
    c.change = 0;
    assert_int_equal(store_ratelimit_apply(f->s, keys, 1, cb_fn, &c), 0);
    assert_int_equal(c.seen[0].cur, 7);
}

static void apply__zeroed_states_are_deleted_and_purge_goes_by_last_write(void **state)
{
    struct fx *f = *state;
    const char *a[] = {"a"}, *b[] = {"b"};
    struct cb c;
    int64_t deleted = -1;
    memset(&c, 0, sizeof c);
    c.change = 1;
    c.set[0].cur = 1;
    assert_int_equal(store_ratelimit_apply(f->s, a, 1, cb_fn, &c), 0);
    atomic_fetch_add(&fake_now, 1000);
    assert_int_equal(store_ratelimit_apply(f->s, b, 1, cb_fn, &c), 0);
    /* "a" was written at t0, "b" at t0 + 1 s: a purge before t0 + 1 s removes only "a" */
    assert_int_equal(store_rate_purge(f->s, 1700000000000 + 1, &deleted), 0);
    assert_int_equal(deleted, 1);
    c.change = 0;
    assert_int_equal(store_ratelimit_apply(f->s, a, 1, cb_fn, &c), 0);
    assert_int_equal(c.seen[0].cur, 0);
    assert_int_equal(store_ratelimit_apply(f->s, b, 1, cb_fn, &c), 0);
    assert_int_equal(c.seen[0].cur, 1);
    /* zeroing "b" deletes it: nothing left to purge */
    c.change = 1;
    memset(&c.set[0], 0, sizeof c.set[0]);
    assert_int_equal(store_ratelimit_apply(f->s, b, 1, cb_fn, &c), 0);
    assert_int_equal(store_rate_purge(f->s, INT64_MAX, &deleted), 0);
    assert_int_equal(deleted, 0);
    /* an unchanged state is not rewritten: its purge stamp stays */
    c.set[0].cur = 5;
    assert_int_equal(store_ratelimit_apply(f->s, b, 1, cb_fn, &c), 0);
    atomic_fetch_add(&fake_now, 1000);
    c.change = 0;
    assert_int_equal(store_ratelimit_apply(f->s, b, 1, cb_fn, &c), 0);
    assert_int_equal(store_rate_purge(f->s, 1700000000000 + 1500, &deleted), 0);
    assert_int_equal(deleted, 1);
}

static void apply__refuses_bad_arguments(void **state)
{
    struct fx *f = *state;
    struct cb c;
    memset(&c, 0, sizeof c);
    const char *good[] = {"a", "b", "c", "d", "e"};
    const char *empty[] = {""};
    const char *dup[] = {"a", "a"};
    char longkey[STORE_KEY_MAX + 2];
    memset(longkey, 'k', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = '\0';
    const char *toolong[] = {longkey};
    const char *nul[] = {NULL};
    assert_int_equal(store_ratelimit_apply(f->s, NULL, 1, cb_fn, &c), RR_ERR_INVAL);
    assert_int_equal(store_ratelimit_apply(f->s, good, 0, cb_fn, &c), RR_ERR_INVAL);
    assert_int_equal(store_ratelimit_apply(f->s, good, STORE_RATE_KEYS_MAX + 1, cb_fn, &c),
                     RR_ERR_INVAL);
    assert_int_equal(store_ratelimit_apply(f->s, good, 1, NULL, &c), RR_ERR_INVAL);
    assert_int_equal(store_ratelimit_apply(f->s, empty, 1, cb_fn, &c), RR_ERR_INVAL);
    assert_int_equal(store_ratelimit_apply(f->s, nul, 1, cb_fn, &c), RR_ERR_INVAL);
    assert_int_equal(store_ratelimit_apply(f->s, dup, 2, cb_fn, &c), RR_ERR_INVAL);
    assert_int_equal(store_ratelimit_apply(f->s, toolong, 1, cb_fn, &c), RR_ERR_TOOBIG);
    assert_int_equal(c.calls, 0);
    assert_int_equal(store_ratelimit_apply(f->s, good, STORE_RATE_KEYS_MAX, cb_fn, &c), 0);
    assert_int_equal(c.n, STORE_RATE_KEYS_MAX);
}

/* Three processes and this one each count 100 hits on a shared key: none is lost. */
static void apply__processes_sharing_the_database_lose_no_update(void **state)
{
    struct fx *f = *state;
    const char *keys[] = {"shared", "login:ip:x"};
    enum { KIDS = 3, HITS = 100 };
    pid_t kids[KIDS];
    for (int i = 0; i < KIDS; i++) {
        kids[i] = fork();
        assert_true(kids[i] >= 0);
        if (kids[i] == 0) {
            struct store *s;
            char msg[256];
            int ok = store_open(f->url, &s, msg, sizeof msg) == 0;
            for (int h = 0; ok && h < HITS; h++)
                ok = store_ratelimit_apply(s, keys, 2, count_up, NULL) == 0;
            if (ok)
                store_close(s);
            _exit(ok ? 0 : 1);
        }
    }
    for (int h = 0; h < HITS; h++)
        assert_int_equal(store_ratelimit_apply(f->s, keys, 2, count_up, NULL), 0);
    for (int i = 0; i < KIDS; i++) {
        int st;
        assert_int_equal(waitpid(kids[i], &st, 0), kids[i]);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
    }
    struct cb c;
    memset(&c, 0, sizeof c);
    assert_int_equal(store_ratelimit_apply(f->s, keys, 2, cb_fn, &c), 0);
    assert_int_equal(c.seen[0].cur, (KIDS + 1) * HITS);
    assert_int_equal(c.seen[1].cur, (KIDS + 1) * HITS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(apply__reads_zero_then_keeps_what_the_callback_wrote,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(apply__a_refusing_callback_rolls_back, setup, teardown),
        cmocka_unit_test_setup_teardown(
            apply__zeroed_states_are_deleted_and_purge_goes_by_last_write, setup, teardown),
        cmocka_unit_test_setup_teardown(apply__refuses_bad_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(apply__processes_sharing_the_database_lose_no_update,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
