/*
 * httpc.h - a tiny blocking HTTP/1.1 client over real sockets, for the HTTP server tests.
 *
 * Not a general client: one request per call (Connection: close unless the raw request says
 * otherwise), Content-Length or read-to-close bodies, no chunked decoding, 10 s timeouts.
 * Ownership: httpc_resp owns its buffer; release it with httpc_resp_free().
 * Thread-safety: no shared state; use from any thread.
 */
#ifndef RR_TEST_HTTPC_H
#define RR_TEST_HTTPC_H

#include <stddef.h>
#include <stdint.h>

struct httpc_resp {
    int status;          /* 0 when no status line arrived */
    char *raw;           /* head + body, NUL-terminated */
    size_t raw_len;
    size_t head_len;     /* up to and including the blank line */
    const char *body;    /* points into raw */
    size_t body_len;
};

/* Connected TCP socket to 127.0.0.1:port, or -1. */
int httpc_connect(uint16_t port);
/* Send everything; 0, or -1 when the peer closed or reset (SIGPIPE never raised). */
int httpc_send(int fd, const void *data, size_t len);
/* Read one response. head_only: do not wait for a body (HEAD). 0 or -1 (nothing parseable). */
int httpc_recv(int fd, struct httpc_resp *r, int head_only);
/* Connect, send the raw request, read the response, close. */
int httpc_raw(uint16_t port, const char *req, size_t len, struct httpc_resp *r);
/* Build and send "METHOD path HTTP/1.1" with Host, Connection: close, `headers` (each line
 * ending in \r\n, may be NULL) and a Content-Length body when body != NULL. */
int httpc_request(uint16_t port, const char *method, const char *path, const char *headers,
                  const void *body, size_t body_len, struct httpc_resp *r);
/* Value of response header `name` (case-insensitive) copied into buf, or NULL. */
const char *httpc_header(const struct httpc_resp *r, const char *name, char *buf, size_t len);
void httpc_resp_free(struct httpc_resp *r);

#endif
