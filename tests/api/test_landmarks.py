"""The analysis outputs the dashboard replays: GET /v1/videos/{id}/landmarks (the compact replay
track, "repright.pose/1" as landmarks_file_write_track writes it: docs/landmarks-format.md,
docs/internals/web.md) and GET /v1/videos/{id}/report, from a real
analysed clip (squat_side_BAD_heels_k_i002.mp4); owner only (other users 404, anonymous 401);
404 before analysis; gone with the video. Skips without ../shared media or the lite model."""
from conftest import assert_error, new_user
from test_e2e_history import MODEL_DIR, require_media, wait_done


def test_landmark_track_and_report_of_an_analysed_clip(server_factory):
    data = require_media()
    srv = server_factory({"REPRIGHT_WORKERS": "1", "REPRIGHT_MODEL": "lite",
                          "REPRIGHT_MODEL_DIR": MODEL_DIR})
    u = new_user(srv)
    other = new_user(srv)
    r = u.post("/v1/videos", data=data, headers={"Content-Type": "video/mp4"})
    assert r.status_code == 201, r.text
    vid, jid = r.json()["video_id"], r.json()["job_id"]
    assert wait_done(u, jid)["state"] == "done"

    v = u.get("/v1/videos/" + vid).json()
    assert v["links"]["landmarks"] == "/v1/videos/%s/landmarks" % vid
    assert v["links"]["report"] == "/v1/videos/%s/report" % vid

    r = u.get("/v1/videos/%s/report" % vid)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json() == v["report"]

    r = u.get("/v1/videos/%s/landmarks" % vid)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    track = r.json()
    assert track["schema"] == "repright.pose/1"
    assert (track["width"], track["height"]) == (1280, 720)
    assert 20 < track["fps"] < 61
    frames = track["frames"]
    assert len(frames) == v["report"]["frames"]["total"]  # short clip: every frame
    times = [f["t_ms"] for f in frames]
    assert times == sorted(times) and times[0] >= 0
    assert abs(times[-1] / 1000.0 - v["report"]["duration_s"]) < 0.2
    posed = [f for f in frames if f["pose"]]
    assert len(posed) >= 0.9 * len(frames)
    for f in posed:
        assert 0 <= f["score"] <= 1
        assert "world_landmarks" not in f  # the track carries the image landmarks only
        lm = f["landmarks"]
        assert len(lm) == 33
        for p in lm:
            if p is None:  # not found
                continue
            assert len(p) == 4  # x, y, z, visibility
            assert -0.5 < p[0] < 1.5 and -0.5 < p[1] < 1.5
            assert 0 <= p[3] <= 1
    # a squat seen from the side: hips (23/24) above knees (25/26) above ankles (27/28)
    mid = posed[len(posed) // 2]["landmarks"]
    assert mid[23][1] < mid[27][1] and mid[25][1] < mid[27][1]
    assert len(r.content) < 1000 * len(frames)  # compact: well under 1 KB per frame

    for path in ("landmarks", "report"):
        assert_error(other.get("/v1/videos/%s/%s" % (vid, path)), 404, "not_found")
        assert_error(srv.get("/v1/videos/%s/%s" % (vid, path)), 401)

    assert u.delete("/v1/videos/" + vid).status_code == 204
    assert_error(u.get("/v1/videos/%s/landmarks" % vid), 404)


def test_landmarks_and_report_are_404_before_analysis(user):
    r = user.post("/v1/videos", data=b"\x00" * 512, headers={"Content-Type": "video/mp4"})
    assert r.status_code == 201, r.text
    vid = r.json()["video_id"]
    assert_error(user.get("/v1/videos/%s/landmarks" % vid), 404, "not_found")
    assert_error(user.get("/v1/videos/%s/report" % vid), 404, "not_found")
    assert_error(user.get("/v1/videos/%s/landmarks" % ("0" * 32)), 404, "not_found")
