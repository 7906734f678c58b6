/*
 * test_pipeline_clips.c - the whole `analyze` pipeline (our decoder, our BlazePose, our analysis)
 * on every clip of ../shared/media/ground_truth.json, against the labels.
 *
 * Prints a table clip / expected / got / recognised exercise / faults, then asserts what the
 * issue asks: reps exact on >= 13 of 16 clips and never off by more than one (reps_accept lists
 * the counts accepted for clips that start or end mid-rep), exercise recognised on >= 14 of 16,
 * every labelled fault reported on its clip.
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

#include "base/rr_error.h"
#include "pipeline/analyze.h"
#include "support/rrtest.h"

static int rep_has_fault(const struct analysis_report *r, const char *fault)
{
    for (size_t k = 0; k < r->n_reps; k++)
        for (int c = 0; c < r->reps[k].n_checks; c++)
            if (r->reps[k].checks[c].outcome == ANALYSIS_FAULT &&
                strcmp(r->reps[k].checks[c].name, fault) == 0)
                return 1;
    for (int c = 0; r->is_hold && c < r->hold.n_checks; c++)
        if (r->hold.checks[c].outcome == ANALYSIS_FAULT && strcmp(r->hold.checks[c].name, fault) == 0)
            return 1;
    return 0;
}

static void faults_text(const struct analysis_report *r, char *buf, size_t len)
{
    buf[0] = 0;
    static const char *seen[64];
    int n = 0;
    for (size_t k = 0; k < r->n_reps; k++)
        for (int c = 0; c < r->reps[k].n_checks; c++) {
            const struct analysis_check *ch = &r->reps[k].checks[c];
            if (ch->outcome != ANALYSIS_FAULT)
                continue;
            int dup = 0;
            for (int i = 0; i < n; i++)
                dup |= strcmp(seen[i], ch->name) == 0;
            if (!dup && n < 64) {
                seen[n++] = ch->name;
                size_t used = strlen(buf);
                snprintf(buf + used, len - used, "%s%s", used ? "," : "", ch->name);
            }
        }
}

static void pipeline__matches_ground_truth_on_real_clips(void **state)
{
    (void)state;
    char gt_path[4096], dir[4096], msg[512];
    rrtest_require_shared("pipeline_clips", "media/ground_truth.json", gt_path, sizeof gt_path);
    rrtest_require_model("pipeline_clips", "pose_landmark_full.tflite", dir, sizeof dir);
    json_error_t jerr;
    json_t *gt = json_load_file(gt_path, 0, &jerr);
    assert_non_null(gt);
    struct pose_models *models = NULL;
    assert_int_equal(pose_models_load(dir, POSE_MODEL_FULL, &models, msg, sizeof msg), 0);

    int clips = 0, reps_exact = 0, reps_far = 0, ex_ok = 0, faults_missing = 0;
    size_t i;
    json_t *c;
    printf("%-44s %-8s %-4s %-14s %-14s %s\n", "clip", "expect", "got", "exercise", "recognised",
           "faults (labelled -> reported)");
    json_array_foreach(gt, i, c) {
        const char *file = json_string_value(json_object_get(c, "file"));
        const char *exercise = json_string_value(json_object_get(c, "exercise"));
        int expect = (int)json_integer_value(json_object_get(c, "reps"));
        char path[4096];
        snprintf(path, sizeof path, "%s/media/%s", RR_SHARED_DIR, file);
        struct pipeline_opts o = pipeline_opts_default();
        o.threads = 1; /* ctest runs tests in parallel: a 2-thread pool would fight for cores */
        struct pipeline_result res;
        int rc = pipeline_analyze(path, models, &o, &res, msg, sizeof msg);
        if (rc < 0) {
            printf("%-44s error: %s\n", file, msg);
            clips++;
            reps_far++;
            faults_missing++;
            pipeline_result_release(&res);
            continue;
        }
        const struct analysis_report *r = res.report;
        int got = r->is_hold ? 0 : r->set.reps;
        int exact = got == expect;
        json_t *acc = json_object_get(c, "reps_accept");
        size_t ai;
        json_t *av;
        json_array_foreach(acc, ai, av) exact |= got == (int)json_integer_value(av);
        int off = abs(got - expect);
        reps_exact += exact;
        reps_far += !exact && off > 1;
        int recog = r->exercise && strcmp(r->exercise, exercise) == 0;
        ex_ok += recog;
        char labelled[256] = "", reported[512];
        json_t *ff = json_object_get(c, "form_faults");
        size_t fi;
        json_t *fv;
        json_array_foreach(ff, fi, fv) {
            const char *f = json_string_value(fv);
            size_t used = strlen(labelled);
            snprintf(labelled + used, sizeof labelled - used, "%s%s", used ? "," : "", f);
            /* a labelled fault must be reported; judged on the run with the exercise known
             * when recognition failed, so one miss is not counted twice */
            if (!rep_has_fault(r, f))
                faults_missing++;
        }
        faults_text(r, reported, sizeof reported);
        printf("%-44.44s %-8d %-4d %-14s %-14s %s -> %s%s\n", file, expect, got, exercise,
               r->exercise ? r->exercise : "(none)", labelled[0] ? labelled : "-",
               reported[0] ? reported : "-", exact ? "" : "   <-- reps");
        clips++;
        pipeline_result_release(&res);
    }
    printf("reps exact %d/%d (off by more than one: %d), exercise %d/%d, labelled faults missed %d\n",
           reps_exact, clips, reps_far, ex_ok, clips, faults_missing);
    pose_models_free(models);
    json_decref(gt);
    assert_true(clips >= 16);
    assert_true(reps_exact >= clips - 3);
    assert_int_equal(reps_far, 0);
    assert_true(ex_ok >= clips - 2);
    assert_int_equal(faults_missing, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pipeline__matches_ground_truth_on_real_clips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
