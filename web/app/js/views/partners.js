/* views/partners.js - the gyms a member shares with (issue 13): link with the one-time code a gym
 * gave (#/partners?code=... from an invite link fills it in), choose what the gym may see, see
 * which gym sees what, and stop sharing (counts from the gym's next request). */
import { apiFetch } from '../api.js';
import { h, clear, notice, errorText, sentence, fmtDate } from '../dom.js';

const SHARES = [
  ['profile', 'Your email (so the gym knows who you are)'],
  ['workouts', 'Your workouts: exercise, time, reps and score'],
  ['analytics', 'Your progress: daily totals, counted in the gym\'s statistics'],
];

export async function render(root, params) {
  const msg = h('div', { 'aria-live': 'polite' });
  const list = h('div', { 'data-testid': 'partners-list' });
  const code = h('input', { id: 'partner-code', autocomplete: 'off', required: true, maxlength: 64, 'data-testid': 'partner-code', value: params.query.get('code') || '' });
  const boxes = SHARES.map(([name, label]) => {
    const cb = h('input', { type: 'checkbox', id: `share-${name}`, checked: true, 'data-testid': `share-${name}` });
    return [name, cb, h('div', { class: 'check-row' }, cb, h('label', { for: `share-${name}` }, label))];
  });
  const btn = h('button', { type: 'submit', class: 'primary', 'data-testid': 'partner-link' }, 'Share with this gym');
  const form = h('form', { class: 'card', 'data-testid': 'partner-form' },
    h('h2', {}, 'Link to a gym'),
    h('label', { for: 'partner-code' }, 'Code from your gym'), code,
    h('p', { class: 'hint' }, 'The gym may see:'), boxes.map((b) => b[2]), btn, msg);

  async function refresh() {
    clear(list);
    let items = [];
    try {
      items = (await apiFetch('/v1/me/partners')).items || [];
    } catch (err) {
      list.appendChild(notice('error', sentence(errorText(err)), 'partners-error'));
      return;
    }
    if (!items.length) {
      list.appendChild(h('p', { class: 'hint', 'data-testid': 'partners-empty' }, 'You share nothing with any gym.'));
      return;
    }
    for (const p of items) {
      const stop = h('button', { type: 'button', class: 'danger-outline small', 'data-testid': `partner-unlink-${p.org_id}` }, 'Stop sharing');
      stop.addEventListener('click', async () => {
        stop.disabled = true;
        try {
          await apiFetch(`/v1/me/partners/${p.org_id}`, { method: 'DELETE' });
          msg.replaceChildren(notice('ok', `${p.org_name} no longer sees your data.`, 'partner-unlinked'));
          await refresh();
        } catch (err) {
          stop.disabled = false;
          msg.replaceChildren(notice('error', sentence(errorText(err)), 'partner-error'));
        }
      });
      list.appendChild(h('div', { class: 'card', 'data-testid': 'partner-item' },
        h('h3', {}, p.org_name),
        h('p', {}, 'Sees: ', p.shares.join(', '), ' · since ', fmtDate(p.linked_at)), stop));
    }
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.replaceChildren();
    const shares = boxes.filter((b) => b[1].checked).map((b) => b[0]);
    if (!shares.length) {
      msg.appendChild(notice('error', 'Choose at least one thing the gym may see.', 'partner-error'));
      return;
    }
    btn.disabled = true;
    try {
      const p = await apiFetch('/v1/me/partners', { method: 'POST', json: { code: code.value.trim(), shares } });
      msg.appendChild(notice('ok', `You now share ${p.shares.join(', ')} with ${p.org_name}.`, 'partner-linked'));
      code.value = '';
      await refresh();
    } catch (err) {
      msg.appendChild(notice('error', sentence(errorText(err)), 'partner-error'));
    } finally {
      btn.disabled = false;
    }
  });

  root.appendChild(h('section', { 'data-testid': 'partners-screen' },
    h('h1', {}, 'Gyms'), form, h('h2', {}, 'Who sees what'), list));
  await refresh();
}
