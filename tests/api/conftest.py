"""Black-box API test harness: a real `repright serve` on 127.0.0.1, a temp data dir, plain HTTP.

The binary comes from $REPRIGHT_BIN (CTest sets it). Servers are started with --port 0; the port
is read from the server's one "listening" JSON log line (stderr goes to a file in the data dir,
so a chatty server never blocks on a full pipe). Fixtures:

  server          one shared server per test session (login throttling relaxed, so suites can log
                  in many times from 127.0.0.1); use it unless a test needs its own settings
  server_factory  start(extra_env=None, args=None) -> Server; every server started is stopped at
                  the end of the test (SIGTERM, then SIGKILL after 30 s)
  user, other     fresh registered + logged-in users on `server` (class User below)

With RR_API_STORE=postgres every server runs on a fresh database of one throwaway PostgreSQL
(tests/api/pgserver.py; the CTest entry api-blackbox-pg/smoke), unless a test passes its own
REPRIGHT_DATABASE_URL.

External mode: with REPRIGHT_TEST_BASE_URL=http://host:port the shared `server` is that URL (a
cluster behind nginx: scripts/cluster.sh); it must run with RELAXED_ENV's settings. Tests that
start their own server (server_factory, _start) are skipped in that mode; Server.proc and
log_path are None, data_dir is $REPRIGHT_TEST_DATA_DIR (the directory holding the cluster's
"data" dir, for `repright admin`) or None, and log_lines() reads the files in $REPRIGHT_TEST_LOGS.

Helpers: new_user(server), register(server, email, password), login(server, email, password),
Server.get/post/... (requests, never through a proxy), assert_error(resp, status, code=None).
"""
import atexit
import base64
import hashlib
import hmac
import json
import os
import signal
import subprocess
import tempfile
import time
import uuid

import pytest
import requests

import pgserver

DEFAULT_PASSWORD = "correct horse battery staple"
START_TIMEOUT_S = 30.0


def repright_bin():
    path = os.environ.get("REPRIGHT_BIN")
    if not path or not os.access(path, os.X_OK):
        pytest.skip("REPRIGHT_BIN is not set to an executable repright binary")
    return path


