// test_skeleton_track.mjs - web/app/js/skeleton.js reads the replay track in Node (no browser):
// a repright.pose/1 track as the analyze job writes it (landmarks_file_write_track: arrays of
// [x, y, z, visibility], frames without a pose, a landmark not found), the other pose/1 forms
// (objects, arrays without visibility), an analysis fixture, and a track stored before the
// one-schema change (repright.landmarks/1, read for one release); anything else is refused.
// frameAt() finds the frame shown at a time.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { run, ENV } from '../browser/lib/harness.mjs';

await run('web/test_skeleton_track', async () => {
  const here = path.dirname(new URL(import.meta.url).pathname);
  const appDir = ENV.webDir ? path.join(ENV.webDir, 'js') : path.resolve(here, '../../web/app/js');
  const { toTrack, frameAt } = await import(pathToFileURL(path.join(appDir, 'skeleton.js')));

  const lm = (k) => [k / 100, 1 - k / 100, -0.01, k % 2 ? 0.25 : 0.9];
  const posed = Array.from({ length: 33 }, (_, k) => lm(k));
  posed[3] = null; // not found
  const doc = {
    schema: 'repright.pose/1', width: 1280, height: 720, fps: 29.97,
    frames: [
      { t_ms: 0.0, pose: true, score: 0.99, landmarks: posed },
      { t_ms: 33.367, pose: false },
      { t_ms: 66.733, landmarks: posed.map((p) => (p ? { x: p[0], y: p[1], visibility: p[3] } : null)) },
      { t_ms: 100.1, landmarks: posed.map((p) => (p ? [p[0], p[1]] : null)) },
    ],
  };
  const t = toTrack(doc);
  assert.equal(t.width, 1280);
  assert.equal(t.height, 720);
  assert.deepEqual(t.frames.map((f) => f[0]), [0, 33.367, 66.733, 100.1]);
  assert.equal(t.frames[1][1], null);
  for (const i of [0, 2]) {
    const flat = t.frames[i][1];
    assert.equal(flat.length, 99);
    assert.deepEqual(flat.slice(0, 3), [0, 1, 0.9]);
    assert.deepEqual(flat.slice(3, 6), [0.01, 0.99, 0.25]);
    assert.equal(flat[3 * 3 + 2], 0, 'a landmark not found is not drawn');
  }
  assert.equal(t.frames[3][1][5], 1, 'no visibility given: the point counts as seen');
  assert.equal(frameAt(t, 50), 1);
  assert.equal(frameAt(t, 1000), 3);
  assert.equal(frameAt(t, -5), 0);

  // a track stored by an earlier release: passed through
  const old = { schema: 'repright.landmarks/1', fps: 30, width: 640, height: 480, stride: 1,
    frames: [[0, new Array(99).fill(0.5)], [33, null]] };
  assert.deepEqual(toTrack(old), { width: 640, height: 480, frames: old.frames });

  // an analysis fixture (exact pose/1 with world landmarks): every frame, 99 numbers each
  const fixture = path.resolve(here, '../fixtures/analysis/squat_side_heels.json');
  const fx = JSON.parse(fs.readFileSync(fixture, 'utf8'));
  const ft = toTrack(fx);
  assert.equal(ft.frames.length, fx.frames.length);
  assert.ok(ft.frames.every((f) => f[1] === null || (f[1].length === 99 && f[1].every(Number.isFinite))));

  for (const bad of [null, {}, { schema: 'repright.pose/2', frames: [] }, { schema: 'repright.series/1', frames: [] },
    { schema: 'repright.pose/1', frames: 'x' }]) {
    assert.equal(toTrack(bad), null, JSON.stringify(bad));
  }
});
