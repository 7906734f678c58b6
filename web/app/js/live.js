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
// starting | recording | stopping | done | failed; document.body.dataset.firstFrame is set when
// the set's first camera frame arrives, dataset.presentedFrames counts the stream's frames.

import { Camera } from './live-camera.js';
import { createPoseEstimator, warmUp } from './live-pose.js';
import { finishSet, buildSession, repFromCore, percentiles } from './live-set.js';
import { putSession, listSessions, getSession } from './live-store.js';
import { Syncer } from './live-sync.js';
import { registerServiceWorker } from './live-pwa.js';
import * as ui from './live-ui.js';

const { $ } = ui;
const params = new URLSearchParams(location.search);
const MODEL = params.get('model') === 'full' ? 1 : 0; // lite by default
const CPU = params.get('gpu') !== '1'; // TFLite on the CPU by default (?gpu=1: WebGL inference)

const app = {
  pose: null,
  core: null,
  camera: new Camera($('video')),
  voice: new ui.Voice(),
  syncer: null,
  set: null, // the set being recorded
  api: null,
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
  const est = await createPoseEstimator({ modelComplexity: MODEL, cpu: CPU });
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
    o.textContent = ui.prettyName(n);
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
    processed: 0,
    dropped: 0,
    noPose: 0,
    lastPresented: null,
    firstPresented: null,
    firstProcessedAt: null,
    lastProcessedAt: null,
    latencies: [],
    repLatencies: [],
    inflight: null,
    stopping: false,
    failed: null,
    lastStatsUpdate: 0,
    lastHoldUpdate: 0,
    timeSource: null,
  };
}

function statsOf(s) {
  const lat = percentiles(s.latencies);
  const span = s.firstProcessedAt !== null && s.lastProcessedAt > s.firstProcessedAt ? (s.lastProcessedAt - s.firstProcessedAt) / 1000 : 0;
  const fps = span > 0 ? (s.processed - 1) / span : 0;
  return {
    fps,
    latency_median_ms: lat.median,
    latency_p95_ms: lat.p95,
    rep_latency_ms: s.repLatencies.slice(),
    frames: s.frames,
    processed: s.processed,
    dropped: s.dropped,
    no_pose: s.noPose,
    reps: s.count,
    announced: s.announced.slice(),
    exercise: s.recognised || s.exercise,
    model: MODEL === 0 ? 'lite' : 'full',
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
  const res = await app.pose.estimate(video, tCap);
  if (!res || app.set !== s) return;
  const tRel = Math.max(0, tCap - s.t0);
  let size; // tell the core when the picture size changes (a phone turned)
  if (video.videoWidth !== s.width || video.videoHeight !== s.height) {
    s.width = video.videoWidth;
    s.height = video.videoHeight;
    size = { width: s.width, height: s.height };
  }
  const out = s.live.push(tRel, res.image, res.world, size);
  if (!res.image) s.noPose++;
  ui.drawSkeleton($('overlay'), res.image, video.videoWidth, video.videoHeight);
  if (out && out.exercise && out.exercise !== s.recognised) {
    s.recognised = out.exercise;
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
    app.voice.say(ui.speechFor(rep, s.count));
  }
  // The counter moves as soon as the core counts a rep (out.reps); the indicator, cue and voice
  // wait for its verdict, which comes once the movement has ended (newReps).
  const counted = out && Number.isFinite(out.reps) ? out.reps : 0;
  if ((s.recognised || s.exercise) !== 'plank') $('rep-count').textContent = String(Math.max(s.count, counted));
  const t = performance.now();
  if ((s.recognised || s.exercise) === 'plank' && t - s.lastHoldUpdate > 1000) {
    s.lastHoldUpdate = t;
    const rep = s.live.report();
    const hs = rep && rep.hold && Number.isFinite(rep.hold.hold_s) ? rep.hold.hold_s : 0;
    $('rep-count').textContent = hs.toFixed(0);
  }
  const lat = performance.now() - tCap; // camera frame -> indicator, counter and skeleton updated
  s.latencies.push(lat);
  if (newReps.length) s.repLatencies.push(lat);
  s.processed++;
  if (s.firstProcessedAt === null) s.firstProcessedAt = t;
  s.lastProcessedAt = t;
  if (t - s.lastStatsUpdate > 500) { s.lastStatsUpdate = t; publishStats(s); }
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
  if (app.set || !app.pose || !app.core) return;
  const t0 = performance.now();
  const startedAtMs = Date.now();
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
    $('start').disabled = false;
    $('exercise').disabled = false;
    return;
  }
  s.wake = await wakeLock();
  ui.resetSetView();
  delete document.body.dataset.firstFrame;
  delete document.body.dataset.presentedFrames;
  $('live-exercise').textContent = exercise ? ui.prettyName(exercise) : 'recognising…';
  if (exercise === 'plank') $('count-label').textContent = 's hold';
  app.set = s;
  $('stop').hidden = false;
  $('start').hidden = true;
  status(exercise ? `Recording ${ui.prettyName(exercise)}. Press Stop when the set is done.` : 'Recording. The exercise is recognised from your movement.');
  setState('recording');
  video.requestVideoFrameCallback(onVideoFrame);
}

