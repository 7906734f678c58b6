/*
 * stream.c - the streaming analysis core (stream.h).
 *
 * DESIGN
 * - State per person (identity from track.c): one slot per exercise holding its counter
 *   (counter.c), the reps it has counted and judged, the partial reps, a rep still open, and
 *   how many of its cycles went from its rest pose to its far pose ("valid": the recognition
 *   evidence); the plank hold; yaw and side statistics for the camera view.
 * - A rep is counted by its counter, then judged when its movement has ended (back near rest,
 *   the next movement began, or REP_END_S passed): start and end are where the filtered signal
 *   is within edge_frac of the rep's amplitude of rest; the rules see the ring of recent frames.
 * - A report never changes the stream: open reps are closed on the report's copy. So a report
 *   after n pushes is exactly the batch analysis of those n frames.
 * - Capacity for one more rep, partial and hold window is reserved before a push changes
 *   anything, so a failed allocation leaves the stream as it was.
 */
#include "analysis/stream.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/rr_error.h"
#include "analysis/exercise.h"
#include "analysis/form.h"
#include "analysis/params.h"
#include "analysis/posture.h"
#include "analysis/track.h"

#define MAX_EX ANALYSIS_MAX_EXERCISES
#define REP_END_S 2.0
#define SETTLE_S 0.5
#define HOLD_GAP_S 1.0
#define HOLD_WINDOW_S 1.0
#define POSE_VOTE 2 /* frames either side voting on a pose... */
#define POSE_VOTE_S 0.09 /* ...within this many seconds (2 frames at 24 fps and up) */
#define YAW_BINS 37 /* 5-degree bins of |yaw| over 0..180 */
#define HOLD_MEASURES 2

struct pending {
    int active;
    struct counter_event ev;
    size_t low_i;
    float low;
    int64_t t_edge;  /* when the signal came back within edge_frac of rest (0: not yet) */
};

struct slot {
    struct counter ctr;
    int cycles, valid;
    double dwell_rest, dwell_far; /* seconds spent near the rest level / near the far end */
    int64_t t_prev;
    struct pending pend;
    struct analysis_rep *reps;
    size_t n_reps, cap_reps;
    struct analysis_partial *parts;
    size_t n_parts, cap_parts;
};

struct window_rec {
    struct analysis_hold_window w;
    int n_checks;
    struct analysis_check checks[ANALYSIS_MAX_CHECKS];
};

struct hold_run {
    int active;
    size_t start, last, win_start;
    float sample[HOLD_MEASURES]; /* stillness measures at the last sample (every HOLD_SAMPLE_S) */
    float tv[HOLD_MEASURES];    /* their total variation over the open window */
    float first[HOLD_MEASURES]; /* and their value when it opened */
    float lo[HOLD_MEASURES], hi[HOLD_MEASURES]; /* and their range (frames without image size) */
    int64_t t_sample;
    int64_t t_start, t_last;
    struct window_rec *win;
    size_t n_win, cap_win;
};

struct person {
    struct slot slot[MAX_EX];
    struct hold_run run, best;
    size_t frames;
    uint32_t yaw_hist[YAW_BINS];
    uint32_t yaw_n;
    double vis_side[2];
};

struct analysis_stream {
    struct analysis_opts opts;
    struct analysis_params params;
    const struct exercise_def *given;
    int n_ex;
    const struct exercise_def *ex[MAX_EX];
    struct tracker tr;
    struct geom_frame *ring;
    float *ring_y; /* ring_y[e * STREAM_RING + i % STREAM_RING]: filtered signal of exercise e */
    float *ring_m; /* same, after the median filter only (less delay: poses and rep edges) */
    float *ring_raw; /* the signal whatever the posture (NAN when not measurable) */
    size_t n;
    int64_t t_first, t_last;
    struct person person[TRACK_MAX];
    int held_track, held_e;   /* the decision after the last push (-1: none yet) */
};

struct decision {
    int track, e;             /* -1 when none */
    float confidence;
    float score[MAX_EX];      /* per exercise evidence 0..1 */
};

static void decide(const struct analysis_stream *s, struct decision *d);

static double secs(int64_t a, int64_t b)
{
    return (double)(b - a) * 1e-6;
}

/* ------------------------------------------------------------------ lifecycle */

int analysis_stream_new(const struct analysis_opts *opts, struct analysis_stream **out)
{
    if (!out)
        return RR_ERR_INVAL;
    *out = NULL;
    const struct exercise_def *given = NULL;
    if (opts && opts->exercise) {
        given = exercise_find(opts->exercise);
        if (!given)
            return RR_ERR_INVAL;
    }
    struct analysis_stream *s = calloc(1, sizeof *s);
    if (!s)
        return RR_ERR_NOMEM;
    s->opts = opts ? *opts : analysis_opts_default();
    s->opts.exercise = given ? given->name : NULL;
    s->params = opts && opts->params ? *opts->params : *analysis_params_default();
    s->opts.params = NULL;
    s->given = given;
    if (given) {
        s->ex[s->n_ex++] = given;
    } else {
        for (int i = 0; i < exercise_count() && s->n_ex < MAX_EX; i++)
            s->ex[s->n_ex++] = exercise_at(i);
    }
    s->ring = calloc(STREAM_RING, sizeof *s->ring);
    s->ring_y = malloc((size_t)s->n_ex * STREAM_RING * sizeof *s->ring_y);
    s->ring_m = malloc((size_t)s->n_ex * STREAM_RING * sizeof *s->ring_m);
    s->ring_raw = malloc((size_t)s->n_ex * STREAM_RING * sizeof *s->ring_raw);
    if (!s->ring || !s->ring_y || !s->ring_m || !s->ring_raw) {
        analysis_stream_free(s);
        return RR_ERR_NOMEM;
    }
    tracker_init(&s->tr);
    s->held_track = s->held_e = -1;
    for (int p = 0; p < TRACK_MAX; p++)
        for (int e = 0; e < s->n_ex; e++)
            if (!s->ex[e]->is_hold)
                counter_init(&s->person[p].slot[e].ctr, &s->params.counter, &s->ex[e]->seg);
    *out = s;
    return 0;
}

