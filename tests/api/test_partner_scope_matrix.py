"""The scope x route matrix of the partner API, generated from /openapi.json: every operation
secured by partnerKey is called with keys of each scope set, and must answer 200 when the key
holds the operation's scope (x-required-scope, also in its security requirement) and 403
insufficient_scope otherwise; without a key, 401. Both ways of presenting a key are tried.

ROWS below say how to fill each operation's path parameters ("params"), optionally the request's
extra arguments ("request": ctx -> requests kwargs, e.g. a JSON body) and the success statuses
("ok_status", default {200}), and which scope the test expects it to need: a partner route without a row fails the test (so a new route cannot ship unchecked), and
so does a route whose documented scope differs from the row's (a scope change must be deliberate).
"""
import itertools

from partner_support import key_headers, linked_member, new_key, new_org, sync_workout

SCOPES = ["members:read", "workouts:read", "analytics:read", "webhooks:write"]

ROWS = {
    "partner.members": {"scope": "members:read", "params": lambda ctx: {}},
    "partner.member_workouts": {"scope": "workouts:read",
                                "params": lambda ctx: {"id": ctx["member"]}},
    "partner.member_analytics": {"scope": "analytics:read",
                                 "params": lambda ctx: {"id": ctx["member"]}},
    "partner.aggregates": {"scope": "analytics:read", "params": lambda ctx: {}},
}


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
    ctx = {"member": member.id}
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
            headers = key_headers(key) if i % 2 == 0 else {"X-API-Key": key}
            r = server.request(method, url, headers=headers, **extra)
            want = ok if scope in s else {403}
            checked += 1
            if r.status_code not in want:
                failures.append((op, sorted(s), r.status_code, want, r.text[:200]))
            elif want == {403} and r.json()["error"]["code"] != "insufficient_scope":
                failures.append((op, sorted(s), r.text[:200]))
    assert not failures, failures
    print("partner scope matrix: %d calls over %d key scope sets" % (checked, len(keys)))
