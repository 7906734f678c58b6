/*
 * live.h - streaming analysis for the live coach page: frames go in one by one, newly completed
 * reps come out as they happen, and the session's report is always the batch analysis of the
 * frames pushed so far.
 *
 * INVARIANT: after pushing frames f[0..n), analysis_live_report() equals analysis_run(f, n)
 * with the session's options, field for field: both are a report of the same analysis stream
 * (stream.h) after the same pushes. Reps announced by analysis_live_push() come from such a
 * report too, so the live page and an uploaded analysis of the same landmarks agree.
 *
 * Cost: a push is one stream push (O(1)). A report is made only when a rep of the session's
 * exercise has been judged (announced) or when asked for; its cost is one copy of the reps.
 * A rep is announced once its movement has ended (back at rest, the next rep began, or two
 * seconds passed), with its final verdict; `reps` counts a rep as soon as it is counted.
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

#include "analysis/analysis.h"

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
    int reps;                 /* reps counted so far (a rep still being judged included) */
    const char *exercise;     /* report's exercise (or the given one), NULL when none yet */
    enum analysis_live_phase phase;
    int reran;                /* 1 when this push made a new report */
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
