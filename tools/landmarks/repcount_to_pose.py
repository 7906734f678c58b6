#!/usr/bin/python3
"""Convert RepCount-A pose arrays (PoseRAC's .npy) to repright.pose/1 landmark files.

Input: ../shared/datasets/repcount-a-pose/test_poses/NAME.npy, float32 (frames, 104): 33 landmarks x
(x, y, z), each frame min-max normalised per axis to [0, 1], then 5 joint angles (dropped here);
all zeros where no pose was found. Output: one OUT/NAME.pose.json per input with image landmarks
[x, y, z] only (no visibility, no world landmarks), no width/height (the per-axis normalisation
removed the aspect), "fps":30 (assumed: the arrays carry no frame rate; t_ms = frame * 1000 / 30),
all-zero rows as {"t_ms":..,"pose":false}.

Usage: repcount_to_pose.py [--out DIR] [NPY ...]      (default: every test_poses/*.npy)
Exit 77 with a SKIP line when the shared data is absent. Needs python3-numpy.
"""
import argparse
import glob
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import posefmt  # noqa: E402

FPS = 30.0
NOTE = ("RepCount-A test set via PoseRAC: x, y, z min-max normalised per frame and per axis "
        "(not image coordinates); 5-frame average; fps 30 assumed")


def default_dir(shared=None):
    return os.path.join(shared or posefmt.shared_dir(), "datasets", "repcount-a-pose")


def convert(path, shared=None):
    """Return the pose/1 document for one .npy file."""
    import numpy as np
    a = np.load(path, allow_pickle=False)
    if a.ndim != 2 or a.shape[1] < 99:
        raise ValueError("%s: expected (frames, 104), got %s" % (path, a.shape))
    pts = a[:, :99].astype(np.float64)
    if not np.isfinite(pts).all():
        raise ValueError("%s: non-finite values" % path)
    empty = np.all(pts == 0.0, axis=1)
    tpl = posefmt.points_template([True] * posefmt.NUM_LANDMARKS, 3)
    frames = []
    rows = pts.tolist()
    for i, row in enumerate(rows):
        t = posefmt.frame_time_ms(i, FPS)
        if empty[i]:
            frames.append(posefmt.frame(t))
        else:
            frames.append(posefmt.frame(t, posefmt.points_json(tpl, row)))
    return posefmt.make_doc(posefmt.rel_origin(path, shared), frames, fps=FPS, note=NOTE)


def out_name(path):
    return os.path.splitext(os.path.basename(path))[0] + ".pose.json"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog="See tools/README.md for the format and the licence "
                                        "(RepCount-A: evaluation only).")
    ap.add_argument("inputs", nargs="*", metavar="NPY", help="input .npy files (default: all)")
    ap.add_argument("--out", default=os.path.join(posefmt.REPO_ROOT, "build", "landmarks",
                                                  "repcount-a"),
                    help="output folder (default: build/landmarks/repcount-a)")
    args = ap.parse_args(argv)
    inputs = args.inputs
    if not inputs:
        d = posefmt.require(os.path.join(default_dir(), "test_poses"), "RepCount-A poses")
        inputs = sorted(glob.glob(os.path.join(d, "*.npy")))
    for p in inputs:
        posefmt.require(p, "input")
    for p in inputs:
        doc = convert(p)
        posefmt.write_pose(os.path.join(args.out, out_name(p)), doc)
    print("repcount_to_pose: %d file(s) -> %s" % (len(inputs), args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
