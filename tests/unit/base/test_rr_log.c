/* test_rr_log.c - the one logger (base/rr_log.h): every line is one JSON object jansson parses,
 * with ts (RFC 3339 UTC, ms), level, msg and the typed fields in call order; secret-looking keys
 * are redacted whatever their case; lines below the level are dropped; long values are cut and
 * marked; bad UTF-8 is kept with '?'; lines from many threads never interleave. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/rr_log.h"

static char path[64];
static int fd = -1;

static int setup(void **state)
{
    (void)state;
    snprintf(path, sizeof path, "/tmp/rr_log_test_XXXXXX");
    fd = mkstemp(path);
    if (fd < 0)
        return -1;
    rr_log_set_fd(fd);
    rr_log_set_level(RR_LOG_DEBUG);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rr_log_set_fd(2);
    rr_log_set_level(RR_LOG_INFO);
    close(fd);
    unlink(path);
    return 0;
}

/* Every line written since the last call, parsed (then the file is emptied); *n lines. */
static json_t **read_lines(size_t *n)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t cap = 16, count = 0;
    json_t **lines = malloc(cap * sizeof *lines);
    assert_non_null(lines);
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    while ((len = getline(&line, &lcap, f)) > 0) {
        assert_int_equal(line[len - 1], '\n');
        json_error_t e;
        json_t *o = json_loadb(line, (size_t)len, JSON_ALLOW_NUL, &e);
        if (!o)
            fail_msg("not a JSON line (%s): %s", e.text, line);
        assert_true(json_is_object(o));
        if (count == cap) {
            cap *= 2;
            lines = realloc(lines, cap * sizeof *lines);
            assert_non_null(lines);
        }
        lines[count++] = o;
    }
    free(line);
    fclose(f);
    assert_int_equal(ftruncate(fd, 0), 0);
    lseek(fd, 0, SEEK_SET);
    *n = count;
    return lines;
}

static void free_lines(json_t **lines, size_t n)
{
    for (size_t i = 0; i < n; i++)
        json_decref(lines[i]);
    free(lines);
}

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static void log__writes_typed_fields_in_order(void **state)
{
    (void)state;
    rr_log(RR_LOG_WARN, "job failed", RR_LOG_JOB_ID("ab12"),
           RR_LOG_STR("detail", "disk \"full\"\n"), RR_LOG_INT("attempt", -3),
           RR_LOG_UINT("bytes", (uint64_t)1 << 40), RR_LOG_REAL("ms", 12.5),
           RR_LOG_REAL("nan", NAN), RR_LOG_BOOL("retry", 2), RR_LOG_NULL("none"),
           RR_LOG_STR("missing", NULL), RR_LOG_STRN("nul", "a\0b", 3),
           RR_LOG_JSON("obj", "{\"a\":[1,2]}", RR_LOG_NUL), RR_LOG_STR("msg", "not mine"),
           RR_LOG_STR("level", "not mine"));
    rr_log_msg(RR_LOG_ERROR, NULL);
    size_t n;
    json_t **l = read_lines(&n);
    assert_int_equal(n, 2);
    const char *keys[] = {"ts",    "level", "msg", "job_id",  "detail", "attempt", "bytes",
                          "ms",    "nan",   "retry", "none", "missing", "nul",   "obj"};
    assert_int_equal(json_object_size(l[0]), sizeof keys / sizeof keys[0]);
    size_t i = 0;
    const char *k;
    json_t *v;
    json_object_foreach(l[0], k, v)
    {
        assert_string_equal(k, keys[i]); /* ts, level, msg first, then call order */
        i++;
    }
    const char *ts = str(l[0], "ts");
    assert_int_equal(strlen(ts), 24); /* 2025-01-31T08:00:00.123Z */
    assert_true(ts[4] == '-' && ts[10] == 'T' && ts[19] == '.' && ts[23] == 'Z');
    assert_string_equal(str(l[0], "level"), "warn");
    assert_string_equal(str(l[0], "msg"), "job failed");
    assert_string_equal(str(l[0], "job_id"), "ab12");
    assert_string_equal(str(l[0], "detail"), "disk \"full\"\n");
    assert_int_equal(json_integer_value(json_object_get(l[0], "attempt")), -3);
    assert_int_equal(json_integer_value(json_object_get(l[0], "bytes")), (json_int_t)1 << 40);
    assert_float_equal(json_real_value(json_object_get(l[0], "ms")), 12.5, 0);
    assert_true(json_is_null(json_object_get(l[0], "nan")));
    assert_true(json_is_true(json_object_get(l[0], "retry")));
    assert_true(json_is_null(json_object_get(l[0], "none")));
    assert_true(json_is_null(json_object_get(l[0], "missing")));
    assert_int_equal(json_string_length(json_object_get(l[0], "nul")), 3);
    assert_int_equal(json_array_size(json_object_get(json_object_get(l[0], "obj"), "a")), 2);
    assert_string_equal(str(l[1], "level"), "error");
    assert_string_equal(str(l[1], "msg"), "");
    assert_int_equal(json_object_size(l[1]), 3);
    free_lines(l, n);
}

