/*
 * blob_s3.c - the S3-compatible blob backend ("s3://BUCKET?endpoint=URL&region=R"), over
 * libcurl and our own SigV4 signer (sigv4.h). Path-style addressing: ENDPOINT/BUCKET/KEY.
 *
 * URL parameters: endpoint (required: http(s)://host[:port], no path), region (us-east-1),
 * public_endpoint (what presigned links point at, when clients reach the store under another
 * name; default: endpoint), part_mib (multipart part size, 5..512, default 8), tmp (spool
 * directory, default $TMPDIR or /tmp), connect_timeout_ms (default 5000), stall_timeout_s
 * (a request moving less than 1 KiB/s for this long is aborted, default 30), retries (attempts
 * after the first on connection errors, 429 and 5xx, default 3). Anything else is refused, and
 * credentials in the URL above all: URLs end up in logs and process lists.
 * Credentials come only from the environment or files: REPRIGHT_S3_ACCESS_KEY_ID and
 * REPRIGHT_S3_SECRET_ACCESS_KEY, or REPRIGHT_S3_ACCESS_KEY_ID_FILE and
 * REPRIGHT_S3_SECRET_ACCESS_KEY_FILE (a file holding the value; surrounding whitespace
 * ignored), else AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. They are never logged.
 *
 * DESIGN
 * - Writers spool into an anonymous local file (O_TMPFILE: nothing is left behind by a crash)
 *   holding at most one part. An object smaller than a part is one PUT at commit; a larger one
 *   becomes a multipart upload: created at the first full part, each full part uploaded from
 *   the spool as soon as it is complete (so local disk stays bounded by the part size and
 *   memory by a few KiB), the last part and CompleteMultipartUpload at commit. Abort (and any
 *   failure) sends AbortMultipartUpload. S3 makes an object visible only when its PUT or
 *   Complete succeeds, so commit is atomic; it is durable once S3 acknowledged it.
 * - Payloads are signed (x-amz-content-sha256 = the part's SHA-256, computed while spooling).
 * - Readers HEAD the object at open (size, ETag) and then GET byte ranges of S3_READ_WINDOW
 *   on demand with If-Match: the ETag, and compare the ETag of each answer too; an object
 *   replaced mid-read fails with IO instead of mixing two versions. A read of at least a window
 * goes straight into the caller's buffer.
 * - Every request has deadlines: connect timeout, a low-speed limit (below 1 KiB/s for
 *   S3_LOW_SPEED_SECONDS aborts), and a total timeout for the small control requests. Every
 *   request is idempotent as we send it, so connection errors, 429 and 5xx are retried with
 *   exponential back-off and jitter (S3_BACKOFF_MS doubling, capped at S3_BACKOFF_MAX_MS); a
 *   retried CompleteMultipartUpload that finds its upload gone checks the object instead.
 * - One curl easy handle per request and no shared state: the store is read-only after open,
 *   so any number of threads may use it (blob_backend.h). No redirects are followed and only
 *   http/https are allowed.
 * - Failures are logged once here ({"msg":"storage error","component":"blob","op":...,
 *   "status":...,"s3_code":...}) without URLs' queries or headers, so no signature or key leaks.
 */
#define _GNU_SOURCE /* O_TMPFILE: spools vanish with their process */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "base/rr_buf.h"
#include "base/rr_error.h"
#include "base/rr_log.h"
#include "blob/blob_backend.h"
#include "blob/s3_xml.h"
#include "blob/sigv4.h"

#define S3_ENDPOINT_MAX 512
#define S3_HOST_MAX 300
#define S3_BUCKET_MAX 63
#define S3_REGION_MAX 64
#define S3_KEY_ID_MAX 128
#define S3_SECRET_MAX 256
#define S3_DIR_MAX 1024
#define S3_ETAG_MAX 130
#define S3_UPLOAD_ID_MAX 1024
#define S3_ERR_BODY_MAX 16384 /* error and control responses kept (XML) */
#define S3_CRED_FILE_MAX 4096
#define S3_MIN_PART (5LL << 20) /* S3's floor for every part but the last */
#define S3_DEFAULT_PART (8LL << 20)
#define S3_MAX_PARTS 10000
#define S3_READ_WINDOW (1 << 20)
#define S3_LOW_SPEED_SECONDS 30L
#define S3_CONTROL_TIMEOUT_MS 60000L
#define S3_BACKOFF_MS 100
#define S3_BACKOFF_MAX_MS 2000
#define S3_COPY_CHUNK (64 * 1024)

struct s3 {
    char bucket[S3_BUCKET_MAX + 1];
    char endpoint[S3_ENDPOINT_MAX]; /* scheme://host[:port] */
    char host[S3_HOST_MAX];         /* host[:port], the signed Host header */
    char pub_endpoint[S3_ENDPOINT_MAX];
    char pub_host[S3_HOST_MAX];
    char region[S3_REGION_MAX + 1];
    char access_key[S3_KEY_ID_MAX + 1];
    char secret_key[S3_SECRET_MAX + 1];
    char spool_dir[S3_DIR_MAX];
    int64_t part_size;
    long connect_timeout_ms;
    long low_speed_s; /* below 1 KiB/s for this long aborts a request */
    int retries;
};

struct s3_writer {
    const struct s3 *s; /* write() gets only the writer */
    char key[BLOB_KEY_MAX + 1];
    int fd;          /* the spool: bytes of the current part */
    int64_t spooled; /* bytes in the spool */
    crypto_hash_sha256_state sha;
    char upload_id[S3_UPLOAD_ID_MAX]; /* "" until a multipart upload exists */
    int nparts;
    char (*etags)[S3_ETAG_MAX];
    int etag_cap;
};

