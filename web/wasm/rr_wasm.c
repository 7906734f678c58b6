/*
 * rr_wasm.c - the C side of the WebAssembly analysis core (web/wasm/wasm.cmake builds it with
 * src/analysis and src/base into rr_analysis.js + rr_analysis.wasm; web/app/js/analysis-core.js
 * is the JavaScript side). docs/internals/wasm.md describes the API.
 *
 * Frames cross the boundary as flat float arrays, RR_WASM_FRAME_FLOATS floats per frame:
 *   [0] t_ms, whole milliseconds  [1] t_ms, fraction (two floats: a float alone would lose
 *       microseconds in a long session)  [2] has_pose (0/1)  [3] image width px  [4] height px
 *   [5 .. 5+132)     33 x (x, y, z, visibility) normalised image landmarks
 *   [137 .. 137+132) 33 x (x, y, z, visibility) world landmarks, metres
 * Results are JSON text (schema repright.report/2 for reports, src/analysis/report_write.c)
 * returned as a pointer into a buffer this module owns: valid until the next call that returns
 * text. NULL means failure; rr_wasm_last_error() then says why.
 *
 * Ownership: rr_wasm_live_new() returns a session handle freed by rr_wasm_live_free().
 * Thread-safety: none (one WebAssembly instance is single-threaded).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "analysis/live.h"
#include "analysis/report_write.h"
#include "base/rr_error.h"

#define RR_WASM_FRAME_FLOATS (5 + 8 * RR_NUM_LANDMARKS)

/* Exported functions (listed in wasm.cmake); prototypes here keep -Wmissing-prototypes quiet. */
int rr_wasm_frame_floats(void);
const char *rr_wasm_last_error(void);
const char *rr_wasm_exercises(void);
struct analysis_live *rr_wasm_live_new(const char *exercise);
const char *rr_wasm_live_push(struct analysis_live *lv, const float *frame);
const char *rr_wasm_live_report(struct analysis_live *lv);
void rr_wasm_live_free(struct analysis_live *lv);
const char *rr_wasm_analyze(const float *frames, int n, const char *exercise);

static char *g_text;       /* last text returned */
static char g_error[160];  /* last error */

static const char *set_error(int err, const char *what)
{
    snprintf(g_error, sizeof g_error, "%s: %s", what, rr_strerror(err));
    return NULL;
}

/* A writer for one answer (rr_json.h), capped like a report. */
static void answer_init(struct rr_json *j)
{
    rr_json_init(j, NULL, 0, ANALYSIS_REPORT_MAX_BYTES);
}

static const char *hand_out(struct rr_json *j, const char *what)
{
    int err = rr_json_finish(j);
    char *s = rr_json_detach(j, NULL);
    if (!s)
        return set_error(err ? err : RR_ERR_NOMEM, what);
    free(g_text);
    g_text = s;
    return g_text;
}

int rr_wasm_frame_floats(void)
{
    return RR_WASM_FRAME_FLOATS;
}

const char *rr_wasm_last_error(void)
{
    return g_error;
}

static void load_lms(const float *v, struct rr_landmark *lm)
{
    for (int k = 0; k < RR_NUM_LANDMARKS; k++) {
        lm[k].x = v[4 * k];
        lm[k].y = v[4 * k + 1];
        lm[k].z = v[4 * k + 2];
        lm[k].visibility = v[4 * k + 3];
        lm[k].presence = 1.0f;
    }
}

/* Same conversion as the native readers (tests/unit/analysis/series_load.h). */
static int load_frame(const float *v, struct rr_pose_frame *f)
{
    memset(f, 0, sizeof *f);
    double t_ms = (double)v[0] + (double)v[1];
    if (!isfinite(t_ms) || fabs(t_ms) > 1e12 || !isfinite(v[3]) || !isfinite(v[4]) ||
        v[3] < 0.0f || v[4] < 0.0f || v[3] > 1e5f || v[4] > 1e5f)
        return RR_ERR_INVAL;
    f->t_us = (int64_t)llround(t_ms * 1000.0);
    f->width = (int)v[3];
    f->height = (int)v[4];
    f->has_pose = v[2] != 0.0f;
    if (f->has_pose) {
        load_lms(v + 5, f->image);
        load_lms(v + 5 + 4 * RR_NUM_LANDMARKS, f->world);
    }
    f->score = f->has_pose ? 1.0f : 0.0f;
    return 0;
}

