"""Accounts and tokens (docs reliability.md): register, login, refresh, logout, me, password
change; the password policy; unknown user vs wrong password; login throttling; refresh-token
rotation and reuse detection; the bad-token corpus against every authenticated route."""
import http.client
import json
import re
import statistics
import time
import uuid

import pytest

from conftest import (DEFAULT_PASSWORD, assert_error, jwt_claims, login, mint_jwt, new_user,
                      register, unique_email)

FORBIDDEN_IN_RESPONSES = ("$argon2", "password_hash", "token_hash")


def assert_no_secrets(resp):
    for s in FORBIDDEN_IN_RESPONSES:
        assert s not in resp.text, resp.text


# ---- register / login / me -------------------------------------------------------------------

def test_register_login_me_round_trip(server):
    email = unique_email()
    r = register(server, email)
    assert r.status_code == 201, r.text
    u = r.json()
    assert set(u) == {"id", "email", "role", "created_at", "plan"}
    assert u["email"] == email and u["role"] == "user" and len(u["id"]) == 32
    assert_no_secrets(r)

    r = login(server, email.upper())  # emails are case-insensitive
    assert r.status_code == 200, r.text
    t = r.json()
    assert t["token_type"] == "Bearer" and t["expires_in"] == 900
    assert t["user_id"] == u["id"] and t["access_token"].count(".") == 2
    assert len(t["refresh_token"]) >= 43  # >= 256 bits, base64url
    assert_no_secrets(r)

    r = server.get("/v1/me", headers={"Authorization": "Bearer " + t["access_token"]})
    assert r.status_code == 200, r.text
    assert r.json() == u
    assert_no_secrets(r)


def test_register_refuses_a_taken_email_whatever_its_case(server, user):
    assert_error(register(server, user.email.upper()), 409)


PW_CASES = [
    ("seven77", 422),                    # 7 characters
    ("eightchr", 201),                   # 8
    ("\u00e9" * 8, 201),                 # 8 code points, 16 bytes
    ("x" * 128, 201),                    # 128
    ("y" * 129, 422),                    # 129
    ("12345678", 422),                   # common
    ("PassWord", 422),                   # common, case-insensitive
    ("qwertyuiop", 422),                 # common
]


@pytest.mark.parametrize("password,status", PW_CASES)
def test_password_policy_table(server, password, status):
    r = register(server, unique_email("policy"), password)
    assert r.status_code == status, (password, r.text)
    if status == 422:
        err = assert_error(r, 422, "validation_failed")
        assert err["details"][0]["field"] == "password"


@pytest.mark.parametrize("body,status,field", [
    ({"email": "not-an-email", "password": DEFAULT_PASSWORD}, 422, "email"),
    ({"password": DEFAULT_PASSWORD}, 422, "email"),
    ({"email": "a@example.com"}, 422, "password"),
    ({"email": "a@example.com", "password": 12345678}, 422, "password"),
])
def test_register_reports_each_bad_field(server, body, status, field):
    err = assert_error(server.post("/v1/auth/register", json=body), status)
    assert field in [d["field"] for d in err["details"]]


def test_mass_assignment_is_refused_and_changes_nothing(server, user):
    email = unique_email("mass")
    r = server.post("/v1/auth/register",
                    json={"email": email, "password": DEFAULT_PASSWORD, "role": "admin"})
    err = assert_error(r, 400, "unknown_field")
    assert [d["field"] for d in err["details"]] == ["role"]
    assert_error(login(server, email), 401)  # no account was created
    r = user.post("/v1/me/password", json={"current_password": user.password,
                                           "new_password": "another good secret", "role": "admin"})
    assert_error(r, 400, "unknown_field")
    assert login(server, user.email, user.password).status_code == 200  # unchanged
    assert user.get("/v1/me").json()["role"] == "user"


