/*
 * blazepose.c - the BlazePose pipeline: models, sessions, per-frame wiring (see blazepose.h).
 *
 * DESIGN (details and measured numbers: docs/internals/blazepose.md). One frame of MediaPipe's
 * pose_landmark_cpu graph, in order:
 *   1. ROI: the previous frame's tracking ROI (video mode) or, when there is none, the detector:
 *      letterboxed 224x224 crop in [-1, 1] -> net -> decode 2254 anchors -> weighted NMS ->
 *      letterbox removal -> first detection -> alignment rect (mid-hip, full-body point) x 1.25.
 *   2. Landmarks: rotated 256x256 crop of the ROI in [0, 1] (edge replicate) -> net -> pose flag.
 *      flag <= min_tracking_confidence: no pose, tracking and smoothing state dropped.
 *   3. Decode 39 points, heatmap refinement, projection to the image; world landmarks rotated.
 *   4. Video mode: visibility low-pass + one-euro on image and world landmarks (if smoothing),
 *      one-euro on the 2 aux points (always), next ROI from the filtered aux points.
 * Everything a frame needs (nets, tensors, anchors, detection scratch, filters) lives in the
 * session and is allocated by pose_session_new(); pose_session_run() does not allocate.
 */
#include "pose/blazepose.h"

#include "base/rr_error.h"
#include "pose/anchors.h"
#include "pose/crop.h"
#include "pose/detection.h"
#include "pose/filter.h"
#include "pose/landmarks_post.h"
#include "pose/model.h"
#include "pose/roi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DET_SIZE 224
#define LM_SIZE 256
#define HM_SIZE 64
#define NMS_IOU 0.3f
#define LM_OUT_LANDMARKS 0
#define LM_OUT_FLAG 1
#define LM_OUT_HEATMAP 3
#define LM_OUT_WORLD 4
#define LM_NUM_OUTPUTS 5

struct pose_models {
    struct model *det;
    struct model *lm;
    enum pose_model_kind kind;
};

struct pose_session {
    const struct pose_models *models;
    struct pose_session_opts opts;
    struct net *det_net, *lm_net;
    float *det_in, *lm_in;
    const float *det_boxes, *det_scores;
    const float *lm_raw, *lm_flag, *lm_heatmap, *lm_world;

    struct anchor anchors[ANCHORS_POSE_COUNT];
    struct detection decoded[ANCHORS_POSE_COUNT];
    struct detection nms[ANCHORS_POSE_COUNT];
    int order[ANCHORS_POSE_COUNT];

    int have_roi;
    struct roi_rect roi;

    struct filter_visibility vis_image, vis_world, vis_aux;
    struct filter_landmarks sm_image, sm_world, sm_aux;

    struct pose_timing timing;
};

static const char *const kind_names[] = {"lite", "full", "heavy"};

static void set_msg(char *msg, size_t len, const char *what, const char *why)
{
    if (msg && len)
        snprintf(msg, len, "%s%s", what, why);
}

const char *pose_model_dir_default(char *buf, size_t len)
{
    if (!buf || !len)
        return NULL;
    const char *env = getenv("REPRIGHT_MODEL_DIR");
    const char *home = getenv("HOME");
    int n;
    if (env && *env)
        n = snprintf(buf, len, "%s", env);
    else
        n = snprintf(buf, len, "%s/.cache/repright/models", home && *home ? home : "/root");
    if (n < 0 || (size_t)n >= len)
        return NULL;
    return buf;
}

int pose_model_kind_parse(const char *s, enum pose_model_kind *out)
{
    if (!s || !out)
        return RR_ERR_INVAL;
    for (int i = 0; i < 3; i++) {
        if (strcmp(s, kind_names[i]) == 0) {
            *out = (enum pose_model_kind)i;
            return 0;
        }
    }
    return RR_ERR_INVAL;
}

static int tensor_is(const struct model_tensor *t, size_t count)
{
    return t->count == count;
}

