/* posture.c - gravity-aligned body measurements and postures (posture.h). */
#include "posture.h"

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

float pos_ratio(float a, float b)
{
    if (!isfinite(a) || !isfinite(b))
        return NAN;
    if (fabsf(b) < 1e-3f * (fabsf(a) + fabsf(b)) || fabsf(b) < 1e-6f)
        return NAN;
    return a / b;
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
    if (!isnan(a) && !(h < a))
        return 0;
    if (g->iso && !isnan(g->incl_deg) && g->incl_deg > 60.0f)
        return 0;
    return 1;
}

int pos_prone(const struct geom_frame *g)
{
    float s = pos_y(g, RR_LM_LEFT_SHOULDER), h = pos_y(g, RR_LM_LEFT_HIP);
    float w = pos_y(g, RR_LM_LEFT_WRIST), e = pos_y(g, RR_LM_LEFT_ELBOW);
    float hand = isnan(w) ? e : w;
    if (!(hand > s))
        return 0;
    if (g->iso && !isnan(g->incl_deg))
        return g->incl_deg >= 50.0f;
    return fabsf(h - s) < 0.6f * (hand - s);
}