void analysis_stream_free(struct analysis_stream *s)
{
    if (!s)
        return;
    for (int p = 0; p < TRACK_MAX; p++) {
        for (int e = 0; e < MAX_EX; e++) {
            free(s->person[p].slot[e].reps);
            free(s->person[p].slot[e].parts);
        }
        free(s->person[p].run.win);
        free(s->person[p].best.win);
    }
    free(s->ring);
    free(s->ring_y);
    free(s->ring_m);
    free(s->ring_raw);
    free(s);
}

size_t analysis_stream_frames(const struct analysis_stream *s)
{
    return s ? s->n : 0;
}

/* ------------------------------------------------------------------ ring access */

static size_t ring_first(const struct analysis_stream *s)
{
    return s->n > STREAM_RING ? s->n - STREAM_RING : 0;
}

static const struct geom_frame *frame_at(const struct analysis_stream *s, size_t i)
{
    if (i < ring_first(s) || i >= s->n)
        return NULL;
    return &s->ring[i % STREAM_RING];
}

static float m_at(const struct analysis_stream *s, int e, size_t i)
{
    if (i < ring_first(s) || i >= s->n)
        return NAN;
    return s->ring_m[(size_t)e * STREAM_RING + i % STREAM_RING];
}

/* The low-pass delays the filtered extreme: the movement's own extreme is the median-filtered
 * signal's within EXTREME_S before it (highest for the far end, lowest for rest). */
#define EXTREME_S 0.3

static size_t true_extreme(const struct analysis_stream *s, int e, size_t i, int highest)
{
    const struct geom_frame *gi = frame_at(s, i);
    if (!gi)
        return i;
    size_t best = i, last = i; /* the extreme may be a plateau: take its middle */
    float bv = m_at(s, e, i);
    for (size_t k = i; k > ring_first(s);) {
        k--;
        const struct geom_frame *g = frame_at(s, k);
        if (!g || secs(g->t_us, gi->t_us) > EXTREME_S)
            break;
        float v = m_at(s, e, k);
        if (isnan(v))
            continue;
        if (isnan(bv) || (highest ? v > bv + 1e-6f : v < bv - 1e-6f)) {
            bv = v;
            best = last = k;
        } else if (fabsf(v - bv) <= 1e-6f) {
            best = k;
        }
    }
    return best + (last - best) / 2;
}

/* ------------------------------------------------------------------ view and side */

static enum analysis_view person_view(const struct person *p)
{
    if (p->yaw_n == 0)
        return ANALYSIS_VIEW_UNKNOWN;
    uint32_t half = (p->yaw_n + 1) / 2, acc = 0;
    for (int b = 0; b < YAW_BINS; b++) {
        acc += p->yaw_hist[b];
        if (acc >= half)
            return geom_view_from_yaw((float)b * 5.0f);
    }
    return ANALYSIS_VIEW_UNKNOWN;
}

static int person_side(const struct person *p)
{
    return p->vis_side[GEOM_RIGHT] > p->vis_side[GEOM_LEFT] ? GEOM_RIGHT : GEOM_LEFT;
}

static void person_stats(struct person *p, const struct geom_frame *g)
{
    static const int ids[] = {RR_LM_LEFT_SHOULDER, RR_LM_LEFT_ELBOW, RR_LM_LEFT_WRIST,
                              RR_LM_LEFT_HIP,      RR_LM_LEFT_KNEE,  RR_LM_LEFT_ANKLE,
                              RR_LM_LEFT_HEEL,     RR_LM_LEFT_FOOT_INDEX, RR_LM_LEFT_EAR};
    p->frames++;
    if (!isnan(g->yaw_deg)) {
        int b = (int)lrintf(fabsf(g->yaw_deg) / 5.0f);
        if (b >= 0 && b < YAW_BINS) {
            p->yaw_hist[b]++;
            p->yaw_n++;
        }
    }
    for (size_t k = 0; k < sizeof ids / sizeof ids[0]; k++)
        for (int sd = 0; sd < 2; sd++)
            p->vis_side[sd] += (double)g->vis[ids[k] + sd];
}

/* ------------------------------------------------------------------ reps */

static struct rule_ctx make_ctx(const struct analysis_stream *s, int track, size_t start,
                                size_t turn, size_t end)
{
    const struct person *p = &s->person[track];
    struct rule_ctx c = {.ring = s->ring, .ring_cap = STREAM_RING, .ring_first = ring_first(s),
                         .ring_next = s->n, .track = track, .start = start, .turn = turn,
                         .end = end, .outer_start = start, .outer_end = end,
                         .view = person_view(p), .side = person_side(p), .limb = -1};
    return c;
}

/* Majority of the person's frames within POSE_VOTE of i satisfy fn. */
static int pose_vote(const struct analysis_stream *s, int track, size_t i, frame_pose_fn fn)
{
    if (!fn)
        return 1;
    const struct geom_frame *gi = frame_at(s, i);
    if (!gi)
        return 0;
    int yes = 0, all = 0;
    size_t a = i > POSE_VOTE ? i - POSE_VOTE : 0;
    for (size_t k = a; k <= i + POSE_VOTE; k++) {
        const struct geom_frame *g = frame_at(s, k);
        /* Neighbours vote only when close in time: at a low frame rate they are another pose. */
        if (!g || g->track != track || !g->valid || fabs(secs(g->t_us, gi->t_us)) > POSE_VOTE_S)
            continue;
        all++;
        yes += fn(g) ? 1 : 0;
    }
    return all > 0 && yes * 2 > all;
}

/* An extreme of the signal inside the exercise's posture is a turning point of its movement
 * only if the signal, read whatever the posture, does not go on beyond it within EXTREME_S (a
 * jumping jack's arms pass the shoulders on their way down: the end of a pull-up's hanging
 * posture, not the top of a pull-up). `beyond` is the tolerance in signal units. */
