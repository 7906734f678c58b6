/*
 * views/detail.js - one workout: the replay (the original video with the skeleton, the rep
 * counter and each rep's cue drawn over it in sync with playback; our own controls below it, so
 * nothing is drawn over them: play, seek, slow motion, frame step, "jump to the worst rep"), a
 * per-rep timeline of chips (green good, red needs work, grey can't judge; a click seeks to the
 * rep), the selected rep's measures in plain words, and what a person does with a workout:
 * rename it, analyse it again as another exercise, make the overlay video (only when asked),
 * delete it with its video.
 *
 * A <video src> cannot send the Bearer token, so the view asks for signed links
 * (GET /v1/videos/{id}/media-links, 2 h) and streams the original from its link with the
 * browser's own Range requests: any size plays and seeks without downloading it first. A link
 * that expired while the page stayed open fails the element's next request; the view then asks
 * for fresh links once and resumes at the same time.
 */
import { apiFetch, ApiError, exercises } from '../api.js';
import { h, append, clear, notice, errorText, fmtDate, fmtDuration, fmtNum, exerciseLabel, sentence, verdictMix } from '../dom.js';
import { syncSkeleton } from '../skeleton.js';
import { watchJob } from '../sse.js';
import { checkWords, metricWords, faultWords, verdictWords, reasonWords } from '../labels.js';

const COLORS = { good: '#35e07d', bad: '#ff5a5f', cannot_judge: '#b8bcc6', none: '#4db3ff' };
const CUE_SECONDS = 2.5;
const FLASH_KEY = 'repright.flash';

const finite = (v) => typeof v === 'number' && Number.isFinite(v);

/* One rep in one shape, from the video report (rich) or the stored workout (sync/live).
 * Reports are repright.report/2 or, stored before it, /1 (the same fields without confidence,
 * cannot_judge_reason and partial_reps). Reps are numbered from 1 in each set, whatever the
 * stored index. A rep that cannot be judged has no score (null); a rep judged good has no fault
 * and no cue (a failed check on it is a note). */
export function repsFrom(report, workout) {
  const out = [];
  const push = (r) => {
    const bad = r.verdict === 'bad';
    out.push({ ...r, score: r.verdict === 'cannot_judge' || !finite(r.score) ? null : r.score,
      faults: bad ? r.faults : [], cue: bad ? r.cue : null });
  };
  if (report && Array.isArray(report.reps)) {
    report.reps.forEach((r, i) => {
      const faultChecks = (r.checks || []).filter((c) => c.outcome === 'fault');
      push({
        n: i + 1, set: 1, t0: r.t_start_s, t1: r.t_end_s, verdict: r.verdict || 'cannot_judge',
        score: r.score, reason: r.cannot_judge_reason || null,
        faults: r.faults || faultChecks.map((c) => c.name),
        cue: faultChecks.length ? faultChecks[0].cue : null,
        checks: r.checks || [],
        metrics: metricWords({ rom: r.rom && r.rom.value, romUnit: r.rom && r.rom.unit, depthName: r.depth && r.depth.name,
          depth: r.depth && r.depth.value, eccentric: r.tempo && r.tempo.eccentric_s, concentric: r.tempo && r.tempo.concentric_s,
          symmetry: r.symmetry_deg }),
      });
    });
    return out;
  }
  const sets = (workout && workout.sets) || [];
  sets.forEach((s, si) => {
    (s.reps || []).forEach((r, i) => {
      const m = r.metrics || {};
      push({
        n: i + 1, set: si + 1, t0: r.t_start, t1: r.t_end, verdict: r.verdict || m.verdict || 'cannot_judge',
        score: r.score, reason: m.cannot_judge_reason || null, faults: r.faults || [],
        cue: (typeof m.cue === 'string' && m.cue) || (typeof r.cue === 'string' && r.cue) || null,
        checks: Array.isArray(m.checks) ? m.checks : [],
        metrics: metricWords({ rom: m.rom, romUnit: m.rom_unit, depthName: m.depth_name, depth: m.depth,
          eccentric: m.eccentric_s, concentric: m.concentric_s, symmetry: m.symmetry_deg }),
      });
    });
  });
  return out;
}

/* The rep to show first when asked for "the worst": the lowest score among reps judged bad,
 * else among judged reps; -1 when none was judged. */
