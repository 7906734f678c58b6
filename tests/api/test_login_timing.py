"""Unknown user and wrong password look identical, timing included (reliability.md "Accounts and
tokens": 500 + 500 logins, medians within 5 ms). Its own server with throttling relaxed through the
environment (so 1,000 failures from 127.0.0.1 are never refused), no workers, nothing else running
in it. The two kinds are interleaved so drift in machine load hits both alike. Takes ~25 s
(Argon2id at m=19 MiB per attempt, both sides: the unknown-user side verifies a dummy hash)."""
import statistics
import time

from conftest import JWT_TEST_SECRET_HEX, assert_error, login, register, unique_email

N = 500


def quantile(xs, q):
    s = sorted(xs)
    return s[min(len(s) - 1, int(q * len(s)))]


def test_500_unknown_user_and_500_wrong_password_logins_take_the_same_time(server_factory):
    srv = server_factory({"REPRIGHT_LOGIN_IP_LIMIT": "1000000",
                          "REPRIGHT_LOGIN_ACCOUNT_LIMIT": "1000000",
                          "REPRIGHT_LOGIN_UNTRUSTED_LIMIT": "1000000",
                          "REPRIGHT_JWT_SECRET": JWT_TEST_SECRET_HEX})
    email = unique_email("timing")
    assert register(srv, email).status_code == 201
    # warm up both paths (connection, statement cache, page cache)
    for _ in range(5):
        login(srv, unique_email("nobody"), "wrong password here")
        login(srv, email, "wrong password here")

    timings = {"unknown": [], "wrong": []}
    bodies = set()
    for i in range(N):
        for kind in (("unknown", "wrong") if i % 2 == 0 else ("wrong", "unknown")):
            who = unique_email("nobody") if kind == "unknown" else email
            t0 = time.perf_counter()
            r = login(srv, who, "wrong password here")
            timings[kind].append((time.perf_counter() - t0) * 1000.0)
            assert_error(r, 401, "invalid_credentials")
            err = r.json()["error"]
            err.pop("request_id")
            bodies.add((r.status_code, tuple(sorted((k, str(v)) for k, v in err.items()))))
    assert len(bodies) == 1, bodies  # same status and body, whoever was asked about

    mu, mw = statistics.median(timings["unknown"]), statistics.median(timings["wrong"])
    print("login timing over %d + %d: median unknown %.2f ms, wrong password %.2f ms "
          "(diff %.2f ms); p10/p90 unknown %.2f/%.2f, wrong %.2f/%.2f"
          % (N, N, mu, mw, mu - mw, quantile(timings["unknown"], 0.1),
             quantile(timings["unknown"], 0.9), quantile(timings["wrong"], 0.1),
             quantile(timings["wrong"], 0.9)))
    assert abs(mu - mw) < 5.0, (mu, mw)
    # and the work really happened on both sides: an Argon2id verify costs milliseconds
    assert mu > 3.0 and mw > 3.0, (mu, mw)
