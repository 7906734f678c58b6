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

#include "geometry.h"

/* Image y (down) of a left/right pair: mean of the usable sides, the lower one, the higher. */
float pos_y(const struct geom_frame *g, int left_id);
float pos_ylow(const struct geom_frame *g, int left_id);
float pos_yhigh(const struct geom_frame *g, int left_id);
float pos_nose_y(const struct geom_frame *g);

/* a / b, NAN unless both finite and |b| is not tiny relative to |a| + |b|. */
float pos_ratio(float a, float b);

/* Torso height along gravity: y(hips) - y(shoulders) (> 0 when upright). */
float pos_torso_y(const struct geom_frame *g);

/* Horizontal spread |x_left - x_right| of a pair; NAN unless both sides usable. */
float pos_spread(const struct geom_frame *g, int left_id);

/* Upright: shoulders above hips above ankles (image), and with a known image size a torso
 * within 60 deg of vertical. */
int pos_upright(const struct geom_frame *g);
/* Lying on the floor face down: hands (or forearms) below the shoulders and, with a known
 * image size, a torso at least 50 deg from vertical; without one, a torso height under 0.6 of
 * the shoulders' height over the hands. */
int pos_prone(const struct geom_frame *g);

#endif
