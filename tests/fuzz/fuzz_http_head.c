/*
 * fuzz_http_head.c - libFuzzer target for the connection gate's request-head check and the
 * If-Range comparison (src/http/head.c, src/http/request.c).
 *
 * The input is a request head (what a client sends before its body) checked against a limit
 * taken from its first byte, and, as a string, an If-Range value compared with a fixed ETag and
 * Last-Modified. Invariants are checked here so a wrong answer aborts instead of passing: a
 * good head lies within the input and the limit and ends with its empty line; a refusal has
 * one of the five statuses and a code and message; a good head has one body framing (a
 * Content-Length or chunked); the request line parts point into the input; If-Range matches only the validator it equals.
 * Seeds: tests/fuzz/corpus/fuzz_http_head.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/head.h"
#include "http/request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
    if (!cond)
        abort();
}

static int inside(const char *p, size_t n, const char *buf, size_t len)
{
    return p >= buf && n <= len && (size_t)(p - buf) <= len - n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    size_t limit = size ? 64 + (size_t)data[0] * 64 : 1024;
    struct http_head_verdict v;
    int r = http_head_check(buf, size, limit, &v);
    check(r == HTTP_HEAD_OK || r == HTTP_HEAD_BAD || r == HTTP_HEAD_INCOMPLETE);
    if (r == HTTP_HEAD_OK) {
        check(v.head_len >= 2 && v.head_len <= size && v.head_len <= limit);
        check(buf[v.head_len - 1] == '\n');
        check(buf[v.head_len - 2] == '\n' ||
              (v.head_len >= 3 && buf[v.head_len - 2] == '\r' && buf[v.head_len - 3] == '\n'));
        check(v.method && v.target && v.method_len >= 1 && v.method_len <= HTTP_HEAD_MAX_METHOD &&
              v.target_len >= 1);
        /* the gate computes where the request ends from these: one framing, a 19-digit bound */
        check(!(v.chunked && v.content_length));
        check(v.content_length <= 9999999999999999999ull);
        check(v.keep_alive == 0 || v.keep_alive == 1);
    }
    if (r == HTTP_HEAD_BAD) {
        check(v.status == 400 || v.status == 414 || v.status == 431 || v.status == 501 ||
              v.status == 505);
        check(v.code && v.code[0] && v.message && v.message[0]);
    }
    if (r == HTTP_HEAD_INCOMPLETE)
        check(size <= limit);
    if (v.method)
        check(inside(v.method, v.method_len, buf, size));
    if (v.target)
        check(inside(v.target, v.target_len, buf, size));

    static const char etag[] = "\"5-abc\"", lm[] = "Sun, 06 Dec 2026 08:00:00 GMT";
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    int m = http_if_range_matches(s, etag, lm);
    check(m == 0 || m == 1);
    if (m) {
        const char *p = s + strspn(s, " \t");
        check(strncmp(p, etag, sizeof etag - 1) == 0 || strncmp(p, lm, sizeof lm - 1) == 0);
    }
    check(http_if_range_matches(s, NULL, NULL) == 0);
    free(s);
    return 0;
}
