/*
 * plans.c - the freemium model's use cases: a user's plan and the plan above it, plan features
 * and quotas, feature flags (the one evaluation function), usage of a month, and the billing
 * provider's signed webhook events.
 *
 * DESIGN: plans are data (the plans table, migration "plans"): this file holds no limit values.
 * The count that decides an upload quota is taken in the transaction that inserts the video
 * (store_video_create_metered, called by app_ingest_upload); app_plan_upload_check is only the
 * early, friendly refusal before a byte is accepted. Flags: user rule > organisation rule > plan
 * rule > percentage rollout > off, where the rollout bucket is SHA-256(name || user id) mod 100,
 * so the same user gets the same answer on every process and after every restart, and raising
 * the percentage only ever adds users. docs/internals/plans.md.
 */
#include "app/app_int.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rr_error.h"

const char *const app_metrics[APP_METRICS_N] = {"uploads", "video_seconds"};

int app_user_plan(struct app *a, const char *user_id, struct store_user *u, struct store_plan *p)
{
    struct store_user scratch;
    if (!u)
        u = &scratch;
    int rc = store_user_get(a->store, user_id, u);
    if (rc < 0)
        return rc;
    rc = store_plan_get(a->store, u->plan, p);
    if (rc == RR_ERR_NOTFOUND)
        rc = store_plan_get(a->store, "free", p);
    return rc;
}

int app_plan_above(struct app *a, const struct store_plan *p, struct store_plan *next)
{
    struct store_plan *all = NULL;
    size_t n = 0;
    int rc = store_plan_list(a->store, &all, &n);
    if (rc < 0)
        return rc;
    rc = RR_ERR_NOTFOUND;
    for (size_t i = 0; i < n; i++)
        if (all[i].rank > p->rank) { /* listed by rank: the first above is the next */
            *next = all[i];
            rc = 0;
            break;
        }
    free(all);
    return rc;
}

static void limit_init(struct app *a, struct app_plan_limit *l, const char *name,
                       const struct store_plan *p, int64_t allowed, int64_t used)
{
    memset(l, 0, sizeof *l);
    l->limit = name;
    memcpy(l->plan, p->id, sizeof l->plan);
    l->allowed = allowed;
    l->used = used;
    l->has_next = app_plan_above(a, p, &l->next) == 0;
}

int app_plan_feature(struct app *a, const char *user_id, const char *feature,
                     struct app_plan_limit *why)
{
    struct store_plan p;
    if (!feature || (strcmp(feature, "heavy_model") != 0 && strcmp(feature, "overlay_video") != 0))
        return RR_ERR_INVAL;
    int rc = app_user_plan(a, user_id, NULL, &p);
    if (rc < 0)
        return rc;
    int ok = strcmp(feature, "heavy_model") == 0 ? p.heavy_model : p.overlay_video;
    if (ok)
        return 0;
    if (why)
        limit_init(a, why, strcmp(feature, "heavy_model") == 0 ? "heavy_model" : "overlay_video",
                   &p, 0, 1);
    return RR_ERR_FORBIDDEN;
}

/* The user's count of a metric this month. */
static int64_t used_this_month(struct app *a, const char *user_id, const char *metric,
                               const char *month)
{
    struct store_usage_row *rows = NULL;
    size_t n = 0;
    int64_t used = 0;
    if (store_usage_list(a->store, month, user_id, &rows, &n) < 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].metric, metric) == 0)
            used = rows[i].count;
    free(rows);
    return used;
}

int app_plan_upload_check(struct app *a, const char *user_id, struct app_plan_limit *why)
{
    struct store_plan p;
    char month[STORE_MONTH_LEN + 1];
    int rc = app_user_plan(a, user_id, NULL, &p);
    if (rc < 0)
        return rc;
    if (p.uploads_per_month < 0)
        return 0;
    store_month_of(store_now(a->store), month);
    int64_t used = used_this_month(a, user_id, "uploads", month);
    if (used < p.uploads_per_month)
        return 0;
    if (why)
        limit_init(a, why, "uploads_per_month", &p, p.uploads_per_month, used);
    return RR_ERR_QUOTA;
}

int64_t app_history_from(struct app *a, const char *user_id)
{
    struct store_plan p;
    if (app_user_plan(a, user_id, NULL, &p) < 0 || p.history_days < 0)
        return 0;
    int64_t from = store_now(a->store) - p.history_days * 86400LL * 1000;
    return from > 0 ? from : 0;
}

