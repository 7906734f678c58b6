/*
 * sqlite.c - the SQLite backend of the store (see store.h, docs/internals/store.md).
 *
 * DESIGN: a fixed pool of POOL_SIZE connections opened at store_open(), handed out under a
 * mutex + condition variable, so any number of threads can call the store; a connection is used
 * by one thread at a time (SQLITE_OPEN_NOMUTEX is then safe). Every connection runs WAL,
 * synchronous=FULL (a COMMIT that returned is on disk), foreign_keys=ON and a busy_timeout.
 * Writes run inside BEGIN IMMEDIATE, which takes the database's write lock up front: two
 * writers never deadlock upgrading from read to write, and a read-modify-write such as
 * job_claim is atomic against other processes.
 *
 * Group commit: every write of this process runs on one more connection, the write connection
 * (wdb), in turn under write_mu, each inside its own SAVEPOINT of a shared BEGIN IMMEDIATE
 * transaction, the batch. A writer that finishes while others queue on write_mu leaves the
 * batch open for them and waits for its result; the last one (nobody queued, or BATCH_MAX
 * members) COMMITs for everybody - one fsync - and wakes each member with its own result. So a
 * write that returns 0 is on disk as before, a failed write rolls back only its savepoint, a
 * failed COMMIT fails every member, and a lone writer commits at once (no added latency).
 * Callers run their own statements: no write is copied into a queue or handed to another
 * thread, which keeps every write function as it was (tx_begin ... tx_end).
 * Statements are prepared per call (cheap next to the fsync of a FULL commit) and bound through
 * a small argument array so every error path funnels through q_open()/q_step().
 */
#include "store/store_internal.h"
#include "store/store_rows.h"

#include "base/rr_assert.h"
#include "base/rr_error.h"
#include "base/rr_fault.h"
#include "base/rr_log.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define POOL_SIZE 4
#define WRITE_SLOT POOL_SIZE /* statement cache index of the write connection */
#define BUSY_TIMEOUT_MS 10000
#define BATCH_MAX 64                           /* writes committed together at most */
#define COMMIT_WAIT_MS (3 * BUSY_TIMEOUT_MS)   /* a member's wait for its batch's COMMIT */

/* Prepared statements kept per connection, keyed by SQL text (hash + strcmp: some SQL is built
 * in stack buffers, so the pointer alone proves nothing). Re-preparing on every call cost ~20 %
 * of an authenticated list request. A statement already running on this connection (a nested
 * query with the same text) is never handed out twice: that caller gets a fresh, uncached one. */
#define STMT_CACHE 64
struct stmt_entry {
    uint64_t hash;
    char *sql;
    sqlite3_stmt *st;
    bool busy;
};
struct stmt_cache {
    struct stmt_entry e[STMT_CACHE];
};

/* A write waiting for its batch's COMMIT: lives on the writer's stack, linked into the batch. */
struct member {
    int err; /* the write's own result, then the batch's when its COMMIT fails */
    bool done;
    struct member *next;
};

struct sq {
    struct store base; /* first: a struct store * is a struct sq * */
    pthread_mutex_t mu; /* the pool, and the batch bookkeeping below */
    pthread_cond_t cv;
    pthread_cond_t commit_cv; /* a batch finished (monotonic clock) */
    pthread_mutex_t write_mu; /* held while a statement of the batch runs on wdb */
    sqlite3 *db[POOL_SIZE];
    bool in_use[POOL_SIZE];
    sqlite3 *wdb;
    struct stmt_cache cache[POOL_SIZE + 1]; /* per pooled connection, then wdb's */
    /* under mu */
    int queued;              /* writers waiting for write_mu */
    struct member *members;  /* of the open batch */
    /* under write_mu */
    bool batch_open;         /* BEGIN IMMEDIATE done on wdb, COMMIT pending */
    int batch_n, batch_ok;   /* members, members whose savepoint was released */
    struct store_stats stats; /* under mu */
};

/* A connection checked out of the pool on first use (writes never need one), or wdb inside
 * tx_begin ... tx_end. */
struct conn {
    struct sq *sq;
    sqlite3 *db;
    int slot; /* -1 = none yet */
    bool in_tx;
    sqlite3 *pool_db; /* the pooled connection parked while in_tx */
    int pool_slot;
};

static struct sq *sq_of(struct store *s)
{
    return (struct sq *)s;
}

/* One log line for a storage failure (a full disk, an I/O error, corruption, a file SQLite
 * cannot open or write); constraint, busy and schema errors are normal flow and stay quiet. */
static void log_storage_error(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
        rr_log(RR_LOG_ERROR, "storage error", RR_LOG_STR("component", "sqlite"),
               RR_LOG_INT("sqlite_code", rc), RR_LOG_STR("error", sqlite3_errstr(rc)));
        break;
    default:
        break;
    }
}

static int map_rc(int rc)
{
    log_storage_error(rc);
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
        return RR_ERR_NOTFOUND; /* a referenced row (user, video, ...) does not exist */
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return RR_ERR_BUSY;
    case SQLITE_CONSTRAINT:
        return RR_ERR_CONFLICT;
    case SQLITE_NOMEM:
        return RR_ERR_NOMEM;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return RR_ERR_CORRUPT;
    case SQLITE_TOOBIG:
        return RR_ERR_TOOBIG;
    case SQLITE_FULL: /* the disk (or the database's size limit) is full: HTTP 507 */
        return RR_ERR_NOSPACE;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
        return RR_ERR_IO;
    default:
        return RR_ERR_INTERNAL;
    }
}

/* ---- connections and transactions ---------------------------------------------------------- */

static void conn_get(struct store *s, struct conn *c)
{
    *c = (struct conn){sq_of(s), NULL, -1, false, NULL, -1};
}

/* Check out a pooled connection unless c already has one (or wdb). */
static void conn_acquire(struct conn *c)
{
    struct sq *sq = c->sq;
    if (c->db)
        return;
    pthread_mutex_lock(&sq->mu);
    for (;;) {
        for (int i = 0; i < POOL_SIZE; i++) {
            if (!sq->in_use[i]) {
                sq->in_use[i] = true;
                pthread_mutex_unlock(&sq->mu);
                c->db = sq->db[i];
                c->slot = i;
                return;
            }
        }
        pthread_cond_wait(&sq->cv, &sq->mu);
    }
}

static void conn_put(struct conn *c)
{
    RR_ASSERT(!c->in_tx); /* every tx_begin has its tx_end before the connection goes back */
    if (c->slot < 0)
        return;
    pthread_mutex_lock(&c->sq->mu);
    RR_ASSERT(c->sq->in_use[c->slot]);
    c->sq->in_use[c->slot] = false;
    pthread_cond_signal(&c->sq->cv);
    pthread_mutex_unlock(&c->sq->mu);
    c->db = NULL;
    c->slot = -1;
}

/* Every member of the open batch gets its result (err != 0: the batch's failure), and the
 * batch is closed. Caller holds write_mu. */
static void batch_finish(struct sq *sq, int err)
{
    pthread_mutex_lock(&sq->mu);
    for (struct member *m = sq->members; m; m = m->next) {
        if (err)
            m->err = err;
        m->done = true;
    }
    sq->members = NULL;
    if (!err && sq->batch_ok > 0) {
        sq->stats.commits++;
        sq->stats.writes += sq->batch_ok;
        if (sq->batch_n > sq->stats.batch_max)
            sq->stats.batch_max = sq->batch_n;
    }
    pthread_cond_broadcast(&sq->commit_cv);
    pthread_mutex_unlock(&sq->mu);
    sq->batch_open = false;
    sq->batch_n = sq->batch_ok = 0;
}

