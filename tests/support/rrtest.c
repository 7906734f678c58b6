/* rrtest.c - see rrtest.h. */
#include "rrtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static int exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

const char *rrtest_require_shared(const char *test, const char *rel, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", RR_SHARED_DIR, rel);
    if (!exists(buf)) {
        printf("SKIP: %s: %s not found (../shared is absent on this machine)\n", test, buf);
        fflush(stdout);
        exit(RRTEST_SKIP_CODE);
    }
    return buf;
}

const char *rrtest_require_model(const char *test, const char *file, char *buf, size_t len)
{
    const char *env = getenv("REPRIGHT_MODEL_DIR");
    const char *home = getenv("HOME");
    if (env && *env)
        snprintf(buf, len, "%s", env);
    else
        snprintf(buf, len, "%s/.cache/repright/models", home ? home : "/root");
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", buf, file);
    if (!exists(p)) {
        printf("SKIP: %s: model %s not found (run scripts/setup.sh)\n", test, p);
        fflush(stdout);
        exit(RRTEST_SKIP_CODE);
    }
    return buf;
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