async function stopSet() {
  const s = app.set;
  if (!s || s.stopping) return;
  s.stopping = true;
  setState('stopping');
  $('stop').disabled = true;
  if (s.inflight) await s.inflight;
  const durationMs = performance.now() - s.t0;
  app.camera.close();
  ui.drawSkeleton($('overlay'), null, $('overlay').width, $('overlay').height);
  if (s.wake) s.wake.release().catch(() => {});
  publishStats(s);
  let report = null;
  try {
    report = s.live.report();
  } catch (e) {
    showError(`The set report failed: ${e.message}`);
  }
  try { s.live.free(); } catch { /* already freed */ }
  app.set = null;
  const set = finishSet({ exercise: s.exercise || s.recognised, liveReps: s.reps, report });
  // the chips now show the set's final reps: the batch analysis of the whole set may close a rep
  // after the last announced one or judge a rep with more context; what is shown is what is kept
  ui.renderChips(set.reps);
  let savedText;
  try {
    if (set.exercise === 'plank' && !(set.hold_ms > 0)) throw new Error('no plank hold was seen: nothing to save');
    if (set.exercise !== 'plank' && set.reps.length === 0) throw new Error('no reps were counted: nothing to save');
    let userId = null;
    try { userId = app.api && app.api.session.isLoggedIn() ? app.api.session.userId : null; } catch { /* no api */ }
    const rec = buildSession({ ...set, startedAtMs: s.startedAtMs, durationMs, loadKg: s.loadKg, userId, exercises: app.core && app.core.exercises });
    await putSession(rec);
    window.__lastSession = rec;
    savedText = 'Saved on this device.';
    app.syncer.syncNow().then(async () => {
      await refreshSessions();
      const now = await getSession(rec.client_id).catch(() => null);
      if (now && now.state === 'synced' && $('sum-saved').textContent === savedText) $('sum-saved').textContent = 'Saved on this device and synced to your history.';
    });
  } catch (e) {
    savedText = `Not saved: ${e.message}.`;
  }
  ui.showSummary(set, { durationMs, savedText });
  $('rep-count').textContent = set.exercise === 'plank' && set.hold_ms !== null ? (set.hold_ms / 1000).toFixed(0) : String(set.summary.reps);
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

function toggleMute() {
  app.voice.setMuted(!app.voice.muted);
  const b = $('mute');
  b.setAttribute('aria-pressed', String(app.voice.muted));
  b.textContent = app.voice.muted ? 'Voice off' : 'Voice on';
}

// ---- start-up -----------------------------------------------------------------------------------
async function main() {
  setState('loading');
  $('start').addEventListener('click', startSet);
  $('stop').addEventListener('click', stopSet);
  $('flip').addEventListener('click', flip);
  $('mute').addEventListener('click', toggleMute);
  if (!app.voice.available) { $('mute').hidden = true; } else if (app.voice.muted) { app.voice.muted = false; toggleMute(); }
  document.addEventListener('visibilitychange', () => { if (document.hidden && app.set) stopSet(); });
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
    window.__liveLoad = { load_ms: performance.now() - t0, warm_up_ms: pose.value.warmMs, model: MODEL === 0 ? 'lite' : 'full' };
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
