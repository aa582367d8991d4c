// kill -9 in the middle of a large chunked upload: after a restart the registry serves
// everything committed, holds no partial blob, and the upload session resumes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const child = fileURLToPath(new URL('../support/registry-child.js', import.meta.url));
const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function start(root: string): Promise<{ proc: ChildProcess; base: string }> {
  const proc = spawn(process.execPath, [child, root], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /LISTENING (\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    proc.once('exit', (code) => reject(new Error(`registry exited with ${code}`)));
  });
  return { proc, base: `http://127.0.0.1:${port}` };
}

async function stopped(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  await new Promise((r) => proc.once('exit', r));
}

test('kill -9 during a chunked upload: committed data intact, no partial blob, session resumes', async () => {
  const root = await mkdtemp(join(tmpdir(), 'lambdock-crash-'));
  let proc: ChildProcess | undefined;
  try {
    const first = await start(root);
    proc = first.proc;
    // something committed before the crash
    const committed = randomBytes(1 << 20);
    const c = await fetch(`${first.base}/v2/crash/app/blobs/uploads/?digest=${sha256(committed)}`, { method: 'POST', body: committed });
    assert.equal(c.status, 201);

    const CHUNK = 8 << 20;
    const data = randomBytes(6 * CHUNK);
    const session = await fetch(`${first.base}/v2/crash/app/blobs/uploads/`, { method: 'POST' });
    const location = session.headers.get('location')!;
    for (let i = 0; i < 3; i++) {
      const res = await fetch(first.base + location, {
        method: 'PATCH',
        body: data.subarray(i * CHUNK, (i + 1) * CHUNK),
        headers: { 'Content-Range': `${i * CHUNK}-${(i + 1) * CHUNK - 1}` },
      });
      assert.equal(res.status, 202);
    }
    // the fourth chunk: half of it is on the wire when the registry is killed
    await new Promise<void>((resolve) => {
      const url = new URL(first.base + location);
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'PATCH', headers: { 'Content-Length': CHUNK, 'Content-Range': `${3 * CHUNK}-${4 * CHUNK - 1}` } });
      req.on('error', () => resolve());
      req.write(data.subarray(3 * CHUNK, 3 * CHUNK + CHUNK / 2), () => {
        setTimeout(() => {
          proc!.kill('SIGKILL');
          resolve();
        }, 200);
      });
    });
    await stopped(proc);

    // no blob in the store that does not hash to its name
    const blobs = join(root, 'content', 'blobs', 'sha256');
    for (const name of await readdir(blobs)) {
      assert.equal(sha256(await readFile(join(blobs, name))), `sha256:${name}`);
    }

    const second = await start(root);
    proc = second.proc;
    const got = await fetch(`${second.base}/v2/crash/app/blobs/${sha256(committed)}`);
    assert.deepEqual(Buffer.from(await got.arrayBuffer()), committed);
    assert.equal((await fetch(`${second.base}/v2/crash/app/blobs/${sha256(data)}`)).status, 404);

    const status = await fetch(second.base + location);
    assert.equal(status.status, 204);
    const offset = Number(/^0-(\d+)$/.exec(status.headers.get('range')!)![1]) + 1;
    assert.ok(offset >= 3 * CHUNK && offset <= 4 * CHUNK, `resume offset ${offset}`);
    const resumed = await fetch(second.base + status.headers.get('location')!, {
      method: 'PATCH',
      body: data.subarray(offset),
      headers: { 'Content-Range': `${offset}-${data.length - 1}` },
    });
    assert.equal(resumed.status, 202);
    const done = await fetch(`${second.base}${resumed.headers.get('location')}?digest=${sha256(data)}`, { method: 'PUT' });
    assert.equal(done.status, 201);
    const whole = await fetch(`${second.base}/v2/crash/app/blobs/${sha256(data)}`);
    assert.equal(sha256(Buffer.from(await whole.arrayBuffer())), sha256(data));
    proc.kill('SIGTERM');
    await stopped(proc);
  } finally {
    if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await rm(root, { recursive: true, force: true });
  }
});
