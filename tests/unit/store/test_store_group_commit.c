/*
 * test_store_group_commit.c - the SQLite backend commits concurrent writes together: writers
 * queued behind a running write join its batch and share one COMMIT; a lone write commits at
 * once; a write that fails inside a batch rolls back only itself; a failed COMMIT fails every
 * write of the batch and keeps none of them; many threads writing at once lose nothing.
 *
 * The batches are made deterministic with a gate: store_ratelimit_apply calls its callback
 * inside its write transaction, so a callback that waits on the gate holds the write connection
 * while the test queues N writers behind it (store_stats().queued says when all N wait). Opening
 * the gate then lets the N run in the same batch as the gate's own write.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/rr_error.h"
#include "base/rr_fault.h"
#include "store/store.h"

#define NWRITERS 24
#define WAIT_MS 20000 /* every wait of the test has this deadline */

struct fx {
    char dir[64];
    char path[128];
    struct store *s;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    char url[160], msg[256];
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/rr-store-gc-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/test.db", f->dir);
    snprintf(url, sizeof url, "sqlite:%s", f->path);
    if (store_open(url, &f->s, msg, sizeof msg) < 0 || store_migrate(f->s, NULL, msg, sizeof msg))
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

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static struct store_stats stats(struct fx *f)
{
    struct store_stats st;
    assert_int_equal(store_stats(f->s, &st), 0);
    return st;
}

/* ---- the gate: a write that holds the write connection until the test opens it ------------ */

struct gate {
    struct fx *f;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int entered, open;
    int fn_rc; /* what the callback returns: 0 keeps its write, < 0 rolls it back */
    int rc;    /* store_ratelimit_apply's result */
    pthread_t th;
};

static int gate_fn(void *ctx, struct store_rate_state *states, size_t n)
{
    struct gate *g = ctx;
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += WAIT_MS / 1000;
    pthread_mutex_lock(&g->mu);
    g->entered = 1;
    pthread_cond_broadcast(&g->cv);
    while (!g->open && pthread_cond_timedwait(&g->cv, &g->mu, &deadline) == 0)
        ;
    pthread_mutex_unlock(&g->mu);
    for (size_t i = 0; i < n; i++)
        states[i].cur++;
    return g->fn_rc;
}

static void *gate_main(void *arg)
{
    struct gate *g = arg;
    const char *keys[] = {"gate"};
    g->rc = store_ratelimit_apply(g->f->s, keys, 1, gate_fn, g);
    return NULL;
}

static void gate_start(struct gate *g, struct fx *f, int fn_rc)
{
    memset(g, 0, sizeof *g);
    g->f = f;
    g->fn_rc = fn_rc;
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
    assert_int_equal(pthread_create(&g->th, NULL, gate_main, g), 0);
    int64_t end = now_ms() + WAIT_MS;
    pthread_mutex_lock(&g->mu);
    while (!g->entered && now_ms() < end) {
        pthread_mutex_unlock(&g->mu);
        usleep(1000);
        pthread_mutex_lock(&g->mu);
    }
    int entered = g->entered;
    pthread_mutex_unlock(&g->mu);
    assert_true(entered);
}

static void gate_open(struct gate *g)
{
    pthread_mutex_lock(&g->mu);
    g->open = 1;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
    pthread_join(g->th, NULL);
    pthread_mutex_destroy(&g->mu);
    pthread_cond_destroy(&g->cv);
}

/* The gate's rate state as stored: cur == 0 when its write was not kept. */
static int read_gate_fn(void *ctx, struct store_rate_state *states, size_t n)
{
    (void)n;
    *(struct store_rate_state *)ctx = states[0];
    return RR_ERR_CONFLICT; /* read only: roll back */
}

static uint32_t gate_count(struct fx *f)
{
    struct store_rate_state st;
    const char *keys[] = {"gate"};
    memset(&st, 0, sizeof st);
    assert_int_equal(store_ratelimit_apply(f->s, keys, 1, read_gate_fn, &st), RR_ERR_CONFLICT);
    return st.cur;
}

/* ---- writers ------------------------------------------------------------------------------ */

enum op { OP_USER, OP_USER_TAKEN, OP_JOB_BAD_VIDEO };

struct writer {
    struct fx *f;
    enum op op;
    int i;
    int rc;
    pthread_t th;
};

static void writer_email(int i, char *buf, size_t cap)
{
    snprintf(buf, cap, "writer%d@example.com", i);
}

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    char email[64];
    struct store_user u;
    writer_email(w->i, email, sizeof email);
    if (w->op == OP_USER)
        w->rc = store_user_create(w->f->s, email, "h", "user", &u);
    else if (w->op == OP_USER_TAKEN)
        w->rc = store_user_create(w->f->s, "taken@example.com", "h", "user", &u);
    else
        w->rc = store_job_enqueue_video(w->f->s, "analyze_video", NULL,
                                        "0123456789abcdef0123456789abcdef", NULL, 3, 0, NULL);
    return NULL;
}

