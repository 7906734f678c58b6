/*
 * conns.h - the HTTP server's connection table (internal to src/http): the accept gate,
 * admission, header deadlines that shorten as the table fills, eviction of the oldest
 * incomplete connection, per-source caps, the body-rate check and the server's timer thread.
 *
 * One thread (the "gate") owns the listening socket. A new connection is admitted against a
 * total budget with a reserve: connections that have not completed a request head (waiting in
 * the gate, or idle keep-alive in libmicrohttpd) may hold at most budget - reserve places;
 * when they hold that many, or the table is full, the OLDEST of them is closed to make room;
 * when every place is busy with a request, the newcomer gets a JSON 503 and a close. A source
 * (an IPv4 address, an IPv6 /64) holding per_source connections gets a JSON 429 and a close.
 * The gate reads nothing: it peeks at the connection's first request head until it is
 * complete (head.h checks its framing; a bad head is answered with the JSON error and a
 * close), then hands the socket to libmicrohttpd (MHD_add_connection), which parses it again.
 * Between two requests of a keep-alive connection the gate holds it again (http_conns__hold:
 * suspended in libmicrohttpd) and checks the next head the same way, whenever libmicrohttpd
 * has read no byte past the request that completed (pipelined requests it parses itself).
 * Every 100 ms the thread closes gate connections and idle keep-alive connections past the
 * header deadline, which runs from header_timeout_s down to a tenth of it (at least 1 s) as
 * the table fills from half to full, and request bodies slower than body_min_rate after
 * body_grace_s; then it calls hooks.tick (the server resumes parked streams there).
 *
 * Lifecycle: http_conns_new, http_conns_listen, start libmicrohttpd (MHD_ALLOW_SUSPEND_RESUME,
 * MHD_USE_ITC) with http_conns__notify as its MHD_OPTION_NOTIFY_CONNECTION (cls = the table),
 * http_conns_start(daemon); at the end http_conns_quiesce (stop accepting), http_conns_stop
 * (join the thread, resume every held connection), MHD_stop_daemon, http_conns_free.
 * Errors: new: RR_ERR_INVAL (bad config), RR_ERR_NOMEM; listen: RR_ERR_INVAL (address not an
 * IP literal), RR_ERR_IO (socket/bind/listen failed; `msg` says which); start: RR_ERR_IO.
 * Thread-safety: the lifecycle calls come from one controlling thread; the http_conns__*
 * hooks are called from libmicrohttpd's threads and are thread-safe.
 */
#ifndef RR_HTTP_CONNS_H
#define RR_HTTP_CONNS_H

#include <microhttpd.h>
#include <stddef.h>
#include <stdint.h>

struct metrics;
struct http_conns;

enum http_conn_phase { HTTP_CONN_HEADERS = 0, HTTP_CONN_BODY, HTTP_CONN_HANDLING };

/* Why the server closed a connection (0 while it did not). */
enum http_conn_close {
    HTTP_CONN_OPEN = 0,
    HTTP_CONN_HEADER_DEADLINE,
    HTTP_CONN_BODY_RATE,
    HTTP_CONN_EVICTED,
    HTTP_CONN_GONE,     /* closed by libmicrohttpd (internal marker) */
    HTTP_CONN_BAD_HEAD, /* a keep-alive request's head answered by the gate (internal) */
};

struct http_proxies;

struct http_conns_config {
    unsigned budget;           /* connections in all (http_config.max_connections) */
    unsigned reserve;          /* of those, kept for connections past their request head */
    unsigned per_source;       /* per IPv4 address or IPv6 /64; 0 = no cap */
    unsigned header_timeout_s; /* 0 = no header deadline (the gate then uses idle_timeout_s) */
    unsigned idle_timeout_s;
    unsigned body_min_rate, body_grace_s;
    size_t head_limit; /* bytes of request line + headers */
    const struct http_proxies *trusted; /* exempt from per_source; NULL = none (outlives c) */
};

/* A request head the gate answered itself (bad framing); method/target may be NULL and are
 * not NUL-terminated. */
struct http_gate_answer {
    unsigned status;
    const char *code;
    const char *request_id;
    const char *method;
    size_t method_len;
    const char *target;
    size_t target_len;
    const char *ip;
    double ms;
};

struct http_conns_hooks {
    void *ctx;
    void (*tick)(void *ctx);                                       /* timer thread, every tick */
    void (*answered)(void *ctx, const struct http_gate_answer *a); /* timer thread */
};

int http_conns_new(const struct http_conns_config *cfg, struct metrics *m,
                   const struct http_conns_hooks *hooks, struct http_conns **out);
/* Create the listening socket; *bound gets the port (useful with port 0). */
int http_conns_listen(struct http_conns *c, const char *addr, uint16_t port, uint16_t *bound,
                      char *msg, size_t msg_len);
/* The connection limit to give libmicrohttpd: the budget plus room for closes in progress. */
unsigned http_conns_mhd_limit(const struct http_conns *c);
int http_conns_start(struct http_conns *c, struct MHD_Daemon *daemon);
int http_conns_running(const struct http_conns *c);
/* Stop accepting and close every connection still in the gate; returns once done. */
void http_conns_quiesce(struct http_conns *c);
/* Stop the thread (no more ticks); no-op when not running. */
void http_conns_stop(struct http_conns *c);
void http_conns_free(struct http_conns *c); /* NULL is a no-op */

/* libmicrohttpd hooks */
void http_conns__notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                        enum MHD_ConnectionNotificationCode code);
/* The connection's current request moved to `phase` (its deadline clock restarts). */
void http_conns__phase(struct MHD_Connection *conn, enum http_conn_phase phase);
/* `n` body bytes arrived: 1 when the body is now too slow (counted and logged: return MHD_NO). */
int http_conns__body(struct http_conns *c, struct MHD_Connection *conn, size_t n);
/* From libmicrohttpd's completion callback (its thread), after a request completed normally:
 * when libmicrohttpd read exactly that request (no pipelined bytes in its buffer, known by
 * TCP_INFO), suspend the connection and let the gate check the next head before it goes on.
 * 1 when held; 0 when libmicrohttpd parses the next request itself. */
int http_conns__hold(struct http_conns *c, struct MHD_Connection *conn);
/* enum http_conn_close for the connection (HTTP_CONN_OPEN when untracked). */
int http_conns__closed_why(struct MHD_Connection *conn);
/* 1 when two client addresses count as one source: the same IPv4 address (v4-mapped IPv6
 * included) or the same IPv6 /64. */
int http_conns__same_source(const struct sockaddr *a, const struct sockaddr *b);

#endif
