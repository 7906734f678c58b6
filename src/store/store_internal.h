/*
 * store_internal.h - what the store module's files share: backend constructors, the migration
 * table, small text helpers. Not for callers outside src/store/.
 */
#ifndef RR_STORE_INTERNAL_H
#define RR_STORE_INTERNAL_H

#include "store/store.h"

struct store_migration {
    int version;      /* 1, 2, 3, ... without gaps */
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

#endif
