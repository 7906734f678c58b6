// harness.mjs - shared helpers for the Node and browser tests (tests/web, tests/browser).
//
// CTest sets: REPRIGHT_BIN (the binary), RR_SHARED_DIR (../shared), RR_WEB_DIR (build/web, the
// built app), RR_NODE_MODULES (web/node_modules), RR_ARTIFACTS (build/test-artifacts: screenshots,
// measurements, converted clips). A test is a plain ES module run by node: it exits 0 (pass),
// 1 (an assertion or error: the stack is printed) or 77 (skipped, after a "SKIP: why" line). A
// test that skipped only a part still ends with 77 unless it failed: a skip is never a pass.
//
//   skip(why)                     print SKIP and exit 77
//   skipPart(why)                 print SKIP and go on; run() then exits 77 instead of 0
//   sharedDir() / requireShared() ../shared or null / or skip
//   startServer({env, args})      a real `repright serve --port 0` on a temp data dir; returns
//                                 {url, dataDir, proc, logPath, stop(), logLines()}
//   launchBrowser({fakeCamera})   Debian chromium via playwright-core with the flags this machine
//                                 needs (swiftshader WebGL; fake camera from a .y4m file)
//   clipToY4m(clip, opts)         convert a clip to the .y4m Chromium's fake camera plays (cached)
//   screenshot(page, name)        saved under RR_ARTIFACTS/screenshots/<name>.png
//   recordMeasurement(name, obj)  one JSON line in RR_ARTIFACTS/measurements.jsonl and on stdout
//   api(server, method, path, {token, json, headers, body})  fetch wrapper -> {status, json, headers}
//   registerAndLogin(server)      a fresh user -> {email, password, access_token, refresh_token, user_id}
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

export const ENV = {
  bin: process.env.REPRIGHT_BIN || '',
  shared: process.env.RR_SHARED_DIR || '',
  webDir: process.env.RR_WEB_DIR || '',
  nodeModules: process.env.RR_NODE_MODULES || '',
  artifacts: process.env.RR_ARTIFACTS || path.join(os.tmpdir(), 'repright-test-artifacts'),
};

export function skip(why) {
  console.log(`SKIP: ${why}`);
  process.exit(77);
}

let skippedPart = false;
export function skipPart(why) {
  console.log(`SKIP: ${why}`);
  skippedPart = true;
}

export function sharedDir() {
  const d = ENV.shared;
  return d && fs.existsSync(path.join(d, 'media', 'ground_truth.json')) ? d : null;
}

export function requireShared() {
  const d = sharedDir();
  if (!d) skip(`../shared/media is absent (RR_SHARED_DIR=${ENV.shared || 'unset'}): real-clip test not run`);
  return d;
}

export function groundTruth() {
  const d = requireShared();
  return JSON.parse(fs.readFileSync(path.join(d, 'media', 'ground_truth.json'), 'utf8'));
}

function mkArtifacts(sub) {
  const d = path.join(ENV.artifacts, sub);
  fs.mkdirSync(d, { recursive: true });
  return d;
}

export function recordMeasurement(name, obj) {
  const line = JSON.stringify({ name, ...obj });
  console.log(`MEASURE ${line}`);
  fs.appendFileSync(path.join(mkArtifacts('.'), 'measurements.jsonl'), line + '\n');
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- server ---------------------------------------------------------------------------------
const servers = new Set();

export async function startServer({ env = {}, args = [], timeoutMs = 30000 } = {}) {
  if (!ENV.bin || !fs.existsSync(ENV.bin)) skip('REPRIGHT_BIN is not set to the repright binary');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rr-web-'));
  const logPath = path.join(root, 'server.log');
  const childEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('REPRIGHT_') || k === 'REPRIGHT_MODEL_DIR') childEnv[k] = v;
  }
  // Relaxed login throttling: a browser suite logs in several times from 127.0.0.1.
  Object.assign(childEnv, { REPRIGHT_LOGIN_IP_LIMIT: '1000', REPRIGHT_LOGIN_ACCOUNT_LIMIT: '1000' });
  // suites not about plans run on the unlimited plan; the plan page test passes its own
  childEnv.REPRIGHT_DEFAULT_PLAN = 'gym';
  if (ENV.webDir) childEnv.REPRIGHT_WEB_DIR = ENV.webDir;
  Object.assign(childEnv, env);
  const logFd = fs.openSync(logPath, 'w');
  const proc = spawn(ENV.bin, ['serve', '--port', '0', '--data-dir', path.join(root, 'data'), ...args],
    { env: childEnv, stdio: ['ignore', 'ignore', logFd] });
  fs.closeSync(logFd);
  let exited = null;
  proc.on('exit', (code, sig) => { exited = { code, sig }; });
  const deadline = Date.now() + timeoutMs;
  let port = null;
  while (port === null) {
    if (exited) throw new Error(`repright serve exited ${JSON.stringify(exited)}:\n${fs.readFileSync(logPath, 'utf8')}`);
    if (Date.now() > deadline) throw new Error(`repright serve did not listen within ${timeoutMs} ms`);
    for (const line of fs.readFileSync(logPath, 'utf8').split('\n')) {
      try {
        const ev = JSON.parse(line);
        if (ev.msg === 'listening' && ev.port) port = ev.port;
      } catch { /* not JSON */ }
    }
    if (port === null) await sleep(50);
  }
  const server = {
    url: `http://127.0.0.1:${port}`, port, root, dataDir: path.join(root, 'data'), proc, logPath,
    logLines() {
      return fs.readFileSync(logPath, 'utf8').split('\n').flatMap((l) => { try { return [JSON.parse(l)]; } catch { return []; } });
    },
    async stop() {
      servers.delete(server);
      if (exited) return exited.code;
      proc.kill('SIGTERM');
      const until = Date.now() + 30000;
      while (!exited && Date.now() < until) await sleep(50);
      if (!exited) { proc.kill('SIGKILL'); while (!exited) await sleep(50); }
      return exited.code;
    },
  };
  servers.add(server);
  return server;
}

