/*
 * rrtest.h - helpers shared by the test programs (not part of the product).
 *
 * Tests that need ../shared (real media) or the model cache call rrtest_require_*(): when the
 * resource is absent they print one "SKIP: <test>: <reason>" line and exit with 77, which CTest
 * reports as skipped (SKIP_RETURN_CODE). They never pass silently.
 */
#ifndef RRTEST_H
#define RRTEST_H

#include <stddef.h>

#define RRTEST_SKIP_CODE 77

/* Absolute path of ../shared/<rel> into buf; exits 77 with a SKIP line when it does not exist. */
const char *rrtest_require_shared(const char *test, const char *rel, char *buf, size_t len);

/* Model cache directory (REPRIGHT_MODEL_DIR or ~/.cache/repright/models); exits 77 with a SKIP
 * line when <dir>/<file> does not exist. Returns the directory. */
const char *rrtest_require_model(const char *test, const char *file, char *buf, size_t len);

/* Read a whole file (at most max bytes) into a malloc'd NUL-terminated buffer; NULL on failure. */
char *rrtest_read_file(const char *path, size_t max, size_t *len);

#endif
