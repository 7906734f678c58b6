/*
 * app.h - RepRight's application layer: the service container and the use cases.
 *
 * Layering (docs/internals/app.md): adapters (src/api over HTTP, src/cli) -> app (this module)
 * -> services (store, blob, queue, pipeline, analytics, auth) -> base. A use case is ONE
 * function that an API handler and a CLI command can both call: it takes plain arguments (ids,
 * records), does every write its flow needs in an order that never leaves a row pointing at
 * nothing, and returns an RR_ERR_* code. It never replies, never logs a request (the adapter that
 * knows the request or job id logs, once) and includes neither http/ nor api/. Reads that are one
 * store call stay in the adapters.
 *
 *   app_ingest_upload   a finished upload -> its video row and analyze_video job (idempotent)
 *   app_analyze_video   the analysis of a stored video -> report, landmarks, workout, analytics,
 *                       status (also the analyze_video job's handler): the report is ready as
 *                       soon as the analysis is done
 *   app_reanalyze_video "analyse again as...": a new analyze_video job with another exercise
 *                       (or recognition); its run replaces the workout
 *   app_render_video    the overlay video and best/worst thumbnails, only when asked: a
 *                       render_video job drawn from the stored report and landmark track
 *   app_rename_workout  the user's name for a workout
 *   app_workout_get     a workout by id within the plan's history (older = NOTFOUND)
 *   app_save_workout    a workout (device sync or analysis) + analytics, idempotent per client_id
 *   app_delete_workout  a workout, its analytics, and the video it came from
 *   app_delete_video    a video and everything derived from it: workout, jobs, analytics, blobs
 * Analytics follow every workout write inside the store's transaction (store.h "Derived numbers").
 *
 * The container: app_open() opens every service from the config (data dir, store + migrations,
 * blob store, tus uploads, queue, secret-derived keys) and owns them; app_close() closes them.
 * It starts nothing: src/cli/daemon.c composes the HTTP server (api_server_start) and the worker
 * pool (worker_pool_start with app_worker_config) around it and stops them before app_close().
 * The pose models are loaded on first use (app_pose_models) and shared read-only.
 *
 * Ownership: struct app is heap-allocated by app_open and freed by app_close; callers borrow
 * its services. Records passed to use cases stay the caller's.
 * Errors (negative RR_ERR_*): app_open names the failing service in msg; use cases return the
 * store's codes (NOTFOUND: no such row for this user, which is also the answer for someone
 * else's id), blob/queue codes, INVAL for malformed arguments, NOMEM.
 * Thread-safety: after app_open the struct is read-only except the lazily loaded models and the
 * cache's retry list (each under a mutex); every use case may run concurrently on any thread.
 */
#ifndef RR_APP_APP_H
#define RR_APP_APP_H

#include <stddef.h>
#include <stdint.h>

#include "app/config.h"
#include "queue/worker.h"
#include "store/store.h"

struct blob;
struct tus;
struct queue;
struct pose_models;
struct app_models;
struct app_cache;

struct app {
    struct app_config cfg;
    struct store *store;
    struct blob *blob;
    struct tus *tus;
    struct queue *queue;
    uint8_t jwt_key[32];      /* derived from the server secret, label "jwt" */
    uint8_t token_pepper[32]; /* label "token-pepper" */
    uint8_t media_key[32];    /* label "media-url": signed media links (auth/media_sig.h) */
    uint8_t webhook_key[32];  /* label "webhook-secret": endpoint secrets at rest (webhooks.md) */
    const char *jwt_issuer;   /* "repright" */
    const char *jwt_audience; /* "repright-api" */
    struct app_models *models;
    /* REPRIGHT_BILLING_WEBHOOK_SECRET(_FILE): the billing provider's signing secret, as the
     * provider shows it (its bytes are the HMAC key); len 0 = billing webhook not configured */
    unsigned char billing_secret[256];
    size_t billing_secret_len;
    struct app_cache *cache; /* app/cache.c: bumps to retry (under its own mutex) */
};

/* Open the services and run migrations. */
int app_open(const struct app_config *cfg, struct app **out, char *msg, size_t msg_len);
/* Close the services (stop the HTTP server and the worker pool first). NULL is a no-op. */
void app_close(struct app *a);

/* `repright migrate`: open the store of cfg, apply pending migrations, then run the store's
 * integrity check (RR_ERR_CORRUPT with what it found: a deploy must not go on with a damaged
 * database), report. backend gets the store's name ("sqlite"). */
