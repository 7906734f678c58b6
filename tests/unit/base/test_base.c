/* test_base.c - error table and RGB buffer helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "base/rr_error.h"
#include "base/rr_image.h"
#include "base/rr_landmarks.h"

static void error__every_code_has_text_and_name(void **state)
{
    (void)state;
    static const int codes[] = {
#define XX(name, code, text) code,
        RR_ERR_MAP(XX)
#undef XX
    };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        assert_true(codes[i] < 0);
        assert_string_not_equal(rr_strerror(codes[i]), "unknown error");
        assert_string_not_equal(rr_errname(codes[i]), "UNKNOWN");
    }
    assert_string_equal(rr_strerror(12345), "unknown error");
    assert_string_equal(rr_errname(0), "UNKNOWN");
    assert_string_equal(rr_strerror(RR_ERR_TOOBIG), "input exceeds limit");
}

static void rgbbuf__grows_reuses_and_refuses_oversize(void **state)
{
    (void)state;
    struct rr_rgbbuf b = {0};
    assert_int_equal(rr_rgbbuf_reserve(&b, 0, 10), RR_ERR_INVAL);
    assert_int_equal(rr_rgbbuf_reserve(&b, RR_IMAGE_MAX_SIDE + 1, 10), RR_ERR_TOOBIG);
    assert_int_equal(rr_rgbbuf_reserve(&b, 64, 32), 0);
    uint8_t *first = b.data;
    memset(b.data, 7, 64 * 32 * 3);
    assert_int_equal(rr_rgbbuf_reserve(&b, 32, 32), 0);
    assert_ptr_equal(b.data, first); /* shrinking reuses the buffer */
    struct rr_image im = rr_rgbbuf_view(&b);
    assert_int_equal(im.width, 32);
    assert_int_equal(im.stride, 96);
    rr_rgbbuf_release(&b);
    assert_null(b.data);
}

static void landmarks__names_follow_blazepose_order(void **state)
{
    (void)state;
    assert_string_equal(rr_landmark_name(RR_LM_NOSE), "nose");
    assert_string_equal(rr_landmark_name(RR_LM_LEFT_HIP), "left_hip");
    assert_string_equal(rr_landmark_name(RR_LM_RIGHT_FOOT_INDEX), "right_foot_index");
    assert_string_equal(rr_landmark_name(33), "unknown");
    assert_string_equal(rr_landmark_name(-1), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(error__every_code_has_text_and_name),
        cmocka_unit_test(rgbbuf__grows_reuses_and_refuses_oversize),
        cmocka_unit_test(landmarks__names_follow_blazepose_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
