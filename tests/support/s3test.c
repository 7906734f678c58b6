/* s3test.c - see s3test.h. */
#include "support/s3test.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/rrtest.h"

static char access_key[33], secret_key[41];

static void random_text(char *out, size_t n, const char *alphabet)
{
    size_t k = strlen(alphabet);
    unsigned char b[64];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, b, n) != (ssize_t)n)
        for (size_t i = 0; i < n; i++)
            b[i] = (unsigned char)(rand() & 0xff);
    if (fd >= 0)
        close(fd);
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[b[i] % k];
    out[n] = '\0';
}

const char *s3test_access_key(void)
{
    return access_key;
}

const char *s3test_secret_key(void)
{
    return secret_key;
}

static const char *find_node(void)
{
    static const char *const cands[] = {"/usr/bin/node", "/usr/local/bin/node", "/usr/bin/nodejs"};
    const char *env = getenv("RR_NODE");
    if (env && access(env, X_OK) == 0)
        return env;
    for (size_t i = 0; i < sizeof cands / sizeof cands[0]; i++)
        if (access(cands[i], X_OK) == 0)
            return cands[i];
    return NULL;
}

int s3test_start(struct s3test *t, const char *test, int verify)
{
    char script[1024], mod[1024];
    memset(t, 0, sizeof *t);
    t->pid = -1;
    t->stdin_fd = -1;
    const char *node = find_node();
    snprintf(script, sizeof script, "%s/tests/support/s3_server.mjs", RR_SOURCE_DIR);
    const char *nm = getenv("RR_NODE_MODULES");
    snprintf(mod, sizeof mod, "%s/s3rver/package.json",
             nm ? nm : RR_SOURCE_DIR "/web/node_modules");
    if (!node || access(mod, R_OK) != 0) {
        rrtest_skip(test, "%s (run scripts/setup.sh: npm ci installs s3rver)",
                    node ? "web/node_modules/s3rver is absent" : "node is absent");
        return RRTEST_SKIP_CODE;
    }
    if (!access_key[0]) {
        random_text(access_key, 20, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
        random_text(secret_key, 40,
                    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/");
        setenv("REPRIGHT_S3_ACCESS_KEY_ID", access_key, 1);
        setenv("REPRIGHT_S3_SECRET_ACCESS_KEY", secret_key, 1);
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(t->dir, sizeof t->dir, "%s/rr-s3test-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(t->dir)) {
        perror("s3test: mkdtemp");
        return -1;
    }
    random_text(t->bucket, 10, "abcdefghijklmnopqrstuvwxyz0123456789");
    memcpy(t->bucket, "rr-", 3);
    int in[2], out[2];
    if (pipe(in) != 0 || pipe(out) != 0) {
        perror("s3test: pipe");
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("s3test: fork");
        return -1;
    }
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[0]);
        close(in[1]);
        close(out[0]);
        close(out[1]);
        setenv("S3_TEST_ACCESS_KEY", access_key, 1);
        setenv("S3_TEST_SECRET_KEY", secret_key, 1);
        execl(node, node, script, t->dir, t->bucket, verify ? NULL : "--no-verify", (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    fcntl(in[1], F_SETFD, FD_CLOEXEC);
    t->pid = pid;
    t->stdin_fd = in[1];
    /* READY <port> within 20 s */
    char line[128];
    size_t got = 0;
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        long left = 20000 - (long)((now.tv_sec - start.tv_sec) * 1000 +
                                   (now.tv_nsec - start.tv_nsec) / 1000000);
        struct pollfd p = {out[0], POLLIN, 0};
        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            break;
        ssize_t n = read(out[0], line + got, sizeof line - 1 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
        line[got] = '\0';
        if (strchr(line, '\n'))
            break;
    }
    close(out[0]);
    if (sscanf(line, "READY %d", &t->port) != 1 || t->port <= 0) {
        fprintf(stderr, "s3test: the S3 test server did not start (%s)\n",
                got ? line : "no output");
        s3test_stop(t);
        return -1;
    }
    snprintf(t->endpoint, sizeof t->endpoint, "http://127.0.0.1:%d", t->port);
    snprintf(t->url, sizeof t->url, "s3://%s?endpoint=%s&region=us-east-1", t->bucket, t->endpoint);
    return 0;
}

static void rm_rf(const char *path)
{
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/rm", "rm", "-rf", "--", path, (char *)NULL);
        _exit(127);
    }
    if (pid > 0)
        waitpid(pid, NULL, 0);
}

void s3test_stop(struct s3test *t)
{
    if (t->stdin_fd >= 0)
        close(t->stdin_fd);
    t->stdin_fd = -1;
    if (t->pid > 0) {
        kill(t->pid, SIGTERM);
        for (int i = 0; i < 50; i++) {
            if (waitpid(t->pid, NULL, WNOHANG) == t->pid) {
                t->pid = -1;
                break;
            }
            usleep(20000);
        }
        if (t->pid > 0) {
            kill(t->pid, SIGKILL);
            waitpid(t->pid, NULL, 0);
        }
        t->pid = -1;
    }
    if (t->dir[0])
        rm_rf(t->dir);
    t->dir[0] = '\0';
}
