"""The partner API (issue 13, docs/internals/partners.md): API keys (Bearer or X-API-Key; wrong,
revoked and expired keys are one 401), consent (link with a one-time code, list, revoke: the next
partner request already sees nothing), no existence leak (an unknown, non-consenting or
non-sharing member id is the same 404 body), per-key rate limits (RateLimit headers, 429 with
Retry-After), the console routes for org admins, and last-use bookkeeping."""
import time

from conftest import RELAXED_ENV, new_user
from partner_support import (admin, admin_json, invite, key_headers, link, linked_member,
                             new_key, new_org, sync_workout)


def err_body(r):
    e = r.json()["error"]
    return (r.status_code, e["code"], e["message"], str(e.get("details")))


def test_key_is_required_and_every_bad_key_is_one_401(server, user):
    org = new_org(server)
    k = new_key(server, org)
    good = k["key"]
    assert server.get("/v1/partner/members").status_code == 401
    # a user's session token is not a partner key
    assert user.get("/v1/partner/members").status_code == 401
    assert server.get("/v1/partner/members", headers=key_headers(good)).status_code == 200
    assert server.get("/v1/partner/members", headers={"X-API-Key": good}).status_code == 200
    wrong_secret = good[:-4] + ("0000" if good[-4:] != "0000" else "1111")
    unknown_prefix = "rr_live_000000000000_" + good[21:]
    bodies = set()
    for bad in (wrong_secret, unknown_prefix, "rr_live_x", "x" * 2000, good.upper()):
        r = server.get("/v1/partner/members", headers=key_headers(bad))
        assert r.status_code == 401, (bad[:30], r.status_code)
        assert "RateLimit" not in r.headers
        bodies.add(err_body(r)[1:])
    assert len(bodies) == 1, bodies
    # revocation counts from the next request
    admin(server, "key", "revoke", k["record"]["id"])
    r = server.get("/v1/partner/members", headers=key_headers(good))
    assert r.status_code == 401 and err_body(r)[1:] in bodies


def test_expired_key_is_refused(server_factory):
    srv = server_factory({"REPRIGHT_JWT_SECRET": RELAXED_ENV["REPRIGHT_JWT_SECRET"]})
    org = new_org(srv)
    k = new_key(srv, org, "members:read", "--expires", "1")
    assert srv.get("/v1/partner/members", headers=key_headers(k["key"])).status_code == 200
    # move the key's expiry into the past through the same store the server reads
    import sqlite3
    db = sqlite3.connect(srv.data_dir + "/data/repright.db")
    db.execute("UPDATE api_keys SET expires_at = 1 WHERE id = ?", (k["record"]["id"],))
    db.commit()
    db.close()
    r = srv.get("/v1/partner/members", headers=key_headers(k["key"]))
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthenticated"
    listed = [json_line for json_line in admin(srv, "key", "list", org).stdout.splitlines()]
    assert '"state":"expired"' in listed[0]


def test_consent_link_list_and_revocation_is_immediate(server):
    org = new_org(server, "Consent Gym")
    key = new_key(server, org)["key"]
    h = key_headers(key)
    m = new_user(server, tag="member")
    wid = sync_workout(m)
    code = invite(server, org)
    # before linking the member is invisible
    assert server.get("/v1/partner/members/%s/workouts" % m.id, headers=h).status_code == 404
    linked = link(m, code, ["profile", "workouts"])
    assert linked["org_name"] == "Consent Gym" and linked["shares"] == ["profile", "workouts"]
    # a code is single use
    other = new_user(server, tag="latecomer")
    r = other.post("/v1/me/partners", json={"code": code})
    assert r.status_code == 404
    r = other.post("/v1/me/partners", json={"code": code.lower()})  # case-insensitive, still used
    assert r.status_code == 404
    mine = m.get("/v1/me/partners").json()["items"]
    assert [(p["org_id"], p["shares"]) for p in mine] == [(org, ["profile", "workouts"])]
    members = server.get("/v1/partner/members", headers=h).json()["items"]
    assert [(x["id"], x["email"]) for x in members] == [(m.id, m.email)]
    r = server.get("/v1/partner/members/%s/workouts" % m.id, headers=h)
    assert r.status_code == 200 and [w["id"] for w in r.json()["items"]] == [wid]
    assert r.json()["items"][0]["reps"] == 5
    # analytics were not shared: the one 404
    assert server.get("/v1/partner/members/%s/analytics" % m.id, headers=h).status_code == 404
    # revoke; the very next partner request sees nothing
    assert m.delete("/v1/me/partners/" + org).status_code == 204
    assert server.get("/v1/partner/members/%s/workouts" % m.id, headers=h).status_code == 404
    assert server.get("/v1/partner/members", headers=h).json()["items"] == []
    assert m.get("/v1/me/partners").json()["items"] == []
    assert m.delete("/v1/me/partners/" + org).status_code == 404
    events = [l for l in server.log_lines() if l.get("msg") == "partner event"
              and l.get("member_id") == m.id]
    assert [e["event"] for e in events] == ["member.linked", "member.unlinked"]


