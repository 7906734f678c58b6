/*
 * fuzz_proxy.c - libFuzzer target for the trusted-proxy list and the X-Forwarded-For walk
 * (src/http/proxy.c).
 *
 * The input is used as a trusted-proxy list, and as X-Forwarded-For and X-Real-IP values of a
 * request from a trusted peer (127.0.0.1 under the list "127.0.0.0/8, 10.0.0.0/8, fd00::/8").
 * Invariants: a parsed list has at most HTTP_PROXIES_MAX blocks with prefixes within their
 * family; the client address is always a NUL-terminated text that inet_pton takes back (or
 * "unknown"), so nothing but an address reaches a log line or a rate-limit key.
 * Seeds: tests/fuzz/corpus/fuzz_proxy.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "http/proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
    if (!cond)
        abort();
}

static void check_ip(const char *ip)
{
    unsigned char buf[16];
    check(memchr(ip, '\0', HTTP_IP_TEXT_MAX + 1) != NULL);
    check(inet_pton(AF_INET, ip, buf) == 1 || inet_pton(AF_INET6, ip, buf) == 1 ||
          strcmp(ip, "unknown") == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    struct http_proxies p;
    char msg[160];
    if (http_proxies_parse(text, &p, msg, sizeof msg) == 0) {
        check(p.n <= HTTP_PROXIES_MAX);
        for (unsigned i = 0; i < p.n; i++)
            check((p.block[i].family == 4 && p.block[i].bits <= 32) ||
                  (p.block[i].family == 6 && p.block[i].bits <= 128));
    } else {
        check(memchr(msg, '\0', sizeof msg) != NULL);
    }

    struct http_proxies t;
    check(http_proxies_parse("127.0.0.0/8, 10.0.0.0/8, fd00::/8", &t, NULL, 0) == 0);
    struct sockaddr_in peer;
    memset(&peer, 0, sizeof peer);
    peer.sin_family = AF_INET;
    peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    char ip[HTTP_IP_TEXT_MAX + 1];
    http_proxies_client_ip(&t, (const struct sockaddr *)&peer, text, NULL, ip, sizeof ip);
    check_ip(ip);
    http_proxies_client_ip(&t, (const struct sockaddr *)&peer, NULL, text, ip, sizeof ip);
    check_ip(ip);
    http_proxies_client_ip(&p, (const struct sockaddr *)&peer, text, text, ip, sizeof ip);
    check_ip(ip);
    free(text);
    return 0;
}
