// live-set.js - one live set as data: the reps the analysis core reported, the set summary and
// the record kept in IndexedDB / sent to POST /v1/sync. Pure functions, no DOM (tested in Node).
//
// Owner: live page. Errors: buildSession() throws a plain Error when the exercise is unknown
// (a set whose exercise was never recognised cannot be synced). Thread-safety: stateless.
//
// The exercise names are the analysis registry's: the live page passes the list the analysis
// core reports (core.exercises, the same registry the server checks POST /v1/sync against), so
// no copy of the list is kept here.
//
// The sync body follows src/api/workouts.c (SyncRequest): client_id (1..64 chars), started_at
// (RFC 3339), session_id (the page's training session: its sets of one exercise are one
// workout), exercise (registry name), duration_ms, load_kg (0..1000), hold_ms, score (0..100),
// reps (<= 1000) of {t_start, t_end (s, 0..86400, t_end >= t_start), score (0..100), verdict,
// faults (<= 8 names [a-z0-9_]{1,48}), metrics (what the core measured), cue}. Unknown fields are refused by the server, so the body is
// built field by field.

const NAME_RE = /^[a-z][a-z0-9_]{0,30}$/; // a registry name (the server's STORE_NAME_MAX)
export const SYNC_REPS_MAX = 1000;
export const SYNC_FAULTS_MAX = 8;
const SECONDS_MAX = 86400;
const FAULT_RE = /^[a-z0-9_]{1,48}$/;

const finite = (v) => typeof v === 'number' && Number.isFinite(v);
const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
const round3 = (v) => Math.round(v * 1000) / 1000;

// Fault names of a core Rep: faults may be [{name, cue, ...}] (WASM wrapper) or ['name'] (report).
export function faultNames(rep) {
  const out = [];
  for (const f of (rep && rep.faults) || []) {
    const n = typeof f === 'string' ? f : f && f.name;
    if (typeof n === 'string' && FAULT_RE.test(n) && !out.includes(n)) out.push(n);
  }
  return out;
}

// The cue to show and say for a rep: its own cue, else the first fault's cue, else the first
// fault check's cue (report shape), else null.
export function repCue(rep) {
  if (!rep) return null;
  if (typeof rep.cue === 'string' && rep.cue) return rep.cue;
  for (const f of rep.faults || []) if (f && typeof f === 'object' && f.cue) return f.cue;
  for (const c of rep.checks || []) if (c && c.outcome === 'fault' && c.cue) return c.cue;
  return null;
}

// A core Rep (either naming: t_start / t_start_s) as the small object the page keeps.
export function repFromCore(rep) {
  const ts = finite(rep.t_start) ? rep.t_start : finite(rep.t_start_s) ? rep.t_start_s : 0;
  const te = finite(rep.t_end) ? rep.t_end : finite(rep.t_end_s) ? rep.t_end_s : ts;
  const verdict = ['good', 'bad', 'cannot_judge'].includes(rep.verdict) ? rep.verdict : 'cannot_judge';
  return {
    index: finite(rep.index) ? rep.index : null,
    t_start: ts,
    t_end: Math.max(ts, te),
    score: finite(rep.score) ? rep.score : null,
    verdict,
    faults: faultNames(rep),
    cue: repCue(rep),
    metrics: repMetrics(rep),
  };
}

// What the core measured on a rep, flat, as a video rep's metrics are stored
// (src/app/analyze.c): rom, rom_unit, depth, depth_name, concentric_s, eccentric_s,
// symmetry_deg, confidence, cannot_judge_reason. Missing or non-finite values are left out.
export function repMetrics(rep) {
  const m = {};
  const num = (k, v) => { if (finite(v)) m[k] = v; };
  const txt = (k, v) => { if (typeof v === 'string' && v) m[k] = v; };
  if (rep && rep.rom) { num('rom', rep.rom.value); txt('rom_unit', rep.rom.unit); }
  if (rep && rep.depth) { num('depth', rep.depth.value); txt('depth_name', rep.depth.name); }
  if (rep && rep.tempo) { num('concentric_s', rep.tempo.concentric_s); num('eccentric_s', rep.tempo.eccentric_s); }
  if (rep) { num('symmetry_deg', rep.symmetry_deg); num('confidence', rep.confidence); txt('cannot_judge_reason', rep.cannot_judge_reason); }
  return m;
}

// The metrics as the server's SyncRepMetrics schema takes them (src/api/workouts.c): known
// names only, numbers in range, text 1..48 characters.
const METRIC_LIMITS = {
  rom: [-1e6, 1e6], depth: [-1e6, 1e6], concentric_s: [0, 3600], eccentric_s: [0, 3600],
  symmetry_deg: [-360, 360], confidence: [0, 1],
};
const METRIC_TEXT = ['rom_unit', 'depth_name', 'cannot_judge_reason'];
export const SYNC_CUE_MAX = 160;
function syncMetrics(m) {
  const out = {};
  for (const [k, [lo, hi]] of Object.entries(METRIC_LIMITS)) if (m && finite(m[k])) out[k] = clamp(m[k], lo, hi);
  for (const k of METRIC_TEXT) if (m && typeof m[k] === 'string' && m[k]) out[k] = m[k].slice(0, 48);
  return out;
}

