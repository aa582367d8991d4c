import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { digestBytes } from '../digest.js';
import { MediaTypes } from '../media-types.js';
import { opaqueEntry, packLayerToBuffer, whiteoutEntry, type LayerEntryInput } from '../layer/writer.js';
import { isOverlayWhiteout, unpackLayer, type UnpackOptions, type UnpackResult } from './unpack.js';

const corpus = fileURLToPath(new URL('../../testdata/hostile/', import.meta.url));
const isRoot = process.getuid?.() === 0;
const base = await mkdtemp(join(tmpdir(), 'lambdock-unpack-'));
after(() => rm(base, { recursive: true, force: true }));
let n = 0;

/** Unpacks into <fresh>/root and checks nothing appeared beside it. */
async function unpackCase(file: string, opts: UnpackOptions = {}): Promise<{ root: string; result?: UnpackResult; error?: Error & { code?: string } }> {
  const dir = join(base, `case-${n++}`);
  const root = join(dir, 'root');
  await mkdir(root, { recursive: true });
  const mediaType = file.endsWith('.gz') ? MediaTypes.ociLayerGzip : MediaTypes.ociLayer;
  let result: UnpackResult | undefined;
  let error: (Error & { code?: string }) | undefined;
  try {
    result = await unpackLayer(createReadStream(join(corpus, file)), root, { mediaType, ...opts });
  } catch (err) {
    error = err as Error & { code?: string };
  }
  assert.deepEqual(readdirSync(dir), ['root'], `${file}: something was written beside the target`);
  for (const p of ['/etc/lambdock-hostile-absolute', '/etc/lambdock-hostile-via-abs-symlink', '/tmp/lambdock-hostile-via-rel-symlink', '/tmp/lambdock-hostile-via-chain', '/tmp/lambdock-hostile-victim', '/tmp/lambdock-hostile-dir-over-symlink', '/keepme']) {
    assert.equal(existsSync(p), false, `${file}: wrote ${p} outside the target`);
  }
  return { root, ...(result ? { result } : {}), ...(error ? { error } : {}) };
}

function refused(r: { error?: Error & { code?: string } }, code: string, message?: RegExp): void {
  assert.ok(r.error, `expected ${code}, but the layer was unpacked`);
  assert.equal(r.error.code, code, r.error.message);
  if (message) assert.match(r.error.message, message);
}

