/*
 * webhook_docs.c - what the webhook routes (webhooks.c) add to their rows (struct
 * http_route_doc): the API key scope of each /v1/partner route (webhooks:write; partner_auth.c
 * refuses a partner route without one) and the OpenAPI examples of the partner and console
 * routes, with their success statuses. DELETE (204) and redeliver (202) answer without a body
 * (x-no-example says so).
 */
#include "api/api.h"

#define HOOK_ID "\"3e1f5a7c9b2d4f6a8c0e1d3b5f7a9c2e\""

#define ENDPOINT                                                                                   \
    "{\"id\":" HOOK_ID ",\"url\":\"https://hooks.example.com/repright\",\"event_types\":"          \
    "[\"analysis.completed\",\"member.linked\"],\"enabled\":true,\"created_at\":"                  \
    "\"2026-11-02T09:15:00.000Z\""
#define CREATED ENDPOINT ",\"secret\":\"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"}"
#define LIST "{\"items\":[" ENDPOINT "}]}"
#define CREATE_REQ                                                                                 \
    "{\"url\":\"https://hooks.example.com/repright\",\"event_types\":[\"analysis.completed\","     \
    "\"member.linked\"]}"
#define TEST "{\"event_id\":\"evt_8d1f0c2b3a4e5d6c7b8a9f0e1d2c3b4a\"}"
#define DELIVERIES                                                                                 \
    "{\"items\":[{\"id\":\"7a6b5c4d3e2f10293847566574839201\",\"endpoint_id\":" HOOK_ID ","        \
    "\"event_id\":\"evt_8d1f0c2b3a4e5d6c7b8a9f0e1d2c3b4a\",\"event_type\":"                        \
    "\"analysis.completed\",\"member_id\":\"9a8b7c6d5e4f30211203948576a6b5c4\",\"status\":"        \
    "\"pending\",\"attempts\":2,\"last_status\":503,\"last_error\":\"HTTP 503\","                  \
    "\"next_attempt_at\":\"2026-11-02T09:16:10.000Z\",\"created_at\":"                             \
    "\"2026-11-02T09:15:30.000Z\",\"delivered_at\":null}],\"next_cursor\":null}"

#define GONE "204 No Content: the endpoint and its delivery log are deleted"
#define AGAIN "202 Accepted without a body: the delivery is queued again (same webhook-id)"

const struct http_route_doc api_webhooks_docs[] = {
    {.name = "webhooks.create", .scope = "webhooks:write", .status = 201, .example = CREATED,
     .request_example = CREATE_REQ},
    {.name = "webhooks.list", .scope = "webhooks:write", .example = LIST},
    {.name = "webhooks.delete", .scope = "webhooks:write", .status = 204, .no_example = GONE},
    {.name = "webhooks.test", .scope = "webhooks:write", .status = 202, .example = TEST},
    {.name = "webhooks.deliveries", .scope = "webhooks:write", .example = DELIVERIES},
    {.name = "webhooks.redeliver", .scope = "webhooks:write", .status = 202, .no_example = AGAIN},
    {.name = "orgs.webhooks.create", .status = 201, .example = CREATED,
     .request_example = CREATE_REQ},
    {.name = "orgs.webhooks.list", .example = LIST},
    {.name = "orgs.webhooks.delete", .status = 204, .no_example = GONE},
    {.name = "orgs.webhooks.test", .status = 202, .example = TEST},
    {.name = "orgs.webhooks.deliveries", .example = DELIVERIES},
    {.name = "orgs.webhooks.redeliver", .status = 202, .no_example = AGAIN},
};
const size_t api_webhooks_docs_n = sizeof api_webhooks_docs / sizeof api_webhooks_docs[0];
