/* views/settings.js - account: who is signed in, the plan and this month's usage (bars, what
 * the plan above adds; shown when the plan_page flag is on), change the password, log out,
 * delete the account (the password again, a confirmation in the page, then the login screen). */
import { apiFetch, logout, session } from '../api.js';
import { h, clear, notice, errorText, sentence } from '../dom.js';

const limitText = (v, unit) => (v < 0 ? 'unlimited' : `${v} ${unit}`);
const secondsText = (s) => (s < 0 ? 'any length' : s % 60 === 0 ? `${s / 60} min` : `${s} s`);
const historyText = (d) => (d < 0 ? 'kept forever' : `${d} days`);
const price = (c) => (c === 0 ? 'no charge' : `${(c / 100).toFixed(2)} a month`);

/* One usage line: label, "used of limit" and a bar (none for an unlimited limit). */
function usageRow(testid, label, used, limit, unit) {
  const u = unit === 'uploads' && (limit < 0 ? used : limit) === 1 ? 'upload' : unit;
  const text = limit < 0 ? `${used} ${u} (no limit)` : `${used} of ${limit} ${u}`;
  const row = h('div', { class: 'usage-row', 'data-testid': testid },
    h('div', { class: 'usage-label' }, h('span', {}, label), h('span', {}, text)));
  if (limit >= 0) {
    const bar = h('progress', { class: used >= limit ? 'usage-bar full' : 'usage-bar', max: Math.max(limit, 1), value: Math.min(used, limit), 'aria-label': `${label}: ${text}` });
    row.appendChild(bar);
  }
  return row;
}

/* What the next plan offers over the current one, as list items. */
function adds(cur, next) {
  const items = [];
  if (next.uploads_per_month < 0 || next.uploads_per_month > cur.uploads_per_month) items.push(['Uploads', limitText(next.uploads_per_month, 'a month')]);
  if (next.max_video_s < 0 || next.max_video_s > cur.max_video_s) items.push(['Videos up to', secondsText(next.max_video_s)]);
  if (next.history_days < 0 ? cur.history_days >= 0 : next.history_days > cur.history_days) items.push(['History', historyText(next.history_days)]);
  if (next.overlay_video && !cur.overlay_video) items.push(['Overlay video', 'the skeleton and verdicts drawn on your clip']);
  if (next.heavy_model && !cur.heavy_model) items.push(['Most accurate pose model', 'for hard angles and fast movements']);
  return items.map(([k, v]) => h('li', {}, h('strong', {}, k), ': ', v));
}

function planCard(u) {
  const p = u.plan;
  const card = h('div', { class: 'card', 'data-testid': 'plan-card' },
    h('div', { class: 'plan-head' }, h('h2', {}, `Plan: ${p.name}`), h('span', { class: 'plan-price' }, price(p.price_cents))),
    h('p', { class: 'hint' }, `Usage in ${u.month} (resets on the 1st, UTC)`),
    usageRow('usage-uploads', 'Uploads', u.usage.uploads, p.uploads_per_month, 'uploads'),
    usageRow('usage-seconds', 'Video analysed', u.usage.video_seconds, -1, 's'),
    h('ul', { class: 'plan-limits', 'data-testid': 'plan-limits' },
      h('li', {}, `Videos up to ${secondsText(p.max_video_s)}`),
      h('li', {}, `History: ${historyText(p.history_days)}`),
      h('li', {}, p.overlay_video ? 'Overlay video included' : 'No overlay video'),
      h('li', {}, p.heavy_model ? 'Most accurate pose model included' : 'Standard pose model')));
  if (u.next_plan) {
    card.appendChild(h('div', { 'data-testid': 'plan-next' },
      h('h3', {}, `What ${u.next_plan.name} adds (${price(u.next_plan.price_cents)})`),
      h('ul', { class: 'plan-adds' }, adds(p, u.next_plan))));
  }
  return card;
}

/* Delete the account: what goes, the password, then a confirmation in the page (no browser
 * dialog); DELETE /v1/me, then the local session is dropped and the login screen says so. */
function deleteAccountCard(go) {
  const out = h('div', { 'aria-live': 'polite' });
  const pw = h('input', { type: 'password', id: 'del-pw', autocomplete: 'current-password', 'data-testid': 'account-delete-password' });
  const confirmBox = h('div', { class: 'confirm', hidden: true, 'data-testid': 'account-delete-confirm-box' },
    h('p', {}, 'Delete your account and everything in it? This cannot be undone.'),
    h('div', { class: 'actions' },
      h('button', {
        type: 'button', class: 'danger', 'data-testid': 'account-delete-confirm',
        onclick: async (e) => {
          e.target.disabled = true;
          clear(out);
          try {
            await apiFetch('/v1/me', { method: 'DELETE', json: { password: pw.value } });
            pw.value = '';
            session.clear();
            try { sessionStorage.setItem('repright.flash', 'Your account and everything in it were deleted.'); } catch (_) { /* no storage */ }
            go('#/login');
          } catch (err) {
            e.target.disabled = false;
            confirmBox.hidden = true;
            ask.hidden = false;
            clear(out, notice('error', sentence(errorText(err)), 'account-delete-error'));
          }
        },
      }, 'Delete my account for good'),
      h('button', { type: 'button', 'data-testid': 'account-delete-cancel', onclick: () => { confirmBox.hidden = true; ask.hidden = false; } }, 'Keep it')));
  const ask = h('button', {
    type: 'button', class: 'danger-outline', 'data-testid': 'account-delete',
    onclick: () => {
      clear(out);
      if (!pw.value) { clear(out, notice('error', 'Enter your password first.', 'account-delete-error')); pw.focus(); return; }
      confirmBox.hidden = false;
      ask.hidden = true;
    },
  }, 'Delete account');
  return h('div', { class: 'card', 'data-testid': 'account-delete-card' },
    h('h2', {}, 'Delete account'),
    h('p', { class: 'hint' }, 'Deletes your account and everything in it: your videos with their overlays, thumbnails and measured reps, your workouts and analytics, your usage, and your links to gyms (each gym is told you left, nothing more). You are signed out everywhere.'),
    h('label', { for: 'del-pw' }, 'Your password'), pw,
    h('div', { class: 'actions' }, ask), confirmBox, out);
}

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
  const plan = h('div', { 'data-testid': 'plan-slot' });
  Promise.all([apiFetch('/v1/me/flags'), apiFetch('/v1/me/usage')]).then(([f, u]) => {
    if (f.flags && f.flags.plan_page) clear(plan, planCard(u));
  }).catch((err) => { clear(plan, notice('error', sentence(errorText(err)), 'plan-error')); });
  root.appendChild(h('section', { 'data-testid': 'settings-screen' },
    h('h1', {}, 'Settings'),
    h('div', { class: 'card' }, h('h2', {}, 'Account'), who,
      h('button', { type: 'button', 'data-testid': 'logout', onclick: async () => { await logout(); go('#/login'); } }, 'Log out')),
    plan,
    form,
    h('div', { class: 'card', 'data-testid': 'settings-partners' }, h('h2', {}, 'Gyms'),
      h('p', {}, 'Share your training with your gym, and see who sees what: ', h('a', { href: '#/partners', 'data-testid': 'settings-partners-link' }, 'gyms'), '.'), consoleLink),
    h('div', { class: 'card' }, h('h2', {}, 'Live coach'), h('p', {}, 'Train with on-device feedback: ', h('a', { href: '/live.html' }, 'open the live coach'), '.')),
    deleteAccountCard(go)));
}
