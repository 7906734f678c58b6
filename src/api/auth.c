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
 *  - Throttling: every password check (login, the current password of a password change) and
 *    every registration goes through api/pwguard.h: keys per source, per account and source,
 *    and per device (a device cookie set at a successful login) or else per account for all
 *    untrusted clients, each a sliding window with growing back-off; the check peeks, only
 *    failures count, nothing locks out for good, and failures from elsewhere never block a
 *    device that logged in before.
 *  - Access tokens: HS256 JWT, 15 minutes, iss/aud/typ=access, key derived from the server
 *    secret. Refresh tokens: 256 random bits, stored only as HMAC(pepper), single use: every
 *    refresh rotates the token inside its family; presenting a spent token revokes the whole
 *    family (RFC 9700 §4.14.2), except that the client which spent it gets the same new token
 *    again within 10 s (two tabs refreshing at once; auth_refresh_next). Logout revokes the
 *    family; a password change revokes every family of the user; DELETE /v1/me (the password
 *    again, same limiter) deletes the account (app_account_delete) and with the user row gone
 *    every access token of it answers 401. Access tokens already issued stay valid until they expire (at most 15 min).
 *  - Bodies are validated by schemas (unknown fields such as "role" -> 400); responses never
 *    carry a hash.
 */
#include "api/api.h"
#include "api/pwguard.h"
#include "app/partners.h"

#include "auth/email.h"
#include "auth/jwt.h"
#include "auth/password.h"
#include "auth/token.h"
#include "base/rr_error.h"
#include "base/rr_json.h"
#include "base/rr_log.h"
#include "http/validate.h"
#include "store/store.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define AUTH_ACCESS_TTL_S 900
#define AUTH_REFRESH_TTL_S (30LL * 24 * 3600)
#define AUTH_REFRESH_MAX 128 /* a refresh token is 43 base64url characters */
#define AUTH_REFRESH_GRACE_MS 10000 /* the same client may present a spent token again */

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

static const struct validate_field delete_fields[] = {
    {.name = "password", .type = VALIDATE_STRING, .required = 1, .has_max = 1, .max = 4096,
     .description = "the current password: deleting the account asks for it again"},
};
static const struct validate_schema delete_schema = {"DeleteAccountRequest", delete_fields, 1};

/* ---- helpers ------------------------------------------------------------------------------ */

static const char *auth_str(struct http_request *req, const char *name, size_t *len)
{
    json_t *v = json_object_get(http_request_json(req), name);
    *len = json_string_length(v);
    return json_string_value(v);
}

/* The canonical form of an email (auth/email.h: NFC, full case folding, no control, format or
 * bidirectional characters) into out; after a 422 naming the field, 1. */
static int auth_email_norm(struct http_request *req, const char *in, size_t len,
                           char out[STORE_EMAIL_MAX + 1])
{
    static const struct {
        int err;
        const char *problem;
    } problems[] = {
        {RR_ERR_CORRUPT, "must be valid UTF-8"},
        {RR_ERR_INVAL, "must not contain control, invisible or bidirectional characters"},
        {RR_ERR_TOOBIG, "is too long"},
    };
    int err = email_canonical(in, len, out, STORE_EMAIL_MAX + 1);
    if (err == 0)
        return 0;
    for (size_t i = 0; i < sizeof problems / sizeof problems[0]; i++)
        if (problems[i].err == err) {
            validate_reply_param(req, "email", problems[i].problem);
            return 1;
        }
    return err;
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
    char message[96]; /* the reason itself, so a form can show the message as it is */
    snprintf(message, sizeof message, "the %s %s", strcmp(field, "password") == 0 ? "password"
                                                                                 : "new password",
             problem);
    return http_reply_error(req, 422, "validation_failed", message, d);
}

