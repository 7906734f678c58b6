/* test_log.c - structured JSON log lines: shape, levels, redaction, no interleaving. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http/log.h"

static char path[64];
static int fd = -1;

static int setup(void **state)
{
    (void)state;
    snprintf(path, sizeof path, "/tmp/rr_log_test_XXXXXX");
    fd = mkstemp(path);
    if (fd < 0)
        return -1;
    log_set_fd(fd);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    log_set_fd(2);
    log_set_level(LOG_LEVEL_INFO);
    close(fd);
    unlink(path);
    return 0;
}

/* Every line written since the last call, parsed (the file is truncated after reading). */
static json_t *read_lines(void)
{
    json_t *arr = json_array();
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[8192];
    while (fgets(line, sizeof line, f)) {
        assert_non_null(strchr(line, '\n'));
        json_t *j = json_loads(line, 0, NULL);
        assert_non_null(j);
        json_array_append_new(arr, j);
    }
    fclose(f);
    assert_int_equal(ftruncate(fd, 0), 0);
    lseek(fd, 0, SEEK_SET);
    return arr;
}

static void log__writes_one_json_object_per_line(void **state)
{
    (void)state;
    log_event(LOG_LEVEL_INFO, "hello\nworld", json_pack("{s:s, s:i, s:s}", "request_id", "r1",
                                                        "status", 200, "msg", "override?"));
    log_event(LOG_LEVEL_ERROR, NULL, NULL);
    json_t *lines = read_lines();
    assert_int_equal(json_array_size(lines), 2);
    json_t *a = json_array_get(lines, 0);
    assert_string_equal(json_string_value(json_object_get(a, "msg")), "hello\nworld");
    assert_string_equal(json_string_value(json_object_get(a, "level")), "info");
    assert_string_equal(json_string_value(json_object_get(a, "request_id")), "r1");
    assert_int_equal(json_integer_value(json_object_get(a, "status")), 200);
    const char *ts = json_string_value(json_object_get(a, "ts"));
    assert_int_equal(strlen(ts), 24); /* 2026-01-02T03:04:05.678Z */
    assert_int_equal(ts[23], 'Z');
    json_t *b = json_array_get(lines, 1);
    assert_string_equal(json_string_value(json_object_get(b, "level")), "error");
    assert_string_equal(json_string_value(json_object_get(b, "msg")), "");
    json_decref(lines);
}

static void log__drops_lines_below_the_level(void **state)
{
    (void)state;
    log_set_level(LOG_LEVEL_WARN);
    log_event(LOG_LEVEL_INFO, "quiet", json_pack("{s:s}", "k", "v"));
    log_event(LOG_LEVEL_DEBUG, "quieter", NULL);
    log_event(LOG_LEVEL_WARN, "loud", NULL);
    log_event((enum log_level)9, "bogus", NULL);
    json_t *lines = read_lines();
    assert_int_equal(json_array_size(lines), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(lines, 0), "msg")), "loud");
    json_decref(lines);
    log_set_level(LOG_LEVEL_INFO);
    assert_int_equal(log_level_parse("debug"), LOG_LEVEL_DEBUG);
    assert_int_equal(log_level_parse("error"), LOG_LEVEL_ERROR);
    assert_int_equal(log_level_parse("loud"), -1);
    assert_int_equal(log_level_parse(NULL), -1);
}

static void log__redacts_secret_looking_fields(void **state)
{
    (void)state;
    log_event(LOG_LEVEL_INFO, "x",
              json_pack("{s:s, s:s, s:s, s:s, s:s}", "Authorization", "Bearer abc", "password",
                        "hunter2", "refresh_token", "rt", "Cookie", "c=1", "path", "/v1/me"));
    json_t *lines = read_lines();
    json_t *a = json_array_get(lines, 0);
    assert_string_equal(json_string_value(json_object_get(a, "Authorization")), "[redacted]");
    assert_string_equal(json_string_value(json_object_get(a, "password")), "[redacted]");
    assert_string_equal(json_string_value(json_object_get(a, "refresh_token")), "[redacted]");
    assert_string_equal(json_string_value(json_object_get(a, "Cookie")), "[redacted]");
    assert_string_equal(json_string_value(json_object_get(a, "path")), "/v1/me");
    json_decref(lines);
}

static void *writer(void *arg)
{
    (void)arg;
    char big[2000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    for (int i = 0; i < 200; i++)
        log_event(LOG_LEVEL_INFO, "t", json_pack("{s:s, s:i}", "pad", big, "i", i));
    return NULL;
}

static void log__lines_from_threads_never_interleave(void **state)
{
    (void)state;
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, writer, NULL), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    json_t *lines = read_lines(); /* asserts every line parses */
    assert_int_equal(json_array_size(lines), 800);
    json_decref(lines);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(log__writes_one_json_object_per_line),
        cmocka_unit_test(log__drops_lines_below_the_level),
        cmocka_unit_test(log__redacts_secret_looking_fields),
        cmocka_unit_test(log__lines_from_threads_never_interleave),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
