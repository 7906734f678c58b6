"""A video whose analysis job is dead-lettered ends `failed` with an error message, never stuck in
`processing`: when the handler refuses the file, and when the job dies with its worker on its last
attempt (kill -9 of the server mid-job, restart: the job's lease expires on the last attempt, the
new server's worker dead-letters it and fails the video). Real clip + lite model (SKIP without)."""
import os
import signal
import time

import pytest

from conftest import new_user
from test_jobs import analysis_env, doomed_server, require_media, upload, wait_job  # noqa: F401


def test_a_refused_file_fails_its_video_with_the_reason(server_factory):
    require_media()
    srv = server_factory(analysis_env())
    u = new_user(srv)
    vid, jid = upload(u, b"this is not a video at all" * 100)
    j = wait_job(u, jid, timeout=60)
    assert j["state"] == "dead", j
    v = u.get("/v1/videos/" + vid).json()
    assert v["status"] == "failed"
    assert v["error"] == j["error"] and "not a video RepRight can read" in v["error"]
    listed = [x for x in u.get("/v1/videos").json()["items"] if x["id"] == vid]
    assert listed and listed[0]["status"] == "failed" and listed[0]["error"] == v["error"]


def test_a_job_that_dies_with_its_worker_on_the_last_attempt_fails_its_video(server_factory,
                                                                              doomed_server):
    data = require_media()
    env = analysis_env(REPRIGHT_JOB_LEASE_S="3", REPRIGHT_JOB_MAX_ATTEMPTS="1")
    srv = doomed_server(env)
    data_dir = os.path.join(srv.data_dir, "data")
    u = new_user(srv)
    vid, jid = upload(u, data)
    j = wait_job(u, jid, states=("running", "done", "dead"), timeout=60)
    deadline = time.monotonic() + 60
    while j["state"] == "running" and j["progress"] < 10 and time.monotonic() < deadline:
        time.sleep(0.1)
        j = u.get("/v1/jobs/" + jid).json()
    if j["state"] != "running":
        pytest.skip("SKIP: the job finished before it could be interrupted")
    assert u.get("/v1/videos/" + vid).json()["status"] == "processing"
    srv.stop(signal.SIGKILL)

    srv2 = server_factory(env, args=["--data-dir", data_dir])
    u.srv = srv2
    j = wait_job(u, jid, timeout=60)
    assert j["state"] == "dead" and j["attempts"] == 1, j
    assert "lease expired on the last attempt" in j["error"]
    deadline = time.monotonic() + 10
    v = u.get("/v1/videos/" + vid).json()
    while v["status"] != "failed" and time.monotonic() < deadline:
        time.sleep(0.1)
        v = u.get("/v1/videos/" + vid).json()
    assert v["status"] == "failed", v
    # the job keeps the technical reason; the video says it in plain words
    assert v["error"] == "the analysis stopped before it finished, once: try again later", v
    dead_logs = [e for e in srv2.log_lines() if e.get("msg") == "job dead"]
    assert any(e.get("job_id") == jid for e in dead_logs), dead_logs
