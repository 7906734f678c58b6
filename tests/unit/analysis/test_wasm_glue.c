/* test_wasm_glue.c - the C side of the WebAssembly core (web/wasm/rr_wasm.c), compiled natively
 * here so that it is unit-tested, covered and run under ASan: the flat frame layout, the JSON it
 * returns (a batch report equal to analysis_report_json of the same frames; push statuses with
 * the new reps), and its error messages. tests/web/test_wasm_parity.mjs tests the real WASM. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>

#include "../../../web/wasm/rr_wasm.c"
#include "synth.h"

#define MAXN 600

/* Flatten fr[0..n) into the glue's layout. */
static float *flatten(const struct rr_pose_frame *fr, size_t n)
{
    const size_t F = (size_t)rr_wasm_frame_floats();
    float *v = calloc(n * F, sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < n; i++) {
        float *o = v + i * F;
        double t_ms = (double)fr[i].t_us / 1000.0;
        o[0] = (float)floor(t_ms);
        o[1] = (float)(t_ms - floor(t_ms));
        o[2] = fr[i].has_pose ? 1.0f : 0.0f;
        o[3] = (float)fr[i].width;
        o[4] = (float)fr[i].height;
        for (int s = 0; s < 2; s++) {
            const struct rr_landmark *lm = s ? fr[i].world : fr[i].image;
            for (int k = 0; k < RR_NUM_LANDMARKS; k++) {
                float *p = o + 5 + s * 4 * RR_NUM_LANDMARKS + 4 * k;
                p[0] = lm[k].x;
                p[1] = lm[k].y;
                p[2] = lm[k].z;
                p[3] = lm[k].visibility;
            }
        }
    }
    return v;
}

static size_t squats(struct rr_pose_frame *fr)
{
    struct synth_pose stand = {.shin_fwd = 0.0f};
    struct synth_pose bottom = {.knee_flex = 110.0f, .shin_fwd = 30.0f, .torso_lean = 35.0f,
                                .shoulder_flex = 90.0f};
    struct synth_plan plan = {.fps = 30.0f, .lead_s = 1.0f, .rep_s = 2.0f, .pause_far_s = 0.5f,
                              .pause_rest_s = 0.5f, .reps = 3, .tail_s = 1.0f};
    struct synth_cam cam = {SYNTH_FRONT, 1280, 720, 0.35f};
    size_t n = synth_series(&stand, &bottom, &plan, &cam, fr, MAXN);
    for (size_t i = 0; i < n; i++) /* the glue sets presence 1, as the JSON readers do */
        for (int k = 0; k < RR_NUM_LANDMARKS; k++)
            fr[i].image[k].presence = fr[i].world[k].presence = 1.0f;
    return n;
}

