/*
 * analysis.c - analysis_run() (the batch analysis: every frame through the stream, then its
 * report) and the names of the report's enums. The method is in stream.c and
 * docs/internals/analysis.md.
 */
#include "analysis/analysis.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/rr_error.h"
#include "analysis/stream.h"

struct analysis_opts analysis_opts_default(void)
{
    struct analysis_opts o = {.exercise = NULL, .params = NULL};
    return o;
}

const char *analysis_view_name(enum analysis_view v)
{
    switch (v) {
    case ANALYSIS_VIEW_FRONT:
        return "front";
    case ANALYSIS_VIEW_SIDE:
        return "side";
    case ANALYSIS_VIEW_DIAGONAL:
        return "diagonal";
    case ANALYSIS_VIEW_BACK:
        return "back";
    case ANALYSIS_VIEW_UNKNOWN:
        break;
    }
    return "unknown";
}

const char *analysis_verdict_name(enum analysis_verdict v)
{
    switch (v) {
    case ANALYSIS_GOOD:
        return "good";
    case ANALYSIS_BAD:
        return "bad";
    case ANALYSIS_CANNOT_JUDGE:
        break;
    }
    return "cannot_judge";
}

const char *analysis_severity_name(enum analysis_severity s)
{
    switch (s) {
    case ANALYSIS_SEV_MINOR:
        return "minor";
    case ANALYSIS_SEV_MODERATE:
        return "moderate";
    case ANALYSIS_SEV_MAJOR:
        return "major";
    }
    return "unknown";
}

const char *analysis_outcome_name(enum analysis_outcome o)
{
    switch (o) {
    case ANALYSIS_PASS:
        return "pass";
    case ANALYSIS_FAULT:
        return "fault";
    case ANALYSIS_NOT_JUDGED:
        break;
    }
    return "not_judged";
}

void analysis_report_free(struct analysis_report *r)
{
    if (!r)
        return;
    free(r->reps);
    free(r->partials);
    free(r->hold.windows);
    free(r);
}

int analysis_run(const struct rr_pose_frame *frames, size_t n, const struct analysis_opts *opts,
                 struct analysis_report **out)
{
    if (!out || (!frames && n > 0))
        return RR_ERR_INVAL;
    *out = NULL;
    if (n > ANALYSIS_MAX_FRAMES)
        return RR_ERR_TOOBIG;
    for (size_t i = 1; i < n; i++)
        if (frames[i].t_us < frames[i - 1].t_us)
            return RR_ERR_INVAL;
    struct analysis_stream *s = NULL;
    int err = analysis_stream_new(opts, &s);
    for (size_t i = 0; !err && i < n; i++)
        err = analysis_stream_push(s, &frames[i]);
    if (!err)
        err = analysis_stream_report(s, out);
    analysis_stream_free(s);
    return err;
}
