"""A full disk (issue 15), on a real size-limited data directory: a 4 MiB tmpfs mounted for the
test (we run as root in CI; where mounting is impossible the tests SKIP, exit 77).

Found before the fix: with the disk full, uploads got no response or an anonymous 500, login
failed with 500, the log said nothing and /readyz still said ready (nothing was corrupted; it
recovered once space was freed). Now: an upload that would not leave the configured reserve
free is refused before a byte is accepted (507, JSON error body, code insufficient_storage), a
tus PATCH likewise and it resumes byte-exact once space is back; /readyz is 503 below its
threshold; reads keep working; login never answers 500 (200 while SQLite still has room in its
WAL, else a clean 507); every refusal and storage error is a log line; when space is freed
everything works again. ~10 s."""
import errno
import hashlib
import os
import subprocess
import tempfile
import time

import pytest

from conftest import RELAXED_ENV, assert_error, login, new_user, register, unique_email

MIB = 1 << 20


@pytest.fixture
def small_disk():
    """A 4 MiB tmpfs, unmounted afterwards (SKIP when this box cannot mount one)."""
    mnt = tempfile.mkdtemp(prefix="rr-small-disk-")
    try:
        out = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", mnt],
                             capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as e:
        os.rmdir(mnt)
        pytest.skip("SKIP: cannot run mount(8) for a small tmpfs: %s" % e)
    if out.returncode != 0:
        os.rmdir(mnt)
        pytest.skip("SKIP: cannot mount a 4 MiB tmpfs (needs root / CAP_SYS_ADMIN): %s"
                    % out.stderr.strip())
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", mnt], capture_output=True, timeout=20)
        os.rmdir(mnt)


def fill(path, leave=0):
    """Write a filler file until the disk is full (or only `leave` bytes are free)."""
    chunk = b"\0" * (64 * 1024)
    with open(path, "wb") as f:
        while True:
            st = os.statvfs(os.path.dirname(path))
            free = st.f_bavail * st.f_frsize
            if free <= leave:
                break
            try:
                f.write(chunk[:max(4096, min(len(chunk), free - leave))])
                f.flush()
            except OSError as e:
                assert e.errno == errno.ENOSPC, e
                break


