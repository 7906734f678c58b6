/*
 * request.c - request getters, the per-request arena, and the response builders (one error
 * format, one RR_ERR_* -> status table, Range serving from a descriptor).
 */
#include "http/request_int.h"

#include <microhttpd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base/rr_error.h"

#define ARENA_BLOCK 4096
#define ARENA_MAX_TOTAL (4u << 20)

/* ---- the one error table ---- */

static const struct {
    int err;
    unsigned status;
    const char *code;
} error_table[] = {
    {RR_ERR_NOTFOUND, 404, "not_found"},
    {RR_ERR_INVAL, 400, "invalid_request"},
    {RR_ERR_CORRUPT, 400, "malformed_request"},
    {RR_ERR_TOOBIG, 413, "too_large"},
    {RR_ERR_UNAUTHENTICATED, 401, "unauthenticated"},
    {RR_ERR_FORBIDDEN, 403, "forbidden"},
    {RR_ERR_CONFLICT, 409, "conflict"},
    {RR_ERR_RATELIMITED, 429, "rate_limited"},
    {RR_ERR_BUSY, 503, "busy"},
    {RR_ERR_UNSUPPORTED, 415, "unsupported_media_type"},
    {RR_ERR_NOSPACE, 507, "insufficient_storage"},
    {RR_ERR_QUOTA, 402, "plan_limit_reached"},
};

unsigned http_status_for_error(int err)
{
    for (size_t i = 0; i < sizeof error_table / sizeof error_table[0]; i++)
        if (error_table[i].err == err)
            return error_table[i].status;
    return 500;
}

const char *http_code_for_error(int err)
{
    for (size_t i = 0; i < sizeof error_table / sizeof error_table[0]; i++)
        if (error_table[i].err == err)
            return error_table[i].code;
    return "internal";
}

uint64_t http__now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- arena ---- */

