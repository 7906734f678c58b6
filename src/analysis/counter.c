/* counter.c - adaptive hysteresis rep counter (counter.h). */
#include "analysis/counter.h"

#include <math.h>
#include <string.h>

void counter_init(struct counter *c, const struct counter_params *p, const struct counter_signal *s)
{
    memset(c, 0, sizeof *c);
    c->p = *p;
    c->s = *s;
    c->y = NAN;
}

float counter_amplitude(const struct counter *c)
{
    if (c->n_amps == 0)
        return c->s.amp0;
    float a[COUNTER_AMPS];
    int n = c->n_amps;
    memcpy(a, c->amps, (size_t)n * sizeof a[0]);
    for (int i = 1; i < n; i++) /* insertion sort of at most three values */
        for (int j = i; j > 0 && a[j - 1] > a[j]; j--) {
            float t = a[j];
            a[j] = a[j - 1];
            a[j - 1] = t;
        }
    return (n & 1) ? a[n / 2] : 0.5f * (a[n / 2 - 1] + a[n / 2]);
}

float counter_value(const struct counter *c)
{
    return c->have ? c->y : NAN;
}

float counter_median(const struct counter *c)
{
    return c->have ? c->m : NAN;
}

float counter_phi(const struct counter *c)
{
    if (!c->have || c->phase == COUNTER_UNKNOWN)
        return NAN;
    float base = c->rest_known ? c->rest : c->lo;
    float a = counter_amplitude(c);
    if (!(a > 0.0f))
        return NAN;
    float phi = (c->y - base) / a;
    return phi < 0.0f ? 0.0f : (phi > 1.0f ? 1.0f : phi);
}

static void add_amp(struct counter *c, float a)
{
    if (c->n_amps < COUNTER_AMPS) {
        c->amps[c->n_amps++] = a;
        return;
    }
    memmove(c->amps, c->amps + 1, (COUNTER_AMPS - 1) * sizeof c->amps[0]);
    c->amps[COUNTER_AMPS - 1] = a;
}

/* Median of the last k samples, k odd and spanning about MEDIAN_S (1 at 5 fps, 5 at 30 fps). */
#define MEDIAN_S 0.15

static float median_push(struct counter *c, float v, double dt)
{
    c->med[c->med_pos] = v;
    c->med_pos = (c->med_pos + 1) % COUNTER_MEDIAN;
    if (c->n_med < COUNTER_MEDIAN)
        c->n_med++;
    int k = dt > 0.0 ? 1 + 2 * (int)(0.5 * MEDIAN_S / dt) : COUNTER_MEDIAN;
    if (k > COUNTER_MEDIAN)
        k = COUNTER_MEDIAN;
    float a[COUNTER_MEDIAN] = {0};
    int n = c->n_med < k ? c->n_med : k;
    for (int i = 0; i < n; i++)
        a[i] = c->med[(c->med_pos + COUNTER_MEDIAN - 1 - i) % COUNTER_MEDIAN];
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && a[j - 1] > a[j]; j--) {
            float t = a[j];
            a[j] = a[j - 1];
            a[j - 1] = t;
        }
    return (n & 1) ? a[n / 2] : 0.5f * (a[n / 2 - 1] + a[n / 2]);
}

static void restart(struct counter *c)
{
    c->have = 0;
    c->n_med = 0;
    c->med_pos = 0;
    c->phase = COUNTER_UNKNOWN;
    c->rest_known = 0;
    c->counted = 0;
}

static int emit(struct counter *c, enum counter_event_kind kind, size_t i_rest, size_t i_far,
                size_t i, float v_rest, float v_far, int from_far, struct counter_event *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->kind = kind;
    ev->i_rest = i_rest;
    ev->i_far = i_far;
    ev->i_event = i;
    ev->v_rest = v_rest;
    ev->v_far = v_far;
    ev->from_far = from_far;
    if (kind == COUNTER_REP) {
        c->counted = 1;
        c->reps++;
    } else {
        c->partials++;
    }
    return 1;
}

static double secs(int64_t a, int64_t b)
{
    return (double)(b - a) * 1e-6;
}

