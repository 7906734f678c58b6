/*
 * test_models_backends.c - the four real BlazePose models on random input through the reference
 * backend and XNNPACK (1 and 2 threads); every output must agree within a per-output tolerance.
 *
 * Tolerances (|xnn - ref| over the whole output, `scale` = max|ref| of that output):
 *   landmarks  [1,195]  2e-2 absolute (x, y, z in pixels of the 256 crop, logits)
 *   flag       [1,1]    1e-5 absolute (already a probability)
 *   segmentation        1e-3 * scale (logits reach ~1e3 on random input)
 *   heatmap             1e-2 absolute
 *   world      [1,117]  1e-4 absolute (metres)
 *   detector regressors 2e-2 absolute (pixels of the 224 input), scores 1e-2 absolute (logits)
 * They are far above fp32 reordering noise (blazepose.md 2.3 measured 5e-3 px / 2e-5 m / 2e-4
 * relative) and far below any real error (a wrong padding or channel order moves values by whole
 * units). Max diffs and timings are printed. Models come from rrtest_require_model (SKIP when
 * absent). The reference backend runs once per model (heavy takes ~1.5 s in an optimised build).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pose/model.h"
#include "pose/net.h"
#include "support/rrtest.h"

struct tol {
    const char *what;
    double atol;      /* absolute */
    double rel_scale; /* times max|ref| of the output */
};

struct model_case {
    const char *file;
    float in_lo, in_hi;
    int n_outputs;
    struct tol tol[5];
};

static const struct model_case detector = {
    "pose_detection.tflite", -1.0f, 1.0f, 2,
    { { "regressors", 2e-2, 0 }, { "scores", 1e-2, 0 } },
};
static const struct tol landmark_tol[5] = {
    { "landmarks", 2e-2, 0 }, { "flag", 1e-5, 0 },   { "segmentation", 0, 1e-3 },
    { "heatmap", 1e-2, 0 },   { "world", 1e-4, 0 },
};

static char model_dir[4096];

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void fill_random(struct net *n, const struct model *m, float lo, float hi)
{
    uint64_t s = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < m->n_inputs; i++) {
        float *in = net_input(n, i);
        assert_non_null(in);
        for (size_t k = 0; k < model_input(m, i)->count; k++) {
            s ^= s >> 12;
            s ^= s << 25;
            s ^= s >> 27;
            double u = (double)((s * 2685821657736338717ull) >> 11) / 9007199254740992.0;
            in[k] = lo + (hi - lo) * (float)u;
        }
    }
}

static struct net *make_net(const struct model *m, enum net_backend be, int threads,
                            unsigned outputs, const struct model_case *mc, double *ms)
{
    char msg[256] = "";
    struct net *n = NULL;
    double t0 = now_ms();
    int rc = net_new_outputs(m, be, threads, outputs, &n, msg, sizeof msg);
    if (rc < 0)
        fail_msg("%s: net_new_outputs(%s, %d threads, mask %#x): %d %s", mc->file,
                 net_backend_name(be), threads, outputs, rc, msg);
    *ms = now_ms() - t0;
    fill_random(n, m, mc->in_lo, mc->in_hi);
    return n;
}

/* Best of three net_run() wall times, in ms. */
static double best_run_ms(struct net *n)
{
    double best = 1e30;
    for (int i = 0; i < 3; i++) {
        double t0 = now_ms();
        assert_int_equal(net_run(n), 0);
        best = fmin(best, now_ms() - t0);
    }
    return best;
}

/* Compares every output of `b` against `a`; returns the number of outputs out of tolerance. */
static int compare(const struct model *m, const struct model_case *mc, const struct net *a,
                   const struct net *b, const char *label)
{
    int failed = 0;
    for (int o = 0; o < m->n_outputs; o++) {
        const float *x = net_output(a, o), *y = net_output(b, o);
        double maxd = 0, scale = 0;
        size_t nonfinite = 0;
        for (size_t k = 0; k < model_output(m, o)->count; k++) {
            if (!isfinite(x[k]) || !isfinite(y[k]))
                nonfinite++;
            double d = fabs((double)x[k] - (double)y[k]);
            if (d > maxd)
                maxd = d;
            if (fabs((double)x[k]) > scale)
                scale = fabs((double)x[k]);
        }
        const struct tol *t = &mc->tol[o];
        double limit = t->atol + t->rel_scale * scale;
        int ok = nonfinite == 0 && maxd <= limit;
        printf("  %-28s %-13s %-12s max|diff| %-10.3g limit %-9.3g max|ref| %.4g%s\n", mc->file,
               label, t->what, maxd, limit, scale, ok ? "" : "  <-- FAIL");
        failed += !ok;
    }
    return failed;
}

