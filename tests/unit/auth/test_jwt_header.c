/*
 * test_jwt_header.c - jwt_verify's shortcut for the one header RepRight mints (the exact base64url
 * bytes skip decoding and JSON parsing) changes no verdict: other spellings of a valid header
 * still pass the strict check, and near misses of the minted bytes do not take the shortcut.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/jwt.h"
#include "base/rr_error.h"

#define NOW 1700000000LL
#define MINTED "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9" /* {"alg":"HS256","typ":"JWT"} */

static uint8_t secret[32];
static const struct jwt_expect expect = {"https://repright.test", "repright-api",
                                         JWT_TYP_ACCESS};
static const char payload[] =
    "{\"iss\":\"https://repright.test\",\"aud\":\"repright-api\",\"sub\":\"u1\",\"typ\":\"access\","
    "\"iat\":1700000000,\"nbf\":1700000000,\"exp\":1700000900,\"jti\":\"j1\"}";

static int group_setup(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof secret; i++)
        secret[i] = (uint8_t)(i * 11 + 5);
    return sodium_init() < 0 ? -1 : 0;
}

/* header segment (already base64url) . base64url(payload) . HMAC: a correctly signed token. */
static void sign_with_segment(const char *header_seg, char *t, size_t cap)
{
    uint8_t mac[32];
    size_t n = strlen(header_seg);
    assert_true(n + 2 < cap);
    memcpy(t, header_seg, n);
    t[n++] = '.';
    sodium_bin2base64(t + n, cap - n, (const unsigned char *)payload, strlen(payload),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    n += strlen(t + n);
    crypto_auth_hmacsha256(mac, (const unsigned char *)t, n, secret);
    t[n++] = '.';
    sodium_bin2base64(t + n, cap - n, mac, sizeof mac, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static enum jwt_reason verdict_seg(const char *header_seg)
{
    char t[1024];
    struct jwt_claims out;
    enum jwt_reason why = JWT_OK;
    sign_with_segment(header_seg, t, sizeof t);
    int rc = jwt_verify(t, strlen(t), secret, sizeof secret, &expect, NOW, &out, &why);
    assert_int_equal(rc, why == JWT_OK ? 0 : RR_ERR_UNAUTHENTICATED);
    if (why == JWT_OK)
        assert_string_equal(out.sub, "u1");
    return why;
}

static enum jwt_reason verdict_json(const char *header_json)
{
    char seg[256];
    sodium_bin2base64(seg, sizeof seg, (const unsigned char *)header_json, strlen(header_json),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return verdict_seg(seg);
}

static void jwt_header__minted_and_other_valid_spellings_pass(void **state)
{
    (void)state;
    assert_int_equal(verdict_seg(MINTED), JWT_OK);                               /* shortcut */
    assert_int_equal(verdict_json("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"), JWT_OK); /* same bytes */
    assert_int_equal(verdict_json("{\"typ\":\"JWT\",\"alg\":\"HS256\"}"), JWT_OK); /* strict path */
    assert_int_equal(verdict_json("{\"alg\":\"HS256\"}"), JWT_OK);
    assert_int_equal(verdict_json("{ \"alg\" : \"HS256\" }"), JWT_OK);
}

static void jwt_header__near_misses_take_the_strict_path(void **state)
{
    (void)state;
    char seg[64];
    /* the minted bytes plus more: not the shortcut, and not valid base64url of a header */
    snprintf(seg, sizeof seg, "%sA", MINTED);
    assert_int_not_equal(verdict_seg(seg), JWT_OK);
    /* one character changed: the decoded header is different JSON (or not JSON) */
    for (size_t i = 0; i < sizeof MINTED - 1; i++) {
        snprintf(seg, sizeof seg, "%s", MINTED);
        seg[i] = seg[i] == 'A' ? 'B' : 'A';
        enum jwt_reason r = verdict_seg(seg);
        assert_true(r == JWT_MALFORMED || r == JWT_BAD_HEADER || r == JWT_BAD_ALG);
    }
    /* a prefix of the minted bytes */
    snprintf(seg, sizeof seg, "%.*s", (int)(sizeof MINTED - 5), MINTED);
    assert_int_not_equal(verdict_seg(seg), JWT_OK);
    /* headers that are refused whatever the path */
    assert_int_equal(verdict_json("{\"alg\":\"none\",\"typ\":\"JWT\"}"), JWT_BAD_ALG);
    assert_int_equal(verdict_json("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"x\"}"),
                     JWT_BAD_HEADER);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(jwt_header__minted_and_other_valid_spellings_pass),
        cmocka_unit_test(jwt_header__near_misses_take_the_strict_path),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
