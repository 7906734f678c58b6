/*
 * rrtest_redis.h - a throwaway redis-server for tests: started on a random free loopback port in
 * a temporary directory (no persistence, no config file), killed and restarted on the same port
 * for chaos tests, stopped and removed at the end. Not part of the product.
 *
 * rrtest_redis_start returns 0, RRTEST_SKIP_CODE (77) when no redis-server is installed (the
 * caller prints its SKIP line), or -1 with the reason on stderr. Not thread-safe.
 */
#ifndef RRTEST_REDIS_H
#define RRTEST_REDIS_H

#include <sys/types.h>

struct rrtest_redis {
    char dir[128];
    char url[160]; /* redis://127.0.0.1:<port>/0 */
    int port;
    pid_t pid;
};

int rrtest_redis_start(struct rrtest_redis *r);
/* kill -9 the server (no shutdown, nothing saved) and reap it. */
void rrtest_redis_kill(struct rrtest_redis *r);
/* Start again on the same port and directory (after rrtest_redis_kill); 0 or -1. */
int rrtest_redis_restart(struct rrtest_redis *r);
/* Stop the server and remove its directory; safe twice. */
void rrtest_redis_stop(struct rrtest_redis *r);
/* Run one command line through redis-cli against the server (e.g. "FLUSHALL"); its exit code. */
int rrtest_redis_cli(const struct rrtest_redis *r, const char *args);


/* The queue contract suites: run(url) for "db", then for a fresh redis-server with
 * "redis://127.0.0.1:<port>/0<redis_query>" (redis_query e.g. "?block_ms=50", may be ""),
 * which is stopped afterwards. Returns the failures of both; without redis-server the second run
 * is a SKIP line (rrtest_status then says 77 unless something failed). */
int rrtest_queue_backends(const char *test, const char *redis_query, int (*run)(const char *url));
/* For a redis:// url (a test's own server): FLUSHALL it, so each case starts from nothing.
 * "db" and other urls: nothing. 0, or -1 when redis-cli failed. */
int rrtest_redis_flush_url(const char *url);

#endif
