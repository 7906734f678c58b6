/*
 * queue_redis.c - the "redis://" queue backend: Redis Streams deliver the work, the store's jobs
 * table stays the record (state, attempts, lease, owner, progress, error), so job status, the
 * API and SSE read what they always read.
 *
 * DESIGN
 * The stream "repright:jobs" holds one entry per job that is not finished (queued or running);
 * workers read it through the consumer group "workers" (XREADGROUP, bounded BLOCK). An entry is
 * a token: "one unfinished job exists". With a token in hand, a worker takes a job with the
 * store's fair claim (store_job_claim_capped: round robin across owners, fewest running first,
 * the per-user cap), so fairness and the cap are exactly the "db" queue's: Redis decides *when*
 * a worker looks, the database decides *which* job it gets. The token's `job` field names the
 * job it was added for (for people reading the stream); tokens are interchangeable.
 *
 * The invariant is XLEN(repright:jobs) == queued + running jobs of the store:
 *   enqueue     store insert, then XADD (+1);
 *   claim       a held token, or XAUTOCLAIM of a token idle longer than takeover_ms (its
 *               process died), or XREADGROUP; then the fair claim. Nothing claimable (a delayed
 *               retry, an owner at its cap, a live lease): the worker keeps the token and asks the
 *               store again on its next claim (no Redis call), unless tokens outnumber unfinished
 *               jobs, then it drops it (XACK + XDEL);
 *   complete    store done, then XACK + XDEL (-1);
 *   fail        dead: XACK + XDEL (-1) and an entry on "repright:dead"; retry: the worker keeps
 *               the token (the job is queued again, its token with it);
 *   release     XADD a fresh token, then XACK + XDEL the held one (0), so another process takes
 *               the job at once.
 * A refresher thread resets the idle time of the tokens this process holds every takeover_ms / 3
 * (XCLAIM to their holder) while their worker shows signs of life (a live lease, a claim attempt),
 * so XAUTOCLAIM takes only the tokens of a process that died (kill -9) or of a worker that lost
 * its lease; the store's lease then decides when the job itself runs again.
 * Every Redis step comes after the store's, and additions come before removals, so a crash or a
 * Redis error leaves too many tokens (a worker finds nothing, sees the surplus and drops one),
 * never a job without one, except when Redis itself loses data: the reconciler (run from
 * reap_expired, once per 2 s across all processes, under a SET NX lock) compares the two
 * counts and adds the missing tokens; a lost stream or group (Redis restarted without
 * persistence: NOGROUP) is recreated on first use and reconciled at once.
 *
 * Progress notices (queue_watch): progress, complete, fail, release and reap PUBLISH
 * "repright:progress:<job>"; a process that follows jobs (serve's SSE streams) runs one PSUBSCRIBE
 * thread, started by its first watch, and keeps the latest notice per job.
 *
 * Rate-limit states (queue_ratelimit_apply, for the app's login limiter): hashes
 * "repright:rl:<key>" read and written in one optimistic transaction (WATCH, HMGET, the caller's
 * pure function, MULTI/HSET/EXPIRE/EXEC), retried with a jittered pause on a conflict.
 *
 * Refresh-token spends and the read cache (queue_refresh_spend, queue_cache_*) are in
 * queue_redis_kv.c, on this file's connection pool.
 *
 * Connections: a small pool of hiredis contexts (one per concurrent call; a blocking read holds
 * one for at most block_ms). Every call has a deadline (connect 2 s, command 2 s, blocking read
 * block_ms + 2 s); a context that failed is dropped; reconnects back off 100 ms doubling to 5 s,
 * and while backing off calls fail at once with RR_ERR_IO (the worker pool backs off too). The
 * password of the URL is sent with AUTH and never logged or put in a message.
 */
#include "queue/queue_int.h"

#include <ctype.h>
#include <errno.h>
#include <hiredis/hiredis.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "base/rr_error.h"
#include "base/rr_log.h"

#define RQ_CONNECT_MS 2000
#define RQ_CMD_MS 2000
#define RQ_BLOCK_MS_DEFAULT 500
#define RQ_BLOCK_MS_MAX 5000
#define RQ_BACKOFF_MIN_MS 100
#define RQ_BACKOFF_MAX_MS 5000
#define RQ_RECONCILE_MS 2000
#define RQ_RECONCILE_MAX 1000 /* tokens added per reconciliation round */
#define RQ_DEAD_MAXLEN 10000  /* dead-letter stream trimmed to about this many entries */
#define RQ_POOL_MAX 256       /* idle connections kept: one per HTTP thread at most (cache) */
#define RQ_ENTRY_MAX 47       /* "<ms>-<seq>" */
#define RQ_TAKEOVER_MS_DEFAULT 5000
#define RQ_TAKEOVER_MS_MIN 100
#define RQ_TAKEOVER_MS_MAX 600000

#define RQ_STREAM "repright:jobs"
#define RQ_GROUP "workers"
#define RQ_DEAD "repright:dead"
#define RQ_LOCK "repright:reconcile"
#define RQ_PROGRESS "repright:progress:" /* + job id: pub/sub channel of its progress notices */
#define RQ_WATCH_SLOTS 4096                 /* jobs with a recent notice kept per process */
#define RQ_WATCH_PROBE 8
#define RQ_SUB_POLL_MS 250
#define RQ_RATE_PREFIX "repright:rl:" /* + key: hash of one rate-limit state */
#define RQ_RATE_TTL_S 172800           /* an idle state is forgotten after 2 days */
#define RQ_RATE_RETRIES 64             /* optimistic transactions retried on a conflict, */
#define RQ_RATE_PAUSE_US_MAX 4000      /* after a pause growing to this (with jitter) */

/* A token a worker (owner) holds: read from the stream, not yet acknowledged. */
struct rq_token {
    char owner[STORE_OWNER_MAX + 1];
    char entry[RQ_ENTRY_MAX + 1]; /* "" = holds none */
    /* The refresher keeps the token while its worker shows signs of life: a live lease (claim,
     * heartbeat) or a claim attempt within takeover_ms. After that it idles, and XAUTOCLAIM
     * hands it to another worker takeover_ms later. */
    int64_t alive_until_ms;
};

/* The latest notice of one job (a hash table slot; seq 0 = empty). */
struct rq_notice {
    char id[STORE_ID_LEN + 1];
    uint64_t seq;
};

