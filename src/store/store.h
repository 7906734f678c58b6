/*
 * store.h - RepRight's persistence layer: typed operations on the data model behind a vtable.
 *
 * Callers never write SQL: they call the store_*() functions below, which validate their
 * arguments once and dispatch through `struct store_ops` to a backend: SQLite (src/store/sqlite.c,
 * URL "sqlite:PATH") or PostgreSQL (src/store/postgres.c, URL "postgres://..." or
 * "postgresql://...", libpq's syntax), with the same semantics. See docs/internals/store.md for
 * the schema, migrations and the queue semantics.
 *
 * Records are plain structs with fixed-size text fields (bounds below); inputs longer than a
 * bound are refused with RR_ERR_TOOBIG, never truncated. Ids are 128-bit random values rendered
 * as 32 lowercase hex characters (store_new_id), never sequential; the ids of workouts, sets and
 * reps begin with their creation time in ms (48 bits) and end with 80 random bits, so one
 * batch's rows share index pages (store.md "Ids"). Times are int64 milliseconds
 * since the Unix epoch, read from the store's clock (store_set_clock, for tests).
 *
 * Ownership: store_open() returns a heap object the caller frees with store_close(). Output
 * records are caller-owned storage filled by the store. List functions return a malloc'd array
 * the caller releases with free(); *n is its length (the array is NULL when *n == 0).
 * Owner scoping: functions taking `user_id` only see that user's rows; another user's id answers
 * RR_ERR_NOTFOUND exactly like an unknown id (no existence leak). Where documented, user_id NULL
 * means "system access" (workers, garbage collection): no owner filter.
 *
 * Errors (negative RR_ERR_*): INVAL (bad argument, malformed cursor), TOOBIG (a text field over
 * its bound), NOTFOUND (no such row, malformed id), CONFLICT (unique key taken, lease not yours,
 * upload offset mismatch, refresh-token reuse), UNAUTHENTICATED (refresh token expired/revoked),
 * BUSY (database locked past busy_timeout), UNSUPPORTED (unknown URL scheme, database schema newer
 * than this binary), CORRUPT (integrity check failed), IO / NOMEM / INTERNAL (backend failure),
 * TIMEOUT (a write's batch did not commit within 30 s: its outcome is unknown).
 * Functions with `msg` put a one-line lowercase reason there.
 *
 * Thread-safety: one struct store is shared by all threads of a process. Every store_*()
 * function except store_close() and store_set_clock() may be called concurrently from any thread
 * (the SQLite backend keeps a small pool of connections guarded by a mutex, and runs this
 * process's writers in turn on one write connection, committing the writes of concurrent callers
 * together: one fsync per batch, each caller returns after its batch's COMMIT, so a write that
 * returned 0 is durable; other processes are handled by BEGIN IMMEDIATE and busy_timeout; the
 * PostgreSQL backend keeps a bounded pool of connections, each call holding one for its
 * transaction, with synchronous_commit on). store_set_clock() must be called before the store is
 * shared; store_close()
 * after every other call has returned. store_new_id() is thread-safe. After fork() the child
 * must not use the parent's store: it opens its own.
 */
#ifndef RR_STORE_STORE_H
#define RR_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_ID_LEN 32          /* hex characters in an id */
#define STORE_EMAIL_MAX 254      /* RFC 5321 path limit */
#define STORE_HASH_MAX 255       /* password hash string, token hash */
#define STORE_ROLE_MAX 15
#define STORE_NAME_MAX 31        /* job kind, stage, video status, exercise */
#define STORE_OWNER_MAX 63       /* job lease owner (worker id) */
#define STORE_KEY_MAX 255        /* blob key, rate-counter key */
#define STORE_CLIENT_ID_MAX 64   /* device-sync idempotency key, in characters */
#define STORE_CLIENT_ID_BYTES (4 * STORE_CLIENT_ID_MAX) /* the same in UTF-8 bytes */
/* device-sync session key: "session/<exercise>/<session id>", bytes */
#define STORE_SESSION_KEY_MAX (STORE_CLIENT_ID_BYTES + STORE_NAME_MAX + 16)
#define STORE_PAYLOAD_MAX 4096   /* job payload JSON */
#define STORE_ERROR_MAX 511      /* job error text (longer text is cut, this one field only) */
#define STORE_METRICS_MAX 1024   /* rep metrics JSON */
#define STORE_FAULTS_MAX 512     /* rep faults JSON */
#define STORE_METADATA_MAX 4096  /* tus Upload-Metadata */
#define STORE_WORKOUT_NAME_MAX 255 /* a workout's name, UTF-8 bytes (the API: 80 chars) */
#define STORE_CURSOR_MAX 64      /* opaque pagination cursor, NUL included */
#define STORE_PAGE_MAX 100       /* largest page a list call returns */
#define STORE_SETS_MAX 1000      /* sets per workout */
#define STORE_REPS_MAX 5000      /* reps per workout */
#define STORE_ANALYTICS_MAX 5000 /* rows per analytics range query */
#define STORE_PLAN_MAX 15        /* plan id: "free", "pro", "gym" */
#define STORE_ORG_MAX 63         /* organisation id (text) */
#define STORE_METRIC_MAX 31      /* usage metric name */
#define STORE_FLAG_MAX 63        /* feature flag name */
#define STORE_MONTH_LEN 7        /* "YYYY-MM" */
#define STORE_PLANS_MAX 32       /* rows a plan list returns at most */
#define STORE_FLAGS_MAX 256      /* rows a flag list returns at most */
#define STORE_USAGE_ROWS_MAX 10000 /* rows a usage list returns at most */
#define STORE_JOB_BACKOFF_BASE_MS 2000
#define STORE_JOB_BACKOFF_CAP_MS (3600 * 1000)
#define STORE_JOB_ATTEMPTS_MAX 100

struct store;

struct store_user {
    char id[STORE_ID_LEN + 1];
    char email[STORE_EMAIL_MAX + 1];
    char password_hash[STORE_HASH_MAX + 1];
    char role[STORE_ROLE_MAX + 1];
    int64_t created_at;
    char plan[STORE_PLAN_MAX + 1];  /* the user's plan ("free" unless changed) */
    char org_id[STORE_ORG_MAX + 1]; /* the organisation the user belongs to, "" = none */
};

/* A plan: its limits are data (the plans table), -1 = unlimited. */
struct store_plan {
    char id[STORE_PLAN_MAX + 1];
    char name[32];             /* display name: "Free", "Pro", "Gym" */
    int rank;                  /* higher offers more; the next rank is "the plan above" */
    int64_t uploads_per_month; /* videos uploaded per calendar month (UTC) */
    int64_t max_video_s;       /* longest video analysed, seconds */
    int64_t history_days;      /* workouts older than this are hidden */
    bool heavy_model;          /* the heavy pose model may be asked for */
    bool overlay_video;        /* the overlay video may be asked for */
    int64_t price_cents;       /* per month */
};

/* A usage counter: one metric of one subject (a user or an organisation) in one month. */
struct store_usage_row {
    char subject_kind[8];               /* "user" or "org" */
    char subject_id[STORE_ORG_MAX + 1]; /* user id or organisation id */
    char email[STORE_EMAIL_MAX + 1];    /* the user's ("" for an organisation) */
    char plan[STORE_PLAN_MAX + 1];      /* the subject's plan now */
    char month[STORE_MONTH_LEN + 1];
    char metric[STORE_METRIC_MAX + 1];
    int64_t count;
};

/* The outcome of a metered action (store_video_create_metered). */
struct store_meter {
    int64_t used;  /* the user's count of the metric this month before the action */
    int64_t limit; /* the plan's limit for it (-1 = unlimited) */
    char plan[STORE_PLAN_MAX + 1];
};

