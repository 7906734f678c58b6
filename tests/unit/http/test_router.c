/* test_router.c - route table compilation and path matching, without sockets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "base/rr_error.h"
#include "http/router.h"

static int h(struct http_request *req, void *app)
{
    (void)req;
    (void)app;
    return 0;
}

static int sink_open(struct http_request *req, void *app, struct http_sink *s)
{
    (void)req;
    (void)app;
    (void)s;
    return 0;
}

static const struct http_route table[] = {
    {HTTP_GET, "/", h, 0, HTTP_BODY_NONE, "root", "", NULL, NULL},
    {HTTP_GET, "/v1/workouts", h, 0, HTTP_BODY_NONE, "workouts.list", "", NULL, NULL},
    {HTTP_POST, "/v1/workouts", h, 0, HTTP_BODY_JSON, "workouts.create", "", NULL, NULL},
    {HTTP_GET, "/v1/workouts/{id}", h, 0, HTTP_BODY_NONE, "workouts.get", "", NULL, NULL},
    {HTTP_DELETE, "/v1/workouts/{id}", h, 0, HTTP_BODY_NONE, "workouts.delete", "", NULL, NULL},
    {HTTP_GET, "/v1/workouts/export", h, 0, HTTP_BODY_NONE, "workouts.export", "", NULL, NULL},
    {HTTP_GET, "/v1/workouts/{id}/sets/{set}", h, 0, HTTP_BODY_NONE, "sets.get", "", NULL, NULL},
    {HTTP_PATCH, "/v1/uploads/{id}", h, 0, HTTP_BODY_STREAM, "uploads.patch", "", NULL,
     sink_open},
};
#define N (sizeof table / sizeof table[0])

static struct router *build(void)
{
    struct router *r = NULL;
    char msg[128];
    assert_int_equal(router_new(table, N, &r, msg, sizeof msg), 0);
    return r;
}

static void router__matches_literals_params_and_root(void **state)
{
    (void)state;
    struct router *r = build();
    struct router_match m;
    assert_int_equal(router_match(r, "GET", "/", &m), 0);
    assert_string_equal(m.route->name, "root");
    assert_int_equal(router_match(r, "POST", "/v1/workouts", &m), 0);
    assert_string_equal(m.route->name, "workouts.create");
    assert_int_equal(router_match(r, "GET", "/v1/workouts/abc123/sets/7", &m), 0);
    assert_string_equal(m.route->name, "sets.get");
    assert_int_equal(m.route_index, 6);
    assert_int_equal(m.n_params, 2);
    assert_string_equal(router_param(&m, "id"), "abc123");
    assert_string_equal(router_param(&m, "set"), "7");
    assert_null(router_param(&m, "nope"));
    router_free(r);
}

static void router__literal_beats_parameter_whatever_the_order(void **state)
{
    (void)state;
    struct router *r = build();
    struct router_match m;
    assert_int_equal(router_match(r, "GET", "/v1/workouts/export", &m), 0);
    assert_string_equal(m.route->name, "workouts.export");
    assert_int_equal(router_match(r, "GET", "/v1/workouts/exports", &m), 0);
    assert_string_equal(m.route->name, "workouts.get");
    /* a DELETE only exists as the parameter route */
    assert_int_equal(router_match(r, "DELETE", "/v1/workouts/export", &m), 0);
    assert_string_equal(m.route->name, "workouts.delete");
    router_free(r);
}

static void router__unknown_path_is_notfound_wrong_method_is_unsupported(void **state)
{
    (void)state;
    struct router *r = build();
    struct router_match m;
    char allow[64];
    assert_int_equal(router_match(r, "GET", "/v2/workouts", &m), RR_ERR_NOTFOUND);
    assert_int_equal(router_match(r, "GET", "/v1/workouts/1/sets", &m), RR_ERR_NOTFOUND);
    assert_int_equal(router_match(r, "PUT", "/v1/workouts/1", &m), RR_ERR_UNSUPPORTED);
    assert_string_equal(http_allow_format(m.allow, allow, sizeof allow), "GET, HEAD, DELETE");
    assert_int_equal(router_match(r, "BREW", "/v1/workouts", &m), RR_ERR_UNSUPPORTED);
    assert_string_equal(http_allow_format(m.allow, allow, sizeof allow), "GET, HEAD, POST");
    assert_int_equal(router_match(r, "GET", "/v1/uploads/x", &m), RR_ERR_UNSUPPORTED);
    assert_string_equal(http_allow_format(m.allow, allow, sizeof allow), "PATCH");
    router_free(r);
}

