/*
 * test_fault.c - the fault-injection hook (base/rr_fault.h) and RR_ASSERT (base/rr_assert.h):
 * spec parsing from a table, countdowns (once, from N on), the seeded probability mode, the
 * counters a "for N = 1.. until nothing fired" loop reads, REPRIGHT_FAULTS from the environment
 * in a child process (a spec, a spec file re-read when it changes, a malformed spec that stops
 * the process), and an assertion that aborts when checks are on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/rr_assert.h"
#include "base/rr_error.h"
#include "base/rr_fault.h"

static char self_exe[4096];

static void fault__specs_parse_from_a_table(void **state)
{
    (void)state;
    static const struct {
        const char *spec;
        int ok;
    } cases[] = {
        {"", 1},
        {"store.step:1", 1},
        {"store.step:3,blob.write:1", 1},
        {" blob.fsync:2+\n", 1},
        {"blob.rename:~0.5", 1},
        {"blob.rename:~1", 1},
        {"blob.rename:~.25,seed:42", 1},
        {"store.alloc:1000000000", 1},
        {"store.step:0", 0},
        {"store.step:-1", 0},
        {"store.step:", 0},
        {"store.step", 0},
        {"store.nope:1", 0},
        {"store.step:1,", 0},
        {",store.step:1", 0},
        {"store.step:1x", 0},
        {"store.step:1++", 0},
        {"store.step:1000000001", 0},
        {"store.step:99999999999999999999999", 0},
        {"blob.open:~0", 0},
        {"blob.open:~1.5", 0},
        {"blob.open:~", 0},
        {"blob.open:~1e-3", 0},
        {"seed:x", 0},
        {"STORE.STEP:1", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = rr_fault_set(cases[i].spec);
        if ((rc == 0) != cases[i].ok)
            fail_msg("spec %zu \"%s\": rc %d, want ok=%d", i, cases[i].spec, rc, cases[i].ok);
        if (!cases[i].ok)
            assert_int_equal(rc, RR_ERR_INVAL);
    }
    /* A refused spec leaves the previous one armed. */
    assert_int_equal(rr_fault_set("blob.open:1"), 0);
    assert_int_equal(rr_fault_set("blob.open:zero"), RR_ERR_INVAL);
    assert_true(rr_fault(RR_FAULT_BLOB_OPEN));
    rr_fault_clear();
    /* Every site has a name; names are what specs use. */
    for (int s = 0; s < RR_FAULT_NSITES; s++) {
        char spec[64];
        assert_non_null(rr_fault_name((enum rr_fault_site)s));
        snprintf(spec, sizeof spec, "%s:1", rr_fault_name((enum rr_fault_site)s));
        assert_int_equal(rr_fault_set(spec), 0);
        assert_true(rr_fault((enum rr_fault_site)s));
    }
    assert_null(rr_fault_name(RR_FAULT_NSITES));
    assert_false(rr_fault__hit(RR_FAULT_NSITES));
    assert_int_equal(rr_fault_hits(RR_FAULT_NSITES), 0);
    assert_int_equal(rr_fault_fired(RR_FAULT_NSITES), 0);
    rr_fault_clear();
}

static void fault__countdowns_fire_once_or_from_n_on(void **state)
{
    (void)state;
    assert_false(rr_fault(RR_FAULT_STORE_STEP)); /* unarmed: never */
    assert_int_equal(rr_fault_hits(RR_FAULT_STORE_STEP), 0);
    assert_int_equal(rr_fault_set("store.step:3,blob.write:2+"), 0);
    int fired[6] = {0}, fired_w[6] = {0};
    for (int i = 0; i < 6; i++) {
        fired[i] = rr_fault(RR_FAULT_STORE_STEP);
        fired_w[i] = rr_fault(RR_FAULT_BLOB_WRITE);
    }
    static const int want[6] = {0, 0, 1, 0, 0, 0};
    static const int want_w[6] = {0, 1, 1, 1, 1, 1};
    assert_memory_equal(fired, want, sizeof want);
    assert_memory_equal(fired_w, want_w, sizeof want_w);
    assert_int_equal(rr_fault_fired(RR_FAULT_STORE_STEP), 1);
    assert_int_equal(rr_fault_fired(RR_FAULT_BLOB_WRITE), 5);
    assert_int_equal(rr_fault_hits(RR_FAULT_BLOB_WRITE), 6);
    /* Other sites are not counted or failed. */
    assert_false(rr_fault(RR_FAULT_BLOB_FSYNC));
    assert_int_equal(rr_fault_hits(RR_FAULT_BLOB_FSYNC), 0);
    /* rr_fault_errno sets errno like the failed call would. */
    errno = 0;
    assert_true(rr_fault_errno(RR_FAULT_BLOB_WRITE, ENOSPC));
    assert_int_equal(errno, ENOSPC);
    /* A new spec restarts the counts. */
    assert_int_equal(rr_fault_set("store.step:1"), 0);
    assert_int_equal(rr_fault_hits(RR_FAULT_BLOB_WRITE), 0);
    assert_true(rr_fault(RR_FAULT_STORE_STEP));
    assert_false(rr_fault(RR_FAULT_STORE_STEP)); /* once, then disarmed */
    rr_fault_clear();
    assert_false(rr_fault(RR_FAULT_BLOB_WRITE));
}

