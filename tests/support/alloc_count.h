/*
 * alloc_count.h - heap-call counting for benchmarks and the zero-allocation test (include in
 * exactly one file of a program: it defines malloc and friends).
 *
 * malloc/calloc/realloc/memalign/aligned_alloc/posix_memalign/free are interposed by the
 * executable (no LD_PRELOAD), counted in bench_calls and forwarded to glibc's __libc_* entry
 * points. Under AddressSanitizer, which owns malloc, counting is off. Call bench_alloc_probe()
 * once at start: it sets bench_counting only when a real malloc moves the counter, so a build
 * where interposition does not work reports "n/a" instead of a false 0.
 */
#ifndef RR_BENCH_ALLOC_COUNT_H
#define RR_BENCH_ALLOC_COUNT_H

#include <malloc.h>
#include <stdatomic.h>
#include <stdlib.h>

#if defined(__SANITIZE_ADDRESS__)
#define BENCH_COUNT_ALLOCS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define BENCH_COUNT_ALLOCS 0
#endif
#endif
#ifndef BENCH_COUNT_ALLOCS
#define BENCH_COUNT_ALLOCS 1
#endif

static atomic_long bench_calls;
static int bench_counting; /* set by bench_alloc_probe() once the counter is seen to work */

#if BENCH_COUNT_ALLOCS
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void *__libc_memalign(size_t align, size_t n);
extern void __libc_free(void *p);

void *malloc(size_t n)
{
    atomic_fetch_add_explicit(&bench_calls, 1, memory_order_relaxed);
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    atomic_fetch_add_explicit(&bench_calls, 1, memory_order_relaxed);
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    atomic_fetch_add_explicit(&bench_calls, 1, memory_order_relaxed);
    return __libc_realloc(p, n);
}

void *memalign(size_t align, size_t n)
{
    atomic_fetch_add_explicit(&bench_calls, 1, memory_order_relaxed);
    return __libc_memalign(align, n);
}

void *aligned_alloc(size_t align, size_t n)
{
    atomic_fetch_add_explicit(&bench_calls, 1, memory_order_relaxed);
    return __libc_memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
    atomic_fetch_add_explicit(&bench_calls, 1, memory_order_relaxed);
    if (align < sizeof(void *) || (align & (align - 1)) != 0)
        return 22; /* EINVAL */
    void *p = __libc_memalign(align, n);
    if (!p)
        return 12; /* ENOMEM */
    *out = p;
    return 0;
}

void free(void *p)
{
    if (p)
        atomic_fetch_add_explicit(&bench_calls, 1, memory_order_relaxed);
    __libc_free(p);
}
#endif

static void bench_alloc_probe(void)
{
    /* a malloc the compiler cannot elide must move the counter */
    long before = atomic_load(&bench_calls);
    void *volatile probe = malloc(16);
    free(probe);
    bench_counting = BENCH_COUNT_ALLOCS && atomic_load(&bench_calls) > before;
}

#endif
