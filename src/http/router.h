/*
 * router.h - RepRight's table-driven HTTP route table and path matcher.
 *
 * A route is one row: method, pattern ("/v1/workouts/{id}"), handler, auth flag, body kind, a
 * stable name (metrics label, OpenAPI operationId) and a summary. router_new() compiles the
 * patterns once at start (segments split, parameter names checked, duplicates refused);
 * router_match() then percent-decodes the request path segment by segment and scans the small
 * table. Policy, enforced here so every route gets it:
 *  - paths are absolute, at most ROUTER_MAX_PATH bytes and ROUTER_MAX_SEGMENTS segments;
 *  - every segment is percent-decoded; a bad escape ("%4", "%zz"), a decoded NUL, control byte
 *    or '/', and "." / ".." segments are refused (RR_ERR_INVAL -> 400), never matched;
 *  - a parameter is 1..ROUTER_MAX_PARAM_LEN decoded bytes; at most ROUTER_MAX_PARAMS per route;
 *  - trailing slash is strict: "/v1/workouts/" does not match "/v1/workouts" (404), and an
 *    empty segment ("//") never matches;
 *  - a literal segment beats a parameter at the same position ("/v1/workouts/export" wins over
 *    "/v1/workouts/{id}"), whatever the table order;
 *  - a path that matches some route but not with this method -> RR_ERR_UNSUPPORTED (405) and
 *    the Allow set; HEAD is answered by the GET route of the same path;
 *  - a rest parameter "{name*}" (last segment only, e.g. "/{path*}" for static files) matches
 *    zero or more non-empty segments, each decoded and checked as above; its value is those
 *    segments joined by '/' ("" for none). A route with a rest parameter is a FALLBACK: it is
 *    tried only when no ordinary pattern matches the path, and never adds to Allow (another
 *    method on an unknown path stays 404).
 * Ownership: the router keeps pointers into the caller's route array and pattern strings, which
 * must outlive it. struct router_match owns its decoded parameter storage (no allocation).
 * Errors: router_new: RR_ERR_INVAL (bad pattern, duplicate route; `msg` names it), RR_ERR_NOMEM.
 * Thread-safety: a built router is immutable; router_match may run on many threads at once.
 */
#ifndef RR_HTTP_ROUTER_H
#define RR_HTTP_ROUTER_H

#include <stddef.h>
#include <stdint.h>

#define ROUTER_MAX_PATH 2048
#define ROUTER_MAX_SEGMENTS 16
#define ROUTER_MAX_PARAMS 8
#define ROUTER_MAX_PARAM_LEN 256

/* Methods are bits so a route set can be summarised as an Allow mask. */
enum http_method {
    HTTP_GET = 1 << 0,
    HTTP_HEAD = 1 << 1,
    HTTP_POST = 1 << 2,
    HTTP_PUT = 1 << 3,
    HTTP_PATCH = 1 << 4,
    HTTP_DELETE = 1 << 5,
    HTTP_OPTIONS = 1 << 6,
};

enum http_body {
    HTTP_BODY_NONE = 0, /* a request body is refused (400) */
    HTTP_BODY_JSON,     /* buffered up to the JSON limit, parsed strictly before the handler */
    HTTP_BODY_STREAM,   /* handed chunk by chunk to a sink the route opens; never buffered */
};

enum http_auth {
    HTTP_AUTH_NONE = 0,
    HTTP_AUTH_REQUIRED, /* the server's authenticate hook must accept the request first */
    HTTP_AUTH_KEY,      /* the same hook, for a partner API key (scope: struct http_route_doc) */
};

struct http_request;
struct http_sink;
struct validate_schema;

/* Handlers return 0 after queuing a reply with http_reply_*(), or a negative RR_ERR_* code,
 * which the server turns into the mapped error response (request.h). */
typedef int (*http_handler_fn)(struct http_request *req, void *app);
/* Stream routes: called once the headers are in (and auth passed), before any body byte. Fill
 * *sink, or reply/return an error to refuse the upload. */
