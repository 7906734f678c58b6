/* test_fixtures.c - recorded keypoint series in tests/fixtures/analysis/ (derived from real
 * clips) must produce the report data listed in tests/fixtures/analysis/index.json: exercise
 * (recognised), rep count, camera view and labelled faults. A regression case is a data file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fixtures__recorded_series_give_their_expected_reports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
