/*
 * bench_s3_upload.c - upload (and read-back) throughput of the blob store: one object of SIZE MiB
 * streamed through blob_writer_* in 256 KiB chunks (as the HTTP layer feeds it), then read back
 * through blob_get in 1 MiB reads, on the S3 backend and, for comparison, on local files.
 *
 * usage: bench_s3_upload [SIZE_MIB [ROUNDS [BLOB_URL]]]   (default 128 MiB, 3 rounds)
 * Without BLOB_URL it starts the test S3 server (s3rver from web/node_modules behind the SigV4
 * check, tests/support/s3_server.mjs) on loopback, like the tests. Prints MiB/s per round and the
 * median; no assertions. On loopback the figure measures our client (hashing, spooling, signing,
 * curl) plus s3rver (Node, writing files), not a network.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/rr_error.h"
#include "blob/blob.h"
#include "support/s3test.h"

#define CHUNK (256 * 1024)
#define READ_CHUNK (1 << 20)
#define ROUNDS_MAX 20

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int run(const char *label, const char *url, int64_t size, int rounds)
{
    struct blob *b = NULL;
    struct blob_options opt = {.max_bytes = size + 1};
    int rc = blob_open(url, &opt, &b);
    if (rc < 0) {
        fprintf(stderr, "%s: blob_open: %s\n", label, rr_strerror(rc));
        return 1;
    }
    unsigned char *chunk = malloc(CHUNK), *rbuf = malloc(READ_CHUNK);
    if (!chunk || !rbuf)
        return 1;
    for (size_t i = 0; i < CHUNK; i++)
        chunk[i] = (unsigned char)(i * 2654435761u >> 13);
    double up[ROUNDS_MAX], down[ROUNDS_MAX];
    for (int r = 0; r < rounds; r++) {
        struct blob_writer *w = NULL;
        double t0 = now_s();
        rc = blob_writer_begin(b, "bench/object.bin", &w);
        for (int64_t done = 0; rc == 0 && done < size; done += CHUNK)
            rc = blob_writer_write(w, chunk, (size_t)(size - done < CHUNK ? size - done : CHUNK));
        rc = rc == 0 ? blob_writer_commit(w, NULL) : (blob_writer_abort(w), rc);
        double t1 = now_s();
        if (rc < 0) {
            fprintf(stderr, "%s: upload: %s\n", label, rr_strerror(rc));
            return 1;
        }
        struct blob_reader *rd = NULL;
        int64_t got = 0, n = 0;
        rc = blob_get(b, "bench/object.bin", &rd);
        while (rc == 0 && (n = blob_reader_read(rd, rbuf, READ_CHUNK)) > 0)
            got += n;
        blob_reader_close(rd);
        double t2 = now_s();
        if (rc < 0 || n < 0 || got != size) {
            fprintf(stderr, "%s: read back failed\n", label);
            return 1;
        }
        up[r] = (double)size / (1 << 20) / (t1 - t0);
        down[r] = (double)size / (1 << 20) / (t2 - t1);
        printf("%-5s round %d: upload %7.1f MiB/s  read %7.1f MiB/s\n", label, r + 1, up[r],
               down[r]);
    }
    qsort(up, (size_t)rounds, sizeof up[0], cmp_d);
    qsort(down, (size_t)rounds, sizeof down[0], cmp_d);
    printf("%-5s %lld MiB x %d: median upload %.1f MiB/s, median read %.1f MiB/s\n", label,
           (long long)(size >> 20), rounds, up[rounds / 2], down[rounds / 2]);
    blob_delete(b, "bench/object.bin");
    blob_close(b);
    free(chunk);
    free(rbuf);
    return 0;
}

int main(int argc, char **argv)
{
    int64_t mib = argc > 1 ? strtoll(argv[1], NULL, 10) : 128;
    int rounds = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 3;
    if (mib < 1 || mib > 4096 || rounds < 1 || rounds > ROUNDS_MAX) {
        fprintf(stderr, "usage: bench_s3_upload [SIZE_MIB 1..4096 [ROUNDS 1..%d [BLOB_URL]]]\n",
                ROUNDS_MAX);
        return 2;
    }
    struct s3test srv = {.pid = -1, .stdin_fd = -1};
    const char *url = argc > 3 ? argv[3] : NULL;
    if (!url) {
        if (s3test_start(&srv, "bench_s3_upload", 1) != 0)
            return 1;
        url = srv.url;
    }
    int bad = run("s3", url, mib << 20, rounds);
    char dir[] = "/tmp/rr-bench-blob-XXXXXX", file_url[64];
    if (mkdtemp(dir)) {
        snprintf(file_url, sizeof file_url, "file:%s", dir);
        bad |= run("file", file_url, mib << 20, rounds);
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            bad = 1;
    }
    if (srv.pid > 0)
        s3test_stop(&srv);
    return bad;
}
