/* push_up.c - push-up: elbow-flexion signal, counted when the arms are straight again; depth,
 * body line (sag / pike), head position, elbow flare, lockout and balance. */
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
    /* Body horizontal, elbows bend and straighten. */
    return recognise_ramp(f->incl_med, 40.0f, 60.0f) * recognise_ramp(f->elbow_range, 25.0f, 45.0f);
}

static float depth(const struct rule_ctx *c)
{
    return form_over_turn(c, form_elbow_mean, FORM_MIN);
}

static float hip_sag(const struct rule_ctx *c)
{
    return form_over_turn(c, form_hip_line_offset, FORM_MEDIAN);
}

static float head_drop(const struct rule_ctx *c)
{
    return form_over_turn(c, form_neck_flexion, FORM_MEDIAN);
}

static float flare(const struct rule_ctx *c)
{
    return form_over_turn(c, form_shoulder_mean, FORM_MEDIAN);
}

static float lockout(const struct rule_ctx *c)
{
    return form_over_outer(c, form_elbow_max, FORM_MAX);
}

static float uneven(const struct rule_ctx *c)
{
    return form_over_turn(c, form_elbow_asym, FORM_MEDIAN);
}

static const struct form_rule rules[] = {
    {"shallow_depth", depth, 110.0f, 1, ANALYSIS_SEV_MODERATE, VIEWS_ALL, "deg",
     "go lower: chest towards the floor"},
    {"hip_sag", hip_sag, 0.25f, 1, ANALYSIS_SEV_MODERATE, VIEWS_SIDEWAYS, "torso",
     "squeeze your glutes: keep your hips in line"},
    {"hips_high", hip_sag, -0.30f, 0, ANALYSIS_SEV_MODERATE, VIEWS_SIDEWAYS, "torso",
     "lower your hips: body in one straight line"},
    {"head_drop", head_drop, 40.0f, 1, ANALYSIS_SEV_MODERATE, VIEWS_SIDEWAYS, "deg",
     "keep your neck neutral: look slightly ahead of your hands"},
    {"elbow_flare", flare, 80.0f, 1, ANALYSIS_SEV_MINOR, VIEWS_ALL, "deg",
     "tuck your elbows to about 45 degrees"},
    {"incomplete_lockout", lockout, 150.0f, 0, ANALYSIS_SEV_MINOR, VIEWS_ALL, "deg",
     "push all the way up"},
    {"uneven_sides", uneven, 20.0f, 1, ANALYSIS_SEV_MINOR, VIEWS_FRONTAL, "deg",
     "push evenly with both arms"},
};

const struct exercise_def exercise_push_up = {
    .name = "push_up",
    .signal = signal,
    .signal_unit = "deg",
    .seg = {.min_range = 35.0f, .hyst = 10.0f, .return_frac = 0.6f, .lead_in = 8.0f,
            .min_rep_s = 0.4f, .max_gap_s = 1.0f, .smooth_s = 0.08f, .count_at_peak = 0},
    .posture = form_posture_horizontal,
    .recognise = recognise,
    .depth = depth,
    .depth_name = "min_elbow_angle_deg",
    .sym_joint = EX_JOINT_ELBOW,
    .rules = rules,
    .n_rules = (int)(sizeof rules / sizeof rules[0]),
};
