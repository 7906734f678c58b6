/*
 * test_pose_stream.c - the one decode -> pose stream (pipeline/pose_stream.h): bad input is
 * reported at open, before any model is loaded; on a real clip the stream gives, bit for bit,
 * the frames pipeline_analyze() analyses (so `repright pose` shows the production input path),
 * with its counters and progress; an image is one static frame; static mode runs the detector
 * on every frame; closing mid-stream stops the decoder thread.
 * The parts with models and ../shared media exit 77 with a SKIP line when those are absent (the
 * input checks run first either way).
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
#include <unistd.h>

#include "base/rr_error.h"
#include "pipeline/analyze.h"
#include "pipeline/pose_stream.h"
#include "support/rrtest.h"

#define CLIP "media/mediapipe/tfjs_pose_squats.mp4" /* 65 frames, 720x1280 */
#define PHOTO "media/mediapipe/tfjs_pose.jpg"

static struct pose_models *models;
static char clip[4096], photo[4096];

static int frames_equal(const struct rr_pose_frame *a, const struct rr_pose_frame *b)
{
    return a->t_us == b->t_us && a->width == b->width && a->height == b->height &&
           a->has_pose == b->has_pose && a->flags == b->flags &&
           memcmp(&a->score, &b->score, sizeof a->score) == 0 &&
           memcmp(a->image, b->image, sizeof a->image) == 0 &&
           memcmp(a->world, b->world, sizeof a->world) == 0;
}

