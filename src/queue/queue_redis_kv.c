/*
 * queue_redis_kv.c - what the redis:// backend shares between processes besides jobs:
 * refresh-token spends (reuse detection) and a cache of rendered reads invalidated by a per-user
 * generation (queue.h has the contracts; the app decides when to use them, docs/internals/
 * cache.md). Runs on queue_redis.c's connection pool, so the same deadlines and back-off apply.
 *
 * DESIGN
 * Spends: "repright:rt:<used hash>" = "<ttl_ms>:<successor hash>", written with SET NX PX inside
 * MULTI with GET and PTTL of the same key: one round trip says whether this call was first and,
 * if not, what successor the first named and how long ago (ttl - pttl, Redis' own clock, so the
 * processes' clocks do not matter). SET NX is the one decision every process agrees on.
 *
 * Cache: "repright:cg:<user>" holds the user's generation, "repright:c:<user>:<name>" holds
 * "<generation>\n<bytes>". A read is MULTI GET generation, GET entry, EXEC; an entry is served
 * only when its generation is the current one. A write bumps the generation with one Lua call
 * that takes the next value of the global counter "repright:cg" (so a generation key that
 * expired and is created again never repeats an old value) and sets it with a one-day TTL,
 * longer than any entry's (QUEUE_CACHE_TTL_MS_MAX). An entry is put with the generation read
 * before its data was read from the store, so data older than a write can only carry a
 * generation older than that write's bump: never served after it.
 */
#include "queue/queue_int.h"

#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "base/rr_error.h"
#include "base/rr_log.h"

#define KV_SPEND_PREFIX "repright:rt:"
#define KV_GEN_COUNTER "repright:cg"
#define KV_GEN_PREFIX "repright:cg:"
#define KV_ENTRY_PREFIX "repright:c:"
#define KV_GEN_TTL_MS 86400000LL      /* a generation outlives every entry tagged with it */
#define KV_ENTRY_MAX (1u << 20)        /* bytes of one cached entry */
#define KV_KEY_MAX (32 + STORE_ID_LEN + QUEUE_CACHE_NAME_MAX + QUEUE_HASH_MAX)
#define KV_READ_MS 250   /* a cache read or put waits this long, then the store answers */
#define KV_CMD_MS 2000   /* queue_redis.c's command deadline, restored after */

/* The Lua of a bump: KEYS[1] the global counter, KEYS[2] the user's generation. */
static const char bump_lua[] =
    "local g = redis.call('INCR', KEYS[1]) "
    "redis.call('SET', KEYS[2], g, 'PX', ARGV[1]) "
    "return g";

static struct timeval tv_ms(int64_t ms)
{
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};
    return tv;
}

/* A cache call must not hold a request for the queue's 2 s: a short deadline, then the pool's
 * usual one again (a context that timed out is closed by queue__redis_done anyway). */
static int short_deadline(redisContext *c, int on)
{
    return redisSetTimeout(c, tv_ms(on ? KV_READ_MS : KV_CMD_MS)) == REDIS_OK ? 0 : RR_ERR_IO;
}

/* Read the replies of n pipelined commands; the last one is kept in *last (caller frees).
 * RR_ERR_IO when the connection broke or any reply is an error. */
static int pipeline_read(redisContext *c, int n, redisReply **last)
{
    int rc = 0;
    *last = NULL;
    for (int i = 0; i < n; i++) {
        void *r = NULL;
        if (redisGetReply(c, &r) != REDIS_OK || !r)
            return RR_ERR_IO; /* the context is broken now: queue__redis_done closes it */
        redisReply *rep = r;
        if (rep->type == REDIS_REPLY_ERROR)
            rc = RR_ERR_IO;
        if (i == n - 1)
            *last = rep;
        else
            freeReplyObject(rep);
    }
    if (rc < 0 && *last) {
        freeReplyObject(*last);
        *last = NULL;
    }
    return rc;
}

static int64_t parse_i64(const char *s, size_t n, const char **end)
{
    int64_t v = 0;
    size_t i = 0;
    for (; i < n && i < 19 && s[i] >= '0' && s[i] <= '9'; i++)
        v = v * 10 + (s[i] - '0');
    *end = i ? s + i : NULL;
    return v;
}

