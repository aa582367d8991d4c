#!/usr/bin/env node
// Regenerates the hostile layer corpus beside this script (deterministic output).
// Usage: node packages/oci/testdata/hostile/generate.mjs
// Each layer's intent and the expected outcome are in README.md; src/unpack/unpack.test.ts checks them.
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import tar from 'tar-stream';

const here = fileURLToPath(new URL('.', import.meta.url));
const mtime = new Date('2020-01-01T00:00:00Z');

async function tarOf(entries) {
  const pack = tar.pack();
  const chunks = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c);
  })();
  for (const e of entries) {
    const h = { mtime, uid: 0, gid: 0, mode: e.type === 'directory' ? 0o755 : e.type === 'symlink' ? 0o777 : 0o644, ...e };
    delete h.data;
    await new Promise((resolve, reject) => {
      if ((h.type ?? 'file') === 'file') pack.entry({ ...h, size: e.data ? Buffer.byteLength(e.data) : 0 }, e.data ?? '', (err) => (err ? reject(err) : resolve()));
      else pack.entry(h, (err) => (err ? reject(err) : resolve()));
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

const file = (name, data = 'x', extra = {}) => ({ name, type: 'file', data, ...extra });
const layers = {
  'dotdot.tar': [file('../escaped-dotdot', 'evil')],
  'dotdot-nested.tar': [file('a/b/../../../escaped-nested', 'evil')],
  'dotdot-pax.tar': [file('benign-name', 'evil', { pax: { path: '../../escaped-pax' } })],
  'absolute.tar': [file('/etc/lambdock-hostile-absolute', 'contained')],
  'symlink-parent-absolute.tar': [
    { name: 'rootlink', type: 'symlink', linkname: '/' },
    file('rootlink/etc/lambdock-hostile-via-abs-symlink', 'contained'),
  ],
  'symlink-parent-relative.tar': [
    { name: 'up', type: 'symlink', linkname: '../../../../../../../../../../tmp' },
    file('up/lambdock-hostile-via-rel-symlink', 'contained'),
  ],
  'symlink-chain.tar': [
    { name: 'a', type: 'symlink', linkname: 'b' },
    { name: 'b', type: 'symlink', linkname: '../../..' },
    file('a/lambdock-hostile-via-chain', 'contained'),
  ],
  'symlink-loop.tar': [{ name: 'l1', type: 'symlink', linkname: 'l2' }, { name: 'l2', type: 'symlink', linkname: 'l1' }, file('l1/x', 'x')],
  'symlink-overwrite.tar': [
    { name: 'victim', type: 'symlink', linkname: '/tmp/lambdock-hostile-victim' },
    file('victim', 'replaced the symlink, not its target'),
  ],
  'dir-over-symlink.tar': [
    { name: 'd', type: 'symlink', linkname: '/tmp' },
    { name: 'd', type: 'directory' },
    file('d/lambdock-hostile-dir-over-symlink', 'contained'),
  ],
  'hardlink-dotdot.tar': [{ name: 'h', type: 'link', linkname: '../../../../etc/passwd' }],
  'hardlink-absolute.tar': [{ name: 'h', type: 'link', linkname: '/etc/passwd' }],
  'hardlink-via-symlink.tar': [{ name: 's', type: 'symlink', linkname: '/etc' }, { name: 'h', type: 'link', linkname: 's/passwd' }],
  'hardlink-then-write.tar': [file('a', 'original'), { name: 'b', type: 'link', linkname: 'a' }, file('b', 'overwrite')],
  'devices.tar': [
    { name: 'dev', type: 'directory' },
    { name: 'dev/null2', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
    { name: 'dev/sda9', type: 'block-device', devmajor: 8, devminor: 9, mode: 0o660 },
  ],
  'setuid.tar': [{ name: 'bin', type: 'directory' }, file('bin/su', '#!/bin/sh\n', { mode: 0o4755 }), file('bin/wall', '#!/bin/sh\n', { mode: 0o2755 })],
  'whiteout-dotdot.tar': [{ name: 'a', type: 'directory' }, file('a/.wh...', '')],
  'whiteout-via-symlink.tar': [{ name: 's', type: 'symlink', linkname: '/' }, file('s/.wh.keepme', '')],
  'root-symlink.tar': [{ name: './', type: 'symlink', linkname: '/etc' }],
  'long-path.tar': [file(`${'d/'.repeat(2100)}f`, 'deep')],
  'long-component.tar': [file(`${'n'.repeat(300)}`, 'x')],
};

for (const [name, entries] of Object.entries(layers)) writeFileSync(here + name, await tarOf(entries));

// Decompression bomb: 64 MiB of zeros in one file, ~64 KiB compressed.
writeFileSync(here + 'bomb.tar.gz', gzipSync(await tarOf([file('zeros', Buffer.alloc(64 << 20))]), { level: 9 }));
// Inode exhaustion: 5000 empty files.
writeFileSync(here + 'many-entries.tar.gz', gzipSync(await tarOf(Array.from({ length: 5000 }, (_, i) => file(`f${i}`, ''))), { level: 9 }));
// Not a gzip stream, and a truncated one.
writeFileSync(here + 'garbage.tar.gz', Buffer.from('this is not a gzip stream at all, just text\n'));
const good = gzipSync(await tarOf([file('big', Buffer.alloc(200_000, 'a'))]));
writeFileSync(here + 'truncated.tar.gz', good.subarray(0, good.length - 40));
console.log('hostile corpus written to', here);
