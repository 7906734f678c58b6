/*
 * bench_pose_pipeline.c - whole-pipeline BlazePose latency (pose_session_run) on a real clip:
 * lite, full and heavy landmark models with XNNPACK on 1 and 2 threads, plus one reference-backend
 * line for the full model.
 *
 * Usage: bench_pose_pipeline [CLIP [FRAMES [MODEL_DIR]]]
 *   CLIP      default ../shared/media/videos/squat_front_bodyweight_dark_rj.mp4
 *   FRAMES    frames decoded up-front into memory (default 200, 10..1000)
 *   MODEL_DIR default $REPRIGHT_MODEL_DIR, else ~/.cache/repright/models
 * Prints SKIP and exits 77 when the clip or the models are missing; exits 1 on any other failure
 * or when a timed loop allocated on the heap.
 *
 * Per row (one model, one thread count):
 *   - tracking: a video-mode session (smoothing on, MediaPipe defaults) runs a few warm-up frames,
 *     is reset, then runs every frame once; wall time of each pose_session_run gives median / p90;
 *     pose_session_last_timing splits it into detector (frames where it ran), landmark model and
 *     pre+post (crops, decode, NMS, projection, filters);
 *   - detector: a static-mode session runs STATIC_RUNS frames spread over the clip (after one
 *     warm-up frame) so the detector is timed on every frame, not only on re-detections;
 *   - allocations: malloc/calloc/realloc/free/memalign family calls during both timed loops, per
 *     frame. The session preplans its memory, so this must be 0.
 *   - peak RSS (getrusage ru_maxrss) of the process so far; it includes the decoded frame store,
 *     whose size is printed in the header.
 * Allocation counting interposes the allocator in this executable (forwarding to glibc's
 * __libc_* entry points), like bench_pose_models.c; it is off under AddressSanitizer ("n/a").
 */
#include <malloc.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "base/rr_error.h"
#include "pose/blazepose.h"
#include "video/decode.h"

#define DEFAULT_CLIP RR_SHARED_DIR "/media/videos/squat_front_bodyweight_dark_rj.mp4"
#define DEFAULT_FRAMES 200
#define MAX_FRAMES 1000
#define WARMUP_FRAMES 5
#define STATIC_RUNS 10
#define REF_FRAMES 10
#define FRAME_STORE_LIMIT ((size_t)4 << 30) /* refuse to hold more than 4 GiB of frames */

#include "support/alloc_count.h"

/* The clip, decoded once: packed RGB frames (stride = 3 * width) and their timestamps. */
struct clip {
    int width, height, count;
    uint8_t **rgb;
    int64_t *t_us;
    size_t bytes;
};

/* Per-frame samples of one timed loop (caller-sized arrays of `cap` entries). */
struct samples {
    double *total, *det, *lm, *pp;
    int n_total, n_det, n_lm, n_pp;
};

struct row_result {
    double total_med, total_p90;
    double det_trk_med;
    int det_trk_runs;
    double det_static_med;
    double lm_med, pp_med;
    int frames, with_pose;
    long calls; /* allocator calls in the timed loops, -1 when not counted */
    int calls_frames;
    long peak_mb;
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

/* Sorts v in place. q in [0, 1]; nearest-rank percentile (0.5 gives the median's midpoint rule). */
static double percentile(double *v, int n, double q)
{
    if (n <= 0)
        return -1.0;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    if (q == 0.5)
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    int k = (int)(q * n + 0.999999) - 1;
    if (k < 0)
        k = 0;
    if (k >= n)
        k = n - 1;
    return v[k];
}

static long peak_rss_mb(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return -1;
    return ru.ru_maxrss / 1024;
}

static long arg_long(const char *s, long lo, long hi, long dflt)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (!end || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "bench_pose_pipeline: ignoring bad number \"%s\"\n", s);
        return dflt;
    }
    return v;
}

static void clip_release(struct clip *c)
{
    if (c->rgb)
        for (int i = 0; i < c->count; i++)
            free(c->rgb[i]);
    free(c->rgb);
    free(c->t_us);
    memset(c, 0, sizeof *c);
}

