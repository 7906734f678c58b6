// live.js - the live coach page: camera -> MediaPipe pose (on device) -> RepRight's analysis
// core (WebAssembly) -> rep counter, green/red indicator, spoken cue -> set summary, kept in
// IndexedDB and synced to POST /v1/sync (docs/internals/live.md).
//
// Owner: live page. Errors: every failure is shown in #error with what to do; nothing is thrown
// to the console uncaught. Thread-safety: page thread only; at most one frame is inside
// MediaPipe at any time (frames that arrive meanwhile are dropped and counted).
//
// Test hooks: window.__liveStats (fps, latency percentiles, frame counts, reps) mirrors the
// page's data-testid elements; document.body.dataset.state is one of loading | ready |
// starting | recording | stopping | done | failed; dataset.processedFrames counts the set's frames
// through the model; document.body.dataset.firstFrame is set when
// the set's first camera frame arrives, dataset.presentedFrames counts the stream's frames.

import { Camera } from './live-camera.js';
import { createPoseEstimator, warmUp } from './live-pose.js';
import { finishSet, buildSession, repFromCore, percentiles } from './live-set.js';
import { putSession, listSessions, getSession } from './live-store.js';
import { Syncer } from './live-sync.js';
import { registerServiceWorker } from './live-pwa.js';
import * as ui from './live-ui.js';
import { setupCheck, progressText, autoStopReason, clock, analysisRate, chooseModel, setRate, lowRateNote } from './live-coach.js';

const { $ } = ui;
const params = new URLSearchParams(location.search);
// Model choice (docs/internals/live.md "Model and frame rate"): ?model=lite|full forces one;
// otherwise the page starts on the full landmark model and goes down to lite, for the rest of
// the page's life, when the analysis rate it measures (set-up check and sets) falls below
// MIN_FPS, the rate the analysis core needs for short reps (?min_fps= for tests).
const MODEL_PARAM = params.get('model');
const MODEL_AUTO = MODEL_PARAM !== 'lite' && MODEL_PARAM !== 'full';
const MODEL_START = MODEL_PARAM === 'lite' ? 0 : 1;
const MIN_FPS = Number(params.get('min_fps')) > 0 ? Number(params.get('min_fps')) : 6;
const RATE_FRAMES = 16; // completion times kept for the rate (analysisRate)
const CPU = params.get('gpu') !== '1';
// Width of the picture handed to the pose model (the camera's is scaled down to it, aspect
// kept; ?input=0 sends the camera picture as is). The model sees 256x256 anyway; a smaller
// picture costs less to upload and convert (docs/internals/live.md "On a throttled CPU").
const INPUT_W = params.has('input') ? Math.max(0, Number(params.get('input')) || 0) : 0;
let inputCanvas = null;
function modelInput(video) {
  if (!INPUT_W || !video.videoWidth || video.videoWidth <= INPUT_W) return video;
  const h = Math.round(video.videoHeight * INPUT_W / video.videoWidth);
  if (!inputCanvas) inputCanvas = document.createElement('canvas');
  if (inputCanvas.width !== INPUT_W || inputCanvas.height !== h) { inputCanvas.width = INPUT_W; inputCanvas.height = h; }
  inputCanvas.getContext('2d').drawImage(video, 0, 0, INPUT_W, h);
  return inputCanvas;
} // TFLite on the CPU by default (?gpu=1: WebGL inference)

// A training session: the sets recorded on this device within SESSION_GAP_MS of each other
// (kept in localStorage so a reload between sets stays in the session). Synced with each set
// as session_id: the server keeps a session's sets of one exercise together as one workout.
const SESSION_KEY = 'repright.live.session';
const SESSION_GAP_MS = 60 * 60 * 1000;
// "Recognise automatically": after this long with a pose and no exercise recognised, the page
// asks the athlete to pick it (the set so far is analysed again as the picked exercise).
const RECOGNISE_HINT_MS = Number(params.get('hint_ms')) > 0 ? Number(params.get('hint_ms')) : 6000; // ?hint_ms= for tests
const KEEP_FRAMES_MAX = 20 * 60 * 2; // frames kept for that re-analysis: ~2 min at 20 fps

function currentSession(now = Date.now()) {
  let sess = null;
  try { sess = JSON.parse(localStorage.getItem(SESSION_KEY) || 'null'); } catch { sess = null; }
  if (!sess || typeof sess.id !== 'string' || !(now - sess.last_ms < SESSION_GAP_MS)) {
    sess = { id: crypto.randomUUID(), sets: 0, last_ms: now };
  }
  return sess;
}

function noteSetInSession(now = Date.now()) {
  const sess = currentSession(now);
  sess.sets += 1;
  sess.last_ms = now;
  try { localStorage.setItem(SESSION_KEY, JSON.stringify(sess)); } catch { /* storage blocked */ }
  return sess;
}

