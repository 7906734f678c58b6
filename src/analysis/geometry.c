/* geometry.c - corrected coordinates, joint angles, inclination, yaw and gating (geometry.h). */
#include "analysis/geometry.h"

#include <math.h>
#include <string.h>

#define RAD2DEG 57.29577951308232f
#define DEG2RAD 0.017453292519943295f
/* Shoulder width over torso length of a body seen square on (image-only yaw estimate). */
#define GEOM_SHOULDER_TORSO 0.75f

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
    out[0] = g->wx[id];
    out[1] = g->wy[id];
    out[2] = g->wz[id];
}

void geom_img(const struct geom_frame *g, int id, float out[2])
{
    out[0] = g->x[id];
    out[1] = g->y[id];
}

void geom_world_mid(const struct geom_frame *g, int left_id, float out[3])
{
    out[0] = 0.5f * (g->wx[left_id] + g->wx[left_id + 1]);
    out[1] = 0.5f * (g->wy[left_id] + g->wy[left_id + 1]);
    out[2] = 0.5f * (g->wz[left_id] + g->wz[left_id + 1]);
}

void geom_img_mid(const struct geom_frame *g, int left_id, float out[2])
{
    out[0] = 0.5f * (g->x[left_id] + g->x[left_id + 1]);
    out[1] = 0.5f * (g->y[left_id] + g->y[left_id + 1]);
}

float geom_pair_y(const struct geom_frame *g, int left_id)
{
    int a = geom_usable(g, left_id), b = geom_usable(g, left_id + 1);
    if (a && b)
        return 0.5f * (g->y[left_id] + g->y[left_id + 1]);
    return a ? g->y[left_id] : (b ? g->y[left_id + 1] : NAN);
}

float geom_pair_ymax(const struct geom_frame *g, int left_id)
{
    int a = geom_usable(g, left_id), b = geom_usable(g, left_id + 1);
    if (a && b)
        return fmaxf(g->y[left_id], g->y[left_id + 1]);
    return a ? g->y[left_id] : (b ? g->y[left_id + 1] : NAN);
}

