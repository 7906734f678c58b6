/*
 * ssrf.c - URL parsing and the address policy of outgoing requests (ssrf.h).
 *
 * DESIGN: an allow-list where it can be one. An IPv6 address is public only inside 2000::/3
 * (global unicast) and outside the reserved blocks carved from it; the IPv4 carried in mapped,
 * compatible, NAT64 and 6to4 forms is judged as that IPv4, because that is where a dual-stack
 * host or a translator would connect. IPv4 ranges are a table (IANA special-purpose registry).
 * A name is refused when ANY of its addresses is internal (a name with one public and one
 * private address is a rebinding setup), and the caller connects to the one address checked.
 */
#include "net/ssrf.h"

#include "base/rr_error.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void say(char *msg, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *msg, size_t len, const char *fmt, ...)
{
    if (!msg || !len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, len, fmt, ap);
    va_end(ap);
}

/* ---- classification ------------------------------------------------------------------------ */

struct v4_range {
    uint32_t net;
    int prefix;
    enum ssrf_class c;
};

/* IANA IPv4 special-purpose address registry, plus multicast and class E. First match wins. */
static const struct v4_range v4_ranges[] = {
    {0x00000000u, 8, SSRF_UNSPECIFIED}, /* 0.0.0.0/8 "this network" */
    {0x0A000000u, 8, SSRF_PRIVATE},     /* 10/8 */
    {0x64400000u, 10, SSRF_CGNAT},      /* 100.64/10 shared address space */
    {0x7F000000u, 8, SSRF_LOOPBACK},    /* 127/8 */
    {0xA9FE0000u, 16, SSRF_LINK_LOCAL}, /* 169.254/16 (cloud metadata lives here) */
    {0xAC100000u, 12, SSRF_PRIVATE},    /* 172.16/12 */
    {0xC0000000u, 24, SSRF_RESERVED},   /* 192.0.0/24 IETF protocol assignments */
    {0xC0000200u, 24, SSRF_RESERVED},   /* 192.0.2/24 TEST-NET-1 */
    {0xC0586300u, 24, SSRF_RESERVED},   /* 192.88.99/24 6to4 relay anycast */
    {0xC0A80000u, 16, SSRF_PRIVATE},    /* 192.168/16 */
    {0xC6120000u, 15, SSRF_RESERVED},   /* 198.18/15 benchmarking */
    {0xC6336400u, 24, SSRF_RESERVED},   /* 198.51.100/24 TEST-NET-2 */
    {0xCB007100u, 24, SSRF_RESERVED},   /* 203.0.113/24 TEST-NET-3 */
    {0xFFFFFFFFu, 32, SSRF_BROADCAST},  /* limited broadcast */
    {0xE0000000u, 4, SSRF_MULTICAST},   /* 224/4 */
    {0xF0000000u, 4, SSRF_RESERVED},    /* 240/4 */
};

static enum ssrf_class classify_v4(uint32_t a) /* host byte order */
{
    for (size_t i = 0; i < sizeof v4_ranges / sizeof v4_ranges[0]; i++) {
        uint32_t mask = 0xFFFFFFFFu << (32 - v4_ranges[i].prefix);
        if ((a & mask) == v4_ranges[i].net)
            return v4_ranges[i].c;
    }
    return SSRF_PUBLIC;
}

static uint32_t v4_at(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static int all_zero(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return 0;
    return 1;
}

static enum ssrf_class classify_v6(const uint8_t b[16])
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const uint8_t siit[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0};
    static const uint8_t nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    if (all_zero(b, 15))
        return b[15] == 1 ? SSRF_LOOPBACK : b[15] == 0 ? SSRF_UNSPECIFIED : classify_v4(b[15]);
    if (all_zero(b, 12)) /* ::a.b.c.d, IPv4-compatible (deprecated) */
        return classify_v4(v4_at(b + 12));
    if (memcmp(b, mapped, 12) == 0 || memcmp(b, siit, 12) == 0 || memcmp(b, nat64, 12) == 0)
        return classify_v4(v4_at(b + 12));
    if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b)
        return SSRF_RESERVED; /* 64:ff9b:1::/48 local-use NAT64 and the rest of 64:ff9b::/32 */
    if (b[0] == 0xff)
        return SSRF_MULTICAST;
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
        return SSRF_LINK_LOCAL; /* fe80::/10 */
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)
        return SSRF_PRIVATE; /* fec0::/10 site-local (deprecated) */
    if ((b[0] & 0xfe) == 0xfc)
        return SSRF_PRIVATE; /* fc00::/7 unique local */
    if ((b[0] & 0xe0) != 0x20)
        return SSRF_RESERVED; /* outside 2000::/3 global unicast */
    if (b[0] == 0x20 && b[1] == 0x02) /* 2002::/16 6to4: the IPv4 in bits 16..47 */
        return classify_v4(v4_at(b + 2));
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 && (b[3] & 0xfe) == 0x00)
        return SSRF_RESERVED; /* 2001::/23 protocol assignments (Teredo 2001::/32, ORCHID) */
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)
        return SSRF_RESERVED; /* 2001:db8::/32 documentation */
    if (b[0] == 0x3f && b[1] == 0xff && (b[2] & 0xf0) == 0x00)
        return SSRF_RESERVED; /* 3fff::/20 documentation */
    return SSRF_PUBLIC;
}

