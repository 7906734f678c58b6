/*
 * events.h - what happened that a partner org may want to hear about (webhooks, issue 13).
 *
 * app_partner_event() is the one call the use cases make when an event concerns an org:
 * "member.linked" and "member.unlinked" today (app/partners.c), "analysis.completed" and
 * "workout.synced" later. The webhook delivery lives behind it; until then it logs one line.
 * It never fails the use case that calls it: the return value says whether the event was
 * recorded (0) or not (negative RR_ERR_*), for the caller to ignore or log.
 * Thread-safety: may run concurrently.
 */
#ifndef RR_APP_EVENTS_H
#define RR_APP_EVENTS_H

struct app;

/* An event about member_id (a user id; may be NULL for org-wide events) for org_id. */
int app_partner_event(struct app *a, const char *org_id, const char *event,
                      const char *member_id);

#endif
