// test_live_stage.mjs - no stale skeleton on the live stage after Stop (issue 14, item 6).
// A frame that is inside the pose model when Stop is pressed must draw nothing once it comes
// out: the stage is empty after Stop, and stays empty. The race is made certain, not left to
// the machine's speed: an init script wraps MediaPipe's Pose.send so that, once the test asks,
// each frame stays in the model 700 ms, and the test presses Stop while one is inside.
// Checked in manual mode (Stop during a set) and hands-free (Stop during the set-up check).
// Note: reverting the guards (the late frame's `app.set === s && !s.stopping` before drawing,
// the set-up's `st.done`) does not make this test fail: Stop already waits for the set's frame
// in flight before it empties the stage, and a frame that comes out after Stop closed the
// camera draws at the closed video's 0x0 size, which leaves nothing visible. The test holds the
// property (no skeleton after Stop, whatever finishes late), not the reported symptom, which
// could not be reproduced on the code before the fix (docs/internals/live.md, Tests).
import { run, requireShared, startServer, launchBrowser, clipToY4m, registerAndLogin } from './lib/harness.mjs';
import { clipInfo, signedInContext, collectConsole, openLive, waitState } from './lib/live_helpers.mjs';

const shared = requireShared();
const SLOW_MS = 700;

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

// Pixels on the skeleton canvas (0 = blank).
function overlayInk(page) {
  return page.evaluate(() => {
    const c = document.querySelector('[data-testid=overlay]');
    if (!c.width || !c.height) return 0;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) n++;
    return n;
  });
}

// window.Pose is defined by the classic pose.js: catch the assignment and slow its send().
function slowPoseScript(slowMs) {
  let P;
  window.__poseInside = 0;
  window.__slowPose = false;
  Object.defineProperty(window, 'Pose', {
    configurable: true,
    get() { return P; },
    set(v) {
      P = v;
      const send = v.prototype.send;
      v.prototype.send = async function (...args) {
        window.__poseInside++;
        try {
          const r = await send.apply(this, args);
          if (window.__slowPose) await new Promise((res) => setTimeout(res, slowMs));
          return r;
        } finally {
          window.__poseInside--;
        }
      };
    },
  });
}

// Stop while a frame is in the (slowed) model, then the stage must be empty and stay so.
async function stopWhileInside(page, what) {
  await page.evaluate(() => { window.__slowPose = true; });
  await page.waitForFunction(() => window.__poseInside > 0, null, { timeout: 20000 });
  assert(await overlayInk(page) > 0, `${what}: no skeleton on the stage before Stop (the test sees nothing to go stale)`);
  await page.click('[data-testid=stop]');
  await page.waitForFunction(() => window.__poseInside === 0, null, { timeout: 20000 });
  await page.waitForTimeout(300);
  const ink = await overlayInk(page);
  assert(ink === 0, `${what}: a skeleton (${ink} pixels) stays on the stage after Stop`);
}

await run('browser/test_live_stage', async () => {
  const server = await startServer();
  const user = await registerAndLogin(server);
  const clip = clipInfo(shared, 'squat_front_bodyweight_dark_rj.mp4');
  const browser = await launchBrowser({ fakeCamera: clipToY4m(clip.path, { width: 480 }) });

  // manual: Stop during a set
  {
    const ctx = await signedInContext(browser, user);
    await ctx.addInitScript(slowPoseScript, SLOW_MS);
    const page = await ctx.newPage();
    const lines = collectConsole(page);
    await openLive(page, server, lines, '?model=lite');
    await page.selectOption('[data-testid=exercise]', 'squat');
    await page.click('[data-testid=start]');
    await waitState(page, ['recording'], 30000);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=live-stats]').dataset.processed || 0) >= 3, null, { timeout: 30000 });
    await stopWhileInside(page, 'manual set');
    await waitState(page, ['done'], 60000);
    assert(await overlayInk(page) === 0, 'manual set: a skeleton on the stage with the summary');
    assert(lines.filter((l) => l.startsWith('pageerror')).length === 0, lines.join('\n'));
    await ctx.close();
  }

  // hands-free: Stop during the set-up check (back to ready, nothing recorded)
  {
    const ctx = await signedInContext(browser, user);
    await ctx.addInitScript(slowPoseScript, SLOW_MS);
    const page = await ctx.newPage();
    const lines = collectConsole(page);
    await openLive(page, server, lines, '?model=lite&handsfree=1');
    await page.selectOption('[data-testid=exercise]', 'squat');
    await page.click('[data-testid=start]');
    await waitState(page, ['setup'], 30000);
    await page.waitForFunction(() => document.querySelector('[data-testid=setup]').textContent.length > 0, null, { timeout: 30000 });
    await stopWhileInside(page, 'set-up check');
    await waitState(page, ['ready', 'done'], 60000);
    assert(lines.filter((l) => l.startsWith('pageerror')).length === 0, lines.join('\n'));
    await ctx.close();
  }
  await browser.close();
});
