// test_live.mjs - the live coach page fed real clips as the camera (Chromium's fake camera plays
// a .y4m made from ../shared/media): MediaPipe lite on the page + the WASM analysis core count
// the clip's reps within one of ground truth; the labelled-bad clip (heels rise) gets a red rep;
// a plank gives a hold (seconds, no reps); each set is saved in IndexedDB and synced to the
// signed-in account. Records fps and camera-frame -> indicator latency (median, p95).
// Screenshots mid-set (clips over 4 s) and of the summary.
// Set RR_LIVE_CLIPS=a.mp4,b.mp4 to run other clips (manual exploration).
import path from 'node:path';
import {
  run, requireShared, startServer, launchBrowser, clipToY4m, screenshot, recordMeasurement,
  registerAndLogin, api,
} from './lib/harness.mjs';
import {
  clipInfo, repsWithinOne, signedInContext, collectConsole, openLive, recordSet, serverWorkouts,
} from './lib/live_helpers.mjs';

const shared = requireShared();
const CLIPS = (process.env.RR_LIVE_CLIPS || 'squat_side_BAD_heels_k_i002.mp4,squat_front_bodyweight_dark_rj.mp4,plank_side_k002.mp4').split(',');

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

await run('browser/test_live', async () => {
  const server = await startServer();
  const probe = await api(server, 'GET', '/live.html');
  assert(probe.status === 200, `GET /live.html: ${probe.status} (is the web app built and served?)`);
  const user = await registerAndLogin(server);
  const results = [];
  for (const name of CLIPS) {
    const clip = clipInfo(shared, name);
    const y4m = clipToY4m(clip.path, { width: 480 });
    const browser = await launchBrowser({ fakeCamera: y4m });
    // A labelled-bad clip gets up to 3 recordings, the first with a red rep ends it: a short rep
    // is judged from a handful of frames, and the page's full model (its automatic choice) runs
    // at ~5-12 frames/s on this shared machine, where the verdict varies with the sampling and
    // the first 0.2-0.9 s (the model's start-up) are not analysed (docs/internals/live.md).
    const attempts = clip.form_faults.length ? 3 : 1;
    let ctx; let page; let lines; let r; let spoken; let tag;
    for (let attempt = 1; attempt <= attempts; attempt++) {
    ctx = await signedInContext(browser, user);
    // record what the page says (headless Chromium has no audible voice)
    await ctx.addInitScript(() => {
      window.__spoken = [];
      if (window.speechSynthesis) {
        const speak = window.speechSynthesis.speak.bind(window.speechSynthesis);
        window.speechSynthesis.speak = (u) => { window.__spoken.push(u.text); return speak(u); };
      }
    });
    page = await ctx.newPage();
    lines = collectConsole(page);
    await openLive(page, server, lines);
    tag = path.basename(name, '.mp4');
    r = await recordSet(page, {
      exercise: clip.exercise,
      seconds: clip.duration, frames: clip.y4mFrames,
      // a screenshot takes long on a busy machine: only clips long enough to afford it
      onMidSet: clip.duration > 4 ? (p) => screenshot(p, `live-${tag}-midset`) : null,
    });
    await screenshot(page, `live-${tag}-summary`);
    spoken = await page.evaluate(() => window.__spoken || []);
    const red = r.stats.announced.some((a) => a.verdict === 'bad');
    if (attempt < attempts && !red) {
      console.log(`${name}: attempt ${attempt} of ${attempts}: no red rep (model ${r.stats.model}, fps ${r.stats.fps.toFixed(1)}, processed ${r.stats.processed}): again`);
      await ctx.close();
      continue;
    }
    break;
    }
    const st = r.stats;
    console.log(`${name}: exercise ${clip.exercise}, truth ${clip.reps} reps${clip.reps_accept ? ` (accept ${clip.reps_accept})` : ''}, ` +
      `live ${st.announced.map((a) => a.verdict)}, summary ${r.summaryReps}, chips ${JSON.stringify(r.chips)}, fps ${st.fps.toFixed(1)}, ` +
      `latency median ${st.latency_median_ms && st.latency_median_ms.toFixed(0)} ms p95 ${st.latency_p95_ms && st.latency_p95_ms.toFixed(0)} ms, ` +
      `frames ${st.frames} processed ${st.processed} dropped ${st.dropped} no-pose ${st.no_pose}, spoken ${JSON.stringify(spoken)}, time ${st.time_source}, presented frames ${st.first_presented}..${st.last_presented}; ${r.saved}`);
    recordMeasurement('live_page', {
      clip: name, model: st.model, fps: Number(st.fps.toFixed(2)),
      latency_median_ms: Number(st.latency_median_ms.toFixed(1)), latency_p95_ms: Number(st.latency_p95_ms.toFixed(1)),
      rep_latency_ms: st.rep_latency_ms.map((v) => Number(v.toFixed(1))),
      frames: st.frames, processed: st.processed, dropped: st.dropped,
      load_ms: Math.round(r.load.load_ms), warm_up_ms: Math.round(r.load.warm_up_ms),
      reps_live: clip.exercise === 'plank' ? null : st.announced.length, reps_summary: clip.exercise === 'plank' ? null : Number(r.summaryReps),
      reps_truth: clip.reps,
      hold_ms: r.session ? r.session.hold_ms : null,
    });
    assert(!r.error, `${name}: the page shows an error: ${r.error}\n${lines.join('\n')}`);
    assert(st.processed > 0 && st.fps > 0, `${name}: no frame was processed`);
    assert(st.processed + st.dropped <= st.frames, `${name}: frame accounting broken ${JSON.stringify(st)}`);
    if (clip.exercise === 'plank') {
      // a hold: the counter shows seconds held; the stored set carries hold_ms and no reps
      const hold = r.session && r.session.hold_ms;
      assert(Number.isFinite(hold) && hold >= 1000 && hold <= (clip.duration + 1) * 1000, `${name}: hold ${hold} ms of a ${clip.duration} s clip`);
      assert(r.chips.length === 0 && r.session.reps.length === 0, `${name}: reps in a plank`);
      assert(/s$/.test(r.summaryReps), `${name}: summary shows ${r.summaryReps}, not a hold`);
    } else {
      // counted during the set (indicator per rep) and in the final summary (what is stored)
      assert(repsWithinOne(st.announced.length, clip), `${name}: ${st.announced.length} reps announced live, ground truth ${clip.reps}`);
      assert(repsWithinOne(Number(r.summaryReps), clip), `${name}: summary ${r.summaryReps} reps, ground truth ${clip.reps}`);
      assert(r.liveCount === Number(r.summaryReps) && r.chips.length === r.liveCount, `${name}: counter ${r.liveCount}, ${r.chips.length} chips, summary ${r.summaryReps}`);
      assert(r.chips.length === r.session.reps.length && r.chips.every((v, i) => v === r.session.reps[i].verdict), `${name}: chips ${r.chips} differ from the stored reps`);
    }
    if (clip.form_faults.length) {
      // red live (the indicator during the set, with its cue shown and said) and in the stored set
      const red = st.announced.filter((a) => a.verdict === 'bad');
      assert(red.length > 0, `${name} is labelled ${clip.form_faults}: no rep turned red live (${JSON.stringify(st.announced)})`);
      assert(r.chips.includes('bad'), `${name} is labelled ${clip.form_faults}: no stored rep is red (${JSON.stringify(r.chips)})`);
      for (const a of red) {
        assert(a.cue && a.cue.length > 3, `${name}: a red rep had no cue`);
        if (await page.evaluate(() => 'speechSynthesis' in window)) {
          assert(spoken.some((t) => t.includes(a.cue)), `${name}: the cue "${a.cue}" was not spoken (${JSON.stringify(spoken)})`);
        }
      }
    }
    assert(r.session && r.session.exercise === clip.exercise, `${name}: set not stored: ${r.saved}`);
    results.push({ name, clip, r });
    await ctx.close();
    await browser.close();
  }
  // Every set was synced to the signed-in account with its reps (the page syncs after each set).
  const deadline = Date.now() + 20000;
  let items = [];
  while (Date.now() < deadline) {
    items = await serverWorkouts(server, user.access_token);
    if (items.length >= results.length) break;
    await new Promise((res) => setTimeout(res, 250));
  }
  for (const { name, r } of results) {
    const w = await api(server, 'GET', `/v1/workouts?limit=50`, { token: user.access_token });
    const found = (w.json.items || []).find((it) => it.exercise === r.session.exercise &&
      Math.abs(Date.parse(it.started_at) - Date.parse(r.session.started_at)) < 2);
    assert(found, `${name}: the set was not synced (server has ${JSON.stringify(items)})`);
    assert(found.source === 'device', `${name}: synced workout source ${found.source}`);
    const d = await api(server, 'GET', `/v1/workouts/${found.id}`, { token: user.access_token });
    const reps = (d.json.sets || []).reduce((n, s) => n + (s.reps || []).length, 0);
    assert(reps === r.session.reps.length, `${name}: server has ${reps} reps, page ${r.session.reps.length}`);
    if (r.session.hold_ms !== null) {
      assert(d.json.sets[0].hold_ms === r.session.hold_ms, `${name}: server hold ${d.json.sets[0].hold_ms}, page ${r.session.hold_ms}`);
    }
  }
});
