/* views/upload.js - pick a video (file or phone camera) and upload it with tus, resumable. */
import { TusUpload } from '../tus.js';
import { h, notice, errorText, fmtBytes } from '../dom.js';

export function render(root, _params, { go }) {
  let current = null;
  const bar = h('progress', { max: 100, value: 0, 'data-testid': 'upload-progress', 'aria-label': 'upload progress' });
  const pct = h('span', { 'data-testid': 'upload-percent' }, '0 %');
  const status = h('p', { 'aria-live': 'polite', 'data-testid': 'upload-status', class: 'hint' }, 'No file chosen yet.');
  const msg = h('div', {});
  const progressBox = h('div', { class: 'progress-box', hidden: true }, h('div', { class: 'row' }, bar, pct), status);
  const cancel = h('button', { type: 'button', 'data-testid': 'upload-cancel', hidden: true, onclick: () => current && current.abort() }, 'Cancel');

  async function start(file) {
    if (!file) return;
    msg.textContent = '';
    progressBox.hidden = false;
    cancel.hidden = false;
    picker.disabled = true;
    camera.disabled = true;
    status.textContent = `Uploading ${file.name} (${fmtBytes(file.size)})`;
    const up = new TusUpload(file, {
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
      if (e && e.name === 'AbortError') msg.appendChild(notice('info', 'Upload paused. Pick the same file again to resume.', 'upload-paused'));
      else msg.appendChild(notice('error', `Upload failed: ${errorText(e)}. Pick the same file again to resume.`, 'upload-error'));
    } finally {
      current = null;
      cancel.hidden = true;
      picker.disabled = false;
      camera.disabled = false;
    }
  }

  const picker = h('input', { type: 'file', id: 'file', accept: 'video/*', 'data-testid': 'upload-file', class: 'file-input' });
  const camera = h('input', { type: 'file', id: 'camera', accept: 'video/*', capture: 'environment', 'data-testid': 'upload-camera', class: 'file-input' });
  picker.addEventListener('change', () => start(picker.files[0]));
  camera.addEventListener('change', () => start(camera.files[0]));

  root.appendChild(h('section', { class: 'card', 'data-testid': 'upload-screen' },
    h('h1', {}, 'Upload a set'),
    h('p', {}, 'Film one set from the side or the front, whole body in view. RepRight counts the reps and checks your form.'),
    h('div', { class: 'upload-choices' },
      picker, h('label', { for: 'file', class: 'button primary' }, 'Choose a video'),
      camera, h('label', { for: 'camera', class: 'button' }, 'Record with camera')),
    progressBox, cancel, msg));
  return () => { if (current) current.abort(); };
}
