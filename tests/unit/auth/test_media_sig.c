/*
 * test_media_sig.c - signed media links: a known HMAC-SHA256 vector (computed independently with
 * Python's hmac module), round trip, every field bound (path, user, expiry, key), expiry and the
 * future bound, malformed exp and sig, and bad arguments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "auth/media_sig.h"
#include "base/rr_error.h"

#define PATH "/v1/videos/0123456789abcdef0123456789abcdef/original"
#define UID "fedcba9876543210fedcba9876543210"
#define NOW 1800000000LL
#define EXPECTED_HEX "af12028d3856ecf297329b51c4137fd6c31331dc0ecb31bd7f466fb8f6892943"

static uint8_t key[MEDIA_SIG_KEY_BYTES];

static int setup(void **state)
{
    (void)state;
    for (int i = 0; i < MEDIA_SIG_KEY_BYTES; i++)
        key[i] = (uint8_t)i;
    return 0;
}

static void sig__matches_an_independent_hmac(void **state)
{
    (void)state;
    char hex[MEDIA_SIG_HEX_SIZE];
    assert_int_equal(media_sig_make(key, PATH, UID, NOW + 7200, hex), 0);
    /* python3: hmac.new(bytes(range(32)), b"repright-media/1\nGET\n" + PATH + b"\n" + UID +
     * b"\n1800007200", "sha256").hexdigest() */
    assert_string_equal(hex, EXPECTED_HEX);
}

static void sig__round_trip_and_every_field_is_bound(void **state)
{
    (void)state;
    char hex[MEDIA_SIG_HEX_SIZE], exp[24];
    assert_int_equal(media_sig_make(key, PATH, UID, NOW + 60, hex), 0);
    snprintf(exp, sizeof exp, "%lld", NOW + 60);
    assert_int_equal(media_sig_check(key, PATH, UID, exp, hex, NOW), 0);
    assert_int_equal(media_sig_check(key, PATH, UID, exp, hex, NOW + 60), 0); /* last second */
    /* another path, user, expiry or key */
    assert_int_equal(media_sig_check(key, "/v1/videos/0123456789abcdef0123456789abcdef/overlay",
                                     UID, exp, hex, NOW), RR_ERR_UNAUTHENTICATED);
    assert_int_equal(media_sig_check(key, PATH, "fedcba9876543210fedcba9876543211", exp, hex, NOW),
                     RR_ERR_UNAUTHENTICATED);
    char exp2[24];
    snprintf(exp2, sizeof exp2, "%lld", NOW + 61);
    assert_int_equal(media_sig_check(key, PATH, UID, exp2, hex, NOW), RR_ERR_UNAUTHENTICATED);
    uint8_t other[MEDIA_SIG_KEY_BYTES];
    memcpy(other, key, sizeof other);
    other[31] ^= 1;
    assert_int_equal(media_sig_check(other, PATH, UID, exp, hex, NOW), RR_ERR_UNAUTHENTICATED);
    /* one flipped hex digit, upper case, truncated, too long, not hex */
    char bad[MEDIA_SIG_HEX_SIZE + 2];
    snprintf(bad, sizeof bad, "%s", hex);
    bad[10] = bad[10] == '0' ? '1' : '0';
    assert_int_equal(media_sig_check(key, PATH, UID, exp, bad, NOW), RR_ERR_UNAUTHENTICATED);
    snprintf(bad, sizeof bad, "%.63s", hex);
    assert_int_equal(media_sig_check(key, PATH, UID, exp, bad, NOW), RR_ERR_UNAUTHENTICATED);
    snprintf(bad, sizeof bad, "%s0", hex);
    assert_int_equal(media_sig_check(key, PATH, UID, exp, bad, NOW), RR_ERR_UNAUTHENTICATED);
    snprintf(bad, sizeof bad, "%s", hex);
    bad[0] = 'g';
    assert_int_equal(media_sig_check(key, PATH, UID, exp, bad, NOW), RR_ERR_UNAUTHENTICATED);
    assert_int_equal(media_sig_check(key, PATH, UID, exp, NULL, NOW), RR_ERR_UNAUTHENTICATED);
}

