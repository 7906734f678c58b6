/*
 * worker.c - the worker pool: claim -> run -> complete/fail loops on N threads over a kind table
 * handed in at start, a heartbeat thread that keeps the leases of running jobs, and a graceful
 * stop that releases leases of jobs still running at the drain deadline.
 */
#include "queue/worker.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/rr_error.h"
#include "base/rr_log.h"
#include "queue/queue.h"

#define IDLE_POLL_MS 200
#define BACKOFF_MAX_MS 5000
#define HEARTBEAT_TICK_MS 250
#define PROGRESS_MIN_MS 250

struct worker_slot {
    struct worker_pool *pool;
    pthread_t th;
    int started;
    char owner[STORE_OWNER_MAX + 1];
    /* guarded by pool->mu */
    int running;
    int released; /* the lease was given back at the drain deadline */
    char job_id[STORE_ID_LEN + 1];
    int64_t lease_ms;
    int64_t last_beat_ms;
};

struct worker_pool {
    struct worker_config cfg;
    struct queue *queue;
    int n;
    struct worker_slot *slots;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* stop, job end */
    int stopping;
    int64_t drain_ms;
    atomic_llong finished;
    pthread_t hb_th;
    int hb_started;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Absolute CLOCK_REALTIME deadline ms from now for pthread_cond_timedwait. */
static struct timespec deadline_in(int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* One log line about a job (base/rr_log.h: the process's one log format). */
static void wlog(enum rr_log_level level, const char *event, const char *job_id,
                 const char *detail)
{
    rr_log(level, event, RR_LOG_JOB_ID(job_id ? job_id : ""),
           RR_LOG_STR("detail", detail ? detail : ""));
}

/* Sleep up to ms or until stop; returns 1 when stopping. */
static int pool_wait(struct worker_pool *p, int64_t ms)
{
    pthread_mutex_lock(&p->mu);
    if (!p->stopping) {
        struct timespec ts = deadline_in(ms);
        pthread_cond_timedwait(&p->cv, &p->mu, &ts);
    }
    int st = p->stopping;
    pthread_mutex_unlock(&p->mu);
    return st;
}

static int64_t kind_lease_ms(const struct worker_pool *p, const struct job_kind *k)
{
    return (int64_t)(k && k->lease_s > 0 ? k->lease_s : p->cfg.lease_s) * 1000;
}

const struct job_kind *job_kind_find(const struct job_kind *kinds, size_t n, const char *name)
{
    if (!kinds || !name)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (kinds[i].name && strcmp(kinds[i].name, name) == 0)
            return &kinds[i];
    return NULL;
}

void job_log(const struct job_ctx *ctx, enum rr_log_level level, const char *event,
             const char *detail)
{
    wlog(level, event, ctx && ctx->job ? ctx->job->id : NULL, detail);
}

void job_progress(struct job_ctx *ctx, const char *stage, double fraction)
{
    if (!ctx || !ctx->queue || !ctx->job)
        return;
    int64_t now = mono_ms();
    int same_stage = stage && strncmp(stage, ctx->last_stage, sizeof ctx->last_stage) == 0;
    if (same_stage && now - ctx->last_progress_ms < PROGRESS_MIN_MS && fraction < 1)
        return;
    ctx->last_progress_ms = now;
    if (stage)
        snprintf(ctx->last_stage, sizeof ctx->last_stage, "%s", stage);
    int rc = queue_progress(ctx->queue, ctx->job->id, ctx->owner, fraction, stage);
    if (rc < 0 && rc != RR_ERR_CONFLICT)
        wlog(RR_LOG_WARN, "job progress not saved", ctx->job->id, rr_strerror(rc));
}

static void run_one(struct worker_slot *w, const struct store_job *job)
{
    struct worker_pool *p = w->pool;
    const struct job_kind *k = job_kind_find(p->cfg.kinds, p->cfg.n_kinds, job->kind);
    char err[STORE_ERROR_MAX + 1] = "";
    int rc, permanent = 0;
    if (!k) {
        snprintf(err, sizeof err, "unknown job kind \"%s\"", job->kind);
        rc = RR_ERR_UNSUPPORTED;
        permanent = 1;
    } else {
        int64_t lease_ms = kind_lease_ms(p, k);
        pthread_mutex_lock(&p->mu);
        w->running = 1;
        w->released = 0;
        snprintf(w->job_id, sizeof w->job_id, "%s", job->id);
        w->lease_ms = lease_ms;
        w->last_beat_ms = mono_ms();
        pthread_mutex_unlock(&p->mu);
        queue_heartbeat(p->queue, job->id, w->owner, lease_ms);
        struct job_ctx ctx = {.ctx = p->cfg.ctx, .queue = p->queue, .job = job,
                              .owner = w->owner};
        queue_progress(p->queue, job->id, w->owner, 0, "started");
        rc = k->run(&ctx, err, sizeof err);
        permanent = ctx.permanent;
        pthread_mutex_lock(&p->mu);
        w->running = 0;
        int released = w->released;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        if (released) {
            wlog(RR_LOG_WARN, "job lease released at shutdown; it will run again", job->id, NULL);
            return;
        }
    }
    int frc;
    if (rc == 0) {
        frc = queue_complete(p->queue, job->id, w->owner);
        if (frc == 0)
            wlog(RR_LOG_INFO, "job done", job->id, job->kind);
    } else {
        if (!err[0])
            snprintf(err, sizeof err, "%s", rr_strerror(rc));
        enum store_job_state st = STORE_JOB_QUEUED;
        frc = queue_fail(p->queue, job->id, w->owner, err, permanent != 0, &st);
        if (frc == 0)
            wlog(st == STORE_JOB_DEAD ? RR_LOG_ERROR : RR_LOG_WARN,
                 st == STORE_JOB_DEAD ? "job dead" : "job failed, will retry", job->id, err);
    }
    if (frc < 0)
        wlog(RR_LOG_ERROR, frc == RR_ERR_CONFLICT ? "job lease lost before its outcome was saved"
                                             : "job outcome not saved",
             job->id, rr_strerror(frc));
    atomic_fetch_add(&p->finished, 1);
}

/* Settle jobs whose lease ran out on their last attempt: dead-letter them here (not silently in
 * the next claim) and run their kind's dead hook, so e.g. their video ends "failed". */
static void reap_expired(struct worker_pool *p)
{
    char ids[8][STORE_ID_LEN + 1];
    size_t n = 0;
    if (queue_reap_expired(p->queue, ids, sizeof ids / sizeof ids[0], &n) < 0)
        return; /* the next claim dead-letters them anyway; we retry next loop */
    for (size_t i = 0; i < n; i++) {
        struct store_job job;
        if (queue_get(p->queue, ids[i], &job) < 0)
            continue;
        wlog(RR_LOG_ERROR, "job dead", job.id, job.error);
        const struct job_kind *k = job_kind_find(p->cfg.kinds, p->cfg.n_kinds, job.kind);
        if (k && k->dead)
            k->dead(p->cfg.ctx, &job);
    }
}

static void *worker_main(void *arg)
{
    struct worker_slot *w = arg;
    struct worker_pool *p = w->pool;
    int64_t backoff = IDLE_POLL_MS;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        int stop = p->stopping;
        pthread_mutex_unlock(&p->mu);
        if (stop)
            break;
        struct store_job job;
        reap_expired(p);
        int rc = queue_claim_capped(p->queue, w->owner, (int64_t)p->cfg.lease_s * 1000,
                                    p->cfg.per_user_max, &job);
        if (rc == 0) {
            backoff = IDLE_POLL_MS;
            run_one(w, &job);
            continue;
        }
        if (rc == RR_ERR_NOTFOUND) {
            backoff = IDLE_POLL_MS;
            if (pool_wait(p, IDLE_POLL_MS))
                break;
            continue;
        }
        wlog(RR_LOG_WARN, "job claim failed", NULL, rr_strerror(rc));
        if (pool_wait(p, backoff))
            break;
        backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
    }
    return NULL;
}

/* Extends the lease of every running job every lease/3. */
static void *heartbeat_main(void *arg)
{
    struct worker_pool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        int any = 0;
        for (int i = 0; i < p->n; i++)
            any |= p->slots[i].running;
        if (p->stopping && !any)
            break;
        int64_t now = mono_ms();
        for (int i = 0; i < p->n; i++) {
            struct worker_slot *w = &p->slots[i];
            if (!w->running || w->released || now - w->last_beat_ms < w->lease_ms / 3)
                continue;
            char id[STORE_ID_LEN + 1];
            int64_t lease = w->lease_ms;
            memcpy(id, w->job_id, sizeof id);
            w->last_beat_ms = now;
            pthread_mutex_unlock(&p->mu);
            int rc = queue_heartbeat(p->queue, id, w->owner, lease);
            if (rc < 0)
                wlog(RR_LOG_WARN, "job heartbeat failed", id, rr_strerror(rc));
            pthread_mutex_lock(&p->mu);
        }
        struct timespec ts = deadline_in(HEARTBEAT_TICK_MS);
        pthread_cond_timedwait(&p->cv, &p->mu, &ts);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static void make_owner(char *buf, size_t len, int i)
{
    char host[32] = "host";
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "host");
    host[sizeof host - 1] = 0;
    char rnd[STORE_ID_LEN + 1];
    store_new_id(rnd);
    rnd[8] = 0;
    snprintf(buf, len, "%s:%ld:w%d:%s", host, (long)getpid(), i, rnd);
}

int worker_pool_start(const struct worker_config *cfg, struct worker_pool **out, char *msg,
                      size_t msg_len)
{
    char dummy[8];
    if (!msg || !msg_len) {
        msg = dummy;
        msg_len = sizeof dummy;
    }
    msg[0] = 0;
    if (!out)
        return RR_ERR_INVAL;
    *out = NULL;
    if (!cfg || !cfg->store || !cfg->kinds || cfg->n_kinds == 0 || cfg->lease_s < 1 ||
        cfg->threads < 1 || cfg->threads > WORKER_POOL_MAX) {
        snprintf(msg, msg_len, "workers: need a store, a kind table, a lease and 1..%d threads",
                 WORKER_POOL_MAX);
        return RR_ERR_INVAL;
    }
    int n = cfg->threads;
    int rc = 0;
    struct worker_pool *p = calloc(1, sizeof *p);
    if (!p)
        return RR_ERR_NOMEM;
    p->cfg = *cfg;
    p->n = n;
    p->drain_ms = WORKER_DRAIN_MS_DEFAULT;
    atomic_init(&p->finished, 0);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->slots = calloc((size_t)n, sizeof *p->slots);
    if (!p->slots) {
        rc = RR_ERR_NOMEM;
        goto out;
    }
    rc = queue_open(cfg->queue_url, cfg->store, &p->queue, msg, msg_len);
    if (rc < 0)
        goto out;
    for (int i = 0; i < n; i++) {
        p->slots[i].pool = p;
        make_owner(p->slots[i].owner, sizeof p->slots[i].owner, i);
    }
    if (pthread_create(&p->hb_th, NULL, heartbeat_main, p) != 0) {
        snprintf(msg, msg_len, "workers: cannot start the heartbeat thread");
        rc = RR_ERR_INTERNAL;
        goto out;
    }
    p->hb_started = 1;
    for (int i = 0; i < n; i++) {
        if (pthread_create(&p->slots[i].th, NULL, worker_main, &p->slots[i]) != 0) {
            snprintf(msg, msg_len, "workers: cannot start worker thread %d", i);
            rc = RR_ERR_INTERNAL;
            goto out;
        }
        p->slots[i].started = 1;
    }
out:
    if (rc < 0) {
        worker_pool_stop(p);
        return rc;
    }
    *out = p;
    return 0;
}

void worker_pool_set_drain_ms(struct worker_pool *p, int64_t ms)
{
    if (p)
        p->drain_ms = ms < 0 ? 0 : ms;
}

int64_t worker_pool_jobs_finished(struct worker_pool *p)
{
    return p ? (int64_t)atomic_load(&p->finished) : 0;
}

void worker_pool_stop(struct worker_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stopping = 1;
    pthread_cond_broadcast(&p->cv);
    int64_t deadline = mono_ms() + p->drain_ms;
    for (;;) {
        int any = 0;
        for (int i = 0; p->slots && i < p->n; i++)
            any |= p->slots[i].running;
        int64_t left = deadline - mono_ms();
        if (!any || left <= 0)
            break;
        struct timespec ts = deadline_in(left < 100 ? left : 100);
        pthread_cond_timedwait(&p->cv, &p->mu, &ts);
    }
    /* Past the deadline: give back the leases of jobs still running. */
    for (int i = 0; p->slots && i < p->n; i++) {
        struct worker_slot *w = &p->slots[i];
        if (!w->running || w->released)
            continue;
        w->released = 1;
        char id[STORE_ID_LEN + 1];
        memcpy(id, w->job_id, sizeof id);
        pthread_mutex_unlock(&p->mu);
        int rc = queue_release(p->queue, id, w->owner);
        wlog(rc == 0 ? RR_LOG_WARN : RR_LOG_ERROR,
             rc == 0 ? "job lease released at shutdown" : "job lease release failed", id,
             rc == 0 ? NULL : rr_strerror(rc));
        pthread_mutex_lock(&p->mu);
    }
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; p->slots && i < p->n; i++)
        if (p->slots[i].started)
            pthread_join(p->slots[i].th, NULL);
    pthread_mutex_lock(&p->mu);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    if (p->hb_started)
        pthread_join(p->hb_th, NULL);
    queue_close(p->queue);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p->slots);
    free(p);
}
