/*
 * request.h - what a RepRight handler sees of an HTTP request, and how it answers.
 *
 * A handler gets a struct http_request: method, raw path (never the query string), decoded path
 * parameters, query and header getters, the client address, a request id (the client's
 * X-Request-Id when it is 1..64 chars of [A-Za-z0-9._-], otherwise 16 random hex digits), and
 * for JSON routes the parsed body (jansson, JSON_REJECT_DUPLICATES, at most the JSON limit).
 * It answers with exactly one http_reply_*() call (a second one replaces the first) and may add
 * headers with http_reply_header() before or after. Nothing is sent until the handler returns.
 *
 * ONE error format everywhere:
 *   {"error":{"code":"not_found","message":"...","request_id":"...",
 *             "details":[{"field":"email","problem":"..."}]}}
 * and ONE table from RR_ERR_* to status (http_status_for_error):
 *   NOTFOUND 404, INVAL 400, CORRUPT 400, TOOBIG 413, UNAUTHENTICATED 401, FORBIDDEN 403,
 *   CONFLICT 409, RATELIMITED 429 (+ Retry-After), BUSY 503 (+ Retry-After), UNSUPPORTED 415,
 *   anything else 500 (the message is then generic: internal text never reaches the client).
 * Schema validation failures are 422 (400 when an unknown field was sent), see validate.h.
 * BOLA: a resource that exists but belongs to someone else MUST be answered with
 * RR_ERR_NOTFOUND (404), never FORBIDDEN: 403 would confirm that the id exists.
 *
 * Ownership: everything returned by getters lives until the request completes (request arena);
 * http_reply_json/http_reply_error steal the json_t reference they are given (also on failure);
 * http_reply_file takes the descriptor (closed by the response, also on failure).
 * Errors: http_reply_* return 0, RR_ERR_NOMEM or RR_ERR_INVAL (bad status or header).
 * Thread-safety: a request belongs to the one thread running its handler.
 */
#ifndef RR_HTTP_REQUEST_H
#define RR_HTTP_REQUEST_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/rr_json.h"

struct http_request;
struct http_route;

/* The upload sink of an HTTP_BODY_STREAM route. write() gets every body chunk in order and
 * returns 0 or an RR_ERR_* code (the upload is then answered with that code's status). abort()
 * is called instead of the handler when the body did not arrive whole (client gone, limit,
 * write error); once the handler runs, ctx belongs to the handler (http_request_sink_ctx). */
struct http_sink {
    int (*write)(void *ctx, const void *data, size_t len);
    void (*abort)(void *ctx);
    void *ctx;
};

const char *http_request_method(const struct http_request *req);
const char *http_request_path(const struct http_request *req); /* raw path, no query */
const struct http_route *http_request_route(const struct http_request *req);
const char *http_request_param(const struct http_request *req, const char *name);
/* Decoded query value ('+' is a space), or NULL when absent or badly encoded. */
const char *http_request_query(struct http_request *req, const char *name);
const char *http_request_header(const struct http_request *req, const char *name);
const char *http_request_client_ip(const struct http_request *req);
const char *http_request_id(const struct http_request *req);
json_t *http_request_json(const struct http_request *req); /* borrowed; NULL if no JSON body */
uint64_t http_request_body_bytes(const struct http_request *req);
void *http_request_sink_ctx(const struct http_request *req);
/* The principal the authenticate hook attached (freed with free_fn at request end). */
void http_request_set_principal(struct http_request *req, void *principal,
                                void (*free_fn)(void *));
void *http_request_principal(const struct http_request *req);
/* Arena allocation freed when the request completes; NULL on overflow or out of memory. */
void *http_request_alloc(struct http_request *req, size_t size);
char *http_request_strdup(struct http_request *req, const char *s);

int http_reply_json(struct http_request *req, unsigned status, json_t *body);
/* The document written into `j` (base/rr_json.h) as application/json; the writer's sticky
 * error instead if it has one (RR_ERR_TOOBIG past its cap, RR_ERR_NOMEM, RR_ERR_INVAL). The
 * bytes are copied: the caller releases `j`. */
int http_reply_writer(struct http_request *req, unsigned status, const struct rr_json *j);
/* `code` is a stable snake_case string; `details` an array of {"field","problem"} or NULL. */
int http_reply_error(struct http_request *req, unsigned status, const char *code,
                     const char *message, json_t *details);
/* Status, code string and message from the RR_ERR_* table; message NULL = the table's text. */
int http_reply_errcode(struct http_request *req, int err, const char *message);
int http_reply_bytes(struct http_request *req, unsigned status, const void *data, size_t len,
                     const char *content_type);
/* Serve `size` bytes of `fd` with Range support: 200 (whole), 206 (one satisfiable
 * "bytes=a-b", "a-" or "-n" range) or 416 (unsatisfiable; Content-Range: bytes, star, /SIZE).
 * Multiple or malformed ranges are ignored (whole file), as RFC 9110 allows. If-Range is
 * honoured: the Range applies only when If-Range is absent or matches the ETag (strong
 * comparison) or Last-Modified the handler sets on this reply, before or after this call (the
 * response is built when the handler returns); a reply without a validator sends the whole
 * file to any If-Range. */
int http_reply_file(struct http_request *req, int fd, uint64_t size, const char *content_type);
int http_reply_header(struct http_request *req, const char *name, const char *value);

/* A streamed reply of unknown length (server-sent events). The server calls read() on a pool
 * thread whenever the socket can take more; it writes at most `max` bytes into buf and returns
 * how many (> 0), HTTP_STREAM_WAIT when it has nothing to say yet, or HTTP_STREAM_END. On WAIT
 * the connection is parked (suspended, resumed by the server's timer within ~100 ms, no thread
 * waits for it); where parking is unavailable the server sleeps HTTP_STREAM_SLICE_MS and sends
 * `keepalive` (which also finds a gone client); while the server stops, the stream ends.
 * free_fn(cls) runs once when the response is gone, also when http_reply_stream fails. */
#define HTTP_STREAM_WAIT 0
#define HTTP_STREAM_END (-1)
#define HTTP_STREAM_SLICE_MS 50
struct http_stream {
    long (*read)(void *cls, char *buf, size_t max);
    void (*free_fn)(void *cls);
    void *cls;
    const char *keepalive; /* e.g. ":\n" for SSE; NULL = sleep and ask again */
};
int http_reply_stream(struct http_request *req, unsigned status, const char *content_type,
                      const struct http_stream *st);
/* Seconds sent in Retry-After with 429/503 errors (default 1). */
void http_reply_retry_after(struct http_request *req, unsigned seconds);

unsigned http_status_for_error(int err);
const char *http_code_for_error(int err);

/* Range header parsing (pure; fuzzed). 0: no usable range (serve all); 1: start and len set;
 * RR_ERR_TOOBIG: unsatisfiable (416). `header` may be NULL. */
int http_range_parse(const char *header, uint64_t size, uint64_t *start, uint64_t *len);

/* If-Range (RFC 9110 section 13.1.5; pure, fuzzed): 1 when a Range may be honoured: no
 * If-Range (NULL), an entity tag equal to the strong `etag`, or an HTTP-date identical to
 * `last_modified`. Weak tags and anything else never match (0). */
int http_if_range_matches(const char *if_range, const char *etag, const char *last_modified);

/* 1 when s is a client request id we echo: 1..64 chars of [A-Za-z0-9._-]. */
int http_request_id_ok(const char *s);

#endif
