/*
 * workouts.c - the training history resource: list (cursor pages, filters), detail, delete,
 * device sync and export of the caller's workouts.
 *
 * DESIGN:
 *  - Every query is scoped to the authenticated user through the store (owner filter); someone
 *    else's workout id answers 404 exactly like an unknown one (BOLA).
 *  - POST /v1/sync is idempotent on (user, client_id): the store keeps the key, so a retried
 *    upload from a phone answers 200 with the first workout's id and writes nothing. The body is
 *    checked by a schema (unknown fields -> 400), and each rep by the rep schema with the same
 *    rules, reported as "reps[3].score". Arrays are bounded (reps <= SYNC_REPS_MAX, faults per rep
 *    <= SYNC_FAULTS_MAX) so a sync costs bounded memory.
 *  - Saving and deleting are the app's use cases (app_save_workout, app_delete_workout); the
 *    store keeps analytics in the same transaction; this file parses, checks and renders.
 *  - Export writes the whole history to an unlinked temporary file, then serves it with
 *    http_reply_file: memory stays bounded whatever the history size (capped at
 *    ANALYTICS_SCAN_MAX workouts -> 413 beyond).
 *  - Deleting a workout recorded from a video also deletes that video (app_delete_workout).
 */
#include "api/api.h"
#include "api/paging.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analytics/analytics.h"
#include "base/rr_error.h"
#include "base/rr_json.h"
#include "http/request.h"
#include "http/validate.h"
#include "store/store.h"
#include "api/history.h"

#define SYNC_REPS_MAX 1000
#define SYNC_FAULTS_MAX 8
#define SYNC_FAULT_LEN 48
#define SYNC_SECONDS_MAX 86400.0
#define SYNC_CUE_MAX 160

/* ---- schemas -------------------------------------------------------------------------------- */

static const char *const verdicts[] = {"good", "bad", "cannot_judge", NULL};

/* What a device measured on a rep: the members of a video rep's metrics (src/app/analyze.c),
 * numbers bounded, text short; stored with the verdict and cue. */
#define SYNC_METRIC_NUM(n, lo, hi) \
    {.name = n, .type = VALIDATE_NUMBER, .has_min = 1, .min = lo, .has_max = 1, .max = hi}
#define SYNC_METRIC_TEXT(n) \
    {.name = n, .type = VALIDATE_STRING, .has_min = 1, .min = 1, .has_max = 1, .max = 48}
static const struct validate_field metric_fields[] = {
    SYNC_METRIC_NUM("rom", -1e6, 1e6),          SYNC_METRIC_TEXT("rom_unit"),
    SYNC_METRIC_NUM("depth", -1e6, 1e6),        SYNC_METRIC_TEXT("depth_name"),
    SYNC_METRIC_NUM("concentric_s", 0, 3600),   SYNC_METRIC_NUM("eccentric_s", 0, 3600),
    SYNC_METRIC_NUM("symmetry_deg", -360, 360), SYNC_METRIC_NUM("confidence", 0, 1),
    SYNC_METRIC_TEXT("cannot_judge_reason"),
};
static const struct validate_schema metric_schema = {
    "SyncRepMetrics", metric_fields, sizeof metric_fields / sizeof metric_fields[0]};

static const struct validate_field rep_fields[] = {
    {.name = "t_start", .type = VALIDATE_NUMBER, .required = 1, .has_min = 1, .min = 0,
     .has_max = 1, .max = SYNC_SECONDS_MAX, .description = "seconds from the session start"},
    {.name = "t_end", .type = VALIDATE_NUMBER, .required = 1, .has_min = 1, .min = 0,
     .has_max = 1, .max = SYNC_SECONDS_MAX, .description = "seconds, >= t_start"},
    {.name = "score", .type = VALIDATE_NUMBER, .required = 1, .has_min = 1, .min = 0,
     .has_max = 1, .max = 100},
    {.name = "verdict", .type = VALIDATE_STRING, .pattern = VALIDATE_ENUM,
     .enum_values = verdicts},
    {.name = "faults", .type = VALIDATE_ARRAY, .has_max = 1, .max = SYNC_FAULTS_MAX,
     .description = "fault names, [a-z0-9_]{1,48}"},
    {.name = "metrics", .type = VALIDATE_OBJECT, .object = &metric_schema,
     .description = "what was measured (range of motion, depth, tempo, symmetry, confidence)"},
    {.name = "cue", .type = VALIDATE_STRING, .has_min = 1, .min = 1, .has_max = 1,
     .max = SYNC_CUE_MAX, .description = "the coaching cue shown and said for the rep"},
};
static const struct validate_schema rep_schema = {"SyncRep", rep_fields,
                                                  sizeof rep_fields / sizeof rep_fields[0]};

