/* test_server.c - the HTTP server over real sockets: routing, bodies, limits, errors, uploads,
 * ranges, request ids, metrics, logs, graceful stop and connection caps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "base/rr_error.h"
#include "base/rr_log.h"
#include "http/metrics.h"
#include "http/server.h"
#include "http/validate.h"
#include "support/httpc.h"

static struct http_server *srv;
static uint16_t port;
static char file_path[64] = "/tmp/rr_http_file_XXXXXX";
static char log_path[64] = "/tmp/rr_http_log_XXXXXX";
static int log_fd = -1;
#define FILE_SIZE 1000

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- handlers ---- */

static int h_item(struct http_request *req, void *app)
{
    (void)app;
    const char *q = http_request_query(req, "q");
    return http_reply_json(req, 200,
                           json_pack("{s:s, s:s?, s:s?, s:s?}", "route",
                                     http_request_route(req)->name, "id",
                                     http_request_param(req, "id"), "sub",
                                     http_request_param(req, "sub"), "q", q));
}

static int h_echo(struct http_request *req, void *app)
{
    (void)app;
    return http_reply_json(req, 201, json_incref(http_request_json(req)));
}

static int h_slow(struct http_request *req, void *app)
{
    (void)app;
    sleep_ms(600);
    return http_reply_json(req, 200, json_pack("{s:b}", "slow", 1));
}

static int h_file(struct http_request *req, void *app)
{
    (void)app;
    int fd = open(file_path, O_RDONLY);
    if (fd < 0)
        return RR_ERR_IO;
    int err = http_reply_file(req, fd, FILE_SIZE, "application/octet-stream");
    /* validators set after the reply, as src/api/web.c does: If-Range still sees them */
    if (err == 0 && http_request_query(req, "etag"))
        err = http_reply_header(req, "ETag", "\"v1\"");
    if (err == 0 && http_request_query(req, "lm"))
        err = http_reply_header(req, "Last-Modified", "Sun, 06 Dec 2026 08:00:00 GMT");
    return err;
}

static int h_list(struct http_request *req, void *app)
{
    (void)app;
    int limit;
    const char *cursor;
    if (validate_query_limit(req, 20, 100, &limit) ||
        validate_query_cursor(req, 64, &cursor))
        return 0;
    if (cursor && strcmp(cursor, "refused") == 0)
        return validate_reply_param(req, "cursor", VALIDATE_BAD_CURSOR);
    return http_reply_json(req, 200, json_pack("{s:i, s:s?}", "limit", limit, "cursor", cursor));
}

static int h_conflict(struct http_request *req, void *app)
{
    (void)req;
    (void)app;
    return RR_ERR_CONFLICT;
}

static int h_limited(struct http_request *req, void *app)
{
    (void)app;
    http_reply_retry_after(req, 7);
    return http_reply_errcode(req, RR_ERR_RATELIMITED, "slow down");
}

static int h_noreply(struct http_request *req, void *app)
{
    (void)req;
    (void)app;
    return 0;
}

static int h_boom(struct http_request *req, void *app)
{
    (void)app;
    http_reply_json(req, 200, json_pack("{s:s}", "secret", "/var/lib/internal/path"));
    return RR_ERR_IO; /* the staged reply is replaced by a generic 500 */
}

static int h_me(struct http_request *req, void *app)
{
    (void)app;
    return http_reply_json(req, 200, json_pack("{s:s}", "user", (char *)http_request_principal(req)));
}

struct upload_ctx {
    uint64_t bytes;
    uint32_t sum;
    uint64_t fail_after; /* 0 = never */
};

static int up_write(void *ctx, const void *data, size_t len)
{
    struct upload_ctx *u = ctx;
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++)
        u->sum = u->sum * 31u + p[i];
    u->bytes += len;
    return u->fail_after && u->bytes > u->fail_after ? RR_ERR_CONFLICT : 0;
}

static void up_abort(void *ctx) { free(ctx); }

static int up_open(struct http_request *req, void *app, struct http_sink *sink)
{
    (void)app;
    if (http_request_query(req, "refuse"))
        return RR_ERR_CONFLICT;
    struct upload_ctx *u = calloc(1, sizeof *u);
    if (!u)
        return RR_ERR_NOMEM;
    const char *fa = http_request_query(req, "fail_after");
    u->fail_after = fa ? strtoull(fa, NULL, 10) : 0;
    sink->write = up_write;
    sink->abort = up_abort;
    sink->ctx = u;
    return 0;
}

static int h_upload(struct http_request *req, void *app)
{
    (void)app;
    struct upload_ctx *u = http_request_sink_ctx(req);
    int err = http_reply_json(req, 201, json_pack("{s:I, s:I}", "bytes", (json_int_t)u->bytes,
                                                  "sum", (json_int_t)u->sum));
    free(u);
    return err;
}

static int authenticate(struct http_request *req, void *app)
{
    (void)app;
    const char *a = http_request_header(req, "Authorization");
    if (!a || strcmp(a, "Bearer good-token") != 0)
        return RR_ERR_UNAUTHENTICATED;
    http_request_set_principal(req, strdup("alice"), free);
    return 0;
}

static const char *const roles[] = {"athlete", "coach", NULL};
static const struct validate_field goal_fields[] = {
    {.name = "reps", .type = VALIDATE_INT, .required = 1, .has_min = 1, .min = 1, .has_max = 1,
     .max = 100},
};
static const struct validate_schema goal_schema = {"Goal", goal_fields, 1};
static const struct validate_field profile_fields[] = {
    {.name = "email", .type = VALIDATE_STRING, .required = 1, .pattern = VALIDATE_EMAIL},
    {.name = "name", .type = VALIDATE_STRING, .has_min = 1, .min = 1, .has_max = 1, .max = 20},
    {.name = "age", .type = VALIDATE_INT, .has_min = 1, .min = 13, .has_max = 1, .max = 120},
    {.name = "kind", .type = VALIDATE_STRING, .pattern = VALIDATE_ENUM, .enum_values = roles},
    {.name = "goal", .type = VALIDATE_OBJECT, .object = &goal_schema},
};
static const struct validate_schema profile_schema = {"Profile", profile_fields, 5};