typedef int (*http_sink_open_fn)(struct http_request *req, void *app, struct http_sink *sink);

struct http_route {
    enum http_method method;
    const char *pattern; /* "/v1/workouts/{id}" */
    http_handler_fn handler;
    enum http_auth auth;
    enum http_body body;
    const char *name;    /* [a-z0-9_.]+ ; metrics label and OpenAPI operationId */
    const char *summary; /* one line for OpenAPI */
    const struct validate_schema *schema; /* JSON body schema checked before the handler, or NULL */
    http_sink_open_fn sink_open;          /* required for HTTP_BODY_STREAM */
};

/* What a route's documentation adds to its row, kept beside the route tables (matched by route
 * name) so the tables keep their shape: the API key scope of an HTTP_AUTH_KEY route and the
 * examples for OpenAPI (JSON, or a text sample of another media type), the success status, and
 * for an answer that cannot have an example (no body, media bytes) the reason. */
struct http_route_doc {
    const char *name;            /* the route's name */
    const char *scope;           /* HTTP_AUTH_KEY: the scope the key needs, e.g. "members:read" */
    const char *example;         /* JSON text of a typical success body, or NULL */
    const char *request_example; /* JSON text of a typical request body, or NULL */
    int status;                  /* the success status when not 200 (201, 202, 204, 302) */
    const char *media_type;      /* the success body's type when not JSON ("text/event-stream",
                                  * "video/mp4"); `example` is then a text sample, or NULL for
                                  * bytes (documented as a binary string) */
    const char *no_example;      /* why the success answer has no example ("204 No Content",
                                  * "video bytes"): OpenAPI x-no-example */
};

/* The doc row named `name` in docs[0..n), or NULL. */
const struct http_route_doc *http_route_doc_find(const struct http_route_doc *docs, size_t n,
                                                 const char *name);

struct router;

struct router_match {
    const struct http_route *route; /* NULL unless router_match returned 0 */
    size_t route_index;
    unsigned allow;  /* enum http_method bits of every route whose pattern matches the path */
    size_t n_params;
    const char *names[ROUTER_MAX_PARAMS];
    const char *values[ROUTER_MAX_PARAMS]; /* decoded, NUL-terminated, point into buf */
    char buf[ROUTER_MAX_PATH + ROUTER_MAX_SEGMENTS];
};

int router_new(const struct http_route *routes, size_t n, struct router **out, char *msg,
               size_t msg_len);
void router_free(struct router *r); /* NULL is a no-op */

/* Match `method` (e.g. "GET") and `path` (raw, still percent-encoded, without the query).
 * 0: m->route set; RR_ERR_NOTFOUND: no pattern matches; RR_ERR_UNSUPPORTED: a pattern matches but
 * not the method (m->allow set, HEAD included where GET is); RR_ERR_INVAL: bad encoding or a
 * forbidden segment; RR_ERR_TOOBIG: path or segment count over the limits. */
int router_match(const struct router *r, const char *method, const char *path,
                 struct router_match *m);

/* Parameter by name from a successful match, or NULL. */
const char *router_param(const struct router_match *m, const char *name);

/* "GET" -> HTTP_GET ...; 0 for anything else. */
unsigned http_method_parse(const char *s);
const char *http_method_name(enum http_method m);
/* "GET, HEAD, POST" into buf (always NUL-terminated); returns buf. */
const char *http_allow_format(unsigned allow, char *buf, size_t len);

/* Percent-decode `n` bytes of `in` into `out` (capacity cap, NUL-terminated). Refuses bad escapes,
 * NUL and control bytes (RR_ERR_INVAL), and output longer than cap - 1 (RR_ERR_TOOBIG). When
 * `plus_is_space` is set '+' decodes to ' ' (query strings). Returns the decoded length. */
int http_percent_decode(const char *in, size_t n, char *out, size_t cap, int plus_is_space);

#endif