static int check_detector(const struct model *m, char *msg, size_t len)
{
    if (m->n_inputs != 1 || m->n_outputs != 2 ||
        !tensor_is(model_input(m, 0), (size_t)DET_SIZE * DET_SIZE * 3) ||
        !tensor_is(model_output(m, 0), (size_t)ANCHORS_POSE_COUNT * 12) ||
        !tensor_is(model_output(m, 1), ANCHORS_POSE_COUNT)) {
        set_msg(msg, len, "pose_detection.tflite",
                ": not a BlazePose detector (expected 1x224x224x3 -> 2254x12, 2254)");
        return RR_ERR_UNSUPPORTED;
    }
    return 0;
}

static int check_landmark(const struct model *m, const char *name, char *msg, size_t len)
{
    if (m->n_inputs != 1 || m->n_outputs != LM_NUM_OUTPUTS ||
        !tensor_is(model_input(m, 0), (size_t)LM_SIZE * LM_SIZE * 3) ||
        !tensor_is(model_output(m, LM_OUT_LANDMARKS), (size_t)LMPOST_NUM * 5) ||
        !tensor_is(model_output(m, LM_OUT_FLAG), 1) ||
        !tensor_is(model_output(m, LM_OUT_HEATMAP), (size_t)HM_SIZE * HM_SIZE * LMPOST_NUM) ||
        !tensor_is(model_output(m, LM_OUT_WORLD), (size_t)LMPOST_NUM * 3)) {
        set_msg(msg, len, name, ": not a BlazePose landmark model (unexpected inputs/outputs)");
        return RR_ERR_UNSUPPORTED;
    }
    return 0;
}

int pose_models_load(const char *dir, enum pose_model_kind kind, struct pose_models **out,
                     char *msg, size_t msg_len)
{
    if (!dir || !out || (unsigned)kind > POSE_MODEL_HEAVY) {
        set_msg(msg, msg_len, "invalid argument", "");
        return RR_ERR_INVAL;
    }
    *out = NULL;
    char path[4096], name[64];
    int rc;
    struct pose_models *m = calloc(1, sizeof *m);
    if (!m)
        return RR_ERR_NOMEM;
    m->kind = kind;
    int n = snprintf(path, sizeof path, "%s/pose_detection.tflite", dir);
    if (n < 0 || (size_t)n >= sizeof path) {
        set_msg(msg, msg_len, "model directory path too long", "");
        rc = RR_ERR_TOOBIG;
        goto out;
    }
    rc = model_load_file(path, &m->det, msg, msg_len);
    if (rc < 0)
        goto out;
    rc = check_detector(m->det, msg, msg_len);
    if (rc < 0)
        goto out;
    snprintf(name, sizeof name, "pose_landmark_%s.tflite", kind_names[kind]);
    n = snprintf(path, sizeof path, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof path) {
        set_msg(msg, msg_len, "model directory path too long", "");
        rc = RR_ERR_TOOBIG;
        goto out;
    }
    rc = model_load_file(path, &m->lm, msg, msg_len);
    if (rc < 0)
        goto out;
    rc = check_landmark(m->lm, name, msg, msg_len);
    if (rc < 0)
        goto out;
    *out = m;
    m = NULL;
out:
    pose_models_free(m);
    return rc;
}

void pose_models_free(struct pose_models *m)
{
    if (!m)
        return;
    model_free(m->det);
    model_free(m->lm);
    free(m);
}

struct pose_session_opts pose_session_opts_default(void)
{
    struct pose_session_opts o = {
        .backend = NET_BACKEND_XNN,
        .threads = 1,
        .static_mode = 0,
        .smooth = 1,
        .min_detection_confidence = 0.5f,
        .min_tracking_confidence = 0.5f,
    };
    return o;
}

