// live-coach.js - the hands-free coach's decisions, as pure functions (no DOM; Node-tested in
// tests/web/test_live_coach.mjs): is the athlete placed for the exercise (whole body in view,
// distance, side or front view, read from the pose itself), the rep target's progress, when a
// set is over by itself, and the rest between sets.
//
// Owner: live page. Errors: none thrown; bad input gives "not placed". Thread-safety: stateless.
//
// Landmarks are MediaPipe's 33 normalised image landmarks ({x, y, visibility}), x and y in 0..1
// of the picture; width/height (pixels) give the aspect ratio for distances.

// The camera view each exercise is judged best from (docs/internals/analysis.md, the rules'
// views): 'side' = side-on, 'front' = facing the camera, 'any'.
export const BEST_VIEW = {
  // squats: side-on shows depth, lean and heels, the front knee tracking: both are judged
  squat: 'any', push_up: 'side', lunge: 'any', deadlift: 'side', plank: 'side',
  biceps_curl: 'any', shoulder_press: 'front', jumping_jack: 'front', pull_up: 'front',
};

const VIEW_TEXT = {
  side: 'turn side-on to the camera',
  front: 'face the camera',
};

// Landmarks that must be in the picture: shoulders, hips, knees, ankles (the whole body for
// every exercise; a curl's rules also look at the legs for sway).
const BODY = [11, 12, 23, 24, 25, 26, 27, 28];
const PAIRS = [[11, 12], [23, 24], [25, 26], [27, 28]];
const EDGE = 0.02; // a landmark this close to the picture's edge is probably cut off
const VIS = 0.5;

const seen = (p) => p && Number.isFinite(p.x) && Number.isFinite(p.y) && (p.visibility === undefined || p.visibility >= VIS);
const inside = (p) => p.x > EDGE && p.x < 1 - EDGE && p.y > EDGE && p.y < 1 - EDGE;

// Is the athlete placed for `exercise` (null: any)? Returns {ok, code, text, view, height}:
// code none | cut_off | too_far | too_close | view | ok; text is what to say and show.
// height: the body's height as a share of the picture's; view: 'front' | 'side' as seen.
export function setupCheck(image, exercise, { width = 640, height = 480 } = {}) {
  if (!Array.isArray(image) || image.length < 33) return { ok: false, code: 'none', text: 'Step into the picture', view: null, height: 0 };
  // each joint on at least one side (side-on, the far side is hidden behind the near one)
  const missing = PAIRS.filter(([l, r]) => !(seen(image[l]) && inside(image[l])) && !(seen(image[r]) && inside(image[r])));
  if (missing.length) {
    const low = missing.some(([l]) => l >= 25); // knees or ankles
    return { ok: false, code: 'cut_off', text: low ? 'Step back: your feet must be in the picture' : 'Step back: your whole body must be in the picture', view: null, height: 0 };
  }
  let top = 1; let bottom = 0;
  for (const i of [0, ...BODY]) {
    const p = image[i];
    if (!p || !Number.isFinite(p.y)) continue;
    top = Math.min(top, p.y);
    bottom = Math.max(bottom, p.y);
  }
  const h = bottom - top;
  // lying exercises fill the picture's width rather than its height
  const lying = exercise === 'push_up' || exercise === 'plank';
  let left = 1; let right = 0;
  for (const i of BODY) if (Number.isFinite(image[i].x)) { left = Math.min(left, image[i].x); right = Math.max(right, image[i].x); }
  const extent = lying ? (right - left) : h;
  if (extent < 0.35) return { ok: false, code: 'too_far', text: 'Come a little closer', view: null, height: h };
  if (extent > 0.95) return { ok: false, code: 'too_close', text: 'Step back a little', view: null, height: h };
  // view: shoulder width against torso length, in pixels
  const px = (p) => [p.x * width, p.y * height];
  const dist = (a, b) => Math.hypot(px(a)[0] - px(b)[0], px(a)[1] - px(b)[1]);
  const shoulders = dist(image[11], image[12]);
  const torso = (dist(image[11], image[23]) + dist(image[12], image[24])) / 2;
  const ratio = torso > 0 ? shoulders / torso : 0;
  const view = lying ? (ratio < 0.5 ? 'side' : 'front') : (ratio < 0.45 ? 'side' : 'front');
  const want = BEST_VIEW[exercise] || 'any';
  if (want !== 'any' && view !== want) {
    return { ok: false, code: 'view', text: `For ${String(exercise).replace(/_/g, ' ')}, ${VIEW_TEXT[want]}`, view, height: h };
  }
  return { ok: true, code: 'ok', text: 'Good position. Hold still.', view, height: h };
}

