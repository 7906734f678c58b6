/*
 * queue_db.c - the "db" queue backend: the durable job queue kept in the store's jobs table
 * (store_job_*), plus the backend-independent queue_*() dispatch.
 */
#include "queue/queue.h"
#include "queue/queue_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rr_error.h"

struct queue_db {
    struct queue base; /* first */
    struct store *store;
};

static struct store *db_store(struct queue *q)
{
    return ((struct queue_db *)q)->store;
}

static void db_close(struct queue *q)
{
    free(q);
}

static int db_enqueue(struct queue *q, const char *kind, const char *user_id,
                      const char *video_id, const char *payload, int max_attempts,
                      int64_t delay_ms, char id_out[STORE_ID_LEN + 1])
{
    return store_job_enqueue_video(db_store(q), kind, user_id, video_id, payload, max_attempts,
                                   delay_ms, id_out);
}

static int db_claim(struct queue *q, const char *owner, int64_t lease_ms, int per_user_max,
                    struct store_job *out)
{
    return store_job_claim_capped(db_store(q), owner, lease_ms, per_user_max, out);
}

static int db_heartbeat(struct queue *q, const char *id, const char *owner, int64_t lease_ms)
{
    return store_job_heartbeat(db_store(q), id, owner, lease_ms);
}

static int db_progress(struct queue *q, const char *id, const char *owner, double fraction,
                       const char *stage)
{
    return store_job_progress(db_store(q), id, owner, fraction, stage);
}

static int db_complete(struct queue *q, const char *id, const char *owner)
{
    return store_job_complete(db_store(q), id, owner);
}

static int db_fail(struct queue *q, const char *id, const char *owner, const char *error,
                   bool permanent, enum store_job_state *state_out)
{
    return store_job_fail(db_store(q), id, owner, error, permanent, state_out);
}

static int db_release(struct queue *q, const char *id, const char *owner)
{
    return store_job_release(db_store(q), id, owner);
}

static int db_reap_expired(struct queue *q, char (*ids)[STORE_ID_LEN + 1], size_t max, size_t *n)
{
    return store_job_reap_expired(db_store(q), ids, max, n);
}

static int db_get(struct queue *q, const char *id, struct store_job *out)
{
    return store_job_get(db_store(q), NULL, id, out);
}

static const struct queue_ops queue_db_ops = {
    .name = "db",
    .close = db_close,
    .enqueue = db_enqueue,
    .claim = db_claim,
    .heartbeat = db_heartbeat,
    .progress = db_progress,
    .complete = db_complete,
    .fail = db_fail,
    .release = db_release,
    .reap_expired = db_reap_expired,
    .get = db_get,
};

int queue_open(const char *url, struct store *s, struct queue **out, char *msg, size_t msg_len)
{
    if (msg && msg_len)
        msg[0] = 0;
    if (!s || !out)
        return RR_ERR_INVAL;
    *out = NULL;
    if (url && strncmp(url, "redis://", strlen("redis://")) == 0)
        return queue__redis_open(url, s, out, msg, msg_len);
    if (url && url[0] && strcmp(url, "db") != 0) {
        if (msg && msg_len)
            snprintf(msg, msg_len, "unsupported queue url (\"db\" or redis://host[:port][/db])");
        return RR_ERR_UNSUPPORTED;
    }
    struct queue_db *q = calloc(1, sizeof *q);
    if (!q)
        return RR_ERR_NOMEM;
    q->base.ops = &queue_db_ops;
    q->store = s;
    *out = &q->base;
    return 0;
}

void queue_close(struct queue *q)
{
    if (q)
        q->ops->close(q);
}

const char *queue_backend_name(const struct queue *q)
{
    return q ? q->ops->name : "none";
}

int queue_enqueue(struct queue *q, const char *kind, const char *user_id, const char *video_id,
                  const char *payload, int max_attempts, int64_t delay_ms,
                  char id_out[STORE_ID_LEN + 1])
{
    if (!q || !kind)
        return RR_ERR_INVAL;
    return q->ops->enqueue(q, kind, user_id, video_id, payload, max_attempts, delay_ms, id_out);
}

int queue_claim_capped(struct queue *q, const char *owner, int64_t lease_ms, int per_user_max,
                       struct store_job *out)
{
    if (!q || !owner || !out || lease_ms <= 0)
        return RR_ERR_INVAL;
    return q->ops->claim(q, owner, lease_ms, per_user_max, out);
}

int queue_claim(struct queue *q, const char *owner, int64_t lease_ms, struct store_job *out)
{
    return queue_claim_capped(q, owner, lease_ms, 0, out);
}

int queue_heartbeat(struct queue *q, const char *id, const char *owner, int64_t lease_ms)
{
    if (!q || !id || !owner || lease_ms <= 0)
        return RR_ERR_INVAL;
    return q->ops->heartbeat(q, id, owner, lease_ms);
}

int queue_progress(struct queue *q, const char *id, const char *owner, double fraction,
                   const char *stage)
{
    if (!q || !id || !owner)
        return RR_ERR_INVAL;
    if (!(fraction >= 0))
        fraction = 0;
    if (fraction > 1)
        fraction = 1;
    return q->ops->progress(q, id, owner, fraction, stage);
}

