/*
 * account.c - the use case that deletes an account with everything derived from it
 * (partners.h app_account_delete; docs/internals/app.md "Deleting an account").
 *
 * Order, for crash safety (each step may be repeated; nothing is acknowledged before the last):
 *  1. every refresh token of the user is revoked: no new access token from here on (those
 *     already issued stop working at step 3: every authenticated route reads the user row);
 *  2. every video goes through app_delete_video (its workout, its rows, its jobs - queued ones
 *     deleted, a running one finds its video gone and ends as permanently failed - then its
 *     blobs: original, overlay, thumbnails, report, landmarks, tus record; on disk or S3);
 *  3. one transaction: member.unlinked {"reason":"account_deleted"} recorded for every linked
 *     org, the user's monthly usage counters deleted, the user row deleted (the cascade takes
 *     workouts, jobs, usage events, consents, org admin rights, uploads, idempotency keys);
 *  4. the read cache generation bumped, the recorded events drained to webhook deliveries.
 * A crash between 1 and 3 leaves an account that still exists (the caller never got its 204),
 * with its sessions revoked and some videos gone: running the use case again (the user logs in
 * and deletes again, or `repright admin user delete`) finishes it. After 3 the events are in
 * the outbox, which app_sweep drains if step 4 did not.
 */
#include "app/app_int.h"
#include "app/events.h"
#include "app/partners.h"

#include <sodium.h>
#include <stdlib.h>

#include "base/rr_error.h"
#include "base/rr_log.h"

#define ACCOUNT_PASSES_MAX 10000 /* pages of videos; a user has far fewer than 1e6 videos */

/* Delete every video of the user, a page at a time, the first page again until none is left. */
static int account_purge_videos(struct app *a, const char *user_id, int64_t *deleted)
{
    for (int pass = 0; pass < ACCOUNT_PASSES_MAX; pass++) {
        struct store_video *items = NULL;
        size_t n = 0, gone = 0;
        char next[STORE_CURSOR_MAX];
        int err = store_video_list(a->store, user_id, NULL, STORE_PAGE_MAX, &items, &n, next);
        if (err < 0)
            return err;
        for (size_t i = 0; i < n && err == 0; i++) {
            err = app_delete_video(a, user_id, items[i].id);
            if (err == RR_ERR_NOTFOUND) /* deleted meanwhile by another request */
                err = 0;
            else if (err == 0)
                gone++;
        }
        free(items);
        if (err < 0)
            return err;
        *deleted += (int64_t)gone;
        if (n == 0)
            return 0;
    }
    return RR_ERR_INTERNAL; /* uploads faster than deletes: refuse rather than loop forever */
}

int app_account_delete(struct app *a, const char *user_id)
{
    if (!a || !user_id || !user_id[0])
        return RR_ERR_INVAL;
    struct store_user u;
    int err = store_user_get(a->store, user_id, &u);
    sodium_memzero(&u, sizeof u);
    if (err < 0)
        return err;
    err = store_refresh_revoke_user(a->store, user_id);
    if (err < 0)
        return err;
    int64_t videos = 0;
    err = account_purge_videos(a, user_id, &videos);
    if (err < 0) {
        rr_log(RR_LOG_WARN, "account deletion stopped: run it again to finish",
               RR_LOG_STR("user_id", user_id), RR_LOG_INT("videos_deleted", videos),
               RR_LOG_STR("error", rr_strerror(err)));
        return err;
    }
    const struct store_outbox_event ev = {APP_WEBHOOK_MEMBER_UNLINKED, 0,
                                          APP_UNLINK_DATA_DELETED};
    err = store_user_delete_ev(a->store, user_id, &ev);
    if (err < 0)
        return err;
    app_cache_invalidate(a, user_id);
    (void)app_outbox_drain(a, user_id, NULL);
    rr_log(RR_LOG_INFO, "account deleted", RR_LOG_STR("user_id", user_id),
           RR_LOG_INT("videos_deleted", videos));
    return 0;
}
