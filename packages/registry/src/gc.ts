import type { RegistryCore } from './core.js';

export interface GcReport {
  blobsScanned: number;
  blobsRemoved: number;
  bytesRemoved: number;
  uploadsExpired: number;
  ingestsRemoved: number;
  durationMs: number;
}

/**
 * Garbage collection that runs while the registry serves — there is no read-only
 * window. Safety comes from three things instead:
 *  - a grace period: blobs written, and links made, less than `gcGraceMs` before GC
 *    started are kept (a push uploads layers before its manifest refers to them);
 *  - the per-digest lock: GC decides and deletes one digest while holding its lock,
 *    and commits/mounts take the same lock, so a blob cannot vanish between "it is
 *    there" and "it is linked";
 *  - the metadata store's atomic releaseIfUnreferenced: "no manifest refers to it and
 *    no recent link" is checked and the stale links removed in one transaction, so a
 *    manifest PUT either sees the link (and GC keeps the blob) or gets
 *    MANIFEST_BLOB_UNKNOWN.
 * Upload sessions untouched for `uploadTtlMs` are cancelled; ingests no session owns
 * (left by a crash between commit and bookkeeping) are removed after the same time.
 */
export async function collectGarbage(core: RegistryCore): Promise<GcReport> {
  const started = Date.now();
  const report: GcReport = { blobsScanned: 0, blobsRemoved: 0, bytesRemoved: 0, uploadsExpired: 0, ingestsRemoved: 0, durationMs: 0 };
  const blobCutoff = started - core.settings.gcGraceMs;
  const linkCutoff = core.now() - core.settings.gcGraceMs;
  for await (const blob of core.store.walk()) {
    report.blobsScanned++;
    if (blob.createdAt && blob.createdAt.getTime() >= blobCutoff) continue;
    await core.locks.with(blob.digest, async () => {
      if (!(await core.metadata.releaseIfUnreferenced(blob.digest, linkCutoff))) return;
      if (await core.store.delete(blob.digest)) {
        report.blobsRemoved++;
        report.bytesRemoved += blob.size;
      }
    });
  }
  report.uploadsExpired = await core.uploads.expire(core.now() - core.settings.uploadTtlMs);
  const known = await core.uploads.knownRefs();
  const ingestCutoff = Date.now() - core.settings.uploadTtlMs;
  for await (const ing of core.store.ingests()) {
    if (!ing.ref.startsWith('upload-') || known.has(ing.ref) || ing.updatedAt.getTime() >= ingestCutoff) continue;
    try {
      await core.store.abortIngest(ing.ref);
      report.ingestsRemoved++;
    } catch {
      // being written right now: not abandoned after all
    }
  }
  report.durationMs = Date.now() - started;
  core.logger.info('garbage collection done', { ...report });
  return report;
}
