/*
 * test_blazepose_clips.c - the native pipeline (full model, video mode, smoothing, 1 thread,
 * XNNPACK) against MediaPipe's WebAssembly build on every clip of ../shared/media/videos/
 * (reference: ../shared/media/reference/NAME.mp1.json, same model and mode, graph timestamps =
 * file time + 800 ms). Prints per clip the share of frames where both find a pose, the share of
 * frames where they agree on presence, and the mean landmark distance as % of the image
 * diagonal and of max(width, height). At most CLIP_MAX_FRAMES frames per clip keep it fast.
 * Built with CLIPS_YUV defined (tests/unit/pipeline/test_pipeline_pose_yuv.c), the frames go to
 * pose_session_run_yuv() as the decoder's YUV planes, the analyze pipeline's input path.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rr_error.h"
#include "pose/blazepose.h"
#include "support/rrtest.h"
#include "video/decode.h"
#ifdef CLIPS_YUV
#include "pose/crop.h"
#endif

#define CLIP_MAX_FRAMES 150
#define CLIP_MAX 64
/* MediaPipe reference harness: graph timestamp = round(t_ms * 1000) + 800000 */
#define CLIP_TS_OFFSET_US 800000

static char g_model_dir[1024];
static char g_shared[1024];

struct clip_result {
    char name[128];
    int frames, both, agree, ours_only, ref_only;
    double mean_pct_diag, mean_pct_max, max_pct_diag;
    double ms_per_frame;
};

