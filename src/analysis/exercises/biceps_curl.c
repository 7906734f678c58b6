/* biceps_curl.c - biceps curl (both arms, one arm or alternating): the hand's height over the
 * elbow in upper-arm lengths, for the arm that is higher, counted at the top; torso swing,
 * elbow drift, range, balance. */
#include <math.h>

#include "analysis/form.h"
#include "analysis/posture.h"

/* One arm: (elbow - wrist) / (|elbow - wrist| + |elbow - shoulder|), about -0.45 hanging,
 * +0.45 curled; NAN when the elbow is not below the shoulder (arm raised: not a curl). */
static float arm(const struct geom_frame *g, int s)
{
    int sh = RR_LM_LEFT_SHOULDER + s, el = RR_LM_LEFT_ELBOW + s, wr = RR_LM_LEFT_WRIST + s;
    if (!geom_usable(g, sh) || !geom_usable(g, el) || !geom_usable(g, wr))
        return NAN;
    float upper = g->y[el] - g->y[sh];
    if (!(upper > 0.0f))
        return NAN;
    return pos_span(g, g->y[el] - g->y[wr], g->y[el] - g->y[wr], upper, GEOM_SEG_UPPER_ARM,
                    GEOM_SEG_FOREARM);
}

static float signal(const struct geom_frame *g)
{
    return fmaxf(arm(g, 0), arm(g, 1)); /* fmaxf ignores one NAN */
}

/* Upright or seated (the hips may be out of the picture). */
static int envelope(const struct geom_frame *g)
{
    float s = pos_y(g, RR_LM_LEFT_SHOULDER), h = pos_y(g, RR_LM_LEFT_HIP);
    return !(s >= h) && (!g->iso || isnan(g->incl_deg) || g->incl_deg < 60.0f);
}

/* Arms down: the hand below the elbow. */
static int rest_pose(const struct geom_frame *g)
{
    return signal(g) < -0.15f;
}

/* Top: the hand above the elbow while the elbow stays down by the torso, lower than the
 * forearm is long (a front raise brings the elbow up to the shoulder). */
static int far_pose(const struct geom_frame *g)
{
    for (int s = 0; s < 2; s++) {
        float v = arm(g, s);
        float drop = g->y[RR_LM_LEFT_ELBOW + s] - g->y[RR_LM_LEFT_SHOULDER + s];
        float fore = g->y[RR_LM_LEFT_ELBOW + s] - g->y[RR_LM_LEFT_WRIST + s];
        if (v > 0.1f && drop > 0.5f * fore)
            return 1;
    }
    return 0;
}

/* The elbow stays down by the side: its drop below the shoulder at the top is most of what it
 * was at rest (a front raise lifts the elbow to the shoulder). */
static int cycle_check(const struct geom_frame *r, const struct geom_frame *f)
{
    for (int s = 0; s < 2; s++) {
        int sh = RR_LM_LEFT_SHOULDER + s, el = RR_LM_LEFT_ELBOW + s;
        if (!geom_usable(r, sh) || !geom_usable(r, el) || !geom_usable(f, sh) ||
            !geom_usable(f, el))
            continue;
        float dr = r->y[el] - r->y[sh], df = f->y[el] - f->y[sh];
        if (dr > 0.0f && df >= 0.6f * dr)
            return 1;
    }
    return 0;
}

/* The working arm's smallest elbow angle around the top. */
static float depth(const struct rule_ctx *c)
{
    if (c->turn < c->start || c->end < c->turn)
        return NAN;
    size_t a = c->turn - (c->turn - c->start) / 3, b = c->turn + (c->end - c->turn) / 3;
    return form_reduce_side(c, a, b, form_elbow_side, FORM_MIN, c->limb);
}

static float swing(const struct rule_ctx *c)
{
    return form_over_rep(c, form_torso_incl, FORM_RANGE);
}

static float drift(const struct rule_ctx *c)
{
    return form_over_turn(c, form_shoulder_mean, FORM_MEDIAN);
}

static float uneven(const struct rule_ctx *c)
{
    if (c->limb >= 0)
        return NAN; /* one arm at a time: nothing to compare */
    return form_over_turn(c, form_elbow_asym, FORM_MEDIAN);
}

static const struct form_rule rules[] = {
    {"torso_swing", swing, 15.0f, 1, ANALYSIS_SEV_MODERATE, VIEWS_ALL, "deg",
     "stand still: no swinging, let the arms do the work", 4.0f, NULL},
    {"elbow_drift", drift, 60.0f, 1, ANALYSIS_SEV_MINOR, VIEWS_ALL, "deg",
     "keep your elbows pinned to your sides", 6.0f, NULL},
    {"partial_range", depth, 95.0f, 1, ANALYSIS_SEV_MINOR, VIEWS_ALL, "deg",
     "curl all the way up", 6.0f, NULL},
    {"uneven_sides", uneven, 20.0f, 1, ANALYSIS_SEV_MINOR, VIEWS_FRONTAL, "deg",
     "lift evenly with both arms", 5.0f, NULL},
};

const struct exercise_def exercise_biceps_curl = {
    .name = "biceps_curl",
    .signal = signal,
    .signal_unit = "arm_path",
    .seg = {.amp0 = 0.8f, .floor = 0.08f, .count_at_far = 1},
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
