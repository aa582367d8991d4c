import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { digestBytes } from '../digest.js';
import { opaqueEntry, packLayerToBuffer, whiteoutEntry, type LayerEntryInput } from '../layer/writer.js';
import type { LayerSource, Snapshotter } from './snapshotter.js';

/**
 * The conformance suite every Snapshotter backend runs (containerd's
 * core/snapshots/testsuite is the model). `skip` says why a backend cannot run here.
 */
export interface SnapshotterHarness {
  snapshotter: Snapshotter;
  /** A second instance over the same root, as after a restart. */
  reopen(): Promise<Snapshotter>;
  cleanup(): Promise<void>;
}

interface BuiltLayer {
  diffId: string;
  digest: string;
  mediaType: string;
  data: Buffer;
}

async function build(entries: LayerEntryInput[]): Promise<BuiltLayer> {
  const p = await packLayerToBuffer(entries, { compression: 'gzip' });
  return { diffId: p.diffId, digest: p.digest, mediaType: p.mediaType, data: p.data };
}

function source(layer: BuiltLayer, counter?: { opens: number }): LayerSource {
  return {
    mediaType: layer.mediaType,
    digest: layer.digest,
    open: async () => {
      if (counter) counter.opens++;
      return Readable.from([layer.data]);
    },
  };
}