export function worstRep(reps) {
  let best = -1;
  const rank = (r) => (r.verdict === 'bad' ? 0 : 1000) + (r.score ?? 100);
  reps.forEach((r, i) => {
    if (r.verdict === 'cannot_judge') return;
    if (best < 0 || rank(r) < rank(reps[best])) best = i;
  });
  return best;
}

function repTitle(r, multiSet) {
  return multiSet ? `Set ${r.set} · rep ${r.n}` : `Rep ${r.n}`;
}

function fmtClock(s) {
  const t = Math.max(0, Math.floor(s || 0));
  return `${Math.floor(t / 60)}:${String(t % 60).padStart(2, '0')}`;
}

/* The rep counter and the cue, drawn on the replay (canvas in video pixels). */
function drawHud(ctx, t, w, hgt, reps, multiSet) {
  const done = reps.filter((r) => r.t1 <= t);
  const inRep = reps.find((r) => t >= r.t0 && t <= r.t1);
  const fs = Math.max(14, Math.round(hgt / 22));
  ctx.save();
  ctx.font = `700 ${fs}px system-ui, sans-serif`;
  ctx.textBaseline = 'top';
  const counter = `${done.length} / ${reps.length} reps`;
  const pad = Math.round(fs * 0.4);
  const cw = ctx.measureText(counter).width + pad * 2;
  ctx.fillStyle = 'rgba(0,0,0,0.6)';
  ctx.fillRect(pad, pad, cw, fs + pad * 2);
  ctx.fillStyle = '#ffffff';
  ctx.fillText(counter, pad * 2, pad * 2);
  const last = done.length ? done[done.length - 1] : null;
  let line = null;
  let colour = COLORS.none;
  if (last && t - last.t1 < CUE_SECONDS && !inRep) {
    colour = COLORS[last.verdict] || COLORS.none;
    line = `${repTitle(last, multiSet)}: ${last.verdict === 'bad' ? (last.cue || faultWords(last.faults[0]) || 'needs work')
      : last.verdict === 'good' ? 'good' : "can't judge"}`;
  } else if (inRep) {
    colour = COLORS[inRep.verdict] || COLORS.none;
    line = `${repTitle(inRep, multiSet)}`;
  }
  if (line) {
    const lw = Math.min(w - pad * 2, ctx.measureText(line).width + pad * 2);
    const y = hgt - fs - pad * 4;
    ctx.fillStyle = 'rgba(0,0,0,0.6)';
    ctx.fillRect(pad, y, lw, fs + pad * 2);
    ctx.fillStyle = colour;
    ctx.fillText(line, pad * 2, y + pad, w - pad * 4);
  }
  ctx.restore();
  ctx.canvas.dataset.hud = `${counter}${line ? ` | ${line}` : ''}`;
}

