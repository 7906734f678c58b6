/*
 * consent.c - the user side of partners (docs/internals/partners.md), with a user's session:
 *
 *   a member's consent:
 *     POST   /v1/me/partners {code, shares?}   link to the org of a one-time code
 *     GET    /v1/me/partners                   which orgs see what
 *     DELETE /v1/me/partners/{org_id}          withdraw consent (counts from the next request)
 *   the partner console, for a user who administers an org (`repright admin org add-admin`):
 *     GET    /v1/orgs                          the orgs the caller administers
 *     GET    /v1/orgs/{org_id}/keys            keys (prefix, scopes, expiry, state, last use)
 *     POST   /v1/orgs/{org_id}/keys            a new key, shown once
 *     DELETE /v1/orgs/{org_id}/keys/{key_id}   revoke
 *     GET    /v1/orgs/{org_id}/members         members and their consent, paged
 *     GET    /v1/orgs/{org_id}/invites         invite codes and their state
 *     POST   /v1/orgs/{org_id}/invites {days?} a new one-time code, shown once
 * An org the caller does not administer answers 404 like an unknown one (BOLA rule).
 */
#include "api/api.h"
#include "api/paging.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/partners.h"
#include "base/rr_error.h"
#include "base/rr_json.h"
#include "http/request.h"
#include "http/validate.h"

#define CONSENT_REPLY_MAX (2u << 20)

static const char *const share_values[] = {"profile", "workouts", "analytics", NULL};
static const char *const scope_values[] = {"members:read", "analytics:read", "workouts:read",
                                           "webhooks:write", NULL};

static const struct validate_field link_fields[] = {
    {.name = "code", .type = VALIDATE_STRING, .required = 1, .has_min = 1, .min = 1,
     .has_max = 1, .max = 64, .description = "the one-time code the gym gave (rrinv_...)"},
    {.name = "shares", .type = VALIDATE_ARRAY, .has_min = 1, .min = 1, .has_max = 1, .max = 3,
     .description = "what the org may see: profile, workouts, analytics (default: all three)"},
};
static const struct validate_schema link_schema = {"PartnerLinkRequest", link_fields,
                                                   sizeof link_fields / sizeof link_fields[0]};

static const struct validate_field key_fields[] = {
    {.name = "scopes", .type = VALIDATE_ARRAY, .required = 1, .has_min = 1, .min = 1,
     .has_max = 1, .max = 4,
     .description = "members:read, workouts:read, analytics:read, webhooks:write"},
    {.name = "name", .type = VALIDATE_STRING, .has_max = 1, .max = 100},
    {.name = "expires_days", .type = VALIDATE_INT, .has_min = 1, .min = 1, .has_max = 1,
     .max = 3650, .description = "absent: never expires"},
    {.name = "rate_per_min", .type = VALIDATE_INT, .has_min = 1, .min = 1, .has_max = 1,
     .max = APP_KEY_RATE_MAX, .description = "requests a minute (burst the same); default 120"},
};
static const struct validate_schema key_schema = {"ApiKeyCreateRequest", key_fields,
                                                  sizeof key_fields / sizeof key_fields[0]};

static const struct validate_field invite_fields[] = {
    {.name = "days", .type = VALIDATE_INT, .has_min = 1, .min = 1, .has_max = 1, .max = 90,
     .description = "days the code stays valid (default 7)"},
};
static const struct validate_schema invite_schema = {
    "InviteCreateRequest", invite_fields, sizeof invite_fields / sizeof invite_fields[0]};

/* Each string of a JSON array through parse (bit per name) into *bits; 1 after a 422. */
static int names_to_bits(struct http_request *req, json_t *arr, const char *field,
                         const char *const *allowed, unsigned *bits)
{
    size_t i;
    json_t *v;
    *bits = 0;
    json_array_foreach(arr, i, v) {
        const char *s = json_string_value(v);
        int bit = -1;
        for (int k = 0; s && allowed[k]; k++)
            if (strcmp(s, allowed[k]) == 0)
                bit = k;
        if (bit < 0) {
            char problem[160];
            size_t at = (size_t)snprintf(problem, sizeof problem, "must name only");
            for (int k = 0; allowed[k] && at < sizeof problem; k++)
                at += (size_t)snprintf(problem + at, sizeof problem - at, "%s %s",
                                       k ? "," : "", allowed[k]);
            validate_reply_param(req, field, problem);
            return 1;
        }
        unsigned b = 0;
        if (allowed == share_values)
            app_shares_parse_name(s, &b);
        else
            app_scopes_parse(s, &b, NULL, 0);
        *bits |= b;
    }
    return 0;
}

/* ---- the member's consent ------------------------------------------------------------------- */

