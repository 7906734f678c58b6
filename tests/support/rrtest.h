/*
 * rrtest.h - helpers shared by the test programs (not part of the product).
 *
 * Skips are never passes. A test program that cannot run part of itself (../shared media, a
 * model file, the ffmpeg tool or an encoder is missing) prints one "SKIP: <test>: <reason>" line
 * per missing piece and ends with exit code 77, which CTest reports as skipped
 * (SKIP_RETURN_CODE 77), unless something failed: a failure always wins (exit 1).
 *
 *   - before any case ran (in main): rrtest_require_shared / rrtest_require_model exit 77 at
 *     once when the resource is absent;
 *   - inside a case body: rrtest_case_shared / rrtest_case_model / rrtest_case_tool /
 *     rrtest_skip_case mark that case skipped (cmocka's skip(): not in setup functions) and the
 *     others still run; rrtest_skip only records (for a part of a case, e.g. one codec of a
 *     table), the case goes on;
 *   - main returns rrtest_status(failures) instead of the failure count.
 */
#ifndef RRTEST_H
#define RRTEST_H

#include <stddef.h>

#define RRTEST_SKIP_CODE 77

/* Absolute path of ../shared/<rel> into buf; exits 77 with a SKIP line when it does not exist.
 * Only before any case ran: exiting later would hide the failures of the cases before. */
const char *rrtest_require_shared(const char *test, const char *rel, char *buf, size_t len);

/* Model cache directory (REPRIGHT_MODEL_DIR or ~/.cache/repright/models); exits 77 with a SKIP
 * line when <dir>/<file> does not exist. Returns the directory. Only before any case ran. */
const char *rrtest_require_model(const char *test, const char *file, char *buf, size_t len);

/* Print "SKIP: <test>: <why>" and remember it: rrtest_status then says 77. Returns. */
void rrtest_skip(const char *test, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* rrtest_skip, then leave the current case as skipped (inside a cmocka case body only). */
void rrtest_skip_case(const char *test, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The rrtest_require_* checks for use inside a case body: the resource's path (directory for a
 * model), or the case is skipped. */
const char *rrtest_case_shared(const char *test, const char *rel, char *buf, size_t len);
const char *rrtest_case_model(const char *test, const char *file, char *buf, size_t len);
/* Inside a case body: return when the program at path is executable, else skip the case. */
void rrtest_case_tool(const char *test, const char *path);

/* main's exit status: 1 when failed > 0, else 77 when anything was skipped, else 0. */
int rrtest_status(int failed);

/* Read a whole file (at most max bytes) into a malloc'd NUL-terminated buffer; NULL on failure. */
char *rrtest_read_file(const char *path, size_t max, size_t *len);

#endif
