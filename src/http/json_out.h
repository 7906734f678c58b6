/*
 * json_out.h - DEPRECATED thin layer over the one JSON writer, base/rr_json.h, kept so that the
 * callers in src/api/ compile unchanged while they move to rr_json directly (each call maps to
 * the rr_json_* function of the same suffix; then this file and json_out.c go).
 *
 * The bytes are rr_json's, i.e. exactly what jansson's json_dumps(JSON_COMPACT) gives for the
 * same values (see rr_json.h). Two differences from rr_json, kept from this module's contract:
 *  - json_out_real() of NaN or an infinity is an error (RR_ERR_INVAL, as jansson's json_real()
 *    refuses them), where rr_json_real() writes null;
 *  - json_out_jansson() writes a jansson value (rr_json knows nothing of jansson).
 * Ownership, errors (sticky: RR_ERR_NOMEM, RR_ERR_TOOBIG past `max`, RR_ERR_INVAL for invalid
 * UTF-8, misuse or nesting deeper than JSON_OUT_DEPTH) and thread-safety: as rr_json.h.
 * json_out_data() is NUL-terminated and stays valid until the next write or json_out_free().
 */
#ifndef RR_HTTP_JSON_OUT_H
#define RR_HTTP_JSON_OUT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/rr_json.h"

#define JSON_OUT_DEPTH RR_JSON_MAX_DEPTH

struct json_out {
    struct rr_json j;
};

static inline void json_out_init(struct json_out *o, char *initial, size_t initial_cap,
                                 size_t max)
{
    rr_json_init(&o->j, initial, initial_cap, max);
}
static inline void json_out_free(struct json_out *o) { rr_json_release(&o->j); }
static inline int json_out_error(const struct json_out *o) { return rr_json_error(&o->j); }
static inline const char *json_out_data(const struct json_out *o) { return rr_json_data(&o->j); }
static inline size_t json_out_len(const struct json_out *o) { return rr_json_len(&o->j); }

static inline void json_out_object_begin(struct json_out *o) { rr_json_object_begin(&o->j); }
static inline void json_out_object_end(struct json_out *o) { rr_json_object_end(&o->j); }
static inline void json_out_array_begin(struct json_out *o) { rr_json_array_begin(&o->j); }
static inline void json_out_array_end(struct json_out *o) { rr_json_array_end(&o->j); }
static inline void json_out_key(struct json_out *o, const char *key) { rr_json_key(&o->j, key); }
static inline void json_out_keyn(struct json_out *o, const char *key, size_t n)
{
    rr_json_keyn(&o->j, key, n);
}
#define JSON_OUT_KEY(o, lit) json_out_keyn((o), "" lit, sizeof(lit) - 1)

static inline void json_out_string(struct json_out *o, const char *s) { rr_json_string(&o->j, s); }
static inline void json_out_stringn(struct json_out *o, const char *s, size_t n)
{
    rr_json_stringn(&o->j, s, n);
}
static inline void json_out_int(struct json_out *o, int64_t v) { rr_json_int(&o->j, v); }
/* precision 1..17 significant digits as jansson's JSON_REAL_PRECISION; 0 means 17. */
void json_out_real(struct json_out *o, double v, int precision);
static inline void json_out_bool(struct json_out *o, int v) { rr_json_bool(&o->j, v); }
static inline void json_out_null(struct json_out *o) { rr_json_null(&o->j); }
static inline void json_out_time_ms(struct json_out *o, int64_t ms) { rr_json_time_ms(&o->j, ms); }
/* Any jansson value, as json_dumps(v, flags | JSON_ENCODE_ANY) writes it (NULL writes null). */
void json_out_jansson(struct json_out *o, const json_t *v, size_t flags);
static inline void json_out_raw(struct json_out *o, const char *s, size_t n)
{
    rr_json_raw(&o->j, s, n);
}
static inline int json_out_format_real(double v, int precision, char *out, size_t cap)
{
    return rr_json_format_real(v, precision, out, cap);
}

#endif
