"""Operations: /healthz, /readyz, /metrics, /openapi.json, /docs, request ids, the one error format
for 404 / 405 / 413 / 431, graceful SIGTERM, `repright migrate` and configuration errors."""
import json
import re
import signal
import socket
import subprocess
import time

import pytest

from conftest import assert_error, register, repright_bin, unique_email

# Every route this file's owners ship; the document must list each (others may add more).
EXPECTED_OPERATIONS = {
    ("get", "/healthz"), ("get", "/metrics"), ("get", "/openapi.json"), ("get", "/readyz"),
    ("get", "/docs"), ("post", "/v1/auth/register"), ("post", "/v1/auth/login"),
    ("post", "/v1/auth/refresh"), ("post", "/v1/auth/logout"), ("get", "/v1/me"),
    ("post", "/v1/me/password"),
}


def test_healthz_and_readyz(server):
    r = server.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    r = server.get("/readyz")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "ready" and body["schema_version"] >= 1


METRIC_LINE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [-+0-9.eEInfa]+$')


def test_metrics_is_prometheus_text_with_request_counters(server):
    for _ in range(3):
        server.get("/healthz")
    r = server.get("/metrics")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain")
    lines = r.text.splitlines()
    for line in lines:
        assert line.startswith("# HELP ") or line.startswith("# TYPE ") or METRIC_LINE.match(line), line
    assert "# TYPE http_requests_total counter" in lines
    healthz = [l for l in lines if l.startswith("http_requests_total{") and 'route="healthz"' in l]
    assert healthz and sum(float(l.rsplit(" ", 1)[1]) for l in healthz) >= 3


