/*
 * log.c - one JSON object per line, written atomically under a mutex. Lines are written with the
 * direct writer (json_out.h): the same bytes jansson's compact dump gave, without building a
 * json_t per line (the server writes one line per request).
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

#include "json_out.h"

#define LOG_REAL_PRECISION 6
#define LOG_STACK_BYTES 1024
#define LOG_LINE_MAX (1u << 20) /* a longer line is dropped */

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
    for (const char *p = k; *p; p++) {
        char c = (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : *p;
        if (c != 'a' && c != 'c' && c != 'p' && c != 's' && c != 't')
            continue; /* no word starts here: skip the compares (this runs per request) */
        for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
            if (words[i][0] == c && strncasecmp(p, words[i], strlen(words[i])) == 0)
                return 1;
    }
    return 0;
}

/* One field value as jansson's compact dump with JSON_REAL_PRECISION(6) would write it. */
static void value_out(struct json_out *o, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        json_out_stringn(o, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        json_out_int(o, (int64_t)json_integer_value(v));
        break;
    case JSON_REAL:
        json_out_real(o, json_real_value(v), LOG_REAL_PRECISION);
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        json_out_bool(o, json_is_true(v));
        break;
    case JSON_NULL:
        json_out_null(o);
        break;
    default: /* objects and arrays: rare in logs, jansson writes them */
        json_out_jansson(o, v,
                         JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(LOG_REAL_PRECISION));
    }
}

void log_event(enum log_level level, const char *msg, json_t *fields)
{
    char stack[LOG_STACK_BYTES];
    struct json_out o;
    if ((int)level < atomic_load(&log_level) || (int)level < 0 || (int)level > 3) {
        json_decref(fields);
        return;
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    json_out_init(&o, stack, sizeof stack, LOG_LINE_MAX);
    json_out_object_begin(&o);
    JSON_OUT_KEY(&o, "ts");
    json_out_time_ms(&o, (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000);
    JSON_OUT_KEY(&o, "level");
    json_out_string(&o, level_names[level]);
    JSON_OUT_KEY(&o, "msg");
    json_out_string(&o, msg ? msg : "");
    if (json_is_object(fields)) {
        const char *k;
        json_t *v;
        json_object_foreach(fields, k, v)
        {
            if (strcmp(k, "ts") == 0 || strcmp(k, "level") == 0 || strcmp(k, "msg") == 0)
                continue; /* ts/level/msg are ours */
            json_out_key(&o, k);
            if (secret_key(k))
                json_out_string(&o, "[redacted]");
            else
                value_out(&o, v);
        }
    }
    json_out_object_end(&o);
    json_out_raw(&o, "\n", 1); /* strings are escaped, so the line has no other newline */
    json_decref(fields);
    if (json_out_error(&o)) {
        json_out_free(&o);
        return;
    }
    const char *line = json_out_data(&o);
    size_t n = json_out_len(&o), off = 0;
    pthread_mutex_lock(&log_lock);
    int fd = atomic_load(&log_fd);
    while (off < n) {
        ssize_t w = write(fd, line + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    pthread_mutex_unlock(&log_lock);
    json_out_free(&o);
}
