/*
 * password.h - password hashing (Argon2id via libsodium), verification, re-hash detection and the
 * password policy (length in code points, common passwords refused, no composition rules).
 *
 * Hashes are libsodium's PHC strings: "$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>",
 * at most PASSWORD_HASH_MAX - 1 characters. Current parameters are PASSWORD_T / PASSWORD_M_KIB,
 * never below the floor of docs reliability.md (m = 19 MiB, t = 2).
 * Length is bounded before any hashing: a password longer than PASSWORD_MAX_BYTES is refused
 * without touching Argon2, so a huge body cannot buy CPU or memory.
 * Ownership: callers own every buffer; nothing is allocated that outlives a call.
 * Errors: RR_ERR_INVAL (bad arguments), RR_ERR_TOOBIG (password over PASSWORD_MAX_BYTES),
 * RR_ERR_NOMEM (Argon2 could not get its memory), RR_ERR_CORRUPT (unparseable stored hash),
 * RR_ERR_INTERNAL (libsodium failed to initialise).
 * Thread-safety: every function is thread-safe (libsodium's sodium_init is idempotent and locked).
 */
#ifndef RR_AUTH_PASSWORD_H
#define RR_AUTH_PASSWORD_H

#include <stddef.h>
#include <stdint.h>

#define PASSWORD_MIN_CHARS 8     /* code points */
#define PASSWORD_MAX_CHARS 128   /* code points */
#define PASSWORD_MAX_BYTES 512   /* 128 code points of at most 4 UTF-8 bytes each */
#define PASSWORD_HASH_MAX 128    /* buffer size for a stored hash string, NUL included */

/* Floor (reliability.md) and the parameters new hashes get; both are Argon2id, one lane. */
#define PASSWORD_FLOOR_T 2u
#define PASSWORD_FLOOR_M_KIB 19456u /* 19 MiB */
#define PASSWORD_T 2u
#define PASSWORD_M_KIB 19456u

/* Parameters read back from a stored "$argon2id$v=..$m=..,t=..,p=..$" string. */
struct password_params {
    uint32_t version; /* 19 for Argon2 1.3 */
    uint32_t m_kib;
    uint32_t t;
    uint32_t p;
};

/* Why the policy refused a password (PASSWORD_OK = accepted). */
enum password_verdict {
    PASSWORD_OK = 0,
    PASSWORD_TOO_SHORT,    /* fewer than PASSWORD_MIN_CHARS code points */
    PASSWORD_TOO_LONG,     /* more than PASSWORD_MAX_CHARS code points (or bytes > MAX_BYTES) */
    PASSWORD_BAD_ENCODING, /* not valid UTF-8, or contains U+0000 */
    PASSWORD_COMMON,       /* in the embedded list of common passwords (case-insensitive) */
};

/* Stable lowercase name of a verdict ("ok", "too_short", ...) for API error bodies. */
const char *password_verdict_name(enum password_verdict v);

/* Apply the policy to pw[0..len). Pure; never hashes. */
enum password_verdict password_check_policy(const char *pw, size_t len);

/* Count the code points of valid UTF-8 in s[0..len) (shortest forms only, no surrogates, no
 * U+0000, at most U+10FFFF). Returns the count, or -1 for invalid input. */
long password_utf8_count(const char *s, size_t len);

/* Is pw[0..len) in the embedded common-password list (ASCII case-insensitive)? 1 yes, 0 no. */
int password_is_common(const char *pw, size_t len);

/* Hash pw[0..len) with the current parameters into out (PASSWORD_HASH_MAX bytes, NUL-terminated).
 * Does not apply the policy (callers do, before); does refuse len > PASSWORD_MAX_BYTES. */
int password_hash(const char *pw, size_t len, char out[PASSWORD_HASH_MAX]);

/* As password_hash with explicit parameters (t >= 1, m_kib >= 8); used for tests and for raising
 * the cost by configuration. Parameters below the floor are allowed here only so tests can create
 * old-style hashes; the server never calls it with less than the floor. */
int password_hash_with(const char *pw, size_t len, uint32_t t, uint32_t m_kib,
                       char out[PASSWORD_HASH_MAX]);

/* Verify pw[0..len) against a stored hash string. 0 = match, RR_ERR_UNAUTHENTICATED = mismatch
 * (also for a password over PASSWORD_MAX_BYTES, without hashing), RR_ERR_CORRUPT = stored is not
 * an Argon2id string we accept. */
int password_verify(const char *stored, const char *pw, size_t len);

/* Burn the same time as password_verify against a current-parameter hash, for a user that does
 * not exist, so "unknown user" and "wrong password" cannot be told apart by timing.
 * Always returns RR_ERR_UNAUTHENTICATED. */
int password_verify_dummy(const char *pw, size_t len);

/* Parse the parameters of a stored Argon2id string. 0, or RR_ERR_CORRUPT. */
int password_parse_params(const char *stored, struct password_params *out);

/* Should this stored hash be replaced at the next successful login? 1 when it is not Argon2id
 * v=19, cannot be parsed, or has m or t below the current parameters; 0 otherwise. */
int password_needs_rehash(const char *stored);

/* The embedded common-password table (sorted, lowercase, unique), for tests. */
const char *const *password__common_table(size_t *count);

/* The dummy hash password_verify_dummy uses (current parameters), for tests. */
const char *password__dummy_hash(void);

#endif
