/*
 * sandbox_io.c - the record stream of sandbox_int.h: framing, bounded reads with a deadline.
 */
#include "pipeline/sandbox_int.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/rr_error.h"

int64_t sandbox__now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return RR_ERR_IO;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int sandbox__rec_write(int fd, char type, const void *data, size_t len)
{
    if (len > UINT32_MAX)
        return RR_ERR_TOOBIG;
    unsigned char head[5] = {(unsigned char)type, (unsigned char)(len & 0xff),
                             (unsigned char)((len >> 8) & 0xff),
                             (unsigned char)((len >> 16) & 0xff),
                             (unsigned char)((len >> 24) & 0xff)};
    int rc = write_all(fd, head, sizeof head);
    return rc == 0 && len ? write_all(fd, data, len) : rc;
}

/* Exactly len bytes before the deadline. *got says how many arrived (0 + RR_ERR_EOF: none). */
static int read_full(int fd, int64_t deadline_ms, void *buf, size_t len, size_t *got)
{
    char *p = buf;
    *got = 0;
    while (*got < len) {
        if (deadline_ms > 0) {
            int64_t left = deadline_ms - sandbox__now_ms();
            if (left <= 0)
                return RR_ERR_TIMEOUT;
            struct pollfd pf = {fd, POLLIN, 0};
            int pr = poll(&pf, 1, left > 1000 ? 1000 : (int)left);
            if (pr < 0 && errno == EINTR)
                continue;
            if (pr < 0)
                return RR_ERR_IO;
            if (pr == 0)
                continue;
        }
        ssize_t r = read(fd, p + *got, len - *got);
        if (r < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (r < 0)
            return RR_ERR_IO;
        if (r == 0)
            return RR_ERR_EOF;
        *got += (size_t)r;
    }
    return 0;
}

int sandbox__rec_read(int fd, int64_t deadline_ms, size_t (*max_for_type)(char type),
                      char *type, char **data, size_t *len)
{
    unsigned char head[5];
    size_t got;
    *data = NULL;
    *len = 0;
    int rc = read_full(fd, deadline_ms, head, sizeof head, &got);
    if (rc == RR_ERR_EOF)
        return got == 0 ? RR_ERR_EOF : RR_ERR_CORRUPT;
    if (rc < 0)
        return rc;
    size_t n = (size_t)head[1] | (size_t)head[2] << 8 | (size_t)head[3] << 16 |
               (size_t)head[4] << 24;
    size_t max = max_for_type((char)head[0]);
    if (max == 0 || n > max)
        return RR_ERR_CORRUPT;
    char *buf = malloc(n + 1);
    if (!buf)
        return RR_ERR_NOMEM;
    rc = read_full(fd, deadline_ms, buf, n, &got);
    if (rc < 0) {
        free(buf);
        return rc == RR_ERR_EOF ? RR_ERR_CORRUPT : rc;
    }
    buf[n] = '\0';
    *type = (char)head[0];
    *data = buf;
    *len = n;
    return 0;
}