static int true_turn(const struct analysis_stream *s, int track, int e, size_t i, int highest,
                     float beyond)
{
    const struct geom_frame *gi = frame_at(s, i);
    float v = m_at(s, e, i);
    if (!gi || isnan(v))
        return 1;
    for (int dir = -1; dir <= 1; dir += 2) {
        int run = 0; /* two samples in a row beyond it: not a one-frame spike */
        for (size_t k = i;;) {
            if (dir < 0) {
                if (k <= ring_first(s))
                    break;
                k--;
            } else {
                if (k + 1 >= s->n)
                    break;
                k++;
            }
            const struct geom_frame *g = frame_at(s, k);
            if (!g || fabs(secs(g->t_us, gi->t_us)) > EXTREME_S)
                break;
            if (g->track != track)
                continue;
            float r = s->ring_raw[(size_t)e * STREAM_RING + k % STREAM_RING];
            if (isnan(r))
                continue;
            run = (highest ? r > v + beyond : r < v - beyond) ? run + 1 : 0;
            if (run >= 2)
                return 0;
        }
    }
    return 1;
}

/* A cycle from its rest pose to its far pose, moving like the exercise. */
static int cycle_valid(const struct analysis_stream *s, int track, int e,
                       const struct counter_event *ev)
{
    const struct exercise_def *ex = s->ex[e];
    size_t i_rest = true_extreme(s, e, ev->i_rest, 0);
    size_t i_far = true_extreme(s, e, ev->i_far, 1);
    float tol = 0.25f * (ev->v_far - ev->v_rest);
    if (!true_turn(s, track, e, i_far, 1, tol))
        return 0;
    if (!ev->from_far && !true_turn(s, track, e, i_rest, 0, tol))
        return 0;
    if (!ev->from_far && !pose_vote(s, track, i_rest, ex->rest_pose))
        return 0;
    if (!pose_vote(s, track, i_far, ex->far_pose))
        return 0;
    if (ex->cycle_check && !ev->from_far) {
        const struct geom_frame *r = frame_at(s, i_rest), *f = frame_at(s, i_far);
        if (r && f && r->track == track && f->track == track && !ex->cycle_check(r, f))
            return 0;
    }
    return 1;
}

static float symmetry(const struct exercise_def *ex, const struct rule_ctx *c)
{
    if (ex->sym_joint < 0)
        return NAN;
    double sum = 0.0;
    size_t m = 0, valid = 0;
    for (size_t i = c->start; i <= c->end; i++) {
        const struct geom_frame *g = ctx_frame(c, i);
        if (!g)
            continue;
        valid++;
        float v[2];
        for (int sd = 0; sd < 2; sd++) {
            switch (ex->sym_joint) {
            case EX_JOINT_KNEE:
                v[sd] = g->knee[sd];
                break;
            case EX_JOINT_HIP:
                v[sd] = g->hip[sd];
                break;
            case EX_JOINT_ELBOW:
                v[sd] = g->elbow[sd];
                break;
            default:
                v[sd] = g->shoulder[sd];
                break;
            }
        }
        if (isnan(v[0]) || isnan(v[1]))
            continue;
        sum += fabs((double)v[0] - (double)v[1]);
        m++;
    }
    return (m > 0 && m * 2 >= valid) ? (float)(sum / (double)m) : NAN;
}

/* The one limb that works in this rep (its main joint moves, the other's hardly: a one-arm
 * curl), or -1 when both do. */
static int working_limb(const struct exercise_def *ex, const struct rule_ctx *c)
{
    if (ex->sym_joint != EX_JOINT_ELBOW && ex->sym_joint != EX_JOINT_KNEE)
        return -1;
    float lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
    for (size_t i = c->start; i <= c->end; i++) {
        const struct geom_frame *g = ctx_frame(c, i);
        if (!g)
            continue;
        for (int sd = 0; sd < 2; sd++) {
            float v = ex->sym_joint == EX_JOINT_ELBOW ? g->elbow[sd] : g->knee[sd];
            if (isnan(v))
                continue;
            lo[sd] = fminf(lo[sd], v);
            hi[sd] = fmaxf(hi[sd], v);
        }
    }
    float r0 = hi[0] - lo[0], r1 = hi[1] - lo[1];
    if (!(r0 >= 0.0f) || !(r1 >= 0.0f))
        return -1;
    if (r0 < 0.4f * r1)
        return GEOM_RIGHT;
    if (r1 < 0.4f * r0)
        return GEOM_LEFT;
    return -1;
}

static int64_t time_at(const struct analysis_stream *s, size_t i)
{
    const struct geom_frame *g = frame_at(s, i);
    return g ? g->t_us : s->t_last;
}

/* Judge the open rep of slot (track, e), ending at frame `end`: a pure function of the stream. */
static void close_rep(const struct analysis_stream *s, int track, int e, const struct pending *pd,
                      size_t end, int index, struct analysis_rep *rep)
{
    const struct exercise_def *ex = s->ex[e];
    const struct counter_event *ev = &pd->ev;
    size_t first = ring_first(s);
    float v_rest = ev->v_rest;
    if (ev->from_far) { /* the lowest level the return reached */
        for (size_t i = ev->i_far; i <= end && i < s->n; i++) {
            float m = m_at(s, e, i);
            if (!isnan(m) && m < v_rest)
                v_rest = m;
        }
    }
    float amp = ev->v_far - v_rest;
    float edge = v_rest + s->params.edge_frac * amp;
    size_t turn = true_extreme(s, e, ev->i_far < first ? first : ev->i_far, 1);
    size_t start = true_extreme(s, e, ev->i_rest < first ? first : ev->i_rest, 0);
    if (!ev->from_far) {
        for (size_t i = turn; i > start; i--) {
            float y = m_at(s, e, i);
            if (!isnan(y) && y <= edge) {
                start = i;
                break;
            }
        }
    }
    if (turn >= s->n)
        turn = s->n - 1;
    if (start > turn)
        start = turn;
    if (end < turn)
        end = turn;
    if (end >= s->n)
        end = s->n - 1;
    memset(rep, 0, sizeof *rep);
    rep->index = index;
    rep->frame_start = start;
    rep->frame_turn = turn;
    rep->frame_end = end;
    rep->t_start_us = time_at(s, start);
    rep->t_turn_us = time_at(s, turn);
    rep->t_end_us = time_at(s, end);
    rep->rom = amp;
    rep->rom_unit = ex->signal_unit;
    float to_turn = (float)secs(rep->t_start_us, rep->t_turn_us);
    float from_turn = (float)secs(rep->t_turn_us, rep->t_end_us);
    float y_end = m_at(s, e, end);
    int returned = !isnan(y_end) && y_end <= ev->v_far - s->params.counter.ret_frac * amp;
    if (ex->seg.count_at_far) {
        rep->concentric_s = to_turn;
        rep->eccentric_s = returned ? from_turn : NAN;
    } else {
        rep->eccentric_s = ev->from_far ? NAN : to_turn;
        rep->concentric_s = from_turn;
    }
    struct rule_ctx c = make_ctx(s, track, start, turn, end);
    c.limb = working_limb(ex, &c);
    const struct slot *sl = &s->person[track].slot[e];
    size_t prev_end = sl->n_reps > 0 ? sl->reps[sl->n_reps - 1].frame_end : first;
    c.outer_start = prev_end < start ? prev_end : start;
    if (c.outer_start < first)
        c.outer_start = first;
    rep->depth = ex->depth ? ex->depth(&c) : NAN;
    rep->depth_name = ex->depth_name;
    rep->symmetry_deg = symmetry(ex, &c);
    rep->n_faults = form_evaluate(ex, &c, rep->checks, &rep->n_checks);
    rep->verdict = form_verdict(rep->checks, rep->n_checks, &rep->cannot_judge_reason);
    rep->score = form_score(rep->checks, rep->n_checks, rep->verdict);
    rep->confidence = form_confidence(rep->checks, rep->n_checks, rep->verdict);
}

