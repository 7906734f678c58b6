/*
 * exercises.c - GET /v1/exercises: the exercises RepRight knows, read from the analysis
 * registry (app_exercises), so the web app and partners never keep a copy of the list.
 * Public (no account needed: the live page asks before login) and cacheable for an hour.
 */
#include "api/api.h"
#include "api/paging.h"

#include "base/rr_error.h"
#include "base/rr_json.h"

static int exercises_list(struct http_request *req, void *app)
{
    (void)app;
    size_t n = 0;
    const char *const *names = app_exercises(&n);
    char buf[1024];
    struct rr_json o;
    rr_json_init(&o, buf, sizeof buf, 64 * 1024);
    api_list_begin(&o);
    for (size_t i = 0; i < n; i++) {
        rr_json_object_begin(&o);
        RR_JSON_KEY(&o, "name");
        rr_json_string(&o, names[i]);
        rr_json_object_end(&o);
    }
    api_list_end(&o);
    int err = rr_json_error(&o);
    if (!err)
        err = http_reply_bytes(req, 200, rr_json_data(&o), rr_json_len(&o), "application/json");
    if (!err)
        err = http_reply_header(req, "Cache-Control", "public, max-age=3600");
    rr_json_release(&o);
    return err;
}

const struct http_route api_exercises_routes[] = {
    {HTTP_GET, "/v1/exercises", exercises_list, HTTP_AUTH_NONE, HTTP_BODY_NONE, "exercises.list",
     "the exercises the analysis knows (registry order): {items: [{name}]}", NULL, NULL},
};
const size_t api_exercises_routes_n = sizeof api_exercises_routes / sizeof api_exercises_routes[0];
