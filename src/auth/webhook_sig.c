/* webhook_sig.c - Standard Webhooks signatures (webhook_sig.h). */
#include "auth/webhook_sig.h"

#include "base/rr_error.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define PREFIX_LEN (sizeof WEBHOOK_SIG_PREFIX - 1)
#define TS_DIGITS_MAX 12

void webhook_sig_secret_new(char out[WEBHOOK_SIG_SECRET_SIZE])
{
    uint8_t key[WEBHOOK_SIG_KEY_BYTES];
    randombytes_buf(key, sizeof key);
    memcpy(out, WEBHOOK_SIG_PREFIX, PREFIX_LEN);
    sodium_bin2base64(out + PREFIX_LEN, WEBHOOK_SIG_SECRET_SIZE - PREFIX_LEN, key, sizeof key,
                      sodium_base64_VARIANT_ORIGINAL);
    sodium_memzero(key, sizeof key);
}

/* The key bytes of "whsec_<base64>"; INVAL unless 24..64 bytes decode. */
static int secret_key(const char *secret, uint8_t key[WEBHOOK_SIG_KEY_MAX], size_t *len)
{
    if (!secret || strncmp(secret, WEBHOOK_SIG_PREFIX, PREFIX_LEN) != 0) /* cmp-ok: format tag */
        return RR_ERR_INVAL;
    const char *b64 = secret + PREFIX_LEN;
    size_t n = strnlen(b64, WEBHOOK_SIG_SECRET_SIZE);
    if (n == 0 || n >= WEBHOOK_SIG_SECRET_SIZE - PREFIX_LEN)
        return RR_ERR_INVAL;
    const char *end = NULL;
    if (sodium_base642bin(key, WEBHOOK_SIG_KEY_MAX, b64, n, NULL, len, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != b64 + n || *len < WEBHOOK_SIG_KEY_MIN)
        return RR_ERR_INVAL;
    return 0;
}

static int id_ok(const char *id)
{
    size_t n = id ? strnlen(id, WEBHOOK_SIG_ID_MAX + 1) : 0;
    if (n == 0 || n > WEBHOOK_SIG_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (id[i] == '.' || (unsigned char)id[i] < 0x21 || id[i] == 0x7f)
            return 0;
    return 1;
}

static int mac(const char *secret, const char *msg_id, int64_t ts, const void *body,
               size_t body_len, uint8_t out[crypto_auth_hmacsha256_BYTES])
{
    uint8_t key[WEBHOOK_SIG_KEY_MAX];
    size_t klen = 0;
    if (!id_ok(msg_id) || ts < 0 || (!body && body_len))
        return RR_ERR_INVAL;
    int rc = secret_key(secret, key, &klen);
    if (rc < 0)
        return rc;
    char ts_s[24];
    snprintf(ts_s, sizeof ts_s, "%lld", (long long)ts);
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, klen);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg_id, strlen(msg_id));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts_s, strlen(ts_s));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
    if (body_len)
        crypto_auth_hmacsha256_update(&st, body, body_len);
    crypto_auth_hmacsha256_final(&st, out);
    sodium_memzero(&st, sizeof st);
    sodium_memzero(key, sizeof key);
    return 0;
}

int webhook_sig_sign(const char *secret, const char *msg_id, int64_t timestamp, const void *body,
                     size_t body_len, char out[WEBHOOK_SIG_SIZE])
{
    uint8_t m[crypto_auth_hmacsha256_BYTES];
    if (!out)
        return RR_ERR_INVAL;
    int rc = mac(secret, msg_id, timestamp, body, body_len, m);
    if (rc < 0)
        return rc;
    memcpy(out, "v1,", 3);
    sodium_bin2base64(out + 3, WEBHOOK_SIG_SIZE - 3, m, sizeof m, sodium_base64_VARIANT_ORIGINAL);
    return 0;
}

