/* test_head.c - the framing check of request heads (src/http/head.c), as a table of heads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/head.h"

#define LIMIT 1024

struct head_case {
    const char *name;
    const char *head;
    int result;       /* enum http_head_result */
    unsigned status;  /* when HTTP_HEAD_BAD */
    const char *code; /* when HTTP_HEAD_BAD */
};

static const struct head_case cases[] = {
    /* well-formed */
    {"get", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", HTTP_HEAD_OK, 0, NULL},
    {"http10 without host", "GET / HTTP/1.0\r\n\r\n", HTTP_HEAD_OK, 0, NULL},
    {"lf only", "GET / HTTP/1.1\nHost: x\n\n", HTTP_HEAD_OK, 0, NULL},
    {"empty lines first", "\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", HTTP_HEAD_OK, 0, NULL},
    {"chunked", "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:  Chunked \r\n\r\n", HTTP_HEAD_OK,
     0, NULL},
    {"content length", "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 0012\r\n\r\n", HTTP_HEAD_OK,
     0, NULL},
    {"ows and obs-text", "GET /a?b=c HTTP/1.1\r\nHost:x\r\nX-A: \t\xc3\xa9 t \r\n\r\n",
     HTTP_HEAD_OK, 0, NULL},
    {"empty value", "GET / HTTP/1.1\r\nHost: x\r\nX-A:\r\n\r\n", HTTP_HEAD_OK, 0, NULL},
    /* incomplete */
    {"nothing", "", HTTP_HEAD_INCOMPLETE, 0, NULL},
    {"half a request line", "GET /hea", HTTP_HEAD_INCOMPLETE, 0, NULL},
    {"no empty line", "GET / HTTP/1.1\r\nHost: x\r\n", HTTP_HEAD_INCOMPLETE, 0, NULL},
    {"half a field", "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: aaa", HTTP_HEAD_INCOMPLETE, 0, NULL},
    {"cr at the end", "GET / HTTP/1.1\r\nHost: x\r\n\r", HTTP_HEAD_INCOMPLETE, 0, NULL},
    /* request line */
    {"garbage", "GARBAGE\r\n\r\n", HTTP_HEAD_BAD, 400, "bad_request_line"},
    {"garbage early", "GARBAGE\r\nHost: x", HTTP_HEAD_BAD, 400, "bad_request_line"},
    {"two spaces", "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", HTTP_HEAD_BAD, 400, "bad_request_line"},
    {"tab", "GET\t/ HTTP/1.1\r\nHost: x\r\n\r\n", HTTP_HEAD_BAD, 400, "bad_request_line"},
    {"control in target", "GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n", HTTP_HEAD_BAD, 400,
     "bad_request_line"},
    {"bare cr in request line", "GET / HTTP/1.1\rHost: x\r\n\r\n", HTTP_HEAD_BAD, 400,
     "bad_request_line"},
    {"no version", "GET /\r\nHost: x\r\n\r\n", HTTP_HEAD_BAD, 400, "bad_request_line"},
    {"lower case version", "GET / http/1.1\r\nHost: x\r\n\r\n", HTTP_HEAD_BAD, 400,
     "bad_request_line"},
    {"version 2", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", HTTP_HEAD_BAD, 505,
     "http_version_not_supported"},
    {"version 1.2", "GET / HTTP/1.2\r\nHost: x\r\n\r\n", HTTP_HEAD_BAD, 505,
     "http_version_not_supported"},
    {"method too long", "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFG / HTTP/1.1\r\nHost: x\r\n\r\n",
     HTTP_HEAD_BAD, 400, "bad_request_line"},
    /* fields */
    {"space before colon", "GET / HTTP/1.1\r\nHost: x\r\nX-A : 1\r\n\r\n", HTTP_HEAD_BAD, 400,
     "bad_header"},
    {"obs-fold", "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n 2\r\n\r\n", HTTP_HEAD_BAD, 400,
     "bad_header"},
    {"no colon", "GET / HTTP/1.1\r\nHost: x\r\nX-A\r\n\r\n", HTTP_HEAD_BAD, 400, "bad_header"},
    {"empty name", "GET / HTTP/1.1\r\nHost: x\r\n: 1\r\n\r\n", HTTP_HEAD_BAD, 400, "bad_header"},
    {"bare cr in value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r2\r\n\r\n", HTTP_HEAD_BAD, 400,
     "bad_header"},
    {"del in value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\x7f\r\n\r\n", HTTP_HEAD_BAD, 400,
     "bad_header"},
    {"bad field before the end", "GET / HTTP/1.1\r\nX A: 1\r\nHost", HTTP_HEAD_BAD, 400,
     "bad_header"},
    /* host */
    {"no host", "GET / HTTP/1.1\r\n\r\n", HTTP_HEAD_BAD, 400, "bad_host"},
    {"two hosts", "GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", HTTP_HEAD_BAD, 400, "bad_host"},
    {"two hosts in 1.0", "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", HTTP_HEAD_BAD, 400,
     "bad_host"},
    /* content length */
    {"length with a letter", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 12x\r\n\r\n",
     HTTP_HEAD_BAD, 400, "bad_content_length"},
    {"negative length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", HTTP_HEAD_BAD,
     400, "bad_content_length"},
    {"empty length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \r\n\r\n", HTTP_HEAD_BAD, 400,
     "bad_content_length"},
    {"length list", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1,1\r\n\r\n", HTTP_HEAD_BAD, 400,
     "bad_content_length"},
    {"length twice", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
     HTTP_HEAD_BAD, 400, "bad_content_length"},
    {"length of 20 digits",
     "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 18446744073709551616\r\n\r\n", HTTP_HEAD_BAD,
     400, "bad_content_length"},
    /* transfer encoding */
    {"length and chunked",
     "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n",
     HTTP_HEAD_BAD, 400, "ambiguous_framing"},
    {"chunked and length",
     "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n",
     HTTP_HEAD_BAD, 400, "ambiguous_framing"},
    {"chunked twice",
     "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"
     "\r\n",
     HTTP_HEAD_BAD, 400, "ambiguous_framing"},
    {"chunked in 1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", HTTP_HEAD_BAD, 400,
     "ambiguous_framing"},
    {"gzip", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", HTTP_HEAD_BAD, 501,
     "unsupported_transfer_encoding"},
    {"gzip then chunked", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
     HTTP_HEAD_BAD, 501, "unsupported_transfer_encoding"},
    {"chunked with a space", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chun ked\r\n\r\n",
     HTTP_HEAD_BAD, 501, "unsupported_transfer_encoding"},
};

static void head__table_of_heads_gets_the_right_verdict(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct head_case *c = &cases[i];
        struct http_head_verdict v;
        int r = http_head_check(c->head, strlen(c->head), LIMIT, &v);
        if (r != c->result ||
            (r == HTTP_HEAD_BAD && (v.status != c->status || strcmp(v.code, c->code) != 0))) {
            print_error("case \"%s\": got %d %u %s\n", c->name, r, v.status, v.code ? v.code : "-");
            fail();
        }
        if (r == HTTP_HEAD_OK)
            assert_int_equal(v.head_len, strlen(c->head));
        if (r == HTTP_HEAD_BAD)
            assert_non_null(v.message);
    }
}

