/*
 * rrtest_redis.c - a throwaway redis-server on loopback for the queue tests (rrtest_redis.h).
 */
#include "support/rrtest_redis.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/rrtest.h"

static const char *server_path(void)
{
    static const char *const paths[] = {"/usr/bin/redis-server", "/usr/local/bin/redis-server"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        if (access(paths[i], X_OK) == 0)
            return paths[i];
    return NULL;
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* 1 when the server answers PING with +PONG. */
static int answers(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return 0;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct timeval tv = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int ok = 0;
    char buf[16] = "";
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0 && write(fd, "PING\r\n", 6) == 6 &&
        read(fd, buf, sizeof buf - 1) > 0)
        ok = strncmp(buf, "+PONG", 5) == 0;
    close(fd);
    return ok;
}

static int spawn(struct rrtest_redis *r)
{
    const char *bin = server_path();
    if (!bin)
        return RRTEST_SKIP_CODE;
    char port[16], log[200];
    snprintf(port, sizeof port, "%d", r->port);
    snprintf(log, sizeof log, "%s/redis.log", r->dir);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        /* dies with the test, even one that crashes or is killed before its cleanup */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        execl(bin, bin, "--port", port, "--bind", "127.0.0.1", "--dir", r->dir, "--save", "",
              "--appendonly", "no", "--daemonize", "no", "--logfile", log, (char *)NULL);
        _exit(127);
    }
    r->pid = pid;
    for (int i = 0; i < 250; i++) { /* 5 s */
        if (answers(r->port))
            return 0;
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            fprintf(stderr, "redis-server exited at start (see %s)\n", log);
            r->pid = 0;
            return -1;
        }
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    fprintf(stderr, "redis-server did not answer on port %d\n", r->port);
    return -1;
}

int rrtest_redis_start(struct rrtest_redis *r)
{
    memset(r, 0, sizeof *r);
    if (!server_path())
        return RRTEST_SKIP_CODE;
    snprintf(r->dir, sizeof r->dir, "/tmp/rr-redis-XXXXXX");
    if (!mkdtemp(r->dir)) {
        perror("mkdtemp");
        return -1;
    }
    for (int attempt = 0; attempt < 5; attempt++) { /* the port may be taken in between */
        r->port = free_port();
        if (r->port <= 0)
            continue;
        snprintf(r->url, sizeof r->url, "redis://127.0.0.1:%d/0", r->port);
        int rc = spawn(r);
        if (rc != -1)
            return rc;
    }
    return -1;
}

void rrtest_redis_kill(struct rrtest_redis *r)
{
    if (r->pid > 0) {
        kill(r->pid, SIGKILL);
        waitpid(r->pid, NULL, 0);
        r->pid = 0;
    }
}

int rrtest_redis_restart(struct rrtest_redis *r)
{
    rrtest_redis_kill(r);
    for (int i = 0; i < 50; i++) { /* the old socket may linger a moment */
        if (spawn(r) == 0)
            return 0;
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return -1;
}

void rrtest_redis_stop(struct rrtest_redis *r)
{
    if (r->pid > 0) {
        kill(r->pid, SIGTERM);
        waitpid(r->pid, NULL, 0);
        r->pid = 0;
    }
    if (r->dir[0]) {
        char cmd[200];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", r->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "cannot remove %s\n", r->dir);
        r->dir[0] = 0;
    }
}

int rrtest_redis_cli(const struct rrtest_redis *r, const char *args)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "redis-cli -h 127.0.0.1 -p %d %s >/dev/null 2>&1", r->port, args);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int rrtest_queue_backends(const char *test, const char *redis_query, int (*run)(const char *url))
{
    int failed = run("db");
    struct rrtest_redis r;
    int rc = rrtest_redis_start(&r);
    if (rc == RRTEST_SKIP_CODE) {
        rrtest_skip(test, "no redis-server: the redis:// backend was not tested");
        return failed;
    }
    if (rc < 0) {
        fprintf(stderr, "%s: cannot start redis-server\n", test);
        rrtest_redis_stop(&r);
        return failed + 1;
    }
    char url[256];
    snprintf(url, sizeof url, "%s%s", r.url, redis_query ? redis_query : "");
    failed += run(url);
    rrtest_redis_stop(&r);
    return failed;
}

int rrtest_redis_flush_url(const char *url)
{
    const char *p = "redis://127.0.0.1:";
    if (!url || strncmp(url, p, strlen(p)) != 0)
        return 0;
    struct rrtest_redis r = {.port = (int)strtol(url + strlen(p), NULL, 10)};
    return rrtest_redis_cli(&r, "FLUSHALL") == 0 ? 0 : -1;
}
