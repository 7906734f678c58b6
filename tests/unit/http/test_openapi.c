/* test_openapi.c - the OpenAPI 3.1 document generated from a route table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "http/openapi.h"
#include "http/validate.h"

static int h(struct http_request *req, void *app)
{
    (void)req;
    (void)app;
    return 0;
}

static int so(struct http_request *req, void *app, struct http_sink *s)
{
    (void)req;
    (void)app;
    (void)s;
    return 0;
}

static const struct validate_field login_fields[] = {
    {.name = "email", .type = VALIDATE_STRING, .required = 1, .pattern = VALIDATE_EMAIL},
    {.name = "password", .type = VALIDATE_STRING, .required = 1, .has_min = 1, .min = 8},
};
static const struct validate_schema login = {"LoginRequest", login_fields, 2};
static const struct validate_schema anon = {NULL, login_fields, 1};

static const struct http_route routes[] = {
    {HTTP_POST, "/v1/auth/login", h, 0, HTTP_BODY_JSON, "auth.login", "log in", &login, NULL},
    {HTTP_POST, "/v1/auth/check", h, 0, HTTP_BODY_JSON, "auth.check", "check", &login, NULL},
    {HTTP_GET, "/v1/workouts/{id}/sets/{set}", h, HTTP_AUTH_REQUIRED, HTTP_BODY_NONE, "sets.get",
     "one set", NULL, NULL},
    {HTTP_DELETE, "/v1/workouts/{id}/sets/{set}", h, HTTP_AUTH_REQUIRED, HTTP_BODY_NONE,
     "sets.delete", NULL, NULL, NULL},
    {HTTP_PATCH, "/v1/uploads/{id}", h, HTTP_AUTH_REQUIRED, HTTP_BODY_STREAM, "uploads.patch",
     "append", NULL, so},
    {HTTP_PUT, "/v1/free", h, 0, HTTP_BODY_JSON, "free", "any JSON", NULL, NULL},
    {HTTP_PUT, "/v1/anon", h, 0, HTTP_BODY_JSON, "anon", "inline schema", &anon, NULL},
};

static void openapi__documents_every_route(void **state)
{
    (void)state;
    json_t *doc = openapi_build(routes, sizeof routes / sizeof routes[0], "T", "9");
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "openapi")), "3.1.0");
    assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "info"), "version")), "9");
    json_t *paths = json_object_get(doc, "paths");
    assert_int_equal(json_object_size(paths), 6);

    json_t *login_op = json_object_get(json_object_get(paths, "/v1/auth/login"), "post");
    assert_string_equal(json_string_value(json_object_get(login_op, "operationId")), "auth.login");
    assert_null(json_object_get(login_op, "security"));
    json_t *schema = json_object_get(
        json_object_get(json_object_get(json_object_get(login_op, "requestBody"), "content"),
                        "application/json"),
        "schema");
    assert_string_equal(json_string_value(json_object_get(schema, "$ref")),
                        "#/components/schemas/LoginRequest");
    json_t *comps = json_object_get(json_object_get(doc, "components"), "schemas");
    assert_non_null(json_object_get(comps, "LoginRequest"));
    assert_non_null(json_object_get(comps, "Error"));

    json_t *item = json_object_get(paths, "/v1/workouts/{id}/sets/{set}");
    json_t *get = json_object_get(item, "get");
    assert_non_null(json_object_get(item, "delete"));
    json_t *params = json_object_get(get, "parameters");
    assert_int_equal(json_array_size(params), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(params, 1), "name")), "set");
    assert_string_equal(json_string_value(json_object_get(json_array_get(params, 0), "in")), "path");
    assert_non_null(json_object_get(json_array_get(json_object_get(get, "security"), 0), "bearerAuth"));

    json_t *patch = json_object_get(json_object_get(paths, "/v1/uploads/{id}"), "patch");
    assert_non_null(json_object_get(json_object_get(json_object_get(patch, "requestBody"), "content"),
                                    "application/octet-stream"));
    json_t *anon_op = json_object_get(json_object_get(paths, "/v1/anon"), "put");
    json_t *anon_schema = json_object_get(json_object_get(json_object_get(json_object_get(
                                              anon_op, "requestBody"), "content"), "application/json"),
                                          "schema");
    assert_non_null(json_object_get(anon_schema, "properties"));
    json_t *sec = json_object_get(json_object_get(json_object_get(doc, "components"), "securitySchemes"),
                                  "bearerAuth");
    assert_string_equal(json_string_value(json_object_get(sec, "scheme")), "bearer");
    json_decref(doc);
}

/* The success answer of operation `method` on `path` under status `code`. */
static json_t *answer(json_t *doc, const char *path, const char *method, const char *code)
{
    json_t *op = json_object_get(json_object_get(json_object_get(doc, "paths"), path), method);
    return json_object_get(json_object_get(op, "responses"), code);
}

