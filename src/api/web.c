/*
 * web.c - the web app's static files (dashboard, live page, vendored MediaPipe, the WASM
 * analysis core) served by `repright serve` from the configured web directory
 * (--web-dir / REPRIGHT_WEB_DIR, default the build's web dir). docs/internals/web.md.
 *
 * One public fallback route, GET/HEAD "/{path*}": tried only when no API route matches the path
 * (router.h), so the API always wins and a stray /v1/... path is a JSON 404 like before.
 *
 * DESIGN / POLICY:
 *  - "/" is index.html. Only regular files are served; a directory, device, FIFO or socket is a
 *    404. Files are streamed from the descriptor (http_reply_file: sendfile, Range), never read
 *    into memory, and bounded by WEB_FILE_MAX.
 *  - Path safety in layers: the router has already percent-decoded each segment and refused
 *    NUL, control bytes, an encoded '/', "." and ".." (400). Here a backslash or a segment
 *    starting with '.' (hidden files, "..." tricks) is refused (404), and the file is opened one
 *    component at a time with openat(O_NOFOLLOW) from the web directory: no symlink below the
 *    web directory is ever followed, so nothing outside it can be reached (the directory itself
 *    may be a symlink).
 *  - Caching: ETag = "<size hex>-<mtime ns hex>" (strong; the build replaces files wholesale);
 *    If-None-Match (list or *) -> 304. Cache-Control: no-cache for HTML, the service worker and
 *    the manifest (always revalidated, so a deploy is seen at once); a day for vendor/ and wasm/
 *    (pinned content, still revalidated with the ETag after that); an hour for the rest.
 *  - Compression: the build stores FILE.gz beside each compressible file (web/gzip.cmake). A
 *    request whose Accept-Encoding takes gzip and that has no Range header gets the .gz (opened
 *    with the same rules) with Content-Encoding: gzip, its own ETag ("...-gz") and the
 *    original's Content-Type, provided the .gz is not older than the original (an edited file
 *    is never shadowed by a stale .gz). Every answer says Vary: Accept-Encoding.
 *  - Security headers on every static answer: X-Content-Type-Options nosniff, Referrer-Policy
 *    no-referrer, X-Frame-Options DENY and a Content-Security-Policy allowing only this origin,
 *    plus what WebAssembly needs ('wasm-unsafe-eval': MediaPipe and the analysis core compile
 *    their modules; checked in headless Chromium: neither needs 'unsafe-eval' nor inline
 *    scripts), blob: workers/media, mediastream: for the camera, data:/blob: images.
 * Errors: 404 not_found (missing, hidden, not a regular file, symlink, no web dir), 413 when a
 * file is over WEB_FILE_MAX, 400 from the router for malformed paths; all in the JSON format.
 * Thread-safety: stateless; the directory is opened per request (a rebuild may replace it).
 */
#include "api/web.h"

#include "api/api.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/rr_error.h"
#include "blob/blob.h"

#define WEB_FILE_MAX (256LL * 1024 * 1024)
#define WEB_PATH_MAX 1024

const char web_csp[] =
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; "
    "worker-src 'self' blob:; connect-src 'self' blob: data:; img-src 'self' blob: data:; "
    "media-src 'self' blob: mediastream:; style-src 'self'; font-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

static const struct {
    const char *ext;
    const char *type;
} web_types[] = {
    {"html", "text/html; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"json", "application/json"},
    {"webmanifest", "application/manifest+json"},
    {"wasm", "application/wasm"},
    {"png", "image/png"},
    {"svg", "image/svg+xml"},
    {"ico", "image/x-icon"},
    {"txt", "text/plain; charset=utf-8"},
    {"data", "application/octet-stream"},
    {"binarypb", "application/octet-stream"},
    {"tflite", "application/octet-stream"},
};

const char *web_content_type(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash + 1 : path, '.');
    if (dot)
        for (size_t i = 0; i < sizeof web_types / sizeof web_types[0]; i++)
            if (strcmp(dot + 1, web_types[i].ext) == 0)
                return web_types[i].type;
    return "application/octet-stream";
}

const char *web_cache_control(const char *path)
{
    const char *type = web_content_type(path);
    if (strncmp(type, "text/html", 9) == 0 || strcmp(path, "sw.js") == 0 ||
        strcmp(path, "manifest.webmanifest") == 0)
        return "no-cache";
    if (strncmp(path, "vendor/", 7) == 0 || strncmp(path, "wasm/", 5) == 0)
        return "public, max-age=86400";
    return "public, max-age=3600";
}