static int me_partners_link(struct http_request *req, void *app)
{
    struct app *a = app;
    const struct api_principal *p = api_principal(req);
    json_t *body = http_request_json(req);
    const char *code = json_string_value(json_object_get(body, "code"));
    unsigned shares = APP_SHARES_ALL;
    json_t *sh = json_object_get(body, "shares");
    if (sh && names_to_bits(req, sh, "shares", share_values, &shares))
        return 0;
    struct store_org_member m;
    int err = app_partner_link(a, p->user_id, code, shares, &m);
    if (err == RR_ERR_NOTFOUND)
        return http_reply_error(req, 404, "not_found",
                                "this code is unknown, used or expired: ask your gym for a new one",
                                NULL);
    if (err)
        return err;
    struct rr_json o;
    rr_json_init(&o, NULL, 0, CONSENT_REPLY_MAX);
    app_json_member(&o, &m, 1);
    return api_reply_json(req, 201, &o);
}

static int me_partners_list(struct http_request *req, void *app)
{
    struct app *a = app;
    const struct api_principal *p = api_principal(req);
    struct store_org_member *items = NULL;
    size_t n = 0;
    int err = store_member_orgs(a->store, p->user_id, &items, &n);
    if (err)
        return err;
    struct rr_json o;
    rr_json_init(&o, NULL, 0, CONSENT_REPLY_MAX);
    api_list_begin(&o);
    for (size_t i = 0; i < n; i++)
        app_json_member(&o, &items[i], 1);
    api_list_end(&o);
    free(items);
    return api_reply_json(req, 200, &o);
}

static int me_partners_unlink(struct http_request *req, void *app)
{
    struct app *a = app;
    const struct api_principal *p = api_principal(req);
    int err = app_partner_unlink(a, p->user_id, http_request_param(req, "org_id"));
    if (err)
        return err;
    return http_reply_bytes(req, 204, "", 0, NULL);
}

/* ---- the console ------------------------------------------------------------------------------ */

/* The org of the path when the caller administers it: 0, or NOTFOUND (the one answer). */
static int console_org(struct http_request *req, struct app *a, const char **org_id)
{
    const struct api_principal *p = api_principal(req);
    *org_id = http_request_param(req, "org_id");
    return store_org_admin_check(a->store, *org_id, p->user_id);
}

static int orgs_list(struct http_request *req, void *app)
{
    struct app *a = app;
    const struct api_principal *p = api_principal(req);
    struct store_org *items = NULL;
    size_t n = 0;
    int err = store_org_list(a->store, p->user_id, &items, &n);
    if (err)
        return err;
    struct rr_json o;
    rr_json_init(&o, NULL, 0, CONSENT_REPLY_MAX);
    api_list_begin(&o);
    for (size_t i = 0; i < n; i++)
        app_json_org(&o, &items[i]);
    api_list_end(&o);
    free(items);
    return api_reply_json(req, 200, &o);
}

static int org_keys_list(struct http_request *req, void *app)
{
    struct app *a = app;
    const char *org;
    int err = console_org(req, a, &org);
    if (err)
        return err;
    struct store_apikey *items = NULL;
    size_t n = 0;
    err = store_apikey_list(a->store, org, &items, &n);
    if (err)
        return err;
    int64_t now = store_now(a->store);
    struct rr_json o;
    rr_json_init(&o, NULL, 0, CONSENT_REPLY_MAX);
    api_list_begin(&o);
    for (size_t i = 0; i < n; i++)
        app_json_apikey(&o, &items[i], now);
    api_list_end(&o);
    free(items);
    return api_reply_json(req, 200, &o);
}

static int org_keys_create(struct http_request *req, void *app)
{
    struct app *a = app;
    const char *org;
    int err = console_org(req, a, &org);
    if (err)
        return err;
    json_t *body = http_request_json(req);
    unsigned scopes = 0;
    if (names_to_bits(req, json_object_get(body, "scopes"), "scopes", scope_values, &scopes))
        return 0;
    json_t *ed = json_object_get(body, "expires_days"), *rp = json_object_get(body, "rate_per_min");
    struct app_new_key k;
    err = app_apikey_create(a, org, json_string_value(json_object_get(body, "name")), scopes,
                            ed ? (int)json_integer_value(ed) : 0,
                            rp ? (int)json_integer_value(rp) : 0, &k);
    if (err)
        return err;
    struct rr_json o;
    rr_json_init(&o, NULL, 0, CONSENT_REPLY_MAX);
    rr_json_object_begin(&o);
    RR_JSON_KEY(&o, "key");
    rr_json_string(&o, k.key);
    RR_JSON_KEY(&o, "record");
    app_json_apikey(&o, &k.rec, store_now(a->store));
    rr_json_object_end(&o);
    err = api_reply_json(req, 201, &o);
    sodium_memzero(&k, sizeof k);
    return err;
}

static int org_keys_revoke(struct http_request *req, void *app)
{
    struct app *a = app;
    const char *org;
    int err = console_org(req, a, &org);
    if (!err)
        err = app_apikey_revoke(a, org, http_request_param(req, "key_id"));
    if (err)
        return err;
    return http_reply_bytes(req, 204, "", 0, NULL);
}

