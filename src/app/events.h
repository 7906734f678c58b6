/*
 * events.h - what happened that a partner org may want to hear about (webhooks, issue 13;
 * docs/internals/webhooks.md "Events").
 *
 *   app_partner_event   one event for one org: member.linked / member.unlinked (app/partners.c)
 *   app_workout_event   a member's saved workout for EVERY org the member shares workouts with:
 *                       workout.synced (app/workouts.c, device saves) and analysis.completed
 *                       (app/analyze.c, after the analysis saved its workout)
 *
 * Both record the event through app_webhook_emit (a delivery and its job per subscribed endpoint
 * of the org, in one transaction) and log it. Neither ever fails the use case that calls it: the
 * return value says whether every event was recorded (0) or not (negative RR_ERR_*, already
 * logged), for the caller to ignore.
 * Thread-safety: may run concurrently.
 */
#ifndef RR_APP_EVENTS_H
#define RR_APP_EVENTS_H

struct app;

/* An event about member_id (a user id; may be NULL for org-wide events) for org_id, with data
 * (a JSON object; NULL = {}). */
int app_partner_event(struct app *a, const char *org_id, const char *event, const char *member_id,
                      const char *data_json);

/* Event `event` about user_id's workout workout_id (read back as stored: id, video, exercise,
 * start, duration, score, reps) for each org whose consent row shares "workouts". Costs one
 * indexed read when the member is linked to no org. */
int app_workout_event(struct app *a, const char *event, const char *user_id,
                      const char *workout_id);

#endif