def _gauges(server):
    out = {}
    for line in server.get("/metrics").text.splitlines():
        if line.startswith("repright_"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


@pytest.mark.one_instance
def test_metrics_show_the_job_queue_and_the_store_write_path(server):
    before = _gauges(server)
    for state in ("queued", "running", "done", "dead"):
        assert 'repright_jobs{state="%s"}' % state in before, sorted(before)
    assert before['repright_jobs{state="running"}'] >= 0
    register(server, unique_email("metrics"))  # at least one committed write
    after = _gauges(server)
    assert after["repright_store_writes"] >= before["repright_store_writes"] + 1
    assert 1 <= after["repright_store_commits"] <= after["repright_store_writes"]
    assert after["repright_store_batch_max"] >= 1
    assert after["repright_store_write_queue"] >= 0


def test_openapi_is_3_1_and_lists_every_route(server):
    r = server.get("/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.1")
    ops = {(m, p) for p, item in doc["paths"].items() for m, op in item.items()
           if isinstance(op, dict) and "operationId" in op}
    missing = EXPECTED_OPERATIONS - ops
    assert not missing, missing
    ids = [op["operationId"] for item in doc["paths"].values() for op in item.values()
           if isinstance(op, dict) and "operationId" in op]
    assert len(ids) == len(set(ids))
    # and the reverse: every documented operation is really routed (never 404/405)
    for method, path in ops:
        concrete = re.sub(r"\{[^}]+\}", "0" * 32, path)
        resp = server.request(method.upper(), concrete)
        assert resp.status_code != 405, (method, path)
        if "{" not in path:
            assert resp.status_code != 404, (method, path)


def test_docs_page_links_the_openapi_document(server):
    r = server.get("/docs")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/html")
    assert "/openapi.json" in r.text


def test_request_ids_are_echoed_or_generated(server):
    r = server.get("/healthz", headers={"X-Request-Id": "client-id.42"})
    assert r.headers["X-Request-Id"] == "client-id.42"
    r = server.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{16}", r.headers["X-Request-Id"])
    r = server.get("/healthz", headers={"X-Request-Id": "bad id with spaces"})
    assert re.fullmatch(r"[0-9a-f]{16}", r.headers["X-Request-Id"])
    r = server.get("/nope", headers={"X-Request-Id": "trace-1"})
    assert assert_error(r, 404, "not_found")["request_id"] == "trace-1"


def test_404_and_405_use_the_one_error_format(server):
    assert_error(server.get("/v1/no-such-thing"), 404)
    r = server.put("/v1/me")
    assert_error(r, 405)
    assert "GET" in r.headers["Allow"] and "DELETE" in r.headers["Allow"]


def test_oversize_json_is_413_with_the_json_error_body(server):
    body = b'{"email":"' + b"a" * (1024 * 1024 + 1000) + b'","password":"x"}'
    r = server.post("/v1/auth/login", data=body, headers={"Content-Type": "application/json"})
    assert_error(r, 413)


def test_oversize_header_is_431_with_the_json_error_body(server):
    r = server.get("/healthz", headers={"X-Padding": "p" * 20 * 1024})
    assert_error(r, 431)


def test_wrong_content_type_and_malformed_json(server):
    r = server.post("/v1/auth/login", data="email=a", headers={"Content-Type": "text/plain"})
    assert_error(r, 415)
    r = server.post("/v1/auth/login", data='{"email":', headers={"Content-Type": "application/json"})
    assert_error(r, 400)


def test_sigterm_lets_a_request_in_flight_complete(server_factory):
    srv = server_factory()
    port = int(srv.url.rsplit(":", 1)[1])
    body = json.dumps({"email": "inflight@example.com", "password": "a long enough secret"}).encode()
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(b"POST /v1/auth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\n\r\n" % len(body) + body[:10])
    time.sleep(0.3)  # the headers are in: the request is in flight
    srv.proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    assert srv.proc.poll() is None  # still draining
    s.sendall(body[10:])
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    assert data.startswith(b"HTTP/1.1 201"), data[:200]
    assert srv.proc.wait(timeout=30) == 0
    msgs = [l.get("msg") for l in srv.log_lines()]
    assert "shutting down" in msgs and msgs[-1] == "stopped"


def test_migrate_command_reports_the_schema_version(tmp_path):
    out = subprocess.run([repright_bin(), "migrate", "--data-dir", str(tmp_path / "d")],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    first = json.loads(out.stdout)
    assert first["applied"] >= 1 and first["schema_version"] >= 1
    out = subprocess.run([repright_bin(), "migrate", "--data-dir", str(tmp_path / "d")],
                         capture_output=True, text=True, timeout=60)
    again = json.loads(out.stdout)
    assert again["applied"] == 0 and again["schema_version"] == first["schema_version"]


def test_migrate_refuses_a_damaged_database(tmp_path):
    """`repright migrate` ends with SQLite's integrity check: an index that no longer matches its
    table (here: its definition changed under it) is reported and the command fails."""
    import sqlite3
    data = tmp_path / "d"
    out = subprocess.run([repright_bin(), "migrate", "--data-dir", str(data)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    db = sqlite3.connect(str(data / "repright.db"))
    db.execute("INSERT INTO users(id, email, password_hash, role, created_at) "
               "VALUES (?, 'Ana@Example.COM', 'h', 'user', 1)", ("a" * 32,))
    db.commit()
    db.execute("PRAGMA writable_schema=ON")
    db.execute("UPDATE sqlite_master SET sql = replace(sql, 'lower(email)', 'email') "
               "WHERE name = 'users_email_ci'")
    db.commit()
    db.close()
    out = subprocess.run([repright_bin(), "migrate", "--data-dir", str(data)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0, out.stdout
    assert "repright migrate: integrity check: row 1 missing from index users_email_ci" \
        in out.stderr, out.stderr


def test_bad_configuration_is_a_usage_error(tmp_path):
    for args, env in ((["--port", "99999"], {}), (["--bogus"], {}), ([], {"REPRIGHT_WORKERS": "x"})):
        out = subprocess.run([repright_bin(), "serve", "--data-dir", str(tmp_path)] + args,
                             capture_output=True, text=True, timeout=30, env=env)
        assert out.returncode == 64, (args, env, out.stderr)
        assert "repright serve:" in out.stderr


def test_cli_help_and_migrate_usage_errors(tmp_path):
    for cmd in (["serve", "--help"], ["migrate", "--help"]):
        out = subprocess.run([repright_bin()] + cmd, capture_output=True, text=True, timeout=30)
        assert out.returncode == 0 and "usage: repright " + cmd[0] in out.stderr
    out = subprocess.run([repright_bin(), "migrate", "--bogus"], capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 64 and "unknown option" in out.stderr
    blocker = tmp_path / "file"
    blocker.write_text("x")
    out = subprocess.run([repright_bin(), "migrate", "--data-dir", str(blocker / "sub")],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 70, out.stderr
    out = subprocess.run([repright_bin(), "migrate", "--database-url", "nosuch:x"],
                         capture_output=True, text=True, timeout=30, cwd=tmp_path)
    assert out.returncode == 70 and "repright migrate:" in out.stderr
