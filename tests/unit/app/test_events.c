/*
 * test_events.c - which organisations hear which partner event (app/events.h), on a real SQLite
 * store with no worker (the deliveries stay pending in the log, where they are counted):
 *   - member.linked carries the shares; member.unlinked still reaches the org after the consent
 *     row is gone;
 *   - a device-synced workout (app_save_workout) and every new set of a session
 *     (app_save_session_set, the same workout id) become workout.synced for each org the member
 *     shares workouts with, with the workout as stored (reps counted);
 *   - an org the member shares only the profile with, and an org the member never linked to,
 *     hear nothing of the workouts; a repeated sync (same client id) is not a new event;
 *   - an org without a subscribed endpoint records nothing and the save still succeeds;
 *   - the outbox closes the crash window: a save whose event cannot be sent (the emit's
 *     transaction fails, injected) still stands, its event waits recorded, and the next drain
 *     (a restart's sweep, or the member's next action) delivers it exactly once, in order;
 *   - a deleted account is member.unlinked {"reason":"account_deleted"} for every org it was
 *     linked to (whatever it shared), with nothing else in the event, once.
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
#include <unistd.h>

#include "app/events.h"
#include "app/partners.h"
#include "base/rr_error.h"
#include "base/rr_fault.h"
#include "store/store.h"

struct fx {
    char dir[64];
    struct app_config cfg;
    struct app *a;
    struct store_user member, shy, stranger;
    struct store_org gym, other, quiet; /* quiet: the member links, but it has no endpoint */
};

static void org_with_endpoint(struct fx *f, const char *name, struct store_org *o, int endpoint)
{
    assert_int_equal(app_org_create(f->a, name, o), 0);
    if (!endpoint)
        return;
    const char *types[] = {APP_WEBHOOK_MEMBER_LINKED, APP_WEBHOOK_MEMBER_UNLINKED,
                           APP_WEBHOOK_WORKOUT_SYNCED, APP_WEBHOOK_ANALYSIS_COMPLETED};
    struct store_webhook_endpoint *e = malloc(sizeof *e);
    char msg[256] = "";
    assert_non_null(e);
    /* nothing listens on the discard port; no worker runs here anyway */
    int rc = app_webhook_create(f->a, o->id, "http://127.0.0.1:9/hook", types, 4, e, msg,
                                sizeof msg);
    if (rc)
        fail_msg("create: %d %s", rc, msg);
    free(e);
}

