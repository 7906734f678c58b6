#!/usr/bin/python3
"""Build the evaluation corpus: labelled landmark series in repright.pose/1 plus two manifests.

Sets (all read from ../shared or $RR_SHARED_DIR in place; nothing is copied into the project):
  repcount       RepCount-A test set (152 videos, PoseRAC landmarks, rep bounds): EVALUATION ONLY
  dev            the dev clips of media/ground_truth.json + more_clips.json, landmarks from our own
                 engine (REPRIGHT_BIN analyze VIDEO --save-landmarks OUT --json, or the fallback
                 REPRIGHT_BIN pose VIDEO --json while --save-landmarks does not exist), cached
  dev-mediapipe  the 16 ground_truth.json clips with MediaPipe's own reference landmarks
  frames         labelled frame sets for posture/phase/fault models: ML Kit stills and
                 Exercise-Correction CSVs (training allowed)

Output (DIR = --out, default build/eval-corpus):
  DIR/manifest.json   {"schema":"repright.corpus/1","items":[...]}   (repcount, dev, dev-mediapipe)
  DIR/frames.json     {"schema":"repright.frames/1","items":[...]}   (frames)
  DIR/<set>/<id>.pose.json and DIR/mlkit/, DIR/exercise-correction/  landmark files
A run with --only rebuilds those sets and keeps the other sets' items of an existing manifest.

Engine cache: ${XDG_CACHE_HOME:-$HOME/.cache}/repright/eval-landmarks/<engine-id>/<clip sha256>.*
engine-id = sha256 of `git rev-parse HEAD:src/pose HEAD:src/video HEAD:src/pipeline` of the
checkout holding the binary when those paths are clean (else of the binary's bytes), plus the model
name (plus a fallback marker when the `pose` fallback produced the landmarks).

Exit 0 ok, 1 a requested set could not be built, 64 bad usage, 77 SKIP when the shared data is
absent. Python 3 with python3-numpy only.
"""
import argparse
import collections
import concurrent.futures
import csv
import glob
import hashlib
import json
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "landmarks"))
import posefmt  # noqa: E402
import repcount_to_pose  # noqa: E402
import exercise_correction_to_pose  # noqa: E402
import mlkit_to_pose  # noqa: E402
import mediapipe_ref_to_pose  # noqa: E402

SETS = ("repcount", "dev", "dev-mediapipe", "frames")
MANIFEST_SETS = ("repcount", "dev", "dev-mediapipe")
EXERCISES = ("squat", "push_up", "lunge", "deadlift", "biceps_curl", "shoulder_press",
             "jumping_jack", "pull_up", "plank", "none")

# Every RepCount-A `type` spelling in test.csv. Types that are not RepRight exercises are "none".
# An unknown spelling stops the build so that a new one is mapped on purpose.
REPCOUNT_TYPES = {
    "squat": "squat", "squant": "squat",
    "push_up": "push_up", "pushups": "push_up",
    "pull_up": "pull_up", "pullups": "pull_up",
    "jump_jack": "jumping_jack", "jumpjacks": "jumping_jack",
    "bench_pressing": "none", "benchpressing": "none",
    "front_raise": "none", "frontraise": "none",
    "situp": "none", "pommelhorse": "none", "others": "none",
}
REPCOUNT_FPS = 30.0

# Frame sets: exercises and what the labels are for.
MLKIT_LABELS = {"pushups_up": "push-up top (arms straight)", "pushups_down":
                "push-up bottom (elbows bent)", "squats_up": "standing", "squats_down":
                "squat bottom"}
EC_TASK = {"squat_model": "phase", "lunge_model/stage": "phase", "lunge_model/err": "fault",
           "bicep_model": "fault", "plank_model": "fault"}

CODE_NO_PERSON = 3
CODE_BAD_INPUT = 2

print_lock = threading.Lock()


def log(msg):
    with print_lock:
        print(msg, flush=True)


def warn(msg):
    log("warning: " + msg)


class Ctx:
    pass


# --- helpers ------------------------------------------------------------------------------

def pose_stats(doc):
    fr = doc["frames"]
    return len(fr), sum(1 for f in fr if "landmarks" in f)


