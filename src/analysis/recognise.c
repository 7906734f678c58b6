/* recognise.c - series features and exercise ranking (recognise.h). */
#include "recognise.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../base/rr_error.h"
#include "exercise.h"

float recognise_ramp(float x, float zero, float one)
{
    if (isnan(x))
        return 0.0f;
    float t = (x - zero) / (one - zero);
    return t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Percentile q (0..1) of the non-NAN values in v[0..n) (sorts them in place); NAN if none. */
static float percentile(float *v, size_t n, float q)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(v[i]))
            v[m++] = v[i];
    if (m == 0)
        return NAN;
    qsort(v, m, sizeof v[0], cmp_float);
    size_t k = (size_t)(q * (float)(m - 1) + 0.5f);
    return v[k];
}

static float robust_range(float *v, size_t n, float *p5)
{
    float lo = percentile(v, n, 0.05f);
    float hi = percentile(v, n, 0.95f); /* v is now sorted and compacted; still fine */
    if (p5)
        *p5 = lo;
    return hi - lo;
}

enum feat_id {
    F_INCL, F_KNEE, F_HIP, F_ELBOW, F_SHOULDER, F_KNEE_ASYM, F_WRIST_RISE, F_SPREAD, F_STAGGER,
    F_HIP_Y, F_SH_Y, F_TORSO, F_WRIST_Y, F_COUNT
};

static float wrists_over_shoulders(const struct geom_frame *g)
{
    float sum = 0.0f;
    int n = 0;
    for (int s = 0; s < 2; s++) {
        if (geom_usable(g, RR_LM_LEFT_WRIST + s) && geom_usable(g, RR_LM_LEFT_SHOULDER + s)) {
            sum += g->src->image[RR_LM_LEFT_SHOULDER + s].y - g->src->image[RR_LM_LEFT_WRIST + s].y;
            n++;
        }
    }
    return n ? sum / (float)n / g->torso_img : NAN;
}

static float ankle_spread(const struct geom_frame *g)
{
    if (!geom_usable(g, RR_LM_LEFT_ANKLE) || !geom_usable(g, RR_LM_RIGHT_ANKLE))
        return NAN;
    float la[3], ra[3], ls[3], rs[3];
    geom_world(g, RR_LM_LEFT_ANKLE, la);
    geom_world(g, RR_LM_RIGHT_ANKLE, ra);
    geom_world(g, RR_LM_LEFT_SHOULDER, ls);
    geom_world(g, RR_LM_RIGHT_SHOULDER, rs);
    float sw = hypotf(ls[0] - rs[0], ls[2] - rs[2]);
    if (sw < 1e-3f)
        return NAN;
    return hypotf(la[0] - ra[0], la[2] - ra[2]) / sw;
}

static float stagger(const struct geom_frame *g)
{
    if (!geom_usable(g, RR_LM_LEFT_ANKLE) || !geom_usable(g, RR_LM_RIGHT_ANKLE))
        return NAN;
    float la[3], ra[3], lh[3], rh[3], lk[3];
    geom_world(g, RR_LM_LEFT_ANKLE, la);
    geom_world(g, RR_LM_RIGHT_ANKLE, ra);
    geom_world(g, RR_LM_LEFT_HIP, lh);
    geom_world(g, RR_LM_RIGHT_HIP, rh);
    geom_world(g, RR_LM_LEFT_KNEE, lk);
    float hx = lh[0] - rh[0], hz = lh[2] - rh[2];
    float hn = hypotf(hx, hz);
    float leg = sqrtf((lh[0] - lk[0]) * (lh[0] - lk[0]) + (lh[1] - lk[1]) * (lh[1] - lk[1]) +
                      (lh[2] - lk[2]) * (lh[2] - lk[2])) +
                sqrtf((lk[0] - la[0]) * (lk[0] - la[0]) + (lk[1] - la[1]) * (lk[1] - la[1]) +
                      (lk[2] - la[2]) * (lk[2] - la[2]));
    if (hn < 1e-3f || leg < 1e-3f)
        return NAN;
    /* Facing direction: horizontal, perpendicular to the hip line. */
    float fx = -hz / hn, fz = hx / hn;
    return fabsf((la[0] - ra[0]) * fx + (la[2] - ra[2]) * fz) / leg;
}

static float wrists_y(const struct geom_frame *g)
{
    float sum = 0.0f;
    int n = 0;
    for (int s = 0; s < 2; s++)
        if (geom_usable(g, RR_LM_LEFT_WRIST + s)) {
            sum += g->src->image[RR_LM_LEFT_WRIST + s].y;
            n++;
        }
    return n ? sum / (float)n : NAN;
}

/* Hands and torso at the bottom of the movement (frames not lying down whose hip flexion is in
 * the deepest 15 %): a deadlift hangs the hands far below the hips with the torso forward.
 * scratch holds 2 * n floats. */
static void deep_features(const struct geom_frame *g, size_t n, float *scratch,
                          struct series_features *f)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        float h = geom_pair_mean(g[i].hip);
        if (g[i].valid && g[i].incl_deg <= 75.0f && !isnan(h))
            scratch[m++] = h;
    }
    if (m == 0)
        return;
    float cut = percentile(scratch, m, 0.15f);
    size_t k = 0;
    float *hang = scratch, *incl = scratch + n;
    for (size_t i = 0; i < n; i++) {
        const struct geom_frame *x = &g[i];
        float h = geom_pair_mean(x->hip);
        if (!x->valid || x->incl_deg > 75.0f || !(h <= cut))
            continue;
        float wy = wrists_y(x);
        if (isnan(wy))
            continue;
        float hp[2];
        geom_img_mid(x, RR_LM_LEFT_HIP, hp);
        hang[k] = (wy - hp[1]) / x->torso_img;
        incl[k] = x->incl_deg;
        k++;
    }
    if (k) {
        f->hang_depth = percentile(hang, k, 0.5f);
        f->incl_at_deepest = percentile(incl, k, 0.5f);
    }
}

