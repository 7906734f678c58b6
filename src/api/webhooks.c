/*
 * webhooks.c - the partner's webhook endpoints and delivery log, thin over app/webhooks.c:
 *   POST   /v1/partner/webhooks              create {url, event_types}: 201, the secret once
 *   GET    /v1/partner/webhooks              the organisation's endpoints (no secrets)
 *   DELETE /v1/partner/webhooks/{id}         204; its delivery log goes too
 *   POST   /v1/partner/webhooks/{id}/test    202 {"event_id"}: a webhook.test event
 *   GET    /v1/partner/webhook-deliveries    the log, newest first (?endpoint_id, cursor, limit)
 *   POST   /v1/partner/webhook-deliveries/{id}/redeliver   202: the same event again
 * Every route is scoped to the principal's organisation (api_principal()->org_id, set by the
 * partner-key authentication, scope webhooks:write): another organisation's id answers 404, a
 * caller without an organisation 403 "partner_key_required". The same handlers serve the web
 * console under /v1/orgs/{org_id}/webhooks... and /v1/orgs/{org_id}/webhook-deliveries... for a
 * signed-in admin of that org (an org the caller does not administer is the one 404).
 */
#include "api/api.h"
#include "api/paging.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rr_error.h"
#include "base/rr_json.h"
#include "http/validate.h"
#include "store/store.h"

#define PAGE_DEFAULT 20

/* The organisation a request acts for, or NULL after staging the answer: on the partner routes
 * the API key's org (api_principal()->org_id); on the console routes (/v1/orgs/{org_id}/...) the
 * path's org when the signed-in user administers it, else the one 404 of an unknown org. */
static const char *org_of(struct http_request *req, struct app *a)
{
    const struct api_principal *p = api_principal(req);
    const char *path_org = http_request_param(req, "org_id");
    if (path_org) {
        if (p && p->user_id[0] && store_org_admin_check(a->store, path_org, p->user_id) == 0)
            return path_org;
        http_reply_error(req, 404, "not_found", "no such organisation", NULL);
        return NULL;
    }
    if (p && p->org_id[0])
        return p->org_id;
    http_reply_error(req, 403, "partner_key_required",
                     "webhooks belong to a partner organisation: call with a partner API key",
                     NULL);
    return NULL;
}

static void endpoint_json(struct rr_json *o, const struct store_webhook_endpoint *e, int secret)
{
    rr_json_object_begin(o);
    RR_JSON_KEY(o, "id");
    rr_json_string(o, e->id);
    RR_JSON_KEY(o, "url");
    rr_json_string(o, e->url);
    RR_JSON_KEY(o, "event_types");
    rr_json_array_begin(o);
    for (const char *p = e->event_types; *p;) {
        size_t n = strcspn(p, " ");
        rr_json_stringn(o, p, n);
        p += n;
        while (*p == ' ')
            p++;
    }
    rr_json_array_end(o);
    RR_JSON_KEY(o, "enabled");
    rr_json_bool(o, e->enabled);
    RR_JSON_KEY(o, "created_at");
    rr_json_time_ms(o, e->created_at);
    if (secret) {
        RR_JSON_KEY(o, "secret");
        rr_json_string(o, e->secret);
    }
    rr_json_object_end(o);
}

static const char *const status_names[] = {"pending", "delivered", "failed"};

static void delivery_json(struct rr_json *o, const struct store_webhook_delivery *d)
{
    rr_json_object_begin(o);
    RR_JSON_KEY(o, "id");
    rr_json_string(o, d->id);
    RR_JSON_KEY(o, "endpoint_id");
    rr_json_string(o, d->endpoint_id);
    RR_JSON_KEY(o, "event_id");
    rr_json_string(o, d->event_id);
    RR_JSON_KEY(o, "event_type");
    rr_json_string(o, d->event_type);
    RR_JSON_KEY(o, "member_id");
    rr_json_string(o, d->member_id[0] ? d->member_id : NULL);
    RR_JSON_KEY(o, "status");
    rr_json_string(o, status_names[d->status]);
    RR_JSON_KEY(o, "attempts");
    rr_json_int(o, d->attempts);
    RR_JSON_KEY(o, "last_status");
    if (d->last_status)
        rr_json_int(o, d->last_status);
    else
        rr_json_null(o);
    RR_JSON_KEY(o, "last_error");
    rr_json_string_lossy(o, d->last_error, strlen(d->last_error));
    RR_JSON_KEY(o, "next_attempt_at");
    if (d->status == STORE_DELIVERY_PENDING)
        rr_json_time_ms(o, d->next_attempt_at);
    else
        rr_json_null(o);
    RR_JSON_KEY(o, "created_at");
    rr_json_time_ms(o, d->created_at);
    RR_JSON_KEY(o, "delivered_at");
    if (d->delivered_at)
        rr_json_time_ms(o, d->delivered_at);
    else
        rr_json_null(o);
    rr_json_object_end(o);
}

