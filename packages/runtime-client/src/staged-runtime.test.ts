// The client as it ships in images: staged into a directory of its own (as /var/runtime)
// and started through the bootstrap script, exactly as /lambda-entrypoint.sh does.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { loadManifest, runFixtureCase } from './testing/fixtures.js';

const stageScript = fileURLToPath(new URL('../scripts/stage-runtime.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'lambdock-var-runtime-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('staged /var/runtime', () => {
  test('holds the modules, an ES-module package.json and an executable bootstrap; no tests', () => {
    execFileSync(process.execPath, [stageScript, dir], { stdio: 'ignore' });
    for (const f of ['index.js', 'runtime.js', 'package.json', 'bootstrap']) assert.ok(existsSync(join(dir, f)), f);
    assert.equal(existsSync(join(dir, 'fixtures.test.js')), false);
    assert.equal(existsSync(join(dir, 'testing')), false);
  });

  const manifest = loadManifest();
  for (const name of ['async CommonJS handler echoes its event', 'HttpResponseStream prelude', 'module that does not exist', 'context carries every documented field']) {
    test(`bootstrap runs: ${name}`, async () => {
      const c = manifest.cases.find((x) => x.name === name);
      assert.ok(c, name);
      await runFixtureCase(c, manifest.env, { node: '/bin/sh', args: [join(dir, 'bootstrap')], env: { LAMBDA_RUNTIME_DIR: dir } });
    });
  }
});
