/*
 * partners.c - the partner API (/v1/partner/...): what an org's API key may read about the
 * members who linked to the org (docs/internals/partners.md). Every route is HTTP_AUTH_KEY with a
 * scope (partner_docs.c); the principal is the key's org.
 *
 *   GET /v1/partner/members                  members:read    linked members, paged
 *   GET /v1/partner/members/{id}/workouts    workouts:read   a member's workouts, paged
 *   GET /v1/partner/members/{id}/analytics   analytics:read  a member's days (from/to)
 *   GET /v1/partner/aggregates               analytics:read  org totals per exercise
 *
 * No existence leak: a member id that is unknown, malformed, not linked to this org or not
 * sharing that part answers the one 404 not_found body (app_partner_member), and the consent is
 * read on every request, so an unlink counts from the next one.
 */
#include "api/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/analytics.h"
#include "api/history.h"
#include "api/paging.h"
#include "app/partners.h"
#include "base/rr_error.h"
#include "base/rr_json.h"
#include "http/request.h"

#define PARTNER_REPLY_MAX (4u << 20)
#define PARTNER_DAYS_DEFAULT 28
#define PARTNER_DAYS_MAX 400

/* The one answer for a member this org may not see. */
static int member_not_found(struct http_request *req)
{
    return http_reply_error(req, 404, "not_found", "no such member", NULL);
}

static int partner_members(struct http_request *req, void *app)
{
    struct app *a = app;
    const struct api_principal *p = api_principal(req);
    struct api_page pg;
    if (api_page_query(req, 20, &pg))
        return 0;
    struct store_org_member *items = NULL;
    size_t n = 0;
    int err = store_member_list(a->store, p->org_id, pg.cursor, pg.limit, &items, &n, pg.next);
    if (err)
        return api_page_store_error(req, err);
    struct rr_json o;
    rr_json_init(&o, NULL, 0, PARTNER_REPLY_MAX);
    api_list_begin(&o);
    for (size_t i = 0; i < n; i++)
        app_json_member(&o, &items[i], 0);
    free(items);
    api_page_end(&o, &pg);
    return api_reply_json(req, 200, &o);
}

static int partner_member_workouts(struct http_request *req, void *app)
{
    struct app *a = app;
    const struct api_principal *p = api_principal(req);
    struct store_org_member m;
    int err = app_partner_member(a, p->org_id, http_request_param(req, "id"),
                                 APP_SCOPE_WORKOUTS_READ, &m);
    if (err == RR_ERR_NOTFOUND)
        return member_not_found(req);
    if (err)
        return err;
    struct api_page pg;
    if (api_page_query(req, 20, &pg))
        return 0;
    /* the member's plan history: a gym sees what the member sees (hidden, not deleted) */
    struct store_workout_filter f = {NULL, app_history_from(a, m.user_id), 0};
    struct store_workout *items = NULL;
    size_t n = 0;
    err = store_workout_list(a->store, m.user_id, &f, pg.cursor, pg.limit, &items, &n, pg.next);
    if (err)
        return api_page_store_error(req, err);
    struct rr_json o;
    rr_json_init(&o, NULL, 0, PARTNER_REPLY_MAX);
    api_list_begin(&o);
    for (size_t i = 0; i < n; i++) {
        const struct store_workout *w = &items[i];
        rr_json_object_begin(&o);
        RR_JSON_KEY(&o, "id");
        rr_json_string(&o, w->id);
        RR_JSON_KEY(&o, "exercise");
        rr_json_string(&o, w->exercise);
        RR_JSON_KEY(&o, "started_at");
        rr_json_time_ms(&o, w->started_at);
        RR_JSON_KEY(&o, "duration_ms");
        rr_json_int(&o, w->duration_ms);
        RR_JSON_KEY(&o, "score");
        rr_json_real_digits(&o, w->score, 0);
        RR_JSON_KEY(&o, "reps");
        rr_json_int(&o, w->reps);
        RR_JSON_KEY(&o, "reps_good");
        rr_json_int(&o, w->reps_good);
        RR_JSON_KEY(&o, "reps_bad");
        rr_json_int(&o, w->reps_bad);
        rr_json_object_end(&o);
    }
    free(items);
    api_page_end(&o, &pg);
    return api_reply_json(req, 200, &o);
}

/* from/to (inclusive days, default the last PARTNER_DAYS_DEFAULT days to today); 1 after 422. */
static int day_range(struct http_request *req, struct app *a, char from[11], char to[11])
{
    int64_t f, t;
    int has_f, has_t;
    if (history_query_day(req, "from", &f, &has_f) || history_query_day(req, "to", &t, &has_t))
        return 1;
    if (!has_t)
        t = store_now(a->store) / ANALYTICS_DAY_MS * ANALYTICS_DAY_MS;
    if (!has_f)
        f = t - (PARTNER_DAYS_DEFAULT - 1) * ANALYTICS_DAY_MS;
    if (f < 0)
        f = 0;
    if (t < f) {
        history_reply_invalid(req, "to", "must not be before from");
        return 1;
    }
    if ((t - f) / ANALYTICS_DAY_MS + 1 > PARTNER_DAYS_MAX) {
        history_reply_invalid(req, "from", "the range is at most 400 days");
        return 1;
    }
    char buf[32];
    history_time_format(f, buf);
    snprintf(from, 11, "%.10s", buf);
    history_time_format(t, buf);
    snprintf(to, 11, "%.10s", buf);
    return 0;
}

