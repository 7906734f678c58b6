/* test_analyze_landmarks.c - pipeline_analyze_landmarks(): a recorded series analysed from its
 * file gives the report of the same frames analysed directly, with the file's geometry and
 * counts in the result; overlays are refused, a file without a pose is NOPOSE, a broken file
 * names itself and the problem; report_json_print writes the landmark "source" block. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/analysis.h"
#include "analysis/report_write.h"
#include "base/rr_error.h"
#include "pipeline/analyze.h"
#include "pipeline/landmarks_file.h"
#include "pipeline/report_json.h"

#define SQUAT RR_SOURCE_DIR "/tests/fixtures/analysis/squat_side_heels.json"

static void analyze_landmarks__reports_what_the_frames_give(void **state)
{
    (void)state;
    struct pipeline_opts o = pipeline_opts_default();
    struct pipeline_result res;
    char msg[256];
    assert_int_equal(pipeline_analyze_landmarks(SQUAT, &o, &res, msg, sizeof msg), 0);
    assert_int_equal(res.from_landmarks, 1);
    assert_string_equal(res.landmarks.schema, "repright.pose/1");
    assert_int_equal(res.info.width, 1280);
    assert_int_equal(res.info.height, 720);
    assert_int_equal(res.stats.frames, res.n_frames);
    assert_int_equal(res.stats.frames_with_pose, res.landmarks.n_with_pose);
    assert_non_null(res.report);
    assert_string_equal(res.report->exercise, "squat");

    /* the same frames straight into the analysis: the same report, to the byte */
    struct analysis_report *direct = NULL;
    struct analysis_opts ao = analysis_opts_default();
    assert_int_equal(analysis_run(res.frames, res.n_frames, &ao, &direct), 0);
    char *a = analysis_report_json(res.report), *b = analysis_report_json(direct);
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(a, b);
    free(a);
    free(b);
    analysis_report_free(direct);

    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(report_json_print(f, SQUAT, NULL, &res), 0);
    rewind(f);
    json_error_t err;
    json_t *o2 = json_loadf(f, 0, &err);
    assert_non_null(o2);
    json_t *src = json_object_get(o2, "source");
    assert_string_equal(json_string_value(json_object_get(src, "landmarks")), SQUAT);
    assert_string_equal(json_string_value(json_object_get(src, "format")), "repright.pose/1");
    assert_true(json_is_null(json_object_get(src, "model")));
    assert_true(json_is_null(json_object_get(src, "fps")));
    assert_null(json_object_get(src, "file"));
    assert_null(json_object_get(src, "rotation"));
    assert_int_equal(json_integer_value(json_object_get(src, "frames")), (json_int_t)res.n_frames);
    assert_true(json_is_true(json_object_get(src, "has_world")));
    json_decref(o2);
    fclose(f);
    pipeline_result_release(&res);
}

static void analyze_landmarks__refuses_renders_empty_and_broken_files(void **state)
{
    (void)state;
    struct pipeline_opts o = pipeline_opts_default();
    struct pipeline_result res;
    char msg[256];
    o.overlay_path = "/tmp/x.mp4";
    assert_int_equal(pipeline_analyze_landmarks(SQUAT, &o, &res, msg, sizeof msg), RR_ERR_INVAL);
    assert_non_null(strstr(msg, "need the video"));
    pipeline_result_release(&res);

    char path[] = "/tmp/rr_analyze_lm_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *nobody =
        "{\"schema\":\"repright.pose/1\",\"frames\":[{\"t_ms\":0,\"pose\":false}]}";
    assert_int_equal(write(fd, nobody, strlen(nobody)), (ssize_t)strlen(nobody));
    close(fd);
    o = pipeline_opts_default();
    assert_int_equal(pipeline_analyze_landmarks(path, &o, &res, msg, sizeof msg), RR_ERR_NOPOSE);
    assert_non_null(strstr(msg, "no person found"));
    pipeline_result_release(&res);

    fd = open(path, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    const char *broken =
        "{\"schema\":\"repright.pose/1\",\"frames\":[{\"t_ms\":0,\"landmarks\":[]}]}";
    assert_int_equal(write(fd, broken, strlen(broken)), (ssize_t)strlen(broken));
    close(fd);
    assert_int_equal(pipeline_analyze_landmarks(path, &o, &res, msg, sizeof msg), RR_ERR_CORRUPT);
    assert_non_null(strstr(msg, path));
    assert_non_null(strstr(msg, "frame 0: landmarks must have 33 items, not 0"));
    assert_null(res.frames);
    pipeline_result_release(&res);
    unlink(path);
    assert_int_equal(pipeline_analyze_landmarks(path, &o, &res, msg, sizeof msg), RR_ERR_NOTFOUND);
    pipeline_result_release(&res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(analyze_landmarks__reports_what_the_frames_give),
        cmocka_unit_test(analyze_landmarks__refuses_renders_empty_and_broken_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