int app_migrate(const struct app_config *cfg, int *applied, int *version, char backend[16],
                char *msg, size_t msg_len);

/* The shared pose models (cfg.model_dir, cfg.model), loaded on the first call. A load failure
 * is returned (with its message) and tried again on the next call. */
int app_pose_models(struct app *a, const struct pose_models **out, char *msg, size_t msg_len);
/* The same for another landmark model (a job that asked for "heavy", a plan feature): each kind
 * is loaded once, on first use. */
int app_pose_models_kind(struct app *a, enum pose_model_kind kind,
                         const struct pose_models **out, char *msg, size_t msg_len);

/* ---- jobs ------------------------------------------------------------------------------------ */

/* The job kinds this application runs (name, handler, attempts, lease, dead hook). */
const struct job_kind *app_job_kinds(size_t *n);
/* A worker pool configuration over a's store and queue URL, kinds and lease, with `a` as the
 * handlers' context. */
void app_worker_config(struct app *a, int threads, struct worker_config *out);

/* ---- use cases ------------------------------------------------------------------------------ */

struct app_upload {
    const char *user_id;  /* the owner */
    const char *video_id; /* the id to give the video (a tus upload's id), or NULL for a new one */
    const char *blob_key; /* the committed original */
    int64_t size;
    const char *sha256;   /* hex, may be NULL */
    const char *exercise; /* what the athlete did (app_exercise_known), NULL or "": recognise */
    int overlay;          /* 1: also make the overlay video and thumbnails after the analysis */
    const char *model;    /* "lite", "full", "heavy" (a plan feature), or NULL: the server's */
};

/* Why the user's plan refused an action (app/plans.c): the limit by name, the plan's value, the
 * user's usage, and what the plan above offers (has_next = 0 at the top). */
struct app_plan_limit {
    const char *limit; /* "uploads_per_month", "max_video_s", "heavy_model", "overlay_video" */
    char plan[STORE_PLAN_MAX + 1];
    int64_t allowed; /* the plan's value: a count, seconds, or 0/1 for a feature; -1 unlimited */
    int64_t used;    /* usage this month, the video's seconds, or 1 (the feature was asked for) */
    int has_next;
    struct store_plan next;
};

struct app_ingested {
    char video_id[STORE_ID_LEN + 1];
    char job_id[STORE_ID_LEN + 1];
    struct app_plan_limit limit; /* filled when app_ingest_upload returns RR_ERR_QUOTA */
};

/* The video row and its analyze_video job for a finished upload. Idempotent when u->video_id
 * is given: an existing row of that user is reused and its job found (one indexed lookup), or
 * enqueued when missing, so a crash between the blob and the row is repaired by calling again.
 * A new row is metered ("uploads") in its own insert's transaction: QUOTA (out->limit says
 * which) when the user's plan allows no more uploads this month. */
int app_ingest_upload(struct app *a, const struct app_upload *u, struct app_ingested *out);

/* Progress of an analysis: stage "fetch", "pose", "analysis", "done", "store"; of a render:
 * "fetch", "overlay", "store". */
typedef void (*app_progress_fn)(void *ud, const char *stage, double fraction);

/* Analyse a stored video as `exercise` (NULL or "": recognise it): status "processing", fetch
 * the original, run the pipeline (no overlay, no thumbnails: app_render_video makes those when
 * asked), store the report and the landmark track under videos/<id>/, drop an earlier run's
 * overlay and thumbnails (they showed the old verdicts), save the workout (replacing an earlier
 * run's, keeping its name) with its analytics, status "analysed". The report is rendered to JSON
 * once, when it is stored; the workout is built from the report struct. On failure err says why
 * in plain words a user may read, once (no local paths, no codes), and *permanent says whether a
 * retry can help (bad input, a deleted video); whether the video then ends "failed" is the
 * caller's decision (the analyze_video job: on a permanent failure or its last attempt). */
int app_analyze_video(struct app *a, const char *video_id, const char *exercise,
                      app_progress_fn progress, void *ud, int *permanent, char *err,
                      size_t err_len);

/* "Analyse again as...": queue an analyze_video job for the user's video with `exercise`
 * (NULL or "": recognise). The video keeps its workout until the new run replaces it.
 * NOTFOUND (unknown or foreign video), INVAL (unknown exercise), CONFLICT (an analysis of it is
 * already queued or running). */