static void score_mean(struct rr_json *o, double sum, int64_t n)
{
    RR_JSON_KEY(o, "mean_score");
    if (n > 0)
        rr_json_real_digits(o, sum / (double)n, 4);
    else
        rr_json_null(o);
}

static int partner_member_analytics(struct http_request *req, void *app)
{
    struct app *a = app;
    const struct api_principal *p = api_principal(req);
    struct store_org_member m;
    int err = app_partner_member(a, p->org_id, http_request_param(req, "id"),
                                 APP_SCOPE_ANALYTICS_READ, &m);
    if (err == RR_ERR_NOTFOUND)
        return member_not_found(req);
    if (err)
        return err;
    char from[11], to[11];
    if (day_range(req, a, from, to))
        return 0;
    /* the member's plan history (whole days, as the member's own analytics): start no earlier */
    int64_t kept = app_history_from_day(a, m.user_id);
    char kept_day[32];
    history_time_format(kept, kept_day);
    kept_day[10] = '\0';
    int empty = kept && strcmp(kept_day, to) > 0;
    if (kept && !empty && strcmp(kept_day, from) > 0)
        memcpy(from, kept_day, 11);
    struct store_analytics_day *days = NULL;
    size_t n = 0;
    err = empty ? 0 : store_analytics_range(a->store, m.user_id, from, to, NULL, &days, &n);
    if (err)
        return err;
    struct rr_json o;
    rr_json_init(&o, NULL, 0, PARTNER_REPLY_MAX);
    rr_json_object_begin(&o);
    RR_JSON_KEY(&o, "from");
    rr_json_string(&o, from);
    RR_JSON_KEY(&o, "to");
    rr_json_string(&o, to);
    RR_JSON_KEY(&o, "days");
    rr_json_array_begin(&o);
    for (size_t i = 0; i < n; i++) {
        rr_json_object_begin(&o);
        RR_JSON_KEY(&o, "day");
        rr_json_string(&o, days[i].day);
        RR_JSON_KEY(&o, "exercise");
        rr_json_string(&o, days[i].exercise);
        RR_JSON_KEY(&o, "sessions");
        rr_json_int(&o, days[i].sessions);
        RR_JSON_KEY(&o, "reps");
        rr_json_int(&o, days[i].reps);
        RR_JSON_KEY(&o, "volume");
        rr_json_real_digits(&o, days[i].volume, 6);
        score_mean(&o, days[i].score_sum, days[i].score_n);
        rr_json_object_end(&o);
    }
    rr_json_array_end(&o);
    free(days);
    rr_json_object_end(&o);
    return api_reply_json(req, 200, &o);
}

static int partner_aggregates(struct http_request *req, void *app)
{
    struct app *a = app;
    const struct api_principal *p = api_principal(req);
    char from[11], to[11];
    if (day_range(req, a, from, to))
        return 0;
    struct store_org_aggregate *rows = NULL;
    size_t n = 0;
    /* each member counts within its own plan's history, as its per-member analytics above */
    int err = store_org_aggregates(a->store, p->org_id, APP_SCOPE_ANALYTICS_READ, from, to, &rows,
                                   &n);
    if (err)
        return err;
    struct rr_json o;
    rr_json_init(&o, NULL, 0, PARTNER_REPLY_MAX);
    rr_json_object_begin(&o);
    RR_JSON_KEY(&o, "from");
    rr_json_string(&o, from);
    RR_JSON_KEY(&o, "to");
    rr_json_string(&o, to);
    RR_JSON_KEY(&o, "exercises");
    rr_json_array_begin(&o);
    for (size_t i = 0; i < n; i++) {
        rr_json_object_begin(&o);
        RR_JSON_KEY(&o, "exercise");
        rr_json_string(&o, rows[i].exercise);
        RR_JSON_KEY(&o, "members");
        rr_json_int(&o, rows[i].members);
        RR_JSON_KEY(&o, "sessions");
        rr_json_int(&o, rows[i].sessions);
        RR_JSON_KEY(&o, "reps");
        rr_json_int(&o, rows[i].reps);
        RR_JSON_KEY(&o, "volume");
        rr_json_real_digits(&o, rows[i].volume, 6);
        score_mean(&o, rows[i].score_sum, rows[i].score_n);
        rr_json_object_end(&o);
    }
    rr_json_array_end(&o);
    free(rows);
    rr_json_object_end(&o);
    return api_reply_json(req, 200, &o);
}

const struct http_route api_partner_routes[] = {
    {HTTP_GET, "/v1/partner/members", partner_members, HTTP_AUTH_KEY, HTTP_BODY_NONE,
     "partner.members", "members linked to the key's org (consenting only), newest first", NULL,
     NULL},
    {HTTP_GET, "/v1/partner/members/{id}/workouts", partner_member_workouts, HTTP_AUTH_KEY,
     HTTP_BODY_NONE, "partner.member_workouts",
     "a linked member's workouts, newest first (404 unless the member shares workouts)", NULL,
     NULL},
    {HTTP_GET, "/v1/partner/members/{id}/analytics", partner_member_analytics, HTTP_AUTH_KEY,
     HTTP_BODY_NONE, "partner.member_analytics",
     "a linked member's daily totals over from..to (404 unless the member shares analytics)",
     NULL, NULL},
    {HTTP_GET, "/v1/partner/aggregates", partner_aggregates, HTTP_AUTH_KEY, HTTP_BODY_NONE,
     "partner.aggregates", "org totals per exercise over the members who share analytics", NULL,
     NULL},
};
const size_t api_partner_routes_n = sizeof api_partner_routes / sizeof api_partner_routes[0];
