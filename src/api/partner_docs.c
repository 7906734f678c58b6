/*
 * partner_docs.c - what the partner, consent and console routes add to their rows
 * (struct http_route_doc): the API key scope of each /v1/partner route (partner_auth.c reads it;
 * a partner route without one is refused, fail closed), OpenAPI examples and success statuses.
 */
#include "api/api.h"

#define ORG "\"5f0c2d9a41b8e7c3a6d4f1b2c3d4e5f6\""
#define MEMBER "\"9a8b7c6d5e4f30211203948576a6b5c4\""

const struct http_route_doc api_partner_docs[] = {
    {"partner.members", "members:read",
     "{\"items\":[{\"id\":" MEMBER ",\"email\":\"sam@example.com\",\"shares\":[\"profile\","
     "\"workouts\",\"analytics\"],\"linked_at\":\"2026-11-02T09:15:00.000Z\"}],"
     "\"next_cursor\":null}",
     NULL, 0, NULL, NULL},
    {"partner.member_workouts", "workouts:read",
     "{\"items\":[{\"id\":\"0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e\",\"exercise\":\"squat\","
     "\"started_at\":\"2026-11-03T18:00:00.000Z\",\"duration_ms\":42000,\"score\":81.5,"
     "\"reps\":10,\"reps_good\":8,\"reps_bad\":2}],\"next_cursor\":null}",
     NULL, 0, NULL, NULL},
    {"partner.member_analytics", "analytics:read",
     "{\"from\":\"2026-11-01\",\"to\":\"2026-11-28\",\"days\":[{\"day\":\"2026-11-03\","
     "\"exercise\":\"squat\",\"sessions\":1,\"reps\":10,\"volume\":600.0,\"mean_score\":81.5}]}",
     NULL, 0, NULL, NULL},
    {"partner.aggregates", "analytics:read",
     "{\"from\":\"2026-11-01\",\"to\":\"2026-11-28\",\"exercises\":[{\"exercise\":\"squat\","
     "\"members\":12,\"sessions\":40,\"reps\":410,\"volume\":24600.0,\"mean_score\":77.2}]}",
     NULL, 0, NULL, NULL},
    {"me.partners.link", NULL,
     "{\"org_id\":" ORG ",\"org_name\":\"Iron Gym\",\"shares\":[\"profile\",\"workouts\"],"
     "\"linked_at\":\"2026-11-02T09:15:00.000Z\"}",
     "{\"code\":\"rrinv_K7Q2M4XZP3W5R6T2Y7U3I4O5AB\",\"shares\":[\"profile\",\"workouts\"]}",
     201, NULL, NULL},
    {"me.partners.list", NULL,
     "{\"items\":[{\"org_id\":" ORG ",\"org_name\":\"Iron Gym\",\"shares\":[\"profile\","
     "\"workouts\",\"analytics\"],\"linked_at\":\"2026-11-02T09:15:00.000Z\"}]}",
     NULL, 0, NULL, NULL},
    {"orgs.list", NULL,
     "{\"items\":[{\"id\":" ORG ",\"name\":\"Iron Gym\",\"created_at\":"
     "\"2026-10-01T08:00:00.000Z\"}]}",
     NULL, 0, NULL, NULL},
    {"orgs.keys.list", NULL,
     "{\"items\":[{\"id\":\"c0ffee00c0ffee00c0ffee00c0ffee00\",\"org_id\":" ORG ",\"name\":"
     "\"crm sync\",\"prefix\":\"2aec7ed80438\",\"scopes\":[\"members:read\",\"workouts:read\"],"
     "\"rate_per_min\":120,\"created_at\":\"2026-10-01T08:00:00.000Z\",\"expires_at\":null,"
     "\"revoked_at\":null,\"last_used_at\":\"2026-11-28T07:59:00.000Z\",\"state\":\"active\"}]}",
     NULL, 0, NULL, NULL},
    {"orgs.keys.create", NULL,
     "{\"key\":\"rr_live_2aec7ed80438_97fe7a71dbb09d03e42111bf5842425813bd2c62a9c30d2da1e5eeb3039b"
     "2369\",\"record\":{\"id\":\"c0ffee00c0ffee00c0ffee00c0ffee00\",\"org_id\":" ORG ","
     "\"name\":\"crm sync\",\"prefix\":\"2aec7ed80438\",\"scopes\":[\"members:read\"],"
     "\"rate_per_min\":120,\"created_at\":\"2026-10-01T08:00:00.000Z\",\"expires_at\":"
     "\"2026-12-31T08:00:00.000Z\",\"revoked_at\":null,\"last_used_at\":null,\"state\":"
     "\"active\"}}",
     "{\"name\":\"crm sync\",\"scopes\":[\"members:read\"],\"expires_days\":91}", 201, NULL, NULL},
    {"orgs.members.list", NULL,
     "{\"items\":[{\"id\":" MEMBER ",\"email\":\"sam@example.com\",\"shares\":[\"profile\","
     "\"workouts\"],\"linked_at\":\"2026-11-02T09:15:00.000Z\"}],\"next_cursor\":null}",
     NULL, 0, NULL, NULL},
    {"orgs.invites.list", NULL,
     "{\"items\":[{\"id\":\"1d2c3b4a59687766554433221100ffee\",\"org_id\":" ORG ","
     "\"created_at\":\"2026-11-01T08:00:00.000Z\",\"expires_at\":\"2026-11-08T08:00:00.000Z\","
     "\"used_at\":null,\"state\":\"open\"}]}",
     NULL, 0, NULL, NULL},
    {"orgs.invites.create", NULL,
     "{\"code\":\"rrinv_K7Q2M4XZP3W5R6T2Y7U3I4O5AB\",\"link\":\"/#/partners?code=rrinv_"
     "K7Q2M4XZP3W5R6T2Y7U3I4O5AB\",\"invite\":{\"id\":\"1d2c3b4a59687766554433221100ffee\","
     "\"org_id\":" ORG ",\"created_at\":\"2026-11-01T08:00:00.000Z\",\"expires_at\":"
     "\"2026-11-08T08:00:00.000Z\",\"used_at\":null,\"state\":\"open\"}}",
     "{\"days\":7}", 201, NULL, NULL},
    {.name = "me.partners.unlink", .status = 204,
     .no_example = "204 No Content: consent withdrawn, the org sees nothing more"},
    {.name = "orgs.keys.revoke", .status = 204, .no_example = "204 No Content: the key is revoked"},
};
const size_t api_partner_docs_n = sizeof api_partner_docs / sizeof api_partner_docs[0];