struct queue_redis {
    struct queue base; /* first */
    struct store *store;
    char host[256];
    int port;
    int db;
    char user[128];
    char pass[256];
    int block_ms;
    int takeover_ms;
    pthread_mutex_t mu; /* everything below */
    pthread_cond_t cv;  /* close wakes the refresher */
    pthread_t refresher;
    int refresher_started, closing;
    redisContext *idle[RQ_POOL_MAX];
    size_t n_idle;
    int64_t next_try_ms, backoff_ms;
    int down; /* logged "unreachable" once per outage */
    struct rq_token *toks;
    size_t n_toks, cap_toks;
    int64_t last_reconcile_ms;
    int lost; /* the group vanished: reconcile at once */
    /* progress notices (queue_watch): a subscriber thread, started by the first watch */
    struct rq_notice *notices;
    uint64_t notice_seq;
    int sub_live, sub_started;
    pthread_t sub;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct timeval tv_ms(int64_t ms)
{
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};
    return tv;
}

static struct queue_redis *rq(struct queue *q)
{
    return (struct queue_redis *)q;
}

static void rq_msg(char *msg, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void rq_msg(char *msg, size_t len, const char *fmt, ...)
{
    if (!msg || !len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, len, fmt, ap);
    va_end(ap);
}

/* ---- URL ------------------------------------------------------------------------------------ */

static int parse_int(const char *s, size_t n, long lo, long hi, int *out)
{
    if (n == 0 || n > 9)
        return RR_ERR_INVAL;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return RR_ERR_INVAL;
        v = v * 10 + (s[i] - '0');
    }
    if (v < lo || v > hi)
        return RR_ERR_INVAL;
    *out = (int)v;
    return 0;
}

static int copy_part(char *dst, size_t cap, const char *s, size_t n)
{
    if (n >= cap)
        return RR_ERR_TOOBIG;
    memcpy(dst, s, n);
    dst[n] = 0;
    return 0;
}

/* redis://[[user]:password@]host[:port][/db][?block_ms=N]; the message never quotes the URL
 * (it may carry a password). */
static int parse_url(struct queue_redis *q, const char *url, char *msg, size_t msg_len)
{
    const char *p = url + strlen("redis://");
    size_t alen = strcspn(p, "/?");
    const char *auth_end = p + alen;
    const char *at = NULL;
    for (const char *c = p; c < auth_end; c++)
        if (*c == '@')
            at = c;
    const char *hp = p;
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        if (!colon || copy_part(q->user, sizeof q->user, p, (size_t)(colon - p)) < 0 ||
            copy_part(q->pass, sizeof q->pass, colon + 1, (size_t)(at - colon - 1)) < 0) {
            rq_msg(msg, msg_len, "redis url: credentials must be [user]:password@ (bounded)");
            return RR_ERR_INVAL;
        }
        hp = at + 1;
    }
    const char *port_colon = NULL;
    const char *host_s = hp, *host_e;
    if (*hp == '[') { /* [v6 literal] */
        const char *rb = memchr(hp, ']', (size_t)(auth_end - hp));
        if (!rb) {
            rq_msg(msg, msg_len, "redis url: unterminated [address]");
            return RR_ERR_INVAL;
        }
        host_s = hp + 1;
        host_e = rb;
        if (rb + 1 < auth_end) {
            if (rb[1] != ':') {
                rq_msg(msg, msg_len, "redis url: junk after [address]");
                return RR_ERR_INVAL;
            }
            port_colon = rb + 1;
        }
    } else {
        port_colon = memchr(hp, ':', (size_t)(auth_end - hp));
        host_e = port_colon ? port_colon : auth_end;
    }
    if (host_e == host_s || copy_part(q->host, sizeof q->host, host_s,
                                      (size_t)(host_e - host_s)) < 0) {
        rq_msg(msg, msg_len, "redis url: needs a host (redis://host[:port][/db])");
        return RR_ERR_INVAL;
    }
    q->port = 6379;
    if (port_colon &&
        parse_int(port_colon + 1, (size_t)(auth_end - port_colon - 1), 1, 65535, &q->port) < 0) {
        rq_msg(msg, msg_len, "redis url: port must be 1..65535");
        return RR_ERR_INVAL;
    }
    const char *rest = auth_end;
    q->db = 0;
    if (*rest == '/') {
        size_t dlen = strcspn(rest + 1, "?");
        if (dlen && parse_int(rest + 1, dlen, 0, 1000000, &q->db) < 0) {
            rq_msg(msg, msg_len, "redis url: database must be a number (/0)");
            return RR_ERR_INVAL;
        }
        rest += 1 + dlen;
    }
    q->block_ms = RQ_BLOCK_MS_DEFAULT;
    q->takeover_ms = RQ_TAKEOVER_MS_DEFAULT;
    if (*rest == '?')
        rest++;
    while (*rest) { /* name=value[&name=value] */
        size_t len = strcspn(rest, "&");
        const char *eq = memchr(rest, '=', len);
        int ok = 0;
        if (eq && (size_t)(eq - rest) == strlen("block_ms") && !strncmp(rest, "block_ms", 8))
            ok = parse_int(eq + 1, len - 9, 0, RQ_BLOCK_MS_MAX, &q->block_ms) == 0;
        else if (eq && (size_t)(eq - rest) == strlen("takeover_ms") &&
                 !strncmp(rest, "takeover_ms", 11))
            ok = parse_int(eq + 1, len - 12, RQ_TAKEOVER_MS_MIN, RQ_TAKEOVER_MS_MAX,
                           &q->takeover_ms) == 0;
        if (!ok) {
            rq_msg(msg, msg_len, "redis url: options are block_ms=0..%d and takeover_ms=%d..%d",
                   RQ_BLOCK_MS_MAX, RQ_TAKEOVER_MS_MIN, RQ_TAKEOVER_MS_MAX);
            return RR_ERR_INVAL;
        }
        rest += len;
        if (*rest == '&')
            rest++;
    }
    return 0;
}

/* ---- connections ---------------------------------------------------------------------------- */

static int reply_is_error(const redisReply *r, const char *prefix)
{
    return r && r->type == REDIS_REPLY_ERROR && r->str &&
           (!prefix || strncmp(r->str, prefix, strlen(prefix)) == 0);
}

/* A new authenticated connection with the command deadline set. why: a reason without secrets. */
static redisContext *rq_dial(struct queue_redis *q, char *why, size_t why_len)
{
    redisContext *c = redisConnectWithTimeout(q->host, q->port, tv_ms(RQ_CONNECT_MS));
    if (!c) {
        rq_msg(why, why_len, "out of memory");
        return NULL;
    }
    if (c->err) {
        rq_msg(why, why_len, "%s", c->errstr);
        redisFree(c);
        return NULL;
    }
    if (redisSetTimeout(c, tv_ms(RQ_CMD_MS)) != REDIS_OK) {
        rq_msg(why, why_len, "cannot set the socket timeout");
        redisFree(c);
        return NULL;
    }
    redisReply *r = NULL;
    if (q->pass[0]) {
        r = q->user[0] ? redisCommand(c, "AUTH %s %s", q->user, q->pass)
                       : redisCommand(c, "AUTH %s", q->pass);
        if (!r || r->type == REDIS_REPLY_ERROR) {
            rq_msg(why, why_len, "authentication refused%s", r ? "" : " (connection lost)");
            goto fail;
        }
        freeReplyObject(r);
    }
    if (q->db) {
        r = redisCommand(c, "SELECT %d", q->db);
        if (!r || r->type == REDIS_REPLY_ERROR) {
            rq_msg(why, why_len, "cannot select database %d: %s", q->db,
                   r && r->str ? r->str : c->errstr);
            goto fail;
        }
        freeReplyObject(r);
    }
    return c;
fail:
    if (r)
        freeReplyObject(r);
    redisFree(c);
    return NULL;
}

