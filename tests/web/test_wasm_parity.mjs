// test_wasm_parity.mjs - the WebAssembly analysis core (build/web/wasm, loaded through
// web/app/js/analysis-core.js) against the native one (rr_native_report, the same C code built
// natively) on the same landmark series: every MediaPipe reference dump in
// ../shared/media/reference (recognised exercise, and the labelled exercise when given) and
// synthetic series (synth.h: front squats, side squats with lifted heels, squats with pose
// gaps, a series with no pose at all). Batch AND live (push by push) must give the same
// exercise, rep count, rep frame boundaries, verdicts, confidences, fault names and scores
// (|diff| <= 0.01) as the native batch analysis; live.report() at intermediate prefixes must
// equal the batch analysis of the prefix; the live count (reps counted) ends at the native
// count, reps are announced in order once judged. Records the live per-push cost over a
// 2-minute series.
// FAILS (not skips) when the WASM build or the native tool is missing: emcc is a build
// dependency. Reference clips are skipped (SKIP line, exit 77 after the synthetic series pass)
// when ../shared is absent.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ENV, run, sharedDir, recordMeasurement, skipPart } from '../browser/lib/harness.mjs';

const TOL = 0.01;

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

// Load a series the way tests/unit/analysis/series_load.h does (MediaPipe dump or repright.pose/1).
function loadSeries(file) {
  const root = JSON.parse(fs.readFileSync(file, 'utf8'));
  const objs = (a) => a.map((p) => ({ x: p.x, y: p.y, z: p.z, visibility: p.visibility }));
  const arrs = (a) => a.map((p) => ({ x: p[0], y: p[1], z: p[2], visibility: p[3] }));
  if (typeof root.schema === 'string') {
    return root.frames.map((f) => {
      const ok = f.pose !== false && Array.isArray(f.landmarks) && Array.isArray(f.world_landmarks);
      return { tMs: f.t_ms, width: f.width ?? root.width, height: f.height ?? root.height,
        image: ok ? arrs(f.landmarks) : null, world: ok ? arrs(f.world_landmarks) : null };
    });
  }
  return root.frames.map((f) => {
    const ok = f.detected === true && Array.isArray(f.landmarks) && Array.isArray(f.worldLandmarks);
    return { tMs: f.t_ms, width: f.width, height: f.height,
      image: ok ? objs(f.landmarks) : null, world: ok ? objs(f.worldLandmarks) : null };
  });
}

function native(file, exercise) {
  const args = [file];
  if (exercise) args.push(exercise);
  return JSON.parse(execFileSync(process.env.RR_NATIVE_REPORT, args, { encoding: 'utf8', maxBuffer: 64 << 20 }));
}

const near = (a, b) => (a === null && b === null) || (typeof a === 'number' && typeof b === 'number' && Math.abs(a - b) <= TOL);

// Throws on the first difference that matters; `what` names the comparison.
function compare(what, nat, w) {
  const d = (m) => { throw new Error(`${what}: ${m}`); };
  if (nat.exercise !== w.exercise) d(`exercise native ${nat.exercise} wasm ${w.exercise}`);
  if (nat.view !== w.view) d(`view native ${nat.view} wasm ${w.view}`);
  if (!near(nat.confidence, w.confidence)) d(`confidence ${nat.confidence} vs ${w.confidence}`);
  if (nat.frames.total !== w.frames.total || nat.frames.used !== w.frames.used) d('frame counts differ');
  if (nat.reps.length !== w.reps.length) d(`reps native ${nat.reps.length} wasm ${w.reps.length}`);
  for (const k of ['reps', 'good', 'bad', 'cannot_judge', 'top_fault']) {
    if (nat.set[k] !== w.set[k]) d(`set.${k} native ${nat.set[k]} wasm ${w.set[k]}`);
  }
  if (!near(nat.set.mean_score, w.set.mean_score)) d(`set.mean_score ${nat.set.mean_score} vs ${w.set.mean_score}`);
  nat.reps.forEach((a, i) => {
    const b = w.reps[i];
    for (const k of ['index', 'frame_start', 'frame_turn', 'frame_end', 'verdict']) {
      if (a[k] !== b[k]) d(`rep ${i + 1} ${k} native ${a[k]} wasm ${b[k]}`);
    }
    if (!near(a.score, b.score)) d(`rep ${i + 1} score native ${a.score} wasm ${b.score}`);
    if (!near(a.confidence, b.confidence)) d(`rep ${i + 1} confidence native ${a.confidence} wasm ${b.confidence}`);
    if (a.cannot_judge_reason !== b.cannot_judge_reason) d(`rep ${i + 1} cannot_judge_reason differs`);
    const fb = b.fault_names || b.faults;
    if (JSON.stringify(a.faults) !== JSON.stringify(fb)) d(`rep ${i + 1} faults native ${a.faults} wasm ${fb}`);
    if (a.checks.length !== b.checks.length) d(`rep ${i + 1} check count differs`);
    a.checks.forEach((c, j) => {
      const e = b.checks[j];
      if (c.name !== e.name || c.outcome !== e.outcome) d(`rep ${i + 1} check ${c.name}: ${c.outcome} vs ${e.name} ${e.outcome}`);
    });
  });
  if (nat.is_hold !== w.is_hold) d('is_hold differs');
  if (nat.people !== w.people || nat.athlete !== w.athlete) d('people or athlete differ');
  if (!near(nat.camera.roll_deg, w.camera.roll_deg)) d(`camera roll ${nat.camera.roll_deg} vs ${w.camera.roll_deg}`);
  if (nat.partial_reps.length !== w.partial_reps.length) d(`partial reps native ${nat.partial_reps.length} wasm ${w.partial_reps.length}`);
  nat.partial_reps.forEach((a, i) => {
    const b = w.partial_reps[i];
    if (a.frame_start !== b.frame_start || a.frame_turn !== b.frame_turn || !near(a.reached, b.reached)) d(`partial rep ${i + 1} differs`);
  });
  if (nat.hold) {
    if (!near(nat.hold.hold_s, w.hold.hold_s) || !near(nat.hold.mean_score, w.hold.mean_score)) d('hold differs');
    if (nat.hold.windows.length !== w.hold.windows.length) d('hold window count differs');
    nat.hold.windows.forEach((x, i) => {
      if (x.verdict !== w.hold.windows[i].verdict || x.fault !== w.hold.windows[i].fault) d(`hold window ${i} differs`);
    });
  }
}

