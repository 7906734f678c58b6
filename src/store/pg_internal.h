/*
 * pg_internal.h - what the PostgreSQL backend's files share (pg_conn.c: pool, statements,
 * transactions; postgres.c: the store operations; pg_migrations.c: the schema). Not for callers
 * outside src/store/.
 *
 * Thread-safety: struct pgs is shared by all threads; a struct conn belongs to one call on one
 * thread and holds at most one pooled connection (checked out on first use, returned by
 * conn_put). Results (struct prow) are read before the next statement on the same conn.
 */
#ifndef RR_STORE_PG_INTERNAL_H
#define RR_STORE_PG_INTERNAL_H

#include "store/store_internal.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define PG_POOL_MAX 8         /* connections per process, opened on demand */
#define PG_POOL_WAIT_MS 10000 /* a caller's wait for a free connection: then BUSY */
#define PG_STMT_CACHE 96      /* prepared statements kept per connection */
#define PG_URL_MAX 1024
#define PG_PIPE_MAX 64        /* statements queued on a connection before a round trip */

struct pg_stmt {
    uint64_t hash;
    char *sql;
};

/* One pooled connection: NULL pg = not connected (yet, or dropped after a failure). */
struct pg_slot {
    PGconn *pg;
    bool in_use;
    bool broken; /* the connection failed: close and re-open on next use */
    struct pg_stmt st[PG_STMT_CACHE]; /* statement i is prepared as "s<i>" */
};

/* A caller waiting for a slot (on its stack), in arrival order. */
struct pg_waiter {
    pthread_cond_t cv; /* monotonic clock */
    struct pg_slot *got; /* the slot handed over by conn_put */
    struct pg_waiter *next;
};

struct pgs {
    struct store base; /* first: a struct store * is a struct pgs * */
    pthread_mutex_t mu;
    struct pg_slot slot[PG_POOL_MAX];
    struct pg_waiter *wq_head, *wq_tail; /* under mu */
    int waiting;                /* callers waiting for a slot, under mu */
    struct store_stats stats;   /* under mu */
    char url[PG_URL_MAX];       /* as given (with any password): never logged */
    char masked[PG_URL_MAX];    /* the same with the password replaced by *** */
    char last_error[256];       /* the last connection failure, under mu */
};

/* A call's handle: conn_get, then statements, then conn_put. Inside a transaction, BEGIN and
 * the statements whose results are not needed (q_defer) wait in libpq's pipeline and go to the
 * server with the next statement that needs an answer, or with the COMMIT: one round trip. */
struct conn {
    struct pgs *p;
    struct pg_slot *sl; /* NULL until the first statement */
    bool in_tx;
    bool fresh;         /* nothing has run on sl in this checkout: a broken link may be retried */
    bool begin_pending; /* tx_begin done, BEGIN not sent yet */
    int npend;          /* results expected from the pipeline */
    int pend[PG_PIPE_MAX + 4]; /* per result: the statement cache slot it prepares, or -1 */
};

struct arg {
    char type; /* 's' text (NULL or "" binds SQL NULL), 'i' int64, 'd' double */
    const char *s;
    int64_t i;
    double d;
};

static inline struct arg arg_s(const char *s)
{
    return (struct arg){'s', s, 0, 0.0};
}
static inline struct arg arg_i(int64_t i)
{
    return (struct arg){'i', NULL, i, 0.0};
}
static inline struct arg arg_d(double d)
{
    return (struct arg){'d', NULL, 0, d};
}
#define NARGS(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* One row of a result. */
struct prow {
    const PGresult *r;
    int i;
};
void col_text(const struct prow *st, int col, char *dst, size_t cap);
int64_t col_i64(const struct prow *st, int col);
int col_int(const struct prow *st, int col);
double col_dbl(const struct prow *st, int col);
bool col_null(const struct prow *st, int col);

typedef void (*row_fn)(const struct prow *st, void *item);

static inline struct pgs *pgs_of(struct store *s)
{
    return (struct pgs *)s;
}

/* Connections */
int pg__open(const char *url, struct pgs **out, char *msg, size_t msg_len);
void pg__close(struct pgs *p);
void pg__mask_url(const char *url, char *out, size_t cap);
void conn_get(struct store *s, struct conn *c);
void conn_put(struct conn *c);
/* Drop the checked-out connection (it is closed, the slot re-opens on next use). */
void conn_drop(struct conn *c);

/* Statements (prepared once per connection). q_exec: rows changed or an error. q_one:
 * NOTFOUND when no row. q_list: up to max rows into a malloc'd array. q_simple: text run by the
 * simple protocol (several statements allowed, no arguments); msg gets the server's reason. */
int q_exec(struct conn *c, const char *sql, const struct arg *a, int na);
int q_one(struct conn *c, const char *sql, const struct arg *a, int na, row_fn fn, void *item);
int q_list(struct conn *c, const char *sql, const struct arg *a, int na, size_t item_size,
           size_t max, row_fn fn, void **items, size_t *n);
int q_simple(struct conn *c, const char *sql, char *msg, size_t msg_len);
/* Inside a transaction: queue a statement whose result is not needed (an INSERT, a lock); its
 * error, if any, comes back from the next statement or from tx_end. 0 or a send failure. */
int q_defer(struct conn *c, const char *sql, const struct arg *a, int na);

/* Transactions: BEGIN ... COMMIT (err == 0) or ROLLBACK; tx_end returns err or the COMMIT's
 * failure (IO when the connection died during COMMIT: the outcome is then unknown). */
int tx_begin(struct conn *c);
int tx_end(struct conn *c, int err);
/* Serialise on a key until the transaction ends (pg_advisory_xact_lock of a hash of a and b). */
int tx_lock_key(struct conn *c, const char *a, const char *b);

/* Whole calls on a fresh conn. */
int write1(struct store *s, const char *sql, const struct arg *a, int na);
int write_row(struct store *s, const char *sql, const struct arg *a, int na);
int read_one(struct store *s, const char *sql, const struct arg *a, int na, row_fn fn,
             void *item);
int read_list(struct store *s, const char *sql, const struct arg *a, int na, size_t item_size,
              size_t max, row_fn fn, void **items, size_t *n);

/* The PostgreSQL dialect of the migrations: the same versions and names as SQLite's. */
const struct store_migration *store__pg_migrations(size_t *n);

#endif
