/*
 * test_token.c - random opaque tokens (length, alphabet, uniqueness), the peppered storage hash
 * (known HMAC-SHA256 vector, pepper matters), constant-time checks, and the API key format.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "auth/token.h"
#include "base/rr_error.h"

static void token__random_has_the_requested_size_and_alphabet(void **state)
{
    (void)state;
    char a[128], b[128];
    assert_int_equal(token_random(TOKEN_BASE64URL, 32, a, sizeof a), 43);
    assert_int_equal(strlen(a), 43);
    assert_int_equal(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 43);
    assert_int_equal(token_random(TOKEN_BASE64URL, 32, b, sizeof b), 43);
    assert_string_not_equal(a, b);
    assert_int_equal(token_random(TOKEN_HEX, 16, a, sizeof a), 32);
    assert_int_equal(strspn(a, "0123456789abcdef"), 32);
    /* fewer than 128 bits, too many, unknown encoding, small buffer */
    assert_int_equal(token_random(TOKEN_HEX, 15, a, sizeof a), RR_ERR_INVAL);
    assert_int_equal(token_random(TOKEN_HEX, TOKEN_MAX_BYTES + 1, a, sizeof a), RR_ERR_INVAL);
    assert_int_equal(token_random((enum token_encoding)9, 32, a, sizeof a), RR_ERR_INVAL);
    assert_int_equal(token_random(TOKEN_HEX, 32, a, 64), RR_ERR_TOOBIG);
    assert_string_equal(a, "");
    assert_int_equal(token_random(TOKEN_HEX, 32, NULL, 64), RR_ERR_INVAL);

    /* 2,000 tokens of 16 bytes: no duplicate, hex digits spread evenly */
    static char seen[2000][33];
    unsigned digit_count[16] = {0};
    for (int i = 0; i < 2000; i++) {
        assert_int_equal(token_random(TOKEN_HEX, 16, seen[i], sizeof seen[i]), 32);
        for (int k = 0; k < 32; k++) {
            char ch = seen[i][k];
            digit_count[ch <= '9' ? ch - '0' : ch - 'a' + 10]++;
        }
    }
    for (int i = 0; i < 2000; i++)
        for (int j = i + 1; j < 2000; j++)
            assert_true(memcmp(seen[i], seen[j], 32) != 0);
    /* 64,000 digits, 4,000 expected per value: a broken generator would be far off */
    for (int d = 0; d < 16; d++)
        assert_true(digit_count[d] > 3400 && digit_count[d] < 4600);
}

static void token__hash_is_hmac_sha256_with_the_pepper(void **state)
{
    (void)state;
    /* expected value computed independently with OpenSSL:
     * printf 'rt_abc' | openssl dgst -sha256 -mac HMAC -macopt hexkey:0b0b...0b (32 bytes) */
    uint8_t pepper[32], other[32];
    memset(pepper, 0x0b, sizeof pepper);
    memset(other, 0x0c, sizeof other);
    char hex[TOKEN_HASH_HEX_SIZE], hex2[TOKEN_HASH_HEX_SIZE];
    assert_int_equal(token_hash_hex(pepper, sizeof pepper, "rt_abc", 6, hex), 0);
    assert_int_equal(strlen(hex), 64);
    assert_string_equal(hex, "e7ebc0d01d08f85998a8a2ce455777dced95e95763f7ba24c458f16caa1dced1");
    /* another pepper, another hash; same pepper, same hash */
    assert_int_equal(token_hash_hex(other, sizeof other, "rt_abc", 6, hex2), 0);
    assert_string_not_equal(hex, hex2);
    assert_int_equal(token_hash_hex(pepper, sizeof pepper, "rt_abc", 6, hex2), 0);
    assert_string_equal(hex, hex2);

    uint8_t h[TOKEN_HASH_BYTES];
    assert_int_equal(token_hash(pepper, 31, "x", 1, h), RR_ERR_INVAL); /* short pepper */
    assert_int_equal(token_hash(NULL, 32, "x", 1, h), RR_ERR_INVAL);
    assert_int_equal(token_hash(pepper, 32, NULL, 1, h), RR_ERR_INVAL);
    static char big[TOKEN_MAX_LEN + 1];
    memset(big, 'a', sizeof big);
    assert_int_equal(token_hash(pepper, 32, big, sizeof big, h), RR_ERR_TOOBIG);
    assert_int_equal(token_hash_hex(pepper, 32, big, sizeof big, hex), RR_ERR_TOOBIG);
    assert_string_equal(hex, "");
    assert_int_equal(token_hash_hex(pepper, 32, "x", 1, NULL), RR_ERR_INVAL);
}

