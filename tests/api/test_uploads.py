"""Uploads (reliability.md): tus 1.0 resumable uploads (create, PATCH in chunks, HEAD offset,
resume after an interrupted PATCH, 409/412/413/415), the single-request upload, BOLA on upload
ids, and kill -9 during uploads: what was acknowledged survives, nothing half-written shows."""
import base64
import hashlib
import os
import signal
import socket
import time
import urllib.parse

import pytest

from conftest import _start, assert_error, new_user

TUS = {"Tus-Resumable": "1.0.0"}
OCTETS = "application/offset+octet-stream"


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


def blob(n, seed=1):
    """n deterministic pseudo-random bytes."""
    out = bytearray()
    h = hashlib.sha256(b"seed%d" % seed).digest()
    while len(out) < n:
        h = hashlib.sha256(h).digest()
        out += h
    return bytes(out[:n])


def tus_create(u, length, metadata=None):
    h = dict(TUS)
    h["Upload-Length"] = str(length)
    if metadata:
        h["Upload-Metadata"] = ",".join(
            "%s %s" % (k, base64.b64encode(v.encode()).decode()) for k, v in metadata.items())
    r = u.post("/v1/uploads", headers=h)
    assert r.status_code == 201, r.text
    loc = r.headers["Location"]
    assert loc.startswith("/v1/uploads/") and len(loc.rsplit("/", 1)[1]) == 32
    assert r.headers["Upload-Offset"] == "0"
    return loc


def tus_patch(u, loc, offset, data, **hdr):
    h = dict(TUS)
    h.update({"Upload-Offset": str(offset), "Content-Type": OCTETS})
    h.update(hdr)
    return u.patch(loc, headers=h, data=data)


def tus_offset(u, loc):
    r = u.request("HEAD", loc, headers=TUS)
    assert r.status_code == 200, r.headers
    assert r.headers["Tus-Resumable"] == "1.0.0"
    return int(r.headers["Upload-Offset"]), r


def partial_patch(srv, u, loc, offset, data, send):
    """Start a PATCH announcing len(data) bytes, send only `send` of them, then drop the socket."""
    p = urllib.parse.urlparse(srv.url)
    s = socket.create_connection((p.hostname, p.port), timeout=10)
    head = ("PATCH %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nTus-Resumable: 1.0.0\r\n"
            "Upload-Offset: %d\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n"
            % (loc, p.netloc, u.access, offset, OCTETS, len(data)))
    s.sendall(head.encode() + data[:send])
    time.sleep(0.5)  # let the server read what was sent
    s.close()


