"""Slow clients cannot hold the server (reliability.md "Untrusted input"): header deadline, minimum
body rate, idle keep-alive, connection caps per address (answered 429). Slowloris connections
(headers trickled a byte at a time) and slow-body uploads come from 127.0.0.2, in a separate
process so the measuring side is not slowed by them, while a probe on 127.0.0.1 sends 100
requests/s to /healthz for 10 s: every probe request must succeed with a low p99, and every slow
connection must be closed by its deadline (short deadlines configured through the environment).
~15 s."""
import http.client
import multiprocessing
import socket
import threading
import time

from conftest import assert_error

HEADER_TIMEOUT_S = 2
BODY_GRACE_S = 2
BODY_MIN_RATE = 1000  # bytes/s
MAX_PER_IP = 16
ATTACK_S = 10.0
PROBE_RPS = 100
SLOWLORIS = 16  # more than MAX_PER_IP together with the slow bodies
SLOW_BODIES = 6
TRICKLE_S = 0.25  # one byte every 250 ms: never idle long enough for the 30 s idle timeout


def _slow_connection(host, port, kind, until, out):
    """Open connections from 127.0.0.2 until `until`, one after another, each trickling bytes
    until the server closes it. Appends (kind, lifetime_s, closed_by_server) per connection."""
    while time.monotonic() < until:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.2", 0))
        t0 = time.monotonic()
        closed = False
        try:
            s.connect((host, port))
            if kind == "headers":
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
                drip = b"X-Slow: " + b"a" * 100000
            else:
                s.sendall(b"POST /v1/auth/register HTTP/1.1\r\nHost: x\r\n"
                          b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
                drip = b'{"email":"' + b"a" * 100000
            s.settimeout(TRICKLE_S)
            i = 0
            while time.monotonic() < until:
                try:
                    if s.recv(4096) == b"":
                        closed = True
                        break
                except socket.timeout:
                    pass
                s.send(drip[i:i + 1])
                i += 1
        except (ConnectionResetError, BrokenPipeError, ConnectionRefusedError):
            closed = True
        except OSError:
            closed = True
        finally:
            s.close()
        life = time.monotonic() - t0
        out.append((kind, life, closed))
        if life < 0.5:
            time.sleep(0.2)  # refused by the per-IP cap: try again a little later


def _attacker(host, port, duration, queue):
    until = time.monotonic() + duration
    results = []
    # the slow bodies first: a closed connection's thread reconnects at once and takes the
    # place back, so whoever holds the per-address places at the start keeps them
    threads = [threading.Thread(target=_slow_connection, args=(host, port, "body", until,
                                                                results))
               for _ in range(SLOW_BODIES)]
    threads += [threading.Thread(target=_slow_connection, args=(host, port, "headers", until,
                                                                 results))
                for _ in range(SLOWLORIS)]
    for i, t in enumerate(threads):
        t.start()
        if i == SLOW_BODIES - 1:
            time.sleep(0.3)
    for t in threads:
        t.join()
    queue.put(results)


def _metric(text, name, reason):
    want = '%s{reason="%s"}' % (name, reason)
    for line in text.splitlines():
        if line.startswith(want):
            return float(line.split()[-1])
    return 0.0


def test_slowloris_and_slow_bodies_do_not_disturb_a_probe(server_factory):
    srv = server_factory({"REPRIGHT_HEADER_TIMEOUT_S": str(HEADER_TIMEOUT_S),
                          "REPRIGHT_BODY_GRACE_S": str(BODY_GRACE_S),
                          "REPRIGHT_BODY_MIN_RATE": str(BODY_MIN_RATE),
                          "REPRIGHT_MAX_PER_IP": str(MAX_PER_IP)})
    host, port = srv.url.rsplit("/", 1)[1].split(":")
    port = int(port)

    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    attacker = ctx.Process(target=_attacker, args=(host, port, ATTACK_S + 1.0, queue))
    attacker.start()
    time.sleep(1.0)  # let the slow connections pile up first

    conn = http.client.HTTPConnection(host, port, timeout=5, source_address=("127.0.0.1", 0))
    latencies, failures = [], []
    n = int(ATTACK_S * PROBE_RPS)
    start = time.monotonic()
    for i in range(n):
        delay = start + i / PROBE_RPS - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        t0 = time.perf_counter()
        try:
            conn.request("GET", "/healthz")
            r = conn.getresponse()
            r.read()
            if r.status != 200:
                failures.append(r.status)
        except (OSError, http.client.HTTPException) as e:
            failures.append(repr(e))
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=5,
                                              source_address=("127.0.0.1", 0))
        latencies.append((time.perf_counter() - t0) * 1000.0)
    conn.close()
    elapsed = time.monotonic() - start

    results = queue.get(timeout=60)
    attacker.join(timeout=30)
    lat = sorted(latencies)
    p50, p99 = lat[len(lat) // 2], lat[min(len(lat) - 1, int(0.99 * len(lat)))]
    print("probe: %d requests in %.1f s, %d failed, p50 %.2f ms, p99 %.2f ms, max %.2f ms"
          % (n, elapsed, len(failures), p50, p99, lat[-1]))
    assert not failures, failures[:10]
    assert p99 < 200.0, p99

    by_kind = {"headers": [], "body": []}
    for kind, life, closed in results:
        by_kind[kind].append((life, closed))
    for kind, deadline in (("headers", HEADER_TIMEOUT_S), ("body", BODY_GRACE_S)):
        rows = by_kind[kind]
        # closed well before the deadline: refused at accept by the per-IP cap (under load the
        # accept itself can take a while, so anything short of the deadline counts here; the
        # server's own log below proves it never cut a connection before its deadline)
        early = [life for life, closed in rows if closed and life < deadline - 0.3]
        timed = [life for life, closed in rows if closed and life >= deadline - 0.3]
        open_at_end = [life for life, closed in rows if not closed]
        print("%s: %d connections, %d closed by the deadline (%.2f..%.2f s), %d refused at "
              "accept, %d still open at the end (longest %.2f s)"
              % (kind, len(rows), len(timed), min(timed or [0]), max(timed or [0]), len(early),
                 len(open_at_end), max(open_at_end or [0])))
        assert len(timed) >= 3, rows  # usually 15..70: they compete for 16 slots
        # closed once the deadline passed (timer every 100 ms; slack for sanitizer builds)
        assert all(life <= deadline + 2.0 for life in timed), timed
        # nothing outlived its deadline by more than that slack
        assert all(life <= deadline + 2.0 for life in open_at_end), open_at_end
    # the per-IP cap refused the excess (16 + 6 slow connections > 16 per address)
    assert sum(1 for rows in by_kind.values() for life, closed in rows
               if closed and life < 0.5) > 0

    text = srv.get("/metrics").text
    assert _metric(text, "http_slow_clients_closed_total", "header_deadline") >= 3
    assert _metric(text, "http_slow_clients_closed_total", "body_rate") >= 3
    logs = [e for e in srv.log_lines() if e.get("msg") == "slow client closed"]
    assert {e.get("reason") for e in logs} == {"header_deadline", "body_rate"}
    # the server never cut a connection before its deadline (its own clock)
    limits = {"header_deadline": HEADER_TIMEOUT_S * 1000, "body_rate": BODY_GRACE_S * 1000}
    assert all(e["elapsed_ms"] >= limits[e["reason"]] for e in logs), logs


def test_a_client_that_keeps_up_is_not_cut_off(server_factory):
    """A body that arrives faster than the minimum rate over more than the grace period, and a
    keep-alive connection reused within the header deadline, are served normally."""
    srv = server_factory({"REPRIGHT_HEADER_TIMEOUT_S": str(HEADER_TIMEOUT_S),
                          "REPRIGHT_BODY_GRACE_S": "1", "REPRIGHT_BODY_MIN_RATE": "100"})
    host, port = srv.url.rsplit("/", 1)[1].split(":")
    s = socket.create_connection((host, int(port)))
    body = b'{"email":"not-an-email","password":"' + b"p" * 400 + b'"}'
    s.sendall(b"POST /v1/auth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\n\r\n" % len(body))
    t0 = time.monotonic()
    for i in range(0, len(body), 50):  # ~200 bytes/s for ~2.2 s: slow, but above 100 bytes/s
        s.sendall(body[i:i + 50])
        time.sleep(0.25)
    s.settimeout(10)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        assert chunk, "closed after %.1f s" % (time.monotonic() - t0)
        data += chunk
    assert data.startswith(b"HTTP/1.1 422"), data[:200]  # answered: the schema refused the email
    s.close()

    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    for _ in range(3):  # keep-alive reuse well inside the header deadline
        conn.request("GET", "/healthz")
        assert conn.getresponse().read() == b'{"status":"ok"}'
        time.sleep(HEADER_TIMEOUT_S / 2)
    sock = conn.sock
    time.sleep(HEADER_TIMEOUT_S + 1.0)  # idle keep-alive past the deadline: closed by the server
    sock.settimeout(2)
    assert sock.recv(1) == b""
    conn.close()
    r = srv.get("/v1/nothing-here")
    assert_error(r, 404)
