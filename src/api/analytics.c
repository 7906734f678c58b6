/*
 * analytics.c - the progress resource: period summaries (with streaks and the most frequent
 * faults), per-exercise trends of score and volume, and personal records. Reads through the
 * analytics module (src/analytics), scoped to the authenticated user.
 *
 * Query parameters: period=day|week|month (default week), from / to ISO dates (inclusive;
 * default: to = today (UTC), from = 4 weeks / 12 weeks / 12 months before, aligned to the period
 * start). Bad values -> 422 naming the parameter; ranges over ANALYTICS_RANGE_DAYS_MAX days ->
 * 422 too. The start is then clamped to the user's plan history (history_days, whole days):
 * records, streaks and top faults count only the days it keeps. Volume is load-weighted (kg x
 * reps, only sets with a known load); see docs/internals/analytics.md.
 */
#include "api/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/analytics.h"
#include "base/rr_error.h"
#include "base/rr_json.h"
#include "http/request.h"
#include "store/store.h"
#include "api/history.h"

#define TOP_FAULTS 5
#define ANALYTICS_REPLY_MAX (4u << 20) /* 400 days x 9 exercises of buckets fit 100 times */

struct range {
    enum analytics_period period;
    char from[11], to[11];
    int64_t from_ms, to_ms; /* [from_ms, to_ms) */
    int64_t kept_from;      /* the plan's history cut-off (a day start; 0 = all) */
    int empty;              /* the whole range is older than the plan's history */
};

/* Parse period/from/to; 1 after replying 422. The range is validated as asked, then its start
 * clamped to the plan's history (app_history_from_day): older days are hidden, not deleted. */
static int query_range(struct http_request *req, struct app *a, const char *user_id,
                       struct range *r)
{
    struct store *st = a->store;
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
    r->kept_from = app_history_from_day(a, user_id);
    r->empty = r->kept_from > r->to_ms;
    if (r->kept_from > r->from_ms && !r->empty)
        r->from_ms = r->kept_from;
    analytics_day_of(r->from_ms, r->from);
    analytics_day_of(r->to_ms, r->to);
    r->to_ms += ANALYTICS_DAY_MS;
    return 0;
}

static void mean_score(struct rr_json *o, const struct analytics_bucket *b)
{
    RR_JSON_KEY(o, "mean_score");
    if (b->score_n > 0)
        rr_json_real(o, b->mean_score);
    else
        rr_json_null(o);
}

static void bucket_json(struct rr_json *o, const struct analytics_bucket *b)
{
    rr_json_object_begin(o);
    RR_JSON_KEY(o, "label");
    rr_json_string(o, b->label);
    RR_JSON_KEY(o, "start");
    rr_json_string(o, b->start);
    RR_JSON_KEY(o, "sessions");
    rr_json_int(o, b->sessions);
    RR_JSON_KEY(o, "reps");
    rr_json_int(o, b->reps);
    RR_JSON_KEY(o, "volume_kg");
    rr_json_real(o, b->volume_kg);
    mean_score(o, b);
    rr_json_object_end(o);
}

static void streak_json(struct rr_json *o, const struct analytics_streak *s)
{
    rr_json_object_begin(o);
    RR_JSON_KEY(o, "current");
    rr_json_int(o, s->current);
    RR_JSON_KEY(o, "longest");
    rr_json_int(o, s->longest);
    RR_JSON_KEY(o, "current_start");
    rr_json_string(o, s->current_start[0] ? s->current_start : NULL);
    RR_JSON_KEY(o, "last_day");
    rr_json_string(o, s->last_day[0] ? s->last_day : NULL);
    rr_json_object_end(o);
}

/* {"<exercise>": [{"fault","count"}, ...], ...}: exercises in the order they first appear */
static void top_faults_json(struct rr_json *o, const struct analytics_fault *f, size_t n)
{
    rr_json_object_begin(o);
    for (size_t i = 0; i < n; i++) {
        size_t first = 0;
        while (strcmp(f[first].exercise, f[i].exercise) != 0)
            first++;
        if (first < i)
            continue; /* written with its first appearance */
        rr_json_key(o, f[i].exercise);
        rr_json_array_begin(o);
        for (size_t k = i; k < n; k++) {
            if (strcmp(f[k].exercise, f[i].exercise) != 0)
                continue;
            rr_json_object_begin(o);
            RR_JSON_KEY(o, "fault");
            rr_json_string(o, f[k].fault);
            RR_JSON_KEY(o, "count");
            rr_json_int(o, f[k].count);
            rr_json_object_end(o);
        }
        rr_json_array_end(o);
    }
    rr_json_object_end(o);
}

