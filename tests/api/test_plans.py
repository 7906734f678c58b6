"""Plans, quotas, usage, flags and the billing webhook against a real server (issue 13).

The quota race: a free account (10 uploads a month) at 9 sends 50 uploads at once; the count and
the video row share one transaction, so exactly one gets 201 and 49 get 402 naming the limit,
the usage and what the plan above offers. The billing webhook is driven by signed fixtures
(HMAC-SHA256 over "t.body"): a good event changes the plan once (a replay is a no-op), a wrong
signature, a stale timestamp and a missing header are refused with clear JSON errors.
"""
import concurrent.futures
import hashlib
import hmac
import json
import time
import uuid

import pytest

from conftest import RELAXED_ENV, assert_error, new_user

SECRET = "whsec_test_" + "7" * 32
FREE_UPLOADS = 10


@pytest.fixture
def free_server(server_factory):
    env = dict(RELAXED_ENV)
    env.update({"REPRIGHT_DEFAULT_PLAN": "free", "REPRIGHT_BILLING_WEBHOOK_SECRET": SECRET})
    return server_factory(env)


def upload(u, body=b"\x00\x00\x00\x18ftypmp42 not really a video", **params):
    return u.post("/v1/videos", data=body, params=params, headers={"Content-Type": "video/mp4"})


def sign(body, t=None, secret=SECRET):
    t = int(time.time()) if t is None else t
    mac = hmac.new(secret.encode(), ("%d." % t).encode() + body, hashlib.sha256).hexdigest()
    return "t=%d,v1=%s" % (t, mac)


def event(user_ref, plan, type_="subscription.updated", eid=None):
    return json.dumps({"id": eid or "evt_" + uuid.uuid4().hex, "type": type_,
                       "data": {"user": user_ref, "plan": plan}}).encode()


def webhook(srv, body, sig):
    headers = {"Content-Type": "application/json"}
    if sig is not None:
        headers["Billing-Signature"] = sig
    return srv.post("/v1/billing/webhook", data=body, headers=headers)


def test_fifty_parallel_uploads_at_quota_minus_one_let_exactly_one_through(free_server):
    u = new_user(free_server)
    assert u.get("/v1/me").json()["plan"] == "free"
    for _ in range(FREE_UPLOADS - 1):
        assert upload(u).status_code == 201
    def upload_as_a_client_would(_):
        # 50 connections from one address pass the server's per-address cap (32): the extra
        # ones are told 429 / 503 with Retry-After and come back, as a real client does
        for _try in range(50):
            r = upload(u)
            if r.status_code not in (429, 503):
                return r
            time.sleep(0.05)
        return r

    with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(upload_as_a_client_would, range(50)))
    codes = sorted(r.status_code for r in results)
    assert codes.count(201) == 1, codes
    assert codes.count(402) == 49, codes
    err = assert_error(next(r for r in results if r.status_code == 402), 402, "plan_limit_reached")
    d = err["details"][0]
    assert d["limit"] == "uploads_per_month" and d["plan"] == "free"
    assert d["allowed"] == FREE_UPLOADS and d["used"] == FREE_UPLOADS
    assert d["upgrade"]["plan"] == "pro" and d["upgrade"]["allowed"] > FREE_UPLOADS
    assert "10 uploads a month" in err["message"] and "Pro" in err["message"]
    usage = u.get("/v1/me/usage").json()
    assert usage["usage"]["uploads"] == FREE_UPLOADS
    assert usage["plan"]["id"] == "free" and usage["next_plan"]["id"] == "pro"
    assert usage["limits"]["uploads"] == FREE_UPLOADS
    assert len(u.get("/v1/videos", params={"limit": 100}).json()["items"]) == FREE_UPLOADS
    # a tus creation is refused before a byte is sent, with the same error
    r = u.post("/v1/uploads", headers={"Tus-Resumable": "1.0.0", "Upload-Length": "100"})
    assert_error(r, 402, "plan_limit_reached")


def test_overlay_is_not_in_the_free_plan_and_billing_upgrades_it(free_server):
    u = new_user(free_server)
    err = assert_error(upload(u, overlay="1"), 403, "feature_not_in_plan")
    assert err["details"][0]["limit"] == "overlay_video"
    assert err["details"][0]["upgrade"]["plan"] == "pro"
    body = event(u.email, "pro")
    r = webhook(free_server, body, sign(body))
    assert r.status_code == 200, r.text
    assert r.json() == {"event_id": json.loads(body)["id"], "user_id": u.id, "plan": "pro",
                        "duplicate": False}
    assert u.get("/v1/me").json()["plan"] == "pro"
    assert upload(u, overlay="1").status_code == 201
    # replay: acknowledged, nothing changes (even after the plan moved on)
    down = event(u.id, "free")
    assert webhook(free_server, down, sign(down)).status_code == 200
    r = webhook(free_server, body, sign(body))
    assert r.status_code == 200 and r.json()["duplicate"] is True
    assert u.get("/v1/me").json()["plan"] == "free"