static const struct http_route routes[] = {
    {HTTP_GET, "/v1/items/{id}", h_item, 0, HTTP_BODY_NONE, "items.get", "get an item", NULL,
     NULL},
    {HTTP_DELETE, "/v1/items/{id}", h_item, 0, HTTP_BODY_NONE, "items.delete", "delete", NULL,
     NULL},
    {HTTP_GET, "/v1/items/{id}/parts/{sub}", h_item, 0, HTTP_BODY_NONE, "parts.get", "part",
     NULL, NULL},
    {HTTP_GET, "/v1/items/export", h_item, 0, HTTP_BODY_NONE, "items.export", "export", NULL,
     NULL},
    {HTTP_POST, "/v1/echo", h_echo, 0, HTTP_BODY_JSON, "echo", "echo JSON", NULL, NULL},
    {HTTP_POST, "/v1/profile", h_echo, 0, HTTP_BODY_JSON, "profile", "validated", &profile_schema,
     NULL},
    {HTTP_GET, "/v1/slow", h_slow, 0, HTTP_BODY_NONE, "slow", "slow", NULL, NULL},
    {HTTP_GET, "/v1/file", h_file, 0, HTTP_BODY_NONE, "file", "file", NULL, NULL},
    {HTTP_GET, "/v1/list", h_list, 0, HTTP_BODY_NONE, "list", "list", NULL, NULL},
    {HTTP_GET, "/v1/conflict", h_conflict, 0, HTTP_BODY_NONE, "conflict", "", NULL, NULL},
    {HTTP_GET, "/v1/limited", h_limited, 0, HTTP_BODY_NONE, "limited", "", NULL, NULL},
    {HTTP_GET, "/v1/noreply", h_noreply, 0, HTTP_BODY_NONE, "noreply", "", NULL, NULL},
    {HTTP_GET, "/v1/boom", h_boom, 0, HTTP_BODY_NONE, "boom", "", NULL, NULL},
    {HTTP_GET, "/v1/me", h_me, HTTP_AUTH_REQUIRED, HTTP_BODY_NONE, "me", "who am I", NULL, NULL},
    {HTTP_POST, "/v1/upload", h_upload, HTTP_AUTH_NONE, HTTP_BODY_STREAM, "upload", "upload",
     NULL, up_open},
};
#define N_ROUTES (sizeof routes / sizeof routes[0])

static int setup(void **state)
{
    (void)state;
    char msg[256];
    struct http_config cfg;
    http_config_defaults(&cfg);
    cfg.port = 0;
    cfg.threads = 2;
    cfg.upload_limit = 64u * 1024 * 1024;
    cfg.drain_timeout_ms = 5000;
    cfg.authenticate = authenticate;
    log_fd = mkstemp(log_path);
    if (log_fd < 0)
        return -1;
    rr_log_set_fd(log_fd);
    int fd = mkstemp(file_path);
    if (fd < 0)
        return -1;
    char data[FILE_SIZE];
    for (int i = 0; i < FILE_SIZE; i++)
        data[i] = (char)('a' + i % 26);
    if (write(fd, data, FILE_SIZE) != FILE_SIZE)
        return -1;
    close(fd);
    if (http_server_start(&cfg, routes, N_ROUTES, NULL, &srv, msg, sizeof msg) != 0) {
        fprintf(stderr, "start: %s\n", msg);
        return -1;
    }
    port = http_server_port(srv);
    return port ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    int err = http_server_stop(srv);
    unlink(file_path);
    rr_log_set_fd(2);
    close(log_fd);
    unlink(log_path);
    return err;
}

/* ---- helpers ---- */

static json_t *body_json(const struct httpc_resp *r)
{
    json_t *j = json_loadb(r->body, r->body_len, 0, NULL);
    assert_non_null(j);
    return j;
}

/* Asserts the one error format and returns the parsed body (caller decrefs). */
static json_t *expect_error(const struct httpc_resp *r, int status, const char *code)
{
    char rid[80];
    assert_int_equal(r->status, status);
    json_t *j = body_json(r);
    json_t *e = json_object_get(j, "error");
    assert_true(json_is_object(e));
    assert_string_equal(json_string_value(json_object_get(e, "code")), code);
    assert_true(json_is_string(json_object_get(e, "message")));
    assert_true(json_is_array(json_object_get(e, "details")));
    assert_non_null(httpc_header(r, "X-Request-Id", rid, sizeof rid));
    assert_string_equal(json_string_value(json_object_get(e, "request_id")), rid);
    return j;
}

static void get(const char *path, struct httpc_resp *r)
{
    assert_int_equal(httpc_request(port, "GET", path, NULL, NULL, 0, r), 0);
}

/* ---- tests ---- */

static void server__healthz_answers_ok(void **state)
{
    (void)state;
    struct httpc_resp r;
    char ct[64];
    get("/healthz", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(httpc_header(&r, "Content-Type", ct, sizeof ct), "application/json");
    json_t *j = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "ok");
    json_decref(j);
    httpc_resp_free(&r);
}

static void server__unknown_path_is_404_in_the_error_format(void **state)
{
    (void)state;
    struct httpc_resp r;
    get("/v1/nothing/here", &r);
    json_decref(expect_error(&r, 404, "not_found"));
    httpc_resp_free(&r);
}

static void server__wrong_method_is_405_with_allow(void **state)
{
    (void)state;
    struct httpc_resp r;
    char allow[64];
    assert_int_equal(httpc_request(port, "PUT", "/v1/items/42", NULL, NULL, 0, &r), 0);
    json_decref(expect_error(&r, 405, "method_not_allowed"));
    assert_string_equal(httpc_header(&r, "Allow", allow, sizeof allow), "GET, HEAD, DELETE");
    httpc_resp_free(&r);
    assert_int_equal(httpc_request(port, "BREW", "/healthz", NULL, NULL, 0, &r), 0);
    assert_int_equal(r.status, 405);
    httpc_resp_free(&r);
}