def test_no_endpoint_reveals_a_non_consenting_account(server):
    org = new_org(server)
    h = key_headers(new_key(server, org)["key"])
    stranger = new_user(server, tag="stranger")  # has an account, never linked
    sync_workout(stranger)
    partial = linked_member(server, org, ["profile"], tag="partial")  # linked, shares no workouts
    sync_workout(partial)
    ids = {"stranger": stranger.id, "partial": partial.id,
           "unknown": "0123456789abcdef0123456789abcdef", "malformed": "not-an-id"}
    for route in ("workouts", "analytics"):
        bodies = {}
        for what, mid in ids.items():
            r = server.get("/v1/partner/members/%s/%s" % (mid, route), headers=h)
            assert r.status_code == 404, (what, route, r.status_code)
            bodies[what] = err_body(r)
        assert len(set(bodies.values())) == 1, bodies
    listed = [x["id"] for x in server.get("/v1/partner/members", headers=h).json()["items"]]
    assert stranger.id not in listed and partial.id in listed
    # another org's key never sees this org's members
    h2 = key_headers(new_key(server, new_org(server))["key"])
    assert server.get("/v1/partner/members/%s/workouts" % partial.id, headers=h2).status_code == 404


def test_member_analytics_and_org_aggregates(server):
    org = new_org(server)
    h = key_headers(new_key(server, org)["key"])
    a = linked_member(server, org)
    b = linked_member(server, org, ["profile", "workouts"])  # no analytics: not aggregated
    sync_workout(a, reps=4, started="2026-03-02T10:00:00Z")
    sync_workout(b, reps=7, started="2026-03-02T11:00:00Z")
    r = server.get("/v1/partner/members/%s/analytics?from=2026-03-01&to=2026-03-31" % a.id,
                   headers=h)
    assert r.status_code == 200, r.text
    days = r.json()["days"]
    assert [(d["day"], d["exercise"], d["reps"]) for d in days] == [("2026-03-02", "squat", 4)]
    r = server.get("/v1/partner/aggregates?from=2026-03-01&to=2026-03-31", headers=h)
    assert r.status_code == 200, r.text
    ex = r.json()["exercises"]
    assert [(e["exercise"], e["members"], e["reps"]) for e in ex] == [("squat", 1, 4)]
    r = server.get("/v1/partner/aggregates?from=2026-03-31&to=2026-03-01", headers=h)
    assert r.status_code == 422


def test_rate_limit_headers_and_429(server):
    org = new_org(server)
    k = new_key(server, org, "members:read", "--rate", "5")["key"]
    h = key_headers(k)
    seen = []
    for i in range(5):
        r = server.get("/v1/partner/members", headers=h)
        assert r.status_code == 200, r.text
        assert r.headers["RateLimit-Policy"] == '"key";q=5;w=60'
        seen.append(r.headers["RateLimit"])
    assert seen[0].startswith('"key";r=4;t=') and seen[-1].startswith('"key";r=0;t=')
    r = server.get("/v1/partner/members", headers=h)
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(r.headers["Retry-After"]) <= 12  # one token per 12 s
    assert r.headers["RateLimit"].startswith('"key";r=0;')
    # other keys are not affected
    h2 = key_headers(new_key(server, org, "members:read")["key"])
    assert server.get("/v1/partner/members", headers=h2).status_code == 200


def test_scope_is_checked_after_the_key(server):
    org = new_org(server)
    h = key_headers(new_key(server, org, "workouts:read")["key"])
    r = server.get("/v1/partner/members", headers=h)
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "insufficient_scope"
    assert 'scope="members:read"' in r.headers["WWW-Authenticate"]
    assert "RateLimit" in r.headers


def test_last_use_is_recorded_at_most_once_a_minute(server):
    org = new_org(server)
    k = new_key(server, org, "members:read")
    h = key_headers(k["key"])
    assert admin_json(server, "key", "list", org)["last_used_at"] is None
    server.get("/v1/partner/members", headers=h)
    first = admin_json(server, "key", "list", org)["last_used_at"]
    assert first is not None
    time.sleep(0.05)
    server.get("/v1/partner/members", headers=h)
    assert admin_json(server, "key", "list", org)["last_used_at"] == first