int app_reanalyze_video(struct app *a, const char *user_id, const char *video_id,
                        const char *exercise, char job_id[STORE_ID_LEN + 1]);

/* Queue the overlay video and thumbnails of the user's analysed video (a render_video job), or
 * hand back the one already queued or running (*queued = 0 then). NOTFOUND, FORBIDDEN (the
 * owner's plan has no overlay video: app_plan_feature says why), CONFLICT (not analysed yet). */
int app_render_video(struct app *a, const char *user_id, const char *video_id,
                     char job_id[STORE_ID_LEN + 1], int *queued);

/* The render itself (the render_video job's work): decode the original again and draw the
 * stored report and landmark track over it -> videos/<id>/overlay.mp4, thumbs/best.jpg and
 * thumbs/worst.jpg (a set without judged reps has no thumbnails). Errors as app_analyze_video. */
int app_render_video_run(struct app *a, const char *video_id, app_progress_fn progress, void *ud,
                         int *permanent, char *err, size_t err_len);

/* The user's workout by id, as the user may see it: NOTFOUND for an unknown or foreign id AND
 * for one older than the plan's history (app_history_from; hidden, not deleted). */
int app_workout_get(struct app *a, const char *user_id, const char *workout_id,
                    struct store_workout *w);
/* Rename the user's workout ("" clears the name). NOTFOUND (also when hidden by the plan's
 * history), TOOBIG. */
int app_rename_workout(struct app *a, const char *user_id, const char *workout_id,
                       const char *name);

/* Estimated CPU milliseconds per frame of analysing a width x height video with `model` (one
 * decoding pass and the pose model, measured constants; docs/internals/reliability.md). The
 * overlay render is a job of its own, made only when asked, with its own estimate
 * (app__render_cost_ms_per_frame): it is not counted here. A job's estimate is this times its
 * frames; cfg.job_cpu_budget_s bounds it. */
double app_analysis_cost_ms_per_frame(int width, int height, enum pose_model_kind model);

enum app_saved {
    APP_SAVED_NEW,   /* written */
    APP_SAVED_AGAIN, /* client_id seen before: nothing written, *w is the earlier workout */
    APP_SAVED_GONE,  /* client_id seen before and that workout was deleted since: w->id only */
};
/* app_save_workout with a client_id seen before for a different workout (another start,
 * exercise, duration or score): RR_ERR_CONFLICT, *w is the earlier workout. */

/* Save a whole workout (store_workout_put: one transaction with its analytics share; per video
 * it replaces an earlier one, taking back that one's share). w->id, w->created_at and the
 * counts are filled; a repeat (client id seen) counts nothing. */
int app_save_workout(struct app *a, struct store_workout *w, struct store_set *sets, size_t nsets,
                     struct store_rep *reps, size_t nreps, const char *client_id,
                     enum app_saved *how);

/* Save one set of a device session (store_workout_put_session): the session's first set of an
 * exercise makes a workout, the next ones are appended to it; session_key groups them (the
 * adapter builds it from the session id and exercise). Analytics follow in the store as in
 * app_save_workout; *w is the session's workout as stored afterwards. */
int app_save_session_set(struct app *a, struct store_workout *w, struct store_set *set,
                         struct store_rep *reps, size_t nreps, const char *client_id,
                         const char *session_key, enum app_saved *how);

/* Delete the user's workout (and its analytics share, one transaction), then the video it was
 * recorded from (app_delete_video's purge: row, jobs, blobs). NOTFOUND for an unknown or foreign id. */
int app_delete_workout(struct app *a, const char *user_id, const char *workout_id);

/* Delete the user's video and everything derived from it: its workout (and that workout's
 * analytics), its jobs (the store cascades them), the original and every derived blob, and the
 * tus record it came from. Rows go first, blobs after (a blob without a row is swept later; a
 * row without its blob would be a broken link). NOTFOUND for an unknown or foreign id. */
int app_delete_video(struct app *a, const char *user_id, const char *video_id);

/* ---- webhooks (app/webhooks.c, app/webhook_job.c; docs/internals/webhooks.md) --------------- */

