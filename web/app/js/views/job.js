/* views/job.js - live progress of an analysis job (server-sent events), then what came out:
 * the counted reps and a link to the workout, or, when nothing was recognised, the question
 * "what did you do?" and "analyse again as…"; a failure is said once, in plain words. */
import { apiFetch, exercises } from '../api.js';
import { watchJob } from '../sse.js';
import { h, clear, notice, errorText, exerciseLabel, sentence } from '../dom.js';

const STAGES = { fetch: 'Fetching the video', pose: 'Finding your pose in every frame', analysis: 'Counting reps and checking form', store: 'Saving the results', done: 'Finishing' };
/* job states in words (the badge keeps the state name in data-state) */
export const STATE_WORDS = { queued: 'Waiting for its turn', running: 'Analysing', done: 'Done', dead: 'Failed' };

export function render(root, params, { go }) {
  const ctrl = new AbortController();
  const bar = h('progress', { max: 100, value: 0, 'data-testid': 'job-progress', 'aria-label': 'analysis progress' });
  const pct = h('span', { 'data-testid': 'job-percent' }, '0 %');
  const stage = h('p', { 'data-testid': 'job-stage', 'aria-live': 'polite' }, 'Waiting for its turn…');
  const state = h('span', { class: 'badge', 'data-testid': 'job-state' }, STATE_WORDS.queued);
  const actions = h('div', { class: 'actions job-result', 'data-testid': 'job-result' });
  const title = h('h1', {}, 'Analysing your set');
  root.appendChild(h('section', { class: 'card', 'data-testid': 'job-screen' },
    title, h('p', {}, state),
    h('div', { class: 'row' }, bar, pct), stage, actions));

  const show = (job) => {
    if (!job) return;
    bar.value = Number(job.progress) || 0;
    pct.textContent = `${Number(job.progress) || 0} %`;
    state.textContent = STATE_WORDS[job.state] || job.state;
    state.dataset.state = job.state;
    if (job.state === 'done') title.textContent = 'Your set is analysed';
    if (job.state === 'dead') title.textContent = 'Your set could not be analysed';
    if (job.state === 'dead') stage.textContent = 'Stopped.';
    else stage.textContent = job.state === 'done' ? 'Done.' : (STAGES[job.stage] || 'Waiting for its turn…');
  };

  /* "What did you do?" with a button that analyses the same video again as that. */
  const askExercise = async (videoId, text) => {
    const names = await exercises().catch(() => []);
    const sel = h('select', { id: 'job-ex', 'data-testid': 'job-exercise' }, names.map((n) => h('option', { value: n }, exerciseLabel(n))));
    const out = h('div', {});
    const btn = h('button', {
      type: 'button', class: 'primary', 'data-testid': 'job-reanalyze',
      onclick: async () => {
        btn.disabled = true;
        try {
          const r = await apiFetch(`/v1/videos/${videoId}/analyze`, { method: 'POST', json: { exercise: sel.value } });
          go(`#/jobs/${r.job_id}?video=${videoId}`);
        } catch (e) {
          btn.disabled = false;
          clear(out, notice('error', sentence(errorText(e)), 'job-reanalyze-error'));
        }
      },
    }, 'Analyse again');
    return h('div', { class: 'card inset', 'data-testid': 'job-ask-exercise' }, h('p', {}, text),
      h('label', { for: 'job-ex' }, 'What did you do?'), sel, h('div', { class: 'actions' }, btn), out);
  };

  (async () => {
    try {
      const job = await watchJob(params.id, ({ job: j }) => show(j), { signal: ctrl.signal });
      show(job);
      const vid = (job && job.video_id) || params.query.get('video');
      if (job && job.state === 'done') {
        const video = await apiFetch(`/v1/videos/${vid}`, { signal: ctrl.signal });
        const rep = video.report || {};
        const set = rep.set || {};
        const n = Number(set.reps) || 0;
        if (rep.exercise && (n > 0 || rep.is_hold)) {
          actions.appendChild(h('p', { class: 'result-line', 'data-testid': 'job-summary' },
            rep.is_hold ? `${exerciseLabel(rep.exercise)}: held ${Math.round((rep.hold && rep.hold.hold_s) || 0)} s.`
              : `${exerciseLabel(rep.exercise)}: ${n} rep${n === 1 ? '' : 's'}, ${set.good || 0} good${set.bad ? `, ${set.bad} need${set.bad === 1 ? 's' : ''} work` : ''}.`));
        } else {
          actions.appendChild(await askExercise(vid, rep.exercise
            ? `Recognised ${exerciseLabel(rep.exercise).toLowerCase()}, but no rep was counted. If that is not what you did, say what it was.`
            : 'No exercise was recognised in this video, so no reps were counted.'));
        }
        if (video.workout_id) {
          const a = h('a', { class: 'button primary', href: `#/workouts/${video.workout_id}`, 'data-testid': 'job-open-workout' }, 'Open the workout');
          actions.appendChild(a);
          a.focus();
        } else {
          actions.appendChild(notice('info', 'The analysis finished but saved no workout.', 'job-no-workout'));
        }
      } else {
        const full = await apiFetch(`/v1/jobs/${params.id}`, { signal: ctrl.signal });
        actions.appendChild(h('div', { class: 'notice notice-error', role: 'alert', 'data-testid': 'job-failed' },
          h('strong', {}, 'The analysis failed. '), sentence(full.error || 'no reason was given')));
        actions.appendChild(h('a', { class: 'button', href: '#/upload' }, 'Upload another video'));
      }
    } catch (e) {
      if (!ctrl.signal.aborted) actions.appendChild(notice('error', errorText(e), 'job-error'));
    }
  })();
  return () => ctrl.abort();
}
