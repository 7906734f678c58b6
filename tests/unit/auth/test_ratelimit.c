/*
 * test_ratelimit.c - the sliding-window limiter (counts, weighting of the previous window, exact
 * Retry-After), back-off growth and reset, and the login policy under a scripted attack of 1,000
 * bad logins: throttled, never locked out for good.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "auth/ratelimit.h"
#include "base/rr_error.h"

static const struct ratelimit_rule five_per_min = {5, 60, 0, 0, 0};

static void ratelimit__allows_up_to_the_limit_then_denies(void **state)
{
    (void)state;
    struct ratelimit_state st = {0};
    struct ratelimit_decision d;
    const int64_t t0 = 1000020; /* 1000020 % 60 == 0: start of a window */
    for (uint32_t i = 0; i < 5; i++) {
        assert_int_equal(ratelimit_take(&five_per_min, &st, t0 + i, &d), 0);
        assert_true(d.allowed);
        assert_int_equal(d.retry_after, 0);
        assert_int_equal(d.remaining, 4 - i);
    }
    assert_int_equal(ratelimit_take(&five_per_min, &st, t0 + 5, &d), 0);
    assert_false(d.allowed);
    assert_int_equal(d.remaining, 0);
    /* window [t0, t0+60) holds 5; in the next window they weigh 5*(60-e)/60 and one more hit
     * needs that <= 4, i.e. e >= 12: t0 + 72, which is 67 s after t0 + 5 */
    assert_int_equal(d.retry_after, 67);
    assert_int_equal(st.cur, 5); /* the denied attempt was not counted */
    struct ratelimit_state copy = st;
    assert_int_equal(ratelimit_peek(&five_per_min, &copy, t0 + 71, &d), 0);
    assert_false(d.allowed);
    assert_int_equal(d.retry_after, 1);
    assert_int_equal(ratelimit_take(&five_per_min, &st, t0 + 72, &d), 0);
    assert_true(d.allowed);
}

static void ratelimit__previous_window_is_weighted_by_overlap(void **state)
{
    (void)state;
    const struct ratelimit_rule r = {10, 100, 0, 0, 0};
    struct ratelimit_state st = {0};
    struct ratelimit_decision d;
    for (int i = 0; i < 10; i++)
        assert_int_equal(ratelimit_hit(&r, &st, 1000 + i, NULL), 0);
    /* at 1150 (e=50 in window [1100,1200)) the 10 old hits weigh 5: 5 more allowed */
    int allowed = 0;
    for (int i = 0; i < 20; i++) {
        assert_int_equal(ratelimit_take(&r, &st, 1150, &d), 0);
        allowed += d.allowed;
    }
    assert_int_equal(allowed, 5);
    assert_int_equal(st.prev, 10);
    assert_int_equal(st.cur, 5);
    /* a gap of more than one window forgets everything */
    assert_int_equal(ratelimit_peek(&r, &st, 1400, &d), 0);
    assert_true(d.allowed);
    assert_int_equal(d.remaining, 10);
    assert_int_equal(st.prev, 0);
    assert_int_equal(st.cur, 0);
}

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)rng;
}

static void ratelimit__retry_after_is_exact_under_random_traffic(void **state)
{
    (void)state;
    const struct ratelimit_rule rules[] = {{5, 60, 0, 0, 0}, {20, 60, 0, 0, 0}, {3, 7, 0, 0, 0},
                                           {100, 3600, 0, 0, 0}, {1, 1, 0, 0, 0}, {5, 60, 30, 300, 600}};
    int denials = 0;
    for (size_t k = 0; k < sizeof rules / sizeof rules[0]; k++) {
        struct ratelimit_state st = {0};
        int64_t now = 5000 + (int64_t)(next_rand() % 1000);
        for (int i = 0; i < 3000; i++) {
            struct ratelimit_decision d;
            now += next_rand() % (rules[k].window_s / 4 + 2);
            assert_int_equal(ratelimit_take(&rules[k], &st, now, &d), 0);
            if (d.allowed)
                continue;
            denials++;
            assert_true(d.retry_after >= 1);
            struct ratelimit_state a = st, b = st;
            struct ratelimit_decision da, db;
            assert_int_equal(ratelimit_peek(&rules[k], &a, now + d.retry_after - 1, &da), 0);
            assert_int_equal(ratelimit_peek(&rules[k], &b, now + d.retry_after, &db), 0);
            if (da.allowed || !db.allowed)
                fail_msg("rule %zu at %lld: retry_after %u is not exact", k, (long long)now,
                         d.retry_after);
        }
    }
    printf("%d denials, each with an exact Retry-After\n", denials);
    assert_true(denials > 100);
}