const app = {
  pose: null,
  core: null,
  camera: new Camera($('video')),
  voice: new ui.Voice(),
  syncer: null,
  set: null, // the set being recorded
  api: null,
  rateTimes: [], // completion times of the last frames through the pose model (noteFrameDone)
  modelSwitches: [], // automatic model changes: {from, to, fps, floor, at_ms, phase}
  pendingSwitch: null, // a change decided during a set's reps, made when the set ends
};

function setState(s) {
  document.body.dataset.state = s;
}

function status(text) {
  $('status').textContent = text;
}

function showError(text) {
  const e = $('error');
  e.textContent = text || '';
  e.hidden = !text;
}

// ---- loading ------------------------------------------------------------------------------------
async function loadCore() {
  const mod = await import('./analysis-core.js');
  return mod.loadAnalysisCore();
}

async function loadPose() {
  const est = await createPoseEstimator({ modelComplexity: MODEL_START, cpu: CPU });
  const warmMs = await warmUp(est);
  return { est, warmMs };
}

function fillExercises(names) {
  const sel = $('exercise');
  const keep = sel.value;
  sel.replaceChildren();
  const auto = document.createElement('option');
  auto.value = 'auto';
  auto.textContent = 'Recognise automatically';
  sel.appendChild(auto);
  for (const n of names) {
    const o = document.createElement('option');
    o.value = n;
    o.textContent = ui.exerciseTitle(n);
    sel.appendChild(o);
  }
  const wanted = params.get('exercise') || keep;
  if ([...sel.options].some((o) => o.value === wanted)) sel.value = wanted;
  sel.disabled = false;
}

async function showAccount() {
  const el = $('account');
  try {
    app.api = await import('./api.js');
    if (app.api.session.isLoggedIn()) {
      el.textContent = app.api.session.email || 'signed in';
    } else {
      const a = document.createElement('a');
      a.href = '/#/login';
      a.textContent = 'Log in to sync';
      el.replaceChildren(a);
    }
  } catch {
    el.textContent = '';
  }
}

async function refreshSessions() {
  try {
    ui.showSessions(await listSessions());
  } catch (e) {
    $('sessions').textContent = `Stored sets cannot be read: ${e.message}`;
  }
}

// ---- the set ------------------------------------------------------------------------------------
function newSetState(exercise, loadKg, t0, startedAtMs) {
  return {
    exercise, // registry name or null (recognise)
    loadKg,
    startedAtMs, // wall clock at Start
    t0, // performance.now() at Start: frame times of the set count from here
    live: null,
    reps: [],
    announced: [], // {verdict, cue} of each rep as shown and said during the set
    count: 0,
    recognised: null,
    frames: 0, // camera frames seen by the page
    dropped: 0,
    noPose: 0,
    lastPresented: null,
    firstPresented: null,
    doneTimes: [], // completion time of each frame through the pose model (its length: processed)
    modelFrom: 0, // index in doneTimes of the first frame on the current model
    latencies: [],
    modelMs: [], // time inside the pose model per processed frame
    coreMs: [], // time inside the analysis core (push) per processed frame
    drawMs: [], // skeleton, counter, indicator
    repLatencies: [],
    inflight: null,
    stopping: false,
    failed: null,
    lastStatsUpdate: 0,
    lastHoldUpdate: 0,
    timeSource: null,
    kept: exercise ? null : [], // frames kept while the exercise is not known (re-analysis)
    poseSince: null, // set time of the first frame with a pose
    hinted: false,
  };
}

// ---- model choice ------------------------------------------------------------------------------
function modelName() {
  return app.pose && app.pose.modelComplexity === 1 ? 'full' : 'lite';
}

function showModel() {
  $('model').textContent = `${modelName()}${MODEL_AUTO ? ' (auto)' : ''}`;
}

// A frame went through the pose model at time t (performance.now()): the rate is measured and,
// on the automatic choice, the model goes down to lite when the device cannot keep MIN_FPS.
// During the set-up check, or in a set before its first rep is counted, at once; once a rep is
// counted the switch waits for the end of the set: the two models' landmarks differ in scale,
// and a switch in the middle of a set lost reps (9 of 12 in 2 of 4 sets switched that way).
function noteFrameDone(t) {
  app.rateTimes.push(t);
  if (app.rateTimes.length > RATE_FRAMES) app.rateTimes.shift();
  if (!MODEL_AUTO || app.pendingSwitch) return;
  const rate = analysisRate(app.rateTimes);
  const next = chooseModel({ current: modelName(), rate, floor: MIN_FPS });
  if (next === modelName()) return;
  const sw = { from: modelName(), to: next, fps: Number(rate.toFixed(2)), floor: MIN_FPS, at_ms: app.set ? Math.round(t - app.set.t0) : null, phase: app.set ? 'set' : 'setup', rule: 'running rate' };
  if (app.set && (app.set.counted || 0) > 0) {
    app.pendingSwitch = { ...sw, phase: 'after the set' };
    showModelNote(rate, 'the next set uses the fast model');
    return;
  }
  switchModel(sw);
}

