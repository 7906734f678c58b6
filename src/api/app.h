/*
 * app.h - the RepRight server application: configuration, the shared services every API
 * handler and worker uses, and the per-resource route tables that routes.c joins.
 *
 * Shape (architecture.md): `repright serve` = HTTP (src/http) + API handlers (src/api, one file
 * per resource) + embedded workers (src/queue), all over the store / blob / queue interfaces, so
 * nothing here assumes one process: no in-memory sessions or job state; every piece of state
 * that matters lives in the store or the blob store.
 *
 * Ownership: app_open() creates every service from the config and owns them; app_close() stops
 * the HTTP server and workers first (graceful), then closes services. Handlers get `struct app *`
 * as their `void *app` argument and only borrow from it.
 * Errors: app_config_load: RR_ERR_INVAL (bad flag or REPRIGHT_* value; `msg` names it);
 * app_open: whatever a service returns, `msg` names the service.
 * Thread-safety: after app_open() the struct is read-only; the services are thread-safe (see
 * their headers). Handlers run concurrently on the HTTP pool threads.
 */
#ifndef RR_API_APP_H
#define RR_API_APP_H

#include <stddef.h>
#include <stdint.h>

#include "../http/router.h"
#include "../http/server.h"
#include "../pose/blazepose.h"

struct store;
struct blob;
struct tus;
struct worker_pool;

struct app_config {
    char data_dir[1024];       /* REPRIGHT_DATA_DIR, --data-dir; default ./repright-data */
    char database_url[1200];   /* REPRIGHT_DATABASE_URL; default sqlite:<data_dir>/repright.db */
    char blob_url[1200];       /* REPRIGHT_BLOB_URL; default file:<data_dir>/blobs */
    char queue_url[256];       /* REPRIGHT_QUEUE_URL; default "db" */
    char model_dir[1024];      /* REPRIGHT_MODEL_DIR; default pose_model_dir_default() */
    enum pose_model_kind model;/* REPRIGHT_MODEL lite|full|heavy; default full */
    int workers;               /* REPRIGHT_WORKERS, --workers; embedded worker threads, default 1 */
    int job_max_attempts;      /* default 3 */
    int job_lease_s;           /* default 60 (heartbeat every lease/3) */
    int page_max;              /* 100 */
    struct http_config http;   /* REPRIGHT_BIND, REPRIGHT_PORT, REPRIGHT_HTTP_THREADS, limits */
    char bind_buf[64];         /* storage for http.bind_addr */
    int login_account_limit;   /* REPRIGHT_LOGIN_ACCOUNT_LIMIT failed logins/window; 0 = auth policy */
    int login_ip_limit;        /* REPRIGHT_LOGIN_IP_LIMIT failed logins/window; 0 = auth policy */
    int login_window_s;        /* REPRIGHT_LOGIN_WINDOW_S sliding window; 0 = auth policy (60) */
    int login_backoff_s;       /* REPRIGHT_LOGIN_BACKOFF_S first account block; 0 = policy (60) */
    int login_backoff_max_s;   /* REPRIGHT_LOGIN_BACKOFF_MAX_S block cap; 0 = policy (900) */
    int log_level;             /* REPRIGHT_LOG_LEVEL debug|info|warn|error (enum log_level) */
    char web_dir[1024];        /* REPRIGHT_WEB_DIR, --web-dir: the web app served at /; default
                                  RR_DEFAULT_WEB_DIR (the build's web dir); "" = none */
};

struct app {
    struct app_config cfg;
    struct store *store;
    struct blob *blob;
    struct tus *tus;
    struct worker_pool *workers; /* NULL when workers == 0 */
    struct http_server *http;
    uint8_t jwt_key[32];         /* derived from the server secret, label "jwt" */
    uint8_t token_pepper[32];    /* label "token-pepper" */
    uint8_t media_key[32];       /* label "media-url": signed media links (auth/media_sig.h) */
    const char *jwt_issuer;      /* "repright" */
    const char *jwt_audience;    /* "repright-api" */
};

/* Defaults, then REPRIGHT_* environment, then flags (argv from the command, argv[0] = name). */
int app_config_load(struct app_config *cfg, int argc, char **argv, char *msg, size_t msg_len);
/* What app_open() starts besides the services (store, blob, uploads, secret). */
enum app_run {
    APP_RUN_NONE = 0,    /* services only (migrate, tests) */
    APP_RUN_SERVE = 1,   /* HTTP + the embedded workers (cfg.workers threads) */
    APP_RUN_WORKERS = 2, /* workers only: `repright worker` (scale-out) */
};
/* Open services and run migrations, then start what `run` says. */
int app_open(const struct app_config *cfg, enum app_run run, struct app **out, char *msg,
             size_t msg_len);
/* Graceful: stop accepting, drain, release job leases, close. NULL is a no-op. */
void app_close(struct app *a);

/* The authenticated caller of a request (set by api_authenticate). */
struct api_principal {
    char user_id[33];
    int is_partner;              /* later: partner API keys */
};
/* http_config.authenticate hook: Bearer access JWT -> principal, else RR_ERR_UNAUTHENTICATED. */
int api_authenticate(struct http_request *req, void *app);
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
extern const struct http_route api_ops_routes[];       /* /readyz, /docs */
extern const size_t api_ops_routes_n;
extern const struct http_route api_web_routes[];       /* static web app, fallback "/{path*}" */
extern const size_t api_web_routes_n;

/* All routes joined (built once, static storage); *n gets the count. */
const struct http_route *api_routes(size_t *n);

#endif
