/*
 * tus.js - a small tus 1.0 client for RepRight's /v1/uploads (docs/internals/blob.md):
 * create (POST, Upload-Length, Upload-Metadata), PATCH chunks with Upload-Offset, HEAD to learn
 * the server's durable offset after a network error or a 409, and resume across page reloads:
 * the upload URL is kept in localStorage under a fingerprint of (user, file name, size, mtime),
 * so picking the same file again continues where the last attempt stopped.
 *
 * The finished upload IS the video: the last PATCH (or a HEAD afterwards) carries X-Video-Id and
 * X-Job-Id. fetch() has no upload progress events, so progress advances per chunk; chunks are
 * sized so a file reports at least ~20 steps.
 *
 * What is kept per unfinished upload (localStorage, key = the fingerprint): JSON {url, name,
 * size, type, saved (ms)}; older entries hold the bare URL. pendingUploads() lists them for the
 * current user, so the upload screen can offer to resume after a reload; the metadata sent at
 * create also carries the chosen exercise ("exercise", absent = recognise it) and "overlay".
 */
import { apiFetch, ApiError, session } from './api.js';

const TUS = { 'Tus-Resumable': '1.0.0' };
const KEY_PREFIX = 'repright.tus.';
const MIN_CHUNK = 256 * 1024;
const MAX_CHUNK = 8 * 1024 * 1024;