describe('hostile layers', () => {
  test('".." that climbs out of the root is refused', async () => {
    refused(await unpackCase('dotdot.tar'), 'LAYER_PATH_ESCAPE', /"\.\.\/escaped-dotdot" climbs out of the root/);
    refused(await unpackCase('dotdot-nested.tar'), 'LAYER_PATH_ESCAPE');
    refused(await unpackCase('dotdot-pax.tar'), 'LAYER_PATH_ESCAPE', /escaped-pax/);
  });

  test('absolute paths are contained in the root', async () => {
    const { root, result } = await unpackCase('absolute.tar');
    assert.ok(result);
    assert.equal(readFileSync(join(root, 'etc/lambdock-hostile-absolute'), 'utf8'), 'contained');
  });

  test('writes through symlinked parent directories stay inside the root', async () => {
    let r = await unpackCase('symlink-parent-absolute.tar');
    assert.equal(readFileSync(join(r.root, 'etc/lambdock-hostile-via-abs-symlink'), 'utf8'), 'contained');
    r = await unpackCase('symlink-parent-relative.tar');
    assert.equal(readFileSync(join(r.root, 'tmp/lambdock-hostile-via-rel-symlink'), 'utf8'), 'contained');
    r = await unpackCase('symlink-chain.tar');
    assert.equal(readFileSync(join(r.root, 'lambdock-hostile-via-chain'), 'utf8'), 'contained');
    refused(await unpackCase('symlink-loop.tar'), 'LAYER_INVALID', /too many levels of symbolic links/);
  });

  test('an entry replaces a symlink at its path instead of writing through it', async () => {
    let r = await unpackCase('symlink-overwrite.tar');
    assert.ok(lstatSync(join(r.root, 'victim')).isFile());
    assert.equal(readFileSync(join(r.root, 'victim'), 'utf8'), 'replaced the symlink, not its target');
    r = await unpackCase('dir-over-symlink.tar');
    assert.ok(lstatSync(join(r.root, 'd')).isDirectory());
    assert.ok(existsSync(join(r.root, 'd/lambdock-hostile-dir-over-symlink')));
  });

  test('hard links to outside the root are refused', async () => {
    refused(await unpackCase('hardlink-dotdot.tar'), 'LAYER_LINK_ESCAPE', /points outside the root/);
    refused(await unpackCase('hardlink-absolute.tar'), 'LAYER_LINK_ESCAPE', /not in the layer before it/);
    refused(await unpackCase('hardlink-via-symlink.tar'), 'LAYER_LINK_ESCAPE');
  });

  test('a file written over a hard link does not change the linked file', async () => {
    const { root } = await unpackCase('hardlink-then-write.tar');
    assert.equal(readFileSync(join(root, 'a'), 'utf8'), 'original');
    assert.equal(readFileSync(join(root, 'b'), 'utf8'), 'overwrite');
  });

  test('device nodes are skipped by default, refused on request, created only when allowed as root', async () => {
    const skipped = await unpackCase('devices.tar');
    assert.deepEqual(skipped.result?.skipped.map((s) => s.path), ['dev/null2', 'dev/sda9']);
    assert.deepEqual(readdirSync(join(skipped.root, 'dev')), []);
    refused(await unpackCase('devices.tar', { devices: 'refuse' }), 'LAYER_DEVICE_REFUSED', /dev\/null2/);
    if (isRoot) {
      const created = await unpackCase('devices.tar', { devices: 'create' });
      const st = lstatSync(join(created.root, 'dev/null2'));
      assert.ok(st.isCharacterDevice());
      assert.equal(st.rdev, (1 << 8) | 3);
      assert.ok(lstatSync(join(created.root, 'dev/sda9')).isBlockDevice());
    }
  });

  test('setuid and setgid bits are stripped unless kept on request', async () => {
    const stripped = await unpackCase('setuid.tar');
    assert.equal(statSync(join(stripped.root, 'bin/su')).mode & 0o7777, 0o755);
    assert.equal(statSync(join(stripped.root, 'bin/wall')).mode & 0o7777, 0o755);
    assert.equal(stripped.result?.setuidStripped, 2);
    const kept = await unpackCase('setuid.tar', { setuid: 'keep' });
    assert.equal(statSync(join(kept.root, 'bin/su')).mode & 0o7777, 0o4755);
  });

  test('decompression bombs and entry floods hit the limits', async () => {
    refused(await unpackCase('bomb.tar.gz', { limits: { maxBytes: 8 << 20 } }), 'LAYER_TOO_LARGE', /8388608 bytes/);
    refused(await unpackCase('many-entries.tar.gz', { limits: { maxEntries: 1000 } }), 'LAYER_TOO_MANY_ENTRIES', /1000 entries/);
    const ok = await unpackCase('many-entries.tar.gz');
    assert.equal(ok.result?.entries, 5000);
  });

  test('whiteouts cannot name ".." or escape through symlinks', async () => {
    refused(await unpackCase('whiteout-dotdot.tar'), 'LAYER_INVALID', /names no file/);
    const r = await unpackCase('whiteout-via-symlink.tar');
    assert.equal(r.result?.whiteouts, 1);
  });

  test('the root cannot be replaced, and over-long paths are refused', async () => {
    refused(await unpackCase('root-symlink.tar'), 'LAYER_INVALID', /replaces the root with a symlink/);
    refused(await unpackCase('long-path.tar'), 'LAYER_INVALID', /longer than 4096 bytes/);
    refused(await unpackCase('long-component.tar'), 'LAYER_INVALID', /component longer than 255 bytes/);
  });

  test('streams that are not (complete) gzip are refused as LAYER_INVALID', async () => {
    refused(await unpackCase('garbage.tar.gz'), 'LAYER_INVALID', /not a readable tar stream/);
    refused(await unpackCase('truncated.tar.gz'), 'LAYER_INVALID');
  });
});

