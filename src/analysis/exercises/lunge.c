/* lunge.c - lunge (static or walking): flexion of the more bent knee, counted when the athlete
 * is back up; depth, torso lean, front knee over toes. */
#include <math.h>

#include "../form.h"
#include "../recognise.h"

static float signal(const struct geom_frame *g)
{
    float l = g->knee[0], r = g->knee[1];
    float k = isnan(l) ? r : (isnan(r) ? l : (l < r ? l : r));
    return isnan(k) ? NAN : 180.0f - k;
}

static float recognise(const struct series_features *f)
{
    /* Deep knee bends with the feet split front to back (or the legs working unevenly). */
    float split = recognise_ramp(f->stagger, 0.3f, 0.55f);
    float uneven = recognise_ramp(f->knee_asym, 25.0f, 45.0f);
    return recognise_ramp(f->incl_med, 60.0f, 35.0f) * recognise_ramp(f->knee_range, 25.0f, 45.0f) *
           recognise_ramp(f->knee_min, 115.0f, 95.0f) * recognise_ramp(f->hip_travel, 0.15f, 0.3f) *
           (split > uneven ? split : uneven);
}

static float front_knee(const struct geom_frame *g, int side)
{
    float l = form_knee_angle(g, 0), r = form_knee_angle(g, 1);
    (void)side;
    if (isnan(l))
        return r;
    if (isnan(r))
        return l;
    return l < r ? l : r;
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
     "step long and lower your back knee towards the floor"},
    {"forward_lean", lean, 35.0f, 1, ANALYSIS_SEV_MINOR, VIEWS_ALL, "deg",
     "keep your torso upright"},
    {"knees_past_toes", knees_toes, 0.45f, 1, ANALYSIS_SEV_MINOR, VIEWS_SIDEWAYS, "shin",
     "keep your front knee above your ankle"},
};

const struct exercise_def exercise_lunge = {
    .name = "lunge",
    .signal = signal,
    .signal_unit = "deg",
    .seg = {.min_range = 35.0f, .hyst = 10.0f, .return_frac = 0.6f, .lead_in = 8.0f,
            .min_rep_s = 0.4f, .max_gap_s = 1.0f, .smooth_s = 0.08f, .count_at_peak = 0},
    .posture = form_posture_upright,
    .recognise = recognise,
    .depth = depth,
    .depth_name = "min_front_knee_angle_deg",
    .sym_joint = -1, /* one leg leads: symmetry is not meaningful per rep */
    .rules = rules,
    .n_rules = (int)(sizeof rules / sizeof rules[0]),
};
