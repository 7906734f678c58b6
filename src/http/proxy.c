/*
 * proxy.c - the trusted-proxy list and the client address of a proxied request (proxy.h).
 *
 * DESIGN: addresses are compared as bytes (family 4: 4 bytes, family 6: 16) under the block's
 * prefix, so matching is a few memcmp-sized loops with no allocation; the header walk copies
 * one entry at a time into a small stack buffer and parses it with inet_pton, so nothing that
 * is not an address can reach a log line or a rate-limit key.
 */
#include "http/proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/rr_error.h"

struct addr {
    unsigned char family; /* 4, 6, or 0 = none */
    unsigned char b[16];
};

static void addr_from_sockaddr(const struct sockaddr *sa, struct addr *a)
{
    memset(a, 0, sizeof *a);
    if (sa && sa->sa_family == AF_INET) {
        a->family = 4;
        memcpy(a->b, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
    } else if (sa && sa->sa_family == AF_INET6) {
        const struct in6_addr *v6 = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(v6)) {
            a->family = 4;
            memcpy(a->b, v6->s6_addr + 12, 4);
        } else {
            a->family = 6;
            memcpy(a->b, v6->s6_addr, 16);
        }
    }
}

/* Parse text[0..len) as an address: "1.2.3.4", "1.2.3.4:80", "::1", "[::1]", "[::1]:80".
 * 0 or RR_ERR_INVAL. */
static int addr_parse(const char *text, size_t len, int allow_port, struct addr *a)
{
    char buf[HTTP_IP_TEXT_MAX + 1];
    memset(a, 0, sizeof *a);
    if (len == 0)
        return RR_ERR_INVAL;
    if (allow_port && text[0] == '[') {
        const char *close = memchr(text, ']', len);
        if (!close)
            return RR_ERR_INVAL;
        size_t rest = len - (size_t)(close - text) - 1;
        if (rest && (close[1] != ':' || rest < 2 || rest > 6 ||
                     strspn(close + 2, "0123456789") < rest - 1))
            return RR_ERR_INVAL;
        text++;
        len = (size_t)(close - text);
    } else if (allow_port) {
        const char *colon = memchr(text, ':', len);
        /* one colon = IPv4 with a port; more = a bare IPv6 address */
        if (colon && !memchr(colon + 1, ':', len - (size_t)(colon - text) - 1)) {
            size_t plen = len - (size_t)(colon - text) - 1;
            if (plen < 1 || plen > 5 || strspn(colon + 1, "0123456789") < plen)
                return RR_ERR_INVAL;
            len = (size_t)(colon - text);
        }
    }
    if (len == 0 || len > HTTP_IP_TEXT_MAX)
        return RR_ERR_INVAL;
    memcpy(buf, text, len);
    buf[len] = '\0';
    if (inet_pton(AF_INET, buf, a->b) == 1) {
        a->family = 4;
        return 0;
    }
    struct in6_addr v6;
    if (inet_pton(AF_INET6, buf, &v6) == 1) {
        if (IN6_IS_ADDR_V4MAPPED(&v6)) {
            a->family = 4;
            memcpy(a->b, v6.s6_addr + 12, 4);
        } else {
            a->family = 6;
            memcpy(a->b, v6.s6_addr, 16);
        }
        return 0;
    }
    return RR_ERR_INVAL;
}

static int in_block(const struct http_proxy_block *blk, const struct addr *a)
{
    if (blk->family != a->family)
        return 0;
    unsigned full = blk->bits / 8u, rest = blk->bits % 8u;
    if (memcmp(blk->addr, a->b, full) != 0)
        return 0;
    if (rest == 0)
        return 1;
    unsigned char mask = (unsigned char)(0xffu << (8u - rest));
    return (blk->addr[full] & mask) == (a->b[full] & mask);
}