// Push a series frame by frame; returns the announced reps, the final report and the cost.
function pushAll(core, frames, exercise, { prefixes = [] } = {}) {
  const live = core.newLiveSession({ exercise });
  let announced = [];
  let announcedEx = null;
  let counted = 0;
  const times = [];
  const prefixReports = [];
  try {
    frames.forEach((f, i) => {
      const t0 = performance.now();
      const st = live.push(f.tMs, f.image, f.world, { width: f.width, height: f.height });
      times.push(performance.now() - t0);
      assert(st.frames === i + 1, `push ${i}: frames ${st.frames}`);
      assert(['unknown', 'out', 'back'].includes(st.phase), `push ${i}: phase ${st.phase}`);
      // reps are announced per exercise: a newly recognised exercise starts from its first rep
      if (st.exercise && st.exercise !== announcedEx) { announcedEx = st.exercise; announced = []; }
      for (const r of st.newReps) announced.push(r.index);
      assert(announced.length <= st.reps, `push ${i}: ${announced.length} announced, ${st.reps} counted`);
      counted = st.reps;
      if (prefixes.includes(i + 1)) prefixReports.push([i + 1, live.report()]);
    });
    return { announced, counted, report: live.report(), times, prefixReports };
  } finally {
    live.free();
  }
}

