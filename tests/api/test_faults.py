"""Injected storage failures against a real `repright serve` (base/rr_fault.h, testing.md).

The server runs with REPRIGHT_FAULTS=@FILE. For each store.* and blob.* site and N = 1, 2, ...
the test writes SITE:N into FILE, sends one request, empties FILE, and reads the server's log to
learn whether the fault fired; it stops at the first N the request never reaches. Every request a
fault hit must get a clean 5xx with the JSON error body, and afterwards nothing may be
half-written: no video row without its blob, no blob without its row, no temp left, a tus offset
never ahead of the bytes on disk (and the recorded prefix is the client's), no workout with some
of its reps. The client's ordinary recovery (retry, HEAD + PATCH from the reported offset) must
then succeed, and analytics must agree with the workouts."""
import hashlib
import os
import time
import uuid

import pytest

from conftest import new_user

SITES = ["blob.alloc", "blob.open", "blob.write", "blob.fsync", "blob.rename",
         "store.alloc", "store.begin", "store.prepare", "store.step", "store.commit"]
STORE_SITES = [s for s in SITES if s.startswith("store.")]
MAX_HITS = 300
TUS = {"Tus-Resumable": "1.0.0"}
OCTETS = "application/offset+octet-stream"


def blob(n, seed=1):
    out = bytearray()
    h = hashlib.sha256(b"fault%d" % seed).digest()
    while len(out) < n:
        h = hashlib.sha256(h).digest()
        out += h
    return bytes(out[:n])


class Faults:
    """The spec file of a server started with REPRIGHT_FAULTS=@path, and its log."""

    def __init__(self, srv, path):
        self.srv = srv
        self.path = path

    def arm(self, spec):
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            f.write(spec)
        os.replace(tmp, self.path)  # a new inode: the server sees the change on its next hit

    def fired(self):
        return sum(1 for ev in self.srv.log_lines() if ev.get("msg") == "fault injected")


@pytest.fixture
def faulty(server_factory, tmp_path):
    path = str(tmp_path / "faults")
    srv = server_factory({"REPRIGHT_FAULTS": "@" + path, "REPRIGHT_WORKERS": "0"})
    return srv, Faults(srv, path), new_user(srv)


def assert_clean_5xx(r, where):
    # 507: blob.write stands for ENOSPC, a full disk is "insufficient storage"
    assert 500 <= r.status_code <= 503 or r.status_code == 507, (where, r.status_code, r.text[:300])
    assert r.headers.get("Content-Type", "").startswith("application/json"), (where, r.headers)
    err = r.json()["error"]
    assert err["code"] and err["message"], (where, err)
    assert err["request_id"] == r.headers.get("X-Request-Id"), where


def sweep(faults, sites, request, check):
    """For each site, N = 1..: arm SITE:N, run request(), disarm, check(resp, fired, where);
    until a run the fault did not fire in. Returns how many requests a fault hit."""
    hit = 0
    for site in sites:
        for n in range(1, MAX_HITS):
            where = "%s:%d" % (site, n)
            before = faults.fired()
            faults.arm(where)
            r = request()
            faults.arm("")
            time.sleep(0.01)  # work the server does after answering (a sink's abort) finishes
            fired = faults.fired() > before
            hit += fired
            check(r, fired, where)
            if not fired:
                break
        else:
            pytest.fail("%s fired %d times in a row" % (site, MAX_HITS))
    print("%d requests hit by an injected failure" % hit)
    return hit


def objects_dir(srv):
    return os.path.join(srv.data_dir, "data", "blobs", "objects")


def blob_tmp_files(srv):
    d = os.path.join(srv.data_dir, "data", "blobs", "tmp")
    return [f for f in os.listdir(d) if not f.startswith(".")] if os.path.isdir(d) else []


def all_videos(u):
    items, cursor = [], ""
    while True:
        r = u.get("/v1/videos", params={"limit": 100, "cursor": cursor} if cursor else
                  {"limit": 100})
        assert r.status_code == 200, r.text
        items += r.json()["items"]
        cursor = r.json().get("next_cursor")
        if not cursor:
            return items


# ---- single-request upload ------------------------------------------------------------------------

def test_failed_single_uploads_leave_no_row_without_blob_or_blob_without_row(faulty):
    srv, faults, u = faulty
    data = blob(300_000)

    def request():
        return u.post("/v1/videos", data=data, headers={"Content-Type": "video/mp4"})

    def check(r, fired, where):
        if fired and r.status_code != 201:
            assert_clean_5xx(r, where)
        elif not fired:
            assert r.status_code == 201, (where, r.text)
        videos = {v["id"] for v in all_videos(u)}
        for vid in videos:  # every row has its blob, whole
            got = u.get("/v1/videos/%s/original" % vid)
            assert got.status_code == 200 and got.content == data, (where, vid, got.status_code)
        vdir = os.path.join(objects_dir(srv), "videos")
        on_disk = set(os.listdir(vdir)) if os.path.isdir(vdir) else set()
        orphans = {d for d in on_disk if os.path.exists(os.path.join(vdir, d, "original"))} - videos
        assert not orphans, (where, orphans)  # every blob has its row
        assert blob_tmp_files(srv) == [], where

    hit = sweep(faults, SITES, request, check)
    assert hit >= 10, hit


