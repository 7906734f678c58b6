/* test_track.c - who is in the frame and how the camera is held (src/analysis/track.h): the
 * camera roll of a tilted synthetic standing pose, identities when the pose engine jumps to a
 * second person and back, bridging of a briefly hidden side (usable for signals, never trusted),
 * and frames without a pose or without an image size. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>

#include "analysis/track.h"
#include "synth.h"

static const struct synth_cam front = {SYNTH_FRONT, 1280, 720, 0.35f};

/* Rotate every image landmark by roll_deg about the image centre (isotropic units: a camera
 * rolled by -roll_deg sees this), and the world landmarks about the hip centre alike. */
static void roll_frame(struct rr_pose_frame *f, float roll_deg)
{
    float a = roll_deg * SYNTH_PI / 180.0f, c = cosf(a), s = sinf(a);
    float aspect = (float)f->width / (float)f->height;
    for (int i = 0; i < RR_NUM_LANDMARKS; i++) {
        float x = (f->image[i].x - 0.5f) * aspect, y = f->image[i].y - 0.5f;
        f->image[i].x = (c * x - s * y) / aspect + 0.5f;
        f->image[i].y = s * x + c * y + 0.5f;
        float wx = f->world[i].x, wy = f->world[i].y;
        f->world[i].x = c * wx - s * wy;
        f->world[i].y = s * wx + c * wy;
    }
}

/* Another body: a torso 0.15 m longer (world landmarks of the head, shoulders and arms raised),
 * so its bone proportions differ from synth.h's adult averages. */
static void longer_torso(struct rr_pose_frame *f)
{
    for (int i = RR_LM_NOSE; i <= RR_LM_RIGHT_THUMB; i++)
        f->world[i].y -= 0.15f;
}

/* Move every image landmark by dx (image widths) and scale the body about its hips. */
static void move_frame(struct rr_pose_frame *f, float dx, float scale)
{
    float hx = 0.5f * (f->image[RR_LM_LEFT_HIP].x + f->image[RR_LM_RIGHT_HIP].x);
    float hy = 0.5f * (f->image[RR_LM_LEFT_HIP].y + f->image[RR_LM_RIGHT_HIP].y);
    for (int i = 0; i < RR_NUM_LANDMARKS; i++) {
        f->image[i].x = hx + (f->image[i].x - hx) * scale + dx;
        f->image[i].y = hy + (f->image[i].y - hy) * scale;
    }
}

static void track__estimates_the_roll_of_a_tilted_camera_within_3_degrees(void **state)
{
    (void)state;
    static const float rolls[] = {0.0f, 8.0f, -12.0f, 20.0f};
    for (size_t k = 0; k < sizeof rolls / sizeof rolls[0]; k++) {
        struct tracker t;
        tracker_init(&t);
        struct geom_frame g;
        for (int i = 0; i < 30; i++) {
            /* a standing person, arms moving a little */
            struct synth_pose p = {.shoulder_flex = (float)(i % 10) * 3.0f, .knee_flex = 5.0f};
            struct rr_pose_frame f;
            synth_frame(&p, &front, (int64_t)i * 33333, &f);
            roll_frame(&f, rolls[k]);
            tracker_push(&t, &f, (size_t)i, &g);
            assert_int_equal(g.track, 0);
        }
        printf("camera rolled %.1f deg: estimated %.1f deg\n", (double)rolls[k],
               (double)t.roll_deg);
        assert_float_equal(t.roll_deg, rolls[k], 3.0f);
        /* The corrected frame stands upright again: shoulders straight above the hips. */
        float sx = 0.5f * (g.x[RR_LM_LEFT_SHOULDER] + g.x[RR_LM_RIGHT_SHOULDER]);
        float hx = 0.5f * (g.x[RR_LM_LEFT_HIP] + g.x[RR_LM_RIGHT_HIP]);
        float sy = 0.5f * (g.y[RR_LM_LEFT_SHOULDER] + g.y[RR_LM_RIGHT_SHOULDER]);
        float hy = 0.5f * (g.y[RR_LM_LEFT_HIP] + g.y[RR_LM_RIGHT_HIP]);
        assert_true(hy > sy);
        assert_true(fabsf(atan2f(sx - hx, hy - sy)) * 180.0f / SYNTH_PI < 3.0f);
    }
}

