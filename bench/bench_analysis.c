/*
 * bench_analysis.c - the analysis core's own cost per frame (landmarks in, report out): batch
 * with the exercise recognised (all nine counters) and given (one), and a live session pushing
 * frame by frame with a report at every judged rep; plus the largest single push.
 *
 * usage: bench_analysis [LANDMARKS.json ...]   (repright.pose/1 or MediaPipe reference dumps;
 *        default: every ../shared/media/reference/ *.mp1.json, concatenated)
 * Prints one table; no assertions.
 */
#include "analysis/analysis.h"
#include "analysis/live.h"
#include "base/rr_error.h"
#include "pipeline/landmarks_file.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

struct series {
    struct rr_pose_frame *f;
    size_t n, cap;
};

/* Append a file's frames, shifted to follow the series so far. */
static int append(struct series *s, const char *path)
{
    struct rr_pose_frame *f = NULL;
    size_t n = 0;
    char msg[256] = "";
    int err = landmarks_file_load(path, &f, &n, NULL, NULL, msg, sizeof msg);
    if (err) {
        fprintf(stderr, "bench_analysis: %s: %s\n", path, msg[0] ? msg : rr_strerror(err));
        return err;
    }
    if (s->n + n > ANALYSIS_MAX_FRAMES)
        n = ANALYSIS_MAX_FRAMES - s->n;
    if (s->n + n > s->cap) {
        size_t cap = s->n + n;
        struct rr_pose_frame *g = realloc(s->f, cap * sizeof *g);
        if (!g) {
            free(f);
            return RR_ERR_NOMEM;
        }
        s->f = g;
        s->cap = cap;
    }
    int64_t base = s->n ? s->f[s->n - 1].t_us + 33333 : 0;
    int64_t t0 = n ? f[0].t_us : 0;
    for (size_t i = 0; i < n; i++) {
        s->f[s->n + i] = f[i];
        s->f[s->n + i].t_us = base + (f[i].t_us - t0);
    }
    s->n += n;
    free(f);
    return 0;
}

static double batch(const struct series *s, const char *exercise, int runs, size_t *reps)
{
    struct analysis_opts o = analysis_opts_default();
    o.exercise = exercise;
    double best = 1e30;
    for (int r = 0; r < runs; r++) {
        struct analysis_report *rep = NULL;
        double t0 = now_ms();
        if (analysis_run(s->f, s->n, &o, &rep) != 0)
            return -1.0;
        double ms = now_ms() - t0;
        *reps = rep->n_reps;
        analysis_report_free(rep);
        if (ms < best)
            best = ms;
    }
    return best;
}

static double live(const struct series *s, const char *exercise, double *worst_ms)
{
    struct analysis_opts o = analysis_opts_default();
    o.exercise = exercise;
    struct analysis_live *lv = NULL;
    if (analysis_live_new(&o, &lv) != 0)
        return -1.0;
    *worst_ms = 0.0;
    double t0 = now_ms();
    for (size_t i = 0; i < s->n; i++) {
        struct analysis_live_status st;
        double a = now_ms();
        if (analysis_live_push(lv, &s->f[i], &st) != 0)
            break;
        double d = now_ms() - a;
        if (d > *worst_ms)
            *worst_ms = d;
    }
    double ms = now_ms() - t0;
    analysis_live_free(lv);
    return ms;
}

int main(int argc, char **argv)
{
    struct series s = {0};
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            if (append(&s, argv[i]))
                return 2;
    } else {
        const char *dir = RR_SHARED_DIR "/media/reference";
        DIR *d = opendir(dir);
        if (!d) {
            fprintf(stderr, "bench_analysis: %s is absent: give landmark files\n", dir);
            return 2;
        }
        char *names[64];
        int nn = 0;
        struct dirent *e;
        while ((e = readdir(d)) && nn < 64)
            if (strstr(e->d_name, ".mp1.json"))
                names[nn++] = strdup(e->d_name);
        closedir(d);
        for (int i = 1; i < nn; i++) /* sorted: the same series every run */
            for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
                char *t = names[j];
                names[j] = names[j - 1];
                names[j - 1] = t;
            }
        for (int i = 0; i < nn; i++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", dir, names[i]);
            append(&s, path);
            free(names[i]);
        }
    }
    if (s.n == 0) {
        fprintf(stderr, "bench_analysis: no frames\n");
        return 2;
    }
    printf("%zu frames (%.0f s of video)\n", s.n, (double)(s.f[s.n - 1].t_us - s.f[0].t_us) * 1e-6);
    printf("%-34s %10s %12s %8s\n", "mode", "total ms", "ms/frame", "reps");
    size_t reps = 0;
    double ms = batch(&s, NULL, 5, &reps);
    printf("%-34s %10.2f %12.5f %8zu\n", "batch, exercise recognised", ms, ms / (double)s.n, reps);
    ms = batch(&s, "squat", 5, &reps);
    printf("%-34s %10.2f %12.5f %8zu\n", "batch, exercise given (squat)", ms, ms / (double)s.n,
           reps);
    double worst = 0.0;
    ms = live(&s, NULL, &worst);
    printf("%-34s %10.2f %12.5f %8s  (largest push %.3f ms)\n", "live, recognised, push per frame",
           ms, ms / (double)s.n, "-", worst);
    ms = live(&s, "squat", &worst);
    printf("%-34s %10.2f %12.5f %8s  (largest push %.3f ms)\n", "live, squat given, push per frame",
           ms, ms / (double)s.n, "-", worst);
    free(s.f);
    return 0;
}
