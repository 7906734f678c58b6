/*
 * test_blazepose_mediapipe.c - the native BlazePose pipeline against MediaPipe's own expected
 * outputs (../shared/media/mediapipe, blazepose.md 4.3 and 6): detector on pose.jpg, static and
 * video mode landmarks for lite/full/heavy, world landmarks, a blank image, a crowded image, and
 * the tfjs squats video in video mode. XNNPACK backend, one thread. Prints mean/max errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rr_error.h"
#include "pose/blazepose.h"
#include "pose/roi.h"
#include "support/rrtest.h"
#include "video/decode.h"

static char g_model_dir[1024];
static char g_media[1024];

/* zero-allocation check: heap calls counted by an interposed allocator (off under ASan) */
#include "support/alloc_count.h"

static const char *media(const char *rel)
{
    return rrtest_case_shared("test_blazepose_mediapipe", rel, g_media, sizeof g_media);
}

static struct rr_image load_image(const char *rel, struct rr_rgbbuf *buf)
{
    char msg[256] = "";
    int rc = image_load(media(rel), buf, msg, sizeof msg);
    if (rc < 0)
        fprintf(stderr, "image_load(%s): %s\n", rel, msg);
    assert_int_equal(rc, 0);
    return rr_rgbbuf_view(buf);
}

static struct pose_session *open_session(enum pose_model_kind kind, int static_mode,
                                         struct pose_models **models)
{
    char msg[256] = "";
    int rc = pose_models_load(g_model_dir, kind, models, msg, sizeof msg);
    if (rc < 0)
        fprintf(stderr, "pose_models_load: %s\n", msg);
    assert_int_equal(rc, 0);
    struct pose_session_opts o = pose_session_opts_default();
    o.static_mode = static_mode;
    struct pose_session *s = NULL;
    rc = pose_session_new(*models, &o, &s, msg, sizeof msg);
    if (rc < 0)
        fprintf(stderr, "pose_session_new: %s\n", msg);
    assert_int_equal(rc, 0);
    return s;
}

/* Value after the first occurrence of `key` at or after *pos (pbtxt scalar). */
static double pbtxt_next(const char *text, const char **pos, const char *key)
{
    const char *p = strstr(*pos, key);
    assert_non_null(p);
    p += strlen(key);
    char *end;
    double v = strtod(p, &end);
    assert_true(end != p);
    *pos = end;
    (void)text;
    return v;
}

/* Lines of the form "x: v" / "y: v" in a landmarks pbtxt, in order. */
static int pbtxt_landmarks(const char *text, float (*xy)[2], int max)
{
    int n = 0;
    const char *p = text;
    while (n < max) {
        const char *lm = strstr(p, "landmark {");
        if (!lm)
            break;
        p = lm + 10;
        xy[n][0] = (float)pbtxt_next(text, &p, "x:");
        xy[n][1] = (float)pbtxt_next(text, &p, "y:");
        n++;
    }
    return n;
}

/* ------------------------------------------------------------------------------------------ */