static const struct validate_field sync_fields[] = {
    {.name = "client_id", .type = VALIDATE_STRING, .required = 1, .has_min = 1, .min = 1,
     .has_max = 1, .max = STORE_CLIENT_ID_MAX,
     .description = "device-chosen idempotency key of the session"},
    {.name = "session_id", .type = VALIDATE_STRING, .has_min = 1, .min = 1, .has_max = 1,
     .max = STORE_CLIENT_ID_MAX,
     .description = "device-chosen id of the training session: its sets of one exercise are "
                    "kept together as one workout"},
    {.name = "started_at", .type = VALIDATE_STRING, .required = 1, .has_max = 1, .max = 40,
     .description = "RFC 3339 time, e.g. 2026-03-01T10:00:00Z"},
    {.name = "exercise", .type = VALIDATE_STRING, .required = 1, .pattern = VALIDATE_ENUM,
     .enum_values = app_exercise_names},
    {.name = "duration_ms", .type = VALIDATE_INT, .has_min = 1, .min = 0, .has_max = 1,
     .max = SYNC_SECONDS_MAX * 1000},
    {.name = "load_kg", .type = VALIDATE_NUMBER, .has_min = 1, .min = 0, .has_max = 1,
     .max = 1000, .description = "external load; volume = load_kg x reps"},
    {.name = "hold_ms", .type = VALIDATE_INT, .has_min = 1, .min = 0, .has_max = 1,
     .max = SYNC_SECONDS_MAX * 1000, .description = "plank hold"},
    {.name = "score", .type = VALIDATE_NUMBER, .has_min = 1, .min = 0, .has_max = 1, .max = 100,
     .description = "set score; default the mean rep score"},
    {.name = "reps", .type = VALIDATE_ARRAY, .required = 1, .has_max = 1, .max = SYNC_REPS_MAX,
     .description = "SyncRep objects: {t_start, t_end, score, verdict?, faults?, metrics?, cue?}"},
};
static const struct validate_schema sync_schema = {"SyncRequest", sync_fields,
                                                   sizeof sync_fields / sizeof sync_fields[0]};

/* ---- JSON views ----------------------------------------------------------------------------- */

/* One workout's detail: SYNC_REPS_MAX reps of a device set, or a long video's reps, each with
 * its metrics (well under 1 KB) fit many times over. */
#define WORKOUT_MAX_BYTES (8u << 20)

/* A workout with its name and rep counts: reps over its sets, and its stored reps by verdict
 * ("good", "bad", "cannot_judge"), so a list can colour a set by what its reps were judged.
 * The list item of GET /v1/workouts (its hot path) and the head of the detail. */
static void workout_members(struct rr_json *o, const struct store_workout *w)
{
    RR_JSON_KEY(o, "id");
    rr_json_string(o, w->id);
    RR_JSON_KEY(o, "exercise");
    rr_json_string(o, w->exercise);
    RR_JSON_KEY(o, "started_at");
    rr_json_time_ms(o, w->started_at);
    RR_JSON_KEY(o, "duration_ms");
    rr_json_int(o, w->duration_ms);
    RR_JSON_KEY(o, "score");
    rr_json_real_digits(o, w->score, 0);
    RR_JSON_KEY(o, "video_id");
    rr_json_string(o, w->video_id[0] ? w->video_id : NULL);
    RR_JSON_KEY(o, "source");
    rr_json_string(o, w->video_id[0] ? "video" : "device");
    RR_JSON_KEY(o, "created_at");
    rr_json_time_ms(o, w->created_at);
    RR_JSON_KEY(o, "name");
    rr_json_string(o, w->name);
    RR_JSON_KEY(o, "reps");
    rr_json_int(o, w->reps);
    RR_JSON_KEY(o, "verdicts");
    rr_json_object_begin(o);
    RR_JSON_KEY(o, "good");
    rr_json_int(o, w->reps_good);
    RR_JSON_KEY(o, "bad");
    rr_json_int(o, w->reps_bad);
    RR_JSON_KEY(o, "cannot_judge");
    rr_json_int(o, w->reps_unjudged);
    rr_json_object_end(o);
}