function switchModel(sw) {
  app.pose.setModel(sw.to === 'full' ? 1 : 0);
  app.rateTimes = [];
  if (app.set) app.set.modelFrom = app.set.doneTimes.length; // the switch rule: this model's frames
  app.modelSwitches.push(sw);
  window.__modelSwitches = app.modelSwitches.slice();
  showModelNote(sw.fps, 'switched to the fast model');
  showModel();
}

function showModelNote(rate, what) {
  const note = $('model-note');
  note.textContent = `This device analysed ${rate.toFixed(1)} frames/s with the precise pose model, under the ${MIN_FPS} frames/s the coach needs: ${what} (counts as well, judges forward lean less strictly).`;
  note.hidden = false;
}

function statsOf(s) {
  const lat = percentiles(s.latencies);
  const n = s.doneTimes.length;
  const span = n > 1 ? (s.doneTimes[n - 1] - s.doneTimes[0]) / 1000 : 0;
  const fps = span > 0 ? (n - 1) / span : 0;
  return {
    fps,
    latency_median_ms: lat.median,
    latency_p95_ms: lat.p95,
    latency_p99_ms: lat.p99,
    model_ms_median: percentiles(s.modelMs).median,
    core_ms_median: percentiles(s.coreMs).median,
    core_ms_p99: percentiles(s.coreMs).p99,
    draw_ms_median: percentiles(s.drawMs).median,
    rep_latency_ms: s.repLatencies.slice(),
    frames: s.frames,
    processed: n,
    dropped: s.dropped,
    no_pose: s.noPose,
    reps: s.count,
    announced: s.announced.slice(),
    exercise: s.recognised || s.exercise,
    model: modelName(),
    model_auto: MODEL_AUTO,
    model_switches: app.modelSwitches.slice(),
    model_switch_pending: app.pendingSwitch, // decided during the set's reps, made at its end
    first_model_ms: s.modelMs.slice(0, 3).map((x) => Math.round(x)), // the model's start-up shows here
    first_processed_ms: n ? Math.round(s.doneTimes[0] - s.t0) : null,
    inference: CPU ? 'cpu' : 'gpu',
    time_source: s.timeSource,
    first_presented: s.firstPresented,
    last_presented: s.lastPresented,
  };
}

function publishStats(s) {
  const st = statsOf(s);
  window.__liveStats = st;
  $('fps').textContent = st.fps ? st.fps.toFixed(1) : '–';
  $('latency').textContent = st.latency_median_ms === null ? '–' : `${Math.round(st.latency_median_ms)} (p95 ${Math.round(st.latency_p95_ms)})`;
  const el = $('stats');
  el.dataset.fps = st.fps.toFixed(2);
  el.dataset.latencyMedian = st.latency_median_ms === null ? '' : st.latency_median_ms.toFixed(1);
  el.dataset.latencyP95 = st.latency_p95_ms === null ? '' : st.latency_p95_ms.toFixed(1);
  el.dataset.processed = String(st.processed);
  el.dataset.dropped = String(st.dropped);
}

// The frame's capture time on the performance.now() clock: the camera's own stamp when the
// browser gives one (requestVideoFrameCallback metadata), else when the callback ran.
function frameTime(now, md, s) {
  const pnow = performance.now();
  if (md && Number.isFinite(md.captureTime) && md.captureTime <= pnow && pnow - md.captureTime < 1000) {
    s.timeSource = 'captureTime';
    return md.captureTime;
  }
  if (md && Number.isFinite(md.presentationTime) && md.presentationTime <= pnow && pnow - md.presentationTime < 1000) {
    s.timeSource = 'presentationTime';
    return md.presentationTime;
  }
  s.timeSource = 'callback';
  return now;
}

function onVideoFrame(now, md) {
  const s = app.set;
  if (!s || s.stopping || s.failed) return;
  const video = $('video');
  video.requestVideoFrameCallback(onVideoFrame);
  s.frames++;
  if (s.frames === 1) document.body.dataset.firstFrame = String(performance.now());
  if (md && Number.isFinite(md.presentedFrames)) {
    // frames the page never saw (the main thread was inside the model) also count as dropped
    if (s.lastPresented !== null && md.presentedFrames > s.lastPresented + 1) {
      const missed = md.presentedFrames - s.lastPresented - 1;
      s.dropped += missed;
      s.frames += missed;
    }
    s.lastPresented = md.presentedFrames;
    if (s.firstPresented === null) s.firstPresented = md.presentedFrames;
    document.body.dataset.presentedFrames = String(md.presentedFrames);
  }
  if (app.pose.busy || s.inflight) { s.dropped++; return; }
  const tCap = frameTime(now, md, s);
  s.inflight = processFrame(s, tCap, video).catch((e) => failSet(s, e)).finally(() => { s.inflight = null; });
}


