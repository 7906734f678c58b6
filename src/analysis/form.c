/* form.c - form-rule engine and the per-frame measures the rule tables use (form.h). */
#include "analysis/form.h"

#include "analysis/posture.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FORM_MEDIAN_SAMPLES 256

static int trusted3(const struct geom_frame *g, int a, int b, int c)
{
    return geom_trusted(g, a) && geom_trusted(g, b) && geom_trusted(g, c);
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

float form_reduce(const struct rule_ctx *c, size_t a, size_t b, form_frame_fn fn,
                  enum form_reduce how)
{
    return form_reduce_side(c, a, b, fn, how, c->side);
}

float form_reduce_side(const struct rule_ctx *c, size_t a, size_t b, form_frame_fn fn,
                       enum form_reduce how, int side)
{
    if (a > b)
        return NAN;
    size_t len = b - a + 1;
    size_t stride = (len + FORM_MEDIAN_SAMPLES - 1) / FORM_MEDIAN_SAMPLES;
    float buf[FORM_MEDIAN_SAMPLES];
    size_t nb = 0, valid = 0, measured = 0;
    float lo = INFINITY, hi = -INFINITY;
    for (size_t i = a; i <= b; i++) {
        const struct geom_frame *g = ctx_frame(c, i);
        if (!g)
            continue;
        valid++;
        float v = fn(g, side);
        if (isnan(v))
            continue;
        measured++;
        if (v < lo)
            lo = v;
        if (v > hi)
            hi = v;
        if ((i - a) % stride == 0 && nb < FORM_MEDIAN_SAMPLES)
            buf[nb++] = v;
    }
    if (measured == 0 || measured * 2 < valid)
        return NAN;
    switch (how) {
    case FORM_MAX:
        return hi;
    case FORM_MIN:
        return lo;
    case FORM_RANGE:
        return hi - lo;
    case FORM_MEDIAN:
        if (nb == 0)
            return lo;
        qsort(buf, nb, sizeof buf[0], cmp_float);
        return (nb & 1) ? buf[nb / 2] : 0.5f * (buf[nb / 2 - 1] + buf[nb / 2]);
    }
    return NAN;
}

float form_over_rep(const struct rule_ctx *c, form_frame_fn fn, enum form_reduce how)
{
    return form_reduce(c, c->start, c->end, fn, how);
}

float form_over_turn(const struct rule_ctx *c, form_frame_fn fn, enum form_reduce how)
{
    if (c->turn < c->start || c->end < c->turn)
        return NAN;
    size_t a = c->turn - (c->turn - c->start) / 3;
    size_t b = c->turn + (c->end - c->turn) / 3;
    return form_reduce(c, a, b, fn, how);
}

float form_over_outer(const struct rule_ctx *c, form_frame_fn fn, enum form_reduce how)
{
    return form_reduce(c, c->outer_start, c->outer_end, fn, how);
}

float form_over_start(const struct rule_ctx *c, form_frame_fn fn, enum form_reduce how)
{
    if (c->end < c->start)
        return NAN;
    size_t b = c->start + (c->end - c->start) / 6;
    return form_reduce(c, c->start, b, fn, how);
}

float form_over_end(const struct rule_ctx *c, form_frame_fn fn, enum form_reduce how)
{
    if (c->end < c->start)
        return NAN;
    size_t a = c->end - (c->end - c->start) / 6;
    return form_reduce(c, a, c->end, fn, how);
}

float form_rest_low(const struct rule_ctx *c, form_frame_fn fn)
{
    float before = c->outer_start + 2 < c->start
                       ? form_reduce(c, c->outer_start, c->start, fn, FORM_MEDIAN)
                       : NAN;
    if (!isnan(before))
        return before;
    float first = form_over_start(c, fn, FORM_MIN), last = form_over_end(c, fn, FORM_MIN);
    if (isnan(first) || isnan(last))
        return isnan(first) ? last : first;
    return first < last ? first : last;
}

int form_evaluate(const struct exercise_def *ex, const struct rule_ctx *c,
                  struct analysis_check *checks, int *n_checks)
{
    int n = 0, faults = 0;
    for (int i = 0; i < ex->n_rules && n < ANALYSIS_MAX_CHECKS; i++) {
        const struct form_rule *r = &ex->rules[i];
        if (r->views != VIEWS_ALL && !(r->views & VIEW_BIT(c->view)))
            continue; /* this camera view cannot show the fault */
        struct analysis_check *k = &checks[n++];
        memset(k, 0, sizeof *k);
        k->name = r->name;
        k->cue = r->cue;
        k->unit = r->unit;
        k->threshold = r->fitted && isfinite(*r->fitted) ? *r->fitted : r->threshold;
        k->above = r->above;
        k->severity = r->severity;
        k->value = r->measure(c);
        k->confidence = NAN;
        if (isnan(k->value)) {
            k->outcome = ANALYSIS_NOT_JUDGED;
            k->reason = "hidden";
            continue;
        }
        /* Margin past the threshold in units of the measure's noise: positive = fault side. */
        float noise = r->noise > 0.0f ? r->noise : 1e-3f;
        float margin = (r->above ? k->value - k->threshold : k->threshold - k->value) / noise;
        k->confidence = 1.0f / (1.0f + expf(-2.0f * fabsf(margin)));
        /* A fault must clear the threshold by the measure's noise: a value within the noise of
         * the threshold is a pass (with a low confidence), never a false alarm. */
        if (margin > 1.0f) {
            k->outcome = ANALYSIS_FAULT;
            faults++;
        } else {
            k->outcome = ANALYSIS_PASS;
        }
    }
    *n_checks = n;
    return faults;
}

static float severity_weight(enum analysis_severity s)
{
    switch (s) {
    case ANALYSIS_SEV_MINOR:
        return 10.0f;
    case ANALYSIS_SEV_MODERATE:
        return 20.0f;
    case ANALYSIS_SEV_MAJOR:
        return 35.0f;
    }
    return 10.0f;
}

enum analysis_verdict form_verdict(const struct analysis_check *checks, int n, const char **reason)
{
    int judged = 0, faults = 0;
    for (int i = 0; i < n; i++) {
        if (checks[i].outcome == ANALYSIS_NOT_JUDGED)
            continue;
        judged++;
        faults += checks[i].outcome == ANALYSIS_FAULT;
    }
    if (reason)
        *reason = NULL;
    if (faults > 0)
        return ANALYSIS_BAD;
    if (n == 0 || judged * 2 < n) {
        if (reason)
            *reason = n == 0 ? "no_checks_for_view" : "landmarks_hidden";
        return ANALYSIS_CANNOT_JUDGE;
    }
    return ANALYSIS_GOOD;
}

float form_score(const struct analysis_check *checks, int n, enum analysis_verdict v)
{
    if (v == ANALYSIS_CANNOT_JUDGE)
        return NAN;
    float score = 100.0f;
    for (int i = 0; i < n; i++) {
        const struct analysis_check *k = &checks[i];
        if (k->outcome == ANALYSIS_FAULT) {
            /* Penalty grows from 60 % to 100 % of the weight with the confidence. */
            float conf = isnan(k->confidence) ? 0.5f : k->confidence;
            score -= severity_weight(k->severity) * (0.6f + 0.8f * (conf - 0.5f));
        } else if (k->outcome == ANALYSIS_PASS && !isnan(k->confidence)) {
            /* A pass close to the threshold costs a little (at most 5 points per check). */
            score -= 10.0f * (1.0f - k->confidence);
        }
    }
    /* Verdict and score agree: a rep with a fault is below 70, a good rep at or above. */
    if (v == ANALYSIS_BAD)
        return fminf(fmaxf(score, 0.0f), 69.0f);
    return fmaxf(score, 70.0f);
}

float form_confidence(const struct analysis_check *checks, int n, enum analysis_verdict v)
{
    float conf = v == ANALYSIS_BAD ? 0.0f : 1.0f;
    int judged = 0;
    for (int i = 0; i < n; i++) {
        const struct analysis_check *k = &checks[i];
        if (k->outcome == ANALYSIS_NOT_JUDGED || isnan(k->confidence))
            continue;
        judged++;
        if (v == ANALYSIS_BAD && k->outcome == ANALYSIS_FAULT)
            conf = fmaxf(conf, k->confidence); /* the surest fault */
        else if (v == ANALYSIS_GOOD)
            conf = fminf(conf, k->confidence); /* the closest call */
    }
    if (v == ANALYSIS_CANNOT_JUDGE || judged == 0)
        return NAN;
    if (v == ANALYSIS_GOOD && n > 0)
        conf *= (float)judged / (float)n; /* unjudged checks lower the confidence */
    return conf;
}

/* ---------------------------------------------------------------- per-frame measures */

static float joint_side(const struct geom_frame *g, const float v[2], int a, int b, int c,
                        int side)
{
    if (side < 0 || side > 1)
        return NAN;
    return trusted3(g, a + side, b + side, c + side) ? v[side] : NAN;
}

static float joint_mean(const struct geom_frame *g, const float v[2], int a, int b, int c)
{
    float t[2];
    for (int s = 0; s < 2; s++)
        t[s] = trusted3(g, a + s, b + s, c + s) ? v[s] : NAN;
    return geom_pair_mean(t);
}

float form_knee_angle(const struct geom_frame *g, int side)
{
    return joint_side(g, g->knee, RR_LM_LEFT_HIP, RR_LM_LEFT_KNEE, RR_LM_LEFT_ANKLE, side);
}

float form_knee_mean(const struct geom_frame *g, int side)
{
    (void)side;
    return joint_mean(g, g->knee, RR_LM_LEFT_HIP, RR_LM_LEFT_KNEE, RR_LM_LEFT_ANKLE);
}

float form_hip_mean(const struct geom_frame *g, int side)
{
    (void)side;
    return joint_mean(g, g->hip, RR_LM_LEFT_SHOULDER, RR_LM_LEFT_HIP, RR_LM_LEFT_KNEE);
}

float form_elbow_mean(const struct geom_frame *g, int side)
{
    (void)side;
    return joint_mean(g, g->elbow, RR_LM_LEFT_SHOULDER, RR_LM_LEFT_ELBOW, RR_LM_LEFT_WRIST);
}

float form_elbow_side(const struct geom_frame *g, int side)
{
    if (side == 0 || side == 1)
        return joint_side(g, g->elbow, RR_LM_LEFT_SHOULDER, RR_LM_LEFT_ELBOW, RR_LM_LEFT_WRIST, side);
    return joint_mean(g, g->elbow, RR_LM_LEFT_SHOULDER, RR_LM_LEFT_ELBOW, RR_LM_LEFT_WRIST);
}

float form_elbow_img(const struct geom_frame *g, int side)
{
    (void)side;
    if (!g->iso)
        return NAN;
    float v[2];
    for (int s = 0; s < 2; s++) {
        int sh = RR_LM_LEFT_SHOULDER + s, el = RR_LM_LEFT_ELBOW + s, wr = RR_LM_LEFT_WRIST + s;
        if (!trusted3(g, sh, el, wr)) {
            v[s] = NAN;
            continue;
        }
        float a[2], b[2], c[2];
        geom_img(g, sh, a);
        geom_img(g, el, b);
        geom_img(g, wr, c);
        v[s] = geom_angle2(a, b, c);
    }
    return geom_pair_mean(v);
}

float form_trunk_tibia(const struct geom_frame *g, int side)
{
    (void)side;
    if (!g->has_world || isnan(g->incl_deg))
        return NAN;
    float sum = 0.0f;
    int n = 0;
    for (int s = 0; s < 2; s++) {
        int k = RR_LM_LEFT_KNEE + s, a = RR_LM_LEFT_ANKLE + s;
        if (!geom_trusted(g, k) || !geom_trusted(g, a))
            continue;
        float dx = g->wx[k] - g->wx[a], dy = g->wy[k] - g->wy[a], dz = g->wz[k] - g->wz[a];
        float len = sqrtf(dx * dx + dy * dy + dz * dz);
        if (!(len > 1e-3f))
            continue;
        float c = -dy / len; /* y points down: the shin goes up from the ankle */
        sum += acosf(c > 1.0f ? 1.0f : (c < -1.0f ? -1.0f : c)) * 57.29577951308232f;
        n++;
    }
    return n ? g->incl_deg - sum / (float)n : NAN;
}

float form_elbow_max(const struct geom_frame *g, int side)
{
    (void)side;
    float l = joint_side(g, g->elbow, RR_LM_LEFT_SHOULDER, RR_LM_LEFT_ELBOW, RR_LM_LEFT_WRIST, 0);
    float r = joint_side(g, g->elbow, RR_LM_LEFT_SHOULDER, RR_LM_LEFT_ELBOW, RR_LM_LEFT_WRIST, 1);
    if (isnan(l))
        return r;
    if (isnan(r))
        return l;
    return l > r ? l : r;
}

float form_shoulder_mean(const struct geom_frame *g, int side)
{
    (void)side;
    return joint_mean(g, g->shoulder, RR_LM_LEFT_HIP, RR_LM_LEFT_SHOULDER, RR_LM_LEFT_ELBOW);
}

float form_torso_incl(const struct geom_frame *g, int side)
{
    (void)side;
    for (int s = 0; s < 2; s++)
        if (geom_trusted(g, RR_LM_LEFT_SHOULDER + s) && geom_trusted(g, RR_LM_LEFT_HIP + s))
            return g->incl_deg;
    return NAN;
}

float form_neck_flexion(const struct geom_frame *g, int side)
{
    if (side < 0 || side > 1)
        return NAN;
    int hip = RR_LM_LEFT_HIP + side, sh = RR_LM_LEFT_SHOULDER + side, ear = RR_LM_LEFT_EAR + side;
    if (!trusted3(g, hip, sh, ear) || !geom_trusted(g, RR_LM_NOSE))
        return NAN;
    float h[2], s[2], e[2], nose[2];
    geom_img(g, hip, h);
    geom_img(g, sh, s);
    geom_img(g, ear, e);
    geom_img(g, RR_LM_NOSE, nose);
    float dev = 180.0f - geom_angle2(h, s, e);
    if (isnan(dev))
        return NAN;
    float t[2] = {s[0] - h[0], s[1] - h[1]};
    float n[2] = {e[0] - s[0], e[1] - s[1]};
    float f[2] = {nose[0] - e[0], nose[1] - e[1]}; /* the face points forward (ventral) */
    float cn = t[0] * n[1] - t[1] * n[0];
    float cf = t[0] * f[1] - t[1] * f[0];
    return (cn * cf >= 0.0f) ? dev : -dev;
}

float form_hip_line_offset(const struct geom_frame *g, int side)
{
    if (side < 0 || side > 1)
        return NAN;
    int sh = RR_LM_LEFT_SHOULDER + side, hip = RR_LM_LEFT_HIP + side, an = RR_LM_LEFT_ANKLE + side;
    if (!trusted3(g, sh, hip, an))
        return NAN;
    float s[2], h[2], a[2];
    geom_img(g, sh, s);
    geom_img(g, hip, h);
    geom_img(g, an, a);
    float d[2] = {a[0] - s[0], a[1] - s[1]};
    float len = hypotf(d[0], d[1]);
    float torso = hypotf(h[0] - s[0], h[1] - s[1]);
    if (len < 1e-6f || torso < 1e-6f)
        return NAN;
    float nrm[2] = {-d[1] / len, d[0] / len};
    if (nrm[1] < 0.0f) {
        nrm[0] = -nrm[0];
        nrm[1] = -nrm[1];
    }
    return ((h[0] - s[0]) * nrm[0] + (h[1] - s[1]) * nrm[1]) / torso;
}

static float shin_len(const struct geom_frame *g, int side)
{
    return hypotf(g->x[RR_LM_LEFT_KNEE + side] - g->x[RR_LM_LEFT_ANKLE + side],
                  g->y[RR_LM_LEFT_KNEE + side] - g->y[RR_LM_LEFT_ANKLE + side]);
}

float form_heel_lift(const struct geom_frame *g, int side)
{
    if (side < 0 || side > 1)
        return NAN;
    int heel = RR_LM_LEFT_HEEL + side, toe = RR_LM_LEFT_FOOT_INDEX + side;
    if (!trusted3(g, heel, toe, RR_LM_LEFT_ANKLE + side) || !geom_trusted(g, RR_LM_LEFT_KNEE + side))
        return NAN;
    float h[2], t[2];
    geom_img(g, heel, h);
    geom_img(g, toe, t);
    float shin = shin_len(g, side);
    return shin > 1e-6f ? (t[1] - h[1]) / shin : NAN;
}

float form_knee_over_toe(const struct geom_frame *g, int side)
{
    if (side < 0 || side > 1)
        return NAN;
    int heel = RR_LM_LEFT_HEEL + side, toe = RR_LM_LEFT_FOOT_INDEX + side;
    int knee = RR_LM_LEFT_KNEE + side;
    if (!trusted3(g, heel, toe, knee) || !geom_trusted(g, RR_LM_LEFT_ANKLE + side))
        return NAN;
    float h[2], t[2], k[2];
    geom_img(g, heel, h);
    geom_img(g, toe, t);
    geom_img(g, knee, k);
    float facing = t[0] >= h[0] ? 1.0f : -1.0f;
    float shin = shin_len(g, side);
    return shin > 1e-6f ? (k[0] - t[0]) * facing / shin : NAN;
}

float form_knee_track_ratio(const struct geom_frame *g, int side)
{
    (void)side;
    if (!geom_trusted(g, RR_LM_LEFT_KNEE) || !geom_trusted(g, RR_LM_RIGHT_KNEE) ||
        !geom_trusted(g, RR_LM_LEFT_ANKLE) || !geom_trusted(g, RR_LM_RIGHT_ANKLE))
        return NAN;
    float lk[2], rk[2], la[2], ra[2];
    geom_img(g, RR_LM_LEFT_KNEE, lk);
    geom_img(g, RR_LM_RIGHT_KNEE, rk);
    geom_img(g, RR_LM_LEFT_ANKLE, la);
    geom_img(g, RR_LM_RIGHT_ANKLE, ra);
    float ankles = fabsf(la[0] - ra[0]);
    if (!g->iso || !(ankles >= 0.25f * g->torso_img))
        return NAN; /* feet together: the ratio is meaningless */
    return fabsf(lk[0] - rk[0]) / ankles;
}

static float asym(const struct geom_frame *g, const float v[2], int a, int b, int c)
{
    if (!trusted3(g, a, b, c) || !trusted3(g, a + 1, b + 1, c + 1))
        return NAN;
    return fabsf(v[0] - v[1]);
}

float form_knee_asym(const struct geom_frame *g, int side)
{
    (void)side;
    return asym(g, g->knee, RR_LM_LEFT_HIP, RR_LM_LEFT_KNEE, RR_LM_LEFT_ANKLE);
}

float form_elbow_asym(const struct geom_frame *g, int side)
{
    (void)side;
    return asym(g, g->elbow, RR_LM_LEFT_SHOULDER, RR_LM_LEFT_ELBOW, RR_LM_LEFT_WRIST);
}

float form_shoulder_asym(const struct geom_frame *g, int side)
{
    (void)side;
    return asym(g, g->shoulder, RR_LM_LEFT_HIP, RR_LM_LEFT_SHOULDER, RR_LM_LEFT_ELBOW);
}

/* Mean image y of the trusted wrists; NAN when none. */
static float wrist_y(const struct geom_frame *g, int need_trusted)
{
    float sum = 0.0f;
    int n = 0;
    for (int s = 0; s < 2; s++) {
        int id = RR_LM_LEFT_WRIST + s;
        if (need_trusted ? geom_trusted(g, id) : geom_usable(g, id)) {
            sum += g->y[id];
            n++;
        }
    }
    return n ? sum / (float)n : NAN;
}

float form_chin_over_hands(const struct geom_frame *g, int side)
{
    (void)side;
    if (!geom_trusted(g, RR_LM_NOSE))
        return NAN;
    float w = wrist_y(g, 1);
    return (w - g->y[RR_LM_NOSE]) / fabsf(pos_torso_y(g));
}

float form_wrist_over_shoulder(const struct geom_frame *g, int side)
{
    (void)side;
    float w = wrist_y(g, 1);
    return (pos_y(g, RR_LM_LEFT_SHOULDER) - w) / fabsf(pos_torso_y(g));
}

float form_hip_over_knee(const struct geom_frame *g, int side)
{
    (void)side;
    float sum = 0.0f;
    int n = 0;
    for (int s = 0; s < 2; s++) {
        int hip = RR_LM_LEFT_HIP + s, knee = RR_LM_LEFT_KNEE + s;
        if (!geom_trusted(g, hip) || !geom_trusted(g, knee))
            continue;
        float h[3], k[3];
        geom_world(g, hip, h);
        geom_world(g, knee, k);
        float thigh = sqrtf((h[0] - k[0]) * (h[0] - k[0]) + (h[1] - k[1]) * (h[1] - k[1]) +
                            (h[2] - k[2]) * (h[2] - k[2]));
        if (thigh < 1e-3f)
            continue;
        sum += (k[1] - h[1]) / thigh; /* world y points down */
        n++;
    }
    return n ? sum / (float)n : NAN;
}

float form_ankle_spread(const struct geom_frame *g, int side)
{
    (void)side;
    if (!geom_trusted(g, RR_LM_LEFT_ANKLE) || !geom_trusted(g, RR_LM_RIGHT_ANKLE))
        return NAN;
    float la[3], ra[3], ls[3], rs[3];
    geom_world(g, RR_LM_LEFT_ANKLE, la);
    geom_world(g, RR_LM_RIGHT_ANKLE, ra);
    geom_world(g, RR_LM_LEFT_SHOULDER, ls);
    geom_world(g, RR_LM_RIGHT_SHOULDER, rs);
    float sw = hypotf(ls[0] - rs[0], ls[2] - rs[2]);
    return sw > 1e-3f ? hypotf(la[0] - ra[0], la[2] - ra[2]) / sw : NAN;
}
