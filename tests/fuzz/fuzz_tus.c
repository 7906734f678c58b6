/*
 * fuzz_tus.c - hostile bytes against the tus parsers: the upload record sidecar (JSON) and the
 * Upload-Metadata header (validate + decode every key lookup path).
 * The first byte picks the parser; the rest is the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blob/tus.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 3 * TUS_METADATA_MAX)
        return 0;
    char *s = malloc(size);
    if (!s)
        return 0;
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';
    if (data[0] & 1) {
        struct tus_upload u;
        if (tus_record_decode(s, size - 1, &u) == 0) {
            char buf[TUS_METADATA_MAX + 1024];
            struct tus_upload again;
            int n = tus_record_encode(&u, buf, sizeof buf);
            /* What decodes must re-encode and decode to the same record. */
            if (n < 0 || tus_record_decode(buf, (size_t)n, &again) != 0 ||
                again.length != u.length || again.offset != u.offset ||
                strcmp(again.metadata, u.metadata) != 0)
                abort();
        }
    } else if (tus_metadata_validate(s) == 0) {
        unsigned char out[TUS_METADATA_MAX];
        size_t len;
        static const char *const keys[] = {"filename", "filetype", "a", ""};
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
            (void)tus_metadata_get(s, keys[i], out, sizeof out, &len);
    }
    free(s);
    return 0;
}