function b64(s) {
  const bytes = new TextEncoder().encode(String(s));
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

export function fingerprint(file) {
  return `${KEY_PREFIX}${session.userId || 'anon'}:${file.name}:${file.size}:${file.lastModified || 0}`;
}

/* The stored entry of a fingerprint: {url, name, size, type, saved} (an old bare URL too). */
function readEntry(raw) {
  if (!raw) return null;
  if (raw.startsWith('/')) return { url: raw };
  try {
    const e = JSON.parse(raw);
    return e && typeof e.url === 'string' ? e : null;
  } catch (_) {
    return null;
  }
}

/* The current user's unfinished uploads, newest first: [{key, url, name, size, saved}]. */
export function pendingUploads(storage = globalThis.localStorage) {
  const out = [];
  const prefix = `${KEY_PREFIX}${session.userId || 'anon'}:`;
  try {
    for (let i = 0; i < storage.length; i++) {
      const key = storage.key(i);
      if (!key || !key.startsWith(prefix)) continue;
      const e = readEntry(storage.getItem(key));
      if (!e) continue;
      // name:size:mtime, the name itself may hold ':'
      const rest = key.slice(prefix.length).split(':');
      const size = Number(rest[rest.length - 2]);
      out.push({ key, url: e.url, name: e.name || rest.slice(0, -2).join(':'), size: e.size || size, saved: e.saved || 0 });
    }
  } catch (_) {
    /* storage disabled */
  }
  return out.sort((a, b) => b.saved - a.saved);
}

/* Drop an unfinished upload: the server's copy (tus DELETE) and the local note. */
export async function discardPending(p, storage = globalThis.localStorage) {
  try { storage.removeItem(p.key); } catch (_) { /* ignore */ }
  try {
    await apiFetch(p.url, { method: 'DELETE', raw: true, headers: TUS });
  } catch (_) {
    /* gone already, or offline: it expires on the server */
  }
}

/* The offset the server holds for an unfinished upload (HEAD), or null when it is gone. */
export async function pendingOffset(p) {
  try {
    const res = await apiFetch(p.url, { method: 'HEAD', raw: true, headers: TUS });
    return Number(res.headers.get('Upload-Offset') || 0);
  } catch (_) {
    return null;
  }
}

const sleep = (ms, signal) => new Promise((resolve, reject) => {
  const t = setTimeout(resolve, ms);
  if (signal) signal.addEventListener('abort', () => { clearTimeout(t); reject(new DOMException('aborted', 'AbortError')); }, { once: true });
});

export class TusUpload {
  /* opts: {endpoint, chunkSize, retries, onProgress(sent, total), onStatus(text), storage,
   *        metadata: {key: value} added to Upload-Metadata (exercise, overlay)} */
  constructor(file, opts = {}) {
    this.file = file;
    this.endpoint = opts.endpoint || '/v1/uploads';
    this.chunkSize = opts.chunkSize || Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, Math.ceil(file.size / 20)));
    this.retries = opts.retries ?? 8;
    this.onProgress = opts.onProgress || (() => {});
    this.onStatus = opts.onStatus || (() => {});
    this.storage = opts.storage || globalThis.localStorage;
    this.metadata = opts.metadata || {};
    this.fp = fingerprint(file);
    this.url = null;
    this.offset = 0;
    this.videoId = null;
    this.jobId = null;
    this.resumed = false;
    this.ctrl = new AbortController();
  }

  abort() { this.ctrl.abort(); }

  remember(url) {
    const entry = { url, name: this.file.name, size: this.file.size, type: this.file.type || '', saved: Date.now() };
    try { this.storage.setItem(this.fp, JSON.stringify(entry)); } catch (_) { /* storage full or disabled */ }
  }
  forget() { try { this.storage.removeItem(this.fp); } catch (_) { /* ignore */ } }

  takeIds(res) {
    this.videoId = res.headers.get('X-Video-Id') || this.videoId;
    this.jobId = res.headers.get('X-Job-Id') || this.jobId;
  }

  async create() {
    let meta = `filename ${b64(this.file.name || 'video')},filetype ${b64(this.file.type || 'application/octet-stream')}`;
    for (const [k, v] of Object.entries(this.metadata)) {
      if (v !== undefined && v !== null && v !== '' && /^[a-z_]+$/.test(k)) meta += `,${k} ${b64(v)}`;
    }
    const res = await apiFetch(this.endpoint, {
      method: 'POST', raw: true, signal: this.ctrl.signal,
      headers: { ...TUS, 'Upload-Length': String(this.file.size), 'Upload-Metadata': meta },
    });
    const loc = res.headers.get('Location');
    if (!loc) throw new Error('the server did not return an upload location');
    this.url = new URL(loc, location.href).pathname;
    this.offset = 0;
    this.remember(this.url);
  }

  /* HEAD the upload: the durable offset (and the ids once complete). false when it is gone. */
  async head() {
    try {
      const res = await apiFetch(this.url, { method: 'HEAD', raw: true, headers: TUS, signal: this.ctrl.signal });
      this.offset = Number(res.headers.get('Upload-Offset') || 0);
      this.takeIds(res);
      return true;
    } catch (e) {
      if (e instanceof ApiError && (e.status === 404 || e.status === 410)) return false;
      throw e;
    }
  }

  async patch() {
    const end = Math.min(this.file.size, this.offset + this.chunkSize);
    const res = await apiFetch(this.url, {
      method: 'PATCH', raw: true, signal: this.ctrl.signal,
      headers: { ...TUS, 'Upload-Offset': String(this.offset), 'Content-Type': 'application/offset+octet-stream' },
      body: this.file.slice(this.offset, end),
    });
    this.offset = Number(res.headers.get('Upload-Offset') || end);
    this.takeIds(res);
  }

  /* Upload everything; resolves {videoId, jobId}. */
  async start() {
    if (!this.file || !this.file.size) throw new Error('the file is empty');
    const saved = this.storage ? readEntry(this.storage.getItem(this.fp)) : null;
    if (saved) {
      this.url = saved.url;
      this.onStatus('resuming an earlier upload');
      if (await this.head()) this.resumed = true;
      else { this.forget(); this.url = null; }
    }
    if (!this.url) await this.create();
    this.onProgress(this.offset, this.file.size);
    let failures = 0;
    while (this.offset < this.file.size || !this.videoId) {
      if (this.offset >= this.file.size) { // complete but the ids were lost with a reply
        await this.head();
        if (!this.videoId) throw new Error('the upload finished but the server named no video');
        break;
      }
      try {
        await this.patch();
        failures = 0;
        this.onProgress(this.offset, this.file.size);
      } catch (e) {
        if (e && e.name === 'AbortError') throw e;
        const retryable = e instanceof TypeError || (e instanceof ApiError && (e.status === 409 || e.status === 423 || e.status >= 500));
        if (!retryable || ++failures > this.retries) throw e;
        this.onStatus(e instanceof TypeError ? 'connection lost: retrying' : 'resynchronising with the server');
        await sleep(Math.min(8000, 500 * 2 ** (failures - 1)), this.ctrl.signal);
        try {
          if (!(await this.head())) { this.forget(); throw new Error('the upload expired on the server; start again'); }
        } catch (e2) {
          if (!(e2 instanceof TypeError)) throw e2; // still offline: loop and retry
        }
        this.onProgress(this.offset, this.file.size);
      }
    }
    this.forget();
    this.onProgress(this.file.size, this.file.size);
    return { videoId: this.videoId, jobId: this.jobId };
  }
}
