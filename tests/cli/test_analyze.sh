#!/usr/bin/env bash
# test_analyze.sh - `repright analyze`: usage errors, hostile and broken inputs (each a clear
# message and exit 2, never a crash), then with models and ../shared: a real clip gives a report,
# valid JSON of schema repright.report/2, an overlay video and two thumbnails.
# Usage: test_analyze.sh PATH/TO/repright. Exit 0 passed, 1 failed, 77 skipped part (SKIP line).
set -u
BIN=${1:?usage: test_analyze.sh PATH/TO/repright}
SHARED=${RR_SHARED_DIR:-$(cd "$(dirname "$0")/../.." && pwd)/../shared}
# shellcheck source=lib/common.bash
. "$(dirname "$0")/lib/common.bash"

[ -x "$BIN" ] || { echo "FAIL: $BIN is not an executable"; exit 1; }

expect "analyze --help" 0 "--exercise" "$BIN" analyze --help
expect "analyze without a file" 64 "missing VIDEO" "$BIN" analyze
expect "analyze unknown exercise" 64 "unknown exercise" "$BIN" analyze x.mp4 --exercise yoga
expect "analyze unknown model" 64 "unknown model" "$BIN" analyze x.mp4 --model huge
expect "analyze --threads 0" 64 "--threads" "$BIN" analyze x.mp4 --threads 0

MODELS=${REPRIGHT_MODEL_DIR:-${HOME:-/root}/.cache/repright/models}
if [ ! -f "$MODELS/pose_detection.tflite" ] || [ ! -f "$MODELS/pose_landmark_full.tflite" ]; then
  skip "test_analyze: models not found in $MODELS (run scripts/setup.sh)"
  finish
fi

expect "missing file" 2 "cannot decode" "$BIN" analyze "$TMP/missing.mp4"
: >"$TMP/empty.mp4"
expect "zero-byte file" 2 "empty" "$BIN" analyze "$TMP/empty.mp4"
printf '#EXTM3U\n#EXT-X-VERSION:3\n#EXTINF:10,\nhttp://127.0.0.1:1/a.ts\n' >"$TMP/playlist.mp4"
expect "HLS playlist renamed .mp4" 2 "playlist" "$BIN" analyze "$TMP/playlist.mp4"
printf 'hello\n' >"$TMP/notes.mp4"
expect "text file renamed .mp4" 2 "cannot decode" "$BIN" analyze "$TMP/notes.mp4"
PERSON=/usr/share/doc/opencv-doc/examples/data/messi5.jpg
if [ -f "$PERSON" ]; then
  expect "an image instead of a video" 2 "cannot decode" "$BIN" analyze "$PERSON"
fi

CLIP="$SHARED/media/videos/squat_side_BAD_heels_k_i002.mp4"
if [ ! -f "$CLIP" ]; then
  skip "test_analyze: $CLIP not found (../shared is absent)"
  finish
fi
head -c 200000 "$CLIP" >"$TMP/truncated.mp4"
expect "truncated mp4" 2 "cannot decode" "$BIN" analyze "$TMP/truncated.mp4"
# huge declared dimensions: patch the track header's width/height (tkhd, 16.16 fixed point)
python3 - "$CLIP" "$TMP/huge.mp4" <<'PY'
import struct, sys
data = bytearray(open(sys.argv[1], 'rb').read())
i = data.find(b'tkhd')
assert i > 0
ver = data[i + 4]
off = i + 4 + (92 if ver == 1 else 80)  # width, height at the end of tkhd
struct.pack_into('>II', data, off - 8, 60000 << 16, 60000 << 16)
j = data.find(b'avc1', data.find(b'stsd'))
if j > 0:
    struct.pack_into('>HH', data, j + 4 + 24, 60000, 60000)
open(sys.argv[2], 'wb').write(data)
PY
expect "huge declared dimensions" 2 "" "$BIN" analyze "$TMP/huge.mp4"
# a blank video: no person
if command -v ffmpeg >/dev/null; then
  ffmpeg -loglevel error -f lavfi -i color=c=white:s=320x240:d=1 -c:v libx264 -pix_fmt yuv420p "$TMP/blank.mp4" </dev/null
  expect "a video with nobody in it" 3 "no person found" "$BIN" analyze "$TMP/blank.mp4"
fi

expect "text report of a bad squat" 0 "heels_rise" "$BIN" analyze "$CLIP" --model lite
mkdir -p "$TMP/thumbs"
expect "json + overlay + thumbnails" 0 "" "$BIN" analyze "$CLIP" --json --exercise squat \
  --overlay "$TMP/overlay.mp4" --thumbs "$TMP/thumbs"
cp "$TMP/out" "$TMP/report.json"
CHECKS=$((CHECKS + 1))
if python3 - "$TMP/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["schema"] == "repright.report/2", r.get("schema")
assert r["exercise"] == "squat", r["exercise"]
assert r["exercise_source"] == "given"
assert r["set"]["reps"] == 1 and len(r["reps"]) == 1, r["reps"]
assert any(c["name"] == "heels_rise" for c in r["reps"][0]["checks"])
PY
then echo "ok: report JSON has the schema, the exercise and one rep"
else echo "FAIL: report JSON"; FAILS=$((FAILS + 1)); fi
CHECKS=$((CHECKS + 1))
if [ -s "$TMP/overlay.mp4" ] && [ -s "$TMP/thumbs/best.jpg" ] && [ -s "$TMP/thumbs/worst.jpg" ] &&
   [ ! -e "$TMP/overlay.mp4.part" ]; then
  echo "ok: overlay and thumbnails written"
else
  echo "FAIL: overlay or thumbnails missing"; ls -la "$TMP" "$TMP/thumbs"; FAILS=$((FAILS + 1))
fi
if command -v ffprobe >/dev/null; then
  CHECKS=$((CHECKS + 1))
  n=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=codec_name,nb_read_frames -of csv=p=0 "$TMP/overlay.mp4")
  if [ "$n" = "h264,47" ]; then echo "ok: overlay is h264 with every frame ($n)"
  else echo "FAIL: overlay stream is '$n', wanted h264,47"; FAILS=$((FAILS + 1)); fi
fi
expect "overlay into a missing directory" 64 "cannot write" "$BIN" analyze "$CLIP" --overlay "$TMP/no/such/o.mp4"
expect "thumbnails into a missing directory" 64 "cannot write" "$BIN" analyze "$CLIP" --thumbs "$TMP/nothere"
finish
