/*
 * filter.h - MediaPipe's landmark smoothing (blazepose.md 3.10): the low-pass and one-euro
 * filters of util/filtering, the landmark-set wrapper of LandmarksSmoothingCalculator
 * (value scale = 1 / object scale, filters reset when landmarks are absent) and the visibility
 * low-pass of VisibilitySmoothingCalculator.
 *
 * Fixed-size structs, no allocation; all state is in the struct the caller owns.
 * Thread-safety: one filter per thread.
 */
#ifndef RR_POSE_FILTER_H
#define RR_POSE_FILTER_H

#include <stdint.h>

#define FILTER_MAX_LANDMARKS 39

struct filter_lowpass {
    double alpha;
    double raw, stored;
    int initialized;
};

/* alpha in [0, 1]; out = alpha * v + (1 - alpha) * previous; the first value passes. */
void filter_lowpass_init(struct filter_lowpass *f, double alpha);
double filter_lowpass_apply(struct filter_lowpass *f, double v);
/* Set alpha (ignored when outside [0, 1], as MediaPipe does) and apply. */
double filter_lowpass_apply_alpha(struct filter_lowpass *f, double v, double alpha);

struct filter_one_euro {
    double frequency, min_cutoff, beta, derivate_cutoff;
    struct filter_lowpass x, dx;
    int64_t last_time_ns;
};

void filter_one_euro_init(struct filter_one_euro *f, double frequency, double min_cutoff,
                          double beta, double derivate_cutoff);
/* Filter `value` at time t_ns. A timestamp <= the last one returns the value unfiltered (and
 * leaves the state alone); as in MediaPipe the initial last time is 0, so t_ns == 0 on a fresh
 * filter also passes through without being recorded. */
double filter_one_euro_apply(struct filter_one_euro *f, int64_t t_ns, double value_scale,
                             double value);

struct filter_one_euro_params {
    double frequency;        /* initial frequency, Hz (30) */
    double min_cutoff, beta, derivate_cutoff;
    float min_allowed_object_scale; /* 1e-6 */
    int disable_value_scaling;
};

/* One-euro filters for up to FILTER_MAX_LANDMARKS (x, y, z) points. */
struct filter_landmarks {
    struct filter_one_euro_params p;
    int n;      /* number of points the filters were created for (0 after reset) */
    struct filter_one_euro f[FILTER_MAX_LANDMARKS][3];
};

void filter_landmarks_init(struct filter_landmarks *f, const struct filter_one_euro_params *p);
/* Landmarks absent: drop all filter state (next apply starts fresh at 30 Hz). */
void filter_landmarks_reset(struct filter_landmarks *f);
/* Smooth n points xyz[i][0..2] in place (pixels for image landmarks, metres for world ones) at
 * t_us. object_scale is ignored with disable_value_scaling; otherwise values pass unchanged when
 * it is below min_allowed_object_scale. n must not change between resets (a change resets). */
void filter_landmarks_apply(struct filter_landmarks *f, int64_t t_us, float object_scale,
                            float (*xyz)[3], int n);

/* Visibility low-pass for up to FILTER_MAX_LANDMARKS values. */
struct filter_visibility {
    double alpha;
    int n;
    struct filter_lowpass f[FILTER_MAX_LANDMARKS];
};

void filter_visibility_init(struct filter_visibility *f, double alpha);
void filter_visibility_reset(struct filter_visibility *f);
/* Smooth vis[0..n-1] in place. */
void filter_visibility_apply(struct filter_visibility *f, float *vis, int n);

/* MediaPipe's BlazePose constants. */
struct filter_one_euro_params filter_params_pose_image(void); /* 0.05, 80, 1 */
struct filter_one_euro_params filter_params_pose_world(void); /* 0.1, 40, 1, no scaling */
struct filter_one_euro_params filter_params_pose_aux(void);   /* 0.01, 10, 1 */
#define FILTER_POSE_VISIBILITY_ALPHA 0.1

#endif
