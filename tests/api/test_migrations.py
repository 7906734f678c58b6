"""Schema migrations on a database written by an older binary: `repright migrate` links the jobs
of schema version 2 to their video (the "jobs_video" migration) from the video id their payload
named, and only when that video still exists; malformed payloads and other kinds stay unlinked.
The version-2 database is built here with Python's sqlite3 (the tables the migrations touch,
as migrations 1 and 2 created them). The "workout_counts" migration (issue 12) backfills the
derived numbers of existing workouts and rebuilds analytics_daily from them."""
import json
import sqlite3
import subprocess

from conftest import repright_bin

V2_SCHEMA = """
CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL,
                             applied_at INTEGER NOT NULL);
INSERT INTO schema_version VALUES (1, 'init', 0), (2, 'rate_limits', 0);
CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL, password_hash TEXT NOT NULL,
                    role TEXT NOT NULL DEFAULT 'user', created_at INTEGER NOT NULL);
CREATE TABLE videos (id TEXT PRIMARY KEY,
                     user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                     blob_key TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL,
                     duration_ms INTEGER NOT NULL DEFAULT 0, status TEXT NOT NULL,
                     created_at INTEGER NOT NULL, error TEXT NOT NULL DEFAULT '');
CREATE TABLE jobs (id TEXT PRIMARY KEY, user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
                   kind TEXT NOT NULL, payload TEXT NOT NULL,
                   state TEXT NOT NULL CHECK (state IN ('queued','running','done','dead')),
                   attempts INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL,
                   run_after INTEGER NOT NULL, lease_until INTEGER, lease_owner TEXT,
                   progress REAL NOT NULL DEFAULT 0, stage TEXT NOT NULL DEFAULT '',
                   error TEXT NOT NULL DEFAULT '', created_at INTEGER NOT NULL,
                   updated_at INTEGER NOT NULL);
CREATE TABLE workouts (id TEXT PRIMARY KEY,
                       user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                       video_id TEXT UNIQUE REFERENCES videos(id) ON DELETE SET NULL,
                       exercise TEXT NOT NULL, started_at INTEGER NOT NULL,
                       duration_ms INTEGER NOT NULL DEFAULT 0, score REAL NOT NULL DEFAULT 0,
                       created_at INTEGER NOT NULL);
CREATE TABLE uploads (id TEXT PRIMARY KEY,
                      user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                      length INTEGER NOT NULL, upload_offset INTEGER NOT NULL DEFAULT 0,
                      metadata TEXT NOT NULL DEFAULT '', created_at INTEGER NOT NULL,
                      expires_at INTEGER NOT NULL);
CREATE TABLE sets (id TEXT PRIMARY KEY,
                   workout_id TEXT NOT NULL REFERENCES workouts(id) ON DELETE CASCADE,
                   idx INTEGER NOT NULL, exercise TEXT NOT NULL, reps INTEGER NOT NULL DEFAULT 0,
                   score REAL NOT NULL DEFAULT 0, load_kg REAL NOT NULL DEFAULT 0,
                   hold_ms INTEGER NOT NULL DEFAULT 0);
CREATE TABLE reps (id TEXT PRIMARY KEY,
                   set_id TEXT NOT NULL REFERENCES sets(id) ON DELETE CASCADE,
                   idx INTEGER NOT NULL, t_start INTEGER NOT NULL, t_end INTEGER NOT NULL,
                   metrics TEXT NOT NULL DEFAULT '{}', faults TEXT NOT NULL DEFAULT '[]',
                   score REAL NOT NULL DEFAULT 0);
CREATE TABLE analytics_daily (user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                              day TEXT NOT NULL, exercise TEXT NOT NULL,
                              sessions INTEGER NOT NULL DEFAULT 0, reps INTEGER NOT NULL DEFAULT 0,
                              volume REAL NOT NULL DEFAULT 0, score_sum REAL NOT NULL DEFAULT 0,
                              score_n INTEGER NOT NULL DEFAULT 0,
                              PRIMARY KEY (user_id, day, exercise));
"""

USER = "a" * 32
VIDEO = "b" * 32
GONE = "c" * 32


def job(db, jid, kind, payload):
    db.execute("INSERT INTO jobs (id, user_id, kind, payload, state, max_attempts, run_after, "
               "created_at, updated_at) VALUES (?, ?, ?, ?, 'done', 3, 0, 0, 0)",
               (jid, USER, kind, payload))


