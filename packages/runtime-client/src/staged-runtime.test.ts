// The client as it ships in images: staged into a directory of its own (as /var/runtime)
// and started through the bootstrap script, exactly as /lambda-entrypoint.sh does.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { FIXTURES_DIR, loadManifest, runFixtureCase, type FixtureCase } from './testing/fixtures.js';

const stageScript = fileURLToPath(new URL('../scripts/stage-runtime.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'lambdock-var-runtime-'));
before(() => execFileSync(process.execPath, [stageScript, dir], { stdio: 'ignore' }));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('staged /var/runtime', () => {
  test('holds the modules, an ES-module package.json and an executable bootstrap; no tests', () => {
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

  test('bootstrap: NODE_PATH for layers, heap sized to memory, exec wrapper', async () => {
    const wrapper = join(dir, 'wrapper.sh');
    writeFileSync(wrapper, '#!/bin/sh\nexport WRAPPED=yes\nexec "$@"\n');
    chmodSync(wrapper, 0o755);
    const c: FixtureCase = {
      name: 'bootstrap environment',
      root: 'cjs',
      handler: 'index.processInfo',
      env: { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x', AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256', AWS_LAMBDA_EXEC_WRAPPER: wrapper },
      invokes: [
        {
          event: { names: ['NODE_PATH', 'WRAPPED'] },
          expect: {
            response: {
              env: {
                NODE_PATH: `/opt/nodejs/node22/node_modules:/opt/nodejs/node_modules:${dir}/node_modules:${dir}:${join(FIXTURES_DIR, 'cjs')}`,
                WRAPPED: 'yes',
              },
              execArgv: ['--max-old-space-size=230'],
            },
          },
        },
      ],
    };
    await runFixtureCase(c, manifest.env, { node: '/bin/sh', args: [join(dir, 'bootstrap')], env: { LAMBDA_RUNTIME_DIR: dir } });
  });
});

