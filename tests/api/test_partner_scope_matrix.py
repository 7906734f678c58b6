"""The scope x route matrix of the partner API, generated from /openapi.json: every operation
secured by partnerKey is called with keys of each scope set, and must answer 200 when the key
holds the operation's scope (x-required-scope, also in its security requirement) and 403
insufficient_scope otherwise; without a key, 401. Both ways of presenting a key are tried.

ROWS below say how to fill each operation's path parameters ("params": ctx -> dict, called once
per operation, or once per call when the row says "fresh": True, e.g. a DELETE needs a new
endpoint each time), optionally the request's extra arguments ("request": ctx -> requests
kwargs, e.g. a JSON body) and the success statuses ("ok_status", default {200}), and which scope
the test expects it to need: a partner route without a row fails the test (so a new route cannot ship unchecked), and
so does a route whose documented scope differs from the row's (a scope change must be deliberate).
"""
import itertools
import time

import pytest

from conftest import RELAXED_ENV, _start, check_clean_exit
from partner_support import (ALL_SCOPES, key_headers, linked_member, new_key, new_org,
                             sync_workout)
from webhook_support import Receiver

SCOPES = ["members:read", "workouts:read", "analytics:read", "webhooks:write"]

ROWS = {
    "partner.members": {"scope": "members:read", "params": lambda ctx: {}},
    "partner.member_workouts": {"scope": "workouts:read",
                                "params": lambda ctx: {"id": ctx["member"]}},
    "partner.member_analytics": {"scope": "analytics:read",
                                 "params": lambda ctx: {"id": ctx["member"]}},
    "partner.aggregates": {"scope": "analytics:read", "params": lambda ctx: {}},
    "webhooks.create": {"scope": "webhooks:write", "params": lambda ctx: {}, "ok_status": {201},
                        "request": lambda ctx: {"json": {"url": ctx["hook_url"],
                                                         "event_types": ["member.linked"]}}},
    "webhooks.list": {"scope": "webhooks:write", "params": lambda ctx: {}},
    "webhooks.delete": {"scope": "webhooks:write", "fresh": True, "ok_status": {204},
                        "params": lambda ctx: {"id": ctx["new_endpoint"]()}},
    "webhooks.test": {"scope": "webhooks:write", "ok_status": {202},
                      "params": lambda ctx: {"id": ctx["endpoint"]}},
    "webhooks.deliveries": {"scope": "webhooks:write", "params": lambda ctx: {}},
    "webhooks.redeliver": {"scope": "webhooks:write", "ok_status": {202},
                           "params": lambda ctx: {"id": ctx["delivered"]}},
}


@pytest.fixture(scope="module")
def server(_tmp_root):
    """This file's own server: a worker, and webhooks allowed to a loopback receiver."""
    env = dict(RELAXED_ENV)
    env.update({"REPRIGHT_WORKERS": "1", "REPRIGHT_WEBHOOK_ALLOW_HTTP_LOOPBACK": "1"})
    srv = _start(_tmp_root, env)
    yield srv
    check_clean_exit(srv)


def webhook_context(server, org, receiver):
    """An endpoint of org at the receiver with one delivered test event (redeliver needs a
    delivery that is no longer pending) and a maker of endpoints to delete."""
    admin_key = new_key(server, org, ALL_SCOPES)["key"]
    h = key_headers(admin_key)

    def new_endpoint():
        r = server.post("/v1/partner/webhooks", headers=h,
                        json={"url": receiver.url, "event_types": ["member.linked"]})
        assert r.status_code == 201, r.text
        return r.json()["id"]

    endpoint = new_endpoint()
    r = server.post("/v1/partner/webhooks/%s/test" % endpoint, headers=h)
    assert r.status_code == 202, r.text
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        items = server.get("/v1/partner/webhook-deliveries", headers=h).json()["items"]
        done = [d for d in items if d["status"] == "delivered"]
        if done:
            break
        time.sleep(0.1)
    assert done, items
    return {"hook_url": receiver.url, "endpoint": endpoint, "delivered": done[0]["id"],
            "new_endpoint": new_endpoint}


def partner_operations(server):
    doc = server.get("/openapi.json").json()
    ops = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict):
                continue
            sec = op.get("security", [])
            if not any("partnerKey" in req for req in sec):
                continue
            scopes = {s for req in sec for v in req.values() for s in v}
            ops.append((method.upper(), path, op["operationId"], op.get("x-required-scope"),
                        scopes))
    return ops


