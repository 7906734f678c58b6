/* media_sig.c - signed, expiring media links (media_sig.h). */
#include "auth/media_sig.h"

#include "base/rr_error.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define SIG_DOMAIN "repright-media/1\nGET\n"
#define EXP_DIGITS_MAX 12

static int mac(const uint8_t key[MEDIA_SIG_KEY_BYTES], const char *path, const char *uid,
               int64_t exp, uint8_t out[crypto_auth_hmacsha256_BYTES])
{
    size_t pl = path ? strnlen(path, MEDIA_SIG_PATH_MAX + 1) : 0;
    size_t ul = uid ? strnlen(uid, MEDIA_SIG_UID_MAX + 1) : 0;
    if (!key || pl == 0 || pl > MEDIA_SIG_PATH_MAX || ul == 0 || ul > MEDIA_SIG_UID_MAX ||
        exp <= 0 || memchr(path, '\n', pl) || memchr(uid, '\n', ul))
        return RR_ERR_INVAL;
    char exp_s[24];
    snprintf(exp_s, sizeof exp_s, "%lld", (long long)exp);
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, MEDIA_SIG_KEY_BYTES);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)SIG_DOMAIN, sizeof SIG_DOMAIN - 1);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)path, pl);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)"\n", 1);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)uid, ul);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)"\n", 1);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)exp_s, strlen(exp_s));
    crypto_auth_hmacsha256_final(&st, out);
    sodium_memzero(&st, sizeof st);
    return 0;
}

int media_sig_make(const uint8_t key[MEDIA_SIG_KEY_BYTES], const char *path, const char *uid,
                   int64_t exp, char hex[MEDIA_SIG_HEX_SIZE])
{
    uint8_t m[crypto_auth_hmacsha256_BYTES];
    if (!hex)
        return RR_ERR_INVAL;
    int rc = mac(key, path, uid, exp, m);
    if (rc < 0)
        return rc;
    sodium_bin2hex(hex, MEDIA_SIG_HEX_SIZE, m, sizeof m);
    return 0;
}

/* Strict decimal: 1..EXP_DIGITS_MAX digits, no sign, no leading zero. */
static int parse_exp(const char *s, int64_t *out)
{
    size_t n = s ? strnlen(s, EXP_DIGITS_MAX + 1) : 0;
    if (n == 0 || n > EXP_DIGITS_MAX || s[0] == '0')
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int media_sig_check(const uint8_t key[MEDIA_SIG_KEY_BYTES], const char *path, const char *uid,
                    const char *exp_s, const char *sig, int64_t now)
{
    int64_t exp = 0;
    uint8_t want[crypto_auth_hmacsha256_BYTES], got[crypto_auth_hmacsha256_BYTES];
    if (!key || !path || !uid)
        return RR_ERR_INVAL;
    if (parse_exp(exp_s, &exp) < 0 || !sig ||
        strnlen(sig, MEDIA_SIG_HEX_SIZE) != MEDIA_SIG_HEX_SIZE - 1)
        return RR_ERR_UNAUTHENTICATED;
    if (exp < now || exp - now > MEDIA_SIG_TTL_MAX_S)
        return RR_ERR_UNAUTHENTICATED;
    size_t bin_len = 0;
    if (sodium_hex2bin(got, sizeof got, sig, MEDIA_SIG_HEX_SIZE - 1, NULL, &bin_len, NULL) != 0 ||
        bin_len != sizeof got)
        return RR_ERR_UNAUTHENTICATED;
    if (mac(key, path, uid, exp, want) < 0)
        return RR_ERR_UNAUTHENTICATED;
    int ok = sodium_memcmp(want, got, sizeof want) == 0;
    sodium_memzero(want, sizeof want);
    return ok ? 0 : RR_ERR_UNAUTHENTICATED;
}