static int addr_trusted(const struct http_proxies *p, const struct addr *a)
{
    if (!p || a->family == 0)
        return 0;
    for (unsigned i = 0; i < p->n; i++)
        if (in_block(&p->block[i], a))
            return 1;
    return 0;
}

static int bad_entry(char *msg, size_t msg_len, const char *e, size_t len, const char *why)
{
    if (msg && msg_len)
        snprintf(msg, msg_len, "trusted proxy '%.*s': %s", (int)(len > 64 ? 64 : len), e, why);
    return RR_ERR_INVAL;
}

int http_proxies_parse(const char *list, struct http_proxies *out, char *msg, size_t msg_len)
{
    static const char seps[] = ", \t";
    memset(out, 0, sizeof *out);
    if (msg && msg_len)
        msg[0] = '\0';
    for (const char *p = list ? list : ""; *p;) {
        p += strspn(p, seps);
        size_t len = strcspn(p, seps);
        if (len == 0)
            break;
        const char *slash = memchr(p, '/', len);
        size_t alen = slash ? (size_t)(slash - p) : len;
        struct addr a;
        if (addr_parse(p, alen, 0, &a) < 0)
            return bad_entry(msg, msg_len, p, len, "not an IP address or CIDR block");
        unsigned max = a.family == 4 ? 32u : 128u, bits = max;
        if (slash) {
            size_t blen = len - alen - 1;
            if (blen < 1 || blen > 3 || strspn(slash + 1, "0123456789") < blen)
                return bad_entry(msg, msg_len, p, len, "bad prefix length");
            bits = 0;
            for (size_t i = 0; i < blen; i++)
                bits = bits * 10u + (unsigned)(slash[1 + i] - '0');
            if (bits > max)
                return bad_entry(msg, msg_len, p, len, "prefix longer than the address");
        }
        if (out->n >= HTTP_PROXIES_MAX)
            return bad_entry(msg, msg_len, p, len, "too many entries (at most 32)");
        struct http_proxy_block *blk = &out->block[out->n++];
        blk->family = a.family;
        blk->bits = (unsigned char)bits;
        memcpy(blk->addr, a.b, sizeof blk->addr);
        p += len;
    }
    return 0;
}

int http_proxies_trusted(const struct http_proxies *p, const struct sockaddr *sa)
{
    struct addr a;
    addr_from_sockaddr(sa, &a);
    return addr_trusted(p, &a);
}

static void addr_text(const struct addr *a, char *out, size_t cap)
{
    if (!cap)
        return;
    if (a->family == 0 ||
        !inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->b, out, (socklen_t)cap))
        snprintf(out, cap, "unknown");
}

int http_proxies_client_ip(const struct http_proxies *p, const struct sockaddr *peer,
                           const char *xff, const char *x_real_ip, char *out, size_t cap)
{
    struct addr cur;
    addr_from_sockaddr(peer, &cur);
    int from_header = 0;
    if (addr_trusted(p, &cur)) {
        if (xff && *xff) {
            /* walk right to left while the hop is trusted */
            size_t end = strlen(xff);
            while (addr_trusted(p, &cur) && end > 0) {
                size_t start = end;
                while (start > 0 && xff[start - 1] != ',')
                    start--;
                size_t s = start, e = end;
                while (s < e && (xff[s] == ' ' || xff[s] == '\t'))
                    s++;
                while (e > s && (xff[e - 1] == ' ' || xff[e - 1] == '\t'))
                    e--;
                struct addr hop;
                if (addr_parse(xff + s, e - s, 1, &hop) < 0)
                    break; /* garbage: keep the last good hop */
                cur = hop;
                from_header = 1;
                end = start > 0 ? start - 1 : 0;
            }
        } else if (x_real_ip && *x_real_ip) {
            struct addr hop;
            size_t len = strlen(x_real_ip);
            if (addr_parse(x_real_ip, len, 1, &hop) == 0) {
                cur = hop;
                from_header = 1;
            }
        }
    }
    addr_text(&cur, out, cap);
    return from_header;
}
