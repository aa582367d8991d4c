import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tree, canonicalPath } from './tree.js';

test('Debian paths move under /usr (merged /usr) and parents are created', () => {
  assert.equal(canonicalPath('./lib/x86_64-linux-gnu/libc.so.6'), 'usr/lib/x86_64-linux-gnu/libc.so.6');
  assert.equal(canonicalPath('bin/sh'), 'usr/bin/sh');
  assert.equal(canonicalPath('./etc/passwd'), 'etc/passwd');
  const t = new Tree();
  t.file('./bin/busybox', 'x', 0o755);
  const paths = t.sorted().map((e) => `${e.type}:${e.path}`);
  assert.deepEqual(paths, ['directory:usr', 'directory:usr/bin', 'file:usr/bin/busybox']);
});

test('excluded documentation is dropped but licences are kept', () => {
  const t = new Tree({ exclude: ['usr/share/doc', 'usr/share/man'], keep: [/^usr\/share\/doc\/[^/]+\/copyright$/] });
  t.add({ path: './usr/share/doc/libc6/changelog.gz', type: 'file', mode: 0o644, uid: 0, gid: 0, data: Buffer.from('c') });
  t.add({ path: './usr/share/doc/libc6/copyright', type: 'file', mode: 0o644, uid: 0, gid: 0, data: Buffer.from('GPL') });
  t.add({ path: './usr/share/man/man1/ls.1.gz', type: 'file', mode: 0o644, uid: 0, gid: 0, data: Buffer.from('m') });
  assert.deepEqual(
    t.sorted().filter((e) => e.type === 'file').map((e) => e.path),
    ['usr/share/doc/libc6/copyright'],
  );
});

test('hard links always follow the file that carries the data, whatever the names', () => {
  const t = new Tree();
  t.add({ path: 'usr/bin/zz', type: 'file', mode: 0o755, uid: 0, gid: 0, data: Buffer.from('bin') });
  t.add({ path: 'usr/bin/aa', type: 'hardlink', mode: 0o755, uid: 0, gid: 0, linkname: 'usr/bin/zz' });
  const files = t.sorted().filter((e) => e.type !== 'directory');
  assert.deepEqual(files.map((e) => [e.path, e.type, e.linkname ?? null]), [
    ['usr/bin/aa', 'file', null],
    ['usr/bin/zz', 'hardlink', 'usr/bin/aa'],
  ]);
  assert.equal(files[0]!.data!.toString(), 'bin');
});
