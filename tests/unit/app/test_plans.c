/*
 * test_plans.c - plans, flags and metering in the app layer over a real SQLite store: the
 * rollout bucket is SHA-256(name || user id) mod 100 (a vector computed independently, so it is
 * the same on every process and after every restart), about p % of 10,000 ids are in a p %
 * rollout and raising p only adds ids, rule precedence (user > org > plan > rollout), the same
 * answers after the app is closed and opened again, plan features and history, metered video
 * rows counted for the user and their organisation (a repeated create counts nothing).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "base/rr_error.h"
#include "store/store.h"

struct fx {
    char dir[256];
    struct app *a;
    struct store_user user;
};

static void open_app(struct fx *f)
{
    char arg1[300], arg2[300], msg[256];
    snprintf(arg1, sizeof arg1, "--data-dir=%s", f->dir);
    snprintf(arg2, sizeof arg2, "--model-dir=%s/no-models", f->dir);
    char *argv[] = {"serve", arg1, arg2, NULL};
    struct app_config c;
    assert_int_equal(app_config_load(&c, APP_CMD_SERVE, 3, argv, msg, sizeof msg), 0);
    assert_int_equal(app_open(&c, &f->a, msg, sizeof msg), 0);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/rr-plans-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    open_app(f);
    assert_int_equal(store_user_create(f->a->store, "p@example.com", "x", "user", &f->user), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    app_close(f->a);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", f->dir);
    free(f);
    return 0;
}

static void id_of(unsigned i, char out[STORE_ID_LEN + 1])
{
    snprintf(out, STORE_ID_LEN + 1, "%08x%024x", i * 2654435761u, i);
}

static void flags__rollout_bucket_is_sha256_of_name_and_user_mod_100(void **state)
{
    (void)state;
    /* python3: int.from_bytes(sha256((name + id).encode()).digest()[:8], "big") % 100 */
    assert_int_equal(app_rollout_bucket("progress_v2", "0123456789abcdef0123456789abcdef"), 23);
    assert_int_equal(app_rollout_bucket("plan_page", "ffffffffffffffffffffffffffffffff"), 14);
}

static void flags__about_p_percent_of_many_ids_are_in_and_raising_p_only_adds(void **state)
{
    (void)state;
    int n30 = 0, n10 = 0, lost = 0;
    char id[STORE_ID_LEN + 1];
    for (unsigned i = 0; i < 10000; i++) {
        id_of(i, id);
        int b = app_rollout_bucket("progress_v2", id);
        assert_true(b >= 0 && b < 100);
        n30 += b < 30;
        n10 += b < 10;
        lost += b < 10 && !(b < 30);
    }
    printf("rollout: 10%% -> %d, 30%% -> %d of 10000 ids\n", n10, n30);
    assert_in_range(n30, 2800, 3200);
    assert_in_range(n10, 850, 1150);
    assert_int_equal(lost, 0);
}

static void flags__user_rule_beats_org_beats_plan_beats_rollout(void **state)
{
    struct fx *f = *state;
    struct store *s = f->a->store;
    const char *uid = f->user.id;
    assert_int_equal(store_flag_set(s, "beta_x", "a test flag", 0), 0);
    assert_int_equal(app_flag_enabled(f->a, uid, "beta_x"), 0);
    assert_int_equal(store_flag_set(s, "beta_x", NULL, 100), 0);
    assert_int_equal(app_flag_enabled(f->a, uid, "beta_x"), 1);
    assert_int_equal(store_flag_rule(s, "beta_x", "plan", "free", 0), 0);
    assert_int_equal(app_flag_enabled(f->a, uid, "beta_x"), 0);
    assert_int_equal(store_user_set_org(s, uid, "gym-42"), 0);
    assert_int_equal(store_flag_rule(s, "beta_x", "org", "gym-42", 1), 0);
    assert_int_equal(app_flag_enabled(f->a, uid, "beta_x"), 1);
    assert_int_equal(store_flag_rule(s, "beta_x", "user", uid, 0), 0);
    assert_int_equal(app_flag_enabled(f->a, uid, "beta_x"), 0);
    assert_int_equal(store_flag_rule(s, "beta_x", "user", uid, -1), 0);
    assert_int_equal(app_flag_enabled(f->a, uid, "beta_x"), 1);
    assert_int_equal(store_flag_rule(s, "nope", "user", uid, 1), RR_ERR_NOTFOUND);
    assert_int_equal(store_flag_rule(s, "beta_x", "team", uid, 1), RR_ERR_INVAL);
    assert_int_equal(store_flag_set(s, "beta_x", NULL, 101), RR_ERR_INVAL);
    assert_int_equal(app_flag_enabled(f->a, uid, "unknown_flag"), 0);
    /* the description was kept when the percentage changed */
    struct app_flag *all = NULL;
    size_t n = 0;
    assert_int_equal(app_flags(f->a, uid, &all, &n), 0);
    assert_true(n >= 4); /* the three seeded ones and beta_x */
    free(all);
}

