/* shoulder_press.c - overhead press (standing or seated, barbell or dumbbells): the hands'
 * height over the shoulders in torso lengths, counted at lockout; lockout, back arch,
 * balance. */
#include <math.h>

#include "analysis/form.h"
#include "analysis/posture.h"

/* How far the hands are raised (posture.h): about 0.2 racked at the shoulders, 1 at lockout. */
static float signal(const struct geom_frame *g)
{
    return pos_arm_lift(g);
}

/* Upright or seated (the hips may be out of the picture), hands above the elbows (holding the
 * weight up). */
static int envelope(const struct geom_frame *g)
{
    float s = pos_y(g, RR_LM_LEFT_SHOULDER), h = pos_y(g, RR_LM_LEFT_HIP);
    float w = pos_y(g, RR_LM_LEFT_WRIST), e = pos_y(g, RR_LM_LEFT_ELBOW);
    return !(s >= h) && w < e && (!g->iso || isnan(g->incl_deg) || g->incl_deg < 45.0f);
}

/* Racked: hands about shoulder to head height over forearms held upright (the elbows lower
 * than the hands by most of the forearm, not level with them as in an arm raised sideways). */
static int rest_pose(const struct geom_frame *g)
{
    float s = pos_y(g, RR_LM_LEFT_SHOULDER), e = pos_y(g, RR_LM_LEFT_ELBOW);
    float w = pos_y(g, RR_LM_LEFT_WRIST);
    float v = signal(g);
    return v < 0.75f && e - w > 0.3f * (fabsf(e - w) + fabsf(e - s)) && e > s - (e - w);
}

/* Lockout: hands above the head, elbows above the shoulders. */
static int far_pose(const struct geom_frame *g)
{
    float s = pos_y(g, RR_LM_LEFT_SHOULDER), e = pos_y(g, RR_LM_LEFT_ELBOW);
    float w = pos_y(g, RR_LM_LEFT_WRIST), n = pos_nose_y(g);
    return w < (isnan(n) ? s : n) && e < s && signal(g) > 0.6f;
}

/* The hands move, the body stays (a pull-up brings the body to fixed hands): in the picture
 * the wrists travel further than the shoulders. */
static int cycle_check(const struct geom_frame *r, const struct geom_frame *f)
{
    if (!r->iso || !f->iso)
        return 1;
    float ds = fabsf(pos_y(f, RR_LM_LEFT_SHOULDER) - pos_y(r, RR_LM_LEFT_SHOULDER));
    float dw = fabsf(pos_y(f, RR_LM_LEFT_WRIST) - pos_y(r, RR_LM_LEFT_WRIST));
    if (isnan(ds) || isnan(dw))
        return 1;
    return dw > ds;
}

static float lockout(const struct rule_ctx *c)
{
    if (c->limb >= 0) {
        if (c->turn < c->start || c->end < c->turn)
            return NAN;
        size_t a = c->turn - (c->turn - c->start) / 3, b = c->turn + (c->end - c->turn) / 3;
        return form_reduce_side(c, a, b, form_elbow_side, FORM_MAX, c->limb);
    }
    return form_over_turn(c, form_elbow_max, FORM_MAX);
}

/* Leaning back while pressing: the torso's largest inclination at lockout minus its
 * inclination at rest before the rep (a reclined bench or a steady lean is not an arch). */
static float arch(const struct rule_ctx *c)
{
    float top = form_over_turn(c, form_torso_incl, FORM_MAX);
    float start = c->outer_start + 2 < c->start
                      ? form_reduce(c, c->outer_start, c->start, form_torso_incl, FORM_MEDIAN)
                      : NAN;
    if (isnan(start))
        start = form_over_start(c, form_torso_incl, FORM_MEDIAN);
    return (isnan(top) || isnan(start)) ? NAN : top - start;
}

static float uneven(const struct rule_ctx *c)
{
    if (c->limb >= 0)
        return NAN;
    return form_over_turn(c, form_elbow_asym, FORM_MEDIAN);
}

static float depth(const struct rule_ctx *c)
{
    return form_over_turn(c, form_wrist_over_shoulder, FORM_MAX);
}

static const struct form_rule rules[] = {
    {"incomplete_lockout", lockout, 150.0f, 0, ANALYSIS_SEV_MODERATE, VIEWS_ALL, "deg",
     "press all the way up: straight arms overhead", 6.0f, NULL},
    {"back_arch", arch, 12.0f, 1, ANALYSIS_SEV_MODERATE, VIEWS_SIDEWAYS, "deg",
     "brace your core: ribs down, no leaning back", 4.0f, NULL},
    {"uneven_sides", uneven, 25.0f, 1, ANALYSIS_SEV_MINOR, VIEWS_FRONTAL, "deg",
     "press evenly with both arms", 5.0f, NULL},
};

const struct exercise_def exercise_shoulder_press = {
    .name = "shoulder_press",
    .signal = signal,
    .signal_unit = "arm_path",
    .seg = {.amp0 = 0.7f, .floor = 0.07f, .count_at_far = 1},
    .envelope = envelope,
    .rest_pose = rest_pose,
    .far_pose = far_pose,
    .cycle_check = cycle_check,
    .depth = depth,
    .depth_name = "max_hands_over_shoulders_torso",
    .sym_joint = EX_JOINT_ELBOW,
    .rules = rules,
    .n_rules = (int)(sizeof rules / sizeof rules[0]),
};
