/*
 * jobs.c - the /v1/jobs resource: job status (state, attempts, progress percent, stage, error)
 * and a server-sent-events progress stream.
 *
 * GET /v1/jobs/{id}/events answers text/event-stream: one "progress" event at once, then the
 * store is polled every 500 ms and a "progress" event is sent whenever state, percent or stage
 * change (SSE comment lines otherwise, which also detect a gone client), and a final "done" or
 * "dead" event ends the stream. The stream is bounded (?timeout= seconds, default and max 30):
 * at the bound a "timeout" event ends it and the client reconnects. Nothing is kept in memory
 * between polls but the last event, so any server process can serve the stream.
 * With a queue that pushes progress notices (redis://: queue_watch), the stream reads the store
 * when a notice for its job arrives (checked on every resume, ~100 ms) and otherwise only every
 * SSE_SAFETY_MS; while notices are down it polls every 500 ms as above.
 *
 * The stream is an http_reply_stream (http/request.h): between polls the read function says
 * "wait" and the server parks the connection, so no pool thread waits for a subscriber.
 * Every id route is owner-scoped: another user's job id answers 404.
 */
#include "api/api.h"
#include "api/paging.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/rr_error.h"
#include "base/rr_json.h"
#include "queue/queue.h"
#include "store/store.h"

#define SSE_POLL_MS 500
#define SSE_SAFETY_MS 5000 /* store read while progress notices are live but silent */
#define SSE_MAX_S 30
#define PAGE_DEFAULT 20

static const char *caller(const struct http_request *req)
{
    const struct api_principal *p = api_principal(req);
    return p ? p->user_id : NULL;
}

static int percent_of(double progress)
{
    double p = progress * 100.0;
    if (!(p >= 0))
        p = 0;
    if (p > 100)
        p = 100;
    return (int)(p + 0.5);
}

static void job_json(struct rr_json *o, const struct store_job *j)
{
    rr_json_object_begin(o);
    RR_JSON_KEY(o, "id");
    rr_json_string(o, j->id);
    RR_JSON_KEY(o, "kind");
    rr_json_string(o, j->kind);
    RR_JSON_KEY(o, "state");
    rr_json_string(o, store_job_state_name(j->state));
    RR_JSON_KEY(o, "attempts");
    rr_json_int(o, j->attempts);
    RR_JSON_KEY(o, "max_attempts");
    rr_json_int(o, j->max_attempts);
    RR_JSON_KEY(o, "progress");
    rr_json_int(o, percent_of(j->progress));
    RR_JSON_KEY(o, "stage");
    rr_json_string(o, j->stage);
    RR_JSON_KEY(o, "error");
    rr_json_string(o, j->error[0] ? j->error : NULL);
    RR_JSON_KEY(o, "created_at");
    rr_json_int(o, j->created_at);
    RR_JSON_KEY(o, "updated_at");
    rr_json_int(o, j->updated_at);
    if (j->state == STORE_JOB_QUEUED && j->attempts > 0) {
        RR_JSON_KEY(o, "retry_at");
        rr_json_int(o, j->run_after);
    }
    if (j->video_id[0]) {
        RR_JSON_KEY(o, "video_id");
        rr_json_string(o, j->video_id);
    }
    rr_json_object_end(o);
}

static int jobs_get(struct http_request *req, void *app)
{
    struct app *a = app;
    struct store_job j;
    int rc = store_job_get(a->store, caller(req), http_request_param(req, "id"), &j);
    if (rc < 0)
        return rc;
    char stack[1024];
    struct rr_json o;
    rr_json_init(&o, stack, sizeof stack, 64 * 1024);
    job_json(&o, &j);
    rc = http_reply_writer(req, 200, &o);
    rr_json_release(&o);
    return rc;
}

static int jobs_list(struct http_request *req, void *app)
{
    struct app *a = app;
    struct api_page pg;
    if (api_page_query(req, PAGE_DEFAULT, &pg))
        return 0; /* the one 422 shape of every list (api/paging.h) */
    struct store_job *items = NULL;
    size_t n = 0;
    int rc = store_job_list(a->store, caller(req), pg.cursor, pg.limit, &items, &n, pg.next);
    if (rc < 0)
        return api_page_store_error(req, rc);
    char stack[8192];
    struct rr_json o;
    rr_json_init(&o, stack, sizeof stack, 1024 * 1024);
    api_list_begin(&o);
    for (size_t i = 0; i < n; i++)
        job_json(&o, &items[i]);
    free(items);
    api_page_end(&o, &pg);
    rc = http_reply_writer(req, 200, &o);
    rr_json_release(&o);
    return rc;
}

/* ---- server-sent events -------------------------------------------------------------------- */

struct sse {
    struct app *app;
    char user_id[STORE_ID_LEN + 1];
    char job_id[STORE_ID_LEN + 1];
    struct timespec deadline;
    int polls;
    int64_t last_poll_ms;
    uint64_t notice_seq; /* queue_watch */
    int finished;         /* final event formatted: end after it is sent */
    char last[256];       /* last progress data sent */
    char out[1024];       /* pending bytes */
    size_t out_len, out_off;
};

