/* views/auth.js - log in and create an account. The first screen a new person sees, so it also
 * says what RepRight does, how to film a set, and shows what a result looks like. */
import { login, register } from '../api.js';
import { h, svg, notice, errorText, sentence } from '../dom.js';

/* A squat at the bottom, drawn as a skeleton: the sample result's picture (no photo needed). */
function sampleFigure() {
  const P = { head: [186, 38], sh: [174, 66], hip: [124, 122], knee: [182, 136], ankle: [158, 188], toe: [186, 192], elbow: [206, 92], hand: [236, 92] };
  const line = (a, b, cls) => svg('line', { x1: P[a][0], y1: P[a][1], x2: P[b][0], y2: P[b][1], class: cls });
  return svg('svg', { viewBox: '0 0 300 236', class: 'sample-figure', role: 'img', 'aria-label': 'a squat drawn as a skeleton, the knees marked red' },
    svg('rect', { x: 0, y: 0, width: 300, height: 236, rx: 10, class: 'sample-bg' }),
    line('sh', 'hip', 'bone'), line('sh', 'elbow', 'bone'), line('elbow', 'hand', 'bone'),
    line('hip', 'knee', 'bone bone-bad'), line('knee', 'ankle', 'bone bone-bad'), line('ankle', 'toe', 'bone'),
    svg('circle', { cx: P.head[0], cy: P.head[1], r: 13, class: 'joint-head' }),
    ...['sh', 'hip', 'knee', 'ankle', 'elbow', 'hand'].map((k) => svg('circle', { cx: P[k][0], cy: P[k][1], r: 5, class: 'joint' })),
    svg('rect', { x: 10, y: 10, width: 92, height: 26, rx: 6, class: 'hud-box' }),
    svg('text', { x: 18, y: 28, class: 'hud-text', text: '4 / 5 reps' }),
    svg('rect', { x: 10, y: 202, width: 200, height: 26, rx: 6, class: 'hud-box' }),
    svg('text', { x: 18, y: 220, class: 'hud-text hud-bad', text: 'Rep 4: push your knees out' }));
}

/* What RepRight does, how to film, and a sample result. */
export function intro() {
  const chips = [['good', 1], ['good', 2], ['good', 3], ['bad', 4], ['good', 5]];
  return h('section', { class: 'intro card', 'data-testid': 'intro', 'aria-labelledby': 'intro-title' },
    h('h2', { id: 'intro-title', class: 'intro-title' }, 'Film a set. RepRight counts every rep and tells you which ones need work.'),
    h('p', {}, 'Upload a video of your squats, push-ups, lunges, deadlifts, curls, presses, jumping jacks, pull-ups or plank, or train live in front of your camera. Each rep is judged good or “needs work”, with one plain cue to fix it.'),
    h('h3', {}, 'How to film'),
    h('ol', { class: 'film-steps', 'data-testid': 'intro-film' },
      h('li', {}, h('strong', {}, 'Whole body in the picture. '), 'Head to feet, one person, in good light.'),
      h('li', {}, h('strong', {}, 'From the side '), 'for squats, push-ups, lunges, deadlifts and planks; ', h('strong', {}, 'from the front '), 'for jumping jacks.'),
      h('li', {}, h('strong', {}, 'Phone steady, 2–3 m away, '), 'at hip height, against a wall or on a chair.')),
    h('h3', {}, 'What you get'),
    h('figure', { class: 'sample', 'data-testid': 'intro-sample' },
      sampleFigure(),
      h('ol', { class: 'timeline sample-chips', 'aria-label': 'sample reps' },
        chips.map(([v, n]) => h('li', {}, h('span', { class: `chip chip-${v}`, 'aria-label': `rep ${n}, ${v === 'good' ? 'good' : 'needs work'}` }, String(n))))),
      h('figcaption', {}, 'Sample result: 5 squats, 4 good. Rep 4 needs work: ', h('span', { class: 'cue' }, 'push your knees out.'))));
}

function form(root, { title, submitLabel, testid, onSubmit, footer, minPassword }) {
  const msg = h('div', { 'aria-live': 'polite' });
  const email = h('input', { id: 'email', type: 'email', name: 'email', autocomplete: 'email', required: true, 'data-testid': 'auth-email' });
  const password = h('input', {
    id: 'password', type: 'password', name: 'password', required: true, 'data-testid': 'auth-password',
    autocomplete: minPassword ? 'new-password' : 'current-password', minlength: minPassword || null,
  });
  const btn = h('button', { type: 'submit', class: 'primary', 'data-testid': 'auth-submit' }, submitLabel);
  const f = h('form', { class: 'card auth', 'data-testid': testid, novalidate: false },
    h('h1', {}, title),
    h('p', { class: 'tagline', 'data-testid': 'tagline' }, 'RepRight counts your reps and tells you which ones need work, from a video of your set or live from your camera. How it works is below.'),
    h('label', { for: 'email' }, 'Email'), email,
    h('label', { for: 'password' }, 'Password'), password,
    minPassword ? h('p', { class: 'hint' }, `At least ${minPassword} characters; common passwords are refused.`) : null,
    btn, msg, footer);
  f.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.textContent = '';
    btn.disabled = true;
    try {
      await onSubmit(email.value.trim(), password.value, msg);
    } catch (err) {
      msg.appendChild(notice('error', sentence(errorText(err)), 'auth-error'));
    } finally {
      btn.disabled = false;
    }
  });
  root.appendChild(h('div', { class: 'auth-layout' }, f, intro()));
  email.focus();
}

export function renderLogin(root, _params, { go }) {
  form(root, {
    title: 'Log in', submitLabel: 'Log in', testid: 'login-form',
    footer: h('p', {}, 'New here? ', h('a', { href: '#/register', 'data-testid': 'to-register' }, 'Create an account'), ' — it is free.'),
    async onSubmit(email, password) {
      await login(email, password);
      go('#/workouts');
    },
  });
  let flash = null; /* e.g. after the account was deleted (views/settings.js) */
  try { flash = sessionStorage.getItem('repright.flash'); sessionStorage.removeItem('repright.flash'); } catch (_) { /* no storage */ }
  if (flash && root.firstChild) root.firstChild.prepend(notice('ok', flash, 'login-flash'));
}

export function renderRegister(root, _params, { go }) {
  form(root, {
    title: 'Create account', submitLabel: 'Create account', testid: 'register-form', minPassword: 8,
    footer: h('p', {}, 'Already registered? ', h('a', { href: '#/login', 'data-testid': 'to-login' }, 'Log in')),
    async onSubmit(email, password) {
      await register(email, password);
      await login(email, password);
      go('#/upload');
    },
  });
}
