/*
 * email.h - one canonical form of an account's email, so that one address is one account:
 * Unicode NFC, then full case folding (Unicode CaseFolding.txt, not just ASCII), then NFC again
 * (folding can undo composition). "Ünïcode@Example.com" typed as NFC or NFD, in any case, is
 * the same account. Refused (a name that looks like another is how accounts get phished): bytes
 * that are not UTF-8, control characters (Cc) and format characters (Cf: the bidirectional
 * overrides and isolates U+202A..202E / U+2066..2069, marks U+200E/F, zero-width characters,
 * U+FEFF), which render invisibly or reorder what the user sees.
 * Uses ICU (libicu: unorm2, u_strFoldCase).
 * Errors: RR_ERR_CORRUPT (not UTF-8), RR_ERR_INVAL (a refused character), RR_ERR_TOOBIG (the
 * canonical form is more than out_size - 1 bytes), RR_ERR_INTERNAL (ICU failed).
 * Thread-safety: thread-safe (ICU's normaliser instances are shared and immutable).
 */
#ifndef RR_AUTH_EMAIL_H
#define RR_AUTH_EMAIL_H

#include <stddef.h>

int email_canonical(const char *in, size_t len, char *out, size_t out_size);

#endif