/* A feature flag with the rules that apply to one user: -1 = no rule, 0 = off, 1 = on. */
struct store_flag {
    char name[STORE_FLAG_MAX + 1];
    char description[256];
    int rollout_percent; /* 0..100 */
    int user_rule, org_rule, plan_rule;
};

/* One refresh token; the token itself is never stored, only its hash (computed by auth/). */
struct store_refresh {
    char id[STORE_ID_LEN + 1];
    char user_id[STORE_ID_LEN + 1];
    char family_id[STORE_ID_LEN + 1];
    char token_hash[STORE_HASH_MAX + 1];
    int64_t created_at, expires_at;
    int64_t used_at, revoked_at; /* 0 = not used / not revoked */
};

struct store_video {
    char id[STORE_ID_LEN + 1]; /* empty on create = generate */
    char user_id[STORE_ID_LEN + 1];
    char blob_key[STORE_KEY_MAX + 1];
    char sha256[65];
    int64_t size;
    int64_t duration_ms;
    char status[STORE_NAME_MAX + 1]; /* e.g. "uploaded", "processing", "done", "failed" */
    int64_t created_at;
    char error[STORE_ERROR_MAX + 1]; /* why it failed (store_video_fail); "" otherwise */
};

enum store_job_state { STORE_JOB_QUEUED, STORE_JOB_RUNNING, STORE_JOB_DONE, STORE_JOB_DEAD };

struct store_job {
    char id[STORE_ID_LEN + 1];
    char user_id[STORE_ID_LEN + 1]; /* empty for system jobs */
    char kind[STORE_NAME_MAX + 1];
    char video_id[STORE_ID_LEN + 1]; /* the video the job is about (indexed); "" when none */
    char payload[STORE_PAYLOAD_MAX + 1];
    enum store_job_state state;
    int attempts, max_attempts;
    int64_t run_after;
    int64_t lease_until; /* 0 when not leased */
    char lease_owner[STORE_OWNER_MAX + 1];
    double progress; /* 0..1 */
    char stage[STORE_NAME_MAX + 1];
    char error[STORE_ERROR_MAX + 1];
    int64_t created_at, updated_at;
};

struct store_job_counts {
    int64_t queued, running, done, dead;
};

struct store_workout {
    char id[STORE_ID_LEN + 1]; /* filled by store_workout_put */
    char user_id[STORE_ID_LEN + 1];
    char video_id[STORE_ID_LEN + 1]; /* empty when not from a video */
    char exercise[STORE_NAME_MAX + 1];
    int64_t started_at;
    int64_t duration_ms;
    double score;
    int64_t created_at;
    char name[STORE_WORKOUT_NAME_MAX + 1]; /* the user's name for it, "" = none */
    /* Filled by get, list and put (ignored as input): reps over the workout's sets, and the
     * stored reps by verdict (rep metrics "verdict"; a rep without one counts in none of the
     * three). Kept on the workout row (migration "workout_counts"). */
    int reps, reps_good, reps_bad, reps_unjudged;
};

struct store_set {
    char id[STORE_ID_LEN + 1]; /* filled by store_workout_put */
    char workout_id[STORE_ID_LEN + 1];
    int idx; /* position in the workout */
    char exercise[STORE_NAME_MAX + 1];
    int reps;
    double score;
    double load_kg;
    int64_t hold_ms; /* plank */
};

struct store_rep {
    char id[STORE_ID_LEN + 1];     /* filled by store_workout_put */
    char set_id[STORE_ID_LEN + 1]; /* filled by store_workout_put / lists */
    int set_idx;                   /* input: index into the sets array passed to put */
    int idx;                       /* position in the set */
    int64_t t_start_ms, t_end_ms;
    char metrics[STORE_METRICS_MAX + 1]; /* JSON object text */
    char faults[STORE_FAULTS_MAX + 1];   /* JSON array text */
    double score;
};

struct store_workout_filter {
    const char *exercise; /* NULL = any */
    int64_t from, to;     /* started_at range [from, to); 0 = open */
};

struct store_analytics_day {
    char day[11]; /* YYYY-MM-DD */
    char exercise[STORE_NAME_MAX + 1];
    int64_t sessions, reps;
    double volume;
    double mean_score; /* 0 when no scored reps */
    double score_sum;  /* the mean's parts, so callers can combine days into weeks/months */
    int64_t score_n;
};

/* tus upload state (src/blob/tus.c). The bytes of an unfinished upload live in the upload
 * directory; this row is the truth about them: offset counts the bytes that were durable on disk
 * when it was recorded (0..length), and complete says they were moved to blob_key, whose SHA-256
 * is sha256. */
struct store_upload {
    char id[STORE_ID_LEN + 1]; /* empty on create = generate */
    char user_id[STORE_ID_LEN + 1];
    char blob_key[STORE_KEY_MAX + 1]; /* where the finished bytes go */
    int64_t length, offset;
    bool complete;
    char sha256[65]; /* lowercase hex when complete, else "" */
    char metadata[STORE_METADATA_MAX + 1];
    int64_t created_at, expires_at;
};

/* ---- lifecycle ---------------------------------------------------------------------------- */

/* Open the backend named by url ("sqlite:PATH", the file is created if absent; or
 * "postgres://USER:PASSWORD@HOST:PORT/DB", the database must exist and is connected to at once:
 * IO with a one-line reason, password masked, when it cannot be). Does not migrate: call
 * store_migrate() next. UNSUPPORTED for an unknown scheme. */
int store_open(const char *url, struct store **out, char *msg, size_t msg_len);
/* Close and free; NULL is a no-op. */
void store_close(struct store *s);
/* "sqlite" or "postgres" */
const char *store_backend_name(const struct store *s);
/* Replace the clock (milliseconds); NULL restores the real clock. Not thread-safe (see top). */
void store_set_clock(struct store *s, int64_t (*now_ms)(void *ctx), void *ctx);
int64_t store_now(const struct store *s);

/* 32 lowercase hex characters from 128 random bits (libsodium) + NUL. Never fails. */
void store_new_id(char out[STORE_ID_LEN + 1]);

/* Apply pending migrations, each in its own BEGIN IMMEDIATE transaction, safe when several
 * processes start together. *applied (may be NULL) = how many ran. UNSUPPORTED when the
 * database's version is newer than this binary knows. */
int store_migrate(struct store *s, int *applied, char *msg, size_t msg_len);
/* Highest applied migration (0 for an empty database). */
int store_schema_version(struct store *s, int *version);
/* The highest migration this binary carries. */
int store_schema_known(void);
/* Full integrity check; 0 when healthy, CORRUPT with the first problem in msg. */
int store_check(struct store *s, char *msg, size_t msg_len);

/* Write-path counters since store_open (for /metrics and tests). The SQLite backend commits
 * the writes of concurrent callers together (group commit), so commits <= writes. */
struct store_stats {
    int64_t writes;    /* write transactions committed */
    int64_t commits;   /* COMMITs (fsyncs) that carried them */
    int64_t batch_max; /* most writes in one commit */
    int64_t queued;    /* writers waiting for the write connection right now */
};
/* UNSUPPORTED when the backend keeps no counters. */
int store_stats(struct store *s, struct store_stats *out);

/* ---- users -------------------------------------------------------------------------------- */

/* Email unique case-insensitively (CONFLICT); role e.g. "user"/"admin". out may be NULL. */
int store_user_create(struct store *s, const char *email, const char *password_hash,
                      const char *role, struct store_user *out);
int store_user_get(struct store *s, const char *id, struct store_user *out);
int store_user_get_by_email(struct store *s, const char *email, struct store_user *out);
int store_user_set_password(struct store *s, const char *id, const char *password_hash);
/* Deletes the user and everything they own (cascade) and the user's monthly usage counters, in
 * one transaction. Blob objects are the caller's (app_account_delete). */