static void link_to(struct fx *f, const struct store_user *u, const struct store_org *o,
                    unsigned shares)
{
    struct store_invite inv;
    char code[APP_INVITE_CODE_LEN + 1];
    struct store_org_member m;
    assert_int_equal(app_invite_create(f->a, o->id, 7, &inv, code), 0);
    assert_int_equal(app_partner_link(f->a, u->id, code, shares, &m), 0);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/rr-events-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char arg[128], msg[256];
    snprintf(arg, sizeof arg, "--data-dir=%s", f->dir);
    char *argv[] = {"serve", arg, "--webhook-allow-http-loopback=1", NULL};
    assert_int_equal(app_config_load(&f->cfg, APP_CMD_SERVE, 3, argv, msg, sizeof msg), 0);
    assert_int_equal(app_open(&f->cfg, &f->a, msg, sizeof msg), 0);
    assert_int_equal(store_user_create(f->a->store, "m@example.com", "x", "user", &f->member), 0);
    assert_int_equal(store_user_create(f->a->store, "s@example.com", "x", "user", &f->shy), 0);
    assert_int_equal(store_user_create(f->a->store, "x@example.com", "x", "user", &f->stranger),
                     0);
    org_with_endpoint(f, "Iron Gym", &f->gym, 1);
    org_with_endpoint(f, "Other Gym", &f->other, 1);
    org_with_endpoint(f, "Quiet Gym", &f->quiet, 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    rr_fault_clear();
    app_close(f->a);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", f->dir);
    free(f);
    return 0;
}

/* The org's deliveries of `type` about member (NULL: anyone); the last one's data in *data (a
 * new reference, may be NULL). */
static int count(struct fx *f, const struct store_org *o, const char *type, const char *member,
                 json_t **data)
{
    struct store_webhook_delivery *items = NULL;
    size_t n = 0;
    char next[STORE_CURSOR_MAX];
    assert_int_equal(
        store_webhook_delivery_list(f->a->store, o->id, NULL, NULL, 100, &items, &n, next), 0);
    int k = 0;
    if (data)
        *data = NULL;
    for (size_t i = n; i-- > 0;) { /* oldest first, so the last match is the newest */
        if (strcmp(items[i].event_type, type) != 0 ||
            (member && strcmp(items[i].member_id, member) != 0))
            continue;
        k++;
        if (data) {
            char *body = NULL;
            assert_int_equal(
                store_webhook_delivery_body(f->a->store, o->id, items[i].id, &body, NULL), 0);
            json_t *env = json_loads(body, 0, NULL);
            free(body);
            assert_non_null(env);
            json_decref(*data);
            *data = json_incref(json_object_get(env, "data"));
            json_decref(env);
        }
    }
    free(items);
    return k;
}

static int sync_one(struct fx *f, const struct store_user *u, const char *client_id,
                    struct store_workout *w)
{
    struct store_set set;
    struct store_rep reps[3];
    enum app_saved how;
    memset(w, 0, sizeof *w);
    memset(&set, 0, sizeof set);
    memset(reps, 0, sizeof reps);
    snprintf(w->user_id, sizeof w->user_id, "%s", u->id);
    snprintf(w->exercise, sizeof w->exercise, "squat");
    snprintf(set.exercise, sizeof set.exercise, "squat");
    w->started_at = 1767225600000;
    w->score = 80;
    set.reps = 3;
    set.score = 80;
    for (int i = 0; i < 3; i++) {
        reps[i].idx = i;
        reps[i].t_start_ms = i * 1000;
        reps[i].t_end_ms = i * 1000 + 900;
        reps[i].score = 80;
    }
    return app_save_workout(f->a, w, &set, 1, reps, 3, client_id, &how);
}

static void events__link_and_unlink_reach_the_org(void **state)
{
    struct fx *f = *state;
    json_t *data = NULL;
    link_to(f, &f->member, &f->gym, APP_SCOPE_MEMBERS_READ | APP_SCOPE_WORKOUTS_READ);
    assert_int_equal(count(f, &f->gym, "member.linked", f->member.id, &data), 1);
    json_t *shares = json_object_get(data, "shares");
    assert_int_equal(json_array_size(shares), 2);
    assert_string_equal(json_string_value(json_array_get(shares, 0)), "profile");
    assert_string_equal(json_string_value(json_array_get(shares, 1)), "workouts");
    json_decref(data);
    assert_int_equal(count(f, &f->other, "member.linked", NULL, NULL), 0);

    assert_int_equal(app_partner_unlink(f->a, f->member.id, f->gym.id), 0);
    assert_int_equal(count(f, &f->gym, "member.unlinked", f->member.id, &data), 1);
    assert_int_equal(json_object_size(data), 1);
    assert_string_equal(json_string_value(json_object_get(data, "reason")), "consent_revoked");
    json_decref(data);
    /* not linked any more: unlinking again is NOTFOUND and tells no one */
    assert_int_equal(app_partner_unlink(f->a, f->member.id, f->gym.id), RR_ERR_NOTFOUND);
    assert_int_equal(count(f, &f->gym, "member.unlinked", NULL, NULL), 1);
}

static void events__workouts_go_to_every_org_sharing_workouts_only(void **state)
{
    struct fx *f = *state;
    struct store_workout w;
    json_t *data = NULL;
    link_to(f, &f->member, &f->gym, APP_SHARES_ALL);
    link_to(f, &f->member, &f->other, APP_SCOPE_WORKOUTS_READ);
    link_to(f, &f->member, &f->quiet, APP_SHARES_ALL); /* no endpoint: records nothing */
    link_to(f, &f->shy, &f->gym, APP_SCOPE_MEMBERS_READ);

    assert_int_equal(sync_one(f, &f->member, "c1", &w), 0);
    assert_int_equal(count(f, &f->gym, "workout.synced", f->member.id, &data), 1);
    assert_string_equal(json_string_value(json_object_get(data, "workout_id")), w.id);
    assert_true(json_is_null(json_object_get(data, "video_id")));
    assert_string_equal(json_string_value(json_object_get(data, "exercise")), "squat");
    assert_int_equal(json_integer_value(json_object_get(data, "reps")), 3);
    json_decref(data);
    assert_int_equal(count(f, &f->other, "workout.synced", f->member.id, NULL), 1);
    /* the same client id again: not a new workout, not a new event */
    assert_int_equal(sync_one(f, &f->member, "c1", &w), 0);
    assert_int_equal(count(f, &f->gym, "workout.synced", NULL, NULL), 1);

    /* profile only, or never linked: the workouts stay private */
    assert_int_equal(sync_one(f, &f->shy, "c2", &w), 0);
    assert_int_equal(sync_one(f, &f->stranger, "c3", &w), 0);
    assert_int_equal(count(f, &f->gym, "workout.synced", NULL, NULL), 1);
    assert_int_equal(count(f, &f->other, "workout.synced", NULL, NULL), 1);
    assert_int_equal(count(f, &f->gym, "member.linked", f->shy.id, NULL), 1);
}

static void events__every_new_session_set_is_announced(void **state)
{
    struct fx *f = *state;
    link_to(f, &f->member, &f->gym, APP_SCOPE_WORKOUTS_READ);
    char id1[STORE_ID_LEN + 1] = "";
    for (int k = 0; k < 2; k++) {
        struct store_workout w;
        struct store_set set;
        struct store_rep rep;
        enum app_saved how;
        char client[8];
        memset(&w, 0, sizeof w);
        memset(&set, 0, sizeof set);
        memset(&rep, 0, sizeof rep);
        snprintf(w.user_id, sizeof w.user_id, "%s", f->member.id);
        snprintf(w.exercise, sizeof w.exercise, "squat");
        snprintf(set.exercise, sizeof set.exercise, "squat");
        w.started_at = 1767225600000 + k * 60000;
        w.duration_ms = 30000;
        set.reps = 1; /* a session set is set 0 of its own; the store places it */
        rep.t_end_ms = 900;
        rep.score = 70;
        snprintf(client, sizeof client, "s%d", k);
        assert_int_equal(
            app_save_session_set(f->a, &w, &set, &rep, 1, client, "session-1:squat", &how), 0);
        assert_int_equal(how, APP_SAVED_NEW);
        if (k == 0)
            memcpy(id1, w.id, sizeof id1);
        else
            assert_string_equal(w.id, id1); /* appended to the session's workout */
        json_t *data = NULL;
        assert_int_equal(count(f, &f->gym, "workout.synced", f->member.id, &data), k + 1);
        assert_string_equal(json_string_value(json_object_get(data, "workout_id")), id1);
        assert_int_equal(json_integer_value(json_object_get(data, "reps")), k + 1);
        json_decref(data);
    }
}

/* The org's workout.synced deliveries about member, oldest first: their workout ids. */
static int by_seq_desc(const void *x, const void *y)
{
    int64_t a = ((const struct store_webhook_delivery *)x)->seq;
    int64_t b = ((const struct store_webhook_delivery *)y)->seq;
    return a < b ? 1 : a > b ? -1 : 0;
}

static size_t synced_ids(struct fx *f, const struct store_org *o, const char *member,
                         char ids[][STORE_ID_LEN + 1], size_t max)
{
    struct store_webhook_delivery *items = NULL;
    size_t n = 0, k = 0;
    char next[STORE_CURSOR_MAX];
    assert_int_equal(
        store_webhook_delivery_list(f->a->store, o->id, NULL, NULL, 100, &items, &n, next), 0);
    /* in the order they go out (seq): the list is newest first by time, and two deliveries
     * made in one millisecond would come in either order */
    qsort(items, n, sizeof *items, by_seq_desc);
    for (size_t i = n; i-- > 0 && k < max;) {
        if (strcmp(items[i].event_type, "workout.synced") != 0 ||
            strcmp(items[i].member_id, member) != 0)
            continue;
        char *body = NULL;
        assert_int_equal(
            store_webhook_delivery_body(f->a->store, o->id, items[i].id, &body, NULL), 0);
        json_t *env = json_loads(body, 0, NULL);
        free(body);
        assert_non_null(env);
        snprintf(ids[k++], STORE_ID_LEN + 1, "%s",
                 json_string_value(json_object_get(json_object_get(env, "data"), "workout_id")));
        json_decref(env);
    }
    free(items);
    return k;
}

/* A save, then the emit of its event fails (its transaction cannot begin: the process could as
 * well have died there). Before the outbox the event was lost; now it waits recorded. */
static void save_with_failed_emit(struct fx *f, const char *client_id, struct store_workout *w)
{
    /* begin #1 is the save's transaction, #2 the emit's */
    assert_int_equal(rr_fault_set("store.begin:2"), 0);
    assert_int_equal(sync_one(f, &f->member, client_id, w), 0); /* the save stands */
    assert_true(rr_fault_fired(RR_FAULT_STORE_BEGIN) == 1);
    rr_fault_clear();
    struct store_workout back;
    assert_int_equal(store_workout_get(f->a->store, f->member.id, w->id, &back), 0);
}

static void events__a_failed_emit_is_delivered_once_after_a_restart(void **state)
{
    struct fx *f = *state;
    struct store_workout w, w2;
    char ids[4][STORE_ID_LEN + 1], msg[256];
    link_to(f, &f->member, &f->gym, APP_SHARES_ALL);
    save_with_failed_emit(f, "c1", &w);
    assert_int_equal(count(f, &f->gym, "workout.synced", NULL, NULL), 0);
    /* restart: serve sweeps before it serves (app_sweeper_start), and the sweep drains */
    app_close(f->a);
    f->a = NULL;
    assert_int_equal(app_open(&f->cfg, &f->a, msg, sizeof msg), 0);
    assert_int_equal(app_sweep(f->a, NULL), 0);
    assert_int_equal(synced_ids(f, &f->gym, f->member.id, ids, 4), 1);
    assert_string_equal(ids[0], w.id);
    /* once: later sweeps and actions find nothing left of it */
    assert_int_equal(app_sweep(f->a, NULL), 0);
    assert_int_equal(sync_one(f, &f->member, "c2", &w2), 0);
    assert_int_equal(synced_ids(f, &f->gym, f->member.id, ids, 4), 2);
    assert_string_equal(ids[0], w.id);
    assert_string_equal(ids[1], w2.id);
}

static void events__the_members_next_action_sends_a_stuck_event_first(void **state)
{
    struct fx *f = *state;
    struct store_workout w, w2;
    char ids[4][STORE_ID_LEN + 1];
    link_to(f, &f->member, &f->gym, APP_SHARES_ALL);
    save_with_failed_emit(f, "c1", &w);
    assert_int_equal(sync_one(f, &f->member, "c2", &w2), 0);
    /* both out, each once, in the order they were saved */
    assert_int_equal(synced_ids(f, &f->gym, f->member.id, ids, 4), 2);
    assert_string_equal(ids[0], w.id);
    assert_string_equal(ids[1], w2.id);
    assert_int_equal(app_sweep(f->a, NULL), 0);
    assert_int_equal(synced_ids(f, &f->gym, f->member.id, ids, 4), 2);
}

/* A sweep goes past a member whose event fails: the other members' events still go out, and
 * the stuck one follows once it can. */
static void events__a_stuck_member_does_not_hold_up_the_others_in_a_sweep(void **state)
{
    struct fx *f = *state;
    struct store_workout w, w2;
    char ids[4][STORE_ID_LEN + 1];
    int emitted = 0;
    link_to(f, &f->member, &f->gym, APP_SHARES_ALL);
    link_to(f, &f->shy, &f->gym, APP_SHARES_ALL);
    save_with_failed_emit(f, "c1", &w); /* the member's row, recorded first */
    assert_int_equal(rr_fault_set("store.begin:2"), 0);
    assert_int_equal(sync_one(f, &f->shy, "s1", &w2), 0); /* then shy's */
    rr_fault_clear();
    /* the sweep's first emit (the member's row) fails */
    assert_int_equal(rr_fault_set("store.begin:1"), 0);
    assert_int_not_equal(app_outbox_drain(f->a, NULL, &emitted), 0);
    assert_true(rr_fault_fired(RR_FAULT_STORE_BEGIN) == 1);
    rr_fault_clear();
    assert_int_equal(emitted, 1);
    assert_int_equal(synced_ids(f, &f->gym, f->shy.id, ids, 4), 1);
    assert_string_equal(ids[0], w2.id);
    assert_int_equal(synced_ids(f, &f->gym, f->member.id, ids, 4), 0);
    /* the next sweep sends the stuck one, once */
    assert_int_equal(app_outbox_drain(f->a, NULL, &emitted), 0);
    assert_int_equal(emitted, 1);
    assert_int_equal(synced_ids(f, &f->gym, f->member.id, ids, 4), 1);
    assert_string_equal(ids[0], w.id);
}

static void events__a_deleted_account_is_unlinked_from_every_org(void **state)
{
    struct fx *f = *state;
    struct store_workout w;
    json_t *data = NULL;
    link_to(f, &f->member, &f->gym, APP_SHARES_ALL);
    link_to(f, &f->member, &f->other, APP_SCOPE_MEMBERS_READ); /* profile only */
    link_to(f, &f->shy, &f->gym, APP_SCOPE_MEMBERS_READ);
    assert_int_equal(sync_one(f, &f->member, "c1", &w), 0);
    assert_int_equal(count(f, &f->gym, "workout.synced", f->member.id, NULL), 1);

    assert_int_equal(app_account_delete(f->a, f->member.id), 0);
    struct store_user gone;
    assert_int_equal(store_user_get(f->a->store, f->member.id, &gone), RR_ERR_NOTFOUND);
    const struct store_org *orgs[] = {&f->gym, &f->other};
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(count(f, orgs[i], "member.unlinked", f->member.id, &data), 1);
        /* the reason and nothing else: no email, no workouts, no other account */
        assert_int_equal(json_object_size(data), 1);
        assert_string_equal(json_string_value(json_object_get(data, "reason")),
                            "account_deleted");
        json_decref(data);
    }
    /* other members and orgs hear nothing; the gym's workout event stays one */
    assert_int_equal(count(f, &f->gym, "member.unlinked", f->shy.id, NULL), 0);
    assert_int_equal(count(f, &f->quiet, "member.unlinked", NULL, NULL), 0);
    assert_int_equal(count(f, &f->gym, "workout.synced", NULL, NULL), 1);
    /* once: a sweep, or deleting again (NOTFOUND), adds nothing */
    assert_int_equal(app_sweep(f->a, NULL), 0);
    assert_int_equal(app_account_delete(f->a, f->member.id), RR_ERR_NOTFOUND);
    assert_int_equal(count(f, &f->gym, "member.unlinked", NULL, NULL), 1);
    assert_int_equal(count(f, &f->other, "member.unlinked", NULL, NULL), 1);
    /* an account linked to no org deletes quietly */
    assert_int_equal(app_account_delete(f->a, f->stranger.id), 0);
}

