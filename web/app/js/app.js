/*
 * app.js - the dashboard single-page app: hash routes, the navigation bar, the sign-in guard.
 * Routes: #/login #/register #/upload #/jobs/<id> #/workouts #/workouts/<id> #/analytics
 * #/settings #/partners (gyms a member shares with) #/console (an org admin's partner console).
 * Each view module exports render(root, params) and may return a cleanup function
 * (called when the route changes: abort streams, revoke blob URLs).
 */
import { session } from './api.js';
import { h, clear } from './dom.js';
import * as auth from './views/auth.js';
import * as upload from './views/upload.js';
import * as job from './views/job.js';
import * as workouts from './views/workouts.js';
import * as detail from './views/detail.js';
import * as analytics from './views/analytics.js';
import * as settings from './views/settings.js';
import * as partners from './views/partners.js';
import * as consoleView from './views/console.js';

const routes = [
  { re: /^\/login$/, view: auth.renderLogin, open: true, title: 'Log in' },
  { re: /^\/register$/, view: auth.renderRegister, open: true, title: 'Create account' },
  { re: /^\/upload$/, view: upload.render, title: 'Upload', nav: 'upload' },
  { re: /^\/jobs\/([0-9a-f]{32})$/, view: job.render, title: 'Analysing', nav: 'upload', params: ['id'] },
  { re: /^\/workouts$/, view: workouts.render, title: 'Workouts', nav: 'workouts' },
  { re: /^\/workouts\/([0-9a-f]{32})$/, view: detail.render, title: 'Workout', nav: 'workouts', params: ['id'] },
  { re: /^\/analytics$/, view: analytics.render, title: 'Analytics', nav: 'analytics' },
  { re: /^\/settings$/, view: settings.render, title: 'Settings', nav: 'settings' },
  { re: /^\/partners$/, view: partners.render, title: 'Gyms', nav: 'settings' },
  { re: /^\/console$/, view: consoleView.render, title: 'Partner console', nav: 'settings' },
];

/* On a phone the navigation is a tab bar at the bottom (css/app.css): five short labels. */
const NAV = [
  ['workouts', '#/workouts', 'Workouts'],
  ['upload', '#/upload', 'Upload'],
  ['live', '/live.html', 'Live'],
  ['analytics', '#/analytics', 'Analytics'],
  ['settings', '#/settings', 'Settings'],
];

let cleanup = null;
let seq = 0;

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/workouts';
  const [path, qs] = raw.split('?');
  return { path, query: new URLSearchParams(qs || '') };
}

export function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

function renderNav(active) {
  const nav = document.getElementById('nav');
  clear(nav);
  if (!session.isLoggedIn()) return;
  const ul = h('ul', {});
  for (const [key, href, label] of NAV) {
    ul.appendChild(h('li', {}, h('a', { href, 'data-testid': `nav-${key}`, 'aria-current': key === active ? 'page' : null }, label)));
  }
  nav.appendChild(ul);
}

async function route() {
  const my = ++seq;
  if (cleanup) { try { cleanup(); } catch (_) { /* a view's cleanup must not block navigation */ } cleanup = null; }
  const { path, query } = parseHash();
  let r = routes.find((x) => x.re.test(path));
  if (!r) { go('#/workouts'); return; }
  if (!r.open && !session.isLoggedIn()) { go('#/login'); return; }
  if (r.open && session.isLoggedIn()) { go('#/workouts'); return; }
  const m = path.match(r.re);
  const params = { query };
  (r.params || []).forEach((name, i) => { params[name] = m[i + 1]; });
  document.title = `${r.title} · RepRight`;
  renderNav(r.nav);
  const root = document.getElementById('view');
  clear(root);
  root.setAttribute('aria-busy', 'true');
  try {
    const c = await r.view(root, params, { go });
    if (my === seq) cleanup = typeof c === 'function' ? c : null;
    else if (typeof c === 'function') c();
  } finally {
    if (my === seq) {
      root.removeAttribute('aria-busy');
      document.body.dataset.route = path.split('/')[1] || '';
      const heading = root.querySelector('h1');
      if (heading) { heading.setAttribute('tabindex', '-1'); heading.focus({ preventScroll: true }); }
    }
  }
}

window.addEventListener('hashchange', route);
const skip = document.querySelector('.skip');
if (skip) skip.addEventListener('click', (e) => { e.preventDefault(); document.getElementById('view').focus(); });
window.addEventListener('repright:logout', () => go('#/login'));
route().then(() => { document.body.dataset.ready = '1'; });

if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('/sw.js').catch(() => { /* no service worker: the app still works online */ });
}