async function processFrame(s, tCap, video) {
  const tm0 = performance.now();
  const res = await app.pose.estimate(modelInput(video), tCap);
  const tm1 = performance.now();
  if (!res || app.set !== s) return;
  const tRel = Math.max(0, tCap - s.t0);
  let size; // tell the core when the picture size changes (a phone turned)
  if (video.videoWidth !== s.width || video.videoHeight !== s.height) {
    s.width = video.videoWidth;
    s.height = video.videoHeight;
    size = { width: s.width, height: s.height };
  }
  const out = s.live.push(tRel, res.image, res.world, size);
  const tm2 = performance.now();
  if (!res.image) s.noPose++;
  if (s.kept && s.kept.length < KEEP_FRAMES_MAX) s.kept.push({ tMs: tRel, image: res.image, world: res.world, width: s.width, height: s.height });
  if (res.image && s.poseSince === null) s.poseSince = tRel;
  // a frame that finishes after Stop was pressed draws nothing: Stop clears the stage
  if (res.image) s.lastPoseAt = tRel;
  if (app.set === s && !s.stopping) ui.drawSkeleton($('overlay'), res.image, video.videoWidth, video.videoHeight, s.lastVerdict);
  // recognising: after a few seconds with a pose the athlete may pick (or correct) the exercise
  if (s.kept && !s.hinted && s.poseSince !== null && tRel - s.poseSince > RECOGNISE_HINT_MS) {
    s.hinted = true;
    showPickHint(true, s.recognised ? 'recognised' : 'during');
  }
  if (out && out.exercise && out.exercise !== s.recognised) {
    s.recognised = out.exercise;
    if (s.hinted) showPickHint(true, 'recognised'); // still correctable
    $('live-exercise').textContent = ui.prettyName(out.exercise);
    if ((s.exercise || out.exercise) === 'plank') $('count-label').textContent = 's hold';
  }
  const newReps = (out && out.newReps) || [];
  for (const r of newReps) {
    const rep = repFromCore(r);
    s.reps.push(rep);
    s.count = s.reps.length;
    s.announced.push({ verdict: rep.verdict, cue: rep.cue });
    ui.showRep(rep, s.count);
    s.lastVerdict = rep.verdict;
    app.voice.say(ui.speechFor(rep, s.count, s.target && s.target.reps));
  }
  // The counter moves as soon as the core counts a rep (out.reps); the indicator, cue and voice
  // wait for its verdict, which comes once the movement has ended (newReps).
  const counted = out && Number.isFinite(out.reps) ? out.reps : 0;
  if (counted > (s.counted || 0)) { s.counted = counted; s.lastRepAt = tRel; }
  if (newReps.length || counted !== s.shownCount) { s.shownCount = counted; showProgress(s); }
  if (handsFree() && !s.stopping) {
    const why = autoStopReason({ now: tRel, target: s.target && s.target.reps, announced: s.count, counted: s.counted || 0, lastRepAt: s.lastRepAt ?? null, lastPoseAt: s.lastPoseAt ?? null });
    if (why) { s.autoStop = why; setTimeout(stopSet, 0); }
  }
  if ((s.recognised || s.exercise) !== 'plank') $('rep-count').textContent = String(Math.max(s.count, counted));
  const t = performance.now();
  if ((s.recognised || s.exercise) === 'plank' && t - s.lastHoldUpdate > 1000) {
    s.lastHoldUpdate = t;
    const rep = s.live.report();
    const hs = rep && rep.hold && Number.isFinite(rep.hold.hold_s) ? rep.hold.hold_s : 0;
    $('rep-count').textContent = hs.toFixed(0);
  }
  const tm3 = performance.now();
  s.modelMs.push(tm1 - tm0);
  s.coreMs.push(tm2 - tm1);
  s.drawMs.push(tm3 - tm2);
  const lat = tm3 - tCap; // camera frame -> indicator, counter and skeleton updated
  s.latencies.push(lat);
  if (newReps.length) s.repLatencies.push(lat);
  s.doneTimes.push(t);
  document.body.dataset.processedFrames = String(s.doneTimes.length);
  noteFrameDone(t);
  if (t - s.lastStatsUpdate > 500) { s.lastStatsUpdate = t; publishStats(s); }
}

// ---- "recognise automatically" did not recognise: the athlete picks the exercise ------------
const PICK_TEXT = {
  during: 'The exercise is not recognised yet. Pick it and the set so far is counted as that exercise.',
  recognised: 'Counting as EX. Not right? Pick the exercise and the set so far is counted again.',
  after: 'The exercise was not recognised. Pick it to count and save this set.',
};

function showPickHint(on, when = 'during') {
  const box = $('pick-hint');
  box.hidden = !on;
  box.dataset.when = when;
  const s = app.set;
  $('pick-text').textContent = PICK_TEXT[when].replace('EX', ui.prettyName(s && s.recognised));
  if (on) {
    const sel = $('pick-exercise');
    if (sel.options.length === 0 && app.core) {
      for (const n of app.core.exercises) {
        const o = document.createElement('option');
        o.value = n;
        o.textContent = ui.exerciseTitle(n);
        sel.appendChild(o);
      }
    }
    if (when === 'during') app.voice.say('Pick the exercise on the screen');
  }
}

