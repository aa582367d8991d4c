#!/usr/bin/env node
// Lambdock registry vs the reference registry (CNCF distribution 2.8, /usr/bin/docker-registry):
// push and pull of one 200 MiB layer, and of 500 blobs of 4 KiB, through the same client
// on one keep-alive connection; peak RSS of each server process.
//
//   npx tsc -b packages/registry && node bench/registry.mjs
//
// Each registry runs as its own process with a fresh temp data dir on an ephemeral port;
// both run side by side, rounds alternate between them, figures are medians (BENCH_ROUNDS, default 3).
// Push = POST /v2/<name>/blobs/uploads/ then PUT <location>?digest= with the body (the
// monolithic upload docker-style clients use for small blobs; one streamed PUT for the
// large one). Pull = GET /v2/<name>/blobs/<digest>, body consumed and discarded.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

if (process.argv[2] === '--serve') {
  // server mode: our registry alone in this process, so its RSS is its own
  const { createRegistry } = await import('@lambdock/registry');
  const { createLogger } = await import('@lambdock/common');
  const reg = await createRegistry({ root: process.argv[3], auth: { mode: 'open-loopback' }, logger: createLogger({ level: 'error' }) });
  const server = await reg.listen(0);
  process.stdout.write(`LISTENING ${server.address().port}\n`);
  process.on('SIGTERM', () => void reg.close().then(() => process.exit(0)));
  await new Promise(() => {});
}

const BIG = 200 * 1024 * 1024;
const SMALL = 4096;
const COUNT = 500;

const agent = new Agent({ keepAlive: true, maxSockets: 1 });
function http(base, method, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const url = new URL(path, base);
    const req = request(
      { agent, host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers: { 'Content-Length': body ? body.length : 0, ...headers } },
      (res) => {
        let n = 0;
        res.on('data', (c) => (n += c.length));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, bytes: n }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function pushBlob(base, name, data, digest) {
  const s = await http(base, 'POST', `/v2/${name}/blobs/uploads/`);
  if (s.status !== 202) throw new Error(`POST ${s.status}`);
  const loc = s.headers.location;
  const sep = loc.includes('?') ? '&' : '?';
  const p = await http(base, 'PUT', `${loc}${sep}digest=${digest}`, data, { 'Content-Type': 'application/octet-stream' });
  if (p.status !== 201) throw new Error(`PUT ${p.status}`);
}

async function pullBlob(base, name, digest, size) {
  const r = await http(base, 'GET', `/v2/${name}/blobs/${digest}`);
  if (r.status !== 200 || r.bytes !== size) throw new Error(`GET ${r.status} ${r.bytes}`);
}

function peakRss(pid) {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function waitForPort(proc, re) {
  return new Promise((resolve, reject) => {
    let out = '';
    const on = (d) => {
      out += d;
      const m = re.exec(out);
      if (m) resolve(m[1]);
    };
    proc.stdout?.setEncoding('utf8').on('data', on);
    proc.once('exit', (c) => reject(new Error(`server exited ${c}: ${out}`)));
  });
}

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

async function startOurs(dir) {
  const proc = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await waitForPort(proc, /LISTENING (\d+)/);
  return { proc, base: `http://127.0.0.1:${port}` };
}

async function startReference(dir) {
  const port = await freePort();
  const cfg = join(dir, 'config.yml');
  writeFileSync(
    cfg,
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n`,
  );
  const proc = spawn('/usr/bin/docker-registry', ['serve', cfg], { stdio: ['ignore', 'ignore', 'ignore'] });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      if ((await http(base, 'GET', '/v2/')).status === 200) return { proc, base };
    } catch {}
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('reference registry did not start');
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const sha = (b) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
// distinct content per round and registry, so every push really transfers and stores
const bigBase = randomBytes(BIG);
function roundData(tag) {
  const big = Buffer.from(bigBase);
  big.write(tag.padEnd(16, '.'), 0);
  const smalls = Array.from({ length: COUNT }, () => randomBytes(SMALL));
  return { big, bigDigest: sha(big), smalls, smallDigests: smalls.map(sha) };
}

async function timed(fn) {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function round(base, tag) {
  const d = roundData(tag);
  const repo = `bench/${tag}`;
  return {
    bigPush: await timed(() => pushBlob(base, repo, d.big, d.bigDigest)),
    bigPull: await timed(() => pullBlob(base, repo, d.bigDigest, BIG)),
    smallPush: await timed(async () => {
      for (let i = 0; i < COUNT; i++) await pushBlob(base, repo, d.smalls[i], d.smallDigests[i]);
    }),
    smallPull: await timed(async () => {
      for (let i = 0; i < COUNT; i++) await pullBlob(base, repo, d.smallDigests[i], SMALL);
    }),
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Both servers run side by side and rounds alternate, so load from anything else on
// the machine hits both alike; each figure is the median of ROUNDS rounds.
const refDir = mkdtempSync(join(tmpdir(), 'bench-registry-reference-'));
const ourDir = mkdtempSync(join(tmpdir(), 'bench-registry-lambdock-'));
const refServer = await startReference(refDir);
const ourServer = await startOurs(ourDir);
const runs = { ref: [], ours: [] };
let refRss = NaN;
let ourRss = NaN;
try {
  for (let i = 0; i < ROUNDS; i++) {
    runs.ref.push(await round(refServer.base, `ref${i}`));
    runs.ours.push(await round(ourServer.base, `ours${i}`));
  }
  refRss = peakRss(refServer.proc.pid);
  ourRss = peakRss(ourServer.proc.pid);
} finally {
  for (const { proc } of [refServer, ourServer]) {
    proc.kill('SIGTERM');
    await new Promise((res) => (proc.exitCode !== null ? res() : proc.once('exit', res)));
  }
  rmSync(refDir, { recursive: true, force: true });
  rmSync(ourDir, { recursive: true, force: true });
}
agent.destroy();
const pick = (rs) => Object.fromEntries(['bigPush', 'bigPull', 'smallPush', 'smallPull'].map((k) => [k, median(rs.map((r) => r[k]))]));
const ref = { ...pick(runs.ref), rssMiB: refRss };
const ours = { ...pick(runs.ours), rssMiB: ourRss };

const rows = [
  ['push 1 × 200 MiB', 'bigPush'],
  ['pull 1 × 200 MiB', 'bigPull'],
  [`push ${COUNT} × 4 KiB`, 'smallPush'],
  [`pull ${COUNT} × 4 KiB`, 'smallPull'],
];
console.log(`command: npx tsc -b packages/registry && node bench/registry.mjs   (BENCH_ROUNDS=${ROUNDS}, median of rounds)`);
console.log(`reference: /usr/bin/docker-registry (distribution 2.8, filesystem storage), same client, one keep-alive connection\n`);
console.log('operation            lambdock   reference   ratio (ref/ours, >1 = we are faster)');
for (const [name, k] of rows) {
  console.log(`${name.padEnd(20)} ${ours[k].toFixed(3).padStart(7)} s  ${ref[k].toFixed(3).padStart(7)} s   ${(ref[k] / ours[k]).toFixed(2)}×`);
}
console.log(`\npeak RSS of the server process over all rounds: lambdock ${ours.rssMiB.toFixed(0)} MiB, reference ${ref.rssMiB.toFixed(0)} MiB (${ROUNDS} × 200 MiB streamed, never buffered)`);
console.log('note: lambdock fsyncs every blob before it becomes visible (crash safety); the reference registry does not.');
