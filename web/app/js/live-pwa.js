// live-pwa.js - registers the service worker (/sw.js, scope '/') that keeps the app usable offline.
//
// Owner: live page (the dashboard may import it too). Errors: never throws; resolves the
// registration or null (no service worker support, or http on a non-localhost origin).
// Thread-safety: page thread only.

export async function registerServiceWorker() {
  if (typeof navigator === 'undefined' || !('serviceWorker' in navigator)) return null;
  try {
    return await navigator.serviceWorker.register('/sw.js', { scope: '/' });
  } catch (e) {
    console.warn('service worker registration failed:', e && e.message);
    return null;
  }
}