/* Start n writers (op of writer i from ops(i)) and wait until all n queue for the write
 * connection behind the gate. */
static void writers_queue(struct fx *f, struct writer *w, int n, enum op (*ops)(int i))
{
    for (int i = 0; i < n; i++) {
        w[i] = (struct writer){f, ops(i), i, 1, 0};
        assert_int_equal(pthread_create(&w[i].th, NULL, writer_main, &w[i]), 0);
    }
    int64_t end = now_ms() + WAIT_MS;
    while (stats(f).queued < n && now_ms() < end)
        usleep(1000);
    assert_int_equal(stats(f).queued, n);
}

static void writers_join(struct writer *w, int n)
{
    for (int i = 0; i < n; i++)
        pthread_join(w[i].th, NULL);
}

static int user_exists(struct fx *f, int i)
{
    char email[64];
    struct store_user u;
    writer_email(i, email, sizeof email);
    return store_user_get_by_email(f->s, email, &u) == 0;
}

static enum op all_users(int i)
{
    (void)i;
    return OP_USER;
}

/* every third writer conflicts on a taken email, every third fails inside its statement */
static enum op mixed(int i)
{
    return i % 3 == 0 ? OP_USER : i % 3 == 1 ? OP_USER_TAKEN : OP_JOB_BAD_VIDEO;
}

/* ---- tests ------------------------------------------------------------------------------- */

static void group_commit__a_lone_write_commits_at_once(void **state)
{
    struct fx *f = *state;
    struct store_user u;
    struct store_stats a = stats(f);
    for (int i = 0; i < 3; i++) {
        char email[64];
        snprintf(email, sizeof email, "alone%d@example.com", i);
        assert_int_equal(store_user_create(f->s, email, "h", "user", &u), 0);
        struct store_stats b = stats(f);
        assert_int_equal(b.commits, a.commits + i + 1); /* durable before it returned */
        assert_int_equal(b.writes, a.writes + i + 1);
    }
    assert_int_equal(stats(f).queued, 0);
    assert_int_equal(store_stats(NULL, &a), RR_ERR_INVAL);
}

static void group_commit__queued_writers_share_one_commit(void **state)
{
    struct fx *f = *state;
    struct writer w[NWRITERS];
    struct gate g;
    gate_start(&g, f, 0);
    struct store_stats a = stats(f);
    writers_queue(f, w, NWRITERS, all_users);
    gate_open(&g);
    writers_join(w, NWRITERS);
    struct store_stats b = stats(f);
    assert_int_equal(g.rc, 0);
    for (int i = 0; i < NWRITERS; i++) {
        assert_int_equal(w[i].rc, 0);
        assert_true(user_exists(f, i));
    }
    /* NWRITERS + 1 writes, one COMMIT */
    assert_int_equal(b.writes - a.writes, NWRITERS + 1);
    assert_int_equal(b.commits - a.commits, 1);
    assert_true(b.batch_max >= NWRITERS + 1);
    assert_int_equal(gate_count(f), 1);
}