const t0 = new Date('2021-02-03T04:05:06Z');
const t1 = new Date('2019-01-01T00:00:00Z');
const sample: LayerEntryInput[] = [
  { path: 'etc', type: 'directory', mode: 0o755, mtime: t1 },
  { path: 'etc/hostname', type: 'file', data: 'lambdock\n', mode: 0o644, mtime: t0 },
  { path: 'var/task', type: 'directory', mode: 0o750, uid: 1000, gid: 1001, mtime: t1 },
  { path: 'var/task/app.js', type: 'file', data: 'exports.handler = async () => 42;\n', mode: 0o640, uid: 1000, gid: 1001, mtime: t0 },
  { path: 'var/task/run.sh', type: 'file', data: '#!/bin/sh\n', mode: 0o755, mtime: t0 },
  { path: 'var/task/link.js', type: 'symlink', linkname: 'app.js', mtime: t0 },
  { path: 'var/task/hard.js', type: 'link', linkname: 'var/task/app.js' },
  { path: 'ro', type: 'directory', mode: 0o555, mtime: t1 },
  { path: 'ro/inside', type: 'file', data: 'written before the dir became read-only', mtime: t0 },
];

describe('unpacking preserves what the layer says', () => {
  for (const compression of ['gzip', 'zstd', 'none'] as const) {
    test(`${compression}: contents, modes, owners, mtimes, symlinks, hard links; diffID matches the writer`, async () => {
      const packed = await packLayerToBuffer(sample, { compression });
      const root = join(base, `preserve-${compression}`);
      const r = await unpackLayer(Readable.from([packed.data]), root, { mediaType: packed.mediaType, expected: { diffId: packed.diffId, digest: packed.digest } });
      assert.equal(r.diffId, packed.diffId);
      assert.equal(r.digest, digestBytes(packed.data));
      assert.equal(r.entries, sample.length);
      assert.equal(readFileSync(join(root, 'var/task/app.js'), 'utf8'), 'exports.handler = async () => 42;\n');
      assert.equal(statSync(join(root, 'var/task/app.js')).mode & 0o7777, 0o640);
      assert.equal(statSync(join(root, 'var/task/run.sh')).mode & 0o7777, 0o755);
      assert.equal(statSync(join(root, 'var/task')).mode & 0o7777, 0o750);
      assert.equal(statSync(join(root, 'ro')).mode & 0o7777, 0o555);
      assert.equal(statSync(join(root, 'var/task/app.js')).mtime.getTime(), t0.getTime());
      assert.equal(statSync(join(root, 'etc')).mtime.getTime(), t1.getTime());
      assert.equal(lstatSync(join(root, 'var/task/link.js')).mtime.getTime(), t0.getTime());
      assert.equal(readlinkSync(join(root, 'var/task/link.js')), 'app.js');
      assert.equal(statSync(join(root, 'var/task/hard.js')).ino, statSync(join(root, 'var/task/app.js')).ino);
      if (isRoot) {
        assert.equal(statSync(join(root, 'var/task/app.js')).uid, 1000);
        assert.equal(statSync(join(root, 'var/task')).gid, 1001);
      }
    });
  }

  test('a wrong expected diffID is reported', async () => {
    const packed = await packLayerToBuffer(sample);
    await assert.rejects(unpackLayer(Readable.from([packed.data]), join(base, 'wrong-diffid'), { mediaType: packed.mediaType, expected: { diffId: digestBytes('x') } }), {
      code: 'LAYER_DIGEST_MISMATCH',
    });
  });

  test('unknown media types are refused; "auto" sniffs the compression', async () => {
    const packed = await packLayerToBuffer(sample, { compression: 'zstd' });
    await assert.rejects(unpackLayer(Readable.from([packed.data]), join(base, 'mt'), { mediaType: 'application/json' }), { code: 'LAYER_MEDIA_TYPE_UNSUPPORTED' });
    const r = await unpackLayer(Readable.from([packed.data]), join(base, 'auto'), { compression: 'auto' });
    assert.equal(r.diffId, packed.diffId);
  });

  test('layers made by GNU tar unpack, and our gzip layers extract with tar -xzf', async () => {
    const src = join(base, 'gnu-src');
    await mkdir(join(src, 'dir/sub'), { recursive: true });
    await writeFile(join(src, 'dir/sub/file.txt'), 'from gnu tar');
    await writeFile(join(src, `${'long-name-'.repeat(20)}.txt`), 'long');
    const tarball = join(base, 'gnu.tar.gz');
    execFileSync('tar', ['-czf', tarball, '-C', src, '.']);
    const root = join(base, 'gnu-out');
    await unpackLayer(createReadStream(tarball), root, { mediaType: MediaTypes.dockerLayerGzip });
    assert.equal(readFileSync(join(root, 'dir/sub/file.txt'), 'utf8'), 'from gnu tar');
    assert.equal(readFileSync(join(root, `${'long-name-'.repeat(20)}.txt`), 'utf8'), 'long');
    const packed = await packLayerToBuffer(sample);
    const ours = join(base, 'ours.tar.gz');
    await writeFile(ours, packed.data);
    const out = join(base, 'ours-out');
    await mkdir(out);
    execFileSync('tar', ['-xzf', ours, '-C', out]);
    assert.equal(readFileSync(join(out, 'var/task/app.js'), 'utf8'), 'exports.handler = async () => 42;\n');
  });
});

