// test_plan_page.mjs - the plan and usage section of the settings page, in Chromium against a
// real `repright serve` on the free plan (no clip needed): three uploads this month show as
// "3 of 10 uploads" with a bar, the plan's limits are listed, and "What Pro adds" names what the
// plan above offers; after the eleventh upload is refused (402) the bar is full. Screenshots at
// phone (390x844) and laptop (1366x768) sizes: plan-page-phone.png, plan-page-laptop.png.
// The same page deletes an account: a fresh user with an upload enters a wrong password (the
// error is shown, nothing is deleted), then the right one, confirms in the page (no browser
// dialog), lands on the login screen saying so, and can no longer log in
// (account-delete-phone.png).
import assert from 'node:assert/strict';
import { run, startServer, launchBrowser, screenshot, registerAndLogin, api } from './lib/harness.mjs';

const PHONE = { width: 390, height: 844 };
const LAPTOP = { width: 1366, height: 768 };

async function upload(server, user) {
  const r = await fetch(server.url + '/v1/videos', {
    method: 'POST', headers: { Authorization: `Bearer ${user.access_token}`, 'Content-Type': 'video/mp4' },
    body: Buffer.from('not really a video, the analysis is not what this test is about'),
  });
  await r.text();
  return r.status;
}

await run('plan_page', async () => {
  const server = await startServer({ env: { REPRIGHT_DEFAULT_PLAN: 'free' } });
  const user = await registerAndLogin(server);
  for (let i = 0; i < 3; i++) assert.equal(await upload(server, user), 201);
  const browser = await launchBrowser();
  const ctx = await browser.newContext({ viewport: PHONE });
  const page = await ctx.newPage();
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.goto(server.url + '/#/login');
  await page.evaluate((u) => localStorage.setItem('repright.session', JSON.stringify({
    access_token: u.access_token, refresh_token: u.refresh_token, user_id: u.user_id, email: u.email, expires_at: Date.now() + 600000,
  })), user);
  await page.goto(server.url + '/#/settings');
  await page.waitForSelector('[data-testid="plan-card"]');
  const card = await page.textContent('[data-testid="plan-card"]');
  assert.match(card, /Plan: Free/);
  assert.match(await page.textContent('[data-testid="usage-uploads"]'), /3 of 10 uploads/);
  assert.equal(await page.getAttribute('[data-testid="usage-uploads"] progress', 'value'), '3');
  assert.match(await page.textContent('[data-testid="plan-limits"]'), /Videos up to 2 min/);
  const next = await page.textContent('[data-testid="plan-next"]');
  assert.match(next, /What Pro adds \(9\.00 a month\)/);
  assert.match(next, /Uploads: 100 a month/);
  assert.match(next, /Overlay video/);
  assert.match(next, /History: kept forever/);
  await screenshot(page, 'plan-page-phone');
  await page.setViewportSize(LAPTOP);
  await page.waitForTimeout(150);
  await screenshot(page, 'plan-page-laptop');

  // the month's uploads used up: the eleventh is refused and the bar is full
  for (let i = 3; i < 10; i++) assert.equal(await upload(server, user), 201);
  assert.equal(await upload(server, user), 402);
  await page.reload();
  await page.waitForSelector('[data-testid="usage-uploads"] progress.full');
  assert.match(await page.textContent('[data-testid="usage-uploads"]'), /10 of 10 uploads/);
  await screenshot(page, 'plan-page-full-laptop');

  // the section is behind the plan_page flag (on for everyone by default)
  const flags = await api(server, 'GET', '/v1/me/flags', { token: user.access_token });
  assert.equal(flags.json.flags.plan_page, true);

  // delete a fresh account from the same page
  const leaving = await registerAndLogin(server);
  assert.equal(await upload(server, leaving), 201);
  page.on('dialog', (d) => { consoleErrors.push(`unexpected dialog: ${d.message()}`); d.dismiss(); });
  await page.setViewportSize(PHONE);
  await page.evaluate((u) => localStorage.setItem('repright.session', JSON.stringify({
    access_token: u.access_token, refresh_token: u.refresh_token, user_id: u.user_id, email: u.email, expires_at: Date.now() + 600000,
  })), leaving);
  await page.goto(server.url + '/#/workouts');
  await page.goto(server.url + '/#/settings');
  await page.waitForSelector('[data-testid="account-delete-card"]');
  assert.match(await page.textContent('[data-testid="account-delete-card"]'), /videos with their overlays/);
  await page.fill('[data-testid="account-delete-password"]', 'not my password at all');
  await page.click('[data-testid="account-delete"]');
  assert.ok(await page.isVisible('[data-testid="account-delete-confirm-box"]'));
  await page.click('[data-testid="account-delete-confirm"]');
  await page.waitForSelector('[data-testid="account-delete-error"]');
  assert.match(await page.textContent('[data-testid="account-delete-error"]'), /password/i);
  assert.equal((await api(server, 'GET', '/v1/me', { token: leaving.access_token })).status, 200);
  await page.fill('[data-testid="account-delete-password"]', leaving.password);
  await page.click('[data-testid="account-delete"]');
  await screenshot(page, 'account-delete-phone');
  await page.click('[data-testid="account-delete-confirm"]');
  await page.waitForSelector('[data-testid="login-form"]');
  assert.match(await page.textContent('[data-testid="login-flash"]'), /account and everything in it were deleted/);
  assert.equal(await page.evaluate(() => localStorage.getItem('repright.session')), null);
  const again = await api(server, 'POST', '/v1/auth/login', { json: { email: leaving.email, password: leaving.password } });
  assert.equal(again.status, 401);
  assert.equal((await api(server, 'GET', '/v1/me', { token: leaving.access_token })).status, 401);
  // the first account is untouched
  assert.equal((await api(server, 'GET', '/v1/me', { token: user.access_token })).status, 200);
  assert.deepEqual(consoleErrors, []);
});
