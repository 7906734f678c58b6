/*
 * bench_queue.c - job throughput and pick-up latency of a queue backend with no-op jobs: P pools
 * (as many worker processes would be) of T threads drain N queued jobs; then, with the pools
 * idle, single jobs are enqueued one at a time and the time from enqueue to the handler's start
 * is measured. Same SQLite store (WAL, synchronous=FULL) for every backend, so the difference is
 * the delivery path.
 *
 * usage: bench_queue [QUEUE_URL [JOBS [THREADS [POOLS [DIR]]]]]
 *        (default db, 500 jobs, 2 threads, 1 pool, /tmp). For redis:// start a redis-server
 *        first; the bench FLUSHes nothing, use an empty database. Prints figures; no assertions.
 */
#include "base/rr_error.h"
#include "queue/queue.h"
#include "queue/worker.h"
#include "store/store.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define POOLS_MAX 8
#define LAT_SAMPLES 40

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static _Atomic double started_at; /* pick-up: when the last handler started */
static atomic_int ran;

static int k_noop(struct job_ctx *ctx, char *err, size_t err_len)
{
    (void)ctx;
    (void)err;
    (void)err_len;
    atomic_store(&started_at, now_ms());
    atomic_fetch_add(&ran, 1);
    return 0;
}

static const struct job_kind kinds[] = {{.name = "noop", .run = k_noop}};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    const char *url = argc > 1 ? argv[1] : "db";
    int jobs = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 500;
    int threads = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 2;
    int pools = argc > 4 ? (int)strtol(argv[4], NULL, 10) : 1;
    const char *tmp = argc > 5 ? argv[5] : "/tmp";
    if (jobs < 1 || threads < 1 || threads > WORKER_POOL_MAX || pools < 1 || pools > POOLS_MAX) {
        fprintf(stderr, "usage: bench_queue [QUEUE_URL [JOBS [THREADS [POOLS [DIR]]]]]\n");
        return 2;
    }
    char dir[256], surl[320], msg[256] = "";
    snprintf(dir, sizeof dir, "%s/rr-bench-queue-XXXXXX", tmp);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(surl, sizeof surl, "sqlite:%s/db.sqlite", dir);
    struct store *s = NULL;
    struct queue *q = NULL;
    if (store_open(surl, &s, msg, sizeof msg) < 0 || store_migrate(s, NULL, msg, sizeof msg) < 0 ||
        queue_open(url, s, &q, msg, sizeof msg) < 0) {
        fprintf(stderr, "bench_queue: %s\n", msg);
        return 1;
    }
    double t0 = now_ms();
    for (int i = 0; i < jobs; i++)
        if (queue_enqueue(q, "noop", NULL, NULL, NULL, 3, 0, NULL) < 0) {
            fprintf(stderr, "bench_queue: enqueue failed\n");
            return 1;
        }
    double enq_ms = now_ms() - t0;
    struct worker_config wc = {.store = s, .queue_url = url, .threads = threads, .lease_s = 30,
                               .kinds = kinds, .n_kinds = 1};
    struct worker_pool *p[POOLS_MAX] = {0};
    t0 = now_ms();
    for (int i = 0; i < pools; i++)
        if (worker_pool_start(&wc, &p[i], msg, sizeof msg) < 0) {
            fprintf(stderr, "bench_queue: %s\n", msg);
            return 1;
        }
    while (atomic_load(&ran) < jobs)
        usleep(1000);
    double drain_ms = now_ms() - t0;
    double lat[LAT_SAMPLES];
    for (int i = 0; i < LAT_SAMPLES; i++) {
        usleep(300 * 1000); /* the workers go idle (blocked read / idle poll) */
        int before = atomic_load(&ran);
        double e = now_ms();
        queue_enqueue(q, "noop", NULL, NULL, NULL, 3, 0, NULL);
        while (atomic_load(&ran) == before)
            usleep(200);
        lat[i] = atomic_load(&started_at) - e;
    }
    for (int i = 0; i < pools; i++)
        worker_pool_stop(p[i]);
    qsort(lat, LAT_SAMPLES, sizeof lat[0], cmp_double);
    printf("queue %s: enqueue %d jobs %.0f/s; %d pool(s) x %d thread(s) drained them at %.0f "
           "jobs/s; pick-up latency of a lone job p50 %.1f ms, max %.1f ms\n",
           queue_backend_name(q), jobs, jobs / (enq_ms / 1e3), pools, threads,
           jobs / (drain_ms / 1e3), lat[LAT_SAMPLES / 2], lat[LAT_SAMPLES - 1]);
    queue_close(q);
    store_close(s);
    char cmd[320];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
    return 0;
}