def write_doc(ctx, rel, doc):
    """Serialise, check the text as a consumer would read it, then write DIR/rel."""
    text = posefmt.dump_pose(doc)
    errs = posefmt.validate_pose(json.loads(text))
    if errs:
        raise ValueError("%s: %s" % (rel, "; ".join(errs[:3])))
    posefmt.write_text_atomic(os.path.join(ctx.out, rel), text)


def clean_set_dir(ctx, sub):
    """Remove landmark files this tool wrote earlier in DIR/sub (and nothing else)."""
    d = os.path.join(ctx.out, sub)
    for p in glob.glob(os.path.join(d, "*.pose.json")):
        os.remove(p)


def repo_of(source):
    """'owner/repo:path@commit' -> 'owner/repo'."""
    return source.split(":", 1)[0]


def load_clips(ctx):
    clips = []
    for name in ("ground_truth.json", "more_clips.json"):
        p = os.path.join(ctx.shared, "media", name)
        if not os.path.exists(p):
            warn("%s is absent" % p)
            continue
        with open(p, encoding="utf-8") as f:
            for c in json.load(f):
                c = dict(c)
                c["_list"] = name
                clips.append(c)
    return clips


def clip_id(c):
    return os.path.splitext(os.path.basename(c["file"]))[0]


def clip_item(c, set_name):
    reps = c.get("reps")
    acc = c.get("reps_accept") or ([reps] if reps is not None else [])
    ex = c.get("exercise")
    if ex not in EXERCISES:
        raise ValueError("%s: unknown exercise %r" % (c["file"], ex))
    return {
        "source": repo_of(c.get("source", "unknown")), "set": set_name, "id": clip_id(c),
        "exercise": ex, "label_raw": ex, "reps": reps, "reps_accept": acc, "bounds_ms": None,
        "hold_s": c.get("hold_s"), "faults": list(c.get("form_faults") or []),
        "view": c.get("view"), "landmarks": None,
        "video": "media/" + c["file"], "list": c["_list"], "variant": c.get("variant"),
        "confidence": c.get("confidence"), "use": "eval",
    }


# --- repcount -----------------------------------------------------------------------------

def build_repcount(ctx):
    root = repcount_to_pose.default_dir(ctx.shared)
    csv_path = os.path.join(root, "test.csv")
    if not os.path.exists(csv_path):
        warn("repcount: %s is absent" % csv_path)
        return None
    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    unknown = sorted({r["type"] for r in rows} - set(REPCOUNT_TYPES))
    if unknown:
        raise SystemExit("repcount: unmapped type spelling(s) %s: add them to REPCOUNT_TYPES"
                         % ", ".join(unknown))
    clean_set_dir(ctx, "repcount")
    items, notes = [], []
    lcols = sorted((k for k in rows[0] if k and k.startswith("L") and k[1:].isdigit()),
                   key=lambda k: int(k[1:]))
    for r in rows:
        vid = os.path.splitext(r["name"])[0]
        marks = [r[k] for k in lcols if r.get(k, "").strip() != ""]
        frames_b = [int(round(float(v))) for v in marks]
        count = int(round(float(r["count"])))
        if len(frames_b) % 2:
            notes.append("%s: odd number of boundary values (%d)" % (vid, len(frames_b)))
        pairs = list(zip(frames_b[0::2], frames_b[1::2]))
        if count != len(pairs):
            notes.append("%s: count %d but %d start/end pairs" % (vid, count, len(pairs)))
        for s, e in pairs:
            if e < s:
                notes.append("%s: rep [%d, %d] ends before it starts" % (vid, s, e))
        zero = [s for s, e in pairs if e == s]
        if zero:
            notes.append("%s (%s): %d zero-length reps (start == end, frames %s)" % (
                vid, r["type"], len(zero), ",".join(str(z) for z in sorted(set(zero)))))
        if count == 0:
            notes.append("%s (%s): count 0" % (vid, r["type"]))
        npy = os.path.join(root, "test_poses", vid + ".npy")
        item = {
            "source": "repcount-a", "set": "repcount", "id": vid,
            "exercise": REPCOUNT_TYPES[r["type"]], "label_raw": r["type"], "reps": count,
            "reps_accept": [count],
            "bounds_ms": [[s * 1000.0 / REPCOUNT_FPS, e * 1000.0 / REPCOUNT_FPS]
                          for s, e in pairs],
            "hold_s": None, "faults": [], "view": None, "landmarks": None,
            "fps": REPCOUNT_FPS, "use": "eval-only",
        }
        if not os.path.exists(npy):
            item["error"] = "no landmarks: %s is absent" % posefmt.rel_origin(npy, ctx.shared)
            notes.append(item["error"])
        else:
            doc = repcount_to_pose.convert(npy, ctx.shared)
            rel = "repcount/%s.pose.json" % vid
            write_doc(ctx, rel, doc)
            n, wp = pose_stats(doc)
            item["landmarks"] = rel
            item["frames"], item["frames_with_pose"] = n, wp
            if wp == 0:
                notes.append("%s (%s): no frame with a pose" % (vid, r["type"]))
            if pairs and max(e for _, e in pairs) >= n:
                notes.append("%s: last boundary frame %d beyond %d frames" %
                             (vid, max(e for _, e in pairs), n))
        items.append(item)
    return items, notes


