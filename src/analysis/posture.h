/*
 * posture.h - body measurements the exercise signals and poses are written in: heights of
 * landmarks along gravity as ratios of other heights (meaningful with or without a known image
 * size, see geometry.h), and the two postures every exercise starts from (upright, lying).
 *
 * All functions return NAN (or 0 for predicates) when a landmark they need is not usable.
 * Internal to src/analysis. Pure, thread-safe.
 */
#ifndef RR_ANALYSIS_POSTURE_H
#define RR_ANALYSIS_POSTURE_H

#include "analysis/geometry.h"

/* Image y (down) of a left/right pair: mean of the usable sides, the lower one, the higher. */
float pos_y(const struct geom_frame *g, int left_id);
float pos_ylow(const struct geom_frame *g, int left_id);
float pos_yhigh(const struct geom_frame *g, int left_id);
float pos_nose_y(const struct geom_frame *g);
float pos_eyes_y(const struct geom_frame *g);

/* a / b, NAN unless both finite and |b| is not tiny relative to |a| + |b|. */
float pos_ratio(float a, float b);

/* v limited to [lo, hi] (NAN stays NAN): signals are ratios whose denominators can pass near
 * zero in odd frames; the limits are far outside what a body does. */
float pos_clamp(float v, float lo, float hi);

/* a / (|a| + |b|): where a point sits along a two-segment path, in [-1, 1], never dividing by
 * a length that can vanish (NAN when either is NAN or both are 0). */
float pos_path(float a, float b);

/* The same position measured against the person's usual lengths of the two segments when the
 * image size is known (geometry.h ref_len: foreshortening-proof, e.g. an upper arm pointing at
 * the camera), else d / (|a| + |b|), a and b being the two segments' heights. */
float pos_span(const struct geom_frame *g, float d, float a, float b, enum geom_segment s1,
               enum geom_segment s2);

/* How far the hands are raised: (shoulder - wrist) / (|shoulder - elbow| + |elbow - wrist|) per
 * arm, mean of the arms seen: -1 hanging down, 0 at shoulder height, +1 straight overhead. */
float pos_arm_lift(const struct geom_frame *g);

/* Torso height along gravity: y(hips) - y(shoulders) (> 0 when upright). */
float pos_torso_y(const struct geom_frame *g);

/* Horizontal spread |x_left - x_right| of a pair; NAN unless both sides usable. */
float pos_spread(const struct geom_frame *g, int left_id);

/* Upright: shoulders above hips above the ankles (legs below the hips by at least 0.3 torso
 * heights), and a torso within 60 deg of vertical (with a known image size) or standing tall
 * (pos_torso_tall, without one). */
int pos_upright(const struct geom_frame *g);
/* The torso stands tall along gravity: its height is at least 0.4 of the shins' (a torso lying
 * on a bench with the feet on the floor is much flatter than the shins). 1 when the shins are
 * not seen. */
int pos_torso_tall(const struct geom_frame *g);
/* Lying on the floor face down: hands (or forearms) below the shoulders, the nose's tip not
 * above the eyes (it is, lying face up), and, with a known image size, a torso at least 50 deg
 * from vertical; without one, a torso height under 0.6 of the shoulders' height over the
 * hands. */
int pos_prone(const struct geom_frame *g);

#endif
