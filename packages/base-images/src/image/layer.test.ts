import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { Tree } from '../rootfs/tree.js';
import { writeLayer } from './layer.js';

function sample(order: 'a' | 'b'): Tree {
  const t = new Tree();
  const items: [string, string][] = [['etc/hostname', 'x\n'], ['usr/bin/tool', '#!/bin/sh\n'], ['var/task/app.py', 'print(1)\n']];
  for (const [p, d] of order === 'a' ? items : [...items].reverse()) t.file(p, d, p.includes('bin') ? 0o755 : 0o644);
  t.symlink('bin', 'usr/bin', true);
  return t;
}

test('the same files give the same layer bytes, whatever order they were added in', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lambdock-layer-'));
  try {
    const a = await writeLayer(sample('a'), join(dir, 'a'), 315532800);
    const b = await writeLayer(sample('b'), join(dir, 'b'), 315532800);
    assert.equal(a.digest, b.digest);
    assert.equal(a.diffId, b.diffId);
    const blob = await readFile(join(dir, 'a', 'sha256', a.digest.slice(7)));
    assert.equal('sha256:' + createHash('sha256').update(blob).digest('hex'), a.digest);
    assert.equal(blob.length, a.size);
    const tar = gunzipSync(blob);
    assert.equal('sha256:' + createHash('sha256').update(tar).digest('hex'), a.diffId);
    assert.equal(tar.length, a.uncompressedSize);
    // a different epoch is a different layer
    const c = await writeLayer(sample('a'), join(dir, 'c'), 0);
    assert.notEqual(c.digest, a.digest);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
