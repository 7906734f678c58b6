/*
 * history.h - helpers shared by the history resources (api/workouts.c, api/analytics.c): RFC 3339
 * times, ISO-date query filters, the one-field 422 reply and CSV fields. (The exercise names
 * come from the registry: app_exercises.) Internal to src/api.
 *
 * Ownership: nothing allocated except the json_t a caller is handed (new reference).
 * Errors: the parse functions return 0 or RR_ERR_INVAL; history_query_* reply 422 themselves
 * and return 1 when they did (the handler then returns 0).
 * Thread-safety: pure functions over their arguments.
 */
#ifndef RR_API_HISTORY_H
#define RR_API_HISTORY_H

#include <stdint.h>
#include <stdio.h>

struct http_request;

/* "2026-03-01T10:00:00Z", "...T10:00:00.250+02:00" -> ms since the epoch (UTC). Strict. */
int history_time_parse(const char *s, int64_t *ms);
/* ms -> "2026-03-01T10:00:00.000Z". */
void history_time_format(int64_t ms, char out[32]);

/* Reply 422 {"error":{"code":"validation_failed","details":[{"field","problem"}]}}. */
int history_reply_invalid(struct http_request *req, const char *field, const char *problem);

/* Optional ISO date query parameter -> start-of-day ms (*present = 0 when absent). Returns 0,
 * or 1 after replying 422 naming the field. */
int history_query_day(struct http_request *req, const char *name, int64_t *ms, int *present);

/* One CSV field and its separator (',' or '\n' when last), RFC 4180: quoted when it holds a
 * comma, quote, CR or LF (quotes doubled); a field starting with = + - @ is quoted and prefixed
 * with ' so spreadsheets do not run it as a formula. */
void history_csv_field(FILE *fp, const char *s, int last);

#endif
