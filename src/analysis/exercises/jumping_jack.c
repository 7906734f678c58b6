/* jumping_jack.c - jumping jack: arm-abduction signal, counted when the arms are back down;
 * arm and leg range. */
#include <math.h>

#include "../form.h"
#include "../recognise.h"

static float signal(const struct geom_frame *g)
{
    return geom_pair_mean(g->shoulder);
}

static float recognise(const struct series_features *f)
{
    /* Arms sweep from the sides to overhead while the feet jump apart. */
    return recognise_ramp(f->incl_med, 45.0f, 25.0f) * recognise_ramp(f->shoulder_range, 60.0f, 100.0f) *
           recognise_ramp(f->ankle_spread_range, 0.3f, 0.6f) * recognise_ramp(f->shoulder_travel, 0.8f, 0.5f);
}

static float arms(const struct rule_ctx *c)
{
    return form_over_turn(c, form_shoulder_mean, FORM_MAX);
}

static float legs(const struct rule_ctx *c)
{
    return form_over_turn(c, form_ankle_spread, FORM_MAX);
}

static float uneven(const struct rule_ctx *c)
{
    return form_over_turn(c, form_shoulder_asym, FORM_MEDIAN);
}

static const struct form_rule rules[] = {
    {"incomplete_range", arms, 130.0f, 0, ANALYSIS_SEV_MINOR, VIEWS_FRONTAL, "deg",
     "bring your hands all the way overhead"},
    {"narrow_stance", legs, 1.2f, 0, ANALYSIS_SEV_MINOR, VIEWS_FRONTAL, "shoulders",
     "jump your feet wider than your shoulders"},
    {"uneven_sides", uneven, 25.0f, 1, ANALYSIS_SEV_MINOR, VIEWS_FRONTAL, "deg",
     "raise both arms together"},
};

const struct exercise_def exercise_jumping_jack = {
    .name = "jumping_jack",
    .signal = signal,
    .signal_unit = "deg",
    .seg = {.min_range = 60.0f, .hyst = 15.0f, .return_frac = 0.6f, .lead_in = 10.0f,
            .min_rep_s = 0.3f, .max_gap_s = 1.0f, .smooth_s = 0.05f, .count_at_peak = 0},
    .posture = form_posture_upright,
    .recognise = recognise,
    .depth = arms,
    .depth_name = "max_arm_abduction_deg",
    .sym_joint = EX_JOINT_SHOULDER,
    .rules = rules,
    .n_rules = (int)(sizeof rules / sizeof rules[0]),
};
