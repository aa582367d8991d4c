/// <reference lib="dom" />
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, REPO, startUp, upUnavailable, type Up } from '../support/lambdock-up.js';

// The daily loop through `lambdock` commands alone, then the console in headless Chromium.
const skip = upUnavailable();
let up: Up | undefined;
const fnDir = mkdtempSync(join(tmpdir(), 'lambdock-cli-fn-'));
const NAME = 'cli-journey';

const lambdock = (...args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: up!.env, timeout: 300_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

before(async () => {
  if (skip) return;
  up = await startUp();
});
after(async () => {
  await up?.stop();
});

test('CLI journey: directory with a handler → deployed → invoked → logs → updated', { skip, timeout: 600_000 }, () => {
  writeFileSync(join(fnDir, 'package.json'), JSON.stringify({ name: NAME, version: '1.0.0', dependencies: { 'is-odd': '3.0.1' } }));
  writeFileSync(join(fnDir, 'index.js'), `const isOdd = require('is-odd');\nexports.handler = async (event) => { console.log('checking', event.n); return { n: event.n, odd: isOdd(event.n), v: 1 }; };\n`);

  const deployed = lambdock('deploy', fnDir, '--name', NAME);
  assert.equal(deployed.status, 0, deployed.stderr + deployed.stdout);
  assert.match(deployed.stdout, new RegExp(`${NAME} is Active`));

  const inv = lambdock('invoke', NAME, '--payload', '{"n":3}');
  assert.equal(inv.status, 0, inv.stderr);
  assert.deepEqual(JSON.parse(inv.stdout), { n: 3, odd: true, v: 1 });
  assert.match(inv.stderr, /^START RequestId: [0-9a-f-]{36} Version: \$LATEST$/m);
  assert.match(inv.stderr, /checking 3/);
  assert.match(inv.stderr, /^REPORT RequestId: .*\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB/m);

  const requestId = /^START RequestId: ([0-9a-f-]{36})/m.exec(inv.stderr)![1]!;
  const logs = lambdock('logs', NAME, '--since', '10m');
  assert.equal(logs.status, 0, logs.stderr);
  for (const line of [`START RequestId: ${requestId} Version: $LATEST`, `END RequestId: ${requestId}`, `REPORT RequestId: ${requestId}\tDuration:`]) {
    assert.ok(logs.stdout.includes(line), `lambdock logs shows ${JSON.stringify(line)}:\n${logs.stdout}`);
  }

  const ls = lambdock('ls', '--json');
  assert.equal(ls.status, 0, ls.stderr);
  const fn = (JSON.parse(ls.stdout) as { FunctionName: string; State: string }[]).find((f) => f.FunctionName === NAME);
  assert.equal(fn?.State, 'Active');

  writeFileSync(join(fnDir, 'index.js'), `const isOdd = require('is-odd');\nexports.handler = async (event) => ({ n: event.n, odd: isOdd(event.n), v: 2 });\n`);
  const redeployed = lambdock('deploy', fnDir, '--name', NAME, '--memory', '256');
  assert.equal(redeployed.status, 0, redeployed.stderr + redeployed.stdout);
  const inv2 = lambdock('invoke', NAME, '--payload', '{"n":4}', '--json');
  assert.equal(inv2.status, 0, inv2.stderr);
  const r2 = JSON.parse(inv2.stdout) as { payload: string; log: string };
  assert.deepEqual(JSON.parse(r2.payload), { n: 4, odd: false, v: 2 });
  assert.match(r2.log, /Memory Size: 256 MB/);

  const bad = lambdock('invoke', 'no-such-function');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^error: Function not found: arn:aws:lambda:us-east-1:123456789012:function:no-such-function\nhint: list functions with `lambdock ls`\n$/);
});

test('console: list, invoke from the page with result and logs, charts update, registry and costs pages', { skip: skip ?? (!existsSync('/usr/bin/chromium') && 'chromium is not installed'), timeout: 300_000 }, async () => {
  const { chromium } = await import('playwright-core');
  const shots = join(REPO, 'test-artifacts', 'console');
  mkdirSync(shots, { recursive: true });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await page.goto(`${up!.endpoint}/`);
    const row = page.locator(`tr[data-function="${NAME}"]`);
    await row.waitFor({ timeout: 15_000 });
    assert.match(await row.innerText(), /Active/);
    await page.screenshot({ path: join(shots, 'functions.png'), fullPage: true });

    await row.locator('a').click();
    await page.locator('button[data-tab="invoke"]').click();
    await page.locator('[data-testid=payload]').fill('{"n": 7}');
    await page.locator('[data-testid=invoke]').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=result]')?.textContent?.includes('"odd"'), undefined, { timeout: 30_000 });
    assert.deepEqual(JSON.parse(await page.locator('[data-testid=result]').innerText()), { n: 7, odd: true, v: 2 });
    assert.match(await page.locator('[data-testid=log]').innerText(), /REPORT RequestId: [0-9a-f-]{36}\tDuration/);
    await page.screenshot({ path: join(shots, 'invoke.png'), fullPage: true });

    await page.locator('button[data-tab="metrics"]').click();
    const points = async () => Number((await page.locator('[data-testid=c-invocations]').getAttribute('data-points')) ?? 0);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=c-invocations]')?.getAttribute('data-points') ?? 0) > 0, undefined, { timeout: 15_000 });
    const before = await points();
    for (let i = 0; i < 3; i++) assert.equal(lambdock('invoke', NAME, '--payload', `{"n":${i}}`, '-q').status, 0);
    await page.waitForFunction((b) => Number(document.querySelector('[data-testid=c-invocations]')?.getAttribute('data-points') ?? 0) >= b + 3, before, { timeout: 15_000 });
    await page.screenshot({ path: join(shots, 'metrics.png'), fullPage: true });

    await page.goto(`${up!.endpoint}/#/registry`);
    await page.locator('[data-testid=repo]').first().waitFor({ timeout: 15_000 });
    assert.match(await page.locator('main').innerText(), new RegExp(`${NAME}[\\s\\S]*latest`, 'i'));
    await page.screenshot({ path: join(shots, 'registry.png'), fullPage: true });

    await page.goto(`${up!.endpoint}/#/costs`);
    await page.locator('[data-testid=costs] tbody tr').first().waitFor({ timeout: 15_000 });
    assert.match(await page.locator('[data-testid=costs]').innerText(), new RegExp(NAME));
    await page.screenshot({ path: join(shots, 'costs.png'), fullPage: true });

    const prom = await (await fetch(`${up!.endpoint}/metrics`)).text();
    assert.match(prom, new RegExp(`^lambdock_invocations_total\\{function="${NAME}"\\} ([5-9]|\\d{2,})$`, 'm'));
  } finally {
    await browser.close();
  }
});

test('rm removes the function', { skip, timeout: 60_000 }, () => {
  const r = lambdock('rm', NAME);
  assert.equal(r.status, 0, r.stderr);
  const ls = lambdock('ls', '--json');
  assert.ok(!(JSON.parse(ls.stdout) as { FunctionName: string }[]).some((f) => f.FunctionName === NAME));
});
