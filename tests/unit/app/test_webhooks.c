/*
 * test_webhooks.c - webhooks end to end on real engines: SQLite store, the db queue, the worker
 * pool running the app's deliver_webhook kind, and a real HTTP receiver on loopback (the
 * development flag allows it; retry base 200 ms so the schedule fits in seconds).
 *   - the receiver is down (connection refused), then answers 503, then 200: every event
 *     arrives exactly once with a valid Standard Webhooks signature, in emission order per
 *     member, and the log shows the retries;
 *   - with a 1 s retry window both events of a member fail after retrying, the second only
 *     after the first was given up;
 *   - a 302 to an internal listener is a failed attempt and is not followed;
 *   - the SSRF policy at creation and again at delivery (a stored URL that now points inside);
 *   - a test event, a manual redelivery (same webhook-id), emit's refusals;
 *   - the retry schedule (exponential, capped, +-25 % jitter, ~24 h of attempts).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app/app.h"
#include "auth/webhook_sig.h"
#include "base/rr_error.h"
#include "queue/worker.h"
#include "store/store.h"
#include "support/hookrx.h"

#define ORG "0123456789abcdef0123456789abcdef"
#define ORG2 "fedcba9876543210fedcba9876543210"

struct fx {
    char dir[64];
    struct app *a;
    struct hookrx *rx;
};

static int setup_window(void **state, const char *window)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/rr-webhooks-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char arg[128], msg[256];
    snprintf(arg, sizeof arg, "--data-dir=%s", f->dir);
    char *argv[] = {"serve", arg, "--webhook-allow-http-loopback=1", "--webhook-retry-base-ms=200",
                    "--job-user-concurrency=0", (char *)window, NULL};
    struct app_config c;
    assert_int_equal(app_config_load(&c, APP_CMD_SERVE, 6, argv, msg, sizeof msg), 0);
    assert_int_equal(app_open(&c, &f->a, msg, sizeof msg), 0);
    f->rx = hookrx_start();
    assert_non_null(f->rx);
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return setup_window(state, "--webhook-retry-window-s=86400");
}

/* Retries stop one second after the event. */
static int setup_short(void **state)
{
    return setup_window(state, "--webhook-retry-window-s=1");
}

static int teardown(void **state)
{
    struct fx *f = *state;
    hookrx_stop(f->rx);
    app_close(f->a);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", f->dir);
    free(f);
    return 0;
}

static struct worker_pool *pool(struct fx *f, int threads)
{
    struct worker_config wc;
    struct worker_pool *p = NULL;
    char msg[256];
    app_worker_config(f->a, threads, &wc);
    assert_int_equal(worker_pool_start(&wc, &p, msg, sizeof msg), 0);
    worker_pool_set_drain_ms(p, 2000);
    return p;
}