static void server__path_params_and_query_are_decoded(void **state)
{
    (void)state;
    struct httpc_resp r;
    get("/v1/items/a%20b/parts/x%2Dy%C3%A9?q=two+words%21", &r);
    assert_int_equal(r.status, 200);
    json_t *j = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(j, "route")), "parts.get");
    assert_string_equal(json_string_value(json_object_get(j, "id")), "a b");
    assert_string_equal(json_string_value(json_object_get(j, "sub")), "x-y\xc3\xa9");
    assert_string_equal(json_string_value(json_object_get(j, "q")), "two words!");
    json_decref(j);
    httpc_resp_free(&r);
    get("/v1/items/7?q=%zz", &r); /* a badly encoded query value reads as absent */
    j = body_json(&r);
    assert_true(json_is_null(json_object_get(j, "q")));
    json_decref(j);
    httpc_resp_free(&r);
}

static void server__bad_encodings_and_dot_segments_are_400(void **state)
{
    (void)state;
    static const char *const bad[] = {"/v1/items/%zz", "/v1/items/%4",   "/v1/items/a%00b",
                                      "/v1/items/a%2Fb", "/v1/items/%2e%2e", "/v1/items/..",
                                      "/v1/items/%0a"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct httpc_resp r;
        get(bad[i], &r);
        json_decref(expect_error(&r, 400, "bad_path"));
        httpc_resp_free(&r);
    }
}

static void server__literal_segment_beats_parameter_and_trailing_slash_is_strict(void **state)
{
    (void)state;
    struct httpc_resp r;
    get("/v1/items/export", &r);
    json_t *j = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(j, "route")), "items.export");
    json_decref(j);
    httpc_resp_free(&r);
    get("/v1/items/42/", &r);
    assert_int_equal(r.status, 404);
    httpc_resp_free(&r);
    get("/v1//items", &r);
    assert_int_equal(r.status, 404);
    httpc_resp_free(&r);
}

static void server__head_answers_get_routes_without_body(void **state)
{
    (void)state;
    struct httpc_resp r;
    char cl[32];
    assert_int_equal(httpc_request(port, "HEAD", "/healthz", NULL, NULL, 0, &r), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 0);
    assert_string_equal(httpc_header(&r, "Content-Length", cl, sizeof cl), "15");
    httpc_resp_free(&r);
}

static void server__json_body_is_parsed(void **state)
{
    (void)state;
    struct httpc_resp r;
    const char *body = "{\"a\":[1,2,{\"b\":\"c\"}],\"n\":null}";
    assert_int_equal(httpc_request(port, "POST", "/v1/echo",
                                   "Content-Type: application/json; charset=utf-8\r\n", body,
                                   strlen(body), &r),
                     0);
    assert_int_equal(r.status, 201);
    json_t *j = body_json(&r);
    json_t *want = json_loads(body, 0, NULL);
    assert_true(json_equal(j, want));
    json_decref(j);
    json_decref(want);
    httpc_resp_free(&r);
}

static void post_json(const char *path, const char *body, struct httpc_resp *r)
{
    assert_int_equal(httpc_request(port, "POST", path, "Content-Type: application/json\r\n", body,
                                   strlen(body), r),
                     0);
}

static void server__malformed_and_duplicate_key_json_is_400(void **state)
{
    (void)state;
    struct httpc_resp r;
    post_json("/v1/echo", "{\"a\":1,", &r);
    json_decref(expect_error(&r, 400, "malformed_json"));
    httpc_resp_free(&r);
    post_json("/v1/echo", "{\"a\":1,\"a\":2}", &r);
    json_t *j = expect_error(&r, 400, "malformed_json");
    const char *m = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
    assert_non_null(strstr(m, "duplicate"));
    json_decref(j);
    httpc_resp_free(&r);
    post_json("/v1/echo", "\"just a string\"", &r); /* only objects/arrays at top level */
    json_decref(expect_error(&r, 400, "malformed_json"));
    httpc_resp_free(&r);
}

static void server__json_needs_a_json_content_type_and_a_body(void **state)
{
    (void)state;
    struct httpc_resp r;
    assert_int_equal(httpc_request(port, "POST", "/v1/echo", "Content-Type: text/plain\r\n", "{}",
                                   2, &r),
                     0);
    json_decref(expect_error(&r, 415, "unsupported_media_type"));
    httpc_resp_free(&r);
    assert_int_equal(httpc_request(port, "POST", "/v1/echo", NULL, NULL, 0, &r), 0);
    json_decref(expect_error(&r, 400, "missing_body"));
    httpc_resp_free(&r);
    assert_int_equal(httpc_request(port, "GET", "/healthz", NULL, "x", 1, &r), 0);
    json_decref(expect_error(&r, 400, "body_not_allowed"));
    httpc_resp_free(&r);
}

static void server__json_over_one_mib_is_413_with_the_error_body(void **state)
{
    (void)state;
    struct httpc_resp r;
    size_t n = (1u << 20) + 1;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, ' ', n);
    big[0] = '[';
    big[n - 1] = ']';
    assert_int_equal(httpc_request(port, "POST", "/v1/echo", "Content-Type: application/json\r\n",
                                   big, n, &r),
                     0);
    json_decref(expect_error(&r, 413, "too_large"));
    httpc_resp_free(&r);
    /* exactly the limit is fine */
    assert_int_equal(httpc_request(port, "POST", "/v1/echo", "Content-Type: application/json\r\n",
                                   big, n - 1 - 1, &r),
                     0);
    assert_int_equal(r.status, 400); /* "[   ..." without the closing bracket: parsed, refused */
    httpc_resp_free(&r);
    big[n - 2] = ']';
    assert_int_equal(httpc_request(port, "POST", "/v1/echo", "Content-Type: application/json\r\n",
                                   big, n - 1, &r),
                     0);
    assert_int_equal(r.status, 201);
    httpc_resp_free(&r);
    free(big);
}