static void reset_filters(struct pose_session *s)
{
    filter_visibility_reset(&s->vis_image);
    filter_visibility_reset(&s->vis_world);
    filter_visibility_reset(&s->vis_aux);
    filter_landmarks_reset(&s->sm_image);
    filter_landmarks_reset(&s->sm_world);
    filter_landmarks_reset(&s->sm_aux);
}

int pose_session_new(const struct pose_models *models, const struct pose_session_opts *opts,
                     struct pose_session **out, char *msg, size_t msg_len)
{
    if (!models || !out) {
        set_msg(msg, msg_len, "invalid argument", "");
        return RR_ERR_INVAL;
    }
    *out = NULL;
    struct pose_session_opts o = opts ? *opts : pose_session_opts_default();
    if (o.threads < 1 || o.threads > 64 || !(o.min_detection_confidence >= 0.0f) ||
        !(o.min_detection_confidence <= 1.0f) || !(o.min_tracking_confidence >= 0.0f) ||
        !(o.min_tracking_confidence <= 1.0f)) {
        set_msg(msg, msg_len, "invalid session options", "");
        return RR_ERR_INVAL;
    }
    int rc;
    struct pose_session *s = calloc(1, sizeof *s);
    if (!s)
        return RR_ERR_NOMEM;
    s->models = models;
    s->opts = o;
    rc = net_new(models->det, o.backend, o.threads, &s->det_net, msg, msg_len);
    if (rc < 0)
        goto out;
    /* The segmentation head (output 2) is never read: leave its ops out. */
    rc = net_new_outputs(models->lm, o.backend, o.threads,
                         1u << LM_OUT_LANDMARKS | 1u << LM_OUT_FLAG | 1u << LM_OUT_HEATMAP |
                             1u << LM_OUT_WORLD,
                         &s->lm_net, msg, msg_len);
    if (rc < 0)
        goto out;
    s->det_in = net_input(s->det_net, 0);
    s->det_boxes = net_output(s->det_net, 0);
    s->det_scores = net_output(s->det_net, 1);
    s->lm_in = net_input(s->lm_net, 0);
    s->lm_raw = net_output(s->lm_net, LM_OUT_LANDMARKS);
    s->lm_flag = net_output(s->lm_net, LM_OUT_FLAG);
    s->lm_heatmap = net_output(s->lm_net, LM_OUT_HEATMAP);
    s->lm_world = net_output(s->lm_net, LM_OUT_WORLD);
    if (!s->det_in || !s->det_boxes || !s->det_scores || !s->lm_in || !s->lm_raw || !s->lm_flag ||
        !s->lm_heatmap || !s->lm_world) {
        set_msg(msg, msg_len, "backend returned no tensor buffer", "");
        rc = RR_ERR_BACKEND;
        goto out;
    }
    struct anchors_opts ao = anchors_opts_pose();
    rc = anchors_generate(&ao, s->anchors, ANCHORS_POSE_COUNT);
    if (rc != ANCHORS_POSE_COUNT) {
        set_msg(msg, msg_len, "anchor generation failed", "");
        rc = RR_ERR_INTERNAL;
        goto out;
    }
    rc = 0;
    filter_visibility_init(&s->vis_image, FILTER_POSE_VISIBILITY_ALPHA);
    filter_visibility_init(&s->vis_world, FILTER_POSE_VISIBILITY_ALPHA);
    filter_visibility_init(&s->vis_aux, FILTER_POSE_VISIBILITY_ALPHA);
    struct filter_one_euro_params p = filter_params_pose_image();
    filter_landmarks_init(&s->sm_image, &p);
    p = filter_params_pose_world();
    filter_landmarks_init(&s->sm_world, &p);
    p = filter_params_pose_aux();
    filter_landmarks_init(&s->sm_aux, &p);
    *out = s;
    s = NULL;
out:
    pose_session_free(s);
    return rc;
}

void pose_session_free(struct pose_session *s)
{
    if (!s)
        return;
    net_free(s->det_net);
    net_free(s->lm_net);
    free(s);
}

