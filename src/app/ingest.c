/*
 * ingest.c - the use case after an upload: a committed original becomes a video row and an
 * analyze_video job linked to it (jobs.video_id).
 *
 * DESIGN: idempotent when the caller names the video id (a tus upload's id is its video's id):
 * the row is created or, when it exists for this user, reused; its job is found by one indexed
 * lookup or enqueued when missing. So the last PATCH, and any later HEAD or GET of the upload,
 * may call it again, and a crash between the blob and the row is repaired by the next call.
 */
#include "app/app_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rr_error.h"

int app_ingest_upload(struct app *a, const struct app_upload *u, struct app_ingested *out)
{
    struct store_video v;
    if (!a || !u || !u->user_id || !u->blob_key || !out ||
        (u->exercise && u->exercise[0] && !app_exercise_known(u->exercise)))
        return RR_ERR_INVAL;
    memset(&v, 0, sizeof v);
    if (u->video_id && snprintf(v.id, sizeof v.id, "%s", u->video_id) >= (int)sizeof v.id)
        return RR_ERR_INVAL;
    if (snprintf(v.user_id, sizeof v.user_id, "%s", u->user_id) >= (int)sizeof v.user_id ||
        snprintf(v.blob_key, sizeof v.blob_key, "%s", u->blob_key) >= (int)sizeof v.blob_key ||
        snprintf(v.sha256, sizeof v.sha256, "%s", u->sha256 ? u->sha256 : "") >=
            (int)sizeof v.sha256)
        return RR_ERR_TOOBIG;
    v.size = u->size;
    snprintf(v.status, sizeof v.status, "uploaded");
    struct store_meter meter;
    int rc = store_video_create_metered(a->store, &v, "uploads", NULL, &meter);
    int existed = 0;
    if (rc == RR_ERR_QUOTA) {
        struct store_plan p;
        memset(&out->limit, 0, sizeof out->limit);
        out->limit.limit = "uploads_per_month";
        snprintf(out->limit.plan, sizeof out->limit.plan, "%s", meter.plan);
        out->limit.allowed = meter.limit;
        out->limit.used = meter.used;
        if (store_plan_get(a->store, meter.plan, &p) == 0)
            out->limit.has_next = app_plan_above(a, &p, &out->limit.next) == 0;
        return rc;
    }
    if (rc == RR_ERR_CONFLICT && u->video_id) {
        rc = store_video_get(a->store, u->user_id, u->video_id, &v);
        existed = 1;
    }
    if (rc < 0)
        return rc;
    memcpy(out->video_id, v.id, sizeof out->video_id);
    if (existed) {
        struct store_job *job = malloc(sizeof *job); /* ~5 KB: off the request thread's stack */
        if (!job)
            return RR_ERR_NOMEM;
        rc = store_job_find_for_video(a->store, u->user_id, v.id, APP_KIND_ANALYZE_VIDEO, job);
        if (rc == 0)
            memcpy(out->job_id, job->id, sizeof out->job_id);
        free(job);
        if (rc != RR_ERR_NOTFOUND)
            return rc;
    }
    char payload[128];
    app__analyze_payload(u->exercise, u->overlay, u->model, payload, sizeof payload);
    rc = app__enqueue(a, APP_KIND_ANALYZE_VIDEO, u->user_id, v.id, payload, out->job_id);
    if (rc < 0 && !existed) /* no row without its job: the caller drops or keeps the blob */
        store_video_delete(a->store, u->user_id, v.id);
    return rc;
}
