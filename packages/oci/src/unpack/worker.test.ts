import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { packLayerToBuffer } from '../layer/writer.js';
import { MediaTypes } from '../media-types.js';
import { LayerError } from '../layer/errors.js';
import { unpackLayerInWorker } from './worker.js';

const corpus = fileURLToPath(new URL('../../testdata/hostile/', import.meta.url));

test('unpackLayerInWorker unpacks in a worker thread and reports refusals with their codes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lambdock-worker-'));
  try {
    const layer = await packLayerToBuffer([{ path: 'var/task/app.js', type: 'file', data: 'worker' }]);
    await writeFile(join(dir, 'layer.tar.gz'), layer.data);
    const r = await unpackLayerInWorker(join(dir, 'layer.tar.gz'), join(dir, 'out'), { mediaType: MediaTypes.ociLayerGzip, expected: { diffId: layer.diffId } });
    assert.equal(r.diffId, layer.diffId);
    assert.equal(readFileSync(join(dir, 'out/var/task/app.js'), 'utf8'), 'worker');
    await assert.rejects(unpackLayerInWorker(join(corpus, 'dotdot.tar'), join(dir, 'evil'), { mediaType: MediaTypes.ociLayer }), (err: unknown) => {
      assert.ok(err instanceof LayerError);
      assert.equal(err.code, 'LAYER_PATH_ESCAPE');
      return true;
    });
    await assert.rejects(unpackLayerInWorker(join(dir, 'missing.tar'), join(dir, 'x'), { mediaType: MediaTypes.ociLayer }), { code: 'ENOENT' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
