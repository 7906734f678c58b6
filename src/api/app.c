/*
 * app.c - the RepRight server application: configuration (defaults, REPRIGHT_* environment,
 * flags) and the lifecycle of the shared services (store, blob, tus, secrets, workers, HTTP).
 *
 * DESIGN: app_open() builds services bottom-up (data dir -> store + migrations -> blob -> tus ->
 * secret-derived keys -> workers -> HTTP) and app_close() tears them down top-down, HTTP first so
 * no handler runs while a service closes. Every failure names the service in `msg`, and a
 * half-opened app is closed by the same app_close() path.
 */
#include "app.h"
#include "web.h"

#include "../auth/secret.h"
#include "../base/rr_error.h"
#include "../blob/blob.h"
#include "../blob/tus.h"
#include "../http/log.h"
#include "../store/store.h"
/* The embedded worker pool (src/queue). APP_NO_WORKERS builds an API-only server. */
#if defined(__has_include) && !defined(APP_NO_WORKERS)
#if __has_include("../queue/worker.h")
#include "../queue/worker.h"
#define APP_HAVE_WORKERS 1
#endif
#endif

#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Parse a decimal integer in [lo, hi]; 0 or RR_ERR_INVAL. */
static int app_parse_int(const char *s, long long lo, long long hi, long long *out)
{
    if (!s || !*s)
        return RR_ERR_INVAL;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return RR_ERR_INVAL;
    *out = v;
    return 0;
}

static int app_copy(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        return RR_ERR_TOOBIG;
    memcpy(dst, src, n + 1);
    return 0;
}

