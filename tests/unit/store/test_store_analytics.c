/*
 * test_store_analytics.c - the store operations added for the analytics aggregator:
 * store_analytics_set (replace a daily row, delete it at zero sessions), store_analytics_span,
 * and the score_sum / score_n parts returned by store_analytics_range.
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

struct fx {
    struct store *s;
    char dir[STORETEST_DIR_MAX];
    char user[STORE_ID_LEN + 1];
};

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    storetest_open(&f->s, f->dir, "an", NULL);
    storetest_user(f->s, "a@example.com", f->user);
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

static void analytics_set__replaces_the_row_instead_of_adding(void **state)
{
    struct fx *f = *state;
    struct store_analytics_day *d = NULL;
    size_t n = 0;
    assert_int_equal(store_analytics_set(f->s, f->user, "2026-03-01", "squat", 1, 10, 0, 800, 10), 0);
    assert_int_equal(store_analytics_set(f->s, f->user, "2026-03-01", "squat", 2, 25, 500.0, 2000, 25), 0);
    assert_int_equal(store_analytics_set(f->s, f->user, "2026-03-01", "squat", 2, 25, 500.0, 2000, 25), 0);
    assert_int_equal(store_analytics_range(f->s, f->user, "2026-03-01", "2026-03-01", NULL, &d, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(d[0].sessions, 2);
    assert_int_equal(d[0].reps, 25);
    assert_true(d[0].volume == 500.0);
    assert_true(d[0].score_sum == 2000.0);
    assert_int_equal(d[0].score_n, 25);
    assert_true(d[0].mean_score == 80.0);
    free(d);
}

static void analytics_set__with_zero_sessions_deletes_the_row(void **state)
{
    struct fx *f = *state;
    struct store_analytics_day *d = NULL;
    size_t n = 7;
    assert_int_equal(store_analytics_set(f->s, f->user, "2026-03-02", "pushup", 1, 5, 0, 0, 0), 0);
    assert_int_equal(store_analytics_set(f->s, f->user, "2026-03-02", "pushup", 0, 0, 0, 0, 0), 0);
    /* deleting a row that is not there is fine too */
    assert_int_equal(store_analytics_set(f->s, f->user, "2026-03-03", "pushup", 0, 0, 0, 0, 0), 0);
    assert_int_equal(store_analytics_range(f->s, f->user, "2026-01-01", "2026-12-31", NULL, &d, &n), 0);
    assert_int_equal(n, 0);
    assert_null(d);
}

static void analytics_set__refuses_bad_arguments(void **state)
{
    struct fx *f = *state;
    char longname[STORE_NAME_MAX + 8];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_int_equal(store_analytics_set(f->s, "nope", "2026-03-01", "squat", 1, 1, 0, 0, 0), RR_ERR_INVAL);
    assert_int_equal(store_analytics_set(f->s, f->user, "2026-3-1", "squat", 1, 1, 0, 0, 0), RR_ERR_INVAL);
    assert_int_equal(store_analytics_set(f->s, f->user, "2026-03-01", "squat", -1, 1, 0, 0, 0), RR_ERR_INVAL);
    assert_int_equal(store_analytics_set(f->s, f->user, "2026-03-01", "squat", 1, -1, 0, 0, 0), RR_ERR_INVAL);
    assert_int_equal(store_analytics_set(f->s, f->user, "2026-03-01", "squat", 1, 1, 0, 0, -1), RR_ERR_INVAL);
    assert_int_equal(store_analytics_set(f->s, f->user, "2026-03-01", longname, 1, 1, 0, 0, 0), RR_ERR_TOOBIG);
}

static void analytics_span__gives_first_and_last_day_or_notfound(void **state)
{
    struct fx *f = *state;
    char a[11] = "x", b[11] = "y";
    assert_int_equal(store_analytics_span(f->s, f->user, a, b), RR_ERR_NOTFOUND);
    assert_string_equal(a, "");
    assert_string_equal(b, "");
    assert_int_equal(store_analytics_set(f->s, f->user, "2026-05-10", "squat", 1, 5, 0, 0, 0), 0);
    assert_int_equal(store_analytics_set(f->s, f->user, "2025-12-31", "lunge", 1, 5, 0, 0, 0), 0);
    assert_int_equal(store_analytics_set(f->s, f->user, "2026-01-15", "squat", 1, 5, 0, 0, 0), 0);
    assert_int_equal(store_analytics_span(f->s, f->user, a, b), 0);
    assert_string_equal(a, "2025-12-31");
    assert_string_equal(b, "2026-05-10");
    /* another user sees nothing */
    struct store_user u2;
    assert_int_equal(store_user_create(f->s, "b@example.com", "hash", "user", &u2), 0);
    assert_int_equal(store_analytics_span(f->s, u2.id, a, b), RR_ERR_NOTFOUND);
    assert_int_equal(store_analytics_span(f->s, "bad", a, b), RR_ERR_INVAL);
    assert_int_equal(store_analytics_span(f->s, f->user, NULL, b), RR_ERR_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(analytics_set__replaces_the_row_instead_of_adding, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(analytics_set__with_zero_sessions_deletes_the_row, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(analytics_set__refuses_bad_arguments, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(analytics_span__gives_first_and_last_day_or_notfound,
                                        fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