static void workout_out(struct rr_json *o, const struct store_workout *w)
{
    rr_json_object_begin(o);
    workout_members(o, w);
    rr_json_object_end(o);
}

/* A stored rep: its metrics and faults are JSON text written by the analysis (rr_json) or by
 * a validated sync; they are parsed only to check their shape and read the verdict, and
 * embedded as they are. */
static void rep_out(struct rr_json *o, const struct store_rep *r)
{
    json_t *metrics = json_loads(r->metrics, 0, NULL);
    json_t *faults = json_loads(r->faults, 0, NULL);
    json_t *verdict = json_object_get(metrics, "verdict"); /* NULL unless an object has it */
    /* a rep that cannot be judged has no score: the column's 0 (or whatever a device sent) is
     * a placeholder, so it reads null, never 0 or 100 */
    int unjudged = json_is_string(verdict) &&
                   strcmp(json_string_value(verdict), "cannot_judge") == 0;
    rr_json_object_begin(o);
    RR_JSON_KEY(o, "idx");
    rr_json_int(o, r->idx);
    RR_JSON_KEY(o, "t_start");
    rr_json_real(o, (double)r->t_start_ms / 1000.0);
    RR_JSON_KEY(o, "t_end");
    rr_json_real(o, (double)r->t_end_ms / 1000.0);
    RR_JSON_KEY(o, "score");
    if (unjudged)
        rr_json_null(o);
    else
        rr_json_real(o, r->score);
    RR_JSON_KEY(o, "verdict");
    rr_json_string(o, json_is_string(verdict) ? json_string_value(verdict) : NULL);
    RR_JSON_KEY(o, "metrics");
    if (json_is_object(metrics))
        rr_json_verbatim(o, r->metrics, strlen(r->metrics));
    else
        rr_json_verbatim(o, "{}", 2);
    RR_JSON_KEY(o, "faults");
    if (json_is_array(faults))
        rr_json_verbatim(o, r->faults, strlen(r->faults));
    else
        rr_json_verbatim(o, "[]", 2);
    rr_json_object_end(o);
    json_decref(metrics);
    json_decref(faults);
}

/* The workout with its sets, each holding its reps, written into o. */
static int workout_full_out(struct rr_json *o, struct store *st, const char *user_id,
                            const struct store_workout *w)
{
    struct store_set *sets = NULL;
    struct store_rep *reps = NULL;
    size_t ns = 0, nr = 0;
    int err = store_workout_sets(st, user_id, w->id, &sets, &ns);
    if (!err)
        err = store_workout_reps(st, user_id, w->id, &reps, &nr);
    if (!err) {
        rr_json_object_begin(o);
        workout_members(o, w);
        RR_JSON_KEY(o, "sets");
        rr_json_array_begin(o);
        for (size_t i = 0; i < ns; i++) {
            const struct store_set *s = &sets[i];
            rr_json_object_begin(o);
            RR_JSON_KEY(o, "idx");
            rr_json_int(o, s->idx);
            RR_JSON_KEY(o, "exercise");
            rr_json_string(o, s->exercise);
            RR_JSON_KEY(o, "rep_count");
            rr_json_int(o, s->reps);
            RR_JSON_KEY(o, "score");
            rr_json_real(o, s->score);
            RR_JSON_KEY(o, "load_kg");
            rr_json_real(o, s->load_kg);
            RR_JSON_KEY(o, "hold_ms");
            rr_json_int(o, s->hold_ms);
            RR_JSON_KEY(o, "reps");
            rr_json_array_begin(o);
            for (size_t j = 0; j < nr; j++)
                if (strcmp(reps[j].set_id, s->id) == 0)
                    rep_out(o, &reps[j]);
            rr_json_array_end(o);
            rr_json_object_end(o);
        }
        rr_json_array_end(o);
        rr_json_object_end(o);
    }
    free(sets);
    free(reps);
    return err;
}

/* ---- list ----------------------------------------------------------------------------------- */

#define LIST_STACK_BYTES 8192     /* a 20-item page is ~4.3 KB: no heap on the common path */
#define LIST_MAX_BYTES (1u << 20) /* 100 items are ~30 KB */

