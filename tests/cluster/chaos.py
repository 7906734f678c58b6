"""chaos.py - kill parts of a running cluster (scripts/cluster.sh) and check that nothing
acknowledged is lost. Run by test_chaos.sh with the cluster's state in the environment
(REPRIGHT_CLUSTER_DIR, URL). Each scenario prints PASS or SKIP; any failure raises.

  proxy    (first, no kill) a forged X-Forwarded-For never becomes the client address
  worker   kill -9 the worker running an analysis: the job finishes on the other worker,
           with exactly one workout for its video (needs ../shared media and the lite model)
  serve    kill -9 one serve while tus uploads stream through nginx: nginx routes around it,
           every upload completes (resuming from the offset the cluster acknowledged) with its
           exact bytes, and idempotent reads never fail
  redis    (queue on Redis) kill -9 Redis mid-queue and restart it: every job finishes
  pg       (store on PostgreSQL) restart PostgreSQL: /readyz goes red, then green; writes resume
"""
import base64
import hashlib
import http.client
import json
import os
import shlex
import subprocess
import sys
import threading
import time
import uuid

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CLUSTER = os.path.join(ROOT, "scripts", "cluster.sh")
DIR = os.environ["REPRIGHT_CLUSTER_DIR"]
URL = os.environ["URL"]
SHARED = os.environ.get("RR_SHARED_DIR", os.path.join(ROOT, "..", "shared"))
CLIP = os.path.join(SHARED, "media", "videos", "squat_side_BAD_heels_k_i002.mp4")
MODEL_DIR = os.environ.get("REPRIGHT_MODEL_DIR",
                           os.path.join(os.path.expanduser("~"), ".cache", "repright", "models"))
TUS = {"Tus-Resumable": "1.0.0"}


def cluster(*args):
    subprocess.run([CLUSTER, *args], check=True, stdout=subprocess.DEVNULL)


def pid(name):
    with open(os.path.join(DIR, "pids", name)) as f:
        return int(f.read().strip())


class User:
    def __init__(self):
        self.http = requests.Session()
        self.http.trust_env = False
        email = "chaos-%s@example.com" % uuid.uuid4().hex[:12]
        pw = "correct horse battery staple"
        r = self.http.post(URL + "/v1/auth/register", json={"email": email, "password": pw},
                           timeout=30)
        assert r.status_code == 201, r.text
        r = self.http.post(URL + "/v1/auth/login", json={"email": email, "password": pw},
                           timeout=30)
        assert r.status_code == 200, r.text
        self.http.headers["Authorization"] = "Bearer " + r.json()["access_token"]

    def req(self, method, path, **kw):
        kw.setdefault("timeout", 30)
        return self.http.request(method, URL + path, **kw)

    def get(self, path, **kw):
        return self.req("GET", path, **kw)


def wait_job(u, jid, states=("done", "dead"), timeout=120.0):
    deadline = time.monotonic() + timeout
    while True:
        j = u.get("/v1/jobs/" + jid).json()
        if j["state"] in states or time.monotonic() > deadline:
            return j
        time.sleep(0.2)


def media():
    if not os.path.exists(CLIP):
        return None, "%s is absent (../shared media)" % CLIP
    for f in ("pose_detection.tflite", "pose_landmark_lite.tflite"):
        if not os.path.exists(os.path.join(MODEL_DIR, f)):
            return None, "model %s is absent from %s" % (f, MODEL_DIR)
    with open(CLIP, "rb") as f:
        return f.read(), None


# ---- proxy ----------------------------------------------------------------------------------

def access_ips(request_id):
    """The "ip" of the serve access-log lines of one request id."""
    out = []
    for name in ("serve1", "serve2", "serve3", "serve4"):
        path = os.path.join(DIR, name + ".log")
        if not os.path.exists(path):
            continue
        with open(path, errors="replace") as f:
            for line in f:
                if request_id in line:
                    try:
                        ev = json.loads(line)
                    except ValueError:
                        continue
                    if ev.get("msg") == "request" and ev.get("request_id") == request_id:
                        out.append(ev.get("ip"))
    return out