class Server:
    """One running `repright serve` process."""

    def __init__(self, proc, url, data_dir, log_path):
        self.proc = proc
        self.url = url
        self.data_dir = data_dir
        self.log_path = log_path
        self.http = requests.Session()
        self.http.trust_env = False  # never route 127.0.0.1 through a proxy from the environment

    def request(self, method, path, **kw):
        kw.setdefault("timeout", 30)
        return self.http.request(method, self.url + path, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def head(self, path, **kw):
        return self.request("HEAD", path, **kw)

    def log_lines(self):
        """The server's JSON log lines parsed (non-JSON lines skipped); for an external cluster,
        those of every file in $REPRIGHT_TEST_LOGS (':'-separated), merged in time order."""
        out = []
        paths = [self.log_path] if self.log_path else \
            [p for p in os.environ.get("REPRIGHT_TEST_LOGS", "").split(":") if p]
        for path in paths:
            with open(path, "r", errors="replace") as f:
                for line in f:
                    try:
                        out.append(json.loads(line))
                    except ValueError:
                        pass
        if len(paths) > 1:
            out.sort(key=lambda ev: str(ev.get("ts", "")))  # stable: ties keep file order
        return out

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Signal the server and wait; returns its exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.http.close()
        return self.proc.returncode


_PG = None
_PG_DBS = {}  # data dir -> its database: a server restarted on a data dir finds its data


def _pg_database_url(data_dir):
    """The database of data_dir on the session's PostgreSQL (started on first use)."""
    global _PG
    if data_dir in _PG_DBS:
        return _PG_DBS[data_dir]
    if _PG is None:
        pg = pgserver.PgServer()
        try:
            pg.start()
        except pgserver.Unavailable as e:
            pytest.skip(str(e))
        _PG = pg
        atexit.register(pg.stop)
    _PG_DBS[data_dir] = _PG.new_db()
    return _PG_DBS[data_dir]

EXTERNAL_URL = os.environ.get("REPRIGHT_TEST_BASE_URL", "").rstrip("/")


def pytest_configure(config):
    config.addinivalue_line("markers", "one_instance: reads one process's state (its metrics); "
                            "skipped against an external cluster")


def pytest_collection_modifyitems(config, items):
    if not EXTERNAL_URL:
        return
    skip = pytest.mark.skip(reason="one process's state; REPRIGHT_TEST_BASE_URL is a cluster")
    for item in items:
        if "one_instance" in item.keywords:
            item.add_marker(skip)


def store_url_of(data_dir):
    """The REPRIGHT_DATABASE_URL a server started on data_dir (its "data" dir) uses, when it is
    not the default SQLite file there: the PostgreSQL database of RR_API_STORE=postgres, or
    REPRIGHT_TEST_DATABASE_URL_OF_SERVER (a cluster's store). None for the default."""
    return (_PG_DBS.get(os.path.realpath(data_dir))
            or os.environ.get("REPRIGHT_TEST_DATABASE_URL_OF_SERVER") or None)


def _start(tmp_root, extra_env=None, args=None):
    if EXTERNAL_URL:
        pytest.skip("needs its own server (REPRIGHT_TEST_BASE_URL points at an external one)")
    data_dir = tempfile.mkdtemp(prefix="srv-", dir=tmp_root)
    log_path = os.path.join(data_dir, "server.log")
    env = dict(os.environ)
    for k in list(env):
        if k.startswith("REPRIGHT_") and k not in ("REPRIGHT_BIN", "REPRIGHT_MODEL_DIR"):
            del env[k]
    # suites that are not about plans run on the unlimited plan (uploads a month, overlay video);
    # the plan tests (test_plans.py) ask for "free" explicitly
    env["REPRIGHT_DEFAULT_PLAN"] = "gym"
    if os.environ.get("RR_API_STORE") == "postgres":
        a = list(args or [])
        dd = a[a.index("--data-dir") + 1] if "--data-dir" in a[:-1] else os.path.join(data_dir, "data")
        env["REPRIGHT_DATABASE_URL"] = _pg_database_url(os.path.realpath(dd))
    env.update(extra_env or {})
    cmd = [repright_bin(), "serve", "--port", "0", "--data-dir", os.path.join(data_dir, "data")]
    cmd += list(args or [])
    logf = open(log_path, "wb")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=logf, env=env)
    logf.close()
    deadline = time.monotonic() + START_TIMEOUT_S
    port = None
    while time.monotonic() < deadline and port is None:
        if proc.poll() is not None:
            with open(log_path, errors="replace") as f:
                raise RuntimeError("repright serve exited %s:\n%s" % (proc.returncode, f.read()))
        with open(log_path, errors="replace") as f:
            for line in f:
                try:
                    ev = json.loads(line)
                except ValueError:
                    continue
                if ev.get("msg") == "listening":
                    port = ev["port"]
        if port is None:
            time.sleep(0.05)
    if port is None:
        proc.kill()
        raise RuntimeError("repright serve did not log its port within %.0f s" % START_TIMEOUT_S)
    srv = Server(proc, "http://127.0.0.1:%d" % port, data_dir, log_path)
    while time.monotonic() < deadline:
        try:
            if srv.get("/healthz", timeout=2).status_code == 200:
                return srv
        except requests.ConnectionError:
            pass
        time.sleep(0.05)
    srv.stop(signal.SIGKILL)
    raise RuntimeError("repright serve never answered /healthz")


# The shared server's secret is known to the tests, so they can mint tokens the server would
# accept except for the one property under test (expired, wrong audience, ...).
JWT_TEST_SECRET_HEX = "5eed" * 16
JWT_ISSUER = "repright"
JWT_AUDIENCE = "repright-api"

# Relaxed login throttling for the shared server: the whole suite logs in from 127.0.0.1.
RELAXED_ENV = {
    "REPRIGHT_LOGIN_IP_LIMIT": "1000000",
    "REPRIGHT_LOGIN_ACCOUNT_LIMIT": "1000000",
    "REPRIGHT_LOGIN_UNTRUSTED_LIMIT": "1000000",
    "REPRIGHT_REGISTER_LIMIT": "1000000",
    "REPRIGHT_JWT_SECRET": JWT_TEST_SECRET_HEX,
}


def jwt_key(secret_hex=JWT_TEST_SECRET_HEX):
    """The server's JWT key: HMAC-SHA256(secret, "repright/jwt") (auth/secret.h)."""
    return hmac.new(bytes.fromhex(secret_hex), b"repright/jwt", hashlib.sha256).digest()


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_claims(sub, **over):
    now = int(time.time())
    claims = {"iss": JWT_ISSUER, "aud": JWT_AUDIENCE, "sub": sub, "typ": "access", "iat": now,
              "nbf": now, "exp": now + 600, "jti": uuid.uuid4().hex}
    claims.update(over)
    return claims


