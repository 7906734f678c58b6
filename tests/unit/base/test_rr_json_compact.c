/* test_rr_json_compact.c - the one JSON writer (base/rr_json.h) gives jansson's compact bytes
 * (strings with every kind of escape and UTF-8 error, reals at every precision, integers, times,
 * nesting, ready-made JSON embedded verbatim) and reports misuse and limits as sticky errors. */
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
#include <time.h>

#include "base/rr_error.h"
#include "base/rr_json.h"

/* xorshift64*: deterministic, so a failure reproduces */
static uint64_t rng_state = 0x9E3779B97F4A7C15u;
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Du;
}

/* The writer's text for one value, NUL-terminated in a malloc'd copy; NULL when it failed (err
 * then holds the error). */
static char *take(struct rr_json *o, int *err)
{
    *err = rr_json_error(o);
    char *t = NULL;
    if (!*err) {
        t = malloc(rr_json_len(o) + 1);
        assert_non_null(t);
        memcpy(t, rr_json_data(o), rr_json_len(o));
        t[rr_json_len(o)] = '\0';
    }
    rr_json_release(o);
    return t;
}

static void expect_same_string(const char *s, size_t n)
{
    json_t *j = json_stringn(s, n); /* NULL when jansson finds the UTF-8 invalid */
    char small[8];
    struct rr_json o;
    rr_json_init(&o, small, sizeof small, 1 << 20);
    rr_json_stringn(&o, s, n);
    int err;
    char *mine = take(&o, &err);
    if (!j) {
        assert_int_equal(err, RR_ERR_INVAL);
        assert_null(mine);
        return;
    }
    char *ref = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    assert_non_null(ref);
    assert_int_equal(err, 0);
    assert_string_equal(mine, ref);
    free(ref);
    free(mine);
    json_decref(j);
}

/* Random strings from pieces: plain ASCII, every control byte, quotes and backslashes, valid
 * UTF-8 of each length (U+2028 and U+FFFF among them), and each kind of invalid sequence. */
static size_t random_string(char *out, size_t cap)
{
    static const char *const pieces[] = {
        "a", "Z", " ", "/", "~", "\x7f", "\"", "\\", "\b", "\f", "\n", "\r", "\t", "\x01",
        "\x1f", "\xc3\xa9", "\xe2\x82\xac", "\xe2\x80\xa8", "\xef\xbf\xbf", "\xf0\x9f\x98\x80",
        "\xf4\x8f\xbf\xbf", "\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xf0\x90\x80\x80",
        /* invalid: */
        "\x80", "\xbf", "\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xed\xbf\xbf",
        "\xf0\x80\x80\xaf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff", "\xfe", "\xc3",
        "\xe2\x82", "\xf0\x9f\x98", "\xc3\x28", "\xe2\x28\xa1", "0123456789abcdef",
    };
    const size_t np = sizeof pieces / sizeof pieces[0];
    size_t n = 0, k = rnd() % 12;
    int allow_invalid = rnd() % 3 == 0;
    for (size_t i = 0; i < k; i++) {
        size_t p = rnd() % np;
        if (!allow_invalid && p >= 25 && p + 1 < np)
            p = rnd() % 25;
        size_t len = strlen(pieces[p]);
        if (n + len >= cap)
            break;
        memcpy(out + n, pieces[p], len);
        n += len;
    }
    if (rnd() % 8 == 0 && n + 1 < cap)
        out[n++] = '\0'; /* an embedded NUL: \u0000 */
    return n;
}

