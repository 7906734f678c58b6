#!/usr/bin/python3
"""Convert a MediaPipe reference dump (*.mp1.json) to a repright.pose/1 landmark file.

Input: ../shared/media/reference/NAME.mp1.json, written by the `mpref` tool from MediaPipe Pose
0.5.1675469404 (WebAssembly, CPU, video mode, file timestamps). Mapping:
  frames[i].t_ms                       -> t_ms (file timestamp, kept)
  frames[i].detected false             -> {"t_ms":..,"pose":false}
  frames[i].landmarks[j] {x,y,z,visibility}      -> landmarks[j] [x, y, z, visibility]
                                     (x, y normalised to the image, z same scale as x)
  frames[i].worldLandmarks[j] {x,y,z,visibility} -> world_landmarks[j] [x, y, z, visibility]
                                     (metres, hip-centred)
  frames[0].width/height (or summary.image_size) -> width, height
  input.fps                            -> fps
  options.modelComplexity 0/1/2        -> "model":"mediapipe-lite|full|heavy"
The C loader reads these dumps directly as well; this converter documents the mapping and gives the
evaluation corpus one format.

Usage: mediapipe_ref_to_pose.py [--out DIR] [MP1_JSON ...]   (default: every reference dump)
Exit 77 with a SKIP line when the shared data is absent. Standard library only.
"""
import argparse
import glob
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import posefmt  # noqa: E402

MODELS = {0: "lite", 1: "full", 2: "heavy"}
SUFFIX = ".mp1.json"


def default_dir(shared=None):
    return os.path.join(shared or posefmt.shared_dir(), "media", "reference")


def _points(lms, tpl, what):
    if not isinstance(lms, list) or len(lms) != posefmt.NUM_LANDMARKS:
        raise ValueError("%s: expected %d landmarks" % (what, posefmt.NUM_LANDMARKS))
    vals = []
    for p in lms:
        vals += [p["x"], p["y"], p["z"], p.get("visibility", 0.0)]
    return posefmt.points_json(tpl, vals)


def convert(path, shared=None):
    with open(path, encoding="utf-8") as f:
        d = json.load(f)
    tpl = posefmt.points_template([True] * posefmt.NUM_LANDMARKS, 4)
    frames = []
    width = height = 0
    for i, fr in enumerate(d["frames"]):
        if not width and fr.get("width") and fr.get("height"):
            width, height = fr["width"], fr["height"]
        elif fr.get("width") and (fr["width"], fr["height"]) != (width, height):
            raise ValueError("%s: frame %d changes the image size" % (path, i))
        t = fr["t_ms"]
        if not fr.get("detected") or not fr.get("landmarks"):
            frames.append(posefmt.frame(t))
            continue
        what = "%s frame %d" % (path, i)
        world = fr.get("worldLandmarks")
        frames.append(posefmt.frame(t, _points(fr["landmarks"], tpl, what),
                                    _points(world, tpl, what) if world else None))
    if not width:
        size = (d.get("summary") or {}).get("image_size", "")
        if "x" in size:
            width, height = (int(v) for v in size.split("x", 1))
    inp = d.get("input") or {}
    mp = d.get("mediapipe") or {}
    complexity = (d.get("options") or {}).get("modelComplexity")
    model = "mediapipe-%s" % MODELS.get(complexity, "unknown")
    return posefmt.make_doc(
        posefmt.rel_origin(path, shared), frames, width=width, height=height, fps=inp.get("fps"),
        model=model,
        note="MediaPipe Pose %s (%s) reference dump of %s" % (
            mp.get("version", "?"), mp.get("package", "?"), inp.get("path", "?")))


def out_name(path):
    b = os.path.basename(path)
    if b.endswith(SUFFIX):
        b = b[:-len(SUFFIX)]
    return b + ".pose.json"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog="See tools/README.md (third-party footage: evaluation "
                                        "only).")
    ap.add_argument("inputs", nargs="*", metavar="MP1_JSON",
                    help="reference dumps (default: every media/reference/*.mp1.json)")
    ap.add_argument("--out", default=os.path.join(posefmt.REPO_ROOT, "build", "landmarks",
                                                  "mediapipe-ref"),
                    help="output folder (default: build/landmarks/mediapipe-ref)")
    args = ap.parse_args(argv)
    inputs = args.inputs
    if not inputs:
        d = posefmt.require(default_dir(), "MediaPipe reference dumps")
        inputs = sorted(glob.glob(os.path.join(d, "*" + SUFFIX)))
    for p in inputs:
        posefmt.require(p, "input")
    for p in inputs:
        posefmt.write_pose(os.path.join(args.out, out_name(p)), convert(p))
    print("mediapipe_ref_to_pose: %d file(s) -> %s" % (len(inputs), args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
