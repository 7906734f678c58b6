/*
 * test_webhooks_api.c - the partner webhook routes over a real HTTP server (libmicrohttpd) on
 * loopback, with a test authenticate hook standing in for partner keys (X-Test-Org header ->
 * principal org_id): create (201, the secret once; 422 for an internal URL or an unknown type),
 * list without secrets, 403 without an organisation, another organisation's ids answer 404,
 * test event (202), the delivery log (paged JSON), redelivery of a pending delivery (409),
 * delete (204).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "base/rr_error.h"
#include "http/request.h"
#include "http/server.h"
#include "support/httpc.h"

#define ORG "0123456789abcdef0123456789abcdef"
#define ORG2 "fedcba9876543210fedcba9876543210"

struct fx {
    char dir[64];
    struct app *a;
    struct http_server *http;
    uint16_t port;
};

static int test_auth(struct http_request *req, void *app)
{
    (void)app;
    const char *org = http_request_header(req, "X-Test-Org");
    struct api_principal *p = http_request_alloc(req, sizeof *p);
    if (!p)
        return RR_ERR_NOMEM;
    memset(p, 0, sizeof *p);
    memcpy(p->user_id, "00000000000000000000000000000000", 33);
    if (org && strlen(org) == 32)
        memcpy(p->org_id, org, 33);
    http_request_set_principal(req, p, NULL);
    return 0;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/rr-hooks-api-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char arg[128], msg[256];
    snprintf(arg, sizeof arg, "--data-dir=%s", f->dir);
    char *argv[] = {"serve", arg, "--webhook-allow-http-loopback=1", NULL};
    struct app_config c;
    assert_int_equal(app_config_load(&c, APP_CMD_SERVE, 3, argv, msg, sizeof msg), 0);
    assert_int_equal(app_open(&c, &f->a, msg, sizeof msg), 0);
    struct http_config hc;
    api_http_config(&f->a->cfg, &hc);
    hc.port = 0;
    hc.threads = 2;
    hc.access_log_sample = 0;
    hc.authenticate = test_auth;
    assert_int_equal(http_server_start(&hc, api_webhooks_routes, api_webhooks_routes_n, f->a,
                                       &f->http, msg, sizeof msg),
                     0);
    f->port = http_server_port(f->http);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    http_server_stop(f->http);
    app_close(f->a);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", f->dir);
    free(f);
    return 0;
}

/* One request as org (NULL: none); the body parsed (NULL when empty); returns the status. */
static int call(struct fx *f, const char *method, const char *path, const char *org,
                const char *body, json_t **out)
{
    char headers[128] = "";
    if (org)
        snprintf(headers, sizeof headers, "X-Test-Org: %s\r\n", org);
    if (body)
        snprintf(headers + strlen(headers), sizeof headers - strlen(headers),
                 "Content-Type: application/json\r\n");
    struct httpc_resp r;
    assert_int_equal(httpc_request(f->port, method, path, headers, body, body ? strlen(body) : 0,
                                   &r),
                     0);
    int status = r.status;
    if (out)
        *out = r.body_len ? json_loadb(r.body, r.body_len, 0, NULL) : NULL;
    httpc_resp_free(&r);
    return status;
}

