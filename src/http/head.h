/*
 * head.h - the framing check of an HTTP/1.x request head (request line + header fields).
 *
 * The connection gate (conns.h) runs it on the bytes of a connection's first request before
 * libmicrohttpd sees them, so a malformed or ambiguous head gets the project's JSON error and a
 * close, instead of the library's HTML page, a double answer, a hang or a smuggled request.
 * Rules (RFC 9112), stricter than libmicrohttpd where it is lenient or ambiguous:
 *  - empty lines before the request line are skipped; a line ends with CRLF or a bare LF; a CR
 *    not followed by LF, NUL and the other control bytes (HTAB is allowed in values) -> 400;
 *  - request line: METHOD SP TARGET SP HTTP/d.d with single spaces; the method a token of
 *    1..32 bytes, the target visible bytes -> else 400 bad_request_line; HTTP/1.0 and 1.1 are
 *    served, another d.d is 505 http_version_not_supported;
 *  - header fields: token ":" OWS value OWS; whitespace before the colon, a line without a
 *    colon and obs-fold (a line starting with SP/HTAB) -> 400 bad_header;
 *  - at most HTTP_HEAD_MAX_FIELDS fields and `limit` bytes in all -> else 431
 *    headers_too_large (414 uri_too_long when the request line alone passes the limit);
 *  - Host: exactly one in HTTP/1.1, at most one in 1.0 -> else 400 bad_host;
 *  - Content-Length: one field of 1..19 digits -> else 400 bad_content_length;
 *  - Transfer-Encoding: only in HTTP/1.1, only once, never with Content-Length -> else 400
 *    ambiguous_framing; a coding other than "chunked" -> 501 unsupported_transfer_encoding.
 * A bad request line or field is reported as soon as its line is complete, before the rest of
 * the head has arrived.
 * Result: HTTP_HEAD_INCOMPLETE (need more bytes), HTTP_HEAD_OK (v->head_len bytes, through the
 * empty line, are a well-formed head; v->content_length, v->chunked and v->keep_alive say how
 * its body is framed and whether the connection may carry another request) or HTTP_HEAD_BAD (v->status, v->code and v->message say
 * why; static strings). v->method/v->target point into `buf` once the request line is parsed
 * (NULL before), for the access log.
 * Thread-safety: pure.
 */
#ifndef RR_HTTP_HEAD_H
#define RR_HTTP_HEAD_H

#include <stddef.h>

#define HTTP_HEAD_MAX_FIELDS 100
#define HTTP_HEAD_MAX_METHOD 32

enum http_head_result { HTTP_HEAD_BAD = -1, HTTP_HEAD_INCOMPLETE = 0, HTTP_HEAD_OK = 1 };

struct http_head_verdict {
    size_t head_len;     /* HTTP_HEAD_OK: bytes of the head, empty line included */
    unsigned long long content_length; /* HTTP_HEAD_OK: the Content-Length, 0 when none */
    int chunked;                       /* HTTP_HEAD_OK: Transfer-Encoding: chunked */
    int keep_alive; /* HTTP_HEAD_OK: 1.1 without a "close" token, or 1.0 with "keep-alive" */
    int http10;     /* HTTP_HEAD_OK: an HTTP/1.0 request */
    unsigned status;     /* HTTP_HEAD_BAD: 400, 414, 431, 501 or 505 */
    const char *code;    /* HTTP_HEAD_BAD: the error code, e.g. "bad_content_length" */
    const char *message; /* HTTP_HEAD_BAD: one sentence for the client */
    const char *method;  /* request line parts (not NUL-terminated), NULL until parsed */
    size_t method_len;
    const char *target;
    size_t target_len;
};

int http_head_check(const char *buf, size_t len, size_t limit, struct http_head_verdict *v);

#endif
