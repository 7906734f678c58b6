/* biceps_curl.c - biceps curl: elbow-flexion signal, counted at the top; torso swing, elbow
 * drift, range and balance. */
#include <math.h>

#include "../form.h"
#include "../recognise.h"

static float signal(const struct geom_frame *g)
{
    float e = geom_pair_mean(g->elbow);
    return isnan(e) ? NAN : 180.0f - e;
}

static float recognise(const struct series_features *f)
{
    /* Standing, elbows bend a lot, hands stay below the head, legs and upper arms quiet. */
    return recognise_ramp(f->incl_med, 45.0f, 25.0f) * recognise_ramp(f->elbow_range, 30.0f, 50.0f) *
           recognise_ramp(f->overhead_frac, 0.2f, 0.05f) * recognise_ramp(f->knee_range, 35.0f, 20.0f) *
           recognise_ramp(f->shoulder_range, 70.0f, 45.0f) * recognise_ramp(f->hip_travel, 0.3f, 0.15f);
}

static float depth(const struct rule_ctx *c)
{
    return form_over_turn(c, form_elbow_mean, FORM_MIN);
}

static float swing(const struct rule_ctx *c)
{
    return form_over_rep(c, form_torso_incl, FORM_RANGE);
}

static float drift(const struct rule_ctx *c)
{
    return form_over_turn(c, form_shoulder_mean, FORM_MEDIAN);
}

static float uneven(const struct rule_ctx *c)
{
    return form_over_turn(c, form_elbow_asym, FORM_MEDIAN);
}

static const struct form_rule rules[] = {
    {"torso_swing", swing, 15.0f, 1, ANALYSIS_SEV_MODERATE, VIEWS_ALL, "deg",
     "stand still: no swinging, let the arms do the work"},
    {"elbow_drift", drift, 60.0f, 1, ANALYSIS_SEV_MINOR, VIEWS_ALL, "deg",
     "keep your elbows pinned to your sides"},
    {"partial_range", depth, 95.0f, 1, ANALYSIS_SEV_MINOR, VIEWS_ALL, "deg",
     "curl all the way up"},
    {"uneven_sides", uneven, 20.0f, 1, ANALYSIS_SEV_MINOR, VIEWS_FRONTAL, "deg",
     "lift evenly with both arms"},
};

const struct exercise_def exercise_biceps_curl = {
    .name = "biceps_curl",
    .signal = signal,
    .signal_unit = "deg",
    .seg = {.min_range = 45.0f, .hyst = 10.0f, .return_frac = 0.6f, .lead_in = 9.0f,
            .min_rep_s = 0.4f, .max_gap_s = 1.0f, .smooth_s = 0.08f, .count_at_peak = 1},
    .posture = form_posture_upright,
    .recognise = recognise,
    .depth = depth,
    .depth_name = "min_elbow_angle_deg",
    .sym_joint = EX_JOINT_ELBOW,
    .rules = rules,
    .n_rules = (int)(sizeof rules / sizeof rules[0]),
};