static int org_members_list(struct http_request *req, void *app)
{
    struct app *a = app;
    const char *org;
    int err = console_org(req, a, &org);
    if (err)
        return err;
    struct api_page pg;
    if (api_page_query(req, 50, &pg))
        return 0;
    struct store_org_member *items = NULL;
    size_t n = 0;
    err = store_member_list(a->store, org, pg.cursor, pg.limit, &items, &n, pg.next);
    if (err)
        return api_page_store_error(req, err);
    struct rr_json o;
    rr_json_init(&o, NULL, 0, CONSENT_REPLY_MAX);
    api_list_begin(&o);
    for (size_t i = 0; i < n; i++)
        app_json_member(&o, &items[i], 0);
    free(items);
    api_page_end(&o, &pg);
    return api_reply_json(req, 200, &o);
}

static int org_invites_list(struct http_request *req, void *app)
{
    struct app *a = app;
    const char *org;
    int err = console_org(req, a, &org);
    if (err)
        return err;
    struct store_invite *items = NULL;
    size_t n = 0;
    err = store_invite_list(a->store, org, &items, &n);
    if (err)
        return err;
    int64_t now = store_now(a->store);
    struct rr_json o;
    rr_json_init(&o, NULL, 0, CONSENT_REPLY_MAX);
    api_list_begin(&o);
    for (size_t i = 0; i < n; i++)
        app_json_invite(&o, &items[i], now);
    api_list_end(&o);
    free(items);
    return api_reply_json(req, 200, &o);
}

static int org_invites_create(struct http_request *req, void *app)
{
    struct app *a = app;
    const char *org;
    int err = console_org(req, a, &org);
    if (err)
        return err;
    json_t *d = json_object_get(http_request_json(req), "days");
    struct store_invite inv;
    char code[APP_INVITE_CODE_LEN + 1], link[96];
    err = app_invite_create(a, org, d ? (int)json_integer_value(d) : APP_INVITE_DAYS_DEFAULT,
                            &inv, code);
    if (err)
        return err;
    snprintf(link, sizeof link, "/#/partners?code=%s", code);
    struct rr_json o;
    rr_json_init(&o, NULL, 0, CONSENT_REPLY_MAX);
    rr_json_object_begin(&o);
    RR_JSON_KEY(&o, "code");
    rr_json_string(&o, code);
    RR_JSON_KEY(&o, "link");
    rr_json_string(&o, link);
    RR_JSON_KEY(&o, "invite");
    app_json_invite(&o, &inv, store_now(a->store));
    rr_json_object_end(&o);
    return api_reply_json(req, 201, &o);
}

const struct http_route api_consent_routes[] = {
    {HTTP_POST, "/v1/me/partners", me_partners_link, HTTP_AUTH_REQUIRED, HTTP_BODY_JSON,
     "me.partners.link", "link to a gym with its one-time code (what it may see: shares)",
     &link_schema, NULL},
    {HTTP_GET, "/v1/me/partners", me_partners_list, HTTP_AUTH_REQUIRED, HTTP_BODY_NONE,
     "me.partners.list", "the orgs you linked to and what each may see", NULL, NULL},
    {HTTP_DELETE, "/v1/me/partners/{org_id}", me_partners_unlink, HTTP_AUTH_REQUIRED,
     HTTP_BODY_NONE, "me.partners.unlink",
     "withdraw your consent: the org sees nothing of you from its next request on", NULL, NULL},
    {HTTP_GET, "/v1/orgs", orgs_list, HTTP_AUTH_REQUIRED, HTTP_BODY_NONE, "orgs.list",
     "the organisations you administer (partner console)", NULL, NULL},
    {HTTP_GET, "/v1/orgs/{org_id}/keys", org_keys_list, HTTP_AUTH_REQUIRED, HTTP_BODY_NONE,
     "orgs.keys.list", "the org's API keys: prefix, scopes, expiry, state, last use", NULL, NULL},
    {HTTP_POST, "/v1/orgs/{org_id}/keys", org_keys_create, HTTP_AUTH_REQUIRED, HTTP_BODY_JSON,
     "orgs.keys.create", "a new API key: the key is in this answer only", &key_schema, NULL},
    {HTTP_DELETE, "/v1/orgs/{org_id}/keys/{key_id}", org_keys_revoke, HTTP_AUTH_REQUIRED,
     HTTP_BODY_NONE, "orgs.keys.revoke", "revoke a key now", NULL, NULL},
    {HTTP_GET, "/v1/orgs/{org_id}/members", org_members_list, HTTP_AUTH_REQUIRED,
     HTTP_BODY_NONE, "orgs.members.list", "linked members and what each shares, paged", NULL,
     NULL},
    {HTTP_GET, "/v1/orgs/{org_id}/invites", org_invites_list, HTTP_AUTH_REQUIRED, HTTP_BODY_NONE,
     "orgs.invites.list", "the org's invite codes and their state", NULL, NULL},
    {HTTP_POST, "/v1/orgs/{org_id}/invites", org_invites_create, HTTP_AUTH_REQUIRED,
     HTTP_BODY_JSON, "orgs.invites.create", "a one-time invite code (in this answer only)",
     &invite_schema, NULL},
};
const size_t api_consent_routes_n = sizeof api_consent_routes / sizeof api_consent_routes[0];
