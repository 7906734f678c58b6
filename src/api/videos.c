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
 * POST /{id}/analyze is "analyse again as...": a new analyze_video job with the chosen exercise
 * (app_reanalyze_video); POST /{id}/render asks for the overlay video and thumbnails, which the
 * analysis no longer makes by itself (app_render_video). GET /{id} says whether the overlay
 * exists ("overlay") and carries the newest render and analysis jobs ("render_job",
 * "analyze_job"); the overlay and thumbnail links are listed only once those files exist.
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
#include "api/paging.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth/media_sig.h"
#include "base/rr_error.h"
#include "base/rr_json.h"
#include "base/rr_log.h"
#include "blob/blob.h"
#include "http/validate.h"
#include "store/store.h"

#define REPORT_MAX_BYTES (1 << 20)
#define LIST_MAX_BYTES (1 << 20) /* 100 videos are ~60 KB */
#define PAGE_DEFAULT 20
#define VERIFY_MAX_BYTES (64LL << 20) /* whole-file GETs of originals up to this are hashed */
#define MEDIA_PRESIGN_TTL_S 300       /* S3 links handed out after the owner check */

static const char *caller(const struct http_request *req)
{
    const struct api_principal *p = api_principal(req);
    return p ? p->user_id : NULL;
}

/* Whether a derived object of the video is stored (the overlay and thumbnails exist only
 * after a render_video job). */
static int has_blob(struct app *a, const char *video_id, const char *which)
{
    char key[BLOB_KEY_MAX + 1];
    struct blob_info bi;
    return app_video_key(video_id, which, key, sizeof key) &&
           blob_stat(a->blob, key, &bi) == 0;
}

/* One link member "name": "/v1/videos/<id><tail>". */
static void link_out(struct rr_json *o, const char *name, const char *id, const char *tail)
{
    char link[96];
    snprintf(link, sizeof link, "/v1/videos/%s%s", id, tail);
    rr_json_key(o, name);
    rr_json_string(o, link);
}

/* The members of a video (inside an open object): id, status, sizes, times, why it failed, and
 * links to what exists (the overlay and thumbnails only once a render_video job made them). */
static void video_members(struct rr_json *o, struct app *a, const struct store_video *v)
{
    RR_JSON_KEY(o, "id");
    rr_json_string(o, v->id);
    RR_JSON_KEY(o, "status");
    rr_json_string(o, v->status);
    RR_JSON_KEY(o, "size");
    rr_json_int(o, v->size);
    RR_JSON_KEY(o, "sha256");
    rr_json_string(o, v->sha256);
    RR_JSON_KEY(o, "duration_ms");
    rr_json_int(o, v->duration_ms);
    RR_JSON_KEY(o, "created_at");
    rr_json_int(o, v->created_at);
    if (strcmp(v->status, "failed") == 0) { /* why: the job's reason, dead-letters included */
        RR_JSON_KEY(o, "error");
        rr_json_string(o, v->error[0] ? v->error : "the analysis failed");
    }
    int analysed = strcmp(v->status, "analysed") == 0;
    RR_JSON_KEY(o, "links");
    rr_json_object_begin(o);
    link_out(o, "original", v->id, "/original");
    if (analysed && has_blob(a, v->id, "overlay"))
        link_out(o, "overlay", v->id, "/overlay");
    if (analysed && has_blob(a, v->id, "best")) {
        link_out(o, "thumb_best", v->id, "/thumbs/best");
        link_out(o, "thumb_worst", v->id, "/thumbs/worst");
    }
    if (analysed) {
        link_out(o, "report", v->id, "/report");
        link_out(o, "landmarks", v->id, "/landmarks");
    }
    rr_json_object_end(o);
}

static int reply(struct http_request *req, unsigned status, struct rr_json *o)
{
    int err = http_reply_writer(req, status, o);
    rr_json_release(o);
    return err;
}

