"""`repright serve` on PostgreSQL survives a database restart: /readyz goes 503 while the database
is down (and API calls fail cleanly with 5xx JSON errors, the server stays up), and 200 again once
it is back, with the data intact and no restart of `serve`. A PostgreSQL of its own
(tests/api/pgserver.py), whatever RR_API_STORE says."""
import time

import pytest

import pgserver
from conftest import new_user


@pytest.fixture
def pg():
    srv = pgserver.PgServer()
    if srv.external:
        pytest.skip("REPRIGHT_TEST_DATABASE_URL names a server this test cannot restart")
    try:
        srv.start()
    except pgserver.Unavailable as e:
        pytest.skip(str(e))
    yield srv
    srv.stop()


def wait_status(srv, path, status, timeout=20.0):
    deadline = time.monotonic() + timeout
    r = None
    while time.monotonic() < deadline:
        r = srv.get(path, timeout=10)
        if r.status_code == status:
            return r
        time.sleep(0.2)
    raise AssertionError("%s never answered %d (last %s: %s)" % (path, status, r.status_code, r.text))


def test_readyz_goes_red_then_green_across_a_postgres_restart(pg, server_factory):
    srv = server_factory(extra_env={"REPRIGHT_DATABASE_URL": pg.new_db()})
    r = srv.get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json()["store"] == "postgres"
    u = new_user(srv)
    body = {"client_id": "restart-1", "started_at": "2026-03-01T10:00:00Z", "exercise": "squat",
            "reps": [{"t_start": 0, "t_end": 1.5, "score": 80, "verdict": "good", "faults": []}]}
    assert u.post("/v1/sync", json=body).status_code in (200, 201)

    pg.server_stop()
    r = wait_status(srv, "/readyz", 503)
    assert r.json()["error"]["code"] == "not_ready"
    r = u.get("/v1/workouts")
    assert r.status_code >= 500 and r.headers["Content-Type"].startswith("application/json")
    assert srv.get("/healthz").status_code == 200  # the process itself is fine

    pg.server_start()
    wait_status(srv, "/readyz", 200)
    items = u.get("/v1/workouts").json()["items"]
    assert len(items) == 1  # nothing lost, and the stale connections were replaced
    body["client_id"] = "restart-2"
    assert u.post("/v1/sync", json=body).status_code in (200, 201)
    assert len(u.get("/v1/workouts").json()["items"]) == 2
    # the outage is in the log
    assert any(line.get("msg") == "database connection failed" for line in srv.log_lines())