// Targets: sets x reps (null when not set). Progress text for the HUD and the summary.
export function progressText({ setNo, sets, reps, count }) {
  const parts = [];
  if (sets) parts.push(`Set ${setNo} of ${sets}`);
  if (reps) parts.push(`${Math.min(count, 9999)} / ${reps} reps`);
  return parts.join(' · ');
}

// Is the set over by itself? After the rep target is counted and announced, or after
// `idleMs` without a new rep once a rep was counted, or `goneMs` without a pose.
// Returns null or the reason: 'target' | 'idle' | 'gone'.
export function autoStopReason({ now, target = null, announced, counted, lastRepAt = null, lastPoseAt = null, idleMs = 6000, goneMs = 4000 }) {
  if (target && announced >= target) return 'target';
  if (counted > 0 && lastPoseAt !== null && now - lastPoseAt > goneMs) return 'gone';
  if (counted > 0 && lastRepAt !== null && now - lastRepAt > idleMs) return 'idle';
  return null;
}

// "1:05" from milliseconds (rounded up to the second, never negative).
export function clock(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

// The analysis rate the device keeps: frames/s from the completion times (ms) of the last
// processed frames, as 1000 / the median interval (one slow frame, such as the first one on a
// model or the frame that closes a rep, does not move it). null until `minFrames` frames over
// at least `minSpanMs` were seen: a verdict on the rate needs a second or two of frames.
export function analysisRate(times, { minFrames = 8, minSpanMs = 1500 } = {}) {
  if (!Array.isArray(times) || times.length < minFrames) return null;
  if (times[times.length - 1] - times[0] < minSpanMs) return null;
  const d = [];
  for (let i = 1; i < times.length; i++) d.push(times[i] - times[i - 1]);
  d.sort((a, b) => a - b);
  const m = d.length % 2 ? d[(d.length - 1) / 2] : (d[d.length / 2 - 1] + d[d.length / 2]) / 2;
  return m > 0 ? 1000 / m : null;
}

// The automatic model choice: the page starts on the full landmark model (its landmarks read a
// squat's lean like the server's) and goes down to lite, for good, when the measured rate falls
// below the floor the analysis core needs (a 1.3 s rep judged from a handful of frames).
// Returns the model to use next: 'full' | 'lite'.
// The rate a set was analysed at: 1000 / the median interval between the completion times of
// its frames (since the last model switch), so a stall (a hidden tab, a slow first frame) does
// not move it; null under 2 frames. Unlike analysisRate it needs no minimum of frames or time:
// it answers for a set too short for the running rate (a 1.6 s rep at 3 frames/s: 5 frames).
export function setRate(times) {
  if (!Array.isArray(times) || times.length < 2) return null;
  return analysisRate(times, { minFrames: 2, minSpanMs: 0 });
}

// What the summary says of a set analysed under the floor, or null when the rate was enough.
export function lowRateNote(rate, floor = 6, { hold = false } = {}) {
  if (rate === null || !(rate < floor)) return null;
  return `This set was analysed at ${rate.toFixed(1)} frames/s, under the ${floor} the coach needs: ` +
    (hold ? 'the hold was followed from a few frames a second, so its time may differ from an upload of the same set.'
      : 'reps were judged from a few frames each, so a verdict near a limit may differ from an upload of the same set.');
}

export function chooseModel({ current, rate, floor = 6 }) {
  if (current === 'full' && rate !== null && rate < floor) return 'lite';
  return current;
}
