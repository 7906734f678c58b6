/*
 * exercise.h - the exercise table: what each exercise measures and judges.
 *
 * One file per exercise in exercises/ defines a `const struct exercise_def`: its 1-D rep signal,
 * segmentation parameters, posture gate, recognition score, depth measure and form-rule table.
 * exercises/registry.c lists them. Adding an exercise = one file + one registry line.
 *
 * Internal to src/analysis. All data is static and read-only (thread-safe).
 */
#ifndef RR_ANALYSIS_EXERCISE_H
#define RR_ANALYSIS_EXERCISE_H

#include <stddef.h>

#include "analysis.h"
#include "geometry.h"
#include "reps.h"

struct series_features;

/* A rep (or hold window) as the rules see it: frames[start..end], far end at `turn`. */
struct rule_ctx {
    const struct geom_frame *frames; /* the whole series */
    size_t n;
    size_t start, turn, end;
    size_t outer_start, outer_end;    /* the rep plus the rest positions around it */
    enum analysis_view view;
    int side;                         /* side better seen over the series (GEOM_LEFT/RIGHT) */
};

/* Measured value of a rule on a rep; NAN when it cannot be judged. */
typedef float (*rule_measure_fn)(const struct rule_ctx *c);

/* Views bitmask for form_rule.views. */
#define VIEW_BIT(v) (1u << (v))
#define VIEWS_FRONTAL (VIEW_BIT(ANALYSIS_VIEW_FRONT) | VIEW_BIT(ANALYSIS_VIEW_BACK))
#define VIEWS_SIDEWAYS (VIEW_BIT(ANALYSIS_VIEW_SIDE) | VIEW_BIT(ANALYSIS_VIEW_DIAGONAL))
#define VIEWS_NOT_BACK (VIEW_BIT(ANALYSIS_VIEW_FRONT) | VIEWS_SIDEWAYS)
#define VIEWS_ALL 0u

struct form_rule {
    const char *name;          /* fault name */
    rule_measure_fn measure;
    float threshold;
    int above;                 /* 1: fault when value > threshold */
    enum analysis_severity severity;
    unsigned views;            /* views where the rule can be judged; VIEWS_ALL = any */
    const char *unit;
    const char *cue;
};

struct exercise_def {
    const char *name;
    /* Rep signal: low at rest, high at the far end; NAN when not measurable in this frame. */
    float (*signal)(const struct geom_frame *g);
    const char *signal_unit;
    struct reps_params seg;
    int is_hold;               /* plank: no reps, hold time and form over time */
    /* Posture gate: 0 when the frame is not in this exercise's posture (e.g. lying down
     * during a squat set). */
    int (*posture)(const struct geom_frame *g);
    /* Recognition score 0..1 from whole-series features. */
    float (*recognise)(const struct series_features *f);
    rule_measure_fn depth;     /* may be NULL */
    const char *depth_name;
    int sym_joint;             /* joint for left/right symmetry (enum ex_joint) */
    const struct form_rule *rules;
    int n_rules;
};

enum ex_joint { EX_JOINT_KNEE = 0, EX_JOINT_HIP, EX_JOINT_ELBOW, EX_JOINT_SHOULDER };

/* Registry (exercises/registry.c). */
int exercise_count(void);
const struct exercise_def *exercise_at(int i);
const struct exercise_def *exercise_find(const char *name);

/* The exercises (one file each). */
extern const struct exercise_def exercise_squat;
extern const struct exercise_def exercise_push_up;
extern const struct exercise_def exercise_lunge;
extern const struct exercise_def exercise_deadlift;
extern const struct exercise_def exercise_biceps_curl;
extern const struct exercise_def exercise_shoulder_press;
extern const struct exercise_def exercise_jumping_jack;
extern const struct exercise_def exercise_pull_up;
extern const struct exercise_def exercise_plank;

#endif
