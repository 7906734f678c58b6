/*
 * pwguard.c - the password-check and registration limiter (policy in pwguard.h).
 *
 * DESIGN: the keys of one check go through app_ratelimit_apply together (in Redis when the queue
 * is redis://, else in the store), so the check, the failure and the success are each one
 * transaction over the same states; the arithmetic is auth/ratelimit.h's. Rules: the auth module's login policy for the account+source and device
 * keys, the per-address rule with the account's back-off added for the source key, and a wider
 * window for the untrusted key, each overridable by the configuration.
 */
#include "api/pwguard.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "auth/ratelimit.h"
#include "base/rr_error.h"

#define DEVICE_COOKIE "rr_device"
#define DEVICE_TTL_S (365LL * 24 * 3600)
#define DEVICE_NONCE_HEX 32
#define DEVICE_MAX 128 /* nonce.expiry.mac: 32 + 1 + 19 + 1 + 64 */
#define UNTRUSTED_LIMIT 20
#define REGISTER_LIMIT 10
#define REGISTER_WINDOW_S 600

enum { KEY_SOURCE = 0, KEY_ACCOUNT_SOURCE = 1, KEY_DEVICE_OR_UNTRUSTED = 2 };
enum guard_op { OP_CHECK, OP_FAILED, OP_SUCCEEDED, OP_TAKE };

struct guard_ctx {
    struct ratelimit_rule rules[PWGUARD_KEYS];
    size_t n;
    int64_t now;
    enum guard_op op;
    int keep_last; /* OP_SUCCEEDED: the untrusted key is not forgiven */
    struct ratelimit_decision decision;
};

static void from_store(struct ratelimit_state *d, const struct store_rate_state *s)
{
    *d = (struct ratelimit_state){s->window_start, s->prev,          s->cur,
                                  s->strikes,      s->blocked_until, s->last_hit};
}

static void to_store(struct store_rate_state *d, const struct ratelimit_state *s)
{
    *d = (struct store_rate_state){s->window_start, s->prev,          s->cur,
                                   s->strikes,      s->blocked_until, s->last_hit};
}

static void combine(struct ratelimit_decision *all, const struct ratelimit_decision *d)
{
    all->allowed = all->allowed && d->allowed;
    if (d->retry_after > all->retry_after)
        all->retry_after = d->retry_after;
    if (d->remaining < all->remaining)
        all->remaining = d->remaining;
}

/* store_rate_fn over the n keys of one step */
static int guard_apply(void *ctx, struct store_rate_state *states, size_t n)
{
    struct guard_ctx *c = ctx;
    int err = 0;
    if (n != c->n)
        return RR_ERR_INTERNAL;
    c->decision = (struct ratelimit_decision){1, 0, UINT32_MAX};
    for (size_t i = 0; i < n && !err; i++) {
        struct ratelimit_state st;
        struct ratelimit_decision d;
        from_store(&st, &states[i]);
        switch (c->op) {
        case OP_CHECK: /* on a copy: a peek only rolls windows, which the next read redoes */
            err = ratelimit_peek(&c->rules[i], &st, c->now, &d);
            if (!err)
                combine(&c->decision, &d);
            continue;
        case OP_FAILED:
            err = ratelimit_hit(&c->rules[i], &st, c->now, NULL);
            break;
        case OP_SUCCEEDED:
            if (i == KEY_SOURCE || (c->keep_last && i == KEY_DEVICE_OR_UNTRUSTED))
                continue; /* a success neither spends nor refunds these */
            ratelimit_reset(&st);
            break;
        case OP_TAKE:
            err = ratelimit_take(&c->rules[i], &st, c->now, &d);
            if (!err)
                combine(&c->decision, &d);
            break;
        }
        to_store(&states[i], &st);
    }
    return err;
}

