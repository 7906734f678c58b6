// test_live_set.mjs - the live page's set data (web/app/js/live-set.js): core reps to the kept
// form (either field naming), the set summary, the stored record and its POST /v1/sync body.
// The body is bounded to what the server accepts: a hostile record (NaN/negative/huge numbers,
// too many reps and faults, bad fault names) still gives a body a real `repright serve` takes
// with 201, and a repeat of it answers 200 with the same workout (idempotent on client_id).
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { webcrypto } from 'node:crypto';
import { run, startServer, registerAndLogin, api } from '../browser/lib/harness.mjs';

// The app runs in browsers, where `crypto` is a global; Node 18 (Debian 12's) only has it as
// node:crypto's webcrypto.
if (!globalThis.crypto) globalThis.crypto = webcrypto;

const here = path.dirname(fileURLToPath(import.meta.url));
const set = await import(path.join(here, '..', '..', 'web', 'app', 'js', 'live-set.js'));

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}
const eq = (a, b, msg) => assert(JSON.stringify(a) === JSON.stringify(b), `${msg}: ${JSON.stringify(a)} != ${JSON.stringify(b)}`);

await run('web/test_live_set', async () => {
  // repFromCore: WASM wrapper shape (t_start, faults as objects, cue) and report shape (t_start_s,
  // faults as names, cue inside checks)
  const a = set.repFromCore({ index: 1, t_start: 0.5, t_end: 1.75, score: 74, verdict: 'bad',
    faults: [{ name: 'heels_rise', cue: 'keep your heels on the floor' }], cue: 'keep your heels on the floor' });
  eq(a, { index: 1, t_start: 0.5, t_end: 1.75, score: 74, verdict: 'bad', faults: ['heels_rise'], cue: 'keep your heels on the floor', metrics: {} }, 'wasm rep');
  // what the core measured is kept, flat, as a video rep's metrics are stored
  const m = set.repFromCore({ index: 1, t_start: 0, t_end: 1, score: 60, verdict: 'bad', rom: { value: 0.6, unit: 'leg_path' },
    depth: { name: 'min_knee_angle_deg', value: 95 }, tempo: { concentric_s: 0.5, eccentric_s: null }, symmetry_deg: NaN, confidence: 0.8,
    faults: [{ name: 'forward_lean', cue: 'keep your chest up' }] });
  eq(m.metrics, { rom: 0.6, rom_unit: 'leg_path', depth: 95, depth_name: 'min_knee_angle_deg', concentric_s: 0.5, confidence: 0.8 }, 'rep metrics');
  const b = set.repFromCore({ index: 2, t_start_s: 2, t_end_s: 1, score: null, verdict: 'weird', faults: ['x y', 'ok_1'],
    checks: [{ name: 'ok_1', outcome: 'fault', cue: 'do it' }] });
  eq([b.t_start, b.t_end, b.score, b.verdict, b.faults, b.cue], [2, 2, null, 'cannot_judge', ['ok_1'], 'do it'], 'report rep');

  // summarise: counts, mean over scored judged reps, top fault
  const reps = [a, { ...a, score: 90, verdict: 'good', faults: [] }, { ...a, faults: ['heels_rise', 'forward_lean'], score: 60 }, { ...b, faults: [] }];
  const s = set.summarise(reps);
  eq([s.reps, s.good, s.bad, s.cannot_judge, s.top_fault, s.top_fault_reps], [4, 1, 2, 1, 'heels_rise', 2], 'summary counts');
  assert(Math.abs(s.mean_score - (74 + 90 + 60) / 3) < 1e-9, `mean ${s.mean_score}`);

  // finishSet prefers the report (batch analysis of the session) and its set block; plank hold
  const f = set.finishSet({ exercise: 'squat', liveReps: [a], report: { exercise: 'squat', reps: [{ t_start_s: 1, t_end_s: 2, score: 80, verdict: 'good', faults: [] }], set: { good: 1, bad: 0, cannot_judge: 0, mean_score: 80, top_fault: null, top_fault_reps: 0 } } });
  eq([f.reps.length, f.summary.good, f.summary.mean_score, f.hold_ms], [1, 1, 80, null], 'finish from report');
  const g = set.finishSet({ exercise: 'squat', liveReps: [a, a], report: null });
  eq(g.reps.length, 2, 'finish without report keeps live reps');
  const p = set.finishSet({ exercise: 'plank', report: { exercise: 'plank', reps: [], hold: { hold_s: 12.345, mean_score: 95 }, set: { mean_score: null } } });
  eq([p.hold_ms, p.summary.mean_score], [12345, 95], 'plank');

  // buildSession refuses an unknown / unrecognised exercise
  let threw = false;
  try { set.buildSession({ exercise: null, reps: [], summary: s, startedAtMs: Date.now(), durationMs: 1 }); } catch { threw = true; }
  assert(threw, 'null exercise accepted');

  // percentiles
  eq(set.percentiles([5, 1, 3, 2, 4, NaN]), { median: 3, p95: 5, p99: 5, n: 5 }, 'percentiles');
  eq(set.percentiles([]), { median: null, p95: null, p99: null, n: 0 }, 'empty percentiles');

  // A hostile record is bounded to the server's schema.
  const many = Array.from({ length: 1005 }, (_, i) => ({ t_start: i - 3, t_end: i === 7 ? NaN : 1e9, score: i % 3 ? 250 : NaN, verdict: 'nope',
    faults: ['a', 'B', 'x'.repeat(49), 'f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7', 'f8', 'f9', 3] }));
  const rec = set.buildSession({ exercise: 'squat', reps: many, summary: { mean_score: 101 }, startedAtMs: Date.UTC(2026, 2, 1, 10), durationMs: 1e12, loadKg: 5000, userId: null });
  assert(/^[0-9a-f-]{36}$/.test(rec.client_id) && rec.state === 'pending', `record ${rec.client_id} ${rec.state}`);
  const body = set.toSyncBody({ ...rec, hold_ms: -5 });
  eq(Object.keys(body).sort(), ['client_id', 'duration_ms', 'exercise', 'hold_ms', 'load_kg', 'reps', 'score', 'started_at'], 'body fields');
  // metrics and cue travel with each rep, bounded to the server's schema
  const withM = set.toSyncBody(set.buildSession({ exercise: 'squat', reps: [{ ...m, cue: 'c'.repeat(500), metrics: { ...m.metrics, confidence: 3, depth_name: 'd'.repeat(99), extra: 1 } }],
    summary: { mean_score: 60 }, startedAtMs: Date.UTC(2026, 2, 2, 10), durationMs: 5000, sessionId: 'sess-1' }));
  eq(withM.session_id, 'sess-1', 'session id in the body');
  eq([withM.reps[0].cue.length, withM.reps[0].metrics.confidence, withM.reps[0].metrics.depth_name.length, 'extra' in withM.reps[0].metrics], [160, 1, 48, false], 'metrics bounded');
  eq([body.reps.length, body.duration_ms, body.load_kg, body.hold_ms, body.score, body.started_at], [1000, 86400000, 1000, 0, 100, '2026-03-01T10:00:00.000Z'], 'body bounds');
  for (const r of body.reps) {
    assert(r.t_start >= 0 && r.t_end >= r.t_start && r.t_end <= 86400 && r.score >= 0 && r.score <= 100, `rep ${JSON.stringify(r)}`);
    assert(r.faults.length <= 8 && r.faults.every((x) => /^[a-z0-9_]{1,48}$/.test(x)), `faults ${r.faults}`);
    assert(['good', 'bad', 'cannot_judge'].includes(r.verdict), r.verdict);
  }

  // ... and the real server accepts it, once.
  const server = await startServer();
  const user = await registerAndLogin(server);
  const r1 = await api(server, 'POST', '/v1/sync', { token: user.access_token, json: body });
  assert(r1.status === 201 && r1.json.created === true, `sync: ${r1.status} ${r1.text.slice(0, 400)}`);
  const r2 = await api(server, 'POST', '/v1/sync', { token: user.access_token, json: body });
  assert(r2.status === 200 && r2.json.workout_id === r1.json.workout_id, `repeat: ${r2.status} ${r2.text.slice(0, 200)}`);
  const d = await api(server, 'GET', `/v1/workouts/${r1.json.workout_id}`, { token: user.access_token });
  eq((d.json.sets || []).reduce((n, x) => n + x.reps.length, 0), 1000, 'reps stored');
  // metrics and cue are stored; two sets of one session are one workout with two sets, reps from 1
  const s1 = await api(server, 'POST', '/v1/sync', { token: user.access_token, json: withM });
  assert(s1.status === 201, `sync with metrics: ${s1.status} ${s1.text.slice(0, 300)}`);
  const second = set.toSyncBody(set.buildSession({ exercise: 'squat', reps: [m, m], summary: { mean_score: 60 }, startedAtMs: Date.UTC(2026, 2, 2, 10, 2), durationMs: 8000, sessionId: 'sess-1' }));
  const s2 = await api(server, 'POST', '/v1/sync', { token: user.access_token, json: second });
  assert(s2.status === 201 && s2.json.workout_id === s1.json.workout_id, `second set: ${s2.status} ${s2.text.slice(0, 300)}`);
  const w = await api(server, 'GET', `/v1/workouts/${s1.json.workout_id}`, { token: user.access_token });
  eq(w.json.sets.map((x) => x.reps.map((r) => r.idx)), [[1], [1, 2]], 'sets and rep numbers');
  eq([w.json.sets[0].reps[0].metrics.cue.length, w.json.sets[0].reps[0].metrics.rom_unit, w.json.sets.length], [160, 'leg_path', 2], 'stored metrics and sets');
  // A normal plank record: hold_ms and no reps.
  const plank = set.toSyncBody(set.buildSession({ exercise: 'plank', reps: [], summary: { mean_score: 90 }, hold_ms: 30000, startedAtMs: Date.now(), durationMs: 31000 }));
  const r3 = await api(server, 'POST', '/v1/sync', { token: user.access_token, json: plank });
  assert(r3.status === 201, `plank sync: ${r3.status} ${r3.text}`);
});
