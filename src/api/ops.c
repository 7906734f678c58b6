/*
 * ops.c - operations routes besides the HTTP layer's built-ins (/healthz, /metrics,
 * /openapi.json): GET /readyz (can this instance serve: store reachable, its schema at the
 * version this binary carries, and at least cfg.ready_min_free_bytes of free disk space) and
 * GET /docs (a small HTML page over /openapi.json).
 */
#include "api/api.h"

#include "base/rr_error.h"
#include "base/rr_json.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>

static int ops_readyz(struct http_request *req, void *app)
{
    struct app *a = app;
    int version = 0;
    int known = store_schema_known();
    int err = store_schema_version(a->store, &version);
    if (err < 0)
        return http_reply_error(req, 503, "not_ready", "the database is not reachable", NULL);
    if (version != known)
        return http_reply_error(req, 503, "not_ready", "database migrations are not current",
                                NULL);
    int64_t free_bytes = -1;
    if (app_storage_free(a, &free_bytes) < 0)
        return http_reply_error(req, 503, "not_ready", "free disk space cannot be read", NULL);
    if (free_bytes < (int64_t)a->cfg.ready_min_free_bytes) {
        char msg[160];
        snprintf(msg, sizeof msg, "the disk is nearly full: %lld bytes free, %llu needed",
                 (long long)free_bytes, (unsigned long long)a->cfg.ready_min_free_bytes);
        return http_reply_error(req, 503, "not_ready", msg, NULL);
    }
    char buf[256];
    struct rr_json j;
    rr_json_init(&j, buf, sizeof buf, 4096);
    rr_json_object_begin(&j);
    rr_json_key(&j, "status");
    rr_json_string(&j, "ready");
    rr_json_key(&j, "schema_version");
    rr_json_int(&j, version);
    rr_json_key(&j, "store");
    rr_json_string(&j, store_backend_name(a->store));
    rr_json_key(&j, "free_bytes");
    rr_json_int(&j, free_bytes);
    rr_json_object_end(&j);
    err = rr_json_finish(&j);
    if (!err)
        err = http_reply_bytes(req, 200, rr_json_data(&j), rr_json_len(&j), "application/json");
    rr_json_release(&j);
    return err;
}

/* Static page: the operation list is rendered client-side from /openapi.json, so it can never
 * disagree with the route table. Text is inserted with textContent only (no HTML injection). */
static const char ops_docs_html[] =
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    "<title>RepRight API</title>\n"
    "<style>body{font:15px/1.4 system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em}"
    "code{background:#f3f3f3;padding:0 .3em}li{margin:.3em 0}.m{font-weight:bold;display:inline-"
    "block;width:5em}.lock{color:#a60}</style></head>\n<body>\n<h1>RepRight API</h1>\n"
    "<p>The machine-readable description is <a href=\"/openapi.json\">/openapi.json</a> "
    "(OpenAPI 3.1). Authenticated operations take <code>Authorization: Bearer &lt;access "
    "token&gt;</code> from <code>POST /v1/auth/login</code>. Errors always have the shape "
    "<code>{\"error\":{\"code\",\"message\",\"request_id\",\"details\"}}</code>.</p>\n"
    "<ul id=\"ops\"><li>loading /openapi.json ...</li></ul>\n<script>\n"
    "fetch('/openapi.json').then(r=>r.json()).then(doc=>{\n"
    " const ul=document.getElementById('ops');ul.textContent='';\n"
    " for(const [path,item] of Object.entries(doc.paths||{})){\n"
    "  for(const [method,op] of Object.entries(item)){\n"
    "   if(typeof op!=='object'||!op.operationId)continue;\n"
    "   const li=document.createElement('li');\n"
    "   const m=document.createElement('span');m.className='m';m.textContent=method.toUpperCase();\n"
    "   const c=document.createElement('code');c.textContent=path;\n"
    "   li.append(m,c,' \\u2014 '+(op.summary||''));\n"
    "   if(op.security){const s=document.createElement('span');s.className='lock';"
    "s.textContent=' (auth)';li.append(s);}\n"
    "   ul.append(li);\n  }\n }\n}).catch(e=>{document.getElementById('ops').textContent="
    "'could not load /openapi.json: '+e;});\n</script>\n</body></html>\n";

static int ops_docs(struct http_request *req, void *app)
{
    (void)app;
    return http_reply_bytes(req, 200, ops_docs_html, sizeof ops_docs_html - 1,
                            "text/html; charset=utf-8");
}

const struct http_route api_ops_routes[] = {
    {HTTP_GET, "/readyz", ops_readyz, HTTP_AUTH_NONE, HTTP_BODY_NONE, "readyz",
     "readiness: database reachable, migrations current, enough free disk space", NULL, NULL},
    {HTTP_GET, "/docs", ops_docs, HTTP_AUTH_NONE, HTTP_BODY_NONE, "docs",
     "human-readable API overview", NULL, NULL},
};
const size_t api_ops_routes_n = sizeof api_ops_routes / sizeof api_ops_routes[0];