static void make_endpoint(struct fx *f, const char *path, struct store_webhook_endpoint *e)
{
    char url[128], msg[256] = "";
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", hookrx_port(f->rx), path);
    const char *types[] = {APP_WEBHOOK_WORKOUT_SYNCED, APP_WEBHOOK_ANALYSIS_COMPLETED,
                           APP_WEBHOOK_WORKOUT_SYNCED};
    int rc = app_webhook_create(f->a, ORG, url, types, 3, e, msg, sizeof msg);
    if (rc)
        fail_msg("create: %d %s", rc, msg);
    assert_string_equal(e->event_types, "workout.synced analysis.completed");
    assert_int_equal(strncmp(e->secret, "whsec_", 6), 0);
    /* at rest the secret is sealed under the server's key, never in clear */
    struct store_webhook_endpoint *stored = malloc(sizeof *stored);
    assert_non_null(stored);
    assert_int_equal(store_webhook_endpoint_get(f->a->store, ORG, e->id, stored), 0);
    assert_int_equal(strncmp(stored->secret, "enc1:", 5), 0);
    assert_null(strstr(stored->secret, e->secret + 6));
    free(stored);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until the org's deliveries are all out of "pending" (or the deadline). */
static int all_settled(struct fx *f, int timeout_ms)
{
    int64_t end = mono_ms() + timeout_ms;
    for (;;) {
        struct store_webhook_delivery *items = NULL;
        size_t n = 0;
        char next[STORE_CURSOR_MAX];
        assert_int_equal(
            store_webhook_delivery_list(f->a->store, ORG, NULL, NULL, 100, &items, &n, next), 0);
        int pending = 0;
        for (size_t i = 0; i < n; i++)
            pending += items[i].status == STORE_DELIVERY_PENDING;
        free(items);
        if (!pending)
            return 1;
        if (mono_ms() > end)
            return 0;
        usleep(50000);
    }
}

#define MEMBERS 3
#define PER_MEMBER 4

static void webhooks__down_then_up_every_event_once_in_order_per_member(void **state)
{
    struct fx *f = *state;
    struct store_webhook_endpoint e;
    make_endpoint(f, "/hook", &e);
    char members[MEMBERS][STORE_ID_LEN + 1];
    char ids[MEMBERS][PER_MEMBER][STORE_WEBHOOK_EVENT_ID_MAX + 1];
    for (int m = 0; m < MEMBERS; m++)
        store_new_id(members[m]);
    hookrx_down(f->rx); /* connection refused */
    int64_t t0 = mono_ms();
    struct worker_pool *p = pool(f, 4);
    for (int k = 0; k < PER_MEMBER; k++)
        for (int m = 0; m < MEMBERS; m++) {
            char data[64];
            int n = 0;
            snprintf(data, sizeof data, "{\"seq\":%d}", k);
            const char *type = k % 2 ? APP_WEBHOOK_ANALYSIS_COMPLETED : APP_WEBHOOK_WORKOUT_SYNCED;
            assert_int_equal(app_webhook_emit(f->a, ORG, type, members[m], data, &n, ids[m][k]),
                             0);
            assert_int_equal(n, 1);
        }
    usleep(1200000);
    assert_int_equal(hookrx_count(f->rx), 0);
    hookrx_set_mode(f->rx, HOOKRX_503, NULL);
    assert_int_equal(hookrx_up(f->rx), 0);
    usleep(2500000); /* longer than any gap between attempts there (<= 2 s): every lane sees it */
    hookrx_set_mode(f->rx, HOOKRX_OK, NULL);
    assert_true(all_settled(f, 25000));
    int64_t took = mono_ms() - t0;
    worker_pool_stop(p);

    /* every event exactly once with status 200, signed, in order per member */
    size_t total = hookrx_count(f->rx), ok = 0, unavailable = 0;
    int next_k[MEMBERS] = {0};
    int64_t now_s = time(NULL);
    struct hookrx_req *r = malloc(sizeof *r);
    assert_non_null(r);
    for (size_t i = 0; i < total; i++) {
        assert_int_equal(hookrx_get(f->rx, i, r), 0);
        assert_string_equal(r->path, "/hook");
        assert_int_equal(webhook_sig_verify(e.secret, r->id, r->timestamp, r->body, r->body_len,
                                            r->signature, now_s, 300),
                         0);
        if (r->status == 503) {
            unavailable++;
            continue;
        }
        assert_int_equal(r->status, 200);
        ok++;
        json_t *b = json_loadb(r->body, r->body_len, 0, NULL);
        assert_non_null(b);
        assert_string_equal(json_string_value(json_object_get(b, "id")), r->id);
        assert_string_equal(json_string_value(json_object_get(b, "org_id")), ORG);
        const char *member = json_string_value(json_object_get(b, "member_id"));
        int k = (int)json_integer_value(json_object_get(json_object_get(b, "data"), "seq"));
        int m = -1;
        for (int x = 0; x < MEMBERS; x++)
            if (member && strcmp(member, members[x]) == 0)
                m = x;
        assert_true(m >= 0);
        if (k != next_k[m])
            fail_msg("member %d: event %d arrived when %d was due", m, k, next_k[m]);
        assert_string_equal(r->id, ids[m][k]);
        assert_string_equal(json_string_value(json_object_get(b, "type")),
                            k % 2 ? "analysis.completed" : "workout.synced");
        next_k[m]++;
        json_decref(b);
    }
    free(r);
    assert_int_equal(ok, MEMBERS * PER_MEMBER);
    for (int m = 0; m < MEMBERS; m++)
        assert_int_equal(next_k[m], PER_MEMBER);
    assert_true(unavailable >= 1); /* the 503 phase was seen */
    /* the log: all delivered, the first of each member needed several attempts */
    struct store_webhook_delivery *items = NULL;
    size_t n = 0;
    char next[STORE_CURSOR_MAX];
    assert_int_equal(
        store_webhook_delivery_list(f->a->store, ORG, e.id, NULL, 100, &items, &n, next), 0);
    assert_int_equal(n, MEMBERS * PER_MEMBER);
    int retried = 0;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(items[i].status, STORE_DELIVERY_DELIVERED);
        assert_int_equal(items[i].last_status, 200);
        retried += items[i].attempts > 1;
    }
    assert_true(retried >= MEMBERS);
    free(items);
    printf("note: %d events, %zu requests (%zu answered 503), settled in %lld ms\n",
           MEMBERS * PER_MEMBER, total, unavailable, (long long)took);
}