def test_billing_webhook_refusals_are_clear(free_server):
    u = new_user(free_server)
    body = event(u.email, "gym")
    assert_error(webhook(free_server, body, None), 400, "bad_signature_header")
    assert_error(webhook(free_server, body, "t=abc"), 400, "bad_signature_header")
    assert_error(webhook(free_server, body, sign(body, secret="whsec_wrong_" + "1" * 32)), 400,
                 "bad_signature")
    assert_error(webhook(free_server, body + b" ", sign(body)), 400, "bad_signature")
    err = assert_error(webhook(free_server, body, sign(body, t=int(time.time()) - 600)), 400,
                       "stale_timestamp")
    assert "5 minutes" in err["message"]
    assert_error(webhook(free_server, body, sign(body, t=int(time.time()) + 600)), 400,
                 "stale_timestamp")
    bad_plan = event(u.email, "platinum")
    assert_error(webhook(free_server, bad_plan, sign(bad_plan)), 400, "bad_event")
    nobody = event("nobody@example.com", "pro")
    assert_error(webhook(free_server, nobody, sign(nobody)), 404, "unknown_user")
    assert u.get("/v1/me").json()["plan"] == "free"
    # a rotated secret: any one of several v1 signatures may match
    both = sign(body, secret="whsec_old_" + "2" * 32) + "," + sign(body).split(",")[1]
    assert webhook(free_server, body, both).status_code == 200
    assert u.get("/v1/me").json()["plan"] == "gym"
    gone = event(u.email, "gym", type_="subscription.deleted")
    assert webhook(free_server, gone, sign(gone)).json()["plan"] == "free"


def test_billing_webhook_is_off_without_a_secret(server):
    body = event("a@example.com", "pro")
    assert_error(webhook(server, body, sign(body)), 503, "billing_not_configured")


def test_plans_flags_and_openapi(free_server):
    plans = free_server.get("/v1/plans").json()["plans"]
    assert [p["id"] for p in plans] == ["free", "pro", "gym"]
    assert plans[0]["overlay_video"] is False and plans[2]["uploads_per_month"] == -1
    u = new_user(free_server)
    flags = u.get("/v1/me/flags").json()["flags"]
    assert flags["plan_page"] is True and flags["priority_queue"] is False
    assert isinstance(flags["progress_v2"], bool)
    assert_error(free_server.get("/v1/me/flags"), 401)
    assert_error(u.get("/v1/me/usage", params={"month": "2026-13"}), 400)
    doc = free_server.get("/openapi.json").json()
    for path, method in (("/v1/plans", "get"), ("/v1/me/usage", "get"), ("/v1/me/flags", "get"),
                         ("/v1/billing/webhook", "post")):
        op = doc["paths"][path][method]
        assert op["responses"]["200"]["content"]["application/json"]["example"], path


def test_heavy_model_and_render_are_plan_features(free_server):
    u = new_user(free_server)
    err = assert_error(upload(u, model="heavy"), 403, "feature_not_in_plan")
    assert err["details"][0]["limit"] == "heavy_model" and "heavy" in err["message"]
    assert_error(upload(u, model="huge"), 422, "validation_failed")
    meta = "model " + __import__("base64").b64encode(b"heavy").decode()
    r = u.post("/v1/uploads", headers={"Tus-Resumable": "1.0.0", "Upload-Length": "100",
                                       "Upload-Metadata": meta})
    assert_error(r, 403, "feature_not_in_plan")
    vid = upload(u, model="lite").json()["video_id"]
    assert_error(u.post("/v1/videos/%s/render" % vid), 403, "feature_not_in_plan")
    body = event(u.id, "pro")
    assert webhook(free_server, body, sign(body)).status_code == 200
    assert upload(u, model="heavy").status_code == 201
    # pro may render: the video is not analysed yet (no workers), so 409, not 403
    assert_error(u.post("/v1/videos/%s/render" % vid), 409)


