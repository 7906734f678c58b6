/*
 * test_password.c - Argon2id hashing and verification, stored-parameter parsing against the floor,
 * re-hash detection, the dummy verify, and the password policy (table-driven).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/password.h"
#include "base/rr_error.h"

static void password__hashes_at_or_above_the_floor_and_verifies(void **state)
{
    (void)state;
    char h[PASSWORD_HASH_MAX];
    struct password_params pp;
    const char *pw = "correct horse battery staple";
    assert_int_equal(password_hash(pw, strlen(pw), h), 0);
    assert_true(strncmp(h, "$argon2id$v=19$", 15) == 0);
    assert_int_equal(password_parse_params(h, &pp), 0);
    assert_int_equal(pp.version, 19);
    assert_true(pp.m_kib >= PASSWORD_FLOOR_M_KIB);
    assert_true(pp.m_kib >= 19u * 1024u);
    assert_true(pp.t >= PASSWORD_FLOOR_T);
    assert_int_equal(pp.p, 1);
    assert_int_equal(password_needs_rehash(h), 0);

    assert_int_equal(password_verify(h, pw, strlen(pw)), 0);
    assert_int_equal(password_verify(h, "correct horse battery stapl", 27), RR_ERR_UNAUTHENTICATED);
    assert_int_equal(password_verify(h, "", 0), RR_ERR_UNAUTHENTICATED);

    /* two hashes of one password differ (random salt) but both verify */
    char h2[PASSWORD_HASH_MAX];
    assert_int_equal(password_hash(pw, strlen(pw), h2), 0);
    assert_string_not_equal(h, h2);
    assert_int_equal(password_verify(h2, pw, strlen(pw)), 0);
}

static void password__refuses_oversize_input_before_hashing(void **state)
{
    (void)state;
    static char big[PASSWORD_MAX_BYTES + 2];
    char h[PASSWORD_HASH_MAX];
    memset(big, 'a', sizeof big);
    assert_int_equal(password_hash(big, PASSWORD_MAX_BYTES + 1, h), RR_ERR_TOOBIG);
    assert_string_equal(h, "");
    assert_int_equal(password_hash(NULL, 3, h), RR_ERR_INVAL);
    assert_int_equal(password_hash_with("abcdefgh", 8, 0, 19456, h), RR_ERR_INVAL);
    assert_int_equal(password_hash_with("abcdefgh", 8, 2, 4, h), RR_ERR_INVAL);
    /* verify answers "no" to an oversize password without Argon2 (bounded time) */
    assert_int_equal(password_verify(password__dummy_hash(), big, PASSWORD_MAX_BYTES + 1),
                     RR_ERR_UNAUTHENTICATED);
    assert_int_equal(password_verify_dummy(big, PASSWORD_MAX_BYTES + 1), RR_ERR_UNAUTHENTICATED);
    assert_int_equal(password_verify(NULL, "x", 1), RR_ERR_INVAL);
}