export async function api(server, method, p, { token, json, headers = {}, body } = {}) {
  const h = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  if (json !== undefined) { h['Content-Type'] = 'application/json'; body = JSON.stringify(json); }
  const r = await fetch(server.url + p, { method, headers: h, body });
  const text = await r.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  return { status: r.status, json: parsed, text, headers: r.headers };
}

let userSeq = 0;
export async function registerAndLogin(server) {
  const email = `user${process.pid}-${Date.now()}-${userSeq++}@example.com`;
  const password = 'correct horse battery staple';
  const reg = await api(server, 'POST', '/v1/auth/register', { json: { email, password } });
  if (reg.status !== 201) throw new Error(`register: ${reg.status} ${reg.text}`);
  const login = await api(server, 'POST', '/v1/auth/login', { json: { email, password } });
  if (login.status !== 200) throw new Error(`login: ${login.status} ${login.text}`);
  return { email, password, ...login.json };
}

// ---- browser --------------------------------------------------------------------------------
const browsers = new Set();

export function chromiumPath() {
  for (const p of [process.env.RR_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (p && fs.existsSync(p)) return p;
  }
  return null;
}

export async function launchBrowser({ fakeCamera = null, extraArgs = [] } = {}) {
  const exe = chromiumPath();
  if (!exe) skip('no chromium (Debian package chromium; scripts/setup.sh --test installs it)');
  const pwPath = path.join(ENV.nodeModules, 'playwright-core');
  if (!ENV.nodeModules || !fs.existsSync(pwPath)) skip(`playwright-core missing in ${ENV.nodeModules} (scripts/setup.sh installs it)`);
  const require = createRequire(import.meta.url);
  const { chromium } = require(pwPath);
  const args = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--autoplay-policy=no-user-gesture-required',
    ...extraArgs];
  if (fakeCamera) {
    args.push('--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
      `--use-file-for-fake-video-capture=${fakeCamera}`);
  }
  const browser = await chromium.launch({ executablePath: exe, headless: true, args });
  browsers.add(browser);
  return browser;
}

export async function screenshot(page, name) {
  const file = path.join(mkArtifacts('screenshots'), `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot: ${file}`);
  return file;
}

// A clip as the fake camera's .y4m (raw frames: keep it small). Cached by name and options.
export function clipToY4m(clip, { width = 480, fps = 30 } = {}) {
  const out = path.join(mkArtifacts('y4m'), `${path.basename(clip).replace(/\.[^.]+$/, '')}-${width}-${fps}.y4m`);
  if (!fs.existsSync(out)) {
    const tmp = `${out}.part`;
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', clip, '-vf', `scale=${width}:-2,fps=${fps}`,
      '-pix_fmt', 'yuv420p', '-f', 'yuv4mpegpipe', tmp]);
    fs.renameSync(tmp, out);
  }
  return out;
}

export function clipDuration(clip) {
  const s = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', clip]).toString();
  return parseFloat(s);
}

// ---- clean-up: every server and browser a test started is stopped, also on failure ----------
export async function cleanup() {
  for (const b of browsers) { try { await b.close(); } catch { /* already gone */ } }
  browsers.clear();
  for (const s of [...servers]) await s.stop();
}

// Run a test body: exit 0 on success, 1 with the error on failure; always clean up.
export async function run(name, body) {
  const t0 = Date.now();
  try {
    await body();
    await cleanup();
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    if (skippedPart) {
      console.log(`SKIPPED PART OF ${name} (${secs} s): the rest passed`);
      process.exit(77);
    }
    console.log(`PASS ${name} (${secs} s)`);
    process.exit(0);
  } catch (e) {
    console.error(`FAIL ${name}: ${e && e.stack ? e.stack : e}`);
    for (const s of servers) {
      try { console.error(`--- server log tail ${s.logPath}\n${fs.readFileSync(s.logPath, 'utf8').split('\n').slice(-30).join('\n')}`); } catch { /* none */ }
    }
    await cleanup();
    process.exit(1);
  }
}