def test_history_older_than_the_plan_keeps_is_hidden_until_upgrade(free_server):
    u = new_user(free_server)
    now = time.time()

    def sync(days_ago):
        t = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - days_ago * 86400))
        body = {"client_id": uuid.uuid4().hex, "started_at": t, "exercise": "squat",
                "reps": [{"t_start": 0.0, "t_end": 1.5, "score": 80.0, "verdict": "good",
                          "faults": []}]}
        r = u.post("/v1/sync", json=body)
        assert r.status_code == 201, r.text
        return r.json()["workout_id"]

    recent, old = sync(3), sync(200)
    assert [w["id"] for w in u.get("/v1/workouts").json()["items"]] == [recent]
    body = event(u.email, "pro")
    assert webhook(free_server, body, sign(body)).status_code == 200
    assert {w["id"] for w in u.get("/v1/workouts").json()["items"]} == {recent, old}


def test_a_video_longer_than_the_plan_allows_fails_with_a_reason(server_factory, tmp_path):
    import shutil
    import subprocess
    if not shutil.which("ffmpeg"):
        pytest.skip("ffmpeg is missing")
    clip = tmp_path / "long.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                    "color=c=gray:s=64x64:r=1:d=130", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                    str(clip)], check=True)
    env = dict(RELAXED_ENV)
    env.update({"REPRIGHT_DEFAULT_PLAN": "free", "REPRIGHT_WORKERS": "1"})
    srv = server_factory(env)
    u = new_user(srv)
    vid = upload(u, body=clip.read_bytes()).json()["video_id"]
    deadline = time.time() + 30
    while time.time() < deadline:
        v = u.get("/v1/videos/" + vid).json()
        if v["status"] == "failed":
            break
        time.sleep(0.2)
    assert v["status"] == "failed", v
    assert "130 s long" in v["error"] and "up to 120 s" in v["error"] and "Pro" in v["error"], v


