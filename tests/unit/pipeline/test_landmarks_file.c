/* test_landmarks_file.c - landmark files (landmarks_file.h): every accepted variant of
 * repright.pose/1 (objects, arrays of 2 to 5 numbers, nulls, no world, no visibility, unknown
 * size, labels), the analysis fixtures and MediaPipe reference dumps read like
 * tests/unit/analysis/series_load.h reads them, a bit-exact round trip on random frames, the
 * readable style byte for byte as `repright pose --json` printed it with jansson, the replay
 * track (compact, decimated, reads back), a table of malformed inputs with their error and
 * message (the retired repright.series/1 among them), and the file checks of load/save.
 * The MediaPipe part needs ../shared: without it the other tests still run and the program then
 * exits 77 with a SKIP line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analysis/analysis.h"
#include "base/rr_error.h"
#include "pipeline/landmarks_file.h"
#include "support/rrtest.h"

#if defined(__has_include)
#if __has_include("../analysis/series_load.h")
#include "../analysis/series_load.h"
#define HAVE_SERIES_LOAD 1
#endif
#endif

#define FIXDIR RR_SOURCE_DIR "/tests/fixtures/analysis"
#define REFDIR RR_SHARED_DIR "/media/reference"

typedef char label_t[LANDMARKS_FILE_LABEL_MAX + 1];

/* --- helpers ------------------------------------------------------------------------------- */

struct parsed {
    int rc;
    struct rr_pose_frame *f;
    size_t n;
    label_t *labels;
    struct landmarks_file_info info;
    char msg[512];
};

static void parse_text(const char *text, struct parsed *p)
{
    memset(p, 0, sizeof *p);
    p->rc = landmarks_file_parse(text, strlen(text), &p->f, &p->n, &p->labels, &p->info, p->msg,
                                 sizeof p->msg);
}

static void parse_ok(const char *text, struct parsed *p)
{
    parse_text(text, p);
    if (p->rc != 0)
        fail_msg("parse failed (%d): %s", p->rc, p->msg);
}

static void parsed_free(struct parsed *p)
{
    free(p->f);
    free(p->labels);
    memset(p, 0, sizeof *p);
}

/* Growing text for generated documents. */
struct text {
    char *p;
    size_t len, cap;
};

