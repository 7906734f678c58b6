// live-sync.js - sends the sessions waiting in IndexedDB to POST /v1/sync.
//
// Owner: live page. Uses web/app/js/api.js (apiFetch, session) through a dynamic import, so the
// page still records sets when that module cannot load. When: on page load, on the 'online'
// event, after each set (syncNow()) and every 60 s while sessions wait.
// Errors: never throws; the outcome is in the status passed to onChange:
//   {pending, synced, rejected, state: 'idle'|'syncing'|'offline'|'signed_out'|'error', message}
// A network failure (TypeError) or a 5xx/429 keeps the session pending; 401 (after api.js's one
// refresh) means signed out: kept until the next login; 400/422 marks the session 'rejected'
// with the server's message (it would never be accepted). The endpoint is idempotent on
// client_id, so a retry after a lost answer does not create a second workout.
// Thread-safety: one sync pass at a time (later calls join the running one and ask for another).
// Sessions recorded while signed out (user_id null) go to the first account that syncs them;
// sessions of another account wait for that account.

import { listSessions, updateSession, counts } from './live-store.js';
import { toSyncBody } from './live-set.js';

let apiPromise = null;
function loadApi() {
  if (!apiPromise) apiPromise = import('./api.js').catch((e) => { apiPromise = null; throw e; });
  return apiPromise;
}

export class Syncer {
  constructor({ onChange = () => {}, intervalMs = 60000 } = {}) {
    this.onChange = onChange;
    this.intervalMs = intervalMs;
    this.running = null;
    this.again = false;
    this.status = { pending: 0, synced: 0, rejected: 0, state: 'idle', message: '' };
    this.timer = null;
    this.onOnline = () => { this.syncNow(); };
  }

  start() {
    if (typeof window !== 'undefined') window.addEventListener('online', this.onOnline);
    this.timer = setInterval(() => { if (this.status.pending > 0) this.syncNow(); }, this.intervalMs);
    return this.syncNow();
  }

  stop() {
    if (typeof window !== 'undefined') window.removeEventListener('online', this.onOnline);
    clearInterval(this.timer);
  }

  async report(state, message = '') {
    try {
      Object.assign(this.status, await counts());
    } catch (e) {
      state = 'error';
      message = `cannot read stored sessions: ${e.message}`;
    }
    this.status.state = state;
    this.status.message = message;
    this.onChange({ ...this.status });
  }

  // Resolves with the status after one full pass (or the running pass plus one more).
  syncNow() {
    if (this.running) { this.again = true; return this.running; }
    this.running = (async () => {
      let st;
      do {
        this.again = false;
        st = await this.pass();
      } while (this.again);
      this.running = null;
      return st;
    })();
    return this.running;
  }

  async pass() {
    let pending;
    try {
      pending = await listSessions({ state: 'pending' });
    } catch (e) {
      await this.report('error', `cannot read stored sessions: ${e.message}`);
      return this.status;
    }
    if (!pending.length) { await this.report('idle'); return this.status; }
    let api;
    try {
      api = await loadApi();
    } catch (e) {
      await this.report('error', `the API client did not load (${e.message})`);
      return this.status;
    }
    if (!api.session.isLoggedIn()) { await this.report('signed_out', 'Log in to sync the sets kept on this device.'); return this.status; }
    const me = api.session.userId;
    await this.report('syncing');
    let state = 'idle';
    let message = '';
    for (const rec of pending.reverse()) { // oldest first
      if (rec.user_id && me && rec.user_id !== me) continue; // another account's set waits for it
      try {
        const out = await api.apiFetch('/v1/sync', { method: 'POST', json: toSyncBody(rec) });
        await updateSession(rec.client_id, { state: 'synced', workout_id: (out && out.workout_id) || null, user_id: me || rec.user_id, synced_ms: Date.now(), error: null });
      } catch (e) {
        if (e instanceof TypeError || (typeof navigator !== 'undefined' && navigator.onLine === false)) { state = 'offline'; message = 'Offline: sets wait on this device.'; break; }
        const status = e && e.status;
        if (status === 401) { state = 'signed_out'; message = 'Log in to sync the sets kept on this device.'; break; }
        if (status === 400 || status === 422 || status === 413) {
          await updateSession(rec.client_id, { state: 'rejected', error: `${status} ${e.message}` });
          state = 'error';
          message = `A set was refused by the server: ${e.message}`;
          continue;
        }
        state = 'error';
        message = `Sync failed (${status || e.message}); will retry.`;
        break;
      }
    }
    await this.report(state, message);
    return this.status;
  }
}
