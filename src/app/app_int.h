/*
 * app_int.h - what the app module's files share: enqueueing a job of a known kind, the purge of a
 * video's rows and blobs, and the one analytics recomputation. Not for callers outside src/app/.
 */
#ifndef RR_APP_APP_INT_H
#define RR_APP_APP_INT_H

#include "app/app.h"

#define APP_KIND_ANALYZE_VIDEO "analyze_video"

/* Enqueue a job of a kind in app_job_kinds (its max_attempts, else cfg.job_max_attempts) on
 * a's queue, linked to video_id (may be NULL). INVAL for an unknown kind. */
int app__enqueue(struct app *a, const char *kind, const char *user_id, const char *video_id,
                 char id_out[STORE_ID_LEN + 1]);

/* Recompute the analytics row (user, UTC day of started_at, exercise) from what is stored: the
 * one place analytics follow a workout change. */
int app__analytics_refresh(struct app *a, const char *user_id, int64_t started_at,
                           const char *exercise);

/* Delete a video's row (its jobs cascade), then its original and derived blobs and the tus
 * record it came from (best effort: the row is gone, nothing points at them). NOTFOUND when the
 * row was already gone. */
int app__video_purge(struct app *a, const char *user_id, const struct store_video *v);

/* A fresh scratch directory under <data_dir>/work/ for one job, created and locked (the
 * sweeper leaves it alone while lock_fd is open). app__scratch_close empties and removes it and
 * drops the lock. */
int app__scratch_open(struct app *a, char *dir, size_t dir_len, int *lock_fd);
void app__scratch_close(const char *dir, int lock_fd);

/* The analyze_video kind (analyze.c): the handler and its dead hook. */
int app__job_analyze_video(struct job_ctx *ctx, char *err, size_t err_len);
void app__job_analyze_video_dead(void *app, const struct store_job *job);

#endif
