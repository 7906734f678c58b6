/*
 * native_report.c - the native side of tests/web/test_wasm_parity.mjs (built by CMake as
 * rr_native_report; the test finds it through RR_NATIVE_REPORT).
 *
 *   rr_native_report SERIES.json [EXERCISE]   batch analysis of a pose series (MediaPipe
 *                                             reference dump or repright.series/1, read by
 *                                             tests/unit/analysis/series_load.h) -> report JSON
 *                                             (src/analysis/report_write.c) on stdout
 *   rr_native_report --synth KIND OUT.json    write a synthetic series (tests/unit/analysis/
 *                                             synth.h) as repright.series/1; KIND: squat_front,
 *                                             squat_side_heels, squat_gaps, no_pose, long_squat
 * Exit 0 on success, 1 on a usage, input or analysis error (message on stderr).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "analysis/report_write.h"
#include "base/rr_error.h"
#include "series_load.h"
#include "synth.h"

#define SYNTH_MAX (130 * 30)

static int write_lms(FILE *f, const char *key, const struct rr_landmark *lm)
{
    fprintf(f, ",\"%s\":[", key);
    for (int k = 0; k < RR_NUM_LANDMARKS; k++)
        fprintf(f, "%s%.9g,%.9g,%.9g,%.9g", k ? "," : "", (double)lm[k].x, (double)lm[k].y,
                (double)lm[k].z, (double)lm[k].visibility);
    return fputc(']', f) == EOF ? -1 : 0;
}

static int write_series(const char *path, const struct rr_pose_frame *fr, size_t n)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "{\"format\":\"repright.series/1\",\"width\":%d,\"height\":%d,\"frames\":[",
            n ? fr[0].width : 0, n ? fr[0].height : 0);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%s{\"t\":%.17g", i ? "," : "", (double)fr[i].t_us / 1000.0);
        if (fr[i].has_pose) {
            write_lms(f, "i", fr[i].image);
            write_lms(f, "w", fr[i].world);
        }
        fputc('}', f);
    }
    fputs("]}\n", f);
    return fclose(f) == 0 ? 0 : -1;
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