/* One setting, by name: shared by the environment and the flags. */
static int app_set(struct app_config *cfg, const char *key, const char *val, int *db_set,
                   int *blob_set)
{
    long long v = 0;
    if (strcmp(key, "DATA_DIR") == 0)
        return app_copy(cfg->data_dir, sizeof cfg->data_dir, val) < 0 || !*val ? RR_ERR_INVAL : 0;
    if (strcmp(key, "DATABASE_URL") == 0) {
        *db_set = 1;
        return app_copy(cfg->database_url, sizeof cfg->database_url, val) < 0 ? RR_ERR_INVAL : 0;
    }
    if (strcmp(key, "BLOB_URL") == 0) {
        *blob_set = 1;
        return app_copy(cfg->blob_url, sizeof cfg->blob_url, val) < 0 ? RR_ERR_INVAL : 0;
    }
    if (strcmp(key, "QUEUE_URL") == 0)
        return app_copy(cfg->queue_url, sizeof cfg->queue_url, val) < 0 ? RR_ERR_INVAL : 0;
    if (strcmp(key, "MODEL_DIR") == 0)
        return app_copy(cfg->model_dir, sizeof cfg->model_dir, val) < 0 ? RR_ERR_INVAL : 0;
    if (strcmp(key, "MODEL") == 0)
        return pose_model_kind_parse(val, &cfg->model) < 0 ? RR_ERR_INVAL : 0;
    if (strcmp(key, "BIND") == 0) {
        if (app_copy(cfg->bind_buf, sizeof cfg->bind_buf, val) < 0 || !*val)
            return RR_ERR_INVAL;
        cfg->http.bind_addr = cfg->bind_buf;
        return 0;
    }
    if (strcmp(key, "PORT") == 0) {
        if (app_parse_int(val, 0, 65535, &v) < 0)
            return RR_ERR_INVAL;
        cfg->http.port = (uint16_t)v;
        return 0;
    }
    if (strcmp(key, "WORKERS") == 0) {
        if (app_parse_int(val, 0, 64, &v) < 0)
            return RR_ERR_INVAL;
        cfg->workers = (int)v;
        return 0;
    }
    if (strcmp(key, "HTTP_THREADS") == 0) {
        if (app_parse_int(val, 1, 256, &v) < 0)
            return RR_ERR_INVAL;
        cfg->http.threads = (unsigned)v;
        return 0;
    }
    if (strcmp(key, "JOB_MAX_ATTEMPTS") == 0) {
        if (app_parse_int(val, 1, STORE_JOB_ATTEMPTS_MAX, &v) < 0)
            return RR_ERR_INVAL;
        cfg->job_max_attempts = (int)v;
        return 0;
    }
    if (strcmp(key, "JOB_LEASE_S") == 0) {
        if (app_parse_int(val, 3, 86400, &v) < 0)
            return RR_ERR_INVAL;
        cfg->job_lease_s = (int)v;
        return 0;
    }
    if (strcmp(key, "UPLOAD_LIMIT") == 0) {
        if (app_parse_int(val, 1, 1LL << 40, &v) < 0)
            return RR_ERR_INVAL;
        cfg->http.upload_limit = (uint64_t)v;
        return 0;
    }
    if (strcmp(key, "JSON_LIMIT") == 0) {
        if (app_parse_int(val, 1024, 64LL << 20, &v) < 0)
            return RR_ERR_INVAL;
        cfg->http.json_limit = (size_t)v;
        return 0;
    }
    if (strcmp(key, "HEADER_LIMIT") == 0) {
        if (app_parse_int(val, 1024, 1LL << 20, &v) < 0)
            return RR_ERR_INVAL;
        cfg->http.header_limit = (size_t)v;
        return 0;
    }
    if (strcmp(key, "MAX_CONNECTIONS") == 0) {
        if (app_parse_int(val, 1, 100000, &v) < 0)
            return RR_ERR_INVAL;
        cfg->http.max_connections = (unsigned)v;
        return 0;
    }
    if (strcmp(key, "MAX_PER_IP") == 0) {
        if (app_parse_int(val, 0, 100000, &v) < 0)
            return RR_ERR_INVAL;
        cfg->http.max_per_ip = (unsigned)v;
        return 0;
    }
    if (strcmp(key, "IDLE_TIMEOUT_S") == 0) {
        if (app_parse_int(val, 1, 3600, &v) < 0)
            return RR_ERR_INVAL;
        cfg->http.idle_timeout_s = (unsigned)v;
        return 0;
    }
    if (strcmp(key, "HEADER_TIMEOUT_S") == 0) {
        if (app_parse_int(val, 0, 3600, &v) < 0)
            return RR_ERR_INVAL;
        cfg->http.header_timeout_s = (unsigned)v;
        return 0;
    }
    if (strcmp(key, "BODY_MIN_RATE") == 0) {
        if (app_parse_int(val, 0, 1LL << 30, &v) < 0)
            return RR_ERR_INVAL;
        cfg->http.body_min_rate = (unsigned)v;
        return 0;
    }
    if (strcmp(key, "BODY_GRACE_S") == 0) {
        if (app_parse_int(val, 0, 3600, &v) < 0)
            return RR_ERR_INVAL;
        cfg->http.body_grace_s = (unsigned)v;
        return 0;
    }
    if (strcmp(key, "DRAIN_TIMEOUT_MS") == 0) {
        if (app_parse_int(val, 0, 600000, &v) < 0)
            return RR_ERR_INVAL;
        cfg->http.drain_timeout_ms = (unsigned)v;
        return 0;
    }
    if (strcmp(key, "LOGIN_ACCOUNT_LIMIT") == 0) {
        if (app_parse_int(val, 1, 1000000, &v) < 0)
            return RR_ERR_INVAL;
        cfg->login_account_limit = (int)v;
        return 0;
    }
    if (strcmp(key, "LOGIN_IP_LIMIT") == 0) {
        if (app_parse_int(val, 1, 1000000, &v) < 0)
            return RR_ERR_INVAL;
        cfg->login_ip_limit = (int)v;
        return 0;
    }
    if (strcmp(key, "LOGIN_WINDOW_S") == 0) {
        if (app_parse_int(val, 1, 86400, &v) < 0)
            return RR_ERR_INVAL;
        cfg->login_window_s = (int)v;
        return 0;
    }
    if (strcmp(key, "LOGIN_BACKOFF_S") == 0) {
        if (app_parse_int(val, 1, 86400, &v) < 0)
            return RR_ERR_INVAL;
        cfg->login_backoff_s = (int)v;
        return 0;
    }
    if (strcmp(key, "LOGIN_BACKOFF_MAX_S") == 0) {
        if (app_parse_int(val, 1, 86400, &v) < 0) /* the purge horizon is a day */
            return RR_ERR_INVAL;
        cfg->login_backoff_max_s = (int)v;
        return 0;
    }
    if (strcmp(key, "WEB_DIR") == 0)
        return app_copy(cfg->web_dir, sizeof cfg->web_dir, val) < 0 ? RR_ERR_INVAL : 0;
    if (strcmp(key, "LOG_LEVEL") == 0) {
        int lv = log_level_parse(val);
        if (lv < 0)
            return RR_ERR_INVAL;
        cfg->log_level = lv;
        return 0;
    }
    return RR_ERR_NOTFOUND;
}