struct s3_reader {
    struct s3 *s;
    char key[BLOB_KEY_MAX + 1];
    char etag[S3_ETAG_MAX];
    int64_t size;
    int64_t pos; /* next byte the caller gets */
    unsigned char *win;
    int64_t win_start;
    size_t win_len;
};

/* One HTTP exchange. */
struct s3_req {
    const char *op;     /* for logs: "put", "get", ... */
    const char *method; /* GET HEAD PUT POST DELETE */
    const char *key;    /* NULL: the bucket itself */
    const struct sigv4_pair *query;
    size_t nquery;
    const char *range;    /* Range header value or NULL */
    const char *if_match; /* If-Match value or NULL */
    /* request body: a file range or memory (neither: empty) */
    int body_fd;
    int64_t body_len;
    const char *body_mem;
    const char *payload_hash; /* NULL: the empty hash */
    const char *content_type;
    /* response */
    unsigned char *sink; /* 2xx body goes here (ranged GET) when set, else into resp */
    size_t sink_cap, sink_len;
    struct rr_buf *resp; /* 2xx body (capped), for XML answers; may be NULL */
    long status;
    int64_t content_length;
    char etag[S3_ETAG_MAX];
    int64_t last_modified;
    /* internal */
    int64_t body_pos;
    char errbody[512];
    size_t errlen;
    int overflow;
};

static pthread_once_t s3_curl_once = PTHREAD_ONCE_INIT;
static CURLcode s3_curl_init_rc = CURLE_FAILED_INIT;

static void s3_curl_init(void)
{
    s3_curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- helpers ------------------------------------------------------------------------------ */

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void s3_log(const char *op, const char *key, long status, const char *s3_code,
                   const char *error, int code)
{
    rr_log(RR_LOG_ERROR, "storage error", RR_LOG_STR("component", "blob"),
           RR_LOG_STR("backend", "s3"), RR_LOG_STR("op", op), RR_LOG_STR("key", key),
           RR_LOG_INT("status", status),
           RR_LOG_STR("s3_code", s3_code && s3_code[0] ? s3_code : NULL),
           RR_LOG_STR("error", error), RR_LOG_STR("code", rr_errname(code)));
}

/* ---- one request --------------------------------------------------------------------------- */

static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
    struct s3_req *r = ud;
    size_t len = size * n;
    char line[512];
    size_t l = len < sizeof line - 1 ? len : sizeof line - 1;
    memcpy(line, data, l);
    line[l] = '\0';
    while (l > 0 && (line[l - 1] == '\r' || line[l - 1] == '\n'))
        line[--l] = '\0';
    if (strncmp(line, "HTTP/", 5) == 0) { /* a new response (after 100 Continue too) */
        const char *sp = strchr(line, ' ');
        r->status = sp ? strtol(sp + 1, NULL, 10) : 0;
        r->content_length = -1;
        r->etag[0] = '\0';
        return len;
    }
    const char *colon = strchr(line, ':');
    if (!colon)
        return len;
    const char *v = colon + 1;
    while (*v == ' ' || *v == '\t')
        v++;
    size_t nl = (size_t)(colon - line);
    if (nl == 14 && strncasecmp(line, "Content-Length", 14) == 0) {
        char *end = NULL;
        long long x = strtoll(v, &end, 10);
        r->content_length = (end && end != v && x >= 0) ? (int64_t)x : -1;
    } else if (nl == 4 && strncasecmp(line, "ETag", 4) == 0) {
        snprintf(r->etag, sizeof r->etag, "%s", v);
    } else if (nl == 13 && strncasecmp(line, "Last-Modified", 13) == 0) {
        time_t t = curl_getdate(v, NULL);
        r->last_modified = t < 0 ? 0 : (int64_t)t;
    }
    return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    struct s3_req *r = ud;
    size_t len = size * n;
    if (r->status < 200 || r->status >= 300) { /* an error document: keep its start */
        size_t room = sizeof r->errbody - 1 - r->errlen;
        size_t k = len < room ? len : room;
        memcpy(r->errbody + r->errlen, data, k);
        r->errlen += k;
        r->errbody[r->errlen] = '\0';
        return len;
    }
    if (r->sink) {
        if (len > r->sink_cap - r->sink_len) {
            r->overflow = 1;
            return 0; /* more than the range asked for: abort */
        }
        memcpy(r->sink + r->sink_len, data, len);
        r->sink_len += len;
        return len;
    }
    if (r->resp) {
        rr_buf_add(r->resp, data, len);
        if (rr_buf_error(r->resp)) {
            r->overflow = 1;
            return 0;
        }
    }
    return len;
}

static size_t on_read(char *buf, size_t size, size_t n, void *ud)
{
    struct s3_req *r = ud;
    size_t want = size * n;
    int64_t left = r->body_len - r->body_pos;
    if (left <= 0)
        return 0;
    if ((int64_t)want > left)
        want = (size_t)left;
    if (r->body_mem) {
        memcpy(buf, r->body_mem + r->body_pos, want);
        r->body_pos += (int64_t)want;
        return want;
    }
    for (;;) {
        ssize_t got = pread(r->body_fd, buf, want, (off_t)r->body_pos);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return CURL_READFUNC_ABORT;
        r->body_pos += got;
        return (size_t)got;
    }
}

static int retryable_curl(CURLcode c)
{
    switch (c) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
        return 1;
    default:
        return 0;
    }
}

static int status_code(long st)
{
    if (st >= 200 && st < 300)
        return 0;
    switch (st) {
    case 404:
        return RR_ERR_NOTFOUND;
    case 403:
    case 401:
        return RR_ERR_FORBIDDEN;
    case 409:
    case 412:
        return RR_ERR_CONFLICT;
    default:
        return RR_ERR_IO;
    }
}

