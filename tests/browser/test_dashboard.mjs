// test_dashboard.mjs - the dashboard end to end in Chromium against a real `repright serve`, as
// a person uses it: the first screen (what RepRight does, how to film, a sample result) ->
// register -> upload a real labelled-bad clip with its exercise chosen (tus) -> progress to done
// and a one-line result -> the replay: skeleton, rep counter and cue drawn on the video, our
// own controls (slow motion, frame step, jump to the worst rep), one chip per rep numbered from
// 1, measures in plain words -> the overlay video made only when asked, then shown and
// downloadable -> rename -> the workout list (rep counts, coloured by verdict: a set with a bad
// rep is never green) -> live sets (reps from 1, no "null", a can't-judge rep has no score) ->
// "analyse again as..." replaces the workout -> analytics (integer axes, fault labels whole,
// faults counted on bad reps only) -> export -> delete the workout and its video -> settings,
// log out. Screenshots of every main screen at phone (390x844) and laptop (1366x768) sizes;
// first-load size and time to interactive are recorded.
import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { run, requireShared, startServer, launchBrowser, screenshot, recordMeasurement, api } from './lib/harness.mjs';

const CLIP = 'squat_side_BAD_heels_k_i002.mp4';
const PHONE = { width: 390, height: 844 };
const LAPTOP = { width: 1366, height: 768 };

async function shoot(page, name) {
  await screenshot(page, `dashboard-${name}-phone`);
  await page.setViewportSize(LAPTOP);
  await page.waitForTimeout(150);
  await screenshot(page, `dashboard-${name}-laptop`);
  await page.setViewportSize(PHONE);
}

// Click after scrolling the element to the middle: on a phone the tab bar is fixed at the
// bottom, and an element scrolled just into view would sit under it.
async function tap(page, sel) {
  await page.locator(sel).first().evaluate((e) => e.scrollIntoView({ block: 'center' }));
  await page.click(sel);
}