static void webhooks__given_up_after_the_window_and_the_member_lane_moves_on(void **state)
{
    struct fx *f = *state;
    struct store_webhook_endpoint e;
    make_endpoint(f, "/hook", &e);
    hookrx_set_mode(f->rx, HOOKRX_503, NULL);
    char member[STORE_ID_LEN + 1], e1[STORE_WEBHOOK_EVENT_ID_MAX + 1],
        e2[STORE_WEBHOOK_EVENT_ID_MAX + 1];
    store_new_id(member);
    assert_int_equal(app_webhook_emit(f->a, ORG, APP_WEBHOOK_WORKOUT_SYNCED, member, "{}", NULL,
                                      e1),
                     0);
    assert_int_equal(app_webhook_emit(f->a, ORG, APP_WEBHOOK_ANALYSIS_COMPLETED, member, "{}",
                                      NULL, e2),
                     0);
    struct worker_pool *p = pool(f, 2);
    assert_true(all_settled(f, 15000));
    worker_pool_stop(p);
    /* both failed after retrying; every attempt of the second came after the first gave up */
    struct store_webhook_delivery *items = NULL;
    size_t n = 0;
    char next[STORE_CURSOR_MAX];
    assert_int_equal(
        store_webhook_delivery_list(f->a->store, ORG, NULL, NULL, 10, &items, &n, next), 0);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(items[i].status, STORE_DELIVERY_FAILED);
        assert_int_equal(items[i].last_status, 503);
        assert_string_equal(items[i].last_error, "HTTP 503");
        /* the first retried; the second may get one attempt only (the window is nearly over) */
        assert_true(items[i].attempts >= (strcmp(items[i].event_id, e1) == 0 ? 2 : 1));
    }
    free(items);
    size_t total = hookrx_count(f->rx), first_of_2 = total, last_of_1 = 0, n1 = 0, n2 = 0;
    struct hookrx_req *r = malloc(sizeof *r);
    assert_non_null(r);
    for (size_t i = 0; i < total; i++) {
        assert_int_equal(hookrx_get(f->rx, i, r), 0);
        if (strcmp(r->id, e1) == 0) {
            last_of_1 = i;
            n1++;
        } else if (strcmp(r->id, e2) == 0) {
            first_of_2 = i < first_of_2 ? i : first_of_2;
            n2++;
        }
    }
    free(r);
    assert_true(n1 >= 2 && n2 >= 1);
    assert_true(last_of_1 < first_of_2);
}