static void
track__a_spliced_second_person_gets_identity_1_and_the_first_comes_back_as_0(void **state)
{
    (void)state;
    struct tracker t;
    tracker_init(&t);
    struct synth_pose a = {.knee_flex = 10.0f};
    /* Someone else, elsewhere in the picture and a little smaller (further away). */
    struct synth_pose b = {.shoulder_flex = 20.0f, .stance = 0.2f};
    int64_t t_us = 0;
    size_t idx = 0;
    struct geom_frame g;
    for (int part = 0; part < 3; part++) {
        for (int i = 0; i < 30; i++, idx++, t_us += 33333) {
            struct rr_pose_frame f;
            synth_frame(part == 1 ? &b : &a, &front, t_us, &f);
            if (part == 1) {
                longer_torso(&f);
                move_frame(&f, 0.35f, 0.85f);
            }
            tracker_push(&t, &f, idx, &g);
            assert_int_equal(g.track, part == 1 ? 1 : 0);
            assert_int_equal(g.index, idx);
        }
    }
    assert_int_equal(t.n_ids, 2);
    assert_int_equal(t.id[0].frames, 60);
    assert_int_equal(t.id[1].frames, 30);
}

static void track__bridges_a_briefly_hidden_side_for_signals_not_for_rules(void **state)
{
    (void)state;
    struct tracker t;
    tracker_init(&t);
    struct synth_pose p = {.knee_flex = 20.0f};
    struct geom_frame g;
    struct rr_pose_frame f;
    size_t idx = 0;
    int64_t t_us = 0;
    for (int i = 0; i < 30; i++, idx++, t_us += 33333) { /* 1 s with both knees seen */
        synth_frame(&p, &front, t_us, &f);
        tracker_push(&t, &f, idx, &g);
    }
    float kx = g.x[RR_LM_LEFT_KNEE], ky = g.y[RR_LM_LEFT_KNEE];
    float bridge_s = 0.0f;
    for (int i = 0; i < 150; i++, idx++, t_us += 33333) { /* then the left knee hidden for 5 s */
        synth_frame(&p, &front, t_us, &f);
        synth_hide(&f, RR_LM_LEFT_KNEE);
        tracker_push(&t, &f, idx, &g);
        assert_int_equal(g.track, 0);
        assert_false(geom_trusted(&g, RR_LM_LEFT_KNEE)); /* never trusted for form rules */
        float hidden_s = (float)(i + 1) / 30.0f;
        if (hidden_s < TRACK_BRIDGE_S - 0.1f) {
            assert_true(geom_usable(&g, RR_LM_LEFT_KNEE));
            assert_float_equal(g.x[RR_LM_LEFT_KNEE], kx, 1e-3f);
            assert_float_equal(g.y[RR_LM_LEFT_KNEE], ky, 1e-3f);
            bridge_s = hidden_s;
        } else if (hidden_s > TRACK_BRIDGE_S + 0.1f) {
            assert_false(geom_usable(&g, RR_LM_LEFT_KNEE)); /* too long: no guess */
        }
    }
    assert_true(bridge_s > 1.5f);
    /* Both knees hidden: nothing to bridge from. */
    synth_frame(&p, &front, t_us, &f);
    synth_hide(&f, RR_LM_LEFT_KNEE);
    synth_hide(&f, RR_LM_RIGHT_KNEE);
    tracker_push(&t, &f, idx, &g);
    assert_false(geom_usable(&g, RR_LM_LEFT_KNEE) || geom_usable(&g, RR_LM_RIGHT_KNEE));
}

static void track__frames_without_a_pose_or_an_image_size(void **state)
{
    (void)state;
    struct tracker t;
    tracker_init(&t);
    struct synth_pose p = {0};
    struct rr_pose_frame f;
    struct geom_frame g;
    synth_frame(&p, &front, 0, &f);
    f.has_pose = 0;
    tracker_push(&t, &f, 0, &g);
    assert_int_equal(g.track, -1);
    assert_false(g.valid);
    assert_int_equal(t.n_ids, 0);
    /* Without an image size frames carry no position: one identity, no roll. */
    for (int i = 0; i < 20; i++) {
        synth_frame(&p, &front, (int64_t)(i + 1) * 33333, &f);
        f.width = f.height = 0;
        if (i >= 10)
            move_frame(&f, 0.4f, 1.0f);
        tracker_push(&t, &f, (size_t)i + 1, &g);
        assert_int_equal(g.track, 0);
        assert_false(g.iso);
    }
    assert_int_equal(t.n_ids, 1);
    assert_true(t.roll_deg == 0.0f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(track__estimates_the_roll_of_a_tilted_camera_within_3_degrees),
        cmocka_unit_test(
            track__a_spliced_second_person_gets_identity_1_and_the_first_comes_back_as_0),
        cmocka_unit_test(track__bridges_a_briefly_hidden_side_for_signals_not_for_rules),
        cmocka_unit_test(track__frames_without_a_pose_or_an_image_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
