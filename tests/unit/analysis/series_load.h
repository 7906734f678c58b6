/*
 * series_load.h - test helper (header-only, static): load pose series from JSON into
 * struct rr_pose_frame arrays, for tests that link the analysis core alone (no pipeline/).
 * Two formats, the same two the product reader (src/pipeline/landmarks_file.c) reads, with its
 * conversions (tests/unit/pipeline/test_landmarks_file.c checks the two agree on every fixture):
 *   - "repright.pose/1" (docs/landmarks-format.md; tests/fixtures/analysis/NAME.json): frames
 *     with t_ms, pose, score, landmarks / world_landmarks as 33 arrays [x,y(,z(,v(,p)))] or
 *     objects {x,y,z,visibility,presence}, null for a landmark not found;
 *   - MediaPipe reference dumps (../shared/media/reference/NAME.mp1.json): frames[i] with t_ms,
 *     detected, width, height, landmarks[33] and worldLandmarks[33] ({x,y,z,visibility}) or null.
 * Flags (RR_POSE_NO_WORLD, RR_POSE_NO_VISIBILITY) are set per frame only; the product reader's
 * file-wide rules for frames without a pose are not repeated here (those frames carry nothing,
 * all zero). A MediaPipe frame counts as a pose only with both landmark lists.
 * Returns a malloc'd array (free()) and its length, or NULL.
 */
#ifndef SERIES_LOAD_H
#define SERIES_LOAD_H

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/rr_landmarks.h"

/* One field of a landmark: the number, NaN for null, `absent` when missing. */
static inline float series__field(json_t *v, float absent)
{
    if (!v)
        return absent;
    return json_is_number(v) ? (float)json_number_value(v) : NAN;
}

/* One landmark (array, object or null); *vis set when it carries a visibility. */
static inline int series__lm(json_t *it, struct rr_landmark *l, int *vis)
{
    static const char *const keys[5] = {"x", "y", "z", "visibility", "presence"};
    json_t *f[5] = {NULL, NULL, NULL, NULL, NULL};
    if (json_is_array(it)) {
        size_t n = json_array_size(it);
        if (n < 2 || n > 5)
            return -1;
        for (size_t k = 0; k < n; k++)
            f[k] = json_array_get(it, k);
    } else if (json_is_object(it)) {
        for (int k = 0; k < 5; k++)
            f[k] = json_object_get(it, keys[k]);
    } else if (!json_is_null(it)) {
        return -1;
    }
    if (!json_is_number(f[0]) || !json_is_number(f[1])) { /* not found */
        l->x = l->y = l->z = NAN;
        l->visibility = l->presence = 0.0f;
        return 0;
    }
    l->x = series__field(f[0], NAN);
    l->y = series__field(f[1], NAN);
    l->z = series__field(f[2], NAN);
    l->visibility = series__field(f[3], 1.0f);
    l->presence = series__field(f[4], 1.0f);
    if (f[3])
        *vis = 1;
    return 0;
}

static inline int series__list(json_t *arr, struct rr_landmark *out, int *vis)
{
    if (!json_is_array(arr) || json_array_size(arr) != RR_NUM_LANDMARKS)
        return -1;
    for (int k = 0; k < RR_NUM_LANDMARKS; k++)
        if (series__lm(json_array_get(arr, (size_t)k), &out[k], vis) < 0)
            return -1;
    return 0;
}

static inline struct rr_pose_frame *series_load(const char *path, size_t *n_out)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    struct rr_pose_frame *fr = NULL;
    *n_out = 0;
    if (!root)
        return NULL;
    json_t *frames = json_object_get(root, "frames");
    int pose1 = json_is_string(json_object_get(root, "schema"));
    size_t n = json_array_size(frames);
    if (!json_is_array(frames) || n == 0)
        goto out;
    fr = calloc(n, sizeof *fr);
    if (!fr)
        goto out;
    int W = (int)json_integer_value(json_object_get(root, "width"));
    int H = (int)json_integer_value(json_object_get(root, "height"));
    for (size_t i = 0; i < n; i++) {
        json_t *f = json_array_get(frames, i);
        struct rr_pose_frame *p = &fr[i];
        const char *pose_key = pose1 ? "pose" : "detected";
        const char *world_key = pose1 ? "world_landmarks" : "worldLandmarks";
        p->t_us = (int64_t)llround(json_number_value(json_object_get(f, "t_ms")) * 1000.0);
        json_t *fw = json_object_get(f, "width"), *fh = json_object_get(f, "height");
        p->width = fw ? (int)json_integer_value(fw) : W;
        p->height = fh ? (int)json_integer_value(fh) : H;
        json_t *im = json_object_get(f, "landmarks"), *w = json_object_get(f, world_key);
        json_t *flag = json_object_get(f, pose_key);
        int vis = 0;
        p->has_pose = (json_is_boolean(flag) ? json_is_true(flag) : pose1 && json_is_array(im)) &&
                      series__list(im, p->image, &vis) == 0;
        if (p->has_pose && json_is_array(w)) {
            if (series__list(w, p->world, &vis) < 0)
                p->has_pose = 0;
        } else if (p->has_pose && !pose1) {
            p->has_pose = 0; /* a MediaPipe frame counts with both lists only (as ever here) */
        } else if (p->has_pose) {
            p->flags |= RR_POSE_NO_WORLD;
            for (int k = 0; k < RR_NUM_LANDMARKS; k++) {
                p->world[k].x = p->world[k].y = p->world[k].z = NAN;
                p->world[k].visibility = p->world[k].presence = 0.0f;
            }
        }
        if (p->has_pose && !vis)
            p->flags |= RR_POSE_NO_VISIBILITY;
        json_t *score = json_object_get(f, "score");
        p->score = !p->has_pose ? 0.0f : pose1 && score ? series__field(score, 1.0f) : 1.0f;
        if (!p->has_pose) {
            p->flags = 0;
            memset(p->image, 0, sizeof p->image);
            memset(p->world, 0, sizeof p->world);
        }
    }
    *n_out = n;
out:
    json_decref(root);
    return fr;
}

#endif