static void log__redacts_secret_looking_keys(void **state)
{
    (void)state;
    rr_log(RR_LOG_INFO, "login", RR_LOG_STR("password", "hunter2"),
           RR_LOG_STR("Authorization", "Bearer x"), RR_LOG_STR("refresh_TOKEN", "t"),
           RR_LOG_STR("X-Api_Key", "k"), RR_LOG_INT("secret_n", 5),
           RR_LOG_JSON("cookie", "{\"s\":1}", RR_LOG_NUL), RR_LOG_STR("user", "ann"));
    size_t n;
    json_t **l = read_lines(&n);
    assert_int_equal(n, 1);
    static const char *const secret[] = {"password", "Authorization", "refresh_TOKEN", "X-Api_Key",
                                         "secret_n", "cookie"};
    for (size_t i = 0; i < sizeof secret / sizeof secret[0]; i++) {
        assert_string_equal(str(l[0], secret[i]), "[redacted]");
        assert_true(rr_log_key_is_secret(secret[i]));
    }
    assert_string_equal(str(l[0], "user"), "ann");
    assert_false(rr_log_key_is_secret("user"));
    assert_false(rr_log_key_is_secret("tok"));
    free_lines(l, n);
}

static void log__drops_lines_below_the_level(void **state)
{
    (void)state;
    rr_log_set_level(RR_LOG_WARN);
    assert_false(rr_log_enabled(RR_LOG_INFO));
    assert_true(rr_log_enabled(RR_LOG_ERROR));
    assert_false(rr_log_enabled((enum rr_log_level)7));
    rr_log_msg(RR_LOG_DEBUG, "no");
    rr_log_msg(RR_LOG_INFO, "no");
    rr_log_msg(RR_LOG_WARN, "yes");
    rr_log_msg(RR_LOG_ERROR, "yes");
    rr_log_write((enum rr_log_level)9, "never", NULL, 0);
    rr_log_set_level(RR_LOG_DEBUG);
    size_t n;
    json_t **l = read_lines(&n);
    assert_int_equal(n, 2);
    assert_string_equal(str(l[0], "level"), "warn");
    assert_string_equal(str(l[1], "level"), "error");
    free_lines(l, n);
    assert_int_equal(rr_log_level_parse("debug"), RR_LOG_DEBUG);
    assert_int_equal(rr_log_level_parse("error"), RR_LOG_ERROR);
    assert_int_equal(rr_log_level_parse("verbose"), -1);
    assert_int_equal(rr_log_level_parse(NULL), -1);
    assert_string_equal(rr_log_level_name(RR_LOG_WARN), "warn");
    assert_string_equal(rr_log_level_name(-1), "unknown");
}

static void log__bounds_values_and_lines(void **state)
{
    (void)state;
    char *big = malloc(3 * RR_LOG_VALUE_MAX);
    assert_non_null(big);
    memset(big, 'b', 3 * RR_LOG_VALUE_MAX - 1);
    big[3 * RR_LOG_VALUE_MAX - 1] = '\0';
    rr_log(RR_LOG_INFO, "big", RR_LOG_STR("v", big), RR_LOG_STR("bad", "x\xff\xc3"),
           RR_LOG_JSON("j", big, 3 * RR_LOG_VALUE_MAX - 1));
    size_t n;
    json_t **l = read_lines(&n);
    assert_int_equal(n, 1);
    assert_int_equal(json_string_length(json_object_get(l[0], "v")), RR_LOG_VALUE_MAX);
    assert_string_equal(str(l[0], "bad"), "x??");
    assert_true(json_is_null(json_object_get(l[0], "j"))); /* ready-made JSON is never cut */
    assert_true(json_is_true(json_object_get(l[0], "truncated")));
    free_lines(l, n);

    /* more long fields than a line holds: the head alone, marked, and never over the limit */
    struct rr_log_field f[16];
    for (int i = 0; i < 16; i++)
        f[i] = RR_LOG_STR("pad", big);
    rr_log_write(RR_LOG_ERROR, big, f, 16);
    l = read_lines(&n);
    assert_int_equal(n, 1);
    assert_int_equal(json_object_size(l[0]), 4);
    assert_int_equal(json_string_length(json_object_get(l[0], "msg")), RR_LOG_VALUE_MAX);
    assert_true(json_is_true(json_object_get(l[0], "truncated")));
    free_lines(l, n);
    free(big);
}

#define THREADS 8
#define LINES 400

static void *writer(void *arg)
{
    long id = (long)(intptr_t)arg;
    char pad[600];
    memset(pad, 'a' + (int)id, sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    for (int i = 0; i < LINES; i++)
        rr_log(RR_LOG_INFO, "tick", RR_LOG_INT("thread", id), RR_LOG_INT("i", i),
               RR_LOG_STR("pad", pad));
    return NULL;
}

static void log__lines_from_threads_never_interleave(void **state)
{
    (void)state;
    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, writer, (void *)(intptr_t)i), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    size_t n;
    json_t **l = read_lines(&n); /* fails on any line that is not one whole JSON object */
    assert_int_equal(n, THREADS * LINES);
    int next[THREADS] = {0};
    for (size_t i = 0; i < n; i++) {
        int th = (int)json_integer_value(json_object_get(l[i], "thread"));
        assert_true(th >= 0 && th < THREADS);
        /* each thread's lines in its own order, its pad intact */
        assert_int_equal(json_integer_value(json_object_get(l[i], "i")), next[th]++);
        const char *pad = str(l[i], "pad");
        assert_int_equal(strlen(pad), 599);
        assert_true(pad[0] == 'a' + th && pad[598] == 'a' + th);
    }
    free_lines(l, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(log__writes_typed_fields_in_order),
        cmocka_unit_test(log__redacts_secret_looking_keys),
        cmocka_unit_test(log__drops_lines_below_the_level),
        cmocka_unit_test(log__bounds_values_and_lines),
        cmocka_unit_test(log__lines_from_threads_never_interleave),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
