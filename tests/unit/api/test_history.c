/*
 * test_history.c - the history resources' pure helpers: RFC 3339 parsing and formatting and
 * CSV field quoting (RFC 4180 + formula guard).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/history.h"
#include "base/rr_error.h"

static void history__parses_rfc3339_with_fractions_and_offsets(void **state)
{
    (void)state;
    int64_t t = 0;
    char out[32];
    assert_int_equal(history_time_parse("2026-03-01T10:00:00Z", &t), 0);
    history_time_format(t, out);
    assert_string_equal(out, "2026-03-01T10:00:00.000Z");
    assert_int_equal(history_time_parse("2026-03-01T10:00:00.25Z", &t), 0);
    history_time_format(t, out);
    assert_string_equal(out, "2026-03-01T10:00:00.250Z");
    assert_int_equal(history_time_parse("2026-03-01t10:00:00.123456789z", &t), 0);
    history_time_format(t, out);
    assert_string_equal(out, "2026-03-01T10:00:00.123Z");
    assert_int_equal(history_time_parse("2026-03-01T01:30:00+02:00", &t), 0);
    history_time_format(t, out);
    assert_string_equal(out, "2026-02-28T23:30:00.000Z");
    assert_int_equal(history_time_parse("2026-02-28T22:45:00-01:15", &t), 0);
    history_time_format(t, out);
    assert_string_equal(out, "2026-03-01T00:00:00.000Z");
    history_time_format(-5, out);
    assert_string_equal(out, "1970-01-01T00:00:00.000Z");
}

static void history__refuses_malformed_times(void **state)
{
    (void)state;
    int64_t t = 0;
    const char *bad[] = {"2026-03-01 10:00:00Z", "2026-03-01T24:00:00Z", "2026-03-01T10:60:00Z",
                         "2026-03-01T10:00:60Z", "2026-03-01T10:00:00", "2026-03-01T10:00:00.Z",
                         "2026-03-01T10:00:00.1234567890Z", "2026-03-01T10:00:00+0200",
                         "2026-03-01T10:00:00+24:00", "2026-03-01T10:00:00+02:60",
                         "2026-02-30T10:00:00Z", "2026-03-01T1a:00:00Z", "1970-01-01T00:00:00+01:00",
                         "2026-03-01T10:00:00ZZ", "short", NULL};
    for (int i = 0; bad[i]; i++)
        assert_int_equal(history_time_parse(bad[i], &t), RR_ERR_INVAL);
    assert_int_equal(history_time_parse(NULL, &t), RR_ERR_INVAL);
    assert_int_equal(history_time_parse("2026-03-01T10:00:00Z", NULL), RR_ERR_INVAL);
}

static void history__quotes_csv_fields_and_guards_formulas(void **state)
{
    (void)state;
    char buf[256] = "";
    FILE *fp = fmemopen(buf, sizeof buf, "w");
    assert_non_null(fp);
    history_csv_field(fp, "plain", 0);
    history_csv_field(fp, "a,b", 0);
    history_csv_field(fp, "say \"hi\"", 0);
    history_csv_field(fp, "two\nlines", 0);
    history_csv_field(fp, "=SUM(A1)", 0);
    history_csv_field(fp, "", 1);
    fclose(fp);
    assert_string_equal(buf, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"'=SUM(A1)\",\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(history__parses_rfc3339_with_fractions_and_offsets),
        cmocka_unit_test(history__refuses_malformed_times),
        cmocka_unit_test(history__quotes_csv_fields_and_guards_formulas),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
