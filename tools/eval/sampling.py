#!/usr/bin/env python3
"""sampling.py - how much the analysis core's rep verdicts depend on the camera's sampling.

The live coach sees a clip at whatever rate the device keeps (5-15 frames/s on a phone), starting
at an arbitrary instant. This runs rr_eval on the dev set at full rate and at each of the given
rates with several phases (the camera's first tick moved through one frame interval), matches
each low-rate rep to the full-rate rep it overlaps most, and reports per check:
  flips   share of matched (rep, phase) pairs whose outcome (fault or not) differs from full rate
  err     median |low-rate value - full-rate value|, in the check's own unit
  lost    checks of a matched rep measured on one side and not measurable (NaN) on the other
and per rate: flips by how far the full-rate value is from the fault line (in units of the
measure's noise, rr_eval's "~" figure: a fault past 0), reps whose verdict (green / red)
differs from full rate, clips counted differently.

  sampling.py RR_EVAL MANIFEST [--fps 6,8,10] [--phases 8] [--jitter J] [--set dev] [--json OUT]
              [--max-flips PCT]   (exit 1 when more than PCT % of matched reps change verdict
                                   at any rate, or more than 1 % of the checks further than one
                                   noise unit from their fault line at full rate change outcome,
                                   or under 90 % of the full-rate reps find a match)
"""
import argparse
import json
import re
import statistics
import subprocess
import sys

REP = re.compile(r"\[(\d+\.\d+)-(\d+\.\d+) (\w+) #(\d+)((?: [a-z_]+=[-\w.]+~[-\w.]+!?)*)\]")
CHECK = re.compile(r" ([a-z_]+)=([-\w.]+)~([-\w.]+)(!?)")


BANDS = (0.5, 1.0, 2.0, float("inf"))
FRAMES_CAP = 12