static void json_compact__strings_match_jansson(void **state)
{
    (void)state;
    char buf[256];
    int invalid = 0;
    expect_same_string("", 0);
    for (int i = 0; i < 20000; i++) {
        size_t n = random_string(buf, sizeof buf);
        expect_same_string(buf, n);
        json_t *j = json_stringn(buf, n);
        invalid += j == NULL;
        json_decref(j);
    }
    assert_true(invalid > 1000); /* both branches were exercised */
    /* every single byte, and random bytes */
    for (int c = 1; c < 256; c++) {
        char one = (char)c;
        expect_same_string(&one, 1);
    }
    for (int i = 0; i < 20000; i++) {
        size_t n = rnd() % 24;
        for (size_t k = 0; k < n; k++)
            buf[k] = (char)(rnd() % 4 == 0 ? 0x80 | (rnd() & 0x7f) : rnd() & 0x7f);
        expect_same_string(buf, n);
    }
}

static void expect_same_real(double v, int precision)
{
    json_t *j = json_real(v);
    assert_non_null(j);
    size_t flags = JSON_COMPACT | JSON_ENCODE_ANY;
    if (precision > 0)
        flags |= JSON_REAL_PRECISION(precision);
    char *ref = json_dumps(j, flags);
    assert_non_null(ref);
    struct rr_json o;
    rr_json_init(&o, NULL, 0, 1024);
    rr_json_real_digits(&o, v, precision);
    int err;
    char *mine = take(&o, &err);
    assert_int_equal(err, 0);
    if (strcmp(mine, ref) != 0)
        fail_msg("real %.17g precision %d: writer %s, jansson %s", v, precision, mine, ref);
    free(mine);
    free(ref);
    json_decref(j);
}

static void json_compact__reals_match_jansson(void **state)
{
    (void)state;
    static const double fixed[] = {0.0,     1.0,      -1.0,    70.0,   0.1,       73.33333333,
                                   100.0,   1e15,     -1e15,   1e16,   1e17,      1e22,
                                   1e-5,    1.5e-300, 5e-324,  1e300,  123456.0,  1234567.0,
                                   999999.5, 0.000001, 12.5,    -0.5,  4503599627370496.0,
                                   9007199254740993.0};
    for (int p = 0; p <= 17; p++) {
        expect_same_real(-0.0, p);
        for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
            expect_same_real(fixed[i], p);
            expect_same_real(-fixed[i], p);
        }
    }
    for (int i = 0; i < 20000; i++) {
        double v;
        switch (i % 4) {
        case 0: { /* any finite bit pattern */
            uint64_t bits = rnd();
            memcpy(&v, &bits, sizeof v);
            if (!isfinite(v))
                continue;
            break;
        }
        case 1: /* integral, up to 2^53 and a bit beyond */
            v = (double)(int64_t)(rnd() >> (rnd() % 64)) * (rnd() % 2 ? 1 : -1);
            break;
        case 2: /* scores and times */
            v = (double)(rnd() % 100000) / 1000.0;
            break;
        default:
            v = ldexp((double)(rnd() >> 11), (int)(rnd() % 200) - 100);
        }
        expect_same_real(v, (int)(rnd() % 18));
    }
}

static void json_compact__non_finite_reals_are_null(void **state)
{
    (void)state;
    char b[64];
    assert_int_equal(rr_json_format_real(NAN, 0, b, sizeof b), -1);
    assert_int_equal(rr_json_format_real(INFINITY, 0, b, sizeof b), -1);
    assert_int_equal(rr_json_format_real(1.0, 0, b, 8), -1); /* cap below 32 */
    struct rr_json o;
    rr_json_init(&o, b, sizeof b, 64);
    rr_json_array_begin(&o);
    rr_json_int(&o, 1);
    rr_json_real_digits(&o, -INFINITY, 0);
    rr_json_real_digits(&o, NAN, 3);
    rr_json_int(&o, 2);
    rr_json_array_end(&o);
    assert_int_equal(rr_json_error(&o), 0);
    assert_string_equal(rr_json_data(&o), "[1,null,null,2]");
    rr_json_release(&o);
}

