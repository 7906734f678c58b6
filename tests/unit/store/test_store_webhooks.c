/*
 * test_store_webhooks.c - the webhook tables (migration 8): endpoints per organisation (scoped,
 * capped, cascade to deliveries), emit writes one delivery and one job per subscribed enabled
 * endpoint in one transaction, the worker's claim/finish state machine (send, retry with a new
 * job, give up, stale jobs do nothing, per-(endpoint, member) order with the next delivery woken
 * when the earlier one ends), the paged delivery log and the body bound; deliveries are their
 * org's own owner in the fair, capped job claim (not one owner for every org's deliveries).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/rr_error.h"
#include "store/store.h"
#include "support/storetest.h"

#define ORG "0123456789abcdef0123456789abcdef"
#define ORG2 "fedcba9876543210fedcba9876543210"
#define MEMBER "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define MEMBER2 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static const struct store_job_spec spec = {"deliver_webhook", 3};

struct fx {
    struct store *s;
    char dir[STORETEST_DIR_MAX];
    int64_t now;
};

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->now = STORETEST_NOW;
    storetest_open(&f->s, f->dir, "wh", &f->now);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    storetest_close(f->s, f->dir);
    free(f);
    return 0;
}

static void endpoint(struct fx *f, const char *org, const char *types, bool enabled,
                     char id[STORE_ID_LEN + 1])
{
    struct store_webhook_endpoint *e = calloc(1, sizeof *e);
    assert_non_null(e);
    snprintf(e->org_id, sizeof e->org_id, "%s", org);
    snprintf(e->url, sizeof e->url, "https://hooks.example.com/in");
    snprintf(e->secret, sizeof e->secret, "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
    snprintf(e->event_types, sizeof e->event_types, "%s", types);
    e->enabled = enabled;
    assert_int_equal(store_webhook_endpoint_create(f->s, e), 0);
    memcpy(id, e->id, STORE_ID_LEN + 1);
    free(e);
}

static int emit(struct fx *f, const char *org, const char *endpoint_id, const char *type,
                const char *member, const char *evt)
{
    char body[128];
    snprintf(body, sizeof body, "{\"id\":\"%s\"}", evt);
    struct store_webhook_event ev = {evt, type, member, body, 0};
    int n = -1;
    int rc = store_webhook_emit(f->s, org, endpoint_id, &ev, &spec, &n);
    return rc < 0 ? rc : n;
}

/* Claim the next runnable job (fails the test when there is none). */
static void next_job(struct fx *f, struct store_job *j)
{
    assert_int_equal(store_job_claim(f->s, "w1", 60000, j), 0);
    assert_string_equal(j->kind, "deliver_webhook");
}

static void delivery_of(const struct store_job *j, char id[STORE_ID_LEN + 1])
{
    const char *p = strstr(j->payload, "\"delivery_id\":\"");
    assert_non_null(p);
    memcpy(id, p + 15, STORE_ID_LEN);
    id[STORE_ID_LEN] = '\0';
}

