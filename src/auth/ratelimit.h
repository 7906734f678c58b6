/*
 * ratelimit.h - a sliding-window rate limiter with optional exponential back-off, as pure
 * arithmetic over a small state struct, plus the login throttling policy.
 *
 * The state is plain data (a few integers) so the store can keep it anywhere: a SQLite row, a
 * Redis hash updated by a script, memory in tests. Every function here is a pure function of
 * (rule, state, now) that may update the state; none does I/O or reads a clock.
 * Algorithm: sliding-window counter. Hits are counted in fixed windows of window_s seconds; the
 * estimate at time now is prev * (window_s - elapsed) / window_s + cur, i.e. the previous window
 * weighted by how much of it still overlaps the sliding window. A hit is allowed while
 * estimate + 1 <= limit. Denied attempts are not counted, so a client that keeps hammering is
 * let in again once its real rate drops, never locked out for good.
 * Back-off (optional, backoff_base_s > 0): when a hit fills the window, and for every later hit
 * while strikes are remembered, a strike is added and the key is blocked for
 * base * 2^(strikes-1) seconds, capped at backoff_max_s. So after the first burst each further
 * failure doubles the wait. Strikes are forgotten after strike_reset_s seconds without a hit, or
 * by ratelimit_reset() (a successful login).
 * Retry-After is always at least 1 second and exact for the arithmetic above.
 * Ownership: callers own the state. Errors: RR_ERR_INVAL for invalid rules or NULL pointers.
 * Thread-safety: no shared state; callers serialise access to one state (the store does).
 */
#ifndef RR_AUTH_RATELIMIT_H
#define RR_AUTH_RATELIMIT_H

#include <stdint.h>

struct ratelimit_rule {
    uint32_t limit;          /* hits allowed per sliding window (>= 1) */
    uint32_t window_s;       /* window length, seconds (>= 1) */
    uint32_t backoff_base_s; /* 0 = no back-off; else first block length once the window fills */
    uint32_t backoff_max_s;  /* cap on one block (>= backoff_base_s when back-off is on) */
    uint32_t strike_reset_s; /* quiet time after which strikes are forgotten (0 = window_s * 60) */
};

/* Zero-initialise a fresh key ({0} is a valid empty state). */
struct ratelimit_state {
    int64_t window_start;  /* start of the current fixed window (multiple of window_s) */
    uint32_t prev;         /* hits in the previous window */
    uint32_t cur;          /* hits in the current window */
    uint32_t strikes;      /* times the window filled since the last reset */
    int64_t blocked_until; /* back-off: denied before this time */
    int64_t last_hit;      /* time of the last counted hit */
};

struct ratelimit_decision {
    int allowed;          /* 1 allowed, 0 denied */
    uint32_t retry_after; /* seconds to wait when denied (>= 1); 0 when allowed */
    uint32_t remaining;   /* hits left in the sliding window now (after this one, for take) */
};

/* Would a hit at now be allowed? Updates only the window bookkeeping (rolling windows forward,
 * forgetting stale strikes), never counts. */
int ratelimit_peek(const struct ratelimit_rule *rule, struct ratelimit_state *st, int64_t now,
                   struct ratelimit_decision *out);

/* Count one hit at now unconditionally (e.g. a failed login) and apply back-off when the window
 * fills. out (may be NULL) describes the state after the hit. */
int ratelimit_hit(const struct ratelimit_rule *rule, struct ratelimit_state *st, int64_t now,
                  struct ratelimit_decision *out);

/* peek, and when allowed, hit: the usual "consume one token" call. */
int ratelimit_take(const struct ratelimit_rule *rule, struct ratelimit_state *st, int64_t now,
                   struct ratelimit_decision *out);

/* Forget everything about a key (a successful login clears its account counter). */
void ratelimit_reset(struct ratelimit_state *st);

/* Login policy: failed logins per account (5 per minute, then back-off 60 s doubling to 15 min)
 * and per client IP (20 per minute, no back-off). Neither ever locks out permanently. */
extern const struct ratelimit_rule ratelimit_login_account;
extern const struct ratelimit_rule ratelimit_login_ip;

/* Before checking a password: may this (account, ip) try now? Denied when either key is; the
 * Retry-After is the larger wait. Either state may be NULL (unknown account: IP only). */
int ratelimit_login_check(struct ratelimit_state *account, struct ratelimit_state *ip, int64_t now,
                          struct ratelimit_decision *out);

/* After a wrong password (or unknown user): count the failure on both keys (either may be NULL). */
int ratelimit_login_failed(struct ratelimit_state *account, struct ratelimit_state *ip, int64_t now);

/* After a successful login: clear the account's failures (the IP's stay, they may be someone
 * else's guesses from a shared address). */
void ratelimit_login_succeeded(struct ratelimit_state *account);

#endif
