/*
 * analytics.c - the progress resource: period summaries (with streaks and the most frequent
 * faults), per-exercise trends of score and volume, and personal records. Reads through the
 * analytics module (src/analytics), scoped to the authenticated user.
 *
 * Query parameters: period=day|week|month (default week), from / to ISO dates (inclusive;
 * default: to = today (UTC), from = 4 weeks / 12 weeks / 12 months before, aligned to the period
 * start). Bad values -> 422 naming the parameter; ranges over ANALYTICS_RANGE_DAYS_MAX days ->
 * 422 too. Volume is load-weighted (kg x reps, only sets with a known load); see
 * docs/internals/analytics.md.
 */
#include "api/api.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/analytics.h"
#include "base/rr_error.h"
#include "http/request.h"
#include "store/store.h"
#include "api/history.h"

#define TOP_FAULTS 5

struct range {
    enum analytics_period period;
    char from[11], to[11];
    int64_t from_ms, to_ms; /* [from_ms, to_ms) */
};

/* Parse period/from/to; 1 after replying 422. */
static int query_range(struct http_request *req, struct store *st, struct range *r)
{
    const char *ps = http_request_query(req, "period");
    int has_from, has_to;
    r->period = ANALYTICS_WEEK;
    if (ps && analytics_period_parse(ps, &r->period) != 0) {
        history_reply_invalid(req, "period", "must be day, week or month");
        return 1;
    }
    if (history_query_day(req, "from", &r->from_ms, &has_from) ||
        history_query_day(req, "to", &r->to_ms, &has_to))
        return 1;
    if (!has_to)
        r->to_ms = store_now(st) / ANALYTICS_DAY_MS * ANALYTICS_DAY_MS;
    if (!has_from) {
        static const int64_t back_days[] = {27, 7 * 12 - 1, 365};
        r->from_ms = r->to_ms - back_days[r->period] * ANALYTICS_DAY_MS;
        if (r->from_ms < 0)
            r->from_ms = 0;
    }
    if (r->to_ms < r->from_ms) {
        history_reply_invalid(req, "to", "must not be before from");
        return 1;
    }
    if ((r->to_ms - r->from_ms) / ANALYTICS_DAY_MS + 1 > ANALYTICS_RANGE_DAYS_MAX) {
        char problem[80];
        snprintf(problem, sizeof problem, "the range may span at most %d days",
                 ANALYTICS_RANGE_DAYS_MAX);
        history_reply_invalid(req, "from", problem);
        return 1;
    }
    analytics_day_of(r->from_ms, r->from);
    analytics_day_of(r->to_ms, r->to);
    r->to_ms += ANALYTICS_DAY_MS;
    return 0;
}

static json_t *bucket_json(const struct analytics_bucket *b)
{
    return json_pack("{s:s,s:s,s:I,s:I,s:f,s:o}", "label", b->label, "start", b->start,
                     "sessions", (json_int_t)b->sessions, "reps", (json_int_t)b->reps,
                     "volume_kg", b->volume_kg, "mean_score",
                     b->score_n > 0 ? json_real(b->mean_score) : json_null());
}

static json_t *streak_json(const struct analytics_streak *s)
{
    return json_pack("{s:I,s:I,s:o,s:o}", "current", (json_int_t)s->current, "longest",
                     (json_int_t)s->longest, "current_start",
                     s->current_start[0] ? json_string(s->current_start) : json_null(),
                     "last_day", s->last_day[0] ? json_string(s->last_day) : json_null());
}

