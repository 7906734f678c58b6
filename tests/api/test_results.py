"""What a person does with an uploaded set (issue 14): choose the exercise at upload (tus
metadata or ?exercise=), "analyse again as..." (POST /v1/videos/{id}/analyze) which replaces the
workout, the overlay video and thumbnails only when asked (POST /v1/videos/{id}/render, a
render_video job; the analysis job ends without them), rename (PATCH /v1/workouts/{id}), rep
counts by verdict in the list, a can't-judge rep without a score, a set with no rep left out of
analytics, faults counted on bad reps only, and refusals that say why (a non-video file type at
tus create, a password the policy refuses). Real-clip cases skip when ../shared media or the
lite model are absent."""
import base64
import os
import time
import uuid

import pytest

from conftest import assert_error, new_user

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.environ.get("RR_SHARED_DIR", os.path.join(HERE, "..", "..", "..", "shared"))
CLIP = os.path.join(SHARED, "media", "videos", "squat_side_BAD_heels_k_i002.mp4")
MODEL_DIR = os.environ.get("REPRIGHT_MODEL_DIR",
                           os.path.join(os.path.expanduser("~"), ".cache", "repright", "models"))
TUS = {"Tus-Resumable": "1.0.0"}


def b64(s):
    return base64.b64encode(s.encode()).decode()


def require_media():
    if not os.path.exists(CLIP):
        pytest.skip("SKIP: %s is absent (../shared media not available)" % CLIP)
    for f in ("pose_detection.tflite", "pose_landmark_lite.tflite"):
        if not os.path.exists(os.path.join(MODEL_DIR, f)):
            pytest.skip("SKIP: model %s is absent from %s (scripts/setup.sh)" % (f, MODEL_DIR))
    with open(CLIP, "rb") as f:
        return f.read()


def wait_done(u, jid, timeout=60.0):
    deadline = time.monotonic() + timeout
    while True:
        j = u.get("/v1/jobs/" + jid).json()
        if j["state"] in ("done", "dead"):
            return j
        assert time.monotonic() < deadline, "job still %s after %.0f s" % (j["state"], timeout)
        time.sleep(0.2)


@pytest.fixture
def analysing(server_factory):
    return server_factory({"REPRIGHT_WORKERS": "1", "REPRIGHT_MODEL": "lite",
                           "REPRIGHT_MODEL_DIR": MODEL_DIR})


