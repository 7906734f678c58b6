/*
 * report_write.h - the analysis report as JSON text (schema repright.report/2, documented in
 * docs/report-schema.md), written with the one JSON writer (base/rr_json.h) so that the same
 * code serves the native build (src/pipeline/report_json.c adds its "source" block around it)
 * and the WebAssembly build of the live page (web/wasm/). One writer: the two cannot drift.
 *
 * Numbers: non-finite values are written as null; reals always carry a '.' or an exponent (so
 * JSON parsers keep them real) with the writer's precision (17 significant digits unless the
 * caller set fewer: the double a float converts to then round-trips exactly); integer fields
 * are written as integers.
 *
 * Ownership: the writer is the caller's; analysis_report_json() returns malloc'd text.
 * Errors: sticky in the writer (rr_json.h): RR_ERR_NOMEM, RR_ERR_TOOBIG past its cap.
 * Thread-safety: reentrant; no global state.
 */
#ifndef RR_ANALYSIS_REPORT_WRITE_H
#define RR_ANALYSIS_REPORT_WRITE_H

#include <stddef.h>

#include "analysis/analysis.h"
#include "base/rr_json.h"

/* /2 keeps every field of /1 with its meaning and adds fields: a reader of /1 reads /2. */
#define ANALYSIS_REPORT_SCHEMA "repright.report/2"
/* Largest report text (a 10-minute report is well under 10 MB). */
#define ANALYSIS_REPORT_MAX_BYTES ((size_t)64 << 20)

/* One rep object / the whole report object, as a value at the writer's current position,
 * exactly as docs/report-schema.md (no "source"). */
void analysis_write_rep(struct rr_json *j, const struct analysis_rep *rep);
void analysis_write_report(struct rr_json *j, const struct analysis_report *r);
/* The members of the report object alone, into an object the caller opened (and closes: it may
 * add members of its own, as the pipeline's "source"). */
void analysis_write_report_members(struct rr_json *j, const struct analysis_report *r);

/* Compact JSON text of r with 17 significant digits (malloc'd, free()), or NULL when r is NULL
 * or memory ran out. */
char *analysis_report_json(const struct analysis_report *r);

#endif
