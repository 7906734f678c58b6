/* views/console.js - the partner console (issue 13) for a user who administers an organisation:
 * its API keys (create: the key is shown once; revoke), its members and what each shares,
 * one-time invite codes, and webhooks (endpoints: create with the signing secret shown once,
 * test, delete; the delivery log: status, attempts, last answer, redeliver).
 * #/console?org=<id> picks the org when there are several. */
import { apiFetch } from '../api.js';
import { h, clear, notice, errorText, sentence, fmtDate } from '../dom.js';

const SCOPES = ['members:read', 'workouts:read', 'analytics:read', 'webhooks:write'];
const EVENT_TYPES = ['member.linked', 'member.unlinked', 'workout.synced', 'analysis.completed'];
const slug = (s) => s.replace(/[.:]/g, '-');

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
  const hooksBox = h('div', {});
  const deliveriesBox = h('div', {});
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

  function button(label, testid, action, cls = 'small') {
    const b = h('button', { type: 'button', class: cls, 'data-testid': testid }, label);
    b.addEventListener('click', async () => {
      b.disabled = true;
      try { await action(); } catch (err) { msg.replaceChildren(notice('error', sentence(errorText(err)), 'console-error')); } finally { b.disabled = false; }
    });
    return b;
  }

  async function loadHooks() {
    const items = (await apiFetch(`${base}/webhooks`)).items || [];
    clear(hooksBox, items.length ? table('hooks-table', ['URL', 'Events', 'Created', ''],
      items.map((e) => h('tr', { 'data-testid': 'hook-row' }, h('td', {}, h('code', { class: 'url' }, e.url)),
        h('td', {}, e.event_types.join(', ')), h('td', {}, when(e.created_at)),
        h('td', {}, button('Send test', `hook-test-${e.id}`, async () => {
          await apiFetch(`${base}/webhooks/${e.id}/test`, { method: 'POST' });
          msg.replaceChildren(notice('ok', 'Test event queued: it shows in the delivery log.', 'hook-tested'));
          await loadDeliveries();
        }), ' ', button('Delete', `hook-delete-${e.id}`, async () => {
          await apiFetch(`${base}/webhooks/${e.id}`, { method: 'DELETE' });
          msg.replaceChildren(notice('ok', 'Endpoint deleted, with its delivery log.', 'hook-deleted'));
          await Promise.all([loadHooks(), loadDeliveries()]);
        }, 'danger-outline small')))))
      : h('p', { class: 'hint', 'data-testid': 'hooks-empty' }, 'No webhook endpoints yet.'));
  }

  async function loadDeliveries() {
    const items = (await apiFetch(`${base}/webhook-deliveries?limit=50`)).items || [];
    clear(deliveriesBox, items.length ? table('deliveries-table', ['Event', 'Member', 'Status', 'Attempts', 'Last answer', 'Created', ''],
      items.map((d) => h('tr', { 'data-testid': 'delivery-row', 'data-status': d.status, 'data-type': d.event_type },
        h('td', {}, d.event_type), h('td', {}, d.member_id ? h('code', {}, d.member_id.slice(0, 8)) : '—'),
        h('td', {}, d.status === 'pending' && d.next_attempt_at ? `pending (next ${when(d.next_attempt_at)})` : d.status),
        h('td', {}, String(d.attempts)),
        h('td', {}, [d.last_status ? `HTTP ${d.last_status}` : null, d.last_error || null].filter(Boolean).join(': ') || '—'),
        h('td', {}, when(d.created_at)),
        h('td', {}, d.status === 'pending' ? null : button('Redeliver', `delivery-redeliver-${d.id}`, async () => {
          await apiFetch(`${base}/webhook-deliveries/${d.id}/redeliver`, { method: 'POST' });
          msg.replaceChildren(notice('ok', 'Queued again, with the same webhook-id.', 'delivery-redelivered'));
          await loadDeliveries();
        })))))
      : h('p', { class: 'hint', 'data-testid': 'deliveries-empty' }, 'Nothing sent yet.'));
  }

  // ---- new webhook endpoint: the signing secret is shown once, here
  const hookUrl = h('input', { id: 'hook-url', type: 'url', maxlength: 2048, placeholder: 'https://', 'data-testid': 'hook-url' });
  const typeBoxes = EVENT_TYPES.map((t) => {
    const cb = h('input', { type: 'checkbox', id: `hook-type-${slug(t)}`, value: t, checked: true, 'data-testid': `hook-type-${slug(t)}` });
    return [cb, h('div', { class: 'check-row' }, cb, h('label', { for: `hook-type-${slug(t)}` }, t))];
  });
  const hookShown = h('div', { 'aria-live': 'polite' });
  const hookBtn = h('button', { type: 'submit', class: 'primary', 'data-testid': 'hook-create' }, 'Add endpoint');
  const hookForm = h('form', { class: 'card', 'data-testid': 'hook-form' }, h('h3', {}, 'New webhook endpoint'),
    h('label', { for: 'hook-url' }, 'URL (https, a public address)'), hookUrl, h('p', { class: 'hint' }, 'Events:'),
    typeBoxes.map((b) => b[1]), hookBtn, hookShown);
  hookForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    hookShown.replaceChildren();
    const types = typeBoxes.filter((b) => b[0].checked).map((b) => b[0].value);
    if (!types.length) { hookShown.appendChild(notice('error', 'Choose at least one event.', 'console-error')); return; }
    hookBtn.disabled = true;
    try {
      const r = await apiFetch(`${base}/webhooks`, { method: 'POST', json: { url: hookUrl.value.trim(), event_types: types } });
      hookShown.appendChild(h('div', { class: 'notice notice-ok', 'data-testid': 'hook-shown' },
        h('p', {}, 'Copy the signing secret now: it is shown once. Check each request\'s webhook-signature with it (Standard Webhooks).'),
        h('code', { class: 'secret', 'data-testid': 'hook-secret' }, r.secret)));
      hookUrl.value = '';
      await loadHooks();
    } catch (err) {
      hookShown.appendChild(notice('error', sentence(errorText(err)), 'console-error'));
    } finally { hookBtn.disabled = false; }
  });

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
    h('div', { class: 'card' }, h('h2', {}, 'Invite codes'), invBtn, codeShown, invitesBox),
    h('div', { class: 'card', 'data-testid': 'hooks-section' }, h('h2', {}, 'Webhooks'), hooksBox), hookForm,
    h('div', { class: 'card', 'data-testid': 'deliveries-section' }, h('h2', {}, 'Webhook deliveries'),
      button('Refresh', 'deliveries-refresh', loadDeliveries), deliveriesBox)));
  try {
    await Promise.all([loadKeys(), loadMembers(), loadInvites(), loadHooks(), loadDeliveries()]);
  } catch (err) {
    msg.appendChild(notice('error', sentence(errorText(err)), 'console-error'));
  }
}
