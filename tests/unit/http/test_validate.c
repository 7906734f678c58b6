/* test_validate.c - declarative JSON body schemas: every problem reported, unknown fields
 * refused, JSON Schema export. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "base/rr_error.h"
#include "http/validate.h"

static const char *const units[] = {"kg", "lb", NULL};
static const struct validate_field inner_fields[] = {
    {.name = "reps", .type = VALIDATE_INT, .required = 1, .has_min = 1, .min = 1},
};
static const struct validate_schema inner = {"Inner", inner_fields, 1};
static const struct validate_field fields[] = {
    {.name = "email", .type = VALIDATE_STRING, .required = 1, .pattern = VALIDATE_EMAIL},
    {.name = "id", .type = VALIDATE_STRING, .pattern = VALIDATE_HEX_ID, .has_min = 1, .min = 32,
     .has_max = 1, .max = 32},
    {.name = "name", .type = VALIDATE_STRING, .has_min = 1, .min = 2, .has_max = 1, .max = 4,
     .description = "display name"},
    {.name = "weight", .type = VALIDATE_NUMBER, .has_min = 1, .min = 0, .has_max = 1, .max = 500.5},
    {.name = "age", .type = VALIDATE_INT, .has_max = 1, .max = 120},
    {.name = "public", .type = VALIDATE_BOOL},
    {.name = "unit", .type = VALIDATE_STRING, .pattern = VALIDATE_ENUM, .enum_values = units},
    {.name = "tags", .type = VALIDATE_ARRAY, .has_max = 1, .max = 2},
    {.name = "goal", .type = VALIDATE_OBJECT, .object = &inner},
    {.name = "extra", .type = VALIDATE_OBJECT},
};
static const struct validate_schema schema = {"Thing", fields, sizeof fields / sizeof fields[0]};

static int check(const char *text, json_t **details)
{
    json_t *body = json_loads(text, JSON_DECODE_ANY, NULL);
    assert_non_null(body);
    int rc = validate_json(&schema, body, details);
    json_decref(body);
    return rc;
}

static const char *problem_for(json_t *details, const char *field)
{
    size_t i;
    json_t *d;
    json_array_foreach(details, i, d)
    {
        if (strcmp(json_string_value(json_object_get(d, "field")), field) == 0)
            return json_string_value(json_object_get(d, "problem"));
    }
    return NULL;
}

static void validate__accepts_a_good_body(void **state)
{
    (void)state;
    json_t *d = (json_t *)1;
    assert_int_equal(check("{\"email\":\"ann@example.org\",\"id\":\"0123456789abcdef0123456789abcdef\","
                           "\"name\":\"Ann\",\"weight\":72.5,\"age\":30,\"public\":true,\"unit\":\"kg\","
                           "\"tags\":[1,2],\"goal\":{\"reps\":5},\"extra\":{\"any\":1}}",
                           &d),
                     0);
    assert_null(d);
    assert_int_equal(check("{\"email\":\"a@b.io\",\"name\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}", &d),
                     0); /* four characters, eight bytes */
}

static void validate__reports_every_bad_field(void **state)
{
    (void)state;
    json_t *d = NULL;
    assert_int_equal(check("{\"id\":\"XYZ\",\"name\":\"abcde\",\"weight\":-1,\"age\":121.5,"
                           "\"public\":\"yes\",\"unit\":\"stone\",\"tags\":[1,2,3],\"goal\":{}}",
                           &d),
                     RR_ERR_CORRUPT);
    assert_non_null(problem_for(d, "email"));
    assert_string_equal(problem_for(d, "email"), "is required");
    assert_non_null(strstr(problem_for(d, "id"), "at least 32"));
    assert_non_null(strstr(problem_for(d, "name"), "at most 4"));
    assert_non_null(strstr(problem_for(d, "weight"), "at least 0"));
    assert_string_equal(problem_for(d, "age"), "must be of type integer");
    assert_string_equal(problem_for(d, "public"), "must be of type boolean");
    assert_non_null(strstr(problem_for(d, "unit"), "allowed"));
    assert_non_null(strstr(problem_for(d, "tags"), "at most 2"));
    assert_string_equal(problem_for(d, "goal.reps"), "is required");
    assert_int_equal(json_array_size(d), 9);
    json_decref(d);
}

