/*
 * synth.h - test helper (header-only, static): synthetic BlazePose frames from a simple
 * kinematic body model, so each unit test can build the exact movement (and the exact fault)
 * it needs. Segment lengths are adult averages in metres; the camera is orthographic.
 *
 * A pose is described by joint angles in the body's sagittal plane (forward / up) plus lateral
 * offsets; synth_frame() turns it into world landmarks (hip-centred, y down) and normalised image
 * landmarks for a front or side camera.
 */
#ifndef SYNTH_H
#define SYNTH_H

#include <math.h>
#include <string.h>

#include "base/rr_landmarks.h"

#define SYNTH_PI 3.14159265358979f
#define SYNTH_RAD(d) ((d) * SYNTH_PI / 180.0f)

enum synth_view { SYNTH_FRONT = 0, SYNTH_SIDE = 1 };

struct synth_pose {
    float knee_flex;     /* deg, 0 = straight */
    float shin_fwd;      /* deg the shin leans forward */
    float torso_lean;    /* deg the torso leans forward from vertical */
    float shoulder_flex; /* deg the upper arm is raised forward (0 = hanging) */
    float shoulder_abd;  /* deg the upper arm is raised sideways (jumping jack) */
    float elbow_flex;    /* deg */
    float neck_flex;     /* deg the head bends towards the chest */
    float heel_lift;     /* metres */
    float knee_in;       /* metres each knee moves towards the midline (valgus) */
    float stance;        /* half distance between the ankles, metres (default 0.12) */
    float pitch;         /* deg the whole body is rotated forward (90 = lying face down) */
    float knee_asym;     /* extra knee flexion of the right leg, deg */
    float elbow_asym;    /* extra elbow flexion of the right arm, deg */
};

struct synth_cam {
    enum synth_view view;
    int width, height;
    float scale;         /* image heights per metre */
};

static inline void synth__dir(float th_deg, float out[2])
{
    out[0] = sinf(SYNTH_RAD(th_deg));
    out[1] = cosf(SYNTH_RAD(th_deg));
}

static inline void synth__add(float *p, const float *o, const float d[2], float len)
{
    p[0] = o[0] + d[0] * len;
    p[1] = o[1] + d[1] * len;
}

/* One side of the body in the sagittal plane: fills (forward, up) for the landmarks of that side
 * relative to the hip. */
struct synth__side {
    float ankle[2], knee[2], hip[2], shoulder[2], elbow[2], wrist[2], heel[2], toe[2], ear[2],
        hand[2];
    float hip_above_ankle[2]; /* where the hip is over the feet (for the image) */
};

static inline void synth__chain(const struct synth_pose *p, float knee_flex, float elbow_flex,
                                struct synth__side *s)
{
    float d[2];
    /* Build upwards from the ankle, then shift so the hip is at the origin. */
    float ankle[2] = {0.0f, p->heel_lift};
    float th_shin = p->shin_fwd;
    synth__dir(th_shin, d);
    synth__add(s->knee, ankle, d, 0.43f);
    float th_thigh = th_shin - knee_flex;
    synth__dir(th_thigh, d);
    synth__add(s->hip, s->knee, d, 0.45f);
    float th_torso = p->torso_lean;
    synth__dir(th_torso, d);
    synth__add(s->shoulder, s->hip, d, 0.50f);
    synth__dir(th_torso + p->neck_flex, d);
    synth__add(s->ear, s->shoulder, d, 0.22f);
    float th_upper = 180.0f + th_torso - p->shoulder_flex;
    synth__dir(th_upper, d);
    synth__add(s->elbow, s->shoulder, d, 0.30f);
    synth__dir(th_upper - elbow_flex, d);
    synth__add(s->wrist, s->elbow, d, 0.27f);
    synth__add(s->hand, s->elbow, d, 0.35f);
    memcpy(s->ankle, ankle, sizeof ankle);
    s->heel[0] = ankle[0] - 0.06f;
    s->heel[1] = ankle[1] - 0.06f;
    s->toe[0] = 0.16f;
    s->toe[1] = -0.08f; /* the toes stay on the floor */
    if (p->heel_lift > 0.0f)
        s->toe[1] = -0.08f;
    /* hip at the origin */
    float hx = s->hip[0], hy = s->hip[1];
    s->hip_above_ankle[0] = hx;
    s->hip_above_ankle[1] = hy;
    float *pts[] = {s->ankle, s->knee, s->hip, s->shoulder, s->elbow, s->wrist, s->heel, s->toe,
                    s->ear, s->hand};
    for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
        pts[i][0] -= hx;
        pts[i][1] -= hy;
        /* whole-body pitch about the hip */
        float c = cosf(SYNTH_RAD(p->pitch)), sn = sinf(SYNTH_RAD(p->pitch));
        float f = pts[i][0], u = pts[i][1];
        pts[i][0] = f * c + u * sn;
        pts[i][1] = -f * sn + u * c;
    }
}

