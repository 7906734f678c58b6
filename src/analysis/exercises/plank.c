/* plank.c - plank (hold): time in position and body line over time. */
#include <math.h>

#include "../form.h"
#include "../recognise.h"

/* In the hold position: body horizontal and legs straight. */
static int posture(const struct geom_frame *g)
{
    float k = geom_pair_mean(g->knee);
    return g->incl_deg >= 55.0f && (isnan(k) || k >= 140.0f);
}

static float recognise(const struct series_features *f)
{
    /* Horizontal and still: little elbow or hip movement. */
    return recognise_ramp(f->incl_med, 45.0f, 65.0f) * recognise_ramp(f->elbow_range, 25.0f, 12.0f) *
           recognise_ramp(f->hip_travel, 0.4f, 0.2f) * recognise_ramp(f->duration_s, 1.0f, 2.0f);
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
     "squeeze your glutes and brace: hips up in line"},
    {"hips_high", hip_line, -0.25f, 0, ANALYSIS_SEV_MODERATE, VIEWS_SIDEWAYS, "torso",
     "lower your hips: one straight line from head to heels"},
    {"head_drop", head, 35.0f, 1, ANALYSIS_SEV_MINOR, VIEWS_SIDEWAYS, "deg",
     "keep your neck neutral: eyes on the floor just ahead of your hands"},
};

const struct exercise_def exercise_plank = {
    .name = "plank",
    .signal = NULL,
    .signal_unit = NULL,
    .seg = {.max_gap_s = 1.0f},
    .is_hold = 1,
    .posture = posture,
    .recognise = recognise,
    .depth = NULL,
    .depth_name = NULL,
    .sym_joint = -1,
    .rules = rules,
    .n_rules = (int)(sizeof rules / sizeof rules[0]),
};