static int reserve(void **arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 16;
    void *p = realloc(*arr, nc * elem);
    if (!p)
        return RR_ERR_NOMEM;
    *arr = p;
    *cap = nc;
    return 0;
}

/* Room for one more rep, partial and window everywhere a push may add one. */
static int reserve_all(struct analysis_stream *s)
{
    for (int p = 0; p < s->tr.n_ids + (s->tr.n_ids < TRACK_MAX); p++) {
        struct person *pr = &s->person[p];
        for (int e = 0; e < s->n_ex; e++) {
            struct slot *sl = &pr->slot[e];
            if (reserve((void **)&sl->reps, &sl->cap_reps, sl->n_reps, sizeof *sl->reps) ||
                reserve((void **)&sl->parts, &sl->cap_parts, sl->n_parts, sizeof *sl->parts))
                return RR_ERR_NOMEM;
        }
        if (reserve((void **)&pr->run.win, &pr->run.cap_win, pr->run.n_win, sizeof *pr->run.win))
            return RR_ERR_NOMEM;
    }
    return 0;
}

/* The far end of a counted rep is where the movement turned back, not where the athlete left
 * the exercise's posture on the way further (letting go of a pull-up bar, arms coming down
 * past the shoulders): the signal read whatever the posture does not go on beyond it. */
static int far_is_turn(const struct analysis_stream *s, int track, int e, const struct pending *pd)
{
    const struct counter_event *ev = &pd->ev;
    return true_turn(s, track, e, true_extreme(s, e, ev->i_far, 1), 1,
                     0.25f * (ev->v_far - ev->v_rest));
}

static void finish_pending(struct analysis_stream *s, int track, int e, size_t end)
{
    struct slot *sl = &s->person[track].slot[e];
    if (!sl->pend.active)
        return;
    if (!sl->pend.ev.from_far && !far_is_turn(s, track, e, &sl->pend)) {
        sl->pend.active = 0; /* not a rep after all (still a movement: cycles keeps it) */
        sl->ctr.reps--;
        return;
    }
    if (cycle_valid(s, track, e, &sl->pend.ev))
        sl->valid++;
    close_rep(s, track, e, &sl->pend, end, (int)sl->n_reps + 1, &sl->reps[sl->n_reps]);
    sl->n_reps++;
    sl->pend.active = 0;
}

/* One sample of exercise e for person `track` at frame index s->n (already in the ring). */
static void slot_push(struct analysis_stream *s, int track, int e, size_t idx,
                      const struct geom_frame *g)
{
    const struct exercise_def *ex = s->ex[e];
    struct slot *sl = &s->person[track].slot[e];
    float raw = ex->signal(g);
    float v = (!ex->envelope || ex->envelope(g)) ? raw : NAN;
    /* The prior amplitude of the signal as read: with a known image size (hand-set, physics),
     * else fitted from the training stills when there is one (params_gen.c). */
    int ix = exercise_index(ex);
    float fitted = ix >= 0 ? analysis_fitted.amp0[ix] : NAN;
    sl->ctr.s.amp0 = g->iso && ex->seg.amp0_iso > 0.0f ? ex->seg.amp0_iso
                     : isfinite(fitted) && fitted > 0.0f ? fitted
                                                         : ex->seg.amp0;
    s->ring_raw[(size_t)e * STREAM_RING + idx % STREAM_RING] = raw;
    struct counter_event ev;
    int got = counter_push(&sl->ctr, idx, g->t_us, v, &ev);
    float y = isnan(v) ? NAN : counter_value(&sl->ctr);
    s->ring_y[(size_t)e * STREAM_RING + idx % STREAM_RING] = y;
    s->ring_m[(size_t)e * STREAM_RING + idx % STREAM_RING] = isnan(v) ? NAN : counter_median(&sl->ctr);
    float phi = isnan(v) ? NAN : counter_phi(&sl->ctr);
    if (!isnan(phi) && sl->t_prev > 0) {
        double dt = secs(sl->t_prev, g->t_us);
        if (phi < 0.3f)
            sl->dwell_rest += dt;
        else if (phi > 0.7f)
            sl->dwell_far += dt;
    }
    sl->t_prev = g->t_us;

    struct pending *pd = &sl->pend;
    if (pd->active && !isnan(y)) {
        const struct counter *c = &sl->ctr;
        /* The far end of a rep counted on the way out goes on rising. */
        if (c->phase == COUNTER_OUT && c->rest_i == pd->ev.i_rest && c->hi_i > pd->ev.i_far &&
            c->hi > pd->ev.v_far) {
            pd->ev.i_far = c->hi_i;
            pd->ev.v_far = c->hi;
        }
        float m = counter_median(c);
        int falling = !(m > pd->low);
        if (idx > pd->ev.i_far && m < pd->low) {
            pd->low = m;
            pd->low_i = idx;
        }
        float amp = pd->ev.v_far - pd->ev.v_rest;
        float edge = pd->ev.v_rest + s->params.edge_frac * amp;
        size_t end = SIZE_MAX;
        /* Near rest, the rep ends where the signal settles (lockouts happen there): at its
         * lowest point once it stops falling, at most SETTLE_S after reaching the edge. A rep
         * that began at the far end has no rest level yet: it ends when the next movement
         * begins or time runs out, at its lowest point. */
        if (!pd->ev.from_far && c->phase != COUNTER_OUT && idx > pd->ev.i_far && m <= edge &&
            pd->t_edge == 0)
            pd->t_edge = g->t_us;
        if (pd->t_edge != 0 && (!falling || secs(pd->t_edge, g->t_us) > SETTLE_S))
            end = pd->low_i;
        else if (c->phase == COUNTER_OUT && c->rest_known && c->rest_i > pd->ev.i_far)
            end = c->rest_i; /* the next movement began */
        else if (secs(time_at(s, pd->ev.i_event), g->t_us) > REP_END_S)
            end = pd->low_i > pd->ev.i_far ? pd->low_i : idx;
        if (end != SIZE_MAX)
            finish_pending(s, track, e, end);
    }
    if (!got)
        return;
    if (ev.kind == COUNTER_PARTIAL) {
        struct analysis_partial *pa = &sl->parts[sl->n_parts++];
        float a = counter_amplitude(&sl->ctr);
        pa->frame_start = ev.i_rest;
        pa->frame_turn = ev.i_far;
        pa->t_start_us = time_at(s, ev.i_rest);
        pa->t_turn_us = time_at(s, ev.i_far);
        pa->reached = a > 0.0f ? fminf(1.0f, (ev.v_far - ev.v_rest) / a) : NAN;
        return;
    }
    /* A series that begins at the far end counts its first return only if the athlete was
     * there: in the exercise's far pose. */
    if (ev.from_far && !pose_vote(s, track, true_extreme(s, e, ev.i_far, 1), ex->far_pose)) {
        sl->ctr.reps--;
        return;
    }
    if (pd->active)
        finish_pending(s, track, e, ev.i_rest > pd->ev.i_far ? ev.i_rest : pd->low_i);
    sl->cycles++;
    pd->active = 1;
    pd->t_edge = 0;
    pd->ev = ev;
    pd->low = ev.v_far;
    pd->low_i = ev.i_far;
}