static void json_compact__integers_bools_null(void **state)
{
    (void)state;
    static const int64_t fixed[] = {0, 1, -1, 9, 10, -10, INT64_MAX, INT64_MIN, 1000000007};
    struct rr_json o;
    json_t *ref = json_array();
    rr_json_init(&o, NULL, 0, 1 << 20);
    rr_json_array_begin(&o);
    for (int i = 0; i < 2000; i++) {
        int64_t v = i < 9 ? fixed[i] : (int64_t)(rnd() >> (rnd() % 64)) * (i % 2 ? 1 : -1);
        rr_json_int(&o, v);
        json_array_append_new(ref, json_integer(v));
        if (i % 100 == 0) {
            rr_json_bool(&o, i % 200 == 0);
            json_array_append_new(ref, json_boolean(i % 200 == 0));
            rr_json_null(&o);
            json_array_append_new(ref, json_null());
            rr_json_string(&o, NULL); /* null too */
            json_array_append_new(ref, json_null());
        }
    }
    rr_json_array_end(&o);
    int err;
    char *mine = take(&o, &err);
    char *want = json_dumps(ref, JSON_COMPACT);
    assert_int_equal(err, 0);
    assert_string_equal(mine, want);
    free(mine);
    free(want);
    json_decref(ref);
}

static void add_scalar(struct rr_json *o, json_t **v)
{
    switch (rnd() % 5) {
    case 0: {
        int64_t x = (int64_t)(rnd() % 2000000) - 1000000;
        rr_json_int(o, x);
        *v = json_integer(x);
        break;
    }
    case 1: {
        double x = (double)(rnd() % 100000) / 7.0;
        rr_json_real_digits(o, x, 0);
        *v = json_real(x);
        break;
    }
    case 2: {
        char s[64];
        size_t n;
        json_t *j;
        do {
            n = random_string(s, sizeof s);
            j = json_stringn(s, n);
        } while (!j);
        rr_json_stringn(o, s, n);
        *v = j;
        break;
    }
    case 3:
        rr_json_bool(o, 1);
        *v = json_true();
        break;
    default:
        rr_json_null(o);
        *v = json_null();
    }
}

/* A random tree written both ways (the writer and a json_t). */
static json_t *build(struct rr_json *o, int depth)
{
    json_t *v = NULL;
    int kind = depth >= 8 ? 2 : (int)(rnd() % 3);
    if (kind == 0) {
        v = json_object();
        rr_json_object_begin(o);
        size_t n = rnd() % 5;
        for (size_t i = 0; i < n; i++) {
            char key[32];
            snprintf(key, sizeof key, "k%zu%s", i, rnd() % 4 ? "" : "\"\\\n\xc3\xa9");
            if (rnd() % 2)
                rr_json_key(o, key);
            else
                rr_json_keyn(o, key, strlen(key));
            json_object_set_new(v, key, build(o, depth + 1));
        }
        rr_json_object_end(o);
    } else if (kind == 1) {
        v = json_array();
        rr_json_array_begin(o);
        size_t n = rnd() % 5;
        for (size_t i = 0; i < n; i++)
            json_array_append_new(v, build(o, depth + 1));
        rr_json_array_end(o);
    } else {
        add_scalar(o, &v);
    }
    return v;
}

static void json_compact__nested_values_match_jansson(void **state)
{
    (void)state;
    for (int i = 0; i < 2000; i++) {
        char small[16];
        struct rr_json o;
        rr_json_init(&o, small, sizeof small, 1 << 22);
        json_t *ref = build(&o, 0);
        int err;
        char *mine = take(&o, &err);
        char *want = json_dumps(ref, JSON_COMPACT | JSON_ENCODE_ANY);
        assert_int_equal(err, 0);
        assert_non_null(want);
        assert_string_equal(mine, want);
        /* and embedded verbatim (a stored document), inside an object */
        rr_json_init(&o, NULL, 0, 1 << 22);
        rr_json_object_begin(&o);
        RR_JSON_KEY(&o, "v");
        rr_json_verbatim(&o, want, strlen(want));
        RR_JSON_KEY(&o, "n");
        rr_json_null(&o);
        rr_json_object_end(&o);
        char *wrapped = take(&o, &err);
        assert_int_equal(err, 0);
        json_t *w = json_pack("{s:O,s:n}", "v", ref, "n");
        char *wwant = json_dumps(w, JSON_COMPACT);
        assert_string_equal(wrapped, wwant);
        free(wwant);
        json_decref(w);
        free(wrapped);
        free(mine);
        free(want);
        json_decref(ref);
    }
}

