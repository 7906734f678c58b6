/*
 * params.h - every tunable constant of the analysis core in one struct, so that the evaluation
 * harness can choose them inside leave-one-source-out folds and the shipped values have one
 * home with their provenance (docs/internals/analysis-params.md).
 *
 * analysis_params_default() returns the shipped values. Constants fitted from data come from
 * params_gen.c, written by tools/train_analysis/train.py (never by hand); the rest are chosen
 * by tools/eval (rr_eval --loso) inside leave-one-source-out folds of the dev sources; the grids
 * and the fold table are in docs/internals/analysis.md.
 *
 * Thread-safety: the defaults are static and read-only.
 */
#ifndef RR_ANALYSIS_PARAMS_H
#define RR_ANALYSIS_PARAMS_H

#include "analysis/analysis.h"
#include "analysis/counter.h"

struct analysis_params {
    struct counter_params counter;
    /* Recognition: an exercise is recognised when at least `min_cycles` of its counted cycles
     * went from its rest pose to its far pose and they are at least `valid_frac` of them. */
    float valid_frac;
    float min_cycles;
    /* Plank: shortest hold that is recognised as one (seconds). */
    float hold_min_s;
    /* Rep windows: start/end where the filtered signal is within this part of the rep's
     * amplitude of its rest level. */
    float edge_frac;
};

const struct analysis_params *analysis_params_default(void);

/* Named access for tools (eval / training): pointer to the float called `name`, or NULL. */
float *analysis_params_field(struct analysis_params *p, const char *name);
/* Names of every field, NULL-terminated. */
const char *const *analysis_params_names(void);

/* Constants fitted from public training data by tools/train_analysis/train.py, which writes
 * them into params_gen.c (generated, never edited by hand); NAN where a value was not fitted.
 * docs/internals/analysis-params.md gives, for each, the measure, the rule, the data and its
 * licence, and the per-source and leave-one-source-out table. Arrays are indexed like the
 * exercise registry (exercise_index()); entries past the registry are NAN. */
struct analysis_fitted {
    float amp0[ANALYSIS_MAX_EXERCISES];  /* prior amplitude of the phase signal: median at the
                                          * far end - median at rest (signal units) */
    float floor[ANALYSIS_MAX_EXERCISES]; /* spread of the phase signal at rest: 1.4826 * MAD */
    float pushup_depth_deg;              /* form_elbow_img: q95 at push-up bottoms (deg) */
    float squat_valgus_ratio;            /* form_knee_track_ratio: q2.5 at correct squats'
                                          * bottoms */
};

extern const struct analysis_fitted analysis_fitted;
/* sha256 (hex) of the training manifest (tools/train_analysis/manifest.json, its `outputs`
 * member left out) the values were fitted from. */
extern const char analysis_fitted_manifest_sha256[];

#endif
