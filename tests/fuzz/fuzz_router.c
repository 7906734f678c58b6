/*
 * fuzz_router.c - libFuzzer target for the HTTP router's path matching and percent-decoding
 * and for Range header parsing (src/http/router.c, src/http/request.c).
 *
 * The input is used three ways: as a request path matched against a fixed route table, as a
 * percent-encoded string (with and without '+' as space), and as a Range header for a size
 * taken from its first bytes. Invariants are checked here so a wrong answer aborts instead of
 * passing: matched parameters are 1..ROUTER_MAX_PARAM_LEN bytes with no '/', NUL or control
 * byte; decoded output fits its buffer; a satisfiable range lies inside the file.
 * Seeds: tests/fuzz/corpus/fuzz_router.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/rr_error.h"
#include "http/request.h"
#include "http/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
    if (!cond)
        abort();
}

static int h(struct http_request *req, void *app)
{
    (void)req;
    (void)app;
    return 0;
}

static const struct http_route table[] = {
    {HTTP_GET, "/", h, 0, HTTP_BODY_NONE, "root", "", NULL, NULL},
    {HTTP_GET, "/v1/workouts", h, 0, HTTP_BODY_NONE, "w.list", "", NULL, NULL},
    {HTTP_GET, "/v1/workouts/{id}", h, 0, HTTP_BODY_NONE, "w.get", "", NULL, NULL},
    {HTTP_GET, "/v1/workouts/export", h, 0, HTTP_BODY_NONE, "w.export", "", NULL, NULL},
    {HTTP_DELETE, "/v1/workouts/{id}", h, 0, HTTP_BODY_NONE, "w.delete", "", NULL, NULL},
    {HTTP_GET, "/v1/workouts/{id}/sets/{set}/reps/{rep}", h, 0, HTTP_BODY_NONE, "r.get", "", NULL,
     NULL},
    {HTTP_POST, "/{a}/{b}/{c}", h, 0, HTTP_BODY_NONE, "abc", "", NULL, NULL},
};

static struct router *router_once(void)
{
    static struct router *r;
    if (!r) {
        char msg[128];
        check(router_new(table, sizeof table / sizeof table[0], &r, msg, sizeof msg) == 0);
    }
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const methods[] = {"GET", "HEAD", "POST", "DELETE", "PUT"};
    static struct router_match m;
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';

    int rc = router_match(router_once(), methods[size % 5], s, &m);
    check(rc == 0 || rc == RR_ERR_NOTFOUND || rc == RR_ERR_UNSUPPORTED || rc == RR_ERR_INVAL ||
          rc == RR_ERR_TOOBIG);
    if (rc == 0) {
        check(m.route != NULL && m.n_params <= ROUTER_MAX_PARAMS);
        for (size_t i = 0; i < m.n_params; i++) {
            size_t n = strlen(m.values[i]);
            check(n >= 1 && n <= ROUTER_MAX_PARAM_LEN);
            for (size_t k = 0; k < n; k++) {
                unsigned char c = (unsigned char)m.values[i][k];
                check(c != '/' && c >= 0x20 && c != 0x7f);
            }
            check(strcmp(m.values[i], "..") != 0 && strcmp(m.values[i], ".") != 0);
        }
    }
    if (rc == RR_ERR_UNSUPPORTED)
        check(m.allow != 0);

    char out[512];
    size_t len = strlen(s);
    for (int plus = 0; plus < 2; plus++) {
        int d = http_percent_decode(s, len, out, sizeof out, plus);
        if (d >= 0) {
            check((size_t)d < sizeof out && out[d] == '\0' && (size_t)d <= len);
            check(strlen(out) == (size_t)d);
        }
    }

    uint64_t fsize = 0;
    for (size_t i = 0; i < size && i < 3; i++)
        fsize = fsize * 256 + data[i];
    uint64_t start = 0, n = 0;
    rc = http_range_parse(s, fsize, &start, &n);
    check(rc == 0 || rc == 1 || rc == RR_ERR_TOOBIG);
    if (rc == 1)
        check(n >= 1 && start < fsize && n <= fsize - start);
    free(s);
    return 0;
}