static void blazepose__detector_matches_mediapipe_expected_detection(void **state)
{
    (void)state;
    size_t len;
    char *txt = rrtest_read_file(media("media/mediapipe/pose_expected_detection.pbtxt"), 1 << 20, &len);
    assert_non_null(txt);
    const char *p = txt;
    /* this copy stores the box in pixels of the 1000x667 image and the keypoints normalised */
    double bx = pbtxt_next(txt, &p, "xmin:") / 1000.0, by = pbtxt_next(txt, &p, "ymin:") / 667.0;
    double bw = pbtxt_next(txt, &p, "width:") / 1000.0, bh = pbtxt_next(txt, &p, "height:") / 667.0;
    double kp[4][2];
    for (int k = 0; k < 4; k++) {
        kp[k][0] = pbtxt_next(txt, &p, "x:");
        kp[k][1] = pbtxt_next(txt, &p, "y:");
    }
    free(txt);

    struct rr_rgbbuf buf = {0};
    struct rr_image img = load_image("media/mediapipe/tfjs_pose.jpg", &buf);
    assert_int_equal(img.width, 1000);
    assert_int_equal(img.height, 667);
    struct pose_models *m = NULL;
    struct pose_session *s = open_session(POSE_MODEL_LITE, 1, &m);
    struct pose_detection d[8];
    int n = pose_session_detect(s, &img, d, 8);
    printf("detector: %d detection(s); first score %.5f box (%.5f %.5f %.5f %.5f) expected "
           "(%.5f %.5f %.5f %.5f)\n", n, n > 0 ? d[0].score : 0, d[0].xmin, d[0].ymin, d[0].width,
           d[0].height, bx, by, bw, bh);
    assert_true(n >= 1);
    assert_true(d[0].score > 0.9f);
    assert_float_equal(d[0].xmin, bx, 0.01);
    assert_float_equal(d[0].ymin, by, 0.01);
    assert_float_equal(d[0].width, bw, 0.01);
    assert_float_equal(d[0].height, bh, 0.01);
    double maxkp = 0;
    for (int k = 0; k < 4; k++) {
        printf("  kp%d (%.6f, %.6f) expected (%.6f, %.6f)\n", k, d[0].kp[k][0], d[0].kp[k][1],
               kp[k][0], kp[k][1]);
        maxkp = fmax(maxkp, fmax(fabs(d[0].kp[k][0] - kp[k][0]), fabs(d[0].kp[k][1] - kp[k][1])));
    }
    printf("  max keypoint error %.5f (tolerance 0.01)\n", maxkp);
    assert_true(maxkp < 0.01);
    /* The tasks test data as quoted in blazepose.md 4.3 (another revision of the same file,
     * matching its expanded rect): the native detector agrees to ~1e-3, so hold it to 0.002. */
    static const double doc_box[4] = {0.3970945, 0.29761493, 0.1998719, 0.29958934};
    static const double doc_kp[4][2] = {{0.49192297, 0.7013345}, {0.48453212, 0.32265595},
                                        {0.49723503, 0.48548737}, {0.4922851, 0.15978798}};
    assert_float_equal(d[0].score, 0.9843089, 0.002);
    assert_float_equal(d[0].xmin, doc_box[0], 0.002);
    assert_float_equal(d[0].ymin, doc_box[1], 0.002);
    assert_float_equal(d[0].width, doc_box[2], 0.002);
    assert_float_equal(d[0].height, doc_box[3], 0.002);
    double maxdoc = 0;
    for (int k = 0; k < 4; k++)
        maxdoc = fmax(maxdoc, fmax(fabs(d[0].kp[k][0] - doc_kp[k][0]), fabs(d[0].kp[k][1] - doc_kp[k][1])));
    printf("  max keypoint error vs blazepose.md 4.3 values %.5f (tolerance 0.002)\n", maxdoc);
    assert_true(maxdoc < 0.002);
    /* expanded rect (pose_expected_expanded_rect.pbtxt, blazepose.md 3.6) within 0.01 */
    struct roi_rect r = roi_pose(d[0].kp[0][0], d[0].kp[0][1], d[0].kp[1][0], d[0].kp[1][1], 1000, 667);
    printf("  roi centre (%.5f %.5f) size (%.5f %.5f) rotation %.5f\n", r.xc, r.yc, r.w, r.h, r.rotation);
    assert_float_equal(r.xc, 0.49192297, 0.01);
    assert_float_equal(r.yc, 0.7013345, 0.01);
    assert_float_equal(r.w, 0.6317167, 0.01);
    assert_float_equal(r.h, 0.9471016, 0.01);
    assert_float_equal(r.rotation, -0.0292532, 0.01);
    pose_session_free(s);
    pose_models_free(m);
    rr_rgbbuf_release(&buf);
}

struct expected_image {
    float tasks_xy[RR_NUM_LANDMARKS][2];  /* pose_landmarks.pbtxt, normalised */
    float legacy_px[RR_NUM_LANDMARKS][2]; /* legacy_pose_test_expected.json */
    float legacy_world[RR_NUM_LANDMARKS][3];
    int have_world;
};

