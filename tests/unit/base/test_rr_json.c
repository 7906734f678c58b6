/* test_rr_json.c - the one JSON writer (base/rr_json.h): escaping and UTF-8 checks (strict and
 * lossy), NaN and infinities as null, fixed and exact decimals, the indented layout byte for
 * byte as jansson's JSON_INDENT(n) on random trees, one item per line, nesting depth, misuse,
 * the cap (one sticky error, nothing past it, no partial document handed out) and streaming by
 * draining. jansson's compact bytes for every value kind: test_rr_json_compact.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rr_error.h"
#include "base/rr_json.h"

/* xorshift64*: deterministic, so a failure reproduces */
static uint64_t rng_state = 0x2545F4914F6CDD1Du;
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Du;
}

/* The writer's text (malloc'd) or NULL with *err set. */
static char *take(struct rr_json *j, int *err)
{
    *err = rr_json_finish(j);
    return rr_json_detach(j, NULL);
}

static void json__escapes_and_checks_utf8(void **state)
{
    (void)state;
    struct rr_json j;
    int err;
    rr_json_init(&j, NULL, 0, 1 << 16);
    rr_json_array_begin(&j);
    rr_json_stringn(&j, "q\"b\\s/\b\f\n\r\t\x01\x1f\x7f\0z", 16);
    rr_json_string(&j, "\xc3\xa9\xe2\x80\xa8\xf0\x9f\x98\x80"); /* é, U+2028, an emoji: as is */
    rr_json_string(&j, NULL);
    rr_json_array_end(&j);
    char *s = take(&j, &err);
    assert_int_equal(err, 0);
    assert_string_equal(s, "[\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001F\x7f\\u0000z\","
                           "\"\xc3\xa9\xe2\x80\xa8\xf0\x9f\x98\x80\",null]");
    json_t *back = json_loads(s, JSON_ALLOW_NUL, NULL);
    assert_non_null(back);
    assert_int_equal(json_string_length(json_array_get(back, 0)), 16);
    json_decref(back);
    free(s);

    /* not UTF-8: an error, nothing handed out */
    static const char *const bad[] = {"\xff",         "\xc3",          "\xc0\xaf",
                                      "\xed\xa0\x80", "\xf4\x90\x80\x80", "a\x80z",
                                      "\xe2\x82"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rr_json_init(&j, NULL, 0, 1 << 16);
        rr_json_string(&j, bad[i]);
        assert_int_equal(rr_json_error(&j), RR_ERR_INVAL);
        assert_null(rr_json_detach(&j, NULL));
    }
    /* a bad key too */
    rr_json_init(&j, NULL, 0, 1 << 16);
    rr_json_object_begin(&j);
    rr_json_key(&j, "k\xff");
    assert_int_equal(rr_json_error(&j), RR_ERR_INVAL);
    rr_json_release(&j);

    /* lossy: '?' for each byte outside a valid sequence, the rest kept and escaped */
    rr_json_init(&j, NULL, 0, 1 << 16);
    rr_json_array_begin(&j);
    rr_json_string_lossy(&j, "a\xff\xc3\xa9\xc3\"\xe2\x82", 8);
    rr_json_string_lossy(&j, NULL, 3);
    rr_json_array_end(&j);
    s = take(&j, &err);
    assert_int_equal(err, 0);
    assert_string_equal(s, "[\"a?\xc3\xa9?\\\"??\",null]");
    free(s);
    /* random bytes through the lossy path always give a JSON string */
    for (int i = 0; i < 5000; i++) {
        char b[32];
        size_t n = rnd() % sizeof b;
        for (size_t k = 0; k < n; k++)
            b[k] = (char)rnd();
        rr_json_init(&j, NULL, 0, 1 << 16);
        rr_json_string_lossy(&j, b, n);
        s = take(&j, &err);
        assert_int_equal(err, 0);
        json_t *v = json_loads(s, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        assert_non_null(v);
        assert_true(json_is_string(v));
        json_decref(v);
        free(s);
    }
}

static void json__non_finite_numbers_are_null(void **state)
{
    (void)state;
    struct rr_json j;
    int err;
    rr_json_init(&j, NULL, 0, 1 << 16);
    rr_json_object_begin(&j);
    RR_JSON_KEY(&j, "nan");
    rr_json_real(&j, NAN);
    RR_JSON_KEY(&j, "inf");
    rr_json_real_digits(&j, INFINITY, 6);
    RR_JSON_KEY(&j, "ninf");
    rr_json_fixed(&j, -INFINITY, 3);
    RR_JSON_KEY(&j, "ok");
    rr_json_real(&j, 0.1);
    rr_json_object_end(&j);
    char *s = take(&j, &err);
    assert_int_equal(err, 0);
    assert_string_equal(s, "{\"nan\":null,\"inf\":null,\"ninf\":null,\"ok\":0.10000000000000001}");
    free(s);
    char out[40];
    assert_int_equal(rr_json_format_real(NAN, 17, out, sizeof out), -1);
    assert_int_equal(rr_json_format_real(1.0, 17, out, 16), -1); /* cap too small */
}

static void json__numbers_fixed_and_exact_decimals(void **state)
{
    (void)state;
    struct rr_json j;
    int err;
    rr_json_init(&j, NULL, 0, 1 << 16);
    rr_json_array_begin(&j);
    rr_json_int(&j, INT64_MIN);
    rr_json_int(&j, INT64_MAX);
    rr_json_uint(&j, UINT64_MAX);
    rr_json_real_digits(&j, 1e-5, 17);
    rr_json_real_digits(&j, -0.0, 9);
    rr_json_real_digits(&j, 123456789.0, 6);
    rr_json_fixed(&j, 0.5, 3);
    rr_json_fixed(&j, 12.0, 3);
    rr_json_fixed(&j, -0.0001, 3); /* rounds to -0: written 0 */
    rr_json_fixed(&j, -0.0312, 3);
    rr_json_fixed(&j, 0.99999, 2);
    rr_json_fixed(&j, 2e15, 3); /* too large for fixed: a real */
    rr_json_scaled(&j, 33367, 3);
    rr_json_scaled(&j, -5, 3);
    rr_json_scaled(&j, 0, 3);
    rr_json_scaled(&j, 42, 0);
    rr_json_scaled(&j, INT64_MIN, 18);
    rr_json_bool(&j, 7);
    rr_json_null(&j);
    rr_json_time_ms(&j, 1700000000123);
    rr_json_verbatim(&j, "{\"pre\":[1]}", 11);
    rr_json_array_end(&j);
    char *s = take(&j, &err);
    assert_int_equal(err, 0);
    assert_string_equal(s, "[-9223372036854775808,9223372036854775807,18446744073709551615,"
                           "1.0000000000000001e-5,-0.0,1.23457e8,0.5,12,0,-0.031,1,"
                           "2000000000000000.0,"
                           "33.367,-0.005,0.000,42,-9.223372036854775808,true,null,"
                           "\"2023-11-14T22:13:20.123Z\",{\"pre\":[1]}]");
    free(s);
    rr_json_init(&j, NULL, 0, 64);
    rr_json_scaled(&j, 1, 19); /* more decimals than an int64 has */
    assert_int_equal(rr_json_error(&j), RR_ERR_INVAL);
    rr_json_release(&j);
}

/* ---- random trees: indented layout as jansson's ------------------------------------------- */

static json_t *build(struct rr_json *j, int depth)
{
    json_t *v;
    int kind = depth >= 6 ? 2 : (int)(rnd() % 3);
    if (kind == 0) {
        v = json_object();
        rr_json_object_begin(j);
        size_t n = rnd() % 4;
        for (size_t i = 0; i < n; i++) {
            char key[16];
            snprintf(key, sizeof key, "k%zu%s", i, rnd() % 3 ? "" : "\n\xc3\xa9");
            rr_json_key(j, key);
            json_object_set_new(v, key, build(j, depth + 1));
        }
        rr_json_object_end(j);
    } else if (kind == 1) {
        v = json_array();
        rr_json_array_begin(j);
        size_t n = rnd() % 4;
        for (size_t i = 0; i < n; i++)
            json_array_append_new(v, build(j, depth + 1));
        rr_json_array_end(j);
    } else {
        switch (rnd() % 4) {
        case 0:
            v = json_integer((json_int_t)(rnd() % 1000) - 500);
            rr_json_int(j, json_integer_value(v));
            break;
        case 1: {
            double x = (double)(rnd() % 100000) / 7.0;
            v = json_real(x);
            rr_json_real(j, x);
            break;
        }
        case 2:
            v = json_string("s\t\xc3\xa9");
            rr_json_string(j, "s\t\xc3\xa9");
            break;
        default:
            v = json_false();
            rr_json_bool(j, 0);
        }
    }
    return v;
}

static void json__indented_layout_matches_jansson(void **state)
{
    (void)state;
    for (int spaces = 1; spaces <= 4; spaces++) {
        for (int i = 0; i < 300; i++) {
            char small[32];
            struct rr_json j;
            int err;
            rr_json_init(&j, small, sizeof small, 1 << 20);
            rr_json_set_indent(&j, spaces);
            rr_json_set_precision(&j, spaces == 2 ? 6 : 17);
            json_t *ref = build(&j, 0);
            char *mine = take(&j, &err);
            assert_int_equal(err, 0);
            size_t flags = JSON_INDENT(spaces) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY |
                           JSON_REAL_PRECISION(spaces == 2 ? 6 : 17);
            char *want = json_dumps(ref, flags);
            assert_non_null(want);
            assert_string_equal(mine, want);
            free(mine);
            free(want);
            json_decref(ref);
        }
    }
}

/* Append what the writer holds to doc (room checked). */
static void append(char *doc, size_t cap, const struct rr_json *j)
{
    size_t have = strlen(doc), n = rr_json_len(j);
    assert_true(have + n < cap);
    memcpy(doc + have, rr_json_data(j), n + 1);
}

static void json__lines_arrays_and_draining_stream_a_document(void **state)
{
    (void)state;
    struct rr_json j;
    int err;
    rr_json_init(&j, NULL, 0, 64); /* each piece must fit, not the document */
    char *doc = calloc(1, 4096);
    assert_non_null(doc);
    rr_json_object_begin(&j);
    RR_JSON_KEY(&j, "frames");
    rr_json_array_begin_lines(&j);
    append(doc, 4096, &j);
    rr_json_drain(&j);
    for (int i = 0; i < 50; i++) {
        rr_json_object_begin(&j);
        RR_JSON_KEY(&j, "t");
        rr_json_int(&j, i);
        rr_json_object_end(&j);
        assert_int_equal(rr_json_error(&j), 0);
        append(doc, 4096, &j);
        rr_json_drain(&j);
    }
    rr_json_array_end(&j);
    rr_json_object_end(&j);
    append(doc, 4096, &j);
    assert_int_equal(rr_json_finish(&j), 0);
    rr_json_release(&j);
    assert_memory_equal(doc, "{\"frames\":[\n{\"t\":0},\n{\"t\":1},", 29);
    assert_string_equal(doc + strlen(doc) - 13, ",\n{\"t\":49}\n]}");
    json_t *v = json_loads(doc, 0, NULL);
    assert_non_null(v);
    assert_int_equal(json_array_size(json_object_get(v, "frames")), 50);
    json_decref(v);
    free(doc);

    /* an empty lines array stays "[]" */
    rr_json_init(&j, NULL, 0, 64);
    rr_json_array_begin_lines(&j);
    rr_json_array_end(&j);
    char *s = take(&j, &err);
    assert_string_equal(s, "[]");
    free(s);
}

/* ---- structure and limits ----------------------------------------------------------------- */

static void json__nesting_is_bounded_and_misuse_is_an_error(void **state)
{
    (void)state;
    struct rr_json j;
    int err;
    rr_json_init(&j, NULL, 0, 1 << 16);
    for (int i = 0; i < RR_JSON_MAX_DEPTH; i++)
        rr_json_array_begin(&j);
    assert_int_equal(rr_json_error(&j), 0);
    assert_int_equal(rr_json_finish(&j), RR_ERR_INVAL); /* still open */
    for (int i = 0; i < RR_JSON_MAX_DEPTH; i++)
        rr_json_array_end(&j);
    char *s = take(&j, &err);
    assert_int_equal(err, 0);
    assert_int_equal(strlen(s), 2 * RR_JSON_MAX_DEPTH);
    free(s);
    rr_json_init(&j, NULL, 0, 1 << 16);
    for (int i = 0; i <= RR_JSON_MAX_DEPTH; i++) {
        rr_json_object_begin(&j);
        RR_JSON_KEY(&j, "a");
    }
    assert_int_equal(rr_json_error(&j), RR_ERR_INVAL);
    rr_json_release(&j);

    /* misuse: a key in an array, a value without its key, a wrong close, a close too many, a
     * document left open, a key left without its value */
    rr_json_init(&j, NULL, 0, 64);
    rr_json_array_begin(&j);
    RR_JSON_KEY(&j, "k");
    assert_int_equal(rr_json_error(&j), RR_ERR_INVAL);
    rr_json_release(&j);
    rr_json_init(&j, NULL, 0, 64);
    rr_json_object_begin(&j);
    rr_json_int(&j, 1);
    assert_int_equal(rr_json_error(&j), RR_ERR_INVAL);
    rr_json_release(&j);
    rr_json_init(&j, NULL, 0, 64);
    rr_json_object_begin(&j);
    rr_json_array_end(&j);
    assert_int_equal(rr_json_error(&j), RR_ERR_INVAL);
    rr_json_release(&j);
    rr_json_init(&j, NULL, 0, 64);
    rr_json_null(&j);
    rr_json_array_end(&j);
    assert_int_equal(rr_json_error(&j), RR_ERR_INVAL);
    rr_json_release(&j);
    rr_json_init(&j, NULL, 0, 64);
    rr_json_object_begin(&j);
    RR_JSON_KEY(&j, "k");
    assert_int_equal(rr_json_finish(&j), RR_ERR_INVAL);
    assert_null(rr_json_detach(&j, NULL));
}

static void json__the_cap_gives_one_sticky_error(void **state)
{
    (void)state;
    struct rr_json j;
    char stack[64];
    rr_json_init(&j, stack, sizeof stack, 1000);
    rr_json_array_begin(&j);
    size_t last_ok = 0;
    for (int i = 0; i < 1000; i++) {
        rr_json_string(&j, "0123456789");
        if (!rr_json_error(&j))
            last_ok = rr_json_len(&j);
    }
    assert_int_equal(rr_json_error(&j), RR_ERR_TOOBIG);
    /* the refused string left nothing but its comma (the text is never handed out now) */
    assert_true(rr_json_len(&j) <= last_ok + 1);
    assert_true(rr_json_len(&j) <= 1000);
    assert_true(j.buf.cap <= 1001); /* storage never grew past the cap */
    rr_json_array_end(&j);
    rr_json_fail(&j, RR_ERR_NOMEM); /* the first error stays */
    assert_int_equal(rr_json_finish(&j), RR_ERR_TOOBIG);
    size_t n = 5;
    assert_null(rr_json_detach(&j, &n));
    assert_int_equal(n, 0);

    /* a document of exactly the cap is fine */
    rr_json_init(&j, NULL, 0, 7);
    rr_json_string(&j, "abcde");
    int err;
    char *s = take(&j, &err);
    assert_int_equal(err, 0);
    assert_string_equal(s, "\"abcde\"");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json__escapes_and_checks_utf8),
        cmocka_unit_test(json__non_finite_numbers_are_null),
        cmocka_unit_test(json__numbers_fixed_and_exact_decimals),
        cmocka_unit_test(json__indented_layout_matches_jansson),
        cmocka_unit_test(json__lines_arrays_and_draining_stream_a_document),
        cmocka_unit_test(json__nesting_is_bounded_and_misuse_is_an_error),
        cmocka_unit_test(json__the_cap_gives_one_sticky_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
