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
 * Connections (conns.c): the server owns the listening socket. A gate thread admits each new
 * connection against the connection budget (evicting the oldest incomplete one under
 * pressure), holds it until its first request head is complete and well-formed, and then hands
 * it to MHD (MHD_add_connection); the same thread enforces the header deadline and the body
 * rate, and resumes parked streams every tick. After each completed request on_completed asks
 * the gate to hold the connection until it has checked the next head too (http_conns__hold).
 * Requests MHD had already read past that point (pipelined ones) are parsed by MHD alone, so
 * the callbacks here guard what MHD gets wrong: the URI
 * callback (MHD_OPTION_URI_LOG_CALLBACK, called before MHD splits the query) refuses a query
 * of more than HTTP__MAX_QUERY_PARAMS parameters, which would exhaust the connection's memory
 * pool (MHD then hangs), and begin() refuses Content-Length with Transfer-Encoding and any
 * coding but chunked. The URI callback also allocates the request, so MHD reports every
 * request it began to on_completed, even one it refused itself.
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
#include "http/conns.h"
#include "http/head.h"
#include "http/metrics.h"
#include "http/openapi.h"
#include "http/proxy.h"
#include "http/request_int.h"
#include "http/validate.h"

/* Past a limit we keep reading (and dropping) at most this much so the client can read our
 * 413; beyond it the connection is closed. */
#define DRAIN_MAX (1u << 20)
#define N_CLASSES 5

struct parked {
    struct parked *next;
    struct MHD_Connection *conn;
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
    atomic_uint_fast64_t access_seq; /* successful requests seen, for access-log sampling */
    char *openapi;
    size_t openapi_len;
    uint16_t port;
    struct http_conns *conns; /* gate, admission, deadlines, the timer thread */
    struct http_proxies proxies; /* trusted proxies (cfg.trusted_proxies parsed) */
    /* parked streaming connections (http__park), resumed by the timer thread every tick */
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
    cfg->access_log_sample = 1;
    cfg->api_title = "RepRight API";
    cfg->api_version = "1";
}

/* ---- built-in routes ---- */

static int builtin_healthz(struct http_request *req, void *app)
{
    (void)app;
    static const char ok[] = "{\"status\":\"ok\"}";
    return http_reply_bytes(req, 200, ok, sizeof ok - 1, "application/json");
}

static int builtin_metrics(struct http_request *req, void *app)
{
    if (req->server->cfg.before_metrics)
        req->server->cfg.before_metrics(req->server->metrics, app);
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
    http__new_request_id(req->request_id);
}

struct forwarded {
    const char *xff, *real_ip;
};

/* The last X-Forwarded-For (a trusted proxy appends to the last one it was given) and the
 * first X-Real-IP. */
static enum MHD_Result find_forwarded(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    (void)kind;
    struct forwarded *f = cls;
    if (key && strcasecmp(key, "X-Forwarded-For") == 0)
        f->xff = value;
    else if (key && strcasecmp(key, "X-Real-IP") == 0 && !f->real_ip)
        f->real_ip = value;
    return MHD_YES;
}

static void fill_client_ip(struct http_request *req)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *peer = ci ? ci->client_addr : NULL;
    struct forwarded f = {NULL, NULL};
    const struct http_proxies *trusted = &req->server->proxies;
    if (trusted->n && http_proxies_trusted(trusted, peer))
        MHD_get_connection_values(req->conn, MHD_HEADER_KIND, find_forwarded, &f);
    http_proxies_client_ip(trusted, peer, f.xff, f.real_ip, req->client_ip,
                           sizeof req->client_ip);
}

/* ---- parked streams ---- */

int http__park(struct http_server *s, struct MHD_Connection *conn)
{
    if (!s || !conn)
        return RR_ERR_INVAL;
    struct parked *p = malloc(sizeof *p);
    if (!p)
        return RR_ERR_NOMEM;
    int err = 0;
    /* suspend under park_mu so the timer cannot resume before the suspend; no MHD callback
     * takes park_mu, so holding it across the MHD call cannot deadlock */
    pthread_mutex_lock(&s->park_mu);
    if (atomic_load(&s->stopping) || s->parking_closed) {
        err = RR_ERR_BUSY;
    } else if (!http_conns_running(s->conns)) {
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

/* The timer thread's tick (conns.c): resume every parked stream. */
static void on_tick(void *ctx) { unpark_all(ctx); }

/* No more parking, and nothing left parked (after the timer thread stopped). */
static void close_parking(struct http_server *s)
{
    pthread_mutex_lock(&s->park_mu);
    s->parking_closed = 1;
    pthread_mutex_unlock(&s->park_mu);
    unpark_all(s);
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

/* ---- framing of requests the gate did not see (keep-alive) ---- */

struct framing {
    unsigned te, cl, host, bad_cl, bad_name;
};

static const char FRAMING_TE[] = "unsupported_transfer_encoding";

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    (void)kind;
    struct framing *f = cls;
    uint64_t ignored;
    if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0)
        f->te++;
    if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0)
        f->host++;
    if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
        f->cl++;
        f->bad_cl += !parse_content_length(value, &ignored);
    }
    for (const char *k = key; *k; k++) /* a field name is a token: "X-A :" is not one */
        f->bad_name += *k <= ' ' || *k >= 0x7f;
    return MHD_YES;
}