int store_user_delete(struct store *s, const char *id);

/* Set the user's plan (an id of store_plan_list). NOTFOUND: no such user; INVAL: no such plan. */
int store_user_set_plan(struct store *s, const char *user_id, const char *plan);
/* Set the user's organisation ("" or NULL clears it). NOTFOUND: no such user. */
int store_user_set_org(struct store *s, const char *user_id, const char *org_id);

/* ---- plans, usage, flags, billing (migration "plans") -------------------------------------- */

/* Every plan, by rank. */
int store_plan_list(struct store *s, struct store_plan **items, size_t *n);
int store_plan_get(struct store *s, const char *id, struct store_plan *out);
/* The plan of an organisation (org_plans); NOTFOUND when it has none. */
int store_org_plan(struct store *s, const char *org_id, struct store_plan *out);

/* "YYYY-MM" of a time (ms since the epoch, UTC). */
void store_month_of(int64_t t_ms, char out[STORE_MONTH_LEN + 1]);

/* store_video_create and metering in ONE transaction: the video row is inserted (CONFLICT when
 * its id exists: nothing is counted, so finishing an upload again is free), then the user's
 * count of `metric` this month is read and, when the user's plan limits it
 * (plans.uploads_per_month for "uploads") and the count has reached the limit, everything is
 * rolled back and RR_ERR_QUOTA returned; else the monthly counters of the user (and of org_id,
 * NULL or "": the user's organisation, if any) grow by one and a usage event is written. m (may be NULL) gets the count
 * before the action, the limit and the plan. Concurrent calls are serialised by the write lock:
 * N callers at limit - 1 -> exactly one succeeds. */
int store_video_create_metered(struct store *s, struct store_video *v, const char *metric,
                               const char *org_id, struct store_meter *m);
/* Meter an action that has no quota (e.g. "analysis_seconds"): counters + event, one
 * transaction. quantity >= 0. */
int store_usage_add(struct store *s, const char *user_id, const char *org_id, const char *metric,
                    int64_t quantity, const char *ref_id);
/* The usage counters of a month ("YYYY-MM"): of one user (user_id) or of everyone (NULL, users
 * then organisations), ordered by subject then metric. */
int store_usage_list(struct store *s, const char *month, const char *user_id,
                     struct store_usage_row **items, size_t *n);

/* Every flag with the rules that apply to this user, organisation and plan (each may be NULL or
 * "": no rule of that scope). By name. */
int store_flag_list(struct store *s, const char *user_id, const char *org_id, const char *plan,
                    struct store_flag **items, size_t *n);
/* Create or update a flag (description NULL keeps it; percent 0..100). */
int store_flag_set(struct store *s, const char *name, const char *description, int percent);
/* A rule: scope "plan", "org" or "user"; enabled 0/1, or -1 to delete the rule. NOTFOUND:
 * unknown flag (or, deleting, no such rule). */
int store_flag_rule(struct store *s, const char *name, const char *scope, const char *subject,
                    int enabled);

/* A billing provider's event, applied once: in one transaction, record event_id (seen before:
 * *duplicate = 1 and nothing changes) and set the user's plan. NOTFOUND: unknown user (nothing
 * recorded, so a retry after the account exists works); INVAL: unknown plan. */
int store_billing_apply(struct store *s, const char *event_id, const char *type,
                        const char *user_id, const char *plan, int *duplicate);

/* ---- refresh tokens (RFC 9700 rotation) --------------------------------------------------- */

/* New token in family_id, or a new family when family_id is NULL. out may be NULL. */
int store_refresh_create(struct store *s, const char *user_id, const char *family_id,
                         const char *token_hash, int64_t expires_at, struct store_refresh *out);
int store_refresh_get(struct store *s, const char *token_hash, struct store_refresh *out);
/* Atomically: spend old_hash and issue new_hash in the same family. NOTFOUND unknown token;
 * UNAUTHENTICATED expired or revoked; CONFLICT when old_hash was already used - reuse, so the
 * whole family is revoked (and that revocation is committed) before returning. */
int store_refresh_rotate(struct store *s, const char *old_hash, const char *new_hash,
                         int64_t new_expires_at, struct store_refresh *out_new);
/* The same, except for a reuse within grace_ms of the rotation that returns the very token it
 * would issue: when new_hash is already old_hash's successor (same family, unused, unrevoked,
 * unexpired), out_new gets it and 0 comes back, nothing changes. The caller derives new_hash
 * from the old token and the client, so only that client gets the pair again (two tabs
 * refreshing at once) and any other reuse still revokes the family. */
int store_refresh_rotate_grace(struct store *s, const char *old_hash, const char *new_hash,
                               int64_t new_expires_at, int64_t grace_ms,
                               struct store_refresh *out_new);
int store_refresh_revoke_family(struct store *s, const char *family_id);
/* Logout everywhere / password change. */
int store_refresh_revoke_user(struct store *s, const char *user_id);

/* ---- videos ------------------------------------------------------------------------------- */

/* Fills v->id (if empty) and v->created_at. */
int store_video_create(struct store *s, struct store_video *v);
/* user_id NULL = system access. */
int store_video_get(struct store *s, const char *user_id, const char *id, struct store_video *out);
/* duration_ms < 0 keeps the current value; clears the error. System access. */
int store_video_set_status(struct store *s, const char *id, const char *status,
                           int64_t duration_ms);
/* status "failed" with a reason (cut to STORE_ERROR_MAX bytes, never refused). System access. */
int store_video_fail(struct store *s, const char *id, const char *error);
int store_video_delete(struct store *s, const char *user_id, const char *id);
/* Newest first. cursor NULL or "" = first page; limit 1..STORE_PAGE_MAX; next_cursor "" at end. */
int store_video_list(struct store *s, const char *user_id, const char *cursor, int limit,
                     struct store_video **items, size_t *n, char next_cursor[STORE_CURSOR_MAX]);

/* ---- jobs: the durable queue's storage ----------------------------------------------------- */

const char *store_job_state_name(enum store_job_state st);
/* payload: JSON text ("{}" when NULL). max_attempts 1..STORE_JOB_ATTEMPTS_MAX. Runnable after
 * delay_ms. user_id may be NULL. id_out may be NULL. */
int store_job_enqueue(struct store *s, const char *kind, const char *user_id,
                      const char *payload, int max_attempts, int64_t delay_ms,
                      char id_out[STORE_ID_LEN + 1]);
/* The same, linked to a video (jobs.video_id, indexed; video_id NULL or "" = none): deleting the
 * video deletes its jobs, store_job_find_for_video finds them. NOTFOUND when the video does not
 * exist. */
int store_job_enqueue_video(struct store *s, const char *kind, const char *user_id,
                            const char *video_id, const char *payload, int max_attempts,
                            int64_t delay_ms, char id_out[STORE_ID_LEN + 1]);
/* The newest job of `kind` linked to video_id (one indexed lookup). user_id NULL = system
 * access. NOTFOUND when there is none. */
int store_job_find_for_video(struct store *s, const char *user_id, const char *video_id,
                             const char *kind, struct store_job *out);
/* Atomically take the oldest runnable job: queued with run_after <= now, or running with an
 * expired lease. Sets lease_owner = owner, lease_until = now + lease_ms, attempts += 1.
 * Expired-lease jobs that already used all attempts are moved to dead instead. NOTFOUND when
 * nothing is runnable. */