static int workouts_list(struct http_request *req, void *app)
{
    struct app *a = app;
    const struct api_principal *p = api_principal(req);
    struct api_page pg;
    int has_from, has_to;
    int64_t from, to;
    if (api_page_query(req, 20, &pg) || history_query_day(req, "from", &from, &has_from) ||
        history_query_day(req, "to", &to, &has_to))
        return 0;
    const char *exercise = http_request_query(req, "exercise");
    if (exercise && !app_exercise_known(exercise))
        return history_reply_invalid(req, "exercise", "must be one of the known exercises");
    if (has_from && has_to && to < from)
        return history_reply_invalid(req, "to", "must not be before from");

    /* a hit answers without the store (plan and list); every write of the user invalidates */
    char cname[APP_CACHE_NAME_MAX + 1];
    struct app_cache_ticket ticket = {0, 0};
    int cn = snprintf(cname, sizeof cname, "wl|%d|%s|%lld|%lld|%s", pg.limit,
                      pg.cursor ? pg.cursor : "", has_from ? (long long)from : -1LL,
                      has_to ? (long long)to : -1LL, exercise ? exercise : "");
    int cacheable = cn > 0 && (size_t)cn < sizeof cname && !(pg.cursor && strchr(pg.cursor, '|'));
    if (cacheable) {
        int served = 0, err = api_reply_cached(req, a, p->user_id, cname, &ticket, &served);
        if (served)
            return err;
    }

    struct store_workout_filter f = {exercise, has_from ? from : 0,
                                     has_to ? to + ANALYTICS_DAY_MS : 0};
    /* the plan's history (history_days): older workouts are hidden, not deleted, so a better
     * plan shows them again (the same cut-off as by id, the export and analytics) */
    int64_t kept_from = app_history_from(a, p->user_id);
    if (kept_from > f.from)
        f.from = kept_from;
    if (f.to && f.to < f.from)
        f.to = f.from; /* an empty range, not "open" */
    struct store_workout *items = NULL;
    size_t n = 0;
    int err = store_workout_list(a->store, p->user_id, &f, pg.cursor, pg.limit, &items, &n,
                                 pg.next);
    if (err)
        return api_page_store_error(req, err);
    char stack[LIST_STACK_BYTES];
    struct rr_json o;
    rr_json_init(&o, stack, sizeof stack, LIST_MAX_BYTES);
    api_list_begin(&o);
    for (size_t i = 0; i < n; i++)
        workout_out(&o, &items[i]);
    free(items);
    api_page_end(&o, &pg);
    if (cacheable && !rr_json_error(&o))
        app_cache_put(a, p->user_id, cname, &ticket, rr_json_data(&o), rr_json_len(&o));
    return api_reply_json(req, 200, &o);
}

/* ---- detail / delete ------------------------------------------------------------------------ */

static int workouts_get(struct http_request *req, void *app)
{
    struct app *a = app;
    const struct api_principal *p = api_principal(req);
    struct store_workout w;
    int err = app_workout_get(a, p->user_id, http_request_param(req, "id"), &w);
    if (err)
        return err;
    struct rr_json o;
    rr_json_init(&o, NULL, 0, WORKOUT_MAX_BYTES);
    err = workout_full_out(&o, a->store, p->user_id, &w);
    if (!err)
        err = http_reply_writer(req, 200, &o);
    rr_json_release(&o);
    return err;
}

static const struct validate_field rename_fields[] = {
    {.name = "name", .type = VALIDATE_STRING, .required = 1, .has_max = 1, .max = 80,
     .description = "the workout's name; \"\" clears it (the app then shows the exercise)"},
};
static const struct validate_schema rename_schema = {"WorkoutPatch", rename_fields,
                                                     sizeof rename_fields / sizeof rename_fields[0]};

static int workouts_patch(struct http_request *req, void *app)
{
    struct app *a = app;
    const struct api_principal *p = api_principal(req);
    const char *name = json_string_value(json_object_get(http_request_json(req), "name"));
    for (const unsigned char *c = (const unsigned char *)name; c && *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            return history_reply_invalid(req, "name", "must not contain control characters");
    int err = app_rename_workout(a, p->user_id, http_request_param(req, "id"), name);
    if (err)
        return err;
    struct store_workout w;
    err = app_workout_get(a, p->user_id, http_request_param(req, "id"), &w);
    if (err)
        return err;
    struct rr_json o; /* the workout as the list shows it */
    char stack[1024];
    rr_json_init(&o, stack, sizeof stack, 16384);
    workout_out(&o, &w);
    err = http_reply_writer(req, 200, &o);
    rr_json_release(&o);
    return err;
}

static int workouts_delete(struct http_request *req, void *app)
{
    const struct api_principal *p = api_principal(req);
    int err = app_delete_workout(app, p->user_id, http_request_param(req, "id"));
    if (err)
        return err;
    return http_reply_bytes(req, 204, "", 0, NULL);
}

/* ---- sync ----------------------------------------------------------------------------------- */

static int fault_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > SYNC_FAULT_LEN)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return 0;
    return 1;
}

