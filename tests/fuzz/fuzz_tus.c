/*
 * fuzz_tus.c - hostile bytes against the tus Upload-Metadata parser: validate, then decode
 * every key lookup path of what validated. (Upload records live in the store, which parses
 * nothing: there is no record format left to fuzz.)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blob/tus.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 3 * TUS_METADATA_MAX)
        return 0;
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    if (tus_metadata_validate(s) == 0) {
        unsigned char out[TUS_METADATA_MAX];
        size_t len;
        static const char *const keys[] = {"filename", "filetype", "a", ""};
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
            if (tus_metadata_get(s, keys[i], out, sizeof out, &len) == 0 && len > sizeof out)
                abort(); /* a decoded value never claims more than it had room for */
    }
    free(s);
    return 0;
}
