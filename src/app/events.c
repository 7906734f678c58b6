/*
 * events.c - app_partner_event (app/events.h): today one log line per event; the webhook
 * delivery (issue 13, "Webhooks") goes here.
 */
#include "app/events.h"

#include "base/rr_error.h"
#include "base/rr_log.h"

int app_partner_event(struct app *a, const char *org_id, const char *event,
                      const char *member_id)
{
    (void)a;
    if (!org_id || !event)
        return RR_ERR_INVAL;
    rr_log(RR_LOG_INFO, "partner event", RR_LOG_STR("org_id", org_id),
           RR_LOG_STR("event", event), RR_LOG_STR("member_id", member_id ? member_id : ""));
    return 0;
}
