/*
 * sessions.c - refresh-token rotation with reuse detection (app.h app_refresh_rotate;
 * docs/internals/cache.md "Refresh-token reuse"). The store's refresh_tokens families are the
 * record and decide every rotation (store_refresh_rotate_grace). With a redis:// queue, a spend
 * is first recorded in Redis (queue_refresh_spend: SET NX, hashes only), so every instance sees
 * a replay in one round trip before the store is written:
 *   first spend          the store rotates (and still refuses what it knows is spent);
 *   spent before, same   the same client again within the grace window (two tabs, maybe on two
 *   successor, in grace  instances): the store hands back the very successor (or rotates, when
 *                        the first caller has not committed yet: the successor is the same
 *                        either way), so both callers get one pair and one rotation happens;
 *   otherwise            reuse: the family is revoked in the store and CONFLICT comes back.
 * Redis unconfigured, unreachable, slow or answering nonsense: the store alone, as before (it
 * detects reuse by itself), so a Redis failure never lets a spent token through.
 */
#include "app/app.h"

#include <sodium.h>
#include <string.h>

#include "base/rr_error.h"
#include "queue/queue.h"

/* A reuse Redis saw: end the family in the store. The rotation with no grace revokes it when
 * the store knows the token is spent; when it does not yet (the first caller's rotation has not
 * committed), it rotates for this caller, and that fresh token's family is revoked at once:
 * the first caller then finds its token revoked. Either way the family ends. */
static int refresh_reused(struct app *a, const char *old_hash, const char *new_hash,
                          int64_t new_expires_at)
{
    struct store_refresh r;
    int err = store_refresh_rotate_grace(a->store, old_hash, new_hash, new_expires_at, 0, &r);
    if (err == 0) {
        err = store_refresh_revoke_family(a->store, r.family_id);
        memset(&r, 0, sizeof r);
        return err < 0 ? err : RR_ERR_CONFLICT;
    }
    return err;
}

int app_refresh_rotate(struct app *a, const char *old_hash, const char *new_hash,
                       int64_t new_expires_at, int64_t grace_ms, struct store_refresh *out)
{
    if (!a || !old_hash || !new_hash || !out)
        return RR_ERR_INVAL;
    char seen[QUEUE_HASH_MAX + 1] = "";
    int64_t age_ms = 0, ttl_ms = new_expires_at - store_now(a->store);
    int rc = a->queue && ttl_ms > 0 ? queue_refresh_spend(a->queue, old_hash, new_hash, ttl_ms,
                                                          seen, &age_ms)
                                    : RR_ERR_UNSUPPORTED;
    if (rc == 1) {
        int err = store_refresh_rotate_grace(a->store, old_hash, new_hash, new_expires_at,
                                             grace_ms, out);
        /* nothing was spent (unknown, expired or revoked token, a store error): forget the
         * record, so a retry is judged by the store as without Redis */
        if (err < 0 && err != RR_ERR_CONFLICT)
            queue_refresh_forget(a->queue, old_hash);
        return err;
    }
    if (rc == 0) {
        size_t n = strlen(new_hash);
        int same = strlen(seen) == n && sodium_memcmp(seen, new_hash, n) == 0;
        sodium_memzero(seen, sizeof seen);
        if (same && age_ms <= grace_ms)
            return store_refresh_rotate_grace(a->store, old_hash, new_hash, new_expires_at,
                                              grace_ms, out);
        return refresh_reused(a, old_hash, new_hash, new_expires_at);
    }
    /* no Redis, or it failed: the store is the check */
    return store_refresh_rotate_grace(a->store, old_hash, new_hash, new_expires_at, grace_ms,
                                      out);
}
