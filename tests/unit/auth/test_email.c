/*
 * test_email.c - canonical account emails: NFC and NFD agree, full case folding (not only
 * ASCII), control / format / bidirectional characters and bad UTF-8 refused, the size bound.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "auth/email.h"
#include "base/rr_error.h"

static int canon(const char *in, char *out, size_t cap)
{
    return email_canonical(in, strlen(in), out, cap);
}

static void email__nfc_nfd_and_case_give_one_form(void **state)
{
    (void)state;
    static const char *const same[] = {
        "J\xc3\x9cRGEN@\xc3\x89xample.com",   /* JÜRGEN@Éxample.com, precomposed */
        "ju\xcc\x88rgen@e\xcc\x81xample.com", /* jürgen@éxample.com, decomposed */
        "j\xc3\xbcrgen@\xc3\xa9XAMPLE.COM",
    };
    char first[256], out[256];
    assert_int_equal(canon(same[0], first, sizeof first), 0);
    assert_string_equal(first, "j\xc3\xbcrgen@\xc3\xa9xample.com");
    for (size_t i = 1; i < sizeof same / sizeof same[0]; i++) {
        assert_int_equal(canon(same[i], out, sizeof out), 0);
        assert_string_equal(out, first);
    }
    /* beyond ASCII: capital and final sigma fold to sigma; sharp s folds to "ss" */
    assert_int_equal(canon("\xce\x9f\xce\xa3@x.io", out, sizeof out), 0);
    assert_int_equal(canon("\xce\xbf\xcf\x82@x.io", first, sizeof first), 0);
    assert_string_equal(out, first);
    assert_int_equal(canon("STRA\xc3\x9f" "E@x.io", out, sizeof out), 0);
    assert_string_equal(out, "strasse@x.io");
    assert_int_equal(canon("plain@example.com", out, sizeof out), 0);
    assert_string_equal(out, "plain@example.com");
}

static void email__refuses_invisible_and_reordering_characters(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "a\xe2\x80\xae@x.io", /* U+202E right-to-left override */
        "a\xe2\x81\xa6@x.io", /* U+2066 left-to-right isolate */
        "a\xe2\x80\x8f@x.io", /* U+200F right-to-left mark */
        "a\xe2\x80\x8b@x.io", /* U+200B zero-width space */
        "a\xef\xbb\xbf@x.io", /* U+FEFF */
        "a\xc2\x85@x.io",     /* U+0085, C1 control */
        "a\t@x.io",
        "a\x7f@x.io",
    };
    char out[256];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(canon(bad[i], out, sizeof out), RR_ERR_INVAL);
    assert_int_equal(email_canonical("a\0b@x.io", 8, out, sizeof out), RR_ERR_INVAL);
    assert_int_equal(canon("a\xff@x.io", out, sizeof out), RR_ERR_CORRUPT);
    assert_int_equal(canon("a\xc3@x.io", out, sizeof out), RR_ERR_CORRUPT);
    assert_int_equal(canon("abcdef@x.io", out, 8), RR_ERR_TOOBIG);
    assert_int_equal(canon("abc@x.io", out, 9), 0);
    assert_int_equal(email_canonical(NULL, 0, out, sizeof out), RR_ERR_INVAL);
    char big[2000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(canon(big, out, sizeof out), RR_ERR_TOOBIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(email__nfc_nfd_and_case_give_one_form),
        cmocka_unit_test(email__refuses_invisible_and_reordering_characters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
