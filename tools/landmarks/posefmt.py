"""Shared helpers for the repright.pose/1 landmark format (tools/landmarks, tools/eval).

Python 3 standard library only (the converters that read .npy files also need python3-numpy).
The format is described in tools/README.md; this module writes it deterministically:
compact JSON, one frame per line, coordinates with at most 6 significant digits, t_ms rounded
to the microsecond (3 decimals), keys in a fixed order.
"""
import hashlib
import json
import math
import os
import sys

SCHEMA = "repright.pose/1"
NUM_LANDMARKS = 33

# BlazePose / MediaPipe Pose landmark order.
LANDMARK_NAMES = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_pinky", "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb",
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    "left_heel", "right_heel", "left_foot_index", "right_foot_index",
)
LANDMARK_INDEX = {n: i for i, n in enumerate(LANDMARK_NAMES)}

EXIT_SKIP = 77

# Keys whose numbers are times in milliseconds: printed with 3 decimals, not 6 significant digits.
TIME_KEYS = frozenset(("t_ms", "bounds_ms"))

REPO_ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def shared_dir():
    """The read-only shared data folder: $RR_SHARED_DIR, else ../shared beside the checkout."""
    d = os.environ.get("RR_SHARED_DIR")
    if not d:
        d = os.path.join(REPO_ROOT, "..", "shared")
    return os.path.normpath(d)


def skip(msg):
    print("SKIP: " + msg)
    sys.exit(EXIT_SKIP)


def require(path, what):
    """Exit 77 with a SKIP line when a shared input is absent."""
    if not os.path.exists(path):
        skip("%s not found (%s); the shared data is not beside this checkout" % (what, path))
    return path


def rel_origin(path, root=None):
    """A machine-independent name for an input: its path relative to the shared folder."""
    root = root or shared_dir()
    ap, ar = os.path.abspath(path), os.path.abspath(root)
    if ap == ar or ap.startswith(ar + os.sep):
        return os.path.relpath(ap, ar).replace(os.sep, "/")
    return os.path.basename(path)


# --- number formatting --------------------------------------------------------------------

def fnum(x):
    """A finite number with at most 6 significant digits ("%.6g": "0.5", "30", "1e-05").

    Adding 0.0 folds -0 into 0. points_json() below must produce the same text for the same
    value, so both use exactly this format."""
    x = float(x) + 0.0
    if not math.isfinite(x):
        raise ValueError("non-finite number in landmark data")
    return "%.6g" % x


class Raw(str):
    """Already-encoded JSON text, emitted as is by the encoder."""


def points_template(present, dims):
    """A %-template for 33 points: present[i] False -> null, else an array of `dims` numbers."""
    one = "[" + ",".join(["%.6g"] * dims) + "]"
    return "[" + ",".join(one if p else "null" for p in present) + "]"


def points_json(template, values):
    """Fill a points_template with a flat sequence of finite floats (row-major, present only)."""
    vals = [v + 0.0 for v in values]
    for v in vals:
        if not math.isfinite(v):
            raise ValueError("non-finite number in landmark data")
    return Raw(template % tuple(vals))


def ftime(t_ms):
    """A time in milliseconds, rounded to 3 decimals, always with a fraction ("0.0", "33.333")."""
    t = float(t_ms)
    if not math.isfinite(t):
        raise ValueError("non-finite time")
    s = "%.3f" % t
    s = s.rstrip("0")
    if s.endswith("."):
        s += "0"
    if s in ("-0.0",):
        s = "0.0"
    return s


def frame_time_ms(index, fps):
    return index * 1000.0 / fps


# --- encoding -----------------------------------------------------------------------------