export function render(root, params, { go } = {}) {
  const ctrl = new AbortController();
  const cleanups = [];
  const msg = h('div', { 'aria-live': 'polite' });
  const section = h('section', { 'data-testid': 'detail-screen' }, h('p', { class: 'hint' }, 'Loading…'));
  root.appendChild(section);

  (async () => {
    try {
      const w = await apiFetch(`/v1/workouts/${params.id}`, { signal: ctrl.signal });
      let video = null;
      if (w.video_id) {
        try {
          video = await apiFetch(`/v1/videos/${w.video_id}`, { signal: ctrl.signal });
        } catch (e) {
          if (!(e instanceof ApiError && e.status === 404)) throw e;
        }
      }
      const report = video && video.report ? video.report : null;
      const reps = repsFrom(report, w);
      const multiSet = ((w.sets || []).length > 1);
      const good = reps.filter((r) => r.verdict === 'good').length;
      const bad = reps.filter((r) => r.verdict === 'bad').length;
      const unjudged = reps.length - good - bad;
      const exercise = (report && report.exercise) || w.exercise;
      const recognisedNothing = !exercise || exercise === 'unknown' || (video && reps.length === 0 && !(report && report.is_hold));
      clear(section);

      // ---- title, rename
      const titleText = () => (w.name ? w.name : `${exerciseLabel(exercise)} · ${fmtDate(w.started_at)}`);
      const title = h('h1', { 'data-testid': 'detail-title' }, titleText());
      const nameInput = h('input', { id: 'w-name', maxlength: 80, value: w.name || '', 'data-testid': 'rename-input', placeholder: `${exerciseLabel(exercise)} · ${fmtDate(w.started_at)}` });
      const renameForm = h('form', { class: 'inline-form', hidden: true, 'data-testid': 'rename-form' },
        h('label', { for: 'w-name' }, 'Name'), nameInput,
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', 'data-testid': 'rename-save' }, 'Save name'),
          h('button', { type: 'button', onclick: () => { renameForm.hidden = true; renameBtn.hidden = false; } }, 'Cancel')));
      const renameBtn = h('button', { type: 'button', class: 'small', 'data-testid': 'rename', onclick: () => { renameForm.hidden = false; renameBtn.hidden = true; nameInput.focus(); } }, 'Rename');
      renameForm.addEventListener('submit', async (e) => {
        e.preventDefault();
        try {
          const nw = await apiFetch(`/v1/workouts/${w.id}`, { method: 'PATCH', json: { name: nameInput.value.trim() } });
          w.name = nw.name;
          title.textContent = titleText();
          renameForm.hidden = true;
          renameBtn.hidden = false;
          clear(msg, notice('ok', 'Name saved.', 'rename-ok'));
        } catch (err) {
          clear(msg, notice('error', sentence(errorText(err)), 'rename-error'));
        }
      });
      append(section, h('div', { class: 'title-row' }, title, renameBtn), renameForm, msg);
      if (recognisedNothing && video) {
        section.appendChild(notice('info', 'No exercise was recognised in this video, so no reps were counted. Choose what you did under “Analyse again” below.', 'detail-unrecognised'));
      }

      // ---- replay: <video> + canvas, our own controls below it
      const player = h('div', { class: 'player', 'data-testid': 'player' });
      const vid = h('video', { playsinline: true, muted: true, preload: 'auto', 'data-testid': 'detail-video', 'aria-label': 'your set' });
      const canvas = h('canvas', { class: 'skeleton', 'data-testid': 'skeleton-canvas', 'aria-hidden': 'true' });
      player.append(vid, canvas);
      const playBtn = h('button', { type: 'button', class: 'small', 'data-testid': 'replay-play', 'aria-label': 'play' }, '▶');
      const seek = h('input', { type: 'range', min: 0, max: 1, step: 0.01, value: 0, 'data-testid': 'replay-seek', 'aria-label': 'position in the video' });
      const clock = h('span', { class: 'clock', 'data-testid': 'replay-clock' }, '0:00');
      const speed = h('select', { 'data-testid': 'replay-speed', 'aria-label': 'playback speed' },
        h('option', { value: '1' }, '1×'), h('option', { value: '0.5' }, '½× slow'), h('option', { value: '0.25' }, '¼× slow'));
      const fps = () => Number(canvas.dataset.fps) || 30;
      const step = (dir) => {
        vid.pause();
        vid.currentTime = Math.max(0, Math.min(vid.duration || Infinity, vid.currentTime + dir / fps()));
      };
      const prevBtn = h('button', { type: 'button', class: 'small', 'data-testid': 'replay-prev-frame', 'aria-label': 'previous frame', onclick: () => step(-1) }, '◀ frame');
      const nextBtn = h('button', { type: 'button', class: 'small', 'data-testid': 'replay-next-frame', 'aria-label': 'next frame', onclick: () => step(1) }, 'frame ▶');
      const worst = worstRep(reps);
      const worstBtn = h('button', { type: 'button', class: 'small', 'data-testid': 'jump-worst', hidden: worst < 0 }, 'Jump to the worst rep');
      const controls = h('div', { class: 'replay-controls', 'data-testid': 'replay-controls' },
        h('div', { class: 'row' }, playBtn, seek, clock),
        h('div', { class: 'row wrap' }, speed, prevBtn, nextBtn, worstBtn));
      playBtn.addEventListener('click', () => { if (vid.paused) vid.play().catch(() => {}); else vid.pause(); });
      vid.addEventListener('click', () => playBtn.click());
      const syncPlay = () => { playBtn.textContent = vid.paused ? '▶' : '❚❚'; playBtn.setAttribute('aria-label', vid.paused ? 'play' : 'pause'); };
      vid.addEventListener('play', syncPlay);
      vid.addEventListener('pause', syncPlay);
      vid.addEventListener('loadedmetadata', () => { seek.max = String(vid.duration || 1); });
      vid.addEventListener('timeupdate', () => {
        seek.value = String(vid.currentTime);
        clock.textContent = `${fmtClock(vid.currentTime)} / ${fmtClock(vid.duration)}`;
      });
      seek.addEventListener('input', () => { vid.currentTime = Number(seek.value); });
      speed.addEventListener('change', () => { vid.playbackRate = Number(speed.value); });
      if (video) section.append(player, controls);
      else section.appendChild(notice('info', 'This workout has no video (recorded live, or its video was deleted).', 'detail-no-video'));

      // ---- rep timeline and the selected rep
      const chips = h('ol', { class: 'timeline', 'data-testid': 'rep-timeline', 'aria-label': 'reps' });
      const panel = h('div', { class: 'rep-panel card', 'data-testid': 'rep-panel', 'aria-live': 'polite' }, h('p', { class: 'hint' }, 'Pick a rep to see its measures and cue.'));
      const select = (i, seekTo) => {
        const r = reps[i];
        chips.querySelectorAll('button').forEach((b, k) => b.setAttribute('aria-pressed', String(k === i)));
        let cueText;
        if (r.verdict === 'bad') cueText = r.cue ? sentence(r.cue) : (r.faults.length ? sentence(r.faults.map(faultWords).join(', ')) : 'Needs work.');
        else if (r.verdict === 'good') cueText = 'Good rep.';
        else cueText = `Not judged: ${reasonWords(r.reason)}.`;
        clear(panel,
          h('h2', {}, `${repTitle(r, multiSet)} · `, h('span', { class: `verdict verdict-${r.verdict}`, 'data-testid': 'rep-verdict' }, verdictWords(r.verdict)),
            r.score !== null ? [' · ', h('span', { class: `score-inline verdict-${r.verdict}`, 'data-testid': 'rep-score' }, `score ${fmtNum(r.score)}`)] : null),
          h('p', { class: r.verdict === 'bad' ? 'cue' : 'hint', 'data-testid': 'rep-cue' }, cueText),
          r.metrics.length ? h('dl', { class: 'metrics', 'data-testid': 'rep-metrics' }, r.metrics.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])) : null,
          r.checks.length ? h('ul', { class: 'checks', 'data-testid': 'rep-checks' }, r.checks.map((c) => {
            const cw = checkWords(c, r.verdict);
            return h('li', { class: `check check-${cw.status.replace(/ /g, '-')}` }, cw.text);
          })) : null);
        if (seekTo && video) {
          vid.pause();
          vid.currentTime = Math.max(0, r.t0);
          vid.dataset.seekTarget = String(r.t0);
        }
        if (canvas.redraw) canvas.redraw();
      };
      reps.forEach((r, i) => {
        const b = h('button', {
          type: 'button', class: `chip chip-${r.verdict}`, 'data-testid': 'rep-chip', 'data-verdict': r.verdict,
          'data-t0': r.t0, 'data-score': r.score ?? '', 'aria-pressed': 'false',
          'aria-label': `${repTitle(r, multiSet)}, ${verdictWords(r.verdict)}${r.score !== null ? `, score ${fmtNum(r.score)}` : ''}${finite(r.t0) ? `, at ${fmtNum(r.t0, 1)} s` : ''}`,
          onclick: () => select(i, true),
        }, String(r.n));
        chips.appendChild(h('li', {}, b));
      });
      worstBtn.addEventListener('click', () => select(worst, true));

      // ---- summary
      const set = report && report.set;
      const topFault = set && set.top_fault ? set.top_fault : null;
      const mix = verdictMix(good, bad);
      const summary = h('dl', { class: 'summary', 'data-testid': 'detail-summary' },
        h('dt', {}, 'Date'), h('dd', {}, fmtDate(w.started_at)),
        h('dt', {}, 'Duration'), h('dd', {}, fmtDuration(w.duration_ms)),
        h('dt', {}, 'Reps'), h('dd', { 'data-testid': 'detail-reps' }, String(reps.length)),
        reps.length ? [h('dt', {}, 'Judged'), h('dd', { 'data-testid': 'detail-verdicts' },
          `${good} good, ${bad} need${bad === 1 ? 's' : ''} work${unjudged ? `, ${unjudged} can't judge` : ''}`)] : null,
        h('dt', {}, 'Score'), h('dd', { 'data-testid': 'detail-score', class: `score-${mix}` }, good + bad ? fmtNum(w.score) : '–'),
        topFault && bad ? [h('dt', {}, 'Most frequent fault'), h('dd', {}, `${faultWords(topFault)} (${set.top_fault_reps} of ${reps.length} rep${reps.length === 1 ? '' : 's'})`)] : null,
        set && set.partial_reps > 0 ? [h('dt', {}, 'Partial reps'), h('dd', { 'data-testid': 'detail-partials' }, String(set.partial_reps))] : null);
      append(section, h('h2', {}, 'Reps'), reps.length ? chips : notice('info', 'No reps were counted in this set.', 'detail-no-reps'),
        reps.length ? panel : null, summary);
      if (reps.length) select(0, false);

      // ---- what to do with it: overlay, analyse again, delete
      const manage = h('div', { class: 'grid2' });
      section.appendChild(manage);
      if (video) manage.append(overlayCard(video, w.video_id, ctrl, cleanups), await reanalyzeCard(video, exercise, report, ctrl, go));
      manage.appendChild(deleteCard(w, go));

      if (video) {
        const links = () => apiFetch(`/v1/videos/${w.video_id}/media-links`, { signal: ctrl.signal });
        const [media, track] = await Promise.all([
          links(),
          apiFetch(`/v1/videos/${w.video_id}/landmarks`, { signal: ctrl.signal }).catch((e) => {
            if (e instanceof ApiError && e.status === 404) return null;
            throw e;
          }),
        ]);
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
        const stop = track ? syncSkeleton(vid, canvas, track, { colorAt, hud: (ctx, t, cw, ch) => drawHud(ctx, t, cw, ch, reps, multiSet) }) : null;
        if (stop) cleanups.push(stop);
        else msg.appendChild(notice('info', 'No pose track is stored for this video.', 'detail-no-track'));
      }
      section.dataset.loaded = '1';
    } catch (e) {
      if (!ctrl.signal.aborted) clear(section, h('h1', {}, 'Workout'), notice('error', errorText(e), 'detail-error'));
    }
  })();

  return () => {
    ctrl.abort();
    for (const c of cleanups) { try { c(); } catch (_) { /* gone already */ } }
  };
}

