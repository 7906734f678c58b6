/*
 * stream.c - http_reply_stream (request.h): a reply of unknown length written by the caller's
 * read function, on top of an MHD callback response; waiting parks the connection
 * (http__park in server.c) rather than holding a pool thread.
 */
#include "http/request_int.h"

#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/rr_error.h"

struct stream {
    struct http_stream st;
    struct http_server *server;
    struct MHD_Connection *conn;
};

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct stream *s = cls;
    long n = s->st.read(s->st.cls, buf, max);
    if (n == HTTP_STREAM_END || n < 0)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (n > 0)
        return (ssize_t)(n > (long)max ? (long)max : n);
    int rc = http__park(s->server, s->conn);
    if (rc == 0)
        return 0; /* suspended: MHD calls again after the resume */
    if (rc == RR_ERR_BUSY)
        return MHD_CONTENT_READER_END_OF_STREAM; /* shutting down: the client reconnects */
    struct timespec ts = {0, HTTP_STREAM_SLICE_MS * 1000000L};
    nanosleep(&ts, NULL);
    size_t k = s->st.keepalive ? strlen(s->st.keepalive) : 0;
    if (k == 0 || k > max)
        return 0;
    memcpy(buf, s->st.keepalive, k);
    return (ssize_t)k;
}

static void stream_free(void *cls)
{
    struct stream *s = cls;
    if (s->st.free_fn)
        s->st.free_fn(s->st.cls);
    free(s);
}

int http_reply_stream(struct http_request *req, unsigned status, const char *content_type,
                      const struct http_stream *st)
{
    if (!st || !st->read || status < 100 || status > 599) {
        if (st && st->free_fn)
            st->free_fn(st->cls);
        return RR_ERR_INVAL;
    }
    struct stream *s = calloc(1, sizeof *s);
    if (!s) {
        if (st->free_fn)
            st->free_fn(st->cls);
        return RR_ERR_NOMEM;
    }
    s->st = *st;
    s->server = req->server;
    s->conn = req->conn;
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 1024, stream_read, s, stream_free);
    if (!resp) {
        stream_free(s);
        return RR_ERR_NOMEM;
    }
    http_request__drop_response(req);
    req->resp = resp;
    req->status = status;
    return content_type ? http_reply_header(req, "Content-Type", content_type) : 0;
}
