/*
 * jobs.c - the job kinds this application runs (the table handed to the worker pool) and the
 * one way its use cases enqueue a job of a known kind.
 */
#include "app/app_int.h"

#include "base/rr_error.h"
#include "queue/queue.h"

static const struct job_kind kinds[] = {
    {.name = APP_KIND_ANALYZE_VIDEO, .run = app__job_analyze_video, .max_attempts = 0,
     .lease_s = 0, .dead = app__job_analyze_video_dead},
    /* the overlay video and thumbnails, made only when asked (render.c); a failed render
     * leaves the analysis as it is, so no dead hook */
    {.name = APP_KIND_RENDER_VIDEO, .run = app__job_render_video, .max_attempts = 2,
     .lease_s = 0, .dead = NULL},
    /* one attempt of one webhook delivery (webhook_job.c): the retry schedule is the
     * handler's (a new job per attempt), so the queue's attempts only cover a crashed worker */
    {.name = APP_KIND_DELIVER_WEBHOOK, .run = app__job_deliver_webhook, .max_attempts = 3,
     .lease_s = 60, .dead = NULL},
};

const struct job_kind *app_job_kinds(size_t *n)
{
    *n = sizeof kinds / sizeof kinds[0];
    return kinds;
}

void app_worker_config(struct app *a, int threads, struct worker_config *out)
{
    *out = (struct worker_config){
        .store = a->store,
        .queue_url = a->cfg.queue_url,
        .threads = threads,
        .lease_s = a->cfg.job_lease_s > 0 ? a->cfg.job_lease_s : 60,
        .kinds = kinds,
        .n_kinds = sizeof kinds / sizeof kinds[0],
        .ctx = a,
        .per_user_max = a->cfg.job_user_concurrency,
    };
}

struct store_job_spec app__webhook_job_spec(void)
{
    const struct job_kind *k =
        job_kind_find(kinds, sizeof kinds / sizeof kinds[0], APP_KIND_DELIVER_WEBHOOK);
    return (struct store_job_spec){k->name, k->max_attempts};
}

int app__enqueue(struct app *a, const char *kind, const char *user_id, const char *video_id,
                 const char *payload, char id_out[STORE_ID_LEN + 1])
{
    const struct job_kind *k = job_kind_find(kinds, sizeof kinds / sizeof kinds[0], kind);
    if (!a || !a->queue || !k)
        return RR_ERR_INVAL;
    int attempts = k->max_attempts > 0 ? k->max_attempts : a->cfg.job_max_attempts;
    if (attempts < 1)
        attempts = 3;
    if (attempts > STORE_JOB_ATTEMPTS_MAX)
        attempts = STORE_JOB_ATTEMPTS_MAX;
    return queue_enqueue(a->queue, kind, user_id, video_id, payload, attempts, 0, id_out);
}
