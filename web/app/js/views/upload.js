/* views/upload.js - pick a video (file or phone camera), say what exercise it shows (or let
 * RepRight recognise it), and upload it with tus, resumable. The file type is checked here,
 * before a byte is sent; an upload left unfinished by a reload is offered for resuming. */
import { TusUpload, pendingUploads, pendingOffset, discardPending } from '../tus.js';
import { exercises } from '../api.js';
import { h, clear, notice, errorText, fmtBytes, exerciseLabel, sentence } from '../dom.js';

const EXERCISE_KEY = 'repright.upload.exercise';
const OVERLAY_KEY = 'repright.upload.overlay';
const VIDEO_EXT = /\.(mp4|m4v|mov|qt|webm|mkv|3gp)$/i;

/* Is this file a video RepRight can take? By its type, or by its name when the browser gives
 * no type. Returns null when it is, else the sentence that says why not. */
export function fileProblem(file) {
  if (!file) return 'No file was chosen.';
  const type = String(file.type || '');
  const named = VIDEO_EXT.test(file.name || '');
  if (type.startsWith('video/') || (!type && named) || (type === 'application/octet-stream' && named)) {
    if (!file.size) return `${file.name} is empty.`;
    return null;
  }
  return `${file.name || 'This file'} is not a video. RepRight takes video clips: mp4, mov, webm or mkv.`;
}

function stored(key, dflt) {
  try { return localStorage.getItem(key) ?? dflt; } catch (_) { return dflt; }
}
function store(key, v) {
  try { localStorage.setItem(key, v); } catch (_) { /* storage disabled */ }
}