static void sig__expired_or_too_far_ahead_is_refused(void **state)
{
    (void)state;
    char hex[MEDIA_SIG_HEX_SIZE], exp[24];
    assert_int_equal(media_sig_make(key, PATH, UID, NOW, hex), 0);
    snprintf(exp, sizeof exp, "%lld", NOW);
    assert_int_equal(media_sig_check(key, PATH, UID, exp, hex, NOW + 1), RR_ERR_UNAUTHENTICATED);
    long long far = NOW + MEDIA_SIG_TTL_MAX_S + 1;
    assert_int_equal(media_sig_make(key, PATH, UID, far, hex), 0);
    snprintf(exp, sizeof exp, "%lld", far);
    assert_int_equal(media_sig_check(key, PATH, UID, exp, hex, NOW), RR_ERR_UNAUTHENTICATED);
    assert_int_equal(media_sig_check(key, PATH, UID, exp, hex, NOW + 1), 0);
}

static void sig__malformed_expiry_is_refused(void **state)
{
    (void)state;
    char hex[MEDIA_SIG_HEX_SIZE];
    assert_int_equal(media_sig_make(key, PATH, UID, NOW + 60, hex), 0);
    static const char *const bad[] = {"", "0", "01800000060", "-1800000060", "+1800000060",
                                      "1800000060 ", "18000000a0", "1800000060000", NULL};
    for (int i = 0; bad[i]; i++)
        assert_int_equal(media_sig_check(key, PATH, UID, bad[i], hex, NOW), RR_ERR_UNAUTHENTICATED);
    assert_int_equal(media_sig_check(key, PATH, UID, NULL, hex, NOW), RR_ERR_UNAUTHENTICATED);
}

static void sig__bad_arguments_are_refused(void **state)
{
    (void)state;
    char hex[MEDIA_SIG_HEX_SIZE], long_path[MEDIA_SIG_PATH_MAX + 2];
    memset(long_path, 'a', sizeof long_path - 1);
    long_path[sizeof long_path - 1] = '\0';
    assert_int_equal(media_sig_make(NULL, PATH, UID, NOW, hex), RR_ERR_INVAL);
    assert_int_equal(media_sig_make(key, NULL, UID, NOW, hex), RR_ERR_INVAL);
    assert_int_equal(media_sig_make(key, "", UID, NOW, hex), RR_ERR_INVAL);
    assert_int_equal(media_sig_make(key, long_path, UID, NOW, hex), RR_ERR_INVAL);
    assert_int_equal(media_sig_make(key, "/a\n/b", UID, NOW, hex), RR_ERR_INVAL);
    assert_int_equal(media_sig_make(key, PATH, "u\nx", NOW, hex), RR_ERR_INVAL);
    assert_int_equal(media_sig_make(key, PATH, "", NOW, hex), RR_ERR_INVAL);
    assert_int_equal(media_sig_make(key, PATH, UID, 0, hex), RR_ERR_INVAL);
    assert_int_equal(media_sig_make(key, PATH, UID, NOW, NULL), RR_ERR_INVAL);
    assert_int_equal(media_sig_check(NULL, PATH, UID, "1800000060", "00", NOW), RR_ERR_INVAL);
    assert_int_equal(media_sig_check(key, NULL, UID, "1800000060", "00", NOW), RR_ERR_INVAL);
    /* a path the signer would refuse is never accepted */
    memset(hex, '0', MEDIA_SIG_HEX_SIZE - 1);
    hex[MEDIA_SIG_HEX_SIZE - 1] = '\0';
    assert_int_equal(media_sig_check(key, long_path, UID, "1800000060", hex, NOW),
                     RR_ERR_UNAUTHENTICATED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sig__matches_an_independent_hmac),
        cmocka_unit_test(sig__round_trip_and_every_field_is_bound),
        cmocka_unit_test(sig__expired_or_too_far_ahead_is_refused),
        cmocka_unit_test(sig__malformed_expiry_is_refused),
        cmocka_unit_test(sig__bad_arguments_are_refused),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
