/*
 * s3test.h - start the test S3 server (tests/support/s3_server.mjs: s3rver from web/node_modules
 * behind our independent SigV4 check) on a random loopback port, in a temporary directory, with
 * one bucket, for the duration of a test program. Not part of the product.
 *
 * s3test_start generates random credentials once per process and exports them as
 * REPRIGHT_S3_ACCESS_KEY_ID / REPRIGHT_S3_SECRET_ACCESS_KEY (what blob_s3 reads), so
 * blob_open(t.url) just works. The server exits when the test process does (its stdin is a pipe
 * from us). Returns 0, RRTEST_SKIP_CODE (77) with a "SKIP:" line when node or s3rver is absent,
 * or -1 (a message on stderr) when the server did not come up within 20 s.
 * Thread-safety: call from the main thread before threads exist (it sets the environment).
 */
#ifndef RRTEST_S3TEST_H
#define RRTEST_S3TEST_H

#include <sys/types.h>

struct s3test {
    pid_t pid;
    int stdin_fd;
    int port;
    char dir[256];
    char bucket[32];
    char url[512]; /* s3://BUCKET?endpoint=http://127.0.0.1:PORT&region=us-east-1 */
    char endpoint[128];
};

/* verify = 0 runs plain s3rver (which does not check V4 signatures) for the test that shows it. */
int s3test_start(struct s3test *t, const char *test, int verify);
void s3test_stop(struct s3test *t);
/* The credentials exported (for tests that sign by hand or corrupt them). */
const char *s3test_access_key(void);
const char *s3test_secret_key(void);

#endif
