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
 *
 * The stream is an MHD callback response; the public reply API has no streaming reply, so this
 * file stages it through the http module's internal request struct (request_int.h), exactly as
 * request.c's own stage() does.
 * Every id route is owner-scoped: another user's job id answers 404.
 */
#include "api/api.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/rr_error.h"
#include "http/request_int.h"
#include "http/validate.h"
#include "store/store.h"

#define SSE_POLL_MS 500
#define SSE_SLICE_MS 50
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

static json_t *job_json(const struct store_job *j)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:s, s:s?, s:I, s:I}", "id", j->id,
                          "kind", j->kind, "state", store_job_state_name(j->state), "attempts",
                          j->attempts, "max_attempts", j->max_attempts, "progress",
                          percent_of(j->progress), "stage", j->stage, "error",
                          j->error[0] ? j->error : NULL, "created_at", (json_int_t)j->created_at,
                          "updated_at", (json_int_t)j->updated_at);
    if (!o)
        return NULL;
    if (j->state == STORE_JOB_QUEUED && j->attempts > 0)
        json_object_set_new(o, "retry_at", json_integer((json_int_t)j->run_after));
    if (j->video_id[0])
        json_object_set_new(o, "video_id", json_string(j->video_id));
    return o;
}

static int jobs_get(struct http_request *req, void *app)
{
    struct app *a = app;
    struct store_job j;
    int rc = store_job_get(a->store, caller(req), http_request_param(req, "id"), &j);
    if (rc < 0)
        return rc;
    json_t *body = job_json(&j);
    if (!body)
        return RR_ERR_NOMEM;
    return http_reply_json(req, 200, body);
}

static int jobs_list(struct http_request *req, void *app)
{
    struct app *a = app;
    int limit;
    const char *cursor;
    if (validate_query_limit(req, PAGE_DEFAULT, STORE_PAGE_MAX, &limit) ||
        validate_query_cursor(req, STORE_CURSOR_MAX - 1, &cursor))
        return 0; /* the one 422 shape of every list (http/validate.h) */
    struct store_job *items = NULL;
    size_t n = 0;
    char next[STORE_CURSOR_MAX];
    int rc = store_job_list(a->store, caller(req), cursor, limit,
                            &items, &n, next);
    if (rc == RR_ERR_INVAL) {
        validate_reply_param(req, "cursor", VALIDATE_BAD_CURSOR);
        return 0;
    }
    if (rc < 0)
        return rc;
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        json_array_append_new(arr, job_json(&items[i]));
    free(items);
    json_t *body = json_pack("{s:o, s:s?}", "items", arr ? arr : json_array(), "next_cursor",
                             next[0] ? next : NULL);
    if (!body)
        return RR_ERR_NOMEM;
    return http_reply_json(req, 200, body);
}

/* ---- server-sent events -------------------------------------------------------------------- */

struct sse {
    struct app *app;
    struct http_server *server; /* for http__park */
    struct MHD_Connection *conn;
    char user_id[STORE_ID_LEN + 1];
    char job_id[STORE_ID_LEN + 1];
    struct timespec deadline;
    int polls;
    int64_t last_poll_ms;
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
    json_t *o = json_pack("{s:s, s:s, s:i, s:s, s:i}", "id", j.id, "state",
                          store_job_state_name(j.state), "progress", percent_of(j.progress),
                          "stage", j.stage, "attempts", j.attempts);
    if (o && j.error[0])
        json_object_set_new(o, "error", json_string(j.error));
    char *data = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    const char *event = "progress";
    if (j.state == STORE_JOB_DONE)
        event = "done";
    else if (j.state == STORE_JOB_DEAD)
        event = "dead";
    int final = j.state == STORE_JOB_DONE || j.state == STORE_JOB_DEAD;
    if (data && strlen(data) < sizeof s->last &&
        (final || strcmp(data, s->last) != 0)) {
        int n = snprintf(s->out, sizeof s->out, "event: %s\ndata: %s\n\n", event, data);
        s->out_len = n > 0 && (size_t)n < sizeof s->out ? (size_t)n : 0;
        snprintf(s->last, sizeof s->last, "%s", data);
        s->finished = final;
    }
    free(data);
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

/* MHD calls this on its pool thread whenever the socket can take more. Between store polls
 * (every SSE_POLL_MS) it has nothing to say: it parks the connection (http__park: suspended,
 * resumed by the server's timer thread within ~100 ms) and returns 0, so no pool thread waits
 * for a subscriber. If parking is unavailable it falls back to sleeping at most SSE_SLICE_MS and
 * sending an SSE comment line (":"); while the server stops it ends the stream. A client that
 * stops reading fills the socket buffer and MHD stops calling until it drains. */
static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct sse *s = cls;
    if (s->out_off == s->out_len) {
        if (s->finished)
            return MHD_CONTENT_READER_END_OF_STREAM;
        int64_t now = mono_ms();
        if (s->polls > 0 && now - s->last_poll_ms < SSE_POLL_MS) {
            int rc = http__park(s->server, s->conn);
            if (rc == 0)
                return 0; /* suspended: MHD calls again after the resume */
            if (rc == RR_ERR_BUSY)
                return MHD_CONTENT_READER_END_OF_STREAM; /* shutting down: client reconnects */
            struct timespec ts = {0, SSE_SLICE_MS * 1000000L};
            nanosleep(&ts, NULL);
            s->out_len = (size_t)snprintf(s->out, sizeof s->out, ":\n");
            s->out_off = 0;
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
    return (ssize_t)n;
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
    s->server = req->server;
    s->conn = req->conn;
    memcpy(s->user_id, caller(req), STORE_ID_LEN + 1);
    memcpy(s->job_id, j.id, STORE_ID_LEN + 1);
    clock_gettime(CLOCK_MONOTONIC, &s->deadline);
    s->deadline.tv_sec += secs;
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 1024, sse_read, s, sse_free);
    if (!resp) {
        free(s);
        return RR_ERR_NOMEM;
    }
    http_request__drop_response(req);
    req->resp = resp;
    req->status = 200;
    rc = http_reply_header(req, "Content-Type", "text/event-stream");
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
