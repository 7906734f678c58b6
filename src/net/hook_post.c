/* hook_post.c - a pinned, bounded libcurl POST (hook_post.h). */
#include "net/hook_post.h"

#include "base/rr_error.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void global_init(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct pin {
    const struct ssrf_target *t;
    int refused; /* curl tried another destination */
};

/* The same address (family, bytes, port) as the checked one. */
static int same_addr(const struct sockaddr *a, const struct sockaddr_storage *b)
{
    if (a->sa_family != b->ss_family)
        return 0;
    if (a->sa_family == AF_INET) {
        const struct sockaddr_in *x = (const struct sockaddr_in *)(const void *)a;
        const struct sockaddr_in *y = (const struct sockaddr_in *)(const void *)b;
        return x->sin_addr.s_addr == y->sin_addr.s_addr && x->sin_port == y->sin_port;
    }
    if (a->sa_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)(const void *)a;
        const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)(const void *)b;
        return memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0 &&
               x->sin6_port == y->sin6_port;
    }
    return 0;
}

static curl_socket_t open_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *addr)
{
    struct pin *pin = ud;
    if (purpose != CURLSOCKTYPE_IPCXN || !same_addr(&addr->addr, &pin->t->addr)) {
        pin->refused = 1;
        return CURL_SOCKET_BAD;
    }
    return socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
}

struct sink {
    size_t n;
};

static size_t discard(char *p, size_t size, size_t nmemb, void *ud)
{
    (void)p;
    struct sink *s = ud;
    size_t n = size * nmemb;
    s->n += n;
    return s->n > HOOK_POST_RESPONSE_MAX ? 0 : n; /* 0 stops the transfer */
}

int hook_post(const struct hook_request *rq, struct hook_result *out)
{
    if (!rq || !out || !rq->url || (!rq->body && rq->body_len))
        return RR_ERR_INVAL;
    memset(out, 0, sizeof *out);
    if (rq->body_len > HOOK_POST_BODY_MAX) {
        snprintf(out->error, sizeof out->error, "the payload is over %d bytes",
                 HOOK_POST_BODY_MAX);
        return RR_ERR_TOOBIG;
    }
    struct ssrf_target t;
    int err = ssrf_check(rq->url, rq->ssrf_flags, &t, out->error, sizeof out->error);
    if (err)
        return err;
    memcpy(out->ip, t.ip, sizeof out->ip);
    pthread_once(&once, global_init);
    if (global_rc != CURLE_OK) {
        snprintf(out->error, sizeof out->error, "libcurl failed to initialise");
        return RR_ERR_INTERNAL;
    }
    CURL *h = curl_easy_init();
    struct curl_slist *hdrs = NULL, *resolve = NULL;
    if (!h)
        return RR_ERR_NOMEM;
    /* pin the name to the checked address; numeric hosts are rewritten to their canonical form
     * so curl cannot read "0x7f.1" differently from inet_aton */
    char pin_line[SSRF_HOST_MAX + SSRF_IP_MAX + 16], url2[SSRF_URL_MAX + SSRF_IP_MAX + 16];
    const char *url = rq->url;
    if (t.addr.ss_family == AF_INET6)
        snprintf(pin_line, sizeof pin_line, "%s:%d:[%s]", t.url.host, t.url.port, t.ip);
    else
        snprintf(pin_line, sizeof pin_line, "%s:%d:%s", t.url.host, t.url.port, t.ip);
    struct in_addr a4;
    if (!t.url.host_is_v6 && inet_aton(t.url.host, &a4) == 1) {
        const char *rest = strchr(rq->url, ':') + 3; /* after "://" (the parser checked) */
        rest += strcspn(rest, "/?");
        snprintf(url2, sizeof url2, "%s://%s:%d%s", t.url.https ? "https" : "http", t.ip,
                 t.url.port, rest);
        url = url2;
    }
    /* literal hosts are never resolved by curl (and an IPv6 one would not parse as a RESOLVE
     * entry): the open-socket check alone pins them */
    bool literal = t.url.host_is_v6 || url == url2;
    resolve = literal ? NULL : curl_slist_append(NULL, pin_line);
    hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    if (hdrs) {
        struct curl_slist *n = curl_slist_append(hdrs, "Expect:"); /* no 100-continue wait */
        hdrs = n ? n : hdrs;
    }
    for (int i = 0; hdrs && i < HOOK_POST_HEADERS_MAX && rq->headers[i]; i++) {
        struct curl_slist *n = curl_slist_append(hdrs, rq->headers[i]);
        if (!n) {
            curl_slist_free_all(hdrs);
            hdrs = NULL;
        } else {
            hdrs = n;
        }
    }
    if ((!literal && !resolve) || !hdrs) {
        err = RR_ERR_NOMEM;
        goto out;
    }
    struct pin pin = {&t, 0};
    struct sink sink = {0};
    long cms = rq->connect_ms > 0 ? rq->connect_ms : HOOK_POST_CONNECT_MS;
    long tms = rq->total_ms > 0 ? rq->total_ms : HOOK_POST_TOTAL_MS;
    curl_easy_setopt(h, CURLOPT_URL, url);
    if (resolve)
        curl_easy_setopt(h, CURLOPT_RESOLVE, resolve);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &pin);
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 0L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, cms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, tms);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "RepRight-Webhooks/1");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)HOOK_POST_RESPONSE_MAX);
    CURLcode rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
    if (out->status > 0) {
        err = 0; /* an answer arrived; a body over the bound was cut (and is not needed) */
    } else if (pin.refused) {
        snprintf(out->error, sizeof out->error, "refused to connect anywhere but %s", t.ip);
        err = RR_ERR_FORBIDDEN;
    } else {
        snprintf(out->error, sizeof out->error, "%s", curl_easy_strerror(rc));
        err = rc == CURLE_OPERATION_TIMEDOUT ? RR_ERR_TIMEOUT : RR_ERR_IO;
    }
out:
    curl_slist_free_all(resolve);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    return err;
}
