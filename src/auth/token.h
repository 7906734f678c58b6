/*
 * token.h - opaque random tokens (refresh tokens, API keys), their storage hash, and the API key
 * format "rr_live_<prefix>_<secret>".
 *
 * Tokens carry TOKEN_BYTES (32) bytes from randombytes_buf: 256 bits, so guessing is hopeless
 * and a stored hash needs no slow KDF. The database keeps only token_hash(): HMAC-SHA256 keyed
 * with a server pepper (derive it with secret_derive(), see secret.h). Why a keyed hash rather than
 * plain SHA-256: with 256 random bits either resists brute force, but with the pepper a copy of
 * the database alone cannot even test a token found elsewhere (logs, a leaked backup of a client),
 * and rows cannot be forged by someone who can only write to the database. The price is that
 * rotating the pepper invalidates every stored token (sessions and API keys), so it is derived
 * from a secret that is rotated rarely and on purpose.
 * API keys: "rr_live_" + 12 lowercase hex (public prefix, 48 bits, stored in clear and indexed for
 * lookup) + "_" + 64 lowercase hex (the secret, 256 bits). A key is found by its prefix and then
 * checked by comparing token_hash of the whole key in constant time. Hex keeps the key one word
 * for double-click selection and free of '_' ambiguity.
 * Ownership: callers own every buffer. Errors: RR_ERR_INVAL (bad arguments, short pepper),
 * RR_ERR_TOOBIG (output buffer too small), RR_ERR_CORRUPT (malformed key), RR_ERR_INTERNAL.
 * Thread-safety: thread-safe (randombytes_buf is).
 */
#ifndef RR_AUTH_TOKEN_H
#define RR_AUTH_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define TOKEN_BYTES 32          /* random bytes in a refresh token or an API key secret */
#define TOKEN_MIN_BYTES 16      /* 128 bits: token_random refuses less */
#define TOKEN_MAX_BYTES 256
#define TOKEN_HASH_BYTES 32     /* HMAC-SHA256 */
#define TOKEN_HASH_HEX_SIZE 65  /* 64 hex + NUL */
#define TOKEN_PEPPER_MIN 32
#define TOKEN_MAX_LEN 1024      /* longer presented tokens are refused before hashing */

#define TOKEN_APIKEY_TAG "rr_live_"
#define TOKEN_APIKEY_PREFIX_LEN 12  /* hex characters */
#define TOKEN_APIKEY_SECRET_LEN 64  /* hex characters */
#define TOKEN_APIKEY_LEN (8 + TOKEN_APIKEY_PREFIX_LEN + 1 + TOKEN_APIKEY_SECRET_LEN)

enum token_encoding {
    TOKEN_BASE64URL = 1, /* unpadded RFC 4648 §5 */
    TOKEN_HEX = 2,       /* lowercase */
};

/* Fill out with nbytes random bytes (TOKEN_MIN_BYTES..TOKEN_MAX_BYTES), encoded, NUL-terminated.
 * Returns the string length, RR_ERR_INVAL, or RR_ERR_TOOBIG when out_size is too small. */
int token_random(enum token_encoding enc, size_t nbytes, char *out, size_t out_size);

/* HMAC-SHA256(pepper, token[0..len)) into out. pepper_len >= TOKEN_PEPPER_MIN; len <= TOKEN_MAX_LEN
 * (RR_ERR_TOOBIG beyond: presented tokens are bounded before any work). 0 or negative code. */
int token_hash(const uint8_t *pepper, size_t pepper_len, const char *token, size_t len,
               uint8_t out[TOKEN_HASH_BYTES]);

/* The same hash as 64 lowercase hex characters + NUL, the form stored in the database. */
int token_hash_hex(const uint8_t *pepper, size_t pepper_len, const char *token, size_t len,
                   char out[TOKEN_HASH_HEX_SIZE]);

/* Constant-time equality of two n-byte buffers (sodium_memcmp). 1 equal, 0 different. */
int token_equal(const void *a, const void *b, size_t n);

/* Hash token and compare it in constant time with a stored hex hash. 0 = match,
 * RR_ERR_UNAUTHENTICATED = no match (including a malformed stored hash), other codes as token_hash. */
int token_check(const uint8_t *pepper, size_t pepper_len, const char *token, size_t len,
                const char *stored_hex);

/* A new API key: the whole key (shown once to its owner, never stored) and its public prefix. */
struct token_apikey {
    char key[TOKEN_APIKEY_LEN + 1];
    char prefix[TOKEN_APIKEY_PREFIX_LEN + 1];
};

/* Generate a fresh API key. 0 or RR_ERR_INTERNAL. */
int token_apikey_new(struct token_apikey *out);

/* Check the format of a presented key[0..len) and copy its public prefix out. 0, RR_ERR_CORRUPT
 * (anything but exactly "rr_live_" + 12 lowercase hex + "_" + 64 lowercase hex), RR_ERR_INVAL. */
int token_apikey_parse(const char *key, size_t len, char prefix[TOKEN_APIKEY_PREFIX_LEN + 1]);

#endif
