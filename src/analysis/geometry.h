/*
 * geometry.h - body geometry from one pose frame: joint angles in 3-D (world landmarks, metres)
 * and in 2-D (image landmarks, aspect-corrected), torso inclination, body yaw and camera view,
 * and visibility gating.
 *
 * Gating: a landmark is "usable" when it lies inside the image (small margin) and its
 * visibility is at least GEOM_VIS_SIGNAL; "trusted" when visibility is at least GEOM_VIS_RULE.
 * Signals (rep counting) need usable landmarks; form rules need trusted ones. An angle whose
 * landmarks are not all usable is NAN: callers turn NAN into "cannot judge", never a guess.
 *
 * Internal to src/analysis. Pure functions, no allocation, thread-safe.
 */
#ifndef RR_ANALYSIS_GEOMETRY_H
#define RR_ANALYSIS_GEOMETRY_H

#include <stdint.h>

#include "../base/rr_landmarks.h"
#include "analysis.h"

#define GEOM_VIS_SIGNAL 0.3f
#define GEOM_VIS_RULE 0.5f
#define GEOM_FRAME_MARGIN 0.02f

enum { GEOM_LEFT = 0, GEOM_RIGHT = 1 };

/* Per-frame features, computed once per input frame. */
struct geom_frame {
    int64_t t_us;
    int valid;                  /* pose present, torso visible and not upside down */
    float aspect;               /* width / height, for isotropic image coordinates */
    uint64_t usable;            /* bit i: landmark i usable */
    uint64_t trusted;           /* bit i: landmark i trusted */
    float incl_deg;             /* torso from vertical (world): 0 upright, 90 lying */
    float yaw_deg;              /* body yaw vs camera: 0 facing camera, +-90 side, 180 back */
    float knee[2], hip[2], elbow[2], shoulder[2]; /* 3-D joint angles, deg; NAN when not usable */
    float torso_img;            /* shoulder-to-hip distance in image units (height = 1) */
    const struct rr_pose_frame *src;
};

/* Angle ABC in degrees (0..180) between BA and BC; NAN when a vector has zero length. */
float geom_angle3(const float a[3], const float b[3], const float c[3]);
float geom_angle2(const float a[2], const float b[2], const float c[2]);

/* Fill g from f (pure). */
void geom_frame_compute(const struct rr_pose_frame *f, struct geom_frame *g);

/* 1 when landmark id is usable / trusted in this frame. */
int geom_usable(const struct geom_frame *g, int id);
int geom_trusted(const struct geom_frame *g, int id);

/* World position (metres) and aspect-corrected image position of a landmark. */
void geom_world(const struct geom_frame *g, int id, float out[3]);
void geom_img(const struct geom_frame *g, int id, float out[2]);

/* Midpoint of a left/right landmark pair, in world or image space. */
void geom_world_mid(const struct geom_frame *g, int left_id, float out[3]);
void geom_img_mid(const struct geom_frame *g, int left_id, float out[2]);

/* Side (GEOM_LEFT/RIGHT) whose landmarks `ids` (left-side ids, -1 terminated) are better seen:
 * the side with the higher minimum visibility. Returns -1 when neither side has all of them
 * at least `min_vis` and in frame. */
int geom_best_side(const struct geom_frame *g, const int *left_ids, float min_vis);

/* Mean of the usable sides of a left/right angle pair; NAN when neither side is usable. */
float geom_pair_mean(const float v[2]);

/* Camera view from a body yaw in degrees. */
enum analysis_view geom_view_from_yaw(float yaw_deg);

#endif
