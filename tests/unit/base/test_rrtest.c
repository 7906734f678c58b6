/*
 * test_rrtest.c - the skip rules of the test helpers (tests/support/rrtest.h), since every other
 * test program relies on them: a program that skipped something exits 77 (CTest: skipped) unless
 * a case failed (exit 1); a skipped case does not stop the others; the in-case checks skip only
 * their case. Each scenario runs as a child process of this program.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/rrtest.h"

static char self_exe[4096];
static int ran_after_skip;

static void case_passes(void **state)
{
    (void)state;
}

static void case_fails(void **state)
{
    (void)state;
    fail_msg("on purpose");
}

static void case_skips(void **state)
{
    (void)state;
    rrtest_skip_case("case_skips", "on purpose");
    fail_msg("not reached");
}

static void case_misses_a_model(void **state)
{
    (void)state;
    char dir[256];
    setenv("REPRIGHT_MODEL_DIR", "/nonexistent-rrtest", 1);
    rrtest_case_model("case_misses_a_model", "pose_detection.tflite", dir, sizeof dir);
    fail_msg("not reached");
}

static void case_misses_a_tool(void **state)
{
    (void)state;
    rrtest_case_tool("case_misses_a_tool", "/nonexistent-rrtest/ffmpeg");
    fail_msg("not reached");
}

static void case_skips_a_part(void **state)
{
    (void)state;
    rrtest_skip("case_skips_a_part", "one row of a table");
    ran_after_skip = 1; /* the case goes on */
}

static void case_checks_it_went_on(void **state)
{
    (void)state;
    assert_true(ran_after_skip);
}

/* The scenario programs: main's status for a group of cases. */
static int scenario(const char *name)
{
    if (strcmp(name, "pass") == 0) {
        const struct CMUnitTest t[] = {cmocka_unit_test(case_passes)};
        return rrtest_status(cmocka_run_group_tests(t, NULL, NULL));
    }
    if (strcmp(name, "skip") == 0) {
        const struct CMUnitTest t[] = {cmocka_unit_test(case_skips), cmocka_unit_test(case_passes),
                                       cmocka_unit_test(case_misses_a_model),
                                       cmocka_unit_test(case_misses_a_tool)};
        return rrtest_status(cmocka_run_group_tests(t, NULL, NULL));
    }
    if (strcmp(name, "skip+fail") == 0) {
        const struct CMUnitTest t[] = {cmocka_unit_test(case_fails), cmocka_unit_test(case_skips)};
        return rrtest_status(cmocka_run_group_tests(t, NULL, NULL));
    }
    if (strcmp(name, "part") == 0) {
        const struct CMUnitTest t[] = {cmocka_unit_test(case_skips_a_part),
                                       cmocka_unit_test(case_checks_it_went_on)};
        return rrtest_status(cmocka_run_group_tests(t, NULL, NULL));
    }
    if (strcmp(name, "require") == 0) {
        char dir[256];
        setenv("REPRIGHT_MODEL_DIR", "/nonexistent-rrtest", 1);
        rrtest_require_model("require", "pose_detection.tflite", dir, sizeof dir);
        return 0; /* not reached */
    }
    return 99;
}

static int run(const char *name)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
            _exit(98);
        execl(self_exe, self_exe, name, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

static void rrtest__a_skip_is_never_a_pass(void **state)
{
    (void)state;
    assert_int_equal(run("pass"), 0);
    assert_int_equal(run("skip"), RRTEST_SKIP_CODE);    /* skipped cases, one passing */
    assert_int_equal(run("part"), RRTEST_SKIP_CODE);    /* a skipped part of a case */
    assert_int_equal(run("require"), RRTEST_SKIP_CODE); /* nothing ran at all */
    assert_int_equal(run("skip+fail"), 1);              /* a failure wins over a skip */
    assert_int_equal(rrtest_status(3), 1);
}

int main(int argc, char **argv)
{
    if (argc == 2)
        return scenario(argv[1]);
    ssize_t n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
    if (n <= 0)
        return 1;
    self_exe[n] = '\0';
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rrtest__a_skip_is_never_a_pass),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
