// s3_server.mjs - the S3-compatible server the blob tests run against: s3rver (npm, pinned in
// web/package.json) on a loopback port in a temporary directory, with one bucket, plus a SigV4
// check of our own in front of it.
//
// Why the extra check: s3rver 3.7.1 parses V4 Authorization headers and presigned queries but
// does not verify the signature ("Signature version 4 calculation is unimplemented" in its
// middleware/authentication.js: any well-formed signature of a known access key passes). A test
// server that accepts bad signatures would prove nothing about our signer, so every request is
// re-signed here with Node's crypto (an implementation independent of src/blob/sigv4.c) and
// refused with 403 SignatureDoesNotMatch when it differs. tests/unit/blob/test_blob_s3.c shows
// both facts: plain s3rver takes a forged signature, this server refuses it.
//
// Usage: node s3_server.mjs DIR BUCKET [--no-verify]
// Credentials come from the environment (S3_TEST_ACCESS_KEY, S3_TEST_SECRET_KEY). Prints
// "READY <port>" once listening; exits when stdin closes (the test process went away) or on
// SIGTERM.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const nodeModules = process.env.RR_NODE_MODULES || join(here, '..', '..', 'web', 'node_modules');
const require = createRequire(import.meta.url);
const S3rver = require(join(nodeModules, 's3rver'));
const AWSAccount = require(join(nodeModules, 's3rver', 'lib', 'models', 'account'));

const [dir, bucket, flag] = process.argv.slice(2);
const accessKey = process.env.S3_TEST_ACCESS_KEY;
const secretKey = process.env.S3_TEST_SECRET_KEY;
if (!dir || !bucket || !accessKey || !secretKey) {
  console.error('usage: S3_TEST_ACCESS_KEY=.. S3_TEST_SECRET_KEY=.. node s3_server.mjs DIR BUCKET [--no-verify]');
  process.exit(2);
}
AWSAccount.DUMMY_ACCOUNT.createKeyPair(accessKey, secretKey);
const verify = flag !== '--no-verify';

const enc = (s) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
const dec = (s) => decodeURIComponent(s.replace(/\+/g, '%20'));
const hmac = (key, text) => createHmac('sha256', key).update(text, 'utf8').digest();

function refuse(ctx, code, message) {
  ctx.status = 403;
  ctx.type = 'application/xml';
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
}

// Recompute the signature of the request as S3 does; null when it matches, else the reason.
function check(req) {
  const url = req.url;
  const qpos = url.indexOf('?');
  const rawPath = qpos < 0 ? url : url.slice(0, qpos);
  const rawQuery = qpos < 0 ? '' : url.slice(qpos + 1);
  const params = rawQuery
    ? rawQuery.split('&').map((kv) => {
        const eq = kv.indexOf('=');
        return eq < 0 ? [dec(kv), ''] : [dec(kv.slice(0, eq)), dec(kv.slice(eq + 1))];
      })
    : [];
  const q = Object.fromEntries(params);
  let credential, signedHeaders, given, amzDate, payload;
  const auth = req.headers['authorization'];
  if (auth) {
    const m = /^AWS4-HMAC-SHA256 Credential=([^,]+), ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
    if (!m) return 'malformed authorization header';
    [, credential, signedHeaders, given] = m;
    amzDate = req.headers['x-amz-date'];
    payload = req.headers['x-amz-content-sha256'];
  } else if (q['X-Amz-Algorithm']) {
    credential = q['X-Amz-Credential'];
    signedHeaders = q['X-Amz-SignedHeaders'];
    given = q['X-Amz-Signature'];
    amzDate = q['X-Amz-Date'];
    payload = 'UNSIGNED-PAYLOAD';
  } else {
    return 'anonymous request';
  }
  if (!credential || !signedHeaders || !given || !amzDate || !payload) return 'missing signing fields';
  const [key, date, region, service, term] = credential.split('/');
  if (key !== accessKey) return 'unknown access key';
  if (date !== amzDate.slice(0, 8) || service !== 's3' || term !== 'aws4_request') return 'bad scope';
  const names = signedHeaders.split(';');
  if (!names.includes('host')) return 'host not signed';
  for (const h of Object.keys(req.headers))
    if (h.startsWith('x-amz-') && !names.includes(h)) return `unsigned ${h}`;
  const canonicalUri = rawPath.split('/').map((seg) => enc(dec(seg))).join('/');
  const canonicalQuery = params
    .filter(([k]) => k !== 'X-Amz-Signature')
    .map(([k, v]) => [enc(k), enc(v)])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalHeaders = names
    .map((n) => `${n}:${String(req.headers[n] ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const creq = [req.method, canonicalUri, canonicalQuery, canonicalHeaders, signedHeaders, payload].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const sts = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(creq, 'utf8').digest('hex')].join('\n');
  let k = hmac('AWS4' + secretKey, date);
  k = hmac(k, region);
  k = hmac(k, service);
  k = hmac(k, 'aws4_request');
  const want = hmac(k, sts);
  const got = Buffer.from(given, 'hex');
  if (got.length !== want.length || !timingSafeEqual(got, want)) return 'signature mismatch';
  return null;
}

const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory: dir,
  configureBuckets: [{ name: bucket, configs: [] }],
});
// Fault injection for the retry tests: S3_TEST_FAIL_EVERY=N answers every Nth request 503
// SlowDown, S3_TEST_RESET_EVERY=M drops the connection of every Mth without an answer.
const failEvery = Number(process.env.S3_TEST_FAIL_EVERY || 0);
const resetEvery = Number(process.env.S3_TEST_RESET_EVERY || 0);
let served = 0;
if (failEvery > 0 || resetEvery > 0) {
  server.middleware.unshift(async (ctx, next) => {
    served++;
    if (resetEvery > 0 && served % resetEvery === 0) {
      ctx.req.socket.destroy();
      ctx.respond = false;
      return;
    }
    if (failEvery > 0 && served % failEvery === 0) {
      ctx.status = 503;
      ctx.type = 'application/xml';
      ctx.body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>injected</Message></Error>';
      return;
    }
    await next();
  });
}
if (verify) {
  server.middleware.splice(failEvery > 0 || resetEvery > 0 ? 1 : 0, 0, async (ctx, next) => {
    const why = check(ctx.req);
    if (why) {
      if (process.env.S3_TEST_DEBUG) console.error(`s3_server: refused ${ctx.method} ${ctx.path}: ${why}`);
      refuse(ctx, why === 'unknown access key' ? 'InvalidAccessKeyId' : 'SignatureDoesNotMatch', why);
      return;
    }
    await next();
  });
}
const { port } = await server.run();
process.stdout.write(`READY ${port}\n`);
const stop = () => server.close(() => process.exit(0));
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
