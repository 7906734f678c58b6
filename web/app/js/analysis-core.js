// analysis-core.js - RepRight's C analysis core (src/analysis), compiled to WebAssembly
// (web/wasm/, docs/internals/wasm.md), behind a small JavaScript API. The live page counts reps
// and judges form with the same code as `repright analyze`, not a JavaScript re-implementation.
//
//   const core = await loadAnalysisCore({ wasmUrl, wasmBinary, moduleUrl })
//   core.exercises                         registry names ['squat', 'push_up', ...]
//   const live = core.newLiveSession({ exercise, width, height })
//                                          exercise: name or null (recognise); width/height: the
//                                          camera image size in pixels (landmark x/y are
//                                          normalised to it; angles need the aspect ratio)
//   live.push(tMs, image, world, size?)    image/world: 33 x {x,y,z,visibility} or null (no pose);
//                                          size: {width, height} when it changes
//     -> { newReps: [Rep], reps, exercise, phase, frames }
//   live.report() -> Report                the whole session so far: equal to the batch analysis
//   live.free()
//   core.analyze(frames, { exercise, width, height }) -> Report
//                                          frames: [{tMs, image, world, width?, height?}]
//
// Report and Rep objects carry the fields of docs/report-schema.md (repright.report/2) with
// these additions on each Rep, for the live page: t_start / t_end (= t_start_s / t_end_s,
// seconds), cue (the first fault's cue, or null), fault_names (the schema's `faults` list of
// names), and `faults` given as objects {name, cue, severity, value, threshold} (one per check
// whose outcome is "fault", in check order).
// Works in browsers (ES2020) and in Node >= 18 (pass wasmBinary, and moduleUrl as a file:// URL
// or an absolute path). Errors are thrown as Error with the core's message.

const isNode = typeof process !== 'undefined' && !!(process.versions && process.versions.node);

function moduleSpecifier(url) {
  if (isNode && url.startsWith('/')) return 'file://' + encodeURI(url);
  return url;
}

function decorateRep(rep) {
  const names = rep.faults || [];
  const faults = (rep.checks || []).filter((c) => c.outcome === 'fault').map((c) => ({
    name: c.name, cue: c.cue, severity: c.severity, value: c.value, threshold: c.threshold,
  }));
  return {
    ...rep,
    t_start: rep.t_start_s,
    t_end: rep.t_end_s,
    fault_names: names,
    faults,
    cue: faults.length > 0 ? faults[0].cue : null,
  };
}

function decorateReport(r) {
  return { ...r, reps: (r.reps || []).map(decorateRep) };
}

export async function loadAnalysisCore({ wasmUrl = '/wasm/rr_analysis.wasm', wasmBinary, moduleUrl } = {}) {
  const jsUrl = moduleUrl || wasmUrl.replace(/\.wasm$/, '.js');
  const { default: factory } = await import(moduleSpecifier(jsUrl));
  const opts = { locateFile: (p) => (p.endsWith('.wasm') ? wasmUrl : p) };
  if (wasmBinary) opts.wasmBinary = wasmBinary;
  const M = await factory(opts);

  const FLOATS = M._rr_wasm_frame_floats();
  const LM = 33;
  const text = (ptr, what) => {
    if (!ptr) throw new Error(`analysis core: ${M.UTF8ToString(M._rr_wasm_last_error()) || what}`);
    return M.UTF8ToString(ptr);
  };
  const withCString = (s, fn) => {
    if (s === null || s === undefined || s === '') return fn(0);
    const n = M.lengthBytesUTF8(String(s)) + 1;
    const p = M._malloc(n);
    if (!p) throw new Error('analysis core: out of memory');
    try {
      M.stringToUTF8(String(s), p, n);
      return fn(p);
    } finally {
      M._free(p);
    }
  };
  const exercises = JSON.parse(text(M._rr_wasm_exercises(), 'exercises'));

  // One frame into the heap at float index `at` (see web/wasm/rr_wasm.c for the layout).
  function writeFrame(at, tMs, image, world, width, height) {
    const H = M.HEAPF32; // re-read: memory may have grown
    const t = Number(tMs);
    if (!Number.isFinite(t)) throw new Error('analysis core: frame time is not a number');
    const whole = Math.floor(t);
    H[at] = whole;
    H[at + 1] = t - whole;
    const hasPose = !!(image && world && image.length >= LM && world.length >= LM);
    H[at + 2] = hasPose ? 1 : 0;
    H[at + 3] = width || 0;
    H[at + 4] = height || 0;
    if (!hasPose) return;
    let o = at + 5;
    for (const lms of [image, world]) {
      for (let k = 0; k < LM; k++) {
        const p = lms[k];
        H[o++] = p.x; H[o++] = p.y; H[o++] = p.z || 0; H[o++] = p.visibility ?? 0;
      }
    }
  }

  function newLiveSession({ exercise = null, width = 0, height = 0 } = {}) {
    const handle = withCString(exercise, (p) => M._rr_wasm_live_new(p));
    if (!handle) text(0, 'new live session');
    const buf = M._malloc(FLOATS * 4);
    if (!buf) { M._rr_wasm_live_free(handle); throw new Error('analysis core: out of memory'); }
    let size = { width, height };
    let alive = true;
    const check = () => { if (!alive) throw new Error('analysis core: live session was freed'); };
    return {
      push(tMs, image, world, newSize) {
        check();
        if (newSize) size = { width: newSize.width, height: newSize.height };
        writeFrame(buf >> 2, tMs, image, world, size.width, size.height);
        const st = JSON.parse(text(M._rr_wasm_live_push(handle, buf), 'push'));
        return { newReps: st.new_reps.map(decorateRep), reps: st.reps, exercise: st.exercise,
          phase: st.phase, frames: st.frames };
      },
      report() {
        check();
        return decorateReport(JSON.parse(text(M._rr_wasm_live_report(handle), 'report')));
      },
      free() {
        if (!alive) return;
        alive = false;
        M._rr_wasm_live_free(handle);
        M._free(buf);
      },
    };
  }

  function analyze(frames, { exercise = null, width = 0, height = 0 } = {}) {
    const n = frames.length;
    const buf = M._malloc(Math.max(1, n) * FLOATS * 4);
    if (!buf) throw new Error('analysis core: out of memory (too many frames?)');
    try {
      for (let i = 0; i < n; i++) {
        const f = frames[i];
        writeFrame((buf >> 2) + i * FLOATS, f.tMs, f.image, f.world, f.width || width, f.height || height);
      }
      const out = withCString(exercise, (p) => M._rr_wasm_analyze(buf, n, p));
      return decorateReport(JSON.parse(text(out, 'analyze')));
    } finally {
      M._free(buf);
    }
  }

  return { exercises, newLiveSession, analyze };
}