def mint_jwt(claims, header=None, key=None, alg="sha256"):
    """A compact JWS over claims; header defaults to {"alg":"HS256","typ":"JWT"}."""
    h = b64url(json.dumps(header or {"alg": "HS256", "typ": "JWT"}).encode())
    p = b64url(json.dumps(claims).encode())
    mac = hmac.new(key if key is not None else jwt_key(), (h + "." + p).encode(), alg).digest()
    return h + "." + p + "." + b64url(mac)


@pytest.fixture(scope="session")
def _tmp_root():
    with tempfile.TemporaryDirectory(prefix="repright-api-") as d:
        yield d


SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def check_clean_exit(srv):
    """Stop srv; fail on a sanitizer report in its log (ASan builds), and on a non-zero exit
    when the server was still running (a test that killed it on purpose owns its exit status)."""
    running = srv.proc.poll() is None
    rc = srv.stop()
    with open(srv.log_path, errors="replace") as f:
        text = f.read()
    for mark in SANITIZER_MARKS:
        assert mark not in text, text[max(0, text.index(mark) - 200):][:4000]
    if running:
        assert rc == 0, "repright serve exited %s at SIGTERM:\n%s" % (rc, text[-3000:])


@pytest.fixture(scope="session")
def server(_tmp_root):
    if EXTERNAL_URL:
        srv = Server(None, EXTERNAL_URL, os.environ.get("REPRIGHT_TEST_DATA_DIR"), None)
        assert srv.get("/healthz", timeout=10).status_code == 200, EXTERNAL_URL
        yield srv
        srv.http.close()
        return
    env = dict(RELAXED_ENV)
    env["REPRIGHT_WORKERS"] = os.environ.get("REPRIGHT_TEST_WORKERS", "1")
    srv = _start(_tmp_root, env)
    yield srv
    check_clean_exit(srv)


@pytest.fixture
def server_factory(_tmp_root):
    started = []

    def start(extra_env=None, args=None):
        if EXTERNAL_URL:
            pytest.skip("needs its own server (REPRIGHT_TEST_BASE_URL points at an external one)")
        env = {"REPRIGHT_WORKERS": "0"}
        env.update(extra_env or {})
        srv = _start(_tmp_root, env, args)
        started.append(srv)
        return srv

    yield start
    for srv in started:
        check_clean_exit(srv)


# ---- accounts ---------------------------------------------------------------------------------

def unique_email(tag="user"):
    return "%s-%s@example.com" % (tag, uuid.uuid4().hex[:12])


def register(srv, email, password=DEFAULT_PASSWORD):
    return srv.post("/v1/auth/register", json={"email": email, "password": password})


def login(srv, email, password=DEFAULT_PASSWORD):
    return srv.post("/v1/auth/login", json={"email": email, "password": password})


class User:
    """A registered, logged-in account on one server."""

    def __init__(self, srv, email, password, tokens):
        self.srv = srv
        self.email = email
        self.password = password
        self.id = tokens["user_id"]
        self.access = tokens["access_token"]
        self.refresh = tokens["refresh_token"]

    @property
    def headers(self):
        return {"Authorization": "Bearer " + self.access}

    def request(self, method, path, **kw):
        headers = dict(self.headers)
        headers.update(kw.pop("headers", {}) or {})
        return self.srv.request(method, path, headers=headers, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


def new_user(srv, password=DEFAULT_PASSWORD, tag="user"):
    email = unique_email(tag)
    r = register(srv, email, password)
    assert r.status_code == 201, r.text
    r = login(srv, email, password)
    assert r.status_code == 200, r.text
    return User(srv, email, password, r.json())


@pytest.fixture
def user(server):
    return new_user(server, tag="owner")


@pytest.fixture
def other(server):
    return new_user(server, tag="other")


def assert_error(resp, status, code=None):
    """The one error format: {"error":{"code","message","request_id","details"}}."""
    assert resp.status_code == status, (resp.status_code, resp.text)
    assert resp.headers.get("Content-Type", "").startswith("application/json"), resp.headers
    body = resp.json()
    err = body["error"]
    assert isinstance(err["code"], str) and err["code"]
    assert isinstance(err["message"], str)
    assert err["request_id"] == resp.headers.get("X-Request-Id")
    assert isinstance(err.get("details", []), list)
    if code is not None:
        assert err["code"] == code, body
    return err