/* The overlay video and thumbnails: shown and downloadable once made; made only when asked. */
function overlayCard(video, videoId, ctrl, cleanups) {
  const box = h('div', { 'data-testid': 'overlay-box' });
  const card = h('div', { class: 'card', 'data-testid': 'overlay-card' }, h('h2', {}, 'Overlay video'), box);
  const show = async () => {
    const m = await apiFetch(`/v1/videos/${videoId}/media-links`, { signal: ctrl.signal });
    clear(box,
      m.overlay ? h('video', { class: 'overlay-video', controls: true, playsinline: true, muted: true, preload: 'metadata', src: m.overlay, 'data-testid': 'overlay-video' }) : null,
      m.overlay ? h('p', {}, h('a', { class: 'button', href: m.overlay, download: 'repright-overlay.mp4', 'data-testid': 'overlay-download' }, 'Download the overlay video')) : null,
      m.thumb_best ? h('div', { class: 'thumbs' },
        h('figure', {}, h('img', { src: m.thumb_best, alt: 'your best rep', 'data-testid': 'thumb-best' }), h('figcaption', {}, 'Best rep')),
        h('figure', {}, h('img', { src: m.thumb_worst, alt: 'the rep that needs most work', 'data-testid': 'thumb-worst' }), h('figcaption', {}, 'Worst rep'))) : null);
    card.dataset.ready = '1';
  };
  const follow = async (jobId) => {
    const bar = h('progress', { max: 100, value: 0, 'data-testid': 'overlay-progress', 'aria-label': 'overlay progress' });
    clear(box, h('p', { class: 'hint', 'aria-live': 'polite' }, 'Drawing the overlay video…'), bar);
    try {
      const job = await watchJob(jobId, ({ job: j }) => { if (j) bar.value = Number(j.progress) || 0; }, { signal: ctrl.signal });
      if (job && job.state === 'done') await show();
      else clear(box, notice('error', sentence(`the overlay could not be made: ${(job && job.error) || 'unknown reason'}`), 'overlay-error'), makeBtn());
    } catch (e) {
      if (!ctrl.signal.aborted) clear(box, notice('error', errorText(e), 'overlay-error'), makeBtn());
    }
  };
  const makeBtn = () => h('button', {
    type: 'button', class: 'primary', 'data-testid': 'overlay-make',
    onclick: async (e) => {
      e.target.disabled = true;
      try {
        const r = await apiFetch(`/v1/videos/${videoId}/render`, { method: 'POST', signal: ctrl.signal });
        await follow(r.job_id);
      } catch (err) {
        if (!ctrl.signal.aborted) clear(box, notice('error', sentence(errorText(err)), 'overlay-error'), makeBtn());
      }
    },
  }, 'Make the overlay video');
  const rj = video.render_job;
  if (video.overlay) show().catch(() => {});
  else if (rj && (rj.state === 'queued' || rj.state === 'running')) follow(rj.id);
  else if (video.status === 'analysed') {
    clear(box, h('p', { class: 'hint' }, 'A copy of your set with the skeleton, the rep count and the cues drawn in, to keep or share, with photos of your best and worst rep. It takes about as long as the analysis did.'), makeBtn());
  } else clear(box, h('p', { class: 'hint' }, 'Available once the analysis has finished.'));
  void cleanups;
  return card;
}

