"""Deleting an analysed video deletes everything derived from it (app_delete_video): the video
and its media, its analysis job, its workout, and the analytics that workout made; re-uploading
and analysing the same clip then counts once again. Another user cannot delete it. Real clip +
lite model (SKIP without)."""
from conftest import assert_error, new_user
from test_e2e_history import MODEL_DIR, require_media, wait_done


def analysed(u, data):
    r = u.post("/v1/videos", data=data, headers={"Content-Type": "video/mp4"})
    assert r.status_code == 201, r.text
    vid, jid = r.json()["video_id"], r.json()["job_id"]
    assert wait_done(u, jid)["state"] == "done"
    return vid, jid


def test_deleting_an_analysed_video_takes_its_workout_job_and_analytics(server_factory):
    data = require_media()
    srv = server_factory({"REPRIGHT_WORKERS": "1", "REPRIGHT_MODEL": "lite",
                          "REPRIGHT_MODEL_DIR": MODEL_DIR})
    u, other = new_user(srv), new_user(srv)
    vid, jid = analysed(u, data)
    v = u.get("/v1/videos/" + vid).json()
    wid = v["workout_id"]
    jobs = u.get("/v1/jobs").json()["items"]
    assert [j["video_id"] for j in jobs if j["id"] == jid] == [vid]  # the job's own column
    assert u.get("/v1/analytics/summary").json()["totals"]["sessions"] == 1

    assert_error(other.delete("/v1/videos/" + vid), 404)
    assert u.get("/v1/workouts/" + wid).status_code == 200

    r = u.delete("/v1/videos/" + vid)
    assert r.status_code == 204, r.text
    assert_error(u.get("/v1/videos/" + vid), 404)
    assert_error(u.get("/v1/videos/%s/report" % vid), 404)
    assert_error(u.get("/v1/videos/%s/overlay" % vid), 404)
    assert_error(u.get("/v1/jobs/" + jid), 404)
    assert_error(u.get("/v1/workouts/" + wid), 404)
    assert u.get("/v1/workouts").json()["items"] == []
    totals = u.get("/v1/analytics/summary").json()["totals"]
    assert totals["sessions"] == 0 and totals["reps"] == 0, totals

    # the same clip again is a new video, analysed and counted once
    vid2, _ = analysed(u, data)
    assert vid2 != vid
    assert u.get("/v1/analytics/summary").json()["totals"]["sessions"] == 1
    # deleting the workout takes the video with it
    wid2 = u.get("/v1/videos/" + vid2).json()["workout_id"]
    assert u.delete("/v1/workouts/" + wid2).status_code == 204
    assert_error(u.get("/v1/videos/" + vid2), 404)
    assert u.get("/v1/analytics/summary").json()["totals"]["sessions"] == 0
