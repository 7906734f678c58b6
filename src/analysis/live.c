/*
 * live.c - streaming analysis session (live.h): a growing copy of the frames, the batch
 * analysis re-run on demand, and cheap per-frame rep trackers that say when to re-run.
 */
#include "live.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../base/rr_error.h"
#include "exercise.h"
#include "geometry.h"
#include "reps.h"

#define LIVE_INITIAL_CAP 256

struct analysis_live {
    struct analysis_opts opts;
    const struct exercise_def *given;  /* the exercise of opts, NULL to recognise */
    struct rr_pose_frame *frames;
    size_t n, cap;
    struct analysis_report *report;    /* batch analysis of frames[0..report_n) */
    size_t report_n;
    int announced;                     /* highest rep index announced by push */
    int n_trackers;
    const struct exercise_def *tr_ex[ANALYSIS_MAX_EXERCISES];
    struct reps_tracker tr[ANALYSIS_MAX_EXERCISES];
};

const char *analysis_live_phase_name(enum analysis_live_phase p)
{
    switch (p) {
    case LIVE_PHASE_OUT:
        return "out";
    case LIVE_PHASE_BACK:
        return "back";
    case LIVE_PHASE_UNKNOWN:
        break;
    }
    return "unknown";
}

static void add_tracker(struct analysis_live *lv, const struct exercise_def *ex)
{
    if (ex->is_hold || lv->n_trackers >= ANALYSIS_MAX_EXERCISES)
        return;
    lv->tr_ex[lv->n_trackers] = ex;
    reps_tracker_init(&lv->tr[lv->n_trackers], &ex->seg);
    lv->n_trackers++;
}

int analysis_live_new(const struct analysis_opts *opts, struct analysis_live **out)
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
    struct analysis_live *lv = calloc(1, sizeof *lv);
    if (!lv)
        return RR_ERR_NOMEM;
    lv->opts = analysis_opts_default();
    lv->opts.exercise = given ? given->name : NULL; /* static registry string */
    lv->given = given;
    if (given) {
        add_tracker(lv, given);
    } else {
        for (int i = 0; i < exercise_count(); i++)
            add_tracker(lv, exercise_at(i));
    }
    *out = lv;
    return 0;
}

void analysis_live_free(struct analysis_live *lv)
{
    if (!lv)
        return;
    analysis_report_free(lv->report);
    free(lv->frames);
    free(lv);
}

size_t analysis_live_frames(const struct analysis_live *lv)
{
    return lv ? lv->n : 0;
}

/* Run the batch analysis over every frame unless the cached report is current. */
static int rerun(struct analysis_live *lv)
{
    if (lv->report && lv->report_n == lv->n)
        return 0;
    struct analysis_report *r = NULL;
    int err = analysis_run(lv->frames, lv->n, &lv->opts, &r);
    if (err)
        return err;
    analysis_report_free(lv->report);
    lv->report = r;
    lv->report_n = lv->n;
    return 0;
}

int analysis_live_report(struct analysis_live *lv, const struct analysis_report **out)
{
    if (!lv || !out)
        return RR_ERR_INVAL;
    *out = NULL;
    int err = rerun(lv);
    if (err)
        return err;
    *out = lv->report;
    return 0;
}

static size_t stride(size_t n)
{
    size_t s = n / 32;
    if (s < LIVE_MIN_STRIDE)
        s = LIVE_MIN_STRIDE;
    if (s > LIVE_MAX_STRIDE)
        s = LIVE_MAX_STRIDE;
    return s;
}

/* The exercise the session is about now: given, else the latest report's. */
static const struct exercise_def *current_exercise(const struct analysis_live *lv)
{
    if (lv->given)
        return lv->given;
    return lv->report && lv->report->exercise ? exercise_find(lv->report->exercise) : NULL;
}

static enum analysis_live_phase current_phase(const struct analysis_live *lv)
{
    const struct exercise_def *ex = current_exercise(lv);
    for (int k = 0; ex && k < lv->n_trackers; k++) {
        if (lv->tr_ex[k] != ex)
            continue;
        if (!lv->tr[k].have)
            break;
        if (lv->tr[k].phase == REPS_UP)
            return LIVE_PHASE_OUT;
        if (lv->tr[k].phase == REPS_DOWN)
            return LIVE_PHASE_BACK;
        break;
    }
    return LIVE_PHASE_UNKNOWN;
}

static int grow(struct analysis_live *lv)
{
    if (lv->n < lv->cap)
        return 0;
    if (lv->n >= ANALYSIS_MAX_FRAMES)
        return RR_ERR_TOOBIG;
    size_t cap = lv->cap ? lv->cap * 2 : LIVE_INITIAL_CAP;
    if (cap > ANALYSIS_MAX_FRAMES)
        cap = ANALYSIS_MAX_FRAMES;
    struct rr_pose_frame *f = realloc(lv->frames, cap * sizeof *f);
    if (!f)
        return RR_ERR_NOMEM;
    lv->frames = f;
    lv->cap = cap;
    return 0;
}

int analysis_live_push(struct analysis_live *lv, const struct rr_pose_frame *f,
                       struct analysis_live_status *st)
{
    if (!lv || !f)
        return RR_ERR_INVAL;
    if (lv->n > 0 && f->t_us < lv->frames[lv->n - 1].t_us)
        return RR_ERR_INVAL;
    int err = grow(lv);
    if (err)
        return err;
    size_t i = lv->n;
    lv->frames[i] = *f;
    lv->n++;

    /* Cheap step: this frame's geometry through every candidate's streaming rep tracker. A
     * count hints that the batch analysis may have a new rep: any candidate's count while no
     * exercise is known, then only the current exercise's (the stride catches a change). */
    struct geom_frame g;
    geom_frame_compute(&lv->frames[i], &g);
    const struct exercise_def *cur = current_exercise(lv);
    int hint = 0;
    for (int k = 0; k < lv->n_trackers; k++) {
        const struct exercise_def *ex = lv->tr_ex[k];
        float v = g.valid && (!ex->posture || ex->posture(&g)) ? ex->signal(&g) : NAN;
        struct reps_event ev;
        if (reps_tracker_push(&lv->tr[k], i, g.t_us, v, &ev) && (!cur || cur == ex))
            hint = 1;
    }
    int reran = 0;
    if (hint || lv->n - lv->report_n >= stride(lv->n)) {
        err = rerun(lv);
        if (err) {
            lv->n--; /* leave the session as it was (trackers only hint) */
            return err;
        }
        reran = 1;
    }
    /* Announce reps above every index announced so far. */
    size_t first_new = 0, n_new = 0;
    const struct analysis_report *r = lv->report;
    if (r) {
        first_new = r->n_reps;
        for (size_t k = 0; k < r->n_reps; k++) {
            if (r->reps[k].index > lv->announced) {
                first_new = k;
                n_new = r->n_reps - k;
                lv->announced = r->reps[r->n_reps - 1].index;
                break;
            }
        }
    }
    if (!st)
        return 0;
    memset(st, 0, sizeof *st);
    st->report = r;
    st->reran = reran;
    st->n_frames = lv->n;
    st->first_new = first_new;
    st->n_new = n_new;
    st->reps = r ? (int)r->n_reps : 0;
    const struct exercise_def *ex = current_exercise(lv);
    st->exercise = ex ? ex->name : NULL;
    st->phase = current_phase(lv);
    return 0;
}