static void password__parses_stored_params_and_detects_rehash(void **state)
{
    (void)state;
    static const char tail[] = "$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";
    char buf[256];
    static const struct {
        const char *head;
        int ok;
        uint32_t m, t;
        int rehash;
    } cases[] = {
        {"$argon2id$v=19$m=19456,t=2,p=1", 1, 19456, 2, 0},  /* exactly the floor */
        {"$argon2id$v=19$m=65536,t=3,p=1", 1, 65536, 3, 0},  /* above: keep */
        {"$argon2id$v=19$m=19455,t=2,p=1", 1, 19455, 2, 1},  /* memory below */
        {"$argon2id$v=19$m=19456,t=1,p=1", 1, 19456, 1, 1},  /* passes below */
        {"$argon2id$v=19$m=4096,t=3,p=1", 1, 4096, 3, 1},    /* old libsodium interactive */
        {"$argon2id$v=16$m=65536,t=3,p=1", 1, 65536, 3, 1},  /* Argon2 1.0 */
        {"$argon2i$v=19$m=65536,t=3,p=1", 0, 0, 0, 1},       /* wrong variant */
        {"$argon2id$v=19$m=,t=2,p=1", 0, 0, 0, 1},
        {"$argon2id$v=19$m=019456,t=2,p=1", 0, 0, 0, 1},     /* leading zero */
        {"$argon2id$v=19$m=99999999999,t=2,p=1", 0, 0, 0, 1}, /* overflow */
        {"$argon2id$v=19$m=19456,t=0,p=1", 0, 0, 0, 1},
        {"$argon2id$v=19$t=2,m=19456,p=1", 0, 0, 0, 1},      /* order matters */
        {"$2b$12$abcdefghijklmnopqrstuv", 0, 0, 0, 1},       /* bcrypt */
        {"", 0, 0, 0, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct password_params pp;
        snprintf(buf, sizeof buf, "%s%s", cases[i].head, cases[i].head[0] ? tail : "");
        int rc = password_parse_params(buf, &pp);
        if (cases[i].ok) {
            assert_int_equal(rc, 0);
            assert_int_equal(pp.m_kib, cases[i].m);
            assert_int_equal(pp.t, cases[i].t);
        } else {
            assert_int_equal(rc, RR_ERR_CORRUPT);
        }
        assert_int_equal(password_needs_rehash(buf), cases[i].rehash);
    }
    /* salt / hash parts must be present and base64 */
    assert_int_equal(password_parse_params("$argon2id$v=19$m=19456,t=2,p=1$", &(struct password_params){0}),
                     RR_ERR_CORRUPT);
    snprintf(buf, sizeof buf, "$argon2id$v=19$m=19456,t=2,p=1%s!", tail);
    assert_int_equal(password_parse_params(buf, &(struct password_params){0}), RR_ERR_CORRUPT);
    assert_int_equal(password_parse_params(NULL, &(struct password_params){0}), RR_ERR_INVAL);
    /* over-long strings are not parsed */
    char longer[300];
    memset(longer, 'A', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    memcpy(longer, "$argon2id$v=19$m=19456,t=2,p=1$", 31);
    assert_int_equal(password_parse_params(longer, &(struct password_params){0}), RR_ERR_CORRUPT);
    assert_int_equal(password_needs_rehash(NULL), 1);
}

static void password__old_real_hash_verifies_and_asks_for_rehash(void **state)
{
    (void)state;
    char h[PASSWORD_HASH_MAX];
    assert_int_equal(password_hash_with("hunter2hunter2", 14, 1, 8192, h), 0);
    assert_int_equal(password_needs_rehash(h), 1);
    assert_int_equal(password_verify(h, "hunter2hunter2", 14), 0);
    /* a hash claiming absurd cost is refused, not computed */
    assert_int_equal(password_verify("$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
                                     "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
                                     "x", 1),
                     RR_ERR_CORRUPT);
    assert_int_equal(password_verify("not a hash", "x", 1), RR_ERR_CORRUPT);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void password__dummy_verify_uses_current_params_and_similar_time(void **state)
{
    (void)state;
    struct password_params pp;
    char h[PASSWORD_HASH_MAX];
    assert_int_equal(password_parse_params(password__dummy_hash(), &pp), 0);
    assert_int_equal(pp.m_kib, PASSWORD_M_KIB);
    assert_int_equal(pp.t, PASSWORD_T);
    assert_int_equal(password_needs_rehash(password__dummy_hash()), 0);
    assert_int_equal(password_verify_dummy("anything at all", 15), RR_ERR_UNAUTHENTICATED);
    /* the dummy's own password must not log anyone in: it is always a refusal */
    assert_int_equal(password_verify_dummy("repright-dummy-password", 23), RR_ERR_UNAUTHENTICATED);

    /* timing: medians of a few runs within a generous bound (the API suite does 500 + 500) */
    assert_int_equal(password_hash("real user password", 18, h), 0);
    double real[7], dummy[7];
    for (int i = 0; i < 7; i++) {
        double t0 = now_ms();
        assert_int_equal(password_verify(h, "wrong guess here", 16), RR_ERR_UNAUTHENTICATED);
        double t1 = now_ms();
        assert_int_equal(password_verify_dummy("wrong guess here", 16), RR_ERR_UNAUTHENTICATED);
        double t2 = now_ms();
        real[i] = t1 - t0;
        dummy[i] = t2 - t1;
    }
    qsort(real, 7, sizeof real[0], cmp_double);
    qsort(dummy, 7, sizeof dummy[0], cmp_double);
    printf("verify median %.1f ms, dummy median %.1f ms\n", real[3], dummy[3]);
    double diff = real[3] > dummy[3] ? real[3] - dummy[3] : dummy[3] - real[3];
    assert_true(diff < 0.5 * real[3] + 5.0);
}

struct policy_case {
    const char *name;
    const char *pw;
    long len; /* -1: strlen */
    enum password_verdict want;
};

static void password__policy_table(void **state)
{
    (void)state;
    static char s7[8], s8[9], s128[129], s129[130], emoji128[128 * 4 + 1], emoji129[129 * 4 + 1];
    memset(s7, 'q', 7);
    memcpy(s8, "xk7-vq2m", 8);
    memset(s128, 'z', 128);
    memset(s129, 'z', 129);
    for (int i = 0; i < 128; i++)
        memcpy(emoji128 + 4 * i, "\xF0\x9F\x98\x80", 4); /* U+1F600 */
    memcpy(emoji129, emoji128, 512);
    memcpy(emoji129 + 512, "\xF0\x9F\x98\x80", 4);
    const struct policy_case cases[] = {
        {"empty", "", -1, PASSWORD_TOO_SHORT},
        {"seven ascii", s7, -1, PASSWORD_TOO_SHORT},
        {"eight ascii", s8, -1, PASSWORD_OK},
        {"128 exactly", s128, -1, PASSWORD_OK},
        {"129", s129, -1, PASSWORD_TOO_LONG},
        {"128 emoji = 512 bytes", emoji128, -1, PASSWORD_OK},
        {"129 emoji = 516 bytes", emoji129, -1, PASSWORD_TOO_LONG},
        {"7 code points in 14 bytes", "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9", -1,
         PASSWORD_TOO_SHORT},
        {"8 code points in 16 bytes", "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9",
         -1, PASSWORD_OK},
        {"spaces allowed, no composition rules", "all lowercase words here", -1, PASSWORD_OK},
        {"common", "password", -1, PASSWORD_COMMON},
        {"common, any case", "PassWord1", -1, PASSWORD_COMMON},
        {"common digits", "12345678", -1, PASSWORD_COMMON},
        {"common keyboard walk", "QWERTYUIOP", -1, PASSWORD_COMMON},
        {"common with symbol", "p@ssw0rd", -1, PASSWORD_COMMON},
        {"near-common is fine", "password7x", -1, PASSWORD_OK},
        {"invalid continuation", "abcdefgh\x80", -1, PASSWORD_BAD_ENCODING},
        {"overlong slash", "abcdefg\xC0\xAF", -1, PASSWORD_BAD_ENCODING},
        {"overlong 3-byte", "abcdefg\xE0\x80\xAF", -1, PASSWORD_BAD_ENCODING},
        {"surrogate", "abcdefg\xED\xA0\x80", -1, PASSWORD_BAD_ENCODING},
        {"above U+10FFFF", "abcdefg\xF4\x90\x80\x80", -1, PASSWORD_BAD_ENCODING},
        {"F5 lead", "abcdefg\xF5\x80\x80\x80", -1, PASSWORD_BAD_ENCODING},
        {"truncated sequence", "abcdefgh\xE2\x82", -1, PASSWORD_BAD_ENCODING},
        {"bad second byte", "abcdefgh\xE2\x41\x41", -1, PASSWORD_BAD_ENCODING},
        {"embedded NUL", "abcd\0efghij", 11, PASSWORD_BAD_ENCODING},
        {"over byte cap", s129, 600, PASSWORD_TOO_LONG},
    };
    static char huge[700];
    memset(huge, 'y', sizeof huge);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *pw = cases[i].pw;
        size_t len = cases[i].len < 0 ? strlen(pw) : (size_t)cases[i].len;
        if (len > strlen(pw) + 1 && len > 12)
            pw = huge; /* the byte-cap case: a buffer that really is that long */
        enum password_verdict v = password_check_policy(pw, len);
        if (v != cases[i].want)
            fail_msg("case '%s': got %s, want %s", cases[i].name, password_verdict_name(v),
                     password_verdict_name(cases[i].want));
    }
    assert_string_equal(password_verdict_name(PASSWORD_COMMON), "common");
    assert_string_equal(password_verdict_name(PASSWORD_OK), "ok");
    assert_string_equal(password_verdict_name(PASSWORD_TOO_SHORT), "too_short");
    assert_string_equal(password_verdict_name(PASSWORD_TOO_LONG), "too_long");
    assert_string_equal(password_verdict_name(PASSWORD_BAD_ENCODING), "bad_encoding");
    assert_string_equal(password_verdict_name((enum password_verdict)99), "unknown");
    assert_int_equal(password_utf8_count("\xE2\x82\xAC", 3), 1);
    assert_int_equal(password_utf8_count(NULL, 2), -1);
    assert_int_equal(password_utf8_count(NULL, 0), 0);
}

static void password__common_table_is_sorted_lowercase_and_every_entry_found(void **state)
{
    (void)state;
    size_t n = 0;
    const char *const *t = password__common_table(&n);
    assert_true(n >= 200);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(t[i]);
        assert_true(len >= PASSWORD_MIN_CHARS);
        for (size_t k = 0; k < len; k++)
            assert_false(t[i][k] >= 'A' && t[i][k] <= 'Z');
        if (i > 0 && strcmp(t[i - 1], t[i]) >= 0)
            fail_msg("table not strictly sorted at %zu: %s >= %s", i, t[i - 1], t[i]);
        assert_int_equal(password_is_common(t[i], len), 1);
        /* a prefix or an extension of an entry is not an entry (unless listed itself) */
        char ext[64];
        snprintf(ext, sizeof ext, "%s~", t[i]);
        assert_int_equal(password_is_common(ext, strlen(ext)), 0);
    }
    assert_int_equal(password_is_common("passwor", 7), 0);
    assert_int_equal(password_is_common(NULL, 0), 0);
    assert_int_equal(password_is_common("zzzzzzzzzzzz", 12), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(password__hashes_at_or_above_the_floor_and_verifies),
        cmocka_unit_test(password__refuses_oversize_input_before_hashing),
        cmocka_unit_test(password__parses_stored_params_and_detects_rehash),
        cmocka_unit_test(password__old_real_hash_verifies_and_asks_for_rehash),
        cmocka_unit_test(password__dummy_verify_uses_current_params_and_similar_time),
        cmocka_unit_test(password__policy_table),
        cmocka_unit_test(password__common_table_is_sorted_lowercase_and_every_entry_found),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
