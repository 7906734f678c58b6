/*
 * validate.c - check a JSON object against a field table, collecting every problem.
 */
#include "http/validate.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/rr_error.h"
#include "http/request.h"

#define MAX_DEPTH 8

static const char *const type_names[] = {"string", "integer", "number", "boolean", "object",
                                         "array"};

static int add_problem(json_t *details, const char *prefix, const char *name, const char *problem)
{
    char field[256];
    int n = snprintf(field, sizeof field, "%s%s%s", prefix, prefix[0] ? "." : "", name);
    if (n >= (int)sizeof field) {
        /* a long (unknown) field name was cut: never in the middle of a UTF-8 character, which
         * would make the detail invalid JSON (and the answer a 500 instead of a 422) */
        size_t len = sizeof field - 1;
        while (len > 0 && ((unsigned char)field[len - 1] & 0xC0) == 0x80)
            len--;
        if (len > 0 && (unsigned char)field[len - 1] >= 0xC0)
            len--;
        field[len] = '\0';
    }
    return json_array_append_new(details,
                                 json_pack("{s:s, s:s}", "field", field, "problem", problem)) == 0
               ? 0
               : RR_ERR_NOMEM;
}

static size_t utf8_chars(const char *s, size_t bytes)
{
    size_t n = 0;
    for (size_t i = 0; i < bytes; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            n++;
    return n;
}

static int email_ok(const char *s, size_t n)
{
    const char *at = memchr(s, '@', n);
    if (!at || n > 254 || at == s || (size_t)(at - s) > 64)
        return 0;
    if (memchr(at + 1, '@', n - (size_t)(at - s) - 1))
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == ',' || c == ';')
            return 0;
    }
    const char *dom = at + 1;
    size_t dn = n - (size_t)(dom - s);
    const char *dot = memchr(dom, '.', dn);
    if (dn < 3 || !dot || dom[0] == '.' || dom[dn - 1] == '.' || strstr(dom, ".."))
        return 0;
    return 1;
}

static int hex_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return n > 0;
}

static int check_fields(const struct validate_schema *schema, const json_t *obj, const char *prefix,
                        json_t *details, int *unknown, int depth);

static int check_value(const struct validate_field *f, const json_t *v, const char *prefix,
                       json_t *details, int *unknown, int depth)
{
    char problem[160];
    int ok_type;
    switch (f->type) {
    case VALIDATE_STRING: ok_type = json_is_string(v); break;
    case VALIDATE_INT: ok_type = json_is_integer(v); break;
    case VALIDATE_NUMBER: ok_type = json_is_number(v); break;
    case VALIDATE_BOOL: ok_type = json_is_boolean(v); break;
    case VALIDATE_OBJECT: ok_type = json_is_object(v); break;
    case VALIDATE_ARRAY: ok_type = json_is_array(v); break;
    default: ok_type = 0; break;
    }
    if (!ok_type) {
        snprintf(problem, sizeof problem, "must be of type %s",
                 (unsigned)f->type < 6 ? type_names[f->type] : "unknown");
        return add_problem(details, prefix, f->name, problem);
    }
    double amount = 0;
    const char *what = "";
    int has_amount = 1;
    switch (f->type) {
    case VALIDATE_STRING:
        amount = (double)utf8_chars(json_string_value(v), json_string_length(v));
        what = "length";
        break;
    case VALIDATE_ARRAY:
        amount = (double)json_array_size(v);
        what = "number of items";
        break;
    case VALIDATE_INT:
    case VALIDATE_NUMBER:
        amount = json_number_value(v);
        what = "value";
        break;
    default:
        has_amount = 0;
        break;
    }
    if (has_amount && f->has_min && amount < f->min) {
        snprintf(problem, sizeof problem, "%s must be at least %g", what, f->min);
        return add_problem(details, prefix, f->name, problem);
    }
    if (has_amount && f->has_max && amount > f->max) {
        snprintf(problem, sizeof problem, "%s must be at most %g", what, f->max);
        return add_problem(details, prefix, f->name, problem);
    }
    if (f->type == VALIDATE_STRING) {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        if (f->pattern == VALIDATE_EMAIL && !email_ok(s, n))
            return add_problem(details, prefix, f->name, "must be an email address");
        if (f->pattern == VALIDATE_HEX_ID && !hex_ok(s, n))
            return add_problem(details, prefix, f->name, "must be a lowercase hex id");
        if (f->pattern == VALIDATE_ENUM) {
            int found = 0;
            for (const char *const *e = f->enum_values; e && *e; e++)
                if (strcmp(*e, s) == 0 && strlen(*e) == n)
                    found = 1;
            if (!found)
                return add_problem(details, prefix, f->name, "must be one of the allowed values");
        }
    }
    if (f->type == VALIDATE_OBJECT && f->object) {
        char sub[256];
        snprintf(sub, sizeof sub, "%s%s%s", prefix, prefix[0] ? "." : "", f->name);
        return check_fields(f->object, v, sub, details, unknown, depth + 1);
    }
    return 0;
}

