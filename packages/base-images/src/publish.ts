import { run } from './exec.js';

/**
 * Hands an image from the OCI layout to Docker (skopeo writes a docker-archive stream
 * to the daemon, which keeps one copy of each layer chain) and tags every alias.
 */
export async function loadIntoDocker(layout: string, name: string, tags: string[]): Promise<void> {
  const [first, ...rest] = tags;
  const ref = `lambdock/${name}:${first}`;
  await run('skopeo', ['copy', '--quiet', `oci:${layout}:${ref}`, `docker-daemon:${ref}`], { step: `load ${ref} into docker` });
  for (const t of rest) await run('docker', ['tag', ref, `lambdock/${name}:${t}`], { step: `docker tag ${name}:${t}` });
}

/** Pushes with skopeo; registries on loopback are spoken to over plain HTTP, as Docker does. */
export async function pushToRegistry(layout: string, name: string, tags: string[], registry: string): Promise<void> {
  const host = registry.replace(/^https?:\/\//, '').replace(/\/+$/, '');
  const plain = /^(localhost|127\.|\[::1\])/.test(host) || registry.startsWith('http://');
  for (const t of tags) {
    const src = `oci:${layout}:lambdock/${name}:${tags[0]}`;
    await run('skopeo', ['copy', '--quiet', ...(plain ? ['--dest-tls-verify=false'] : []), src, `docker://${host}/lambdock/${name}:${t}`], { step: `push ${host}/lambdock/${name}:${t}` });
  }
}