/* ------------------------------------------------------------------ plank hold */

static const struct exercise_def *hold_def(const struct analysis_stream *s, int *e_out)
{
    for (int e = 0; e < s->n_ex; e++)
        if (s->ex[e]->is_hold) {
            *e_out = e;
            return s->ex[e];
        }
    return NULL;
}

static void hold_window(struct analysis_stream *s, int track, struct hold_run *run,
                        const struct exercise_def *ex, size_t a, size_t b)
{
    if (run->n_win >= run->cap_win)
        return;
    struct window_rec *w = &run->win[run->n_win++];
    memset(w, 0, sizeof *w);
    struct rule_ctx c = make_ctx(s, track, a, (a + b) / 2, b);
    form_evaluate(ex, &c, w->checks, &w->n_checks);
    w->w.t_start_us = time_at(s, a);
    w->w.t_end_us = time_at(s, b);
    const char *why = NULL;
    w->w.verdict = form_verdict(w->checks, w->n_checks, &why);
    w->w.score = form_score(w->checks, w->n_checks, w->w.verdict);
    w->w.fault = NULL;
    enum analysis_severity worst = 0;
    for (int j = 0; j < w->n_checks; j++)
        if (w->checks[j].outcome == ANALYSIS_FAULT && w->checks[j].severity > worst) {
            worst = w->checks[j].severity;
            w->w.fault = w->checks[j].name;
        }
}

static void hold_close(struct person *p)
{
    struct hold_run *run = &p->run;
    if (!run->active)
        return;
    run->active = 0;
    if (!p->best.active && secs(run->t_start, run->t_last) > secs(p->best.t_start, p->best.t_last)) {
        struct hold_run tmp = p->best;
        p->best = *run;
        *run = tmp;
    }
    run->n_win = 0;
}

/* Stillness of a hold: the elbows' and hips' heights relative to the shoulders in the person's
 * usual torso lengths (without a known image size: the elbows' height between hands and
 * shoulders and the hips' between shoulders and feet), sampled five times a second; within a
 * one-second window their back-and-forth (total variation beyond the net change) may reach
 * HOLD_STILL. Bouncing (mountain climbers, push-ups) adds up; a change of position (hips
 * sagging) does not. */
#define HOLD_STILL 0.15f
#define HOLD_SAMPLE_S 0.2

static void hold_measures(const struct geom_frame *g, float out[HOLD_MEASURES])
{
    float sh = pos_y(g, RR_LM_LEFT_SHOULDER), el = pos_y(g, RR_LM_LEFT_ELBOW);
    float wr = pos_y(g, RR_LM_LEFT_WRIST), hp = pos_y(g, RR_LM_LEFT_HIP);
    float an = pos_y(g, RR_LM_LEFT_ANKLE);
    float hand = isnan(wr) ? el : wr;
    float torso = g->ref_len[GEOM_SEG_TORSO];
    if (g->iso && torso > 1e-4f) {
        /* Heights of the hips and the elbows relative to the shoulders, in torso lengths. */
        out[0] = (el - sh) / torso;
        out[1] = (hp - sh) / torso;
    } else {
        out[0] = pos_ratio(hand - el, hand - sh);
        out[1] = pos_ratio(hp - sh, an - sh);
    }
    for (int k = 0; k < HOLD_MEASURES; k++)
        if (isnan(out[k]))
            out[k] = 0.0f;
}