static void guard_rules(const struct app *a, int trusted, struct ratelimit_rule rules[3])
{
    const struct app_config *cfg = &a->cfg;
    struct ratelimit_rule account = ratelimit_login_account;
    if (cfg->login_account_limit > 0)
        account.limit = (uint32_t)cfg->login_account_limit;
    if (cfg->login_window_s > 0)
        account.window_s = (uint32_t)cfg->login_window_s;
    if (cfg->login_backoff_s > 0)
        account.backoff_base_s = (uint32_t)cfg->login_backoff_s;
    if (cfg->login_backoff_max_s > 0)
        account.backoff_max_s = (uint32_t)cfg->login_backoff_max_s;
    if (account.backoff_max_s < account.backoff_base_s)
        account.backoff_max_s = account.backoff_base_s;

    struct ratelimit_rule source = account; /* growing delays for an address too */
    source.limit = cfg->login_ip_limit > 0 ? (uint32_t)cfg->login_ip_limit
                                           : ratelimit_login_ip.limit;
    struct ratelimit_rule untrusted = account;
    untrusted.limit = cfg->login_untrusted_limit > 0 ? (uint32_t)cfg->login_untrusted_limit
                                                     : UNTRUSTED_LIMIT;
    rules[KEY_SOURCE] = source;
    rules[KEY_ACCOUNT_SOURCE] = account;
    rules[KEY_DEVICE_OR_UNTRUSTED] = trusted ? account : untrusted;
}

/* One step over the three keys; *decision is the combined verdict of OP_CHECK. */
static int guard_step(const struct pwguard *g, struct app *a, enum guard_op op,
                      struct ratelimit_decision *decision)
{
    struct guard_ctx c;
    memset(&c, 0, sizeof c);
    guard_rules(a, g->trusted, c.rules);
    c.n = PWGUARD_KEYS;
    c.now = store_now(a->store) / 1000;
    c.op = op;
    c.keep_last = !g->trusted;
    const char *const keys[PWGUARD_KEYS] = {g->keys[0], g->keys[1], g->keys[2]};
    int err = app_ratelimit_apply(a, keys, PWGUARD_KEYS, guard_apply, &c);
    *decision = c.decision;
    return err;
}

/* A denied decision: Retry-After staged, RR_ERR_RATELIMITED (the server answers 429). */
static int denied(struct http_request *req, const struct ratelimit_decision *d)
{
    http_reply_retry_after(req, d->retry_after ? d->retry_after : 1u);
    return RR_ERR_RATELIMITED;
}

/* ---- device cookies ----------------------------------------------------------------------- */

static int device_mac(const struct app *a, const char *account, const char *nonce, long long exp,
                      char mac[TOKEN_HASH_HEX_SIZE])
{
    char msg[256];
    int n = snprintf(msg, sizeof msg, "device|%s|%.*s|%lld", account, DEVICE_NONCE_HEX, nonce,
                     exp);
    if (n < 0 || (size_t)n >= sizeof msg)
        return RR_ERR_INVAL;
    return token_hash_hex(a->token_pepper, sizeof a->token_pepper, msg, (size_t)n, mac);
}

/* The value of cookie `name` in a Cookie header, copied into out; 0 when absent or too long. */
static int cookie_value(const char *header, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    for (const char *p = header; p && *p;) {
        while (*p == ' ' || *p == ';')
            p++;
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
            len -= nl + 1;
            if (len == 0 || len >= cap)
                return 0;
            memcpy(out, p + nl + 1, len);
            out[len] = '\0';
            return 1;
        }
        p = end;
    }
    return 0;
}