static void router__head_uses_the_get_route(void **state)
{
    (void)state;
    struct router *r = build();
    struct router_match m;
    assert_int_equal(router_match(r, "HEAD", "/v1/workouts/9", &m), 0);
    assert_string_equal(m.route->name, "workouts.get");
    router_free(r);
}

static void router__trailing_slash_and_empty_segments_do_not_match(void **state)
{
    (void)state;
    struct router *r = build();
    struct router_match m;
    assert_int_equal(router_match(r, "GET", "/v1/workouts/", &m), RR_ERR_NOTFOUND);
    assert_int_equal(router_match(r, "GET", "/v1//workouts", &m), RR_ERR_NOTFOUND);
    assert_int_equal(router_match(r, "GET", "//", &m), RR_ERR_NOTFOUND);
    router_free(r);
}

static void router__decodes_segments_and_refuses_bad_ones(void **state)
{
    (void)state;
    struct router *r = build();
    struct router_match m;
    assert_int_equal(router_match(r, "GET", "/v1/work%6Futs/a%20b%C3%A9", &m), 0);
    assert_string_equal(m.route->name, "workouts.get");
    assert_string_equal(router_param(&m, "id"), "a b\xc3\xa9");
    static const char *const bad[] = {"/v1/workouts/%",      "/v1/workouts/%4",
                                      "/v1/workouts/%g0",    "/v1/workouts/a%00",
                                      "/v1/workouts/a%2fb",  "/v1/workouts/..",
                                      "/v1/workouts/.",      "/v1/workouts/%2E%2E",
                                      "/v1/workouts/a%7Fb",  "/v1/workouts/a%0Db",
                                      "relative/path",       ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(router_match(r, "GET", bad[i], &m), RR_ERR_INVAL);
    assert_int_equal(router_match(r, "GET", NULL, &m), RR_ERR_INVAL);
    router_free(r);
}

static void router__bounds_path_segments_and_parameter_length(void **state)
{
    (void)state;
    struct router *r = build();
    struct router_match m;
    char path[ROUTER_MAX_PATH + 16];
    /* a 257-byte id matches no route; 256 is fine */
    memcpy(path, "/v1/workouts/", 13);
    memset(path + 13, 'x', ROUTER_MAX_PARAM_LEN);
    path[13 + ROUTER_MAX_PARAM_LEN] = '\0';
    assert_int_equal(router_match(r, "GET", path, &m), 0);
    memset(path + 13, 'x', ROUTER_MAX_PARAM_LEN + 1);
    path[14 + ROUTER_MAX_PARAM_LEN] = '\0';
    assert_int_equal(router_match(r, "GET", path, &m), RR_ERR_NOTFOUND);
    /* encoded: 256 decoded bytes from 768 raw ones still match */
    size_t o = 13;
    for (int i = 0; i < ROUTER_MAX_PARAM_LEN; i++) {
        memcpy(path + o, "%41", 3);
        o += 3;
    }
    path[o] = '\0';
    assert_int_equal(router_match(r, "GET", path, &m), 0);
    assert_int_equal(strlen(router_param(&m, "id")), ROUTER_MAX_PARAM_LEN);
    /* too long overall, too many segments */
    memset(path, 'a', sizeof path);
    path[0] = '/';
    path[ROUTER_MAX_PATH] = '\0';
    assert_int_equal(router_match(r, "GET", path, &m), RR_ERR_TOOBIG);
    o = 0;
    for (int i = 0; i < ROUTER_MAX_SEGMENTS + 1; i++) {
        memcpy(path + o, "/a", 2);
        o += 2;
    }
    path[o] = '\0';
    assert_int_equal(router_match(r, "GET", path, &m), RR_ERR_TOOBIG);
    router_free(r);
}

static void router__refuses_bad_tables(void **state)
{
    (void)state;
    struct router *r = (struct router *)1;
    char msg[160];
    struct http_route bad[2] = {table[3], table[3]};
    assert_int_equal(router_new(bad, 2, &r, msg, sizeof msg), RR_ERR_INVAL);
    assert_null(r);
    assert_non_null(strstr(msg, "duplicate route GET /v1/workouts/{id}"));
    /* same shape, different parameter name: still a duplicate */
    bad[1].pattern = "/v1/workouts/{other}";
    assert_int_equal(router_new(bad, 2, &r, msg, sizeof msg), RR_ERR_INVAL);
    static const char *const patterns[] = {
        "v1/x", "/v1//x", "/v1/{}", "/v1/{Id}", "/v1/{id", "/v1/{a}/{a}", "/v1/a%20", "/v1/..",
        "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q", "/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}", NULL};
    for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
        struct http_route one = table[1];
        one.pattern = patterns[i];
        assert_int_equal(router_new(&one, 1, &r, msg, sizeof msg), RR_ERR_INVAL);
    }
    struct http_route one = table[1];
    one.method = HTTP_GET | HTTP_POST;
    assert_int_equal(router_new(&one, 1, &r, msg, sizeof msg), RR_ERR_INVAL);
    one = table[1];
    one.name = "Bad Name";
    assert_int_equal(router_new(&one, 1, &r, msg, sizeof msg), RR_ERR_INVAL);
    one = table[1];
    one.handler = NULL;
    assert_int_equal(router_new(&one, 1, &r, msg, sizeof msg), RR_ERR_INVAL);
    one = table[7];
    one.sink_open = NULL;
    assert_int_equal(router_new(&one, 1, &r, msg, sizeof msg), RR_ERR_INVAL);
    assert_non_null(strstr(msg, "sink_open"));
    assert_int_equal(router_new(NULL, 0, &r, msg, sizeof msg), 0);
    struct router_match m;
    assert_int_equal(router_match(r, "GET", "/", &m), RR_ERR_NOTFOUND);
    router_free(r);
    router_free(NULL);
}

