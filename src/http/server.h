/*
 * server.h - RepRight's HTTP server: libmicrohttpd (internal epoll thread pool) + the route
 * table, with limits, metrics, JSON access logs and graceful shutdown.
 *
 * http_server_start() compiles the routes (plus the built-ins GET /healthz, GET /metrics and
 * GET /openapi.json unless turned off), starts MHD on cfg->bind_addr:cfg->port (port 0 = any
 * free port; http_server_port() tells which) and returns. For every request the server, before
 * any handler code runs: assigns a request id (echoed as X-Request-Id), refuses headers over
 * header_limit (431), matches the route (404 / 405 + Allow / 400 bad path / 414), runs the
 * authenticate hook on HTTP_AUTH_REQUIRED routes (no hook = 401, fail closed), and handles the
 * body by kind: JSON is counted as it arrives, kept up to json_limit (over it: 413, the rest
 * discarded, the connection closed if the excess passes 1 MiB), must be application/json (415),
 * is parsed with JSON_REJECT_DUPLICATES (400) and checked against the route's schema (400/422);
 * stream bodies go chunk by chunk to the route's sink (never buffered; over upload_limit: 413).
 * A Content-Length already over the limit is answered at once (413) without reading the body.
 * Handlers run on MHD's pool threads; a slow handler holds one of `threads` workers.
 *
 * Connections (docs/internals/http.md): the server owns the listening socket; a gate admits
 * each connection and hands it to MHD once its first request head is complete and well-formed
 * (a malformed or ambiguous head is answered with the JSON error and a close: 400, 414, 431,
 * 501 or 505). max_connections is a budget with a reserve (an eighth) for requests past their
 * head: when incomplete connections fill the rest, or the table is full, the oldest incomplete
 * one is closed for a newcomer; when all are busy, the newcomer gets 503. max_per_ip caps a
 * source (an IPv4 address or an IPv6 /64): 429, except for trusted proxies. The client address
 * of a request (http_request_client_ip: rate limits, access logs) is the TCP peer, or what a
 * trusted proxy's X-Forwarded-For / X-Real-IP says (http/proxy.h). A query of more than 64 parameters is 414.
 * http_server_stop() is graceful: stop accepting, let in-flight requests finish (responses then
 * carry Connection: close) for up to drain_timeout_ms, then stop MHD.
 * Slow clients: idle_timeout_s closes a connection that sends or reads nothing for that long;
 * header_timeout_s closes one whose request headers are not complete that long after it was
 * accepted or its previous response was sent (so it also bounds idle keep-alive), down to a
 * tenth of it (at least 1 s) as the table fills from half to full; a request body averaging
 * less than body_min_rate bytes/s after body_grace_s is cut off. Closes for a deadline count in
 * http_slow_clients_closed_total{reason} and are logged ("slow client closed").
 *
 * Ownership: the server copies the config (and bind address) and the route array; route
 * patterns/names/schemas and `app` must outlive it. The server owns its metrics registry
 * (http_server_metrics: add app series to it freely).
 * Errors: start: RR_ERR_INVAL (bad config or route table; `msg` says which), RR_ERR_IO (bind
 * or MHD start failed), RR_ERR_NOMEM. stop: 0, or RR_ERR_TIMEOUT when requests were still
 * running at the drain deadline (they are cut off).
 * Thread-safety: start/stop from one controlling thread; handlers and the authenticate hook
 * are called concurrently from the pool threads and must be thread-safe.
 */
#ifndef RR_HTTP_SERVER_H
#define RR_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "http/request.h"
#include "http/router.h"

struct metrics;

struct http_config {
    const char *bind_addr;      /* "127.0.0.1"; IPv6 literals allowed */
    uint16_t port;              /* 8080; 0 = pick a free port */
    unsigned threads;           /* 4 worker threads (MHD thread pool, epoll each) */
    unsigned max_connections;   /* 512 total, an eighth kept for requests past their head */
    unsigned max_per_ip;        /* 32 per IPv4 address or IPv6 /64 (0 = no cap) */
    const char *trusted_proxies; /* NULL/"" = none; CIDR list (http/proxy.h): peers whose
                                  * X-Forwarded-For / X-Real-IP name the client, and which the
                                  * per-address cap does not count against */
    size_t header_limit;        /* 16 KiB of request line + headers -> 431 above */
    size_t json_limit;          /* 1 MiB JSON body -> 413 above */
    uint64_t upload_limit;      /* 512 MiB stream body -> 413 above */
    unsigned idle_timeout_s;    /* 30 s without traffic closes a connection */
    unsigned header_timeout_s;  /* 10 s from accept / the previous response to complete headers
                                 * (also the idle keep-alive limit), shorter when the table is
                                 * over half full; 0 = none */
    unsigned body_min_rate;     /* 1024 bytes/s average body rate, checked after ... (0 = none) */
    unsigned body_grace_s;      /* ... 10 s of body */
    unsigned drain_timeout_ms;  /* 25 s for in-flight requests at stop */
    unsigned access_log_sample; /* 1: an access-log line per request; N: one per N requests that
                                 * completed with a status below 400 (the others always; lines
                                 * then carry "sampled":N); 0: none for those */
    int no_builtin_routes;      /* 1: do not add /healthz, /metrics, /openapi.json */
    const char *api_title;      /* OpenAPI info */
    const struct http_route_doc *route_docs; /* scopes and examples by route name (may be NULL) */
    size_t n_route_docs;
    const char *api_version;
    /* Called for HTTP_AUTH_REQUIRED and HTTP_AUTH_KEY routes (http_request_route tells which)
     * before the body is read: return 0 to let the request
     * through (attach the principal with http_request_set_principal) or a negative RR_ERR_*
     * (UNAUTHENTICATED -> 401). It may reply itself (e.g. with Retry-After). */
    int (*authenticate)(struct http_request *req, void *app);
    /* Called by GET /metrics before it renders (NULL = nothing): set the app's gauges from their
     * sources (the job queue, the store's write path). Runs on the request's thread; keep it to
     * a few cheap reads. */
    void (*before_metrics)(struct metrics *m, void *app);
};

struct http_server;

void http_config_defaults(struct http_config *cfg);

int http_server_start(const struct http_config *cfg, const struct http_route *routes, size_t n,
                      void *app, struct http_server **out, char *msg, size_t msg_len);
uint16_t http_server_port(const struct http_server *s);
struct metrics *http_server_metrics(struct http_server *s);
/* Requests currently between their first byte of handling and their completion. */
int http_server_in_flight(const struct http_server *s);
/* Graceful stop and free; NULL is a no-op. */
int http_server_stop(struct http_server *s);

#endif