int queue__redis_refresh_spend(struct queue *q, const char *used_hash, const char *next_hash,
                               int64_t ttl_ms, char seen[QUEUE_HASH_MAX + 1], int64_t *age_ms)
{
    char key[KV_KEY_MAX], val[32 + QUEUE_HASH_MAX];
    snprintf(key, sizeof key, KV_SPEND_PREFIX "%s", used_hash);
    snprintf(val, sizeof val, "%" PRId64 ":%s", ttl_ms, next_hash);
    redisContext *c;
    int rc = queue__redis_conn(q, &c);
    if (rc < 0)
        return rc;
    redisReply *ex = NULL;
    if (redisAppendCommand(c, "MULTI") != REDIS_OK ||
        redisAppendCommand(c, "SET %s %s NX PX %lld", key, val, (long long)ttl_ms) != REDIS_OK ||
        redisAppendCommand(c, "GET %s", key) != REDIS_OK ||
        redisAppendCommand(c, "PTTL %s", key) != REDIS_OK ||
        redisAppendCommand(c, "EXEC") != REDIS_OK) {
        rc = RR_ERR_IO;
        goto out;
    }
    rc = pipeline_read(c, 5, &ex);
    if (rc < 0)
        goto out;
    rc = RR_ERR_IO;
    if (ex->type != REDIS_REPLY_ARRAY || ex->elements != 3)
        goto out;
    const redisReply *set = ex->element[0], *got = ex->element[1], *pttl = ex->element[2];
    if (set->type == REDIS_REPLY_STATUS) {
        rc = 1; /* first: recorded now */
        goto out;
    }
    if (got->type != REDIS_REPLY_STRING || pttl->type != REDIS_REPLY_INTEGER)
        goto out; /* expired between the two (a ttl that ended this very millisecond) */
    const char *end;
    int64_t rec_ttl = parse_i64(got->str, got->len, &end);
    if (!end || *end != ':' || (size_t)(got->str + got->len - end - 1) > QUEUE_HASH_MAX)
        goto out; /* not ours: let the store decide */
    size_t hlen = (size_t)(got->str + got->len - end - 1);
    memcpy(seen, end + 1, hlen);
    seen[hlen] = 0;
    int64_t left = pttl->integer > 0 ? pttl->integer : 0;
    *age_ms = rec_ttl > left ? rec_ttl - left : 0;
    rc = 0;
out:
    if (rc == RR_ERR_IO)
        rr_log(RR_LOG_WARN, "queue: refresh spend not checked in redis",
               RR_LOG_STR("detail", c->err ? c->errstr : "unexpected reply"));
    if (ex)
        freeReplyObject(ex);
    queue__redis_done(q, c);
    return rc;
}

int queue__redis_refresh_forget(struct queue *q, const char *used_hash)
{
    redisContext *c;
    int rc = queue__redis_conn(q, &c);
    if (rc < 0)
        return rc;
    redisReply *r = redisCommand(c, "DEL " KV_SPEND_PREFIX "%s", used_hash);
    rc = r && r->type == REDIS_REPLY_INTEGER ? 0 : RR_ERR_IO;
    if (r)
        freeReplyObject(r);
    queue__redis_done(q, c);
    return rc;
}

/* "<digits>" of a generation reply; nil (never bumped, or expired) is 0. */
static int gen_of(const redisReply *r, uint64_t *gen)
{
    if (r->type == REDIS_REPLY_NIL) {
        *gen = 0;
        return 0;
    }
    if (r->type != REDIS_REPLY_STRING)
        return RR_ERR_IO;
    const char *end;
    int64_t v = parse_i64(r->str, r->len, &end);
    if (!end || end != r->str + r->len)
        return RR_ERR_IO;
    *gen = (uint64_t)v;
    return 0;
}

