import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { RuncRuntime } from '@lambdock/sandbox';
import { createPlatform } from '../platform.js';
import { BUSYBOX, ImageFactory, REGISTRY_BIN, freePort, shHandler, startRegistry } from '../testing/fixtures.js';

// kill -9 of a platform with a running environment: after a restart on the same home the
// function, its code and its logs are all there, invokes work, and the dead run's sandbox is gone.
const probe = await new RuncRuntime({ stateDir: mkdtempSync(join(tmpdir(), 'lambdock-restart-probe-')) }).check();
const skip = !probe.ok ? probe.reason : !existsSync(REGISTRY_BIN) ? 'docker-registry not installed' : !BUSYBOX ? 'static busybox not installed' : false;

test('a platform killed with SIGKILL restarts with its functions, logs and a clean sandbox state', { skip }, async () => {
  const home = mkdtempSync(join(tmpdir(), 'lambdock-restart-'));
  const registry = await startRegistry();
  const images = new ImageFactory();
  try {
    const image = `${registry.host}/fn/restart:v1`;
    await images.push(image, { 'var/task/function.sh': shHandler('v1') });
    const port = await freePort();
    const platformModule = fileURLToPath(new URL('../platform.js', import.meta.url));
    const sandboxModule = import.meta.resolve('@lambdock/sandbox');
    const script = `
      const { createPlatform } = await import(${JSON.stringify(platformModule)});
      const { RuncRuntime } = await import(${JSON.stringify(sandboxModule)});
      const quiet = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };
      const p = await createPlatform({ home: ${JSON.stringify(home)}, sandbox: new RuncRuntime({ stateDir: ${JSON.stringify(join(home, 'sandbox'))}, runtimeApiPort: ${port} }), runtimeApiPort: ${port}, logger: quiet });
      const f = p.services.functions;
      await f.create({ functionName: 'survivor', imageUri: ${JSON.stringify(image)}, role: 'arn:aws:iam::123456789012:role/r' });
      await f.settled();
      const rec = await f.get({ name: 'survivor' });
      if (rec.state !== 'Active') { process.stdout.write('failed ' + rec.stateReason + '\\n'); process.exit(2); }
      const out = await p.services.invoke.invoke({ ref: { name: 'survivor' }, invocationType: 'RequestResponse', logType: 'None', payload: Buffer.from('{"before":1}'), requestId: 'req-before-kill' });
      await p.services.logs.flush();
      process.stdout.write('ready ' + out.payload.toString() + '\\n');
      setInterval(() => {}, 1000);
    `;
    // A file, not `-e`: the snapshotter's worker threads inherit execArgv (and `--input-type` breaks them).
    const file = join(home, 'child.mjs');
    writeFileSync(file, script);
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'inherit'] });
    const first = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('\n')) resolve(out);
      });
      child.once('exit', (code) => reject(new Error(`child exited ${code}: ${out}`)));
    });
    assert.match(first, /^ready \{"echo":\{"before":1\}/);
    const oldStream = (JSON.parse(first.slice('ready '.length)) as { stream: string }).stream;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;

    const sandbox = new RuncRuntime({ stateDir: join(home, 'sandbox'), runtimeApiPort: port });
    const quiet = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };
    const p = await createPlatform({ home, sandbox, runtimeApiPort: port, logger: quiet });
    try {
      const server = await p.listen(0);
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const cfg = (await (await fetch(`${base}/2015-03-31/functions/survivor/configuration`)).json()) as Record<string, unknown>;
      assert.equal(cfg['State'], 'Active');
      const r = await fetch(`${base}/2015-03-31/functions/survivor/invocations`, { method: 'POST', body: '{"after":1}' });
      assert.equal(r.status, 200);
      const body = (await r.json()) as { echo: unknown; stream: string };
      assert.deepEqual(body.echo, { after: 1 });
      assert.notEqual(body.stream, oldStream, 'a new environment after the restart');
      const events = await p.services.logs.getEvents('/aws/lambda/survivor', oldStream, { startFromHead: true });
      assert.ok(events.events.some((e) => e.message.startsWith('START RequestId: req-before-kill')), 'logs written before the kill are kept');
      // The killed run's sandbox (its mounts) was cleaned up when the sandbox runtime started again.
      const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.includes(join(home, 'sandbox')));
      assert.equal(mounts.length, 1, `only the new environment's root is mounted:\n${mounts.join('\n')}`);
    } finally {
      await p.close();
      await sandbox.close();
    }
  } finally {
    images.close();
    await registry.stop();
    rmSync(home, { recursive: true, force: true });
  }
});