void pose_session_reset(struct pose_session *s)
{
    if (!s)
        return;
    s->have_roi = 0;
    reset_filters(s);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static int image_ok(const struct rr_image *img)
{
    return img && img->rgb && img->width > 0 && img->height > 0 &&
           img->width <= RR_IMAGE_MAX_SIDE && img->height <= RR_IMAGE_MAX_SIDE &&
           img->stride >= (size_t)img->width * 3;
}

/* A frame to run on: packed RGB, or YUV 4:2:0 planes sampled directly (no RGB conversion). */
struct pose_input {
    int width, height; /* upright */
    const struct rr_image *rgb;
    const struct crop_yuv *yuv;
};

static void input_crop(const struct pose_input *in, const struct crop_rect *r, int ow, int oh,
                       enum crop_border border, float lo, float hi, float *out)
{
    if (in->yuv)
        crop_rotated_yuv(in->yuv, r, ow, oh, border, lo, hi, out);
    else
        crop_rotated(in->rgb, r, ow, oh, border, lo, hi, out);
}

/* Detector on the whole image: letterboxed crop, net, decode, NMS, letterbox removal. Returns
 * the number of detections in s->nms (best first) or RR_ERR_BACKEND. */
static int run_detector(struct pose_session *s, const struct pose_input *img, int max)
{
    struct crop_rect r = {0.5f * (float)img->width, 0.5f * (float)img->height, (float)img->width,
                          (float)img->height, 0.0f};
    struct letterbox pad = letterbox_pad(DET_SIZE, DET_SIZE, &r.w, &r.h);
    input_crop(img, &r, DET_SIZE, DET_SIZE, CROP_BORDER_ZERO, -1.0f, 1.0f, s->det_in);
    double t1 = now_ms();
    if (net_run(s->det_net) < 0)
        return RR_ERR_BACKEND;
    double t2 = now_ms();
    s->timing.detector_ms += t2 - t1;
    s->timing.ran_detector = 1;
    struct detection_decode_opts o = detection_decode_opts_pose(s->opts.min_detection_confidence);
    int n = detection_decode(s->det_boxes, s->det_scores, s->anchors, ANCHORS_POSE_COUNT, &o,
                             s->decoded, ANCHORS_POSE_COUNT);
    if (max > ANCHORS_POSE_COUNT)
        max = ANCHORS_POSE_COUNT;
    int k = detection_nms_weighted(s->decoded, n, NMS_IOU, s->order, s->nms, max);
    for (int i = 0; i < k; i++)
        detection_remove_letterbox(&s->nms[i], 4, &pad);
    return k;
}

int pose_session_detect(struct pose_session *s, const struct rr_image *img,
                        struct pose_detection *dets, int max)
{
    if (!s || !image_ok(img) || (max > 0 && !dets) || max < 0)
        return RR_ERR_INVAL;
    memset(&s->timing, 0, sizeof s->timing);
    double t0 = now_ms();
    struct pose_input in = {img->width, img->height, img, NULL};
    int k = run_detector(s, &in, max);
    if (k < 0)
        return k;
    for (int i = 0; i < k; i++) {
        const struct detection *d = &s->nms[i];
        dets[i].score = d->score;
        dets[i].xmin = d->xmin;
        dets[i].ymin = d->ymin;
        dets[i].width = d->xmax - d->xmin;
        dets[i].height = d->ymax - d->ymin;
        memcpy(dets[i].kp, d->kp, sizeof dets[i].kp);
    }
    s->timing.total_ms = now_ms() - t0;
    s->timing.pre_post_ms = s->timing.total_ms - s->timing.detector_ms;
    return k;
}

/* Rect for the next frame (and the smoothing object scale) from the two aux points. */
static float object_scale(const struct lmpost_point *a0, const struct lmpost_point *a1, int w, int h)
{
    struct roi_rect r = roi_from_alignment(a0->x, a0->y, a1->x, a1->y, w, h, 1.57079632679489662f);
    return (r.w * (float)w + r.h * (float)h) / 2.0f;
}

/* One-euro smoothing of normalised points in pixel space (x*W, y*H, z*W). */
static void smooth_points(struct filter_landmarks *f, struct lmpost_point *pts, int n, int w,
                          int h, int64_t t_us, float scale)
{
    float xyz[FILTER_MAX_LANDMARKS][3];
    float W = (float)w, H = (float)h;
    for (int i = 0; i < n; i++) {
        xyz[i][0] = pts[i].x * W;
        xyz[i][1] = pts[i].y * H;
        xyz[i][2] = pts[i].z * W;
    }
    filter_landmarks_apply(f, t_us, scale, xyz, n);
    for (int i = 0; i < n; i++) {
        pts[i].x = xyz[i][0] / W;
        pts[i].y = xyz[i][1] / H;
        pts[i].z = xyz[i][2] / W;
    }
}

static void smooth_visibility(struct filter_visibility *f, struct lmpost_point *pts, int n)
{
    float v[FILTER_MAX_LANDMARKS];
    for (int i = 0; i < n; i++)
        v[i] = pts[i].visibility;
    filter_visibility_apply(f, v, n);
    for (int i = 0; i < n; i++)
        pts[i].visibility = v[i];
}

static void lose_pose(struct pose_session *s)
{
    s->have_roi = 0;
    reset_filters(s);
}

static int session_run(struct pose_session *s, const struct pose_input *img, int64_t t_us,
                       struct rr_pose_frame *out);

int pose_session_run(struct pose_session *s, const struct rr_image *img, int64_t t_us,
                     struct rr_pose_frame *out)
{
    if (!s || !image_ok(img) || !out)
        return RR_ERR_INVAL;
    struct pose_input in = {img->width, img->height, img, NULL};
    return session_run(s, &in, t_us, out);
}

int pose_session_run_yuv(struct pose_session *s, const struct crop_yuv *img, int64_t t_us,
                         struct rr_pose_frame *out)
{
    if (!s || !crop_yuv_valid(img) || !out)
        return RR_ERR_INVAL;
    struct pose_input in = {0, 0, NULL, img};
    crop_yuv_upright(img, &in.width, &in.height);
    return session_run(s, &in, t_us, out);
}

static int session_run(struct pose_session *s, const struct pose_input *img, int64_t t_us,
                       struct rr_pose_frame *out)
{
    memset(&s->timing, 0, sizeof s->timing);
    double t0 = now_ms();
    int rc = 0;
    const int W = img->width, H = img->height;
    const int video = !s->opts.static_mode;
    out->t_us = t_us;
    out->width = W;
    out->height = H;
    out->has_pose = 0;
    out->flags = 0;
    out->score = 0.0f;

    struct roi_rect roi;
    if (video && s->have_roi) {
        roi = s->roi;
    } else {
        int k = run_detector(s, img, 1);
        if (k < 0) {
            rc = k;
            goto out;
        }
        if (k == 0) {
            lose_pose(s);
            goto out;
        }
        roi = roi_pose(s->nms[0].kp[0][0], s->nms[0].kp[0][1], s->nms[0].kp[1][0],
                       s->nms[0].kp[1][1], W, H);
    }

    struct crop_rect cr = {roi.xc * (float)W, roi.yc * (float)H, roi.w * (float)W,
                           roi.h * (float)H, roi.rotation};
    struct letterbox pad = letterbox_pad(LM_SIZE, LM_SIZE, &cr.w, &cr.h);
    input_crop(img, &cr, LM_SIZE, LM_SIZE, CROP_BORDER_REPLICATE, 0.0f, 1.0f, s->lm_in);
    double t1 = now_ms();
    if (net_run(s->lm_net) < 0) {
        rc = RR_ERR_BACKEND;
        goto out;
    }
    s->timing.landmark_ms = now_ms() - t1;

    float flag = s->lm_flag[0];
    out->score = flag;
    if (!(flag > s->opts.min_tracking_confidence)) {
        lose_pose(s);
        goto out;
    }

    struct lmpost_point pts[LMPOST_NUM];
    float world[LMPOST_NUM][3];
    lmpost_decode(s->lm_raw, LMPOST_NUM, LM_SIZE, 1.0f, pts);
    lmpost_refine_heatmap(pts, LMPOST_NUM, s->lm_heatmap, HM_SIZE, HM_SIZE, LMPOST_NUM, 7, 0.5f);
    lmpost_project(pts, LMPOST_NUM, &pad, &roi);
    lmpost_world(s->lm_world, RR_NUM_LANDMARKS, roi.rotation, world);

    struct lmpost_point wpts[RR_NUM_LANDMARKS];
    for (int i = 0; i < RR_NUM_LANDMARKS; i++) {
        wpts[i].x = world[i][0];
        wpts[i].y = world[i][1];
        wpts[i].z = world[i][2];
        wpts[i].visibility = pts[i].visibility;
        wpts[i].presence = pts[i].presence;
    }

    if (video) {
        /* Object scale from the unfiltered aux points (no 1.25 expansion). */
        float scale = object_scale(&pts[LMPOST_AUX0], &pts[LMPOST_AUX1], W, H);
        if (s->opts.smooth) {
            smooth_visibility(&s->vis_image, pts, RR_NUM_LANDMARKS);
            smooth_points(&s->sm_image, pts, RR_NUM_LANDMARKS, W, H, t_us, scale);
            smooth_visibility(&s->vis_world, wpts, RR_NUM_LANDMARKS);
            float wxyz[RR_NUM_LANDMARKS][3];
            for (int i = 0; i < RR_NUM_LANDMARKS; i++) {
                wxyz[i][0] = wpts[i].x;
                wxyz[i][1] = wpts[i].y;
                wxyz[i][2] = wpts[i].z;
            }
            filter_landmarks_apply(&s->sm_world, t_us, 1.0f, wxyz, RR_NUM_LANDMARKS);
            for (int i = 0; i < RR_NUM_LANDMARKS; i++) {
                wpts[i].x = wxyz[i][0];
                wpts[i].y = wxyz[i][1];
                wpts[i].z = wxyz[i][2];
            }
        }
        /* The aux points are always filtered (outside MediaPipe's smoothing switch). */
        smooth_visibility(&s->vis_aux, &pts[LMPOST_AUX0], 2);
        smooth_points(&s->sm_aux, &pts[LMPOST_AUX0], 2, W, H, t_us, scale);
        s->roi = roi_pose(pts[LMPOST_AUX0].x, pts[LMPOST_AUX0].y, pts[LMPOST_AUX1].x,
                          pts[LMPOST_AUX1].y, W, H);
        s->have_roi = 1;
    }

    out->has_pose = 1;
    for (int i = 0; i < RR_NUM_LANDMARKS; i++) {
        struct rr_landmark *l = &out->image[i];
        l->x = pts[i].x;
        l->y = pts[i].y;
        l->z = pts[i].z;
        l->visibility = pts[i].visibility;
        l->presence = pts[i].presence;
        struct rr_landmark *w = &out->world[i];
        w->x = wpts[i].x;
        w->y = wpts[i].y;
        w->z = wpts[i].z;
        w->visibility = wpts[i].visibility;
        w->presence = wpts[i].presence;
    }
out:
    s->timing.total_ms = now_ms() - t0;
    s->timing.pre_post_ms = s->timing.total_ms - s->timing.detector_ms - s->timing.landmark_ms;
    return rc;
}

void pose_session_last_timing(const struct pose_session *s, struct pose_timing *t)
{
    if (!s || !t)
        return;
    *t = s->timing;
}
