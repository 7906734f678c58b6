/*
 * server.c - libmicrohttpd glue: request lifecycle, body handling, limits, metrics, access
 * logs, built-in routes and graceful shutdown.
 *
 * DESIGN: MHD calls on_request() several times per request: once when the headers are in (we
 * build the struct http_request, match, authenticate and decide about the body; an early answer
 * is queued right away and MHD discards the body and closes), once per body chunk (counted,
 * kept, streamed or discarded; never answered there: MHD forbids it), and once when the
 * request is complete (parse, validate, run the handler, queue the staged response).
 * on_completed() records metrics and the access log line and frees the request. The URL
 * reaches us raw (a no-op unescape callback), so the router does the only percent-decoding and
 * can refuse %00, %2F and "..". In-flight requests are counted from the first call to the
 * completion callback; http_server_stop() waits for that count to drop to zero.
 *
 * Slow clients: MHD 0.9.75 only has an idle timeout, and header bytes never reach us before the
 * headers are complete. So every connection gets a tracker (MHD_OPTION_NOTIFY_CONNECTION) with
 * its phase (headers / body / handling) and when the phase began; on_request moves it along and
 * counts body bytes. A reaper thread scans the trackers every REAP_INTERVAL_MS and shuts down
 * (shutdown(2), never close: MHD owns the descriptor) a connection still waiting for complete
 * headers header_timeout_s after it was accepted or its previous response finished, or whose
 * body averages less than body_min_rate bytes/s once body_grace_s have passed; MHD then sees
 * EOF and closes it. A tracker leaves the list in the CLOSED notification, which MHD sends
 * before it closes the socket, under the same lock, so the reaper never touches a reused fd.
 * The body rate is also checked as chunks arrive (MHD_NO closes at once).
 */
#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/rr_error.h"
#include "base/rr_log.h"
#include "http/metrics.h"
#include "http/openapi.h"
#include "http/request_int.h"
#include "http/validate.h"

/* Past a limit we keep reading (and dropping) at most this much so the client can read our
 * 413; beyond it the connection is closed. */
#define DRAIN_MAX (1u << 20)
#define N_CLASSES 5
#define REAP_INTERVAL_MS 100

/* Per-connection slow-client tracker (see the file comment). phase/since/body_bytes are written
 * by the connection's MHD thread and read by the reaper; links and `fd` are guarded by
 * track_mu. */
enum conn_phase { PHASE_HEADERS, PHASE_BODY, PHASE_HANDLING };
enum slow_reason { SLOW_NONE, SLOW_HEADERS, SLOW_BODY };

struct parked {
    struct parked *next;
    struct MHD_Connection *conn;
};

struct conn_track {
    struct conn_track *prev, *next;
    MHD_socket fd;
    atomic_int phase;
    _Atomic uint64_t since_ms;   /* monotonic start of the current phase */
    _Atomic uint64_t body_bytes; /* this request's body bytes so far */
    atomic_int reason;           /* enum slow_reason once we shut it down */
};

static const double latency_bounds[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
                                        0.25,  0.5,   1.0,  2.5,   5.0,  10.0};

struct route_stats {
    struct metrics_counter *by_class[N_CLASSES]; /* 1xx..5xx */
    struct metrics_histogram *latency;
};

struct http_server {
    struct http_config cfg;
    char *bind_addr;
    struct MHD_Daemon *daemon;
    struct router *router;
    struct http_route *routes;
    size_t n_routes;
    void *app;
    struct metrics *metrics;
    struct route_stats *stats; /* n_routes + 1: the last is "unmatched" */
    struct metrics_gauge *in_flight_gauge;
    atomic_int in_flight;
    atomic_int stopping;
    char *openapi;
    size_t openapi_len;
    uint16_t port;
    /* slow clients */
    pthread_mutex_t track_mu;
    pthread_cond_t track_cv;
    struct conn_track *tracks; /* every open connection */
    int reaper_stop;           /* under track_mu */
    int reaper_started;
    pthread_t reaper;
    struct metrics_counter *slow_closed[2]; /* [SLOW_HEADERS - 1], [SLOW_BODY - 1] */
    /* parked streaming connections (http__park), resumed by the reaper every tick */
    pthread_mutex_t park_mu;
    struct parked *parked; /* under park_mu */
    int parking_closed;    /* under park_mu */
};

