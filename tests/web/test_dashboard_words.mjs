// test_dashboard_words.mjs - what the dashboard says about a set, in Node (no browser):
// js/labels.js turns the report's measures into plain words with units people know (a failed
// check on a rep judged good is a note, never "needs work"); views/detail.js numbers reps from 1
// whatever index was stored, gives a can't-judge rep no score and drops a good rep's faults and
// cue; dom.js colours a set by its reps' verdicts (never green with a bad rep); charts.js puts
// whole numbers only on a count axis.
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { run, ENV } from '../browser/lib/harness.mjs';

await run('web/test_dashboard_words', async () => {
  const here = path.dirname(new URL(import.meta.url).pathname);
  const appDir = ENV.webDir ? path.join(ENV.webDir, 'js') : path.resolve(here, '../../web/app/js');
  const load = (f) => import(pathToFileURL(path.join(appDir, f)));
  const { checkWords, metricWords, depthWords } = await load('labels.js');
  const { repsFrom, worstRep } = await load('views/detail.js');
  const { verdictMix, append } = await load('dom.js');
  const { axisTicks } = await load('charts.js');

  // the example: "shallow depth: pass (-0.06 thigh, limit 0.35)"
  const depth = { name: 'shallow_depth', outcome: 'pass', value: -0.06, threshold: 0.35, unit: 'thigh' };
  assert.equal(checkWords(depth, 'good').text, 'Depth: hips about 3 cm below the knees — good');
  assert.equal(checkWords({ ...depth, value: 0.4, outcome: 'fault' }, 'bad').text, 'Depth: hips about 18 cm above the knees — needs work');
  // a fault line on a rep judged good is a note, not a fault
  const lockout = { name: 'incomplete_lockout', outcome: 'fault', value: 141, threshold: 150, unit: 'deg' };
  assert.equal(checkWords(lockout, 'good').status, 'note');
  assert.equal(checkWords(lockout, 'bad').status, 'needs work');
  // a near thing says so: within one noise unit of the fault line (confidence < 0.982, value past
  // the threshold), on both sides of it; a clear fault, a clear pass and a value on the good
  // side of the threshold do not
  const lean = { name: 'forward_lean', outcome: 'fault', value: 31.48, threshold: 25, fault_when: 'above', confidence: 0.929, unit: 'deg' };
  assert.equal(checkWords(lean, 'bad').text, 'Lean: torso leans 31° forward — needs work, at the limit');
  assert.equal(checkWords(lean, 'bad').near, true);
  assert.equal(checkWords({ ...lean, outcome: 'pass', value: 29.5, confidence: 0.86 }, 'good').near, true, 'within the noise past the threshold');
  assert.equal(checkWords({ ...lean, value: 40, confidence: 0.9975 }, 'bad').near, false, 'a clear fault');
  assert.equal(checkWords({ ...lean, outcome: 'pass', value: 22, confidence: 0.77 }, 'good').near, false, 'good side of the threshold');
  assert.equal(checkWords({ ...depth, value: 0.3, confidence: 0.6 }, 'good').near, false, '0.3 is on the good side of the 0.35 threshold');
  assert.equal(checkWords({ ...lean, confidence: null }, 'bad').near, false, 'reports before confidence (repright.report/1)');
  assert.equal(checkWords({ name: 'heels_rise', outcome: 'not_judged', value: null, unit: 'shin' }, 'good').text, 'Heels: not seen from this camera — not judged');
  assert.deepEqual(depthWords('min_knee_angle_deg', 82.4), ['Deepest knee bend', '82°']);
  assert.deepEqual(metricWords({ rom: 93, romUnit: 'leg_path', eccentric: 1.234 }), [['Going down', '1.2 s']], 'no developer units');
  for (const name of ['shallow_depth', 'knee_valgus', 'forward_lean', 'heels_rise', 'knees_past_toes', 'hip_sag', 'hips_high', 'elbow_flare', 'narrow_stance']) {
    const w = checkWords({ name, outcome: 'pass', value: 0.5, unit: 'deg' }, 'good').text;
    assert.doesNotMatch(w, /_|undefined|NaN|null/, w);
  }

  // live sets: reps stored from 0, a can't-judge rep with the score a device sent
  const workout = { sets: [{ reps: [
    { idx: 0, t_start: 1, t_end: 2, score: 90, verdict: 'good', faults: ['incomplete_lockout'], metrics: {} },
    { idx: 1, t_start: 3, t_end: 4, score: 40, verdict: 'bad', faults: ['hip_sag'], metrics: { cue: 'keep your hips up' } },
    { idx: 2, t_start: 5, t_end: 6, score: 100, verdict: 'cannot_judge', faults: [], metrics: null },
  ] }] };
  const reps = repsFrom(null, workout);
  assert.deepEqual(reps.map((r) => r.n), [1, 2, 3]);
  assert.deepEqual(reps.map((r) => r.score), [90, 40, null]);
  assert.deepEqual(reps[0].faults, [], 'a good rep has no fault');
  assert.equal(reps[1].cue, 'keep your hips up');
  assert.equal(worstRep(reps), 1);
  // a report: numbered by position, a can't-judge rep's null score stays null
  const report = { reps: [
    { index: 1, t_start_s: 0, t_end_s: 1, verdict: 'cannot_judge', score: null, checks: [] },
    { index: 2, t_start_s: 1, t_end_s: 2, verdict: 'good', score: 95, checks: [] },
  ] };
  assert.deepEqual(repsFrom(report, null).map((r) => [r.n, r.score]), [[1, null], [2, 95]]);

  assert.equal(verdictMix(4, 0), 'good');
  assert.equal(verdictMix(4, 1), 'warn', 'one bad rep: not green');
  assert.equal(verdictMix(1, 3), 'bad');
  assert.equal(verdictMix(0, 0), 'grey');
  assert.deepEqual(axisTicks(1, true), [0, 1]);
  assert.deepEqual(axisTicks(5, true), [0, 5]);
  assert.deepEqual(axisTicks(100, false), [0, 50, 100]);

  // dom.js append() skips null children (Element.append would print "null")
  const kids = [];
  const el = { appendChild: (c) => kids.push(c) };
  globalThis.Node = class {};
  globalThis.document = { createTextNode: (t) => ({ text: t }) };
  append(el, 'a', null, undefined, false, ['b', null]);
  assert.deepEqual(kids.map((k) => k.text), ['a', 'b']);
});
