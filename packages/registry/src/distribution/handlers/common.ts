import { parseDigest } from '@lambdock/oci';
import type { RepositoryRecord } from '../../metadata/store.js';
import type { RegistryCore } from '../../core.js';
import { DistributionError } from '../errors.js';
import { isValidTag } from '../../names.js';

/** A digest from a URL or query parameter; malformed → 400 DIGEST_INVALID (never a 500). */
export function digestParam(value: string | null | undefined, what = 'digest'): string {
  if (value === null || value === undefined || value === '') {
    throw new DistributionError('DIGEST_INVALID', `${what} is required`);
  }
  try {
    parseDigest(value);
  } catch (err) {
    throw new DistributionError('DIGEST_INVALID', (err as Error).message, { detail: { digest: value } });
  }
  return value;
}

export type Reference = { kind: 'digest'; digest: string } | { kind: 'tag'; tag: string };

/** A manifest reference: a digest when it has a colon, else a tag. */
export function parseReference(ref: string): Reference {
  if (ref.includes(':')) return { kind: 'digest', digest: digestParam(ref, 'reference') };
  if (!isValidTag(ref)) throw new DistributionError('TAG_INVALID', `invalid tag "${ref.slice(0, 200)}": must match [\\w][\\w.-]{0,127}`);
  return { kind: 'tag', tag: ref };
}

export async function existingRepository(core: RegistryCore, name: string): Promise<RepositoryRecord> {
  const repo = await core.metadata.getRepository(name);
  if (!repo) throw new DistributionError('NAME_UNKNOWN', `repository "${name}" not known to registry`, { detail: { name } });
  return repo;
}

export async function repositoryForPush(core: RegistryCore, name: string): Promise<RepositoryRecord> {
  const repo = await core.repositoryForPush(name);
  if (!repo) {
    throw new DistributionError('NAME_UNKNOWN', `repository "${name}" does not exist; create it first (aws ecr create-repository --repository-name ${name})`, {
      detail: { name },
    });
  }
  return repo;
}

/** Parses `n` and `last` pagination parameters. */
export function pageParams(url: URL, max = 10_000): { limit: number; last?: string; explicit: boolean } {
  const n = url.searchParams.get('n');
  const last = url.searchParams.get('last') ?? undefined;
  let limit = max;
  if (n !== null) {
    if (!/^\d+$/.test(n)) throw new DistributionError('PAGINATION_NUMBER_INVALID', `n must be a non-negative integer, got "${n.slice(0, 50)}"`);
    limit = Math.min(Number(n), max);
  }
  const page: { limit: number; last?: string; explicit: boolean } = { limit, explicit: n !== null };
  if (last !== undefined) page.last = last;
  return page;
}
