/*
 * pgtest.h - a throwaway PostgreSQL server for tests (not part of the product).
 *
 * pgtest_start() starts PostgreSQL 15 once per process: initdb into a fresh temporary directory,
 * a random free port on 127.0.0.1, its unix socket in that directory, fsync off (test data only:
 * durability is measured by the bench against a normal server). As root (CI) the server runs as
 * the `postgres` user (initdb refuses root). It is stopped and deleted at exit by the process
 * that started it (forked children leave it alone). With REPRIGHT_TEST_DATABASE_URL set to an
 * admin URL of an existing server, that server is used instead and nothing is started.
 * Every test gets its own empty database from pgtest_new_db().
 *
 * Errors: pgtest_start returns 0, or RRTEST_SKIP_CODE (77) after printing "SKIP: ..." when the
 * PostgreSQL binaries are absent, or -1 with a message on stderr when the server fails.
 * Not thread-safe: call from the test's main thread.
 */
#ifndef RR_TEST_PGTEST_H
#define RR_TEST_PGTEST_H

#include <stdbool.h>
#include <stddef.h>

int pgtest_start(void);
/* A new empty database named "<prefix><n><suffix>"; its URL into url. 0 or -1. */
int pgtest_create_db(const char *name, char *url, size_t url_len);
/* A fresh database with a unique name ("rrt_<pid>_<n>"); url of it, and its name. */
int pgtest_new_db(char *url, size_t url_len, char *name, size_t name_len);
/* Stop / start the server again (same port, same data): for reconnection tests. 0 or -1.
 * Only for a server this process started. */
int pgtest_server_stop(void);
int pgtest_server_start(void);
/* Whether this process runs its own server (pgtest_server_stop/start are usable). */
bool pgtest_owns_server(void);
/* Stop and delete now (also done at exit). */
void pgtest_shutdown(void);

/* Whether the store tests run on PostgreSQL: RR_TEST_STORE=postgres in the environment. */
bool pgtest_store_is_pg(void);
/* The store URL for a test: "sqlite:<dir>/<file>" normally, or a fresh PostgreSQL database
 * when pgtest_store_is_pg() (starting the server on first use; exits 77 when it is absent). */
int pgtest_store_url(const char *dir, const char *file, char *url, size_t url_len);

#endif
