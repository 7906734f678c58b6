/*
 * events.c - app_outbox_drain (app/events.h): the partner events the actions recorded in their
 * own transactions become webhook deliveries; a row is deleted in the transaction that writes
 * its deliveries (store_webhook_emit with outbox_id), so it is emitted exactly once.
 */
#include "app/events.h"

#include "app/app_int.h"
#include "base/rr_error.h"
#include "base/rr_log.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* One drainer at a time in this process, so rows go out in the order they were recorded (the
 * deliveries' seq, hence the order per member, follows the emits). */
static pthread_mutex_t drain_mu = PTHREAD_MUTEX_INITIALIZER;

/* Rows drained per call at most (a sweep after a long outage works in several calls). */
#define DRAIN_ROUNDS 20

/* Members whose row failed in this sweep, passed over for the rest of it. */
#define DRAIN_STUCK_MAX 16

static int is_stuck(char (*stuck)[STORE_ID_LEN + 1], size_t n, const char *user_id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(stuck[i], user_id) == 0)
            return 1;
    return 0;
}

/* One row: its data (the workout as stored now, or what the action recorded), then the emit
 * that deletes it. *done = 1 when the row is gone (emitted, drained by another, dropped). */
static int drain_one(struct app *a, const struct store_outbox *row, int *emitted)
{
    char data[2048];
    const char *d = row->data[0] ? row->data : "{}";
    int err = 0;
    if (row->workout_id[0]) {
        struct store_workout w;
        err = store_workout_get(a->store, row->user_id, row->workout_id, &w);
        if (err == RR_ERR_NOTFOUND) { /* deleted since: there is nothing left to tell */
            rr_log(RR_LOG_INFO, "partner event dropped: the workout is gone",
                   RR_LOG_STR("org_id", row->org_id), RR_LOG_STR("event", row->type),
                   RR_LOG_STR("member_id", row->user_id),
                   RR_LOG_STR("workout_id", row->workout_id));
            err = store_outbox_drop(a->store, row->id);
            return err == RR_ERR_NOTFOUND ? 0 : err;
        }
        if (!err)
            err = app_webhook_workout_data(&w, data, sizeof data);
        if (err)
            return err;
        d = data;
    }
    int n = 0, drained = 0;
    err = app__webhook_emit_recorded(a, row, d, &n, &drained);
    if (!err && drained) {
        (*emitted)++;
        rr_log(RR_LOG_INFO, "partner event", RR_LOG_STR("org_id", row->org_id),
               RR_LOG_STR("event", row->type), RR_LOG_STR("member_id", row->user_id),
               RR_LOG_INT("deliveries", n));
    }
    return err;
}

int app_outbox_drain(struct app *a, const char *user_id, int *emitted)
{
    int dummy = 0;
    if (!emitted)
        emitted = &dummy;
    *emitted = 0;
    if (!a)
        return RR_ERR_INVAL;
    int err = 0, first_err = 0;
    /* a sweep (every member) goes past a member whose row fails: that member's later rows wait
     * behind it (their order), the other members' rows still go out */
    char stuck[DRAIN_STUCK_MAX][STORE_ID_LEN + 1];
    size_t n_stuck = 0;
    pthread_mutex_lock(&drain_mu);
    for (int round = 0; !err && round < DRAIN_ROUNDS; round++) {
        struct store_outbox *rows = NULL;
        size_t n = 0, skipped = 0;
        err = store_outbox_list(a->store, user_id, STORE_OUTBOX_LIST_MAX, &rows, &n);
        for (size_t i = 0; !err && i < n; i++) {
            if (is_stuck(stuck, n_stuck, rows[i].user_id)) {
                skipped++;
                continue;
            }
            err = drain_one(a, &rows[i], emitted);
            if (!err)
                continue;
            /* stays recorded: the next drain tries again, in order */
            rr_log(RR_LOG_WARN, "partner event not sent yet", RR_LOG_STR("org_id", rows[i].org_id),
                   RR_LOG_STR("event", rows[i].type), RR_LOG_STR("member_id", rows[i].user_id),
                   RR_LOG_STR("error", rr_strerror(err)));
            if (!first_err)
                first_err = err;
            if (!user_id && n_stuck < DRAIN_STUCK_MAX) {
                memcpy(stuck[n_stuck++], rows[i].user_id, STORE_ID_LEN + 1);
                skipped++;
                err = 0;
            }
        }
        free(rows);
        /* a full page of only stuck members' rows: listing again would return the same page */
        if (n < STORE_OUTBOX_LIST_MAX || skipped == n)
            break;
    }
    if (!err)
        err = first_err;
    pthread_mutex_unlock(&drain_mu);
    if (err && !*emitted && user_id == NULL)
        rr_log(RR_LOG_WARN, "partner events not drained", RR_LOG_STR("error", rr_strerror(err)));
    return err;
}
