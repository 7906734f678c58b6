/* test_proxy.c - trusted proxies: CIDR parsing, peer matching, and the client address taken
 * from X-Forwarded-For / X-Real-IP only when the peer is trusted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "base/rr_error.h"
#include "http/proxy.h"

static struct sockaddr_storage peer(const char *ip)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, ip, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
    } else {
        assert_int_equal(inet_pton(AF_INET6, ip, &v6->sin6_addr), 1);
        v6->sin6_family = AF_INET6;
    }
    return ss;
}

static int trusted(const struct http_proxies *p, const char *ip)
{
    struct sockaddr_storage ss = peer(ip);
    return http_proxies_trusted(p, (const struct sockaddr *)&ss);
}

/* The client address of a request from `from` with the two headers. */
static const char *client(const struct http_proxies *p, const char *from, const char *xff,
                          const char *real, int *from_header)
{
    static char out[HTTP_IP_TEXT_MAX + 1];
    struct sockaddr_storage ss = peer(from);
    int h = http_proxies_client_ip(p, (const struct sockaddr *)&ss, xff, real, out, sizeof out);
    if (from_header)
        *from_header = h;
    return out;
}

static void proxy__parses_cidr_lists(void **state)
{
    (void)state;
    struct http_proxies p;
    char msg[160];
    assert_int_equal(http_proxies_parse("", &p, msg, sizeof msg), 0);
    assert_int_equal(p.n, 0);
    assert_int_equal(http_proxies_parse(NULL, &p, msg, sizeof msg), 0);
    assert_int_equal(p.n, 0);
    assert_int_equal(
        http_proxies_parse(" 127.0.0.1/32, 10.0.0.0/8 fd00::/8,192.168.1.7,::1 ", &p, msg,
                           sizeof msg),
        0);
    assert_int_equal(p.n, 5);
    assert_int_equal(p.block[0].family, 4);
    assert_int_equal(p.block[0].bits, 32);
    assert_int_equal(p.block[2].family, 6);
    assert_int_equal(p.block[2].bits, 8);
    assert_int_equal(p.block[3].bits, 32);  /* a bare address is its own block */
    assert_int_equal(p.block[4].bits, 128);

    static const char *const bad[] = {"10.0.0.0/33", "::/129", "10.0.0/8", "host.example",
                                      "10.0.0.0/", "10.0.0.0/x", "1.2.3.4:80", "/8",
                                      "10.0.0.0/8/8", "10.0.0.0/0008"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        msg[0] = '\0';
        assert_int_equal(http_proxies_parse(bad[i], &p, msg, sizeof msg), RR_ERR_INVAL);
        assert_non_null(strstr(msg, "trusted proxy"));
        assert_int_equal(p.n, 0);
    }
    char many[33 * 12 + 1] = "";
    for (int i = 0; i < 33; i++) {
        char one[16];
        snprintf(one, sizeof one, "10.0.0.%d,", i);
        strncat(many, one, sizeof many - strlen(many) - 1);
    }
    assert_int_equal(http_proxies_parse(many, &p, msg, sizeof msg), RR_ERR_INVAL);
    assert_non_null(strstr(msg, "too many"));
}

static void proxy__matches_peers_by_prefix(void **state)
{
    (void)state;
    struct http_proxies p;
    assert_int_equal(http_proxies_parse("10.1.0.0/16,172.16.0.0/12,fd00::/8,127.0.0.1", &p,
                                        NULL, 0),
                     0);
    assert_true(trusted(&p, "10.1.255.3"));
    assert_false(trusted(&p, "10.2.0.1"));
    assert_true(trusted(&p, "172.31.0.1"));  /* /12: 172.16.0.0 - 172.31.255.255 */
    assert_false(trusted(&p, "172.32.0.1"));
    assert_true(trusted(&p, "fdaa::1"));
    assert_false(trusted(&p, "fe80::1"));
    assert_true(trusted(&p, "127.0.0.1"));
    assert_false(trusted(&p, "127.0.0.2"));
    assert_true(trusted(&p, "::ffff:10.1.2.3")); /* v4-mapped matches the IPv4 block */
    assert_false(trusted(NULL, "127.0.0.1"));
    assert_int_equal(http_proxies_parse("0.0.0.0/0", &p, NULL, 0), 0);
    assert_true(trusted(&p, "8.8.8.8"));
    assert_false(trusted(&p, "2001:db8::1"));
}

