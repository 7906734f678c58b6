/*
 * secret.h - the server's signing secret: loaded from the environment or a file, or generated
 * once and persisted; plus derivation of purpose-specific keys from it.
 *
 * Sources, first match wins:
 *   1. REPRIGHT_JWT_SECRET       the secret itself, as text
 *   2. REPRIGHT_JWT_SECRET_FILE  path of a file holding the secret as text
 *   3. <data_dir>/jwt_secret     created on first start: 32 random bytes as 64 hex characters,
 *                                mode 0600, written to a temporary file, fsync'd and linked into
 *                                place (two servers starting together agree on one secret)
 * Text form: optional "hex:" or "base64:" prefix; without one, an even-length string of hex digits
 * is hex, anything else is base64 (standard or URL-safe, padding optional). Surrounding whitespace
 * (a trailing newline in a file) is ignored. Decoded length must be SECRET_MIN..SECRET_MAX bytes:
 * shorter secrets are refused, never padded or stretched.
 * A persisted file readable by group or others is refused (RR_ERR_FORBIDDEN), like ssh does.
 * Ownership: struct secret is caller-owned; secret_clear wipes it. Errors: RR_ERR_INVAL (bad
 * argument, undecodable text), RR_ERR_TOOBIG (over SECRET_MAX bytes or a file over 4 KiB),
 * RR_ERR_CORRUPT (fewer than SECRET_MIN bytes), RR_ERR_IO, RR_ERR_FORBIDDEN, RR_ERR_INTERNAL.
 * A message naming the source and the problem (never the secret) goes to msg when given.
 * Thread-safety: the loaders read the environment; call them at start-up, before threads.
 */
#ifndef RR_AUTH_SECRET_H
#define RR_AUTH_SECRET_H

#include <stddef.h>
#include <stdint.h>

#define SECRET_MIN 32   /* bytes: 256 bits */
#define SECRET_MAX 256  /* bytes */
#define SECRET_GENERATED 32
#define SECRET_FILE_NAME "jwt_secret"

enum secret_source {
    SECRET_FROM_ENV = 1,
    SECRET_FROM_FILE,      /* REPRIGHT_JWT_SECRET_FILE */
    SECRET_FROM_DATA_DIR,  /* existing <data_dir>/jwt_secret */
    SECRET_GENERATED_NOW,  /* <data_dir>/jwt_secret created by this call */
};

struct secret {
    uint8_t bytes[SECRET_MAX];
    size_t len;
    enum secret_source source;
};

/* Decode the text form text[0..len) into out->bytes / out->len (source untouched). */
int secret_decode(const char *text, size_t len, struct secret *out);

/* Load with explicit inputs (tests, or callers that read flags): env_value and env_file are the
 * values of the two variables or NULL; data_dir may be NULL when one of them is given. */
int secret_load_from(const char *env_value, const char *env_file, const char *data_dir,
                     struct secret *out, char *msg, size_t msg_size);

/* Load reading REPRIGHT_JWT_SECRET / REPRIGHT_JWT_SECRET_FILE from the environment. */
int secret_load(const char *data_dir, struct secret *out, char *msg, size_t msg_size);

/* Derive a 32-byte key for one purpose: HMAC-SHA256(secret, "repright/" label), so the JWT key
 * and the token pepper are independent even though one secret is configured. 0 or RR_ERR_INVAL. */
int secret_derive(const struct secret *s, const char *label, uint8_t out[32]);

/* Wipe the secret (sodium_memzero). */
void secret_clear(struct secret *s);

const char *secret_source_name(enum secret_source src);

#endif
