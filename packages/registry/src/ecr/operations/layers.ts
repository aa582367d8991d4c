import { isDigest } from '@lambdock/oci';
import type { EcrContext, EcrOperation } from '../context.js';
import { EcrError } from '../errors.js';
import { repositoryNameParam, requireRepository, str } from '../common.js';
import { DistributionError } from '../../distribution/errors.js';
import type { UploadSession } from '../../distribution/uploads.js';

/**
 * ECR's layer API (what SDK-based pushers use instead of /v2/ uploads), backed by
 * the same upload sessions and content store as the distribution API.
 */
const PART_SIZE = 10 * 1024 * 1024;

function digestsParam(input: Record<string, unknown>): string[] {
  const v = input['layerDigests'];
  if (!Array.isArray(v) || v.length < 1 || v.length > 100 || v.some((d) => typeof d !== 'string')) {
    throw new EcrError('InvalidParameterException', `Invalid parameter at 'layerDigests' failed to satisfy constraint: 'Member must have length between 1 and 100'`);
  }
  return v as string[];
}

async function session(ctx: EcrContext, repo: string, uploadId: string): Promise<UploadSession> {
  try {
    return await ctx.core.uploads.get(repo, uploadId);
  } catch {
    throw new EcrError('UploadNotFoundException', `The upload with id '${uploadId}' is not found in the repository with name '${repo}' in the registry with id '${ctx.core.settings.account}'`);
  }
}

export const batchCheckLayerAvailability: EcrOperation = async ({ core }, input) => {
  const repo = repositoryNameParam(input);
  await requireRepository(core, repo);
  const layers = [];
  const failures = [];
  for (const d of digestsParam(input)) {
    if (!isDigest(d)) {
      failures.push({ layerDigest: d, failureCode: 'InvalidLayerDigest', failureReason: 'Invalid layer digest' });
      continue;
    }
    const size = await core.metadata.blobInRepository(repo, d);
    if (size === undefined) layers.push({ layerDigest: d, layerAvailability: 'UNAVAILABLE' });
    else layers.push({ layerDigest: d, layerAvailability: 'AVAILABLE', layerSize: size, mediaType: 'application/octet-stream' });
  }
  return { layers, failures };
};

export const initiateLayerUpload: EcrOperation = async ({ core }, input) => {
  const repo = repositoryNameParam(input);
  await requireRepository(core, repo);
  const s = await core.uploads.create(repo);
  return { uploadId: s.id, partSize: PART_SIZE };
};

export const uploadLayerPart: EcrOperation = async (ctx, input) => {
  const { core } = ctx;
  const repo = repositoryNameParam(input);
  await requireRepository(core, repo);
  const uploadId = str(input, 'uploadId', true);
  const first = input['partFirstByte'];
  const last = input['partLastByte'];
  const blob = str(input, 'layerPartBlob', true);
  if (typeof first !== 'number' || typeof last !== 'number' || !Number.isSafeInteger(first) || !Number.isSafeInteger(last) || first < 0 || last < first) {
    throw new EcrError('InvalidParameterException', 'partFirstByte and partLastByte must be non-negative integers with partFirstByte <= partLastByte');
  }
  const bytes = Buffer.from(blob, 'base64');
  const s = await session(ctx, repo, uploadId);
  core.uploads.claim(s);
  try {
    const offset = await core.uploads.offset(s);
    if (first !== offset || bytes.length !== last - first + 1) {
      throw new EcrError(
        'InvalidLayerPartException',
        `The layer part with first byte ${first} and last byte ${last} does not follow the ${offset} bytes received so far (or its length ${bytes.length} does not match)`,
      );
    }
    const now = await core.uploads.append(s, [bytes], core.settings.maxImageBytes);
    return { registryId: core.settings.account, repositoryName: repo, uploadId, lastByteReceived: now - 1 };
  } catch (err) {
    if (err instanceof DistributionError) throw new EcrError('InvalidLayerPartException', err.message);
    throw err;
  } finally {
    core.uploads.release(s);
  }
};

export const completeLayerUpload: EcrOperation = async (ctx, input) => {
  const { core } = ctx;
  const repo = repositoryNameParam(input);
  await requireRepository(core, repo);
  const uploadId = str(input, 'uploadId', true);
  const digests = digestsParam(input);
  const digest = digests[0]!;
  if (digests.length !== 1 || !isDigest(digest)) throw new EcrError('InvalidLayerException', 'layerDigests must hold exactly one valid layer digest');
  const s = await session(ctx, repo, uploadId);
  if ((await core.metadata.blobInRepository(repo, digest)) !== undefined) {
    await core.uploads.cancel(s);
    throw new EcrError('LayerAlreadyExistsException', `The layer '${digest}' already exists in the repository with name '${repo}' in the registry with id '${core.settings.account}'`);
  }
  core.uploads.claim(s);
  try {
    if ((await core.uploads.offset(s)) === 0) throw new EcrError('EmptyUploadException', `The upload with id '${uploadId}' does not contain any layer parts`);
    await core.uploads.commit(s, digest);
  } catch (err) {
    if (err instanceof EcrError) throw err;
    const code = (err as { code?: string }).code;
    if (code === 'DIGEST_MISMATCH' || code === 'SIZE_MISMATCH') {
      throw new EcrError('InvalidLayerException', `The layer digest calculated for the upload '${uploadId}' does not match the expected digest '${digest}'`);
    }
    throw err;
  } finally {
    core.uploads.release(s);
  }
  return { registryId: core.settings.account, repositoryName: repo, uploadId, layerDigest: digest };
};

/** The layer's /v2/ blob URL (ECR answers a presigned S3 URL; ours needs the registry's credentials). */
export const getDownloadUrlForLayer: EcrOperation = async ({ core }, input) => {
  const repo = repositoryNameParam(input);
  await requireRepository(core, repo);
  const digest = str(input, 'layerDigest', true);
  if (!isDigest(digest)) throw new EcrError('InvalidParameterException', `Invalid parameter at 'layerDigest' failed to satisfy constraint: 'Invalid digest'`);
  if ((await core.metadata.blobInRepository(repo, digest)) === undefined || !(await core.store.info(digest))) {
    throw new EcrError('LayersNotFoundException', `The layer with digest '${digest}' does not exist in the repository with name '${repo}' in the registry with id '${core.settings.account}'`);
  }
  return { downloadUrl: `http://${core.settings.publicUrl}/v2/${repo}/blobs/${digest}`, layerDigest: digest };
};
