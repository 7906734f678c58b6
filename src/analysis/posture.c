/* posture.c - gravity-aligned body measurements and postures (posture.h). */
#include "analysis/posture.h"

#include <math.h>

float pos_y(const struct geom_frame *g, int left_id)
{
    return geom_pair_y(g, left_id);
}

float pos_ylow(const struct geom_frame *g, int left_id)
{
    return geom_pair_ymax(g, left_id);
}

float pos_yhigh(const struct geom_frame *g, int left_id)
{
    return geom_pair_ymin(g, left_id);
}

float pos_nose_y(const struct geom_frame *g)
{
    return geom_usable(g, RR_LM_NOSE) ? g->y[RR_LM_NOSE] : NAN;
}

float pos_eyes_y(const struct geom_frame *g)
{
    int l = geom_usable(g, RR_LM_LEFT_EYE), r = geom_usable(g, RR_LM_RIGHT_EYE);
    if (l && r)
        return 0.5f * (g->y[RR_LM_LEFT_EYE] + g->y[RR_LM_RIGHT_EYE]);
    return l ? g->y[RR_LM_LEFT_EYE] : (r ? g->y[RR_LM_RIGHT_EYE] : NAN);
}

float pos_ratio(float a, float b)
{
    if (!isfinite(a) || !isfinite(b))
        return NAN;
    if (fabsf(b) < 1e-3f * (fabsf(a) + fabsf(b)) || fabsf(b) < 1e-6f)
        return NAN;
    return a / b;
}

float pos_path(float a, float b)
{
    float d = fabsf(a) + fabsf(b);
    if (!isfinite(a) || !isfinite(b) || !(d > 1e-6f))
        return NAN;
    return a / d;
}

float pos_span(const struct geom_frame *g, float d, float a, float b, enum geom_segment s1,
               enum geom_segment s2)
{
    float ref = g->ref_len[s1] + g->ref_len[s2];
    if (g->iso && ref > 1e-4f) {
        if (!isfinite(d))
            return NAN;
        float v = d / ref;
        return v < -1.5f ? -1.5f : (v > 1.5f ? 1.5f : v);
    }
    float len = fabsf(a) + fabsf(b);
    if (!isfinite(d) || !isfinite(len) || !(len > 1e-6f))
        return NAN;
    return d / len;
}

float pos_arm_lift(const struct geom_frame *g)
{
    float sum = 0.0f;
    int n = 0;
    for (int s = 0; s < 2; s++) {
        int sh = RR_LM_LEFT_SHOULDER + s, el = RR_LM_LEFT_ELBOW + s, wr = RR_LM_LEFT_WRIST + s;
        if (!geom_usable(g, sh) || !geom_usable(g, el) || !geom_usable(g, wr))
            continue;
        float v = pos_span(g, g->y[sh] - g->y[wr], g->y[sh] - g->y[el], g->y[el] - g->y[wr],
                           GEOM_SEG_UPPER_ARM, GEOM_SEG_FOREARM);
        if (isnan(v))
            continue;
        sum += v;
        n++;
    }
    return n ? sum / (float)n : NAN;
}

float pos_clamp(float v, float lo, float hi)
{
    return isnan(v) ? NAN : (v < lo ? lo : (v > hi ? hi : v));
}

float pos_torso_y(const struct geom_frame *g)
{
    return pos_y(g, RR_LM_LEFT_HIP) - pos_y(g, RR_LM_LEFT_SHOULDER);
}

float pos_spread(const struct geom_frame *g, int left_id)
{
    if (!geom_usable(g, left_id) || !geom_usable(g, left_id + 1))
        return NAN;
    return fabsf(g->x[left_id] - g->x[left_id + 1]);
}

int pos_upright(const struct geom_frame *g)
{
    float s = pos_y(g, RR_LM_LEFT_SHOULDER), h = pos_y(g, RR_LM_LEFT_HIP);
    float a = pos_y(g, RR_LM_LEFT_ANKLE);
    if (!(s < h))
        return 0;
    /* Legs below the hips (standing or seated), not lying level with them. */
    if (!isnan(a) && !(a - h > 0.3f * (h - s)))
        return 0;
    if (g->iso && !isnan(g->incl_deg))
        return g->incl_deg <= 60.0f;
    return pos_torso_tall(g);
}

int pos_torso_tall(const struct geom_frame *g)
{
    float k = pos_y(g, RR_LM_LEFT_KNEE), a = pos_y(g, RR_LM_LEFT_ANKLE);
    float t = pos_torso_y(g);
    return !(t < 0.4f * (a - k));
}

int pos_prone(const struct geom_frame *g)
{
    float s = pos_y(g, RR_LM_LEFT_SHOULDER), h = pos_y(g, RR_LM_LEFT_HIP);
    float w = pos_y(g, RR_LM_LEFT_WRIST), e = pos_y(g, RR_LM_LEFT_ELBOW);
    float hand = isnan(w) ? e : w;
    if (!(hand > s))
        return 0;
    /* Face down: the nose (its tip) is not above the eyes; lying face up it is. */
    float n = pos_nose_y(g), eyes = pos_eyes_y(g);
    if (n < eyes)
        return 0;
    if (g->iso && !isnan(g->incl_deg))
        return g->incl_deg >= 50.0f;
    return fabsf(h - s) < 0.6f * (hand - s);
}