/* The event types a partner can subscribe to; "webhook.test" is sent by app_webhook_test only. */
#define APP_WEBHOOK_ANALYSIS_COMPLETED "analysis.completed"
#define APP_WEBHOOK_WORKOUT_SYNCED "workout.synced"
#define APP_WEBHOOK_MEMBER_LINKED "member.linked"
#define APP_WEBHOOK_MEMBER_UNLINKED "member.unlinked"
#define APP_WEBHOOK_TEST "webhook.test"
#define APP_WEBHOOK_TYPES_MAX 4
#define APP_WEBHOOK_DATA_MAX (200 * 1024) /* the event's data; the envelope adds < 1 KiB */

/* 1 when type is one of the four subscribable event types. */
int app_webhook_type_known(const char *type);

/* A new endpoint of the organisation: the URL must pass the SSRF policy now (https, public
 * address; net/ssrf.h) and is checked again at every delivery; types: 1..APP_WEBHOOK_TYPES_MAX
 * known event types (duplicates ignored). out->secret is the signing secret in clear, shown to
 * the partner once (the API returns it from create only); the store keeps it sealed under
 * a->webhook_key. INVAL / FORBIDDEN / NOTFOUND (URL, with
 * msg), CONFLICT (the org has STORE_WEBHOOK_ENDPOINTS_MAX endpoints). */
int app_webhook_create(struct app *a, const char *org_id, const char *url,
                       const char *const *types, size_t n_types,
                       struct store_webhook_endpoint *out, char *msg, size_t msg_len);
/* Delete the org's endpoint and its delivery log. NOTFOUND. */
int app_webhook_delete(struct app *a, const char *org_id, const char *endpoint_id);

/* Record event `type` about member_id (NULL: none) with data (a JSON object, at most
 * APP_WEBHOOK_DATA_MAX bytes) for every enabled endpoint of org_id subscribed to it, in one
 * transaction with the jobs that deliver it. The signed body is
 *   {"id":"evt_<32 hex>","type":T,"created_at":RFC3339,"org_id":O,"member_id":M|null,"data":D}
 * *n (may be NULL) = endpoints it goes to; event_id (may be NULL) gets the id. INVAL (unknown
 * type, data not a JSON object), TOOBIG. */
int app_webhook_emit(struct app *a, const char *org_id, const char *type, const char *member_id,
                     const char *data_json, int *n, char event_id[STORE_WEBHOOK_EVENT_ID_MAX + 1]);
/* A "webhook.test" event to one endpoint of the org (enabled or not, whatever its types). */
int app_webhook_test(struct app *a, const char *org_id, const char *endpoint_id,
                     char event_id[STORE_WEBHOOK_EVENT_ID_MAX + 1]);
/* Send a logged delivery again: a new delivery of the same event (same webhook-id and body) to
 * the same endpoint, behind the member's pending ones. CONFLICT while the original is pending. */
int app_webhook_redeliver(struct app *a, const char *org_id, const char *delivery_id);

/* The data of workout.synced / analysis.completed for a saved workout. */
int app_webhook_workout_data(const struct store_workout *w, char *out, size_t cap);

/* The retry schedule: the wait before attempt `attempts` + 1 after `attempts` failed ones
 * (>= 1): base * 2^(attempts-1), at most APP_WEBHOOK_RETRY_CAP_MS, times a jitter factor
 * 0.75 + 0.5 * u (u in [0, 1): spread +-25 %). */
#define APP_WEBHOOK_RETRY_CAP_MS (2 * 3600 * 1000LL)
int64_t app_webhook_retry_delay_ms(int64_t base_ms, int attempts, double u);

/* ---- storage (app/storage.c) ---------------------------------------------------------------- */

enum { APP_STORAGE_QUOTA = 1, APP_STORAGE_DISK = 2 };

struct app_storage_verdict {
    int refused;        /* 0, APP_STORAGE_QUOTA or APP_STORAGE_DISK */
    int64_t used;       /* the user's usage (when the quota was counted) */
    int64_t quota;      /* cfg.storage_quota (0 = none) */
    int64_t free_bytes; /* free disk space now */
    int64_t min_free;   /* cfg.min_free_bytes */
    int64_t room;       /* bytes that may still be written: quota left and disk above min_free */
};

/* Rate-limit states shared by every process (store_ratelimit_apply's contract): held by the
 * queue's engine when it keeps them (redis://: queue_ratelimit_apply), else by the store. While
 * Redis is unreachable the store holds them (logged at most once a minute), so throttling
 * never switches off; the two sets of states are not merged when Redis comes back. */
int app_ratelimit_apply(struct app *a, const char *const *keys, size_t n, store_rate_fn fn,
                        void *ctx);

