/*
 * httpc.c - the tiny test HTTP client (see httpc.h).
 */
#include "support/httpc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define TIMEOUT_MS 10000

int httpc_connect(uint16_t port)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

int httpc_send(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

static long content_length(const char *head, size_t head_len)
{
    const char *p = head;
    while (p && p < head + head_len) {
        const char *eol = strstr(p, "\r\n");
        if (!eol)
            break;
        if ((size_t)(eol - p) > 15 && strncasecmp(p, "Content-Length:", 15) == 0)
            return strtol(p + 15, NULL, 10);
        p = eol + 2;
    }
    return -1;
}

int httpc_recv(int fd, struct httpc_resp *r, int head_only)
{
    size_t cap = 8192, len = 0;
    char *buf = malloc(cap + 1);
    long want = -2; /* -2: head not complete, -1: read to close */
    memset(r, 0, sizeof *r);
    if (!buf)
        return -1;
    for (;;) {
        if (want == -2) {
            buf[len] = '\0';
            char *end = strstr(buf, "\r\n\r\n");
            if (end) {
                r->head_len = (size_t)(end - buf) + 4;
                want = head_only ? 0 : content_length(buf, r->head_len);
                if (strncmp(buf, "HTTP/1.1 1", 10) == 0) { /* 100 Continue: skip it */
                    memmove(buf, buf + r->head_len, len - r->head_len);
                    len -= r->head_len;
                    want = -2;
                    continue;
                }
            }
        }
        if (want >= 0 && len >= r->head_len + (size_t)want)
            break;
        struct pollfd pfd = {fd, POLLIN, 0};
        int pr = poll(&pfd, 1, TIMEOUT_MS);
        if (pr <= 0)
            break;
        if (len == cap) {
            cap *= 2;
            char *nb = realloc(buf, cap + 1);
            if (!nb)
                break;
            buf = nb;
        }
        ssize_t n = recv(fd, buf + len, cap - len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    r->raw = buf;
    r->raw_len = len;
    if (r->head_len == 0 || sscanf(buf, "HTTP/1.%*d %d", &r->status) != 1) {
        r->status = 0;
        r->body = buf + len;
        return -1;
    }
    r->body = buf + r->head_len;
    r->body_len = len - r->head_len;
    return 0;
}

int httpc_raw(uint16_t port, const char *req, size_t len, struct httpc_resp *r)
{
    memset(r, 0, sizeof *r);
    int fd = httpc_connect(port);
    if (fd < 0)
        return -1;
    httpc_send(fd, req, len); /* an early answer may close before we finish: read anyway */
    int rc = httpc_recv(fd, r, strncmp(req, "HEAD ", 5) == 0);
    close(fd);
    return rc;
}

int httpc_request(uint16_t port, const char *method, const char *path, const char *headers,
                  const void *body, size_t body_len, struct httpc_resp *r)
{
    size_t hl = headers ? strlen(headers) : 0;
    size_t cap = strlen(method) + strlen(path) + hl + 128 + (body ? body_len : 0);
    char *all = malloc(cap);
    if (!all)
        return -1;
    int n = snprintf(all, cap, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n",
                     method, path);
    if (body)
        n += snprintf(all + n, cap - (size_t)n, "Content-Length: %zu\r\n", body_len);
    n += snprintf(all + n, cap - (size_t)n, "%s\r\n", headers ? headers : "");
    size_t total = (size_t)n + (body ? body_len : 0);
    if (body && body_len)
        memcpy(all + n, body, body_len);
    int rc = httpc_raw(port, all, total, r);
    free(all);
    return rc;
}

const char *httpc_header(const struct httpc_resp *r, const char *name, char *buf, size_t len)
{
    size_t nl = strlen(name);
    const char *p = r->raw;
    if (!p)
        return NULL;
    const char *end = r->raw + r->head_len;
    p = strstr(p, "\r\n");
    while (p && p + 2 < end) {
        p += 2;
        const char *eol = strstr(p, "\r\n");
        if (!eol)
            break;
        if ((size_t)(eol - p) > nl && p[nl] == ':' && strncasecmp(p, name, nl) == 0) {
            const char *v = p + nl + 1;
            while (*v == ' ')
                v++;
            snprintf(buf, len, "%.*s", (int)(eol - v), v);
            return buf;
        }
        p = eol;
    }
    return NULL;
}

void httpc_resp_free(struct httpc_resp *r)
{
    free(r->raw);
    memset(r, 0, sizeof *r);
}
