/*
 * webhooks.c - the webhook use cases: endpoints (create, delete), events (emit, test,
 * redelivery), the event envelope and the retry schedule. Delivery itself is the
 * deliver_webhook job (webhook_job.c). docs/internals/webhooks.md has the design.
 */
#include "app/app_int.h"

#include "auth/webhook_sig.h"
#include "base/rr_error.h"
#include "base/rr_json.h"
#include "net/ssrf.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const known_types[] = {
    APP_WEBHOOK_ANALYSIS_COMPLETED,
    APP_WEBHOOK_WORKOUT_SYNCED,
    APP_WEBHOOK_MEMBER_LINKED,
    APP_WEBHOOK_MEMBER_UNLINKED,
};

int app_webhook_type_known(const char *type)
{
    for (size_t i = 0; type && i < sizeof known_types / sizeof known_types[0]; i++)
        if (strcmp(type, known_types[i]) == 0)
            return 1;
    return 0;
}

static unsigned ssrf_flags(const struct app *a)
{
    return a->cfg.webhook_allow_http_loopback ? SSRF_ALLOW_LOOPBACK : 0;
}

int app_webhook_create(struct app *a, const char *org_id, const char *url,
                       const char *const *types, size_t n_types,
                       struct store_webhook_endpoint *out, char *msg, size_t msg_len)
{
    if (!a || !out || !url || (!types && n_types))
        return RR_ERR_INVAL;
    if (msg && msg_len)
        msg[0] = '\0';
    if (n_types == 0 || n_types > APP_WEBHOOK_TYPES_MAX) {
        snprintf(msg, msg_len, "name 1 to %d event types", APP_WEBHOOK_TYPES_MAX);
        return RR_ERR_INVAL;
    }
    memset(out, 0, sizeof *out);
    size_t used = 0;
    for (size_t i = 0; i < n_types; i++) {
        if (!app_webhook_type_known(types[i])) {
            snprintf(msg, msg_len,
                     "unknown event type; known: analysis.completed, workout.synced, "
                     "member.linked, member.unlinked");
            return RR_ERR_INVAL;
        }
        int dup = 0;
        for (size_t k = 0; k < i; k++)
            dup |= strcmp(types[k], types[i]) == 0;
        if (dup)
            continue;
        int w = snprintf(out->event_types + used, sizeof out->event_types - used, "%s%s",
                         used ? " " : "", types[i]);
        if (w < 0 || (size_t)w >= sizeof out->event_types - used)
            return RR_ERR_TOOBIG;
        used += (size_t)w;
    }
    struct ssrf_target t;
    int err = ssrf_check(url, ssrf_flags(a), &t, msg, msg_len);
    if (err)
        return err;
    size_t ulen = strnlen(url, sizeof out->url);
    if (ulen >= sizeof out->url) /* ssrf_check's bound is the same; kept for the copy */
        return RR_ERR_TOOBIG;
    memcpy(out->url, url, ulen + 1);
    snprintf(out->org_id, sizeof out->org_id, "%s", org_id ? org_id : "");
    /* the store keeps the secret sealed under the server's key; the caller gets it in clear,
     * once */
    char plain[WEBHOOK_SIG_SECRET_SIZE];
    webhook_sig_secret_new(plain);
    err = webhook_sig_seal(a->webhook_key, plain, out->secret);
    out->enabled = true;
    if (!err)
        err = store_webhook_endpoint_create(a->store, out);
    if (err == RR_ERR_CONFLICT)
        snprintf(msg, msg_len, "an organisation has at most %d webhook endpoints",
                 STORE_WEBHOOK_ENDPOINTS_MAX);
    if (!err)
        memcpy(out->secret, plain, sizeof plain);
    sodium_memzero(plain, sizeof plain);
    return err;
}

int app_webhook_delete(struct app *a, const char *org_id, const char *endpoint_id)
{
    if (!a || !org_id)
        return RR_ERR_INVAL;
    return store_webhook_endpoint_delete(a->store, org_id, endpoint_id);
}

static void new_event_id(char out[STORE_WEBHOOK_EVENT_ID_MAX + 1])
{
    char hex[STORE_ID_LEN + 1];
    store_new_id(hex);
    snprintf(out, STORE_WEBHOOK_EVENT_ID_MAX + 1, "evt_%s", hex);
}

/* The envelope around data (already checked to be a JSON object) into a malloc'd string. */
static int envelope(int64_t created_at, const char *event_id, const char *type,
                    const char *org_id, const char *member_id, const char *data, char **out)
{
    struct rr_json j;
    rr_json_init(&j, NULL, 0, STORE_WEBHOOK_PAYLOAD_MAX);
    rr_json_object_begin(&j);
    rr_json_key(&j, "id");
    rr_json_string(&j, event_id);
    rr_json_key(&j, "type");
    rr_json_string(&j, type);
    rr_json_key(&j, "created_at");
    rr_json_time_ms(&j, created_at);
    rr_json_key(&j, "org_id");
    rr_json_string(&j, org_id);
    rr_json_key(&j, "member_id");
    rr_json_string(&j, member_id && member_id[0] ? member_id : NULL);
    rr_json_key(&j, "data");
    rr_json_verbatim(&j, data, strlen(data));
    rr_json_object_end(&j);
    int err = rr_json_finish(&j);
    if (err) {
        rr_json_release(&j);
        return err;
    }
    *out = rr_json_detach(&j, NULL);
    return *out ? 0 : RR_ERR_NOMEM;
}

