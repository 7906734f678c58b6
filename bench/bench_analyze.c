/*
 * bench_analyze.c - end-to-end `analyze` speed: frames per second, wall time, real-time factor
 * and peak RSS for a 720p and a 1080p clip with the lite and full models.
 *
 * usage: bench_analyze [CLIP ...]   (default: a 720p and a 1080p clip from ../shared/media)
 * Threads: REPRIGHT_BENCH_THREADS (default: pipeline_default_threads(), as `repright analyze`).
 * Prints one table; no assertions.
 */
#include "pipeline/analyze.h"
#include "base/rr_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

static long peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024;
}

int main(int argc, char **argv)
{
    static const char *defaults[] = {
        RR_SHARED_DIR "/media/videos/squat_front_bodyweight_dark_rj.mp4",
        RR_SHARED_DIR "/media/videos/shoulderpress_arnold_front_seb.mp4",
    };
    const char **clips = argc > 1 ? (const char **)argv + 1 : defaults;
    int n_clips = argc > 1 ? argc - 1 : 2;
    int threads = getenv("REPRIGHT_BENCH_THREADS")
                      ? (int)strtol(getenv("REPRIGHT_BENCH_THREADS"), NULL, 10)
                      : pipeline_default_threads();
    printf("inference threads: %d%s\n", threads,
           getenv("REPRIGHT_BENCH_THREADS") ? " (REPRIGHT_BENCH_THREADS)" : " (the analyze default)");
    static const enum pose_model_kind kinds[] = {POSE_MODEL_LITE, POSE_MODEL_FULL};
    static const char *kind_names[] = {"lite", "full"};
    char dir[4096], msg[512];
    pose_model_dir_default(dir, sizeof dir);
    printf("%-40s %-5s %9s %7s %8s %8s %8s %7s %7s\n", "clip", "model", "size", "frames",
           "wall_s", "fps", "x_real", "pose%", "rss_mb");
    for (int k = 0; k < 2; k++) {
        struct pose_models *models = NULL;
        if (pose_models_load(dir, kinds[k], &models, msg, sizeof msg) < 0) {
            printf("SKIP: models not loadable from %s: %s\n", dir, msg);
            return 77;
        }
        for (int c = 0; c < n_clips; c++) {
            struct pipeline_opts o = pipeline_opts_default();
            o.threads = threads;
            struct pipeline_result res;
            int rc = pipeline_analyze(clips[c], models, &o, &res, msg, sizeof msg);
            if (rc < 0 && rc != RR_ERR_NOPOSE) {
                printf("%s: %s\n", clips[c], msg);
                pipeline_result_release(&res);
                continue;
            }
            const char *base = clips[c];
            for (const char *p = clips[c]; *p; p++)
                if (*p == '/')
                    base = p + 1;
            char size[32];
            snprintf(size, sizeof size, "%dx%d", res.info.width, res.info.height);
            double native = res.info.fps > 0 ? res.info.fps : 30;
            printf("%-40.40s %-5s %9s %7zu %8.2f %8.1f %8.2f %6.1f%% %7ld\n", base, kind_names[k],
                   size, res.n_frames, res.stats.wall_ms / 1e3, res.stats.fps,
                   res.stats.fps / native, 100.0 * (double)res.stats.frames_with_pose / (double)(res.n_frames ? res.n_frames : 1),
                   peak_rss_mb());
            printf("    pose busy %.1f ms/frame, decode busy %.1f ms/frame, analysis %.1f ms, "
                   "detector on %zu of %zu frames\n",
                   res.stats.pose_busy_ms / (double)(res.n_frames ? res.n_frames : 1),
                   res.stats.decode_busy_ms / (double)(res.n_frames ? res.n_frames : 1),
                   res.stats.analysis_ms, res.stats.detector_runs, res.n_frames);
            pipeline_result_release(&res);
        }
        pose_models_free(models);
    }
    return 0;
}