def run(rr_eval, manifest, sets, fps=None, phase=None, jitter=0.0):
    cmd = [rr_eval, manifest, "--verbose", "--verbose", "--verbose"]
    for s in sets:
        cmd += ["--set", s]
    if fps:
        cmd += ["--fps", str(fps), "--phase", f"{phase:.4f}"]
        if jitter > 0:
            cmd += ["--jitter", f"{jitter:g}"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    items = {}
    for line in out.splitlines():
        m = re.match(r"\s+(\S+) given:(.*) partial \d+$", line)
        if not m:
            continue
        reps = []
        if m.group(2).count("[") != len(REP.findall(m.group(2))):
            sys.exit(f"sampling.py: cannot read rr_eval's reps: {line[:200]}")
        for r in REP.finditer(m.group(2)):
            checks = {c.group(1): (float(c.group(2)), c.group(4) == "!", float(c.group(3)))
                      for c in CHECK.finditer(r.group(5))}
            reps.append((float(r.group(1)), float(r.group(2)), r.group(3), checks, int(r.group(4))))
        items[m.group(1)] = reps
    return items


def overlap(a, b):
    return max(0.0, min(a[1], b[1]) - max(a[0], b[0]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rr_eval")
    ap.add_argument("manifest")
    ap.add_argument("--fps", default="6,8,10")
    ap.add_argument("--phases", type=int, default=8)
    ap.add_argument("--set", action="append", default=None)
    ap.add_argument("--json")
    ap.add_argument("--max-flips", type=float)
    ap.add_argument("--jitter", type=float, default=0.0,
                    help="each next frame after (1 +- J) intervals (a device whose pace varies)")
    a = ap.parse_args()
    failed = []
    sets = a.set or ["dev"]
    full = run(a.rr_eval, a.manifest, sets)
    if not full or not any(full.values()):
        sys.exit("sampling.py: rr_eval reported no reps at full rate")
    summary = {}
    for fps in [float(x) for x in a.fps.split(",")]:
        per_check = {}
        reps_total = verdict_flips = count_diff = 0
        flipped = {}
        bands = [[0, 0] for _ in BANDS]  # [pairs, flips] by the full-rate distance to the line
        by_frames = {}  # low-rate rep's frames -> [reps, verdict changes, turned can't-judge]
        for k in range(a.phases):
            low = run(a.rr_eval, a.manifest, sets, fps, k / a.phases, a.jitter)
            for item, reps in full.items():
                lreps = low.get(item, [])
                count_diff += len(lreps) != len(reps)
                for fr in reps:
                    best = max(lreps, key=lambda r: overlap(r, fr), default=None)
                    if best is None or overlap(best, fr) <= 0:
                        continue
                    reps_total += 1
                    fb = by_frames.setdefault(min(best[4], FRAMES_CAP), [0, 0, 0])
                    fb[0] += 1
                    fb[1] += (fr[2] == "bad") != (best[2] == "bad")
                    fb[2] += best[2] == "cannot_judge" and fr[2] != "cannot_judge"
                    if (fr[2] == "bad") != (best[2] == "bad"):
                        verdict_flips += 1
                        flipped[item] = flipped.get(item, 0) + 1
                    for name, (v, fault, line) in fr[3].items():
                        if name not in best[3]:
                            continue
                        lv, lfault, _ = best[3][name]
                        pc = per_check.setdefault(name, {"n": 0, "flips": 0, "err": [], "lost": 0})
                        if v != v or lv != lv:  # nan on either side
                            pc["lost"] += (v != v) != (lv != lv)
                            continue
                        pc["n"] += 1
                        pc["flips"] += fault != lfault
                        if line == line:
                            b = next(i for i, e in enumerate(BANDS) if abs(line) < e)
                            bands[b][0] += 1
                            bands[b][1] += fault != lfault
                        pc["err"].append(abs(lv - v))
        print(f"== {fps:g} frames/s, {a.phases} phases: {verdict_flips} of {reps_total} matched reps "
              f"change verdict ({100.0 * verdict_flips / max(1, reps_total):.1f} %), "
              f"{count_diff} of {len(full) * a.phases} clip runs counted differently")
        for item, n in sorted(flipped.items(), key=lambda x: -x[1]):
            print(f"   flips {n:3d}  {item}")
        print("   by the full-rate value's distance to the fault line (noise units): " + ", ".join(
            f"<{e:g}: {f} of {n} flip" for e, (n, f) in zip(BANDS, bands)))
        print("   by the low-rate rep's frames: " + ", ".join(
            f"{k}{'+' if k == FRAMES_CAP else ''}: {v[1]} of {v[0]} change ({v[2]} can't judge)"
            for k, v in sorted(by_frames.items())))
        print(f"   {'check':22s} {'pairs':>6s} {'flips':>6s} {'err (median)':>13s} {'lost':>5s}")
        rows = {}
        for name, pc in sorted(per_check.items()):
            med = statistics.median(pc["err"]) if pc["err"] else float("nan")
            rows[name] = {"pairs": pc["n"], "flips": pc["flips"], "err_median": med, "lost": pc["lost"]}
            print(f"   {name:22s} {pc['n']:6d} {pc['flips']:6d} {med:13.3f} {pc['lost']:5d}")
        far_pairs = sum(n for e, (n, f) in zip(BANDS, bands) if e > 1.0)
        far_flips = sum(f for e, (n, f) in zip(BANDS, bands) if e > 1.0)
        if a.max_flips is not None and 100.0 * verdict_flips > a.max_flips * max(1, reps_total):
            failed.append(f"{fps:g} frames/s: {verdict_flips} of {reps_total} reps change verdict")
        full_reps = sum(len(r) for r in full.values())
        if a.max_flips is not None and reps_total < 0.9 * a.phases * full_reps:
            failed.append(f"{fps:g} frames/s: only {reps_total} of {a.phases * full_reps} reps matched")
        if a.max_flips is not None and 100 * far_flips > max(1, far_pairs):
            failed.append(f"{fps:g} frames/s: {far_flips} of {far_pairs} checks far from the line flip")
        summary[f"{fps:g}"] = {"matched_reps": reps_total, "verdict_flips": verdict_flips,
                               "count_diff_runs": count_diff, "flipped_items": flipped,
                               "checks": rows,
                               "by_frames": {str(k): v for k, v in sorted(by_frames.items())},
                               "bands": [{"below": e, "pairs": n, "flips": f}
                                         for e, (n, f) in zip(BANDS, bands)]}
    if a.json:
        with open(a.json, "w") as f:
            json.dump(summary, f, indent=1)
    for f in failed:
        print(f"FAIL: {f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
