/*
 * rr_assert.h - RR_ASSERT(cond): a checked invariant, for programmer errors only.
 *
 * What it is for: conditions that can only be false when RepRight's own code is wrong (an upload
 * offset past its length after the module checked it, a transaction ended twice, a lease claimed
 * without an owner). Anything an outside input can cause (a header, a file, a database written
 * by another version, a full disk) is a checked error that returns an RR_ERR_* code, never an
 * assertion.
 *
 * When it is active: in Debug builds (NDEBUG undefined) and in sanitizer builds (ASan defines
 * __SANITIZE_ADDRESS__ in GCC, __has_feature(address_sanitizer) in clang), whatever their
 * optimisation level, so the whole test suite runs with the checks on twice (coverage and
 * ASan+UBSan builds). A failed check prints "file:line: function: assertion `cond' failed" to
 * stderr and aborts (a core dump and a sanitizer stack trace show where).
 *
 * Release builds (NDEBUG without a sanitizer) compile the checks out: the condition is type-
 * checked but never evaluated, so it costs nothing in hot loops and must have no side effects.
 * Decision: the suite exercises every assertion in the builds above; in production an invariant
 * that cannot be false is not worth a branch, and a server that aborts on a bug takes every
 * user's requests down with it. Define RR_ASSERT_ON to 0 or 1 to override.
 *
 * Thread-safety: the macro itself is stateless; a failure ends the process.
 */
#ifndef RR_BASE_ASSERT_H
#define RR_BASE_ASSERT_H

#ifndef RR_ASSERT_ON
#if !defined(NDEBUG) || defined(__SANITIZE_ADDRESS__)
#define RR_ASSERT_ON 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RR_ASSERT_ON 1
#endif
#endif
#endif
#ifndef RR_ASSERT_ON
#define RR_ASSERT_ON 0
#endif

/* Print where the check failed and abort(). Internal to RR_ASSERT. */
_Noreturn void rr_assert__fail(const char *expr, const char *file, int line, const char *func);

#if RR_ASSERT_ON
#define RR_ASSERT(cond) ((cond) ? (void)0 : rr_assert__fail(#cond, __FILE__, __LINE__, __func__))
#else
#define RR_ASSERT(cond) ((void)sizeof(!(cond)))
#endif

#endif
