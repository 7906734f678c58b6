/*
 * request_int.h - the request struct shared by server.c and request.c (internal to src/http).
 *
 * The server fills a struct http_request per MHD request, the handler answers through
 * request.c, and the server queues the staged response once the handler returns. Response
 * headers are staged in a small array so handlers may add them before or after the reply.
 */
#ifndef RR_HTTP_REQUEST_INT_H
#define RR_HTTP_REQUEST_INT_H

#include <stddef.h>
#include <stdint.h>

#include "http/request.h"
#include "http/router.h"

struct MHD_Connection;
struct MHD_Response;
struct http_server;

#define HTTP__MAX_HEADERS 16
/* Query parameters libmicrohttpd may parse for one request: each costs ~56 bytes of the
 * connection's memory pool, which ~700 exhaust (the library then hangs); more -> 414. */
#define HTTP__MAX_QUERY_PARAMS 64

struct http__arena_block {
    struct http__arena_block *next;
    size_t used, cap;
    max_align_t data[]; /* cap bytes */
};

struct http_request {
    struct http_server *server;
    struct MHD_Connection *conn;
    const char *method;
    const char *path;
    struct router_match match; /* route NULL when unmatched */
    char request_id[65];
    char client_ip[64];
    uint64_t t_start_ns;

    /* body */
    int body_state;          /* enum in server.c */
    int body_err;            /* RR_ERR_* that ends the body phase, 0 while fine */
    uint64_t body_bytes;     /* every byte received, kept or not */
    uint64_t discarded;      /* bytes read after we stopped keeping them */
    char *json_buf;
    size_t json_len, json_cap;
    json_t *json;
    struct http_sink sink;
    int sink_open;           /* sink ctx still ours: abort it at cleanup */

    void *principal;
    void (*principal_free)(void *);

    /* staged response; a file reply (http_reply_file) stays a descriptor until the server
     * queues it, so validators the handler adds afterwards (ETag) count for If-Range */
    struct MHD_Response *resp;
    int file_staged;
    int file_fd;
    uint64_t file_size;
    unsigned status;
    unsigned retry_after;
    size_t n_headers;
    const char *hdr_name[HTTP__MAX_HEADERS];
    const char *hdr_value[HTTP__MAX_HEADERS];
    int queued;
    int query_overflow;      /* more than HTTP__MAX_QUERY_PARAMS: the query was not parsed */
    int begun;               /* the server's first call for this request has run */

    struct http__arena_block *arena;
};

/* Resets the staged response (destroys a previous one, closes a staged file). */
void http_request__drop_response(struct http_request *req);
/* 1 when a reply is staged (a response or a file). */
int http_request__has_response(const struct http_request *req);
/* Turns a staged file into its response (200, 206 or 416 by Range and If-Range, read against
 * the ETag / Last-Modified staged by then). 0 or RR_ERR_NOMEM; no-op without a staged file. */
int http_request__build_file(struct http_request *req);
/* The one error body {"error":{"code","message","request_id","details"}}; steals `details`
 * (NULL = []); NULL when out of memory. */
json_t *http__error_body(const char *code, const char *message, const char *request_id,
                         json_t *details);
/* A whole HTTP/1.1 error response (status line, headers with Connection: close, JSON body) in
 * buf, for answers written straight to a socket by the connection gate. Retry-After is sent
 * when retry_after > 0. Returns its length, 0 when it does not fit or out of memory. */
size_t http__error_response(char *buf, size_t cap, unsigned status, const char *code,
                            const char *message, const char *request_id, unsigned retry_after);
/* 16 random hex digits and a NUL (libsodium). */
void http__new_request_id(char out[17]);
/* Frees the arena, JSON, principal, staged response; aborts an open sink. Not the struct. */
void http_request__release(struct http_request *req);
/* Current time in nanoseconds (CLOCK_MONOTONIC). */
uint64_t http__now_ns(void);
/* For a streaming response's content-reader callback (and only there) that has nothing to send
 * yet: suspend the connection (MHD_suspend_connection) until the server's timer thread resumes
 * it, within ~100 ms, so no pool thread waits for it; then return 0 from the callback. 0 when
 * parked; RR_ERR_BUSY when the server is stopping (end the stream); RR_ERR_UNSUPPORTED /
 * RR_ERR_NOMEM when parking is unavailable (the caller may wait briefly itself). server.c. */
int http__park(struct http_server *s, struct MHD_Connection *conn);

#endif