/* data must be one JSON object of at most APP_WEBHOOK_DATA_MAX bytes. */
static int data_ok(const char *data)
{
    if (!data)
        return RR_ERR_INVAL;
    size_t n = strnlen(data, APP_WEBHOOK_DATA_MAX + 1);
    if (n > APP_WEBHOOK_DATA_MAX)
        return RR_ERR_TOOBIG;
    json_t *v = json_loadb(data, n, JSON_REJECT_DUPLICATES, NULL);
    int ok = json_is_object(v);
    json_decref(v);
    return ok ? 0 : RR_ERR_INVAL;
}

/* outbox_id > 0: the recorded event this emit drains (created_at = the action's time). */
static int emit_to(struct app *a, const char *org_id, const char *endpoint_id, const char *type,
                   const char *member_id, const char *data, int64_t outbox_id,
                   int64_t created_at, int *n, char event_id[STORE_WEBHOOK_EVENT_ID_MAX + 1])
{
    char id[STORE_WEBHOOK_EVENT_ID_MAX + 1], *body = NULL;
    int err = data_ok(data);
    if (err)
        return err;
    new_event_id(id);
    err = envelope(created_at > 0 ? created_at : store_now(a->store), id, type, org_id,
                   member_id, data, &body);
    if (err)
        return err;
    struct store_webhook_event ev = {id, type, member_id, body, outbox_id};
    struct store_job_spec spec = app__webhook_job_spec();
    err = store_webhook_emit(a->store, org_id, endpoint_id, &ev, &spec, n);
    free(body);
    if (!err && event_id)
        memcpy(event_id, id, sizeof id);
    return err;
}

int app_webhook_emit(struct app *a, const char *org_id, const char *type, const char *member_id,
                     const char *data_json, int *n, char event_id[STORE_WEBHOOK_EVENT_ID_MAX + 1])
{
    if (!a || !app_webhook_type_known(type))
        return RR_ERR_INVAL;
    return emit_to(a, org_id, NULL, type, member_id, data_json, 0, 0, n, event_id);
}

int app__webhook_emit_recorded(struct app *a, const struct store_outbox *row, const char *data,
                               int *n, int *drained)
{
    int k = 0;
    *drained = 0;
    if (!a || !row || !app_webhook_type_known(row->type))
        return RR_ERR_INVAL;
    int err = emit_to(a, row->org_id, NULL, row->type, row->user_id, data, row->id,
                      row->created_at, &k, NULL);
    if (n)
        *n = k;
    if (!err)
        *drained = 1;
    return err == RR_ERR_NOTFOUND ? 0 : err; /* drained by another process meanwhile */
}

int app_webhook_test(struct app *a, const char *org_id, const char *endpoint_id,
                     char event_id[STORE_WEBHOOK_EVENT_ID_MAX + 1])
{
    if (!a || !endpoint_id)
        return RR_ERR_INVAL;
    return emit_to(a, org_id, endpoint_id, APP_WEBHOOK_TEST, NULL,
                   "{\"message\":\"a test event from RepRight\"}", 0, 0, NULL, event_id);
}

int app_webhook_redeliver(struct app *a, const char *org_id, const char *delivery_id)
{
    struct store_webhook_delivery d;
    char *body = NULL;
    if (!a || !org_id)
        return RR_ERR_INVAL;
    int err = store_webhook_delivery_get(a->store, org_id, delivery_id, &d);
    if (!err && d.status == STORE_DELIVERY_PENDING)
        err = RR_ERR_CONFLICT;
    if (!err)
        err = store_webhook_delivery_body(a->store, org_id, delivery_id, &body, NULL);
    if (err)
        return err;
    struct store_webhook_event ev = {d.event_id, d.event_type, d.member_id, body, 0};
    struct store_job_spec spec = app__webhook_job_spec();
    err = store_webhook_emit(a->store, org_id, d.endpoint_id, &ev, &spec, NULL);
    free(body);
    return err;
}

int app_webhook_workout_data(const struct store_workout *w, char *out, size_t cap)
{
    if (!w || !out || cap == 0)
        return RR_ERR_INVAL;
    struct rr_json j;
    rr_json_init(&j, NULL, 0, cap - 1);
    rr_json_object_begin(&j);
    rr_json_key(&j, "workout_id");
    rr_json_string(&j, w->id);
    rr_json_key(&j, "video_id");
    rr_json_string(&j, w->video_id[0] ? w->video_id : NULL);
    rr_json_key(&j, "exercise");
    rr_json_string(&j, w->exercise);
    rr_json_key(&j, "started_at");
    rr_json_time_ms(&j, w->started_at);
    rr_json_key(&j, "duration_ms");
    rr_json_int(&j, w->duration_ms);
    rr_json_key(&j, "score");
    rr_json_fixed(&j, w->score, 1);
    rr_json_key(&j, "reps");
    rr_json_int(&j, w->reps);
    rr_json_object_end(&j);
    int err = rr_json_finish(&j);
    if (!err) {
        memcpy(out, rr_json_data(&j), rr_json_len(&j));
        out[rr_json_len(&j)] = '\0';
    }
    rr_json_release(&j);
    return err;
}

int64_t app_webhook_retry_delay_ms(int64_t base_ms, int attempts, double u)
{
    int64_t d = base_ms > 0 ? base_ms : 1;
    for (int i = 1; i < attempts && d < APP_WEBHOOK_RETRY_CAP_MS; i++)
        d *= 2;
    if (d > APP_WEBHOOK_RETRY_CAP_MS)
        d = APP_WEBHOOK_RETRY_CAP_MS;
    if (u < 0)
        u = 0;
    if (u >= 1)
        u = 0.999999;
    return (int64_t)((double)d * (0.75 + 0.5 * u));
}