static void ratelimit__backoff_doubles_caps_and_resets(void **state)
{
    (void)state;
    const struct ratelimit_rule *r = &ratelimit_login_account;
    struct ratelimit_state st = {0};
    struct ratelimit_decision d;
    int64_t t = 600000; /* window start */
    for (int i = 0; i < 5; i++)
        assert_int_equal(ratelimit_hit(r, &st, t, NULL), 0);
    assert_int_equal(st.strikes, 1);
    assert_int_equal(st.blocked_until, t + 60);
    assert_int_equal(ratelimit_peek(r, &st, t + 30, &d), 0);
    assert_false(d.allowed);
    assert_true(d.retry_after >= 30);
    /* each further fill doubles the block: 60, 120, 240, 480, 900 (cap), 900 */
    const int64_t want[] = {120, 240, 480, 900, 900};
    for (int s = 0; s < 5; s++) {
        assert_int_equal(ratelimit_peek(r, &st, t, &d), 0);
        t += d.retry_after;
        assert_int_equal(ratelimit_peek(r, &st, t, &d), 0);
        assert_true(d.allowed);
        assert_int_equal(ratelimit_hit(r, &st, t, &d), 0);
        /* one more failure right after the block fills the sliding window again */
        assert_int_equal(st.strikes, (uint32_t)s + 2);
        assert_int_equal(st.blocked_until, t + want[s]);
        assert_false(d.allowed);
        assert_true(d.retry_after >= want[s]);
    }
    /* an hour of quiet forgets the strikes and the window: a full 5 attempts again */
    t += 900 + 3600;
    int ok = 0;
    for (int i = 0; i < 10; i++) {
        assert_int_equal(ratelimit_take(r, &st, t, &d), 0);
        ok += d.allowed;
    }
    assert_int_equal(ok, 5);
    assert_int_equal(st.strikes, 1);
    ratelimit_reset(&st);
    assert_int_equal(st.strikes, 0);
    assert_int_equal(st.cur, 0);
    ratelimit_reset(NULL);
}

static void ratelimit__login_throttles_a_scripted_attack_without_permanent_lockout(void **state)
{
    (void)state;
    struct ratelimit_state acct = {0}, ip = {0};
    struct ratelimit_decision d;
    int64_t t = 7200000;
    int tried = 0, refused = 0;
    uint32_t max_retry = 0;
    /* 1,000 bad logins against one account from one IP, one request per second */
    for (int i = 0; i < 1000; i++, t++) {
        assert_int_equal(ratelimit_login_check(&acct, &ip, t, &d), 0);
        if (!d.allowed) {
            refused++;
            assert_true(d.retry_after >= 1);
            if (d.retry_after > max_retry)
                max_retry = d.retry_after;
            continue;
        }
        tried++;
        assert_int_equal(ratelimit_login_failed(&acct, &ip, t), 0);
    }
    printf("1000 bad logins in 1000 s: %d reached the password check, %d got 429, max Retry-After %u s\n",
           tried, refused, max_retry);
    assert_int_equal(tried + refused, 1000);
    assert_true(tried >= 5 && tried <= 15); /* back-off: a handful, not 5 per minute (83) */
    assert_true(max_retry <= 900 + 60);      /* the block is capped: no permanent lockout */
    /* after the cap the owner gets in, and success clears the account */
    t += 960;
    assert_int_equal(ratelimit_login_check(&acct, &ip, t, &d), 0);
    assert_true(d.allowed);
    ratelimit_login_succeeded(&acct);
    assert_int_equal(acct.strikes, 0);
    assert_int_equal(acct.cur, 0);
}

