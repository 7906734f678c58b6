"""End to end from a real clip to history: upload squat_side_BAD_heels_k_i002.mp4 (a squat with
the heels rising) -> the analysis job finishes -> the workout list, the workout detail (one rep
with the heels_rise fault), the analytics summary (one session, one rep of squat) and the records
all reflect that single analysed video. Skips when ../shared media or the lite pose model are
absent."""
import os
import time

import pytest

from conftest import new_user

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.environ.get("RR_SHARED_DIR", os.path.join(HERE, "..", "..", "..", "shared"))
CLIP = os.path.join(SHARED, "media", "videos", "squat_side_BAD_heels_k_i002.mp4")
MODEL_DIR = os.environ.get("REPRIGHT_MODEL_DIR",
                           os.path.join(os.path.expanduser("~"), ".cache", "repright", "models"))
JOB_TIMEOUT_S = 50.0


def require_media():
    if not os.path.exists(CLIP):
        pytest.skip("SKIP: %s is absent (../shared media not available)" % CLIP)
    for f in ("pose_detection.tflite", "pose_landmark_lite.tflite"):
        if not os.path.exists(os.path.join(MODEL_DIR, f)):
            pytest.skip("SKIP: model %s is absent from %s (scripts/setup.sh)" % (f, MODEL_DIR))
    with open(CLIP, "rb") as f:
        return f.read()


def wait_done(u, jid):
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while True:
        j = u.get("/v1/jobs/" + jid).json()
        if j["state"] in ("done", "dead"):
            return j
        assert time.monotonic() < deadline, "job still %s after %.0f s" % (j["state"],
                                                                         JOB_TIMEOUT_S)
        time.sleep(0.2)


def test_an_analysed_clip_shows_up_in_workouts_analytics_and_records(server_factory):
    data = require_media()
    srv = server_factory({"REPRIGHT_WORKERS": "1", "REPRIGHT_MODEL": "lite",
                          "REPRIGHT_MODEL_DIR": MODEL_DIR})
    u = new_user(srv)
    r = u.post("/v1/videos", data=data, headers={"Content-Type": "video/mp4"})
    assert r.status_code == 201, r.text
    vid, jid = r.json()["video_id"], r.json()["job_id"]
    j = wait_done(u, jid)
    assert j["state"] == "done", j

    v = u.get("/v1/videos/" + vid).json()
    assert v["status"] == "analysed", v

    r = u.get("/v1/workouts")
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert len(items) == 1, items
    w = items[0]
    assert w["exercise"] == "squat"
    assert w["id"] == v["workout_id"]

    r = u.get("/v1/workouts/" + w["id"])
    assert r.status_code == 200, r.text
    detail = r.json()
    assert detail["exercise"] == "squat"
    reps = [rep for s in detail["sets"] for rep in s["reps"]]
    assert len(reps) == 1, detail
    assert "heels_rise" in reps[0]["faults"], reps[0]

    r = u.get("/v1/analytics/summary", params={"exercise": "squat"})
    assert r.status_code == 200, r.text
    totals = r.json()["totals"]
    assert totals["sessions"] == 1 and totals["reps"] == 1, r.json()
    everything = u.get("/v1/analytics/summary").json()["totals"]
    assert everything["sessions"] == 1 and everything["reps"] == 1, everything

    r = u.get("/v1/analytics/records")
    assert r.status_code == 200, r.text
    recs = r.json()["records"]
    squat = [rec for rec in recs if rec["exercise"] == "squat"]
    assert squat, recs
    assert all(rec["workout_id"] == w["id"] for rec in squat), squat
