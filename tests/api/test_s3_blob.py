"""repright serve on an S3 blob store (REPRIGHT_BLOB_URL=s3://...): s3rver (npm) started here on a
random loopback port behind our independent SigV4 check (tests/support/s3_server.mjs). A real
clip goes up through tus, is analysed by the worker (which reads it back from S3), its media are
served as 302 redirects to presigned S3 links after the owner check (ranged GET on the link
works, another user gets 404 and no link), and deleting the video removes every object derived
from it from the bucket. The secret never reaches the server's log. Skips without node,
web/node_modules/s3rver, ../shared media or the lite model."""
import os
import secrets
import shutil
import subprocess
import tempfile

import pytest
import requests

from conftest import JWT_TEST_SECRET_HEX, User, assert_error, new_user
from test_results import MODEL_DIR, TUS, b64, require_media, wait_done

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
NODE_MODULES = os.environ.get("RR_NODE_MODULES", os.path.join(ROOT, "web", "node_modules"))
SERVER_JS = os.path.join(ROOT, "tests", "support", "s3_server.mjs")


@pytest.fixture
def s3():
    node = shutil.which("node") or shutil.which("nodejs")
    if not node or not os.path.exists(os.path.join(NODE_MODULES, "s3rver", "package.json")):
        pytest.skip("SKIP: node or web/node_modules/s3rver is absent (scripts/setup.sh runs npm ci)")
    d = tempfile.mkdtemp(prefix="rr-s3-")
    creds = {"S3_TEST_ACCESS_KEY": "AK" + secrets.token_hex(8).upper(),
             "S3_TEST_SECRET_KEY": secrets.token_urlsafe(30)}
    bucket = "rr-" + secrets.token_hex(4)
    env = dict(os.environ, RR_NODE_MODULES=NODE_MODULES, **creds)
    proc = subprocess.Popen([node, SERVER_JS, d, bucket], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, env=env)
    line = proc.stdout.readline().decode()
    assert line.startswith("READY "), "the S3 test server did not start: %r" % line
    port = int(line.split()[1])
    yield {"dir": d, "bucket": bucket, "port": port, **creds,
           "url": "s3://%s?endpoint=http://127.0.0.1:%d&region=us-east-1" % (bucket, port)}
    proc.stdin.close()
    proc.terminate()
    proc.wait(timeout=10)
    shutil.rmtree(d, ignore_errors=True)


def bucket_keys(s3):
    """Object keys s3rver holds (its filesystem store: DIR/BUCKET/DIRS/NAME._S3rver_object)."""
    root = os.path.join(s3["dir"], s3["bucket"])
    keys = []
    for base, _dirs, files in os.walk(root):
        for f in files:
            if f.endswith("._S3rver_object"):
                keys.append(os.path.relpath(os.path.join(base, f), root)[:-len("._S3rver_object")])
    return sorted(keys)


def follow(srv_resp, **kw):
    assert srv_resp.status_code == 302, srv_resp.text
    loc = srv_resp.headers["Location"]
    assert "X-Amz-Signature=" in loc and srv_resp.headers["Cache-Control"] == "no-store"
    return requests.get(loc, timeout=20, **kw)


