/* views/workouts.js - the workout history: filters (exercise, date range), cursor pages. */
import { apiFetch, exercises } from '../api.js';
import { h, clear, notice, errorText, fmtDate, fmtDuration, fmtNum, exerciseLabel } from '../dom.js';

function verdictClass(score) {
  if (!Number.isFinite(Number(score))) return 'grey';
  return score >= 75 ? 'good' : score >= 50 ? 'warn' : 'bad';
}

export function render(root, params) {
  const ctrl = new AbortController();
  const q = params.query;
  // the options come from the server (GET /v1/exercises); a filter in the URL applies at once
  const wanted = q.get('exercise');
  const exercise = h('select', { id: 'f-exercise', 'data-testid': 'filter-exercise' },
    h('option', { value: '' }, 'All exercises'),
    wanted ? h('option', { value: wanted, selected: true }, exerciseLabel(wanted)) : null);
  const from = h('input', { type: 'date', id: 'f-from', value: q.get('from') || '', 'data-testid': 'filter-from' });
  const to = h('input', { type: 'date', id: 'f-to', value: q.get('to') || '', 'data-testid': 'filter-to' });
  const list = h('ul', { class: 'workout-list', 'data-testid': 'workout-list', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', 'data-testid': 'workouts-more', hidden: true }, 'Load more');
  const msg = h('div', {});
  const filters = h('form', { class: 'filters', 'data-testid': 'workout-filters', role: 'search' },
    h('div', {}, h('label', { for: 'f-exercise' }, 'Exercise'), exercise),
    h('div', {}, h('label', { for: 'f-from' }, 'From'), from),
    h('div', {}, h('label', { for: 'f-to' }, 'To'), to),
    h('button', { type: 'submit', 'data-testid': 'filter-apply' }, 'Apply'));
  root.appendChild(h('section', { 'data-testid': 'workouts-screen' },
    h('div', { class: 'title-row' }, h('h1', {}, 'Workouts'),
      h('a', { class: 'button primary', href: '#/upload', 'data-testid': 'workouts-upload' }, 'Upload a set')),
    filters, msg, list, more));

  let cursor = null;
  async function load(reset) {
    if (reset) { clear(list); cursor = null; }
    clear(msg);
    const qs = new URLSearchParams({ limit: '20' });
    if (exercise.value) qs.set('exercise', exercise.value);
    if (from.value) qs.set('from', from.value);
    if (to.value) qs.set('to', to.value);
    if (cursor) qs.set('cursor', cursor);
    more.disabled = true;
    try {
      const page = await apiFetch(`/v1/workouts?${qs}`, { signal: ctrl.signal });
      for (const w of page.items) {
        list.appendChild(h('li', { class: 'workout-item', 'data-testid': 'workout-item', 'data-id': w.id },
          h('a', { href: `#/workouts/${w.id}`, 'data-testid': 'workout-link' },
            h('span', { class: 'w-ex' }, exerciseLabel(w.exercise)),
            h('span', { class: 'w-date' }, fmtDate(w.started_at)),
            h('span', { class: 'w-meta' }, `${fmtDuration(w.duration_ms)} · ${w.source === 'video' ? 'video' : 'live coach'}`),
            h('span', { class: `score score-${verdictClass(w.score)}`, 'aria-label': `score ${fmtNum(w.score)}` }, fmtNum(w.score)))));
      }
      cursor = page.next_cursor;
      more.hidden = !cursor;
      if (!list.children.length) msg.appendChild(notice('info', 'No workouts yet for these filters. Upload a set or use the live coach.', 'workouts-empty'));
    } catch (e) {
      if (!ctrl.signal.aborted) msg.appendChild(notice('error', errorText(e), 'workouts-error'));
    } finally {
      more.disabled = false;
    }
  }
  filters.addEventListener('submit', (e) => {
    e.preventDefault();
    const qs = new URLSearchParams();
    if (exercise.value) qs.set('exercise', exercise.value);
    if (from.value) qs.set('from', from.value);
    if (to.value) qs.set('to', to.value);
    history.replaceState(null, '', `#/workouts${qs.toString() ? '?' + qs : ''}`);
    load(true);
  });
  more.addEventListener('click', () => load(false));
  exercises().then((names) => {
    const keep = exercise.value;
    exercise.replaceChildren(h('option', { value: '' }, 'All exercises'),
      ...names.map((e) => h('option', { value: e, selected: e === keep }, exerciseLabel(e))));
  }).catch((e) => {
    if (!ctrl.signal.aborted) msg.appendChild(notice('error', `The exercise list did not load: ${errorText(e)}`, 'exercises-error'));
  });
  load(true);
  return () => ctrl.abort();
}