static void run_model(const struct model_case *mc)
{
    char path[4200], msg[256] = "";
    snprintf(path, sizeof path, "%s/%s", model_dir, mc->file);
    struct model *m = NULL;
    double t0 = now_ms();
    int rc = model_load_file(path, &m, msg, sizeof msg);
    if (rc < 0)
        fail_msg("%s: model_load_file: %d %s", path, rc, msg);
    printf("  %s: loaded in %.1f ms, %d tensors, %d ops\n", mc->file, now_ms() - t0, m->n_tensors,
           m->n_ops);
    assert_int_equal(m->n_inputs, 1);
    assert_int_equal(m->n_outputs, mc->n_outputs);

    double new_ref, new_x1, new_x2;
    struct net *ref = make_net(m, NET_BACKEND_REF, 1, NET_ALL_OUTPUTS, mc, &new_ref);
    struct net *x1 = make_net(m, NET_BACKEND_XNN, 1, NET_ALL_OUTPUTS, mc, &new_x1);
    struct net *x2 = make_net(m, NET_BACKEND_XNN, 2, NET_ALL_OUTPUTS, mc, &new_x2);

    t0 = now_ms();
    assert_int_equal(net_run(ref), 0);
    double ref_ms = now_ms() - t0;
    double x1_ms = best_run_ms(x1), x2_ms = best_run_ms(x2);
    printf("  %s: run ms: reference %.1f, xnnpack 1 thread %.2f, 2 threads %.2f "
           "(net_new ms: %.1f / %.1f / %.1f)\n",
           mc->file, ref_ms, x1_ms, x2_ms, new_ref, new_x1, new_x2);

    int failed = compare(m, mc, ref, x1, "xnn 1 thread");
    failed += compare(m, mc, ref, x2, "xnn 2 threads");
    if (m->n_outputs > 2) {
        /* As the pose session builds it: output 2 (segmentation) left out, the rest unchanged. */
        double new_p;
        struct net *p = make_net(m, NET_BACKEND_XNN, 2, NET_ALL_OUTPUTS & ~(1u << 2), mc, &new_p);
        printf("  %s: without output 2: %.2f ms, all outputs %.2f ms (2 threads)\n", mc->file,
               best_run_ms(p), x2_ms);
        assert_null(net_output(p, 2));
        for (int o = 0; o < m->n_outputs; o++)
            if (o != 2)
                assert_memory_equal(net_output(p, o), net_output(x2, o),
                                    model_output(m, o)->count * sizeof(float));
        net_free(p);
    }
    net_free(ref);
    net_free(x1);
    net_free(x2);
    model_free(m);
    if (failed)
        fail_msg("%s: %d output(s) out of tolerance", mc->file, failed);
}

static void landmark_case(const char *file)
{
    struct model_case mc = { file, 0.0f, 1.0f, 5, { { 0 } } };
    memcpy(mc.tol, landmark_tol, sizeof landmark_tol);
    run_model(&mc);
}

static void models__detector_agrees_across_backends(void **state)
{
    (void)state;
    run_model(&detector);
}

static void models__landmark_lite_agrees_across_backends(void **state)
{
    (void)state;
    landmark_case("pose_landmark_lite.tflite");
}

static void models__landmark_full_agrees_across_backends(void **state)
{
    (void)state;
    landmark_case("pose_landmark_full.tflite");
}

static void models__landmark_heavy_agrees_across_backends(void **state)
{
    (void)state;
    landmark_case("pose_landmark_heavy.tflite");
}

int main(void)
{
    static const char *const files[] = { "pose_detection.tflite", "pose_landmark_lite.tflite",
                                         "pose_landmark_full.tflite",
                                         "pose_landmark_heavy.tflite" };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        rrtest_require_model("test_models_backends", files[i], model_dir, sizeof model_dir);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(models__detector_agrees_across_backends),
        cmocka_unit_test(models__landmark_lite_agrees_across_backends),
        cmocka_unit_test(models__landmark_full_agrees_across_backends),
        cmocka_unit_test(models__landmark_heavy_agrees_across_backends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
