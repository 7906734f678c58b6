// test_partner_console.mjs - the partner console and the member's side of it (issue 13) in
// Chromium against a real `repright serve`: an operator creates an org and makes a user its
// admin (`repright admin`); the admin opens the console, creates an API key (shown once, then
// listed by prefix only) and an invite code; a member opens the invite link (the code filled in),
// chooses what to share and links; the key sees the member; the console lists the member and the
// used code; the admin revokes the key (401 at once); the member stops sharing (the partner's
// next request is 404). Screenshots at phone (390x844) and laptop (1366x768) sizes; the test
// fails on any console error (a CSP violation shows there).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { run, startServer, launchBrowser, screenshot, api, registerAndLogin, ENV } from './lib/harness.mjs';

const PHONE = { width: 390, height: 844 };
const LAPTOP = { width: 1366, height: 768 };

async function shoot(page, name) {
  await screenshot(page, `partners-${name}-phone`);
  await page.setViewportSize(LAPTOP);
  await page.waitForTimeout(150);
  await screenshot(page, `partners-${name}-laptop`);
  await page.setViewportSize(PHONE);
}

function admin(server, ...args) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REPRIGHT_')));
  env.REPRIGHT_LOG_LEVEL = 'warn';
  const out = execFileSync(ENV.bin, ['admin', '--data-dir', server.dataDir, ...args], { env }).toString();
  return JSON.parse(out.split('\n')[0]);
}

async function signedIn(browser, server, u) {
  const ctx = await browser.newContext({ viewport: PHONE });
  const page = await ctx.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(server.url + '/');
  await page.evaluate((x) => localStorage.setItem('repright.session', JSON.stringify({
    access_token: x.access_token, refresh_token: x.refresh_token, user_id: x.user_id, email: x.email, expires_at: Date.now() + 600000,
  })), u);
  return { page, errors };
}

async function tap(page, sel) {
  await page.locator(sel).first().evaluate((e) => e.scrollIntoView({ block: 'center' }));
  await page.click(sel);
}

