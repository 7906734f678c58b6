"""What the blob store holds is checked before it is used (issue 15).

Found before the fix: a FIFO planted at a blob path blocked HTTP threads for ever (open() of a
FIFO waits for a writer) and would block the analysis worker the same way; a damaged original
was served as it was and analysed as it was; thumbnail links were advertised for a video with no
rep (no thumbnails exist) and then answered 404. Now blobs are opened with O_NONBLOCK and
fstat'ed (only a regular file is an object); an original whose size differs from its row is
never served, a whole-file GET re-checks its SHA-256 (ranged reads are size-checked only), and
the analysis verifies the SHA-256 and fails the job for good (no retry) with a clear error and
a log line; thumbnail links are listed only when the thumbnails exist. ~10 s, no models."""
import concurrent.futures
import os
import sqlite3
import time

import requests

from conftest import RELAXED_ENV, assert_error, new_user

ENV = dict(RELAXED_ENV, REPRIGHT_WORKERS="0", REPRIGHT_HTTP_THREADS="2")


def upload(u, data):
    r = u.post("/v1/videos", data=data, headers={"Content-Type": "video/mp4"})
    assert r.status_code == 201, r.text
    return r.json()["video_id"], r.json()["job_id"]


def obj(srv, key):
    return os.path.join(srv.data_dir, "data", "blobs", "objects", key)