__attribute__((format(printf, 2, 3))) static void add(struct text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    assert_true(n >= 0);
    if (t->len + (size_t)n + 1 > t->cap) {
        t->cap = (t->len + (size_t)n + 1) * 2;
        t->p = realloc(t->p, t->cap);
        assert_non_null(t->p);
    }
    va_start(ap, fmt);
    vsnprintf(t->p + t->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

/* n landmark items from a template where X and Y stand for item k's x = 0.01 k, y = 1 - x. */
static void add_list(struct text *t, const char *tmpl, int n_items)
{
    add(t, "[");
    for (int k = 0; k < n_items; k++) {
        if (k)
            add(t, ",");
        for (const char *c = tmpl; *c; c++) {
            if (*c == 'X')
                add(t, "%g", 0.01 * k);
            else if (*c == 'Y')
                add(t, "%g", 1.0 - 0.01 * k);
            else
                add(t, "%c", *c);
        }
    }
    add(t, "]");
}

static int same_float(float a, float b)
{
    return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

static int same_landmark(const struct rr_landmark *a, const struct rr_landmark *b)
{
    return same_float(a->x, b->x) && same_float(a->y, b->y) && same_float(a->z, b->z) &&
           same_float(a->visibility, b->visibility) && same_float(a->presence, b->presence);
}

static int not_found(const struct rr_landmark *l)
{
    return isnan(l->x) && isnan(l->y) && isnan(l->z) && l->visibility == 0.0f &&
           l->presence == 0.0f;
}

/* Every field the format carries; `what` names the first difference. */
static void assert_same_frame(const struct rr_pose_frame *a, const struct rr_pose_frame *b,
                              size_t i)
{
    if (a->t_us != b->t_us || a->width != b->width || a->height != b->height ||
        a->has_pose != b->has_pose)
        fail_msg("frame %zu: t/size/pose differ (%lld %dx%d %d vs %lld %dx%d %d)", i,
                 (long long)a->t_us, a->width, a->height, a->has_pose, (long long)b->t_us, b->width,
                 b->height, b->has_pose);
    if (!a->has_pose)
        return;
    if (a->flags != b->flags || !same_float(a->score, b->score))
        fail_msg("frame %zu: flags %u/%u or score %g/%g differ", i, a->flags, b->flags,
                 (double)a->score, (double)b->score);
    for (int k = 0; k < RR_NUM_LANDMARKS; k++) {
        if (!same_landmark(&a->image[k], &b->image[k]))
            fail_msg("frame %zu: image landmark %d differs", i, k);
        if (!(a->flags & RR_POSE_NO_WORLD) && !same_landmark(&a->world[k], &b->world[k]))
            fail_msg("frame %zu: world landmark %d differs", i, k);
    }
}

/* --- variants ------------------------------------------------------------------------------ */

/* What `repright pose --json` prints: objects with names, a frame without a pose. */
static void landmarks_file__reads_objects_as_pose_json_prints_them(void **state)
{
    (void)state;
    struct text t = {0};
    add(&t, "{\"schema\":\"repright.pose/1\",\"file\":\"clip.mp4\",\"width\":1280,\"height\":720,"
            "\"model\":\"full\",\"fps\":29.97,\"frames\":[\n");
    add(&t, "{\"t_ms\":0.0,\"pose\":true,\"score\":0.98,\"landmarks\":");
    add_list(&t,
             "{\"name\":\"n\",\"x\":X,\"y\":Y,\"z\":-0.5,\"visibility\":0.9,"
             "\"presence\":0.8}",
             33);
    add(&t, ",\"world_landmarks\":");
    add_list(&t, "{\"x\":X,\"y\":Y,\"z\":0.25,\"visibility\":0.7,\"presence\":0.6}", 33);
    add(&t, "},\n{\"t_ms\":33.3667,\"pose\":false},\n{\"t_ms\":66.7}\n]}");
    struct parsed p;
    parse_ok(t.p, &p);
    assert_int_equal(p.n, 3);
    assert_string_equal(p.info.schema, "repright.pose/1");
    assert_int_equal(p.info.width, 1280);
    assert_int_equal(p.info.height, 720);
    assert_true(p.info.fps == 29.97);
    assert_string_equal(p.info.model, "full");
    assert_string_equal(p.info.file, "clip.mp4");
    assert_int_equal(p.info.n_with_pose, 1);
    assert_int_equal(p.info.has_world, 1);
    assert_int_equal(p.info.has_visibility, 1);
    assert_null(p.labels);
    const struct rr_pose_frame *f = &p.f[0];
    assert_int_equal(f->t_us, 0);
    assert_int_equal(f->has_pose, 1);
    assert_int_equal(f->flags, 0);
    assert_int_equal(f->width, 1280);
    assert_true(f->score == 0.98f);
    assert_true(f->image[10].x == (float)0.1 && f->image[10].y == (float)0.9);
    assert_true(f->image[10].z == -0.5f && f->image[10].visibility == 0.9f);
    assert_true(f->image[10].presence == 0.8f);
    assert_true(f->world[32].z == 0.25f && f->world[32].presence == 0.6f);
    assert_int_equal(p.f[1].t_us, 33367); /* rounded to the microsecond */
    assert_int_equal(p.f[1].has_pose, 0);
    assert_int_equal(p.f[1].flags, 0);
    assert_true(not_found(&p.f[1].image[0]));
    assert_int_equal(p.f[2].has_pose, 0); /* no landmarks: no pose */
    parsed_free(&p);
    free(t.p);
}

static void landmarks_file__reads_arrays_of_2_to_5_numbers(void **state)
{
    (void)state;
    static const char *const items[] = {"[X,Y]", "[X,Y,0.5]", "[X,Y,0.5,0.25]",
                                        "[X,Y,0.5,0.25,0.125]"};
    struct text t = {0};
    add(&t, "{\"schema\":\"repright.pose/1\",\"width\":640,\"height\":480,\"frames\":[");
    for (int v = 0; v < 4; v++) {
        add(&t, "%s{\"t_ms\":%d,\"landmarks\":", v ? "," : "", v * 10);
        add_list(&t, items[v], 33);
        add(&t, ",\"world_landmarks\":");
        add_list(&t, items[v], 33);
        add(&t, "}");
    }
    add(&t, "]}");
    struct parsed p;
    parse_ok(t.p, &p);
    assert_int_equal(p.n, 4);
    assert_int_equal(p.info.has_visibility, 1);
    for (int v = 0; v < 4; v++) {
        const struct rr_pose_frame *f = &p.f[v];
        const struct rr_landmark *l = &f->image[3];
        assert_int_equal(f->has_pose, 1);
        assert_int_equal(f->t_us, v * 10000);
        assert_true(l->x == (float)0.03 && l->y == (float)0.97);
        if (v == 0)
            assert_true(isnan(l->z));
        else
            assert_true(l->z == 0.5f);
        assert_true(l->visibility == (v >= 2 ? 0.25f : 1.0f));
        assert_true(l->presence == (v >= 3 ? 0.125f : 1.0f));
        assert_true(same_landmark(l, &f->world[3]));
        /* frames whose landmarks carry no visibility say so, even when others do */
        assert_int_equal(f->flags, v < 2 ? RR_POSE_NO_VISIBILITY : 0u);
    }
    parsed_free(&p);
    free(t.p);
}

static void landmarks_file__null_landmarks_are_not_found(void **state)
{
    (void)state;
    struct text t = {0};
    add(&t, "{\"schema\":\"repright.pose/1\",\"frames\":[{\"t_ms\":5,\"score\":null,"
            "\"landmarks\":[null,[null,0.5,1,1,1],{\"x\":0.5,\"y\":null},[0.1,0.2,null,null,0.3]");
    for (int k = 4; k < 33; k++)
        add(&t, ",[0.5,0.5,0,0.9,0.9]");
    add(&t, "],\"world_landmarks\":null}]}");
    struct parsed p;
    parse_ok(t.p, &p);
    const struct rr_pose_frame *f = &p.f[0];
    assert_int_equal(f->has_pose, 1);
    assert_true(isnan(f->score));
    assert_true(not_found(&f->image[0]));
    assert_true(not_found(&f->image[1]));
    assert_true(not_found(&f->image[2]));
    assert_true(f->image[3].x == 0.1f && isnan(f->image[3].z) && isnan(f->image[3].visibility));
    assert_true(f->image[3].presence == 0.3f);
    assert_int_equal(f->flags, RR_POSE_NO_WORLD); /* world_landmarks null = absent */
    for (int k = 0; k < 33; k++)
        assert_true(not_found(&f->world[k]));
    parsed_free(&p);
    free(t.p);
}

/* No world and no visibility anywhere: both flags on every frame, with or without a pose; no
 * size: width = height = 0. */
static void landmarks_file__no_world_no_visibility_and_unknown_size_set_flags(void **state)
{
    (void)state;
    struct text t = {0};
    add(&t, "{\"schema\":\"repright.pose/1\",\"frames\":[{\"t_ms\":0,\"pose\":false},");
    add(&t, "{\"t_ms\":40,\"landmarks\":");
    add_list(&t, "[X,Y]", 33);
    add(&t, "},{\"t_ms\":80,\"landmarks\":");
    add_list(&t, "{\"x\":X,\"y\":Y,\"z\":0.1}", 33);
    add(&t, "}]}");
    struct parsed p;
    parse_ok(t.p, &p);
    assert_int_equal(p.n, 3);
    assert_int_equal(p.info.width, 0);
    assert_int_equal(p.info.height, 0);
    assert_true(p.info.fps == 0.0);
    assert_int_equal(p.info.has_world, 0);
    assert_int_equal(p.info.has_visibility, 0);
    assert_int_equal(p.info.n_with_pose, 2);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(p.f[i].flags, RR_POSE_NO_WORLD | RR_POSE_NO_VISIBILITY);
        assert_int_equal(p.f[i].width, 0);
        assert_int_equal(p.f[i].height, 0);
    }
    assert_true(p.f[1].image[7].visibility == 1.0f && p.f[1].image[7].presence == 1.0f);
    assert_true(isnan(p.f[2].world[7].x));
    assert_true(p.f[2].image[7].z == 0.1f);
    parsed_free(&p);
    free(t.p);
}

static void landmarks_file__hands_back_labels(void **state)
{
    (void)state;
    const char *doc = "{\"schema\":\"repright.pose/1\",\"frames\":[{\"t_ms\":0,\"label\":"
                      "\"squats_down\"},{\"t_ms\":1},{\"t_ms\":2,\"label\":null},{\"t_ms\":3,"
                      "\"label\":\"\\u00e9t\\u00e9 0123456789012345678901234567890123456789"
                      "012345678901234567\"}]}";
    struct parsed p;
    parse_ok(doc, &p);
    assert_non_null(p.labels);
    assert_string_equal(p.labels[0], "squats_down");
    assert_string_equal(p.labels[1], "");
    assert_string_equal(p.labels[2], "");
    assert_int_equal(strlen(p.labels[3]), 64); /* 6 bytes of "\u00e9t\u00e9 " + 58 digits */
    parsed_free(&p);
    /* labels not wanted: fine; none in the file: NULL */
    struct rr_pose_frame *f = NULL;
    size_t n = 0;
    assert_int_equal(landmarks_file_parse(doc, strlen(doc), &f, &n, NULL, NULL, NULL, 0), 0);
    assert_int_equal(n, 4);
    free(f);
    parse_ok("{\"schema\":\"repright.pose/1\",\"frames\":[{\"t_ms\":0}]}", &p);
    assert_null(p.labels);
    parsed_free(&p);
    parse_ok("{\"schema\":\"repright.pose/1\",\"frames\":[]}", &p);
    assert_int_equal(p.n, 0);
    assert_null(p.f);
    parsed_free(&p);
}

/* The same frames as series_load.h gives (the test reader of the analysis tests). */
static void compare_with_series_load(const char *path, const struct parsed *p)
{
#ifdef HAVE_SERIES_LOAD
    size_t n = 0;
    struct rr_pose_frame *ref = series_load(path, &n);
    assert_non_null(ref);
    assert_int_equal(n, p->n);
    for (size_t i = 0; i < n; i++) {
        const struct rr_pose_frame *a = &p->f[i], *b = &ref[i];
        assert_int_equal(a->t_us, b->t_us);
        assert_int_equal(a->width, b->width);
        assert_int_equal(a->height, b->height);
        assert_int_equal(a->has_pose, b->has_pose);
        if (!a->has_pose)
            continue;
        assert_true(a->score == b->score);
        assert_int_equal(a->flags, b->flags);
        for (int k = 0; k < RR_NUM_LANDMARKS; k++) {
            if (!same_landmark(&a->image[k], &b->image[k]) ||
                !same_landmark(&a->world[k], &b->world[k]))
                fail_msg("%s frame %zu landmark %d differs from series_load", path, i, k);
        }
    }
    free(ref);
#else
    (void)path;
    (void)p;
#endif
}

static void landmarks_file__reads_the_analysis_fixtures(void **state)
{
    (void)state;
    DIR *d = opendir(FIXDIR);
    assert_non_null(d);
    int files = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 5, ".json") != 0 ||
            strcmp(e->d_name, "index.json") == 0)
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", FIXDIR, e->d_name);
        struct parsed p;
        memset(&p, 0, sizeof p);
        p.rc = landmarks_file_load(path, &p.f, &p.n, &p.labels, &p.info, p.msg, sizeof p.msg);
        if (p.rc != 0)
            fail_msg("%s: %s", path, p.msg);
        assert_string_equal(p.info.schema, "repright.pose/1");
        assert_true(p.n > 10 && p.info.n_with_pose > 0);
        assert_true(p.info.width > 0 && p.info.height > 0);
        assert_int_equal(p.info.has_world, 1);
        assert_int_equal(p.info.has_visibility, 1);
        compare_with_series_load(path, &p);
        parsed_free(&p);
        files++;
    }
    closedir(d);
    assert_true(files >= 4);
}