static void webhooks__a_redirect_is_a_failed_attempt_and_is_not_followed(void **state)
{
    struct fx *f = *state;
    struct hookrx *inner = hookrx_start();
    assert_non_null(inner);
    char loc[128];
    snprintf(loc, sizeof loc, "http://127.0.0.1:%u/internal", hookrx_port(inner));
    hookrx_set_mode(f->rx, HOOKRX_302, loc);
    struct store_webhook_endpoint e;
    make_endpoint(f, "/hook", &e);
    char member[STORE_ID_LEN + 1];
    store_new_id(member);
    assert_int_equal(app_webhook_emit(f->a, ORG, APP_WEBHOOK_WORKOUT_SYNCED, member, "{}", NULL,
                                      NULL),
                     0);
    struct worker_pool *p = pool(f, 1);
    struct store_webhook_delivery *items = NULL;
    size_t n = 0;
    char next[STORE_CURSOR_MAX];
    int64_t end = mono_ms() + 10000;
    int attempts = 0;
    while (mono_ms() < end && attempts < 1) {
        usleep(50000);
        assert_int_equal(
            store_webhook_delivery_list(f->a->store, ORG, NULL, NULL, 10, &items, &n, next), 0);
        assert_int_equal(n, 1);
        if (items[0].last_status)
            attempts = items[0].attempts;
        if (!attempts)
            free(items);
    }
    worker_pool_stop(p);
    assert_true(attempts >= 1);
    assert_int_equal(items[0].last_status, 302);
    assert_non_null(strstr(items[0].last_error, "redirects are not followed"));
    assert_int_not_equal(items[0].status, STORE_DELIVERY_DELIVERED);
    free(items);
    assert_true(hookrx_count(f->rx) >= 1);
    assert_int_equal(hookrx_connections(inner), 0);
    hookrx_stop(inner);
}

static void webhooks__ssrf_policy_at_creation_and_at_every_delivery(void **state)
{
    struct fx *f = *state;
    struct store_webhook_endpoint e;
    char msg[256];
    const char *types[] = {APP_WEBHOOK_WORKOUT_SYNCED};
    static const char *const refused[] = {
        "https://169.254.169.254/latest/meta-data/", "https://10.0.0.1/", "https://167772161/",
        "http://[::ffff:10.0.0.1]/", "https://0251.0376.0251.0376/", "ftp://example.com/",
        "https://192.168.1.1:8443/x", "http://0.0.0.0:9/",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        int rc = app_webhook_create(f->a, ORG, refused[i], types, 1, &e, msg, sizeof msg);
        if (rc == 0)
            fail_msg("%s was accepted", refused[i]);
        assert_true(msg[0] != '\0');
    }
    /* 2130706433 is loopback: allowed under the development flag */
    assert_int_equal(app_webhook_create(f->a, ORG, "http://2130706433:9/", types, 1, &e, msg,
                                        sizeof msg),
                     0);
    const char *bad_types[] = {"workout.deleted"};
    assert_int_equal(app_webhook_create(f->a, ORG, "http://127.0.0.1:9/", bad_types, 1, &e, msg,
                                        sizeof msg),
                     RR_ERR_INVAL);
    assert_int_equal(app_webhook_create(f->a, ORG, "http://127.0.0.1:9/", types, 0, &e, msg,
                                        sizeof msg),
                     RR_ERR_INVAL);
    /* a stored URL that now points inside (as a DNS change would make it) is refused when the
     * delivery is attempted: nothing connects, the log says why */
    struct store_webhook_endpoint *raw = calloc(1, sizeof *raw);
    assert_non_null(raw);
    memcpy(raw->org_id, ORG2, sizeof raw->org_id);
    snprintf(raw->url, sizeof raw->url, "http://10.1.2.3:%u/", hookrx_port(f->rx));
    char plain[WEBHOOK_SIG_SECRET_SIZE];
    webhook_sig_secret_new(plain);
    assert_int_equal(webhook_sig_seal(f->a->webhook_key, plain, raw->secret), 0);
    snprintf(raw->event_types, sizeof raw->event_types, "workout.synced");
    raw->enabled = true;
    assert_int_equal(store_webhook_endpoint_create(f->a->store, raw), 0);
    free(raw);
    assert_int_equal(app_webhook_emit(f->a, ORG2, APP_WEBHOOK_WORKOUT_SYNCED, NULL, "{}", NULL,
                                      NULL),
                     0);
    struct worker_pool *p = pool(f, 1);
    struct store_webhook_delivery *items = NULL;
    size_t n = 0;
    char next[STORE_CURSOR_MAX];
    int64_t end = mono_ms() + 10000;
    for (;;) {
        assert_int_equal(
            store_webhook_delivery_list(f->a->store, ORG2, NULL, NULL, 10, &items, &n, next), 0);
        assert_int_equal(n, 1);
        if (items[0].attempts >= 1 && items[0].last_error[0])
            break;
        free(items);
        assert_true(mono_ms() < end);
        usleep(50000);
    }
    worker_pool_stop(p);
    assert_non_null(strstr(items[0].last_error, "private"));
    assert_int_equal(items[0].last_status, 0);
    free(items);
    assert_int_equal(hookrx_connections(f->rx), 0);
}

