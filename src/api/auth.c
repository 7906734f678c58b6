/*
 * auth.c - accounts and sessions: register, login, refresh, logout, me, change password.
 *
 * DESIGN (docs/reliability.md "Accounts and tokens"):
 *  - Passwords: policy first (8..128 code points, common passwords refused, length bounded before
 *    any hashing), Argon2id via auth/password.h; a stored hash with old parameters is replaced at
 *    the next successful login.
 *  - Login answers exactly the same for an unknown email and a wrong password: same status, same
 *    body, and the same work (password_verify_dummy burns one Argon2id verify at the current
 *    parameters when the user does not exist).
 *  - Throttling (auth/ratelimit.h arithmetic, state in the store so several server processes
 *    share it): two sliding-window keys, the client IP and the account (a peppered hash of the
 *    lowercase email, so the table holds no addresses, and unknown emails are throttled exactly
 *    like known ones). Before the password is checked both keys are peeked in one store
 *    transaction: either denied -> 429 + Retry-After (the longer wait) with the JSON error body.
 *    Only failures count: a wrong password or unknown email hits both keys (one transaction);
 *    the account key has exponential back-off (the window filling blocks it for base seconds,
 *    every further failure while strikes are remembered doubles the block up to the cap). A
 *    successful login clears the account key and leaves the IP key untouched (it neither spends
 *    nor refunds IP budget). Nothing locks out for good. Limits, window and back-off come from
 *    the auth module's login policy or the configuration (REPRIGHT_LOGIN_*).
 *  - Access tokens: HS256 JWT, 15 minutes, iss/aud/typ=access, key derived from the server
 *    secret. Refresh tokens: 256 random bits, stored only as HMAC(pepper), single use: every
 *    refresh rotates the token inside its family; presenting a spent token revokes the whole
 *    family (RFC 9700 §4.14.2). Logout revokes the family; a password change revokes every family
 *    of the user. Access tokens already issued stay valid until they expire (at most 15 min).
 *  - Bodies are validated by schemas (unknown fields such as "role" -> 400); responses never
 *    carry a hash.
 */
#include "api/api.h"

#include "auth/jwt.h"
#include "auth/password.h"
#include "auth/ratelimit.h"
#include "auth/token.h"
#include "base/rr_error.h"
#include "base/rr_log.h"
#include "http/validate.h"
#include "store/store.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define AUTH_ACCESS_TTL_S 900
#define AUTH_REFRESH_TTL_S (30LL * 24 * 3600)
#define AUTH_REFRESH_MAX 128 /* a refresh token is 43 base64url characters */

/* ---- schemas ------------------------------------------------------------------------------ */

static const struct validate_field register_fields[] = {
    {.name = "email", .type = VALIDATE_STRING, .required = 1, .pattern = VALIDATE_EMAIL,
     .has_max = 1, .max = STORE_EMAIL_MAX, .description = "login name, unique"},
    {.name = "password", .type = VALIDATE_STRING, .required = 1, .has_max = 1, .max = 4096,
     .description = "8..128 characters, not a common password"},
};
static const struct validate_schema register_schema = {"RegisterRequest", register_fields, 2};

static const struct validate_field login_fields[] = {
    {.name = "email", .type = VALIDATE_STRING, .required = 1, .has_max = 1,
     .max = STORE_EMAIL_MAX},
    {.name = "password", .type = VALIDATE_STRING, .required = 1, .has_max = 1, .max = 4096},
};
static const struct validate_schema login_schema = {"LoginRequest", login_fields, 2};

static const struct validate_field refresh_fields[] = {
    {.name = "refresh_token", .type = VALIDATE_STRING, .required = 1, .has_min = 1, .min = 1,
     .has_max = 1, .max = AUTH_REFRESH_MAX},
};
static const struct validate_schema refresh_schema = {"RefreshRequest", refresh_fields, 1};
static const struct validate_schema logout_schema = {"LogoutRequest", refresh_fields, 1};

