/*
 * proxy.h - trusted reverse proxies: which TCP peers may tell us the client's address, and the
 * client address of a request given its peer and its X-Forwarded-For / X-Real-IP headers.
 *
 * A request's client address (rate limits, login throttling, refresh-token binding, access
 * logs) is its TCP peer unless that peer is in the trusted list. Only then are the headers
 * read: X-Forwarded-For is walked from the right (the hop the trusted proxy appended) past
 * every address that is itself trusted; the first untrusted address is the client. Whatever a
 * client writes at the left of the list is never reached while a trusted proxy appends the
 * real peer. An entry that is not an IP address (with an optional :port, IPv6 in brackets)
 * ends the walk: the last good hop is used. Without X-Forwarded-For, a valid X-Real-IP is
 * used. From an untrusted peer both headers are ignored. The connection gate's per-address cap
 * does not apply to trusted peers (the proxy carries many clients on its connections; it
 * enforces its own limits).
 *
 * The list is text: CIDR blocks or single addresses separated by commas or spaces
 * ("127.0.0.1/32, 10.0.0.0/8, fd00::/8"); "" = no trusted proxy. IPv4-mapped IPv6 peers match
 * IPv4 blocks.
 *
 * Ownership: struct http_proxies is plain caller-owned storage.
 * Errors: http_proxies_parse returns RR_ERR_INVAL with the offending entry named in msg.
 * Thread-safety: parse once; matching and client_ip only read the list.
 */
#ifndef RR_HTTP_PROXY_H
#define RR_HTTP_PROXY_H

#include <stddef.h>

struct sockaddr;

#define HTTP_PROXIES_MAX 32
#define HTTP_IP_TEXT_MAX 46 /* INET6_ADDRSTRLEN */

struct http_proxy_block {
    unsigned char family; /* 4 or 6 */
    unsigned char bits;   /* prefix length */
    unsigned char addr[16];
};

struct http_proxies {
    unsigned n;
    struct http_proxy_block block[HTTP_PROXIES_MAX];
};

/* Parse a list (NULL or "" = none). RR_ERR_INVAL: a bad entry, or more than HTTP_PROXIES_MAX. */
int http_proxies_parse(const char *list, struct http_proxies *out, char *msg, size_t msg_len);

/* 1 when sa (AF_INET or AF_INET6) falls in a trusted block; 0 otherwise or for a NULL list. */
int http_proxies_trusted(const struct http_proxies *p, const struct sockaddr *sa);

/* The client address, as text, of a request from peer with the given header values (NULL when
 * absent): see above. out gets "unknown" when peer is neither IPv4 nor IPv6. Returns 1 when
 * the address came from a header, 0 when it is the peer's. */
int http_proxies_client_ip(const struct http_proxies *p, const struct sockaddr *peer,
                           const char *xff, const char *x_real_ip, char *out, size_t cap);

#endif
