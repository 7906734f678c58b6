/*
 * jwt.c - HS256 JSON Web Tokens with a pinned algorithm and strict claims (see jwt.h).
 *
 * DESIGN. Verification refuses as early and as cheaply as it can, in this order: size cap,
 * three segments of the base64url alphabet, header (small strict JSON: alg must be HS256, only
 * alg/typ allowed), signature (exactly 32 bytes, HMAC-SHA256 over "header.payload", compared with
 * sodium_memcmp), and only then the payload JSON and its claims. The payload of a token whose
 * MAC does not match is never parsed. Every decoded segment lives in a stack buffer bounded by
 * JWT_MAX_TOKEN, so no input size reaches an allocator except jansson's own (bounded the same way).
 * Reasons are reported for logs; callers answer every failure with the same 401.
 */
#include "auth/jwt.h"

#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "base/rr_error.h"

#define B64URL sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define SIG_BYTES crypto_auth_hmacsha256_BYTES

/* base64url({"alg":"HS256","typ":"JWT"}) */
static const char header_b64[] = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

static const char *const reason_names[] = {
    [JWT_OK] = "ok",
    [JWT_TOO_LONG] = "too_long",
    [JWT_MALFORMED] = "malformed",
    [JWT_BAD_HEADER] = "bad_header",
    [JWT_BAD_ALG] = "bad_alg",
    [JWT_BAD_SIGNATURE] = "bad_signature",
    [JWT_BAD_PAYLOAD] = "bad_payload",
    [JWT_MISSING_CLAIM] = "missing_claim",
    [JWT_EXPIRED] = "expired",
    [JWT_NOT_YET_VALID] = "not_yet_valid",
    [JWT_BAD_LIFETIME] = "bad_lifetime",
    [JWT_WRONG_ISSUER] = "wrong_issuer",
    [JWT_WRONG_AUDIENCE] = "wrong_audience",
    [JWT_WRONG_TYPE] = "wrong_type",
};

const char *jwt_reason_name(enum jwt_reason r)
{
    if ((unsigned)r < sizeof reason_names / sizeof reason_names[0] && reason_names[r])
        return reason_names[r];
    return "unknown";
}

const char *jwt_typ_name(enum jwt_typ t)
{
    switch (t) {
    case JWT_TYP_ACCESS:
        return "access";
    case JWT_TYP_REFRESH:
        return "refresh";
    }
    return NULL;
}

/* Plain equality of public strings (claim names, issuer, audience). Not for secrets. */
static int str_eq(const char *a, const char *b)
{
    return strcmp(a, b) == 0; /* cmp-ok: public identifiers, never secrets */
}

static int64_t max_lifetime(enum jwt_typ t)
{
    return t == JWT_TYP_ACCESS ? JWT_ACCESS_MAX_S : JWT_REFRESH_MAX_S;
}

static void hmac(const uint8_t *secret, size_t secret_len, const char *msg, size_t len,
                 uint8_t mac[SIG_BYTES])
{
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, secret, secret_len);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg, len);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_memzero(&st, sizeof st);
}

static int is_b64url_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_';
}

/* Decode s[0..n) (unpadded base64url, canonical) into out[0..max); 0 or -1. */
static int b64url_decode(const char *s, size_t n, uint8_t *out, size_t max, size_t *out_len)
{
    *out_len = 0;
    if (n == 0)
        return -1;
    if (sodium_base642bin(out, max, s, n, NULL, out_len, NULL, B64URL) != 0)
        return -1;
    return 0;
}

/* ---- signing ---- */

static int string_claim_ok(const char *s)
{
    size_t n = strnlen(s, JWT_FIELD_MAX);
    return n > 0 && n < JWT_FIELD_MAX;
}

static int time_ok(int64_t t)
{
    return t >= 0 && t <= JWT_TIME_MAX;
}

