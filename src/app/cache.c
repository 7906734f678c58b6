/*
 * cache.c - the cache of hot reads (app.h app_cache_get / app_cache_put / app_cache_invalidate;
 * docs/internals/cache.md): rendered JSON per user and read, kept in the queue's Redis
 * (queue_cache_*) for cfg.cache_ttl_s, invalidated by one bump of the user's generation on
 * every write that changes what the user reads. Reads use it only with a redis:// queue and a
 * TTL above 0; otherwise, and whenever Redis errs or is slow, the read comes from the store
 * (never an error to the user). Bumps are written whenever the queue is redis://, whatever the
 * TTL: a worker process with the cache off still invalidates for the serve instances.
 *
 * A bump that fails (Redis unreachable from this process) must not let this process serve the
 * user's older entries once Redis answers again: the user goes on a pending list, bypasses the
 * cache here, and the bump is retried by the next cache call until it succeeds. When the list
 * is full, this process bypasses the cache for everyone for an hour (the longest TTL any process
 * may give its entries). Other processes that still
 * reach Redis may serve such an entry until it expires (a TTL at most), the one stale window,
 * logged.
 */
#include "app/app_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/rr_error.h"
#include "base/rr_log.h"
#include "queue/queue.h"

_Static_assert(APP_CACHE_NAME_MAX == QUEUE_CACHE_NAME_MAX, "app.h names the queue's limit");

#define CACHE_PENDING_MAX 64
#define CACHE_LOG_S 60
#define CACHE_RETRY_MS 1000

