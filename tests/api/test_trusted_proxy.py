"""REPRIGHT_TRUSTED_PROXIES, black-box: X-Forwarded-For / X-Real-IP name the client only when
the TCP peer is a trusted proxy (http/proxy.h). One server trusts 127.0.0.1; 127.0.0.2 plays an
untrusted client that forges the headers. Registration and login throttling, the access log and
the per-address connection cap all see the right address. ~2 s."""
import http.client
import json
import socket
import subprocess
import time

import pytest

from conftest import repright_bin, unique_email

PROXY, CLIENT = "127.0.0.1", "127.0.0.2"


def call(srv, source_ip, method, path, body=None, headers=None):
    host, port = srv.url.rsplit("/", 1)[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30, source_address=(source_ip, 0))
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    try:
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
        r = conn.getresponse()
        return r.status, json.loads(r.read() or b"null")
    finally:
        conn.close()


def until_429(attempt, n):
    """Statuses of up to n attempts, stopping at the first 429. The limiter's window slides
    (the previous window counts in part), so a run that straddles a window edge may need a few
    more attempts than the limit before it is refused: what matters is that it is refused."""
    seen = []
    for i in range(n):
        seen.append(attempt(i))
        if seen[-1] == 429:
            break
    return seen


def register(srv, source_ip, headers):
    return call(srv, source_ip, "POST", "/v1/auth/register",
                {"email": unique_email("xff"), "password": "correct horse battery staple"},
                headers)[0]


@pytest.fixture
def srv(server_factory):
    return server_factory({"REPRIGHT_TRUSTED_PROXIES": PROXY + "/32",
                           "REPRIGHT_REGISTER_LIMIT": "2", "REPRIGHT_LOGIN_IP_LIMIT": "3",
                           "REPRIGHT_MAX_PER_IP": "2"})


def test_forged_forwarded_for_from_an_untrusted_peer_is_ignored(srv):
    seen = until_429(lambda i: register(srv, CLIENT, {"X-Forwarded-For": "203.0.113.%d" % i,
                                                      "X-Real-IP": "198.51.100.%d" % i}), 6)
    assert seen[:2] == [201, 201] and seen[-1] == 429, seen  # one address, whatever it says
    # login throttling too: a new forged address per wrong guess does not reset the count
    seen = until_429(lambda i: call(srv, CLIENT, "POST", "/v1/auth/login",
                                    {"email": unique_email("nobody"),
                                     "password": "wrong password here"},
                                    {"X-Forwarded-For": "192.0.2.%d" % i})[0], 8)
    assert seen[:3] == [401, 401, 401] and seen[-1] == 429, seen


def test_a_trusted_proxy_names_the_client(srv):
    # every client behind the proxy has its own budget ...
    seen = [register(srv, PROXY, {"X-Forwarded-For": "6.6.6.6, 203.0.113.%d" % i})
            for i in range(4)]
    assert seen == [201] * 4, seen
    # ... keyed by the rightmost untrusted hop, not by what the client wrote on the left
    seen = until_429(lambda i: register(srv, PROXY, {
        "X-Forwarded-For": "10.%d.0.1, 198.51.100.77" % i}), 6)
    assert seen[:2] == [201, 201] and seen[-1] == 429, seen
    # X-Real-IP when there is no X-Forwarded-For
    seen = until_429(lambda i: register(srv, PROXY, {"X-Real-IP": "198.51.100.88"}), 6)
    assert seen[:2] == [201, 201] and seen[-1] == 429, seen
    ips = [ln.get("ip") for ln in srv.log_lines() if ln.get("msg") == "request"]
    assert "203.0.113.3" in ips and "198.51.100.77" in ips and "198.51.100.88" in ips, ips
    assert "6.6.6.6" not in ips and "10.1.0.1" not in ips, ips


def test_access_log_shows_the_peer_for_untrusted_clients(srv):
    st, _ = call(srv, CLIENT, "GET", "/healthz", headers={"X-Forwarded-For": "203.0.113.250"})
    assert st == 200
    time.sleep(0.2)
    lines = [ln for ln in srv.log_lines() if ln.get("msg") == "request"]
    assert any(ln.get("ip") == CLIENT for ln in lines), lines[-3:]
    assert all(ln.get("ip") != "203.0.113.250" for ln in lines)


def open_kept(srv, source_ip, n):
    """n keep-alive connections from source_ip, each after one GET /healthz; their statuses."""
    port = int(srv.url.rsplit(":", 1)[1])
    socks, statuses = [], []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=10,
                                     source_address=(source_ip, 0))
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        head = s.recv(4096).decode("latin-1")
        statuses.append(int(head.split(" ", 2)[1]) if head else 0)
        socks.append(s)
    return socks, statuses


def test_the_per_address_cap_spares_the_proxy(srv):
    socks, st = open_kept(srv, CLIENT, 3)
    try:
        assert st == [200, 200, 429], st
    finally:
        for s in socks:
            s.close()
    socks, st = open_kept(srv, PROXY, 5)  # nginx multiplexes many clients: no cap
    try:
        assert st == [200] * 5, st
    finally:
        for s in socks:
            s.close()


def test_a_bad_list_is_refused_at_start(tmp_path):
    env = {"REPRIGHT_TRUSTED_PROXIES": "10.0.0.0/33", "PATH": "/usr/bin:/bin"}
    r = subprocess.run([repright_bin(), "serve", "--port", "0", "--data-dir",
                        str(tmp_path / "d")], env=env, capture_output=True, timeout=60)
    assert r.returncode != 0
    assert b"trusted proxy '10.0.0.0/33'" in r.stderr, r.stderr[-2000:]