static const struct validate_field create_fields[] = {
    {.name = "url", .type = VALIDATE_STRING, .required = 1, .has_min = 1, .min = 9,
     .has_max = 1, .max = STORE_WEBHOOK_URL_MAX,
     .description = "https URL of a public address (checked again at every delivery)"},
    {.name = "event_types", .type = VALIDATE_ARRAY, .required = 1, .has_min = 1, .min = 1,
     .has_max = 1, .max = APP_WEBHOOK_TYPES_MAX,
     .description = "analysis.completed, workout.synced, member.linked, member.unlinked"},
};
static const struct validate_schema create_schema = {
    "WebhookCreateRequest", create_fields, sizeof create_fields / sizeof create_fields[0]};

static int hooks_create(struct http_request *req, void *app)
{
    struct app *a = app;
    const char *org = org_of(req, app);
    if (!org)
        return 0;
    json_t *body = http_request_json(req);
    json_t *arr = json_object_get(body, "event_types");
    const char *types[APP_WEBHOOK_TYPES_MAX];
    size_t n = json_array_size(arr);
    for (size_t i = 0; i < n && i < APP_WEBHOOK_TYPES_MAX; i++) {
        types[i] = json_string_value(json_array_get(arr, i));
        if (!types[i] || !app_webhook_type_known(types[i])) {
            validate_reply_param(req, "event_types",
                                 "each must be one of analysis.completed, workout.synced, "
                                 "member.linked, member.unlinked");
            return 0;
        }
    }
    struct store_webhook_endpoint *e = malloc(sizeof *e);
    if (!e)
        return RR_ERR_NOMEM;
    char msg[256] = "";
    int rc = app_webhook_create(a, org, json_string_value(json_object_get(body, "url")), types, n,
                                e, msg, sizeof msg);
    if (rc == RR_ERR_INVAL || rc == RR_ERR_FORBIDDEN || rc == RR_ERR_NOTFOUND ||
        rc == RR_ERR_TOOBIG || rc == RR_ERR_TIMEOUT) {
        free(e);
        validate_reply_param(req, "url", msg[0] ? msg : "not an acceptable webhook URL");
        return 0;
    }
    if (rc == RR_ERR_CONFLICT) {
        free(e);
        return http_reply_error(req, 409, "too_many_endpoints", msg, NULL);
    }
    if (rc < 0) {
        free(e);
        return rc;
    }
    struct rr_json o;
    rr_json_init(&o, NULL, 0, 64 * 1024);
    endpoint_json(&o, e, 1); /* the only time the secret is shown */
    free(e);
    rc = http_reply_writer(req, 201, &o);
    rr_json_release(&o);
    return rc;
}

static int hooks_list(struct http_request *req, void *app)
{
    struct app *a = app;
    const char *org = org_of(req, app);
    if (!org)
        return 0;
    struct store_webhook_endpoint *items = NULL;
    size_t n = 0;
    int rc = store_webhook_endpoint_list(a->store, org, &items, &n);
    if (rc < 0)
        return rc;
    struct rr_json o;
    rr_json_init(&o, NULL, 0, 256 * 1024);
    api_list_begin(&o);
    for (size_t i = 0; i < n; i++)
        endpoint_json(&o, &items[i], 0);
    api_list_end(&o);
    free(items);
    rc = http_reply_writer(req, 200, &o);
    rr_json_release(&o);
    return rc;
}

static int hooks_delete(struct http_request *req, void *app)
{
    const char *org = org_of(req, app);
    if (!org)
        return 0;
    int rc = app_webhook_delete(app, org, http_request_param(req, "id"));
    return rc < 0 ? rc : http_reply_bytes(req, 204, "", 0, NULL);
}

static int hooks_test(struct http_request *req, void *app)
{
    const char *org = org_of(req, app);
    if (!org)
        return 0;
    char evt[STORE_WEBHOOK_EVENT_ID_MAX + 1];
    int rc = app_webhook_test(app, org, http_request_param(req, "id"), evt);
    if (rc < 0)
        return rc;
    struct rr_json o;
    char stack[256];
    rr_json_init(&o, stack, sizeof stack, 1024);
    rr_json_object_begin(&o);
    RR_JSON_KEY(&o, "event_id");
    rr_json_string(&o, evt);
    rr_json_object_end(&o);
    rc = http_reply_writer(req, 202, &o);
    rr_json_release(&o);
    return rc;
}

