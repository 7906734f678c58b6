// live-pose.js - on-device pose estimation with MediaPipe's own web build (@mediapipe/pose).
//
// Owner: live page. The classic script /vendor/mediapipe-pose/pose.js must have defined
// window.Pose before createPoseEstimator() is called (live.html loads it first).
// Errors: createPoseEstimator() rejects when pose.js is missing or the graph cannot start
// (for instance without WebGL, which the legacy graph needs even for CPU inference).
// Thread-safety: one frame in flight at a time; estimate() while busy returns null at once
// (the caller drops that frame) so frames never queue up behind a slow model.

export const VENDOR_DIR = '/vendor/mediapipe-pose/';

// Landmark index pairs drawn as the skeleton (BlazePose's 33-point topology, face left out).
export const SKELETON = [
  [11, 12], [11, 13], [13, 15], [12, 14], [14, 16], [11, 23], [12, 24], [23, 24],
  [23, 25], [25, 27], [27, 29], [29, 31], [27, 31], [24, 26], [26, 28], [28, 30], [30, 32], [28, 32],
  [15, 17], [15, 19], [17, 19], [16, 18], [16, 20], [18, 20], [0, 11], [0, 12],
];

function copyLandmarks(list) {
  if (!list || list.length !== 33) return null;
  const out = new Array(33);
  for (let i = 0; i < 33; i++) {
    const p = list[i];
    out[i] = { x: p.x, y: p.y, z: p.z, visibility: p.visibility === undefined ? 1 : p.visibility };
  }
  return out;
}

// modelComplexity 0 = lite, 1 = full (the live page picks it: live.js, "Model choice"). cpu: TFLite on the CPU
// (useCpuInference, an option the package's .d.ts does not list).
export async function createPoseEstimator({ modelComplexity = 0, cpu = true, PoseClass } = {}) {
  const Pose = PoseClass || (typeof window !== 'undefined' ? window.Pose : undefined);
  if (typeof Pose !== 'function') throw new Error('MediaPipe pose.js did not load (/vendor/mediapipe-pose/pose.js)');
  const pose = new Pose({ locateFile: (file) => VENDOR_DIR + file });
  pose.setOptions({
    modelComplexity,
    smoothLandmarks: true,
    enableSegmentation: false,
    selfieMode: false,
    minDetectionConfidence: 0.5,
    minTrackingConfidence: 0.5,
    useCpuInference: cpu,
  });
  let last = null;
  pose.onResults((r) => {
    last = {
      image: copyLandmarks(r.poseLandmarks),
      world: copyLandmarks(r.poseWorldLandmarks),
    };
  });
  await pose.initialize();

  let busy = false;
  let lastTs = 0;
  const est = {
    modelComplexity,
    get busy() { return busy; },
    // Runs the model on the current picture of source (video, canvas or image). tMs is the
    // frame's time on the performance.now() clock (kept strictly increasing for the graph).
    // Resolves {image, world} (each null when no pose) or null when a frame is already in flight.
    async estimate(source, tMs) {
      if (busy) return null;
      busy = true;
      try {
        let ts = typeof tMs === 'number' && Number.isFinite(tMs) ? tMs : performance.now();
        if (ts <= lastTs) ts = lastTs + 1;
        lastTs = ts;
        last = null;
        await pose.send({ image: source }, ts);
        return last || { image: null, world: null };
      } finally {
        busy = false;
      }
    },
    // Switch the landmark model (0 lite, 1 full) between frames: the graph loads the other
    // model's file on the next estimate (a few hundred ms, that frame only).
    setModel(mc) {
      if (mc === est.modelComplexity) return;
      pose.setOptions({ modelComplexity: mc });
      est.modelComplexity = mc;
    },
    // Forget tracking state (a new set starts from detection).
    reset() { pose.reset(); },
    async close() { await pose.close(); },
  };
  return est;
}

// Run the graph once on a small blank picture so the first real frame does not pay for
// shader compilation and model loading.
export async function warmUp(est, width = 256, height = 256) {
  const c = document.createElement('canvas');
  c.width = width;
  c.height = height;
  const g = c.getContext('2d');
  g.fillStyle = '#808080';
  g.fillRect(0, 0, width, height);
  const t0 = performance.now();
  await est.estimate(c, t0);
  return performance.now() - t0;
}