void *http_request_alloc(struct http_request *req, size_t size)
{
    size_t aligned = (size + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    if (size == 0 || aligned < size || aligned > ARENA_MAX_TOTAL)
        return NULL;
    struct http__arena_block *b = req->arena;
    if (!b || b->cap - b->used < aligned) {
        size_t total = 0;
        for (struct http__arena_block *k = req->arena; k; k = k->next)
            total += k->cap;
        size_t cap = aligned > ARENA_BLOCK ? aligned : ARENA_BLOCK;
        if (total + cap > ARENA_MAX_TOTAL)
            return NULL;
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->cap = cap;
        b->used = 0;
        b->next = req->arena;
        req->arena = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += aligned;
    return p;
}

char *http_request_strdup(struct http_request *req, const char *s)
{
    size_t n = strlen(s);
    char *p = http_request_alloc(req, n + 1);
    if (p)
        memcpy(p, s, n + 1);
    return p;
}

/* ---- getters ---- */

const char *http_request_method(const struct http_request *req) { return req->method; }
const char *http_request_path(const struct http_request *req) { return req->path; }
const struct http_route *http_request_route(const struct http_request *req)
{
    return req->match.route;
}
const char *http_request_param(const struct http_request *req, const char *name)
{
    return req->match.route ? router_param(&req->match, name) : NULL;
}
const char *http_request_client_ip(const struct http_request *req) { return req->client_ip; }
const char *http_request_id(const struct http_request *req) { return req->request_id; }
json_t *http_request_json(const struct http_request *req) { return req->json; }
uint64_t http_request_body_bytes(const struct http_request *req) { return req->body_bytes; }
void *http_request_sink_ctx(const struct http_request *req) { return req->sink.ctx; }
void *http_request_principal(const struct http_request *req) { return req->principal; }

void http_request_set_principal(struct http_request *req, void *principal,
                                void (*free_fn)(void *))
{
    if (req->principal && req->principal_free)
        req->principal_free(req->principal);
    req->principal = principal;
    req->principal_free = free_fn;
}

const char *http_request_header(const struct http_request *req, const char *name)
{
    if (!req->conn)
        return NULL;
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_request_query(struct http_request *req, const char *name)
{
    if (!req->conn)
        return NULL;
    /* The server installs a no-op unescape callback, so MHD keeps arguments raw. */
    const char *raw = MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
    if (!raw)
        return NULL;
    size_t n = strlen(raw);
    char *out = http_request_alloc(req, n + 1);
    if (!out || http_percent_decode(raw, n, out, n + 1, 1) < 0)
        return NULL;
    return out;
}

int http_request_id_ok(const char *s)
{
    size_t n = 0;
    if (!s)
        return 0;
    for (; s[n]; n++) {
        char c = s[n];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '-';
        if (!ok || n >= 64)
            return 0;
    }
    return n > 0;
}

/* ---- responses ---- */

void http_request__drop_response(struct http_request *req)
{
    if (req->resp)
        MHD_destroy_response(req->resp);
    if (req->file_staged)
        close(req->file_fd);
    req->resp = NULL;
    req->file_staged = 0;
    req->status = 0;
}

int http_request__has_response(const struct http_request *req)
{
    return req->resp != NULL || req->file_staged;
}

static int header_ok(const char *s, int is_name)
{
    if (!s || (is_name && !*s))
        return 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\r' || c == '\n' || (c < 0x20 && c != '\t') || c == 0x7f)
            return 0;
        if (is_name && (c == ':' || c == ' ' || c == '\t'))
            return 0;
    }
    return 1;
}

int http_reply_header(struct http_request *req, const char *name, const char *value)
{
    if (!header_ok(name, 1) || !header_ok(value, 0))
        return RR_ERR_INVAL;
    for (size_t i = 0; i < req->n_headers; i++) {
        if (strcasecmp(req->hdr_name[i], name) == 0) {
            const char *v = http_request_strdup(req, value);
            if (!v)
                return RR_ERR_NOMEM;
            req->hdr_value[i] = v;
            return 0;
        }
    }
    if (req->n_headers == HTTP__MAX_HEADERS)
        return RR_ERR_TOOBIG;
    const char *n = http_request_strdup(req, name);
    const char *v = http_request_strdup(req, value);
    if (!n || !v)
        return RR_ERR_NOMEM;
    req->hdr_name[req->n_headers] = n;
    req->hdr_value[req->n_headers] = v;
    req->n_headers++;
    return 0;
}

void http_reply_retry_after(struct http_request *req, unsigned seconds)
{
    req->retry_after = seconds ? seconds : 1;
}

static int stage(struct http_request *req, unsigned status, struct MHD_Response *resp,
                 const char *content_type)
{
    if (!resp)
        return RR_ERR_NOMEM;
    http_request__drop_response(req);
    req->resp = resp;
    req->status = status;
    if (content_type)
        return http_reply_header(req, "Content-Type", content_type);
    return 0;
}

int http_reply_bytes(struct http_request *req, unsigned status, const void *data, size_t len,
                     const char *content_type)
{
    if (status < 100 || status > 599)
        return RR_ERR_INVAL;
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)(uintptr_t)data, MHD_RESPMEM_MUST_COPY);
    return stage(req, status, r, content_type);
}

int http_reply_json(struct http_request *req, unsigned status, json_t *body)
{
    int err = 0;
    char *text = NULL;
    if (!body || status < 100 || status > 599) {
        err = RR_ERR_INVAL;
        goto out;
    }
    text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text) {
        err = RR_ERR_NOMEM;
        goto out;
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(text);
        err = RR_ERR_NOMEM;
        goto out;
    }
    err = stage(req, status, r, "application/json");
out:
    json_decref(body);
    return err;
}

json_t *http__error_body(const char *code, const char *message, const char *request_id,
                         json_t *details)
{
    if (!details)
        details = json_array();
    return json_pack("{s:{s:s, s:s, s:s, s:o}}", "error", "code", code, "message", message,
                     "request_id", request_id, "details", details);
}

