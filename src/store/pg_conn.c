/*
 * pg_conn.c - the PostgreSQL backend's plumbing: a bounded connection pool, per-connection
 * prepared statements, transactions, error mapping and reconnection (see pg_internal.h and
 * docs/internals/store.md, "PostgreSQL").
 *
 * DESIGN: PG_POOL_MAX slots, each a libpq connection opened on first use, handed out under a
 * mutex; callers that find none free queue in arrival order, each on its own condition variable,
 * and a returned slot goes straight to the head of the queue; a caller waits at most
 * PG_POOL_WAIT_MS (then BUSY). Inside a transaction, statements whose results are not needed
 * travel in libpq's pipeline with the next one that is (pipe_send / pipe_flush), so a typical
 * write is one or two round trips.
 * Every connection is set up with connect_timeout, TCP keepalives and tcp_user_timeout (no
 * network wait without a deadline), statement_timeout and lock_timeout (no statement without
 * one), and synchronous_commit=on (a COMMIT that returned is on disk, whatever the server's
 * default). Statements are prepared once per connection (PQprepare, then PQexecPrepared), keyed
 * by their SQL text. A connection that fails (server restarted, network cut) is marked broken,
 * closed when returned, and the slot reconnects on its next use; when the failure hits the first
 * statement of a checkout (BEGIN, or a lone read) nothing can have run, so that statement is
 * retried once on a new connection - after a PostgreSQL restart the first request on every
 * stale connection succeeds instead of failing.
 */
#include "store/pg_internal.h"

#include "base/rr_error.h"
#include "base/rr_fault.h"
#include "base/rr_log.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- URL masking --------------------------------------------------------------------------- */

/* postgres://user:secret@host/db?password=x -> postgres://user:***@host/db?password=*** */
void pg__mask_url(const char *url, char *out, size_t cap)
{
    size_t o = 0;
    const char *scheme = strstr(url, "://");
    const char *at = scheme ? strchr(scheme + 3, '@') : NULL;
    const char *slash = scheme ? strchr(scheme + 3, '/') : NULL;
    if (at && slash && slash < at)
        at = NULL; /* an @ in the path, not userinfo */
    const char *colon = NULL;
    if (at)
        for (const char *p = scheme + 3; p < at; p++)
            if (*p == ':') {
                colon = p;
                break;
            }
    if (cap == 0)
        return;
    for (const char *p = url; *p && o + 4 < cap;) {
        if (colon && p == colon + 1) {
            memcpy(out + o, "***", 3);
            o += 3;
            p = at;
            continue;
        }
        if (strncmp(p, "password=", 9) == 0 && (p == url || p[-1] == '?' || p[-1] == '&' ||
                                                 p[-1] == ' ')) {
            if (o + 12 >= cap)
                break;
            memcpy(out + o, "password=***", 12);
            o += 12;
            p += 9;
            while (*p && *p != '&' && *p != ' ')
                p++;
            continue;
        }
        out[o++] = *p++;
    }
    out[o] = '\0';
}

/* ---- rows ---------------------------------------------------------------------------------- */

void col_text(const struct prow *st, int col, char *dst, size_t cap)
{
    const char *t = PQgetisnull(st->r, st->i, col) ? "" : PQgetvalue(st->r, st->i, col);
    size_t len = strlen(t);
    if (len >= cap)
        len = cap - 1;
    memcpy(dst, t, len);
    dst[len] = '\0';
}

int64_t col_i64(const struct prow *st, int col)
{
    if (PQgetisnull(st->r, st->i, col))
        return 0;
    const char *t = PQgetvalue(st->r, st->i, col);
    char *end;
    errno = 0;
    long long v = strtoll(t, &end, 10);
    if (*end == '.' || *end == 'e' || *end == 'E') /* a numeric sum: 12.0 */
        return (int64_t)strtod(t, NULL);
    return (int64_t)v;
}

int col_int(const struct prow *st, int col)
{
    return (int)col_i64(st, col);
}