/* A connection from the pool, or a new one unless reconnects are backing off (RR_ERR_IO). */
static int rq_get(struct queue_redis *q, redisContext **out)
{
    pthread_mutex_lock(&q->mu);
    if (q->n_idle) {
        *out = q->idle[--q->n_idle];
        pthread_mutex_unlock(&q->mu);
        return 0;
    }
    int64_t now = mono_ms();
    if (now < q->next_try_ms) {
        pthread_mutex_unlock(&q->mu);
        return RR_ERR_IO;
    }
    pthread_mutex_unlock(&q->mu);
    char why[256] = "";
    redisContext *c = rq_dial(q, why, sizeof why);
    pthread_mutex_lock(&q->mu);
    if (!c) {
        q->backoff_ms = q->backoff_ms ? q->backoff_ms * 2 : RQ_BACKOFF_MIN_MS;
        if (q->backoff_ms > RQ_BACKOFF_MAX_MS)
            q->backoff_ms = RQ_BACKOFF_MAX_MS;
        q->next_try_ms = mono_ms() + q->backoff_ms;
        int first = !q->down;
        q->down = 1;
        pthread_mutex_unlock(&q->mu);
        if (first)
            rr_log(RR_LOG_ERROR, "queue: redis unreachable", RR_LOG_STR("host", q->host),
                   RR_LOG_INT("port", q->port), RR_LOG_STR("detail", why));
        return RR_ERR_IO;
    }
    int was_down = q->down;
    q->down = 0;
    q->backoff_ms = 0;
    q->next_try_ms = 0;
    pthread_mutex_unlock(&q->mu);
    if (was_down)
        rr_log(RR_LOG_INFO, "queue: redis reachable again", RR_LOG_STR("host", q->host),
               RR_LOG_INT("port", q->port));
    *out = c;
    return 0;
}

/* Back to the pool; a context that saw an I/O error is closed instead, and so are the idle
 * ones (after a Redis restart they are all dead: each would fail one more call). */
static void rq_put(struct queue_redis *q, redisContext *c)
{
    if (!c)
        return;
    if (c->err) {
        redisFree(c);
        redisContext *stale[RQ_POOL_MAX];
        pthread_mutex_lock(&q->mu);
        size_t n = q->n_idle;
        memcpy(stale, q->idle, n * sizeof stale[0]);
        q->n_idle = 0;
        pthread_mutex_unlock(&q->mu);
        for (size_t i = 0; i < n; i++)
            redisFree(stale[i]);
        return;
    }
    pthread_mutex_lock(&q->mu);
    if (q->n_idle < RQ_POOL_MAX) {
        q->idle[q->n_idle++] = c;
        c = NULL;
    }
    pthread_mutex_unlock(&q->mu);
    if (c)
        redisFree(c);
}

/* One command on a pooled connection; NULL when the connection failed (then closed). */
static redisReply *rq_cmd(redisContext *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    return r;
}

static void rq_warn(const char *what, const char *job_id, const redisContext *c,
                    const redisReply *r)
{
    rr_log(RR_LOG_WARN, what, RR_LOG_JOB_ID(job_id ? job_id : ""),
           RR_LOG_STR("detail", r && r->str ? r->str : (c && c->err ? c->errstr : "no reply")));
}

/* The stream and its group exist (created empty when Redis lost them). */
static int ensure_group(redisContext *c)
{
    redisReply *r = rq_cmd(c, "XGROUP CREATE %s %s 0 MKSTREAM", RQ_STREAM, RQ_GROUP);
    if (!r)
        return RR_ERR_IO;
    int rc = r->type == REDIS_REPLY_ERROR && !reply_is_error(r, "BUSYGROUP") ? RR_ERR_IO : 0;
    freeReplyObject(r);
    return rc;
}

/* ---- tokens held by workers ------------------------------------------------------------------ */

static struct rq_token *tok_find(struct queue_redis *q, const char *owner, int create)
{
    for (size_t i = 0; i < q->n_toks; i++)
        if (strcmp(q->toks[i].owner, owner) == 0)
            return &q->toks[i];
    if (!create)
        return NULL;
    if (q->n_toks == q->cap_toks) {
        size_t cap = q->cap_toks ? q->cap_toks * 2 : 8;
        struct rq_token *t = realloc(q->toks, cap * sizeof *t);
        if (!t)
            return NULL;
        q->toks = t;
        q->cap_toks = cap;
    }
    struct rq_token *t = &q->toks[q->n_toks++];
    memset(t, 0, sizeof *t);
    snprintf(t->owner, sizeof t->owner, "%s", owner);
    return t;
}

/* Copy the owner's held token into entry ("" = none); take = forget it as well. */
static void tok_get(struct queue_redis *q, const char *owner, char entry[RQ_ENTRY_MAX + 1],
                    int take)
{
    pthread_mutex_lock(&q->mu);
    struct rq_token *t = tok_find(q, owner, 0);
    entry[0] = 0;
    if (t) {
        memcpy(entry, t->entry, RQ_ENTRY_MAX + 1);
        if (take)
            t->entry[0] = 0;
    }
    pthread_mutex_unlock(&q->mu);
}

static void tok_set(struct queue_redis *q, const char *owner, const char *entry)
{
    pthread_mutex_lock(&q->mu);
    struct rq_token *t = tok_find(q, owner, 1);
    if (t)
        snprintf(t->entry, sizeof t->entry, "%s", entry);
    pthread_mutex_unlock(&q->mu);
}

/* The owner is alive for ms more (mono clock). */
static void tok_alive(struct queue_redis *q, const char *owner, int64_t ms)
{
    pthread_mutex_lock(&q->mu);
    struct rq_token *t = tok_find(q, owner, 0);
    if (t)
        t->alive_until_ms = mono_ms() + ms;
    pthread_mutex_unlock(&q->mu);
}

/* XACK + XDEL one token (pipelined). */
static int ack_entry(redisContext *c, const char *entry)
{
    if (redisAppendCommand(c, "XACK %s %s %s", RQ_STREAM, RQ_GROUP, entry) != REDIS_OK ||
        redisAppendCommand(c, "XDEL %s %s", RQ_STREAM, entry) != REDIS_OK)
        return RR_ERR_IO;
    int rc = 0;
    for (int i = 0; i < 2; i++) {
        void *r = NULL;
        if (redisGetReply(c, &r) != REDIS_OK || !r) {
            rc = RR_ERR_IO;
            break; /* the context is broken now; rq_put closes it */
        }
        if (((redisReply *)r)->type == REDIS_REPLY_ERROR)
            rc = RR_ERR_IO;
        freeReplyObject(r);
    }
    return rc;
}

