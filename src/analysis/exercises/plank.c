/* plank.c - plank (hold, on hands or forearms): time in position and body line over time. */
#include <math.h>

#include "analysis/form.h"
#include "analysis/posture.h"

/* In the hold position: lying face down on hands or forearms, legs straight. */
static int hold_pose(const struct geom_frame *g)
{
    float k = geom_pair_mean(g->knee);
    return pos_prone(g) && (isnan(k) || k >= 140.0f);
}

static float hip_line(const struct rule_ctx *c)
{
    return form_over_rep(c, form_hip_line_offset, FORM_MEDIAN);
}

static float head(const struct rule_ctx *c)
{
    return form_over_rep(c, form_neck_flexion, FORM_MEDIAN);
}

static const struct form_rule rules[] = {
    {"hip_sag", hip_line, 0.2f, 1, ANALYSIS_SEV_MODERATE, VIEWS_SIDEWAYS, "torso",
     "squeeze your glutes and brace: hips up in line", 0.05f, NULL},
    {"hips_high", hip_line, -0.25f, 0, ANALYSIS_SEV_MODERATE, VIEWS_SIDEWAYS, "torso",
     "lower your hips: one straight line from head to heels", 0.05f, NULL},
    {"head_drop", head, 35.0f, 1, ANALYSIS_SEV_MINOR, VIEWS_SIDEWAYS, "deg",
     "keep your neck neutral: eyes on the floor just ahead of your hands", 6.0f, NULL},
};

const struct exercise_def exercise_plank = {
    .name = "plank",
    .signal = NULL,
    .signal_unit = NULL,
    .is_hold = 1,
    .envelope = hold_pose,
    .depth = NULL,
    .depth_name = NULL,
    .sym_joint = -1,
    .rules = rules,
    .n_rules = (int)(sizeof rules / sizeof rules[0]),
};
