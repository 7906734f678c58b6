#!/usr/bin/env bash
# test_cli.sh - the `repright` command line: global flags, the command table, `pose` argument
# errors and exit codes on bad input (no models needed), then real runs (models needed: a person
# photo -> 33 landmarks in valid JSON, a blank picture -> exit 3, a clip -> one frame per video
# frame). Usage: test_cli.sh PATH/TO/repright. Exit 0 all passed, 1 a check failed, 77 a part
# was skipped (a SKIP line says why; the checks before it still ran).
set -u
BIN=${1:?usage: test_cli.sh PATH/TO/repright}
SHARED=${RR_SHARED_DIR:-$(cd "$(dirname "$0")/../.." && pwd)/../shared}
# shellcheck source=lib/common.bash
. "$(dirname "$0")/lib/common.bash"

[ -x "$BIN" ] || { echo "FAIL: $BIN is not an executable"; exit 1; }

expect "--help lists the commands" 0 "pose" "$BIN" --help
expect "--version prints the version" 0 "repright 0." "$BIN" --version
expect "no arguments is a usage error" 64 "usage:" "$BIN"
expect "unknown command is a usage error" 64 "unknown command 'frobnicate'" "$BIN" frobnicate
expect "serve --help" 0 "--port" "$BIN" serve --help
expect "worker --help" 0 "--workers" "$BIN" worker --help
expect "migrate --help" 0 "usage" "$BIN" migrate --help
expect "worker --workers 0 is a usage error" 64 "at least 1" "$BIN" worker --workers 0 --data-dir "$TMP/w0"
# PostgreSQL down (nothing listens on port 1): one line naming the URL with the password masked
expect "migrate with postgres down" 70 "cannot connect to database postgres://rr:***@127.0.0.1:1/rr" \
    "$BIN" migrate --data-dir "$TMP/pg" --database-url postgres://rr:s3cret@127.0.0.1:1/rr
if grep -q s3cret "$TMP/out" "$TMP/err"; then
    echo "FAIL: migrate printed the database password"; FAILS=$((FAILS + 1))
fi
[ "$(wc -l <"$TMP/err")" -eq 1 ] || { echo "FAIL: migrate error is not one line"; FAILS=$((FAILS + 1)); }
expect "serve with postgres down" 70 "cannot connect to database postgresql://rr:***@127.0.0.1:1/rr" \
    env REPRIGHT_DATABASE_URL=postgresql://rr:s3cret@127.0.0.1:1/rr "$BIN" serve --port 0 --data-dir "$TMP/pg"
if grep -q s3cret "$TMP/out" "$TMP/err"; then
    echo "FAIL: serve logged the database password"; FAILS=$((FAILS + 1))
fi
expect "pose --help" 0 "--model" "$BIN" pose --help
expect "pose without a file" 64 "missing IMAGE or VIDEO" "$BIN" pose
expect "pose with an unknown flag" 64 "unknown option '--frobnicate'" "$BIN" pose x.jpg --frobnicate
expect "pose --threads 0" 64 "--threads" "$BIN" pose x.jpg --threads 0
expect "pose --threads abc" 64 "--threads" "$BIN" pose x.jpg --threads abc
expect "pose --model huge" 64 "unknown model 'huge'" "$BIN" pose x.jpg --model huge
expect "pose --backend gpu" 64 "unknown backend 'gpu'" "$BIN" pose x.jpg --backend gpu
expect "pose --models without a value" 64 "needs a value" "$BIN" pose x.jpg --models
expect "pose two files" 64 "unexpected argument" "$BIN" pose a.jpg b.jpg

expect "missing file" 2 "cannot read $TMP/missing.jpg" "$BIN" pose "$TMP/missing.jpg"
printf 'just some notes\nnothing to see\n' >"$TMP/notes.jpg"
expect "text file named .jpg" 2 "content: text" "$BIN" pose "$TMP/notes.jpg"
: >"$TMP/empty.mp4"
expect "zero-byte file" 2 "is empty" "$BIN" pose "$TMP/empty.mp4"
printf '#EXTM3U\n#EXTINF:10,\nhttp://127.0.0.1:1/a.ts\n' >"$TMP/playlist.mp4"
expect "HLS playlist named .mp4" 2 "playlist" "$BIN" pose "$TMP/playlist.mp4"
expect "a directory" 2 "not a regular file" "$BIN" pose "$TMP"
head -c 3000 /dev/urandom >"$TMP/random.bin"
expect "random bytes" 2 "not a supported" "$BIN" pose "$TMP/random.bin"