int jwt_sign(const struct jwt_claims *c, const uint8_t *secret, size_t secret_len, char *out,
             size_t out_size)
{
    json_t *obj = NULL;
    char *payload = NULL;
    const char *typ;
    size_t plen, hlen = sizeof header_b64 - 1, pos, need;
    uint8_t mac[SIG_BYTES];
    int err = 0;

    if (!c || !secret || !out || out_size == 0)
        return RR_ERR_INVAL;
    out[0] = '\0';
    typ = jwt_typ_name(c->typ);
    if (secret_len < JWT_SECRET_MIN || secret_len > JWT_SECRET_MAX || !typ)
        return RR_ERR_INVAL;
    if (!string_claim_ok(c->iss) || !string_claim_ok(c->aud) || !string_claim_ok(c->sub) ||
        !string_claim_ok(c->jti))
        return RR_ERR_INVAL;
    if (!time_ok(c->iat) || !time_ok(c->nbf) || !time_ok(c->exp) || c->exp <= c->iat ||
        c->nbf > c->exp || c->exp - c->iat > max_lifetime(c->typ))
        return RR_ERR_INVAL;
    if (sodium_init() < 0)
        return RR_ERR_INTERNAL;

    obj = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s}", "iss", c->iss, "sub", c->sub,
                    "aud", c->aud, "typ", typ, "iat", (json_int_t)c->iat, "nbf",
                    (json_int_t)c->nbf, "exp", (json_int_t)c->exp, "jti", c->jti);
    if (!obj) {
        err = RR_ERR_INVAL; /* invalid UTF-8 in a string claim */
        goto out;
    }
    payload = json_dumps(obj, JSON_COMPACT);
    if (!payload) {
        err = RR_ERR_NOMEM;
        goto out;
    }
    plen = strlen(payload);
    if (plen > JWT_MAX_TOKEN) {
        err = RR_ERR_TOOBIG;
        goto out;
    }
    /* header "." payload "." signature, NUL; the macro counts each segment's NUL too */
    need = hlen + 1 + (sodium_base64_ENCODED_LEN(plen, B64URL) - 1) + 1 +
           (sodium_base64_ENCODED_LEN(SIG_BYTES, B64URL) - 1) + 1;
    if (need > out_size || need - 1 > JWT_MAX_TOKEN) {
        err = RR_ERR_TOOBIG;
        goto out;
    }
    memcpy(out, header_b64, hlen);
    pos = hlen;
    out[pos++] = '.';
    sodium_bin2base64(out + pos, out_size - pos, (const unsigned char *)payload, plen, B64URL);
    pos += strlen(out + pos);
    hmac(secret, secret_len, out, pos, mac);
    out[pos++] = '.';
    sodium_bin2base64(out + pos, out_size - pos, mac, sizeof mac, B64URL);
    pos += strlen(out + pos);
    err = (int)pos;
out:
    if (err < 0)
        out[0] = '\0';
    sodium_memzero(mac, sizeof mac);
    free(payload);
    json_decref(obj);
    return err;
}

/* ---- verification ---- */

static enum jwt_reason check_header(const uint8_t *buf, size_t n)
{
    json_error_t jerr;
    json_t *h = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, &jerr);
    enum jwt_reason r = JWT_OK;
    const char *key;
    json_t *val;
    int have_alg = 0;

    if (!h || !json_is_object(h)) {
        r = JWT_BAD_HEADER;
        goto out;
    }
    json_object_foreach(h, key, val) {
        if (str_eq(key, "alg")) {
            if (!json_is_string(val) || !str_eq(json_string_value(val), "HS256")) {
                r = JWT_BAD_ALG;
                goto out;
            }
            have_alg = 1;
        } else if (str_eq(key, "typ")) {
            if (!json_is_string(val) || !str_eq(json_string_value(val), "JWT")) {
                r = JWT_BAD_HEADER;
                goto out;
            }
        } else {
            r = JWT_BAD_HEADER; /* kid, crit, jku, x5u, cty, anything unknown */
            goto out;
        }
    }
    if (!have_alg)
        r = JWT_BAD_ALG;
