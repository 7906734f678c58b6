/*
 * test_store_partners.c - the partner tables (migration "partners"): organisations (unique name
 * whatever its case), admins, API keys (lookup by prefix, revoke kept, touch at most once per
 * gap, lists without hashes), invites (single use, expiry, one answer for unknown/used/expired),
 * consent (member get/list/unlink, paging, aggregates over members sharing analytics only), and
 * cascades when a user or an org goes.
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
#include <unistd.h>

#include "base/rr_error.h"
#include "store/store.h"
#include "support/storetest.h"

struct fx {
    struct store *s;
    char dir[STORETEST_DIR_MAX];
    char user[STORE_ID_LEN + 1], other[STORE_ID_LEN + 1];
    int64_t now;
};

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->now = STORETEST_NOW;
    storetest_open(&f->s, f->dir, "pa", &f->now);
    storetest_user(f->s, "a@example.com", f->user);
    storetest_user(f->s, "b@example.com", f->other);
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

static void member_day(struct fx *f, const char *user, const char *day, int reps)
{
    assert_int_equal(store_analytics_set(f->s, user, day, "squat", 1, reps, 0.0, 80.0 * reps,
                                         reps), 0);
}

static void partners__orgs_admins_and_keys(void **state)
{
    struct fx *f = *state;
    struct store_org o, o2;
    assert_int_equal(store_org_create(f->s, "Iron Gym", &o), 0);
    assert_int_equal(store_org_create(f->s, "IRON gym", &o2), RR_ERR_CONFLICT);
    assert_int_equal(store_org_create(f->s, "", &o2), RR_ERR_INVAL);
    assert_int_equal(store_org_create(f->s, "Other", &o2), 0);
    assert_int_equal(store_org_admin_check(f->s, o.id, f->user), RR_ERR_NOTFOUND);
    assert_int_equal(store_org_admin_add(f->s, o.id, f->user), 0);
    assert_int_equal(store_org_admin_add(f->s, o.id, f->user), 0); /* idempotent */
    assert_int_equal(store_org_admin_add(f->s, "0123456789abcdef0123456789abcdef", f->user),
                     RR_ERR_NOTFOUND);
    assert_int_equal(store_org_admin_check(f->s, o.id, f->user), 0);
    assert_int_equal(store_org_admin_check(f->s, o2.id, f->user), RR_ERR_NOTFOUND);
    struct store_org *orgs = NULL;
    size_t n = 0;
    assert_int_equal(store_org_list(f->s, f->user, &orgs, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(orgs[0].id, o.id);
    free(orgs);
    assert_int_equal(store_org_list(f->s, NULL, &orgs, &n), 0);
    assert_int_equal(n, 2);
    free(orgs);

    struct store_apikey k, got;
    memset(&k, 0, sizeof k);
    memcpy(k.org_id, o.id, sizeof o.id);
    snprintf(k.prefix, sizeof k.prefix, "%s", "abcdef012345");
    snprintf(k.key_hash, sizeof k.key_hash, "%s", "00ff");
    k.scopes = 5;
    assert_int_equal(store_apikey_create(f->s, &k), 0);
    struct store_apikey dup = k;
    assert_int_equal(store_apikey_create(f->s, &dup), RR_ERR_CONFLICT);
    assert_int_equal(store_apikey_get_by_prefix(f->s, "abcdef012345", &got), 0);
    assert_string_equal(got.key_hash, "00ff");
    assert_int_equal(got.scopes, 5);
    assert_int_equal(got.last_used_at, 0);
    assert_int_equal(store_apikey_get_by_prefix(f->s, "nope", &got), RR_ERR_NOTFOUND);
    /* touch: written once per gap */
    assert_int_equal(store_apikey_touch(f->s, k.id, 60000), 0);
    assert_int_equal(store_apikey_get_by_prefix(f->s, "abcdef012345", &got), 0);
    assert_int_equal(got.last_used_at, f->now);
    int64_t first = f->now;
    f->now += 30000;
    assert_int_equal(store_apikey_touch(f->s, k.id, 60000), 0);
    assert_int_equal(store_apikey_get_by_prefix(f->s, "abcdef012345", &got), 0);
    assert_int_equal(got.last_used_at, first);
    f->now += 30000;
    assert_int_equal(store_apikey_touch(f->s, k.id, 60000), 0);
    assert_int_equal(store_apikey_get_by_prefix(f->s, "abcdef012345", &got), 0);
    assert_int_equal(got.last_used_at, f->now);
    /* revoke: another org's key is not found, the first revocation time is kept */
    assert_int_equal(store_apikey_revoke(f->s, o2.id, k.id), RR_ERR_NOTFOUND);
    assert_int_equal(store_apikey_revoke(f->s, o.id, k.id), 0);
    int64_t revoked = f->now;
    f->now += 1000;
    assert_int_equal(store_apikey_revoke(f->s, NULL, k.id), 0);
    struct store_apikey *keys = NULL;
    assert_int_equal(store_apikey_list(f->s, o.id, &keys, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(keys[0].revoked_at, revoked);
    assert_string_equal(keys[0].key_hash, ""); /* lists never carry the hash */
    free(keys);
}

static void partners__invites_are_single_use_and_expire(void **state)
{
    struct fx *f = *state;
    struct store_org o;
    struct store_invite inv, inv2;
    struct store_org_member m;
    assert_int_equal(store_org_create(f->s, "Gym", &o), 0);
    memset(&inv, 0, sizeof inv);
    memcpy(inv.org_id, o.id, sizeof o.id);
    snprintf(inv.code_hash, sizeof inv.code_hash, "%s", "h1");
    inv.expires_at = f->now + 1000;
    assert_int_equal(store_invite_create(f->s, &inv), 0);
    inv2 = inv;
    snprintf(inv2.code_hash, sizeof inv2.code_hash, "%s", "h2");
    assert_int_equal(store_invite_create(f->s, &inv2), 0);
    assert_int_equal(store_invite_redeem(f->s, "h0", f->user, 7, &m), RR_ERR_NOTFOUND);
    assert_int_equal(store_invite_redeem(f->s, "h1", f->user, 3, &m), 0);
    assert_string_equal(m.org_id, o.id);
    assert_string_equal(m.org_name, "Gym");
    assert_string_equal(m.email, "a@example.com");
    assert_int_equal(m.shares, 3);
    /* used: the other user cannot reuse it */
    assert_int_equal(store_invite_redeem(f->s, "h1", f->other, 7, &m), RR_ERR_NOTFOUND);
    f->now += 1000; /* h2 expired */
    assert_int_equal(store_invite_redeem(f->s, "h2", f->other, 7, &m), RR_ERR_NOTFOUND);
    struct store_invite *items = NULL;
    size_t n = 0;
    assert_int_equal(store_invite_list(f->s, o.id, &items, &n), 0);
    assert_int_equal(n, 2);
    int used = 0;
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(items[i].code_hash, "");
        if (items[i].used_at) {
            used++;
            assert_string_equal(items[i].used_by, f->user);
        }
    }
    assert_int_equal(used, 1);
    free(items);
    assert_int_equal(store_member_get(f->s, o.id, f->user, &m), 0);
    assert_int_equal(store_member_get(f->s, o.id, f->other, &m), RR_ERR_NOTFOUND);
    assert_int_equal(store_member_get(f->s, o.id, "not-an-id", &m), RR_ERR_NOTFOUND);
}

static void link_member(struct fx *f, const char *org, const char *user, const char *hash,
                 unsigned shares)
{
    struct store_invite inv;
    struct store_org_member m;
    memset(&inv, 0, sizeof inv);
    memcpy(inv.org_id, org, STORE_ID_LEN + 1);
    snprintf(inv.code_hash, sizeof inv.code_hash, "%s", hash);
    inv.expires_at = f->now + 86400000;
    assert_int_equal(store_invite_create(f->s, &inv), 0);
    assert_int_equal(store_invite_redeem(f->s, hash, user, shares, &m), 0);
}

static void partners__consent_lists_pages_aggregates_and_cascades(void **state)
{
    struct fx *f = *state;
    struct store_org o;
    assert_int_equal(store_org_create(f->s, "Gym", &o), 0);
    char users[5][STORE_ID_LEN + 1];
    for (int i = 0; i < 5; i++) {
        struct store_user u;
        char email[64], hash[16];
        snprintf(email, sizeof email, "m%d@example.com", i);
        assert_int_equal(store_user_create(f->s, email, "x", "user", &u), 0);
        memcpy(users[i], u.id, sizeof u.id);
        snprintf(hash, sizeof hash, "c%d", i);
        link_member(f, o.id, u.id, hash, i == 4 ? 1u : 7u); /* the last one shares its profile only */
        member_day(f, u.id, "2026-01-01", 10);
        f->now += 10;
    }
    member_day(f, f->user, "2026-01-01", 99); /* not a member: never counted */
    struct store_org_member *items = NULL;
    size_t n = 0;
    char cur[STORE_CURSOR_MAX] = "";
    assert_int_equal(store_member_list(f->s, o.id, NULL, 2, &items, &n, cur), 0);
    assert_int_equal(n, 2);
    assert_string_equal(items[0].user_id, users[4]); /* newest link first */
    assert_string_equal(items[0].email, "m4@example.com");
    free(items);
    int total = 2;
    while (cur[0]) {
        assert_int_equal(store_member_list(f->s, o.id, cur, 2, &items, &n, cur), 0);
        total += (int)n;
        free(items);
    }
    assert_int_equal(total, 5);
    struct store_org_aggregate *agg = NULL;
    assert_int_equal(store_org_aggregates(f->s, o.id, 4, "2026-01-01", "2026-01-31", &agg, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(agg[0].exercise, "squat");
    assert_int_equal(agg[0].members, 4);
    assert_int_equal(agg[0].reps, 40);
    free(agg);
    /* the member's side, unlink, and cascades */
    assert_int_equal(store_member_orgs(f->s, users[0], &items, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(items[0].org_name, "Gym");
    free(items);
    assert_int_equal(store_member_unlink(f->s, users[0], o.id), 0);
    assert_int_equal(store_member_unlink(f->s, users[0], o.id), RR_ERR_NOTFOUND);
    struct store_org_member m;
    assert_int_equal(store_member_get(f->s, o.id, users[0], &m), RR_ERR_NOTFOUND);
    assert_int_equal(store_user_delete(f->s, users[1]), 0);
    assert_int_equal(store_member_get(f->s, o.id, users[1], &m), RR_ERR_NOTFOUND);
    assert_int_equal(store_member_list(f->s, o.id, NULL, 100, &items, &n, cur), 0);
    assert_int_equal(n, 3);
    free(items);
}

/* The org's aggregates count each member only within the history that member's plan keeps
 * (free: 90 days, from the first whole UTC day inside them; pro: forever), as each member's own
 * reads (app_history_from_day) and the partner's per-member reads do. */
static void partners__aggregates_follow_each_members_plan_history(void **state)
{
    struct fx *f = *state;
    struct store_org o;
    struct store_org_aggregate *agg = NULL;
    size_t n = 0;
    assert_int_equal(store_org_create(f->s, "Gym", &o), 0);
    link_member(f, o.id, f->user, "cf", 7u);  /* free */
    link_member(f, o.id, f->other, "cp", 7u); /* pro */
    assert_int_equal(store_user_set_plan(f->s, f->other, "pro"), 0);
    f->now = 1775044800000; /* 2026-04-01 12:00 UTC: free keeps 2026-01-01 12:00 on, so its
                             * first whole day is 2026-01-02 */
    member_day(f, f->user, "2025-12-15", 1);  /* older than 90 days: hidden */
    member_day(f, f->user, "2026-01-01", 2);  /* a part day: hidden, as the member's reads */
    member_day(f, f->user, "2026-01-02", 4);
    member_day(f, f->user, "2026-03-31", 8);
    member_day(f, f->other, "2025-12-15", 16); /* pro: kept forever */
    assert_int_equal(
        store_org_aggregates(f->s, o.id, 4, "2025-12-01", "2026-04-01", &agg, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(agg[0].members, 2);
    assert_int_equal(agg[0].reps, 4 + 8 + 16);
    assert_int_equal(agg[0].sessions, 3);
    free(agg);
    /* a range wholly outside the free member's history counts the pro member alone */
    assert_int_equal(
        store_org_aggregates(f->s, o.id, 4, "2025-12-01", "2026-01-01", &agg, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(agg[0].members, 1);
    assert_int_equal(agg[0].reps, 16);
    free(agg);
    /* an upgrade shows the hidden days again (hidden, not deleted) */
    assert_int_equal(store_user_set_plan(f->s, f->user, "gym"), 0);
    assert_int_equal(
        store_org_aggregates(f->s, o.id, 4, "2025-12-01", "2026-04-01", &agg, &n), 0);
    assert_int_equal(agg[0].reps, 1 + 2 + 4 + 8 + 16);
    free(agg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(partners__orgs_admins_and_keys, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(partners__invites_are_single_use_and_expire, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(partners__consent_lists_pages_aggregates_and_cascades,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(partners__aggregates_follow_each_members_plan_history,
                                        fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
