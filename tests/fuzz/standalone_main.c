/*
 * standalone_main.c - runs a libFuzzer target without libFuzzer, as a regression test.
 *
 * Feeds every file of the corpus directory (argv[1]) to LLVMFuzzerTestOneInput, then a bounded
 * number of deterministic mutations of each (bit flips, truncations, overwritten words), so the
 * normal and sanitizer builds exercise the parser on hostile bytes. Real coverage-guided fuzzing
 * runs in the RR_FUZZ build (scripts/fuzz.sh).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void mutate_and_run(const uint8_t *data, size_t size, int rounds)
{
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        return;
    for (int r = 0; r < rounds; r++) {
        memcpy(buf, data, size);
        size_t n = size;
        switch (r % 4) {
        case 0: /* truncate */
            n = size ? (size_t)(rng() % size) : 0;
            break;
        case 1: /* flip bits */
            for (int k = 0; k < 8 && size; k++)
                buf[rng() % size] ^= (uint8_t)(1u << (rng() % 8));
            break;
        case 2: /* overwrite a 32-bit word with an extreme value */
            if (size >= 4) {
                static const uint32_t vals[] = {0, 0xffffffffu, 0x7fffffffu, 0x80000000u, 1, 16};
                uint32_t v = vals[rng() % 6];
                memcpy(buf + (rng() % (size - 3)) , &v, 4);
            }
            break;
        default: /* random bytes in a window */
            for (int k = 0; k < 64 && size; k++)
                buf[rng() % size] = (uint8_t)rng();
            break;
        }
        LLVMFuzzerTestOneInput(buf, n);
    }
    free(buf);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : NULL;
    int rounds = getenv("RR_FUZZ_ROUNDS") ? (int)strtol(getenv("RR_FUZZ_ROUNDS"), NULL, 10) : 200;
    DIR *d = dir ? opendir(dir) : NULL;
    if (!d) {
        printf("SKIP: %s: no corpus directory %s\n", argv[0], dir ? dir : "(none)");
        return 77;
    }
    int files = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        uint8_t *buf = malloc(1 << 26);
        size_t n = buf ? fread(buf, 1, 1 << 26, f) : 0;
        fclose(f);
        if (!buf)
            return 1;
        LLVMFuzzerTestOneInput(buf, n);
        mutate_and_run(buf, n, rounds);
        free(buf);
        files++;
    }
    closedir(d);
    LLVMFuzzerTestOneInput((const uint8_t *)"", 0);
    printf("fuzz regression: %d corpus files, %d mutations each: no crash\n", files, rounds);
    return files > 0 ? 0 : 1;
}
