/*
 * videos.c - the /v1/videos resource: list (cursor pagination), get (with the analysis report
 * when analysed), delete (row, then every blob of the video), and media downloads with HTTP
 * Range: /original, /overlay, /thumbs/{best|worst}; the analysis outputs as stored JSON:
 * /report (repright.report/2; a report stored before /2 is served as stored, /1) and
 * /landmarks (repright.landmarks/1, the skeleton track the dashboard draws over the replay;
 * pipeline/landmarks_json.h). (Uploading is in uploads.c.)
 *
 * /media-links returns signed, expiring links to the media (auth/media_sig.h; accepted by
 * principal.c without a Bearer header), because a <video> element cannot send one.
 * Every id route is owner-scoped: another user's id answers 404 exactly like an unknown one.
 * Deleting a video is the app's use case app_delete_video: the video and everything derived from
 * it (its workout and that workout's analytics, its jobs, every blob) go.
 *
 * Damaged media are not served as they are (issue 15): an original whose size differs from its
 * row is refused with 500 "storage_corrupt" (and a log line), and a whole-file GET of an
 * original up to VERIFY_MAX_BYTES is checked against its SHA-256 before it is sent (ranged
 * reads, what a <video> element makes, are size-checked only: hashing 512 MiB per range would
 * cost more than serving it; the analysis verifies the hash on every run). Thumbnail links are
 * advertised only when the thumbnails exist (a clip with no rep has none).
 */
#include "api/api.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth/media_sig.h"
#include "base/rr_error.h"
#include "base/rr_log.h"
#include "blob/blob.h"
#include "http/validate.h"
#include "store/store.h"

#define REPORT_MAX_BYTES (1 << 20)
#define PAGE_DEFAULT 20
#define VERIFY_MAX_BYTES (64LL << 20) /* whole-file GETs of originals up to this are hashed */

static const char *caller(const struct http_request *req)
{
    const struct api_principal *p = api_principal(req);
    return p ? p->user_id : NULL;
}

/* 1 when the video's derived object `which` is stored (thumbnails exist only for clips with
 * a rep). */
static int derived_exists(struct app *a, const char *video_id, const char *which)
{
    char key[BLOB_KEY_MAX + 1];
    struct blob_info info;
    return app_video_key(video_id, which, key, sizeof key) && blob_stat(a->blob, key, &info) == 0;
}

static json_t *video_json(struct app *a, const struct store_video *v)
{
    char base[64];
    snprintf(base, sizeof base, "/v1/videos/%s", v->id);
    json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:I, s:I}", "id", v->id, "status", v->status,
                          "size", (json_int_t)v->size, "sha256", v->sha256, "duration_ms",
                          (json_int_t)v->duration_ms, "created_at", (json_int_t)v->created_at);
    if (!o)
        return NULL;
    if (strcmp(v->status, "failed") == 0) /* why: the job's reason, dead-letters included */
        json_object_set_new(o, "error", json_string(v->error[0] ? v->error : "analysis failed"));
    char link[96];
    json_t *links = json_object();
    if (links) {
        snprintf(link, sizeof link, "%s/original", base);
        json_object_set_new(links, "original", json_string(link));
        if (strcmp(v->status, "analysed") == 0) {
            snprintf(link, sizeof link, "%s/overlay", base);
            json_object_set_new(links, "overlay", json_string(link));
            if (derived_exists(a, v->id, "best")) {
                snprintf(link, sizeof link, "%s/thumbs/best", base);
                json_object_set_new(links, "thumb_best", json_string(link));
            }
            if (derived_exists(a, v->id, "worst")) {
                snprintf(link, sizeof link, "%s/thumbs/worst", base);
                json_object_set_new(links, "thumb_worst", json_string(link));
            }
            snprintf(link, sizeof link, "%s/report", base);
            json_object_set_new(links, "report", json_string(link));
            snprintf(link, sizeof link, "%s/landmarks", base);
            json_object_set_new(links, "landmarks", json_string(link));
        }
        json_object_set_new(o, "links", links);
    }
    return o;
}

