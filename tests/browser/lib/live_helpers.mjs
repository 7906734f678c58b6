// live_helpers.mjs - shared steps of the live coach browser tests (test_live*.mjs): open the
// page signed in, record one pass of a clip played by Chromium's fake camera, read the result.
import fs from 'node:fs';
import path from 'node:path';
import { api, groundTruth, clipDuration, requireShared } from './harness.mjs';

export const SESSION_KEY = 'repright.session'; // web/app/js/api.js

// The labelled clips: ground_truth.json, then more_clips.json (clips the app was never tuned on).
function labelledClips() {
  const more = path.join(requireShared(), 'media', 'more_clips.json');
  return groundTruth().concat(fs.existsSync(more) ? JSON.parse(fs.readFileSync(more, 'utf8')) : []);
}

// The ground-truth entry of a clip file name.
export function clipInfo(shared, name) {
  const gt = labelledClips().find((c) => path.basename(c.file) === name);
  if (!gt) throw new Error(`${name} is not in ground_truth.json`);
  const file = path.join(shared, 'media', gt.file);
  if (!fs.existsSync(file)) throw new Error(`${file} is missing`);
  const duration = clipDuration(file);
  // frames of the 30 fps .y4m clipToY4m makes (harness default)
  return { ...gt, path: file, duration, y4mFrames: Math.round(duration * 30) };
}

// Does n count the clip's reps within one (reps_accept lists every accepted count)?
export function repsWithinOne(n, gt) {
  const ok = [gt.reps, ...(gt.reps_accept || [])];
  return ok.some((r) => Math.abs(n - r) <= 1);
}

// A new browser context whose pages start signed in as `user` (the session api.js keeps).
export async function signedInContext(browser, user, opts = {}) {
  const ctx = await browser.newContext({ viewport: { width: 900, height: 1000 }, ...opts });
  const sess = {
    access_token: user.access_token, refresh_token: user.refresh_token, user_id: user.user_id,
    email: user.email, expires_at: Date.now() + 1000 * (Number(user.expires_in) || 900),
  };
  await ctx.addInitScript(([k, v]) => {
    if (!localStorage.getItem(k)) localStorage.setItem(k, v);
  }, [SESSION_KEY, JSON.stringify(sess)]);
  return ctx;
}

export function collectConsole(page) {
  const lines = [];
  page.on('console', (m) => {
    const t = m.text();
    if (m.type() === 'error' || m.type() === 'warning') lines.push(`${m.type()}: ${t}`);
  });
  page.on('pageerror', (e) => lines.push(`pageerror: ${e.message}`));
  return lines;
}

export async function waitState(page, states, timeout = 90000) {
  const want = Array.isArray(states) ? states : [states];
  await page.waitForFunction((w) => w.includes(document.body.dataset.state), want, { timeout });
  return page.evaluate(() => document.body.dataset.state);
}

// Without handsfree in the query the page opens in manual mode (Start/Stop by the test).
export async function openLive(page, server, consoleLines, query = '') {
  const q = /handsfree=/.test(query) ? query : `${query}${query ? '&' : '?'}handsfree=0`;
  await page.goto(`${server.url}/live.html${q}`);
  const st = await waitState(page, ['ready', 'failed']);
  if (st !== 'ready') {
    const err = await page.textContent('[data-testid=error]');
    throw new Error(`live page not ready: ${err}\n${consoleLines.join('\n')}`);
  }
}

// Record one set: pick the exercise, Start, let the fake camera play the clip once, Stop.
// The camera starts the clip when it opens and loops it, so the set stops when the stream has
// presented `frames` frames (rVFC presentedFrames, published by the page), else after `seconds`.
// onMidSet(page) runs half way through. Returns what the page shows and measured.
export async function recordSet(page, { exercise, seconds, frames = 0, onMidSet }) {
  await page.selectOption('[data-testid=exercise]', exercise);
  await page.click('[data-testid=start]');
  await waitState(page, ['recording'], 30000);
  await page.waitForFunction(() => !!document.body.dataset.firstFrame, null, { timeout: 30000 });
  const t0 = Date.now();
  const ms = Math.max(100, Math.round(seconds * 1000) - 50);
  if (onMidSet) {
    await page.waitForTimeout(ms / 2);
    await onMidSet(page);
  }
  const presented = () => page.evaluate(() => Number(document.body.dataset.presentedFrames || 0));
  if (frames > 0 && (await presented()) > 0) {
    // watched and clicked inside the page: a round trip per check would overshoot into the
    // clip's next pass on a busy machine
    await page.evaluate(([n, limit]) => new Promise((resolve, reject) => {
      const until = performance.now() + limit;
      const check = () => {
        if (Number(document.body.dataset.presentedFrames || 0) >= n) {
          document.querySelector('[data-testid=stop]').click();
          resolve();
        } else if (performance.now() > until) {
          reject(new Error(`the camera presented ${document.body.dataset.presentedFrames} of ${n} frames in time`));
        } else {
          setTimeout(check, 4);
        }
      };
      check();
    }), [frames, ms * 3 + 10000]);
  } else {
    const left = ms - (Date.now() - t0);
    if (left > 0) await page.waitForTimeout(left);
    await page.click('[data-testid=stop]');
  }
  await waitState(page, ['done'], 60000);
  return page.evaluate(() => ({
    stats: window.__liveStats,
    load: window.__liveLoad,
    liveCount: Number(document.querySelector('[data-testid=rep-count]').textContent),
    summaryReps: document.querySelector('[data-testid=sum-reps]').textContent,
    chips: [...document.querySelectorAll('[data-testid=rep-chip]')].map((c) => c.dataset.verdict),
    set: window.__lastSet,
    session: window.__lastSession || null,
    saved: document.querySelector('[data-testid=sum-saved]').textContent,
    error: document.querySelector('[data-testid=error]').hidden ? '' : document.querySelector('[data-testid=error]').textContent,
  }));
}

// The workouts the server has for the user.
export async function serverWorkouts(server, token) {
  const r = await api(server, 'GET', '/v1/workouts?limit=50', { token });
  if (r.status !== 200) throw new Error(`GET /v1/workouts: ${r.status} ${r.text}`);
  return r.json.items || r.json.workouts || r.json.data || [];
}
