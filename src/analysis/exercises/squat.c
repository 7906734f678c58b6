/* squat.c - squat: the hips' height over the ankles as a share of the shoulders' height, counted
 * when the athlete is back up; depth, knee tracking, torso lean, heels, knees over toes and
 * left/right balance. */
#include <math.h>

#include "analysis/form.h"
#include "analysis/params.h"
#include "analysis/posture.h"

/* How far the hips have come down to the knees: without a known image size -(knee - hip) /
 * (|knee - hip| + |ankle - knee|), about -0.5 standing, 0 with the thighs level, above 0 below
 * parallel. Lean-proof: it reads the legs only. */
static float signal(const struct geom_frame *g)
{
    float a = pos_y(g, RR_LM_LEFT_ANKLE), h = pos_y(g, RR_LM_LEFT_HIP);
    float k = pos_y(g, RR_LM_LEFT_KNEE);
    /* With a known image size: the hips' height over the knees in the person's usual thigh
     * lengths (-1 standing, 0 thighs level; the shins and feet need not be seen). */
    float thigh = g->ref_len[GEOM_SEG_THIGH];
    if (g->iso && thigh > 1e-4f)
        return isnan(k - h) ? NAN : pos_clamp(-(k - h) / thigh, -1.5f, 1.5f);
    return -pos_path(k - h, a - k);
}

static int envelope(const struct geom_frame *g)
{
    return pos_upright(g);
}

/* A thigh's length (the usual one with a known image size, else the shin's height). */
static float yardstick(const struct geom_frame *g)
{
    float thigh = g->ref_len[GEOM_SEG_THIGH];
    if (g->iso && thigh > 1e-4f)
        return thigh;
    return pos_y(g, RR_LM_LEFT_ANKLE) - pos_y(g, RR_LM_LEFT_KNEE);
}

/* Standing: thighs closer to vertical than to horizontal (hips well above the knees). */
static int rest_pose(const struct geom_frame *g)
{
    float h = pos_y(g, RR_LM_LEFT_HIP), k = pos_y(g, RR_LM_LEFT_KNEE);
    return k - h > 0.5f * yardstick(g);
}

/* Bottom: hips down towards the knees, knees level (not a lunge), hands above the knees (not
 * a deadlift). */
static int far_pose(const struct geom_frame *g)
{
    float h = pos_y(g, RR_LM_LEFT_HIP), k = pos_y(g, RR_LM_LEFT_KNEE);
    float w = pos_y(g, RR_LM_LEFT_WRIST);
    float klo = pos_ylow(g, RR_LM_LEFT_KNEE), khi = pos_yhigh(g, RR_LM_LEFT_KNEE);
    float len = yardstick(g);
    return k - h <= 0.5f * len && !(klo - khi > 0.4f * len) && !(w > k);
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

/* Torso leaning further than the shins at the bottom (balanced squats keep them parallel). */
static float lean(const struct rule_ctx *c)
{
    return form_over_turn(c, form_trunk_tibia, FORM_MEDIAN);
}

/* Heel above toe at the bottom minus standing (form_rest_low: the rest frames before the rep;
 * for a rep without them, the lowest reading in its first and last sixth). */
static float heels(const struct rule_ctx *c)
{
    float base = form_rest_low(c, form_heel_lift);
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
     "squat deeper: hips down to knee height", 0.08f, NULL},
    {"knee_valgus", valgus, 0.75f, 0, ANALYSIS_SEV_MODERATE, VIEWS_FRONTAL, "ratio",
     "push your knees out over your toes", 0.08f, &analysis_fitted.squat_valgus_ratio},
    {"forward_lean", lean, 25.0f, 1, ANALYSIS_SEV_MODERATE, VIEWS_ALL, "deg",
     "keep your chest up", 5.0f, NULL},
    {"heels_rise", heels, 0.08f, 1, ANALYSIS_SEV_MODERATE, VIEW_BIT(ANALYSIS_VIEW_SIDE), "shin",
     "keep your heels on the floor", 0.04f, NULL},
    {"knees_past_toes", knees_toes, 0.35f, 1, ANALYSIS_SEV_MINOR, VIEW_BIT(ANALYSIS_VIEW_SIDE),
     "shin", "sit back: send your hips back, not your knees forward", 0.08f, NULL},
    {"uneven_sides", uneven, 20.0f, 1, ANALYSIS_SEV_MINOR, VIEWS_FRONTAL, "deg",
     "spread your weight evenly on both legs", 5.0f, NULL},
};

const struct exercise_def exercise_squat = {
    .name = "squat",
    .signal = signal,
    .signal_unit = "leg_path",
    .seg = {.amp0 = 0.45f, .amp0_iso = 0.8f, .floor = 0.05f, .count_at_far = 0},
    .envelope = envelope,
    .rest_pose = rest_pose,
    .far_pose = far_pose,
    .depth = depth,
    .depth_name = "min_knee_angle_deg",
    .sym_joint = EX_JOINT_KNEE,
    .rules = rules,
    .n_rules = (int)(sizeof rules / sizeof rules[0]),
};