static void hold_push(struct analysis_stream *s, int track, size_t idx,
                      const struct geom_frame *g)
{
    int e = -1;
    const struct exercise_def *ex = hold_def(s, &e);
    if (!ex)
        return;
    struct person *p = &s->person[track];
    struct hold_run *run = &p->run;
    int in = ex->envelope(g);
    if (run->active && (!in && secs(run->t_last, g->t_us) > HOLD_GAP_S))
        hold_close(p);
    if (!in)
        return;
    if (run->active && secs(run->t_last, g->t_us) > HOLD_GAP_S)
        hold_close(p);
    float still[HOLD_MEASURES];
    hold_measures(g, still);
    if (!run->active) {
        run->active = 1;
        run->start = run->last = run->win_start = idx;
        run->t_start = run->t_last = run->t_sample = g->t_us;
        run->n_win = 0;
        for (int k = 0; k < HOLD_MEASURES; k++) {
            run->sample[k] = run->first[k] = run->lo[k] = run->hi[k] = still[k];
            run->tv[k] = 0.0f;
        }
        return;
    }
    for (int k = 0; k < HOLD_MEASURES; k++) {
        run->lo[k] = fminf(run->lo[k], still[k]);
        run->hi[k] = fmaxf(run->hi[k], still[k]);
    }
    if (secs(run->t_sample, g->t_us) >= HOLD_SAMPLE_S) {
        for (int k = 0; k < HOLD_MEASURES; k++) {
            run->tv[k] += fabsf(still[k] - run->sample[k]);
            run->sample[k] = still[k];
        }
        run->t_sample = g->t_us;
    }
    run->last = idx;
    run->t_last = g->t_us;
    if (secs(time_at(s, run->win_start), g->t_us) >= HOLD_WINDOW_S) {
        /* A window in which the body moved is not a hold: the run ends before it. */
        int moved = 0;
        for (int k = 0; k < HOLD_MEASURES; k++) {
            /* back-and-forth: the variation beyond the net change of the window */
            moved |= run->tv[k] - fabsf(run->sample[k] - run->first[k]) > HOLD_STILL;
            /* Without a known image size the ratios are too noisy for a change of position
             * to be told from movement: any change beyond half of HOLD_STILL is movement. */
            moved |= !g->iso && run->hi[k] - run->lo[k] > HOLD_STILL;
        }
        if (moved) {
            run->last = run->win_start > run->start ? run->win_start - 1 : run->start;
            run->t_last = time_at(s, run->last);
            hold_close(p);
            return;
        }
        hold_window(s, track, run, ex, run->win_start, idx - 1);
        run->win_start = idx;
        for (int k = 0; k < HOLD_MEASURES; k++) {
            run->tv[k] = 0.0f;
            run->lo[k] = run->hi[k] = run->first[k] = run->sample[k];
        }
    }
}

/* ------------------------------------------------------------------ push */

int analysis_stream_push(struct analysis_stream *s, const struct rr_pose_frame *f)
{
    if (!s || !f)
        return RR_ERR_INVAL;
    if (s->n > 0 && f->t_us < s->t_last)
        return RR_ERR_INVAL;
    if (s->n >= ANALYSIS_MAX_FRAMES)
        return RR_ERR_TOOBIG;
    int err = reserve_all(s);
    if (err)
        return err;
    size_t idx = s->n;
    struct geom_frame *g = &s->ring[idx % STREAM_RING];
    tracker_push(&s->tr, f, idx, g);
    for (int e = 0; e < s->n_ex; e++) {
        s->ring_y[(size_t)e * STREAM_RING + idx % STREAM_RING] = NAN;
        s->ring_m[(size_t)e * STREAM_RING + idx % STREAM_RING] = NAN;
        s->ring_raw[(size_t)e * STREAM_RING + idx % STREAM_RING] = NAN;
    }
    if (idx == 0)
        s->t_first = f->t_us;
    s->t_last = f->t_us;
    s->n++; /* frame idx is now in the ring */
    int track = g->track;
    if (track >= 0) {
        person_stats(&s->person[track], g);
        for (int e = 0; e < s->n_ex; e++)
            if (!s->ex[e]->is_hold)
                slot_push(s, track, e, idx, g);
        hold_push(s, track, idx, g);
    }
    struct decision d;
    decide(s, &d);
    s->held_track = d.track;
    s->held_e = d.e;
    return 0;
}

/* ------------------------------------------------------------------ decision */

static float hold_seconds(const struct person *p)
{
    float a = p->run.active ? (float)secs(p->run.t_start, p->run.t_last) : 0.0f;
    float b = p->best.n_win || p->best.t_last ? (float)secs(p->best.t_start, p->best.t_last) : 0.0f;
    return fmaxf(a, b);
}

/* Athletes rest between reps at the rest pose, not at the far end: evidence is weighted
 * 0.75..1.25 by the share of the dwell time spent near rest. It decides between exercises that
 * explain the same movement with opposite rest poses (a pull-up seen as a press). */
static float dwell_weight(const struct slot *sl)
{
    double all = sl->dwell_rest + sl->dwell_far;
    if (all <= 0.0)
        return 1.0f;
    return (float)(0.75 + 0.5 * sl->dwell_rest / all);
}

/* Counted and valid cycles of a slot, including its open rep. */
static void slot_counts(const struct analysis_stream *s, int track, int e, int *cycles, int *valid)
{
    const struct slot *sl = &s->person[track].slot[e];
    int open = sl->pend.active && (sl->pend.ev.from_far || far_is_turn(s, track, e, &sl->pend));
    *cycles = sl->cycles;
    *valid = sl->valid + (open && cycle_valid(s, track, e, &sl->pend.ev) ? 1 : 0);
}

