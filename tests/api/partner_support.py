"""Shared by the partner tests: `repright admin` against a running test server's data dir (same
secret, so keys hash with the server's pepper), and a ready org with a key, an admin and linked
members."""
import json
import os
import subprocess
import uuid

from conftest import RELAXED_ENV, new_user, repright_bin, store_url_of

ALL_SCOPES = "members:read,workouts:read,analytics:read,webhooks:write"


def admin(server, *args, check=True):
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPRIGHT_")}
    env["REPRIGHT_JWT_SECRET"] = RELAXED_ENV["REPRIGHT_JWT_SECRET"]
    env["REPRIGHT_LOG_LEVEL"] = "warn"
    url = store_url_of(os.path.join(server.data_dir, "data"))
    if url:  # the server's store is not the SQLite file in its data dir
        env["REPRIGHT_DATABASE_URL"] = url
    p = subprocess.run([repright_bin(), "admin", "--data-dir", os.path.join(server.data_dir, "data")]
                       + list(args), capture_output=True, text=True, env=env, timeout=60)
    if check:
        assert p.returncode == 0, (args, p.returncode, p.stderr)
    return p


def admin_json(server, *args):
    return json.loads(admin(server, *args).stdout.splitlines()[0])


def new_org(server, name=None):
    return admin_json(server, "org", "create", name or "Gym " + uuid.uuid4().hex[:8])["id"]


def new_key(server, org, scopes=ALL_SCOPES, *extra):
    return admin_json(server, "key", "create", org, "--scopes", scopes, *extra)


def invite(server, org):
    return admin_json(server, "org", "invite", org)["code"]


def link(member, code, shares=None):
    body = {"code": code}
    if shares is not None:
        body["shares"] = shares
    r = member.post("/v1/me/partners", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def key_headers(key):
    return {"Authorization": "Bearer " + key}


def sync_workout(member, reps=5, started="2026-03-01T10:00:00Z"):
    body = {"client_id": uuid.uuid4().hex, "started_at": started, "exercise": "squat",
            "reps": [{"t_start": i, "t_end": i + 0.9, "score": 80, "faults": []}
                     for i in range(reps)]}
    r = member.post("/v1/sync", json=body)
    assert r.status_code == 201, r.text
    return r.json()["workout_id"]


def linked_member(server, org, shares=None, tag="member"):
    m = new_user(server, tag=tag)
    link(m, invite(server, org), shares)
    return m