static int misuse(void (*fn)(struct rr_json *))
{
    char b[64];
    struct rr_json o;
    rr_json_init(&o, b, sizeof b, sizeof b);
    fn(&o);
    int err = rr_json_error(&o);
    rr_json_release(&o);
    return err;
}
static void m_key_in_array(struct rr_json *o)
{
    rr_json_array_begin(o);
    rr_json_key(o, "a");
}
static void m_key_at_top(struct rr_json *o) { rr_json_key(o, "a"); }
static void m_two_keys(struct rr_json *o)
{
    rr_json_object_begin(o);
    rr_json_key(o, "a");
    rr_json_key(o, "b");
}
static void m_value_without_key(struct rr_json *o)
{
    rr_json_object_begin(o);
    rr_json_int(o, 1);
}
static void m_close_with_pending_key(struct rr_json *o)
{
    rr_json_object_begin(o);
    rr_json_key(o, "a");
    rr_json_object_end(o);
}
static void m_wrong_close(struct rr_json *o)
{
    rr_json_object_begin(o);
    rr_json_array_end(o);
}
static void m_close_at_top(struct rr_json *o) { rr_json_array_end(o); }
static void m_too_deep(struct rr_json *o)
{
    for (int i = 0; i <= RR_JSON_MAX_DEPTH; i++)
        rr_json_array_begin(o);
}
static void m_null_key(struct rr_json *o)
{
    rr_json_object_begin(o);
    rr_json_key(o, NULL);
}
static void m_bad_key(struct rr_json *o)
{
    rr_json_object_begin(o);
    rr_json_key(o, "\xff");
}
static void m_fine(struct rr_json *o)
{
    for (int i = 0; i < RR_JSON_MAX_DEPTH; i++)
        rr_json_array_begin(o);
    for (int i = 0; i < RR_JSON_MAX_DEPTH; i++)
        rr_json_array_end(o);
}

static void json_compact__misuse_is_a_sticky_error(void **state)
{
    (void)state;
    assert_int_equal(misuse(m_key_in_array), RR_ERR_INVAL);
    assert_int_equal(misuse(m_key_at_top), RR_ERR_INVAL);
    assert_int_equal(misuse(m_two_keys), RR_ERR_INVAL);
    assert_int_equal(misuse(m_value_without_key), RR_ERR_INVAL);
    assert_int_equal(misuse(m_close_with_pending_key), RR_ERR_INVAL);
    assert_int_equal(misuse(m_wrong_close), RR_ERR_INVAL);
    assert_int_equal(misuse(m_close_at_top), RR_ERR_INVAL);
    assert_int_equal(misuse(m_too_deep), RR_ERR_INVAL);
    assert_int_equal(misuse(m_null_key), RR_ERR_INVAL);
    assert_int_equal(misuse(m_bad_key), RR_ERR_INVAL);
    assert_int_equal(misuse(m_fine), 0);
}