static void server__chunked_json_over_the_limit_is_413(void **state)
{
    (void)state;
    struct httpc_resp r;
    int fd = httpc_connect(port);
    assert_true(fd >= 0);
    const char *head = "POST /v1/echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                       "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    assert_int_equal(httpc_send(fd, head, strlen(head)), 0);
    static char chunk[65536];
    memset(chunk, ' ', sizeof chunk);
    char hdr[32];
    for (int i = 0; i < 17; i++) { /* 17 x 64 KiB > 1 MiB */
        int hn = snprintf(hdr, sizeof hdr, "%zx\r\n", sizeof chunk);
        assert_int_equal(httpc_send(fd, hdr, (size_t)hn), 0);
        assert_int_equal(httpc_send(fd, chunk, sizeof chunk), 0);
        assert_int_equal(httpc_send(fd, "\r\n", 2), 0);
    }
    assert_int_equal(httpc_send(fd, "0\r\n\r\n", 5), 0);
    assert_int_equal(httpc_recv(fd, &r, 0), 0);
    json_decref(expect_error(&r, 413, "too_large"));
    httpc_resp_free(&r);
    close(fd);
}

static void server__declared_huge_body_is_refused_before_it_is_sent(void **state)
{
    (void)state;
    struct httpc_resp r;
    const char *req = "POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      "Content-Length: 104857600\r\nExpect: 100-continue\r\n\r\n";
    assert_int_equal(httpc_raw(port, req, strlen(req), &r), 0);
    json_decref(expect_error(&r, 413, "too_large"));
    httpc_resp_free(&r);
    req = "POST /v1/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 104857600\r\n"
          "Expect: 100-continue\r\n\r\n";
    assert_int_equal(httpc_raw(port, req, strlen(req), &r), 0);
    json_decref(expect_error(&r, 413, "too_large"));
    httpc_resp_free(&r);
}

static void server__oversize_headers_are_431(void **state)
{
    (void)state;
    struct httpc_resp r;
    size_t n = 20 * 1024;
    char *h = malloc(n + 32);
    assert_non_null(h);
    memcpy(h, "X-Big: ", 7);
    memset(h + 7, 'a', n);
    memcpy(h + 7 + n, "\r\n", 3);
    assert_int_equal(httpc_request(port, "GET", "/healthz", h, NULL, 0, &r), 0);
    json_decref(expect_error(&r, 431, "headers_too_large"));
    httpc_resp_free(&r);
    /* 12 KiB of headers is within the 16 KiB limit */
    memset(h + 7, 'a', 12 * 1024);
    memcpy(h + 7 + 12 * 1024, "\r\n", 3);
    assert_int_equal(httpc_request(port, "GET", "/healthz", h, NULL, 0, &r), 0);
    assert_int_equal(r.status, 200);
    httpc_resp_free(&r);
    /* far past MHD's own buffer: MHD refuses by itself, still a 4xx */
    free(h);
    n = 64 * 1024;
    h = malloc(n + 32);
    assert_non_null(h);
    memcpy(h, "X-Big: ", 7);
    memset(h + 7, 'a', n);
    memcpy(h + 7 + n, "\r\n", 3);
    httpc_request(port, "GET", "/healthz", h, NULL, 0, &r);
    assert_true(r.status >= 400 && r.status < 500);
    httpc_resp_free(&r);
    free(h);
}

static int has_problem(json_t *details, const char *field, const char *needle)
{
    size_t i;
    json_t *d;
    json_array_foreach(details, i, d)
    {
        if (strcmp(json_string_value(json_object_get(d, "field")), field) == 0 &&
            strstr(json_string_value(json_object_get(d, "problem")), needle))
            return 1;
    }
    return 0;
}

static void server__validation_lists_every_bad_field(void **state)
{
    (void)state;
    struct httpc_resp r;
    post_json("/v1/profile",
              "{\"email\":\"not-an-email\",\"name\":\"\",\"age\":7,\"kind\":\"admin\","
              "\"goal\":{\"reps\":0}}",
              &r);
    json_t *j = expect_error(&r, 422, "validation_failed");
    json_t *d = json_object_get(json_object_get(j, "error"), "details");
    assert_int_equal(json_array_size(d), 5);
    assert_true(has_problem(d, "email", "email"));
    assert_true(has_problem(d, "name", "at least 1"));
    assert_true(has_problem(d, "age", "at least 13"));
    assert_true(has_problem(d, "kind", "allowed"));
    assert_true(has_problem(d, "goal.reps", "at least 1"));
    json_decref(j);
    httpc_resp_free(&r);
    post_json("/v1/profile", "{\"email\":\"a@b.co\",\"age\":30,\"kind\":\"coach\"}", &r);
    assert_int_equal(r.status, 201);
    httpc_resp_free(&r);
}

static void server__unknown_field_is_refused_by_name(void **state)
{
    (void)state;
    struct httpc_resp r;
    post_json("/v1/profile", "{\"email\":\"a@b.co\",\"role\":\"admin\"}", &r);
    json_t *j = expect_error(&r, 400, "unknown_field");
    json_t *d = json_object_get(json_object_get(j, "error"), "details");
    assert_true(has_problem(d, "role", "unknown"));
    json_decref(j);
    httpc_resp_free(&r);
}

static long max_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* VmRSS / VmHWM from /proc/self/status in KiB (-1 when unavailable). */
static long proc_status_kb(const char *key)
{
    char line[256];
    long v = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, strlen(key)) == 0)
            v = strtol(line + strlen(key), NULL, 10);
    fclose(f);
    return v;
}

/* Reset the peak RSS so the next VmHWM is the peak of what follows (Linux >= 4.0). */
static void reset_peak_rss(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f) {
        fputs("5", f);
        fclose(f);
    }
}

