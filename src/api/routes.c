/*
 * routes.c - the server's whole route table: the per-resource tables declared in api.h joined
 * once, in a fixed order, into static storage (the router keeps pointers into it). Building it
 * also fills the exercise list the tables' schemas point at (app_exercise_names).
 */
#include "api/api.h"

#include "base/rr_log.h"

#include <pthread.h>
#include <string.h>

#define ROUTES_MAX 256

static struct http_route routes_all[ROUTES_MAX];
static size_t routes_n;
static pthread_once_t routes_once = PTHREAD_ONCE_INIT;

static void routes_add(const struct http_route *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!t[i].pattern) /* placeholder tables hold one all-zero row */
            continue;
        if (routes_n == ROUTES_MAX) {
            rr_log(RR_LOG_ERROR, "route table full: route dropped",
                   RR_LOG_STR("route", t[i].name ? t[i].name : t[i].pattern));
            continue;
        }
        routes_all[routes_n++] = t[i];
    }
}

static void routes_build(void)
{
    app_exercises(NULL);
    routes_add(api_auth_routes, api_auth_routes_n);
    routes_add(api_uploads_routes, api_uploads_routes_n);
    routes_add(api_videos_routes, api_videos_routes_n);
    routes_add(api_jobs_routes, api_jobs_routes_n);
    routes_add(api_workouts_routes, api_workouts_routes_n);
    routes_add(api_analytics_routes, api_analytics_routes_n);
    routes_add(api_exercises_routes, api_exercises_routes_n);
    routes_add(api_partner_routes, api_partner_routes_n);
    routes_add(api_consent_routes, api_consent_routes_n);
    routes_add(api_webhooks_routes, api_webhooks_routes_n);
    routes_add(api_plans_routes, api_plans_routes_n);
    routes_add(api_ops_routes, api_ops_routes_n);
    routes_add(api_web_routes, api_web_routes_n); /* a fallback: only paths no route above has */
}

const struct http_route *api_routes(size_t *n)
{
    pthread_once(&routes_once, routes_build);
    *n = routes_n;
    return routes_all;
}

/* The doc rows (scopes, examples) of every resource that has some, joined once like the routes.
 * A resource adds its table here. */
#define DOCS_MAX 256
static struct http_route_doc docs_all[DOCS_MAX];
static size_t docs_n;
static pthread_once_t docs_once = PTHREAD_ONCE_INIT;

static void docs_add(const struct http_route_doc *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (docs_n == DOCS_MAX) {
            rr_log(RR_LOG_ERROR, "route doc table full: row dropped",
                   RR_LOG_STR("route", t[i].name ? t[i].name : ""));
            continue;
        }
        docs_all[docs_n++] = t[i];
    }
}

static void docs_build(void)
{
    docs_add(api_auth_docs, api_auth_docs_n);
    docs_add(api_media_docs, api_media_docs_n);
    docs_add(api_workouts_docs, api_workouts_docs_n);
    docs_add(api_partner_docs, api_partner_docs_n);
    docs_add(api_webhooks_docs, api_webhooks_docs_n);
    docs_add(api_plans_docs, api_plans_docs_n);
    docs_add(api_ops_docs, api_ops_docs_n);
}

const struct http_route_doc *api_route_docs(size_t *n)
{
    pthread_once(&docs_once, docs_build);
    *n = docs_n;
    return docs_all;
}