float geom_pair_ymin(const struct geom_frame *g, int left_id)
{
    int a = geom_usable(g, left_id), b = geom_usable(g, left_id + 1);
    if (a && b)
        return fminf(g->y[left_id], g->y[left_id + 1]);
    return a ? g->y[left_id] : (b ? g->y[left_id + 1] : NAN);
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

void geom_segment_ends(enum geom_segment s, int *a, int *b)
{
    static const int ends[GEOM_SEGMENTS][2] = {
        {RR_LM_LEFT_SHOULDER, RR_LM_LEFT_ELBOW}, {RR_LM_LEFT_ELBOW, RR_LM_LEFT_WRIST},
        {RR_LM_LEFT_HIP, RR_LM_LEFT_KNEE},       {RR_LM_LEFT_KNEE, RR_LM_LEFT_ANKLE},
        {RR_LM_LEFT_SHOULDER, RR_LM_LEFT_HIP},
    };
    *a = ends[s][0];
    *b = ends[s][1];
}

float geom_segment_len(const struct geom_frame *g, enum geom_segment s, int sd)
{
    int a, b;
    geom_segment_ends(s, &a, &b);
    a += sd;
    b += sd;
    if (!g->iso || !geom_usable(g, a) || !geom_usable(g, b))
        return NAN;
    return hypotf(g->x[a] - g->x[b], g->y[a] - g->y[b]);
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

/* Joint angle at b of a left-side triple (a, b, c) on side s: 3-D from world landmarks, else
 * 2-D from isotropic image coordinates; NAN unless all three are usable. */
static float side_angle(const struct geom_frame *g, int a, int b, int c, int s)
{
    if (!geom_usable(g, a + s) || !geom_usable(g, b + s) || !geom_usable(g, c + s))
        return NAN;
    if (g->has_world) {
        float pa[3], pb[3], pc[3];
        geom_world(g, a + s, pa);
        geom_world(g, b + s, pb);
        geom_world(g, c + s, pc);
        return geom_angle3(pa, pb, pc);
    }
    if (!g->iso)
        return NAN;
    float pa[2], pb[2], pc[2];
    geom_img(g, a + s, pa);
    geom_img(g, b + s, pb);
    geom_img(g, c + s, pc);
    return geom_angle2(pa, pb, pc);
}

static void rotate(float *x, float *y, float c, float s)
{
    float nx = c * *x - s * *y, ny = s * *x + c * *y;
    *x = nx;
    *y = ny;
}

void geom_frame_compute(const struct rr_pose_frame *f, size_t index, float roll_deg,
                        struct geom_frame *g)
{
    memset(g, 0, sizeof *g);
    g->t_us = f->t_us;
    g->index = index;
    g->track = -1;
    g->incl_deg = g->yaw_deg = g->torso_img = NAN;
    for (int k = 0; k < GEOM_SEGMENTS; k++)
        g->ref_len[k] = NAN;
    for (int s = 0; s < 2; s++)
        g->knee[s] = g->hip[s] = g->elbow[s] = g->shoulder[s] = NAN;
    for (int i = 0; i < RR_NUM_LANDMARKS; i++)
        g->x[i] = g->y[i] = g->wx[i] = g->wy[i] = g->wz[i] = NAN;
    if (!f->has_pose)
        return;
    g->iso = f->width > 0 && f->height > 0;
    g->has_world = !(f->flags & RR_POSE_NO_WORLD);
    const int no_vis = (f->flags & RR_POSE_NO_VISIBILITY) != 0;
    const float aspect = g->iso ? (float)f->width / (float)f->height : 1.0f;
    /* Rotate about the image centre by -roll (iso only: a rotation mixes the axes). */
    float rc = 1.0f, rs = 0.0f;
    if (g->iso && roll_deg != 0.0f) {
        rc = cosf(-roll_deg * DEG2RAD);
        rs = sinf(-roll_deg * DEG2RAD);
    }
    for (int i = 0; i < RR_NUM_LANDMARKS; i++) {
        const struct rr_landmark *l = &f->image[i];
        if (!isfinite(l->x) || !isfinite(l->y))
            continue;
        float v = no_vis ? 1.0f : l->visibility;
        if (isnan(v))
            continue;
        int inside = !g->iso || (l->x >= -GEOM_FRAME_MARGIN && l->x <= 1.0f + GEOM_FRAME_MARGIN &&
                                 l->y >= -GEOM_FRAME_MARGIN && l->y <= 1.0f + GEOM_FRAME_MARGIN);
        float x = l->x * aspect, y = l->y;
        if (g->iso) {
            x -= 0.5f * aspect;
            y -= 0.5f;
            rotate(&x, &y, rc, rs);
            x += 0.5f * aspect;
            y += 0.5f;
        }
        g->x[i] = x;
        g->y[i] = y;
        g->vis[i] = v;
        if (!inside)
            continue;
        if (v >= GEOM_VIS_SIGNAL)
            g->usable |= (uint64_t)1 << i;
        if (v >= GEOM_VIS_RULE)
            g->trusted |= (uint64_t)1 << i;
    }
    if (g->has_world) {
        for (int i = 0; i < RR_NUM_LANDMARKS; i++) {
            const struct rr_landmark *w = &f->world[i];
            if (!isfinite(w->x) || !isfinite(w->y) || !isfinite(w->z)) {
                g->usable &= ~((uint64_t)1 << i);
                g->trusted &= ~((uint64_t)1 << i);
                continue;
            }
            float x = w->x, y = w->y;
            rotate(&x, &y, rc, rs);
            g->wx[i] = x;
            g->wy[i] = y;
            g->wz[i] = w->z;
        }
    }
    for (int s = 0; s < 2; s++) {
        g->knee[s] = side_angle(g, RR_LM_LEFT_HIP, RR_LM_LEFT_KNEE, RR_LM_LEFT_ANKLE, s);
        g->hip[s] = side_angle(g, RR_LM_LEFT_SHOULDER, RR_LM_LEFT_HIP, RR_LM_LEFT_KNEE, s);
        g->elbow[s] = side_angle(g, RR_LM_LEFT_SHOULDER, RR_LM_LEFT_ELBOW, RR_LM_LEFT_WRIST, s);
        g->shoulder[s] = side_angle(g, RR_LM_LEFT_HIP, RR_LM_LEFT_SHOULDER, RR_LM_LEFT_ELBOW, s);
    }
    int shoulders = geom_usable(g, RR_LM_LEFT_SHOULDER) || geom_usable(g, RR_LM_RIGHT_SHOULDER);
    int hips = geom_usable(g, RR_LM_LEFT_HIP) || geom_usable(g, RR_LM_RIGHT_HIP);
    int arms = geom_usable(g, RR_LM_LEFT_ELBOW) || geom_usable(g, RR_LM_RIGHT_ELBOW);
    /* Close framing may cut the hips off (presses, curls, pull-ups): shoulders and arms do. */
    if (!shoulders || (!hips && !arms))
        return;
    float sy = geom_pair_y(g, RR_LM_LEFT_SHOULDER), hy = geom_pair_y(g, RR_LM_LEFT_HIP);
    if (g->has_world) {
        float sh[3], hp[3];
        geom_world_mid(g, RR_LM_LEFT_SHOULDER, sh);
        geom_world_mid(g, RR_LM_LEFT_HIP, hp);
        float t[3] = {sh[0] - hp[0], sh[1] - hp[1], sh[2] - hp[2]};
        float tn = sqrtf(t[0] * t[0] + t[1] * t[1] + t[2] * t[2]);
        if (tn > 1e-6f) {
            float c = -t[1] / tn; /* y points down */
            g->incl_deg = acosf(c > 1.0f ? 1.0f : (c < -1.0f ? -1.0f : c)) * RAD2DEG;
        }
        /* Yaw from the left-minus-right shoulder and hip vectors seen from above (x, z). */
        float vx = (g->wx[RR_LM_LEFT_SHOULDER] - g->wx[RR_LM_RIGHT_SHOULDER]) +
                   (g->wx[RR_LM_LEFT_HIP] - g->wx[RR_LM_RIGHT_HIP]);
        float vz = (g->wz[RR_LM_LEFT_SHOULDER] - g->wz[RR_LM_RIGHT_SHOULDER]) +
                   (g->wz[RR_LM_LEFT_HIP] - g->wz[RR_LM_RIGHT_HIP]);
        if (fabsf(vx) + fabsf(vz) > 1e-6f)
            g->yaw_deg = atan2f(vz, vx) * RAD2DEG;
    }
    if (g->iso && hips) {
        float ish[2], ihp[2];
        ish[0] = 0.5f * (g->x[RR_LM_LEFT_SHOULDER] + g->x[RR_LM_RIGHT_SHOULDER]);
        ish[1] = sy;
        ihp[0] = 0.5f * (g->x[RR_LM_LEFT_HIP] + g->x[RR_LM_RIGHT_HIP]);
        ihp[1] = hy;
        if (!isfinite(ish[0]))
            ish[0] = geom_usable(g, RR_LM_LEFT_SHOULDER) ? g->x[RR_LM_LEFT_SHOULDER]
                                                         : g->x[RR_LM_RIGHT_SHOULDER];
        if (!isfinite(ihp[0]))
            ihp[0] = geom_usable(g, RR_LM_LEFT_HIP) ? g->x[RR_LM_LEFT_HIP] : g->x[RR_LM_RIGHT_HIP];
        float dx = ish[0] - ihp[0], dy = ish[1] - ihp[1];
        g->torso_img = hypotf(dx, dy);
        if (isnan(g->incl_deg) && g->torso_img > 1e-6f)
            g->incl_deg = acosf(fminf(1.0f, fmaxf(-1.0f, -dy / g->torso_img))) * RAD2DEG;
        if (isnan(g->yaw_deg) && g->torso_img > 1e-6f && geom_usable(g, RR_LM_LEFT_SHOULDER) &&
            geom_usable(g, RR_LM_RIGHT_SHOULDER)) {
            float w = fabsf(g->x[RR_LM_LEFT_SHOULDER] - g->x[RR_LM_RIGHT_SHOULDER]) /
                      (GEOM_SHOULDER_TORSO * g->torso_img);
            g->yaw_deg = acosf(fminf(1.0f, w)) * RAD2DEG; /* 0 front .. 90 side, no back */
        }
    }
    /* Upside-down torsos do not occur in these exercises: they are tracking failures. */
    int upside_down = !isnan(g->incl_deg) && g->incl_deg > 135.0f;
    g->valid = !upside_down && !isnan(sy);
}
