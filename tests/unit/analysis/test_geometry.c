/* test_geometry.c - joint angles (3-D and 2-D), torso inclination, yaw and camera view,
 * visibility and out-of-frame gating (usable for signals, trusted for rules), upside-down
 * rejection, and the correction of a rolled camera. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "analysis/geometry.h"
#include "synth.h"

static const struct synth_cam front = {SYNTH_FRONT, 1280, 720, 0.35f};
static const struct synth_cam side = {SYNTH_SIDE, 1280, 720, 0.35f};

static void geometry__measures_right_and_straight_angles(void **state)
{
    (void)state;
    float a[3] = {1, 0, 0}, b[3] = {0, 0, 0}, c[3] = {0, 1, 0}, d[3] = {-2, 0, 0};
    assert_float_equal(geom_angle3(a, b, c), 90.0f, 1e-3f);
    assert_float_equal(geom_angle3(a, b, d), 180.0f, 1e-3f);
    float p[2] = {1, 1}, q[2] = {0, 0}, r[2] = {1, 0};
    assert_float_equal(geom_angle2(p, q, r), 45.0f, 1e-3f);
    assert_true(isnan(geom_angle3(a, a, c)));
}

static void geometry__reads_knee_and_elbow_flexion_from_world_landmarks(void **state)
{
    (void)state;
    struct synth_pose p = {.knee_flex = 90.0f, .shin_fwd = 20.0f, .torso_lean = 30.0f,
                           .elbow_flex = 60.0f};
    struct rr_pose_frame f;
    struct geom_frame g;
    synth_frame(&p, &side, 0, &f);
    geom_frame_compute(&f, 0, 0.0f, &g);
    assert_true(g.valid);
    assert_float_equal(g.knee[GEOM_LEFT], 90.0f, 0.5f);
    assert_float_equal(g.knee[GEOM_RIGHT], 90.0f, 0.5f);
    assert_float_equal(g.elbow[GEOM_LEFT], 120.0f, 0.5f);
    assert_float_equal(g.incl_deg, 30.0f, 0.5f);
}

static void geometry__tells_front_side_and_back_views_apart(void **state)
{
    (void)state;
    struct synth_pose p = {0};
    struct rr_pose_frame f;
    struct geom_frame g;
    synth_frame(&p, &front, 0, &f);
    geom_frame_compute(&f, 0, 0.0f, &g);
    assert_int_equal(geom_view_from_yaw(g.yaw_deg), ANALYSIS_VIEW_FRONT);
    synth_frame(&p, &side, 0, &f);
    geom_frame_compute(&f, 0, 0.0f, &g);
    assert_int_equal(geom_view_from_yaw(g.yaw_deg), ANALYSIS_VIEW_SIDE);
    assert_int_equal(geom_view_from_yaw(180.0f), ANALYSIS_VIEW_BACK);
    assert_int_equal(geom_view_from_yaw(-45.0f), ANALYSIS_VIEW_DIAGONAL);
    assert_int_equal(geom_view_from_yaw(NAN), ANALYSIS_VIEW_UNKNOWN);
}

static void geometry__hidden_or_out_of_frame_joint_gives_no_angle(void **state)
{
    (void)state;
    struct synth_pose p = {.knee_flex = 60.0f};
    struct rr_pose_frame f;
    struct geom_frame g;
    synth_frame(&p, &front, 0, &f);
    synth_hide(&f, RR_LM_LEFT_KNEE);
    f.image[RR_LM_RIGHT_ANKLE].y = 1.2f; /* below the image */
    geom_frame_compute(&f, 0, 0.0f, &g);
    assert_true(g.valid);
    assert_true(isnan(g.knee[GEOM_LEFT]));
    assert_true(isnan(g.knee[GEOM_RIGHT]));
    assert_false(geom_usable(&g, RR_LM_RIGHT_ANKLE));
    assert_true(isnan(geom_pair_mean(g.knee)));
    assert_false(isnan(g.elbow[GEOM_LEFT]));
}

static void geometry__rejects_upside_down_and_missing_poses(void **state)
{
    (void)state;
    struct synth_pose p = {.pitch = 170.0f};
    struct rr_pose_frame f;
    struct geom_frame g;
    synth_frame(&p, &side, 0, &f);
    geom_frame_compute(&f, 0, 0.0f, &g);
    assert_false(g.valid);
    f.has_pose = 0;
    geom_frame_compute(&f, 0, 0.0f, &g);
    assert_false(g.valid);
    assert_int_equal(g.usable, 0);
}

