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

/* An example 200 body for the operation `name` (a route name): JSON text. */
struct openapi_example {
    const char *name;
    const char *json;
};
#define OPENAPI_EXAMPLE_TABLES 16
/* Register a static table of examples (kept by pointer) that openapi_build puts on the 200
 * responses of the operations it names. Call at set-up, before any openapi_build (not
 * thread-safe against it); a table registered twice is kept once; INVAL past
 * OPENAPI_EXAMPLE_TABLES tables. */
int openapi_register_examples(const struct openapi_example *t, size_t n);

json_t *openapi_build(const struct http_route *routes, size_t n, const char *title,
                      const char *version);

#endif
