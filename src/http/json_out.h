/*
 * json_out.h - a direct JSON writer for hot responses and log lines: values are appended to one
 * buffer (a caller's stack buffer first, the heap once it is full), with no json_t tree and no
 * printf on the common paths.
 *
 * The bytes are exactly what jansson's json_dumps(JSON_COMPACT) gives for the same values, so a
 * route can switch between the two without a client seeing a difference:
 *  - strings are checked as UTF-8 with jansson's rules (no overlong forms, no surrogates, nothing
 *    above U+10FFFF); '"' and '\\' are escaped, \b \f \n \r \t by name, other bytes below 0x20 as
 *    \u00XX (upper-case hex), everything else (including '/' and U+2028) is copied as is. A
 *    string that is not valid UTF-8 is an error (jansson's json_string() refuses it too);
 *  - reals are printf "%.17g" (or the given precision), with ".0" appended when that has neither
 *    '.' nor 'e', and the exponent without '+' or leading zeros ("1e-5"); NaN and infinities are
 *    an error (json_real() refuses them);
 *  - objects and arrays are written as they are opened and closed (commas and colons are the
 *    writer's business; keys are written in call order, as jansson keeps insertion order).
 *
 * Ownership: the writer never frees the caller's initial buffer; json_out_free() frees the heap
 * buffer it may have switched to. json_out_data() stays valid until the next write or free.
 * Errors: sticky. The first failure (RR_ERR_NOMEM, RR_ERR_TOOBIG past `max` bytes, RR_ERR_INVAL
 * for invalid UTF-8, a non-finite real, nesting deeper than JSON_OUT_DEPTH or a misplaced
 * key/close) is kept, later writes do nothing, and json_out_error() reports it.
 * Thread-safety: a writer belongs to one thread; the functions keep no global state.
 */
#ifndef RR_HTTP_JSON_OUT_H
#define RR_HTTP_JSON_OUT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_OUT_DEPTH 16

struct json_out {
    char *buf;
    size_t len, cap, max;
    int heap;  /* buf was allocated here */
    int err;   /* first RR_ERR_* */
    int depth; /* open objects and arrays */
    int after_key;
    unsigned char in_object[JSON_OUT_DEPTH];
    unsigned char has_item[JSON_OUT_DEPTH];
};

/* `initial` (may be NULL with initial_cap 0) is used until it is full; the output may never grow
 * past `max` bytes (RR_ERR_TOOBIG). */
void json_out_init(struct json_out *o, char *initial, size_t initial_cap, size_t max);
void json_out_free(struct json_out *o);
int json_out_error(const struct json_out *o);
const char *json_out_data(const struct json_out *o); /* not NUL-terminated */
size_t json_out_len(const struct json_out *o);

void json_out_object_begin(struct json_out *o);
void json_out_object_end(struct json_out *o);
void json_out_array_begin(struct json_out *o);
void json_out_array_end(struct json_out *o);
/* The key of the next member of the innermost object (NUL-terminated, checked like a string). */
void json_out_key(struct json_out *o, const char *key);
void json_out_keyn(struct json_out *o, const char *key, size_t n); /* n bytes, may hold NUL */
/* A key that is a string literal (no strlen at run time). */
#define JSON_OUT_KEY(o, lit) json_out_keyn((o), "" lit, sizeof(lit) - 1)

void json_out_string(struct json_out *o, const char *s); /* NULL writes null */
void json_out_stringn(struct json_out *o, const char *s, size_t n);
void json_out_int(struct json_out *o, int64_t v);
/* precision 1..17 significant digits as jansson's JSON_REAL_PRECISION; 0 means 17. */
void json_out_real(struct json_out *o, double v, int precision);
void json_out_bool(struct json_out *o, int v);
void json_out_null(struct json_out *o);
/* A UTC time from milliseconds since the epoch as the string "YYYY-MM-DDTHH:MM:SS.mmmZ"
 * (negative values read as 0; years past 9999 get more digits, as printf "%04d" would). */
void json_out_time_ms(struct json_out *o, int64_t ms);
/* Any jansson value, as json_dumps(v, flags | JSON_ENCODE_ANY) writes it (NULL writes null). */
void json_out_jansson(struct json_out *o, const json_t *v, size_t flags);
/* Bytes appended as they are (outside the JSON structure: e.g. a final newline). */
void json_out_raw(struct json_out *o, const char *s, size_t n);

/* The real formatting alone: writes at most cap bytes (cap >= 32) and returns the length, or -1
 * for NaN or an infinity. */
int json_out_format_real(double v, int precision, char *out, size_t cap);

#endif
