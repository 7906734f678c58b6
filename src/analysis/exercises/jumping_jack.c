/* jumping_jack.c - jumping jack: the hands' height over the shoulders in torso lengths,
 * counted when arms and feet are back together; arm range, stance width, balance. */
#include <math.h>

#include "analysis/form.h"
#include "analysis/posture.h"

/* How far the hands are raised (posture.h): -1 with the arms down, +1 overhead. */
static float signal(const struct geom_frame *g)
{
    return pos_arm_lift(g);
}

static int envelope(const struct geom_frame *g)
{
    return pos_upright(g);
}

/* Arms down by the sides. */
static int rest_pose(const struct geom_frame *g)
{
    return signal(g) < -0.5f;
}

/* Arms overhead with the feet apart (wider than the shoulders). */
static int far_pose(const struct geom_frame *g)
{
    float feet = pos_spread(g, RR_LM_LEFT_ANKLE), sh = pos_spread(g, RR_LM_LEFT_SHOULDER);
    return signal(g) > 0.2f && feet > 1.1f * sh;
}

/* The feet jump apart: wider at the far end than at rest (a stance that stays put is not a
 * jumping jack). */
static int cycle_check(const struct geom_frame *r, const struct geom_frame *f)
{
    float fr = pos_spread(r, RR_LM_LEFT_ANKLE), ff = pos_spread(f, RR_LM_LEFT_ANKLE);
    if (isnan(fr) || isnan(ff))
        return 1;
    return ff > 1.3f * fr;
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
     "bring your hands all the way overhead", 6.0f, NULL},
    {"narrow_stance", legs, 1.2f, 0, ANALYSIS_SEV_MINOR, VIEWS_FRONTAL, "shoulders",
     "jump your feet wider than your shoulders", 0.1f, NULL},
    {"uneven_sides", uneven, 30.0f, 1, ANALYSIS_SEV_MINOR, VIEWS_FRONTAL, "deg",
     "raise both arms together", 8.0f, NULL},
};

const struct exercise_def exercise_jumping_jack = {
    .name = "jumping_jack",
    .signal = signal,
    .signal_unit = "arm_path",
    .seg = {.amp0 = 1.6f, .floor = 0.15f, .count_at_far = 0},
    .envelope = envelope,
    .rest_pose = rest_pose,
    .far_pose = far_pose,
    .cycle_check = cycle_check,
    .depth = arms,
    .depth_name = "max_arm_abduction_deg",
    .sym_joint = EX_JOINT_SHOULDER,
    .rules = rules,
    .n_rules = (int)(sizeof rules / sizeof rules[0]),
};