def chaos_proxy():
    """Not chaos, the trust chain: a client on 127.0.0.3 forging X-Forwarded-For through nginx
    is logged as 127.0.0.3 (nginx, the only trusted peer at 127.0.0.2, appended it; the serve
    walked past it to the client), and straight to a serve the forged header is ignored."""
    st = state()
    nginx_port = int(URL.rsplit(":", 1)[1])
    for port, source, want in ((nginx_port, "127.0.0.3", "127.0.0.3"),
                               (int(st["SERVE1_PORT"]), "127.0.0.1", "127.0.0.1")):
        rid = "proxycheck" + uuid.uuid4().hex[:16]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10,
                                          source_address=(source, 0))
        conn.request("GET", "/healthz", headers={"X-Forwarded-For": "6.6.6.6",
                                                  "X-Real-IP": "6.6.6.7", "X-Request-Id": rid})
        r = conn.getresponse()
        r.read()
        conn.close()
        assert r.status == 200 and r.getheader("X-Request-Id") == rid, (port, r.getheaders())
        deadline = time.monotonic() + 5
        while not access_ips(rid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert access_ips(rid) == [want], (port, source, access_ips(rid))
    print("PASS proxy: through nginx the client is its real address, never a forged header")
    return "pass"


# ---- worker ---------------------------------------------------------------------------------

def chaos_worker():
    data, why = media()
    if data is None:
        print("SKIP worker: " + why)
        return "skip"
    u = User()
    # worker2 is away until worker1 holds the job, so we know whom to kill. (Not SIGSTOP: a
    # frozen worker could hold SQLite's write lock mid-claim and stall everyone.)
    cluster("kill", "worker2")
    try:
        r = u.req("POST", "/v1/videos", data=data, headers={"Content-Type": "video/mp4"})
        assert r.status_code == 201, r.text
        vid, jid = r.json()["video_id"], r.json()["job_id"]
        j = wait_job(u, jid, states=("running", "done", "dead"), timeout=60)
        deadline = time.monotonic() + 60
        while j["state"] == "running" and j["progress"] < 10 and time.monotonic() < deadline:
            time.sleep(0.1)
            j = u.get("/v1/jobs/" + jid).json()
    finally:
        cluster("start", "worker2")
    if j["state"] != "running":
        print("SKIP worker: the job was %s before it could be interrupted" % j["state"])
        return "skip"
    t0 = time.monotonic()
    cluster("kill", "worker1")
    j = wait_job(u, jid, timeout=120)
    assert j["state"] == "done", j
    assert j["attempts"] == 2, j  # worker1's attempt counted; its lease expired
    items = u.get("/v1/workouts").json()["items"]
    mine = [w for w in items if w.get("video_id") == vid]
    assert len(mine) == 1, items
    v = u.get("/v1/videos/" + vid).json()
    assert v["status"] == "analysed", v
    cluster("start", "worker1")
    print("PASS worker: job finished on worker2 %.1f s after kill -9 of worker1, one workout"
          % (time.monotonic() - t0))
    return "pass"


# ---- serve ----------------------------------------------------------------------------------

def blob(n, seed):
    out = bytearray()
    h = hashlib.sha256(b"chaos%d" % seed).digest()
    while len(out) < n:
        h = hashlib.sha256(h).digest()
        out += h
    return bytes(out[:n])


class Trickle:
    """A request body (with a Content-Length) read in pieces with pauses, so requests are in
    flight when a serve dies."""

    def __init__(self, data, pause=0.03, every=100_000):
        self.data, self.pos, self.pause, self.every = data, 0, pause, every

    def __len__(self):
        return len(self.data) - self.pos

    def read(self, n=-1):
        n = self.every if n is None or n < 0 else min(n, self.every)
        if self.pos and self.pos % self.every < n and self.pos < len(self.data):
            time.sleep(self.pause)  # once per `every` bytes
        out = self.data[self.pos:self.pos + n]
        self.pos += len(out)
        return out


def tus_upload(u, data, chunk, log):
    """One tus upload the way a real client does it: on a failed PATCH ask the offset again
    (HEAD, an idempotent request nginx may retry elsewhere) and resume from there."""
    meta = "filename %s,filetype %s" % (base64.b64encode(b"c.mp4").decode(),
                                        base64.b64encode(b"video/mp4").decode())
    for _ in range(20):
        r = u.req("POST", "/v1/uploads", headers=dict(TUS, **{"Upload-Length": str(len(data)),
                                                              "Upload-Metadata": meta}))
        if r.status_code == 201:
            break
        log.append(("create", r.status_code))
        time.sleep(0.2)
    else:
        raise AssertionError("tus create kept failing: %s" % r.text)
    loc = r.headers["Location"]
    off, failures = 0, 0
    while off < len(data):
        try:
            part = data[off:off + chunk]
            r = u.req("PATCH", loc, data=Trickle(part),
                      headers=dict(TUS, **{"Upload-Offset": str(off),
                                           "Content-Type": "application/offset+octet-stream"}))
            ok = r.status_code == 204
        except requests.RequestException as e:
            r, ok = e, False
        if ok:
            acked = int(r.headers["Upload-Offset"])
            assert acked == off + len(part), (acked, off)
            off = acked
            continue
        failures += 1
        log.append(("patch", getattr(r, "status_code", str(r))))
        assert failures < 20, ("PATCH kept failing", log[-5:])
        time.sleep(0.1)
        h = u.req("HEAD", loc, headers=TUS)
        assert h.status_code == 200, (h.status_code, h.headers)
        got = int(h.headers["Upload-Offset"])
        assert got >= off, ("the cluster forgot acknowledged bytes", got, off)
        off = got
    return loc.rsplit("/", 1)[1]


def chaos_serve():
    u = User()
    uploads, errors, log, reads = [], [], [], []
    stop = threading.Event()

    def uploader(seed):
        i = 0
        while not stop.is_set():
            data = blob(2_000_000, seed * 1000 + i)
            try:
                vid = tus_upload(u, data, 500_000, log)
                uploads.append((vid, hashlib.sha256(data).hexdigest(), len(data)))
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(repr(e))
                return
            i += 1

    def reader():
        while not stop.is_set():
            r = u.get("/v1/me")
            reads.append(r.status_code)
            time.sleep(0.02)

    threads = [threading.Thread(target=uploader, args=(s,)) for s in (1, 2, 3, 4)]
    threads.append(threading.Thread(target=reader))
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60  # uploads under way (and one done) before the kill
    while len(uploads) < 1 and not errors and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    n_before = len(uploads)
    cluster("kill", "serve1")
    t_kill = time.monotonic()  # then at least 3 s and 4 more uploads on the survivor
    while (time.monotonic() - t_kill < 3 or len(uploads) < n_before + 4) and not errors \
            and time.monotonic() - t_kill < 60:
        time.sleep(0.05)
    stop.set()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert n_before > 0 and len(uploads) > n_before, (n_before, len(uploads))
    assert reads and all(s == 200 for s in reads), [s for s in reads if s != 200]
    for vid, sha, size in uploads:
        v = u.get("/v1/videos/" + vid)
        assert v.status_code == 200, (vid, v.text)
        assert v.json()["sha256"] == sha and v.json()["size"] == size, v.json()
    cluster("start", "serve1")
    print("PASS serve: %d uploads (%d before kill -9 of serve1), %d retried chunks, "
          "%d reads all 200" % (len(uploads), n_before, len(log), len(reads)))
    return "pass"


# ---- hooks for the engines ------------------------------------------------------------------

def state():
    out = {}
    with open(os.path.join(DIR, "cluster.env")) as f:
        for line in f:  # KEY=VALUE, VALUE quoted for the shell (printf %q)
            words = shlex.split(line)
            if words:
                k, _, v = words[0].partition("=")
                out[k] = v
    return out


def queue_jobs(u, n):
    """n non-video uploads: each makes a job that fails permanently and fast (still a job)."""
    jids = []
    for i in range(n):
        r = u.req("POST", "/v1/videos", data=blob(2000, 90000 + i),
                  headers={"Content-Type": "video/mp4"})
        assert r.status_code == 201, r.text
        jids.append(r.json()["job_id"])
    return jids


def chaos_redis():
    if not state().get("QUEUE_URL", "").startswith("redis://"):
        print("SKIP redis: the queue is not on Redis (REPRIGHT_CLUSTER_BACKENDS=redis)")
        return "skip"
    u = User()
    jids = queue_jobs(u, 4)
    cluster("kill", "redis")
    jids += queue_jobs(u, 2)  # the database stays the record of which jobs exist
    time.sleep(1.0)
    cluster("start", "redis")
    for jid in jids:
        j = wait_job(u, jid, timeout=90)
        assert j["state"] in ("done", "dead"), j  # finished (a non-video dies permanently)
    print("PASS redis: %d jobs finished across kill -9 and restart of Redis" % len(jids))
    return "pass"


def readyz():
    try:
        return requests.get(URL + "/readyz", timeout=5).status_code
    except requests.RequestException:
        return 0


def chaos_pg():
    if not state().get("DATABASE_URL", "").startswith("postgres"):
        print("SKIP pg: the store is not PostgreSQL (REPRIGHT_CLUSTER_BACKENDS=pg)")
        return "skip"
    u = User()
    cluster("kill", "pg")
    deadline = time.monotonic() + 20
    while readyz() == 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert readyz() != 200, "/readyz stayed green without PostgreSQL"
    cluster("start", "pg")
    deadline = time.monotonic() + 30
    while readyz() != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert readyz() == 200, "/readyz did not turn green after PostgreSQL came back"
    r = u.req("POST", "/v1/sync", json={"workouts": []})
    assert r.status_code < 500, r.text
    print("PASS pg: /readyz red while PostgreSQL was down, green again after the restart")
    return "pass"


SCENARIOS = {"proxy": chaos_proxy, "worker": chaos_worker, "serve": chaos_serve, "redis": chaos_redis,
             "pg": chaos_pg}

if __name__ == "__main__":
    names = sys.argv[1:] or list(SCENARIOS)
    results = [SCENARIOS[n]() for n in names]
    if "pass" not in results:
        print("SKIP: no chaos scenario could run")
        sys.exit(77)
