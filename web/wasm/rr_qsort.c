/*
 * rr_qsort.c - qsort() for the WebAssembly build only (web/wasm/wasm.cmake links it before
 * emscripten's libc, so it replaces musl's smoothsort there). The analysis core sorts float
 * arrays for its whole-series percentiles on every live re-run; musl's qsort made those sorts
 * most of the re-run time. This is a stable top-down merge sort, like glibc's qsort for arrays
 * that fit in memory, so native and WASM builds also order equal keys alike. With no memory for
 * the scratch buffer, and for small arrays, it uses an in-place insertion sort (also stable).
 *
 * Thread-safety: reentrant. Not used by the native build (glibc's qsort is used there).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef int (*rr_cmp_fn)(const void *, const void *);

/* Arrays up to this size are insertion-sorted (stable too, and no scratch buffer). */
#define RR_QSORT_SMALL 16

/* Stable merge sort of b[0..n) through tmp (n elements), one function per element size so
 * that element moves are plain loads and stores (size 4: float/int arrays, the hot case). */
#define RR_MSORT(NAME, SZ)                                                                         \
    static void NAME(char *b, size_t n, size_t sz, rr_cmp_fn cmp, char *tmp)                       \
    {                                                                                              \
        (void)sz;                                                                                  \
        if (n <= 1)                                                                                \
            return;                                                                                \
        size_t n1 = n / 2, n2 = n - n1;                                                            \
        char *b1 = b, *b2 = b + n1 * (SZ);                                                         \
        NAME(b1, n1, sz, cmp, tmp);                                                                \
        NAME(b2, n2, sz, cmp, tmp);                                                                \
        if (cmp(b2 - (SZ), b2) <= 0)                                                               \
            return; /* already in order */                                                         \
        char *out = tmp;                                                                           \
        while (n1 > 0 && n2 > 0) {                                                                 \
            if (cmp(b1, b2) <= 0) {                                                                \
                memcpy(out, b1, SZ);                                                               \
                b1 += (SZ);                                                                        \
                n1--;                                                                              \
            } else {                                                                               \
                memcpy(out, b2, SZ);                                                               \
                b2 += (SZ);                                                                        \
                n2--;                                                                              \
            }                                                                                      \
            out += (SZ);                                                                           \
        }                                                                                          \
        if (n1 > 0)                                                                                \
            memcpy(out, b1, n1 * (SZ));                                                            \
        memcpy(b, tmp, (n - n2) * (SZ)); /* the rest of the second half is in place */            \
    }

RR_MSORT(msort4, 4)
RR_MSORT(msort8, 8)
RR_MSORT(msortn, sz)

static void insertion(char *b, size_t n, size_t sz, rr_cmp_fn cmp)
{
    char t[256];
    for (size_t i = 1; i < n; i++) {
        for (size_t j = i; j > 0 && cmp(b + (j - 1) * sz, b + j * sz) > 0; j--) {
            /* swap through t in chunks (any element size) */
            for (size_t o = 0; o < sz; o += sizeof t) {
                size_t c = sz - o < sizeof t ? sz - o : sizeof t;
                memcpy(t, b + (j - 1) * sz + o, c);
                memcpy(b + (j - 1) * sz + o, b + j * sz + o, c);
                memcpy(b + j * sz + o, t, c);
            }
        }
    }
}

void qsort(void *base, size_t n, size_t sz, rr_cmp_fn cmp);

void qsort(void *base, size_t n, size_t sz, rr_cmp_fn cmp)
{
    if (n <= 1 || sz == 0)
        return;
    char *tmp = n > RR_QSORT_SMALL && n <= SIZE_MAX / sz ? malloc(n * sz) : NULL;
    if (!tmp) {
        insertion(base, n, sz, cmp);
        return;
    }
    if (sz == 4)
        msort4(base, n, sz, cmp, tmp);
    else if (sz == 8)
        msort8(base, n, sz, cmp, tmp);
    else
        msortn(base, n, sz, cmp, tmp);
    free(tmp);
}