static void webhooks__test_event_and_redelivery(void **state)
{
    struct fx *f = *state;
    struct store_webhook_endpoint e;
    make_endpoint(f, "/t", &e);
    char evt[STORE_WEBHOOK_EVENT_ID_MAX + 1], member[STORE_ID_LEN + 1];
    store_new_id(member);
    assert_int_equal(app_webhook_test(f->a, ORG, e.id, evt), 0);
    assert_int_equal(app_webhook_test(f->a, ORG2, e.id, evt), RR_ERR_NOTFOUND);
    char first[STORE_WEBHOOK_EVENT_ID_MAX + 1];
    assert_int_equal(app_webhook_emit(f->a, ORG, APP_WEBHOOK_ANALYSIS_COMPLETED, member,
                                      "{\"score\":87.5}", NULL, first),
                     0);
    /* refusals */
    assert_int_equal(app_webhook_emit(f->a, ORG, "member.deleted", member, "{}", NULL, NULL),
                     RR_ERR_INVAL);
    assert_int_equal(app_webhook_emit(f->a, ORG, APP_WEBHOOK_TEST, member, "{}", NULL, NULL),
                     RR_ERR_INVAL);
    assert_int_equal(app_webhook_emit(f->a, ORG, APP_WEBHOOK_MEMBER_LINKED, member, "[1]", NULL,
                                      NULL),
                     RR_ERR_INVAL);
    assert_int_equal(app_webhook_emit(f->a, ORG, APP_WEBHOOK_MEMBER_LINKED, member, "{", NULL,
                                      NULL),
                     RR_ERR_INVAL);
    struct worker_pool *p = pool(f, 2);
    assert_true(all_settled(f, 10000));
    /* redeliver the analysis event: the same webhook-id and body arrive again */
    struct store_webhook_delivery *items = NULL;
    size_t n = 0;
    char next[STORE_CURSOR_MAX];
    assert_int_equal(
        store_webhook_delivery_list(f->a->store, ORG, NULL, NULL, 10, &items, &n, next), 0);
    assert_int_equal(n, 2);
    const char *did = NULL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(items[i].event_id, first) == 0)
            did = items[i].id;
    assert_non_null(did);
    assert_int_equal(app_webhook_redeliver(f->a, ORG2, did), RR_ERR_NOTFOUND);
    assert_int_equal(app_webhook_redeliver(f->a, ORG, did), 0);
    free(items);
    assert_true(all_settled(f, 10000));
    worker_pool_stop(p);
    size_t total = hookrx_count(f->rx), seen_first = 0, seen_test = 0;
    struct hookrx_req *r = malloc(sizeof *r);
    assert_non_null(r);
    const char *body0 = NULL;
    char keep[512] = "";
    for (size_t i = 0; i < total; i++) {
        assert_int_equal(hookrx_get(f->rx, i, r), 0);
        assert_int_equal(r->status, 200);
        if (strcmp(r->id, first) == 0) {
            seen_first++;
            if (!body0) {
                snprintf(keep, sizeof keep, "%.*s", (int)r->body_len, r->body);
                body0 = keep;
            } else {
                assert_string_equal(keep, r->body); /* the same bytes */
            }
        }
        if (strcmp(r->id, evt) == 0) {
            seen_test++;
            assert_non_null(strstr(r->body, "\"type\":\"webhook.test\""));
        }
    }
    free(r);
    assert_int_equal(seen_first, 2);
    assert_int_equal(seen_test, 1);
    /* deleting the endpoint deletes its log */
    assert_int_equal(app_webhook_delete(f->a, ORG2, e.id), RR_ERR_NOTFOUND);
    assert_int_equal(app_webhook_delete(f->a, ORG, e.id), 0);
    assert_int_equal(
        store_webhook_delivery_list(f->a->store, ORG, NULL, NULL, 10, &items, &n, next), 0);
    assert_int_equal(n, 0);
}

