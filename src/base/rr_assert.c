/* rr_assert.c - the failure path of RR_ASSERT (see rr_assert.h). */
#include "base/rr_assert.h"

#include <stdio.h>
#include <stdlib.h>

_Noreturn void rr_assert__fail(const char *expr, const char *file, int line, const char *func)
{
    fprintf(stderr, "%s:%d: %s: assertion `%s' failed\n", file, line, func, expr);
    fflush(stderr);
    abort();
}
