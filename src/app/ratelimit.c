/*
 * ratelimit.c - where rate-limit states live (app.h app_ratelimit_apply): in the queue's Redis
 * when the queue is redis://, else (and while Redis is unreachable) in the store.
 */
#include "app/app.h"

#include <stdatomic.h>
#include <time.h>

#include "base/rr_error.h"
#include "base/rr_log.h"
#include "queue/queue.h"

#define FALLBACK_LOG_S 60

static atomic_llong last_fallback_log;

int app_ratelimit_apply(struct app *a, const char *const *keys, size_t n, store_rate_fn fn,
                        void *ctx)
{
    if (!a)
        return RR_ERR_INVAL;
    int rc = a->queue ? queue_ratelimit_apply(a->queue, keys, n, fn, ctx) : RR_ERR_UNSUPPORTED;
    if (rc == RR_ERR_IO || rc == RR_ERR_BUSY) {
        long long now = (long long)time(NULL);
        long long last = atomic_load(&last_fallback_log);
        if (now - last >= FALLBACK_LOG_S &&
            atomic_compare_exchange_strong(&last_fallback_log, &last, now))
            rr_log(RR_LOG_WARN, "rate limits: redis unavailable, the database holds them",
                   RR_LOG_STR("detail", rr_strerror(rc)));
    }
    if (rc != RR_ERR_UNSUPPORTED && rc != RR_ERR_IO && rc != RR_ERR_BUSY)
        return rc;
    return store_ratelimit_apply(a->store, keys, n, fn, ctx);
}
