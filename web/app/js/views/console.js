/* views/console.js - the partner console (issue 13) for a user who administers an organisation:
 * its API keys (create: the key is shown once; revoke), its members and what each shares, and
 * one-time invite codes. #/console?org=<id> picks the org when there are several. */
import { apiFetch } from '../api.js';
import { h, clear, notice, errorText, sentence, fmtDate } from '../dom.js';

const SCOPES = ['members:read', 'workouts:read', 'analytics:read', 'webhooks:write'];

function when(iso, never = '—') { return iso ? fmtDate(iso) : never; }

function table(testid, head, rows) {
  return h('div', { class: 'table-scroll' }, h('table', { class: 'records', 'data-testid': testid },
    h('thead', {}, h('tr', {}, head.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, rows)));
}

export async function render(root, params, { go }) {
  const orgs = (await apiFetch('/v1/orgs')).items || [];
  if (!orgs.length) {
    root.appendChild(h('section', { 'data-testid': 'console-screen' }, h('h1', {}, 'Partner console'),
      h('p', { class: 'hint', 'data-testid': 'console-none' }, 'You manage no organisation. An operator can add you with `repright admin org add-admin`.')));
    return;
  }
  const org = orgs.find((o) => o.id === params.query.get('org')) || orgs[0];
  const base = `/v1/orgs/${org.id}`;
  const msg = h('div', { 'aria-live': 'polite' });
  const keysBox = h('div', {});
  const membersBox = h('div', {});
  const invitesBox = h('div', {});
  const picker = orgs.length > 1
    ? h('select', { 'data-testid': 'console-org', onchange: (e) => go(`#/console?org=${e.target.value}`) },
      orgs.map((o) => h('option', { value: o.id, selected: o.id === org.id }, o.name)))
    : null;

  async function loadKeys() {
    const items = (await apiFetch(`${base}/keys`)).items || [];
    clear(keysBox, items.length ? table('keys-table', ['Name', 'Prefix', 'Scopes', 'Expires', 'Last use', 'State', ''],
      items.map((k) => {
        const rev = k.state === 'active'
          ? h('button', { type: 'button', class: 'danger-outline small', 'data-testid': `key-revoke-${k.prefix}` }, 'Revoke')
          : null;
        if (rev) rev.addEventListener('click', async () => {
          rev.disabled = true;
          try {
            await apiFetch(`${base}/keys/${k.id}`, { method: 'DELETE' });
            msg.replaceChildren(notice('ok', `Key ${k.prefix} revoked: it stops working at once.`, 'key-revoked'));
            await loadKeys();
          } catch (err) { rev.disabled = false; msg.replaceChildren(notice('error', sentence(errorText(err)), 'console-error')); }
        });
        return h('tr', { 'data-testid': 'key-row', 'data-state': k.state }, h('td', {}, k.name || '—'), h('td', {}, h('code', {}, k.prefix)),
          h('td', {}, k.scopes.join(', ')), h('td', {}, when(k.expires_at, 'never')), h('td', {}, when(k.last_used_at, 'never')),
          h('td', {}, k.state), h('td', {}, rev));
      })) : h('p', { class: 'hint' }, 'No keys yet.'));
  }

  async function loadMembers() {
    const items = (await apiFetch(`${base}/members?limit=100`)).items || [];
    clear(membersBox, items.length ? table('members-table', ['Member', 'Shares', 'Linked'],
      items.map((m) => h('tr', { 'data-testid': 'member-row' }, h('td', {}, m.email || m.id), h('td', {}, m.shares.join(', ')), h('td', {}, when(m.linked_at)))))
      : h('p', { class: 'hint', 'data-testid': 'members-empty' }, 'No member shares anything with you yet: send them an invite code.'));
  }

  async function loadInvites() {
    const items = (await apiFetch(`${base}/invites`)).items || [];
    clear(invitesBox, items.length ? table('invites-table', ['Created', 'Expires', 'State'],
      items.map((v) => h('tr', { 'data-testid': 'invite-row', 'data-state': v.state }, h('td', {}, when(v.created_at)), h('td', {}, when(v.expires_at)), h('td', {}, v.state))))
      : h('p', { class: 'hint' }, 'No invite codes yet.'));
  }

  // ---- new key: the key is shown once, here
  const keyName = h('input', { id: 'key-name', maxlength: 100, 'data-testid': 'key-name' });
  const scopeBoxes = SCOPES.map((s) => {
    const cb = h('input', { type: 'checkbox', id: `scope-${s}`, value: s, 'data-testid': `scope-${s.replace(':', '-')}` });
    return [cb, h('div', { class: 'check-row' }, cb, h('label', { for: `scope-${s}` }, s))];
  });
  const expires = h('input', { id: 'key-expires', type: 'number', min: 1, max: 3650, placeholder: 'never', 'data-testid': 'key-expires' });
  const shown = h('div', { 'aria-live': 'polite' });
  const keyBtn = h('button', { type: 'submit', class: 'primary', 'data-testid': 'key-create' }, 'Create key');
  const keyForm = h('form', { class: 'card', 'data-testid': 'key-form' }, h('h3', {}, 'New API key'),
    h('label', { for: 'key-name' }, 'Name'), keyName, h('p', { class: 'hint' }, 'Scopes:'), scopeBoxes.map((b) => b[1]),
    h('label', { for: 'key-expires' }, 'Expires after (days)'), expires, keyBtn, shown);
  keyForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    shown.replaceChildren();
    const scopes = scopeBoxes.filter((b) => b[0].checked).map((b) => b[0].value);
    if (!scopes.length) { shown.appendChild(notice('error', 'Choose at least one scope.', 'console-error')); return; }
    const body = { scopes };
    if (keyName.value.trim()) body.name = keyName.value.trim();
    if (expires.value) body.expires_days = Number(expires.value);
    keyBtn.disabled = true;
    try {
      const r = await apiFetch(`${base}/keys`, { method: 'POST', json: body });
      shown.appendChild(h('div', { class: 'notice notice-ok', 'data-testid': 'key-shown' },
        h('p', {}, 'Copy this key now: it is shown once and cannot be recovered.'),
        h('code', { class: 'secret', 'data-testid': 'key-secret' }, r.key)));
      keyName.value = '';
      await loadKeys();
    } catch (err) {
      shown.appendChild(notice('error', sentence(errorText(err)), 'console-error'));
    } finally { keyBtn.disabled = false; }
  });

  // ---- new invite code
  const codeShown = h('div', { 'aria-live': 'polite' });
  const invBtn = h('button', { type: 'button', class: 'primary', 'data-testid': 'invite-create' }, 'New invite code');
  invBtn.addEventListener('click', async () => {
    invBtn.disabled = true;
    codeShown.replaceChildren();
    try {
      const r = await apiFetch(`${base}/invites`, { method: 'POST', json: { days: 7 } });
      const link = `${location.origin}${r.link}`;
      codeShown.appendChild(h('div', { class: 'notice notice-ok', 'data-testid': 'invite-shown' },
        h('p', {}, 'Give this code (or link) to one member; it works once, for 7 days.'),
        h('code', { class: 'secret', 'data-testid': 'invite-code' }, r.code), h('br', {}),
        h('a', { href: link, 'data-testid': 'invite-link' }, link)));
      await loadInvites();
    } catch (err) {
      codeShown.appendChild(notice('error', sentence(errorText(err)), 'console-error'));
    } finally { invBtn.disabled = false; }
  });

  root.appendChild(h('section', { 'data-testid': 'console-screen' },
    h('h1', {}, 'Partner console'),
    h('div', { class: 'card' }, h('h2', { 'data-testid': 'console-org-name' }, org.name), picker,
      h('p', { class: 'hint' }, 'Members choose what you may see, and can stop sharing at any time.')),
    msg,
    h('div', { class: 'card' }, h('h2', {}, 'API keys'), keysBox), keyForm,
    h('div', { class: 'card' }, h('h2', {}, 'Members'), membersBox),
    h('div', { class: 'card' }, h('h2', {}, 'Invite codes'), invBtn, codeShown, invitesBox)));
  try {
    await Promise.all([loadKeys(), loadMembers(), loadInvites()]);
  } catch (err) {
    msg.appendChild(notice('error', sentence(errorText(err)), 'console-error'));
  }
}