static int videos_list(struct http_request *req, void *app)
{
    struct app *a = app;
    struct api_page pg;
    if (api_page_query(req, PAGE_DEFAULT, &pg))
        return 0; /* the one 422 shape of every list (api/paging.h) */
    struct store_video *items = NULL;
    size_t n = 0;
    int rc = store_video_list(a->store, caller(req), pg.cursor, pg.limit, &items, &n, pg.next);
    if (rc < 0)
        return api_page_store_error(req, rc);
    struct rr_json o;
    rr_json_init(&o, NULL, 0, LIST_MAX_BYTES);
    api_list_begin(&o);
    for (size_t i = 0; i < n; i++) {
        rr_json_object_begin(&o);
        video_members(&o, a, &items[i]);
        rr_json_object_end(&o);
    }
    free(items);
    api_page_end(&o, &pg);
    return reply(req, 200, &o);
}

/* The stored report text of a video (malloc'd, *len bytes), or NULL. */
static char *load_report(struct app *a, const char *video_id, size_t *len)
{
    char key[BLOB_KEY_MAX + 1];
    struct blob_reader *r = NULL;
    if (!app_video_key(video_id, "report", key, sizeof key) || blob_get(a->blob, key, &r) < 0)
        return NULL;
    int64_t size = blob_reader_size(r);
    char *buf = size > 0 && size <= REPORT_MAX_BYTES ? malloc((size_t)size) : NULL;
    if (buf && blob_reader_read(r, buf, (size_t)size) != size) {
        free(buf);
        buf = NULL;
    }
    blob_reader_close(r);
    *len = buf ? (size_t)size : 0;
    return buf;
}

/* A job of the video as {"id", "state"[, "error"]} under key, when there is one. */
static void job_member(struct rr_json *o, const char *key, const struct store_job *job,
                       int with_error)
{
    rr_json_key(o, key);
    rr_json_object_begin(o);
    RR_JSON_KEY(o, "id");
    rr_json_string(o, job->id);
    RR_JSON_KEY(o, "state");
    rr_json_string(o, store_job_state_name(job->state));
    if (with_error) {
        RR_JSON_KEY(o, "error");
        rr_json_string(o, job->error[0] ? job->error : NULL);
    }
    rr_json_object_end(o);
}

/* One video; once analysed with its workout id and report (the stored text, as it is). The
 * overlay: stored ("overlay": true), on its way ("render_job", the newest render_video job),
 * or not asked for; "analyze_job" is the newest analysis ("analyse again as..." running). */
