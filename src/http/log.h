/*
 * log.h - structured JSON logs: one object per line on stderr (or a descriptor set for tests).
 *
 * Every line carries "ts" (UTC, RFC 3339 with milliseconds), "level" and "msg", then the
 * caller's fields. The server logs one line per request: request_id, method, path (never the
 * query string: it may carry secrets), route, status, ms, ip. Request and response bodies and
 * Authorization / Cookie headers are never logged; as a second line of defence, fields whose
 * name looks secret (authorization, cookie, password, secret, token, api_key) are written as
 * "[redacted]".
 * Ownership: log_event steals the `fields` reference (may be NULL).
 * Errors: logging never fails the caller; a line that cannot be built (text that is not UTF-8,
 * a line over 1 MiB, out of memory) or written is dropped.
 * Thread-safety: all functions are thread-safe; a line is written with one write() under a
 * mutex, so lines from different threads never interleave.
 */
#ifndef RR_HTTP_LOG_H
#define RR_HTTP_LOG_H

#include <jansson.h>

enum log_level {
    LOG_LEVEL_DEBUG = 0,
    LOG_LEVEL_INFO,
    LOG_LEVEL_WARN,
    LOG_LEVEL_ERROR,
};

/* Lines below `level` are dropped (default LOG_LEVEL_INFO). */
void log_set_level(enum log_level level);
/* Destination descriptor (default 2). The caller keeps ownership of fd. */
void log_set_fd(int fd);
/* "debug" / "info" / "warn" / "error" -> level; -1 for anything else. */
int log_level_parse(const char *s);

void log_event(enum log_level level, const char *msg, json_t *fields);

#endif
