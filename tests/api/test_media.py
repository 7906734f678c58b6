"""Videos and media downloads: HTTP Range on the original (206 / 416), the video list with
cursor pagination, derived media before analysis, delete (row and blobs), BOLA on every id
route."""
import hashlib

from conftest import assert_error


def blob(n, seed=1):
    out = bytearray()
    h = hashlib.sha256(b"media%d" % seed).digest()
    while len(out) < n:
        h = hashlib.sha256(h).digest()
        out += h
    return bytes(out[:n])


def upload(u, data):
    r = u.post("/v1/videos", data=data, headers={"Content-Type": "video/mp4"})
    assert r.status_code == 201, r.text
    return r.json()["video_id"]


def test_range_requests_on_the_original(user):
    data = blob(10_000)
    vid = upload(user, data)
    path = "/v1/videos/%s/original" % vid
    r = user.get(path)
    assert r.status_code == 200 and r.content == data
    assert r.headers["Accept-Ranges"] == "bytes"
    r = user.get(path, headers={"Range": "bytes=100-199"})
    assert r.status_code == 206
    assert r.content == data[100:200]
    assert r.headers["Content-Range"] == "bytes 100-199/10000"
    r = user.get(path, headers={"Range": "bytes=-10"})
    assert r.status_code == 206 and r.content == data[-10:]
    r = user.get(path, headers={"Range": "bytes=9990-"})
    assert r.status_code == 206 and r.content == data[9990:]
    r = user.get(path, headers={"Range": "bytes=10000-"})
    assert r.status_code == 416
    assert r.headers["Content-Range"] == "bytes */10000"
    r = user.get(path, headers={"Range": "bytes=50-40"})  # malformed: whole file
    assert r.status_code in (200, 416)


def test_video_list_pagination_and_limits(user):
    ids = [upload(user, blob(1000 + i, seed=10 + i)) for i in range(3)]
    r = user.get("/v1/videos", params={"limit": 2})
    assert r.status_code == 200, r.text
    p1 = r.json()
    assert [v["id"] for v in p1["items"]] == ids[::-1][:2]  # newest first
    assert p1["next_cursor"]
    p2 = user.get("/v1/videos", params={"limit": 2, "cursor": p1["next_cursor"]}).json()
    assert [v["id"] for v in p2["items"]] == [ids[0]]
    assert p2["next_cursor"] is None
    assert_error(user.get("/v1/videos", params={"limit": 101}), 400)
    assert_error(user.get("/v1/videos", params={"limit": "x"}), 400)
    assert_error(user.get("/v1/videos", params={"cursor": "garbage!"}), 400)
    v = p1["items"][0]
    assert v["links"]["original"] == "/v1/videos/%s/original" % v["id"]


def test_derived_media_before_analysis_and_bad_thumb_names(user):
    vid = upload(user, blob(500, seed=20))
    assert_error(user.get("/v1/videos/%s/overlay" % vid), 404)
    assert_error(user.get("/v1/videos/%s/thumbs/best" % vid), 404)
    assert_error(user.get("/v1/videos/%s/thumbs/middle" % vid), 404)


def test_other_users_get_404_on_every_video_route(user, other):
    vid = upload(user, blob(500, seed=30))
    for path in ("", "/original", "/overlay", "/thumbs/best"):
        assert_error(other.get("/v1/videos/%s%s" % (vid, path)), 404)
    assert_error(other.delete("/v1/videos/" + vid), 404)
    assert vid not in [v["id"] for v in other.get("/v1/videos").json()["items"]]
    assert user.get("/v1/videos/" + vid).status_code == 200
    r = user.get("/v1/videos/" + vid)
    job = None
    for j in user.get("/v1/jobs", params={"limit": 100}).json()["items"]:
        if j.get("video_id") == vid:
            job = j["id"]
    assert job
    assert_error(other.get("/v1/jobs/" + job), 404)
    assert_error(other.get("/v1/jobs/%s/events" % job), 404)
    assert r.json()["id"] == vid


def test_delete_removes_the_video_and_its_media(user):
    data = blob(2000, seed=40)
    vid = upload(user, data)
    assert user.get("/v1/videos/%s/original" % vid).content == data
    r = user.delete("/v1/videos/" + vid)
    assert r.status_code == 204, r.text
    assert_error(user.get("/v1/videos/" + vid), 404)
    assert_error(user.get("/v1/videos/%s/original" % vid), 404)
    assert_error(user.delete("/v1/videos/" + vid), 404)
    assert_error(user.get("/v1/videos/" + "f" * 32), 404)
