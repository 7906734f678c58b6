/*
 * queue_int.h - inside the queue module only: the backend constructors queue_open() dispatches
 * to, and what the redis:// backend's two files share (queue_redis.c: the queue, the connection
 * pool; queue_redis_kv.c: refresh-token spends and the read cache on that pool). Each
 * constructor returns a heap object whose first member is struct queue (queue.h), or a negative
 * RR_ERR_* with msg saying what is wrong (never a secret of the URL).
 */
#ifndef RR_QUEUE_QUEUE_INT_H
#define RR_QUEUE_QUEUE_INT_H

#include <stddef.h>

#include "queue/queue.h"

struct redisContext;

/* url: "redis://[[user]:password@]host[:port][/db][?block_ms=N&takeover_ms=N]"
 * (queue_redis.c). */
int queue__redis_open(const char *url, struct store *s, struct queue **out, char *msg,
                      size_t msg_len);

/* A pooled, authenticated connection of a redis:// queue with the command deadline set, or
 * RR_ERR_IO while Redis is unreachable (reconnects back off; logged once per outage). Hand it
 * back with queue__redis_done, which closes it when it saw an I/O error. */
int queue__redis_conn(struct queue *q, struct redisContext **c);
void queue__redis_done(struct queue *q, struct redisContext *c);

/* The ops of queue_redis_kv.c (contracts in queue.h). */
int queue__redis_refresh_spend(struct queue *q, const char *used_hash, const char *next_hash,
                               int64_t ttl_ms, char seen[QUEUE_HASH_MAX + 1], int64_t *age_ms);
int queue__redis_refresh_forget(struct queue *q, const char *used_hash);
int queue__redis_cache_get(struct queue *q, const char *user_id, const char *name, size_t max,
                           char **data, size_t *len, uint64_t *gen);
int queue__redis_cache_put(struct queue *q, const char *user_id, const char *name, uint64_t gen,
                           const char *data, size_t len, int64_t ttl_ms);
int queue__redis_cache_bump(struct queue *q, const char *user_id);

#endif