void http_config_defaults(struct http_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->bind_addr = "127.0.0.1";
    cfg->port = 8080;
    cfg->threads = 4;
    cfg->max_connections = 512;
    cfg->max_per_ip = 32;
    cfg->header_limit = 16 * 1024;
    cfg->json_limit = 1024 * 1024;
    cfg->upload_limit = 512ull * 1024 * 1024;
    cfg->idle_timeout_s = 30;
    cfg->header_timeout_s = 10;
    cfg->body_min_rate = 1024;
    cfg->body_grace_s = 10;
    cfg->drain_timeout_ms = 25000;
    cfg->api_title = "RepRight API";
    cfg->api_version = "1";
}

/* ---- built-in routes ---- */

static int builtin_healthz(struct http_request *req, void *app)
{
    (void)app;
    return http_reply_json(req, 200, json_pack("{s:s}", "status", "ok"));
}

static int builtin_metrics(struct http_request *req, void *app)
{
    (void)app;
    char *text = NULL;
    size_t len = 0;
    int err = metrics_render(req->server->metrics, &text, &len);
    if (err == 0)
        err = http_reply_bytes(req, 200, text, len, "text/plain; version=0.0.4; charset=utf-8");
    free(text);
    return err;
}

static int builtin_openapi(struct http_request *req, void *app)
{
    (void)app;
    return http_reply_bytes(req, 200, req->server->openapi, req->server->openapi_len,
                            "application/json");
}

static const struct http_route builtin_routes[] = {
    {HTTP_GET, "/healthz", builtin_healthz, HTTP_AUTH_NONE, HTTP_BODY_NONE, "healthz",
     "liveness: 200 while the process serves", NULL, NULL},
    {HTTP_GET, "/metrics", builtin_metrics, HTTP_AUTH_NONE, HTTP_BODY_NONE, "metrics",
     "Prometheus metrics (text format 0.0.4)", NULL, NULL},
    {HTTP_GET, "/openapi.json", builtin_openapi, HTTP_AUTH_NONE, HTTP_BODY_NONE, "openapi",
     "this API's OpenAPI 3.1 document", NULL, NULL},
};

/* ---- helpers ---- */

static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    return strlen(s);
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char buf[256];
    vsnprintf(buf, sizeof buf, fmt, ap);
    size_t n = strlen(buf);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    rr_log(RR_LOG_WARN, "libmicrohttpd", RR_LOG_STR("detail", buf));
}
#pragma GCC diagnostic pop

struct header_sum {
    size_t total;
};

static enum MHD_Result sum_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    (void)kind;
    struct header_sum *h = cls;
    h->total += strlen(key) + (value ? strlen(value) : 0) + 4; /* ": " and CRLF */
    return MHD_YES;
}

static int parse_content_length(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (!s || !*s)
        return 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return 0;
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    *out = v;
    return 1;
}

static int is_json_type(const char *ct)
{
    static const char want[] = "application/json";
    if (!ct || strncasecmp(ct, want, sizeof want - 1) != 0)
        return 0;
    char next = ct[sizeof want - 1];
    return next == '\0' || next == ';' || next == ' ';
}

static void fill_request_id(struct http_request *req)
{
    const char *given = http_request_header(req, "X-Request-Id");
    if (http_request_id_ok(given)) {
        snprintf(req->request_id, sizeof req->request_id, "%s", given);
        return;
    }
    unsigned char rnd[8];
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(req->request_id, sizeof req->request_id, rnd, sizeof rnd);
}

static void fill_client_ip(struct http_request *req)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(req->client_ip, sizeof req->client_ip, "unknown");
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
                  req->client_ip, sizeof req->client_ip);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
                  req->client_ip, sizeof req->client_ip);
}

/* ---- slow clients ---- */

static uint64_t now_ms(void) { return http__now_ns() / 1000000u; }

static struct conn_track *track_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void track_phase(struct conn_track *t, enum conn_phase phase)
{
    if (!t)
        return;
    atomic_store(&t->since_ms, now_ms());
    atomic_store(&t->body_bytes, 0);
    atomic_store(&t->phase, (int)phase);
}

/* Slower than the minimum body rate, once the grace period is over? */
static int body_too_slow(const struct http_config *cfg, uint64_t bytes, uint64_t elapsed_ms)
{
    if (cfg->body_min_rate == 0 || elapsed_ms <= (uint64_t)cfg->body_grace_s * 1000u)
        return 0;
    return bytes * 1000u < (uint64_t)cfg->body_min_rate * elapsed_ms;
}