static int deliveries_list(struct http_request *req, void *app)
{
    struct app *a = app;
    const char *org = org_of(req, app);
    if (!org)
        return 0;
    struct api_page pg;
    if (api_page_query(req, PAGE_DEFAULT, &pg))
        return 0;
    const char *endpoint = http_request_query(req, "endpoint_id");
    if (endpoint && !endpoint[0])
        endpoint = NULL;
    struct store_webhook_delivery *items = NULL;
    size_t n = 0;
    int rc = store_webhook_delivery_list(a->store, org, endpoint, pg.cursor, pg.limit, &items, &n,
                                         pg.next);
    if (rc < 0)
        return api_page_store_error(req, rc);
    struct rr_json o;
    rr_json_init(&o, NULL, 0, 1024 * 1024);
    api_list_begin(&o);
    for (size_t i = 0; i < n; i++)
        delivery_json(&o, &items[i]);
    free(items);
    api_page_end(&o, &pg);
    rc = http_reply_writer(req, 200, &o);
    rr_json_release(&o);
    return rc;
}

static int deliveries_redeliver(struct http_request *req, void *app)
{
    const char *org = org_of(req, app);
    if (!org)
        return 0;
    int rc = app_webhook_redeliver(app, org, http_request_param(req, "id"));
    if (rc == RR_ERR_CONFLICT)
        return http_reply_error(req, 409, "delivery_pending",
                                "the delivery is still being attempted: redeliver it once it is "
                                "delivered or failed",
                                NULL);
    return rc < 0 ? rc : http_reply_bytes(req, 202, "", 0, NULL);
}

/* Each use case twice: for a partner API key (scope webhooks:write, partner_docs.c) and for the
 * web console of an org admin (a user's session, the org in the path). */
const struct http_route api_webhooks_routes[] = {
    {HTTP_POST, "/v1/partner/webhooks", hooks_create, HTTP_AUTH_KEY, HTTP_BODY_JSON,
     "webhooks.create", "create a webhook endpoint; the signing secret is shown once",
     &create_schema, NULL},
    {HTTP_GET, "/v1/partner/webhooks", hooks_list, HTTP_AUTH_KEY, HTTP_BODY_NONE,
     "webhooks.list", "the organisation's webhook endpoints", NULL, NULL},
    {HTTP_DELETE, "/v1/partner/webhooks/{id}", hooks_delete, HTTP_AUTH_KEY, HTTP_BODY_NONE,
     "webhooks.delete", "delete a webhook endpoint and its delivery log", NULL, NULL},
    {HTTP_POST, "/v1/partner/webhooks/{id}/test", hooks_test, HTTP_AUTH_KEY, HTTP_BODY_NONE,
     "webhooks.test", "send a webhook.test event to the endpoint", NULL, NULL},
    {HTTP_GET, "/v1/partner/webhook-deliveries", deliveries_list, HTTP_AUTH_KEY,
     HTTP_BODY_NONE, "webhooks.deliveries",
     "the delivery log, newest first (endpoint_id, cursor, limit <= 100)", NULL, NULL},
    {HTTP_POST, "/v1/partner/webhook-deliveries/{id}/redeliver", deliveries_redeliver,
     HTTP_AUTH_KEY, HTTP_BODY_NONE, "webhooks.redeliver",
     "send a delivered or failed event again (same webhook-id)", NULL, NULL},

    {HTTP_POST, "/v1/orgs/{org_id}/webhooks", hooks_create, HTTP_AUTH_REQUIRED, HTTP_BODY_JSON,
     "orgs.webhooks.create", "console: a webhook endpoint; the signing secret is shown once",
     &create_schema, NULL},
    {HTTP_GET, "/v1/orgs/{org_id}/webhooks", hooks_list, HTTP_AUTH_REQUIRED, HTTP_BODY_NONE,
     "orgs.webhooks.list", "console: the org's webhook endpoints", NULL, NULL},
    {HTTP_DELETE, "/v1/orgs/{org_id}/webhooks/{id}", hooks_delete, HTTP_AUTH_REQUIRED,
     HTTP_BODY_NONE, "orgs.webhooks.delete", "console: delete an endpoint and its delivery log",
     NULL, NULL},
    {HTTP_POST, "/v1/orgs/{org_id}/webhooks/{id}/test", hooks_test, HTTP_AUTH_REQUIRED,
     HTTP_BODY_NONE, "orgs.webhooks.test", "console: send a webhook.test event", NULL, NULL},
    {HTTP_GET, "/v1/orgs/{org_id}/webhook-deliveries", deliveries_list, HTTP_AUTH_REQUIRED,
     HTTP_BODY_NONE, "orgs.webhooks.deliveries",
     "console: the delivery log, newest first (endpoint_id, cursor, limit <= 100)", NULL, NULL},
    {HTTP_POST, "/v1/orgs/{org_id}/webhook-deliveries/{id}/redeliver", deliveries_redeliver,
     HTTP_AUTH_REQUIRED, HTTP_BODY_NONE, "orgs.webhooks.redeliver",
     "console: send a delivered or failed event again (same webhook-id)", NULL, NULL},
};
const size_t api_webhooks_routes_n = sizeof api_webhooks_routes / sizeof api_webhooks_routes[0];