int store_job_claim(struct store *s, const char *owner, int64_t lease_ms, struct store_job *out);
#define STORE_JOB_LANE_MAX 47 /* a system job's owner key, e.g. "hook:<org id>" */
/* The same, fair across job owners (jobs.user_id; a system job's owner is its lane: a webhook
 * delivery's is its org, "hook:<org id>", the other system jobs share one owner) and capped:
 * owners already holding per_user_max live leases are skipped (<= 0: no cap); among the rest
 * the owner with the fewest live leases wins, then the one served least recently (round
 * robin), then that owner's oldest runnable job. store_job_claim is this without a cap.
 * NOTFOUND when nothing is runnable (or every runnable job's owner is at its cap). */
int store_job_claim_capped(struct store *s, const char *owner, int64_t lease_ms, int per_user_max,
                           struct store_job *out);
/* Dead-letter (error "lease expired on the last attempt") up to max running jobs whose lease
 * expired after their last allowed attempt, in one transaction, and return their ids so the
 * caller can finish their bookkeeping (store_job_claim does the same silently). *n = 0.. max. */
int store_job_reap_expired(struct store *s, char (*ids)[STORE_ID_LEN + 1], size_t max, size_t *n);
/* Extend the lease to now + lease_ms; CONFLICT unless owner still holds the running job. */
int store_job_heartbeat(struct store *s, const char *id, const char *owner, int64_t lease_ms);
/* progress 0..1, stage may be NULL (unchanged). Owner only (CONFLICT). */
int store_job_progress(struct store *s, const char *id, const char *owner, double progress,
                       const char *stage);
/* Owner only (CONFLICT): state done, lease cleared, progress 1. */
int store_job_complete(struct store *s, const char *id, const char *owner);
/* Owner only (CONFLICT): error saved; dead when permanent or attempts >= max_attempts, else
 * queued again with run_after = now + min(BASE * 2^(attempts-1), CAP). *state_out may be NULL. */
int store_job_fail(struct store *s, const char *id, const char *owner, const char *error,
                   bool permanent, enum store_job_state *state_out);
/* Owner only (CONFLICT): give the job back without spending an attempt (graceful shutdown). */
int store_job_release(struct store *s, const char *id, const char *owner);
/* user_id NULL = system access. */
int store_job_get(struct store *s, const char *user_id, const char *id, struct store_job *out);
int store_job_list(struct store *s, const char *user_id, const char *cursor, int limit,
                   struct store_job **items, size_t *n, char next_cursor[STORE_CURSOR_MAX]);
int store_job_counts(struct store *s, struct store_job_counts *out);

/* ---- workouts, sets, reps ------------------------------------------------------------------ */

/* Derived numbers (migration "workout_counts", docs/internals/store.md): every backend's
 * workout_put, workout_put_session and workout_delete keep, IN THE SAME TRANSACTION as the
 * workout rows,
 *  - on the workout row: reps (sum of sets.reps) and the rep rows by verdict, which get and list
 *    read back (no per-row aggregation over the children);
 *  - in analytics_daily: the workout's share of its (user, UTC day of started_at, exercise) row
 *    (sessions +1, reps, volume, score_sum, score_n; nothing for a workout with no rep, hold or
 *    rep row), added on put, taken back on delete and on the replace of a video's workout, moved
 *    when an appended set changes the session's numbers or start day. A row left without a
 *    session is deleted.
 * The numbers come from store__workout_stats() (store_internal.h), computed before the write
 * lock; the definitions are analytics' and analytics_recompute() (a full rebuild of one row from
 * the stored workouts) is the test oracle and the repair. A put answered CONFLICT (client id
 * seen) writes and counts nothing. */

/* Save a whole workout in one transaction. Fills ids (workout, sets, reps) and created_at.
 * Results are upserted per video: a workout with the same non-empty video_id is replaced (its
 * name is kept when w->name is empty).
 * client_id (device sync, may be NULL): when (user, client_id) was seen before nothing is
 * written, w->id is set to the earlier workout and CONFLICT is returned. reps[i].set_idx must
 * index sets[]. */
int store_workout_put(struct store *s, struct store_workout *w, struct store_set *sets,
                      size_t nsets, struct store_rep *reps, size_t nreps, const char *client_id);
/* Device sync of one set of a training session: store_workout_put with one set, except that
 * when (user, session_key) was saved before and that workout still exists, the set and its reps
 * are appended to it (next set idx; started_at, duration_ms and the rep-weighted score follow)
 * and *appended is 1. client_id keeps its meaning (CONFLICT: w->id is the earlier workout).
 * session_key (1..STORE_SESSION_KEY_MAX chars) lives beside the client ids. */
int store_workout_put_session(struct store *s, struct store_workout *w, struct store_set *set,
                              struct store_rep *reps, size_t nreps, const char *client_id,
                              const char *session_key, int *appended);
int store_workout_get(struct store *s, const char *user_id, const char *id,
                      struct store_workout *out);
/* System access: the workout saved for a video. */
int store_workout_get_by_video(struct store *s, const char *video_id, struct store_workout *out);
int store_workout_delete(struct store *s, const char *user_id, const char *id);
/* Set the workout's name ("" clears it). TOOBIG over STORE_WORKOUT_NAME_MAX bytes; NOTFOUND for
 * an unknown or foreign id. A re-run of a video's analysis keeps the name (store_workout_put). */
int store_workout_rename(struct store *s, const char *user_id, const char *id, const char *name);
/* Newest first (created_at, id); filter may be NULL. */
int store_workout_list(struct store *s, const char *user_id,
                       const struct store_workout_filter *filter, const char *cursor, int limit,
                       struct store_workout **items, size_t *n,
                       char next_cursor[STORE_CURSOR_MAX]);
/* All sets of a workout (by idx), all reps of a workout (by set idx, rep idx). */
int store_workout_sets(struct store *s, const char *user_id, const char *workout_id,
                       struct store_set **items, size_t *n);
int store_workout_reps(struct store *s, const char *user_id, const char *workout_id,
                       struct store_rep **items, size_t *n);

/* ---- analytics ----------------------------------------------------------------------------- */

/* Days in [from_day, to_day] (inclusive, YYYY-MM-DD), by day then exercise; exercise NULL = all.
 * At most STORE_ANALYTICS_MAX rows (the earliest ones); query shorter ranges for more. */
int store_analytics_range(struct store *s, const char *user_id, const char *from_day,
                          const char *to_day, const char *exercise,
                          struct store_analytics_day **items, size_t *n);
/* Replace the (user, day, exercise) row with these totals (a recomputation: analytics' repair,
 * the workout writes keep the rows themselves); sessions == 0 deletes the row. */
int store_analytics_set(struct store *s, const char *user_id, const char *day,
                        const char *exercise, int64_t sessions, int64_t reps, double volume,
                        double score_sum, int64_t score_n);
/* Earliest and latest day that has an analytics row for the user; NOTFOUND when none. */
int store_analytics_span(struct store *s, const char *user_id, char first_day[11],
                         char last_day[11]);

/* ---- uploads (tus) -------------------------------------------------------------------------- */

/* Fills u->id (if empty), offset = 0, complete = false, sha256 = "", created_at. length >= 0,
 * blob_key non-empty, expires_at absolute. CONFLICT when the id is taken. */
int store_upload_create(struct store *s, struct store_upload *u);
/* user_id NULL = system access. */
int store_upload_get(struct store *s, const char *user_id, const char *id,
                     struct store_upload *out);
/* Compare-and-set of the durable offset (system access): CONFLICT when the stored offset is no
 * longer `expected` (another writer moved it) or the upload is complete; INVAL unless
 * 0 <= offset <= length. Moving backwards is allowed (bytes found missing on disk). */
int store_upload_set_offset(struct store *s, const char *id, int64_t expected, int64_t offset);
/* Record that the bytes were moved to blob_key with this SHA-256 (system access). CONFLICT
 * unless offset == length, or when already complete with another hash; completing again with
 * the same hash succeeds (finishing is idempotent). */