def test_jobs_of_a_v2_database_are_linked_to_their_video(tmp_path):
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(V2_SCHEMA)
    db.execute("INSERT INTO users VALUES (?, 'old@example.com', 'x', 'user', 0)", (USER,))
    db.execute("INSERT INTO videos (id, user_id, blob_key, sha256, size, status, created_at) "
               "VALUES (?, ?, 'videos/b/original', '', 1, 'analysed', 0)", (VIDEO, USER))
    job(db, "1" * 32, "analyze_video", json.dumps({"video_id": VIDEO}))
    job(db, "2" * 32, "analyze_video", json.dumps({"video_id": GONE}))  # video deleted since
    job(db, "3" * 32, "analyze_video", "not json {")
    job(db, "4" * 32, "analyze_video", json.dumps({"video_id": 7}))
    job(db, "5" * 32, "other_kind", json.dumps({"video_id": VIDEO}))
    db.commit()
    db.close()

    out = subprocess.run([repright_bin(), "migrate", "--data-dir", str(tmp_path / "d"),
                          "--database-url", "sqlite:%s" % path],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["applied"] >= 1 and report["schema_version"] >= 3

    db = sqlite3.connect(path)
    linked = dict(db.execute("SELECT id, video_id FROM jobs").fetchall())
    assert linked == {"1" * 32: VIDEO, "2" * 32: None, "3" * 32: None, "4" * 32: None,
                      "5" * 32: None}
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    names = [r[0] for r in db.execute("SELECT name FROM schema_version ORDER BY version")]
    assert "jobs_video" in names
    assert "jobs_video" in [r[1] for r in db.execute("PRAGMA index_list(jobs)")]
    # deleting the video now takes its job with it (foreign keys on, as the store runs them)
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("DELETE FROM videos WHERE id = ?", (VIDEO,))
    assert db.execute("SELECT count(*) FROM jobs WHERE id = ?", ("1" * 32,)).fetchone()[0] == 0
    db.close()


DAY = 86400000
MAR1 = 1772323200000  # 2026-03-01T00:00:00Z


def workout(db, wid, exercise, started_at):
    db.execute("INSERT INTO workouts (id, user_id, exercise, started_at, created_at) "
               "VALUES (?, ?, ?, ?, 0)", (wid, USER, exercise, started_at))


def a_set(db, sid, wid, idx, reps=0, score=0, load_kg=0, hold_ms=0):
    db.execute("INSERT INTO sets VALUES (?, ?, ?, 'x', ?, ?, ?, ?)",
               (sid, wid, idx, reps, score, load_kg, hold_ms))


def a_rep(db, rid, sid, idx, score, metrics):
    db.execute("INSERT INTO reps (id, set_id, idx, t_start, t_end, metrics, score) "
               "VALUES (?, ?, ?, 0, 1, ?, ?)", (rid, sid, idx, metrics, score))


def test_workout_counts_are_backfilled_and_analytics_rebuilt(tmp_path):
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(V2_SCHEMA)
    db.execute("INSERT INTO users VALUES (?, 'old@example.com', 'x', 'user', 0)", (USER,))
    w1, w2, w3, w4 = ("1" * 32, "2" * 32, "3" * 32, "4" * 32)
    # w1 squat on 03-01: 3 reps at 50 kg (good 80, bad 60, cannot_judge 0), a second set of 2
    # reps at bodyweight with no rep rows and score 70
    workout(db, w1, "squat", MAR1 + 3600000)
    a_set(db, "s1" + "0" * 30, w1, 0, reps=3, score=70, load_kg=50)
    a_set(db, "s2" + "0" * 30, w1, 1, reps=2, score=70)
    a_rep(db, "r1" + "0" * 30, "s1" + "0" * 30, 0, 80, '{"verdict":"good"}')
    a_rep(db, "r2" + "0" * 30, "s1" + "0" * 30, 1, 60, '{"verdict":"bad","cue":"knees"}')
    a_rep(db, "r3" + "0" * 30, "s1" + "0" * 30, 2, 0, '{"verdict":"cannot_judge"}')
    a_rep(db, "r4" + "0" * 30, "s1" + "0" * 30, 3, 50, 'not json')  # no verdict: scored
    # w2 squat the same day, a plank-like hold without reps: one session, its score once
    workout(db, w2, "squat", MAR1 + 7200000)
    a_set(db, "s3" + "0" * 30, w2, 0, score=90, hold_ms=30000)
    # w3 recognised nothing: counts nowhere
    workout(db, w3, "unknown", MAR1 + DAY)
    a_set(db, "s4" + "0" * 30, w3, 0, score=40)
    # w4 pushup 1 ms before the epoch: day 1969-12-31 (the day is a floor, also below 0)
    workout(db, w4, "pushup", -1)
    a_set(db, "s5" + "0" * 30, w4, 0, reps=4)
    # stale and orphan analytics rows the rebuild must replace
    db.execute("INSERT INTO analytics_daily VALUES (?, '2026-03-01', 'squat', 9, 9, 9, 9, 9)",
               (USER,))
    db.execute("INSERT INTO analytics_daily VALUES (?, '2026-02-01', 'lunge', 1, 1, 0, 0, 0)",
               (USER,))
    db.commit()
    db.close()

    out = subprocess.run([repright_bin(), "migrate", "--data-dir", str(tmp_path / "d"),
                          "--database-url", "sqlite:%s" % path],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    db = sqlite3.connect(path)
    rows = {r[0]: r[1:] for r in db.execute(
        "SELECT id, n_reps, n_good, n_bad, n_unjudged, a_active, a_volume, a_score_sum, "
        "a_score_n FROM workouts")}
    assert rows[w1] == (5, 1, 1, 1, 1, 150.0, 80 + 60 + 50 + 70, 4)
    assert rows[w2] == (0, 0, 0, 0, 1, 0.0, 90.0, 1)
    assert rows[w3] == (0, 0, 0, 0, 0, 0.0, 40.0, 1)
    assert rows[w4] == (4, 0, 0, 0, 1, 0.0, 0.0, 0)
    daily = db.execute("SELECT day, exercise, sessions, reps, volume, score_sum, score_n "
                       "FROM analytics_daily ORDER BY day, exercise").fetchall()
    assert daily == [("1969-12-31", "pushup", 1, 4, 0.0, 0.0, 0),
                     ("2026-03-01", "squat", 2, 5, 150.0, 350.0, 5)]
    assert "workout_counts" in [r[0] for r in db.execute("SELECT name FROM schema_version")]
    db.close()
