/*
 * test_ssrf.c - the SSRF corpus of issue 13 and more: every internal address form (loopback,
 * private, link-local incl. cloud metadata, CGNAT, unspecified, multicast, broadcast, reserved,
 * decimal / octal / hex / short IPv4, IPv4-mapped / compatible / NAT64 / 6to4 IPv6, unique-local,
 * names that resolve to loopback) is refused; strict URL parsing; the development flag lets
 * loopback through and nothing else; public literals pass and are pinned.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "base/rr_error.h"
#include "net/ssrf.h"

static const char *const internal[] = {
    "https://127.0.0.1/",
    "https://127.0.0.1:8443/hook",
    "https://127.255.255.254/",
    "https://[::1]/",
    "https://[0:0:0:0:0:0:0:1]:443/",
    "https://10.0.0.1/",
    "https://10.255.255.255/",
    "https://172.16.0.1/",
    "https://172.31.255.255/",
    "https://192.168.0.1/",
    "https://192.168.255.255/x?y=1",
    "https://169.254.169.254/latest/meta-data/",
    "https://169.254.0.1/",
    "https://0.0.0.0/",
    "https://0/",
    "https://0.1.2.3/",
    "https://100.64.0.1/",
    "https://100.127.255.255/",
    "https://224.0.0.1/",
    "https://239.255.255.250/",
    "https://255.255.255.255/",
    "https://240.0.0.1/",
    "https://192.0.2.1/",
    "https://198.18.0.1/",
    /* numeric forms curl and inet_aton accept */
    "https://2130706433/",         /* 127.0.0.1 in decimal */
    "https://017700000001/",       /* 127.0.0.1 in octal */
    "https://0177.0.0.1/",
    "https://0177.1/",
    "https://0x7f.1/",
    "https://0x7f000001/",
    "https://0x7F.0x0.0x0.0x1/",
    "https://127.1/",
    "https://127.0.1/",
    "https://167772161/",          /* 10.0.0.1 */
    "https://2852039166/",         /* 169.254.169.254 */
    "https://0xa9.0xfe.0xa9.0xfe/",
    "https://012.0.0.1/",          /* 10.0.0.1 */
    "https://0300.0250.0.1/",      /* 192.168.0.1 */
    /* IPv6 forms of internal IPv4 */
    "https://[::ffff:127.0.0.1]/",
    "https://[::ffff:7f00:1]/",
    "https://[::ffff:10.0.0.1]/",
    "https://[::ffff:169.254.169.254]/",
    "https://[::ffff:a9fe:a9fe]/",
    "https://[::127.0.0.1]/",      /* IPv4-compatible */
    "https://[::10.0.0.1]/",
    "https://[::ffff:0:127.0.0.1]/", /* SIIT */
    "https://[64:ff9b::127.0.0.1]/", /* NAT64 */
    "https://[64:ff9b::a9fe:a9fe]/",
    "https://[64:ff9b:1::1]/",     /* local-use NAT64 */
    "https://[2002:7f00:1::1]/",   /* 6to4 of 127.0.0.1 */
    "https://[2002:a00:1::]/",     /* 6to4 of 10.0.0.1 */
    "https://[::]/",
    "https://[fe80::1]/",
    "https://[febf::1]/",
    "https://[fec0::1]/",
    "https://[fc00::1]/",
    "https://[fd12:3456::1]/",
    "https://[ff02::1]/",
    "https://[2001:db8::1]/",
    "https://[2001::1]/",          /* Teredo */
    "https://[100::1]/",           /* discard */
    /* names that resolve to loopback */
    "https://localhost/",
    "https://LOCALHOST:8080/",
    "https://localhost./",
};

static void ssrf__refuses_every_internal_address_form(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof internal / sizeof internal[0]; i++) {
        struct ssrf_target t;
        char msg[256] = "";
        int rc = ssrf_check(internal[i], 0, &t, msg, sizeof msg);
        /* "localhost." may go to DNS, which a sandbox may not answer (in time) */
        int dns = rc == RR_ERR_NOTFOUND || rc == RR_ERR_TIMEOUT;
        if (rc != RR_ERR_FORBIDDEN && !(dns && strstr(internal[i], "localhost.")))
            fail_msg("%s: expected FORBIDDEN, got %d (%s)", internal[i], rc, msg);
        if (rc == RR_ERR_FORBIDDEN)
            assert_non_null(strstr(msg, "public addresses only"));
    }
}

static void ssrf__classifies_ranges(void **state)
{
    (void)state;
    struct ssrf_target t;
    char msg[256];
    assert_int_equal(ssrf_check("https://172.15.255.255/", 0, &t, msg, sizeof msg), 0);
    assert_int_equal(ssrf_check("https://172.32.0.1/", 0, &t, msg, sizeof msg), 0);
    assert_int_equal(ssrf_check("https://100.63.255.255/", 0, &t, msg, sizeof msg), 0);
    assert_int_equal(ssrf_check("https://100.128.0.1/", 0, &t, msg, sizeof msg), 0);
    assert_int_equal(ssrf_check("https://169.253.255.255/", 0, &t, msg, sizeof msg), 0);
    assert_int_equal(ssrf_check("https://11.0.0.1/", 0, &t, msg, sizeof msg), 0);
    assert_int_equal(ssrf_check("https://223.255.255.254/", 0, &t, msg, sizeof msg), 0);
    assert_int_equal(ssrf_check("https://[2606:4700:4700::1111]/", 0, &t, msg, sizeof msg), 0);
    assert_int_equal(ssrf_check("https://[::ffff:93.184.216.34]/", 0, &t, msg, sizeof msg), 0);
    assert_int_equal(ssrf_check("https://[2002:5db8:d822::1]/", 0, &t, msg, sizeof msg), 0);
    /* the message names the address and its kind */
    assert_int_equal(ssrf_check("https://0x7f.1/", 0, &t, msg, sizeof msg), RR_ERR_FORBIDDEN);
    assert_non_null(strstr(msg, "127.0.0.1"));
    assert_non_null(strstr(msg, "loopback"));
    assert_int_equal(ssrf_check("https://[::ffff:169.254.169.254]/", 0, &t, msg, sizeof msg),
                     RR_ERR_FORBIDDEN);
    assert_non_null(strstr(msg, "link-local"));
}