static void group_commit__a_failed_write_rolls_back_only_itself(void **state)
{
    struct fx *f = *state;
    struct writer w[NWRITERS];
    struct store_user u;
    struct gate g;
    assert_int_equal(store_user_create(f->s, "taken@example.com", "h", "user", &u), 0);
    gate_start(&g, f, RR_ERR_INVAL); /* the gate's own write fails after the others queued */
    struct store_stats a = stats(f);
    writers_queue(f, w, NWRITERS, mixed);
    gate_open(&g);
    writers_join(w, NWRITERS);
    struct store_stats b = stats(f);
    assert_int_equal(g.rc, RR_ERR_INVAL);
    int ok = 0;
    for (int i = 0; i < NWRITERS; i++) {
        enum op op = mixed(i);
        int want = op == OP_USER ? 0 : op == OP_USER_TAKEN ? RR_ERR_CONFLICT : RR_ERR_NOTFOUND;
        assert_int_equal(w[i].rc, want);
        assert_int_equal(user_exists(f, i), op == OP_USER);
        ok += op == OP_USER;
    }
    struct store_job_counts jc;
    assert_int_equal(store_job_counts(f->s, &jc), 0);
    assert_int_equal(jc.queued, 0);  /* the failed enqueues left nothing */
    assert_int_equal(gate_count(f), 0);  /* nor did the failed gate */
    assert_int_equal(b.commits - a.commits, 1);
    assert_int_equal(b.writes - a.writes, ok);
}

static void group_commit__a_failed_commit_fails_every_write_of_the_batch(void **state)
{
    struct fx *f = *state;
    struct writer w[NWRITERS];
    struct store_user u;
    struct gate g;
    gate_start(&g, f, 0);
    struct store_stats a = stats(f);
    writers_queue(f, w, NWRITERS, all_users);
    assert_int_equal(rr_fault_set("store.commit:1"), 0); /* the batch's COMMIT fails (fsync) */
    gate_open(&g);
    writers_join(w, NWRITERS);
    uint64_t fired = rr_fault_fired(RR_FAULT_STORE_COMMIT);
    rr_fault_clear();
    assert_int_equal(fired, 1);
    struct store_stats b = stats(f);
    assert_int_equal(g.rc, RR_ERR_IO);
    for (int i = 0; i < NWRITERS; i++) {
        assert_int_equal(w[i].rc, RR_ERR_IO);
        assert_false(user_exists(f, i));
    }
    assert_int_equal(gate_count(f), 0);
    assert_int_equal(b.commits, a.commits);
    assert_int_equal(b.writes, a.writes);
    /* the store goes on: the next write commits */
    assert_int_equal(store_user_create(f->s, "after@example.com", "h", "user", &u), 0);
    assert_int_equal(stats(f).commits, a.commits + 1);
}

#define STRESS_THREADS 8
#define STRESS_JOBS 40

static void *stress_main(void *arg)
{
    struct writer *w = arg;
    w->rc = 0;
    for (int i = 0; i < STRESS_JOBS && !w->rc; i++) {
        char payload[64];
        snprintf(payload, sizeof payload, "{\"t\":%d,\"i\":%d}", w->i, i);
        w->rc = store_job_enqueue(w->f->s, "stress", NULL, payload, 3, 0, NULL);
    }
    return NULL;
}

static void group_commit__concurrent_writers_lose_nothing(void **state)
{
    struct fx *f = *state;
    struct writer w[STRESS_THREADS];
    struct store_stats a = stats(f);
    for (int i = 0; i < STRESS_THREADS; i++) {
        w[i] = (struct writer){f, OP_USER, i, 1, 0};
        assert_int_equal(pthread_create(&w[i].th, NULL, stress_main, &w[i]), 0);
    }
    writers_join(w, STRESS_THREADS);
    for (int i = 0; i < STRESS_THREADS; i++)
        assert_int_equal(w[i].rc, 0);
    struct store_job_counts jc;
    assert_int_equal(store_job_counts(f->s, &jc), 0);
    assert_int_equal(jc.queued, STRESS_THREADS * STRESS_JOBS);
    struct store_stats b = stats(f);
    assert_int_equal(b.writes - a.writes, STRESS_THREADS * STRESS_JOBS);
    assert_true(b.commits - a.commits <= b.writes - a.writes);
    assert_int_equal(b.queued, 0);
    char msg[256];
    assert_int_equal(store_check(f->s, msg, sizeof msg), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(group_commit__a_lone_write_commits_at_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(group_commit__queued_writers_share_one_commit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(group_commit__a_failed_write_rolls_back_only_itself,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            group_commit__a_failed_commit_fails_every_write_of_the_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(group_commit__concurrent_writers_lose_nothing, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