static void decide(const struct analysis_stream *s, struct decision *d)
{
    memset(d, 0, sizeof *d);
    d->track = d->e = -1;
    int n_people = s->tr.n_ids;
    if (s->given) {
        int best = -1, bv = -1, bc = -1;
        size_t bf = 0;
        for (int p = 0; p < n_people; p++) {
            int c = 0, v = 0;
            if (!s->given->is_hold)
                slot_counts(s, p, 0, &c, &v);
            else
                v = (int)(hold_seconds(&s->person[p]) * 10.0f);
            if (v > bv || (v == bv && (c > bc || (c == bc && s->person[p].frames > bf)))) {
                best = p;
                bv = v;
                bc = c;
                bf = s->person[p].frames;
            }
        }
        d->track = best;
        d->e = 0;
        d->confidence = 1.0f;
        d->score[0] = 1.0f;
        return;
    }
    const struct analysis_params *pr = &s->params;
    int bp = -1, be = -1, bv = 0, bc = 0;
    float bw = 0.0f;
    int total_valid = 0;
    int ev_valid[MAX_EX] = {0};
    for (int p = 0; p < n_people; p++) {
        for (int e = 0; e < s->n_ex; e++) {
            if (s->ex[e]->is_hold)
                continue;
            int c, v;
            slot_counts(s, p, e, &c, &v);
            if (v > ev_valid[e])
                ev_valid[e] = v;
            float w = (float)v * dwell_weight(&s->person[p].slot[e]);
            /* Only exercises whose cycles mostly fit them compete; the exercise decided so far
             * stays in the running once it has two valid cycles (set-up and rest moves must not
             * drop it to "none" mid-set), and more evidence still unseats it. */
            int held = p == s->held_track && e == s->held_e && v >= 2;
            int ok = (float)v >= pr->min_cycles && (float)v >= pr->valid_frac * (float)c;
            int better = (ok || held) && (w > bw || (w == bw && (long)v * bc > (long)bv * c));
            if (better) {
                bw = w;
                bp = p;
                be = e;
                bv = v;
                bc = c;
            }
        }
    }
    for (int e = 0; e < s->n_ex; e++)
        total_valid += ev_valid[e];
    int hp = -1, he = -1;
    float hs = 0.0f;
    for (int e = 0; e < s->n_ex; e++)
        if (s->ex[e]->is_hold)
            he = e;
    for (int p = 0; p < n_people && he >= 0; p++) {
        float h = hold_seconds(&s->person[p]);
        if (h > hs) {
            hs = h;
            hp = p;
        }
    }
    for (int e = 0; e < s->n_ex; e++)
        d->score[e] = s->ex[e]->is_hold ? hs / (hs + pr->hold_min_s)
                                        : (float)ev_valid[e] / (float)(total_valid + 1);
    int rep_ok = be >= 0;
    int hold_ok = hp >= 0 && hs >= pr->hold_min_s;
    if (rep_ok && (bv >= 2 || !hold_ok)) {
        d->track = bp;
        d->e = be;
        d->confidence = d->score[be];
    } else if (hold_ok) {
        d->track = hp;
        d->e = he;
        d->confidence = d->score[he];
    }
}

const char *analysis_stream_exercise(const struct analysis_stream *s, int *reps, int *phase)
{
    struct decision d;
    if (reps)
        *reps = 0;
    if (phase)
        *phase = 0;
    if (!s)
        return NULL;
    decide(s, &d);
    if (d.e < 0)
        return NULL;
    const struct exercise_def *ex = s->ex[d.e];
    if (d.track < 0)
        return ex->name; /* given, nobody seen yet */
    if (!ex->is_hold) {
        const struct slot *sl = &s->person[d.track].slot[d.e];
        if (reps)
            *reps = sl->ctr.reps;
        if (phase)
            *phase = sl->ctr.phase == COUNTER_OUT ? 1 : (sl->ctr.phase == COUNTER_BACK ? 2 : 0);
    }
    return ex->name;
}

void analysis_stream_judged(const struct analysis_stream *s, int *judged)
{
    *judged = 0;
    if (!s)
        return;
    struct decision d;
    decide(s, &d);
    if (d.e >= 0 && d.track >= 0 && !s->ex[d.e]->is_hold)
        *judged = (int)s->person[d.track].slot[d.e].n_reps;
}

/* ------------------------------------------------------------------ report */

