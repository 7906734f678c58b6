/* test_rr_buf.c - the bounded byte buffer (base/rr_buf.h): the caller's storage first, then the
 * heap; NUL-terminated; a write past the cap refused whole with a sticky RR_ERR_TOOBIG and no
 * storage grown past max + 1 (nor any allocation once the error is set); printf text; detach
 * and reset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/alloc_count.h"
#include "base/rr_buf.h"
#include "base/rr_error.h"

static void buf__starts_in_the_callers_storage_then_moves_to_the_heap(void **state)
{
    (void)state;
    char small[8];
    struct rr_buf b;
    rr_buf_init(&b, small, sizeof small, 1000);
    assert_string_equal(rr_buf_data(&b), "");
    rr_buf_adds(&b, "1234567"); /* 7 bytes and the NUL: still the caller's */
    assert_ptr_equal(rr_buf_data(&b), small);
    assert_string_equal(rr_buf_data(&b), "1234567");
    rr_buf_addc(&b, '8'); /* spills, keeping what was written */
    assert_ptr_not_equal(rr_buf_data(&b), small);
    assert_true(b.heap);
    assert_int_equal(rr_buf_len(&b), 8);
    assert_string_equal(rr_buf_data(&b), "12345678");
    assert_int_equal(b.cap, RR_BUF_MIN_HEAP);
    rr_buf_add(&b, "\0x", 2); /* bytes may hold NULs */
    assert_int_equal(rr_buf_len(&b), 10);
    assert_memory_equal(rr_buf_data(&b), "12345678\0x", 11);
    rr_buf_release(&b);
    rr_buf_release(&b); /* twice is fine */
    assert_null(b.data);

    /* no initial storage: NULL data until the first write, then "" semantics */
    rr_buf_init(&b, NULL, 0, 10);
    assert_null(b.data);
    assert_string_equal(rr_buf_data(&b), "");
    rr_buf_add(&b, "", 0);
    assert_null(b.data);
    rr_buf_addc(&b, 'a');
    assert_string_equal(rr_buf_data(&b), "a");
    assert_true(b.cap <= 11); /* clamped to max + 1, not RR_BUF_MIN_HEAP */
    rr_buf_release(&b);

    /* a caller's storage larger than the cap is only used up to it */
    char large[64];
    rr_buf_init(&b, large, sizeof large, 4);
    rr_buf_adds(&b, "abcd");
    assert_int_equal(rr_buf_error(&b), 0);
    rr_buf_addc(&b, 'e');
    assert_int_equal(rr_buf_error(&b), RR_ERR_TOOBIG);
    assert_string_equal(rr_buf_data(&b), "abcd");
    rr_buf_release(&b);
}

static void buf__refuses_past_the_cap_whole_and_the_error_sticks(void **state)
{
    (void)state;
    struct rr_buf b;
    char x[300];
    memset(x, 'x', sizeof x);
    rr_buf_init(&b, NULL, 0, 100);
    rr_buf_add(&b, x, 60);
    rr_buf_add(&b, x, 41); /* 101: refused whole */
    assert_int_equal(rr_buf_error(&b), RR_ERR_TOOBIG);
    assert_int_equal(rr_buf_len(&b), 60);
    assert_int_equal(rr_buf_data(&b)[60], '\0');
    rr_buf_add(&b, x, 1); /* would fit, but the error sticks */
    rr_buf_addf(&b, "%d", 7);
    assert_int_equal(rr_buf_len(&b), 60);
    assert_null(rr_buf_detach(&b, NULL)); /* an error hands nothing out (and releases) */
    assert_null(b.data);

    /* exactly max is fine; the storage never passes max + 1 */
    rr_buf_init(&b, NULL, 0, 1000);
    for (int i = 0; i < 10; i++)
        rr_buf_add(&b, x, 100);
    assert_int_equal(rr_buf_error(&b), 0);
    assert_int_equal(rr_buf_len(&b), 1000);
    assert_true(b.cap <= 1001);
    rr_buf_add(&b, (const char *)x, SIZE_MAX - 5); /* a size that would overflow: refused */
    assert_int_equal(rr_buf_error(&b), RR_ERR_TOOBIG);
    rr_buf_release(&b);

    /* a max near SIZE_MAX is clamped, so len + n + 1 never overflows */
    rr_buf_init(&b, NULL, 0, SIZE_MAX);
    assert_int_equal(b.max, RR_BUF_MAX_LIMIT);
    rr_buf_add(&b, x, 3);
    rr_buf_add(&b, x, SIZE_MAX - 1);
    assert_int_equal(rr_buf_error(&b), RR_ERR_TOOBIG);
    assert_int_equal(rr_buf_len(&b), 3);
    rr_buf_release(&b);

    /* an error a layer above records sticks the same way */
    rr_buf_init(&b, NULL, 0, 100);
    rr_buf_fail(&b, RR_ERR_INVAL);
    rr_buf_fail(&b, RR_ERR_NOMEM); /* the first one wins */
    rr_buf_addc(&b, 'a');
    assert_int_equal(rr_buf_error(&b), RR_ERR_INVAL);
    assert_int_equal(rr_buf_len(&b), 0);
    rr_buf_reset(&b); /* clears the error, keeps the storage */
    rr_buf_addc(&b, 'a');
    assert_string_equal(rr_buf_data(&b), "a");
    rr_buf_release(&b);
}

