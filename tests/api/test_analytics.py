"""Black-box tests of the analytics resource: summaries per day/week/month reflect synced
sessions (sessions, reps, load volume, mean score), streaks, top faults, trends, records."""
import datetime as dt
import uuid

from conftest import assert_error


def sync(user, started_at, exercise="squat", scores=(80, 80, 80), faults=(), **extra):
    body = {"client_id": uuid.uuid4().hex, "started_at": started_at, "exercise": exercise,
            "reps": [{"t_start": 2.0 * i, "t_end": 2.0 * i + 1, "score": s,
                      "faults": list(faults)} for i, s in enumerate(scores)]}
    body.update(extra)
    r = user.post("/v1/sync", json=body)
    assert r.status_code == 201, r.text
    return r.json()["workout_id"]


def test_summary_reflects_synced_sessions(user):
    sync(user, "2026-02-02T09:00:00Z", scores=(90, 70), load_kg=50)   # Monday, 2026-W06
    sync(user, "2026-02-04T09:00:00Z", scores=(60, 60, 60))           # Wednesday, W06
    sync(user, "2026-02-09T09:00:00Z", exercise="push_up", scores=(100,))  # Monday, W07
    r = user.get("/v1/analytics/summary",
                 params={"period": "week", "from": "2026-02-01", "to": "2026-02-15"})
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["period"] == "week" and s["from"] == "2026-02-01" and s["to"] == "2026-02-15"
    labels = [b["label"] for b in s["buckets"]]
    assert labels == ["2026-W06", "2026-W07"]
    w6 = s["buckets"][0]
    assert w6["start"] == "2026-02-02"
    assert w6["sessions"] == 2 and w6["reps"] == 5
    assert w6["volume_kg"] == 100.0  # 50 kg x 2 reps; bodyweight sets add no volume
    assert abs(w6["mean_score"] - 68.0) < 1e-9  # (90 + 70 + 60 * 3) / 5
    assert s["totals"]["sessions"] == 3 and s["totals"]["reps"] == 6

    d = user.get("/v1/analytics/summary",
                 params={"period": "day", "from": "2026-02-04", "to": "2026-02-04"}).json()
    assert [b["label"] for b in d["buckets"]] == ["2026-02-04"]
    m = user.get("/v1/analytics/summary",
                 params={"period": "month", "from": "2026-01-01", "to": "2026-03-31",
                         "exercise": "squat"}).json()
    assert [(b["label"], b["reps"]) for b in m["buckets"]] == [("2026-02", 5)]


def test_streak_counts_consecutive_days_ending_today(user):
    today = dt.datetime.now(dt.timezone.utc).replace(hour=0, minute=0, second=1, microsecond=0)
    for back in (0, 1, 2, 5):
        sync(user, (today - dt.timedelta(days=back)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    s = user.get("/v1/analytics/summary").json()
    assert s["streak"]["current"] == 3
    assert s["streak"]["longest"] == 3
    assert s["streak"]["last_day"] == today.strftime("%Y-%m-%d")
    rec = user.get("/v1/analytics/records").json()
    assert rec["streak"]["current"] == 3


def test_records_and_top_faults(user):
    a = sync(user, "2026-01-05T09:00:00Z", scores=(50,) * 12, faults=("knee_valgus",))
    b = sync(user, "2026-01-06T09:00:00Z", scores=(95, 95), faults=())
    sync(user, "2026-01-07T09:00:00Z", scores=(70,) * 3, faults=("knee_valgus", "shallow_depth"))
    c = sync(user, "2026-01-07T10:00:00Z", exercise="plank", scores=(), hold_ms=75000, score=60)
    recs = user.get("/v1/analytics/records").json()["records"]
    got = {(r["exercise"], r["kind"]): r for r in recs}
    assert got[("squat", "most_reps_in_set")]["value"] == 12
    assert got[("squat", "most_reps_in_set")]["workout_id"] == a
    assert got[("squat", "best_set_score")]["value"] == 95
    assert got[("squat", "best_set_score")]["workout_id"] == b
    assert got[("plank", "longest_hold_ms")]["value"] == 75000
    assert got[("plank", "longest_hold_ms")]["workout_id"] == c
    assert got[("plank", "longest_hold_ms")]["day"] == "2026-01-07"

    s = user.get("/v1/analytics/summary",
                 params={"period": "month", "from": "2026-01-01", "to": "2026-01-31"}).json()
    assert s["top_faults"]["squat"] == [{"fault": "knee_valgus", "count": 15},
                                        {"fault": "shallow_depth", "count": 3}]


def test_trend_gives_score_and_volume_over_time(user):
    sync(user, "2026-04-01T09:00:00Z", scores=(60, 60), load_kg=40)
    sync(user, "2026-04-02T09:00:00Z", scores=(80, 80), load_kg=50)
    r = user.get("/v1/analytics/exercises/squat/trend",
                 params={"period": "day", "from": "2026-04-01", "to": "2026-04-30"})
    assert r.status_code == 200, r.text
    t = r.json()
    assert t["exercise"] == "squat"
    assert [(p["label"], p["mean_score"], p["volume_kg"]) for p in t["points"]] == [
        ("2026-04-01", 60.0, 80.0), ("2026-04-02", 80.0, 100.0)]
    assert_error(user.get("/v1/analytics/exercises/yoga/trend"), 404)


def test_invalid_parameters_are_422_naming_the_field(user):
    for params, field in [({"period": "year"}, "period"), ({"from": "2026-02-30"}, "from"),
                          ({"to": "tomorrow"}, "to"),
                          ({"from": "2026-03-02", "to": "2026-03-01"}, "to"),
                          ({"from": "2000-01-01", "to": "2026-01-01"}, "from"),
                          ({"exercise": "yoga"}, "exercise")]:
        err = assert_error(user.get("/v1/analytics/summary", params=params), 422)
        assert [d["field"] for d in err["details"]] == [field], params


def test_analytics_are_per_user(user, other):
    sync(user, "2026-02-02T09:00:00Z")
    s = other.get("/v1/analytics/summary",
                  params={"period": "month", "from": "2026-01-01", "to": "2026-12-31"}).json()
    assert s["buckets"] == [] and s["totals"]["sessions"] == 0
    assert other.get("/v1/analytics/records").json()["records"] == []
    assert_error(other.get("/v1/analytics/records", headers={"Authorization": "Bearer x"}), 401)