static int add_token(redisContext *c, const char *job_id)
{
    redisReply *r = rq_cmd(c, "XADD %s * job %s", RQ_STREAM, job_id && job_id[0] ? job_id : "-");
    int rc = r && r->type == REDIS_REPLY_STRING ? 0 : RR_ERR_IO;
    if (r)
        freeReplyObject(r);
    return rc;
}

/* A job leaves the queue: drop the owner's token (and, when `readd`, put a fresh one first). */
static void finish_token(struct queue_redis *q, const char *owner, const char *job_id, int readd)
{
    char entry[RQ_ENTRY_MAX + 1];
    tok_get(q, owner, entry, 1);
    if (!entry[0] && !readd)
        return;
    redisContext *c;
    if (rq_get(q, &c) < 0)
        return; /* the token stays pending: a surplus, dropped by a later claim */
    if (readd && add_token(c, job_id) < 0)
        rq_warn("queue: redis token not added", job_id, c, NULL);
    if (entry[0] && ack_entry(c, entry) < 0)
        rq_warn("queue: redis token not acknowledged", job_id, c, NULL);
    rq_put(q, c);
}

/* Reset the idle time of every token this process holds (XCLAIM to its holder, pipelined), so
 * XAUTOCLAIM only ever takes the tokens of a process that died; forget those that are gone
 * (acknowledged or deleted elsewhere). */
static void refresh_tokens(struct queue_redis *q, const struct rq_token *toks, size_t n)
{
    redisContext *c;
    if (rq_get(q, &c) < 0)
        return;
    size_t sent = 0;
    for (size_t i = 0; i < n; i++)
        if (toks[i].entry[0] &&
            redisAppendCommand(c, "XCLAIM %s %s %s 0 %s JUSTID", RQ_STREAM, RQ_GROUP,
                               toks[i].owner, toks[i].entry) == REDIS_OK)
            sent++;
    for (size_t i = 0, got = 0; i < n && got < sent; i++) {
        if (!toks[i].entry[0])
            continue;
        got++;
        void *rv = NULL;
        if (redisGetReply(c, &rv) != REDIS_OK || !rv)
            break;
        redisReply *r = rv;
        if (r->type == REDIS_REPLY_ARRAY && r->elements == 0) {
            pthread_mutex_lock(&q->mu);
            struct rq_token *t = tok_find(q, toks[i].owner, 0);
            if (t && strcmp(t->entry, toks[i].entry) == 0)
                t->entry[0] = 0;
            pthread_mutex_unlock(&q->mu);
        }
        freeReplyObject(r);
    }
    rq_put(q, c);
}

static void *refresher_main(void *arg)
{
    struct queue_redis *q = arg;
    pthread_mutex_lock(&q->mu);
    while (!q->closing) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t ns = ts.tv_nsec + (int64_t)(q->takeover_ms / 3) * 1000000;
        ts.tv_sec += (time_t)(ns / 1000000000);
        ts.tv_nsec = (long)(ns % 1000000000);
        pthread_cond_timedwait(&q->cv, &q->mu, &ts);
        if (q->closing || !q->n_toks)
            continue;
        size_t n = q->n_toks;
        struct rq_token *copy = malloc(n * sizeof *copy);
        if (!copy)
            continue;
        memcpy(copy, q->toks, n * sizeof *copy);
        int64_t now = mono_ms();
        for (size_t i = 0; i < n; i++)
            if (copy[i].alive_until_ms < now)
                copy[i].entry[0] = 0; /* its worker looks dead: let the token idle */
        pthread_mutex_unlock(&q->mu);
        refresh_tokens(q, copy, n);
        free(copy);
        pthread_mutex_lock(&q->mu);
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

/* ---- progress notices ----------------------------------------------------------------------- */

/* Tell whoever follows job `id` that its row changed (one PUBLISH; a lost notice only delays the
 * follower to its next safety read of the store). */
static void publish(struct queue_redis *q, const char *id)
{
    redisContext *c;
    if (rq_get(q, &c) < 0)
        return;
    redisReply *r = rq_cmd(c, "PUBLISH %s%s 1", RQ_PROGRESS, id);
    if (r)
        freeReplyObject(r);
    rq_put(q, c);
}

static size_t notice_hash(const char *id)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *id; id++)
        h = (h ^ (unsigned char)*id) * 16777619u;
    return h % RQ_WATCH_SLOTS;
}

/* The slot of job id: its own, else (create) the emptiest or oldest in its probe window. */
static struct rq_notice *notice_slot(struct queue_redis *q, const char *id, int create)
{
    size_t h = notice_hash(id);
    struct rq_notice *oldest = NULL;
    for (size_t i = 0; i < RQ_WATCH_PROBE; i++) {
        struct rq_notice *n = &q->notices[(h + i) % RQ_WATCH_SLOTS];
        if (n->seq && strcmp(n->id, id) == 0)
            return n;
        if (!oldest || n->seq < oldest->seq)
            oldest = n;
    }
    if (!create)
        return NULL;
    snprintf(oldest->id, sizeof oldest->id, "%s", id);
    return oldest;
}

/* Sleep up to ms or until close; 1 when closing. */
static int wait_or_close(struct queue_redis *q, int64_t ms)
{
    pthread_mutex_lock(&q->mu);
    if (!q->closing) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t ns = ts.tv_nsec + (ms % 1000) * 1000000;
        ts.tv_sec += (time_t)(ms / 1000 + ns / 1000000000);
        ts.tv_nsec = (long)(ns % 1000000000);
        pthread_cond_timedwait(&q->cv, &q->mu, &ts);
    }
    int closing = q->closing;
    pthread_mutex_unlock(&q->mu);
    return closing;
}

static void on_message(struct queue_redis *q, const redisReply *r)
{
    /* ["pmessage", pattern, channel, payload] */
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 4 || r->element[2]->type != REDIS_REPLY_STRING)
        return;
    const redisReply *ch = r->element[2];
    size_t plen = strlen(RQ_PROGRESS);
    if (ch->len != plen + STORE_ID_LEN || strncmp(ch->str, RQ_PROGRESS, plen) != 0)
        return;
    char id[STORE_ID_LEN + 1];
    memcpy(id, ch->str + plen, STORE_ID_LEN);
    id[STORE_ID_LEN] = 0;
    pthread_mutex_lock(&q->mu);
    struct rq_notice *n = notice_slot(q, id, 1);
    n->seq = ++q->notice_seq;
    pthread_mutex_unlock(&q->mu);
}

