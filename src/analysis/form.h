/*
 * form.h - the form-rule engine: applies an exercise's rule table to one rep (or one plank
 * window), scores it 0-100 and gives a verdict; plus the per-frame measures and reductions the
 * rule tables in exercises/ are built from.
 *
 * Per-frame measures take (frame, side) and return NAN unless every landmark they need is
 * trusted (geometry.h). Reductions skip NAN frames and return NAN ("cannot judge") when fewer
 * than half of the window's frames were measurable.
 *
 * Internal to src/analysis. Pure, no allocation, thread-safe.
 */
#ifndef RR_ANALYSIS_FORM_H
#define RR_ANALYSIS_FORM_H

#include "analysis/exercise.h"

typedef float (*form_frame_fn)(const struct geom_frame *g, int side);

enum form_reduce { FORM_MAX = 0, FORM_MIN, FORM_MEDIAN, FORM_RANGE };

/* Reduce fn over frames [a, b] (inclusive, valid frames only). */
float form_reduce(const struct rule_ctx *c, size_t a, size_t b, form_frame_fn fn,
                  enum form_reduce how);
/* Same over the whole rep, and over the part around the far end (middle third of each half). */
float form_over_rep(const struct rule_ctx *c, form_frame_fn fn, enum form_reduce how);
float form_over_turn(const struct rule_ctx *c, form_frame_fn fn, enum form_reduce how);
/* Same over the rep and the rest positions around it (lockout checks). */
float form_over_outer(const struct rule_ctx *c, form_frame_fn fn, enum form_reduce how);
/* Same over the first / last sixth of the rep (the rest position at start / end). */
float form_over_start(const struct rule_ctx *c, form_frame_fn fn, enum form_reduce how);
float form_over_end(const struct rule_ctx *c, form_frame_fn fn, enum form_reduce how);
/* Rest level of a measure whose rest value is its floor (the heel flat on the ground): the
 * median over the rest frames before the rep when there are more than three; else (a rep that
 * opens the series, e.g. within a live camera's start-up, or follows the last one without a
 * pause) the lowest reading in the rep's first and last sixth, the standing frames on both
 * sides of it: at 6-8 frames/s a sixth is 1-2 frames and the second is already on the way. The
 * rep's own frames only: a rep is judged when it closes, before any rest after it. */
float form_rest_low(const struct rule_ctx *c, form_frame_fn fn);

/* Evaluate ex's rules on c into checks[0..*n_checks); returns the number of faults. A check is
 * a fault only when its value is beyond the threshold by more than the rule's noise. Each
 * measured check carries a confidence: 0.5 at the threshold, towards 1 as the value moves away
 * from it in units of the rule's noise. */
int form_evaluate(const struct exercise_def *ex, const struct rule_ctx *c,
                  struct analysis_check *checks, int *n_checks);
/* Verdict: bad when any check is a fault; cannot judge when fewer than half of the checks were
 * measured (*reason says why, static string); else good. */
enum analysis_verdict form_verdict(const struct analysis_check *checks, int n, const char **reason);
/* 0-100 score consistent with the verdict: NAN for cannot judge, below 70 for bad, at least 70
 * for good (100 minus severity-weighted penalties and small costs for near misses). */
float form_score(const struct analysis_check *checks, int n, enum analysis_verdict v);
/* Confidence in the verdict, 0.5..1 (NAN for cannot judge). */
float form_confidence(const struct analysis_check *checks, int n, enum analysis_verdict v);

/* --- per-frame measures shared by the rule tables (degrees unless said) --- */
float form_knee_angle(const struct geom_frame *g, int side);     /* 3-D, side or mean (-1) */
float form_knee_mean(const struct geom_frame *g, int side);      /* mean of trusted sides */
float form_hip_mean(const struct geom_frame *g, int side);
float form_elbow_mean(const struct geom_frame *g, int side);
float form_elbow_max(const struct geom_frame *g, int side);      /* larger trusted side */
float form_shoulder_mean(const struct geom_frame *g, int side);  /* upper arm vs torso */
float form_torso_incl(const struct geom_frame *g, int side);     /* from vertical */
/* Head/upper-back flexion: angle between the hip->shoulder line and the shoulder->ear line,
 * positive when the head is bent towards the chest (image, needs a side view). */
float form_neck_flexion(const struct geom_frame *g, int side);
/* Hip offset from the shoulder-ankle line, in torso lengths, positive when the hip is below
 * the line (towards the floor in a plank) (image, side view). */
float form_hip_line_offset(const struct geom_frame *g, int side);
/* Heel above toe, in shin lengths (image, side view). */
float form_heel_lift(const struct geom_frame *g, int side);
/* Knee ahead of the toes along the facing direction, in shin lengths (image, side view). */
float form_knee_over_toe(const struct geom_frame *g, int side);
/* Knee distance over ankle distance (image, front view): < 1 when knees cave in. */
float form_knee_track_ratio(const struct geom_frame *g, int side);
/* |left - right| of a joint angle where both sides are trusted. */
float form_knee_asym(const struct geom_frame *g, int side);
float form_elbow_asym(const struct geom_frame *g, int side);
float form_shoulder_asym(const struct geom_frame *g, int side);
/* Nose above the wrists (hands on the bar), in torso lengths (image). */
float form_chin_over_hands(const struct geom_frame *g, int side);
/* Wrists above the shoulders, in torso lengths (image). */
float form_wrist_over_shoulder(const struct geom_frame *g, int side);

/* Elbow angle of one side (side 0/1) or the mean of the trusted sides (side -1); 3-D. */
float form_elbow_side(const struct geom_frame *g, int side);
/* Elbow angle in the picture (known image size only), mean of the trusted sides: depth of a
 * push-up as training data (stills) measure it. */
float form_elbow_img(const struct geom_frame *g, int side);
/* Trunk inclination minus shin inclination from vertical, deg (world): a squat's torso leans
 * as far as the shins do when balanced; more is a forward lean. */
float form_trunk_tibia(const struct geom_frame *g, int side);
/* Reduce over [a, b] calling fn with `side` instead of the context's side. */
float form_reduce_side(const struct rule_ctx *c, size_t a, size_t b, form_frame_fn fn,
                       enum form_reduce how, int side);

/* Hip height over the knees in thigh lengths (world, vertical): 1 standing, 0 at parallel,
 * negative below parallel. Needs trusted hips and knees. */
float form_hip_over_knee(const struct geom_frame *g, int side);
/* Ankle distance over shoulder width (world, horizontal plane). */
float form_ankle_spread(const struct geom_frame *g, int side);

#endif
