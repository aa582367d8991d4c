import type { DistributionHandler } from '../http.js';
import { send } from '../http.js';
import { DistributionError } from '../errors.js';
import { existingRepository, parseReference } from './common.js';
import type { RegistryCore } from '../../core.js';
import type { ManifestRecord } from '../../metadata/store.js';

export async function resolveManifest(core: RegistryCore, name: string, reference: string): Promise<ManifestRecord> {
  await existingRepository(core, name);
  let ref;
  try {
    ref = parseReference(reference);
  } catch {
    // An unparseable reference cannot name anything stored (conformance expects 404).
    throw new DistributionError('MANIFEST_UNKNOWN', `manifest "${reference.slice(0, 200)}" unknown`, { detail: { reference: reference.slice(0, 200) } });
  }
  const digest = ref.kind === 'digest' ? ref.digest : await core.metadata.resolveTag(name, ref.tag);
  const m = digest ? await core.metadata.getManifest(name, digest) : undefined;
  if (!m) throw new DistributionError('MANIFEST_UNKNOWN', `manifest "${reference}" unknown in repository "${name}"`, { detail: { name, reference } });
  return m;
}

/** GET and HEAD /v2/<name>/manifests/<reference> — the stored bytes, as pushed. */
export const getManifest: DistributionHandler = async ({ req, res, core }, { name, reference }) => {
  const m = await resolveManifest(core, name!, reference!);
  const headers = {
    'Content-Type': m.mediaType,
    'Docker-Content-Digest': m.digest,
    ETag: `"${m.digest}"`,
  };
  if (req.method === 'HEAD') {
    send(res, 200, { ...headers, 'Content-Length': m.size });
    return;
  }
  const bytes = await core.store.readAll(m.digest);
  send(res, 200, headers, bytes);
};
