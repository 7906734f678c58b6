/*
 * partners.c - organisations, API keys, invites and consent (app/partners.h,
 * docs/internals/partners.md).
 *
 * DESIGN: nothing is cached between requests. A partner request reads its key row by the
 * public prefix (one indexed read), checks the peppered hash in constant time, takes a token
 * from the key's bucket (one small write, group-committed with the others) and reads the
 * member's consent row again; so revoking a key or a consent counts from the very next request,
 * in every server process sharing the store. last_used_at is written at most once a minute
 * per key (a conditional UPDATE), not on every request.
 */
#include "app/partners.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth/bucket.h"
#include "base/rr_error.h"
#include "base/rr_log.h"

static const char *const scope_names[] = {"members:read", "workouts:read", "analytics:read",
                                          "webhooks:write"};
static const char *const share_names[] = {"profile", "workouts", "analytics"};
#define N_SCOPES (sizeof scope_names / sizeof scope_names[0])
#define N_SHARES (sizeof share_names / sizeof share_names[0])

const char *app_scope_name(unsigned bit)
{
    for (size_t i = 0; i < N_SCOPES; i++)
        if (bit == 1u << i)
            return scope_names[i];
    return NULL;
}

const char *app_share_name(unsigned bit)
{
    for (size_t i = 0; i < N_SHARES; i++)
        if (bit == 1u << i)
            return share_names[i];
    return NULL;
}

int app_shares_parse_name(const char *name, unsigned *bit)
{
    for (size_t i = 0; name && i < N_SHARES; i++)
        if (strcmp(name, share_names[i]) == 0) {
            *bit = 1u << i;
            return 0;
        }
    return RR_ERR_INVAL;
}

int app_scopes_parse(const char *csv, unsigned *out, char *msg, size_t msg_len)
{
    *out = 0;
    if (!csv || !csv[0]) {
        snprintf(msg, msg_len, "no scopes given");
        return RR_ERR_INVAL;
    }
    const char *p = csv;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        unsigned bit = 0;
        for (size_t i = 0; i < N_SCOPES; i++)
            if (strlen(scope_names[i]) == len && strncmp(p, scope_names[i], len) == 0)
                bit = 1u << i;
        if (!bit) {
            snprintf(msg, msg_len, "unknown scope \"%.*s\" (known: members:read, workouts:read, "
                     "analytics:read, webhooks:write)", (int)(len > 40 ? 40 : len), p);
            return RR_ERR_INVAL;
        }
        *out |= bit;
        p += len;
        if (*p == ',')
            p++;
    }
    return 0;
}

const char *app_scopes_format(unsigned scopes, char *buf, size_t len)
{
    size_t at = 0;
    if (len)
        buf[0] = '\0';
    for (size_t i = 0; i < N_SCOPES; i++) {
        if (!(scopes & (1u << i)))
            continue;
        int w = snprintf(buf + at, len - at, "%s%s", at ? "," : "", scope_names[i]);
        if (w < 0 || (size_t)w >= len - at)
            break;
        at += (size_t)w;
    }
    return buf;
}

int app_org_create(struct app *a, const char *name, struct store_org *out)
{
    return store_org_create(a->store, name, out);
}

int app_org_add_admin(struct app *a, const char *org_id, const char *email)
{
    struct store_user u;
    struct store_org o;
    int err = store_org_get(a->store, org_id, &o);
    if (!err)
        err = store_user_get_by_email(a->store, email, &u);
    if (!err)
        err = store_org_admin_add(a->store, org_id, u.id);
    return err;
}

int app_apikey_create(struct app *a, const char *org_id, const char *name, unsigned scopes,
                      int expires_days, int rate_per_min, struct app_new_key *out)
{
    memset(out, 0, sizeof *out);
    if (!scopes || (scopes & ~(unsigned)APP_SCOPES_ALL) || expires_days < 0 ||
        expires_days > 3650 || rate_per_min < 0 || rate_per_min > APP_KEY_RATE_MAX)
        return RR_ERR_INVAL;
    if (name && strlen(name) > STORE_KEY_NAME_MAX)
        return RR_ERR_TOOBIG;
    struct store_org o;
    int err = store_org_get(a->store, org_id, &o);
    if (err)
        return err;
    struct token_apikey tk;
    for (int attempt = 0; attempt < 3; attempt++) { /* a prefix collision (48 bits) is rare */
        err = token_apikey_new(&tk);
        if (!err)
            err = token_hash_hex(a->token_pepper, sizeof a->token_pepper, tk.key, strlen(tk.key),
                                 out->rec.key_hash);
        if (err)
            break;
        memcpy(out->rec.org_id, o.id, sizeof o.id);
        snprintf(out->rec.name, sizeof out->rec.name, "%s", name ? name : "");
        memcpy(out->rec.prefix, tk.prefix, sizeof tk.prefix);
        out->rec.scopes = scopes;
        out->rec.rate_per_min = rate_per_min;
        out->rec.expires_at =
            expires_days ? store_now(a->store) + (int64_t)expires_days * 86400 * 1000 : 0;
        err = store_apikey_create(a->store, &out->rec);
        if (err != RR_ERR_CONFLICT)
            break;
    }
    if (!err)
        memcpy(out->key, tk.key, sizeof out->key);
    sodium_memzero(&tk, sizeof tk);
    return err;
}

