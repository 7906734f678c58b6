/*
 * webhooks.c - the store's webhook entry points (store.h "webhooks"): argument checks, then the
 * backend. Bounds are checked here once, so backends trust their arguments.
 */
#include "store/store_internal.h"

#include "base/rr_error.h"

#include <stdlib.h>
#include <string.h>

static int text_max(const char *t, size_t max, bool need)
{
    if (!t || (need && !t[0]))
        return RR_ERR_INVAL;
    return strnlen(t, max + 1) > max ? RR_ERR_TOOBIG : 0;
}

static bool org_ok(const char *org_id)
{
    return org_id == NULL || store__is_id(org_id);
}

/* [chars]+ of at most max bytes */
static int word_ok(const char *t, size_t max, const char *extra)
{
    int err = text_max(t, max, true);
    if (err)
        return err;
    for (const char *p = t; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr(extra, *p)))
            return RR_ERR_INVAL;
    return 0;
}

static int spec_ok(const struct store_job_spec *job)
{
    if (!job || word_ok(job->kind, STORE_NAME_MAX, "_") || job->max_attempts < 1 ||
        job->max_attempts > STORE_JOB_ATTEMPTS_MAX)
        return RR_ERR_INVAL;
    return 0;
}

int store_webhook_endpoint_create(struct store *s, struct store_webhook_endpoint *e)
{
    if (!e || !store__is_id(e->org_id))
        return RR_ERR_INVAL;
    int err = text_max(e->url, STORE_WEBHOOK_URL_MAX, true);
    if (!err)
        err = text_max(e->secret, STORE_WEBHOOK_SECRET_MAX, true);
    if (!err)
        err = word_ok(e->event_types, STORE_WEBHOOK_TYPES_MAX, "._ ");
    if (err)
        return err;
    store_new_id(e->id);
    e->created_at = store_now(s);
    return s->ops->webhook_endpoint_create(s, e);
}

int store_webhook_endpoint_get(struct store *s, const char *org_id, const char *id,
                               struct store_webhook_endpoint *out)
{
    if (!out || !org_ok(org_id))
        return RR_ERR_INVAL;
    if (!store__is_id(id))
        return RR_ERR_NOTFOUND;
    return s->ops->webhook_endpoint_get(s, org_id, id, out);
}

int store_webhook_endpoint_list(struct store *s, const char *org_id,
                                struct store_webhook_endpoint **items, size_t *n)
{
    if (!items || !n || !store__is_id(org_id))
        return RR_ERR_INVAL;
    *items = NULL;
    *n = 0;
    return s->ops->webhook_endpoint_list(s, org_id, items, n);
}

int store_webhook_endpoint_delete(struct store *s, const char *org_id, const char *id)
{
    if (!org_ok(org_id))
        return RR_ERR_INVAL;
    if (!store__is_id(id))
        return RR_ERR_NOTFOUND;
    return s->ops->webhook_endpoint_delete(s, org_id, id);
}

int store_webhook_emit(struct store *s, const char *org_id, const char *endpoint_id,
                       const struct store_webhook_event *ev, const struct store_job_spec *job,
                       int *n)
{
    int dummy;
    if (!n)
        n = &dummy;
    *n = 0;
    if (!ev || !store__is_id(org_id) || spec_ok(job))
        return RR_ERR_INVAL;
    if (endpoint_id && !store__is_id(endpoint_id))
        return RR_ERR_NOTFOUND;
    int err = word_ok(ev->type, STORE_WEBHOOK_TYPE_MAX, "._");
    if (!err) {
        err = text_max(ev->event_id, STORE_WEBHOOK_EVENT_ID_MAX, true);
        for (const char *p = ev->event_id; !err && *p; p++)
            if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
                err = RR_ERR_INVAL;
    }
    if (!err)
        err = text_max(ev->body, STORE_WEBHOOK_PAYLOAD_MAX, true);
    if (!err && ev->member_id && ev->member_id[0] && !store__is_id(ev->member_id))
        err = RR_ERR_INVAL;
    if (!err && ev->outbox_id < 0)
        err = RR_ERR_INVAL;
    if (err)
        return err;
    return s->ops->webhook_emit(s, org_id, endpoint_id, ev, job, n);
}