/* Decode up to max_frames frames of path into c. RR_ERR_* on failure (msg says why). */
static int clip_load(const char *path, int max_frames, struct clip *c, char *msg, size_t msg_len)
{
    struct video *v = NULL;
    struct video_limits lim = video_limits_default();
    memset(c, 0, sizeof *c);
    int rc = video_open(path, &lim, &v, msg, msg_len);
    if (rc < 0)
        return rc;
    c->rgb = calloc((size_t)max_frames, sizeof *c->rgb);
    c->t_us = calloc((size_t)max_frames, sizeof *c->t_us);
    if (!c->rgb || !c->t_us) {
        rc = RR_ERR_NOMEM;
        goto out;
    }
    while (c->count < max_frames) {
        struct rr_image img;
        int64_t t = 0;
        rc = video_next(v, &img, &t, msg, msg_len);
        if (rc == RR_ERR_EOF) {
            rc = 0;
            break;
        }
        if (rc < 0)
            goto out;
        if (c->count == 0) {
            c->width = img.width;
            c->height = img.height;
        } else if (img.width != c->width || img.height != c->height) {
            snprintf(msg, msg_len, "frame size changed mid-clip");
            rc = RR_ERR_UNSUPPORTED;
            goto out;
        }
        /* width, height <= RR_IMAGE_MAX_SIDE (decoder limit), so row and frame sizes fit. */
        size_t row = (size_t)img.width * 3;
        size_t frame = row * (size_t)img.height;
        if (frame > FRAME_STORE_LIMIT - c->bytes) {
            snprintf(msg, msg_len, "frame store would exceed %zu MiB", FRAME_STORE_LIMIT >> 20);
            rc = RR_ERR_TOOBIG;
            goto out;
        }
        uint8_t *dst = malloc(frame);
        if (!dst) {
            rc = RR_ERR_NOMEM;
            goto out;
        }
        for (int y = 0; y < img.height; y++)
            memcpy(dst + (size_t)y * row, img.rgb + (size_t)y * img.stride, row);
        c->rgb[c->count] = dst;
        c->t_us[c->count] = t;
        c->bytes += frame;
        c->count++;
    }
    if (c->count == 0) {
        snprintf(msg, msg_len, "no frames decoded");
        rc = RR_ERR_CORRUPT;
    }
out:
    video_close(v);
    if (rc < 0)
        clip_release(c);
    return rc;
}

static struct rr_image clip_frame(const struct clip *c, int i)
{
    struct rr_image img = {c->width, c->height, (size_t)c->width * 3, c->rgb[i]};
    return img;
}

/* Video mode: warm up, reset, then time every frame. Timestamps keep increasing across the
 * reset (offset past the warm-up) so the filters see a normal stream. */
static int run_tracking(struct pose_session *s, const struct clip *c, struct samples *sm,
                        int *with_pose, long *calls)
{
    struct rr_pose_frame out;
    struct pose_timing tm;
    int warm = c->count < WARMUP_FRAMES ? c->count : WARMUP_FRAMES;
    int64_t offset = 0;
    for (int i = 0; i < warm; i++) {
        struct rr_image img = clip_frame(c, i);
        int rc = pose_session_run(s, &img, c->t_us[i], &out);
        if (rc < 0)
            return rc;
        offset = c->t_us[i] + 1000000;
    }
    pose_session_reset(s);
    *with_pose = 0;
    long a0 = atomic_load(&bench_calls);
    for (int i = 0; i < c->count; i++) {
        struct rr_image img = clip_frame(c, i);
        double t0 = now_ms();
        int rc = pose_session_run(s, &img, offset + c->t_us[i], &out);
        double dt = now_ms() - t0;
        if (rc < 0)
            return rc;
        pose_session_last_timing(s, &tm);
        sm->total[sm->n_total++] = dt;
        sm->lm[sm->n_lm++] = tm.landmark_ms;
        sm->pp[sm->n_pp++] = tm.pre_post_ms;
        if (tm.ran_detector)
            sm->det[sm->n_det++] = tm.detector_ms;
        *with_pose += out.has_pose;
    }
    *calls = atomic_load(&bench_calls) - a0;
    return 0;
}

/* Static mode: the detector runs on every frame; n frames spread over the clip. */
static int run_static(struct pose_session *s, const struct clip *c, int n, double *det, int *n_det,
                      long *calls)
{
    struct rr_pose_frame out;
    struct pose_timing tm;
    struct rr_image img = clip_frame(c, 0);
    int rc = pose_session_run(s, &img, c->t_us[0], &out); /* warm-up */
    if (rc < 0)
        return rc;
    *n_det = 0;
    long a0 = atomic_load(&bench_calls);
    for (int k = 0; k < n; k++) {
        int i = (int)((long)k * c->count / n);
        img = clip_frame(c, i);
        rc = pose_session_run(s, &img, c->t_us[i], &out);
        if (rc < 0)
            return rc;
        pose_session_last_timing(s, &tm);
        if (tm.ran_detector)
            det[(*n_det)++] = tm.detector_ms;
    }
    *calls = atomic_load(&bench_calls) - a0;
    return 0;
}

/* One row: a tracking session and a static session with the same backend and thread count.
 * sm arrays hold at least c->count entries. */
