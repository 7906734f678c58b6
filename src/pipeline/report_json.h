/*
 * report_json.h - the analysis report as JSON text, schema "repright.report/2"
 * (docs/report-schema.md): compact for storage, or indented with the pipeline's "source" block
 * for `repright analyze --json`. The report members are written by the analysis core's own
 * writer (src/analysis/report_write.h, which the WebAssembly build shares) into the one JSON
 * writer (base/rr_json.h): written once, never parsed and written again. report_json_load()
 * reads a stored report back for the one thing that draws it later (the overlay render job):
 * what a drawing needs, not a round trip. Reports stored before
 * /2 keep their schema string; /2 only adds fields, so readers of /1 fields read both.
 *
 * Numbers: reals with REPORT_JSON_DIGITS significant digits (the report's floats are measures,
 * not exact data); NaN as null.
 * Ownership: report_json_dumps() returns a malloc'd string (free it).
 * Errors: NULL / RR_ERR_NOMEM on allocation failure, RR_ERR_TOOBIG past
 * ANALYSIS_REPORT_MAX_BYTES, RR_ERR_INVAL for NULL arguments, RR_ERR_IO when the stream cannot
 * be written.
 * Thread-safety: reentrant.
 */
#ifndef RR_PIPELINE_REPORT_JSON_H
#define RR_PIPELINE_REPORT_JSON_H

#include <stdio.h>

#include "analysis/analysis.h"
#include "analysis/report_write.h"

#define REPORT_JSON_SCHEMA ANALYSIS_REPORT_SCHEMA
#define REPORT_JSON_DIGITS 6

struct pipeline_result;

/* Compact JSON text of the report (no "source" block); NULL when r is NULL or on failure. */
char *report_json_dumps(const struct analysis_report *r);

/* Write the report of a pipeline run, with a "source" block (file, model, video geometry,
 * frame counts, timings; for a run on a landmark file, res->from_landmarks, the file, its format
 * and what it carries instead), indented by 2, followed by a newline. `file` and `model` may be
 * NULL. */
int report_json_print(FILE *out, const char *file, const char *model,
                      const struct pipeline_result *res);

/* A stored report text[0..len) back as a report struct, for drawing it (pipeline_render): the
 * exercise, is_hold, and per rep its index, frames, times, score, verdict, cannot-judge reason
 * and checks (name, cue, outcome, value, threshold, unit); set, hold and candidates are left
 * empty. Its strings point into *doc (a jansson tree): free the report with
 * analysis_report_free() and then report_json_doc_free(*doc). RR_ERR_CORRUPT (msg says what)
 * for text that is not a report, RR_ERR_NOMEM. */
int report_json_load(const char *text, size_t len, struct analysis_report **out, void **doc,
                     char *msg, size_t msg_len);
void report_json_doc_free(void *doc);

#endif