static void slow_closed(struct http_server *s, struct conn_track *t, enum slow_reason why,
                        uint64_t elapsed_ms)
{
    atomic_store(&t->reason, (int)why);
    metrics_counter_add(s->slow_closed[why - 1], 1);
    rr_log(RR_LOG_WARN, "slow client closed",
           RR_LOG_STR("reason", why == SLOW_HEADERS ? "header_deadline" : "body_rate"),
           RR_LOG_INT("elapsed_ms", elapsed_ms),
           RR_LOG_UINT("body_bytes", atomic_load(&t->body_bytes)));
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct http_server *s = cls;
    struct conn_track *t = *socket_context;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        t = calloc(1, sizeof *t);
        if (!t || !ci) { /* untracked: only MHD's idle timeout applies to it */
            free(t);
            return;
        }
        t->fd = ci->connect_fd;
        track_phase(t, PHASE_HEADERS);
        pthread_mutex_lock(&s->track_mu);
        t->next = s->tracks;
        if (s->tracks)
            s->tracks->prev = t;
        s->tracks = t;
        pthread_mutex_unlock(&s->track_mu);
        *socket_context = t;
        return;
    }
    if (!t) /* MHD_CONNECTION_NOTIFY_CLOSED of an untracked connection */
        return;
    pthread_mutex_lock(&s->track_mu);
    if (t->prev)
        t->prev->next = t->next;
    else
        s->tracks = t->next;
    if (t->next)
        t->next->prev = t->prev;
    pthread_mutex_unlock(&s->track_mu);
    *socket_context = NULL;
    free(t);
}

/* Shut down connections past a deadline. Called with track_mu held. */
static void reap(struct http_server *s)
{
    uint64_t now = now_ms();
    uint64_t header_ms = (uint64_t)s->cfg.header_timeout_s * 1000u;
    for (struct conn_track *t = s->tracks; t; t = t->next) {
        if (atomic_load(&t->reason) != SLOW_NONE)
            continue;
        int phase = atomic_load(&t->phase);
        uint64_t since = atomic_load(&t->since_ms);
        uint64_t elapsed = now > since ? now - since : 0;
        enum slow_reason why = SLOW_NONE;
        if (phase == PHASE_HEADERS && header_ms > 0 && elapsed > header_ms)
            why = SLOW_HEADERS;
        else if (phase == PHASE_BODY && body_too_slow(&s->cfg, atomic_load(&t->body_bytes),
                                                      elapsed))
            why = SLOW_BODY;
        if (why == SLOW_NONE)
            continue;
        slow_closed(s, t, why, elapsed); /* counted before the client can see the close */
        (void)shutdown(t->fd, SHUT_RDWR); /* MHD sees EOF and closes; the fd is still MHD's */
    }
}

int http__park(struct http_server *s, struct MHD_Connection *conn)
{
    if (!s || !conn)
        return RR_ERR_INVAL;
    struct parked *p = malloc(sizeof *p);
    if (!p)
        return RR_ERR_NOMEM;
    int err = 0;
    /* suspend under park_mu so the reaper cannot resume before the suspend; no MHD callback
     * takes park_mu, so holding it across the MHD call cannot deadlock */
    pthread_mutex_lock(&s->park_mu);
    if (atomic_load(&s->stopping) || s->parking_closed) {
        err = RR_ERR_BUSY;
    } else if (!s->reaper_started) {
        err = RR_ERR_UNSUPPORTED;
    } else {
        p->conn = conn;
        p->next = s->parked;
        s->parked = p;
        MHD_suspend_connection(conn);
    }
    pthread_mutex_unlock(&s->park_mu);
    if (err)
        free(p);
    return err;
}

/* Resume every parked connection (they re-enter MHD's loop and call their reader again). */
static void unpark_all(struct http_server *s)
{
    pthread_mutex_lock(&s->park_mu);
    while (s->parked) {
        struct parked *p = s->parked;
        s->parked = p->next;
        MHD_resume_connection(p->conn);
        free(p);
    }
    pthread_mutex_unlock(&s->park_mu);
}

static void *reaper_main(void *arg)
{
    struct http_server *s = arg;
    pthread_mutex_lock(&s->track_mu);
    while (!s->reaper_stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += REAP_INTERVAL_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        (void)pthread_cond_timedwait(&s->track_cv, &s->track_mu, &ts);
        if (!s->reaper_stop)
            reap(s);
        pthread_mutex_unlock(&s->track_mu); /* MHD calls are made without track_mu */
        unpark_all(s);
        pthread_mutex_lock(&s->track_mu);
    }
    pthread_mutex_unlock(&s->track_mu);
    pthread_mutex_lock(&s->park_mu);
    s->parking_closed = 1; /* nobody resumes after this */
    pthread_mutex_unlock(&s->park_mu);
    unpark_all(s);
    return NULL;
}

/* ---- request phases ---- */

enum body_state { BODY_NONE_EXPECTED, BODY_JSON, BODY_STREAM };

