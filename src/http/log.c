/*
 * log.c - log_event(): a jansson object of fields turned into rr_log fields (log.h). Scalars
 * are passed as they are; objects and arrays are dumped by jansson first (rare in logs).
 */
#include "http/log.h"

#include <stdlib.h>
#include <string.h>

#define LOG_STACK_FIELDS 32
#define LOG_REAL_FLAGS                                                                             \
    (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(RR_LOG_REAL_DIGITS))

void log_event(enum log_level level, const char *msg, json_t *fields)
{
    struct rr_log_field stack[LOG_STACK_FIELDS], *f = stack;
    char *dumps[LOG_STACK_FIELDS], **dumped = dumps;
    size_t n = 0, nd = 0;
    if (!rr_log_enabled((enum rr_log_level)level)) {
        json_decref(fields);
        return;
    }
    size_t count = json_is_object(fields) ? json_object_size(fields) : 0;
    if (count > LOG_STACK_FIELDS) {
        struct rr_log_field *hf = malloc(count * sizeof *hf);
        char **hd = malloc(count * sizeof *hd);
        if (hf && hd) {
            f = hf;
            dumped = hd;
        } else { /* out of memory: the line without its fields */
            free(hf);
            free(hd);
            count = 0;
        }
    }
    const char *k;
    json_t *v;
    if (count) {
        json_object_foreach(fields, k, v)
        {
            if (n == count)
                break;
            switch (json_typeof(v)) {
            case JSON_STRING:
                f[n++] = RR_LOG_STRN(k, json_string_value(v), json_string_length(v));
                break;
            case JSON_INTEGER:
                f[n++] = RR_LOG_INT(k, json_integer_value(v));
                break;
            case JSON_REAL:
                f[n++] = RR_LOG_REAL(k, json_real_value(v));
                break;
            case JSON_TRUE:
            case JSON_FALSE:
                f[n++] = RR_LOG_BOOL(k, json_is_true(v));
                break;
            case JSON_NULL:
                f[n++] = RR_LOG_NULL(k);
                break;
            default: { /* objects and arrays */
                char *s = json_dumps(v, LOG_REAL_FLAGS | JSON_ENCODE_ANY);
                if (s)
                    dumped[nd++] = s;
                f[n++] = RR_LOG_JSON(k, s, s ? strlen(s) : 0);
            }
            }
        }
    }
    rr_log_write((enum rr_log_level)level, msg, f, n);
    for (size_t i = 0; i < nd; i++)
        free(dumped[i]);
    if (f != stack)
        free(f);
    if (dumped != dumps)
        free(dumped);
    json_decref(fields);
}
