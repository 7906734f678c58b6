/*
 * test_bucket.c - the token bucket of per-key API limits (auth/bucket.h): a fresh key has a full
 * bucket, a burst of `capacity` passes and the next is refused with an exact Retry-After, the
 * refill is proportional to the time passed and never above capacity, a clock step back refills
 * nothing, bad rules are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "auth/bucket.h"
#include "base/rr_error.h"

static void bucket__burst_then_refusal_with_exact_retry_after(void **state)
{
    (void)state;
    struct bucket_rule r = {120, 60}; /* 2 per second, burst 120 */
    struct ratelimit_state st = {0};
    struct bucket_decision d;
    int64_t t = 1767225600000;
    for (int i = 0; i < 120; i++) {
        assert_int_equal(bucket_take(&r, &st, t, &d), 0);
        assert_true(d.allowed);
        assert_int_equal(d.remaining, 119 - i);
    }
    assert_int_equal(d.reset_s, 60);
    assert_int_equal(bucket_take(&r, &st, t, &d), 0);
    assert_false(d.allowed);
    assert_int_equal(d.remaining, 0);
    assert_int_equal(d.retry_after, 1); /* one token = 500 ms -> 1 s */
    assert_int_equal(bucket_take(&r, &st, t + 499, &d), 0);
    assert_false(d.allowed);
    assert_int_equal(bucket_take(&r, &st, t + 500, &d), 0);
    assert_true(d.allowed);
    assert_int_equal(d.remaining, 0);
}

static void bucket__refill_is_bounded_and_ignores_clock_steps_back(void **state)
{
    (void)state;
    struct bucket_rule r = {3, 60}; /* a token every 20 s */
    struct ratelimit_state st = {0};
    struct bucket_decision d;
    int64_t t = 1000000;
    for (int i = 0; i < 3; i++)
        assert_int_equal(bucket_take(&r, &st, t, &d), 0);
    assert_int_equal(bucket_take(&r, &st, t, &d), 0);
    assert_false(d.allowed);
    assert_int_equal(d.retry_after, 20);
    assert_int_equal(bucket_take(&r, &st, t - 50000, &d), 0); /* back in time: no refill */
    assert_false(d.allowed);
    assert_int_equal(bucket_take(&r, &st, t + 3600000, &d), 0); /* an hour: full, not more */
    assert_true(d.allowed);
    assert_int_equal(d.remaining, 2);
    struct bucket_rule bad = {0, 60}, bad2 = {1, 0};
    assert_int_equal(bucket_take(&bad, &st, t, &d), RR_ERR_INVAL);
    assert_int_equal(bucket_take(&bad2, &st, t, &d), RR_ERR_INVAL);
    assert_int_equal(bucket_take(&r, NULL, t, &d), RR_ERR_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bucket__burst_then_refusal_with_exact_retry_after),
        cmocka_unit_test(bucket__refill_is_bounded_and_ignores_clock_steps_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
