"""GET /v1/exercises: the exercise list the web app and partners read instead of keeping a copy.
It is the analysis registry's list (the sync schema's enum in /openapi.json is the same list),
public and cacheable, and every name on it is accepted by POST /v1/sync and by the workout and
analytics filters."""
from conftest import assert_error


def test_the_list_is_public_cacheable_and_the_registry_order(server):
    r = server.get("/v1/exercises")
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.headers["Cache-Control"] == "public, max-age=3600"
    names = [e["name"] for e in r.json()["items"]]
    assert names[:3] == ["squat", "push_up", "lunge"] and "plank" in names
    assert len(names) == len(set(names))
    doc = server.get("/openapi.json").json()
    assert doc["paths"]["/v1/exercises"]["get"]["operationId"] == "exercises.list"
    assert "security" not in doc["paths"]["/v1/exercises"]["get"]
    sync_enum = doc["components"]["schemas"]["SyncRequest"]["properties"]["exercise"]["enum"]
    assert sync_enum == names


def test_every_listed_exercise_is_accepted_where_exercises_are(user):
    names = [e["name"] for e in user.get("/v1/exercises").json()["items"]]
    for i, name in enumerate(names):
        body = {"client_id": "ex-%d" % i, "started_at": "2026-03-01T10:00:00Z", "exercise": name,
                "reps": [{"t_start": 0.5, "t_end": 2.0, "score": 80}]}
        r = user.post("/v1/sync", json=body)
        assert r.status_code == 201, (name, r.text)
        r = user.get("/v1/workouts", params={"exercise": name})
        assert r.status_code == 200 and len(r.json()["items"]) == 1, (name, r.text)
        r = user.get("/v1/analytics/exercises/%s/trend" % name)
        assert r.status_code == 200, (name, r.text)
    assert_error(user.get("/v1/workouts", params={"exercise": "yoga"}), 422)
    assert_error(user.get("/v1/analytics/exercises/yoga/trend"), 404)