# --- dev (our engine) ---------------------------------------------------------------------

def run_cmd(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def engine_setup(ctx):
    """Decide analyze --save-landmarks vs the pose fallback, and compute the engine id."""
    b = ctx.bin
    h = run_cmd([b, "analyze", "--help"], timeout=60)
    helptext = (h.stdout + h.stderr).decode("utf-8", "replace")
    ctx.save_landmarks = "--save-landmarks" in helptext
    if not ctx.save_landmarks:
        warn("%s analyze has no --save-landmarks yet: falling back to `%s pose VIDEO --json`"
             % (b, b))
    basis = None
    bdir = os.path.dirname(os.path.realpath(b))
    top = run_cmd(["git", "-C", bdir, "rev-parse", "--show-toplevel"])
    if top.returncode == 0:
        repo = top.stdout.decode().strip()
        paths = ["src/pose", "src/video", "src/pipeline"]
        st = run_cmd(["git", "--no-optional-locks", "-C", repo, "status", "--porcelain", "--"]
                     + paths)
        rp = run_cmd(["git", "-C", repo, "rev-parse"] + ["HEAD:" + p for p in paths])
        if st.returncode == 0 and not st.stdout.strip() and rp.returncode == 0:
            basis = "git\n" + rp.stdout.decode()
            ctx.engine_basis = "git trees of src/pose, src/video, src/pipeline in " + repo
        elif st.stdout.strip():
            ctx.engine_basis = "binary sha256 (src/pose, src/video or src/pipeline modified)"
    if basis is None:
        basis = "bin\n" + posefmt.sha256_file(b) + "\n"
        if not getattr(ctx, "engine_basis", None):
            ctx.engine_basis = "binary sha256 (not a clean git checkout)"
    basis += "model=%s\n" % ctx.model
    if not ctx.save_landmarks:
        basis += "mode=pose-fallback\n"
    ctx.engine_id = hashlib.sha256(basis.encode()).hexdigest()
    ctx.engine_cache = os.path.join(ctx.cache_root, ctx.engine_id)
    os.makedirs(ctx.engine_cache, exist_ok=True)


def engine_run(ctx, video, sha):
    """Return (cached pose path or None, error or None, seconds, from_cache)."""
    base = os.path.join(ctx.engine_cache, sha)
    pose_p, err_p = base + ".pose.json", base + ".error.json"
    if os.path.exists(pose_p):
        return pose_p, None, 0.0, True
    if os.path.exists(err_p):
        with open(err_p, encoding="utf-8") as f:
            return None, json.load(f)["error"], 0.0, True
    tmp = "%s.tmp%d.%d" % (base, os.getpid(), threading.get_ident())
    t0 = time.monotonic()
    try:
        if ctx.save_landmarks:
            cmd = [ctx.bin, "analyze", video, "--save-landmarks", tmp, "--json",
                   "--model", ctx.model]
            p = run_cmd(cmd, timeout=ctx.timeout)
            out_ok = os.path.exists(tmp)
        else:
            cmd = [ctx.bin, "pose", video, "--json", "--model", ctx.model]
            with open(tmp, "wb") as f:
                p = subprocess.run(cmd, stdout=f, stderr=subprocess.PIPE, timeout=ctx.timeout)
            out_ok = True
    except subprocess.TimeoutExpired:
        if os.path.exists(tmp):
            os.remove(tmp)
        return None, "timeout after %d s" % ctx.timeout, time.monotonic() - t0, False
    dt = time.monotonic() - t0
    stderr = p.stderr.decode("utf-8", "replace").strip().splitlines()
    if p.returncode != 0 or not out_ok:
        if os.path.exists(tmp):
            os.remove(tmp)
        err = "exit %d: %s" % (p.returncode, stderr[-1] if stderr else "")
        err = err.replace(os.path.join(ctx.shared, ""), "")  # machine-independent
        if p.returncode in (CODE_NO_PERSON, CODE_BAD_INPUT):  # decided by the input: cache it
            posefmt.write_text_atomic(err_p, json.dumps({"rc": p.returncode, "error": err}) + "\n")
        return None, err, dt, False
    if ctx.save_landmarks:
        posefmt.write_text_atomic(base + ".report.json", p.stdout.decode("utf-8", "replace"))
    os.replace(tmp, pose_p)
    return pose_p, None, dt, False


def _point(p):
    if p is None:
        return None
    if isinstance(p, dict):
        v = [p["x"], p["y"]]
        if "z" in p:
            v.append(p["z"])
            if "visibility" in p:
                v.append(p["visibility"])
        return [float(x) for x in v]
    return [float(x) for x in p[:4]]


_TPL4 = posefmt.points_template([True] * posefmt.NUM_LANDMARKS, 4)
_KEYS4 = ("x", "y", "z", "visibility")


def _points(lms):
    """33 landmarks as [x, y, z, visibility] arrays (objects or arrays in; presence dropped)."""
    if (len(lms) == posefmt.NUM_LANDMARKS
            and all(isinstance(p, dict) and len(p) >= 4 and "visibility" in p for p in lms)):
        return posefmt.points_json(_TPL4, [p[k] for p in lms for k in _KEYS4])  # fast path
    return [_point(p) for p in lms]


def normalise_engine(path, rel_video, fps, engine_id):
    """The engine's pose/1 output (object or array landmarks) in the canonical array form."""
    with open(path, encoding="utf-8") as f:
        d = json.load(f)
    if d.get("schema") != posefmt.SCHEMA:
        raise ValueError("%s: schema %r" % (path, d.get("schema")))
    frames = []
    for fr in d.get("frames", []):
        if fr.get("pose") is False or not fr.get("landmarks"):
            frames.append(posefmt.frame(fr["t_ms"]))
            continue
        lm = _points(fr["landmarks"])
        wl = _points(fr["world_landmarks"]) if fr.get("world_landmarks") else None
        frames.append(posefmt.frame(fr["t_ms"], lm, wl, label=fr.get("label"),
                                    score=fr.get("score")))
    return posefmt.make_doc(rel_video, frames, width=d.get("width"), height=d.get("height"),
                            fps=d.get("fps") or fps, model=d.get("model"),
                            engine_id=engine_id[:16])


def build_dev(ctx):
    if not os.path.exists(ctx.bin):
        warn("dev: engine binary %s not found (build it with `make`, or pass --bin)" % ctx.bin)
        return None
    clips = load_clips(ctx)
    if not clips:
        return None
    engine_setup(ctx)
    log("dev: engine %s, id %s (%s), cache %s" % (
        "analyze --save-landmarks" if ctx.save_landmarks else "pose --json (fallback)",
        ctx.engine_id[:16], ctx.engine_basis, ctx.engine_cache))
    clean_set_dir(ctx, "dev")
    notes = []
    jobs = []
    seen = set()
    for c in clips:
        it = clip_item(c, "dev")
        if it["id"] in seen:
            raise SystemExit("dev: duplicate clip id %s" % it["id"])
        seen.add(it["id"])
        jobs.append((c, it))
    jobs.sort(key=lambda j: j[1]["id"])

    def work(job):
        c, it = job
        video = os.path.join(ctx.shared, "media", c["file"])
        if not os.path.exists(video):
            it["error"] = "video %s is absent" % it["video"]
            return it, 0.0, False
        sha = posefmt.sha256_file(video)
        it["sha256"] = sha
        if c.get("sha256") and c["sha256"] != sha:
            notes.append("%s: sha256 differs from %s" % (it["id"], c["_list"]))
        pose_p, err, dt, cached = engine_run(ctx, video, sha)
        if err:
            it["error"] = err
            return it, dt, cached
        doc = normalise_engine(pose_p, it["video"], c.get("fps"), ctx.engine_id)
        rel = "dev/%s.pose.json" % it["id"]
        write_doc(ctx, rel, doc)
        it["landmarks"] = rel
        it["frames"], it["frames_with_pose"] = pose_stats(doc)
        if c.get("frames") and it["frames"] != c["frames"]:
            notes.append("%s: engine gave %d frames, %s says %d" % (
                it["id"], it["frames"], c["_list"], c["frames"]))
        return it, dt, cached

    items = []
    done = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=ctx.jobs) as ex:
        for it, dt, cached in ex.map(work, jobs):
            done += 1
            status = it.get("error") or ("%d frames, %d with pose" % (
                it.get("frames", 0), it.get("frames_with_pose", 0)))
            log("dev: [%2d/%d] %-60s %s %s" % (done, len(jobs), it["id"],
                                               "cached" if cached else "%5.1f s" % dt, status))
            it["engine_id"] = ctx.engine_id[:16]
            items.append(it)
    for it in items:
        if it.get("error"):
            notes.append("%s: %s" % (it["id"], it["error"]))
    return items, sorted(notes)