def test_a_tus_upload_finished_after_the_quota_ran_out_gets_402(free_server):
    """Two resumable uploads started at 9 of 10 both pass the early check; the one that
    finishes second is refused by the count taken with its video row (and a retry of the first
    one's finish counts nothing)."""
    u = new_user(free_server)
    for _ in range(FREE_UPLOADS - 1):
        assert upload(u).status_code == 201
    tus = {"Tus-Resumable": "1.0.0"}
    data = b"\x00\x00\x00\x18ftypmp42 resumable"
    locs = []
    for _ in range(2):
        r = u.post("/v1/uploads", headers=dict(tus, **{"Upload-Length": str(len(data))}))
        assert r.status_code == 201, r.text
        locs.append(r.headers["Location"])
    patch = dict(tus, **{"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
    first = u.patch(locs[0], headers=patch, data=data)
    assert first.status_code == 204 and first.headers.get("X-Video-Id"), first.text
    second = u.patch(locs[1], headers=patch, data=data)
    err = assert_error(second, 402, "plan_limit_reached")
    assert err["details"][0]["used"] == FREE_UPLOADS
    again = u.get(locs[0])  # finishing the first again: the same video, nothing counted
    assert again.status_code == 200 and again.json()["video_id"] == first.headers["X-Video-Id"]
    assert u.get("/v1/me/usage").json()["usage"]["uploads"] == FREE_UPLOADS


def test_history_limit_holds_on_every_read_until_upgrade(free_server):
    """Free keeps 90 days: a workout synced 100 days ago is hidden from the list, by id (404 like
    an unknown id), the export (JSON and CSV) and analytics (summary, trend, records, streaks,
    top faults); after `repright admin plan set EMAIL pro` it shows everywhere again."""
    from partner_support import admin
    u = new_user(free_server)
    now = time.time()
    day = lambda days_ago: time.strftime("%Y-%m-%d", time.gmtime(now - days_ago * 86400))

    def sync(days_ago, scores, faults):
        t = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - days_ago * 86400))
        body = {"client_id": uuid.uuid4().hex, "started_at": t, "exercise": "squat",
                "reps": [{"t_start": 2.0 * i, "t_end": 2.0 * i + 1.5, "score": s,
                          "verdict": "bad" if faults else "good", "faults": list(faults)}
                         for i, s in enumerate(scores)]}
        r = u.post("/v1/sync", json=body)
        assert r.status_code == 201, r.text
        return r.json()["workout_id"]

    old = sync(100, (99.0,) * 12, ("knee_valgus",))   # the record holder, if it counted
    recent = sync(1, (70.0, 70.0), ("shallow_depth",))
    rng = {"period": "month", "from": day(120), "to": day(0)}

    def visible():
        """The set of workout ids each read shows."""
        seen = {"list": {w["id"] for w in u.get("/v1/workouts").json()["items"]}}
        seen["get"] = {w for w in (old, recent) if u.get("/v1/workouts/" + w).status_code == 200}
        ex = u.get("/v1/workouts/export", params={"format": "json"})
        assert ex.status_code == 200, ex.text
        seen["export_json"] = {w["id"] for w in ex.json()["workouts"]}
        csv = u.get("/v1/workouts/export", params={"format": "csv"})
        assert csv.status_code == 200, csv.text
        seen["export_csv"] = {line.split(",")[0].strip('"') for line in csv.text.splitlines()[1:]}
        recs = u.get("/v1/analytics/records").json()["records"]
        seen["records"] = {r["workout_id"] for r in recs}
        return seen

    def analytics():
        s = u.get("/v1/analytics/summary", params=rng)
        assert s.status_code == 200, s.text
        t = u.get("/v1/analytics/exercises/squat/trend", params=rng)
        assert t.status_code == 200, t.text
        return s.json(), t.json()

    assert visible() == {k: {recent} for k in
                         ("list", "get", "export_json", "export_csv", "records")}
    unknown = u.get("/v1/workouts/" + uuid.uuid4().hex)
    hidden = u.get("/v1/workouts/" + old)
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json()["error"]["code"] == unknown.json()["error"]["code"]
    assert u.patch("/v1/workouts/" + old, json={"name": "x"}).status_code == 404
    s, t = analytics()
    assert s["totals"]["sessions"] == 1 and s["totals"]["reps"] == 2
    assert s["from"] > day(91) and s["from"] <= day(89)   # clamped to the plan's window
    assert list(s["top_faults"]) == ["squat"]
    assert [f["fault"] for f in s["top_faults"]["squat"]] == ["shallow_depth"]
    assert sum(p["sessions"] for p in t["points"]) == 1
    assert t["from"] == s["from"]
    recs = {r["kind"]: r for r in u.get("/v1/analytics/records").json()["records"]}
    assert recs["best_set_score"]["value"] == 70 and recs["most_reps_in_set"]["value"] == 2
    # a range wholly older than the window: valid, and empty
    old_rng = {"period": "day", "from": day(110), "to": day(95)}
    e = u.get("/v1/analytics/summary", params=old_rng)
    assert e.status_code == 200, e.text
    assert e.json()["buckets"] == [] and e.json()["totals"]["sessions"] == 0

    # hidden, not deleted: the upgrade (store/admin path) shows it everywhere again
    admin(free_server, "plan", "set", u.email, "pro")
    assert visible() == {"list": {recent, old}, "get": {recent, old},
                         "export_json": {recent, old}, "export_csv": {recent, old},
                         "records": {old}}
    s, t = analytics()
    assert s["totals"]["sessions"] == 2 and s["from"] == day(120)
    assert sum(p["sessions"] for p in t["points"]) == 2
    assert {f["fault"] for f in s["top_faults"]["squat"]} == {"knee_valgus", "shallow_depth"}
    e = u.get("/v1/analytics/summary", params=old_rng).json()
    assert e["totals"]["sessions"] == 1


def test_partner_reads_follow_the_members_plan_history(free_server):
    """A gym sees what its member sees: the member's free plan hides a workout of 100 days ago
    from the partner's workouts and analytics too, until the member moves to pro."""
    from partner_support import admin, key_headers, linked_member, new_key, new_org, sync_workout
    org = new_org(free_server)
    h = key_headers(new_key(free_server, org)["key"])
    m = linked_member(free_server, org)
    now = time.time()
    iso = lambda days_ago: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - days_ago * 86400))
    old, recent = sync_workout(m, started=iso(100)), sync_workout(m, started=iso(1))
    rng = {"from": iso(120)[:10], "to": iso(0)[:10]}

    def seen():
        w = free_server.get("/v1/partner/members/%s/workouts" % m.id, headers=h)
        a = free_server.get("/v1/partner/members/%s/analytics" % m.id, headers=h, params=rng)
        assert w.status_code == 200 and a.status_code == 200, (w.text, a.text)
        return {x["id"] for x in w.json()["items"]}, sum(d["sessions"] for d in a.json()["days"])

    assert seen() == ({recent}, 1)
    admin(free_server, "plan", "set", m.email, "pro")
    assert seen() == ({recent, old}, 2)
