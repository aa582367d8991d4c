import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SqliteMetadataStore } from './sqlite-store.js';
import { metadataStoreSuite, sampleRecord } from '../testsuite.js';

const dirs: string[] = [];
const files = new WeakMap<object, string>();
process.on('exit', () => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

metadataStoreSuite('sqlite', {
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'lambdock-sqlite-'));
    dirs.push(dir);
    const file = join(dir, 'meta.db');
    const s = new SqliteMetadataStore(file);
    files.set(s, file);
    return s;
  },
  async reopen(prev) {
    const file = files.get(prev)!;
    await prev.close();
    return new SqliteMetadataStore(file);
  },
});

test('sqlite: committed writes survive kill -9 of the writing process', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lambdock-sqlite-kill-'));
  dirs.push(dir);
  const file = join(dir, 'meta.db');
  const storeModule = fileURLToPath(new URL('./sqlite-store.js', import.meta.url));
  const suiteModule = fileURLToPath(new URL('../testsuite.js', import.meta.url));
  // The child commits function after function and reports each commit; we SIGKILL it mid-stream.
  const script = `
    const { SqliteMetadataStore } = await import(${JSON.stringify(storeModule)});
    const { sampleRecord } = await import(${JSON.stringify(suiteModule)});
    const s = new SqliteMetadataStore(${JSON.stringify(file)});
    for (let i = 0; ; i++) { await s.createFunction(sampleRecord('f' + String(i).padStart(6, '0'))); process.stdout.write(i + '\\n'); }
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let acked = -1;
  await new Promise<void>((resolve) => {
    child.stdout.on('data', (b: Buffer) => {
      const lines = b.toString().trim().split('\n');
      acked = Number(lines[lines.length - 1]);
      if (acked >= 200) child.kill('SIGKILL');
    });
    child.on('exit', () => resolve());
  });
  const s = new SqliteMetadataStore(file);
  try {
    const n = await s.countFunctions();
    assert.ok(n >= acked + 1, `expected at least ${acked + 1} functions after kill -9, found ${n}`);
    assert.deepEqual((await s.getFunction('f000000'))?.settings, sampleRecord('x').settings);
  } finally {
    await s.close();
  }
});
