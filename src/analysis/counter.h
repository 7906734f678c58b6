/*
 * counter.h - rep counting on one exercise's phase signal: a push-one-sample state machine with
 * hysteresis that adapts to the athlete's own range of motion.
 *
 * The signal is oriented so that the far end of the movement (bottom of a squat, top of a curl)
 * is high. Each sample goes through a 5-sample median (drops single-frame tracking spikes) and a
 * one-pole low-pass filter with time constant tau_s. Turning points are confirmed by a
 * hysteresis band h = max(floor, h_frac * A), where A is the athlete's typical amplitude: the
 * median of the last three cycle amplitudes (partial ones included, so that a changed range of
 * motion is learnt within two reps while one short rep among full ones stays short), or the
 * exercise's prior amplitude (amp0) before any. A rise from a rest level to a far end of at
 * least keep_frac * A and min_rom_frac * amp0 is a cycle:
 *   - count_at_far = 0 (squat, push-up, lunge, deadlift, jumping jack: the working phase ends at
 *     rest): the rep counts once the signal has come back ret_frac of the rise;
 *   - count_at_far = 1 (curl, press, pull-up: the working phase ends at the far end): the rep
 *     counts as soon as the rise reaches keep_frac * A.
 * A smaller cycle above the hysteresis band is a partial rep: reported, never counted. A series
 * that starts at the far end counts its first return (count_at_far = 0 only). Pauses at either
 * end cost nothing (no timeout, no maximum duration); a gap of more than gap_s without a sample
 * forgets the current phase (never the count). Slow motion only slows the filter's response.
 *
 * Amplitudes are in signal units; every threshold is relative to A except `floor`, the
 * exercise's noise level, so shallow and deep movers, near and far cameras count alike.
 *
 * Internal to src/analysis. No allocation; O(1) per sample; a counter is used by one thread.
 */
#ifndef RR_ANALYSIS_COUNTER_H
#define RR_ANALYSIS_COUNTER_H

#include <stddef.h>
#include <stdint.h>

/* Constants shared by every exercise (struct analysis_params holds the chosen values). */
struct counter_params {
    float tau_s;      /* low-pass time constant */
    float h_frac;     /* hysteresis band, fraction of the typical amplitude */
    float keep_frac;  /* smallest full cycle, fraction of the typical amplitude */
    float ret_frac;   /* count_at_far = 0: part of the rise to come back before counting */
    float gap_s;      /* longer gaps forget the phase */
    float min_cycle_s; /* shortest rest-to-far movement that can be a rep */
    float min_rom_frac; /* smallest rep, fraction of the exercise's prior amplitude amp0 */
};

/* Per exercise. */
struct counter_signal {
    float amp0;       /* prior typical amplitude (signal units) */
    float amp0_iso;   /* the same for the signal read with a known image size (0: as amp0) */
    float floor;      /* noise level (signal units) */
    int count_at_far;
};

enum counter_event_kind { COUNTER_NONE = 0, COUNTER_REP, COUNTER_PARTIAL };

struct counter_event {
    enum counter_event_kind kind;
    size_t i_rest;    /* frame of the rest level before the movement (or series start) */
    size_t i_far;     /* frame of the far end (so far, for count_at_far) */
    size_t i_event;   /* frame at which it was decided */
    float v_rest, v_far; /* filtered signal there */
    int from_far;     /* the series (or segment) began at the far end */
};

enum counter_phase { COUNTER_UNKNOWN = 0, COUNTER_OUT, COUNTER_BACK };

#define COUNTER_MEDIAN 5
#define COUNTER_AMPS 3

struct counter {
    struct counter_params p;
    struct counter_signal s;
    /* median pre-filter */
    float med[COUNTER_MEDIAN];
    int n_med, med_pos;
    /* low-pass */
    int have;
    float y;
    float m;          /* last median-filtered sample (before the low-pass) */
    int64_t t_last_us;
    /* state machine */
    enum counter_phase phase;
    float lo, hi;
    size_t lo_i, hi_i;
    int64_t lo_t, hi_t;
    int rest_known;
    float rest;
    size_t rest_i;
    int64_t rest_t;
    float far;
    size_t far_i;
    int counted;      /* the current cycle produced its rep */
    float amps[COUNTER_AMPS];
    int n_amps;
    /* totals */
    int reps, partials;
};

void counter_init(struct counter *c, const struct counter_params *p, const struct counter_signal *s);

/* Feed sample i at t_us (v = NAN: no sample). Returns 1 and fills *ev on a rep or partial rep. */
int counter_push(struct counter *c, size_t i, int64_t t_us, float v, struct counter_event *ev);

/* Typical amplitude now (median of recent cycles, else the prior). */
float counter_amplitude(const struct counter *c);

/* Filtered signal (NAN before the first sample or after a gap). */
float counter_value(const struct counter *c);
/* The last sample after the median filter only (less delayed than counter_value). */
float counter_median(const struct counter *c);

/* 0..1: where the filtered signal is between the last rest level and rest + A (NAN unknown). */
float counter_phi(const struct counter *c);

#endif
