/*
 * worker.h - a generic worker pool: N threads that claim jobs from a queue (queue.h), run the
 * handler of the job's kind from a kind table handed in at start, and write the outcome on the
 * job. The pool knows no kind: `repright serve` / `repright worker` hand it the app's table
 * (src/app/app.h: app_job_kinds) and the app as the handlers' context.
 *
 * Each worker loops: claim (fair across owners, at most cfg.per_user_max running per owner;
 * lease = the kind's lease or cfg.lease_s) -> run -> complete, or
 * fail (the store retries with exponential back-off and dead-letters after max_attempts;
 * ctx->permanent = 1 goes dead at once). Nothing fails silently: every outcome, including an
 * unknown kind or a lost lease, is written on the job or logged to stderr as one JSON line.
 * A pool-wide heartbeat thread extends the lease of every running job every lease/3, so a slow
 * step (decoding, model loading) never loses its job; a dead worker (kill -9) stops
 * heartbeating and its job becomes claimable after the lease expires (another worker or the
 * restarted server takes it, attempts + 1). Before each claim a worker reaps jobs whose lease
 * ran out on their last attempt and runs their kind's `dead` hook. When the queue is empty or
 * the store is busy, a worker sleeps (idle poll 200 ms, error back-off doubling up to 5 s);
 * stop wakes it at once.
 *
 * Resources a kind needs (the pose models of analyze_video) are its handler's business: the
 * handler reaches them through ctx->ctx (the app loads them once, on first use).
 *
 * worker_pool_stop is graceful: no new claims; running jobs may finish until the drain deadline
 * (default 20 s, worker_pool_set_drain_ms); jobs still running then get their lease released
 * (no attempt spent, claimable at once by the next process), and the threads are joined (a
 * handler that cannot be interrupted finishes its step first; its late complete is refused by
 * the store and ignored).
 *
 * Ownership: the pool borrows the store, the kind table and ctx (all must outlive it) and owns
 * its queue object and threads. Errors: start: INVAL (threads outside 1..64, no store, no kinds,
 * lease_s < 1), NOMEM, INTERNAL (thread creation), UNSUPPORTED (queue URL); `msg` says which.
 * Thread-safety: start/stop from one controlling thread; the job_* functions are called from a
 * handler on its worker thread with its own ctx.
 */
#ifndef RR_QUEUE_WORKER_H
#define RR_QUEUE_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "base/rr_log.h"
#include "store/store.h"

struct queue;
struct worker_pool;

#define WORKER_POOL_MAX 64
#define WORKER_DRAIN_MS_DEFAULT 20000

/* What a handler gets while it runs one job. */
struct job_ctx {
    void *ctx; /* worker_config.ctx: the handlers' shared context (the app) */
    struct queue *queue;
    const struct store_job *job;
    const char *owner;
    int permanent; /* handler sets 1 when retrying cannot help */
    /* progress throttling state (job_progress) */
    int64_t last_progress_ms;
    char last_stage[STORE_NAME_MAX + 1];
};

/* Returns 0, or a negative RR_ERR_* with `err` filled (written on the job). */
typedef int (*job_run_fn)(struct job_ctx *ctx, char *err, size_t err_len);

struct job_kind {
    const char *name; /* [a-z_]+, the job's `kind` column */
    job_run_fn run;
    int max_attempts; /* 0: the enqueuer's default (read by whoever enqueues, not the pool) */
    int lease_s;      /* 0: worker_config.lease_s */
    /* Optional: called for a job dead-lettered without its handler deciding it (the lease
     * expired on the last attempt; job->error says so), to settle what the job was about. */
    void (*dead)(void *ctx, const struct store_job *job);
};

struct worker_config {
    struct store *store;       /* the "db" queue's storage */
    const char *queue_url;     /* queue_open URL; NULL = "db" */
    int threads;               /* 1..WORKER_POOL_MAX */
    int lease_s;               /* lease of kinds without their own, >= 1 */
    const struct job_kind *kinds;
    size_t n_kinds;
    void *ctx;                 /* handed to every handler and dead hook */
    int per_user_max;          /* running jobs per owner (user_id) across all workers sharing
                                  the queue; 0 = no cap (claims are fair either way) */
};

/* The kind named `name` in a table, or NULL. */
const struct job_kind *job_kind_find(const struct job_kind *kinds, size_t n, const char *name);

int worker_pool_start(const struct worker_config *cfg, struct worker_pool **out, char *msg,
                      size_t msg_len);
/* Graceful stop (see top) and free; NULL is a no-op. */
void worker_pool_stop(struct worker_pool *p);
/* Drain deadline used by worker_pool_stop (milliseconds, >= 0). */
void worker_pool_set_drain_ms(struct worker_pool *p, int64_t ms);
/* Jobs finished by this pool so far (completed + failed + dead), for tests and metrics. */
int64_t worker_pool_jobs_finished(struct worker_pool *p);

/* Report progress from inside a handler (throttled: at most every 250 ms unless the stage
 * changes; the lease is kept by the pool's heartbeat thread). Never fails the job. */
void job_progress(struct job_ctx *ctx, const char *stage, double fraction);
/* One log line about the running job (its id attached); level as base/rr_log.h. */
void job_log(const struct job_ctx *ctx, enum rr_log_level level, const char *event,
             const char *detail);

#endif
