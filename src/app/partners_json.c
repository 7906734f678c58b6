/*
 * partners_json.c - the partner records as JSON (app/partners.h): one writer, so the API and
 * `repright admin` print the same fields.
 */
#include "app/partners.h"

#include "base/rr_json.h"

static void time_or_null(struct rr_json *j, const char *key, int64_t ms)
{
    rr_json_key(j, key);
    if (ms > 0)
        rr_json_time_ms(j, ms);
    else
        rr_json_null(j);
}

static void bits(struct rr_json *j, unsigned v, const char *(*name)(unsigned))
{
    rr_json_array_begin(j);
    for (unsigned b = 1; b && b <= v; b <<= 1)
        if ((v & b) && name(b))
            rr_json_string(j, name(b));
    rr_json_array_end(j);
}

void app_json_org(struct rr_json *j, const struct store_org *o)
{
    rr_json_object_begin(j);
    RR_JSON_KEY(j, "id");
    rr_json_string(j, o->id);
    RR_JSON_KEY(j, "name");
    rr_json_string(j, o->name);
    time_or_null(j, "created_at", o->created_at);
    rr_json_object_end(j);
}

void app_json_apikey(struct rr_json *j, const struct store_apikey *k, int64_t now)
{
    rr_json_object_begin(j);
    RR_JSON_KEY(j, "id");
    rr_json_string(j, k->id);
    RR_JSON_KEY(j, "org_id");
    rr_json_string(j, k->org_id);
    RR_JSON_KEY(j, "name");
    rr_json_string(j, k->name);
    RR_JSON_KEY(j, "prefix");
    rr_json_string(j, k->prefix);
    RR_JSON_KEY(j, "scopes");
    bits(j, k->scopes, app_scope_name);
    RR_JSON_KEY(j, "rate_per_min");
    rr_json_int(j, k->rate_per_min > 0 ? k->rate_per_min : APP_KEY_RATE_DEFAULT);
    time_or_null(j, "created_at", k->created_at);
    time_or_null(j, "expires_at", k->expires_at);
    time_or_null(j, "revoked_at", k->revoked_at);
    time_or_null(j, "last_used_at", k->last_used_at);
    RR_JSON_KEY(j, "state");
    rr_json_string(j, k->revoked_at                           ? "revoked"
                      : k->expires_at && k->expires_at <= now ? "expired"
                                                              : "active");
    rr_json_object_end(j);
}

void app_json_invite(struct rr_json *j, const struct store_invite *v, int64_t now)
{
    rr_json_object_begin(j);
    RR_JSON_KEY(j, "id");
    rr_json_string(j, v->id);
    RR_JSON_KEY(j, "org_id");
    rr_json_string(j, v->org_id);
    time_or_null(j, "created_at", v->created_at);
    time_or_null(j, "expires_at", v->expires_at);
    time_or_null(j, "used_at", v->used_at);
    RR_JSON_KEY(j, "state");
    rr_json_string(j, v->used_at ? "used" : v->expires_at <= now ? "expired" : "open");
    rr_json_object_end(j);
}

void app_json_member(struct rr_json *j, const struct store_org_member *m, int for_member)
{
    rr_json_object_begin(j);
    if (for_member) {
        RR_JSON_KEY(j, "org_id");
        rr_json_string(j, m->org_id);
        RR_JSON_KEY(j, "org_name");
        rr_json_string(j, m->org_name);
    } else {
        RR_JSON_KEY(j, "id");
        rr_json_string(j, m->user_id);
        if (m->shares & APP_SCOPE_MEMBERS_READ) {
            RR_JSON_KEY(j, "email");
            rr_json_string(j, m->email);
        }
    }
    RR_JSON_KEY(j, "shares");
    bits(j, m->shares, app_share_name);
    time_or_null(j, "linked_at", m->created_at);
    rr_json_object_end(j);
}
