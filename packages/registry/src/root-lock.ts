import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { LambdockError } from '@lambdock/common';

/** Another live process serves this data directory. */
export class RootLockedError extends LambdockError {
  constructor(root: string, pid: number) {
    super('REGISTRY_ROOT_LOCKED', `registry data directory ${root} is in use by process ${pid}; stop it first (one registry process per data directory)`, {
      details: { root, pid },
    });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One registry process per data directory: upload ingests are locked in memory
 * only, so two processes on one root could interleave writes. The lock file holds
 * the owner's pid; a lock left by a dead process (kill -9) is taken over.
 */
export async function lockRoot(root: string): Promise<() => Promise<void>> {
  const file = join(root, 'registry.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(file, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      return () => rm(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) throw new RootLockedError(root, pid);
      await rm(file, { force: true }); // stale: its owner is gone
    }
  }
  throw new RootLockedError(root, -1);
}