/* Where the hip is in the scene (the camera sees it move; world landmarks are hip-centred). */
static float synth__hip_f, synth__hip_u;

static inline void synth__set(struct rr_pose_frame *fr, const struct synth_cam *cam, int id, float fwd,
                       float up, float lat)
{
    float X, Y, Z;
    if (cam->view == SYNTH_SIDE) {
        X = fwd;
        Z = -lat; /* the left side faces the camera */
    } else {
        X = lat;  /* facing the camera: the person's left is on the image right */
        Z = -fwd;
    }
    Y = -up;
    fr->world[id].x = X;
    fr->world[id].y = Y;
    fr->world[id].z = Z;
    fr->world[id].visibility = 0.99f;
    fr->world[id].presence = 0.99f;
    float aspect = (float)cam->width / (float)cam->height;
    float ix = cam->view == SYNTH_SIDE ? X + synth__hip_f : X;
    /* A front camera sits a little above the body and looks down: depth shows as height. */
    float iy = Y - synth__hip_u + (cam->view == SYNTH_FRONT ? 0.3f * Z : 0.0f);
    fr->image[id].x = 0.5f + ix * cam->scale / aspect;
    fr->image[id].y = 0.85f + iy * cam->scale;
    fr->image[id].z = Z * cam->scale / aspect;
    fr->image[id].visibility = 0.99f;
    fr->image[id].presence = 0.99f;
}

static inline void synth_frame(const struct synth_pose *p, const struct synth_cam *cam, int64_t t_us,
                        struct rr_pose_frame *fr)
{
    memset(fr, 0, sizeof *fr);
    fr->t_us = t_us;
    fr->width = cam->width;
    fr->height = cam->height;
    fr->has_pose = 1;
    fr->score = 1.0f;
    float stance = p->stance > 0.0f ? p->stance : 0.12f;
    for (int s = 0; s < 2; s++) {
        struct synth__side b;
        synth__chain(p, p->knee_flex + (s == 1 ? p->knee_asym : 0.0f),
                     p->elbow_flex + (s == 1 ? p->elbow_asym : 0.0f), &b);
        if (s == 0) {
            synth__hip_f = b.hip_above_ankle[0];
            synth__hip_u = p->pitch > 45.0f ? 0.35f : b.hip_above_ankle[1];
        }
        float side = s == 0 ? 1.0f : -1.0f; /* left is +lateral */
        float abd = SYNTH_RAD(p->shoulder_abd);
        synth__set(fr, cam, RR_LM_LEFT_HIP + s, b.hip[0], b.hip[1], side * 0.10f);
        synth__set(fr, cam, RR_LM_LEFT_KNEE + s, b.knee[0], b.knee[1],
                   side * (0.11f - p->knee_in + 0.5f * (stance - 0.12f)));
        synth__set(fr, cam, RR_LM_LEFT_ANKLE + s, b.ankle[0], b.ankle[1], side * stance);
        synth__set(fr, cam, RR_LM_LEFT_HEEL + s, b.heel[0], b.heel[1], side * stance);
        synth__set(fr, cam, RR_LM_LEFT_FOOT_INDEX + s, b.toe[0], b.toe[1], side * (stance + 0.02f));
        synth__set(fr, cam, RR_LM_LEFT_SHOULDER + s, b.shoulder[0], b.shoulder[1], side * 0.18f);
        if (p->shoulder_abd > 0.0f) {
            /* sideways raise in the frontal plane */
            float eu = b.shoulder[1] - 0.30f * cosf(abd), el = 0.18f + 0.30f * sinf(abd);
            float wu = b.shoulder[1] - 0.57f * cosf(abd), wl = 0.18f + 0.57f * sinf(abd);
            synth__set(fr, cam, RR_LM_LEFT_ELBOW + s, b.shoulder[0], eu, side * el);
            synth__set(fr, cam, RR_LM_LEFT_WRIST + s, b.shoulder[0], wu, side * wl);
            for (int h = RR_LM_LEFT_PINKY; h <= RR_LM_RIGHT_THUMB; h += 2)
                synth__set(fr, cam, h + s, b.shoulder[0], wu - 0.05f * cosf(abd),
                           side * (wl + 0.05f * sinf(abd)));
        } else {
            synth__set(fr, cam, RR_LM_LEFT_ELBOW + s, b.elbow[0], b.elbow[1], side * 0.20f);
            synth__set(fr, cam, RR_LM_LEFT_WRIST + s, b.wrist[0], b.wrist[1], side * 0.20f);
            for (int h = RR_LM_LEFT_PINKY; h <= RR_LM_RIGHT_THUMB; h += 2)
                synth__set(fr, cam, h + s, b.hand[0], b.hand[1], side * 0.20f);
        }
        synth__set(fr, cam, RR_LM_LEFT_EAR + s, b.ear[0], b.ear[1], side * 0.07f);
        synth__set(fr, cam, RR_LM_MOUTH_LEFT + s, b.ear[0] + 0.08f, b.ear[1] - 0.05f, side * 0.03f);
        if (s == 0) {
            /* face: a little in front of the ears, along the head's forward direction */
            float d[2];
            synth__dir(p->torso_lean + p->neck_flex + 90.0f + p->pitch, d);
            float nf = b.ear[0] + 0.10f * d[0], nu = b.ear[1] + 0.10f * d[1];
            synth__set(fr, cam, RR_LM_NOSE, nf, nu, 0.0f);
            for (int e = RR_LM_LEFT_EYE_INNER; e <= RR_LM_RIGHT_EYE_OUTER; e++)
                synth__set(fr, cam, e, nf - 0.02f * d[0], nu + 0.03f, e <= RR_LM_LEFT_EYE_OUTER ? 0.03f : -0.03f);
        }
    }
}