static void summarise_set(struct analysis_report *r)
{
    struct analysis_set *st = &r->set;
    int partials = st->partial_reps;
    memset(st, 0, sizeof *st);
    st->partial_reps = partials;
    st->reps = (int)r->n_reps;
    double sum = 0.0;
    int scored = 0;
    for (size_t k = 0; k < r->n_reps; k++) {
        const struct analysis_rep *rep = &r->reps[k];
        if (rep->verdict == ANALYSIS_GOOD)
            st->good++;
        else if (rep->verdict == ANALYSIS_BAD)
            st->bad++;
        else
            st->cannot_judge++;
        if (!isnan(rep->score)) {
            sum += rep->score;
            scored++;
        }
        st->time_under_tension_s += (float)secs(rep->t_start_us, rep->t_end_us);
    }
    st->mean_score = scored ? (float)(sum / scored) : NAN;
    for (size_t k = 0; k < r->n_reps; k++) {
        for (int j = 0; j < r->reps[k].n_checks; j++) {
            const struct analysis_check *c = &r->reps[k].checks[j];
            if (c->outcome != ANALYSIS_FAULT)
                continue;
            int count = 0;
            for (size_t m = 0; m < r->n_reps; m++)
                for (int q = 0; q < r->reps[m].n_checks; q++)
                    if (r->reps[m].checks[q].outcome == ANALYSIS_FAULT &&
                        strcmp(r->reps[m].checks[q].name, c->name) == 0)
                        count++;
            if (count > st->top_fault_reps) {
                st->top_fault_reps = count;
                st->top_fault = c->name;
            }
        }
    }
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static int report_hold(const struct analysis_stream *s, int track, int e,
                       struct analysis_report *r)
{
    const struct exercise_def *ex = s->ex[e];
    const struct person *p = &s->person[track];
    const struct hold_run *run = &p->best;
    float best_s = p->best.t_last ? (float)secs(p->best.t_start, p->best.t_last) : -1.0f;
    if (p->run.active && secs(p->run.t_start, p->run.t_last) > best_s)
        run = &p->run;
    struct analysis_hold *h = &r->hold;
    h->mean_score = NAN;
    if (!run->t_last && !run->active)
        return 0;
    h->hold_s = (float)secs(run->t_start, run->t_last);
    /* The open window of a live run counts too (judged on the copy). */
    size_t n_win = run->n_win;
    struct window_rec extra;
    memset(&extra, 0, sizeof extra);
    int have_extra = 0;
    if (run->active && run->win_start <= run->last && run->last < s->n) {
        struct rule_ctx c = make_ctx(s, track, run->win_start, (run->win_start + run->last) / 2,
                                     run->last);
        form_evaluate(ex, &c, extra.checks, &extra.n_checks);
        extra.w.t_start_us = time_at(s, run->win_start);
        extra.w.t_end_us = time_at(s, run->last);
        const char *why = NULL;
        extra.w.verdict = form_verdict(extra.checks, extra.n_checks, &why);
        extra.w.score = form_score(extra.checks, extra.n_checks, extra.w.verdict);
        enum analysis_severity worst = 0;
        for (int j = 0; j < extra.n_checks; j++)
            if (extra.checks[j].outcome == ANALYSIS_FAULT && extra.checks[j].severity > worst) {
                worst = extra.checks[j].severity;
                extra.w.fault = extra.checks[j].name;
            }
        have_extra = 1;
    }
    size_t total = n_win + (size_t)have_extra;
    if (total > 0) {
        h->windows = calloc(total, sizeof *h->windows);
        if (!h->windows)
            return RR_ERR_NOMEM;
    }
    double sum = 0.0;
    int scored = 0;
    for (size_t k = 0; k < total; k++) {
        const struct window_rec *w = k < n_win ? &run->win[k] : &extra;
        h->windows[h->n_windows++] = w->w;
        if (!isnan(w->w.score)) {
            sum += w->w.score;
            scored++;
        }
        if (w->w.verdict == ANALYSIS_GOOD) {
            int64_t t_next = k + 1 < total ? (k + 1 < n_win ? run->win[k + 1].w.t_start_us
                                                            : extra.w.t_start_us)
                                           : w->w.t_end_us;
            h->good_form_s += (float)secs(w->w.t_start_us, t_next);
        }
    }
    h->mean_score = scored ? (float)(sum / scored) : NAN;
    /* Whole-hold checks: the median of each check over the windows. */
    if (total > 0) {
        const struct window_rec *w0 = n_win > 0 ? &run->win[0] : &extra;
        h->n_checks = w0->n_checks;
        for (int j = 0; j < h->n_checks; j++) {
            float vals[256];
            size_t m = 0;
            for (size_t k = 0; k < total && m < 256; k++) {
                const struct window_rec *w = k < n_win ? &run->win[k] : &extra;
                if (j < w->n_checks && !isnan(w->checks[j].value))
                    vals[m++] = w->checks[j].value;
            }
            struct analysis_check *c = &h->checks[j];
            *c = w0->checks[j];
            if (m == 0) {
                c->value = NAN;
                c->outcome = ANALYSIS_NOT_JUDGED;
                c->confidence = NAN;
                c->reason = "hidden";
                continue;
            }
            qsort(vals, m, sizeof vals[0], cmp_float);
            c->value = (m & 1) ? vals[m / 2] : 0.5f * (vals[m / 2 - 1] + vals[m / 2]);
            float noise = 1e-3f;
            for (int q = 0; q < ex->n_rules; q++)
                if (ex->rules[q].name == c->name && ex->rules[q].noise > 0.0f)
                    noise = ex->rules[q].noise;
            float margin = (c->above ? c->value - c->threshold : c->threshold - c->value) / noise;
            c->confidence = 1.0f / (1.0f + expf(-2.0f * fabsf(margin)));
            c->outcome = margin > 0.0f ? ANALYSIS_FAULT : ANALYSIS_PASS;
            c->reason = NULL;
        }
    }
    return 0;
}

int analysis_stream_report(const struct analysis_stream *s, struct analysis_report **out)
{
    if (!s || !out)
        return RR_ERR_INVAL;
    *out = NULL;
    struct analysis_report *r = calloc(1, sizeof *r);
    if (!r)
        return RR_ERR_NOMEM;
    r->n_frames = s->n;
    r->set.mean_score = NAN;
    r->hold.mean_score = NAN;
    r->camera_roll_deg = s->tr.roll_deg;
    r->people = s->tr.n_ids;
    r->athlete = -1;
    r->duration_s = s->n > 0 ? (float)secs(s->t_first, s->t_last) : 0.0f;
    struct decision d;
    decide(s, &d);
    /* Candidates: every exercise, best first. */
    for (int e = 0; e < s->n_ex; e++) {
        struct analysis_candidate c = {s->ex[e]->name, d.score[e]};
        int k = r->n_candidates++;
        while (k > 0 && r->candidates[k - 1].score < c.score) {
            r->candidates[k] = r->candidates[k - 1];
            k--;
        }
        r->candidates[k] = c;
    }
    if (s->given) {
        r->exercise = s->given->name;
        r->exercise_given = 1;
        r->confidence = 1.0f;
        r->is_hold = s->given->is_hold;
    }
    if (d.track >= 0)
        r->n_frames_used = s->person[d.track].frames;
    if (d.e < 0 || d.track < 0) {
        summarise_set(r);
        *out = r;
        return 0;
    }
    const struct exercise_def *ex = s->ex[d.e];
    r->exercise = ex->name;
    r->is_hold = ex->is_hold;
    r->confidence = d.confidence;
    r->athlete = d.track;
    r->view = person_view(&s->person[d.track]);
    int err = 0;
    if (ex->is_hold) {
        err = report_hold(s, d.track, d.e, r);
    } else {
        const struct slot *sl = &s->person[d.track].slot[d.e];
        size_t n = sl->n_reps + (sl->pend.active ? 1u : 0u);
        if (n > 0) {
            r->reps = calloc(n, sizeof *r->reps);
            if (!r->reps)
                err = RR_ERR_NOMEM;
        }
        if (!err) {
            if (sl->n_reps)
                memcpy(r->reps, sl->reps, sl->n_reps * sizeof *r->reps);
            r->n_reps = sl->n_reps;
            if (sl->pend.active && (sl->pend.ev.from_far || far_is_turn(s, d.track, d.e, &sl->pend))) {
                size_t end = sl->pend.low_i > sl->pend.ev.i_far ? sl->pend.low_i : s->n - 1;
                if (!ex->seg.count_at_far || sl->ctr.phase == COUNTER_BACK)
                    end = sl->pend.low_i > sl->pend.ev.i_far ? sl->pend.low_i : s->n - 1;
                close_rep(s, d.track, d.e, &sl->pend, end, (int)r->n_reps + 1,
                          &r->reps[r->n_reps]);
                r->n_reps++;
            }
        }
        if (!err && sl->n_parts > 0) {
            r->partials = malloc(sl->n_parts * sizeof *r->partials);
            if (!r->partials)
                err = RR_ERR_NOMEM;
            else
                memcpy(r->partials, sl->parts, sl->n_parts * sizeof *r->partials);
            r->n_partials = sl->n_parts;
            r->set.partial_reps = (int)sl->n_parts;
        }
    }
    if (err) {
        analysis_report_free(r);
        return err;
    }
    summarise_set(r);
    *out = r;
    return 0;
}