double col_dbl(const struct prow *st, int col)
{
    if (PQgetisnull(st->r, st->i, col))
        return 0.0;
    return strtod(PQgetvalue(st->r, st->i, col), NULL);
}

bool col_null(const struct prow *st, int col)
{
    return PQgetisnull(st->r, st->i, col) != 0;
}

/* ---- errors -------------------------------------------------------------------------------- */

/* First line of libpq's message, for one-line reasons. */
static void first_line(const char *m, char *out, size_t cap)
{
    size_t n = 0;
    while (m && m[n] && m[n] != '\n' && n + 1 < cap) {
        out[n] = m[n];
        n++;
    }
    if (cap)
        out[n] = '\0';
}

/* SQLSTATE -> RR_ERR_*. Constraint violations are normal flow and stay quiet; storage and
 * connection failures are logged once here (without the URL: it may hold a password). */
static int map_state(const char *state, const char *text)
{
    if (!state || !state[0])
        state = "08000"; /* no SQLSTATE: libpq lost the connection */
    if (strcmp(state, "23503") == 0)
        return RR_ERR_NOTFOUND; /* a referenced row (user, video, ...) does not exist */
    if (strncmp(state, "23", 2) == 0)
        return RR_ERR_CONFLICT;
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
        strcmp(state, "55P03") == 0 || strcmp(state, "57014") == 0)
        return RR_ERR_BUSY; /* serialisation failure, deadlock, lock or statement timeout */
    if (strcmp(state, "22001") == 0 || strcmp(state, "54000") == 0)
        return RR_ERR_TOOBIG;
    char line[200];
    first_line(text, line, sizeof line);
    if (strcmp(state, "53100") == 0) {
        rr_log(RR_LOG_ERROR, "storage error", RR_LOG_STR("component", "postgres"),
               RR_LOG_STR("sqlstate", state), RR_LOG_STR("error", line));
        return RR_ERR_NOSPACE;
    }
    if (strcmp(state, "53200") == 0)
        return RR_ERR_NOMEM;
    if (strncmp(state, "XX00", 4) == 0) {
        rr_log(RR_LOG_ERROR, "storage error", RR_LOG_STR("component", "postgres"),
               RR_LOG_STR("sqlstate", state), RR_LOG_STR("error", line));
        return RR_ERR_CORRUPT;
    }
    if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0 ||
        strncmp(state, "58", 2) == 0) {
        rr_log(RR_LOG_WARN, "database connection failed", RR_LOG_STR("component", "postgres"),
               RR_LOG_STR("sqlstate", state), RR_LOG_STR("error", line));
        return RR_ERR_IO;
    }
    rr_log(RR_LOG_ERROR, "database error", RR_LOG_STR("component", "postgres"),
           RR_LOG_STR("sqlstate", state), RR_LOG_STR("error", line));
    return RR_ERR_INTERNAL;
}

/* ---- connections --------------------------------------------------------------------------- */

static void quiet_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message; /* "relation already exists, skipping" and friends: not for stderr */
}

static void stmt_cache_clear(struct pg_slot *sl)
{
    for (int i = 0; i < PG_STMT_CACHE; i++) {
        free(sl->st[i].sql);
        sl->st[i] = (struct pg_stmt){0, NULL};
    }
}

static void slot_disconnect(struct pg_slot *sl)
{
    if (sl->pg)
        PQfinish(sl->pg);
    sl->pg = NULL;
    sl->broken = false;
    stmt_cache_clear(sl);
}

