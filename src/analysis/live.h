/*
 * live.h - streaming analysis for the live coach page: frames go in one by one, newly completed
 * reps come out as they happen, and the session's report is always the batch analysis of the
 * frames pushed so far.
 *
 * INVARIANT: after pushing frames f[0..n), analysis_live_report() equals analysis_run(f, n)
 * with the session's options, field for field (it IS that call, on the session's copy of the
 * frames, cached until the next push). Reps announced by analysis_live_push() come from such a
 * report too, so the live page and an uploaded analysis of the same landmarks agree.
 *
 * Cost: the batch analysis is O(n log n) per call (whole-series recognition, view, athlete
 * tracking), too slow to run on every frame of a long session. A push therefore does a cheap
 * step (per-frame geometry and one streaming rep tracker per candidate exercise: O(1)) and
 * re-runs the batch analysis only when a tracker counts a rep (a rep may have closed: any
 * candidate's tracker while no exercise is known yet, then the current exercise's) or when `stride` frames have arrived since the last run (stride grows with the
 * session, LIVE_MIN_STRIDE..LIVE_MAX_STRIDE frames, so the amortised cost stays bounded).
 * docs/internals/wasm.md has the measured costs.
 *
 * Ownership: analysis_live_new() allocates the session, analysis_live_free() frees it. Frames
 * are copied. Reports returned by push/report belong to the session and stay valid until the
 * next push or free.
 * Errors: RR_ERR_INVAL (NULL arguments, unknown exercise, frame older than the previous one),
 * RR_ERR_TOOBIG (more than ANALYSIS_MAX_FRAMES frames: the session is full, earlier frames and
 * reports stay valid), RR_ERR_NOMEM. A failed push leaves the session as it was.
 * Thread-safety: a session is used by one thread at a time; sessions are independent.
 */
#ifndef RR_ANALYSIS_LIVE_H
#define RR_ANALYSIS_LIVE_H

#include <stddef.h>

#include "analysis.h"

/* Re-run stride bounds, in frames (0.5 s .. 5 s at 30 fps). */
#define LIVE_MIN_STRIDE 15
#define LIVE_MAX_STRIDE 150

/* Where the athlete is in the current rep of the session's exercise (its rep signal is low at
 * rest and high at the far end: bottom of a squat, top of a curl). */
enum analysis_live_phase {
    LIVE_PHASE_UNKNOWN = 0, /* no exercise yet, no pose, or tracking just (re)started */
    LIVE_PHASE_OUT,         /* moving from rest towards the far end */
    LIVE_PHASE_BACK         /* returning from the far end towards rest */
};

struct analysis_live;

/* What one push produced. */
struct analysis_live_status {
    const struct analysis_report *report; /* latest computed report (may predate this frame) */
    size_t first_new, n_new;  /* report->reps[first_new .. first_new + n_new) are new */
    int reps;                 /* rep count of `report` */
    const char *exercise;     /* report's exercise (or the given one), NULL when none yet */
    enum analysis_live_phase phase;
    int reran;                /* 1 when this push re-ran the batch analysis */
    size_t n_frames;          /* frames in the session */
};

/* New session; opts may be NULL (recognise the exercise). */
int analysis_live_new(const struct analysis_opts *opts, struct analysis_live **out);

/* Append frame f (copied; f->has_pose = 0 for a frame without a pose) and fill *st (may be
 * NULL). A rep is announced once: reps whose index is above every index announced before. */
int analysis_live_push(struct analysis_live *lv, const struct rr_pose_frame *f,
                       struct analysis_live_status *st);

/* The report of every frame pushed so far (runs the batch analysis when a frame arrived since
 * the last run). *out belongs to the session. */
int analysis_live_report(struct analysis_live *lv, const struct analysis_report **out);

/* Frames in the session. */
size_t analysis_live_frames(const struct analysis_live *lv);

/* "unknown", "out", "back". */
const char *analysis_live_phase_name(enum analysis_live_phase p);

/* Free a session; NULL is a no-op. */
void analysis_live_free(struct analysis_live *lv);

#endif
