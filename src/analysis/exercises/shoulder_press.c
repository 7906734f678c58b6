/* shoulder_press.c - overhead / shoulder press (incl. Arnold press): hand height over the
 * shoulders, counted at the top; lockout, back arch, balance. */
#include <math.h>

#include "../form.h"
#include "../recognise.h"

static float signal(const struct geom_frame *g)
{
    float sum = 0.0f;
    int n = 0;
    for (int s = 0; s < 2; s++) {
        if (geom_usable(g, RR_LM_LEFT_WRIST + s) && geom_usable(g, RR_LM_LEFT_SHOULDER + s)) {
            sum += g->src->image[RR_LM_LEFT_SHOULDER + s].y - g->src->image[RR_LM_LEFT_WRIST + s].y;
            n++;
        }
    }
    return n ? sum / (float)n / g->torso_img : NAN;
}

static float recognise(const struct series_features *f)
{
    /* Standing, hands travel from shoulder height to overhead, the body itself stays put
     * (a pull-up moves the body under fixed hands). */
    return recognise_ramp(f->incl_med, 45.0f, 25.0f) * recognise_ramp(f->wrist_rise_range, 0.4f, 0.7f) *
           recognise_ramp(f->overhead_frac, 0.05f, 0.2f) * recognise_ramp(f->shoulder_travel, 0.5f, 0.25f) *
           recognise_ramp(f->ankle_spread_range, 1.0f, 0.6f) * recognise_ramp(f->elbow_range, 25.0f, 40.0f);
}

static float lockout(const struct rule_ctx *c)
{
    return form_over_turn(c, form_elbow_max, FORM_MAX);
}

static float arch(const struct rule_ctx *c)
{
    return form_over_turn(c, form_torso_incl, FORM_MEDIAN);
}

static float uneven(const struct rule_ctx *c)
{
    return form_over_turn(c, form_elbow_asym, FORM_MEDIAN);
}

static float depth(const struct rule_ctx *c)
{
    return form_over_turn(c, form_wrist_over_shoulder, FORM_MAX);
}

static const struct form_rule rules[] = {
    {"incomplete_lockout", lockout, 150.0f, 0, ANALYSIS_SEV_MODERATE, VIEWS_ALL, "deg",
     "press all the way up: straight arms overhead"},
    {"back_arch", arch, 20.0f, 1, ANALYSIS_SEV_MODERATE, VIEWS_SIDEWAYS, "deg",
     "brace your core: ribs down, no leaning back"},
    {"uneven_sides", uneven, 25.0f, 1, ANALYSIS_SEV_MINOR, VIEWS_FRONTAL, "deg",
     "press evenly with both arms"},
};

const struct exercise_def exercise_shoulder_press = {
    .name = "shoulder_press",
    .signal = signal,
    .signal_unit = "torso",
    .seg = {.min_range = 0.45f, .hyst = 0.12f, .return_frac = 0.6f, .lead_in = 0.1f,
            .min_rep_s = 0.4f, .max_gap_s = 1.0f, .smooth_s = 0.08f, .count_at_peak = 1},
    .posture = form_posture_upright,
    .recognise = recognise,
    .depth = depth,
    .depth_name = "max_hands_over_shoulders_torso",
    .sym_joint = EX_JOINT_ELBOW,
    .rules = rules,
    .n_rules = (int)(sizeof rules / sizeof rules[0]),
};
