/*
 * plans.c - the freemium routes: the plans (GET /v1/plans, public), the caller's plan and usage
 * this month (GET /v1/me/usage), the caller's feature flags (GET /v1/me/flags), the billing
 * provider's webhook (POST /v1/billing/webhook), and the one 402/403 reply every route sends
 * when a plan refuses something (api_reply_plan_limit).
 *
 * The webhook is provider-neutral: Billing-Signature: t=UNIX_SECONDS,v1=HEX where HEX is
 * HMAC-SHA256(secret, "t.body") (app_billing_verify), body {"id": EVENT_ID, "type":
 * "subscription.updated" | "subscription.created" | "subscription.deleted", "data": {"user":
 * EMAIL_OR_ID, "plan": PLAN}} ("deleted" moves the user to "free"). The raw body is kept (a
 * stream route, at most BILLING_BODY_MAX bytes) because the signature covers its exact bytes.
 * An event id seen before answers 200 {"duplicate": true} and changes nothing.
 */
#include "api/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/rr_error.h"
#include "base/rr_json.h"
#include "base/rr_log.h"

#define BILLING_BODY_MAX 65536

static const char *caller(const struct http_request *req)
{
    const struct api_principal *p = api_principal(req);
    return p ? p->user_id : NULL;
}

static void plan_json(struct rr_json *o, const struct store_plan *p)
{
    rr_json_object_begin(o);
    RR_JSON_KEY(o, "id");
    rr_json_string(o, p->id);
    RR_JSON_KEY(o, "name");
    rr_json_string(o, p->name);
    RR_JSON_KEY(o, "rank");
    rr_json_int(o, p->rank);
    RR_JSON_KEY(o, "uploads_per_month");
    rr_json_int(o, p->uploads_per_month);
    RR_JSON_KEY(o, "max_video_s");
    rr_json_int(o, p->max_video_s);
    RR_JSON_KEY(o, "history_days");
    rr_json_int(o, p->history_days);
    RR_JSON_KEY(o, "heavy_model");
    rr_json_bool(o, p->heavy_model);
    RR_JSON_KEY(o, "overlay_video");
    rr_json_bool(o, p->overlay_video);
    RR_JSON_KEY(o, "price_cents");
    rr_json_int(o, p->price_cents);
    rr_json_object_end(o);
}

/* A plan's value of a named limit, for "what the plan above offers". */
static int64_t plan_value(const struct store_plan *p, const char *limit)
{
    if (strcmp(limit, "uploads_per_month") == 0)
        return p->uploads_per_month;
    if (strcmp(limit, "max_video_s") == 0)
        return p->max_video_s;
    if (strcmp(limit, "heavy_model") == 0)
        return p->heavy_model;
    if (strcmp(limit, "overlay_video") == 0)
        return p->overlay_video;
    return 0;
}

static const char *words(const char *limit)
{
    if (strcmp(limit, "uploads_per_month") == 0)
        return "uploads a month";
    if (strcmp(limit, "max_video_s") == 0)
        return "seconds of video per clip";
    if (strcmp(limit, "heavy_model") == 0)
        return "the most accurate (heavy) pose model";
    return "the overlay video";
}

int api_reply_plan_limit(struct http_request *req, const struct app_plan_limit *l)
{
    int feature = l->allowed == 0 && (strcmp(l->limit, "heavy_model") == 0 ||
                                      strcmp(l->limit, "overlay_video") == 0);
    char msg[400], up[160] = "";
    if (l->has_next) {
        int64_t nv = plan_value(&l->next, l->limit);
        if (feature)
            snprintf(up, sizeof up, "; the %s plan includes it", l->next.name);
        else if (nv < 0)
            snprintf(up, sizeof up, "; the %s plan has no limit", l->next.name);
        else
            snprintf(up, sizeof up, "; the %s plan allows %lld", l->next.name, (long long)nv);
    }
    if (feature)
        snprintf(msg, sizeof msg, "your %s plan does not include %s%s", l->plan, words(l->limit),
                 up);
    else
        snprintf(msg, sizeof msg, "your %s plan allows %lld %s and this is %lld%s", l->plan,
                 (long long)l->allowed, words(l->limit), (long long)l->used, up);
    json_t *d = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "field", l->limit, "problem",
                          feature ? "not in your plan" : "plan limit reached", "limit", l->limit,
                          "plan", l->plan, "allowed", (json_int_t)l->allowed, "used",
                          (json_int_t)l->used);
    if (d && l->has_next)
        json_object_set_new(d, "upgrade",
                            json_pack("{s:s, s:s, s:I, s:I}", "plan", l->next.id, "name",
                                      l->next.name, "allowed",
                                      (json_int_t)plan_value(&l->next, l->limit), "price_cents",
                                      (json_int_t)l->next.price_cents));
    json_t *arr = json_array();
    if (arr && d)
        json_array_append_new(arr, d);
    else
        json_decref(d);
    return http_reply_error(req, feature ? 403 : 402,
                            feature ? "feature_not_in_plan" : "plan_limit_reached", msg, arr);
}