# --- dev-mediapipe ------------------------------------------------------------------------

def build_dev_mediapipe(ctx):
    p = os.path.join(ctx.shared, "media", "ground_truth.json")
    if not os.path.exists(p):
        warn("dev-mediapipe: %s is absent" % p)
        return None
    clips = [c for c in load_clips(ctx) if c["_list"] == "ground_truth.json"]
    refdir = mediapipe_ref_to_pose.default_dir(ctx.shared)
    clean_set_dir(ctx, "dev-mediapipe")
    items, notes = [], []
    for c in sorted(clips, key=clip_id):
        it = clip_item(c, "dev-mediapipe")
        ref = os.path.join(refdir, it["id"] + mediapipe_ref_to_pose.SUFFIX)
        if not os.path.exists(ref):
            it["error"] = "no MediaPipe reference %s" % posefmt.rel_origin(ref, ctx.shared)
            notes.append("%s: %s" % (it["id"], it["error"]))
        else:
            doc = mediapipe_ref_to_pose.convert(ref, ctx.shared)
            rel = "dev-mediapipe/%s.pose.json" % it["id"]
            write_doc(ctx, rel, doc)
            it["landmarks"] = rel
            it["frames"], it["frames_with_pose"] = pose_stats(doc)
            if c.get("frames") and it["frames"] != c["frames"]:
                notes.append("%s: reference has %d frames, ground_truth.json says %d" % (
                    it["id"], it["frames"], c["frames"]))
        items.append(it)
    return items, notes


