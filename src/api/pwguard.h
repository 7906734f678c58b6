/*
 * pwguard.h - the one limiter in front of every password check (login, the current password of
 * a password change) and of registration.
 *
 * Policy (issue 15: a throttle must not be a way to lock the owner out):
 *  - three keys per check, all in the store (so several server processes share them), each a
 *    sliding window with growing back-off (auth/ratelimit.h), none a permanent lock:
 *      source          the client address: guesses from one place, whatever the account;
 *      account+source  the account from this address: guesses at one account from one place;
 *      device          when the request carries a valid device cookie for this account (one
 *                      this server set at a successful login, OWASP "device cookies"): that
 *                      device's own failures; otherwise
 *      untrusted       the account from every client without such a cookie: a distributed
 *                      guess, which therefore cannot block a device that logged in before.
 *  - the check peeks (counts nothing); a wrong password counts on all three keys; success
 *    forgets the account+source and device keys (not the untrusted one: an attacker spread
 *    over many addresses gains nothing from the owner's logins) and sets the device cookie
 *    (rr_device, HttpOnly, SameSite=Strict, Path=/v1/, a year).
 *  - registration: one key per source, every attempt counted (it reveals whether an email is
 *    taken, so it is throttled like a guess).
 * Limits come from the configuration (LOGIN_*, REGISTER_*), defaults in pwguard.c.
 * The device cookie is "<nonce 32 hex>.<expiry s>.<HMAC(pepper, account|nonce|expiry) hex>":
 * bound to the account (the peppered hash of its normalised email), unforgeable without the
 * server secret, and carrying no address or name.
 * Errors: RR_ERR_RATELIMITED (429 + Retry-After staged on the request), store errors.
 * Thread-safety: none needed (state per request; the store serialises the keys).
 */
#ifndef RR_API_PWGUARD_H
#define RR_API_PWGUARD_H

#include "app/app.h"
#include "auth/token.h"
#include "http/request.h"
#include "store/store.h"

#define PWGUARD_KEYS 3

struct pwguard {
    char account[TOKEN_HASH_HEX_SIZE]; /* peppered hash of the normalised email */
    char keys[PWGUARD_KEYS][STORE_KEY_MAX + 1];
    int trusted; /* a valid device cookie for this account came with the request */
};

/* The keys of a password check of `account_hash` from this request. */
void pwguard_begin(struct pwguard *g, struct http_request *req, const struct app *a,
                   const char *account_hash);
/* Before the password is checked: RR_ERR_RATELIMITED when any key is over its limit. */
int pwguard_check(struct pwguard *g, struct http_request *req, struct app *a);
/* A wrong password: counted on every key. */
int pwguard_failed(struct pwguard *g, struct app *a);
/* The right password: the account's failures from here are forgotten, the device cookie set. */
int pwguard_succeeded(struct pwguard *g, struct http_request *req, struct app *a);

/* Registration from this request's source: RR_ERR_RATELIMITED past the limit. */
int pwguard_register(struct http_request *req, struct app *a);

#endif