static void load_expected_image(struct expected_image *e)
{
    size_t len;
    char *txt = rrtest_read_file(media("media/mediapipe/pose_landmarks.pbtxt"), 1 << 20, &len);
    assert_non_null(txt);
    assert_int_equal(pbtxt_landmarks(txt, e->tasks_xy, RR_NUM_LANDMARKS), RR_NUM_LANDMARKS);
    free(txt);
    json_error_t err;
    json_t *j = json_load_file(media("media/mediapipe/legacy_pose_test_expected.json"), 0, &err);
    assert_non_null(j);
    json_t *px = json_object_get(j, "EXPECTED_POSE_LANDMARKS_px");
    assert_int_equal(json_array_size(px), RR_NUM_LANDMARKS);
    for (int i = 0; i < RR_NUM_LANDMARKS; i++) {
        e->legacy_px[i][0] = (float)json_number_value(json_array_get(json_array_get(px, i), 0));
        e->legacy_px[i][1] = (float)json_number_value(json_array_get(json_array_get(px, i), 1));
    }
    json_t *w = json_object_get(j, "EXPECTED_POSE_WORLD_LANDMARKS_m");
    e->have_world = json_array_size(w) == RR_NUM_LANDMARKS;
    for (int i = 0; e->have_world && i < RR_NUM_LANDMARKS; i++)
        for (int a = 0; a < 3; a++)
            e->legacy_world[i][a] = (float)json_number_value(json_array_get(json_array_get(w, i), a));
    json_decref(j);
}

static void check_image_landmarks(const char *label, const struct rr_pose_frame *f,
                                  const struct expected_image *e)
{
    double sum_n = 0, max_n = 0, sum_px = 0, max_px = 0, sum_w = 0, max_w = 0;
    for (int i = 0; i < RR_NUM_LANDMARKS; i++) {
        double dn = fmax(fabs(f->image[i].x - e->tasks_xy[i][0]), fabs(f->image[i].y - e->tasks_xy[i][1]));
        double dp = fmax(fabs(f->image[i].x * f->width - e->legacy_px[i][0]),
                         fabs(f->image[i].y * f->height - e->legacy_px[i][1]));
        sum_n += dn, max_n = fmax(max_n, dn);
        sum_px += dp, max_px = fmax(max_px, dp);
        if (e->have_world) {
            double dw = 0;
            for (int a = 0; a < 3; a++) {
                float v = a == 0 ? f->world[i].x : a == 1 ? f->world[i].y : f->world[i].z;
                dw = fmax(dw, fabs(v - e->legacy_world[i][a]));
            }
            sum_w += dw, max_w = fmax(max_w, dw);
        }
    }
    printf("%-14s flag %.4f | tasks pbtxt mean %.4f max %.4f (tol 0.03) | legacy px mean %.2f max "
           "%.2f (tol 15) | world m mean %.3f max %.3f (tol 0.2)\n",
           label, f->score, sum_n / RR_NUM_LANDMARKS, max_n, sum_px / RR_NUM_LANDMARKS, max_px,
           sum_w / RR_NUM_LANDMARKS, max_w);
    assert_true(max_n < 0.03);
    assert_true(max_px < 15.0);
    if (e->have_world)
        assert_true(max_w < 0.2);
}

static void run_image_model(enum pose_model_kind kind, const char *name)
{
    struct expected_image e;
    load_expected_image(&e);
    struct rr_rgbbuf buf = {0};
    struct rr_image img = load_image("media/mediapipe/tfjs_pose.jpg", &buf);
    static struct rr_pose_frame f;
    char label[64];
    for (int mode = 0; mode < 2; mode++) { /* static, then video (3 frames: detect + 2 tracked) */
        struct pose_models *m = NULL;
        struct pose_session *s = open_session(kind, mode == 0, &m);
        for (int i = 0; i < 3; i++) {
            assert_int_equal(pose_session_run(s, &img, (int64_t)i * 33333, &f), 0);
            assert_int_equal(f.has_pose, 1);
            snprintf(label, sizeof label, "%s %s #%d", name, mode == 0 ? "static" : "video", i);
            check_image_landmarks(label, &f, &e);
        }
        pose_session_free(s);
        pose_models_free(m);
    }
    rr_rgbbuf_release(&buf);
}

static void blazepose__lite_static_and_video_landmarks_match_mediapipe(void **state)
{
    (void)state;
    rrtest_case_model("test_blazepose_mediapipe", "pose_landmark_lite.tflite", g_model_dir,
                      sizeof g_model_dir);
    run_image_model(POSE_MODEL_LITE, "lite");
}

static void blazepose__full_static_and_video_landmarks_match_mediapipe(void **state)
{
    (void)state;
    run_image_model(POSE_MODEL_FULL, "full");
}

