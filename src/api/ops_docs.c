/*
 * ops_docs.c - OpenAPI examples of the operations routes: the HTTP layer's built-ins (/healthz,
 * /metrics, /openapi.json; http/server.c), /readyz and /docs (ops.c) and the web app's static
 * files (web.c). Text answers get a sample of their own media type.
 */
#include "api/api.h"

const struct http_route_doc api_ops_docs[] = {
    {.name = "healthz", .example = "{\"status\":\"ok\"}"},
    {.name = "metrics", .media_type = "text/plain; version=0.0.4",
     .example = "# HELP http_requests_in_flight requests being handled now\n"
                "# TYPE http_requests_in_flight gauge\n"
                "http_requests_in_flight 1\n"
                "# HELP http_requests_total HTTP requests by route and status class\n"
                "# TYPE http_requests_total counter\n"
                "http_requests_total{route=\"me.get\",method=\"GET\",class=\"2xx\"} 42\n"},
    {.name = "openapi",
     .example = "{\"openapi\":\"3.1.0\",\"info\":{\"title\":\"RepRight API\",\"version\":"
                "\"1\"},\"paths\":{\"/healthz\":{\"get\":{\"operationId\":\"healthz\","
                "\"summary\":\"liveness: 200 while the process serves\"}}},\"components\":{}}"},
    {.name = "readyz",
     .example = "{\"status\":\"ready\",\"schema_version\":10,\"store\":\"sqlite\","
                "\"free_bytes\":77986181120}"},
    {.name = "docs", .media_type = "text/html",
     .example = "<!doctype html>\n<html><head><title>RepRight API</title></head><body>\n"
                "<p>The machine-readable description is <a href=\"/openapi.json\">"
                "/openapi.json</a></p>\n<ul id=\"ops\"></ul>\n</body></html>\n"},
    {.name = "web.static", .media_type = "text/html",
     .example = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                "<title>RepRight</title></head><body><div id=\"app\"></div></body></html>\n"},
};
const size_t api_ops_docs_n = sizeof api_ops_docs / sizeof api_ops_docs[0];