int recognise_features(const struct geom_frame *g, size_t n, struct series_features *f)
{
    memset(f, 0, sizeof *f);
    float *buf = NULL;
    if (n == 0)
        goto empty;
    if (n > (size_t)-1 / (sizeof(float) * F_COUNT))
        return RR_ERR_TOOBIG;
    buf = malloc(sizeof(float) * F_COUNT * n);
    if (!buf)
        return RR_ERR_NOMEM;
    float *col[F_COUNT];
    for (int k = 0; k < F_COUNT; k++)
        col[k] = buf + (size_t)k * n;
    size_t m = 0, overhead = 0;
    int64_t t0 = 0, t1 = 0;
    for (size_t i = 0; i < n; i++) {
        const struct geom_frame *x = &g[i];
        if (!x->valid)
            continue;
        if (m == 0)
            t0 = x->t_us;
        t1 = x->t_us;
        col[F_INCL][m] = x->incl_deg;
        col[F_KNEE][m] = geom_pair_mean(x->knee);
        col[F_HIP][m] = geom_pair_mean(x->hip);
        col[F_ELBOW][m] = geom_pair_mean(x->elbow);
        col[F_SHOULDER][m] = geom_pair_mean(x->shoulder);
        col[F_KNEE_ASYM][m] = (!isnan(x->knee[0]) && !isnan(x->knee[1]))
                                  ? fabsf(x->knee[0] - x->knee[1]) : NAN;
        col[F_WRIST_RISE][m] = wrists_over_shoulders(x);
        col[F_WRIST_Y][m] = wrists_y(x);
        col[F_SPREAD][m] = ankle_spread(x);
        col[F_STAGGER][m] = stagger(x);
        float hp[2], sh[2];
        geom_img_mid(x, RR_LM_LEFT_HIP, hp);
        geom_img_mid(x, RR_LM_LEFT_SHOULDER, sh);
        col[F_HIP_Y][m] = hp[1];
        col[F_SH_Y][m] = sh[1];
        col[F_TORSO][m] = x->torso_img;
        if (geom_usable(x, RR_LM_NOSE) &&
            (geom_usable(x, RR_LM_LEFT_WRIST) || geom_usable(x, RR_LM_RIGHT_WRIST))) {
            float wy = 0.0f;
            int k = 0;
            for (int s = 0; s < 2; s++)
                if (geom_usable(x, RR_LM_LEFT_WRIST + s)) {
                    wy += x->src->image[RR_LM_LEFT_WRIST + s].y;
                    k++;
                }
            if (wy / (float)k < x->src->image[RR_LM_NOSE].y)
                overhead++;
        }
        m++;
    }
    f->n_valid = m;
    f->duration_s = (float)((double)(t1 - t0) * 1e-6);
    if (m == 0)
        goto empty;
    f->overhead_frac = (float)overhead / (float)m;
    f->incl_med = percentile(col[F_INCL], m, 0.5f);
    f->knee_range = robust_range(col[F_KNEE], m, &f->knee_min);
    f->hip_range = robust_range(col[F_HIP], m, &f->hip_min);
    f->elbow_max = percentile(col[F_ELBOW], m, 0.95f);
    f->elbow_range = robust_range(col[F_ELBOW], m, &f->elbow_min);
    f->shoulder_max = percentile(col[F_SHOULDER], m, 0.95f);
    f->shoulder_range = robust_range(col[F_SHOULDER], m, NULL);
    f->knee_asym = percentile(col[F_KNEE_ASYM], m, 0.9f);
    f->wrist_rise_range = robust_range(col[F_WRIST_RISE], m, NULL);
    f->ankle_spread_range = robust_range(col[F_SPREAD], m, NULL);
    f->stagger = percentile(col[F_STAGGER], m, 0.9f);
    float torso = percentile(col[F_TORSO], m, 0.5f);
    f->hip_travel = robust_range(col[F_HIP_Y], m, NULL) / torso;
    f->shoulder_travel = robust_range(col[F_SH_Y], m, NULL) / torso;
    f->wrist_travel = robust_range(col[F_WRIST_Y], m, NULL) / torso;
    f->hang_depth = NAN;
    f->incl_at_deepest = NAN;
    deep_features(g, n, buf, f);
    free(buf);
    return 0;
empty:
    free(buf);
    f->incl_med = f->knee_range = f->hip_range = f->elbow_range = NAN;
    return 0;
}

int recognise_rank(const struct series_features *f, struct analysis_candidate *cands, int max)
{
    int n = 0;
    for (int i = 0; i < exercise_count() && n < max; i++) {
        const struct exercise_def *ex = exercise_at(i);
        float s = (f->n_valid > 0 && ex->recognise) ? ex->recognise(f) : 0.0f;
        /* insertion sort, best first; ties keep registry order */
        int k = n++;
        while (k > 0 && cands[k - 1].score < s) {
            cands[k] = cands[k - 1];
            k--;
        }
        cands[k].exercise = ex->name;
        cands[k].score = s;
    }
    return n;
}