int http_reply_error(struct http_request *req, unsigned status, const char *code,
                     const char *message, json_t *details)
{
    json_t *body = NULL;
    int err = 0;
    if (status < 400 || status > 599 || !code || !message) {
        json_decref(details);
        return RR_ERR_INVAL;
    }
    body = http__error_body(code, message, req->request_id, details);
    if (!body)
        return RR_ERR_NOMEM;
    err = http_reply_json(req, status, body);
    if (err == 0 && (status == 429 || status == 503)) {
        char ra[16];
        snprintf(ra, sizeof ra, "%u", req->retry_after ? req->retry_after : 1);
        err = http_reply_header(req, "Retry-After", ra);
    }
    return err;
}

int http_reply_errcode(struct http_request *req, int err, const char *message)
{
    unsigned status = http_status_for_error(err);
    if (status == 500 || !message)
        message = status == 500 ? "internal error" : rr_strerror(err);
    return http_reply_error(req, status, http_code_for_error(err), message, NULL);
}

void http__new_request_id(char out[17])
{
    unsigned char rnd[8];
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(out, 17, rnd, sizeof rnd);
}

size_t http__error_response(char *buf, size_t cap, unsigned status, const char *code,
                            const char *message, const char *request_id, unsigned retry_after)
{
    json_t *body = http__error_body(code, message, request_id, NULL);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!text)
        return 0;
    char date[64], retry[48] = "";
    struct tm tm;
    time_t now = time(NULL);
    if (!gmtime_r(&now, &tm) || strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0)
        date[0] = '\0';
    if (retry_after)
        snprintf(retry, sizeof retry, "Retry-After: %u\r\n", retry_after);
    const char *reason = MHD_get_reason_phrase_for(status);
    size_t len = strlen(text);
    int n = snprintf(buf, cap,
                     "HTTP/1.1 %u %s\r\nDate: %s\r\nConnection: close\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n"
                     "X-Request-Id: %s\r\nCache-Control: no-store\r\n"
                     "X-Content-Type-Options: nosniff\r\n%s\r\n%s",
                     status, reason && *reason ? reason : "Error", date, len, request_id, retry,
                     text);
    free(text);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* ---- Range ---- */

static int parse_u64(const char **p, uint64_t *v)
{
    const char *s = *p;
    uint64_t x = 0;
    if (*s < '0' || *s > '9')
        return 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        unsigned d = (unsigned)(*s - '0');
        if (x > (UINT64_MAX - d) / 10)
            return 0;
        x = x * 10 + d;
    }
    *p = s;
    *v = x;
    return 1;
}

int http_range_parse(const char *header, uint64_t size, uint64_t *start, uint64_t *len)
{
    uint64_t a = 0, b = 0;
    if (!header)
        return 0;
    const char *p = header;
    while (*p == ' ')
        p++;
    if (strncmp(p, "bytes=", 6) != 0)
        return 0;
    p += 6;
    while (*p == ' ')
        p++;
    if (*p == '-') { /* suffix: the last n bytes */
        p++;
        if (!parse_u64(&p, &b))
            return 0;
        while (*p == ' ')
            p++;
        if (*p != '\0')
            return 0; /* several ranges or junk: ignore the header */
        if (b == 0 || size == 0)
            return RR_ERR_TOOBIG;
        *len = b < size ? b : size;
        *start = size - *len;
        return 1;
    }
    if (!parse_u64(&p, &a) || *p != '-')
        return 0;
    p++;
    int has_end = parse_u64(&p, &b);
    while (*p == ' ')
        p++;
    if (*p != '\0')
        return 0;
    if (has_end && b < a)
        return 0; /* invalid range-spec: ignored */
    if (a >= size)
        return RR_ERR_TOOBIG;
    if (!has_end || b >= size)
        b = size - 1;
    *start = a;
    *len = b - a + 1;
    return 1;
}

