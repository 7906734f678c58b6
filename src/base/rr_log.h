/*
 * rr_log.h - the one logger: structured JSON lines on stderr (or a descriptor set at start).
 *
 * A line is one JSON object: "ts" (UTC, RFC 3339 with milliseconds), "level", "msg", then the
 * caller's fields in call order, then "truncated":true when something had to be cut:
 *   {"ts":"2025-01-31T08:00:00.123Z","level":"warn","msg":"job failed","job_id":"ab12"}
 * Fields are typed (string, integer, real, boolean, null, ready-made JSON) and built without
 * allocation:
 *   rr_log(RR_LOG_WARN, "job failed", RR_LOG_JOB_ID(id), RR_LOG_STR("detail", why));
 *   rr_log_msg(RR_LOG_INFO, "stopped");
 * Ids have fixed names so lines can be joined: "request_id" (the HTTP layer), "job_id" and
 * "video_id" (workers). The layer that knows the id logs, once; lower layers return codes.
 *
 * Secrets: a field whose key contains (any case) authorization, cookie, password, secret, token
 * or api_key is written as "[redacted]" whatever its value. Callers still never pass request
 * bodies, Authorization/Cookie headers or query strings; this is the second line of defence.
 * Bounds: string and JSON values longer than RR_LOG_VALUE_MAX bytes are cut (on a UTF-8
 * boundary; ready-made JSON is replaced by null) and a line never exceeds RR_LOG_LINE_MAX bytes
 * (past it only ts, level, the cut msg and "truncated" are written). Text that is not UTF-8 is
 * written with '?' for the bad bytes; "ts", "level" and "msg" given as field keys are skipped.
 * Errors: logging never fails the caller; a line that cannot be written is lost.
 * Thread-safety: everything is thread-safe. The level and the descriptor are atomics; a line is
 * built on the caller's stack and written with write() under a mutex, so lines from different
 * threads never interleave.
 */
#ifndef RR_BASE_LOG_H
#define RR_BASE_LOG_H

#include <stddef.h>
#include <stdint.h>

#define RR_LOG_VALUE_MAX 8192
#define RR_LOG_LINE_MAX 65536
#define RR_LOG_REAL_DIGITS 6 /* significant digits of real fields */

enum rr_log_level { RR_LOG_DEBUG = 0, RR_LOG_INFO, RR_LOG_WARN, RR_LOG_ERROR };

enum rr_log_type {
    RR_LOG_T_STR,
    RR_LOG_T_INT,
    RR_LOG_T_UINT,
    RR_LOG_T_REAL,
    RR_LOG_T_BOOL,
    RR_LOG_T_NULL,
    RR_LOG_T_JSON, /* s[0..len) is one JSON value, written as it is */
};

#define RR_LOG_NUL ((size_t)-1) /* len of a NUL-terminated string */

struct rr_log_field {
    const char *key;
    enum rr_log_type type;
    size_t len; /* RR_LOG_T_STR / RR_LOG_T_JSON: bytes of s, or RR_LOG_NUL */
    union {
        const char *s; /* NULL writes null */
        int64_t i;
        uint64_t u;
        double d;
    } v;
};

#define RR_LOG_STR(k, str) ((struct rr_log_field){(k), RR_LOG_T_STR, RR_LOG_NUL, {.s = (str)}})
#define RR_LOG_STRN(k, str, n) ((struct rr_log_field){(k), RR_LOG_T_STR, (n), {.s = (str)}})
#define RR_LOG_INT(k, x) ((struct rr_log_field){(k), RR_LOG_T_INT, 0, {.i = (int64_t)(x)}})
#define RR_LOG_UINT(k, x) ((struct rr_log_field){(k), RR_LOG_T_UINT, 0, {.u = (uint64_t)(x)}})
#define RR_LOG_REAL(k, x) ((struct rr_log_field){(k), RR_LOG_T_REAL, 0, {.d = (double)(x)}})
#define RR_LOG_BOOL(k, x) ((struct rr_log_field){(k), RR_LOG_T_BOOL, 0, {.i = !!(x)}})
#define RR_LOG_NULL(k) ((struct rr_log_field){(k), RR_LOG_T_NULL, 0, {.i = 0}})
#define RR_LOG_JSON(k, text, n) ((struct rr_log_field){(k), RR_LOG_T_JSON, (n), {.s = (text)}})
#define RR_LOG_REQUEST_ID(id) RR_LOG_STR("request_id", (id))
#define RR_LOG_JOB_ID(id) RR_LOG_STR("job_id", (id))
#define RR_LOG_VIDEO_ID(id) RR_LOG_STR("video_id", (id))

/* One line with n fields (fields may be NULL when n is 0). */
void rr_log_write(enum rr_log_level level, const char *msg, const struct rr_log_field *fields,
                  size_t n);
/* One line with the fields given as arguments (at least one). */
#define rr_log(level, msg, ...)                                                                    \
    rr_log_write((level), (msg), (const struct rr_log_field[]){__VA_ARGS__},                     \
                 sizeof((const struct rr_log_field[]){__VA_ARGS__}) / sizeof(struct rr_log_field))
/* One line without fields. */
#define rr_log_msg(level, msg) rr_log_write((level), (msg), NULL, 0)

/* 1 when lines of `level` are written (to skip building costly fields). */
int rr_log_enabled(enum rr_log_level level);
/* Lines below `level` are dropped (default RR_LOG_INFO). */
void rr_log_set_level(enum rr_log_level level);
/* Destination descriptor (default 2, stderr). The caller keeps ownership of fd. */
void rr_log_set_fd(int fd);
/* "debug" / "info" / "warn" / "error" -> level; -1 for anything else (NULL included). */
int rr_log_level_parse(const char *s);
/* The name of a level ("info"), "unknown" outside the enum. */
const char *rr_log_level_name(int level);
/* 1 when a field of this name is written as "[redacted]". */
int rr_log_key_is_secret(const char *key);

#endif
