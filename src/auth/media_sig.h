/*
 * media_sig.h - signed, expiring links for media downloads.
 *
 * A <video> or <img> element cannot send an Authorization header, so the dashboard asks the API
 * (with its Bearer token) for links that carry their own proof:
 *   PATH?uid=<user id>&exp=<unix seconds>&sig=<64 hex>
 *   sig = HMAC-SHA256(key, "repright-media/1\n" METHOD "\n" PATH "\n" uid "\n" exp)
 * The key is derived from the server secret with its own label ("media-url"), so a link signature
 * can never be replayed as anything else. A link is bound to one path (one video's original, say)
 * and one user, and stops working at exp; GET and HEAD share a signature ("GET"). Checking is
 * constant-time (sodium_memcmp).
 * Bounds: path at most MEDIA_SIG_PATH_MAX bytes, uid at most MEDIA_SIG_UID_MAX, exp a decimal of
 * at most 12 digits; exp may lie at most MEDIA_SIG_TTL_MAX_S in the future when checked.
 * Errors: RR_ERR_INVAL (bad arguments or key), RR_ERR_UNAUTHENTICATED (malformed, expired,
 * too far in the future, or a wrong signature). Ownership: callers own every buffer.
 * Thread-safety: pure functions, thread-safe.
 */
#ifndef RR_AUTH_MEDIA_SIG_H
#define RR_AUTH_MEDIA_SIG_H

#include <stddef.h>
#include <stdint.h>

#define MEDIA_SIG_KEY_BYTES 32
#define MEDIA_SIG_HEX_SIZE 65          /* 64 hex + NUL */
#define MEDIA_SIG_TTL_S 7200           /* links minted by the API live 2 hours */
#define MEDIA_SIG_TTL_MAX_S (24 * 3600) /* a presented exp further ahead is refused */
#define MEDIA_SIG_PATH_MAX 512
#define MEDIA_SIG_UID_MAX 64

/* Signature of (path, uid, exp) into hex[MEDIA_SIG_HEX_SIZE]. */
int media_sig_make(const uint8_t key[MEDIA_SIG_KEY_BYTES], const char *path, const char *uid,
                   int64_t exp, char hex[MEDIA_SIG_HEX_SIZE]);

/* 0 when sig is the signature of (path, uid, exp_s) and now <= exp <= now + TTL_MAX. */
int media_sig_check(const uint8_t key[MEDIA_SIG_KEY_BYTES], const char *path, const char *uid,
                    const char *exp_s, const char *sig, int64_t now);

#endif
