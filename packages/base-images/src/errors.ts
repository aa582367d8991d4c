import { LambdockError } from '@lambdock/common';

/**
 * A base image could not be built: a package source failed, a download did not match
 * its published checksum, or an external tool (apt-get, dpkg-deb, npm, skopeo) failed.
 * `details.step` names the stage so a person knows where to look.
 */
export class BaseImageBuildError extends LambdockError {
  constructor(message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super('BASE_IMAGE_BUILD', message, { details, cause });
  }
}

/** The caller asked for an image name:tag that is not in the catalog. */
export class UnknownBaseImageError extends LambdockError {
  constructor(ref: string, known: string[]) {
    super('BASE_IMAGE_UNKNOWN', `unknown base image '${ref}'; known: ${known.join(', ')}`, { details: { ref, known } });
  }
}

/** A build artifact from another package (runtime client, emulator) has not been built. */
export class ArtifactMissingError extends LambdockError {
  constructor(what: string, path: string, hint: string) {
    super('BASE_IMAGE_ARTIFACT_MISSING', `${what} not found at ${path}: ${hint}`, { details: { what, path } });
  }
}