/* The nonce of a valid, unexpired device cookie for `account`, or 0. */
static int device_of(struct http_request *req, const struct app *a, const char *account,
                     char nonce[DEVICE_NONCE_HEX + 1])
{
    char v[DEVICE_MAX + 1], mac[TOKEN_HASH_HEX_SIZE];
    if (!cookie_value(http_request_header(req, "Cookie"), DEVICE_COOKIE, v, sizeof v))
        return 0;
    char *dot1 = strchr(v, '.');
    char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (!dot1 || !dot2 || dot1 - v != DEVICE_NONCE_HEX || strlen(dot2 + 1) != 64)
        return 0;
    for (const char *p = v; p < dot1; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    long long exp = 0;
    for (const char *p = dot1 + 1; p < dot2; p++) {
        if (*p < '0' || *p > '9' || exp > 1000000000000LL)
            return 0;
        exp = exp * 10 + (*p - '0');
    }
    if (exp < (long long)time(NULL) || device_mac(a, account, v, exp, mac) < 0 ||
        !token_equal(mac, dot2 + 1, 64))
        return 0;
    memcpy(nonce, v, DEVICE_NONCE_HEX);
    nonce[DEVICE_NONCE_HEX] = '\0';
    return 1;
}

static int device_set(struct pwguard *g, struct http_request *req, const struct app *a)
{
    char nonce[DEVICE_NONCE_HEX + 1], mac[TOKEN_HASH_HEX_SIZE], cookie[256];
    if (g->trusted) /* keep the device's identity: its key is where its failures count */
        memcpy(nonce, g->keys[KEY_DEVICE_OR_UNTRUSTED] + strlen("pw:device:"),
               DEVICE_NONCE_HEX + 1);
    else if (token_random(TOKEN_HEX, DEVICE_NONCE_HEX / 2, nonce, sizeof nonce) < 0)
        return RR_ERR_INTERNAL;
    long long exp = (long long)time(NULL) + DEVICE_TTL_S;
    int err = device_mac(a, g->account, nonce, exp, mac);
    if (err < 0)
        return err;
    snprintf(cookie, sizeof cookie,
             "%s=%s.%lld.%s; Max-Age=%lld; Path=/v1/; HttpOnly; SameSite=Strict", DEVICE_COOKIE,
             nonce, exp, mac, DEVICE_TTL_S);
    return http_reply_header(req, "Set-Cookie", cookie);
}

/* ---- the guard ---------------------------------------------------------------------------- */

void pwguard_begin(struct pwguard *g, struct http_request *req, const struct app *a,
                   const char *account_hash)
{
    char nonce[DEVICE_NONCE_HEX + 1];
    const char *ip = http_request_client_ip(req);
    memset(g, 0, sizeof *g);
    snprintf(g->account, sizeof g->account, "%s", account_hash);
    snprintf(g->keys[KEY_SOURCE], sizeof g->keys[0], "pw:src:%.200s", ip);
    snprintf(g->keys[KEY_ACCOUNT_SOURCE], sizeof g->keys[0], "pw:acct:%.64s:src:%.120s",
             account_hash, ip);
    g->trusted = device_of(req, a, account_hash, nonce);
    if (g->trusted)
        snprintf(g->keys[KEY_DEVICE_OR_UNTRUSTED], sizeof g->keys[0], "pw:device:%s", nonce);
    else
        snprintf(g->keys[KEY_DEVICE_OR_UNTRUSTED], sizeof g->keys[0], "pw:acct:%.64s:untrusted",
                 account_hash);
}

int pwguard_check(struct pwguard *g, struct http_request *req, struct app *a)
{
    struct ratelimit_decision d;
    int err = guard_step(g, a, OP_CHECK, &d);
    if (err < 0)
        return err;
    return d.allowed ? 0 : denied(req, &d);
}

int pwguard_failed(struct pwguard *g, struct app *a)
{
    struct ratelimit_decision d;
    return guard_step(g, a, OP_FAILED, &d);
}

int pwguard_succeeded(struct pwguard *g, struct http_request *req, struct app *a)
{
    struct ratelimit_decision d;
    int err = guard_step(g, a, OP_SUCCEEDED, &d);
    return err < 0 ? err : device_set(g, req, a);
}

int pwguard_register(struct http_request *req, struct app *a)
{
    const struct app_config *cfg = &a->cfg;
    char key[STORE_KEY_MAX + 1];
    snprintf(key, sizeof key, "register:src:%.200s", http_request_client_ip(req));
    const char *const keys[1] = {key};
    struct guard_ctx c;
    memset(&c, 0, sizeof c);
    c.rules[0] = (struct ratelimit_rule){
        .limit = cfg->register_limit > 0 ? (uint32_t)cfg->register_limit : REGISTER_LIMIT,
        .window_s = REGISTER_WINDOW_S};
    c.n = 1;
    c.now = store_now(a->store) / 1000;
    c.op = OP_TAKE;
    int err = app_ratelimit_apply(a, keys, 1, guard_apply, &c);
    if (err < 0)
        return err;
    return c.decision.allowed ? 0 : denied(req, &c.decision);
}