static void flags__same_answers_after_the_app_is_opened_again(void **state)
{
    struct fx *f = *state;
    assert_int_equal(store_flag_set(f->a->store, "half", "", 50), 0);
    char ids[200][STORE_ID_LEN + 1];
    int before[200], on = 0;
    for (int i = 0; i < 200; i++) {
        char email[64];
        struct store_user u;
        snprintf(email, sizeof email, "r%d@example.com", i);
        assert_int_equal(store_user_create(f->a->store, email, "x", "user", &u), 0);
        memcpy(ids[i], u.id, sizeof ids[i]);
        before[i] = app_flag_enabled(f->a, ids[i], "half");
        on += before[i];
    }
    app_close(f->a);
    f->a = NULL;
    open_app(f);
    for (int i = 0; i < 200; i++)
        assert_int_equal(app_flag_enabled(f->a, ids[i], "half"), before[i]);
    assert_in_range(on, 60, 140);
}

static void plans__features_history_and_the_plan_above(void **state)
{
    struct fx *f = *state;
    struct app_plan_limit why;
    assert_int_equal(app_plan_feature(f->a, f->user.id, "overlay_video", &why), RR_ERR_FORBIDDEN);
    assert_string_equal(why.limit, "overlay_video");
    assert_string_equal(why.plan, "free");
    assert_true(why.has_next);
    assert_string_equal(why.next.id, "pro");
    assert_true(why.next.overlay_video);
    assert_int_equal(app_plan_feature(f->a, f->user.id, "heavy_model", &why), RR_ERR_FORBIDDEN);
    assert_int_equal(app_plan_feature(f->a, f->user.id, "teleport", &why), RR_ERR_INVAL);
    int64_t now = store_now(f->a->store);
    int64_t from = app_history_from(f->a, f->user.id);
    assert_in_range(now - from, 90LL * 86400 * 1000 - 5000, 90LL * 86400 * 1000 + 5000);
    assert_int_equal(store_user_set_plan(f->a->store, f->user.id, "platinum"), RR_ERR_INVAL);
    assert_int_equal(store_user_set_plan(f->a->store, f->user.id, "pro"), 0);
    assert_int_equal(app_plan_feature(f->a, f->user.id, "overlay_video", &why), 0);
    assert_int_equal(app_plan_feature(f->a, f->user.id, "heavy_model", &why), 0);
    assert_int_equal(app_history_from(f->a, f->user.id), 0);
    struct store_plan gym, above;
    assert_int_equal(store_plan_get(f->a->store, "gym", &gym), 0);
    assert_int_equal(app_plan_above(f->a, &gym, &above), RR_ERR_NOTFOUND);
}

static void usage__a_metered_video_counts_for_the_user_and_the_org_once(void **state)
{
    struct fx *f = *state;
    struct store *s = f->a->store;
    assert_int_equal(store_user_set_org(s, f->user.id, "gym-7"), 0);
    struct store_video v;
    memset(&v, 0, sizeof v);
    snprintf(v.user_id, sizeof v.user_id, "%s", f->user.id);
    snprintf(v.blob_key, sizeof v.blob_key, "videos/x/original");
    snprintf(v.status, sizeof v.status, "uploaded");
    struct store_meter m;
    assert_int_equal(store_video_create_metered(s, &v, "uploads", NULL, &m), 0);
    assert_int_equal(m.used, 0);
    assert_int_equal(m.limit, 10);
    assert_string_equal(m.plan, "free");
    /* the same id again: CONFLICT, nothing counted */
    assert_int_equal(store_video_create_metered(s, &v, "uploads", NULL, &m), RR_ERR_CONFLICT);
    assert_int_equal(store_usage_add(s, f->user.id, NULL, "video_seconds", 42, v.id), 0);
    struct app_usage u;
    assert_int_equal(app_usage(f->a, f->user.id, NULL, &u), 0);
    assert_int_equal(u.used[0], 1);
    assert_int_equal(u.used[1], 42);
    assert_string_equal(u.user.org_id, "gym-7");
    struct store_usage_row *rows = NULL;
    size_t n = 0;
    assert_int_equal(store_usage_list(s, u.month, NULL, &rows, &n), 0);
    int org_uploads = 0, user_uploads = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(rows[i].metric, "uploads") != 0)
            continue;
        if (strcmp(rows[i].subject_kind, "org") == 0 && strcmp(rows[i].subject_id, "gym-7") == 0)
            org_uploads = (int)rows[i].count;
        if (strcmp(rows[i].subject_kind, "user") == 0) {
            user_uploads = (int)rows[i].count;
            assert_string_equal(rows[i].email, "p@example.com");
        }
    }
    free(rows);
    assert_int_equal(org_uploads, 1);
    assert_int_equal(user_uploads, 1);
    assert_int_equal(store_usage_list(s, "2026-13", NULL, &rows, &n), RR_ERR_INVAL);
    assert_int_equal(app_usage(f->a, f->user.id, "1999-01", &u), 0);
    assert_int_equal(u.used[0], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(flags__rollout_bucket_is_sha256_of_name_and_user_mod_100),
        cmocka_unit_test(flags__about_p_percent_of_many_ids_are_in_and_raising_p_only_adds),
        cmocka_unit_test_setup_teardown(flags__user_rule_beats_org_beats_plan_beats_rollout,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(flags__same_answers_after_the_app_is_opened_again, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(plans__features_history_and_the_plan_above, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(usage__a_metered_video_counts_for_the_user_and_the_org_once,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
