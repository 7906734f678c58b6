/*
 * rr_error.h - RepRight's error codes: one table, negative values, rr_strerror().
 *
 * Every function that can fail returns 0 (or a non-negative count) on success and one of these
 * negative codes on failure. The layer that knows the request, job or file logs the error, once;
 * lower layers only return codes (and, where useful, fill a caller-supplied message buffer).
 * Thread-safety: everything here is pure and thread-safe.
 */
#ifndef RR_ERROR_H
#define RR_ERROR_H

#define RR_ERR_MAP(XX)                                                                             \
    XX(NOMEM, -1, "out of memory")                                                                 \
    XX(INVAL, -2, "invalid argument")                                                              \
    XX(TOOBIG, -3, "input exceeds limit")                                                          \
    XX(CORRUPT, -4, "malformed input")                                                             \
    XX(NOTFOUND, -5, "not found")                                                                  \
    XX(IO, -6, "i/o error")                                                                        \
    XX(UNSUPPORTED, -7, "unsupported")                                                             \
    XX(BACKEND, -8, "compute backend failure")                                                     \
    XX(NOPOSE, -9, "no person found")                                                              \
    XX(EOF, -10, "end of stream")                                                                  \
    XX(INTERNAL, -11, "internal error")                                                            \
    XX(CONFLICT, -12, "conflict with the current state")                                           \
    XX(UNAUTHENTICATED, -13, "authentication required")                                            \
    XX(FORBIDDEN, -14, "not allowed")                                                              \
    XX(RATELIMITED, -15, "too many requests")                                                      \
    XX(BUSY, -16, "resource busy, try again")                                                      \
    XX(TIMEOUT, -17, "timed out")                                                                  \
    XX(NOSPACE, -18, "not enough storage space")                                                   \
    XX(QUOTA, -19, "plan limit reached")

enum rr_err {
#define RR__ERR_ENUM(name, code, text) RR_ERR_##name = (code),
    RR_ERR_MAP(RR__ERR_ENUM)
#undef RR__ERR_ENUM
};

/* Text for a code from the table; "unknown error" for anything else (never NULL). */
const char *rr_strerror(int err);

/* Stable lowercase name ("nomem", "inval", ...) for JSON error bodies; "unknown" otherwise. */
const char *rr_errname(int err);

#endif