static void json_compact__grows_from_the_stack_and_stops_at_max(void **state)
{
    (void)state;
    char small[5];
    struct rr_json o;
    rr_json_init(&o, small, sizeof small, 100);
    rr_json_string(&o, "ab"); /* 4 bytes and the NUL: fits the caller's buffer */
    assert_ptr_equal(rr_json_data(&o), small);
    rr_json_raw(&o, "x", 1); /* spills to the heap, keeping what was written */
    assert_ptr_not_equal(rr_json_data(&o), small);
    assert_int_equal(rr_json_len(&o), 5);
    assert_memory_equal(rr_json_data(&o), "\"ab\"x", 5);
    char big[200];
    memset(big, 'y', sizeof big);
    rr_json_raw(&o, big, 95); /* 100 bytes exactly: allowed */
    assert_int_equal(rr_json_error(&o), 0);
    assert_int_equal(rr_json_len(&o), 100);
    rr_json_raw(&o, "z", 1);
    assert_int_equal(rr_json_error(&o), RR_ERR_TOOBIG);
    assert_int_equal(rr_json_len(&o), 100);
    rr_json_release(&o);
    rr_json_release(&o); /* twice is fine */

    /* no initial buffer; a huge request that cannot fit */
    rr_json_init(&o, NULL, 0, 1 << 20);
    rr_json_raw(&o, big, sizeof big);
    assert_int_equal(rr_json_len(&o), sizeof big);
    rr_json_raw(&o, big, SIZE_MAX - 10);
    assert_int_equal(rr_json_error(&o), RR_ERR_TOOBIG);
    rr_json_release(&o);

    /* a string that needs escapes across a growth boundary */
    rr_json_init(&o, small, sizeof small, 1 << 20);
    rr_json_string(&o, "a\"b\\c\nd\x01\xc3\xa9");
    int err;
    char *t = take(&o, &err);
    assert_int_equal(err, 0);
    assert_string_equal(t, "\"a\\\"b\\\\c\\nd\\u0001\xc3\xa9\"");
    free(t);

    /* ready-made JSON that does not fit: nothing of it is written, the error is kept */
    rr_json_init(&o, NULL, 0, 64);
    rr_json_array_begin(&o);
    rr_json_verbatim(&o, big, 95);
    assert_int_equal(rr_json_error(&o), RR_ERR_TOOBIG);
    assert_int_equal(rr_json_len(&o), 1);
    rr_json_release(&o);
}

static void expect_time(int64_t ms)
{
    char want[48];
    int64_t c = ms < 0 ? 0 : ms;
    time_t sec = (time_t)(c / 1000);
    struct tm tm;
    assert_non_null(gmtime_r(&sec, &tm));
    snprintf(want, sizeof want, "\"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\"", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(c % 1000));
    struct rr_json o;
    rr_json_init(&o, NULL, 0, 64);
    rr_json_time_ms(&o, ms);
    int err;
    char *t = take(&o, &err);
    assert_int_equal(err, 0);
    if (strcmp(t, want) != 0)
        fail_msg("time %lld: writer %s, gmtime %s", (long long)ms, t, want);
    free(t);
}

static void json_compact__times_match_gmtime(void **state)
{
    (void)state;
    static const int64_t fixed[] = {0,
                                    -1,
                                    -86400000,
                                    951782400000,  /* 2000-02-29 */
                                    1772359200000, /* 2026-03-01T10:00:00Z */
                                    4102444799999, /* 2099-12-31T23:59:59.999Z */
                                    253402300799999, /* 9999-12-31T23:59:59.999Z */
                                    253402300800000, /* 10000-01-01 */
                                    32503680000000}; /* 3000-01-01 */
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        expect_time(fixed[i]);
    for (int i = 0; i < 20000; i++)
        expect_time((int64_t)(rnd() % 400000000000000u)); /* up to year ~14700 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json_compact__strings_match_jansson),
        cmocka_unit_test(json_compact__reals_match_jansson),
        cmocka_unit_test(json_compact__non_finite_reals_are_null),
        cmocka_unit_test(json_compact__integers_bools_null),
        cmocka_unit_test(json_compact__nested_values_match_jansson),
        cmocka_unit_test(json_compact__misuse_is_a_sticky_error),
        cmocka_unit_test(json_compact__grows_from_the_stack_and_stops_at_max),
        cmocka_unit_test(json_compact__times_match_gmtime),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