static void reply_too_big(struct http_request *req, uint64_t limit)
{
    char msg[96];
    snprintf(msg, sizeof msg, "request body exceeds the limit of %llu bytes",
             (unsigned long long)limit);
    http_reply_error(req, 413, "too_large", msg, NULL);
}

static void begin(struct http_server *s, struct http_request *req, const char *url,
                  const char *method)
{
    struct header_sum hs = {strlen(method) + strlen(url) + 12};
    req->server = s;
    req->method = http_request_strdup(req, method);
    req->path = http_request_strdup(req, url);
    if (!req->method || !req->path) {
        req->method = req->method ? req->method : "?";
        req->path = "?";
        http_reply_errcode(req, RR_ERR_NOMEM, NULL);
        return;
    }
    fill_request_id(req);
    fill_client_ip(req);

    MHD_get_connection_values(req->conn, MHD_HEADER_KIND, sum_header, &hs);
    if (hs.total > s->cfg.header_limit) {
        http_reply_error(req, 431, "headers_too_large", "request headers exceed the limit", NULL);
        return;
    }

    int rc = router_match(s->router, method, url, &req->match);
    if (rc == RR_ERR_NOTFOUND) {
        http_reply_error(req, 404, "not_found", "no such resource", NULL);
        return;
    }
    if (rc == RR_ERR_UNSUPPORTED) {
        char allow[96];
        http_allow_format(req->match.allow, allow, sizeof allow);
        http_reply_error(req, 405, "method_not_allowed", "method not allowed for this resource",
                         NULL);
        http_reply_header(req, "Allow", allow);
        return;
    }
    if (rc == RR_ERR_TOOBIG) {
        http_reply_error(req, 414, "uri_too_long", "request path too long", NULL);
        return;
    }
    if (rc < 0) {
        http_reply_error(req, 400, "bad_path", "malformed request path", NULL);
        return;
    }
    const struct http_route *rt = req->match.route;

    if (rt->auth == HTTP_AUTH_REQUIRED) {
        rc = s->cfg.authenticate ? s->cfg.authenticate(req, s->app) : RR_ERR_UNAUTHENTICATED;
        if (rc < 0 && !req->resp)
            http_reply_errcode(req, rc, NULL);
        if (req->resp)
            return;
    }

    uint64_t cl = 0;
    const char *cl_s = http_request_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH);
    int has_cl = parse_content_length(cl_s, &cl);
    int has_body = (has_cl && cl > 0) ||
                   http_request_header(req, MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL;
    switch (rt->body) {
    case HTTP_BODY_NONE:
        req->body_state = BODY_NONE_EXPECTED;
        if (has_body)
            http_reply_error(req, 400, "body_not_allowed", "this resource takes no request body",
                             NULL);
        return;
    case HTTP_BODY_JSON:
        req->body_state = BODY_JSON;
        if (has_body && !is_json_type(http_request_header(req, "Content-Type"))) {
            http_reply_error(req, 415, "unsupported_media_type",
                             "the request body must be application/json", NULL);
            return;
        }
        if (has_cl && cl > s->cfg.json_limit) {
            if (cl - s->cfg.json_limit > DRAIN_MAX)
                reply_too_big(req, s->cfg.json_limit);
            else
                req->body_err = RR_ERR_TOOBIG; /* drain, then answer */
        }
        return;
    case HTTP_BODY_STREAM:
        req->body_state = BODY_STREAM;
        if (has_cl && cl > s->cfg.upload_limit) {
            reply_too_big(req, s->cfg.upload_limit);
            return;
        }
        rc = rt->sink_open(req, s->app, &req->sink);
        if (rc < 0 && !req->resp)
            http_reply_errcode(req, rc, NULL);
        if (req->resp) {
            if (rc == 0 && req->sink.abort) /* opened, then refused: give it back */
                req->sink.abort(req->sink.ctx);
            return;
        }
        if (!req->sink.write) {
            http_reply_errcode(req, RR_ERR_INTERNAL, NULL);
            return;
        }
        req->sink_open = 1;
        return;
    }
}