struct app_cache {
    pthread_mutex_t mu; /* the pending list and the bypass deadline */
    char pending[CACHE_PENDING_MAX][STORE_ID_LEN + 1];
    size_t n_pending;
    int64_t bypass_until_ms; /* monotonic: no cache in this process before */
    atomic_llong last_log_s;
    atomic_int retrying;         /* one thread retries the pending bumps at a time */
    atomic_llong next_retry_ms;  /* monotonic: and at most once a second (CACHE_RETRY_MS) */
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int app__cache_new(struct app *a)
{
    struct app_cache *c = calloc(1, sizeof *c);
    if (!c)
        return RR_ERR_NOMEM;
    pthread_mutex_init(&c->mu, NULL);
    a->cache = c;
    return 0;
}

void app__cache_free(struct app *a)
{
    if (!a->cache)
        return;
    pthread_mutex_destroy(&a->cache->mu);
    free(a->cache);
    a->cache = NULL;
}

static void cache_warn(struct app_cache *c, const char *what, int rc)
{
    long long now = (long long)time(NULL);
    long long last = atomic_load(&c->last_log_s);
    if (now - last >= CACHE_LOG_S && atomic_compare_exchange_strong(&c->last_log_s, &last, now))
        rr_log(RR_LOG_WARN, what, RR_LOG_STR("detail", rr_strerror(rc)));
}

/* Generations live in the queue's Redis. They are bumped whenever it is there, whatever this
 * process's TTL: a process with the cache off (a `repright worker` saving an analysis'
 * workout) must still invalidate for the `serve` instances that read through it. */
static int cache_shared(const struct app *a)
{
    return a->cache && a->queue && strcmp(queue_backend_name(a->queue), "redis") == 0;
}

/* Reads go through the cache only with a TTL. */
static int cache_on(const struct app *a)
{
    return a->cfg.cache_ttl_s > 0 && cache_shared(a);
}

/* Retry the bumps that failed; 1 when this user (NULL: nobody in particular) may use the
 * cache now. */
static int cache_settle(struct app *a, const char *user_id)
{
    struct app_cache *c = a->cache;
    char todo[CACHE_PENDING_MAX][STORE_ID_LEN + 1];
    pthread_mutex_lock(&c->mu);
    size_t n = c->n_pending;
    memcpy(todo, c->pending, n * sizeof todo[0]);
    int bypass = mono_ms() < c->bypass_until_ms;
    pthread_mutex_unlock(&c->mu);
    if (n == 0)
        return !bypass;
    int usable = !bypass;
    /* A Redis that is slow rather than down would hold every caller for a bump's deadline:
     * one thread retries, at most once a second; the others go on without the pending users. */
    int expect = 0;
    long long now = (long long)mono_ms();
    if (now < atomic_load(&c->next_retry_ms) ||
        !atomic_compare_exchange_strong(&c->retrying, &expect, 1))
        n = 0;
    for (size_t i = 0; i < n; i++) {
        int rc = queue_cache_bump(a->queue, todo[i]);
        pthread_mutex_lock(&c->mu);
        if (rc == 0) { /* off the list (it may have moved: find it again) */
            for (size_t k = 0; k < c->n_pending; k++)
                if (strcmp(c->pending[k], todo[i]) == 0) {
                    memmove(&c->pending[k], &c->pending[k + 1],
                            (c->n_pending - k - 1) * sizeof c->pending[0]);
                    c->n_pending--;
                    break;
                }
        }
        pthread_mutex_unlock(&c->mu);
        if (rc < 0) {
            usable = 0;
            break; /* Redis is still away: later */
        }
    }
    if (n > 0) {
        atomic_store(&c->next_retry_ms, (long long)mono_ms() + CACHE_RETRY_MS);
        atomic_store(&c->retrying, 0);
    }
    if (usable && user_id) {
        pthread_mutex_lock(&c->mu);
        for (size_t k = 0; k < c->n_pending && usable; k++)
            usable = strcmp(c->pending[k], user_id) != 0;
        pthread_mutex_unlock(&c->mu);
    }
    return usable;
}

int app_cache_get(struct app *a, const char *user_id, const char *name, char **data, size_t *len,
                  struct app_cache_ticket *t)
{
    memset(t, 0, sizeof *t);
    *data = NULL;
    *len = 0;
    if (!cache_on(a) || !cache_settle(a, user_id))
        return RR_ERR_NOTFOUND;
    uint64_t gen = 0;
    int rc = queue_cache_get(a->queue, user_id, name, APP_CACHE_ENTRY_MAX, data, len, &gen);
    if (rc == 0)
        return 0;
    if (rc == RR_ERR_NOTFOUND && gen == 0) {
        /* no generation (never bumped, expired or evicted): nothing is served under it, and an
         * entry tagged 0 could outlive a write whose bump was lost with the key. Start one
         * from the global counter (above every value ever handed out); the next read keeps. */
        rc = queue_cache_bump(a->queue, user_id);
        if (rc < 0 && rc != RR_ERR_INVAL)
            cache_warn(a->cache, "cache: redis write failed", rc);
    } else if (rc == RR_ERR_NOTFOUND) {
        t->gen = gen;
        t->valid = 1;
    } else if (rc != RR_ERR_INVAL) {
        cache_warn(a->cache, "cache: redis read failed, reading the store", rc);
    }
    return RR_ERR_NOTFOUND;
}

void app_cache_put(struct app *a, const char *user_id, const char *name,
                   const struct app_cache_ticket *t, const char *data, size_t len)
{
    if (!t->valid || len > APP_CACHE_ENTRY_MAX || !cache_on(a))
        return;
    int rc = queue_cache_put(a->queue, user_id, name, t->gen, data, len,
                             (int64_t)a->cfg.cache_ttl_s * 1000);
    if (rc < 0 && rc != RR_ERR_INVAL && rc != RR_ERR_TOOBIG)
        cache_warn(a->cache, "cache: redis write failed", rc);
}

void app_cache_invalidate(struct app *a, const char *user_id)
{
    if (!user_id || !user_id[0] || !cache_shared(a))
        return;
    cache_settle(a, NULL);
    int rc = queue_cache_bump(a->queue, user_id);
    if (rc == 0 || rc == RR_ERR_INVAL)
        return;
    struct app_cache *c = a->cache;
    pthread_mutex_lock(&c->mu);
    int known = 0;
    for (size_t k = 0; k < c->n_pending && !known; k++)
        known = strcmp(c->pending[k], user_id) == 0;
    if (!known && c->n_pending < CACHE_PENDING_MAX)
        memcpy(c->pending[c->n_pending++], user_id, strlen(user_id) + 1);
    else if (!known) /* too many to track: no cache in this process for a TTL */
        c->bypass_until_ms = mono_ms() + (int64_t)QUEUE_CACHE_TTL_MS_MAX;
    pthread_mutex_unlock(&c->mu);
    cache_warn(c, "cache: invalidation not written to redis; retried, other instances may serve "
                  "the older read until it expires", rc);
}
