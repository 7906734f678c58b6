/*
 * live.c - streaming analysis session (live.h): an analysis stream, the report made when a rep
 * has been judged or when asked for, and the announcement of each judged rep once.
 */
#include "analysis/live.h"

#include <stdlib.h>
#include <string.h>

#include "base/rr_error.h"
#include "analysis/stream.h"

struct analysis_live {
    struct analysis_stream *s;
    struct analysis_report *report; /* report of the first report_n frames */
    size_t report_n;
    int have_report;
    int announced;                  /* highest rep index announced */
    const char *announced_ex;       /* exercise those reps belong to */
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

int analysis_live_new(const struct analysis_opts *opts, struct analysis_live **out)
{
    if (!out)
        return RR_ERR_INVAL;
    *out = NULL;
    struct analysis_live *lv = calloc(1, sizeof *lv);
    if (!lv)
        return RR_ERR_NOMEM;
    int err = analysis_stream_new(opts, &lv->s);
    if (err) {
        free(lv);
        return err;
    }
    *out = lv;
    return 0;
}

void analysis_live_free(struct analysis_live *lv)
{
    if (!lv)
        return;
    analysis_report_free(lv->report);
    analysis_stream_free(lv->s);
    free(lv);
}

size_t analysis_live_frames(const struct analysis_live *lv)
{
    return lv ? analysis_stream_frames(lv->s) : 0;
}

static int refresh(struct analysis_live *lv)
{
    size_t n = analysis_stream_frames(lv->s);
    if (lv->have_report && lv->report_n == n)
        return 0;
    struct analysis_report *r = NULL;
    int err = analysis_stream_report(lv->s, &r);
    if (err)
        return err;
    analysis_report_free(lv->report);
    lv->report = r;
    lv->report_n = n;
    lv->have_report = 1;
    return 0;
}

int analysis_live_report(struct analysis_live *lv, const struct analysis_report **out)
{
    if (!lv || !out)
        return RR_ERR_INVAL;
    *out = NULL;
    int err = refresh(lv);
    if (err)
        return err;
    *out = lv->report;
    return 0;
}

int analysis_live_push(struct analysis_live *lv, const struct rr_pose_frame *f,
                       struct analysis_live_status *st)
{
    if (!lv || !f)
        return RR_ERR_INVAL;
    int err = analysis_stream_push(lv->s, f);
    if (err)
        return err;
    int counted = 0, phase = 0, judged = 0;
    const char *ex = analysis_stream_exercise(lv->s, &counted, &phase);
    analysis_stream_judged(lv->s, &judged);
    int reran = 0;
    size_t first_new = 0, n_new = 0;
    if (ex && (ex != lv->announced_ex || judged > lv->announced)) {
        err = refresh(lv);
        if (err)
            return err; /* the frame is in; the next push or report retries */
        reran = 1;
        const struct analysis_report *r = lv->report;
        if (ex != lv->announced_ex) {
            lv->announced_ex = ex;
            lv->announced = 0;
        }
        int upto = judged;
        if (upto > lv->announced && (size_t)upto <= r->n_reps) {
            first_new = (size_t)lv->announced;
            n_new = (size_t)(upto - lv->announced);
            lv->announced = upto;
        }
    }
    if (!st)
        return 0;
    memset(st, 0, sizeof *st);
    st->report = lv->report;
    st->reran = reran;
    st->n_frames = analysis_stream_frames(lv->s);
    st->first_new = first_new;
    st->n_new = n_new;
    st->reps = counted;
    st->exercise = ex;
    st->phase = phase == 1 ? LIVE_PHASE_OUT : (phase == 2 ? LIVE_PHASE_BACK : LIVE_PHASE_UNKNOWN);
    return 0;
}
