/* track.c - identity, camera roll and side bridging (track.h). */
#include "analysis/track.h"

#include <math.h>
#include <string.h>

#define RAD2DEG 57.29577951308232f
#define OFFSET_TAU_S 0.5f

/* Left ids of the bridged pairs (right = left + 1). */
static const int pairs[TRACK_PAIRS] = {
    RR_LM_LEFT_SHOULDER, RR_LM_LEFT_ELBOW, RR_LM_LEFT_WRIST,  RR_LM_LEFT_HIP,
    RR_LM_LEFT_KNEE,     RR_LM_LEFT_ANKLE, RR_LM_LEFT_HEEL,   RR_LM_LEFT_FOOT_INDEX,
    RR_LM_LEFT_EAR,      RR_LM_LEFT_EYE,   RR_LM_LEFT_INDEX,
};

/* Bones of the identity signature (pairs of landmark ids), over torso length. */
static const int bones[TRACK_SIG_LEN][2] = {
    {RR_LM_LEFT_SHOULDER, RR_LM_LEFT_ELBOW}, {RR_LM_LEFT_ELBOW, RR_LM_LEFT_WRIST},
    {RR_LM_LEFT_HIP, RR_LM_LEFT_KNEE},       {RR_LM_LEFT_KNEE, RR_LM_LEFT_ANKLE},
    {RR_LM_LEFT_SHOULDER, RR_LM_RIGHT_SHOULDER}, {RR_LM_LEFT_HIP, RR_LM_RIGHT_HIP},
};

void tracker_init(struct tracker *t)
{
    memset(t, 0, sizeof *t);
    t->cur = -1;
    for (int k = 0; k < TRACK_MAX; k++)
        for (int p = 0; p < TRACK_PAIRS; p++)
            t->id[k].both_t[p] = -1;
}

static float wdist(const struct geom_frame *g, int a, int b)
{
    float dx = g->wx[a] - g->wx[b], dy = g->wy[a] - g->wy[b], dz = g->wz[a] - g->wz[b];
    return sqrtf(dx * dx + dy * dy + dz * dz);
}

/* Signature of one frame (world bone lengths over torso length); 0 when not measurable. */
static int frame_signature(const struct geom_frame *g, float sig[TRACK_SIG_LEN])
{
    if (!g->has_world)
        return 0;
    float sh[3], hp[3];
    geom_world_mid(g, RR_LM_LEFT_SHOULDER, sh);
    geom_world_mid(g, RR_LM_LEFT_HIP, hp);
    float torso = sqrtf((sh[0] - hp[0]) * (sh[0] - hp[0]) + (sh[1] - hp[1]) * (sh[1] - hp[1]) +
                        (sh[2] - hp[2]) * (sh[2] - hp[2]));
    if (!(torso > 1e-3f))
        return 0;
    for (int k = 0; k < TRACK_SIG_LEN; k++) {
        int a = bones[k][0], b = bones[k][1];
        float len = NAN;
        if (b == a + 1 && (a == RR_LM_LEFT_SHOULDER || a == RR_LM_LEFT_HIP)) {
            if (geom_trusted(g, a) && geom_trusted(g, b))
                len = wdist(g, a, b);
        } else {
            float l = geom_trusted(g, a) && geom_trusted(g, b) ? wdist(g, a, b) : NAN;
            float r = geom_trusted(g, a + 1) && geom_trusted(g, b + 1) ? wdist(g, a + 1, b + 1) : NAN;
            len = isnan(l) ? r : (isnan(r) ? l : 0.5f * (l + r));
        }
        if (isnan(len))
            return 0;
        sig[k] = len / torso;
    }
    return 1;
}

static float sig_distance(const struct track_identity *id, const float sig[TRACK_SIG_LEN])
{
    if (id->sig_n == 0)
        return INFINITY;
    double d = 0.0;
    for (int k = 0; k < TRACK_SIG_LEN; k++) {
        double m = id->sig_sum[k] / id->sig_n;
        d += fabs(m - sig[k]);
    }
    return (float)(d / TRACK_SIG_LEN);
}