/* One PSUBSCRIBE connection; reconnects with back-off; sub_live says whether notices flow. */
static void *subscriber_main(void *arg)
{
    struct queue_redis *q = arg;
    int64_t backoff = 0;
    while (!wait_or_close(q, backoff)) {
        char why[256] = "";
        redisContext *c = rq_dial(q, why, sizeof why);
        redisReply *r = c ? rq_cmd(c, "PSUBSCRIBE %s*", RQ_PROGRESS) : NULL;
        int ok = r && r->type == REDIS_REPLY_ARRAY;
        if (r)
            freeReplyObject(r);
        if (!ok) {
            if (c)
                redisFree(c);
            backoff = backoff ? backoff * 2 : RQ_BACKOFF_MIN_MS;
            if (backoff > RQ_BACKOFF_MAX_MS)
                backoff = RQ_BACKOFF_MAX_MS;
            continue;
        }
        backoff = 0;
        pthread_mutex_lock(&q->mu);
        q->sub_live = 1;
        pthread_mutex_unlock(&q->mu);
        for (;;) {
            pthread_mutex_lock(&q->mu);
            int closing = q->closing;
            pthread_mutex_unlock(&q->mu);
            if (closing)
                break;
            void *rv = NULL;
            if (redisGetReplyFromReader(c, &rv) != REDIS_OK)
                break;
            if (rv) {
                on_message(q, rv);
                freeReplyObject(rv);
                continue;
            }
            struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
            int n = poll(&pfd, 1, RQ_SUB_POLL_MS);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 || (n > 0 && redisBufferRead(c) != REDIS_OK))
                break;
        }
        pthread_mutex_lock(&q->mu);
        q->sub_live = 0;
        pthread_mutex_unlock(&q->mu);
        redisFree(c);
        backoff = RQ_BACKOFF_MIN_MS;
    }
    return NULL;
}

static int rq_watch(struct queue *base, const char *id, uint64_t *seq)
{
    struct queue_redis *q = rq(base);
    pthread_mutex_lock(&q->mu);
    if (!q->notices && !q->closing)
        q->notices = calloc(RQ_WATCH_SLOTS, sizeof *q->notices);
    if (q->notices && !q->sub_started && !q->closing &&
        pthread_create(&q->sub, NULL, subscriber_main, q) == 0)
        q->sub_started = 1;
    int rc = RR_ERR_IO;
    if (q->sub_live && q->notices) {
        const struct rq_notice *n = notice_slot(q, id, 0);
        rc = 0;
        if (n && n->seq > *seq) {
            *seq = n->seq;
            rc = 1;
        }
    }
    pthread_mutex_unlock(&q->mu);
    return rc;
}

/* ---- rate-limit states ---------------------------------------------------------------------- */

static const char *const rate_fields[6] = {"ws", "prev", "cur", "strikes", "bu", "lh"};

static void rate_to_ints(const struct store_rate_state *st, long long v[6])
{
    v[0] = st->window_start;
    v[1] = st->prev;
    v[2] = st->cur;
    v[3] = st->strikes;
    v[4] = st->blocked_until;
    v[5] = st->last_hit;
}

static int rate_read(redisContext *c, const char *key, struct store_rate_state *st)
{
    memset(st, 0, sizeof *st);
    redisReply *r = rq_cmd(c, "HMGET %s%s ws prev cur strikes bu lh", RQ_RATE_PREFIX, key);
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 6) {
        if (r)
            freeReplyObject(r);
        return RR_ERR_IO;
    }
    long long v[6] = {0};
    for (size_t i = 0; i < 6; i++)
        if (r->element[i]->type == REDIS_REPLY_STRING)
            v[i] = strtoll(r->element[i]->str, NULL, 10);
    freeReplyObject(r);
    st->window_start = v[0];
    st->prev = (uint32_t)v[1];
    st->cur = (uint32_t)v[2];
    st->strikes = (uint32_t)v[3];
    st->blocked_until = v[4];
    st->last_hit = v[5];
    return 0;
}

/* Queue MULTI, the writes of the changed states and EXEC; 1 committed, 0 conflict, <0 error. */
static int rate_commit(redisContext *c, const char *const *keys, size_t n,
                       const struct store_rate_state *old, const struct store_rate_state *cur)
{
    static const struct store_rate_state zero;
    size_t sent = 0;
    int ok = redisAppendCommand(c, "MULTI") == REDIS_OK;
    sent += ok;
    for (size_t i = 0; ok && i < n; i++) {
        if (memcmp(&old[i], &cur[i], sizeof cur[i]) == 0)
            continue;
        if (memcmp(&cur[i], &zero, sizeof zero) == 0) {
            ok = redisAppendCommand(c, "DEL %s%s", RQ_RATE_PREFIX, keys[i]) == REDIS_OK;
            sent += ok;
            continue;
        }
        long long v[6];
        rate_to_ints(&cur[i], v);
        ok = redisAppendCommand(c, "HSET %s%s %s %lld %s %lld %s %lld %s %lld %s %lld %s %lld",
                                RQ_RATE_PREFIX, keys[i], rate_fields[0], v[0], rate_fields[1],
                                v[1], rate_fields[2], v[2], rate_fields[3], v[3], rate_fields[4],
                                v[4], rate_fields[5], v[5]) == REDIS_OK &&
             redisAppendCommand(c, "EXPIRE %s%s %d", RQ_RATE_PREFIX, keys[i], RQ_RATE_TTL_S) ==
                 REDIS_OK;
        sent += ok ? 2 : 0;
    }
    if (ok) {
        ok = redisAppendCommand(c, "EXEC") == REDIS_OK;
        sent += ok;
    }
    int rc = ok ? 0 : RR_ERR_IO;
    if (!ok) /* out of memory mid-transaction: never pool a connection left inside MULTI */
        c->err = REDIS_ERR_OOM;
    for (size_t i = 0; i < sent; i++) { /* MULTI, QUEUED..., EXEC: the last one decides */
        void *rv = NULL;
        if (redisGetReply(c, &rv) != REDIS_OK || !rv)
            return RR_ERR_IO;
        redisReply *r = rv;
        if (ok && i == sent - 1)
            rc = r->type == REDIS_REPLY_ARRAY ? 1 : r->type == REDIS_REPLY_NIL ? 0 : RR_ERR_IO;
        freeReplyObject(r);
    }
    return rc;
}

