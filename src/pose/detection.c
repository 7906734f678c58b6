/* detection.c - detector decoding, weighted NMS and letterbox removal (see detection.h). */
#include "pose/detection.h"

#include <math.h>
#include <stddef.h>

struct detection_decode_opts detection_decode_opts_pose(float min_score)
{
    struct detection_decode_opts o = {
        .num_coords = 12,
        .num_keypoints = 4,
        .keypoint_offset = 4,
        .x_scale = 224.0f,
        .y_scale = 224.0f,
        .w_scale = 224.0f,
        .h_scale = 224.0f,
        .score_clip = 100.0f,
        .min_score = min_score,
    };
    return o;
}

int detection_decode(const float *boxes, const float *scores, const struct anchor *anchors, int n,
                     const struct detection_decode_opts *o, struct detection *out, int max)
{
    int count = 0;
    int nk = o->num_keypoints;
    if (nk < 0)
        nk = 0;
    if (nk > DETECTION_MAX_KEYPOINTS)
        nk = DETECTION_MAX_KEYPOINTS;
    for (int i = 0; i < n && count < max; i++) {
        float s = scores[i];
        if (s < -o->score_clip)
            s = -o->score_clip;
        if (s > o->score_clip)
            s = o->score_clip;
        s = 1.0f / (1.0f + expf(-s));
        if (!(s >= o->min_score)) /* MediaPipe drops score < min; a NaN from a broken net too */
            continue;
        const float *r = boxes + (size_t)i * (size_t)o->num_coords;
        const struct anchor *a = &anchors[i];
        float cx = r[0] / o->x_scale * a->w + a->cx;
        float cy = r[1] / o->y_scale * a->h + a->cy;
        float w = r[2] / o->w_scale * a->w;
        float h = r[3] / o->h_scale * a->h;
        struct detection *d = &out[count];
        d->score = s;
        d->ymin = cy - h / 2.0f;
        d->xmin = cx - w / 2.0f;
        d->ymax = cy + h / 2.0f;
        d->xmax = cx + w / 2.0f;
        /* MediaPipe stores width = xmax - xmin and drops negative or NaN sizes. */
        float bw = d->xmax - d->xmin, bh = d->ymax - d->ymin;
        if (bw < 0.0f || bh < 0.0f || isnan(bw) || isnan(bh))
            continue;
        for (int k = 0; k < DETECTION_MAX_KEYPOINTS; k++) {
            if (k < nk) {
                const float *kp = r + o->keypoint_offset + 2 * k;
                d->kp[k][0] = kp[0] / o->x_scale * a->w + a->cx;
                d->kp[k][1] = kp[1] / o->y_scale * a->h + a->cy;
            } else {
                d->kp[k][0] = d->kp[k][1] = 0.0f;
            }
        }
        count++;
    }
    return count;
}

float detection_iou(const struct detection *a, const struct detection *b)
{
    float ix0 = fmaxf(a->xmin, b->xmin), iy0 = fmaxf(a->ymin, b->ymin);
    float ix1 = fminf(a->xmax, b->xmax), iy1 = fminf(a->ymax, b->ymax);
    if (ix0 > ix1 || iy0 > iy1)
        return 0.0f;
    float inter = (ix1 - ix0) * (iy1 - iy0);
    float area_a = (a->xmax - a->xmin) * (a->ymax - a->ymin);
    float area_b = (b->xmax - b->xmin) * (b->ymax - b->ymin);
    float norm = area_a + area_b - inter;
    return norm > 0.0f ? inter / norm : 0.0f;
}

/* Stable insertion sort of indices by descending score: n is small in practice (only
 * detections above min_score), and qsort may allocate. */
static void sort_by_score(const struct detection *dets, int *order, int n)
{
    for (int i = 0; i < n; i++)
        order[i] = i;
    for (int i = 1; i < n; i++) {
        int v = order[i];
        float s = dets[v].score;
        int j = i - 1;
        while (j >= 0 && dets[order[j]].score < s) {
            order[j + 1] = order[j];
            j--;
        }
        order[j + 1] = v;
    }
}

int detection_nms_weighted(const struct detection *dets, int n, float thresh, int *order,
                           struct detection *out, int max)
{
    if (n <= 0 || max <= 0)
        return 0;
    sort_by_score(dets, order, n);
    int remaining = n;
    int count = 0;
    while (remaining > 0 && count < max) {
        const struct detection *top = &dets[order[0]];
        /* MediaPipe accumulates in float; keep float to match its rounding. */
        float sx0 = 0, sy0 = 0, sx1 = 0, sy1 = 0, tot = 0;
        float kp[DETECTION_MAX_KEYPOINTS][2] = {{0}};
        int kept = 0;
        for (int i = 0; i < remaining; i++) {
            const struct detection *c = &dets[order[i]];
            if (detection_iou(c, top) > thresh) {
                float s = c->score;
                tot += s;
                sx0 += c->xmin * s;
                sy0 += c->ymin * s;
                sx1 += c->xmax * s;
                sy1 += c->ymax * s;
                for (int k = 0; k < DETECTION_MAX_KEYPOINTS; k++) {
                    kp[k][0] += c->kp[k][0] * s;
                    kp[k][1] += c->kp[k][1] * s;
                }
            } else {
                order[kept++] = order[i]; /* compaction keeps the score order */
            }
        }
        struct detection *o = &out[count++];
        *o = *top;
        if (tot > 0.0f) {
            o->xmin = sx0 / tot;
            o->ymin = sy0 / tot;
            o->xmax = sx1 / tot;
            o->ymax = sy1 / tot;
            for (int k = 0; k < DETECTION_MAX_KEYPOINTS; k++) {
                o->kp[k][0] = kp[k][0] / tot;
                o->kp[k][1] = kp[k][1] / tot;
            }
        }
        if (kept == remaining)
            break; /* nothing suppressed (e.g. a degenerate box): MediaPipe stops here */
        remaining = kept;
    }
    return count;
}

struct letterbox letterbox_pad(int tensor_w, int tensor_h, float *roi_w, float *roi_h)
{
    struct letterbox p = {0, 0, 0, 0};
    float tensor_aspect = (float)tensor_h / (float)tensor_w;
    float roi_aspect = *roi_h / *roi_w;
    if (tensor_aspect > roi_aspect) {
        float v = (1.0f - roi_aspect / tensor_aspect) / 2.0f;
        *roi_h = *roi_w * tensor_aspect;
        p.top = p.bottom = v;
    } else {
        float h = (1.0f - tensor_aspect / roi_aspect) / 2.0f;
        *roi_w = *roi_h / tensor_aspect;
        p.left = p.right = h;
    }
    return p;
}

void detection_remove_letterbox(struct detection *d, int num_keypoints, const struct letterbox *p)
{
    float sx = 1.0f - p->left - p->right, sy = 1.0f - p->top - p->bottom;
    float w = d->xmax - d->xmin, h = d->ymax - d->ymin;
    d->xmin = (d->xmin - p->left) / sx;
    d->ymin = (d->ymin - p->top) / sy;
    d->xmax = d->xmin + w / sx;
    d->ymax = d->ymin + h / sy;
    for (int k = 0; k < num_keypoints && k < DETECTION_MAX_KEYPOINTS; k++) {
        d->kp[k][0] = (d->kp[k][0] - p->left) / sx;
        d->kp[k][1] = (d->kp[k][1] - p->top) / sy;
    }
}
