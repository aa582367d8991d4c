import { LambdockError } from '@lambdock/common';

/**
 * Why a layer was refused. Codes are stable:
 *
 *   LAYER_MEDIA_TYPE_UNSUPPORTED  not a layer media type we can unpack
 *   LAYER_INVALID                 not a readable (compressed) tar, or an entry we cannot represent
 *   LAYER_PATH_ESCAPE             an entry's path climbs out of the root with ".."
 *   LAYER_LINK_ESCAPE             a hard link points outside the root or at something unusable
 *   LAYER_TOO_LARGE               more uncompressed bytes than the limit (decompression bomb)
 *   LAYER_TOO_MANY_ENTRIES        more entries than the limit
 *   LAYER_DEVICE_REFUSED          a device node, and the policy is "refuse" (or we are not root)
 *   LAYER_DIGEST_MISMATCH         the unpacked stream did not have the expected digest / diffID
 */
export type LayerErrorCode =
  | 'LAYER_MEDIA_TYPE_UNSUPPORTED'
  | 'LAYER_INVALID'
  | 'LAYER_PATH_ESCAPE'
  | 'LAYER_LINK_ESCAPE'
  | 'LAYER_TOO_LARGE'
  | 'LAYER_TOO_MANY_ENTRIES'
  | 'LAYER_DEVICE_REFUSED'
  | 'LAYER_DIGEST_MISMATCH';

export class LayerError extends LambdockError {
  declare readonly code: LayerErrorCode;
  constructor(code: LayerErrorCode, message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super(code, message, { details, cause });
  }
}
