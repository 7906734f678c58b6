/*
 * videos.c - where a video's derived objects live in the blob store, and the use case that
 * deletes a video with everything derived from it.
 */
#include "app/app_int.h"

#include <stdio.h>
#include <string.h>

#include "base/rr_error.h"
#include "blob/blob.h"
#include "blob/tus.h"

/* The derived objects of a video, under videos/<id>/ (the original is v->blob_key). */
static const struct {
    const char *which;
    const char *tail;
} derived[] = {
    {"overlay", "overlay.mp4"},     {"best", "thumbs/best.jpg"}, {"worst", "thumbs/worst.jpg"},
    {"report", "report.json"},      {"landmarks", "landmarks.json"},
};

static int id_ok(const char *id)
{
    if (!id || strlen(id) != STORE_ID_LEN)
        return 0;
    for (size_t i = 0; i < STORE_ID_LEN; i++)
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
            return 0;
    return 1;
}

const char *app_video_key(const char *video_id, const char *which, char *buf, size_t len)
{
    if (!id_ok(video_id) || !which || !buf)
        return NULL;
    for (size_t i = 0; i < sizeof derived / sizeof derived[0]; i++) {
        if (strcmp(derived[i].which, which) != 0)
            continue;
        int n = snprintf(buf, len, "videos/%s/%s", video_id, derived[i].tail);
        return n < 0 || (size_t)n >= len ? NULL : buf;
    }
    return NULL;
}

int app__video_purge(struct app *a, const char *user_id, const struct store_video *v)
{
    int err = store_video_delete(a->store, user_id, v->id); /* its jobs cascade */
    if (err)
        return err;
    /* best effort from here: a blob without a row is unreachable and swept later */
    char key[BLOB_KEY_MAX + 1];
    if (v->blob_key[0])
        (void)blob_delete(a->blob, v->blob_key);
    for (size_t i = 0; i < sizeof derived / sizeof derived[0]; i++)
        if (app_video_key(v->id, derived[i].which, key, sizeof key))
            (void)blob_delete(a->blob, key);
    /* a tus upload that became this video: drop its record so a later HEAD cannot revive it */
    struct tus_reply tr;
    struct tus_headers th = {.tus_resumable = TUS_VERSION};
    tus_delete(a->tus, user_id, v->id, &th, &tr);
    return 0;
}

int app_delete_video(struct app *a, const char *user_id, const char *video_id)
{
    struct store_video v;
    struct store_workout w;
    int err = store_video_get(a->store, user_id, video_id, &v);
    if (err)
        return err;
    /* the workout first: were the video row gone first, the workout would lose its link */
    if (store_workout_get_by_video(a->store, v.id, &w) == 0 &&
        strcmp(w.user_id, v.user_id) == 0) {
        err = store_workout_delete(a->store, v.user_id, w.id); /* and its analytics share */
        if (err && err != RR_ERR_NOTFOUND)
            return err;
        app_cache_invalidate(a, v.user_id); /* the list and analytics showed that workout */
    }
    return app__video_purge(a, v.user_id, &v);
}
