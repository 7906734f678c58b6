/*
 * bench_sandbox.c - what the analysis sandbox costs per job: the same clip analysed in this
 * process (pipeline_analyze with models loaded once, as a worker without a sandbox) and in a
 * sandboxed child (sandbox_analyze: spawn, model load, filter, analysis, results over a pipe),
 * best of N runs each, one thread, per model. Then the render job (overlay video and both
 * thumbnails from the stored report and track): pipeline_render in this process against
 * sandbox_render (spawn, filter, decode, draw, encode, publish).
 *
 * usage: bench_sandbox REPRIGHT_BINARY [CLIP] [RUNS] [render]   (default clip: the 720p side
 * squat; "render": the render table only)
 * Prints two tables; no assertions.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* The render job's cost, in process and sandboxed, from one analysis's report and track. */
static int bench_render(const char *exe, const char *clip, int runs, const char *dir)
{
    char msg[512], tmp[] = "/tmp/rr-bench-render-XXXXXX", track[128], overlay[160];
    if (!mkdtemp(tmp))
        return -1;
    int fd = open(clip, O_RDONLY | O_CLOEXEC);
    struct sandbox_request aq = {.exe = exe, .video_fd = fd, .model_dir = dir, .model = "lite",
                                 .limits = video_limits_default(), .memory_bytes = 3LL << 30,
                                 .cpu_seconds = 600, .wall_ms = 600000};
    struct sandbox_result an;
    if (sandbox_analyze(&aq, &an, msg, sizeof msg) < 0) {
        fprintf(stderr, "analysis for the render: %s\n", msg);
        return -1;
    }
    snprintf(track, sizeof track, "%s/track.json", tmp);
    snprintf(overlay, sizeof overlay, "%s/overlay.mp4", tmp);
    FILE *f = fopen(track, "w");
    if (!f || fwrite(an.track, 1, an.track_len, f) != an.track_len) {
        if (f)
            fclose(f);
        return -1;
    }
    fclose(f);
    int track_fd = open(track, O_RDONLY | O_CLOEXEC);
    double in_best = 1e18, in_cpu = 0, sb_best = 1e18, sb_cpu = 0, start = 0, child_render = 0;
    long rss = 0;
    size_t frames = 0;
    for (int r = 0; r < runs; r++) {
        struct pipeline_opts o = pipeline_opts_default();
        o.overlay_path = overlay;
        o.thumbs_dir = tmp;
        struct pipeline_result res;
        double t0 = now_ms(), c0 = cpu_ms();
        int rc = pipeline_render(clip, an.report, an.report_len, track_fd, &o, &res, msg,
                                 sizeof msg);
        double t = now_ms() - t0, c = cpu_ms() - c0;
        frames = res.stats.frames;
        pipeline_result_release(&res);
        if (rc < 0) {
            fprintf(stderr, "render in process: %s\n", msg);
            return -1;
        }
        if (t < in_best) {
            in_best = t;
            in_cpu = c;
        }
    }
    for (int r = 0; r < runs; r++) {
        struct sandbox_render_request rq = {.exe = exe, .video_fd = fd, .report = an.report,
                                            .report_len = an.report_len, .track_fd = track_fd,
                                            .overlay_path = overlay, .thumbs_dir = tmp,
                                            .limits = video_limits_default(),
                                            .memory_bytes = 3LL << 30, .cpu_seconds = 600,
                                            .wall_ms = 600000};
        struct sandbox_render_result sr;
        double t0 = now_ms();
        int rc = sandbox_render(&rq, &sr, msg, sizeof msg);
        double t = now_ms() - t0;
        if (rc < 0) {
            fprintf(stderr, "render sandboxed: %s\n", msg);
            return -1;
        }
        if (t < sb_best) {
            sb_best = t;
            sb_cpu = sr.child_cpu_ms;
            start = sr.startup_ms;
            child_render = sr.render_ms;
            rss = (long)(sr.child_max_rss_kb / 1024);
        }
    }
    printf("\nrender job (overlay + 2 thumbnails), best of %d\n", runs);
    printf("%7s | %12s %12s | %12s %12s %12s %12s %12s %10s\n", "frames", "inproc ms",
           "inproc cpu", "sandbox ms", "child cpu", "startup ms", "child rndr", "overhead ms",
           "child MiB");
    printf("%7zu | %12.0f %12.0f | %12.0f %12.0f %12.0f %12.0f %12.0f %10ld\n", frames, in_best,
           in_cpu, sb_best, sb_cpu, start, child_render, sb_best - in_best, rss);
    close(track_fd);
    close(fd);
    sandbox_result_release(&an);
    const char *names[] = {"overlay.mp4", "best.jpg", "worst.jpg", "track.json"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char p[200];
        snprintf(p, sizeof p, "%s/%s", tmp, names[i]);
        unlink(p);
    }
    rmdir(tmp);
    return 0;
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
    if (argc > 4 && strcmp(argv[4], "render") == 0)
        return bench_render(exe, clip, runs, dir) < 0 ? 1 : 0;
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
    return bench_render(exe, clip, runs, dir) < 0 ? 1 : 0;
}