static int analytics_summary_get(struct http_request *req, void *app)
{
    struct app *a = app;
    const struct api_principal *p = api_principal(req);
    struct range r;
    if (query_range(req, a->store, &r))
        return 0;
    const char *exercise = http_request_query(req, "exercise");
    if (exercise && !app_exercise_known(exercise))
        return history_reply_invalid(req, "exercise", "must be one of the known exercises");

    struct analytics_bucket *b = NULL;
    struct analytics_fault *f = NULL;
    size_t nb = 0, nf = 0;
    struct analytics_streak streak;
    json_t *buckets = NULL, *faults = NULL, *body = NULL;
    int err = analytics_summary(a->store, p->user_id, r.period, r.from, r.to, exercise, &b, &nb);
    if (!err)
        err = analytics_streaks(a->store, p->user_id, &streak);
    if (!err)
        err = analytics_top_faults(a->store, p->user_id, exercise, r.from_ms, r.to_ms,
                                   TOP_FAULTS, &f, &nf);
    if (err)
        goto out;
    err = RR_ERR_NOMEM;
    buckets = json_array();
    faults = json_object();
    if (!buckets || !faults)
        goto out;
    struct analytics_bucket total;
    memset(&total, 0, sizeof total);
    for (size_t i = 0; i < nb; i++) {
        if (json_array_append_new(buckets, bucket_json(&b[i])) != 0)
            goto out;
        total.sessions += b[i].sessions;
        total.reps += b[i].reps;
        total.volume_kg += b[i].volume_kg;
        total.score_sum += b[i].score_sum;
        total.score_n += b[i].score_n;
    }
    total.mean_score = total.score_n ? total.score_sum / (double)total.score_n : 0;
    for (size_t i = 0; i < nf; i++) {
        json_t *list = json_object_get(faults, f[i].exercise);
        if (!list) {
            list = json_array();
            if (json_object_set_new(faults, f[i].exercise, list) != 0)
                goto out;
        }
        if (json_array_append_new(list, json_pack("{s:s,s:I}", "fault", f[i].fault, "count",
                                                  (json_int_t)f[i].count)) != 0)
            goto out;
    }
    json_t *totals = json_pack("{s:I,s:I,s:f,s:o}", "sessions", (json_int_t)total.sessions,
                               "reps", (json_int_t)total.reps, "volume_kg", total.volume_kg,
                               "mean_score",
                               total.score_n ? json_real(total.mean_score) : json_null());
    body = json_pack("{s:s,s:s,s:s,s:o,s:O,s:o,s:O}", "period", analytics_period_name(r.period),
                     "from", r.from, "to", r.to, "totals", totals, "buckets", buckets, "streak",
                     streak_json(&streak), "top_faults", faults);
    if (!body)
        goto out;
    err = http_reply_json(req, 200, body);
out:
    json_decref(buckets);
    json_decref(faults);
    free(b);
    free(f);
    return err;
}

static int analytics_trend_get(struct http_request *req, void *app)
{
    struct app *a = app;
    const struct api_principal *p = api_principal(req);
    const char *exercise = http_request_param(req, "exercise");
    if (!app_exercise_known(exercise))
        return http_reply_errcode(req, RR_ERR_NOTFOUND, "unknown exercise");
    struct range r;
    if (query_range(req, a->store, &r))
        return 0;
    struct analytics_bucket *b = NULL;
    size_t nb = 0;
    int err = analytics_summary(a->store, p->user_id, r.period, r.from, r.to, exercise, &b, &nb);
    if (err)
        return err;
    json_t *points = json_array();
    for (size_t i = 0; points && i < nb; i++)
        if (json_array_append_new(points, bucket_json(&b[i])) != 0) {
            json_decref(points);
            points = NULL;
        }
    free(b);
    if (!points)
        return RR_ERR_NOMEM;
    json_t *body = json_pack("{s:s,s:s,s:s,s:s,s:o}", "exercise", exercise, "period",
                             analytics_period_name(r.period), "from", r.from, "to", r.to,
                             "points", points);
    if (!body)
        return RR_ERR_NOMEM;
    return http_reply_json(req, 200, body);
}

static int analytics_records_get(struct http_request *req, void *app)
{
    struct app *a = app;
    const struct api_principal *p = api_principal(req);
    struct analytics_record *rec = NULL;
    size_t n = 0;
    struct analytics_streak streak;
    int err = analytics_records(a->store, p->user_id, &rec, &n);
    if (!err)
        err = analytics_streaks(a->store, p->user_id, &streak);
    if (err) {
        free(rec);
        return err;
    }
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        json_t *o = json_pack("{s:s,s:s,s:f,s:s,s:s}", "exercise", rec[i].exercise, "kind",
                              analytics_record_kind_name(rec[i].kind), "value", rec[i].value,
                              "workout_id", rec[i].workout_id, "day", rec[i].day);
        if (json_array_append_new(arr, o) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    free(rec);
    if (!arr)
        return RR_ERR_NOMEM;
    json_t *body = json_pack("{s:o,s:o}", "records", arr, "streak", streak_json(&streak));
    if (!body)
        return RR_ERR_NOMEM;
    return http_reply_json(req, 200, body);
}

const struct http_route api_analytics_routes[] = {
    {HTTP_GET, "/v1/analytics/summary", analytics_summary_get, HTTP_AUTH_REQUIRED,
     HTTP_BODY_NONE, "analytics.summary",
     "sessions, reps, volume and mean score per day/week/month, streaks, top faults", NULL,
     NULL},
    {HTTP_GET, "/v1/analytics/exercises/{exercise}/trend", analytics_trend_get,
     HTTP_AUTH_REQUIRED, HTTP_BODY_NONE, "analytics.trend",
     "score and volume of one exercise over time", NULL, NULL},
    {HTTP_GET, "/v1/analytics/records", analytics_records_get, HTTP_AUTH_REQUIRED,
     HTTP_BODY_NONE, "analytics.records", "personal records per exercise, and streaks", NULL,
     NULL},
};
const size_t api_analytics_routes_n =
    sizeof api_analytics_routes / sizeof api_analytics_routes[0];
