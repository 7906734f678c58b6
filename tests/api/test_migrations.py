"""Schema migrations on a database written by an older binary: `repright migrate` links the jobs
of schema version 2 to their video (the "jobs_video" migration) from the video id their payload
named, and only when that video still exists; malformed payloads and other kinds stay unlinked.
The version-2 database is built here with Python's sqlite3 (the tables the migrations touch,
as migrations 1 and 2 created them)."""
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