static void webhooks__endpoints_are_scoped_capped_and_listed(void **state)
{
    struct fx *f = *state;
    char a[STORE_ID_LEN + 1], b[STORE_ID_LEN + 1], x[STORE_ID_LEN + 1];
    endpoint(f, ORG, "analysis.completed", true, a);
    f->now += 1;
    endpoint(f, ORG, "analysis.completed workout.synced", true, b);
    endpoint(f, ORG2, "member.linked", true, x);
    struct store_webhook_endpoint *items = NULL, e;
    size_t n = 0;
    assert_int_equal(store_webhook_endpoint_list(f->s, ORG, &items, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(items[0].id, a);
    assert_string_equal(items[1].id, b);
    assert_string_equal(items[1].event_types, "analysis.completed workout.synced");
    assert_true(items[0].enabled);
    free(items);
    /* another org's endpoint is not found, system access sees it */
    assert_int_equal(store_webhook_endpoint_get(f->s, ORG, x, &e), RR_ERR_NOTFOUND);
    assert_int_equal(store_webhook_endpoint_get(f->s, NULL, x, &e), 0);
    assert_int_equal(store_webhook_endpoint_delete(f->s, ORG, x), RR_ERR_NOTFOUND);
    assert_int_equal(store_webhook_endpoint_delete(f->s, ORG, "nothex"), RR_ERR_NOTFOUND);
    /* the cap */
    for (int i = 2; i < STORE_WEBHOOK_ENDPOINTS_MAX; i++)
        endpoint(f, ORG, "workout.synced", true, x);
    struct store_webhook_endpoint *more = calloc(1, sizeof *more);
    assert_non_null(more);
    memcpy(more->org_id, ORG, sizeof more->org_id);
    snprintf(more->url, sizeof more->url, "https://x.example.com/");
    snprintf(more->secret, sizeof more->secret, "whsec_x");
    snprintf(more->event_types, sizeof more->event_types, "workout.synced");
    assert_int_equal(store_webhook_endpoint_create(f->s, more), RR_ERR_CONFLICT);
    /* bad types refused */
    memcpy(more->org_id, ORG2, sizeof more->org_id);
    snprintf(more->event_types, sizeof more->event_types, "Bad;Type");
    assert_int_equal(store_webhook_endpoint_create(f->s, more), RR_ERR_INVAL);
    free(more);
}

static void webhooks__emit_writes_a_delivery_and_a_job_per_subscribed_endpoint(void **state)
{
    struct fx *f = *state;
    char a[STORE_ID_LEN + 1], b[STORE_ID_LEN + 1], off[STORE_ID_LEN + 1], o2[STORE_ID_LEN + 1];
    endpoint(f, ORG, "analysis.completed", true, a);
    endpoint(f, ORG, "workout.synced analysis.completed", true, b);
    endpoint(f, ORG, "analysis.completed", false, off);     /* disabled */
    endpoint(f, ORG2, "analysis.completed", true, o2);      /* another org */
    assert_int_equal(emit(f, ORG, NULL, "analysis.completed", MEMBER, "evt_1"), 2);
    assert_int_equal(emit(f, ORG, NULL, "workout.synced", MEMBER, "evt_2"), 1);
    assert_int_equal(emit(f, ORG, NULL, "member.linked", MEMBER, "evt_3"), 0);
    assert_int_equal(emit(f, ORG, NULL, "analysis.complete", MEMBER, "evt_4"), 0); /* prefix */
    /* one endpoint, whatever it subscribes to (test events, redelivery) */
    assert_int_equal(emit(f, ORG, off, "webhook.test", NULL, "evt_5"), 1);
    assert_int_equal(emit(f, ORG, o2, "webhook.test", NULL, "evt_6"), RR_ERR_NOTFOUND);
    struct store_job_counts jc;
    assert_int_equal(store_job_counts(f->s, &jc), 0);
    assert_int_equal(jc.queued, 4);
    struct store_webhook_delivery *items = NULL;
    size_t n = 0;
    char next[STORE_CURSOR_MAX];
    assert_int_equal(store_webhook_delivery_list(f->s, ORG, NULL, NULL, 10, &items, &n, next), 0);
    assert_int_equal(n, 4);
    assert_string_equal(next, "");
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(items[i].status, STORE_DELIVERY_PENDING);
        assert_int_equal(items[i].attempts, 0);
        assert_string_equal(items[i].org_id, ORG);
    }
    free(items);
    assert_int_equal(store_webhook_delivery_list(f->s, ORG, b, NULL, 10, &items, &n, next), 0);
    assert_int_equal(n, 2);
    free(items);
    assert_int_equal(store_webhook_delivery_list(f->s, ORG2, NULL, NULL, 10, &items, &n, next), 0);
    assert_int_equal(n, 0);
    /* bounds */
    char *big = malloc(STORE_WEBHOOK_PAYLOAD_MAX + 2);
    assert_non_null(big);
    memset(big, 'x', STORE_WEBHOOK_PAYLOAD_MAX + 1);
    big[STORE_WEBHOOK_PAYLOAD_MAX + 1] = '\0';
    struct store_webhook_event ev = {"evt_big", "analysis.completed", MEMBER, big, 0};
    assert_int_equal(store_webhook_emit(f->s, ORG, NULL, &ev, &spec, NULL), RR_ERR_TOOBIG);
    big[STORE_WEBHOOK_PAYLOAD_MAX] = '\0';
    assert_int_equal(store_webhook_emit(f->s, ORG, a, &ev, &spec, NULL), 0);
    free(big);
    ev = (struct store_webhook_event){"evt.bad", "analysis.completed", MEMBER, "{}", 0};
    assert_int_equal(store_webhook_emit(f->s, ORG, NULL, &ev, &spec, NULL), RR_ERR_INVAL);
}

static void webhooks__claim_send_retry_and_give_up(void **state)
{
    struct fx *f = *state;
    char ep[STORE_ID_LEN + 1], did[STORE_ID_LEN + 1];
    endpoint(f, ORG, "workout.synced", true, ep);
    assert_int_equal(emit(f, ORG, NULL, "workout.synced", MEMBER, "evt_1"), 1);
    struct store_job j;
    next_job(f, &j);
    delivery_of(&j, did);
    enum store_webhook_verdict v;
    struct store_webhook_delivery d;
    struct store_webhook_endpoint *e = calloc(1, sizeof *e);
    char *body = NULL;
    assert_non_null(e);
    assert_int_equal(store_webhook_delivery_claim(f->s, did, j.id, &spec, 30000, &v, &d, e, &body),
                     0);
    assert_int_equal(v, STORE_WEBHOOK_SEND);
    assert_string_equal(body, "{\"id\":\"evt_1\"}");
    assert_string_equal(e->id, ep);
    assert_int_equal(d.attempts, 1);
    free(body);
    /* a failed attempt: a new job for later, the old one is no longer responsible */
    struct store_webhook_outcome o = {false, 503, "503 Service Unavailable", f->now + 5000};
    assert_int_equal(store_webhook_delivery_finish(f->s, did, j.id, &o, &spec), 0);
    assert_int_equal(store_webhook_delivery_finish(f->s, did, j.id, &o, &spec), RR_ERR_CONFLICT);
    assert_int_equal(store_job_complete(f->s, j.id, "w1"), 0);
    assert_int_equal(store_webhook_delivery_claim(f->s, did, j.id, &spec, 0, &v, &d, e, &body), 0);
    assert_int_equal(v, STORE_WEBHOOK_DONE); /* stale job */
    struct store_job j2;
    assert_int_equal(store_job_claim(f->s, "w1", 60000, &j2), RR_ERR_NOTFOUND); /* not yet */
    f->now += 5000;
    next_job(f, &j2);
    assert_string_not_equal(j2.id, j.id);
    assert_int_equal(store_webhook_delivery_get(f->s, ORG, did, &d), 0);
    assert_int_equal(d.last_status, 503);
    assert_string_equal(d.last_error, "503 Service Unavailable");
    assert_int_equal(d.next_attempt_at, f->now);
    assert_int_equal(store_webhook_delivery_claim(f->s, did, j2.id, &spec, 0, &v, &d, e, &body), 0);
    assert_int_equal(v, STORE_WEBHOOK_SEND);
    assert_int_equal(d.attempts, 2);
    free(body);
    /* give up */
    o = (struct store_webhook_outcome){false, 0, "connection refused", 0};
    assert_int_equal(store_webhook_delivery_finish(f->s, did, j2.id, &o, &spec), 0);
    assert_int_equal(store_webhook_delivery_get(f->s, ORG, did, &d), 0);
    assert_int_equal(d.status, STORE_DELIVERY_FAILED);
    assert_int_equal(d.last_status, 0);
    /* another org cannot read it; the body is there for a redelivery */
    assert_int_equal(store_webhook_delivery_get(f->s, ORG2, did, &d), RR_ERR_NOTFOUND);
    size_t len = 0;
    assert_int_equal(store_webhook_delivery_body(f->s, ORG, did, &body, &len), 0);
    assert_int_equal(len, strlen("{\"id\":\"evt_1\"}"));
    free(body);
    assert_int_equal(store_webhook_delivery_body(f->s, ORG2, did, &body, &len), RR_ERR_NOTFOUND);
    free(e);
}

static void webhooks__a_member_lane_goes_in_order(void **state)
{
    struct fx *f = *state;
    char ep[STORE_ID_LEN + 1], d1[STORE_ID_LEN + 1], d2[STORE_ID_LEN + 1], d3[STORE_ID_LEN + 1];
    endpoint(f, ORG, "workout.synced", true, ep);
    assert_int_equal(emit(f, ORG, NULL, "workout.synced", MEMBER, "evt_1"), 1);
    f->now += 1;
    assert_int_equal(emit(f, ORG, NULL, "workout.synced", MEMBER, "evt_2"), 1);
    f->now += 1;
    assert_int_equal(emit(f, ORG, NULL, "workout.synced", MEMBER2, "evt_3"), 1);
    struct store_job j1, j2, j3, jw;
    next_job(f, &j1);
    next_job(f, &j2);
    next_job(f, &j3);
    delivery_of(&j1, d1);
    delivery_of(&j2, d2);
    delivery_of(&j3, d3);
    enum store_webhook_verdict v;
    struct store_webhook_delivery d;
    struct store_webhook_endpoint *e = calloc(1, sizeof *e);
    char *body = NULL;
    assert_non_null(e);
    /* evt_2 waits behind evt_1 (same member); evt_3 (another member) does not */
    assert_int_equal(store_webhook_delivery_claim(f->s, d2, j2.id, &spec, 30000, &v, &d, e, &body),
                     0);
    assert_int_equal(v, STORE_WEBHOOK_WAIT);
    assert_null(body);
    assert_int_equal(store_job_complete(f->s, j2.id, "w1"), 0);
    assert_int_equal(store_webhook_delivery_claim(f->s, d3, j3.id, &spec, 30000, &v, &d, e, &body),
                     0);
    assert_int_equal(v, STORE_WEBHOOK_SEND);
    free(body);
    assert_int_equal(store_webhook_delivery_claim(f->s, d1, j1.id, &spec, 30000, &v, &d, e, &body),
                     0);
    assert_int_equal(v, STORE_WEBHOOK_SEND);
    free(body);
    /* while evt_1 retries, evt_2's job sleeps (30 s past evt_1's next attempt) */
    struct store_webhook_outcome o = {false, 500, "500", f->now + 10000};
    assert_int_equal(store_webhook_delivery_finish(f->s, d1, j1.id, &o, &spec), 0);
    f->now += 10000;
    struct store_job jr;
    next_job(f, &jr); /* evt_1's retry, not evt_2 */
    char got[STORE_ID_LEN + 1];
    delivery_of(&jr, got);
    assert_string_equal(got, d1);
    assert_int_equal(store_webhook_delivery_claim(f->s, d1, jr.id, &spec, 30000, &v, &d, e, &body),
                     0);
    assert_int_equal(v, STORE_WEBHOOK_SEND);
    free(body);
    assert_int_equal(store_job_claim(f->s, "w1", 60000, &jw), RR_ERR_NOTFOUND);
    /* evt_1 delivered: evt_2's job is woken at once */
    o = (struct store_webhook_outcome){true, 200, "", 0};
    assert_int_equal(store_webhook_delivery_finish(f->s, d1, jr.id, &o, &spec), 0);
    next_job(f, &jw);
    delivery_of(&jw, got);
    assert_string_equal(got, d2);
    assert_int_equal(store_webhook_delivery_claim(f->s, d2, jw.id, &spec, 30000, &v, &d, e, &body),
                     0);
    assert_int_equal(v, STORE_WEBHOOK_SEND);
    assert_string_equal(body, "{\"id\":\"evt_2\"}");
    free(body);
    assert_int_equal(store_webhook_delivery_get(f->s, ORG, d1, &d), 0);
    assert_int_equal(d.status, STORE_DELIVERY_DELIVERED);
    assert_int_equal(d.delivered_at, f->now);
    /* deleting the endpoint deletes its log; a job left behind finds nothing */
    assert_int_equal(store_webhook_endpoint_delete(f->s, ORG, ep), 0);
    assert_int_equal(store_webhook_delivery_claim(f->s, d2, jw.id, &spec, 0, &v, &d, e, &body),
                     RR_ERR_NOTFOUND);
    free(e);
}

/* A claim with the per-owner cap of 2 (REPRIGHT_JOB_USER_CONCURRENCY's default). */
static int claim2(struct fx *f, struct store_job *j)
{
    return store_job_claim_capped(f->s, "w1", 60000, 2, j);
}

static void webhooks__each_org_has_its_own_delivery_cap(void **state)
{
    struct fx *f = *state;
    char ep[STORE_ID_LEN + 1], ep2[STORE_ID_LEN + 1], d[STORE_ID_LEN + 1];
    struct store_user u;
    struct store_job j;
    char jid[STORE_ID_LEN + 1];
    endpoint(f, ORG, "workout.synced", true, ep);
    endpoint(f, ORG2, "workout.synced", true, ep2);
    /* a user with two analyses running: at the cap */
    assert_int_equal(store_user_create(f->s, "u@example.com", "x", "user", &u), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(store_job_enqueue(f->s, "analyze_video", u.id, "{}", 3, 0, jid), 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(claim2(f, &j), 0);
        assert_string_equal(j.kind, "analyze_video");
    }
    /* ORG's endpoint is slow: two of its deliveries (two members) hold their lease */
    f->now += 1;
    assert_int_equal(emit(f, ORG, NULL, "workout.synced", MEMBER, "evt_a1"), 1);
    assert_int_equal(emit(f, ORG, NULL, "workout.synced", MEMBER2, "evt_b1"), 1);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(claim2(f, &j), 0); /* the user's third analysis waits at its cap */
        assert_string_equal(j.kind, "deliver_webhook");
    }
    /* ORG2's event still goes out (before: every org's deliveries were one owner, capped at 2
     * together, so this claim found nothing) */
    f->now += 1;
    assert_int_equal(emit(f, ORG2, NULL, "workout.synced", MEMBER, "evt_x1"), 1);
    assert_int_equal(claim2(f, &j), 0);
    assert_string_equal(j.kind, "deliver_webhook");
    delivery_of(&j, d);
    struct store_webhook_delivery got;
    assert_int_equal(store_webhook_delivery_get(f->s, ORG2, d, &got), 0);
    /* ORG is at its own cap: its next delivery waits, like the user's third analysis */
    f->now += 1;
    assert_int_equal(emit(f, ORG, NULL, "workout.synced", MEMBER, "evt_a2"), 1);
    assert_int_equal(claim2(f, &j), RR_ERR_NOTFOUND);
    /* order per member is the delivery's own: ORG2's second event for the same member waits
     * behind the first even with a free slot */
    f->now += 1;
    assert_int_equal(emit(f, ORG2, NULL, "workout.synced", MEMBER, "evt_x2"), 1);
    assert_int_equal(claim2(f, &j), 0);
    delivery_of(&j, d);
    enum store_webhook_verdict v;
    struct store_webhook_endpoint *e = calloc(1, sizeof *e);
    char *body = NULL;
    assert_non_null(e);
    assert_int_equal(store_webhook_delivery_get(f->s, ORG2, d, &got), 0);
    assert_string_equal(got.event_id, "evt_x2");
    assert_int_equal(store_webhook_delivery_claim(f->s, d, j.id, &spec, 30000, &v, &got, e, &body),
                     0);
    assert_int_equal(v, STORE_WEBHOOK_WAIT);
    assert_null(body);
    free(e);
}

static void webhooks__delivery_log_pages(void **state)
{
    struct fx *f = *state;
    char ep[STORE_ID_LEN + 1];
    endpoint(f, ORG, "workout.synced", true, ep);
    for (int i = 0; i < 25; i++) {
        char evt[32];
        snprintf(evt, sizeof evt, "evt_%d", i);
        if (i % 3)
            f->now += 1; /* some timestamp ties */
        assert_int_equal(emit(f, ORG, NULL, "workout.synced", MEMBER, evt), 1);
    }
    char cursor[STORE_CURSOR_MAX] = "", next[STORE_CURSOR_MAX];
    size_t total = 0;
    int64_t last_t = INT64_MAX;
    for (int page = 0; page < 10; page++) {
        struct store_webhook_delivery *items = NULL;
        size_t n = 0;
        assert_int_equal(
            store_webhook_delivery_list(f->s, ORG, ep, cursor, 10, &items, &n, next), 0);
        for (size_t i = 0; i < n; i++) {
            assert_true(items[i].created_at <= last_t);
            last_t = items[i].created_at;
        }
        total += n;
        free(items);
        if (!next[0])
            break;
        memcpy(cursor, next, sizeof cursor);
    }
    assert_int_equal(total, 25);
    struct store_webhook_delivery *items = NULL;
    size_t n = 0;
    assert_int_equal(store_webhook_delivery_list(f->s, ORG, NULL, "bogus", 10, &items, &n, next),
                     RR_ERR_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(webhooks__endpoints_are_scoped_capped_and_listed,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(
            webhooks__emit_writes_a_delivery_and_a_job_per_subscribed_endpoint, fx_setup,
            fx_teardown),
        cmocka_unit_test_setup_teardown(webhooks__claim_send_retry_and_give_up, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(webhooks__a_member_lane_goes_in_order, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(webhooks__each_org_has_its_own_delivery_cap, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(webhooks__delivery_log_pages, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
