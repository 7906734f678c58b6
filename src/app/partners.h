/*
 * partners.h - the partner use cases (issue 13): organisations (gyms) and their API keys, the
 * one-time invite codes a gym hands its members, the members' consent, and what a partner
 * request may see. docs/internals/partners.md tells the whole story.
 *
 *   app_org_create / app_org_add_admin      `repright admin org ...`
 *   app_apikey_create / app_apikey_revoke   `repright admin key ...`, the web console
 *   app_apikey_authenticate                 a presented key -> its row (or one refusal)
 *   app_apikey_limit                        the key's token bucket (RateLimit headers, 429)
 *   app_invite_create                       a one-time link code for an org
 *   app_partner_link / app_partner_unlink   a member's consent (POST/DELETE /v1/me/partners)
 *   app_partner_member                      may this org see this member (and this part)?
 *
 * Keys: "rr_live_<12 hex prefix>_<64 hex secret>" (auth/token.h): 256 random bits, only
 * HMAC-SHA256(token_pepper, key) is stored, compared in constant time; the prefix is public.
 * Scopes and shares are bits (below). A member id unknown to the org, not consenting, or not
 * sharing the part asked for is NOTFOUND: one answer, so no endpoint reveals an account.
 * Consent and keys are read from the store on every request (no cache): a revocation counts
 * from the next request on.
 *
 * Ownership: records are caller-owned. Errors: negative RR_ERR_* - INVAL (bad scopes, name,
 * days), NOTFOUND (unknown org/user/key/code, no consent), CONFLICT (org name taken),
 * UNAUTHENTICATED (a key that is malformed, unknown, wrong, revoked or expired), store errors.
 * Thread-safety: every function may run concurrently.
 */
#ifndef RR_APP_PARTNERS_H
#define RR_APP_PARTNERS_H

#include <stddef.h>
#include <stdint.h>

#include "app/app.h"
#include "app/events.h"
#include "auth/token.h"

/* Key scopes. The first three are also the member's shares: a member shares the profile
 * (listed with their email), workouts and analytics with an org, each a bit. */
enum {
    APP_SCOPE_MEMBERS_READ = 1u << 0,
    APP_SCOPE_WORKOUTS_READ = 1u << 1,
    APP_SCOPE_ANALYTICS_READ = 1u << 2,
    APP_SCOPE_WEBHOOKS_WRITE = 1u << 3,
    APP_SCOPES_ALL = 0xfu,
    APP_SHARES_ALL = 0x7u,
};

#define APP_KEY_RATE_DEFAULT 120   /* requests per minute (burst the same) when a key sets none */
#define APP_KEY_RATE_MAX 100000
#define APP_KEY_TOUCH_MS 60000     /* last_used_at is written at most once a minute */
#define APP_INVITE_DAYS_DEFAULT 7
#define APP_INVITE_CODE_LEN 32     /* "rrinv_" + 26 base32 characters (130 random bits) */

/* "members:read" for APP_SCOPE_MEMBERS_READ, ...; NULL for a bit that is not one scope. */
const char *app_scope_name(unsigned bit);
/* "members:read,workouts:read" -> bits. INVAL (with the bad name in msg) for an unknown or
 * empty name, or an empty list. */
int app_scopes_parse(const char *csv, unsigned *out, char *msg, size_t msg_len);
/* Bits -> "members:read,workouts:read" ("" for none). Returns buf. */
const char *app_scopes_format(unsigned scopes, char *buf, size_t len);
/* The same for shares: "profile", "workouts", "analytics". */
const char *app_share_name(unsigned bit);
int app_shares_parse_name(const char *name, unsigned *bit);

int app_org_create(struct app *a, const char *name, struct store_org *out);
/* The user with this email becomes an admin of the org (its web console). NOTFOUND when either
 * is unknown. */
int app_org_add_admin(struct app *a, const char *org_id, const char *email);

struct app_new_key {
    struct store_apikey rec;               /* as stored */
    char key[TOKEN_APIKEY_LEN + 1];        /* the whole key: show it once, never store it */
};
/* A new key for the org: scopes (non-zero bits of APP_SCOPES_ALL), expires_days (0 = never,
 * else 1..3650), rate_per_min (0 = APP_KEY_RATE_DEFAULT), name (may be NULL). */
