#!/usr/bin/python3
"""Convert ML Kit's fitness pose samples to one repright.pose/1 landmark file.

Input: ../shared/datasets/mlkit-pose-samples/fitness_pose_samples.csv: per row an image name, a
class (pushups_up, pushups_down, squats_up, squats_down), then 33 x (x, y, z) in image PIXELS of an
image whose size is not recorded. Output: OUT/fitness_pose_samples.pose.json, one frame per still
(t_ms = row * 1000, label = class), [x, y, z] without visibility. Pixels are isotropic, so every
still is divided by ONE scale S = 1.05 * max(all its x and y): x/S, y/S, z/S keep the same unit on
both axes (and z), land in [0, 0.95], and "width":1000,"height":1000 tells consumers the aspect
is 1:1 (the real image size and the position inside it are unknown).

Usage: mlkit_to_pose.py [--out DIR] [CSV]
Exit 77 with a SKIP line when the shared data is absent. Standard library only.
"""
import argparse
import csv
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import posefmt  # noqa: E402

MARGIN = 1.05
SIZE = 1000


def default_file(shared=None):
    return os.path.join(shared or posefmt.shared_dir(), "datasets", "mlkit-pose-samples",
                        "fitness_pose_samples.csv")


def convert(path, shared=None):
    with open(path, newline="") as f:
        rows = [r for r in csv.reader(f) if r]
    tpl = posefmt.points_template([True] * posefmt.NUM_LANDMARKS, 3)
    frames = []
    for i, r in enumerate(rows):
        if len(r) != 2 + 3 * posefmt.NUM_LANDMARKS:
            raise ValueError("%s:%d: %d columns, expected 101" % (path, i + 1, len(r)))
        v = [float(x) for x in r[2:]]
        s = MARGIN * max(max(v[0::3]), max(v[1::3]))
        if not s > 0:
            raise ValueError("%s:%d: no positive coordinate" % (path, i + 1))
        frames.append(posefmt.frame(i * 1000.0, posefmt.points_json(tpl, [x / s for x in v]),
                                    label=r[1]))
    return posefmt.make_doc(
        posefmt.rel_origin(path, shared), frames, width=SIZE, height=SIZE, fps=1.0,
        note="ML Kit fitness pose samples (Apache-2.0): one still per frame; pixels divided by "
             "S = 1.05 * max(x, y) of each still, so the aspect is 1:1; image size unknown")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog="See tools/README.md (licence Apache-2.0: training "
                                        "allowed).")
    ap.add_argument("input", nargs="?", metavar="CSV", help="input CSV (default: the shared one)")
    ap.add_argument("--out", default=os.path.join(posefmt.REPO_ROOT, "build", "landmarks", "mlkit"),
                    help="output folder (default: build/landmarks/mlkit)")
    args = ap.parse_args(argv)
    path = posefmt.require(args.input or default_file(), "ML Kit pose samples")
    out = os.path.join(args.out, os.path.splitext(os.path.basename(path))[0] + ".pose.json")
    posefmt.write_pose(out, convert(path))
    print("mlkit_to_pose: %s -> %s" % (path, out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