await run('wasm_parity', async () => {
  const wasmDir = path.join(ENV.webDir, 'wasm');
  const wasmPath = path.join(wasmDir, 'rr_analysis.wasm');
  assert(ENV.webDir && fs.existsSync(wasmPath) && fs.existsSync(path.join(wasmDir, 'rr_analysis.js')),
    `the WASM analysis core is not built (${wasmPath}); emscripten (emcc) is a build dependency: run scripts/setup.sh and rebuild`);
  assert(process.env.RR_NATIVE_REPORT && fs.existsSync(process.env.RR_NATIVE_REPORT), 'RR_NATIVE_REPORT (rr_native_report) is not set or missing');
  const { loadAnalysisCore } = await import(path.join(ENV.webDir, 'js', 'analysis-core.js'));
  const core = await loadAnalysisCore({ wasmUrl: wasmPath, wasmBinary: fs.readFileSync(wasmPath) });
  assert(core.exercises.includes('squat') && core.exercises.includes('plank'), `exercises: ${core.exercises}`);
  console.log(`wasm: ${fs.statSync(wasmPath).size} bytes, js glue ${fs.statSync(path.join(wasmDir, 'rr_analysis.js')).size} bytes`);

  // Series: synthetic ones always, MediaPipe reference dumps when ../shared is present.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rr-wasm-parity-'));
  const cases = [];
  for (const kind of ['squat_front', 'squat_side_heels', 'squat_gaps', 'no_pose']) {
    const file = path.join(tmp, `${kind}.json`);
    execFileSync(process.env.RR_NATIVE_REPORT, ['--synth', kind, file]);
    cases.push({ name: `synth:${kind}`, file, exercise: null });
  }
  cases.push({ name: 'synth:squat_front(given)', file: cases[0].file, exercise: 'squat' });
  cases.push({ name: 'synth:no_pose(given)', file: cases[3].file, exercise: 'squat' });
  const shared = sharedDir();
  if (!shared) {
    skipPart(`../shared/media is absent (RR_SHARED_DIR=${ENV.shared || 'unset'}): reference clips not compared, synthetic series only`);
  } else {
    const gt = JSON.parse(fs.readFileSync(path.join(shared, 'media', 'ground_truth.json'), 'utf8'));
    const refDir = path.join(shared, 'media', 'reference');
    for (const f of fs.readdirSync(refDir).filter((x) => x.endsWith('.json')).sort()) {
      const file = path.join(refDir, f);
      cases.push({ name: f.replace(/\.mp1\.json$/, ''), file, exercise: null });
      const label = gt.find((g) => path.basename(g.file, '.mp4') === f.replace(/\.mp1\.json$/, ''));
      if (label && core.exercises.includes(label.exercise)) {
        cases.push({ name: `${f.replace(/\.mp1\.json$/, '')}(given)`, file, exercise: label.exercise });
      }
    }
    assert(cases.length > 16, `expected the reference clips, found ${cases.length - 6}`);
  }

  const rows = [];
  let noPoseChecked = false;
  for (const c of cases) {
    const frames = loadSeries(c.file);
    const nat = native(c.file, c.exercise);
    const batch = core.analyze(frames, { exercise: c.exercise });
    compare(`${c.name} batch`, nat, batch);
    const mid = Math.max(1, Math.floor(frames.length / 2));
    const live = pushAll(core, frames, c.exercise, { prefixes: [1, mid] });
    compare(`${c.name} live`, nat, live.report);
    // The invariant at intermediate points: live.report() == batch analysis of the prefix.
    for (const [k, rep] of live.prefixReports) {
      const b = core.analyze(frames.slice(0, k), { exercise: c.exercise });
      assert(JSON.stringify(rep) === JSON.stringify(b), `${c.name}: live report after ${k} frames differs from the batch analysis of them`);
    }
    // The live count ends at the native count. Reps are announced once each, in order, when
    // judged: the last one may still wait for its movement to end when the series stops (the
    // final report closes it).
    assert(live.announced.every((x, i) => x === i + 1), `${c.name}: announced ${live.announced}`);
    assert(live.counted === nat.reps.length,
      `${c.name}: counted ${live.counted} reps live, native batch ${nat.reps.length}`);
    assert(live.announced.length <= nat.reps.length && live.announced.length + 1 >= nat.reps.length,
      `${c.name}: announced ${live.announced.length} reps live, native batch ${nat.reps.length}`);
    if (c.name.startsWith('synth:no_pose')) {
      assert(nat.reps.length === 0 && nat.frames.used === 0 && live.announced.length === 0, 'no-pose series gave reps');
      noPoseChecked = true;
    }
    rows.push({ clip: c.name, frames: frames.length, exercise: nat.exercise, native: nat.reps.length,
      wasm: batch.reps.length, live: live.report.reps.length, announced: live.announced.length,
      verdicts: nat.reps.map((r) => r.verdict[0]).join(''), equal: 'yes' });
  }
  assert(noPoseChecked, 'the no-pose series was not checked');
  console.log('clip'.padEnd(44) + 'frames  exercise        native wasm live announced verdicts equal');
  for (const r of rows) {
    console.log(`${r.clip.padEnd(44)}${String(r.frames).padStart(6)}  ${String(r.exercise).padEnd(15)} ${String(r.native).padStart(6)} ${String(r.wasm).padStart(4)} ${String(r.live).padStart(4)} ${String(r.announced).padStart(9)} ${r.verdicts.padEnd(8)} ${r.equal}`);
  }

  // Per-push cost over a 2-minute (30 fps) session, recognised and given exercise.
  const longFile = path.join(tmp, 'long_squat.json');
  execFileSync(process.env.RR_NATIVE_REPORT, ['--synth', 'long_squat', longFile]);
  const long = loadSeries(longFile);
  for (const exercise of [null, 'squat']) {
    const natLong = native(longFile, exercise); // recognised and given differ in confidence
    const res = pushAll(core, long, exercise);
    compare(`long_squat live (${exercise || 'recognised'})`, natLong, res.report);
    const sorted = [...res.times].sort((a, b) => a - b);
    const mean = res.times.reduce((a, b) => a + b, 0) / res.times.length;
    const m = { frames: long.length, exercise: exercise || 'recognised', reps: res.report.reps.length,
      mean_ms: +mean.toFixed(4), p99_ms: +sorted[Math.floor(0.99 * (sorted.length - 1))].toFixed(3),
      max_ms: +sorted[sorted.length - 1].toFixed(3) };
    recordMeasurement('wasm_live_push_cost', m);
    assert(mean < 5, `mean push cost ${mean} ms >= 5 ms`);
  }
  const t0 = performance.now();
  core.analyze(long);
  recordMeasurement('wasm_batch_analyze', { frames: long.length, ms: +(performance.now() - t0).toFixed(2) });
  fs.rmSync(tmp, { recursive: true, force: true });
});
