/* test_fixtures.c - recorded keypoint series in tests/fixtures/analysis/ (repright.pose/1,
 * derived from real clips) must produce the report data listed in index.json (exercise
 * recognised, rep count, camera view, labelled faults) and, field for field, the whole report
 * recorded in expected/NAME.report.json (keypoint series in, expected report out: a regression
 * case is a data file). When the analysis changes on purpose, re-record the reports with
 * RR_FIXTURES_UPDATE=1 and review their diff. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "analysis/report_write.h"
#include "series_load.h"

#define FIXDIR RR_SOURCE_DIR "/tests/fixtures/analysis"

static int has_fault(const struct analysis_report *r, const char *name)
{
    for (size_t k = 0; k < r->n_reps; k++)
        for (int j = 0; j < r->reps[k].n_checks; j++)
            if (r->reps[k].checks[j].outcome == ANALYSIS_FAULT &&
                strcmp(r->reps[k].checks[j].name, name) == 0)
                return 1;
    return 0;
}

static void fixtures__recorded_series_give_their_expected_reports(void **state)
{
    (void)state;
    json_error_t jerr;
    json_t *index = json_load_file(FIXDIR "/index.json", 0, &jerr);
    assert_non_null(index);
    json_t *cases = json_object_get(index, "cases");
    assert_true(json_array_size(cases) >= 3);
    int mismatches = 0;
    for (size_t i = 0; i < json_array_size(cases); i++) {
        json_t *c = json_array_get(cases, i);
        const char *series = json_string_value(json_object_get(c, "series"));
        const char *want_ex = json_string_value(json_object_get(c, "exercise"));
        const char *want_view = json_string_value(json_object_get(c, "view"));
        int want_reps = (int)json_integer_value(json_object_get(c, "reps"));
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", FIXDIR, series);
        size_t n = 0;
        struct rr_pose_frame *fr = series_load(path, &n);
        assert_non_null(fr);
        assert_true(n > 10 && n <= 400);
        struct analysis_report *r = NULL;
        assert_int_equal(analysis_run(fr, n, NULL, &r), 0);
        /* Every case is measured and printed before anything is asserted, so one run shows
         * the whole table. */
        int ok = r->exercise && strcmp(r->exercise, want_ex) == 0 && (int)r->n_reps == want_reps &&
                 strcmp(analysis_view_name(r->view), want_view) == 0;
        char missing[256] = "";
        json_t *faults = json_object_get(c, "faults");
        for (size_t k = 0; k < json_array_size(faults); k++) {
            const char *f = json_string_value(json_array_get(faults, k));
            if (!has_fault(r, f)) {
                size_t used = strlen(missing);
                snprintf(missing + used, sizeof missing - used, "%s%s", used ? "," : "", f);
                ok = 0;
            }
        }
        printf("%s: expected %s reps %d view %s; got %s reps %zu (partial %zu) view %s, "
               "people %d, athlete %d, roll %.1f deg%s%s%s\n",
               series, want_ex, want_reps, want_view, r->exercise ? r->exercise : "none",
               r->n_reps, r->n_partials, analysis_view_name(r->view), r->people, r->athlete,
               (double)r->camera_roll_deg, missing[0] ? "; faults not reported: " : "", missing,
               ok ? "" : "   <-- MISMATCH");
        mismatches += !ok;
        analysis_report_free(r);
        free(fr);
    }
    fflush(stdout);
    assert_int_equal(mismatches, 0);
    json_decref(index);
}

/* Same JSON, reals equal to 1e-9 relative (the text has 17 digits; this keeps the test about
 * the analysis, not the last bit of a libm). Prints the first difference. */
static int same_json(const json_t *a, const json_t *b, const char *path)
{
    if (json_is_number(a) && json_is_number(b) && (json_is_real(a) || json_is_real(b))) {
        double x = json_number_value(a), y = json_number_value(b);
        double tol = 1e-9 * (fabs(x) > 1 ? fabs(x) : 1);
        if (fabs(x - y) <= tol)
            return 1;
        printf("  %s: recorded %.17g, now %.17g\n", path, x, y);
        return 0;
    }
    if (json_typeof(a) != json_typeof(b)) {
        printf("  %s: the value changed type\n", path);
        return 0;
    }
    char sub[512];
    if (json_is_object(a)) {
        const char *k;
        const json_t *v;
        if (json_object_size(a) != json_object_size(b)) {
            printf("  %s: the members changed\n", path);
            return 0;
        }
        json_object_foreach((json_t *)a, k, v)
        {
            snprintf(sub, sizeof sub, "%s.%s", path, k);
            if (!same_json(v, json_object_get(b, k), sub))
                return 0;
        }
        return 1;
    }
    if (json_is_array(a)) {
        if (json_array_size(a) != json_array_size(b)) {
            printf("  %s: %zu items recorded, %zu now\n", path, json_array_size(a),
                   json_array_size(b));
            return 0;
        }
        for (size_t i = 0; i < json_array_size(a); i++) {
            snprintf(sub, sizeof sub, "%s[%zu]", path, i);
            if (!same_json(json_array_get(a, i), json_array_get(b, i), sub))
                return 0;
        }
        return 1;
    }
    if (!json_equal((json_t *)a, (json_t *)b)) {
        printf("  %s: changed\n", path);
        return 0;
    }
    return 1;
}

static void fixtures__series_give_their_recorded_reports(void **state)
{
    (void)state;
    json_t *index = json_load_file(FIXDIR "/index.json", 0, NULL);
    assert_non_null(index);
    json_t *cases = json_object_get(index, "cases");
    int update = getenv("RR_FIXTURES_UPDATE") != NULL, differ = 0;
    for (size_t i = 0; i < json_array_size(cases); i++) {
        const char *series = json_string_value(json_object_get(json_array_get(cases, i), "series"));
        char path[4096], want_path[4096];
        snprintf(path, sizeof path, "%s/%s", FIXDIR, series);
        snprintf(want_path, sizeof want_path, "%s/expected/%.*s.report.json", FIXDIR,
                 (int)(strlen(series) - 5), series);
        size_t n = 0;
        struct rr_pose_frame *fr = series_load(path, &n);
        assert_non_null(fr);
        struct analysis_report *r = NULL;
        assert_int_equal(analysis_run(fr, n, NULL, &r), 0);
        char *text = analysis_report_json(r);
        assert_non_null(text);
        if (update) {
            FILE *f = fopen(want_path, "w");
            assert_non_null(f);
            fprintf(f, "%s\n", text);
            assert_int_equal(fclose(f), 0);
            printf("%s: report re-recorded in %s\n", series, want_path);
        } else {
            json_t *want = json_load_file(want_path, 0, NULL), *got = json_loads(text, 0, NULL);
            assert_non_null(got);
            if (!want)
                printf("%s: no recorded report %s (RR_FIXTURES_UPDATE=1 records it)\n", series,
                       want_path);
            int same = want && same_json(want, got, "report");
            printf("%s: %s\n", series, same ? "the recorded report" : "REPORT DIFFERS");
            differ += !same;
            json_decref(want);
            json_decref(got);
        }
        free(text);
        analysis_report_free(r);
        free(fr);
    }
    fflush(stdout);
    json_decref(index);
    assert_int_equal(differ, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fixtures__recorded_series_give_their_expected_reports),
        cmocka_unit_test(fixtures__series_give_their_recorded_reports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