/* Environment names, in the order they are read. */
static const char *const app_env_keys[] = {
    "DATA_DIR",     "DATABASE_URL",     "BLOB_URL",        "QUEUE_URL",         "MODEL_DIR",
    "MODEL",        "BIND",             "PORT",            "WORKERS",           "HTTP_THREADS",
    "JOB_MAX_ATTEMPTS", "JOB_LEASE_S",  "UPLOAD_LIMIT",    "JSON_LIMIT",        "HEADER_LIMIT",
    "MAX_CONNECTIONS", "MAX_PER_IP",    "IDLE_TIMEOUT_S",  "DRAIN_TIMEOUT_MS",
    "LOGIN_ACCOUNT_LIMIT", "LOGIN_IP_LIMIT", "LOG_LEVEL", "LOGIN_WINDOW_S", "LOGIN_BACKOFF_S",
    "LOGIN_BACKOFF_MAX_S", "WEB_DIR", "HEADER_TIMEOUT_S", "BODY_MIN_RATE", "BODY_GRACE_S",
};

/* Command-line flags -> setting names. */
static const struct {
    const char *flag;
    const char *key;
} app_flags[] = {
    {"--port", "PORT"},       {"--bind", "BIND"},   {"--data-dir", "DATA_DIR"},
    {"--workers", "WORKERS"}, {"--model", "MODEL"}, {"--database-url", "DATABASE_URL"},
    {"--blob-url", "BLOB_URL"}, {"--web-dir", "WEB_DIR"},
};