int queue_complete(struct queue *q, const char *id, const char *owner)
{
    if (!q || !id || !owner)
        return RR_ERR_INVAL;
    return q->ops->complete(q, id, owner);
}

int queue_fail(struct queue *q, const char *id, const char *owner, const char *error,
               bool permanent, enum store_job_state *state_out)
{
    if (!q || !id || !owner)
        return RR_ERR_INVAL;
    return q->ops->fail(q, id, owner, error ? error : "failed", permanent, state_out);
}

int queue_release(struct queue *q, const char *id, const char *owner)
{
    if (!q || !id || !owner)
        return RR_ERR_INVAL;
    return q->ops->release(q, id, owner);
}

int queue_reap_expired(struct queue *q, char (*ids)[STORE_ID_LEN + 1], size_t max, size_t *n)
{
    if (!q || !ids || !n || max == 0)
        return RR_ERR_INVAL;
    *n = 0;
    return q->ops->reap_expired(q, ids, max, n);
}

int queue_get(struct queue *q, const char *id, struct store_job *out)
{
    if (!q || !id || !out)
        return RR_ERR_INVAL;
    return q->ops->get(q, id, out);
}

int queue_watch(struct queue *q, const char *id, uint64_t *seq)
{
    if (!q || !id || !seq)
        return RR_ERR_INVAL;
    return q->ops->watch ? q->ops->watch(q, id, seq) : RR_ERR_UNSUPPORTED;
}

int queue_ratelimit_apply(struct queue *q, const char *const *keys, size_t n, store_rate_fn fn,
                          void *ctx)
{
    if (!q || !keys || !fn || n == 0 || n > STORE_RATE_KEYS_MAX)
        return RR_ERR_INVAL;
    for (size_t i = 0; i < n; i++) {
        if (!keys[i] || !keys[i][0] || strlen(keys[i]) > QUEUE_RATE_KEY_MAX)
            return RR_ERR_INVAL;
        for (size_t j = 0; j < i; j++)
            if (strcmp(keys[i], keys[j]) == 0)
                return RR_ERR_INVAL; /* one key twice would lose an update */
    }
    return q->ops->ratelimit_apply ? q->ops->ratelimit_apply(q, keys, n, fn, ctx)
                                   : RR_ERR_UNSUPPORTED;
}

static int kv_name_ok(const char *s, size_t max)
{
    if (!s || !s[0])
        return 0;
    size_t n = strnlen(s, max + 1);
    return n <= max;
}

int queue_refresh_spend(struct queue *q, const char *used_hash, const char *next_hash,
                        int64_t ttl_ms, char seen[QUEUE_HASH_MAX + 1], int64_t *age_ms)
{
    if (!q || !kv_name_ok(used_hash, QUEUE_HASH_MAX) || !kv_name_ok(next_hash, QUEUE_HASH_MAX) ||
        !seen || !age_ms || ttl_ms < 1 || ttl_ms > (1LL << 40))
        return RR_ERR_INVAL;
    return q->ops->refresh_spend
               ? q->ops->refresh_spend(q, used_hash, next_hash, ttl_ms, seen, age_ms)
               : RR_ERR_UNSUPPORTED;
}

int queue_refresh_forget(struct queue *q, const char *used_hash)
{
    if (!q || !kv_name_ok(used_hash, QUEUE_HASH_MAX))
        return RR_ERR_INVAL;
    return q->ops->refresh_forget ? q->ops->refresh_forget(q, used_hash) : RR_ERR_UNSUPPORTED;
}

int queue_cache_get(struct queue *q, const char *user_id, const char *name, size_t max,
                    char **data, size_t *len, uint64_t *gen)
{
    if (data)
        *data = NULL;
    if (!q || !kv_name_ok(user_id, STORE_ID_LEN) || !kv_name_ok(name, QUEUE_CACHE_NAME_MAX) ||
        !data || !len || !gen)
        return RR_ERR_INVAL;
    return q->ops->cache_get ? q->ops->cache_get(q, user_id, name, max, data, len, gen)
                             : RR_ERR_UNSUPPORTED;
}

int queue_cache_put(struct queue *q, const char *user_id, const char *name, uint64_t gen,
                    const char *data, size_t len, int64_t ttl_ms)
{
    if (!q || !kv_name_ok(user_id, STORE_ID_LEN) || !kv_name_ok(name, QUEUE_CACHE_NAME_MAX) ||
        !data || ttl_ms < 1 || ttl_ms > QUEUE_CACHE_TTL_MS_MAX)
        return RR_ERR_INVAL;
    return q->ops->cache_put ? q->ops->cache_put(q, user_id, name, gen, data, len, ttl_ms)
                             : RR_ERR_UNSUPPORTED;
}

int queue_cache_bump(struct queue *q, const char *user_id)
{
    if (!q || !kv_name_ok(user_id, STORE_ID_LEN))
        return RR_ERR_INVAL;
    return q->ops->cache_bump ? q->ops->cache_bump(q, user_id) : RR_ERR_UNSUPPORTED;
}
