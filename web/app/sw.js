// sw.js - RepRight's service worker (scope '/'): the app works with no network.
//
// Owner: live page helper (shared by the whole app). docs/internals/live.md#offline.
// Policy:
//  - install: the app shell goes into the versioned cache CACHE: the SHELL list (pages, manifest,
//    icons, the WASM analysis core, the MediaPipe files the lite model needs) plus every file the
//    pages link and the JS modules import (followed transitively, at most CRAWL_MAX files), so
//    the dashboard's modules need no list here. A file that cannot be fetched is reported in the
//    console and skipped (one missing optional file must not leave the app without offline
//    support); /live.html is required. Fetches revalidate the HTTP cache (ETag -> 304), so files
//    the page has just loaded are not downloaded twice.
//  - activate: caches of other versions are deleted; open pages are claimed at once.
//  - fetch: /v1/... (the API) is never cached and never answered from a cache: it goes to the
//    network untouched (responses carry tokens and private data; a failure reaches the page as
//    a network error, which is how api.js knows it is offline). Non-GET, cross-origin and Range
//    requests pass through too. Static GETs are cache-first: the cached copy answers at once and,
//    except for the pinned vendor/ files, the network refreshes the cache in the background
//    (a deploy is picked up on the next load). A page navigation that is not cached gets the
//    network, then the cached '/' (dashboard) or live page as fallback.
// Bump VERSION when the list or the policy changes.
const VERSION = 'v2';
const CACHE = `repright-shell-${VERSION}`;
const MP = '/vendor/mediapipe-pose/';

const REQUIRED = ['/live.html'];
const SHELL = [
  '/', '/manifest.webmanifest', '/js/analysis-core.js', '/js/api.js',
  '/icons/icon-192.png', '/icons/icon-512.png', '/icons/icon-maskable-512.png',
  '/wasm/rr_analysis.js', '/wasm/rr_analysis.wasm',
  // MediaPipe's loader fetches these for both landmark models (the live page starts on full and
  // may go down to lite; SIMD build; the non-SIMD build is
  // cached at run time on the browsers that ask for it)
  `${MP}pose.js`, `${MP}pose_solution_packed_assets_loader.js`, `${MP}pose_solution_packed_assets.data`,
  `${MP}pose_solution_simd_wasm_bin.js`, `${MP}pose_solution_simd_wasm_bin.wasm`,
  `${MP}pose_solution_simd_wasm_bin.data`, `${MP}pose_web.binarypb`, `${MP}pose_landmark_lite.tflite`, `${MP}pose_landmark_full.tflite`,
];

const CRAWL_MAX = 200; // files found by following the pages' links and the modules' imports

// Same-origin paths a page or a module refers to (link/script/img attributes, static and
// literal dynamic imports); query strings and fragments dropped.
function refsOf(text, base, isHtml) {
  const out = new Set();
  const add = (u) => {
    try {
      const url = new URL(u, base);
      if (url.origin === self.location.origin && !url.pathname.startsWith('/v1/')) out.add(url.pathname);
    } catch { /* not a URL */ }
  };
  if (isHtml) {
    for (const m of text.matchAll(/<(?:script|link|img)\b[^>]*?\b(?:src|href)\s*=\s*["']([^"'#?]+)/gi)) add(m[1]);
  }
  for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["']([^"']+\.m?js)["']/g)) add(m[1]);
  return out;
}

async function precache() {
  const cache = await caches.open(CACHE);
  const seen = new Set();
  const failed = [];
  let queue = [...REQUIRED, ...SHELL];
  while (queue.length && seen.size < CRAWL_MAX) {
    const batch = queue.filter((u) => !seen.has(u)).slice(0, CRAWL_MAX - seen.size);
    queue = [];
    for (const u of batch) seen.add(u);
    await Promise.all(batch.map(async (url) => {
      try {
        const r = await fetch(new Request(url, { cache: 'no-cache' }));
        if (!r.ok) throw new Error(`HTTP ${r.status}`);
        const type = r.headers.get('Content-Type') || '';
        const html = type.includes('text/html');
        if (html || type.includes('javascript')) {
          const text = await r.clone().text();
          for (const ref of refsOf(text, new URL(url, self.location.origin), html)) if (!seen.has(ref)) queue.push(ref);
        }
        await cache.put(url, r);
      } catch (e) {
        failed.push(url);
      }
    }));
  }
  if (failed.length) console.warn('sw: not cached for offline use:', failed.join(', '));
  for (const url of REQUIRED) if (failed.includes(url)) throw new Error(`sw: ${url} could not be cached`);
}

self.addEventListener('install', (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const k of await caches.keys()) if (k.startsWith('repright-') && k !== CACHE) await caches.delete(k);
    await self.clients.claim();
  })());
});

function cacheable(res) {
  return res && res.status === 200 && res.type === 'basic' && !res.headers.get('Content-Range');
}

async function refresh(cache, req) {
  const res = await fetch(req);
  if (cacheable(res)) await cache.put(req, res.clone());
  return res;
}

async function staticFirst(event, req, url) {
  const cache = await caches.open(CACHE);
  const hit = (await cache.match(req, { ignoreVary: true })) || (await cache.match(req, { ignoreSearch: true, ignoreVary: true }));
  if (hit) {
    if (!url.pathname.startsWith(MP)) event.waitUntil(refresh(cache, req).catch(() => {}));
    return hit;
  }
  try {
    return await refresh(cache, req);
  } catch (e) {
    if (req.mode === 'navigate') {
      const page = url.pathname.startsWith('/live') ? '/live.html' : '/';
      const fb = (await cache.match(page, { ignoreVary: true })) || (await cache.match('/index.html', { ignoreVary: true }));
      if (fb) return fb;
    }
    throw e;
  }
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET' || req.headers.has('range')) return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === '/v1' || url.pathname.startsWith('/v1/')) return; // API: network only
  if (url.pathname === '/sw.js') return;
  event.respondWith(staticFirst(event, req, url));
});