static int videos_list(struct http_request *req, void *app)
{
    struct app *a = app;
    int limit;
    const char *cursor;
    if (validate_query_limit(req, PAGE_DEFAULT, STORE_PAGE_MAX, &limit) ||
        validate_query_cursor(req, STORE_CURSOR_MAX - 1, &cursor))
        return 0; /* the one 422 shape of every list (http/validate.h) */
    struct store_video *items = NULL;
    size_t n = 0;
    char next[STORE_CURSOR_MAX];
    int rc = store_video_list(a->store, caller(req), cursor, limit, &items, &n, next);
    if (rc == RR_ERR_INVAL) {
        validate_reply_param(req, "cursor", VALIDATE_BAD_CURSOR);
        return 0;
    }
    if (rc < 0)
        return rc;
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        json_array_append_new(arr, video_json(a, &items[i]));
    free(items);
    json_t *body = json_pack("{s:o, s:s?}", "items", arr ? arr : json_array(), "next_cursor",
                             next[0] ? next : NULL);
    if (!body)
        return RR_ERR_NOMEM;
    return http_reply_json(req, 200, body);
}

/* The stored report JSON of a video, or NULL. */
static json_t *load_report(struct app *a, const char *video_id)
{
    char key[BLOB_KEY_MAX + 1];
    struct blob_reader *r = NULL;
    if (!app_video_key(video_id, "report", key, sizeof key) || blob_get(a->blob, key, &r) < 0)
        return NULL;
    json_t *out = NULL;
    int64_t size = blob_reader_size(r);
    char *buf = size > 0 && size <= REPORT_MAX_BYTES ? malloc((size_t)size) : NULL;
    if (buf && blob_reader_read(r, buf, (size_t)size) == size)
        out = json_loadb(buf, (size_t)size, 0, NULL);
    free(buf);
    blob_reader_close(r);
    return out;
}

static int videos_get(struct http_request *req, void *app)
{
    struct app *a = app;
    struct store_video v;
    int rc = store_video_get(a->store, caller(req), http_request_param(req, "id"), &v);
    if (rc < 0)
        return rc;
    json_t *body = video_json(a, &v);
    if (!body)
        return RR_ERR_NOMEM;
    if (strcmp(v.status, "analysed") == 0) {
        struct store_workout w;
        if (store_workout_get_by_video(a->store, v.id, &w) == 0)
            json_object_set_new(body, "workout_id", json_string(w.id));
        json_t *report = load_report(a, v.id);
        if (report)
            json_object_set_new(body, "report", report);
    }
    return http_reply_json(req, 200, body);
}

static int videos_delete(struct http_request *req, void *app)
{
    int rc = app_delete_video(app, caller(req), http_request_param(req, "id"));
    if (rc < 0)
        return rc;
    return http_reply_bytes(req, 204, NULL, 0, NULL);
}

/* The original as stored against its row: NULL when it matches, else what is wrong. Hashes a
 * whole-file read up to VERIFY_MAX_BYTES (see top). */
static const char *original_damage(struct http_request *req, const struct store_video *v, int fd,
                                   int64_t size)
{
    if (v->size > 0 && size != v->size)
        return "size";
    if (!v->sha256[0] || fd < 0 || size > VERIFY_MAX_BYTES ||
        http_request_header(req, "Range") != NULL ||
        strcmp(http_request_method(req), "GET") != 0) /* HEAD sends no bytes */
        return NULL;
    crypto_hash_sha256_state sha;
    unsigned char digest[32];
    char hex[65];
    char *buf = malloc(1 << 16);
    if (!buf)
        return NULL; /* cannot check now: the size matched */
    crypto_hash_sha256_init(&sha);
    off_t pos = 0;
    for (;;) {
        ssize_t n = pread(fd, buf, 1 << 16, pos);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        crypto_hash_sha256_update(&sha, (const unsigned char *)buf, (unsigned long long)n);
        pos += n;
    }
    free(buf);
    crypto_hash_sha256_final(&sha, digest);
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    return pos != size ? "size" : strcmp(hex, v->sha256) != 0 ? "sha256" : NULL;
}

