/*
 * token.c - random opaque tokens, their peppered storage hash, constant-time comparison, and the
 * "rr_live_<prefix>_<secret>" API key format (see token.h for the reasoning).
 */
#include "auth/token.h"

#include <sodium.h>
#include <string.h>

#include "base/rr_error.h"

int token_random(enum token_encoding enc, size_t nbytes, char *out, size_t out_size)
{
    uint8_t raw[TOKEN_MAX_BYTES];
    size_t need;
    int err;

    if (!out || out_size == 0)
        return RR_ERR_INVAL;
    out[0] = '\0';
    if (nbytes < TOKEN_MIN_BYTES || nbytes > TOKEN_MAX_BYTES)
        return RR_ERR_INVAL;
    if (enc == TOKEN_HEX)
        need = nbytes * 2 + 1;
    else if (enc == TOKEN_BASE64URL)
        need = sodium_base64_ENCODED_LEN(nbytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    else
        return RR_ERR_INVAL;
    if (need > out_size)
        return RR_ERR_TOOBIG;
    if (sodium_init() < 0)
        return RR_ERR_INTERNAL;
    randombytes_buf(raw, nbytes);
    if (enc == TOKEN_HEX)
        sodium_bin2hex(out, out_size, raw, nbytes);
    else
        sodium_bin2base64(out, out_size, raw, nbytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    err = (int)strlen(out);
    sodium_memzero(raw, sizeof raw);
    return err;
}

int token_hash(const uint8_t *pepper, size_t pepper_len, const char *token, size_t len,
               uint8_t out[TOKEN_HASH_BYTES])
{
    crypto_auth_hmacsha256_state st;
    if (!pepper || !out || (!token && len) || pepper_len < TOKEN_PEPPER_MIN)
        return RR_ERR_INVAL;
    if (len > TOKEN_MAX_LEN)
        return RR_ERR_TOOBIG;
    if (sodium_init() < 0)
        return RR_ERR_INTERNAL;
    crypto_auth_hmacsha256_init(&st, pepper, pepper_len);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)(token ? token : ""), len);
    crypto_auth_hmacsha256_final(&st, out);
    sodium_memzero(&st, sizeof st);
    return 0;
}

int token_hash_hex(const uint8_t *pepper, size_t pepper_len, const char *token, size_t len,
                   char out[TOKEN_HASH_HEX_SIZE])
{
    uint8_t h[TOKEN_HASH_BYTES];
    int err;
    if (!out)
        return RR_ERR_INVAL;
    out[0] = '\0';
    err = token_hash(pepper, pepper_len, token, len, h);
    if (err)
        return err;
    sodium_bin2hex(out, TOKEN_HASH_HEX_SIZE, h, sizeof h);
    return 0;
}

int token_equal(const void *a, const void *b, size_t n)
{
    if (!a || !b)
        return 0;
    return sodium_memcmp(a, b, n) == 0;
}

int token_check(const uint8_t *pepper, size_t pepper_len, const char *token, size_t len,
                const char *stored_hex)
{
    uint8_t want[TOKEN_HASH_BYTES], got[TOKEN_HASH_BYTES];
    size_t bin_len = 0;
    const char *end = NULL;
    int err;

    if (!stored_hex)
        return RR_ERR_INVAL;
    err = token_hash(pepper, pepper_len, token, len, got);
    if (err)
        return err;
    if (strnlen(stored_hex, TOKEN_HASH_HEX_SIZE) != TOKEN_HASH_HEX_SIZE - 1 ||
        sodium_hex2bin(want, sizeof want, stored_hex, TOKEN_HASH_HEX_SIZE - 1, NULL, &bin_len,
                       &end) != 0 ||
        bin_len != sizeof want || *end != '\0') {
        err = RR_ERR_UNAUTHENTICATED;
        goto out;
    }
    err = token_equal(want, got, sizeof got) ? 0 : RR_ERR_UNAUTHENTICATED;
out:
    sodium_memzero(got, sizeof got);
    return err;
}

int token_apikey_new(struct token_apikey *out)
{
    uint8_t prefix[TOKEN_APIKEY_PREFIX_LEN / 2], secret[TOKEN_APIKEY_SECRET_LEN / 2];
    size_t tag = sizeof TOKEN_APIKEY_TAG - 1, pos;

    if (!out)
        return RR_ERR_INVAL;
    memset(out, 0, sizeof *out);
    if (sodium_init() < 0)
        return RR_ERR_INTERNAL;
    randombytes_buf(prefix, sizeof prefix);
    randombytes_buf(secret, sizeof secret);
    sodium_bin2hex(out->prefix, sizeof out->prefix, prefix, sizeof prefix);
    memcpy(out->key, TOKEN_APIKEY_TAG, tag);
    pos = tag;
    memcpy(out->key + pos, out->prefix, TOKEN_APIKEY_PREFIX_LEN);
    pos += TOKEN_APIKEY_PREFIX_LEN;
    out->key[pos++] = '_';
    sodium_bin2hex(out->key + pos, sizeof out->key - pos, secret, sizeof secret);
    sodium_memzero(secret, sizeof secret);
    return 0;
}

static int all_lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return 0;
    }
    return 1;
}

int token_apikey_parse(const char *key, size_t len, char prefix[TOKEN_APIKEY_PREFIX_LEN + 1])
{
    size_t tag = sizeof TOKEN_APIKEY_TAG - 1;
    if (!key || !prefix)
        return RR_ERR_INVAL;
    prefix[0] = '\0';
    if (len != TOKEN_APIKEY_LEN)
        return RR_ERR_CORRUPT;
    /* The tag and layout are public; only the secret part needs constant time, and it is never
     * compared here (token_check hashes the whole key). */
    if (memcmp(key, TOKEN_APIKEY_TAG, tag) != 0 || /* cmp-ok: public tag */
        !all_lower_hex(key + tag, TOKEN_APIKEY_PREFIX_LEN) ||
        key[tag + TOKEN_APIKEY_PREFIX_LEN] != '_' ||
        !all_lower_hex(key + tag + TOKEN_APIKEY_PREFIX_LEN + 1, TOKEN_APIKEY_SECRET_LEN))
        return RR_ERR_CORRUPT;
    memcpy(prefix, key + tag, TOKEN_APIKEY_PREFIX_LEN);
    prefix[TOKEN_APIKEY_PREFIX_LEN] = '\0';
    return 0;
}