/* "Analyse again as…": a new analysis with the exercise chosen (or recognised). */
async function reanalyzeCard(video, exercise, report, ctrl, go) {
  const names = await exercises().catch(() => []);
  const given = report && report.exercise_source === 'given';
  const sel = h('select', { id: 're-ex', 'data-testid': 'reanalyze-exercise' },
    h('option', { value: '' }, 'Recognise automatically'),
    names.map((n) => h('option', { value: n, selected: given && n === exercise }, exerciseLabel(n))));
  const out = h('div', { 'aria-live': 'polite' });
  const btn = h('button', { type: 'button', 'data-testid': 'reanalyze' }, 'Analyse again');
  btn.addEventListener('click', async () => {
    btn.disabled = true;
    clear(out);
    try {
      const r = await apiFetch(`/v1/videos/${video.id}/analyze`, { method: 'POST', json: sel.value ? { exercise: sel.value } : {}, signal: ctrl.signal });
      if (go) go(`#/jobs/${r.job_id}?video=${video.id}`);
    } catch (e) {
      if (!ctrl.signal.aborted) append(out, notice('error', sentence(errorText(e)), 'reanalyze-error'));
    } finally {
      btn.disabled = false;
    }
  });
  return h('div', { class: 'card', 'data-testid': 'reanalyze-card' }, h('h2', {}, 'Analyse again'),
    h('p', { class: 'hint' }, 'Wrong exercise, or none found? Say what you did and RepRight counts and judges the set again; the result replaces this one.'),
    h('label', { for: 're-ex' }, 'Exercise'), sel, h('div', { class: 'actions' }, btn), out);
}

