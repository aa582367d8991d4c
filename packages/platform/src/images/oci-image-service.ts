import { NotFoundError, isLambdockError } from '@lambdock/common';
import type { Logger } from '@lambdock/common';
import { FsContentStore, OverlaySnapshotter, RegistryClient, ensureImageLayers, parseManifest, parseReference, formatReference, selectPlatform } from '@lambdock/oci';
import type { ImageService } from './image-service.js';
import type { Architecture, PreparedImage } from '../functions/model.js';
import { ImageError } from '../errors.js';

export interface OciImageServiceOptions {
  /** Blobs pulled from registries (content-addressed, shared by all functions). */
  contentDir: string;
  /** Unpacked layers, one per diffID, shared by all functions. */
  snapshotDir: string;
  credentials?: (registry: string) => { username: string; password: string } | undefined;
  logger: Logger;
}

const OCI_ARCH: Record<Architecture, string> = { x86_64: 'amd64', arm64: 'arm64' };

/**
 * Images from any OCI distribution registry: pulled once into the platform's content
 * store, layers unpacked once into shared snapshots (a second function on the same base
 * image adds nothing for the shared layers). Cold starts only ask for lower dirs.
 */
export class OciImageService implements ImageService {
  readonly #store: FsContentStore;
  readonly #snapshots: OverlaySnapshotter;
  readonly #client: RegistryClient;
  readonly #log: Logger;

  constructor(opts: OciImageServiceOptions) {
    this.#store = new FsContentStore(opts.contentDir);
    this.#snapshots = new OverlaySnapshotter(opts.snapshotDir, { logger: opts.logger });
    this.#client = new RegistryClient({ ...(opts.credentials ? { credentials: opts.credentials } : {}), logger: opts.logger });
    this.#log = opts.logger;
  }

  async resolve(imageUri: string, opts: { architecture: Architecture }): Promise<{ digest: string; resolvedImageUri: string }> {
    try {
      const ref = parseReference(imageUri);
      const top = await this.#client.resolve(imageUri);
      let digest = top.digest;
      const parsed = parseManifest(top.bytes, top.mediaType);
      if (parsed.kind === 'index') {
        const chosen = selectPlatform(parsed.index, { os: 'linux', architecture: OCI_ARCH[opts.architecture] });
        if (!chosen) throw new ImageError('InvalidImage', `The image index has no manifest for linux/${OCI_ARCH[opts.architecture]}.`);
        digest = chosen.digest;
      }
      return { digest, resolvedImageUri: formatReference({ registry: ref.registry, repository: ref.repository, digest }) };
    } catch (err) {
      throw classify(err, imageUri);
    }
  }

  async prepare(imageUri: string, opts: { architecture: Architecture; digest?: string }): Promise<PreparedImage> {
    try {
      const ref = parseReference(imageUri);
      const pinned = opts.digest ? formatReference({ registry: ref.registry, repository: ref.repository, digest: opts.digest }) : imageUri;
      const started = Date.now();
      const pulled = await this.#client.pull(pinned, this.#store, { platform: { os: 'linux', architecture: OCI_ARCH[opts.architecture] } });
      if (pulled.config.os && pulled.config.os !== 'linux') throw new ImageError('InvalidImage', `The image is for ${pulled.config.os}; Lambda runs linux images.`);
      const pulledMs = Date.now() - started;
      await ensureImageLayers(this.#snapshots, this.#store, pulled.manifest, pulled.config);
      this.#log.info('image ready', { imageUri, digest: pulled.manifestDigest, layers: pulled.layers.length, pullMs: pulledMs, unpackMs: Date.now() - started - pulledMs });
      const c = pulled.config.config ?? {};
      return {
        imageUri,
        resolvedImageUri: formatReference({ registry: ref.registry, repository: ref.repository, digest: pulled.manifestDigest }),
        digest: pulled.manifestDigest,
        size: pulled.manifest.config.size + pulled.layers.reduce((n, l) => n + l.size, 0),
        config: {
          ...(c.Entrypoint ? { entrypoint: c.Entrypoint } : {}),
          ...(c.Cmd ? { cmd: c.Cmd } : {}),
          ...(c.WorkingDir ? { workingDir: c.WorkingDir } : {}),
          ...(c.Env ? { env: c.Env } : {}),
          ...(c.User ? { user: c.User } : {}),
        },
        layers: [...pulled.config.rootfs.diff_ids],
      };
    } catch (err) {
      throw classify(err, imageUri);
    }
  }

  async lowerDirs(image: PreparedImage): Promise<string[]> {
    return this.#snapshots.lowerDirs(image.layers);
  }

  close(): void {
    this.#client.close();
  }
}

/** Registry and image errors → the StateReasonCode Lambda shows. */
function classify(err: unknown, imageUri: string): ImageError {
  if (err instanceof ImageError) return err;
  const code = isLambdockError(err) ? err.code : '';
  const msg = err instanceof Error ? err.message : String(err);
  if (code === 'MANIFEST_UNKNOWN' || code === 'NAME_UNKNOWN' || code === 'BLOB_UNKNOWN' || err instanceof NotFoundError || code === 'NOT_FOUND') {
    return new ImageError('ImageDeleted', `Source image ${imageUri} does not exist. Provide a valid source image.`, err);
  }
  if (code === 'UNAUTHORIZED' || code === 'DENIED') {
    return new ImageError('ImageAccessDenied', `Lambda does not have permission to access the image ${imageUri}: ${msg}`, err);
  }
  if (code === 'REGISTRY_UNREACHABLE') {
    return new ImageError('ImageAccessDenied', `Lambda cannot reach the registry of ${imageUri}: ${msg}`, err);
  }
  if (/^(MANIFEST_INVALID|CONFIG_INVALID|PLATFORM_NOT_FOUND|REFERENCE_INVALID|DIGEST_INVALID|LAYER_|DIGEST_MISMATCH|SIZE_MISMATCH)/.test(code)) {
    return new ImageError('InvalidImage', `The image ${imageUri} is not valid: ${msg}`, err);
  }
  return new ImageError('InvalidImage', `Lambda could not prepare the image ${imageUri}: ${msg}`, err);
}