static int auth_reply_user(struct http_request *req, unsigned status, const struct store_user *u)
{
    char stack[1024];
    struct rr_json o;
    rr_json_init(&o, stack, sizeof stack, 4096);
    rr_json_object_begin(&o);
    RR_JSON_KEY(&o, "id");
    rr_json_string(&o, u->id);
    RR_JSON_KEY(&o, "email");
    rr_json_string(&o, u->email);
    RR_JSON_KEY(&o, "role");
    rr_json_string(&o, u->role);
    RR_JSON_KEY(&o, "created_at");
    rr_json_int(&o, u->created_at);
    RR_JSON_KEY(&o, "plan");
    rr_json_string(&o, u->plan);
    rr_json_object_end(&o);
    int err = http_reply_writer(req, status, &o);
    rr_json_release(&o);
    return err;
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
    /* the body holds both tokens: written on the stack and wiped once the reply has its copy */
    char stack[JWT_MAX_TOKEN + AUTH_REFRESH_MAX + 512];
    struct rr_json o;
    rr_json_init(&o, stack, sizeof stack, sizeof stack - 1);
    rr_json_object_begin(&o);
    RR_JSON_KEY(&o, "access_token");
    rr_json_string(&o, access);
    RR_JSON_KEY(&o, "token_type");
    rr_json_string(&o, "Bearer");
    RR_JSON_KEY(&o, "expires_in");
    rr_json_int(&o, AUTH_ACCESS_TTL_S);
    RR_JSON_KEY(&o, "refresh_token");
    rr_json_string(&o, refresh);
    RR_JSON_KEY(&o, "refresh_expires_in");
    rr_json_int(&o, AUTH_REFRESH_TTL_S);
    RR_JSON_KEY(&o, "user_id");
    rr_json_string(&o, user_id);
    rr_json_object_end(&o);
    sodium_memzero(access, sizeof access);
    err = http_reply_writer(req, status, &o);
    rr_json_release(&o);
    sodium_memzero(stack, sizeof stack);
    return err;
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

    err = auth_email_norm(req, email, elen, norm);
    if (err != 0)
        return err < 0 ? err : 0;
    err = pwguard_register(req, a); /* it tells whether an email is taken: throttled */
    if (err < 0)
        return err;
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
    if (strcmp(a->cfg.default_plan, u.plan) != 0 && /* REPRIGHT_DEFAULT_PLAN */
        store_user_set_plan(a->store, u.id, a->cfg.default_plan) == 0)
        snprintf(u.plan, sizeof u.plan, "%s", a->cfg.default_plan);
    err = auth_reply_user(req, 201, &u);
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
    struct pwguard guard;
    char ehash[TOKEN_HASH_HEX_SIZE];
    char refresh[AUTH_REFRESH_MAX] = "", rhash[TOKEN_HASH_HEX_SIZE];
    struct store_user u;
    int err = 0;
    memset(&u, 0, sizeof u);

    err = auth_email_norm(req, email, elen, norm);
    if (err != 0)
        return err < 0 ? err : 0;
    err = token_hash_hex(a->token_pepper, sizeof a->token_pepper, norm, strlen(norm), ehash);
    if (err < 0)
        goto out;
    pwguard_begin(&guard, req, a, ehash);
    err = pwguard_check(&guard, req, a);
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
        err = pwguard_failed(&guard, a);
        if (err < 0)
            goto out;
        err = http_reply_error(req, 401, "invalid_credentials", "email or password is incorrect",
                               NULL);
        goto out;
    }
    if (err < 0)
        goto out;

    err = pwguard_succeeded(&guard, req, a);
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

/* The successor of refresh token `old` for this client: base64url(HMAC(pepper, "refresh-next|"
 * ip "|" old)) and its stored hash. Deterministic, so one client presenting one token twice
 * within AUTH_REFRESH_GRACE_MS (two tabs refreshing at once) gets the same new token back
 * (store_refresh_rotate_grace); nobody without the old token and the pepper can compute it,
 * and another client's reuse names another hash, so it still revokes the family. */
