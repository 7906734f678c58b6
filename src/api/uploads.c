/*
 * uploads.c - video uploads: tus 1.0 resumable uploads (/v1/uploads, over src/blob/tus.h) and
 * the plain single-request upload (POST /v1/videos). Bodies stream straight to disk (bounded
 * memory); a finished upload becomes a video row and an analyze_video job.
 *
 * tus: OPTIONS /v1/uploads (capabilities, no auth), POST /v1/uploads (create; Location
 * /v1/uploads/{id}), HEAD /v1/uploads/{id} (offset), PATCH /v1/uploads/{id} (stream route: the
 * sink feeds tus_patch_begin/chunk/end, so an interrupted PATCH still persists what arrived),
 * DELETE /v1/uploads/{id}. GET /v1/uploads/{id} answers the same as HEAD plus a JSON body. The
 * tus owner is the caller's user id: another user's upload id answers 404 (BOLA).
 * When an upload completes, the video id IS the upload id: finishing is idempotent (a crash
 * between the blob and the row is repaired by the next HEAD/GET/PATCH on the upload), and the
 * final PATCH / a HEAD afterwards carry X-Video-Id and X-Job-Id headers.
 *
 * What to analyse it as: the tus Upload-Metadata keys "exercise" (a registry name; absent =
 * recognise it), "overlay" ("1": make the overlay video too) and "model" (lite|full|heavy;
 * absent = the server's), or ?exercise=, ?overlay= and ?model= on a single upload.
 *
 * Plans (issue 13, api_reply_plan_limit): before a byte is accepted, the overlay video and the heavy
 * model must be in the caller's plan (403 feature_not_in_plan) and the month's uploads not used
 * up (402 plan_limit_reached); the count that decides is taken in the transaction that inserts
 * the video row (app_ingest_upload), so parallel uploads at the limit let exactly one through. A tus create whose declared "filetype" is no video is refused (415) before a
 * byte is sent.
 *
 * Single upload: POST /v1/videos with Content-Type video/... and the raw bytes; size limited by
 * the server's upload limit; SHA-256 computed while streaming; temp -> fsync -> rename (blob
 * commit) before the database row. 201 {"video_id","job_id","size","sha256"}.
 *
 * Storage admission (issue 15, app_storage_admit) before a byte is accepted: a new upload
 * (POST /v1/videos, tus creation) must fit the user's quota and leave the disk its reserve of
 * free space; a tus PATCH (its length was counted at creation) only the disk reserve. Refusals
 * are 507 with the JSON error body: code "quota_exceeded" (details: used, quota) or
 * "insufficient_storage"; a disk that fills up while a body streams in also ends in 507.
 */
#include "api/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/rr_error.h"
#include "base/rr_json.h"
#include "base/rr_log.h"
#include "blob/blob.h"
#include "blob/tus.h"
#include "store/store.h"

static const char *caller(const struct http_request *req)
{
    const struct api_principal *p = api_principal(req);
    return p ? p->user_id : NULL;
}

static void tus_headers_from(const struct http_request *req, struct tus_headers *h)
{
    h->tus_resumable = http_request_header(req, "Tus-Resumable");
    h->upload_length = http_request_header(req, "Upload-Length");
    h->upload_defer_length = http_request_header(req, "Upload-Defer-Length");
    h->upload_offset = http_request_header(req, "Upload-Offset");
    h->upload_metadata = http_request_header(req, "Upload-Metadata");
    h->content_type = http_request_header(req, "Content-Type");
    h->content_length = http_request_header(req, "Content-Length");
}

static const char *tus_code(int status)
{
    switch (status) {
    case 507: return "insufficient_storage";
    case 400: return "bad_request";
    case 404: return "not_found";
    case 409: return "offset_mismatch";
    case 410: return "gone";
    case 412: return "precondition_failed";
    case 413: return "too_large";
    case 415: return "unsupported_media_type";
    case 423: return "locked";
    default: return "internal";
    }
}