static void geometry__gates_landmarks_by_visibility_for_signals_and_rules(void **state)
{
    (void)state;
    struct synth_pose p = {0};
    struct rr_pose_frame f;
    struct geom_frame g;
    synth_frame(&p, &side, 0, &f);
    f.image[RR_LM_LEFT_KNEE].visibility = 0.5f * (GEOM_VIS_SIGNAL + GEOM_VIS_RULE);
    synth_hide(&f, RR_LM_RIGHT_KNEE);
    geom_frame_compute(&f, 7, 0.0f, &g);
    assert_int_equal(g.index, 7);
    assert_int_equal(g.track, -1);
    /* between the two levels: good enough for a rep signal, not for a form rule */
    assert_true(geom_usable(&g, RR_LM_LEFT_KNEE));
    assert_false(geom_trusted(&g, RR_LM_LEFT_KNEE));
    assert_false(geom_usable(&g, RR_LM_RIGHT_KNEE));
    assert_true(geom_trusted(&g, RR_LM_LEFT_HIP));
    assert_false(geom_usable(&g, -1) || geom_usable(&g, RR_NUM_LANDMARKS));
    /* a pair's height: the usable side alone, NAN when neither */
    assert_float_equal(geom_pair_y(&g, RR_LM_LEFT_KNEE), g.y[RR_LM_LEFT_KNEE], 1e-6f);
    synth_hide(&f, RR_LM_LEFT_KNEE);
    geom_frame_compute(&f, 7, 0.0f, &g);
    assert_true(isnan(geom_pair_y(&g, RR_LM_LEFT_KNEE)));
    /* a source without visibility: every landmark with coordinates counts */
    f.flags = RR_POSE_NO_VISIBILITY;
    geom_frame_compute(&f, 7, 0.0f, &g);
    assert_true(geom_trusted(&g, RR_LM_LEFT_KNEE) && geom_trusted(&g, RR_LM_RIGHT_KNEE));
}

static void geometry__corrects_a_rolled_camera(void **state)
{
    (void)state;
    struct synth_pose p = {.knee_flex = 40.0f, .shin_fwd = 20.0f};
    struct rr_pose_frame f;
    struct geom_frame g0, g;
    synth_frame(&p, &front, 0, &f);
    geom_frame_compute(&f, 0, 0.0f, &g0);
    /* The camera rolled: the image turns by 15 degrees about its centre (isotropic units). */
    const float roll = 15.0f, a = roll * SYNTH_PI / 180.0f, aspect = 1280.0f / 720.0f;
    for (int i = 0; i < RR_NUM_LANDMARKS; i++) {
        float x = (f.image[i].x - 0.5f) * aspect, y = f.image[i].y - 0.5f;
        f.image[i].x = (cosf(a) * x - sinf(a) * y) / aspect + 0.5f;
        f.image[i].y = sinf(a) * x + cosf(a) * y + 0.5f;
    }
    geom_frame_compute(&f, 0, roll, &g);
    assert_true(g.valid && g.iso);
    for (int i = RR_LM_LEFT_SHOULDER; i < RR_NUM_LANDMARKS; i++) {
        assert_float_equal(g.x[i], g0.x[i], 1e-4f);
        assert_float_equal(g.y[i], g0.y[i], 1e-4f);
    }
    assert_float_equal(g.knee[GEOM_LEFT], g0.knee[GEOM_LEFT], 1e-3f);
    /* Without an image size nothing is rotated (x and y are not in one unit). */
    f.width = f.height = 0;
    geom_frame_compute(&f, 0, roll, &g);
    assert_false(g.iso);
    assert_float_equal(g.x[RR_LM_NOSE], f.image[RR_LM_NOSE].x, 1e-6f);
    assert_float_equal(g.y[RR_LM_NOSE], f.image[RR_LM_NOSE].y, 1e-6f);
    assert_false(isnan(g.knee[GEOM_LEFT])); /* 3-D angles from the world landmarks */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(geometry__measures_right_and_straight_angles),
        cmocka_unit_test(geometry__reads_knee_and_elbow_flexion_from_world_landmarks),
        cmocka_unit_test(geometry__tells_front_side_and_back_views_apart),
        cmocka_unit_test(geometry__hidden_or_out_of_frame_joint_gives_no_angle),
        cmocka_unit_test(geometry__rejects_upside_down_and_missing_poses),
        cmocka_unit_test(geometry__gates_landmarks_by_visibility_for_signals_and_rules),
        cmocka_unit_test(geometry__corrects_a_rolled_camera),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