int app_apikey_revoke(struct app *a, const char *org_id, const char *key_id)
{
    return store_apikey_revoke(a->store, org_id, key_id);
}

int app_apikey_authenticate(struct app *a, const char *key, size_t len, struct store_apikey *out,
                            const char **why)
{
    char prefix[TOKEN_APIKEY_PREFIX_LEN + 1];
    const char *dummy = NULL;
    if (!why)
        why = &dummy;
    if (token_apikey_parse(key, len, prefix) < 0) {
        *why = "malformed";
        return RR_ERR_UNAUTHENTICATED;
    }
    int err = store_apikey_get_by_prefix(a->store, prefix, out);
    if (err == RR_ERR_NOTFOUND) {
        /* the same HMAC as a known prefix, so timing does not tell which prefixes exist */
        static const char zeros[TOKEN_HASH_HEX_SIZE] =
            "0000000000000000000000000000000000000000000000000000000000000000";
        (void)token_check(a->token_pepper, sizeof a->token_pepper, key, len, zeros);
        *why = "unknown";
        return RR_ERR_UNAUTHENTICATED;
    }
    if (err)
        return err;
    if (token_check(a->token_pepper, sizeof a->token_pepper, key, len, out->key_hash) != 0) {
        *why = "mismatch";
        return RR_ERR_UNAUTHENTICATED;
    }
    int64_t now = store_now(a->store);
    if (out->revoked_at) {
        *why = "revoked";
        return RR_ERR_UNAUTHENTICATED;
    }
    if (out->expires_at && out->expires_at <= now) {
        *why = "expired";
        return RR_ERR_UNAUTHENTICATED;
    }
    if (now - out->last_used_at >= APP_KEY_TOUCH_MS) {
        int terr = store_apikey_touch(a->store, out->id, APP_KEY_TOUCH_MS);
        if (terr < 0) /* bookkeeping: the request goes on */
            rr_log(RR_LOG_WARN, "api key last use not recorded", RR_LOG_STR("key_id", out->id),
                   RR_LOG_STR("error", rr_strerror(terr)));
    }
    *why = "ok";
    return 0;
}

/* ---- the key's token bucket, through store_ratelimit_apply ---------------------------------- */

struct limit_ctx {
    struct bucket_rule rule;
    int64_t now_ms;
    struct bucket_decision d;
};

static int limit_apply(void *ctx, struct store_rate_state *states, size_t n)
{
    struct limit_ctx *c = ctx;
    if (n != 1)
        return RR_ERR_INVAL;
    struct ratelimit_state st = {states[0].window_start, states[0].prev, states[0].cur,
                                 states[0].strikes,      states[0].blocked_until,
                                 states[0].last_hit};
    int err = bucket_take(&c->rule, &st, c->now_ms, &c->d);
    if (err)
        return err;
    states[0].cur = st.cur;
    states[0].last_hit = st.last_hit;
    return 0;
}

int app_apikey_limit(struct app *a, const struct store_apikey *k, struct app_limit *out)
{
    char key[16 + STORE_ID_LEN];
    snprintf(key, sizeof key, "apikey:%s", k->id);
    const char *keys[1] = {key};
    struct limit_ctx c = {{0}, store_now(a->store), {0}};
    c.rule.capacity = (uint32_t)(k->rate_per_min > 0 ? k->rate_per_min : APP_KEY_RATE_DEFAULT);
    c.rule.window_s = 60;
    memset(out, 0, sizeof *out);
    int err = store_ratelimit_apply(a->store, keys, 1, limit_apply, &c);
    if (err)
        return err;
    out->allowed = c.d.allowed;
    out->limit = c.rule.capacity;
    out->window_s = c.rule.window_s;
    out->remaining = c.d.remaining;
    out->reset_s = c.d.reset_s;
    out->retry_after = c.d.retry_after;
    return 0;
}

/* ---- invites and consent ---------------------------------------------------------------------- */

#define INVITE_TAG "rrinv_"

