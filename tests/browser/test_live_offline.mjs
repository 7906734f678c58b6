// test_live_offline.mjs - a live set recorded with no network: the service worker serves the
// whole app (page, JS, MediaPipe lite, WASM core) after an offline reload, the set waits in
// IndexedDB, and when the network returns it syncs to POST /v1/sync: the server's history has
// it with the page's reps and the dashboard's history lists it. Also: a set the server refuses
// is marked rejected (not retried), a set kept while signed out syncs after the login.
import fs from 'node:fs';
import path from 'node:path';
import {
  run, requireShared, startServer, launchBrowser, clipToY4m, screenshot, recordMeasurement,
  registerAndLogin, api, ENV,
} from './lib/harness.mjs';
import {
  clipInfo, repsWithinOne, signedInContext, collectConsole, openLive, recordSet, serverWorkouts, waitState,
} from './lib/live_helpers.mjs';

const shared = requireShared();
const CLIP = process.env.RR_LIVE_OFFLINE_CLIP || 'squat_side_BAD_heels_k_i002.mp4';

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

// The sessions the page keeps in IndexedDB (web/app/js/live-store.js).
function storedSessions(page) {
  return page.evaluate(async () => {
    const m = await import('/js/live-store.js');
    return m.listSessions();
  });
}

await run('browser/test_live_offline', async () => {
  const server = await startServer();
  const user = await registerAndLogin(server);
  const clip = clipInfo(shared, CLIP);
  const browser = await launchBrowser({ fakeCamera: clipToY4m(clip.path, { width: 480 }) });
  const ctx = await signedInContext(browser, user);
  const page = await ctx.newPage();
  const lines = collectConsole(page);

  // Online first visit: the service worker installs and caches the app shell.
  await openLive(page, server, lines);
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((r) => navigator.serviceWorker.addEventListener('controllerchange', r, { once: true }));
    }
  });
  const cached = await page.evaluate(async () => {
    const out = [];
    for (const k of await caches.keys()) for (const r of await (await caches.open(k)).keys()) out.push(new URL(r.url).pathname);
    return out;
  });
  for (const f of ['/live.html', '/js/live.js', '/js/analysis-core.js', '/wasm/rr_analysis.wasm', '/vendor/mediapipe-pose/pose_landmark_lite.tflite', '/vendor/mediapipe-pose/pose_landmark_full.tflite']) {
    assert(cached.includes(f), `${f} is not in the service worker cache (${cached.join(', ')})`);
  }
  if (fs.existsSync(path.join(ENV.webDir, 'index.html'))) {
    // the dashboard's files are found by following '/' and its module imports
    for (const f of ['/', '/js/app.js', '/css/app.css']) {
      if (fs.existsSync(path.join(ENV.webDir, f === '/' ? 'index.html' : f))) assert(cached.includes(f), `${f} is not in the service worker cache`);
    }
  }
  assert(!cached.some((p) => p.startsWith('/v1/')), `an API answer was cached: ${cached.filter((p) => p.startsWith('/v1/'))}`);

  // Offline: the reload is answered by the service worker and the page gets ready again.
  await ctx.setOffline(true);
  const t0 = Date.now();
  const resp = await page.reload();
  assert(resp && resp.fromServiceWorker(), 'the offline reload was not answered by the service worker');
  const st = await waitState(page, ['ready', 'failed']);
  assert(st === 'ready', `offline page not ready: ${await page.textContent('[data-testid=error]')}\n${lines.join('\n')}`);
  const offlineReadyMs = Date.now() - t0;
  assert(await page.evaluate(() => navigator.onLine === false), 'the page does not see itself offline');

  const r = await recordSet(page, { exercise: clip.exercise, seconds: clip.duration, frames: clip.y4mFrames });
  assert(!r.error, `page error: ${r.error}`);
  assert(repsWithinOne(r.liveCount, clip), `offline set counted ${r.liveCount}, ground truth ${clip.reps}`);
  await page.waitForFunction(() => document.querySelector('[data-testid=sync-status]').dataset.pending === '1', null, { timeout: 15000 });
  await screenshot(page, 'live-offline-pending');
  let stored = await storedSessions(page);
  assert(stored.length === 1 && stored[0].state === 'pending', `IndexedDB: ${JSON.stringify(stored.map((s) => s.state))}`);
  const rec = stored[0];
  assert(rec.reps.length === Number(r.summaryReps), `stored ${rec.reps.length} reps, summary ${r.summaryReps}`);
  assert((await serverWorkouts(server, user.access_token)).length === 0, 'the server got the set while offline');

  // Back online: the 'online' event syncs the waiting set.
  const t1 = Date.now();
  await ctx.setOffline(false);
  await page.waitForFunction(() => document.querySelector('[data-testid=sync-status]').dataset.synced === '1', null, { timeout: 30000 });
  const syncMs = Date.now() - t1;
  stored = await storedSessions(page);
  assert(stored[0].state === 'synced' && stored[0].workout_id, `after sync: ${JSON.stringify(stored[0])}`);
  await screenshot(page, 'live-offline-synced');
  const items = await serverWorkouts(server, user.access_token);
  assert(items.length === 1, `server has ${items.length} workouts`);
  const w = items[0];
  assert(w.id === stored[0].workout_id && w.exercise === clip.exercise && w.source === 'device', `server workout ${JSON.stringify(w)}`);
  const d = await api(server, 'GET', `/v1/workouts/${w.id}`, { token: user.access_token });
  const sreps = (d.json.sets || []).flatMap((s) => s.reps || []);
  assert(sreps.length === rec.reps.length, `server has ${sreps.length} reps, the page recorded ${rec.reps.length}`);
  assert(sreps.map((x) => x.verdict).join() === rec.reps.map((x) => x.verdict).join(), 'rep verdicts differ after sync');
  // Syncing again is idempotent (same client_id -> same workout, nothing new).
  const again = await api(server, 'POST', '/v1/sync', { token: user.access_token, json: (await import(path.join(ENV.webDir, 'js', 'live-set.js'))).toSyncBody(rec) });
  assert(again.status === 200 && again.json.workout_id === w.id && again.json.created === false, `repeat sync: ${again.status} ${again.text}`);
  assert((await serverWorkouts(server, user.access_token)).length === 1, 'a repeated sync created a second workout');

  // Sync outcomes besides success, driven through the page's own Syncer ('online' event):
  // a set the server refuses (422) is marked rejected and not retried; a set kept while signed
  // out waits ("signed_out") and goes to the account that logs in.
  const put = (patch) => page.evaluate(async (pt) => {
    const set = await import('/js/live-set.js');
    const store = await import('/js/live-store.js');
    const rec = set.buildSession({ exercise: 'squat', reps: [{ t_start: 0.5, t_end: 2, score: 90, verdict: 'good', faults: [] }],
      summary: { mean_score: 90 }, startedAtMs: Date.now(), durationMs: 3000 });
    await store.putSession({ ...rec, ...pt });
    return rec.client_id;
  }, patch);
  const stateOf = (id) => page.evaluate(async (cid) => (await (await import('/js/live-store.js')).getSession(cid)).state, id);
  // poll from Node: an async predicate in waitForFunction is not awaited
  const waitStateOf = async (id, ok, what) => {
    const until = Date.now() + 15000;
    let st;
    while (!ok((st = await stateOf(id)))) {
      if (Date.now() > until) throw new Error(`${what}: still ${st}`);
      await page.waitForTimeout(50);
    }
    return st;
  };
  const syncStatus = () => page.evaluate(() => ({ ...document.querySelector('[data-testid=sync-status]').dataset }));
  const bad = await put({ started_at: 'yesterday' });
  await page.evaluate(() => window.dispatchEvent(new Event('online')));
  assert((await waitStateOf(bad, (x) => x !== 'pending', 'the invalid set')) === 'rejected', `an invalid set is ${await stateOf(bad)}`);
  const saved = await page.evaluate((k) => { const v = localStorage.getItem(k); localStorage.removeItem(k); return v; }, 'repright.session');
  const waiting = await put({});
  await page.evaluate(() => window.dispatchEvent(new Event('online')));
  await page.waitForFunction(() => document.querySelector('[data-testid=sync-status]').dataset.state === 'signed_out', null, { timeout: 15000 });
  assert((await stateOf(waiting)) === 'pending', 'a signed-out set left the pending state');
  await page.evaluate(([k, v]) => { localStorage.setItem(k, v); window.dispatchEvent(new Event('online')); }, ['repright.session', saved]);
  await waitStateOf(waiting, (x) => x === 'synced', 'the set kept while signed out');
  assert((await serverWorkouts(server, user.access_token)).length === 2, 'the set kept while signed out did not reach the account');
  assert((await stateOf(bad)) === 'rejected', 'the rejected set was retried');
  console.log(`sync status after the outcome checks: ${JSON.stringify(await syncStatus())}`);

  // The dashboard's history lists it (when the dashboard is built).
  if (fs.existsSync(path.join(ENV.webDir, 'index.html'))) {
    await page.goto(`${server.url}/#/workouts`);
    await page.waitForSelector(`a[href$="${w.id}"]`, { timeout: 30000 });
    await screenshot(page, 'live-offline-history');
  } else {
    console.log('note: no dashboard (index.html) in the web dir: history checked through the API only');
  }
  recordMeasurement('live_offline', { clip: CLIP, offline_reload_ready_ms: offlineReadyMs, sync_after_online_ms: syncMs, reps: rec.reps.length });
});