/* a + b + c into buf; fails the test when it does not fit. */
static void join3(char *buf, size_t len, const char *a, const char *b, const char *c)
{
    int n = snprintf(buf, len, "%s%s%s", a, b, c);
    assert_true(n >= 0 && (size_t)n < len);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

static int run_clip(const struct pose_models *m, const char *name, struct clip_result *r)
{
    char path[2048], ref[2048], msg[256] = "";
    char base[2048];
    join3(base, sizeof base, g_shared, "/media/reference/", name);
    join3(ref, sizeof ref, base, ".mp1.json", "");
    join3(base, sizeof base, g_shared,
          strcmp(name, "tfjs_pose_squats") == 0 ? "/media/mediapipe/" : "/media/videos/", name);
    join3(path, sizeof path, base, ".mp4", "");
    json_error_t err;
    json_t *j = json_load_file(ref, 0, &err);
    if (!j)
        return 0; /* no reference for this clip */
    json_t *frames = json_object_get(j, "frames");
    assert_true(json_is_array(frames));

    struct video *v = NULL;
    int rc = video_open(path, NULL, &v, msg, sizeof msg);
    if (rc < 0)
        fprintf(stderr, "%s: %s\n", path, msg);
    assert_int_equal(rc, 0);
    struct pose_session_opts o = pose_session_opts_default();
    o.threads = 1;
    struct pose_session *s = NULL;
    rc = pose_session_new(m, &o, &s, msg, sizeof msg);
    assert_int_equal(rc, 0);

    memset(r, 0, sizeof *r);
    join3(r->name, sizeof r->name, name, "", "");
    static struct rr_pose_frame f;
#ifdef CLIPS_YUV
    struct video_frame *vf = video_frame_new();
    assert_non_null(vf);
#endif
    double sum_diag = 0, sum_max = 0, ms = 0;
    int ts_mismatch = 0;
    size_t n = json_array_size(frames);
    for (size_t i = 0; i < n && i < CLIP_MAX_FRAMES; i++) {
        struct rr_image img;
        int64_t t;
#ifdef CLIPS_YUV
        rc = video_next_frame(v, vf, &t, msg, sizeof msg);
        if (rc == RR_ERR_EOF)
            break;
        assert_int_equal(rc, 0);
        struct video_yuv y;
        assert_int_equal(video_frame_yuv(vf, &y), 0); /* every shared clip is 8-bit 4:2:0 */
        struct crop_yuv cy = {y.width, y.height, y.y, y.u, y.v, y.y_stride, y.uv_stride,
                              y.rotation, y.full_range, (int)y.matrix};
        crop_yuv_upright(&cy, &img.width, &img.height);
#else
        rc = video_next(v, &img, &t, msg, sizeof msg);
        if (rc == RR_ERR_EOF)
            break;
        assert_int_equal(rc, 0);
#endif
        json_t *fr = json_array_get(frames, i);
        double ref_ms = json_number_value(json_object_get(fr, "t_ms"));
        if (fabs((double)t / 1000.0 - ref_ms) > 1.0)
            ts_mismatch++;
#ifdef CLIPS_YUV
        assert_int_equal(pose_session_run_yuv(s, &cy, t + CLIP_TS_OFFSET_US, &f), 0);
#else
        assert_int_equal(pose_session_run(s, &img, t + CLIP_TS_OFFSET_US, &f), 0);
#endif
        struct pose_timing tm;
        pose_session_last_timing(s, &tm);
        ms += tm.total_ms;
        r->frames++;
        int ref_det = json_is_true(json_object_get(fr, "detected"));
        json_t *lms = json_object_get(fr, "landmarks");
        if (ref_det && json_array_size(lms) != RR_NUM_LANDMARKS)
            ref_det = 0;
        r->agree += ref_det == f.has_pose;
        r->ours_only += f.has_pose && !ref_det;
        r->ref_only += !f.has_pose && ref_det;
        if (!(ref_det && f.has_pose))
            continue;
        r->both++;
        double W = img.width, H = img.height, diag = sqrt(W * W + H * H), side = fmax(W, H);
        double d = 0;
        for (int k = 0; k < RR_NUM_LANDMARKS; k++) {
            json_t *p = json_array_get(lms, (size_t)k);
            double dx = (f.image[k].x - json_number_value(json_object_get(p, "x"))) * W;
            double dy = (f.image[k].y - json_number_value(json_object_get(p, "y"))) * H;
            d += sqrt(dx * dx + dy * dy);
        }
        d /= RR_NUM_LANDMARKS;
        sum_diag += 100.0 * d / diag;
        sum_max += 100.0 * d / side;
        r->max_pct_diag = fmax(r->max_pct_diag, 100.0 * d / diag);
    }
    if (ts_mismatch)
        printf("  %s: %d frame timestamps differ from the reference by > 1 ms\n", name, ts_mismatch);
    r->mean_pct_diag = r->both ? sum_diag / r->both : 0;
    r->mean_pct_max = r->both ? sum_max / r->both : 0;
    r->ms_per_frame = r->frames ? ms / r->frames : 0;
    pose_session_free(s);
#ifdef CLIPS_YUV
    video_frame_free(vf);
#endif
    video_close(v);
    json_decref(j);
    return 1;
}

static void blazepose__clips_agree_with_mediapipe_wasm(void **state)
{
    (void)state;
    char dir[2048];
    snprintf(dir, sizeof dir, "%s/media/videos", g_shared);
    DIR *d = opendir(dir);
    assert_non_null(d);
    static char names[CLIP_MAX + 1][128];
    int nn = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && nn < CLIP_MAX) {
        size_t l = strlen(e->d_name);
        if (l > 4 && l < 120 && strcmp(e->d_name + l - 4, ".mp4") == 0) {
            memcpy(names[nn], e->d_name, l - 4);
            names[nn][l - 4] = 0;
            nn++;
        }
    }
    closedir(d);
    qsort(names, (size_t)nn, sizeof names[0], cmp_names);
    /* MediaPipe's own squats clip has a reference too */
    snprintf(names[nn++], sizeof names[0], "tfjs_pose_squats");

    struct pose_models *m = NULL;
    char msg[256] = "";
    int rc = pose_models_load(g_model_dir, POSE_MODEL_FULL, &m, msg, sizeof msg);
    if (rc < 0)
        fprintf(stderr, "pose_models_load: %s\n", msg);
    assert_int_equal(rc, 0);

    static struct clip_result res[CLIP_MAX + 1];
    int nr = 0;
    for (int i = 0; i < nn; i++)
        nr += run_clip(m, names[i], &res[nr]);
    pose_models_free(m);
    assert_true(nr >= 1);

    printf("%-36s %6s %6s %6s %5s %5s %8s %8s %8s %7s\n", "clip (full, video mode)", "frames",
           "both%", "agree%", "ours", "ref", "%diag", "%maxside", "max%diag", "ms/fr");
    double avg_diag = 0, avg_max = 0;
    int with_both = 0;
    for (int i = 0; i < nr; i++) {
        const struct clip_result *r = &res[i];
        printf("%-36s %6d %6.1f %6.1f %5d %5d %8.3f %8.3f %8.3f %7.1f\n", r->name, r->frames,
               100.0 * r->both / r->frames, 100.0 * r->agree / r->frames, r->ours_only,
               r->ref_only, r->mean_pct_diag, r->mean_pct_max, r->max_pct_diag, r->ms_per_frame);
        if (r->both) {
            avg_diag += r->mean_pct_diag;
            avg_max += r->mean_pct_max;
            with_both++;
        }
    }
    assert_true(with_both >= 1);
    avg_diag /= with_both;
    avg_max /= with_both;
    printf("average over %d clips: mean landmark distance %.3f%% of the diagonal, %.3f%% of "
           "max(w,h) (limit 1%%)\n", with_both, avg_diag, avg_max);
    assert_true(avg_diag < 1.0);
    assert_true(avg_max < 1.0);
}

int main(void)
{
    rrtest_require_shared("test_blazepose_clips", "media/videos", g_shared, sizeof g_shared);
    rrtest_require_shared("test_blazepose_clips", "media/reference", g_shared, sizeof g_shared);
    snprintf(g_shared, sizeof g_shared, "%s", RR_SHARED_DIR);
    rrtest_require_model("test_blazepose_clips", "pose_detection.tflite", g_model_dir, sizeof g_model_dir);
    rrtest_require_model("test_blazepose_clips", "pose_landmark_full.tflite", g_model_dir, sizeof g_model_dir);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(blazepose__clips_agree_with_mediapipe_wasm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