def wait_offset(u, loc, at_least, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        off, _ = tus_offset(u, loc)
        if off >= at_least or time.monotonic() > deadline:
            return off
        time.sleep(0.1)


# ---- tus ----------------------------------------------------------------------------------------

def test_options_advertises_tus_1_0_and_the_size_limit(server):
    r = server.request("OPTIONS", "/v1/uploads")
    assert r.status_code == 204, r.text
    assert r.headers["Tus-Resumable"] == "1.0.0"
    assert "1.0.0" in r.headers["Tus-Version"]
    assert "creation" in r.headers["Tus-Extension"]
    assert int(r.headers["Tus-Max-Size"]) > 0


def test_tus_upload_in_chunks_becomes_a_video_and_a_job(user):
    data = blob(300_000)
    loc = tus_create(user, len(data), {"filename": "clip.mp4", "filetype": "video/mp4"})
    off = 0
    for size in (100_000, 150_000, 50_000):
        r = tus_patch(user, loc, off, data[off:off + size])
        assert r.status_code == 204, r.text
        off += size
        assert r.headers["Upload-Offset"] == str(off)
        assert tus_offset(user, loc)[0] == off
    vid, jid = r.headers["X-Video-Id"], r.headers["X-Job-Id"]
    assert vid == loc.rsplit("/", 1)[1]
    # HEAD afterwards names the same video and job (finishing is idempotent)
    off, h = tus_offset(user, loc)
    assert off == len(data)
    assert h.headers["X-Video-Id"] == vid and h.headers["X-Job-Id"] == jid
    g = user.get(loc)
    assert g.status_code == 200 and g.json()["complete"] is True and g.json()["job_id"] == jid
    v = user.get("/v1/videos/" + vid)
    assert v.status_code == 200, v.text
    assert v.json()["sha256"] == hashlib.sha256(data).hexdigest()
    assert v.json()["size"] == len(data)
    j = user.get("/v1/jobs/" + jid)
    assert j.status_code == 200 and j.json()["kind"] == "analyze_video"
    assert j.json()["video_id"] == vid
    assert user.get("/v1/videos/%s/original" % vid).content == data


def test_resume_after_an_interrupted_patch(server, user):
    data = blob(400_000, seed=2)
    loc = tus_create(user, len(data))
    assert tus_patch(user, loc, 0, data[:100_000]).status_code == 204
    partial_patch(server, user, loc, 100_000, data[100_000:], send=150_000)
    off = wait_offset(user, loc, 100_001)
    assert 100_000 < off <= 250_000  # what arrived before the drop was kept, durably
    r = tus_patch(user, loc, off, data[off:])
    assert r.status_code == 204, r.text
    vid = r.headers["X-Video-Id"]
    assert user.get("/v1/videos/" + vid).json()["sha256"] == hashlib.sha256(data).hexdigest()


def test_tus_refusals_wrong_offset_version_type_size(user):
    data = blob(1000, seed=3)
    loc = tus_create(user, len(data))
    assert tus_patch(user, loc, 0, data[:400]).status_code == 204
    r = tus_patch(user, loc, 100, data[100:200])  # not the durable offset
    assert_error(r, 409)
    r = tus_patch(user, loc, 400, data[400:500], **{"Tus-Resumable": "0.2.2"})
    assert_error(r, 412)
    assert r.headers["Tus-Version"]
    r = tus_patch(user, loc, 400, data[400:500], **{"Content-Type": "application/json"})
    assert_error(r, 415)
    r = tus_patch(user, loc, 400, data[400:] + b"extra")  # past Upload-Length
    assert_error(r, 413)
    assert tus_offset(user, loc)[0] == 400  # nothing of the refused bodies counted
    r = user.post("/v1/uploads", headers={"Tus-Resumable": "1.0.0", "Upload-Length": str(1 << 50)})
    assert_error(r, 413)
    r = user.post("/v1/uploads", headers={"Tus-Resumable": "1.0.0", "Upload-Length": "-1"})
    assert_error(r, 400)
    r = user.post("/v1/uploads", headers={"Upload-Length": "10"})
    assert_error(r, 412)


def test_tus_terminate_and_bola(user, other):
    loc = tus_create(user, 1000)
    r = other.request("HEAD", loc, headers=TUS)
    assert r.status_code == 404
    assert_error(tus_patch(other, loc, 0, b"x" * 10), 404)
    assert_error(other.delete(loc, headers=TUS), 404)
    assert_error(other.get(loc), 404)
    r = user.delete(loc, headers=TUS)
    assert r.status_code == 204, r.text
    assert user.request("HEAD", loc, headers=TUS).status_code == 404
    assert_error(user.post("/v1/uploads", headers=TUS), 400)  # no Upload-Length
    assert user.request("HEAD", "/v1/uploads/" + "0" * 32, headers=TUS).status_code == 404


def test_uploads_need_authentication(server):
    assert_error(server.post("/v1/uploads", headers={"Tus-Resumable": "1.0.0",
                                                      "Upload-Length": "10"}), 401)
    assert_error(server.post("/v1/videos", data=b"x", headers={"Content-Type": "video/mp4"}), 401)


# ---- single upload --------------------------------------------------------------------------------

def test_single_upload_returns_video_and_job(user):
    data = blob(200_000, seed=4)
    r = user.post("/v1/videos", data=data, headers={"Content-Type": "video/mp4"})
    assert r.status_code == 201, r.text
    b = r.json()
    assert len(b["video_id"]) == 32 and len(b["job_id"]) == 32
    assert b["sha256"] == hashlib.sha256(data).hexdigest() and b["size"] == len(data)
    assert r.headers["Location"] == "/v1/videos/" + b["video_id"]
    v = user.get("/v1/videos/" + b["video_id"]).json()
    assert v["sha256"] == b["sha256"] and v["status"] in ("uploaded", "processing", "failed")
    assert user.get("/v1/jobs/" + b["job_id"]).json()["video_id"] == b["video_id"]


def test_single_upload_refusals(user):
    assert_error(user.post("/v1/videos", data=b"abc", headers={"Content-Type": "text/plain"}), 415)
    assert_error(user.post("/v1/videos", data=b"abc"), 415)
    assert_error(user.post("/v1/videos", data=b"", headers={"Content-Type": "video/mp4"}), 400)


def test_oversize_uploads_are_refused_with_413(server_factory):
    srv = server_factory({"REPRIGHT_UPLOAD_LIMIT": str(1 << 20)})
    u = new_user(srv)
    r = u.post("/v1/videos", data=blob((1 << 20) + 1, seed=5), headers={"Content-Type": "video/mp4"})
    assert_error(r, 413)
    r = u.post("/v1/uploads", headers={"Tus-Resumable": "1.0.0", "Upload-Length": str((1 << 20) + 1)})
    assert_error(r, 413)
    assert u.get("/v1/videos").json()["items"] == []


# ---- crash safety ---------------------------------------------------------------------------------

def test_kill_9_during_uploads_keeps_acknowledged_data_and_hides_partial_data(server_factory,
                                                                             doomed_server):
    srv = doomed_server()
    data_dir = os.path.join(srv.data_dir, "data")
    u = new_user(srv)
    done = blob(150_000, seed=6)
    r = u.post("/v1/videos", data=done, headers={"Content-Type": "video/mp4"})
    assert r.status_code == 201
    done_id = r.json()["video_id"]
    tdata = blob(300_000, seed=7)
    loc = tus_create(u, len(tdata))
    assert tus_patch(u, loc, 0, tdata[:120_000]).status_code == 204  # acknowledged

    # a single upload and a PATCH still streaming when the server dies
    p = urllib.parse.urlparse(srv.url)
    s1 = socket.create_connection((p.hostname, p.port), timeout=10)
    s1.sendall(("POST /v1/videos HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                "Content-Type: video/mp4\r\nContent-Length: 500000\r\n\r\n" % u.access).encode()
               + blob(200_000, seed=8))
    s2 = socket.create_connection((p.hostname, p.port), timeout=10)
    s2.sendall(("PATCH %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nTus-Resumable: 1.0.0\r\n"
                "Upload-Offset: 120000\r\nContent-Type: %s\r\nContent-Length: 180000\r\n\r\n"
                % (loc, u.access, OCTETS)).encode() + tdata[120_000:200_000])
    time.sleep(0.5)
    srv.stop(signal.SIGKILL)
    s1.close()
    s2.close()

    srv2 = server_factory(args=["--data-dir", data_dir])
    u.srv = srv2
    items = u.get("/v1/videos").json()["items"]
    assert [v["id"] for v in items] == [done_id]  # the half-sent single upload is not there
    assert u.get("/v1/videos/%s/original" % done_id).content == done
    off, _ = tus_offset(u, loc)
    assert 120_000 <= off <= 200_000
    r = tus_patch(u, loc, off, tdata[off:])
    assert r.status_code == 204, r.text
    vid = r.headers["X-Video-Id"]
    assert u.get("/v1/videos/%s/original" % vid).content == tdata