int store_webhook_delivery_get(struct store *s, const char *org_id, const char *id,
                               struct store_webhook_delivery *out)
{
    if (!out || !org_ok(org_id))
        return RR_ERR_INVAL;
    if (!store__is_id(id))
        return RR_ERR_NOTFOUND;
    return s->ops->webhook_delivery_get(s, org_id, id, out);
}

int store_webhook_delivery_body(struct store *s, const char *org_id, const char *id, char **body,
                                size_t *len)
{
    size_t dummy;
    if (!body || !org_ok(org_id))
        return RR_ERR_INVAL;
    *body = NULL;
    if (!store__is_id(id))
        return RR_ERR_NOTFOUND;
    return s->ops->webhook_delivery_body(s, org_id, id, body, len ? len : &dummy);
}

int store_webhook_delivery_list(struct store *s, const char *org_id, const char *endpoint_id,
                                const char *cursor, int limit,
                                struct store_webhook_delivery **items, size_t *n,
                                char next_cursor[STORE_CURSOR_MAX])
{
    int64_t t;
    char id[STORE_ID_LEN + 1];
    int err = store__page_args(cursor, limit, &t, id, items, n, next_cursor);
    if (err)
        return err;
    *items = NULL;
    if (!store__is_id(org_id))
        return RR_ERR_INVAL;
    if (endpoint_id && !store__is_id(endpoint_id))
        return 0; /* an unknown endpoint has no deliveries */
    err = s->ops->webhook_delivery_list(s, org_id, endpoint_id, t, id, limit + 1, items, n);
    if (!err && *n > (size_t)limit)
        store__page_finish(n, limit, (*items)[limit - 1].created_at, (*items)[limit - 1].id,
                           next_cursor);
    return err;
}

int store_webhook_delivery_claim(struct store *s, const char *id, const char *job_id,
                                 const struct store_job_spec *job, int64_t wait_ms,
                                 enum store_webhook_verdict *verdict,
                                 struct store_webhook_delivery *d,
                                 struct store_webhook_endpoint *e, char **body)
{
    if (!verdict || !d || !e || !body || spec_ok(job) || !store__is_id(job_id) || wait_ms < 0 ||
        wait_ms > INT64_MAX / 4)
        return RR_ERR_INVAL;
    *body = NULL;
    *verdict = STORE_WEBHOOK_DONE;
    if (!store__is_id(id))
        return RR_ERR_NOTFOUND;
    return s->ops->webhook_delivery_claim(s, id, job_id, job, wait_ms, verdict, d, e, body);
}

int store_webhook_delivery_finish(struct store *s, const char *id, const char *job_id,
                                  const struct store_webhook_outcome *o,
                                  const struct store_job_spec *job)
{
    if (!o || spec_ok(job) || !store__is_id(job_id) || o->retry_at < 0)
        return RR_ERR_INVAL;
    if (!store__is_id(id))
        return RR_ERR_NOTFOUND;
    return s->ops->webhook_delivery_finish(s, id, job_id, o, job);
}

/* ---- partner outbox ---------------------------------------------------------------------- */

int store__outbox_event_ok(const struct store_outbox_event *ev)
{
    if (!ev)
        return 0;
    int err = word_ok(ev->type, STORE_WEBHOOK_TYPE_MAX, "._");
    if (!err && ev->data)
        err = text_max(ev->data, STORE_OUTBOX_DATA_MAX, false);
    return err;
}

int store_outbox_list(struct store *s, const char *user_id, int limit,
                      struct store_outbox **items, size_t *n)
{
    if (!items || !n || limit < 1 || limit > STORE_OUTBOX_LIST_MAX)
        return RR_ERR_INVAL;
    *items = NULL;
    *n = 0;
    if (user_id && !store__is_id(user_id))
        return 0;
    return s->ops->outbox_list(s, user_id, limit, items, n);
}

int store_outbox_drop(struct store *s, int64_t id)
{
    if (id <= 0)
        return RR_ERR_NOTFOUND;
    return s->ops->outbox_drop(s, id);
}
