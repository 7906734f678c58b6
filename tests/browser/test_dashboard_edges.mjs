// test_dashboard_edges.mjs - the dashboard where a first-time user trips, in Chromium against a
// real `repright serve` (no real clip needed: it runs without ../shared): a refused password
// says why; a new account's empty screens say what to do (no "for these filters", no "Nice",
// whole-number axes); on a phone the header is slim and the navigation one row; a text file is
// refused in the browser before any byte is sent; an upload left unfinished by a reload is
// offered for resuming and resumes; a long file name stays inside the card; a file that is no
// video fails its analysis with one plain sentence. Screenshots at phone (390x844) and laptop
// (1366x768) sizes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { run, startServer, launchBrowser, screenshot, registerAndLogin } from './lib/harness.mjs';

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

await run('dashboard_edges', async () => {
  const server = await startServer({ args: ['--workers', '1'] });
  const browser = await launchBrowser();
  const ctx = await browser.newContext({ viewport: PHONE });
  const page = await ctx.newPage();
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rr-edges-'));

  // ---- a password the policy refuses: the reason is said
  await page.goto(server.url + '/#/register');
  await page.waitForSelector('[data-testid="register-form"]');
  await page.fill('[data-testid="auth-email"]', `edge-${Date.now()}@example.com`);
  await page.fill('[data-testid="auth-password"]', 'password');
  await tap(page, '[data-testid="auth-submit"]');
  await page.waitForSelector('[data-testid="auth-error"]');
  const refused = await page.textContent('[data-testid="auth-error"]');
  assert.match(refused, /too common/, refused);
  assert.doesNotMatch(refused, /policy refused it/);
  await shoot(page, 'register-refused');

  // ---- a new account: empty states, slim header, one-row navigation
  const user = await registerAndLogin(server);
  await page.evaluate((u) => localStorage.setItem('repright.session', JSON.stringify({
    access_token: u.access_token, refresh_token: u.refresh_token, user_id: u.user_id, email: u.email, expires_at: Date.now() + 600000,
  })), user);
  await page.goto(server.url + '/#/workouts');
  await page.waitForSelector('[data-testid="workouts-empty"]');
  const empty = await page.textContent('[data-testid="workouts-empty"]');
  assert.match(empty, /No workouts yet/);
  assert.doesNotMatch(empty, /filters/);
  const bars = await page.evaluate(() => {
    const top = document.querySelector('header.top').getBoundingClientRect();
    const nav = document.getElementById('nav').getBoundingClientRect();
    const links = [...document.querySelectorAll('#nav a')].map((a) => a.getBoundingClientRect().top);
    return { header: top.height, nav: nav.height, rows: new Set(links.map(Math.round)).size, links: links.length, vh: innerHeight };
  });
  assert.equal(bars.links, 5);
  assert.equal(bars.rows, 1, `the navigation is one row: ${JSON.stringify(bars)}`);
  assert.ok(bars.header + bars.nav <= 0.16 * bars.vh && bars.header <= 0.07 * bars.vh, `slim bars: ${JSON.stringify(bars)}`);
  await shoot(page, 'workouts-empty');
  await page.selectOption('[data-testid="filter-exercise"]', 'plank');
  await tap(page, '[data-testid="filter-apply"]');
  await page.waitForSelector('[data-testid="filters-clear"]');
  assert.match(await page.textContent('[data-testid="workouts-empty"]'), /No workouts match these filters/);

  await page.goto(server.url + '/#/analytics');
  await page.waitForSelector('[data-testid="analytics-screen"][data-loaded="1"]');
  assert.ok(await page.isVisible('[data-testid="analytics-empty"]'));
  const noFaults = await page.textContent('[data-testid="no-faults"]');
  assert.doesNotMatch(noFaults, /Nice/, 'no praise for a set nobody did');
  const ticks = await page.$$eval('[data-testid="chart-reps"] text.axis', (els) => els.map((e) => e.textContent));
  assert.ok(!ticks.includes('0.5'), `whole-number reps axis: ${ticks}`);
  await shoot(page, 'analytics-empty');

  // ---- a text file: refused in the browser, nothing sent
  const uploads = [];
  page.on('request', (r) => { if (r.url().includes('/v1/uploads')) uploads.push(`${r.method()} ${r.url()}`); });
  await page.goto(server.url + '/#/upload');
  await page.waitForSelector('[data-testid="upload-screen"]');
  const txt = path.join(tmp, 'notes.txt');
  fs.writeFileSync(txt, 'not a video\n');
  await page.setInputFiles('[data-testid="upload-file"]', txt);
  await page.waitForSelector('[data-testid="upload-type-error"]');
  assert.match(await page.textContent('[data-testid="upload-type-error"]'), /notes\.txt is not a video/);
  assert.deepEqual(uploads, [], 'nothing was uploaded');

  // ---- an unfinished upload (long name, a video by its name, not by its bytes): paused after
  // its first chunks, offered after a reload, resumed by choosing the same file again
  const long = path.join(tmp, `${'my_sunday_morning_back_squat_session_at_the_gym_'.repeat(3)}final_v2.mp4`);
  fs.writeFileSync(long, Buffer.alloc(6 * 1024 * 1024, 7));
  await page.route('**/v1/uploads/*', async (route) => {
    if (route.request().method() === 'PATCH') await new Promise((r) => setTimeout(r, 250));
    await route.continue();
  });
  await page.setInputFiles('[data-testid="upload-file"]', long);
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="upload-progress"]').value) >= 10, null, { timeout: 30000 });
  await tap(page, '[data-testid="upload-cancel"]');
  await page.waitForSelector('[data-testid="upload-paused"]');
  const fits = await page.evaluate(() => {
    const card = document.querySelector('[data-testid="upload-screen"]');
    return { scroll: card.scrollWidth, client: card.clientWidth, page: document.documentElement.scrollWidth, vw: innerWidth };
  });
  assert.ok(fits.scroll <= fits.client && fits.page <= fits.vw, `a long file name stays inside the card: ${JSON.stringify(fits)}`);
  await page.reload();
  await page.waitForSelector('[data-testid="upload-pending"]');
  const pending = await page.textContent('[data-testid="upload-pending"]');
  assert.match(pending, /Unfinished upload: my_sunday_morning/);
  assert.match(pending, /\d+ % sent/);
  await shoot(page, 'upload-pending');
  await page.unroute('**/v1/uploads/*');
  const sent = uploads.length;
  await page.setInputFiles('[data-testid="upload-file"]', long);
  await page.waitForURL(/#\/jobs\/[0-9a-f]{32}/, { timeout: 60000 });
  const posts = uploads.slice(sent).filter((u) => u.startsWith('POST'));
  assert.deepEqual(posts, [], 'resumed, not started over');

  // ---- ...and since it is no video, the analysis fails: said once, in plain words
  await page.waitForSelector('[data-testid="job-state"][data-state="dead"]', { timeout: 60000 });
  assert.equal((await page.textContent('[data-testid="job-state"]')).trim(), 'Failed');
  await page.waitForSelector('[data-testid="job-failed"]');
  const failed = await page.textContent('[data-testid="job-failed"]');
  assert.match(failed, /^The analysis failed\. This file is not a video RepRight can read: upload an mp4, mov, webm or mkv clip\.$/, failed);
  assert.doesNotMatch(await page.textContent('main'), /dead|analysis failed: analysis failed|cannot decode/i);
  await shoot(page, 'job-failed');

  assert.deepEqual(consoleErrors.filter((t) => !/serviceWorker|sw\.js/i.test(t)), [], 'no console errors');
  fs.rmSync(tmp, { recursive: true, force: true });
});