int web_path_ok(const char *rel)
{
    size_t n = strlen(rel);
    if (n == 0 || n > WEB_PATH_MAX || strchr(rel, '\\'))
        return RR_ERR_INVAL;
    for (const char *s = rel;; s++) {
        if (*s == '.' || *s == '/' || *s == '\0')
            return RR_ERR_INVAL; /* hidden segment or empty segment */
        s = strchr(s, '/');
        if (!s)
            return 0;
    }
}

/* Open `rel` below the directory `dirfd` one component at a time, never following a symlink.
 * Returns a descriptor of a regular file (st filled) or a negative RR_ERR_*. */
static int web_open(int dirfd, const char *rel, struct stat *st)
{
    char part[WEB_PATH_MAX + 1];
    int cur = dirfd;
    const char *s = rel;
    for (;;) {
        const char *slash = strchr(s, '/');
        size_t len = slash ? (size_t)(slash - s) : strlen(s);
        memcpy(part, s, len);
        part[len] = '\0';
        int flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | (slash ? O_DIRECTORY : O_NONBLOCK);
        int fd = openat(cur, part, flags);
        if (cur != dirfd)
            close(cur);
        if (fd < 0)
            return RR_ERR_NOTFOUND; /* ENOENT, ELOOP (symlink), ENOTDIR, EACCES ... */
        if (!slash) {
            if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
                close(fd);
                return RR_ERR_NOTFOUND;
            }
            return fd;
        }
        cur = fd;
        s = slash + 1;
    }
}

/* The next item of a comma-separated header value at *p: its start, with leading blanks and
 * commas skipped and its length (trailing blanks trimmed) in *len; *p moves past it. NULL at the
 * end. */
static const char *list_item(const char **p, size_t *len)
{
    const char *s = *p;
    while (*s == ' ' || *s == '\t' || *s == ',')
        s++;
    if (!*s)
        return NULL;
    const char *end = strchr(s, ',');
    size_t n = end ? (size_t)(end - s) : strlen(s);
    *p = s + n;
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    *len = n;
    return s;
}

/* Does an If-None-Match header list `etag`? ("*", strong or weak forms.) */
int web_etag_matches(const char *header, const char *etag)
{
    if (!header)
        return 0;
    size_t el = strlen(etag), len;
    for (const char *p = header, *it; (it = list_item(&p, &len)) != NULL;) {
        if (*it == '*')
            return 1;
        if (len >= 2 && it[0] == 'W' && it[1] == '/') {
            it += 2;
            len -= 2;
        }
        if (len == el && memcmp(it, etag, el) == 0)
            return 1;
    }
    return 0;
}

/* Is token `tok` (length n) listed in a comma-separated header, with a q other than 0? */
static int header_lists(const char *header, const char *tok, size_t n)
{
    size_t len;
    for (const char *p = header, *it; (it = list_item(&p, &len)) != NULL;) {
        const char *semi = memchr(it, ';', len);
        size_t name = semi ? (size_t)(semi - it) : len;
        while (name > 0 && (it[name - 1] == ' ' || it[name - 1] == '\t'))
            name--;
        if (name != n || strncasecmp(it, tok, n) != 0)
            continue;
        if (!semi)
            return 1;
        const char *q = semi + 1;
        while (*q == ' ' || *q == '\t')
            q++;
        if ((q[0] != 'q' && q[0] != 'Q') || q[1] != '=')
            return 1;
        q += 2;
        /* q=0, q=0.0, q=0.000 mean "not acceptable" */
        if (*q != '0')
            return 1;
        for (q++; *q == '.' || *q == '0'; q++)
            ;
        return *q >= '1' && *q <= '9';
    }
    return 0;
}

int web_accepts_gzip(const char *header)
{
    return header && (header_lists(header, "gzip", 4) || header_lists(header, "x-gzip", 6));
}

/* The policy with the blob store's origin allowed for media and images when media links
 * redirect there (S3 presigned links, api/videos.c); the static policy otherwise. */
static const char *web_csp_for(const struct app *a, char *buf, size_t cap)
{
    const char *origin = a ? blob_public_origin(a->blob) : NULL;
    if (!origin)
        return web_csp;
    int n = snprintf(buf, cap,
                     "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; "
                     "worker-src 'self' blob:; connect-src 'self' blob: data:; "
                     "img-src 'self' blob: data: %s; media-src 'self' blob: mediastream: %s; "
                     "style-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
                     "frame-ancestors 'none'; form-action 'self'",
                     origin, origin);
    return n > 0 && (size_t)n < cap ? buf : web_csp;
}

