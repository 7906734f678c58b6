/* test_wasm_qsort.c - the qsort() the WebAssembly build links instead of musl's
 * (web/wasm/rr_qsort.c), compiled here under another name: it sorts like glibc's qsort (same
 * output for float, double and wider elements; stable for equal keys), small and large arrays,
 * sorted, reversed and duplicate-heavy input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#define qsort rr_wasm_qsort
#include "../../../web/wasm/rr_qsort.c"
#undef qsort

static int cmp_f(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

struct rec {
    int key, order, pad;
};

static int cmp_rec(const void *a, const void *b)
{
    const struct rec *x = a, *y = b;
    return (x->key > y->key) - (x->key < y->key);
}

static uint32_t rnd(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

static void wasm_qsort__sorts_like_glibc(void **state)
{
    (void)state;
    static const size_t sizes[] = {0, 1, 2, 15, 16, 17, 100, 1000, 5000};
    uint32_t seed = 12345;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t n = sizes[s];
        float *a = malloc((n + 1) * sizeof *a), *b = malloc((n + 1) * sizeof *b);
        double *c = malloc((n + 1) * sizeof *c), *d = malloc((n + 1) * sizeof *d);
        assert_true(a && b && c && d);
        for (int kind = 0; kind < 4; kind++) {
            for (size_t i = 0; i < n; i++) {
                float v = kind == 0   ? (float)(rnd(&seed) % 100000) * 0.01f
                          : kind == 1 ? (float)i
                          : kind == 2 ? (float)(n - i)
                                      : (float)(rnd(&seed) % 7); /* many equal keys */
                a[i] = b[i] = v;
                c[i] = d[i] = (double)v * 1.5;
            }
            rr_wasm_qsort(a, n, sizeof *a, cmp_f);
            qsort(b, n, sizeof *b, cmp_f);
            assert_memory_equal(a, b, n * sizeof *a + (n == 0));
            rr_wasm_qsort(c, n, sizeof *c, cmp_d);
            qsort(d, n, sizeof *d, cmp_d);
            assert_memory_equal(c, d, n * sizeof *c + (n == 0));
        }
        free(a);
        free(b);
        free(c);
        free(d);
    }
}

static void wasm_qsort__is_stable_for_wide_elements(void **state)
{
    (void)state;
    uint32_t seed = 7;
    for (size_t n = 5; n <= 3000; n *= 3) {
        struct rec *r = malloc(n * sizeof *r);
        assert_non_null(r);
        for (size_t i = 0; i < n; i++)
            r[i] = (struct rec){(int)(rnd(&seed) % 10), (int)i, 0};
        rr_wasm_qsort(r, n, sizeof *r, cmp_rec);
        for (size_t i = 1; i < n; i++) {
            assert_true(r[i - 1].key <= r[i].key);
            if (r[i - 1].key == r[i].key)
                assert_true(r[i - 1].order < r[i].order);
        }
        free(r);
    }
    rr_wasm_qsort(NULL, 0, 4, cmp_f); /* nothing to do */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(wasm_qsort__sorts_like_glibc),
        cmocka_unit_test(wasm_qsort__is_stable_for_wide_elements),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