int64_t app_history_from_day(struct app *a, const char *user_id)
{
    const int64_t day = 86400LL * 1000;
    int64_t from = app_history_from(a, user_id);
    return (from + day - 1) / day * day; /* from >= 0: round up to a day start */
}

/* ---- feature flags ------------------------------------------------------------------------- */

int app_rollout_bucket(const char *name, const char *user_id)
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const unsigned char *)name, strlen(name));
    crypto_hash_sha256_update(&st, (const unsigned char *)user_id, strlen(user_id));
    crypto_hash_sha256_final(&st, h);
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | h[i];
    return (int)(v % 100);
}

static void flag_eval(const struct store_flag *f, const char *user_id, struct app_flag *out)
{
    memset(out, 0, sizeof *out);
    memcpy(out->name, f->name, sizeof out->name);
    out->rollout_percent = f->rollout_percent;
    if (f->user_rule >= 0) {
        out->enabled = f->user_rule;
        out->source = "user";
    } else if (f->org_rule >= 0) {
        out->enabled = f->org_rule;
        out->source = "org";
    } else if (f->plan_rule >= 0) {
        out->enabled = f->plan_rule;
        out->source = "plan";
    } else if (f->rollout_percent > 0) {
        out->enabled = app_rollout_bucket(f->name, user_id) < f->rollout_percent;
        out->source = "rollout";
    } else {
        out->source = "off";
    }
}

int app_flags(struct app *a, const char *user_id, struct app_flag **items, size_t *n)
{
    struct store_user u;
    struct store_plan p;
    struct store_flag *f = NULL;
    size_t nf = 0;
    *items = NULL;
    *n = 0;
    int rc = app_user_plan(a, user_id, &u, &p);
    if (rc < 0)
        return rc;
    rc = store_flag_list(a->store, u.id, u.org_id, p.id, &f, &nf);
    if (rc < 0)
        return rc;
    if (nf) {
        *items = calloc(nf, sizeof **items);
        if (!*items) {
            free(f);
            return RR_ERR_NOMEM;
        }
    }
    for (size_t i = 0; i < nf; i++)
        flag_eval(&f[i], u.id, &(*items)[i]);
    *n = nf;
    free(f);
    return 0;
}

int app_flag_enabled(struct app *a, const char *user_id, const char *name)
{
    struct app_flag *all = NULL;
    size_t n = 0;
    int on = 0;
    if (!name || app_flags(a, user_id, &all, &n) < 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(all[i].name, name) == 0)
            on = all[i].enabled;
    free(all);
    return on;
}

/* ---- usage --------------------------------------------------------------------------------- */

int app_usage(struct app *a, const char *user_id, const char *month, struct app_usage *out)
{
    struct store_usage_row *rows = NULL;
    size_t n = 0;
    memset(out, 0, sizeof *out);
    int rc = app_user_plan(a, user_id, &out->user, &out->plan);
    if (rc < 0)
        return rc;
    out->has_next = app_plan_above(a, &out->plan, &out->next) == 0;
    if (month)
        snprintf(out->month, sizeof out->month, "%s", month);
    else
        store_month_of(store_now(a->store), out->month);
    rc = store_usage_list(a->store, out->month, out->user.id, &rows, &n);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++)
        for (size_t m = 0; m < APP_METRICS_N; m++)
            if (strcmp(rows[i].metric, app_metrics[m]) == 0)
                out->used[m] = rows[i].count;
    free(rows);
    return 0;
}

/* ---- billing webhooks ---------------------------------------------------------------------- */

static void bmsg(char *msg, size_t len, const char *text)
{
    if (msg && len)
        snprintf(msg, len, "%s", text);
}

