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

/* What one workout adds to the numbers derived from it (workout_stats.c): kept on its row
 * (migration "workout_counts") and added to its analytics_daily row in the write's own
 * transaction. Every backend's workout_put / workout_put_session / workout_delete maintains
 * both (store.h, "Derived numbers"). */
struct store_workout_stats {
    int64_t reps;                /* sum of sets.reps (the list's "reps") */
    int64_t good, bad, unjudged; /* rep rows by metrics "verdict" */
    int active;                  /* a rep, a hold or a rep row: one analytics session */
    double volume;               /* sum of load_kg * reps over sets with load_kg > 0, reps > 0 */
    double score_sum;            /* reps not "cannot_judge", + score > 0 of sets without reps */
    int64_t score_n;
};
/* The stats of a workout made of these records (reps[i].set_idx indexes sets). */
void store__workout_stats(const struct store_set *sets, size_t nsets,
                          const struct store_rep *reps, size_t nreps,
                          struct store_workout_stats *out);
/* Merge: the stats of a workout after a set was appended (sums; active = either). */
void store__workout_stats_add(struct store_workout_stats *into,
                              const struct store_workout_stats *add);
/* UTC day "YYYY-MM-DD" of a millisecond timestamp (= analytics_day_of). */
void store__day_of(int64_t t_ms, char out[11]);

/* An id for a workout, set or rep: the same 32 lowercase hex as store_new_id, but the first 12
 * digits are now_ms (48 bits) and the other 80 bits random. Rows written together then land on
 * the same index pages (the right edge of each B-tree) instead of one random leaf per index
 * per row: a batch of 40 syncs wrote ~6 random 4 KiB pages each to the WAL (pwrite was a third
 * of the CPU at 64 writers). 80 random bits keep it unguessable; the time it shows is the
 * row's created_at, which the API shows anyway. */
void store__new_id_at(char out[STORE_ID_LEN + 1], int64_t now_ms);

/* Copy src into dst[cap]; RR_ERR_TOOBIG when it does not fit (dst then holds ""). */
int store__copy(char *dst, size_t cap, const char *src);

/* snprintf into msg when msg is not NULL. */
void store__msg(char *msg, size_t msg_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* store.c's argument checks, for the module's other files (webhooks.c): a well-formed id; a
 * page request (cursor decoded into (t, id), limit in range, outputs cleared); a full page
 * turned into the next cursor (backends fetch limit + 1 rows). */
bool store__is_id(const char *id);
/* 0 when ev is NULL or well-formed (type a word, data within STORE_OUTBOX_DATA_MAX), else
 * RR_ERR_INVAL / TOOBIG (webhooks.c). */
int store__outbox_event_ok(const struct store_outbox_event *ev);
int store__page_args(const char *cursor, int limit, int64_t *t, char id[STORE_ID_LEN + 1],
                     void *items, size_t *n, char *next);
void store__page_finish(size_t *n, int limit, int64_t last_t, const char *last_id, char *next);

#endif
