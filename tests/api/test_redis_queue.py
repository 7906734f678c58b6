"""The scale-out queue on a real Redis: `repright serve --queue-url redis://...` (no embedded
workers) takes the upload, a separate `repright worker --queue-url redis://...` process on the
same data dir takes the job from the Redis stream and analyses the clip; the job's progress is
followed over server-sent events from `serve` while the other process runs it; afterwards every
stream token is acknowledged. kill -9 of the worker process mid-job: another worker process takes
the job over (its token by XAUTOCLAIM, the job at lease expiry) and finishes it, one workout.
Login throttling states live in the same Redis: bad passwords
counted by one `serve` get the client refused by another (separate databases, so only Redis
connects them). A redis:// URL nobody answers stops serve at start with a message naming host
and port and never the password. SKIP without redis-server."""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import new_user, repright_bin
from test_jobs import MODEL_DIR, read_events, require_media, upload, wait_job

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_cmd(port, *args):
    """One command over RESP; the reply line(s) as text."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        out = "*%d\r\n" % len(args) + "".join("$%d\r\n%s\r\n" % (len(a), a) for a in args)
        s.sendall(out.encode())
        return s.recv(65536).decode(errors="replace")


@pytest.fixture
def redis_port(tmp_path):
    if not os.access(REDIS_SERVER, os.X_OK):
        pytest.skip("SKIP: no redis-server (Debian: redis-server)")
    port = free_port()
    proc = subprocess.Popen([REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1",
                             "--dir", str(tmp_path), "--save", "", "--appendonly", "no",
                             "--logfile", str(tmp_path / "redis.log")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            if "PONG" in redis_cmd(port, "PING"):
                break
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("redis-server did not start")
        time.sleep(0.05)
    yield port
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)


def test_serve_and_a_worker_process_share_the_redis_queue(server_factory, redis_port):
    data = require_media()
    url = "redis://127.0.0.1:%d/0" % redis_port
    srv = server_factory({"REPRIGHT_WORKERS": "0"}, ["--queue-url", url])
    u = new_user(srv)
    vid, jid = upload(u, data)
    assert redis_cmd(redis_port, "XLEN", "repright:jobs").strip() == ":1"  # its token

    env = dict(os.environ, REPRIGHT_MODEL="lite", REPRIGHT_MODEL_DIR=MODEL_DIR)
    for k in ("REPRIGHT_QUEUE_URL", "REPRIGHT_WORKERS"):
        env.pop(k, None)
    log_path = os.path.join(srv.data_dir, "worker.log")
    with open(log_path, "wb") as logf:
        worker = subprocess.Popen([repright_bin(), "worker", "--workers", "1", "--queue-url", url,
                                   "--data-dir", os.path.join(srv.data_dir, "data")],
                                  stdout=subprocess.DEVNULL, stderr=logf, env=env)
    try:
        events = read_events(u, jid)  # from serve, while the worker process runs the job
        assert events and events[-1][0] == "done", events
        progress = [e[1]["progress"] for e in events if e[0] == "progress"]
        assert len(progress) >= 2 and progress == sorted(progress), progress
        j = wait_job(u, jid)
        assert j["state"] == "done" and j["attempts"] == 1, j
        v = u.get("/v1/videos/" + vid).json()
        assert v["status"] == "analysed"
        assert v["report"]["exercise"] == "squat"
    finally:
        worker.send_signal(signal.SIGTERM)
        rc = worker.wait(timeout=60)
    with open(log_path, errors="replace") as f:
        log = f.read()
    assert rc == 0, log
    assert '"queue: redis"' in log and '"job done"' in log, log
    assert "ERROR: AddressSanitizer" not in log and "runtime error" not in log
    assert redis_cmd(redis_port, "XLEN", "repright:jobs").strip() == ":0"  # acknowledged


def start_worker(srv, url, name, lease_s=None):
    env = dict(os.environ, REPRIGHT_MODEL="lite", REPRIGHT_MODEL_DIR=MODEL_DIR)
    for k in ("REPRIGHT_QUEUE_URL", "REPRIGHT_WORKERS", "REPRIGHT_JOB_LEASE_S"):
        env.pop(k, None)
    if lease_s:
        env["REPRIGHT_JOB_LEASE_S"] = str(lease_s)
    log_path = os.path.join(srv.data_dir, name + ".log")
    with open(log_path, "wb") as logf:
        proc = subprocess.Popen([repright_bin(), "worker", "--workers", "1", "--queue-url", url,
                                 "--data-dir", os.path.join(srv.data_dir, "data")],
                                stdout=subprocess.DEVNULL, stderr=logf, env=env)
    return proc, log_path


def test_kill_9_a_worker_mid_job_and_another_worker_finishes_it(server_factory, redis_port):
    data = require_media()
    url = "redis://127.0.0.1:%d/0?takeover_ms=1000" % redis_port
    srv = server_factory({"REPRIGHT_WORKERS": "0", "REPRIGHT_JOB_LEASE_S": "3"},
                         ["--queue-url", url])
    u = new_user(srv)
    vid, jid = upload(u, data)
    first, _ = start_worker(srv, url, "worker1", lease_s=3)
    second = None
    try:
        j = wait_job(u, jid, states=("running", "done", "dead"), timeout=60)
        deadline = time.monotonic() + 60
        while j["state"] == "running" and j["progress"] < 10 and time.monotonic() < deadline:
            time.sleep(0.1)
            j = u.get("/v1/jobs/" + jid).json()
        if j["state"] != "running":
            pytest.skip("SKIP: the job finished before it could be interrupted")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        second, log_path = start_worker(srv, url, "worker2", lease_s=3)
        j = wait_job(u, jid, timeout=120)
        assert j["state"] == "done", j
        assert j["attempts"] == 2, j  # the killed worker's attempt counted
        v = u.get("/v1/videos/" + vid).json()
        assert v["status"] == "analysed"
        mine = [w for w in u.get("/v1/workouts").json()["items"] if w.get("video_id") == vid]
        assert len(mine) == 1, mine  # exactly one workout
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(timeout=30)
        if second is not None:
            second.send_signal(signal.SIGTERM)
            assert second.wait(timeout=60) == 0
    assert redis_cmd(redis_port, "XLEN", "repright:jobs").strip() == ":0"


def test_login_throttling_is_shared_by_instances_through_redis(server_factory, redis_port):
    url = "redis://127.0.0.1:%d/0" % redis_port
    env = {"REPRIGHT_QUEUE_URL": url, "REPRIGHT_LOGIN_IP_LIMIT": "3"}
    a = server_factory(env)
    b = server_factory(env)  # its own data dir and database: Redis is all they share
    body = {"email": "nobody-%d@example.com" % os.getpid(), "password": "wrong password 123"}
    for _ in range(3):
        assert a.post("/v1/auth/login", json=body).status_code == 401
    r = b.post("/v1/auth/login", json=body)
    assert r.status_code == 429, r.text
    assert int(r.headers["Retry-After"]) >= 1
    keys = redis_cmd(redis_port, "KEYS", "repright:rl:*")
    assert keys.startswith("*") and not keys.startswith("*0"), keys


def test_an_unreachable_redis_stops_serve_with_a_clear_message(_tmp_root):
    port = free_port()  # nothing listens there
    url = "redis://:s3cr3t-pass@127.0.0.1:%d/0" % port
    data_dir = tempfile.mkdtemp(prefix="srv-", dir=_tmp_root)
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPRIGHT_")}
    p = subprocess.run([repright_bin(), "serve", "--port", "0", "--queue-url", url,
                        "--data-dir", os.path.join(data_dir, "data")],
                       capture_output=True, env=env, timeout=60)
    out = (p.stdout + p.stderr).decode(errors="replace")
    assert p.returncode != 0, out
    assert "cannot reach redis at 127.0.0.1:%d" % port in out, out
    assert "s3cr3t-pass" not in out, out
