/*
 * stream.h - the analysis core as one streaming pass: frames go in one at a time, the report
 * of everything pushed so far comes out at any moment. analysis_run() is "push every frame,
 * then report"; the live coach pushes camera frames and reads the same state, so the two agree
 * by construction.
 *
 * Per frame (O(1), no allocation except when a rep is stored): identity and camera roll
 * (track.c), then, for every person, every exercise's phase signal through its counter
 * (counter.c; all nine while recognising, one when the exercise is given), the plank hold, and
 * view statistics. A counted rep is judged (form.c) once its movement has ended, from the last
 * STREAM_RING frames kept in a ring. A report decides the exercise from the evidence so far and
 * copies the athlete's reps; reps still open are closed on the copy, never in the stream.
 *
 * Ownership: analysis_stream_new() allocates, analysis_stream_free() frees (NULL is a no-op).
 * Reports from analysis_stream_report() are the caller's (analysis_report_free()).
 * Errors: RR_ERR_INVAL (NULL arguments, unknown exercise, a frame older than the previous one),
 * RR_ERR_TOOBIG (more than ANALYSIS_MAX_FRAMES frames), RR_ERR_NOMEM. A failed push leaves the
 * stream as it was.
 * Thread-safety: a stream is used by one thread at a time; streams are independent.
 */
#ifndef RR_ANALYSIS_STREAM_H
#define RR_ANALYSIS_STREAM_H

#include <stddef.h>

#include "analysis/analysis.h"

/* Frames kept for judging reps: 34 s at 30 fps. */
#define STREAM_RING 1024

struct analysis_stream;

int analysis_stream_new(const struct analysis_opts *opts, struct analysis_stream **out);
int analysis_stream_push(struct analysis_stream *s, const struct rr_pose_frame *f);
/* The report of every frame pushed so far (a new report, caller frees). */
int analysis_stream_report(const struct analysis_stream *s, struct analysis_report **out);
void analysis_stream_free(struct analysis_stream *s);

/* Frames pushed. */
size_t analysis_stream_frames(const struct analysis_stream *s);

/* Live view of the stream (cheap, no report): the exercise decided so far (NULL none), its
 * counted reps for the athlete so far, and where the athlete is in the current rep:
 * 0 unknown, 1 moving out to the far end, 2 coming back. */
const char *analysis_stream_exercise(const struct analysis_stream *s, int *reps, int *phase);

/* Reps of the decided exercise already judged for the athlete (a rep still open excluded). */
void analysis_stream_judged(const struct analysis_stream *s, int *judged);

#endif