/* A strong entity tag: "..." with no W/ prefix. */
static int strong_etag(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n >= 2 && s[0] == '"' && s[n - 1] == '"';
}

int http_if_range_matches(const char *if_range, const char *etag, const char *last_modified)
{
    if (!if_range)
        return 1;
    while (*if_range == ' ' || *if_range == '\t')
        if_range++;
    size_t n = strlen(if_range);
    while (n > 0 && (if_range[n - 1] == ' ' || if_range[n - 1] == '\t'))
        n--;
    if (n == 0)
        return 0;
    if (if_range[0] == '"' || if_range[0] == 'W') /* an entity tag: strong comparison */
        return strong_etag(etag) && strlen(etag) == n && memcmp(if_range, etag, n) == 0 &&
               if_range[0] == '"';
    return last_modified && strlen(last_modified) == n && memcmp(if_range, last_modified, n) == 0;
}

static const char *staged_header(const struct http_request *req, const char *name)
{
    for (size_t i = 0; i < req->n_headers; i++)
        if (strcasecmp(req->hdr_name[i], name) == 0)
            return req->hdr_value[i];
    return NULL;
}

int http_reply_file(struct http_request *req, int fd, uint64_t size, const char *content_type)
{
    if (fd < 0 || size > (uint64_t)INT64_MAX) {
        if (fd >= 0)
            close(fd);
        return RR_ERR_INVAL;
    }
    http_request__drop_response(req);
    req->file_staged = 1;
    req->file_fd = fd;
    req->file_size = size;
    req->status = 200;
    return content_type ? http_reply_header(req, "Content-Type", content_type) : 0;
}

int http_request__build_file(struct http_request *req)
{
    uint64_t start = 0, len = 0, size = req->file_size;
    int fd = req->file_fd;
    char cr[96];
    int err = 0;
    if (!req->file_staged)
        return 0;
    req->file_staged = 0; /* fd is ours now: closed or given to the response below */
    len = size;
    const char *range = http_request_header(req, "Range");
    int r = 0;
    if (range && http_if_range_matches(http_request_header(req, "If-Range"),
                                       staged_header(req, "ETag"),
                                       staged_header(req, "Last-Modified")))
        r = http_range_parse(range, size, &start, &len);
    if (r == RR_ERR_TOOBIG) {
        close(fd);
        snprintf(cr, sizeof cr, "bytes */%llu", (unsigned long long)size);
        err = http_reply_error(req, 416, "range_not_satisfiable",
                               "the requested range is outside the file", NULL);
        if (err == 0)
            err = http_reply_header(req, "Content-Range", cr);
        return err;
    }
    struct MHD_Response *resp;
    if (len == 0) {
        close(fd);
        resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    } else {
        resp = MHD_create_response_from_fd_at_offset64(len, fd, start);
        if (!resp)
            close(fd);
    }
    if (!resp)
        return RR_ERR_NOMEM;
    req->resp = resp;
    req->status = r == 1 ? 206 : 200;
    err = http_reply_header(req, "Accept-Ranges", "bytes");
    if (err == 0 && r == 1) {
        snprintf(cr, sizeof cr, "bytes %llu-%llu/%llu", (unsigned long long)start,
                 (unsigned long long)(start + len - 1), (unsigned long long)size);
        err = http_reply_header(req, "Content-Range", cr);
    }
    return err;
}

/* ---- cleanup ---- */

void http_request__release(struct http_request *req)
{
    if (req->sink_open && req->sink.abort)
        req->sink.abort(req->sink.ctx);
    req->sink_open = 0;
    http_request__drop_response(req);
    json_decref(req->json);
    req->json = NULL;
    free(req->json_buf);
    req->json_buf = NULL;
    if (req->principal && req->principal_free)
        req->principal_free(req->principal);
    req->principal = NULL;
    while (req->arena) {
        struct http__arena_block *next = req->arena->next;
        free(req->arena);
        req->arena = next;
    }
}