/* Hip centre and body scale (larger of torso length and shoulder width), image units. */
static int place(const struct geom_frame *g, float *cx, float *cy, float *scale)
{
    if (!g->iso || !g->valid)
        return 0;
    float h[2], s[2];
    geom_img_mid(g, RR_LM_LEFT_HIP, h);
    geom_img_mid(g, RR_LM_LEFT_SHOULDER, s);
    if (!isfinite(h[0]) || !isfinite(s[0]))
        return 0;
    float w = hypotf(g->x[RR_LM_LEFT_SHOULDER] - g->x[RR_LM_RIGHT_SHOULDER],
                     g->y[RR_LM_LEFT_SHOULDER] - g->y[RR_LM_RIGHT_SHOULDER]);
    float torso = hypotf(h[0] - s[0], h[1] - s[1]);
    *cx = h[0];
    *cy = h[1];
    *scale = fmaxf(w, torso);
    return *scale > 1e-4f;
}

static float median_of(float *d, int n)
{
    for (int i = 1; i < n; i++) /* insertion sort of at most 33 values */
        for (int j = i; j > 0 && d[j - 1] > d[j]; j--) {
            float x = d[j];
            d[j] = d[j - 1];
            d[j - 1] = x;
        }
    return (n & 1) ? d[n / 2] : 0.5f * (d[n / 2 - 1] + d[n / 2]);
}

/* Median displacement of the landmarks seen in both poses, in body scales, and (*shape) the
 * same once the median shift is taken out (a change of shape, not of place); NAN with fewer
 * than 8 in common. */
static float pose_distance2(const struct track_identity *id, const struct geom_frame *g,
                            float scale, float *shape)
{
    float d[RR_NUM_LANDMARKS], dx[RR_NUM_LANDMARKS], dy[RR_NUM_LANDMARKS];
    int n = 0;
    for (int k = 0; k < RR_NUM_LANDMARKS; k++) {
        if (!geom_usable(g, k) || isnan(id->last_x[k]))
            continue;
        dx[n] = g->x[k] - id->last_x[k];
        dy[n] = g->y[k] - id->last_y[k];
        d[n] = hypotf(dx[n], dy[n]);
        n++;
    }
    if (shape)
        *shape = NAN;
    if (n < 8 || !(scale > 0.0f))
        return NAN;
    float sx[RR_NUM_LANDMARKS], sy[RR_NUM_LANDMARKS];
    memcpy(sx, dx, (size_t)n * sizeof sx[0]);
    memcpy(sy, dy, (size_t)n * sizeof sy[0]);
    float mx = median_of(sx, n), my = median_of(sy, n);
    if (shape) {
        float r[RR_NUM_LANDMARKS];
        for (int i = 0; i < n; i++)
            r[i] = hypotf(dx[i] - mx, dy[i] - my);
        *shape = median_of(r, n) / scale;
    }
    return median_of(d, n) / scale;
}

static float pose_distance(const struct track_identity *id, const struct geom_frame *g, float scale)
{
    return pose_distance2(id, g, scale, NULL);
}

/* How far frame g (body scale `scale`) is from identity id's last pose, in units of what its
 * movement allows since then: <= 1 continues it; INFINITY when the size does not match. */
static float gap_to(const struct track_identity *id, const struct geom_frame *g, float scale)
{
    double dt = (double)(g->t_us - id->t_last) * 1e-6;
    if (dt < 0.0)
        dt = 0.0;
    /* A body's size in the picture changes by half at most from one frame to the next (more
     * the longer it was not seen, up to a factor of two). Compounded per 1/24 s, up to
     * TRACK_GROW_MAX: a live camera analysed at 5-8 frames/s sees in one step what a video
     * sees in five (the size of a side-on squatter behind the plates doubles in 0.23 s), and
     * starting a new identity there lost the rep. */
    float grow = 1.5f + (float)(dt < 0.5 ? dt : 0.5);
    float compound = powf(1.5f, (float)(dt * TRACK_GROW_RATE));
    if (compound > grow)
        grow = compound < TRACK_GROW_MAX ? compound : TRACK_GROW_MAX;
    float ratio = scale / id->scale;
    if (!(ratio >= 1.0f / grow && ratio <= grow))
        return INFINITY;
    float allow = TRACK_SWITCH + TRACK_SWITCH_PER_S * (float)dt;
    allow = allow < TRACK_SWITCH_MIN ? TRACK_SWITCH_MIN : (allow > TRACK_SWITCH_MAX ? TRACK_SWITCH_MAX : allow);
    float d = pose_distance(id, g, id->scale);
    if (isnan(d)) /* too little in common to compare poses: the hip centre alone */
        return hypotf(g->x[RR_LM_LEFT_HIP] - id->cx, g->y[RR_LM_LEFT_HIP] - id->cy) / id->scale /
               allow;
    return d / allow;
}

