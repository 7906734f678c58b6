// test_partner_console.mjs - the partner console and the member's side of it (issue 13) in
// Chromium against a real `repright serve`: an operator creates an org and makes a user its
// admin (`repright admin`); the admin opens the console, creates an API key (shown once, then
// listed by prefix only) and an invite code; a member opens the invite link (the code filled in),
// chooses what to share and links; the key sees the member; the console lists the member and the
// used code; the admin revokes the key (401 at once); the member stops sharing (the partner's
// next request is 404). Webhooks: the admin adds an endpoint pointing at a local receiver (the
// server runs with REPRIGHT_WEBHOOK_ALLOW_HTTP_LOOPBACK=1; the signing secret is shown once), the
// member's link arrives there as a signed member.linked and the delivery log shows it delivered;
// a test event and a redelivery (same webhook-id) follow; the unlink arrives as member.unlinked;
// deleting the endpoint empties the log. Screenshots at phone (390x844) and laptop (1366x768)
// sizes; the test fails on any console error (a CSP violation shows there).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import http from 'node:http';
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

// A webhook receiver on loopback: records every request, answers 204.
function receiver() {
  const got = [];
  const srv = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(204);
      res.end();
    });
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve({
    srv, got, url: `http://127.0.0.1:${srv.address().port}/hook`,
    events: () => got.map((r) => JSON.parse(r.body.toString())),
  })));
}

// Standard Webhooks: v1,base64(HMAC-SHA256(key, id.timestamp.body)), key = the secret's bytes.
function signed(secret, r) {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const mac = crypto.createHmac('sha256', key)
    .update(`${r.headers['webhook-id']}.${r.headers['webhook-timestamp']}.`).update(r.body).digest('base64');
  return String(r.headers['webhook-signature'] || '').split(' ').includes(`v1,${mac}`);
}

async function until(what, pred, ms = 20000) {
  const end = Date.now() + ms;
  for (;;) {
    if (await pred()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

// Refresh the console's delivery log until sel shows.
async function logShows(page, sel) {
  await until(sel, async () => {
    if (await page.locator(sel).count()) return true;
    await tap(page, '[data-testid="deliveries-refresh"]');
    await page.waitForTimeout(200);
    return false;
  });
}

await run('partner-console', async () => {
  const server = await startServer({ env: { REPRIGHT_WEBHOOK_ALLOW_HTTP_LOOPBACK: '1' } });
  const browser = await launchBrowser();
  const rx = await receiver();
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

  // ---- a webhook endpoint at the local receiver: the signing secret is shown once
  await A.page.waitForSelector('[data-testid="hooks-empty"]');
  await A.page.waitForSelector('[data-testid="deliveries-empty"]');
  await A.page.fill('[data-testid="hook-url"]', rx.url);
  await A.page.uncheck('[data-testid="hook-type-analysis-completed"]');
  await tap(A.page, '[data-testid="hook-create"]');
  await A.page.waitForSelector('[data-testid="hook-secret"]');
  const secret = (await A.page.textContent('[data-testid="hook-secret"]')).trim();
  assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
  await A.page.waitForSelector('[data-testid="hook-row"]');
  const hooksText = await A.page.textContent('[data-testid="hooks-table"]');
  assert.ok(hooksText.includes(rx.url) && !hooksText.includes(secret), hooksText);
  assert.match(hooksText, /member\.linked, member\.unlinked, workout\.synced/);
  await shoot(A.page, 'webhook-created');

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

  // ---- the link reached the receiver as a signed member.linked; the log shows it delivered
  await until('member.linked at the receiver', () => rx.events().some((e) => e.type === 'member.linked'));
  const linked = rx.got.find((r) => JSON.parse(r.body).type === 'member.linked');
  assert.ok(signed(secret, linked), 'member.linked is signed with the secret shown once');
  const linkedEv = JSON.parse(linked.body);
  assert.equal(linkedEv.member_id, member.user_id);
  assert.equal(linkedEv.org_id, org.id);
  assert.deepEqual(linkedEv.data.shares, ['profile', 'workouts']);
  await logShows(A.page, '[data-testid="delivery-row"][data-type="member.linked"][data-status="delivered"]');
  assert.match(await A.page.textContent('[data-testid="deliveries-table"]'), /member\.linked.*delivered.*HTTP 204/s);
  await shoot(A.page, 'webhook-delivered');

  // ---- a test event, then a redelivery of member.linked (the same webhook-id again)
  await tap(A.page, '[data-testid^="hook-test-"]');
  await A.page.waitForSelector('[data-testid="hook-tested"]');
  await logShows(A.page, '[data-testid="delivery-row"][data-type="webhook.test"][data-status="delivered"]');
  await tap(A.page, '[data-testid="delivery-row"][data-type="member.linked"] [data-testid^="delivery-redeliver-"]');
  await A.page.waitForSelector('[data-testid="delivery-redelivered"]');
  await until('the redelivery', () => rx.got.filter((r) => r.headers['webhook-id'] === linked.headers['webhook-id']).length === 2);
  assert.ok(rx.got.every((r) => signed(secret, r)), 'every request is signed');
  await logShows(A.page, '[data-testid="delivery-row"][data-type="member.linked"][data-status="delivered"] >> nth=1');
  await shoot(A.page, 'webhook-log');

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

  // ---- the org heard the unlink; deleting the endpoint takes its log with it
  await until('member.unlinked at the receiver', () => rx.events().some((e) => e.type === 'member.unlinked' && e.member_id === member.user_id));
  await logShows(A.page, '[data-testid="delivery-row"][data-type="member.unlinked"][data-status="delivered"]');
  await tap(A.page, '[data-testid^="hook-delete-"]');
  await A.page.waitForSelector('[data-testid="hook-deleted"]');
  await A.page.waitForSelector('[data-testid="hooks-empty"]');
  await A.page.waitForSelector('[data-testid="deliveries-empty"]');
  rx.srv.close();

  // ---- a user who manages nothing gets a plain explanation, not an error
  await B.page.goto(server.url + '/#/console');
  await B.page.waitForSelector('[data-testid="console-none"]');

  assert.deepEqual(A.errors, [], 'console errors (admin)');
  assert.deepEqual(B.errors, [], 'console errors (member)');
});