/* Send the blob under key; `v` (may be NULL) is the row an original is checked against. */
static int send_blob_checked(struct http_request *req, struct app *a, const char *key,
                             const char *content_type, const struct store_video *v)
{
    struct blob_reader *r = NULL;
    int rc = blob_get(a->blob, key, &r);
    if (rc < 0)
        return rc;
    int fd = blob_reader_fd(r);
    uint64_t size = (uint64_t)blob_reader_size(r);
    const char *damage = v ? original_damage(req, v, fd, (int64_t)size) : NULL;
    if (damage) {
        blob_reader_close(r);
        rr_log(RR_LOG_ERROR, "blob integrity check failed", RR_LOG_REQUEST_ID(http_request_id(req)),
               RR_LOG_VIDEO_ID(v->id), RR_LOG_STR("key", key), RR_LOG_STR("mismatch", damage),
               RR_LOG_INT("expected_size", v->size), RR_LOG_INT("size", (int64_t)size));
        return http_reply_error(req, 500, "storage_corrupt",
                                "the stored file is damaged and is not served", NULL);
    }
    int dfd = fd >= 0 ? dup(fd) : -1;
    blob_reader_close(r);
    if (dfd < 0)
        return fd >= 0 ? RR_ERR_IO : RR_ERR_UNSUPPORTED;
    return http_reply_file(req, dfd, size, content_type); /* takes dfd */
}

static int send_blob(struct http_request *req, struct app *a, const char *key,
                     const char *content_type)
{
    return send_blob_checked(req, a, key, content_type, NULL);
}

static int owned_video(struct http_request *req, struct app *a, struct store_video *v)
{
    return store_video_get(a->store, caller(req), http_request_param(req, "id"), v);
}

static int videos_original(struct http_request *req, void *app)
{
    struct app *a = app;
    struct store_video v;
    int rc = owned_video(req, a, &v);
    if (rc < 0)
        return rc;
    return send_blob_checked(req, a, v.blob_key, "application/octet-stream", &v);
}

static int videos_overlay(struct http_request *req, void *app)
{
    struct app *a = app;
    struct store_video v;
    char key[BLOB_KEY_MAX + 1];
    int rc = owned_video(req, a, &v);
    if (rc < 0)
        return rc;
    if (!app_video_key(v.id, "overlay", key, sizeof key))
        return RR_ERR_NOTFOUND;
    return send_blob(req, a, key, "video/mp4");
}

static int videos_thumb(struct http_request *req, void *app)
{
    struct app *a = app;
    struct store_video v;
    char key[BLOB_KEY_MAX + 1];
    const char *which = http_request_param(req, "which");
    if (!which || (strcmp(which, "best") != 0 && strcmp(which, "worst") != 0))
        return http_reply_error(req, 404, "not_found", "thumbnails are best or worst", NULL);
    int rc = owned_video(req, a, &v);
    if (rc < 0)
        return rc;
    if (!app_video_key(v.id, which, key, sizeof key))
        return RR_ERR_NOTFOUND;
    return send_blob(req, a, key, "image/jpeg");
}

/* A stored JSON output of the analysis ("report", "landmarks"): 404 until analysed. */
static int videos_json_blob(struct http_request *req, struct app *a, const char *which)
{
    struct store_video v;
    char key[BLOB_KEY_MAX + 1];
    int rc = owned_video(req, a, &v);
    if (rc < 0)
        return rc;
    if (!app_video_key(v.id, which, key, sizeof key))
        return RR_ERR_NOTFOUND;
    return send_blob(req, a, key, "application/json");
}

static int videos_report(struct http_request *req, void *app)
{
    return videos_json_blob(req, app, "report");
}

static int videos_landmarks(struct http_request *req, void *app)
{
    return videos_json_blob(req, app, "landmarks");
}

/* One signed link (auth/media_sig.h) to `base` + `tail` into links[name]. */
static int add_signed(struct app *a, json_t *links, const char *name, const char *base,
                      const char *tail, const char *uid, int64_t exp)
{
    char path[MEDIA_SIG_PATH_MAX + 1], sig[MEDIA_SIG_HEX_SIZE], url[MEDIA_SIG_PATH_MAX + 192];
    snprintf(path, sizeof path, "%s%s", base, tail);
    int rc = media_sig_make(a->media_key, path, uid, exp, sig);
    if (rc < 0)
        return rc;
    snprintf(url, sizeof url, "%s?uid=%s&exp=%lld&sig=%s", path, uid, (long long)exp, sig);
    return json_object_set_new(links, name, json_string(url)) == 0 ? 0 : RR_ERR_NOMEM;
}

