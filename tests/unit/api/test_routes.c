/*
 * test_routes.c - the HTTP adapter's wiring: the route table joins every resource once (the
 * exercise list included, public), the sync schema's exercise enum is the registry's list, and
 * the app configuration maps onto struct http_config with the HTTP module's own defaults (the
 * configuration table in app/config.c states them too: they must agree).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "base/rr_error.h"
#include "http/validate.h"

static void routes__join_every_resource_once(void **state)
{
    (void)state;
    size_t n = 0, n2 = 0;
    const struct http_route *r = api_routes(&n);
    assert_ptr_equal(api_routes(&n2), r);
    assert_int_equal(n, n2);
    assert_true(n >= api_auth_routes_n + api_ops_routes_n + api_exercises_routes_n);
    int saw_login = 0, saw_readyz = 0, saw_exercises = 0;
    const struct http_route *sync = NULL;
    for (size_t i = 0; i < n; i++) {
        assert_non_null(r[i].pattern);
        assert_non_null(r[i].handler);
        saw_login += strcmp(r[i].pattern, "/v1/auth/login") == 0;
        saw_readyz += strcmp(r[i].pattern, "/readyz") == 0;
        if (strcmp(r[i].pattern, "/v1/exercises") == 0) {
            saw_exercises++;
            assert_int_equal(r[i].auth, HTTP_AUTH_NONE);
            assert_int_equal(r[i].method, HTTP_GET);
        }
        if (strcmp(r[i].pattern, "/v1/sync") == 0)
            sync = &r[i];
    }
    assert_int_equal(saw_login, 1);
    assert_int_equal(saw_readyz, 1);
    assert_int_equal(saw_exercises, 1);
    /* the sync body's exercise enum is the registry's list, filled before any request */
    assert_non_null(sync);
    assert_non_null(sync->schema);
    const char *const *names = NULL;
    for (size_t i = 0; i < sync->schema->n_fields; i++)
        if (strcmp(sync->schema->fields[i].name, "exercise") == 0)
            names = sync->schema->fields[i].enum_values;
    size_t nex = 0;
    assert_ptr_equal(names, app_exercises(&nex));
    assert_true(nex >= 9);
    assert_string_equal(names[0], "squat");
    assert_null(names[nex]);
}

static void server__config_maps_onto_the_http_defaults(void **state)
{
    (void)state;
    struct app_config c;
    char msg[256];
    char *argv[] = {"serve", NULL};
    size_t n = 0;
    const struct app_setting *t = app_settings(&n);
    for (size_t i = 0; i < n; i++) /* the table's variables must not leak in from outside */
        unsetenv(t[i].env);
    assert_int_equal(app_config_load(&c, APP_CMD_SERVE, 1, argv, msg, sizeof msg), 0);
    struct http_config want, got;
    http_config_defaults(&want);
    api_http_config(&c, &got);
    assert_string_equal(got.bind_addr, want.bind_addr);
    assert_ptr_equal(got.bind_addr, c.http.bind);
    assert_int_equal(got.port, want.port);
    /* the one default the app computes itself: 32 HTTP threads per core (writers wait on their
     * group commit's fsync), where the HTTP module alone keeps 4 */
    assert_int_equal(got.threads, app_config_http_threads(sysconf(_SC_NPROCESSORS_ONLN)));
    assert_true(got.threads >= want.threads);
    assert_int_equal(got.max_connections, want.max_connections);
    assert_int_equal(got.max_per_ip, want.max_per_ip);
    assert_int_equal(got.header_limit, want.header_limit);
    assert_int_equal(got.json_limit, want.json_limit);
    assert_int_equal(got.upload_limit, want.upload_limit);
    assert_int_equal(got.idle_timeout_s, want.idle_timeout_s);
    assert_int_equal(got.header_timeout_s, want.header_timeout_s);
    assert_int_equal(got.body_min_rate, want.body_min_rate);
    assert_int_equal(got.body_grace_s, want.body_grace_s);
    assert_int_equal(got.drain_timeout_ms, want.drain_timeout_ms);
    assert_string_equal(got.api_title, want.api_title);
    assert_ptr_equal(got.authenticate, api_authenticate);
    char *argv2[] = {"serve", "--port", "0", "--max-per-ip=0", "--upload-limit", "4096", NULL};
    assert_int_equal(app_config_load(&c, APP_CMD_SERVE, 6, argv2, msg, sizeof msg), 0);
    api_http_config(&c, &got);
    assert_int_equal(got.port, 0);
    assert_int_equal(got.max_per_ip, 0);
    assert_int_equal(got.upload_limit, 4096);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(routes__join_every_resource_once),
        cmocka_unit_test(server__config_maps_onto_the_http_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