static int shared_missing;

static void landmarks_file__reads_mediapipe_reference_dumps(void **state)
{
    (void)state;
    DIR *d = opendir(REFDIR);
    if (!d) {
        shared_missing = 1;
        return;
    }
    int files = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 9 || strcmp(e->d_name + len - 9, ".mp1.json") != 0)
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", REFDIR, e->d_name);
        struct parsed p;
        memset(&p, 0, sizeof p);
        p.rc = landmarks_file_load(path, &p.f, &p.n, &p.labels, &p.info, p.msg, sizeof p.msg);
        if (p.rc != 0)
            fail_msg("%s: %s", path, p.msg);
        assert_string_equal(p.info.schema, "mediapipe.mpref");
        assert_true(p.info.fps > 0);
        assert_true(p.info.model[0] != '\0');
        assert_true(p.info.file[0] != '\0');
        assert_true(p.info.width > 0 && p.info.height > 0);
        assert_true(p.info.n_with_pose > 0);
        compare_with_series_load(path, &p);
        parsed_free(&p);
        files++;
    }
    closedir(d);
    assert_true(files > 0);
}

/* --- round trip ---------------------------------------------------------------------------- */

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

/* Any finite float: ordinary values, every exponent, -0, subnormals, FLT_MAX. */
static float any_float(void)
{
    switch (rnd() % 8) {
    case 0: {
        for (;;) {
            uint32_t bits = rnd();
            float v;
            memcpy(&v, &bits, sizeof v);
            if (isfinite(v))
                return v;
        }
    }
    case 1: {
        static const float special[] = {-0.0f,          0.0f, 1e-45f, -1.17549435e-38f,
                                        3.40282347e38f, 1.0f, 0.1f,   -2.5f};
        return special[rnd() % 8];
    }
    default:
        return ((float)rnd() / 4294967296.0f) * 3.0f - 1.0f;
    }
}

