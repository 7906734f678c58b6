/*
 * queue.h - RepRight's durable job queue behind a vtable, and the table of job kinds.
 *
 * A queue is opened from a URL: "db" (the jobs table of the store: src/queue/queue_db.c, over
 * store_job_*). A Redis Streams backend can be added later by filling another struct
 * queue_ops and one line in queue_open()'s table; callers (API handlers, the worker pool) only
 * use the queue_*() functions below. Semantics are the store's (docs/internals/store.md): a
 * claim takes the oldest runnable job with a lease; the holder heartbeats to keep it, reports
 * progress, and ends it with complete / fail (back-off or dead-letter) / release (no attempt
 * spent). An expired lease makes the job claimable again.
 *
 * Job kinds (src/queue/kinds.c) are one table: name, handler, max attempts, lease. The handler
 * runs on a worker thread (worker.h) and returns 0, or a negative RR_ERR_* with `err` filled;
 * ctx->permanent = 1 marks a failure no retry can fix (bad input): the job goes dead at once.
 *
 * Ownership: queue_open returns a heap object freed by queue_close; it borrows the store, which
 * must outlive it. Errors: negative RR_ERR_* from the store (NOTFOUND: nothing to claim or no
 * such job; CONFLICT: lease not held by owner), UNSUPPORTED for an unknown queue URL.
 * Thread-safety: every function but queue_close may be called from any thread concurrently.
 */
#ifndef RR_QUEUE_QUEUE_H
#define RR_QUEUE_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../store/store.h"

struct queue;
struct app;

struct queue_ops {
    const char *name;
    void (*close)(struct queue *q);
    int (*enqueue)(struct queue *q, const char *kind, const char *user_id, const char *payload,
                   int max_attempts, int64_t delay_ms, char id_out[STORE_ID_LEN + 1]);
    int (*claim)(struct queue *q, const char *owner, int64_t lease_ms, struct store_job *out);
    int (*heartbeat)(struct queue *q, const char *id, const char *owner, int64_t lease_ms);
    int (*progress)(struct queue *q, const char *id, const char *owner, double fraction,
                    const char *stage);
    int (*complete)(struct queue *q, const char *id, const char *owner);
    int (*fail)(struct queue *q, const char *id, const char *owner, const char *error,
                bool permanent, enum store_job_state *state_out);
    int (*release)(struct queue *q, const char *id, const char *owner);
    int (*reap_expired)(struct queue *q, char (*ids)[STORE_ID_LEN + 1], size_t max, size_t *n);
};

/* Common head of every backend object. */
struct queue {
    const struct queue_ops *ops;
};

/* url: "db" (or "" / NULL, the default). */
int queue_open(const char *url, struct store *s, struct queue **out, char *msg, size_t msg_len);
void queue_close(struct queue *q); /* NULL is a no-op */
const char *queue_backend_name(const struct queue *q);

int queue_enqueue(struct queue *q, const char *kind, const char *user_id, const char *payload,
                  int max_attempts, int64_t delay_ms, char id_out[STORE_ID_LEN + 1]);
int queue_claim(struct queue *q, const char *owner, int64_t lease_ms, struct store_job *out);
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

/* ---- job kinds --------------------------------------------------------------------------- */

/* What a handler gets while it runs one job. */
struct job_ctx {
    struct app *app;
    struct queue *queue;
    struct worker_pool *pool;
    const struct store_job *job;
    const char *owner;
    int permanent; /* handler sets 1 when retrying cannot help */
    /* progress throttling state (job_progress) */
    int64_t last_progress_ms;
    char last_stage[STORE_NAME_MAX + 1];
};

typedef int (*job_handler_fn)(struct job_ctx *ctx, char *err, size_t err_len);

struct job_kind {
    const char *name;     /* [a-z_]+, the job's `kind` column */
    job_handler_fn run;
    int max_attempts;     /* 0: app->cfg.job_max_attempts */
    int lease_s;          /* 0: app->cfg.job_lease_s */
    /* Optional: called by the worker pool for a job dead-lettered without its handler deciding
     * it (lease expired on the last attempt; job->error says so), to settle what the job was
     * about (analyze_video: the video becomes "failed" with the reason). */
    void (*dead)(struct app *a, const struct store_job *job);
};

/* The kind table (kinds.c) and lookup by name (NULL when unknown). */
extern const struct job_kind queue_kinds[];
extern const size_t queue_kinds_n;
const struct job_kind *queue_kind_find(const char *name);

/* Enqueue a job of a known kind over app's queue URL and store (max_attempts from the kind
 * table, else the config). INVAL for an unknown kind. Used by the API. */
int queue_submit(struct app *a, const char *kind, const char *user_id, const char *payload,
                 char id_out[STORE_ID_LEN + 1]);

/* Report progress from inside a handler (throttled: at most every 250 ms unless the stage
 * changes; the lease is kept by the pool's heartbeat thread). Never fails the job. */
void job_progress(struct job_ctx *ctx, const char *stage, double fraction);

/* The analyze_video handler (analyze_job.c). Payload {"video_id": "<32 hex>"}. */
int job_analyze_video(struct job_ctx *ctx, char *err, size_t err_len);
/* Its dead hook: the video named by the payload becomes "failed" with the job's error. */
void job_analyze_video_dead(struct app *a, const struct store_job *job);

/* Blob keys of a video's derived objects (analyze_job.c): "videos/<id>/overlay.mp4",
 * "videos/<id>/thumbs/best.jpg", ".../worst.jpg", "videos/<id>/report.json",
 * "videos/<id>/landmarks.json" (pipeline/landmarks_json.h). Fills buf and returns it; NULL when
 * id is malformed or buf too small. which: "overlay", "best", "worst", "report", "landmarks". */
const char *queue_video_key(const char *video_id, const char *which, char *buf, size_t len);

#endif