static int reply(struct http_request *req, struct rr_json *o)
{
    int err = http_reply_writer(req, 200, o);
    rr_json_release(o);
    return err;
}

/* The summary's cache name: its query parameters as given and today; 0 when one holds '|' (it
 * could make two queries one name) or the name does not fit. */
static int summary_cache_name(struct http_request *req, struct app *a, char *name, size_t len)
{
    static const char *const params[] = {"period", "from", "to", "exercise"};
    const char *v[4], *given[4];
    for (int i = 0; i < 4; i++) {
        v[i] = http_request_query(req, params[i]);
        given[i] = v[i] ? "=" : ""; /* absent and empty are different queries */
        if (!v[i])
            v[i] = "";
        else if (strchr(v[i], '|') || strlen(v[i]) > 40)
            return 0;
    }
    long long today = (long long)(store_now(a->store) / ANALYTICS_DAY_MS);
    int n = snprintf(name, len, "as|%s%s|%s%s|%s%s|%s%s|%lld", given[0], v[0], given[1], v[1],
                     given[2], v[2], given[3], v[3], today);
    return n > 0 && (size_t)n < len;
}

static int analytics_summary_get(struct http_request *req, void *app)
{
    struct app *a = app;
    const struct api_principal *p = api_principal(req);
    /* cached per user under the query as asked and today (UTC): the range resolves from those
     * and the plan's history window (a day start; a plan change invalidates), so a hit needs no
     * store read at all; only a valid query's 200 is ever put */
    char cname[APP_CACHE_NAME_MAX + 1];
    struct app_cache_ticket ticket = {0, 0};
    int cacheable = summary_cache_name(req, a, cname, sizeof cname);
    if (cacheable) {
        int served = 0, rc = api_reply_cached(req, a, p->user_id, cname, &ticket, &served);
        if (served)
            return rc;
    }
    struct range r;
    if (query_range(req, a, p->user_id, &r))
        return 0;
    const char *exercise = http_request_query(req, "exercise");
    if (exercise && !app_exercise_known(exercise))
        return history_reply_invalid(req, "exercise", "must be one of the known exercises");

    struct analytics_bucket *b = NULL;
    struct analytics_fault *f = NULL;
    size_t nb = 0, nf = 0;
    struct analytics_streak streak;
    int err = r.empty ? 0
                      : analytics_summary(a->store, p->user_id, r.period, r.from, r.to, exercise,
                                          &b, &nb);
    if (!err)
        err = analytics_streaks(a->store, p->user_id, r.kept_from, &streak);
    if (!err && !r.empty)
        err = analytics_top_faults(a->store, p->user_id, exercise, r.from_ms, r.to_ms,
                                   TOP_FAULTS, &f, &nf);
    if (err) {
        free(b);
        free(f);
        return err;
    }
    struct analytics_bucket total;
    memset(&total, 0, sizeof total);
    for (size_t i = 0; i < nb; i++) {
        total.sessions += b[i].sessions;
        total.reps += b[i].reps;
        total.volume_kg += b[i].volume_kg;
        total.score_sum += b[i].score_sum;
        total.score_n += b[i].score_n;
    }
    total.mean_score = total.score_n ? total.score_sum / (double)total.score_n : 0;

    char stack[4096];
    struct rr_json o;
    rr_json_init(&o, stack, sizeof stack, ANALYTICS_REPLY_MAX);
    rr_json_object_begin(&o);
    RR_JSON_KEY(&o, "period");
    rr_json_string(&o, analytics_period_name(r.period));
    RR_JSON_KEY(&o, "from");
    rr_json_string(&o, r.from);
    RR_JSON_KEY(&o, "to");
    rr_json_string(&o, r.to);
    RR_JSON_KEY(&o, "totals");
    rr_json_object_begin(&o);
    RR_JSON_KEY(&o, "sessions");
    rr_json_int(&o, total.sessions);
    RR_JSON_KEY(&o, "reps");
    rr_json_int(&o, total.reps);
    RR_JSON_KEY(&o, "volume_kg");
    rr_json_real(&o, total.volume_kg);
    mean_score(&o, &total);
    rr_json_object_end(&o);
    RR_JSON_KEY(&o, "buckets");
    rr_json_array_begin(&o);
    for (size_t i = 0; i < nb; i++)
        bucket_json(&o, &b[i]);
    rr_json_array_end(&o);
    RR_JSON_KEY(&o, "streak");
    streak_json(&o, &streak);
    RR_JSON_KEY(&o, "top_faults");
    top_faults_json(&o, f, nf);
    rr_json_object_end(&o);
    free(b);
    free(f);
    if (cacheable && !rr_json_error(&o))
        app_cache_put(a, p->user_id, cname, &ticket, rr_json_data(&o), rr_json_len(&o));
    return reply(req, &o);
}