/* Send what a tus decision says. */
static int tus_send(struct http_request *req, const struct tus_reply *r)
{
    int rc;
    if (r->err < 0 || r->status >= 400) {
        rc = http_reply_error(req, (unsigned)r->status, tus_code(r->status),
                              r->status == 507 ? r->reason
                              : r->status >= 500 ? "the upload could not be stored"
                              : r->reason      ? r->reason
                                               : "upload refused",
                              NULL);
    } else {
        rc = http_reply_bytes(req, (unsigned)r->status, NULL, 0, NULL);
    }
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->headers[i].name, "Cache-Control") != 0)
            http_reply_header(req, r->headers[i].name, r->headers[i].value);
    if (r->has_metadata && r->metadata[0])
        http_reply_header(req, "Upload-Metadata", r->metadata);
    return rc;
}

/* A decimal length header (digits only); -1 when absent or malformed (the caller's parser
 * answers those). */
static int64_t length_header(const struct http_request *req, const char *name)
{
    const char *s = http_request_header(req, name);
    int64_t v = 0;
    if (!s || !*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (INT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (*s - '0');
    }
    return v;
}

/* Whether `incoming` more bytes may be stored for the caller (app_storage_admit); on a refusal
 * the 507 is sent and RR_ERR_NOSPACE returned. *room (may be NULL): how much may be written. */
static int admit(struct http_request *req, struct app *a, int64_t incoming, int count_quota,
                 int64_t *room)
{
    struct app_storage_verdict v;
    int rc = app_storage_admit(a, caller(req), incoming < 0 ? 0 : incoming, count_quota, &v);
    if (room)
        *room = v.room;
    if (rc != RR_ERR_NOSPACE)
        return rc;
    if (v.refused == APP_STORAGE_QUOTA) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "this upload would exceed your storage quota: %lld of %lld bytes used, "
                 "%lld more asked; delete videos to make room",
                 (long long)v.used, (long long)v.quota, (long long)(incoming < 0 ? 0 : incoming));
        http_reply_error(req, 507, "quota_exceeded", msg, NULL);
    } else {
        http_reply_error(req, 507, "insufficient_storage",
                         "the server is short of disk space; try again later", NULL);
    }
    return rc;
}
/* What the uploader asked of the analysis: the exercise ("" = recognise) and whether the
 * overlay video should follow. */
struct upload_wish {
    char exercise[STORE_NAME_MAX + 1];
    int overlay;
    char model[8]; /* "lite", "full", "heavy" (a plan feature) or "": the server's */
};

static int model_known(const char *m)
{
    return strcmp(m, "lite") == 0 || strcmp(m, "full") == 0 || strcmp(m, "heavy") == 0;
}

/* A finished blob -> its video row and analyze_video job (app_ingest_upload; idempotent when
 * id is given). */
static int video_finish(struct app *a, const char *user_id, const char *id, const char *key,
                        int64_t size, const char *sha256, const struct upload_wish *wish,
                        struct app_ingested *out)
{
    struct app_upload up = {.user_id = user_id, .video_id = id, .blob_key = key, .size = size,
                            .sha256 = sha256, .exercise = wish ? wish->exercise : NULL,
                            .overlay = wish ? wish->overlay : 0,
                            .model = wish && wish->model[0] ? wish->model : NULL};
    return app_ingest_upload(a, &up, out);
}

/* One Upload-Metadata value as text ("" when absent or too long). */
static void meta_text(const char *raw, const char *key, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    if (raw && raw[0] && tus_metadata_get(raw, key, (unsigned char *)out, cap - 1, &len) == 0)
        out[len] = '\0';
    else
        out[0] = '\0';
}

/* The wish of a tus upload, from its metadata: "exercise" (a registry name) and "overlay"
 * ("1"/"true"). An exercise RepRight does not know is ignored here (checked at create). */
static void wish_of(const char *metadata, struct upload_wish *w)
{
    char v[16];
    meta_text(metadata, "exercise", w->exercise, sizeof w->exercise);
    if (w->exercise[0] && !app_exercise_known(w->exercise))
        w->exercise[0] = '\0';
    meta_text(metadata, "overlay", v, sizeof v);
    w->overlay = strcmp(v, "1") == 0 || strcmp(v, "true") == 0;
    meta_text(metadata, "model", w->model, sizeof w->model);
    if (!model_known(w->model))
        w->model[0] = '\0';
}

