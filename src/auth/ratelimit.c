/*
 * ratelimit.c - sliding-window counter with exponential back-off, pure arithmetic (ratelimit.h).
 *
 * All comparisons are done on integers scaled by the window length W, so there is no floating
 * point and the Retry-After value is exact: with e = now - window_start, a hit is allowed when
 *     prev * (W - e) + (cur + 1) * W <= limit * W.
 * Sizes: limit and counters are uint32, W <= RATELIMIT_MAX_WINDOW (2^20), so every product fits
 * comfortably in uint64.
 */
#include "auth/ratelimit.h"

#include <string.h>

#include "base/rr_error.h"

#define RATELIMIT_MAX_WINDOW (1u << 20)
#define RATELIMIT_TIME_MAX (INT64_C(1) << 40) /* about 34,800 years of seconds */

const struct ratelimit_rule ratelimit_login_account = {
    .limit = 5, .window_s = 60, .backoff_base_s = 60, .backoff_max_s = 900, .strike_reset_s = 3600,
};

const struct ratelimit_rule ratelimit_login_ip = {
    .limit = 20, .window_s = 60, .backoff_base_s = 0, .backoff_max_s = 0, .strike_reset_s = 0,
};

static int rule_ok(const struct ratelimit_rule *r)
{
    if (r->limit < 1 || r->window_s < 1 || r->window_s > RATELIMIT_MAX_WINDOW)
        return 0;
    if (r->backoff_base_s > 0 && r->backoff_max_s < r->backoff_base_s)
        return 0;
    return 1;
}

static int args_ok(const struct ratelimit_rule *r, const struct ratelimit_state *st, int64_t now)
{
    return r && st && rule_ok(r) && now >= 0 && now <= RATELIMIT_TIME_MAX;
}

static uint32_t strike_reset(const struct ratelimit_rule *r)
{
    return r->strike_reset_s ? r->strike_reset_s : r->window_s * 60u;
}

/* Move the fixed windows forward to the one containing now; forget stale strikes. */
static void roll(const struct ratelimit_rule *r, struct ratelimit_state *st, int64_t now)
{
    int64_t w = r->window_s;
    int64_t ws = now - now % w;
    if (st->cur == 0 && st->prev == 0 && st->window_start == 0) {
        st->window_start = ws;
    } else if (ws > st->window_start) {
        st->prev = (ws - st->window_start == w) ? st->cur : 0;
        st->cur = 0;
        st->window_start = ws;
    }
    /* ws < window_start means the clock went backwards: keep the newer window. */
    if (st->strikes && now - st->last_hit >= (int64_t)strike_reset(r))
        st->strikes = 0;
}

static uint64_t elapsed(const struct ratelimit_rule *r, const struct ratelimit_state *st,
                        int64_t now)
{
    int64_t e = now - st->window_start;
    if (e < 0)
        return 0;
    if (e >= (int64_t)r->window_s)
        return r->window_s; /* only when the clock went backwards and forwards again */
    return (uint64_t)e;
}

/* Scaled estimate prev * (W - e) + cur * W. */
static uint64_t scaled_count(const struct ratelimit_rule *r, const struct ratelimit_state *st,
                             uint64_t e)
{
    uint64_t w = r->window_s;
    return (uint64_t)st->prev * (w - e) + (uint64_t)st->cur * w;
}

/* Seconds until the window admits one more hit (0 = now). */
static uint64_t window_wait(const struct ratelimit_rule *r, const struct ratelimit_state *st,
                            uint64_t e)
{
    uint64_t w = r->window_s, cap = (uint64_t)r->limit * w;
    if (scaled_count(r, st, e) + w <= cap)
        return 0;
    if ((uint64_t)st->cur + 1 <= r->limit) {
        /* the previous window's weight must decay: prev * (W - e') <= room * W */
        uint64_t room = r->limit - 1u - st->cur;
        uint64_t e2 = w - (room * w) / st->prev; /* prev > 0 here, else we would be allowed */
        return e2 - e;
    }
    /* the current window is full: wait into the next one, where prev' = cur */
    uint64_t e3 = w - ((uint64_t)(r->limit - 1u) * w) / st->cur;
    return (w - e) + e3;
}

