// test_live_model.mjs - the live coach's automatic model choice (issue 14, item 4): the page
// starts on the full landmark model and goes down to lite when the device cannot keep the
// analysis rate the core needs (docs/internals/live.md "Model and frame rate").
//  - the forward-lean side squat (more_clips.json; red on the dashboard, forward lean 31.5 deg
//    with the server's full model) is red live too: before, the page ran the lite model, whose
//    landmarks read the lean at 21-23 deg, under the 30 deg cut, and judged it green every time.
//    The verdict is near its cut and depends on the full model's frame rate (red 7 of 7 at
//    >= 11 frames/s, about half at 8-10, live.md), and a CI machine's rate is not ours to set,
//    so CI checks the choice itself (full model kept for the whole set, the rep counted) and
//    records the verdict as a measurement; RR_LIVE_RUNS=n runs check the red rep every time;
//  - on a CPU throttled 6x (CDP Emulation.setCPUThrottlingRate) the full model falls under the
//    floor: the page goes down to lite by itself (in the set if no rep was counted yet, else
//    when the set ends), says so, and the set is still counted;
//  - a set too short for the running rate (stopped once 3 frames went through the model, 6x
//    throttle, ?min_fps=30 so any machine is under the floor) is judged on its own rate when it ends: the
//    summary says the verdicts came from few frames and the next set starts on lite; a rep
//    closed only at Stop shows on the indicator.
// Manual stability runs (docs/internals/live.md lists the x of N results): RR_LIVE_RUNS=n
// records each clip n times and every run must pass; RR_LIVE_MODEL_CLIPS=a.mp4:bad,b.mp4:12
// (bad = a red rep, a number = reps within one; '-' = none); RR_LIVE_QUERY=?model=lite;
// RR_LIVE_THROTTLE=r slows the CPU r times for those runs (a slower phone, same machine).
import {
  run, requireShared, startServer, launchBrowser, clipToY4m, screenshot, recordMeasurement,
  registerAndLogin,
} from './lib/harness.mjs';
import { clipInfo, signedInContext, collectConsole, openLive, recordSet, waitState } from './lib/live_helpers.mjs';

const shared = requireShared();
const RUNS = Math.max(1, Number(process.env.RR_LIVE_RUNS) || 1);
const VERDICTS = !!process.env.RR_LIVE_RUNS; // manual stability runs also require the verdict
const QUERY = process.env.RR_LIVE_QUERY || ''; // e.g. ?model=lite to compare (manual runs)
const THROTTLE = Number(process.env.RR_LIVE_THROTTLE) || 1; // CPU slow-down of the verdict runs (manual)
// file:expected ("bad" = at least one red rep; a number = that many reps counted, within one)
const CLIPS = (process.env.RR_LIVE_MODEL_CLIPS || 'squat_side_bodyweight_woman_1rep_white_rohit.mp4:bad').split(',').filter((c) => c && c !== '-');

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

