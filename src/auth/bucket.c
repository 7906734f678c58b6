/*
 * bucket.c - token bucket arithmetic (bucket.h). Milli-tokens keep the refill exact at any
 * rate: a bucket of capacity C over W seconds refills C milli-tokens per W milliseconds.
 * Bounds: C <= 10^6, so C * 1000 fits uint32; elapsed time is clamped to one window, so every
 * product fits int64.
 */
#include "auth/bucket.h"

#include "base/rr_error.h"

static uint32_t ceil_div(int64_t a, int64_t b)
{
    if (a <= 0)
        return 0;
    return (uint32_t)((a + b - 1) / b);
}

int bucket_take(const struct bucket_rule *rule, struct ratelimit_state *st, int64_t now_ms,
                struct bucket_decision *out)
{
    if (!rule || !st || !out || rule->capacity < 1 || rule->capacity > BUCKET_CAPACITY_MAX ||
        rule->window_s < 1 || rule->window_s > 86400)
        return RR_ERR_INVAL;
    int64_t full = (int64_t)rule->capacity * 1000;
    int64_t window_ms = (int64_t)rule->window_s * 1000;
    int64_t missing = st->cur;
    if (missing > full)
        missing = full;
    int64_t elapsed = now_ms - st->last_hit;
    if (elapsed < 0) /* a clock step back refills nothing */
        elapsed = 0;
    if (elapsed > window_ms)
        elapsed = window_ms;
    /* refill: C milli-tokens per W milliseconds */
    missing -= elapsed * rule->capacity / rule->window_s;
    if (missing < 0)
        missing = 0;
    out->allowed = missing + 1000 <= full;
    if (out->allowed)
        missing += 1000;
    out->remaining = (uint32_t)((full - missing) / 1000);
    /* milli-tokens m come back in m * W / C milliseconds */
    out->reset_s = ceil_div(missing * rule->window_s / rule->capacity, 1000);
    out->retry_after = 0;
    if (!out->allowed) {
        out->retry_after = ceil_div((missing + 1000 - full) * rule->window_s / rule->capacity, 1000);
        if (out->retry_after < 1)
            out->retry_after = 1;
    }
    st->cur = (uint32_t)missing;
    st->last_hit = now_ms;
    return 0;
}