static void events__an_account_deleted_in_a_crash_window_still_unlinks(void **state)
{
    struct fx *f = *state;
    char msg[256];
    link_to(f, &f->member, &f->gym, APP_SCOPE_WORKOUTS_READ);
    /* the deletion commits (after the sessions' revocation, write 1), its emit cannot begin (as
     * if the process died right there) */
    assert_int_equal(rr_fault_set("store.begin:3"), 0);
    assert_int_equal(app_account_delete(f->a, f->member.id), 0);
    assert_true(rr_fault_fired(RR_FAULT_STORE_BEGIN) == 1);
    rr_fault_clear();
    assert_int_equal(count(f, &f->gym, "member.unlinked", NULL, NULL), 0);
    app_close(f->a);
    f->a = NULL;
    assert_int_equal(app_open(&f->cfg, &f->a, msg, sizeof msg), 0);
    assert_int_equal(app_sweep(f->a, NULL), 0);
    assert_int_equal(count(f, &f->gym, "member.unlinked", f->member.id, NULL), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(events__link_and_unlink_reach_the_org, setup, teardown),
        cmocka_unit_test_setup_teardown(events__workouts_go_to_every_org_sharing_workouts_only,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(events__every_new_session_set_is_announced, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(events__a_stuck_member_does_not_hold_up_the_others_in_a_sweep,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(events__a_failed_emit_is_delivered_once_after_a_restart,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(events__the_members_next_action_sends_a_stuck_event_first,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(events__a_deleted_account_is_unlinked_from_every_org,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            events__an_account_deleted_in_a_crash_window_still_unlinks, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