static void random_landmark(struct rr_landmark *l, int with_vis)
{
    if (rnd() % 10 == 0) {
        l->x = l->y = l->z = NAN;
        l->visibility = l->presence = 0.0f;
        return;
    }
    l->x = any_float();
    l->y = any_float();
    l->z = rnd() % 10 == 0 ? NAN : any_float();
    if (with_vis) {
        l->visibility = rnd() % 20 == 0 ? NAN : any_float();
        l->presence = rnd() % 20 == 0 ? NAN : any_float();
    } else {
        l->visibility = l->presence = 1.0f;
    }
}

static void random_frames(struct rr_pose_frame *f, size_t n, label_t *labels)
{
    int64_t t = (int64_t)(rnd() % 1000);
    memset(f, 0, n * sizeof *f);
    for (size_t i = 0; i < n; i++) {
        t += rnd() % 4 == 0 ? 0 : (int64_t)(rnd() % 100000);
        f[i].t_us = t;
        f[i].width = rnd() % 8 == 0 ? (int)(rnd() % 4000) : 1920;
        f[i].height = f[i].width == 1920 ? 1080 : (int)(rnd() % 4000);
        f[i].has_pose = i == 0 || rnd() % 5 != 0;
        if (!f[i].has_pose) {
            f[i].flags = 0; /* file-level: this file has world and visibility somewhere */
            continue;
        }
        f[i].flags = i == 0 ? 0u : rnd() % 4;
        f[i].score = rnd() % 20 == 0 ? NAN : any_float();
        int with_vis = !(f[i].flags & RR_POSE_NO_VISIBILITY);
        for (int k = 0; k < RR_NUM_LANDMARKS; k++) {
            random_landmark(&f[i].image[k], with_vis);
            if (f[i].flags & RR_POSE_NO_WORLD) {
                f[i].world[k].x = f[i].world[k].y = f[i].world[k].z = NAN;
                f[i].world[k].visibility = f[i].world[k].presence = 0.0f;
            } else {
                random_landmark(&f[i].world[k], with_vis);
            }
        }
        f[i].image[0].x = 0.5f; /* at least one landmark found in every frame */
        f[i].image[0].y = 0.5f;
        f[i].image[0].visibility = with_vis ? 0.5f : 1.0f;
        f[i].image[0].presence = 1.0f;
        snprintf(labels[i], sizeof labels[i], "%s", rnd() % 3 ? "" : rnd() % 2 ? "up" : "dow\"n\n");
    }
}

static void landmarks_file__round_trip_is_bit_exact(void **state)
{
    (void)state;
    for (int round = 0; round < 20; round++) {
        size_t n = 1 + rnd() % 120;
        struct rr_pose_frame *f = calloc(n, sizeof *f);
        label_t *labels = calloc(n, sizeof *labels);
        assert_non_null(f);
        assert_non_null(labels);
        random_frames(f, n, labels);
        struct landmarks_file_info info;
        memset(&info, 0, sizeof info);
        info.width = 1920;
        info.height = 1080;
        info.fps = round % 2 ? 29.97002997002997 : 0.0;
        snprintf(info.model, sizeof info.model, "%s", round % 3 ? "full" : "");
        snprintf(info.file, sizeof info.file, "%s", "dir/clip \"x\".mp4");
        char *text = landmarks_file_write(f, n, labels, &info);
        assert_non_null(text);
        struct parsed p;
        parse_ok(text, &p);
        assert_int_equal(p.n, n);
        for (size_t i = 0; i < n; i++) {
            assert_same_frame(&f[i], &p.f[i], i);
            assert_string_equal(p.labels ? p.labels[i] : "", labels[i]);
        }
        assert_true(p.info.fps == info.fps);
        assert_string_equal(p.info.model, info.model);
        assert_string_equal(p.info.file, info.file);
        assert_int_equal(p.info.width, 1920);
        /* and writing what was read gives the same text */
        struct landmarks_file_info info2 = p.info;
        char *again = landmarks_file_write(p.f, p.n, p.labels, &info2);
        assert_non_null(again);
        assert_string_equal(again, text);
        free(again);
        parsed_free(&p);
        free(text);
        free(labels);
        free(f);
    }
}

static void landmarks_file__writes_times_negative_zero_and_frames_without_pose(void **state)
{
    (void)state;
    struct rr_pose_frame f[2];
    memset(f, 0, sizeof f);
    f[0].t_us = 33367;
    f[0].width = 640;
    f[0].height = 480;
    f[1].t_us = 123456789012;
    f[1].width = 640;
    f[1].height = 480;
    f[1].has_pose = 1;
    f[1].flags = RR_POSE_NO_WORLD | RR_POSE_NO_VISIBILITY;
    f[1].score = 1.0f;
    for (int k = 0; k < RR_NUM_LANDMARKS; k++) {
        f[1].image[k] = (struct rr_landmark){-0.0f, 0.25f, NAN, 1.0f, 1.0f};
        f[1].world[k] = (struct rr_landmark){9, 9, 9, 9, 9}; /* not written: NO_WORLD */
    }
    char *text = landmarks_file_write(f, 2, NULL, NULL);
    assert_non_null(text);
    assert_non_null(strstr(text, "\"width\":640,\"height\":480"));
    assert_non_null(strstr(text, "{\"t_ms\":33.367,\"pose\":false}"));
    assert_non_null(strstr(text, "{\"t_ms\":123456789.012,\"pose\":true,\"score\":1.0,"
                                 "\"landmarks\":[[-0.0,0.25],"));
    assert_null(strstr(text, "world_landmarks"));
    assert_null(strstr(text, "\"fps\""));
    struct parsed p;
    parse_ok(text, &p);
    assert_same_frame(&f[0], &p.f[0], 0);
    assert_same_frame(&f[1], &p.f[1], 1);
    assert_true(signbit(p.f[1].image[4].x));
    parsed_free(&p);
    free(text);
    char *empty = landmarks_file_write(NULL, 0, NULL, NULL);
    assert_string_equal(empty, "{\"schema\":\"repright.pose/1\",\"width\":0,\"height\":0,"
                               "\"frames\":[]}\n");
    free(empty);
    assert_null(landmarks_file_write(NULL, 1, NULL, NULL));
}

