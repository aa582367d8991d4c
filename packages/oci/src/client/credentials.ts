import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Credentials } from './auth.js';

/**
 * Credentials from a Docker client config (`~/.docker/config.json`, or `$DOCKER_CONFIG/config.json`):
 * the `auths` entries `docker login` writes (base64 `user:password`, or `username`/`password`).
 * Credential helpers (`credsStore`) are not run: their secrets stay with them.
 * Read once, when called; returns a lookup for RegistryClient's `credentials` option.
 */
export function dockerConfigCredentials(path?: string): (registry: string) => Credentials | undefined {
  const file = path ?? join(process.env['DOCKER_CONFIG'] ?? join(homedir(), '.docker'), 'config.json');
  let auths: Record<string, { auth?: string; username?: string; password?: string }> = {};
  try {
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { auths?: typeof auths };
    auths = doc.auths ?? {};
  } catch {
    // no config, or unreadable: anonymous
  }
  const table = new Map<string, Credentials>();
  for (const [key, v] of Object.entries(auths)) {
    let c: Credentials | undefined;
    if (v.auth) {
      const text = Buffer.from(v.auth, 'base64').toString('utf8');
      const i = text.indexOf(':');
      if (i > 0) c = { username: text.slice(0, i), password: text.slice(i + 1) };
    } else if (v.username && v.password !== undefined) c = { username: v.username, password: v.password };
    if (c) table.set(normalizeKey(key), c);
  }
  return (registry) => table.get(normalizeKey(registry));
}

/** `https://index.docker.io/v1/` and `docker.io` name the same registry; keys may carry a scheme or path. */
function normalizeKey(key: string): string {
  const host = key.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
}
