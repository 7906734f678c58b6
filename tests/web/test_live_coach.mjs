// test_live_coach.mjs - the hands-free coach's decisions (web/app/js/live-coach.js): the set-up
// check from a pose (whole body in view, distance, side or front per exercise), the rep
// target's progress text, when a set stops by itself, the rest clock, the analysis rate and
// the automatic model choice.
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { run } from '../browser/lib/harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const coach = await import(path.join(here, '..', '..', 'web', 'app', 'js', 'live-coach.js'));

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

// A standing body: centre cx, top y0, height h (share of the picture), shoulder half-width w.
function body({ cx = 0.5, y0 = 0.1, h = 0.8, w = 0.08, vis = 1 } = {}) {
  const p = Array.from({ length: 33 }, () => ({ x: cx, y: y0 + 0.05 * h, visibility: vis }));
  const at = (i, dx, fy) => { p[i] = { x: cx + dx, y: y0 + fy * h, visibility: vis }; };
  at(0, 0, 0); at(11, -w, 0.18); at(12, w, 0.18); at(23, -w * 0.7, 0.5); at(24, w * 0.7, 0.5);
  at(25, -w * 0.7, 0.75); at(26, w * 0.7, 0.75); at(27, -w * 0.7, 1); at(28, w * 0.7, 1);
  return p;
}

await run('web/test_live_coach', async () => {
  const size = { width: 640, height: 480 };
  const front = coach.setupCheck(body(), 'squat', size);
  assert(front.ok && front.view === 'front', `a whole body in view, squat: ${JSON.stringify(front)}`);
  assert(coach.setupCheck(null, 'squat', size).code === 'none', 'no pose');
  const cut = coach.setupCheck(body({ y0: 0.3, h: 0.8 }), 'squat', size);
  assert(cut.code === 'cut_off' && /feet/.test(cut.text), `feet out of the picture: ${JSON.stringify(cut)}`);
  assert(coach.setupCheck(body({ h: 0.2 }), 'squat', size).code === 'too_far', 'far away');
  const side = coach.setupCheck(body({ w: 0.005 }), 'shoulder_press', size);
  assert(side.code === 'view' && /face the camera/.test(side.text), `side-on for a press: ${JSON.stringify(side)}`);
  assert(coach.setupCheck(body({ w: 0.005 }), 'deadlift', size).ok, 'side-on deadlift is placed');
  assert(coach.setupCheck(body(), 'deadlift', size).code === 'view', 'a deadlift facing the camera is asked to turn');
  // the far side hidden (side-on): one side of each joint is enough
  const hidden = body({ w: 0.005 });
  for (const i of [12, 24, 26, 28]) hidden[i].visibility = 0.2;
  assert(coach.setupCheck(hidden, 'squat', size).ok, 'side-on with the far side hidden');

  assert(coach.progressText({ setNo: 2, sets: 3, reps: 10, count: 4 }) === 'Set 2 of 3 · 4 / 10 reps', 'progress');
  assert(coach.progressText({ setNo: 1, sets: null, reps: null, count: 4 }) === '', 'no targets');

  const stop = (o) => coach.autoStopReason({ now: 10000, announced: 0, counted: 0, ...o });
  assert(stop({ target: 5, announced: 5, counted: 5 }) === 'target', 'target reached');
  assert(stop({ target: 5, announced: 4, counted: 5, lastRepAt: 9000, lastPoseAt: 10000 }) === null, 'the last rep not judged yet');
  assert(stop({ counted: 3, lastRepAt: 3000, lastPoseAt: 10000 }) === 'idle', 'no movement for 7 s');
  assert(stop({ counted: 3, lastRepAt: 8000, lastPoseAt: 5000 }) === 'gone', 'walked away');
  assert(stop({ counted: 0, lastRepAt: null, lastPoseAt: 0 }) === null, 'nothing counted: never stops by itself');

  assert(coach.clock(65000) === '1:05' && coach.clock(-5) === '0:00' && coach.clock(4200) === '0:05', 'clock');

  // the analysis rate: median interval of the last frames, only once there are enough of them
  const every = (ms, n, from = 0) => Array.from({ length: n }, (_, i) => from + i * ms);
  assert(coach.analysisRate(every(100, 5)) === null, 'too few frames: no rate yet');
  assert(coach.analysisRate(every(100, 10)) === null, 'under 1.5 s of frames: no rate yet');
  assert(Math.abs(coach.analysisRate(every(100, 20)) - 10) < 1e-9, '10 fps');
  const spiky = every(125, 16);
  spiky.push(spiky[spiky.length - 1] + 900); // one slow frame (the first on a model, a closing rep)
  assert(Math.abs(coach.analysisRate(spiky) - 8) < 1e-9, `one slow frame moves the rate: ${coach.analysisRate(spiky)}`);
  assert(Math.abs(coach.analysisRate(every(250, 9)) - 4) < 1e-9, '4 fps over 2 s');
  // the model: full while the rate keeps the floor, lite for good below it; forced stays
  assert(coach.chooseModel({ current: 'full', rate: null }) === 'full', 'no rate yet: stays full');
  assert(coach.chooseModel({ current: 'full', rate: 7.5 }) === 'full', '7.5 fps: full');
  assert(coach.chooseModel({ current: 'full', rate: 5.9 }) === 'lite', '5.9 fps: lite');
  assert(coach.chooseModel({ current: 'lite', rate: 25 }) === 'lite', 'never back up to full');
  assert(coach.chooseModel({ current: 'full', rate: 4.5, floor: 4 }) === 'full', 'the floor is a parameter');
  // a whole set's rate (a set too short for the running rate) and what the summary says of it
  assert(Math.abs(coach.setRate(every(350, 5, 1000)) - 1000 / 350) < 1e-9, '5 frames 350 ms apart: no minimum of frames or time');
  assert(coach.setRate([1000]) === null && coach.setRate([]) === null && coach.setRate(null) === null, 'one frame: no rate');
  const stalled = every(66, 40);
  stalled.push(stalled[stalled.length - 1] + 60000); // a minute hidden: the set's rate stays ~15 fps
  assert(Math.abs(coach.setRate(stalled) - 1000 / 66) < 1e-9, `a stall does not move the set's rate: ${coach.setRate(stalled)}`);
  assert(coach.lowRateNote(2.9) === 'This set was analysed at 2.9 frames/s, under the 6 the coach needs: reps were judged from a few frames each, so a verdict near a limit may differ from an upload of the same set.', coach.lowRateNote(2.9));
  assert(coach.lowRateNote(6) === null && coach.lowRateNote(null) === null, 'enough, or unknown: nothing to say');
  assert(coach.lowRateNote(7, 8) !== null, 'the floor is a parameter');
  assert(/the hold was followed from a few frames a second/.test(coach.lowRateNote(3, 6, { hold: true })), 'a plank has a hold, not reps');
});