int store_upload_complete(struct store *s, const char *id, const char *sha256);
/* user_id NULL = system access. */
int store_upload_delete(struct store *s, const char *user_id, const char *id);
/* Up to max ids of uploads with expires_at <= now, oldest first (garbage collection). */
int store_upload_expired(struct store *s, char (*ids)[STORE_ID_LEN + 1], size_t max, size_t *n);
/* Bytes the user stores, for quotas: the sizes of their videos plus the declared lengths of
 * their unfinished, unexpired uploads (space they reserved). */
int store_user_usage(struct store *s, const char *user_id, int64_t *bytes);

/* ---- rate counters (login throttling, per-IP limits) -------------------------------------- */

/* Delete counters whose window started before `before`, and rate-limit states
 * (store_ratelimit_apply) last written before it; *deleted (may be NULL) counts both. */
int store_rate_purge(struct store *s, int64_t before, int64_t *deleted);

/* ---- rate-limit states (sliding window + back-off; the arithmetic is auth/ratelimit.h) ------- */

/* The stored state of one rate-limit key: the same six integers as struct ratelimit_state (the
 * store sits below the auth module, so callers copy field by field). All zero = never seen. */
struct store_rate_state {
    int64_t window_start;
    uint32_t prev, cur, strikes;
    int64_t blocked_until;
    int64_t last_hit;
};
#define STORE_RATE_KEYS_MAX 4

/* Called by store_ratelimit_apply inside its write transaction with the current states of the
 * n keys (in the order given). It may change them (pure arithmetic, no I/O, no store calls);
 * return 0 to keep the changes, a negative RR_ERR_* to roll back and fail with it. */
typedef int (*store_rate_fn)(void *ctx, struct store_rate_state *states, size_t n);

/* Read-modify-write of 1..STORE_RATE_KEYS_MAX rate-limit states in one transaction, so every
 * process sharing the database sees one consistent sequence of updates. Changed states are
 * written (stamped with the store clock for purging); a state changed to all zero is deleted.
 * Errors: INVAL (bad key, n out of range, fn NULL), whatever fn returns, store errors. */
int store_ratelimit_apply(struct store *s, const char *const *keys, size_t n, store_rate_fn fn,
                          void *ctx);

/* ---- partners: organisations, API keys, invites, consent (migration "partners") ------------ */

#define STORE_ORG_NAME_MAX 100  /* an organisation's name, UTF-8 bytes */
#define STORE_KEY_NAME_MAX 100  /* an API key's label */
#define STORE_PREFIX_MAX 15     /* an API key's public prefix */
#define STORE_ORGS_MAX 1000     /* rows of the unpaged org / key / invite lists */

struct store_org {
    char id[STORE_ID_LEN + 1]; /* filled by store_org_create */
    char name[STORE_ORG_NAME_MAX + 1];
    int64_t created_at;
};

/* An API key of an org. The key itself is never stored: key_hash is the caller's keyed hash of
 * it (auth/token.h), prefix its public part (unique, the lookup key). scopes and rate_per_min are
 * opaque integers to the store (app/partners.h gives them meaning). 0 = never/none for the
 * times. */
struct store_apikey {
    char id[STORE_ID_LEN + 1]; /* filled by store_apikey_create */
    char org_id[STORE_ID_LEN + 1];
    char name[STORE_KEY_NAME_MAX + 1];
    char prefix[STORE_PREFIX_MAX + 1];
    char key_hash[STORE_HASH_MAX + 1];
    unsigned scopes;
    int rate_per_min; /* 0 = the default policy */
    int64_t created_at, expires_at, revoked_at, last_used_at;
};

/* A one-time invite code of an org (only its hash is stored). */
struct store_invite {
    char id[STORE_ID_LEN + 1]; /* filled by store_invite_create */
    char org_id[STORE_ID_LEN + 1];
    char code_hash[STORE_HASH_MAX + 1];
    int64_t created_at, expires_at, used_at; /* used_at 0 = unused */
    char used_by[STORE_ID_LEN + 1];          /* "" when unused or the user is gone */
};

/* A member's consent: user_id lets org_id see `shares` (bits, app/partners.h). Lists fill the
 * member's email (for the org) or the org's name (for the member). */
struct store_org_member {
    char org_id[STORE_ID_LEN + 1];
    char user_id[STORE_ID_LEN + 1];
    char email[STORE_EMAIL_MAX + 1];
    char org_name[STORE_ORG_NAME_MAX + 1];
    unsigned shares;
    int64_t created_at;
};

/* Org-level totals per exercise over the members who share analytics (bit share_mask). */
struct store_org_aggregate {
    char exercise[STORE_NAME_MAX + 1];
    int64_t members, sessions, reps;
    double volume, score_sum;
    int64_t score_n;
};

/* Name unique case-insensitively (CONFLICT). */
int store_org_create(struct store *s, const char *name, struct store_org *out);
int store_org_get(struct store *s, const char *id, struct store_org *out);
/* All orgs (user_id NULL) or those user_id administers, oldest first, at most STORE_ORGS_MAX. */
int store_org_list(struct store *s, const char *user_id, struct store_org **items, size_t *n);
/* Make user_id an admin of org_id (the web console). Idempotent. NOTFOUND for either id. */
int store_org_admin_add(struct store *s, const char *org_id, const char *user_id);
/* 0 when user_id administers org_id, NOTFOUND otherwise (also for malformed ids). */
int store_org_admin_check(struct store *s, const char *org_id, const char *user_id);

/* Fills k->id and k->created_at. CONFLICT when the prefix is taken, NOTFOUND unknown org. */
int store_apikey_create(struct store *s, struct store_apikey *k);
/* The key with this public prefix (revoked and expired ones too: the caller decides). */
int store_apikey_get_by_prefix(struct store *s, const char *prefix, struct store_apikey *out);
/* The org's keys, newest first (key_hash is not filled). */
int store_apikey_list(struct store *s, const char *org_id, struct store_apikey **items,
                      size_t *n);
/* Revoke now (idempotent: an earlier revocation time is kept). org_id NULL = any org (the
 * admin CLI); another org's key is NOTFOUND. */
int store_apikey_revoke(struct store *s, const char *org_id, const char *id);
/* last_used_at = now, only when it is older than min_gap_ms (so a busy key costs one write per
 * gap, not per request). */
int store_apikey_touch(struct store *s, const char *id, int64_t min_gap_ms);

/* Fills inv->id and inv->created_at; expires_at absolute, code_hash unique (CONFLICT). */
int store_invite_create(struct store *s, struct store_invite *inv);
/* The org's invites, newest first, at most STORE_ORGS_MAX. */
int store_invite_list(struct store *s, const char *org_id, struct store_invite **items,
                      size_t *n);
/* In one transaction: the unused, unexpired invite with this hash is marked used by user_id and
 * user_id's consent for its org is written (replaced when there was one) with `shares`.
 * NOTFOUND when no such invite can be used (unknown, used or expired: one answer). out gets the
 * consent with the org's name. */
int store_invite_redeem(struct store *s, const char *code_hash, const char *user_id,
                        unsigned shares, struct store_org_member *out);

/* user_id's consent for org_id (NOTFOUND when none: the one answer for "not linked", "no such
 * user" and malformed ids). Reads the row every time: a revocation counts at once. */
int store_member_get(struct store *s, const char *org_id, const char *user_id,
                     struct store_org_member *out);
/* The orgs user_id has linked to, newest first, with org_name filled. */
int store_member_orgs(struct store *s, const char *user_id, struct store_org_member **items,
                      size_t *n);
/* The members of org_id, newest link first, paged like the other lists; email filled. */
int store_member_list(struct store *s, const char *org_id, const char *cursor, int limit,
                      struct store_org_member **items, size_t *n,
                      char next_cursor[STORE_CURSOR_MAX]);
