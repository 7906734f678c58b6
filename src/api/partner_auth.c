/*
 * partner_auth.c - the caller of a /v1/partner route: an org's API key (api.h,
 * api_authenticate_key; docs/internals/partners.md).
 *
 * Order, so each answer says the first thing that is wrong and nothing more:
 *   1. the key: "Authorization: Bearer rr_live_..." or "X-API-Key: rr_live_...", bounded
 *      before any work; malformed, unknown, wrong, revoked or expired -> 401, one body (why goes
 *      to the debug log only);
 *   2. the key's token bucket (app_apikey_limit, in the store, so every process counts
 *      together): every answer from here carries the IETF headers
 *          RateLimit-Policy: "key";q=<per minute>;w=60
 *          RateLimit: "key";r=<left>;t=<seconds until full>
 *      and an empty bucket is 429 rate_limited with Retry-After;
 *   3. the route's scope (struct http_route_doc) -> 403 insufficient_scope naming it, with
 *      WWW-Authenticate: Bearer error="insufficient_scope" (RFC 6750 §3.1).
 * Nothing is cached: a revoked key fails on its next request.
 */
#include "api/api.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "app/partners.h"
#include "base/rr_error.h"
#include "base/rr_log.h"
#include "http/request.h"

static int key_refuse(struct http_request *req, const char *why)
{
    rr_log(RR_LOG_DEBUG, "api key refused", RR_LOG_REQUEST_ID(http_request_id(req)),
           RR_LOG_STR("reason", why));
    http_reply_error(req, 401, "unauthenticated", "a valid API key is required", NULL);
    http_reply_header(req, "WWW-Authenticate", "Bearer realm=\"partner\"");
    return RR_ERR_UNAUTHENTICATED;
}

static void limit_headers(struct http_request *req, const struct app_limit *l)
{
    char v[96];
    snprintf(v, sizeof v, "\"key\";q=%u;w=%u", l->limit, l->window_s);
    http_reply_header(req, "RateLimit-Policy", v);
    snprintf(v, sizeof v, "\"key\";r=%u;t=%u", l->remaining, l->reset_s);
    http_reply_header(req, "RateLimit", v);
}

int api_authenticate_key(struct http_request *req, struct app *a)
{
    const char *h = http_request_header(req, "Authorization");
    const char *key = NULL;
    if (h && strncasecmp(h, "Bearer ", 7) == 0) {
        key = h + 7;
        while (*key == ' ')
            key++;
    } else if (!h) {
        key = http_request_header(req, "X-API-Key");
    }
    if (!key)
        return key_refuse(req, "no_key");
    size_t len = strnlen(key, TOKEN_MAX_LEN + 1);
    if (len == 0 || len > TOKEN_MAX_LEN)
        return key_refuse(req, "too_long");
    struct store_apikey k;
    const char *why = NULL;
    int err = app_apikey_authenticate(a, key, len, &k, &why);
    if (err == RR_ERR_UNAUTHENTICATED)
        return key_refuse(req, why ? why : "refused");
    if (err)
        return err;

    struct app_limit l;
    err = app_apikey_limit(a, &k, &l);
    if (err)
        return err;
    limit_headers(req, &l);
    if (!l.allowed) {
        char m[128];
        snprintf(m, sizeof m, "too many requests for this API key (%u a minute): retry in %u s",
                 l.limit, l.retry_after);
        http_reply_error(req, 429, "rate_limited", m, NULL);
        http_reply_retry_after(req, l.retry_after);
        return RR_ERR_BUSY;
    }

    const struct http_route *rt = http_request_route(req);
    size_t nd = 0;
    const struct http_route_doc *docs = api_route_docs(&nd);
    const struct http_route_doc *d = rt ? http_route_doc_find(docs, nd, rt->name) : NULL;
    unsigned need = 0;
    char msg[160];
    if (!d || !d->scope || app_scopes_parse(d->scope, &need, msg, sizeof msg) < 0) {
        rr_log(RR_LOG_ERROR, "partner route without a scope: refused",
               RR_LOG_STR("route", rt && rt->name ? rt->name : ""));
        return RR_ERR_INTERNAL; /* fail closed: a route must say what it needs */
    }
    if ((k.scopes & need) != need) {
        char m[160], www[160];
        snprintf(m, sizeof m, "this API key lacks the scope %s", d->scope);
        snprintf(www, sizeof www, "Bearer realm=\"partner\", error=\"insufficient_scope\", "
                                  "scope=\"%s\"", d->scope);
        http_reply_error(req, 403, "insufficient_scope", m, NULL);
        http_reply_header(req, "WWW-Authenticate", www);
        return RR_ERR_FORBIDDEN;
    }

    struct api_principal *p = http_request_alloc(req, sizeof *p);
    if (!p)
        return RR_ERR_NOMEM;
    memset(p, 0, sizeof *p);
    p->is_partner = 1;
    memcpy(p->org_id, k.org_id, sizeof p->org_id);
    memcpy(p->key_id, k.id, sizeof p->key_id);
    p->scopes = k.scopes;
    http_request_set_principal(req, p, NULL);
    return 0;
}
