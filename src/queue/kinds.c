/*
 * kinds.c - the table of job kinds the workers know (name, handler, attempts, lease) and
 * queue_submit(), the one way the API enqueues a job of a known kind.
 */
#include <string.h>

#include "../api/app.h"
#include "../base/rr_error.h"
#include "queue.h"

const struct job_kind queue_kinds[] = {
    {.name = "analyze_video", .run = job_analyze_video, .max_attempts = 0, .lease_s = 0,
     .dead = job_analyze_video_dead},
};
const size_t queue_kinds_n = sizeof queue_kinds / sizeof queue_kinds[0];

const struct job_kind *queue_kind_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < queue_kinds_n; i++)
        if (strcmp(queue_kinds[i].name, name) == 0)
            return &queue_kinds[i];
    return NULL;
}

int queue_submit(struct app *a, const char *kind, const char *user_id, const char *payload,
                 char id_out[STORE_ID_LEN + 1])
{
    if (!a || !a->store)
        return RR_ERR_INVAL;
    const struct job_kind *k = queue_kind_find(kind);
    if (!k)
        return RR_ERR_INVAL;
    int attempts = k->max_attempts > 0 ? k->max_attempts : a->cfg.job_max_attempts;
    if (attempts < 1)
        attempts = 3;
    if (attempts > STORE_JOB_ATTEMPTS_MAX)
        attempts = STORE_JOB_ATTEMPTS_MAX;
    struct queue *q = NULL;
    int rc = queue_open(a->cfg.queue_url, a->store, &q, NULL, 0);
    if (rc < 0)
        return rc;
    rc = queue_enqueue(q, kind, user_id, payload, attempts, 0, id_out);
    queue_close(q);
    return rc;
}