/* Open one connection with our defaults (the URL's own settings win, they come later). */
static PGconn *connect_one(const char *url, char *why, size_t why_len)
{
    static const char *const keys[] = {"connect_timeout", "keepalives",      "keepalives_idle",
                                       "keepalives_interval", "keepalives_count",
                                       "tcp_user_timeout", "application_name",
                                       "client_encoding", "dbname",          NULL};
    const char *vals[] = {"5",    "1",        "30",   "10", "3", "15000", "repright",
                          "UTF8", url,        NULL};
    PGconn *pg = PQconnectdbParams(keys, vals, 1);
    if (!pg) {
        store__msg(why, why_len, "out of memory");
        return NULL;
    }
    if (PQstatus(pg) != CONNECTION_OK) {
        first_line(PQerrorMessage(pg), why, why_len);
        PQfinish(pg);
        return NULL;
    }
    PQsetNoticeProcessor(pg, quiet_notice, NULL);
    PGresult *r = PQexec(pg, "SET statement_timeout = 30000; SET lock_timeout = 10000; "
                             "SET synchronous_commit = on; SET client_min_messages = warning");
    bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        first_line(PQerrorMessage(pg), why, why_len);
    PQclear(r);
    if (!ok) {
        PQfinish(pg);
        return NULL;
    }
    return pg;
}

/* An idle connection has nothing to read: data or EOF on its socket means the server ended the
 * session (a restart sends "terminating connection" and closes), so it is not worth a try. */
static bool idle_link_dead(PGconn *pg)
{
    struct pollfd pfd = {PQsocket(pg), POLLIN, 0};
    if (pfd.fd < 0)
        return true;
    return poll(&pfd, 1, 0) != 0;
}

/* Make sure the checked-out slot has a live connection. */
static int slot_connect(struct conn *c)
{
    struct pg_slot *sl = c->sl;
    if (sl->pg && (sl->broken || PQstatus(sl->pg) != CONNECTION_OK || idle_link_dead(sl->pg)))
        slot_disconnect(sl);
    if (sl->pg)
        return 0;
    char why[256] = "";
    sl->pg = connect_one(c->p->url, why, sizeof why);
    if (!sl->pg) {
        pthread_mutex_lock(&c->p->mu);
        snprintf(c->p->last_error, sizeof c->p->last_error, "%s", why);
        pthread_mutex_unlock(&c->p->mu);
        rr_log(RR_LOG_WARN, "database connection failed", RR_LOG_STR("component", "postgres"),
               RR_LOG_STR("url", c->p->masked), RR_LOG_STR("error", why));
        return RR_ERR_IO;
    }
    return 0;
}

void conn_get(struct store *s, struct conn *c)
{
    memset(c, 0, sizeof *c);
    c->p = pgs_of(s);
    c->fresh = true;
}

/* Check out a slot (waiting up to PG_POOL_WAIT_MS) and connect it. */
static int conn_acquire(struct conn *c)
{
    struct pgs *p = c->p;
    if (c->sl)
        return 0;
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += PG_POOL_WAIT_MS / 1000;
    pthread_mutex_lock(&p->mu);
    struct pg_slot *pick = NULL;
    if (!p->wq_head) /* nobody queued: a free slot, preferably one already connected */
        for (int i = 0; i < PG_POOL_MAX; i++)
            if (!p->slot[i].in_use && (!pick || (!pick->pg && p->slot[i].pg)))
                pick = &p->slot[i];
    if (pick) {
        pick->in_use = true;
    } else {
        /* first come, first served: conn_put hands its slot to the queue's head (a plain
         * condition variable let newcomers overtake, and p99 at 64 threads was 20x p50) */
        struct pg_waiter w;
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&w.cv, &ca);
        pthread_condattr_destroy(&ca);
        w.got = NULL;
        w.next = NULL;
        if (p->wq_tail)
            p->wq_tail->next = &w;
        else
            p->wq_head = &w;
        p->wq_tail = &w;
        p->waiting++;
        while (!w.got)
            if (pthread_cond_timedwait(&w.cv, &p->mu, &deadline) == ETIMEDOUT && !w.got) {
                struct pg_waiter *prev = NULL;
                for (struct pg_waiter *q = p->wq_head; q; prev = q, q = q->next)
                    if (q == &w) {
                        if (prev)
                            prev->next = w.next;
                        else
                            p->wq_head = w.next;
                        if (p->wq_tail == &w)
                            p->wq_tail = prev;
                        break;
                    }
                break;
            }
        p->waiting--;
        pthread_cond_destroy(&w.cv);
        pick = w.got;
    }
    pthread_mutex_unlock(&p->mu);
    if (!pick)
        return RR_ERR_BUSY;
    c->sl = pick;
    c->fresh = true;
    int err = slot_connect(c);
    if (err)
        conn_put(c);
    return err;
}