/* What the caller's plan refuses before a byte is sent: the overlay video or the heavy model
 * when the plan lacks it (403), another upload when the month's are used up (402; the count that decides is taken
 * with the video row, app_ingest_upload). 1 = replied. */
static int refuse_by_plan(struct http_request *req, struct app *a, const struct upload_wish *w)
{
    struct app_plan_limit why;
    int rc = w->overlay ? app_plan_feature(a, caller(req), "overlay_video", &why) : 0;
    if (rc == 0 && strcmp(w->model, "heavy") == 0)
        rc = app_plan_feature(a, caller(req), "heavy_model", &why);
    if (rc == 0)
        rc = app_plan_upload_check(a, caller(req), &why);
    if (rc == RR_ERR_FORBIDDEN || rc == RR_ERR_QUOTA) {
        api_reply_plan_limit(req, &why);
        return 1;
    }
    return 0;
}

/* Refuse at create what can never become an analysis: a declared file type that is no video
 * (415, in words a person reads) and an exercise RepRight does not know (422). 1 = replied. */
static int refuse_metadata(struct http_request *req, const char *raw)
{
    char type[128], ex[64];
    if (!raw || !raw[0] || tus_metadata_validate(raw) < 0)
        return 0; /* tus_create answers malformed metadata itself */
    meta_text(raw, "filetype", type, sizeof type);
    if (type[0] && strncasecmp(type, "video/", 6) != 0 &&
        strcasecmp(type, "application/octet-stream") != 0) {
        char m[256];
        snprintf(m, sizeof m, "this file is not a video (%.100s): upload an mp4, mov, webm or "
                              "mkv clip", type);
        http_reply_error(req, 415, "unsupported_media_type", m, NULL);
        return 1;
    }
    char model[16];
    meta_text(raw, "model", model, sizeof model);
    if (model[0] && !model_known(model)) {
        http_reply_error(req, 422, "validation_failed", "the model is not one RepRight has",
                         json_pack("[{s:s,s:s}]", "field", "model", "problem",
                                   "must be lite, full or heavy, or absent"));
        return 1;
    }
    meta_text(raw, "exercise", ex, sizeof ex);
    if (ex[0] && !app_exercise_known(ex)) {
        http_reply_error(req, 422, "validation_failed", "the exercise is not one RepRight knows",
                         json_pack("[{s:s,s:s}]", "field", "exercise", "problem",
                                   "must be one of GET /v1/exercises, or absent to recognise it"));
        return 1;
    }
    return 0;
}

/* A complete tus upload: ensure its video + job and add their ids as headers. */
static int tus_finish(struct http_request *req, struct app *a, const struct tus_upload *u)
{
    struct app_ingested in;
    struct upload_wish wish;
    wish_of(u->metadata, &wish);
    int rc = video_finish(a, u->owner, u->id, u->key, u->length, u->sha256, &wish, &in);
    if (rc == RR_ERR_QUOTA) { /* the month's uploads ran out while this one was sent */
        api_reply_plan_limit(req, &in.limit);
        http_reply_header(req, "Tus-Resumable", TUS_VERSION);
        return 0;
    }
    if (rc < 0) {
        rr_log(RR_LOG_ERROR, "upload finished but the video row failed",
               RR_LOG_REQUEST_ID(http_request_id(req)), RR_LOG_STR("upload_id", u->id),
               RR_LOG_STR("error", rr_strerror(rc)));
        return rc;
    }
    http_reply_header(req, "X-Video-Id", in.video_id);
    http_reply_header(req, "X-Job-Id", in.job_id);
    return 0;
}

/* ---- tus routes ---------------------------------------------------------------------------- */

static int uploads_options(struct http_request *req, void *app)
{
    struct app *a = app;
    struct tus_reply r;
    tus_options(a->tus, &r);
    return tus_send(req, &r);
}