/* Remove user_id's consent for org_id. NOTFOUND when there was none. */
int store_member_unlink(struct store *s, const char *user_id, const char *org_id);
/* Totals per exercise over [from_day, to_day] of the org's members whose shares have a bit of
 * share_mask, by exercise name. Each member counts only from the first whole UTC day inside
 * the history its plan keeps (plans.history_days, as app_history_from_day, at the store's
 * clock): the org's totals are the sum of what each member's own reads may show. */
int store_org_aggregates(struct store *s, const char *org_id, unsigned share_mask,
                         const char *from_day, const char *to_day,
                         struct store_org_aggregate **items, size_t *n);
/* ---- webhooks (migration 8 "webhooks"; docs/internals/webhooks.md) ------------------------- */

/* Everything is keyed by an organisation id (32 hex, the partner's org; no foreign key here, the
 * organisations table belongs to the partner module). org_id NULL = system access (the worker). */
#define STORE_WEBHOOK_URL_MAX 2048
#define STORE_WEBHOOK_SECRET_MAX 191
#define STORE_WEBHOOK_TYPES_MAX 255     /* event types, space separated */
#define STORE_WEBHOOK_TYPE_MAX 31       /* one event type, e.g. "analysis.completed" */
#define STORE_WEBHOOK_EVENT_ID_MAX 63   /* "evt_" + 32 hex */
#define STORE_WEBHOOK_PAYLOAD_MAX (256 * 1024) /* the signed body, bytes */
#define STORE_WEBHOOK_ENDPOINTS_MAX 16  /* per organisation */

struct store_webhook_endpoint {
    char id[STORE_ID_LEN + 1]; /* filled by create */
    char org_id[STORE_ID_LEN + 1];
    char url[STORE_WEBHOOK_URL_MAX + 1];
    char secret[STORE_WEBHOOK_SECRET_MAX + 1]; /* as the app gives it: sealed "enc1:..." around
                                                   the "whsec_..." (auth/webhook_sig.h) */
    char event_types[STORE_WEBHOOK_TYPES_MAX + 1];
    bool enabled;
    int64_t created_at;
};

enum store_delivery_status {
    STORE_DELIVERY_PENDING,
    STORE_DELIVERY_DELIVERED,
    STORE_DELIVERY_FAILED
};

/* One event for one endpoint: the delivery log's row. The body is read apart (it is up to
 * STORE_WEBHOOK_PAYLOAD_MAX bytes). */
struct store_webhook_delivery {
    char id[STORE_ID_LEN + 1];
    int64_t seq; /* insertion order: deliveries of one (endpoint, member) go out in this order */
    char org_id[STORE_ID_LEN + 1];
    char endpoint_id[STORE_ID_LEN + 1];
    char event_id[STORE_WEBHOOK_EVENT_ID_MAX + 1]; /* webhook-id: the same on every retry */
    char event_type[STORE_WEBHOOK_TYPE_MAX + 1];
    char member_id[STORE_ID_LEN + 1]; /* "" when the event is about no member */
    enum store_delivery_status status;
    int attempts;
    int64_t next_attempt_at, last_attempt_at; /* 0 = none yet */
    int last_status;                          /* HTTP status of the last attempt, 0 = none */
    char last_error[STORE_ERROR_MAX + 1];
    int64_t created_at, updated_at, delivered_at;
};

/* What webhook_emit records: body = the exact bytes that will be signed and sent. */
struct store_webhook_event {
    const char *event_id;  /* 1..STORE_WEBHOOK_EVENT_ID_MAX of [A-Za-z0-9_-] */
    const char *type;      /* 1..STORE_WEBHOOK_TYPE_MAX of [a-z0-9._] */
    const char *member_id; /* NULL or "" = none, else an id */
    const char *body;      /* 1..STORE_WEBHOOK_PAYLOAD_MAX bytes of text */
    int64_t outbox_id;     /* > 0: the outbox row this event drains (store_outbox_list); the
                              row is deleted in the emit's transaction, and an emit whose row is
                              already gone writes nothing and answers NOTFOUND: exactly once */
};

/* The job that delivers: each delivery row names the one job responsible for it (a later job
 * for the same row is written in the same transaction that hands it over). */
struct store_job_spec {
    const char *kind;
    int max_attempts;
};

/* Fills e->id and e->created_at. CONFLICT when the org already has STORE_WEBHOOK_ENDPOINTS_MAX
 * endpoints. The URL and types are the caller's to check (app/webhooks.c). */
int store_webhook_endpoint_create(struct store *s, struct store_webhook_endpoint *e);
int store_webhook_endpoint_get(struct store *s, const char *org_id, const char *id,
                               struct store_webhook_endpoint *out);
/* Oldest first, at most STORE_WEBHOOK_ENDPOINTS_MAX. */
int store_webhook_endpoint_list(struct store *s, const char *org_id,
                                struct store_webhook_endpoint **items, size_t *n);
/* Deletes its deliveries too (their jobs then find nothing and end). */
int store_webhook_endpoint_delete(struct store *s, const char *org_id, const char *id);

/* In ONE transaction: a pending delivery of ev for every enabled endpoint of org_id whose types
 * include ev->type (endpoint_id NULL), or for endpoint_id alone whatever its types (a test event,
 * a redelivery: NOTFOUND when it is not the org's), each with a queued job of `job` (system job,
 * payload {"delivery_id": ID}) runnable now. *n (may be NULL) = deliveries written. */
int store_webhook_emit(struct store *s, const char *org_id, const char *endpoint_id,
                       const struct store_webhook_event *ev, const struct store_job_spec *job,
                       int *n);
int store_webhook_delivery_get(struct store *s, const char *org_id, const char *id,
                               struct store_webhook_delivery *out);
/* The body of a delivery, malloc'd and NUL-terminated (*len may be NULL); free() it. */
int store_webhook_delivery_body(struct store *s, const char *org_id, const char *id, char **body,
                                size_t *len);
/* Newest first (created_at, id); endpoint_id NULL = all of the org's endpoints. */
int store_webhook_delivery_list(struct store *s, const char *org_id, const char *endpoint_id,
                                const char *cursor, int limit,
                                struct store_webhook_delivery **items, size_t *n,
                                char next_cursor[STORE_CURSOR_MAX]);

enum store_webhook_verdict {
    STORE_WEBHOOK_SEND, /* attempt now: attempts was counted, *d *e *body are filled */
    STORE_WEBHOOK_DONE, /* nothing to do: delivered or failed already, or job_id is not the
                           job responsible for the row (a stale duplicate) */
    STORE_WEBHOOK_WAIT, /* an earlier delivery of the same (endpoint, member) is pending: a new
                           job for this row was queued, behind it; this job may end */
};
/* The worker's side, in one transaction (system access). NOTFOUND when the row is gone. On
 * SEND, *body is malloc'd (free it). A WAIT job runs again when the earlier delivery ends
 * (store_webhook_delivery_finish wakes it) or after max(its next attempt, now) + wait_ms. */
int store_webhook_delivery_claim(struct store *s, const char *id, const char *job_id,
                                 const struct store_job_spec *job, int64_t wait_ms,
                                 enum store_webhook_verdict *verdict,
                                 struct store_webhook_delivery *d,
                                 struct store_webhook_endpoint *e, char **body);

struct store_webhook_outcome {
    bool delivered;
    int http_status;   /* 0 = no answer */
    const char *error; /* "" or NULL when delivered */
    int64_t retry_at;  /* not delivered: when to try again; 0 = give up (failed) */
};
/* Record the attempt of job_id on delivery id, in one transaction: delivered, failed, or a new
 * job queued for retry_at. When the row ends (delivered/failed) the next pending delivery of the
 * same (endpoint, member) is made runnable at once. CONFLICT when job_id is no longer the job
 * responsible for the row or the row is not pending; NOTFOUND when it is gone. */