void conn_put(struct conn *c)
{
    if (!c->sl)
        return;
    if (c->in_tx || c->npend) { /* an error path that skipped tx_end: never hand out an open
                                  * transaction or a pipeline with results pending */
        c->sl->broken = true;
        c->in_tx = false;
        c->npend = 0;
    }
    if (c->sl->broken)
        slot_disconnect(c->sl);
    struct pgs *p = c->p;
    pthread_mutex_lock(&p->mu);
    struct pg_waiter *w = p->wq_head;
    if (w) { /* hand the slot over, still in use */
        p->wq_head = w->next;
        if (!p->wq_head)
            p->wq_tail = NULL;
        w->got = c->sl;
        pthread_cond_signal(&w->cv);
    } else {
        c->sl->in_use = false;
    }
    pthread_mutex_unlock(&p->mu);
    c->sl = NULL;
}

void conn_drop(struct conn *c)
{
    if (c->sl)
        c->sl->broken = true;
    conn_put(c);
}

int pg__open(const char *url, struct pgs **out, char *msg, size_t msg_len)
{
    struct pgs *p = calloc(1, sizeof *p);
    if (!p)
        return RR_ERR_NOMEM;
    if (strlen(url) >= sizeof p->url) {
        free(p);
        store__msg(msg, msg_len, "database url too long");
        return RR_ERR_INVAL;
    }
    memcpy(p->url, url, strlen(url) + 1);
    pg__mask_url(url, p->masked, sizeof p->masked);
    pthread_mutex_init(&p->mu, NULL);
    /* one connection now: a wrong URL or a server that is down is a startup error */
    char why[256] = "";
    p->slot[0].pg = connect_one(url, why, sizeof why);
    if (!p->slot[0].pg) {
        store__msg(msg, msg_len, "cannot connect to database %s: %s", p->masked, why);
        pg__close(p);
        return RR_ERR_IO;
    }
    *out = p;
    return 0;
}

void pg__close(struct pgs *p)
{
    for (int i = 0; i < PG_POOL_MAX; i++)
        slot_disconnect(&p->slot[i]);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

/* ---- statements ---------------------------------------------------------------------------- */

static uint64_t sql_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

#define ARGS_MAX 32

/* The statement's name on this connection, preparing it when new; "" = run unnamed. */
static int stmt_name(struct conn *c, const char *sql, const struct arg *a, int na,
                     char name[16], PGresult **fail)
{
    struct pg_slot *sl = c->sl;
    uint64_t h = sql_hash(sql);
    int free_i = -1;
    *fail = NULL;
    name[0] = '\0';
    for (int i = 0; i < PG_STMT_CACHE; i++) {
        if (!sl->st[i].sql) {
            if (free_i < 0)
                free_i = i;
            continue;
        }
        if (sl->st[i].hash == h && strcmp(sl->st[i].sql, sql) == 0) {
            snprintf(name, 16, "s%d", i);
            return 0;
        }
    }
    if (free_i < 0)
        return 0;
    Oid types[ARGS_MAX];
    for (int i = 0; i < na; i++)
        types[i] = a[i].type == 's' ? 25 : a[i].type == 'i' ? 20 : 701; /* text int8 float8 */
    char *copy = strdup(sql);
    if (!copy)
        return 0; /* still runs, unnamed */
    snprintf(name, 16, "s%d", free_i);
    PGresult *r = PQprepare(sl->pg, name, sql, na, types);
    if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
        free(copy);
        name[0] = '\0';
        *fail = r;
        return -1;
    }
    PQclear(r);
    sl->st[free_i] = (struct pg_stmt){h, copy};
    return 0;
}

/* Whether a failure means the link is gone (so the statement never ran when fresh). */
static bool link_lost(const struct conn *c)
{
    return PQstatus(c->sl->pg) != CONNECTION_OK;
}

