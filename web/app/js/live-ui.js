// live-ui.js - what the live page draws and says: skeleton overlay, rep indicator and chips,
// cue (on screen and spoken), set summary, list of stored sets.
//
// Owner: live page. Errors: none thrown (speech is skipped where speechSynthesis is absent).
// Thread-safety: page thread only. Text goes in through textContent (never innerHTML).

import { SKELETON } from './live-pose.js';

export const $ = (id) => document.getElementById(id);

export const prettyName = (s) => (s ? String(s).replace(/_/g, ' ') : '–');
/* An exercise as a menu shows it: "biceps_curl" -> "Biceps curl". */
export const exerciseTitle = (s) => prettyName(s).replace(/^./, (c) => c.toUpperCase());

const VERDICT_TEXT = { good: 'Good rep', bad: 'Fix form', cannot_judge: "Can't judge" };

// ---- skeleton -------------------------------------------------------------------------------
const VERDICT_COLOUR = { good: '#22c55e', bad: '#ef4444', cannot_judge: '#9ca3af' };

// verdict: the last rep's ('good' | 'bad' | 'cannot_judge') colours the bones, else white.
export function drawSkeleton(canvas, image, width, height, verdict = null) {
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  const g = canvas.getContext('2d');
  g.clearRect(0, 0, width, height);
  if (!image) return;
  const vis = (p) => p && (p.visibility === undefined || p.visibility >= 0.5);
  g.lineWidth = Math.max(3, width / (verdict ? 90 : 160));
  g.strokeStyle = VERDICT_COLOUR[verdict] || 'rgba(255,255,255,0.9)';
  g.beginPath();
  for (const [a, b] of SKELETON) {
    const p = image[a];
    const q = image[b];
    if (!vis(p) || !vis(q)) continue;
    g.moveTo(p.x * width, p.y * height);
    g.lineTo(q.x * width, q.y * height);
  }
  g.stroke();
  g.fillStyle = '#14b8a6';
  const r = Math.max(3, width / 140);
  for (let i = 11; i < 33; i++) {
    const p = image[i];
    if (!vis(p)) continue;
    g.beginPath();
    g.arc(p.x * width, p.y * height, r, 0, 2 * Math.PI);
    g.fill();
  }
}

// Nothing on the stage: the skeleton canvas is emptied (after Stop, before the next set).
export function clearStage(canvas) {
  const g = canvas.getContext('2d');
  g.clearRect(0, 0, canvas.width, canvas.height);
}

// ---- rep indicator, chips, cue ----------------------------------------------------------------
export function showRep(rep, count) {
  showIndicator(rep, count);
  $('rep-chips').appendChild(chip(rep, count));
}

// The indicator and cue for one rep ("3: needs work", "keep your heels on the floor").
export function showIndicator(rep, count) {
  const ind = $('indicator');
  ind.className = `indicator ${rep.verdict}`;
  ind.dataset.verdict = rep.verdict;
  $('indicator-text').textContent = `${count}: ${VERDICT_TEXT[rep.verdict] || rep.verdict}`;
  $('cue').textContent = rep.cue || (rep.verdict === 'good' ? 'Good form' : '');
}

// The chips again from the set's final reps (the verdicts that are stored).
export function renderChips(reps) {
  $('rep-chips').replaceChildren(...reps.map((r, i) => chip(r, i + 1)));
}

function chip(rep, count) {
  const li = document.createElement('li');
  li.className = `chip ${rep.verdict}`;
  li.dataset.verdict = rep.verdict;
  li.setAttribute('data-testid', 'rep-chip');
  const score = Number.isFinite(rep.score) ? ` ${Math.round(rep.score)}` : '';
  li.textContent = `${count}${score}`;
  li.title = `${VERDICT_TEXT[rep.verdict] || rep.verdict}${rep.faults.length ? ': ' + rep.faults.map(prettyName).join(', ') : ''}`;
  return li;
}

export function resetSetView() {
  $('rep-count').textContent = '0';
  $('count-label').textContent = 'reps';
  const ind = $('indicator');
  ind.className = 'indicator idle';
  ind.dataset.verdict = 'none';
  $('indicator-text').textContent = 'Go';
  $('cue').textContent = '';
  $('rep-chips').replaceChildren();
  $('summary').hidden = true;
}

