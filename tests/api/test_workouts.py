"""Black-box tests of the history resource: POST /v1/sync (idempotent device sync, strict schema),
GET /v1/workouts (cursor pages, filters), GET/DELETE /v1/workouts/{id} (BOLA), export (CSV, JSON)."""
import csv
import datetime as dt
import io
import uuid

from conftest import assert_error


def session(client_id=None, started_at="2026-03-01T10:00:00Z", exercise="squat", nreps=3,
            score=80.0, faults=None, **extra):
    body = {
        "client_id": client_id or uuid.uuid4().hex,
        "started_at": started_at,
        "exercise": exercise,
        "reps": [{"t_start": 2.0 * i, "t_end": 2.0 * i + 1.5, "score": score,
                  "verdict": "good" if not faults else "bad", "faults": list(faults or [])}
                 for i in range(nreps)],
    }
    body.update(extra)
    return body


def sync(user, body, status=201):
    r = user.post("/v1/sync", json=body)
    assert r.status_code == status, r.text
    return r.json()


def test_sync_twice_gives_one_workout(user):
    body = session(nreps=4)
    first = sync(user, body, 201)
    assert first["created"] is True
    # the answer carries the counts the list shows (the store fills them at write)
    listed = user.get("/v1/workouts").json()["items"][0]
    assert first["workout"]["reps"] == listed["reps"] == 4
    assert first["workout"]["verdicts"] == listed["verdicts"]
    assert sum(listed["verdicts"].values()) == 4
    again = sync(user, body, 200)
    assert again["created"] is False
    assert again["workout_id"] == first["workout_id"]
    items = user.get("/v1/workouts").json()["items"]
    assert [w["id"] for w in items] == [first["workout_id"]]


def test_sync_detail_has_sets_reps_metrics_and_faults(user):
    body = session(nreps=2, score=55, faults=["knee_valgus", "shallow_depth"], load_kg=40)
    wid = sync(user, body)["workout_id"]
    w = user.get("/v1/workouts/" + wid).json()
    assert w["id"] == wid and w["exercise"] == "squat" and w["source"] == "device"
    assert w["started_at"] == "2026-03-01T10:00:00.000Z"
    assert len(w["sets"]) == 1
    s = w["sets"][0]
    assert s["rep_count"] == 2 and s["load_kg"] == 40
    assert [r["idx"] for r in s["reps"]] == [1, 2]  # numbered from 1, like an analysed video
    assert s["reps"][1]["t_start"] == 2.0 and s["reps"][1]["t_end"] == 3.5
    assert s["reps"][0]["faults"] == ["knee_valgus", "shallow_depth"]
    assert s["reps"][0]["verdict"] == "bad"
    assert s["reps"][0]["metrics"] == {"verdict": "bad"}


def test_sync_keeps_a_reps_metrics_and_cue(user):
    body = session(nreps=1, faults=["forward_lean"])
    body["reps"][0]["metrics"] = {"rom": 0.61, "rom_unit": "leg_path", "depth": 92.5,
                                  "depth_name": "min_knee_angle_deg", "concentric_s": 0.6,
                                  "eccentric_s": 0.8, "symmetry_deg": 3.5, "confidence": 0.9}
    body["reps"][0]["cue"] = "keep your chest up"
    wid = sync(user, body)["workout_id"]
    rep = user.get("/v1/workouts/" + wid).json()["sets"][0]["reps"][0]
    assert rep["metrics"] == {**body["reps"][0]["metrics"], "verdict": "bad",
                              "cue": "keep your chest up"}
    bad = session(nreps=1)
    bad["reps"][0]["metrics"] = {"rom": 1, "password": "x"}
    assert_error(user.post("/v1/sync", json=bad), 400)
    bad["reps"][0]["metrics"] = {"confidence": 7}
    assert_error(user.post("/v1/sync", json=bad), 422)
    bad["reps"][0]["metrics"] = {}
    bad["reps"][0]["cue"] = "x" * 161
    assert_error(user.post("/v1/sync", json=bad), 422)