static int add_detail(json_t *details, const char *field, const char *problem)
{
    return json_array_append_new(details, json_pack("{s:s,s:s}", "field", field, "problem",
                                                    problem));
}

/* Check every rep; problems go to details with "reps[i]." names; *unknown set when a rep had a
 * field the schema does not know. */
static int check_reps(json_t *reps, json_t *details, int *unknown)
{
    size_t i;
    json_t *r;
    char field[96];
    json_array_foreach(reps, i, r) {
        json_t *d = NULL;
        if (!json_is_object(r)) {
            snprintf(field, sizeof field, "reps[%zu]", i);
            add_detail(details, field, "must be of type object");
            continue;
        }
        int rc = validate_json(&rep_schema, r, &d);
        if (rc == RR_ERR_NOMEM) {
            json_decref(d);
            return rc;
        }
        if (rc == RR_ERR_INVAL)
            *unknown = 1;
        size_t k;
        json_t *item;
        json_array_foreach(d, k, item) {
            const char *f = json_string_value(json_object_get(item, "field"));
            const char *pr = json_string_value(json_object_get(item, "problem"));
            snprintf(field, sizeof field, "reps[%zu]%s%s", i, f && f[0] ? "." : "", f ? f : "");
            add_detail(details, field, pr ? pr : "invalid");
        }
        json_decref(d);
        if (rc != 0)
            continue;
        if (json_number_value(json_object_get(r, "t_end")) <
            json_number_value(json_object_get(r, "t_start"))) {
            snprintf(field, sizeof field, "reps[%zu].t_end", i);
            add_detail(details, field, "must not be before t_start");
        }
        size_t j;
        json_t *fv;
        json_array_foreach(json_object_get(r, "faults"), j, fv) {
            if (!json_is_string(fv) || !fault_name_ok(json_string_value(fv))) {
                snprintf(field, sizeof field, "reps[%zu].faults[%zu]", i, j);
                add_detail(details, field, "must be a fault name [a-z0-9_]{1,48}");
            }
        }
    }
    return 0;
}

static double num_or(json_t *body, const char *name, double dflt)
{
    json_t *v = json_object_get(body, name);
    return json_is_number(v) ? json_number_value(v) : dflt;
}

static int sync_build(json_t *body, struct store_rep *reps, size_t n, struct store_set *set)
{
    json_t *arr = json_object_get(body, "reps");
    double sum = 0;
    size_t scored = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *r = json_array_get(arr, i);
        struct store_rep *sr = &reps[i];
        memset(sr, 0, sizeof *sr);
        sr->set_idx = 0;
        sr->idx = (int)i + 1; /* reps are numbered from 1, as in an analysed video */
        sr->t_start_ms = (int64_t)(json_number_value(json_object_get(r, "t_start")) * 1000.0);
        sr->t_end_ms = (int64_t)(json_number_value(json_object_get(r, "t_end")) * 1000.0);
        sr->score = json_number_value(json_object_get(r, "score"));
        json_t *verdict = json_object_get(r, "verdict");
        /* a rep that cannot be judged has no score, whatever the device sent: 0 stands in (the
         * column is NOT NULL) and it stays out of the set's mean */
        if (json_is_string(verdict) && strcmp(json_string_value(verdict), "cannot_judge") == 0)
            sr->score = 0;
        else {
            sum += sr->score;
            scored++;
        }
        json_t *faults = json_object_get(r, "faults");
        json_t *m = json_deep_copy(json_object_get(r, "metrics"));
        if (!m)
            m = json_object();
        json_t *cue = json_object_get(r, "cue");
        if (m && verdict)
            json_object_set(m, "verdict", verdict);
        if (m && cue)
            json_object_set(m, "cue", cue);
        char *mt = m ? json_dumps(m, JSON_COMPACT) : NULL;
        char *ft = faults ? json_dumps(faults, JSON_COMPACT) : NULL;
        json_decref(m);
        int bad = !mt || (faults && !ft) || strlen(mt) > STORE_METRICS_MAX ||
                  (ft && strlen(ft) > STORE_FAULTS_MAX);
        if (!bad) {
            snprintf(sr->metrics, sizeof sr->metrics, "%s", mt);
            snprintf(sr->faults, sizeof sr->faults, "%s", ft ? ft : "[]");
        }
        free(mt);
        free(ft);
        if (bad)
            return RR_ERR_NOMEM; /* sizes are bounded by the schema: only allocation fails */
    }
    set->reps = (int)n;
    set->score = num_or(body, "score", scored ? sum / (double)scored : 0);
    set->load_kg = num_or(body, "load_kg", 0);
    set->hold_ms = (int64_t)num_or(body, "hold_ms", 0);
    return 0;
}