@pytest.mark.one_instance  # timing: behind nginx two processes share the 2 cores
def test_unknown_user_and_wrong_password_look_identical(server, user):
    def attempt(email):
        t0 = time.perf_counter()
        r = login(server, email, "wrong password here")
        return r, time.perf_counter() - t0

    a, _ = attempt(unique_email("nobody"))
    b, _ = attempt(user.email)
    assert a.status_code == b.status_code == 401
    ea, eb = a.json()["error"], b.json()["error"]
    ea.pop("request_id"), eb.pop("request_id")
    assert ea == eb
    assert ea["code"] == "invalid_credentials"

    unknown, wrong = [], []
    for i in range(50):  # interleaved, so drift in machine load hits both sides alike
        unknown.append(attempt(unique_email("nobody"))[1])
        wrong.append(attempt(user.email)[1])
    mu, mw = statistics.median(unknown) * 1000, statistics.median(wrong) * 1000
    print("login medians: unknown %.2f ms, wrong password %.2f ms" % (mu, mw))
    # a skipped hash would differ by the whole hash (~30 ms vs ~1 ms: the faster side under 5 %
    # of the slower); the allowance covers the noise of a loaded CI box (5 ms, or 40 % of the
    # slower median when the box is slow: one run beside other builds saw 33 ms at ~110 ms)
    assert abs(mu - mw) < max(5.0, 0.4 * max(mu, mw)), (mu, mw)


def login_from(srv, source_ip, email, password=DEFAULT_PASSWORD):
    """POST /v1/auth/login from a given loopback source address (127.0.0.2 is a second client
    IP on Linux's 127/8); returns (status, headers, parsed body)."""
    host, port = srv.url.rsplit("/", 1)[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30, source_address=(source_ip, 0))
    try:
        conn.request("POST", "/v1/auth/login", body=json.dumps({"email": email,
                                                                 "password": password}),
                     headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), json.loads(r.read() or b"null")
    finally:
        conn.close()


def assert_throttled(resp, low, high):
    """429 with the JSON error body and low <= Retry-After <= high; returns Retry-After."""
    assert_error(resp, 429, "rate_limited")
    ra = int(resp.headers["Retry-After"])
    assert low <= ra <= high, (ra, low, high)
    return ra


def test_login_is_throttled_per_account_and_per_ip(server_factory):
    srv = server_factory()  # the default policy: 5 failures per account, 20 per IP per minute
    email = unique_email("throttle")
    assert register(srv, email).status_code == 201
    for i in range(5):
        assert_error(login(srv, email, "bad password %d" % i), 401)
    # the 5th failure filled the account window: blocked for the first back-off step (60 s),
    # or longer if the sliding window itself needs longer (5 hits in one window: <= 72 s)
    assert_throttled(login(srv, email), 58, 72)  # even the right password waits
    # the (account, source) key: from 127.0.0.2 the owner is not blocked by these failures
    # (issue 15: five failures from anywhere used to lock the account for everyone)
    status, headers, body = login_from(srv, "127.0.0.2", email)
    assert status == 200, body
    # another account from the same address gets through until the IP budget (20) is spent;
    # the refused attempts above did not count
    for i in range(15):  # failures 6..20 from this IP
        assert_error(login(srv, unique_email("probe")), 401)
    ra = assert_throttled(login(srv, unique_email("probe")), 1, 63)
    # the IP key is independent of the account: another address is not throttled
    status, _, body = login_from(srv, "127.0.0.2", unique_email("probe"))
    assert status == 401 and body["error"]["code"] == "invalid_credentials"
    print("IP Retry-After after 20 failures: %d s" % ra)