static const struct validate_field password_fields[] = {
    {.name = "current_password", .type = VALIDATE_STRING, .required = 1, .has_max = 1,
     .max = 4096},
    {.name = "new_password", .type = VALIDATE_STRING, .required = 1, .has_max = 1, .max = 4096,
     .description = "8..128 characters, not a common password"},
};
static const struct validate_schema password_schema = {"ChangePasswordRequest", password_fields,
                                                       2};

/* ---- helpers ------------------------------------------------------------------------------ */

static const char *auth_str(struct http_request *req, const char *name, size_t *len)
{
    json_t *v = json_object_get(http_request_json(req), name);
    *len = json_string_length(v);
    return json_string_value(v);
}

/* Lowercase ASCII copy of an email; RR_ERR_TOOBIG beyond the store's bound. */
static int auth_email_norm(const char *in, char out[STORE_EMAIL_MAX + 1])
{
    size_t n = strlen(in);
    if (n > STORE_EMAIL_MAX)
        return RR_ERR_TOOBIG;
    for (size_t i = 0; i < n; i++)
        out[i] = (char)tolower((unsigned char)in[i]);
    out[n] = '\0';
    return 0;
}

static int auth_policy_reply(struct http_request *req, const char *field, enum password_verdict v)
{
    static const char *const problems[] = {
        [PASSWORD_TOO_SHORT] = "must be at least 8 characters",
        [PASSWORD_TOO_LONG] = "must be at most 128 characters",
        [PASSWORD_BAD_ENCODING] = "must be valid UTF-8 without NUL",
        [PASSWORD_COMMON] = "is too common, choose another",
    };
    const char *problem = (v > 0 && (size_t)v < sizeof problems / sizeof problems[0] &&
                           problems[v])
                              ? problems[v]
                              : "is not acceptable";
    json_t *d = json_pack("[{s:s,s:s,s:s}]", "field", field, "problem", problem, "reason",
                          password_verdict_name(v));
    return http_reply_error(req, 422, "validation_failed", "the password policy refused it", d);
}

static json_t *auth_user_json(const struct store_user *u)
{
    return json_pack("{s:s,s:s,s:s,s:I}", "id", u->id, "email", u->email, "role", u->role,
                     "created_at", (json_int_t)u->created_at);
}

/* Mint an access JWT for user_id into out. */
static int auth_access_token(const struct app *a, const char *user_id, char *out, size_t cap)
{
    struct jwt_claims c;
    memset(&c, 0, sizeof c);
    snprintf(c.iss, sizeof c.iss, "%s", a->jwt_issuer);
    snprintf(c.aud, sizeof c.aud, "%s", a->jwt_audience);
    snprintf(c.sub, sizeof c.sub, "%s", user_id);
    if (token_random(TOKEN_HEX, 16, c.jti, sizeof c.jti) < 0)
        return RR_ERR_INTERNAL;
    c.typ = JWT_TYP_ACCESS;
    c.iat = (int64_t)time(NULL);
    c.nbf = c.iat;
    c.exp = c.iat + AUTH_ACCESS_TTL_S;
    int n = jwt_sign(&c, a->jwt_key, sizeof a->jwt_key, out, cap);
    return n < 0 ? n : 0;
}

/* New refresh token text + its stored hash. */
static int auth_refresh_new(const struct app *a, char tok[AUTH_REFRESH_MAX],
                            char hash[TOKEN_HASH_HEX_SIZE])
{
    int n = token_random(TOKEN_BASE64URL, TOKEN_BYTES, tok, AUTH_REFRESH_MAX);
    if (n < 0)
        return n;
    return token_hash_hex(a->token_pepper, sizeof a->token_pepper, tok, (size_t)n, hash);
}

