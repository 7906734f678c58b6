/*
 * worker.h - the embedded worker pool of `repright serve`: N threads that claim jobs from the
 * queue (queue.h), run the kind's handler, and write the outcome on the job.
 *
 * Each worker loops: claim (lease = the kind's lease or cfg.job_lease_s) -> run -> complete, or
 * fail (the store retries with exponential back-off and dead-letters after max_attempts;
 * ctx->permanent = 1 goes dead at once). Nothing fails silently: every outcome, including an
 * unknown kind or a lost lease, is written on the job or logged to stderr as one JSON line.
 * A pool-wide heartbeat thread extends the lease of every running job every lease/3, so a slow
 * step (decoding, model loading) never loses its job; a dead worker (kill -9) stops
 * heartbeating and its job becomes claimable after the lease expires (another worker or the
 * restarted server takes it, attempts + 1). When the queue is empty or the store is busy, a
 * worker sleeps (idle poll 200 ms, error back-off doubling up to 5 s); stop wakes it at once.
 *
 * The pose models are loaded once per pool, on the first job that needs them
 * (worker_pool_models), from app->cfg.model_dir and app->cfg.model, and shared read-only.
 *
 * worker_pool_stop is graceful: no new claims; running jobs may finish until the drain deadline
 * (default 20 s, worker_pool_set_drain_ms); jobs still running then get their lease released
 * (no attempt spent, claimable at once by the next process), and the threads are joined (a
 * handler that cannot be interrupted finishes its step first; its late complete is refused by
 * the store and ignored).
 *
 * Ownership: the pool borrows `app` (store, blob, cfg), which must outlive it; it owns its
 * queue object, threads and models. Errors: start: INVAL (n outside 1..64, app without a
 * store), NOMEM, INTERNAL (thread creation), UNSUPPORTED (queue URL); `msg` says which.
 * Thread-safety: start/stop from one controlling thread; worker_pool_models and the job_ctx
 * functions are called from the workers.
 */
#ifndef RR_QUEUE_WORKER_H
#define RR_QUEUE_WORKER_H

#include <stddef.h>
#include <stdint.h>

struct app;
struct worker_pool;
struct pose_models;

#define WORKER_POOL_MAX 64
#define WORKER_DRAIN_MS_DEFAULT 20000

int worker_pool_start(struct app *a, int n, struct worker_pool **out, char *msg, size_t msg_len);
/* Graceful stop (see top) and free; NULL is a no-op. */
void worker_pool_stop(struct worker_pool *p);
/* Drain deadline used by worker_pool_stop (milliseconds, >= 0). */
void worker_pool_set_drain_ms(struct worker_pool *p, int64_t ms);
/* Jobs finished by this pool so far (completed + failed + dead), for tests and metrics. */
int64_t worker_pool_jobs_finished(struct worker_pool *p);
/* The pool's shared models, loaded on first use (thread-safe). A load failure is returned again
 * on every call (with the same message) until a later call succeeds. */
int worker_pool_models(struct worker_pool *p, const struct pose_models **out, char *msg,
                       size_t msg_len);

#endif
