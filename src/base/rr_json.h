/*
 * rr_json.h - the one JSON writer: values appended to a bounded buffer (rr_buf.h) as they are
 * opened and closed, with no tree and no printf on the common paths. The API's responses, the
 * analysis report (also in the WebAssembly build), landmark files, log lines and the metrics
 * page are written with it; jansson is only used to parse.
 *
 * What it writes (byte for byte what jansson's json_dumps() writes for the same values, with
 * JSON_COMPACT, or JSON_INDENT(n) after rr_json_set_indent()):
 *  - structure: commas, colons and (when indenting) newlines are the writer's business; keys come
 *    in call order. Misuse (a key outside an object, a value without its key, a close that does
 *    not match, nesting deeper than RR_JSON_MAX_DEPTH) is an RR_ERR_INVAL error;
 *  - strings: checked as UTF-8 with jansson's rules (no overlong forms, no surrogates, nothing
 *    above U+10FFFF); '"' and '\\' are escaped, \b \f \n \r \t by name, other bytes below 0x20
 *    as \u00XX (upper-case hex), everything else (including '/' and U+2028) is copied. A string
 *    that is not valid UTF-8 is an RR_ERR_INVAL error; rr_json_string_lossy() writes '?' for each
 *    byte that is not part of a valid sequence instead (file names, log text);
 *  - numbers: integers in decimal; reals with the writer's precision (17 significant digits
 *    unless rr_json_set_precision() says otherwise, so a double reads back exactly), formatted
 *    as jansson does: printf "%.Ng", ".0" appended when that has neither '.' nor 'e', the
 *    exponent without '+' or leading zeros ("1e-5"), '.' whatever the locale.
 *    NaN and the infinities are written as null: JSON has no such numbers, and RepRight's
 *    documents (report, landmarks) define null as "not measured". A caller for whom a
 *    non-finite value is a bug checks isfinite() itself;
 *  - rr_json_fixed() and rr_json_scaled() give a fixed number of decimals for compact or exact
 *    decimal output (landmark tracks, times in milliseconds).
 *
 * Errors: sticky, in the buffer (rr_buf.h): the first of RR_ERR_NOMEM, RR_ERR_TOOBIG (the text
 * would pass `max` bytes) or RR_ERR_INVAL (misuse, invalid UTF-8) is kept, later calls do
 * nothing; check rr_json_error() (or rr_json_finish()) once at the end. After an error the text
 * is incomplete (a refused value may leave its comma) and rr_json_detach() hands nothing out.
 * Ownership: as rr_buf: the caller's initial storage is never freed; rr_json_release() frees the
 * heap, rr_json_detach() hands the text over. rr_json_data() is valid until the next write.
 * Thread-safety: a writer belongs to one thread; nothing here has global state.
 */
#ifndef RR_BASE_JSON_H
#define RR_BASE_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "base/rr_buf.h"

#define RR_JSON_MAX_DEPTH 32 /* open objects and arrays */

struct rr_json {
    struct rr_buf buf;
    int depth;     /* open containers */
    int precision; /* significant digits of rr_json_real(), 1..17 */
    int indent;    /* 0 compact; n: jansson's JSON_INDENT(n) layout */
    int after_key; /* a key was written, its value is due */
    unsigned char open[RR_JSON_MAX_DEPTH]; /* RR_JSON__* bits per open container */
};

/* `initial` (may be NULL with initial_cap 0) is used until it is full; the text may never grow
 * past `max` bytes. */
void rr_json_init(struct rr_json *j, char *initial, size_t initial_cap, size_t max);
void rr_json_release(struct rr_json *j);
/* Significant digits of rr_json_real(), 1..17 (0 or anything else: 17). */
void rr_json_set_precision(struct rr_json *j, int digits);
/* Pretty layout as jansson's JSON_INDENT(spaces) (without JSON_COMPACT): items on their own
 * lines, ": " after keys. 0 (the default) is compact. Set before the first value. */
void rr_json_set_indent(struct rr_json *j, int spaces);