static void ssrf__public_literal_is_pinned(void **state)
{
    (void)state;
    struct ssrf_target t;
    char msg[256];
    assert_int_equal(ssrf_check("https://93.184.216.34:8443/hooks?x=1", 0, &t, msg, sizeof msg), 0);
    assert_string_equal(t.ip, "93.184.216.34");
    assert_int_equal(t.url.port, 8443);
    assert_true(t.url.https);
    assert_int_equal(ssrf_check("HTTPS://1572395042/", 0, &t, msg, sizeof msg), 0);
    assert_string_equal(t.ip, "93.184.216.34"); /* decimal form read as inet_aton reads it */
    assert_int_equal(t.url.port, 443);
    assert_int_equal(ssrf_check("https://[2606:4700::1111]/", 0, &t, msg, sizeof msg), 0);
    assert_string_equal(t.ip, "2606:4700::1111");
}

static void ssrf__parses_strictly(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "ftp://93.184.216.34/",
        "file:///etc/passwd",
        "gopher://93.184.216.34/",
        "//93.184.216.34/",
        "https://",
        "https:///x",
        "https://user@93.184.216.34/",
        "https://user:pw@93.184.216.34/",
        "https://93.184.216.34/#frag",
        "https://93.184.216.34:0/",
        "https://93.184.216.34:65536/",
        "https://93.184.216.34:/",
        "https://93.184.216.34:8a/",
        "https://exa mple.com/",
        "https://ex_ample.com/",
        "https://example.com\\@127.0.0.1/",
        "https://[::1/",
        "https://[::1]x/",
        "https://[fe80::1%25eth0]/",
        "https://[zz::1]/",
        "https://exämple.com/",
        "https://example.com/\x01",
        "http://93.184.216.34/",          /* plain http, no flag */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ssrf_target t;
        char msg[256] = "";
        int rc = ssrf_check(bad[i], 0, &t, msg, sizeof msg);
        if (rc != RR_ERR_INVAL)
            fail_msg("%s: expected INVAL, got %d (%s)", bad[i], rc, msg);
        assert_true(msg[0] != '\0');
    }
    char longurl[SSRF_URL_MAX + 20];
    memset(longurl, 'a', sizeof longurl);
    memcpy(longurl, "https://x.com/", 14);
    longurl[sizeof longurl - 1] = '\0';
    struct ssrf_target t;
    assert_int_equal(ssrf_check(longurl, 0, &t, NULL, 0), RR_ERR_TOOBIG);
    assert_int_equal(ssrf_check(NULL, 0, &t, NULL, 0), RR_ERR_INVAL);
}

static void ssrf__dev_flag_allows_loopback_only(void **state)
{
    (void)state;
    struct ssrf_target t;
    char msg[256];
    const unsigned LB = SSRF_ALLOW_LOOPBACK;
    assert_int_equal(ssrf_check("http://127.0.0.1:8080/h", LB, &t, msg, sizeof msg),
                     0);
    assert_string_equal(t.ip, "127.0.0.1");
    assert_int_equal(t.url.port, 8080);
    assert_false(t.url.https);
    assert_int_equal(ssrf_check("http://[::1]:9/", SSRF_ALLOW_LOOPBACK, &t, msg, sizeof msg), 0);
    assert_int_equal(ssrf_check("http://localhost:9/", LB, &t, msg, sizeof msg), 0);
    assert_int_equal(ssrf_check("https://127.1/", SSRF_ALLOW_LOOPBACK, &t, msg, sizeof msg), 0);
    /* every other internal range stays closed, and plain http to a public address too */
    assert_int_equal(ssrf_check("http://10.0.0.1/", SSRF_ALLOW_LOOPBACK, &t, msg, sizeof msg),
                     RR_ERR_FORBIDDEN);
    assert_int_equal(ssrf_check("http://169.254.169.254/", LB, &t, msg, sizeof msg),
                     RR_ERR_FORBIDDEN);
    assert_int_equal(ssrf_check("https://[::ffff:192.168.1.1]/", SSRF_ALLOW_LOOPBACK, &t, msg,
                                sizeof msg),
                     RR_ERR_FORBIDDEN);
    assert_int_equal(ssrf_check("http://93.184.216.34/", SSRF_ALLOW_LOOPBACK, &t, msg, sizeof msg),
                     RR_ERR_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ssrf__refuses_every_internal_address_form),
        cmocka_unit_test(ssrf__classifies_ranges),
        cmocka_unit_test(ssrf__public_literal_is_pinned),
        cmocka_unit_test(ssrf__parses_strictly),
        cmocka_unit_test(ssrf__dev_flag_allows_loopback_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