static void server__streaming_upload_of_50_mb_keeps_memory_flat(void **state)
{
    (void)state;
    const size_t total = 50u * 1024 * 1024;
    static unsigned char chunk[65536];
    uint32_t sum = 0;
    for (size_t i = 0; i < sizeof chunk; i++)
        chunk[i] = (unsigned char)(i * 7 + 3);
    for (size_t i = 0; i < total; i++)
        sum = sum * 31u + chunk[i % sizeof chunk];
    long before = max_rss_kb();
    reset_peak_rss();
    long rss0 = proc_status_kb("VmRSS:");
    int fd = httpc_connect(port);
    assert_true(fd >= 0);
    char head[256];
    int hn = snprintf(head, sizeof head,
                      "POST /v1/upload HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                      "Content-Length: %zu\r\n\r\n",
                      total);
    assert_int_equal(httpc_send(fd, head, (size_t)hn), 0);
    for (size_t sent = 0; sent < total; sent += sizeof chunk)
        assert_int_equal(httpc_send(fd, chunk, sizeof chunk), 0);
    struct httpc_resp r;
    assert_int_equal(httpc_recv(fd, &r, 0), 0);
    close(fd);
    long growth_kb = max_rss_kb() - before;
    long hwm_growth_kb = proc_status_kb("VmHWM:") - rss0;
    assert_int_equal(r.status, 201);
    json_t *j = body_json(&r);
    assert_int_equal(json_integer_value(json_object_get(j, "bytes")), (json_int_t)total);
    assert_int_equal(json_integer_value(json_object_get(j, "sum")), (json_int_t)sum);
    json_decref(j);
    httpc_resp_free(&r);
    printf("upload 50 MiB: ru_maxrss growth %ld KiB, peak over starting RSS %ld KiB\n",
           growth_kb, hwm_growth_kb);
    assert_true(growth_kb < 16 * 1024);
    assert_true(hwm_growth_kb < 16 * 1024);
}

static void server__upload_refused_by_the_sink_is_answered(void **state)
{
    (void)state;
    struct httpc_resp r;
    assert_int_equal(httpc_request(port, "POST", "/v1/upload?refuse=1", NULL, "abc", 3, &r), 0);
    json_decref(expect_error(&r, 409, "conflict"));
    httpc_resp_free(&r);
}

static void server__sink_write_error_is_answered_with_its_status(void **state)
{
    (void)state;
    struct httpc_resp r;
    static char body[100000];
    memset(body, 'z', sizeof body);
    assert_int_equal(
        httpc_request(port, "POST", "/v1/upload?fail_after=10", NULL, body, sizeof body, &r), 0);
    json_decref(expect_error(&r, 409, "conflict"));
    httpc_resp_free(&r);
}

static void server__overlong_path_is_414(void **state)
{
    (void)state;
    struct httpc_resp r;
    char path[3000];
    memset(path, 'a', sizeof path - 1);
    path[0] = '/';
    path[sizeof path - 1] = '\0';
    get(path, &r);
    json_decref(expect_error(&r, 414, "uri_too_long"));
    httpc_resp_free(&r);
}

static void server__binds_ipv6_loopback(void **state)
{
    (void)state;
    char msg[128];
    struct http_config cfg;
    struct http_server *s;
    http_config_defaults(&cfg);
    cfg.port = 0;
    cfg.threads = 1;
    cfg.bind_addr = "::1";
    int rc = http_server_start(&cfg, routes, N_ROUTES, NULL, &s, msg, sizeof msg);
    if (rc == RR_ERR_IO) { /* no IPv6 on this host */
        print_message("no IPv6 loopback: %s\n", msg);
        return;
    }
    assert_int_equal(rc, 0);
    assert_true(http_server_port(s) != 0);
    assert_int_equal(http_server_stop(s), 0);
}

static void server__range_requests_give_206_and_416(void **state)
{
    (void)state;
    struct httpc_resp r;
    char h[64];
    assert_int_equal(httpc_request(port, "GET", "/v1/file", "Range: bytes=10-19\r\n", NULL, 0, &r),
                     0);
    assert_int_equal(r.status, 206);
    assert_int_equal(r.body_len, 10);
    assert_memory_equal(r.body, "klmnopqrst", 10);
    assert_string_equal(httpc_header(&r, "Content-Range", h, sizeof h), "bytes 10-19/1000");
    httpc_resp_free(&r);
    assert_int_equal(httpc_request(port, "GET", "/v1/file", "Range: bytes=-4\r\n", NULL, 0, &r), 0);
    assert_int_equal(r.status, 206);
    assert_int_equal(r.body_len, 4);
    assert_string_equal(httpc_header(&r, "Content-Range", h, sizeof h), "bytes 996-999/1000");
    httpc_resp_free(&r);
    assert_int_equal(
        httpc_request(port, "GET", "/v1/file", "Range: bytes=1000-\r\n", NULL, 0, &r), 0);
    json_decref(expect_error(&r, 416, "range_not_satisfiable"));
    assert_string_equal(httpc_header(&r, "Content-Range", h, sizeof h), "bytes */1000");
    httpc_resp_free(&r);
    get("/v1/file", &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, FILE_SIZE);
    assert_string_equal(httpc_header(&r, "Accept-Ranges", h, sizeof h), "bytes");
    httpc_resp_free(&r);
}

static void expect_range(const char *path, const char *if_range, int status)
{
    struct httpc_resp r;
    char hdr[128];
    snprintf(hdr, sizeof hdr, "Range: bytes=10-19\r\nIf-Range: %s\r\n", if_range);
    assert_int_equal(httpc_request(port, "GET", path, hdr, NULL, 0, &r), 0);
    if (r.status != status)
        print_error("%s If-Range %s: %d\n", path, if_range, r.status);
    assert_int_equal(r.status, status);
    assert_int_equal(r.body_len, status == 206 ? 10 : FILE_SIZE);
    httpc_resp_free(&r);
}