/* Build, sign and run one attempt. Returns the CURLcode. */
static CURLcode attempt(const struct s3 *s, struct s3_req *r)
{
    char date[SIGV4_DATE_LEN + 1], path[BLOB_KEY_MAX + S3_BUCKET_MAX + 4];
    char hdr_host[S3_HOST_MAX + 8], hdr_date[64], hdr_sha[128], hdr_auth[SIGV4_AUTH_MAX + 32];
    char hdr_range[96], hdr_match[S3_ETAG_MAX + 16], hdr_ctype[96];
    struct sigv4_pair h[6];
    size_t nh = 0;
    struct sigv4_result sig;
    struct rr_buf url;
    char url_store[1024];
    CURL *c = NULL;
    struct curl_slist *list = NULL;
    CURLcode cc = CURLE_OUT_OF_MEMORY;

    sigv4_amz_date((int64_t)time(NULL), date);
    snprintf(path, sizeof path, "/%s%s%s", s->bucket, r->key ? "/" : "", r->key ? r->key : "");
    const char *payload = r->payload_hash ? r->payload_hash : SIGV4_EMPTY_SHA256;
    h[nh++] = (struct sigv4_pair){"host", s->host};
    h[nh++] = (struct sigv4_pair){"x-amz-content-sha256", payload};
    h[nh++] = (struct sigv4_pair){"x-amz-date", date};
    if (r->range)
        h[nh++] = (struct sigv4_pair){"range", r->range};
    if (r->if_match)
        h[nh++] = (struct sigv4_pair){"if-match", r->if_match};
    struct sigv4_credentials cr = {s->access_key, s->secret_key, s->region, "s3"};
    struct sigv4_request sr = {r->method, path, r->query, r->nquery, h, nh, payload};
    if (sigv4_sign(&cr, date, &sr, &sig) < 0)
        return CURLE_BAD_FUNCTION_ARGUMENT;

    rr_buf_init(&url, url_store, sizeof url_store, 8192);
    rr_buf_adds(&url, s->endpoint);
    sigv4_uri_encode(&url, path, strlen(path), 1);
    if (r->nquery) {
        rr_buf_addc(&url, '?');
        sigv4_canonical_query(&sr, &url);
    }
    snprintf(hdr_host, sizeof hdr_host, "Host: %s", s->host);
    snprintf(hdr_date, sizeof hdr_date, "x-amz-date: %s", date);
    snprintf(hdr_sha, sizeof hdr_sha, "x-amz-content-sha256: %s", payload);
    snprintf(hdr_auth, sizeof hdr_auth, "Authorization: %s", sig.authorization);
    sodium_memzero(&sig, sizeof sig);
    const char *extra[] = {hdr_host, hdr_date, hdr_sha, hdr_auth, "Expect:", NULL, NULL, NULL};
    size_t ne = 5;
    if (r->range) {
        snprintf(hdr_range, sizeof hdr_range, "Range: %s", r->range);
        extra[ne++] = hdr_range;
    }
    if (r->if_match) {
        snprintf(hdr_match, sizeof hdr_match, "If-Match: %s", r->if_match);
        extra[ne++] = hdr_match;
    }
    snprintf(hdr_ctype, sizeof hdr_ctype, "Content-Type:%s%s", r->content_type ? " " : "",
             r->content_type ? r->content_type : "");
    extra[ne++] = hdr_ctype;
    for (size_t i = 0; i < ne; i++) {
        struct curl_slist *nl = curl_slist_append(list, extra[i]);
        if (!nl)
            goto out;
        list = nl;
    }
    if (rr_buf_error(&url))
        goto out;
    c = curl_easy_init();
    if (!c)
        goto out;
    r->status = 0;
    r->content_length = -1;
    r->etag[0] = '\0';
    r->errlen = 0;
    r->errbody[0] = '\0';
    r->overflow = 0;
    r->body_pos = 0;
    r->sink_len = 0;
    if (r->resp)
        rr_buf_reset(r->resp);
    curl_easy_setopt(c, CURLOPT_URL, rr_buf_data(&url));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, s->connect_timeout_ms);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, s->low_speed_s);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    int has_body = r->body_len > 0 || r->body_mem;
    if (!has_body && !r->sink)
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, S3_CONTROL_TIMEOUT_MS);
    if (strcmp(r->method, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (strcmp(r->method, "PUT") == 0) {
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(c, CURLOPT_READDATA, r);
        curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)r->body_len);
    } else if (strcmp(r->method, "POST") == 0) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(c, CURLOPT_READDATA, r);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
    } else if (strcmp(r->method, "GET") != 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r->method);
    }
    cc = curl_easy_perform(c);
out:
    curl_easy_cleanup(c);
    curl_slist_free_all(list);
    rr_buf_release(&url);
    return cc;
}

/* Run r with retries; 0 for a 2xx, else the RR_ERR_* (logged here unless quiet_notfound and
 * the answer is 404). */
