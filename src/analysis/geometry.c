/* geometry.c - joint angles, torso inclination, yaw/view and visibility gating (geometry.h). */
#include "geometry.h"

#include <math.h>
#include <string.h>

#define RAD2DEG 57.29577951308232f

float geom_angle3(const float a[3], const float b[3], const float c[3])
{
    float u[3] = {a[0] - b[0], a[1] - b[1], a[2] - b[2]};
    float v[3] = {c[0] - b[0], c[1] - b[1], c[2] - b[2]};
    float nu = sqrtf(u[0] * u[0] + u[1] * u[1] + u[2] * u[2]);
    float nv = sqrtf(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    if (!(nu > 1e-9f) || !(nv > 1e-9f))
        return NAN;
    float d = (u[0] * v[0] + u[1] * v[1] + u[2] * v[2]) / (nu * nv);
    if (d > 1.0f)
        d = 1.0f;
    if (d < -1.0f)
        d = -1.0f;
    return acosf(d) * RAD2DEG;
}

float geom_angle2(const float a[2], const float b[2], const float c[2])
{
    float a3[3] = {a[0], a[1], 0.0f}, b3[3] = {b[0], b[1], 0.0f}, c3[3] = {c[0], c[1], 0.0f};
    return geom_angle3(a3, b3, c3);
}

int geom_usable(const struct geom_frame *g, int id)
{
    return id >= 0 && id < RR_NUM_LANDMARKS && ((g->usable >> id) & 1u);
}

int geom_trusted(const struct geom_frame *g, int id)
{
    return id >= 0 && id < RR_NUM_LANDMARKS && ((g->trusted >> id) & 1u);
}

void geom_world(const struct geom_frame *g, int id, float out[3])
{
    const struct rr_landmark *l = &g->src->world[id];
    out[0] = l->x;
    out[1] = l->y;
    out[2] = l->z;
}

void geom_img(const struct geom_frame *g, int id, float out[2])
{
    const struct rr_landmark *l = &g->src->image[id];
    out[0] = l->x * g->aspect;
    out[1] = l->y;
}

void geom_world_mid(const struct geom_frame *g, int left_id, float out[3])
{
    float a[3], b[3];
    geom_world(g, left_id, a);
    geom_world(g, left_id + 1, b);
    for (int i = 0; i < 3; i++)
        out[i] = 0.5f * (a[i] + b[i]);
}

void geom_img_mid(const struct geom_frame *g, int left_id, float out[2])
{
    float a[2], b[2];
    geom_img(g, left_id, a);
    geom_img(g, left_id + 1, b);
    out[0] = 0.5f * (a[0] + b[0]);
    out[1] = 0.5f * (a[1] + b[1]);
}

int geom_best_side(const struct geom_frame *g, const int *left_ids, float min_vis)
{
    float best[2] = {2.0f, 2.0f};
    for (int s = 0; s < 2; s++) {
        for (const int *p = left_ids; *p >= 0; p++) {
            int id = *p + s;
            const struct rr_landmark *l = &g->src->image[id];
            float v = geom_usable(g, id) ? l->visibility : -1.0f;
            if (v < best[s])
                best[s] = v;
        }
    }
    int side = best[GEOM_RIGHT] > best[GEOM_LEFT] ? GEOM_RIGHT : GEOM_LEFT;
    return best[side] >= min_vis ? side : -1;
}

float geom_pair_mean(const float v[2])
{
    int a = !isnan(v[0]), b = !isnan(v[1]);
    if (a && b)
        return 0.5f * (v[0] + v[1]);
    if (a)
        return v[0];
    if (b)
        return v[1];
    return NAN;
}

enum analysis_view geom_view_from_yaw(float yaw_deg)
{
    if (isnan(yaw_deg))
        return ANALYSIS_VIEW_UNKNOWN;
    float a = fabsf(yaw_deg);
    if (a <= 25.0f)
        return ANALYSIS_VIEW_FRONT;
    if (a >= 155.0f)
        return ANALYSIS_VIEW_BACK;
    if (a >= 65.0f && a <= 115.0f)
        return ANALYSIS_VIEW_SIDE;
    return ANALYSIS_VIEW_DIAGONAL;
}

/* 3-D angle at joint b of a left-side triple (a, b, c) on side s, NAN unless all usable. */
static float side_angle(const struct geom_frame *g, int a, int b, int c, int s)
{
    if (!geom_usable(g, a + s) || !geom_usable(g, b + s) || !geom_usable(g, c + s))
        return NAN;
    float pa[3], pb[3], pc[3];
    geom_world(g, a + s, pa);
    geom_world(g, b + s, pb);
    geom_world(g, c + s, pc);
    return geom_angle3(pa, pb, pc);
}

void geom_frame_compute(const struct rr_pose_frame *f, struct geom_frame *g)
{
    memset(g, 0, sizeof *g);
    g->t_us = f->t_us;
    g->src = f;
    g->aspect = (f->width > 0 && f->height > 0) ? (float)f->width / (float)f->height : 1.0f;
    g->incl_deg = g->yaw_deg = g->torso_img = NAN;
    for (int s = 0; s < 2; s++)
        g->knee[s] = g->hip[s] = g->elbow[s] = g->shoulder[s] = NAN;
    if (!f->has_pose)
        return;
    for (int i = 0; i < RR_NUM_LANDMARKS; i++) {
        const struct rr_landmark *l = &f->image[i];
        int inside = l->x >= -GEOM_FRAME_MARGIN && l->x <= 1.0f + GEOM_FRAME_MARGIN &&
                     l->y >= -GEOM_FRAME_MARGIN && l->y <= 1.0f + GEOM_FRAME_MARGIN;
        if (!inside || isnan(l->visibility))
            continue;
        if (l->visibility >= GEOM_VIS_SIGNAL)
            g->usable |= (uint64_t)1 << i;
        if (l->visibility >= GEOM_VIS_RULE)
            g->trusted |= (uint64_t)1 << i;
    }
    for (int s = 0; s < 2; s++) {
        g->knee[s] = side_angle(g, RR_LM_LEFT_HIP, RR_LM_LEFT_KNEE, RR_LM_LEFT_ANKLE, s);
        g->hip[s] = side_angle(g, RR_LM_LEFT_SHOULDER, RR_LM_LEFT_HIP, RR_LM_LEFT_KNEE, s);
        g->elbow[s] = side_angle(g, RR_LM_LEFT_SHOULDER, RR_LM_LEFT_ELBOW, RR_LM_LEFT_WRIST, s);
        g->shoulder[s] = side_angle(g, RR_LM_LEFT_HIP, RR_LM_LEFT_SHOULDER, RR_LM_LEFT_ELBOW, s);
    }
    int shoulders = geom_usable(g, RR_LM_LEFT_SHOULDER) || geom_usable(g, RR_LM_RIGHT_SHOULDER);
    int hips = geom_usable(g, RR_LM_LEFT_HIP) || geom_usable(g, RR_LM_RIGHT_HIP);
    float sh[3], hp[3];
    geom_world_mid(g, RR_LM_LEFT_SHOULDER, sh);
    geom_world_mid(g, RR_LM_LEFT_HIP, hp);
    float t[3] = {sh[0] - hp[0], sh[1] - hp[1], sh[2] - hp[2]};
    float tn = sqrtf(t[0] * t[0] + t[1] * t[1] + t[2] * t[2]);
    if (tn > 1e-6f) {
        float c = -t[1] / tn; /* world y points down */
        g->incl_deg = acosf(c > 1.0f ? 1.0f : (c < -1.0f ? -1.0f : c)) * RAD2DEG;
    }
    /* Yaw from the left-minus-right shoulder and hip vectors seen from above (x, z). */
    float ls[3], rs[3], lh[3], rh[3];
    geom_world(g, RR_LM_LEFT_SHOULDER, ls);
    geom_world(g, RR_LM_RIGHT_SHOULDER, rs);
    geom_world(g, RR_LM_LEFT_HIP, lh);
    geom_world(g, RR_LM_RIGHT_HIP, rh);
    float vx = (ls[0] - rs[0]) + (lh[0] - rh[0]);
    float vz = (ls[2] - rs[2]) + (lh[2] - rh[2]);
    if (fabsf(vx) + fabsf(vz) > 1e-6f)
        g->yaw_deg = atan2f(vz, vx) * RAD2DEG;
    float ish[2], ihp[2];
    geom_img_mid(g, RR_LM_LEFT_SHOULDER, ish);
    geom_img_mid(g, RR_LM_LEFT_HIP, ihp);
    g->torso_img = hypotf(ish[0] - ihp[0], ish[1] - ihp[1]);
    /* Upside-down torsos do not occur in these exercises: they are tracking failures. */
    g->valid = shoulders && hips && !isnan(g->incl_deg) && g->incl_deg <= 135.0f &&
               g->torso_img > 1e-3f;
}
