/*
 * store_rows.h - what the two backends (sqlite.c, postgres.c) read rows into and the column list
 * of each SELECT. Each backend's row_<x>() reads the columns of <X>_COLS by position, so a list
 * here and both readers change together. Only text that is the same in both dialects is here
 * (no placeholders: SQLite binds ?1, PostgreSQL $1). Internal to src/store/.
 * Ownership: plain values; hook_body.text is malloc'd by the reader, freed by its caller.
 * Thread-safety: constants and types only.
 */
#ifndef RR_STORE_ROWS_H
#define RR_STORE_ROWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "store/store_internal.h"

/* ---- column lists ---------------------------------------------------------------------------- */

#define USER_COLS "id, email, password_hash, role, created_at"
#define USER_SELECT "SELECT " USER_COLS ", plan, coalesce(org_id, '') FROM users "
#define REFRESH_COLS                                                                               \
    "id, user_id, family_id, token_hash, created_at, expires_at, coalesce(used_at, 0), "           \
    "coalesce(revoked_at, 0)"
#define VIDEO_COLS "id, created_at, user_id, blob_key, sha256, size, duration_ms, status"
#define JOB_COLS                                                                                   \
    "id, created_at, coalesce(user_id, ''), kind, payload, state, attempts, max_attempts, "        \
    "run_after, coalesce(lease_until, 0), coalesce(lease_owner, ''), progress, stage, error, "     \
    "updated_at, coalesce(video_id, '')"
/* The list's counts are stored on the row (migration "workout_counts"): summing the sets and
 * reading every rep's verdict per listed workout halved the list's throughput. */
#define WORKOUT_COLS                                                                               \
    "id, created_at, user_id, coalesce(video_id, ''), exercise, started_at, duration_ms, score, "  \
    "name, n_reps, n_good, n_bad, n_unjudged"
#define WROW_COLS                                                                                  \
    "id, user_id, exercise, name, started_at, n_reps, n_good, n_bad, n_unjudged, a_active, "       \
    "a_volume, a_score_sum, a_score_n"
#define UPLOAD_COLS                                                                                \
    "id, user_id, blob_key, length, upload_offset, complete, sha256, metadata, created_at, "       \
    "expires_at"
#define RATE_COLS "window_start, prev, cur, strikes, blocked_until, last_hit"
#define APIKEY_COLS                                                                                \
    "id, org_id, name, prefix, key_hash, scopes, rate_per_min, created_at, expires_at, "          \
    "revoked_at, last_used_at"
#define INVITE_COLS "id, org_id, code_hash, created_at, expires_at, used_at, used_by"
#define MEMBER_COLS                                                                                \
    "m.org_id, m.user_id, coalesce(u.email, ''), coalesce(o.name, ''), m.shares, m.created_at"
#define MEMBER_FROM                                                                                \
    " FROM org_members m JOIN users u ON u.id = m.user_id JOIN orgs o ON o.id = m.org_id"
#define HOOK_EP_COLS "id, org_id, url, secret, event_types, enabled, created_at"
#define HOOK_DL_COLS                                                                               \
    "id, seq, org_id, endpoint_id, event_id, event_type, member_id, status, attempts, "           \
    "next_attempt_at, last_attempt_at, last_status, last_error, created_at, updated_at, "         \
    "delivered_at"
/* A job's owner for the fair share and the per-owner cap: its user, or for a system job its
 * lane (a webhook delivery: its org, "hook:<org id>"; NULL for the other system jobs). The
 * expression is the one the jobs_owner2_* indexes are built on (migration 12): keep it
 * textually equal. _R / _M: the same over the aliases r and m. */
#define JOB_OWNER "coalesce(user_id, lane)"
#define JOB_OWNER_R "coalesce(r.user_id, r.lane)"
#define JOB_OWNER_M "coalesce(m.user_id, m.lane)"
/* the partner outbox (migration 11) */
#define OUTBOX_COLS "id, type, org_id, user_id, workout_id, data, created_at"
#define PLAN_COLS                                                                                  \
    "p.id, p.name, p.rank, p.uploads_per_month, p.max_video_s, p.history_days, p.heavy_model, "    \
    "p.overlay_video, p.price_cents"

/* ---- rows read into internal structs ------------------------------------------------------- */

/* The job owner (user_id, NULL for system jobs) to serve next: fewest running jobs, then the
 * one served least recently (round robin across owners), then the oldest waiting job. */
struct fair_pick {
    bool is_null;
    char uid[STORE_JOB_LANE_MAX + 1]; /* a user id, or a system job's lane */
};

/* Jobs per state (ops counts). */
struct state_count {
    char state[16];
    int64_t n;
};

/* A stored workout as the write path needs it: who, when, what, its derived numbers (WROW_COLS). */
struct wrow {
    char id[STORE_ID_LEN + 1];
    char user_id[STORE_ID_LEN + 1];
    char exercise[STORE_NAME_MAX + 1];
    char name[STORE_WORKOUT_NAME_MAX + 1];
    int64_t started_at;
    struct store_workout_stats st;
};

/* The first and last day of a user's analytics rows (any: 0 when there are none). */
struct day_span {
    char first[11], last[11];
    int any;
};

/* The limit of a user's plan for a metric (-1: none), with the plan's name and the user's org. */
struct limit_row {
    int64_t limit;
    char plan[STORE_PLAN_MAX + 1];
    char org_id[STORE_ORG_MAX + 1];
};

/* A webhook delivery body as a malloc'd string. */
struct hook_body {
    char *text;
    size_t len;
    bool nomem;
};

/* Endpoint ids (at most STORE_WEBHOOK_ENDPOINTS_MAX) an event goes to. */
struct hook_ep_id {
    char id[STORE_ID_LEN + 1];
};

/* The delivery row with its job id (HOOK_DL_COLS, job_id), read under the write lock. */
struct hook_row {
    struct store_webhook_delivery d;
    char job_id[STORE_ID_LEN + 1];
};

#endif