static int choose_identity(struct tracker *t, const struct geom_frame *g, float scale, int placed)
{
    if (t->cur >= 0 && !placed)
        return t->cur;
    if (t->n_ids == 0)
        return -1;
    /* The identity this pose continues best (the previous frame's or one the engine left a
     * moment ago: a spectator's few frames do not steal the athlete). */
    int best = -1;
    float best_d = INFINITY;
    for (int k = 0; k < t->n_ids; k++) {
        if (k == t->cur && !t->have_prev)
            continue;
        float d = gap_to(&t->id[k], g, scale);
        if (d <= 1.0f && d < best_d) {
            best = k;
            best_d = d;
        }
    }
    if (best >= 0)
        return best;
    /* Else the closest body proportions among identities not seen for a second (someone who
     * came back elsewhere; never the one the engine just jumped away from). */
    float sig[TRACK_SIG_LEN];
    if (frame_signature(g, sig)) {
        for (int k = 0; k < t->n_ids; k++) {
            if (k == t->cur || (double)(g->t_us - t->id[k].t_last) * 1e-6 < 1.0)
                continue;
            float d = sig_distance(&t->id[k], sig);
            if (d < best_d) {
                best = k;
                best_d = d;
            }
        }
        if (best >= 0 && (best_d <= TRACK_SIG_MATCH || t->n_ids == TRACK_MAX))
            return best;
    }
    if (t->n_ids < TRACK_MAX)
        return -1;
    /* Full: the identity whose last pose is nearest. */
    best = 0;
    best_d = INFINITY;
    for (int k = 0; k < t->n_ids; k++) {
        float d = pose_distance(&t->id[k], g, t->id[k].scale);
        if (!isnan(d) && d < best_d) {
            best = k;
            best_d = d;
        }
    }
    return best;
}

/* Shoulder-hip-knee and hip-knee-ankle both within 20 deg of straight in the picture (sides
 * whose landmarks are seen; 0 when none is). */
static int straight(const struct geom_frame *g)
{
    int seen = 0;
    for (int sd = 0; sd < 2; sd++) {
        int sh = RR_LM_LEFT_SHOULDER + sd, hp = RR_LM_LEFT_HIP + sd, kn = RR_LM_LEFT_KNEE + sd;
        int an = RR_LM_LEFT_ANKLE + sd;
        if (!geom_usable(g, sh) || !geom_usable(g, hp) || !geom_usable(g, kn))
            continue;
        float a[2], b[2], c[2];
        geom_img(g, sh, a);
        geom_img(g, hp, b);
        geom_img(g, kn, c);
        if (!(geom_angle2(a, b, c) >= 160.0f))
            return 0;
        if (geom_usable(g, an)) {
            geom_img(g, an, a);
            if (!(geom_angle2(b, c, a) >= 160.0f))
                return 0;
        }
        seen = 1;
    }
    return seen;
}

/* The middle of a left/right pair, or the side seen; 0 when neither is. */
static int pair_point(const struct geom_frame *g, int left_id, float out[2])
{
    int l = geom_usable(g, left_id), r = geom_usable(g, left_id + 1);
    if (l && r) {
        geom_img_mid(g, left_id, out);
        return 1;
    }
    if (!l && !r)
        return 0;
    geom_img(g, l ? left_id : left_id + 1, out);
    return 1;
}