static int web_headers(struct http_request *req, const struct app *a, const char *rel,
                       const char *etag)
{
    char csp[1600];
    int err = http_reply_header(req, "X-Content-Type-Options", "nosniff");
    if (err == 0)
        err = http_reply_header(req, "Referrer-Policy", "no-referrer");
    if (err == 0)
        err = http_reply_header(req, "X-Frame-Options", "DENY");
    if (err == 0)
        err = http_reply_header(req, "Content-Security-Policy", web_csp_for(a, csp, sizeof csp));
    if (err == 0 && rel)
        err = http_reply_header(req, "Cache-Control", web_cache_control(rel));
    if (err == 0 && etag)
        err = http_reply_header(req, "ETag", etag);
    if (err == 0 && rel)
        err = http_reply_header(req, "Vary", "Accept-Encoding");
    return err;
}

/* The precompressed sibling of `rel` when the request takes gzip, has no Range, and the .gz is
 * a regular file, smaller and not older than the original; else -1. */
static int web_open_gz(struct http_request *req, int dirfd, const char *rel,
                       const struct stat *orig, struct stat *st)
{
    char gz[WEB_PATH_MAX + 4];
    if (!web_accepts_gzip(http_request_header(req, "Accept-Encoding")) ||
        http_request_header(req, "Range") ||
        (size_t)snprintf(gz, sizeof gz, "%s.gz", rel) >= sizeof gz)
        return -1;
    int fd = web_open(dirfd, gz, st);
    if (fd < 0)
        return -1;
    int newer = st->st_mtim.tv_sec > orig->st_mtim.tv_sec ||
                (st->st_mtim.tv_sec == orig->st_mtim.tv_sec &&
                 st->st_mtim.tv_nsec >= orig->st_mtim.tv_nsec);
    if (!newer || st->st_size >= orig->st_size) {
        close(fd);
        return -1;
    }
    return fd;
}

static int web_not_found(struct http_request *req, const struct app *a)
{
    int err = http_reply_error(req, 404, "not_found", "no such resource", NULL);
    return err == 0 ? web_headers(req, a, NULL, NULL) : err;
}

static int web_get(struct http_request *req, void *app)
{
    const struct app *a = app;
    const char *rel = http_request_param(req, "path");
    if (!rel || !rel[0])
        rel = "index.html";
    if (strncmp(rel, "v1/", 3) == 0 || web_path_ok(rel) < 0 || !a->cfg.web_dir[0])
        return web_not_found(req, a);
    int dirfd = open(a->cfg.web_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        return web_not_found(req, a);
    struct stat st, gst;
    int fd = web_open(dirfd, rel, &st);
    int gfd = fd >= 0 ? web_open_gz(req, dirfd, rel, &st, &gst) : -1;
    close(dirfd);
    if (fd < 0)
        return web_not_found(req, a);
    if (gfd >= 0) { /* serve the compressed twin under the original's type */
        close(fd);
        fd = gfd;
        st = gst;
    }
    if (st.st_size > WEB_FILE_MAX) {
        close(fd);
        return http_reply_error(req, 413, "too_large", "file too large to serve", NULL);
    }
    char etag[64];
    snprintf(etag, sizeof etag, "\"%" PRIx64 "-%" PRIx64 "%s\"", (uint64_t)st.st_size,
             (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec,
             gfd >= 0 ? "-gz" : "");
    int err;
    if (web_etag_matches(http_request_header(req, "If-None-Match"), etag)) {
        close(fd);
        err = http_reply_bytes(req, 304, NULL, 0, NULL);
    } else {
        err = http_reply_file(req, fd, (uint64_t)st.st_size, web_content_type(rel));
    }
    if (err == 0)
        err = web_headers(req, a, rel, etag);
    if (err == 0 && gfd >= 0)
        err = http_reply_header(req, "Content-Encoding", "gzip");
    return err;
}

int web_dir_check(const char *dir)
{
    struct stat st;
    if (!dir || !dir[0] || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return RR_ERR_NOTFOUND;
    char index[1200];
    int n = snprintf(index, sizeof index, "%s/index.html", dir);
    if (n < 0 || (size_t)n >= sizeof index || stat(index, &st) != 0 || !S_ISREG(st.st_mode))
        return RR_ERR_NOTFOUND;
    return 0;
}

const struct http_route api_web_routes[] = {
    {HTTP_GET, "/{path*}", web_get, HTTP_AUTH_NONE, HTTP_BODY_NONE, "web.static",
     "the web app's public static files (/ is the dashboard); tried only when no API route "
     "matches",
     NULL, NULL},
};
const size_t api_web_routes_n = sizeof api_web_routes / sizeof api_web_routes[0];