def test_login_backoff_doubles_up_to_the_cap(server_factory):
    # one failure per 1 s window fills it; blocks of 2 s, 4 s, then the 6 s cap
    srv = server_factory({"REPRIGHT_LOGIN_ACCOUNT_LIMIT": "1", "REPRIGHT_LOGIN_WINDOW_S": "1",
                          "REPRIGHT_LOGIN_BACKOFF_S": "2", "REPRIGHT_LOGIN_BACKOFF_MAX_S": "6"})
    email = unique_email("backoff")
    assert register(srv, email).status_code == 201
    seen = []
    for block in (2, 4, 6):
        assert_error(login(srv, email, "wrong password!"), 401)
        # the second boundary may pass between the failure and this check: block - 1 or block
        ra = assert_throttled(login(srv, email), block - 1, block)
        seen.append(ra)
        time.sleep(ra + 0.3)
    print("back-off Retry-After sequence: %s" % seen)
    # waited out: the owner gets in (no permanent lockout) and that clears the strikes
    assert login(srv, email).status_code == 200
    assert_error(login(srv, email, "wrong password!"), 401)
    assert_throttled(login(srv, email), 1, 2)  # first step again, not the cap


def test_successful_login_clears_the_account_failures(server_factory):
    srv = server_factory({"REPRIGHT_LOGIN_ACCOUNT_LIMIT": "2"})
    email = unique_email("clear")
    assert register(srv, email).status_code == 201
    assert_error(login(srv, email, "wrong password!"), 401)
    assert login(srv, email).status_code == 200  # forgets the failure above
    assert_error(login(srv, email, "wrong password!"), 401)
    assert login(srv, email).status_code == 200  # only one failure counted: still allowed
    assert_error(login(srv, email, "wrong password!"), 401)
    assert_error(login(srv, email, "wrong password!"), 401)  # fills the window
    assert_throttled(login(srv, email), 58, 90)  # 60 s block, or the window's own wait


def test_successful_logins_do_not_spend_the_ip_budget(server_factory):
    srv = server_factory({"REPRIGHT_LOGIN_IP_LIMIT": "3"})
    email = unique_email("ipbudget")
    assert register(srv, email).status_code == 201
    for _ in range(10):
        assert login(srv, email).status_code == 200
    for i in range(3):  # three failures on three accounts: the IP window is full
        assert_error(login(srv, unique_email("guess%d" % i)), 401)
    assert_throttled(login(srv, unique_email("guess")), 1, 80)
    assert_throttled(login(srv, email), 1, 80)  # the IP key denies even the owner here
    status, _, _ = login_from(srv, "127.0.0.2", email)
    assert status == 200  # from another address the owner is fine


# ---- refresh tokens --------------------------------------------------------------------------

def refresh(server, token):
    return server.post("/v1/auth/refresh", json={"refresh_token": token})


def test_refresh_rotates_and_reuse_revokes_the_family(server, user):
    r = refresh(server, user.refresh)
    assert r.status_code == 200, r.text
    t2 = r.json()
    assert t2["refresh_token"] != user.refresh and t2["user_id"] == user.id
    assert server.get("/v1/me", headers={"Authorization": "Bearer " + t2["access_token"]}) \
        .status_code == 200
    r = refresh(server, t2["refresh_token"])
    assert r.status_code == 200
    t3 = r.json()
    # replaying the first token: refused, and the whole family dies with it
    assert_error(refresh(server, user.refresh), 401, "invalid_refresh_token")
    assert_error(refresh(server, t3["refresh_token"]), 401)


def test_refresh_refuses_unknown_and_malformed_tokens(server):
    assert_error(refresh(server, "A" * 43), 401)
    assert_error(refresh(server, "x"), 401)
    assert_error(server.post("/v1/auth/refresh", json={"refresh_token": "A" * 500}), 422)
    assert_error(server.post("/v1/auth/refresh", json={}), 422)


def test_logout_ends_the_session_but_not_the_others(server, user):
    second = login(server, user.email, user.password).json()
    r = server.post("/v1/auth/logout", json={"refresh_token": user.refresh})
    assert r.status_code == 204
    assert_error(refresh(server, user.refresh), 401)
    assert refresh(server, second["refresh_token"]).status_code == 200
    # logout of an unknown token says nothing either way
    assert server.post("/v1/auth/logout", json={"refresh_token": "B" * 43}).status_code == 204