int queue__redis_cache_get(struct queue *q, const char *user_id, const char *name, size_t max,
                           char **data, size_t *len, uint64_t *gen)
{
    char gkey[KV_KEY_MAX], ekey[KV_KEY_MAX];
    snprintf(gkey, sizeof gkey, KV_GEN_PREFIX "%s", user_id);
    snprintf(ekey, sizeof ekey, KV_ENTRY_PREFIX "%s:%s", user_id, name);
    redisContext *c;
    int rc = queue__redis_conn(q, &c);
    if (rc < 0)
        return rc;
    redisReply *ex = NULL;
    if (short_deadline(c, 1) < 0 || redisAppendCommand(c, "MULTI") != REDIS_OK ||
        redisAppendCommand(c, "GET %s", gkey) != REDIS_OK ||
        redisAppendCommand(c, "GET %s", ekey) != REDIS_OK ||
        redisAppendCommand(c, "EXEC") != REDIS_OK) {
        rc = RR_ERR_IO;
        goto out;
    }
    rc = pipeline_read(c, 4, &ex);
    if (rc < 0)
        goto out;
    if (ex->type != REDIS_REPLY_ARRAY || ex->elements != 2 || gen_of(ex->element[0], gen) < 0) {
        rc = RR_ERR_IO;
        goto out;
    }
    const redisReply *e = ex->element[1];
    rc = RR_ERR_NOTFOUND;
    if (*gen == 0 || e->type != REDIS_REPLY_STRING)
        goto out; /* no generation: never served (cache.c starts one) */
    const char *end;
    int64_t tag = parse_i64(e->str, e->len, &end);
    if (!end || end >= e->str + e->len || *end != '\n' || (uint64_t)tag != *gen)
        goto out; /* an older generation: a write came after it was rendered */
    size_t n = (size_t)(e->str + e->len - end - 1);
    if (n > max)
        goto out;
    char *copy = malloc(n + 1);
    if (!copy) {
        rc = RR_ERR_NOMEM;
        goto out;
    }
    memcpy(copy, end + 1, n);
    copy[n] = 0;
    *data = copy;
    *len = n;
    rc = 0;
out:
    if (ex)
        freeReplyObject(ex);
    if (!c->err)
        short_deadline(c, 0);
    queue__redis_done(q, c);
    return rc;
}

int queue__redis_cache_put(struct queue *q, const char *user_id, const char *name, uint64_t gen,
                           const char *data, size_t len, int64_t ttl_ms)
{
    if (len > KV_ENTRY_MAX)
        return RR_ERR_TOOBIG;
    char ekey[KV_KEY_MAX], tag[24];
    snprintf(ekey, sizeof ekey, KV_ENTRY_PREFIX "%s:%s", user_id, name);
    int tn = snprintf(tag, sizeof tag, "%" PRIu64 "\n", gen);
    char *val = malloc((size_t)tn + len);
    if (!val)
        return RR_ERR_NOMEM;
    memcpy(val, tag, (size_t)tn);
    memcpy(val + tn, data, len);
    redisContext *c;
    int rc = queue__redis_conn(q, &c);
    if (rc < 0) {
        free(val);
        return rc;
    }
    redisReply *r = short_deadline(c, 1) < 0
                         ? NULL
                         : redisCommand(c, "SET %s %b PX %lld", ekey, val, (size_t)tn + len,
                                        (long long)ttl_ms);
    rc = r && r->type == REDIS_REPLY_STATUS ? 0 : RR_ERR_IO;
    if (r)
        freeReplyObject(r);
    if (!c->err)
        short_deadline(c, 0);
    free(val);
    queue__redis_done(q, c);
    return rc;
}

int queue__redis_cache_bump(struct queue *q, const char *user_id)
{
    char gkey[KV_KEY_MAX];
    snprintf(gkey, sizeof gkey, KV_GEN_PREFIX "%s", user_id);
    redisContext *c;
    int rc = queue__redis_conn(q, &c);
    if (rc < 0)
        return rc;
    redisReply *r = redisCommand(c, "EVAL %s 2 %s %s %lld", bump_lua, KV_GEN_COUNTER, gkey,
                                 (long long)KV_GEN_TTL_MS);
    rc = r && r->type == REDIS_REPLY_INTEGER ? 0 : RR_ERR_IO;
    if (r)
        freeReplyObject(r);
    queue__redis_done(q, c);
    return rc;
}
