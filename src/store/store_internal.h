/*
 * store_internal.h - what the store module's files share: backend constructors, the migration
 * table, small text helpers. Not for callers outside src/store/.
 */
#ifndef RR_STORE_INTERNAL_H
#define RR_STORE_INTERNAL_H

#include "store/store.h"

struct store_migration {
    int version;      /* 1, 2, 3, ... increasing (a number reserved by parallel work may be skipped) */
    const char *name; /* e.g. "init" (docs/internals/store.md lists them) */
    const char *sql;  /* one or more statements */
};

/* The SQLite dialect of the migrations, in version order. */
const struct store_migration *store__sqlite_migrations(size_t *n);

/* Open the SQLite backend on path (the part of the URL after "sqlite:"). */
int store__sqlite_open(const char *path, struct store **out, char *msg, size_t msg_len);

/* Open the PostgreSQL backend on a libpq URL (postgres://... or postgresql://...). */
int store__pg_open(const char *url, struct store **out, char *msg, size_t msg_len);

/* Copy src into dst[cap]; RR_ERR_TOOBIG when it does not fit (dst then holds ""). */
int store__copy(char *dst, size_t cap, const char *src);

/* snprintf into msg when msg is not NULL. */
void store__msg(char *msg, size_t msg_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* store.c's argument checks, for the module's other files (webhooks.c): a well-formed id; a
 * page request (cursor decoded into (t, id), limit in range, outputs cleared); a full page
 * turned into the next cursor (backends fetch limit + 1 rows). */
bool store__is_id(const char *id);
int store__page_args(const char *cursor, int limit, int64_t *t, char id[STORE_ID_LEN + 1],
                     void *items, size_t *n, char *next);
void store__page_finish(size_t *n, int limit, int64_t last_t, const char *last_id, char *next);

#endif
