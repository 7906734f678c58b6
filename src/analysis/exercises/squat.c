/* squat.c - squat: knee-flexion signal, counted when the athlete is back up; depth, knee
 * tracking, torso lean, heels, knees over toes and left/right balance. */
#include <math.h>

#include "../form.h"
#include "../recognise.h"

static float signal(const struct geom_frame *g)
{
    float k = geom_pair_mean(g->knee);
    return isnan(k) ? NAN : 180.0f - k;
}

static float recognise(const struct series_features *f)
{
    /* Both knees and hips bend a lot, the hips travel down, the torso stays fairly upright,
     * the feet stay side by side and the hands do not hang to the shins (deadlift). */
    return recognise_ramp(f->incl_med, 60.0f, 35.0f) * recognise_ramp(f->knee_range, 25.0f, 45.0f) *
           recognise_ramp(f->hip_range, 20.0f, 40.0f) * recognise_ramp(f->hip_travel, 0.15f, 0.35f) *
           recognise_ramp(f->stagger, 0.55f, 0.35f) * (isnan(f->hang_depth) ? 1.0f : recognise_ramp(f->hang_depth, 0.6f, 0.35f));
}

static float depth(const struct rule_ctx *c)
{
    return form_over_turn(c, form_knee_mean, FORM_MIN);
}

static float shallow(const struct rule_ctx *c)
{
    return form_over_turn(c, form_hip_over_knee, FORM_MIN);
}

static float valgus(const struct rule_ctx *c)
{
    return form_over_turn(c, form_knee_track_ratio, FORM_MIN);
}

static float lean(const struct rule_ctx *c)
{
    return form_over_turn(c, form_torso_incl, FORM_MEDIAN);
}

static float heels(const struct rule_ctx *c)
{
    float base = form_over_start(c, form_heel_lift, FORM_MEDIAN);
    float peak = form_over_turn(c, form_heel_lift, FORM_MEDIAN);
    return (isnan(base) || isnan(peak)) ? NAN : peak - base;
}

static float knees_toes(const struct rule_ctx *c)
{
    return form_over_turn(c, form_knee_over_toe, FORM_MEDIAN);
}

static float uneven(const struct rule_ctx *c)
{
    return form_over_turn(c, form_knee_asym, FORM_MEDIAN);
}

static const struct form_rule rules[] = {
    {"shallow_depth", shallow, 0.35f, 1, ANALYSIS_SEV_MODERATE, VIEWS_ALL, "thigh",
     "squat deeper: hips down to knee height"},
    {"knee_valgus", valgus, 0.75f, 0, ANALYSIS_SEV_MODERATE, VIEWS_FRONTAL, "ratio",
     "push your knees out over your toes"},
    {"forward_lean", lean, 55.0f, 1, ANALYSIS_SEV_MODERATE, VIEWS_ALL, "deg",
     "keep your chest up"},
    {"heels_rise", heels, 0.10f, 1, ANALYSIS_SEV_MODERATE, VIEWS_SIDEWAYS, "shin",
     "keep your heels on the floor"},
    {"knees_past_toes", knees_toes, 0.35f, 1, ANALYSIS_SEV_MINOR, VIEWS_SIDEWAYS, "shin",
     "sit back: send your hips back, not your knees forward"},
    {"uneven_sides", uneven, 20.0f, 1, ANALYSIS_SEV_MINOR, VIEWS_FRONTAL, "deg",
     "spread your weight evenly on both legs"},
};

const struct exercise_def exercise_squat = {
    .name = "squat",
    .signal = signal,
    .signal_unit = "deg",
    .seg = {.min_range = 35.0f, .hyst = 10.0f, .return_frac = 0.6f, .lead_in = 8.0f,
            .min_rep_s = 0.4f, .max_gap_s = 1.0f, .smooth_s = 0.08f, .count_at_peak = 0},
    .posture = form_posture_upright,
    .recognise = recognise,
    .depth = depth,
    .depth_name = "min_knee_angle_deg",
    .sym_joint = EX_JOINT_KNEE,
    .rules = rules,
    .n_rules = (int)(sizeof rules / sizeof rules[0]),
};