const char *rr_wasm_exercises(void)
{
    const char *const *names = NULL;
    int n = analysis_exercises(&names);
    struct rr_json j;
    answer_init(&j);
    rr_json_array_begin(&j);
    for (int i = 0; i < n; i++)
        rr_json_string(&j, names[i]);
    rr_json_array_end(&j);
    return hand_out(&j, "exercises");
}

struct analysis_live *rr_wasm_live_new(const char *exercise)
{
    struct analysis_opts o = analysis_opts_default();
    o.exercise = exercise && *exercise ? exercise : NULL;
    struct analysis_live *lv = NULL;
    int err = analysis_live_new(&o, &lv);
    if (err) {
        set_error(err, err == RR_ERR_INVAL ? "new live session (unknown exercise?)" : "new live session");
        return NULL;
    }
    return lv;
}

const char *rr_wasm_live_push(struct analysis_live *lv, const float *frame)
{
    struct rr_pose_frame f;
    if (!lv || !frame)
        return set_error(RR_ERR_INVAL, "push");
    int err = load_frame(frame, &f);
    if (err)
        return set_error(err, "push (bad frame: time or image size)");
    struct analysis_live_status st;
    err = analysis_live_push(lv, &f, &st);
    if (err)
        return set_error(err, err == RR_ERR_TOOBIG ? "push (session full)"
                                              : err == RR_ERR_INVAL ? "push (frame out of time order)"
                                                                    : "push");
    struct rr_json j;
    answer_init(&j);
    rr_json_object_begin(&j);
    RR_JSON_KEY(&j, "new_reps");
    rr_json_array_begin(&j);
    for (size_t k = 0; k < st.n_new; k++)
        analysis_write_rep(&j, &st.report->reps[st.first_new + k]);
    rr_json_array_end(&j);
    RR_JSON_KEY(&j, "reps");
    rr_json_int(&j, st.reps);
    RR_JSON_KEY(&j, "exercise");
    rr_json_string(&j, st.exercise);
    RR_JSON_KEY(&j, "phase");
    rr_json_string(&j, analysis_live_phase_name(st.phase));
    RR_JSON_KEY(&j, "frames");
    rr_json_uint(&j, st.n_frames);
    RR_JSON_KEY(&j, "reran");
    rr_json_bool(&j, st.reran);
    rr_json_object_end(&j);
    return hand_out(&j, "push");
}

const char *rr_wasm_live_report(struct analysis_live *lv)
{
    const struct analysis_report *r = NULL;
    int err = analysis_live_report(lv, &r);
    if (err)
        return set_error(err, "report");
    struct rr_json j;
    answer_init(&j);
    analysis_write_report(&j, r);
    return hand_out(&j, "report");
}

void rr_wasm_live_free(struct analysis_live *lv)
{
    analysis_live_free(lv);
}

const char *rr_wasm_analyze(const float *frames, int n, const char *exercise)
{
    if (n > ANALYSIS_MAX_FRAMES)
        return set_error(RR_ERR_TOOBIG, "analyze (too many frames)");
    if (n < 0 || (n > 0 && !frames))
        return set_error(RR_ERR_INVAL, "analyze");
    struct rr_pose_frame *f = n ? calloc((size_t)n, sizeof *f) : NULL;
    if (n && !f)
        return set_error(RR_ERR_NOMEM, "analyze");
    for (int i = 0; i < n; i++) {
        int err = load_frame(frames + (size_t)i * RR_WASM_FRAME_FLOATS, &f[i]);
        if (err) {
            free(f);
            return set_error(err, "analyze (bad frame: time or image size)");
        }
    }
    struct analysis_opts o = analysis_opts_default();
    o.exercise = exercise && *exercise ? exercise : NULL;
    struct analysis_report *r = NULL;
    int err = analysis_run(f, (size_t)n, &o, &r);
    free(f);
    if (err)
        return set_error(err, err == RR_ERR_INVAL ? "analyze (unknown exercise or frames out of order)"
                                             : "analyze");
    struct rr_json j;
    answer_init(&j);
    analysis_write_report(&j, r);
    analysis_report_free(r);
    return hand_out(&j, "analyze");
}