static int auth_reply_tokens(struct http_request *req, const struct app *a, const char *user_id,
                             const char *refresh, unsigned status)
{
    char access[JWT_MAX_TOKEN];
    int err = auth_access_token(a, user_id, access, sizeof access);
    if (err < 0)
        return err;
    json_t *body = json_pack("{s:s,s:s,s:i,s:s,s:I,s:s}", "access_token", access, "token_type",
                             "Bearer", "expires_in", AUTH_ACCESS_TTL_S, "refresh_token", refresh,
                             "refresh_expires_in", (json_int_t)AUTH_REFRESH_TTL_S, "user_id",
                             user_id);
    sodium_memzero(access, sizeof access);
    if (!body)
        return RR_ERR_NOMEM;
    return http_reply_json(req, status, body);
}

/* ---- login throttling ----------------------------------------------------------------------- */

enum { AUTH_KEY_IP = 0, AUTH_KEY_ACCOUNT = 1 };

struct auth_rate_ctx {
    struct ratelimit_rule rules[2]; /* [AUTH_KEY_IP], [AUTH_KEY_ACCOUNT] */
    int64_t now;                    /* seconds */
    enum { AUTH_RATE_CHECK, AUTH_RATE_FAILED, AUTH_RATE_SUCCEEDED } op;
    struct ratelimit_decision decision; /* CHECK: the combined verdict */
};

static void auth_rate_from_store(struct ratelimit_state *d, const struct store_rate_state *s)
{
    d->window_start = s->window_start;
    d->prev = s->prev;
    d->cur = s->cur;
    d->strikes = s->strikes;
    d->blocked_until = s->blocked_until;
    d->last_hit = s->last_hit;
}

static void auth_rate_to_store(struct store_rate_state *d, const struct ratelimit_state *s)
{
    d->window_start = s->window_start;
    d->prev = s->prev;
    d->cur = s->cur;
    d->strikes = s->strikes;
    d->blocked_until = s->blocked_until;
    d->last_hit = s->last_hit;
}

/* store_rate_fn: states[0] is the IP key, states[1] the account key. */
static int auth_rate_apply(void *ctx, struct store_rate_state *states, size_t n)
{
    struct auth_rate_ctx *c = ctx;
    int err = 0;
    if (n != 2)
        return RR_ERR_INTERNAL;
    c->decision = (struct ratelimit_decision){1, 0, UINT32_MAX};
    for (size_t i = 0; i < 2 && !err; i++) {
        struct ratelimit_state st;
        struct ratelimit_decision d;
        auth_rate_from_store(&st, &states[i]);
        if (c->op == AUTH_RATE_CHECK) {
            /* on a copy: a peek only rolls windows, which the next read recomputes, so the
             * check writes nothing (no extra commit, whether or not the account exists) */
            err = ratelimit_peek(&c->rules[i], &st, c->now, &d);
            if (!err) {
                c->decision.allowed = c->decision.allowed && d.allowed;
                if (d.retry_after > c->decision.retry_after)
                    c->decision.retry_after = d.retry_after;
                if (d.remaining < c->decision.remaining)
                    c->decision.remaining = d.remaining;
            }
            continue;
        } else if (c->op == AUTH_RATE_FAILED) {
            err = ratelimit_hit(&c->rules[i], &st, c->now, NULL);
        } else if (i == AUTH_KEY_ACCOUNT) {
            ratelimit_reset(&st); /* success: the account's failures are forgiven */
        }
        auth_rate_to_store(&states[i], &st);
    }
    return err;
}

