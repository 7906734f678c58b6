/*
 * app.c - the service container: app_open / app_close, `repright migrate`, and the lazily
 * loaded pose models.
 *
 * DESIGN: app_open() builds services bottom-up (data dir -> store + migrations -> blob -> tus ->
 * queue -> secret-derived keys) and app_close() tears them down top-down. Every failure names
 * the service in `msg`, and a half-opened app is closed by the same app_close() path. Nothing
 * here starts a thread or listens: the daemon composes the HTTP server and the worker pool.
 */
#include "app/app_int.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "auth/secret.h"
#include "base/rr_error.h"
#include "blob/blob.h"
#include "blob/tus.h"
#include "pose/blazepose.h"
#include "queue/queue.h"

struct app_models {
    pthread_mutex_t mu;
    struct pose_models *models[3]; /* by enum pose_model_kind; NULL until loaded */
};

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

int app_open(const struct app_config *cfg, struct app **out, char *msg, size_t msg_len)
{
    char path[1200];
    char sub[256] = "";
    struct secret sec;
    int err = 0;
    *out = NULL;
    if (msg && msg_len)
        msg[0] = '\0';
    memset(&sec, 0, sizeof sec);
    app_exercises(NULL); /* the exercise list static tables point at */
    struct app *a = calloc(1, sizeof *a);
    if (!a)
        return RR_ERR_NOMEM;
    a->cfg = *cfg;
    a->jwt_issuer = "repright";
    a->jwt_audience = "repright-api";
    a->models = calloc(1, sizeof *a->models);
    if (!a->models) {
        free(a);
        return RR_ERR_NOMEM;
    }
    pthread_mutex_init(&a->models->mu, NULL);

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
    err = queue_open(a->cfg.queue_url, a->store, &a->queue, sub, sizeof sub);
    if (err < 0) {
        app_msg(msg, msg_len, "queue: %s", sub);
        goto out;
    }
    err = app__cache_new(a);
    if (err < 0) {
        app_msg(msg, msg_len, "cache: out of memory");
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
    if (err >= 0)
        err = secret_derive(&sec, "webhook-secret", a->webhook_key);
    if (err < 0)
        app_msg(msg, msg_len, "secret: key derivation failed");
    if (err >= 0) {
        err = app__billing_secret_load(a, sub, sizeof sub);
        if (err < 0)
            app_msg(msg, msg_len, "billing: %s", sub);
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
    app__cache_free(a);
    queue_close(a->queue);
    tus_close(a->tus);
    blob_close(a->blob);
    store_close(a->store);
    if (a->models) {
        for (int k = 0; k < 3; k++)
            pose_models_free(a->models->models[k]);
        pthread_mutex_destroy(&a->models->mu);
        free(a->models);
    }
    sodium_memzero(a->jwt_key, sizeof a->jwt_key);
    sodium_memzero(a->media_key, sizeof a->media_key);
    sodium_memzero(a->webhook_key, sizeof a->webhook_key);
    sodium_memzero(a->token_pepper, sizeof a->token_pepper);
    sodium_memzero(a->billing_secret, sizeof a->billing_secret);
    free(a);
}

int app_migrate(const struct app_config *cfg, int *applied, int *version, char backend[16],
                char *msg, size_t msg_len)
{
    struct store *s = NULL;
    *applied = *version = 0;
    backend[0] = '\0';
    if (msg && msg_len)
        msg[0] = '\0';
    if (app_mkdir(cfg->data_dir) < 0) {
        app_msg(msg, msg_len, "cannot create %.900s: %s", cfg->data_dir, strerror(errno));
        return RR_ERR_IO;
    }
    int err = store_open(cfg->database_url, &s, msg, msg_len);
    if (err >= 0)
        err = store_migrate(s, applied, msg, msg_len);
    if (err >= 0)
        err = store_schema_version(s, version);
    if (err >= 0) /* a deploy step: refuse to go on with a damaged database */
        err = store_check(s, msg, msg_len);
    if (err >= 0)
        snprintf(backend, 16, "%s", store_backend_name(s));
    else if (msg && msg_len && !msg[0])
        app_msg(msg, msg_len, "database error: %s", rr_strerror(err));
    store_close(s);
    return err;
}

int app_pose_models(struct app *a, const struct pose_models **out, char *msg, size_t msg_len)
{
    return a ? app_pose_models_kind(a, a->cfg.model, out, msg, msg_len) : RR_ERR_INVAL;
}

int app_pose_models_kind(struct app *a, enum pose_model_kind kind,
                         const struct pose_models **out, char *msg, size_t msg_len)
{
    if (!a || !a->models || !out || (int)kind < 0 || (int)kind > 2)
        return RR_ERR_INVAL;
    int rc = 0;
    pthread_mutex_lock(&a->models->mu);
    if (!a->models->models[kind]) {
        char dirbuf[1024];
        const char *dir = a->cfg.model_dir[0] ? a->cfg.model_dir
                                              : pose_model_dir_default(dirbuf, sizeof dirbuf);
        rc = pose_models_load(dir ? dir : "", kind, &a->models->models[kind], msg, msg_len);
    }
    *out = a->models->models[kind];
    pthread_mutex_unlock(&a->models->mu);
    return rc;
}
