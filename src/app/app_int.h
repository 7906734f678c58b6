/*
 * app_int.h - what the app module's files share: enqueueing a job of a known kind, the purge of a
 * video's rows and blobs. Not for callers outside src/app/.
 */
#ifndef RR_APP_APP_INT_H
#define RR_APP_APP_INT_H

#include "app/app.h"
#include "video/decode.h"

#define APP_KIND_ANALYZE_VIDEO "analyze_video"
#define APP_KIND_RENDER_VIDEO "render_video"
#define APP_KIND_DELIVER_WEBHOOK "deliver_webhook"

/* Enqueue a job of a kind in app_job_kinds (its max_attempts, else cfg.job_max_attempts) on
 * a's queue, linked to video_id (may be NULL), with a JSON payload (NULL: "{}"). INVAL for an
 * unknown kind. */
int app__enqueue(struct app *a, const char *kind, const char *user_id, const char *video_id,
                 const char *payload, char id_out[STORE_ID_LEN + 1]);

/* The analyze_video payload: {"exercise": NAME} (absent: recognise), "overlay": true when the
 * overlay should follow, "model": "lite"|"full"|"heavy" when one was asked for (NULL: the
 * server's). Writes "{}" when there is nothing to say. */
void app__analyze_payload(const char *exercise, int overlay, const char *model, char *out,
                          size_t cap);

/* Delete a video's row (its jobs cascade), then its original and derived blobs and the tus
 * record it came from (best effort: the row is gone, nothing points at them). NOTFOUND when the
 * row was already gone. */
int app__video_purge(struct app *a, const char *user_id, const struct store_video *v);

/* A fresh scratch directory under <data_dir>/work/ for one job, created and locked (the
 * sweeper leaves it alone while lock_fd is open). app__scratch_close empties and removes it and
 * drops the lock. */
int app__scratch_open(struct app *a, char *dir, size_t dir_len, int *lock_fd);
void app__scratch_close(const char *dir, int lock_fd);

/* REPRIGHT_BILLING_WEBHOOK_SECRET, else the file REPRIGHT_BILLING_WEBHOOK_SECRET_FILE names
 * (trailing whitespace trimmed, 16..255 bytes) -> a->billing_secret (plans.c). Absent: 0 and
 * the webhook stays off. */
int app__billing_secret_load(struct app *a, char *msg, size_t msg_len);

/* The cache's state (cache.c), made by app_open and freed by app_close. */
int app__cache_new(struct app *a);
void app__cache_free(struct app *a);

/* The analyze_video kind (analyze.c): the handler and its dead hook. */
int app__job_analyze_video(struct job_ctx *ctx, char *err, size_t err_len);
void app__job_analyze_video_dead(void *app, const struct store_job *job);
/* The render_video kind (render.c). */
int app__job_render_video(struct job_ctx *ctx, char *err, size_t err_len);

/* The deliver_webhook kind (webhook_job.c): one attempt of one delivery; the job spec every
 * webhook store call hands over (jobs.c's table is the one truth about the kind). */
int app__job_deliver_webhook(struct job_ctx *ctx, char *err, size_t err_len);
struct store_job_spec app__webhook_job_spec(void);
/* The recorded event `row` (store.h "partner outbox") as webhook deliveries with `data`, the row
 * deleted in the same transaction (events.c's drain). *drained = 1 when this call emitted it, 0
 * when a concurrent drain had (both return 0). */
int app__webhook_emit_recorded(struct app *a, const struct store_outbox *row, const char *data,
                               int *n, int *drained);
/* A queued deliver job waiting behind an earlier delivery of its lane wakes when that one ends,
 * or this long after the earlier one's next attempt at the latest (a safety net). */
#define APP_WEBHOOK_WAIT_MS 30000

/* Shared by the analysis and the render (analyze.c): the original of a video as a local path
 * (the blob's descriptor, or a copy in tmpdir), and the store of a finished file or text under
 * one of the video's derived keys. */
struct app_source {
    struct blob_reader *rd;
    int copy_fd;
    char path[1300];
};
int app__source_open(struct app *a, const struct store_video *v, const char *tmpdir,
                     struct app_source *src, char *err, size_t err_len, int *permanent);
void app__source_close(struct app_source *src);
int app__put_file_if_any(struct blob *b, const char *video_id, const char *which,
                         const char *path);
/* err = what a person reads about a failed analysis or render (rc, the pipeline's message
 * msg with the local path src replaced): one sentence, said once. */
/* The stored original against its row (size, SHA-256); CORRUPT with a plain message and a log
 * line when it is damaged (analyze.c; the render checks it too). */
int app__check_integrity(const struct store_video *v, int fd, int64_t size, char *err,
                         size_t err_len);
void app__failure_words(int rc, const char *msg, const char *src, char *err, size_t err_len);
int app__bad_input(int rc);
/* The render job's cost (analyze.c, the same measured constants as the analysis's): CPU ms per
 * frame, and the budget check on a header: 0 with lim->max_frames set to what the budget
 * allows, or TOOBIG with a reason in err. */
double app__render_cost_ms_per_frame(int width, int height);
int app__admit_render(const struct app *a, const struct video_info *in, struct video_limits *lim,
                      double *cost_s, char *err, size_t err_len);

#endif
