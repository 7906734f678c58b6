/*
 * queue.h - RepRight's durable job queue behind a vtable. It knows jobs (kind, owner, the video
 * they are about, a payload, attempts, leases), never what a kind means: the kind table and the
 * handlers belong to whoever starts a worker pool (worker.h; the server's are in src/app).
 *
 * A queue is opened from a URL: "db" (the jobs table of the store: src/queue/queue_db.c, over
 * store_job_*) or "redis://..." (Redis Streams deliver the work, the same jobs table stays the
 * record: src/queue/queue_redis.c). Callers (the app's use cases, the worker pool, the API's SSE
 * stream) only use the queue_*() functions below. Semantics are the store's (docs/internals/store.md): a
 * claim takes a runnable job with a lease, fairly across the jobs' owners (round robin, fewest
 * running first, optionally capped per owner); the holder heartbeats to keep it, reports
 * progress, and ends it with complete / fail (back-off or dead-letter) / release (no attempt
 * spent). An expired lease makes the job claimable again.
 *
 * Ownership: queue_open returns a heap object freed by queue_close; it borrows the store, which
 * must outlive it. Errors: negative RR_ERR_* from the store (NOTFOUND: nothing to claim, no
 * such job, or the video a job is enqueued for does not exist; CONFLICT: lease not held by
 * owner), UNSUPPORTED for an unknown queue URL, INVAL for bad arguments; redis:// adds IO (Redis
 * unreachable: at open with host and port in msg, never the password; later a claim fails fast
 * while reconnects back off). An enqueue whose job the store saved succeeds even when Redis is
 * down (the reconciler delivers it later).
 * Thread-safety: every function but queue_close may be called from any thread concurrently.
 */
#ifndef RR_QUEUE_QUEUE_H
#define RR_QUEUE_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

struct queue;

#define QUEUE_RATE_KEY_MAX STORE_KEY_MAX /* bytes of a queue_ratelimit_apply key */
#define QUEUE_HASH_MAX 128                /* bytes of a queue_refresh_spend hash */
#define QUEUE_CACHE_NAME_MAX 256          /* bytes of a queue_cache_* name */
#define QUEUE_CACHE_TTL_MS_MAX 3600000    /* an entry lives at most an hour */

struct queue_ops {
    const char *name;
    void (*close)(struct queue *q);
    int (*enqueue)(struct queue *q, const char *kind, const char *user_id, const char *video_id,
                   const char *payload, int max_attempts, int64_t delay_ms,
                   char id_out[STORE_ID_LEN + 1]);
    int (*claim)(struct queue *q, const char *owner, int64_t lease_ms, int per_user_max,
                 struct store_job *out);
    int (*heartbeat)(struct queue *q, const char *id, const char *owner, int64_t lease_ms);
    int (*progress)(struct queue *q, const char *id, const char *owner, double fraction,
                    const char *stage);
    int (*complete)(struct queue *q, const char *id, const char *owner);
    int (*fail)(struct queue *q, const char *id, const char *owner, const char *error,
                bool permanent, enum store_job_state *state_out);
    int (*release)(struct queue *q, const char *id, const char *owner);
    int (*reap_expired)(struct queue *q, char (*ids)[STORE_ID_LEN + 1], size_t max, size_t *n);
    int (*get)(struct queue *q, const char *id, struct store_job *out);
    /* Optional (NULL: UNSUPPORTED): push notices of job progress, see queue_watch. */
    int (*watch)(struct queue *q, const char *id, uint64_t *seq);
    /* Optional (NULL: UNSUPPORTED): rate-limit states held by the queue's engine. */
    int (*ratelimit_apply)(struct queue *q, const char *const *keys, size_t n, store_rate_fn fn,
                           void *ctx);
    /* Optional (NULL: UNSUPPORTED): refresh-token spends and the read cache, see below. */
    int (*refresh_spend)(struct queue *q, const char *used_hash, const char *next_hash,
                         int64_t ttl_ms, char seen[QUEUE_HASH_MAX + 1], int64_t *age_ms);
    int (*refresh_forget)(struct queue *q, const char *used_hash);
    int (*cache_get)(struct queue *q, const char *user_id, const char *name, size_t max,
                     char **data, size_t *len, uint64_t *gen);
    int (*cache_put)(struct queue *q, const char *user_id, const char *name, uint64_t gen,
                     const char *data, size_t len, int64_t ttl_ms);
    int (*cache_bump)(struct queue *q, const char *user_id);
};

/* Common head of every backend object. */
struct queue {
    const struct queue_ops *ops;
};

/* url: "db" (or "" / NULL, the default). */
int queue_open(const char *url, struct store *s, struct queue **out, char *msg, size_t msg_len);
void queue_close(struct queue *q); /* NULL is a no-op */
const char *queue_backend_name(const struct queue *q);

/* user_id and video_id may be NULL (a system job; a job about no video). */
int queue_enqueue(struct queue *q, const char *kind, const char *user_id, const char *video_id,
                  const char *payload, int max_attempts, int64_t delay_ms,
                  char id_out[STORE_ID_LEN + 1]);
int queue_claim(struct queue *q, const char *owner, int64_t lease_ms, struct store_job *out);
/* Fair share (store_job_claim_capped): owners (the job's user_id; system jobs are one more) are
 * served round robin, fewest running first, and an owner already running per_user_max jobs is
 * skipped (<= 0: no cap). queue_claim is this without a cap; both are fair. */
