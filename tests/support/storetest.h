/*
 * storetest.h - the store of a store test (not part of the product): a fresh temporary directory,
 * the store opened in it (SQLite "test.db", or a fresh PostgreSQL database when
 * RR_TEST_STORE=postgres, pgtest.h) and migrated, with the test's clock if it wants one; users
 * made with the test's password hash; all removed again at the end.
 *
 * Usage, in a cmocka setup:   f->now = STORETEST_NOW; storetest_open(&f->s, f->dir, "pa", &f->now);
 *                 teardown:   storetest_close(f->s, f->dir);
 * Errors: a failure is a cmocka assertion (the test fails where it happened); a missing
 * PostgreSQL exits 77 (pgtest_store_url).
 * Ownership: the caller owns *s and dir until storetest_close; `now` must outlive the store.
 * Not thread-safe: call from the test's main thread.
 */
#ifndef RR_TEST_STORETEST_H
#define RR_TEST_STORETEST_H

#include <stdint.h>

#include "store/store.h"

#define STORETEST_NOW INT64_C(1767225600000) /* 2026-01-01T00:00:00Z */
#define STORETEST_DIR_MAX 64

/* A new directory /tmp/rr-store-<tag>-XXXXXX into dir, the store in it, migrated. now: NULL for
 * the real clock, else the store's clock reads *now (set before the migration runs). */
void storetest_open(struct store **s, char dir[STORETEST_DIR_MAX], const char *tag,
                    int64_t *now);
/* A user with that email (password hash "hash", role "user"); its id into id. */
void storetest_user(struct store *s, const char *email, char id[STORE_ID_LEN + 1]);
/* Close the store and remove the directory and the SQLite files in it. */
void storetest_close(struct store *s, const char *dir);

#endif
