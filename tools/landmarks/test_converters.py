#!/usr/bin/python3
"""Self-check of the landmark converters on one real file of each kind.

Runs each converter's command line into a temporary folder, then checks that every output parses
as JSON, follows repright.pose/1 (posefmt.validate_pose), has one frame per input row/frame,
33 items in every landmarks array, the expected pose:false frames and labels, and that a second
conversion is byte-identical. Exit 0 ok, 1 failure, 77 with a SKIP line when ../shared is absent.
Usage: tools/landmarks/test_converters.py   (needs /usr/bin/python3 with python3-numpy)
"""
import csv
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import posefmt  # noqa: E402

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL: " + msg)
    return cond


def run(script, args):
    cmd = [sys.executable, os.path.join(HERE, script)] + args
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    check(p.returncode == 0, "%s exited %d: %s" % (script, p.returncode, p.stderr.strip()))
    return p


def load(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    bare = re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)  # text outside string literals
    check(" " not in bare and "\t" not in bare, "%s is not compact" % path)
    doc = json.loads(text)
    errs = posefmt.validate_pose(doc)
    check(not errs, "%s: %s" % (path, "; ".join(errs[:3])))
    for i, fr in enumerate(doc["frames"]):
        for key in ("landmarks", "world_landmarks"):
            if key in fr and not check(len(fr[key]) == 33, "%s frame %d: %s" % (path, i, key)):
                return doc, text
    return doc, text