static int auth_refresh_next(const struct app *a, const char *ip, const char *old, size_t len,
                             char tok[AUTH_REFRESH_MAX], char hash[TOKEN_HASH_HEX_SIZE])
{
    char msg[64 + AUTH_REFRESH_MAX + 64];
    uint8_t mac[TOKEN_HASH_BYTES];
    int n = snprintf(msg, sizeof msg, "refresh-next|%.63s|%.*s", ip, (int)len, old);
    if (n < 0 || (size_t)n >= sizeof msg)
        return RR_ERR_INVAL;
    int err = token_hash(a->token_pepper, sizeof a->token_pepper, msg, (size_t)n, mac);
    sodium_memzero(msg, sizeof msg);
    if (err < 0)
        return err;
    sodium_bin2base64(tok, AUTH_REFRESH_MAX, mac, sizeof mac,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(mac, sizeof mac);
    return token_hash_hex(a->token_pepper, sizeof a->token_pepper, tok, strlen(tok), hash);
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
    err = auth_refresh_next(a, http_request_client_ip(req), old, len, refresh, rhash);
    if (err < 0)
        goto out;
    /* the store decides; with Redis a replay is seen by every instance first (app/sessions.c) */
    err = app_refresh_rotate(a, old_hash, rhash, store_now(a->store) + AUTH_REFRESH_TTL_S * 1000,
                             AUTH_REFRESH_GRACE_MS, &fresh);
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
    err = auth_reply_user(req, 200, &u);
    sodium_memzero(&u, sizeof u);
    return err;
}

/* The signed-in user's password once more (`field` of the JSON body), through the login
 * limiter: a stolen access token must not be a way to guess the password, nor to act on it.
 * 1 when it matched (*u is the user; the caller wipes it), 0 when the 403 was answered, or a
 * negative error (the limiter's refusal included). */
static int auth_reverify(struct http_request *req, struct app *a, const char *field,
                         struct store_user *u)
{
    const struct api_principal *p = api_principal(req);
    size_t len = 0;
    const char *pw = auth_str(req, field, &len);
    char ehash[TOKEN_HASH_HEX_SIZE];
    struct pwguard guard;
    int err = store_user_get(a->store, p->user_id, u);
    if (err == RR_ERR_NOTFOUND)
        return RR_ERR_UNAUTHENTICATED;
    if (err < 0)
        return err;
    err = token_hash_hex(a->token_pepper, sizeof a->token_pepper, u->email, strlen(u->email), ehash);
    if (err < 0)
        return err;
    pwguard_begin(&guard, req, a, ehash);
    err = pwguard_check(&guard, req, a);
    if (err < 0)
        return err;
    if (password_verify(u->password_hash, pw, len) != 0) {
        err = pwguard_failed(&guard, a);
        if (err == 0)
            err = http_reply_error(req, 403, "wrong_password", "the current password is incorrect",
                                   NULL);
        return err < 0 ? err : 0;
    }
    err = pwguard_succeeded(&guard, req, a);
    return err < 0 ? err : 1;
}

static int auth_change_password(struct http_request *req, void *app)
{
    struct app *a = app;
    size_t nlen = 0;
    const char *npw = auth_str(req, "new_password", &nlen);
    char hash[PASSWORD_HASH_MAX] = "";
    struct store_user u;
    int err = auth_reverify(req, a, "current_password", &u);
    if (err <= 0)
        goto out;
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

/* The current password again (auth_reverify: a stolen access token must not delete the
 * account); then app_account_delete. 204 only once the user row is gone: every access token of
 * the user answers 401 from then on (auth_me). */
static int auth_delete_account(struct http_request *req, void *app)
{
    struct app *a = app;
    struct store_user u;
    int err = auth_reverify(req, a, "password", &u);
    if (err <= 0)
        goto out;
    err = app_account_delete(a, u.id);
    if (err == RR_ERR_NOTFOUND) /* deleted meanwhile by another request or an operator */
        err = RR_ERR_UNAUTHENTICATED;
    if (err < 0)
        goto out;
    rr_log(RR_LOG_INFO, "account deleted by its user", RR_LOG_REQUEST_ID(http_request_id(req)));
    err = http_reply_bytes(req, 204, "", 0, NULL);
out:
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
    {HTTP_DELETE, "/v1/me", auth_delete_account, HTTP_AUTH_REQUIRED, HTTP_BODY_JSON, "me.delete",
     "delete the account and everything derived from it (videos, workouts, sessions, consents); "
     "asks for the current password",
     &delete_schema, NULL},
};
const size_t api_auth_routes_n = sizeof api_auth_routes / sizeof api_auth_routes[0];
