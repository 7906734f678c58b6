/*
 * views/detail.js - one workout: the original video with the skeleton drawn over it in sync
 * with playback, a per-rep timeline of chips (green good, red bad, grey cannot judge; a click
 * seeks to the rep), and the selected rep's metrics and cue.
 *
 * A <video src> cannot send the Bearer token, so the view asks for signed links
 * (GET /v1/videos/{id}/media-links, 2 h) and streams the original from its link with the
 * browser's own Range requests: any size plays and seeks without downloading it first. A link
 * that expired while the page stayed open fails the element's next request; the view then asks
 * for fresh links once and resumes at the same time.
 */
import { apiFetch, ApiError } from '../api.js';
import { h, clear, notice, errorText, fmtDate, fmtDuration, fmtNum, exerciseLabel } from '../dom.js';
import { syncSkeleton } from '../skeleton.js';

const COLORS = { good: '#35e07d', bad: '#ff5a5f', cannot_judge: '#b8bcc6', none: '#4db3ff' };
const REASONS = { landmarks_hidden: 'part of the body was hidden or out of the picture', no_checks_for_view: 'this camera angle shows none of its checks' };

/* One rep in one shape, from the video report (rich) or the stored workout (sync/live).
 * Reports are repright.report/2 or, stored before it, /1 (the same fields without confidence,
 * cannot_judge_reason and partial_reps). A rep that cannot be judged has no score: null here
 * (the stored workout keeps 0 in its place). */
export function repsFrom(report, workout) {
  if (report && Array.isArray(report.reps)) {
    return report.reps.map((r) => {
      const faultChecks = (r.checks || []).filter((c) => c.outcome === 'fault');
      const metrics = [];
      if (r.rom && Number.isFinite(r.rom.value)) metrics.push(['Range of motion', `${fmtNum(r.rom.value, 0)} ${r.rom.unit || ''}`.trim()]);
      if (r.depth && Number.isFinite(r.depth.value)) metrics.push([String(r.depth.name || 'depth').replace(/_/g, ' '), fmtNum(r.depth.value, 1)]);
      if (r.tempo) {
        if (Number.isFinite(r.tempo.eccentric_s)) metrics.push(['Lowering (s)', fmtNum(r.tempo.eccentric_s, 2)]);
        if (Number.isFinite(r.tempo.concentric_s)) metrics.push(['Lifting (s)', fmtNum(r.tempo.concentric_s, 2)]);
      }
      if (Number.isFinite(r.symmetry_deg)) metrics.push(['Asymmetry (deg)', fmtNum(r.symmetry_deg, 1)]);
      return {
        index: r.index, t0: r.t_start_s, t1: r.t_end_s, verdict: r.verdict || 'cannot_judge',
        score: Number.isFinite(r.score) ? r.score : null, reason: r.cannot_judge_reason || null,
        faults: r.faults || faultChecks.map((c) => c.name),
        cue: faultChecks.length ? faultChecks[0].cue : null,
        checks: r.checks || [], metrics,
      };
    });
  }
  const out = [];
  for (const s of (workout && workout.sets) || []) {
    for (const r of s.reps || []) {
      const m = r.metrics || {};
      const metrics = [];
      if (Number.isFinite(m.rom)) metrics.push(['Range of motion', `${fmtNum(m.rom, 0)} ${m.rom_unit || ''}`.trim()]);
      if (Number.isFinite(m.depth)) metrics.push([String(m.depth_name || 'depth').replace(/_/g, ' '), fmtNum(m.depth, 1)]);
      if (Number.isFinite(m.eccentric_s)) metrics.push(['Lowering (s)', fmtNum(m.eccentric_s, 2)]);
      if (Number.isFinite(m.concentric_s)) metrics.push(['Lifting (s)', fmtNum(m.concentric_s, 2)]);
      const verdict = r.verdict || 'cannot_judge';
      out.push({ index: r.idx, t0: r.t_start, t1: r.t_end, verdict, score: verdict === 'cannot_judge' ? null : r.score,
        reason: m.cannot_judge_reason || null, faults: r.faults || [], cue: null, checks: [], metrics });
    }
  }
  return out;
}

function verdictLabel(v) {
  return v === 'good' ? 'good' : v === 'bad' ? 'needs work' : 'cannot judge';
}

