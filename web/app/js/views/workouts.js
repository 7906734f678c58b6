/* views/workouts.js - the workout history: filters (exercise, date range), cursor pages. */
import { apiFetch, exercises } from '../api.js';
import { h, clear, notice, errorText, fmtDate, fmtDuration, fmtNum, exerciseLabel, verdictMix } from '../dom.js';

const FLASH_KEY = 'repright.flash';

/* What the list says about a workout's reps: "5 reps · 4 good · 1 needs work". */
export function repsLine(w) {
  const n = Number(w.reps) || 0;
  const v = w.verdicts || {};
  const parts = [`${n} rep${n === 1 ? '' : 's'}`];
  if (v.good) parts.push(`${v.good} good`);
  if (v.bad) parts.push(`${v.bad} need${v.bad === 1 ? 's' : ''} work`);
  if (v.cannot_judge) parts.push(`${v.cannot_judge} can't judge`);
  return parts.join(' · ');
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
  let flash = null;
  try { flash = sessionStorage.getItem(FLASH_KEY); sessionStorage.removeItem(FLASH_KEY); } catch (_) { /* no storage */ }
  root.appendChild(h('section', { 'data-testid': 'workouts-screen' },
    h('div', { class: 'title-row' }, h('h1', {}, 'Workouts'),
      h('a', { class: 'button primary', href: '#/upload', 'data-testid': 'workouts-upload' }, 'Upload a set')),
    flash ? notice('ok', flash, 'workouts-flash') : null,
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
        const v = w.verdicts || {};
        const mix = verdictMix(v.good, v.bad); // the colour says what the reps were judged
        const judged = (Number(v.good) || 0) + (Number(v.bad) || 0);
        const nothing = !w.reps && (w.exercise === 'unknown' || !w.exercise);
        list.appendChild(h('li', { class: 'workout-item', 'data-testid': 'workout-item', 'data-id': w.id, 'data-mix': mix },
          h('a', { href: `#/workouts/${w.id}`, 'data-testid': 'workout-link' },
            h('span', { class: 'w-ex' }, w.name || exerciseLabel(w.exercise)),
            h('span', { class: 'w-date' }, `${w.name ? `${exerciseLabel(w.exercise)} · ` : ''}${fmtDate(w.started_at)}`),
            h('span', { class: 'w-meta', 'data-testid': 'workout-reps' }, nothing ? 'Nothing counted: open it to choose the exercise'
              : `${repsLine(w)} · ${fmtDuration(w.duration_ms)} · ${w.source === 'video' ? 'video' : 'live coach'}`),
            h('span', { class: `score score-${mix}`, 'data-testid': 'workout-score', 'aria-label': judged ? `score ${fmtNum(w.score)}, ${v.good || 0} of ${judged} judged reps good` : 'no judged reps' },
              judged ? fmtNum(w.score) : '–'))));
      }
      cursor = page.next_cursor;
      more.hidden = !cursor;
      if (!list.children.length) {
        const filtered = exercise.value || from.value || to.value;
        msg.appendChild(filtered
          ? h('div', { class: 'notice notice-info', role: 'status', 'data-testid': 'workouts-empty' }, 'No workouts match these filters. ',
            h('a', { href: '#/workouts', 'data-testid': 'filters-clear', onclick: (e) => { e.preventDefault(); exercise.value = ''; from.value = ''; to.value = ''; history.replaceState(null, '', '#/workouts'); load(true); } }, 'Show all workouts'))
          : h('div', { class: 'card empty', 'data-testid': 'workouts-empty' },
            h('h2', {}, 'No workouts yet'),
            h('p', {}, 'Film a set and upload it, or train with the live coach: every set you do shows up here with its reps and how each one went.'),
            h('div', { class: 'actions' }, h('a', { class: 'button primary', href: '#/upload' }, 'Upload a set'), h('a', { class: 'button', href: '/live.html' }, 'Open the live coach'))));
      }
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
