#!/usr/bin/env bash
# test_landmarks.sh - `repright analyze --landmarks FILE` and `--save-landmarks FILE`
# (docs/landmarks-format.md): usage errors (64), unreadable or malformed files (2, with the
# reason), a file without a pose (3), an analysis fixture (repright.pose/1 arrays) read directly
# and rewritten with object landmarks (0, same report), then with models and ../shared: the --save-landmarks round
# trip on a real clip prints the same report as the video run, text and JSON, apart from the
# lines that name the input.
# Usage: test_landmarks.sh PATH/TO/repright. Exit 0 passed, 1 failed, 77 skipped part (SKIP line).
set -u
BIN=${1:?usage: test_landmarks.sh PATH/TO/repright}
SHARED=${RR_SHARED_DIR:-$(cd "$(dirname "$0")/../.." && pwd)/../shared}
FIX=$(cd "$(dirname "$0")/../fixtures/analysis" && pwd)
# shellcheck source=lib/common.bash
. "$(dirname "$0")/lib/common.bash"

[ -x "$BIN" ] || { echo "FAIL: $BIN is not an executable"; exit 1; }

# --- usage -----------------------------------------------------------------------------------
expect "--help names --landmarks" 0 "--landmarks" "$BIN" analyze --help
expect "--landmarks with --overlay" 64 "need a video" \
  "$BIN" analyze --landmarks x.json --overlay "$TMP/o.mp4"
expect "--landmarks with --thumbs" 64 "need a video" \
  "$BIN" analyze --landmarks x.json --thumbs "$TMP"
expect "--landmarks and a VIDEO" 64 "not both" "$BIN" analyze --landmarks x.json clip.mp4
expect "--landmarks without a value" 64 "needs a value" "$BIN" analyze --landmarks
expect "--save-landmarks into a missing directory" 64 "cannot write the landmarks" \
  "$BIN" analyze --landmarks x.json --save-landmarks "$TMP/no/such/x.json"

# --- unreadable and malformed files: exit 2 with the reason ----------------------------------
expect "missing file" 2 "cannot read landmarks $TMP/missing.json: cannot open" \
  "$BIN" analyze --landmarks "$TMP/missing.json"
expect "a directory" 2 "not a regular file" "$BIN" analyze --landmarks "$TMP"
: >"$TMP/empty.json"
expect "empty file" 2 "the file is empty" "$BIN" analyze --landmarks "$TMP/empty.json"
printf 'hello\n' >"$TMP/notes.json"
expect "text file" 2 "not a JSON object" "$BIN" analyze --landmarks "$TMP/notes.json"
printf '{"schema":"repright.pose/2","frames":[]}' >"$TMP/v2.json"
expect "wrong schema" 2 'unknown schema "repright.pose/2"' "$BIN" analyze --landmarks "$TMP/v2.json"
{
  printf '{"schema":"repright.pose/1","frames":[{"t_ms":0,"pose":false},\n{"t_ms":40,"landmarks":['
  for i in $(seq 1 32); do printf '%s[0.5,0.5]' "$([ "$i" -gt 1 ] && echo ,)"; done
  printf ']}]}\n'
} >"$TMP/short.json"
expect "32 landmarks" 2 "frame 1: landmarks must have 33 items, not 32" \
  "$BIN" analyze --landmarks "$TMP/short.json" --json
head -c 2000 "$FIX/squat_side_heels.json" >"$TMP/truncated.json"
expect "truncated file" 2 "(truncated?)" "$BIN" analyze --landmarks "$TMP/truncated.json"
printf '{"schema":"repright.pose/1","frames":[{"t_ms":5},{"t_ms":4}]}' >"$TMP/back.json"
expect "time going backwards" 2 "frame 1: time goes backwards" \
  "$BIN" analyze --landmarks "$TMP/back.json"

# --- valid files -----------------------------------------------------------------------------
printf '{"schema":"repright.pose/1","width":640,"height":480,"frames":[%s,%s]}' \
  '{"t_ms":0,"pose":false}' '{"t_ms":33.3}' >"$TMP/nobody.json"
expect "no pose in any frame" 3 "no person found" "$BIN" analyze --landmarks "$TMP/nobody.json"
expect "a fixture" 0 "heels_rise" "$BIN" analyze --landmarks "$FIX/squat_side_heels.json"
expect "a fixture, JSON" 0 '"landmarks":' \
  "$BIN" analyze --landmarks "$FIX/squat_side_heels.json" --json
cp "$TMP/out" "$TMP/series.report.json"

if ! command -v python3 >/dev/null; then
  skip "test_landmarks: python3 not found (needed to convert and compare JSON)"
  finish
