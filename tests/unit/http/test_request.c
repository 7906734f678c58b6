/* test_request.c - the pure parts of request.c: Range parsing, the error table, request ids,
 * and the response builders' argument checks (on a request that never saw a socket). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rr_error.h"
#include "http/request.h"
#include "http/request_int.h"

static void range__parses_the_three_single_range_forms(void **state)
{
    (void)state;
    uint64_t s = 0, n = 0;
    assert_int_equal(http_range_parse("bytes=0-99", 1000, &s, &n), 1);
    assert_true(s == 0 && n == 100);
    assert_int_equal(http_range_parse("bytes=990-", 1000, &s, &n), 1);
    assert_true(s == 990 && n == 10);
    assert_int_equal(http_range_parse("bytes=-10", 1000, &s, &n), 1);
    assert_true(s == 990 && n == 10);
    assert_int_equal(http_range_parse("bytes=-5000", 1000, &s, &n), 1);
    assert_true(s == 0 && n == 1000);
    assert_int_equal(http_range_parse("bytes=500-5000", 1000, &s, &n), 1); /* end clamped */
    assert_true(s == 500 && n == 500);
    assert_int_equal(http_range_parse(" bytes= 999-999 ", 1000, &s, &n), 1);
    assert_true(s == 999 && n == 1);
}

static void range__unsatisfiable_is_toobig_and_junk_is_ignored(void **state)
{
    (void)state;
    uint64_t s, n;
    assert_int_equal(http_range_parse("bytes=1000-", 1000, &s, &n), RR_ERR_TOOBIG);
    assert_int_equal(http_range_parse("bytes=1000-2000", 1000, &s, &n), RR_ERR_TOOBIG);
    assert_int_equal(http_range_parse("bytes=-0", 1000, &s, &n), RR_ERR_TOOBIG);
    assert_int_equal(http_range_parse("bytes=0-", 0, &s, &n), RR_ERR_TOOBIG);
    static const char *const ignored[] = {NULL,          "",
                                          "items=0-1",   "bytes=",
                                          "bytes=a-b",   "bytes=5-1",
                                          "bytes=0-1,3-4", "bytes=-1,2",
                                          "bytes=1",     "bytes=99999999999999999999-",
                                          "bytes=0-1x",  "bytes=--1"};
    for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++)
        assert_int_equal(http_range_parse(ignored[i], 1000, &s, &n), 0);
}

static void errors__one_table_maps_codes_to_status(void **state)
{
    (void)state;
    static const struct {
        int err;
        unsigned status;
        const char *code;
    } want[] = {
        {RR_ERR_NOTFOUND, 404, "not_found"},        {RR_ERR_INVAL, 400, "invalid_request"},
        {RR_ERR_CORRUPT, 400, "malformed_request"}, {RR_ERR_TOOBIG, 413, "too_large"},
        {RR_ERR_UNAUTHENTICATED, 401, "unauthenticated"}, {RR_ERR_FORBIDDEN, 403, "forbidden"},
        {RR_ERR_CONFLICT, 409, "conflict"},         {RR_ERR_RATELIMITED, 429, "rate_limited"},
        {RR_ERR_BUSY, 503, "busy"},                 {RR_ERR_UNSUPPORTED, 415, "unsupported_media_type"},
        {RR_ERR_IO, 500, "internal"},               {RR_ERR_NOMEM, 500, "internal"},
        {12345, 500, "internal"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        assert_int_equal(http_status_for_error(want[i].err), want[i].status);
        assert_string_equal(http_code_for_error(want[i].err), want[i].code);
    }
}

static void request_id__accepts_only_short_safe_ids(void **state)
{
    (void)state;
    assert_true(http_request_id_ok("abc-DEF_1.2"));
    char ok64[65], bad65[66];
    memset(ok64, 'a', 64);
    ok64[64] = '\0';
    memset(bad65, 'a', 65);
    bad65[65] = '\0';
    assert_true(http_request_id_ok(ok64));
    assert_false(http_request_id_ok(bad65));
    assert_false(http_request_id_ok(""));
    assert_false(http_request_id_ok(NULL));
    assert_false(http_request_id_ok("a b"));
    assert_false(http_request_id_ok("a\r\nSet-Cookie: x"));
    assert_false(http_request_id_ok("<script>"));
}

static void reply__builders_stage_and_check_arguments(void **state)
{
    (void)state;
    struct http_request req;
    memset(&req, 0, sizeof req);
    memcpy(req.request_id, "rid", 4);
    assert_int_equal(http_reply_json(&req, 99, json_object()), RR_ERR_INVAL);
    assert_int_equal(http_reply_json(&req, 200, NULL), RR_ERR_INVAL);
    assert_int_equal(http_reply_error(&req, 200, "x", "y", json_array()), RR_ERR_INVAL);
    assert_int_equal(http_reply_bytes(&req, 700, "x", 1, NULL), RR_ERR_INVAL);
    assert_int_equal(http_reply_file(&req, -1, 10, NULL), RR_ERR_INVAL);
    assert_int_equal(http_reply_bytes(&req, 200, "hello", 5, "text/plain"), 0);
    assert_int_equal(req.status, 200);
    assert_int_equal(http_reply_errcode(&req, RR_ERR_BUSY, NULL), 0);
    assert_int_equal(req.status, 503);
    /* headers: replaced by name, injection refused, bounded count */
    assert_int_equal(http_reply_header(&req, "X-A", "1"), 0);
    assert_int_equal(http_reply_header(&req, "x-a", "2"), 0);
    assert_int_equal(http_reply_header(&req, "X-Bad", "a\r\nSet-Cookie: 1"), RR_ERR_INVAL);
    assert_int_equal(http_reply_header(&req, "Bad Name", "v"), RR_ERR_INVAL);
    assert_int_equal(http_reply_header(&req, "", "v"), RR_ERR_INVAL);
    int err = 0;
    for (int i = 0; i < 40 && err == 0; i++) {
        char name[16];
        snprintf(name, sizeof name, "X-N%d", i);
        err = http_reply_header(&req, name, "v");
    }
    assert_int_equal(err, RR_ERR_TOOBIG);
    /* arena and principal */
    assert_null(http_request_alloc(&req, 0));
    assert_null(http_request_alloc(&req, (size_t)1 << 40));
    char *big = http_request_alloc(&req, 10000);
    assert_non_null(big);
    memset(big, 1, 10000);
    assert_string_equal(http_request_strdup(&req, "copy"), "copy");
    http_request_set_principal(&req, strdup("u1"), free);
    http_request_set_principal(&req, strdup("u2"), free);
    assert_string_equal((char *)http_request_principal(&req), "u2");
    assert_null(http_request_header(&req, "Host"));
    assert_null(http_request_query(&req, "q"));
    assert_null(http_request_param(&req, "id"));
    http_request__release(&req);
    assert_null(req.resp);
    assert_null(req.arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(range__parses_the_three_single_range_forms),
        cmocka_unit_test(range__unsatisfiable_is_toobig_and_junk_is_ignored),
        cmocka_unit_test(errors__one_table_maps_codes_to_status),
        cmocka_unit_test(request_id__accepts_only_short_safe_ids),
        cmocka_unit_test(reply__builders_stage_and_check_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
