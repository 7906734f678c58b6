/*
 * api.h - the HTTP adapter of RepRight: one file per resource, each exporting its route table,
 * joined by routes.c; the caller (principal.c); and api_server_start, which puts the tables on
 * an HTTP server over an opened app.
 *
 * A handler parses and checks the request, authorises it (every id is scoped to the caller),
 * calls ONE use case of src/app (app/app.h) or, for a read, one store query, and renders the
 * answer. Flows that write or touch two services live in app/, never here. Handlers get the
 * `struct app *` as their `void *app` argument and only borrow from it; nothing is kept between
 * requests, so several `repright serve` processes can share one store.
 *
 * Ownership: route tables are static; api_routes() joins them once into static storage.
 * Errors: handlers return RR_ERR_* (the HTTP layer maps them to statuses) or reply themselves.
 * api_server_start: whatever http_server_start returns, `msg` says why.
 * Thread-safety: handlers run concurrently on the HTTP pool threads.
 */
#ifndef RR_API_API_H
#define RR_API_API_H

#include <stddef.h>

#include "app/app.h"
#include "http/router.h"
#include "http/server.h"

/* The authenticated caller of a request (set by api_authenticate). */
struct api_principal {
    char user_id[33];            /* a user's requests; "" for a partner key */
    int is_partner;              /* 1: an org's API key (HTTP_AUTH_KEY routes) */
    char org_id[33];             /* the key's org */
    char key_id[33];
    unsigned scopes;             /* the key's scopes (app/partners.h bits) */
};
/* http_config.authenticate hook: Bearer access JWT -> principal, else RR_ERR_UNAUTHENTICATED.
 * On HTTP_AUTH_KEY routes: a partner API key instead (api_authenticate_key). */
int api_authenticate(struct http_request *req, void *app);
/* A partner API key ("Authorization: Bearer rr_live_..." or "X-API-Key: rr_live_..."), its
 * token bucket (RateLimit / RateLimit-Policy headers on every answer, 429 + Retry-After when
 * empty) and the route's scope (403 insufficient_scope) -> a partner principal
 * (partner_auth.c). */
int api_authenticate_key(struct http_request *req, struct app *a);
/* Scopes and examples of the routes, by route name (joined by routes.c from the tables below). */
const struct http_route_doc *api_route_docs(size_t *n);
extern const struct http_route_doc api_partner_docs[];
extern const size_t api_partner_docs_n;
extern const struct http_route_doc api_webhooks_docs[]; /* webhook_docs.c */
extern const size_t api_webhooks_docs_n;
extern const struct http_route_doc api_auth_docs[];     /* auth_docs.c: auth, /v1/me */
extern const size_t api_auth_docs_n;
extern const struct http_route_doc api_media_docs[];    /* media_docs.c: uploads, videos, jobs */
extern const size_t api_media_docs_n;
extern const struct http_route_doc api_workouts_docs[]; /* workouts_docs.c: + analytics, exercises */
extern const size_t api_workouts_docs_n;
extern const struct http_route_doc api_ops_docs[];      /* ops_docs.c: ops, built-ins, web */
extern const size_t api_ops_docs_n;
const struct api_principal *api_principal(const struct http_request *req);

/* Route tables, one per resource file (api/<resource>.c); routes.c joins them in this order. */
extern const struct http_route api_auth_routes[];
extern const size_t api_auth_routes_n;
extern const struct http_route api_uploads_routes[];   /* tus + single upload */
extern const size_t api_uploads_routes_n;
extern const struct http_route api_videos_routes[];    /* videos + media download (Range) */
extern const size_t api_videos_routes_n;
extern const struct http_route api_jobs_routes[];      /* job status + progress stream */
extern const size_t api_jobs_routes_n;
extern const struct http_route api_workouts_routes[];  /* history, sync, export */
extern const size_t api_workouts_routes_n;
extern const struct http_route api_analytics_routes[];
extern const size_t api_analytics_routes_n;
extern const struct http_route api_exercises_routes[]; /* the exercise list (the registry) */
extern const size_t api_exercises_routes_n;
extern const struct http_route api_partner_routes[];   /* /v1/partner/...: API keys */
extern const size_t api_partner_routes_n;
extern const struct http_route api_consent_routes[];   /* /v1/me/partners, /v1/orgs (console) */
extern const size_t api_consent_routes_n;
extern const struct http_route api_plans_routes[];     /* plans, usage, flags, billing */
extern const size_t api_plans_routes_n;
extern const struct http_route_doc api_plans_docs[]; /* their examples (api/plans.c) */
extern const size_t api_plans_docs_n;
/* Webhook endpoints and their delivery log: /v1/partner/webhooks... for a partner API key
 * (scope webhooks:write), /v1/orgs/{org_id}/webhooks... for the org's admins (web console). */
extern const struct http_route api_webhooks_routes[];
extern const size_t api_webhooks_routes_n;
extern const struct http_route api_ops_routes[];       /* /readyz, /docs */
extern const size_t api_ops_routes_n;
extern const struct http_route api_web_routes[];       /* static web app, fallback "/{path*}" */
extern const size_t api_web_routes_n;

/* The one answer when a plan refuses something (api/plans.c): 402 plan_limit_reached for a
 * quota (uploads a month, video length), 403 feature_not_in_plan for a feature (heavy model,
 * overlay video); the message and details name the limit, the plan's value, the usage and
 * what the plan above offers ("upgrade"). */
int api_reply_plan_limit(struct http_request *req, const struct app_plan_limit *l);

/* A read from the per-user cache (app_cache_get): on a hit answers its bytes as a JSON 200,
 * sets *served and returns the reply's result; on a miss returns 0 with *served = 0 and
 * *ticket ready for app_cache_put once the store was read and the answer rendered. */
int api_reply_cached(struct http_request *req, struct app *a, const char *user_id,
                     const char *name, struct app_cache_ticket *ticket, int *served);

/* All routes joined (built once, static storage); *n gets the count. */
const struct http_route *api_routes(size_t *n);

/* The HTTP server's settings from the app's configuration (cfg->http), with the
 * authentication hook set. */
void api_http_config(const struct app_config *cfg, struct http_config *out);

/* Start serving the API (and the web app) of an opened app: warns when the web app directory is
 * missing, starts the server. Stop it with http_server_stop() before
 * app_close(). */
int api_server_start(struct app *a, struct http_server **out, char *msg, size_t msg_len);

#endif