/* Growth stops at the cap: filling a buffer to its cap costs a logarithmic number of
 * allocations, and nothing is allocated once a write has been refused. */
static void buf__allocates_nothing_past_the_cap(void **state)
{
    (void)state;
    bench_alloc_probe();
    if (!bench_counting) {
        printf("allocation counting unavailable here (sanitizer build): caps checked only\n");
    }
    struct rr_buf b;
    char x[1000];
    memset(x, 'x', sizeof x);
    const size_t max = (size_t)1 << 20;
    rr_buf_init(&b, NULL, 0, max);
    long before = atomic_load(&bench_calls);
    size_t wrote = 0;
    while (wrote + sizeof x <= max) {
        rr_buf_add(&b, x, sizeof x);
        wrote += sizeof x;
    }
    long grown = atomic_load(&bench_calls) - before;
    assert_int_equal(rr_buf_error(&b), 0);
    assert_true(b.cap <= max + 1);
    rr_buf_add(&b, x, sizeof x); /* past the cap */
    assert_int_equal(rr_buf_error(&b), RR_ERR_TOOBIG);
    long at_error = atomic_load(&bench_calls);
    for (int i = 0; i < 1000; i++) {
        rr_buf_add(&b, x, sizeof x);
        rr_buf_addf(&b, "%s", "more");
    }
    assert_true(b.cap <= max + 1);
    if (bench_counting) {
        assert_true(grown <= 16); /* 256 B doubling to 1 MiB + 1: 14 allocations */
        assert_int_equal(atomic_load(&bench_calls), at_error);
    }
    rr_buf_release(&b);
}

static void buf__printf_in_place_or_grown_or_refused(void **state)
{
    (void)state;
    char small[16];
    struct rr_buf b;
    rr_buf_init(&b, small, sizeof small, 64);
    rr_buf_addf(&b, "%d-%s", 42, "ab");
    assert_ptr_equal(rr_buf_data(&b), small);
    assert_string_equal(rr_buf_data(&b), "42-ab");
    rr_buf_addf(&b, "%s", "0123456789abcdef"); /* grows to the heap */
    assert_string_equal(rr_buf_data(&b), "42-ab0123456789abcdef");
    rr_buf_addf(&b, "%050d", 1); /* 71 > 64: refused whole, the text before intact */
    assert_int_equal(rr_buf_error(&b), RR_ERR_TOOBIG);
    assert_string_equal(rr_buf_data(&b), "42-ab0123456789abcdef");
    rr_buf_release(&b);

    /* a refused printf into the caller's storage leaves no partial text behind */
    rr_buf_init(&b, small, sizeof small, 15);
    rr_buf_adds(&b, "abc");
    rr_buf_addf(&b, "%s", "0123456789abcdef");
    assert_int_equal(rr_buf_error(&b), RR_ERR_TOOBIG);
    assert_string_equal(rr_buf_data(&b), "abc");
    rr_buf_release(&b);
}

static void buf__detach_hands_the_text_over(void **state)
{
    (void)state;
    char small[16];
    struct rr_buf b;
    size_t n = 99;
    rr_buf_init(&b, small, sizeof small, 64);
    rr_buf_adds(&b, "stack");
    char *s = rr_buf_detach(&b, &n); /* a copy of the caller's storage */
    assert_non_null(s);
    assert_ptr_not_equal(s, small);
    assert_string_equal(s, "stack");
    assert_int_equal(n, 5);
    free(s);
    rr_buf_init(&b, NULL, 0, 64);
    rr_buf_adds(&b, "heap");
    const char *inside = rr_buf_data(&b);
    s = rr_buf_detach(&b, &n); /* the heap storage itself */
    assert_ptr_equal(s, inside);
    assert_null(b.data);
    free(s);
    rr_buf_init(&b, NULL, 0, 64);
    s = rr_buf_detach(&b, &n); /* nothing written: "" */
    assert_non_null(s);
    assert_string_equal(s, "");
    assert_int_equal(n, 0);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(buf__starts_in_the_callers_storage_then_moves_to_the_heap),
        cmocka_unit_test(buf__refuses_past_the_cap_whole_and_the_error_sticks),
        cmocka_unit_test(buf__allocates_nothing_past_the_cap),
        cmocka_unit_test(buf__printf_in_place_or_grown_or_refused),
        cmocka_unit_test(buf__detach_hands_the_text_over),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