static int past(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > t->tv_sec || (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

/* Format the next event into s->out (poll the store). */
static void sse_next(struct sse *s)
{
    struct store_job j;
    s->out_len = s->out_off = 0;
    int rc = store_job_get(s->app->store, s->user_id, s->job_id, &j);
    if (rc < 0) {
        s->out_len = (size_t)snprintf(s->out, sizeof s->out,
                                      "event: error\ndata: {\"error\":\"%s\"}\n\n",
                                      rc == RR_ERR_NOTFOUND ? "not_found" : "unavailable");
        s->finished = 1;
        return;
    }
    char stack[sizeof s->last];
    struct rr_json o;
    rr_json_init(&o, stack, sizeof stack, sizeof s->last - 1);
    rr_json_object_begin(&o);
    RR_JSON_KEY(&o, "id");
    rr_json_string(&o, j.id);
    RR_JSON_KEY(&o, "state");
    rr_json_string(&o, store_job_state_name(j.state));
    RR_JSON_KEY(&o, "progress");
    rr_json_int(&o, percent_of(j.progress));
    RR_JSON_KEY(&o, "stage");
    rr_json_string(&o, j.stage);
    RR_JSON_KEY(&o, "attempts");
    rr_json_int(&o, j.attempts);
    if (j.error[0]) {
        RR_JSON_KEY(&o, "error");
        rr_json_string_lossy(&o, j.error, strlen(j.error));
    }
    rr_json_object_end(&o);
    const char *data = rr_json_finish(&o) == 0 ? rr_json_data(&o) : NULL;
    const char *event = "progress";
    if (j.state == STORE_JOB_DONE)
        event = "done";
    else if (j.state == STORE_JOB_DEAD)
        event = "dead";
    int final = j.state == STORE_JOB_DONE || j.state == STORE_JOB_DEAD;
    if (data && (final || strcmp(data, s->last) != 0)) {
        int n = snprintf(s->out, sizeof s->out, "event: %s\ndata: %s\n\n", event, data);
        s->out_len = n > 0 && (size_t)n < sizeof s->out ? (size_t)n : 0;
        snprintf(s->last, sizeof s->last, "%s", data);
        s->finished = final;
    }
    rr_json_release(&o);
    if (!s->finished && past(&s->deadline)) {
        size_t n = s->out_len;
        int m = snprintf(s->out + n, sizeof s->out - n, "event: timeout\ndata: {}\n\n");
        if (m > 0 && (size_t)m < sizeof s->out - n)
            s->out_len += (size_t)m;
        s->finished = 1;
    }
    if (s->out_len == 0)
        s->out_len = (size_t)snprintf(s->out, sizeof s->out, ": ping\n\n");
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The server calls this on its pool thread whenever the socket can take more. Between store
 * polls (every SSE_POLL_MS) it has nothing to say: HTTP_STREAM_WAIT parks the connection (the
 * server resumes it within ~100 ms; where it cannot park it sends the ":" comment line). A
 * client that stops reading fills the socket buffer and the server stops calling until it
 * drains. */
static long sse_read(void *cls, char *buf, size_t max)
{
    struct sse *s = cls;
    if (s->out_off == s->out_len) {
        if (s->finished)
            return HTTP_STREAM_END;
        int64_t now = mono_ms();
        int due = s->polls == 0 || past(&s->deadline);
        if (!due) {
            int w = queue_watch(s->app->queue, s->job_id, &s->notice_seq);
            int64_t every = w < 0 ? SSE_POLL_MS : SSE_SAFETY_MS;
            due = w == 1 || now - s->last_poll_ms >= every;
        }
        if (!due) {
            return HTTP_STREAM_WAIT;
        } else {
            s->polls++;
            s->last_poll_ms = now;
            sse_next(s);
        }
    }
    size_t n = s->out_len - s->out_off;
    if (n > max)
        n = max;
    memcpy(buf, s->out + s->out_off, n);
    s->out_off += n;
    return (long)n;
}

static void sse_free(void *cls)
{
    free(cls);
}

static int jobs_events(struct http_request *req, void *app)
{
    struct app *a = app;
    struct store_job j;
    int rc = store_job_get(a->store, caller(req), http_request_param(req, "id"), &j);
    if (rc < 0)
        return rc;
    long secs = SSE_MAX_S;
    const char *ts = http_request_query(req, "timeout");
    if (ts) {
        char *end = NULL;
        secs = strtol(ts, &end, 10);
        if (!ts[0] || !end || *end || secs < 1 || secs > SSE_MAX_S)
            return http_reply_error(req, 400, "invalid_timeout", "timeout must be 1..30 seconds",
                                    NULL);
    }
    struct sse *s = calloc(1, sizeof *s);
    if (!s)
        return RR_ERR_NOMEM;
    s->app = a;
    memcpy(s->user_id, caller(req), STORE_ID_LEN + 1);
    memcpy(s->job_id, j.id, STORE_ID_LEN + 1);
    clock_gettime(CLOCK_MONOTONIC, &s->deadline);
    s->deadline.tv_sec += secs;
    const struct http_stream st = {sse_read, sse_free, s, ":\n"};
    rc = http_reply_stream(req, 200, "text/event-stream", &st);
    if (rc == 0)
        rc = http_reply_header(req, "X-Accel-Buffering", "no");
    return rc;
}

const struct http_route api_jobs_routes[] = {
    {HTTP_GET, "/v1/jobs", jobs_list, HTTP_AUTH_REQUIRED, HTTP_BODY_NONE, "jobs.list",
     "the caller's jobs, newest first (cursor, limit <= 100)", NULL, NULL},
    {HTTP_GET, "/v1/jobs/{id}", jobs_get, HTTP_AUTH_REQUIRED, HTTP_BODY_NONE, "jobs.get",
     "job state, attempts, progress percent, stage and error", NULL, NULL},
    {HTTP_GET, "/v1/jobs/{id}/events", jobs_events, HTTP_AUTH_REQUIRED, HTTP_BODY_NONE,
     "jobs.events", "server-sent events with the job's progress until it ends", NULL, NULL},
};
const size_t api_jobs_routes_n = sizeof api_jobs_routes / sizeof api_jobs_routes[0];
