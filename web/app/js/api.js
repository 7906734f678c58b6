/*
 * api.js - the one client of RepRight's REST API (/v1), shared by the dashboard and the live page.
 *
 * Contract (docs/internals/web.md):
 *  - session: tokens kept in localStorage key 'repright.session'
 *    {access_token, refresh_token, user_id, email, expires_at (ms since epoch)}.
 *  - apiFetch(path, opts) adds the Bearer token; on 401 it refreshes once (one refresh in flight
 *    for all callers, rotated refresh token saved) and retries once. Returns parsed JSON (null for
 *    204 or an empty body), or the Response itself when raw=true. Non-2xx -> ApiError with the
 *    server's {error:{code,message,details}}; a network failure -> TypeError (offline).
 *  - exercises() -> the exercise names the server knows (GET /v1/exercises: the analysis
 *    registry), fetched once per page load and shared; a failed fetch is retried by the next call.
 *  - No module state besides the in-flight refresh promise and that list; safe to import from
 *    several modules.
 */

const KEY = 'repright.session';

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message || code || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = code || 'http_' + status;
    this.details = details || [];
  }
}

function readSession() {
  try {
    const raw = globalThis.localStorage && localStorage.getItem(KEY);
    const s = raw ? JSON.parse(raw) : null;
    return s && typeof s === 'object' ? s : null;
  } catch (_) {
    return null;
  }
}

function writeSession(s) {
  try {
    if (s) localStorage.setItem(KEY, JSON.stringify(s));
    else localStorage.removeItem(KEY);
  } catch (_) {
    /* storage disabled: the session lives only as long as the page */
  }
}

export const session = {
  get accessToken() { const s = readSession(); return s ? s.access_token || null : null; },
  get refreshToken() { const s = readSession(); return s ? s.refresh_token || null : null; },
  get userId() { const s = readSession(); return s ? s.user_id || null : null; },
  get email() { const s = readSession(); return s ? s.email || null : null; },
  isLoggedIn() { const s = readSession(); return !!(s && s.access_token && s.refresh_token); },
  save(loginJson, email) {
    const old = readSession() || {};
    writeSession({
      access_token: loginJson.access_token,
      refresh_token: loginJson.refresh_token,
      user_id: loginJson.user_id || old.user_id || null,
      email: email !== undefined && email !== null ? email : old.email || null,
      expires_at: Date.now() + 1000 * (Number(loginJson.expires_in) || 900),
    });
  },
  clear() { writeSession(null); },
};

async function errorFrom(res) {
  let code = null, message = null, details = null;
  try {
    const j = await res.json();
    if (j && j.error) {
      code = j.error.code;
      message = j.error.message;
      details = j.error.details;
    }
  } catch (_) {
    /* not a JSON body */
  }
  return new ApiError(res.status, code, message || res.statusText, details);
}

let refreshing = null;

/* One refresh for every concurrent caller; resolves true when a new token pair was saved. */
function refreshOnce() {
  if (refreshing) return refreshing;
  const rt = session.refreshToken;
  if (!rt) return Promise.resolve(false);
  refreshing = (async () => {
    try {
      const res = await fetch('/v1/auth/refresh', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ refresh_token: rt }),
      });
      if (!res.ok) {
        if (res.status === 401 || res.status === 400) {
          session.clear();
          if (typeof window !== 'undefined') window.dispatchEvent(new Event('repright:logout'));
        }
        return false;
      }
      session.save(await res.json());
      return true;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

export async function apiFetch(path, { method = 'GET', json, body, headers = {}, raw = false, signal } = {}) {
  const build = () => {
    const h = new Headers(headers);
    const tok = session.accessToken;
    if (tok && !h.has('Authorization')) h.set('Authorization', 'Bearer ' + tok);
    let b = body;
    if (json !== undefined) {
      h.set('Content-Type', 'application/json');
      b = JSON.stringify(json);
    }
    return { method, headers: h, body: b, signal };
  };
  const sentToken = session.accessToken;
  let res = await fetch(path, build());
  if (res.status === 401 && !path.startsWith('/v1/auth/') && session.refreshToken) {
    // A concurrent caller may have refreshed while this request was in flight: then retry with
    // the new token instead of spending the rotated refresh token on a second refresh.
    const renewed = session.accessToken && session.accessToken !== sentToken;
    if (renewed || await refreshOnce()) res = await fetch(path, build());
  }
  if (raw) {
    if (!res.ok && res.status !== 304) throw await errorFrom(res);
    return res;
  }
  if (!res.ok) throw await errorFrom(res);
  if (res.status === 204) return null;
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}

let exerciseList = null;

/* The exercise names, in registry order: the one list (the server's analysis registry), never a
 * copy kept here. */
export function exercises() {
  if (!exerciseList) {
    exerciseList = apiFetch('/v1/exercises')
      .then((j) => (j && Array.isArray(j.items) ? j.items.map((e) => String(e.name)) : []))
      .catch((e) => { exerciseList = null; throw e; });
  }
  return exerciseList;
}

export async function login(email, password) {
  const j = await apiFetch('/v1/auth/login', { method: 'POST', json: { email, password } });
  session.save(j, email);
  return j;
}

export async function register(email, password) {
  return apiFetch('/v1/auth/register', { method: 'POST', json: { email, password } });
}

export async function logout() {
  const rt = session.refreshToken;
  session.clear();
  if (!rt) return;
  try {
    await fetch('/v1/auth/logout', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh_token: rt }),
    });
  } catch (_) {
    /* offline: the local session is gone anyway; the refresh token expires on its own */
  }
}
