/*
 * store.c - the store's public entry points: URL dispatch, argument validation, ids, cursors,
 * and the thin wrappers that call the backend through struct store_ops (see store.h).
 *
 * DESIGN: every check that does not depend on the backend lives here, once: id syntax, text
 * bounds, page limits, cursor decoding. Backends can then trust their arguments, and a second
 * backend gets the same contract for free. Cursors are "c1" + 16 hex digits of created_at +
 * the 32-hex id of the last row returned; they are opaque to clients and strictly parsed.
 */
#include "store/store_internal.h"

#include "base/rr_error.h"

#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void store__msg(char *msg, size_t msg_len, const char *fmt, ...)
{
    if (!msg || msg_len == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, msg_len, fmt, ap);
    va_end(ap);
}

int store__copy(char *dst, size_t cap, const char *src)
{
    size_t len = src ? strlen(src) : 0;
    if (len >= cap) {
        dst[0] = '\0';
        return RR_ERR_TOOBIG;
    }
    memcpy(dst, src ? src : "", len + 1);
    return 0;
}

/* ---- backends ------------------------------------------------------------------------------ */

static const struct {
    const char *prefix;
    int (*open)(const char *rest, struct store **out, char *msg, size_t msg_len);
} backends[] = {
    {"sqlite:", store__sqlite_open},
    {"postgres://", store__pg_open},
    {"postgresql://", store__pg_open},
};

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static int sodium_ok;

static void sodium_setup(void)
{
    sodium_ok = sodium_init() >= 0;
}

int store_open(const char *url, struct store **out, char *msg, size_t msg_len)
{
    if (!url || !out) {
        store__msg(msg, msg_len, "store url missing");
        return RR_ERR_INVAL;
    }
    *out = NULL;
    pthread_once(&sodium_once, sodium_setup);
    if (!sodium_ok) {
        store__msg(msg, msg_len, "libsodium initialisation failed");
        return RR_ERR_INTERNAL;
    }
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++) {
        size_t pl = strlen(backends[i].prefix);
        if (strncmp(url, backends[i].prefix, pl) == 0)
            /* SQLite gets the path after its prefix, PostgreSQL the whole URL (libpq's) */
            return backends[i].open(backends[i].prefix[0] == 's' ? url + pl : url, out, msg,
                                    msg_len);
    }
    store__msg(msg, msg_len, "unsupported database url (expected sqlite:PATH or postgres://...)");
    return RR_ERR_UNSUPPORTED;
}

void store_close(struct store *s)
{
    if (s)
        s->ops->close(s);
}

const char *store_backend_name(const struct store *s)
{
    return s->ops->name;
}