static void blazepose__heavy_static_and_video_landmarks_match_mediapipe(void **state)
{
    (void)state;
    rrtest_case_model("test_blazepose_mediapipe", "pose_landmark_heavy.tflite", g_model_dir,
                      sizeof g_model_dir);
    run_image_model(POSE_MODEL_HEAVY, "heavy");
}

static void blazepose__blank_white_image_has_no_pose(void **state)
{
    (void)state;
    static uint8_t white[100 * 100 * 3];
    memset(white, 255, sizeof white);
    struct rr_image img = {100, 100, 300, white};
    struct rr_pose_frame f;
    for (int mode = 0; mode < 2; mode++) {
        struct pose_models *m = NULL;
        struct pose_session *s = open_session(POSE_MODEL_FULL, mode, &m);
        for (int i = 0; i < 3; i++) {
            assert_int_equal(pose_session_run(s, &img, (int64_t)(i + 1) * 33333, &f), 0);
            assert_int_equal(f.has_pose, 0);
        }
        struct pose_detection d[4];
        assert_int_equal(pose_session_detect(s, &img, d, 4), 0);
        pose_session_free(s);
        pose_models_free(m);
    }
}

static void blazepose__three_people_image_gives_one_pose(void **state)
{
    (void)state;
    struct rr_rgbbuf buf = {0};
    struct rr_image img = load_image("media/mediapipe/tfjs_three_people.jpg", &buf);
    struct pose_models *m = NULL;
    struct pose_session *s = open_session(POSE_MODEL_FULL, 1, &m);
    struct rr_pose_frame f;
    assert_int_equal(pose_session_run(s, &img, 0, &f), 0);
    assert_int_equal(f.has_pose, 1);
    assert_true(f.score > 0.5f);
    struct pose_detection d[8];
    int n = pose_session_detect(s, &img, d, 8);
    printf("three people: %d detection(s) after NMS, flag %.3f, nose (%.3f, %.3f)\n", n, f.score,
           f.image[0].x, f.image[0].y);
    assert_true(n >= 1);
    pose_session_free(s);
    pose_models_free(m);
    rr_rgbbuf_release(&buf);
}

static json_t *load_json(const char *rel)
{
    json_error_t err;
    json_t *j = json_load_file(media(rel), 0, &err);
    if (!j)
        fprintf(stderr, "%s: %s\n", rel, err.text);
    assert_non_null(j);
    return j;
}

static void blazepose__squats_video_mode_tracks_within_tfjs_tolerance(void **state)
{
    (void)state;
    json_t *px = load_json("media/mediapipe/tfjs_pose_squats.full.json");
    json_t *w3 = load_json("media/mediapipe/tfjs_pose_squats_3d.full.json");
    struct video *v = NULL;
    char msg[256] = "";
    int rc = video_open(media("media/mediapipe/tfjs_pose_squats.mp4"), NULL, &v, msg, sizeof msg);
    if (rc < 0)
        fprintf(stderr, "video_open: %s\n", msg);
    assert_int_equal(rc, 0);
    struct pose_models *m = NULL;
    struct pose_session *s = open_session(POSE_MODEL_FULL, 0, &m);
    static struct rr_pose_frame f;
    double sum = 0, mx = 0, wsum = 0, wmx = 0, pre_post = 0, pre_post_max = 0;
    long count = 0, frames = 0;
    long allocs = 0;
    bench_alloc_probe();
    /* the counter must really count where it can, or "0 heap calls" would prove nothing */
    assert_int_equal(bench_counting, BENCH_COUNT_ALLOCS);
    for (int i = 0;; i++) {
        struct rr_image img;
        int64_t t;
        rc = video_next(v, &img, &t, msg, sizeof msg);
        if (rc == RR_ERR_EOF)
            break;
        assert_int_equal(rc, 0);
        assert_true((size_t)i < json_array_size(px));
        long calls0 = atomic_load(&bench_calls);
        rc = pose_session_run(s, &img, (int64_t)i * 33333, &f);
        allocs += atomic_load(&bench_calls) - calls0;
        assert_int_equal(rc, 0);
        assert_int_equal(f.has_pose, 1);
        struct pose_timing tm;
        pose_session_last_timing(s, &tm);
        pre_post += tm.pre_post_ms;
        pre_post_max = fmax(pre_post_max, tm.pre_post_ms);
        json_t *fe = json_array_get(px, (size_t)i), *fw = json_array_get(w3, (size_t)i);
        double fmx = 0;
        for (int k = 0; k < RR_NUM_LANDMARKS; k++) {
            json_t *p = json_array_get(fe, (size_t)k), *q = json_array_get(fw, (size_t)k);
            double dx = f.image[k].x * f.width - json_number_value(json_array_get(p, 0));
            double dy = f.image[k].y * f.height - json_number_value(json_array_get(p, 1));
            double d = fmax(fabs(dx), fabs(dy));
            sum += d, count++;
            fmx = fmax(fmx, d);
            double dw = fmax(fabs(f.world[k].x - json_number_value(json_array_get(q, 0))),
                             fmax(fabs(f.world[k].y - json_number_value(json_array_get(q, 1))),
                                  fabs(f.world[k].z - json_number_value(json_array_get(q, 2)))));
            wsum += dw;
            wmx = fmax(wmx, dw);
        }
        mx = fmax(mx, fmx);
        if (fmx >= 31.0)
            printf("  frame %d: max px error %.1f\n", i, fmx);
        frames++;
    }
    printf("squats (full, video mode, %ld frames): px error mean %.2f max %.2f (tol 31) | world m "
           "mean %.4f max %.4f (tol 0.24) | pre/post mean %.3f ms max %.3f ms | heap calls in "
           "run %ld%s\n",
           frames, sum / (double)count, mx, wsum / (double)count, wmx, pre_post / (double)frames,
           pre_post_max, allocs, bench_counting ? "" : " (not counted under ASan)");
    assert_int_equal(frames, (long)json_array_size(px));
    assert_true(mx < 31.0);
    assert_true(wmx < 0.24);
    assert_int_equal(allocs, 0);
    pose_session_free(s);
    pose_models_free(m);
    video_close(v);
    json_decref(px);
    json_decref(w3);
}