static int bench_row(const struct pose_models *models, enum net_backend backend, int threads,
                     const struct clip *c, struct samples *sm, struct row_result *r)
{
    char msg[256] = "";
    struct pose_session *trk = NULL, *st = NULL;
    struct pose_session_opts o = pose_session_opts_default();
    o.backend = backend;
    o.threads = threads;
    memset(r, 0, sizeof *r);
    sm->n_total = sm->n_det = sm->n_lm = sm->n_pp = 0;
    int rc = pose_session_new(models, &o, &trk, msg, sizeof msg);
    if (rc < 0)
        goto out;
    long calls_trk = 0, calls_st = 0;
    rc = run_tracking(trk, c, sm, &r->with_pose, &calls_trk);
    if (rc < 0)
        goto out;
    r->frames = c->count;
    r->total_med = percentile(sm->total, sm->n_total, 0.5);
    r->total_p90 = percentile(sm->total, sm->n_total, 0.9);
    r->det_trk_runs = sm->n_det;
    r->det_trk_med = percentile(sm->det, sm->n_det, 0.5);
    r->lm_med = percentile(sm->lm, sm->n_lm, 0.5);
    r->pp_med = percentile(sm->pp, sm->n_pp, 0.5);
    r->calls_frames = c->count;
    r->det_static_med = -1.0;
    /* One session (one thread pool) alive at a time. */
    pose_session_free(trk);
    trk = NULL;
    if (backend == NET_BACKEND_XNN) {
        o.static_mode = 1;
        rc = pose_session_new(models, &o, &st, msg, sizeof msg);
        if (rc < 0)
            goto out;
        int n_det = 0;
        rc = run_static(st, c, STATIC_RUNS, sm->det, &n_det, &calls_st);
        if (rc < 0)
            goto out;
        r->det_static_med = percentile(sm->det, n_det, 0.5);
        r->calls_frames += STATIC_RUNS;
    }
    r->calls = bench_counting ? calls_trk + calls_st : -1;
    r->peak_mb = peak_rss_mb();
out:
    if (rc < 0)
        fprintf(stderr, "bench_pose_pipeline: %s, %d thread(s): %s%s%s\n",
                net_backend_name(backend), threads, rr_strerror(rc), *msg ? ": " : "", msg);
    pose_session_free(st);
    pose_session_free(trk);
    return rc;
}

static void fmt_ms(char *buf, size_t len, double v)
{
    if (v < 0)
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%.2f", v);
}

static void print_row(const char *model, const char *backend, int threads,
                      const struct row_result *r)
{
    char det_trk[48], det_st[32], calls[32], tmp[32];
    fmt_ms(tmp, sizeof tmp, r->det_trk_med);
    snprintf(det_trk, sizeof det_trk, "%s (%d)", tmp, r->det_trk_runs);
    fmt_ms(det_st, sizeof det_st, r->det_static_med);
    if (r->calls < 0)
        snprintf(calls, sizeof calls, "n/a");
    else
        snprintf(calls, sizeof calls, "%.2f", (double)r->calls / (double)r->calls_frames);
    char pose[32];
    snprintf(pose, sizeof pose, "%d/%d", r->with_pose, r->frames);
    printf("%-6s %-9s %3d %8.2f %8.2f %12s %9s %8.2f %8.2f %9s %10s %8ld\n", model, backend,
           threads, r->total_med, r->total_p90, det_trk, det_st, r->lm_med, r->pp_med, pose,
           calls, r->peak_mb);
}