static const struct http_route_doc docs[] = {
    {.name = "auth.login", .status = 201, .example = "{\"id\":\"x\"}",
     .request_example = "{\"email\":\"a@example.com\",\"password\":\"12345678\"}"},
    {.name = "sets.get", .media_type = "text/event-stream", .example = "event: done\ndata: {}\n\n"},
    {.name = "sets.delete", .status = 204, .no_example = "204 No Content"},
    {.name = "uploads.patch", .media_type = "video/mp4", .no_example = "video bytes",
     .request_example = "{\"k\":1}"},
    {.name = "free", .example = "{not json"},
};

static void openapi__doc_rows_give_status_media_and_reasons(void **state)
{
    (void)state;
    json_t *doc = openapi_build_docs(routes, sizeof routes / sizeof routes[0], docs,
                                     sizeof docs / sizeof docs[0], "T", "9");
    assert_non_null(doc);
    /* a status other than 200, a JSON example and a request example */
    json_t *created = answer(doc, "/v1/auth/login", "post", "201");
    assert_non_null(created);
    assert_null(answer(doc, "/v1/auth/login", "post", "200"));
    assert_string_equal(json_string_value(json_object_get(created, "description")), "Created");
    json_t *ex = json_object_get(
        json_object_get(json_object_get(created, "content"), "application/json"), "example");
    assert_string_equal(json_string_value(json_object_get(ex, "id")), "x");
    json_t *op = json_object_get(json_object_get(json_object_get(doc, "paths"), "/v1/auth/login"),
                                 "post");
    json_t *req = json_object_get(json_object_get(json_object_get(json_object_get(
                                      op, "requestBody"), "content"), "application/json"),
                                  "example");
    assert_string_equal(json_string_value(json_object_get(req, "email")), "a@example.com");
    /* a text sample of another media type */
    json_t *sse = json_object_get(
        json_object_get(answer(doc, "/v1/workouts/{id}/sets/{set}", "get", "200"), "content"),
        "text/event-stream");
    assert_string_equal(json_string_value(json_object_get(sse, "example")),
                        "event: done\ndata: {}\n\n");
    /* no body: the reason, no content */
    json_t *del = json_object_get(
        json_object_get(json_object_get(doc, "paths"), "/v1/workouts/{id}/sets/{set}"), "delete");
    assert_string_equal(json_string_value(json_object_get(del, "x-no-example")), "204 No Content");
    assert_null(json_object_get(answer(doc, "/v1/workouts/{id}/sets/{set}", "delete", "204"),
                                "content"));
    /* bytes: a binary schema; a stream route with a request example documents a JSON body */
    json_t *bytes = json_object_get(
        json_object_get(answer(doc, "/v1/uploads/{id}", "patch", "200"), "content"), "video/mp4");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(bytes, "schema"), "format")), "binary");
    json_t *patch = json_object_get(json_object_get(json_object_get(doc, "paths"),
                                                    "/v1/uploads/{id}"), "patch");
    json_t *body = json_object_get(json_object_get(patch, "requestBody"), "content");
    assert_non_null(json_object_get(json_object_get(body, "application/json"), "example"));
    assert_null(json_object_get(body, "application/octet-stream"));
    /* an example that is not JSON is dropped (the API test then reports the route) */
    assert_null(json_object_get(answer(doc, "/v1/free", "put", "200"), "content"));
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(openapi__documents_every_route),
        cmocka_unit_test(openapi__doc_rows_give_status_media_and_reasons),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
