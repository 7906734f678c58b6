/*
 * openapi.c - build the OpenAPI 3.1 JSON document from the route table.
 */
#include "http/openapi.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "http/validate.h"

static json_t *error_schema(void)
{
    return json_pack(
        "{s:s, s:[s], s:{s:{s:s, s:[s,s,s,s], s:{s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s, s:{s:s, "
        "s:{s:{s:s}, s:{s:s}}}}}}}}",
        "type", "object", "required", "error", "properties", "error", "type", "object",
        "required", "code", "message", "request_id", "details", "properties", "code", "type",
        "string", "message", "type", "string", "request_id", "type", "string", "details", "type",
        "array", "items", "type", "object", "properties", "field", "type", "string", "problem",
        "type", "string");
}

static json_t *path_params(const char *pattern)
{
    json_t *arr = json_array();
    const char *p = pattern;
    while (arr && (p = strchr(p, '{')) != NULL) {
        const char *end = strchr(p, '}');
        if (!end)
            break;
        size_t nl = (size_t)(end - p - 1);
        if (nl > 0 && p[nl] == '*') /* a rest parameter "{path*}" is documented as {path} */
            nl--;
        json_t *name = json_stringn(p + 1, nl);
        json_array_append_new(arr, json_pack("{s:o, s:s, s:b, s:{s:s}}", "name", name, "in",
                                             "path", "required", 1, "schema", "type", "string"));
        p = end + 1;
    }
    return arr;
}

static const char *status_text(int status)
{
    switch (status) {
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 302:
        return "Found";
    default:
        return "OK";
    }
}

static json_t *operation(const struct http_route *r, const struct http_route_doc *d,
                         json_t *schemas)
{
    int status = d && d->status ? d->status : 200;
    char code[8];
    snprintf(code, sizeof code, "%d", status);
    json_t *op = json_pack("{s:s, s:s, s:{s:{s:s}, s:{s:s}}}", "operationId", r->name, "summary",
                           r->summary ? r->summary : "", "responses", code, "description",
                           status_text(status), "default", "$ref",
                           "#/components/responses/Error");
    if (!op)
        return NULL;
    json_t *params = path_params(r->pattern);
    if (json_array_size(params) > 0)
        json_object_set(op, "parameters", params);
    json_decref(params);
    if (r->auth == HTTP_AUTH_REQUIRED)
        json_object_set_new(op, "security", json_pack("[{s:[]}]", "bearerAuth"));
    if (r->auth == HTTP_AUTH_KEY) { /* either way of presenting the key, with the scope needed */
        const char *sc = d && d->scope ? d->scope : "";
        json_object_set_new(op, "security",
                            json_pack("[{s:[s]}, {s:[s]}]", "partnerKey", sc, "partnerKeyHeader",
                                      sc));
        json_object_set_new(op, "x-required-scope", json_string(sc));
    }
    json_t *ok = json_object_get(json_object_get(op, "responses"), code);
    if (d && d->media_type && ok) { /* another media type: a text sample, or binary bytes */
        json_t *media = d->example ? json_pack("{s:{s:s}, s:s}", "schema", "type", "string",
                                               "example", d->example)
                                   : json_pack("{s:{s:s, s:s}}", "schema", "type", "string",
                                               "format", "binary");
        json_object_set_new(ok, "content", json_pack("{s:o}", d->media_type, media));
    } else if (d && d->example && ok) {
        json_t *ex = json_loads(d->example, 0, NULL);
        if (ex)
            json_object_set_new(ok, "content",
                                json_pack("{s:{s:o}}", "application/json", "example", ex));
    }
    if (d && d->no_example)
        json_object_set_new(op, "x-no-example", json_string(d->no_example));
    if (r->body == HTTP_BODY_JSON) {
        json_t *schema;
        if (r->schema && r->schema->name) {
            if (!json_object_get(schemas, r->schema->name))
                json_object_set_new(schemas, r->schema->name, validate_to_json_schema(r->schema));
            char ref[160];
            snprintf(ref, sizeof ref, "#/components/schemas/%s", r->schema->name);
            schema = json_pack("{s:s}", "$ref", ref);
        } else if (r->schema) {
            schema = validate_to_json_schema(r->schema);
        } else {
            schema = json_pack("{s:s}", "type", "object");
        }
        json_t *rb = json_pack("{s:b, s:{s:{s:o}}}", "required", 1, "content",
                               "application/json", "schema", schema);
        json_t *ex = d && d->request_example ? json_loads(d->request_example, 0, NULL) : NULL;
        if (rb && ex)
            json_object_set_new(json_object_get(json_object_get(rb, "content"),
                                                "application/json"),
                                "example", ex);
        else
            json_decref(ex);
        json_object_set_new(op, "requestBody", rb);
    } else if (r->body == HTTP_BODY_STREAM) {
        /* streamed, never parsed by the HTTP layer; a doc row with a request example says the
         * bytes are JSON (e.g. a signed webhook whose signature covers the raw body) */
        json_t *ex = d && d->request_example ? json_loads(d->request_example, 0, NULL) : NULL;
        json_t *content =
            ex ? json_pack("{s:{s:{s:s}, s:o}}", "application/json", "schema", "type", "object",
                           "example", ex)
               : json_pack("{s:{s:{s:s, s:s}}}", "application/octet-stream", "schema", "type",
                           "string", "format", "binary");
        json_object_set_new(op, "requestBody",
                            json_pack("{s:b, s:o}", "required", 1, "content", content));
    }
    return op;
}