# --- frames -------------------------------------------------------------------------------

def label_counts(doc):
    return dict(sorted(collections.Counter(f.get("label") for f in doc["frames"]
                                           if f.get("label") is not None).items()))


def build_frames(ctx):
    items, notes = [], []
    ml = mlkit_to_pose.default_file(ctx.shared)
    for sub in ("mlkit", "exercise-correction"):
        clean_set_dir(ctx, sub)
    if os.path.exists(ml):
        doc = mlkit_to_pose.convert(ml, ctx.shared)
        rel = "mlkit/fitness_pose_samples.pose.json"
        write_doc(ctx, rel, doc)
        lc = label_counts(doc)
        items.append({"source": "mlkit", "file": rel, "labels": list(lc), "label_counts": lc,
                      "frames": len(doc["frames"]), "exercises": ["push_up", "squat"],
                      "task": "phase", "split": None, "label_meaning": MLKIT_LABELS,
                      "licence": "Apache-2.0", "use": "train+eval",
                      "origin": posefmt.rel_origin(ml, ctx.shared)})
    else:
        warn("frames: %s is absent" % ml)
    root = exercise_correction_to_pose.default_dir(ctx.shared)
    if os.path.isdir(root):
        for p in exercise_correction_to_pose.list_inputs(root):
            model = os.path.basename(os.path.dirname(p))
            key = exercise_correction_to_pose.label_key(p)
            doc = exercise_correction_to_pose.convert(p, ctx.shared)
            rel = "exercise-correction/" + exercise_correction_to_pose.out_name(p)
            write_doc(ctx, rel, doc)
            lc = label_counts(doc)
            stem = os.path.splitext(os.path.basename(p))[0]
            first = json.loads(doc["frames"][0]["landmarks"])
            present = [posefmt.LANDMARK_NAMES[i] for i, v in enumerate(first) if v is not None]
            items.append({
                "source": "exercise-correction/" + model, "file": rel, "labels": list(lc),
                "label_counts": lc, "frames": len(doc["frames"]),
                "exercises": [exercise_correction_to_pose.EXERCISE[model]],
                "task": EC_TASK[key], "split": stem.split(".")[-1],
                "label_meaning": exercise_correction_to_pose.LABEL_MEANING[key],
                "joints": present, "licence": "MIT", "use": "train+eval",
                "origin": posefmt.rel_origin(p, ctx.shared)})
        skipped = sorted(posefmt.rel_origin(p, ctx.shared)
                         for p in glob.glob(os.path.join(root, "*", "*.csv"))
                         if not exercise_correction_to_pose.is_landmark_csv(p))
        notes.append("exercise-correction: not landmark CSVs, left for training scripts: "
                     + ", ".join(os.path.relpath(s, "datasets/exercise-correction")
                                 for s in skipped))
    else:
        warn("frames: %s is absent" % root)
    if not items:
        return None
    return items, notes


