// test_dashboard_client.mjs - the dashboard's API client modules in Node against a real
// `repright serve` (no browser): js/api.js (refresh on 401, one shared refresh for concurrent
// callers, ApiError from the JSON error body, TypeError offline), js/tus.js (chunked upload,
// recovery after a network error mid-upload via HEAD, resume after a "reload" from the
// localStorage fingerprint, a forgotten/deleted upload starts over) and js/sse.js (the
// text/event-stream parser with events split across chunks).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { run, startServer, api, ENV } from '../browser/lib/harness.mjs';

// A browser-ish global scope: localStorage, location, and fetch with relative URLs.
class MemoryStorage {
  constructor() { this.m = new Map(); }
  getItem(k) { return this.m.has(k) ? this.m.get(k) : null; }
  setItem(k, v) { this.m.set(k, String(v)); }
  removeItem(k) { this.m.delete(k); }
  keys() { return [...this.m.keys()]; }
  get length() { return this.m.size; }
  key(i) { return [...this.m.keys()][i] ?? null; }
}

await run('web/test_dashboard_client', async () => {
  const server = await startServer({ args: ['--workers', '0'] });
  globalThis.localStorage = new MemoryStorage();
  globalThis.location = { href: server.url + '/' };
  const realFetch = globalThis.fetch;
  const log = [];
  let failNext = null; // (url, init) => boolean: throw a TypeError for that request once
  globalThis.fetch = async (url, init = {}) => {
    const u = String(url).startsWith('/') ? server.url + url : String(url);
    log.push(`${init.method || 'GET'} ${String(url)}`);
    if (failNext && failNext(String(url), init)) {
      failNext = null;
      throw new TypeError('fetch failed (simulated network error)');
    }
    return realFetch(u, init);
  };

  const appDir = ENV.webDir ? path.join(ENV.webDir, 'js') : path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../web/app/js');
  const { apiFetch, ApiError, session, login, register, logout } = await import(pathToFileURL(path.join(appDir, 'api.js')));
  const { TusUpload, fingerprint, pendingUploads, pendingOffset } = await import(pathToFileURL(path.join(appDir, 'tus.js')));
  const { readEvents } = await import(pathToFileURL(path.join(appDir, 'sse.js')));

  // ---- api.js: register/login, errors, refresh
  const email = `client-${Date.now()}@example.com`;
  const password = 'correct horse battery staple';
  await register(email, password);
  await assert.rejects(register(email, password), (e) => e instanceof ApiError && e.status === 409 && e.code === 'email_taken');
  await login(email, password);
  assert.ok(session.isLoggedIn());
  assert.equal(session.email, email);
  const me = await apiFetch('/v1/me');
  assert.equal(me.email, email);
  await assert.rejects(apiFetch('/v1/workouts/' + '0'.repeat(32)), (e) => e instanceof ApiError && e.status === 404 && e.code === 'not_found');

  // an expired access token: three concurrent calls share ONE refresh (a second refresh with the
  // rotated-away token would revoke the family and fail)
  const s0 = JSON.parse(localStorage.getItem('repright.session'));
  localStorage.setItem('repright.session', JSON.stringify({ ...s0, access_token: 'expired.bad.token' }));
  log.length = 0;
  const all = await Promise.all([apiFetch('/v1/me'), apiFetch('/v1/workouts'), apiFetch('/v1/videos')]);
  assert.equal(all[0].email, email);
  assert.equal(log.filter((l) => l === 'POST /v1/auth/refresh').length, 1, log.join('\n'));
  assert.notEqual(session.refreshToken, s0.refresh_token, 'the rotated refresh token is saved');
  assert.notEqual(session.accessToken, 'expired.bad.token');

  // a refresh that fails logs the session out
  localStorage.setItem('repright.session', JSON.stringify({ ...s0, access_token: 'x', refresh_token: 'spent' }));
  await assert.rejects(apiFetch('/v1/me'), (e) => e instanceof ApiError && e.status === 401);
  assert.equal(session.isLoggedIn(), false);
  await login(email, password);

  // offline: a TypeError, not an ApiError
  failNext = () => true;
  await assert.rejects(apiFetch('/v1/me'), (e) => e instanceof TypeError);

  // ---- tus.js
  const data = crypto.randomBytes(3 * 1024 * 1024 + 12345);
  const sha = crypto.createHash('sha256').update(data).digest('hex');
  const file = new Blob([data], { type: 'video/mp4' });
  file.name = 'set.mp4';
  file.lastModified = 1700000000000;
  const token = () => session.accessToken;

  // a network error in the middle: the client HEADs the durable offset and continues
  let patches = 0;
  failNext = (url, init) => init.method === 'PATCH' && ++patches === 3;
  const progress = [];
  const up1 = new TusUpload(file, { chunkSize: 512 * 1024, onProgress: (s, t) => progress.push([s, t]) });
  const r1 = await up1.start();
  assert.match(r1.videoId, /^[0-9a-f]{32}$/);
  assert.match(r1.jobId, /^[0-9a-f]{32}$/);
  assert.ok(log.includes(`HEAD ${up1.url}`), 'resynchronised with HEAD after the error');
  assert.deepEqual(progress.at(-1), [data.length, data.length]);
  assert.ok(progress.length >= 7, 'progress per chunk');
  let v = await api(server, 'GET', `/v1/videos/${r1.videoId}`, { token: token() });
  assert.equal(v.json.size, data.length);
  assert.equal(v.json.sha256, sha);
  assert.equal(localStorage.getItem(fingerprint(file)), null, 'a finished upload is forgotten');

  // resume after a reload: abort after two chunks, then a NEW client for the same file
  const file2 = new Blob([data], { type: 'video/mp4' });
  file2.name = 'set2.mp4';
  file2.lastModified = 1700000000001;
  const up2 = new TusUpload(file2, { chunkSize: 512 * 1024, onProgress: (s) => { if (s >= 1024 * 1024) up2.abort(); } });
  await assert.rejects(up2.start(), (e) => e.name === 'AbortError');
  const saved = JSON.parse(localStorage.getItem(fingerprint(file2))).url;
  assert.equal(saved, up2.url, 'the upload URL is remembered under the file fingerprint');
  // after a reload the page can offer it: name, size and the server's offset
  const pending = pendingUploads();
  assert.equal(pending.length, 1, JSON.stringify(pending));
  assert.equal(pending[0].name, 'set2.mp4');
  assert.equal(pending[0].size, data.length);
  assert.ok((await pendingOffset(pending[0])) >= 1024 * 1024, 'the server kept the first chunks');
  log.length = 0;
  const up3 = new TusUpload(file2, { chunkSize: 512 * 1024 });
  const r3 = await up3.start();
  assert.equal(up3.resumed, true);
  assert.equal(log[0], `HEAD ${saved}`);
  assert.ok(log.filter((l) => l.startsWith('PATCH')).length <= 5, `resumed, not restarted: ${log.join(', ')}`);
  v = await api(server, 'GET', `/v1/videos/${r3.videoId}`, { token: token() });
  assert.equal(v.json.sha256, sha);

  // a remembered upload that no longer exists on the server: start over
  const file4 = new Blob([data.subarray(0, 1000)]);
  file4.name = 'gone.mp4';
  file4.lastModified = 1;
  localStorage.setItem(fingerprint(file4), '/v1/uploads/' + 'a'.repeat(32));
  const up4 = new TusUpload(file4);
  const r4 = await up4.start();
  assert.equal(up4.resumed, false);
  assert.match(r4.videoId, /^[0-9a-f]{32}$/);
  const empty = new Blob([]);
  empty.name = 'empty.mp4';
  await assert.rejects(new TusUpload(empty).start(), /empty/);

  // ---- sse.js: an event stream cut at awkward places
  const text = ': hello\n\nevent: progress\ndata: {"state":"running","progress":5}\n\n' +
    'event: progress\r\ndata: {"state":"running",\r\ndata: "progress":50}\r\n\r\n:\n\nevent: done\ndata: {"state":"done"}\n\n';
  const enc = new TextEncoder().encode(text);
  const body = new ReadableStream({
    start(c) { for (let i = 0; i < enc.length; i += 7) c.enqueue(enc.subarray(i, i + 7)); c.close(); },
  });
  const events = [];
  for await (const ev of readEvents(new Response(body))) events.push(ev);
  assert.deepEqual(events.map((e) => e.event), ['progress', 'progress', 'done']);
  assert.deepEqual(JSON.parse(events[0].data), { state: 'running', progress: 5 });
  assert.equal(events[1].data, '{"state":"running",\n"progress":50}');

  // logout ends the session's family: its refresh token is refused at once (no reuse grace)
  const current = session.refreshToken;
  await logout();
  assert.equal(session.isLoggedIn(), false);
  const again = await api(server, 'POST', '/v1/auth/refresh', { json: { refresh_token: current } });
  assert.equal(again.status, 401);
});
