/* lunge.c - lunge (static or walking): the hips' height over the front foot as a share of the
 * shoulders', counted when the athlete is back up; depth, torso lean, front knee over toes. */
#include <math.h>

#include "analysis/form.h"
#include "analysis/posture.h"

/* How far the hips have come down to the front knee (the higher one) over the front foot (the
 * lower ankle): -(knee - hip) / (|knee - hip| + |ankle - knee|), about -0.5 standing, 0 with
 * the front thigh level. */
static float signal(const struct geom_frame *g)
{
    float a = pos_ylow(g, RR_LM_LEFT_ANKLE), h = pos_y(g, RR_LM_LEFT_HIP);
    float k = pos_yhigh(g, RR_LM_LEFT_KNEE);
    float thigh = g->ref_len[GEOM_SEG_THIGH];
    if (g->iso && thigh > 1e-4f) /* the front thigh, in usual thigh lengths */
        return isnan(k - h) ? NAN : pos_clamp(-(k - h) / thigh, -1.5f, 1.5f);
    return -pos_path(k - h, a - k);
}

static int envelope(const struct geom_frame *g)
{
    return pos_upright(g);
}

/* Standing: hips a thigh's length above the knees. */
static int rest_pose(const struct geom_frame *g)
{
    float h = pos_y(g, RR_LM_LEFT_HIP), k = pos_yhigh(g, RR_LM_LEFT_KNEE);
    return k - h > 0.5f * pos_torso_y(g);
}

/* Bottom: one knee (the back one) well below the other. */
static int far_pose(const struct geom_frame *g)
{
    float klo = pos_ylow(g, RR_LM_LEFT_KNEE), khi = pos_yhigh(g, RR_LM_LEFT_KNEE);
    return klo - khi > 0.35f * pos_torso_y(g);
}

static float front_knee(const struct geom_frame *g, int side)
{
    float l = form_knee_angle(g, 0), r = form_knee_angle(g, 1);
    (void)side;
    if (isnan(l))
        return r;
    if (isnan(r))
        return l;
    return l > r ? l : r;
}

static float depth(const struct rule_ctx *c)
{
    return form_over_turn(c, front_knee, FORM_MIN);
}

static float lean(const struct rule_ctx *c)
{
    return form_over_turn(c, form_torso_incl, FORM_MEDIAN);
}

static float knee_toe(const struct geom_frame *g, int side)
{
    (void)side;
    float l = form_knee_over_toe(g, 0), r = form_knee_over_toe(g, 1);
    if (isnan(l))
        return r;
    if (isnan(r))
        return l;
    return l > r ? l : r;
}

static float knees_toes(const struct rule_ctx *c)
{
    return form_over_turn(c, knee_toe, FORM_MEDIAN);
}

static const struct form_rule rules[] = {
    {"shallow_depth", depth, 110.0f, 1, ANALYSIS_SEV_MODERATE, VIEWS_ALL, "deg",
     "step long and lower your back knee towards the floor", 6.0f, NULL},
    {"forward_lean", lean, 35.0f, 1, ANALYSIS_SEV_MINOR, VIEWS_ALL, "deg",
     "keep your torso upright", 5.0f, NULL},
    {"knees_past_toes", knees_toes, 0.2f, 1, ANALYSIS_SEV_MINOR, VIEW_BIT(ANALYSIS_VIEW_SIDE), "shin",
     "keep your front knee above your ankle", 0.08f, NULL},
};

const struct exercise_def exercise_lunge = {
    .name = "lunge",
    .signal = signal,
    .signal_unit = "leg_path",
    .seg = {.amp0 = 0.4f, .amp0_iso = 0.8f, .floor = 0.05f, .count_at_far = 0},
    .envelope = envelope,
    .rest_pose = rest_pose,
    .far_pose = far_pose,
    .depth = depth,
    .depth_name = "min_front_knee_angle_deg",
    .sym_joint = -1, /* one leg leads: symmetry is not meaningful per rep */
    .rules = rules,
    .n_rules = (int)(sizeof rules / sizeof rules[0]),
};