def test_console_for_org_admins_only(server, user, other):
    org = new_org(server, "Console Gym")
    assert user.get("/v1/orgs").json()["items"] == []
    assert user.get("/v1/orgs/%s/keys" % org).status_code == 404
    admin(server, "org", "add-admin", org, user.email)
    assert [o["id"] for o in user.get("/v1/orgs").json()["items"]] == [org]
    r = user.post("/v1/orgs/%s/keys" % org, json={"name": "crm", "scopes": ["members:read"],
                                                  "expires_days": 30})
    assert r.status_code == 201, r.text
    key, rec = r.json()["key"], r.json()["record"]
    assert key.startswith("rr_live_" + rec["prefix"] + "_")
    listed = user.get("/v1/orgs/%s/keys" % org).json()["items"]
    assert [k["id"] for k in listed] == [rec["id"]] and key[21:] not in str(listed)
    r = user.post("/v1/orgs/%s/keys" % org, json={"scopes": ["members:write"]})
    assert r.status_code == 422
    r = user.post("/v1/orgs/%s/invites" % org, json={"days": 2})
    assert r.status_code == 201, r.text
    code = r.json()["code"]
    assert r.json()["link"].endswith(code)
    link(other, code)
    members = user.get("/v1/orgs/%s/members" % org).json()["items"]
    assert [(m["id"], m["email"]) for m in members] == [(other.id, other.email)]
    assert user.get("/v1/orgs/%s/invites" % org).json()["items"][0]["state"] == "used"
    # the other user administers nothing: every console route is 404
    for path in ("keys", "members", "invites"):
        assert other.get("/v1/orgs/%s/%s" % (org, path)).status_code == 404
    assert other.delete("/v1/orgs/%s/keys/%s" % (org, rec["id"])).status_code == 404
    assert server.get("/v1/partner/members", headers=key_headers(key)).status_code == 200
    assert user.delete("/v1/orgs/%s/keys/%s" % (org, rec["id"])).status_code == 204
    assert server.get("/v1/partner/members", headers=key_headers(key)).status_code == 401


def test_partner_and_console_lists_refuse_a_bad_page_like_every_list(server, user):
    """The paged lists of the partner API and the console answer a bad limit or cursor with the
    422 body /v1/videos gives (api/paging.h; the user lists: hostile/test_http_semantics)."""
    org = new_org(server)
    h = key_headers(new_key(server, org)["key"])
    admin(server, "org", "add-admin", org, user.email)
    m = linked_member(server, org)
    by_key = ["/v1/partner/members", "/v1/partner/members/%s/workouts" % m.id,
              "/v1/partner/webhook-deliveries"]
    by_user = ["/v1/orgs/%s/members" % org, "/v1/orgs/%s/webhook-deliveries" % org]
    for q in ({"limit": "0"}, {"limit": "101"}, {"limit": "1x"}, {"cursor": ""},
              {"cursor": "x" * 300}, {"cursor": "not-a-cursor"}):
        want = err_body(user.get("/v1/videos", params=q))
        assert want[:2] == (422, "validation_failed"), (q, want)
        for path in by_key:
            assert err_body(server.get(path, params=q, headers=h)) == want, (path, q)
        for path in by_user:
            assert err_body(user.get(path, params=q)) == want, (path, q)
    for path in by_key:  # and a good page still has its items and cursor
        body = server.get(path, params={"limit": "1"}, headers=h).json()
        assert "items" in body and "next_cursor" in body, (path, body)
    for path in by_user:
        body = user.get(path, params={"limit": "1"}).json()
        assert "items" in body and "next_cursor" in body, (path, body)


def test_concurrent_requests_never_exceed_the_bucket(server):
    """The bucket is one read-modify-write in the store: 30 requests at once on a key of 10 a
    minute let exactly 10 through (a token comes back every 6 s, well after the burst)."""
    from concurrent.futures import ThreadPoolExecutor
    import requests
    org = new_org(server)
    key = new_key(server, org, "members:read", "--rate", "10")["key"]

    def one(_):
        with requests.Session() as s:
            s.trust_env = False
            return s.get(server.url + "/v1/partner/members", headers=key_headers(key),
                         timeout=30).status_code

    with ThreadPoolExecutor(max_workers=10) as ex:
        codes = list(ex.map(one, range(30)))
    assert sorted(codes) == [200] * 10 + [429] * 20, codes


def test_every_new_route_is_in_openapi_with_examples(server):
    doc = server.get("/openapi.json").json()
    prefixes = ("partner.", "me.partners.", "orgs.", "webhooks.")
    # 204 / 202 without a body: nothing to show
    no_body = {"me.partners.unlink", "orgs.keys.revoke", "webhooks.delete", "webhooks.redeliver",
               "orgs.webhooks.delete", "orgs.webhooks.redeliver"}
    seen = set()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict) or not op.get("operationId", "").startswith(prefixes):
                continue
            oid = op["operationId"]
            seen.add(oid)
            if oid not in no_body:
                ok = [v for c, v in op["responses"].items() if c.startswith("2")]  # 200/201/202
                assert "example" in ok[0]["content"]["application/json"], oid
            if "requestBody" in op:
                assert "example" in op["requestBody"]["content"]["application/json"], oid
    assert len(seen) == 26, sorted(seen)  # 14 partner/consent/console + 12 webhook routes
    schemes = doc["components"]["securitySchemes"]
    assert schemes["partnerKeyHeader"]["name"] == "X-API-Key"
