/*
 * test_jwt.c - HS256 tokens: sign/verify round trip, and a corpus of bad tokens that must all be
 * refused with the right reason (alg none/switched, signature faults, times, issuer, audience,
 * type confusion, oversize header, non-JSON, duplicate keys, missing or extra claims).
 * Hostile tokens are forged in the test with a correct MAC where the point is to reach the claim
 * checks, so each case fails for exactly the reason it names.
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

static uint8_t secret[32];
static const struct jwt_expect access_expect = {"https://repright.test", "repright-api", JWT_TYP_ACCESS};

static int group_setup(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof secret; i++)
        secret[i] = (uint8_t)(i * 7 + 3);
    return sodium_init() < 0 ? -1 : 0;
}

static struct jwt_claims good_claims(void)
{
    struct jwt_claims c;
    memset(&c, 0, sizeof c);
    snprintf(c.iss, sizeof c.iss, "https://repright.test");
    snprintf(c.aud, sizeof c.aud, "repright-api");
    snprintf(c.sub, sizeof c.sub, "user-0123456789abcdef");
    snprintf(c.jti, sizeof c.jti, "jti-42");
    c.typ = JWT_TYP_ACCESS;
    c.iat = NOW;
    c.nbf = NOW;
    c.exp = NOW + 900;
    return c;
}

static void b64(const void *data, size_t n, char *out, size_t out_size)
{
    sodium_bin2base64(out, out_size, data, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* header_json . payload_json . HMAC(key) — a forged token with a correct signature. */
static char *forge(const char *header_json, const char *payload_json, const uint8_t *key,
                   size_t key_len)
{
    size_t hl = strlen(header_json), pl = strlen(payload_json);
    size_t cap = (hl + pl) * 2 + 200;
    char *t = malloc(cap);
    uint8_t mac[32];
    assert_non_null(t);
    b64(header_json, hl, t, cap);
    size_t n = strlen(t);
    t[n++] = '.';
    b64(payload_json, pl, t + n, cap - n);
    n += strlen(t + n);
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, key_len);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)t, n);
    crypto_auth_hmacsha256_final(&st, mac);
    t[n++] = '.';
    b64(mac, sizeof mac, t + n, cap - n);
    return t;
}

static const char *std_header = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

static char *payload_json(const char *typ, long long iat, long long nbf, long long exp,
                          const char *extra)
{
    char *p = malloc(1024);
    assert_non_null(p);
    snprintf(p, 1024,
             "{\"iss\":\"https://repright.test\",\"aud\":\"repright-api\",\"sub\":\"u1\","
             "\"typ\":\"%s\",\"iat\":%lld,\"nbf\":%lld,\"exp\":%lld,\"jti\":\"j1\"%s}",
             typ, iat, nbf, exp, extra ? extra : "");
    return p;
}

static int verify_str(const char *tok, const struct jwt_expect *e, int64_t now,
                      enum jwt_reason *why)
{
    struct jwt_claims out;
    return jwt_verify(tok, strlen(tok), secret, sizeof secret, e, now, &out, why);
}

