/*
 * fuzz_config.c - libFuzzer target for app_config_load (src/app/config.c), the one parser of
 * command-line settings: the input's first byte picks the command (serve, worker, migrate), the
 * rest is split at '\n' into at most 64 arguments ("--port", "--port=80", values, junk).
 *
 * Any input must either be refused with RR_ERR_INVAL and a non-empty message, or give a
 * configuration in which every setting of the table holds a value its row allows: text
 * NUL-terminated within its field and at least its minimum length, integers within [lo, hi],
 * choices a valid index (a computed default may also be 0, "decided later"). A parser bug that stores an out-of-bounds value aborts here.
 * Seeds: tests/fuzz/corpus/fuzz_config.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/config.h"
#include "base/rr_error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 64
#define MAX_INPUT 8192

static void check(int cond)
{
    if (!cond)
        abort();
}

static unsigned long long get_uint(const unsigned char *p, size_t size)
{
    switch (size) {
    case 1: return *p;
    case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
    case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
    default: { uint64_t v; memcpy(&v, p, 8); return v; }
    }
}

static void check_config(const struct app_config *cfg, enum app_command cmd)
{
    size_t n = 0;
    const struct app_setting *t = app_settings(&n);
    for (size_t i = 0; i < n; i++) {
        const struct app_setting *s = &t[i];
        const unsigned char *field = (const unsigned char *)cfg + s->offset;
        if (!(s->commands & (unsigned)cmd) && s->def == NULL)
            continue; /* a computed default of another command: not ours to judge */
        switch (s->type) {
        case APP_SET_TEXT: {
            const char *str = (const char *)field;
            size_t len = strnlen(str, s->size);
            check(len < s->size);
            check(len >= (size_t)s->lo || s->def == NULL);
            break;
        }
        case APP_SET_INT: {
            unsigned long long v = get_uint(field, s->size);
            /* a computed default (def NULL) may still read 0: "decided later" */
            check((v >= (unsigned long long)s->lo && v <= (unsigned long long)s->hi) ||
                  (v == 0 && s->def == NULL));
            break;
        }
        case APP_SET_CHOICE: {
            int k;
            memcpy(&k, field, sizeof k);
            int count = 0;
            while (s->choices[count])
                count++;
            check(k >= 0 && k < count);
            break;
        }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum app_command cmds[] = {APP_CMD_SERVE, APP_CMD_WORKER, APP_CMD_MIGRATE};
    if (size < 1 || size > MAX_INPUT)
        return 0;
    enum app_command cmd = cmds[data[0] % 3];
    char *buf = malloc(size);
    if (!buf)
        return 0;
    memcpy(buf, data + 1, size - 1);
    buf[size - 1] = '\0';
    char *argv[MAX_ARGS + 1];
    int argc = 0;
    argv[argc++] = "repright";
    char *p = buf;
    while (argc < MAX_ARGS) {
        argv[argc++] = p;
        char *nl = memchr(p, '\n', (size_t)(buf + size - 1 - p));
        if (!nl)
            break;
        *nl = '\0';
        p = nl + 1;
    }
    argv[argc] = NULL;

    struct app_config *cfg = malloc(sizeof *cfg);
    char msg[256];
    memset(msg, 'x', sizeof msg);
    if (cfg) {
        int rc = app_config_load(cfg, cmd, argc, argv, msg, sizeof msg);
        check(rc == 0 || rc == RR_ERR_INVAL);
        if (rc == 0)
            check_config(cfg, cmd);
        else
            check(memchr(msg, '\0', sizeof msg) != NULL && msg[0] != '\0');
        free(cfg);
    }
    free(buf);
    return 0;
}
