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

    /* staged response */
    struct MHD_Response *resp;
    unsigned status;
    unsigned retry_after;
    size_t n_headers;
    const char *hdr_name[HTTP__MAX_HEADERS];
    const char *hdr_value[HTTP__MAX_HEADERS];
    int queued;

    struct http__arena_block *arena;
};

/* Resets the staged response (destroys a previous one). */
void http_request__drop_response(struct http_request *req);
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