static void decide(const struct ratelimit_rule *r, const struct ratelimit_state *st, int64_t now,
                   struct ratelimit_decision *out)
{
    uint64_t e = elapsed(r, st, now), w = r->window_s;
    uint64_t used = scaled_count(r, st, e), cap = (uint64_t)r->limit * w;
    uint64_t wait = window_wait(r, st, e);
    if (st->blocked_until > now && (uint64_t)(st->blocked_until - now) > wait)
        wait = (uint64_t)(st->blocked_until - now);
    memset(out, 0, sizeof *out);
    out->allowed = wait == 0;
    out->retry_after = wait > UINT32_MAX ? UINT32_MAX : (uint32_t)wait;
    out->remaining = used >= cap ? 0 : (uint32_t)((cap - used) / w);
    if (!out->allowed)
        out->remaining = 0;
}

int ratelimit_peek(const struct ratelimit_rule *rule, struct ratelimit_state *st, int64_t now,
                   struct ratelimit_decision *out)
{
    if (!args_ok(rule, st, now) || !out)
        return RR_ERR_INVAL;
    roll(rule, st, now);
    decide(rule, st, now, out);
    return 0;
}

int ratelimit_hit(const struct ratelimit_rule *rule, struct ratelimit_state *st, int64_t now,
                  struct ratelimit_decision *out)
{
    if (!args_ok(rule, st, now))
        return RR_ERR_INVAL;
    roll(rule, st, now);
    if (st->cur < UINT32_MAX)
        st->cur++;
    st->last_hit = now;
    /* A strike when this hit fills the window, and for every hit while earlier strikes are
     * remembered: after the first burst, each further failure doubles the wait. */
    if (rule->backoff_base_s > 0 &&
        (st->strikes > 0 ||
         scaled_count(rule, st, elapsed(rule, st, now)) >= (uint64_t)rule->limit * rule->window_s)) {
        uint64_t block = rule->backoff_base_s;
        if (st->strikes < UINT32_MAX)
            st->strikes++;
        for (uint32_t i = 1; i < st->strikes && block < rule->backoff_max_s; i++)
            block *= 2;
        if (block > rule->backoff_max_s)
            block = rule->backoff_max_s;
        if (now + (int64_t)block > st->blocked_until)
            st->blocked_until = now + (int64_t)block;
    }
    if (out)
        decide(rule, st, now, out);
    return 0;
}

int ratelimit_take(const struct ratelimit_rule *rule, struct ratelimit_state *st, int64_t now,
                   struct ratelimit_decision *out)
{
    struct ratelimit_decision d;
    int err = ratelimit_peek(rule, st, now, &d);
    if (err)
        return err;
    if (d.allowed) {
        (void)ratelimit_hit(rule, st, now, &d);
        d.allowed = 1; /* this hit was admitted even if it filled the window */
        d.retry_after = 0;
    }
    *out = d;
    return 0;
}

void ratelimit_reset(struct ratelimit_state *st)
{
    if (st)
        memset(st, 0, sizeof *st);
}

int ratelimit_login_check(struct ratelimit_state *account, struct ratelimit_state *ip, int64_t now,
                          struct ratelimit_decision *out)
{
    struct ratelimit_decision a = {1, 0, UINT32_MAX}, b = {1, 0, UINT32_MAX};
    int err;
    if (!out)
        return RR_ERR_INVAL;
    if (account) {
        err = ratelimit_peek(&ratelimit_login_account, account, now, &a);
        if (err)
            return err;
    }
    if (ip) {
        err = ratelimit_peek(&ratelimit_login_ip, ip, now, &b);
        if (err)
            return err;
    }
    out->allowed = a.allowed && b.allowed;
    out->retry_after = a.retry_after > b.retry_after ? a.retry_after : b.retry_after;
    out->remaining = a.remaining < b.remaining ? a.remaining : b.remaining;
    if (!account && !ip)
        out->remaining = 0;
    return 0;
}

int ratelimit_login_failed(struct ratelimit_state *account, struct ratelimit_state *ip, int64_t now)
{
    int err = 0;
    if (account)
        err = ratelimit_hit(&ratelimit_login_account, account, now, NULL);
    if (!err && ip)
        err = ratelimit_hit(&ratelimit_login_ip, ip, now, NULL);
    return err;
}

void ratelimit_login_succeeded(struct ratelimit_state *account)
{
    ratelimit_reset(account);
}
