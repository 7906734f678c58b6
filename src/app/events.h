/*
 * events.h - what happened that a partner org may want to hear about (webhooks, issue 13;
 * docs/internals/webhooks.md "Events" and "Outbox").
 *
 * An action records its event IN ITS OWN STORE TRANSACTION (store.h "partner outbox"): the use
 * case hands the event to the store_*_ev call that performs the action, which writes one outbox
 * row per org that is to hear it (the orgs whose consent shares what the event needs). So an
 * acknowledged save, analysis, link, unlink or account deletion has its event durably, whatever
 * happens next. app_outbox_drain then turns rows into webhook deliveries (app_webhook_emit's
 * envelope, one delivery + job per subscribed endpoint), deleting each row in the transaction
 * that writes its deliveries: a row is emitted exactly once, even when drains race.
 *
 *   use case                 event                         orgs
 *   app_save_workout         workout.synced (device sync)  those the member shares workouts with
 *   app_save_session_set     workout.synced (every set)    the same
 *   app_analyze_video        analysis.completed            the same (recorded when the video is
 *                                                           marked analysed)
 *   app_partner_link         member.linked {"shares"}      the invite's org
 *   app_partner_unlink       member.unlinked {"reason":"consent_revoked"}   that org
 *   app_account_delete       member.unlinked {"reason":"account_deleted"}   every linked org
 *
 * Each use case drains the member's rows right after its action (the usual path: the event is
 * out as before); rows a crash or a failed emit left behind are drained by the next action of
 * that member and by app_sweep (at start-up and every sweep interval). A drain failure is
 * logged and never fails the use case.
 * Thread-safety: may run concurrently; drains of one process take turns (rows go out in the
 * order their actions committed).
 */
#ifndef RR_APP_EVENTS_H
#define RR_APP_EVENTS_H

struct app;

/* the data of member.unlinked */
#define APP_UNLINK_DATA_REVOKED "{\"reason\":\"consent_revoked\"}"
#define APP_UNLINK_DATA_DELETED "{\"reason\":\"account_deleted\"}"

/* Turn the recorded events of user_id (NULL: everyone's) into deliveries, oldest first, until
 * none is left or one fails (it stays for the next drain). A row about a workout deleted since
 * is dropped. *emitted (may be NULL) = rows emitted. 0 or the first error (logged). */
int app_outbox_drain(struct app *a, const char *user_id, int *emitted);

#endif
