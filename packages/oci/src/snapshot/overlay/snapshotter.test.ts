import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from '@lambdock/common';
import { packLayerToBuffer } from '../../layer/writer.js';
import { runSnapshotterSuite } from '../testsuite.js';
import { OverlaySnapshotter } from './snapshotter.js';

/** Why overlay snapshots cannot be tested here, or false when they can. */
function overlayUnavailable(): string | false {
  if (process.getuid?.() !== 0) return 'overlay mounts, whiteout devices and trusted.* xattrs need root';
  for (const tool of ['mknod', 'setfattr', 'mount']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed (scripts/ensure-system.sh installs it)`;
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'lambdock-overlay-probe-'));
  try {
    for (const d of ['a', 'b', 'm']) mkdirSync(join(dir, d));
    writeFileSync(join(dir, 'a', 'x'), 'x');
    execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${join(dir, 'a')}:${join(dir, 'b')}`, join(dir, 'm')], { stdio: 'pipe' });
    execFileSync('umount', [join(dir, 'm')]);
    return false;
  } catch (err) {
    return `overlay mount failed here: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const skip = overlayUnavailable();
const quiet = { level: 'warn' as const };

runSnapshotterSuite(
  'overlay',
  async () => {
    const root = await mkdtemp(join(tmpdir(), 'lambdock-snapshots-'));
    return {
      snapshotter: new OverlaySnapshotter(root, { logger: createLogger(quiet) }),
      reopen: async () => new OverlaySnapshotter(root, { logger: createLogger(quiet) }),
      cleanup: () => rm(root, { recursive: true, force: true }),
    };
  },
  { skip },
);

test('overlay: a mount that vanished behind our back (umount, reboot) no longer pins its layers', { skip }, async () => {
  const root = await mkdtemp(join(tmpdir(), 'lambdock-snapshots-'));
  try {
    const s1 = new OverlaySnapshotter(root, { logger: createLogger(quiet) });
    const layer = await packLayerToBuffer([{ path: 'f', type: 'file', data: 'x' }]);
    await s1.ensureLayer(layer.diffId, { mediaType: layer.mediaType, open: async () => Readable.from([layer.data]) });
    const m = await s1.mount('stale', [layer.diffId], { writable: true });
    execFileSync('umount', [m.target]);
    const s2 = new OverlaySnapshotter(root, { logger: createLogger(quiet) });
    assert.deepEqual(await s2.mounts(), []);
    assert.equal(await s2.remove(layer.diffId), true);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('overlay: prepared layers of dead processes are cleaned up at startup, live ones are kept', { skip }, async () => {
  const root = await mkdtemp(join(tmpdir(), 'lambdock-snapshots-'));
  try {
    const live = new OverlaySnapshotter(root, { logger: createLogger(quiet) });
    const prepared = await live.prepareLayer();
    mkdirSync(join(root, 'ingest', '4194305-deadbeef', 'fs'), { recursive: true }); // above pid_max: never alive
    const other = new OverlaySnapshotter(root, { logger: createLogger(quiet) });
    for await (const _ of other.walk()); // first use runs the startup cleanup
    assert.equal(existsSync(join(root, 'ingest', '4194305-deadbeef')), false);
    assert.equal(existsSync(prepared.dir), true);
    await prepared.abort();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('overlay: a layer in an overlay mounted by someone else from lowerDirs() cannot be removed', { skip }, async () => {
  const root = await mkdtemp(join(tmpdir(), 'lambdock-snapshots-'));
  const target = join(root, 'external');
  try {
    const s = new OverlaySnapshotter(root, { logger: createLogger(quiet) });
    const layer = await packLayerToBuffer([{ path: 'f', type: 'file', data: 'x' }]);
    await s.ensureLayer(layer.diffId, { mediaType: layer.mediaType, open: async () => Readable.from([layer.data]) });
    mkdirSync(target);
    // what a sandbox runtime does with lowerDirs(): its own read-only overlay
    execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${[...(await s.lowerDirs([layer.diffId])), join(root, 'empty0')].join(':')}`, target]);
    await assert.rejects(s.remove(layer.diffId), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'SNAPSHOT_IN_USE');
      assert.match(err.message, /external/);
      return true;
    });
    execFileSync('umount', [target]);
    assert.equal(await s.remove(layer.diffId), true);
  } finally {
    try {
      execFileSync('umount', [target], { stdio: 'ignore' });
    } catch {
      // not mounted
    }
    await rm(root, { recursive: true, force: true });
  }
});
