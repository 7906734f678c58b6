/*
 * fuzz_s3_xml.c - hostile S3 answers against the backend's XML reading (blob/s3_xml.h): every
 * tag the backend looks up, with a roomy and a tiny buffer. A found text always fits its buffer
 * and is exactly what lies between the tags.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blob/s3_xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    static const char *const tags[] = {"UploadId", "Code", "ETag", "Error", "x"};
    static const size_t caps[] = {1, 8, 1024};
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++) {
        for (size_t k = 0; k < sizeof caps / sizeof caps[0]; k++) {
            char out[1024];
            if (s3_xml_text(s, tags[i], out, caps[k]) != 0)
                continue;
            size_t n = strlen(out);
            if (n >= caps[k] || !strstr(s, out))
                abort();
        }
    }
    free(s);
    return 0;
}
