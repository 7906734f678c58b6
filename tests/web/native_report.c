/*
 * native_report.c - the native side of tests/web/test_wasm_parity.mjs (built by CMake as
 * rr_native_report; the test finds it through RR_NATIVE_REPORT).
 *
 *   rr_native_report SERIES.json [EXERCISE]   batch analysis of a pose series (MediaPipe
 *                                             reference dump or repright.pose/1, read by
 *                                             tests/unit/analysis/series_load.h) -> report JSON
 *                                             (src/analysis/report_write.c) on stdout
 *   rr_native_report --synth KIND OUT.json    write a synthetic series (tests/unit/analysis/
 *                                             synth.h) as repright.pose/1; KIND: squat_front,
 *                                             squat_side_heels, squat_gaps, no_pose, long_squat
 * Exit 0 on success, 1 on a usage, input or analysis error (message on stderr).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "analysis/report_write.h"
#include "base/rr_error.h"
#include "base/rr_json.h"
#include "series_load.h"
#include "synth.h"

#define SYNTH_MAX (130 * 30)

static void write_lms(struct rr_json *j, const char *key, const struct rr_landmark *lm)
{
    rr_json_key(j, key);
    rr_json_array_begin(j);
    for (int k = 0; k < RR_NUM_LANDMARKS; k++) {
        rr_json_array_begin(j);
        rr_json_real_digits(j, (double)lm[k].x, 9); /* 9 digits: every float reads back */
        rr_json_real_digits(j, (double)lm[k].y, 9);
        rr_json_real_digits(j, (double)lm[k].z, 9);
        rr_json_real_digits(j, (double)lm[k].visibility, 9);
        rr_json_array_end(j);
    }
    rr_json_array_end(j);
}

/* The series as repright.pose/1 (docs/landmarks-format.md), one frame a line. */
static int write_series(const char *path, const struct rr_pose_frame *fr, size_t n)
{
    struct rr_json j;
    rr_json_init(&j, NULL, 0, (size_t)256 << 20);
    rr_json_object_begin(&j);
    RR_JSON_KEY(&j, "schema");
    rr_json_string(&j, "repright.pose/1");
    RR_JSON_KEY(&j, "width");
    rr_json_int(&j, n ? fr[0].width : 0);
    RR_JSON_KEY(&j, "height");
    rr_json_int(&j, n ? fr[0].height : 0);
    RR_JSON_KEY(&j, "frames");
    rr_json_array_begin_lines(&j);
    for (size_t i = 0; i < n; i++) {
        rr_json_object_begin(&j);
        RR_JSON_KEY(&j, "t_ms");
        rr_json_scaled(&j, fr[i].t_us, 3);
        RR_JSON_KEY(&j, "pose");
        rr_json_bool(&j, fr[i].has_pose);
        if (fr[i].has_pose) {
            write_lms(&j, "landmarks", fr[i].image);
            write_lms(&j, "world_landmarks", fr[i].world);
        }
        rr_json_object_end(&j);
    }
    rr_json_array_end(&j);
    rr_json_object_end(&j);
    rr_json_raw(&j, "\n", 1);
    size_t len = 0;
    char *text = rr_json_detach(&j, &len);
    FILE *f = text ? fopen(path, "w") : NULL;
    int bad = !f || fwrite(text, 1, len, f) != len;
    if (f && fclose(f) != 0)
        bad = 1;
    free(text);
    return bad ? -1 : 0;
}

static size_t synth(const char *kind, struct rr_pose_frame *fr)
{
    struct synth_pose stand = {.shin_fwd = 0.0f};
    struct synth_pose bottom = {.knee_flex = 110.0f, .shin_fwd = 30.0f, .torso_lean = 35.0f,
                                .shoulder_flex = 90.0f};
    struct synth_plan plan = {.fps = 30.0f, .lead_s = 1.0f, .rep_s = 2.0f, .pause_far_s = 0.5f,
                              .pause_rest_s = 0.5f, .reps = 5, .tail_s = 1.0f, .end_frac = 0.5f};
    struct synth_cam cam = {SYNTH_FRONT, 1280, 720, 0.35f};
    size_t n;
    if (strcmp(kind, "squat_front") == 0) {
        return synth_series(&stand, &bottom, &plan, &cam, fr, SYNTH_MAX);
    } else if (strcmp(kind, "squat_side_heels") == 0) {
        cam.view = SYNTH_SIDE;
        bottom.heel_lift = 0.06f;
        return synth_series(&stand, &bottom, &plan, &cam, fr, SYNTH_MAX);
    } else if (strcmp(kind, "squat_gaps") == 0) {
        n = synth_series(&stand, &bottom, &plan, &cam, fr, SYNTH_MAX);
        for (size_t i = 0; i < n; i += 7)
            fr[i].has_pose = 0;
        return n;
    } else if (strcmp(kind, "no_pose") == 0) {
        n = synth_series(&stand, &bottom, &plan, &cam, fr, SYNTH_MAX);
        for (size_t i = 0; i < n; i++)
            fr[i].has_pose = 0;
        return n;
    } else if (strcmp(kind, "long_squat") == 0) {
        plan.reps = 40; /* 1 + 40 * 3 + 1 + 1 s: just over two minutes at 30 fps */
        return synth_series(&stand, &bottom, &plan, &cam, fr, SYNTH_MAX);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--synth") == 0) {
        struct rr_pose_frame *fr = calloc(SYNTH_MAX, sizeof *fr);
        size_t n = fr ? synth(argv[2], fr) : 0;
        int bad = n == 0 || write_series(argv[3], fr, n) != 0;
        free(fr);
        if (bad)
            fprintf(stderr, "native_report: cannot write synthetic series '%s' to %s\n", argv[2],
                    argv[3]);
        return bad;
    }
    if (argc < 2 || argc > 3 || argv[1][0] == '-') {
        fprintf(stderr, "usage: %s SERIES.json [EXERCISE] | --synth KIND OUT.json\n", argv[0]);
        return 1;
    }
    size_t n = 0;
    struct rr_pose_frame *fr = series_load(argv[1], &n);
    if (!fr) {
        fprintf(stderr, "native_report: cannot read a pose series from %s\n", argv[1]);
        return 1;
    }
    struct analysis_opts o = analysis_opts_default();
    o.exercise = argc == 3 ? argv[2] : NULL;
    struct analysis_report *r = NULL;
    int err = analysis_run(fr, n, &o, &r);
    free(fr);
    if (err) {
        fprintf(stderr, "native_report: analysis failed: %s\n", rr_strerror(err));
        return 1;
    }
    char *text = analysis_report_json(r);
    analysis_report_free(r);
    if (!text) {
        fprintf(stderr, "native_report: out of memory\n");
        return 1;
    }
    puts(text);
    free(text);
    return 0;
}
