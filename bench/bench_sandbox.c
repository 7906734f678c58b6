/*
 * bench_sandbox.c - what the analysis sandbox costs per job: the same clip analysed in this
 * process (pipeline_analyze with models loaded once, as a worker without a sandbox) and in a
 * sandboxed child (sandbox_analyze: spawn, model load, filter, analysis, results over a pipe),
 * best of N runs each, one thread, per model.
 *
 * usage: bench_sandbox REPRIGHT_BINARY [CLIP] [RUNS]   (default clip: the 720p side squat)
 * Prints one table; no assertions.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "base/rr_error.h"
#include "pipeline/analyze.h"
#include "pipeline/sandbox.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_sandbox REPRIGHT_BINARY [CLIP] [RUNS]\n");
        return 64;
    }
    const char *exe = argv[1];
    const char *clip = argc > 2 ? argv[2]
                                : RR_SHARED_DIR "/media/videos/squat_side_BAD_heels_k_i002.mp4";
    int runs = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 3;
    if (runs < 1)
        runs = 1;
    char dir[4096], msg[512];
    pose_model_dir_default(dir, sizeof dir);
    static const char *names[] = {"lite", "full", "heavy"};
    printf("clip %s, best of %d\n", clip, runs);
    printf("%-6s %7s | %12s %12s | %12s %12s %12s %12s %10s\n", "model", "frames", "inproc ms",
           "inproc cpu", "sandbox ms", "child cpu", "startup ms", "overhead ms", "child MiB");
    for (int m = 0; m < 3; m++) {
        struct pose_models *models = NULL;
        if (pose_models_load(dir, (enum pose_model_kind)m, &models, msg, sizeof msg) < 0) {
            printf("%-6s (model missing: %s)\n", names[m], msg);
            continue;
        }
        double in_best = 1e18, in_cpu = 0, sb_best = 1e18, sb_cpu = 0, start = 0;
        long rss = 0;
        size_t frames = 0;
        for (int r = 0; r < runs; r++) {
            struct pipeline_opts o = pipeline_opts_default();
            struct pipeline_result res;
            double t0 = now_ms(), c0 = cpu_ms();
            int rc = pipeline_analyze(clip, models, &o, &res, msg, sizeof msg);
            double t = now_ms() - t0, c = cpu_ms() - c0;
            if (rc < 0) {
                fprintf(stderr, "in process: %s\n", msg);
                return 1;
            }
            frames = res.stats.frames;
            pipeline_result_release(&res);
            if (t < in_best) {
                in_best = t;
                in_cpu = c;
            }
        }
        pose_models_free(models);
        for (int r = 0; r < runs; r++) {
            int fd = open(clip, O_RDONLY | O_CLOEXEC);
            struct sandbox_request rq = {.exe = exe, .video_fd = fd, .model_dir = dir,
                                         .model = names[m], .limits = video_limits_default(),
                                         .memory_bytes = 3LL << 30, .cpu_seconds = 600,
                                         .wall_ms = 600000};
            struct sandbox_result sr;
            double t0 = now_ms();
            int rc = sandbox_analyze(&rq, &sr, msg, sizeof msg);
            double t = now_ms() - t0;
            close(fd);
            if (rc < 0) {
                fprintf(stderr, "sandboxed: %s\n", msg);
                return 1;
            }
            if (t < sb_best) {
                sb_best = t;
                sb_cpu = sr.child_cpu_ms;
                start = sr.startup_ms;
                rss = (long)(sr.child_max_rss_kb / 1024);
            }
            sandbox_result_release(&sr);
        }
        printf("%-6s %7zu | %12.0f %12.0f | %12.0f %12.0f %12.0f %12.0f %10ld\n", names[m], frames,
               in_best, in_cpu, sb_best, sb_cpu, start, sb_best - in_best, rss);
    }
    return 0;
}