static void blazepose__rejects_invalid_arguments(void **state)
{
    (void)state;
    struct pose_models *m = NULL;
    char msg[128];
    assert_int_equal(pose_models_load("/nonexistent-dir", POSE_MODEL_FULL, &m, msg, sizeof msg) < 0, 1);
    assert_null(m);
    enum pose_model_kind k;
    assert_int_equal(pose_model_kind_parse("heavy", &k), 0);
    assert_int_equal(k, POSE_MODEL_HEAVY);
    assert_int_equal(pose_model_kind_parse("medium", &k), RR_ERR_INVAL);
    struct pose_session *s = open_session(POSE_MODEL_LITE, 0, &m);
    struct rr_pose_frame f;
    struct rr_image bad = {0, 0, 0, NULL};
    assert_int_equal(pose_session_run(s, &bad, 0, &f), RR_ERR_INVAL);
    struct pose_session_opts o = pose_session_opts_default();
    o.threads = 0;
    struct pose_session *s2 = NULL;
    assert_int_equal(pose_session_new(m, &o, &s2, msg, sizeof msg), RR_ERR_INVAL);
    char dir[256];
    assert_non_null(pose_model_dir_default(dir, sizeof dir));
    assert_null(pose_model_dir_default(dir, 2));
    pose_session_free(s);
    pose_models_free(m);
}

int main(void)
{
    rrtest_require_shared("test_blazepose_mediapipe", "media/mediapipe/tfjs_pose.jpg", g_media, sizeof g_media);
    rrtest_require_model("test_blazepose_mediapipe", "pose_detection.tflite", g_model_dir, sizeof g_model_dir);
    rrtest_require_model("test_blazepose_mediapipe", "pose_landmark_full.tflite", g_model_dir, sizeof g_model_dir);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(blazepose__detector_matches_mediapipe_expected_detection),
        cmocka_unit_test(blazepose__lite_static_and_video_landmarks_match_mediapipe),
        cmocka_unit_test(blazepose__full_static_and_video_landmarks_match_mediapipe),
        cmocka_unit_test(blazepose__heavy_static_and_video_landmarks_match_mediapipe),
        cmocka_unit_test(blazepose__blank_white_image_has_no_pose),
        cmocka_unit_test(blazepose__three_people_image_gives_one_pose),
        cmocka_unit_test(blazepose__squats_video_mode_tracks_within_tfjs_tolerance),
        cmocka_unit_test(blazepose__rejects_invalid_arguments),
    };
    return rrtest_status(cmocka_run_group_tests(tests, NULL, NULL));
}
