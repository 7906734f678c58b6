/*
 * series_load.h - test helper (header-only, static): load pose series from JSON into
 * struct rr_pose_frame arrays. Two formats:
 *   - MediaPipe reference dumps (../shared/media/reference/NAME.mp1.json): frames[i] with t_ms,
 *     detected, width, height, landmarks[33] and worldLandmarks[33] ({x,y,z,visibility}) or null;
 *   - RepRight's compact fixtures (tests/fixtures/analysis/NAME.json, "repright.series/1"):
 *     width, height, frames[i] = {"t": ms, "i": [x,y,z,v]*33 flat, "w": [x,y,z,v]*33 flat},
 *     without "i" when there is no pose.
 * Returns a malloc'd array (free()) and its length, or NULL.
 */
#ifndef SERIES_LOAD_H
#define SERIES_LOAD_H

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/rr_landmarks.h"

static inline int series__lm_objects(json_t *arr, struct rr_landmark *out)
{
    if (!json_is_array(arr) || json_array_size(arr) != RR_NUM_LANDMARKS)
        return -1;
    for (int k = 0; k < RR_NUM_LANDMARKS; k++) {
        json_t *o = json_array_get(arr, (size_t)k);
        out[k].x = (float)json_number_value(json_object_get(o, "x"));
        out[k].y = (float)json_number_value(json_object_get(o, "y"));
        out[k].z = (float)json_number_value(json_object_get(o, "z"));
        out[k].visibility = (float)json_number_value(json_object_get(o, "visibility"));
        out[k].presence = 1.0f;
    }
    return 0;
}

static inline int series__lm_flat(json_t *arr, struct rr_landmark *out)
{
    if (!json_is_array(arr) || json_array_size(arr) != 4 * RR_NUM_LANDMARKS)
        return -1;
    for (int k = 0; k < RR_NUM_LANDMARKS; k++) {
        out[k].x = (float)json_number_value(json_array_get(arr, (size_t)(4 * k)));
        out[k].y = (float)json_number_value(json_array_get(arr, (size_t)(4 * k + 1)));
        out[k].z = (float)json_number_value(json_array_get(arr, (size_t)(4 * k + 2)));
        out[k].visibility = (float)json_number_value(json_array_get(arr, (size_t)(4 * k + 3)));
        out[k].presence = 1.0f;
    }
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
    int compact = json_is_string(json_object_get(root, "format"));
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
        if (compact) {
            p->t_us = (int64_t)llround(json_number_value(json_object_get(f, "t")) * 1000.0);
            p->width = W;
            p->height = H;
            json_t *im = json_object_get(f, "i");
            p->has_pose = im && series__lm_flat(im, p->image) == 0 &&
                          series__lm_flat(json_object_get(f, "w"), p->world) == 0;
        } else {
            p->t_us = (int64_t)llround(json_number_value(json_object_get(f, "t_ms")) * 1000.0);
            p->width = (int)json_integer_value(json_object_get(f, "width"));
            p->height = (int)json_integer_value(json_object_get(f, "height"));
            p->has_pose = json_is_true(json_object_get(f, "detected")) &&
                          series__lm_objects(json_object_get(f, "landmarks"), p->image) == 0 &&
                          series__lm_objects(json_object_get(f, "worldLandmarks"), p->world) == 0;
        }
        p->score = p->has_pose ? 1.0f : 0.0f;
    }
    *n_out = n;
out:
    json_decref(root);
    return fr;
}

#endif