// The set so far analysed again as `exercise`: a new core session with the kept frames; the
// reps it finds are shown; the set goes on (or, after Stop, is saved) as that exercise.
function pickExercise(exercise) {
  const s = app.set;
  if (!s || !s.kept || !app.core) return false;
  const live = app.core.newLiveSession({ exercise, width: s.width, height: s.height });
  let last = null;
  const announced = []; // the reps the new session announces; the later ones follow on from them
  for (const f of s.kept) {
    last = live.push(f.tMs, f.image, f.world, { width: f.width, height: f.height });
    for (const r of last.newReps) announced.push(repFromCore(r));
  }
  try { s.live.free(); } catch { /* already freed */ }
  s.live = live;
  s.exercise = exercise;
  s.recognised = exercise;
  s.kept = null;
  s.reps = announced;
  s.count = s.reps.length;
  s.announced = announced.map((r) => ({ verdict: r.verdict, cue: r.cue }));
  ui.renderChips(s.reps);
  $('rep-count').textContent = String(Math.max(s.count, (last && last.reps) || 0));
  $('live-exercise').textContent = ui.prettyName(exercise);
  if (exercise === 'plank') $('count-label').textContent = 's hold';
  showPickHint(false);
  status(`Recording ${ui.prettyName(exercise)}. Press Stop when the set is done.`);
  return true;
}

// A frame the core refused (the session is full after ANALYSIS_MAX_FRAMES, out of memory):
// the set ends there and what was recorded is kept.
function failSet(s, e) {
  if (s.failed) return;
  s.failed = e;
  showError(`The set was stopped: ${e && e.message ? e.message : e}`);
  console.error(e);
  setTimeout(stopSet, 0);
}

async function wakeLock() {
  try {
    if (navigator.wakeLock) return await navigator.wakeLock.request('screen');
  } catch { /* not allowed: fine */ }
  return null;
}

async function startSet() {
  if (app.set || app.setupState || !app.pose || !app.core) return;
  showError('');
  setState('starting');
  $('start').disabled = true;
  $('exercise').disabled = true;
  $('flip').disabled = true;
  const pick = $('exercise').value;
  const exercise = pick === 'auto' ? null : pick;
  const load = parseFloat($('load').value);
  const loadKg = Number.isFinite(load) && load > 0 && load <= 1000 ? load : null;
  status('Opening the camera…');
  try {
    await app.camera.open({ facing: app.camera.facing });
  } catch (e) {
    showError(e.message);
    status('Camera not available.');
    setState('ready');
    $('start').disabled = false;
    $('exercise').disabled = false;
    $('flip').disabled = false;
    return;
  }
  $('view').classList.toggle('mirrored', app.camera.facing === 'user');
  updateFlip();
  stopRest();
  ui.resetSetView();
  app.unsaved = null;
  showPickHint(false);
  ui.clearStage($('overlay'));
  $('stop').hidden = false;
  $('stop').disabled = false;
  $('start').hidden = true;
  if (handsFree()) {
    // the athlete walks to the spot: the pose is checked until they are placed, then 3-2-1
    const ok = await setupPhase(exercise);
    if (!ok) return; // stopped during the set-up
  }
  await beginRecording(exercise, loadKg);
}

// ---- hands-free: the set-up check and the countdown -----------------------------------------
// Frames go through the pose model only (no analysis); the skeleton and what to change are
// shown and said until the athlete has been placed for SETUP_HOLD_MS, then a spoken countdown.
const SETUP_HOLD_MS = 1000;
const SAY_EVERY_MS = 3500;

function setupPhase(exercise) {
  setState('setup');
  status('Set-up: place yourself so the camera sees your whole body.');
  const video = $('video');
  const st = { okSince: null, lastSaid: '', lastSaidAt: 0, done: false, cancelled: false, inflight: false };
  app.setupState = st;
  app.rateTimes = []; // the rate is measured per phase: the gap before it is not a frame's
  return new Promise((resolve) => {
    st.finish = (ok) => { if (st.done) return; st.done = true; app.setupState = null; resolve(ok); };
    const onFrame = async (now, md) => {
      if (st.done) return;
      video.requestVideoFrameCallback(onFrame);
      if (st.inflight || app.pose.busy) return;
      st.inflight = true;
      try {
        const res = await app.pose.estimate(video, performance.now());
        if (st.done || !res) return;
        noteFrameDone(performance.now());
        const chk = setupCheck(res.image, exercise, { width: video.videoWidth, height: video.videoHeight });
        ui.drawSkeleton($('overlay'), res.image, video.videoWidth, video.videoHeight, chk.ok ? 'good' : null);
        $('setup').textContent = chk.text;
        $('setup').dataset.code = chk.code;
        const t = performance.now();
        if (chk.text !== st.lastSaid || t - st.lastSaidAt > SAY_EVERY_MS * 2) {
          if (t - st.lastSaidAt > SAY_EVERY_MS || chk.ok) { app.voice.say(chk.text); st.lastSaid = chk.text; st.lastSaidAt = t; }
        }
        if (!chk.ok) { st.okSince = null; return; }
        if (st.okSince === null) st.okSince = t;
        if (t - st.okSince >= SETUP_HOLD_MS) {
          st.done = true;
          await countdown();
          app.setupState = null;
          resolve(!st.cancelled);
        }
      } finally {
        st.inflight = false;
      }
    };
    video.requestVideoFrameCallback(onFrame);
  });
}