const bodyText = (page) => page.evaluate(() => document.querySelector('main').innerText);

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

  // ---- the first screen: what it does, how to film, a sample result; then register
  await page.goto(server.url + '/');
  await page.waitForSelector('[data-testid="login-form"]');
  assert.match(page.url(), /#\/login$/);
  assert.match(await page.textContent('[data-testid="intro"]'), /counts every rep/);
  assert.match(await page.textContent('[data-testid="intro-film"]'), /Whole body/);
  assert.ok(await page.isVisible('[data-testid="intro-sample"] svg'), 'a sample result is shown');
  await shoot(page, 'login');
  await tap(page, '[data-testid="to-register"]');
  await page.waitForSelector('[data-testid="register-form"]');
  const email = `dash-${Date.now()}@example.com`;
  const password = 'correct horse battery staple';
  await page.fill('[data-testid="auth-email"]', email);
  await page.fill('[data-testid="auth-password"]', password);
  await tap(page, '[data-testid="auth-submit"]');

  // ---- upload with the exercise chosen first (tus metadata), then the job
  await page.waitForSelector('[data-testid="upload-screen"]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="upload-exercise"] option').length > 5);
  await page.selectOption('[data-testid="upload-exercise"]', 'squat');
  await shoot(page, 'upload');
  await page.setInputFiles('[data-testid="upload-file"]', clip);
  await page.waitForURL(/#\/jobs\/[0-9a-f]{32}/, { timeout: 120000 });
  const jobId = page.url().match(/#\/jobs\/([0-9a-f]{32})/)[1];
  await page.waitForSelector('[data-testid="job-screen"]');
  await shoot(page, 'progress');
  await page.waitForSelector('[data-testid="job-state"][data-state="done"]', { timeout: 600000 });
  assert.equal((await page.textContent('[data-testid="job-percent"]')).trim(), '100 %');
  assert.equal((await page.textContent('[data-testid="job-state"]')).trim(), 'Done');
  await page.waitForSelector('[data-testid="job-open-workout"]', { timeout: 30000 });
  assert.match(await page.textContent('[data-testid="job-summary"]'), /^Squat: 1 rep, 0 good, 1 needs work\.$/);
  await shoot(page, 'done');

  const token = await page.evaluate(() => JSON.parse(localStorage.getItem('repright.session')).access_token);
  const job = await api(server, 'GET', `/v1/jobs/${jobId}`, { token });
  assert.equal(job.json.state, 'done');
  let vid = await api(server, 'GET', `/v1/videos/${job.json.video_id}`, { token });
  const videoId = job.json.video_id;
  const report = vid.json.report;
  assert.equal(report.exercise_source, 'given', 'the exercise chosen at upload reached the analysis');
  assert.equal(report.exercise, 'squat');
  assert.ok(report.reps.length >= 1, 'the report has reps');
  assert.equal(vid.json.size, fs.statSync(clip).size, 'the tus upload stored the whole file');
  assert.equal(vid.json.overlay, false, 'no overlay unless asked: the report is ready without it');
  assert.equal(vid.json.links.overlay, undefined);

  // ---- the replay
  await tap(page, '[data-testid="job-open-workout"]');
  await page.waitForSelector('[data-testid="detail-screen"][data-loaded="1"]', { timeout: 60000 });
  await page.waitForFunction(() => document.querySelector('[data-testid="detail-video"]').readyState >= 2, null, { timeout: 30000 });
  const src = await page.$eval('[data-testid="detail-video"]', (v) => v.currentSrc);
  assert.match(src, /\/v1\/videos\/[0-9a-f]+\/original\?uid=[0-9a-f]+&exp=\d+&sig=[0-9a-f]{64}$/, src);
  assert.equal(await page.$eval('[data-testid="detail-video"]', (v) => v.controls), false, 'our controls sit below the video, none under the skeleton');
  const chips = await page.$$eval('[data-testid="rep-chip"]', (els) => els.map((e) => ({ verdict: e.dataset.verdict, t0: Number(e.dataset.t0), text: e.textContent })));
  assert.equal(chips.length, report.reps.length, 'one chip per reported rep');
  assert.deepEqual(chips.map((c) => c.verdict), report.reps.map((r) => r.verdict));
  assert.deepEqual(chips.map((c) => c.text), report.reps.map((_, i) => String(i + 1)), 'reps numbered from 1');
  assert.ok(chips.some((c) => c.verdict === 'bad'), 'the labelled-bad clip has a red chip');
  // controls: slow motion, play, the skeleton and the rep counter drawn
  await page.selectOption('[data-testid="replay-speed"]', '0.5');
  assert.equal(await page.$eval('[data-testid="detail-video"]', (v) => v.playbackRate), 0.5);
  await tap(page, '[data-testid="replay-play"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="detail-video"]').currentTime > 0.3, null, { timeout: 20000 });
  await tap(page, '[data-testid="replay-play"]');
  const drawn = await page.evaluate(() => {
    const c = document.querySelector('[data-testid="skeleton-canvas"]');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
    return { n, segments: Number(c.dataset.segments), hud: c.dataset.hud };
  });
  assert.ok(drawn.n > 500 && drawn.segments > 10, `skeleton drawn: ${JSON.stringify(drawn)}`);
  assert.match(drawn.hud, /^\d+ \/ \d+ reps/, 'the rep counter is drawn on the video');
  // frame step
  const before = await page.$eval('[data-testid="detail-video"]', (v) => v.currentTime);
  await tap(page, '[data-testid="replay-next-frame"]');
  await page.waitForFunction((t) => Math.abs(document.querySelector('[data-testid="detail-video"]').currentTime - t - 1 / 30) < 0.02, before);
  await tap(page, '[data-testid="replay-prev-frame"]');
  await page.waitForFunction((t) => Math.abs(document.querySelector('[data-testid="detail-video"]').currentTime - t) < 0.02, before);
  // jump to the worst rep: seeks to it, selects it, the cue is drawn after it
  const bad = chips.findIndex((c) => c.verdict === 'bad');
  await tap(page, '[data-testid="jump-worst"]');
  await page.waitForFunction((t0) => Math.abs(document.querySelector('[data-testid="detail-video"]').currentTime - t0) < 0.25, chips[bad].t0, { timeout: 10000 });
  assert.equal(await page.getAttribute(`[data-testid="rep-chip"] >> nth=${bad}`, 'aria-pressed'), 'true');
  const cue = (await page.textContent('[data-testid="rep-cue"]')).trim();
  assert.ok(cue.length > 3, 'the bad rep shows a cue');
  assert.equal(await page.textContent('[data-testid="rep-verdict"]'), 'needs work');
  const score = Number((await page.textContent('[data-testid="rep-score"]')).replace(/\D+/g, ''));
  assert.ok(score < 70, `a bad rep scores below 70, shown in red: ${score}`);
  assert.match(await page.getAttribute('[data-testid="rep-score"]', 'class'), /verdict-bad/);
  const t1 = report.reps[bad].t_end_s;
  await page.evaluate((t) => { document.querySelector('[data-testid="detail-video"]').currentTime = t; }, t1 + 0.05);
  await page.waitForFunction(() => /Rep 1: /.test(document.querySelector('[data-testid="skeleton-canvas"]').dataset.hud || ''), null, { timeout: 10000 });
  // measures in plain words, no developer labels
  const panel = await page.textContent('[data-testid="rep-panel"]');
  assert.match(panel, /Heels: heels lift about \d+ cm — needs work/, panel);
  assert.match(panel, /Depth: hips about \d+ cm (above|below) the knees/, panel);
  assert.doesNotMatch(panel, /min knee angle deg|thigh, limit|: fault|: pass|null|undefined/, panel);
  assert.doesNotMatch(await bodyText(page), /Rep 0\b|null|undefined|NaN/);
  await shoot(page, 'detail');

  // ---- the overlay video, only when asked: made, shown, downloadable
  await tap(page, '[data-testid="overlay-make"]');
  await page.waitForSelector('[data-testid="overlay-card"][data-ready="1"]', { timeout: 120000 });
  await page.waitForFunction(() => document.querySelector('[data-testid="overlay-video"]').readyState >= 1, null, { timeout: 30000 });
  assert.ok(await page.isVisible('[data-testid="thumb-worst"]'), 'the thumbnails are shown');
  const [dl] = await Promise.all([page.waitForEvent('download'), tap(page, '[data-testid="overlay-download"]')]);
  const head = fs.readFileSync(await dl.path()).subarray(4, 8).toString('latin1');
  assert.equal(head, 'ftyp', 'the download is an mp4');
  vid = await api(server, 'GET', `/v1/videos/${videoId}`, { token });
  assert.equal(vid.json.overlay, true);
  await page.locator('[data-testid="overlay-card"]').scrollIntoViewIfNeeded();
  await shoot(page, 'overlay');

  // ---- rename
  await tap(page, '[data-testid="rename"]');
  await page.fill('[data-testid="rename-input"]', 'Heavy day');
  await tap(page, '[data-testid="rename-save"]');
  await page.waitForSelector('[data-testid="rename-ok"]');
  assert.equal(await page.textContent('[data-testid="detail-title"]'), 'Heavy day');

  // ---- the list: rep counts, colour by verdict, the name
  await page.click('[data-testid="nav-workouts"]');
  await page.waitForSelector('[data-testid="workout-item"]');
  assert.equal(await page.locator('[data-testid="workout-item"]').count(), 1);
  assert.equal(await page.textContent('.w-ex'), 'Heavy day');
  assert.match(await page.textContent('[data-testid="workout-reps"]'), /^1 rep · 1 needs work/);
  assert.equal(await page.getAttribute('[data-testid="workout-item"]', 'data-mix'), 'bad');
  assert.doesNotMatch(await page.getAttribute('[data-testid="workout-score"]', 'class'), /score-good/, 'a set with a bad rep is not green');

  // 21 live sessions synced long ago: cursor pages and the date filter, and the detail of a
  // workout without a video (reps from the stored workout, stored from 0)
  for (let i = 0; i < 21; i++) {
    const day = String(1 + i).padStart(2, '0');
    const r = await api(server, 'POST', '/v1/sync', { token, json: {
      client_id: `dash-test-${i}`, started_at: `2025-03-${day}T10:00:00Z`, exercise: 'push_up', duration_ms: 20000,
      reps: [{ t_start: 1, t_end: 2, score: 90, verdict: 'good' }, { t_start: 3, t_end: 4, score: 40, verdict: 'bad', faults: ['hip_sag'] },
        { t_start: 5, t_end: 6, score: 100, verdict: 'cannot_judge' }] } });
    assert.ok(r.status === 200 || r.status === 201, `sync ${r.status} ${r.text}`);
  }
  await page.reload();
  await page.waitForSelector('[data-testid="workout-item"]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="workout-item"]').length === 20);
  assert.equal(await page.getAttribute('[data-testid="workout-item"] >> nth=1', 'data-mix'), 'warn', '1 good + 1 bad: amber, not green');
  assert.match(await page.textContent('[data-testid="workout-reps"] >> nth=1'), /^3 reps · 1 good · 1 needs work · 1 can't judge/);
  assert.equal((await page.textContent('[data-testid="workout-score"] >> nth=1')).trim(), '65', 'the set score leaves the can\'t-judge rep out');
  await shoot(page, 'workouts');
  assert.equal(await page.isVisible('[data-testid="workouts-more"]'), true);
  await tap(page, '[data-testid="workouts-more"]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="workout-item"]').length === 22);
  assert.equal(await page.isVisible('[data-testid="workouts-more"]'), false);
  await page.fill('[data-testid="filter-from"]', '2025-03-05');
  await page.fill('[data-testid="filter-to"]', '2025-03-05');
  await tap(page, '[data-testid="filter-apply"]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="workout-item"]').length === 1);
  await tap(page, '[data-testid="workout-link"]');
  await page.waitForSelector('[data-testid="detail-screen"][data-loaded="1"]');
  await page.waitForSelector('[data-testid="detail-no-video"]');
  assert.deepEqual(await page.$$eval('[data-testid="rep-chip"]', (els) => els.map((e) => `${e.textContent}:${e.dataset.verdict}:${e.dataset.score}`)),
    ['1:good:90', '2:bad:40', '3:cannot_judge:'], 'numbered from 1; the can\'t-judge rep has no score');
  const liveText = await bodyText(page);
  assert.match(liveText, /Rep 1 · good · score 90/);
  assert.doesNotMatch(liveText, /Rep 0\b|null|undefined|NaN/, liveText);
  await page.focus('[data-testid="rep-chip"] >> nth=1'); // keyboard: chips are buttons
  await page.keyboard.press('Enter');
  assert.equal(await page.getAttribute('[data-testid="rep-chip"] >> nth=1', 'aria-pressed'), 'true');
  assert.match(await page.textContent('[data-testid="rep-cue"]'), /Hip sag/);
  await tap(page, '[data-testid="rep-chip"] >> nth=2');
  assert.equal(await page.locator('[data-testid="rep-score"]').count(), 0, 'no score for a rep that cannot be judged');
  await shoot(page, 'detail-live');

  // ---- "analyse again as...": a new job, the workout replaced (name kept)
  await page.goto(`${server.url}/#/workouts/${vid.json.workout_id}`);
  await page.waitForSelector('[data-testid="detail-screen"][data-loaded="1"]');
  await page.selectOption('[data-testid="reanalyze-exercise"]', 'lunge');
  await tap(page, '[data-testid="reanalyze"]');
  await page.waitForURL(/#\/jobs\/[0-9a-f]{32}/);
  await page.waitForSelector('[data-testid="job-state"][data-state="done"]', { timeout: 120000 });
  vid = await api(server, 'GET', `/v1/videos/${videoId}`, { token });
  assert.equal(vid.json.report.exercise, 'lunge');
  assert.equal(vid.json.report.exercise_source, 'given');
  assert.equal(vid.json.overlay, false, 'the old overlay showed the old verdicts: it is gone');
  const w2 = await api(server, 'GET', `/v1/workouts/${vid.json.workout_id}`, { token });
  assert.equal(w2.json.exercise, 'lunge');
  assert.equal(w2.json.name, 'Heavy day', 'the name survives a new analysis');
  const all = await api(server, 'GET', '/v1/workouts?limit=100', { token });
  assert.equal(all.json.items.filter((x) => x.video_id === videoId).length, 1, 'replaced, not added');
  // and back as a squat, for the analytics below
  const again = await api(server, 'POST', `/v1/videos/${videoId}/analyze`, { token, json: { exercise: 'squat' } });
  assert.equal(again.status, 202, again.text);
  for (let i = 0; i < 600; i++) {
    const j = await api(server, 'GET', `/v1/jobs/${again.json.job_id}`, { token });
    if (j.json.state === 'done') break;
    assert.notEqual(j.json.state, 'dead', j.text);
    await new Promise((r) => setTimeout(r, 200));
  }
  vid = await api(server, 'GET', `/v1/videos/${videoId}`, { token });

  // ---- analytics: the set, integer axes, fault labels whole, faults of bad reps only
  await page.goto(server.url + '/#/analytics');
  await page.waitForSelector('[data-testid="analytics-screen"][data-loaded="1"]');
  assert.equal(Number(await page.textContent('[data-testid="total-reps"]')), report.reps.length, 'analytics count the set\'s reps');
  assert.ok(await page.locator('[data-testid="chart-reps"] rect.bar').count() >= 1);
  const ticks = await page.$$eval('[data-testid="chart-reps"] text.axis', (els) => els.map((e) => e.textContent));
  assert.ok(!ticks.some((t) => /\./.test(t)), `reps axis shows whole numbers: ${ticks}`);
  assert.ok(await page.locator('[data-testid="chart-trend"] circle.dot').count() >= 1);
  assert.ok(await page.locator('[data-testid="record-row"]').count() >= 1);
  const faultLabels = await page.$$eval('[data-testid="chart-faults"] text.bar-label', (els) => els.map((e) => {
    const b = e.getBBox();
    const vb = e.ownerSVGElement.viewBox.baseVal;
    return { text: e.textContent, inside: b.x >= 0 && b.x + b.width <= vb.width };
  }));
  assert.ok(faultLabels.length >= 1, 'the bad rep\'s fault is charted');
  assert.ok(faultLabels.every((l) => l.inside), `fault labels are not clipped: ${JSON.stringify(faultLabels)}`);
  assert.ok(faultLabels.some((l) => /heels rise · Squat/.test(l.text)), JSON.stringify(faultLabels));
  await shoot(page, 'analytics');
  for (const fmt of ['csv', 'json']) {
    const [d] = await Promise.all([page.waitForEvent('download'), tap(page, `[data-testid="export-${fmt}"]`)]);
    const text = fs.readFileSync(await d.path(), 'utf8');
    assert.ok(text.includes(vid.json.workout_id), `${fmt} export names the workout`);
  }

  // ---- delete the workout and its video from the UI
  await page.goto(`${server.url}/#/workouts/${vid.json.workout_id}`);
  await page.waitForSelector('[data-testid="detail-screen"][data-loaded="1"]');
  await tap(page, '[data-testid="delete-workout"]');
  await tap(page, '[data-testid="delete-confirm"]');
  await page.waitForSelector('[data-testid="workouts-flash"]');
  assert.equal((await api(server, 'GET', `/v1/videos/${videoId}`, { token })).status, 404, 'the video went with it');
  assert.equal((await api(server, 'GET', `/v1/workouts/${vid.json.workout_id}`, { token })).status, 404);

  // ---- settings, log out
  await page.click('[data-testid="nav-settings"]');
  await page.waitForSelector('[data-testid="settings-screen"]');
  await page.waitForFunction((e) => document.querySelector('[data-testid="settings-email"]').textContent === e, email);
  await shoot(page, 'settings');
  await tap(page, '[data-testid="logout"]');
  await page.waitForSelector('[data-testid="login-form"]');
  assert.equal(await page.evaluate(() => localStorage.getItem('repright.session')), null);

  assert.deepEqual(consoleErrors.filter((t) => !/serviceWorker|sw\.js/i.test(t)), [], 'no console errors');
});