def tus_upload(u, data, meta):
    r = u.post("/v1/uploads", headers=dict(TUS, **{"Upload-Length": str(len(data)),
                                                   "Upload-Metadata": meta}))
    assert r.status_code == 201, r.text
    r = u.patch(r.headers["Location"], data=data, headers=dict(TUS, **{
        "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}))
    assert r.status_code == 204, r.text
    return r.headers["X-Video-Id"], r.headers["X-Job-Id"]


def test_the_exercise_chosen_at_upload_is_analysed_and_can_be_changed_after(analysing):
    data = require_media()
    u = new_user(analysing)
    vid, jid = tus_upload(u, data, "filename %s,filetype %s,exercise %s" % (
        b64("set.mp4"), b64("video/mp4"), b64("squat")))
    j = wait_done(u, jid)
    assert j["state"] == "done", j
    v = u.get("/v1/videos/" + vid).json()
    assert v["report"]["exercise"] == "squat"
    assert v["report"]["exercise_source"] == "given"
    first = v["workout_id"]
    assert u.patch("/v1/workouts/" + first, json={"name": "Leg day"}).status_code == 200

    # "analyse again as...": a new job with the exercise in its payload; one at a time
    r = u.post("/v1/videos/%s/analyze" % vid, json={"exercise": "lunge"})
    assert r.status_code == 202, r.text
    assert r.headers["Location"] == "/v1/jobs/" + r.json()["job_id"]
    busy = u.post("/v1/videos/%s/analyze" % vid, json={})
    if busy.status_code == 409:  # the first one had not finished yet
        assert_error(busy, 409, "analysis_running")
    j2 = wait_done(u, r.json()["job_id"])
    assert j2["state"] == "done", j2
    if busy.status_code == 202:
        wait_done(u, busy.json()["job_id"])
    v = u.get("/v1/videos/" + vid).json()
    items = u.get("/v1/workouts").json()["items"]
    assert len(items) == 1, items  # replaced, not added
    assert items[0]["id"] == v["workout_id"] != first
    assert items[0]["name"] == "Leg day"  # the name survives
    # recognition again (no exercise): back to a squat
    r = u.post("/v1/videos/%s/analyze" % vid, json={})
    assert r.status_code == 202, r.text
    assert wait_done(u, r.json()["job_id"])["state"] == "done"
    v = u.get("/v1/videos/" + vid).json()
    assert v["report"]["exercise_source"] == "recognised"
    assert v["report"]["exercise"] == "squat"
    # refusals
    assert_error(u.post("/v1/videos/%s/analyze" % vid, json={"exercise": "yoga"}), 422)
    assert_error(u.post("/v1/videos/%s/analyze" % vid, json={"speed": 2}), 400)
    other = new_user(analysing, tag="other")
    assert_error(other.post("/v1/videos/%s/analyze" % vid, json={}), 404)


def test_the_report_comes_without_the_overlay_which_is_made_when_asked(analysing):
    data = require_media()
    u = new_user(analysing)
    r = u.post("/v1/videos?exercise=squat", data=data, headers={"Content-Type": "video/mp4"})
    assert r.status_code == 201, r.text
    vid, jid = r.json()["video_id"], r.json()["job_id"]
    assert wait_done(u, jid)["state"] == "done"
    v = u.get("/v1/videos/" + vid).json()
    assert v["overlay"] is False
    assert "overlay" not in v["links"] and "thumb_best" not in v["links"]
    assert "overlay" not in u.get("/v1/videos/%s/media-links" % vid).json()
    assert_error(u.get("/v1/videos/%s/overlay" % vid), 404)
    stages = u.get("/v1/jobs/" + jid).json()
    assert stages["stage"] == "store", stages

    r = u.post("/v1/videos/%s/render" % vid)
    assert r.status_code == 202, r.text
    rj = r.json()["job_id"]
    again = u.post("/v1/videos/%s/render" % vid).json()
    if again["queued"] is False:
        assert again["job_id"] == rj  # the one on its way, not a second one
    j = wait_done(u, rj)
    assert j["state"] == "done" and j["kind"] == "render_video", j
    v = u.get("/v1/videos/" + vid).json()
    assert v["overlay"] is True
    assert v["render_job"]["state"] == "done"
    o = u.get("/v1/videos/%s/overlay" % vid)
    assert o.status_code == 200 and o.content[4:8] == b"ftyp"
    links = u.get("/v1/videos/%s/media-links" % vid).json()
    assert {"overlay", "thumb_best", "thumb_worst"} <= set(links)
    assert u.get(links["thumb_worst"]).content[:2] == b"\xff\xd8"

    # asked for at upload: the overlay follows the report on its own
    r = u.post("/v1/videos?overlay=1", data=data, headers={"Content-Type": "video/mp4"})
    vid2 = r.json()["video_id"]
    assert wait_done(u, r.json()["job_id"])["state"] == "done"
    deadline = time.monotonic() + 60
    while True:
        v2 = u.get("/v1/videos/" + vid2).json()
        if v2.get("overlay"):
            break
        assert time.monotonic() < deadline, v2
        time.sleep(0.3)


def test_render_is_refused_before_an_analysis_and_for_others(server_factory):
    srv = server_factory()  # no workers: the upload's analysis stays queued
    u = new_user(srv)
    r = u.post("/v1/videos", data=b"\x00" * 100, headers={"Content-Type": "video/mp4"})
    vid = r.json()["video_id"]
    assert_error(u.post("/v1/videos/%s/render" % vid), 409, "not_analysed")
    assert_error(u.post("/v1/videos/%s/analyze" % vid, json={}), 409, "analysis_running")
    other = new_user(srv, tag="other")
    assert_error(other.post("/v1/videos/%s/render" % vid), 404)
    assert_error(u.post("/v1/videos?exercise=dance", data=b"\x00", headers={"Content-Type": "video/mp4"}), 422)
    job = u.get("/v1/jobs/" + r.json()["job_id"]).json()
    assert job["kind"] == "analyze_video"


def test_a_non_video_file_type_is_refused_at_tus_create_with_words(server):
    u = new_user(server)
    meta = "filename %s,filetype %s" % (b64("notes.txt"), b64("text/plain"))
    r = u.post("/v1/uploads", headers=dict(TUS, **{"Upload-Length": "10", "Upload-Metadata": meta}))
    assert_error(r, 415, "unsupported_media_type")
    assert "not a video" in r.json()["error"]["message"]
    meta = "filename %s,filetype %s,exercise %s" % (b64("a.mp4"), b64("video/mp4"), b64("yoga"))
    r = u.post("/v1/uploads", headers=dict(TUS, **{"Upload-Length": "10", "Upload-Metadata": meta}))
    assert_error(r, 422)


def test_a_failed_analysis_says_why_once_in_plain_words(server):
    u = new_user(server)
    r = u.post("/v1/videos", data=b"hello, not a video " * 40, headers={"Content-Type": "video/mp4"})
    j = wait_done(u, r.json()["job_id"])
    assert j["state"] == "dead"
    assert j["error"] == ("this file is not a video RepRight can read: upload an mp4, mov, webm "
                          "or mkv clip")
    v = u.get("/v1/videos/" + r.json()["video_id"]).json()
    assert v["status"] == "failed" and v["error"] == j["error"]


def sync(u, day, exercise, reps, **extra):
    body = {"client_id": uuid.uuid4().hex, "started_at": day + "T10:00:00Z", "exercise": exercise,
            "reps": reps}
    body.update(extra)
    r = u.post("/v1/sync", json=body)
    assert r.status_code == 201, r.text
    return r.json()["workout_id"]


def test_rep_counts_by_verdict_rename_and_no_score_for_what_cannot_be_judged(server):
    u = new_user(server)
    wid = sync(u, "2026-03-02", "push_up", [
        {"t_start": 0, "t_end": 1, "score": 92, "verdict": "good"},
        {"t_start": 1, "t_end": 2, "score": 50, "verdict": "bad", "faults": ["hip_sag"]},
        {"t_start": 2, "t_end": 3, "score": 100, "verdict": "cannot_judge"}])
    item = u.get("/v1/workouts").json()["items"][0]
    assert item["reps"] == 3
    assert item["verdicts"] == {"good": 1, "bad": 1, "cannot_judge": 1}
    assert item["name"] == ""
    assert item["score"] == pytest.approx(71.0)  # the can't-judge rep is no score
    reps = u.get("/v1/workouts/" + wid).json()["sets"][0]["reps"]
    assert [r["score"] for r in reps] == [92, 50, None]

    r = u.patch("/v1/workouts/" + wid, json={"name": "Push-ups in the park"})
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "Push-ups in the park"
    assert u.get("/v1/workouts").json()["items"][0]["name"] == "Push-ups in the park"
    assert u.patch("/v1/workouts/" + wid, json={"name": ""}).json()["name"] == ""
    assert_error(u.patch("/v1/workouts/" + wid, json={"name": "x" * 81}), 422)
    assert_error(u.patch("/v1/workouts/" + wid, json={"name": "a\nb"}), 422)
    assert_error(u.patch("/v1/workouts/" + wid, json={"title": "x"}), 400)
    other = new_user(server, tag="other")
    assert_error(other.patch("/v1/workouts/" + wid, json={"name": "mine"}), 404)


def test_analytics_leave_out_empty_sets_and_count_faults_of_bad_reps_only(server):
    u = new_user(server)
    today = time.strftime("%Y-%m-%d", time.gmtime())
    # a set where nothing was counted (what an unrecognised analysis saves) counts nowhere
    sync(u, today, "squat", [])
    s = u.get("/v1/analytics/summary").json()
    assert s["totals"]["sessions"] == 0, s
    # a good rep whose stored faults list is not empty (older clients): its "fault" is a note
    sync(u, today, "push_up", [
        {"t_start": 0, "t_end": 1, "score": 90, "verdict": "good", "faults": ["incomplete_lockout"]},
        {"t_start": 1, "t_end": 2, "score": 40, "verdict": "bad", "faults": ["hip_sag"]}])
    s = u.get("/v1/analytics/summary").json()
    assert s["totals"]["sessions"] == 1 and s["totals"]["reps"] == 2, s
    faults = {f["fault"]: f["count"] for f in s["top_faults"]["push_up"]}
    assert faults == {"hip_sag": 1}, faults


def test_a_refused_password_says_why(server):
    r = server.post("/v1/auth/register", json={"email": "pw-%s@example.com" % uuid.uuid4().hex[:8],
                                               "password": "password"})
    assert_error(r, 422, "validation_failed")
    assert r.json()["error"]["message"] == "the password is too common, choose another"
