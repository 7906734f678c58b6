"""Every operation of /openapi.json documents its answer with an example (issue 13).

The examples live in the per-resource doc tables (src/api/*_docs.c, struct http_route_doc):
a JSON body for a JSON answer, a text sample for a text one (text/event-stream, Prometheus
text, HTML), and a JSON request body for every operation that takes one. An answer that cannot
have an example (no body: 204, a tus 201/202 whose state is in headers; media bytes) must be in
NO_EXAMPLE below with the reason, and must say so itself (x-no-example), so neither the list nor
the document can hide a missing example. A few representative examples are compared with real
answers of the server (same top-level keys), so they cannot drift silently.
"""
import uuid

from conftest import DEFAULT_PASSWORD

NO_BODY = "answers without a body (state in status and headers)"
BYTES = "answers media bytes: no meaningful example, documented as a binary string"
NO_EXAMPLE = {
    "auth.logout": NO_BODY,               # 204
    "me.password": NO_BODY,               # 204
    "me.delete": NO_BODY,                 # 204
    "uploads.options": NO_BODY,           # 204, tus capabilities in headers
    "uploads.create": NO_BODY,            # 201, tus: Location + Upload-Offset
    "uploads.patch": NO_BODY,             # 204, tus: Upload-Offset
    "uploads.delete": NO_BODY,            # 204, tus termination
    "videos.delete": NO_BODY,             # 204
    "workouts.delete": NO_BODY,           # 204
    "me.partners.unlink": NO_BODY,        # 204
    "orgs.keys.revoke": NO_BODY,          # 204
    "webhooks.delete": NO_BODY,           # 204
    "orgs.webhooks.delete": NO_BODY,      # 204
    "webhooks.redeliver": NO_BODY,        # 202 without a body
    "orgs.webhooks.redeliver": NO_BODY,   # 202 without a body
    "videos.original": BYTES,             # video/*
    "videos.overlay": BYTES,              # video/mp4
    "videos.thumb": BYTES,                # image/jpeg
}


def operations(doc):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            yield path, method, op


def success(op):
    """(status, response object) of the documented success answer."""
    codes = [c for c in op["responses"] if c[:1] in "23"]
    assert len(codes) == 1, (op["operationId"], codes)
    return codes[0], op["responses"][codes[0]]


def test_every_operation_has_examples_or_a_stated_reason(server):
    doc = server.get("/openapi.json").json()
    problems, seen = [], set()
    for path, method, op in operations(doc):
        oid = op["operationId"]
        seen.add(oid)
        code, resp = success(op)
        content = resp.get("content", {})
        has_example = any("example" in media for media in content.values())
        if oid in NO_EXAMPLE:
            if has_example:
                problems.append("%s has an example now: drop it from NO_EXAMPLE" % oid)
            if not op.get("x-no-example"):
                problems.append("%s: no example and no x-no-example reason in its doc row" % oid)
            if NO_EXAMPLE[oid] is NO_BODY and content:
                problems.append("%s is listed as bodiless but documents content" % oid)
            if NO_EXAMPLE[oid] is BYTES and not all(
                    m.get("schema", {}).get("format") == "binary" for m in content.values()):
                problems.append("%s is listed as bytes but is not documented as binary" % oid)
        elif not has_example:
            problems.append("%s %s %s: no response example (%s)" % (method.upper(), path, oid,
                                                                   code))
        req = op.get("requestBody", {}).get("content", {}).get("application/json")
        if req is not None and "example" not in req:
            problems.append("%s %s %s: JSON request body without an example" % (
                method.upper(), path, oid))
    stale = sorted(set(NO_EXAMPLE) - seen)
    assert not stale, "NO_EXAMPLE names operations that do not exist: %s" % stale
    assert not problems, "\n".join(problems)
    assert len(seen) >= 70, len(seen)


def test_bodiless_answers_are_documented_with_their_status(server):
    doc = server.get("/openapi.json").json()
    ops = {op["operationId"]: op for _, _, op in operations(doc)}
    for oid in ("auth.logout", "videos.delete", "workouts.delete", "webhooks.delete"):
        assert success(ops[oid])[0] == "204", oid
    assert success(ops["auth.register"])[0] == "201"
    assert success(ops["workouts.sync"])[0] == "201"
    events = ops["jobs.events"]["responses"]["200"]["content"]["text/event-stream"]["example"]
    assert "event: progress\ndata: {" in events
    metrics = ops["metrics"]["responses"]["200"]["content"]
    assert any(k.startswith("text/plain") and "# TYPE" in v["example"] for k, v in metrics.items())


