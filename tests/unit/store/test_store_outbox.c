/*
 * test_store_outbox.c - the partner outbox (migration 11, store.h "partner outbox"), on every
 * backend (CTest runs it again on PostgreSQL as store/test_store_outbox_pg):
 *   - an action records its event in its own transaction, one row per org whose consent shares
 *     what the event needs; a replayed client id (CONFLICT) or a refused action records nothing;
 *   - a row is emitted once: the emit that names it deletes it in its transaction, a second
 *     emit of the same row writes nothing (NOTFOUND), also when two threads race on it;
 *   - an emit that fails (injected at COMMIT) leaves the row for the next drain;
 *   - the analysed status records the event about the video's workout;
 *   - link and unlink record for that org alone; a user's deletion records for every org the
 *     user was linked to, before the cascade takes the consent rows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/rr_error.h"
#include "base/rr_fault.h"
#include "store/store.h"
#include "support/pgtest.h"

#define SHARE_PROFILE 1u
#define SHARE_WORKOUTS 2u

static const struct store_job_spec spec = {"deliver_webhook", 3};
static const struct store_outbox_event synced = {"workout.synced", SHARE_WORKOUTS, NULL};

struct fx {
    struct store *s;
    char dir[64];
    struct store_user member, other;
    struct store_org gym, club, far; /* the member shares workouts with gym, profile with club */
};

static int invite_n;

static void link_user(struct fx *f, const struct store_user *u, const struct store_org *o,
                      unsigned shares, const struct store_outbox_event *ev)
{
    struct store_invite inv;
    struct store_org_member m;
    memset(&inv, 0, sizeof inv);
    snprintf(inv.org_id, sizeof inv.org_id, "%s", o->id);
    snprintf(inv.code_hash, sizeof inv.code_hash, "hash-%d", ++invite_n);
    inv.expires_at = INT64_MAX / 2;
    assert_int_equal(store_invite_create(f->s, &inv), 0);
    assert_int_equal(store_invite_redeem_ev(f->s, inv.code_hash, u->id, shares, &m, ev), 0);
}