static void server__if_range_honours_the_range_only_for_the_same_validator(void **state)
{
    (void)state;
    expect_range("/v1/file?etag=1", "\"v1\"", 206);
    expect_range("/v1/file?etag=1", "\"v2\"", 200);    /* changed since: the whole file */
    expect_range("/v1/file?etag=1", "W/\"v1\"", 200);  /* weak tags never match */
    expect_range("/v1/file?lm=1", "Sun, 06 Dec 2026 08:00:00 GMT", 206);
    expect_range("/v1/file?lm=1", "Sun, 06 Dec 2026 08:00:01 GMT", 200);
    expect_range("/v1/file", "\"v1\"", 200); /* no validator: cannot match */
    assert_int_equal(http_if_range_matches(NULL, NULL, NULL), 1);
    assert_int_equal(http_if_range_matches(" \"a\" ", "\"a\"", NULL), 1);
    assert_int_equal(http_if_range_matches("\"a\"", "W/\"a\"", NULL), 0);
    assert_int_equal(http_if_range_matches("", "\"a\"", ""), 0);
}

static void server__list_query_errors_have_one_shape(void **state)
{
    (void)state;
    static const struct {
        const char *path, *field;
    } bad[] = {
        {"/v1/list?limit=0", "limit"},      {"/v1/list?limit=101", "limit"},
        {"/v1/list?limit=x", "limit"},      {"/v1/list?limit=", "limit"},
        {"/v1/list?limit=99999999999", "limit"}, {"/v1/list?cursor=", "cursor"},
        {"/v1/list?cursor=refused", "cursor"},
    };
    struct httpc_resp r;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        get(bad[i].path, &r);
        json_t *j = expect_error(&r, 422, "validation_failed");
        json_t *e = json_object_get(j, "error");
        assert_string_equal(json_string_value(json_object_get(e, "message")),
                            "invalid request parameters");
        json_t *d = json_array_get(json_object_get(e, "details"), 0);
        assert_string_equal(json_string_value(json_object_get(d, "field")), bad[i].field);
        json_decref(j);
        httpc_resp_free(&r);
    }
    get("/v1/list?limit=100&cursor=abc", &r);
    assert_int_equal(r.status, 200);
    assert_true(r.body_len > 0 && strstr(r.body, "\"limit\":100") && strstr(r.body, "abc"));
    httpc_resp_free(&r);
}

static void server__query_of_too_many_parameters_is_414(void **state)
{
    (void)state;
    char path[2048];
    struct httpc_resp r;
    size_t n = (size_t)snprintf(path, sizeof path, "/v1/list?limit=5");
    for (int i = 1; i < 64; i++) /* 64 parameters pass */
        n += (size_t)snprintf(path + n, sizeof path - n, "&a");
    get(path, &r);
    assert_int_equal(r.status, 200);
    httpc_resp_free(&r);
    for (int i = 0; i < 600; i++) /* ~660 would exhaust libmicrohttpd's pool */
        n += (size_t)snprintf(path + n, sizeof path - n, "&");
    get(path, &r);
    json_decref(expect_error(&r, 414, "too_many_query_params"));
    httpc_resp_free(&r);
}

static void server__request_id_is_echoed_when_sane(void **state)
{
    (void)state;
    struct httpc_resp r;
    char h[80];
    assert_int_equal(
        httpc_request(port, "GET", "/healthz", "X-Request-Id: abc-123.XYZ_9\r\n", NULL, 0, &r),
        0);
    assert_string_equal(httpc_header(&r, "X-Request-Id", h, sizeof h), "abc-123.XYZ_9");
    httpc_resp_free(&r);
    assert_int_equal(httpc_request(port, "GET", "/healthz", "X-Request-Id: bad id <script>\r\n",
                                   NULL, 0, &r),
                     0);
    assert_non_null(httpc_header(&r, "X-Request-Id", h, sizeof h));
    assert_int_equal(strlen(h), 16);
    assert_int_equal(strspn(h, "0123456789abcdef"), 16);
    httpc_resp_free(&r);
}

static void server__auth_routes_fail_closed(void **state)
{
    (void)state;
    struct httpc_resp r;
    get("/v1/me", &r);
    json_decref(expect_error(&r, 401, "unauthenticated"));
    httpc_resp_free(&r);
    assert_int_equal(
        httpc_request(port, "GET", "/v1/me", "Authorization: Bearer good-token\r\n", NULL, 0, &r),
        0);
    assert_int_equal(r.status, 200);
    json_t *j = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(j, "user")), "alice");
    json_decref(j);
    httpc_resp_free(&r);
}

static void server__handler_errors_go_through_the_one_table(void **state)
{
    (void)state;
    struct httpc_resp r;
    char h[32];
    get("/v1/conflict", &r);
    json_decref(expect_error(&r, 409, "conflict"));
    httpc_resp_free(&r);
    get("/v1/limited", &r);
    json_decref(expect_error(&r, 429, "rate_limited"));
    assert_string_equal(httpc_header(&r, "Retry-After", h, sizeof h), "7");
    httpc_resp_free(&r);
    get("/v1/noreply", &r);
    json_decref(expect_error(&r, 500, "internal"));
    httpc_resp_free(&r);
    get("/v1/boom", &r);
    json_t *j = expect_error(&r, 500, "internal");
    assert_null(strstr(r.body, "/var/lib"));
    json_decref(j);
    httpc_resp_free(&r);
}

static long metric_value(const char *text, const char *series)
{
    const char *p = strstr(text, series);
    return p ? strtol(p + strlen(series), NULL, 10) : -1;
}