/* Free bytes where data goes: the least of the data directory, the upload directory and the
 * blob store (statvfs, space available to this process's user). IO when none can be read. */
int app_storage_free(struct app *a, int64_t *bytes);
/* May user_id write `incoming` more bytes (0 = not known yet)? The disk must keep
 * cfg.min_free_bytes free after it; with count_quota the user's usage (store_user_usage) plus
 * incoming must stay within cfg.storage_quota (a new upload; a resumed tus PATCH was counted
 * when it was created). 0 = admitted, NOSPACE = refused with v->refused saying why, or a store /
 * IO error. v->room is how much may be written either way (for streams of unknown length). */
int app_storage_admit(struct app *a, const char *user_id, int64_t incoming, int count_quota,
                      struct app_storage_verdict *v);

struct app_sweep_stats {
    int tmp_removed;     /* blob temporaries of writers that are gone */
    int uploads_removed; /* expired tus uploads (row + part) */
    int scratch_removed; /* analysis scratch directories of jobs that are gone */
};
/* One sweep: blob temporaries and job scratch directories no live writer holds (they are
 * locked while in use, so this is safe while other processes work), expired uploads, old login
 * counters, and partner events left recorded by a crash or a failed emit (app_outbox_drain). Logs one line when something was removed. Returns 0 or the first error (the rest
 * still ran); st may be NULL. */
int app_sweep(struct app *a, struct app_sweep_stats *st);
struct app_sweeper;
/* Sweep once now, then every cfg.sweep_interval_s on a thread of its own. */
int app_sweeper_start(struct app *a, struct app_sweeper **out, char *msg, size_t msg_len);
/* Stop and join the thread (before app_close); NULL is a no-op. */
void app_sweeper_stop(struct app_sweeper *sw);

/* ---- plans, quotas, feature flags, usage, billing (app/plans.c) ------------------------------ */

/* The user's record and plan (a plan missing from the table reads as "free"). u may be NULL. */
int app_user_plan(struct app *a, const char *user_id, struct store_user *u, struct store_plan *p);
/* The plan ranked next above p; NOTFOUND at the top. */
int app_plan_above(struct app *a, const struct store_plan *p, struct store_plan *next);
/* May the user use a plan feature ("heavy_model", "overlay_video")? 0, or FORBIDDEN with why
 * filled; INVAL for an unknown feature. */
int app_plan_feature(struct app *a, const char *user_id, const char *feature,
                     struct app_plan_limit *why);
/* An early look before an upload's bytes are accepted: QUOTA (why filled) when the month's
 * uploads are used up. Not atomic: the count that decides is app_ingest_upload's. */
int app_plan_upload_check(struct app *a, const char *user_id, struct app_plan_limit *why);
/* The oldest started_at (ms) of the user's workouts the plan shows (history_days); 0 = all.
 * THE cut-off of every user-facing read of workouts (list, by id, export, partner reads):
 * older workouts are hidden, not deleted, so a better plan shows them again. */
int64_t app_history_from(struct app *a, const char *user_id);
/* The same cut-off for day-based reads (analytics): 00:00 UTC (ms) of the first whole day
 * inside the window, so no day that holds a hidden workout is counted; 0 = all. */
int64_t app_history_from_day(struct app *a, const char *user_id);

/* Feature flags. THE one way to read a flag: user rule > organisation rule > plan rule >
 * percentage rollout (app_rollout_bucket < rollout_percent) > off. Unknown flag or a store
 * error: 0. */
int app_flag_enabled(struct app *a, const char *user_id, const char *name);
/* The stable rollout bucket 0..99 of a user for a flag: the first 8 bytes of
 * SHA-256(name || user_id), big-endian, mod 100. */
int app_rollout_bucket(const char *name, const char *user_id);
struct app_flag {
    char name[STORE_FLAG_MAX + 1];
    int enabled;
    const char *source; /* what decided: "user", "org", "plan", "rollout", "off" */
    int rollout_percent;
};
/* Every flag evaluated for the user (malloc'd array, free()). */
int app_flags(struct app *a, const char *user_id, struct app_flag **items, size_t *n);

