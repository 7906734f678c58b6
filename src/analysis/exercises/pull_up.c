/* pull_up.c - pull-up / chin-up: how close the shoulders come to the hands, in torso lengths,
 * counted at the top; chin over the bar, full hang, kipping. */
#include <math.h>

#include "../form.h"
#include "../posture.h"

/* -(shoulder - hand) / torso, the hand being the higher one: about -1 hanging, -0.3 at the
 * top. */
static float signal(const struct geom_frame *g)
{
    float s = pos_y(g, RR_LM_LEFT_SHOULDER), w = pos_yhigh(g, RR_LM_LEFT_WRIST);
    return -pos_ratio(s - w, pos_torso_y(g));
}

/* Hanging from the hands: hands above the shoulders, shoulders above the hips. */
static int envelope(const struct geom_frame *g)
{
    float s = pos_y(g, RR_LM_LEFT_SHOULDER), h = pos_y(g, RR_LM_LEFT_HIP);
    float w = pos_yhigh(g, RR_LM_LEFT_WRIST);
    return w < s && s < h;
}

/* Hang: hands an arm's length above the shoulders. */
static int rest_pose(const struct geom_frame *g)
{
    return signal(g) < -0.7f;
}

/* Top: shoulders up close to the hands. */
static int far_pose(const struct geom_frame *g)
{
    return signal(g) > -0.5f;
}

/* The hips move, the hands stay (a press moves the hands). */
static int cycle_check(const struct geom_frame *r, const struct geom_frame *f)
{
    if (!r->iso || !f->iso)
        return 1;
    float dh = fabsf(pos_y(f, RR_LM_LEFT_HIP) - pos_y(r, RR_LM_LEFT_HIP));
    float dw = fabsf(pos_yhigh(f, RR_LM_LEFT_WRIST) - pos_yhigh(r, RR_LM_LEFT_WRIST));
    if (isnan(dh) || isnan(dw))
        return 1;
    return dh > dw;
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
     "pull until your chin is over the bar", 0.08f},
    {"incomplete_lockout", hang, 150.0f, 0, ANALYSIS_SEV_MINOR, VIEWS_ALL, "deg",
     "lower all the way to straight arms", 6.0f},
    {"torso_swing", swing, 25.0f, 1, ANALYSIS_SEV_MINOR, VIEWS_ALL, "deg",
     "stay tight: no kipping or swinging", 5.0f},
};

const struct exercise_def exercise_pull_up = {
    .name = "pull_up",
    .signal = signal,
    .signal_unit = "torso",
    .seg = {.amp0 = 0.6f, .floor = 0.06f, .count_at_far = 1},
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