/* The login rules: the auth module's policy, with the configuration's overrides. */
static void auth_rate_rules(const struct app *a, struct ratelimit_rule rules[2])
{
    const struct app_config *cfg = &a->cfg;
    rules[AUTH_KEY_IP] = ratelimit_login_ip;
    rules[AUTH_KEY_ACCOUNT] = ratelimit_login_account;
    if (cfg->login_ip_limit > 0)
        rules[AUTH_KEY_IP].limit = (uint32_t)cfg->login_ip_limit;
    if (cfg->login_account_limit > 0)
        rules[AUTH_KEY_ACCOUNT].limit = (uint32_t)cfg->login_account_limit;
    if (cfg->login_window_s > 0)
        rules[AUTH_KEY_IP].window_s = rules[AUTH_KEY_ACCOUNT].window_s =
            (uint32_t)cfg->login_window_s;
    if (cfg->login_backoff_s > 0)
        rules[AUTH_KEY_ACCOUNT].backoff_base_s = (uint32_t)cfg->login_backoff_s;
    if (cfg->login_backoff_max_s > 0)
        rules[AUTH_KEY_ACCOUNT].backoff_max_s = (uint32_t)cfg->login_backoff_max_s;
    if (rules[AUTH_KEY_ACCOUNT].backoff_max_s < rules[AUTH_KEY_ACCOUNT].backoff_base_s)
        rules[AUTH_KEY_ACCOUNT].backoff_max_s = rules[AUTH_KEY_ACCOUNT].backoff_base_s;
}

/* Run one throttling step on the (ip, account) keys. CHECK: RR_ERR_RATELIMITED with
 * Retry-After staged when either key is denied. */
static int auth_rate_step(struct http_request *req, struct app *a, const char *const keys[2],
                          int op)
{
    struct auth_rate_ctx c;
    memset(&c, 0, sizeof c);
    auth_rate_rules(a, c.rules);
    c.now = store_now(a->store) / 1000;
    c.op = op;
    int err = store_ratelimit_apply(a->store, keys, 2, auth_rate_apply, &c);
    if (err < 0)
        return err;
    if (op == AUTH_RATE_CHECK && !c.decision.allowed) {
        http_reply_retry_after(req, c.decision.retry_after ? c.decision.retry_after : 1u);
        return RR_ERR_RATELIMITED;
    }
    return 0;
}

/* ---- handlers ----------------------------------------------------------------------------- */

static int auth_register(struct http_request *req, void *app)
{
    struct app *a = app;
    size_t elen = 0, plen = 0;
    const char *email = auth_str(req, "email", &elen);
    const char *pw = auth_str(req, "password", &plen);
    char norm[STORE_EMAIL_MAX + 1];
    char hash[PASSWORD_HASH_MAX];
    struct store_user u;
    int err = 0;

    if (auth_email_norm(email, norm) < 0)
        return RR_ERR_INVAL;
    enum password_verdict v = password_check_policy(pw, plen);
    if (v != PASSWORD_OK)
        return auth_policy_reply(req, "password", v);
    err = password_hash(pw, plen, hash);
    if (err < 0)
        goto out;
    err = store_user_create(a->store, norm, hash, "user", &u);
    if (err == RR_ERR_CONFLICT) {
        err = http_reply_error(req, 409, "email_taken", "this email is already registered", NULL);
        goto out;
    }
    if (err < 0)
        goto out;
    err = http_reply_json(req, 201, auth_user_json(&u));
out:
    sodium_memzero(hash, sizeof hash);
    sodium_memzero(&u, sizeof u);
    return err;
}

