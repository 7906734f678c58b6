/*
 * rr_log.c - JSON lines built with the JSON writer (rr_json.h) on the caller's stack, written
 * with one write() under a mutex (rr_log.h).
 */
#include "base/rr_log.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base/rr_json.h"

#define STACK_BYTES 2048

static atomic_int log_level = RR_LOG_INFO;
static atomic_int log_fd = 2;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {"debug", "info", "warn", "error"};
#define N_LEVELS ((int)(sizeof level_names / sizeof level_names[0]))

/* Field names never logged with their value (matched anywhere in the key, any case). */
static const struct {
    const char *word;
    size_t len;
} secret_words[] = {
    {"authorization", 13}, {"cookie", 6}, {"password", 8},
    {"secret", 6},         {"token", 5},  {"api_key", 7},
};

int rr_log_enabled(enum rr_log_level level)
{
    return (int)level >= atomic_load(&log_level) && (int)level >= 0 && (int)level < N_LEVELS;
}

void rr_log_set_level(enum rr_log_level level) { atomic_store(&log_level, (int)level); }
void rr_log_set_fd(int fd) { atomic_store(&log_fd, fd); }

int rr_log_level_parse(const char *s)
{
    for (int i = 0; s && i < N_LEVELS; i++)
        if (strcmp(s, level_names[i]) == 0)
            return i;
    return -1;
}

const char *rr_log_level_name(int level)
{
    return level >= 0 && level < N_LEVELS ? level_names[level] : "unknown";
}

int rr_log_key_is_secret(const char *k)
{
    for (const char *p = k; p && *p; p++) {
        char c = (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : *p;
        if (c != 'a' && c != 'c' && c != 'p' && c != 's' && c != 't')
            continue; /* no word starts here: skip the compares (this runs per request) */
        for (size_t i = 0; i < sizeof secret_words / sizeof secret_words[0]; i++)
            if (secret_words[i].word[0] == c &&
                strncasecmp(p, secret_words[i].word, secret_words[i].len) == 0)
                return 1;
    }
    return 0;
}

static int reserved_key(const char *k)
{
    return strcmp(k, "ts") == 0 || strcmp(k, "level") == 0 || strcmp(k, "msg") == 0;
}

/* A string value cut to RR_LOG_VALUE_MAX bytes on a UTF-8 boundary; sets *cut. */
static void put_text(struct rr_json *j, const char *s, size_t n, int *cut)
{
    if (!s) {
        rr_json_null(j);
        return;
    }
    if (n == RR_LOG_NUL)
        n = strnlen(s, RR_LOG_VALUE_MAX + 1);
    if (n > RR_LOG_VALUE_MAX) {
        n = RR_LOG_VALUE_MAX;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--; /* s[n] continues a character: cut before that character */
        *cut = 1;
    }
    rr_json_string_lossy(j, s, n);
}

static void put_field(struct rr_json *j, const struct rr_log_field *f, int *cut)
{
    rr_json_key(j, f->key);
    if (rr_log_key_is_secret(f->key)) {
        rr_json_string(j, "[redacted]");
        return;
    }
    switch (f->type) {
    case RR_LOG_T_STR:
        put_text(j, f->v.s, f->len, cut);
        break;
    case RR_LOG_T_INT:
        rr_json_int(j, f->v.i);
        break;
    case RR_LOG_T_UINT:
        rr_json_uint(j, f->v.u);
        break;
    case RR_LOG_T_REAL:
        rr_json_real(j, f->v.d);
        break;
    case RR_LOG_T_BOOL:
        rr_json_bool(j, f->v.i != 0);
        break;
    case RR_LOG_T_JSON: {
        size_t n = !f->v.s ? 0 : f->len == RR_LOG_NUL ? strlen(f->v.s) : f->len;
        if (!f->v.s || n == 0) {
            rr_json_null(j);
        } else if (n > RR_LOG_VALUE_MAX) {
            rr_json_null(j);
            *cut = 1;
        } else {
            rr_json_verbatim(j, f->v.s, n);
        }
        break;
    }
    default:
        rr_json_null(j);
    }
}

/* ts, level, msg: the head of every line. */
static void put_head(struct rr_json *j, int64_t now_ms, enum rr_log_level level, const char *msg,
                     int *cut)
{
    rr_json_object_begin(j);
    RR_JSON_KEY(j, "ts");
    rr_json_time_ms(j, now_ms);
    RR_JSON_KEY(j, "level");
    rr_json_string(j, level_names[level]);
    RR_JSON_KEY(j, "msg");
    put_text(j, msg ? msg : "", RR_LOG_NUL, cut);
}

static void put_tail(struct rr_json *j, int cut)
{
    if (cut) {
        RR_JSON_KEY(j, "truncated");
        rr_json_bool(j, 1);
    }
    rr_json_object_end(j);
    rr_json_raw(j, "\n", 1); /* strings are escaped: the line has no other newline */
}

static void write_line(const char *line, size_t n)
{
    size_t off = 0;
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
}

void rr_log_write(enum rr_log_level level, const char *msg, const struct rr_log_field *fields,
                  size_t n)
{
    if (!rr_log_enabled(level))
        return;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    char stack[STACK_BYTES];
    struct rr_json j;
    int cut = 0;
    rr_json_init(&j, stack, sizeof stack, RR_LOG_LINE_MAX);
    rr_json_set_precision(&j, RR_LOG_REAL_DIGITS);
    put_head(&j, now_ms, level, msg, &cut);
    for (size_t i = 0; fields && i < n && !rr_json_error(&j); i++) {
        const struct rr_log_field *f = &fields[i];
        if (!f->key || reserved_key(f->key))
            continue;
        put_field(&j, f, &cut);
    }
    put_tail(&j, cut);
    if (rr_json_error(&j)) { /* past RR_LOG_LINE_MAX (or a bad key): the head alone */
        rr_json_release(&j);
        rr_json_init(&j, stack, sizeof stack, RR_LOG_LINE_MAX);
        put_head(&j, now_ms, level, msg, &cut);
        put_tail(&j, 1);
    }
    if (!rr_json_error(&j))
        write_line(rr_json_data(&j), rr_json_len(&j));
    rr_json_release(&j);
}