def fill(path, params):
    for k, v in params.items():
        path = path.replace("{%s}" % k, v)
    assert "{" not in path, path
    return path


def test_every_partner_route_has_a_row_and_its_documented_scope(server):
    ops = partner_operations(server)
    assert ops, "no partner routes in /openapi.json"
    missing = [op for _, _, op, _, _ in ops if op not in ROWS]
    assert not missing, "no scope-matrix row for: %s" % missing
    stale = set(ROWS) - {op for _, _, op, _, _ in ops}
    assert not stale, "rows for routes that do not exist: %s" % sorted(stale)
    for method, path, op, scope, sec_scopes in ops:
        assert path.startswith("/v1/partner/"), (op, path)
        assert scope == ROWS[op]["scope"] and sec_scopes == {scope}, (op, scope, sec_scopes)


def test_each_scope_set_gets_the_expected_status(server):
    org = new_org(server)
    member = linked_member(server, org, tag="matrix-member")
    sync_workout(member)
    receiver = Receiver()
    ctx = {"member": member.id}
    ctx.update(webhook_context(server, org, receiver))
    # every single scope, every set missing one scope, and all of them
    sets = [frozenset([s]) for s in SCOPES]
    sets += [frozenset(c) for c in itertools.combinations(SCOPES, len(SCOPES) - 1)]
    sets.append(frozenset(SCOPES))
    keys = {s: new_key(server, org, ",".join(sorted(s)))["key"] for s in sets}
    failures, checked = [], 0
    for method, path, op, scope, _ in partner_operations(server):
        row = ROWS.get(op)
        if row is None:
            continue  # reported above
        url = fill(path, row["params"](ctx))
        extra = row.get("request", lambda c: {})(ctx)
        ok = row.get("ok_status", {200})
        r = server.request(method, url, **extra)
        if r.status_code != 401:
            failures.append((op, "no key", r.status_code))
        for i, (s, key) in enumerate(sorted(keys.items(), key=lambda kv: sorted(kv[0]))):
            if row.get("fresh"):
                url = fill(path, row["params"](ctx))
            headers = key_headers(key) if i % 2 == 0 else {"X-API-Key": key}
            r = server.request(method, url, headers=headers, **extra)
            want = ok if scope in s else {403}
            checked += 1
            if r.status_code not in want:
                failures.append((op, sorted(s), r.status_code, want, r.text[:200]))
            elif want == {403} and r.json()["error"]["code"] != "insufficient_scope":
                failures.append((op, sorted(s), r.text[:200]))
    receiver.close()
    assert not failures, failures
    print("partner scope matrix: %d calls over %d key scope sets" % (checked, len(keys)))


def user_operations(server):
    """Every operation secured by bearerAuth (a user's access token), with its path's ids
    filled by ids that exist nowhere: the key must be refused before any lookup."""
    doc = server.get("/openapi.json").json()
    ops = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict):
                continue
            if not any("bearerAuth" in req for req in op.get("security", [])):
                continue
            url = path
            while "{" in url:
                a, b = url.index("{"), url.index("}")
                url = url[:a] + "0" * 32 + url[b + 1:]
            ops.append((method.upper(), url, op["operationId"]))
    return ops


def test_an_api_key_is_no_user_on_any_user_route(server):
    """The other half of the matrix: a partner key holding every scope, presented either way,
    is refused with 401 on every user route of /openapi.json (a new user route is covered
    without a row), and nothing it sent was acted on."""
    org = new_org(server)
    key = new_key(server, org, ALL_SCOPES)["key"]
    ops = user_operations(server)
    assert len(ops) > 20, ops
    failures = []
    for i, (method, url, op) in enumerate(ops):
        headers = key_headers(key) if i % 2 == 0 else {"X-API-Key": key}
        kwargs = {"json": {}} if method in ("POST", "PUT", "PATCH", "DELETE") else {}
        r = server.request(method, url, headers=headers, **kwargs)
        if r.status_code != 401:
            failures.append((op, method, url, r.status_code, r.text[:200]))
    assert not failures, failures
    print("partner key refused on %d user routes" % len(ops))