int app_config_load(struct app_config *cfg, int argc, char **argv, char *msg, size_t msg_len)
{
    int db_set = 0, blob_set = 0, err = 0;
    char name[64];
    if (msg && msg_len)
        msg[0] = '\0';
    memset(cfg, 0, sizeof *cfg);
    http_config_defaults(&cfg->http);
    memcpy(cfg->bind_buf, "127.0.0.1", sizeof "127.0.0.1");
    cfg->http.bind_addr = cfg->bind_buf;
    memcpy(cfg->data_dir, "./repright-data", sizeof "./repright-data");
    memcpy(cfg->queue_url, "db", 3);
    if (!pose_model_dir_default(cfg->model_dir, sizeof cfg->model_dir))
        cfg->model_dir[0] = '\0';
    cfg->model = POSE_MODEL_FULL;
    cfg->workers = 1;
    cfg->job_max_attempts = 3;
    cfg->job_lease_s = 60;
    cfg->page_max = STORE_PAGE_MAX;
    cfg->login_account_limit = 0; /* 0 = the auth module's policy */
    cfg->login_ip_limit = 0;
    cfg->log_level = LOG_LEVEL_INFO;
#ifdef RR_DEFAULT_WEB_DIR
    if (app_copy(cfg->web_dir, sizeof cfg->web_dir, RR_DEFAULT_WEB_DIR) < 0)
        cfg->web_dir[0] = '\0';
#endif

    for (size_t i = 0; i < sizeof app_env_keys / sizeof app_env_keys[0]; i++) {
        snprintf(name, sizeof name, "REPRIGHT_%s", app_env_keys[i]);
        const char *v = getenv(name);
        if (!v)
            continue;
        if (app_set(cfg, app_env_keys[i], v, &db_set, &blob_set) < 0) {
            if (msg)
                snprintf(msg, msg_len, "bad value for %s", name);
            err = RR_ERR_INVAL;
            goto out;
        }
    }
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *val = NULL;
        size_t f;
        for (f = 0; f < sizeof app_flags / sizeof app_flags[0]; f++) {
            size_t fl = strlen(app_flags[f].flag);
            if (strncmp(arg, app_flags[f].flag, fl) != 0)
                continue;
            if (arg[fl] == '=') {
                val = arg + fl + 1;
                break;
            }
            if (arg[fl] == '\0') {
                if (i + 1 >= argc) {
                    if (msg)
                        snprintf(msg, msg_len, "%s needs a value", app_flags[f].flag);
                    err = RR_ERR_INVAL;
                    goto out;
                }
                val = argv[++i];
                break;
            }
        }
        if (f == sizeof app_flags / sizeof app_flags[0]) {
            if (msg)
                snprintf(msg, msg_len, "unknown option '%.200s'", arg);
            err = RR_ERR_INVAL;
            goto out;
        }
        if (app_set(cfg, app_flags[f].key, val, &db_set, &blob_set) < 0) {
            if (msg)
                snprintf(msg, msg_len, "bad value for %s", app_flags[f].flag);
            err = RR_ERR_INVAL;
            goto out;
        }
    }
    if (!db_set) {
        int n = snprintf(cfg->database_url, sizeof cfg->database_url, "sqlite:%s/repright.db",
                         cfg->data_dir);
        if (n < 0 || (size_t)n >= sizeof cfg->database_url)
            err = RR_ERR_INVAL;
    }
    if (!blob_set) {
        int n = snprintf(cfg->blob_url, sizeof cfg->blob_url, "file:%s/blobs", cfg->data_dir);
        if (n < 0 || (size_t)n >= sizeof cfg->blob_url)
            err = RR_ERR_INVAL;
    }
    if (err < 0 && msg)
        snprintf(msg, msg_len, "data directory path too long");
out:
    return err;
}

/* Create one directory level; an existing directory is fine. */
static int app_mkdir(const char *path)
{
    if (mkdir(path, 0700) == 0)
        return 0;
    struct stat st;
    if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return 0;
    return RR_ERR_IO;
}

