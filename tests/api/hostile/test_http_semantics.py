"""HTTP items of issue 15 that are about meaning rather than framing: list endpoints answer a bad
limit or cursor identically; If-Range is honoured; the access log can be sampled.

Found before the fixes: /v1/videos and /v1/jobs answered 400 invalid_limit / invalid_cursor
with no details while /v1/workouts answered 422 validation_failed with a details row; a Range
with a stale If-Range got 206 of the new file; every request wrote an access-log line. ~3 s."""
import time

from conftest import assert_error

LISTS = ["/v1/videos", "/v1/jobs", "/v1/workouts"]
BAD_QUERIES = [
    {"limit": "0"},
    {"limit": "101"},
    {"limit": "abc"},
    {"limit": "10x"},
    {"limit": ""},
    {"limit": "-1"},
    {"limit": "99999999999999999999"},
    {"cursor": ""},
    {"cursor": "x" * 300},
    {"cursor": "not-a-cursor"},
]


def _shape(resp):
    err = assert_error(resp, 422, "validation_failed")
    return (err["message"], err["details"])


def test_bad_limit_and_cursor_get_one_shape_on_every_list(user):
    for q in BAD_QUERIES:
        shapes = {path: _shape(user.get(path, params=q)) for path in LISTS}
        first = shapes[LISTS[0]]
        assert all(s == first for s in shapes.values()), (q, shapes)
        field = next(iter(q))
        assert first[1] == [{"field": field, "problem": first[1][0]["problem"]}], (q, first)
    for path in LISTS:  # and a good page still works everywhere
        r = user.get(path, params={"limit": "5"})
        assert r.status_code == 200, (path, r.text)
        assert "items" in r.json()


def test_if_range_serves_the_range_only_for_the_same_representation(server):
    ident = {"Accept-Encoding": "identity"}  # the gzip variant has its own ETag
    full = server.get("/index.html", headers=ident)
    assert full.status_code == 200
    etag = full.headers["ETag"]  # static files: a strong ETag, no Last-Modified
    assert etag.startswith('"')
    rng = dict(ident, Range="bytes=0-9")
    r = server.get("/index.html", headers=dict(rng, **{"If-Range": etag}))
    assert r.status_code == 206, r.status_code  # the current validator: the range
    assert r.content == full.content[:10]
    stale = ['"0-0"', "W/" + etag, "Thu, 01 Jan 1970 00:00:00 GMT", "garbage"]
    for validator in stale:  # anything else: the whole current file, never a piece of it
        r = server.get("/index.html", headers=dict(rng, **{"If-Range": validator}))
        assert r.status_code == 200, (validator, r.status_code)
        assert r.content == full.content
    assert server.get("/index.html", headers=rng).status_code == 206  # no If-Range: the range


def _access_lines(srv, path):
    return [e for e in srv.log_lines() if e.get("msg") == "request" and e.get("path") == path]


def test_access_log_sampling_keeps_errors_and_one_success_in_n(server_factory):
    srv = server_factory({"REPRIGHT_ACCESS_LOG_SAMPLE": "10"})
    before = len(_access_lines(srv, "/healthz"))
    for _ in range(200):
        assert srv.get("/healthz").status_code == 200
    for _ in range(7):
        assert srv.get("/no-such-thing").status_code == 404
    time.sleep(0.3)  # the last lines are written after the responses
    ok = _access_lines(srv, "/healthz")[before:]
    assert 19 <= len(ok) <= 21, len(ok)
    assert all(e["sampled"] == 10 for e in ok), ok[:3]
    errors = _access_lines(srv, "/no-such-thing")
    assert len(errors) == 7 and all("sampled" not in e for e in errors), errors

    srv0 = server_factory({"REPRIGHT_ACCESS_LOG_SAMPLE": "0"})
    before = len(_access_lines(srv0, "/healthz"))
    for _ in range(20):
        srv0.get("/healthz")
    srv0.get("/no-such-thing")
    time.sleep(0.3)
    assert len(_access_lines(srv0, "/healthz")) == before
    assert len(_access_lines(srv0, "/no-such-thing")) == 1


def test_access_log_writes_every_request_by_default(server):
    before = len(_access_lines(server, "/openapi.json"))
    for _ in range(5):
        server.get("/openapi.json")
    time.sleep(0.3)
    lines = _access_lines(server, "/openapi.json")[before:]
    assert len(lines) == 5 and all("sampled" not in e for e in lines)