/* The error code for a framing the gate would refuse (head.c's codes), or NULL. */
static const char *framing_problem(const struct framing *f, const char *te, const char *version)
{
    int http10 = version && strcmp(version, "HTTP/1.0") == 0;
    if (f->bad_name)
        return "bad_header";
    if (f->cl > 1 || f->bad_cl)
        return "bad_content_length";
    if (f->te && (f->cl || f->te > 1 || http10))
        return "ambiguous_framing";
    if (te && strcasecmp(te, "chunked") != 0)
        return FRAMING_TE;
    if (!http10 && f->host != 1)
        return "bad_host";
    return NULL;
}

static const char *framing_message(const char *code)
{
    static const struct {
        const char *code, *message;
    } messages[] = {
        {"bad_header", "malformed header field"},
        {"bad_content_length", "Content-Length must be one decimal number"},
        {"ambiguous_framing", "a request may not have both Content-Length and Transfer-Encoding"},
        {FRAMING_TE, "the only transfer coding accepted is chunked"},
        {"bad_host", "an HTTP/1.1 request needs exactly one Host header"},
    };
    for (size_t i = 0; i < sizeof messages / sizeof messages[0]; i++)
        if (strcmp(messages[i].code, code) == 0)
            return messages[i].message;
    return "malformed request";
}

static void begin(struct http_server *s, struct http_request *req, const char *url,
                  const char *method, const char *version)
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
    if (req->query_overflow) {
        char msg[80];
        snprintf(msg, sizeof msg, "the query has more than %d parameters",
                 HTTP__MAX_QUERY_PARAMS);
        http_reply_error(req, 414, "too_many_query_params", msg, NULL);
        return;
    }
    /* The gate checked this head unless MHD had read it already with the previous request
     * (pipelined, or after a chunked body); MHD alone parses those, and it reads a body by Transfer-Encoding even with a Content-Length (a proxy in front
     * may have framed it the other way: request smuggling), takes the first of two lengths,
     * and waits forever for a body in a coding it does not know. The same rules as the gate
     * (head.c) are applied to what MHD parsed; answered now, the body is never read and MHD
     * closes the connection. */
    struct framing fr = {0};
    MHD_get_connection_values(req->conn, MHD_HEADER_KIND, count_framing, &fr);
    const char *te = http_request_header(req, MHD_HTTP_HEADER_TRANSFER_ENCODING);
    const char *why = framing_problem(&fr, te, version);
    if (why) {
        http_reply_error(req, why == FRAMING_TE ? 501 : 400, why, framing_message(why), NULL);
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

    if (rt->auth != HTTP_AUTH_NONE) {
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
    if (http_conns__body(s->conns, req->conn, n))
        return MHD_NO; /* slower than body_min_rate: counted and logged */
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
    } else if (!http_request__has_response(req)) {
        http_reply_errcode(req, RR_ERR_INTERNAL, NULL);
        rr_log(RR_LOG_ERROR, "handler returned without a response",
               RR_LOG_REQUEST_ID(req->request_id), RR_LOG_STR("route", rt->name));
    }
}

static enum MHD_Result queue(struct http_server *s, struct http_request *req)
{
    enum MHD_Result ret;
    if (http_request__build_file(req) < 0)
        http_request__drop_response(req);
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

/* MHD_OPTION_URI_LOG_CALLBACK: the request line is in, MHD has found the '?' but not yet
 * split the query into its memory pool. A query of more than HTTP__MAX_QUERY_PARAMS
 * parameters is cut off here (MHD then parses an empty one) and refused in begin(). The
 * request is allocated here; MHD hands it to on_request and on_completed as *con_cls. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    (void)conn;
    struct http_request *req = calloc(1, sizeof *req);
    if (!req)
        return NULL; /* on_request allocates it then */
    const char *q = strchr(uri, '?');
    if (q) {
        unsigned params = 1;
        for (const char *p = q + 1; *p && params <= HTTP__MAX_QUERY_PARAMS; p++)
            params += *p == '&';
        if (params > HTTP__MAX_QUERY_PARAMS) {
            /* The one write into MHD's buffer: `uri` is its read buffer, const only in the
             * callback's type, and 0.9.75 parses the query from the byte after '?' once this
             * returns (connection.c, parse_initial_message_line). */
            char *args = (char *)(uintptr_t)(q + 1);
            args[0] = '\0';
            req->query_overflow = 1;
        }
    }
    return req;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct http_server *s = cls;
    struct http_request *req = *con_cls;
    if (!req || !req->begun) {
        if (!req && !(req = calloc(1, sizeof *req)))
            return MHD_NO;
        *con_cls = req;
        req->begun = 1;
        atomic_fetch_add(&s->in_flight, 1);
        metrics_gauge_add(s->in_flight_gauge, 1);
        req->t_start_ns = http__now_ns();
        req->conn = conn;
        begin(s, req, url, method, version);
        http_conns__phase(conn, req->resp ? HTTP_CONN_HANDLING : HTTP_CONN_BODY);
        return req->resp ? queue(s, req) : MHD_YES;
    }
    if (req->queued)
        return MHD_YES;
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        return on_body(s, req, upload_data, n);
    }
    http_conns__phase(conn, HTTP_CONN_HANDLING);
    finish(s, req);
    return queue(s, req);
}