// "3, 2, 1, go", spoken and shown large, one second apart.
async function countdown() {
  setState('countdown');
  const box = $('setup');
  for (const w of ['3', '2', '1']) {
    box.textContent = w;
    box.dataset.code = 'countdown';
    $('rep-count').textContent = w;
    app.voice.say(w);
    await new Promise((r) => setTimeout(r, 1000));
  }
  box.textContent = '';
  app.voice.say('Go');
}

// ---- the set ---------------------------------------------------------------------------------
async function beginRecording(exercise, loadKg) {
  const t0 = performance.now();
  const startedAtMs = Date.now();
  const s = newSetState(exercise, loadKg, t0, startedAtMs);
  const video = $('video');
  try {
    s.width = video.videoWidth;
    s.height = video.videoHeight;
    s.live = app.core.newLiveSession({ exercise, width: s.width, height: s.height });
  } catch (e) {
    app.camera.close();
    showError(`The analysis could not start: ${e.message}`);
    setState('ready');
    $('stop').hidden = true;
    $('start').hidden = false;
    $('start').disabled = false;
    $('exercise').disabled = false;
    $('flip').disabled = false;
    return;
  }
  s.wake = await wakeLock();
  ui.resetSetView();
  $('setup').textContent = '';
  s.setNo = currentSession().sets + 1;
  s.target = targets();
  showProgress(s);
  delete document.body.dataset.firstFrame;
  delete document.body.dataset.processedFrames;
  delete document.body.dataset.presentedFrames;
  $('live-exercise').textContent = exercise ? ui.prettyName(exercise) : 'recognising…';
  if (exercise === 'plank') $('count-label').textContent = 's hold';
  app.set = s;
  app.rateTimes = [];
  $('stop').hidden = false;
  $('start').hidden = true;
  if (handsFree()) app.voice.say('Go');
  const ends = handsFree() ? 'The set stops by itself when you finish.' : 'Press Stop when the set is done.';
  status(exercise ? `Recording ${ui.prettyName(exercise)}. ${ends}` : `Recording. The exercise is recognised from your movement. ${ends}`);
  setState('recording');
  video.requestVideoFrameCallback(onVideoFrame);
}

async function stopSet() {
  if (app.setupState) { // stopped before the set began: back to ready, nothing recorded
    app.setupState.cancelled = true;
    if (app.setupState.finish) app.setupState.finish(false);
    app.camera.close();
    ui.clearStage($('overlay'));
    $('setup').textContent = '';
    $('stop').hidden = true;
    $('start').hidden = false;
    $('start').disabled = false;
    $('exercise').disabled = false;
    $('flip').disabled = false;
    status('Set-up stopped. Press Start when ready.');
    setState('ready');
    return;
  }
  const s = app.set;
  if (!s || s.stopping) return;
  s.stopping = true;
  setState('stopping');
  $('stop').disabled = true;
  if (s.inflight) await s.inflight;
  const durationMs = performance.now() - s.t0;
  app.camera.close();
  ui.clearStage($('overlay'));
  showPickHint(false);
  if (s.wake) s.wake.release().catch(() => {});
  publishStats(s);
  if (s.autoStop) (window.__autoStops = window.__autoStops || []).push(s.autoStop);
  let report = null;
  try {
    report = s.live.report();
  } catch (e) {
    showError(`The set report failed: ${e.message}`);
  }
  window.__lastReport = report;
  try { s.live.free(); } catch { /* already freed */ }
  app.set = null;
  // A set too short for the running rate (its frames since the last switch are under 8 or span
  // under 1.5 s) is judged on its own rate: under the floor the next set starts on lite. Any set
  // under the floor (all its frames, across a switch) gets the summary's note that its verdicts
  // came from few frames.
  const onModel = s.doneTimes.slice(s.modelFrom);
  const rate = setRate(onModel);
  if (MODEL_AUTO && !app.pendingSwitch && modelName() === 'full' && analysisRate(onModel) === null &&
      chooseModel({ current: 'full', rate, floor: MIN_FPS }) === 'lite') {
    app.pendingSwitch = { from: 'full', to: 'lite', fps: Number(rate.toFixed(2)), floor: MIN_FPS, at_ms: Math.round(durationMs), phase: 'after the set', rule: 'set rate' };
  }
  if (app.pendingSwitch) { switchModel(app.pendingSwitch); app.pendingSwitch = null; } // the set is over: the next one starts on lite
  const set = finishSet({ exercise: s.exercise || s.recognised, liveReps: s.reps, report });
  const low = lowRateNote(setRate(s.doneTimes), MIN_FPS, { hold: set.exercise === 'plank' });
  $('sum-rate').textContent = low || '';
  $('sum-rate').hidden = !low;
  // not recognised: the frames stay for a pick after the set (analysed again as that exercise)
  app.unsaved = !set.exercise && s.kept && s.kept.length ? { kept: s.kept, s, durationMs } : null;
  await saveSet(set, s, durationMs);
  if (app.unsaved) showPickHint(true, 'after');
  window.__lastSet = set;
  await refreshSessions();
  $('stop').hidden = true;
  $('stop').disabled = false;
  $('start').hidden = false;
  $('start').disabled = false;
  $('exercise').disabled = false;
  $('flip').disabled = false;
  status('Set finished. Press Start for the next set.');
  setState('done');
  afterSet(s);
}