static int perform(const struct s3 *s, struct s3_req *r, int quiet_notfound)
{
    CURLcode cc = CURLE_OK;
    int64_t backoff = S3_BACKOFF_MS;
    for (int i = 0;; i++) {
        cc = attempt(s, r);
        int retry = (cc != CURLE_OK && retryable_curl(cc)) ||
                    (cc == CURLE_OK && (r->status >= 500 || r->status == 429));
        if (!retry || i >= s->retries)
            break;
        int64_t jitter = (int64_t)randombytes_uniform((uint32_t)backoff / 2 + 1);
        sleep_ms(backoff + jitter);
        backoff = backoff * 2 > S3_BACKOFF_MAX_MS ? S3_BACKOFF_MAX_MS : backoff * 2;
    }
    char code[64] = "";
    if (cc != CURLE_OK) {
        int rc = cc == CURLE_OUT_OF_MEMORY ? RR_ERR_NOMEM : RR_ERR_IO;
        if (r->overflow)
            rc = RR_ERR_IO;
        s3_log(r->op, r->key, r->status, NULL,
               r->overflow ? "response larger than expected" : curl_easy_strerror(cc), rc);
        return rc;
    }
    int rc = status_code(r->status);
    if (rc == 0)
        return 0;
    if (s3_xml_text(r->errbody, "Code", code, sizeof code) < 0)
        code[0] = '\0';
    if (!(quiet_notfound && rc == RR_ERR_NOTFOUND))
        s3_log(r->op, r->key, r->status, code, "request refused", rc);
    return rc;
}

/* ---- open / close ------------------------------------------------------------------------- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode %XX in place. */
static void pct_decode(char *s)
{
    char *o = s;
    for (const char *p = s; *p; p++) {
        int hi = p[0] == '%' && p[1] ? hexval(p[1]) : -1;
        int lo = hi >= 0 && p[2] ? hexval(p[2]) : -1;
        if (lo >= 0) {
            *o++ = (char)(hi * 16 + lo);
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
}

static int config_fail(const char *what, const char *detail)
{
    rr_log(RR_LOG_ERROR, "blob store configuration refused", RR_LOG_STR("component", "blob"),
           RR_LOG_STR("backend", "s3"), RR_LOG_STR("problem", what), RR_LOG_STR("detail", detail));
    return RR_ERR_INVAL;
}

static int bucket_ok(const char *b)
{
    size_t n = strlen(b);
    if (n < 3 || n > S3_BUCKET_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = b[i];
        int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && c != '-' && c != '.')
            return 0;
        if ((i == 0 || i == n - 1) && !alnum)
            return 0;
    }
    return 1;
}

/* "http(s)://host[:port][/]" into endpoint (no trailing '/') and host. */
static int parse_endpoint(const char *v, char *endpoint, char *host)
{
    size_t skip = strncmp(v, "http://", 7) == 0 ? 7 : strncmp(v, "https://", 8) == 0 ? 8 : 0;
    if (!skip)
        return config_fail("endpoint must start with http:// or https://", v);
    const char *h = v + skip;
    size_t hn = strcspn(h, "/?#");
    if (hn == 0 || hn >= S3_HOST_MAX || (h[hn] && strcmp(h + hn, "/") != 0))
        return config_fail("endpoint must be scheme://host[:port] without a path", v);
    for (size_t i = 0; i < hn; i++)
        if (h[i] == '@' || (unsigned char)h[i] <= ' ')
            return config_fail("endpoint must not carry user information", "(hidden)");
    if (skip + hn >= S3_ENDPOINT_MAX)
        return config_fail("endpoint too long", v);
    memcpy(endpoint, v, skip + hn);
    endpoint[skip + hn] = '\0';
    memcpy(host, h, hn);
    host[hn] = '\0';
    return 0;
}

/* A credential from NAME, NAME_FILE, or fallback (may be NULL), in that order. */
static int cred_load(const char *name, const char *fallback, char *out, size_t cap)
{
    char file_var[96];
    const char *v = getenv(name);
    snprintf(file_var, sizeof file_var, "%s_FILE", name);
    const char *path = getenv(file_var);
    if ((!v || !v[0]) && path && path[0]) {
        char buf[S3_CRED_FILE_MAX + 1];
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0) {
            rr_log(RR_LOG_ERROR, "blob store credentials unreadable",
                   RR_LOG_STR("component", "blob"), RR_LOG_STR("variable", file_var),
                   RR_LOG_STR("error", strerror(errno)));
            return RR_ERR_IO;
        }
        ssize_t n = read(fd, buf, sizeof buf);
        close(fd);
        if (n < 0 || n > S3_CRED_FILE_MAX) {
            sodium_memzero(buf, sizeof buf);
            return config_fail("credential file unreadable or over 4 KiB", file_var);
        }
        size_t a = 0, b = (size_t)n;
        while (a < b && (buf[a] == ' ' || buf[a] == '\t' || buf[a] == '\n' || buf[a] == '\r'))
            a++;
        while (b > a && (buf[b - 1] == ' ' || buf[b - 1] == '\t' || buf[b - 1] == '\n' ||
                         buf[b - 1] == '\r'))
            b--;
        int rc = 0;
        if (b - a == 0 || b - a >= cap)
            rc = config_fail("credential file empty or too long", file_var);
        else {
            memcpy(out, buf + a, b - a);
            out[b - a] = '\0';
        }
        sodium_memzero(buf, sizeof buf);
        return rc;
    }
    if ((!v || !v[0]) && fallback)
        v = getenv(fallback);
    if (!v || !v[0])
        return RR_ERR_NOTFOUND;
    if (strlen(v) >= cap)
        return config_fail("credential too long", name);
    memcpy(out, v, strlen(v) + 1);
    return 0;
}

static void s3_close(void *state)
{
    struct s3 *s = state;
    if (!s)
        return;
    sodium_memzero(s, sizeof *s);
    free(s);
}

