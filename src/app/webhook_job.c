/*
 * webhook_job.c - the deliver_webhook job kind: one attempt of one delivery.
 *
 * DESIGN: the delivery row, not the queue, holds the retry state. Each job is one attempt; the
 * store's claim (one transaction) says SEND, WAIT (an earlier delivery of the same endpoint and
 * member is pending: a job for later was queued, this one ends) or DONE (delivered, failed, or
 * this job is a stale duplicate). After an attempt, finish (one transaction) records it and
 * either ends the row (2xx: delivered; the retry window is over: failed) or queues the job of
 * the next attempt at now + app_webhook_retry_delay_ms (exponential, jittered). So the queue's
 * own back-off (STORE_JOB_BACKOFF_*) only ever retries a job whose worker crashed or whose
 * store write failed, and the 24-hour schedule is the webhook's alone. The URL is checked
 * against the SSRF policy again at every attempt (net/hook_post.h) and the connection pinned.
 */
#include "app/app_int.h"

#include "auth/webhook_sig.h"
#include "base/rr_error.h"
#include "net/hook_post.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The delivery id of a job's payload {"delivery_id": ID}. */
static int payload_delivery(const struct store_job *job, char id[STORE_ID_LEN + 1])
{
    json_t *p = json_loads(job->payload, 0, NULL);
    const char *v = json_string_value(json_object_get(p, "delivery_id"));
    int ok = v && strlen(v) == STORE_ID_LEN;
    if (ok)
        memcpy(id, v, STORE_ID_LEN + 1);
    json_decref(p);
    return ok ? 0 : RR_ERR_INVAL;
}

/* One POST of body to e, signed now; the outcome for store_webhook_delivery_finish. */
static void attempt(struct app *a, const struct store_webhook_delivery *d,
                    const struct store_webhook_endpoint *e, const char *body,
                    struct store_webhook_outcome *o, char *error, size_t error_len)
{
    char sig[WEBHOOK_SIG_SIZE], h_id[96], h_ts[48], h_sig[WEBHOOK_SIG_SIZE + 32];
    int64_t ts = store_now(a->store) / 1000;
    *o = (struct store_webhook_outcome){false, 0, error, 0};
    error[0] = '\0';
    if (!e->enabled) {
        snprintf(error, error_len, "the endpoint is disabled");
        return;
    }
    size_t len = strlen(body);
    char secret[WEBHOOK_SIG_SECRET_SIZE];
    int err = webhook_sig_open(a->webhook_key, e->secret, secret);
    if (!err)
        err = webhook_sig_sign(secret, d->event_id, ts, body, len, sig);
    sodium_memzero(secret, sizeof secret);
    if (err) {
        snprintf(error, error_len, "cannot sign: the endpoint's secret does not open with this "
                                   "server's key");
        return;
    }
    snprintf(h_id, sizeof h_id, "webhook-id: %s", d->event_id);
    snprintf(h_ts, sizeof h_ts, "webhook-timestamp: %lld", (long long)ts);
    snprintf(h_sig, sizeof h_sig, "webhook-signature: %s", sig);
    struct hook_request rq = {
        .url = e->url,
        .headers = {h_id, h_ts, h_sig},
        .body = body,
        .body_len = len,
        .ssrf_flags = a->cfg.webhook_allow_http_loopback ? SSRF_ALLOW_LOOPBACK : 0,
    };
    struct hook_result res;
    err = hook_post(&rq, &res);
    o->http_status = (int)res.status;
    if (!err && res.status >= 200 && res.status < 300) {
        o->delivered = true;
        return;
    }
    if (!err && res.status >= 300 && res.status < 400)
        snprintf(error, error_len, "HTTP %ld: redirects are not followed", res.status);
    else if (!err)
        snprintf(error, error_len, "HTTP %ld", res.status);
    else
        snprintf(error, error_len, "%s", res.error[0] ? res.error : rr_strerror(err));
}

int app__job_deliver_webhook(struct job_ctx *ctx, char *err, size_t err_len)
{
    struct app *a = ctx->ctx;
    const struct store_job *job = ctx->job;
    char id[STORE_ID_LEN + 1];
    if (payload_delivery(job, id) < 0) {
        snprintf(err, err_len, "the job names no delivery (delivery_id)");
        ctx->permanent = 1;
        return RR_ERR_INVAL;
    }
    struct store_job_spec spec = app__webhook_job_spec();
    struct store_webhook_delivery d;
    struct store_webhook_endpoint *e = malloc(sizeof *e); /* ~2.5 KB: off the worker's stack */
    char *body = NULL;
    enum store_webhook_verdict v = STORE_WEBHOOK_DONE;
    if (!e)
        return RR_ERR_NOMEM;
    int rc = store_webhook_delivery_claim(a->store, id, job->id, &spec, APP_WEBHOOK_WAIT_MS, &v,
                                          &d, e, &body);
    if (rc == RR_ERR_NOTFOUND) { /* the endpoint (and its log) was deleted */
        rc = 0;
        goto out;
    }
    if (rc) {
        snprintf(err, err_len, "claiming the delivery failed: %s", rr_strerror(rc));
        goto out;
    }
    if (v != STORE_WEBHOOK_SEND)
        goto out;
    char error[STORE_ERROR_MAX + 1];
    struct store_webhook_outcome o;
    attempt(a, &d, e, body, &o, error, sizeof error);
    if (!o.delivered) {
        int64_t now = store_now(a->store);
        double u = randombytes_uniform(1000000) / 1e6;
        int64_t at = now + app_webhook_retry_delay_ms(a->cfg.webhook_retry_base_ms, d.attempts, u);
        o.retry_at = at <= d.created_at + (int64_t)a->cfg.webhook_retry_window_s * 1000 ? at : 0;
        char line[STORE_ERROR_MAX + 96];
        snprintf(line, sizeof line, "delivery %s attempt %d: %s%s", id, d.attempts, error,
                 o.retry_at ? "" : " (given up)");
        job_log(ctx, o.retry_at ? RR_LOG_INFO : RR_LOG_WARN, "webhook not delivered", line);
    }
    rc = store_webhook_delivery_finish(a->store, id, job->id, &o, &spec);
    if (rc == RR_ERR_CONFLICT) /* redelivered or ended meanwhile: nothing left to record */
        rc = 0;
    if (rc)
        snprintf(err, err_len, "recording the attempt failed: %s", rr_strerror(rc));
out:
    free(body);
    free(e);
    return rc;
}
