// test_live_nocamera.mjs - the live page without a usable camera: Start shows a clear message
// (no camera / access denied) instead of failing silently, the page stays usable (Start enabled
// again), and nothing is stored. Also checks the page's PWA metadata (manifest + icons served).
import { run, startServer, launchBrowser, screenshot, api } from './lib/harness.mjs';
import { collectConsole, openLive, waitState } from './lib/live_helpers.mjs';

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

await run('browser/test_live_nocamera', async () => {
  const server = await startServer();
  const man = await api(server, 'GET', '/manifest.webmanifest');
  assert(man.status === 200 && man.json && man.json.start_url === '/' && man.json.display === 'standalone', `manifest: ${man.status} ${man.text.slice(0, 200)}`);
  for (const size of ['192x192', '512x512']) {
    const icon = man.json.icons.find((i) => i.sizes === size);
    assert(icon, `no ${size} icon`);
    const r = await fetch(server.url + icon.src);
    const buf = Buffer.from(await r.arrayBuffer());
    const [w, h] = [buf.readUInt32BE(16), buf.readUInt32BE(20)];
    assert(r.status === 200 && buf.subarray(1, 4).toString() === 'PNG' && `${w}x${h}` === size, `${icon.src}: ${r.status} ${w}x${h}`);
  }

  const browser = await launchBrowser(); // no fake camera device
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await ctx.newPage();
  const lines = collectConsole(page);
  await openLive(page, server, lines);
  // the exercise menu reads as words a person uses, not the API's identifiers
  const labels = await page.$$eval('[data-testid=exercise] option', (os) => os.map((o) => o.textContent));
  assert(labels.length > 5 && labels.includes('Squat') && labels.includes('Biceps curl'), `exercise menu: ${labels.join(' | ')}`);
  assert(labels.every((l) => !/_/.test(l) && /^[A-Z]/.test(l)), `raw exercise names in the menu: ${labels.join(' | ')}`);
  await page.click('[data-testid=start]');
  await page.waitForSelector('[data-testid=error]:not([hidden])', { timeout: 30000 });
  const err = await page.textContent('[data-testid=error]');
  assert(/denied|No camera was found|in use|could not be opened|cannot use a camera/.test(err), `unclear camera error: ${err}`);
  assert((await waitState(page, ['ready'], 10000)) === 'ready', 'page not ready again after the camera error');
  assert(await page.isEnabled('[data-testid=start]'), 'Start stays disabled after the camera error');
  await screenshot(page, 'live-no-camera-phone');
  const stored = await page.evaluate(async () => (await import('/js/live-store.js')).listSessions());
  assert(stored.length === 0, `a session was stored without a camera: ${stored.length}`);
  console.log(`camera error shown: ${err}`);
});