static int parse_location(struct s3 *s, const char *location)
{
    char buf[2048];
    if (strncmp(location, "//", 2) != 0)
        return config_fail("expected s3://BUCKET?endpoint=...", "missing //");
    if (strlen(location + 2) >= sizeof buf)
        return config_fail("URL too long", "");
    snprintf(buf, sizeof buf, "%s", location + 2);
    char *q = strchr(buf, '?');
    if (q)
        *q++ = '\0';
    if (!bucket_ok(buf))
        return config_fail("bucket name must be 3..63 of [a-z0-9.-] (no key prefix)", buf);
    memcpy(s->bucket, buf, strlen(buf) + 1); /* bucket_ok: at most S3_BUCKET_MAX bytes */
    snprintf(s->region, sizeof s->region, "us-east-1");
    const char *tmp = getenv("TMPDIR");
    snprintf(s->spool_dir, sizeof s->spool_dir, "%s", tmp && tmp[0] == '/' ? tmp : "/tmp");
    s->part_size = S3_DEFAULT_PART;
    s->connect_timeout_ms = 5000;
    s->low_speed_s = S3_LOW_SPEED_SECONDS;
    s->retries = 3;
    char pub[S3_ENDPOINT_MAX + 8] = "";
    int have_endpoint = 0;
    for (char *p = q; p && *p;) {
        char *amp = strchr(p, '&');
        if (amp)
            *amp = '\0';
        char *eq = strchr(p, '=');
        if (!eq)
            return config_fail("URL parameter without a value", p);
        *eq = '\0';
        char *v = eq + 1;
        pct_decode(v);
        long long num = 0;
        char *end = NULL;
        if (strcmp(p, "endpoint") == 0) {
            if (parse_endpoint(v, s->endpoint, s->host) < 0)
                return RR_ERR_INVAL;
            have_endpoint = 1;
        } else if (strcmp(p, "public_endpoint") == 0) {
            snprintf(pub, sizeof pub, "%s", v);
        } else if (strcmp(p, "region") == 0) {
            if (!v[0] || strlen(v) > S3_REGION_MAX || strcspn(v, "/ ") != strlen(v))
                return config_fail("bad region", v);
            snprintf(s->region, sizeof s->region, "%s", v);
        } else if (strcmp(p, "tmp") == 0) {
            if (v[0] != '/' || strlen(v) >= sizeof s->spool_dir)
                return config_fail("tmp must be an absolute directory", v);
            snprintf(s->spool_dir, sizeof s->spool_dir, "%s", v);
        } else if (strcmp(p, "part_mib") == 0) {
            num = strtoll(v, &end, 10);
            if (!end || *end || num < 5 || num > 512)
                return config_fail("part_mib must be 5..512", v);
            s->part_size = (int64_t)num << 20;
        } else if (strcmp(p, "connect_timeout_ms") == 0) {
            num = strtoll(v, &end, 10);
            if (!end || *end || num < 1 || num > 600000)
                return config_fail("connect_timeout_ms must be 1..600000", v);
            s->connect_timeout_ms = (long)num;
        } else if (strcmp(p, "stall_timeout_s") == 0) {
            num = strtoll(v, &end, 10);
            if (!end || *end || num < 1 || num > 3600)
                return config_fail("stall_timeout_s must be 1..3600", v);
            s->low_speed_s = (long)num;
        } else if (strcmp(p, "retries") == 0) {
            num = strtoll(v, &end, 10);
            if (!end || *end || num < 0 || num > 10)
                return config_fail("retries must be 0..10", v);
            s->retries = (int)num;
        } else if (strstr(p, "key") || strstr(p, "secret") || strstr(p, "token") ||
                   strstr(p, "Key") || strstr(p, "Secret") || strstr(p, "Token")) {
            return config_fail("credentials never go in the URL: set REPRIGHT_S3_ACCESS_KEY_ID "
                               "and REPRIGHT_S3_SECRET_ACCESS_KEY (or their _FILE variants)",
                               p);
        } else {
            return config_fail("unknown URL parameter", p);
        }
        p = amp ? amp + 1 : NULL;
    }
    if (!have_endpoint)
        return config_fail("endpoint=http(s)://host[:port] is required", s->bucket);
    if (pub[0]) {
        if (parse_endpoint(pub, s->pub_endpoint, s->pub_host) < 0)
            return RR_ERR_INVAL;
    } else {
        memcpy(s->pub_endpoint, s->endpoint, sizeof s->endpoint);
        memcpy(s->pub_host, s->host, sizeof s->host);
    }
    return 0;
}

static int s3_open(const char *location, void **state)
{
    int rc = 0;
    *state = NULL;
    pthread_once(&s3_curl_once, s3_curl_init);
    if (s3_curl_init_rc != CURLE_OK)
        return RR_ERR_INTERNAL;
    struct s3 *s = calloc(1, sizeof *s);
    if (!s)
        return RR_ERR_NOMEM;
    rc = parse_location(s, location);
    if (rc < 0)
        goto out;
    rc = cred_load("REPRIGHT_S3_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID", s->access_key,
                   sizeof s->access_key);
    if (rc == 0)
        rc = cred_load("REPRIGHT_S3_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY", s->secret_key,
                       sizeof s->secret_key);
    if (rc == RR_ERR_NOTFOUND)
        rc = config_fail("no S3 credentials: set REPRIGHT_S3_ACCESS_KEY_ID and "
                         "REPRIGHT_S3_SECRET_ACCESS_KEY (or their _FILE variants)",
                         s->bucket);
    if (rc < 0)
        goto out;
    /* The bucket must answer now: a wrong endpoint, bucket or key fails the start, clearly. */
    struct s3_req r = {.op = "open", .method = "HEAD", .body_fd = -1};
    rc = perform(s, &r, 1);
    if (rc < 0) {
        const char *why = r.status == 0     ? "endpoint unreachable"
                          : r.status == 404 ? "bucket does not exist"
                          : r.status == 403 ? "access denied (check the credentials)"
                                            : "bucket check failed";
        rr_log(RR_LOG_ERROR, "blob store unavailable", RR_LOG_STR("component", "blob"),
               RR_LOG_STR("backend", "s3"), RR_LOG_STR("endpoint", s->endpoint),
               RR_LOG_STR("bucket", s->bucket), RR_LOG_INT("status", r.status),
               RR_LOG_STR("problem", why));
        goto out;
    }
out:
    if (rc < 0) {
        s3_close(s);
        s = NULL;
    }
    *state = s;
    return rc;
}

