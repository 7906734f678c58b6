/*
 * bucket.h - a token bucket as pure arithmetic over struct ratelimit_state (per-key API rate
 * limits; ratelimit.h is the sliding window of login throttling).
 *
 * A bucket holds up to `capacity` tokens and refills at capacity per window_s seconds; a request
 * takes one token. So a key may burst `capacity` requests and then sustain capacity / window_s
 * per second. The state reuses struct ratelimit_state, so the store keeps it with
 * store_ratelimit_apply like any rate-limit key: cur = milli-tokens missing from a full bucket
 * (0 = full, so a key never seen has a full bucket), last_hit = time of the last refill in
 * milliseconds. Integer arithmetic only; Retry-After and the reset time are exact ceilings.
 * Ownership: callers own the state. Errors: RR_ERR_INVAL for an invalid rule or NULL pointers.
 * Thread-safety: no shared state; callers serialise access to one state (the store does).
 */
#ifndef RR_AUTH_BUCKET_H
#define RR_AUTH_BUCKET_H

#include <stdint.h>

#include "auth/ratelimit.h"

#define BUCKET_CAPACITY_MAX 1000000u

struct bucket_rule {
    uint32_t capacity; /* tokens when full, 1..BUCKET_CAPACITY_MAX */
    uint32_t window_s; /* seconds to refill from empty, 1..86400 */
};

struct bucket_decision {
    int allowed;          /* 1 the request may run, 0 refused (429) */
    uint32_t remaining;   /* whole tokens left after this request */
    uint32_t reset_s;     /* seconds until the bucket is full again */
    uint32_t retry_after; /* when refused: seconds until one token is back (>= 1); else 0 */
};

/* Refill st to now_ms, then take one token when there is one. */
int bucket_take(const struct bucket_rule *rule, struct ratelimit_state *st, int64_t now_ms,
                struct bucket_decision *out);

#endif
