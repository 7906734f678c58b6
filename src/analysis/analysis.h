/*
 * analysis.h - RepRight's analysis core: pose series in, per-rep form report out.
 *
 * Input is a series of struct rr_pose_frame (src/base/rr_landmarks.h) in time order: image
 * landmarks (normalised) and world landmarks (metres) per frame. Output is a plain-C report: the
 * exercise (given or recognised), the camera view, one entry per counted rep with its timing,
 * range of motion, depth, tempo, left/right symmetry, every form check with its measured value
 * and threshold, a 0-100 score and a verdict, plus a set summary; for a plank the hold time and
 * form over time instead of reps. docs/internals/analysis.md explains the method,
 * docs/report-schema.md the JSON rendering (src/pipeline/report_json.c).
 *
 * This module does no I/O, allocates only through malloc/free, and includes nothing but libc,
 * libm and src/base, so it compiles to WebAssembly for the live page.
 *
 * Ownership: analysis_run() allocates *out; the caller frees it with analysis_report_free().
 * Strings inside the report (exercise, fault names, cues, units) are static and never freed.
 * Errors: RR_ERR_INVAL (NULL arguments, unknown exercise name, frames out of time order),
 * RR_ERR_TOOBIG (more than ANALYSIS_MAX_FRAMES frames), RR_ERR_NOMEM.
 * Thread-safety: analysis_run() is reentrant (no global mutable state); the exercise registry
 * is read-only.
 *
 * Streaming: live.h feeds frames one by one and announces reps as they complete; its report is
 * always analysis_run() of the frames so far. report_write.h renders a report as JSON without a
 * JSON library (used natively by src/pipeline/report_json.c and by the WebAssembly build).
 */
#ifndef RR_ANALYSIS_H
#define RR_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>

#include "base/rr_landmarks.h"

/* Ten minutes at 60 fps. */
#define ANALYSIS_MAX_FRAMES (10 * 60 * 60)
/* Most form checks one exercise may define. */
#define ANALYSIS_MAX_CHECKS 12
/* Most exercises in the registry. */
#define ANALYSIS_MAX_EXERCISES 16

enum analysis_view {
    ANALYSIS_VIEW_UNKNOWN = 0,
    ANALYSIS_VIEW_FRONT,
    ANALYSIS_VIEW_SIDE,
    ANALYSIS_VIEW_DIAGONAL,
    ANALYSIS_VIEW_BACK
};

enum analysis_verdict { ANALYSIS_GOOD = 0, ANALYSIS_BAD, ANALYSIS_CANNOT_JUDGE };

enum analysis_severity { ANALYSIS_SEV_MINOR = 1, ANALYSIS_SEV_MODERATE = 2, ANALYSIS_SEV_MAJOR = 3 };

enum analysis_outcome {
    ANALYSIS_PASS = 0,     /* measured, within threshold */
    ANALYSIS_FAULT,        /* measured, beyond threshold */
    ANALYSIS_NOT_JUDGED    /* landmarks missing, out of frame or hidden; or wrong camera view */
};

/* One form rule applied to one rep (or one plank window). */
struct analysis_check {
    const char *name;      /* fault name, e.g. "knee_valgus" */
    const char *cue;       /* plain-language correction, e.g. "push your knees out" */
    const char *unit;      /* "deg", "ratio", "shin", ... */
    float value;           /* measured value (NAN when not judged) */
    float threshold;       /* fault when value is beyond it (see `above`) */
    int above;             /* 1: fault when value > threshold; 0: when value < threshold */
    enum analysis_severity severity;
    enum analysis_outcome outcome;
    float confidence;      /* 0.5 at the threshold .. 1 far from it; NAN when not judged */
    const char *reason;    /* not judged: "hidden" (landmarks hidden or out of frame), NULL else */
};

