/*
 * test_metamorphic.c - the analysis core keeps its count and its athlete when a real series is
 * changed in ways that must not matter: time-warped 0.5x and 2x, paused 1 s and 5 s at the far
 * end and 3 s at rest, 20 % of the frames dropped, mirrored left/right, the camera rolled 30
 * deg, the body yawed +-60 deg, jittered at MediaPipe's level, and a spectator spliced in as
 * tracker switches.
 *
 * Series: MediaPipe's own landmarks of every clip in ../shared/media/ground_truth.json
 * (reference/NAME.mp1.json: image + world), with the exercise given. The expected count is the
 * core's own count on the unchanged series (metamorphic: the relation is what is tested, not
 * the label), and the athlete must stay the first person. A table of every clip x change is
 * printed; SKIPs without ../shared.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "support/rrtest.h"
#include "series_load.h"

#define MAX_FRAMES 8000

static char gt_path[4096];

/* ------------------------------------------------------------------ deterministic noise */

static uint64_t rng_state;

static double rng_unit(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

static double rng_gauss(void)
{
    double u = rng_unit(), v = rng_unit();
    if (u < 1e-12)
        u = 1e-12;
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/* ------------------------------------------------------------------ transformations */

struct series {
    struct rr_pose_frame *f;
    size_t n;
};

static struct series copy_series(const struct series *s)
{
    struct series o = {malloc(MAX_FRAMES * sizeof *o.f), s->n};
    assert_non_null(o.f);
    memcpy(o.f, s->f, s->n * sizeof *o.f);
    return o;
}

static void time_warp(struct series *s, double k)
{
    int64_t t0 = s->f[0].t_us;
    for (size_t i = 0; i < s->n; i++)
        s->f[i].t_us = t0 + (int64_t)llround((double)(s->f[i].t_us - t0) * k);
}

/* Insert `secs` of copies of frame i after it (shifting later frames). */
static void pause_at(struct series *s, size_t i, double secs)
{
    double dt = s->n > 1 ? (double)(s->f[s->n - 1].t_us - s->f[0].t_us) / (double)(s->n - 1) : 33333;
    size_t k = (size_t)(secs * 1e6 / dt);
    if (s->n + k > MAX_FRAMES)
        k = MAX_FRAMES - s->n;
    memmove(&s->f[i + 1 + k], &s->f[i + 1], (s->n - i - 1) * sizeof *s->f);
    for (size_t j = 1; j <= k; j++) {
        s->f[i + j] = s->f[i];
        s->f[i + j].t_us = s->f[i].t_us + (int64_t)llround((double)j * dt);
    }
    for (size_t j = i + 1 + k; j < s->n + k; j++)
        s->f[j].t_us += (int64_t)llround((double)k * dt);
    s->n += k;
}

static void drop_fifth(struct series *s)
{
    size_t m = 0;
    for (size_t i = 0; i < s->n; i++)
        if (i % 5 != 2)
            s->f[m++] = s->f[i];
    s->n = m;
}

static int mirror_id(int id)
{
    if (id == RR_LM_NOSE)
        return id;
    if (id <= RR_LM_RIGHT_EYE_OUTER) /* 1-3 left eye, 4-6 right eye */
        return id <= 3 ? id + 3 : id - 3;
    return (id % 2 == 1) ? id + 1 : id - 1; /* left ids are odd from 7 on */
}

static void mirror(struct series *s)
{
    for (size_t i = 0; i < s->n; i++) {
        struct rr_pose_frame *f = &s->f[i];
        struct rr_landmark im[RR_NUM_LANDMARKS], w[RR_NUM_LANDMARKS];
        for (int k = 0; k < RR_NUM_LANDMARKS; k++) {
            im[mirror_id(k)] = f->image[k];
            w[mirror_id(k)] = f->world[k];
        }
        for (int k = 0; k < RR_NUM_LANDMARKS; k++) {
            im[k].x = 1.0f - im[k].x;
            w[k].x = -w[k].x;
        }
        memcpy(f->image, im, sizeof im);
        memcpy(f->world, w, sizeof w);
    }
}

/* Camera rolled by deg: the picture turns about its centre (pixels), and so do the world
 * landmarks about the camera axis. A landmark outside the original picture stays unseen (the
 * turn must not bring it in). */
static void roll(struct series *s, double deg)
{
    double c = cos(deg * M_PI / 180.0), sn = sin(deg * M_PI / 180.0);
    for (size_t i = 0; i < s->n; i++) {
        struct rr_pose_frame *f = &s->f[i];
        double W = f->width, H = f->height;
        for (int k = 0; k < RR_NUM_LANDMARKS; k++) {
            if (f->image[k].x < 0.0f || f->image[k].x > 1.0f || f->image[k].y < 0.0f ||
                f->image[k].y > 1.0f)
                f->image[k].visibility = 0.0f;
            double x = (f->image[k].x - 0.5) * W, y = (f->image[k].y - 0.5) * H;
            f->image[k].x = (float)((c * x - sn * y) / W + 0.5);
            f->image[k].y = (float)((sn * x + c * y) / H + 0.5);
            double wx = f->world[k].x, wy = f->world[k].y;
            f->world[k].x = (float)(c * wx - sn * wy);
            f->world[k].y = (float)(sn * wx + c * wy);
        }
    }
}

/* The body turned by deg about the vertical (world y) axis; the picture re-projected with the
 * frame's own orthographic scale and offset (fitted from image vs world x and y). */
static void yaw(struct series *s, double deg)
{
    double c = cos(deg * M_PI / 180.0), sn = sin(deg * M_PI / 180.0);
    for (size_t i = 0; i < s->n; i++) {
        struct rr_pose_frame *f = &s->f[i];
        if (!f->has_pose)
            continue;
        double W = f->width, H = f->height;
        /* fit pixel = a * world + b per axis, with one a (least squares over all landmarks) */
        double mwx = 0, mwy = 0, mpx = 0, mpy = 0;
        for (int k = 0; k < RR_NUM_LANDMARKS; k++) {
            mwx += f->world[k].x;
            mwy += f->world[k].y;
            mpx += f->image[k].x * W;
            mpy += f->image[k].y * H;
        }
        mwx /= RR_NUM_LANDMARKS;
        mwy /= RR_NUM_LANDMARKS;
        mpx /= RR_NUM_LANDMARKS;
        mpy /= RR_NUM_LANDMARKS;
        double num = 0, den = 0;
        for (int k = 0; k < RR_NUM_LANDMARKS; k++) {
            double dx = f->world[k].x - mwx, dy = f->world[k].y - mwy;
            num += dx * (f->image[k].x * W - mpx) + dy * (f->image[k].y * H - mpy);
            den += dx * dx + dy * dy;
        }
        double a = den > 0 ? num / den : 1.0;
        for (int k = 0; k < RR_NUM_LANDMARKS; k++) {
            double x = f->world[k].x, z = f->world[k].z;
            f->world[k].x = (float)(c * x + sn * z);
            f->world[k].z = (float)(-sn * x + c * z);
            f->image[k].x = (float)((mpx + a * (f->world[k].x - mwx)) / W);
            f->image[k].y = (float)((mpy + a * (f->world[k].y - mwy)) / H);
        }
    }
}

static void jitter(struct series *s)
{
    rng_state = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < s->n; i++)
        for (int k = 0; k < RR_NUM_LANDMARKS; k++) {
            s->f[i].image[k].x += (float)(0.003 * rng_gauss());
            s->f[i].image[k].y += (float)(0.003 * rng_gauss());
            s->f[i].world[k].x += (float)(0.01 * rng_gauss());
            s->f[i].world[k].y += (float)(0.01 * rng_gauss());
            s->f[i].world[k].z += (float)(0.01 * rng_gauss());
        }
}

/* Every 2 s, the tracker jumps for 6 frames to a spectator: another clip's person standing at
 * the other side of the picture. */
static void spectator(struct series *s, const struct rr_pose_frame *other)
{
    double dt = s->n > 1 ? (double)(s->f[s->n - 1].t_us - s->f[0].t_us) / (double)(s->n - 1) : 33333;
    size_t every = (size_t)(2e6 / dt), len = 6;
    for (size_t i = every; i + len < s->n; i += every) {
        for (size_t j = i; j < i + len; j++) {
            int64_t t = s->f[j].t_us;
            int w = s->f[j].width, h = s->f[j].height;
            s->f[j] = *other;
            s->f[j].t_us = t;
            s->f[j].width = w;
            s->f[j].height = h;
            float cx = 0.0f;
            for (int k = 0; k < RR_NUM_LANDMARKS; k++)
                cx += other->image[k].x / RR_NUM_LANDMARKS;
            for (int k = 0; k < RR_NUM_LANDMARKS; k++) /* near the edge away from the athlete */
                s->f[j].image[k].x += (cx < 0.5f ? 0.88f : 0.12f) - cx;
        }
    }
}

/* ------------------------------------------------------------------ the test */

struct clip {
    char name[96], exercise[32];
    struct series s;
};

/* Reps counted, or for a hold its seconds (scaled by 1/warp: a hold filmed faster is shorter). */
static int count(const struct series *s, const char *exercise, int *athlete, double warp)
{
    struct analysis_opts o = analysis_opts_default();
    o.exercise = exercise;
    struct analysis_report *r = NULL;
    assert_int_equal(analysis_run(s->f, s->n, &o, &r), 0);
    int n = r->is_hold ? (int)lrint(r->hold.hold_s / warp) : (int)r->n_reps;
    if (athlete)
        *athlete = r->athlete;
    analysis_report_free(r);
    return n;
}

static size_t turn_frames(const struct series *s, const char *exercise, size_t *turns, size_t max)
{
    struct analysis_opts o = analysis_opts_default();
    o.exercise = exercise;
    struct analysis_report *r = NULL;
    assert_int_equal(analysis_run(s->f, s->n, &o, &r), 0);
    size_t n = 0;
    for (size_t k = 0; k < r->n_reps && n < max; k++)
        turns[n++] = r->reps[k].frame_turn;
    analysis_report_free(r);
    return n;
}

enum change {
    CH_FAST, CH_SLOW, CH_PAUSE_FAR_1, CH_PAUSE_FAR_5, CH_PAUSE_REST_3, CH_DROP, CH_MIRROR,
    CH_ROLL, CH_YAW_LEFT, CH_YAW_RIGHT, CH_JITTER, CH_SPECTATOR, CH_COUNT
};

static const char *const change_name[CH_COUNT] = {
    "warp 0.5x", "warp 2x", "pause far 1s", "pause far 5s", "pause rest 3s", "drop 20%",
    "mirror", "roll 30", "yaw -60", "yaw +60", "jitter", "spectator",
};

static struct series apply(const struct clip *c, enum change ch, const struct rr_pose_frame *other)
{
    struct series s = copy_series(&c->s);
    size_t turns[64], n;
    switch (ch) {
    case CH_FAST:
        time_warp(&s, 0.5);
        break;
    case CH_SLOW:
        time_warp(&s, 2.0);
        break;
    case CH_PAUSE_FAR_1:
    case CH_PAUSE_FAR_5:
        n = turn_frames(&c->s, c->exercise, turns, 64);
        for (size_t k = n; k-- > 0;) /* from the end: earlier indices stay valid */
            pause_at(&s, turns[k], ch == CH_PAUSE_FAR_1 ? 1.0 : 5.0);
        break;
    case CH_PAUSE_REST_3: {
        struct analysis_opts o = analysis_opts_default();
        o.exercise = c->exercise;
        struct analysis_report *r = NULL;
        assert_int_equal(analysis_run(c->s.f, c->s.n, &o, &r), 0);
        size_t ends[64];
        n = 0;
        for (size_t k = 0; k + 1 < r->n_reps && n < 64; k++)
            ends[n++] = r->reps[k].frame_end; /* between reps: at rest */
        analysis_report_free(r);
        for (size_t k = n; k-- > 0;)
            pause_at(&s, ends[k], 3.0);
        break;
    }
    case CH_DROP:
        drop_fifth(&s);
        break;
    case CH_MIRROR:
        mirror(&s);
        break;
    case CH_ROLL:
        roll(&s, 30.0);
        break;
    case CH_YAW_LEFT:
        yaw(&s, -60.0);
        break;
    case CH_YAW_RIGHT:
        yaw(&s, 60.0);
        break;
    case CH_JITTER:
        jitter(&s);
        break;
    case CH_SPECTATOR:
        spectator(&s, other);
        break;
    case CH_COUNT:
        break;
    }
    return s;
}

static void metamorphic__count_and_athlete_survive_every_change(void **state)
{
    (void)state;
    json_error_t jerr;
    json_t *gt = json_load_file(gt_path, 0, &jerr);
    assert_non_null(gt);
    json_t *clips = json_object_get(gt, "clips");
    if (!clips)
        clips = gt;
    static struct clip cl[32];
    size_t nc = 0;
    size_t i;
    json_t *c;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", gt_path);
    char *slash = strrchr(dir, '/');
    assert_non_null(slash);
    *slash = '\0';
    json_array_foreach(clips, i, c)
    {
        const char *file = json_string_value(json_object_get(c, "file"));
        const char *ex = json_string_value(json_object_get(c, "exercise"));
        if (!file || !ex || nc >= 32)
            continue;
        const char *base = strrchr(file, '/');
        base = base ? base + 1 : file;
        char stem[96];
        snprintf(stem, sizeof stem, "%s", base);
        char *dot = strrchr(stem, '.');
        if (dot)
            *dot = '\0';
        char path[4300];
        snprintf(path, sizeof path, "%s/reference/%s.mp1.json", dir, stem);
        size_t n = 0;
        struct rr_pose_frame *f = series_load(path, &n);
        if (!f)
            continue;
        struct clip *k = &cl[nc++];
        snprintf(k->name, sizeof k->name, "%s", stem);
        snprintf(k->exercise, sizeof k->exercise, "%s", ex);
        k->s.f = realloc(f, MAX_FRAMES * sizeof *f);
        assert_non_null(k->s.f);
        k->s.n = n;
    }
    json_decref(gt);
    assert_true(nc >= 10);
    /* The spectator: a standing frame of another clip (the first frame with a pose of the
     * plank-free squat clip, or of clip 0). */
    const struct rr_pose_frame *other = NULL;
    for (size_t k = 0; k < nc && !other; k++)
        if (strstr(cl[k].name, "squat_front_bodyweight_k015"))
            for (size_t j = 0; j < cl[k].s.n && !other; j++)
                if (cl[k].s.f[j].has_pose)
                    other = &cl[k].s.f[j];
    assert_non_null(other);

    int failures = 0;
    printf("%-42s %5s", "clip", "count");
    for (int ch = 0; ch < CH_COUNT; ch++)
        printf(" %13s", change_name[ch]);
    printf("\n");
    for (size_t k = 0; k < nc; k++) {
        const struct clip *x = &cl[k];
        int athlete0 = -1;
        int base = count(&x->s, x->exercise, &athlete0, 1.0);
        printf("%-42.42s %5d", x->name, base);
        for (int ch = 0; ch < CH_COUNT; ch++) {
            /* the spectator is another person: skip it on the clip it comes from */
            if (ch == CH_SPECTATOR && other >= x->s.f && other < x->s.f + x->s.n) {
                printf(" %13s", "-");
                continue;
            }
            struct series s = apply(x, (enum change)ch, other);
            int athlete = -1;
            int got = count(&s, x->exercise, &athlete,
                            ch == CH_FAST ? 0.5 : (ch == CH_SLOW ? 2.0 : 1.0));
            free(s.f);
            int ok = got == base && (athlete0 < 0 || athlete == athlete0);
            char cell[32];
            snprintf(cell, sizeof cell, "%d%s", got, ok ? "" : (got == base ? " athl!" : " !"));
            printf(" %13s", cell);
            failures += !ok;
        }
        printf("\n");
    }
    printf("metamorphic: %d of %zu changed series broke the count or the athlete\n", failures,
           nc * CH_COUNT);
    for (size_t k = 0; k < nc; k++)
        free(cl[k].s.f);
    assert_int_equal(failures, 0);
}

int main(void)
{
    rrtest_require_shared("analysis/test_metamorphic", "media/ground_truth.json", gt_path,
                          sizeof gt_path);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(metamorphic__count_and_athlete_survive_every_change),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
