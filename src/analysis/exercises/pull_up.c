/* pull_up.c - pull-up / chin-up: how close the shoulders come to the hands, in torso lengths,
 * counted at the top; chin over the bar, full hang, kipping. */
#include <math.h>

#include "analysis/form.h"
#include "analysis/posture.h"

/* How far the body has come up to the hands: minus how far the hands are raised over the
 * shoulders (posture.h), -1 hanging on straight arms, about -0.2 at the top. */
static float signal(const struct geom_frame *g)
{
    return -pos_arm_lift(g);
}

/* Hanging from the hands: hands above the shoulders (at the top they may come level with
 * them), shoulders above the hips, legs below them. */
static int envelope(const struct geom_frame *g)
{
    float s = pos_y(g, RR_LM_LEFT_SHOULDER), h = pos_y(g, RR_LM_LEFT_HIP);
    float w = pos_yhigh(g, RR_LM_LEFT_WRIST);
    float k = pos_y(g, RR_LM_LEFT_KNEE), a = pos_y(g, RR_LM_LEFT_ANKLE);
    float legs = isnan(a) ? k : a; /* hanging: legs below the hips, not lying level */
    float top = isnan(h) ? s : s + 0.1f * (h - s); /* hips may be out of the picture */
    return w < top && !(s >= h) && !(legs - h < 0.3f * (h - s)) && pos_torso_tall(g);
}

/* Hang: hands an arm's length above the shoulders, well above the head. */
static int rest_pose(const struct geom_frame *g)
{
    float n = pos_nose_y(g), w = pos_yhigh(g, RR_LM_LEFT_WRIST), t = pos_torso_y(g);
    return signal(g) < -0.7f && !(w > n - 0.25f * t);
}

/* Top: shoulders up close to the hands (elbows bent down by the sides). */
static int far_pose(const struct geom_frame *g)
{
    return signal(g) > -0.6f;
}

/* The body moves up to the hands, the hands stay on the bar (a press moves the hands): in the
 * picture the shoulders travel further than the wrists. Without a known image size positions
 * are normalised per frame and cannot tell. */
static int cycle_check(const struct geom_frame *r, const struct geom_frame *f)
{
    if (!r->iso || !f->iso)
        return 1;
    float ds = fabsf(pos_y(f, RR_LM_LEFT_SHOULDER) - pos_y(r, RR_LM_LEFT_SHOULDER));
    float dw = fabsf(pos_y(f, RR_LM_LEFT_WRIST) - pos_y(r, RR_LM_LEFT_WRIST));
    if (isnan(ds) || isnan(dw))
        return 1;
    return ds > dw;
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
    {"partial_range", chin, 0.25f, 0, ANALYSIS_SEV_MODERATE, VIEWS_ALL, "torso",
     "pull until your chin is over the bar", 0.04f, NULL},
    {"incomplete_lockout", hang, 150.0f, 0, ANALYSIS_SEV_MINOR, VIEWS_ALL, "deg",
     "lower all the way to straight arms", 6.0f, NULL},
    {"kipping", swing, 20.0f, 1, ANALYSIS_SEV_MODERATE, VIEWS_ALL, "deg",
     "stay tight: no kipping or swinging", 5.0f, NULL},
};

const struct exercise_def exercise_pull_up = {
    .name = "pull_up",
    .signal = signal,
    .signal_unit = "arm_path",
    .seg = {.amp0 = 0.7f, .floor = 0.07f, .count_at_far = 1},
    .envelope = envelope,
    .rest_pose = rest_pose,
    .far_pose = far_pose,
    .cycle_check = cycle_check,
    .depth = depth,
    .depth_name = "min_elbow_angle_deg",
    .sym_joint = EX_JOINT_ELBOW,
    .rules = rules,
    .n_rules = (int)(sizeof rules / sizeof rules[0]),
};