export function runSnapshotterSuite(name: string, factory: () => Promise<SnapshotterHarness>, opts: { skip?: string | false } = {}): void {
  const withSnapshotter = (fn: (h: SnapshotterHarness) => Promise<void>) => async () => {
    const h = await factory();
    try {
      await fn(h);
    } finally {
      for (const m of await h.snapshotter.mounts().catch(() => [])) await h.snapshotter.unmount(m.id).catch(() => {});
      await h.cleanup();
    }
  };
  const t = (title: string, fn: (h: SnapshotterHarness) => Promise<void>) => test(title, { skip: opts.skip ?? false }, withSnapshotter(fn));

  describe(`Snapshotter conformance: ${name}`, async () => {
    // base: /etc/os-release, /app/{a,b}, /data/old/*;  mid: deletes /app/b, makes /data opaque;  top: adds /app/c
    const base = await build([
      { path: 'etc/os-release', type: 'file', data: 'ID=lambdock\n' },
      { path: 'app/a', type: 'file', data: 'a from base' },
      { path: 'app/b', type: 'file', data: 'b from base' },
      { path: 'data/old/1', type: 'file', data: 'old' },
      { path: 'data/old2', type: 'file', data: 'old' },
    ]);
    const mid = await build([whiteoutEntry('app/b'), opaqueEntry('data'), { path: 'data/new', type: 'file', data: 'new' }]);
    const top = await build([{ path: 'app/c', type: 'file', data: 'c from top' }, { path: 'app/a', type: 'file', data: 'a from top' }]);
    const chain = [base.diffId, mid.diffId, top.diffId];
    const ensureAll = (s: Snapshotter) => Promise.all([base, mid, top].map((l) => s.ensureLayer(l.diffId, source(l))));

    t('ensureLayer unpacks a layer once, even when asked concurrently', async ({ snapshotter }) => {
      assert.equal(await snapshotter.stat(base.diffId), undefined);
      const counter = { opens: 0 };
      const results = await Promise.all(Array.from({ length: 5 }, () => snapshotter.ensureLayer(base.diffId, source(base, counter))));
      assert.equal(counter.opens, 1);
      for (const r of results) assert.equal(r.dir, results[0]!.dir);
      assert.equal(readFileSync(`${results[0]!.dir}/app/a`, 'utf8'), 'a from base');
      await snapshotter.ensureLayer(base.diffId, source(base, counter));
      assert.equal(counter.opens, 1);
      const listed = [];
      for await (const s of snapshotter.walk()) listed.push(s.diffId);
      assert.deepEqual(listed, [base.diffId]);
      assert.equal((await snapshotter.stat(base.diffId))?.digest, base.digest);
    });

    t('a blob whose content does not match the diffID leaves no snapshot', async ({ snapshotter }) => {
      await assert.rejects(snapshotter.ensureLayer(digestBytes('something else'), source(base)), { code: 'LAYER_DIGEST_MISMATCH' });
      assert.equal(await snapshotter.stat(digestBytes('something else')), undefined);
      const listed = [];
      for await (const s of snapshotter.walk()) listed.push(s);
      assert.deepEqual(listed, []);
    });

    t('a read-only mount shows the layers stacked, whiteouts and opaque directories applied', async ({ snapshotter }) => {
      await ensureAll(snapshotter);
      const dirs = (await snapshotter.lowerDirs(chain)).map((d) => realpathSync(d));
      assert.equal(dirs[0], (await snapshotter.stat(top.diffId))!.dir);
      assert.equal(dirs[1], (await snapshotter.stat(mid.diffId))!.dir);
      assert.equal(dirs[2], (await snapshotter.stat(base.diffId))!.dir);
      await assert.rejects(snapshotter.lowerDirs([digestBytes('missing')]), { code: 'NOT_FOUND' });
      const m = await snapshotter.mount('ro-1', chain);
      assert.equal(m.writable, false);
      assert.deepEqual(readdirSync(`${m.target}/app`).sort(), ['a', 'c']);
      assert.equal(readFileSync(`${m.target}/app/a`, 'utf8'), 'a from top');
      assert.deepEqual(readdirSync(`${m.target}/data`), ['new']);
      assert.equal(readFileSync(`${m.target}/etc/os-release`, 'utf8'), 'ID=lambdock\n');
      assert.throws(() => writeFileSync(`${m.target}/app/x`, 'x'), { code: 'EROFS' });
      const single = await snapshotter.mount('ro-single', [base.diffId]);
      assert.deepEqual(readdirSync(`${single.target}/app`).sort(), ['a', 'b']);
      await snapshotter.unmount('ro-single');
      await snapshotter.unmount('ro-1');
      assert.equal(existsSync(m.target), false);
      assert.deepEqual(await snapshotter.mounts(), []);
    });

    t('an image that applies the same layer twice mounts, the topmost copy winning', async ({ snapshotter }) => {
      await ensureAll(snapshotter);
      // base, top, base again: docker's RUN chmod over an identical COPY repeats a diffID.
      const repeated = [base.diffId, top.diffId, base.diffId];
      const dirs = (await snapshotter.lowerDirs(repeated)).map((d) => realpathSync(d));
      assert.deepEqual(dirs, [(await snapshotter.stat(base.diffId))!.dir, (await snapshotter.stat(top.diffId))!.dir]);
      const m = await snapshotter.mount('repeated', repeated);
      assert.equal(readFileSync(`${m.target}/app/a`, 'utf8'), 'a from base');
      assert.deepEqual(readdirSync(`${m.target}/app`).sort(), ['a', 'b', 'c']);
      await snapshotter.unmount('repeated');
    });

    t('a writable mount keeps its changes in its own upper dir; layers stay untouched', async ({ snapshotter }) => {
      await ensureAll(snapshotter);
      const w = await snapshotter.mount('rw-1', chain, { writable: true });
      const other = await snapshotter.mount('rw-2', chain, { writable: true });
      writeFileSync(`${w.target}/app/a`, 'changed');
      writeFileSync(`${w.target}/tmp-file`, 'new');
      assert.equal(readFileSync(`${w.target}/app/a`, 'utf8'), 'changed');
      assert.equal(readFileSync(`${other.target}/app/a`, 'utf8'), 'a from top');
      assert.equal(existsSync(`${other.target}/tmp-file`), false);
      assert.equal(readFileSync(`${(await snapshotter.stat(top.diffId))!.dir}/app/a`, 'utf8'), 'a from top');
      assert.ok(w.upperDir && existsSync(`${w.upperDir}/tmp-file`));
      await snapshotter.unmount('rw-1');
      await snapshotter.unmount('rw-2');
      assert.equal(existsSync(w.upperDir!), false);
    });

    t('layers in use cannot be removed; unused ones can', async ({ snapshotter }) => {
      await ensureAll(snapshotter);
      await snapshotter.mount('user', [base.diffId, mid.diffId]);
      await assert.rejects(snapshotter.remove(base.diffId), { code: 'SNAPSHOT_IN_USE' });
      assert.equal(await snapshotter.remove(top.diffId), true);
      assert.equal(await snapshotter.remove(top.diffId), false);
      await snapshotter.unmount('user');
      assert.equal(await snapshotter.remove(base.diffId), true);
      assert.equal(await snapshotter.stat(base.diffId), undefined);
      await assert.rejects(snapshotter.mount('missing', [base.diffId]), { code: 'NOT_FOUND' });
    });

    t('mount ids are unique and validated', async ({ snapshotter }) => {
      await ensureAll(snapshotter);
      await snapshotter.mount('dup', chain);
      await assert.rejects(snapshotter.mount('dup', chain), { code: 'MOUNT_EXISTS' });
      await assert.rejects(snapshotter.mount('../evil', chain), { code: 'VALIDATION' });
      await assert.rejects(snapshotter.unmount('never'), { code: 'NOT_FOUND' });
    });

    t('prepareLayer: commit makes a snapshot, abort leaves nothing, a second commit of the same diffID keeps the first', async ({ snapshotter }) => {
      const diffId = digestBytes('hand-made layer');
      const p1 = await snapshotter.prepareLayer();
      writeFileSync(`${p1.dir}/file`, 'first');
      const s1 = await p1.commit(diffId);
      assert.equal(readFileSync(`${s1.dir}/file`, 'utf8'), 'first');
      await assert.rejects(p1.commit(diffId), { code: 'INVALID_TRANSITION' });
      const p2 = await snapshotter.prepareLayer();
      writeFileSync(`${p2.dir}/file`, 'second');
      const s2 = await p2.commit(diffId);
      assert.equal(readFileSync(`${s2.dir}/file`, 'utf8'), 'first');
      const p3 = await snapshotter.prepareLayer();
      await p3.abort();
      assert.equal(existsSync(p3.dir), false);
    });

    t('an image of 120 layers mounts (docker allows up to 125)', async ({ snapshotter }) => {
      const layers = await Promise.all(Array.from({ length: 120 }, (_, i) => build([{ path: `layer/${i}`, type: 'file', data: String(i) }])));
      for (const l of layers) await snapshotter.ensureLayer(l.diffId, source(l));
      const m = await snapshotter.mount('many', layers.map((l) => l.diffId));
      assert.equal(readdirSync(`${m.target}/layer`).length, 120);
      assert.equal(readFileSync(`${m.target}/layer/119`, 'utf8'), '119');
      await snapshotter.unmount('many');
    });

    t('snapshots and mounts survive a restart', async ({ snapshotter, reopen }) => {
      await ensureAll(snapshotter);
      const m = await snapshotter.mount('persist', chain);
      const again = await reopen();
      assert.equal((await again.stat(top.diffId))?.diffId, top.diffId);
      assert.deepEqual((await again.mounts()).map((x) => x.id), ['persist']);
      const counter = { opens: 0 };
      await again.ensureLayer(top.diffId, source(top, counter));
      assert.equal(counter.opens, 0);
      await again.unmount('persist');
      assert.equal(existsSync(m.target), false);
    });
  });
}
