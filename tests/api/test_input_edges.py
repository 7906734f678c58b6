"""Input edges of issue 15, black-box: a device-sync client_id is bounded in characters, not
bytes; reusing one for other data is a 409, not a silent keep; the token check accepts only a
user id the store could have made (32 lowercase hex digits).

Found before the fixes: a 64-character non-ASCII client_id (within the schema) got 413; a
reused client_id with a different workout answered 200 with the old one; a JWT whose subject
was any 32 characters passed authentication. ~1 s."""
import uuid

from conftest import assert_error, jwt_claims, mint_jwt

from test_workouts import session, sync


def test_a_non_ascii_client_id_within_64_characters_is_accepted(user):
    for cid in ("é" * 64, "日本" * 32, "🏋" * 64):  # 128, 192 and 256 bytes of UTF-8
        first = sync(user, session(client_id=cid), 201)
        again = sync(user, session(client_id=cid), 200)
        assert again["workout_id"] == first["workout_id"]
    err = assert_error(user.post("/v1/sync", json=session(client_id="é" * 65)), 422,
                       "validation_failed")
    assert err["details"][0]["field"] == "client_id", err


def test_a_client_id_reused_for_other_data_is_a_conflict(user):
    cid = uuid.uuid4().hex
    first = sync(user, session(client_id=cid, nreps=3), 201)
    for other in (session(client_id=cid, nreps=5),
                  session(client_id=cid, started_at="2026-03-02T10:00:00Z"),
                  session(client_id=cid, exercise="push_up"),
                  session(client_id=cid, score=40.0)):
        assert_error(user.post("/v1/sync", json=other), 409, "client_id_reused")
    again = sync(user, session(client_id=cid, nreps=3), 200)  # a true retry is still fine
    assert again["workout_id"] == first["workout_id"]
    items = user.get("/v1/workouts").json()["items"]
    assert [w["id"] for w in items].count(first["workout_id"]) == 1 and len(items) == 1


def test_only_a_hex_user_id_passes_the_token_check(server, user):
    ok = mint_jwt(jwt_claims(user.id))
    assert server.get("/v1/workouts", headers={"Authorization": "Bearer " + ok}) \
        .status_code == 200
    for sub in ("z" * 32, user.id.upper(), "../" + user.id[3:], user.id[:31] + "\u00e9",
                " " * 32, user.id[:31] + "%"):
        tok = mint_jwt(jwt_claims(sub))
        r = server.get("/v1/workouts", headers={"Authorization": "Bearer " + tok})
        assert_error(r, 401, "unauthenticated")


def test_a_long_unknown_field_of_multibyte_characters_is_a_400_not_a_500(server):
    # found by fuzz_json_body: the field name in the error detail was cut inside a UTF-8
    # character, the detail could not be built and the answer was a 500
    name = "é" * 200  # 400 bytes: longer than a detail's field
    r = server.post("/v1/auth/register",
                    json={"email": "a@example.com", "password": "correct horse battery", name: 1})
    body = assert_error(r, 400, "unknown_field")
    fields = [d["field"] for d in body["details"]]
    assert any(f and set(f) == {"é"} for f in fields), fields
