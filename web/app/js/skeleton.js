/*
 * skeleton.js - draw the BlazePose skeleton of the landmark track (repright.landmarks/1,
 * docs/internals/web.md) on a canvas laid over the <video>, in sync with playback:
 * requestVideoFrameCallback where the browser has it (frame-exact), otherwise timeupdate and a
 * requestAnimationFrame loop while playing.
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

/* Keep `canvas` showing the pose of the video's current frame. Returns a stop function.
 * colorAt(tSeconds) picks the stroke colour (e.g. the verdict of the rep at that time). */
export function syncSkeleton(video, canvas, track, { colorAt } = {}) {
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
  return () => {
    stopped = true;
    cancelAnimationFrame(raf);
    if (vfc && video.cancelVideoFrameCallback) video.cancelVideoFrameCallback(vfc);
    video.removeEventListener('seeked', onTime);
    video.removeEventListener('timeupdate', onTime);
    video.removeEventListener('loadeddata', onTime);
  };
}