static void jwt__round_trip_returns_the_claims(void **state)
{
    (void)state;
    struct jwt_claims c = good_claims(), out;
    char tok[JWT_MAX_TOKEN];
    enum jwt_reason why;
    int n = jwt_sign(&c, secret, sizeof secret, tok, sizeof tok);
    assert_true(n > 0);
    assert_int_equal((size_t)n, strlen(tok));
    assert_null(strchr(tok, '='));
    assert_true(strncmp(tok, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.", 37) == 0);
    assert_int_equal(jwt_verify(tok, (size_t)n, secret, sizeof secret, &access_expect, NOW, &out, &why), 0);
    assert_int_equal(why, JWT_OK);
    assert_string_equal(out.iss, c.iss);
    assert_string_equal(out.aud, c.aud);
    assert_string_equal(out.sub, c.sub);
    assert_string_equal(out.jti, c.jti);
    assert_int_equal(out.typ, JWT_TYP_ACCESS);
    assert_int_equal(out.iat, c.iat);
    assert_int_equal(out.nbf, c.nbf);
    assert_int_equal(out.exp, c.exp);
    /* valid up to the leeway after exp, not beyond */
    assert_int_equal(verify_str(tok, &access_expect, NOW + 900 + JWT_LEEWAY_S - 1, &why), 0);
    assert_int_equal(verify_str(tok, &access_expect, NOW + 900 + JWT_LEEWAY_S, &why),
                     RR_ERR_UNAUTHENTICATED);
    assert_int_equal(why, JWT_EXPIRED);
    /* small clock skew the other way is tolerated */
    assert_int_equal(verify_str(tok, &access_expect, NOW - JWT_LEEWAY_S, &why), 0);

    /* refresh tokens round-trip with their own expectation and longer lifetime */
    struct jwt_claims r = good_claims();
    r.typ = JWT_TYP_REFRESH;
    r.exp = NOW + 14 * 86400;
    assert_true(jwt_sign(&r, secret, sizeof secret, tok, sizeof tok) > 0);
    struct jwt_expect re = access_expect;
    re.typ = JWT_TYP_REFRESH;
    assert_int_equal(verify_str(tok, &re, NOW + 86400, &why), 0);
    /* ...and are never accepted as access tokens */
    assert_int_equal(verify_str(tok, &access_expect, NOW + 10, &why), RR_ERR_UNAUTHENTICATED);
    assert_int_equal(why, JWT_WRONG_TYPE);
    /* strings with quotes and unicode survive JSON escaping */
    c = good_claims();
    snprintf(c.sub, sizeof c.sub, "we\"ird \\ s\xC3\xBC" "b");
    assert_true(jwt_sign(&c, secret, sizeof secret, tok, sizeof tok) > 0);
    assert_int_equal(jwt_verify(tok, strlen(tok), secret, sizeof secret, &access_expect, NOW, &out, NULL), 0);
    assert_string_equal(out.sub, c.sub);
}

static void jwt__sign_refuses_what_verify_would_refuse(void **state)
{
    (void)state;
    char tok[JWT_MAX_TOKEN];
    struct jwt_claims c = good_claims();
    uint8_t short_secret[31] = {0};
    assert_int_equal(jwt_sign(&c, short_secret, sizeof short_secret, tok, sizeof tok), RR_ERR_INVAL);
    c.exp = NOW + 901; /* access longer than 15 min */
    assert_int_equal(jwt_sign(&c, secret, sizeof secret, tok, sizeof tok), RR_ERR_INVAL);
    c = good_claims();
    c.exp = c.iat;
    assert_int_equal(jwt_sign(&c, secret, sizeof secret, tok, sizeof tok), RR_ERR_INVAL);
    c = good_claims();
    c.nbf = c.exp + 1;
    assert_int_equal(jwt_sign(&c, secret, sizeof secret, tok, sizeof tok), RR_ERR_INVAL);
    c = good_claims();
    c.sub[0] = '\0';
    assert_int_equal(jwt_sign(&c, secret, sizeof secret, tok, sizeof tok), RR_ERR_INVAL);
    c = good_claims();
    memset(c.jti, 'x', sizeof c.jti); /* not terminated within the field */
    assert_int_equal(jwt_sign(&c, secret, sizeof secret, tok, sizeof tok), RR_ERR_INVAL);
    c = good_claims();
    c.typ = (enum jwt_typ)7;
    assert_int_equal(jwt_sign(&c, secret, sizeof secret, tok, sizeof tok), RR_ERR_INVAL);
    c = good_claims();
    c.iat = -1;
    assert_int_equal(jwt_sign(&c, secret, sizeof secret, tok, sizeof tok), RR_ERR_INVAL);
    c = good_claims();
    snprintf(c.sub, sizeof c.sub, "bad utf8 \xFF");
    assert_int_equal(jwt_sign(&c, secret, sizeof secret, tok, sizeof tok), RR_ERR_INVAL);
    c = good_claims();
    assert_int_equal(jwt_sign(&c, secret, sizeof secret, tok, 40), RR_ERR_TOOBIG);
    assert_string_equal(tok, "");
    assert_int_equal(jwt_sign(NULL, secret, sizeof secret, tok, sizeof tok), RR_ERR_INVAL);
    /* control characters expand 6x under escaping: still fits the cap with max-length fields */
    c = good_claims();
    memset(c.sub, '\x01', JWT_FIELD_MAX - 1);
    c.sub[JWT_FIELD_MAX - 1] = '\0';
    memset(c.jti, '\x02', JWT_FIELD_MAX - 1);
    c.jti[JWT_FIELD_MAX - 1] = '\0';
    memset(c.iss, '\x03', JWT_FIELD_MAX - 1);
    c.iss[JWT_FIELD_MAX - 1] = '\0';
    memset(c.aud, '\x04', JWT_FIELD_MAX - 1);
    c.aud[JWT_FIELD_MAX - 1] = '\0';
    assert_int_equal(jwt_sign(&c, secret, sizeof secret, tok, sizeof tok), RR_ERR_TOOBIG);
}

static void jwt__verify_refuses_bad_arguments(void **state)
{
    (void)state;
    struct jwt_claims c = good_claims(), out;
    char tok[JWT_MAX_TOKEN];
    assert_true(jwt_sign(&c, secret, sizeof secret, tok, sizeof tok) > 0);
    assert_int_equal(jwt_verify(tok, strlen(tok), secret, 16, &access_expect, NOW, &out, NULL), RR_ERR_INVAL);
    assert_int_equal(jwt_verify(NULL, 0, secret, 32, &access_expect, NOW, &out, NULL), RR_ERR_INVAL);
    assert_int_equal(jwt_verify(tok, strlen(tok), secret, 32, NULL, NOW, &out, NULL), RR_ERR_INVAL);
    assert_int_equal(jwt_verify(tok, strlen(tok), secret, 32, &access_expect, -5, &out, NULL), RR_ERR_INVAL);
    struct jwt_expect bad = {NULL, "a", JWT_TYP_ACCESS};
    assert_int_equal(jwt_verify(tok, strlen(tok), secret, 32, &bad, NOW, &out, NULL), RR_ERR_INVAL);
    assert_string_equal(jwt_reason_name(JWT_BAD_ALG), "bad_alg");
    assert_string_equal(jwt_reason_name((enum jwt_reason)999), "unknown");
    assert_null(jwt_typ_name((enum jwt_typ)0));
    assert_string_equal(jwt_typ_name(JWT_TYP_REFRESH), "refresh");
}

struct bad_case {
    const char *name;
    char *token; /* malloc'd */
    enum jwt_reason want;
};

static void jwt__refuses_every_token_in_the_bad_corpus(void **state)
{
    (void)state;
    struct jwt_claims c = good_claims();
    char good[JWT_MAX_TOKEN];
    assert_true(jwt_sign(&c, secret, sizeof secret, good, sizeof good) > 0);
    const char *dot1 = strchr(good, '.'), *dot2 = strrchr(good, '.');
    size_t glen = strlen(good);
    uint8_t other_key[32];
    memset(other_key, 0x5a, sizeof other_key);

    struct bad_case cases[96];
    size_t n = 0;
#define ADD(nm, tok, why) (cases[n].name = (nm), cases[n].token = (tok), cases[n].want = (why), n++)
    char *p = payload_json("access", NOW, NOW, NOW + 900, NULL);

    /* algorithm confusion */
    ADD("alg none", forge("{\"alg\":\"none\",\"typ\":\"JWT\"}", p, secret, 32), JWT_BAD_ALG);
    {
        /* alg none with an empty signature, the classic */
        char *t = forge("{\"alg\":\"none\"}", p, secret, 32);
        *(strrchr(t, '.') + 1) = '\0';
        ADD("alg none, empty signature", t, JWT_BAD_ALG);
    }
    ADD("alg None", forge("{\"alg\":\"None\"}", p, secret, 32), JWT_BAD_ALG);
    ADD("alg HS384", forge("{\"alg\":\"HS384\",\"typ\":\"JWT\"}", p, secret, 32), JWT_BAD_ALG);
    ADD("alg RS256", forge("{\"alg\":\"RS256\",\"typ\":\"JWT\"}", p, secret, 32), JWT_BAD_ALG);
    ADD("alg hs256 lowercase", forge("{\"alg\":\"hs256\"}", p, secret, 32), JWT_BAD_ALG);
    ADD("alg missing", forge("{\"typ\":\"JWT\"}", p, secret, 32), JWT_BAD_ALG);
    ADD("alg not a string", forge("{\"alg\":256}", p, secret, 32), JWT_BAD_ALG);
    ADD("crit header", forge("{\"alg\":\"HS256\",\"crit\":[\"exp\"]}", p, secret, 32), JWT_BAD_HEADER);
    ADD("kid header", forge("{\"alg\":\"HS256\",\"kid\":\"../../etc/passwd\"}", p, secret, 32), JWT_BAD_HEADER);
    ADD("jku header", forge("{\"alg\":\"HS256\",\"jku\":\"https://evil\"}", p, secret, 32), JWT_BAD_HEADER);
    ADD("typ header not JWT", forge("{\"alg\":\"HS256\",\"typ\":\"at+jwt\"}", p, secret, 32), JWT_BAD_HEADER);
    ADD("duplicate alg in header", forge("{\"alg\":\"HS256\",\"alg\":\"none\"}", p, secret, 32), JWT_BAD_HEADER);
    ADD("header not JSON", forge("HS256", p, secret, 32), JWT_BAD_HEADER);
    ADD("header an array", forge("[\"HS256\"]", p, secret, 32), JWT_BAD_HEADER);
    ADD("header trailing garbage", forge("{\"alg\":\"HS256\"}x", p, secret, 32), JWT_BAD_HEADER);

    /* signature faults */
    ADD("signed with another key", forge(std_header, p, other_key, 32), JWT_BAD_SIGNATURE);
    {
        char *t = strdup(good);
        char *s = strrchr(t, '.') + 1;
        s[5] = s[5] == 'A' ? 'B' : 'A';
        ADD("signature byte changed", t, JWT_BAD_SIGNATURE);
    }
    {
        char *t = strdup(good);
        t[glen - 4] = '\0';
        ADD("truncated signature", t, JWT_BAD_SIGNATURE);
    }
    {
        char *t = strdup(good);
        t[dot2 - good + 1] = '\0';
        ADD("empty signature", t, JWT_BAD_SIGNATURE);
    }
    {
        char *t = malloc(glen + 8);
        snprintf(t, glen + 8, "%sAAAA", good);
        ADD("signature with extra bytes", t, JWT_BAD_SIGNATURE);
    }
    {
        /* last char changed so the unused low bits are non-zero: non-canonical base64 */
        char *t = strdup(good);
        static const char alphabet[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        size_t idx = (size_t)(strchr(alphabet, t[glen - 1]) - alphabet);
        t[glen - 1] = alphabet[idx ^ 1u]; /* same 4 value bits, a padding bit set */
        ADD("non-canonical signature", t, JWT_BAD_SIGNATURE);
    }
    {
        /* payload changed after signing */
        char *p2 = payload_json("access", NOW, NOW, NOW + 899, NULL);
        char *t = forge(std_header, p2, secret, 32);
        char *tt = malloc(glen + 64);
        size_t sig_off = (size_t)(strrchr(t, '.') - t);
        snprintf(tt, glen + 64, "%.*s%s", (int)sig_off, t, dot2);
        free(t);
        free(p2);
        ADD("payload swapped under a valid signature", tt, JWT_BAD_SIGNATURE);
    }

    /* structure */
    ADD("empty", strdup(""), JWT_MALFORMED);
    ADD("one segment", strdup("abc"), JWT_MALFORMED);
    {
        char *t = strndup(good, (size_t)(dot2 - good));
        ADD("two segments", t, JWT_MALFORMED);
    }
    {
        char *t = malloc(glen + 8);
        snprintf(t, glen + 8, "%s.xyz", good);
        ADD("four segments", t, JWT_MALFORMED);
    }
    {
        char *t = strdup(good);
        t[3] = '+';
        ADD("standard base64 char", t, JWT_MALFORMED);
    }
    {
        char *t = malloc(glen + 4);
        snprintf(t, glen + 4, "%.*s=%s", (int)(dot1 - good), good, dot1);
        ADD("padding", t, JWT_MALFORMED);
    }
    {
        char *t = malloc(glen + 4);
        snprintf(t, glen + 4, " %s", good);
        ADD("leading space", t, JWT_MALFORMED);
    }
    {
        char *t = malloc(glen + 2);
        snprintf(t, glen + 2, "%s", dot1); /* empty header */
        ADD("empty header", t, JWT_MALFORMED);
    }
    {
        char *t = malloc(glen + 2);
        snprintf(t, glen + 2, "%.*s.%s", (int)(dot1 - good), good, dot2);
        ADD("empty payload", t, JWT_MALFORMED);
    }
    {
        /* 8 KB header: refused before anything is decoded */
        size_t big = 8192;
        char *hdr = malloc(big + 64);
        memcpy(hdr, "{\"alg\":\"HS256\",\"x\":\"", 20);
        memset(hdr + 20, 'a', big - 22);
        memcpy(hdr + big - 2, "\"}", 3);
        ADD("8 KB header", forge(hdr, p, secret, 32), JWT_TOO_LONG);
        free(hdr);
    }

    /* payload */
    ADD("payload not JSON", forge(std_header, "not json at all", secret, 32), JWT_BAD_PAYLOAD);
    ADD("payload an array", forge(std_header, "[1,2,3]", secret, 32), JWT_BAD_PAYLOAD);
    ADD("payload empty", forge(std_header, " ", secret, 32), JWT_BAD_PAYLOAD);
    {
        char *p2 = payload_json("access", NOW, NOW, NOW + 900, ",\"sub\":\"admin\"");
        ADD("duplicate sub", forge(std_header, p2, secret, 32), JWT_BAD_PAYLOAD);
        free(p2);
    }
    {
        char *p2 = payload_json("access", NOW, NOW, NOW + 900, ",\"role\":\"admin\"");
        ADD("unknown claim", forge(std_header, p2, secret, 32), JWT_BAD_PAYLOAD);
        free(p2);
    }
    {
        char *p2 = payload_json("access", NOW, NOW, NOW + 900, NULL);
        char *q = strstr(p2, "\"exp\"");
        memcpy(q, "\"xxp\"", 5);
        ADD("missing exp", forge(std_header, p2, secret, 32), JWT_BAD_PAYLOAD);
        free(p2);
    }
    ADD("missing claims", forge(std_header, "{\"iss\":\"https://repright.test\",\"sub\":\"u\"}", secret, 32),
        JWT_MISSING_CLAIM);
    ADD("empty object", forge(std_header, "{}", secret, 32), JWT_MISSING_CLAIM);
    {
        char *p2 = malloc(1024);
        snprintf(p2, 1024,
                 "{\"iss\":\"https://repright.test\",\"aud\":\"repright-api\",\"sub\":\"u1\","
                 "\"typ\":\"access\",\"iat\":%lld.5,\"nbf\":%lld,\"exp\":%lld,\"jti\":\"j1\"}",
                 NOW, NOW, NOW + 900);
        ADD("real-valued iat", forge(std_header, p2, secret, 32), JWT_BAD_PAYLOAD);
        free(p2);
    }
    {
        char *p2 = malloc(1024);
        snprintf(p2, 1024,
                 "{\"iss\":\"https://repright.test\",\"aud\":[\"repright-api\"],\"sub\":\"u1\","
                 "\"typ\":\"access\",\"iat\":%lld,\"nbf\":%lld,\"exp\":%lld,\"jti\":\"j1\"}",
                 NOW, NOW, NOW + 900);
        ADD("aud as array", forge(std_header, p2, secret, 32), JWT_BAD_PAYLOAD);
        free(p2);
    }
    {
        char *p2 = malloc(1024);
        snprintf(p2, 1024,
                 "{\"iss\":\"https://repright.test\",\"aud\":\"repright-api\",\"sub\":\"\","
                 "\"typ\":\"access\",\"iat\":%lld,\"nbf\":%lld,\"exp\":%lld,\"jti\":\"j1\"}",
                 NOW, NOW, NOW + 900);
        ADD("empty sub", forge(std_header, p2, secret, 32), JWT_BAD_PAYLOAD);
        free(p2);
    }
    {
        char *p2 = malloc(1024);
        snprintf(p2, 1024,
                 "{\"iss\":\"https://repright.test\",\"aud\":\"repright-api\",\"sub\":\"a\\u0000b\","
                 "\"typ\":\"access\",\"iat\":%lld,\"nbf\":%lld,\"exp\":%lld,\"jti\":\"j1\"}",
                 NOW, NOW, NOW + 900);
        ADD("NUL inside sub", forge(std_header, p2, secret, 32), JWT_BAD_PAYLOAD);
        free(p2);
    }
    {
        char sub[200];
        memset(sub, 's', 150);
        sub[150] = '\0';
        char *p2 = malloc(1024);
        snprintf(p2, 1024,
                 "{\"iss\":\"https://repright.test\",\"aud\":\"repright-api\",\"sub\":\"%s\","
                 "\"typ\":\"access\",\"iat\":%lld,\"nbf\":%lld,\"exp\":%lld,\"jti\":\"j1\"}",
                 sub, NOW, NOW, NOW + 900);
        ADD("over-long sub", forge(std_header, p2, secret, 32), JWT_BAD_PAYLOAD);
        free(p2);
    }
    {
        char *p2 = payload_json("admin", NOW, NOW, NOW + 900, NULL);
        ADD("unknown typ", forge(std_header, p2, secret, 32), JWT_BAD_PAYLOAD);
        free(p2);
    }
    {
        char *p2 = payload_json("access", -1, NOW, NOW + 900, NULL);
        ADD("negative iat", forge(std_header, p2, secret, 32), JWT_BAD_PAYLOAD);
        free(p2);
    }
    {
        char *p2 = payload_json("access", NOW, NOW, 99999999999999LL, NULL);
        ADD("exp beyond year 9999", forge(std_header, p2, secret, 32), JWT_BAD_PAYLOAD);
        free(p2);
    }

    /* times and lifetimes */
    {
        char *p2 = payload_json("access", NOW - 2000, NOW - 2000, NOW - 1100, NULL);
        ADD("expired", forge(std_header, p2, secret, 32), JWT_EXPIRED);
        free(p2);
    }
    {
        char *p2 = payload_json("access", NOW, NOW + 300, NOW + 900, NULL);
        ADD("future nbf", forge(std_header, p2, secret, 32), JWT_NOT_YET_VALID);
        free(p2);
    }
    {
        char *p2 = payload_json("access", NOW + 120, NOW + 120, NOW + 900, NULL);
        ADD("future iat", forge(std_header, p2, secret, 32), JWT_NOT_YET_VALID);
        free(p2);
    }
    {
        char *p2 = payload_json("access", NOW, NOW, NOW + 86400, NULL);
        ADD("access exp a day away", forge(std_header, p2, secret, 32), JWT_BAD_LIFETIME);
        free(p2);
    }
    {
        char *p2 = payload_json("access", NOW, NOW, NOW + 901, NULL);
        ADD("access exp 15 min + 1 s", forge(std_header, p2, secret, 32), JWT_BAD_LIFETIME);
        free(p2);
    }
    {
        char *p2 = payload_json("access", NOW, NOW, NOW, NULL);
        ADD("exp equals iat", forge(std_header, p2, secret, 32), JWT_BAD_LIFETIME);
        free(p2);
    }
    {
        char *p2 = payload_json("access", NOW, NOW + 1000, NOW + 900, NULL);
        ADD("nbf after exp", forge(std_header, p2, secret, 32), JWT_BAD_LIFETIME);
        free(p2);
    }
    {
        char *p2 = payload_json("refresh", NOW, NOW, NOW + 400 * 86400LL, NULL);
        ADD("refresh over 30 days", forge(std_header, p2, secret, 32), JWT_BAD_LIFETIME);
        free(p2);
    }

    /* identity */
    {
        char *p2 = payload_json("refresh", NOW, NOW, NOW + 600, NULL);
        ADD("refresh used as access", forge(std_header, p2, secret, 32), JWT_WRONG_TYPE);
        free(p2);
    }
    {
        char *p2 = payload_json("access", NOW, NOW, NOW + 900, NULL);
        char *q = strstr(p2, "repright.test");
        memcpy(q, "evilsite.test", 13);
        ADD("wrong iss", forge(std_header, p2, secret, 32), JWT_WRONG_ISSUER);
        free(p2);
    }
    {
        char *p2 = payload_json("access", NOW, NOW, NOW + 900, NULL);
        char *q = strstr(p2, "repright-api");
        memcpy(q, "partner-api_", 12);
        ADD("wrong aud", forge(std_header, p2, secret, 32), JWT_WRONG_AUDIENCE);
        free(p2);
    }
#undef ADD
    assert_true(n <= sizeof cases / sizeof cases[0]);
    free(p);

    for (size_t i = 0; i < n; i++) {
        enum jwt_reason why = JWT_OK;
        struct jwt_claims out;
        memset(&out, 0x77, sizeof out);
        int rc = jwt_verify(cases[i].token, strlen(cases[i].token), secret, sizeof secret,
                            &access_expect, NOW, &out, &why);
        if (rc != RR_ERR_UNAUTHENTICATED || why != cases[i].want)
            fail_msg("case '%s': rc %d reason %s, want reason %s", cases[i].name, rc,
                     jwt_reason_name(why), jwt_reason_name(cases[i].want));
        /* nothing of a refused token leaks to the caller */
        assert_string_equal(out.sub, "");
        assert_int_equal(out.exp, 0);
        free(cases[i].token);
    }
    printf("bad-token corpus: %zu cases refused with the expected reason\n", n);
}

static void jwt__size_cap_applies_to_the_length_not_the_terminator(void **state)
{
    (void)state;
    /* a buffer longer than the cap is refused before it is looked at, even if not NUL-terminated */
    char *big = malloc(JWT_MAX_TOKEN + 1);
    enum jwt_reason why;
    struct jwt_claims out;
    memset(big, 'A', JWT_MAX_TOKEN + 1);
    assert_int_equal(jwt_verify(big, JWT_MAX_TOKEN + 1, secret, sizeof secret, &access_expect, NOW,
                                &out, &why),
                     RR_ERR_UNAUTHENTICATED);
    assert_int_equal(why, JWT_TOO_LONG);
    /* a length shorter than the string: only that prefix counts */
    struct jwt_claims c = good_claims();
    char tok[JWT_MAX_TOKEN];
    int n = jwt_sign(&c, secret, sizeof secret, tok, sizeof tok);
    assert_int_equal(jwt_verify(tok, (size_t)n - 1, secret, sizeof secret, &access_expect, NOW, &out, &why),
                     RR_ERR_UNAUTHENTICATED);
    assert_int_equal(why, JWT_BAD_SIGNATURE);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(jwt__round_trip_returns_the_claims),
        cmocka_unit_test(jwt__sign_refuses_what_verify_would_refuse),
        cmocka_unit_test(jwt__verify_refuses_bad_arguments),
        cmocka_unit_test(jwt__refuses_every_token_in_the_bad_corpus),
        cmocka_unit_test(jwt__size_cap_applies_to_the_length_not_the_terminator),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