static int workouts_sync(struct http_request *req, void *app)
{
    struct app *a = app;
    const struct api_principal *p = api_principal(req);
    json_t *body = http_request_json(req);
    json_t *details = json_array();
    struct store_rep *reps = NULL;
    struct store_workout w;
    struct store_set set;
    int unknown = 0, err;
    int64_t started = 0;
    memset(&w, 0, sizeof w);
    memset(&set, 0, sizeof set);
    if (!details)
        return RR_ERR_NOMEM;
    json_t *rarr = json_object_get(body, "reps");
    size_t n = json_array_size(rarr);
    err = check_reps(rarr, details, &unknown);
    if (err)
        goto out;
    if (history_time_parse(json_string_value(json_object_get(body, "started_at")), &started) != 0)
        add_detail(details, "started_at", "must be an RFC 3339 time such as 2026-03-01T10:00:00Z");
    if (json_array_size(details) > 0) {
        err = http_reply_error(req, unknown ? 400 : 422,
                               unknown ? "unknown_field" : "validation_failed",
                               unknown ? "the request has fields this endpoint does not accept"
                                       : "the request body is invalid",
                               details);
        details = NULL;
        goto out;
    }

    reps = n ? calloc(n, sizeof *reps) : NULL;
    err = RR_ERR_NOMEM;
    if (n && !reps)
        goto out;
    err = sync_build(body, reps, n, &set);
    if (err)
        goto out;
    const char *exercise = json_string_value(json_object_get(body, "exercise"));
    snprintf(w.user_id, sizeof w.user_id, "%s", p->user_id);
    snprintf(w.exercise, sizeof w.exercise, "%s", exercise);
    snprintf(set.exercise, sizeof set.exercise, "%s", exercise);
    w.started_at = started;
    int64_t span = n ? reps[n - 1].t_end_ms : set.hold_ms;
    w.duration_ms = (int64_t)num_or(body, "duration_ms", (double)span);
    w.score = set.score;
    const char *client_id = json_string_value(json_object_get(body, "client_id"));
    const char *session_id = json_string_value(json_object_get(body, "session_id"));
    enum app_saved how;
    if (session_id) {
        /* one workout per (session, exercise): the history and analytics unit is an exercise */
        char key[STORE_SESSION_KEY_MAX + 1];
        snprintf(key, sizeof key, "session/%s/%s", exercise, session_id);
        err = app_save_session_set(a, &w, &set, reps, n, client_id, key, &how);
    } else {
        err = app_save_workout(a, &w, &set, 1, reps, n, client_id, &how);
    }
    if (err == RR_ERR_CONFLICT) {
        err = http_reply_error(req, 409, "client_id_reused",
                               "this client_id was already used for a different workout", NULL);
        goto out;
    }
    if (err)
        goto out;
    {
        char stack[1024];
        struct rr_json o;
        rr_json_init(&o, stack, sizeof stack, 16 * 1024);
        rr_json_object_begin(&o);
        RR_JSON_KEY(&o, "workout_id");
        rr_json_string(&o, w.id);
        RR_JSON_KEY(&o, "created");
        rr_json_bool(&o, how == APP_SAVED_NEW);
        RR_JSON_KEY(&o, "workout");
        if (how == APP_SAVED_GONE) /* the earlier workout was deleted since: the key holds */
            rr_json_null(&o);
        else
            workout_out(&o, &w);
        rr_json_object_end(&o);
        err = http_reply_writer(req, how == APP_SAVED_NEW ? 201 : 200, &o);
        rr_json_release(&o);
    }
out:
    json_decref(details);
    free(reps);
    return err;
}

/* ---- export --------------------------------------------------------------------------------- */

