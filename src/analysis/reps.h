/*
 * reps.h - rep segmentation on a 1-D exercise signal: a push-one-sample hysteresis state
 * machine, usable in batch (analysis_run) and streaming (live page) alike.
 *
 * The signal p is oriented so that the rest position is low and the far end of the movement
 * (bottom of a squat, top of a curl) is high. The tracker smooths p with a causal one-pole filter,
 * confirms turning points with a hysteresis band, and emits a rep event:
 *   - count_at_peak = 0 (squat, push-up, lunge, jumping jack: the working phase ends at rest):
 *     when p has come back from the far end by max(min_range, return_frac * descent), where the
 *     descent itself was at least min_range (or the series began at the far end: a rep cut at
 *     the clip start whose working phase is inside the clip);
 *   - count_at_peak = 1 (curl, press, pull-up, deadlift: the working phase ends at the far end):
 *     when p has risen from the last rest level by min_range. A series that begins near the far
 *     end while still rising by at least lead_in (tracking began during the lift) counts once
 *     the full descent that follows proves it was the far end.
 * Thresholds are in signal units (degrees, torso lengths) so they keep their physical meaning;
 * they adapt to the athlete because every test is relative to the observed rest and far-end
 * levels, not to absolute positions. NAN samples are gaps; a gap longer than max_gap_s resets the
 * state (tracking lost: a new segment begins).
 *
 * Internal to src/analysis. No allocation; a tracker is used by one thread.
 */
#ifndef RR_ANALYSIS_REPS_H
#define RR_ANALYSIS_REPS_H

#include <stddef.h>
#include <stdint.h>

struct reps_params {
    float min_range;   /* smallest movement that is a rep, signal units */
    float hyst;        /* hysteresis band for turning points, signal units */
    float return_frac; /* count_at_peak = 0: part of the descent to recover */
    float lead_in;     /* count_at_peak = 1: rise needed at a series start at the far end */
    float min_rep_s;   /* shortest rep (start to count) */
    float max_gap_s;   /* longer gaps in the signal reset the tracker */
    float smooth_s;    /* time constant of the smoothing filter */
    int count_at_peak;
};

struct reps_event {
    size_t i_start;   /* sample where the rep started (rest level, or series start) */
    size_t i_turn;    /* sample at the far end */
    size_t i_count;   /* sample at which the rep was counted */
    float v_start, v_turn; /* smoothed signal there */
};

enum reps_phase { REPS_UNKNOWN = 0, REPS_UP, REPS_DOWN };

struct reps_tracker {
    struct reps_params p;
    enum reps_phase phase;
    int have;               /* a valid sample has been seen in this segment */
    int64_t t_last_us;      /* time of the last valid sample */
    float y;                /* smoothed value */
    float lo, hi;           /* running extremes of the current phase */
    size_t lo_i, hi_i;
    int64_t lo_t, hi_t;
    int valley_known;       /* the rest level before the current peak was observed */
    float valley;           /* rest level before the current movement */
    size_t valley_i;
    int64_t valley_t;
    float peak;             /* last confirmed far end */
    size_t peak_i;
    int peak_from_start;    /* the peak was at the segment start (partial rep) */
    int counted;            /* the current cycle has produced its rep */
    float seg_start_v;      /* first smoothed value of the segment */
    size_t seg_start_i;
    int first_cycle;        /* still in the segment's first up-movement */
    int lead_pending;       /* count_at_peak: lead-in rise seen, waiting for the descent */
};

void reps_tracker_init(struct reps_tracker *t, const struct reps_params *p);

/* Feed sample i at time t_us (v = NAN when the signal is not available). Returns 1 and fills
 * *ev when a rep is counted at this sample, else 0. */
int reps_tracker_push(struct reps_tracker *t, size_t i, int64_t t_us, float v,
                      struct reps_event *ev);

/* Current smoothed value (NAN before the first sample of a segment). */
float reps_tracker_value(const struct reps_tracker *t);

#endif