static void validate__patterns_refuse_bad_emails_and_ids(void **state)
{
    (void)state;
    static const char *const bad_emails[] = {"plain", "@x.io", "a@", "a@b", "a@@b.io", "a b@c.io",
                                             "a@.b.io", "a@b..io", "a@b.io.", "<a>@b.io"};
    for (size_t i = 0; i < sizeof bad_emails / sizeof bad_emails[0]; i++) {
        json_t *body = json_pack("{s:s}", "email", bad_emails[i]), *d = NULL;
        assert_int_equal(validate_json(&schema, body, &d), RR_ERR_CORRUPT);
        assert_string_equal(problem_for(d, "email"), "must be an email address");
        json_decref(d);
        json_decref(body);
    }
    json_t *d = NULL;
    assert_int_equal(check("{\"email\":\"a@b.io\",\"id\":\"0123456789ABCDEF0123456789abcdef\"}", &d),
                     RR_ERR_CORRUPT);
    assert_string_equal(problem_for(d, "id"), "must be a lowercase hex id");
    json_decref(d);
}

static void validate__unknown_fields_are_refused_as_inval(void **state)
{
    (void)state;
    json_t *d = NULL;
    assert_int_equal(check("{\"email\":\"a@b.io\",\"role\":\"admin\",\"goal\":{\"reps\":1,\"plan\":1}}",
                           &d),
                     RR_ERR_INVAL);
    assert_string_equal(problem_for(d, "role"), "unknown field");
    assert_string_equal(problem_for(d, "goal.plan"), "unknown field");
    json_decref(d);
    assert_int_equal(check("[1,2]", &d), RR_ERR_INVAL);
    assert_non_null(problem_for(d, "(body)"));
    json_decref(d);
}

static void validate__exports_json_schema(void **state)
{
    (void)state;
    json_t *js = validate_to_json_schema(&schema);
    assert_non_null(js);
    assert_string_equal(json_string_value(json_object_get(js, "type")), "object");
    assert_true(json_is_false(json_object_get(js, "additionalProperties")));
    json_t *props = json_object_get(js, "properties");
    json_t *email = json_object_get(props, "email");
    assert_string_equal(json_string_value(json_object_get(email, "format")), "email");
    json_t *name = json_object_get(props, "name");
    assert_int_equal(json_integer_value(json_object_get(name, "minLength")), 2);
    assert_int_equal(json_integer_value(json_object_get(name, "maxLength")), 4);
    assert_string_equal(json_string_value(json_object_get(name, "description")), "display name");
    json_t *w = json_object_get(props, "weight");
    assert_true(json_real_value(json_object_get(w, "maximum")) == 500.5);
    assert_int_equal(json_array_size(json_object_get(json_object_get(props, "unit"), "enum")), 2);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(props, "tags"), "maxItems")), 2);
    json_t *goal = json_object_get(props, "goal");
    assert_non_null(json_object_get(json_object_get(goal, "properties"), "reps"));
    assert_string_equal(json_string_value(json_object_get(json_object_get(props, "id"), "pattern")),
                        "^[0-9a-f]+$");
    json_t *req = json_object_get(js, "required");
    assert_int_equal(json_array_size(req), 1);
    assert_string_equal(json_string_value(json_array_get(req, 0)), "email");
    json_decref(js);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(validate__accepts_a_good_body),
        cmocka_unit_test(validate__reports_every_bad_field),
        cmocka_unit_test(validate__patterns_refuse_bad_emails_and_ids),
        cmocka_unit_test(validate__unknown_fields_are_refused_as_inval),
        cmocka_unit_test(validate__exports_json_schema),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