int app_apikey_create(struct app *a, const char *org_id, const char *name, unsigned scopes,
                      int expires_days, int rate_per_min, struct app_new_key *out);
/* Revoke now. org_id NULL = any org (the admin CLI). NOTFOUND for another org's key. */
int app_apikey_revoke(struct app *a, const char *org_id, const char *key_id);
/* The row of a presented key[0..len), when the key is well formed, known, matches its stored
 * hash (constant time), is not revoked and not expired; its last use is recorded (at most once
 * per APP_KEY_TOUCH_MS). UNAUTHENTICATED otherwise, with why ("malformed", "unknown",
 * "mismatch", "revoked", "expired") in *why for the debug log, never for the client. */
int app_apikey_authenticate(struct app *a, const char *key, size_t len, struct store_apikey *out,
                            const char **why);

struct app_limit {
    int allowed;
    uint32_t limit, window_s, remaining, reset_s, retry_after;
};
/* Take one token from the key's bucket (capacity = its rate per minute, refilled over 60 s),
 * kept in the store so every server process sharing it counts together. */
int app_apikey_limit(struct app *a, const struct store_apikey *k, struct app_limit *out);

/* A one-time code (single use, expiring after days, 1..90) for members to link to the org; the
 * code is returned once (code_out) and only its hash is kept. */
int app_invite_create(struct app *a, const char *org_id, int days, struct store_invite *out,
                      char code_out[APP_INVITE_CODE_LEN + 1]);

/* The member links to the org of the code, sharing `shares` (bits of APP_SHARES_ALL, non-zero),
 * and the org hears "member.linked". NOTFOUND when the code is unknown, used or expired. */
int app_partner_link(struct app *a, const char *user_id, const char *code, unsigned shares,
                     struct store_org_member *out);
/* The member withdraws consent; the org hears "member.unlinked" {"reason":"consent_revoked"}.
 * NOTFOUND when not linked. */
int app_partner_unlink(struct app *a, const char *user_id, const char *org_id);
/* Delete the user's account and everything derived (app/account.c, in this order: sessions
 * revoked; every video through app_delete_video, so its rows, jobs and blobs on disk or S3 go;
 * then in one transaction the usage counters and the user row, whose cascade takes workouts,
 * jobs, usage events, consents, org admin rights; the read cache bumped). Every org the user
 * was linked to hears "member.unlinked" {"reason":"account_deleted"} - the member's id and the
 * reason, nothing else. NOTFOUND for an unknown user. On any other error the account still
 * exists (perhaps with fewer videos and no sessions): calling again finishes the deletion. */
int app_account_delete(struct app *a, const char *user_id);
/* May the org see this member's `share` part (one bit)? 0 and *out, or NOTFOUND for an unknown
 * id, a member who did not link, or one who does not share that part: one answer. */
int app_partner_member(struct app *a, const char *org_id, const char *member_id, unsigned share,
                       struct store_org_member *out);

/* ---- the records as JSON (one writer for the API and the admin CLI; partners_json.c) --------- */
struct rr_json;
/* {"id","name","created_at"} */
void app_json_org(struct rr_json *j, const struct store_org *o);
/* {"id","org_id","name","prefix","scopes":[..],"rate_per_min","created_at","expires_at",
 *  "revoked_at","last_used_at","state"}: times null when never; state active|revoked|expired.
 * Never the key or its hash. */
void app_json_apikey(struct rr_json *j, const struct store_apikey *k, int64_t now);
/* {"id","org_id","created_at","expires_at","used_at","state"}: state open|used|expired. */
void app_json_invite(struct rr_json *j, const struct store_invite *v, int64_t now);
/* For the org: {"id" (the member's user id),"email" (when the profile is shared),"shares",
 * "linked_at"}; for the member (for_member): {"org_id","org_name","shares","linked_at"}. */
void app_json_member(struct rr_json *j, const struct store_org_member *m, int for_member);

#endif