// Hands-free: after a set, the rest timer; at its end the next set starts by itself (set-up
// check and countdown first) until the target's sets are done.
function afterSet(s) {
  if (!handsFree()) return;
  const t = targets();
  const done = currentSession().sets;
  if (t.sets && done >= t.sets) {
    status(`Workout done: ${done} sets.`);
    app.voice.say('Workout complete. Well done.');
    return;
  }
  startRest(restSeconds() * 1000);
}

function startRest(ms) {
  stopRest();
  const end = performance.now() + ms;
  const box = $('rest');
  box.hidden = false;
  app.voice.say(`Rest. Next set in ${Math.round(ms / 1000)} seconds.`);
  let said3 = false;
  const tick = () => {
    const left = end - performance.now();
    $('rest-clock').textContent = clock(left);
    if (left <= 3000 && !said3) { said3 = true; app.voice.say('Get ready'); }
    if (left <= 0) { stopRest(); startSet(); return; }
    app.restTimer = setTimeout(tick, 250);
  };
  tick();
}

function stopRest() {
  clearTimeout(app.restTimer);
  app.restTimer = null;
  $('rest').hidden = true;
}

function handsFree() {
  return $('handsfree').checked;
}

// The targets: sets x reps (null when not given).
function targets() {
  const n = (id, max) => { const v = parseInt($(id).value, 10); return Number.isFinite(v) && v > 0 && v <= max ? v : null; };
  return { sets: n('target-sets', 20), reps: n('target-reps', 100) };
}

function restSeconds() {
  const v = parseInt($('rest-s').value, 10);
  return Number.isFinite(v) && v >= 5 && v <= 600 ? v : 60;
}

function showProgress(s) {
  const txt = progressText({ setNo: s.setNo, sets: s.target.sets, reps: s.target.reps, count: Math.max(s.count, s.counted || 0) });
  $('progress').textContent = txt;
  $('progress').hidden = !txt;
}

// After a set that was not recognised: its kept frames analysed as `exercise`, then saved.
async function saveUnrecognisedAs(exercise) {
  const u = app.unsaved;
  if (!u || !app.core) return;
  app.unsaved = null;
  showPickHint(false);
  const report = app.core.analyze(u.kept, { exercise });
  window.__lastReport = report;
  const set = finishSet({ exercise, liveReps: [], report });
  await saveSet(set, u.s, u.durationMs);
  window.__lastSet = set;
  await refreshSessions();
}

// Summary, chips and counter of a finished set, and the set kept on the device (then synced).
async function saveSet(set, s, durationMs) {
  // the chips now show the set's final reps: the batch analysis of the whole set may close a rep
  // after the last announced one or judge a rep with more context; what is shown is what is kept
  ui.renderChips(set.reps);
  // no rep was announced during the set (a short set, judged only at Stop): the indicator would
  // still say "Go" beside a red chip; it shows the set's last rep instead
  if ($('indicator').dataset.verdict === 'none' && set.reps.length) ui.showIndicator(set.reps[set.reps.length - 1], set.reps.length);
  let savedText;
  try {
    if (set.exercise === 'plank' && !(set.hold_ms > 0)) throw new Error('no plank hold was seen: nothing to save');
    if (set.exercise !== 'plank' && set.reps.length === 0) throw new Error('no reps were counted: nothing to save');
    let userId = null;
    try { userId = app.api && app.api.session.isLoggedIn() ? app.api.session.userId : null; } catch { /* no api */ }
    const sess = noteSetInSession();
    const rec = buildSession({ ...set, startedAtMs: s.startedAtMs, durationMs, loadKg: s.loadKg, userId, exercises: app.core && app.core.exercises, sessionId: sess.id, setNumber: sess.sets });
    await putSession(rec);
    window.__lastSession = rec;
    savedText = 'Saved on this device.';
    app.syncer.syncNow().then(async () => {
      await refreshSessions();
      const now = await getSession(rec.client_id).catch(() => null);
      if (now && now.state === 'synced' && $('sum-saved').textContent === savedText) $('sum-saved').textContent = 'Saved on this device and synced to your history.';
    });
  } catch (e) {
    savedText = set.exercise ? `Not saved: ${e.message}.`
      : app.unsaved ? 'Not saved yet: the exercise was not recognised. Pick it above to count and save this set.'
        : 'Not saved: the exercise was not recognised. Pick the exercise before the next set.';
  }
  ui.showSummary(set, { durationMs, savedText });
  $('rep-count').textContent = set.exercise === 'plank' && set.hold_ms !== null ? (set.hold_ms / 1000).toFixed(0) : String(set.summary.reps);
}

