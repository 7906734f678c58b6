/*
 * cached.c - a cached read answered from the per-user cache (api/api.h api_reply_cached).
 */
#include "api/api.h"

#include <stdlib.h>

#include "app/app.h"
#include "http/request.h"

int api_reply_cached(struct http_request *req, struct app *a, const char *user_id,
                     const char *name, struct app_cache_ticket *ticket, int *served)
{
    char *hit = NULL;
    size_t hit_len = 0;
    *served = 0;
    if (app_cache_get(a, user_id, name, &hit, &hit_len, ticket) != 0)
        return 0;
    *served = 1;
    int rc = http_reply_bytes(req, 200, hit, hit_len, "application/json");
    free(hit);
    return rc;
}
