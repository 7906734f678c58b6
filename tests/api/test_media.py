"""Videos and media downloads: HTTP Range on the original (206 / 416), the video list with
cursor pagination, derived media before analysis, delete (row and blobs), BOLA on every id
route."""
import hashlib
import hmac
import time
from urllib.parse import parse_qs, urlsplit

from conftest import JWT_TEST_SECRET_HEX, assert_error


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
    assert_error(user.get("/v1/videos", params={"limit": 101}), 422, "validation_failed")
    assert_error(user.get("/v1/videos", params={"limit": "x"}), 422, "validation_failed")
    assert_error(user.get("/v1/videos", params={"cursor": "garbage!"}), 422, "validation_failed")
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


def media_key():
    """The server's link key: HMAC-SHA256(secret, "repright/media-url") (auth/secret.h)."""
    return hmac.new(bytes.fromhex(JWT_TEST_SECRET_HEX), b"repright/media-url",
                    hashlib.sha256).digest()


def sign(path, uid, exp):
    msg = b"repright-media/1\nGET\n%s\n%s\n%d" % (path.encode(), uid.encode(), exp)
    return hmac.new(media_key(), msg, hashlib.sha256).hexdigest()


def test_signed_media_links_stream_without_a_bearer_header(user, other):
    data = blob(50_000, seed=50)
    vid = upload(user, data)
    r = user.get("/v1/videos/%s/media-links" % vid)
    assert r.status_code == 200, r.text
    assert r.headers["Cache-Control"] == "no-store"
    links = r.json()
    now = int(time.time())
    assert links["ttl_s"] == 7200 and now + 7100 <= links["expires_at"] <= now + 7300
    assert "overlay" not in links and "thumb_best" not in links  # not analysed
    url = links["original"]
    path = "/v1/videos/%s/original" % vid
    assert urlsplit(url).path == path
    q = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert q["uid"] == user.id and q["exp"] == str(links["expires_at"])
    assert q["sig"] == sign(path, user.id, links["expires_at"])  # the documented construction

    srv = user.srv
    r = srv.request("GET", url)  # no Authorization header, as a <video> element
    assert r.status_code == 200 and r.content == data
    r = srv.request("GET", url, headers={"Range": "bytes=1000-1999"})
    assert r.status_code == 206 and r.content == data[1000:2000]
    assert r.headers["Content-Range"] == "bytes 1000-1999/50000"
    assert srv.request("HEAD", url).status_code == 200

    def refused(u, method="GET"):
        assert_error(srv.request(method, u), 401)

    refused(url.replace(q["sig"], q["sig"][:-1] + ("0" if q["sig"][-1] != "0" else "1")))
    refused(url.replace("/original?", "/overlay?"))             # bound to its path
    refused(url.replace("/original?", "?"))                     # not the video's JSON either
    refused(url.replace("uid=" + user.id, "uid=" + other.id))  # bound to its user
    refused(url.replace("exp=%d" % links["expires_at"], "exp=%d" % (links["expires_at"] + 1)))
    refused(url.replace("&sig=" + q["sig"], ""))
    refused(url.replace("/original?", "?"), method="DELETE")   # GET and HEAD only
    # a correctly signed link that has expired, or that claims to live too long
    old = now - 10
    refused("%s?uid=%s&exp=%d&sig=%s" % (path, user.id, old, sign(path, user.id, old)))
    far = now + 2 * 86400
    refused("%s?uid=%s&exp=%d&sig=%s" % (path, user.id, far, sign(path, user.id, far)))
    # a valid signature for another user's path proves nothing about this video
    other_path = "/v1/videos/%s/original" % vid
    forged = "%s?uid=%s&exp=%d&sig=%s" % (other_path, other.id, now + 60,
                                          sign(other_path, other.id, now + 60))
    assert_error(srv.request("GET", forged), 404)  # authenticated as other: not their video
    # a link never widens a Bearer caller, and the Bearer header wins over a link
    assert_error(other.get(url), 404)
    assert_error(other.get("/v1/videos/%s/media-links" % vid), 404)
    # after delete the link finds nothing
    assert user.delete("/v1/videos/" + vid).status_code == 204
    assert_error(srv.request("GET", url), 404)
