/*
 * openapi.h - the OpenAPI 3.1 document for a route table (served as GET /openapi.json).
 *
 * Generated, never hand-written, so it cannot drift from the routes: one path item per pattern,
 * one operation per route (operationId = route name, summary), path parameters from the
 * pattern's {names}, `security: bearerAuth` on HTTP_AUTH_REQUIRED routes, a request body from
 * the route's validate schema (components/schemas/<schema name>) or application/octet-stream
 * for stream routes, and the one error format as the default response.
 * Ownership: returns a new reference (NULL on out of memory); routes are only read.
 * Thread-safety: pure.
 */
#ifndef RR_HTTP_OPENAPI_H
#define RR_HTTP_OPENAPI_H

#include <jansson.h>
#include <stddef.h>

#include "http/router.h"

json_t *openapi_build(const struct http_route *routes, size_t n, const char *title,
                      const char *version);
/* The same with the routes' doc rows (may be NULL): HTTP_AUTH_KEY routes get `security` with
 * partnerKey / partnerKeyHeader and their scope (also as x-required-scope), and examples of the
 * success body and the request body where a row gives them. */
json_t *openapi_build_docs(const struct http_route *routes, size_t n,
                           const struct http_route_doc *docs, size_t n_docs, const char *title,
                           const char *version);

#endif
