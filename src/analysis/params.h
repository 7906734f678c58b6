/*
 * params.h - every tunable constant of the analysis core in one struct, so that the evaluation
 * harness can choose them inside leave-one-source-out folds and the shipped values have one
 * home with their provenance (docs/internals/analysis-params.md).
 *
 * analysis_params_default() returns the shipped values. Constants fitted from data come from
 * params_gen.c, written by tools/train_analysis/train.py (never by hand); the rest are chosen
 * by tools/eval (rr_eval --choose) over the dev sources, and are listed with their grids there.
 *
 * Thread-safety: the defaults are static and read-only.
 */
#ifndef RR_ANALYSIS_PARAMS_H
#define RR_ANALYSIS_PARAMS_H

#include "counter.h"

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

#endif