/* Strict decimal: 1..TS_DIGITS_MAX digits, no sign. */
static int parse_ts(const char *s, int64_t *out)
{
    size_t n = s ? strnlen(s, TS_DIGITS_MAX + 1) : 0;
    if (n == 0 || n > TS_DIGITS_MAX)
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

int webhook_sig_verify(const char *secret, const char *msg_id, const char *timestamp_s,
                       const void *body, size_t body_len, const char *sig_header, int64_t now,
                       int64_t tolerance_s)
{
    int64_t ts = 0;
    uint8_t want[crypto_auth_hmacsha256_BYTES];
    if (!sig_header || parse_ts(timestamp_s, &ts) < 0)
        return RR_ERR_UNAUTHENTICATED;
    if (ts > now + tolerance_s || ts < now - tolerance_s)
        return RR_ERR_UNAUTHENTICATED;
    int rc = mac(secret, msg_id, ts, body, body_len, want);
    if (rc < 0)
        return rc == RR_ERR_INVAL ? RR_ERR_UNAUTHENTICATED : rc;
    int ok = 0;
    const char *p = sig_header;
    for (int entries = 0; *p && entries < 16; entries++) {
        while (*p == ' ')
            p++;
        size_t len = strcspn(p, " ");
        uint8_t got[crypto_auth_hmacsha256_BYTES];
        size_t glen = 0;
        const char *end = NULL;
        if (len > 3 && strncmp(p, "v1,", 3) == 0 && /* cmp-ok: version tag */
            sodium_base642bin(got, sizeof got, p + 3, len - 3, NULL, &glen, &end,
                              sodium_base64_VARIANT_ORIGINAL) == 0 &&
            end == p + len && glen == sizeof got && sodium_memcmp(got, want, sizeof got) == 0)
            ok = 1;
        p += len;
    }
    sodium_memzero(want, sizeof want);
    return ok ? 0 : RR_ERR_UNAUTHENTICATED;
}

#define SEAL_TAG "enc1:"
#define SEAL_TAG_LEN (sizeof SEAL_TAG - 1)
#define SEAL_RAW_MAX                                                                               \
    (crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + WEBHOOK_SIG_SECRET_SIZE)

int webhook_sig_seal(const uint8_t key[32], const char *secret,
                     char out[WEBHOOK_SIG_SEALED_SIZE])
{
    size_t n = secret ? strnlen(secret, WEBHOOK_SIG_SECRET_SIZE) : 0;
    if (!key || !out || n == 0 || n >= WEBHOOK_SIG_SECRET_SIZE)
        return RR_ERR_INVAL;
    uint8_t raw[SEAL_RAW_MAX];
    randombytes_buf(raw, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(raw + crypto_secretbox_NONCEBYTES, (const unsigned char *)secret, n,
                          raw, key);
    size_t rawlen = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + n;
    if (SEAL_TAG_LEN + sodium_base64_ENCODED_LEN(rawlen, sodium_base64_VARIANT_ORIGINAL) >
        WEBHOOK_SIG_SEALED_SIZE)
        return RR_ERR_TOOBIG;
    memcpy(out, SEAL_TAG, SEAL_TAG_LEN);
    sodium_bin2base64(out + SEAL_TAG_LEN, WEBHOOK_SIG_SEALED_SIZE - SEAL_TAG_LEN, raw, rawlen,
                      sodium_base64_VARIANT_ORIGINAL);
    return 0;
}

int webhook_sig_open(const uint8_t key[32], const char *sealed,
                     char out[WEBHOOK_SIG_SECRET_SIZE])
{
    if (!key || !out || !sealed ||
        strncmp(sealed, SEAL_TAG, SEAL_TAG_LEN) != 0) /* cmp-ok: format tag */
        return RR_ERR_INVAL;
    const char *b64 = sealed + SEAL_TAG_LEN;
    size_t n = strnlen(b64, WEBHOOK_SIG_SEALED_SIZE);
    uint8_t raw[SEAL_RAW_MAX];
    size_t rawlen = 0;
    const char *end = NULL;
    if (n >= WEBHOOK_SIG_SEALED_SIZE ||
        sodium_base642bin(raw, sizeof raw, b64, n, NULL, &rawlen, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != b64 + n || rawlen <= crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
        return RR_ERR_INVAL;
    size_t plen = rawlen - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
    if (plen >= WEBHOOK_SIG_SECRET_SIZE ||
        crypto_secretbox_open_easy((unsigned char *)out, raw + crypto_secretbox_NONCEBYTES,
                                   rawlen - crypto_secretbox_NONCEBYTES, raw, key) != 0)
        return RR_ERR_INVAL;
    out[plen] = '\0';
    return 0;
}
