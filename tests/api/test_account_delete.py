"""DELETE /v1/me (issue 13, privacy): an account with an uploaded video (its analysis job still
queued: no worker), synced workouts and a consent to a gym whose webhook endpoint is a real
receiver on loopback (webhook_support.Receiver, signatures checked).
  - the wrong password -> 403 wrong_password JSON and nothing is deleted; no password -> 422;
    a partner API key never reaches the route (401);
  - the right password -> 204; the video's files are gone from the data dir, the old access token
    and the refresh token answer 401 on /v1/me and on every write (reads find nothing), login fails, the gym hears member.unlinked
    {"reason":"account_deleted"} (signed, nothing else in data) and no longer lists the member;
  - another account is untouched.
`repright admin user delete` (the operator's way) is checked here too: --yes is required."""
import os

from conftest import RELAXED_ENV, assert_error, login, new_user
from partner_support import (ALL_SCOPES, admin, invite, key_headers, link, new_key, new_org,
                             sync_workout)
from webhook_support import Receiver, wait

FAKE_MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 4096


def files_of(server, video_id):
    out = []
    for root, _, names in os.walk(os.path.join(server.data_dir, "data")):
        out += [os.path.join(root, n) for n in names if video_id in os.path.join(root, n)]
    return out


def upload(u):
    r = u.post("/v1/videos", data=FAKE_MP4, headers={"Content-Type": "video/mp4"})
    assert r.status_code == 201, r.text
    return r.json()["video_id"]


def test_delete_me_takes_everything_and_tells_the_gym(server_factory):
    rx = Receiver()
    try:
        run(server_factory, rx)
    finally:
        rx.close()


def run(server_factory, rx):
    env = dict(RELAXED_ENV)
    # one worker for the webhook deliveries; analysis of the fake clip fails, harmlessly
    env.update({"REPRIGHT_WORKERS": "1", "REPRIGHT_WEBHOOK_ALLOW_HTTP_LOOPBACK": "1",
                "REPRIGHT_WEBHOOK_RETRY_BASE_MS": "200"})
    srv = server_factory(env)
    org = new_org(srv)
    key = new_key(srv, org, ALL_SCOPES)["key"]
    h = key_headers(key)
    r = srv.post("/v1/partner/webhooks", headers=h,
                 json={"url": rx.url, "event_types": ["member.linked", "member.unlinked"]})
    assert r.status_code == 201, r.text
    rx.secret = r.json()["secret"]

    u = new_user(srv, tag="leaving")
    stays = new_user(srv, tag="staying")
    link(u, invite(srv, org))
    link(stays, invite(srv, org))
    sync_workout(u)
    sync_workout(stays)
    vid = upload(u)
    kept = upload(stays)
    assert files_of(srv, vid), "the upload left no file under the data dir"
    wait(lambda: len([e for e in rx.events() if e["type"] == "member.linked"]) == 2, 20,
         "member.linked x2")

    # a partner key is not a user: 401, nothing happens
    assert_error(srv.delete("/v1/me", headers=h, json={"password": u.password}), 401)
    # the wrong password: 403 JSON, nothing deleted
    assert_error(u.delete("/v1/me", json={"password": "not the password at all"}), 403,
                 "wrong_password")
    assert_error(u.delete("/v1/me", json={}), 422)
    assert u.get("/v1/me").status_code == 200
    assert u.get("/v1/videos/" + vid).status_code == 200
    assert len(u.get("/v1/workouts").json()["items"]) == 1
    assert files_of(srv, vid)

    r = u.delete("/v1/me", json={"password": u.password})
    assert r.status_code == 204, r.text
    assert files_of(srv, vid) == []
    assert_error(u.get("/v1/me"), 401)
    # a write with the old token: 401 (principal.c checks the user on every non-GET); a read
    # finds nothing left of the account
    assert_error(u.post("/v1/sync", json={"client_id": "x" * 32, "started_at":
                                          "2026-03-01T10:00:00Z", "exercise": "squat",
                                          "reps": []}), 401)
    assert_error(u.post("/v1/videos", data=FAKE_MP4, headers={"Content-Type": "video/mp4"}), 401)
    w = u.get("/v1/workouts")
    assert w.status_code == 401 or w.json()["items"] == [], w.text
    assert_error(srv.post("/v1/auth/refresh", json={"refresh_token": u.refresh}), 401)
    assert_error(login(srv, u.email, u.password), 401)
    assert_error(u.delete("/v1/me", json={"password": u.password}), 401)  # once

    gone = wait(lambda: [e for e in rx.events() if e["type"] == "member.unlinked"], 20,
                "member.unlinked")
    assert len(gone) == 1, gone
    assert gone[0]["data"]["reason"] == "account_deleted", gone[0]
    assert gone[0]["member_id"] == u.id and gone[0]["data"] == {"reason": "account_deleted"}
    assert stays.id not in str(gone[0])
    members = srv.get("/v1/partner/members", headers=h).json()["items"]
    assert [m["id"] for m in members] == [stays.id], members

    # the other account keeps everything
    assert stays.get("/v1/me").status_code == 200
    assert stays.get("/v1/videos/" + kept).status_code == 200
    assert files_of(srv, kept)
    assert len(stays.get("/v1/workouts").json()["items"]) == 1

    # the operator's way: --yes required, then the same use case
    p = admin(srv, "user", "delete", "--email", stays.email, check=False)
    assert p.returncode == 64 and "--yes" in p.stderr, (p.returncode, p.stderr)
    assert stays.get("/v1/me").status_code == 200
    p = admin(srv, "user", "delete", "--email", stays.email, "--yes")
    assert '"state":"deleted"' in p.stdout
    assert files_of(srv, kept) == []
    assert_error(stays.get("/v1/me"), 401)
    p = admin(srv, "user", "delete", "--id", stays.id, "--yes", check=False)
    assert p.returncode != 0 and "no account" in p.stderr, (p.returncode, p.stderr)
    wait(lambda: len([e for e in rx.events() if e["type"] == "member.unlinked"]) == 2, 20,
         "the second member.unlinked")