static enum MHD_Result on_body(struct http_server *s, struct http_request *req, const char *data,
                               size_t n)
{
    req->body_bytes += n;
    struct conn_track *t = track_of(req->conn);
    if (t) {
        uint64_t bytes = atomic_fetch_add(&t->body_bytes, n) + n;
        uint64_t now = now_ms(), since = atomic_load(&t->since_ms);
        uint64_t elapsed = now > since ? now - since : 0;
        if (atomic_load(&t->reason) == SLOW_NONE && body_too_slow(&s->cfg, bytes, elapsed)) {
            slow_closed(s, t, SLOW_BODY, elapsed);
            return MHD_NO;
        }
    }
    if (req->body_err == 0) {
        if (req->body_state == BODY_JSON) {
            if (req->json_len + n > s->cfg.json_limit) {
                req->body_err = RR_ERR_TOOBIG;
                free(req->json_buf);
                req->json_buf = NULL;
                req->json_len = req->json_cap = 0;
            } else {
                if (req->json_len + n > req->json_cap) {
                    size_t cap = req->json_cap ? req->json_cap : 4096;
                    while (cap < req->json_len + n)
                        cap *= 2;
                    if (cap > s->cfg.json_limit)
                        cap = s->cfg.json_limit;
                    char *nb = realloc(req->json_buf, cap);
                    if (!nb) {
                        req->body_err = RR_ERR_NOMEM;
                        return MHD_YES;
                    }
                    req->json_buf = nb;
                    req->json_cap = cap;
                }
                memcpy(req->json_buf + req->json_len, data, n);
                req->json_len += n;
                return MHD_YES;
            }
        } else if (req->body_state == BODY_STREAM) {
            if (req->body_bytes > s->cfg.upload_limit) {
                req->body_err = RR_ERR_TOOBIG;
            } else {
                int rc = req->sink.write(req->sink.ctx, data, n);
                if (rc < 0)
                    req->body_err = rc;
                return MHD_YES;
            }
        } else {
            req->body_err = RR_ERR_INVAL;
        }
    }
    req->discarded += n;
    /* A JSON body over the limit may be read to json_limit + DRAIN_MAX so the client sees our
     * 413; anything else refused mid-body gets DRAIN_MAX more bytes. */
    if (req->body_state == BODY_JSON && req->body_err == RR_ERR_TOOBIG)
        return req->body_bytes > s->cfg.json_limit + DRAIN_MAX ? MHD_NO : MHD_YES;
    return req->discarded > DRAIN_MAX ? MHD_NO : MHD_YES;
}

static void finish(struct http_server *s, struct http_request *req)
{
    const struct http_route *rt = req->match.route;
    if (req->body_err == RR_ERR_TOOBIG) {
        reply_too_big(req, req->body_state == BODY_STREAM ? s->cfg.upload_limit
                                                           : s->cfg.json_limit);
        return;
    }
    if (req->body_err < 0) {
        http_reply_errcode(req, req->body_err, NULL);
        return;
    }
    if (req->body_state == BODY_JSON) {
        json_error_t jerr;
        if (req->json_len == 0) {
            http_reply_error(req, 400, "missing_body", "a JSON request body is required", NULL);
            return;
        }
        req->json = json_loadb(req->json_buf, req->json_len, JSON_REJECT_DUPLICATES, &jerr);
        free(req->json_buf);
        req->json_buf = NULL;
        if (!req->json) {
            char msg[256];
            snprintf(msg, sizeof msg, "invalid JSON at line %d column %d: %s", jerr.line,
                     jerr.column, jerr.text);
            http_reply_error(req, 400, "malformed_json", msg, NULL);
            return;
        }
        if (rt->schema) {
            json_t *details = NULL;
            int rc = validate_json(rt->schema, req->json, &details);
            if (rc == RR_ERR_INVAL) {
                http_reply_error(req, 400, "unknown_field",
                                 "the request body has unknown fields or is not an object",
                                 details);
                return;
            }
            if (rc == RR_ERR_CORRUPT) {
                http_reply_error(req, 422, "validation_failed",
                                 "the request body failed validation", details);
                return;
            }
            json_decref(details);
            if (rc < 0) {
                http_reply_errcode(req, rc, NULL);
                return;
            }
        }
    }
    req->sink_open = 0; /* from here the handler owns the sink context */
    int rc = rt->handler(req, s->app);
    if (rc < 0) {
        http_request__drop_response(req);
        req->n_headers = 0;
        http_reply_errcode(req, rc, NULL);
    } else if (!req->resp) {
        http_reply_errcode(req, RR_ERR_INTERNAL, NULL);
        rr_log(RR_LOG_ERROR, "handler returned without a response",
               RR_LOG_REQUEST_ID(req->request_id), RR_LOG_STR("route", rt->name));
    }
}