int app_billing_verify(struct app *a, const char *header, const void *body, size_t len,
                       int64_t now_s, char *msg, size_t msg_len)
{
    if (a->billing_secret_len == 0) {
        bmsg(msg, msg_len, "the billing webhook is not configured on this server");
        return RR_ERR_UNSUPPORTED;
    }
    if (!header || !header[0] || strlen(header) > 1024) {
        bmsg(msg, msg_len, "the Billing-Signature header is missing");
        return RR_ERR_INVAL;
    }
    /* t=DIGITS, then one or more v1=64HEX, comma separated, in any order */
    int64_t t = -1;
    unsigned char sigs[4][crypto_auth_hmacsha256_BYTES];
    int nsig = 0;
    const char *p = header;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t flen = end ? (size_t)(end - p) : strlen(p);
        while (flen && *p == ' ') {
            p++;
            flen--;
        }
        if (flen > 2 && strncmp(p, "t=", 2) == 0 && t < 0) {
            t = 0;
            for (size_t i = 2; i < flen; i++) {
                if (p[i] < '0' || p[i] > '9' || t > 1000000000000LL) {
                    t = -2;
                    break;
                }
                t = t * 10 + (p[i] - '0');
            }
        } else if (flen == 3 + 2 * crypto_auth_hmacsha256_BYTES && strncmp(p, "v1=", 3) == 0 &&
                   nsig < 4) {
            size_t got = 0;
            if (sodium_hex2bin(sigs[nsig], sizeof sigs[nsig], p + 3, flen - 3, NULL, &got,
                               NULL) == 0 &&
                got == crypto_auth_hmacsha256_BYTES)
                nsig++;
        }
        p += flen;
        if (*p == ',')
            p++;
    }
    if (t < 0 || nsig == 0) {
        bmsg(msg, msg_len,
             "the Billing-Signature header is malformed: expected t=UNIX_SECONDS,v1=HEX_HMAC");
        return RR_ERR_INVAL;
    }
    if (t < now_s - APP_BILLING_TOLERANCE_S || t > now_s + APP_BILLING_TOLERANCE_S) {
        bmsg(msg, msg_len, "the signature's timestamp is more than 5 minutes away from now");
        return RR_ERR_TIMEOUT;
    }
    char ts[24];
    int tl = snprintf(ts, sizeof ts, "%lld.", (long long)t);
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, a->billing_secret, a->billing_secret_len);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, (unsigned long long)tl);
    crypto_auth_hmacsha256_update(&st, body, len);
    crypto_auth_hmacsha256_final(&st, mac);
    int ok = 0;
    for (int i = 0; i < nsig; i++)
        ok |= sodium_memcmp(mac, sigs[i], sizeof mac) == 0;
    sodium_memzero(&st, sizeof st);
    if (!ok) {
        bmsg(msg, msg_len, "the signature does not match the body and timestamp");
        return RR_ERR_UNAUTHENTICATED;
    }
    return 0;
}

int app_billing_apply(struct app *a, const char *event_id, const char *type,
                      const char *user_ref, const char *plan, int *duplicate,
                      char user_id[STORE_ID_LEN + 1])
{
    struct store_user u;
    if (!user_ref || !user_ref[0])
        return RR_ERR_INVAL;
    int rc = strchr(user_ref, '@') ? store_user_get_by_email(a->store, user_ref, &u)
                                   : store_user_get(a->store, user_ref, &u);
    if (rc < 0)
        return rc;
    memcpy(user_id, u.id, STORE_ID_LEN + 1);
    rc = store_billing_apply(a->store, event_id, type, u.id, plan, duplicate);
    if (rc == 0 && !*duplicate)
        app_cache_invalidate(a, u.id); /* the plan's history window shapes the cached reads */
    return rc;
}

int app__billing_secret_load(struct app *a, char *msg, size_t msg_len)
{
    const char *v = getenv("REPRIGHT_BILLING_WEBHOOK_SECRET");
    const char *path = getenv("REPRIGHT_BILLING_WEBHOOK_SECRET_FILE");
    char buf[sizeof a->billing_secret + 1];
    size_t len = 0;
    a->billing_secret_len = 0;
    if (v && v[0]) {
        len = strlen(v);
        if (len >= sizeof buf) {
            bmsg(msg, msg_len, "REPRIGHT_BILLING_WEBHOOK_SECRET is over 255 bytes");
            return RR_ERR_TOOBIG;
        }
        memcpy(buf, v, len);
    } else if (path && path[0]) {
        FILE *f = fopen(path, "rb");
        if (!f) {
            bmsg(msg, msg_len, "REPRIGHT_BILLING_WEBHOOK_SECRET_FILE cannot be read");
            return RR_ERR_IO;
        }
        len = fread(buf, 1, sizeof buf, f);
        fclose(f);
        if (len >= sizeof buf) {
            bmsg(msg, msg_len, "REPRIGHT_BILLING_WEBHOOK_SECRET_FILE is over 255 bytes");
            return RR_ERR_TOOBIG;
        }
    } else {
        return 0; /* not configured: the endpoint answers 503 */
    }
    while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' '))
        len--;
    if (len < 16) {
        bmsg(msg, msg_len, "the billing webhook secret is shorter than 16 bytes");
        sodium_memzero(buf, sizeof buf);
        return RR_ERR_INVAL;
    }
    memcpy(a->billing_secret, buf, len);
    a->billing_secret_len = len;
    sodium_memzero(buf, sizeof buf);
    return 0;
}
