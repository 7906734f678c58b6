"""Upload leftovers and greedy users (issue 15).

Found before the fix: the temp-file and expired-upload sweeps had no caller, so a killed
upload's temp file survived a restart (as did an analysis job's scratch directory and an
abandoned tus upload past its expiry); and there was no per-user storage quota. Now a sweeper
runs at start and every REPRIGHT_SWEEP_INTERVAL_S; it removes only what no live writer holds
(a second server on the same data directory leaves the first one's upload in flight alone), and
uploads beyond REPRIGHT_STORAGE_QUOTA (videos + unfinished uploads) get 507 quota_exceeded.
~15 s."""
import os
import signal
import socket
import sqlite3
import time

import pytest

from conftest import RELAXED_ENV, _start, assert_error, new_user

SLOW_ENV = {"REPRIGHT_WORKERS": "0", "REPRIGHT_BODY_MIN_RATE": "0",
            "REPRIGHT_IDLE_TIMEOUT_S": "120"}


@pytest.fixture
def doomed_server(_tmp_root):
    """Servers this test may kill with SIGKILL (server_factory insists on a clean exit)."""
    started = []

    def start(extra_env=None, args=None):
        env = dict(RELAXED_ENV)
        env.update(SLOW_ENV)
        env.update(extra_env or {})
        srv = _start(_tmp_root, env, args)
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.stop(signal.SIGKILL)


def data_dir(srv):
    return os.path.join(srv.data_dir, "data")


def tmp_files(d):
    t = os.path.join(d, "blobs", "tmp")
    return sorted(f for f in os.listdir(t) if f.endswith(".tmp"))


def wait_for(cond, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def partial_upload(srv, user, total, first):
    """POST /v1/videos over a raw socket that sends `first` of `total` bytes and stays open."""
    port = int(srv.url.rsplit(":", 1)[1])
    s = socket.create_connection(("127.0.0.1", port))
    head = ("POST /v1/videos HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
            "Content-Type: video/mp4\r\nContent-Length: %d\r\n\r\n" % (user.access, total))
    s.sendall(head.encode() + first)
    return s


def swept(srv):
    return [ev for ev in srv.log_lines() if ev.get("msg") == "swept"]


def test_restart_sweeps_what_a_killed_server_left(doomed_server):
    a = doomed_server()
    d = data_dir(a)
    u = new_user(a)
    # an upload in flight when the server dies
    sock = partial_upload(a, u, 1000000, os.urandom(100000))
    wait_for(lambda: len(tmp_files(d)) == 1, what="the upload's temp file")
    # an abandoned tus upload with some bytes
    r = u.post("/v1/uploads", headers={"Tus-Resumable": "1.0.0", "Upload-Length": "5000"})
    assert r.status_code == 201, r.text
    loc = r.headers["Location"]
    up_id = loc.rsplit("/", 1)[1]
    r = u.patch(loc, data=b"x" * 1000, headers={"Tus-Resumable": "1.0.0", "Upload-Offset": "0",
                                                "Content-Type": "application/offset+octet-stream"})
    assert r.status_code == 204, r.text
    # a job's scratch directory (the worker died with it)
    scratch = os.path.join(d, "work", "job-abc123")
    os.makedirs(scratch)
    with open(os.path.join(scratch, "overlay.mp4"), "wb") as f:
        f.write(b"\0" * 4096)
    a.stop(signal.SIGKILL)
    sock.close()
    assert len(tmp_files(d)) == 1  # what the old code left for ever

    # the tus upload expires while the server is down
    db = sqlite3.connect(os.path.join(d, "repright.db"))
    db.execute("UPDATE uploads SET expires_at = 1000 WHERE id = ?", (up_id,))
    db.commit()
    db.close()
    assert os.path.exists(os.path.join(d, "uploads", up_id + ".part"))

    b = doomed_server(args=["--data-dir", d])
    assert tmp_files(d) == []
    assert not os.path.exists(scratch)
    assert not os.path.exists(os.path.join(d, "uploads", up_id + ".part"))
    r = b.request("HEAD", loc, headers=dict(u.headers, **{"Tus-Resumable": "1.0.0"}))
    assert r.status_code == 404
    lines = swept(b)
    assert lines and lines[0]["temp_files"] == 1 and lines[0]["scratch_dirs"] == 1 \
        and lines[0]["expired_uploads"] == 1, lines


def test_a_live_upload_is_never_swept_and_the_sweep_repeats(doomed_server):
    a = doomed_server()
    d = data_dir(a)
    u = new_user(a)
    payload = os.urandom(300000)
    sock = partial_upload(a, u, len(payload), payload[:100000])
    wait_for(lambda: len(tmp_files(d)) == 1, what="the upload's temp file")
    # a second process on the same data directory sweeps at start and every second
    b = doomed_server({"REPRIGHT_SWEEP_INTERVAL_S": "1"}, args=["--data-dir", d])
    stale = os.path.join(d, "blobs", "tmp", "w-00000000deadbeef.tmp")
    with open(stale, "wb") as f:  # no writer holds it: an orphan
        f.write(b"orphan")
    wait_for(lambda: not os.path.exists(stale), timeout=5, what="the periodic sweep")
    assert len(tmp_files(d)) == 1  # the live upload's temp is still there
    sock.sendall(payload[100000:])
    sock.settimeout(10)
    reply = b""
    while b"\r\n\r\n" not in reply:
        chunk = sock.recv(65536)
        assert chunk, reply
        reply += chunk
    sock.close()
    assert reply.startswith(b"HTTP/1.1 201"), reply[:200]
    items = u.get("/v1/videos").json()["items"]
    assert len(items) == 1
    r = u.get("/v1/videos/%s/original" % items[0]["id"])
    assert r.content == payload
    assert tmp_files(d) == []
    assert b.proc.poll() is None


def test_per_user_storage_quota(server_factory):
    srv = server_factory({"REPRIGHT_STORAGE_QUOTA": "100000", **RELAXED_ENV})
    u, other = new_user(srv), new_user(srv)

    def post(user, n, **kw):
        return user.post("/v1/videos", data=os.urandom(n) if isinstance(n, int) else n,
                         headers={"Content-Type": "video/mp4"}, **kw)

    r = post(u, 60000)
    assert r.status_code == 201, r.text
    first = r.json()["video_id"]
    err = assert_error(post(u, 50000), 507, "quota_exceeded")
    assert "60000 of 100000 bytes used, 50000 more" in err["message"], err
    tus = {"Tus-Resumable": "1.0.0"}
    assert_error(u.post("/v1/uploads", headers=dict(tus, **{"Upload-Length": "50000"})), 507,
                 "quota_exceeded")
    # an unfinished upload reserves its length: 60000 + 30000 leaves 10000
    r = u.post("/v1/uploads", headers=dict(tus, **{"Upload-Length": "30000"}))
    assert r.status_code == 201, r.text
    assert_error(post(u, 20000), 507, "quota_exceeded")

    def chunked():  # no Content-Length: refused when it reaches the quota
        for _ in range(5):
            yield os.urandom(10000)

    assert_error(post(u, chunked()), 507)
    # another user has a quota of their own
    assert post(other, 60000).status_code == 201
    # deleting makes room again
    assert u.delete("/v1/videos/" + first).status_code == 204
    r = post(u, 50000)
    assert r.status_code == 201, r.text
