"""Connection pressure (issue 15): a slowloris flood from many addresses cannot take the server
offline. 512 sockets from 16 loopback addresses (127.0.0.2..17, 32 each: within the per-address
cap, and sixteen addresses are what one IPv6 /64 gives an attacker) each send one header byte a
second and reconnect as soon as the server closes them, in a separate process. Meanwhile a probe
on 127.0.0.1 opens a fresh connection for every GET /healthz (as curl or a load balancer's health
check does): every probe must be answered. The target is p99 <= 100 ms (met on a quiet box:
13 ms, reliability.md); the test fails above RR_FLOOD_P99_MS (default 500 ms: the CI box runs
this under coverage and ASan builds at -O0; before the gate the p99 was 4.8 s with probes lost)
and prints the figure either way. The server runs with its default
connection settings (512 connections, 32 per address, 10 s header deadline). A second run
has every slow socket send one whole request first and trickle the next one (held by
libmicrohttpd as idle keep-alive connections, not by the gate). ~41 s; CTest stops it at 60 s.
The figures are printed (ctest -V shows them).

Before the connection gate the probe got 11 of 19 answers over 45 s: the slow sockets filled
the table, the 10 s header deadline closed them, and they came straight back."""
import multiprocessing
import os
import selectors
import socket
import time

SOURCES = ["127.0.0.%d" % i for i in range(2, 18)]
PER_SOURCE = 32
DRIP_S = 1.0  # one header byte a second per socket
WARMUP_S = 4.0
PROBE_S = 20.0
PROBE_RPS = 20
P99_TARGET_MS = 100.0
P99_MAX_MS = float(os.environ.get("RR_FLOOD_P99_MS", "500"))


HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"


def _attacker(port, duration, out, first):
    """512 slowloris sockets, reconnecting whenever one is closed; puts stats on `out`. Each
    sends `first` at once, then the slow head a byte a second."""
    sel = selectors.DefaultSelector()
    head = first + b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 65536
    stats = {"connects": 0, "closed_by_server": 0, "refused": 0, "max_open": 0}
    slots = {}  # sock -> [source, next byte index, next send time, connected]
    now = time.monotonic()
    until = now + duration

    def start(src):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.bind((src, 0))
        try:
            s.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        except OSError:
            stats["refused"] += 1
            s.close()
            return False
        stats["connects"] += 1
        slots[s] = [src, 0, time.monotonic(), False]
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
        return True

    def drop(s):
        src = slots.pop(s)[0]
        sel.unregister(s)
        s.close()
        return src

    pending = [src for src in SOURCES for _ in range(PER_SOURCE)]
    while time.monotonic() < until:
        while pending:  # (re)connect every free slot at once
            if not start(pending[-1]):
                break
            pending.pop()
        for key, ev in sel.select(timeout=0.05):
            s = key.fileobj
            slot = slots.get(s)
            if slot is None:
                continue
            if ev & selectors.EVENT_WRITE and not slot[3]:
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                    stats["refused"] += 1
                    pending.append(drop(s))
                    continue
                slot[3] = True
                sel.modify(s, selectors.EVENT_READ)
            if ev & selectors.EVENT_READ:
                try:
                    data = s.recv(4096)
                except OSError:
                    data = b""
                if not data:
                    stats["closed_by_server"] += 1
                    pending.append(drop(s))
        now = time.monotonic()
        stats["max_open"] = max(stats["max_open"], sum(1 for v in slots.values() if v[3]))
        for s, slot in list(slots.items()):
            if slot[3] and now >= slot[2]:
                n = 1 + (len(first) if slot[1] == 0 else 0)
                try:
                    s.send(head[slot[1]:slot[1] + n])
                    slot[1] += n
                    slot[2] = now + DRIP_S
                except OSError:
                    stats["closed_by_server"] += 1
                    pending.append(drop(s))
    for s in list(slots):
        drop(s)
    out.put(stats)


def _probe_once(port):
    t0 = time.perf_counter()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5.0)
    try:
        s.bind(("127.0.0.1", 0))
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        ok = data.startswith(b"HTTP/1.1 200") and data.endswith(b'{"status":"ok"}')
        return ok, (time.perf_counter() - t0) * 1000.0, data[:60]
    except OSError as e:
        return False, (time.perf_counter() - t0) * 1000.0, repr(e)
    finally:
        s.close()


def _metric(text, name):
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            total += float(line.split()[-1])
    return total


def _flood(srv, probe_s, capsys, label, first=b""):
    port = int(srv.url.rsplit(":", 1)[1])
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    attacker = ctx.Process(target=_attacker, args=(port, WARMUP_S + probe_s + 1.0, out, first))
    attacker.start()
    time.sleep(WARMUP_S)  # let the slow sockets fill the table

    lat, failures = [], []
    n = int(probe_s * PROBE_RPS)
    start = time.monotonic()
    for i in range(n):
        delay = start + i / PROBE_RPS - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        ok, ms, what = _probe_once(port)
        lat.append(ms)
        if not ok:
            failures.append((round(ms), what))
    stats = out.get(timeout=60)
    attacker.join(timeout=30)

    lat.sort()
    p50, p99 = lat[len(lat) // 2], lat[min(len(lat) - 1, int(0.99 * len(lat)))]
    metrics = srv.get("/metrics").text
    with capsys.disabled():  # the figures go to CTest's output (docs/internals/reliability.md)
        print("\n[%s] attacker: %d sources x %d sockets, %s" % (label, len(SOURCES), PER_SOURCE,
                                                               stats))
        print("[%s] probe: %d requests, %d answered, p50 %.2f ms, p99 %.2f ms, max %.2f ms"
              " (target p99 <= %.0f ms: %s)"
              % (label, n, n - len(failures), p50, p99, lat[-1], P99_TARGET_MS,
                 "met" if p99 <= P99_TARGET_MS else "missed"))
        print("[%s] server: evicted %d, refused %d, slow closed %d"
              % (label, _metric(metrics, "http_connections_evicted_total"),
                 _metric(metrics, "http_connections_refused_total"),
                 _metric(metrics, "http_slow_clients_closed_total")))
    assert stats["max_open"] >= 400, stats  # the flood really held the table
    assert not failures, failures[:10]
    assert p99 <= P99_MAX_MS, p99
    assert _metric(metrics, "http_connections_evicted_total") > 0


def test_probe_is_answered_under_a_slowloris_flood_from_16_addresses(server_factory, capsys):
    _flood(server_factory(), PROBE_S, capsys, "slow heads")


def test_probe_is_answered_when_the_flood_holds_idle_keep_alive_connections(server_factory,
                                                                            capsys):
    _flood(server_factory(), PROBE_S / 2, capsys, "idle keep-alive", first=HEALTHZ)
