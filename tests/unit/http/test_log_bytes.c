/* test_log_bytes.c - log lines through the log_event() layer (http/log.h over base/rr_log.h)
 * are byte for byte what the jansson-built lines were: field order, escapes, real precision 6,
 * nested values, redaction, our keys winning over the caller's; long values are cut with
 * "truncated":true, bad UTF-8 is kept with '?', an oversized line shrinks to its head. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "http/log.h"

static char path[64];
static int fd = -1;

static int setup(void **state)
{
    (void)state;
    snprintf(path, sizeof path, "/tmp/rr_logb_test_XXXXXX");
    fd = mkstemp(path);
    if (fd < 0)
        return -1;
    log_set_fd(fd);
    log_set_level(LOG_LEVEL_DEBUG);
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

/* Everything written since the last call (then the file is emptied). */
static char *read_all(size_t *n)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t cap = 1 << 22;
    char *b = malloc(cap + 1);
    assert_non_null(b);
    *n = fread(b, 1, cap, f);
    b[*n] = '\0';
    fclose(f);
    assert_int_equal(ftruncate(fd, 0), 0);
    lseek(fd, 0, SEEK_SET);
    return b;
}

static int secret(const char *k)
{
    static const char *const words[] = {"authorization", "cookie", "password", "secret",
                                        "token", "api_key"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        for (const char *p = k; *p; p++)
            if (strncasecmp(p, words[i], strlen(words[i])) == 0)
                return 1;
    return 0;
}

/* The line as the former implementation built it, with the ts the new line carries. */
static char *reference(const char *ts, const char *level, const char *msg, json_t *fields)
{
    json_t *obj = json_pack("{s:s, s:s, s:s}", "ts", ts, "level", level, "msg", msg ? msg : "");
    assert_non_null(obj);
    if (json_is_object(fields)) {
        const char *k;
        json_t *v;
        json_object_foreach(fields, k, v)
        {
            if (json_object_get(obj, k))
                continue;
            if (secret(k))
                json_object_set_new(obj, k, json_string("[redacted]"));
            else
                json_object_set(obj, k, v);
        }
    }
    char *line = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    json_decref(obj);
    return line;
}

/* `fields` stays the caller's (log_event gets its own reference). */
static void expect_line(enum log_level level, const char *lname, const char *msg, json_t *fields)
{
    json_incref(fields);
    log_event(level, msg, fields); /* steals one reference */
    size_t n;
    char *got = read_all(&n);
    assert_true(n > 40);
    assert_int_equal(got[n - 1], '\n');
    assert_null(memchr(got, '\n', n - 1)); /* one line */
    assert_memory_equal(got, "{\"ts\":\"", 7);
    char ts[25];
    memcpy(ts, got + 7, 24);
    ts[24] = '\0';
    char *want = reference(ts, lname, msg, fields);
    assert_non_null(want);
    got[n - 1] = '\0';
    assert_string_equal(got, want);
    free(want);
    free(got);
}

static void log_bytes__request_line_matches_jansson(void **state)
{
    (void)state;
    static const double ms[] = {0.070304, 12.0, 1e-7, 123456789.123, 0.5, 1234567.0, 3.14159265};
    for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++) {
        json_t *f = json_pack("{s:s, s:s, s:s, s:s, s:i, s:f, s:s, s:I}", "request_id",
                              "1b19e5bbb171060f", "method", "GET", "path", "/v1/workouts",
                              "route", "workouts.list", "status", 200, "ms", ms[i], "ip",
                              "127.0.0.1", "bytes_in", (json_int_t)123456789012);
        expect_line(LOG_LEVEL_INFO, "info", "request", f);
        json_decref(f);
    }
}