def start_on(server_factory, mnt, **env):
    base = dict(RELAXED_ENV)
    base.update({"REPRIGHT_WORKERS": "0", "REPRIGHT_MIN_FREE_BYTES": str(MIB),
                 "REPRIGHT_READY_MIN_FREE_BYTES": str(MIB // 2),
                 "REPRIGHT_STORAGE_QUOTA": "0"})
    base.update({k: str(v) for k, v in env.items()})
    return server_factory(base, args=["--data-dir", os.path.join(mnt, "data")])


def upload(u, data, **kw):
    return u.post("/v1/videos", data=data, headers={"Content-Type": "video/mp4"}, **kw)


def temps(mnt):
    d = os.path.join(mnt, "data", "blobs", "tmp")
    return [f for f in os.listdir(d) if f.endswith(".tmp")]


def no_temps(mnt, timeout=5.0):
    """The request's temp goes when the request is released, just after its answer was sent."""
    deadline = time.monotonic() + timeout
    while temps(mnt) and time.monotonic() < deadline:
        time.sleep(0.02)
    return temps(mnt) == []


def statuses(srv):
    return [ev.get("status") for ev in srv.log_lines() if ev.get("msg") == "request"]


def test_full_disk_refuses_writes_cleanly_keeps_reads_and_recovers(server_factory, small_disk):
    srv = start_on(server_factory, small_disk)
    u = new_user(srv)
    first = os.urandom(200 * 1024)
    r = upload(u, first)
    assert r.status_code == 201, r.text
    vid = r.json()["video_id"]
    r = srv.get("/readyz")
    assert r.status_code == 200 and r.json()["free_bytes"] > MIB, r.text

    # more than the free space minus the reserve: refused before the body is read
    t0 = time.monotonic()
    r = upload(u, os.urandom(3 * MIB + MIB // 2))
    err = assert_error(r, 507, "insufficient_storage")
    assert time.monotonic() - t0 < 5 and "disk space" in err["message"]
    assert no_temps(small_disk)

    # a tus upload created while there is room ...
    r = u.post("/v1/uploads", headers={"Tus-Resumable": "1.0.0", "Upload-Length": "300000"})
    assert r.status_code == 201, r.text
    loc = r.headers["Location"]
    tus_data = os.urandom(300000)

    # ... and then the disk fills up (another tenant, a log, a dump)
    filler = os.path.join(small_disk, "filler")
    fill(filler)
    r = srv.get("/readyz")
    err = assert_error(r, 503, "not_ready")
    assert "nearly full" in err["message"] and "bytes free" in err["message"], err
    for size in (1000, 64 * 1024):
        assert_error(upload(u, os.urandom(size)), 507, "insufficient_storage")
    r = u.post("/v1/uploads", headers={"Tus-Resumable": "1.0.0", "Upload-Length": "1000"})
    assert_error(r, 507, "insufficient_storage")
    assert r.headers.get("Tus-Resumable") == "1.0.0"
    r = u.patch(loc, data=tus_data[:100000],
                headers={"Tus-Resumable": "1.0.0", "Upload-Offset": "0",
                         "Content-Type": "application/offset+octet-stream"})
    assert_error(r, 507, "insufficient_storage")

    # reads keep working
    r = u.get("/v1/videos")
    assert r.status_code == 200 and [v["id"] for v in r.json()["items"]] == [vid]
    r = u.get("/v1/videos/%s/original" % vid)
    assert r.status_code == 200 and r.content == first
    # login writes a refresh token: it works while SQLite finds room, else a clean 507
    refused = 0
    for _ in range(3):
        r = login(srv, u.email, u.password)
        if r.status_code != 200:
            assert_error(r, 507, "insufficient_storage")
            refused += 1
    if refused:  # SQLite's own failure is a log line too
        assert any(ev.get("msg") == "storage error" and ev.get("component") == "sqlite"
                   for ev in srv.log_lines())
    r = register(srv, unique_email("full"))
    if r.status_code != 201:
        assert_error(r, 507, "insufficient_storage")
    assert no_temps(small_disk)
    assert 500 not in statuses(srv)
    msgs = [ev.get("msg") for ev in srv.log_lines()]
    assert "storage low: write refused" in msgs

    # space comes back: everything works again, the tus upload resumes byte-exact
    os.unlink(filler)
    assert srv.get("/readyz").status_code == 200
    r = upload(u, first[:50000])
    assert r.status_code == 201, r.text
    assert login(srv, u.email, u.password).status_code == 200
    r = u.request("HEAD", loc, headers={"Tus-Resumable": "1.0.0"})
    assert r.headers["Upload-Offset"] == "0"
    r = u.patch(loc, data=tus_data,
                headers={"Tus-Resumable": "1.0.0", "Upload-Offset": "0",
                         "Content-Type": "application/offset+octet-stream"})
    assert r.status_code == 204, r.text
    r = u.get("/v1/videos/%s/original" % r.headers["X-Video-Id"])
    assert hashlib.sha256(r.content).hexdigest() == hashlib.sha256(tus_data).hexdigest()


def test_disk_filling_during_a_stream_of_unknown_length_is_a_507(server_factory, small_disk):
    """No Content-Length (chunked): the upload is admitted while the disk has room and refused
    with 507 when it reaches that room; nothing of it stays."""
    srv = start_on(server_factory, small_disk, REPRIGHT_MIN_FREE_BYTES=0)
    u = new_user(srv)
    fill(os.path.join(small_disk, "filler"), leave=MIB)

    def body():
        for _ in range(24):  # 1.5 MiB in 64 KiB chunks, more than the disk holds
            yield os.urandom(64 * 1024)

    r = upload(u, body())
    assert_error(r, 507, "insufficient_storage")
    assert no_temps(small_disk)
    assert u.get("/v1/videos").json()["items"] == []
    assert 500 not in statuses(srv)


def test_enospc_from_the_filesystem_itself_is_logged_and_a_507(server_factory, small_disk):
    """With no reserve configured the filesystem's own ENOSPC is met mid-write: the answer is
    still a clean 507 and the log has a storage-error line naming the failed call."""
    srv = start_on(server_factory, small_disk, REPRIGHT_MIN_FREE_BYTES=0)
    u = new_user(srv)
    r = u.post("/v1/uploads", headers={"Tus-Resumable": "1.0.0", "Upload-Length": "250000"})
    assert r.status_code == 201, r.text
    loc = r.headers["Location"]
    fill(os.path.join(small_disk, "filler"), leave=100 * 1024)

    def body():  # chunked: no length to check up front, the disk fills mid-write
        for _ in range(5):
            yield os.urandom(50000)

    r = u.patch(loc, data=body(),
                headers={"Tus-Resumable": "1.0.0", "Upload-Offset": "0",
                         "Content-Type": "application/offset+octet-stream"})
    assert_error(r, 507)
    lines = [ev for ev in srv.log_lines() if ev.get("msg") == "storage error"]
    assert any(ev.get("component") == "tus" and ev.get("code") == "NOSPACE" for ev in lines), \
        lines
    assert 500 not in statuses(srv)
