import { ConflictError } from '@lambdock/common';

/** A layer snapshot cannot be removed while a mounted root filesystem uses it. */
export class SnapshotInUseError extends ConflictError {
  override readonly code: string = 'SNAPSHOT_IN_USE';
  constructor(diffId: string, mounts: string[]) {
    super(`layer snapshot ${diffId} is used by mounted root filesystem(s) ${mounts.join(', ')}`, { diffId, mounts });
  }
}

/** A root filesystem id is already mounted. */
export class MountExistsError extends ConflictError {
  override readonly code: string = 'MOUNT_EXISTS';
  constructor(id: string) {
    super(`root filesystem "${id}" is already mounted`, { id });
  }
}
