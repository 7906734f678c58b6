/*
 * log.h - DEPRECATED thin layer over the one logger, base/rr_log.h, kept so that the callers in
 * src/api/, src/http/ and src/cli/ compile unchanged while they move to rr_log() (typed fields,
 * no jansson tree per line). Same lines, same rules (rr_log.h): ts, level, msg, then the
 * fields of `fields` in their order; secret-looking keys "[redacted]"; values cut at
 * RR_LOG_VALUE_MAX, lines at RR_LOG_LINE_MAX; real fields with 6 significant digits; objects
 * and arrays as jansson's compact dump.
 * Ownership: log_event steals the `fields` reference (may be NULL; anything but an object is
 * ignored). Errors: none reach the caller. Thread-safety: as rr_log.h.
 */
#ifndef RR_HTTP_LOG_H
#define RR_HTTP_LOG_H

#include <jansson.h>

#include "base/rr_log.h"

enum log_level {
    LOG_LEVEL_DEBUG = RR_LOG_DEBUG,
    LOG_LEVEL_INFO = RR_LOG_INFO,
    LOG_LEVEL_WARN = RR_LOG_WARN,
    LOG_LEVEL_ERROR = RR_LOG_ERROR,
};

static inline void log_set_level(enum log_level level)
{
    rr_log_set_level((enum rr_log_level)level);
}
static inline void log_set_fd(int fd) { rr_log_set_fd(fd); }
static inline int log_level_parse(const char *s) { return rr_log_level_parse(s); }

void log_event(enum log_level level, const char *msg, json_t *fields);

#endif