enum ssrf_class ssrf_classify(const struct sockaddr *sa)
{
    if (!sa)
        return SSRF_RESERVED;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
        return classify_v4(ntohl(s4->sin_addr.s_addr));
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
        return classify_v6(s6->sin6_addr.s6_addr);
    }
    return SSRF_RESERVED;
}

const char *ssrf_class_name(enum ssrf_class c)
{
    static const char *const names[] = {"public",      "loopback",  "private",
                                        "link-local",  "shared (CGNAT)", "unspecified",
                                        "multicast",   "broadcast", "reserved"};
    return (unsigned)c < sizeof names / sizeof names[0] ? names[c] : "reserved";
}

/* ---- URL parsing ---------------------------------------------------------------------------- */

static int prefix_ci(const char *s, const char *p)
{
    for (; *p; s++, p++)
        if (tolower((unsigned char)*s) != *p)
            return 0;
    return 1;
}

int ssrf_url_parse(const char *url, struct ssrf_url *out, char *msg, size_t msg_len)
{
    if (!url || !out)
        return RR_ERR_INVAL;
    *out = (struct ssrf_url){0};
    size_t n = strnlen(url, SSRF_URL_MAX + 1);
    if (n > SSRF_URL_MAX) {
        say(msg, msg_len, "the URL is longer than %d bytes", SSRF_URL_MAX);
        return RR_ERR_TOOBIG;
    }
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)url[i] < 0x21 || (unsigned char)url[i] > 0x7e || url[i] == '\\') {
            say(msg, msg_len, "the URL may hold printable ASCII only (no spaces or backslashes)");
            return RR_ERR_INVAL;
        }
    const char *p;
    if (prefix_ci(url, "https://")) {
        out->https = true;
        p = url + 8;
    } else if (prefix_ci(url, "http://")) {
        p = url + 7;
    } else {
        say(msg, msg_len, "the URL must start with https://");
        return RR_ERR_INVAL;
    }
    size_t alen = strcspn(p, "/?#");
    if (p[alen] == '#' || strchr(p + alen, '#')) {
        say(msg, msg_len, "the URL may not carry a fragment (#)");
        return RR_ERR_INVAL;
    }
    if (memchr(p, '@', alen)) {
        say(msg, msg_len, "the URL may not carry a user name or password");
        return RR_ERR_INVAL;
    }
    const char *host = p, *port = NULL;
    size_t hlen;
    if (alen && p[0] == '[') {
        const char *close = memchr(p, ']', alen);
        if (!close) {
            say(msg, msg_len, "the URL's IPv6 address has no closing bracket");
            return RR_ERR_INVAL;
        }
        host = p + 1;
        hlen = (size_t)(close - host);
        out->host_is_v6 = true;
        if (close + 1 < p + alen) {
            if (close[1] != ':') {
                say(msg, msg_len, "the URL's host is malformed");
                return RR_ERR_INVAL;
            }
            port = close + 2;
        }
    } else {
        const char *colon = memchr(p, ':', alen);
        hlen = colon ? (size_t)(colon - p) : alen;
        if (colon)
            port = colon + 1;
    }
    if (hlen == 0 || hlen > SSRF_HOST_MAX) {
        say(msg, msg_len, "the URL has no host, or one longer than %d bytes", SSRF_HOST_MAX);
        return RR_ERR_INVAL;
    }
    for (size_t i = 0; i < hlen; i++) {
        char c = host[i];
        bool ok = isalnum((unsigned char)c) || c == '.' || c == '-' ||
                  (out->host_is_v6 && c == ':');
        if (!ok) {
            say(msg, msg_len, "the URL's host may hold letters, digits, '.' and '-' only");
            return RR_ERR_INVAL;
        }
        out->host[i] = (char)tolower((unsigned char)c);
    }
    out->host[hlen] = '\0';
    if (out->host_is_v6) {
        struct in6_addr a6;
        if (inet_pton(AF_INET6, out->host, &a6) != 1) {
            say(msg, msg_len, "the URL's IPv6 address is malformed");
            return RR_ERR_INVAL;
        }
    }
    out->port = out->https ? 443 : 80;
    if (port) {
        size_t plen = (size_t)(p + alen - port);
        long v = 0;
        if (plen == 0 || plen > 5) {
            say(msg, msg_len, "the URL's port must be 1..65535");
            return RR_ERR_INVAL;
        }
        for (size_t i = 0; i < plen; i++) {
            if (!isdigit((unsigned char)port[i])) {
                say(msg, msg_len, "the URL's port must be 1..65535");
                return RR_ERR_INVAL;
            }
            v = v * 10 + (port[i] - '0');
        }
        if (v < 1 || v > 65535) {
            say(msg, msg_len, "the URL's port must be 1..65535");
            return RR_ERR_INVAL;
        }
        out->port = (int)v;
    }
    return 0;
}

