/*
 * test_hook_post.c - the pinned POST against a real receiver on loopback (development flag):
 * headers and body arrive, a 302 to an internal address is an answer and is NOT followed (the
 * internal listener sees no connection), internal URLs are refused before any connection,
 * plain http without the flag is refused, connection refused and a receiver that never answers
 * fail within the timeouts, and the body bound holds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/rr_error.h"
#include "net/hook_post.h"
#include "support/hookrx.h"

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void post__delivers_headers_and_body(void **state)
{
    (void)state;
    struct hookrx *rx = hookrx_start();
    assert_non_null(rx);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/in?x=1", hookrx_port(rx));
    struct hook_request rq = {.url = url,
                              .headers = {"webhook-id: evt_1", "webhook-timestamp: 12",
                                          "webhook-signature: v1,abc"},
                              .body = "{\"a\":1}",
                              .body_len = 7,
                              .ssrf_flags = SSRF_ALLOW_LOOPBACK};
    struct hook_result res;
    assert_int_equal(hook_post(&rq, &res), 0);
    assert_int_equal(res.status, 200);
    assert_string_equal(res.ip, "127.0.0.1");
    struct hookrx_req r;
    assert_int_equal(hookrx_get(rx, 0, &r), 0);
    assert_string_equal(r.path, "/in?x=1");
    assert_string_equal(r.id, "evt_1");
    assert_string_equal(r.timestamp, "12");
    assert_string_equal(r.signature, "v1,abc");
    assert_int_equal(r.body_len, 7);
    assert_memory_equal(r.body, "{\"a\":1}", 7);
    /* the same receiver by a numeric form curl might read differently: pinned to 127.0.0.1 */
    snprintf(url, sizeof url, "http://2130706433:%u/n", hookrx_port(rx));
    assert_int_equal(hook_post(&rq, &res), 0);
    assert_int_equal(res.status, 200);
    /* an IPv6 literal is pinned too (the receiver listens on IPv4 only: refused) */
    snprintf(url, sizeof url, "http://[::1]:%u/n", hookrx_port(rx));
    assert_int_equal(hook_post(&rq, &res), RR_ERR_IO);
    assert_string_equal(res.ip, "::1");
    snprintf(url, sizeof url, "http://localhost:%u/n", hookrx_port(rx));
    assert_int_equal(hook_post(&rq, &res), 0); /* localhost pins to its IPv4 address */
    assert_string_equal(res.ip, "127.0.0.1");
    hookrx_stop(rx);
}

static void post__does_not_follow_a_redirect_to_an_internal_address(void **state)
{
    (void)state;
    struct hookrx *rx = hookrx_start(), *inner = hookrx_start();
    assert_non_null(rx);
    assert_non_null(inner);
    char url[128], loc[128];
    snprintf(loc, sizeof loc, "http://127.0.0.1:%u/internal", hookrx_port(inner));
    hookrx_set_mode(rx, HOOKRX_302, loc);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/hook", hookrx_port(rx));
    struct hook_request rq = {.url = url, .body = "{}", .body_len = 2,
                              .ssrf_flags = SSRF_ALLOW_LOOPBACK};
    struct hook_result res;
    assert_int_equal(hook_post(&rq, &res), 0);
    assert_int_equal(res.status, 302);   /* the caller counts a 3xx as a failed delivery */
    assert_int_equal(hookrx_count(rx), 1);
    assert_int_equal(hookrx_connections(inner), 0); /* never followed */
    /* a redirect to the metadata address, likewise */
    hookrx_set_mode(rx, HOOKRX_302, "http://169.254.169.254/latest/meta-data/");
    assert_int_equal(hook_post(&rq, &res), 0);
    assert_int_equal(res.status, 302);
    hookrx_stop(inner);
    hookrx_stop(rx);
}