await run('partner-console', async () => {
  const server = await startServer();
  const browser = await launchBrowser();
  const org = admin(server, 'org', 'create', 'Iron Gym');
  const owner = await registerAndLogin(server);
  const member = await registerAndLogin(server);
  admin(server, 'org', 'add-admin', org.id, owner.email);
  const sync = await api(server, 'POST', '/v1/sync', { token: member.access_token, json: {
    client_id: 'c1', started_at: '2026-03-01T10:00:00Z', exercise: 'squat',
    reps: [{ t_start: 0, t_end: 1.2, score: 82, faults: [] }, { t_start: 2, t_end: 3.1, score: 75, faults: [] }] } });
  assert.equal(sync.status, 201, sync.text);

  // ---- the admin: settings shows the console link; the console lists nothing yet
  const A = await signedIn(browser, server, owner);
  await A.page.goto(server.url + '/#/settings');
  await A.page.waitForSelector('[data-testid="settings-console"]:not([hidden])');
  await A.page.goto(server.url + '/#/console');
  await A.page.waitForSelector('[data-testid="console-screen"]');
  assert.equal(await A.page.textContent('[data-testid="console-org-name"]'), 'Iron Gym');
  await A.page.waitForSelector('[data-testid="members-empty"]');
  await shoot(A.page, 'console-empty');

  // ---- create a key: shown once, then only its prefix
  await A.page.fill('[data-testid="key-name"]', 'crm sync');
  await A.page.check('[data-testid="scope-members-read"]');
  await A.page.check('[data-testid="scope-workouts-read"]');
  await A.page.fill('[data-testid="key-expires"]', '30');
  await tap(A.page, '[data-testid="key-create"]');
  await A.page.waitForSelector('[data-testid="key-secret"]');
  const key = (await A.page.textContent('[data-testid="key-secret"]')).trim();
  assert.match(key, /^rr_live_[0-9a-f]{12}_[0-9a-f]{64}$/);
  await A.page.waitForSelector('[data-testid="key-row"]');
  const rowText = await A.page.textContent('[data-testid="keys-table"]');
  assert.ok(rowText.includes(key.slice(8, 20)), 'the prefix is listed');
  assert.ok(!rowText.includes(key.slice(21)), 'the secret is not listed');
  assert.match(rowText, /members:read, workouts:read/);
  await shoot(A.page, 'key-created');

  // ---- an invite code and its link
  await tap(A.page, '[data-testid="invite-create"]');
  await A.page.waitForSelector('[data-testid="invite-link"]');
  const link = await A.page.getAttribute('[data-testid="invite-link"]', 'href');
  assert.match(link, /#\/partners\?code=rrinv_[A-Z2-7]{26}$/);
  await shoot(A.page, 'invite-created');

  // ---- the member opens the link: the code is filled in; shares profile and workouts only
  const B = await signedIn(browser, server, member);
  await B.page.goto(link);
  await B.page.waitForSelector('[data-testid="partners-empty"]');
  assert.ok((await B.page.inputValue('[data-testid="partner-code"]')).startsWith('rrinv_'));
  await B.page.uncheck('[data-testid="share-analytics"]');
  await shoot(B.page, 'member-link');
  await tap(B.page, '[data-testid="partner-link"]');
  await B.page.waitForSelector('[data-testid="partner-linked"]');
  await B.page.waitForSelector('[data-testid="partner-item"]');
  assert.match(await B.page.textContent('[data-testid="partner-item"]'), /Iron Gym.*Sees: profile, workouts/s);
  await shoot(B.page, 'member-linked');

  // ---- the key sees the member and their workouts, not their analytics
  const h = { Authorization: `Bearer ${key}` };
  const members = await api(server, 'GET', '/v1/partner/members', { headers: h });
  assert.equal(members.status, 200, members.text);
  assert.deepEqual(members.json.items.map((m) => m.email), [member.email]);
  assert.ok(members.headers.get('ratelimit-policy'));
  const wk = await api(server, 'GET', `/v1/partner/members/${member.user_id}/workouts`, { headers: h });
  assert.equal(wk.status, 200, wk.text);
  assert.equal(wk.json.items.length, 1);

  // ---- the console shows the member and the used code
  await A.page.reload();
  await A.page.waitForSelector('[data-testid="member-row"]');
  assert.match(await A.page.textContent('[data-testid="members-table"]'), new RegExp(member.email.replace(/[.+]/g, '\\$&')));
  assert.equal(await A.page.getAttribute('[data-testid="invite-row"]', 'data-state'), 'used');
  await shoot(A.page, 'console-member');

  // ---- revoke the key: it stops at once
  await tap(A.page, `[data-testid="key-revoke-${key.slice(8, 20)}"]`);
  await A.page.waitForSelector('[data-testid="key-revoked"]');
  await A.page.waitForSelector('[data-testid="key-row"][data-state="revoked"]');
  assert.equal((await api(server, 'GET', '/v1/partner/members', { headers: h })).status, 401);
  await shoot(A.page, 'key-revoked');

  // ---- the member stops sharing: the next partner request no longer sees them
  const key2 = admin(server, 'key', 'create', org.id, '--scopes', 'workouts:read').key;
  const h2 = { Authorization: `Bearer ${key2}` };
  assert.equal((await api(server, 'GET', `/v1/partner/members/${member.user_id}/workouts`, { headers: h2 })).status, 200);
  await tap(B.page, `[data-testid="partner-unlink-${org.id}"]`);
  await B.page.waitForSelector('[data-testid="partner-unlinked"]');
  await B.page.waitForSelector('[data-testid="partners-empty"]');
  assert.equal((await api(server, 'GET', `/v1/partner/members/${member.user_id}/workouts`, { headers: h2 })).status, 404);
  await shoot(B.page, 'member-unlinked');

  // ---- a user who manages nothing gets a plain explanation, not an error
  await B.page.goto(server.url + '/#/console');
  await B.page.waitForSelector('[data-testid="console-none"]');

  assert.deepEqual(A.errors, [], 'console errors (admin)');
  assert.deepEqual(B.errors, [], 'console errors (member)');
});