static const char *const csv_header[] = {
    "workout_id", "started_at", "exercise", "duration_ms", "workout_score", "source", "set_idx",
    "load_kg",    "hold_ms",    "rep_idx",  "t_start",     "t_end",         "rep_score", "verdict",
    "faults"};
#define CSV_COLS (sizeof csv_header / sizeof csv_header[0])

static void csv_row(FILE *fp, const struct store_workout *w, const struct store_set *s,
                    const struct store_rep *r)
{
    char buf[CSV_COLS][64];
    char faults[STORE_FAULTS_MAX + 1] = "";
    memset(buf, 0, sizeof buf);
    snprintf(buf[0], 64, "%s", w->id);
    history_time_format(w->started_at, buf[1]);
    snprintf(buf[2], 64, "%s", w->exercise);
    snprintf(buf[3], 64, "%lld", (long long)w->duration_ms);
    snprintf(buf[4], 64, "%.2f", w->score);
    snprintf(buf[5], 64, "%s", w->video_id[0] ? "video" : "device");
    if (s) {
        snprintf(buf[6], 64, "%d", s->idx);
        snprintf(buf[7], 64, "%g", s->load_kg);
        snprintf(buf[8], 64, "%lld", (long long)s->hold_ms);
    }
    if (r) {
        snprintf(buf[9], 64, "%d", r->idx);
        snprintf(buf[10], 64, "%.3f", (double)r->t_start_ms / 1000.0);
        snprintf(buf[11], 64, "%.3f", (double)r->t_end_ms / 1000.0);
        snprintf(buf[12], 64, "%.2f", r->score);
        json_t *m = json_loads(r->metrics, 0, NULL);
        const char *v = json_string_value(json_object_get(m, "verdict"));
        snprintf(buf[13], 64, "%s", v ? v : "");
        json_decref(m);
        json_t *fa = json_loads(r->faults, 0, NULL);
        size_t i, used = 0;
        json_t *fv;
        json_array_foreach(fa, i, fv) {
            const char *fs = json_string_value(fv);
            if (!fs)
                continue;
            int k = snprintf(faults + used, sizeof faults - used, "%s%s", used ? ";" : "", fs);
            if (k < 0 || (size_t)k >= sizeof faults - used)
                break;
            used += (size_t)k;
        }
        json_decref(fa);
    }
    for (size_t c = 0; c + 1 < CSV_COLS; c++)
        history_csv_field(fp, buf[c], 0);
    history_csv_field(fp, faults, 1);
}

/* One workout of the JSON export into ex (an open array), flushed to fp: the writer keeps the
 * commas, fp gets the bytes and ex is drained, so memory stays one workout's worth. */
static int export_one_json(struct store *st, const char *user_id, const struct store_workout *w,
                           FILE *fp, struct rr_json *ex)
{
    int err = workout_full_out(ex, st, user_id, w);
    if (err == RR_ERR_NOTFOUND)
        return 0; /* deleted meanwhile: nothing was written */
    if (!err)
        err = rr_json_error(ex);
    if (!err && fwrite(rr_json_data(ex), 1, rr_json_len(ex), fp) != rr_json_len(ex))
        err = RR_ERR_IO;
    rr_json_drain(ex);
    return err;
}

static int export_one(struct store *st, const char *user_id, const struct store_workout *w,
                      FILE *fp)
{
    struct store_set *sets = NULL;
    struct store_rep *reps = NULL;
    size_t ns = 0, nr = 0;
    int err = store_workout_sets(st, user_id, w->id, &sets, &ns);
    if (!err)
        err = store_workout_reps(st, user_id, w->id, &reps, &nr);
    if (err == RR_ERR_NOTFOUND)
        err = 0;
    if (!err && ns == 0)
        csv_row(fp, w, NULL, NULL);
    for (size_t i = 0; !err && i < ns; i++) {
        int any = 0;
        for (size_t j = 0; j < nr; j++)
            if (strcmp(reps[j].set_id, sets[i].id) == 0) {
                csv_row(fp, w, &sets[i], &reps[j]);
                any = 1;
            }
        if (!any)
            csv_row(fp, w, &sets[i], NULL);
    }
    free(sets);
    free(reps);
    return err;
}