static int uploads_create(struct http_request *req, void *app)
{
    struct app *a = app;
    struct tus_headers h;
    struct tus_reply r;
    struct tus_upload u;
    tus_headers_from(req, &h);
    if (refuse_metadata(req, h.upload_metadata))
        return 0;
    struct upload_wish wish;
    wish_of(h.upload_metadata && tus_metadata_validate(h.upload_metadata) == 0 ? h.upload_metadata
                                                                              : NULL,
            &wish);
    if (refuse_by_plan(req, a, &wish)) {
        http_reply_header(req, "Tus-Resumable", TUS_VERSION);
        return 0;
    }
    int64_t length = length_header(req, "Upload-Length");
    /* a length over Tus-Max-Size is tus_create's 413, not a storage question */
    if (length >= 0 && length <= tus_max_size(a->tus) && h.tus_resumable &&
        admit(req, a, length, 1, NULL) == RR_ERR_NOSPACE) {
        http_reply_header(req, "Tus-Resumable", TUS_VERSION);
        return 0;
    }
    int rc = tus_create(a->tus, caller(req), &h, &r, &u);
    tus_send(req, &r);
    if (rc < 0)
        return 0;
    char loc[64];
    snprintf(loc, sizeof loc, "/v1/uploads/%s", u.id);
    http_reply_header(req, "Location", loc);
    if (u.complete)
        return tus_finish(req, a, &u);
    return 0;
}

/* HEAD (headers only) and GET (same headers + a JSON body). */
static int uploads_head(struct http_request *req, void *app)
{
    struct app *a = app;
    struct tus_headers h;
    struct tus_reply r;
    struct tus_upload u;
    tus_headers_from(req, &h);
    int is_get = strcmp(http_request_method(req), "GET") == 0;
    if (is_get && !h.tus_resumable)
        h.tus_resumable = TUS_VERSION; /* plain GET clients need not speak tus */
    int rc = tus_head(a->tus, caller(req), http_request_param(req, "id"), &h, &r, &u);
    if (rc < 0 || !is_get) {
        tus_send(req, &r);
        if (rc == 0 && u.complete)
            return tus_finish(req, a, &u);
        return 0;
    }
    struct app_ingested in;
    memset(&in, 0, sizeof in);
    if (u.complete) {
        struct upload_wish wish;
        wish_of(u.metadata, &wish);
        rc = video_finish(a, u.owner, u.id, u.key, u.length, u.sha256, &wish, &in);
        if (rc < 0)
            return rc;
    }
    char stack[512];
    struct rr_json o;
    rr_json_init(&o, stack, sizeof stack, 4096);
    rr_json_object_begin(&o);
    RR_JSON_KEY(&o, "id");
    rr_json_string(&o, u.id);
    RR_JSON_KEY(&o, "offset");
    rr_json_int(&o, u.offset);
    RR_JSON_KEY(&o, "length");
    rr_json_int(&o, u.length);
    RR_JSON_KEY(&o, "complete");
    rr_json_bool(&o, u.complete);
    if (u.complete) {
        RR_JSON_KEY(&o, "video_id");
        rr_json_string(&o, in.video_id);
        RR_JSON_KEY(&o, "job_id");
        rr_json_string(&o, in.job_id);
    }
    rr_json_object_end(&o);
    rc = http_reply_writer(req, 200, &o);
    rr_json_release(&o);
    for (size_t i = 0; i < r.nheaders; i++)
        if (strcasecmp(r.headers[i].name, "Cache-Control") != 0)
            http_reply_header(req, r.headers[i].name, r.headers[i].value);
    return rc;
}

static int tus_sink_write(void *ctx, const void *data, size_t len)
{
    return tus_patch_chunk(ctx, data, len);
}

/* The client went away (or the body failed): persist the durable prefix. */
static void tus_sink_abort(void *ctx)
{
    struct tus_reply r;
    tus_patch_end(ctx, &r, NULL);
}

