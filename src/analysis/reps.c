/* reps.c - hysteresis rep segmentation (reps.h). */
#include "reps.h"

#include <math.h>
#include <string.h>

void reps_tracker_init(struct reps_tracker *t, const struct reps_params *p)
{
    memset(t, 0, sizeof *t);
    t->p = *p;
    t->y = NAN;
}

float reps_tracker_value(const struct reps_tracker *t)
{
    return t->have ? t->y : NAN;
}

static void segment_start(struct reps_tracker *t, size_t i, int64_t t_us, float v)
{
    t->have = 1;
    t->phase = REPS_UNKNOWN;
    t->y = v;
    t->lo = t->hi = v;
    t->lo_i = t->hi_i = i;
    t->lo_t = t->hi_t = t_us;
    t->valley_known = 0;
    t->counted = 0;
    t->peak_from_start = 0;
    t->seg_start_v = v;
    t->seg_start_i = i;
    t->first_cycle = 1;
    t->lead_pending = 0;
}

static int emit(struct reps_tracker *t, size_t i_start, size_t i_turn, size_t i, float v_start,
                float v_turn, struct reps_event *ev)
{
    t->counted = 1;
    ev->i_start = i_start;
    ev->i_turn = i_turn;
    ev->i_count = i;
    ev->v_start = v_start;
    ev->v_turn = v_turn;
    return 1;
}

int reps_tracker_push(struct reps_tracker *t, size_t i, int64_t t_us, float v,
                      struct reps_event *ev)
{
    const struct reps_params *p = &t->p;
    if (isnan(v) || isinf(v))
        return 0;
    if (!t->have || (double)(t_us - t->t_last_us) * 1e-6 > p->max_gap_s) {
        segment_start(t, i, t_us, v);
        t->t_last_us = t_us;
        return 0;
    }
    double dt = (double)(t_us - t->t_last_us) * 1e-6;
    t->t_last_us = t_us;
    float a = p->smooth_s > 0.0f ? (float)(1.0 - exp(-(dt > 0 ? dt : 0.0) / p->smooth_s)) : 1.0f;
    t->y += a * (v - t->y);
    float y = t->y;

    switch (t->phase) {
    case REPS_UNKNOWN:
        if (y < t->lo) {
            t->lo = y;
            t->lo_i = i;
            t->lo_t = t_us;
        }
        if (y > t->hi) {
            t->hi = y;
            t->hi_i = i;
            t->hi_t = t_us;
        }
        if (y >= t->lo + p->hyst) {
            /* Moving towards the far end from a rest level. */
            t->phase = REPS_UP;
            t->valley_known = 1;
            t->valley = t->lo;
            t->valley_i = t->lo_i;
            t->valley_t = t->lo_t;
            t->hi = y;
            t->hi_i = i;
            t->hi_t = t_us;
            t->counted = 0;
        } else if (y <= t->hi - p->hyst) {
            /* The segment began at (or near) the far end. */
            t->phase = REPS_DOWN;
            t->peak = t->hi;
            t->peak_i = t->hi_i;
            t->peak_from_start = 1;
            t->valley_known = 0;
            t->counted = 0;
            t->first_cycle = 0;
            t->lo = y;
            t->lo_i = i;
            t->lo_t = t_us;
        }
        break;
    case REPS_UP:
        if (y > t->hi) {
            t->hi = y;
            t->hi_i = i;
            t->hi_t = t_us;
        }
        if (p->count_at_peak && !t->counted && t->hi - t->valley >= p->min_range &&
            (double)(t_us - t->valley_t) * 1e-6 >= p->min_rep_s)
            return emit(t, t->valley_i, t->hi_i, i, t->valley, t->hi, ev);
        if (y <= t->hi - p->hyst) {
            if (p->count_at_peak && !t->counted && t->first_cycle &&
                t->hi - t->seg_start_v >= p->lead_in && t->valley_i == t->seg_start_i)
                t->lead_pending = 1;
            t->phase = REPS_DOWN;
            t->peak = t->hi;
            t->peak_i = t->hi_i;
            t->peak_from_start = 0;
            t->first_cycle = 0;
            t->lo = y;
            t->lo_i = i;
            t->lo_t = t_us;
        }
        break;
    case REPS_DOWN:
        if (y < t->lo) {
            t->lo = y;
            t->lo_i = i;
            t->lo_t = t_us;
        }
        if (!t->counted && t->peak - y >= p->min_range) {
            if (p->count_at_peak && t->lead_pending) {
                t->lead_pending = 0;
                return emit(t, t->seg_start_i, t->peak_i, i, t->seg_start_v, t->peak, ev);
            }
            if (!p->count_at_peak) {
                float descent = t->valley_known ? t->peak - t->valley : 0.0f;
                int deep = t->peak_from_start || descent >= p->min_range;
                float need = p->min_range;
                if (p->return_frac * descent > need)
                    need = p->return_frac * descent;
                size_t i0 = t->valley_known ? t->valley_i : t->peak_i;
                float v0 = t->valley_known ? t->valley : t->peak;
                int64_t t0 = t->valley_known ? t->valley_t : t->hi_t;
                if (deep && t->peak - y >= need && (double)(t_us - t0) * 1e-6 >= p->min_rep_s)
                    return emit(t, i0, t->peak_i, i, v0, t->peak, ev);
            }
        }
        if (y >= t->lo + p->hyst) {
            t->phase = REPS_UP;
            t->valley_known = 1;
            t->valley = t->lo;
            t->valley_i = t->lo_i;
            t->valley_t = t->lo_t;
            t->lead_pending = 0;
            t->hi = y;
            t->hi_i = i;
            t->hi_t = t_us;
            t->counted = 0;
        }
        break;
    }
    return 0;
}
