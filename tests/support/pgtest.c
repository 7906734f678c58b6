/*
 * pgtest.c - a throwaway PostgreSQL server for tests (see pgtest.h).
 */
#include "support/pgtest.h"

#include "support/rrtest.h"

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define PG_BIN "/usr/lib/postgresql/15/bin"

static char g_dir[256];     /* temp dir holding data/, the socket and the log */
static char g_admin[512];   /* admin URL (postgres database) */
static int g_port;
static pid_t g_owner;       /* the process that started the server */
static bool g_started, g_external;
static PGconn *g_conn;
static int g_seq;

static int run(const char *cmd)
{
    int rc = system(cmd);
    return rc == 0 ? 0 : -1;
}

/* "runuser -u postgres -- " as root (initdb refuses root), "" otherwise. */
static const char *as_pg(void)
{
    return geteuid() == 0 ? "runuser -u postgres -- " : "";
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0)
        return -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        close(fd);
        return -1;
    }
    close(fd);
    return ntohs(a.sin_port);
}

int pgtest_server_start(void)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "%s" PG_BIN "/pg_ctl -D %s/data -w -t 30 -l %s/log -o \"-p %d -c listen_addresses="
             "127.0.0.1 -k %s -c fsync=off -c full_page_writes=off -c max_connections=200\" "
             "start >/dev/null",
             as_pg(), g_dir, g_dir, g_port, g_dir);
    return run(cmd);
}

int pgtest_server_stop(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s" PG_BIN "/pg_ctl -D %s/data -w -t 30 -m fast stop >/dev/null",
             as_pg(), g_dir);
    return run(cmd);
}

bool pgtest_owns_server(void)
{
    return g_started && !g_external;
}

void pgtest_shutdown(void)
{
    if (getpid() != g_owner)
        return; /* a forked child: the server is its parent's */
    if (g_conn)
        PQfinish(g_conn);
    g_conn = NULL;
    if (g_started && !g_external) {
        char cmd[512];
        pgtest_server_stop();
        snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
        run(cmd);
    }
    g_started = false;
}

static void at_exit(void)
{
    pgtest_shutdown();
}

static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static int admin_connect(void)
{
    if (g_conn && PQstatus(g_conn) == CONNECTION_OK)
        return 0;
    if (g_conn)
        PQfinish(g_conn);
    g_conn = PQconnectdb(g_admin);
    if (PQstatus(g_conn) != CONNECTION_OK) {
        fprintf(stderr, "pgtest: cannot connect: %s", PQerrorMessage(g_conn));
        return -1;
    }
    PQsetNoticeProcessor(g_conn, quiet, NULL);
    return 0;
}

int pgtest_start(void)
{
    if (g_started)
        return 0;
    const char *ext = getenv("REPRIGHT_TEST_DATABASE_URL");
    g_owner = getpid();
    if (ext && ext[0]) {
        snprintf(g_admin, sizeof g_admin, "%s", ext);
        g_started = g_external = true;
        atexit(at_exit);
        return admin_connect();
    }
    if (access(PG_BIN "/initdb", X_OK) != 0 || access(PG_BIN "/pg_ctl", X_OK) != 0) {
        printf("SKIP: PostgreSQL 15 binaries absent (" PG_BIN ")\n");
        return RRTEST_SKIP_CODE;
    }
    if (geteuid() == 0 && run("id postgres >/dev/null 2>&1") != 0) {
        printf("SKIP: running as root and there is no postgres user to run the server\n");
        return RRTEST_SKIP_CODE;
    }
    snprintf(g_dir, sizeof g_dir, "/tmp/rr-pg-XXXXXX");
    if (!mkdtemp(g_dir))
        return -1;
    chmod(g_dir, 0700);
    if (geteuid() == 0) {
        char cmd[512];
        snprintf(cmd, sizeof cmd, "chown postgres: %s", g_dir);
        if (run(cmd) != 0)
            return -1;
    }
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "%s" PG_BIN "/initdb -D %s/data -A trust -U postgres --no-sync -E UTF8 --locale=C "
             ">%s/initdb.log 2>&1",
             as_pg(), g_dir, g_dir);
    if (run(cmd) != 0) {
        fprintf(stderr, "pgtest: initdb failed (see %s/initdb.log)\n", g_dir);
        return -1;
    }
    g_started = true;
    atexit(at_exit);
    for (int attempt = 0; attempt < 3; attempt++) {
        g_port = free_port();
        if (g_port > 0 && pgtest_server_start() == 0) {
            snprintf(g_admin, sizeof g_admin, "postgres://postgres@127.0.0.1:%d/postgres",
                     g_port);
            return admin_connect();
        }
    }
    fprintf(stderr, "pgtest: server did not start (see %s/log)\n", g_dir);
    return -1;
}

int pgtest_create_db(const char *name, char *url, size_t url_len)
{
    char sql[256];
    if (admin_connect() != 0)
        return -1;
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS \"%s\"", name);
    PQclear(PQexec(g_conn, sql));
    snprintf(sql, sizeof sql, "CREATE DATABASE \"%s\"", name);
    PGresult *r = PQexec(g_conn, sql);
    if (PQstatus(g_conn) != CONNECTION_OK) { /* the server was restarted: a new session */
        PQclear(r);
        if (admin_connect() != 0)
            return -1;
        r = PQexec(g_conn, sql);
    }
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        fprintf(stderr, "pgtest: %s: %s", sql, PQerrorMessage(g_conn));
    PQclear(r);
    if (!ok)
        return -1;
    /* the admin URL with the database replaced */
    const char *slash = strrchr(g_admin, '/');
    const char *q = strchr(slash, '?');
    snprintf(url, url_len, "%.*s/%s%s", (int)(slash - g_admin), g_admin, name, q ? q : "");
    return 0;
}

int pgtest_new_db(char *url, size_t url_len, char *name, size_t name_len)
{
    char n[64];
    snprintf(n, sizeof n, "rrt_%d_%d", (int)getpid(), ++g_seq);
    if (name)
        snprintf(name, name_len, "%s", n);
    return pgtest_create_db(n, url, url_len);
}

bool pgtest_store_is_pg(void)
{
    const char *b = getenv("RR_TEST_STORE");
    return b && strcmp(b, "postgres") == 0;
}

int pgtest_store_url(const char *dir, const char *file, char *url, size_t url_len)
{
    if (!pgtest_store_is_pg()) {
        snprintf(url, url_len, "sqlite:%s/%s", dir, file);
        return 0;
    }
    int rc = pgtest_start();
    if (rc == RRTEST_SKIP_CODE)
        exit(RRTEST_SKIP_CODE);
    if (rc != 0)
        return -1;
    return pgtest_new_db(url, url_len, NULL, 0);
}