int store_webhook_delivery_finish(struct store *s, const char *id, const char *job_id,
                                  const struct store_webhook_outcome *o,
                                  const struct store_job_spec *job);

/* ---- partner outbox (migration 11 "outbox"; docs/internals/webhooks.md "Outbox") ---------- */

/* An action that partner orgs hear about records its event IN ITS OWN TRANSACTION, as one
 * outbox row per org that is to hear it; the app then turns each row into webhook deliveries
 * (store_webhook_emit with ev.outbox_id, which deletes the row in the emit's transaction). So
 * an action that returned 0 has its event durably, a crash between the two loses nothing (the
 * rows wait for the next drain: app_outbox_drain, the sweeper at start-up and every sweep),
 * and no row is emitted twice. */
#define STORE_OUTBOX_DATA_MAX 255 /* the event's data known at the action (links, reasons) */
#define STORE_OUTBOX_LIST_MAX 100

/* What an action records. The orgs: those user's consent rows whose shares hold every bit of
 * `shares` (0 = every org the user is linked to); an action about one consent (a link, an
 * unlink) records it for that org alone. data: NULL or a JSON object of at most
 * STORE_OUTBOX_DATA_MAX bytes (the caller's to form). */
struct store_outbox_event {
    const char *type; /* 1..STORE_WEBHOOK_TYPE_MAX of [a-z0-9._] */
    unsigned shares;
    const char *data;
};

/* One recorded event for one org. */
struct store_outbox {
    int64_t id; /* increasing: the order the actions committed in, never reused */
    char type[STORE_WEBHOOK_TYPE_MAX + 1];
    char org_id[STORE_ID_LEN + 1];
    char user_id[STORE_ID_LEN + 1];
    char workout_id[STORE_ID_LEN + 1]; /* "" when the event is about no workout */
    char data[STORE_OUTBOX_DATA_MAX + 1]; /* "" = {} */
    int64_t created_at;                   /* the action's time */
};

/* The actions, each with its event (ev NULL = none: the plain functions above are these with
 * NULL). The event is recorded only when the action writes something: a replayed client id
 * (CONFLICT) or a NOTFOUND records nothing.
 *   workout_put_ev / _session_ev   about the workout written (w->id)
 *   video_set_status_ev            about the video's workout (none when it has no workout)
 *   invite_redeem_ev               for the invite's org, after the consent is written
 *   member_unlink_ev               for that org, read before the consent row goes
 *   user_delete_ev                 for every org the user was linked to (matching ev->shares),
 *                                  read before the cascade takes the consent rows */
int store_workout_put_ev(struct store *s, struct store_workout *w, struct store_set *sets,
                         size_t nsets, struct store_rep *reps, size_t nreps,
                         const char *client_id, const struct store_outbox_event *ev);
int store_workout_put_session_ev(struct store *s, struct store_workout *w,
                                 struct store_set *set, struct store_rep *reps, size_t nreps,
                                 const char *client_id, const char *session_key, int *appended,
                                 const struct store_outbox_event *ev);
int store_video_set_status_ev(struct store *s, const char *id, const char *status,
                              int64_t duration_ms, const struct store_outbox_event *ev);
int store_invite_redeem_ev(struct store *s, const char *code_hash, const char *user_id,
                           unsigned shares, struct store_org_member *out,
                           const struct store_outbox_event *ev);
int store_member_unlink_ev(struct store *s, const char *user_id, const char *org_id,
                           const struct store_outbox_event *ev);
int store_user_delete_ev(struct store *s, const char *id, const struct store_outbox_event *ev);

/* The oldest recorded events (by id), of user_id (NULL = everyone's), at most limit
 * (1..STORE_OUTBOX_LIST_MAX); malloc'd, free() it. */
int store_outbox_list(struct store *s, const char *user_id, int limit,
                      struct store_outbox **items, size_t *n);
/* Forget one recorded event without emitting it (its workout is gone). NOTFOUND when it was
 * drained already. */
int store_outbox_drop(struct store *s, int64_t id);

/* ---- backend interface ---------------------------------------------------------------------- */

/* A backend fills one of these; arguments arrive already validated by the store_*() wrappers
 * (ids well-formed, text within bounds, limits in range, cursors decoded). */
struct store_ops {
    const char *name;
    void (*close)(struct store *s);
    int (*migrate)(struct store *s, int *applied, char *msg, size_t msg_len);
    int (*schema_version)(struct store *s, int *version);
    int (*check)(struct store *s, char *msg, size_t msg_len);

    int (*user_create)(struct store *s, const char *email, const char *hash, const char *role,
                       struct store_user *out);
    int (*user_get)(struct store *s, const char *id, const char *email, struct store_user *out);
    int (*user_set_password)(struct store *s, const char *id, const char *hash);
    int (*user_delete)(struct store *s, const char *id, const struct store_outbox_event *ev);

    int (*refresh_create)(struct store *s, const char *user_id, const char *family_id,
                          const char *token_hash, int64_t expires_at, struct store_refresh *out);
    int (*refresh_get)(struct store *s, const char *token_hash, struct store_refresh *out);
    int (*refresh_rotate)(struct store *s, const char *old_hash, const char *new_hash,
                          int64_t new_expires_at, int64_t grace_ms,
                          struct store_refresh *out_new);
    int (*refresh_revoke)(struct store *s, const char *family_id, const char *user_id);

    int (*video_create)(struct store *s, const struct store_video *v);
    int (*video_get)(struct store *s, const char *user_id, const char *id,
                     struct store_video *out);
    int (*video_set_status)(struct store *s, const char *id, const char *status,
                            int64_t duration_ms, const struct store_outbox_event *ev);
    int (*video_delete)(struct store *s, const char *user_id, const char *id);
    int (*video_list)(struct store *s, const char *user_id, int64_t after_t,
                      const char *after_id, int limit, struct store_video **items, size_t *n);

    int (*job_enqueue)(struct store *s, const struct store_job *j);
    int (*job_claim)(struct store *s, const char *owner, int64_t lease_ms, int per_user_max,
                     struct store_job *out);
    int (*job_heartbeat)(struct store *s, const char *id, const char *owner, int64_t lease_ms);
    int (*job_progress)(struct store *s, const char *id, const char *owner, double progress,
                        const char *stage);
    int (*job_complete)(struct store *s, const char *id, const char *owner);
    int (*job_fail)(struct store *s, const char *id, const char *owner, const char *error,
                    bool permanent, enum store_job_state *state_out);
    int (*job_release)(struct store *s, const char *id, const char *owner);
    int (*job_get)(struct store *s, const char *user_id, const char *id, struct store_job *out);
    int (*job_list)(struct store *s, const char *user_id, int64_t after_t, const char *after_id,
                    int limit, struct store_job **items, size_t *n);
    int (*job_counts)(struct store *s, struct store_job_counts *out);

    int (*workout_put)(struct store *s, struct store_workout *w, struct store_set *sets,
                       size_t nsets, struct store_rep *reps, size_t nreps,
                       const char *client_id, const struct store_outbox_event *ev);
    int (*workout_put_session)(struct store *s, struct store_workout *w, struct store_set *set,
                               struct store_rep *reps, size_t nreps, const char *client_id,
                               const char *session_key, int *appended,
                               const struct store_outbox_event *ev);
    int (*workout_get)(struct store *s, const char *user_id, const char *id,
                       const char *video_id, struct store_workout *out);
    int (*workout_delete)(struct store *s, const char *user_id, const char *id);
    int (*workout_list)(struct store *s, const char *user_id,
                        const struct store_workout_filter *f, int64_t after_t,
                        const char *after_id, int limit, struct store_workout **items,
                        size_t *n);
    int (*workout_sets)(struct store *s, const char *user_id, const char *workout_id,
                        struct store_set **items, size_t *n);
    int (*workout_reps)(struct store *s, const char *user_id, const char *workout_id,
                        struct store_rep **items, size_t *n);