static void percent_decode__handles_plus_limits_and_escapes(void **state)
{
    (void)state;
    char out[8];
    assert_int_equal(http_percent_decode("a+b%21", 6, out, sizeof out, 1), 4);
    assert_string_equal(out, "a b!");
    assert_int_equal(http_percent_decode("a+b", 3, out, sizeof out, 0), 3);
    assert_string_equal(out, "a+b");
    assert_int_equal(http_percent_decode("abcdefgh", 8, out, sizeof out, 0), RR_ERR_TOOBIG);
    assert_int_equal(http_percent_decode("abcdefg", 7, out, sizeof out, 0), 7);
    assert_int_equal(http_percent_decode("x", 1, out, 0, 0), RR_ERR_TOOBIG);
    assert_int_equal(http_percent_decode("%", 1, out, sizeof out, 0), RR_ERR_INVAL);
    assert_int_equal(http_percent_decode("%1", 2, out, sizeof out, 0), RR_ERR_INVAL);
    assert_int_equal(http_percent_decode("%1x", 3, out, sizeof out, 0), RR_ERR_INVAL);
    assert_int_equal(http_percent_decode("%09", 3, out, sizeof out, 0), RR_ERR_INVAL);
    assert_int_equal(http_percent_decode("a\tb", 3, out, sizeof out, 0), RR_ERR_INVAL);
    assert_int_equal(http_percent_decode("%aF%Af", 6, out, sizeof out, 0), 2);
    assert_int_equal((unsigned char)out[0], 0xaf);
}

static void methods__parse_and_name_round_trip(void **state)
{
    (void)state;
    static const char *const names[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
    for (size_t i = 0; i < 7; i++)
        assert_string_equal(http_method_name(http_method_parse(names[i])), names[i]);
    assert_int_equal(http_method_parse("get"), 0);
    assert_int_equal(http_method_parse(NULL), 0);
    assert_string_equal(http_method_name(0), "UNKNOWN");
    char small[8];
    assert_string_equal(http_allow_format(HTTP_GET | HTTP_DELETE, small, sizeof small), "GET");
    assert_string_equal(http_allow_format(0, small, sizeof small), "");
    http_allow_format(HTTP_GET, small, 0); /* no write at all */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(router__matches_literals_params_and_root),
        cmocka_unit_test(router__literal_beats_parameter_whatever_the_order),
        cmocka_unit_test(router__unknown_path_is_notfound_wrong_method_is_unsupported),
        cmocka_unit_test(router__head_uses_the_get_route),
        cmocka_unit_test(router__trailing_slash_and_empty_segments_do_not_match),
        cmocka_unit_test(router__decodes_segments_and_refuses_bad_ones),
        cmocka_unit_test(router__bounds_path_segments_and_parameter_length),
        cmocka_unit_test(router__refuses_bad_tables),
        cmocka_unit_test(percent_decode__handles_plus_limits_and_escapes),
        cmocka_unit_test(methods__parse_and_name_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