export function render(root, params) {
  const ctrl = new AbortController();
  let stopSkeleton = null;
  const msg = h('div', {});
  const section = h('section', { 'data-testid': 'detail-screen' }, h('p', { class: 'hint' }, 'Loading…'));
  root.appendChild(section);

  (async () => {
    try {
      const w = await apiFetch(`/v1/workouts/${params.id}`, { signal: ctrl.signal });
      let video = null;
      let track = null;
      if (w.video_id) {
        try {
          video = await apiFetch(`/v1/videos/${w.video_id}`, { signal: ctrl.signal });
        } catch (e) {
          if (!(e instanceof ApiError && e.status === 404)) throw e;
        }
      }
      const report = video && video.report ? video.report : null;
      const reps = repsFrom(report, w);
      clear(section);
      const set = report && report.set;
      const summary = h('dl', { class: 'summary', 'data-testid': 'detail-summary' },
        h('dt', {}, 'Date'), h('dd', {}, fmtDate(w.started_at)),
        h('dt', {}, 'Duration'), h('dd', {}, fmtDuration(w.duration_ms)),
        h('dt', {}, 'Reps'), h('dd', { 'data-testid': 'detail-reps' }, String(reps.length)),
        h('dt', {}, 'Score'), h('dd', { 'data-testid': 'detail-score' }, fmtNum(w.score)),
        set && set.top_fault ? [h('dt', {}, 'Top fault'), h('dd', {}, String(set.top_fault).replace(/_/g, ' '))] : null,
        set && set.partial_reps > 0 ? [h('dt', {}, 'Partial reps'), h('dd', { 'data-testid': 'detail-partials' }, String(set.partial_reps))] : null);
      section.append(h('h1', {}, `${exerciseLabel(w.exercise)} · ${fmtDate(w.started_at)}`), msg);

      // player: <video> + canvas overlay
      const player = h('div', { class: 'player', 'data-testid': 'player' });
      const vid = h('video', { controls: true, playsinline: true, muted: true, preload: 'auto', 'data-testid': 'detail-video', 'aria-label': 'your set' });
      const canvas = h('canvas', { class: 'skeleton', 'data-testid': 'skeleton-canvas', 'aria-hidden': 'true' });
      player.append(vid, canvas);
      section.append(player);
      if (!video) player.replaceWith(notice('info', 'This workout has no video (recorded live or the video was deleted).', 'detail-no-video'));

      // rep timeline
      const chips = h('ol', { class: 'timeline', 'data-testid': 'rep-timeline', 'aria-label': 'reps' });
      const panel = h('div', { class: 'rep-panel card', 'data-testid': 'rep-panel', 'aria-live': 'polite' }, h('p', { class: 'hint' }, 'Pick a rep to see its metrics and cue.'));
      let selected = -1;
      const select = (i, seek) => {
        selected = i;
        const r = reps[i];
        chips.querySelectorAll('button').forEach((b, k) => b.setAttribute('aria-pressed', String(k === i)));
        clear(panel).append(
          h('h2', {}, `Rep ${r.index} · `, h('span', { class: `verdict verdict-${r.verdict}` }, verdictLabel(r.verdict)), ` · score ${fmtNum(r.score)}`),
          r.cue ? h('p', { class: 'cue', 'data-testid': 'rep-cue' }, r.cue) : h('p', { class: 'hint', 'data-testid': 'rep-cue' }, r.verdict === 'good' ? 'Good rep.' : r.faults.length ? r.faults.join(', ').replace(/_/g, ' ') : r.verdict === 'cannot_judge' && r.reason ? `Not judged: ${REASONS[r.reason] || String(r.reason).replace(/_/g, ' ')}.` : 'No cue.'),
          r.metrics.length ? h('dl', { class: 'metrics', 'data-testid': 'rep-metrics' }, r.metrics.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])) : null,
          r.checks.length ? h('ul', { class: 'checks' }, r.checks.map((c) => h('li', { class: `check check-${c.outcome}` },
            `${String(c.name).replace(/_/g, ' ')}: ${c.outcome}${Number.isFinite(c.value) ? ` (${fmtNum(c.value, 2)} ${c.unit || ''}, limit ${fmtNum(c.threshold, 2)})` : ''}`))) : null);
        if (seek && video) {
          vid.currentTime = Math.max(0, r.t0);
          vid.dataset.seekTarget = String(r.t0);
        }
      };
      reps.forEach((r, i) => {
        const b = h('button', {
          type: 'button', class: `chip chip-${r.verdict}`, 'data-testid': 'rep-chip', 'data-verdict': r.verdict,
          'data-t0': r.t0, 'aria-pressed': 'false', 'aria-label': `rep ${r.index}, ${verdictLabel(r.verdict)}, score ${fmtNum(r.score)}, at ${fmtNum(r.t0, 1)} s`,
          onclick: () => select(i, true),
        }, String(r.index));
        chips.appendChild(h('li', {}, b));
      });
      section.append(h('h2', {}, 'Reps'), reps.length ? chips : notice('info', 'No reps were counted in this set.', 'detail-no-reps'), panel, summary);
      if (reps.length) select(0, false);

      if (video) {
        const links = () => apiFetch(`/v1/videos/${w.video_id}/media-links`, { signal: ctrl.signal });
        const [media, lm] = await Promise.all([
          links(),
          apiFetch(`/v1/videos/${w.video_id}/landmarks`, { signal: ctrl.signal }).catch((e) => {
            if (e instanceof ApiError && e.status === 404) return null;
            throw e;
          }),
        ]);
        track = lm;
        vid.src = media.original;
        let renewedAt = Date.now();
        vid.addEventListener('error', async () => {
          if (ctrl.signal.aborted || Date.now() - renewedAt < 60000) return; /* not an expiry */
          renewedAt = Date.now();
          const at = vid.currentTime;
          try {
            vid.src = (await links()).original;
            vid.currentTime = at;
          } catch (e) {
            if (!ctrl.signal.aborted) msg.appendChild(notice('error', errorText(e), 'detail-video-error'));
          }
        });
        const colorAt = (t) => {
          const r = reps.find((x) => t >= x.t0 && t <= x.t1);
          return COLORS[r ? r.verdict : 'none'];
        };
        stopSkeleton = track ? syncSkeleton(vid, canvas, track, { colorAt }) : null;
        if (!stopSkeleton) {
          msg.appendChild(notice('info', 'No pose track is stored for this video.', 'detail-no-track'));
        }
      }
      section.dataset.loaded = '1';
    } catch (e) {
      if (!ctrl.signal.aborted) {
        clear(section).append(h('h1', {}, 'Workout'), notice('error', errorText(e), 'detail-error'));
      }
    }
  })();

  return () => {
    ctrl.abort();
    if (stopSkeleton) stopSkeleton();
  };
}
