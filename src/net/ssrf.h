/*
 * ssrf.h - where an outgoing request may go: a strict URL parser and an address policy that keep
 * webhooks (and any other server-side fetch of a URL a user typed) away from internal services.
 *
 * ssrf_check(url) parses the URL strictly (https only; plain http only when the caller allows
 * loopback for development), resolves the host (getaddrinfo on a thread of its own, waited for
 * at most SSRF_RESOLVE_MS; numeric forms such as 2130706433, 0177.0.0.1, 0x7f.1 or 127.1 are
 * read the way inet_aton and curl read them) and refuses when ANY
 * resolved address is internal: loopback, unspecified, RFC 1918 private, CGNAT 100.64/10,
 * link-local, multicast, broadcast, reserved and documentation ranges, IPv6 unique-local and
 * site-local, and the IPv4 inside IPv4-mapped, IPv4-compatible, NAT64 (64:ff9b::/96) and 6to4
 * addresses (classified as that IPv4); Teredo and local-use NAT64 are refused outright. The
 * caller then connects ONLY to out->addr (net/hook_post.h pins it), so a DNS answer that
 * changes between check and connect (rebinding) changes nothing.
 *
 * Bounds: URL at most SSRF_URL_MAX bytes of printable ASCII, host at most SSRF_HOST_MAX.
 * Errors: RR_ERR_INVAL (malformed URL, scheme not allowed), RR_ERR_FORBIDDEN (an address is
 * internal), RR_ERR_NOTFOUND (the name does not resolve), RR_ERR_TIMEOUT (not within
 * SSRF_RESOLVE_MS), RR_ERR_TOOBIG; `msg` says which, in
 * words a partner can act on. Ownership: callers own every buffer. Thread-safety: thread-safe
 * (getaddrinfo is; each lookup runs on a short-lived detached thread).
 */
#ifndef RR_NET_SSRF_H
#define RR_NET_SSRF_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define SSRF_URL_MAX 2048
#define SSRF_HOST_MAX 253
#define SSRF_IP_MAX 46 /* INET6_ADDRSTRLEN */
#define SSRF_RESOLVE_MS 5000 /* name resolution deadline */

/* ssrf_check flags */
#define SSRF_ALLOW_LOOPBACK 1u /* development: loopback allowed, plain http only to loopback */

enum ssrf_class {
    SSRF_PUBLIC = 0,
    SSRF_LOOPBACK,
    SSRF_PRIVATE,     /* 10/8, 172.16/12, 192.168/16, fc00::/7, fec0::/10 */
    SSRF_LINK_LOCAL,  /* 169.254/16, fe80::/10 */
    SSRF_CGNAT,       /* 100.64/10 */
    SSRF_UNSPECIFIED, /* 0/8, :: */
    SSRF_MULTICAST,   /* 224/4, ff00::/8 */
    SSRF_BROADCAST,   /* 255.255.255.255 */
    SSRF_RESERVED,    /* 240/4, documentation, benchmarking, protocol assignments, Teredo, ... */
};

struct ssrf_url {
    bool https;
    char host[SSRF_HOST_MAX + 1]; /* lowercase; an IPv6 literal without brackets */
    bool host_is_v6;
    int port;
};

struct ssrf_target {
    struct ssrf_url url;
    struct sockaddr_storage addr; /* the checked address to connect to (port set) */
    socklen_t addr_len;
    char ip[SSRF_IP_MAX];         /* addr as text (no brackets) */
};

/* Parse url strictly: "https://" or "http://" (any case), no user info, a DNS name of
 * [A-Za-z0-9.-] labels, an IPv4 literal in any inet_aton form or a bracketed IPv6 literal (no
 * zone id), an optional decimal port 1..65535, then nothing or a path/query of printable ASCII
 * (no fragment, no backslash, no spaces). */
int ssrf_url_parse(const char *url, struct ssrf_url *out, char *msg, size_t msg_len);

/* What kind of address sa is (AF_INET / AF_INET6; anything else is SSRF_RESERVED). */
enum ssrf_class ssrf_classify(const struct sockaddr *sa);
/* "public", "loopback", "private", ... */
const char *ssrf_class_name(enum ssrf_class c);

/* Parse, resolve and check url (see top); out gets the one address to connect to. */
int ssrf_check(const char *url, unsigned flags, struct ssrf_target *out, char *msg,
               size_t msg_len);

#endif
