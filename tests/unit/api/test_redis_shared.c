/*
 * test_redis_shared.c - what two `serve` instances share through Redis besides jobs, on a
 * throwaway redis-server and one SQLite database, each instance a real app + HTTP server:
 * refresh-token reuse (a replay on the other instance revokes the family; two concurrent
 * refreshes with one token on two instances rotate once and both get the same pair; a repeat
 * after the grace window revokes; Redis deciding before the store has committed; Redis killed:
 * the store alone still detects reuse) and the cache of hot reads (a write on one instance is
 * read on the other at once; hits really come from Redis; analytics follow; entries bounded
 * in size and time; Redis down: reads come from the store, and an invalidation that could not
 * be written is retried once Redis is back). SKIP (77) without redis-server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "app/app.h"
#include "base/rr_error.h"
#include "http/server.h"
#include "store/store.h"
#include "support/httpc.h"
#include "support/rrtest.h"
#include "support/rrtest_redis.h"

#define PASSWORD "correct horse battery staple"
#define OTHER_CLIENT "X-Forwarded-For: 203.0.113.9\r\n"

static struct rrtest_redis g_redis;

struct fx {
    char dir[64];
    struct app *a[2];
    struct http_server *h[2];
    uint16_t port[2];
    char user[STORE_ID_LEN + 1];
    char access[1024];
    char refresh[256];
};

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int64_t now_ms(void)
{
    return (int64_t)time(NULL) * 1000;
}

static void open_instance(struct fx *f, int i)
{
    char data[128], queue[256], msg[256];
    snprintf(data, sizeof data, "--data-dir=%s", f->dir);
    snprintf(queue, sizeof queue, "--queue-url=%s", g_redis.url);
    char *argv[] = {"serve",         data, queue, "--port=0", "--http-threads=4",
                    "--cache-ttl-s=60", "--trusted-proxies=127.0.0.1/32", "--access-log-sample=0",
                    NULL};
    struct app_config c;
    assert_int_equal(app_config_load(&c, APP_CMD_SERVE, 8, argv, msg, sizeof msg), 0);
    assert_int_equal(app_open(&c, &f->a[i], msg, sizeof msg), 0);
    assert_int_equal(api_server_start(f->a[i], &f->h[i], msg, sizeof msg), 0);
    f->port[i] = http_server_port(f->h[i]);
}

/* One request to instance i; extra header lines may be NULL; the body parsed into *out (may be
 * NULL). Returns the status. */
static int call(struct fx *f, int i, const char *method, const char *path, const char *extra,
                const char *body, json_t **out)
{
    char headers[1400];
    snprintf(headers, sizeof headers, "%s%s%s%s", f->access[0] ? "Authorization: Bearer " : "",
             f->access, f->access[0] ? "\r\n" : "", extra ? extra : "");
    if (body)
        snprintf(headers + strlen(headers), sizeof headers - strlen(headers),
                 "Content-Type: application/json\r\n");
    struct httpc_resp r;
    assert_int_equal(
        httpc_request(f->port[i], method, path, headers, body, body ? strlen(body) : 0, &r), 0);
    int status = r.status;
    if (out)
        *out = r.body_len ? json_loadb(r.body, r.body_len, 0, NULL) : NULL;
    httpc_resp_free(&r);
    return status;
}