static void token__check_matches_only_the_right_token(void **state)
{
    (void)state;
    uint8_t pepper[32];
    char tok[64], hex[TOKEN_HASH_HEX_SIZE];
    memset(pepper, 0x42, sizeof pepper);
    assert_true(token_random(TOKEN_BASE64URL, 32, tok, sizeof tok) > 0);
    assert_int_equal(token_hash_hex(pepper, 32, tok, strlen(tok), hex), 0);
    assert_int_equal(token_check(pepper, 32, tok, strlen(tok), hex), 0);
    /* one character off, one short, one longer: all refused */
    char bad[64];
    snprintf(bad, sizeof bad, "%s", tok);
    bad[0] = bad[0] == 'A' ? 'B' : 'A';
    assert_int_equal(token_check(pepper, 32, bad, strlen(bad), hex), RR_ERR_UNAUTHENTICATED);
    assert_int_equal(token_check(pepper, 32, tok, strlen(tok) - 1, hex), RR_ERR_UNAUTHENTICATED);
    /* stored hash in upper case still matches (hex is case-insensitive) */
    char upper[TOKEN_HASH_HEX_SIZE];
    for (int i = 0; i < 65; i++)
        upper[i] = (char)((hex[i] >= 'a' && hex[i] <= 'f') ? hex[i] - 32 : hex[i]);
    assert_int_equal(token_check(pepper, 32, tok, strlen(tok), upper), 0);
    /* malformed stored hashes never match */
    assert_int_equal(token_check(pepper, 32, tok, strlen(tok), ""), RR_ERR_UNAUTHENTICATED);
    char shorter[TOKEN_HASH_HEX_SIZE];
    memcpy(shorter, hex, 63);
    shorter[63] = '\0';
    assert_int_equal(token_check(pepper, 32, tok, strlen(tok), shorter), RR_ERR_UNAUTHENTICATED);
    char nonhex[TOKEN_HASH_HEX_SIZE];
    memcpy(nonhex, hex, 65);
    nonhex[10] = 'g';
    assert_int_equal(token_check(pepper, 32, tok, strlen(tok), nonhex), RR_ERR_UNAUTHENTICATED);
    char longer[80];
    snprintf(longer, sizeof longer, "%s00", hex);
    assert_int_equal(token_check(pepper, 32, tok, strlen(tok), longer), RR_ERR_UNAUTHENTICATED);
    assert_int_equal(token_check(pepper, 32, tok, strlen(tok), NULL), RR_ERR_INVAL);
    assert_int_equal(token_check(pepper, 8, tok, strlen(tok), hex), RR_ERR_INVAL);

    assert_int_equal(token_equal("abcd", "abcd", 4), 1);
    assert_int_equal(token_equal("abcd", "abce", 4), 0);
    assert_int_equal(token_equal(NULL, "abce", 4), 0);
}

static void token__apikey_has_the_documented_format_and_parses_back(void **state)
{
    (void)state;
    struct token_apikey k, k2;
    char prefix[TOKEN_APIKEY_PREFIX_LEN + 1];
    assert_int_equal(token_apikey_new(&k), 0);
    assert_int_equal(strlen(k.key), TOKEN_APIKEY_LEN);
    assert_int_equal(strlen(k.key), 85);
    assert_true(strncmp(k.key, "rr_live_", 8) == 0);
    assert_int_equal(strlen(k.prefix), 12);
    assert_true(strncmp(k.key + 8, k.prefix, 12) == 0);
    assert_int_equal(k.key[20], '_');
    assert_int_equal(strspn(k.key + 21, "0123456789abcdef"), 64);
    assert_int_equal(token_apikey_parse(k.key, strlen(k.key), prefix), 0);
    assert_string_equal(prefix, k.prefix);
    assert_int_equal(token_apikey_new(&k2), 0);
    assert_string_not_equal(k.key, k2.key);
    assert_string_not_equal(k.prefix, k2.prefix);
    assert_int_equal(token_apikey_new(NULL), RR_ERR_INVAL);

    /* the stored hash of the whole key verifies it; the prefix alone does not */
    uint8_t pepper[32];
    char hex[TOKEN_HASH_HEX_SIZE];
    memset(pepper, 7, sizeof pepper);
    assert_int_equal(token_hash_hex(pepper, 32, k.key, strlen(k.key), hex), 0);
    assert_int_equal(token_check(pepper, 32, k.key, strlen(k.key), hex), 0);
    assert_int_equal(token_check(pepper, 32, k2.key, strlen(k2.key), hex), RR_ERR_UNAUTHENTICATED);

    /* malformed keys */
    char bad[128];
    const char *mut[] = {"rr_test_", "RR_LIVE_", "rr_live-"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(bad, sizeof bad, "%s%s", mut[i], k.key + 8);
        assert_int_equal(token_apikey_parse(bad, strlen(bad), prefix), RR_ERR_CORRUPT);
        assert_string_equal(prefix, "");
    }
    snprintf(bad, sizeof bad, "%s", k.key);
    bad[10] = 'G'; /* prefix not lowercase hex */
    assert_int_equal(token_apikey_parse(bad, strlen(bad), prefix), RR_ERR_CORRUPT);
    snprintf(bad, sizeof bad, "%s", k.key);
    bad[20] = '-';
    assert_int_equal(token_apikey_parse(bad, strlen(bad), prefix), RR_ERR_CORRUPT);
    snprintf(bad, sizeof bad, "%s", k.key);
    bad[84] = 'z'; /* secret not hex */
    assert_int_equal(token_apikey_parse(bad, strlen(bad), prefix), RR_ERR_CORRUPT);
    assert_int_equal(token_apikey_parse(k.key, strlen(k.key) - 1, prefix), RR_ERR_CORRUPT);
    snprintf(bad, sizeof bad, "%s0", k.key);
    assert_int_equal(token_apikey_parse(bad, strlen(bad), prefix), RR_ERR_CORRUPT);
    assert_int_equal(token_apikey_parse(NULL, 0, prefix), RR_ERR_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(token__random_has_the_requested_size_and_alphabet),
        cmocka_unit_test(token__hash_is_hmac_sha256_with_the_pepper),
        cmocka_unit_test(token__check_matches_only_the_right_token),
        cmocka_unit_test(token__apikey_has_the_documented_format_and_parses_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