def test_password_change_ends_every_session(server, user):
    second = login(server, user.email, user.password).json()
    r = user.post("/v1/me/password", json={"current_password": "not it at all",
                                           "new_password": "a brand new secret"})
    assert_error(r, 403, "wrong_password")
    r = user.post("/v1/me/password", json={"current_password": user.password,
                                           "new_password": "password"})
    err = assert_error(r, 422, "validation_failed")
    assert err["details"][0]["field"] == "new_password"
    assert refresh(server, user.refresh).status_code == 200  # still alive so far
    second_refresh = second["refresh_token"]

    r = user.post("/v1/me/password", json={"current_password": user.password,
                                           "new_password": "a brand new secret"})
    assert r.status_code == 204, r.text
    assert_error(refresh(server, second_refresh), 401)
    assert_error(login(server, user.email, user.password), 401)
    assert login(server, user.email, "a brand new secret").status_code == 200


# ---- the bad-token corpus against every authenticated route --------------------------------

def authenticated_routes(server):
    doc = server.get("/openapi.json").json()
    out = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and op.get("security"):
                concrete = path
                while "{" in concrete:
                    a, rest = concrete.split("{", 1)
                    concrete = a + uuid.uuid4().hex + rest.split("}", 1)[1]
                out.append((method.upper(), concrete, op["operationId"]))
    return out


def bad_tokens(user, refresh_token):
    now = int(time.time())
    good = jwt_claims(user.id)
    return {
        "no header": None,
        "empty bearer": "Bearer ",
        "basic scheme": "Basic dXNlcjpwYXNz",
        "garbage": "Bearer not.a.jwt",
        "alg none": "Bearer " + mint_jwt(good, {"alg": "none", "typ": "JWT"}).rsplit(".", 1)[0] + ".",
        "alg HS512": "Bearer " + mint_jwt(good, {"alg": "HS512", "typ": "JWT"}, alg="sha512"),
        "alg RS256": "Bearer " + mint_jwt(good, {"alg": "RS256", "typ": "JWT"}),
        "bad signature": "Bearer " + mint_jwt(good)[:-2] + ("AA" if not mint_jwt(good).endswith("AA") else "BB"),
        "truncated signature": "Bearer " + mint_jwt(good)[:-6],
        "wrong key": "Bearer " + mint_jwt(good, key=b"k" * 32),
        "expired": "Bearer " + mint_jwt(jwt_claims(user.id, iat=now - 2000, nbf=now - 2000,
                                                   exp=now - 1100)),
        "future nbf": "Bearer " + mint_jwt(jwt_claims(user.id, nbf=now + 500, exp=now + 800)),
        "wrong iss": "Bearer " + mint_jwt(jwt_claims(user.id, iss="someone-else")),
        "wrong aud": "Bearer " + mint_jwt(jwt_claims(user.id, aud="another-api")),
        "refresh typ": "Bearer " + mint_jwt(jwt_claims(user.id, typ="refresh", exp=now + 3600)),
        "opaque refresh token": "Bearer " + refresh_token,
        "8 KB header": "Bearer " + "a" * 8192,
    }


def test_bad_token_corpus_is_refused_on_every_authenticated_route(server, user):
    # control: a minted token with every property right IS accepted, so the corpus below is
    # refused for the one property it breaks, not because minting is wrong
    good = {"Authorization": "Bearer " + mint_jwt(jwt_claims(user.id))}
    assert server.get("/v1/me", headers=good).status_code == 200

    routes = authenticated_routes(server)
    assert ("GET", "/v1/me", "me.get") in routes
    failures = []
    for name, value in bad_tokens(user, user.refresh).items():
        headers = {} if value is None else {"Authorization": value}
        for method, path, op in routes:
            r = server.request(method, path, headers=headers)
            if r.status_code != 401 or r.json()["error"]["code"] != "unauthenticated":
                failures.append((name, op, r.status_code))
            elif not re.fullmatch(r'Bearer( realm="[a-z]+")?',
                                  r.headers.get("WWW-Authenticate", "")):
                # partner routes name their realm (RFC 6750 3): Bearer realm="partner"
                failures.append((name, op, "no WWW-Authenticate"))
    assert not failures, failures
