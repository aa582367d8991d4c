import type { Architecture, PreparedImage } from '../functions/model.js';

/**
 * Turns an image reference into something an execution environment can boot from.
 * The OCI backend (images/oci-image-service.ts) pulls over the distribution API into
 * the platform's content store and unpacks layers into shared, content-addressed
 * snapshots; other backends (a Docker Engine API, a remote snapshotter) would
 * implement the same three steps.
 *
 *   resolve(uri)   → digest: one registry round trip; CreateFunction/UpdateFunctionCode
 *                    call it synchronously to refuse images that do not exist
 *   prepare(uri)   → PreparedImage: pull what is missing + unpack; runs in the background
 *                    while the function is Pending / its update InProgress
 *   lowerDirs(img) → snapshot directories, top-most first, for a sandbox's root fs;
 *                    cheap (no I/O beyond a stat), called on every cold start
 *
 * Failures are ImageError with the StateReasonCode to show (ImageAccessDenied,
 * ImageDeleted, InvalidImage); anything else counts as an internal error.
 */
export interface ImageService {
  resolve(imageUri: string, opts: { architecture: Architecture }): Promise<{ digest: string; resolvedImageUri: string }>;
  prepare(imageUri: string, opts: { architecture: Architecture; digest?: string }): Promise<PreparedImage>;
  lowerDirs(image: PreparedImage): Promise<string[]>;
}
