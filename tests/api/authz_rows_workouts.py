"""Authorization-matrix rows (see test_authz_matrix.py) for the history resources: workouts and
analytics routes with path parameters."""
import uuid


def synced_workout(owner):
    body = {"client_id": uuid.uuid4().hex, "started_at": "2026-03-01T10:00:00Z",
            "exercise": "squat",
            "reps": [{"t_start": 0, "t_end": 1.5, "score": 80, "faults": []}]}
    r = owner.post("/v1/sync", json=body)
    assert r.status_code == 201, r.text
    return r.json()["workout_id"]


ROWS = {
    "workouts.get": {
        "setup": lambda owner: {"id": synced_workout(owner)},
        "owner_status": {200},
    },
    "workouts.patch": {
        "setup": lambda owner: {"id": synced_workout(owner)},
        "request": lambda p: {"json": {"name": "Monday legs"}},
        "owner_status": {200},
    },
    "workouts.delete": {
        "setup": lambda owner: {"id": synced_workout(owner)},
        "owner_status": {204},
    },
    # {exercise} is a public name, not an id: another user gets their own (empty) trend
    "analytics.trend": {
        "setup": lambda owner: {"exercise": "squat"},
        "owner_status": {200},
        "other_status": {200},
    },
}
