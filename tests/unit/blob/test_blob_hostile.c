/*
 * test_blob_hostile.c - the blob store against what it may find on its disk (issue 15).
 *
 * Found before: a FIFO at an object path blocked blob_get (open() of a FIFO waits for a writer)
 * and with it an HTTP thread or the analysis worker, for ever; blob_sweep_tmp could only be run
 * "when no writer can be active", so nothing ever ran it and a killed writer's temp stayed. Now
 * objects are opened O_NONBLOCK and must be regular files; live writers lock their temp, so the
 * sweep removes exactly those of dead writers (another process's live upload is left alone).
 * Every case runs under alarm(): a blocked open fails the program instead of hanging it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/rr_error.h"
#include "blob/blob.h"

static char dir[256];

static int count_tmp(void)
{
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s/tmp", dir);
    DIR *d = opendir(tmp);
    int n = 0;
    assert_non_null(d);
    for (const struct dirent *e = readdir(d); e; e = readdir(d))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/rr-blob-hostile-XXXXXX");
    assert_non_null(mkdtemp(dir));
    alarm(30); /* a blocking open must fail the test, not hang it */
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    alarm(0);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static struct blob *open_store(void)
{
    char url[300];
    struct blob *b = NULL;
    snprintf(url, sizeof url, "file:%s", dir);
    assert_int_equal(blob_open(url, NULL, &b), 0);
    return b;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void blob__a_fifo_is_no_object_and_never_blocks(void **state)
{
    (void)state;
    struct blob *b = open_store();
    char path[400];
    snprintf(path, sizeof path, "%s/objects/fifo", dir);
    assert_int_equal(mkfifo(path, 0600), 0);
    struct blob_reader *r = NULL;
    struct blob_info info;
    double t0 = now_ms();
    assert_int_equal(blob_get(b, "fifo", &r), RR_ERR_NOTFOUND);
    assert_null(r);
    assert_int_equal(blob_stat(b, "fifo", &info), RR_ERR_NOTFOUND);
    /* moving a FIFO in (tus finishing a part someone replaced) is refused, not waited on */
    char src[400];
    snprintf(src, sizeof src, "%s/in.fifo", dir);
    assert_int_equal(mkfifo(src, 0600), 0);
    assert_int_equal(blob_put_file(b, "moved", src, &info), RR_ERR_INVAL);
    assert_true(now_ms() - t0 < 1000);
    /* a regular object read through the same path still works */
    struct blob_writer *w = NULL;
    assert_int_equal(blob_writer_begin(b, "ok", &w), 0);
    assert_int_equal(blob_writer_write(w, "abc", 3), 0);
    assert_int_equal(blob_writer_commit(w, NULL), 0);
    assert_int_equal(blob_get(b, "ok", &r), 0);
    char buf[4];
    assert_int_equal(blob_reader_read(r, buf, sizeof buf), 3);
    blob_reader_close(r);
    blob_close(b);
}

static void blob__the_sweep_takes_only_temps_of_dead_writers(void **state)
{
    (void)state;
    struct blob *b = open_store();
    struct blob_writer *live = NULL;
    assert_int_equal(blob_writer_begin(b, "live", &live), 0);
    assert_int_equal(blob_writer_write(live, "hello", 5), 0);
    /* a writer in another process that dies mid-write */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct blob_writer *w = NULL;
        if (blob_writer_begin(b, "dead", &w) != 0 || blob_writer_write(w, "x", 1) != 0)
            _exit(1);
        _exit(0); /* no commit, no abort: killed */
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(count_tmp(), 2);
    assert_int_equal(blob_sweep_tmp(b, 0), 1); /* the dead one only, at any age */
    assert_int_equal(count_tmp(), 1);
    struct blob_info info;
    assert_int_equal(blob_writer_commit(live, &info), 0); /* the live one was left alone */
    assert_int_equal(info.size, 5);
    assert_int_equal(count_tmp(), 0);
    assert_int_equal(blob_sweep_tmp(b, 0), 0);
    blob_close(b);
}

static void blob__free_bytes(void **state)
{
    (void)state;
    struct blob *b = open_store();
    int64_t n = -1;
    assert_int_equal(blob_free_bytes(b, &n), 0);
    assert_true(n > 0);
    assert_int_equal(blob_free_bytes(NULL, &n), RR_ERR_INVAL);
    blob_close(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(blob__a_fifo_is_no_object_and_never_blocks, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(blob__the_sweep_takes_only_temps_of_dead_writers, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(blob__free_bytes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