describe('whiteouts', () => {
  const lower: LayerEntryInput[] = [
    { path: 'keep', type: 'file', data: 'keep' },
    { path: 'gone', type: 'file', data: 'gone' },
    { path: 'gonedir/deep/file', type: 'file', data: 'x' },
    { path: 'opq/old1', type: 'file', data: 'old' },
    { path: 'opq/olddir/old2', type: 'file', data: 'old' },
  ];
  const upper: LayerEntryInput[] = [
    whiteoutEntry('gone'),
    whiteoutEntry('gonedir'),
    { path: 'opq/new/file', type: 'file', data: 'new' },
    opaqueEntry('opq'),
    { path: 'opq/new2', type: 'file', data: 'new2' },
  ];

  test('apply mode deletes named paths and empties opaque directories of lower content only', async () => {
    const root = join(base, 'wh-apply');
    await unpackLayer(Readable.from([(await packLayerToBuffer(lower)).data]), root, { mediaType: MediaTypes.ociLayerGzip });
    const r = await unpackLayer(Readable.from([(await packLayerToBuffer(upper)).data]), root, { mediaType: MediaTypes.ociLayerGzip });
    assert.equal(r.whiteouts, 3);
    assert.deepEqual(readdirSync(root).sort(), ['keep', 'opq']);
    assert.deepEqual(readdirSync(join(root, 'opq')).sort(), ['new', 'new2']);
    assert.equal(readFileSync(join(root, 'opq/new/file'), 'utf8'), 'new');
  });

  const hasAttr = (() => {
    try {
      execFileSync('sh', ['-c', 'command -v setfattr && command -v getfattr'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  const overlaySkip = !isRoot ? 'needs root for mknod and trusted.* xattrs' : !hasAttr ? 'setfattr/getfattr (apt package attr) not installed' : false;
  test('overlay mode writes overlayfs whiteouts and opaque xattrs', { skip: overlaySkip }, async () => {
    const root = join(base, 'wh-overlay');
    await unpackLayer(Readable.from([(await packLayerToBuffer(upper)).data]), root, { mediaType: MediaTypes.ociLayerGzip, whiteouts: 'overlay' });
    assert.ok(isOverlayWhiteout(join(root, 'gone')));
    assert.ok(isOverlayWhiteout(join(root, 'gonedir')));
    assert.equal(execFileSync('getfattr', ['--absolute-names', '--only-values', '-n', 'trusted.overlay.opaque', join(root, 'opq')], { encoding: 'utf8' }), 'y');
    assert.deepEqual(readdirSync(join(root, 'opq')).sort(), ['new', 'new2']);
  });
});