/* ---- resolve and check ---------------------------------------------------------------------- */

static void set_port(struct sockaddr_storage *ss, int port)
{
    if (ss->ss_family == AF_INET)
        ((struct sockaddr_in *)(void *)ss)->sin_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in6 *)(void *)ss)->sin6_port = htons((uint16_t)port);
}

static void addr_text(const struct sockaddr_storage *ss, char out[SSRF_IP_MAX])
{
    const void *a = ss->ss_family == AF_INET
                        ? (const void *)&((const struct sockaddr_in *)(const void *)ss)->sin_addr
                        : (const void *)&((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr;
    if (!inet_ntop(ss->ss_family, a, out, SSRF_IP_MAX))
        snprintf(out, SSRF_IP_MAX, "?");
}

/* One address against the policy; 0 or FORBIDDEN with msg. */
static int judge(const struct ssrf_url *u, const struct sockaddr *sa, unsigned flags, char *msg,
                 size_t msg_len)
{
    enum ssrf_class c = ssrf_classify(sa);
    if (c == SSRF_PUBLIC && u->https)
        return 0;
    if (c == SSRF_LOOPBACK && (flags & SSRF_ALLOW_LOOPBACK))
        return 0;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    memcpy(&ss, sa, sa->sa_family == AF_INET ? sizeof(struct sockaddr_in)
                                             : sizeof(struct sockaddr_in6));
    char ip[SSRF_IP_MAX];
    addr_text(&ss, ip);
    if (c == SSRF_PUBLIC) {
        say(msg, msg_len,
            "the URL must use https (plain http goes to loopback only, in development)");
        return RR_ERR_INVAL;
    }
    say(msg, msg_len, "%s resolves to %s, a %s address: webhooks go to public addresses only",
        u->host, ip, ssrf_class_name(c));
    return RR_ERR_FORBIDDEN;
}

/* getaddrinfo with a deadline: the lookup runs on a detached thread of ours (glibc's
 * getaddrinfo_a uses threads the sanitizers cannot see); the job is shared by reference count,
 * so when the deadline passes first the thread finishes and frees it alone. 0, NOTFOUND,
 * TIMEOUT, NOMEM, INTERNAL. */
struct gai_job {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int refs, done, rc, numeric;
    char host[SSRF_HOST_MAX + 1];
    struct addrinfo *res;
};

static void gai_unref(struct gai_job *j)
{
    pthread_mutex_lock(&j->mu);
    int refs = --j->refs;
    pthread_mutex_unlock(&j->mu);
    if (refs)
        return;
    if (j->res)
        freeaddrinfo(j->res);
    pthread_cond_destroy(&j->cv);
    pthread_mutex_destroy(&j->mu);
    free(j);
}

static void *gai_thread(void *arg)
{
    struct gai_job *j = arg;
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = j->numeric ? AI_NUMERICHOST : 0;
    int rc = getaddrinfo(j->host, NULL, &hints, &res);
    pthread_mutex_lock(&j->mu);
    j->rc = rc;
    j->res = res;
    j->done = 1;
    pthread_cond_signal(&j->cv);
    pthread_mutex_unlock(&j->mu);
    gai_unref(j);
    return NULL;
}

static int resolve(const char *host, int numeric, struct addrinfo **res)
{
    struct gai_job *j = calloc(1, sizeof *j);
    if (!j)
        return RR_ERR_NOMEM;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&j->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&j->mu, NULL);
    j->refs = 2; /* this caller and the thread */
    j->numeric = numeric;
    snprintf(j->host, sizeof j->host, "%s", host);
    pthread_attr_t ta;
    pthread_t th;
    pthread_attr_init(&ta);
    pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
    int started = pthread_create(&th, &ta, gai_thread, j) == 0;
    pthread_attr_destroy(&ta);
    if (!started) {
        j->refs = 1;
        gai_unref(j);
        return RR_ERR_INTERNAL;
    }
    struct timespec end;
    clock_gettime(CLOCK_MONOTONIC, &end);
    end.tv_sec += SSRF_RESOLVE_MS / 1000;
    end.tv_nsec += (long)(SSRF_RESOLVE_MS % 1000) * 1000000L;
    if (end.tv_nsec >= 1000000000L) {
        end.tv_sec++;
        end.tv_nsec -= 1000000000L;
    }
    int err = 0;
    pthread_mutex_lock(&j->mu);
    while (!j->done && err != ETIMEDOUT)
        err = pthread_cond_timedwait(&j->cv, &j->mu, &end);
    int rc = RR_ERR_TIMEOUT;
    if (j->done) {
        rc = j->rc == 0 && j->res ? 0 : RR_ERR_NOTFOUND;
        *res = j->res;
        j->res = NULL; /* ours now */
    }
    pthread_mutex_unlock(&j->mu);
    gai_unref(j);
    return rc;
}

int ssrf_check(const char *url, unsigned flags, struct ssrf_target *out, char *msg,
               size_t msg_len)
{
    if (!out)
        return RR_ERR_INVAL;
    memset(out, 0, sizeof *out);
    int err = ssrf_url_parse(url, &out->url, msg, msg_len);
    if (err)
        return err;
    if (!out->url.https && !(flags & SSRF_ALLOW_LOOPBACK)) {
        say(msg, msg_len, "the URL must use https");
        return RR_ERR_INVAL;
    }
    struct in_addr a4;
    if (!out->url.host_is_v6 && inet_aton(out->url.host, &a4) == 1) {
        /* every numeric form inet_aton (and curl) accept: 2130706433, 0177.0.0.1, 0x7f.1, 127.1 */
        struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)&out->addr;
        s4->sin_family = AF_INET;
        s4->sin_addr = a4;
        out->addr_len = sizeof *s4;
    } else {
        struct addrinfo *res = NULL, *pick = NULL;
        int rc = resolve(out->url.host, out->url.host_is_v6, &res);
        if (rc == RR_ERR_TIMEOUT) {
            say(msg, msg_len, "%s did not resolve within %d ms", out->url.host, SSRF_RESOLVE_MS);
            return rc;
        }
        if (rc) {
            say(msg, msg_len, "%s does not resolve", out->url.host);
            return rc;
        }
        for (struct addrinfo *ai = res; ai && !err; ai = ai->ai_next) {
            if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
                continue;
            err = judge(&out->url, ai->ai_addr, flags, msg, msg_len);
            /* pin the first IPv4 address, else the first IPv6 one */
            if (!pick || (pick->ai_family != AF_INET && ai->ai_family == AF_INET))
                pick = ai;
        }
        if (!err && !pick) {
            say(msg, msg_len, "%s has no IPv4 or IPv6 address", out->url.host);
            err = RR_ERR_NOTFOUND;
        }
        if (!err) {
            memcpy(&out->addr, pick->ai_addr, pick->ai_addrlen);
            out->addr_len = pick->ai_addrlen;
        }
        freeaddrinfo(res);
        if (err)
            return err;
    }
    err = judge(&out->url, (const struct sockaddr *)&out->addr, flags, msg, msg_len);
    if (err)
        return err;
    set_port(&out->addr, out->url.port);
    addr_text(&out->addr, out->ip);
    return 0;
}
