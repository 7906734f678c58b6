/*
 * test_app.c - unit tests for the application shell: configuration precedence (defaults <
 * REPRIGHT_* environment < flags), refusal of bad values, the joined route table, and opening /
 * closing the services on a temporary data directory without HTTP.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "api/app.h"
#include "base/rr_error.h"
#include "store/store.h"

static const char *const env_names[] = {
    "REPRIGHT_DATA_DIR",     "REPRIGHT_DATABASE_URL",    "REPRIGHT_BLOB_URL",
    "REPRIGHT_QUEUE_URL",    "REPRIGHT_MODEL_DIR",       "REPRIGHT_MODEL",
    "REPRIGHT_BIND",         "REPRIGHT_PORT",            "REPRIGHT_WORKERS",
    "REPRIGHT_HTTP_THREADS", "REPRIGHT_JOB_MAX_ATTEMPTS", "REPRIGHT_JOB_LEASE_S",
    "REPRIGHT_UPLOAD_LIMIT", "REPRIGHT_JSON_LIMIT",      "REPRIGHT_HEADER_LIMIT",
    "REPRIGHT_MAX_CONNECTIONS", "REPRIGHT_MAX_PER_IP",   "REPRIGHT_IDLE_TIMEOUT_S",
    "REPRIGHT_DRAIN_TIMEOUT_MS", "REPRIGHT_LOGIN_ACCOUNT_LIMIT", "REPRIGHT_LOGIN_IP_LIMIT",
    "REPRIGHT_LOG_LEVEL",    "REPRIGHT_JWT_SECRET",      "REPRIGHT_JWT_SECRET_FILE",
};

static int clear_env(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof env_names / sizeof env_names[0]; i++)
        unsetenv(env_names[i]);
    return 0;
}

static void app__config_defaults_serve_one_machine(void **state)
{
    (void)state;
    struct app_config c;
    char msg[256];
    char *argv[] = {"serve", NULL};
    assert_int_equal(app_config_load(&c, 1, argv, msg, sizeof msg), 0);
    assert_string_equal(c.data_dir, "./repright-data");
    assert_string_equal(c.database_url, "sqlite:./repright-data/repright.db");
    assert_string_equal(c.blob_url, "file:./repright-data/blobs");
    assert_string_equal(c.queue_url, "db");
    assert_string_equal(c.http.bind_addr, "127.0.0.1");
    assert_int_equal(c.http.port, 8080);
    assert_int_equal(c.workers, 1);
    assert_int_equal(c.model, POSE_MODEL_FULL);
    assert_int_equal(c.job_max_attempts, 3);
    assert_int_equal(c.job_lease_s, 60);
    assert_int_equal(c.page_max, 100);
    assert_int_equal(c.login_ip_limit, 0);
}

static void app__config_flags_beat_environment(void **state)
{
    (void)state;
    struct app_config c;
    char msg[256];
    setenv("REPRIGHT_PORT", "9000", 1);
    setenv("REPRIGHT_DATA_DIR", "/env/dir", 1);
    setenv("REPRIGHT_WORKERS", "3", 1);
    setenv("REPRIGHT_MODEL", "lite", 1);
    setenv("REPRIGHT_BIND", "::1", 1);
    setenv("REPRIGHT_HTTP_THREADS", "2", 1);
    setenv("REPRIGHT_JOB_MAX_ATTEMPTS", "5", 1);
    setenv("REPRIGHT_JOB_LEASE_S", "30", 1);
    setenv("REPRIGHT_UPLOAD_LIMIT", "1048576", 1);
    setenv("REPRIGHT_JSON_LIMIT", "65536", 1);
    setenv("REPRIGHT_HEADER_LIMIT", "8192", 1);
    setenv("REPRIGHT_MAX_CONNECTIONS", "64", 1);
    setenv("REPRIGHT_MAX_PER_IP", "8", 1);
    setenv("REPRIGHT_IDLE_TIMEOUT_S", "10", 1);
    setenv("REPRIGHT_DRAIN_TIMEOUT_MS", "5000", 1);
    setenv("REPRIGHT_LOGIN_ACCOUNT_LIMIT", "7", 1);
    setenv("REPRIGHT_LOGIN_IP_LIMIT", "70", 1);
    setenv("REPRIGHT_LOG_LEVEL", "warn", 1);
    setenv("REPRIGHT_QUEUE_URL", "db", 1);
    setenv("REPRIGHT_MODEL_DIR", "/models", 1);
    char *argv[] = {"serve", "--port", "9100", "--data-dir=/flag/dir", "--workers", "0",
                    "--model", "heavy", NULL};
    assert_int_equal(app_config_load(&c, 8, argv, msg, sizeof msg), 0);
    assert_int_equal(c.http.port, 9100);
    assert_string_equal(c.data_dir, "/flag/dir");
    assert_string_equal(c.database_url, "sqlite:/flag/dir/repright.db");
    assert_int_equal(c.workers, 0);
    assert_int_equal(c.model, POSE_MODEL_HEAVY);
    assert_string_equal(c.http.bind_addr, "::1");
    assert_int_equal(c.http.threads, 2);
    assert_int_equal(c.job_max_attempts, 5);
    assert_int_equal(c.job_lease_s, 30);
    assert_int_equal(c.http.upload_limit, 1048576);
    assert_int_equal(c.http.json_limit, 65536);
    assert_int_equal(c.http.header_limit, 8192);
    assert_int_equal(c.http.max_connections, 64);
    assert_int_equal(c.http.max_per_ip, 8);
    assert_int_equal(c.http.idle_timeout_s, 10);
    assert_int_equal(c.http.drain_timeout_ms, 5000);
    assert_int_equal(c.login_account_limit, 7);
    assert_int_equal(c.login_ip_limit, 70);
    assert_string_equal(c.model_dir, "/models");
}

static void app__config_explicit_urls_are_kept(void **state)
{
    (void)state;
    struct app_config c;
    char msg[256];
    setenv("REPRIGHT_DATABASE_URL", "sqlite:/elsewhere/db", 1);
    char *argv[] = {"serve", "--blob-url", "file:/b", NULL};
    assert_int_equal(app_config_load(&c, 3, argv, msg, sizeof msg), 0);
    assert_string_equal(c.database_url, "sqlite:/elsewhere/db");
    assert_string_equal(c.blob_url, "file:/b");
}

static void app__config_refuses_bad_values_and_names_them(void **state)
{
    (void)state;
    struct app_config c;
    char msg[256];
    static const char *const bad_env[][2] = {
        {"REPRIGHT_PORT", "65536"},       {"REPRIGHT_PORT", "80x"},
        {"REPRIGHT_WORKERS", "-1"},       {"REPRIGHT_MODEL", "huge"},
        {"REPRIGHT_LOG_LEVEL", "loud"},   {"REPRIGHT_JSON_LIMIT", "1"},
        {"REPRIGHT_BIND", ""},            {"REPRIGHT_DATA_DIR", ""},
        {"REPRIGHT_HTTP_THREADS", "0"},   {"REPRIGHT_JOB_MAX_ATTEMPTS", "0"},
        {"REPRIGHT_JOB_LEASE_S", "1"},    {"REPRIGHT_UPLOAD_LIMIT", "0"},
        {"REPRIGHT_HEADER_LIMIT", "10"},  {"REPRIGHT_MAX_CONNECTIONS", "0"},
        {"REPRIGHT_MAX_PER_IP", "-3"},    {"REPRIGHT_IDLE_TIMEOUT_S", "0"},
        {"REPRIGHT_DRAIN_TIMEOUT_MS", "x"}, {"REPRIGHT_LOGIN_ACCOUNT_LIMIT", "0"},
        {"REPRIGHT_LOGIN_IP_LIMIT", ""},
    };
    char *argv0[] = {"serve", NULL};
    for (size_t i = 0; i < sizeof bad_env / sizeof bad_env[0]; i++) {
        clear_env(NULL);
        setenv(bad_env[i][0], bad_env[i][1], 1);
        assert_int_equal(app_config_load(&c, 1, argv0, msg, sizeof msg), RR_ERR_INVAL);
        assert_non_null(strstr(msg, bad_env[i][0]));
    }
    clear_env(NULL);
    char *a1[] = {"serve", "--port", NULL};
    assert_int_equal(app_config_load(&c, 2, a1, msg, sizeof msg), RR_ERR_INVAL);
    assert_non_null(strstr(msg, "--port needs a value"));
    char *a2[] = {"serve", "--frobnicate", NULL};
    assert_int_equal(app_config_load(&c, 2, a2, msg, sizeof msg), RR_ERR_INVAL);
    assert_non_null(strstr(msg, "unknown option"));
    char *a3[] = {"serve", "--workers=lots", NULL};
    assert_int_equal(app_config_load(&c, 2, a3, msg, sizeof msg), RR_ERR_INVAL);
    assert_non_null(strstr(msg, "--workers"));
    char *a4[] = {"serve", "--portal", "1", NULL};
    assert_int_equal(app_config_load(&c, 3, a4, msg, sizeof msg), RR_ERR_INVAL);
    char longdir[1100];
    memset(longdir, 'd', sizeof longdir - 1);
    longdir[sizeof longdir - 1] = '\0';
    setenv("REPRIGHT_DATA_DIR", longdir, 1);
    assert_int_equal(app_config_load(&c, 1, argv0, msg, sizeof msg), RR_ERR_INVAL);
}

static void app__route_table_joins_every_resource_once(void **state)
{
    (void)state;
    size_t n = 0, n2 = 0;
    const struct http_route *r = api_routes(&n);
    assert_ptr_equal(api_routes(&n2), r);
    assert_int_equal(n, n2);
    assert_true(n >= api_auth_routes_n + api_ops_routes_n);
    int saw_login = 0, saw_readyz = 0;
    for (size_t i = 0; i < n; i++) {
        assert_non_null(r[i].pattern);
        assert_non_null(r[i].handler);
        saw_login += strcmp(r[i].pattern, "/v1/auth/login") == 0;
        saw_readyz += strcmp(r[i].pattern, "/readyz") == 0;
    }
    assert_int_equal(saw_login, 1);
    assert_int_equal(saw_readyz, 1);
}

static void app__open_without_serving_migrates_and_closes(void **state)
{
    (void)state;
    char dir[] = "/tmp/rr-app-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char data[256], argdir[300];
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(argdir, sizeof argdir, "--data-dir=%s", data);
    struct app_config c;
    struct app *a = NULL;
    char msg[256];
    char *argv[] = {"serve", argdir, NULL};
    assert_int_equal(app_config_load(&c, 2, argv, msg, sizeof msg), 0);
    assert_int_equal(app_open(&c, APP_RUN_NONE, &a, msg, sizeof msg), 0);
    assert_non_null(a->store);
    assert_non_null(a->blob);
    assert_non_null(a->tus);
    assert_null(a->http);
    int v = 0;
    assert_int_equal(store_schema_version(a->store, &v), 0);
    assert_int_equal(v, store_schema_known());
    uint8_t zero[32] = {0};
    assert_memory_not_equal(a->jwt_key, zero, 32);
    assert_memory_not_equal(a->jwt_key, a->token_pepper, 32);
    uint8_t key1[32];
    memcpy(key1, a->jwt_key, 32);
    app_close(a);
    /* the persisted secret gives the same key next time */
    assert_int_equal(app_open(&c, APP_RUN_NONE, &a, msg, sizeof msg), 0);
    assert_memory_equal(a->jwt_key, key1, 32);
    app_close(a);
    app_close(NULL);

    /* a data dir that is a file, and an unknown store scheme, are named in msg */
    char file[300];
    snprintf(file, sizeof file, "%s/plain", dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    snprintf(c.data_dir, sizeof c.data_dir, "%s", file);
    assert_true(app_open(&c, APP_RUN_NONE, &a, msg, sizeof msg) < 0);
    assert_null(a);
    assert_non_null(strstr(msg, "data dir"));
    snprintf(c.data_dir, sizeof c.data_dir, "%s", data);
    snprintf(c.database_url, sizeof c.database_url, "nosuch:x");
    assert_true(app_open(&c, APP_RUN_NONE, &a, msg, sizeof msg) < 0);
    assert_non_null(strstr(msg, "store"));
    snprintf(c.database_url, sizeof c.database_url, "sqlite:%s/repright.db", data);
    snprintf(c.blob_url, sizeof c.blob_url, "nosuch:x");
    assert_true(app_open(&c, APP_RUN_NONE, &a, msg, sizeof msg) < 0);
    assert_non_null(strstr(msg, "blob"));
    snprintf(c.blob_url, sizeof c.blob_url, "file:%s/blobs", data);
    setenv("REPRIGHT_JWT_SECRET", "abcd", 1); /* too short: refused, never stretched */
    assert_true(app_open(&c, APP_RUN_NONE, &a, msg, sizeof msg) < 0);
    assert_non_null(strstr(msg, "secret"));
    unsetenv("REPRIGHT_JWT_SECRET");

    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(app__config_defaults_serve_one_machine, clear_env),
        cmocka_unit_test_setup(app__config_flags_beat_environment, clear_env),
        cmocka_unit_test_setup(app__config_explicit_urls_are_kept, clear_env),
        cmocka_unit_test_setup(app__config_refuses_bad_values_and_names_them, clear_env),
        cmocka_unit_test_setup(app__route_table_joins_every_resource_once, clear_env),
        cmocka_unit_test_setup(app__open_without_serving_migrates_and_closes, clear_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