static int rq_ratelimit_apply(struct queue *base, const char *const *keys, size_t n,
                              store_rate_fn fn, void *ctx)
{
    struct queue_redis *q = rq(base);
    redisContext *c;
    int rc = rq_get(q, &c);
    if (rc < 0)
        return rc;
    rc = RR_ERR_BUSY;
    for (int attempt = 0; attempt < RQ_RATE_RETRIES; attempt++) {
        struct store_rate_state old[STORE_RATE_KEYS_MAX], cur[STORE_RATE_KEYS_MAX];
        const char *argv[1 + STORE_RATE_KEYS_MAX];
        char names[STORE_RATE_KEYS_MAX][sizeof RQ_RATE_PREFIX + QUEUE_RATE_KEY_MAX];
        argv[0] = "WATCH";
        for (size_t i = 0; i < n; i++) {
            snprintf(names[i], sizeof names[i], "%s%s", RQ_RATE_PREFIX, keys[i]);
            argv[1 + i] = names[i];
        }
        redisReply *r = redisCommandArgv(c, (int)(1 + n), argv, NULL);
        int watched = r && r->type == REDIS_REPLY_STATUS;
        if (r)
            freeReplyObject(r);
        int err = watched ? 0 : RR_ERR_IO;
        for (size_t i = 0; !err && i < n; i++)
            err = rate_read(c, keys[i], &old[i]);
        if (!err) {
            memcpy(cur, old, n * sizeof cur[0]);
            err = fn(ctx, cur, n);
        }
        if (err < 0) {
            if (!c->err) {
                r = rq_cmd(c, "UNWATCH");
                if (r)
                    freeReplyObject(r);
            }
            rc = err;
            break;
        }
        int done = rate_commit(c, keys, n, old, cur);
        if (done < 0) {
            rc = done;
            break;
        }
        if (done == 1) {
            rc = 0;
            break;
        }
        /* another process changed a state in between: read again after a short pause (jitter
         * breaks lock-step between contenders) */
        int64_t us = 100 * (int64_t)(attempt + 1);
        if (us > RQ_RATE_PAUSE_US_MAX)
            us = RQ_RATE_PAUSE_US_MAX;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        us += now.tv_nsec / 1000 % 500;
        struct timespec ts = {0, (long)us * 1000};
        nanosleep(&ts, NULL);
    }
    rq_put(q, c);
    return rc;
}

/* ---- backend -------------------------------------------------------------------------------- */

static void rq_close(struct queue *base)
{
    struct queue_redis *q = rq(base);
    pthread_mutex_lock(&q->mu);
    q->closing = 1;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
    if (q->refresher_started)
        pthread_join(q->refresher, NULL);
    if (q->sub_started)
        pthread_join(q->sub, NULL);
    free(q->notices);
    /* Hand back the tokens our workers still hold, then forget our consumers. */
    redisContext *c = NULL;
    if (q->n_toks && rq_get(q, &c) == 0) {
        for (size_t i = 0; i < q->n_toks && !c->err; i++) {
            if (q->toks[i].entry[0]) {
                if (add_token(c, NULL) == 0)
                    ack_entry(c, q->toks[i].entry);
            }
            /* Only a consumer with nothing pending: deleting one that still has an entry (a
             * token we lost track of) would leave it in the stream, counted by XLEN but never
             * delivered again; left alone, it idles and XAUTOCLAIM hands it on. */
            redisReply *r = rq_cmd(c, "XPENDING %s %s - + 1 %s", RQ_STREAM, RQ_GROUP,
                                   q->toks[i].owner);
            int idle = r && r->type == REDIS_REPLY_ARRAY && r->elements == 0;
            if (r)
                freeReplyObject(r);
            if (!idle)
                continue;
            r = rq_cmd(c, "XGROUP DELCONSUMER %s %s %s", RQ_STREAM, RQ_GROUP, q->toks[i].owner);
            if (r)
                freeReplyObject(r);
        }
        rq_put(q, c);
    }
    for (size_t i = 0; i < q->n_idle; i++)
        redisFree(q->idle[i]);
    free(q->toks);
    memset(q->pass, 0, sizeof q->pass);
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->mu);
    free(q);
}

/* A token idle longer than takeover_ms (its process died: live ones are refreshed every
 * takeover_ms / 3), else a new one. */
static int read_token(struct queue_redis *q, redisContext *c, const char *owner,
                      char entry[RQ_ENTRY_MAX + 1])
{
    for (int round = 0; round < 2; round++) {
        redisReply *r = rq_cmd(c, "XAUTOCLAIM %s %s %s %lld 0-0 COUNT 1 JUSTID", RQ_STREAM,
                               RQ_GROUP, owner, (long long)q->takeover_ms);
        if (!r)
            return RR_ERR_IO;
        if (reply_is_error(r, "NOGROUP")) {
            freeReplyObject(r);
            pthread_mutex_lock(&q->mu);
            q->lost = 1;
            pthread_mutex_unlock(&q->mu);
            rr_log_msg(RR_LOG_WARN, "queue: redis lost the job stream; recreating it");
            if (ensure_group(c) < 0)
                return RR_ERR_IO;
            continue;
        }
        if (r->type != REDIS_REPLY_ARRAY || r->elements < 2 ||
            r->element[1]->type != REDIS_REPLY_ARRAY) {
            rq_warn("queue: redis XAUTOCLAIM failed", NULL, c, r);
            freeReplyObject(r);
            return RR_ERR_IO;
        }
        const redisReply *ids = r->element[1];
        if (ids->elements > 0 && ids->element[0]->type == REDIS_REPLY_STRING &&
            ids->element[0]->len <= RQ_ENTRY_MAX) {
            memcpy(entry, ids->element[0]->str, ids->element[0]->len);
            entry[ids->element[0]->len] = 0;
            freeReplyObject(r);
            return 0;
        }
        freeReplyObject(r);

        if (q->block_ms > 0) {
            redisSetTimeout(c, tv_ms(q->block_ms + RQ_CMD_MS));
            r = rq_cmd(c, "XREADGROUP GROUP %s %s COUNT 1 BLOCK %d STREAMS %s >", RQ_GROUP, owner,
                       q->block_ms, RQ_STREAM);
            if (!c->err)
                redisSetTimeout(c, tv_ms(RQ_CMD_MS));
        } else {
            r = rq_cmd(c, "XREADGROUP GROUP %s %s COUNT 1 STREAMS %s >", RQ_GROUP, owner,
                       RQ_STREAM);
        }
        if (!r)
            return RR_ERR_IO;
        if (reply_is_error(r, "NOGROUP")) {
            freeReplyObject(r);
            pthread_mutex_lock(&q->mu);
            q->lost = 1;
            pthread_mutex_unlock(&q->mu);
            if (ensure_group(c) < 0)
                return RR_ERR_IO;
            continue;
        }
        if (r->type == REDIS_REPLY_NIL) {
            freeReplyObject(r);
            return RR_ERR_NOTFOUND;
        }
        /* [[stream, [[id, [field, value, ...]]]]] */
        const redisReply *e = NULL;
        if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
            r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements == 2) {
            const redisReply *msgs = r->element[0]->element[1];
            if (msgs->type == REDIS_REPLY_ARRAY && msgs->elements == 1 &&
                msgs->element[0]->type == REDIS_REPLY_ARRAY && msgs->element[0]->elements >= 1)
                e = msgs->element[0]->element[0];
        }
        if (!e || e->type != REDIS_REPLY_STRING || e->len > RQ_ENTRY_MAX) {
            rq_warn("queue: redis XREADGROUP failed", NULL, c, r);
            freeReplyObject(r);
            return RR_ERR_IO;
        }
        memcpy(entry, e->str, e->len);
        entry[e->len] = 0;
        freeReplyObject(r);
        return 0;
    }
    return RR_ERR_NOTFOUND;
}

