/*
 * report_write.h - the analysis report as JSON text (schema repright.report/2, documented in
 * docs/report-schema.md), written without any JSON library so that the same code serves the
 * native build (src/pipeline/report_json.c parses this text and adds its "source" block) and
 * the WebAssembly build of the live page (web/wasm/). One writer: the two cannot drift.
 *
 * Numbers: non-finite values are written as null; floating-point fields always carry a '.' or
 * an exponent (so JSON parsers keep them real) and 17 significant digits (the double a float
 * converts to round-trips exactly); integer fields are written as integers.
 *
 * Ownership: rr_jbuf owns its text (jbuf_release hands it over, jbuf_free frees it). Errors: an
 * allocation failure or a size beyond RR_JBUF_MAX sticks in jb->err (RR_ERR_NOMEM /
 * RR_ERR_TOOBIG) and every later write is a no-op; check it once at the end.
 * Thread-safety: a buffer is used by one thread; the functions keep no global state.
 */
#ifndef RR_ANALYSIS_REPORT_WRITE_H
#define RR_ANALYSIS_REPORT_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "analysis.h"

/* /2 keeps every field of /1 with its meaning and adds fields: a reader of /1 reads /2. */
#define ANALYSIS_REPORT_SCHEMA "repright.report/2"
/* Largest JSON text one buffer may grow to (a 10-minute report is well under 10 MB). */
#define RR_JBUF_MAX ((size_t)64 << 20)

struct rr_jbuf {
    char *s;      /* NUL-terminated text (NULL until the first write) */
    size_t len, cap;
    int err;      /* 0, RR_ERR_NOMEM or RR_ERR_TOOBIG */
};

void jbuf_init(struct rr_jbuf *jb);
void jbuf_free(struct rr_jbuf *jb);
/* The text (malloc'd, caller frees) or NULL when jb->err is set; the buffer is left empty. */
char *jbuf_release(struct rr_jbuf *jb);

void jbuf_raw(struct rr_jbuf *jb, const char *s);           /* verbatim */
void jbuf_str(struct rr_jbuf *jb, const char *s);           /* JSON string, NULL -> null */
void jbuf_real(struct rr_jbuf *jb, double v);               /* non-finite -> null */
void jbuf_int(struct rr_jbuf *jb, long long v);
void jbuf_key(struct rr_jbuf *jb, const char *k);           /* "k": (k is a plain literal) */

/* One rep object / the whole report object, exactly as docs/report-schema.md (no "source"). */
void analysis_write_rep(struct rr_jbuf *jb, const struct analysis_rep *rep);
void analysis_write_report(struct rr_jbuf *jb, const struct analysis_report *r);

/* Compact JSON text of r (malloc'd, free()), or NULL when r is NULL or memory ran out. */
char *analysis_report_json(const struct analysis_report *r);

#endif