await run('browser/test_live_model', async () => {
  const server = await startServer();
  const user = await registerAndLogin(server);
  const failures = [];

  // ---- automatic choice on this machine: full model, the lean squat is red --------------------
  for (const spec of CLIPS) {
    const [file, want] = spec.split(':');
    const clip = clipInfo(shared, file);
    const browser = await launchBrowser({ fakeCamera: clipToY4m(clip.path, { width: 480 }) });
    const n = RUNS;
    const missed = [];
    for (let i = 0; i < n; i++) {
      const ctx = await signedInContext(browser, user);
      const page = await ctx.newPage();
      const lines = collectConsole(page);
      await openLive(page, server, lines, QUERY);
      if (THROTTLE > 1) await (await ctx.newCDPSession(page)).send('Emulation.setCPUThrottlingRate', { rate: THROTTLE });
      const load = await page.evaluate(() => window.__liveLoad);
      assert(QUERY || (load.model === 'full' && load.model_auto), `the page does not start on the full model by itself: ${JSON.stringify(load)}`);
      const r = await recordSet(page, { exercise: clip.exercise, seconds: clip.duration, frames: clip.y4mFrames });
      const st = r.stats;
      const reps = (r.set && r.set.reps) || [];
      const verdicts = reps.map((x) => x.verdict);
      const faults = reps.map((x) => (x.faults || []).join('+'));
      const line = `${file} run ${i + 1}/${n}: model ${st.model} switches ${JSON.stringify(st.model_switches)}, fps ${st.fps.toFixed(1)}, ` +
        `processed ${st.processed} of ${st.frames} (first at ${st.first_processed_ms} ms, model ms ${JSON.stringify(st.first_model_ms)} then median ${Math.round(st.model_ms_median)}), reps ${reps.length} ${JSON.stringify(verdicts)} faults ${JSON.stringify(faults)}, live ${JSON.stringify(st.announced.map((a) => a.verdict))}`;
      console.log(line);
      recordMeasurement('live_model_auto', { clip: file, run: i + 1, throttle: THROTTLE, model: st.model, switches: st.model_switches, fps: st.fps, processed: st.processed, frames: st.frames, reps: reps.length, verdicts, faults });
      assert(!r.error, `${file}: ${r.error}`);
      let miss = null;
      if (!QUERY && THROTTLE === 1) assert(st.model === 'full' && !st.model_switches.length, `the full model was not kept on this machine: ${line}`);
      if (want === 'bad' && !VERDICTS) assert(reps.length === 1, `the rep was not counted: ${line}`);
      if (want === 'bad' && VERDICTS && !verdicts.includes('bad')) miss = `no red rep: ${line}`;
      if (/^\d+$/.test(want) && Math.abs(reps.length - Number(want)) > 1) miss = `not ${want} reps: ${line}`;
      if (miss) missed.push(miss);
      if (i === 0) await screenshot(page, `live-model-${file.replace(/\.mp4$/, '')}`);
      assert(lines.filter((l) => l.startsWith('pageerror')).length === 0, lines.join('\n'));
      await ctx.close();
    }
    await browser.close();
    if (missed.length) failures.push(...missed);
  }
  assert(failures.length === 0, failures.join('\n'));

  // ---- a slow device: CPU throttled 6x, the page goes down to lite and says so -----------------
  {
    const clip = clipInfo(shared, 'squat_front_bodyweight_dark_rj.mp4');
    const browser = await launchBrowser({ fakeCamera: clipToY4m(clip.path, { width: 480 }) });
    const ctx = await signedInContext(browser, user);
    const page = await ctx.newPage();
    const lines = collectConsole(page);
    await openLive(page, server, lines);
    assert(await page.evaluate(() => window.__liveLoad.model === 'full'), 'not on the full model before the throttle');
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 6 });
    await page.selectOption('[data-testid=exercise]', 'squat');
    await page.click('[data-testid=start]');
    await waitState(page, ['recording'], 30000);
    await page.waitForFunction(() => !document.querySelector('[data-testid=model-note]').hidden, null, { timeout: 40000 }).catch(async () => {
      throw new Error(`no switch to lite at 6x: ${JSON.stringify(await page.evaluate(() => window.__liveStats))}`);
    });
    const during = await page.textContent('[data-testid=model-note]');
    await page.waitForTimeout(3000);
    await screenshot(page, 'live-model-throttled');
    await page.click('[data-testid=stop]');
    await waitState(page, ['done'], 60000);
    const st = await page.evaluate(() => ({ ...window.__liveStats, model_switches: window.__modelSwitches || [] }));
    const note = await page.evaluate(() => { const n = document.querySelector('[data-testid=model-note]'); return n.hidden ? '' : n.textContent; });
    const shown = await page.textContent('[data-testid=model]');
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
    console.log(`6x throttle: switches ${JSON.stringify(st.model_switches)}, model after the set ${shown}, fps ${st.fps.toFixed(1)} over the set, processed ${st.processed}, reps ${st.reps}; during the set "${during}", after "${note}"`);
    recordMeasurement('live_model_throttled', { rate: 6, switches: st.model_switches, fps: st.fps, processed: st.processed, model_ms_median: st.model_ms_median });
    const sw = st.model_switches[0];
    assert(sw.from === 'full' && sw.to === 'lite' && sw.fps < 6, `switch ${JSON.stringify(sw)}`);
    assert(/lite/.test(shown), `the page shows model "${shown}"`);
    assert(/switched to the fast model/.test(note), `the page does not say it switched: "${note}"`);
    assert(st.processed > 5, `the set went on after the switch: ${JSON.stringify(st)}`);
    await ctx.close();
    await browser.close();
  }

  // ---- a set too short for the running rate: judged on its own rate at the end ----------------
  // The running rate needs 8 frames over 1.5 s. A set stopped (inside the page) once 3 frames
  // went through the model never has that on any machine; the page is opened with a floor of 30
  // frames/s (?min_fps=30) and
  // the CPU throttled 6x (this machine: 3-4 fps), so the set is under the floor on a machine up
  // to ~8x faster. Before, such a set said nothing and the next set stayed on full (at 4x the
  // heels squat's one rep was judged from 5 frames and called red for shallow depth in 3 of 6
  // runs); now the next set starts on lite and the summary says the rate was under the floor.
  // Then the whole heels clip at 6x, default floor: a rep closed only by the analysis at Stop
  // (nothing announced during the set) must show on the indicator, not "Go" beside its chip.
  {
    const clip = clipInfo(shared, 'squat_side_BAD_heels_k_i002.mp4');
    const browser = await launchBrowser({ fakeCamera: clipToY4m(clip.path, { width: 480 }) });
    // Start a set and press Stop from inside the page as soon as n frames went through the model.
    const recordShort = async (page, n) => {
      await page.selectOption('[data-testid=exercise]', 'squat');
      await page.click('[data-testid=start]');
      await waitState(page, ['recording'], 30000);
      await page.evaluate((k) => new Promise((resolve, reject) => {
        const until = performance.now() + 60000;
        const check = () => {
          if (Number(document.body.dataset.processedFrames || 0) >= k) { document.querySelector('[data-testid=stop]').click(); resolve(); }
          else if (performance.now() > until) reject(new Error(`only ${document.body.dataset.processedFrames} frames analysed in 60 s`));
          else setTimeout(check, 4);
        };
        check();
      }), n);
      await waitState(page, ['done'], 60000);
      return page.evaluate(() => {
        const e = document.querySelector('[data-testid=error]');
        return { stats: window.__liveStats, error: e && !e.hidden ? e.textContent : '' };
      });
    };
    const state = (page) => page.evaluate(() => {
      const n = document.querySelector('[data-testid=sum-rate]');
      return {
        switches: window.__modelSwitches || [],
        model: document.querySelector('[data-testid=model]').textContent,
        indicator: document.querySelector('[data-testid=indicator]').textContent.trim(),
        chips: [...document.querySelectorAll('[data-testid=rep-chip]')].map((c) => c.dataset.verdict),
        note: !n || n.hidden ? '' : n.textContent,
      };
    });
    for (const variant of ['short', 'whole clip']) {
      const ctx = await signedInContext(browser, user);
      const page = await ctx.newPage();
      const lines = collectConsole(page);
      await openLive(page, server, lines, variant === 'short' ? '?min_fps=30' : '');
      const cdp = await ctx.newCDPSession(page);
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: 6 });
      const r = variant === 'short'
        ? await recordShort(page, 3)
        : await recordSet(page, { exercise: 'squat', seconds: clip.duration, frames: clip.y4mFrames });
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
      const st = r.stats;
      const after = await state(page);
      console.log(`${variant} set at 6x: fps ${st.fps.toFixed(1)}, processed ${st.processed} of ${st.frames}, announced ${st.announced.length}, chips ${JSON.stringify(after.chips)}, indicator "${after.indicator}", switches ${JSON.stringify(after.switches)}, model ${after.model}, summary "${after.note}"`);
      recordMeasurement('live_model_short_set', { variant, throttle: 6, fps: st.fps, processed: st.processed, announced: st.announced.length, chips: after.chips, switches: after.switches });
      assert(!r.error, r.error);
      if (variant === 'short') {
        await screenshot(page, 'live-model-short-set-throttled');
        assert(st.processed >= 2, `the set needs two analysed frames for a rate: ${JSON.stringify(st)}`);
        assert(after.switches.length === 1 && after.switches[0].rule === 'set rate' && after.switches[0].phase === 'after the set' && after.switches[0].to === 'lite', `no switch on the set's own rate after the short set: ${JSON.stringify(after.switches)}`);
        assert(/lite/.test(after.model), `the next set's model reads "${after.model}"`);
        assert(/analysed at \d+\.\d frames\/s, under the 30 the coach needs/.test(after.note), `the summary does not say the rate was too low: "${after.note}"`);
      } else if (after.chips.length && !st.announced.length) {
        assert(new RegExp(`^${after.chips.length}: `).test(after.indicator), `the indicator reads "${after.indicator}" after the set (chips ${JSON.stringify(after.chips)})`);
      } else {
        console.log(`indicator check not applicable: ${st.announced.length} rep(s) announced during the set, ${after.chips.length} chip(s)`);
      }
      assert(lines.filter((l) => l.startsWith('pageerror')).length === 0, lines.join('\n'));
      await ctx.close();
    }
    await browser.close();
  }
});