# --- model-dependent -------------------------------------------------------------------------
MODELS=${REPRIGHT_MODEL_DIR:-${HOME:-/root}/.cache/repright/models}
if [ ! -f "$MODELS/pose_detection.tflite" ] || [ ! -f "$MODELS/pose_landmark_full.tflite" ] ||
   [ ! -f "$MODELS/pose_landmark_lite.tflite" ]; then
  skip "test_cli: models not found in $MODELS (run scripts/setup.sh)"
  finish
fi
if ! command -v python3 >/dev/null; then
  skip "test_cli: python3 not found (needed to check the JSON)"
  finish
fi
PERSON=/usr/share/doc/opencv-doc/examples/data/messi5.jpg
[ -f "$PERSON" ] || PERSON=$SHARED/media/mediapipe/tfjs_pose.jpg
if [ ! -f "$PERSON" ]; then
  skip "test_cli: no photo of a person (opencv-doc's messi5.jpg or ../shared)"
  finish
fi

expect "pose on a photo of a person (table)" 0 "left_knee" "$BIN" pose "$PERSON"
expect "pose on a photo of a person (--json)" 0 "" "$BIN" pose "$PERSON" --json --model lite
CHECKS=$((CHECKS + 1))
if python3 - "$TMP/out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "repright.pose/1", d["schema"]
assert d["model"] == "lite" and d["width"] > 0 and d["height"] > 0
assert len(d["frames"]) == 1
f = d["frames"][0]
assert f["pose"] is True and 0.5 <= f["score"] <= 1.0, f.get("score")
for key in ("landmarks", "world_landmarks"):
    lms = f[key]
    assert len(lms) == 33, (key, len(lms))
    assert lms[0]["name"] == "nose" and lms[32]["name"] == "right_foot_index"
    for lm in lms:
        for k in ("x", "y", "z", "visibility", "presence"):
            assert isinstance(lm[k], float), (key, lm)
# the nose lies inside the picture
assert 0.0 < f["landmarks"][0]["x"] < 1.0 and 0.0 < f["landmarks"][0]["y"] < 1.0
print("json ok: 33 + 33 landmarks, score %.3f" % f["score"])
PY
then echo "ok: JSON document is valid and complete"
else echo "FAIL: JSON document"; FAILS=$((FAILS + 1)); fi

# A blank grey picture (PNG written with the Python standard library): nobody there.
python3 - "$TMP/blank.png" <<'PY'
import struct, sys, zlib
w, h = 320, 240
raw = b"".join(b"\x00" + b"\x80" * (3 * w) for _ in range(h))
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + \
      chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
PY
expect "blank picture: no person" 3 "no person found in $TMP/blank.png" "$BIN" pose "$TMP/blank.png" --model lite

CLIP=$SHARED/media/mediapipe/tfjs_pose_squats.mp4
if [ -f "$CLIP" ]; then
  expect "pose on a video (--json)" 0 "" "$BIN" pose "$CLIP" --json --model lite
  CHECKS=$((CHECKS + 1))
  if python3 - "$TMP/out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
fr = d["frames"]
assert (d["width"], d["height"]) == (720, 1280), (d["width"], d["height"])
assert len(fr) == 65, len(fr)
t = [f["t_ms"] for f in fr]
assert all(b > a for a, b in zip(t, t[1:])) and t[0] == 0.0
assert sum(f["pose"] for f in fr) >= 60
print("video json ok: %d frames, %d with a pose, last t %.0f ms" % (len(fr), sum(f["pose"] for f in fr), t[-1]))
PY
  then echo "ok: video JSON has one frame per video frame"
  else echo "FAIL: video JSON"; FAILS=$((FAILS + 1)); fi
  head -c 200000 "$CLIP" >"$TMP/cut.mp4"
  expect "truncated video" 2 "cut.mp4" "$BIN" pose "$TMP/cut.mp4"
else
  skip "test_cli: video cases: $CLIP not found"
fi
finish