static int videos_get(struct http_request *req, void *app)
{
    struct app *a = app;
    struct store_video v;
    int rc = store_video_get(a->store, caller(req), http_request_param(req, "id"), &v);
    if (rc < 0)
        return rc;
    struct store_job *job = malloc(sizeof *job); /* ~5 KB: off the request thread's stack */
    if (!job)
        return RR_ERR_NOMEM;
    int analysed = strcmp(v.status, "analysed") == 0;
    struct rr_json o;
    rr_json_init(&o, NULL, 0, REPORT_MAX_BYTES + 64 * 1024);
    rr_json_object_begin(&o);
    video_members(&o, a, &v);
    RR_JSON_KEY(&o, "overlay");
    rr_json_bool(&o, analysed && has_blob(a, v.id, "overlay"));
    if (store_job_find_for_video(a->store, v.user_id, v.id, "render_video", job) == 0)
        job_member(&o, "render_job", job, 1);
    if (store_job_find_for_video(a->store, v.user_id, v.id, "analyze_video", job) == 0)
        job_member(&o, "analyze_job", job, 0);
    free(job);
    if (analysed) {
        struct store_workout w;
        if (store_workout_get_by_video(a->store, v.id, &w) == 0) {
            RR_JSON_KEY(&o, "workout_id");
            rr_json_string(&o, w.id);
        }
        size_t len = 0;
        char *report = load_report(a, v.id, &len);
        if (report) {
            RR_JSON_KEY(&o, "report");
            rr_json_verbatim(&o, report, len);
        }
        free(report);
    }
    rr_json_object_end(&o);
    return reply(req, 200, &o);
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

/* A remote store (S3): the caller's ownership was checked, so hand out a short-lived
 * presigned link (302) instead of relaying the bytes; the client's Range requests then go to
 * the store. The object must exist and, for an original, have the row's size. Every request
 * gets a fresh link (no-store), so a <video> seeking later never holds an expired one. */
static int redirect_presigned(struct http_request *req, struct app *a, const char *key,
                              const struct store_video *v)
{
    struct blob_info bi;
    char url[BLOB_URL_MAX];
    int rc = blob_stat(a->blob, key, &bi);
    if (rc < 0)
        return rc;
    if (v && v->size > 0 && bi.size != v->size) {
        rr_log(RR_LOG_ERROR, "blob integrity check failed", RR_LOG_REQUEST_ID(http_request_id(req)),
               RR_LOG_VIDEO_ID(v->id), RR_LOG_STR("key", key), RR_LOG_STR("mismatch", "size"),
               RR_LOG_INT("expected_size", v->size), RR_LOG_INT("size", bi.size));
        return http_reply_error(req, 500, "storage_corrupt",
                                "the stored file is damaged and is not served", NULL);
    }
    rc = blob_presign(a->blob, key, MEDIA_PRESIGN_TTL_S, url, sizeof url);
    if (rc < 0)
        return rc;
    rc = http_reply_bytes(req, 302, NULL, 0, NULL);
    if (rc == 0)
        rc = http_reply_header(req, "Location", url);
    if (rc == 0)
        rc = http_reply_header(req, "Cache-Control", "no-store");
    if (rc == 0)
        rc = http_reply_header(req, "Referrer-Policy", "no-referrer");
    return rc;
}

/* Send the blob under key; `v` (may be NULL) is the row an original is checked against. */
static int send_blob_checked(struct http_request *req, struct app *a, const char *key,
                             const char *content_type, const struct store_video *v)
{
    struct blob_reader *r = NULL;
    if (blob_is_remote(a->blob))
        return redirect_presigned(req, a, key, v);
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
static int add_signed(struct app *a, struct rr_json *links, const char *name, const char *base,
                      const char *tail, const char *uid, int64_t exp)
{
    char path[MEDIA_SIG_PATH_MAX + 1], sig[MEDIA_SIG_HEX_SIZE], url[MEDIA_SIG_PATH_MAX + 192];
    snprintf(path, sizeof path, "%s%s", base, tail);
    int rc = media_sig_make(a->media_key, path, uid, exp, sig);
    if (rc < 0)
        return rc;
    snprintf(url, sizeof url, "%s?uid=%s&exp=%lld&sig=%s", path, uid, (long long)exp, sig);
    rr_json_key(links, name);
    rr_json_string(links, url);
    return 0;
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
    char stack[2048];
    struct rr_json o, *body = &o;
    rr_json_init(&o, stack, sizeof stack, 16 * 1024);
    rr_json_object_begin(&o);
    RR_JSON_KEY(&o, "expires_at");
    rr_json_int(&o, exp);
    RR_JSON_KEY(&o, "ttl_s");
    rr_json_int(&o, MEDIA_SIG_TTL_S);
    rc = add_signed(a, body, "original", base, "/original", uid, exp);
    if (rc == 0 && strcmp(v.status, "analysed") == 0 && has_blob(a, v.id, "overlay"))
        rc = add_signed(a, body, "overlay", base, "/overlay", uid, exp);
    if (rc == 0 && strcmp(v.status, "analysed") == 0 && has_blob(a, v.id, "best")) {
        rc = add_signed(a, body, "thumb_best", base, "/thumbs/best", uid, exp);
        if (rc == 0)
            rc = add_signed(a, body, "thumb_worst", base, "/thumbs/worst", uid, exp);
    }
    rr_json_object_end(&o);
    if (rc == 0)
        rc = http_reply_writer(req, 200, &o);
    rr_json_release(&o);
    if (rc == 0)
        http_reply_header(req, "Cache-Control", "no-store");
    return rc;
}

/* ---- "analyse again as..." and the overlay on demand ---------------------------------------- */

static const struct validate_field analyze_fields[] = {
    {.name = "exercise", .type = VALIDATE_STRING, .pattern = VALIDATE_ENUM,
     .enum_values = app_exercise_names,
     .description = "what the video shows; absent: recognise the exercise"},
};
static const struct validate_schema analyze_schema = {
    "AnalyzeRequest", analyze_fields, sizeof analyze_fields / sizeof analyze_fields[0]};

static int videos_analyze(struct http_request *req, void *app)
{
    const char *exercise = json_string_value(json_object_get(http_request_json(req), "exercise"));
    char job_id[STORE_ID_LEN + 1];
    const char *vid = http_request_param(req, "id");
    int rc = app_reanalyze_video(app, caller(req), vid, exercise, job_id);
    if (rc == RR_ERR_CONFLICT)
        return http_reply_error(req, 409, "analysis_running",
                                "this video is being analysed already: wait for that result",
                                NULL);
    if (rc < 0)
        return rc;
    char loc[64];
    snprintf(loc, sizeof loc, "/v1/jobs/%s", job_id);
    http_reply_header(req, "Location", loc);
    struct rr_json o;
    char stack[256];
    rr_json_init(&o, stack, sizeof stack, 4096);
    rr_json_object_begin(&o);
    RR_JSON_KEY(&o, "job_id");
    rr_json_string(&o, job_id);
    RR_JSON_KEY(&o, "video_id");
    rr_json_string(&o, vid);
    RR_JSON_KEY(&o, "exercise");
    rr_json_string(&o, exercise); /* null: recognised */
    rr_json_object_end(&o);
    return reply(req, 202, &o);
}

static int videos_render(struct http_request *req, void *app)
{
    char job_id[STORE_ID_LEN + 1];
    int queued = 0;
    const char *vid = http_request_param(req, "id");
    struct app_plan_limit why;
    struct store_video v;
    int rc = store_video_get(((struct app *)app)->store, caller(req), vid, &v);
    if (rc == 0 && app_plan_feature(app, caller(req), "overlay_video", &why) == RR_ERR_FORBIDDEN)
        return api_reply_plan_limit(req, &why);
    rc = app_render_video(app, caller(req), vid, job_id, &queued);
    if (rc == RR_ERR_CONFLICT)
        return http_reply_error(req, 409, "not_analysed",
                                "the video has no analysis to draw yet: wait for it to finish",
                                NULL);
    if (rc < 0)
        return rc;
    char loc[64];
    snprintf(loc, sizeof loc, "/v1/jobs/%s", job_id);
    http_reply_header(req, "Location", loc);
    struct rr_json o;
    char stack[256];
    rr_json_init(&o, stack, sizeof stack, 4096);
    rr_json_object_begin(&o);
    RR_JSON_KEY(&o, "job_id");
    rr_json_string(&o, job_id);
    RR_JSON_KEY(&o, "video_id");
    rr_json_string(&o, vid);
    RR_JSON_KEY(&o, "queued");
    rr_json_bool(&o, queued);
    rr_json_object_end(&o);
    return reply(req, 202, &o);
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
    {HTTP_POST, "/v1/videos/{id}/analyze", videos_analyze, HTTP_AUTH_REQUIRED, HTTP_BODY_JSON,
     "videos.analyze",
     "analyse the video again as another exercise (or recognise it): a new job whose result "
     "replaces the workout",
     &analyze_schema, NULL},
    {HTTP_POST, "/v1/videos/{id}/render", videos_render, HTTP_AUTH_REQUIRED, HTTP_BODY_NONE,
     "videos.render",
     "make the overlay video and best/worst thumbnails of an analysed video (a job; the one "
     "already queued is handed back)",
     NULL, NULL},
    {HTTP_GET, "/v1/videos/{id}/landmarks", videos_landmarks, HTTP_AUTH_REQUIRED,
     HTTP_BODY_NONE, "videos.landmarks",
     "the pose landmark track for replay (repright.landmarks/1) once analysed", NULL, NULL},
};
const size_t api_videos_routes_n = sizeof api_videos_routes / sizeof api_videos_routes[0];