def main():
    shared = posefmt.shared_dir()
    npy = os.path.join(shared, "datasets/repcount-a-pose/test_poses/test534.npy")
    npy2 = os.path.join(shared, "datasets/repcount-a-pose/test_poses/stu10_1.npy")
    ec = os.path.join(shared, "datasets/exercise-correction/squat_model/test.csv")
    ml = os.path.join(shared, "datasets/mlkit-pose-samples/fitness_pose_samples.csv")
    mp = os.path.join(shared, "media/reference/pullup_silhouette_k002.mp1.json")
    for p in (npy, npy2, ec, ml, mp):
        if not os.path.exists(p):
            posefmt.skip("%s is absent (shared data not beside the checkout)" % p)
    try:
        import numpy as np
    except ImportError:
        posefmt.skip("python3-numpy is not installed (apt-get install python3-numpy)")

    with tempfile.TemporaryDirectory(prefix="rr-conv-") as tmp:
        outs = {k: os.path.join(tmp, k) for k in ("rc", "ec", "ml", "mp", "again")}
        run("repcount_to_pose.py", ["--out", outs["rc"], npy, npy2])
        run("exercise_correction_to_pose.py", ["--out", outs["ec"], ec])
        run("mlkit_to_pose.py", ["--out", outs["ml"], ml])
        run("mediapipe_ref_to_pose.py", ["--out", outs["mp"], mp])

        # RepCount: one frame per row, all-zero rows -> pose:false, [x, y, z], no size, fps 30.
        for src in (npy, npy2):
            a = np.load(src)
            out = os.path.join(outs["rc"], os.path.basename(src)[:-4] + ".pose.json")
            doc, text = load(out)
            fr = doc["frames"]
            check(len(fr) == a.shape[0], "%s: %d frames, npy has %d" % (out, len(fr), a.shape[0]))
            nopose = int(np.all(a == 0, axis=1).sum())
            check(sum(1 for f in fr if f.get("pose") is False) == nopose,
                  "%s: pose:false frames != all-zero rows (%d)" % (out, nopose))
            check("width" not in doc and doc.get("fps") == 30, "%s: header" % out)
            check(abs(fr[-1]["t_ms"] - (len(fr) - 1) * 1000 / 30) < 1e-3, "%s: t_ms" % out)
            with_pose = [f for f in fr if "landmarks" in f]
            if with_pose:
                check(all(len(p) == 3 for p in with_pose[0]["landmarks"]), "%s: not xyz" % out)
                i = next(i for i, f in enumerate(fr) if "landmarks" in f)
                check(abs(fr[i]["landmarks"][27][1] - float(a[i][27 * 3 + 1])) < 1e-5,
                      "%s: left_ankle y does not match the npy" % out)
            if src == npy:
                check(nopose == a.shape[0], "test534 is expected to have no pose at all")

        # Exercise-Correction: rows, labels, nulls for absent joints, visibility.
        with open(ec, newline="") as f:
            rows = list(csv.reader(f))
        out = os.path.join(outs["ec"], "squat_model.test.pose.json")
        doc, text = load(out)
        fr = doc["frames"]
        check(len(fr) == len(rows) - 1, "%s: %d frames, csv has %d rows" % (out, len(fr),
                                                                              len(rows) - 1))
        check([f.get("label") for f in fr] == [r[0] for r in rows[1:]], "%s: labels" % out)
        lm = fr[0]["landmarks"]
        check(lm[0] is not None and lm[1] is None and lm[15] is None and lm[28] is not None,
              "%s: present/null joints" % out)
        h = rows[0]
        want = [float("%.6g" % float(rows[1][h.index("right_ankle_" + c)])) for c in "xyzv"]
        check(lm[28] == want,
              "%s: right_ankle values" % out)

        # ML Kit: 812 stills, labels, 1:1 aspect, coordinates inside [0, 1).
        with open(ml, newline="") as f:
            rows = [r for r in csv.reader(f) if r]
        out = os.path.join(outs["ml"], "fitness_pose_samples.pose.json")
        doc, text = load(out)
        fr = doc["frames"]
        check(len(fr) == len(rows), "%s: %d frames, csv has %d" % (out, len(fr), len(rows)))
        check(doc.get("width") == 1000 and doc.get("height") == 1000, "%s: size" % out)
        check([f["label"] for f in fr] == [r[1] for r in rows], "%s: labels" % out)
        check(all(0 <= c <= 0.96 for f in fr for p in f["landmarks"] for c in p[:2]),
              "%s: x, y outside [0, 0.96]" % out)
        r0 = [float(x) for x in rows[0][2:]]
        s = 1.05 * max(max(r0[0::3]), max(r0[1::3]))
        check(abs(fr[0]["landmarks"][11][0] - r0[33] / s) < 1e-5, "%s: scale" % out)

        # MediaPipe reference: frames, world landmarks, visibility, undetected frames.
        with open(mp, encoding="utf-8") as f:
            ref = json.load(f)
        out = os.path.join(outs["mp"], "pullup_silhouette_k002.pose.json")
        doc, text = load(out)
        fr = doc["frames"]
        check(len(fr) == len(ref["frames"]), "%s: frame count" % out)
        check(sum(1 for f in fr if f.get("pose") is False) ==
              sum(1 for f in ref["frames"] if not f["detected"]), "%s: pose:false" % out)
        i = next(i for i, f in enumerate(ref["frames"]) if f["detected"])
        check(len(fr[i]["landmarks"][0]) == 4 and len(fr[i]["world_landmarks"]) == 33,
              "%s: image + world with visibility" % out)
        check(abs(fr[i]["world_landmarks"][23][0] - ref["frames"][i]["worldLandmarks"][23]["x"])
              < 1e-5, "%s: world left_hip x" % out)
        check((doc["width"], doc["height"]) == (1280, 720), "%s: size" % out)

        # Determinism: the same input gives byte-identical files.
        run("repcount_to_pose.py", ["--out", outs["again"], npy2])
        run("exercise_correction_to_pose.py", ["--out", outs["again"], ec])
        run("mlkit_to_pose.py", ["--out", outs["again"], ml])
        run("mediapipe_ref_to_pose.py", ["--out", outs["again"], mp])
        for name, d in (("stu10_1.pose.json", "rc"), ("squat_model.test.pose.json", "ec"),
                        ("fitness_pose_samples.pose.json", "ml"),
                        ("pullup_silhouette_k002.pose.json", "mp")):
            with open(os.path.join(outs[d], name), "rb") as a, \
                    open(os.path.join(outs["again"], name), "rb") as b:
                check(a.read() == b.read(), "%s differs between two runs" % name)

    if failures:
        print("test_converters: %d failure(s)" % len(failures))
        return 1
    print("test_converters: ok (repcount, exercise-correction, mlkit, mediapipe reference)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