int queue_claim_capped(struct queue *q, const char *owner, int64_t lease_ms, int per_user_max,
                       struct store_job *out);
int queue_heartbeat(struct queue *q, const char *id, const char *owner, int64_t lease_ms);
int queue_progress(struct queue *q, const char *id, const char *owner, double fraction,
                   const char *stage);
int queue_complete(struct queue *q, const char *id, const char *owner);
int queue_fail(struct queue *q, const char *id, const char *owner, const char *error,
               bool permanent, enum store_job_state *state_out);
int queue_release(struct queue *q, const char *id, const char *owner);
/* Dead-letter up to max jobs whose lease expired after their last allowed attempt (a worker
 * crashed or hung on every attempt) and return their ids (*n), so the caller can run each kind's
 * `dead` hook. A claim would dead-letter them too, but silently. */
int queue_reap_expired(struct queue *q, char (*ids)[STORE_ID_LEN + 1], size_t max, size_t *n);
/* One job by id, any owner (the pool reads a reaped job's kind and payload). */
int queue_get(struct queue *q, const char *id, struct store_job *out);
/* Push notice of progress, for a process that follows a job another process runs (the SSE
 * stream of `serve`): 1 when job `id` reported progress or ended since *seq (*seq moves on; start
 * from 0), 0 when it did not and notices are live (no need to read the store), negative when
 * this backend has none ("db": RR_ERR_UNSUPPORTED) or they are down right now (RR_ERR_IO): then
 * read the store as often as without. The store stays the record: a notice says "read the job
 * again", nothing more. The first call starts listening (redis: one PSUBSCRIBE connection). */
int queue_watch(struct queue *q, const char *id, uint64_t *seq);
/* store_ratelimit_apply's contract (1..STORE_RATE_KEYS_MAX keys read, fn, changed states written
 * as one atomic step for every process sharing the engine), with the states kept where the
 * queue's engine can share them faster than the database: redis:// keeps them in hashes
 * "repright:rl:<key>" (optimistic WATCH/MULTI/EXEC, retried on a conflict; idle states expire
 * after 2 days; fn may run more than once). RR_ERR_UNSUPPORTED for "db" (use the store),
 * RR_ERR_IO when Redis is unreachable, RR_ERR_BUSY after too many conflicts, INVAL for bad
 * arguments (as the store: keys of 1..STORE_KEY_MAX bytes, none twice), or what fn returns
 * (nothing written). */
int queue_ratelimit_apply(struct queue *q, const char *const *keys, size_t n, store_rate_fn fn,
                          void *ctx);

/* ---- state the queue's engine shares between processes (redis:// only) ----------------------
 * Both are fast paths in front of the store, which stays the record: "db" answers UNSUPPORTED,
 * and a Redis error is RR_ERR_IO (the caller then does what it does without Redis). Only hashes
 * and rendered public data go to Redis, never a token or a secret. */

/* Refresh-token reuse detection: record, in one atomic step for every process, that the token
 * whose hash is used_hash was spent and that its successor's hash is next_hash, for ttl_ms
 * (1..2^40; the refresh lifetime), unless a spend of used_hash is already recorded.
 * 1: this call recorded it (the first spend seen); 0: it was spent before, seen gets the
 * successor hash recorded then and *age_ms how long ago that was (Redis' own clock). Keys
 * "repright:rt:<used_hash>" (SET NX PX). INVAL: a hash empty or over QUEUE_HASH_MAX bytes. */
int queue_refresh_spend(struct queue *q, const char *used_hash, const char *next_hash,
                        int64_t ttl_ms, char seen[QUEUE_HASH_MAX + 1], int64_t *age_ms);
/* Drop the record of a spend (the store refused the rotation: nothing was spent). */
int queue_refresh_forget(struct queue *q, const char *used_hash);

/* A cache of rendered reads per user, invalidated by a per-user generation. name (1..
 * QUEUE_CACHE_NAME_MAX bytes) says which read with which parameters.
 * queue_cache_get: 0 = hit (*data: a malloc'd copy, NUL-terminated, *len bytes; free it);
 * NOTFOUND = miss, or an entry of an older generation, or one over max bytes. On both, *gen is
 * the user's current generation: render from the store, then queue_cache_put with that gen, so
 * an entry rendered before a write is tagged with the generation before it and never served
 * after it. The generation and the entry are read in one MULTI/EXEC.
 * queue_cache_put: keep data for ttl_ms (1..QUEUE_CACHE_TTL_MS_MAX); TOOBIG over 1 MiB.
 * queue_cache_bump: a write changed the user's data: a new generation (from a global counter,
 * so a generation that expired is never issued again), one Lua call. Call it after the store's
 * write committed and before answering. Keys "repright:cg" (counter), "repright:cg:<user>"
 * (generation, expires a day after the last write), "repright:c:<user>:<name>" (entries). */
int queue_cache_get(struct queue *q, const char *user_id, const char *name, size_t max,
                    char **data, size_t *len, uint64_t *gen);
int queue_cache_put(struct queue *q, const char *user_id, const char *name, uint64_t gen,
                    const char *data, size_t len, int64_t ttl_ms);
int queue_cache_bump(struct queue *q, const char *user_id);

#endif