static int analytics_trend_get(struct http_request *req, void *app)
{
    struct app *a = app;
    const struct api_principal *p = api_principal(req);
    const char *exercise = http_request_param(req, "exercise");
    if (!app_exercise_known(exercise))
        return http_reply_errcode(req, RR_ERR_NOTFOUND, "unknown exercise");
    struct range r;
    if (query_range(req, a, p->user_id, &r))
        return 0;
    struct analytics_bucket *b = NULL;
    size_t nb = 0;
    int err = r.empty ? 0
                      : analytics_summary(a->store, p->user_id, r.period, r.from, r.to, exercise,
                                          &b, &nb);
    if (err)
        return err;
    char stack[4096];
    struct rr_json o;
    rr_json_init(&o, stack, sizeof stack, ANALYTICS_REPLY_MAX);
    rr_json_object_begin(&o);
    RR_JSON_KEY(&o, "exercise");
    rr_json_string(&o, exercise);
    RR_JSON_KEY(&o, "period");
    rr_json_string(&o, analytics_period_name(r.period));
    RR_JSON_KEY(&o, "from");
    rr_json_string(&o, r.from);
    RR_JSON_KEY(&o, "to");
    rr_json_string(&o, r.to);
    RR_JSON_KEY(&o, "points");
    rr_json_array_begin(&o);
    for (size_t i = 0; i < nb; i++)
        bucket_json(&o, &b[i]);
    rr_json_array_end(&o);
    rr_json_object_end(&o);
    free(b);
    return reply(req, &o);
}

static int analytics_records_get(struct http_request *req, void *app)
{
    struct app *a = app;
    const struct api_principal *p = api_principal(req);
    struct analytics_record *rec = NULL;
    size_t n = 0;
    struct analytics_streak streak;
    /* the plan's history: records and streaks count only the days it keeps */
    int64_t kept_from = app_history_from_day(a, p->user_id);
    int err = analytics_records(a->store, p->user_id, kept_from, &rec, &n);
    if (!err)
        err = analytics_streaks(a->store, p->user_id, kept_from, &streak);
    if (err) {
        free(rec);
        return err;
    }
    char stack[4096];
    struct rr_json o;
    rr_json_init(&o, stack, sizeof stack, ANALYTICS_REPLY_MAX);
    rr_json_object_begin(&o);
    RR_JSON_KEY(&o, "records");
    rr_json_array_begin(&o);
    for (size_t i = 0; i < n; i++) {
        rr_json_object_begin(&o);
        RR_JSON_KEY(&o, "exercise");
        rr_json_string(&o, rec[i].exercise);
        RR_JSON_KEY(&o, "kind");
        rr_json_string(&o, analytics_record_kind_name(rec[i].kind));
        RR_JSON_KEY(&o, "value");
        rr_json_real(&o, rec[i].value);
        RR_JSON_KEY(&o, "workout_id");
        rr_json_string(&o, rec[i].workout_id);
        RR_JSON_KEY(&o, "day");
        rr_json_string(&o, rec[i].day);
        rr_json_object_end(&o);
    }
    rr_json_array_end(&o);
    free(rec);
    RR_JSON_KEY(&o, "streak");
    streak_json(&o, &streak);
    rr_json_object_end(&o);
    return reply(req, &o);
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