static int result_err(struct conn *c, PGresult *r)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *text = r ? PQresultErrorMessage(r) : PQerrorMessage(c->sl->pg);
    if (link_lost(c))
        c->sl->broken = true;
    return map_state(state, text && text[0] ? text : PQerrorMessage(c->sl->pg));
}

static void arg_values(const struct arg *a, int na, char bufs[][32], const char **vals,
                       Oid *types)
{
    for (int i = 0; i < na; i++) {
        types[i] = a[i].type == 's' ? 25 : a[i].type == 'i' ? 20 : 701; /* text int8 float8 */
        if (a[i].type == 's') {
            vals[i] = a[i].s && a[i].s[0] ? a[i].s : NULL;
        } else if (a[i].type == 'i') {
            snprintf(bufs[i], 32, "%lld", (long long)a[i].i);
            vals[i] = bufs[i];
        } else {
            snprintf(bufs[i], 32, "%.17g", a[i].d);
            vals[i] = bufs[i];
        }
    }
}

/* A send that libpq refused: the link is gone. */
static int send_failed(struct conn *c)
{
    c->sl->broken = true;
    return map_state(NULL, PQerrorMessage(c->sl->pg));
}

/* Queue BEGIN (when pending) and sql (NULL: nothing) on the pipeline. */
static int pipe_send(struct conn *c, const char *sql, const struct arg *a, int na)
{
    PGconn *pg = c->sl->pg;
    if (PQpipelineStatus(pg) == PQ_PIPELINE_OFF && !PQenterPipelineMode(pg))
        return send_failed(c);
    if (c->begin_pending) {
        if (!PQsendQueryParams(pg, "BEGIN", 0, NULL, NULL, NULL, NULL, 0))
            return send_failed(c);
        c->pend[c->npend++] = -1;
        c->begin_pending = false;
    }
    if (!sql)
        return 0;
    char bufs[ARGS_MAX][32];
    const char *vals[ARGS_MAX];
    Oid types[ARGS_MAX];
    arg_values(a, na, bufs, vals, types);
    struct pg_slot *sl = c->sl;
    uint64_t h = sql_hash(sql);
    int idx = -1, free_i = -1;
    for (int i = 0; i < PG_STMT_CACHE && idx < 0; i++) {
        if (!sl->st[i].sql) {
            if (free_i < 0)
                free_i = i;
        } else if (sl->st[i].hash == h && strcmp(sl->st[i].sql, sql) == 0) {
            idx = i;
        }
    }
    char name[16] = "";
    if (idx < 0 && free_i >= 0) {
        char *copy = strdup(sql);
        if (copy) {
            snprintf(name, sizeof name, "s%d", free_i);
            if (!PQsendPrepare(pg, name, sql, na, types)) {
                free(copy);
                return send_failed(c);
            }
            sl->st[free_i] = (struct pg_stmt){h, copy};
            c->pend[c->npend++] = free_i; /* forgotten again if the prepare fails */
            idx = free_i;
        }
    }
    if (idx >= 0) {
        snprintf(name, sizeof name, "s%d", idx);
        if (!PQsendQueryPrepared(pg, name, na, vals, NULL, NULL, 0))
            return send_failed(c);
    } else if (!PQsendQueryParams(pg, sql, na, types, vals, NULL, NULL, 0)) {
        return send_failed(c);
    }
    c->pend[c->npend++] = -1;
    return 0;
}

/* One round trip: sync, then read every queued result. The first error wins (later statements
 * are skipped by the server); *keep (may be NULL) gets the result of the want'th queued one. */
