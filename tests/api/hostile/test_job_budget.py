"""Bounded analysis (issue 15): one greedy or hostile video cannot hold the worker.

Found before the fix: a 52 KB 4096x4096 clip cost seconds of the single worker per second of
video (tens of seconds once a person is in it: the overlay was encoded at 16 megapixels), a
long 60 fps one tens of minutes, with no per-job budget; and a hostile mp4 that made the decoder
run out of memory was retried 3 times. Now the job's cost is estimated before it starts (frames
x pixels x model) and refused over REPRIGHT_JOB_CPU_BUDGET_S with a clear error, at once and
for good; running out of memory while decoding is a permanent failure too. Fair scheduling
across users is covered by tests/unit/store/test_store_fair.c and
tests/unit/queue/test_worker_fair.c. ~10 s; the clip is made with ffmpeg (SKIP without it), the
out-of-memory case needs the lite model (SKIP without it)."""
import os
import shutil
import subprocess
import time

import pytest

from conftest import RELAXED_ENV, new_user

MODEL_DIR = os.environ.get("REPRIGHT_MODEL_DIR",
                           os.path.join(os.path.expanduser("~"), ".cache", "repright", "models"))


def make_clip(tmp_path, size, seconds, fps=30, src="color=c=gray"):
    ffmpeg = shutil.which("ffmpeg")
    if not ffmpeg:
        pytest.skip("SKIP: no ffmpeg to make the test clip")
    out = str(tmp_path / ("clip_%s_%ss.mp4" % (size, seconds)))
    subprocess.run([ffmpeg, "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "%s%ss=%s:r=%d:d=%s" % (src, ":" if "=" in src else "=", size, fps, seconds),
                    "-c:v", "libx264",
                    "-preset", "ultrafast", "-pix_fmt", "yuv420p", out], check=True, timeout=120)
    with open(out, "rb") as f:
        return f.read()


def upload(u, data):
    r = u.post("/v1/videos", data=data, headers={"Content-Type": "video/mp4"})
    assert r.status_code == 201, r.text
    return r.json()["video_id"], r.json()["job_id"]


def wait_job(u, jid, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        j = u.get("/v1/jobs/" + jid).json()
        if j["state"] in ("done", "dead"):
            return j
        time.sleep(0.1)
    raise AssertionError("job %s still %s after %s s" % (jid, j["state"], timeout))


def test_a_job_over_the_cpu_budget_is_refused_at_once(server_factory, tmp_path):
    clip = make_clip(tmp_path, "4096x4096", 2)  # ~52 KB, 60 frames of 16.8 megapixels
    assert len(clip) < 200000
    srv = server_factory(dict(RELAXED_ENV, REPRIGHT_WORKERS="1", REPRIGHT_JOB_CPU_BUDGET_S="2",
                              REPRIGHT_JOB_MAX_ATTEMPTS="3",
                              REPRIGHT_MODEL_DIR=str(tmp_path / "no-models")))
    u = new_user(srv)
    vid, jid = upload(u, clip)
    t0 = time.monotonic()
    j = wait_job(u, jid)
    assert time.monotonic() - t0 < 20
    assert j["state"] == "dead" and j["attempts"] == 1, j
    assert "too costly" in j["error"] and "4096x4096" in j["error"] and "2 s" in j["error"], j
    v = u.get("/v1/videos/" + vid).json()
    assert v["status"] == "failed" and "too costly" in v["error"], v
    lines = [ev for ev in srv.log_lines() if ev.get("msg") == "analysis refused: over the cost budget"]
    assert lines and lines[0]["video_id"] == vid and lines[0]["estimated_cpu_s"] > 2, lines


def test_running_out_of_memory_while_decoding_is_not_retried(server_factory, tmp_path):
    for f in ("pose_detection.tflite", "pose_landmark_lite.tflite"):
        if not os.path.exists(os.path.join(MODEL_DIR, f)):
            pytest.skip("SKIP: model %s is absent from %s (scripts/setup.sh)" % (f, MODEL_DIR))
    clip = make_clip(tmp_path, "320x240", 1, src="testsrc")
    # every packet the decoder gets "runs out of memory", as a hostile mp4's did
    srv = server_factory(dict(RELAXED_ENV, REPRIGHT_WORKERS="1", REPRIGHT_MODEL="lite",
                              REPRIGHT_MODEL_DIR=MODEL_DIR, REPRIGHT_JOB_MAX_ATTEMPTS="3",
                              REPRIGHT_FAULTS="video.nomem:1+"))
    u = new_user(srv)
    vid, jid = upload(u, clip)
    j = wait_job(u, jid)
    assert j["state"] == "dead" and j["attempts"] == 1, j
    assert "out of memory" in j["error"], j
    v = u.get("/v1/videos/" + vid).json()
    assert v["status"] == "failed", v