/* Upper-case a presented code (codes are case-insensitive) into buf; INVAL when it cannot be
 * one of ours. */
static int invite_normalise(const char *code, char buf[APP_INVITE_CODE_LEN + 1])
{
    size_t n = code ? strnlen(code, APP_INVITE_CODE_LEN + 1) : 0;
    if (n != APP_INVITE_CODE_LEN || strncasecmp(code, INVITE_TAG, 6) != 0)
        return RR_ERR_INVAL;
    memcpy(buf, INVITE_TAG, 6);
    for (size_t i = 6; i < n; i++) {
        char ch = code[i];
        if (ch >= 'a' && ch <= 'z')
            ch = (char)(ch - 'a' + 'A');
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= '2' && ch <= '7')))
            return RR_ERR_INVAL;
        buf[i] = ch;
    }
    buf[n] = '\0';
    return 0;
}

int app_invite_create(struct app *a, const char *org_id, int days, struct store_invite *out,
                      char code_out[APP_INVITE_CODE_LEN + 1])
{
    static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    memset(out, 0, sizeof *out);
    code_out[0] = '\0';
    if (days < 1 || days > 90)
        return RR_ERR_INVAL;
    struct store_org o;
    int err = store_org_get(a->store, org_id, &o);
    if (err)
        return err;
    unsigned char raw[APP_INVITE_CODE_LEN - 6];
    char code[APP_INVITE_CODE_LEN + 1];
    randombytes_buf(raw, sizeof raw);
    memcpy(code, INVITE_TAG, 6);
    for (size_t i = 0; i < sizeof raw; i++)
        code[6 + i] = b32[raw[i] & 31]; /* 5 uniform bits per character: 130 bits */
    code[APP_INVITE_CODE_LEN] = '\0';
    sodium_memzero(raw, sizeof raw);
    memcpy(out->org_id, o.id, sizeof o.id);
    out->expires_at = store_now(a->store) + (int64_t)days * 86400 * 1000;
    err = token_hash_hex(a->token_pepper, sizeof a->token_pepper, code, strlen(code),
                         out->code_hash);
    if (!err)
        err = store_invite_create(a->store, out);
    out->code_hash[0] = '\0';
    if (!err)
        memcpy(code_out, code, sizeof code);
    sodium_memzero(code, sizeof code);
    return err;
}

int app_partner_link(struct app *a, const char *user_id, const char *code, unsigned shares,
                     struct store_org_member *out)
{
    char norm[APP_INVITE_CODE_LEN + 1];
    char hash[TOKEN_HASH_HEX_SIZE];
    if (!shares || (shares & ~(unsigned)APP_SHARES_ALL))
        return RR_ERR_INVAL;
    if (invite_normalise(code, norm) < 0)
        return RR_ERR_NOTFOUND; /* not a code of ours: the one answer for bad codes */
    int err = token_hash_hex(a->token_pepper, sizeof a->token_pepper, norm, strlen(norm), hash);
    /* what the member shares, for the org to know what it may read now; recorded with the
     * consent (store.h "partner outbox") */
    char data[96];
    size_t at = (size_t)snprintf(data, sizeof data, "{\"shares\":[");
    for (unsigned bit = 1, k = 0; bit <= APP_SHARES_ALL && at < sizeof data; bit <<= 1)
        if ((shares & bit) && app_share_name(bit))
            at += (size_t)snprintf(data + at, sizeof data - at, "%s\"%s\"", k++ ? "," : "",
                                   app_share_name(bit));
    if (at < sizeof data)
        snprintf(data + at, sizeof data - at, "]}");
    const struct store_outbox_event ev = {APP_WEBHOOK_MEMBER_LINKED, 0, data};
    if (!err)
        err = store_invite_redeem_ev(a->store, hash, user_id, shares, out, &ev);
    if (!err)
        (void)app_outbox_drain(a, user_id, NULL);
    return err;
}

int app_partner_unlink(struct app *a, const char *user_id, const char *org_id)
{
    /* recorded with the removal, read while the consent row is still there; the org hears it
     * although the row is gone (an emit reads only its endpoints) */
    const struct store_outbox_event ev = {APP_WEBHOOK_MEMBER_UNLINKED, 0,
                                          APP_UNLINK_DATA_REVOKED};
    int err = store_member_unlink_ev(a->store, user_id, org_id, &ev);
    if (!err)
        (void)app_outbox_drain(a, user_id, NULL);
    return err;
}

int app_partner_member(struct app *a, const char *org_id, const char *member_id, unsigned share,
                       struct store_org_member *out)
{
    int err = store_member_get(a->store, org_id, member_id, out);
    if (!err && !(out->shares & share))
        err = RR_ERR_NOTFOUND;
    return err;
}