def test_sets_of_one_session_are_one_workout(user):
    sid = uuid.uuid4().hex
    s1 = session(started_at="2026-03-05T10:00:00Z", nreps=3, score=90, session_id=sid,
                 duration_ms=20000)
    s2 = session(started_at="2026-03-05T10:02:00Z", nreps=1, score=50, session_id=sid,
                 duration_ms=10000)
    first = sync(user, s1, 201)
    second = sync(user, s2, 201)
    assert second["workout_id"] == first["workout_id"]
    assert sync(user, s2, 200)["workout_id"] == first["workout_id"]  # a retry adds nothing
    reused = dict(s2, started_at="2026-03-06T10:00:00Z")  # the set's key for other data
    assert_error(user.post("/v1/sync", json=reused), 409)
    other = sync(user, session(started_at="2026-03-05T10:05:00Z", exercise="push_up",
                               session_id=sid), 201)
    assert other["workout_id"] != first["workout_id"]  # one workout per exercise
    w = user.get("/v1/workouts/" + first["workout_id"]).json()
    assert [(s["idx"], s["rep_count"]) for s in w["sets"]] == [(0, 3), (1, 1)]
    assert [r["idx"] for r in w["sets"][1]["reps"]] == [1]
    assert w["duration_ms"] == 130000  # 10:00:00 to 10:02:10
    assert abs(w["score"] - (3 * 90 + 50) / 4) < 1e-6
    items = [i["id"] for i in user.get("/v1/workouts").json()["items"]]
    assert sorted(items) == sorted([first["workout_id"], other["workout_id"]])
    # a deleted session's next set starts a new workout
    assert user.delete("/v1/workouts/" + first["workout_id"]).status_code == 204
    third = sync(user, session(started_at="2026-03-05T10:04:00Z", session_id=sid), 201)
    assert third["workout_id"] != first["workout_id"]


def test_sync_refuses_unknown_fields_and_bad_values(user):
    body = session()
    body["role"] = "admin"
    assert_error(user.post("/v1/sync", json=body), 400)
    body = session()
    body["reps"][1]["extra"] = 1
    assert_error(user.post("/v1/sync", json=body), 400)

    body = session(started_at="yesterday", exercise="squat")
    body["reps"][0]["score"] = 101
    body["reps"][1]["t_end"] = 0.5  # before t_start 2.0
    body["reps"][2]["faults"] = ["Bad Name"]
    err = assert_error(user.post("/v1/sync", json=body), 422, "validation_failed")
    fields = {d["field"] for d in err["details"]}
    assert {"started_at", "reps[0].score", "reps[1].t_end", "reps[2].faults[0]"} <= fields

    body = session(nreps=2)
    body["reps"][0] = 7
    body["reps"][1]["faults"] = ["x" * 49, 3]
    err = assert_error(user.post("/v1/sync", json=body), 422)
    assert {d["field"] for d in err["details"]} == {"reps[0]", "reps[1].faults[0]",
                                                   "reps[1].faults[1]"}

    err = assert_error(user.post("/v1/sync", json=session(exercise="yoga")), 422)
    assert any(d["field"] == "exercise" for d in err["details"])
    too_many = session(nreps=1001)
    err = assert_error(user.post("/v1/sync", json=too_many), 422)
    assert any(d["field"] == "reps" for d in err["details"])
    missing = session()
    del missing["client_id"]
    assert_error(user.post("/v1/sync", json=missing), 422)
    assert user.get("/v1/workouts").json()["items"] == []


