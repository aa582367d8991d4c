import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestId, type Logger } from '@lambdock/common';
import type { RegistryCore } from '../core.js';
import type { TokenIssuer } from '../auth/tokens.js';
import { verifySigV4 } from '../auth/sigv4.js';
import { EcrError } from './errors.js';
import type { EcrContext, EcrOperation } from './context.js';
import { createRepository } from './operations/create-repository.js';
import { describeRepositories } from './operations/describe-repositories.js';
import { deleteRepository } from './operations/delete-repository.js';
import { getAuthorizationToken } from './operations/get-authorization-token.js';
import { describeImages } from './operations/describe-images.js';
import { listImages } from './operations/list-images.js';
import { batchGetImage } from './operations/batch-get-image.js';
import { batchDeleteImage } from './operations/batch-delete-image.js';
import { putImage } from './operations/put-image.js';
import { putImageTagMutability } from './operations/put-image-tag-mutability.js';
import { putImageScanningConfiguration } from './operations/put-image-scanning-configuration.js';
import { deleteLifecyclePolicy, getLifecyclePolicy, putLifecyclePolicy } from './operations/lifecycle-policy.js';
import { listTagsForResource, tagResource, untagResource } from './operations/resource-tags.js';
import { batchCheckLayerAvailability, completeLayerUpload, getDownloadUrlForLayer, initiateLayerUpload, uploadLayerPart } from './operations/layers.js';

export const ECR_TARGET_PREFIX = 'AmazonEC2ContainerRegistry_V20150921.';

const operations: Record<string, EcrOperation> = {
  CreateRepository: createRepository,
  DescribeRepositories: describeRepositories,
  DeleteRepository: deleteRepository,
  GetAuthorizationToken: getAuthorizationToken,
  DescribeImages: describeImages,
  ListImages: listImages,
  BatchGetImage: batchGetImage,
  BatchDeleteImage: batchDeleteImage,
  PutImage: putImage,
  PutImageTagMutability: putImageTagMutability,
  PutImageScanningConfiguration: putImageScanningConfiguration,
  PutLifecyclePolicy: putLifecyclePolicy,
  GetLifecyclePolicy: getLifecyclePolicy,
  DeleteLifecyclePolicy: deleteLifecyclePolicy,
  TagResource: tagResource,
  UntagResource: untagResource,
  ListTagsForResource: listTagsForResource,
  BatchCheckLayerAvailability: batchCheckLayerAvailability,
  InitiateLayerUpload: initiateLayerUpload,
  UploadLayerPart: uploadLayerPart,
  CompleteLayerUpload: completeLayerUpload,
  GetDownloadUrlForLayer: getDownloadUrlForLayer,
};

const MAX_REQUEST_BYTES = 6 * 1024 * 1024;

function reply(res: ServerResponse, status: number, body: unknown, reqId: string): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/x-amz-json-1.1',
    'Content-Length': Buffer.byteLength(text),
    'x-amzn-RequestId': reqId,
  });
  res.end(text);
}

/**
 * The ECR JSON 1.1 endpoint: POST / with X-Amz-Target. Verifies the SigV4
 * signature (or only its shape in open-loopback mode), parses JSON, runs one
 * operation, and serialises every error as `{"__type","message"}` in one place.
 */
export function createEcrHandler(core: RegistryCore, tokens: TokenIssuer, credentials: Record<string, string> | undefined, logger: Logger) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const reqId = requestId();
    const log = logger.child({ requestId: reqId });
    void (async () => {
      const chunks: Buffer[] = [];
      let n = 0;
      for await (const c of req as AsyncIterable<Buffer>) {
        n += c.byteLength;
        if (n > MAX_REQUEST_BYTES) throw new EcrError('ValidationException', `request body exceeds ${MAX_REQUEST_BYTES} bytes`);
        chunks.push(c);
      }
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://ecr.invalid');
      if (req.method !== 'POST') throw new EcrError('UnknownOperationException', 'ECR API requests are POST / with X-Amz-Target');
      const auth = await verifySigV4(
        { method: 'POST', path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body },
        credentials,
        core.now(),
      );
      if (!auth.ok) throw new EcrError(auth.type as never, auth.message, auth.status);
      const target = String(req.headers['x-amz-target'] ?? '');
      const op = target.startsWith(ECR_TARGET_PREFIX) ? operations[target.slice(ECR_TARGET_PREFIX.length)] : undefined;
      if (!op) throw new EcrError('UnknownOperationException', `Unknown operation ${target.slice(0, 200)}`);
      let input: unknown;
      try {
        input = body.trim() === '' ? {} : JSON.parse(body);
      } catch {
        throw new EcrError('SerializationException', 'Request body is not valid JSON');
      }
      if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new EcrError('SerializationException', 'Request body must be a JSON object');
      const ctx: EcrContext = { core, tokens, log };
      const out = await op(ctx, input as Record<string, unknown>);
      log.debug('ecr operation', { op: target, accessKeyId: auth.accessKeyId });
      reply(res, 200, out, reqId);
    })().catch((err: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (err instanceof EcrError) {
        log.debug('ecr operation refused', { type: err.type, msg: err.message });
        reply(res, err.status, { __type: err.type, message: err.message }, reqId);
        return;
      }
      log.error('ecr operation failed', { err });
      reply(res, 500, { __type: 'ServerException', message: 'Internal server error' }, reqId);
    });
  };
}
