/*
 * bench_pose_models.c - model-only latency of the four BlazePose models: XNNPACK with 1 and 2
 * threads and the plain-C reference backend, plus heap allocations during net_run and peak RSS.
 *
 * Usage: bench_pose_models [RUNS [REF_RUNS [MODEL_DIR]]]   (defaults 50, 3, the model cache)
 * Prints one table: ms per run (median / min over RUNS, one warm-up run not counted), the
 * speed-up of XNNPACK over the reference backend, how many heap allocations (and how many bytes
 * stay allocated) across all timed runs, and the process's peak RSS after each model.
 *
 * Allocation counting: heap calls (malloc and friends, and free) are counted by bench/alloc_count.h.
 * Under AddressSanitizer, which owns malloc, counting is off and only mallinfo2's in-use byte
 * delta is reported ("n/a" for the count).
 */
#include <malloc.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "pose/model.h"
#include "pose/net.h"

#include "support/alloc_count.h"

struct bench_row {
    const char *label;
    enum net_backend backend;
    int threads;
    unsigned outputs; /* net_new_outputs() mask */
};

/* "xnn-noseg" leaves out output 2 of the landmark models (the segmentation head), as the pose
 * session does; the detector has no output 2, so its rows equal "xnnpack". Reference stays last
 * (speed-ups are relative to it). */
#define NO_SEG (NET_ALL_OUTPUTS & ~(1u << 2))
static const struct bench_row rows[] = {
    { "xnnpack", NET_BACKEND_XNN, 1, NET_ALL_OUTPUTS },
    { "xnnpack", NET_BACKEND_XNN, 2, NET_ALL_OUTPUTS },
    { "xnn-noseg", NET_BACKEND_XNN, 1, NO_SEG },
    { "xnn-noseg", NET_BACKEND_XNN, 2, NO_SEG },
    { "reference", NET_BACKEND_REF, 1, NET_ALL_OUTPUTS },
};

static const char *const models[] = {
    "pose_detection.tflite",
    "pose_landmark_lite.tflite",
    "pose_landmark_full.tflite",
    "pose_landmark_heavy.tflite",
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static long peak_rss_mib(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return -1;
    return ru.ru_maxrss / 1024;
}

struct bench_result {
    double median, min;
    long allocs;      /* -1 when not counted */
    long long heap;   /* mallinfo2 in-use byte delta across the timed runs */
};

static int bench_one(const struct model *m, const struct bench_row *r, int runs, double *times,
                     struct bench_result *res)
{
    char msg[256] = "";
    struct net *n = NULL;
    int rc = net_new_outputs(m, r->backend, r->threads, r->outputs, &n, msg, sizeof msg);
    if (rc < 0) {
        fprintf(stderr, "net_new(%s, %d): %d %s\n", r->label, r->threads, rc, msg);
        return rc;
    }
    for (int i = 0; i < m->n_inputs; i++) {
        float *in = net_input(n, i);
        for (size_t k = 0; k < model_input(m, i)->count; k++)
            in[k] = (float)((k * 2654435761u) % 1000u) / 1000.0f;
    }
    rc = net_run(n); /* warm-up: first touch of buffers and caches */
    if (rc < 0)
        goto out;
    struct mallinfo2 mi0 = mallinfo2();
    long a0 = atomic_load(&bench_calls);
    for (int i = 0; i < runs; i++) {
        double t0 = now_ms();
        rc = net_run(n);
        times[i] = now_ms() - t0;
        if (rc < 0)
            goto out;
    }
    long a1 = atomic_load(&bench_calls);
    struct mallinfo2 mi1 = mallinfo2();
    qsort(times, (size_t)runs, sizeof *times, cmp_double);
    res->median = runs % 2 ? times[runs / 2] : (times[runs / 2 - 1] + times[runs / 2]) / 2;
    res->min = times[0];
    res->allocs = bench_counting ? a1 - a0 : -1;
    res->heap = (long long)mi1.uordblks - (long long)mi0.uordblks;
out:
    net_free(n);
    return rc;
}

static long arg_long(const char *s, long lo, long hi, long dflt)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (!end || *end || v < lo || v > hi) {
        fprintf(stderr, "bench_pose_models: ignoring bad number \"%s\"\n", s);
        return dflt;
    }
    return v;
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? (int)arg_long(argv[1], 1, 100000, 50) : 50;
    int ref_runs = argc > 2 ? (int)arg_long(argv[2], 1, 1000, 3) : 3;
    char dir[4096];
    if (argc > 3) {
        snprintf(dir, sizeof dir, "%s", argv[3]);
    } else {
        const char *env = getenv("REPRIGHT_MODEL_DIR");
        const char *home = getenv("HOME");
        if (env && *env)
            snprintf(dir, sizeof dir, "%s", env);
        else
            snprintf(dir, sizeof dir, "%s/.cache/repright/models", home ? home : "/root");
    }
    bench_alloc_probe();

    int max_runs = runs > ref_runs ? runs : ref_runs;
    double *times = calloc((size_t)max_runs, sizeof *times);
    if (!times)
        return 1;

    printf("model-only latency, %d runs (reference: %d), models from %s\n", runs, ref_runs, dir);
    printf("allocs = heap allocations during all timed net_run calls (%s)\n",
           bench_counting ? "counted by interposed malloc" : "not counted in this build");
    printf("%-28s %-10s %3s %10s %10s %9s %10s %12s %9s\n", "model", "backend", "thr", "median ms",
           "min ms", "speed-up", "allocs", "heap delta", "peak MiB");
    int status = 0;
    for (size_t mi = 0; mi < sizeof models / sizeof models[0]; mi++) {
        char path[4400], msg[256] = "";
        snprintf(path, sizeof path, "%s/%s", dir, models[mi]);
        struct model *m = NULL;
        int rc = model_load_file(path, &m, msg, sizeof msg);
        if (rc < 0) {
            fprintf(stderr, "%s: %d %s\n", path, rc, msg);
            status = 1;
            continue;
        }
        struct bench_result res[sizeof rows / sizeof rows[0]];
        memset(res, 0, sizeof res);
        for (size_t ri = 0; ri < sizeof rows / sizeof rows[0]; ri++) {
            const struct bench_row *r = &rows[ri];
            int n = r->backend == NET_BACKEND_REF ? ref_runs : runs;
            if (bench_one(m, r, n, times, &res[ri]) < 0) {
                status = 1;
                res[ri].median = -1;
            }
        }
        double ref_med = res[sizeof rows / sizeof rows[0] - 1].median;
        for (size_t ri = 0; ri < sizeof rows / sizeof rows[0]; ri++) {
            const struct bench_result *b = &res[ri];
            char allocs[32], speed[32];
            if (b->allocs < 0)
                snprintf(allocs, sizeof allocs, "n/a");
            else
                snprintf(allocs, sizeof allocs, "%ld", b->allocs);
            if (b->median > 0 && ref_med > 0)
                snprintf(speed, sizeof speed, "%.1fx", ref_med / b->median);
            else
                snprintf(speed, sizeof speed, "-");
            printf("%-28s %-10s %3d %10.2f %10.2f %9s %10s %12lld %9ld\n", models[mi],
                   rows[ri].label, rows[ri].threads, b->median, b->min, speed, allocs, b->heap,
                   peak_rss_mib());
        }
        model_free(m);
    }
    free(times);
    return status;
}