/* Links that carry their own proof, for <video src> and <img src>, which cannot send a Bearer
 * header: the original always, the overlay and thumbnails once analysed. */
static int videos_media_links(struct http_request *req, void *app)
{
    struct app *a = app;
    struct store_video v;
    const char *uid = caller(req);
    int rc = owned_video(req, a, &v);
    if (rc < 0)
        return rc;
    int64_t exp = (int64_t)time(NULL) + MEDIA_SIG_TTL_S;
    char base[64];
    snprintf(base, sizeof base, "/v1/videos/%s", v.id);
    json_t *body = json_pack("{s:I, s:i}", "expires_at", (json_int_t)exp, "ttl_s", MEDIA_SIG_TTL_S);
    if (!body)
        return RR_ERR_NOMEM;
    rc = add_signed(a, body, "original", base, "/original", uid, exp);
    if (rc == 0 && strcmp(v.status, "analysed") == 0) {
        rc = add_signed(a, body, "overlay", base, "/overlay", uid, exp);
        if (rc == 0 && derived_exists(a, v.id, "best"))
            rc = add_signed(a, body, "thumb_best", base, "/thumbs/best", uid, exp);
        if (rc == 0 && derived_exists(a, v.id, "worst"))
            rc = add_signed(a, body, "thumb_worst", base, "/thumbs/worst", uid, exp);
    }
    if (rc < 0) {
        json_decref(body);
        return rc;
    }
    http_reply_header(req, "Cache-Control", "no-store");
    return http_reply_json(req, 200, body);
}

const struct http_route api_videos_routes[] = {
    {HTTP_GET, "/v1/videos", videos_list, HTTP_AUTH_REQUIRED, HTTP_BODY_NONE, "videos.list",
     "the caller's videos, newest first (cursor, limit <= 100)", NULL, NULL},
    {HTTP_GET, "/v1/videos/{id}", videos_get, HTTP_AUTH_REQUIRED, HTTP_BODY_NONE, "videos.get",
     "one video with its status and, once analysed, the report", NULL, NULL},
    {HTTP_DELETE, "/v1/videos/{id}", videos_delete, HTTP_AUTH_REQUIRED, HTTP_BODY_NONE,
     "videos.delete", "delete a video, its media, jobs and workout (analytics updated)", NULL,
     NULL},
    {HTTP_GET, "/v1/videos/{id}/media-links", videos_media_links, HTTP_AUTH_REQUIRED,
     HTTP_BODY_NONE, "videos.media_links",
     "signed links (2 h) to the original, overlay and thumbnails, for <video>/<img> elements",
     NULL, NULL},
    {HTTP_GET, "/v1/videos/{id}/original", videos_original, HTTP_AUTH_REQUIRED, HTTP_BODY_NONE,
     "videos.original", "the uploaded file (Range supported)", NULL, NULL},
    {HTTP_GET, "/v1/videos/{id}/overlay", videos_overlay, HTTP_AUTH_REQUIRED, HTTP_BODY_NONE,
     "videos.overlay", "the annotated overlay video (Range supported)", NULL, NULL},
    {HTTP_GET, "/v1/videos/{id}/thumbs/{which}", videos_thumb, HTTP_AUTH_REQUIRED,
     HTTP_BODY_NONE, "videos.thumb", "best or worst rep thumbnail (JPEG)", NULL, NULL},
    {HTTP_GET, "/v1/videos/{id}/report", videos_report, HTTP_AUTH_REQUIRED, HTTP_BODY_NONE,
     "videos.report", "the analysis report (repright.report/2; /1 if analysed before /2)", NULL,
     NULL},
    {HTTP_GET, "/v1/videos/{id}/landmarks", videos_landmarks, HTTP_AUTH_REQUIRED,
     HTTP_BODY_NONE, "videos.landmarks",
     "the pose landmark track for replay (repright.landmarks/1) once analysed", NULL, NULL},
};
const size_t api_videos_routes_n = sizeof api_videos_routes / sizeof api_videos_routes[0];