static int pipe_flush_keep(struct conn *c, PGresult **keep, int want)
{
    PGresult **last = keep;
    PGconn *pg = c->sl->pg;
    int err = 0, got = 0, nulls = 0;
    bool synced = false;
    if (last)
        *last = NULL;
    if (!PQpipelineSync(pg)) {
        c->npend = 0;
        return send_failed(c);
    }
    for (;;) {
        PGresult *r = PQgetResult(pg);
        if (!r) {
            /* one NULL ends each statement's results; more in a row: nothing more will come */
            if (++nulls > 2 || (nulls > 1 && PQstatus(pg) != CONNECTION_OK))
                break;
            continue;
        }
        nulls = 0;
        ExecStatusType st = PQresultStatus(r);
        synced = st == PGRES_PIPELINE_SYNC;
        if (st == PGRES_PIPELINE_SYNC) {
            PQclear(r);
            break;
        }
        int slot = got < c->npend ? c->pend[got] : -1;
        got++;
        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
            if (last && got - 1 == want) {
                PQclear(*last);
                *last = r;
            } else {
                PQclear(r);
            }
        } else if (st == PGRES_PIPELINE_ABORTED) {
            PQclear(r);
            if (slot >= 0) { /* its prepare never ran */
                free(c->sl->st[slot].sql);
                c->sl->st[slot] = (struct pg_stmt){0, NULL};
            }
        } else {
            if (!err)
                err = result_err(c, r);
            if (slot >= 0) {
                free(c->sl->st[slot].sql);
                c->sl->st[slot] = (struct pg_stmt){0, NULL};
            }
            PQclear(r);
            if (PQstatus(pg) != CONNECTION_OK)
                break;
        }
    }
    c->npend = 0;
    if (!synced && PQstatus(pg) == CONNECTION_OK) {
        c->sl->broken = true; /* out of step with the server: never reuse */
        if (!err)
            err = RR_ERR_INTERNAL;
    } else if (PQstatus(pg) != CONNECTION_OK) {
        c->sl->broken = true;
        if (!err)
            err = map_state(NULL, PQerrorMessage(pg));
    } else if (!PQexitPipelineMode(pg)) {
        c->sl->broken = true;
        if (!err)
            err = RR_ERR_INTERNAL;
    }
    if (err && last) {
        PQclear(*last);
        *last = NULL;
    }
    if (!err)
        c->fresh = false;
    return err;
}

static int pipe_flush(struct conn *c, PGresult **last)
{
    return pipe_flush_keep(c, last, c->npend - 1);
}

int q_defer(struct conn *c, const char *sql, const struct arg *a, int na)
{
    if (na > ARGS_MAX || !c->in_tx)
        return RR_ERR_INTERNAL;
    int err = conn_acquire(c);
    if (!err && c->npend >= PG_PIPE_MAX)
        err = pipe_flush(c, NULL);
    if (!err)
        err = pipe_send(c, sql, a, na);
    return err;
}

/* Run sql with arguments; *out is the result on success (caller PQclear()s). */
static int q_run(struct conn *c, const char *sql, const struct arg *a, int na, PGresult **out)
{
    *out = NULL;
    if (na > ARGS_MAX)
        return RR_ERR_INTERNAL;
    int err = conn_acquire(c);
    if (err)
        return err;
    if (rr_fault(RR_FAULT_STORE_PREPARE))
        return RR_ERR_NOMEM;
    if (c->begin_pending || c->npend) {
        /* BEGIN and deferred statements go with this one */
        PGresult *r = NULL;
        err = pipe_send(c, sql, a, na);
        if (!err)
            err = pipe_flush(c, &r);
        if (!err && !r)
            err = RR_ERR_INTERNAL;
        if (!err && rr_fault(RR_FAULT_STORE_STEP)) {
            PQclear(r);
            return RR_ERR_IO;
        }
        *out = err ? NULL : r;
        return err;
    }
    char bufs[ARGS_MAX][32];
    const char *vals[ARGS_MAX];
    Oid types_v[ARGS_MAX];
    arg_values(a, na, bufs, vals, types_v);
    for (int attempt = 0;; attempt++) {
        char name[16];
        PGresult *r = NULL;
        if (stmt_name(c, sql, a, na, name, &r) == 0) {
            if (name[0])
                r = PQexecPrepared(c->sl->pg, name, na, vals, NULL, NULL, 0);
            else
                r = PQexecParams(c->sl->pg, sql, na, types_v, vals, NULL, NULL, 0);
        }
        ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
            if (rr_fault(RR_FAULT_STORE_STEP)) {
                PQclear(r);
                return RR_ERR_IO;
            }
            c->fresh = false;
            *out = r;
            return 0;
        }
        bool retry = c->fresh && !c->in_tx && attempt == 0 && link_lost(c);
        err = result_err(c, r);
        PQclear(r);
        if (!retry)
            return err;
        /* a stale connection (server restarted): nothing ran, try once on a new one */
        c->sl->broken = true;
        err = slot_connect(c);
        if (err)
            return err;
    }
}

