// test_dashboard.mjs - the dashboard end to end in Chromium against a real `repright serve`:
// register -> upload a real labelled-bad clip through the UI (tus) -> job progress reaches done
// -> the workout replays with the skeleton drawn over the video and one chip per reported rep
// (a red one for the bad clip; a click seeks) -> the workout list -> analytics show the set ->
// CSV/JSON export -> settings and log out. Screenshots of every main screen at phone (390x844)
// and laptop (1280x800) sizes; first-load size and time to interactive are recorded.
import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { run, requireShared, startServer, launchBrowser, screenshot, recordMeasurement, api } from './lib/harness.mjs';

const CLIP = 'squat_side_BAD_heels_k_i002.mp4';
const PHONE = { width: 390, height: 844 };
const LAPTOP = { width: 1280, height: 800 };

async function shoot(page, name) {
  await screenshot(page, `dashboard-${name}-phone`);
  await page.setViewportSize(LAPTOP);
  await page.waitForTimeout(150);
  await screenshot(page, `dashboard-${name}-laptop`);
  await page.setViewportSize(PHONE);
}

await run('dashboard', async () => {
  const shared = requireShared();
  const clip = path.join(shared, 'media', 'videos', CLIP);
  assert.ok(fs.existsSync(clip), `${clip} missing`);
  const server = await startServer({ args: ['--workers', '1'] });
  const browser = await launchBrowser();

  // ---- cold first load: bytes transferred and time until the app has rendered its first view
  {
    const ctx = await browser.newContext({ viewport: LAPTOP });
    const page = await ctx.newPage();
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    let bytes = 0;
    let requests = 0;
    cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength; requests++; });
    const t0 = Date.now();
    await page.goto(server.url + '/');
    await page.waitForFunction(() => document.body.dataset.ready === '1' && document.querySelector('[data-testid="login-form"]'));
    const wallMs = Date.now() - t0;
    const tti = await page.evaluate(() => performance.now());
    await page.waitForLoadState('networkidle');
    recordMeasurement('dashboard_first_load', { bytes, requests, time_to_interactive_ms: Math.round(tti), wall_ms: wallMs });
    assert.ok(bytes > 1000 && bytes < 2_000_000, `first load ${bytes} bytes`);
    await ctx.close();
  }

  const ctx = await browser.newContext({ viewport: PHONE, acceptDownloads: true });
  const page = await ctx.newPage();
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));

  // ---- login screen (unauthenticated -> #/login), then register
  await page.goto(server.url + '/');
  await page.waitForSelector('[data-testid="login-form"]');
  assert.match(page.url(), /#\/login$/);
  await shoot(page, 'login');
  await page.click('[data-testid="to-register"]');
  await page.waitForSelector('[data-testid="register-form"]');
  const email = `dash-${Date.now()}@example.com`;
  const password = 'correct horse battery staple';
  await page.fill('[data-testid="auth-email"]', email);
  await page.fill('[data-testid="auth-password"]', password);
  await page.click('[data-testid="auth-submit"]');

  // ---- upload through the tus client
  await page.waitForSelector('[data-testid="upload-screen"]');
  await shoot(page, 'upload');
  await page.setInputFiles('[data-testid="upload-file"]', clip);
  await page.waitForURL(/#\/jobs\/[0-9a-f]{32}/, { timeout: 120000 });
  const jobId = page.url().match(/#\/jobs\/([0-9a-f]{32})/)[1];
  await page.waitForSelector('[data-testid="job-screen"]');
  await shoot(page, 'progress');
  await page.waitForSelector('[data-testid="job-state"][data-state="done"]', { timeout: 600000 });
  const pct = await page.textContent('[data-testid="job-percent"]');
  assert.equal(pct.trim(), '100 %');
  await page.waitForSelector('[data-testid="job-open-workout"]', { timeout: 30000 });

  const token = await page.evaluate(() => JSON.parse(localStorage.getItem('repright.session')).access_token);
  const job = await api(server, 'GET', `/v1/jobs/${jobId}`, { token });
  assert.equal(job.json.state, 'done');
  const vid = await api(server, 'GET', `/v1/videos/${job.json.video_id}`, { token });
  const report = vid.json.report;
  assert.ok(report && report.reps.length >= 1, 'the report has reps');
  const uploaded = fs.statSync(clip).size;
  assert.equal(vid.json.size, uploaded, 'the tus upload stored the whole file');

  // ---- workout detail: video, skeleton, rep chips
  await page.click('[data-testid="job-open-workout"]');
  await page.waitForSelector('[data-testid="detail-screen"][data-loaded="1"]', { timeout: 60000 });
  await page.waitForFunction(() => document.querySelector('[data-testid="detail-video"]').readyState >= 2, null, { timeout: 30000 });
  // streamed from a signed link (no Bearer header, no download into a blob first)
  const src = await page.$eval('[data-testid="detail-video"]', (v) => v.currentSrc);
  assert.match(src, /\/v1\/videos\/[0-9a-f]+\/original\?uid=[0-9a-f]+&exp=\d+&sig=[0-9a-f]{64}$/, src);
  const chips = await page.$$eval('[data-testid="rep-chip"]', (els) => els.map((e) => ({ verdict: e.dataset.verdict, t0: Number(e.dataset.t0) })));
  assert.equal(chips.length, report.reps.length, 'one chip per reported rep');
  assert.deepEqual(chips.map((c) => c.verdict), report.reps.map((r) => r.verdict));
  assert.ok(chips.some((c) => c.verdict === 'bad'), 'the labelled-bad clip has a red chip');
  await page.evaluate(() => document.querySelector('[data-testid="detail-video"]').play());
  await page.waitForFunction(() => document.querySelector('[data-testid="detail-video"]').currentTime > 0.5, null, { timeout: 20000 });
  await page.evaluate(() => document.querySelector('[data-testid="detail-video"]').pause());
  const drawn = await page.evaluate(() => {
    const c = document.querySelector('[data-testid="skeleton-canvas"]');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
    return { n, w: c.width, h: c.height, segments: Number(c.dataset.segments) };
  });
  assert.ok(drawn.n > 500 && drawn.segments > 10, `skeleton drawn: ${JSON.stringify(drawn)}`);
  const bad = chips.findIndex((c) => c.verdict === 'bad');
  await page.click(`[data-testid="rep-chip"] >> nth=${bad}`);
  await page.waitForFunction((t0) => Math.abs(document.querySelector('[data-testid="detail-video"]').currentTime - t0) < 0.25, chips[bad].t0, { timeout: 10000 });
  const cue = (await page.textContent('[data-testid="rep-cue"]')).trim();
  assert.ok(cue.length > 3, 'the bad rep shows a cue');
  assert.equal(await page.getAttribute(`[data-testid="rep-chip"] >> nth=${bad}`, 'aria-pressed'), 'true');
  await shoot(page, 'detail');

  // ---- workout list
  await page.click('[data-testid="nav-workouts"]');
  await page.waitForSelector('[data-testid="workout-item"]');
  assert.equal(await page.locator('[data-testid="workout-item"]').count(), 1);
  await shoot(page, 'workouts');

  // 21 live sessions synced long ago (outside the analytics window): cursor pages and the date
  // filter, and the detail of a workout without a video (reps from the stored workout)
  for (let i = 0; i < 21; i++) {
    const day = String(1 + i).padStart(2, '0');
    const r = await api(server, 'POST', '/v1/sync', { token, json: {
      client_id: `dash-test-${i}`, started_at: `2025-03-${day}T10:00:00Z`, exercise: 'push_up', duration_ms: 20000, score: 70,
      reps: [{ t_start: 1, t_end: 2, score: 90, verdict: 'good' }, { t_start: 3, t_end: 4, score: 40, verdict: 'bad', faults: ['hips_sag'] },
        { t_start: 5, t_end: 6, score: 0, verdict: 'cannot_judge' }] } });
    assert.ok(r.status === 200 || r.status === 201, `sync ${r.status} ${r.text}`);
  }
  await page.reload();
  await page.waitForSelector('[data-testid="workout-item"]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="workout-item"]').length === 20);
  assert.equal(await page.isVisible('[data-testid="workouts-more"]'), true);
  await page.click('[data-testid="workouts-more"]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="workout-item"]').length === 22);
  assert.equal(await page.isVisible('[data-testid="workouts-more"]'), false);
  await page.fill('[data-testid="filter-from"]', '2025-03-05');
  await page.fill('[data-testid="filter-to"]', '2025-03-05');
  await page.click('[data-testid="filter-apply"]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="workout-item"]').length === 1);
  await page.click('[data-testid="workout-link"]');
  await page.waitForSelector('[data-testid="detail-screen"][data-loaded="1"]');
  await page.waitForSelector('[data-testid="detail-no-video"]');
  assert.deepEqual(await page.$$eval('[data-testid="rep-chip"]', (els) => els.map((e) => e.dataset.verdict)), ['good', 'bad', 'cannot_judge']);
  await page.keyboard.press('Tab'); // keyboard: chips are buttons
  await page.focus('[data-testid="rep-chip"] >> nth=1');
  await page.keyboard.press('Enter');
  assert.equal(await page.getAttribute('[data-testid="rep-chip"] >> nth=1', 'aria-pressed'), 'true');
  assert.match(await page.textContent('[data-testid="rep-cue"]'), /hips sag/);
  await page.goto(server.url + '/#/workouts');
  await page.waitForSelector('[data-testid="workout-item"]');
  await page.selectOption('[data-testid="filter-exercise"]', 'push_up');
  await page.click('[data-testid="filter-apply"]');
  await page.waitForFunction(() => [...document.querySelectorAll('.w-ex')].map((e) => e.textContent).join() === Array(20).fill('Push up').join());
  await page.selectOption('[data-testid="filter-exercise"]', 'plank');
  await page.click('[data-testid="filter-apply"]');
  await page.waitForSelector('[data-testid="workouts-empty"]');
  await page.selectOption('[data-testid="filter-exercise"]', report.exercise);
  await page.click('[data-testid="filter-apply"]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="workout-item"]').length === 1);

  // ---- analytics show the set; export
  await page.click('[data-testid="nav-analytics"]');
  await page.waitForSelector('[data-testid="analytics-screen"][data-loaded="1"]');
  const reps = Number(await page.textContent('[data-testid="total-reps"]'));
  assert.equal(reps, report.reps.length, 'analytics count the set\'s reps');
  assert.ok(await page.locator('[data-testid="chart-reps"] rect.bar').count() >= 1);
  assert.ok(await page.locator('[data-testid="chart-trend"] circle.dot').count() >= 1);
  assert.ok(await page.locator('[data-testid="record-row"]').count() >= 1);
  await shoot(page, 'analytics');
  for (const fmt of ['csv', 'json']) {
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click(`[data-testid="export-${fmt}"]`)]);
    const text = fs.readFileSync(await dl.path(), 'utf8');
    assert.ok(text.includes(vid.json.workout_id), `${fmt} export names the workout`);
  }

  // ---- settings, log out
  await page.click('[data-testid="nav-settings"]');
  await page.waitForSelector('[data-testid="settings-screen"]');
  await page.waitForFunction((e) => document.querySelector('[data-testid="settings-email"]').textContent === e, email);
  await shoot(page, 'settings');
  await page.click('[data-testid="logout"]');
  await page.waitForSelector('[data-testid="login-form"]');
  assert.equal(await page.evaluate(() => localStorage.getItem('repright.session')), null);

  assert.deepEqual(consoleErrors.filter((t) => !/serviceWorker|sw\.js/i.test(t)), [], 'no console errors');
});
