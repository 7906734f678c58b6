/* views/job.js - live progress of an analysis job (server-sent events), then a link to the result. */
import { apiFetch } from '../api.js';
import { watchJob } from '../sse.js';
import { h, notice, errorText } from '../dom.js';

const STAGES = { fetch: 'Fetching the video', pose: 'Finding your pose in every frame', analysis: 'Counting reps and checking form', overlay: 'Drawing the overlay', store: 'Saving the results', done: 'Finishing' };

export function render(root, params, { go }) {
  const ctrl = new AbortController();
  const bar = h('progress', { max: 100, value: 0, 'data-testid': 'job-progress', 'aria-label': 'analysis progress' });
  const pct = h('span', { 'data-testid': 'job-percent' }, '0 %');
  const stage = h('p', { 'data-testid': 'job-stage', 'aria-live': 'polite' }, 'Waiting for a worker…');
  const state = h('span', { class: 'badge', 'data-testid': 'job-state' }, 'queued');
  const actions = h('div', { class: 'actions' });
  root.appendChild(h('section', { class: 'card', 'data-testid': 'job-screen' },
    h('h1', {}, 'Analysing your set'), h('p', {}, 'State: ', state),
    h('div', { class: 'row' }, bar, pct), stage, actions));

  const show = (job) => {
    if (!job) return;
    bar.value = Number(job.progress) || 0;
    pct.textContent = `${Number(job.progress) || 0} %`;
    state.textContent = job.state;
    state.dataset.state = job.state;
    stage.textContent = job.state === 'done' ? 'Done.' : (STAGES[job.stage] || job.stage || 'Waiting for a worker…');
  };

  (async () => {
    try {
      const job = await watchJob(params.id, ({ job: j }) => show(j), { signal: ctrl.signal });
      show(job);
      if (job && job.state === 'done') {
        const vid = (job && job.video_id) || params.query.get('video');
        const video = await apiFetch(`/v1/videos/${vid}`, { signal: ctrl.signal });
        if (video.workout_id) {
          actions.appendChild(h('a', { class: 'button primary', href: `#/workouts/${video.workout_id}`, 'data-testid': 'job-open-workout' }, 'Open the workout'));
          actions.querySelector('a').focus();
        } else {
          actions.appendChild(notice('info', 'The analysis finished but saved no workout.', 'job-no-workout'));
        }
      } else {
        const full = await apiFetch(`/v1/jobs/${params.id}`, { signal: ctrl.signal });
        actions.appendChild(notice('error', `The analysis failed: ${full.error || 'unknown reason'}`, 'job-failed'));
        actions.appendChild(h('a', { class: 'button', href: '#/upload' }, 'Upload another video'));
      }
    } catch (e) {
      if (!ctrl.signal.aborted) actions.appendChild(notice('error', errorText(e), 'job-error'));
    }
  })();
  void go;
  return () => ctrl.abort();
}