static const char *termination_name(enum MHD_RequestTerminationCode toe, int closed)
{
    switch (closed) {
    case HTTP_CONN_HEADER_DEADLINE:
        return "header_deadline";
    case HTTP_CONN_BODY_RATE:
        return "body_rate";
    case HTTP_CONN_EVICTED:
        return "evicted";
    default:
        break;
    }
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

/* The access-log line of a request: every one that failed or was cut off; of the others one in
 * cfg.access_log_sample (0: none), marked "sampled":N so counts can be scaled back. */
static void access_log(struct http_server *s, const struct http_request *req, double secs,
                       enum MHD_RequestTerminationCode toe, int closed)
{
    unsigned every = s->cfg.access_log_sample;
    int routine = req->status > 0 && req->status < 400 && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK;
    if (routine && every != 1) {
        if (every == 0 || atomic_fetch_add(&s->access_seq, 1) % every != 0)
            return;
    }
    const struct http_route *rt = req->match.route;
    /* the access line: never the query string (it may carry secrets), never bodies */
    struct rr_log_field f[] = {
        RR_LOG_REQUEST_ID(req->request_id),
        RR_LOG_STR("method", req->method ? req->method : "?"),
        RR_LOG_STR("path", req->path ? req->path : "?"),
        RR_LOG_STR("route", rt ? rt->name : "unmatched"),
        RR_LOG_INT("status", req->status),
        RR_LOG_REAL("ms", secs * 1000.0),
        RR_LOG_STR("ip", req->client_ip),
        RR_LOG_UINT("bytes_in", req->body_bytes),
        RR_LOG_STR("termination", termination_name(toe, closed)), /* only when not completed */
    };
    size_t n_fields = sizeof f / sizeof f[0];
    if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK) {
        n_fields--;
        if (routine && every > 1)
            f[n_fields++] = RR_LOG_UINT("sampled", every);
    }
    rr_log_write(req->status >= 500 || req->status == 0 ? RR_LOG_WARN : RR_LOG_INFO, "request", f,
                 n_fields);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct http_server *s = cls;
    struct http_request *req = *con_cls;
    int closed = http_conns__closed_why(conn);
    /* a keep-alive connection now waits for its next request: the header deadline restarts */
    http_conns__phase(conn, HTTP_CONN_HEADERS);
    /* and the gate checks that request's head before libmicrohttpd parses it */
    if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK && !atomic_load(&s->stopping))
        (void)http_conns__hold(s->conns, conn);
    if (!req)
        return;
    *con_cls = NULL;
    if (!req->begun) {
        /* MHD dropped the request before its headers were complete: refused it itself (a
         * malformed keep-alive request; its own HTML answer), or the connection closed */
        if (toe == MHD_REQUEST_TERMINATED_WITH_ERROR && closed == HTTP_CONN_OPEN)
            rr_log_msg(RR_LOG_INFO, "request refused by libmicrohttpd");
        http_request__release(req);
        free(req);
        return;
    }
    double secs = (double)(http__now_ns() - req->t_start_ns) / 1e9;
    const struct http_route *rt = req->match.route;
    struct route_stats *st = &s->stats[rt ? req->match.route_index : s->n_routes];
    unsigned cls_i = req->status / 100;
    if (cls_i >= 1 && cls_i <= N_CLASSES)
        metrics_counter_add(st->by_class[cls_i - 1], 1);
    metrics_histogram_observe(st->latency, secs);

    access_log(s, req, secs, toe, closed);
    http_request__release(req);
    free(req);
    metrics_gauge_add(s->in_flight_gauge, -1);
    atomic_fetch_sub(&s->in_flight, 1);
}

/* A request head the gate answered itself (conns.c): metrics and access log as "unmatched".
 * Only printable ASCII of the method and the path (no query) is logged. */