/* Metered quantities the app knows, in display order. */
#define APP_METRICS_N 2
extern const char *const app_metrics[APP_METRICS_N]; /* "uploads", "video_seconds" */
struct app_usage {
    struct store_user user;
    struct store_plan plan;
    int has_next;
    struct store_plan next;
    char month[STORE_MONTH_LEN + 1];
    int64_t used[APP_METRICS_N]; /* this month, by app_metrics */
};
/* The user's plan, the plan above and the usage of a month (NULL: this month, UTC). */
int app_usage(struct app *a, const char *user_id, const char *month, struct app_usage *out);

/* Billing provider webhooks: signature header "t=UNIX_SECONDS,v1=HEX[,v1=HEX...]", HMAC-SHA256
 * with the billing secret over "t.body"; |now - t| <= 300 s. 0 when one v1 matches.
 * UNSUPPORTED: no secret configured; INVAL: header missing or malformed; TIMEOUT: the timestamp
 * is outside the tolerance; UNAUTHENTICATED: no signature matches. msg says which. */
#define APP_BILLING_TOLERANCE_S 300
int app_billing_verify(struct app *a, const char *header, const void *body, size_t len,
                       int64_t now_s, char *msg, size_t msg_len);
/* Apply a verified event once (store_billing_apply): the user by id or email (user_ref), the
 * new plan. *duplicate = 1 when the event id was seen. user_id gets the user's id. NOTFOUND,
 * INVAL (unknown plan). */
int app_billing_apply(struct app *a, const char *event_id, const char *type,
                      const char *user_ref, const char *plan, int *duplicate,
                      char user_id[STORE_ID_LEN + 1]);

/* ---- sessions and the read cache (app/sessions.c, app/cache.c; docs/internals/cache.md) ------- */

/* Spend refresh token old_hash and issue new_hash in its family: store_refresh_rotate_grace's
 * contract and codes (CONFLICT: reuse, the family is revoked). With a redis:// queue a replay
 * is detected in Redis by every instance before the store is written, and two concurrent
 * refreshes with one token resolve to one rotation whose pair both get (same client, within
 * grace_ms); without Redis, or when it fails, the store alone decides, as it always did. */
int app_refresh_rotate(struct app *a, const char *old_hash, const char *new_hash,
                       int64_t new_expires_at, int64_t grace_ms, struct store_refresh *out);

/* Rendered reads cached per user (cfg.cache_ttl_s > 0 with a redis:// queue). name says which
 * read with which parameters (1..QUEUE_CACHE_NAME_MAX bytes, no secret). app_cache_get: 0 = a
 * hit (*data malloc'd, NUL-terminated, free it); NOTFOUND = read the store, render, then
 * app_cache_put the bytes with the ticket (it carries the generation read before the store, so
 * what was rendered before a write is never served after it). Redis errors count as misses
 * (logged at most once a minute); entries over APP_CACHE_ENTRY_MAX are not kept.
 * app_cache_invalidate: after every write that changes what the user reads (workouts, videos,
 * analyses, plan), before answering: one INCR-like bump seen by every instance. */
#define APP_CACHE_ENTRY_MAX (256u * 1024)
#define APP_CACHE_NAME_MAX 256 /* QUEUE_CACHE_NAME_MAX */
struct app_cache_ticket {
    uint64_t gen;
    int valid; /* 0: do not put (cache off, Redis failed) */
};
int app_cache_get(struct app *a, const char *user_id, const char *name, char **data, size_t *len,
                  struct app_cache_ticket *t);
void app_cache_put(struct app *a, const char *user_id, const char *name,
                   const struct app_cache_ticket *t, const char *data, size_t len);
void app_cache_invalidate(struct app *a, const char *user_id);

/* ---- what the adapters share ----------------------------------------------------------------- */

/* Blob key of a video's derived object: which = "overlay" (videos/<id>/overlay.mp4), "best",
 * "worst" (thumbs/best.jpg, thumbs/worst.jpg), "report" (report.json), "landmarks"
 * (landmarks.json). Fills buf and returns it; NULL when the id is malformed, `which` unknown or
 * buf too small. */
const char *app_video_key(const char *video_id, const char *which, char *buf, size_t len);

/* The exercises RepRight knows, from the analysis registry (analysis_exercises), in registry
 * order; NULL-terminated; *n (may be NULL) gets the count. */
const char *const *app_exercises(size_t *n);
int app_exercise_known(const char *name);
/* The same list as an array for static tables (a schema's enum): filled by the first call of
 * app_exercises(), which app_open() and api_routes() make before any request. */
extern const char *app_exercise_names[];

#endif
