"""The authorization matrix (docs reliability.md "Who may see what"), generated from /openapi.json:
every route with a path parameter is called as its owner, as another user and anonymously.
  owner      -> the row's expected status (default: any 2xx/3xx)
  other user -> 404 (never 403: that would confirm the id exists)
  anonymous  -> 401 (authenticated routes)
A route with a path parameter and NO row fails the test, so a new route cannot ship unchecked.
Partner routes (security partnerKey: an org's API key, not a user) have their own matrix,
generated the same way: test_partner_scope_matrix.py.

Rows live next to the resources' own tests, in tests/api/authz_rows_<resource>.py, each defining

    ROWS = {
        "videos.get": {                      # operationId
            "setup": lambda owner: {"id": create_video(owner)},   # path params, owned by owner
            "request": lambda params: {},    # optional: extra requests kwargs (json=, data=, ...)
            "owner_status": {200},           # optional: acceptable statuses for the owner
            "other_status": {404},           # optional, default {404}; only for parameters that
                                             # are not ids (e.g. an exercise name), and then
            "other_check": lambda resp: ..., # recommended with it: True when nothing of owner's leaks
        },
    }

The setup runs once per route; the owner's call runs last (it may delete the resource).
"""
import glob
import importlib
import os
import re

from conftest import new_user


def load_rows():
    rows = {}
    here = os.path.dirname(os.path.abspath(__file__))
    for path in sorted(glob.glob(os.path.join(here, "authz_rows_*.py"))):
        mod = importlib.import_module(os.path.splitext(os.path.basename(path))[0])
        for op, row in mod.ROWS.items():
            assert op not in rows, "two rows for %s" % op
            rows[op] = row
    return rows


def routes_with_params(server):
    doc = server.get("/openapi.json").json()
    out = []
    for path, item in doc["paths"].items():
        if "{" not in path:
            continue
        for method, op in item.items():
            if not isinstance(op, dict) or "operationId" not in op:
                continue
            if any("partnerKey" in req for req in op.get("security", [])):
                continue  # API-key routes: test_partner_scope_matrix.py has their matrix
            if "operationId" in op:
                out.append((method.upper(), path, op["operationId"], bool(op.get("security"))))
    return out


def fill(path, params):
    def sub(m):
        name = m.group(1)
        assert name in params, "setup gave no value for {%s}" % name
        return str(params[name])
    return re.sub(r"\{([^}]+)\}", sub, path)


def test_every_route_with_an_id_has_a_matrix_row(server):
    rows = load_rows()
    missing = [op for _, _, op, _ in routes_with_params(server) if op not in rows]
    assert not missing, "no authorization-matrix row for: %s" % missing
    stale = set(rows) - {op for _, _, op, _ in routes_with_params(server)}
    assert not stale, "rows for routes that do not exist: %s" % sorted(stale)


def test_owner_other_user_and_anonymous(server):
    rows = load_rows()
    owner = new_user(server, tag="matrix-owner")
    other = new_user(server, tag="matrix-other")
    failures = []
    checked = 0
    for method, pattern, op, secured in routes_with_params(server):
        row = rows.get(op)
        if row is None:
            continue  # reported by the test above
        params = row["setup"](owner)
        path = fill(pattern, params)
        extra = row.get("request", lambda p: {})(params)

        if secured:
            r = server.request(method, path, **extra)
            if r.status_code != 401:
                failures.append((op, "anonymous", r.status_code))
        r = other.request(method, path, **extra)
        other_want = row.get("other_status", {404})
        if r.status_code not in other_want:
            failures.append((op, "other user", r.status_code, r.text[:200]))
        elif r.status_code == 404 and r.json()["error"]["code"] != "not_found":
            failures.append((op, "other user code", r.text[:200]))
        elif r.status_code != 404 and "other_check" in row and not row["other_check"](r):
            failures.append((op, "other user sees owner data", r.text[:200]))
        r = owner.request(method, path, **extra)
        want = row.get("owner_status")
        ok = (r.status_code in want) if want else (200 <= r.status_code < 400)
        if not ok:
            failures.append((op, "owner", r.status_code, r.text[:200]))
        checked += 1
    assert not failures, failures
    print("authorization matrix: %d routes x 3 callers" % checked)
