// test_live_low_rate.mjs - the live coach's analysis core (the WebAssembly build the page runs,
// build/web/wasm) fed a real clip's landmarks as a phone's camera delivers them to it: 5-8
// frames/s at irregular steps (0.8-1.2 of 1/fps). Issue 14, item 4: a side-on barbell squat
// (the plates hide the hips; tests/fixtures/analysis/squat_side_barbell_behind_plates.json)
// lost reps at these rates (its identity was split); every sampling must now give the reps and
// verdicts of the full-rate series. The native test is tests/unit/analysis/test_live.c.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, ENV } from '../browser/lib/harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const FIXTURE = path.join(here, '..', 'fixtures', 'analysis', 'squat_side_barbell_behind_plates.json');

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

await run('web/test_live_low_rate', async () => {
  const wasmDir = path.join(ENV.webDir, 'wasm');
  const wasmPath = path.join(wasmDir, 'rr_analysis.wasm');
  assert(ENV.webDir && fs.existsSync(wasmPath), `no WebAssembly core in ${wasmDir} (is the web app built?)`);
  const { loadAnalysisCore } = await import(path.join(ENV.webDir, 'js', 'analysis-core.js'));
  const core = await loadAnalysisCore({ wasmUrl: wasmPath, wasmBinary: fs.readFileSync(wasmPath) });
  const d = JSON.parse(fs.readFileSync(FIXTURE, 'utf8'));
  const pts = (a) => a && a.map((p) => (p ? { x: p[0], y: p[1], z: p[2], visibility: p[3] } : { x: NaN, y: NaN, z: NaN, visibility: 0 }));
  const frames = d.frames.map((f) => ({ tMs: f.t_ms, image: f.landmarks ? pts(f.landmarks) : null, world: f.world_landmarks ? pts(f.world_landmarks) : null }));
  const verdicts = (rep) => rep.reps.map((r) => r.verdict).join(',');
  const full = core.analyze(frames, { exercise: 'squat', width: d.width, height: d.height });
  assert(full.reps.length === 3, `full rate: ${full.reps.length} reps`);
  let seed = 14;
  const rnd = () => { seed = (seed * 16807) % 2147483647; return seed / 2147483647; };
  const bad = [];
  for (let trial = 0; trial < 40; trial++) {
    const fps = 5 + 3 * rnd();
    const step = 1000 / fps;
    let next = frames[0].tMs + step * rnd();
    const live = core.newLiveSession({ exercise: 'squat', width: d.width, height: d.height });
    for (const f of frames) {
      if (f.tMs < next) continue;
      live.push(f.tMs, f.image, f.world);
      next = f.tMs + step * (0.8 + 0.4 * rnd());
    }
    const got = verdicts(live.report());
    live.free();
    if (got !== verdicts(full)) bad.push(`${fps.toFixed(1)} fps: ${got}`);
  }
  console.log(`${40 - bad.length} of 40 samplings at 5-8 fps give the full-rate reps ${verdicts(full)}`);
  assert(bad.length === 0, `reps or verdicts differ from the full rate: ${bad.join('; ')}`);
});