static void glue__batch_and_live_give_the_native_report(void **state)
{
    (void)state;
    struct rr_pose_frame *fr = calloc(MAXN, sizeof *fr);
    assert_non_null(fr);
    size_t n = squats(fr);
    float *v = flatten(fr, n);
    struct analysis_report *r = NULL;
    assert_int_equal(analysis_run(fr, n, NULL, &r), 0);
    assert_int_equal(r->n_reps, 3);
    char *want = analysis_report_json(r);
    analysis_report_free(r);

    const char *got = rr_wasm_analyze(v, (int)n, NULL);
    assert_non_null(got);
    assert_string_equal(got, want);
    got = rr_wasm_analyze(v, (int)n, "");
    assert_string_equal(got, want); /* "" = recognise */

    struct analysis_live *lv = rr_wasm_live_new(NULL);
    assert_non_null(lv);
    const size_t F = (size_t)rr_wasm_frame_floats();
    int announced = 0;
    for (size_t i = 0; i < n; i++) {
        const char *st = rr_wasm_live_push(lv, v + i * F);
        assert_non_null(st);
        json_t *o = json_loads(st, 0, NULL);
        assert_non_null(o);
        assert_int_equal(json_integer_value(json_object_get(o, "frames")), (json_int_t)i + 1);
        assert_true(json_is_string(json_object_get(o, "phase")));
        json_t *nr = json_object_get(o, "new_reps");
        for (size_t k = 0; k < json_array_size(nr); k++) {
            json_t *rep = json_array_get(nr, k);
            assert_int_equal(json_integer_value(json_object_get(rep, "index")), ++announced);
            /* a rep is announced with its verdict: the v2 fields are there */
            assert_non_null(json_object_get(rep, "confidence"));
            assert_non_null(json_object_get(rep, "cannot_judge_reason"));
        }
        /* reps are counted before (or when) they are announced */
        assert_true(json_integer_value(json_object_get(o, "reps")) >= announced);
        json_decref(o);
    }
    assert_int_equal(announced, 3);
    got = rr_wasm_live_report(lv);
    assert_non_null(got);
    assert_string_equal(got, want);
    rr_wasm_live_free(lv);
    free(want);

    /* A session with the exercise given, and the exercise list. */
    lv = rr_wasm_live_new("squat");
    assert_non_null(lv);
    rr_wasm_live_free(lv);
    json_t *ex = json_loads(rr_wasm_exercises(), 0, NULL);
    assert_true(json_array_size(ex) >= 9);
    assert_string_equal(json_string_value(json_array_get(ex, 0)), "squat");
    json_decref(ex);
    free(v);
    free(fr);
}

static void glue__bad_input_is_reported(void **state)
{
    (void)state;
    assert_int_equal(rr_wasm_frame_floats(), 5 + 8 * RR_NUM_LANDMARKS);
    assert_null(rr_wasm_live_new("yoga"));
    assert_non_null(strstr(rr_wasm_last_error(), "unknown exercise"));
    assert_null(rr_wasm_analyze(NULL, -1, NULL));
    assert_null(rr_wasm_analyze(NULL, ANALYSIS_MAX_FRAMES + 1, NULL));
    assert_non_null(strstr(rr_wasm_last_error(), "too many frames"));

    const size_t F = (size_t)rr_wasm_frame_floats();
    float *v = calloc(2 * F, sizeof *v);
    assert_non_null(v);
    v[0] = 1000.0f;
    v[F] = 500.0f; /* second frame older than the first */
    assert_null(rr_wasm_analyze(v, 2, NULL));
    assert_non_null(strstr(rr_wasm_last_error(), "out of order"));
    assert_null(rr_wasm_analyze(v, 1, "yoga"));
    struct analysis_live *lv = rr_wasm_live_new(NULL);
    assert_non_null(lv);
    assert_null(rr_wasm_live_push(NULL, v));
    assert_null(rr_wasm_live_push(lv, NULL));
    assert_non_null(rr_wasm_live_push(lv, v)); /* a frame without a pose */
    assert_null(rr_wasm_live_push(lv, v + F));
    assert_non_null(strstr(rr_wasm_last_error(), "out of time order"));
    v[0] = NAN;
    assert_null(rr_wasm_live_push(lv, v));
    assert_non_null(strstr(rr_wasm_last_error(), "bad frame"));
    assert_null(rr_wasm_analyze(v, 1, NULL));
    v[0] = 2000.0f;
    v[3] = -1.0f; /* negative image width */
    assert_null(rr_wasm_live_push(lv, v));
    assert_null(rr_wasm_live_report(NULL));
    const char *rep = rr_wasm_live_report(lv);
    assert_non_null(rep);
    assert_non_null(strstr(rep, "\"total\":1,"));
    rr_wasm_live_free(lv);
    const char *empty = rr_wasm_analyze(NULL, 0, NULL);
    assert_non_null(empty);
    assert_non_null(strstr(empty, "\"exercise\":null"));
    free(v);
    free(g_text); /* the glue keeps its last text for the caller; release it for LeakSanitizer */
    g_text = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(glue__batch_and_live_give_the_native_report),
        cmocka_unit_test(glue__bad_input_is_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
