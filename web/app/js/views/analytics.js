/* views/analytics.js - reps and volume per week, score trend per exercise, most frequent faults,
 * personal records, streaks (server aggregates, /v1/analytics/*), and the history export. */
import { apiFetch, exercises } from '../api.js';
import { h, clear, notice, errorText, fmtNum, exerciseLabel } from '../dom.js';
import { faultWords } from '../labels.js';
import { barChart, lineChart, hbarChart } from '../charts.js';

const RECORD_LABELS = { most_reps_in_set: 'Most reps in a set', best_set_score: 'Best set score', heaviest_load_kg: 'Heaviest load (kg)', longest_hold_s: 'Longest hold (s)' };

/* "2026-W48" for a UTC date (ISO 8601 week: the week of its Thursday). */
export function isoWeekLabel(d) {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const y0 = new Date(Date.UTC(t.getUTCFullYear(), 0, 1));
  const week = Math.ceil(((t - y0) / 86400000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

/* Every ISO week from..to (YYYY-MM-DD), with the server's bucket where there is one. */
export function fillWeeks(from, to, buckets) {
  const byStart = new Map((buckets || []).map((b) => [b.start, b]));
  const out = [];
  const d = new Date(`${from}T00:00:00Z`);
  const end = new Date(`${to}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || Number.isNaN(end.getTime())) return buckets || [];
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7)); // back to Monday
  for (let i = 0; d <= end && i < 60; i++, d.setUTCDate(d.getUTCDate() + 7)) {
    const start = d.toISOString().slice(0, 10);
    out.push(byStart.get(start) || { label: isoWeekLabel(d), start, sessions: 0, reps: 0, volume_kg: 0, mean_score: null });
  }
  return out;
}

export async function download(path, filename) {
  const res = await apiFetch(path, { raw: true });
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: filename, hidden: true });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  return blob.size;
}

export function render(root) {
  const ctrl = new AbortController();
  const msg = h('div', {});
  const section = h('section', { 'data-testid': 'analytics-screen' }, h('h1', {}, 'Analytics'), msg);
  root.appendChild(section);

  (async () => {
    try {
      const [sum, rec, names] = await Promise.all([
        apiFetch('/v1/analytics/summary?period=week', { signal: ctrl.signal }),
        apiFetch('/v1/analytics/records', { signal: ctrl.signal }),
        exercises().catch(() => []), // without the list: the exercises the data names
      ]);
      const t = sum.totals || {};
      const streak = sum.streak || rec.streak || {};
      section.append(h('div', { class: 'stats', 'data-testid': 'analytics-totals' },
        stat('Sessions', t.sessions, 'total-sessions'), stat('Reps', t.reps, 'total-reps'),
        stat('Volume (kg)', fmtNum(t.volume_kg, 0), 'total-volume'), stat('Mean score', fmtNum(t.mean_score, 0), 'total-score'),
        stat('Current streak (days)', streak.current ?? 0, 'streak-current'), stat('Longest streak (days)', streak.longest ?? 0, 'streak-longest')));
      if (!t.sessions) {
        msg.appendChild(h('div', { class: 'card empty', 'data-testid': 'analytics-empty' },
          h('h2', {}, 'Nothing to chart yet'),
          h('p', {}, 'Your reps per week, your form score over time and the faults that come up most fill in here as you train. Sets where no exercise was recognised are left out.'),
          h('div', { class: 'actions' }, h('a', { class: 'button primary', href: '#/upload' }, 'Upload a set'), h('a', { class: 'button', href: '/live.html' }, 'Open the live coach'))));
      }

      const weeks = fillWeeks(sum.from, sum.to, sum.buckets).map((b) => ({ label: b.label, reps: b.reps, volume: b.volume_kg }));
      section.append(h('div', { class: 'grid2' },
        h('figure', { class: 'card' }, h('figcaption', {}, 'Reps per week'), barChart(weeks.map((b) => ({ label: b.label, value: b.reps })), { label: 'reps per week', testid: 'chart-reps', integer: true })),
        h('figure', { class: 'card' }, h('figcaption', {}, 'Volume per week (kg)'), barChart(weeks.map((b) => ({ label: b.label, value: b.volume })), { label: 'volume per week in kilograms', testid: 'chart-volume', unit: ' kg', integer: true }))));

      // score trend for one exercise
      const known = Object.keys(sum.top_faults || {});
      const choices = names.length ? names : (known.length ? known : ['squat']);
      const trendSel = h('select', { id: 'trend-ex', 'data-testid': 'trend-exercise' },
        choices.map((e) => h('option', { value: e, selected: e === (known[0] || choices[0]) }, exerciseLabel(e))));
      const trendBox = h('div', {});
      const loadTrend = async () => {
        clear(trendBox);
        try {
          const tr = await apiFetch(`/v1/analytics/exercises/${trendSel.value}/trend?period=week`, { signal: ctrl.signal });
          trendBox.append(lineChart(fillWeeks(tr.from, tr.to, tr.points).map((p) => ({ label: p.label, value: p.sessions ? p.mean_score : null })), { label: `${exerciseLabel(trendSel.value)} score per week`, testid: 'chart-trend' }));
        } catch (e) {
          if (!ctrl.signal.aborted) trendBox.append(notice('error', errorText(e), 'trend-error'));
        }
      };
      trendSel.addEventListener('change', loadTrend);
      const faults = [];
      for (const [ex, list] of Object.entries(sum.top_faults || {})) for (const f of list) faults.push({ label: `${faultWords(f.fault)} · ${exerciseLabel(ex)}`, value: f.count });
      faults.sort((a, b) => b.value - a.value);
      section.append(h('div', { class: 'grid2' },
        h('figure', { class: 'card' }, h('figcaption', {}, h('label', { for: 'trend-ex' }, 'Score trend: '), trendSel), trendBox),
        h('figure', { class: 'card' }, h('figcaption', {}, 'Most frequent faults'),
          faults.length ? [hbarChart(faults.slice(0, 8), { label: 'most frequent faults', testid: 'chart-faults' }),
            h('p', { class: 'hint' }, 'Counted on reps judged “needs work”, last 12 weeks.')]
            : h('p', { class: 'hint', 'data-testid': 'no-faults' }, t.reps ? 'No rep needed work in the last 12 weeks. Well done.' : 'Faults show up here once your reps have been judged.'))));
      await loadTrend();

      const records = rec.records || [];
      section.append(h('div', { class: 'card' }, h('h2', {}, 'Personal records'),
        records.length ? h('table', { class: 'records', 'data-testid': 'records' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Exercise'), h('th', { scope: 'col' }, 'Record'), h('th', { scope: 'col' }, 'Value'), h('th', { scope: 'col' }, 'Day'))),
          h('tbody', {}, records.map((r) => h('tr', { 'data-testid': 'record-row' },
            h('td', {}, exerciseLabel(r.exercise)), h('td', {}, RECORD_LABELS[r.kind] || String(r.kind).replace(/_/g, ' ')),
            h('td', {}, h('a', { href: `#/workouts/${r.workout_id}` }, fmtNum(r.value, Number.isInteger(r.value) ? 0 : 1))), h('td', {}, r.day)))))
          : h('p', { class: 'hint' }, 'No records yet.')));

      const exportMsg = h('p', { 'aria-live': 'polite', 'data-testid': 'export-status', class: 'hint' });
      const exp = (fmt) => async () => {
        exportMsg.textContent = 'Preparing…';
        try {
          const n = await download(`/v1/workouts/export?format=${fmt}`, `repright-workouts.${fmt}`);
          exportMsg.textContent = `Downloaded ${fmt.toUpperCase()} (${n} bytes).`;
        } catch (e) {
          exportMsg.textContent = `Export failed: ${errorText(e)}`;
        }
      };
      section.append(h('div', { class: 'card', 'data-testid': 'export' }, h('h2', {}, 'Export your history'),
        h('div', { class: 'actions' },
          h('button', { type: 'button', 'data-testid': 'export-csv', onclick: exp('csv') }, 'Download CSV'),
          h('button', { type: 'button', 'data-testid': 'export-json', onclick: exp('json') }, 'Download JSON')), exportMsg));
      section.dataset.loaded = '1';
    } catch (e) {
      if (!ctrl.signal.aborted) msg.appendChild(notice('error', errorText(e), 'analytics-error'));
    }
  })();
  return () => ctrl.abort();
}

function stat(label, value, testid) {
  return h('div', { class: 'stat' }, h('span', { class: 'stat-value', 'data-testid': testid }, String(value ?? 0)), h('span', { class: 'stat-label' }, label));
}