// Set summary from the kept reps (used when the core's report has no set block).
export function summarise(reps) {
  const s = { reps: reps.length, good: 0, bad: 0, cannot_judge: 0, mean_score: null, top_fault: null, top_fault_reps: 0 };
  let sum = 0;
  let n = 0;
  const counts = new Map();
  for (const r of reps) {
    s[r.verdict] = (s[r.verdict] || 0) + 1;
    if (finite(r.score) && r.verdict !== 'cannot_judge') { sum += r.score; n++; }
    for (const f of r.faults) counts.set(f, (counts.get(f) || 0) + 1);
  }
  if (n) s.mean_score = sum / n;
  for (const [f, c] of counts) if (c > s.top_fault_reps) { s.top_fault = f; s.top_fault_reps = c; }
  return s;
}

// The whole set: reps from the final report (same analysis as the native batch one) when it
// has them, else the reps seen live. Returns {exercise, reps, summary, hold_ms}.
export function finishSet({ exercise, liveReps = [], report = null }) {
  const ex = (report && report.exercise) || exercise || null;
  const reps = report && Array.isArray(report.reps) ? report.reps.map(repFromCore) : liveReps.slice();
  const summary = summarise(reps);
  const set = report && report.set;
  if (set) {
    for (const k of ['good', 'bad', 'cannot_judge', 'top_fault', 'top_fault_reps']) if (set[k] !== undefined) summary[k] = set[k];
    if (finite(set.mean_score) || set.mean_score === null) summary.mean_score = set.mean_score;
  }
  let holdMs = null;
  const hold = report && report.hold;
  if (hold && finite(hold.hold_s)) {
    holdMs = Math.round(hold.hold_s * 1000);
    if (finite(hold.mean_score)) summary.mean_score = hold.mean_score;
  }
  return { exercise: ex, reps, summary, hold_ms: holdMs };
}

function uuid() {
  if (typeof crypto !== 'undefined' && crypto.randomUUID) return crypto.randomUUID();
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// The record stored in IndexedDB. startedAtMs: wall clock (Date.now()) at the set start.
// exercises: the registry's names (core.exercises); when given, the exercise must be one of them.
export function buildSession({ exercise, reps, summary, hold_ms = null, startedAtMs, durationMs, loadKg = null, userId = null, clientId = uuid(), exercises = null, sessionId = null, setNumber = null }) {
  const known = typeof exercise === 'string' && NAME_RE.test(exercise) && (!Array.isArray(exercises) || exercises.includes(exercise));
  if (!known) throw new Error(`no exercise recognised (${exercise}): the set cannot be saved`);
  return {
    client_id: clientId,
    session_id: typeof sessionId === 'string' && sessionId ? sessionId.slice(0, 64) : null, // sets of one session
    set_number: Number.isInteger(setNumber) && setNumber > 0 ? setNumber : null, // local: n-th set of it
    started_at: new Date(startedAtMs).toISOString(),
    exercise,
    duration_ms: Math.round(clamp(durationMs, 0, SECONDS_MAX * 1000)),
    load_kg: finite(loadKg) && loadKg > 0 ? clamp(loadKg, 0, 1000) : null,
    hold_ms: exercise === 'plank' && finite(hold_ms) ? Math.round(clamp(hold_ms, 0, SECONDS_MAX * 1000)) : null,
    reps: reps.slice(0, SYNC_REPS_MAX),
    summary,
    user_id: userId,
    state: 'pending', // pending | synced | rejected
    workout_id: null,
    error: null,
    created_ms: Date.now(),
  };
}

// The POST /v1/sync body of a stored record: only the fields the server accepts, bounded.
export function toSyncBody(rec) {
  const body = {
    client_id: String(rec.client_id).slice(0, 64),
    started_at: rec.started_at,
    exercise: rec.exercise,
    duration_ms: Math.round(clamp(finite(rec.duration_ms) ? rec.duration_ms : 0, 0, SECONDS_MAX * 1000)),
    reps: (rec.reps || []).slice(0, SYNC_REPS_MAX).map((r) => {
      const t0 = round3(clamp(finite(r.t_start) ? r.t_start : 0, 0, SECONDS_MAX));
      const t1 = round3(clamp(finite(r.t_end) ? r.t_end : t0, t0, SECONDS_MAX));
      const rep = {
        t_start: t0,
        t_end: t1,
        score: finite(r.score) ? clamp(r.score, 0, 100) : 0,
        verdict: ['good', 'bad', 'cannot_judge'].includes(r.verdict) ? r.verdict : 'cannot_judge',
        faults: (r.faults || []).filter((f) => typeof f === 'string' && FAULT_RE.test(f)).slice(0, SYNC_FAULTS_MAX),
      };
      const m = syncMetrics(r.metrics);
      if (Object.keys(m).length) rep.metrics = m;
      if (typeof r.cue === 'string' && r.cue) rep.cue = r.cue.slice(0, SYNC_CUE_MAX);
      return rep;
    }),
  };
  if (typeof rec.session_id === 'string' && rec.session_id) body.session_id = rec.session_id.slice(0, 64);
  if (finite(rec.load_kg) && rec.load_kg > 0) body.load_kg = clamp(rec.load_kg, 0, 1000);
  if (finite(rec.hold_ms)) body.hold_ms = Math.round(clamp(rec.hold_ms, 0, SECONDS_MAX * 1000));
  const ms = rec.summary && rec.summary.mean_score;
  if (finite(ms)) body.score = clamp(ms, 0, 100);
  return body;
}

// Median, 95th and 99th percentile of a list of numbers (null when empty).
export function percentiles(values) {
  const v = values.filter(finite).sort((a, b) => a - b);
  if (!v.length) return { median: null, p95: null, p99: null, n: 0 };
  const at = (q) => v[Math.min(v.length - 1, Math.max(0, Math.ceil(q * v.length) - 1))];
  return { median: at(0.5), p95: at(0.95), p99: at(0.99), n: v.length };
}
