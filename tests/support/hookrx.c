/* hookrx.c - the test webhook receiver (hookrx.h). */
#include "support/hookrx.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

struct hookrx {
    pthread_t th;
    pthread_mutex_t mu;
    int lfd;   /* -1 while down */
    int stop;
    uint16_t port;
    enum hookrx_mode mode;
    char location[256];
    struct hookrx_req *reqs;
    size_t n, conns;
};

static int listen_on(uint16_t port, uint16_t *bound)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    socklen_t al = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 64) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &al) < 0) {
        close(fd);
        return -1;
    }
    *bound = ntohs(a.sin_port);
    return fd;
}

static void header(const char *head, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    out[0] = '\0';
    for (const char *p = strstr(head, "\r\n"); p; p = strstr(p + 2, "\r\n")) {
        const char *line = p + 2;
        if (strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
            const char *v = line + nl + 1;
            while (*v == ' ')
                v++;
            size_t len = strcspn(v, "\r");
            if (len >= cap)
                len = cap - 1;
            memcpy(out, v, len);
            out[len] = '\0';
            return;
        }
    }
}

static void serve_one(struct hookrx *rx, int fd)
{
    char *buf = malloc(HOOKRX_BODY_MAX + 8192);
    size_t cap = HOOKRX_BODY_MAX + 8191, len = 0;
    struct hookrx_req *r = calloc(1, sizeof *r);
    if (!buf || !r)
        goto out;
    char *end = NULL;
    size_t want = 0;
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 5000) <= 0)
            goto out;
        ssize_t k = recv(fd, buf + len, cap - len, 0);
        if (k <= 0)
            goto out;
        len += (size_t)k;
        buf[len] = '\0';
        if (!end && (end = strstr(buf, "\r\n\r\n"))) {
            char cl[32];
            *end = '\0';
            header(buf, "Content-Length", cl, sizeof cl);
            want = (size_t)(end + 4 - buf) + strtoul(cl, NULL, 10);
        }
        if (end && len >= want)
            break;
        if (len == cap)
            goto out;
    }
    sscanf(buf, "%*s %255s", r->path);
    header(buf, "webhook-id", r->id, sizeof r->id);
    header(buf, "webhook-timestamp", r->timestamp, sizeof r->timestamp);
    header(buf, "webhook-signature", r->signature, sizeof r->signature);
    r->body_len = want - (size_t)(end + 4 - buf);
    if (r->body_len > HOOKRX_BODY_MAX)
        r->body_len = HOOKRX_BODY_MAX;
    memcpy(r->body, end + 4, r->body_len);
    pthread_mutex_lock(&rx->mu);
    enum hookrx_mode mode = rx->mode;
    char loc[256];
    memcpy(loc, rx->location, sizeof loc);
    pthread_mutex_unlock(&rx->mu);
    if (mode == HOOKRX_HANG) {
        struct pollfd p = {fd, POLLIN, 0};
        poll(&p, 1, 15000); /* until the client hangs up */
        goto out;
    }
    char resp[512];
    int n;
    if (mode == HOOKRX_OK) {
        r->status = 200;
        n = snprintf(resp, sizeof resp, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                                        "Connection: close\r\n\r\nok");
    } else if (mode == HOOKRX_302) {
        r->status = 302;
        n = snprintf(resp, sizeof resp, "HTTP/1.1 302 Found\r\nLocation: %s\r\n"
                     "Content-Length: 0\r\nConnection: close\r\n\r\n", loc);
    } else {
        r->status = 503;
        n = snprintf(resp, sizeof resp, "HTTP/1.1 503 Service Unavailable\r\n"
                                        "Content-Length: 4\r\nConnection: close\r\n\r\ndown");
    }
    pthread_mutex_lock(&rx->mu);
    if (rx->n < HOOKRX_MAX)
        rx->reqs[rx->n++] = *r;
    pthread_mutex_unlock(&rx->mu);
    if (send(fd, resp, (size_t)n, MSG_NOSIGNAL) < 0)
        goto out;
out:
    free(buf);
    free(r);
    close(fd);
}

static void *loop(void *ud)
{
    struct hookrx *rx = ud;
    for (;;) {
        pthread_mutex_lock(&rx->mu);
        int stop = rx->stop, lfd = rx->lfd;
        pthread_mutex_unlock(&rx->mu);
        if (stop)
            return NULL;
        if (lfd < 0) {
            usleep(10000);
            continue;
        }
        struct pollfd p = {lfd, POLLIN, 0};
        if (poll(&p, 1, 20) <= 0)
            continue;
        pthread_mutex_lock(&rx->mu);
        int fd = rx->lfd == lfd ? accept(lfd, NULL, NULL) : -1;
        if (fd >= 0)
            rx->conns++;
        pthread_mutex_unlock(&rx->mu);
        if (fd >= 0)
            serve_one(rx, fd);
    }
}

struct hookrx *hookrx_start(void)
{
    struct hookrx *rx = calloc(1, sizeof *rx);
    if (!rx)
        return NULL;
    rx->reqs = calloc(HOOKRX_MAX, sizeof *rx->reqs);
    pthread_mutex_init(&rx->mu, NULL);
    rx->lfd = listen_on(0, &rx->port);
    if (!rx->reqs || rx->lfd < 0 || pthread_create(&rx->th, NULL, loop, rx) != 0) {
        if (rx->lfd >= 0)
            close(rx->lfd);
        free(rx->reqs);
        free(rx);
        return NULL;
    }
    return rx;
}

void hookrx_stop(struct hookrx *rx)
{
    if (!rx)
        return;
    pthread_mutex_lock(&rx->mu);
    rx->stop = 1;
    pthread_mutex_unlock(&rx->mu);
    pthread_join(rx->th, NULL);
    if (rx->lfd >= 0)
        close(rx->lfd);
    pthread_mutex_destroy(&rx->mu);
    free(rx->reqs);
    free(rx);
}

uint16_t hookrx_port(const struct hookrx *rx)
{
    return rx->port;
}

void hookrx_set_mode(struct hookrx *rx, enum hookrx_mode mode, const char *location)
{
    pthread_mutex_lock(&rx->mu);
    rx->mode = mode;
    snprintf(rx->location, sizeof rx->location, "%s", location ? location : "");
    pthread_mutex_unlock(&rx->mu);
}

int hookrx_down(struct hookrx *rx)
{
    pthread_mutex_lock(&rx->mu);
    if (rx->lfd >= 0)
        close(rx->lfd);
    rx->lfd = -1;
    pthread_mutex_unlock(&rx->mu);
    return 0;
}

int hookrx_up(struct hookrx *rx)
{
    uint16_t bound = 0;
    int fd = listen_on(rx->port, &bound);
    if (fd < 0)
        return -1;
    pthread_mutex_lock(&rx->mu);
    rx->lfd = fd;
    pthread_mutex_unlock(&rx->mu);
    return 0;
}

size_t hookrx_count(struct hookrx *rx)
{
    pthread_mutex_lock(&rx->mu);
    size_t n = rx->n;
    pthread_mutex_unlock(&rx->mu);
    return n;
}

int hookrx_get(struct hookrx *rx, size_t i, struct hookrx_req *out)
{
    int rc = -1;
    pthread_mutex_lock(&rx->mu);
    if (i < rx->n) {
        *out = rx->reqs[i];
        rc = 0;
    }
    pthread_mutex_unlock(&rx->mu);
    return rc;
}

size_t hookrx_connections(struct hookrx *rx)
{
    pthread_mutex_lock(&rx->mu);
    size_t n = rx->conns;
    pthread_mutex_unlock(&rx->mu);
    return n;
}