static int auth_login(struct http_request *req, void *app)
{
    struct app *a = app;
    size_t elen = 0, plen = 0;
    const char *email = auth_str(req, "email", &elen);
    const char *pw = auth_str(req, "password", &plen);
    char norm[STORE_EMAIL_MAX + 1];
    char ipkey[STORE_KEY_MAX + 1], acctkey[STORE_KEY_MAX + 1];
    const char *const keys[2] = {ipkey, acctkey}; /* [AUTH_KEY_IP], [AUTH_KEY_ACCOUNT] */
    char ehash[TOKEN_HASH_HEX_SIZE];
    char refresh[AUTH_REFRESH_MAX] = "", rhash[TOKEN_HASH_HEX_SIZE];
    struct store_user u;
    int err = 0;
    memset(&u, 0, sizeof u);

    if (auth_email_norm(email, norm) < 0)
        return RR_ERR_INVAL;
    err = token_hash_hex(a->token_pepper, sizeof a->token_pepper, norm, strlen(norm), ehash);
    if (err < 0)
        goto out;
    snprintf(ipkey, sizeof ipkey, "login:ip:%.200s", http_request_client_ip(req));
    snprintf(acctkey, sizeof acctkey, "login:acct:%s", ehash);
    err = auth_rate_step(req, a, keys, AUTH_RATE_CHECK);
    if (err < 0)
        goto out;

    err = store_user_get_by_email(a->store, norm, &u);
    if (err == RR_ERR_NOTFOUND) {
        password_verify_dummy(pw, plen);
        err = RR_ERR_UNAUTHENTICATED;
    } else if (err == 0) {
        err = password_verify(u.password_hash, pw, plen);
        if (err == RR_ERR_CORRUPT) {
            rr_log(RR_LOG_ERROR, "stored password hash unreadable",
                   RR_LOG_REQUEST_ID(http_request_id(req)), RR_LOG_STR("user_id", u.id));
            err = RR_ERR_UNAUTHENTICATED;
        }
    }
    if (err == RR_ERR_UNAUTHENTICATED) {
        err = auth_rate_step(req, a, keys, AUTH_RATE_FAILED);
        if (err < 0)
            goto out;
        err = http_reply_error(req, 401, "invalid_credentials", "email or password is incorrect",
                               NULL);
        goto out;
    }
    if (err < 0)
        goto out;

    err = auth_rate_step(req, a, keys, AUTH_RATE_SUCCEEDED);
    if (err < 0)
        goto out;
    if (password_needs_rehash(u.password_hash)) {
        char nh[PASSWORD_HASH_MAX];
        if (password_hash(pw, plen, nh) == 0 && store_user_set_password(a->store, u.id, nh) == 0)
            rr_log(RR_LOG_INFO, "password re-hashed", RR_LOG_REQUEST_ID(http_request_id(req)),
                   RR_LOG_STR("user_id", u.id));
        sodium_memzero(nh, sizeof nh);
    }
    err = auth_refresh_new(a, refresh, rhash);
    if (err < 0)
        goto out;
    err = store_refresh_create(a->store, u.id, NULL, rhash,
                               store_now(a->store) + AUTH_REFRESH_TTL_S * 1000, NULL);
    if (err < 0)
        goto out;
    err = auth_reply_tokens(req, a, u.id, refresh, 200);
out:
    sodium_memzero(refresh, sizeof refresh);
    sodium_memzero(&u, sizeof u);
    return err;
}

static int auth_refresh(struct http_request *req, void *app)
{
    struct app *a = app;
    size_t len = 0;
    const char *old = auth_str(req, "refresh_token", &len);
    char old_hash[TOKEN_HASH_HEX_SIZE];
    char refresh[AUTH_REFRESH_MAX], rhash[TOKEN_HASH_HEX_SIZE];
    struct store_refresh fresh;
    int err = token_hash_hex(a->token_pepper, sizeof a->token_pepper, old, len, old_hash);
    if (err < 0)
        return RR_ERR_UNAUTHENTICATED;
    err = auth_refresh_new(a, refresh, rhash);
    if (err < 0)
        goto out;
    err = store_refresh_rotate(a->store, old_hash, rhash,
                               store_now(a->store) + AUTH_REFRESH_TTL_S * 1000, &fresh);
    if (err == RR_ERR_CONFLICT)
        rr_log(RR_LOG_WARN, "refresh token reuse: family revoked",
               RR_LOG_REQUEST_ID(http_request_id(req)));
    if (err == RR_ERR_NOTFOUND || err == RR_ERR_UNAUTHENTICATED || err == RR_ERR_CONFLICT) {
        err = http_reply_error(req, 401, "invalid_refresh_token",
                               "the refresh token is invalid, expired or already used", NULL);
        goto out;
    }
    if (err < 0)
        goto out;
    err = auth_reply_tokens(req, a, fresh.user_id, refresh, 200);
out:
    sodium_memzero(refresh, sizeof refresh);
    return err;
}