static int check_fields(const struct validate_schema *schema, const json_t *obj, const char *prefix,
                        json_t *details, int *unknown, int depth)
{
    int err;
    if (depth > MAX_DEPTH)
        return add_problem(details, prefix, "", "nested too deeply");
    for (size_t i = 0; i < schema->n_fields; i++) {
        const struct validate_field *f = &schema->fields[i];
        json_t *v = json_object_get(obj, f->name);
        if (!v) {
            if (f->required) {
                err = add_problem(details, prefix, f->name, "is required");
                if (err < 0)
                    return err;
            }
            continue;
        }
        err = check_value(f, v, prefix, details, unknown, depth);
        if (err < 0)
            return err;
    }
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)obj, key, val)
    {
        int known = 0;
        for (size_t i = 0; i < schema->n_fields && !known; i++)
            known = strcmp(schema->fields[i].name, key) == 0;
        if (!known) {
            *unknown = 1;
            err = add_problem(details, prefix, key, "unknown field");
            if (err < 0)
                return err;
        }
    }
    return 0;
}

int validate_json(const struct validate_schema *schema, const json_t *body, json_t **details)
{
    int unknown = 0, err;
    json_t *d = json_array();
    *details = NULL;
    if (!d)
        return RR_ERR_NOMEM;
    if (!json_is_object(body)) {
        err = add_problem(d, "", "(body)", "must be a JSON object");
        *details = d;
        return err < 0 ? err : RR_ERR_INVAL;
    }
    err = check_fields(schema, body, "", d, &unknown, 0);
    if (err < 0) {
        json_decref(d);
        return err;
    }
    if (json_array_size(d) == 0) {
        json_decref(d);
        return 0;
    }
    *details = d;
    return unknown ? RR_ERR_INVAL : RR_ERR_CORRUPT;
}

json_t *validate_to_json_schema(const struct validate_schema *schema)
{
    json_t *props = json_object(), *req = json_array();
    json_t *out = NULL;
    if (!props || !req)
        goto out;
    for (size_t i = 0; i < schema->n_fields; i++) {
        const struct validate_field *f = &schema->fields[i];
        json_t *p = json_pack("{s:s}", "type", type_names[f->type]);
        if (!p)
            goto out;
        const char *lo = NULL, *hi = NULL;
        if (f->type == VALIDATE_STRING) {
            lo = "minLength";
            hi = "maxLength";
        } else if (f->type == VALIDATE_ARRAY) {
            lo = "minItems";
            hi = "maxItems";
        } else if (f->type == VALIDATE_INT || f->type == VALIDATE_NUMBER) {
            lo = "minimum";
            hi = "maximum";
        }
        int integral = f->type != VALIDATE_NUMBER;
        if (lo && f->has_min)
            json_object_set_new(p, lo, integral ? json_integer((json_int_t)f->min)
                                                : json_real(f->min));
        if (hi && f->has_max)
            json_object_set_new(p, hi, integral ? json_integer((json_int_t)f->max)
                                                : json_real(f->max));
        if (f->pattern == VALIDATE_EMAIL)
            json_object_set_new(p, "format", json_string("email"));
        if (f->pattern == VALIDATE_HEX_ID)
            json_object_set_new(p, "pattern", json_string("^[0-9a-f]+$"));
        if (f->pattern == VALIDATE_ENUM) {
            json_t *e = json_array();
            for (const char *const *s = f->enum_values; s && *s; s++)
                json_array_append_new(e, json_string(*s));
            json_object_set_new(p, "enum", e);
        }
        if (f->type == VALIDATE_OBJECT && f->object) {
            json_t *sub = validate_to_json_schema(f->object);
            if (sub)
                json_object_update(p, sub);
            json_decref(sub);
        }
        if (f->description)
            json_object_set_new(p, "description", json_string(f->description));
        json_object_set_new(props, f->name, p);
        if (f->required)
            json_array_append_new(req, json_string(f->name));
    }
    out = json_pack("{s:s, s:O, s:O, s:b}", "type", "object", "properties", props, "required", req,
                    "additionalProperties", 0);
out:
    json_decref(props);
    json_decref(req);
    return out;
}

/* ---- list query parameters ---- */

int validate_reply_param(struct http_request *req, const char *field, const char *problem)
{
    json_t *d = json_pack("[{s:s, s:s}]", "field", field, "problem", problem);
    http_reply_error(req, 422, "validation_failed", "invalid request parameters", d);
    return 1;
}

int validate_query_limit(struct http_request *req, int def, int max, int *limit)
{
    const char *v = http_request_query(req, "limit");
    *limit = def;
    if (!v)
        return 0;
    long n = 0;
    size_t len = 0;
    for (; v[len] >= '0' && v[len] <= '9' && len < 9; len++)
        n = n * 10 + (v[len] - '0');
    if (len == 0 || v[len] != '\0' || n < 1 || n > max) {
        char problem[64];
        snprintf(problem, sizeof problem, "must be an integer from 1 to %d", max);
        return validate_reply_param(req, "limit", problem);
    }
    *limit = (int)n;
    return 0;
}

int validate_query_cursor(struct http_request *req, size_t max_len, const char **cursor)
{
    *cursor = http_request_query(req, "cursor");
    if (*cursor && (!(*cursor)[0] || strlen(*cursor) > max_len)) {
        *cursor = NULL;
        return validate_reply_param(req, "cursor", VALIDATE_BAD_CURSOR);
    }
    return 0;
}
