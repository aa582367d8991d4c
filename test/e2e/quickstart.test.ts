import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, freePort, upUnavailable } from '../support/lambdock-up.js';

// The README's first command: `npm start` brings the platform up and answers the AWS CLI's first call.
test('npm start serves the Lambda API, the registry and the console', { skip: upUnavailable(), timeout: 180_000 }, async () => {
  const [api, reg] = [await freePort(), await freePort()];
  const home = mkdtempSync(join(tmpdir(), 'lambdock-start-'));
  const child = spawn('npm', ['start', '--', '--port', String(api), '--registry-port', String(reg), '--runtime-api-port', String(20000 + Math.floor(Math.random() * 9000))], {
    cwd: REPO,
    env: { ...process.env, LAMBDOCK_HOME: home, LAMBDOCK_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  try {
    await new Promise<void>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`npm start did not come up:\n${out}`)), 150_000);
      // the summary ends with the credentials line: wait for all of it
      child.stdout!.on('data', () => /credentials .*\n/.test(out) && (clearTimeout(timer), res()));
      child.once('exit', (code) => (clearTimeout(timer), rej(new Error(`npm start exited with ${code}:\n${out}`))));
    });
    assert.match(out, new RegExp(`API \\(Lambda, ECR, Logs\\)\\s+http://localhost:${api}`));
    assert.match(out, new RegExp(`registry\\s+localhost:${reg}`));
    const list = await fetch(`http://localhost:${api}/2015-03-31/functions/`, {
      headers: { authorization: 'AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=' + '0'.repeat(64), 'x-amz-date': new Date().toISOString().replace(/[:-]|\.\d{3}/g, '') },
    });
    assert.equal(list.status, 200);
    assert.deepEqual(((await list.json()) as { Functions: unknown[] }).Functions, []);
    const v2 = await fetch(`http://localhost:${reg}/v2/`);
    assert.equal(v2.status, 200);
    assert.equal(v2.headers.get('docker-distribution-api-version'), 'registry/2.0');
    const page = await fetch(`http://localhost:${api}/`);
    assert.match(await page.text(), /<title>Lambdock console<\/title>/);
  } finally {
    if (child.pid) process.kill(-child.pid, 'SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
    rmSync(home, { recursive: true, force: true, maxRetries: 3 });
  }
});