def example_of(doc, path, method="get"):
    op = doc["paths"][path][method]
    _, resp = success(op)
    return resp["content"]["application/json"]["example"]


def request_example_of(doc, path, method):
    return doc["paths"][path][method]["requestBody"]["content"]["application/json"]["example"]


def same_keys(documented, real, what):
    assert set(documented) == set(real), "%s: documented %s, real %s" % (
        what, sorted(documented), sorted(real))


def test_examples_match_real_answers(server):
    """The documented request examples are accepted as they are (with a fresh email / client
    id), and the documented answers have the real answers' top-level keys (and item keys)."""
    doc = server.get("/openapi.json").json()
    email = "doc-%s@example.com" % uuid.uuid4().hex[:12]

    body = dict(request_example_of(doc, "/v1/auth/register", "post"), email=email,
                password=DEFAULT_PASSWORD)
    r = server.post("/v1/auth/register", json=body)
    assert r.status_code == 201, r.text
    same_keys(example_of(doc, "/v1/auth/register", "post"), r.json(), "register")

    body = dict(request_example_of(doc, "/v1/auth/login", "post"), email=email,
                password=DEFAULT_PASSWORD)
    r = server.post("/v1/auth/login", json=body)
    assert r.status_code == 200, r.text
    same_keys(example_of(doc, "/v1/auth/login", "post"), r.json(), "login")
    h = {"Authorization": "Bearer " + r.json()["access_token"]}

    r = server.get("/v1/me", headers=h)
    assert r.status_code == 200, r.text
    same_keys(example_of(doc, "/v1/me"), r.json(), "me")

    body = dict(request_example_of(doc, "/v1/sync", "post"), client_id=uuid.uuid4().hex)
    r = server.post("/v1/sync", json=body, headers=h)
    assert r.status_code == 201, r.text
    synced = example_of(doc, "/v1/sync", "post")
    same_keys(synced, r.json(), "sync")
    same_keys(synced["workout"], r.json()["workout"], "sync workout")

    r = server.get("/v1/workouts", headers=h)
    assert r.status_code == 200, r.text
    listed = example_of(doc, "/v1/workouts")
    same_keys(listed, r.json(), "workouts")
    same_keys(listed["items"][0], r.json()["items"][0], "workouts item")

    wid = r.json()["items"][0]["id"]
    r = server.get("/v1/workouts/" + wid, headers=h)
    assert r.status_code == 200, r.text
    detail = example_of(doc, "/v1/workouts/{id}")
    same_keys(detail, r.json(), "workout")
    same_keys(detail["sets"][0], r.json()["sets"][0], "workout set")
    same_keys(detail["sets"][0]["reps"][0], r.json()["sets"][0]["reps"][0], "workout rep")

    r = server.patch("/v1/workouts/" + wid, headers=h,
                     json=request_example_of(doc, "/v1/workouts/{id}", "patch"))
    assert r.status_code == 200, r.text
    same_keys(example_of(doc, "/v1/workouts/{id}", "patch"), r.json(), "workout rename")

    r = server.get("/v1/analytics/summary", headers=h)
    assert r.status_code == 200, r.text
    same_keys(example_of(doc, "/v1/analytics/summary"), r.json(), "analytics summary")

    r = server.get("/v1/exercises")
    assert r.status_code == 200, r.text
    exercises = example_of(doc, "/v1/exercises")
    same_keys(exercises, r.json(), "exercises")
    same_keys(exercises["items"][0], r.json()["items"][0], "exercise")
    real_names = {e["name"] for e in r.json()["items"]}
    assert {e["name"] for e in exercises["items"]} <= real_names

    r = server.post("/v1/videos", data=bytes(range(256)) * 40,
                    headers=dict(h, **{"Content-Type": "video/mp4"}))
    assert r.status_code == 201, r.text
    same_keys(example_of(doc, "/v1/videos", "post"), r.json(), "video upload")

    r = server.get("/healthz")
    same_keys(example_of(doc, "/healthz"), r.json(), "healthz")