static int reply(struct http_request *req, struct rr_json *o)
{
    int rc = http_reply_writer(req, 200, o);
    rr_json_release(o);
    if (rc == 0)
        http_reply_header(req, "Cache-Control", "no-store");
    return rc;
}

static int plans_list(struct http_request *req, void *app)
{
    struct app *a = app;
    struct store_plan *p = NULL;
    size_t n = 0;
    int rc = store_plan_list(a->store, &p, &n);
    if (rc < 0)
        return rc;
    struct rr_json o;
    char stack[2048];
    rr_json_init(&o, stack, sizeof stack, 65536);
    rr_json_object_begin(&o);
    RR_JSON_KEY(&o, "plans");
    rr_json_array_begin(&o);
    for (size_t i = 0; i < n; i++)
        plan_json(&o, &p[i]);
    rr_json_array_end(&o);
    rr_json_object_end(&o);
    free(p);
    return reply(req, &o);
}

static int me_usage(struct http_request *req, void *app)
{
    struct app *a = app;
    struct app_usage *u = malloc(sizeof *u);
    if (!u)
        return RR_ERR_NOMEM;
    const char *month = http_request_query(req, "month");
    int rc = app_usage(a, caller(req), month && month[0] ? month : NULL, u);
    if (rc == RR_ERR_INVAL) {
        free(u);
        return http_reply_error(req, 400, "invalid_request", "month must be YYYY-MM", NULL);
    }
    if (rc < 0) {
        free(u);
        return rc;
    }
    struct rr_json o;
    char stack[2048];
    rr_json_init(&o, stack, sizeof stack, 65536);
    rr_json_object_begin(&o);
    RR_JSON_KEY(&o, "month");
    rr_json_string(&o, u->month);
    RR_JSON_KEY(&o, "plan");
    plan_json(&o, &u->plan);
    RR_JSON_KEY(&o, "next_plan");
    if (u->has_next)
        plan_json(&o, &u->next);
    else
        rr_json_null(&o);
    RR_JSON_KEY(&o, "org_id");
    if (u->user.org_id[0])
        rr_json_string(&o, u->user.org_id);
    else
        rr_json_null(&o);
    RR_JSON_KEY(&o, "usage");
    rr_json_object_begin(&o);
    for (size_t m = 0; m < APP_METRICS_N; m++) {
        rr_json_key(&o, app_metrics[m]);
        rr_json_int(&o, u->used[m]);
    }
    rr_json_object_end(&o);
    RR_JSON_KEY(&o, "limits");
    rr_json_object_begin(&o);
    RR_JSON_KEY(&o, "uploads");
    rr_json_int(&o, u->plan.uploads_per_month);
    rr_json_object_end(&o);
    rr_json_object_end(&o);
    free(u);
    return reply(req, &o);
}

static int me_flags(struct http_request *req, void *app)
{
    struct app_flag *f = NULL;
    size_t n = 0;
    int rc = app_flags(app, caller(req), &f, &n);
    if (rc < 0)
        return rc;
    struct rr_json o;
    char stack[2048];
    rr_json_init(&o, stack, sizeof stack, 262144);
    rr_json_object_begin(&o);
    RR_JSON_KEY(&o, "flags");
    rr_json_object_begin(&o);
    for (size_t i = 0; i < n; i++) {
        rr_json_key(&o, f[i].name);
        rr_json_bool(&o, f[i].enabled);
    }
    rr_json_object_end(&o);
    rr_json_object_end(&o);
    free(f);
    return reply(req, &o);
}