# --- manifests and summary ----------------------------------------------------------------

def write_manifest(path, schema, items, extra=None):
    head = {"schema": schema}
    head.update(extra or {})
    lines = [posefmt.encode_compact(head)[:-1] + ',"items":[']
    for i, it in enumerate(items):
        lines.append(posefmt.encode_compact(it) + ("," if i + 1 < len(items) else ""))
    lines.append("]}")
    posefmt.write_text_atomic(path, "\n".join(lines) + "\n")


def load_manifest(path, schema):
    try:
        with open(path, encoding="utf-8") as f:
            d = json.load(f)
        if d.get("schema") == schema:
            return d.get("items", [])
    except (OSError, ValueError):
        pass
    return []


def sort_items(items):
    order = {s: i for i, s in enumerate(MANIFEST_SETS)}
    return sorted(items, key=lambda it: (order.get(it["set"], 99), it["id"]))


def print_summary(items, frame_items, times, total):
    print()
    print("corpus summary")
    hdr = "%-14s %-42s %6s %8s %8s %6s %5s" % ("set", "source", "items", "frames", "no-pose",
                                                "reps", "errors")
    print(hdr)
    print("-" * len(hdr))
    by = collections.OrderedDict()
    for it in items:
        by.setdefault((it["set"], it["source"]), []).append(it)
    sets = collections.OrderedDict()
    for (s, src), its in sorted(by.items(), key=lambda kv: (MANIFEST_SETS.index(kv[0][0]),
                                                            kv[0][1].lower())):
        fr = sum(it.get("frames", 0) for it in its)
        wp = sum(it.get("frames_with_pose", 0) for it in its)
        reps = sum(it.get("reps") or 0 for it in its)
        err = sum(1 for it in its if it.get("error"))
        print("%-14s %-42s %6d %8d %8d %6d %5d" % (s, src, len(its), fr, fr - wp, reps, err))
        a = sets.setdefault(s, [0, 0, 0, 0, 0])
        for k, v in enumerate((len(its), fr, fr - wp, reps, err)):
            a[k] += v
    print("-" * len(hdr))
    for s, a in sets.items():
        print("%-14s %-42s %6d %8d %8d %6d %5d" % (s, "(all)", *a))
    print()
    print("items per exercise")
    print("%-14s" % "set" + "".join("%8s" % e[:7] for e in EXERCISES) + "%8s" % "total")
    for s in sets:
        cnt = collections.Counter(it["exercise"] for it in items if it["set"] == s)
        print("%-14s" % s + "".join("%8d" % cnt.get(e, 0) for e in EXERCISES)
              + "%8d" % sum(cnt.values()))
    if frame_items:
        print()
        print("frame sets")
        print("%-32s %-14s %-6s %-5s %7s  %s" % ("source", "exercises", "task", "split",
                                                 "frames", "labels"))
        for it in frame_items:
            print("%-32s %-14s %-6s %-5s %7d  %s" % (
                it["source"], ",".join(it["exercises"]), it["task"], it["split"] or "-",
                it["frames"],
                " ".join("%s:%d" % kv for kv in it["label_counts"].items())))
    print()
    print("time: " + ", ".join("%s %.1f s" % kv for kv in times.items())
          + "; total %.1f s" % total)