static int workouts_export(struct http_request *req, void *app)
{
    struct app *a = app;
    const struct api_principal *p = api_principal(req);
    const char *format = http_request_query(req, "format");
    if (!format)
        format = "json";
    int csv = strcmp(format, "csv") == 0;
    if (!csv && strcmp(format, "json") != 0)
        return history_reply_invalid(req, "format", "must be csv or json");
    FILE *fp = tmpfile();
    if (!fp)
        return RR_ERR_IO;
    int err = 0;
    if (csv) {
        for (size_t c = 0; c < CSV_COLS; c++)
            history_csv_field(fp, csv_header[c], c + 1 == CSV_COLS);
    }
    struct rr_json ex;
    rr_json_init(&ex, NULL, 0, WORKOUT_MAX_BYTES);
    if (!csv) {
        rr_json_object_begin(&ex);
        RR_JSON_KEY(&ex, "workouts");
        rr_json_array_begin(&ex);
    }
    char cursor[STORE_CURSOR_MAX] = "";
    size_t seen = 0;
    /* the plan's history: what the list hides, the export omits (hidden, not deleted) */
    struct store_workout_filter kept = {NULL, app_history_from(a, p->user_id), 0};
    do {
        struct store_workout *items = NULL;
        size_t n = 0;
        err = store_workout_list(a->store, p->user_id, &kept, cursor, STORE_PAGE_MAX, &items, &n,
                                 cursor);
        for (size_t i = 0; !err && i < n; i++, seen++)
            err = seen >= ANALYTICS_SCAN_MAX
                      ? RR_ERR_TOOBIG
                  : csv ? export_one(a->store, p->user_id, &items[i], fp)
                        : export_one_json(a->store, p->user_id, &items[i], fp, &ex);
        free(items);
    } while (!err && cursor[0]);
    if (!err && !csv) {
        rr_json_array_end(&ex);
        rr_json_object_end(&ex);
        rr_json_raw(&ex, "\n", 1);
        err = rr_json_finish(&ex);
        if (!err && fwrite(rr_json_data(&ex), 1, rr_json_len(&ex), fp) != rr_json_len(&ex))
            err = RR_ERR_IO;
    }
    rr_json_release(&ex);
    if (!err && (fflush(fp) != 0 || ferror(fp)))
        err = RR_ERR_IO;
    long size = err ? 0 : ftell(fp);
    int fd = err || size < 0 ? -1 : dup(fileno(fp));
    fclose(fp);
    if (err)
        return err;
    if (fd < 0 || lseek(fd, 0, SEEK_SET) != 0) {
        if (fd >= 0)
            close(fd);
        return RR_ERR_IO;
    }
    http_reply_header(req, "Content-Disposition",
                      csv ? "attachment; filename=\"workouts.csv\""
                          : "attachment; filename=\"workouts.json\"");
    return http_reply_file(req, fd, (uint64_t)size,
                           csv ? "text/csv; charset=utf-8" : "application/json");
}

const struct http_route api_workouts_routes[] = {
    {HTTP_GET, "/v1/workouts", workouts_list, HTTP_AUTH_REQUIRED, HTTP_BODY_NONE,
     "workouts.list",
     "the caller's workouts, newest first (cursor, limit <= 100, exercise, from, to)", NULL,
     NULL},
    {HTTP_GET, "/v1/workouts/export", workouts_export, HTTP_AUTH_REQUIRED, HTTP_BODY_NONE,
     "workouts.export",
     "the caller's workouts and reps the plan's history keeps (format=csv|json)", NULL, NULL},
    {HTTP_GET, "/v1/workouts/{id}", workouts_get, HTTP_AUTH_REQUIRED, HTTP_BODY_NONE,
     "workouts.get", "one workout with its sets, reps, metrics and faults", NULL, NULL},
    {HTTP_PATCH, "/v1/workouts/{id}", workouts_patch, HTTP_AUTH_REQUIRED, HTTP_BODY_JSON,
     "workouts.patch", "rename a workout", &rename_schema, NULL},
    {HTTP_DELETE, "/v1/workouts/{id}", workouts_delete, HTTP_AUTH_REQUIRED, HTTP_BODY_NONE,
     "workouts.delete", "delete a workout (and its video) and update analytics", NULL, NULL},
    {HTTP_POST, "/v1/sync", workouts_sync, HTTP_AUTH_REQUIRED, HTTP_BODY_JSON, "workouts.sync",
     "idempotent device sync of a recorded session (same client_id -> same workout)",
     &sync_schema, NULL},
};
const size_t api_workouts_routes_n = sizeof api_workouts_routes / sizeof api_workouts_routes[0];
