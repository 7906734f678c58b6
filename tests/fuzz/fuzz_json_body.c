/*
 * fuzz_json_body.c - libFuzzer target for JSON request bodies as the server handles them: the
 * bytes parsed with jansson exactly as server.c does (JSON_REJECT_DUPLICATES, bounded length),
 * validated against a schema using every field type and pattern (src/http/validate.c), and
 * every string value run through the email canonicaliser (src/auth/email.c).
 *
 * Invariants (abort on a wrong answer): validate_json returns 0, RR_ERR_INVAL or RR_ERR_CORRUPT;
 * details are NULL on 0 and otherwise a non-empty array of {field, problem} strings; a valid body
 * has every required field; email_canonical's output is NUL-terminated within its buffer, and
 * canonicalising it again gives the same bytes (the form is a fixed point).
 * Seeds: tests/fuzz/corpus/fuzz_json_body.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/email.h"
#include "base/rr_error.h"
#include "http/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BODY_MAX (64 * 1024)

static void check(int cond)
{
    if (!cond)
        abort();
}

static const char *const verdicts[] = {"good", "bad", NULL};

static const struct validate_field set_fields[] = {
    {.name = "load_kg", .type = VALIDATE_NUMBER, .has_min = 1, .min = 0, .has_max = 1,
     .max = 1000},
};
static const struct validate_schema set_schema = {"Set", set_fields, 1};

static const struct validate_field rep_fields[] = {
    {.name = "t_start", .type = VALIDATE_NUMBER, .required = 1, .has_min = 1, .min = 0},
    {.name = "verdict", .type = VALIDATE_STRING, .pattern = VALIDATE_ENUM,
     .enum_values = verdicts},
    {.name = "faults", .type = VALIDATE_ARRAY, .has_max = 1, .max = 8},
    {.name = "set", .type = VALIDATE_OBJECT, .object = &set_schema},
};
static const struct validate_schema rep_schema = {"Rep", rep_fields, 4};

static const struct validate_field body_fields[] = {
    {.name = "email", .type = VALIDATE_STRING, .required = 1, .pattern = VALIDATE_EMAIL,
     .has_max = 1, .max = 254},
    {.name = "password", .type = VALIDATE_STRING, .has_min = 1, .min = 1, .has_max = 1,
     .max = 4096},
    {.name = "client_id", .type = VALIDATE_STRING, .has_max = 1, .max = 64},
    {.name = "video_id", .type = VALIDATE_STRING, .pattern = VALIDATE_HEX_ID},
    {.name = "count", .type = VALIDATE_INT, .has_min = 1, .min = -5, .has_max = 1, .max = 100},
    {.name = "flag", .type = VALIDATE_BOOL},
    {.name = "reps", .type = VALIDATE_ARRAY, .has_max = 1, .max = 100},
    {.name = "rep", .type = VALIDATE_OBJECT, .object = &rep_schema},
};
static const struct validate_schema body_schema = {"Body", body_fields, 8};

static void check_email(const char *s, size_t len)
{
    char out[512], again[512];
    int err = email_canonical(s, len, out, sizeof out);
    check(err == 0 || err == RR_ERR_INVAL || err == RR_ERR_CORRUPT || err == RR_ERR_TOOBIG);
    if (err != 0)
        return;
    size_t n = strnlen(out, sizeof out);
    check(n < sizeof out);
    check(email_canonical(out, n, again, sizeof again) == 0);
    check(strcmp(out, again) == 0);
}

static void strings(const json_t *v, int depth)
{
    if (depth > 8)
        return;
    if (json_is_string(v)) {
        check_email(json_string_value(v), json_string_length(v));
    } else if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x) strings(x, depth + 1);
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) strings(x, depth + 1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > BODY_MAX)
        return 0;
    json_error_t jerr;
    json_t *body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
    if (!body)
        return 0;
    json_t *details = NULL;
    int rc = validate_json(&body_schema, body, &details);
    check(rc == 0 || rc == RR_ERR_INVAL || rc == RR_ERR_CORRUPT);
    if (rc == 0) {
        check(details == NULL);
        check(json_is_string(json_object_get(body, "email")));
    } else {
        check(json_is_array(details) && json_array_size(details) > 0);
        size_t i;
        json_t *d;
        json_array_foreach(details, i, d)
        {
            check(json_is_string(json_object_get(d, "field")));
            check(json_is_string(json_object_get(d, "problem")));
        }
    }
    json_decref(details);
    strings(body, 0);
    json_decref(body);
    return 0;
}
