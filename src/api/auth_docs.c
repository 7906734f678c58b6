/*
 * auth_docs.c - OpenAPI examples of the account routes (auth.c): register, login, refresh,
 * logout, GET /v1/me, the password change and DELETE /v1/me, with the request bodies the schemas accept and
 * the answers the handlers write (tests/api/test_openapi_examples.py compares the keys).
 */
#include "api/api.h"

#define USER_ID "\"d61efe85219576ec0093986f053fc5ef\""
#define ME                                                                                         \
    "{\"id\":" USER_ID ",\"email\":\"sam@example.com\",\"role\":\"user\",\"created_at\":"          \
    "1796565279556,\"plan\":\"free\"}"
#define TOKENS                                                                                     \
    "{\"access_token\":\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJyZXByaWdodCIsInN1YiI6Im"  \
    "Q2MWVmZTg1MjE5NTc2ZWMwMDkzOTg2ZjA1M2ZjNWVmIiwidHlwIjoiYWNjZXNzIn0.ShYC7Owaevn7bhW3jgqAuVQ8L" \
    "RImkMIaGUkxwu_SBao\",\"token_type\":\"Bearer\",\"expires_in\":900,\"refresh_token\":"        \
    "\"S6P7P8eN6aFKW7QpjrCrzwpP_enRGrCe6PLwTqqB3R0\",\"refresh_expires_in\":2592000,"            \
    "\"user_id\":" USER_ID "}"
#define CREDENTIALS "{\"email\":\"sam@example.com\",\"password\":\"correct horse battery staple\"}"
#define REFRESH "{\"refresh_token\":\"S6P7P8eN6aFKW7QpjrCrzwpP_enRGrCe6PLwTqqB3R0\"}"

const struct http_route_doc api_auth_docs[] = {
    {.name = "auth.register", .status = 201, .example = ME, .request_example = CREDENTIALS},
    {.name = "auth.login", .example = TOKENS, .request_example = CREDENTIALS},
    {.name = "auth.refresh", .example = TOKENS, .request_example = REFRESH},
    {.name = "auth.logout", .status = 204, .request_example = REFRESH,
     .no_example = "204 No Content: the refresh token is revoked, nothing to return"},
    {.name = "me.get", .example = ME},
    {.name = "me.password", .status = 204,
     .request_example = "{\"current_password\":\"correct horse battery staple\","
                        "\"new_password\":\"a longer and newer passphrase\"}",
     .no_example = "204 No Content: the password is changed and other sessions revoked"},
    {.name = "me.delete", .status = 204,
     .request_example = "{\"password\":\"correct horse battery staple\"}",
     .no_example = "204 No Content: the account, its videos (and every file derived from them), "
                   "workouts, sessions and consents are deleted; linked orgs hear member.unlinked"},
};
const size_t api_auth_docs_n = sizeof api_auth_docs / sizeof api_auth_docs[0];