static void hooks_api__endpoints_log_and_scoping(void **state)
{
    struct fx *f = *state;
    json_t *j = NULL;
    /* no organisation */
    assert_int_equal(call(f, "GET", "/v1/partner/webhooks", NULL, NULL, &j), 403);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "error"), "code")),
                        "partner_key_required");
    json_decref(j);
    /* refused URLs and types: 422 naming the field */
    assert_int_equal(call(f, "POST", "/v1/partner/webhooks", ORG,
                          "{\"url\":\"https://169.254.169.254/x\",\"event_types\":"
                          "[\"workout.synced\"]}",
                          &j),
                     422);
    json_t *d0 = json_array_get(json_object_get(json_object_get(j, "error"), "details"), 0);
    assert_string_equal(json_string_value(json_object_get(d0, "field")), "url");
    assert_non_null(strstr(json_string_value(json_object_get(d0, "problem")), "link-local"));
    json_decref(j);
    assert_int_equal(call(f, "POST", "/v1/partner/webhooks", ORG,
                          "{\"url\":\"http://127.0.0.1:9/h\",\"event_types\":[\"x.y\"]}", NULL),
                     422);
    assert_int_equal(call(f, "POST", "/v1/partner/webhooks", ORG,
                          "{\"url\":\"http://127.0.0.1:9/h\",\"event_types\":[]}", NULL),
                     422);
    assert_int_equal(call(f, "POST", "/v1/partner/webhooks", ORG,
                          "{\"url\":\"http://127.0.0.1:9/h\",\"event_types\":[\"workout.synced\"],"
                          "\"enabled\":false}",
                          NULL),
                     400); /* unknown field */
    /* create: the secret once */
    assert_int_equal(call(f, "POST", "/v1/partner/webhooks", ORG,
                          "{\"url\":\"http://127.0.0.1:9/h\",\"event_types\":"
                          "[\"workout.synced\",\"member.linked\"]}",
                          &j),
                     201);
    char id[33], path[160];
    snprintf(id, sizeof id, "%s", json_string_value(json_object_get(j, "id")));
    assert_int_equal(strncmp(json_string_value(json_object_get(j, "secret")), "whsec_", 6), 0);
    assert_int_equal(json_array_size(json_object_get(j, "event_types")), 2);
    assert_true(json_is_true(json_object_get(j, "enabled")));
    json_decref(j);
    assert_int_equal(call(f, "GET", "/v1/partner/webhooks", ORG, NULL, &j), 200);
    json_t *items = json_object_get(j, "items");
    assert_int_equal(json_array_size(items), 1);
    assert_null(json_object_get(json_array_get(items, 0), "secret"));
    json_decref(j);
    assert_int_equal(call(f, "GET", "/v1/partner/webhooks", ORG2, NULL, &j), 200);
    assert_int_equal(json_array_size(json_object_get(j, "items")), 0);
    json_decref(j);
    /* test event: 202, then the log shows it pending (no worker runs here) */
    snprintf(path, sizeof path, "/v1/partner/webhooks/%s/test", id);
    assert_int_equal(call(f, "POST", path, ORG2, NULL, NULL), 404);
    assert_int_equal(call(f, "POST", path, ORG, NULL, &j), 202);
    assert_int_equal(strncmp(json_string_value(json_object_get(j, "event_id")), "evt_", 4), 0);
    json_decref(j);
    assert_int_equal(call(f, "GET", "/v1/partner/webhook-deliveries?limit=1", ORG, NULL, &j), 200);
    items = json_object_get(j, "items");
    assert_int_equal(json_array_size(items), 1);
    json_t *d = json_array_get(items, 0);
    assert_string_equal(json_string_value(json_object_get(d, "status")), "pending");
    assert_string_equal(json_string_value(json_object_get(d, "event_type")), "webhook.test");
    assert_true(json_is_null(json_object_get(d, "last_status")));
    assert_true(json_is_null(json_object_get(j, "next_cursor")));
    char did[33];
    snprintf(did, sizeof did, "%s", json_string_value(json_object_get(d, "id")));
    json_decref(j);
    assert_int_equal(call(f, "GET", "/v1/partner/webhook-deliveries", ORG2, NULL, &j), 200);
    assert_int_equal(json_array_size(json_object_get(j, "items")), 0);
    json_decref(j);
    assert_int_equal(call(f, "GET", "/v1/partner/webhook-deliveries?cursor=zzz", ORG, NULL, NULL),
                     422);
    /* redelivery of a pending delivery: 409; another org: 404 */
    snprintf(path, sizeof path, "/v1/partner/webhook-deliveries/%s/redeliver", did);
    assert_int_equal(call(f, "POST", path, ORG, NULL, NULL), 409);
    assert_int_equal(call(f, "POST", path, ORG2, NULL, NULL), 404);
    /* delete: another org 404, the owner 204, then 404 */
    snprintf(path, sizeof path, "/v1/partner/webhooks/%s", id);
    assert_int_equal(call(f, "DELETE", path, ORG2, NULL, NULL), 404);
    assert_int_equal(call(f, "DELETE", path, ORG, NULL, NULL), 204);
    assert_int_equal(call(f, "DELETE", path, ORG, NULL, NULL), 404);
    assert_int_equal(call(f, "GET", "/v1/partner/webhook-deliveries", ORG, NULL, &j), 200);
    assert_int_equal(json_array_size(json_object_get(j, "items")), 0);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(hooks_api__endpoints_log_and_scoping, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