static void ratelimit__login_limits_one_ip_across_accounts(void **state)
{
    (void)state;
    struct ratelimit_state ip = {0}, accts[30];
    struct ratelimit_decision d;
    memset(accts, 0, sizeof accts);
    int64_t t = 3600000;
    int allowed = 0;
    for (int i = 0; i < 30; i++) {
        assert_int_equal(ratelimit_login_check(&accts[i], &ip, t, &d), 0);
        if (d.allowed) {
            allowed++;
            assert_int_equal(ratelimit_login_failed(&accts[i], &ip, t), 0);
        }
    }
    assert_int_equal(allowed, 20); /* 20 per minute per IP */
    assert_false(d.allowed);
    assert_true(d.retry_after > 0 && d.retry_after <= 120);
    /* an unknown account (no state) is throttled by IP alone */
    assert_int_equal(ratelimit_login_check(NULL, &ip, t, &d), 0);
    assert_false(d.allowed);
    assert_int_equal(ratelimit_login_failed(NULL, &ip, t), 0);
    /* the same account from elsewhere is unaffected by this IP */
    struct ratelimit_state ip2 = {0};
    assert_int_equal(ratelimit_login_check(&accts[0], &ip2, t, &d), 0);
    assert_true(d.allowed);
    assert_int_equal(d.remaining, 4);
    assert_int_equal(ratelimit_login_check(NULL, NULL, t, &d), 0);
    assert_true(d.allowed);
    assert_int_equal(ratelimit_login_check(&accts[0], &ip2, t, NULL), RR_ERR_INVAL);
    assert_int_equal(ratelimit_login_check(&accts[0], &ip2, -1, &d), RR_ERR_INVAL);
    assert_int_equal(ratelimit_login_check(NULL, &ip2, -1, &d), RR_ERR_INVAL);
    assert_int_equal(ratelimit_login_failed(&accts[0], NULL, -1), RR_ERR_INVAL);
}

static void ratelimit__refuses_invalid_rules_and_survives_clock_going_back(void **state)
{
    (void)state;
    struct ratelimit_state st = {0};
    struct ratelimit_decision d;
    const struct ratelimit_rule zero_limit = {0, 60, 0, 0, 0}, zero_window = {5, 0, 0, 0, 0},
                                bad_backoff = {5, 60, 100, 10, 0}, huge_window = {5, 1u << 21, 0, 0, 0};
    assert_int_equal(ratelimit_peek(&zero_limit, &st, 10, &d), RR_ERR_INVAL);
    assert_int_equal(ratelimit_peek(&zero_window, &st, 10, &d), RR_ERR_INVAL);
    assert_int_equal(ratelimit_peek(&bad_backoff, &st, 10, &d), RR_ERR_INVAL);
    assert_int_equal(ratelimit_peek(&huge_window, &st, 10, &d), RR_ERR_INVAL);
    assert_int_equal(ratelimit_peek(NULL, &st, 10, &d), RR_ERR_INVAL);
    assert_int_equal(ratelimit_peek(&five_per_min, NULL, 10, &d), RR_ERR_INVAL);
    assert_int_equal(ratelimit_peek(&five_per_min, &st, 10, NULL), RR_ERR_INVAL);
    assert_int_equal(ratelimit_hit(&five_per_min, &st, -3, NULL), RR_ERR_INVAL);
    assert_int_equal(ratelimit_take(&five_per_min, &st, -3, &d), RR_ERR_INVAL);

    /* clock steps back by two windows: the newer window is kept, counts are not lost */
    for (int i = 0; i < 5; i++)
        assert_int_equal(ratelimit_hit(&five_per_min, &st, 6000, NULL), 0);
    assert_int_equal(ratelimit_take(&five_per_min, &st, 5880, &d), 0);
    assert_false(d.allowed);
    assert_true(d.retry_after >= 1);
    /* and forward again */
    assert_int_equal(ratelimit_take(&five_per_min, &st, 6200, &d), 0);
    assert_true(d.allowed);
    /* counters saturate instead of wrapping */
    struct ratelimit_state sat = {0};
    assert_int_equal(ratelimit_hit(&five_per_min, &sat, 60, NULL), 0);
    sat.cur = UINT32_MAX;
    assert_int_equal(ratelimit_hit(&five_per_min, &sat, 61, &d), 0);
    assert_int_equal(sat.cur, UINT32_MAX);
    assert_false(d.allowed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ratelimit__allows_up_to_the_limit_then_denies),
        cmocka_unit_test(ratelimit__previous_window_is_weighted_by_overlap),
        cmocka_unit_test(ratelimit__retry_after_is_exact_under_random_traffic),
        cmocka_unit_test(ratelimit__backoff_doubles_caps_and_resets),
        cmocka_unit_test(ratelimit__login_throttles_a_scripted_attack_without_permanent_lockout),
        cmocka_unit_test(ratelimit__login_limits_one_ip_across_accounts),
        cmocka_unit_test(ratelimit__refuses_invalid_rules_and_survives_clock_going_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