/* ---- billing webhook ----------------------------------------------------------------------- */

struct body_buf {
    size_t len;
    char data[BILLING_BODY_MAX + 1];
};

static int body_write(void *ctx, const void *data, size_t len)
{
    struct body_buf *b = ctx;
    if (len > BILLING_BODY_MAX - b->len)
        return RR_ERR_TOOBIG;
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return 0;
}

static void body_abort(void *ctx)
{
    free(ctx);
}

static int billing_open(struct http_request *req, void *app, struct http_sink *sink)
{
    (void)req;
    (void)app;
    struct body_buf *b = malloc(sizeof *b);
    if (!b)
        return RR_ERR_NOMEM;
    b->len = 0;
    sink->write = body_write;
    sink->abort = body_abort;
    sink->ctx = b;
    return 0;
}

static int billing_webhook(struct http_request *req, void *app)
{
    struct app *a = app;
    struct body_buf *b = http_request_sink_ctx(req);
    char msg[160] = "";
    int rc = app_billing_verify(a, http_request_header(req, "Billing-Signature"), b->data, b->len,
                                (int64_t)time(NULL), msg, sizeof msg);
    if (rc < 0) {
        free(b);
        rr_log(RR_LOG_WARN, "billing webhook refused", RR_LOG_REQUEST_ID(http_request_id(req)),
               RR_LOG_STR("reason", msg));
        return http_reply_error(req, rc == RR_ERR_UNSUPPORTED ? 503 : 400,
                                rc == RR_ERR_UNSUPPORTED  ? "billing_not_configured"
                                : rc == RR_ERR_TIMEOUT    ? "stale_timestamp"
                                : rc == RR_ERR_INVAL      ? "bad_signature_header"
                                                          : "bad_signature",
                                msg, NULL);
    }
    b->data[b->len] = '\0';
    json_error_t jerr;
    json_t *ev = json_loadb(b->data, b->len, JSON_REJECT_DUPLICATES, &jerr);
    free(b);
    const char *id = json_string_value(json_object_get(ev, "id"));
    const char *type = json_string_value(json_object_get(ev, "type"));
    json_t *data = json_object_get(ev, "data");
    const char *user = json_string_value(json_object_get(data, "user"));
    const char *plan = json_string_value(json_object_get(data, "plan"));
    if (!json_is_object(ev) || !id || !id[0] || !type || !user) {
        json_decref(ev);
        return http_reply_error(req, 400, "bad_event",
                                "the event needs id, type and data.user (email or id)", NULL);
    }
    int known = strcmp(type, "subscription.created") == 0 ||
                strcmp(type, "subscription.updated") == 0 ||
                strcmp(type, "subscription.deleted") == 0;
    if (!known) { /* acknowledged so the provider stops sending it, nothing to do */
        json_decref(ev);
        struct rr_json o;
        char stack[128];
        rr_json_init(&o, stack, sizeof stack, 1024);
        rr_json_object_begin(&o);
        RR_JSON_KEY(&o, "ignored");
        rr_json_bool(&o, 1);
        rr_json_object_end(&o);
        return reply(req, &o);
    }
    if (strcmp(type, "subscription.deleted") == 0)
        plan = "free";
    if (!plan) {
        json_decref(ev);
        return http_reply_error(req, 400, "bad_event", "the event needs data.plan", NULL);
    }
    int dup = 0;
    char uid[STORE_ID_LEN + 1] = "";
    rc = app_billing_apply(a, id, type, user, plan, &dup, uid);
    if (rc == RR_ERR_NOTFOUND || rc == RR_ERR_INVAL || rc == RR_ERR_TOOBIG) {
        json_decref(ev);
        return http_reply_error(req, rc == RR_ERR_NOTFOUND ? 404 : 400,
                                rc == RR_ERR_NOTFOUND ? "unknown_user" : "bad_event",
                                rc == RR_ERR_NOTFOUND ? "no account has this email or id"
                                                      : "unknown plan or malformed event",
                                NULL);
    }
    if (rc < 0) {
        json_decref(ev);
        return rc;
    }
    rr_log(RR_LOG_INFO, "billing event", RR_LOG_REQUEST_ID(http_request_id(req)),
           RR_LOG_STR("event_id", id), RR_LOG_STR("type", type), RR_LOG_STR("user_id", uid),
           RR_LOG_STR("plan", plan), RR_LOG_INT("duplicate", dup));
    struct rr_json o;
    char stack[256];
    rr_json_init(&o, stack, sizeof stack, 4096);
    rr_json_object_begin(&o);
    RR_JSON_KEY(&o, "event_id");
    rr_json_string(&o, id);
    RR_JSON_KEY(&o, "user_id");
    rr_json_string(&o, uid);
    RR_JSON_KEY(&o, "plan");
    rr_json_string(&o, plan);
    RR_JSON_KEY(&o, "duplicate");
    rr_json_bool(&o, dup);
    rr_json_object_end(&o);
    json_decref(ev);
    return reply(req, &o);
}