def wait_job(u, jid, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        j = u.get("/v1/jobs/" + jid).json()
        if j["state"] in ("done", "dead"):
            return j
        time.sleep(0.1)
    raise AssertionError("job %s still %s" % (jid, j["state"]))


def test_a_fifo_at_a_blob_path_blocks_no_thread(server_factory):
    srv = server_factory(ENV)
    u = new_user(srv)
    vid, _ = upload(u, os.urandom(5000))
    path = obj(srv, "videos/%s/original" % vid)
    os.unlink(path)
    os.mkfifo(path)
    thumbs = obj(srv, "videos/%s/thumbs" % vid)
    os.makedirs(thumbs)
    os.mkfifo(os.path.join(thumbs, "best.jpg"))
    urls = ["/v1/videos/%s/original" % vid] * 4 + ["/v1/videos/%s/thumbs/best" % vid] * 2
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(len(urls)) as ex:  # more than the HTTP threads
        rs = list(ex.map(lambda p: u.get(p, timeout=5), urls))
    for r in rs:
        assert_error(r, 404)
    assert time.monotonic() - t0 < 5
    assert srv.get("/healthz", timeout=2).status_code == 200
    assert any(ev.get("msg") == "storage error" and ev.get("error") == "not a regular file"
               for ev in srv.log_lines())


def rebind(u, srv):
    """The same account on another server of the same data directory (same JWT secret)."""
    return type(u)(srv, u.email, u.password, {"user_id": u.id, "access_token": u.access,
                                              "refresh_token": u.refresh})


def test_a_fifo_original_fails_its_job_instead_of_hanging_the_worker(server_factory):
    srv = server_factory(ENV)
    u = new_user(srv)
    vid, jid = upload(u, os.urandom(5000))
    path = obj(srv, "videos/%s/original" % vid)
    os.unlink(path)
    os.mkfifo(path)
    d = os.path.join(srv.data_dir, "data")
    srv.stop()
    w = server_factory(dict(ENV, REPRIGHT_WORKERS="1"), args=["--data-dir", d])
    j = wait_job(rebind(u, w), jid)
    assert j["state"] == "dead" and j["attempts"] == 1, j
    assert "missing" in j["error"], j


def damage(path, offset=100):
    with open(path, "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 0xFF]))


def test_damaged_originals_are_not_served(server_factory):
    srv = server_factory(ENV)
    u = new_user(srv)
    data = os.urandom(100000)
    vid, _ = upload(u, data)
    url = "/v1/videos/%s/original" % vid
    assert u.get(url).content == data
    path = obj(srv, "videos/%s/original" % vid)
    damage(path)
    err = assert_error(u.get(url), 500, "storage_corrupt")
    assert "damaged" in err["message"]
    # ranged reads (a <video> element) are size-checked only: documented
    r = u.get(url, headers={"Range": "bytes=0-99"})
    assert r.status_code == 206
    with open(path, "r+b") as f:
        f.truncate(60000)
    assert_error(u.get(url, headers={"Range": "bytes=0-99"}), 500, "storage_corrupt")
    lines = [ev for ev in srv.log_lines() if ev.get("msg") == "blob integrity check failed"]
    assert [ev["mismatch"] for ev in lines] == ["sha256", "size"], lines
    assert all(ev["video_id"] == vid for ev in lines)


def test_a_damaged_original_fails_its_analysis_once_and_for_all(server_factory):
    srv = server_factory(ENV)
    u = new_user(srv)
    vid, jid = upload(u, os.urandom(100000))
    damage(obj(srv, "videos/%s/original" % vid))
    d = os.path.join(srv.data_dir, "data")
    srv.stop()
    w = server_factory(dict(ENV, REPRIGHT_WORKERS="1", REPRIGHT_JOB_MAX_ATTEMPTS="3"),
                       args=["--data-dir", d])
    wu = rebind(u, w)
    j = wait_job(wu, jid)
    assert j["state"] == "dead" and j["attempts"] == 1, j  # no retry can repair it
    assert "damaged" in j["error"] and "upload the video again" in j["error"], j
    v = wu.get("/v1/videos/" + vid).json()
    assert v["status"] == "failed" and "damaged" in v["error"], v
    lines = [ev for ev in w.log_lines() if ev.get("msg") == "blob integrity check failed"]
    assert lines and lines[0]["video_id"] == vid and lines[0]["sha256"], lines


def test_thumbnail_links_only_when_thumbnails_exist(server_factory):
    srv = server_factory(ENV)
    u = new_user(srv)
    vid, _ = upload(u, os.urandom(5000))
    d = os.path.join(srv.data_dir, "data")
    srv.stop()
    # what an analysis of a clip with no rep leaves: analysed, an overlay, no thumbnails
    db = sqlite3.connect(os.path.join(d, "repright.db"))
    db.execute("UPDATE videos SET status = 'analysed' WHERE id = ?", (vid,))
    db.commit()
    db.close()
    with open(os.path.join(d, "blobs", "objects", "videos", vid, "overlay.mp4"), "wb") as f:
        f.write(b"\0" * 100)
    srv = server_factory(ENV, args=["--data-dir", d])
    h = {"headers": u.headers}
    v = srv.get("/v1/videos/" + vid, **h).json()
    assert "overlay" in v["links"] and "thumb_best" not in v["links"] \
        and "thumb_worst" not in v["links"], v["links"]
    listed = srv.get("/v1/videos", **h).json()["items"][0]["links"]
    assert "thumb_best" not in listed, listed
    ml = srv.get("/v1/videos/%s/media-links" % vid, **h).json()
    assert "overlay" in ml and "thumb_best" not in ml and "thumb_worst" not in ml, ml
    for link in list(v["links"].values()) + [ml["overlay"]]:
        r = srv.get(link, **h)
        assert r.status_code in (200, 206, 404), (link, r.status_code)
        if "overlay" in link:
            assert r.status_code == 200
    # once thumbnails exist they are advertised, and they load
    os.makedirs(os.path.join(d, "blobs", "objects", "videos", vid, "thumbs"))
    for which in ("best", "worst"):
        with open(os.path.join(d, "blobs", "objects", "videos", vid, "thumbs", which + ".jpg"),
                  "wb") as f:
            f.write(b"\xff\xd8\xff\xd9")
    v = srv.get("/v1/videos/" + vid, **h).json()
    for which in ("thumb_best", "thumb_worst"):
        r = srv.get(v["links"][which], **h)
        assert r.status_code == 200 and r.content == b"\xff\xd8\xff\xd9"
    ml = srv.get("/v1/videos/%s/media-links" % vid, **h).json()
    r = requests.get(srv.url + ml["thumb_best"], timeout=10)
    assert r.status_code == 200