const struct http_route_doc *http_route_doc_find(const struct http_route_doc *docs, size_t n,
                                                 const char *name)
{
    for (size_t i = 0; docs && name && i < n; i++)
        if (docs[i].name && strcmp(docs[i].name, name) == 0)
            return &docs[i];
    return NULL;
}

json_t *openapi_build(const struct http_route *routes, size_t n, const char *title,
                      const char *version)
{
    return openapi_build_docs(routes, n, NULL, 0, title, version);
}

json_t *openapi_build_docs(const struct http_route *routes, size_t n,
                           const struct http_route_doc *docs, size_t n_docs, const char *title,
                           const char *version)
{
    json_t *paths = json_object(), *schemas = json_object();
    json_t *doc = NULL;
    if (!paths || !schemas)
        goto out;
    json_object_set_new(schemas, "Error", error_schema());
    for (size_t i = 0; i < n; i++) {
        const struct http_route *r = &routes[i];
        char key[ROUTER_MAX_PATH];
        size_t kl = 0;
        for (const char *c = r->pattern; *c && kl + 1 < sizeof key; c++)
            if (!(c[0] == '*' && c[1] == '}')) /* OpenAPI paths have no rest parameters */
                key[kl++] = *c;
        key[kl] = '\0';
        json_t *item = json_object_get(paths, key);
        if (!item) {
            item = json_object();
            json_object_set_new(paths, key, item);
        }
        char m[16];
        const char *name = http_method_name(r->method);
        size_t k = 0;
        for (; name[k] && k + 1 < sizeof m; k++)
            m[k] = (char)tolower((unsigned char)name[k]);
        m[k] = '\0';
        json_t *op = operation(r, http_route_doc_find(docs, n_docs, r->name), schemas);
        if (!op)
            goto out;
        json_object_set_new(item, m, op);
    }
    doc = json_pack("{s:s, s:{s:s, s:s}, s:O, s:{s:O, s:{s:{s:s, s:{s:{s:{s:s}}}}}, "
                    "s:{s:{s:s, s:s, s:s}, s:{s:s, s:s, s:s, s:s}, s:{s:s, s:s, s:s, s:s}}}}",
                    "openapi", "3.1.0", "info", "title", title ? title : "RepRight API",
                    "version", version ? version : "0", "paths", paths, "components", "schemas",
                    schemas, "responses", "Error", "description",
                    "error (the one error format)", "content", "application/json", "schema",
                    "$ref", "#/components/schemas/Error", "securitySchemes", "bearerAuth",
                    "type", "http", "scheme", "bearer", "bearerFormat", "JWT", "partnerKey",
                    "type", "http", "scheme", "bearer", "bearerFormat", "rr_live API key",
                    "description", "a partner API key as Authorization: Bearer rr_live_...",
                    "partnerKeyHeader", "type", "apiKey", "in", "header", "name", "X-API-Key",
                    "description", "the same key in the X-API-Key header");
out:
    json_decref(paths);
    json_decref(schemas);
    return doc;
}