static enum MHD_Result queue(struct http_server *s, struct http_request *req)
{
    enum MHD_Result ret;
    if (!req->resp) {
        /* staging the error itself failed (out of memory): a bare 500 */
        req->resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        req->status = 500;
        if (!req->resp)
            return MHD_NO;
    }
    for (size_t i = 0; i < req->n_headers; i++)
        MHD_add_response_header(req->resp, req->hdr_name[i], req->hdr_value[i]);
    MHD_add_response_header(req->resp, "X-Request-Id", req->request_id);
    if (!MHD_get_response_header(req->resp, "Cache-Control")) /* static files set their own */
        MHD_add_response_header(req->resp, "Cache-Control", "no-store");
    if (!MHD_get_response_header(req->resp, "X-Content-Type-Options"))
        MHD_add_response_header(req->resp, "X-Content-Type-Options", "nosniff");
    if (atomic_load(&s->stopping))
        MHD_add_response_header(req->resp, MHD_HTTP_HEADER_CONNECTION, "close");
    ret = MHD_queue_response(req->conn, req->status, req->resp);
    MHD_destroy_response(req->resp);
    req->resp = NULL;
    req->queued = 1;
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    struct http_server *s = cls;
    struct http_request *req = *con_cls;
    if (!req) {
        req = calloc(1, sizeof *req);
        if (!req)
            return MHD_NO;
        *con_cls = req;
        atomic_fetch_add(&s->in_flight, 1);
        metrics_gauge_add(s->in_flight_gauge, 1);
        req->t_start_ns = http__now_ns();
        req->conn = conn;
        begin(s, req, url, method);
        track_phase(track_of(conn), req->resp ? PHASE_HANDLING : PHASE_BODY);
        return req->resp ? queue(s, req) : MHD_YES;
    }
    if (req->queued)
        return MHD_YES;
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        return on_body(s, req, upload_data, n);
    }
    track_phase(track_of(conn), PHASE_HANDLING);
    finish(s, req);
    return queue(s, req);
}