static void fault__probability_is_reproducible_from_the_seed(void **state)
{
    (void)state;
    int a = 0, b = 0, same = 1;
    unsigned char first[1000];
    assert_int_equal(rr_fault_set("blob.fsync:~0.25,seed:7"), 0);
    for (int i = 0; i < 1000; i++) {
        first[i] = rr_fault(RR_FAULT_BLOB_FSYNC);
        a += first[i];
    }
    assert_int_equal(rr_fault_set("blob.fsync:~0.25,seed:7"), 0);
    for (int i = 0; i < 1000; i++) {
        unsigned char f = rr_fault(RR_FAULT_BLOB_FSYNC);
        b += f;
        same &= f == first[i];
    }
    assert_true(same);
    assert_int_equal(a, b);
    assert_true(a > 180 && a < 320); /* about a quarter */
    assert_int_equal(rr_fault_fired(RR_FAULT_BLOB_FSYNC), (uint64_t)b);
    assert_int_equal(rr_fault_set("blob.fsync:~1"), 0);
    assert_true(rr_fault(RR_FAULT_BLOB_FSYNC));
    rr_fault_clear();
}

/* Run this program again as a child with REPRIGHT_FAULTS=env and one argument; exit status. */
static int run_child(const char *env, const char *mode, const char *file)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setenv("REPRIGHT_FAULTS", env, 1);
        execl(self_exe, self_exe, mode, file, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void write_spec(const char *path, const char *spec)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    assert_non_null(f);
    fputs(spec, f);
    fclose(f);
    assert_int_equal(rename(tmp, path), 0);
}

/* The children's side (see main). */
static int child_main(const char *mode, const char *file)
{
    if (strcmp(mode, "--env-spec") == 0) /* REPRIGHT_FAULTS=store.commit:2 */
        return !(!rr_fault(RR_FAULT_STORE_COMMIT) && rr_fault(RR_FAULT_STORE_COMMIT) &&
                 !rr_fault(RR_FAULT_STORE_COMMIT));
    if (strcmp(mode, "--env-file") == 0) { /* REPRIGHT_FAULTS=@file, the file absent at first */
        if (rr_fault(RR_FAULT_BLOB_WRITE))
            return 10;
        write_spec(file, "blob.write:2");
        if (rr_fault(RR_FAULT_BLOB_WRITE) || !rr_fault(RR_FAULT_BLOB_WRITE))
            return 11;
        write_spec(file, "blob.write:1+");
        if (!rr_fault(RR_FAULT_BLOB_WRITE) || !rr_fault(RR_FAULT_BLOB_WRITE))
            return 12;
        write_spec(file, "");
        if (rr_fault(RR_FAULT_BLOB_WRITE))
            return 13;
        write_spec(file, "blob.write:oops");
        if (rr_fault(RR_FAULT_BLOB_WRITE))
            return 14; /* malformed: nothing armed, the process goes on */
        write_spec(file, "blob.write:1");
        unlink(file);
        return rr_fault(RR_FAULT_BLOB_WRITE) ? 15 : 0; /* removed: nothing armed */
    }
    if (strcmp(mode, "--assert") == 0) {
        volatile int broken = 1;
        RR_ASSERT(broken == 0);
        return 0;
    }
    return 3;
}

static void fault__reprightfaults_arms_a_process_from_its_start(void **state)
{
    (void)state;
    char file[] = "/tmp/rr_test_fault_XXXXXX";
    int fd = mkstemp(file);
    assert_true(fd >= 0);
    close(fd);
    unlink(file);
    char env[600];
    assert_int_equal(run_child("store.commit:2", "--env-spec", file), 0);
    snprintf(env, sizeof env, "@%s", file);
    assert_int_equal(run_child(env, "--env-file", file), 0);
    unlink(file);
    assert_int_equal(run_child("store.commit:nope", "--env-spec", file), 2);
    assert_int_equal(run_child("@", "--env-spec", file), 2);
}

static void assert__aborts_when_checks_are_on(void **state)
{
    (void)state;
    int st = run_child("", "--assert", "");
    if (RR_ASSERT_ON)
        assert_int_equal(st, 128 + SIGABRT);
    else
        assert_int_equal(st, 0);
    RR_ASSERT(st >= 0); /* a true check costs nothing and says nothing */
}

int main(int argc, char **argv)
{
    if (argc == 3)
        return child_main(argv[1], argv[2]);
    ssize_t n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
    if (n <= 0)
        return 1;
    self_exe[n] = '\0';
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fault__specs_parse_from_a_table),
        cmocka_unit_test(fault__countdowns_fire_once_or_from_n_on),
        cmocka_unit_test(fault__probability_is_reproducible_from_the_seed),
        cmocka_unit_test(fault__reprightfaults_arms_a_process_from_its_start),
        cmocka_unit_test(assert__aborts_when_checks_are_on),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