// ---- speech ---------------------------------------------------------------------------------
export class Voice {
  constructor(key = 'repright.live.mute') {
    this.key = key;
    this.synth = typeof window !== 'undefined' && 'speechSynthesis' in window ? window.speechSynthesis : null;
    let m = false;
    try { m = localStorage.getItem(key) === '1'; } catch { /* storage blocked */ }
    this.muted = m;
  }

  get available() { return !!this.synth; }

  setMuted(m) {
    this.muted = m;
    try { localStorage.setItem(this.key, m ? '1' : '0'); } catch { /* storage blocked */ }
    if (m && this.synth) this.synth.cancel();
  }

  say(text) {
    if (this.muted || !this.synth || !text || typeof SpeechSynthesisUtterance === 'undefined') return false;
    try {
      this.synth.cancel(); // the newest rep matters; never let cues pile up
      const u = new SpeechSynthesisUtterance(text);
      u.rate = 1.1;
      this.synth.speak(u);
      return true;
    } catch {
      return false;
    }
  }
}

export function speechFor(rep, count, target = null) {
  if (rep.verdict === 'bad' && rep.cue) return `${count}. ${rep.cue}`;
  if (target && count === target) return `${count}. Set done.`;
  if (target && count === target - 1) return `${count}. One more.`;
  return String(count);
}

// ---- summary --------------------------------------------------------------------------------
export function showSummary(set, { durationMs, savedText }) {
  const s = set.summary;
  $('sum-exercise').textContent = prettyName(set.exercise);
  if (set.exercise === 'plank') {
    $('sum-reps-label').textContent = 'Hold';
    $('sum-reps').textContent = set.hold_ms === null ? '–' : `${(set.hold_ms / 1000).toFixed(1)} s`;
  } else {
    $('sum-reps-label').textContent = 'Reps';
    $('sum-reps').textContent = String(s.reps);
  }
  $('sum-verdicts').textContent = `${s.good || 0} / ${s.bad || 0} / ${s.cannot_judge || 0}`;
  $('sum-score').textContent = Number.isFinite(s.mean_score) ? String(Math.round(s.mean_score)) : '–';
  $('sum-fault').textContent = s.top_fault ? `${prettyName(s.top_fault)} (${s.top_fault_reps} of ${s.reps})` : 'none';
  $('sum-duration').textContent = `${(durationMs / 1000).toFixed(1)} s`;
  $('sum-saved').textContent = savedText;
  $('summary').hidden = false;
}

// ---- stored sets ----------------------------------------------------------------------------
const STATE_TEXT = { pending: 'waiting to sync', synced: 'synced', rejected: 'refused by the server' };

export function showSessions(list) {
  const ul = $('sessions');
  ul.replaceChildren();
  for (const r of list.slice(0, 20)) {
    const li = document.createElement('li');
    li.dataset.state = r.state;
    li.dataset.clientId = r.client_id;
    li.setAttribute('data-testid', 'session');
    const when = new Date(r.started_at);
    const what = r.exercise === 'plank' && Number.isFinite(r.hold_ms) ? `${(r.hold_ms / 1000).toFixed(1)} s hold` : `${r.reps.length} rep${r.reps.length === 1 ? '' : 's'}`;
    li.textContent = `${when.toLocaleString()} · ${prettyName(r.exercise)} · ${what} · `;
    const b = document.createElement('b');
    b.className = `state ${r.state}`;
    b.textContent = STATE_TEXT[r.state] || r.state;
    li.appendChild(b);
    if (r.state === 'synced' && r.workout_id) {
      li.append(' · ');
      const a = document.createElement('a');
      a.href = `/#/workouts/${encodeURIComponent(r.workout_id)}`;
      a.textContent = 'open';
      li.appendChild(a);
    }
    ul.appendChild(li);
  }
}

export function showSyncStatus(st) {
  const p = $('sync-status');
  p.dataset.state = st.state;
  p.dataset.pending = String(st.pending || 0);
  p.dataset.synced = String(st.synced || 0);
  const parts = [`${st.pending || 0} waiting`, `${st.synced || 0} synced`];
  if (st.rejected) parts.push(`${st.rejected} refused`);
  p.textContent = parts.join(' · ') + (st.message ? ` — ${st.message}` : st.state === 'syncing' ? ' — syncing…' : '');
}