/* Formatted message into msg when the caller gave one. */
static void app_msg(char *msg, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void app_msg(char *msg, size_t len, const char *fmt, ...)
{
    if (!msg || !len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, len, fmt, ap);
    va_end(ap);
}

int app_open(const struct app_config *cfg, enum app_run run, struct app **out, char *msg,
             size_t msg_len)
{
    char path[1200];
    char sub[256] = "";
    struct secret sec;
    int err = 0;
    *out = NULL;
    if (msg && msg_len)
        msg[0] = '\0';
    memset(&sec, 0, sizeof sec);
    struct app *a = calloc(1, sizeof *a);
    if (!a)
        return RR_ERR_NOMEM;
    a->cfg = *cfg;
    a->cfg.http.bind_addr = a->cfg.bind_buf; /* points into our own copy */
    a->jwt_issuer = "repright";
    a->jwt_audience = "repright-api";
    log_set_level((enum log_level)a->cfg.log_level);

    err = app_mkdir(a->cfg.data_dir);
    if (err < 0) {
        app_msg(msg, msg_len, "data dir: cannot create %.900s", a->cfg.data_dir);
        goto out;
    }
    err = store_open(a->cfg.database_url, &a->store, sub, sizeof sub);
    if (err < 0) {
        app_msg(msg, msg_len, "store: %s", sub);
        goto out;
    }
    err = store_migrate(a->store, NULL, sub, sizeof sub);
    if (err < 0) {
        app_msg(msg, msg_len, "store migrate: %s", sub);
        goto out;
    }
    /* Login counters of past windows are dead weight (one row per probed email). */
    store_rate_purge(a->store, store_now(a->store) - 24LL * 3600 * 1000, NULL);
    struct blob_options bo = {.max_bytes = (int64_t)a->cfg.http.upload_limit};
    err = blob_open(a->cfg.blob_url, &bo, &a->blob);
    if (err < 0) {
        app_msg(msg, msg_len, "blob: %s", rr_strerror(err));
        goto out;
    }
    snprintf(path, sizeof path, "%s/uploads", a->cfg.data_dir);
    struct tus_config tc = {
        .store = a->store, .dir = path, .max_size = (int64_t)a->cfg.http.upload_limit};
    err = tus_open(a->blob, &tc, &a->tus);
    if (err < 0) {
        app_msg(msg, msg_len, "tus: %s", rr_strerror(err));
        goto out;
    }
    err = secret_load(a->cfg.data_dir, &sec, sub, sizeof sub);
    if (err < 0) {
        app_msg(msg, msg_len, "secret: %s", sub);
        goto out;
    }
    err = secret_derive(&sec, "jwt", a->jwt_key);
    if (err >= 0)
        err = secret_derive(&sec, "token-pepper", a->token_pepper);
    if (err >= 0)
        err = secret_derive(&sec, "media-url", a->media_key);
    if (err < 0) {
        app_msg(msg, msg_len, "secret: key derivation failed");
        goto out;
    }
    if (run == APP_RUN_NONE)
        goto out;

#ifdef APP_HAVE_WORKERS
    if (a->cfg.workers > 0) {
        err = worker_pool_start(a, a->cfg.workers, &a->workers, sub, sizeof sub);
        if (err < 0) {
            app_msg(msg, msg_len, "workers: %s", sub);
            goto out;
        }
    }
#endif
    if (run == APP_RUN_WORKERS)
        goto out;

    if (web_dir_check(a->cfg.web_dir) < 0)
        log_event(LOG_LEVEL_WARN, "web app directory missing: static pages answer 404",
                  json_pack("{s:s}", "web_dir", a->cfg.web_dir));
    a->cfg.http.authenticate = api_authenticate;
    size_t nroutes = 0;
    const struct http_route *routes = api_routes(&nroutes);
    err = http_server_start(&a->cfg.http, routes, nroutes, a, &a->http, sub, sizeof sub);
    if (err < 0) {
        app_msg(msg, msg_len, "http: %s", sub);
        goto out;
    }
out:
    secret_clear(&sec);
    if (err < 0) {
        app_close(a);
        return err;
    }
    *out = a;
    return 0;
}

void app_close(struct app *a)
{
    if (!a)
        return;
    if (a->http) {
        int rc = http_server_stop(a->http);
        if (rc < 0)
            log_event(LOG_LEVEL_WARN, "http drain timed out", NULL);
        a->http = NULL;
    }
#ifdef APP_HAVE_WORKERS
    if (a->workers) {
        worker_pool_stop(a->workers);
        a->workers = NULL;
    }
#endif
    tus_close(a->tus);
    blob_close(a->blob);
    store_close(a->store);
    sodium_memzero(a->jwt_key, sizeof a->jwt_key);
    sodium_memzero(a->media_key, sizeof a->media_key);
    sodium_memzero(a->token_pepper, sizeof a->token_pepper);
    free(a);
}