/* The readable style is what `repright pose --json` printed when it built each frame with
 * jansson (objects with names, JSON_REAL_PRECISION(7), null for non-finite numbers): the same
 * bytes, head, frames and tail. */
static json_t *old_num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *old_landmarks(const struct rr_landmark *lm)
{
    json_t *arr = json_array();
    for (int i = 0; i < RR_NUM_LANDMARKS; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(rr_landmark_name(i)));
        json_object_set_new(o, "x", old_num(lm[i].x));
        json_object_set_new(o, "y", old_num(lm[i].y));
        json_object_set_new(o, "z", old_num(lm[i].z));
        json_object_set_new(o, "visibility", old_num(lm[i].visibility));
        json_object_set_new(o, "presence", old_num(lm[i].presence));
        json_array_append_new(arr, o);
    }
    return arr;
}

static char *old_frame(const struct rr_pose_frame *pf)
{
    json_t *fr = json_object();
    json_object_set_new(fr, "t_ms", json_real((double)pf->t_us / 1000.0));
    json_object_set_new(fr, "pose", json_boolean(pf->has_pose));
    if (pf->has_pose) {
        json_object_set_new(fr, "score", old_num(pf->score));
        json_object_set_new(fr, "landmarks", old_landmarks(pf->image));
        json_object_set_new(fr, "world_landmarks", old_landmarks(pf->world));
    }
    char *s = json_dumps(fr, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(7));
    json_decref(fr);
    return s;
}

static void landmarks_file__readable_style_is_what_pose_json_printed(void **state)
{
    (void)state;
    enum { N = 40 };
    struct rr_pose_frame *f = calloc(N, sizeof *f);
    label_t *labels = calloc(N, sizeof *labels);
    assert_non_null(f);
    assert_non_null(labels);
    random_frames(f, N, labels);
    struct text want = {0};
    add(&want, "{\"schema\":\"repright.pose/1\",\"file\":\"dir/clip \xc3\xa9.mp4\",\"width\":1920,"
               "\"height\":1080,\"model\":\"lite\",\"frames\":[");
    struct rr_json j;
    rr_json_init(&j, NULL, 0, 1 << 24);
    struct landmarks_file_head h = {LANDMARKS_FILE_READABLE, "dir/clip \xc3\xa9.mp4", "lite", 1920,
                                    1080, 0};
    landmarks_file_write_head(&j, &h);
    for (int i = 0; i < N; i++) {
        f[i].flags = 0; /* the pose engine's frames: everything measured, one size */
        f[i].width = 1920;
        f[i].height = 1080;
        char *s = old_frame(&f[i]);
        assert_non_null(s);
        add(&want, "%s%s", i ? ",\n" : "\n", s);
        free(s);
        landmarks_file_write_frame(&j, &h, &f[i], NULL);
    }
    add(&want, "\n]}\n");
    landmarks_file_write_tail(&j);
    assert_int_equal(rr_json_error(&j), 0);
    assert_string_equal(rr_json_data(&j), want.p);
    rr_json_release(&j);
    free(want.p);
    free(labels);
    free(f);
}

/* The replay track: compact, image landmarks only, decimated past the frame limit, and still a
 * pose/1 file the reader takes. */
static void landmarks_file__track_is_compact_and_reads_back(void **state)
{
    (void)state;
    size_t n = LANDMARKS_FILE_TRACK_MAX_FRAMES + 7;
    struct rr_pose_frame *f = calloc(n, sizeof *f);
    assert_non_null(f);
    for (size_t i = 0; i < n; i++) {
        f[i].t_us = (int64_t)i * 33367;
        f[i].width = 1280;
        f[i].height = 720;
        f[i].has_pose = i % 50 != 7;
        f[i].score = 0.9876f;
        for (int k = 0; k < RR_NUM_LANDMARKS; k++) {
            float u = (float)((i * 31 + (size_t)k * 17) % 1000) / 1000.0f;
            f[i].image[k] = (struct rr_landmark){u, 1.0f - u, -0.25f * u, 0.5f + u / 2, 0.99f};
            f[i].world[k] = (struct rr_landmark){1, 2, 3, 1, 1};
        }
        f[i].image[3].x = NAN; /* not found */
    }
    /* a short track: every frame, under 1 KB each */
    char *text = landmarks_file_write_track(f, 300, 29.97, 1280, 720);
    assert_non_null(text);
    assert_true(strlen(text) < 300 * 1000);
    assert_non_null(strstr(text, "{\"schema\":\"repright.pose/1\",\"width\":1280,\"height\":720,"
                                 "\"fps\":29.97,\"frames\":[\n{\"t_ms\":0.000,\"pose\":true,"
                                 "\"score\":0.988,\"landmarks\":[[0,1,0,0.5],"));
    assert_null(strstr(text, "world_landmarks"));
    struct parsed p;
    parse_ok(text, &p);
    assert_int_equal(p.n, 300);
    assert_int_equal(p.info.has_world, 0);
    for (size_t i = 0; i < p.n; i++) {
        assert_int_equal(p.f[i].t_us, f[i].t_us);
        assert_int_equal(p.f[i].has_pose, f[i].has_pose);
        if (!p.f[i].has_pose)
            continue;
        assert_true(p.f[i].flags & RR_POSE_NO_WORLD);
        assert_true(not_found(&p.f[i].image[3]));
        for (int k = 0; k < RR_NUM_LANDMARKS; k++) {
            if (k == 3)
                continue;
            assert_float_equal(p.f[i].image[k].x, f[i].image[k].x, 0.0005);
            assert_float_equal(p.f[i].image[k].y, f[i].image[k].y, 0.0005);
            assert_float_equal(p.f[i].image[k].visibility, f[i].image[k].visibility, 0.005);
        }
    }
    parsed_free(&p);
    free(text);
    /* past the limit: every 2nd frame, real times */
    text = landmarks_file_write_track(f, n, 30, 1280, 720);
    assert_non_null(text);
    parse_ok(text, &p);
    assert_int_equal(p.n, (n + 1) / 2);
    assert_true(p.n <= LANDMARKS_FILE_TRACK_MAX_FRAMES);
    assert_int_equal(p.f[1].t_us, f[2].t_us);
    parsed_free(&p);
    free(text);
    assert_null(landmarks_file_write_track(NULL, 2, 30, 1, 1));
    free(f);
}