static void on_gate_answer(void *ctx, const struct http_gate_answer *a)
{
    struct http_server *s = ctx;
    char method[HTTP_HEAD_MAX_METHOD + 1] = "?", path[257] = "?";
    if (a->method && a->method_len < sizeof method) {
        memcpy(method, a->method, a->method_len);
        method[a->method_len] = '\0';
    }
    if (a->target) {
        size_t n = 0;
        while (n < a->target_len && n < sizeof path - 1 && a->target[n] != '?' &&
               a->target[n] > 0x20 && a->target[n] < 0x7f)
            n++;
        if (n == a->target_len || a->target[n] == '?' || n == sizeof path - 1) {
            memcpy(path, a->target, n);
            path[n] = '\0';
        }
    }
    struct route_stats *st = &s->stats[s->n_routes];
    metrics_counter_add(st->by_class[a->status / 100 - 1], 1);
    metrics_histogram_observe(st->latency, a->ms / 1000.0);
    rr_log(a->status >= 500 ? RR_LOG_WARN : RR_LOG_INFO, "request", RR_LOG_REQUEST_ID(a->request_id),
           RR_LOG_STR("method", method), RR_LOG_STR("path", path), RR_LOG_STR("route", "unmatched"),
           RR_LOG_INT("status", a->status), RR_LOG_REAL("ms", a->ms), RR_LOG_STR("ip", a->ip),
           RR_LOG_INT("bytes_in", 0), RR_LOG_STR("termination", "bad_head"),
           RR_LOG_STR("code", a->code));
}

/* ---- lifecycle ---- */

static void server_free(struct http_server *s)
{
    if (!s)
        return;
    http_conns_stop(s->conns);
    close_parking(s);
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
    http_conns_free(s->conns);
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
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_NO_LISTEN_SOCKET;
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
    json_t *doc = openapi_build_docs(s->routes, s->n_routes, cfg->route_docs, cfg->n_route_docs,
                                     cfg->api_title, cfg->api_version);
    s->openapi = doc ? json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(doc);
    if (!s->openapi) {
        err = RR_ERR_NOMEM;
        goto out;
    }
    s->openapi_len = strlen(s->openapi);

    s->cfg.trusted_proxies = NULL; /* parsed below; the text need not outlive start */
    err = http_proxies_parse(cfg->trusted_proxies, &s->proxies, msg, msg_len);
    if (err < 0)
        goto out;
    /* the connection table: a reserve of an eighth for requests past their head */
    struct http_conns_config cc = {cfg->max_connections, cfg->max_connections / 8,
                                   cfg->max_per_ip,      cfg->header_timeout_s,
                                   cfg->idle_timeout_s,  cfg->body_min_rate,
                                   cfg->body_grace_s,    cfg->header_limit,
                                   &s->proxies};
    struct http_conns_hooks hooks = {s, on_tick, on_gate_answer};
    err = http_conns_new(&cc, s->metrics, &hooks, &s->conns);
    if (err == 0)
        err = http_conns_listen(s->conns, s->bind_addr, cfg->port, &s->port, msg, msg_len);
    if (err < 0) {
        if (err == RR_ERR_INVAL && !msg[0])
            snprintf(msg, msg_len, "invalid connection settings");
        goto out;
    }
    /* MHD's pool holds the read buffer, the parsed headers and the reply headers: room for
     * twice the header limit keeps our own (JSON) 431 in charge for most oversize requests. */
    size_t pool = cfg->header_limit * 2 + 8192;
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, s,
        MHD_OPTION_THREAD_POOL_SIZE, cfg->threads, MHD_OPTION_CONNECTION_LIMIT,
        http_conns_mhd_limit(s->conns), MHD_OPTION_CONNECTION_TIMEOUT, cfg->idle_timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, pool, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_NOTIFY_CONNECTION, http_conns__notify, s->conns, MHD_OPTION_URI_LOG_CALLBACK,
        on_uri, s, MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL, MHD_OPTION_END);
    if (!s->daemon) {
        snprintf(msg, msg_len, "cannot start libmicrohttpd");
        err = RR_ERR_IO;
        goto out;
    }
    if (http_conns_start(s->conns, s->daemon) < 0) {
        snprintf(msg, msg_len, "cannot start the connection gate thread");
        err = RR_ERR_IO;
        goto out;
    }
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
    http_conns_quiesce(s->conns); /* no new connections; those still in the gate closed */
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
    http_conns_stop(s->conns); /* the timer thread: no more ticks */
    close_parking(s);          /* resumes anything still parked; parking is refused from here */
    MHD_stop_daemon(s->daemon);
    s->daemon = NULL;
    rr_log_msg(RR_LOG_INFO, "http server stopped");
    server_free(s);
    return err;
}