/* Hide a landmark (visibility 0.05), as when it is occluded. */
static inline void synth_hide(struct rr_pose_frame *fr, int id)
{
    fr->image[id].visibility = 0.05f;
    fr->world[id].visibility = 0.05f;
}

/* Blend two poses: a + (b - a) * t for every angle and offset. */
static inline struct synth_pose synth_mix(const struct synth_pose *a, const struct synth_pose *b, float t)
{
    struct synth_pose r;
    const float *pa = (const float *)a, *pb = (const float *)b;
    float *pr = (float *)&r;
    for (size_t i = 0; i < sizeof r / sizeof(float); i++)
        pr[i] = pa[i] + (pb[i] - pa[i]) * t;
    return r;
}

struct synth_plan {
    float fps;
    float lead_s;      /* still at rest before the first rep */
    float rep_s;       /* rest -> far end -> rest */
    float pause_far_s; /* hold at the far end */
    float pause_rest_s;/* hold at rest between reps */
    int reps;
    float tail_s;      /* still at rest after the last rep */
    float end_frac;    /* > 0: after the last full rep, a partial one reaching this fraction */
};

/* Write the frames of plan into out[0..max); returns the count. */
static inline size_t synth_series(const struct synth_pose *rest, const struct synth_pose *far,
                           const struct synth_plan *pl, const struct synth_cam *cam,
                           struct rr_pose_frame *out, size_t max)
{
    size_t n = 0;
    double t = 0.0, dt = 1.0 / pl->fps;
    double half = pl->rep_s / 2.0;
    double cycle = pl->rep_s + pl->pause_far_s + pl->pause_rest_s;
    double total = pl->lead_s + cycle * pl->reps + pl->tail_s + (pl->end_frac > 0 ? half : 0.0);
    while (t < total && n < max) {
        double u = t - pl->lead_s;
        float a = 0.0f;
        if (u >= 0.0 && u < cycle * pl->reps) {
            double c = fmod(u, cycle);
            if (c < half)
                a = (float)(0.5 - 0.5 * cos(SYNTH_PI * c / half));
            else if (c < half + pl->pause_far_s)
                a = 1.0f;
            else if (c < pl->rep_s + pl->pause_far_s)
                a = (float)(0.5 + 0.5 * cos(SYNTH_PI * (c - half - pl->pause_far_s) / half));
        } else if (pl->end_frac > 0 && u >= cycle * pl->reps + pl->tail_s) {
            double c = u - cycle * pl->reps - pl->tail_s;
            a = pl->end_frac * (float)(0.5 - 0.5 * cos(SYNTH_PI * c / half));
        }
        struct synth_pose p = synth_mix(rest, far, a);
        synth_frame(&p, cam, (int64_t)llround(t * 1e6), &out[n++]);
        t += dt;
    }
    return n;
}

#endif