int q_exec(struct conn *c, const char *sql, const struct arg *a, int na)
{
    PGresult *r;
    int err = q_run(c, sql, a, na, &r);
    if (err)
        return err;
    const char *n = PQcmdTuples(r);
    int changed = n && n[0] ? (int)strtol(n, NULL, 10) : 0;
    PQclear(r);
    return changed;
}

int q_one(struct conn *c, const char *sql, const struct arg *a, int na, row_fn fn, void *item)
{
    PGresult *r;
    int err = q_run(c, sql, a, na, &r);
    if (err)
        return err;
    if (PQntuples(r) < 1) {
        PQclear(r);
        return RR_ERR_NOTFOUND;
    }
    struct prow row = {r, 0};
    fn(&row, item);
    PQclear(r);
    return 0;
}

int q_list(struct conn *c, const char *sql, const struct arg *a, int na, size_t item_size,
           size_t max, row_fn fn, void **items, size_t *n)
{
    PGresult *r;
    *items = NULL;
    *n = 0;
    int err = q_run(c, sql, a, na, &r);
    if (err)
        return err;
    size_t rows = (size_t)PQntuples(r);
    if (rows > max)
        rows = max;
    if (rows == 0) {
        PQclear(r);
        return 0;
    }
    unsigned char *buf = rr_fault(RR_FAULT_STORE_ALLOC) ? NULL : calloc(rows, item_size);
    if (!buf) {
        PQclear(r);
        return RR_ERR_NOMEM;
    }
    for (size_t i = 0; i < rows; i++) {
        struct prow row = {r, (int)i};
        fn(&row, buf + i * item_size);
    }
    PQclear(r);
    *items = buf;
    *n = rows;
    return 0;
}

int q_simple(struct conn *c, const char *sql, char *msg, size_t msg_len)
{
    int err = conn_acquire(c);
    if (!err && (c->begin_pending || c->npend)) { /* BEGIN and deferred statements first */
        err = pipe_send(c, NULL, NULL, 0);
        if (!err)
            err = pipe_flush(c, NULL);
    }
    if (err)
        return err;
    for (int attempt = 0;; attempt++) {
        PGresult *r = PQexec(c->sl->pg, sql);
        ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
            PQclear(r);
            c->fresh = false;
            return 0;
        }
        bool retry = c->fresh && !c->in_tx && attempt == 0 && link_lost(c);
        if (msg && msg_len) {
            const char *t = r ? PQresultErrorMessage(r) : "";
            first_line(t && t[0] ? t : PQerrorMessage(c->sl->pg), msg, msg_len);
        }
        err = result_err(c, r);
        PQclear(r);
        if (!retry)
            return err;
        c->sl->broken = true;
        err = slot_connect(c);
        if (err)
            return err;
    }
}

/* ---- transactions -------------------------------------------------------------------------- */

int tx_begin(struct conn *c)
{
    if (rr_fault(RR_FAULT_STORE_BEGIN))
        return RR_ERR_BUSY;
    int err = conn_acquire(c);
    if (err)
        return err;
    /* BEGIN leaves with the first statement (one round trip less per transaction) */
    c->in_tx = true;
    c->begin_pending = true;
    return 0;
}

static void count_write(struct conn *c)
{
    pthread_mutex_lock(&c->p->mu);
    c->p->stats.writes++;
    c->p->stats.commits++;
    c->p->stats.batch_max = 1;
    pthread_mutex_unlock(&c->p->mu);
}

