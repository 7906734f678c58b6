/*
 * test_queue_redis.c - what only the redis:// queue has, on a throwaway redis-server: URLs are
 * checked before anything connects and no message carries the password; a job Redis lost (the
 * stream flushed) is re-enqueued by the reconciler from the database's record; a dead job lands
 * on the dead-letter stream and its token is acknowledged; and the chaos run: kill -9 the
 * redis-server mid-run (no persistence), enqueue while it is down, restart it: every enqueued
 * job finishes, each exactly once; progress made through one queue object (a worker process)
 * reaches another's queue_watch (serve's SSE stream) over pub/sub; rate-limit states updated
 * from two queue objects and four threads lose no update (WATCH/MULTI/EXEC); refresh spends are
 * decided once across queue objects and cache entries are served only in their generation
 * (which never repeats after it expired). SKIP (77) without redis-server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/rr_error.h"
#include "queue/queue.h"
#include "queue/worker.h"
#include "store/store.h"
#include "support/rrtest.h"
#include "support/rrtest_redis.h"

#define CHAOS_JOBS 60
#define CHAOS_LATE 10 /* enqueued while Redis is down */

static struct rrtest_redis g_redis;
static char g_url[256];

struct fx {
    char dir[128];
    struct store *store;
    struct queue *q;
    struct store_user user;
};