static void server__metrics_count_requests_by_route_and_class(void **state)
{
    (void)state;
    struct httpc_resp r;
    const char *ok = "http_requests_total{route=\"items.export\",method=\"GET\",class=\"2xx\"} ";
    const char *hist = "http_request_duration_seconds_count{route=\"items.export\"} ";
    get("/metrics", &r);
    long ok0 = metric_value(r.body, ok), hist0 = metric_value(r.body, hist);
    httpc_resp_free(&r);
    for (int i = 0; i < 3; i++) {
        get("/v1/items/export", &r);
        httpc_resp_free(&r);
    }
    get("/v1/items/export/nope", &r);
    httpc_resp_free(&r);
    sleep_ms(50); /* completion callbacks run after the last byte is sent */
    get("/metrics", &r);
    assert_int_equal(r.status, 200);
    char ct[64];
    assert_string_equal(httpc_header(&r, "Content-Type", ct, sizeof ct),
                        "text/plain; version=0.0.4; charset=utf-8");
    assert_non_null(strstr(r.body, "# TYPE http_requests_total counter"));
    assert_non_null(strstr(r.body, "# TYPE http_request_duration_seconds histogram"));
    assert_int_equal(metric_value(r.body, ok), ok0 + 3);
    assert_int_equal(metric_value(r.body, hist), hist0 + 3);
    assert_true(metric_value(r.body, "http_requests_total{route=\"unmatched\",method=\"\",class=\"4xx\"} ") >= 1);
    httpc_resp_free(&r);
}

static void server__openapi_describes_the_route_table(void **state)
{
    (void)state;
    struct httpc_resp r;
    get("/openapi.json", &r);
    assert_int_equal(r.status, 200);
    json_t *j = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(j, "openapi")), "3.1.0");
    json_t *paths = json_object_get(j, "paths");
    json_t *get_item = json_object_get(json_object_get(paths, "/v1/items/{id}"), "get");
    assert_string_equal(json_string_value(json_object_get(get_item, "operationId")), "items.get");
    json_t *me = json_object_get(json_object_get(paths, "/v1/me"), "get");
    assert_non_null(json_object_get(me, "security"));
    assert_non_null(json_object_get(json_object_get(j, "components"), "schemas"));
    assert_non_null(json_object_get(json_object_get(paths, "/healthz"), "get"));
    json_decref(j);
    httpc_resp_free(&r);
}

static void server__access_log_is_json_without_query_or_secrets(void **state)
{
    (void)state;
    struct httpc_resp r;
    assert_int_equal(httpc_request(port, "GET", "/v1/items/9?token=SECRET-QUERY",
                                   "Authorization: Bearer SECRET-HEADER\r\n"
                                   "X-Request-Id: log-probe-1\r\n",
                                   NULL, 0, &r),
                     0);
    assert_int_equal(r.status, 200);
    httpc_resp_free(&r);
    sleep_ms(50);
    size_t len = 0;
    char *text = NULL;
    FILE *f = fopen(log_path, "r");
    assert_non_null(f);
    char line[4096];
    int found = 0;
    while (fgets(line, sizeof line, f)) {
        assert_null(strstr(line, "SECRET"));
        json_t *j = json_loads(line, 0, NULL);
        assert_non_null(j); /* every line is one JSON object */
        assert_non_null(json_object_get(j, "ts"));
        const char *rid = json_string_value(json_object_get(j, "request_id"));
        if (rid && strcmp(rid, "log-probe-1") == 0) {
            found = 1;
            assert_string_equal(json_string_value(json_object_get(j, "path")), "/v1/items/9");
            assert_string_equal(json_string_value(json_object_get(j, "method")), "GET");
            assert_int_equal(json_integer_value(json_object_get(j, "status")), 200);
            assert_true(json_is_number(json_object_get(j, "ms")));
            assert_string_equal(json_string_value(json_object_get(j, "level")), "info");
        }
        json_decref(j);
    }
    fclose(f);
    free(text);
    (void)len;
    assert_true(found);
}

struct slow_call {
    uint16_t port;
    struct httpc_resp r;
};

static void *slow_thread(void *arg)
{
    struct slow_call *c = arg;
    httpc_request(c->port, "GET", "/v1/slow", NULL, NULL, 0, &c->r);
    return NULL;
}

static void server__graceful_stop_completes_a_running_request(void **state)
{
    (void)state;
    char msg[128];
    struct http_config cfg;
    struct http_server *s;
    http_config_defaults(&cfg);
    cfg.port = 0;
    cfg.threads = 2;
    cfg.drain_timeout_ms = 5000;
    assert_int_equal(http_server_start(&cfg, routes, N_ROUTES, NULL, &s, msg, sizeof msg), 0);
    struct slow_call c = {http_server_port(s), {0}};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, slow_thread, &c), 0);
    for (int i = 0; i < 200 && http_server_in_flight(s) == 0; i++)
        sleep_ms(5);
    assert_int_equal(http_server_in_flight(s), 1);
    assert_int_equal(http_server_stop(s), 0);
    pthread_join(t, NULL);
    assert_int_equal(c.r.status, 200);
    char h[16];
    assert_string_equal(httpc_header(&c.r, "Connection", h, sizeof h), "close");
    httpc_resp_free(&c.r);
    assert_true(httpc_connect(c.port) < 0); /* no longer listening */
}

static void server__drain_timeout_cuts_off_a_stuck_request(void **state)
{
    (void)state;
    char msg[128];
    struct http_config cfg;
    struct http_server *s;
    http_config_defaults(&cfg);
    cfg.port = 0;
    cfg.threads = 1;
    cfg.drain_timeout_ms = 100;
    assert_int_equal(http_server_start(&cfg, routes, N_ROUTES, NULL, &s, msg, sizeof msg), 0);
    struct slow_call c = {http_server_port(s), {0}};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, slow_thread, &c), 0);
    for (int i = 0; i < 200 && http_server_in_flight(s) == 0; i++)
        sleep_ms(5);
    assert_int_equal(http_server_stop(s), RR_ERR_TIMEOUT);
    pthread_join(t, NULL);
    httpc_resp_free(&c.r);
}