def test_serve_on_s3_uploads_analyses_redirects_and_deletes(server_factory, s3):
    data = require_media()
    # two instances (own data directories) sharing the database and the bucket
    shared = {"REPRIGHT_BLOB_URL": s3["url"],
              "REPRIGHT_DATABASE_URL": "sqlite:%s/shared.db" % s3["dir"],
              "REPRIGHT_JWT_SECRET": JWT_TEST_SECRET_HEX,
              "REPRIGHT_S3_ACCESS_KEY_ID": s3["S3_TEST_ACCESS_KEY"],
              "REPRIGHT_S3_SECRET_ACCESS_KEY": s3["S3_TEST_SECRET_KEY"]}
    srv = server_factory(dict(shared, REPRIGHT_WORKERS="1", REPRIGHT_MODEL="lite",
                              REPRIGHT_MODEL_DIR=MODEL_DIR))
    srv_b = server_factory(dict(shared, REPRIGHT_WORKERS="0"))
    u, other = new_user(srv), new_user(srv)
    ub = User(srv_b, u.email, u.password, {"user_id": u.id, "access_token": u.access,
                                           "refresh_token": u.refresh})
    # tus: the first half to one instance, the rest to the other (partial data is in S3)
    r = u.post("/v1/uploads", headers=dict(TUS, **{
        "Upload-Length": str(len(data)),
        "Upload-Metadata": "filename %s,filetype %s,exercise %s" % (
            b64("set.mp4"), b64("video/mp4"), b64("squat"))}))
    assert r.status_code == 201, r.text
    loc, half = r.headers["Location"], len(data) // 2
    pt = {"Content-Type": "application/offset+octet-stream"}
    r = u.patch(loc, data=data[:half], headers=dict(TUS, **pt, **{"Upload-Offset": "0"}))
    assert r.status_code == 204, r.text
    r = ub.request("HEAD", loc, headers=TUS)
    assert r.status_code == 200 and r.headers["Upload-Offset"] == str(half), r.headers
    r = ub.patch(loc, data=data[half:], headers=dict(TUS, **pt, **{"Upload-Offset": str(half)}))
    assert r.status_code == 204, (r.text, srv_b.log_lines()[-5:])
    vid, jid = r.headers["X-Video-Id"], r.headers["X-Job-Id"]
    assert wait_done(u, jid)["state"] == "done"
    v = u.get("/v1/videos/" + vid).json()
    assert v["report"]["exercise"] == "squat"

    # the bytes live in the bucket, not under the data directory
    keys = bucket_keys(s3)
    assert any(vid in k for k in keys), keys
    for d in (srv.data_dir, srv_b.data_dir):
        assert not os.path.exists(os.path.join(d, "data", "blobs", "objects"))
        assert [f for f in os.listdir(os.path.join(d, "data", "uploads"))] == []

    # media: 302 to a presigned link after the owner check; Range works on the link
    r = u.get("/v1/videos/%s/original" % vid, allow_redirects=False)
    whole = follow(r)
    assert whole.status_code == 200 and whole.content == data
    part = follow(u.get("/v1/videos/%s/original" % vid, allow_redirects=False),
                  headers={"Range": "bytes=100-1123"})
    assert part.status_code == 206 and part.content == data[100:1124]
    # derived objects are read back from the bucket by the API (the report) too
    assert len([k for k in keys if k.startswith("videos/%s/" % vid)]) >= 2, keys
    r = u.get("/v1/videos/%s/report" % vid)
    assert r.status_code == 200 and r.json()["exercise"] == "squat", r.text
    # the overlay render reads the landmarks back from the bucket; thumbnails redirect too
    r = u.post("/v1/videos/%s/render" % vid)
    assert r.status_code in (200, 201, 202), r.text
    assert wait_done(u, r.json()["job_id"], timeout=120)["state"] == "done"
    thumb = follow(u.get("/v1/videos/%s/thumbs/best" % vid, allow_redirects=False))
    assert thumb.status_code == 200 and thumb.content[:3] == b"\xff\xd8\xff"  # a JPEG
    r = other.get("/v1/videos/%s/original" % vid, allow_redirects=False)
    assert_error(r, 404)
    assert "Location" not in r.headers
    # a tampered link is refused by the store
    bad = r = u.get("/v1/videos/%s/original" % vid, allow_redirects=False).headers["Location"]
    bad = bad[:-1] + ("0" if bad[-1] != "0" else "1")
    assert requests.get(bad, timeout=20).status_code == 403
    # the dashboard's policy lets media and images come from the store
    csp = srv.get("/").headers.get("Content-Security-Policy", "")
    assert "media-src 'self' blob: mediastream: http://127.0.0.1:%d" % s3["port"] in csp, csp

    # a damaged original in the bucket (same size, one byte flipped) is refused by the analysis
    orig = [k for k in bucket_keys(s3) if k.startswith("uploads/")]
    assert len(orig) == 1, orig
    path = os.path.join(s3["dir"], s3["bucket"], orig[0] + "._S3rver_object")
    with open(path, "r+b") as f:
        f.seek(1000)
        b = f.read(1)
        f.seek(1000)
        f.write(bytes([b[0] ^ 0xFF]))
    r = u.post("/v1/videos/%s/analyze" % vid, json={"exercise": "squat"})
    assert r.status_code == 202, r.text
    j = wait_done(u, r.json()["job_id"])
    assert j["state"] == "dead" and "damaged" in j["error"], j

    # delete removes the video and every derived object from the bucket
    assert u.delete("/v1/videos/" + vid).status_code == 204
    assert_error(u.get("/v1/videos/%s/original" % vid, allow_redirects=False), 404)
    left = [k for k in bucket_keys(s3) if vid in k]
    assert left == [], left

    with open(srv.log_path, errors="replace") as f:
        log = f.read()
    assert s3["S3_TEST_SECRET_KEY"] not in log


def test_serve_refuses_to_start_on_a_missing_bucket_or_bad_secret(server_factory, s3):
    base = {"REPRIGHT_S3_ACCESS_KEY_ID": s3["S3_TEST_ACCESS_KEY"],
            "REPRIGHT_S3_SECRET_ACCESS_KEY": s3["S3_TEST_SECRET_KEY"]}
    url = "s3://no-such-bucket?endpoint=http://127.0.0.1:%d" % s3["port"]
    with pytest.raises(RuntimeError) as e:
        server_factory(dict(base, REPRIGHT_BLOB_URL=url))
    assert "bucket does not exist" in str(e.value)
    with pytest.raises(RuntimeError) as e:
        server_factory(dict(base, REPRIGHT_BLOB_URL=s3["url"],
                            REPRIGHT_S3_SECRET_ACCESS_KEY="not-the-secret"))
    assert "access denied" in str(e.value)
    assert "not-the-secret" not in str(e.value)
