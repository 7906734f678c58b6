/* push_up.c - push-up: how far the shoulders have come down to the elbows' height (the elbow's
 * height between hands and shoulders), counted when the arms are straight again; depth, body
 * line (sag / pike), head position, elbow flare, lockout and balance. */
#include <math.h>

#include "analysis/form.h"
#include "analysis/params.h"
#include "analysis/posture.h"

/* Image only: (hand - elbow) / (hand - shoulder), 0.5 with straight arms, towards 1 at the
 * bottom. */
static float elbow_height(const struct geom_frame *g)
{
    float w = pos_y(g, RR_LM_LEFT_WRIST), e = pos_y(g, RR_LM_LEFT_ELBOW);
    float s = pos_y(g, RR_LM_LEFT_SHOULDER);
    /* Seen from the head's side the shoulders can come level with the hands: the ratio then
     * means nothing. */
    if (!(fabsf(w - s) >= 0.25f * (fabsf(w - e) + fabsf(e - s))))
        return NAN;
    return pos_clamp(pos_ratio(w - e, w - s), -1.0f, 3.0f);
}

static float elbow_angle(const struct geom_frame *g)
{
    float l = g->elbow[0], r = g->elbow[1];
    return isnan(l) ? r : (isnan(r) ? l : 0.5f * (l + r));
}

/* Elbow flexion (180 - elbow angle) / 100 from the world landmarks when measured (the same from
 * every side: about 0.05 with straight arms, 0.8 at the bottom), else the elbows' height. */
static float signal(const struct geom_frame *g)
{
    if (g->has_world) {
        float e = elbow_angle(g);
        return isnan(e) ? NAN : (180.0f - e) / 100.0f;
    }
    return elbow_height(g);
}

static int envelope(const struct geom_frame *g)
{
    return pos_prone(g);
}

/* Arms long: elbows open past 130 deg (world), or about halfway between hands and shoulders. */
static int rest_pose(const struct geom_frame *g)
{
    if (g->has_world)
        return elbow_angle(g) > 130.0f;
    return elbow_height(g) < 0.75f;
}

/* Bottom: elbows bent past 110 deg (world), or the shoulders down near the elbows' height. */
static int far_pose(const struct geom_frame *g)
{
    if (g->has_world)
        return elbow_angle(g) < 110.0f;
    return elbow_height(g) >= 0.7f;
}

/* Smallest elbow angle in the picture around the bottom (the measure of the training stills). */
static float depth(const struct rule_ctx *c)
{
    return form_over_turn(c, form_elbow_img, FORM_MIN);
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
    {"shallow_depth", depth, 115.0f, 1, ANALYSIS_SEV_MODERATE, VIEWS_SIDEWAYS, "deg",
     "go lower: chest towards the floor", 6.0f, &analysis_fitted.pushup_depth_deg},
    {"hip_sag", hip_sag, 0.18f, 1, ANALYSIS_SEV_MODERATE, VIEWS_SIDEWAYS, "torso",
     "squeeze your glutes: keep your hips in line", 0.06f, NULL},
    {"hips_high", hip_sag, -0.30f, 0, ANALYSIS_SEV_MODERATE, VIEWS_SIDEWAYS, "torso",
     "lower your hips: body in one straight line", 0.06f, NULL},
    {"head_drop", head_drop, 40.0f, 1, ANALYSIS_SEV_MODERATE, VIEWS_SIDEWAYS, "deg",
     "keep your neck neutral: look slightly ahead of your hands", 6.0f, NULL},
    {"elbow_flare", flare, 80.0f, 1, ANALYSIS_SEV_MINOR, VIEWS_ALL, "deg",
     "tuck your elbows to about 45 degrees", 6.0f, NULL},
    {"incomplete_lockout", lockout, 150.0f, 0, ANALYSIS_SEV_MINOR, VIEWS_ALL, "deg",
     "push all the way up", 6.0f, NULL},
    {"uneven_sides", uneven, 20.0f, 1, ANALYSIS_SEV_MINOR, VIEWS_FRONTAL, "deg",
     "push evenly with both arms", 5.0f, NULL},
};

const struct exercise_def exercise_push_up = {
    .name = "push_up",
    .signal = signal,
    .signal_unit = "flexion",
    .seg = {.amp0 = 0.5f, .floor = 0.05f, .count_at_far = 0},
    .envelope = envelope,
    .rest_pose = rest_pose,
    .far_pose = far_pose,
    .depth = depth,
    .depth_name = "min_elbow_angle_image_deg",
    .sym_joint = EX_JOINT_ELBOW,
    .rules = rules,
    .n_rules = (int)(sizeof rules / sizeof rules[0]),
};
