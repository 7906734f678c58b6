/*
 * jwt.h - RepRight's JSON Web Tokens: HS256 only, algorithm pinned, claims checked strictly.
 *
 * A token is base64url(header) "." base64url(payload) "." base64url(HMAC-SHA256), no padding.
 * The header must be exactly {"alg":"HS256"} plus an optional "typ":"JWT"; anything else (alg none,
 * HS384, RS256, kid, crit, jku, unknown members) is refused, because the algorithm is ours to
 * choose, never the token's (RFC 8725 §3.1). The payload must be one JSON object (jansson, duplicate
 * keys refused) with exactly the claims of struct jwt_claims: iss, aud, sub, typ, iat, nbf, exp,
 * jti; strings non-empty and shorter than JWT_FIELD_MAX, times non-negative integers.
 * Tokens longer than JWT_MAX_TOKEN are refused before anything is decoded.
 * Times are Unix seconds; the caller passes "now" (tests use fixed clocks). A skew of JWT_LEEWAY_S
 * is tolerated on exp, nbf and iat. Access tokens live at most JWT_ACCESS_MAX_S (15 min), refresh
 * tokens at most JWT_REFRESH_MAX_S; a token of one typ never passes as the other.
 * Secrets are at least JWT_SECRET_MIN bytes (256 bits); shorter ones are refused with RR_ERR_INVAL
 * (a configuration error, not a bad token).
 * Ownership: callers own every buffer. Errors: see each function.
 * Thread-safety: thread-safe (no global state besides libsodium's idempotent initialisation).
 */
#ifndef RR_AUTH_JWT_H
#define RR_AUTH_JWT_H

#include <stddef.h>
#include <stdint.h>

#define JWT_MAX_TOKEN 4096       /* bytes; longer tokens are refused unread */
#define JWT_FIELD_MAX 128        /* buffer size of each string claim, NUL included */
#define JWT_SECRET_MIN 32        /* bytes */
#define JWT_SECRET_MAX 1024      /* bytes */
#define JWT_LEEWAY_S 30          /* clock skew tolerated, seconds */
#define JWT_ACCESS_MAX_S 900     /* exp - iat of an access token, at most */
#define JWT_REFRESH_MAX_S (60 * 60 * 24 * 30)
#define JWT_TIME_MAX 253402300799LL /* 9999-12-31T23:59:59Z: bounds every time claim */

enum jwt_typ {
    JWT_TYP_ACCESS = 1,
    JWT_TYP_REFRESH = 2,
};

struct jwt_claims {
    char iss[JWT_FIELD_MAX];
    char aud[JWT_FIELD_MAX];
    char sub[JWT_FIELD_MAX];
    char jti[JWT_FIELD_MAX];
    enum jwt_typ typ;
    int64_t iat;
    int64_t nbf;
    int64_t exp;
};

/* What the verifier requires of a token besides a good signature and valid times. */
struct jwt_expect {
    const char *iss;
    const char *aud;
    enum jwt_typ typ;
};

/* Why a token was refused, for logs (never sent to clients: they only see 401). */
enum jwt_reason {
    JWT_OK = 0,
    JWT_TOO_LONG,       /* over JWT_MAX_TOKEN */
    JWT_MALFORMED,      /* not three base64url segments */
    JWT_BAD_HEADER,     /* header not JSON, unknown/critical members, bad typ */
    JWT_BAD_ALG,        /* alg other than HS256 (none, HS384, RS256, ...) */
    JWT_BAD_SIGNATURE,  /* wrong length or wrong MAC */
    JWT_BAD_PAYLOAD,    /* payload not a JSON object, duplicate keys, unknown claims, bad types */
    JWT_MISSING_CLAIM,  /* a required claim is absent */
    JWT_EXPIRED,        /* now >= exp + leeway */
    JWT_NOT_YET_VALID,  /* nbf or iat after now + leeway */
    JWT_BAD_LIFETIME,   /* exp <= iat, nbf > exp, or exp - iat over the typ's maximum */
    JWT_WRONG_ISSUER,
    JWT_WRONG_AUDIENCE,
    JWT_WRONG_TYPE,     /* refresh used as access or the reverse */
};

/* Stable lowercase name of a reason ("bad_alg", ...) for structured logs. */
const char *jwt_reason_name(enum jwt_reason r);

/* Stable name of a typ claim value ("access", "refresh"), NULL for anything else. */
const char *jwt_typ_name(enum jwt_typ t);

/* Sign claims into out (NUL-terminated). Returns the token length (> 0), or RR_ERR_INVAL (bad
 * secret length, empty or over-long string claim, unknown typ, inconsistent or over-long
 * lifetime: the signer refuses to mint what the verifier would refuse), RR_ERR_TOOBIG (out too
 * small), RR_ERR_NOMEM, RR_ERR_INTERNAL. */
int jwt_sign(const struct jwt_claims *claims, const uint8_t *secret, size_t secret_len, char *out,
             size_t out_size);

/* Verify token[0..len) at time now. 0 and *out filled on success; RR_ERR_UNAUTHENTICATED with
 * *reason set for every bad token; RR_ERR_INVAL for caller errors (NULL arguments, secret length
 * outside [JWT_SECRET_MIN, JWT_SECRET_MAX]). reason may be NULL. *out is zeroed on failure. */
int jwt_verify(const char *token, size_t len, const uint8_t *secret, size_t secret_len,
               const struct jwt_expect *expect, int64_t now, struct jwt_claims *out,
               enum jwt_reason *reason);

#endif
