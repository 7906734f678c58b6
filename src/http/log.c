/*
 * log.c - one JSON object per line, written atomically under a mutex.
 */
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static atomic_int log_level = LOG_LEVEL_INFO;
static atomic_int log_fd = 2;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level level) { atomic_store(&log_level, (int)level); }
void log_set_fd(int fd) { atomic_store(&log_fd, fd); }

int log_level_parse(const char *s)
{
    for (int i = 0; s && i < 4; i++)
        if (strcmp(s, level_names[i]) == 0)
            return i;
    return -1;
}

static int secret_key(const char *k)
{
    static const char *const words[] = {"authorization", "cookie", "password", "secret",
                                        "token", "api_key"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        size_t n = strlen(words[i]);
        for (const char *p = k; *p; p++)
            if (strncasecmp(p, words[i], n) == 0)
                return 1;
    }
    return 0;
}

void log_event(enum log_level level, const char *msg, json_t *fields)
{
    char ts[96];
    char *line = NULL;
    json_t *obj = NULL;
    if ((int)level < atomic_load(&log_level) || (int)level < 0 || (int)level > 3)
        goto out;
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             now.tv_nsec / 1000000);
    obj = json_pack("{s:s, s:s, s:s}", "ts", ts, "level", level_names[level], "msg",
                    msg ? msg : "");
    if (!obj)
        goto out;
    if (json_is_object(fields)) {
        const char *k;
        json_t *v;
        json_object_foreach(fields, k, v)
        {
            if (json_object_get(obj, k))
                continue; /* ts/level/msg are ours */
            if (secret_key(k))
                json_object_set_new(obj, k, json_string("[redacted]"));
            else
                json_object_set(obj, k, v);
        }
    }
    /* jansson escapes control characters, so the dump is a single line */
    line = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    if (!line)
        goto out;
    size_t n = strlen(line);
    line[n] = '\n'; /* replaces the NUL; we write exactly n + 1 bytes */
    pthread_mutex_lock(&log_lock);
    int fd = atomic_load(&log_fd);
    size_t off = 0;
    while (off < n + 1) {
        ssize_t w = write(fd, line + off, n + 1 - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    pthread_mutex_unlock(&log_lock);
out:
    free(line);
    json_decref(obj);
    json_decref(fields);
}
