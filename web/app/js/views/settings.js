/* views/settings.js - account: who is signed in, change the password, log out. */
import { apiFetch, logout, session } from '../api.js';
import { h, notice, errorText, sentence } from '../dom.js';

export function render(root, _params, { go }) {
  const msg = h('div', { 'aria-live': 'polite' });
  const cur = h('input', { type: 'password', id: 'cur-pw', autocomplete: 'current-password', required: true, 'data-testid': 'pw-current' });
  const npw = h('input', { type: 'password', id: 'new-pw', autocomplete: 'new-password', required: true, minlength: 8, 'data-testid': 'pw-new' });
  const btn = h('button', { type: 'submit', class: 'primary', 'data-testid': 'pw-submit' }, 'Change password');
  const form = h('form', { class: 'card', 'data-testid': 'password-form' },
    h('h2', {}, 'Change password'),
    h('label', { for: 'cur-pw' }, 'Current password'), cur,
    h('label', { for: 'new-pw' }, 'New password'), npw,
    h('p', { class: 'hint' }, 'Changing it signs you out everywhere.'), btn, msg);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.textContent = '';
    btn.disabled = true;
    try {
      await apiFetch('/v1/me/password', { method: 'POST', json: { current_password: cur.value, new_password: npw.value } });
      session.clear();
      msg.appendChild(notice('ok', 'Password changed. Log in again with the new one.', 'pw-ok'));
      setTimeout(() => go('#/login'), 1500);
    } catch (err) {
      msg.appendChild(notice('error', sentence(errorText(err)), 'pw-error'));
    } finally {
      btn.disabled = false;
    }
  });
  const who = h('p', { 'data-testid': 'settings-email' }, session.email || '');
  const consoleLink = h('p', { hidden: true, 'data-testid': 'settings-console' }, 'You manage an organisation: ', h('a', { href: '#/console' }, 'partner console'), '.');
  apiFetch('/v1/orgs').then((r) => { if (r.items && r.items.length) consoleLink.hidden = false; }).catch(() => { /* no console */ });
  apiFetch('/v1/me').then((me) => { who.textContent = me.email; }).catch(() => { /* shown from the session */ });
  root.appendChild(h('section', { 'data-testid': 'settings-screen' },
    h('h1', {}, 'Settings'),
    h('div', { class: 'card' }, h('h2', {}, 'Account'), who,
      h('button', { type: 'button', 'data-testid': 'logout', onclick: async () => { await logout(); go('#/login'); } }, 'Log out')),
    form,
    h('div', { class: 'card', 'data-testid': 'settings-partners' }, h('h2', {}, 'Gyms'),
      h('p', {}, 'Share your training with your gym, and see who sees what: ', h('a', { href: '#/partners', 'data-testid': 'settings-partners-link' }, 'gyms'), '.'), consoleLink),
    h('div', { class: 'card' }, h('h2', {}, 'Live coach'), h('p', {}, 'Train with on-device feedback: ', h('a', { href: '/live.html' }, 'open the live coach'), '.'))));
}