int tx_end(struct conn *c, int err)
{
    if (!c->in_tx)
        return err;
    c->in_tx = false;
    if (c->begin_pending && !c->npend) { /* nothing was sent: nothing to end */
        c->begin_pending = false;
        return err;
    }
    if (!err && rr_fault(RR_FAULT_STORE_COMMIT))
        err = RR_ERR_IO;
    if (c->sl->broken) {
        c->npend = 0;
        return err ? err : RR_ERR_IO;
    }
    if (!err) {
        /* COMMIT with whatever is still queued: their errors fail the commit */
        err = pipe_send(c, "COMMIT", NULL, 0);
        if (!err)
            err = pipe_flush(c, NULL);
        if (!err) {
            count_write(c);
            return 0;
        }
    } else if (c->npend) {
        pipe_flush(c, NULL); /* drain; the transaction is rolled back below */
    }
    if (c->sl->broken)
        return err;
    if (PQtransactionStatus(c->sl->pg) != PQTRANS_IDLE && q_simple(c, "ROLLBACK", NULL, 0) != 0)
        c->sl->broken = true;
    return err;
}

int tx_lock_key(struct conn *c, const char *a, const char *b)
{
    struct arg k[] = {arg_s(a), arg_s(b)};
    return q_defer(c,
                   "SELECT pg_advisory_xact_lock(hashtextextended("
                   "coalesce($1, '') || '/' || coalesce($2, ''), 0))",
                   k, NARGS(k));
}

/* ---- whole calls --------------------------------------------------------------------------- */

/* BEGIN, the statement and COMMIT in one round trip. */
int write1(struct store *s, const char *sql, const struct arg *a, int na)
{
    struct conn c;
    PGresult *r = NULL;
    conn_get(s, &c);
    int n = 0;
    int err = tx_begin(&c);
    if (!err && na > ARGS_MAX)
        err = RR_ERR_INTERNAL;
    if (!err && rr_fault(RR_FAULT_STORE_PREPARE))
        err = RR_ERR_NOMEM;
    int want = -1;
    if (!err) {
        err = pipe_send(&c, sql, a, na);
        want = c.npend - 1;
    }
    if (!err && rr_fault(RR_FAULT_STORE_COMMIT))
        err = RR_ERR_IO;
    if (!err)
        err = pipe_send(&c, "COMMIT", NULL, 0);
    if (!err)
        err = pipe_flush_keep(&c, &r, want);
    c.in_tx = false;
    c.begin_pending = false;
    if (!err) {
        const char *t = PQcmdTuples(r);
        n = t && t[0] ? (int)strtol(t, NULL, 10) : 0;
        count_write(&c);
    } else if (c.sl && !c.sl->broken) {
        if (c.npend)
            pipe_flush(&c, NULL);
        if (!c.sl->broken && PQtransactionStatus(c.sl->pg) != PQTRANS_IDLE &&
            q_simple(&c, "ROLLBACK", NULL, 0) != 0)
            c.sl->broken = true;
    }
    PQclear(r);
    conn_put(&c);
    return err ? err : n;
}

int write_row(struct store *s, const char *sql, const struct arg *a, int na)
{
    int n = write1(s, sql, a, na);
    if (n < 0)
        return n;
    return n == 0 ? RR_ERR_NOTFOUND : 0;
}

int read_one(struct store *s, const char *sql, const struct arg *a, int na, row_fn fn,
             void *item)
{
    struct conn c;
    conn_get(s, &c);
    int err = q_one(&c, sql, a, na, fn, item);
    conn_put(&c);
    return err;
}

int read_list(struct store *s, const char *sql, const struct arg *a, int na, size_t item_size,
              size_t max, row_fn fn, void **items, size_t *n)
{
    struct conn c;
    conn_get(s, &c);
    int err = q_list(&c, sql, a, na, item_size, max, fn, items, n);
    conn_put(&c);
    return err;
}
