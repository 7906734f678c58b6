/*
 * workouts.c - the workout use cases: save (device sync, or the result of an analysis), delete,
 * rename, and the read by id within the plan's history (app_workout_get).
 *
 * DESIGN: the analytics rows are kept by the store itself: store_workout_put, _put_session and
 * _delete add or take back the workout's share of its (user, day, exercise) row in the same
 * transaction as the workout (store.md "Derived numbers"), so a write that returned is counted
 * exactly once, a retried sync (same client id) writes nothing and counts nothing, and no crash
 * can fall between a workout and its analytics. analytics_recompute() stays as the oracle and
 * repair (it rebuilds a row from the stored workouts). Every write that changed something
 * invalidates the user's cached reads (app_cache_invalidate) before it returns.
 */
#include "app/app_int.h"

#include <string.h>

#include "app/partners.h"
#include "base/rr_error.h"

int app_save_workout(struct app *a, struct store_workout *w, struct store_set *sets, size_t nsets,
                     struct store_rep *reps, size_t nreps, const char *client_id,
                     enum app_saved *how)
{
    if (!a || !w || !how)
        return RR_ERR_INVAL;
    /* an analysis re-run replaces the video's workout (the store moves its analytics share) */
    struct store_workout given = *w;
    /* a device's workout: the orgs the member shares workouts with hear of it, recorded with
     * the save (an analysis' workout is announced by app_analyze_video, as analysis.completed,
     * once it is done) */
    const struct store_outbox_event ev = {APP_WEBHOOK_WORKOUT_SYNCED, APP_SCOPE_WORKOUTS_READ,
                                          NULL};
    int err = store_workout_put_ev(a->store, w, sets, nsets, reps, nreps, client_id,
                                   w->video_id[0] ? NULL : &ev);
    if (err == RR_ERR_CONFLICT && client_id) {
        /* seen before: w->id is the earlier workout, counted when it was written; hand it back */
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
        return 0;
    }
    if (err)
        return err;
    *how = APP_SAVED_NEW;
    app_cache_invalidate(a, w->user_id);
    if (!w->video_id[0])
        (void)app_outbox_drain(a, w->user_id, NULL);
    return 0;
}

int app_save_session_set(struct app *a, struct store_workout *w, struct store_set *set,
                         struct store_rep *reps, size_t nreps, const char *client_id,
                         const char *session_key, enum app_saved *how)
{
    int appended = 0;
    if (!a || !w || !how)
        return RR_ERR_INVAL;
    struct store_workout given = *w;
    /* every new set: the session's workout with its totals so far (the same workout_id) */
    const struct store_outbox_event ev = {APP_WEBHOOK_WORKOUT_SYNCED, APP_SCOPE_WORKOUTS_READ,
                                          NULL};
    int err = store_workout_put_session_ev(a->store, w, set, reps, nreps, client_id,
                                           session_key, &appended, &ev);
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
        return 0;
    }
    if (err)
        return err;
    *how = APP_SAVED_NEW;
    app_cache_invalidate(a, w->user_id);
    /* the session's workout as it is now (span, score, counts over all its sets) */
    err = store_workout_get(a->store, w->user_id, w->id, w);
    (void)app_outbox_drain(a, w->user_id, NULL);
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
    err = store_workout_delete(a->store, user_id, w.id); /* and its analytics share */
    if (!err)
        app_cache_invalidate(a, user_id);
    if (!err && has_video) {
        err = app__video_purge(a, user_id, &v);
        if (err == RR_ERR_NOTFOUND)
            err = 0; /* deleted meanwhile: what this call wanted */
    }
    return err;
}

int app_workout_get(struct app *a, const char *user_id, const char *workout_id,
                    struct store_workout *w)
{
    if (!a || !user_id || !workout_id || !w)
        return RR_ERR_INVAL;
    int err = store_workout_get(a->store, user_id, workout_id, w);
    if (!err && w->started_at < app_history_from(a, user_id))
        err = RR_ERR_NOTFOUND; /* older than the plan's history: hidden like an unknown id */
    return err;
}

int app_rename_workout(struct app *a, const char *user_id, const char *workout_id,
                       const char *name)
{
    if (!a || !user_id || !workout_id || !name)
        return RR_ERR_INVAL;
    struct store_workout w;
    int err = app_workout_get(a, user_id, workout_id, &w);
    if (err)
        return err;
    err = store_workout_rename(a->store, user_id, workout_id, name);
    if (!err)
        app_cache_invalidate(a, user_id);
    return err;
}
