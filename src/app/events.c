/*
 * events.c - app_partner_event and app_workout_event (app/events.h): a partner event becomes
 * webhook deliveries (app_webhook_emit); a failure is logged and handed back, never raised.
 */
#include "app/events.h"

#include "app/app_int.h"
#include "app/partners.h"
#include "base/rr_error.h"
#include "base/rr_log.h"

#include <stdlib.h>

int app_partner_event(struct app *a, const char *org_id, const char *event, const char *member_id,
                      const char *data_json)
{
    if (!a || !org_id || !event)
        return RR_ERR_INVAL;
    int n = 0;
    int err = app_webhook_emit(a, org_id, event, member_id, data_json ? data_json : "{}", &n, NULL);
    if (err)
        rr_log(RR_LOG_WARN, "partner event not recorded", RR_LOG_STR("org_id", org_id),
               RR_LOG_STR("event", event), RR_LOG_STR("member_id", member_id ? member_id : ""),
               RR_LOG_STR("error", rr_strerror(err)));
    else
        rr_log(RR_LOG_INFO, "partner event", RR_LOG_STR("org_id", org_id),
               RR_LOG_STR("event", event), RR_LOG_STR("member_id", member_id ? member_id : ""),
               RR_LOG_INT("deliveries", n));
    return err;
}

int app_workout_event(struct app *a, const char *event, const char *user_id, const char *workout_id)
{
    struct store_org_member *orgs = NULL;
    size_t n = 0, sharing = 0;
    if (!a || !event || !user_id || !workout_id)
        return RR_ERR_INVAL;
    int err = store_member_orgs(a->store, user_id, &orgs, &n);
    for (size_t i = 0; !err && i < n; i++)
        sharing += (orgs[i].shares & APP_SCOPE_WORKOUTS_READ) != 0;
    char data[2048];
    if (!err && sharing) {
        struct store_workout w;
        err = store_workout_get(a->store, user_id, workout_id, &w);
        if (!err)
            err = app_webhook_workout_data(&w, data, sizeof data);
    }
    if (err) {
        rr_log(RR_LOG_WARN, "partner event not recorded", RR_LOG_STR("event", event),
               RR_LOG_STR("member_id", user_id), RR_LOG_STR("workout_id", workout_id),
               RR_LOG_STR("error", rr_strerror(err)));
        free(orgs);
        return err;
    }
    /* consent to share workouts is what admits an org: the others never hear of them */
    for (size_t i = 0; i < n; i++) {
        if (!(orgs[i].shares & APP_SCOPE_WORKOUTS_READ))
            continue;
        int e = app_partner_event(a, orgs[i].org_id, event, user_id, data);
        if (e && !err)
            err = e;
    }
    free(orgs);
    return err;
}