# ---- tus ----------------------------------------------------------------------------------------

def test_failed_tus_steps_never_record_more_than_is_on_disk_and_always_resume(faulty):
    srv, faults, u = faulty
    data = blob(300_000, seed=2)
    sha = hashlib.sha256(data).hexdigest()
    up_dir = os.path.join(srv.data_dir, "data", "uploads")
    state = {}

    def patch(loc, off, end):
        h = dict(TUS, **{"Upload-Offset": str(off), "Content-Type": OCTETS})
        return u.patch(loc, headers=h, data=data[off:end])

    def request():
        state.clear()
        r = u.post("/v1/uploads", headers=dict(TUS, **{"Upload-Length": str(len(data))}))
        if r.status_code != 201:
            return r
        state["loc"] = r.headers["Location"]
        for off, end in ((0, 150_000), (150_000, len(data))):
            r = patch(state["loc"], off, end)
            if r.status_code != 204:
                return r
        return u.request("HEAD", state["loc"], headers=TUS)

    def consistent(where):
        """The server's offset never runs ahead of the part file, whose prefix is the data."""
        loc = state["loc"]
        r = u.request("HEAD", loc, headers=TUS)
        assert r.status_code == 200, (where, r.status_code)
        off = int(r.headers["Upload-Offset"])
        part = os.path.join(up_dir, loc.rsplit("/", 1)[1] + ".part")
        if os.path.exists(part):
            with open(part, "rb") as f:
                on_disk = f.read()
            assert off <= len(on_disk), (where, off, len(on_disk))
            assert on_disk[:off] == data[:off], where
        return r

    def check(r, fired, where):
        parts_before = state.get("parts_before", 0)
        if fired and r.status_code not in (200, 201, 204):
            if r.request.method == "HEAD":  # HEAD has no body: the status is the whole answer
                assert 500 <= r.status_code <= 503 or r.status_code == 507, (where, r.status_code)
            else:
                assert_clean_5xx(r, where)
        elif not fired:
            assert r.status_code == 200, (where, r.status_code, r.text)
        if "loc" not in state:  # the create failed: no part may stay behind
            parts = [f for f in os.listdir(up_dir) if f.endswith(".part")]
            assert len(parts) == parts_before, (where, parts)
            return
        r = consistent(where)
        off = int(r.headers["Upload-Offset"])
        if off < len(data):  # the client's recovery: resume from the reported offset
            r = patch(state["loc"], off, len(data))
            assert r.status_code == 204, (where, r.status_code, r.text)
        r = consistent(where)
        assert r.headers["Upload-Offset"] == str(len(data)), where
        vid = r.headers.get("X-Video-Id")
        assert vid and r.headers.get("X-Job-Id"), (where, dict(r.headers))
        v = u.get("/v1/videos/" + vid)
        assert v.status_code == 200 and v.json()["sha256"] == sha, (where, v.text)
        assert u.get("/v1/videos/%s/original" % vid).content == data, where
        assert blob_tmp_files(srv) == [], where
        state["parts_before"] = len([f for f in os.listdir(up_dir) if f.endswith(".part")])

    hit = sweep(faults, SITES, request, check)
    assert hit >= 30, hit


# ---- workouts -----------------------------------------------------------------------------------

def test_failed_syncs_save_whole_workouts_or_none_and_analytics_follow(faulty):
    srv, faults, u = faulty
    client_id = []
    day = {"period": "day", "from": "2026-03-01", "to": "2026-03-01"}

    def body():
        return {"client_id": client_id[-1], "started_at": "2026-03-01T10:00:00Z",
                "exercise": "squat",
                "reps": [{"t_start": 2.0 * i, "t_end": 2.0 * i + 1.5, "score": 80.0,
                          "verdict": "good", "faults": []} for i in range(3)]}

    def reps_in_analytics():
        s = u.get("/v1/analytics/summary", params=day)
        assert s.status_code == 200, s.text
        return sum(b["reps"] for b in s.json()["buckets"])

    def request():
        client_id.append(uuid.uuid4().hex)
        return u.post("/v1/sync", json=body())

    def check(r, fired, where):
        if fired and r.status_code not in (200, 201):
            assert_clean_5xx(r, where)
        elif not fired:
            assert r.status_code == 201, (where, r.text)
        items = u.get("/v1/workouts").json()["items"]
        assert len(items) <= 1, (where, items)
        for w in items:  # whatever was saved is whole
            d = u.get("/v1/workouts/" + w["id"]).json()
            assert [len(s["reps"]) for s in d["sets"]] == [3], (where, d)
        # the client retries with the same client id: one workout, and analytics agree with it
        again = u.post("/v1/sync", json=body())
        assert again.status_code in (200, 201), (where, again.text)
        assert (again.status_code == 200) == bool(items), where
        items = u.get("/v1/workouts").json()["items"]
        assert len(items) == 1, (where, items)
        assert reps_in_analytics() == 3, where
        # the next round starts from nothing
        assert u.delete("/v1/workouts/" + items[0]["id"]).status_code == 204, where
        assert reps_in_analytics() == 0, where

    hit = sweep(faults, STORE_SITES, request, check)
    assert hit >= 10, hit