const struct http_route api_plans_routes[] = {
    {HTTP_GET, "/v1/plans", plans_list, HTTP_AUTH_NONE, HTTP_BODY_NONE, "plans.list",
     "the plans and their limits (-1 = unlimited), by rank", NULL, NULL},
    {HTTP_GET, "/v1/me/usage", me_usage, HTTP_AUTH_REQUIRED, HTTP_BODY_NONE, "me.usage",
     "the caller's plan, the plan above and usage this month (?month=YYYY-MM)", NULL, NULL},
    {HTTP_GET, "/v1/me/flags", me_flags, HTTP_AUTH_REQUIRED, HTTP_BODY_NONE, "me.flags",
     "the caller's feature flags (plan, organisation, user rules and rollouts applied)", NULL,
     NULL},
    {HTTP_POST, "/v1/billing/webhook", billing_webhook, HTTP_AUTH_NONE, HTTP_BODY_STREAM,
     "billing.webhook",
     "billing provider events (Billing-Signature: t=...,v1=HMAC-SHA256 of \"t.body\")", NULL,
     billing_open},
};
const size_t api_plans_routes_n = sizeof api_plans_routes / sizeof api_plans_routes[0];

/* Example answers (and the webhook's example event) for /openapi.json (api_route_docs). */
const struct http_route_doc api_plans_docs[] = {
    {"plans.list", NULL,
     "{\"plans\":[{\"id\":\"free\",\"name\":\"Free\",\"rank\":0,\"uploads_per_month\":10,"
     "\"max_video_s\":120,\"history_days\":90,\"heavy_model\":false,\"overlay_video\":false,"
     "\"price_cents\":0}]}", NULL, 0, NULL, NULL},
    {"me.usage", NULL,
     "{\"month\":\"2026-12\",\"plan\":{\"id\":\"free\",\"name\":\"Free\",\"rank\":0,"
     "\"uploads_per_month\":10,\"max_video_s\":120,\"history_days\":90,\"heavy_model\":false,"
     "\"overlay_video\":false,\"price_cents\":0},\"next_plan\":{\"id\":\"pro\",\"name\":\"Pro\","
     "\"rank\":1,\"uploads_per_month\":100,\"max_video_s\":600,\"history_days\":-1,"
     "\"heavy_model\":true,\"overlay_video\":true,\"price_cents\":900},\"org_id\":null,"
     "\"usage\":{\"uploads\":3,\"video_seconds\":95},\"limits\":{\"uploads\":10}}",
     NULL, 0, NULL, NULL},
    {"me.flags", NULL,
     "{\"flags\":{\"plan_page\":true,\"priority_queue\":false,\"progress_v2\":false}}",
     NULL, 0, NULL, NULL},
    {"billing.webhook", NULL,
     "{\"event_id\":\"evt_123\",\"user_id\":\"0123456789abcdef0123456789abcdef\","
     "\"plan\":\"pro\",\"duplicate\":false}",
     "{\"id\":\"evt_123\",\"type\":\"subscription.updated\",\"data\":{\"user\":"
     "\"ana@example.com\",\"plan\":\"pro\"}}", 0, NULL, NULL},
};
const size_t api_plans_docs_n = sizeof api_plans_docs / sizeof api_plans_docs[0];