static int64_t real_now_ms(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void store_set_clock(struct store *s, int64_t (*now_ms)(void *ctx), void *ctx)
{
    s->now_ms = now_ms ? now_ms : real_now_ms;
    s->now_ctx = now_ms ? ctx : NULL;
}

int64_t store_now(const struct store *s)
{
    return s->now_ms ? s->now_ms(s->now_ctx) : real_now_ms(NULL);
}

void store_new_id(char out[STORE_ID_LEN + 1])
{
    unsigned char raw[STORE_ID_LEN / 2];
    pthread_once(&sodium_once, sodium_setup);
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(out, STORE_ID_LEN + 1, raw, sizeof raw);
}

void store__new_id_at(char out[STORE_ID_LEN + 1], int64_t now_ms)
{
    unsigned char raw[STORE_ID_LEN / 2];
    uint64_t t = (uint64_t)now_ms;
    pthread_once(&sodium_once, sodium_setup);
    for (int i = 0; i < 6; i++) /* 48 bits of milliseconds, big-endian: sorts by time */
        raw[i] = (unsigned char)(t >> (8 * (5 - i)));
    randombytes_buf(raw + 6, sizeof raw - 6); /* 80 random bits: still unguessable */
    sodium_bin2hex(out, STORE_ID_LEN + 1, raw, sizeof raw);
}

/* ---- validation ---------------------------------------------------------------------------- */

static bool is_id(const char *id)
{
    if (!id)
        return false;
    for (int i = 0; i < STORE_ID_LEN; i++) {
        char c = id[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return id[STORE_ID_LEN] == '\0';
}

/* Non-empty text of at most max bytes. */
static int text_ok(const char *t, size_t max)
{
    if (!t || !t[0])
        return RR_ERR_INVAL;
    return strlen(t) > max ? RR_ERR_TOOBIG : 0;
}

/* Optional text (NULL allowed, empty allowed). */
static int opt_text_ok(const char *t, size_t max)
{
    return t && strlen(t) > max ? RR_ERR_TOOBIG : 0;
}

static bool is_day(const char *d)
{
    if (!d || strlen(d) != 10 || d[4] != '-' || d[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (d[i] < '0' || d[i] > '9'))
            return false;
    return true;
}

/* Decode a cursor into (t, id); NULL or "" means "from the start" (newest). */
static int cursor_decode(const char *c, int64_t *t, char id[STORE_ID_LEN + 1])
{
    if (!c || !c[0]) {
        *t = INT64_MAX;
        id[0] = '\0';
        return 0;
    }
    if (strlen(c) != 2 + 16 + STORE_ID_LEN || c[0] != 'c' || c[1] != '1')
        return RR_ERR_INVAL;
    uint64_t v = 0;
    for (int i = 0; i < 16; i++) {
        char ch = c[2 + i];
        int d;
        if (ch >= '0' && ch <= '9')
            d = ch - '0';
        else if (ch >= 'a' && ch <= 'f')
            d = ch - 'a' + 10;
        else
            return RR_ERR_INVAL;
        v = v << 4 | (uint64_t)d;
    }
    if (v > (uint64_t)INT64_MAX || !is_id(c + 18))
        return RR_ERR_INVAL;
    *t = (int64_t)v;
    memcpy(id, c + 18, STORE_ID_LEN + 1);
    return 0;
}

static void cursor_encode(int64_t t, const char *id, char out[STORE_CURSOR_MAX])
{
    snprintf(out, STORE_CURSOR_MAX, "c1%016llx%s", (unsigned long long)t, id);
}

static int page_args(const char *cursor, int limit, int64_t *t, char id[STORE_ID_LEN + 1],
                     void *items, size_t *n, char *next)
{
    if (!items || !n || !next || limit < 1 || limit > STORE_PAGE_MAX)
        return RR_ERR_INVAL;
    *n = 0;
    /* decode before clearing next: callers may pass the same buffer for both */
    int err = cursor_decode(cursor, t, id);
    next[0] = '\0';
    return err;
}

/* ---- lifecycle ----------------------------------------------------------------------------- */

int store_migrate(struct store *s, int *applied, char *msg, size_t msg_len)
{
    int dummy;
    return s->ops->migrate(s, applied ? applied : &dummy, msg, msg_len);
}

int store_schema_version(struct store *s, int *version)
{
    if (!version)
        return RR_ERR_INVAL;
    return s->ops->schema_version(s, version);
}

int store_schema_known(void)
{
    size_t n;
    const struct store_migration *m = store__sqlite_migrations(&n);
    return m[n - 1].version;
}

int store_check(struct store *s, char *msg, size_t msg_len)
{
    return s->ops->check(s, msg, msg_len);
}

/* ---- users --------------------------------------------------------------------------------- */

int store_user_create(struct store *s, const char *email, const char *password_hash,
                      const char *role, struct store_user *out)
{
    int err = text_ok(email, STORE_EMAIL_MAX);
    if (!err)
        err = text_ok(password_hash, STORE_HASH_MAX);
    if (!err)
        err = text_ok(role, STORE_ROLE_MAX);
    if (err)
        return err;
    struct store_user tmp;
    return s->ops->user_create(s, email, password_hash, role, out ? out : &tmp);
}

int store_user_get(struct store *s, const char *id, struct store_user *out)
{
    if (!out)
        return RR_ERR_INVAL;
    if (!is_id(id))
        return RR_ERR_NOTFOUND;
    return s->ops->user_get(s, id, NULL, out);
}

int store_user_get_by_email(struct store *s, const char *email, struct store_user *out)
{
    if (!out)
        return RR_ERR_INVAL;
    if (text_ok(email, STORE_EMAIL_MAX))
        return RR_ERR_NOTFOUND;
    return s->ops->user_get(s, NULL, email, out);
}

int store_user_set_password(struct store *s, const char *id, const char *password_hash)
{
    int err = text_ok(password_hash, STORE_HASH_MAX);
    if (err)
        return err;
    if (!is_id(id))
        return RR_ERR_NOTFOUND;
    return s->ops->user_set_password(s, id, password_hash);
}

int store_user_delete(struct store *s, const char *id)
{
    return store_user_delete_ev(s, id, NULL);
}

int store_user_delete_ev(struct store *s, const char *id, const struct store_outbox_event *ev)
{
    if (store__outbox_event_ok(ev))
        return RR_ERR_INVAL;
    if (!is_id(id))
        return RR_ERR_NOTFOUND;
    return s->ops->user_delete(s, id, ev);
}

/* ---- refresh tokens ------------------------------------------------------------------------- */

int store_refresh_create(struct store *s, const char *user_id, const char *family_id,
                         const char *token_hash, int64_t expires_at, struct store_refresh *out)
{
    int err = text_ok(token_hash, STORE_HASH_MAX);
    if (err)
        return err;
    if (!is_id(user_id) || (family_id && !is_id(family_id)))
        return RR_ERR_INVAL;
    struct store_refresh tmp;
    return s->ops->refresh_create(s, user_id, family_id, token_hash, expires_at,
                                  out ? out : &tmp);
}

int store_refresh_get(struct store *s, const char *token_hash, struct store_refresh *out)
{
    if (!out)
        return RR_ERR_INVAL;
    if (text_ok(token_hash, STORE_HASH_MAX))
        return RR_ERR_NOTFOUND;
    return s->ops->refresh_get(s, token_hash, out);
}

int store_refresh_rotate(struct store *s, const char *old_hash, const char *new_hash,
                         int64_t new_expires_at, struct store_refresh *out_new)
{
    return store_refresh_rotate_grace(s, old_hash, new_hash, new_expires_at, 0, out_new);
}

int store_refresh_rotate_grace(struct store *s, const char *old_hash, const char *new_hash,
                               int64_t new_expires_at, int64_t grace_ms,
                               struct store_refresh *out_new)
{
    int err = text_ok(new_hash, STORE_HASH_MAX);
    if (err)
        return err;
    if (text_ok(old_hash, STORE_HASH_MAX))
        return RR_ERR_NOTFOUND;
    if (grace_ms < 0)
        return RR_ERR_INVAL;
    struct store_refresh tmp;
    return s->ops->refresh_rotate(s, old_hash, new_hash, new_expires_at, grace_ms,
                                  out_new ? out_new : &tmp);
}

int store_refresh_revoke_family(struct store *s, const char *family_id)
{
    if (!is_id(family_id))
        return RR_ERR_NOTFOUND;
    return s->ops->refresh_revoke(s, family_id, NULL);
}

int store_refresh_revoke_user(struct store *s, const char *user_id)
{
    if (!is_id(user_id))
        return RR_ERR_NOTFOUND;
    return s->ops->refresh_revoke(s, NULL, user_id);
}

/* ---- videos ---------------------------------------------------------------------------------- */

int store_video_create(struct store *s, struct store_video *v)
{
    if (!v || !is_id(v->user_id) || v->size < 0 || v->duration_ms < 0)
        return RR_ERR_INVAL;
    if (v->id[0] == '\0')
        store_new_id(v->id);
    if (!is_id(v->id) || !memchr(v->blob_key, 0, sizeof v->blob_key) ||
        !memchr(v->sha256, 0, sizeof v->sha256) || !memchr(v->status, 0, sizeof v->status) ||
        !v->blob_key[0] || !v->status[0])
        return RR_ERR_INVAL;
    v->created_at = store_now(s);
    return s->ops->video_create(s, v);
}

int store_video_get(struct store *s, const char *user_id, const char *id, struct store_video *out)
{
    if (!out)
        return RR_ERR_INVAL;
    if (!is_id(id) || (user_id && !is_id(user_id)))
        return RR_ERR_NOTFOUND;
    return s->ops->video_get(s, user_id, id, out);
}

int store_video_set_status(struct store *s, const char *id, const char *status,
                           int64_t duration_ms)
{
    return store_video_set_status_ev(s, id, status, duration_ms, NULL);
}

int store_video_set_status_ev(struct store *s, const char *id, const char *status,
                              int64_t duration_ms, const struct store_outbox_event *ev)
{
    int err = text_ok(status, STORE_NAME_MAX);
    if (!err && store__outbox_event_ok(ev))
        err = RR_ERR_INVAL;
    if (err)
        return err;
    if (!is_id(id))
        return RR_ERR_NOTFOUND;
    return s->ops->video_set_status(s, id, status, duration_ms, ev);
}

int store_video_fail(struct store *s, const char *id, const char *error)
{
    char text[STORE_ERROR_MAX + 1];
    if (!is_id(id))
        return RR_ERR_NOTFOUND;
    snprintf(text, sizeof text, "%s", error ? error : ""); /* cut, like a job's error */
    return s->ops->video_fail(s, id, text);
}

int store_video_delete(struct store *s, const char *user_id, const char *id)
{
    if (!is_id(id) || (user_id && !is_id(user_id)))
        return RR_ERR_NOTFOUND;
    return s->ops->video_delete(s, user_id, id);
}

/* Turn a full page into the next cursor: backends fetch limit + 1 rows to learn if more exist. */
static void page_finish(size_t *n, int limit, int64_t last_t, const char *last_id, char *next)
{
    if (*n > (size_t)limit) {
        *n = (size_t)limit;
        cursor_encode(last_t, last_id, next);
    }
}

int store_video_list(struct store *s, const char *user_id, const char *cursor, int limit,
                     struct store_video **items, size_t *n, char next_cursor[STORE_CURSOR_MAX])
{
    int64_t t;
    char id[STORE_ID_LEN + 1];
    int err = page_args(cursor, limit, &t, id, items, n, next_cursor);
    if (err)
        return err;
    *items = NULL;
    if (!is_id(user_id))
        return 0;
    err = s->ops->video_list(s, user_id, t, id, limit + 1, items, n);
    if (!err && *n > (size_t)limit)
        page_finish(n, limit, (*items)[limit - 1].created_at, (*items)[limit - 1].id,
                    next_cursor);
    return err;
}

/* ---- jobs ------------------------------------------------------------------------------------ */

const char *store_job_state_name(enum store_job_state st)
{
    static const char *const names[] = {"queued", "running", "done", "dead"};
    if ((unsigned)st >= sizeof names / sizeof names[0])
        return "unknown";
    return names[st];
}

int store_job_enqueue(struct store *s, const char *kind, const char *user_id,
                      const char *payload, int max_attempts, int64_t delay_ms,
                      char id_out[STORE_ID_LEN + 1])
{
    return store_job_enqueue_video(s, kind, user_id, NULL, payload, max_attempts, delay_ms,
                                   id_out);
}

int store_job_enqueue_video(struct store *s, const char *kind, const char *user_id,
                            const char *video_id, const char *payload, int max_attempts,
                            int64_t delay_ms, char id_out[STORE_ID_LEN + 1])
{
    struct store_job *j = NULL;
    int err = text_ok(kind, STORE_NAME_MAX);
    if (!err)
        err = opt_text_ok(payload, STORE_PAYLOAD_MAX);
    if (err)
        return err;
    if ((user_id && !is_id(user_id)) || max_attempts < 1 ||
        max_attempts > STORE_JOB_ATTEMPTS_MAX || delay_ms < 0 || delay_ms > INT64_MAX / 4)
        return RR_ERR_INVAL;
    if (video_id && video_id[0] && !is_id(video_id))
        return RR_ERR_NOTFOUND; /* like any other reference to a video that does not exist */
    j = calloc(1, sizeof *j); /* ~5 KB: keep it off small worker stacks */
    if (!j)
        return RR_ERR_NOMEM;
    store_new_id(j->id);
    store__copy(j->user_id, sizeof j->user_id, user_id);
    store__copy(j->video_id, sizeof j->video_id, video_id);
    store__copy(j->kind, sizeof j->kind, kind);
    store__copy(j->payload, sizeof j->payload, payload && payload[0] ? payload : "{}");
    j->state = STORE_JOB_QUEUED;
    j->max_attempts = max_attempts;
    j->created_at = j->updated_at = store_now(s);
    j->run_after = j->created_at + delay_ms;
    err = s->ops->job_enqueue(s, j);
    if (!err && id_out)
        memcpy(id_out, j->id, STORE_ID_LEN + 1);
    free(j);
    return err;
}

int store_job_find_for_video(struct store *s, const char *user_id, const char *video_id,
                             const char *kind, struct store_job *out)
{
    if (!out || text_ok(kind, STORE_NAME_MAX))
        return RR_ERR_INVAL;
    if (!is_id(video_id) || (user_id && !is_id(user_id)))
        return RR_ERR_NOTFOUND;
    return s->ops->job_find_for_video(s, user_id, video_id, kind, out);
}

static int owner_ok(const char *owner)
{
    return text_ok(owner, STORE_OWNER_MAX) ? RR_ERR_INVAL : 0;
}

int store_job_claim_capped(struct store *s, const char *owner, int64_t lease_ms, int per_user_max,
                           struct store_job *out)
{
    if (!out || owner_ok(owner) || lease_ms <= 0 || lease_ms > INT64_MAX / 4)
        return RR_ERR_INVAL;
    return s->ops->job_claim(s, owner, lease_ms, per_user_max > 0 ? per_user_max : 0, out);
}

int store_job_claim(struct store *s, const char *owner, int64_t lease_ms, struct store_job *out)
{
    return store_job_claim_capped(s, owner, lease_ms, 0, out);
}

int store_job_heartbeat(struct store *s, const char *id, const char *owner, int64_t lease_ms)
{
    if (owner_ok(owner) || lease_ms <= 0 || lease_ms > INT64_MAX / 4)
        return RR_ERR_INVAL;
    if (!is_id(id))
        return RR_ERR_NOTFOUND;
    return s->ops->job_heartbeat(s, id, owner, lease_ms);
}

int store_job_progress(struct store *s, const char *id, const char *owner, double progress,
                       const char *stage)
{
    int err = opt_text_ok(stage, STORE_NAME_MAX);
    if (err)
        return err;
    if (owner_ok(owner) || !(progress >= 0.0 && progress <= 1.0))
        return RR_ERR_INVAL;
    if (!is_id(id))
        return RR_ERR_NOTFOUND;
    return s->ops->job_progress(s, id, owner, progress, stage);
}

int store_job_complete(struct store *s, const char *id, const char *owner)
{
    if (owner_ok(owner))
        return RR_ERR_INVAL;
    if (!is_id(id))
        return RR_ERR_NOTFOUND;
    return s->ops->job_complete(s, id, owner);
}

int store_job_fail(struct store *s, const char *id, const char *owner, const char *error,
                   bool permanent, enum store_job_state *state_out)
{
    char text[STORE_ERROR_MAX + 1];
    enum store_job_state tmp;
    if (owner_ok(owner))
        return RR_ERR_INVAL;
    if (!is_id(id))
        return RR_ERR_NOTFOUND;
    /* the one field that is cut rather than refused: an error must always be recorded */
    snprintf(text, sizeof text, "%s", error ? error : "");
    return s->ops->job_fail(s, id, owner, text, permanent, state_out ? state_out : &tmp);
}

int store_job_reap_expired(struct store *s, char (*ids)[STORE_ID_LEN + 1], size_t max, size_t *n)
{
    if (!ids || !n || max == 0 || max > 1000)
        return RR_ERR_INVAL;
    *n = 0;
    return s->ops->job_reap_expired(s, ids, max, n);
}

int store_job_release(struct store *s, const char *id, const char *owner)
{
    if (owner_ok(owner))
        return RR_ERR_INVAL;
    if (!is_id(id))
        return RR_ERR_NOTFOUND;
    return s->ops->job_release(s, id, owner);
}

int store_job_get(struct store *s, const char *user_id, const char *id, struct store_job *out)
{
    if (!out)
        return RR_ERR_INVAL;
    if (!is_id(id) || (user_id && !is_id(user_id)))
        return RR_ERR_NOTFOUND;
    return s->ops->job_get(s, user_id, id, out);
}

int store_job_list(struct store *s, const char *user_id, const char *cursor, int limit,
                   struct store_job **items, size_t *n, char next_cursor[STORE_CURSOR_MAX])
{
    int64_t t;
    char id[STORE_ID_LEN + 1];
    int err = page_args(cursor, limit, &t, id, items, n, next_cursor);
    if (err)
        return err;
    *items = NULL;
    if (!is_id(user_id))
        return 0;
    err = s->ops->job_list(s, user_id, t, id, limit + 1, items, n);
    if (!err && *n > (size_t)limit)
        page_finish(n, limit, (*items)[limit - 1].created_at, (*items)[limit - 1].id,
                    next_cursor);
    return err;
}

int store_stats(struct store *s, struct store_stats *out)
{
    if (!s || !out)
        return RR_ERR_INVAL;
    if (!s->ops->stats)
        return RR_ERR_UNSUPPORTED;
    return s->ops->stats(s, out);
}

int store_job_counts(struct store *s, struct store_job_counts *out)
{
    if (!out)
        return RR_ERR_INVAL;
    return s->ops->job_counts(s, out);
}

/* ---- workouts -------------------------------------------------------------------------------- */

static bool terminated(const char *buf, size_t cap)
{
    return memchr(buf, 0, cap) != NULL;
}

int store_workout_put(struct store *s, struct store_workout *w, struct store_set *sets,
                      size_t nsets, struct store_rep *reps, size_t nreps, const char *client_id)
{
    return store_workout_put_ev(s, w, sets, nsets, reps, nreps, client_id, NULL);
}

int store_workout_put_ev(struct store *s, struct store_workout *w, struct store_set *sets,
                         size_t nsets, struct store_rep *reps, size_t nreps,
                         const char *client_id, const struct store_outbox_event *ev)
{
    if (store__outbox_event_ok(ev) || !w || !is_id(w->user_id) || !terminated(w->video_id, sizeof w->video_id) ||
        (w->video_id[0] && !is_id(w->video_id)) || !terminated(w->exercise, sizeof w->exercise) ||
        !w->exercise[0] || !terminated(w->name, sizeof w->name) || (nsets && !sets) ||
        (nreps && !reps))
        return RR_ERR_INVAL;
    if (nsets > STORE_SETS_MAX || nreps > STORE_REPS_MAX)
        return RR_ERR_TOOBIG;
    /* the API bounds the key in characters (its schema); here only its UTF-8 bytes */
    int err = opt_text_ok(client_id, STORE_CLIENT_ID_BYTES);
    if (err)
        return err;
    for (size_t i = 0; i < nsets; i++)
        if (!terminated(sets[i].exercise, sizeof sets[i].exercise) || !sets[i].exercise[0])
            return RR_ERR_INVAL;
    for (size_t i = 0; i < nreps; i++) {
        const struct store_rep *r = &reps[i];
        if (r->set_idx < 0 || (size_t)r->set_idx >= nsets ||
            !terminated(r->metrics, sizeof r->metrics) ||
            !terminated(r->faults, sizeof r->faults))
            return RR_ERR_INVAL;
    }
    return s->ops->workout_put(s, w, sets, nsets, reps, nreps,
                               client_id && client_id[0] ? client_id : NULL, ev);
}

int store_workout_put_session(struct store *s, struct store_workout *w, struct store_set *set,
                              struct store_rep *reps, size_t nreps, const char *client_id,
                              const char *session_key, int *appended)
{
    return store_workout_put_session_ev(s, w, set, reps, nreps, client_id, session_key, appended,
                                        NULL);
}

int store_workout_put_session_ev(struct store *s, struct store_workout *w,
                                 struct store_set *set, struct store_rep *reps, size_t nreps,
                                 const char *client_id, const char *session_key, int *appended,
                                 const struct store_outbox_event *ev)
{
    if (store__outbox_event_ok(ev) || !w || !appended || !set || !session_key || !session_key[0] ||
        !terminated(w->video_id, sizeof w->video_id) || w->video_id[0])
        return RR_ERR_INVAL;
    *appended = 0;
    int err = opt_text_ok(session_key, STORE_SESSION_KEY_MAX);
    if (err)
        return err;
    /* the same checks as a whole workout of one set */
    if (!is_id(w->user_id) || !terminated(w->exercise, sizeof w->exercise) ||
        !w->exercise[0] || !terminated(set->exercise, sizeof set->exercise) ||
        !set->exercise[0] || (nreps && !reps))
        return RR_ERR_INVAL;
    if (nreps > STORE_REPS_MAX)
        return RR_ERR_TOOBIG;
    err = opt_text_ok(client_id, STORE_CLIENT_ID_BYTES);
    if (err)
        return err;
    for (size_t i = 0; i < nreps; i++)
        if (reps[i].set_idx != 0 || !terminated(reps[i].metrics, sizeof reps[i].metrics) ||
            !terminated(reps[i].faults, sizeof reps[i].faults))
            return RR_ERR_INVAL;
    return s->ops->workout_put_session(s, w, set, reps, nreps,
                                       client_id && client_id[0] ? client_id : NULL,
                                       session_key, appended, ev);
}

int store_workout_get(struct store *s, const char *user_id, const char *id,
                      struct store_workout *out)
{
    if (!out)
        return RR_ERR_INVAL;
    if (!is_id(id) || (user_id && !is_id(user_id)))
        return RR_ERR_NOTFOUND;
    return s->ops->workout_get(s, user_id, id, NULL, out);
}

int store_workout_get_by_video(struct store *s, const char *video_id, struct store_workout *out)
{
    if (!out)
        return RR_ERR_INVAL;
    if (!is_id(video_id))
        return RR_ERR_NOTFOUND;
    return s->ops->workout_get(s, NULL, NULL, video_id, out);
}

int store_workout_delete(struct store *s, const char *user_id, const char *id)
{
    if (!is_id(id) || (user_id && !is_id(user_id)))
        return RR_ERR_NOTFOUND;
    return s->ops->workout_delete(s, user_id, id);
}

int store_workout_rename(struct store *s, const char *user_id, const char *id, const char *name)
{
    if (!name)
        return RR_ERR_INVAL;
    if (strlen(name) > STORE_WORKOUT_NAME_MAX)
        return RR_ERR_TOOBIG;
    if (!is_id(id) || !is_id(user_id))
        return RR_ERR_NOTFOUND;
    return s->ops->workout_rename(s, user_id, id, name);
}

int store_workout_list(struct store *s, const char *user_id,
                       const struct store_workout_filter *filter, const char *cursor, int limit,
                       struct store_workout **items, size_t *n,
                       char next_cursor[STORE_CURSOR_MAX])
{
    static const struct store_workout_filter none = {NULL, 0, 0};
    int64_t t;
    char id[STORE_ID_LEN + 1];
    int err = page_args(cursor, limit, &t, id, items, n, next_cursor);
    if (err)
        return err;
    *items = NULL;
    if (filter && opt_text_ok(filter->exercise, STORE_NAME_MAX))
        return RR_ERR_TOOBIG;
    if (!is_id(user_id))
        return 0;
    err = s->ops->workout_list(s, user_id, filter ? filter : &none, t, id, limit + 1, items, n);
    if (!err && *n > (size_t)limit)
        page_finish(n, limit, (*items)[limit - 1].created_at, (*items)[limit - 1].id,
                    next_cursor);
    return err;
}

int store_workout_sets(struct store *s, const char *user_id, const char *workout_id,
                       struct store_set **items, size_t *n)
{
    if (!items || !n)
        return RR_ERR_INVAL;
    *items = NULL;
    *n = 0;
    if (!is_id(workout_id) || (user_id && !is_id(user_id)))
        return RR_ERR_NOTFOUND;
    return s->ops->workout_sets(s, user_id, workout_id, items, n);
}

int store_workout_reps(struct store *s, const char *user_id, const char *workout_id,
                       struct store_rep **items, size_t *n)
{
    if (!items || !n)
        return RR_ERR_INVAL;
    *items = NULL;
    *n = 0;
    if (!is_id(workout_id) || (user_id && !is_id(user_id)))
        return RR_ERR_NOTFOUND;
    return s->ops->workout_reps(s, user_id, workout_id, items, n);
}

/* ---- analytics ------------------------------------------------------------------------------- */

int store_analytics_range(struct store *s, const char *user_id, const char *from_day,
                          const char *to_day, const char *exercise,
                          struct store_analytics_day **items, size_t *n)
{
    if (!items || !n || !is_day(from_day) || !is_day(to_day))
        return RR_ERR_INVAL;
    *items = NULL;
    *n = 0;
    int err = opt_text_ok(exercise, STORE_NAME_MAX);
    if (err || !is_id(user_id))
        return err;
    return s->ops->analytics_range(s, user_id, from_day, to_day,
                                   exercise && exercise[0] ? exercise : NULL, items, n);
}

int store_analytics_set(struct store *s, const char *user_id, const char *day,
                        const char *exercise, int64_t sessions, int64_t reps, double volume,
                        double score_sum, int64_t score_n)
{
    int err = text_ok(exercise, STORE_NAME_MAX);
    if (err)
        return err;
    if (!is_id(user_id) || !is_day(day) || sessions < 0 || reps < 0 || score_n < 0)
        return RR_ERR_INVAL;
    return s->ops->analytics_set(s, user_id, day, exercise, sessions, reps, volume, score_sum,
                                 score_n);
}

int store_analytics_span(struct store *s, const char *user_id, char first_day[11],
                         char last_day[11])
{
    if (!first_day || !last_day)
        return RR_ERR_INVAL;
    first_day[0] = '\0';
    last_day[0] = '\0';
    if (!is_id(user_id))
        return RR_ERR_INVAL;
    return s->ops->analytics_span(s, user_id, first_day, last_day);
}

/* ---- uploads --------------------------------------------------------------------------------- */

static bool is_sha256(const char *h)
{
    if (!h || strlen(h) != 64)
        return false;
    for (int i = 0; i < 64; i++)
        if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
            return false;
    return true;
}

int store_upload_create(struct store *s, struct store_upload *u)
{
    if (!u || !is_id(u->user_id) || u->length < 0 || u->expires_at < 0 ||
        !terminated(u->metadata, sizeof u->metadata) ||
        !terminated(u->blob_key, sizeof u->blob_key) || !u->blob_key[0])
        return RR_ERR_INVAL;
    if (u->id[0] == '\0')
        store_new_id(u->id);
    if (!is_id(u->id))
        return RR_ERR_INVAL;
    u->offset = 0;
    u->complete = false;
    u->sha256[0] = '\0';
    u->created_at = store_now(s);
    return s->ops->upload_create(s, u);
}

int store_upload_get(struct store *s, const char *user_id, const char *id,
                     struct store_upload *out)
{
    if (!out)
        return RR_ERR_INVAL;
    if (!is_id(id) || (user_id && !is_id(user_id)))
        return RR_ERR_NOTFOUND;
    return s->ops->upload_get(s, user_id, id, out);
}

int store_upload_set_offset(struct store *s, const char *id, int64_t expected, int64_t offset)
{
    if (expected < 0 || offset < 0)
        return RR_ERR_INVAL;
    if (!is_id(id))
        return RR_ERR_NOTFOUND;
    return s->ops->upload_set_offset(s, id, expected, offset);
}

int store_upload_complete(struct store *s, const char *id, const char *sha256)
{
    if (!is_sha256(sha256))
        return RR_ERR_INVAL;
    if (!is_id(id))
        return RR_ERR_NOTFOUND;
    return s->ops->upload_complete(s, id, sha256);
}

int store_upload_delete(struct store *s, const char *user_id, const char *id)
{
    if (!is_id(id) || (user_id && !is_id(user_id)))
        return RR_ERR_NOTFOUND;
    return s->ops->upload_delete(s, user_id, id);
}

int store_user_usage(struct store *s, const char *user_id, int64_t *bytes)
{
    if (!bytes)
        return RR_ERR_INVAL;
    *bytes = 0;
    if (!is_id(user_id))
        return RR_ERR_NOTFOUND;
    return s->ops->user_usage(s, user_id, bytes);
}

int store_upload_expired(struct store *s, char (*ids)[STORE_ID_LEN + 1], size_t max, size_t *n)
{
    if (!ids || !n || max == 0)
        return RR_ERR_INVAL;
    *n = 0;
    return s->ops->upload_expired(s, ids, max, n);
}

/* ---- rate counters --------------------------------------------------------------------------- */

int store_ratelimit_apply(struct store *s, const char *const *keys, size_t n, store_rate_fn fn,
                          void *ctx)
{
    if (!keys || !fn || n == 0 || n > STORE_RATE_KEYS_MAX)
        return RR_ERR_INVAL;
    for (size_t i = 0; i < n; i++) {
        int err = text_ok(keys[i], STORE_KEY_MAX);
        if (err)
            return err;
        for (size_t j = 0; j < i; j++)
            if (strcmp(keys[i], keys[j]) == 0)
                return RR_ERR_INVAL; /* one key twice would lose an update */
    }
    return s->ops->ratelimit_apply(s, keys, n, fn, ctx);
}

int store_rate_purge(struct store *s, int64_t before, int64_t *deleted)
{
    int64_t d;
    return s->ops->rate_purge(s, before, deleted ? deleted : &d);
}

/* ---- partners -------------------------------------------------------------------------------- */

int store_org_create(struct store *s, const char *name, struct store_org *out)
{
    int err = text_ok(name, STORE_ORG_NAME_MAX);
    if (err || !out)
        return err ? err : RR_ERR_INVAL;
    return s->ops->org_create(s, name, out);
}

int store_org_get(struct store *s, const char *id, struct store_org *out)
{
    if (!out)
        return RR_ERR_INVAL;
    if (!is_id(id))
        return RR_ERR_NOTFOUND;
    return s->ops->org_get(s, id, out);
}

int store_org_list(struct store *s, const char *user_id, struct store_org **items, size_t *n)
{
    if (!items || !n)
        return RR_ERR_INVAL;
    *items = NULL;
    *n = 0;
    if (user_id && !is_id(user_id))
        return 0;
    return s->ops->org_list(s, user_id, items, n);
}

int store_org_admin_add(struct store *s, const char *org_id, const char *user_id)
{
    if (!is_id(org_id) || !is_id(user_id))
        return RR_ERR_NOTFOUND;
    return s->ops->org_admin_add(s, org_id, user_id);
}

int store_org_admin_check(struct store *s, const char *org_id, const char *user_id)
{
    if (!is_id(org_id) || !is_id(user_id))
        return RR_ERR_NOTFOUND;
    return s->ops->org_admin_check(s, org_id, user_id);
}

int store_apikey_create(struct store *s, struct store_apikey *k)
{
    if (!k || !is_id(k->org_id) || k->rate_per_min < 0 || k->expires_at < 0)
        return RR_ERR_INVAL;
    int err = text_ok(k->prefix, STORE_PREFIX_MAX);
    if (!err)
        err = text_ok(k->key_hash, STORE_HASH_MAX);
    if (!err && !terminated(k->name, sizeof k->name))
        err = RR_ERR_TOOBIG;
    if (err)
        return err;
    store_new_id(k->id);
    k->created_at = store_now(s);
    k->revoked_at = k->last_used_at = 0;
    return s->ops->apikey_create(s, k);
}

int store_apikey_get_by_prefix(struct store *s, const char *prefix, struct store_apikey *out)
{
    if (!out)
        return RR_ERR_INVAL;
    if (text_ok(prefix, STORE_PREFIX_MAX))
        return RR_ERR_NOTFOUND;
    return s->ops->apikey_get_by_prefix(s, prefix, out);
}

int store_apikey_list(struct store *s, const char *org_id, struct store_apikey **items, size_t *n)
{
    if (!items || !n)
        return RR_ERR_INVAL;
    *items = NULL;
    *n = 0;
    if (!is_id(org_id))
        return 0;
    return s->ops->apikey_list(s, org_id, items, n);
}

int store_apikey_revoke(struct store *s, const char *org_id, const char *id)
{
    if ((org_id && !is_id(org_id)) || !is_id(id))
        return RR_ERR_NOTFOUND;
    return s->ops->apikey_revoke(s, org_id, id);
}

int store_apikey_touch(struct store *s, const char *id, int64_t min_gap_ms)
{
    if (!is_id(id))
        return RR_ERR_NOTFOUND;
    if (min_gap_ms < 0)
        return RR_ERR_INVAL;
    return s->ops->apikey_touch(s, id, min_gap_ms);
}

int store_invite_create(struct store *s, struct store_invite *inv)
{
    if (!inv || !is_id(inv->org_id) || inv->expires_at <= 0)
        return RR_ERR_INVAL;
    int err = text_ok(inv->code_hash, STORE_HASH_MAX);
    if (err)
        return err;
    store_new_id(inv->id);
    inv->created_at = store_now(s);
    inv->used_at = 0;
    inv->used_by[0] = '\0';
    return s->ops->invite_create(s, inv);
}

int store_invite_list(struct store *s, const char *org_id, struct store_invite **items, size_t *n)
{
    if (!items || !n)
        return RR_ERR_INVAL;
    *items = NULL;
    *n = 0;
    if (!is_id(org_id))
        return 0;
    return s->ops->invite_list(s, org_id, items, n);
}

int store_invite_redeem(struct store *s, const char *code_hash, const char *user_id,
                        unsigned shares, struct store_org_member *out)
{
    return store_invite_redeem_ev(s, code_hash, user_id, shares, out, NULL);
}

int store_invite_redeem_ev(struct store *s, const char *code_hash, const char *user_id,
                           unsigned shares, struct store_org_member *out,
                           const struct store_outbox_event *ev)
{
    if (!out || store__outbox_event_ok(ev))
        return RR_ERR_INVAL;
    if (text_ok(code_hash, STORE_HASH_MAX) || !is_id(user_id))
        return RR_ERR_NOTFOUND;
    return s->ops->invite_redeem(s, code_hash, user_id, shares, out, ev);
}

int store_member_get(struct store *s, const char *org_id, const char *user_id,
                     struct store_org_member *out)
{
    if (!out)
        return RR_ERR_INVAL;
    if (!is_id(org_id) || !is_id(user_id))
        return RR_ERR_NOTFOUND;
    return s->ops->member_get(s, org_id, user_id, out);
}

int store_member_orgs(struct store *s, const char *user_id, struct store_org_member **items,
                      size_t *n)
{
    if (!items || !n)
        return RR_ERR_INVAL;
    *items = NULL;
    *n = 0;
    if (!is_id(user_id))
        return 0;
    return s->ops->member_orgs(s, user_id, items, n);
}

int store_member_list(struct store *s, const char *org_id, const char *cursor, int limit,
                      struct store_org_member **items, size_t *n,
                      char next_cursor[STORE_CURSOR_MAX])
{
    int64_t t;
    char id[STORE_ID_LEN + 1];
    int err = page_args(cursor, limit, &t, id, items, n, next_cursor);
    if (err)
        return err;
    *items = NULL;
    if (!is_id(org_id))
        return 0;
    err = s->ops->member_list(s, org_id, t, id, limit + 1, items, n);
    if (!err && *n > (size_t)limit)
        page_finish(n, limit, (*items)[limit - 1].created_at, (*items)[limit - 1].user_id,
                    next_cursor);
    return err;
}

int store_member_unlink(struct store *s, const char *user_id, const char *org_id)
{
    return store_member_unlink_ev(s, user_id, org_id, NULL);
}

int store_member_unlink_ev(struct store *s, const char *user_id, const char *org_id,
                           const struct store_outbox_event *ev)
{
    if (store__outbox_event_ok(ev))
        return RR_ERR_INVAL;
    if (!is_id(org_id) || !is_id(user_id))
        return RR_ERR_NOTFOUND;
    return s->ops->member_unlink(s, user_id, org_id, ev);
}

int store_org_aggregates(struct store *s, const char *org_id, unsigned share_mask,
                         const char *from_day, const char *to_day,
                         struct store_org_aggregate **items, size_t *n)
{
    if (!items || !n || !is_day(from_day) || !is_day(to_day))
        return RR_ERR_INVAL;
    *items = NULL;
    *n = 0;
    if (!is_id(org_id))
        return 0;
    return s->ops->org_aggregates(s, org_id, share_mask, from_day, to_day, items, n);
}

/* ---- shared with the module's other files (store_internal.h) ------------------------------- */

bool store__is_id(const char *id)
{
    return is_id(id);
}

int store__page_args(const char *cursor, int limit, int64_t *t, char id[STORE_ID_LEN + 1],
                     void *items, size_t *n, char *next)
{
    return page_args(cursor, limit, t, id, items, n, next);
}

void store__page_finish(size_t *n, int limit, int64_t last_t, const char *last_id, char *next)
{
    page_finish(n, limit, last_t, last_id, next);
}

/* ---- plans, usage, flags, billing ------------------------------------------------------------ */

#define NEED_OP(s, op)                                                                             \
    do {                                                                                           \
        if (!(s)->ops->op)                                                                         \
            return RR_ERR_UNSUPPORTED;                                                             \
    } while (0)

static bool is_month(const char *m)
{
    if (!m || strlen(m) != STORE_MONTH_LEN || m[4] != '-')
        return false;
    for (int i = 0; i < STORE_MONTH_LEN; i++)
        if (i != 4 && (m[i] < '0' || m[i] > '9'))
            return false;
    int mm = (m[5] - '0') * 10 + (m[6] - '0');
    return mm >= 1 && mm <= 12;
}

/* A name: 1..max bytes of [a-z0-9_.-] (plans, metrics, flags, scopes). */
static bool is_name(const char *t, size_t max)
{
    size_t len = t ? strlen(t) : 0;
    if (len == 0 || len > max)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = t[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              c == '-'))
            return false;
    }
    return true;
}

void store_month_of(int64_t t_ms, char out[STORE_MONTH_LEN + 1])
{
    time_t t = (time_t)(t_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    unsigned y = (unsigned)(tm.tm_year + 1900) % 10000u, mo = (unsigned)(tm.tm_mon % 12) + 1u;
    snprintf(out, STORE_MONTH_LEN + 1, "%04u-%02u", y, mo);
}

int store_user_set_plan(struct store *s, const char *user_id, const char *plan)
{
    NEED_OP(s, user_set_plan);
    if (!is_id(user_id))
        return RR_ERR_NOTFOUND;
    if (!is_name(plan, STORE_PLAN_MAX))
        return RR_ERR_INVAL;
    return s->ops->user_set_plan(s, user_id, plan);
}

int store_user_set_org(struct store *s, const char *user_id, const char *org_id)
{
    NEED_OP(s, user_set_org);
    if (!is_id(user_id))
        return RR_ERR_NOTFOUND;
    if (opt_text_ok(org_id, STORE_ORG_MAX))
        return RR_ERR_TOOBIG;
    return s->ops->user_set_org(s, user_id, org_id && org_id[0] ? org_id : NULL);
}

int store_plan_list(struct store *s, struct store_plan **items, size_t *n)
{
    if (!items || !n)
        return RR_ERR_INVAL;
    *items = NULL;
    *n = 0;
    NEED_OP(s, plan_list);
    return s->ops->plan_list(s, items, n);
}

int store_plan_get(struct store *s, const char *id, struct store_plan *out)
{
    if (!out)
        return RR_ERR_INVAL;
    NEED_OP(s, plan_get);
    if (!is_name(id, STORE_PLAN_MAX))
        return RR_ERR_NOTFOUND;
    return s->ops->plan_get(s, id, NULL, out);
}

int store_org_plan(struct store *s, const char *org_id, struct store_plan *out)
{
    if (!out)
        return RR_ERR_INVAL;
    NEED_OP(s, plan_get);
    if (text_ok(org_id, STORE_ORG_MAX))
        return RR_ERR_NOTFOUND;
    return s->ops->plan_get(s, NULL, org_id, out);
}

int store_video_create_metered(struct store *s, struct store_video *v, const char *metric,
                               const char *org_id, struct store_meter *m)
{
    struct store_meter scratch;
    NEED_OP(s, video_create_metered);
    if (!v || !is_id(v->user_id) || v->size < 0 || v->duration_ms < 0 ||
        !is_name(metric, STORE_METRIC_MAX) || opt_text_ok(org_id, STORE_ORG_MAX))
        return RR_ERR_INVAL;
    if (v->id[0] == '\0')
        store_new_id(v->id);
    if (!is_id(v->id) || !memchr(v->blob_key, 0, sizeof v->blob_key) ||
        !memchr(v->sha256, 0, sizeof v->sha256) || !memchr(v->status, 0, sizeof v->status) ||
        !v->blob_key[0] || !v->status[0])
        return RR_ERR_INVAL;
    if (!m)
        m = &scratch;
    memset(m, 0, sizeof *m);
    m->limit = -1;
    v->created_at = store_now(s);
    char month[STORE_MONTH_LEN + 1];
    store_month_of(v->created_at, month);
    return s->ops->video_create_metered(s, v, metric, org_id && org_id[0] ? org_id : NULL, month,
                                        m);
}

int store_usage_add(struct store *s, const char *user_id, const char *org_id, const char *metric,
                    int64_t quantity, const char *ref_id)
{
    NEED_OP(s, usage_add);
    if (!is_id(user_id))
        return RR_ERR_NOTFOUND;
    if (!is_name(metric, STORE_METRIC_MAX) || quantity < 0 || opt_text_ok(org_id, STORE_ORG_MAX) ||
        opt_text_ok(ref_id, STORE_ID_LEN))
        return RR_ERR_INVAL;
    char month[STORE_MONTH_LEN + 1];
    store_month_of(store_now(s), month);
    return s->ops->usage_add(s, user_id, org_id && org_id[0] ? org_id : NULL, metric, quantity,
                             ref_id ? ref_id : "", month);
}

int store_usage_list(struct store *s, const char *month, const char *user_id,
                     struct store_usage_row **items, size_t *n)
{
    if (!items || !n)
        return RR_ERR_INVAL;
    *items = NULL;
    *n = 0;
    NEED_OP(s, usage_list);
    if (!is_month(month))
        return RR_ERR_INVAL;
    if (user_id && !is_id(user_id))
        return RR_ERR_NOTFOUND;
    return s->ops->usage_list(s, month, user_id, items, n);
}

int store_flag_list(struct store *s, const char *user_id, const char *org_id, const char *plan,
                    struct store_flag **items, size_t *n)
{
    if (!items || !n)
        return RR_ERR_INVAL;
    *items = NULL;
    *n = 0;
    NEED_OP(s, flag_list);
    if (opt_text_ok(user_id, STORE_ID_LEN) || opt_text_ok(org_id, STORE_ORG_MAX) ||
        opt_text_ok(plan, STORE_PLAN_MAX))
        return RR_ERR_TOOBIG;
    return s->ops->flag_list(s, user_id && user_id[0] ? user_id : NULL,
                             org_id && org_id[0] ? org_id : NULL, plan && plan[0] ? plan : NULL,
                             items, n);
}

int store_flag_set(struct store *s, const char *name, const char *description, int percent)
{
    NEED_OP(s, flag_set);
    if (!is_name(name, STORE_FLAG_MAX) || percent < 0 || percent > 100)
        return RR_ERR_INVAL;
    if (opt_text_ok(description, 255))
        return RR_ERR_TOOBIG;
    return s->ops->flag_set(s, name, description, percent);
}

int store_flag_rule(struct store *s, const char *name, const char *scope, const char *subject,
                    int enabled)
{
    NEED_OP(s, flag_rule);
    if (!is_name(name, STORE_FLAG_MAX) || !scope ||
        (strcmp(scope, "plan") != 0 && strcmp(scope, "org") != 0 && strcmp(scope, "user") != 0) ||
        text_ok(subject, STORE_ORG_MAX) || enabled < -1 || enabled > 1)
        return RR_ERR_INVAL;
    return s->ops->flag_rule(s, name, scope, subject, enabled);
}

int store_billing_apply(struct store *s, const char *event_id, const char *type,
                        const char *user_id, const char *plan, int *duplicate)
{
    if (!duplicate)
        return RR_ERR_INVAL;
    *duplicate = 0;
    NEED_OP(s, billing_apply);
    if (text_ok(event_id, STORE_KEY_MAX) || text_ok(type, STORE_NAME_MAX * 2))
        return RR_ERR_INVAL;
    if (!is_id(user_id))
        return RR_ERR_NOTFOUND;
    if (!is_name(plan, STORE_PLAN_MAX))
        return RR_ERR_INVAL;
    return s->ops->billing_apply(s, event_id, type, user_id, plan, duplicate);
}
