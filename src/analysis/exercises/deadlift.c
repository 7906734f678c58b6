/* deadlift.c - deadlift: hip-extension signal, counted at lockout; back rounding, lockout,
 * balance. */
#include <math.h>

#include "../form.h"
#include "../recognise.h"

static float signal(const struct geom_frame *g)
{
    return geom_pair_mean(g->hip);
}

static float recognise(const struct series_features *f)
{
    /* A big hip hinge with the torso well forward at the bottom, straight arms and the hands
     * hanging far below the hips. */
    return recognise_ramp(f->hip_range, 25.0f, 45.0f) * recognise_ramp(f->incl_at_deepest, 30.0f, 45.0f) *
           recognise_ramp(f->hang_depth, 0.35f, 0.6f) * recognise_ramp(f->elbow_min, 110.0f, 135.0f) *
           recognise_ramp(f->incl_med, 75.0f, 60.0f);
}

static float depth(const struct rule_ctx *c)
{
    return form_reduce(c, c->start, c->turn, form_hip_mean, FORM_MIN);
}

static float rounded(const struct rule_ctx *c)
{
    /* Upper back and head flexed while the bar leaves the floor: the first half of the pull. */
    size_t mid = c->start + (c->turn - c->start) / 2;
    return form_reduce(c, c->start, mid, form_neck_flexion, FORM_MEDIAN);
}

static float lockout(const struct rule_ctx *c)
{
    return form_over_turn(c, form_hip_mean, FORM_MAX);
}

static float uneven(const struct rule_ctx *c)
{
    return form_over_rep(c, form_knee_asym, FORM_MEDIAN);
}

static const struct form_rule rules[] = {
    {"rounded_back", rounded, 38.0f, 1, ANALYSIS_SEV_MAJOR, VIEWS_SIDEWAYS, "deg",
     "keep your back flat: chest up, shoulders back, neutral neck"},
    {"incomplete_lockout", lockout, 150.0f, 0, ANALYSIS_SEV_MINOR, VIEWS_ALL, "deg",
     "finish tall: hips fully through at the top"},
    {"uneven_sides", uneven, 20.0f, 1, ANALYSIS_SEV_MINOR, VIEWS_FRONTAL, "deg",
     "push the floor evenly with both legs"},
};

const struct exercise_def exercise_deadlift = {
    .name = "deadlift",
    .signal = signal,
    .signal_unit = "deg",
    .seg = {.min_range = 40.0f, .hyst = 10.0f, .return_frac = 0.6f, .lead_in = 8.0f,
            .min_rep_s = 0.4f, .max_gap_s = 1.0f, .smooth_s = 0.08f, .count_at_peak = 1},
    .posture = NULL,
    .recognise = recognise,
    .depth = depth,
    .depth_name = "min_hip_angle_deg",
    .sym_joint = EX_JOINT_HIP,
    .rules = rules,
    .n_rules = (int)(sizeof rules / sizeof rules[0]),
};