static void proxy__untrusted_peer_headers_are_ignored(void **state)
{
    (void)state;
    struct http_proxies p;
    int h = -1;
    assert_int_equal(http_proxies_parse("10.0.0.0/8", &p, NULL, 0), 0);
    assert_string_equal(client(&p, "203.0.113.9", "1.2.3.4", "5.6.7.8", &h), "203.0.113.9");
    assert_int_equal(h, 0);
    /* no list at all: the same */
    struct http_proxies none;
    assert_int_equal(http_proxies_parse("", &none, NULL, 0), 0);
    assert_string_equal(client(&none, "127.0.0.1", "1.2.3.4", NULL, &h), "127.0.0.1");
    assert_int_equal(h, 0);
}

static void proxy__walks_forwarded_for_from_the_right(void **state)
{
    (void)state;
    struct http_proxies p;
    int h = -1;
    assert_int_equal(http_proxies_parse("10.0.0.0/8,127.0.0.1", &p, NULL, 0), 0);
    /* nginx appended the real peer; what the client wrote on the left is never reached */
    assert_string_equal(client(&p, "127.0.0.1", "6.6.6.6, 198.51.100.4", NULL, &h),
                        "198.51.100.4");
    assert_int_equal(h, 1);
    /* two trusted hops (CDN edge in 10/8 then nginx) */
    assert_string_equal(client(&p, "127.0.0.1", "6.6.6.6,198.51.100.4, 10.2.3.4", NULL, NULL),
                        "198.51.100.4");
    /* ports and brackets */
    assert_string_equal(client(&p, "127.0.0.1", "198.51.100.4:5555", NULL, NULL),
                        "198.51.100.4");
    assert_string_equal(client(&p, "127.0.0.1", "[2001:db8::7]:443", NULL, NULL),
                        "2001:db8::7");
    assert_string_equal(client(&p, "127.0.0.1", "2001:db8::7", NULL, NULL), "2001:db8::7");
    /* garbage ends the walk: the last good hop (a trusted proxy) stays */
    assert_string_equal(client(&p, "127.0.0.1", "198.51.100.4, <script>, 10.9.9.9", NULL, &h),
                        "10.9.9.9");
    assert_int_equal(h, 1);
    assert_string_equal(client(&p, "127.0.0.1", "not-an-ip", NULL, &h), "127.0.0.1");
    assert_int_equal(h, 0);
    assert_string_equal(client(&p, "127.0.0.1", " , ", NULL, NULL), "127.0.0.1");
    /* every hop trusted: the leftmost */
    assert_string_equal(client(&p, "127.0.0.1", "10.0.0.1, 10.0.0.2", NULL, NULL), "10.0.0.1");
    /* X-Real-IP only without X-Forwarded-For */
    assert_string_equal(client(&p, "127.0.0.1", NULL, "192.0.2.1", &h), "192.0.2.1");
    assert_int_equal(h, 1);
    assert_string_equal(client(&p, "127.0.0.1", "192.0.2.2", "192.0.2.1", NULL), "192.0.2.2");
    assert_string_equal(client(&p, "127.0.0.1", NULL, "evil", &h), "127.0.0.1");
    assert_int_equal(h, 0);
    /* an over-long entry is not an address */
    char longv[200];
    memset(longv, '1', sizeof longv - 1);
    longv[sizeof longv - 1] = '\0';
    assert_string_equal(client(&p, "127.0.0.1", longv, NULL, NULL), "127.0.0.1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(proxy__parses_cidr_lists),
        cmocka_unit_test(proxy__matches_peers_by_prefix),
        cmocka_unit_test(proxy__untrusted_peer_headers_are_ignored),
        cmocka_unit_test(proxy__walks_forwarded_for_from_the_right),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