/* Nothing was claimable: keep the token unless tokens outnumber the unfinished jobs. XLEN is read
 * before the store's counts (a job finishing in between then looks like a surplus of 0). */
static void drop_surplus(struct queue_redis *q, const char *owner)
{
    redisContext *c;
    if (rq_get(q, &c) < 0)
        return;
    redisReply *r = rq_cmd(c, "XLEN %s", RQ_STREAM);
    long long len = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    if (r)
        freeReplyObject(r);
    struct store_job_counts n;
    if (len >= 0 && store_job_counts(q->store, &n) == 0 && len > n.queued + n.running) {
        char entry[RQ_ENTRY_MAX + 1];
        tok_get(q, owner, entry, 1);
        if (entry[0] && ack_entry(c, entry) < 0)
            rq_warn("queue: redis token not acknowledged", NULL, c, NULL);
    }
    rq_put(q, c);
}

static int rq_claim(struct queue *base, const char *owner, int64_t lease_ms, int per_user_max,
                    struct store_job *out)
{
    struct queue_redis *q = rq(base);
    char entry[RQ_ENTRY_MAX + 1];
    tok_get(q, owner, entry, 0);
    if (!entry[0]) { /* a worker holding a token asks the store again without Redis */
        redisContext *c;
        int rc = rq_get(q, &c);
        if (rc < 0)
            return rc;
        tok_set(q, owner, ""); /* our consumer, forgotten at close */
        rc = read_token(q, c, owner, entry);
        rq_put(q, c);
        if (rc < 0)
            return rc;
        tok_set(q, owner, entry);
        pthread_mutex_lock(&q->mu);
        if (!q->refresher_started && !q->closing &&
            pthread_create(&q->refresher, NULL, refresher_main, q) == 0)
            q->refresher_started = 1;
        pthread_mutex_unlock(&q->mu);
    }
    int rc = store_job_claim_capped(q->store, owner, lease_ms, per_user_max, out);
    tok_alive(q, owner, rc == 0 ? lease_ms : q->takeover_ms);
    if (rc == RR_ERR_NOTFOUND)
        drop_surplus(q, owner);
    return rc;
}

static int rq_enqueue(struct queue *base, const char *kind, const char *user_id,
                      const char *video_id, const char *payload, int max_attempts,
                      int64_t delay_ms, char id_out[STORE_ID_LEN + 1])
{
    struct queue_redis *q = rq(base);
    char id[STORE_ID_LEN + 1];
    int rc = store_job_enqueue_video(q->store, kind, user_id, video_id, payload, max_attempts,
                                     delay_ms, id);
    if (rc < 0)
        return rc;
    if (id_out)
        memcpy(id_out, id, sizeof id);
    /* The job exists now (the store is the record); without its token it waits for the
     * reconciler (at most RQ_RECONCILE_MS once Redis answers again). */
    int added = 0;
    for (int attempt = 0; attempt < 2 && !added; attempt++) { /* a pooled conn may be stale */
        redisContext *c = NULL;
        if (rq_get(q, &c) < 0)
            break;
        added = add_token(c, id) == 0;
        int broken = c->err != 0;
        rq_put(q, c);
        if (!broken)
            break;
    }
    if (!added)
        rr_log(RR_LOG_WARN, "queue: job saved, its redis token not added (reconciled later)",
               RR_LOG_JOB_ID(id));
    return 0;
}

/* The store refused an owner's call (CONFLICT: its lease was taken over, and with it the token
 * it held, now pending at the new holder): forget the token without acknowledging it. */
static void lost_lease(struct queue_redis *q, const char *owner)
{
    char entry[RQ_ENTRY_MAX + 1];
    tok_get(q, owner, entry, 1);
}

static int rq_heartbeat(struct queue *base, const char *id, const char *owner, int64_t lease_ms)
{
    struct queue_redis *q = rq(base);
    int rc = store_job_heartbeat(q->store, id, owner, lease_ms);
    if (rc == RR_ERR_CONFLICT)
        lost_lease(q, owner);
    if (rc == 0)
        tok_alive(q, owner, lease_ms);
    return rc;
}

static int rq_progress(struct queue *base, const char *id, const char *owner, double fraction,
                       const char *stage)
{
    struct queue_redis *q = rq(base);
    int rc = store_job_progress(q->store, id, owner, fraction, stage);
    if (rc == RR_ERR_CONFLICT)
        lost_lease(q, owner);
    if (rc == 0)
        publish(q, id);
    return rc;
}

static int rq_complete(struct queue *base, const char *id, const char *owner)
{
    struct queue_redis *q = rq(base);
    int rc = store_job_complete(q->store, id, owner);
    if (rc == RR_ERR_CONFLICT)
        lost_lease(q, owner);
    if (rc == 0) {
        finish_token(q, owner, id, 0);
        publish(q, id);
    }
    return rc;
}

/* One entry on the dead-letter stream (job, kind, owner, error), trimmed to ~RQ_DEAD_MAXLEN. */
static void dead_letter(struct queue_redis *q, const char *id)
{
    struct store_job job;
    if (store_job_get(q->store, NULL, id, &job) < 0)
        return;
    redisContext *c;
    if (rq_get(q, &c) < 0)
        return;
    redisReply *r = rq_cmd(c, "XADD %s MAXLEN ~ %d * job %s kind %s user %s attempts %d error %s",
                           RQ_DEAD, RQ_DEAD_MAXLEN, job.id, job.kind,
                           job.user_id[0] ? job.user_id : "-", job.attempts, job.error);
    if (!r || r->type != REDIS_REPLY_STRING)
        rq_warn("queue: dead letter not added to redis", id, c, r);
    if (r)
        freeReplyObject(r);
    rq_put(q, c);
}

static int rq_fail(struct queue *base, const char *id, const char *owner, const char *error,
                   bool permanent, enum store_job_state *state_out)
{
    struct queue_redis *q = rq(base);
    enum store_job_state st = STORE_JOB_QUEUED;
    int rc = store_job_fail(q->store, id, owner, error, permanent, &st);
    if (rc == RR_ERR_CONFLICT)
        lost_lease(q, owner);
    if (rc < 0)
        return rc;
    if (state_out)
        *state_out = st;
    if (st == STORE_JOB_DEAD) {
        finish_token(q, owner, id, 0);
        dead_letter(q, id);
    }
    /* queued again for a retry: the worker keeps the token, the job's once more */
    publish(q, id);
    return 0;
}