export function render(root, _params, { go }) {
  let current = null;
  const bar = h('progress', { max: 100, value: 0, 'data-testid': 'upload-progress', 'aria-label': 'upload progress' });
  const pct = h('span', { 'data-testid': 'upload-percent' }, '0 %');
  const status = h('p', { 'aria-live': 'polite', 'data-testid': 'upload-status', class: 'hint file-name' }, 'No file chosen yet.');
  const msg = h('div', {});
  const progressBox = h('div', { class: 'progress-box', hidden: true }, h('div', { class: 'row' }, bar, pct), status);
  const cancel = h('button', { type: 'button', 'data-testid': 'upload-cancel', hidden: true, onclick: () => current && current.abort() }, 'Pause');
  const pendingBox = h('div', { 'data-testid': 'upload-pending-box' });

  const exSel = h('select', { id: 'up-ex', 'data-testid': 'upload-exercise' }, h('option', { value: '' }, 'Recognise automatically'));
  const overlay = h('input', { type: 'checkbox', id: 'up-overlay', 'data-testid': 'upload-overlay', checked: stored(OVERLAY_KEY, '0') === '1' });
  overlay.addEventListener('change', () => store(OVERLAY_KEY, overlay.checked ? '1' : '0'));
  exercises().then((names) => {
    const keep = stored(EXERCISE_KEY, '');
    exSel.replaceChildren(h('option', { value: '' }, 'Recognise automatically'),
      ...names.map((n) => h('option', { value: n, selected: n === keep }, exerciseLabel(n))));
  }).catch(() => { /* recognition still works */ });
  exSel.addEventListener('change', () => store(EXERCISE_KEY, exSel.value));

  async function start(file) {
    clear(msg);
    const problem = fileProblem(file);
    if (problem) {
      msg.appendChild(notice('error', problem, 'upload-type-error'));
      return;
    }
    progressBox.hidden = false;
    cancel.hidden = false;
    picker.disabled = true;
    camera.disabled = true;
    status.textContent = `Uploading ${file.name} (${fmtBytes(file.size)})`;
    const up = new TusUpload(file, {
      metadata: { exercise: exSel.value || undefined, overlay: overlay.checked ? '1' : undefined },
      onProgress(sent, total) {
        const p = total ? Math.floor((100 * sent) / total) : 0;
        bar.value = p;
        pct.textContent = `${p} %`;
        status.textContent = `Uploading ${file.name}: ${fmtBytes(sent)} of ${fmtBytes(total)}`;
      },
      onStatus(text) { status.textContent = text; },
    });
    current = up;
    try {
      const { jobId, videoId } = await up.start();
      status.textContent = up.resumed ? 'Upload resumed and complete.' : 'Upload complete.';
      go(`#/jobs/${jobId}?video=${videoId}`);
    } catch (e) {
      if (e && e.name === 'AbortError') msg.appendChild(notice('info', 'Upload paused. Choose the same file again to go on from where it stopped.', 'upload-paused'));
      else msg.appendChild(notice('error', `${sentence(`the upload failed: ${errorText(e)}`)} Choose the same file again to go on from where it stopped.`, 'upload-error'));
      showPending();
    } finally {
      current = null;
      cancel.hidden = true;
      picker.disabled = false;
      camera.disabled = false;
    }
  }

  /* Unfinished uploads (a reload, a lost connection): what was sent, and how to go on. */
  async function showPending() {
    const list = pendingUploads();
    clear(pendingBox);
    if (!list.length) return;
    const items = await Promise.all(list.slice(0, 3).map(async (p) => ({ p, offset: await pendingOffset(p) })));
    clear(pendingBox);
    for (const { p, offset } of items) {
      if (offset === null) { discardPending(p); continue; } // expired on the server
      const share = p.size ? Math.floor((100 * offset) / p.size) : 0;
      pendingBox.appendChild(h('div', { class: 'notice notice-info pending', role: 'status', 'data-testid': 'upload-pending' },
        h('p', { class: 'file-name' }, h('strong', {}, 'Unfinished upload: '), `${p.name} (${fmtBytes(p.size)}), ${share} % sent.`),
        h('p', {}, 'Choose the same file to go on from where it stopped.'),
        h('div', { class: 'actions' },
          h('label', { for: 'file', class: 'button primary', 'data-testid': 'upload-pending-resume' }, 'Choose it again'),
          h('button', { type: 'button', 'data-testid': 'upload-pending-discard', onclick: async (e) => { e.target.disabled = true; await discardPending(p); showPending(); } }, 'Discard'))));
    }
  }

  const accept = 'video/*,.mp4,.m4v,.mov,.webm,.mkv';
  const picker = h('input', { type: 'file', id: 'file', accept, 'data-testid': 'upload-file', class: 'file-input' });
  const camera = h('input', { type: 'file', id: 'camera', accept: 'video/*', capture: 'environment', 'data-testid': 'upload-camera', class: 'file-input' });
  picker.addEventListener('change', () => { start(picker.files[0]); picker.value = ''; });
  camera.addEventListener('change', () => { start(camera.files[0]); camera.value = ''; });

  root.appendChild(h('section', { class: 'card', 'data-testid': 'upload-screen' },
    h('h1', {}, 'Upload a set'),
    pendingBox,
    h('ul', { class: 'tips' },
      h('li', {}, 'One set, one person, the whole body in the picture from head to feet.'),
      h('li', {}, 'Side view for squats, push-ups, lunges, deadlifts and planks; front view for jumping jacks; either for the rest.'),
      h('li', {}, 'Phone steady at hip height, 2 to 3 metres away, in good light.')),
    h('label', { for: 'up-ex' }, 'Exercise'), exSel,
    h('p', { class: 'hint' }, 'Say what you are doing for the surest count, or let RepRight recognise it.'),
    h('div', { class: 'check-row' }, overlay, h('label', { for: 'up-overlay' }, 'Also make a video with the skeleton and cues drawn in (takes longer; you can ask for it later too)')),
    h('div', { class: 'upload-choices' },
      picker, h('label', { for: 'file', class: 'button primary', 'data-testid': 'upload-choose' }, 'Choose a video'),
      camera, h('label', { for: 'camera', class: 'button' }, 'Record with camera')),
    progressBox, cancel, msg));
  showPending();
  return () => { if (current) current.abort(); };
}