int counter_push(struct counter *c, size_t i, int64_t t_us, float v, struct counter_event *ev)
{
    if (isnan(v) || isinf(v))
        return 0;
    if (c->have && secs(c->t_last_us, t_us) > c->p.gap_s)
        restart(c);
    float m = median_push(c, v, c->have ? secs(c->t_last_us, t_us) : 0.0);
    c->m = m;
    if (!c->have) {
        c->have = 1;
        c->y = m;
        c->t_last_us = t_us;
        c->phase = COUNTER_UNKNOWN;
        c->lo = c->hi = m;
        c->lo_i = c->hi_i = i;
        c->lo_t = c->hi_t = t_us;
        return 0;
    }
    double dt = secs(c->t_last_us, t_us);
    c->t_last_us = t_us;
    float a = c->p.tau_s > 0.0f ? (float)(1.0 - exp(-(dt > 0.0 ? dt : 0.0) / c->p.tau_s)) : 1.0f;
    c->y += a * (m - c->y);
    const float y = c->y;
    const float amp = counter_amplitude(c);
    const float h = fmaxf(c->s.floor, c->p.h_frac * amp);
    const float need = fmaxf(c->p.min_rom_frac * c->s.amp0, c->p.keep_frac * amp);

    switch (c->phase) {
    case COUNTER_UNKNOWN:
        if (y < c->lo) {
            c->lo = y;
            c->lo_i = i;
            c->lo_t = t_us;
        }
        if (y > c->hi) {
            c->hi = y;
            c->hi_i = i;
            c->hi_t = t_us;
        }
        if (y >= c->lo + h) {
            c->phase = COUNTER_OUT;
            c->rest_known = 1;
            c->rest = c->lo;
            c->rest_i = c->lo_i;
            c->rest_t = c->lo_t;
            c->hi = y;
            c->hi_i = i;
            c->hi_t = t_us;
            c->counted = 0;
        } else if (y <= c->hi - h) {
            c->phase = COUNTER_BACK;
            c->rest_known = 0;
            c->far = c->hi;
            c->far_i = c->hi_i;
            c->lo = y;
            c->lo_i = i;
            c->lo_t = t_us;
            c->counted = 0;
        }
        return 0;
    case COUNTER_OUT: {
        if (y > c->hi) {
            c->hi = y;
            c->hi_i = i;
            c->hi_t = t_us;
        }
        float rise = c->hi - c->rest;
        if (c->s.count_at_far && !c->counted && rise >= need &&
            secs(c->rest_t, t_us) >= c->p.min_cycle_s)
            return emit(c, COUNTER_REP, c->rest_i, c->hi_i, i, c->rest, c->hi, 0, ev);
        if (y > c->hi - h)
            return 0;
        /* Turning point at the far end. */
        c->phase = COUNTER_BACK;
        c->far = c->hi;
        c->far_i = c->hi_i;
        c->lo = y;
        c->lo_i = i;
        c->lo_t = t_us;
        add_amp(c, rise);
        if (rise < need && !c->counted)
            return emit(c, COUNTER_PARTIAL, c->rest_i, c->far_i, i, c->rest, c->far, 0, ev);
        return 0;
    }
    case COUNTER_BACK: {
        if (y < c->lo) {
            c->lo = y;
            c->lo_i = i;
            c->lo_t = t_us;
        }
        float rise = c->rest_known ? c->far - c->rest : c->far - c->lo;
        /* Coming back ret_frac of the rise. A series that began at the far end has no rest
         * level yet: it must come back most of a typical amplitude. */
        float back = c->rest_known ? c->p.ret_frac * rise : fmaxf(need, (1.0f - c->p.h_frac) * amp);
        if (!c->s.count_at_far && !c->counted && rise >= need && c->far - y >= back &&
            (!c->rest_known || secs(c->rest_t, t_us) >= c->p.min_cycle_s))
            return emit(c, COUNTER_REP, c->rest_known ? c->rest_i : c->far_i, c->far_i, i,
                        c->rest_known ? c->rest : y, c->far, !c->rest_known, ev);
        if (y < c->lo + h)
            return 0;
        /* Turning point at rest. A return that stopped short of ret_frac of a full rise is not
         * a new rest: the same cycle goes on (no second count for one movement). */
        int short_return = c->rest_known && c->far - c->rest >= need &&
                           c->far - c->lo < c->p.ret_frac * (c->far - c->rest);
        if (!c->rest_known)
            add_amp(c, c->far - c->lo);
        c->phase = COUNTER_OUT;
        c->hi = y;
        c->hi_i = i;
        c->hi_t = t_us;
        if (short_return) {
            c->hi = c->far;
            c->hi_i = c->far_i;
            return 0; /* keep rest, far and counted */
        }
        c->rest_known = 1;
        c->rest = c->lo;
        c->rest_i = c->lo_i;
        c->rest_t = c->lo_t;
        c->counted = 0;
        return 0;
    }
    }
    return 0;
}
