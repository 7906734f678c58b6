/*
 * history.c - shared helpers of the workouts and analytics resources: RFC 3339 times, ISO-date
 * query parameters, one-field validation replies, CSV fields.
 */
#include "api/history.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "analytics/analytics.h"
#include "base/rr_error.h"
#include "http/request.h"

/* n decimal digits at s into *v; 0 when any is not a digit. */
static int digits(const char *s, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        *v = *v * 10 + (s[i] - '0');
    }
    return 1;
}

int history_time_parse(const char *s, int64_t *ms)
{
    int hh, mm, ss;
    int64_t day;
    char date[11];
    if (!s || !ms || strlen(s) < 20 || strlen(s) > 40)
        return RR_ERR_INVAL;
    memcpy(date, s, 10);
    date[10] = '\0';
    if (analytics_day_parse(date, &day) != 0 || (s[10] != 'T' && s[10] != 't'))
        return RR_ERR_INVAL;
    if (!digits(s + 11, 2, &hh) || s[13] != ':' || !digits(s + 14, 2, &mm) || s[16] != ':' ||
        !digits(s + 17, 2, &ss) || hh > 23 || mm > 59 || ss > 59)
        return RR_ERR_INVAL;
    const char *p = s + 19;
    int64_t frac_ms = 0;
    if (*p == '.') {
        int nd = 0;
        p++;
        while (*p >= '0' && *p <= '9') {
            if (nd < 3)
                frac_ms = frac_ms * 10 + (*p - '0');
            nd++;
            p++;
        }
        if (nd == 0 || nd > 9)
            return RR_ERR_INVAL;
        for (int i = nd; i < 3; i++)
            frac_ms *= 10;
    }
    int64_t offset_min = 0;
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
        offset_min = 0;
    } else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
        int oh, om;
        if (!digits(p + 1, 2, &oh) || !digits(p + 4, 2, &om) || oh > 23 || om > 59)
            return RR_ERR_INVAL;
        offset_min = (int64_t)(oh * 60 + om) * (*p == '+' ? 1 : -1);
    } else {
        return RR_ERR_INVAL;
    }
    int64_t t = day + ((int64_t)hh * 3600 + mm * 60 + ss) * 1000 + frac_ms - offset_min * 60000;
    if (t < 0)
        return RR_ERR_INVAL;
    *ms = t;
    return 0;
}

void history_time_format(int64_t ms, char out[32])
{
    char day[11];
    if (ms < 0)
        ms = 0;
    analytics_day_of(ms, day);
    int64_t r = ms % ANALYTICS_DAY_MS;
    snprintf(out, 32, "%sT%02d:%02d:%02d.%03dZ", day, (int)(r / 3600000), (int)(r / 60000 % 60),
             (int)(r / 1000 % 60), (int)(r % 1000));
}

int history_reply_invalid(struct http_request *req, const char *field, const char *problem)
{
    json_t *d = json_pack("[{s:s,s:s}]", "field", field, "problem", problem);
    return http_reply_error(req, 422, "validation_failed", "invalid request parameters", d);
}

int history_query_day(struct http_request *req, const char *name, int64_t *ms, int *present)
{
    const char *v = http_request_query(req, name);
    *present = 0;
    *ms = 0;
    if (!v)
        return 0; /* absent; a badly encoded value also reads as absent here */
    if (analytics_day_parse(v, ms) != 0) {
        history_reply_invalid(req, name, "must be a date YYYY-MM-DD");
        return 1;
    }
    *present = 1;
    return 0;
}

void history_csv_field(FILE *fp, const char *s, int last)
{
    int formula = s[0] && strchr("=+-@", s[0]) != NULL;
    if (!formula && !strpbrk(s, ",\"\r\n")) {
        fputs(s, fp);
    } else {
        fputc('"', fp);
        if (formula)
            fputc('\'', fp);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', fp);
            fputc(*s, fp);
        }
        fputc('"', fp);
    }
    fputc(last ? '\n' : ',', fp);
}