static int uploads_patch_open(struct http_request *req, void *app, struct http_sink *sink)
{
    struct app *a = app;
    struct tus_headers h;
    struct tus_reply r;
    struct tus_patch *p = NULL;
    tus_headers_from(req, &h);
    /* the upload's length was counted against the quota when it was created: disk only */
    int rc = admit(req, a, length_header(req, "Content-Length"), 0, NULL);
    if (rc == RR_ERR_NOSPACE) {
        http_reply_header(req, "Tus-Resumable", TUS_VERSION);
        return rc;
    }
    rc = tus_patch_begin(a->tus, caller(req), http_request_param(req, "id"), &h, &r, &p);
    if (rc < 0) {
        tus_send(req, &r);
        return rc;
    }
    sink->write = tus_sink_write;
    sink->abort = tus_sink_abort;
    sink->ctx = p;
    return 0;
}

static int uploads_patch(struct http_request *req, void *app)
{
    struct app *a = app;
    struct tus_reply r;
    struct tus_upload u;
    int rc = tus_patch_end(http_request_sink_ctx(req), &r, &u);
    tus_send(req, &r);
    if (rc == 0 && u.complete)
        return tus_finish(req, a, &u);
    return 0;
}

static int uploads_delete(struct http_request *req, void *app)
{
    struct app *a = app;
    struct tus_headers h;
    struct tus_reply r;
    tus_headers_from(req, &h);
    tus_delete(a->tus, caller(req), http_request_param(req, "id"), &h, &r);
    return tus_send(req, &r);
}

/* ---- single-request upload ----------------------------------------------------------------- */

struct single_upload {
    struct blob_writer *w;
    int64_t room; /* bytes the quota and the disk reserve allow (a body of unknown length) */
    char id[STORE_ID_LEN + 1];
    char key[BLOB_KEY_MAX + 1];
};

static int single_write(void *ctx, const void *data, size_t len)
{
    struct single_upload *s = ctx;
    if ((uint64_t)len > (uint64_t)(s->room - blob_writer_size(s->w)))
        return RR_ERR_NOSPACE; /* the HTTP layer answers 507 */
    return blob_writer_write(s->w, data, len);
}

static void single_abort(void *ctx)
{
    struct single_upload *s = ctx;
    blob_writer_abort(s->w);
    free(s);
}

static int is_video_type(const char *ct)
{
    if (!ct || strncasecmp(ct, "video/", 6) != 0)
        return 0;
    const char *sub = ct + 6;
    return sub[0] && sub[0] != ';' && sub[0] != ' ';
}

/* ?exercise= and ?overlay= of a single upload; 1 after replying 422. */
static int query_wish(struct http_request *req, struct upload_wish *w)
{
    const char *ex = http_request_query(req, "exercise");
    const char *ov = http_request_query(req, "overlay");
    const char *model = http_request_query(req, "model");
    memset(w, 0, sizeof *w);
    if (model && model[0] && !model_known(model)) {
        http_reply_error(req, 422, "validation_failed", "the model is not one RepRight has",
                         json_pack("[{s:s,s:s}]", "field", "model", "problem",
                                   "must be lite, full or heavy, or absent"));
        return 1;
    }
    if (model)
        snprintf(w->model, sizeof w->model, "%s", model);
    if (ex && ex[0] && !app_exercise_known(ex)) {
        http_reply_error(req, 422, "validation_failed", "the exercise is not one RepRight knows",
                         json_pack("[{s:s,s:s}]", "field", "exercise", "problem",
                                   "must be one of GET /v1/exercises, or absent to recognise it"));
        return 1;
    }
    if (ex)
        snprintf(w->exercise, sizeof w->exercise, "%s", ex);
    w->overlay = ov && (strcmp(ov, "1") == 0 || strcmp(ov, "true") == 0);
    return 0;
}

static int videos_upload_open(struct http_request *req, void *app, struct http_sink *sink)
{
    struct app *a = app;
    struct upload_wish wish;
    if (!is_video_type(http_request_header(req, "Content-Type"))) {
        http_reply_error(req, 415, "unsupported_media_type",
                         "this is not a video (Content-Type must be video/...): upload an mp4, "
                         "mov, webm or mkv clip",
                         NULL);
        return RR_ERR_UNSUPPORTED;
    }
    if (query_wish(req, &wish))
        return RR_ERR_INVAL;
    if (refuse_by_plan(req, a, &wish))
        return RR_ERR_QUOTA;
    int64_t room = 0;
    int rc = admit(req, a, length_header(req, "Content-Length"), 1, &room);
    if (rc < 0)
        return rc;
    struct single_upload *s = calloc(1, sizeof *s);
    if (!s)
        return RR_ERR_NOMEM;
    s->room = room;
    store_new_id(s->id);
    snprintf(s->key, sizeof s->key, "videos/%s/original", s->id);
    rc = blob_writer_begin(a->blob, s->key, &s->w);
    if (rc < 0) {
        free(s);
        return rc;
    }
    sink->write = single_write;
    sink->abort = single_abort;
    sink->ctx = s;
    return 0;
}