struct analysis_rep {
    int index;                 /* 1-based, in time order */
    size_t frame_start, frame_turn, frame_end; /* indices into the input series */
    int64_t t_start_us, t_turn_us, t_end_us;   /* start, far end of the movement, end */
    float rom;                 /* range of motion of the rep signal, in signal units */
    const char *rom_unit;      /* unit of rom, e.g. "deg" */
    float depth;               /* exercise's depth measure (e.g. min knee angle), NAN if unknown */
    const char *depth_name;    /* e.g. "min_knee_angle_deg" */
    float concentric_s;        /* duration of the working (lifting) phase */
    float eccentric_s;         /* duration of the lowering phase; NAN when cut by the clip */
    float symmetry_deg;        /* mean |left - right| of the main joint angle; NAN if one side hidden */
    float score;               /* 0-100; < 70 when bad, >= 70 when good, NAN when cannot judge */
    enum analysis_verdict verdict;
    float confidence;          /* confidence in the verdict 0.5..1, NAN when cannot judge */
    const char *cannot_judge_reason; /* static string when cannot judge, else NULL */
    int n_checks;
    struct analysis_check checks[ANALYSIS_MAX_CHECKS];
    int n_faults;              /* checks with outcome ANALYSIS_FAULT */
};

/* A movement towards the far end that fell short of a rep: reported, never counted. */
struct analysis_partial {
    size_t frame_start, frame_turn;
    int64_t t_start_us, t_turn_us;
    float reached;             /* share of the athlete's typical range of motion reached, 0..1 */
};

struct analysis_set {
    int reps;
    int partial_reps;          /* movements that fell short of a rep */
    int good, bad, cannot_judge;
    float mean_score;          /* over judged reps; NAN when none */
    const char *top_fault;     /* most frequent fault, NULL when none */
    int top_fault_reps;        /* reps showing it */
    float time_under_tension_s;
};

/* Plank: form over time, one window per second of hold. */
struct analysis_hold_window {
    int64_t t_start_us, t_end_us;
    float score;
    enum analysis_verdict verdict;
    const char *fault;         /* worst fault in the window, NULL when none */
};

struct analysis_hold {
    float hold_s;              /* time in the hold position */
    float good_form_s;         /* part of it without faults */
    float mean_score;          /* NAN when nothing was judged */
    int n_checks;
    struct analysis_check checks[ANALYSIS_MAX_CHECKS]; /* median values over the hold */
    size_t n_windows;
    struct analysis_hold_window *windows;
};

struct analysis_candidate {
    const char *exercise;
    float score;               /* 0..1 recognition score */
};

struct analysis_report {
    const char *exercise;      /* registry name, NULL when no exercise was recognised */
    int exercise_given;        /* 1: from analysis_opts, 0: recognised */
    float confidence;          /* recognition confidence 0..1 (1 when given) */
    int n_candidates;
    struct analysis_candidate candidates[ANALYSIS_MAX_EXERCISES]; /* best first */
    enum analysis_view view;
    int is_hold;               /* 1: hold exercise (plank): `hold` is filled, no reps */
    size_t n_frames;           /* input frames */
    size_t n_frames_used;      /* frames with a plausible pose of the athlete */
    float duration_s;
    struct analysis_set set;
    size_t n_reps;
    struct analysis_rep *reps;
    size_t n_partials;
    struct analysis_partial *partials;
    struct analysis_hold hold;
    float camera_roll_deg;     /* estimated camera tilt corrected for (0 when unknown) */
    int people;                /* distinct people the pose engine followed */
    int athlete;               /* which of them is the athlete (0-based), -1 when none */
};

struct analysis_params;

struct analysis_opts {
    const char *exercise;      /* registry name ("squat", ...) or NULL to recognise */
    const struct analysis_params *params; /* NULL: the shipped parameters (params.h) */
};

/* Default options: recognise the exercise. */
struct analysis_opts analysis_opts_default(void);

/* Analyse frames[0..n). opts may be NULL (defaults). n == 0 gives an empty report with no
 * exercise. Frames must have non-decreasing t_us. On success *out is a new report (free with
 * analysis_report_free) and 0 is returned. */
int analysis_run(const struct rr_pose_frame *frames, size_t n, const struct analysis_opts *opts,
                 struct analysis_report **out);

/* Free a report; NULL is a no-op. */
void analysis_report_free(struct analysis_report *r);

/* Names of enum values as used in the JSON report ("front", "good", "fault", "major", ...). */
const char *analysis_view_name(enum analysis_view v);
const char *analysis_verdict_name(enum analysis_verdict v);
const char *analysis_severity_name(enum analysis_severity s);
const char *analysis_outcome_name(enum analysis_outcome o);

/* Registered exercise names, in registry order; returns the count and sets *names. */
int analysis_exercises(const char *const **names);

#endif