/* --- malformed input ----------------------------------------------------------------------- */

static const char *const head = "{\"schema\":\"repright.pose/1\",\"frames\":[";

/* head + one frame whose landmarks are `items` (joined by commas n times) + tail */
static char *doc_with_items(const char *first, const char *rest, int n)
{
    struct text t = {0};
    add(&t, "%s{\"t_ms\":0,\"landmarks\":[%s", head, first);
    for (int k = 1; k < n; k++)
        add(&t, ",%s", rest);
    add(&t, "]}]}");
    return t.p;
}

struct bad_case {
    const char *name;
    char *text; /* owned */
    int err;
    const char *fragment;
};

static char *dup_str(const char *s)
{
    char *p = strdup(s);
    assert_non_null(p);
    return p;
}

static char *with_head(const char *frames_and_tail)
{
    struct text t = {0};
    add(&t, "%s%s", head, frames_and_tail);
    return t.p;
}

static void landmarks_file__refuses_malformed_input_with_a_reason(void **state)
{
    (void)state;
    struct text many = {0};
    add(&many, "%s", head);
    for (int i = 0; i <= ANALYSIS_MAX_FRAMES; i++)
        add(&many, "%s{\"t_ms\":%d}", i ? "," : "", i);
    add(&many, "]}");
    char nested[400];
    memset(nested, '[', 100);
    memset(nested + 100, ']', 100);
    nested[200] = '\0';
    struct text deep = {0};
    add(&deep, "{\"x\":%s,\"schema\":\"repright.pose/1\",\"frames\":[]}", nested);
    char longlabel[200];
    memset(longlabel, 'a', 65);
    longlabel[65] = '\0';
    struct text lab = {0};
    add(&lab, "%s{\"t_ms\":0,\"label\":\"%s\"}]}", head, longlabel);
    struct text world3 = {0}, score = {0};
    char *d = doc_with_items("null", "[0.5,0.5]", 33);
    add(&world3, "%.*s],\"world_landmarks\":[null,null,null]}]}", (int)(strstr(d, "]}]}") - d), d);
    add(&score, "%s{\"score\":\"high\",%s", head, d + strlen(head) + 1);
    free(d);
    struct bad_case cases[] = {
        {"wrong schema", dup_str("{\"schema\":\"repright.pose/2\",\"frames\":[]}"), RR_ERR_CORRUPT,
         "unknown schema \"repright.pose/2\""},
        {"schema not a string", dup_str("{\"schema\":1,\"frames\":[]}"), RR_ERR_CORRUPT,
         "unknown schema"},
        {"no schema", dup_str("{\"frames\":[]}"), RR_ERR_CORRUPT, "missing \"schema\""},
        {"retired series/1", dup_str("{\"format\":\"repright.series/1\",\"frames\":[{\"t\":0}]}"),
         RR_ERR_CORRUPT, "missing \"schema\": \"repright.pose/1\""},
        {"no frames", dup_str("{\"schema\":\"repright.pose/1\"}"), RR_ERR_CORRUPT,
         "missing \"frames\""},
        {"frames not an array", dup_str("{\"schema\":\"repright.pose/1\",\"frames\":{}}"),
         RR_ERR_CORRUPT, "\"frames\" must be an array"},
        {"frame not an object", with_head("[1]]}"), RR_ERR_CORRUPT,
         "frame 0: a frame must be an object"},
        {"missing t_ms", with_head("{\"t_ms\":0},{\"pose\":false}]}"), RR_ERR_CORRUPT,
         "frame 1: t_ms is missing"},
        {"t_ms a string", with_head("{\"t_ms\":\"0\"}]}"), RR_ERR_CORRUPT,
         "frame 0: t_ms must be a number"},
        {"negative t_ms", with_head("{\"t_ms\":-1}]}"), RR_ERR_CORRUPT,
         "frame 0: t_ms must be from 0"},
        {"huge t_ms", with_head("{\"t_ms\":1e300}]}"), RR_ERR_CORRUPT, "t_ms must be from 0"},
        {"decreasing t_ms", with_head("{\"t_ms\":10},{\"t_ms\":20},{\"t_ms\":19.9}]}"),
         RR_ERR_CORRUPT, "frame 2: time goes backwards"},
        {"32 landmarks", doc_with_items("null", "null", 32), RR_ERR_CORRUPT,
         "frame 0: landmarks must have 33 items, not 32"},
        {"34 landmarks", doc_with_items("null", "null", 34), RR_ERR_CORRUPT,
         "landmarks must have 33 items, not 34"},
        {"landmarks not an array", with_head("{\"t_ms\":0,\"landmarks\":{}}]}"), RR_ERR_CORRUPT,
         "frame 0: landmarks must be an array of 33 items"},
        {"world with 3 items", world3.p, RR_ERR_CORRUPT,
         "frame 0: world_landmarks must have 33 items, not 3"},
        {"string coordinate in an array", doc_with_items("[\"0.5\",0.5]", "null", 33),
         RR_ERR_CORRUPT, "frame 0: landmarks[0][0] must be a number"},
        {"string coordinate in an object", doc_with_items("{\"x\":0.1,\"y\":\"0.5\"}", "null", 33),
         RR_ERR_CORRUPT, "frame 0: landmarks[0].y must be a number"},
        {"object without x", doc_with_items("{\"y\":0.5}", "null", 33), RR_ERR_CORRUPT,
         "landmarks[0].x is missing"},
        {"item of 6 numbers", doc_with_items("[1,2,3,4,5,6]", "null", 33), RR_ERR_CORRUPT,
         "landmarks[0] must have 2 to 5 numbers, not 6"},
        {"item of 1 number", doc_with_items("null", "[1]", 33), RR_ERR_CORRUPT,
         "landmarks[1] must have 2 to 5 numbers, not 1"},
        {"item a string", doc_with_items("\"nose\"", "null", 33), RR_ERR_CORRUPT,
         "landmarks[0] must be an object, an array or null"},
        {"number overflowing a double", doc_with_items("[1e999,0]", "null", 33), RR_ERR_CORRUPT,
         "frame 0: real number overflow"},
        {"number overflowing a float", doc_with_items("[1e39,0]", "null", 33), RR_ERR_CORRUPT,
         "frame 0: landmarks[0][0] is out of range"},
        {"NaN", doc_with_items("[NaN,0]", "null", 33), RR_ERR_CORRUPT,
         "frame 0: invalid JSON at line 1, column "},
        {"Infinity", doc_with_items("[0,Infinity]", "null", 33), RR_ERR_CORRUPT,
         "frame 0: invalid JSON"},
        {"-Infinity", doc_with_items("[0,-Infinity]", "null", 33), RR_ERR_CORRUPT,
         "frame 0: invalid JSON"},
        {"pose without landmarks", with_head("{\"t_ms\":0,\"pose\":true}]}"), RR_ERR_CORRUPT,
         "frame 0: pose is true but landmarks is missing"},
        {"pose not a boolean", with_head("{\"t_ms\":0,\"pose\":1}]}"), RR_ERR_CORRUPT,
         "frame 0: pose must be true or false"},
        {"score a string", score.p, RR_ERR_CORRUPT, "frame 0: score must be a number"},
        {"too many frames", many.p, RR_ERR_TOOBIG, "frame 36000: more than 36000 frames"},
        {"label too long", lab.p, RR_ERR_TOOBIG, "frame 0: label is longer than 64 bytes"},
        {"label a number", with_head("{\"t_ms\":0,\"label\":7}]}"), RR_ERR_CORRUPT,
         "frame 0: label must be a string"},
        {"negative width", dup_str("{\"schema\":\"repright.pose/1\",\"width\":-1,\"frames\":[]}"),
         RR_ERR_CORRUPT, "width must be an integer from 0 to 100000"},
        {"fractional frame height", with_head("{\"t_ms\":0,\"height\":1.5}]}"), RR_ERR_CORRUPT,
         "frame 0: height must be an integer"},
        {"fps a string", dup_str("{\"schema\":\"repright.pose/1\",\"fps\":\"30\",\"frames\":[]}"),
         RR_ERR_CORRUPT, "fps must be a number"},
        {"truncated JSON", with_head("{\"t_ms\":0},{\"t_ms\":1"), RR_ERR_CORRUPT,
         "frame 1: unexpected end of the file at line 1, column "},
        {"truncated in a literal", with_head("{\"t_ms\":0,\"pose\":tr"), RR_ERR_CORRUPT,
         "unexpected end of the file"},
        {"not an object (array)", dup_str("[{\"t_ms\":0}]"), RR_ERR_CORRUPT, "not a JSON object"},
        {"not an object (string)", dup_str("\"repright.pose/1\""), RR_ERR_CORRUPT,
         "not a JSON object"},
        {"not JSON at all", dup_str("schema: repright.pose/1\n"), RR_ERR_CORRUPT,
         "not a JSON object"},
        {"empty", dup_str(" \n"), RR_ERR_CORRUPT, "the file is empty"},
        {"data after the document", dup_str("{\"schema\":\"repright.pose/1\",\"frames\":[]} x"),
         RR_ERR_CORRUPT, "data after the end of the document"},
        {"two documents", dup_str("{\"schema\":\"repright.pose/1\",\"frames\":[]}{}"),
         RR_ERR_CORRUPT, "data after the end"},
        {"duplicate root key",
         dup_str("{\"schema\":\"repright.pose/1\",\"frames\":[],\"fr\\u0061mes\":[]}"),
         RR_ERR_CORRUPT, "duplicate key \"frames\""},
        {"duplicate frame key", with_head("{\"t_ms\":0,\"t_ms\":1}]}"), RR_ERR_CORRUPT,
         "frame 0: duplicate object key"},
        {"missing comma", with_head("{\"t_ms\":0} {\"t_ms\":1}]}"), RR_ERR_CORRUPT,
         "frame 0: invalid JSON at line 1, column 50: ',' or ']' expected after a frame"},
        {"control character in a string", with_head("{\"t_ms\":0,\"label\":\"a\tb\"}]}"),
         RR_ERR_CORRUPT, "control character in a string"},
        {"bad escape", with_head("{\"t_ms\":0,\"label\":\"a\\xb\"}]}"), RR_ERR_CORRUPT,
         "bad escape"},
        {"invalid UTF-8 in a frame", with_head("{\"t_ms\":0,\"label\":\"\xff\"}]}"), RR_ERR_CORRUPT,
         "frame 0: unable to decode byte 0xff"},
        {"leading zero", with_head("{\"t_ms\":01}]}"), RR_ERR_CORRUPT, "',' or '}' expected"},
        {"nested too deep", deep.p, RR_ERR_CORRUPT, "nested more than 64 levels deep"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct parsed p;
        parse_text(cases[i].text, &p);
        if (p.rc != cases[i].err || !strstr(p.msg, cases[i].fragment))
            fail_msg("%s: got %d \"%s\", wanted %d \"...%s...\"", cases[i].name, p.rc, p.msg,
                     cases[i].err, cases[i].fragment);
        assert_null(p.f);
        assert_int_equal(p.n, 0);
        assert_null(p.labels);
        free(cases[i].text);
    }
}

/* Every proper prefix of a valid document is refused as truncated, never read as complete. */
static void landmarks_file__every_truncation_is_refused(void **state)
{
    (void)state;
    struct text t = {0};
    add(&t, "{\"schema\":\"repright.pose/1\",\"fps\":-0.0e+0,\"frames\":[{\"t_ms\":0,\"pose\":"
            "false,\"label\":\"a\\u00e9\\n\"},\n{\"t_ms\":1.5e1,\"landmarks\":");
    add_list(&t, "[X,Y,null,true]", 33);
    add(&t, "}]}");
    struct parsed p;
    parse_text(t.p, &p); /* [x,y,null,true]: true is not a number */
    assert_int_equal(p.rc, RR_ERR_CORRUPT);
    assert_non_null(strstr(p.msg, "frame 1: landmarks[0][3] must be a number"));
    free(t.p);
    memset(&t, 0, sizeof t);
    add(&t, "{\"schema\":\"repright.pose/1\",\"fps\":-0.0e+0,\"frames\":[{\"t_ms\":0,\"pose\":"
            "false,\"label\":\"a\\u00e9\\n\"},\n{\"t_ms\":1.5e1,\"landmarks\":");
    add_list(&t, "[X,Y,null,0.5]", 33);
    add(&t, "}]}");
    parse_ok(t.p, &p);
    assert_int_equal(p.n, 2);
    assert_int_equal(p.f[1].t_us, 15000);
    assert_string_equal(p.labels[0], "a\xc3\xa9\n");
    parsed_free(&p);
    for (size_t cut = 1; cut < t.len; cut++) {
        struct rr_pose_frame *f = NULL;
        size_t n = 0;
        char msg[256];
        int rc = landmarks_file_parse(t.p, cut, &f, &n, NULL, NULL, msg, sizeof msg);
        if (rc != RR_ERR_CORRUPT || !strstr(msg, "unexpected end of the file"))
            fail_msg("cut at %zu: %d %s", cut, rc, msg);
    }
    free(t.p);
}

/* --- files --------------------------------------------------------------------------------- */

static void landmarks_file__load_and_save_check_the_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/rr_lmfile_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], msg[256];
    struct rr_pose_frame *f = NULL;
    size_t n = 7;
    snprintf(path, sizeof path, "%s/missing.json", dir);
    assert_int_equal(landmarks_file_load(path, &f, &n, NULL, NULL, msg, sizeof msg),
                     RR_ERR_NOTFOUND);
    assert_null(f);
    assert_int_equal(n, 0);
    assert_int_equal(landmarks_file_load(dir, &f, &n, NULL, NULL, msg, sizeof msg), RR_ERR_IO);
    assert_string_equal(msg, "not a regular file");
    snprintf(path, sizeof path, "%s/fifo", dir);
    assert_int_equal(mkfifo(path, 0600), 0);
    assert_int_equal(landmarks_file_load(path, &f, &n, NULL, NULL, msg, sizeof msg), RR_ERR_IO);
    unlink(path);
    snprintf(path, sizeof path, "%s/empty.json", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(landmarks_file_load(path, &f, &n, NULL, NULL, msg, sizeof msg),
                     RR_ERR_CORRUPT);
    assert_string_equal(msg, "the file is empty");
    /* one byte over the limit, sparse: refused from fstat before anything is read */
    fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)LANDMARKS_FILE_MAX_BYTES + 1), 0);
    close(fd);
    assert_int_equal(landmarks_file_load(path, &f, &n, NULL, NULL, msg, sizeof msg), RR_ERR_TOOBIG);
    assert_non_null(strstr(msg, "more than the 256 MiB limit"));
    unlink(path);

    struct rr_pose_frame fr[3];
    label_t labels[3] = {"a", "", "b"};
    random_frames(fr, 3, labels);
    struct landmarks_file_info info = {.width = 1920, .height = 1080, .fps = 60};
    snprintf(path, sizeof path, "%s/out.pose.json", dir);
    assert_int_equal(landmarks_file_save(path, fr, 3, labels, &info, msg, sizeof msg), 0);
    char part[300];
    snprintf(part, sizeof part, "%s.part", path);
    assert_int_equal(access(part, F_OK), -1);
    label_t *lab = NULL;
    struct landmarks_file_info back;
    assert_int_equal(landmarks_file_load(path, &f, &n, &lab, &back, msg, sizeof msg), 0);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < 3; i++)
        assert_same_frame(&fr[i], &f[i], i);
    assert_true(back.fps == 60.0);
    free(f);
    free(lab);
    unlink(path);
    snprintf(path, sizeof path, "%s/no/such/dir/out.json", dir);
    assert_int_equal(landmarks_file_save(path, fr, 3, NULL, &info, msg, sizeof msg), RR_ERR_IO);
    assert_non_null(strstr(msg, "cannot create"));
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(landmarks_file__reads_objects_as_pose_json_prints_them),
        cmocka_unit_test(landmarks_file__reads_arrays_of_2_to_5_numbers),
        cmocka_unit_test(landmarks_file__null_landmarks_are_not_found),
        cmocka_unit_test(landmarks_file__no_world_no_visibility_and_unknown_size_set_flags),
        cmocka_unit_test(landmarks_file__hands_back_labels),
        cmocka_unit_test(landmarks_file__reads_the_analysis_fixtures),
        cmocka_unit_test(landmarks_file__reads_mediapipe_reference_dumps),
        cmocka_unit_test(landmarks_file__round_trip_is_bit_exact),
        cmocka_unit_test(landmarks_file__writes_times_negative_zero_and_frames_without_pose),
        cmocka_unit_test(landmarks_file__readable_style_is_what_pose_json_printed),
        cmocka_unit_test(landmarks_file__track_is_compact_and_reads_back),
        cmocka_unit_test(landmarks_file__refuses_malformed_input_with_a_reason),
        cmocka_unit_test(landmarks_file__every_truncation_is_refused),
        cmocka_unit_test(landmarks_file__load_and_save_check_the_file),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    if (failed == 0 && shared_missing) {
        printf("SKIP: test_landmarks_file: %s not found (../shared is absent): MediaPipe dumps "
               "not checked\n",
               REFDIR);
        return RRTEST_SKIP_CODE;
    }
    return failed;
}