static int rq_release(struct queue *base, const char *id, const char *owner)
{
    struct queue_redis *q = rq(base);
    int rc = store_job_release(q->store, id, owner);
    if (rc == RR_ERR_CONFLICT)
        lost_lease(q, owner);
    if (rc == 0) {
        finish_token(q, owner, id, 1);
        publish(q, id);
    }
    return rc;
}

/* Add the tokens Redis lost (queued + running jobs of the store minus XLEN). At most once per
 * RQ_RECONCILE_MS per process (at once after a lost stream), and once per period across all
 * processes (SET NX PX lock). */
static void reconcile(struct queue_redis *q)
{
    pthread_mutex_lock(&q->mu);
    int64_t now = mono_ms();
    int due = q->lost || now - q->last_reconcile_ms >= RQ_RECONCILE_MS;
    if (due) {
        q->last_reconcile_ms = now;
        q->lost = 0;
    }
    pthread_mutex_unlock(&q->mu);
    if (!due)
        return;
    redisContext *c;
    if (rq_get(q, &c) < 0)
        return;
    redisReply *r = rq_cmd(c, "SET %s 1 NX PX %d", RQ_LOCK, RQ_RECONCILE_MS);
    int mine = r && r->type == REDIS_REPLY_STATUS;
    if (r)
        freeReplyObject(r);
    if (!mine || ensure_group(c) < 0) {
        rq_put(q, c);
        return;
    }
    r = rq_cmd(c, "XLEN %s", RQ_STREAM);
    long long len = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    if (r)
        freeReplyObject(r);
    struct store_job_counts n;
    if (len < 0 || store_job_counts(q->store, &n) < 0) {
        rq_put(q, c);
        return;
    }
    long long missing = n.queued + n.running - len;
    long long added = 0;
    for (; added < missing && added < RQ_RECONCILE_MAX; added++)
        if (add_token(c, NULL) < 0)
            break;
    if (added > 0)
        rr_log(RR_LOG_WARN, "queue: re-enqueued jobs redis had lost", RR_LOG_INT("jobs", added),
               RR_LOG_INT("unfinished", n.queued + n.running), RR_LOG_INT("stream_len", len));
    rq_put(q, c);
}

static int rq_reap_expired(struct queue *base, char (*ids)[STORE_ID_LEN + 1], size_t max,
                           size_t *n)
{
    struct queue_redis *q = rq(base);
    int rc = store_job_reap_expired(q->store, ids, max, n);
    if (rc < 0)
        return rc;
    /* their tokens stay pending at the dead worker: XAUTOCLAIM takes them, a surplus */
    for (size_t i = 0; i < *n; i++) {
        dead_letter(q, ids[i]);
        publish(q, ids[i]);
    }
    reconcile(q);
    return 0;
}

static int rq_get_job(struct queue *base, const char *id, struct store_job *out)
{
    return store_job_get(rq(base)->store, NULL, id, out);
}

/* queue_int.h: the pool for queue_redis_kv.c */
int queue__redis_conn(struct queue *q, redisContext **c)
{
    return rq_get(rq(q), c);
}

void queue__redis_done(struct queue *q, redisContext *c)
{
    rq_put(rq(q), c);
}

static const struct queue_ops queue_redis_ops = {
    .name = "redis",
    .close = rq_close,
    .enqueue = rq_enqueue,
    .claim = rq_claim,
    .heartbeat = rq_heartbeat,
    .progress = rq_progress,
    .complete = rq_complete,
    .fail = rq_fail,
    .release = rq_release,
    .reap_expired = rq_reap_expired,
    .get = rq_get_job,
    .watch = rq_watch,
    .ratelimit_apply = rq_ratelimit_apply,
    .refresh_spend = queue__redis_refresh_spend,
    .refresh_forget = queue__redis_refresh_forget,
    .cache_get = queue__redis_cache_get,
    .cache_put = queue__redis_cache_put,
    .cache_bump = queue__redis_cache_bump,
};

/* Streams with XAUTOCLAIM need Redis >= 6.2 ("redis_version:7.0.15" in INFO server). */
static int check_version(redisContext *c, char *msg, size_t msg_len)
{
    redisReply *r = rq_cmd(c, "INFO server");
    if (!r || r->type != REDIS_REPLY_STRING) {
        rq_msg(msg, msg_len, "INFO failed: %s", r && r->str ? r->str : c->errstr);
        if (r)
            freeReplyObject(r);
        return RR_ERR_IO;
    }
    const char *v = strstr(r->str, "redis_version:");
    int major = 0, minor = 0;
    if (v) {
        v += strlen("redis_version:");
        char *end;
        major = (int)strtol(v, &end, 10);
        if (*end == '.')
            minor = (int)strtol(end + 1, NULL, 10);
    }
    freeReplyObject(r);
    if (major < 6 || (major == 6 && minor < 2)) {
        rq_msg(msg, msg_len, "redis %d.%d is too old (XAUTOCLAIM needs 6.2 or later)", major,
               minor);
        return RR_ERR_UNSUPPORTED;
    }
    return 0;
}

int queue__redis_open(const char *url, struct store *s, struct queue **out, char *msg,
                      size_t msg_len)
{
    struct queue_redis *q = calloc(1, sizeof *q);
    if (!q)
        return RR_ERR_NOMEM;
    q->base.ops = &queue_redis_ops;
    q->store = s;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    int rc = parse_url(q, url, msg, msg_len);
    if (rc < 0)
        goto fail;
    char why[256] = "";
    redisContext *c = rq_dial(q, why, sizeof why);
    if (!c) {
        rq_msg(msg, msg_len, "cannot reach redis at %s:%d: %s", q->host, q->port, why);
        rc = RR_ERR_IO;
        goto fail;
    }
    rc = check_version(c, why, sizeof why);
    if (rc == 0 && ensure_group(c) < 0) {
        rq_msg(why, sizeof why, "cannot create the consumer group: %s", c->errstr);
        rc = RR_ERR_IO;
    }
    if (rc < 0) {
        rq_msg(msg, msg_len, "redis at %s:%d: %s", q->host, q->port, why);
        redisFree(c);
        goto fail;
    }
    rq_put(q, c);
    rr_log(RR_LOG_INFO, "queue: redis", RR_LOG_STR("host", q->host), RR_LOG_INT("port", q->port),
           RR_LOG_INT("db", q->db), RR_LOG_STR("stream", RQ_STREAM));
    *out = &q->base;
    return 0;
fail:
    memset(q->pass, 0, sizeof q->pass);
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->mu);
    free(q);
    return rc;
}