static inline int rr_json_error(const struct rr_json *j) { return j->buf.err; }
static inline const char *rr_json_data(const struct rr_json *j) { return rr_buf_data(&j->buf); }
static inline size_t rr_json_len(const struct rr_json *j) { return j->buf.len; }
/* The error, or RR_ERR_INVAL while an object or array is still open; 0 when the text is a
 * complete document. */
int rr_json_finish(const struct rr_json *j);
/* The text (malloc'd, NUL-terminated; *len may be NULL) when rr_json_finish() is 0, else NULL.
 * The writer is released either way. */
char *rr_json_detach(struct rr_json *j, size_t *len);
/* Record an error (the first one wins). */
void rr_json_fail(struct rr_json *j, int err);
/* Drop the text written so far but keep the place in the document: a long document is streamed
 * by writing out rr_json_data() and draining (the cap then bounds each piece). Errors stay. */
void rr_json_drain(struct rr_json *j);

void rr_json_object_begin(struct rr_json *j);
void rr_json_object_end(struct rr_json *j);
void rr_json_array_begin(struct rr_json *j);
/* An array with each item on its own line ("[\n1,\n2\n]"): landmark files, one frame a line. */
void rr_json_array_begin_lines(struct rr_json *j);
void rr_json_array_end(struct rr_json *j);

/* The key of the next member of the innermost object (checked like a string). */
void rr_json_key(struct rr_json *j, const char *key);
void rr_json_keyn(struct rr_json *j, const char *key, size_t n); /* n bytes, may hold NUL */
/* A key that is a string literal (no strlen at run time). */
#define RR_JSON_KEY(j, lit) rr_json_keyn((j), "" lit, sizeof(lit) - 1)

void rr_json_string(struct rr_json *j, const char *s); /* NULL writes null */
void rr_json_stringn(struct rr_json *j, const char *s, size_t n);
/* s[0..n) with '?' for every byte that is not part of valid UTF-8 (NULL writes null). */
void rr_json_string_lossy(struct rr_json *j, const char *s, size_t n);
void rr_json_int(struct rr_json *j, int64_t v);
void rr_json_uint(struct rr_json *j, uint64_t v);
void rr_json_real(struct rr_json *j, double v);                     /* writer's precision */
void rr_json_real_digits(struct rr_json *j, double v, int digits);  /* 1..17, 0 = 17 */
/* v with `decimals` (0..9) decimals, trailing zeros and a bare '.' dropped, "-0" as "0"
 * ("0.5", "12", "-0.031"); non-finite -> null; |v| >= 1e15 is written as rr_json_real(). */
void rr_json_fixed(struct rr_json *j, double v, int decimals);
/* The exact decimal v / 10^decimals with exactly `decimals` (0..18) decimals: (33367, 3) ->
 * "33.367", (-5, 3) -> "-0.005". */
void rr_json_scaled(struct rr_json *j, int64_t v, int decimals);
void rr_json_bool(struct rr_json *j, int v);
void rr_json_null(struct rr_json *j);
/* A UTC time from milliseconds since the epoch as "YYYY-MM-DDTHH:MM:SS.mmmZ" (RFC 3339;
 * negative values read as 0; years past 9999 get more digits). */
void rr_json_time_ms(struct rr_json *j, int64_t ms);
/* A value that is already JSON text (the caller vouches for it), placed like any value. */
void rr_json_verbatim(struct rr_json *j, const char *json, size_t n);
/* Bytes appended as they are, outside the JSON structure (e.g. a final newline). */
void rr_json_raw(struct rr_json *j, const char *s, size_t n);

/* The real formatting alone: at most cap bytes (cap >= 32, NUL included); the length, or -1 for
 * NaN, an infinity or a small cap. digits 1..17 (anything else: 17). */
int rr_json_format_real(double v, int digits, char *out, size_t cap);
/* Length of the valid UTF-8 sequence at s (n >= 1 bytes left), 0 when it is not valid. */
size_t rr_utf8_seq(const unsigned char *s, size_t n);

#endif
