/* rrtest.c - see rrtest.h. */
#include "support/rrtest.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static int skipped;

static int exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

static void vskip(const char *test, const char *fmt, va_list ap)
{
    printf("SKIP: %s: ", test);
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout);
    skipped = 1;
}

void rrtest_skip(const char *test, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vskip(test, fmt, ap);
    va_end(ap);
}

void rrtest_skip_case(const char *test, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vskip(test, fmt, ap);
    va_end(ap);
    skip();
}

int rrtest_status(int failed)
{
    return failed ? 1 : skipped ? RRTEST_SKIP_CODE : 0;
}

/* ../shared/<rel> into buf; 1 when it exists. */
static int shared_path(const char *rel, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", RR_SHARED_DIR, rel);
    return exists(buf);
}

/* The model directory into buf; 1 when <dir>/<file> exists (its path into path). */
static int model_path(const char *file, char *buf, size_t len, char *path, size_t plen)
{
    const char *env = getenv("REPRIGHT_MODEL_DIR");
    const char *home = getenv("HOME");
    if (env && *env)
        snprintf(buf, len, "%s", env);
    else
        snprintf(buf, len, "%s/.cache/repright/models", home ? home : "/root");
    snprintf(path, plen, "%s/%s", buf, file);
    return exists(path);
}

const char *rrtest_require_shared(const char *test, const char *rel, char *buf, size_t len)
{
    if (!shared_path(rel, buf, len)) {
        rrtest_skip(test, "%s not found (../shared is absent on this machine)", buf);
        exit(RRTEST_SKIP_CODE);
    }
    return buf;
}

const char *rrtest_require_model(const char *test, const char *file, char *buf, size_t len)
{
    char p[4096];
    if (!model_path(file, buf, len, p, sizeof p)) {
        rrtest_skip(test, "model %s not found (run scripts/setup.sh)", p);
        exit(RRTEST_SKIP_CODE);
    }
    return buf;
}

const char *rrtest_case_shared(const char *test, const char *rel, char *buf, size_t len)
{
    if (!shared_path(rel, buf, len))
        rrtest_skip_case(test, "%s not found (../shared is absent on this machine)", buf);
    return buf;
}

const char *rrtest_case_model(const char *test, const char *file, char *buf, size_t len)
{
    char p[4096];
    if (!model_path(file, buf, len, p, sizeof p))
        rrtest_skip_case(test, "model %s not found (run scripts/setup.sh)", p);
    return buf;
}

void rrtest_case_tool(const char *test, const char *path)
{
    if (access(path, X_OK) != 0)
        rrtest_skip_case(test, "%s not installed", path);
}

char *rrtest_read_file(const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 65536 + 1 > cap) {
            cap = cap ? cap * 2 : 131072;
            char *nb = realloc(buf, cap);
            if (!nb)
                goto fail;
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (n > max)
            goto fail;
        if (got == 0)
            break;
    }
    fclose(f);
    buf[n] = 0;
    if (len)
        *len = n;
    return buf;
fail:
    free(buf);
    fclose(f);
    return NULL;
}