out:
    json_decref(h);
    return r;
}

enum claim_kind { CLAIM_STR, CLAIM_TYP, CLAIM_TIME };

struct claim_spec {
    const char *name;
    enum claim_kind kind;
    size_t offset; /* into struct jwt_claims */
};

static const struct claim_spec claim_specs[] = {
    {"iss", CLAIM_STR, offsetof(struct jwt_claims, iss)},
    {"aud", CLAIM_STR, offsetof(struct jwt_claims, aud)},
    {"sub", CLAIM_STR, offsetof(struct jwt_claims, sub)},
    {"jti", CLAIM_STR, offsetof(struct jwt_claims, jti)},
    {"typ", CLAIM_TYP, offsetof(struct jwt_claims, typ)},
    {"iat", CLAIM_TIME, offsetof(struct jwt_claims, iat)},
    {"nbf", CLAIM_TIME, offsetof(struct jwt_claims, nbf)},
    {"exp", CLAIM_TIME, offsetof(struct jwt_claims, exp)},
};
#define N_CLAIMS (sizeof claim_specs / sizeof claim_specs[0])

static enum jwt_reason read_claim(const struct claim_spec *spec, json_t *val, struct jwt_claims *c)
{
    char *base = (char *)c + spec->offset;
    switch (spec->kind) {
    case CLAIM_STR: {
        size_t n;
        if (!json_is_string(val))
            return JWT_BAD_PAYLOAD;
        n = json_string_length(val);
        if (n == 0 || n >= JWT_FIELD_MAX || memchr(json_string_value(val), '\0', n))
            return JWT_BAD_PAYLOAD;
        memcpy(base, json_string_value(val), n);
        base[n] = '\0';
        return JWT_OK;
    }
    case CLAIM_TYP: {
        enum jwt_typ t;
        if (!json_is_string(val))
            return JWT_BAD_PAYLOAD;
        if (str_eq(json_string_value(val), "access"))
            t = JWT_TYP_ACCESS;
        else if (str_eq(json_string_value(val), "refresh"))
            t = JWT_TYP_REFRESH;
        else
            return JWT_BAD_PAYLOAD;
        memcpy(base, &t, sizeof t);
        return JWT_OK;
    }
    case CLAIM_TIME: {
        int64_t v;
        if (!json_is_integer(val))
            return JWT_BAD_PAYLOAD;
        v = (int64_t)json_integer_value(val);
        if (!time_ok(v))
            return JWT_BAD_PAYLOAD;
        memcpy(base, &v, sizeof v);
        return JWT_OK;
    }
    }
    return JWT_BAD_PAYLOAD;
}

static enum jwt_reason parse_claims(const uint8_t *buf, size_t n, struct jwt_claims *c)
{
    json_error_t jerr;
    json_t *p = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, &jerr);
    enum jwt_reason r = JWT_OK;
    unsigned seen = 0;
    const char *key;
    json_t *val;

    if (!p || !json_is_object(p)) {
        r = JWT_BAD_PAYLOAD;
        goto out;
    }
    json_object_foreach(p, key, val) {
        size_t i;
        for (i = 0; i < N_CLAIMS; i++)
            if (str_eq(key, claim_specs[i].name))
                break;
        if (i == N_CLAIMS) {
            r = JWT_BAD_PAYLOAD; /* we mint every token: an unknown claim is not ours */
            goto out;
        }
        r = read_claim(&claim_specs[i], val, c);
        if (r != JWT_OK)
            goto out;
        seen |= 1u << i;
    }
    if (seen != (1u << N_CLAIMS) - 1u)
        r = JWT_MISSING_CLAIM;
out:
    json_decref(p);
    return r;
}