/* COMMIT the open batch (ROLLBACK when no member kept anything) and wake its members. */
static void batch_commit(struct sq *sq)
{
    int err = 0;
    if (sq->batch_ok > 0 && rr_fault(RR_FAULT_STORE_COMMIT))
        err = RR_ERR_IO; /* as if the fsync failed: every member fails, nothing is kept */
    if (!err) {
        int rc = sqlite3_exec(sq->wdb, sq->batch_ok > 0 ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
        if (rc != SQLITE_OK)
            err = map_rc(rc);
    }
    if (err && !sqlite3_get_autocommit(sq->wdb))
        sqlite3_exec(sq->wdb, "ROLLBACK", NULL, NULL, NULL);
    batch_finish(sq, err);
}

/* Give up write_mu. Whoever leaves an open batch commits it, unless another writer is queued
 * for write_mu and the batch has room: that writer then inherits the duty. */
static void writer_leave(struct sq *sq)
{
    if (sq->batch_open) {
        pthread_mutex_lock(&sq->mu);
        bool pass = sq->queued > 0 && sq->batch_n < BATCH_MAX;
        pthread_mutex_unlock(&sq->mu);
        if (!pass)
            batch_commit(sq);
    }
    pthread_mutex_unlock(&sq->write_mu);
}

static int tx_begin(struct conn *c)
{
    struct sq *sq = c->sq;
    int err = 0;
    RR_ASSERT(!c->in_tx);
    pthread_mutex_lock(&sq->mu);
    sq->queued++;
    pthread_mutex_unlock(&sq->mu);
    pthread_mutex_lock(&sq->write_mu);
    pthread_mutex_lock(&sq->mu);
    sq->queued--;
    pthread_mutex_unlock(&sq->mu);
    if (rr_fault(RR_FAULT_STORE_BEGIN)) {
        err = RR_ERR_BUSY;
    } else if (!sq->batch_open) {
        int rc = sqlite3_exec(sq->wdb, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        if (rc != SQLITE_OK)
            err = map_rc(rc);
        sq->batch_open = !err;
    }
    if (!err) {
        int rc = sqlite3_exec(sq->wdb, "SAVEPOINT w", NULL, NULL, NULL);
        if (rc != SQLITE_OK)
            err = map_rc(rc);
    }
    if (err) {
        writer_leave(sq);
        return err;
    }
    sq->batch_n++;
    c->in_tx = true;
    c->pool_db = c->db;
    c->pool_slot = c->slot;
    c->db = sq->wdb;
    c->slot = WRITE_SLOT;
    return 0;
}

/* Keep this write's changes (err == 0) or roll back its savepoint only; then wait for the
 * batch's COMMIT. Returns err, or the COMMIT failure, or TIMEOUT (outcome unknown). */
static int tx_end(struct conn *c, int err)
{
    struct sq *sq = c->sq;
    if (!c->in_tx)
        return err;
    if (!err) {
        int rc = sqlite3_exec(sq->wdb, "RELEASE w", NULL, NULL, NULL);
        if (rc != SQLITE_OK)
            err = map_rc(rc);
    }
    if (err && !sqlite3_get_autocommit(sq->wdb))
        sqlite3_exec(sq->wdb, "ROLLBACK TO w; RELEASE w", NULL, NULL, NULL);
    struct member me = {err, false, NULL};
    c->in_tx = false;
    c->db = c->pool_db;
    c->slot = c->pool_slot;
    if (sqlite3_get_autocommit(sq->wdb)) {
        /* SQLite rolled the whole transaction back (I/O error, full disk, out of memory): the
         * batch is lost, every member fails */
        if (!err)
            err = RR_ERR_IO;
        me.err = err;
        batch_finish(sq, err);
        pthread_mutex_unlock(&sq->write_mu);
        return err;
    }
    if (!err)
        sq->batch_ok++;
    pthread_mutex_lock(&sq->mu);
    me.next = sq->members;
    sq->members = &me;
    pthread_mutex_unlock(&sq->mu);
    writer_leave(sq);

    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += COMMIT_WAIT_MS / 1000;
    pthread_mutex_lock(&sq->mu);
    while (!me.done) {
        if (pthread_cond_timedwait(&sq->commit_cv, &sq->mu, &deadline) == ETIMEDOUT && !me.done) {
            /* unlink: the batch may still commit, so the outcome is unknown */
            for (struct member **p = &sq->members; *p; p = &(*p)->next)
                if (*p == &me) {
                    *p = me.next;
                    break;
                }
            me.err = RR_ERR_TIMEOUT;
            break;
        }
    }
    pthread_mutex_unlock(&sq->mu);
    return me.err;
}

/* ---- statements ------------------------------------------------------------------------------ */

struct arg {
    char type; /* 's' text (NULL binds SQL NULL), 'i' int64, 'd' double */
    const char *s;
    int64_t i;
    double d;
};

static struct arg arg_s(const char *s)
{
    return (struct arg){'s', s, 0, 0.0};
}

static struct arg arg_i(int64_t i)
{
    return (struct arg){'i', NULL, i, 0.0};
}

static struct arg arg_d(double d)
{
    return (struct arg){'d', NULL, 0, d};
}

#define NARGS(a) ((int)(sizeof(a) / sizeof((a)[0])))

static uint64_t sql_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* A cached statement for sql on this connection, preparing and caching it when there is room;
 * *cached = false means the caller owns a fresh statement that q_close() will finalize. */
static int stmt_get(struct conn *c, const char *sql, sqlite3_stmt **st, bool *cached)
{
    struct stmt_cache *sc = &c->sq->cache[c->slot];
    uint64_t h = sql_hash(sql);
    struct stmt_entry *free_slot = NULL;
    *cached = false;
    for (int i = 0; i < STMT_CACHE; i++) {
        struct stmt_entry *e = &sc->e[i];
        if (!e->sql) {
            if (!free_slot)
                free_slot = e;
            continue;
        }
        if (e->hash == h && !e->busy && strcmp(e->sql, sql) == 0) {
            e->busy = true;
            *st = e->st;
            *cached = true;
            return SQLITE_OK;
        }
    }
    int rc = sqlite3_prepare_v3(c->db, sql, -1, free_slot ? SQLITE_PREPARE_PERSISTENT : 0, st,
                                NULL);
    if (rc != SQLITE_OK || !free_slot)
        return rc;
    char *copy = strdup(sql);
    if (!copy)
        return SQLITE_OK; /* still usable, just not cached */
    *free_slot = (struct stmt_entry){h, copy, *st, true};
    *cached = true;
    return SQLITE_OK;
}

/* Done with a statement from q_open(): reset a cached one for its next use, finalize others. */
static void q_close(struct conn *c, sqlite3_stmt *st)
{
    struct stmt_cache *sc = &c->sq->cache[c->slot];
    for (int i = 0; i < STMT_CACHE; i++)
        if (sc->e[i].st == st && sc->e[i].busy) {
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            sc->e[i].busy = false;
            return;
        }
    sqlite3_finalize(st);
}

static void stmt_cache_clear(struct stmt_cache *sc)
{
    for (int i = 0; i < STMT_CACHE; i++) {
        sqlite3_finalize(sc->e[i].st);
        free(sc->e[i].sql);
        sc->e[i] = (struct stmt_entry){0};
    }
}

/* Empty text binds as NULL: optional ids (user_id of a system job, video_id) are "" in records. */
static int q_open(struct conn *c, const char *sql, const struct arg *a, int na, sqlite3_stmt **st)
{
    bool cached = false;
    conn_acquire(c);
    if (rr_fault(RR_FAULT_STORE_PREPARE)) {
        *st = NULL;
        return RR_ERR_NOMEM;
    }
    int rc = stmt_get(c, sql, st, &cached);
    for (int i = 0; rc == SQLITE_OK && i < na; i++) {
        if (a[i].type == 's' && a[i].s && a[i].s[0])
            rc = sqlite3_bind_text(*st, i + 1, a[i].s, -1, SQLITE_TRANSIENT);
        else if (a[i].type == 's')
            rc = sqlite3_bind_null(*st, i + 1);
        else if (a[i].type == 'i')
            rc = sqlite3_bind_int64(*st, i + 1, a[i].i);
        else
            rc = sqlite3_bind_double(*st, i + 1, a[i].d);
    }
    if (rc != SQLITE_OK) {
        if (*st && cached)
            q_close(c, *st);
        else
            sqlite3_finalize(*st); /* NULL when prepare failed */
        *st = NULL;
        return map_rc(rc);
    }
    return 0;
}

/* 1 = a row is ready, 0 = done, < 0 = error. */
static int q_step(sqlite3_stmt *st)
{
    if (rr_fault(RR_FAULT_STORE_STEP))
        return RR_ERR_IO;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    return map_rc(sqlite3_extended_errcode(sqlite3_db_handle(st)));
}

/* Run a statement to completion; returns the number of rows changed or an error. */
static int q_exec(struct conn *c, const char *sql, const struct arg *a, int na)
{
    sqlite3_stmt *st;
    int err = q_open(c, sql, a, na, &st);
    if (err)
        return err;
    do
        err = q_step(st);
    while (err == 1);
    q_close(c, st);
    return err ? err : sqlite3_changes(c->db);
}

static void col_text(sqlite3_stmt *st, int i, char *dst, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    size_t len = t ? strlen((const char *)t) : 0;
    if (len >= cap)
        len = cap - 1;
    memcpy(dst, t ? (const char *)t : "", len);
    dst[len] = '\0';
}

/* One write statement in its own transaction; returns rows changed or an error. */
static int write1(struct store *s, const char *sql, const struct arg *a, int na)
{
    struct conn c;
    conn_get(s, &c);
    int n = 0;
    int err = tx_begin(&c);
    if (!err) {
        n = q_exec(&c, sql, a, na);
        if (n < 0)
            err = n;
    }
    err = tx_end(&c, err);
    conn_put(&c);
    return err ? err : n;
}

/* A write that must touch a row: 0 changes = NOTFOUND. */
static int write_row(struct store *s, const char *sql, const struct arg *a, int na)
{
    int n = write1(s, sql, a, na);
    if (n < 0)
        return n;
    return n == 0 ? RR_ERR_NOTFOUND : 0;
}

typedef void (*row_fn)(sqlite3_stmt *st, void *item);

/* Read the first row into item (NOTFOUND when there is none). */
static int q_one(struct conn *c, const char *sql, const struct arg *a, int na, row_fn fn,
                 void *item)
{
    sqlite3_stmt *st;
    int err = q_open(c, sql, a, na, &st);
    if (err)
        return err;
    err = q_step(st);
    if (err == 1)
        fn(st, item);
    q_close(c, st);
    return err == 1 ? 0 : err == 0 ? RR_ERR_NOTFOUND : err;
}

static int read_one(struct store *s, const char *sql, const struct arg *a, int na, row_fn fn,
                    void *item)
{
    struct conn c;
    conn_get(s, &c);
    int err = q_one(&c, sql, a, na, fn, item);
    conn_put(&c);
    return err;
}

/* Read up to max rows into a malloc'd array of item_size records. */
static int q_list(struct conn *c, const char *sql, const struct arg *a, int na, size_t item_size,
                  size_t max, row_fn fn, void **items, size_t *n)
{
    sqlite3_stmt *st;
    unsigned char *buf = NULL;
    size_t cap = 0;
    *items = NULL;
    *n = 0;
    int err = q_open(c, sql, a, na, &st);
    if (err)
        return err;
    while (*n < max) {
        err = q_step(st);
        if (err != 1)
            break;
        if (*n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            if (ncap > max)
                ncap = max;
            unsigned char *nb =
                rr_fault(RR_FAULT_STORE_ALLOC) ? NULL : realloc(buf, ncap * item_size);
            if (!nb) {
                err = RR_ERR_NOMEM;
                break;
            }
            buf = nb;
            cap = ncap;
        }
        memset(buf + *n * item_size, 0, item_size);
        fn(st, buf + *n * item_size);
        (*n)++;
    }
    q_close(c, st);
    if (err < 0) {
        free(buf);
        *n = 0;
        return err;
    }
    *items = buf;
    return 0;
}

static int read_list(struct store *s, const char *sql, const struct arg *a, int na,
                     size_t item_size, size_t max, row_fn fn, void **items, size_t *n)
{
    struct conn c;
    conn_get(s, &c);
    int err = q_list(&c, sql, a, na, item_size, max, fn, items, n);
    conn_put(&c);
    return err;
}

/* ---- open / close / migrate ------------------------------------------------------------------ */

static const struct store_ops sqlite_ops;

static void sq_close(struct store *s)
{
    struct sq *sq = sq_of(s);
    for (int i = 0; i <= POOL_SIZE; i++) {
        stmt_cache_clear(&sq->cache[i]);
        sqlite3_close(i == WRITE_SLOT ? sq->wdb : sq->db[i]); /* NULL is a no-op */
    }
    pthread_mutex_destroy(&sq->mu);
    pthread_cond_destroy(&sq->cv);
    pthread_cond_destroy(&sq->commit_cv);
    pthread_mutex_destroy(&sq->write_mu);
    free(sq);
}

static int open_one(const char *path, sqlite3 **db, char *msg, size_t msg_len)
{
    static const char setup[] = "PRAGMA journal_mode=WAL;"
                                "PRAGMA synchronous=FULL;"
                                "PRAGMA foreign_keys=ON;"
                                "PRAGMA trusted_schema=OFF;";
    int rc = sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                           SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_extended_result_codes(*db, 1);
        sqlite3_busy_timeout(*db, BUSY_TIMEOUT_MS);
        rc = sqlite3_exec(*db, setup, NULL, NULL, NULL);
        /* switching a new file to WAL can report BUSY without calling the busy handler when
         * several processes open it at once: retry for up to the busy timeout */
        for (int waited = 0; (rc & 0xff) == SQLITE_BUSY && waited < BUSY_TIMEOUT_MS;
             waited += 10) {
            usleep(10000);
            rc = sqlite3_exec(*db, setup, NULL, NULL, NULL);
        }
    }
    if (rc != SQLITE_OK) {
        store__msg(msg, msg_len, "cannot open database %s: %s", path,
                   *db ? sqlite3_errmsg(*db) : sqlite3_errstr(rc));
        return map_rc(rc);
    }
    return 0;
}

/* SQLite's own diagnostics (SQLITE_CONFIG_LOG) where they say more than a result code: where
 * corruption was found, a WAL recovered after a crash. (Every failed call is also logged by
 * map_rc: SQLite does not log a full disk met at COMMIT.) */
static void sqlite_error_log(void *ctx, int code, const char *text)
{
    (void)ctx;
    int c = code & 0xff;
    if (c != SQLITE_CORRUPT && c != SQLITE_NOTADB && c != SQLITE_WARNING && c != SQLITE_NOTICE)
        return;
    rr_log(c == SQLITE_NOTICE ? RR_LOG_INFO : RR_LOG_WARN, "sqlite diagnostic",
           RR_LOG_INT("sqlite_code", code), RR_LOG_STR("detail", text));
}

static void sqlite_log_setup(void)
{
    /* Only possible before SQLite initialises; a process that used SQLite earlier keeps its own
     * logger (SQLITE_MISUSE, ignored). */
    (void)sqlite3_config(SQLITE_CONFIG_LOG, sqlite_error_log, NULL);
}

int store__sqlite_open(const char *path, struct store **out, char *msg, size_t msg_len)
{
    static pthread_once_t log_once = PTHREAD_ONCE_INIT;
    pthread_once(&log_once, sqlite_log_setup);
    if (!path[0] || strcmp(path, ":memory:") == 0) {
        /* every pooled connection would see its own empty database */
        store__msg(msg, msg_len, "sqlite url needs a file path");
        return RR_ERR_INVAL;
    }
    if (!sqlite3_threadsafe()) {
        store__msg(msg, msg_len, "sqlite library built without thread support");
        return RR_ERR_UNSUPPORTED;
    }
    struct sq *sq = calloc(1, sizeof *sq);
    if (!sq)
        return RR_ERR_NOMEM;
    sq->base.ops = &sqlite_ops;
    store_set_clock(&sq->base, NULL, NULL);
    pthread_mutex_init(&sq->mu, NULL);
    pthread_cond_init(&sq->cv, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* commit waits have a deadline */
    pthread_cond_init(&sq->commit_cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&sq->write_mu, NULL);
    int err = 0;
    for (int i = 0; i <= POOL_SIZE && !err; i++)
        err = open_one(path, i == WRITE_SLOT ? &sq->wdb : &sq->db[i], msg, msg_len);
    if (err) {
        sq_close(&sq->base);
        return err;
    }
    *out = &sq->base;
    return 0;
}

static void row_int(sqlite3_stmt *st, void *item)
{
    *(int *)item = sqlite3_column_int(st, 0);
}

static int sq_schema_version_c(struct conn *c, int *version)
{
    static const char has[] =
        "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='schema_version'";
    int n = 0;
    *version = 0;
    int err = q_one(c, has, NULL, 0, row_int, &n);
    if (!err && n > 0)
        err = q_one(c, "SELECT coalesce(max(version), 0) FROM schema_version", NULL, 0, row_int,
                    version);
    return err;
}

static int sq_schema_version(struct store *s, int *version)
{
    struct conn c;
    conn_get(s, &c);
    int err = sq_schema_version_c(&c, version);
    conn_put(&c);
    return err;
}

static int sq_migrate(struct store *s, int *applied, char *msg, size_t msg_len)
{
    static const char create[] = "CREATE TABLE IF NOT EXISTS schema_version ("
                                 " version INTEGER PRIMARY KEY,"
                                 " name TEXT NOT NULL,"
                                 " applied_at INTEGER NOT NULL)";
    size_t nm;
    const struct store_migration *m = store__sqlite_migrations(&nm);
    int known = m[nm - 1].version;
    struct conn c;
    int err = 0;
    *applied = 0;
    conn_get(s, &c);
    for (size_t i = 0; i < nm && !err; i++) {
        int current = 0;
        /* each version in its own write transaction: a second process waits on the lock, then
         * sees the version already recorded and skips it */
        err = tx_begin(&c);
        if (!err)
            err = q_exec(&c, create, NULL, 0);
        if (err >= 0)
            err = sq_schema_version_c(&c, &current);
        if (!err && current > known) {
            store__msg(msg, msg_len,
                       "database schema version %d is newer than this binary knows (%d): "
                       "upgrade repright",
                       current, known);
            err = RR_ERR_UNSUPPORTED;
        }
        /* a version is applied unless recorded (not "unless a higher one is"): branches that
         * reserved numbers land in any order (webhooks took 8 before 7 existed) */
        int have = 0;
        if (!err) {
            struct arg v[] = {arg_i(m[i].version)};
            err = q_one(&c, "SELECT count(*) FROM schema_version WHERE version = ?1", v,
                        NARGS(v), row_int, &have);
        }
        if (!err && !have) {
            char *emsg = NULL;
            int rc = sqlite3_exec(c.db, m[i].sql, NULL, NULL, &emsg);
            if (rc != SQLITE_OK) {
                store__msg(msg, msg_len, "migration %d (%s) failed: %s", m[i].version,
                           m[i].name, emsg ? emsg : sqlite3_errstr(rc));
                err = map_rc(rc);
            }
            sqlite3_free(emsg);
            if (!err) {
                struct arg a[] = {arg_i(m[i].version), arg_s(m[i].name), arg_i(store_now(s))};
                err = q_exec(&c, "INSERT INTO schema_version VALUES (?1, ?2, ?3)", a, NARGS(a));
            }
            if (err >= 0) {
                err = 0;
                (*applied)++;
            }
        }
        err = tx_end(&c, err);
    }
    conn_put(&c);
    if (err && msg && msg_len && !msg[0])
        store__msg(msg, msg_len, "migration failed: %s", rr_strerror(err));
    return err;
}

static void row_text0(sqlite3_stmt *st, void *item)
{
    col_text(st, 0, item, 256);
}

static int sq_check(struct store *s, char *msg, size_t msg_len)
{
    char result[256];
    int err = read_one(s, "PRAGMA integrity_check", NULL, 0, row_text0, result);
    if (!err && strcmp(result, "ok") != 0) {
        store__msg(msg, msg_len, "integrity check: %s", result);
        return RR_ERR_CORRUPT;
    }
    if (err)
        store__msg(msg, msg_len, "integrity check failed: %s", rr_strerror(err));
    return err;
}

/* ---- users ----------------------------------------------------------------------------------- */

static void row_user(sqlite3_stmt *st, void *item)
{
    struct store_user *u = item;
    col_text(st, 0, u->id, sizeof u->id);
    col_text(st, 1, u->email, sizeof u->email);
    col_text(st, 2, u->password_hash, sizeof u->password_hash);
    col_text(st, 3, u->role, sizeof u->role);
    u->created_at = sqlite3_column_int64(st, 4);
    col_text(st, 5, u->plan, sizeof u->plan);
    col_text(st, 6, u->org_id, sizeof u->org_id);
}

static int sq_user_create(struct store *s, const char *email, const char *hash, const char *role,
                          struct store_user *out)
{
    memset(out, 0, sizeof *out);
    store_new_id(out->id);
    store__copy(out->email, sizeof out->email, email);
    store__copy(out->password_hash, sizeof out->password_hash, hash);
    store__copy(out->role, sizeof out->role, role);
    store__copy(out->plan, sizeof out->plan, "free");
    out->created_at = store_now(s);
    struct arg a[] = {arg_s(out->id), arg_s(email), arg_s(hash), arg_s(role),
                      arg_i(out->created_at)};
    int n = write1(s, "INSERT INTO users (" USER_COLS ") VALUES (?1, ?2, ?3, ?4, ?5)", a,
                   NARGS(a));
    return n < 0 ? n : 0;
}

static int sq_user_get(struct store *s, const char *id, const char *email,
                       struct store_user *out)
{
    struct arg a[] = {arg_s(id ? id : email)};
    return read_one(s,
                    id ? USER_SELECT "WHERE id = ?1"
                       : USER_SELECT "WHERE lower(email) = lower(?1)",
                    a, NARGS(a), row_user, out);
}

static int sq_user_set_password(struct store *s, const char *id, const char *hash)
{
    struct arg a[] = {arg_s(id), arg_s(hash)};
    return write_row(s, "UPDATE users SET password_hash = ?2 WHERE id = ?1", a, NARGS(a));
}

/* ---- partner outbox (store.h): rows written inside an action's transaction ----------------- */

/* ev's rows about user_id (workout_id NULL = none) inside c's transaction: one per consent row of
 * user_id whose shares hold ev->shares (org_id non-NULL: that org's alone), in link order. */
static int outbox_add(struct conn *c, int64_t now, const struct store_outbox_event *ev,
                      const char *user_id, const char *org_id, const char *workout_id)
{
    if (!ev)
        return 0;
    /* "" binds as NULL: the coalesces keep the columns' '' */
    struct arg a[] = {arg_s(ev->type), arg_s(user_id), arg_s(org_id), arg_s(workout_id),
                      arg_s(ev->data), arg_i(now),     arg_i(ev->shares)};
    int n = q_exec(c,
                   "INSERT INTO partner_outbox (type, org_id, user_id, workout_id, data, "
                   "created_at) SELECT ?1, org_id, ?2, coalesce(?4, ''), coalesce(?5, ''), ?6 "
                   "FROM org_members WHERE user_id = ?2 AND (?3 IS NULL OR org_id = ?3) "
                   "AND (shares & ?7) = ?7 ORDER BY created_at, org_id",
                   a, NARGS(a));
    return n < 0 ? n : 0;
}

/* write_row's statement, after ev's rows (read while the rows the statement removes are still
 * there), in one transaction: 0 changes = NOTFOUND, and nothing is recorded. */
static int write_row_ev(struct store *s, const char *sql, const struct arg *a, int na,
                        const struct store_outbox_event *ev, const char *user_id,
                        const char *org_id)
{
    if (!ev)
        return write_row(s, sql, a, na);
    struct conn c;
    conn_get(s, &c);
    int err = tx_begin(&c);
    if (!err)
        err = outbox_add(&c, store_now(s), ev, user_id, org_id, NULL);
    if (!err) {
        int n = q_exec(&c, sql, a, na);
        err = n < 0 ? n : n == 0 ? RR_ERR_NOTFOUND : 0;
    }
    err = tx_end(&c, err);
    conn_put(&c);
    return err;
}

/* The user's monthly usage counters have no foreign key (a subject is a user or an org): they
 * go in the transaction that deletes the row, after ev's rows (read while the consents are
 * there); the orgs' counters stay (aggregates, no person in them). 0 rows = NOTFOUND. */
static int sq_user_delete(struct store *s, const char *id, const struct store_outbox_event *ev)
{
    struct arg a[] = {arg_s(id)};
    struct conn c;
    conn_get(s, &c);
    int err = tx_begin(&c);
    if (!err && ev)
        err = outbox_add(&c, store_now(s), ev, id, NULL, NULL);
    if (!err) {
        int n = q_exec(&c,
                       "DELETE FROM usage_monthly WHERE subject_kind = 'user' AND subject_id = ?1",
                       a, NARGS(a));
        err = n < 0 ? n : 0;
    }
    if (!err) {
        int n = q_exec(&c, "DELETE FROM users WHERE id = ?1", a, NARGS(a));
        err = n < 0 ? n : n == 0 ? RR_ERR_NOTFOUND : 0;
    }
    err = tx_end(&c, err);
    conn_put(&c);
    return err;
}

/* ---- refresh tokens -------------------------------------------------------------------------- */

static void row_refresh(sqlite3_stmt *st, void *item)
{
    struct store_refresh *r = item;
    col_text(st, 0, r->id, sizeof r->id);
    col_text(st, 1, r->user_id, sizeof r->user_id);
    col_text(st, 2, r->family_id, sizeof r->family_id);
    col_text(st, 3, r->token_hash, sizeof r->token_hash);
    r->created_at = sqlite3_column_int64(st, 4);
    r->expires_at = sqlite3_column_int64(st, 5);
    r->used_at = sqlite3_column_int64(st, 6);
    r->revoked_at = sqlite3_column_int64(st, 7);
}

static int refresh_insert(struct conn *c, int64_t now, const char *user_id, const char *family_id,
                          const char *hash, int64_t expires_at, struct store_refresh *out)
{
    memset(out, 0, sizeof *out);
    store_new_id(out->id);
    store__copy(out->user_id, sizeof out->user_id, user_id);
    if (family_id)
        store__copy(out->family_id, sizeof out->family_id, family_id);
    else
        store_new_id(out->family_id);
    store__copy(out->token_hash, sizeof out->token_hash, hash);
    out->created_at = now;
    out->expires_at = expires_at;
    struct arg a[] = {arg_s(out->id), arg_s(user_id),   arg_s(out->family_id),
                      arg_s(hash),    arg_i(now),       arg_i(expires_at)};
    int n = q_exec(c,
                   "INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, created_at, "
                   "expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                   a, NARGS(a));
    return n < 0 ? n : 0;
}

static int sq_refresh_create(struct store *s, const char *user_id, const char *family_id,
                             const char *token_hash, int64_t expires_at,
                             struct store_refresh *out)
{
    struct conn c;
    conn_get(s, &c);
    int err = tx_begin(&c);
    if (!err)
        err = refresh_insert(&c, store_now(s), user_id, family_id, token_hash, expires_at, out);
    err = tx_end(&c, err);
    conn_put(&c);
    return err;
}

static int sq_refresh_get(struct store *s, const char *token_hash, struct store_refresh *out)
{
    struct arg a[] = {arg_s(token_hash)};
    return read_one(s, "SELECT " REFRESH_COLS " FROM refresh_tokens WHERE token_hash = ?1", a,
                    NARGS(a), row_refresh, out);
}

static int sq_refresh_rotate(struct store *s, const char *old_hash, const char *new_hash,
                             int64_t new_expires_at, int64_t grace_ms,
                             struct store_refresh *out_new)
{
    struct store_refresh old;
    int64_t now = store_now(s);
    struct conn c;
    conn_get(s, &c);
    int err = tx_begin(&c);
    if (err)
        goto out;
    struct arg a[] = {arg_s(old_hash)};
    err = q_one(&c, "SELECT " REFRESH_COLS " FROM refresh_tokens WHERE token_hash = ?1", a,
                NARGS(a), row_refresh, &old);
    if (err)
        goto out;
    if (old.revoked_at) {
        err = RR_ERR_UNAUTHENTICATED;
        goto out;
    }
    if (old.used_at && grace_ms > 0 && now - old.used_at <= grace_ms) {
        /* the same client again within the grace period (two tabs): its successor, if that is
         * the one new_hash names and it is still fresh */
        struct store_refresh next;
        struct arg g[] = {arg_s(new_hash)};
        err = q_one(&c, "SELECT " REFRESH_COLS " FROM refresh_tokens WHERE token_hash = ?1", g,
                    NARGS(g), row_refresh, &next);
        if (err && err != RR_ERR_NOTFOUND)
            goto out;
        if (!err && strcmp(next.family_id, old.family_id) == 0 && !next.used_at &&
            !next.revoked_at && next.expires_at > now) {
            *out_new = next;
            goto out;
        }
        err = 0;
    }
    if (old.used_at) {
        /* reuse of a spent token: someone holds a copy, end the whole family (RFC 9700) */
        struct arg r[] = {arg_s(old.family_id), arg_i(now)};
        err = q_exec(&c,
                     "UPDATE refresh_tokens SET revoked_at = ?2 "
                     "WHERE family_id = ?1 AND revoked_at IS NULL",
                     r, NARGS(r));
        if (err >= 0)
            err = tx_end(&c, 0);
        if (!err)
            err = RR_ERR_CONFLICT;
        goto out;
    }
    if (old.expires_at <= now) {
        err = RR_ERR_UNAUTHENTICATED;
        goto out;
    }
    struct arg u[] = {arg_s(old.id), arg_i(now)};
    err = q_exec(&c, "UPDATE refresh_tokens SET used_at = ?2 WHERE id = ?1", u, NARGS(u));
    if (err >= 0)
        err = refresh_insert(&c, now, old.user_id, old.family_id, new_hash, new_expires_at,
                             out_new);
out:
    err = tx_end(&c, err);
    conn_put(&c);
    return err;
}

static int sq_refresh_revoke(struct store *s, const char *family_id, const char *user_id)
{
    struct arg a[] = {arg_s(family_id ? family_id : user_id), arg_i(store_now(s))};
    int n = write1(s,
                   family_id ? "UPDATE refresh_tokens SET revoked_at = ?2 "
                               "WHERE family_id = ?1 AND revoked_at IS NULL"
                             : "UPDATE refresh_tokens SET revoked_at = ?2 "
                               "WHERE user_id = ?1 AND revoked_at IS NULL",
                   a, NARGS(a));
    return n < 0 ? n : 0;
}

/* ---- videos ---------------------------------------------------------------------------------- */

/* Lists: first two columns are always id, created_at (the cursor). Rows after the cursor
 * (t, id) in newest-first order. */
#define PAGE_WHERE "user_id = ?1 AND (created_at < ?2 OR (created_at = ?2 AND id < ?3))"
#define PAGE_ORDER " ORDER BY created_at DESC, id DESC LIMIT ?4"

static void row_video(sqlite3_stmt *st, void *item)
{
    struct store_video *v = item;
    col_text(st, 0, v->id, sizeof v->id);
    v->created_at = sqlite3_column_int64(st, 1);
    col_text(st, 2, v->user_id, sizeof v->user_id);
    col_text(st, 3, v->blob_key, sizeof v->blob_key);
    col_text(st, 4, v->sha256, sizeof v->sha256);
    v->size = sqlite3_column_int64(st, 5);
    v->duration_ms = sqlite3_column_int64(st, 6);
    col_text(st, 7, v->status, sizeof v->status);
    col_text(st, 8, v->error, sizeof v->error); /* every SELECT adds ", error" */
}

static int sq_video_create(struct store *s, const struct store_video *v)
{
    struct arg a[] = {arg_s(v->id),   arg_i(v->created_at), arg_s(v->user_id),
                      arg_s(v->blob_key), arg_s(v->sha256),
                      arg_i(v->size), arg_i(v->duration_ms), arg_s(v->status)};
    int n = write1(s,
                   "INSERT INTO videos (" VIDEO_COLS ") "
                   "VALUES (?1, ?2, ?3, ?4, coalesce(?5, ''), ?6, ?7, ?8)",
                   a, NARGS(a));
    return n < 0 ? n : 0;
}

static int sq_video_get(struct store *s, const char *user_id, const char *id,
                        struct store_video *out)
{
    struct arg a[] = {arg_s(id), arg_s(user_id)};
    return read_one(s,
                    "SELECT " VIDEO_COLS ", error FROM videos WHERE id = ?1 "
                    "AND (?2 IS NULL OR user_id = ?2)",
                    a, NARGS(a), row_video, out);
}

struct wk_owner {
    char id[STORE_ID_LEN + 1];
    char user_id[STORE_ID_LEN + 1];
};

static void row_wk_owner(sqlite3_stmt *st, void *item)
{
    struct wk_owner *o = item;
    col_text(st, 0, o->id, sizeof o->id);
    col_text(st, 1, o->user_id, sizeof o->user_id);
}

static int sq_video_set_status(struct store *s, const char *id, const char *status,
                               int64_t duration_ms, const struct store_outbox_event *ev)
{
    static const char sql[] = "UPDATE videos SET status = ?2, error = '', duration_ms = "
                              "CASE WHEN ?3 >= 0 THEN ?3 ELSE duration_ms END WHERE id = ?1";
    struct arg a[] = {arg_s(id), arg_s(status), arg_i(duration_ms)};
    if (!ev)
        return write_row(s, sql, a, NARGS(a));
    struct conn c;
    struct wk_owner w;
    conn_get(s, &c);
    int err = tx_begin(&c);
    if (!err) {
        int n = q_exec(&c, sql, a, NARGS(a));
        err = n < 0 ? n : n == 0 ? RR_ERR_NOTFOUND : 0;
    }
    if (!err) { /* the event is about the video's workout: none, no event */
        struct arg v[] = {arg_s(id)};
        err = q_one(&c, "SELECT id, user_id FROM workouts WHERE video_id = ?1", v, NARGS(v),
                    row_wk_owner, &w);
        if (!err)
            err = outbox_add(&c, store_now(s), ev, w.user_id, NULL, w.id);
        else if (err == RR_ERR_NOTFOUND)
            err = 0;
    }
    err = tx_end(&c, err);
    conn_put(&c);
    return err;
}

static int sq_video_fail(struct store *s, const char *id, const char *error)
{
    struct arg a[] = {arg_s(id), arg_s(error)};
    return write_row(s, "UPDATE videos SET status = 'failed', error = coalesce(?2, '') "
                        "WHERE id = ?1",
                     a, NARGS(a));
}

static int sq_video_delete(struct store *s, const char *user_id, const char *id)
{
    struct arg a[] = {arg_s(id), arg_s(user_id)};
    return write_row(s, "DELETE FROM videos WHERE id = ?1 AND (?2 IS NULL OR user_id = ?2)", a,
                     NARGS(a));
}

static int sq_video_list(struct store *s, const char *user_id, int64_t after_t,
                         const char *after_id, int limit, struct store_video **items, size_t *n)
{
    struct arg a[] = {arg_s(user_id), arg_i(after_t), arg_s(after_id), arg_i(limit)};
    /* "" would bind NULL and match nothing: the first page compares against an id below all */
    if (!after_id[0])
        a[2] = arg_s("~");
    return read_list(s, "SELECT " VIDEO_COLS ", error FROM videos WHERE " PAGE_WHERE PAGE_ORDER, a,
                     NARGS(a), sizeof **items, (size_t)limit, row_video, (void **)items, n);
}

/* ---- jobs ------------------------------------------------------------------------------------ */

static enum store_job_state job_state_parse(const char *t)
{
    if (strcmp(t, "running") == 0)
        return STORE_JOB_RUNNING;
    if (strcmp(t, "done") == 0)
        return STORE_JOB_DONE;
    if (strcmp(t, "dead") == 0)
        return STORE_JOB_DEAD;
    return STORE_JOB_QUEUED;
}

static void row_job(sqlite3_stmt *st, void *item)
{
    struct store_job *j = item;
    char state[16];
    col_text(st, 0, j->id, sizeof j->id);
    j->created_at = sqlite3_column_int64(st, 1);
    col_text(st, 2, j->user_id, sizeof j->user_id);
    col_text(st, 3, j->kind, sizeof j->kind);
    col_text(st, 4, j->payload, sizeof j->payload);
    col_text(st, 5, state, sizeof state);
    j->state = job_state_parse(state);
    j->attempts = sqlite3_column_int(st, 6);
    j->max_attempts = sqlite3_column_int(st, 7);
    j->run_after = sqlite3_column_int64(st, 8);
    j->lease_until = sqlite3_column_int64(st, 9);
    col_text(st, 10, j->lease_owner, sizeof j->lease_owner);
    j->progress = sqlite3_column_double(st, 11);
    col_text(st, 12, j->stage, sizeof j->stage);
    col_text(st, 13, j->error, sizeof j->error);
    j->updated_at = sqlite3_column_int64(st, 14);
    col_text(st, 15, j->video_id, sizeof j->video_id);
}

static int sq_job_enqueue(struct store *s, const struct store_job *j)
{
    struct arg a[] = {arg_s(j->id),         arg_i(j->created_at), arg_s(j->user_id),
                      arg_s(j->kind),       arg_s(j->payload),    arg_i(j->max_attempts),
                      arg_i(j->run_after),  arg_s(j->video_id)};
    int n = write1(s,
                   "INSERT INTO jobs (id, created_at, user_id, kind, payload, state, "
                   "max_attempts, run_after, updated_at, video_id) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, 'queued', ?6, ?7, ?2, ?8)",
                   a, NARGS(a));
    return n < 0 ? n : 0;
}

static void row_id(sqlite3_stmt *st, void *item)
{
    col_text(st, 0, item, STORE_ID_LEN + 1);
}

static void row_fair_pick(sqlite3_stmt *st, void *item)
{
    struct fair_pick *p = item;
    p->is_null = sqlite3_column_type(st, 0) == SQLITE_NULL;
    col_text(st, 0, p->uid, sizeof p->uid);
}

static int sq_job_claim(struct store *s, const char *owner, int64_t lease_ms, int per_user_max,
                        struct store_job *out)
{
    int64_t now = store_now(s);
    char id[STORE_ID_LEN + 1];
    struct fair_pick pick;
    struct conn c;
    conn_get(s, &c);
    int err = tx_begin(&c);
    if (err)
        goto out;
    /* a worker that died on the last attempt (e.g. a poison video) leaves an expired lease:
     * dead-letter it rather than running it once more than allowed */
    struct arg d[] = {arg_i(now)};
    err = q_exec(&c,
                 "UPDATE jobs SET state = 'dead', lease_owner = NULL, lease_until = NULL, "
                 "error = 'lease expired on the last attempt', updated_at = ?1 "
                 "WHERE state = 'running' AND lease_until <= ?1 AND attempts >= max_attempts",
                 d, NARGS(d));
    if (err < 0)
        goto out;
    /* Fair share: among the owners with a runnable job (queued and due, or running with an
     * expired lease), skip those at their cap of live leases, then take the one with the fewest
     * live leases, then the one whose last claim is oldest (round robin), then the oldest job.
     * Indexes: jobs_runnable / jobs_lease find the candidates, jobs_owner_state counts live
     * leases, jobs_owner_claimed gives the last claim, so a claim stays a few index probes per
     * waiting owner however long a greedy owner's queue is. */
    struct arg f[] = {arg_i(now), arg_i(per_user_max)};
    err = q_one(&c,
                "SELECT c.uid, (SELECT count(*) FROM jobs r WHERE " JOB_OWNER_R " IS c.uid "
                "  AND r.state = 'running' AND r.lease_until > ?1) AS live "
                "FROM (SELECT uid, min(t) AS t FROM ("
                "  SELECT " JOB_OWNER " AS uid, created_at AS t FROM jobs "
                "   WHERE state = 'queued' AND run_after <= ?1 "
                "  UNION ALL "
                "  SELECT " JOB_OWNER ", created_at FROM jobs "
                "   WHERE state = 'running' AND lease_until <= ?1) GROUP BY uid) c "
                "WHERE ?2 <= 0 OR live < ?2 "
                "ORDER BY live, coalesce((SELECT max(m.claimed_at) FROM jobs m "
                "  WHERE " JOB_OWNER_M " IS c.uid), 0), c.t LIMIT 1",
                f, NARGS(f), row_fair_pick, &pick);
    if (err == 0) {
        struct arg o[] = {arg_i(now), arg_s(pick.is_null ? NULL : pick.uid)};
        err = q_one(&c,
                    "SELECT id, created_at FROM jobs WHERE " JOB_OWNER " IS ?2 "
                    "AND state = 'queued' AND run_after <= ?1 "
                    "UNION ALL "
                    "SELECT id, created_at FROM jobs WHERE " JOB_OWNER " IS ?2 "
                    "AND state = 'running' AND lease_until <= ?1 "
                    "ORDER BY 2, 1 LIMIT 1",
                    o, NARGS(o), row_id, id);
    }
    if (err == RR_ERR_NOTFOUND) /* nothing to run; keep any dead-lettering done above */
        err = tx_end(&c, 0) ? RR_ERR_INTERNAL : RR_ERR_NOTFOUND;
    if (err)
        goto out;
    struct arg u[] = {arg_s(id), arg_s(owner), arg_i(now), arg_i(now + lease_ms)};
    err = q_exec(&c,
                 "UPDATE jobs SET state = 'running', lease_owner = ?2, lease_until = ?4, "
                 "attempts = attempts + 1, updated_at = ?3, claimed_at = ?3 WHERE id = ?1",
                 u, NARGS(u));
    if (err >= 0)
        err = q_one(&c, "SELECT " JOB_COLS " FROM jobs WHERE id = ?1", u, 1, row_job, out);
    /* a claimed job is running, leased to its owner, and counts this attempt */
    RR_ASSERT(err || (out->state == STORE_JOB_RUNNING && strcmp(out->lease_owner, owner) == 0 &&
                      out->lease_until >= now && out->attempts >= 1));
out:
    err = tx_end(&c, err);
    conn_put(&c);
    return err;
}

static int sq_job_reap_expired(struct store *s, char (*ids)[STORE_ID_LEN + 1], size_t max,
                               size_t *n)
{
    char(*rows)[STORE_ID_LEN + 1] = NULL;
    size_t found = 0;
    int64_t now = store_now(s);
    struct arg a[] = {arg_i(now), arg_i((int64_t)max)};
    /* a plain read first: the usual answer is "none", and that needs no write lock */
    int err = read_list(s,
                        "SELECT id FROM jobs WHERE state = 'running' AND lease_until <= ?1 "
                        "AND attempts >= max_attempts ORDER BY lease_until, id LIMIT ?2",
                        a, NARGS(a), sizeof *rows, max, row_id, (void **)&rows, &found);
    if (err || found == 0) {
        free(rows);
        return err;
    }
    struct conn c;
    conn_get(s, &c);
    err = tx_begin(&c);
    for (size_t i = 0; !err && i < found; i++) {
        /* re-checked under the write lock: another process may have reaped or claimed it */
        struct arg u[] = {arg_s(rows[i]), arg_i(now)};
        int k = q_exec(&c,
                       "UPDATE jobs SET state = 'dead', lease_owner = NULL, lease_until = NULL, "
                       "error = 'lease expired on the last attempt', updated_at = ?2 "
                       "WHERE id = ?1 AND state = 'running' AND lease_until <= ?2 "
                       "AND attempts >= max_attempts",
                       u, NARGS(u));
        if (k < 0)
            err = k;
        else if (k == 1)
            memcpy(ids[(*n)++], rows[i], sizeof rows[i]);
    }
    err = tx_end(&c, err);
    conn_put(&c);
    if (err)
        *n = 0;
    free(rows);
    return err;
}

/* An update that only the current lease owner may make: NOTFOUND for an unknown job,
 * CONFLICT when the job is not running under this owner. */
static int owner_write(struct store *s, const char *sql, const struct arg *a, int na,
                       const char *id)
{
    struct conn c;
    char found[STORE_ID_LEN + 1];
    conn_get(s, &c);
    int n = 0;
    int err = tx_begin(&c);
    if (!err) {
        n = q_exec(&c, sql, a, na);
        if (n < 0)
            err = n;
    }
    if (!err && n == 0) {
        struct arg q[] = {arg_s(id)};
        err = q_one(&c, "SELECT id FROM jobs WHERE id = ?1", q, NARGS(q), row_id, found);
        if (!err)
            err = RR_ERR_CONFLICT;
    }
    err = tx_end(&c, err);
    conn_put(&c);
    return err;
}

#define OWNER_WHERE " WHERE id = ?1 AND state = 'running' AND lease_owner = ?2"

static int sq_job_heartbeat(struct store *s, const char *id, const char *owner, int64_t lease_ms)
{
    int64_t now = store_now(s);
    struct arg a[] = {arg_s(id), arg_s(owner), arg_i(now), arg_i(now + lease_ms)};
    return owner_write(s, "UPDATE jobs SET lease_until = ?4, updated_at = ?3" OWNER_WHERE, a,
                       NARGS(a), id);
}

static int sq_job_progress(struct store *s, const char *id, const char *owner, double progress,
                           const char *stage)
{
    struct arg a[] = {arg_s(id), arg_s(owner), arg_i(store_now(s)), arg_d(progress),
                      arg_s(stage)};
    return owner_write(s,
                       "UPDATE jobs SET progress = ?4, stage = coalesce(?5, stage), "
                       "updated_at = ?3" OWNER_WHERE,
                       a, NARGS(a), id);
}

static int sq_job_complete(struct store *s, const char *id, const char *owner)
{
    struct arg a[] = {arg_s(id), arg_s(owner), arg_i(store_now(s))};
    return owner_write(s,
                       "UPDATE jobs SET state = 'done', progress = 1, lease_owner = NULL, "
                       "lease_until = NULL, error = '', updated_at = ?3" OWNER_WHERE,
                       a, NARGS(a), id);
}

static int sq_job_release(struct store *s, const char *id, const char *owner)
{
    struct arg a[] = {arg_s(id), arg_s(owner), arg_i(store_now(s))};
    return owner_write(s,
                       "UPDATE jobs SET state = 'queued', lease_owner = NULL, lease_until = NULL, "
                       "attempts = max(attempts - 1, 0), run_after = ?3, updated_at = ?3"
                       OWNER_WHERE,
                       a, NARGS(a), id);
}

static int64_t backoff_ms(int attempts)
{
    int64_t d = STORE_JOB_BACKOFF_BASE_MS;
    for (int i = 1; i < attempts && d < STORE_JOB_BACKOFF_CAP_MS; i++)
        d *= 2;
    return d < STORE_JOB_BACKOFF_CAP_MS ? d : STORE_JOB_BACKOFF_CAP_MS;
}

static int sq_job_fail(struct store *s, const char *id, const char *owner, const char *error,
                       bool permanent, enum store_job_state *state_out)
{
    int64_t now = store_now(s);
    struct store_job *j = rr_fault(RR_FAULT_STORE_ALLOC) ? NULL : malloc(sizeof *j);
    if (!j)
        return RR_ERR_NOMEM;
    struct conn c;
    conn_get(s, &c);
    int err = tx_begin(&c);
    if (err)
        goto out;
    struct arg a[] = {arg_s(id)};
    err = q_one(&c, "SELECT " JOB_COLS " FROM jobs WHERE id = ?1", a, NARGS(a), row_job, j);
    if (err)
        goto out;
    if (j->state != STORE_JOB_RUNNING || strcmp(j->lease_owner, owner) != 0) {
        err = RR_ERR_CONFLICT;
        goto out;
    }
    bool dead = permanent || j->attempts >= j->max_attempts;
    *state_out = dead ? STORE_JOB_DEAD : STORE_JOB_QUEUED;
    struct arg u[] = {arg_s(id), arg_s(store_job_state_name(*state_out)), arg_s(error),
                      arg_i(now), arg_i(dead ? now : now + backoff_ms(j->attempts))};
    err = q_exec(&c,
                 "UPDATE jobs SET state = ?2, error = coalesce(?3, ''), lease_owner = NULL, "
                 "lease_until = NULL, run_after = ?5, updated_at = ?4 WHERE id = ?1",
                 u, NARGS(u));
out:
    err = tx_end(&c, err < 0 ? err : 0);
    conn_put(&c);
    free(j);
    return err;
}

static int sq_job_get(struct store *s, const char *user_id, const char *id, struct store_job *out)
{
    struct arg a[] = {arg_s(id), arg_s(user_id)};
    return read_one(s,
                    "SELECT " JOB_COLS " FROM jobs WHERE id = ?1 AND (?2 IS NULL OR user_id = ?2)",
                    a, NARGS(a), row_job, out);
}

static int sq_job_find_for_video(struct store *s, const char *user_id, const char *video_id,
                                 const char *kind, struct store_job *out)
{
    struct arg a[] = {arg_s(video_id), arg_s(kind), arg_s(user_id)};
    return read_one(s,
                    "SELECT " JOB_COLS " FROM jobs WHERE video_id = ?1 AND kind = ?2 "
                    "AND (?3 IS NULL OR user_id = ?3) ORDER BY created_at DESC, id DESC LIMIT 1",
                    a, NARGS(a), row_job, out);
}

static int sq_job_list(struct store *s, const char *user_id, int64_t after_t,
                       const char *after_id, int limit, struct store_job **items, size_t *n)
{
    struct arg a[] = {arg_s(user_id), arg_i(after_t), arg_s(after_id[0] ? after_id : "~"),
                      arg_i(limit)};
    return read_list(s, "SELECT " JOB_COLS " FROM jobs WHERE " PAGE_WHERE PAGE_ORDER, a,
                     NARGS(a), sizeof **items, (size_t)limit, row_job, (void **)items, n);
}

static void row_state_count(sqlite3_stmt *st, void *item)
{
    struct state_count *sc = item;
    col_text(st, 0, sc->state, sizeof sc->state);
    sc->n = sqlite3_column_int64(st, 1);
}

static int sq_job_counts(struct store *s, struct store_job_counts *out)
{
    struct state_count *rows;
    size_t n;
    memset(out, 0, sizeof *out);
    int err = read_list(s, "SELECT state, count(*) FROM jobs GROUP BY state", NULL, 0,
                        sizeof *rows, 8, row_state_count, (void **)&rows, &n);
    if (err)
        return err;
    for (size_t i = 0; i < n; i++) {
        int64_t *dst[] = {&out->queued, &out->running, &out->done, &out->dead};
        *dst[job_state_parse(rows[i].state)] = rows[i].n;
    }
    free(rows);
    return 0;
}

/* ---- webhooks (migration 8) ------------------------------------------------------------------- */

static void row_hook_ep(sqlite3_stmt *st, void *item)
{
    struct store_webhook_endpoint *e = item;
    col_text(st, 0, e->id, sizeof e->id);
    col_text(st, 1, e->org_id, sizeof e->org_id);
    col_text(st, 2, e->url, sizeof e->url);
    col_text(st, 3, e->secret, sizeof e->secret);
    col_text(st, 4, e->event_types, sizeof e->event_types);
    e->enabled = sqlite3_column_int(st, 5) != 0;
    e->created_at = sqlite3_column_int64(st, 6);
}

static enum store_delivery_status hook_status_parse(const char *t)
{
    if (strcmp(t, "delivered") == 0)
        return STORE_DELIVERY_DELIVERED;
    if (strcmp(t, "failed") == 0)
        return STORE_DELIVERY_FAILED;
    return STORE_DELIVERY_PENDING;
}

static void row_hook_dl(sqlite3_stmt *st, void *item)
{
    struct store_webhook_delivery *d = item;
    char status[16];
    col_text(st, 0, d->id, sizeof d->id);
    d->seq = sqlite3_column_int64(st, 1);
    col_text(st, 2, d->org_id, sizeof d->org_id);
    col_text(st, 3, d->endpoint_id, sizeof d->endpoint_id);
    col_text(st, 4, d->event_id, sizeof d->event_id);
    col_text(st, 5, d->event_type, sizeof d->event_type);
    col_text(st, 6, d->member_id, sizeof d->member_id);
    col_text(st, 7, status, sizeof status);
    d->status = hook_status_parse(status);
    d->attempts = sqlite3_column_int(st, 8);
    d->next_attempt_at = sqlite3_column_int64(st, 9);
    d->last_attempt_at = sqlite3_column_int64(st, 10);
    d->last_status = sqlite3_column_int(st, 11);
    col_text(st, 12, d->last_error, sizeof d->last_error);
    d->created_at = sqlite3_column_int64(st, 13);
    d->updated_at = sqlite3_column_int64(st, 14);
    d->delivered_at = sqlite3_column_int64(st, 15);
}

/* The body column as a malloc'd string (item: struct hook_body). */
static void row_hook_body(sqlite3_stmt *st, void *item)
{
    struct hook_body *b = item;
    const unsigned char *t = sqlite3_column_text(st, 0);
    size_t n = (size_t)sqlite3_column_bytes(st, 0);
    b->text = rr_fault(RR_FAULT_STORE_ALLOC) ? NULL : malloc(n + 1);
    if (!b->text) {
        b->nomem = true;
        return;
    }
    memcpy(b->text, t ? (const char *)t : "", n);
    b->text[n] = '\0';
    b->len = n;
}

static int sq_hook_ep_create(struct store *s, const struct store_webhook_endpoint *e)
{
    struct conn c;
    int count = 0;
    conn_get(s, &c);
    int err = tx_begin(&c);
    if (!err) {
        struct arg q[] = {arg_s(e->org_id)};
        err = q_one(&c, "SELECT count(*) FROM webhook_endpoints WHERE org_id = ?1", q, NARGS(q),
                    row_int, &count);
    }
    if (!err && count >= STORE_WEBHOOK_ENDPOINTS_MAX)
        err = RR_ERR_CONFLICT;
    if (!err) {
        struct arg a[] = {arg_s(e->id),          arg_s(e->org_id),      arg_s(e->url),
                          arg_s(e->secret),      arg_s(e->event_types), arg_i(e->enabled ? 1 : 0),
                          arg_i(e->created_at)};
        err = q_exec(&c,
                     "INSERT INTO webhook_endpoints (" HOOK_EP_COLS ") "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                     a, NARGS(a));
    }
    err = tx_end(&c, err < 0 ? err : 0);
    conn_put(&c);
    return err;
}

static int sq_hook_ep_get(struct store *s, const char *org_id, const char *id,
                          struct store_webhook_endpoint *out)
{
    struct arg a[] = {arg_s(id), arg_s(org_id)};
    return read_one(s,
                    "SELECT " HOOK_EP_COLS " FROM webhook_endpoints WHERE id = ?1 "
                    "AND (?2 IS NULL OR org_id = ?2)",
                    a, NARGS(a), row_hook_ep, out);
}

static int sq_hook_ep_list(struct store *s, const char *org_id,
                           struct store_webhook_endpoint **items, size_t *n)
{
    struct arg a[] = {arg_s(org_id), arg_i(STORE_WEBHOOK_ENDPOINTS_MAX)};
    return read_list(s,
                     "SELECT " HOOK_EP_COLS " FROM webhook_endpoints WHERE org_id = ?1 "
                     "ORDER BY created_at, id LIMIT ?2",
                     a, NARGS(a), sizeof **items, STORE_WEBHOOK_ENDPOINTS_MAX, row_hook_ep,
                     (void **)items, n);
}

static int sq_hook_ep_delete(struct store *s, const char *org_id, const char *id)
{
    struct arg a[] = {arg_s(id), arg_s(org_id)};
    return write_row(s,
                     "DELETE FROM webhook_endpoints WHERE id = ?1 AND (?2 IS NULL OR org_id = ?2)",
                     a, NARGS(a));
}

/* A queued system job of `job` about delivery `did`, runnable at run_after, inside c's
 * transaction; its id into job_id. */
static int hook_job_insert(struct conn *c, int64_t now, const struct store_job_spec *job,
                           const char *org_id, const char *did, int64_t run_after,
                           char job_id[STORE_ID_LEN + 1])
{
    char payload[STORE_ID_LEN + 32], lane[STORE_JOB_LANE_MAX + 1];
    snprintf(payload, sizeof payload, "{\"delivery_id\":\"%s\"}", did);
    snprintf(lane, sizeof lane, "hook:%s", org_id); /* the org's own fair-share owner */
    store_new_id(job_id);
    struct arg a[] = {arg_s(job_id),     arg_i(now),          arg_s(NULL),
                      arg_s(job->kind),  arg_s(payload),      arg_i(job->max_attempts),
                      arg_i(run_after),  arg_s(NULL),         arg_s(lane)};
    int n = q_exec(c,
                   "INSERT INTO jobs (id, created_at, user_id, kind, payload, state, "
                   "max_attempts, run_after, updated_at, video_id, lane) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, 'queued', ?6, ?7, ?2, ?8, ?9)",
                   a, NARGS(a));
    return n < 0 ? n : 0;
}

static int sq_hook_emit(struct store *s, const char *org_id, const char *endpoint_id,
                        const struct store_webhook_event *ev, const struct store_job_spec *job,
                        int *n)
{
    int64_t now = store_now(s);
    struct hook_ep_id *eps = NULL;
    size_t neps = 0;
    struct conn c;
    conn_get(s, &c);
    int err = tx_begin(&c);
    if (err)
        goto out;
    if (ev->outbox_id > 0) { /* the recorded event, drained once: gone = drained already */
        struct arg a[] = {arg_i(ev->outbox_id)};
        int k = q_exec(&c, "DELETE FROM partner_outbox WHERE id = ?1", a, NARGS(a));
        if (k <= 0) {
            err = k < 0 ? k : RR_ERR_NOTFOUND;
            goto out;
        }
    }
    if (endpoint_id) {
        struct arg a[] = {arg_s(endpoint_id), arg_s(org_id), arg_i(1)};
        err = q_list(&c, "SELECT id FROM webhook_endpoints WHERE id = ?1 AND org_id = ?2 LIMIT ?3",
                     a, NARGS(a), sizeof *eps, 1, row_id, (void **)&eps, &neps);
        if (!err && neps == 0)
            err = RR_ERR_NOTFOUND;
    } else {
        /* subscribed: the type is one of the space-separated words of event_types */
        struct arg a[] = {arg_s(org_id), arg_s(ev->type), arg_i(STORE_WEBHOOK_ENDPOINTS_MAX)};
        err = q_list(&c,
                     "SELECT id FROM webhook_endpoints WHERE org_id = ?1 AND enabled = 1 "
                     "AND instr(' ' || event_types || ' ', ' ' || ?2 || ' ') > 0 "
                     "ORDER BY created_at, id LIMIT ?3",
                     a, NARGS(a), sizeof *eps, STORE_WEBHOOK_ENDPOINTS_MAX, row_id,
                     (void **)&eps, &neps);
    }
    for (size_t i = 0; !err && i < neps; i++) {
        char did[STORE_ID_LEN + 1], jid[STORE_ID_LEN + 1];
        store_new_id(did);
        err = hook_job_insert(&c, now, job, org_id, did, now, jid);
        if (err)
            break;
        struct arg a[] = {arg_s(did),      arg_s(org_id),    arg_s(eps[i].id),
                          arg_s(ev->event_id), arg_s(ev->type), arg_s(ev->member_id),
                          arg_s(ev->body), arg_i(now),       arg_s(jid)};
        /* member_id "" binds as NULL: coalesce keeps the lane key a plain '' */
        int k = q_exec(&c,
                       "INSERT INTO webhook_deliveries (id, seq, org_id, endpoint_id, event_id, "
                       "event_type, member_id, body, status, next_attempt_at, job_id, "
                       "created_at, updated_at) VALUES (?1, (SELECT coalesce(max(seq), 0) + 1 "
                       "FROM webhook_deliveries), ?2, ?3, ?4, ?5, coalesce(?6, ''), ?7, "
                       "'pending', ?8, ?9, ?8, ?8)",
                       a, NARGS(a));
        if (k < 0)
            err = k;
        else
            (*n)++;
    }
out:
    err = tx_end(&c, err < 0 ? err : 0);
    conn_put(&c);
    free(eps);
    if (err)
        *n = 0;
    return err;
}

static int sq_hook_dl_get(struct store *s, const char *org_id, const char *id,
                          struct store_webhook_delivery *out)
{
    struct arg a[] = {arg_s(id), arg_s(org_id)};
    return read_one(s,
                    "SELECT " HOOK_DL_COLS " FROM webhook_deliveries WHERE id = ?1 "
                    "AND (?2 IS NULL OR org_id = ?2)",
                    a, NARGS(a), row_hook_dl, out);
}

static int hook_body_read(struct conn *c, const char *org_id, const char *id, char **body,
                          size_t *len)
{
    struct hook_body b = {NULL, 0, false};
    struct arg a[] = {arg_s(id), arg_s(org_id)};
    int err = q_one(c,
                    "SELECT body FROM webhook_deliveries WHERE id = ?1 "
                    "AND (?2 IS NULL OR org_id = ?2)",
                    a, NARGS(a), row_hook_body, &b);
    if (!err && b.nomem)
        err = RR_ERR_NOMEM;
    if (err) {
        free(b.text);
        return err;
    }
    *body = b.text;
    *len = b.len;
    return 0;
}

static int sq_hook_dl_body(struct store *s, const char *org_id, const char *id, char **body,
                           size_t *len)
{
    struct conn c;
    conn_get(s, &c);
    int err = hook_body_read(&c, org_id, id, body, len);
    conn_put(&c);
    return err;
}

static int sq_hook_dl_list(struct store *s, const char *org_id, const char *endpoint_id,
                           int64_t after_t, const char *after_id, int limit,
                           struct store_webhook_delivery **items, size_t *n)
{
    struct arg a[] = {arg_s(org_id), arg_i(after_t), arg_s(after_id[0] ? after_id : "~"),
                      arg_i(limit), arg_s(endpoint_id)};
    if (endpoint_id)
        return read_list(s,
                         "SELECT " HOOK_DL_COLS " FROM webhook_deliveries WHERE endpoint_id = ?5 "
                         "AND org_id = ?1 AND (created_at < ?2 OR (created_at = ?2 AND id < ?3))"
                         " ORDER BY created_at DESC, id DESC LIMIT ?4",
                         a, NARGS(a), sizeof **items, (size_t)limit, row_hook_dl,
                         (void **)items, n);
    return read_list(s,
                     "SELECT " HOOK_DL_COLS " FROM webhook_deliveries WHERE org_id = ?1 "
                     "AND (created_at < ?2 OR (created_at = ?2 AND id < ?3)) AND ?5 IS NULL"
                     " ORDER BY created_at DESC, id DESC LIMIT ?4",
                     a, NARGS(a), sizeof **items, (size_t)limit, row_hook_dl, (void **)items, n);
}

static void row_hook_row(sqlite3_stmt *st, void *item)
{
    struct hook_row *r = item;
    row_hook_dl(st, &r->d);
    col_text(st, 16, r->job_id, sizeof r->job_id);
}

static int hook_row_locked(struct conn *c, const char *id, struct hook_row *r)
{
    struct arg a[] = {arg_s(id)};
    return q_one(c, "SELECT " HOOK_DL_COLS ", job_id FROM webhook_deliveries WHERE id = ?1", a,
                 NARGS(a), row_hook_row, r);
}

static void row_seq_next(sqlite3_stmt *st, void *item)
{
    int64_t *v = item;
    v[0] = sqlite3_column_int64(st, 0);
    v[1] = sqlite3_column_int64(st, 1);
}

static int sq_hook_dl_claim(struct store *s, const char *id, const char *job_id,
                            const struct store_job_spec *job, int64_t wait_ms,
                            enum store_webhook_verdict *verdict, struct store_webhook_delivery *d,
                            struct store_webhook_endpoint *e, char **body)
{
    int64_t now = store_now(s);
    struct hook_row *r = rr_fault(RR_FAULT_STORE_ALLOC) ? NULL : malloc(sizeof *r);
    if (!r)
        return RR_ERR_NOMEM;
    struct conn c;
    conn_get(s, &c);
    int err = tx_begin(&c);
    if (!err)
        err = hook_row_locked(&c, id, r);
    if (err)
        goto out;
    if (r->d.status != STORE_DELIVERY_PENDING || strcmp(r->job_id, job_id) != 0) {
        *verdict = STORE_WEBHOOK_DONE;
        goto out;
    }
    /* an earlier pending delivery of the same lane goes first */
    int64_t pred[2] = {0, 0}; /* seq, next_attempt_at */
    struct arg p[] = {arg_s(r->d.endpoint_id), arg_s(r->d.member_id), arg_i(r->d.seq)};
    err = q_one(&c,
                "SELECT seq, next_attempt_at FROM webhook_deliveries WHERE endpoint_id = ?1 "
                "AND member_id = coalesce(?2, '') AND status = 'pending' AND seq < ?3 "
                "ORDER BY seq LIMIT 1",
                p, NARGS(p), row_seq_next, pred);
    if (err == 0) {
        char jid[STORE_ID_LEN + 1];
        int64_t at = (pred[1] > now ? pred[1] : now) + wait_ms;
        err = hook_job_insert(&c, now, job, r->d.org_id, id, at, jid);
        if (!err) {
            struct arg u[] = {arg_s(id), arg_s(jid), arg_i(now)};
            err = q_exec(&c, "UPDATE webhook_deliveries SET job_id = ?2, updated_at = ?3 "
                             "WHERE id = ?1", u, NARGS(u));
        }
        *verdict = STORE_WEBHOOK_WAIT;
        goto out;
    }
    if (err != RR_ERR_NOTFOUND)
        goto out;
    struct arg ep[] = {arg_s(r->d.endpoint_id), arg_s(NULL)};
    err = q_one(&c,
                "SELECT " HOOK_EP_COLS " FROM webhook_endpoints WHERE id = ?1 "
                "AND (?2 IS NULL OR org_id = ?2)",
                ep, NARGS(ep), row_hook_ep, e);
    if (!err) {
        size_t len;
        err = hook_body_read(&c, NULL, id, body, &len);
    }
    if (!err) {
        struct arg u[] = {arg_s(id), arg_i(now)};
        err = q_exec(&c,
                     "UPDATE webhook_deliveries SET attempts = attempts + 1, "
                     "last_attempt_at = ?2, updated_at = ?2 WHERE id = ?1",
                     u, NARGS(u));
    }
    if (err >= 0) {
        err = 0;
        r->d.attempts++;
        r->d.last_attempt_at = r->d.updated_at = now;
        *d = r->d;
        *verdict = STORE_WEBHOOK_SEND;
    }
out:
    err = tx_end(&c, err < 0 ? err : 0);
    conn_put(&c);
    if (err || *verdict != STORE_WEBHOOK_SEND) {
        free(*body);
        *body = NULL;
    }
    free(r);
    return err;
}

static int sq_hook_dl_finish(struct store *s, const char *id, const char *job_id,
                             const struct store_webhook_outcome *o,
                             const struct store_job_spec *job)
{
    int64_t now = store_now(s);
    struct hook_row *r = rr_fault(RR_FAULT_STORE_ALLOC) ? NULL : malloc(sizeof *r);
    if (!r)
        return RR_ERR_NOMEM;
    struct conn c;
    conn_get(s, &c);
    int err = tx_begin(&c);
    if (!err)
        err = hook_row_locked(&c, id, r);
    if (!err && (r->d.status != STORE_DELIVERY_PENDING || strcmp(r->job_id, job_id) != 0))
        err = RR_ERR_CONFLICT;
    if (err)
        goto out;
    const char *status = o->delivered ? "delivered" : o->retry_at > 0 ? "pending" : "failed";
    char jid[STORE_ID_LEN + 1] = "";
    if (!o->delivered && o->retry_at > 0)
        err = hook_job_insert(&c, now, job, r->d.org_id, id, o->retry_at, jid);
    if (err)
        goto out;
    struct arg u[] = {arg_s(id),
                      arg_s(status),
                      arg_i(o->http_status),
                      arg_s(o->error),
                      arg_i(now),
                      arg_i(o->delivered ? now : 0),
                      arg_i(o->retry_at > 0 ? o->retry_at : r->d.next_attempt_at),
                      arg_s(jid)};
    err = q_exec(&c,
                 "UPDATE webhook_deliveries SET status = ?2, last_status = ?3, "
                 "last_error = substr(coalesce(?4, ''), 1, 511), updated_at = ?5, "
                 "delivered_at = ?6, next_attempt_at = ?7, job_id = coalesce(?8, '') "
                 "WHERE id = ?1",
                 u, NARGS(u));
    if (err >= 0 && (o->delivered || o->retry_at <= 0)) {
        /* the lane moves on: the next pending delivery's job runs now */
        struct arg k[] = {arg_s(r->d.endpoint_id), arg_s(r->d.member_id), arg_i(r->d.seq),
                          arg_i(now)};
        err = q_exec(&c,
                     "UPDATE jobs SET run_after = ?4, updated_at = ?4 WHERE state = 'queued' "
                     "AND id = (SELECT job_id FROM webhook_deliveries WHERE endpoint_id = ?1 "
                     "AND member_id = coalesce(?2, '') AND status = 'pending' AND seq > ?3 "
                     "ORDER BY seq LIMIT 1)",
                     k, NARGS(k));
    }
out:
    err = tx_end(&c, err < 0 ? err : 0);
    conn_put(&c);
    free(r);
    return err;
}

/* ---- workouts -------------------------------------------------------------------------------- */

static void row_workout(sqlite3_stmt *st, void *item)
{
    struct store_workout *w = item;
    col_text(st, 0, w->id, sizeof w->id);
    w->created_at = sqlite3_column_int64(st, 1);
    col_text(st, 2, w->user_id, sizeof w->user_id);
    col_text(st, 3, w->video_id, sizeof w->video_id);
    col_text(st, 4, w->exercise, sizeof w->exercise);
    w->started_at = sqlite3_column_int64(st, 5);
    w->duration_ms = sqlite3_column_int64(st, 6);
    w->score = sqlite3_column_double(st, 7);
    col_text(st, 8, w->name, sizeof w->name);
    w->reps = sqlite3_column_int(st, 9);
    w->reps_good = sqlite3_column_int(st, 10);
    w->reps_bad = sqlite3_column_int(st, 11);
    w->reps_unjudged = sqlite3_column_int(st, 12);
}

/* The counts get and list return, filled by put too (the sync's answer shows them). */
static void workout_counts(struct store_workout *w, const struct store_workout_stats *ws)
{
    w->reps = (int)ws->reps;
    w->reps_good = (int)ws->good;
    w->reps_bad = (int)ws->bad;
    w->reps_unjudged = (int)ws->unjudged;
}

static void row_wrow(sqlite3_stmt *st, void *item)
{
    struct wrow *r = item;
    col_text(st, 0, r->id, sizeof r->id);
    col_text(st, 1, r->user_id, sizeof r->user_id);
    col_text(st, 2, r->exercise, sizeof r->exercise);
    col_text(st, 3, r->name, sizeof r->name);
    r->started_at = sqlite3_column_int64(st, 4);
    r->st.reps = sqlite3_column_int64(st, 5);
    r->st.good = sqlite3_column_int64(st, 6);
    r->st.bad = sqlite3_column_int64(st, 7);
    r->st.unjudged = sqlite3_column_int64(st, 8);
    r->st.active = sqlite3_column_int(st, 9) != 0;
    r->st.volume = sqlite3_column_double(st, 10);
    r->st.score_sum = sqlite3_column_double(st, 11);
    r->st.score_n = sqlite3_column_int64(st, 12);
}

/* Add (sign 1) or take back (sign -1) a workout's share of its (user, day, exercise) analytics
 * row, inside the caller's write transaction. A row left without a session is deleted (as
 * store_analytics_set with 0 sessions); a sum of scores whose count reaches 0 is set to 0, so
 * floating-point residue of add-then-subtract never outlives the scores. */
static int analytics_apply(struct conn *c, const char *user_id, int64_t started_at,
                           const char *exercise, const struct store_workout_stats *st, int sign)
{
    if (!st->active)
        return 0;
    char day[11];
    store__day_of(started_at, day);
    struct arg a[] = {arg_s(user_id),          arg_s(day),
                      arg_s(exercise),         arg_i(sign),
                      arg_i(sign * st->reps),  arg_d(sign * st->volume),
                      arg_d(sign * st->score_sum), arg_i(sign * st->score_n)};
    int err = q_exec(c,
                     "INSERT INTO analytics_daily (user_id, day, exercise, sessions, reps, volume, "
                     "score_sum, score_n) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
                     "ON CONFLICT (user_id, day, exercise) DO UPDATE SET "
                     "sessions = sessions + excluded.sessions, reps = reps + excluded.reps, "
                     "volume = volume + excluded.volume, "
                     "score_sum = CASE WHEN score_n + excluded.score_n = 0 THEN 0 "
                     "ELSE score_sum + excluded.score_sum END, "
                     "score_n = score_n + excluded.score_n",
                     a, NARGS(a));
    if (err >= 0 && sign < 0)
        err = q_exec(c,
                     "DELETE FROM analytics_daily WHERE user_id = ?1 AND day = ?2 "
                     "AND exercise = ?3 AND sessions <= 0",
                     a, 3);
    return err < 0 ? err : 0;
}

static int workout_insert(struct conn *c, struct store_workout *w, struct store_set *sets,
                          size_t nsets, struct store_rep *reps, size_t nreps,
                          const struct store_workout_stats *ws)
{
    struct arg a[] = {arg_s(w->id),          arg_i(w->created_at), arg_s(w->user_id),
                      arg_s(w->video_id),    arg_s(w->exercise),   arg_i(w->started_at),
                      arg_i(w->duration_ms), arg_d(w->score),      arg_s(w->name),
                      arg_i(ws->reps),       arg_i(ws->good),      arg_i(ws->bad),
                      arg_i(ws->unjudged),   arg_i(ws->active),    arg_d(ws->volume),
                      arg_d(ws->score_sum),  arg_i(ws->score_n)};
    int err = q_exec(c, "INSERT INTO workouts (id, created_at, user_id, video_id, exercise, "
                        "started_at, duration_ms, score, name, n_reps, n_good, n_bad, n_unjudged, "
                        "a_active, a_volume, a_score_sum, a_score_n) "
                        "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,coalesce(?9, ''),?10,?11,?12,?13,?14,?15,"
                        "?16,?17)",
                     a, NARGS(a));
    if (err >= 0)
        err = analytics_apply(c, w->user_id, w->started_at, w->exercise, ws, 1);
    for (size_t i = 0; i < nsets && err >= 0; i++) {
        struct store_set *st = &sets[i];
        store__new_id_at(st->id, w->created_at);
        memcpy(st->workout_id, w->id, sizeof st->workout_id);
        struct arg b[] = {arg_s(st->id),  arg_s(w->id),     arg_i(st->idx),    arg_s(st->exercise),
                          arg_i(st->reps), arg_d(st->score), arg_d(st->load_kg), arg_i(st->hold_ms)};
        err = q_exec(c,
                     "INSERT INTO sets (id, workout_id, idx, exercise, reps, score, load_kg, "
                     "hold_ms) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
                     b, NARGS(b));
    }
    for (size_t i = 0; i < nreps && err >= 0; i++) {
        struct store_rep *r = &reps[i];
        store__new_id_at(r->id, w->created_at);
        memcpy(r->set_id, sets[r->set_idx].id, sizeof r->set_id);
        struct arg b[] = {arg_s(r->id),      arg_s(r->set_id),   arg_i(r->idx),
                          arg_i(r->t_start_ms), arg_i(r->t_end_ms), arg_s(r->metrics[0] ? r->metrics : "{}"),
                          arg_s(r->faults[0] ? r->faults : "[]"), arg_d(r->score)};
        err = q_exec(c,
                     "INSERT INTO reps (id, set_id, idx, t_start, t_end, metrics, faults, score) "
                     "VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
                     b, NARGS(b));
    }
    return err < 0 ? err : 0;
}

/* A client id the user already used (one sync retried): CONFLICT with w->id set to the workout
 * it made; 0 when the id is new or absent; another error as it came. */
static int client_id_seen(struct conn *c, struct store_workout *w, const char *client_id)
{
    if (!client_id)
        return 0;
    char earlier[STORE_ID_LEN + 1];
    struct arg a[] = {arg_s(w->user_id), arg_s(client_id)};
    int err = q_one(c,
                    "SELECT resource_id FROM idempotency_keys WHERE user_id = ?1 AND client_id = ?2",
                    a, NARGS(a), row_id, earlier);
    if (err == RR_ERR_NOTFOUND)
        return 0;
    if (!err) {
        memcpy(w->id, earlier, sizeof w->id);
        err = RR_ERR_CONFLICT;
    }
    return err;
}

static int sq_workout_put(struct store *s, struct store_workout *w, struct store_set *sets,
                          size_t nsets, struct store_rep *reps, size_t nreps,
                          const char *client_id, const struct store_outbox_event *ev)
{
    struct conn c;
    struct store_workout_stats ws;
    store__workout_stats(sets, nsets, reps, nreps, &ws); /* before the write lock */
    conn_get(s, &c);
    int err = tx_begin(&c);
    if (err)
        goto out;
    err = client_id_seen(&c, w, client_id);
    if (err)
        goto out;
    if (w->video_id[0]) {
        /* results are upserted per video: a re-run of the analysis replaces the old rows (and
         * takes back their analytics), keeping the name the user gave the workout */
        struct arg a[] = {arg_s(w->video_id), arg_s(w->user_id)};
        struct wrow old = {0};
        err = q_one(&c, "SELECT " WROW_COLS " FROM workouts WHERE video_id = ?1 AND user_id = ?2",
                    a, NARGS(a), row_wrow, &old);
        if (!err) {
            if (!w->name[0])
                memcpy(w->name, old.name, sizeof w->name);
            err = analytics_apply(&c, old.user_id, old.started_at, old.exercise, &old.st, -1);
            struct arg d[] = {arg_s(old.id)};
            if (!err)
                err = q_exec(&c, "DELETE FROM workouts WHERE id = ?1", d, NARGS(d));
        } else if (err == RR_ERR_NOTFOUND) {
            err = 0;
        }
        if (err < 0)
            goto out;
    }
    w->created_at = store_now(s);
    store__new_id_at(w->id, w->created_at);
    workout_counts(w, &ws);
    err = workout_insert(&c, w, sets, nsets, reps, nreps, &ws);
    if (!err && client_id) {
        struct arg a[] = {arg_s(w->user_id), arg_s(client_id), arg_s(w->id),
                          arg_i(w->created_at)};
        err = q_exec(&c,
                     "INSERT INTO idempotency_keys (user_id, client_id, resource_id, created_at) "
                     "VALUES (?1, ?2, ?3, ?4)",
                     a, NARGS(a));
    }
    if (err >= 0)
        err = outbox_add(&c, w->created_at, ev, w->user_id, NULL, w->id);
out:
    err = tx_end(&c, err < 0 ? err : 0);
    conn_put(&c);
    return err;
}

/* The set appended to workout `wid` of the session (the caller's transaction): next idx, its
 * reps, then the workout's span, rep-weighted score and derived numbers over all its sets, and
 * its analytics share moved from what it was (maybe another day: a set synced late can move
 * the start earlier) to what it is now. ws: the stats of the set and its reps. */
static int session_append(struct conn *c, const char *wid, struct store_workout *w,
                          struct store_set *set, struct store_rep *reps, size_t nreps,
                          const struct store_workout_stats *ws)
{
    struct arg a[] = {arg_s(wid)};
    struct wrow old = {0};
    int next = 0;
    int err = q_one(c, "SELECT " WROW_COLS " FROM workouts WHERE id = ?1", a, NARGS(a), row_wrow,
                    &old);
    if (!err)
        err = q_one(c, "SELECT coalesce(max(idx) + 1, 0) FROM sets WHERE workout_id = ?1", a,
                    NARGS(a), row_int, &next);
    if (err)
        return err;
    set->idx = next;
    int64_t t_now = store_now(&c->sq->base);
    store__new_id_at(set->id, t_now);
    memcpy(set->workout_id, wid, sizeof set->workout_id);
    struct arg b[] = {arg_s(set->id),  arg_s(wid),       arg_i(set->idx),     arg_s(set->exercise),
                      arg_i(set->reps), arg_d(set->score), arg_d(set->load_kg), arg_i(set->hold_ms)};
    err = q_exec(c,
                 "INSERT INTO sets (id, workout_id, idx, exercise, reps, score, load_kg, hold_ms) "
                 "VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
                 b, NARGS(b));
    for (size_t i = 0; i < nreps && err >= 0; i++) {
        struct store_rep *r = &reps[i];
        store__new_id_at(r->id, t_now);
        memcpy(r->set_id, set->id, sizeof r->set_id);
        struct arg d[] = {arg_s(r->id),      arg_s(r->set_id),   arg_i(r->idx),
                          arg_i(r->t_start_ms), arg_i(r->t_end_ms), arg_s(r->metrics[0] ? r->metrics : "{}"),
                          arg_s(r->faults[0] ? r->faults : "[]"), arg_d(r->score)};
        err = q_exec(c,
                     "INSERT INTO reps (id, set_id, idx, t_start, t_end, metrics, faults, score) "
                     "VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
                     d, NARGS(d));
    }
    if (err < 0)
        return err;
    struct store_workout_stats now = old.st;
    store__workout_stats_add(&now, ws);
    int64_t start = w->started_at < old.started_at ? w->started_at : old.started_at;
    /* SET expressions read the row as it was: span from the earliest start to the latest end */
    struct arg u[] = {arg_s(wid),          arg_i(w->started_at), arg_i(w->started_at + w->duration_ms),
                      arg_i(now.reps),     arg_i(now.good),      arg_i(now.bad),
                      arg_i(now.unjudged), arg_i(now.active),    arg_d(now.volume),
                      arg_d(now.score_sum), arg_i(now.score_n)};
    err = q_exec(c,
                 "UPDATE workouts SET started_at = min(started_at, ?2), "
                 "duration_ms = max(started_at + duration_ms, ?3) - min(started_at, ?2), "
                 "score = (SELECT CASE WHEN sum(reps) > 0 THEN sum(score * reps) / sum(reps) "
                 "ELSE avg(score) END FROM sets WHERE workout_id = ?1), n_reps = ?4, n_good = ?5, "
                 "n_bad = ?6, n_unjudged = ?7, a_active = ?8, a_volume = ?9, a_score_sum = ?10, "
                 "a_score_n = ?11 WHERE id = ?1",
                 u, NARGS(u));
    if (err >= 0)
        err = analytics_apply(c, old.user_id, old.started_at, old.exercise, &old.st, -1);
    if (err >= 0)
        err = analytics_apply(c, old.user_id, start, old.exercise, &now, 1);
    workout_counts(w, &now);
    return err < 0 ? err : 0;
}

static int sq_workout_put_session(struct store *s, struct store_workout *w, struct store_set *set,
                                  struct store_rep *reps, size_t nreps, const char *client_id,
                                  const char *session_key, int *appended,
                                  const struct store_outbox_event *ev)
{
    struct conn c;
    char earlier[STORE_ID_LEN + 1];
    struct store_workout_stats ws;
    store__workout_stats(set, 1, reps, nreps, &ws); /* before the write lock */
    conn_get(s, &c);
    int err = tx_begin(&c);
    if (err)
        goto out;
    err = client_id_seen(&c, w, client_id);
    if (err)
        goto out;
    struct arg k[] = {arg_s(w->user_id), arg_s(session_key)};
    err = q_one(&c,
                "SELECT i.resource_id FROM idempotency_keys i JOIN workouts w ON w.id = "
                "i.resource_id AND w.user_id = i.user_id WHERE i.user_id = ?1 AND i.client_id = ?2",
                k, NARGS(k), row_id, earlier);
    if (err && err != RR_ERR_NOTFOUND)
        goto out;
    if (!err) {
        err = session_append(&c, earlier, w, set, reps, nreps, &ws);
        if (err)
            goto out;
        memcpy(w->id, earlier, sizeof w->id);
        *appended = 1;
    } else {
        /* the session's first set (or its workout was deleted since: a new one) */
        err = q_exec(&c, "DELETE FROM idempotency_keys WHERE user_id = ?1 AND client_id = ?2", k,
                     NARGS(k));
        if (err < 0)
            goto out;
        set->idx = 0;
        w->created_at = store_now(s);
        store__new_id_at(w->id, w->created_at);
        workout_counts(w, &ws);
        err = workout_insert(&c, w, set, 1, reps, nreps, &ws);
        if (!err) {
            struct arg a[] = {arg_s(w->user_id), arg_s(session_key), arg_s(w->id),
                              arg_i(w->created_at)};
            err = q_exec(&c,
                         "INSERT INTO idempotency_keys (user_id, client_id, resource_id, "
                         "created_at) VALUES (?1, ?2, ?3, ?4)",
                         a, NARGS(a));
        }
        if (err < 0)
            goto out;
    }
    if (client_id) {
        struct arg a[] = {arg_s(w->user_id), arg_s(client_id), arg_s(w->id),
                          arg_i(store_now(s))};
        err = q_exec(&c,
                     "INSERT INTO idempotency_keys (user_id, client_id, resource_id, created_at) "
                     "VALUES (?1, ?2, ?3, ?4)",
                     a, NARGS(a));
    }
    if (err >= 0)
        err = outbox_add(&c, store_now(s), ev, w->user_id, NULL, w->id);
out:
    err = tx_end(&c, err < 0 ? err : 0);
    conn_put(&c);
    return err;
}

static int sq_workout_get(struct store *s, const char *user_id, const char *id,
                          const char *video_id, struct store_workout *out)
{
    struct arg a[] = {arg_s(id ? id : video_id), arg_s(user_id)};
    return read_one(s,
                    id ? "SELECT " WORKOUT_COLS " FROM workouts WHERE id = ?1 "
                         "AND (?2 IS NULL OR user_id = ?2)"
                       : "SELECT " WORKOUT_COLS " FROM workouts WHERE video_id = ?1 "
                         "AND (?2 IS NULL OR user_id = ?2)",
                    a, NARGS(a), row_workout, out);
}

/* The row goes with its share of its analytics row, in one transaction. */
static int sq_workout_delete(struct store *s, const char *user_id, const char *id)
{
    struct arg a[] = {arg_s(id), arg_s(user_id)};
    struct conn c;
    struct wrow old = {0};
    conn_get(s, &c);
    int err = tx_begin(&c);
    if (!err)
        err = q_one(&c,
                    "SELECT " WROW_COLS " FROM workouts WHERE id = ?1 "
                    "AND (?2 IS NULL OR user_id = ?2)",
                    a, NARGS(a), row_wrow, &old);
    if (!err)
        err = analytics_apply(&c, old.user_id, old.started_at, old.exercise, &old.st, -1);
    if (!err)
        err = q_exec(&c, "DELETE FROM workouts WHERE id = ?1", a, 1);
    err = tx_end(&c, err < 0 ? err : 0);
    conn_put(&c);
    return err;
}

static int sq_workout_rename(struct store *s, const char *user_id, const char *id,
                             const char *name)
{
    struct arg a[] = {arg_s(name), arg_s(id), arg_s(user_id)};
    return write_row(s, "UPDATE workouts SET name = coalesce(?1, '') WHERE id = ?2 AND user_id = ?3", a,
                     NARGS(a));
}

static int sq_workout_list(struct store *s, const char *user_id,
                           const struct store_workout_filter *f, int64_t after_t,
                           const char *after_id, int limit, struct store_workout **items,
                           size_t *n)
{
    struct arg a[] = {arg_s(user_id),  arg_i(after_t), arg_s(after_id[0] ? after_id : "~"),
                      arg_i(limit),    arg_s(f->exercise), arg_i(f->from), arg_i(f->to)};
    return read_list(s,
                     "SELECT " WORKOUT_COLS " FROM workouts WHERE " PAGE_WHERE
                     " AND (?5 IS NULL OR exercise = ?5) AND (?6 = 0 OR started_at >= ?6)"
                     " AND (?7 = 0 OR started_at < ?7)" PAGE_ORDER,
                     a, NARGS(a), sizeof **items, (size_t)limit, row_workout, (void **)items, n);
}

static void row_set(sqlite3_stmt *st, void *item)
{
    struct store_set *x = item;
    col_text(st, 0, x->id, sizeof x->id);
    col_text(st, 1, x->workout_id, sizeof x->workout_id);
    x->idx = sqlite3_column_int(st, 2);
    col_text(st, 3, x->exercise, sizeof x->exercise);
    x->reps = sqlite3_column_int(st, 4);
    x->score = sqlite3_column_double(st, 5);
    x->load_kg = sqlite3_column_double(st, 6);
    x->hold_ms = sqlite3_column_int64(st, 7);
}

static void row_rep(sqlite3_stmt *st, void *item)
{
    struct store_rep *r = item;
    col_text(st, 0, r->id, sizeof r->id);
    col_text(st, 1, r->set_id, sizeof r->set_id);
    r->set_idx = sqlite3_column_int(st, 2);
    r->idx = sqlite3_column_int(st, 3);
    r->t_start_ms = sqlite3_column_int64(st, 4);
    r->t_end_ms = sqlite3_column_int64(st, 5);
    col_text(st, 6, r->metrics, sizeof r->metrics);
    col_text(st, 7, r->faults, sizeof r->faults);
    r->score = sqlite3_column_double(st, 8);
}

/* Children of a workout, in one read transaction so the ownership check and the rows agree. */
static int workout_children(struct store *s, const char *user_id, const char *workout_id,
                            const char *sql, size_t item_size, size_t max, row_fn fn,
                            void **items, size_t *n)
{
    struct conn c;
    char found[STORE_ID_LEN + 1];
    struct arg a[] = {arg_s(workout_id), arg_s(user_id)};
    conn_get(s, &c);
    conn_acquire(&c);
    int rc = sqlite3_exec(c.db, "BEGIN", NULL, NULL, NULL);
    int err = rc == SQLITE_OK ? 0 : map_rc(rc);
    if (!err)
        err = q_one(&c, "SELECT id FROM workouts WHERE id = ?1 AND (?2 IS NULL OR user_id = ?2)",
                    a, NARGS(a), row_id, found);
    if (!err)
        err = q_list(&c, sql, a, 1, item_size, max, fn, items, n);
    if (!sqlite3_get_autocommit(c.db))
        sqlite3_exec(c.db, "COMMIT", NULL, NULL, NULL);
    conn_put(&c);
    return err;
}

static int sq_workout_sets(struct store *s, const char *user_id, const char *workout_id,
                           struct store_set **items, size_t *n)
{
    return workout_children(s, user_id, workout_id,
                            "SELECT id, workout_id, idx, exercise, reps, score, load_kg, hold_ms "
                            "FROM sets WHERE workout_id = ?1 ORDER BY idx, id",
                            sizeof **items, STORE_SETS_MAX, row_set, (void **)items, n);
}

static int sq_workout_reps(struct store *s, const char *user_id, const char *workout_id,
                           struct store_rep **items, size_t *n)
{
    return workout_children(s, user_id, workout_id,
                            "SELECT r.id, r.set_id, s.idx, r.idx, r.t_start, r.t_end, r.metrics, "
                            "r.faults, r.score FROM reps r JOIN sets s ON s.id = r.set_id "
                            "WHERE s.workout_id = ?1 ORDER BY s.idx, r.idx, r.id",
                            sizeof **items, STORE_REPS_MAX, row_rep, (void **)items, n);
}

/* ---- analytics ------------------------------------------------------------------------------- */

static void row_analytics(sqlite3_stmt *st, void *item)
{
    struct store_analytics_day *d = item;
    col_text(st, 0, d->day, sizeof d->day);
    col_text(st, 1, d->exercise, sizeof d->exercise);
    d->sessions = sqlite3_column_int64(st, 2);
    d->reps = sqlite3_column_int64(st, 3);
    d->volume = sqlite3_column_double(st, 4);
    d->mean_score = sqlite3_column_double(st, 5);
    d->score_sum = sqlite3_column_double(st, 6);
    d->score_n = sqlite3_column_int64(st, 7);
}

static int sq_analytics_range(struct store *s, const char *user_id, const char *from_day,
                              const char *to_day, const char *exercise,
                              struct store_analytics_day **items, size_t *n)
{
    struct arg a[] = {arg_s(user_id), arg_s(from_day), arg_s(to_day), arg_s(exercise)};
    return read_list(s,
                     "SELECT day, exercise, sessions, reps, volume, "
                     "CASE WHEN score_n > 0 THEN score_sum / score_n ELSE 0 END, score_sum, score_n "
                     "FROM analytics_daily WHERE user_id = ?1 AND day >= ?2 AND day <= ?3 "
                     "AND (?4 IS NULL OR exercise = ?4) ORDER BY day, exercise",
                     a, NARGS(a), sizeof **items, STORE_ANALYTICS_MAX, row_analytics,
                     (void **)items, n);
}

static int sq_analytics_set(struct store *s, const char *user_id, const char *day,
                            const char *exercise, int64_t sessions, int64_t reps, double volume,
                            double score_sum, int64_t score_n)
{
    if (sessions == 0) {
        struct arg d[] = {arg_s(user_id), arg_s(day), arg_s(exercise)};
        int n = write1(s, "DELETE FROM analytics_daily WHERE user_id = ?1 AND day = ?2 "
                          "AND exercise = ?3", d, NARGS(d));
        return n < 0 ? n : 0;
    }
    struct arg a[] = {arg_s(user_id), arg_s(day),       arg_s(exercise), arg_i(sessions),
                      arg_i(reps),    arg_d(volume),    arg_d(score_sum), arg_i(score_n)};
    int n = write1(s,
                   "INSERT INTO analytics_daily (user_id, day, exercise, sessions, reps, volume, "
                   "score_sum, score_n) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
                   "ON CONFLICT (user_id, day, exercise) DO UPDATE SET "
                   "sessions = excluded.sessions, reps = excluded.reps, "
                   "volume = excluded.volume, score_sum = excluded.score_sum, "
                   "score_n = excluded.score_n",
                   a, NARGS(a));
    return n < 0 ? n : 0;
}

static void row_span(sqlite3_stmt *st, void *item)
{
    struct day_span *d = item;
    d->any = sqlite3_column_type(st, 0) != SQLITE_NULL;
    col_text(st, 0, d->first, sizeof d->first);
    col_text(st, 1, d->last, sizeof d->last);
}

static int sq_analytics_span(struct store *s, const char *user_id, char first_day[11],
                             char last_day[11])
{
    struct arg a[] = {arg_s(user_id)};
    struct day_span d = {{0}, {0}, 0};
    int err = read_one(s, "SELECT min(day), max(day) FROM analytics_daily WHERE user_id = ?1", a,
                       NARGS(a), row_span, &d);
    if (err)
        return err;
    if (!d.any)
        return RR_ERR_NOTFOUND;
    memcpy(first_day, d.first, sizeof d.first);
    memcpy(last_day, d.last, sizeof d.last);
    return 0;
}

/* ---- uploads --------------------------------------------------------------------------------- */

static void row_upload(sqlite3_stmt *st, void *item)
{
    struct store_upload *u = item;
    col_text(st, 0, u->id, sizeof u->id);
    col_text(st, 1, u->user_id, sizeof u->user_id);
    col_text(st, 2, u->blob_key, sizeof u->blob_key);
    u->length = sqlite3_column_int64(st, 3);
    u->offset = sqlite3_column_int64(st, 4);
    u->complete = sqlite3_column_int64(st, 5) != 0;
    col_text(st, 6, u->sha256, sizeof u->sha256);
    col_text(st, 7, u->metadata, sizeof u->metadata);
    u->created_at = sqlite3_column_int64(st, 8);
    u->expires_at = sqlite3_column_int64(st, 9);
}

static int sq_upload_create(struct store *s, const struct store_upload *u)
{
    struct arg a[] = {arg_s(u->id),       arg_s(u->user_id),    arg_s(u->blob_key),
                      arg_i(u->length),   arg_s(u->metadata),   arg_i(u->created_at),
                      arg_i(u->expires_at)};
    int n = write1(s,
                   "INSERT INTO uploads (" UPLOAD_COLS ") "
                   "VALUES (?1, ?2, ?3, ?4, 0, 0, '', coalesce(?5, ''), ?6, ?7)",
                   a, NARGS(a));
    return n < 0 ? n : 0;
}

static int sq_upload_get(struct store *s, const char *user_id, const char *id,
                         struct store_upload *out)
{
    struct arg a[] = {arg_s(id), arg_s(user_id)};
    return read_one(s,
                    "SELECT " UPLOAD_COLS " FROM uploads WHERE id = ?1 "
                    "AND (?2 IS NULL OR user_id = ?2)",
                    a, NARGS(a), row_upload, out);
}

/* The upload row under the write lock of c (tx open); heap-allocated (~4.5 KB). */
static int upload_locked(struct conn *c, const char *id, struct store_upload **out)
{
    *out = rr_fault(RR_FAULT_STORE_ALLOC) ? NULL : malloc(sizeof **out);
    if (!*out)
        return RR_ERR_NOMEM;
    struct arg a[] = {arg_s(id)};
    return q_one(c, "SELECT " UPLOAD_COLS " FROM uploads WHERE id = ?1", a, NARGS(a), row_upload,
                 *out);
}

static int sq_upload_set_offset(struct store *s, const char *id, int64_t expected, int64_t offset)
{
    struct store_upload *u = NULL;
    struct conn c;
    conn_get(s, &c);
    int err = tx_begin(&c);
    if (!err)
        err = upload_locked(&c, id, &u);
    if (!err && offset > u->length)
        err = RR_ERR_INVAL;
    else if (!err && (u->complete || u->offset != expected))
        err = RR_ERR_CONFLICT;
    if (!err) {
        struct arg a[] = {arg_s(id), arg_i(offset)};
        err = q_exec(&c, "UPDATE uploads SET upload_offset = ?2 WHERE id = ?1", a, NARGS(a));
        RR_ASSERT(err != 0); /* the row was just read under the same write lock */
    }
    err = tx_end(&c, err < 0 ? err : 0);
    conn_put(&c);
    free(u);
    return err;
}

static int sq_upload_complete(struct store *s, const char *id, const char *sha256)
{
    struct store_upload *u = NULL;
    struct conn c;
    conn_get(s, &c);
    int err = tx_begin(&c);
    if (!err)
        err = upload_locked(&c, id, &u);
    if (!err && u->complete) {
        err = strcmp(u->sha256, sha256) == 0 ? 0 : RR_ERR_CONFLICT;
    } else if (!err && u->offset != u->length) {
        err = RR_ERR_CONFLICT;
    } else if (!err) {
        struct arg a[] = {arg_s(id), arg_s(sha256)};
        err = q_exec(&c, "UPDATE uploads SET complete = 1, sha256 = ?2 WHERE id = ?1", a,
                     NARGS(a));
        RR_ASSERT(err != 0);
    }
    err = tx_end(&c, err < 0 ? err : 0);
    conn_put(&c);
    free(u);
    return err;
}

static int sq_upload_delete(struct store *s, const char *user_id, const char *id)
{
    struct arg a[] = {arg_s(id), arg_s(user_id)};
    return write_row(s, "DELETE FROM uploads WHERE id = ?1 AND (?2 IS NULL OR user_id = ?2)", a,
                     NARGS(a));
}

static void row_i64(sqlite3_stmt *st, void *item)
{
    *(int64_t *)item = sqlite3_column_int64(st, 0);
}

static int sq_user_usage(struct store *s, const char *user_id, int64_t *bytes)
{
    struct arg a[] = {arg_s(user_id), arg_i(store_now(s))};
    return read_one(s,
                    "SELECT (SELECT coalesce(sum(size), 0) FROM videos WHERE user_id = ?1) + "
                    "(SELECT coalesce(sum(length), 0) FROM uploads WHERE user_id = ?1 "
                    " AND complete = 0 AND expires_at > ?2)",
                    a, NARGS(a), row_i64, bytes);
}

static int sq_upload_expired(struct store *s, char (*ids)[STORE_ID_LEN + 1], size_t max,
                             size_t *n)
{
    char(*rows)[STORE_ID_LEN + 1];
    struct arg a[] = {arg_i(store_now(s)), arg_i(max > (size_t)INT64_MAX ? INT64_MAX : (int64_t)max)};
    int err = read_list(s,
                        "SELECT id FROM uploads WHERE expires_at <= ?1 "
                        "ORDER BY expires_at, id LIMIT ?2",
                        a, NARGS(a), sizeof *rows, max, row_id, (void **)&rows, n);
    if (err)
        return err;
    if (*n)
        memcpy(ids, rows, *n * sizeof *rows);
    free(rows);
    return 0;
}

/* ---- rate counters --------------------------------------------------------------------------- */

static int sq_rate_purge(struct store *s, int64_t before, int64_t *deleted)
{
    struct arg a[] = {arg_i(before)};
    int n = write1(s, "DELETE FROM rate_counters WHERE window_start < ?1", a, NARGS(a));
    int m = n < 0 ? 0 : write1(s, "DELETE FROM rate_limits WHERE updated_at < ?1", a, NARGS(a));
    *deleted = (n < 0 ? 0 : n) + (m < 0 ? 0 : m);
    return n < 0 ? n : m < 0 ? m : 0;
}

static void row_rate_state(sqlite3_stmt *st, void *item)
{
    struct store_rate_state *r = item;
    r->window_start = sqlite3_column_int64(st, 0);
    r->prev = (uint32_t)sqlite3_column_int64(st, 1);
    r->cur = (uint32_t)sqlite3_column_int64(st, 2);
    r->strikes = (uint32_t)sqlite3_column_int64(st, 3);
    r->blocked_until = sqlite3_column_int64(st, 4);
    r->last_hit = sqlite3_column_int64(st, 5);
}

static int rate_state_zero(const struct store_rate_state *r)
{
    return r->window_start == 0 && r->prev == 0 && r->cur == 0 && r->strikes == 0 &&
           r->blocked_until == 0 && r->last_hit == 0;
}

static int rate_state_same(const struct store_rate_state *a, const struct store_rate_state *b)
{
    return a->window_start == b->window_start && a->prev == b->prev && a->cur == b->cur &&
           a->strikes == b->strikes && a->blocked_until == b->blocked_until &&
           a->last_hit == b->last_hit;
}

/* Write back one changed state: delete when zeroed, else upsert. */
static int rate_state_put(struct conn *c, const char *key, const struct store_rate_state *r,
                          int64_t now)
{
    if (rate_state_zero(r)) {
        struct arg a[] = {arg_s(key)};
        int n = q_exec(c, "DELETE FROM rate_limits WHERE key = ?1", a, NARGS(a));
        return n < 0 ? n : 0;
    }
    struct arg a[] = {arg_s(key),           arg_i(r->window_start),  arg_i(r->prev),
                      arg_i(r->cur),        arg_i(r->strikes),       arg_i(r->blocked_until),
                      arg_i(r->last_hit),   arg_i(now)};
    int n = q_exec(c,
                   "INSERT INTO rate_limits (key, " RATE_COLS ", updated_at) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (key) DO UPDATE SET "
                   "window_start = ?2, prev = ?3, cur = ?4, strikes = ?5, blocked_until = ?6, "
                   "last_hit = ?7, updated_at = ?8",
                   a, NARGS(a));
    return n < 0 ? n : 0;
}

static int sq_ratelimit_apply(struct store *s, const char *const *keys, size_t n,
                              store_rate_fn fn, void *ctx)
{
    struct store_rate_state old[STORE_RATE_KEYS_MAX], cur[STORE_RATE_KEYS_MAX];
    struct conn c;
    memset(old, 0, sizeof old);
    conn_get(s, &c);
    int err = tx_begin(&c);
    for (size_t i = 0; !err && i < n; i++) {
        struct arg a[] = {arg_s(keys[i])};
        err = q_one(&c, "SELECT " RATE_COLS " FROM rate_limits WHERE key = ?1", a, NARGS(a),
                    row_rate_state, &old[i]);
        if (err == RR_ERR_NOTFOUND)
            err = 0;
    }
    if (!err) {
        memcpy(cur, old, sizeof cur);
        err = fn(ctx, cur, n);
    }
    int64_t now = store_now(s);
    for (size_t i = 0; !err && i < n; i++)
        if (!rate_state_same(&old[i], &cur[i]))
            err = rate_state_put(&c, keys[i], &cur[i], now);
    err = tx_end(&c, err);
    conn_put(&c);
    return err;
}

static int sq_stats(struct store *s, struct store_stats *out)
{
    struct sq *sq = sq_of(s);
    pthread_mutex_lock(&sq->mu);
    *out = sq->stats;
    out->queued = sq->queued;
    pthread_mutex_unlock(&sq->mu);
    return 0;
}

/* ---- partners: orgs, API keys, invites, consent ---------------------------------------------- */

static void row_org(sqlite3_stmt *st, void *item)
{
    struct store_org *o = item;
    col_text(st, 0, o->id, sizeof o->id);
    col_text(st, 1, o->name, sizeof o->name);
    o->created_at = sqlite3_column_int64(st, 2);
}

static int sq_org_create(struct store *s, const char *name, struct store_org *out)
{
    memset(out, 0, sizeof *out);
    store_new_id(out->id);
    store__copy(out->name, sizeof out->name, name);
    out->created_at = store_now(s);
    struct arg a[] = {arg_s(out->id), arg_s(name), arg_i(out->created_at)};
    int n = write1(s, "INSERT INTO orgs (id, name, created_at) VALUES (?1, ?2, ?3)", a, NARGS(a));
    return n < 0 ? n : 0;
}

static int sq_org_get(struct store *s, const char *id, struct store_org *out)
{
    struct arg a[] = {arg_s(id)};
    return read_one(s, "SELECT id, name, created_at FROM orgs WHERE id = ?1", a, NARGS(a),
                    row_org, out);
}

static int sq_org_list(struct store *s, const char *user_id, struct store_org **items, size_t *n)
{
    struct arg a[] = {arg_s(user_id)};
    return read_list(s,
                     "SELECT id, name, created_at FROM orgs WHERE ?1 IS NULL OR id IN "
                     "(SELECT org_id FROM org_admins WHERE user_id = ?1) "
                     "ORDER BY created_at, id",
                     a, NARGS(a), sizeof **items, STORE_ORGS_MAX, row_org, (void **)items, n);
}

static int sq_org_admin_add(struct store *s, const char *org_id, const char *user_id)
{
    struct arg a[] = {arg_s(org_id), arg_s(user_id), arg_i(store_now(s))};
    int n = write1(s,
                   "INSERT INTO org_admins (org_id, user_id, created_at) VALUES (?1, ?2, ?3) "
                   "ON CONFLICT (org_id, user_id) DO NOTHING",
                   a, NARGS(a));
    return n < 0 ? n : 0;
}

static int sq_org_admin_check(struct store *s, const char *org_id, const char *user_id)
{
    struct arg a[] = {arg_s(org_id), arg_s(user_id)};
    int64_t one = 0;
    return read_one(s, "SELECT 1 FROM org_admins WHERE org_id = ?1 AND user_id = ?2", a,
                    NARGS(a), row_i64, &one);
}

static void row_apikey(sqlite3_stmt *st, void *item)
{
    struct store_apikey *k = item;
    col_text(st, 0, k->id, sizeof k->id);
    col_text(st, 1, k->org_id, sizeof k->org_id);
    col_text(st, 2, k->name, sizeof k->name);
    col_text(st, 3, k->prefix, sizeof k->prefix);
    col_text(st, 4, k->key_hash, sizeof k->key_hash);
    k->scopes = (unsigned)sqlite3_column_int64(st, 5);
    k->rate_per_min = sqlite3_column_int(st, 6);
    k->created_at = sqlite3_column_int64(st, 7);
    k->expires_at = sqlite3_column_int64(st, 8);
    k->revoked_at = sqlite3_column_int64(st, 9);
    k->last_used_at = sqlite3_column_int64(st, 10);
}

static int sq_apikey_create(struct store *s, struct store_apikey *k)
{
    struct arg a[] = {arg_s(k->id),         arg_s(k->org_id),       arg_s(k->name),
                      arg_s(k->prefix),     arg_s(k->key_hash),     arg_i(k->scopes),
                      arg_i(k->rate_per_min), arg_i(k->created_at), arg_i(k->expires_at)};
    int n = write1(s,
                   "INSERT INTO api_keys (id, org_id, name, prefix, key_hash, scopes, "
                   "rate_per_min, created_at, expires_at) "
                   "VALUES (?1, ?2, coalesce(?3, ''), ?4, ?5, ?6, ?7, ?8, ?9)",
                   a, NARGS(a));
    return n < 0 ? n : 0;
}

static int sq_apikey_get_by_prefix(struct store *s, const char *prefix, struct store_apikey *out)
{
    struct arg a[] = {arg_s(prefix)};
    return read_one(s, "SELECT " APIKEY_COLS " FROM api_keys WHERE prefix = ?1", a, NARGS(a),
                    row_apikey, out);
}

static int sq_apikey_list(struct store *s, const char *org_id, struct store_apikey **items,
                          size_t *n)
{
    struct arg a[] = {arg_s(org_id)};
    int err = read_list(s,
                        "SELECT " APIKEY_COLS " FROM api_keys WHERE org_id = ?1 "
                        "ORDER BY created_at DESC, id DESC",
                        a, NARGS(a), sizeof **items, STORE_ORGS_MAX, row_apikey,
                        (void **)items, n);
    for (size_t i = 0; !err && i < *n; i++)
        (*items)[i].key_hash[0] = '\0'; /* lists never carry the hash */
    return err;
}

static int sq_apikey_revoke(struct store *s, const char *org_id, const char *id)
{
    struct arg a[] = {arg_s(id), arg_s(org_id), arg_i(store_now(s))};
    return write_row(s,
                     "UPDATE api_keys SET revoked_at = CASE WHEN revoked_at = 0 THEN ?3 "
                     "ELSE revoked_at END WHERE id = ?1 AND (?2 IS NULL OR org_id = ?2)",
                     a, NARGS(a));
}

static int sq_apikey_touch(struct store *s, const char *id, int64_t min_gap_ms)
{
    int64_t now = store_now(s);
    struct arg a[] = {arg_s(id), arg_i(now), arg_i(now - min_gap_ms)};
    int n = write1(s,
                   "UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1 AND last_used_at <= ?3",
                   a, NARGS(a));
    return n < 0 ? n : 0;
}

static void row_invite(sqlite3_stmt *st, void *item)
{
    struct store_invite *v = item;
    col_text(st, 0, v->id, sizeof v->id);
    col_text(st, 1, v->org_id, sizeof v->org_id);
    col_text(st, 2, v->code_hash, sizeof v->code_hash);
    v->created_at = sqlite3_column_int64(st, 3);
    v->expires_at = sqlite3_column_int64(st, 4);
    v->used_at = sqlite3_column_int64(st, 5);
    col_text(st, 6, v->used_by, sizeof v->used_by);
}

static int sq_invite_create(struct store *s, struct store_invite *inv)
{
    struct arg a[] = {arg_s(inv->id), arg_s(inv->org_id), arg_s(inv->code_hash),
                      arg_i(inv->created_at), arg_i(inv->expires_at)};
    int n = write1(s,
                   "INSERT INTO org_invites (id, org_id, code_hash, created_at, expires_at) "
                   "VALUES (?1, ?2, ?3, ?4, ?5)",
                   a, NARGS(a));
    return n < 0 ? n : 0;
}

static int sq_invite_list(struct store *s, const char *org_id, struct store_invite **items,
                          size_t *n)
{
    struct arg a[] = {arg_s(org_id)};
    int err = read_list(s,
                        "SELECT " INVITE_COLS " FROM org_invites WHERE org_id = ?1 "
                        "ORDER BY created_at DESC, id DESC",
                        a, NARGS(a), sizeof **items, STORE_ORGS_MAX, row_invite,
                        (void **)items, n);
    for (size_t i = 0; !err && i < *n; i++)
        (*items)[i].code_hash[0] = '\0';
    return err;
}

static void row_member(sqlite3_stmt *st, void *item)
{
    struct store_org_member *m = item;
    col_text(st, 0, m->org_id, sizeof m->org_id);
    col_text(st, 1, m->user_id, sizeof m->user_id);
    col_text(st, 2, m->email, sizeof m->email);
    col_text(st, 3, m->org_name, sizeof m->org_name);
    m->shares = (unsigned)sqlite3_column_int64(st, 4);
    m->created_at = sqlite3_column_int64(st, 5);
}

static int sq_invite_redeem(struct store *s, const char *code_hash, const char *user_id,
                            unsigned shares, struct store_org_member *out,
                            const struct store_outbox_event *ev)
{
    struct conn c;
    struct store_invite inv;
    int64_t now = store_now(s);
    conn_get(s, &c);
    int err = tx_begin(&c);
    if (!err) {
        struct arg a[] = {arg_s(code_hash), arg_i(now)};
        err = q_one(&c,
                    "SELECT " INVITE_COLS " FROM org_invites WHERE code_hash = ?1 "
                    "AND used_at = 0 AND expires_at > ?2",
                    a, NARGS(a), row_invite, &inv);
    }
    if (!err) {
        struct arg u[] = {arg_s(inv.id), arg_i(now), arg_s(user_id)};
        int n = q_exec(&c, "UPDATE org_invites SET used_at = ?2, used_by = ?3 WHERE id = ?1", u,
                       NARGS(u));
        err = n < 0 ? n : 0;
    }
    if (!err) {
        struct arg m[] = {arg_s(inv.org_id), arg_s(user_id), arg_i(shares), arg_i(now)};
        int n = q_exec(&c,
                       "INSERT INTO org_members (org_id, user_id, shares, created_at) "
                       "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (org_id, user_id) DO UPDATE SET "
                       "shares = excluded.shares",
                       m, NARGS(m));
        err = n < 0 ? n : 0;
    }
    if (!err) {
        struct arg g[] = {arg_s(inv.org_id), arg_s(user_id)};
        err = q_one(&c, "SELECT " MEMBER_COLS MEMBER_FROM " WHERE m.org_id = ?1 AND m.user_id = ?2",
                    g, NARGS(g), row_member, out);
    }
    if (!err)
        err = outbox_add(&c, now, ev, user_id, inv.org_id, NULL);
    err = tx_end(&c, err);
    conn_put(&c);
    return err;
}

static int sq_member_get(struct store *s, const char *org_id, const char *user_id,
                         struct store_org_member *out)
{
    struct arg a[] = {arg_s(org_id), arg_s(user_id)};
    return read_one(s, "SELECT " MEMBER_COLS MEMBER_FROM " WHERE m.org_id = ?1 AND m.user_id = ?2",
                    a, NARGS(a), row_member, out);
}

static int sq_member_orgs(struct store *s, const char *user_id, struct store_org_member **items,
                          size_t *n)
{
    struct arg a[] = {arg_s(user_id)};
    return read_list(s,
                     "SELECT " MEMBER_COLS MEMBER_FROM
                     " WHERE m.user_id = ?1 ORDER BY m.created_at DESC, m.org_id DESC",
                     a, NARGS(a), sizeof **items, STORE_ORGS_MAX, row_member, (void **)items, n);
}

static int sq_member_list(struct store *s, const char *org_id, int64_t after_t,
                          const char *after_id, int limit, struct store_org_member **items,
                          size_t *n)
{
    struct arg a[] = {arg_s(org_id), arg_i(after_t), arg_s(after_id[0] ? after_id : "~"),
                      arg_i(limit)};
    return read_list(s,
                     "SELECT " MEMBER_COLS MEMBER_FROM
                     " WHERE m.org_id = ?1 AND (m.created_at < ?2 OR (m.created_at = ?2 AND "
                     "m.user_id < ?3)) ORDER BY m.created_at DESC, m.user_id DESC LIMIT ?4",
                     a, NARGS(a), sizeof **items, (size_t)limit, row_member, (void **)items, n);
}

static int sq_member_unlink(struct store *s, const char *user_id, const char *org_id,
                            const struct store_outbox_event *ev)
{
    struct arg a[] = {arg_s(org_id), arg_s(user_id)};
    return write_row_ev(s, "DELETE FROM org_members WHERE org_id = ?1 AND user_id = ?2", a,
                        NARGS(a), ev, user_id, org_id);
}

static void row_aggregate(sqlite3_stmt *st, void *item)
{
    struct store_org_aggregate *g = item;
    col_text(st, 0, g->exercise, sizeof g->exercise);
    g->members = sqlite3_column_int64(st, 1);
    g->sessions = sqlite3_column_int64(st, 2);
    g->reps = sqlite3_column_int64(st, 3);
    g->volume = sqlite3_column_double(st, 4);
    g->score_sum = sqlite3_column_double(st, 5);
    g->score_n = sqlite3_column_int64(st, 6);
}

static int sq_org_aggregates(struct store *s, const char *org_id, unsigned share_mask,
                             const char *from_day, const char *to_day,
                             struct store_org_aggregate **items, size_t *n)
{
    struct arg a[] = {arg_s(org_id), arg_i(share_mask), arg_s(from_day), arg_s(to_day),
                      arg_i(store_now(s))};
    /* k: the members and their plan's history_days (a plan missing from the table reads as
     * free, none at all as unlimited: app_user_plan); a member's days count from the first
     * whole UTC day inside the history (app_history_from_day) */
    return read_list(s,
                     "WITH k AS (SELECT m.user_id, coalesce(p.history_days, (SELECT "
                     "f.history_days FROM plans f WHERE f.id = 'free'), -1) AS hd "
                     "FROM org_members m JOIN users u ON u.id = m.user_id "
                     "LEFT JOIN plans p ON p.id = u.plan "
                     "WHERE m.org_id = ?1 AND (m.shares & ?2) != 0) "
                     "SELECT d.exercise, count(DISTINCT d.user_id), sum(d.sessions), "
                     "sum(d.reps), sum(d.volume), sum(d.score_sum), sum(d.score_n) "
                     "FROM k JOIN analytics_daily d ON d.user_id = k.user_id "
                     "WHERE d.day >= ?3 AND d.day <= ?4 AND (k.hd < 0 OR d.day >= "
                     "date(max(0, ?5 - k.hd * 86400000 + 86399999) / 86400000 * 86400, "
                     "'unixepoch')) GROUP BY d.exercise ORDER BY d.exercise",
                     a, NARGS(a), sizeof **items, STORE_ANALYTICS_MAX, row_aggregate,
                     (void **)items, n);
}

/* ---- plans, usage metering, flags, billing (migration "plans") ----------------------------- */

static void row_plan(sqlite3_stmt *st, void *item)
{
    struct store_plan *p = item;
    col_text(st, 0, p->id, sizeof p->id);
    col_text(st, 1, p->name, sizeof p->name);
    p->rank = sqlite3_column_int(st, 2);
    p->uploads_per_month = sqlite3_column_int64(st, 3);
    p->max_video_s = sqlite3_column_int64(st, 4);
    p->history_days = sqlite3_column_int64(st, 5);
    p->heavy_model = sqlite3_column_int(st, 6) != 0;
    p->overlay_video = sqlite3_column_int(st, 7) != 0;
    p->price_cents = sqlite3_column_int64(st, 8);
}

static int sq_plan_list(struct store *s, struct store_plan **items, size_t *n)
{
    return read_list(s, "SELECT " PLAN_COLS " FROM plans p ORDER BY p.rank", NULL, 0,
                     sizeof **items, STORE_PLANS_MAX, row_plan, (void **)items, n);
}

static int sq_plan_get(struct store *s, const char *id, const char *org_id,
                       struct store_plan *out)
{
    struct arg a[] = {arg_s(id ? id : org_id)};
    return read_one(s,
                    id ? "SELECT " PLAN_COLS " FROM plans p WHERE p.id = ?1"
                       : "SELECT " PLAN_COLS " FROM org_plans o JOIN plans p ON p.id = o.plan "
                         "WHERE o.org_id = ?1",
                    a, NARGS(a), row_plan, out);
}

static int sq_user_set_plan(struct store *s, const char *user_id, const char *plan)
{
    struct arg a[] = {arg_s(user_id), arg_s(plan)};
    struct conn c;
    conn_get(s, &c);
    int64_t one = 0;
    int err = tx_begin(&c);
    if (!err) {
        err = q_one(&c, "SELECT 1 FROM plans WHERE id = ?2", a, NARGS(a), row_i64, &one);
        if (err == RR_ERR_NOTFOUND)
            err = RR_ERR_INVAL;
    }
    if (!err) {
        int n = q_exec(&c, "UPDATE users SET plan = ?2 WHERE id = ?1", a, NARGS(a));
        err = n < 0 ? n : n == 0 ? RR_ERR_NOTFOUND : 0;
    }
    err = tx_end(&c, err);
    conn_put(&c);
    return err;
}

static int sq_user_set_org(struct store *s, const char *user_id, const char *org_id)
{
    struct arg a[] = {arg_s(user_id), arg_s(org_id)};
    return write_row(s, "UPDATE users SET org_id = ?2 WHERE id = ?1", a, NARGS(a));
}

/* Counters of the user (and org) + one event, inside the caller's transaction. */
static int usage_count(struct conn *c, int64_t now, const char *user_id, const char *org_id,
                       const char *metric, int64_t quantity, const char *ref_id,
                       const char *month)
{
    char id[STORE_ID_LEN + 1];
    store_new_id(id);
    struct arg ev[] = {arg_s(id),     arg_s(user_id),  arg_s(org_id), arg_s(metric),
                       arg_i(quantity), arg_s(ref_id), arg_i(now)};
    int err = q_exec(c,
                     "INSERT INTO usage_events (id, user_id, org_id, metric, quantity, ref_id, "
                     "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                     ev, NARGS(ev));
    static const char up[] =
        "INSERT INTO usage_monthly (subject_kind, subject_id, month, metric, count) "
        "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (subject_kind, subject_id, month, metric) "
        "DO UPDATE SET count = count + excluded.count";
    if (err >= 0) {
        struct arg u[] = {arg_s("user"), arg_s(user_id), arg_s(month), arg_s(metric),
                          arg_i(quantity)};
        err = q_exec(c, up, u, NARGS(u));
    }
    if (err >= 0 && org_id) {
        struct arg o[] = {arg_s("org"), arg_s(org_id), arg_s(month), arg_s(metric),
                          arg_i(quantity)};
        err = q_exec(c, up, o, NARGS(o));
    }
    return err < 0 ? err : 0;
}

static void row_limit(sqlite3_stmt *st, void *item)
{
    struct limit_row *l = item;
    l->limit = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 0);
    col_text(st, 1, l->plan, sizeof l->plan);
    col_text(st, 2, l->org_id, sizeof l->org_id);
}

static int sq_video_create_metered(struct store *s, const struct store_video *v,
                                   const char *metric, const char *org_id, const char *month,
                                   struct store_meter *m)
{
    struct conn c;
    conn_get(s, &c);
    int err = tx_begin(&c);
    if (!err) {
        struct arg a[] = {arg_s(v->id),       arg_i(v->created_at), arg_s(v->user_id),
                          arg_s(v->blob_key), arg_s(v->sha256),     arg_i(v->size),
                          arg_i(v->duration_ms), arg_s(v->status)};
        int n = q_exec(&c,
                       "INSERT INTO videos (" VIDEO_COLS ") "
                       "VALUES (?1, ?2, ?3, ?4, coalesce(?5, ''), ?6, ?7, ?8)",
                       a, NARGS(a));
        err = n < 0 ? n : 0;
    }
    struct limit_row l = {-1, "", ""};
    if (!err) { /* the limit of the user's plan for this metric (only uploads have one) */
        struct arg a[] = {arg_s(v->user_id), arg_s(metric)};
        err = q_one(&c,
                    "SELECT CASE ?2 WHEN 'uploads' THEN p.uploads_per_month END, u.plan, "
                    "coalesce(u.org_id, '') FROM users u LEFT JOIN plans p ON p.id = u.plan "
                    "WHERE u.id = ?1",
                    a, NARGS(a), row_limit, &l);
        m->limit = l.limit;
        memcpy(m->plan, l.plan, sizeof m->plan);
        if (!org_id && l.org_id[0])
            org_id = l.org_id;
    }
    if (!err) {
        struct arg a[] = {arg_s(v->user_id), arg_s(month), arg_s(metric)};
        m->used = 0;
        err = q_one(&c,
                    "SELECT count FROM usage_monthly WHERE subject_kind = 'user' AND "
                    "subject_id = ?1 AND month = ?2 AND metric = ?3",
                    a, NARGS(a), row_i64, &m->used);
        if (err == RR_ERR_NOTFOUND)
            err = 0;
    }
    if (!err && m->limit >= 0 && m->used >= m->limit)
        err = RR_ERR_QUOTA;
    if (!err)
        err = usage_count(&c, v->created_at, v->user_id, org_id, metric, 1, v->id, month);
    err = tx_end(&c, err);
    conn_put(&c);
    return err;
}

static int sq_usage_add(struct store *s, const char *user_id, const char *org_id,
                        const char *metric, int64_t quantity, const char *ref_id,
                        const char *month)
{
    struct conn c;
    conn_get(s, &c);
    int err = tx_begin(&c);
    if (!err)
        err = usage_count(&c, store_now(s), user_id, org_id, metric, quantity, ref_id, month);
    if (err == RR_ERR_NOTFOUND || err == RR_ERR_CONFLICT)
        err = RR_ERR_NOTFOUND; /* the user is gone (foreign key) */
    err = tx_end(&c, err);
    conn_put(&c);
    return err;
}

static void row_usage(sqlite3_stmt *st, void *item)
{
    struct store_usage_row *r = item;
    col_text(st, 0, r->subject_kind, sizeof r->subject_kind);
    col_text(st, 1, r->subject_id, sizeof r->subject_id);
    col_text(st, 2, r->email, sizeof r->email);
    col_text(st, 3, r->plan, sizeof r->plan);
    col_text(st, 4, r->month, sizeof r->month);
    col_text(st, 5, r->metric, sizeof r->metric);
    r->count = sqlite3_column_int64(st, 6);
}

static int sq_usage_list(struct store *s, const char *month, const char *user_id,
                         struct store_usage_row **items, size_t *n)
{
    struct arg a[] = {arg_s(month), arg_s(user_id)};
    return read_list(
        s,
        "SELECT m.subject_kind, m.subject_id, coalesce(u.email, ''), "
        "coalesce(CASE m.subject_kind WHEN 'user' THEN u.plan ELSE o.plan END, ''), m.month, "
        "m.metric, m.count FROM usage_monthly m "
        "LEFT JOIN users u ON m.subject_kind = 'user' AND u.id = m.subject_id "
        "LEFT JOIN org_plans o ON m.subject_kind = 'org' AND o.org_id = m.subject_id "
        "WHERE m.month = ?1 AND (?2 IS NULL OR (m.subject_kind = 'user' AND m.subject_id = ?2)) "
        "ORDER BY m.subject_kind DESC, coalesce(u.email, m.subject_id), m.metric",
        a, NARGS(a), sizeof **items, STORE_USAGE_ROWS_MAX, row_usage, (void **)items, n);
}

static void row_flag(sqlite3_stmt *st, void *item)
{
    struct store_flag *f = item;
    col_text(st, 0, f->name, sizeof f->name);
    col_text(st, 1, f->description, sizeof f->description);
    f->rollout_percent = sqlite3_column_int(st, 2);
    f->user_rule = sqlite3_column_int(st, 3);
    f->org_rule = sqlite3_column_int(st, 4);
    f->plan_rule = sqlite3_column_int(st, 5);
}

static int sq_flag_list(struct store *s, const char *user_id, const char *org_id,
                        const char *plan, struct store_flag **items, size_t *n)
{
    struct arg a[] = {arg_s(user_id), arg_s(org_id), arg_s(plan)};
#define RULE(scope, arg)                                                                           \
    "coalesce((SELECT enabled FROM flag_rules r WHERE r.flag = f.name AND r.scope = '" scope      \
    "' AND r.subject = " arg "), -1)"
    return read_list(s,
                     "SELECT f.name, f.description, f.rollout_percent, " RULE("user", "?1") ", " RULE(
                         "org", "?2") ", " RULE("plan", "?3") " FROM feature_flags f ORDER BY f.name",
                     a, NARGS(a), sizeof **items, STORE_FLAGS_MAX, row_flag, (void **)items, n);
#undef RULE
}

static int sq_flag_set(struct store *s, const char *name, const char *description, int percent)
{
    struct arg a[] = {arg_s(name), arg_s(description), arg_i(percent), arg_i(store_now(s))};
    int n = write1(s,
                   "INSERT INTO feature_flags (name, description, rollout_percent, updated_at) "
                   "VALUES (?1, coalesce(?2, ''), ?3, ?4) ON CONFLICT (name) DO UPDATE SET "
                   "description = coalesce(?2, description), rollout_percent = ?3, "
                   "updated_at = ?4",
                   a, NARGS(a));
    return n < 0 ? n : 0;
}

static int sq_flag_rule(struct store *s, const char *name, const char *scope, const char *subject,
                        int enabled)
{
    struct arg a[] = {arg_s(name), arg_s(scope), arg_s(subject), arg_i(enabled)};
    if (enabled < 0)
        return write_row(s, "DELETE FROM flag_rules WHERE flag = ?1 AND scope = ?2 AND "
                            "subject = ?3",
                         a, 3);
    int n = write1(s,
                   "INSERT INTO flag_rules (flag, scope, subject, enabled) "
                   "SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM feature_flags "
                   "WHERE name = ?1) ON CONFLICT (flag, scope, subject) DO UPDATE SET "
                   "enabled = excluded.enabled",
                   a, NARGS(a));
    return n < 0 ? n : n == 0 ? RR_ERR_NOTFOUND : 0;
}

static int sq_billing_apply(struct store *s, const char *event_id, const char *type,
                            const char *user_id, const char *plan, int *duplicate)
{
    struct conn c;
    conn_get(s, &c);
    int64_t one = 0;
    int err = tx_begin(&c);
    if (!err) {
        struct arg a[] = {arg_s(event_id)};
        err = q_one(&c, "SELECT 1 FROM billing_events WHERE id = ?1", a, NARGS(a), row_i64,
                    &one);
        if (err == 0)
            *duplicate = 1;
        else if (err == RR_ERR_NOTFOUND)
            err = 0;
    }
    if (!err && !*duplicate) {
        struct arg a[] = {arg_s(plan)};
        err = q_one(&c, "SELECT 1 FROM plans WHERE id = ?1", a, NARGS(a), row_i64, &one);
        if (err == RR_ERR_NOTFOUND)
            err = RR_ERR_INVAL;
    }
    if (!err && !*duplicate) {
        struct arg a[] = {arg_s(user_id), arg_s(plan)};
        int n = q_exec(&c, "UPDATE users SET plan = ?2 WHERE id = ?1", a, NARGS(a));
        err = n < 0 ? n : n == 0 ? RR_ERR_NOTFOUND : 0;
    }
    if (!err && !*duplicate) {
        struct arg a[] = {arg_s(event_id), arg_s(type), arg_s(user_id), arg_s(plan),
                          arg_i(store_now(s))};
        int n = q_exec(&c,
                       "INSERT INTO billing_events (id, type, user_id, plan, received_at) "
                       "VALUES (?1, ?2, ?3, ?4, ?5)",
                       a, NARGS(a));
        err = n < 0 ? n : 0;
    }
    err = tx_end(&c, err);
    conn_put(&c);
    return err;
}


static void row_outbox(sqlite3_stmt *st, void *item)
{
    struct store_outbox *o = item;
    o->id = sqlite3_column_int64(st, 0);
    col_text(st, 1, o->type, sizeof o->type);
    col_text(st, 2, o->org_id, sizeof o->org_id);
    col_text(st, 3, o->user_id, sizeof o->user_id);
    col_text(st, 4, o->workout_id, sizeof o->workout_id);
    col_text(st, 5, o->data, sizeof o->data);
    o->created_at = sqlite3_column_int64(st, 6);
}

static int sq_outbox_list(struct store *s, const char *user_id, int limit,
                          struct store_outbox **items, size_t *n)
{
    struct arg a[] = {arg_i(limit), arg_s(user_id)};
    return read_list(s,
                     user_id ? "SELECT " OUTBOX_COLS " FROM partner_outbox WHERE user_id = ?2 "
                               "ORDER BY id LIMIT ?1"
                             : "SELECT " OUTBOX_COLS " FROM partner_outbox ORDER BY id LIMIT ?1",
                     a, user_id ? NARGS(a) : 1, sizeof **items, (size_t)limit, row_outbox,
                     (void **)items, n);
}

static int sq_outbox_drop(struct store *s, int64_t id)
{
    struct arg a[] = {arg_i(id)};
    return write_row(s, "DELETE FROM partner_outbox WHERE id = ?1", a, NARGS(a));
}

static const struct store_ops sqlite_ops = {
    .name = "sqlite",
    .close = sq_close,
    .migrate = sq_migrate,
    .schema_version = sq_schema_version,
    .check = sq_check,
    .user_create = sq_user_create,
    .user_get = sq_user_get,
    .user_set_password = sq_user_set_password,
    .user_delete = sq_user_delete,
    .refresh_create = sq_refresh_create,
    .refresh_get = sq_refresh_get,
    .refresh_rotate = sq_refresh_rotate,
    .refresh_revoke = sq_refresh_revoke,
    .video_create = sq_video_create,
    .video_get = sq_video_get,
    .video_set_status = sq_video_set_status,
    .video_delete = sq_video_delete,
    .video_list = sq_video_list,
    .job_enqueue = sq_job_enqueue,
    .job_claim = sq_job_claim,
    .job_heartbeat = sq_job_heartbeat,
    .job_progress = sq_job_progress,
    .job_complete = sq_job_complete,
    .job_fail = sq_job_fail,
    .job_release = sq_job_release,
    .job_get = sq_job_get,
    .job_list = sq_job_list,
    .job_counts = sq_job_counts,
    .workout_put = sq_workout_put,
    .workout_put_session = sq_workout_put_session,
    .workout_get = sq_workout_get,
    .workout_delete = sq_workout_delete,
    .workout_list = sq_workout_list,
    .workout_sets = sq_workout_sets,
    .workout_reps = sq_workout_reps,
    .workout_rename = sq_workout_rename,
    .analytics_range = sq_analytics_range,
    .upload_create = sq_upload_create,
    .upload_get = sq_upload_get,
    .upload_set_offset = sq_upload_set_offset,
    .upload_complete = sq_upload_complete,
    .upload_delete = sq_upload_delete,
    .upload_expired = sq_upload_expired,
    .user_usage = sq_user_usage,
    .rate_purge = sq_rate_purge,
    .analytics_set = sq_analytics_set,
    .analytics_span = sq_analytics_span,
    .ratelimit_apply = sq_ratelimit_apply,
    .video_fail = sq_video_fail,
    .job_reap_expired = sq_job_reap_expired,
    .job_find_for_video = sq_job_find_for_video,
    .stats = sq_stats,
    .org_create = sq_org_create,
    .org_get = sq_org_get,
    .org_list = sq_org_list,
    .org_admin_add = sq_org_admin_add,
    .org_admin_check = sq_org_admin_check,
    .apikey_create = sq_apikey_create,
    .apikey_get_by_prefix = sq_apikey_get_by_prefix,
    .apikey_list = sq_apikey_list,
    .apikey_revoke = sq_apikey_revoke,
    .apikey_touch = sq_apikey_touch,
    .invite_create = sq_invite_create,
    .invite_list = sq_invite_list,
    .invite_redeem = sq_invite_redeem,
    .member_get = sq_member_get,
    .member_orgs = sq_member_orgs,
    .member_list = sq_member_list,
    .member_unlink = sq_member_unlink,
    .org_aggregates = sq_org_aggregates,
    .webhook_endpoint_create = sq_hook_ep_create,
    .webhook_endpoint_get = sq_hook_ep_get,
    .webhook_endpoint_list = sq_hook_ep_list,
    .webhook_endpoint_delete = sq_hook_ep_delete,
    .webhook_emit = sq_hook_emit,
    .webhook_delivery_get = sq_hook_dl_get,
    .webhook_delivery_body = sq_hook_dl_body,
    .webhook_delivery_list = sq_hook_dl_list,
    .webhook_delivery_claim = sq_hook_dl_claim,
    .webhook_delivery_finish = sq_hook_dl_finish,
    .outbox_list = sq_outbox_list,
    .outbox_drop = sq_outbox_drop,
    .user_set_plan = sq_user_set_plan,
    .user_set_org = sq_user_set_org,
    .plan_list = sq_plan_list,
    .plan_get = sq_plan_get,
    .video_create_metered = sq_video_create_metered,
    .usage_add = sq_usage_add,
    .usage_list = sq_usage_list,
    .flag_list = sq_flag_list,
    .flag_set = sq_flag_set,
    .flag_rule = sq_flag_rule,
    .billing_apply = sq_billing_apply,
};
