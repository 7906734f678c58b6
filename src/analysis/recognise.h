/*
 * recognise.h - exercise recognition: whole-series features (ranges of joint angles, posture,
 * where the hands and feet go) and the registry's per-exercise scores over them.
 *
 * Each exercise scores the features 0..1 with soft ramps over thresholds that have a physical
 * meaning (degrees of knee travel, torso lengths of hip travel, ...); the best score wins, and
 * when it is below RECOGNISE_MIN_SCORE nobody is training: "no exercise recognised".
 *
 * Internal to src/analysis. Thread-safe; recognise_features allocates a scratch buffer.
 */
#ifndef RR_ANALYSIS_RECOGNISE_H
#define RR_ANALYSIS_RECOGNISE_H

#include <stddef.h>

#include "analysis.h"
#include "geometry.h"

#define RECOGNISE_MIN_SCORE 0.35f

struct series_features {
    size_t n_valid;
    float duration_s;
    float incl_med;            /* median torso inclination, deg */
    float knee_range, knee_min;        /* robust range (p95-p5) and p5 of the mean knee angle */
    float hip_range, hip_min;
    float elbow_range, elbow_min, elbow_max;
    float shoulder_range, shoulder_max;
    float knee_asym;           /* p90 of |left - right| knee angle */
    float overhead_frac;       /* part of the frames with the wrists above the nose */
    float wrist_rise_range;    /* range of wrists-over-shoulders, torso lengths */
    float ankle_spread_range;  /* range of ankle distance / shoulder width */
    float stagger;             /* p90 of the front-back foot split / leg length (world) */
    float hip_travel;          /* vertical range of the hip centre, torso lengths (image) */
    float shoulder_travel;     /* same for the shoulders */
    float wrist_travel;        /* same for the wrists */
    float hang_depth;          /* wrists below the hips at the deepest hip flexion, torso lengths */
    float incl_at_deepest;     /* torso inclination there */
};

/* Compute features over the valid frames of g[0..n). RR_ERR_NOMEM on allocation failure. */
int recognise_features(const struct geom_frame *g, size_t n, struct series_features *f);

/* Soft threshold: 0 at `zero`, 1 at `one`, linear between (either order). */
float recognise_ramp(float x, float zero, float one);

/* Score every registered exercise into cands (best first); returns the count. */
int recognise_rank(const struct series_features *f, struct analysis_candidate *cands, int max);

#endif
