"""Login protection that cannot be turned against the owner (issue 15), black-box: the password
limiter (api/pwguard.h) keys by source, by (account, source) and by device cookie or else by
account for untrusted clients; it guards every password check and registration.

Found before the fix: five wrong logins from anywhere locked the account for up to 15 minutes,
also for its owner with the right password; 30 wrong current_password guesses on
/v1/me/password in 1.3 s were never throttled; registration had no throttle. ~3 s."""
import http.client
import json

from conftest import DEFAULT_PASSWORD, assert_error, login, new_user, register, unique_email


def post_from(srv, source_ip, path, body, cookie=None, token=None):
    """POST JSON from a loopback source address; returns (status, headers, body)."""
    host, port = srv.url.rsplit("/", 1)[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30, source_address=(source_ip, 0))
    headers = {"Content-Type": "application/json"}
    if cookie:
        headers["Cookie"] = cookie
    if token:
        headers["Authorization"] = "Bearer " + token
    try:
        conn.request("POST", path, body=json.dumps(body), headers=headers)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, json.loads(r.read() or b"null")
    finally:
        conn.close()


def login_from(srv, source_ip, email, password=DEFAULT_PASSWORD, cookie=None):
    return post_from(srv, source_ip, "/v1/auth/login", {"email": email, "password": password},
                     cookie)


def device_cookie(headers):
    sc = headers.get("set-cookie", "")
    assert sc.startswith("rr_device="), headers
    attrs = [a.strip().lower() for a in sc.split(";")]
    assert "httponly" in attrs and "samesite=strict" in attrs and "path=/v1/" in attrs, sc
    return sc.split(";")[0]


def test_a_device_that_logged_in_before_is_not_locked_out_by_failures_elsewhere(server_factory):
    srv = server_factory()  # default policy: 5 per (account, source), 20 untrusted per account
    email = unique_email("owner")
    assert register(srv, email).status_code == 201
    status, headers, _ = login_from(srv, "127.0.0.1", email)
    assert status == 200
    cookie = device_cookie(headers)
    # a distributed guess: 5 failures from each of 5 addresses (each within its own limits)
    for i in range(5):
        for _ in range(5):
            status, _, body = login_from(srv, "127.0.0.%d" % (20 + i), email, "wrong password!")
            assert status in (401, 429), body
    # an untrusted client, even with the right password, now waits (growing delay, no lock)
    status, headers, body = login_from(srv, "127.0.0.30", email)
    assert status == 429 and body["error"]["code"] == "rate_limited", body
    assert 1 <= int(headers["retry-after"]) <= 900
    # the owner's device gets in at once, from its usual address or a new one
    for src in ("127.0.0.1", "127.0.0.31"):
        status, headers, body = login_from(srv, src, email, cookie=cookie)
        assert status == 200, (src, body)
    # a cookie of another account, or a tampered one, does not make a client trusted
    other = unique_email("other")
    assert register(srv, other).status_code == 201
    _, oh, _ = login_from(srv, "127.0.0.40", other)
    for forged in (device_cookie(oh), cookie[:-1] + ("0" if cookie[-1] != "0" else "1")):
        status, _, _ = login_from(srv, "127.0.0.41", email, cookie=forged)
        assert status == 429, forged


def test_failures_from_one_address_do_not_block_the_owner_elsewhere(server_factory):
    srv = server_factory()
    email = unique_email("owner")
    assert register(srv, email).status_code == 201
    for _ in range(6):
        login_from(srv, "127.0.0.50", email, "wrong password!")
    status, _, _ = login_from(srv, "127.0.0.50", email)
    assert status == 429  # that address waits for this account
    status, _, _ = login_from(srv, "127.0.0.51", email)  # a fresh device elsewhere: fine
    assert status == 200


def test_current_password_of_a_password_change_is_throttled(server_factory):
    srv = server_factory()
    u = new_user(srv, tag="pwchange")
    seen = []
    for i in range(8):
        r = u.post("/v1/me/password", json={"current_password": "guess number %d" % i,
                                            "new_password": "a brand new passphrase"})
        seen.append(r.status_code)
    assert seen[:5] == [403] * 5, seen  # five wrong guesses from this address ...
    assert seen[5:] == [429] * 3, seen  # ... then a growing delay
    r = u.post("/v1/me/password", json={"current_password": u.password,
                                        "new_password": "a brand new passphrase"})
    assert_error(r, 429, "rate_limited")  # even the right one waits: no guess is checked