static enum jwt_reason check_claims(const struct jwt_claims *c, const struct jwt_expect *e,
                                    int64_t now)
{
    if (c->exp <= c->iat || c->nbf > c->exp || c->exp - c->iat > max_lifetime(c->typ))
        return JWT_BAD_LIFETIME;
    if (c->typ != e->typ)
        return JWT_WRONG_TYPE;
    if (!str_eq(c->iss, e->iss))
        return JWT_WRONG_ISSUER;
    if (!str_eq(c->aud, e->aud))
        return JWT_WRONG_AUDIENCE;
    if (now >= c->exp + JWT_LEEWAY_S)
        return JWT_EXPIRED;
    if (c->nbf > now + JWT_LEEWAY_S || c->iat > now + JWT_LEEWAY_S)
        return JWT_NOT_YET_VALID;
    return JWT_OK;
}

int jwt_verify(const char *token, size_t len, const uint8_t *secret, size_t secret_len,
               const struct jwt_expect *expect, int64_t now, struct jwt_claims *out,
               enum jwt_reason *reason)
{
    uint8_t buf[JWT_MAX_TOKEN];
    uint8_t sig[SIG_BYTES + 8], mac[SIG_BYTES];
    const char *dot1 = NULL, *dot2 = NULL;
    size_t n, sig_len;
    enum jwt_reason r = JWT_OK;
    int err = 0;

    if (out)
        memset(out, 0, sizeof *out);
    if (reason)
        *reason = JWT_OK;
    if (!token || !secret || !expect || !expect->iss || !expect->aud || !out ||
        !jwt_typ_name(expect->typ) || secret_len < JWT_SECRET_MIN || secret_len > JWT_SECRET_MAX ||
        now < 0 || now > JWT_TIME_MAX)
        return RR_ERR_INVAL;
    if (sodium_init() < 0)
        return RR_ERR_INTERNAL;

    if (len > JWT_MAX_TOKEN) {
        r = JWT_TOO_LONG;
        goto out;
    }
    for (size_t i = 0; i < len; i++) {
        if (token[i] == '.') {
            if (dot2) {
                r = JWT_MALFORMED;
                goto out;
            }
            if (dot1)
                dot2 = token + i;
            else
                dot1 = token + i;
        } else if (!is_b64url_char(token[i])) {
            r = JWT_MALFORMED;
            goto out;
        }
    }
    if (!dot2 || dot1 == token || dot2 == dot1 + 1) {
        r = JWT_MALFORMED; /* also an empty header or payload */
        goto out;
    }

    /* The header we mint is one fixed string: when the token carries exactly it, it is known
     * good and is not decoded into a json_t (no allocation on the hot path). Any other header
     * goes through the strict check below. */
    if ((size_t)(dot1 - token) != sizeof header_b64 - 1 ||
        memcmp(token, header_b64, sizeof header_b64 - 1) != 0) { /* cmp-ok: public header */
        if (b64url_decode(token, (size_t)(dot1 - token), buf, sizeof buf, &n) != 0) {
            r = JWT_MALFORMED;
            goto out;
        }
        r = check_header(buf, n);
        if (r != JWT_OK)
            goto out;
    }

    if (b64url_decode(dot2 + 1, (size_t)(token + len - dot2 - 1), sig, sizeof sig, &sig_len) != 0 ||
        sig_len != SIG_BYTES) {
        r = JWT_BAD_SIGNATURE;
        goto out;
    }
    hmac(secret, secret_len, token, (size_t)(dot2 - token), mac);
    if (sodium_memcmp(mac, sig, SIG_BYTES) != 0) {
        r = JWT_BAD_SIGNATURE;
        goto out;
    }

    if (b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), buf, sizeof buf, &n) != 0) {
        r = JWT_MALFORMED;
        goto out;
    }
    r = parse_claims(buf, n, out);
    if (r != JWT_OK)
        goto out;
    r = check_claims(out, expect, now);
out:
    sodium_memzero(mac, sizeof mac);
    if (r != JWT_OK) {
        memset(out, 0, sizeof *out);
        err = RR_ERR_UNAUTHENTICATED;
    }
    if (reason)
        *reason = r;
    return err;
}
