/*
 * bench_store_commit.c - durable write throughput of the store alone: T threads each saving
 * workouts the way POST /v1/sync does (store_workout_put: one set, one rep, a fresh client id)
 * as fast as they can for S seconds on a fresh SQLite database (WAL, synchronous=FULL). Shows
 * what group commit does without HTTP or auth in the way (each put also adds its analytics share
 * in its transaction, as a sync does).
 *
 * usage: bench_store_commit [THREADS [SECONDS [DIR]]]   (default 64 threads, 5 s, /tmp)
 * BENCH_DATABASE_URL=postgres://... runs it on that (empty, migrated or not) PostgreSQL database
 * instead; give it a server with its durable defaults (fsync, synchronous_commit on).
 * Prints writes/s, p50/p99/max latency of one put; no assertions.
 */
#include "base/rr_error.h"
#include "store/store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define THREADS_MAX 256
#define SAMPLES_MAX 200000 /* latencies kept per thread */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

struct worker {
    struct store *s;
    const char *user_id;
    int id;
    double end_ms;
    double *lat;
    size_t n;
    int err;
    pthread_t th;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    while (now_ms() < w->end_ms && w->n < SAMPLES_MAX) {
        struct store_workout wo;
        struct store_set set;
        struct store_rep rep;
        char client_id[48];
        memset(&wo, 0, sizeof wo);
        memset(&set, 0, sizeof set);
        memset(&rep, 0, sizeof rep);
        snprintf(wo.user_id, sizeof wo.user_id, "%s", w->user_id);
        snprintf(wo.exercise, sizeof wo.exercise, "squat");
        wo.started_at = 1775037600000;
        wo.duration_ms = 1500;
        wo.score = 80;
        snprintf(set.exercise, sizeof set.exercise, "squat");
        set.reps = 1;
        set.score = 80;
        rep.t_end_ms = 1500;
        rep.score = 80;
        snprintf(rep.metrics, sizeof rep.metrics, "{\"verdict\":\"good\"}");
        snprintf(client_id, sizeof client_id, "t%dn%zu", w->id, w->n);
        double t0 = now_ms();
        int err = store_workout_put(w->s, &wo, &set, 1, &rep, 1, client_id);
        if (err) {
            w->err = err;
            break;
        }
        w->lat[w->n++] = now_ms() - t0;
    }
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 64;
    double seconds = argc > 2 ? strtod(argv[2], NULL) : 5;
    const char *dir = argc > 3 ? argv[3] : "/tmp";
    if (threads < 1 || threads > THREADS_MAX || seconds <= 0 || seconds > 600) {
        fprintf(stderr, "usage: bench_store_commit [THREADS 1..%d [SECONDS [DIR]]]\n",
                THREADS_MAX);
        return 2;
    }
    char path[512], url[600], msg[256] = "";
    snprintf(path, sizeof path, "%s/bench-store-commit-%d.db", dir, (int)getpid());
    snprintf(url, sizeof url, "sqlite:%s", path);
    const char *pg = getenv("BENCH_DATABASE_URL");
    if (pg && pg[0])
        snprintf(url, sizeof url, "%s", pg);
    struct store *s = NULL;
    struct store_user u;
    char email[64];
    snprintf(email, sizeof email, "bench-%d-%ld@example.com", (int)getpid(), (long)time(NULL));
    int err = store_open(url, &s, msg, sizeof msg);
    if (!err)
        err = store_migrate(s, NULL, msg, sizeof msg);
    if (!err)
        err = store_user_create(s, email, "h", "user", &u);
    if (err) {
        fprintf(stderr, "bench_store_commit: %s %s\n", rr_strerror(err), msg);
        return 1;
    }
    struct worker *w = calloc((size_t)threads, sizeof *w);
    double *lat = calloc((size_t)threads * SAMPLES_MAX, sizeof *lat);
    if (!w || !lat)
        return 1;
    double start = now_ms();
    for (int i = 0; i < threads; i++) {
        w[i] = (struct worker){s, u.id, i, start + seconds * 1e3, lat + (size_t)i * SAMPLES_MAX,
                               0, 0, 0};
        pthread_create(&w[i].th, NULL, worker_main, &w[i]);
    }
    size_t total = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(w[i].th, NULL);
        if (w[i].err)
            fprintf(stderr, "thread %d: %s\n", i, rr_strerror(w[i].err));
        memmove(lat + total, w[i].lat, w[i].n * sizeof *lat);
        total += w[i].n;
    }
    double elapsed = (now_ms() - start) / 1e3;
    qsort(lat, total, sizeof *lat, cmp_double);
    printf("%s store_workout_put, %d threads, %.1f s: %zu durable writes, %.0f writes/s, "
           "p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
           store_backend_name(s), threads, elapsed, total, (double)total / elapsed, total ? lat[total / 2] : 0.0,
           total ? lat[(size_t)((double)total * 0.99)] : 0.0, total ? lat[total - 1] : 0.0);
    store_close(s);
    static const char *const suffix[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        char p[540];
        snprintf(p, sizeof p, "%s%s", path, suffix[i]);
        unlink(p);
    }
    free(lat);
    free(w);
    return 0;
}