/* One vote for the camera roll from a frame computed without roll correction. */
static void vote_roll(struct tracker *t, const struct geom_frame *g)
{
    if (!g->iso || !g->valid)
        return;
    float s[2], lo[2];
    geom_img_mid(g, RR_LM_LEFT_SHOULDER, s);
    int have_lo = 0;
    static const int lower[] = {RR_LM_LEFT_ANKLE, RR_LM_LEFT_KNEE, RR_LM_LEFT_HIP};
    for (size_t k = 0; k < sizeof lower / sizeof lower[0] && !have_lo; k++) {
        if (geom_usable(g, lower[k]) && geom_usable(g, lower[k] + 1)) {
            geom_img_mid(g, lower[k], lo);
            have_lo = 1;
        }
    }
    if (!have_lo || !isfinite(s[0]))
        return;
    float dx = s[0] - lo[0], dy = lo[1] - s[1]; /* up is -y */
    if (hypotf(dx, dy) < 1e-4f)
        return;
    float a = atan2f(dx, dy) * RAD2DEG; /* 0: upright; positive: leaning to +x */
    float roll = NAN;
    if (fabsf(a) <= (float)TRACK_ROLL_MAX) {
        /* Only a body standing straight (no bend at the hips or knees) stands along gravity. */
        if (!straight(g))
            return;
        roll = a;
    } else if (fabsf(a) >= 50.0f && fabsf(a) <= 130.0f) {
        /* Lying: the floor line from the hands (or forearms) to the feet (the sides seen). */
        float h[2], f[2];
        int hand = pair_point(g, RR_LM_LEFT_WRIST, h) || pair_point(g, RR_LM_LEFT_ELBOW, h);
        int foot = pair_point(g, RR_LM_LEFT_FOOT_INDEX, f) || pair_point(g, RR_LM_LEFT_ANKLE, f);
        if (hand && foot) {
            float fx = f[0] - h[0], fy = f[1] - h[1];
            if (fx < 0.0f) {
                fx = -fx;
                fy = -fy;
            }
            if (fx > 1e-4f) {
                float b = atan2f(fy, fx) * RAD2DEG; /* slope of the floor in the image */
                if (fabsf(b) <= (float)TRACK_ROLL_MAX)
                    roll = b;
            }
        }
    }
    if (isnan(roll))
        return;
    int bin = (int)lrintf(roll) + TRACK_ROLL_MAX;
    if (bin < 0 || bin > 2 * TRACK_ROLL_MAX)
        return;
    t->roll_hist[bin]++;
    t->roll_votes++;
    if (t->roll_votes < TRACK_ROLL_MIN_FRAMES)
        return;
    uint32_t half = (t->roll_votes + 1) / 2, acc = 0;
    for (int b = 0; b <= 2 * TRACK_ROLL_MAX; b++) {
        acc += t->roll_hist[b];
        if (acc >= half) {
            t->roll_deg = (float)(b - TRACK_ROLL_MAX);
            break;
        }
    }
}

#define LEN_MIN 0.005f
#define LEN_MAX 2.0f

static int len_bin(float len)
{
    float f = logf(len / LEN_MIN) / logf(LEN_MAX / LEN_MIN) * (float)TRACK_LEN_BINS;
    int b = (int)f;
    return b < 0 ? 0 : (b >= TRACK_LEN_BINS ? TRACK_LEN_BINS - 1 : b);
}

static float bin_len(int b)
{
    return LEN_MIN * expf(((float)b + 0.5f) / (float)TRACK_LEN_BINS * logf(LEN_MAX / LEN_MIN));
}

/* Update the identity's segment histograms with frame g, write the references into g, and
 * withdraw trust from a segment much shorter than usual in a side view. */
static void reference_lengths(struct track_identity *id, struct geom_frame *g)
{
    if (!g->iso)
        return;
    for (int k = 0; k < GEOM_SEGMENTS; k++) {
        float l0 = geom_segment_len(g, (enum geom_segment)k, 0);
        float l1 = geom_segment_len(g, (enum geom_segment)k, 1);
        float len = fmaxf(l0, l1); /* fmaxf ignores one NAN */
        if (len > LEN_MIN) {
            id->len_hist[k][len_bin(len)]++;
            id->len_n[k]++;
        }
        if (id->len_n[k] == 0)
            continue;
        uint32_t want = (uint32_t)(0.9f * (float)id->len_n[k]), acc = 0;
        for (int b = 0; b < TRACK_LEN_BINS; b++) {
            acc += id->len_hist[k][b];
            if (acc > want) {
                g->ref_len[k] = bin_len(b);
                break;
            }
        }
    }
    /* A limb seen only foreshortened so far (an arm pointing at the camera) is at least as long
     * as body proportions make it from the torso (Drillis & Contini segment lengths, 0.9 of the
     * average: upper arm 0.62, forearm 0.49, thigh and shin 0.82 torso lengths). */
    static const float share[GEOM_SEGMENTS] = {0.55f, 0.45f, 0.75f, 0.75f, 0.0f};
    float torso = g->ref_len[GEOM_SEG_TORSO];
    if (torso > 0.0f)
        for (int k = 0; k < GEOM_SEGMENTS; k++)
            if (share[k] > 0.0f && !(g->ref_len[k] >= share[k] * torso))
                g->ref_len[k] = share[k] * torso;
}

