// The client as it ships in images: staged into a directory of its own (as /var/runtime)
// as one bundled CommonJS file, and started through the bootstrap script, exactly as
// /lambda-entrypoint.sh does. Every handler fixture runs against it: the bundle is what users get.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { NODE_MAJOR } from './handler-loader.js';
import { appliesToNode, FIXTURES_DIR, loadManifest, runFixtureCase, type FixtureCase } from './testing/fixtures.js';

const stageScript = fileURLToPath(new URL('../scripts/stage-runtime.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'lambdock-var-runtime-'));
before(() => execFileSync(process.execPath, [stageScript, dir], { stdio: 'ignore' }));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('staged /var/runtime', () => {
  test('holds exactly one self-contained CommonJS index.js, its package.json and an executable bootstrap', () => {
    assert.deepEqual(readdirSync(dir).sort(), ['bootstrap', 'index.js', 'package.json']);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')), { type: 'commonjs' });
    const code = readFileSync(join(dir, 'index.js'), 'utf8');
    // Only Node built-ins are required: nothing outside /var/runtime is needed at run time.
    const required = [...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]!);
    assert.ok(required.length > 0);
    for (const r of required) assert.match(r, /^node:/, `bundle requires ${r}`);
    assert.equal(statSync(join(dir, 'bootstrap')).mode & 0o777, 0o755);
  });

  test('staging twice gives byte-identical output (base images stay reproducible)', () => {
    const again = mkdtempSync(join(tmpdir(), 'lambdock-var-runtime-'));
    try {
      execFileSync(process.execPath, [stageScript, again], { stdio: 'ignore' });
      for (const f of ['index.js', 'package.json', 'bootstrap']) assert.ok(readFileSync(join(again, f)).equals(readFileSync(join(dir, f))), f);
    } finally {
      rmSync(again, { recursive: true, force: true });
    }
  });

  const manifest = loadManifest();
  for (const c of manifest.cases) {
    const skip = appliesToNode(c, NODE_MAJOR) ? false : `case is for Node.js ${c.node}`;
    test(`bootstrap runs: ${c.name}`, { skip }, async () => {
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