static void pose_stream__reports_bad_input_before_any_model(void **state)
{
    (void)state;
    char dir[] = "/tmp/rr_pose_stream_XXXXXX", path[256], msg[256];
    assert_non_null(mkdtemp(dir));
    struct pose_stream *s = (struct pose_stream *)&s; /* must come back NULL */
    struct pose_stream_opts o = pose_stream_opts_default();
    o.accept_images = 1;

    snprintf(path, sizeof path, "%s/missing.mp4", dir);
    int rc = pose_stream_open(path, &o, &s, msg, sizeof msg);
    assert_true(rc == RR_ERR_NOTFOUND || rc == RR_ERR_IO);
    assert_null(s);
    assert_true(msg[0] != '\0');

    snprintf(path, sizeof path, "%s/notes.mp4", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("just some text, not a video\n", f);
    fclose(f);
    assert_int_equal(pose_stream_open(path, &o, &s, msg, sizeof msg), RR_ERR_UNSUPPORTED);
    assert_null(s);
    unlink(path);

    assert_int_equal(pose_stream_open(NULL, &o, &s, msg, sizeof msg), RR_ERR_INVAL);
    assert_int_equal(pose_stream_start(NULL, NULL, msg, sizeof msg), RR_ERR_INVAL);
    struct rr_pose_frame fr;
    assert_int_equal(pose_stream_next(NULL, &fr, msg, sizeof msg), RR_ERR_INVAL);
    pose_stream_close(NULL);
    assert_int_equal(rmdir(dir), 0);
}

/* The media and models for the rest, or a SKIP (exit 77). */
static int need_media(void **state)
{
    (void)state;
    char dirbuf[4096];
    rrtest_require_shared("pipeline/test_pose_stream", CLIP, clip, sizeof clip);
    rrtest_require_shared("pipeline/test_pose_stream", PHOTO, photo, sizeof photo);
    const char *dir =
        rrtest_require_model("pipeline/test_pose_stream", "pose_landmark_lite.tflite", dirbuf,
                             sizeof dirbuf);
    char msg[256] = "";
    int rc = pose_models_load(dir, POSE_MODEL_LITE, &models, msg, sizeof msg);
    if (rc < 0)
        fail_msg("models: %s", msg);
    return 0;
}

static int free_models(void **state)
{
    (void)state;
    pose_models_free(models);
    models = NULL;
    return 0;
}

struct progress_log {
    int calls;
    double last;
    int backwards;
};

static void on_progress(void *ud, double fraction)
{
    struct progress_log *p = ud;
    p->backwards |= fraction < p->last || fraction > 1.0;
    p->last = fraction;
    p->calls++;
}

static void pose_stream__gives_the_frames_analyze_uses(void **state)
{
    (void)state;
    char msg[256] = "";
    struct pipeline_opts po = pipeline_opts_default();
    struct pipeline_result res;
    assert_int_equal(pipeline_analyze(clip, models, &po, &res, msg, sizeof msg), 0);

    struct progress_log pl = {0, 0.0, 0};
    struct pose_stream_opts o = pose_stream_opts_default();
    o.progress = on_progress;
    o.progress_ud = &pl;
    struct pose_stream *s = NULL;
    assert_int_equal(pose_stream_open(clip, &o, &s, msg, sizeof msg), 0);
    const struct pose_stream_info *info = pose_stream_get_info(s);
    assert_int_equal(info->is_image, 0);
    assert_int_equal(info->video.width, res.info.width);
    assert_int_equal(info->video.height, res.info.height);
    assert_int_equal(pose_stream_start(s, models, msg, sizeof msg), 0);
    assert_int_equal(pose_stream_start(s, models, msg, sizeof msg), RR_ERR_INVAL); /* once */
    size_t n = 0, with_pose = 0;
    struct rr_pose_frame f;
    int rc;
    while ((rc = pose_stream_next(s, &f, msg, sizeof msg)) == 0) {
        assert_true(n < res.n_frames);
        if (!frames_equal(&f, &res.frames[n]))
            fail_msg("frame %zu differs from the analyze pipeline's", n);
        with_pose += f.has_pose ? 1u : 0u;
        n++;
    }
    assert_int_equal(rc, RR_ERR_EOF);
    assert_int_equal(pose_stream_next(s, &f, msg, sizeof msg), RR_ERR_EOF); /* stays at the end */
    assert_int_equal(n, res.n_frames);
    assert_true(n >= 60);
    struct pose_stream_stats st;
    pose_stream_get_stats(s, &st);
    assert_int_equal(st.frames, n);
    assert_int_equal(st.frames_with_pose, with_pose);
    assert_int_equal(st.frames_with_pose, res.stats.frames_with_pose);
    assert_int_equal(st.detector_runs, res.stats.detector_runs);
    assert_true(st.detector_runs >= 1 && st.detector_runs < n / 2); /* tracking works */
    assert_true(st.pose_busy_ms > 0 && st.decode_busy_ms > 0);
    assert_int_equal(st.failed, POSE_STREAM_OK);
    assert_int_equal(pl.calls, (int)(n / 10));
    assert_false(pl.backwards);
    assert_true(pl.last > 0.8);
    pose_stream_close(s);
    pipeline_result_release(&res);
}

static void pose_stream__an_image_is_one_static_frame(void **state)
{
    (void)state;
    char msg[256] = "";
    struct pose_stream *s = NULL;
    struct pose_stream_opts o = pose_stream_opts_default();
    /* videos only: the photo is refused, as `repright analyze` refuses it */
    assert_true(pose_stream_open(photo, &o, &s, msg, sizeof msg) < 0);
    assert_null(s);
    o.accept_images = 1;
    assert_int_equal(pose_stream_open(photo, &o, &s, msg, sizeof msg), 0);
    const struct pose_stream_info *info = pose_stream_get_info(s);
    assert_int_equal(info->is_image, 1);
    assert_true(info->video.width > 0 && info->video.height > 0);
    struct rr_pose_frame f;
    assert_int_equal(pose_stream_next(s, &f, msg, sizeof msg), RR_ERR_INVAL); /* not started */
    assert_int_equal(pose_stream_start(s, models, msg, sizeof msg), 0);
    assert_int_equal(pose_stream_next(s, &f, msg, sizeof msg), 0);
    assert_int_equal(f.has_pose, 1);
    assert_int_equal(f.t_us, 0);
    assert_int_equal(f.width, info->video.width);
    assert_int_equal(f.height, info->video.height);
    assert_int_equal(pose_stream_next(s, &f, msg, sizeof msg), RR_ERR_EOF);
    struct pose_stream_stats st;
    pose_stream_get_stats(s, &st);
    assert_int_equal(st.frames, 1);
    assert_int_equal(st.detector_runs, 1);
    pose_stream_close(s);
}

static void pose_stream__static_mode_and_closing_mid_stream(void **state)
{
    (void)state;
    char msg[256] = "";
    struct pose_stream *s = NULL;
    struct pose_stream_opts o = pose_stream_opts_default();
    o.static_mode = 1;
    assert_int_equal(pose_stream_open(clip, &o, &s, msg, sizeof msg), 0);
    assert_int_equal(pose_stream_start(s, models, msg, sizeof msg), 0);
    struct rr_pose_frame f;
    for (int i = 0; i < 5; i++)
        assert_int_equal(pose_stream_next(s, &f, msg, sizeof msg), 0);
    usleep(50000); /* let the decoder fill the ring and wait on it */
    struct pose_stream_stats st;
    pose_stream_get_stats(s, &st);
    assert_int_equal(st.frames, 5);
    assert_int_equal(st.detector_runs, 5); /* no tracking: the detector on every frame */
    pose_stream_close(s); /* stops and joins the decoder thread (ASan: nothing leaks) */

    /* opened but never started: closes too */
    assert_int_equal(pose_stream_open(clip, &o, &s, msg, sizeof msg), 0);
    pose_stream_close(s);
}

int main(void)
{
    const struct CMUnitTest input[] = {
        cmocka_unit_test(pose_stream__reports_bad_input_before_any_model),
    };
    int failed = cmocka_run_group_tests(input, NULL, NULL);
    if (failed)
        return failed;
    const struct CMUnitTest engine[] = {
        cmocka_unit_test(pose_stream__gives_the_frames_analyze_uses),
        cmocka_unit_test(pose_stream__an_image_is_one_static_frame),
        cmocka_unit_test(pose_stream__static_mode_and_closing_mid_stream),
    };
    return cmocka_run_group_tests(engine, need_media, free_models);
}