static void webhooks__retry_schedule_is_exponential_capped_and_jittered(void **state)
{
    (void)state;
    assert_int_equal(app_webhook_retry_delay_ms(10000, 1, 0.5), 10000);
    assert_int_equal(app_webhook_retry_delay_ms(10000, 2, 0.5), 20000);
    assert_int_equal(app_webhook_retry_delay_ms(10000, 5, 0.5), 160000);
    assert_int_equal(app_webhook_retry_delay_ms(10000, 40, 0.5), APP_WEBHOOK_RETRY_CAP_MS);
    assert_int_equal(app_webhook_retry_delay_ms(10000, 1, 0.0), 7500);
    assert_true(app_webhook_retry_delay_ms(10000, 1, 0.999999) <= 12500);
    assert_true(app_webhook_retry_delay_ms(10000, 1, 5.0) <= 12500); /* clamped */
    /* jitter spreads: 1000 draws of attempt 3 cover most of [30 s, 50 s) */
    int64_t lo = INT64_MAX, hi = 0;
    for (int i = 0; i < 1000; i++) {
        int64_t d = app_webhook_retry_delay_ms(10000, 3, i / 1000.0);
        lo = d < lo ? d : lo;
        hi = d > hi ? d : hi;
    }
    assert_true(lo == 30000 && hi >= 49900 && hi < 50000);
    /* how many attempts fit in the default 24 h window (mean jitter) */
    int64_t t = 0;
    int attempts = 1;
    while (t + app_webhook_retry_delay_ms(10000, attempts, 0.5) <= 86400000LL)
        t += app_webhook_retry_delay_ms(10000, attempts++, 0.5);
    assert_true(attempts >= 15 && attempts <= 25);
    printf("note: %d attempts in 24 h, the last at %.1f h\n", attempts, t / 3.6e6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            webhooks__down_then_up_every_event_once_in_order_per_member, setup, teardown),
        cmocka_unit_test_setup_teardown(
            webhooks__given_up_after_the_window_and_the_member_lane_moves_on, setup_short,
            teardown),
        cmocka_unit_test_setup_teardown(
            webhooks__a_redirect_is_a_failed_attempt_and_is_not_followed, setup, teardown),
        cmocka_unit_test_setup_teardown(webhooks__ssrf_policy_at_creation_and_at_every_delivery,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(webhooks__test_event_and_redelivery, setup, teardown),
        cmocka_unit_test(webhooks__retry_schedule_is_exponential_capped_and_jittered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