static const char *termination_name(enum MHD_RequestTerminationCode toe, int slow)
{
    if (slow == SLOW_HEADERS)
        return "header_deadline";
    if (slow == SLOW_BODY)
        return "body_rate";
    switch (toe) {
    case MHD_REQUEST_TERMINATED_TIMEOUT_REACHED:
        return "timeout";
    case MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN:
        return "shutdown";
    case MHD_REQUEST_TERMINATED_CLIENT_ABORT:
        return "client_abort";
    default:
        return "error";
    }
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct http_server *s = cls;
    struct http_request *req = *con_cls;
    struct conn_track *t = track_of(conn);
    int slow = t ? atomic_load(&t->reason) : SLOW_NONE;
    /* a keep-alive connection now waits for its next request: the header deadline restarts */
    track_phase(t, PHASE_HEADERS);
    if (!req)
        return;
    *con_cls = NULL;
    double secs = (double)(http__now_ns() - req->t_start_ns) / 1e9;
    const struct http_route *rt = req->match.route;
    struct route_stats *st = &s->stats[rt ? req->match.route_index : s->n_routes];
    unsigned cls_i = req->status / 100;
    if (cls_i >= 1 && cls_i <= N_CLASSES)
        metrics_counter_add(st->by_class[cls_i - 1], 1);
    metrics_histogram_observe(st->latency, secs);

    /* the access line: never the query string (it may carry secrets), never bodies */
    const struct rr_log_field f[] = {
        RR_LOG_REQUEST_ID(req->request_id),
        RR_LOG_STR("method", req->method ? req->method : "?"),
        RR_LOG_STR("path", req->path ? req->path : "?"),
        RR_LOG_STR("route", rt ? rt->name : "unmatched"),
        RR_LOG_INT("status", req->status),
        RR_LOG_REAL("ms", secs * 1000.0),
        RR_LOG_STR("ip", req->client_ip),
        RR_LOG_UINT("bytes_in", req->body_bytes),
        RR_LOG_STR("termination", termination_name(toe, slow)), /* only when not completed */
    };
    size_t n_fields = sizeof f / sizeof f[0] - (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
    rr_log_write(req->status >= 500 || req->status == 0 ? RR_LOG_WARN : RR_LOG_INFO, "request", f,
                 n_fields);

    http_request__release(req);
    free(req);
    metrics_gauge_add(s->in_flight_gauge, -1);
    atomic_fetch_sub(&s->in_flight, 1);
}

/* ---- lifecycle ---- */

static void reaper_stop(struct http_server *s)
{
    if (!s->reaper_started)
        return;
    pthread_mutex_lock(&s->track_mu);
    s->reaper_stop = 1;
    pthread_cond_signal(&s->track_cv);
    pthread_mutex_unlock(&s->track_mu);
    pthread_join(s->reaper, NULL);
    s->reaper_started = 0;
}

static void server_free(struct http_server *s)
{
    if (!s)
        return;
    reaper_stop(s);
    while (s->tracks) { /* MHD closed every connection; anything left was never notified */
        struct conn_track *t = s->tracks;
        s->tracks = t->next;
        free(t);
    }
    pthread_mutex_destroy(&s->track_mu);
    pthread_cond_destroy(&s->track_cv);
    pthread_mutex_destroy(&s->park_mu);
    router_free(s->router);
    metrics_free(s->metrics);
    free(s->stats);
    free(s->routes);
    free(s->openapi);
    free(s->bind_addr);
    free(s);
}

static int make_stats(struct http_server *s)
{
    s->stats = calloc(s->n_routes + 1, sizeof *s->stats);
    if (!s->stats)
        return RR_ERR_NOMEM;
    s->in_flight_gauge = metrics_gauge(s->metrics, "http_requests_in_flight",
                                       "requests being handled now", NULL);
    if (!s->in_flight_gauge)
        return RR_ERR_NOMEM;
    static const char *const reasons[2] = {"header_deadline", "body_rate"};
    for (unsigned r = 0; r < 2; r++) {
        char labels[64];
        if (!metrics_labels(labels, sizeof labels, "reason", reasons[r], (const char *)NULL))
            return RR_ERR_INVAL;
        s->slow_closed[r] = metrics_counter(s->metrics, "http_slow_clients_closed_total",
                                            "connections closed for missing a deadline", labels);
        if (!s->slow_closed[r])
            return RR_ERR_NOMEM;
    }
    for (size_t i = 0; i <= s->n_routes; i++) {
        const char *name = i < s->n_routes ? s->routes[i].name : "unmatched";
        const char *method = i < s->n_routes ? http_method_name(s->routes[i].method) : "";
        char labels[256];
        for (unsigned c = 0; c < N_CLASSES; c++) {
            char klass[4] = {(char)('1' + c), 'x', 'x', '\0'};
            if (!metrics_labels(labels, sizeof labels, "route", name, "method", method, "class",
                                klass, (const char *)NULL))
                return RR_ERR_INVAL;
            s->stats[i].by_class[c] = metrics_counter(
                s->metrics, "http_requests_total", "HTTP requests by route and status class",
                labels);
            if (!s->stats[i].by_class[c])
                return RR_ERR_NOMEM;
        }
        if (!metrics_labels(labels, sizeof labels, "route", name, (const char *)NULL))
            return RR_ERR_INVAL;
        s->stats[i].latency = metrics_histogram(
            s->metrics, "http_request_duration_seconds", "HTTP request latency by route", labels,
            latency_bounds, sizeof latency_bounds / sizeof latency_bounds[0]);
        if (!s->stats[i].latency)
            return RR_ERR_NOMEM;
    }
    return 0;
}

int http_server_start(const struct http_config *cfg, const struct http_route *routes, size_t n,
                      void *app, struct http_server **out, char *msg, size_t msg_len)
{
    int err = 0;
    struct http_server *s = NULL;
    union {
        struct sockaddr_in v4;
        struct sockaddr_in6 v6;
    } addr;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    *out = NULL;
    if (msg_len)
        msg[0] = '\0';
    if (!cfg || (n > 0 && !routes) || n > 4096 || cfg->threads == 0 || cfg->threads > 256 ||
        cfg->header_limit < 1024 || cfg->header_limit > (1u << 20) || cfg->json_limit == 0 ||
        cfg->json_limit > (256u << 20) || cfg->max_connections == 0 ||
        cfg->header_timeout_s > 86400 || cfg->body_grace_s > 86400) {
        snprintf(msg, msg_len, "invalid http config");
        return RR_ERR_INVAL;
    }
    if (sodium_init() < 0) {
        snprintf(msg, msg_len, "libsodium init failed");
        return RR_ERR_INTERNAL;
    }
    s = calloc(1, sizeof *s);
    if (!s)
        return RR_ERR_NOMEM;
    pthread_mutex_init(&s->track_mu, NULL);
    pthread_cond_init(&s->track_cv, NULL);
    pthread_mutex_init(&s->park_mu, NULL);
    s->cfg = *cfg;
    s->app = app;
    s->bind_addr = strdup(cfg->bind_addr ? cfg->bind_addr : "127.0.0.1");
    size_t nb = cfg->no_builtin_routes ? 0 : sizeof builtin_routes / sizeof builtin_routes[0];
    s->n_routes = n + nb;
    s->routes = calloc(s->n_routes ? s->n_routes : 1, sizeof *s->routes);
    s->metrics = metrics_new();
    if (!s->bind_addr || !s->routes || !s->metrics) {
        err = RR_ERR_NOMEM;
        goto out;
    }
    s->cfg.bind_addr = s->bind_addr;
    if (n)
        memcpy(s->routes, routes, n * sizeof *routes);
    if (nb)
        memcpy(s->routes + n, builtin_routes, nb * sizeof *routes);
    err = router_new(s->routes, s->n_routes, &s->router, msg, msg_len);
    if (err < 0)
        goto out;
    err = make_stats(s);
    if (err < 0)
        goto out;
    json_t *doc = openapi_build(s->routes, s->n_routes, cfg->api_title, cfg->api_version);
    s->openapi = doc ? json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(doc);
    if (!s->openapi) {
        err = RR_ERR_NOMEM;
        goto out;
    }
    s->openapi_len = strlen(s->openapi);

    memset(&addr, 0, sizeof addr);
    if (inet_pton(AF_INET, s->bind_addr, &addr.v4.sin_addr) == 1) {
        addr.v4.sin_family = AF_INET;
        addr.v4.sin_port = htons(cfg->port);
    } else if (inet_pton(AF_INET6, s->bind_addr, &addr.v6.sin6_addr) == 1) {
        addr.v6.sin6_family = AF_INET6;
        addr.v6.sin6_port = htons(cfg->port);
        flags |= MHD_USE_IPv6;
    } else {
        snprintf(msg, msg_len, "bind address is not an IP literal: %s", s->bind_addr);
        err = RR_ERR_INVAL;
        goto out;
    }
    /* the timer thread (slow-client deadlines, resuming parked streams), before any request */
    if (pthread_create(&s->reaper, NULL, reaper_main, s) == 0)
        s->reaper_started = 1;
    else
        rr_log_msg(RR_LOG_ERROR, "cannot start the server's timer thread: no header deadline "
                               "or parked streams; the idle timeout and the body-rate check on "
                               "arriving chunks still apply");
    /* MHD's pool holds the read buffer, the parsed headers and the reply headers: room for
     * twice the header limit keeps our own (JSON) 431 in charge for most oversize requests. */
    size_t pool = cfg->header_limit * 2 + 8192;
    s->daemon = MHD_start_daemon(
        flags, cfg->port, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_logger,
        s, MHD_OPTION_SOCK_ADDR,
        (const struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE, cfg->threads,
        MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        cfg->max_per_ip, MHD_OPTION_CONNECTION_TIMEOUT, cfg->idle_timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, pool, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_UNESCAPE_CALLBACK,
        no_unescape, NULL, MHD_OPTION_END);
    if (!s->daemon) {
        snprintf(msg, msg_len, "cannot listen on %s:%u", s->bind_addr, (unsigned)cfg->port);
        err = RR_ERR_IO;
        goto out;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_LISTEN_FD);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (di && getsockname(di->listen_fd, (struct sockaddr *)&ss, &sl) == 0)
        s->port = ntohs(ss.ss_family == AF_INET6
                            ? ((struct sockaddr_in6 *)(void *)&ss)->sin6_port
                            : ((struct sockaddr_in *)(void *)&ss)->sin_port);
    rr_log(RR_LOG_INFO, "http server listening", RR_LOG_STR("addr", s->bind_addr),
           RR_LOG_INT("port", s->port), RR_LOG_UINT("routes", s->n_routes));
    *out = s;
    s = NULL;
out:
    server_free(s);
    return err;
}

uint16_t http_server_port(const struct http_server *s) { return s->port; }
struct metrics *http_server_metrics(struct http_server *s) { return s->metrics; }
int http_server_in_flight(const struct http_server *s)
{
    return atomic_load(&((struct http_server *)s)->in_flight);
}

int http_server_stop(struct http_server *s)
{
    int err = 0;
    if (!s)
        return 0;
    atomic_store(&s->stopping, 1);
    MHD_socket lfd = MHD_quiesce_daemon(s->daemon);
    uint64_t deadline = http__now_ns() + (uint64_t)s->cfg.drain_timeout_ms * 1000000u;
    while (atomic_load(&s->in_flight) > 0 && http__now_ns() < deadline) {
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    int left = atomic_load(&s->in_flight);
    if (left > 0) {
        err = RR_ERR_TIMEOUT;
        rr_log(RR_LOG_WARN, "http drain timeout; cutting requests off",
               RR_LOG_INT("in_flight", left));
    }
    reaper_stop(s); /* resumes anything still parked; parking is refused from here */
    MHD_stop_daemon(s->daemon);
    if (lfd != MHD_INVALID_SOCKET)
        close(lfd);
    rr_log_msg(RR_LOG_INFO, "http server stopped");
    server_free(s);
    return err;
}