static void post__refuses_internal_targets_before_connecting(void **state)
{
    (void)state;
    struct hookrx *rx = hookrx_start();
    assert_non_null(rx);
    char url[128];
    struct hook_result res;
    /* loopback without the development flag: refused, no connection */
    snprintf(url, sizeof url, "https://127.0.0.1:%u/", hookrx_port(rx));
    struct hook_request rq = {.url = url, .body = "{}", .body_len = 2};
    assert_int_equal(hook_post(&rq, &res), RR_ERR_FORBIDDEN);
    assert_string_equal(res.ip, "");
    snprintf(url, sizeof url, "http://127.0.0.1:%u/", hookrx_port(rx));
    assert_int_equal(hook_post(&rq, &res), RR_ERR_INVAL); /* plain http */
    snprintf(url, sizeof url, "https://[::ffff:127.0.0.1]:%u/", hookrx_port(rx));
    assert_int_equal(hook_post(&rq, &res), RR_ERR_FORBIDDEN);
    snprintf(url, sizeof url, "https://localhost:%u/", hookrx_port(rx));
    assert_int_equal(hook_post(&rq, &res), RR_ERR_FORBIDDEN);
    /* with the flag, the other internal ranges stay closed */
    rq.ssrf_flags = SSRF_ALLOW_LOOPBACK;
    rq.url = "http://169.254.169.254/latest/meta-data/";
    assert_int_equal(hook_post(&rq, &res), RR_ERR_FORBIDDEN);
    rq.url = "http://0x0a.1/";
    assert_int_equal(hook_post(&rq, &res), RR_ERR_FORBIDDEN);
    assert_int_equal(hookrx_connections(rx), 0);
    hookrx_stop(rx);
}

static void post__fails_fast_when_down_or_silent(void **state)
{
    (void)state;
    struct hookrx *rx = hookrx_start();
    assert_non_null(rx);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/", hookrx_port(rx));
    struct hook_request rq = {.url = url, .body = "{}", .body_len = 2,
                              .ssrf_flags = SSRF_ALLOW_LOOPBACK, .total_ms = 600};
    struct hook_result res;
    assert_int_equal(hookrx_down(rx), 0);
    assert_int_equal(hook_post(&rq, &res), RR_ERR_IO);
    assert_int_equal(res.status, 0);
    assert_true(res.error[0] != '\0');
    assert_int_equal(hookrx_up(rx), 0);
    hookrx_set_mode(rx, HOOKRX_HANG, NULL);
    int64_t t0 = now_ms();
    assert_int_equal(hook_post(&rq, &res), RR_ERR_TIMEOUT);
    int64_t took = now_ms() - t0;
    assert_true(took >= 500 && took < 3000);
    hookrx_set_mode(rx, HOOKRX_503, NULL);
    assert_int_equal(hook_post(&rq, &res), 0);
    assert_int_equal(res.status, 503);
    hookrx_stop(rx);
}

static void post__bounds_the_body(void **state)
{
    (void)state;
    char *big = malloc(HOOK_POST_BODY_MAX + 1);
    assert_non_null(big);
    memset(big, 'x', HOOK_POST_BODY_MAX + 1);
    struct hook_request rq = {.url = "http://127.0.0.1:9/", .body = big,
                              .body_len = HOOK_POST_BODY_MAX + 1,
                              .ssrf_flags = SSRF_ALLOW_LOOPBACK};
    struct hook_result res;
    assert_int_equal(hook_post(&rq, &res), RR_ERR_TOOBIG);
    free(big);
    rq.body = NULL;
    rq.body_len = 1;
    assert_int_equal(hook_post(&rq, &res), RR_ERR_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(post__delivers_headers_and_body),
        cmocka_unit_test(post__does_not_follow_a_redirect_to_an_internal_address),
        cmocka_unit_test(post__refuses_internal_targets_before_connecting),
        cmocka_unit_test(post__fails_fast_when_down_or_silent),
        cmocka_unit_test(post__bounds_the_body),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