static void server__per_ip_connection_limit_answers_extra_connections_429(void **state)
{
    (void)state;
    char msg[128];
    struct http_config cfg;
    struct http_server *s;
    http_config_defaults(&cfg);
    cfg.port = 0;
    cfg.threads = 1;
    cfg.max_per_ip = 2;
    assert_int_equal(http_server_start(&cfg, routes, N_ROUTES, NULL, &s, msg, sizeof msg), 0);
    uint16_t p = http_server_port(s);
    const char *req = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"; /* keep-alive */
    int fds[2];
    struct httpc_resp r;
    for (int i = 0; i < 2; i++) {
        fds[i] = httpc_connect(p);
        assert_true(fds[i] >= 0);
        assert_int_equal(httpc_send(fds[i], req, strlen(req)), 0);
        assert_int_equal(httpc_recv(fds[i], &r, 0), 0);
        assert_int_equal(r.status, 200);
        httpc_resp_free(&r);
    }
    int extra = httpc_connect(p);
    assert_true(extra >= 0); /* the kernel completes the handshake; the gate answers and closes */
    httpc_send(extra, req, strlen(req));
    httpc_recv(extra, &r, 0);
    json_decref(expect_error(&r, 429, "too_many_connections"));
    httpc_resp_free(&r);
    close(extra);
    close(fds[0]);
    sleep_ms(100);
    int again = httpc_connect(p);
    assert_true(again >= 0);
    assert_int_equal(httpc_send(again, req, strlen(req)), 0);
    assert_int_equal(httpc_recv(again, &r, 0), 0);
    assert_int_equal(r.status, 200);
    httpc_resp_free(&r);
    close(again);
    close(fds[1]);
    assert_int_equal(http_server_stop(s), 0);
}

static int dummy(struct http_request *req, void *app)
{
    (void)app;
    return http_reply_json(req, 200, json_object());
}

static void server__start_refuses_bad_config_and_route_tables(void **state)
{
    (void)state;
    char msg[128];
    struct http_config cfg;
    struct http_server *s;
    http_config_defaults(&cfg);
    cfg.port = 0;
    cfg.bind_addr = "not-an-ip";
    assert_int_equal(http_server_start(&cfg, routes, N_ROUTES, NULL, &s, msg, sizeof msg),
                     RR_ERR_INVAL);
    assert_null(s);
    http_config_defaults(&cfg);
    cfg.port = 0;
    cfg.threads = 0;
    assert_int_equal(http_server_start(&cfg, routes, N_ROUTES, NULL, &s, msg, sizeof msg),
                     RR_ERR_INVAL);
    http_config_defaults(&cfg);
    cfg.port = 0;
    const struct http_route clash[] = {
        {HTTP_GET, "/healthz", dummy, 0, HTTP_BODY_NONE, "mine", "", NULL, NULL},
    };
    assert_int_equal(http_server_start(&cfg, clash, 1, NULL, &s, msg, sizeof msg), RR_ERR_INVAL);
    assert_non_null(strstr(msg, "duplicate"));
    cfg.no_builtin_routes = 1;
    assert_int_equal(http_server_start(&cfg, clash, 1, NULL, &s, msg, sizeof msg), 0);
    struct httpc_resp r;
    assert_int_equal(httpc_request(http_server_port(s), "GET", "/healthz", NULL, NULL, 0, &r), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 2); /* "{}" from our route, not the built-in */
    httpc_resp_free(&r);
    assert_non_null(http_server_metrics(s));
    /* the port is taken now */
    cfg.port = http_server_port(s);
    struct http_server *s2;
    assert_int_equal(http_server_start(&cfg, clash, 1, NULL, &s2, msg, sizeof msg), RR_ERR_IO);
    assert_int_equal(http_server_stop(s), 0);
    assert_int_equal(http_server_stop(NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(server__healthz_answers_ok),
        cmocka_unit_test(server__streaming_upload_of_50_mb_keeps_memory_flat),
        cmocka_unit_test(server__unknown_path_is_404_in_the_error_format),
        cmocka_unit_test(server__wrong_method_is_405_with_allow),
        cmocka_unit_test(server__path_params_and_query_are_decoded),
        cmocka_unit_test(server__bad_encodings_and_dot_segments_are_400),
        cmocka_unit_test(server__literal_segment_beats_parameter_and_trailing_slash_is_strict),
        cmocka_unit_test(server__head_answers_get_routes_without_body),
        cmocka_unit_test(server__json_body_is_parsed),
        cmocka_unit_test(server__malformed_and_duplicate_key_json_is_400),
        cmocka_unit_test(server__json_needs_a_json_content_type_and_a_body),
        cmocka_unit_test(server__json_over_one_mib_is_413_with_the_error_body),
        cmocka_unit_test(server__chunked_json_over_the_limit_is_413),
        cmocka_unit_test(server__declared_huge_body_is_refused_before_it_is_sent),
        cmocka_unit_test(server__oversize_headers_are_431),
        cmocka_unit_test(server__validation_lists_every_bad_field),
        cmocka_unit_test(server__unknown_field_is_refused_by_name),
        cmocka_unit_test(server__upload_refused_by_the_sink_is_answered),
        cmocka_unit_test(server__sink_write_error_is_answered_with_its_status),
        cmocka_unit_test(server__overlong_path_is_414),
        cmocka_unit_test(server__binds_ipv6_loopback),
        cmocka_unit_test(server__range_requests_give_206_and_416),
        cmocka_unit_test(server__if_range_honours_the_range_only_for_the_same_validator),
        cmocka_unit_test(server__list_query_errors_have_one_shape),
        cmocka_unit_test(server__query_of_too_many_parameters_is_414),
        cmocka_unit_test(server__request_id_is_echoed_when_sane),
        cmocka_unit_test(server__auth_routes_fail_closed),
        cmocka_unit_test(server__handler_errors_go_through_the_one_table),
        cmocka_unit_test(server__metrics_count_requests_by_route_and_class),
        cmocka_unit_test(server__openapi_describes_the_route_table),
        cmocka_unit_test(server__access_log_is_json_without_query_or_secrets),
        cmocka_unit_test(server__graceful_stop_completes_a_running_request),
        cmocka_unit_test(server__drain_timeout_cuts_off_a_stuck_request),
        cmocka_unit_test(server__per_ip_connection_limit_answers_extra_connections_429),
        cmocka_unit_test(server__start_refuses_bad_config_and_route_tables),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