    int (*analytics_range)(struct store *s, const char *user_id, const char *from_day,
                           const char *to_day, const char *exercise,
                           struct store_analytics_day **items, size_t *n);

    int (*upload_create)(struct store *s, const struct store_upload *u);
    int (*upload_get)(struct store *s, const char *user_id, const char *id,
                      struct store_upload *out);
    int (*upload_set_offset)(struct store *s, const char *id, int64_t expected, int64_t offset);
    int (*upload_complete)(struct store *s, const char *id, const char *sha256);
    int (*upload_delete)(struct store *s, const char *user_id, const char *id);
    int (*upload_expired)(struct store *s, char (*ids)[STORE_ID_LEN + 1], size_t max,
                          size_t *n);

    int (*rate_purge)(struct store *s, int64_t before, int64_t *deleted);

    /* added with the analytics aggregator (recomputation) */
    int (*analytics_set)(struct store *s, const char *user_id, const char *day,
                         const char *exercise, int64_t sessions, int64_t reps, double volume,
                         double score_sum, int64_t score_n);
    int (*analytics_span)(struct store *s, const char *user_id, char first_day[11],
                          char last_day[11]);

    /* added with sliding-window login throttling (migration 2) */
    int (*ratelimit_apply)(struct store *s, const char *const *keys, size_t n, store_rate_fn fn,
                           void *ctx);
    /* added with dead-letter bookkeeping (migration 2: videos.error) */
    int (*video_fail)(struct store *s, const char *id, const char *error);
    int (*job_reap_expired)(struct store *s, char (*ids)[STORE_ID_LEN + 1], size_t max,
                            size_t *n);
    /* added with jobs.video_id (migration "jobs_video") */
    int (*job_find_for_video)(struct store *s, const char *user_id, const char *video_id,
                              const char *kind, struct store_job *out);
    /* added with storage quotas (migration "job_fairness" indexes uploads.user_id) */
    int (*user_usage)(struct store *s, const char *user_id, int64_t *bytes);
    /* added with group commit */
    int (*stats)(struct store *s, struct store_stats *out);
    /* added with workouts.name (migration "workout_name") */
    int (*workout_rename)(struct store *s, const char *user_id, const char *id,
                          const char *name);
    /* added with partners (migration "partners") */
    int (*org_create)(struct store *s, const char *name, struct store_org *out);
    int (*org_get)(struct store *s, const char *id, struct store_org *out);
    int (*org_list)(struct store *s, const char *user_id, struct store_org **items, size_t *n);
    int (*org_admin_add)(struct store *s, const char *org_id, const char *user_id);
    int (*org_admin_check)(struct store *s, const char *org_id, const char *user_id);
    int (*apikey_create)(struct store *s, struct store_apikey *k);
    int (*apikey_get_by_prefix)(struct store *s, const char *prefix, struct store_apikey *out);
    int (*apikey_list)(struct store *s, const char *org_id, struct store_apikey **items,
                       size_t *n);
    int (*apikey_revoke)(struct store *s, const char *org_id, const char *id);
    int (*apikey_touch)(struct store *s, const char *id, int64_t min_gap_ms);
    int (*invite_create)(struct store *s, struct store_invite *inv);
    int (*invite_list)(struct store *s, const char *org_id, struct store_invite **items,
                       size_t *n);
    int (*invite_redeem)(struct store *s, const char *code_hash, const char *user_id,
                         unsigned shares, struct store_org_member *out,
                         const struct store_outbox_event *ev);
    int (*member_get)(struct store *s, const char *org_id, const char *user_id,
                      struct store_org_member *out);
    int (*member_orgs)(struct store *s, const char *user_id, struct store_org_member **items,
                       size_t *n);
    int (*member_list)(struct store *s, const char *org_id, int64_t after_t,
                       const char *after_id, int limit, struct store_org_member **items,
                       size_t *n);
    int (*member_unlink)(struct store *s, const char *user_id, const char *org_id,
                         const struct store_outbox_event *ev);
    int (*org_aggregates)(struct store *s, const char *org_id, unsigned share_mask,
                          const char *from_day, const char *to_day,
                          struct store_org_aggregate **items, size_t *n);
    /* added with plans, usage metering, flags and billing (migration "plans") */
    int (*user_set_plan)(struct store *s, const char *user_id, const char *plan);
    int (*user_set_org)(struct store *s, const char *user_id, const char *org_id);
    int (*plan_list)(struct store *s, struct store_plan **items, size_t *n);
    int (*plan_get)(struct store *s, const char *id, const char *org_id, struct store_plan *out);
    int (*video_create_metered)(struct store *s, const struct store_video *v, const char *metric,
                                const char *org_id, const char *month, struct store_meter *m);
    int (*usage_add)(struct store *s, const char *user_id, const char *org_id,
                     const char *metric, int64_t quantity, const char *ref_id,
                     const char *month);
    int (*usage_list)(struct store *s, const char *month, const char *user_id,
                      struct store_usage_row **items, size_t *n);
    int (*flag_list)(struct store *s, const char *user_id, const char *org_id, const char *plan,
                     struct store_flag **items, size_t *n);
    int (*flag_set)(struct store *s, const char *name, const char *description, int percent);
    int (*flag_rule)(struct store *s, const char *name, const char *scope, const char *subject,
                     int enabled);
    int (*billing_apply)(struct store *s, const char *event_id, const char *type,
                         const char *user_id, const char *plan, int *duplicate);
    /* added with webhooks (migration 8 "webhooks") */
    int (*webhook_endpoint_create)(struct store *s, const struct store_webhook_endpoint *e);
    int (*webhook_endpoint_get)(struct store *s, const char *org_id, const char *id,
                                struct store_webhook_endpoint *out);
    int (*webhook_endpoint_list)(struct store *s, const char *org_id,
                                 struct store_webhook_endpoint **items, size_t *n);
    int (*webhook_endpoint_delete)(struct store *s, const char *org_id, const char *id);
    int (*webhook_emit)(struct store *s, const char *org_id, const char *endpoint_id,
                        const struct store_webhook_event *ev, const struct store_job_spec *job,
                        int *n);
    int (*webhook_delivery_get)(struct store *s, const char *org_id, const char *id,
                                struct store_webhook_delivery *out);
    int (*webhook_delivery_body)(struct store *s, const char *org_id, const char *id,
                                 char **body, size_t *len);
    int (*webhook_delivery_list)(struct store *s, const char *org_id, const char *endpoint_id,
                                 int64_t after_t, const char *after_id, int limit,
                                 struct store_webhook_delivery **items, size_t *n);
    int (*webhook_delivery_claim)(struct store *s, const char *id, const char *job_id,
                                  const struct store_job_spec *job, int64_t wait_ms,
                                  enum store_webhook_verdict *verdict,
                                  struct store_webhook_delivery *d,
                                  struct store_webhook_endpoint *e, char **body);
    int (*webhook_delivery_finish)(struct store *s, const char *id, const char *job_id,
                                   const struct store_webhook_outcome *o,
                                   const struct store_job_spec *job);
    /* added with the partner outbox (migration 11 "outbox") */
    int (*outbox_list)(struct store *s, const char *user_id, int limit,
                       struct store_outbox **items, size_t *n);
    int (*outbox_drop)(struct store *s, int64_t id);
};

/* The common head of every backend object (backends embed it first). Callers treat it as
 * opaque and use the functions above. */
struct store {
    const struct store_ops *ops;
    int64_t (*now_ms)(void *ctx);
    void *now_ctx;
};

#endif