/* Completions per job id, to check "exactly once" (the handlers' context). */
struct ledger {
    pthread_mutex_t mu;
    char ids[CHAOS_JOBS + CHAOS_LATE][STORE_ID_LEN + 1];
    int runs[CHAOS_JOBS + CHAOS_LATE];
    int n;
    atomic_int total;
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
    snprintf(f->dir, sizeof f->dir, "/tmp/rr-queue-redis-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char url[256];
    snprintf(url, sizeof url, "sqlite:%s/db.sqlite", f->dir);
    assert_int_equal(store_open(url, &f->store, NULL, 0), 0);
    assert_int_equal(store_migrate(f->store, NULL, NULL, 0), 0);
    assert_int_equal(store_user_create(f->store, "r@example.com", "x", "user", &f->user), 0);
    assert_int_equal(rrtest_redis_flush_url(g_url), 0);
    char msg[256] = "";
    assert_int_equal(queue_open(g_url, f->store, &f->q, msg, sizeof msg), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    queue_close(f->q);
    store_close(f->store);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", f->dir);
    free(f);
    return 0;
}

static void sleep_ms(int ms);

/* Claim within ms (tokens of dead processes come back after takeover_ms). */
static int claim_within(struct queue *q, const char *owner, int ms, struct store_job *j)
{
    int rc = RR_ERR_NOTFOUND;
    for (int waited = 0; waited <= ms && rc == RR_ERR_NOTFOUND; waited += 20) {
        rc = queue_claim(q, owner, 5000, j);
        if (rc == RR_ERR_NOTFOUND)
            sleep_ms(20);
    }
    return rc;
}

/* A direct connection to the test's server, to look at the keys. */
static long long redis_int(const char *fmt, const char *arg)
{
    redisContext *c = redisConnect("127.0.0.1", g_redis.port);
    assert_non_null(c);
    assert_int_equal(c->err, 0);
    redisReply *r = redisCommand(c, fmt, arg);
    assert_non_null(r);
    long long v = r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    freeReplyObject(r);
    redisFree(c);
    return v;
}

static void url__is_checked_and_never_echoes_the_password(void **state)
{
    struct fx *f = *state;
    static const char *const bad[] = {
        "redis://",                          /* no host */
        "redis://h:0",                       /* port */
        "redis://h:99999",                   /* port */
        "redis://h:12x",                     /* port */
        "redis://h/zero",                    /* db */
        "redis://h?block_ms=9999999",        /* option range */
        "redis://h?colour=blue",             /* unknown option */
        "redis://nocolon@h",                 /* credentials */
        "redis://[::1",                      /* unterminated v6 */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct queue *q = (struct queue *)1;
        char msg[256] = "";
        assert_int_equal(queue_open(bad[i], f->store, &q, msg, sizeof msg), RR_ERR_INVAL);
        assert_null(q);
        assert_non_null(strstr(msg, "redis url"));
    }
    /* a wrong password: refused at open, the message names the server, not the secret */
    struct queue *q = NULL;
    char msg[256] = "", url[256];
    snprintf(url, sizeof url, "redis://:sup3rsecret@127.0.0.1:%d/0", g_redis.port);
    assert_int_equal(rrtest_redis_cli(&g_redis, "CONFIG SET requirepass rightpass"), 0);
    assert_int_equal(queue_open(url, f->store, &q, msg, sizeof msg), RR_ERR_IO);
    assert_null(strstr(msg, "sup3rsecret"));
    assert_non_null(strstr(msg, "authentication refused"));
    snprintf(url, sizeof url, "redis://:rightpass@127.0.0.1:%d/0", g_redis.port);
    assert_int_equal(queue_open(url, f->store, &q, msg, sizeof msg), 0);
    assert_string_equal(queue_backend_name(q), "redis");
    queue_close(q);
    assert_int_equal(rrtest_redis_cli(&g_redis, "-a rightpass --no-auth-warning CONFIG SET "
                                                "requirepass ''"),
                     0);
}

static void reconciler__re_enqueues_what_redis_lost(void **state)
{
    struct fx *f = *state;
    char a[STORE_ID_LEN + 1], b[STORE_ID_LEN + 1];
    assert_int_equal(queue_enqueue(f->q, "k", f->user.id, NULL, NULL, 3, 0, a), 0);
    assert_int_equal(queue_enqueue(f->q, "k", f->user.id, NULL, NULL, 3, 0, b), 0);
    assert_int_equal(redis_int("XLEN %s", "repright:jobs"), 2);
    assert_int_equal(rrtest_redis_cli(&g_redis, "FLUSHALL"), 0); /* Redis forgets everything */
    struct store_job j;
    char ids[4][STORE_ID_LEN + 1];
    size_t n = 0;
    /* the claim finds no group: recreated, nothing delivered; the reaper reconciles at once */
    assert_int_equal(queue_claim(f->q, "w1", 5000, &j), RR_ERR_NOTFOUND);
    assert_int_equal(queue_reap_expired(f->q, ids, 4, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(redis_int("XLEN %s", "repright:jobs"), 2);
    assert_int_equal(queue_claim(f->q, "w1", 5000, &j), 0);
    assert_int_equal(queue_complete(f->q, j.id, "w1"), 0);
    assert_int_equal(queue_claim(f->q, "w1", 5000, &j), 0);
    assert_int_equal(queue_complete(f->q, j.id, "w1"), 0);
    assert_int_equal(queue_get(f->q, a, &j), 0);
    assert_int_equal(j.state, STORE_JOB_DONE);
    assert_int_equal(queue_get(f->q, b, &j), 0);
    assert_int_equal(j.state, STORE_JOB_DONE);
    assert_int_equal(redis_int("XLEN %s", "repright:jobs"), 0); /* every token acknowledged */
    assert_int_equal(queue_claim(f->q, "w1", 5000, &j), RR_ERR_NOTFOUND);
}

static void tokens__a_worker_that_lost_its_lease_hands_its_token_on(void **state)
{
    struct fx *f = *state;
    struct queue *gone = NULL;
    assert_int_equal(queue_open(g_url, f->store, &gone, NULL, 0), 0);
    char j1[STORE_ID_LEN + 1], j2[STORE_ID_LEN + 1];
    assert_int_equal(queue_enqueue(f->q, "k", f->user.id, NULL, NULL, 3, 0, j1), 0);
    sleep_ms(2);
    assert_int_equal(queue_enqueue(f->q, "k", f->user.id, NULL, NULL, 3, 0, j2), 0);
    struct store_job j;
    assert_int_equal(queue_claim(gone, "w1", 50, &j), 0); /* j1 with the first token */
    assert_string_equal(j.id, j1);
    sleep_ms(120); /* w1 stalls past its lease: w2 takes j1 with the second token */
    assert_int_equal(queue_claim(f->q, "w2", 5000, &j), 0);
    assert_string_equal(j.id, j1);
    assert_int_equal(queue_complete(gone, j1, "w1"), RR_ERR_CONFLICT);
    queue_close(gone); /* w1's token is still pending under it: its consumer must stay */
    assert_int_equal(queue_complete(f->q, j1, "w2"), 0);
    /* j2 is left with the token w1 held; it idles out and another worker gets it */
    assert_int_equal(claim_within(f->q, "w3", 3000, &j), 0);
    assert_string_equal(j.id, j2);
    assert_int_equal(queue_complete(f->q, j2, "w3"), 0);
    assert_int_equal(redis_int("XLEN %s", "repright:jobs"), 0);
}

static void dead_letters__land_on_the_dead_stream(void **state)
{
    struct fx *f = *state;
    char id[STORE_ID_LEN + 1];
    struct store_job j;
    enum store_job_state st = STORE_JOB_QUEUED;
    assert_int_equal(queue_enqueue(f->q, "k", f->user.id, NULL, NULL, 3, 0, id), 0);
    assert_int_equal(queue_claim(f->q, "w1", 5000, &j), 0);
    assert_int_equal(queue_fail(f->q, id, "w1", "poison file", true, &st), 0);
    assert_int_equal(st, STORE_JOB_DEAD);
    assert_int_equal(redis_int("XLEN %s", "repright:dead"), 1);
    assert_int_equal(redis_int("XLEN %s", "repright:jobs"), 0);
    /* a retry keeps the token: the job is queued again, runnable after its back-off */
    assert_int_equal(queue_enqueue(f->q, "k", f->user.id, NULL, NULL, 3, 0, id), 0);
    assert_int_equal(queue_claim(f->q, "w1", 5000, &j), 0);
    assert_int_equal(queue_fail(f->q, id, "w1", "transient", false, &st), 0);
    assert_int_equal(st, STORE_JOB_QUEUED);
    assert_int_equal(redis_int("XLEN %s", "repright:jobs"), 1);
    assert_int_equal(redis_int("XLEN %s", "repright:dead"), 1);
}

/* Milliseconds until queue_watch reports a notice for id (or -1 after 3 s). */
static int wait_notice(struct queue *q, const char *id, uint64_t *seq)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < 600; i++) {
        if (queue_watch(q, id, seq) == 1) {
            clock_gettime(CLOCK_MONOTONIC, &t1);
            return (int)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
        }
        sleep_ms(5);
    }
    return -1;
}

static void watch__a_follower_hears_of_progress_made_by_another_process(void **state)
{
    struct fx *f = *state; /* f->q plays `serve` holding the SSE stream */
    struct queue *worker_q = NULL, *db_q = NULL;
    assert_int_equal(queue_open(g_url, f->store, &worker_q, NULL, 0), 0);
    char id[STORE_ID_LEN + 1];
    assert_int_equal(queue_enqueue(f->q, "k", f->user.id, NULL, NULL, 3, 0, id), 0);
    uint64_t seq = 0;
    int w = RR_ERR_IO;
    for (int i = 0; i < 300 && w < 0; i++) { /* the first watch starts listening */
        w = queue_watch(f->q, id, &seq);
        if (w < 0)
            sleep_ms(10);
    }
    assert_int_equal(w, 0); /* live, nothing yet */
    struct store_job j;
    assert_int_equal(queue_claim(worker_q, "w1", 5000, &j), 0);
    assert_int_equal(queue_progress(worker_q, id, "w1", 0.5, "pose"), 0);
    int ms = wait_notice(f->q, id, &seq);
    assert_true(ms >= 0);
    printf("progress notice crossed processes in %d ms\n", ms);
    assert_int_equal(queue_watch(f->q, id, &seq), 0); /* once per notice */
    assert_int_equal(queue_complete(worker_q, id, "w1"), 0);
    assert_true(wait_notice(f->q, id, &seq) >= 0);
    assert_int_equal(queue_get(f->q, id, &j), 0); /* the store says what happened */
    assert_int_equal(j.state, STORE_JOB_DONE);
    /* the db queue has no notices: its followers read the store */
    assert_int_equal(queue_open("db", f->store, &db_q, NULL, 0), 0);
    assert_int_equal(queue_watch(db_q, id, &seq), RR_ERR_UNSUPPORTED);
    assert_int_equal(queue_watch(NULL, id, &seq), RR_ERR_INVAL);
    queue_close(db_q);
    queue_close(worker_q);
}

/* Rate-limit states: fn adds one hit to every key; ctx->fail makes it refuse. */
struct rate_ctx {
    int fail;
    int zero; /* reset every key to the empty state */
};

static int rate_fn(void *ctx, struct store_rate_state *st, size_t n)
{
    struct rate_ctx *c = ctx;
    if (c->fail)
        return RR_ERR_RATELIMITED;
    for (size_t i = 0; i < n; i++) {
        if (c->zero) {
            memset(&st[i], 0, sizeof st[i]);
            continue;
        }
        st[i].cur++;
        st[i].last_hit = 1700000000 + st[i].cur;
    }
    return 0;
}

struct rate_thread {
    struct queue *q;
    int n;
    int errors;
};

static void *rate_hammer(void *arg)
{
    struct rate_thread *t = arg;
    const char *const keys[2] = {"pw:src:10.0.0.1", "pw:acct:x:src:10.0.0.1"};
    struct rate_ctx c = {0};
    for (int i = 0; i < t->n; i++)
        if (queue_ratelimit_apply(t->q, keys, 2, rate_fn, &c) != 0)
            t->errors++;
    return NULL;
}

/* Refresh spends and the read cache at the queue's level: the first spend wins once across
 * processes, later ones see its successor; a cache entry is served only in its generation,
 * and a generation that expired never comes back to an old value; "db" has none of it. */
static void kv__spends_are_decided_once_and_stale_generations_never_serve(void **state)
{
    struct fx *f = *state;
    char msg[256] = "", seen[QUEUE_HASH_MAX + 1];
    struct queue *other = NULL, *db = NULL;
    assert_int_equal(queue_open(g_url, f->store, &other, msg, sizeof msg), 0);
    int64_t age = -1;
    assert_int_equal(queue_refresh_spend(f->q, "old", "next-a", 60000, seen, &age), 1);
    assert_int_equal(queue_refresh_spend(other, "old", "next-b", 60000, seen, &age), 0);
    assert_string_equal(seen, "next-a");
    assert_true(age >= 0 && age < 1000);
    sleep_ms(30);
    assert_int_equal(queue_refresh_spend(f->q, "old", "next-a", 60000, seen, &age), 0);
    assert_true(age >= 20);
    assert_int_equal(queue_refresh_forget(other, "old"), 0);
    assert_int_equal(queue_refresh_spend(other, "old", "next-b", 60000, seen, &age), 1);
    char longhash[QUEUE_HASH_MAX + 2];
    memset(longhash, 'h', sizeof longhash - 1);
    longhash[sizeof longhash - 1] = 0;
    assert_int_equal(queue_refresh_spend(f->q, longhash, "n", 60000, seen, &age), RR_ERR_INVAL);

    char *data = NULL;
    size_t len = 0;
    uint64_t gen = 99;
    assert_int_equal(queue_cache_get(f->q, f->user.id, "list", 1024, &data, &len, &gen),
                     RR_ERR_NOTFOUND);
    assert_int_equal(gen, 0);
    /* nothing is served under a missing generation, even an entry tagged 0 */
    assert_int_equal(queue_cache_put(f->q, f->user.id, "list", gen, "{\"n\":0}", 7, 60000), 0);
    assert_int_equal(queue_cache_get(other, f->user.id, "list", 1024, &data, &len, &gen),
                     RR_ERR_NOTFOUND);
    assert_int_equal(queue_cache_bump(f->q, f->user.id), 0);
    assert_int_equal(queue_cache_get(other, f->user.id, "list", 1024, &data, &len, &gen),
                     RR_ERR_NOTFOUND);
    assert_true(gen > 0);
    assert_int_equal(queue_cache_put(f->q, f->user.id, "list", gen, "{\"n\":1}", 7, 60000), 0);
    assert_int_equal(queue_cache_get(other, f->user.id, "list", 1024, &data, &len, &gen), 0);
    assert_int_equal(len, 7);
    assert_string_equal(data, "{\"n\":1}");
    free(data);
    assert_int_equal(queue_cache_get(other, f->user.id, "list", 6, &data, &len, &gen),
                     RR_ERR_NOTFOUND); /* over the caller's bound */
    assert_int_equal(queue_cache_bump(other, f->user.id), 0);
    assert_int_equal(queue_cache_get(f->q, f->user.id, "list", 1024, &data, &len, &gen),
                     RR_ERR_NOTFOUND);
    uint64_t g1 = gen;
    assert_true(g1 > 0);
    assert_int_equal(queue_cache_put(f->q, f->user.id, "list", g1, "{\"n\":2}", 7, 60000), 0);
    /* the generation key expires (a day without writes) and comes back: the global counter
     * gives a value no entry carries */
    char del[128];
    snprintf(del, sizeof del, "DEL repright:cg:%s", f->user.id);
    assert_int_equal(rrtest_redis_cli(&g_redis, del), 0);
    /* lost (expired, evicted, a failover): the entry written under g1 is not served */
    assert_int_equal(queue_cache_get(other, f->user.id, "list", 1024, &data, &len, &gen),
                     RR_ERR_NOTFOUND);
    assert_int_equal(gen, 0);
    assert_int_equal(queue_cache_bump(f->q, f->user.id), 0);
    assert_int_equal(queue_cache_get(other, f->user.id, "list", 1024, &data, &len, &gen),
                     RR_ERR_NOTFOUND);
    assert_true(gen > g1);
    assert_int_equal(queue_cache_put(f->q, f->user.id, "list", gen, "x", (1u << 20) + 1, 60000),
                     RR_ERR_TOOBIG);
    assert_int_equal(queue_cache_put(f->q, f->user.id, "list", gen, "x", 1, 3600001),
                     RR_ERR_INVAL);
    queue_close(other);

    assert_int_equal(queue_open("db", f->store, &db, msg, sizeof msg), 0);
    assert_int_equal(queue_refresh_spend(db, "old", "n", 60000, seen, &age), RR_ERR_UNSUPPORTED);
    assert_int_equal(queue_cache_get(db, f->user.id, "list", 1024, &data, &len, &gen),
                     RR_ERR_UNSUPPORTED);
    assert_int_equal(queue_cache_bump(db, f->user.id), RR_ERR_UNSUPPORTED);
    queue_close(db);
}

static void ratelimit__states_are_shared_and_updated_atomically(void **state)
{
    struct fx *f = *state;
    struct queue *other = NULL, *db_q = NULL;
    assert_int_equal(queue_open(g_url, f->store, &other, NULL, 0), 0);
    /* two "processes", two threads each, 50 hits each on the same two keys */
    struct rate_thread t[4] = {{f->q, 50, 0}, {f->q, 50, 0}, {other, 50, 0}, {other, 50, 0}};
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, rate_hammer, &t[i]), 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(t[i].errors, 0);
    }
    redisContext *c = redisConnect("127.0.0.1", g_redis.port);
    assert_non_null(c);
    redisReply *r = redisCommand(c, "HGET repright:rl:pw:src:10.0.0.1 cur");
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    assert_string_equal(r->str, "200"); /* no update lost */
    freeReplyObject(r);
    assert_true(redis_int("TTL %s", "repright:rl:pw:acct:x:src:10.0.0.1") > 0);
    /* fn refuses: its error comes back, nothing written */
    const char *const one[1] = {"pw:src:10.0.0.1"};
    struct rate_ctx rc = {.fail = 1};
    assert_int_equal(queue_ratelimit_apply(f->q, one, 1, rate_fn, &rc), RR_ERR_RATELIMITED);
    r = redisCommand(c, "HGET repright:rl:pw:src:10.0.0.1 cur");
    assert_string_equal(r->str, "200");
    freeReplyObject(r);
    /* a state back to all zero is deleted */
    rc = (struct rate_ctx){.zero = 1};
    assert_int_equal(queue_ratelimit_apply(f->q, one, 1, rate_fn, &rc), 0);
    assert_int_equal(redis_int("EXISTS %s", "repright:rl:pw:src:10.0.0.1"), 0);
    redisFree(c);
    /* refusals: the store's argument rules; the db queue leaves it to the store */
    const char *const twice[2] = {"k", "k"};
    assert_int_equal(queue_ratelimit_apply(f->q, twice, 2, rate_fn, &rc), RR_ERR_INVAL);
    assert_int_equal(queue_ratelimit_apply(f->q, one, 0, rate_fn, &rc), RR_ERR_INVAL);
    assert_int_equal(queue_ratelimit_apply(f->q, one, 1, NULL, &rc), RR_ERR_INVAL);
    assert_int_equal(queue_open("db", f->store, &db_q, NULL, 0), 0);
    assert_int_equal(queue_ratelimit_apply(db_q, one, 1, rate_fn, &rc), RR_ERR_UNSUPPORTED);
    queue_close(db_q);
    queue_close(other);
}