static void head__length_is_the_head_only_and_parts_point_into_the_buffer(void **state)
{
    (void)state;
    const char req[] = "POST /v1/x?y=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}GET";
    struct http_head_verdict v;
    assert_int_equal(http_head_check(req, sizeof req - 1, LIMIT, &v), HTTP_HEAD_OK);
    assert_int_equal(v.head_len, sizeof req - 1 - 5);
    assert_ptr_equal(v.method, req);
    assert_int_equal(v.method_len, 4);
    assert_int_equal(v.target_len, strlen("/v1/x?y=1"));
    assert_memory_equal(v.target, "/v1/x?y=1", v.target_len);
}

/* What the gate needs to know where the request ends and whether another one may follow. */
static void head__body_framing_and_keep_alive_are_reported(void **state)
{
    (void)state;
    static const struct {
        const char *head;
        unsigned long long length;
        int chunked, keep_alive;
    } t[] = {
        {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 0, 0, 1},
        {"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0012\r\n\r\n", 12, 0, 1},
        {"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9999999999999999999\r\n\r\n",
         9999999999999999999ull, 0, 1},
        {"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", 0, 1, 1},
        {"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0, 0, 0},
        {"GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, CLOSE\r\n\r\n", 0, 0, 0},
        {"GET / HTTP/1.1\r\nHost: x\r\nConnection: closed\r\n\r\n", 0, 0, 1},
        {"GET / HTTP/1.0\r\n\r\n", 0, 0, 0},
        {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", 0, 0, 1},
        {"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct http_head_verdict v;
        assert_int_equal(http_head_check(t[i].head, strlen(t[i].head), LIMIT, &v), HTTP_HEAD_OK);
        if (v.content_length != t[i].length || v.chunked != t[i].chunked ||
            v.keep_alive != t[i].keep_alive) {
            print_error("head %zu: length %llu chunked %d keep-alive %d\n", i, v.content_length,
                        v.chunked, v.keep_alive);
            fail();
        }
    }
}

static void head__limits_give_414_and_431(void **state)
{
    (void)state;
    char *buf = malloc(4 * LIMIT);
    assert_non_null(buf);
    struct http_head_verdict v;
    /* a request line that alone passes the limit, complete or not */
    memset(buf, 'a', 4 * LIMIT);
    memcpy(buf, "GET /", 5);
    assert_int_equal(http_head_check(buf, LIMIT + 1, LIMIT, &v), HTTP_HEAD_BAD);
    assert_int_equal(v.status, 414);
    memcpy(buf + 2 * LIMIT, " HTTP/1.1\r\nHost: x\r\n\r\n", 22);
    assert_int_equal(http_head_check(buf, 2 * LIMIT + 22, LIMIT, &v), HTTP_HEAD_BAD);
    assert_int_equal(v.status, 414);
    /* a field that passes it, and exactly the limit */
    size_t n = (size_t)snprintf(buf, 4 * LIMIT, "GET / HTTP/1.1\r\nHost: x\r\nX-A: ");
    memset(buf + n, 'b', 4 * LIMIT - n);
    assert_int_equal(http_head_check(buf, LIMIT + 1, LIMIT, &v), HTTP_HEAD_BAD);
    assert_int_equal(v.status, 431);
    assert_string_equal(v.code, "headers_too_large");
    memcpy(buf + LIMIT - 4, "\r\n\r\n", 4);
    assert_int_equal(http_head_check(buf, LIMIT, LIMIT, &v), HTTP_HEAD_OK);
    assert_int_equal(v.head_len, LIMIT);
    assert_int_equal(http_head_check(buf, LIMIT, LIMIT - 1, &v), HTTP_HEAD_BAD);
    assert_int_equal(v.status, 431);
    /* HTTP_HEAD_MAX_FIELDS fields pass, one more does not */
    n = (size_t)snprintf(buf, 4 * LIMIT, "GET / HTTP/1.1\r\nHost: x\r\n");
    for (int i = 1; i < HTTP_HEAD_MAX_FIELDS; i++)
        n += (size_t)snprintf(buf + n, 4 * LIMIT - n, "A:\r\n");
    memcpy(buf + n, "\r\n", 2);
    assert_int_equal(http_head_check(buf, n + 2, 4 * LIMIT, &v), HTTP_HEAD_OK);
    memcpy(buf + n, "A:\r\n\r\n", 6);
    assert_int_equal(http_head_check(buf, n + 6, 4 * LIMIT, &v), HTTP_HEAD_BAD);
    assert_int_equal(v.status, 431);
    free(buf);
}

static void head__every_prefix_of_a_good_head_is_incomplete(void **state)
{
    (void)state;
    const char req[] = "\r\nPOST /v1/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    struct http_head_verdict v;
    for (size_t n = 0; n < sizeof req - 1; n++)
        assert_int_equal(http_head_check(req, n, LIMIT, &v), HTTP_HEAD_INCOMPLETE);
    assert_int_equal(http_head_check(req, sizeof req - 1, LIMIT, &v), HTTP_HEAD_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(head__table_of_heads_gets_the_right_verdict),
        cmocka_unit_test(head__length_is_the_head_only_and_parts_point_into_the_buffer),
        cmocka_unit_test(head__body_framing_and_keep_alive_are_reported),
        cmocka_unit_test(head__limits_give_414_and_431),
        cmocka_unit_test(head__every_prefix_of_a_good_head_is_incomplete),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
