import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@lambdock/common';
import { requestId } from '@lambdock/common';
import type { RegistryCore } from '../core.js';
import { isValidRepositoryName } from '../names.js';
import { DistributionError } from './errors.js';
import { sendError, type DistributionHandler } from './http.js';
import { getBase } from './handlers/base.js';
import { getCatalog } from './handlers/catalog.js';
import { getTagsList } from './handlers/tags-list.js';
import { getManifest } from './handlers/manifest-get.js';
import { putManifest } from './handlers/manifest-put.js';
import { deleteManifest } from './handlers/manifest-delete.js';
import { getBlob } from './handlers/blob-get.js';
import { deleteBlob } from './handlers/blob-delete.js';
import { startUpload } from './handlers/upload-start.js';
import { patchUpload } from './handlers/upload-patch.js';
import { completeUpload } from './handlers/upload-complete.js';
import { getUploadStatus } from './handlers/upload-status.js';
import { cancelUpload } from './handlers/upload-cancel.js';
import { getReferrers } from './handlers/referrers.js';

interface Route {
  pattern: RegExp;
  /** Names of the capture groups, in order. */
  keys: string[];
  methods: Partial<Record<string, DistributionHandler>>;
}

// Order matters: a repository name may contain "/", so the upload routes are tried
// before the plain blob route.
const routes: Route[] = [
  { pattern: /^\/v2\/?$/, keys: [], methods: { GET: getBase, HEAD: getBase } },
  { pattern: /^\/v2\/_catalog$/, keys: [], methods: { GET: getCatalog } },
  { pattern: /^\/v2\/(.+)\/tags\/list$/, keys: ['name'], methods: { GET: getTagsList } },
  {
    pattern: /^\/v2\/(.+)\/manifests\/([^/]+)$/,
    keys: ['name', 'reference'],
    methods: { GET: getManifest, HEAD: getManifest, PUT: putManifest, DELETE: deleteManifest },
  },
  { pattern: /^\/v2\/(.+)\/blobs\/uploads\/?$/, keys: ['name'], methods: { POST: startUpload } },
  {
    pattern: /^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/,
    keys: ['name', 'uuid'],
    methods: { GET: getUploadStatus, PATCH: patchUpload, PUT: completeUpload, DELETE: cancelUpload },
  },
  { pattern: /^\/v2\/(.+)\/blobs\/([^/]+)$/, keys: ['name', 'digest'], methods: { GET: getBlob, HEAD: getBlob, DELETE: deleteBlob } },
  { pattern: /^\/v2\/(.+)\/referrers\/([^/]+)$/, keys: ['name', 'digest'], methods: { GET: getReferrers } },
];

/** Checks credentials; throws DistributionError UNAUTHORIZED/DENIED when refused. */
export type DistributionAuth = (req: IncomingMessage) => void;

/** Parses the request into (handler, params) and runs it; one error handler for all. */
export function createDistributionHandler(core: RegistryCore, auth: DistributionAuth, logger: Logger) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const log = logger.child({ requestId: requestId() });
    const ctx = { req, res, log };
    const started = Date.now();
    res.once('finish', () => log.debug('request', { method: req.method, url: req.url, status: res.statusCode, ms: Date.now() - started }));
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://registry.invalid');
      auth(req);
      let path: string;
      try {
        path = decodeURIComponent(url.pathname);
      } catch {
        throw new DistributionError('NAME_INVALID', 'malformed URL encoding');
      }
      for (const r of routes) {
        const m = r.pattern.exec(path);
        if (!m) continue;
        const params: Record<string, string> = {};
        r.keys.forEach((k, i) => (params[k] = m[i + 1]!));
        if (params['name'] !== undefined && !isValidRepositoryName(params['name'])) {
          throw new DistributionError('NAME_INVALID', `invalid repository name "${params['name'].slice(0, 300)}": lowercase path components [a-z0-9] separated by . _ __ - and /, at most 256 characters`, {
            detail: { name: params['name'].slice(0, 300) },
          });
        }
        const handler = r.methods[req.method ?? 'GET'];
        if (!handler) {
          throw new DistributionError('UNSUPPORTED', `${req.method} is not supported on ${url.pathname}`, {
            headers: { Allow: Object.keys(r.methods).join(', ') },
          });
        }
        await handler({ req, res, url, core, log }, params);
        return;
      }
      throw new DistributionError('NAME_UNKNOWN', `no route for ${url.pathname.slice(0, 300)}`, { status: 404 });
    })().catch((err: unknown) => sendError(ctx, err));
  };
}
