"""Analysis jobs end to end with a real clip from ../shared/media and the lite pose model: upload
-> job progresses (status and server-sent events) -> done -> the video is analysed with its
report, workout, overlay and thumbnails; kill -9 while the job runs -> after a restart on the
same data dir the job completes; a file that is not a video fails permanently with a message."""
import json
import os
import signal
import time

import pytest

from conftest import _start, assert_error, new_user

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.environ.get("RR_SHARED_DIR", os.path.join(HERE, "..", "..", "..", "shared"))
CLIP = os.path.join(SHARED, "media", "videos", "squat_side_BAD_heels_k_i002.mp4")
MODEL_DIR = os.environ.get("REPRIGHT_MODEL_DIR",
                           os.path.join(os.path.expanduser("~"), ".cache", "repright", "models"))


@pytest.fixture
def doomed_server(_tmp_root):
    """Servers this test kills with SIGKILL itself (server_factory requires a clean exit)."""
    started = []

    def start(extra_env=None, args=None):
        env = {"REPRIGHT_WORKERS": "0"}
        env.update(extra_env or {})
        srv = _start(_tmp_root, env, args)
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.stop(signal.SIGKILL)


def require_media():
    if not os.path.exists(CLIP):
        pytest.skip("SKIP: %s is absent (../shared media not available)" % CLIP)
    for f in ("pose_detection.tflite", "pose_landmark_lite.tflite"):
        if not os.path.exists(os.path.join(MODEL_DIR, f)):
            pytest.skip("SKIP: model %s is absent from %s (scripts/setup.sh)" % (f, MODEL_DIR))
    with open(CLIP, "rb") as f:
        return f.read()


def analysis_env(**extra):
    env = {"REPRIGHT_WORKERS": "1", "REPRIGHT_MODEL": "lite", "REPRIGHT_MODEL_DIR": MODEL_DIR}
    env.update(extra)
    return env


def upload(u, data):
    r = u.post("/v1/videos", data=data, headers={"Content-Type": "video/mp4"})
    assert r.status_code == 201, r.text
    return r.json()["video_id"], r.json()["job_id"]


def wait_job(u, jid, states=("done", "dead"), timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        j = u.get("/v1/jobs/" + jid).json()
        if j["state"] in states or time.monotonic() > deadline:
            return j
        time.sleep(0.2)


def read_events(u, jid, timeout=120):
    """Follow /events (reconnecting at the stream's time bound) until done/dead."""
    events = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = u.get("/v1/jobs/%s/events" % jid, stream=True, timeout=60)
        assert r.status_code == 200
        assert r.headers["Content-Type"].startswith("text/event-stream")
        name = None
        for line in r.iter_lines(decode_unicode=True):
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                events.append((name, json.loads(line[6:])))
                if name in ("done", "dead"):
                    r.close()
                    return events
        r.close()
    return events


def test_a_real_clip_is_analysed_with_progress_events(server_factory):
    data = require_media()
    srv = server_factory(analysis_env())
    u = new_user(srv)
    vid, jid = upload(u, data)
    events = read_events(u, jid)
    assert events and events[-1][0] == "done", events
    progress = [e[1]["progress"] for e in events if e[0] == "progress"]
    assert progress == sorted(progress)  # monotone
    assert events[-1][1]["progress"] == 100
    j = u.get("/v1/jobs/" + jid).json()
    assert j["state"] == "done" and j["attempts"] == 1 and j["progress"] == 100
    assert j["error"] is None
    v = u.get("/v1/videos/" + vid).json()
    assert v["status"] == "analysed"
    assert v["duration_ms"] > 1000
    assert v["report"]["exercise"] == "squat"
    assert len(v["workout_id"]) == 32
    # the report is out without the overlay and thumbnails: they are made when asked
    assert not set(v["links"]) & {"overlay", "thumb_best", "thumb_worst"}, v["links"]
    r = u.post("/v1/videos/%s/render" % vid)
    assert r.status_code == 202, r.text
    assert wait_job(u, r.json()["job_id"], timeout=60)["state"] == "done"
    v = u.get("/v1/videos/" + vid).json()
    assert set(v["links"]) >= {"overlay", "thumb_best", "thumb_worst"}
    r = u.get(v["links"]["thumb_best"])
    assert r.status_code == 200 and r.content[:2] == b"\xff\xd8"
    r = u.get(v["links"]["overlay"], headers={"Range": "bytes=0-99"})
    assert r.status_code == 206 and len(r.content) == 100
    # a finished job's stream answers at once with its final event
    again = read_events(u, jid, timeout=10)
    assert [e[0] for e in again] == ["done"]
    assert_error(u.get("/v1/jobs/%s/events" % jid, params={"timeout": 0}), 400)


def test_a_file_that_is_not_a_video_fails_permanently(server_factory):
    require_media()
    srv = server_factory(analysis_env())
    u = new_user(srv)
    vid, jid = upload(u, b"this is not a video at all" * 100)
    j = wait_job(u, jid, timeout=60)
    assert j["state"] == "dead" and j["attempts"] == 1, j
    assert "not a video RepRight can read" in j["error"]
    assert u.get("/v1/videos/" + vid).json()["status"] == "failed"


def test_kill_9_while_the_job_runs_then_restart_completes_it(server_factory, doomed_server):
    data = require_media()
    env = analysis_env(REPRIGHT_JOB_LEASE_S="3")
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
    srv.stop(signal.SIGKILL)

    srv2 = server_factory(env, args=["--data-dir", data_dir])
    u.srv = srv2
    j = wait_job(u, jid, timeout=120)
    assert j["state"] == "done", j
    assert j["attempts"] == 2  # the dead server's attempt counted, its lease expired
    v = u.get("/v1/videos/" + vid).json()
    assert v["status"] == "analysed"
    assert v["report"]["exercise"] == "squat"


def test_job_status_list_and_a_bounded_event_stream_without_workers(server_factory):
    srv = server_factory()  # no workers: the job stays queued
    u = new_user(srv)
    vid, jid = upload(u, b"\x00" * 1000)
    j = u.get("/v1/jobs/" + jid).json()
    assert j["state"] == "queued" and j["attempts"] == 0 and j["progress"] == 0
    assert j["video_id"] == vid and j["error"] is None
    lst = u.get("/v1/jobs", params={"limit": 1}).json()
    assert [x["id"] for x in lst["items"]] == [jid] and lst["next_cursor"] is None
    assert_error(u.get("/v1/jobs", params={"limit": 0}), 422, "validation_failed")
    assert_error(u.get("/v1/jobs", params={"cursor": "%%%"}), 422, "validation_failed")
    assert_error(u.get("/v1/jobs/" + "0" * 32), 404)
    assert_error(u.get("/v1/jobs/%s/events" % jid, params={"timeout": "x"}), 400)
    t0 = time.monotonic()
    r = u.get("/v1/jobs/%s/events" % jid, params={"timeout": 1}, stream=True, timeout=30)
    names = [line[7:] for line in r.iter_lines(decode_unicode=True) if line.startswith("event: ")]
    assert names == ["progress", "timeout"], names
    assert time.monotonic() - t0 < 5
    assert u.get("/healthz").status_code == 200
    # an open stream does not hold up other requests
    r = u.get("/v1/jobs/%s/events" % jid, params={"timeout": 3}, stream=True, timeout=30)
    for _ in range(8):
        t0 = time.monotonic()
        assert u.get("/v1/jobs/" + jid).status_code == 200
        assert time.monotonic() - t0 < 0.5
    r.close()