/* ---- writers ------------------------------------------------------------------------------ */

static int spool_open(const struct s3 *s, int *fd)
{
    *fd = open(s->spool_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (*fd >= 0)
        return 0;
    char path[S3_DIR_MAX + 32];
    snprintf(path, sizeof path, "%s/rr-s3-XXXXXX", s->spool_dir);
    *fd = mkstemp(path); /* a filesystem without O_TMPFILE: unlink at once */
    if (*fd < 0) {
        int e = errno;
        s3_log("spool", path, 0, NULL, strerror(e), RR_ERR_IO);
        return (e == ENOSPC || e == EDQUOT) ? RR_ERR_NOSPACE : RR_ERR_IO;
    }
    unlink(path);
    return 0;
}

static int s3_write_begin(void *state, const char *key, void **wstate)
{
    struct s3_writer *w = calloc(1, sizeof *w);
    if (!w)
        return RR_ERR_NOMEM;
    w->s = state;
    snprintf(w->key, sizeof w->key, "%s", key);
    int rc = spool_open(state, &w->fd);
    if (rc < 0) {
        free(w);
        return rc;
    }
    crypto_hash_sha256_init(&w->sha);
    *wstate = w;
    return 0;
}

/* The spool's SHA-256 (hex), restarting the hash for the next part. */
static void spool_hash(struct s3_writer *w, char hex[SIGV4_HEX_LEN + 1])
{
    unsigned char d[32];
    crypto_hash_sha256_final(&w->sha, d);
    sodium_bin2hex(hex, SIGV4_HEX_LEN + 1, d, sizeof d);
    crypto_hash_sha256_init(&w->sha);
}

static int create_upload(const struct s3 *s, struct s3_writer *w)
{
    struct rr_buf resp;
    const struct sigv4_pair q[] = {{"uploads", NULL}};
    rr_buf_init(&resp, NULL, 0, S3_ERR_BODY_MAX);
    struct s3_req r = {.op = "create multipart",
                       .method = "POST",
                       .key = w->key,
                       .query = q,
                       .nquery = 1,
                       .body_fd = -1,
                       .resp = &resp};
    int rc = perform(s, &r, 0);
    if (rc == 0 &&
        s3_xml_text(rr_buf_data(&resp), "UploadId", w->upload_id, sizeof w->upload_id) < 0) {
        s3_log(r.op, w->key, r.status, NULL, "no UploadId in the answer", RR_ERR_IO);
        rc = RR_ERR_IO;
    }
    rr_buf_release(&resp);
    return rc;
}

/* Upload the spool as the next part (creating the multipart upload first if needed). */
static int flush_part(const struct s3 *s, struct s3_writer *w)
{
    char hash[SIGV4_HEX_LEN + 1], num[16];
    int rc = 0;
    if (!w->upload_id[0]) {
        rc = create_upload(s, w);
        if (rc < 0)
            return rc;
    }
    if (w->nparts >= S3_MAX_PARTS)
        return RR_ERR_TOOBIG;
    if (w->nparts == w->etag_cap) {
        int cap = w->etag_cap ? w->etag_cap * 2 : 16;
        void *p = realloc(w->etags, (size_t)cap * sizeof *w->etags);
        if (!p)
            return RR_ERR_NOMEM;
        w->etags = p;
        w->etag_cap = cap;
    }
    spool_hash(w, hash);
    snprintf(num, sizeof num, "%d", w->nparts + 1);
    const struct sigv4_pair q[] = {{"partNumber", num}, {"uploadId", w->upload_id}};
    struct s3_req r = {.op = "upload part",
                       .method = "PUT",
                       .key = w->key,
                       .query = q,
                       .nquery = 2,
                       .body_fd = w->fd,
                       .body_len = w->spooled,
                       .payload_hash = hash};
    rc = perform(s, &r, 0);
    if (rc < 0)
        return rc;
    if (!r.etag[0]) {
        s3_log(r.op, w->key, r.status, NULL, "no ETag in the answer", RR_ERR_IO);
        return RR_ERR_IO;
    }
    snprintf(w->etags[w->nparts], S3_ETAG_MAX, "%s", r.etag);
    w->nparts++;
    w->spooled = 0;
    return 0;
}

static int s3_write(void *wstate, const void *data, size_t len)
{
    struct s3_writer *w = wstate;
    const unsigned char *p = data;
    while (len > 0) {
        size_t room = (size_t)(w->s->part_size - w->spooled);
        size_t n = len < room ? len : room;
        size_t done = 0;
        while (done < n) {
            ssize_t k = pwrite(w->fd, p + done, n - done, (off_t)(w->spooled + (int64_t)done));
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0) {
                int e = k < 0 ? errno : ENOSPC;
                s3_log("spool", w->key, 0, NULL, strerror(e), RR_ERR_IO);
                return (e == ENOSPC || e == EDQUOT) ? RR_ERR_NOSPACE : RR_ERR_IO;
            }
            done += (size_t)k;
        }
        crypto_hash_sha256_update(&w->sha, p, (unsigned long long)n);
        w->spooled += (int64_t)n;
        p += n;
        len -= n;
        if (w->spooled == w->s->part_size) {
            int rc = flush_part(w->s, w);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

static void abort_upload(const struct s3 *s, struct s3_writer *w)
{
    if (!w->upload_id[0])
        return;
    const struct sigv4_pair q[] = {{"uploadId", w->upload_id}};
    struct s3_req r = {.op = "abort multipart",
                       .method = "DELETE",
                       .key = w->key,
                       .query = q,
                       .nquery = 1,
                       .body_fd = -1};
    (void)perform(s, &r, 1); /* best effort; a bucket lifecycle rule cleans up the rest */
    w->upload_id[0] = '\0';
}

static void writer_free(struct s3_writer *w)
{
    if (w->fd >= 0)
        close(w->fd);
    free(w->etags);
    free(w);
}

static void s3_write_abort(void *state, void *wstate)
{
    struct s3_writer *w = wstate;
    abort_upload(state, w);
    writer_free(w);
}

static int complete_upload(const struct s3 *s, struct s3_writer *w, int64_t total)
{
    struct rr_buf body, resp;
    char hash[SIGV4_HEX_LEN + 1];
    const struct sigv4_pair q[] = {{"uploadId", w->upload_id}};
    rr_buf_init(&body, NULL, 0, (size_t)S3_MAX_PARTS * (S3_ETAG_MAX + 64) + 128);
    rr_buf_init(&resp, NULL, 0, S3_ERR_BODY_MAX);
    rr_buf_adds(&body, "<CompleteMultipartUpload>");
    for (int i = 0; i < w->nparts; i++)
        rr_buf_addf(&body, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", i + 1,
                    w->etags[i]);
    rr_buf_adds(&body, "</CompleteMultipartUpload>");
    int rc = rr_buf_error(&body);
    if (rc == 0) {
        sigv4_sha256_hex(rr_buf_data(&body), rr_buf_len(&body), hash);
        struct s3_req r = {.op = "complete multipart",
                           .method = "POST",
                           .key = w->key,
                           .query = q,
                           .nquery = 1,
                           .body_fd = -1,
                           .body_mem = rr_buf_data(&body),
                           .body_len = (int64_t)rr_buf_len(&body),
                           .payload_hash = hash,
                           .content_type = "application/xml",
                           .resp = &resp};
        rc = perform(s, &r, 1);
        if (rc == 0 && strstr(rr_buf_data(&resp), "<Error>")) { /* S3 may fail inside a 200 */
            char code[64] = "";
            s3_xml_text(rr_buf_data(&resp), "Code", code, sizeof code);
            s3_log(r.op, w->key, r.status, code, "completion failed", RR_ERR_IO);
            rc = RR_ERR_IO;
        } else if (rc == RR_ERR_NOTFOUND) {
            /* A retry after a lost answer: the upload is gone because it completed. */
            struct s3_req h = {.op = "head", .method = "HEAD", .key = w->key, .body_fd = -1};
            rc = perform(s, &h, 0) == 0 && h.content_length == total ? 0 : RR_ERR_IO;
            if (rc < 0)
                s3_log(r.op, w->key, r.status, "NoSuchUpload", "completion failed", rc);
        }
        if (rc == 0)
            w->upload_id[0] = '\0'; /* nothing left to abort */
    }
    rr_buf_release(&body);
    rr_buf_release(&resp);
    return rc;
}

static int s3_write_commit(void *state, void *wstate)
{
    const struct s3 *s = state;
    struct s3_writer *w = wstate;
    int rc = 0;
    if (!w->upload_id[0]) { /* one part or less: a single PUT */
        char hash[SIGV4_HEX_LEN + 1];
        spool_hash(w, hash);
        struct s3_req r = {.op = "put",
                           .method = "PUT",
                           .key = w->key,
                           .body_fd = w->fd,
                           .body_len = w->spooled,
                           .payload_hash = hash};
        rc = perform(s, &r, 0);
    } else {
        int64_t total = (int64_t)w->nparts * s->part_size + w->spooled;
        if (w->spooled > 0)
            rc = flush_part(s, w);
        if (rc == 0)
            rc = complete_upload(s, w, total);
    }
    if (rc < 0)
        abort_upload(s, w);
    writer_free(w);
    return rc;
}

/* ---- readers ------------------------------------------------------------------------------ */

static int head(const struct s3 *s, const char *key, int64_t *size, int64_t *mtime,
                char etag[S3_ETAG_MAX])
{
    struct s3_req r = {.op = "head", .method = "HEAD", .key = key, .body_fd = -1};
    int rc = perform(s, &r, 1);
    if (rc < 0)
        return rc;
    if (r.content_length < 0) {
        s3_log(r.op, key, r.status, NULL, "no Content-Length", RR_ERR_IO);
        return RR_ERR_IO;
    }
    *size = r.content_length;
    if (mtime)
        *mtime = r.last_modified;
    if (etag)
        snprintf(etag, S3_ETAG_MAX, "%s", r.etag);
    return 0;
}

static int s3_read_open(void *state, const char *key, void **rstate, int *fd, int64_t *size)
{
    struct s3_reader *r = calloc(1, sizeof *r);
    if (!r)
        return RR_ERR_NOMEM;
    r->s = state;
    snprintf(r->key, sizeof r->key, "%s", key);
    int rc = head(state, key, &r->size, NULL, r->etag);
    if (rc < 0) {
        free(r);
        return rc;
    }
    *rstate = r;
    *fd = -1;
    *size = r->size;
    return 0;
}

/* GET bytes [from, from + len) into dst; exactly len bytes or IO. */
static int get_range(struct s3_reader *r, int64_t from, unsigned char *dst, size_t len)
{
    char range[96];
    snprintf(range, sizeof range, "bytes=%lld-%lld", (long long)from,
             (long long)(from + (int64_t)len - 1));
    struct s3_req q = {.op = "get",
                       .method = "GET",
                       .key = r->key,
                       .range = range,
                       .if_match = r->etag[0] ? r->etag : NULL,
                       .body_fd = -1,
                       .sink = dst,
                       .sink_cap = len};
    int rc = perform(r->s, &q, 0);
    if (rc == RR_ERR_CONFLICT || rc == RR_ERR_NOTFOUND)
        rc = RR_ERR_IO; /* replaced or removed while we read it */
    if (rc == 0 && (q.status != 206 && !(q.status == 200 && from == 0 && (int64_t)len == r->size)))
        rc = RR_ERR_IO;
    /* If-Match is the first line; the ETag answered is the second (servers that ignore
     * If-Match, like s3rver, still send the ETag of what they return). */
    if (rc == 0 && r->etag[0] && q.etag[0] && strcmp(q.etag, r->etag) != 0) {
        s3_log(q.op, r->key, q.status, NULL, "object replaced while reading", RR_ERR_IO);
        rc = RR_ERR_IO;
    }
    if (rc == 0 && q.sink_len != len) {
        s3_log(q.op, r->key, q.status, NULL, "short range", RR_ERR_IO);
        rc = RR_ERR_IO;
    }
    return rc;
}

static int64_t s3_read(void *rstate, void *buf, size_t len)
{
    struct s3_reader *r = rstate;
    int64_t left = r->size - r->pos;
    if (left <= 0 || len == 0)
        return 0;
    if ((int64_t)len > left)
        len = (size_t)left;
    /* inside the window? */
    if (r->win && r->pos >= r->win_start && r->pos < r->win_start + (int64_t)r->win_len) {
        size_t off = (size_t)(r->pos - r->win_start);
        size_t n = r->win_len - off < len ? r->win_len - off : len;
        memcpy(buf, r->win + off, n);
        r->pos += (int64_t)n;
        return (int64_t)n;
    }
    if (len >= S3_READ_WINDOW) { /* big reads go straight into the caller's buffer */
        int rc = get_range(r, r->pos, buf, len);
        if (rc < 0)
            return rc;
        r->pos += (int64_t)len;
        return (int64_t)len;
    }
    if (!r->win) {
        r->win = malloc(S3_READ_WINDOW);
        if (!r->win)
            return RR_ERR_NOMEM;
    }
    size_t w = left < S3_READ_WINDOW ? (size_t)left : S3_READ_WINDOW;
    r->win_len = 0;
    int rc = get_range(r, r->pos, r->win, w);
    if (rc < 0)
        return rc;
    r->win_start = r->pos;
    r->win_len = w;
    memcpy(buf, r->win, len);
    r->pos += (int64_t)len;
    return (int64_t)len;
}

static void s3_read_close(void *rstate)
{
    struct s3_reader *r = rstate;
    free(r->win);
    free(r);
}

/* ---- the rest ----------------------------------------------------------------------------- */

static int s3_stat(void *state, const char *key, struct blob_info *info)
{
    return head(state, key, &info->size, &info->mtime, NULL);
}

static int s3_remove(void *state, const char *key)
{
    struct s3_req r = {.op = "delete", .method = "DELETE", .key = key, .body_fd = -1};
    int rc = perform(state, &r, 1);
    return rc == RR_ERR_NOTFOUND ? 0 : rc;
}

static int s3_sweep_tmp(void *state, int64_t older_than_sec)
{
    /* Spools are O_TMPFILE (gone with their process); unfinished multipart uploads of killed
     * writers are S3's to expire (lifecycle rule AbortIncompleteMultipartUpload, deploy docs). */
    (void)state;
    (void)older_than_sec;
    return 0;
}

static int s3_presign(void *state, const char *key, int64_t ttl_sec, char *out, size_t cap)
{
    const struct s3 *s = state;
    char date[SIGV4_DATE_LEN + 1], path[BLOB_KEY_MAX + S3_BUCKET_MAX + 4];
    struct rr_buf b;
    sigv4_amz_date((int64_t)time(NULL), date);
    snprintf(path, sizeof path, "/%s/%s", s->bucket, key);
    const struct sigv4_pair h[] = {{"host", s->pub_host}};
    struct sigv4_credentials cr = {s->access_key, s->secret_key, s->region, "s3"};
    struct sigv4_request req = {"GET", path, NULL, 0, h, 1, NULL};
    rr_buf_init(&b, out, cap, cap - 1);
    rr_buf_adds(&b, s->pub_endpoint);
    sigv4_uri_encode(&b, path, strlen(path), 1);
    rr_buf_addc(&b, '?');
    int rc = rr_buf_error(&b);
    if (rc == 0)
        rc = sigv4_presign(&cr, date, ttl_sec, &req, &b);
    if (rc == 0)
        rc = rr_buf_error(&b);
    if (rc < 0 && cap)
        out[0] = '\0';
    rr_buf_release(&b);
    return rc;
}

static const char *s3_origin(void *state)
{
    const struct s3 *s = state;
    return s->pub_endpoint;
}

const struct blob_ops blob_s3_ops = {
    .scheme = "s3",
    .open = s3_open,
    .close = s3_close,
    .write_begin = s3_write_begin,
    .write = s3_write,
    .write_commit = s3_write_commit,
    .write_abort = s3_write_abort,
    .adopt_file = NULL,
    .read_open = s3_read_open,
    .read = s3_read,
    .read_close = s3_read_close,
    .stat = s3_stat,
    .remove = s3_remove,
    .sweep_tmp = s3_sweep_tmp,
    .free_bytes = NULL,
    .presign = s3_presign,
    .origin = s3_origin,
};
