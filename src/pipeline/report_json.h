/*
 * report_json.h - the analysis report as JSON, schema "repright.report/2"
 * (docs/report-schema.md), as a jansson object or text with the pipeline's "source" block. The
 * text itself is written by the analysis core's own writer (src/analysis/report_write.h, which
 * the WebAssembly build shares); this module parses it and adds "source". Used by
 * `repright analyze --json`, the job worker and the API. Reports stored before /2 keep their
 * schema string; /2 only adds fields, so readers of /1 fields read both.
 *
 * Ownership: report_json_build() returns a new jansson reference (json_decref it);
 * report_json_dumps() a malloc'd string (free it).
 * Errors: NULL / RR_ERR_NOMEM on allocation failure, RR_ERR_INVAL for NULL arguments,
 * RR_ERR_IO when the stream cannot be written. NAN values are written as null.
 * Thread-safety: reentrant.
 */
#ifndef RR_PIPELINE_REPORT_JSON_H
#define RR_PIPELINE_REPORT_JSON_H

#include <jansson.h>
#include <stdio.h>

#include "../analysis/analysis.h"
#include "../analysis/report_write.h"

#define REPORT_JSON_SCHEMA ANALYSIS_REPORT_SCHEMA

struct pipeline_result;

/* The report object (without the "source" block). NULL on allocation failure or r == NULL. */
json_t *report_json_build(const struct analysis_report *r);

/* Compact JSON text of report_json_build(r); NULL on failure. */
char *report_json_dumps(const struct analysis_report *r);

/* Write the report of a pipeline run, with a "source" block (file, model, video geometry,
 * frame counts, timings; for a run on a landmark file, res->from_landmarks, the file, its format
 * and what it carries instead), indented, followed by a newline. `file` and `model` may be
 * NULL. */
int report_json_print(FILE *out, const char *file, const char *model,
                      const struct pipeline_result *res);

#endif