static int videos_upload(struct http_request *req, void *app)
{
    struct app *a = app;
    struct single_upload *s = http_request_sink_ctx(req);
    int rc;
    if (blob_writer_size(s->w) == 0) {
        single_abort(s);
        return http_reply_error(req, 400, "empty_body", "the upload has no bytes", NULL);
    }
    struct blob_info info;
    rc = blob_writer_commit(s->w, &info); /* frees the writer whatever the outcome */
    s->w = NULL;
    if (rc < 0)
        goto out;
    struct app_ingested in;
    struct upload_wish wish;
    query_wish(req, &wish); /* checked when the body began */
    rc = video_finish(a, caller(req), s->id, s->key, info.size, info.sha256, &wish, &in);
    if (rc < 0) {
        blob_delete(a->blob, s->key); /* no row points at it */
        if (rc == RR_ERR_QUOTA) /* counted with the row: the month's uploads ran out */
            rc = api_reply_plan_limit(req, &in.limit);
        goto out;
    }
    char stack[512];
    struct rr_json o;
    rr_json_init(&o, stack, sizeof stack, 4096);
    rr_json_object_begin(&o);
    RR_JSON_KEY(&o, "video_id");
    rr_json_string(&o, in.video_id);
    RR_JSON_KEY(&o, "job_id");
    rr_json_string(&o, in.job_id);
    RR_JSON_KEY(&o, "size");
    rr_json_int(&o, info.size);
    RR_JSON_KEY(&o, "sha256");
    rr_json_string(&o, info.sha256);
    RR_JSON_KEY(&o, "status");
    rr_json_string(&o, "uploaded");
    rr_json_object_end(&o);
    char loc[64];
    snprintf(loc, sizeof loc, "/v1/videos/%s", in.video_id);
    rc = http_reply_writer(req, 201, &o);
    rr_json_release(&o);
    http_reply_header(req, "Location", loc);
out:
    free(s);
    return rc;
}

const struct http_route api_uploads_routes[] = {
    {HTTP_OPTIONS, "/v1/uploads", uploads_options, HTTP_AUTH_NONE, HTTP_BODY_NONE,
     "uploads.options", "tus capabilities (versions, extensions, max size)", NULL, NULL},
    {HTTP_POST, "/v1/uploads", uploads_create, HTTP_AUTH_REQUIRED, HTTP_BODY_NONE,
     "uploads.create", "create a resumable (tus 1.0) upload", NULL, NULL},
    {HTTP_GET, "/v1/uploads/{id}", uploads_head, HTTP_AUTH_REQUIRED, HTTP_BODY_NONE,
     "uploads.get", "upload offset (HEAD for tus; GET adds a JSON body)", NULL, NULL},
    {HTTP_PATCH, "/v1/uploads/{id}", uploads_patch, HTTP_AUTH_REQUIRED, HTTP_BODY_STREAM,
     "uploads.patch", "append bytes at Upload-Offset", NULL, uploads_patch_open},
    {HTTP_DELETE, "/v1/uploads/{id}", uploads_delete, HTTP_AUTH_REQUIRED, HTTP_BODY_NONE,
     "uploads.delete", "terminate an unfinished upload", NULL, NULL},
    {HTTP_POST, "/v1/videos", videos_upload, HTTP_AUTH_REQUIRED, HTTP_BODY_STREAM,
     "videos.upload", "upload a whole video in one request (Content-Type video/*)", NULL,
     videos_upload_open},
};
const size_t api_uploads_routes_n = sizeof api_uploads_routes / sizeof api_uploads_routes[0];