def _enc(v, key=None):
    if isinstance(v, Raw):
        return str(v)
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return ftime(v) if key in TIME_KEYS else fnum(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=True)
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(_enc(x, key) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ",".join(json.dumps(str(k)) + ":" + _enc(x, k) for k, x in v.items()) + "}"
    # numpy scalars and the like
    if hasattr(v, "item"):
        return _enc(v.item(), key)
    raise TypeError("cannot encode %r" % type(v))


def encode_compact(v):
    return _enc(v)


def dump_pose(doc):
    """Serialise a pose/1 document: header keys, then one frame per line."""
    head = {k: v for k, v in doc.items() if k != "frames"}
    out = [_enc(head)[:-1]]
    if len(head):
        out.append(",")
    out.append('"frames":[')
    frames = doc.get("frames", [])
    for i, f in enumerate(frames):
        out.append("\n" + _enc(f) + ("," if i + 1 < len(frames) else ""))
    out.append("\n]}\n")
    return "".join(out)


def make_doc(file, frames, width=None, height=None, fps=None, **extra):
    """Build a document with keys in the canonical order; width/height/fps left out when None."""
    d = {"schema": SCHEMA, "file": file}
    if width and height:
        d["width"] = int(width)
        d["height"] = int(height)
    if fps:
        d["fps"] = float(fps)
    for k, v in extra.items():
        if v is not None:
            d[k] = v
    d["frames"] = frames
    return d


def write_text_atomic(path, text):
    d = os.path.dirname(path)
    if d:
        os.makedirs(d, exist_ok=True)
    tmp = "%s.tmp%d" % (path, os.getpid())
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    os.replace(tmp, path)


def write_pose(path, doc):
    write_text_atomic(path, dump_pose(doc))


def frame(t_ms, landmarks=None, world=None, label=None, **extra):
    """One frame; landmarks None means no pose."""
    f = {"t_ms": float(t_ms)}
    if landmarks is None:
        f["pose"] = False
    else:
        f["landmarks"] = landmarks
        if world is not None:
            f["world_landmarks"] = world
    for k, v in extra.items():
        if v is not None:
            f[k] = v
    if label is not None:
        f["label"] = label
    return f


# --- checking -----------------------------------------------------------------------------

def validate_pose(doc):
    """Return a list of problems (empty when the document follows pose/1)."""
    errs = []
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        return ["schema is not %s" % SCHEMA]
    if not isinstance(doc.get("file"), str):
        errs.append("file missing")
    w, h = doc.get("width", 0), doc.get("height", 0)
    if not (isinstance(w, int) and isinstance(h, int) and w >= 0 and h >= 0 and (w > 0) == (h > 0)):
        errs.append("width/height must be two positive integers or absent")
    frames = doc.get("frames")
    if not isinstance(frames, list):
        return errs + ["frames missing"]
    prev = None
    for i, f in enumerate(frames):
        if len(errs) > 20:
            break
        t = f.get("t_ms")
        if not isinstance(t, (int, float)):
            errs.append("frame %d: t_ms missing" % i)
        elif prev is not None and t < prev:
            errs.append("frame %d: t_ms goes backwards" % i)
        prev = t if isinstance(t, (int, float)) else prev
        if "label" in f and not isinstance(f["label"], str):
            errs.append("frame %d: label is not a string" % i)
        if f.get("pose") is False:
            if "landmarks" in f:
                errs.append("frame %d: pose false with landmarks" % i)
            continue
        for key in ("landmarks", "world_landmarks"):
            if key not in f:
                if key == "landmarks":
                    errs.append("frame %d: no landmarks and not pose:false" % i)
                continue
            lm = f[key]
            if not isinstance(lm, list) or len(lm) != NUM_LANDMARKS:
                errs.append("frame %d: %s does not have %d items" % (i, key, NUM_LANDMARKS))
                continue
            for j, p in enumerate(lm):
                if p is None:
                    continue
                if (not isinstance(p, list) or not 2 <= len(p) <= 4
                        or not all(isinstance(c, (int, float)) for c in p)):
                    errs.append("frame %d: %s[%d] is not [x,y(,z(,v))]" % (i, key, j))
                    break
    return errs


def sha256_file(path, bufsize=1 << 20):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(bufsize)
            if not b:
                break
            h.update(b)
    return h.hexdigest()