fi

# Reports equal apart from "source" (python3 A B [EXPECT_EXERCISE])
same_report() {
  python3 - "$@" <<'PY'
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
sa, sb = a.pop("source"), b.pop("source")
assert a == b, "reports differ outside source"
assert a["schema"] == "repright.report/2"
if len(sys.argv) > 3:
    assert a["exercise"] == sys.argv[3], a["exercise"]
    assert a["set"]["reps"] >= 1, a["set"]
assert sb.get("landmarks") and "rotation" not in sb, sb
assert sb["frames"] == sa["frames"] and sb["frames_with_pose"] == sa["frames_with_pose"], (sa, sb)
PY
}

# the fixture rewritten by hand: objects on even frames, arrays on odd ones, a label each
python3 - "$FIX/squat_side_heels.json" "$TMP/converted.pose.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
frames = []
for i, f in enumerate(s["frames"]):
    fr = {"t_ms": f["t_ms"]}
    if "landmarks" not in f or f.get("pose") is False:
        fr["pose"] = False
    else:
        for key in ("landmarks", "world_landmarks"):
            q = f[key]
            fr[key] = ([{"x": x, "y": y, "z": z, "visibility": v} for x, y, z, v in q]
                       if i % 2 == 0 else q)
        fr["label"] = "squat"
    frames.append(fr)
json.dump({"schema": "repright.pose/1", "width": s["width"], "height": s["height"],
           "frames": frames}, open(sys.argv[2], "w"), indent=1)
PY
expect "the fixture converted to repright.pose/1" 0 "" \
  "$BIN" analyze --landmarks "$TMP/converted.pose.json" --json \
  --save-landmarks "$TMP/resaved.pose.json"
cp "$TMP/out" "$TMP/converted.report.json"
CHECKS=$((CHECKS + 1))
if same_report "$TMP/series.report.json" "$TMP/converted.report.json" squat; then
  echo "ok: the converted fixture gives the fixture's report"
else echo "FAIL: converted fixture report differs"; FAILS=$((FAILS + 1)); fi
expect "the re-saved file" 0 "" "$BIN" analyze --landmarks "$TMP/resaved.pose.json" --json
CHECKS=$((CHECKS + 1))
if same_report "$TMP/converted.report.json" "$TMP/out" squat; then
  echo "ok: --save-landmarks from a landmark file keeps the report"
else echo "FAIL: re-saved landmark file gives another report"; FAILS=$((FAILS + 1)); fi

# --- the round trip on a real clip (models and ../shared) ------------------------------------
MODELS=${REPRIGHT_MODEL_DIR:-${HOME:-/root}/.cache/repright/models}
if [ ! -f "$MODELS/pose_detection.tflite" ] || [ ! -f "$MODELS/pose_landmark_lite.tflite" ]; then
  skip "test_landmarks: models not found in $MODELS (run scripts/setup.sh)"
  finish
fi
CLIP="$SHARED/media/videos/squat_side_BAD_heels_k_i002.mp4"
if [ ! -f "$CLIP" ]; then
  skip "test_landmarks: $CLIP not found (../shared is absent)"
  finish
fi
expect "video --json --save-landmarks" 0 "" \
  "$BIN" analyze "$CLIP" --model lite --json --save-landmarks "$TMP/clip.pose.json"
cp "$TMP/out" "$TMP/video.report.json"
expect "the saved landmarks --json" 0 "" "$BIN" analyze --landmarks "$TMP/clip.pose.json" --json
CHECKS=$((CHECKS + 1))
if same_report "$TMP/video.report.json" "$TMP/out" squat &&
   [ ! -e "$TMP/clip.pose.json.part" ]; then
  echo "ok: --landmarks on the saved file gives the video's JSON report"
else echo "FAIL: JSON report from the saved landmarks differs"; FAILS=$((FAILS + 1)); fi
expect "video, text report" 0 "heels_rise" "$BIN" analyze "$CLIP" --model lite
tail -n +2 "$TMP/out" >"$TMP/video.txt"
expect "the saved landmarks, text report" 0 "repright.pose/1" \
  "$BIN" analyze --landmarks "$TMP/clip.pose.json"
tail -n +2 "$TMP/out" >"$TMP/landmarks.txt"
CHECKS=$((CHECKS + 1))
if cmp -s "$TMP/video.txt" "$TMP/landmarks.txt"; then
  echo "ok: the text reports are the same below the input line"
else
  echo "FAIL: text reports differ"; diff "$TMP/video.txt" "$TMP/landmarks.txt" | head -10
  FAILS=$((FAILS + 1))
fi
finish