static void endpoint(struct fx *f, const struct store_org *o)
{
    struct store_webhook_endpoint *e = calloc(1, sizeof *e);
    assert_non_null(e);
    snprintf(e->org_id, sizeof e->org_id, "%s", o->id);
    snprintf(e->url, sizeof e->url, "https://hooks.example.com/in");
    snprintf(e->secret, sizeof e->secret, "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
    snprintf(e->event_types, sizeof e->event_types,
             "workout.synced analysis.completed member.linked member.unlinked");
    e->enabled = true;
    assert_int_equal(store_webhook_endpoint_create(f->s, e), 0);
    free(e);
}

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    char url[128], msg[256] = "";
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/rr-store-outbox-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(pgtest_store_url(f->dir, "test.db", url, sizeof url), 0);
    assert_int_equal(store_open(url, &f->s, msg, sizeof msg), 0);
    assert_int_equal(store_migrate(f->s, NULL, msg, sizeof msg), 0);
    assert_int_equal(store_user_create(f->s, "m@example.com", "x", "user", &f->member), 0);
    assert_int_equal(store_user_create(f->s, "o@example.com", "x", "user", &f->other), 0);
    assert_int_equal(store_org_create(f->s, "Gym", &f->gym), 0);
    assert_int_equal(store_org_create(f->s, "Club", &f->club), 0);
    assert_int_equal(store_org_create(f->s, "Far", &f->far), 0);
    endpoint(f, &f->gym);
    endpoint(f, &f->club);
    endpoint(f, &f->far);
    link_user(f, &f->member, &f->gym, SHARE_PROFILE | SHARE_WORKOUTS, NULL);
    link_user(f, &f->member, &f->club, SHARE_PROFILE, NULL);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    char path[128];
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    rr_fault_clear();
    store_close(f->s);
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/test.db%s", f->dir, suffix[i]);
        unlink(path);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

static int put(struct fx *f, const struct store_user *u, const char *client_id,
               const struct store_outbox_event *ev, struct store_workout *w)
{
    struct store_set set;
    memset(w, 0, sizeof *w);
    memset(&set, 0, sizeof set);
    snprintf(w->user_id, sizeof w->user_id, "%s", u->id);
    snprintf(w->exercise, sizeof w->exercise, "squat");
    snprintf(set.exercise, sizeof set.exercise, "squat");
    w->started_at = 1767225600000;
    set.reps = 3;
    return store_workout_put_ev(f->s, w, &set, 1, NULL, 0, client_id, ev);
}

/* The recorded rows (of user, NULL = all), oldest first; caller frees. */
static struct store_outbox *rows(struct fx *f, const char *user, size_t *n)
{
    struct store_outbox *items = NULL;
    assert_int_equal(store_outbox_list(f->s, user, STORE_OUTBOX_LIST_MAX, &items, n), 0);
    return items;
}

/* Emit a recorded row as its webhook event; the store's answer and the deliveries written. */
static int drain(struct fx *f, const struct store_outbox *r, int *n)
{
    char evt[64], body[128];
    snprintf(evt, sizeof evt, "evt_%lld", (long long)r->id);
    snprintf(body, sizeof body, "{\"id\":\"%s\"}", evt);
    struct store_webhook_event ev = {evt, r->type, r->user_id, body, r->id};
    *n = -1;
    return store_webhook_emit(f->s, r->org_id, NULL, &ev, &spec, n);
}

static size_t deliveries(struct fx *f, const struct store_org *o, const char *type)
{
    struct store_webhook_delivery *items = NULL;
    size_t n = 0, k = 0;
    char next[STORE_CURSOR_MAX];
    assert_int_equal(
        store_webhook_delivery_list(f->s, o->id, NULL, NULL, 100, &items, &n, next), 0);
    for (size_t i = 0; i < n; i++)
        k += strcmp(items[i].event_type, type) == 0;
    free(items);
    return k;
}

static void outbox__a_save_records_one_row_per_org_sharing_workouts(void **state)
{
    struct fx *f = *state;
    struct store_workout w;
    size_t n = 0;
    assert_int_equal(put(f, &f->member, "c1", &synced, &w), 0);
    struct store_outbox *r = rows(f, NULL, &n);
    assert_int_equal(n, 1); /* gym only: club sees the profile, far was never linked */
    assert_string_equal(r[0].type, "workout.synced");
    assert_string_equal(r[0].org_id, f->gym.id);
    assert_string_equal(r[0].user_id, f->member.id);
    assert_string_equal(r[0].workout_id, w.id);
    assert_string_equal(r[0].data, "");
    assert_true(r[0].created_at > 0);
    free(r);
    /* the same client id again: nothing written, nothing recorded */
    assert_int_equal(put(f, &f->member, "c1", &synced, &w), RR_ERR_CONFLICT);
    /* no event asked for, or a user linked to no org: nothing recorded */
    assert_int_equal(put(f, &f->member, "c2", NULL, &w), 0);
    assert_int_equal(put(f, &f->other, "c3", &synced, &w), 0);
    r = rows(f, NULL, &n);
    assert_int_equal(n, 1);
    free(r);
    /* a refused action records nothing: an event with a bad type refuses the whole save */
    const struct store_outbox_event bad = {"Bad Type", 0, NULL};
    assert_int_equal(put(f, &f->member, "c4", &bad, &w), RR_ERR_INVAL);
    /* a session's set records like a whole workout */
    struct store_set set;
    int appended = 0;
    memset(&set, 0, sizeof set);
    snprintf(set.exercise, sizeof set.exercise, "squat");
    set.reps = 1;
    memset(&w, 0, sizeof w);
    snprintf(w.user_id, sizeof w.user_id, "%s", f->member.id);
    snprintf(w.exercise, sizeof w.exercise, "squat");
    w.started_at = 1767225700000;
    assert_int_equal(
        store_workout_put_session_ev(f->s, &w, &set, NULL, 0, "s1", "sess", &appended, &synced),
        0);
    r = rows(f, f->member.id, &n);
    assert_int_equal(n, 2);
    assert_true(r[0].id < r[1].id);
    assert_string_equal(r[1].workout_id, w.id);
    free(r);
    r = rows(f, f->other.id, &n);
    assert_int_equal(n, 0);
    free(r);
}

static void outbox__a_row_is_emitted_exactly_once(void **state)
{
    struct fx *f = *state;
    struct store_workout w;
    size_t n = 0;
    int k = 0;
    assert_int_equal(put(f, &f->member, "c1", &synced, &w), 0);
    struct store_outbox *r = rows(f, NULL, &n);
    assert_int_equal(n, 1);
    /* the emit fails at COMMIT: no delivery, the row stays for the next drain */
    assert_int_equal(rr_fault_set("store.commit:1"), 0);
    int rc = drain(f, &r[0], &k);
    rr_fault_clear();
    assert_int_not_equal(rc, 0);
    assert_int_equal(deliveries(f, &f->gym, "workout.synced"), 0);
    struct store_outbox *again = rows(f, NULL, &n);
    assert_int_equal(n, 1);
    assert_int_equal(again[0].id, r[0].id);
    free(again);
    assert_int_equal(drain(f, &r[0], &k), 0);
    assert_int_equal(k, 1);
    assert_int_equal(deliveries(f, &f->gym, "workout.synced"), 1);
    /* drained: the same row again writes nothing */
    assert_int_equal(drain(f, &r[0], &k), RR_ERR_NOTFOUND);
    assert_int_equal(k, 0);
    assert_int_equal(deliveries(f, &f->gym, "workout.synced"), 1);
    free(r);
    r = rows(f, NULL, &n);
    assert_int_equal(n, 0);
    free(r);
    assert_int_equal(store_outbox_drop(f->s, 1), RR_ERR_NOTFOUND);
}

struct racer {
    struct fx *f;
    const struct store_outbox *row;
    int rc, n;
};

static void *race(void *arg)
{
    struct racer *r = arg;
    r->rc = drain(r->f, r->row, &r->n);
    return NULL;
}

static void outbox__racing_drains_emit_once(void **state)
{
    struct fx *f = *state;
    struct store_workout w;
    size_t n = 0;
    for (int i = 0; i < 8; i++) {
        char cid[8];
        snprintf(cid, sizeof cid, "r%d", i);
        assert_int_equal(put(f, &f->member, cid, &synced, &w), 0);
    }
    struct store_outbox *r = rows(f, NULL, &n);
    assert_int_equal(n, 8);
    struct racer rc[16];
    pthread_t th[16];
    for (int i = 0; i < 16; i++) { /* two drainers per row, all at once */
        rc[i] = (struct racer){f, &r[i / 2], 0, 0};
        assert_int_equal(pthread_create(&th[i], NULL, race, &rc[i]), 0);
    }
    int won = 0;
    for (int i = 0; i < 16; i++) {
        pthread_join(th[i], NULL);
        if (rc[i].rc == 0) {
            won++;
            assert_int_equal(rc[i].n, 1);
        } else {
            assert_int_equal(rc[i].rc, RR_ERR_NOTFOUND);
        }
    }
    assert_int_equal(won, 8);
    assert_int_equal(deliveries(f, &f->gym, "workout.synced"), 8);
    free(r);
}

static void outbox__analysed_status_records_the_videos_workout(void **state)
{
    struct fx *f = *state;
    const struct store_outbox_event done = {"analysis.completed", SHARE_WORKOUTS, NULL};
    struct store_video v;
    struct store_workout w;
    size_t n = 0;
    memset(&v, 0, sizeof v);
    store_new_id(v.id);
    snprintf(v.user_id, sizeof v.user_id, "%s", f->member.id);
    snprintf(v.status, sizeof v.status, "processing");
    snprintf(v.blob_key, sizeof v.blob_key, "videos/%s/original", v.id);
    assert_int_equal(store_video_create(f->s, &v), 0);
    /* no workout yet: the status is written, nothing recorded */
    assert_int_equal(store_video_set_status_ev(f->s, v.id, "analysed", 1000, &done), 0);
    struct store_outbox *r = rows(f, NULL, &n);
    assert_int_equal(n, 0);
    free(r);
    struct store_set set;
    memset(&w, 0, sizeof w);
    memset(&set, 0, sizeof set);
    snprintf(w.user_id, sizeof w.user_id, "%s", f->member.id);
    snprintf(w.video_id, sizeof w.video_id, "%s", v.id);
    snprintf(w.exercise, sizeof w.exercise, "squat");
    snprintf(set.exercise, sizeof set.exercise, "squat");
    assert_int_equal(store_workout_put_ev(f->s, &w, &set, 1, NULL, 0, NULL, NULL), 0);
    assert_int_equal(store_video_set_status_ev(f->s, v.id, "analysed", 1000, &done), 0);
    r = rows(f, NULL, &n);
    assert_int_equal(n, 1);
    assert_string_equal(r[0].type, "analysis.completed");
    assert_string_equal(r[0].workout_id, w.id);
    assert_string_equal(r[0].org_id, f->gym.id);
    free(r);
    /* an unknown video: NOTFOUND, nothing recorded */
    char ghost[STORE_ID_LEN + 1];
    store_new_id(ghost);
    assert_int_equal(store_video_set_status_ev(f->s, ghost, "analysed", 1, &done),
                     RR_ERR_NOTFOUND);
    r = rows(f, NULL, &n);
    assert_int_equal(n, 1);
    free(r);
}

static void outbox__link_and_unlink_record_for_that_org(void **state)
{
    struct fx *f = *state;
    const struct store_outbox_event linked = {"member.linked", 0, "{\"shares\":[\"workouts\"]}"};
    const struct store_outbox_event unlinked = {"member.unlinked", 0,
                                                "{\"reason\":\"consent_revoked\"}"};
    size_t n = 0;
    link_user(f, &f->member, &f->far, SHARE_WORKOUTS, &linked);
    struct store_outbox *r = rows(f, NULL, &n);
    assert_int_equal(n, 1);
    assert_string_equal(r[0].type, "member.linked");
    assert_string_equal(r[0].org_id, f->far.id);
    assert_string_equal(r[0].data, "{\"shares\":[\"workouts\"]}");
    assert_string_equal(r[0].workout_id, "");
    free(r);
    assert_int_equal(store_member_unlink_ev(f->s, f->member.id, f->club.id, &unlinked), 0);
    /* not linked (any more): NOTFOUND and nothing recorded */
    assert_int_equal(store_member_unlink_ev(f->s, f->member.id, f->club.id, &unlinked),
                     RR_ERR_NOTFOUND);
    assert_int_equal(store_member_unlink_ev(f->s, f->other.id, f->gym.id, &unlinked),
                     RR_ERR_NOTFOUND);
    r = rows(f, NULL, &n);
    assert_int_equal(n, 2);
    assert_string_equal(r[1].type, "member.unlinked");
    assert_string_equal(r[1].org_id, f->club.id);
    assert_string_equal(r[1].data, "{\"reason\":\"consent_revoked\"}");
    free(r);
}

static void outbox__a_deleted_user_is_unlinked_from_every_org(void **state)
{
    struct fx *f = *state;
    const struct store_outbox_event gone = {"member.unlinked", 0,
                                            "{\"reason\":\"account_deleted\"}"};
    size_t n = 0;
    int k = 0;
    link_user(f, &f->other, &f->far, SHARE_PROFILE, NULL);
    assert_int_equal(store_user_delete_ev(f->s, f->member.id, &gone), 0);
    struct store_outbox *r = rows(f, NULL, &n);
    assert_int_equal(n, 2); /* gym and club; far is other's */
    /* one row each, in no promised order: both links can carry the same second */
    int gym_first = strcmp(r[0].org_id, f->gym.id) == 0;
    assert_string_equal(r[0].org_id, gym_first ? f->gym.id : f->club.id);
    assert_string_equal(r[1].org_id, gym_first ? f->club.id : f->gym.id);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(r[i].type, "member.unlinked");
        assert_string_equal(r[i].user_id, f->member.id);
        assert_string_equal(r[i].data, "{\"reason\":\"account_deleted\"}");
        /* the rows outlive the user: they still become deliveries */
        assert_int_equal(drain(f, &r[i], &k), 0);
        assert_int_equal(k, 1);
    }
    free(r);
    assert_int_equal(deliveries(f, &f->gym, "member.unlinked"), 1);
    assert_int_equal(deliveries(f, &f->club, "member.unlinked"), 1);
    assert_int_equal(deliveries(f, &f->far, "member.unlinked"), 0);
    /* the consent rows went with the user; deleting again is NOTFOUND and records nothing */
    struct store_org_member m;
    assert_int_equal(store_member_get(f->s, f->gym.id, f->member.id, &m), RR_ERR_NOTFOUND);
    assert_int_equal(store_user_delete_ev(f->s, f->member.id, &gone), RR_ERR_NOTFOUND);
    r = rows(f, NULL, &n);
    assert_int_equal(n, 0);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(outbox__a_save_records_one_row_per_org_sharing_workouts,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(outbox__a_row_is_emitted_exactly_once, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(outbox__racing_drains_emit_once, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(outbox__analysed_status_records_the_videos_workout,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(outbox__link_and_unlink_record_for_that_org, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(outbox__a_deleted_user_is_unlinked_from_every_org,
                                        fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
