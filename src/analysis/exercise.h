/*
 * exercise.h - the exercise table: what each exercise counts, recognises and judges.
 *
 * One file per exercise in exercises/ defines a `const struct exercise_def`:
 *   - its phase signal (far end high) built from ratios of image distances along gravity, so it
 *     means the same with or without world landmarks, at any distance, from any side;
 *   - its envelope (the posture in which reps can happen: frames outside are gaps);
 *   - its rest and far-end poses: a counted cycle is evidence for the exercise only when the
 *     athlete was in the rest pose at its start and in the far pose at its turn (recognition);
 *   - its depth measure and form-rule table.
 * exercises/registry.c lists them. Adding an exercise = one file + one registry line.
 *
 * Internal to src/analysis. All data is static and read-only (thread-safe).
 */
#ifndef RR_ANALYSIS_EXERCISE_H
#define RR_ANALYSIS_EXERCISE_H

#include <stddef.h>

#include "analysis/analysis.h"
#include "analysis/counter.h"
#include "analysis/geometry.h"

/* A rep (or hold window) as the rules see it: input frames start..end, far end at `turn`,
 * read from the stream's ring of recent frames (frames of other people are skipped). */
struct rule_ctx {
    const struct geom_frame *ring; /* ring[i % ring_cap] is frame i for ring_first <= i < ring_next */
    size_t ring_cap, ring_first, ring_next;
    int track;                     /* identity whose frames count */
    size_t start, turn, end;
    size_t outer_start, outer_end; /* the rep plus the rest positions around it */
    enum analysis_view view;
    int side;                      /* side better seen (GEOM_LEFT/RIGHT) */
    int limb;                      /* the one arm or leg that works (GEOM_LEFT/RIGHT), -1 both */
};

/* Frame i of the context's person, or NULL (not kept, not this person, or no valid pose). */
static inline const struct geom_frame *ctx_frame(const struct rule_ctx *c, size_t i)
{
    if (i < c->ring_first || i >= c->ring_next)
        return NULL;
    const struct geom_frame *g = &c->ring[i % c->ring_cap];
    return (g->track == c->track && g->valid) ? g : NULL;
}

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
    float noise;               /* typical frame-to-frame noise of the measure (unit): a value
                                * within this of the threshold is not a confident verdict */
    const float *fitted;       /* the threshold fitted from data (params_gen.c) when finite,
                                * else `threshold` (a literature anchor); may be NULL */
};

typedef float (*frame_signal_fn)(const struct geom_frame *g);
typedef int (*frame_pose_fn)(const struct geom_frame *g);
/* Whether a cycle from rest frame r to far frame f moved like this exercise (which body part
 * moves in the image); NULL = no check. Returns 1 when it cannot tell. */
typedef int (*cycle_check_fn)(const struct geom_frame *r, const struct geom_frame *f);

struct exercise_def {
    const char *name;
    frame_signal_fn signal;    /* phase: low at rest, high at the far end; NAN if unmeasurable */
    const char *signal_unit;
    struct counter_signal seg; /* prior amplitude, noise floor, count at far end or at return */
    frame_pose_fn envelope;    /* posture where reps can happen (NULL: any valid frame) */
    frame_pose_fn rest_pose;
    frame_pose_fn far_pose;
    cycle_check_fn cycle_check;
    int is_hold;               /* plank: no reps, hold time and form over time */
    rule_measure_fn depth;     /* may be NULL */
    const char *depth_name;
    int sym_joint;             /* joint for left/right symmetry (enum ex_joint), -1 none */
    const struct form_rule *rules;
    int n_rules;
};

enum ex_joint { EX_JOINT_KNEE = 0, EX_JOINT_HIP, EX_JOINT_ELBOW, EX_JOINT_SHOULDER };

/* Registry (exercises/registry.c). */
int exercise_count(void);
const struct exercise_def *exercise_at(int i);
const struct exercise_def *exercise_find(const char *name);
int exercise_index(const struct exercise_def *ex);

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
