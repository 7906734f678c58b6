/* deadlift.c - deadlift (conventional, sumo, Romanian): how far the shoulders have come down
 * towards the hips' height, counted when the athlete stands tall again; back rounding,
 * lockout, balance. */
#include <math.h>

#include "analysis/form.h"
#include "analysis/posture.h"

/* How far the bar (the hands) has come down from the hips towards the feet: (wrist - hip) /
 * (|wrist - hip| + |ankle - wrist|), about 0.1 standing, 0.5 at the knees, towards 1 at the
 * floor. It reads the bar, so hips high (Romanian) or low (conventional) alike. */
static float signal(const struct geom_frame *g)
{
    float a = pos_y(g, RR_LM_LEFT_ANKLE), h = pos_y(g, RR_LM_LEFT_HIP);
    float w = pos_y(g, RR_LM_LEFT_WRIST);
    return pos_span(g, w - h, w - h, a - w, GEOM_SEG_THIGH, GEOM_SEG_SHIN);
}

/* On the feet: hips above the ankles, shoulders above the hips. */
static int envelope(const struct geom_frame *g)
{
    float a = pos_y(g, RR_LM_LEFT_ANKLE), h = pos_y(g, RR_LM_LEFT_HIP);
    float s = pos_y(g, RR_LM_LEFT_SHOULDER);
    return h < a && s < h;
}

/* Standing tall, hands hanging at or below the hips. */
static int rest_pose(const struct geom_frame *g)
{
    float h = pos_y(g, RR_LM_LEFT_HIP), w = pos_y(g, RR_LM_LEFT_WRIST);
    float t = pos_torso_y(g);
    return pos_upright(g) && w > h - 0.3f * t && (!g->iso || g->incl_deg < 35.0f);
}

/* Bottom: hands down at the knees or lower (a squat keeps them above the knees), hips above
 * the ankles. */
static int far_pose(const struct geom_frame *g)
{
    float h = pos_y(g, RR_LM_LEFT_HIP), k = pos_y(g, RR_LM_LEFT_KNEE);
    float a = pos_y(g, RR_LM_LEFT_ANKLE), w = pos_y(g, RR_LM_LEFT_WRIST);
    float shin = a - k;
    return w > k - 0.3f * shin && h < k + 0.3f * shin;
}

static float depth(const struct rule_ctx *c)
{
    return form_reduce(c, c->start, c->turn, form_hip_mean, FORM_MIN);
}

static float rounded(const struct rule_ctx *c)
{
    /* Upper back and head flexed at the bottom and on the way up (the pull). */
    return form_reduce(c, c->turn, c->turn + (c->end - c->turn) / 2, form_neck_flexion,
                       FORM_MEDIAN);
}

static float lockout(const struct rule_ctx *c)
{
    return form_over_outer(c, form_hip_mean, FORM_MAX);
}

static float uneven(const struct rule_ctx *c)
{
    return form_over_rep(c, form_knee_asym, FORM_MEDIAN);
}

static const struct form_rule rules[] = {
    {"rounded_back", rounded, 20.0f, 1, ANALYSIS_SEV_MAJOR, VIEWS_SIDEWAYS, "deg",
     "keep your back flat: chest up, shoulders back, neutral neck", 6.0f, NULL},
    {"incomplete_lockout", lockout, 150.0f, 0, ANALYSIS_SEV_MINOR, VIEWS_ALL, "deg",
     "finish tall: hips fully through at the top", 6.0f, NULL},
    {"uneven_sides", uneven, 20.0f, 1, ANALYSIS_SEV_MINOR, VIEWS_FRONTAL, "deg",
     "push the floor evenly with both legs", 5.0f, NULL},
};

const struct exercise_def exercise_deadlift = {
    .name = "deadlift",
    .signal = signal,
    .signal_unit = "leg_path",
    .seg = {.amp0 = 0.3f, .floor = 0.04f, .count_at_far = 0},
    .envelope = envelope,
    .rest_pose = rest_pose,
    .far_pose = far_pose,
    .depth = depth,
    .depth_name = "min_hip_angle_deg",
    .sym_joint = EX_JOINT_HIP,
    .rules = rules,
    .n_rules = (int)(sizeof rules / sizeof rules[0]),
};
