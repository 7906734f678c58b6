// test_live_handsfree.mjs - the live coach hands-free (issue 14), with the labelled-bad heels
// squat (1.6 s, looped by Chromium's fake camera) as the camera, at phone size:
//  - Start opens the camera and the set-up check reads the pose (what to change is shown and
//    said); once the athlete is placed the countdown "3, 2, 1" is spoken and the set starts by
//    itself;
//  - with a plan of 2 sets x 1 rep the set stops by itself when the rep is counted, the rest
//    timer runs (5 s), the next set starts by itself (set-up, countdown) and stops by itself;
//    then "workout complete"; both sets are one session (one workout with 2 sets on the server);
//  - workout mode: the stage fills the screen with the large count and the verdict-coloured
//    skeleton. Screenshots of the set-up (phone), the workout mode (phone, laptop), the rest
//    timer (laptop) and the summary (laptop, phone).
import {
  run, requireShared, startServer, launchBrowser, clipToY4m, screenshot, registerAndLogin, api,
} from './lib/harness.mjs';
import { clipInfo, signedInContext, collectConsole, openLive, waitState } from './lib/live_helpers.mjs';

const shared = requireShared();

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

await run('browser/test_live_handsfree', async () => {
  const server = await startServer();
  const user = await registerAndLogin(server);
  const heels = clipInfo(shared, 'squat_side_BAD_heels_k_i002.mp4');
  const browser = await launchBrowser({ fakeCamera: clipToY4m(heels.path, { width: 480 }) });
  const ctx = await signedInContext(browser, user, { viewport: { width: 390, height: 844 } });
  await ctx.addInitScript(() => {
    window.__spoken = [];
    if (window.speechSynthesis) {
      const speak = window.speechSynthesis.speak.bind(window.speechSynthesis);
      window.speechSynthesis.speak = (u) => { window.__spoken.push(u.text); return speak(u); };
    }
  });
  const page = await ctx.newPage();
  const lines = collectConsole(page);
  await openLive(page, server, lines, '?handsfree=1');
  await page.selectOption('[data-testid=exercise]', 'squat');
  await page.fill('[data-testid=target-sets]', '2');
  await page.fill('[data-testid=target-reps]', '1');
  await page.fill('[data-testid=rest-s]', '5');
  await page.click('[data-testid=start]');
  // set-up check: the pose is read and the page says something about the position
  await waitState(page, ['setup', 'countdown', 'recording'], 30000);
  await page.waitForFunction(() => document.querySelector('[data-testid=setup]').textContent.length > 0, null, { timeout: 20000 });
  await screenshot(page, 'live-handsfree-setup-phone');
  await waitState(page, ['recording'], 30000); // placed, counted down, started by itself
  await page.click('[data-testid=fullscreen]');
  await page.waitForTimeout(700);
  await screenshot(page, 'live-workout-mode-phone');
  await page.setViewportSize({ width: 1366, height: 768 });
  await page.waitForTimeout(300);
  await screenshot(page, 'live-workout-mode-laptop');
  // the first set stops by itself when its rep is counted, then the rest timer runs
  await waitState(page, ['done'], 30000);
  await page.waitForSelector('[data-testid=rest]:not([hidden])', { timeout: 5000 });
  await screenshot(page, 'live-rest-timer-laptop');
  const clock1 = await page.textContent('[data-testid=rest-clock]');
  assert(/^0:0[1-5]$/.test(clock1), `rest clock shows ${clock1}`);
  // the second set starts by itself after the rest and stops by itself
  await waitState(page, ['setup', 'countdown', 'recording'], 15000);
  await page.waitForFunction(() => (window.__autoStops || []).length >= 2 && document.body.dataset.state === 'done', null, { timeout: 45000 });
  await page.click('[data-testid=fullscreen]');
  await screenshot(page, 'live-handsfree-summary-laptop');
  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(page, 'live-handsfree-summary-phone');
  const r = await page.evaluate(() => ({ stops: window.__autoStops, spoken: window.__spoken, session: window.__lastSession, rest: document.querySelector('[data-testid=rest]').hidden }));
  assert(r.stops.every((x) => x === 'target'), `sets did not stop at their target: ${r.stops}`);
  assert(r.rest, 'a rest timer runs after the last set');
  if (await page.evaluate(() => 'speechSynthesis' in window)) {
    const said = r.spoken.join(' | ');
    assert(['3', '2', '1'].every((w) => r.spoken.includes(w)), `no spoken countdown: ${said}`);
    assert(/Rest/.test(said) && /complete/i.test(said), `rest and end not said: ${said}`);
  }
  // both sets are one session: one workout with two sets on the server
  let items = [];
  let nsets = 0;
  const deadline = Date.now() + 20000;
  while (Date.now() < deadline) {
    items = (await api(server, 'GET', '/v1/workouts', { token: user.access_token })).json.items || [];
    if (items.length === 1) {
      nsets = ((await api(server, 'GET', `/v1/workouts/${items[0].id}`, { token: user.access_token })).json.sets || []).length;
      if (nsets === 2) break;
    }
    await new Promise((res) => setTimeout(res, 250));
  }
  assert(items.length === 1 && nsets === 2, `the hands-free sets are not one workout of 2 sets: ${JSON.stringify(items)}, ${nsets} sets`);
  assert(lines.filter((l) => l.startsWith('pageerror')).length === 0, lines.join('\n'));
  await browser.close();
});