static int auth_logout(struct http_request *req, void *app)
{
    struct app *a = app;
    size_t len = 0;
    const char *tok = auth_str(req, "refresh_token", &len);
    char hash[TOKEN_HASH_HEX_SIZE];
    struct store_refresh r;
    /* Always 204: logout never tells whether a token was known. */
    if (token_hash_hex(a->token_pepper, sizeof a->token_pepper, tok, len, hash) == 0 &&
        store_refresh_get(a->store, hash, &r) == 0) {
        int err = store_refresh_revoke_family(a->store, r.family_id);
        if (err < 0)
            return err;
    }
    return http_reply_bytes(req, 204, "", 0, NULL);
}

static int auth_me(struct http_request *req, void *app)
{
    struct app *a = app;
    const struct api_principal *p = api_principal(req);
    struct store_user u;
    int err = store_user_get(a->store, p->user_id, &u);
    if (err == RR_ERR_NOTFOUND)
        return RR_ERR_UNAUTHENTICATED; /* the account is gone */
    if (err < 0)
        return err;
    err = http_reply_json(req, 200, auth_user_json(&u));
    sodium_memzero(&u, sizeof u);
    return err;
}

static int auth_change_password(struct http_request *req, void *app)
{
    struct app *a = app;
    const struct api_principal *p = api_principal(req);
    size_t clen = 0, nlen = 0;
    const char *cur = auth_str(req, "current_password", &clen);
    const char *npw = auth_str(req, "new_password", &nlen);
    char hash[PASSWORD_HASH_MAX] = "";
    struct store_user u;
    int err = store_user_get(a->store, p->user_id, &u);
    if (err == RR_ERR_NOTFOUND)
        return RR_ERR_UNAUTHENTICATED;
    if (err < 0)
        return err;
    if (password_verify(u.password_hash, cur, clen) != 0) {
        err = http_reply_error(req, 403, "wrong_password", "the current password is incorrect",
                               NULL);
        goto out;
    }
    enum password_verdict v = password_check_policy(npw, nlen);
    if (v != PASSWORD_OK) {
        err = auth_policy_reply(req, "new_password", v);
        goto out;
    }
    err = password_hash(npw, nlen, hash);
    if (err < 0)
        goto out;
    err = store_user_set_password(a->store, u.id, hash);
    if (err < 0)
        goto out;
    err = store_refresh_revoke_user(a->store, u.id);
    if (err < 0)
        goto out;
    err = http_reply_bytes(req, 204, "", 0, NULL);
out:
    sodium_memzero(hash, sizeof hash);
    sodium_memzero(&u, sizeof u);
    return err;
}

const struct http_route api_auth_routes[] = {
    {HTTP_POST, "/v1/auth/register", auth_register, HTTP_AUTH_NONE, HTTP_BODY_JSON,
     "auth.register", "create an account", &register_schema, NULL},
    {HTTP_POST, "/v1/auth/login", auth_login, HTTP_AUTH_NONE, HTTP_BODY_JSON, "auth.login",
     "exchange email and password for an access and a refresh token", &login_schema, NULL},
    {HTTP_POST, "/v1/auth/refresh", auth_refresh, HTTP_AUTH_NONE, HTTP_BODY_JSON, "auth.refresh",
     "rotate a refresh token into a new token pair", &refresh_schema, NULL},
    {HTTP_POST, "/v1/auth/logout", auth_logout, HTTP_AUTH_NONE, HTTP_BODY_JSON, "auth.logout",
     "end the session (refresh token family)", &logout_schema, NULL},
    {HTTP_GET, "/v1/me", auth_me, HTTP_AUTH_REQUIRED, HTTP_BODY_NONE, "me.get",
     "the caller's account", NULL, NULL},
    {HTTP_POST, "/v1/me/password", auth_change_password, HTTP_AUTH_REQUIRED, HTTP_BODY_JSON,
     "me.password", "change the password; ends every session", &password_schema, NULL},
};
const size_t api_auth_routes_n = sizeof api_auth_routes / sizeof api_auth_routes[0];