def test_pagination_through_120_workouts_has_no_gap_or_duplicate(user):
    ids = set()
    base = dt.datetime(2026, 1, 1, 8, 0, tzinfo=dt.timezone.utc)
    for i in range(120):
        t = (base + dt.timedelta(hours=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        ids.add(sync(user, session(started_at=t, nreps=1))["workout_id"])
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 50}
        if cursor:
            params["cursor"] = cursor
        r = user.get("/v1/workouts", params=params)
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["items"]) <= 50
        seen += [w["id"] for w in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert pages == 3
    assert len(seen) == 120 and set(seen) == ids
    r = user.get("/v1/workouts", params={"limit": 100})
    assert len(r.json()["items"]) == 100


def test_filters_and_invalid_filters(user):
    a = sync(user, session(started_at="2026-02-10T23:30:00Z", exercise="squat"))["workout_id"]
    b = sync(user, session(started_at="2026-02-11T00:30:00Z", exercise="push_up"))["workout_id"]
    c = sync(user, session(started_at="2026-02-12T12:00:00+02:00", exercise="squat"))["workout_id"]

    def ids(**params):
        r = user.get("/v1/workouts", params=params)
        assert r.status_code == 200, r.text
        return {w["id"] for w in r.json()["items"]}

    assert ids() == {a, b, c}
    assert ids(exercise="squat") == {a, c}
    assert ids(**{"from": "2026-02-11"}) == {b, c}
    assert ids(to="2026-02-11") == {a, b}
    assert ids(**{"from": "2026-02-11", "to": "2026-02-11"}) == {b}
    assert ids(exercise="squat", **{"from": "2026-02-11"}) == {c}

    for params, field in [({"exercise": "yoga"}, "exercise"), ({"from": "2026-13-01"}, "from"),
                          ({"to": "11/02/2026"}, "to"), ({"limit": "0"}, "limit"),
                          ({"limit": "101"}, "limit"), ({"limit": "ten"}, "limit"),
                          ({"cursor": "garbage"}, "cursor"), ({"cursor": "c" * 200}, "cursor"),
                          ({"from": "2026-02-12", "to": "2026-02-11"}, "to")]:
        err = assert_error(user.get("/v1/workouts", params=params), 422, "validation_failed")
        assert [d["field"] for d in err["details"]] == [field], (params, err)


def test_delete_removes_the_workout_and_updates_analytics(user):
    wid = sync(user, session(started_at="2026-02-20T10:00:00Z", nreps=5))["workout_id"]
    q = {"period": "day", "from": "2026-02-20", "to": "2026-02-20"}
    assert user.get("/v1/analytics/summary", params=q).json()["totals"]["reps"] == 5
    r = user.delete("/v1/workouts/" + wid)
    assert r.status_code == 204, r.text
    assert_error(user.get("/v1/workouts/" + wid), 404)
    assert_error(user.delete("/v1/workouts/" + wid), 404)
    assert user.get("/v1/analytics/summary", params=q).json()["totals"]["reps"] == 0


def test_other_users_workout_answers_404(user, other):
    wid = sync(user, session())["workout_id"]
    assert_error(other.get("/v1/workouts/" + wid), 404, "not_found")
    assert_error(other.delete("/v1/workouts/" + wid), 404, "not_found")
    assert other.get("/v1/workouts").json()["items"] == []
    assert user.get("/v1/workouts/" + wid).status_code == 200
    assert_error(user.get("/v1/workouts/" + "0" * 32), 404)
    # the same client_id from another user is another session
    body = session(client_id="shared-id")
    assert sync(user, body, 201)["workout_id"] != sync(other, body, 201)["workout_id"]


def test_requires_authentication(server):
    assert_error(server.get("/v1/workouts"), 401)
    assert_error(server.post("/v1/sync", json=session()), 401)


def test_export_csv_and_json_match_the_history(user):
    w1 = sync(user, session(started_at="2026-03-02T10:00:00Z", nreps=2, score=70,
                            faults=["knee_valgus", "forward_lean"], load_kg=60))["workout_id"]
    w2 = sync(user, session(started_at="2026-03-03T10:00:00Z", exercise="plank", nreps=0,
                            hold_ms=45000, score=66))["workout_id"]
    r = user.get("/v1/workouts/export", params={"format": "csv"})
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 3  # two reps + the plank set without reps
    squat = [row for row in rows if row["workout_id"] == w1]
    assert [row["rep_idx"] for row in squat] == ["1", "2"]
    assert squat[0]["faults"] == "knee_valgus;forward_lean"
    assert squat[0]["verdict"] == "bad" and float(squat[0]["load_kg"]) == 60
    plank = [row for row in rows if row["workout_id"] == w2]
    assert plank[0]["hold_ms"] == "45000" and plank[0]["rep_idx"] == ""

    j = user.get("/v1/workouts/export", params={"format": "json"})
    assert j.status_code == 200 and j.headers["Content-Type"].startswith("application/json")
    workouts = {w["id"]: w for w in j.json()["workouts"]}
    assert set(workouts) == {w1, w2}
    assert workouts[w1] == user.get("/v1/workouts/" + w1).json()
    assert len(workouts[w1]["sets"][0]["reps"]) == 2
    assert_error(user.get("/v1/workouts/export", params={"format": "xml"}), 422)


def test_export_of_an_empty_history(user):
    r = user.get("/v1/workouts/export", params={"format": "csv"})
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0][0] == "workout_id" and len(rows) == 1
    assert user.get("/v1/workouts/export").json() == {"workouts": []}


def test_sync_of_a_deleted_session_does_not_bring_it_back(user):
    body = session(nreps=2)
    wid = sync(user, body, 201)["workout_id"]
    assert user.delete("/v1/workouts/" + wid).status_code == 204
    again = sync(user, body, 200)
    assert again == {"workout_id": wid, "created": False, "workout": None}
    assert user.get("/v1/workouts").json()["items"] == []