static int k_count(struct job_ctx *ctx, char *err, size_t err_len)
{
    (void)err;
    (void)err_len;
    struct ledger *l = ctx->ctx;
    sleep_ms(40);
    pthread_mutex_lock(&l->mu);
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->ids[i], ctx->job->id) == 0)
            l->runs[i]++;
    pthread_mutex_unlock(&l->mu);
    atomic_fetch_add(&l->total, 1);
    return 0;
}

static const struct job_kind chaos_kinds[] = {{.name = "count", .run = k_count}};

static void enqueue_counted(struct fx *f, struct ledger *l)
{
    char id[STORE_ID_LEN + 1];
    assert_int_equal(queue_enqueue(f->q, "count", f->user.id, NULL, NULL, 3, 0, id), 0);
    pthread_mutex_lock(&l->mu);
    memcpy(l->ids[l->n++], id, sizeof id);
    pthread_mutex_unlock(&l->mu);
}

static void chaos__kill_redis_mid_run_and_every_job_finishes_once(void **state)
{
    struct fx *f = *state;
    struct ledger *l = calloc(1, sizeof *l);
    assert_non_null(l);
    pthread_mutex_init(&l->mu, NULL);
    for (int i = 0; i < CHAOS_JOBS; i++)
        enqueue_counted(f, l);
    /* two pools: two "processes" sharing the database and Redis */
    struct worker_config wc = {.store = f->store, .queue_url = g_url, .threads = 2, .lease_s = 5,
                               .kinds = chaos_kinds, .n_kinds = 1, .ctx = l};
    struct worker_pool *p1 = NULL, *p2 = NULL;
    char msg[256] = "";
    assert_int_equal(worker_pool_start(&wc, &p1, msg, sizeof msg), 0);
    assert_int_equal(worker_pool_start(&wc, &p2, msg, sizeof msg), 0);
    while (atomic_load(&l->total) < CHAOS_JOBS / 4)
        sleep_ms(10);
    rrtest_redis_kill(&g_redis); /* kill -9, no persistence: the stream and group are gone */
    int at_kill = atomic_load(&l->total);
    for (int i = 0; i < CHAOS_LATE; i++) /* acknowledged by the database while Redis is down */
        enqueue_counted(f, l);
    sleep_ms(500);
    assert_int_equal(rrtest_redis_restart(&g_redis), 0);
    int64_t t0 = time(NULL);
    while (atomic_load(&l->total) < CHAOS_JOBS + CHAOS_LATE && time(NULL) - t0 < 60)
        sleep_ms(20);
    int64_t recovered_s = time(NULL) - t0;
    sleep_ms(300); /* any duplicate run would show now */
    worker_pool_stop(p1);
    worker_pool_stop(p2);
    printf("chaos: %d of %d jobs done when redis was killed; all %d done %lld s after the "
           "restart\n",
           at_kill, CHAOS_JOBS, CHAOS_JOBS + CHAOS_LATE, (long long)recovered_s);
    assert_int_equal(atomic_load(&l->total), CHAOS_JOBS + CHAOS_LATE);
    for (int i = 0; i < l->n; i++) {
        struct store_job j;
        assert_int_equal(queue_get(f->q, l->ids[i], &j), 0);
        assert_int_equal(j.state, STORE_JOB_DONE);
        assert_int_equal(j.attempts, 1);
        assert_int_equal(l->runs[i], 1); /* exactly once */
    }
    struct store_job_counts c;
    assert_int_equal(store_job_counts(f->store, &c), 0);
    assert_int_equal(c.done, CHAOS_JOBS + CHAOS_LATE);
    assert_int_equal(c.queued + c.running + c.dead, 0);
    pthread_mutex_destroy(&l->mu);
    free(l);
}

int main(void)
{
    int rc = rrtest_redis_start(&g_redis);
    if (rc == RRTEST_SKIP_CODE) {
        printf("SKIP: test_queue_redis: no redis-server installed\n");
        return RRTEST_SKIP_CODE;
    }
    if (rc < 0) {
        rrtest_redis_stop(&g_redis);
        return 1;
    }
    snprintf(g_url, sizeof g_url, "%s?block_ms=50&takeover_ms=300", g_redis.url);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(url__is_checked_and_never_echoes_the_password, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(reconciler__re_enqueues_what_redis_lost, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(dead_letters__land_on_the_dead_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(
            tokens__a_worker_that_lost_its_lease_hands_its_token_on, setup, teardown),
        cmocka_unit_test_setup_teardown(
            watch__a_follower_hears_of_progress_made_by_another_process, setup, teardown),
        cmocka_unit_test_setup_teardown(ratelimit__states_are_shared_and_updated_atomically,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            kv__spends_are_decided_once_and_stale_generations_never_serve, setup, teardown),
        cmocka_unit_test_setup_teardown(chaos__kill_redis_mid_run_and_every_job_finishes_once,
                                        setup, teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    rrtest_redis_stop(&g_redis);
    return rrtest_status(failed);
}
