#!/usr/bin/python3
"""Convert Exercise-Correction landmark CSVs to repright.pose/1 landmark files.

Input: ../shared/datasets/exercise-correction/{squat,lunge,bicep,plank}_model/*.csv whose first
column is `label` followed by <landmark>_x/_y/_z/_v columns for a SELECTED subset of the 33
MediaPipe landmarks (9 to 17 joints, depending on the exercise). One output per CSV, named
MODEL.STEM.pose.json (e.g. squat_model.train.pose.json): each row is one frame with [x, y, z, v]
for the joints present and null for the others, the row's `label` as the frame label, no
width/height (image aspect unknown), t_ms = row * 1000 / 30 (rows are frames in recording order,
but several videos are concatenated: the times are a row index, not a clock).

Skipped: CSVs without landmark columns (analyze_pose.csv, knee_angle*.csv, evaluation.csv,
err.evaluation.csv) and plank_model/kaggle.csv (from a Kaggle yoga set, not the author's).

Usage: exercise_correction_to_pose.py [--out DIR] [CSV ...]   (default: every landmark CSV)
Exit 77 with a SKIP line when the shared data is absent. Standard library only.
"""
import argparse
import csv
import glob
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import posefmt  # noqa: E402

FPS = 30.0
MODELS = ("squat_model", "lunge_model", "bicep_model", "plank_model")
EXCLUDED = ("plank_model/kaggle.csv",)
SUFFIXES = ("_x", "_y", "_z", "_v")

# What each file's labels mean (from each folder's README and the notebooks' naming).
EXERCISE = {"squat_model": "squat", "lunge_model": "lunge", "bicep_model": "biceps_curl",
            "plank_model": "plank"}
LABEL_MEANING = {
    "squat_model": {"up": "standing (top)", "down": "squatting (bottom)"},
    "lunge_model/stage": {"I": "init (standing)", "M": "middle", "D": "down (bottom)"},
    "lunge_model/err": {"C": "correct", "L": "knee over toe"},
    "bicep_model": {"C": "correct", "L": "lean too far back"},
    "plank_model": {"C": "correct", "H": "high lower back (hips too high)",
                    "L": "low lower back (hips too low)"},
}


def default_dir(shared=None):
    return os.path.join(shared or posefmt.shared_dir(), "datasets", "exercise-correction")


def label_key(path):
    model = os.path.basename(os.path.dirname(path))
    stem = os.path.basename(path)
    if model == "lunge_model":
        return model + "/" + stem.split(".")[0]
    return model


def landmark_columns(header):
    """{landmark index: (col_x, col_y, col_z, col_v)} or None when this is not a landmark CSV."""
    if not header or header[0] != "label":
        return None
    col = {c: i for i, c in enumerate(header)}
    joints = {}
    for name in header[1:]:
        if not name.endswith("_x"):
            continue
        base = name[:-2]
        if base not in posefmt.LANDMARK_INDEX:
            raise ValueError("unknown landmark column %r" % name)
        try:
            joints[posefmt.LANDMARK_INDEX[base]] = tuple(col[base + s] for s in SUFFIXES)
        except KeyError as e:
            raise ValueError("landmark %s lacks column %s" % (base, e))
    return joints or None


def is_landmark_csv(path):
    if posefmt.rel_origin(path, os.path.dirname(os.path.dirname(path))) in EXCLUDED:
        return False
    with open(path, newline="") as f:
        header = next(csv.reader(f), None)
    return landmark_columns(header) is not None


def list_inputs(root):
    out = []
    for m in MODELS:
        for p in sorted(glob.glob(os.path.join(root, m, "*.csv"))):
            if is_landmark_csv(p):
                out.append(p)
    return out


def convert(path, shared=None):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    joints = landmark_columns(rows[0])
    if joints is None:
        raise ValueError("%s: not a landmark CSV" % path)
    present = [i in joints for i in range(posefmt.NUM_LANDMARKS)]
    order = [c for i in sorted(joints) for c in joints[i]]
    tpl = posefmt.points_template(present, 4)
    frames = []
    for r, row in enumerate(rows[1:]):
        if len(row) != len(rows[0]):
            raise ValueError("%s:%d: %d columns, header has %d" % (path, r + 2, len(row),
                                                                   len(rows[0])))
        vals = [float(row[c]) for c in order]
        frames.append(posefmt.frame(posefmt.frame_time_ms(r, FPS), posefmt.points_json(tpl, vals),
                                    label=row[0]))
    return posefmt.make_doc(
        posefmt.rel_origin(path, shared), frames, fps=FPS,
        note="Exercise-Correction (MIT): selected joints only, frames of several videos "
             "concatenated; t_ms is row * 1000 / 30; image aspect unknown")


def out_name(path):
    model = os.path.basename(os.path.dirname(path))
    stem = os.path.splitext(os.path.basename(path))[0]
    return "%s.%s.pose.json" % (model, stem)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog="See tools/README.md (licence MIT: training allowed).")
    ap.add_argument("inputs", nargs="*", metavar="CSV", help="input CSV files (default: all)")
    ap.add_argument("--out", default=os.path.join(posefmt.REPO_ROOT, "build", "landmarks",
                                                  "exercise-correction"),
                    help="output folder (default: build/landmarks/exercise-correction)")
    args = ap.parse_args(argv)
    inputs = args.inputs
    if not inputs:
        inputs = list_inputs(posefmt.require(default_dir(), "Exercise-Correction data"))
    for p in inputs:
        posefmt.require(p, "input")
    for p in inputs:
        posefmt.write_pose(os.path.join(args.out, out_name(p)), convert(p))
    print("exercise_correction_to_pose: %d file(s) -> %s" % (len(inputs), args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