def test_registration_is_throttled_per_source(server_factory):
    srv = server_factory()  # default: 10 registrations per address in 10 minutes
    for i in range(10):
        assert register(srv, unique_email("reg%d" % i)).status_code == 201
    r = register(srv, unique_email("reg-over"))
    err = assert_error(r, 429, "rate_limited")
    assert int(r.headers["Retry-After"]) >= 1, err
    taken = unique_email("taken")
    status, _, _ = post_from(srv, "127.0.0.60", "/v1/auth/register",
                             {"email": taken, "password": DEFAULT_PASSWORD})
    assert status == 201  # another address is not affected
    assert login(srv, taken).status_code in (200, 429)


# ---- refresh: two tabs -------------------------------------------------------------------------

def test_two_tabs_refreshing_with_one_token_get_the_same_pair(server):
    """Issue 15: two simultaneous refreshes with one token logged the user out."""
    import threading
    u = new_user(server, tag="tabs")
    out = [None, None]

    def tab(i):
        out[i] = server.post("/v1/auth/refresh", json={"refresh_token": u.refresh})

    threads = [threading.Thread(target=tab, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status_code for r in out] == [200, 200], [r.text for r in out]
    pair = [r.json() for r in out]
    assert pair[0]["refresh_token"] == pair[1]["refresh_token"] != u.refresh
    for p in pair:  # both access tokens work
        assert server.get("/v1/me", headers={"Authorization": "Bearer " + p["access_token"]}) \
            .status_code == 200
    # a third presentation, sequential, still within the grace period: the same pair again
    again = server.post("/v1/auth/refresh", json={"refresh_token": u.refresh})
    assert again.status_code == 200 and again.json()["refresh_token"] == pair[0]["refresh_token"]
    # the family lives on: the new token rotates normally
    nxt = server.post("/v1/auth/refresh", json={"refresh_token": pair[0]["refresh_token"]})
    assert nxt.status_code == 200 and nxt.json()["refresh_token"] != pair[0]["refresh_token"]


def test_a_spent_refresh_token_from_another_client_still_revokes_the_family(server):
    u = new_user(server, tag="thief")
    first = server.post("/v1/auth/refresh", json={"refresh_token": u.refresh})
    assert first.status_code == 200
    status, _, body = post_from(server, "127.0.0.70", "/v1/auth/refresh",
                                {"refresh_token": u.refresh})
    assert status == 401 and body["error"]["code"] == "invalid_refresh_token"
    # theft detected: the legitimate successor is revoked too
    r = server.post("/v1/auth/refresh", json={"refresh_token": first.json()["refresh_token"]})
    assert_error(r, 401, "invalid_refresh_token")


# ---- Unicode emails ----------------------------------------------------------------------------

def test_unicode_emails_are_one_account_whatever_the_form_or_case(server):
    import uuid
    tag = uuid.uuid4().hex[:8]
    nfc = "J\u00dcRGEN-%s@\u00c9xample.com" % tag  # precomposed, upper case
    nfd = "ju\u0308rgen-%s@e\u0301xample.com" % tag  # decomposed, lower case
    assert register(server, nfc).status_code == 201
    assert_error(register(server, nfd), 409, "email_taken")  # the same account
    for form in (nfc, nfd, nfc.lower(), "J\u00fcRGEN-%s@\u00e9XAMPLE.COM" % tag):
        assert login(server, form).status_code == 200, form
    # full case folding, not just ASCII: Greek final sigma and capital sigma are one letter
    assert register(server, "\u039f\u03a3-%s@example.com" % tag).status_code == 201
    assert_error(register(server, "\u03bf\u03c2-%s@example.com" % tag), 409, "email_taken")


def test_emails_with_bidi_overrides_or_control_characters_are_refused(server):
    import uuid
    tag = uuid.uuid4().hex[:8]
    for bad in ("a\u202e%s@example.com" % tag,   # right-to-left override
                "a\u2066%s@example.com" % tag,   # left-to-right isolate
                "a\u200f%s@example.com" % tag,   # right-to-left mark
                "a\u200b%s@example.com" % tag,   # zero-width space
                "a\ufeff%s@example.com" % tag,   # byte order mark
                "a\u0085%s@example.com" % tag):  # a C1 control
        err = assert_error(register(server, bad), 422, "validation_failed")
        assert err["details"][0]["field"] == "email", (bad, err)
        assert_error(login(server, bad), 422, "validation_failed")