// ---- camera flip (phones) -------------------------------------------------------------------
async function updateFlip() {
  const n = await Camera.count();
  $('flip').hidden = n < 2;
  $('flip').textContent = app.camera.facing === 'user' ? 'Use back camera' : 'Use front camera';
}

function flip() {
  if (app.set) return;
  app.camera.facing = app.camera.facing === 'user' ? 'environment' : 'user';
  updateFlip();
}

// The button is a toggle named "Voice": pressed = the coach speaks. Its text says the state.
function showVoice() {
  const b = $('mute');
  b.setAttribute('aria-pressed', String(!app.voice.muted));
  b.textContent = app.voice.muted ? 'Voice: off' : 'Voice: on';
}

// Full-screen workout mode: the stage fills the screen, the count is read from 3 m.
async function toggleWorkoutMode() {
  const on = !document.body.classList.contains('workout');
  document.body.classList.toggle('workout', on);
  $('fullscreen').setAttribute('aria-pressed', String(on));
  try {
    if (on && document.documentElement.requestFullscreen && !document.fullscreenElement) await document.documentElement.requestFullscreen();
    if (!on && document.fullscreenElement) await document.exitFullscreen();
  } catch { /* not allowed here: the layout still changes */ }
}

function toggleMute() {
  app.voice.setMuted(!app.voice.muted);
  showVoice();
}

// ---- start-up -----------------------------------------------------------------------------------
async function main() {
  setState('loading');
  $('start').addEventListener('click', startSet);
  $('stop').addEventListener('click', stopSet);
  $('flip').addEventListener('click', flip);
  $('mute').addEventListener('click', toggleMute);
  $('fullscreen').addEventListener('click', toggleWorkoutMode);
  $('skip-rest').addEventListener('click', () => { stopRest(); startSet(); });
  document.addEventListener('fullscreenchange', () => { if (!document.fullscreenElement && document.body.classList.contains('workout')) toggleWorkoutMode(); });
  if (params.get('handsfree') === '0') $('handsfree').checked = false;
  else if (params.get('handsfree') === '1') $('handsfree').checked = true;
  else { try { $('handsfree').checked = localStorage.getItem('repright.live.handsfree') !== '0'; } catch { /* storage blocked */ } }
  $('handsfree').addEventListener('change', () => { try { localStorage.setItem('repright.live.handsfree', $('handsfree').checked ? '1' : '0'); } catch { /* storage blocked */ } });
  if (!app.voice.available) $('mute').hidden = true;
  showVoice();
  $('pick-go').addEventListener('click', () => {
    const ex = $('pick-exercise').value;
    if (app.set) pickExercise(ex); else saveUnrecognisedAs(ex);
  });
  document.addEventListener('visibilitychange', () => { if (document.hidden && (app.set || app.setupState)) stopSet(); if (document.hidden) stopRest(); });
  // a login in another tab (the dashboard) syncs the sets kept while signed out
  window.addEventListener('storage', (e) => {
    if (e.key === 'repright.session') { showAccount(); app.syncer.syncNow(); }
  });
  showAccount(); // the exercise list arrives with the analysis core (the registry, compiled in)
  app.syncer = new Syncer({ onChange: (st) => { ui.showSyncStatus(st); refreshSessions(); } });
  app.syncer.start();
  refreshSessions();
  if (!Camera.supported()) showError('This browser cannot use a camera here (a camera needs https or localhost and a recent browser).');
  updateFlip();

  const t0 = performance.now();
  const [core, pose] = await Promise.allSettled([loadCore(), loadPose()]);
  const problems = [];
  if (core.status === 'fulfilled') {
    app.core = core.value;
    if (Array.isArray(app.core.exercises) && app.core.exercises.length) fillExercises(app.core.exercises);
  } else {
    problems.push(`the analysis core did not load (${core.reason && core.reason.message})`);
  }
  if (pose.status === 'fulfilled') {
    app.pose = pose.value.est;
    window.__liveLoad = { load_ms: performance.now() - t0, warm_up_ms: pose.value.warmMs, model: modelName(), model_auto: MODEL_AUTO };
    showModel();
  } else {
    problems.push(`the pose model did not load (${pose.reason && pose.reason.message})`);
  }
  // after the model and core have loaded: the install's downloads then revalidate what the
  // page already has instead of competing with the start-up
  registerServiceWorker();
  if (problems.length) {
    showError(`The live coach cannot run: ${problems.join('; ')}. Reload the page when online.`);
    status('Not ready.');
    setState('failed');
    return;
  }
  $('start').disabled = false;
  status('Ready. Pick the exercise (or let it be recognised), step back so your whole body is in view, and press Start.');
  setState('ready');
}

main();
