// bench_live_throttled.mjs - the live coach's analysis rate on a phone-like CPU: Chromium's CPU
// throttling (CDP Emulation.setCPUThrottlingRate) at 1x, 4x and 6x while the page records a
// real clip played by the fake camera. Prints, per rate: frames/s analysed, camera frame ->
// indicator latency p50/p99, the share of camera frames dropped, where a frame's time goes
// (pose model, analysis core, drawing: medians) and the reps counted. A measurement, not a test:
// no assertion on times (docs/internals/live.md "On a throttled CPU" has the numbers).
//
// usage: node bench/bench_live_throttled.mjs [RATES=1,4,6] [CLIP=squat_front_bodyweight_dark_rj.mp4] [SECONDS=12]
// Needs the build's environment (the same as the browser tests): REPRIGHT_BIN, RR_WEB_DIR,
// RR_NODE_MODULES, RR_SHARED_DIR (e.g. run it as ctest runs tests/browser, see CMakeLists.txt).
import {
  run, requireShared, startServer, launchBrowser, clipToY4m, registerAndLogin,
} from '../tests/browser/lib/harness.mjs';
import { clipInfo, signedInContext, collectConsole, openLive, recordSet } from '../tests/browser/lib/live_helpers.mjs';

const arg = (name, dflt) => {
  const a = process.argv.find((x) => x.startsWith(`${name}=`));
  return a ? a.slice(name.length + 1) : (process.env[`BENCH_${name}`] || dflt);
};
const RATES = arg('RATES', '1,4,6').split(',').map(Number).filter((x) => x >= 1);
const CLIP = arg('CLIP', 'squat_front_bodyweight_dark_rj.mp4');
const SECONDS = Number(arg('SECONDS', '12'));
const MODEL = arg('MODEL', ''); // '' = the page's automatic choice, or lite | full

const shared = requireShared();
const f1 = (v) => (v === null || v === undefined ? '-' : v.toFixed(1));

await run('bench/live_throttled', async () => {
  const server = await startServer();
  const user = await registerAndLogin(server);
  const clip = clipInfo(shared, CLIP);
  const y4m = clipToY4m(clip.path, { width: 480 });
  const rows = [];
  for (const rate of RATES) {
    const browser = await launchBrowser({ fakeCamera: y4m });
    const ctx = await signedInContext(browser, user, { viewport: { width: 390, height: 844 } });
    const page = await ctx.newPage();
    const lines = collectConsole(page);
    await openLive(page, server, lines, MODEL ? `?model=${MODEL}` : (process.env.BENCH_Q || ''));
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate });
    const seconds = Math.min(SECONDS, clip.duration);
    const r = await recordSet(page, { exercise: clip.exercise, seconds, frames: Math.round(seconds * 30) });
    const st = r.stats;
    rows.push({ rate, st, reps: r.summaryReps });
    console.log(`MEASURE ${JSON.stringify({ name: 'live_throttled', clip: CLIP, rate, model: st.model, fps: st.fps, latency_p50_ms: st.latency_median_ms, latency_p99_ms: st.latency_p99_ms, dropped: st.dropped, frames: st.frames, model_ms: st.model_ms_median, core_ms: st.core_ms_median, core_ms_p99: st.core_ms_p99, draw_ms: st.draw_ms_median, reps: Number(r.summaryReps), switches: st.model_switches || [], pending: st.model_switch_pending || null })}`);
    await browser.close();
  }
  console.log(`\nlive coach, ${CLIP} (${Math.min(SECONDS, clip.duration).toFixed(1)} s of it), 480 px fake camera at 30 fps, model ${rows[0] && rows[0].st.model}`);
  console.log('CPU throttle | fps  | latency p50 | p99   | dropped | model ms | core ms (p99) | draw ms | reps');
  for (const { rate, st, reps } of rows) {
    const drop = st.frames ? (100 * st.dropped / st.frames).toFixed(0) : '-';
    console.log(`${String(rate).padStart(4)}x        | ${f1(st.fps).padStart(4)} | ${f1(st.latency_median_ms).padStart(7)} ms  | ${f1(st.latency_p99_ms).padStart(5)} | ${drop.padStart(5)} % | ${f1(st.model_ms_median).padStart(8)} | ${f1(st.core_ms_median).padStart(5)} (${f1(st.core_ms_p99)}) | ${f1(st.draw_ms_median).padStart(7)} | ${reps}`);
  }
});
