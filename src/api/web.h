/*
 * web.h - static serving of the web app (web.c): the helpers behind the public fallback route
 * GET "/{path*}" (api_web_routes in api.h), exposed for unit tests and api_server_start's check.
 *
 * Ownership: returned strings are static. Errors: see each function. Thread-safety: pure.
 */
#ifndef RR_API_WEB_H
#define RR_API_WEB_H

/* The Content-Security-Policy sent with every static answer. */
extern const char web_csp[];
/* Content-Type by file extension ("js" -> text/javascript ...); application/octet-stream when
 * unknown. */
const char *web_content_type(const char *path);
/* Cache-Control for a path relative to the web dir ("sw.js", "vendor/x.wasm"). */
const char *web_cache_control(const char *path);
/* 0 when a relative path may be looked up (non-empty '/'-separated segments, none starting with
 * '.', no backslash, at most 1024 bytes), else RR_ERR_INVAL. */
int web_path_ok(const char *rel);
/* 1 when an If-None-Match header value lists `etag` (or is "*"), else 0; header may be NULL. */
int web_etag_matches(const char *header, const char *etag);
/* 1 when an Accept-Encoding header value accepts gzip ("gzip" or "x-gzip" listed without
 * q=0), else 0; header may be NULL. */
int web_accepts_gzip(const char *header);
/* 0 when `dir` is a directory holding index.html, else RR_ERR_NOTFOUND. */
int web_dir_check(const char *dir);

#endif
