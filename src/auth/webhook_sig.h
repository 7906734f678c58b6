/*
 * webhook_sig.h - signatures of outgoing webhooks, the Standard Webhooks scheme
 * (https://www.standardwebhooks.com, the one Svix and others verify with stock libraries).
 *
 * Every delivery carries three headers:
 *   webhook-id:        the event id (the same on every retry and redelivery: receivers dedupe)
 *   webhook-timestamp: unix seconds of this attempt
 *   webhook-signature: "v1," base64(HMAC-SHA256(key, id "." timestamp "." body))
 * The endpoint's secret is "whsec_" + base64 of WEBHOOK_SIG_KEY_BYTES random bytes (libsodium),
 * shown to the partner once, at creation; key = those bytes. A receiver recomputes the HMAC,
 * compares in constant time and refuses timestamps outside its tolerance (replay window).
 *
 * Bounds: msg_id 1..WEBHOOK_SIG_ID_MAX bytes without '.' or control characters; secret as made
 * by webhook_sig_secret_new (24..64 decoded bytes accepted). Errors: RR_ERR_INVAL (bad argument
 * or secret), RR_ERR_UNAUTHENTICATED (verify: no matching signature, stale or future timestamp,
 * malformed header). Ownership: callers own every buffer. Thread-safety: pure functions (the
 * secret generator reads libsodium's CSPRNG), thread-safe after sodium_init().
 */
#ifndef RR_AUTH_WEBHOOK_SIG_H
#define RR_AUTH_WEBHOOK_SIG_H

#include <stddef.h>
#include <stdint.h>

#define WEBHOOK_SIG_KEY_BYTES 32     /* random bytes of a new secret (>= 24 asked) */
#define WEBHOOK_SIG_KEY_MIN 24       /* shortest key accepted when signing */
#define WEBHOOK_SIG_KEY_MAX 64
#define WEBHOOK_SIG_PREFIX "whsec_"
#define WEBHOOK_SIG_SECRET_SIZE 96   /* "whsec_" + base64(<= 64 bytes) + NUL fits */
#define WEBHOOK_SIG_SIZE 48          /* "v1," + 44 base64 characters + NUL */
#define WEBHOOK_SIG_ID_MAX 64
#define WEBHOOK_SIG_TOLERANCE_S 300  /* the replay window receivers are told to use */

/* A new secret "whsec_..." into out. Never fails. */
void webhook_sig_secret_new(char out[WEBHOOK_SIG_SECRET_SIZE]);

/* The webhook-signature value for (msg_id, timestamp, body) under secret. */
int webhook_sig_sign(const char *secret, const char *msg_id, int64_t timestamp, const void *body,
                     size_t body_len, char out[WEBHOOK_SIG_SIZE]);

/* Secrets at rest: "enc1:" + base64(nonce || XSalsa20-Poly1305(key, secret)) under a key derived
 * from the server secret, so a copy of the database alone cannot sign as RepRight. seal: secret
 * of at most WEBHOOK_SIG_SECRET_SIZE - 1 bytes -> out (WEBHOOK_SIG_SEALED_SIZE). open: INVAL
 * unless sealed is such a text made with this key (tampered, truncated, another key). */
#define WEBHOOK_SIG_SEALED_SIZE 192
int webhook_sig_seal(const uint8_t key[32], const char *secret,
                     char out[WEBHOOK_SIG_SEALED_SIZE]);
int webhook_sig_open(const uint8_t key[32], const char *sealed,
                     char out[WEBHOOK_SIG_SECRET_SIZE]);

/* A receiver's check: 0 when one of the space-separated "v1,<base64>" entries of sig_header is
 * the signature of (msg_id, timestamp, body) and |now - timestamp| <= tolerance_s; timestamp_s is
 * the webhook-timestamp header (decimal). */
int webhook_sig_verify(const char *secret, const char *msg_id, const char *timestamp_s,
                       const void *body, size_t body_len, const char *sig_header, int64_t now,
                       int64_t tolerance_s);

#endif