def dir_size(d):
    n = 0
    for root, _, files in os.walk(d):
        for f in files:
            n += os.path.getsize(os.path.join(root, f))
    return n


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Build the evaluation corpus (landmark files + manifest.json + frames.json) "
                    "from ../shared, in place.",
        epilog="Licences: RepCount-A has none (evaluation only, never fit shipped parameters on "
               "it); dev clips are third-party footage (evaluation only); Exercise-Correction "
               "(MIT) and ML Kit samples (Apache-2.0) may be used for training. See "
               "tools/README.md.")
    ap.add_argument("--out", default=os.path.join(posefmt.REPO_ROOT, "build", "eval-corpus"),
                    help="output folder (default: build/eval-corpus)")
    ap.add_argument("--only", action="append", choices=SETS,
                    help="build only this set (repeatable; default: all)")
    ap.add_argument("--bin", default=os.path.join(posefmt.REPO_ROOT, "build", "repright"),
                    help="repright binary for the dev set (default: build/repright)")
    ap.add_argument("--jobs", type=int, default=2, help="clips run in parallel (default 2)")
    ap.add_argument("--model", default="full", choices=("lite", "full", "heavy"),
                    help="landmark model for the dev set (default full)")
    ap.add_argument("--timeout", type=int, default=3600, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.jobs < 1:
        ap.error("--jobs must be at least 1")

    ctx = Ctx()
    ctx.shared = posefmt.shared_dir()
    if not os.path.isdir(ctx.shared):
        posefmt.skip("shared data folder %s is absent (set RR_SHARED_DIR)" % ctx.shared)
    ctx.out = os.path.abspath(args.out)
    ctx.bin = args.bin
    ctx.jobs = args.jobs
    ctx.model = args.model
    ctx.timeout = args.timeout
    cache_home = os.environ.get("XDG_CACHE_HOME") or os.path.join(
        os.environ.get("HOME", "/root"), ".cache")
    ctx.cache_root = os.path.join(cache_home, "repright", "eval-landmarks")
    want = [s for s in SETS if s in (args.only or SETS)]
    os.makedirs(ctx.out, exist_ok=True)

    builders = {"repcount": build_repcount, "dev": build_dev,
                "dev-mediapipe": build_dev_mediapipe, "frames": build_frames}
    t_all = time.monotonic()
    times = collections.OrderedDict()
    built, notes, failed = {}, [], []
    for s in want:
        t0 = time.monotonic()
        log("building %s ..." % s)
        res = builders[s](ctx)
        times[s] = time.monotonic() - t0
        if res is None:
            failed.append(s)
            continue
        built[s], n = res
        notes += ["%s: %s" % (s, x) for x in n]

    mpath = os.path.join(ctx.out, "manifest.json")
    items = [it for it in load_manifest(mpath, "repright.corpus/1") if it.get("set") not in built]
    for s in MANIFEST_SETS:
        items += built.get(s, [])
    items = sort_items(items)
    write_manifest(mpath, "repright.corpus/1", items)
    fpath = os.path.join(ctx.out, "frames.json")
    frame_items = built.get("frames")
    if frame_items is not None:
        write_manifest(fpath, "repright.frames/1", frame_items)
    elif os.path.exists(fpath):
        frame_items = load_manifest(fpath, "repright.frames/1")

    total = time.monotonic() - t_all
    print_summary(items, frame_items, times, total)
    if notes:
        print()
        print("notes")
        for x in notes:
            print("  " + x)
    print()
    print("corpus: %s (%.1f MB on disk); manifest %s" % (
        ctx.out, dir_size(ctx.out) / 1e6, mpath))
    explicit = set(args.only or ())
    if any(s in explicit for s in failed):
        print("error: could not build %s" % ", ".join(s for s in failed if s in explicit))
        return 1
    if failed:
        print("warning: skipped %s" % ", ".join(failed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
