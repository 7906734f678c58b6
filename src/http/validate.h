/*
 * validate.h - declarative JSON body schemas: a table of fields per body, checked before the
 * handler runs.
 *
 * A schema is a table of {name, type, required, min/max, pattern}. validate_json() checks the
 * whole body and reports EVERY problem (not the first one) as details
 * [{"field":"email","problem":"must be an email address"}, ...]. Nested objects are checked
 * with their own schema and reported with dotted names ("goal.reps").
 *   - unknown fields are refused (mass assignment: "role", "plan" sent to a profile update);
 *   - min/max bound a string's length in characters, an array's length, or a number's value;
 *   - patterns: VALIDATE_EMAIL (one '@', a dotted domain, no spaces, <= 254 bytes),
 *     VALIDATE_HEX_ID (lowercase hex digits; length from min/max), VALIDATE_ENUM (one of
 *     `enum_values`, a NULL-terminated list).
 * Result: 0 (valid), RR_ERR_INVAL (the body is not an object, or it has unknown fields: the
 * server answers 400 code "unknown_field"/"invalid_request"), RR_ERR_CORRUPT (known fields with
 * bad values only: 422 "validation_failed"), RR_ERR_NOMEM.
 * Query parameters of list endpoints get ONE error shape, whichever list: 422
 * "validation_failed", message "invalid request parameters", details [{"field","problem"}]:
 * validate_query_limit() (an optional "limit" of 1..max, else "must be an integer from 1 to
 * MAX"), validate_query_cursor() (an optional "cursor" of at most max_len bytes, else
 * VALIDATE_BAD_CURSOR) and validate_reply_param() for the rest (a cursor the store refuses:
 * validate_reply_param(req, "cursor", VALIDATE_BAD_CURSOR)). They return 0 (value set; the
 * default or NULL when absent) or 1 once the 422 is staged (the handler then returns 0).
 * Ownership: schemas are static tables owned by the caller; *details is a new reference the
 * caller owns (NULL when valid).
 * Thread-safety: pure; schemas are read-only; the query helpers touch only their request.
 */
#ifndef RR_HTTP_VALIDATE_H
#define RR_HTTP_VALIDATE_H

#include <jansson.h>
#include <stddef.h>

enum validate_type {
    VALIDATE_STRING = 0,
    VALIDATE_INT,
    VALIDATE_NUMBER,
    VALIDATE_BOOL,
    VALIDATE_OBJECT,
    VALIDATE_ARRAY,
};

enum validate_pattern {
    VALIDATE_ANY = 0,
    VALIDATE_EMAIL,
    VALIDATE_HEX_ID,
    VALIDATE_ENUM,
};

struct validate_schema;

struct validate_field {
    const char *name;
    enum validate_type type;
    int required;
    int has_min, has_max;
    double min, max; /* string/array length, or int/number value */
    enum validate_pattern pattern;
    const char *const *enum_values;       /* VALIDATE_ENUM: NULL-terminated */
    const struct validate_schema *object; /* VALIDATE_OBJECT: nested schema, or NULL (any) */
    const char *description;              /* OpenAPI */
};

struct validate_schema {
    const char *name; /* OpenAPI component name, e.g. "RegisterRequest" */
    const struct validate_field *fields;
    size_t n_fields;
};

int validate_json(const struct validate_schema *schema, const json_t *body, json_t **details);

/* JSON Schema (draft 2020-12, as OpenAPI 3.1 uses it) for a schema table; new reference. */
json_t *validate_to_json_schema(const struct validate_schema *schema);

struct http_request;

#define VALIDATE_BAD_CURSOR "malformed cursor"

int validate_query_limit(struct http_request *req, int def, int max, int *limit);
int validate_query_cursor(struct http_request *req, size_t max_len, const char **cursor);
int validate_reply_param(struct http_request *req, const char *field, const char *problem);

#endif
