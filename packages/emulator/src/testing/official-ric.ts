/**
 * AWS's official Node runtime interface client (`aws-lambda-ric` from npm), installed
 * on demand into a cache directory, never as a workspace dependency: tests and the
 * benchmark run the same handlers through it to compare with Lambda's own behaviour.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const OFFICIAL_RIC_VERSION = '3.3.0';

/** `<repo>/node_modules/.cache/lambdock/aws-lambda-ric` (or $LAMBDOCK_RIC_CACHE). */
export function officialRicCacheDir(): string {
  if (process.env['LAMBDOCK_RIC_CACHE']) return process.env['LAMBDOCK_RIC_CACHE'];
  const root = process.env['LAMBDOCK_REPO_ROOT'] ?? fileURLToPath(new URL('../../../../', import.meta.url));
  return join(root, 'node_modules', '.cache', 'lambdock', 'aws-lambda-ric');
}

export type OfficialRic = { ok: true; bin: string } | { ok: false; reason: string };

/**
 * Installs aws-lambda-ric once (about a minute on first use) and returns its entry
 * script, run as `node <bin> <handler>`. The npm package ships its native addon
 * prebuilt, so install scripts are skipped. Never throws: failure is a reason to skip.
 */
export function ensureOfficialRic(): OfficialRic {
  const dir = officialRicCacheDir();
  const bin = join(dir, 'node_modules', 'aws-lambda-ric', 'bin', 'index.mjs');
  const addon = join(dir, 'node_modules', 'aws-lambda-ric', 'dist', 'rapid-client.node');
  if (existsSync(bin) && existsSync(addon)) return { ok: true, bin };
  try {
    mkdirSync(dir, { recursive: true });
    if (!existsSync(join(dir, 'package.json'))) writeFileSync(join(dir, 'package.json'), '{"name":"lambdock-ric-cache","private":true}\n');
  } catch (err) {
    return { ok: false, reason: `cannot create ${dir}: ${(err as Error).message}` };
  }
  const r = spawnSync(
    'flock',
    // its install scripts build the native addon (rapid-client.node) from the sources it ships
    [join(dir, '.install.lock'), 'npm', 'install', '--no-audit', '--no-fund', '--no-save', `aws-lambda-ric@${OFFICIAL_RIC_VERSION}`],
    { cwd: dir, encoding: 'utf8', timeout: 600_000 },
  );
  if (r.status !== 0 || !existsSync(bin)) return { ok: false, reason: `npm install aws-lambda-ric@${OFFICIAL_RIC_VERSION} failed: ${(r.stderr || r.error?.message || '').trim().slice(-500)}` };
  if (!existsSync(addon)) return { ok: false, reason: 'aws-lambda-ric installed without its native addon (dist/rapid-client.node)' };
  return { ok: true, bin };
}
