/*
 * workouts.c - the workout use cases: save (device sync, or the result of an analysis) and
 * delete, each followed by the one analytics recomputation every workout change goes through.
 *
 * DESIGN: analytics rows are recomputed from what is stored (analytics_recompute), never
 * incremented, so running the refresh twice, or after a crash between the workout write and the
 * refresh, gives the same numbers; a repeated sync refreshes again for exactly that reason.
 */
#include "app/app_int.h"

#include <string.h>

#include "analytics/analytics.h"
#include "app/events.h"
#include "base/rr_error.h"

int app__analytics_refresh(struct app *a, const char *user_id, int64_t started_at,
                           const char *exercise)
{
    char day[11];
    analytics_day_of(started_at, day);
    return analytics_recompute(a->store, user_id, day, exercise);
}

int app_save_workout(struct app *a, struct store_workout *w, struct store_set *sets, size_t nsets,
                     struct store_rep *reps, size_t nreps, const char *client_id,
                     enum app_saved *how)
{
    struct store_workout old;
    int replaces = 0;
    if (!a || !w || !how)
        return RR_ERR_INVAL;
    /* an analysis re-run replaces the video's workout, which may sit on another day/exercise */
    if (w->video_id[0] && store_workout_get_by_video(a->store, w->video_id, &old) == 0)
        replaces = strcmp(old.user_id, w->user_id) == 0;
    struct store_workout given = *w;
    int err = store_workout_put(a->store, w, sets, nsets, reps, nreps, client_id);
    if (err == RR_ERR_CONFLICT && client_id) {
        /* seen before: w->id is the earlier workout; refresh its analytics (idempotent, and it
         * repairs a crash between that put and its refresh) and hand it back */
        *how = APP_SAVED_AGAIN;
        err = store_workout_get(a->store, w->user_id, w->id, w);
        if (err == RR_ERR_NOTFOUND) {
            *how = APP_SAVED_GONE; /* deleted since: the key still holds, nothing comes back */
            return 0;
        }
        if (err)
            return err;
        /* the same key for other data is a client bug, not a retry: say so */
        if (w->started_at != given.started_at || strcmp(w->exercise, given.exercise) != 0 ||
            w->duration_ms != given.duration_ms || w->score != given.score)
            return RR_ERR_CONFLICT;
        return app__analytics_refresh(a, w->user_id, w->started_at, w->exercise);
    }
    if (err)
        return err;
    *how = APP_SAVED_NEW;
    err = app__analytics_refresh(a, w->user_id, w->started_at, w->exercise);
    if (!err && replaces)
        err = app__analytics_refresh(a, old.user_id, old.started_at, old.exercise);
    /* a device's workout: the orgs the member shares workouts with hear of it (an analysis'
     * workout is announced by app_analyze_video, as analysis.completed, once it is done) */
    if (!w->video_id[0])
        (void)app_workout_event(a, APP_WEBHOOK_WORKOUT_SYNCED, w->user_id, w->id);
    return err;
}

int app_save_session_set(struct app *a, struct store_workout *w, struct store_set *set,
                         struct store_rep *reps, size_t nreps, const char *client_id,
                         const char *session_key, enum app_saved *how)
{
    int appended = 0;
    if (!a || !w || !how)
        return RR_ERR_INVAL;
    int64_t set_start = w->started_at;
    struct store_workout given = *w;
    int err = store_workout_put_session(a->store, w, set, reps, nreps, client_id, session_key,
                                        &appended);
    if (err == RR_ERR_CONFLICT && client_id) {
        *how = APP_SAVED_AGAIN;
        err = store_workout_get(a->store, w->user_id, w->id, w);
        if (err == RR_ERR_NOTFOUND) {
            *how = APP_SAVED_GONE;
            return 0;
        }
        if (err)
            return err;
        /* the same key for other data is a client bug, not a retry (as app_save_workout): a
         * retried set has the session workout's exercise and lies inside its span */
        if (strcmp(w->exercise, given.exercise) != 0 || given.started_at < w->started_at ||
            given.started_at > w->started_at + w->duration_ms)
            return RR_ERR_CONFLICT;
        return app__analytics_refresh(a, w->user_id, w->started_at, w->exercise);
    }
    if (err)
        return err;
    *how = APP_SAVED_NEW;
    err = store_workout_get(a->store, w->user_id, w->id, w);
    if (!err)
        err = app__analytics_refresh(a, w->user_id, w->started_at, w->exercise);
    /* a set synced late may have moved the session's start to an earlier day */
    if (!err && appended)
        err = app__analytics_refresh(a, w->user_id, set_start, w->exercise);
    /* every new set: the session's workout with its totals so far (the same workout_id) */
    (void)app_workout_event(a, APP_WEBHOOK_WORKOUT_SYNCED, w->user_id, w->id);
    return err;
}

int app_delete_workout(struct app *a, const char *user_id, const char *workout_id)
{
    struct store_workout w;
    struct store_video v;
    int has_video = 0;
    int err = store_workout_get(a->store, user_id, workout_id, &w);
    if (err)
        return err;
    if (w.video_id[0] && store_video_get(a->store, user_id, w.video_id, &v) == 0)
        has_video = 1;
    err = store_workout_delete(a->store, user_id, w.id);
    if (!err)
        err = app__analytics_refresh(a, user_id, w.started_at, w.exercise);
    if (!err && has_video) {
        err = app__video_purge(a, user_id, &v);
        if (err == RR_ERR_NOTFOUND)
            err = 0; /* deleted meanwhile: what this call wanted */
    }
    return err;
}

int app_rename_workout(struct app *a, const char *user_id, const char *workout_id,
                       const char *name)
{
    if (!a || !user_id || !workout_id || !name)
        return RR_ERR_INVAL;
    return store_workout_rename(a->store, user_id, workout_id, name);
}