/* Delete, with a confirmation in the page (no browser dialog). */
function deleteCard(w, go) {
  const out = h('div', { 'aria-live': 'polite' });
  const confirmBox = h('div', { class: 'confirm', hidden: true, 'data-testid': 'delete-confirm-box' },
    h('p', {}, w.video_id ? 'Delete this workout and its video? This cannot be undone.' : 'Delete this workout? This cannot be undone.'),
    h('div', { class: 'actions' },
      h('button', {
        type: 'button', class: 'danger', 'data-testid': 'delete-confirm',
        onclick: async (e) => {
          e.target.disabled = true;
          try {
            await apiFetch(`/v1/workouts/${w.id}`, { method: 'DELETE' });
            try { sessionStorage.setItem(FLASH_KEY, 'Workout deleted, with its video.'); } catch (_) { /* no storage */ }
            if (go) go('#/workouts');
          } catch (err) {
            e.target.disabled = false;
            clear(out, notice('error', sentence(errorText(err)), 'delete-error'));
          }
        },
      }, 'Delete for good'),
      h('button', { type: 'button', onclick: () => { confirmBox.hidden = true; ask.hidden = false; } }, 'Keep it')));
  const ask = h('button', { type: 'button', class: 'danger-outline', 'data-testid': 'delete-workout', onclick: () => { confirmBox.hidden = false; ask.hidden = true; } }, 'Delete workout');
  return h('div', { class: 'card', 'data-testid': 'delete-card' }, h('h2', {}, 'Delete'),
    h('p', { class: 'hint' }, w.video_id ? 'Removes the workout, its video, the overlay and everything measured from it; your analytics are updated.' : 'Removes the workout; your analytics are updated.'),
    ask, confirmBox, out);
}
