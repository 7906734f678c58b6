/*
 * skeleton.js - draw the BlazePose skeleton of the landmark track (repright.pose/1, the replay
 * track the analyze job stores; docs/landmarks-format.md, docs/internals/web.md) on a canvas laid
 * over the <video>, in sync with playback: requestVideoFrameCallback where the browser has it
 * (frame-exact), otherwise timeupdate and a requestAnimationFrame loop while playing.
 * Tracks stored before the one-schema change ("repright.landmarks/1") are still read, for one
 * release: toTrack() turns either into the flat form drawn here.
 */

// BlazePose connections (pairs of landmark ids).
export const CONNECTIONS = [
  [0, 1], [1, 2], [2, 3], [3, 7], [0, 4], [4, 5], [5, 6], [6, 8], [9, 10],
  [11, 12], [11, 13], [13, 15], [15, 17], [15, 19], [15, 21], [17, 19],
  [12, 14], [14, 16], [16, 18], [16, 20], [16, 22], [18, 20],
  [11, 23], [12, 24], [23, 24], [23, 25], [24, 26], [25, 27], [26, 28],
  [27, 29], [28, 30], [29, 31], [30, 32], [27, 31], [28, 32],
];
const MIN_VIS = 0.3;

/* One pose/1 landmark (array [x, y, z?, visibility?, presence?], object or null) into out at
 * 3*i as x, y, visibility; not found -> visibility 0 (not drawn). A missing visibility counts as
 * seen (1), a null one as unknown (0), as docs/landmarks-format.md says. */
function putLandmark(out, i, p) {
  let x = null;
  let y = null;
  let v;
  if (Array.isArray(p)) {
    [x, y] = p;
    v = p.length > 3 ? p[3] : 1;
  } else if (p && typeof p === 'object') {
    ({ x, y } = p);
    v = 'visibility' in p ? p.visibility : 1;
  }
  const found = typeof x === 'number' && typeof y === 'number';
  out[i * 3] = found ? x : 0;
  out[i * 3 + 1] = found ? y : 0;
  out[i * 3 + 2] = found && typeof v === 'number' ? v : 0;
}

/* A stored track (repright.pose/1, or the former repright.landmarks/1) as
 * { width, height, frames: [[t_ms, [x0, y0, v0, ... x32, y32, v32] | null], ...] }; frames in
 * time order. null for anything else. */
export function toTrack(doc) {
  if (!doc || !Array.isArray(doc.frames)) return null;
  const width = doc.width || 0;
  const height = doc.height || 0;
  if (doc.schema === 'repright.landmarks/1') return { width, height, frames: doc.frames };
  if (doc.schema !== 'repright.pose/1') return null;
  const frames = doc.frames.map((f) => {
    const posed = f.pose !== false && Array.isArray(f.landmarks) && f.landmarks.length === 33;
    if (!posed) return [f.t_ms, null];
    const lm = new Array(99);
    f.landmarks.forEach((p, i) => putLandmark(lm, i, p));
    return [f.t_ms, lm];
  });
  return { width, height, frames };
}

/* Index of the last frame with t <= tMs (binary search; frames sorted by t). */
export function frameAt(track, tMs) {
  const f = track.frames;
  let lo = 0;
  let hi = f.length - 1;
  if (hi < 0) return -1;
  if (tMs < f[0][0]) return 0;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (f[mid][0] <= tMs) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export function drawFrame(ctx, lm, w, h, color = '#35e07d') {
  ctx.clearRect(0, 0, w, h);
  if (!lm) return 0;
  const lw = Math.max(2, Math.round(Math.min(w, h) / 160));
  ctx.lineWidth = lw;
  ctx.lineCap = 'round';
  ctx.strokeStyle = color;
  let drawn = 0;
  for (const [a, b] of CONNECTIONS) {
    if (lm[a * 3 + 2] < MIN_VIS || lm[b * 3 + 2] < MIN_VIS) continue;
    ctx.beginPath();
    ctx.moveTo(lm[a * 3] * w, lm[a * 3 + 1] * h);
    ctx.lineTo(lm[b * 3] * w, lm[b * 3 + 1] * h);
    ctx.stroke();
    drawn++;
  }
  ctx.fillStyle = '#ffffff';
  for (let i = 0; i < 33; i++) {
    if (lm[i * 3 + 2] < MIN_VIS) continue;
    ctx.beginPath();
    ctx.arc(lm[i * 3] * w, lm[i * 3 + 1] * h, lw * 1.3, 0, Math.PI * 2);
    ctx.fill();
  }
  return drawn;
}

/* Keep `canvas` showing the pose of the video's current frame. `doc` is the stored track
 * (toTrack). Returns a stop function, or null when doc is not a track.
 * colorAt(tSeconds) picks the stroke colour (e.g. the verdict of the rep at that time);
 * hud(ctx, tSeconds, width, height) draws on top (the rep counter and the cue). */
export function syncSkeleton(video, canvas, doc, { colorAt, hud } = {}) {
  const track = toTrack(doc);
  if (!track) return null;
  const ctx = canvas.getContext('2d');
  let stopped = false;
  let raf = 0;
  let vfc = 0;
  const render = (tSec) => {
    if (stopped) return;
    const w = track.width || video.videoWidth || 640;
    const h = track.height || video.videoHeight || 360;
    if (canvas.width !== w) canvas.width = w;
    if (canvas.height !== h) canvas.height = h;
    const i = frameAt(track, tSec * 1000);
    const lm = i >= 0 ? track.frames[i][1] : null;
    const n = drawFrame(ctx, lm, w, h, colorAt ? colorAt(tSec) : undefined);
    if (hud) hud(ctx, tSec, w, h);
    canvas.dataset.frame = String(i);
    canvas.dataset.segments = String(n);
  };
  const onTime = () => render(video.currentTime);
  if ('requestVideoFrameCallback' in HTMLVideoElement.prototype) {
    const step = (_now, meta) => {
      render(meta && Number.isFinite(meta.mediaTime) ? meta.mediaTime : video.currentTime);
      if (!stopped) vfc = video.requestVideoFrameCallback(step);
    };
    vfc = video.requestVideoFrameCallback(step);
  } else {
    const loop = () => {
      onTime();
      if (!stopped && !video.paused) raf = requestAnimationFrame(loop);
    };
    video.addEventListener('play', loop);
  }
  // paused seeks do not always present a new frame callback: draw on these too
  video.addEventListener('seeked', onTime);
  video.addEventListener('timeupdate', onTime);
  video.addEventListener('loadeddata', onTime);
  render(video.currentTime || 0);
  /* the frame rate of the track (frame step), and a way to redraw now (after a selection) */
  const times = track.frames.map((f) => f[0]);
  const span = times.length > 1 ? (times[times.length - 1] - times[0]) / 1000 : 0;
  canvas.dataset.fps = String(span > 0 ? Math.round(((times.length - 1) / span) * 100) / 100 : 30);
  canvas.redraw = onTime;
  return () => {
    stopped = true;
    cancelAnimationFrame(raf);
    if (vfc && video.cancelVideoFrameCallback) video.cancelVideoFrameCallback(vfc);
    video.removeEventListener('seeked', onTime);
    video.removeEventListener('timeupdate', onTime);
    video.removeEventListener('loadeddata', onTime);
  };
}
