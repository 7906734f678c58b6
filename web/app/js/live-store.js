// live-store.js - live sessions kept on the device (IndexedDB) until the server has them.
//
// Owner: live page. Database 'repright-live' v1, object store 'sessions' keyed by client_id
// (the idempotency key of POST /v1/sync), index 'state' ('pending' | 'synced' | 'rejected').
// Errors: every function rejects with the IndexedDB error (quota, private mode without
// IndexedDB: 'IndexedDB is not available'). Thread-safety: IndexedDB transactions serialise
// writers, also across tabs; a record is only ever replaced whole.

const DB_NAME = 'repright-live';
const DB_VERSION = 1;
const STORE = 'sessions';
let dbPromise = null;

function req2promise(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

export function openDb() {
  if (dbPromise) return dbPromise;
  if (typeof indexedDB === 'undefined') return Promise.reject(new Error('IndexedDB is not available in this browser'));
  dbPromise = new Promise((resolve, reject) => {
    const r = indexedDB.open(DB_NAME, DB_VERSION);
    r.onupgradeneeded = () => {
      const db = r.result;
      if (!db.objectStoreNames.contains(STORE)) {
        const s = db.createObjectStore(STORE, { keyPath: 'client_id' });
        s.createIndex('state', 'state');
      }
    };
    r.onsuccess = () => {
      const db = r.result;
      db.onversionchange = () => { db.close(); dbPromise = null; };
      resolve(db);
    };
    r.onerror = () => { dbPromise = null; reject(r.error); };
    r.onblocked = () => { dbPromise = null; reject(new Error('IndexedDB is blocked by another tab')); };
  });
  return dbPromise;
}

async function tx(mode, fn) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const t = db.transaction(STORE, mode);
    let out;
    t.oncomplete = () => resolve(out);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error || new Error('IndexedDB transaction aborted'));
    Promise.resolve(fn(t.objectStore(STORE))).then((v) => { out = v; }, reject);
  });
}

export function putSession(rec) {
  return tx('readwrite', (s) => req2promise(s.put(rec)));
}

export function getSession(clientId) {
  return tx('readonly', (s) => req2promise(s.get(clientId)));
}

// All sessions, newest first; state filters ('pending', ...).
export async function listSessions({ state } = {}) {
  const all = await tx('readonly', (s) => req2promise(state ? s.index('state').getAll(state) : s.getAll()));
  return (all || []).sort((a, b) => (b.created_ms || 0) - (a.created_ms || 0));
}

// Update fields of a stored session (read-modify-write in one transaction).
export function updateSession(clientId, patch) {
  return tx('readwrite', async (s) => {
    const cur = await req2promise(s.get(clientId));
    if (!cur) return null;
    const next = { ...cur, ...patch };
    await req2promise(s.put(next));
    return next;
  });
}

export function deleteSession(clientId) {
  return tx('readwrite', (s) => req2promise(s.delete(clientId)));
}

export async function counts() {
  const all = await listSessions();
  const c = { pending: 0, synced: 0, rejected: 0 };
  for (const r of all) c[r.state] = (c[r.state] || 0) + 1;
  return c;
}