static int setup(void **state)
{
    assert_int_equal(rrtest_redis_flush_url(g_redis.url), 0);
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/rr-redis-shared-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    open_instance(f, 0);
    open_instance(f, 1);
    json_t *j = NULL;
    const char *cred = "{\"email\":\"two@example.com\",\"password\":\"" PASSWORD "\"}";
    assert_int_equal(call(f, 0, "POST", "/v1/auth/register", NULL, cred, NULL), 201);
    assert_int_equal(call(f, 1, "POST", "/v1/auth/login", NULL, cred, &j), 200);
    snprintf(f->access, sizeof f->access, "%s",
             json_string_value(json_object_get(j, "access_token")));
    snprintf(f->refresh, sizeof f->refresh, "%s",
             json_string_value(json_object_get(j, "refresh_token")));
    snprintf(f->user, sizeof f->user, "%s", json_string_value(json_object_get(j, "user_id")));
    json_decref(j);
    assert_true(f->access[0] && f->refresh[0] && f->user[0]);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    for (int i = 0; i < 2; i++) {
        http_server_stop(f->h[i]);
        app_close(f->a[i]);
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", f->dir);
    free(f);
    return 0;
}

/* A direct connection to the test's server: the number of keys matching pattern. */
static long long redis_keys(const char *pattern)
{
    redisContext *c = redisConnect("127.0.0.1", g_redis.port);
    assert_non_null(c);
    assert_int_equal(c->err, 0);
    redisReply *r = redisCommand(c, "KEYS %s", pattern);
    assert_non_null(r);
    long long n = r->type == REDIS_REPLY_ARRAY ? (long long)r->elements : -1;
    freeReplyObject(r);
    redisFree(c);
    return n;
}

static long long redis_pttl_of_first(const char *pattern)
{
    redisContext *c = redisConnect("127.0.0.1", g_redis.port);
    assert_non_null(c);
    redisReply *r = redisCommand(c, "KEYS %s", pattern);
    assert_non_null(r);
    assert_true(r->type == REDIS_REPLY_ARRAY && r->elements > 0);
    redisReply *t = redisCommand(c, "PTTL %s", r->element[0]->str);
    long long v = t && t->type == REDIS_REPLY_INTEGER ? t->integer : -3;
    if (t)
        freeReplyObject(t);
    freeReplyObject(r);
    redisFree(c);
    return v;
}

/* POST /v1/auth/refresh on instance i; the new refresh token into out (when 200). */
static int refresh(struct fx *f, int i, const char *token, const char *extra, char out[256])
{
    char body[400];
    snprintf(body, sizeof body, "{\"refresh_token\":\"%s\"}", token);
    char saved[1024];
    memcpy(saved, f->access, sizeof saved);
    f->access[0] = 0; /* the refresh route takes no access token */
    json_t *j = NULL;
    int st = call(f, i, "POST", "/v1/auth/refresh", extra, body, &j);
    memcpy(f->access, saved, sizeof saved);
    if (st == 200 && out)
        snprintf(out, 256, "%s", json_string_value(json_object_get(j, "refresh_token")));
    json_decref(j);
    return st;
}

static void refresh__a_replay_on_the_other_instance_revokes_the_family(void **state)
{
    struct fx *f = *state;
    char r1[256] = "", again[256] = "";
    assert_int_equal(refresh(f, 0, f->refresh, NULL, r1), 200);
    assert_string_not_equal(r1, f->refresh);
    assert_int_equal(redis_keys("repright:rt:*"), 1); /* the spend, by hash */
    /* the same client again on B within the grace window: the same pair */
    assert_int_equal(refresh(f, 1, f->refresh, NULL, again), 200);
    assert_string_equal(again, r1);
    /* another client replays the spent token on B: reuse, the whole family ends */
    assert_int_equal(refresh(f, 1, f->refresh, OTHER_CLIENT, NULL), 401);
    assert_int_equal(refresh(f, 0, r1, NULL, NULL), 401);
}

struct racer {
    struct fx *f;
    int instance;
    const char *token;
    pthread_barrier_t *go;
    int status;
    char out[256];
};

static void *race(void *arg)
{
    struct racer *r = arg;
    pthread_barrier_wait(r->go);
    r->status = refresh(r->f, r->instance, r->token, NULL, r->out);
    return NULL;
}

static void refresh__two_concurrent_refreshes_rotate_once_and_share_the_pair(void **state)
{
    struct fx *f = *state;
    char token[256];
    snprintf(token, sizeof token, "%s", f->refresh);
    for (int round = 0; round < 5; round++) {
        pthread_barrier_t go;
        pthread_barrier_init(&go, NULL, 2);
        struct racer r[2] = {{f, 0, token, &go, 0, ""}, {f, 1, token, &go, 0, ""}};
        pthread_t t[2];
        for (int i = 0; i < 2; i++)
            assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
        for (int i = 0; i < 2; i++)
            pthread_join(t[i], NULL);
        pthread_barrier_destroy(&go);
        assert_int_equal(r[0].status, 200);
        assert_int_equal(r[1].status, 200);
        assert_string_equal(r[0].out, r[1].out); /* one rotation, one pair */
        assert_string_not_equal(r[0].out, token);
        /* the pair works once more: the next round spends it */
        snprintf(token, sizeof token, "%s", r[0].out);
    }
    /* the family is intact: the last token still refreshes, an old one replayed elsewhere
     * ends it */
    char last[256];
    assert_int_equal(refresh(f, 1, token, NULL, last), 200);
    assert_int_equal(refresh(f, 0, f->refresh, OTHER_CLIENT, NULL), 401);
    assert_int_equal(refresh(f, 0, last, NULL, NULL), 401);
}

/* A family of one token in the store, as a login makes it: hash h0. */
static void family(struct fx *f, const char *h0, struct store_refresh *out)
{
    assert_int_equal(store_refresh_create(f->a[0]->store, f->user, NULL, h0,
                                          now_ms() + 3600 * 1000, out),
                     0);
}

static void refresh__a_repeat_after_the_grace_window_revokes(void **state)
{
    struct fx *f = *state;
    struct store_refresh fam, out, got;
    family(f, "h0-grace", &fam);
    int64_t exp = now_ms() + 3600 * 1000;
    assert_int_equal(app_refresh_rotate(f->a[0], "h0-grace", "h1-grace", exp, 100, &out), 0);
    assert_string_equal(out.token_hash, "h1-grace");
    assert_int_equal(app_refresh_rotate(f->a[1], "h0-grace", "h1-grace", exp, 100, &got), 0);
    assert_string_equal(got.id, out.id); /* within grace: the same successor row */
    sleep_ms(250);
    assert_int_equal(app_refresh_rotate(f->a[1], "h0-grace", "h1-grace", exp, 100, &got),
                     RR_ERR_CONFLICT);
    assert_int_equal(store_refresh_get(f->a[0]->store, "h1-grace", &got), 0);
    assert_true(got.revoked_at > 0);
}

static void refresh__redis_decides_before_the_store_has_committed(void **state)
{
    struct fx *f = *state;
    struct store_refresh fam, out, got;
    family(f, "h0-early", &fam);
    /* a first rotation in flight elsewhere: its spend is in Redis, not yet in the store */
    char cmd[200];
    snprintf(cmd, sizeof cmd, "SET repright:rt:h0-early 3600000:h1-early PX 3600000");
    assert_int_equal(rrtest_redis_cli(&g_redis, cmd), 0);
    int64_t exp = now_ms() + 3600 * 1000;
    /* another client (another successor) is refused, and the family ends in the store */
    assert_int_equal(app_refresh_rotate(f->a[1], "h0-early", "h1-other", exp, 10000, &out),
                     RR_ERR_CONFLICT);
    assert_int_equal(store_refresh_get(f->a[0]->store, "h0-early", &got), 0);
    assert_true(got.revoked_at > 0);
    /* the first rotation then finds its token revoked */
    assert_int_equal(app_refresh_rotate(f->a[0], "h0-early", "h1-early", exp, 10000, &out),
                     RR_ERR_UNAUTHENTICATED);
    /* an unknown token leaves no record behind (nothing was spent) */
    assert_int_equal(app_refresh_rotate(f->a[0], "h0-nobody", "h1-nobody", exp, 10000, &out),
                     RR_ERR_NOTFOUND);
    assert_int_equal(redis_keys("repright:rt:h0-nobody"), 0);
}

static void refresh__redis_killed_the_store_still_detects_reuse(void **state)
{
    struct fx *f = *state;
    rrtest_redis_kill(&g_redis);
    char r1[256] = "", again[256] = "";
    assert_int_equal(refresh(f, 0, f->refresh, NULL, r1), 200);
    assert_int_equal(refresh(f, 1, f->refresh, NULL, again), 200); /* grace, from the store */
    assert_string_equal(again, r1);
    assert_int_equal(refresh(f, 1, f->refresh, OTHER_CLIENT, NULL), 401);
    assert_int_equal(refresh(f, 0, r1, NULL, NULL), 401);
    assert_int_equal(rrtest_redis_restart(&g_redis), 0);
}

/* ---- cache ----------------------------------------------------------------------------------- */

static void save_on(struct app *a, const char *user, int64_t started, const char *client_id,
                    struct store_workout *w);

static void save(struct fx *f, int i, int64_t started, const char *client_id,
                 struct store_workout *w)
{
    save_on(f->a[i], f->user, started, client_id, w);
}

static void save_on(struct app *a, const char *user, int64_t started, const char *client_id,
                    struct store_workout *w)
{
    struct store_set set;
    struct store_rep reps[2];
    memset(w, 0, sizeof *w);
    memset(&set, 0, sizeof set);
    memset(reps, 0, sizeof reps);
    snprintf(w->user_id, sizeof w->user_id, "%s", user);
    snprintf(w->exercise, sizeof w->exercise, "squat");
    snprintf(set.exercise, sizeof set.exercise, "squat");
    w->started_at = started;
    w->score = 80;
    set.reps = 2;
    set.score = 80;
    for (int k = 0; k < 2; k++) {
        reps[k].idx = k;
        reps[k].t_start_ms = k * 1000;
        reps[k].t_end_ms = k * 1000 + 900;
        reps[k].score = 80;
    }
    enum app_saved how;
    assert_int_equal(app_save_workout(a, w, &set, 1, reps, 2, client_id, &how), 0);
    assert_int_equal(how, APP_SAVED_NEW);
}

/* GET /v1/workouts?limit=20 on instance i: the number of items; name of the first in name. */
static int list(struct fx *f, int i, char *name, size_t name_len)
{
    json_t *j = NULL;
    assert_int_equal(call(f, i, "GET", "/v1/workouts?limit=20", NULL, NULL, &j), 200);
    json_t *items = json_object_get(j, "items");
    assert_true(json_is_array(items));
    int n = (int)json_array_size(items);
    if (name && n) {
        const char *s = json_string_value(json_object_get(json_array_get(items, 0), "name"));
        snprintf(name, name_len, "%s", s ? s : "");
    }
    json_decref(j);
    return n;
}

static int summary_sessions(struct fx *f, int i)
{
    json_t *j = NULL;
    assert_int_equal(call(f, i, "GET", "/v1/analytics/summary?period=day", NULL, NULL, &j), 200);
    int n = (int)json_integer_value(json_object_get(json_object_get(j, "totals"), "sessions"));
    json_decref(j);
    return n;
}

static void cache__a_write_on_one_instance_is_read_on_the_other(void **state)
{
    struct fx *f = *state;
    struct store_workout w1, w2;
    int64_t t = now_ms() - 3 * 3600 * 1000;
    save(f, 0, t, "c1", &w1);
    assert_int_equal(list(f, 1, NULL, 0), 1);
    assert_int_equal(list(f, 0, NULL, 0), 1);
    assert_true(redis_keys("repright:c:*") >= 1);
    assert_int_equal(summary_sessions(f, 1), 1);
    assert_int_equal(summary_sessions(f, 0), 1); /* a hit */
    /* a cached answer never stands in for an invalid query that names it almost alike */
    assert_int_equal(call(f, 0, "GET", "/v1/analytics/summary?period=day&exercise=", NULL, NULL,
                          NULL),
                     422);
    assert_int_equal(call(f, 0, "GET", "/v1/analytics/summary?period=day|x", NULL, NULL, NULL),
                     422);
    /* hits come from Redis: a change behind the app's back (no invalidation) is not seen ... */
    char name[64] = "";
    assert_int_equal(store_workout_rename(f->a[0]->store, f->user, w1.id, "behind"), 0);
    assert_int_equal(list(f, 1, name, sizeof name), 1);
    assert_string_equal(name, "");
    /* ... until a write through the app invalidates, on any instance */
    app_cache_invalidate(f->a[0], f->user);
    assert_int_equal(list(f, 1, name, sizeof name), 1);
    assert_string_equal(name, "behind");
    /* a save on A is read on B at once, list and analytics */
    save(f, 0, t + 60000, "c2", &w2);
    assert_int_equal(list(f, 1, NULL, 0), 2);
    assert_int_equal(summary_sessions(f, 1), 2);
    /* a rename on B (HTTP) is read on A */
    char path[128];
    snprintf(path, sizeof path, "/v1/workouts/%s", w2.id);
    assert_int_equal(call(f, 1, "PATCH", path, NULL, "{\"name\":\"legs\"}", NULL), 200);
    assert_int_equal(list(f, 0, name, sizeof name), 2);
    assert_string_equal(name, "legs");
    /* a delete on A (HTTP) is read on B */
    assert_int_equal(call(f, 0, "DELETE", path, NULL, NULL, NULL), 204);
    assert_int_equal(list(f, 1, NULL, 0), 1);
    assert_int_equal(summary_sessions(f, 1), 1);
    /* a process with the cache off (a `repright worker` saving an analysis) still invalidates */
    char data[128], queue[256], msg[256];
    snprintf(data, sizeof data, "--data-dir=%s", f->dir);
    snprintf(queue, sizeof queue, "--queue-url=%s", g_redis.url);
    char *argv[] = {"worker", data, queue, NULL};
    struct app_config c;
    struct app *w_app = NULL;
    setenv("REPRIGHT_CACHE_TTL_S", "0", 1);
    assert_int_equal(app_config_load(&c, APP_CMD_WORKER, 3, argv, msg, sizeof msg), 0);
    unsetenv("REPRIGHT_CACHE_TTL_S");
    assert_int_equal(c.cache_ttl_s, 0);
    assert_int_equal(app_open(&c, &w_app, msg, sizeof msg), 0);
    save_on(w_app, f->user, t + 120000, "c3", &w2);
    app_close(w_app);
    assert_int_equal(list(f, 1, NULL, 0), 2);
    assert_int_equal(summary_sessions(f, 0), 2);
}

static void cache__entries_are_bounded_in_size_and_time(void **state)
{
    struct fx *f = *state;
    struct store_workout w;
    save(f, 0, now_ms() - 3600 * 1000, "b1", &w);
    assert_int_equal(list(f, 0, NULL, 0), 1);
    long long pttl = redis_pttl_of_first("repright:c:*");
    assert_true(pttl > 0 && pttl <= 60000);
    /* an entry over the bound is not kept */
    size_t big = APP_CACHE_ENTRY_MAX + 1;
    char *data = malloc(big);
    assert_non_null(data);
    memset(data, 'x', big);
    char *hit = NULL;
    size_t len = 0;
    struct app_cache_ticket t;
    assert_int_equal(app_cache_get(f->a[0], f->user, "big", &hit, &len, &t), RR_ERR_NOTFOUND);
    assert_true(t.valid);
    app_cache_put(f->a[0], f->user, "big", &t, data, big);
    assert_int_equal(app_cache_get(f->a[1], f->user, "big", &hit, &len, &t), RR_ERR_NOTFOUND);
    app_cache_put(f->a[0], f->user, "big", &t, data, 100);
    assert_int_equal(app_cache_get(f->a[1], f->user, "big", &hit, &len, &t), 0);
    assert_int_equal(len, 100);
    free(hit);
    free(data);
}

static void cache__redis_down_reads_come_from_the_store(void **state)
{
    struct fx *f = *state;
    struct store_workout w;
    int64_t t = now_ms() - 3600 * 1000;
    save(f, 0, t, "d1", &w);
    assert_int_equal(list(f, 0, NULL, 0), 1);
    rrtest_redis_kill(&g_redis);
    assert_int_equal(list(f, 0, NULL, 0), 1);
    assert_int_equal(list(f, 1, NULL, 0), 1);
    assert_int_equal(summary_sessions(f, 1), 1);
    save(f, 0, t + 1000, "d2", &w); /* the invalidation cannot be written: A keeps it */
    assert_int_equal(list(f, 0, NULL, 0), 2);
    assert_int_equal(list(f, 1, NULL, 0), 2);
    assert_int_equal(rrtest_redis_restart(&g_redis), 0);
    /* reconnects back off up to 5 s; then the pending bump is written by A's next cache call */
    long long gens = 0;
    for (int waited = 0; waited < 8000 && gens == 0; waited += 100) {
        assert_int_equal(list(f, 0, NULL, 0), 2);
        gens = redis_keys("repright:cg:*");
        if (!gens)
            sleep_ms(100);
    }
    assert_int_equal(gens, 1);
    assert_int_equal(list(f, 1, NULL, 0), 2);
    assert_int_equal(list(f, 1, NULL, 0), 2);
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void cache__a_stalled_redis_costs_a_read_its_short_deadline(void **state)
{
    struct fx *f = *state;
    struct store_workout w;
    save(f, 0, now_ms() - 3600 * 1000, "s1", &w);
    assert_int_equal(list(f, 1, NULL, 0), 1);
    /* every client of the server stalls for 1.5 s: the read waits 250 ms, then the store */
    assert_int_equal(rrtest_redis_cli(&g_redis, "CLIENT PAUSE 1500 ALL"), 0);
    double t0 = mono_s();
    assert_int_equal(list(f, 0, NULL, 0), 1);
    double took = mono_s() - t0;
    printf("list read with redis stalled: %.0f ms\n", took * 1000);
    assert_true(took < 1.0);
    sleep_ms(1600);
    assert_int_equal(list(f, 0, NULL, 0), 1);
}

int main(void)
{
    int rc = rrtest_redis_start(&g_redis);
    if (rc == RRTEST_SKIP_CODE) {
        printf("SKIP: test_redis_shared: no redis-server installed\n");
        return RRTEST_SKIP_CODE;
    }
    if (rc < 0) {
        rrtest_redis_stop(&g_redis);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            refresh__a_replay_on_the_other_instance_revokes_the_family, setup, teardown),
        cmocka_unit_test_setup_teardown(
            refresh__two_concurrent_refreshes_rotate_once_and_share_the_pair, setup, teardown),
        cmocka_unit_test_setup_teardown(refresh__a_repeat_after_the_grace_window_revokes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(refresh__redis_decides_before_the_store_has_committed,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(refresh__redis_killed_the_store_still_detects_reuse,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(cache__a_write_on_one_instance_is_read_on_the_other,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(cache__entries_are_bounded_in_size_and_time, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(cache__redis_down_reads_come_from_the_store, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(cache__a_stalled_redis_costs_a_read_its_short_deadline,
                                        setup, teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    rrtest_redis_stop(&g_redis);
    return rrtest_status(failed);
}