/* Bridge hidden sides and keep the offsets of seen pairs (identity k). */
static void bridge(struct track_identity *id, struct geom_frame *g, int64_t t_us, double dt)
{
    float a = dt > 0.0 ? (float)(1.0 - exp(-dt / OFFSET_TAU_S)) : 1.0f;
    for (int p = 0; p < TRACK_PAIRS; p++) {
        int l = pairs[p], r = l + 1;
        int ul = geom_usable(g, l), ur = geom_usable(g, r);
        if (ul && ur) {
            float ox = g->x[l] - g->x[r], oy = g->y[l] - g->y[r];
            if (id->both_t[p] < 0) {
                id->off_x[p] = ox;
                id->off_y[p] = oy;
            } else {
                id->off_x[p] += a * (ox - id->off_x[p]);
                id->off_y[p] += a * (oy - id->off_y[p]);
            }
            id->both_t[p] = t_us;
            continue;
        }
        if (ul == ur || id->both_t[p] < 0 || (double)(t_us - id->both_t[p]) * 1e-6 > TRACK_BRIDGE_S)
            continue;
        if (ul) {
            g->x[r] = g->x[l] - id->off_x[p];
            g->y[r] = g->y[l] - id->off_y[p];
            g->usable |= (uint64_t)1 << r;
        } else {
            g->x[l] = g->x[r] + id->off_x[p];
            g->y[l] = g->y[r] + id->off_y[p];
            g->usable |= (uint64_t)1 << l;
        }
    }
}

void tracker_push(struct tracker *t, const struct rr_pose_frame *f, size_t index,
                  struct geom_frame *g)
{
    /* Roll votes come from the uncorrected frame; the frame is then corrected with the
     * estimate so far (causal: early frames use what is known then). */
    /* Identity is decided on the uncorrected picture too: a roll estimate that changes must
     * not look like someone else. */
    struct geom_frame raw;
    geom_frame_compute(f, index, 0.0f, &raw);
    vote_roll(t, &raw);
    if (t->roll_deg != 0.0f)
        geom_frame_compute(f, index, t->roll_deg, g);
    else
        *g = raw;
    g->track = -1;
    if (!g->valid)
        return;
    float cx = 0.0f, cy = 0.0f, scale = 1.0f;
    int placed = place(&raw, &cx, &cy, &scale);
    int k = choose_identity(t, &raw, scale, placed);
    if (k < 0) {
        k = t->n_ids++;
        memset(&t->id[k], 0, sizeof t->id[k]);
        for (int p = 0; p < TRACK_PAIRS; p++)
            t->id[k].both_t[p] = -1;
        t->id[k].used = 1;
    }
    struct track_identity *id = &t->id[k];
    double dt = id->frames > 0 ? (double)(g->t_us - id->t_last) * 1e-6 : 0.0;
    bridge(id, g, g->t_us, dt);
    reference_lengths(id, g);
    id->frames++;
    id->t_last = g->t_us;
    if (placed) {
        id->cx = cx;
        id->cy = cy;
        id->scale = scale;
        for (int j = 0; j < RR_NUM_LANDMARKS; j++) {
            id->last_x[j] = geom_usable(&raw, j) ? raw.x[j] : NAN;
            id->last_y[j] = geom_usable(&raw, j) ? raw.y[j] : NAN;
        }
    }
    float sig[TRACK_SIG_LEN];
    if (frame_signature(g, sig)) {
        for (int j = 0; j < TRACK_SIG_LEN; j++)
            id->sig_sum[j] += sig[j];
        id->sig_n++;
    }
    t->cur = k;
    t->have_prev = placed;
    t->prev_cx = cx;
    t->prev_cy = cy;
    t->prev_scale = scale;
    g->track = k;
}
