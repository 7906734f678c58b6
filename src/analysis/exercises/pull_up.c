/* pull_up.c - pull-up / chin-up: shoulder height relative to the hands, counted at the top;
 * chin over the bar, full hang, swinging. */
#include <math.h>

#include "../form.h"
#include "../recognise.h"

static float signal(const struct geom_frame *g)
{
    float sum = 0.0f;
    int n = 0;
    for (int s = 0; s < 2; s++) {
        if (geom_usable(g, RR_LM_LEFT_WRIST + s) && geom_usable(g, RR_LM_LEFT_SHOULDER + s)) {
            sum += g->src->image[RR_LM_LEFT_WRIST + s].y - g->src->image[RR_LM_LEFT_SHOULDER + s].y;
            n++;
        }
    }
    return n ? sum / (float)n / g->torso_img : NAN;
}

static float recognise(const struct series_features *f)
{
    /* Hands overhead most of the time while the whole body moves up and down under them. */
    return recognise_ramp(f->incl_med, 45.0f, 25.0f) * recognise_ramp(f->overhead_frac, 0.2f, 0.4f) *
           recognise_ramp(f->shoulder_travel, 0.3f, 0.6f) * recognise_ramp(f->wrist_rise_range, 0.3f, 0.5f) *
           recognise_ramp(f->wrist_travel, 0.5f, 0.25f) * recognise_ramp(f->knee_range, 60.0f, 35.0f);
}

static float chin(const struct rule_ctx *c)
{
    return form_over_turn(c, form_chin_over_hands, FORM_MAX);
}

static float hang(const struct rule_ctx *c)
{
    return form_over_outer(c, form_elbow_max, FORM_MAX);
}

static float swing(const struct rule_ctx *c)
{
    return form_over_rep(c, form_torso_incl, FORM_RANGE);
}

static float depth(const struct rule_ctx *c)
{
    return form_over_turn(c, form_elbow_mean, FORM_MIN);
}

static const struct form_rule rules[] = {
    {"shallow_depth", chin, 0.0f, 0, ANALYSIS_SEV_MODERATE, VIEWS_ALL, "torso",
     "pull until your chin is over the bar"},
    {"incomplete_lockout", hang, 150.0f, 0, ANALYSIS_SEV_MINOR, VIEWS_ALL, "deg",
     "lower all the way to straight arms"},
    {"torso_swing", swing, 25.0f, 1, ANALYSIS_SEV_MINOR, VIEWS_ALL, "deg",
     "stay tight: no kipping or swinging"},
};

const struct exercise_def exercise_pull_up = {
    .name = "pull_up",
    .signal = signal,
    .signal_unit = "torso",
    .seg = {.min_range = 0.4f, .hyst = 0.1f, .return_frac = 0.6f, .lead_in = 0.08f,
            .min_rep_s = 0.4f, .max_gap_s = 1.0f, .smooth_s = 0.08f, .count_at_peak = 1},
    .posture = form_posture_upright,
    .recognise = recognise,
    .depth = depth,
    .depth_name = "min_elbow_angle_deg",
    .sym_joint = EX_JOINT_ELBOW,
    .rules = rules,
    .n_rules = (int)(sizeof rules / sizeof rules[0]),
};
