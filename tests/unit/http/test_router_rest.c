/* test_router_rest.c - rest parameters "{name*}": compilation rules, fallback matching (only when
 * no ordinary pattern matches the path, never adding to Allow), the joined value, and how the
 * OpenAPI document shows them ("{path}"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "base/rr_error.h"
#include "http/openapi.h"
#include "http/router.h"

static int h(struct http_request *req, void *app)
{
    (void)req;
    (void)app;
    return 0;
}

static const struct http_route table[] = {
    {HTTP_GET, "/{path*}", h, 0, HTTP_BODY_NONE, "web.static", "static", NULL, NULL},
    {HTTP_GET, "/healthz", h, 0, HTTP_BODY_NONE, "healthz", "", NULL, NULL},
    {HTTP_POST, "/v1/things", h, 0, HTTP_BODY_JSON, "things.create", "", NULL, NULL},
    {HTTP_GET, "/v1/things/{id}", h, 0, HTTP_BODY_NONE, "things.get", "", NULL, NULL},
    {HTTP_GET, "/files/{dir}/{rest*}", h, 0, HTTP_BODY_NONE, "files.get", "", NULL, NULL},
};
#define N (sizeof table / sizeof table[0])

static struct router *build(void)
{
    struct router *r = NULL;
    char msg[128];
    assert_int_equal(router_new(table, N, &r, msg, sizeof msg), 0);
    return r;
}

static void rest__matches_root_and_nested_paths_joined(void **state)
{
    (void)state;
    struct router *r = build();
    struct router_match m;
    assert_int_equal(router_match(r, "GET", "/", &m), 0);
    assert_string_equal(m.route->name, "web.static");
    assert_string_equal(router_param(&m, "path"), "");
    assert_int_equal(router_match(r, "HEAD", "/index.html", &m), 0);
    assert_string_equal(router_param(&m, "path"), "index.html");
    assert_int_equal(router_match(r, "GET", "/vendor/mediapipe-pose/pose.js", &m), 0);
    assert_string_equal(router_param(&m, "path"), "vendor/mediapipe-pose/pose.js");
    /* segments are decoded one by one before the join */
    assert_int_equal(router_match(r, "GET", "/a%20b/c%41.js", &m), 0);
    assert_string_equal(router_param(&m, "path"), "a b/cA.js");
    /* a rest after fixed segments */
    assert_int_equal(router_match(r, "GET", "/files/d/x/y/z", &m), 0);
    assert_string_equal(m.route->name, "files.get");
    assert_string_equal(router_param(&m, "dir"), "d");
    assert_string_equal(router_param(&m, "rest"), "x/y/z");
    assert_int_equal(router_match(r, "GET", "/files/d", &m), 0);
    assert_string_equal(router_param(&m, "rest"), "");
    router_free(r);
}

static void rest__ordinary_routes_win_and_keep_their_405(void **state)
{
    (void)state;
    struct router *r = build();
    struct router_match m;
    char allow[64];
    assert_int_equal(router_match(r, "GET", "/healthz", &m), 0);
    assert_string_equal(m.route->name, "healthz");
    assert_int_equal(router_match(r, "GET", "/v1/things/7", &m), 0);
    assert_string_equal(m.route->name, "things.get");
    /* /v1/things exists only as POST: GET is 405, not a static file */
    assert_int_equal(router_match(r, "GET", "/v1/things", &m), RR_ERR_UNSUPPORTED);
    assert_string_equal(http_allow_format(m.allow, allow, sizeof allow), "POST");
    assert_int_equal(router_match(r, "POST", "/healthz", &m), RR_ERR_UNSUPPORTED);
    /* unknown path, other method: the fallback adds nothing to Allow -> 404 */
    assert_int_equal(router_match(r, "POST", "/index.html", &m), RR_ERR_NOTFOUND);
    assert_int_equal(m.allow, 0);
    assert_int_equal(router_match(r, "DELETE", "/", &m), RR_ERR_NOTFOUND);
    router_free(r);
}

static void rest__unsafe_paths_never_match(void **state)
{
    (void)state;
    struct router *r = build();
    struct router_match m;
    assert_int_equal(router_match(r, "GET", "/js/", &m), RR_ERR_NOTFOUND);
    assert_int_equal(router_match(r, "GET", "//x", &m), RR_ERR_NOTFOUND);
    assert_int_equal(router_match(r, "GET", "/a//b", &m), RR_ERR_NOTFOUND);
    assert_int_equal(router_match(r, "GET", "/../etc/passwd", &m), RR_ERR_INVAL);
    assert_int_equal(router_match(r, "GET", "/%2e%2e/x", &m), RR_ERR_INVAL);
    assert_int_equal(router_match(r, "GET", "/a%2fb", &m), RR_ERR_INVAL);
    assert_int_equal(router_match(r, "GET", "/a%00", &m), RR_ERR_INVAL);
    assert_int_equal(router_match(r, "GET", "/./a", &m), RR_ERR_INVAL);
    router_free(r);
}

static void rest__compile_rules(void **state)
{
    (void)state;
    struct router *r = NULL;
    char msg[128];
    static const struct http_route not_last[] = {
        {HTTP_GET, "/{p*}/x", h, 0, HTTP_BODY_NONE, "a", "", NULL, NULL}};
    static const struct http_route no_name[] = {
        {HTTP_GET, "/{*}", h, 0, HTTP_BODY_NONE, "a", "", NULL, NULL}};
    static const struct http_route bad_name[] = {
        {HTTP_GET, "/{P*}", h, 0, HTTP_BODY_NONE, "a", "", NULL, NULL}};
    static const struct http_route dup[] = {
        {HTTP_GET, "/{a*}", h, 0, HTTP_BODY_NONE, "a", "", NULL, NULL},
        {HTTP_GET, "/{b*}", h, 0, HTTP_BODY_NONE, "b", "", NULL, NULL}};
    assert_int_equal(router_new(not_last, 1, &r, msg, sizeof msg), RR_ERR_INVAL);
    assert_non_null(strstr(msg, "bad parameter"));
    assert_int_equal(router_new(no_name, 1, &r, msg, sizeof msg), RR_ERR_INVAL);
    assert_int_equal(router_new(bad_name, 1, &r, msg, sizeof msg), RR_ERR_INVAL);
    assert_int_equal(router_new(dup, 2, &r, msg, sizeof msg), RR_ERR_INVAL);
    assert_non_null(strstr(msg, "duplicate"));
    assert_null(r);
}

static void rest__openapi_shows_path_not_path_star(void **state)
{
    (void)state;
    json_t *doc = openapi_build(table, N, "t", "1");
    assert_non_null(doc);
    json_t *paths = json_object_get(doc, "paths");
    assert_null(json_object_get(paths, "/{path*}"));
    json_t *op = json_object_get(json_object_get(paths, "/{path}"), "get");
    assert_non_null(op);
    assert_string_equal(json_string_value(json_object_get(op, "operationId")), "web.static");
    json_t *p0 = json_array_get(json_object_get(op, "parameters"), 0);
    assert_string_equal(json_string_value(json_object_get(p0, "name")), "path");
    json_t *files = json_object_get(json_object_get(paths, "/files/{dir}/{rest}"), "get");
    assert_int_equal(json_array_size(json_object_get(files, "parameters")), 2);
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rest__matches_root_and_nested_paths_joined),
        cmocka_unit_test(rest__ordinary_routes_win_and_keep_their_405),
        cmocka_unit_test(rest__unsafe_paths_never_match),
        cmocka_unit_test(rest__compile_rules),
        cmocka_unit_test(rest__openapi_shows_path_not_path_star),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