int main(int argc, char **argv)
{
    static const char *const kind_names[] = {"lite", "full", "heavy"};
    static const enum pose_model_kind kinds[] = {POSE_MODEL_LITE, POSE_MODEL_FULL,
                                                 POSE_MODEL_HEAVY};
    static const int thread_counts[] = {1, 2};
    const char *clip_path = argc > 1 ? argv[1] : DEFAULT_CLIP;
    int max_frames = argc > 2 ? (int)arg_long(argv[2], 10, MAX_FRAMES, DEFAULT_FRAMES)
                              : DEFAULT_FRAMES;
    char dir[4096], msg[512] = "";
    if (argc > 3)
        snprintf(dir, sizeof dir, "%s", argv[3]);
    else
        pose_model_dir_default(dir, sizeof dir);

    setvbuf(stdout, NULL, _IOLBF, 0); /* rows appear as they finish, also when piped */
    bench_alloc_probe();

    int status = 0;
    struct clip c;
    struct samples sm = {0};
    struct pose_models *models = NULL;
    double xnn_full_lm = -1.0, xnn_full_det = -1.0;
    int rc = clip_load(clip_path, max_frames, &c, msg, sizeof msg);
    if (rc == RR_ERR_NOTFOUND || rc == RR_ERR_IO) {
        printf("SKIP: clip %s not available: %s\n", clip_path, msg);
        return 77;
    }
    if (rc < 0) {
        fprintf(stderr, "bench_pose_pipeline: %s: %s: %s\n", clip_path, rr_strerror(rc), msg);
        return 1;
    }
    /* All models must be present before anything is timed. */
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        rc = pose_models_load(dir, kinds[k], &models, msg, sizeof msg);
        pose_models_free(models);
        models = NULL;
        if (rc < 0) {
            printf("SKIP: %s models not loadable from %s: %s\n", kind_names[k], dir, msg);
            status = 77;
            goto out;
        }
    }
    sm.total = calloc((size_t)c.count, sizeof(double));
    sm.det = calloc((size_t)c.count, sizeof(double));
    sm.lm = calloc((size_t)c.count, sizeof(double));
    sm.pp = calloc((size_t)c.count, sizeof(double));
    if (!sm.total || !sm.det || !sm.lm || !sm.pp) {
        fprintf(stderr, "bench_pose_pipeline: out of memory\n");
        status = 1;
        goto out;
    }

    const char *base = clip_path;
    for (const char *p = clip_path; *p; p++)
        if (*p == '/')
            base = p + 1;
    printf("pose_session_run on %s: %d frames %dx%d decoded up-front (%.0f MiB), models from %s\n",
           base, c.count, c.width, c.height, (double)c.bytes / (1024.0 * 1024.0), dir);
    double load[3] = {0, 0, 0};
    if (getloadavg(load, 3) < 0)
        load[0] = -1;
    printf("load average at start: %.2f (2-thread rows are only meaningful on idle cores)\n",
           load[0]);
    printf("tracking = video mode, smoothing on, %d warm-up frames then reset; det static = "
           "median of %d static-mode frames\n", WARMUP_FRAMES, STATIC_RUNS);
    printf("allocs/frame = malloc/calloc/realloc/free calls per frame in the timed loops (%s); "
           "peak RSS includes the frame store\n",
           bench_counting ? "interposed allocator" : "not counted in this build");
    printf("%-6s %-9s %3s %8s %8s %12s %9s %8s %8s %9s %10s %8s\n", "model", "backend", "thr",
           "med ms", "p90 ms", "det trk (n)", "det stat", "lm ms", "pre+post", "pose",
           "allocs/fr", "peak MB");
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        rc = pose_models_load(dir, kinds[k], &models, msg, sizeof msg);
        if (rc < 0) {
            fprintf(stderr, "bench_pose_pipeline: %s: %s\n", kind_names[k], msg);
            status = 1;
            goto out;
        }
        for (size_t t = 0; t < sizeof thread_counts / sizeof thread_counts[0]; t++) {
            struct row_result r;
            if (bench_row(models, NET_BACKEND_XNN, thread_counts[t], &c, &sm, &r) < 0) {
                status = 1;
                continue;
            }
            print_row(kind_names[k], "xnnpack", thread_counts[t], &r);
            if (r.calls != 0 && r.calls != -1)
                status = 1;
            if (kinds[k] == POSE_MODEL_FULL && thread_counts[t] == 1) {
                xnn_full_lm = r.lm_med;
                xnn_full_det = r.det_static_med;
            }
        }
        if (kinds[k] == POSE_MODEL_FULL) {
            /* The reference backend on a short prefix of the clip (it is ~5x slower). */
            struct clip short_clip = c;
            short_clip.count = c.count < REF_FRAMES ? c.count : REF_FRAMES;
            struct row_result r;
            if (bench_row(models, NET_BACKEND_REF, 1, &short_clip, &sm, &r) < 0) {
                status = 1;
            } else {
                print_row("full", "reference", 1, &r);
                if (r.calls != 0 && r.calls != -1)
                    status = 1;
                if (xnn_full_lm > 0 && r.lm_med > 0) {
                    printf("       speed-up XNNPACK (1 thread) / reference, full landmark model: "
                           "%.1fx", r.lm_med / xnn_full_lm);
                    if (xnn_full_det > 0 && r.det_trk_med > 0)
                        printf("; detector: %.1fx (reference %d run(s))",
                               r.det_trk_med / xnn_full_det, r.det_trk_runs);
                    printf("\n");
                }
            }
        }
        pose_models_free(models);
        models = NULL;
    }
    if (status == 1)
        fprintf(stderr, "bench_pose_pipeline: FAILED (see above; a nonzero allocs/frame is a "
                        "failure)\n");
out:
    pose_models_free(models);
    free(sm.total);
    free(sm.det);
    free(sm.lm);
    free(sm.pp);
    clip_release(&c);
    return status;
}