static void log_bytes__every_value_kind(void **state)
{
    (void)state;
    json_t *f = json_pack("{s:s, s:b, s:b, s:n, s:{s:[i,f,s]}, s:[], s:s, s:s, s:s, s:i, s:s, "
                          "s:s, s:I}",
                          "detail", "quote \" back \\ nl \n tab \t ctl \x01 utf8 \xc3\xa9 \xe2\x80\xa8",
                          "ok", 1, "bad", 0, "none", "nested", "a", 1, 2.5, "x", "empty",
                          "Authorization", "Bearer x", "X-Api_Key", "k", "myToken", "t", "ts", 5,
                          "level", "nope", "msg", "nope", "big", (json_int_t)INT64_MIN);
    assert_non_null(f);
    expect_line(LOG_LEVEL_WARN, "warn", "every \"kind\"", f);
    expect_line(LOG_LEVEL_ERROR, "error", NULL, NULL);
    json_t *arr = json_pack("[i]", 1); /* not an object: ignored */
    expect_line(LOG_LEVEL_DEBUG, "debug", "array fields", arr);
    json_decref(arr);
    json_decref(f);
}

/* The one line in the file, NUL-terminated, with its "ts" replaced by "T" (then the file is
 * emptied). */
static char *read_line(void)
{
    size_t n;
    char *got = read_all(&n);
    assert_true(n > 40);
    assert_int_equal(got[n - 1], '\n');
    assert_null(memchr(got, '\n', n - 1));
    got[n - 1] = '\0';
    assert_memory_equal(got, "{\"ts\":\"", 7);
    memmove(got + 8, got + 7 + 24, strlen(got + 7 + 24) + 1); /* "ts":"<24 chars>" -> "ts":"T" */
    got[7] = 'T';
    return got;
}

static void log_bytes__long_values_are_cut_and_bad_text_kept(void **state)
{
    (void)state;
    /* a value past RR_LOG_VALUE_MAX: cut, on a character boundary, and the line says so */
    size_t big_n = 200000;
    char *big = malloc(big_n + 1);
    assert_non_null(big);
    memset(big, 'q', big_n);
    memcpy(big + RR_LOG_VALUE_MAX - 1, "\xc3\xa9", 2); /* a character across the cut */
    big[big_n] = '\0';
    log_event(LOG_LEVEL_INFO, "long", json_pack("{s:s, s:i}", "pad", big, "after", 1));
    char *got = read_line();
    char *want = malloc(RR_LOG_VALUE_MAX + 200);
    assert_non_null(want);
    int head = snprintf(want, 200, "{\"ts\":\"T\",\"level\":\"info\",\"msg\":\"long\",\"pad\":\"");
    memset(want + head, 'q', RR_LOG_VALUE_MAX - 1);
    snprintf(want + head + RR_LOG_VALUE_MAX - 1, 200, "\",\"after\":1,\"truncated\":true}");
    assert_string_equal(got, want);
    free(want);
    free(got);
    free(big);

    /* a message that is not UTF-8 is kept, with '?' for the bad bytes (jansson holds no such
     * field value; rr_log's own test covers those) */
    log_event(LOG_LEVEL_INFO, "bad \xff", json_pack("{s:i}", "a", 1));
    got = read_line();
    assert_string_equal(got, "{\"ts\":\"T\",\"level\":\"info\",\"msg\":\"bad ?\",\"a\":1}");
    free(got);

    /* many long fields: past RR_LOG_LINE_MAX only the head is written, never a partial line */
    json_t *f = json_object();
    char *pad = malloc(RR_LOG_VALUE_MAX);
    assert_non_null(pad);
    memset(pad, 'h', RR_LOG_VALUE_MAX - 1);
    pad[RR_LOG_VALUE_MAX - 1] = '\0';
    for (int i = 0; i < 2 * RR_LOG_LINE_MAX / RR_LOG_VALUE_MAX; i++) {
        char k[16];
        snprintf(k, sizeof k, "f%d", i);
        json_object_set_new(f, k, json_string(pad));
    }
    free(pad);
    log_event(LOG_LEVEL_WARN, "huge", f);
    got = read_line();
    assert_string_equal(got, "{\"ts\":\"T\",\"level\":\"warn\",\"msg\":\"huge\",\"truncated\":true}");
    free(got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(log_bytes__request_line_matches_jansson),
        cmocka_unit_test(log_bytes__every_value_kind),
        cmocka_unit_test(log_bytes__long_values_are_cut_and_bad_text_kept),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
