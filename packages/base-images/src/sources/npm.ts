import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BaseImageBuildError } from '../errors.js';
import { run } from '../exec.js';

export interface NpmTarball {
  name: string;
  version: string;
  /** Subresource-integrity string the registry published (sha512-...). */
  integrity: string;
  path: string;
}

/**
 * Package tarballs from the npm registry through the npm client (its registry, proxy and
 * auth settings apply). Kept in `dir` as `<name>-<version>.tgz` next to a record of the
 * registry's integrity value, which is checked on every use; with no registry reachable
 * the newest cached version matching the request is used.
 */
export class NpmSource {
  constructor(private readonly opts: { dir: string; log?: (msg: string) => void }) {}

  async #cached(name: string): Promise<{ version: string; integrity: string }[]> {
    const files = await readdir(this.opts.dir).catch(() => [] as string[]);
    const out: { version: string; integrity: string }[] = [];
    for (const f of files) {
      if (!f.startsWith(name + '-') || !f.endsWith('.json')) continue;
      const rec = JSON.parse(await readFile(join(this.opts.dir, f), 'utf8')) as { name: string; version: string; integrity: string };
      if (rec.name === name) out.push({ version: rec.version, integrity: rec.integrity });
    }
    return out;
  }

  /** `name@range` where range is an exact version or a major ("22"). */
  async fetch(name: string, range: string): Promise<NpmTarball> {
    await mkdir(this.opts.dir, { recursive: true });
    let version: string | undefined;
    try {
      const { stdout } = await run('npm', ['view', `${name}@${range}`, 'version', '--json'], { step: `npm view ${name}@${range}` });
      const v = JSON.parse(stdout.toString('utf8')) as string | string[];
      const list = (Array.isArray(v) ? v : [v]).filter((x) => !x.includes('-'));
      version = list.sort(compareSemver).at(-1);
    } catch (err) {
      const cached = (await this.#cached(name)).filter((c) => matches(c.version, range)).sort((a, b) => compareSemver(a.version, b.version));
      if (cached.length === 0) throw err;
      version = cached.at(-1)!.version;
      this.opts.log?.(`npm: registry unreachable, using cached ${name}@${version}`);
    }
    if (!version) throw new BaseImageBuildError(`npm has no version of ${name} matching ${range}`, { step: 'npm resolve' });
    const base = join(this.opts.dir, `${name}-${version}`);
    const meta = await readFile(base + '.json', 'utf8').then((t) => JSON.parse(t) as { integrity: string }, () => undefined);
    if (meta && (await integrityOf(base + '.tgz', meta.integrity).catch(() => false))) {
      return { name, version, integrity: meta.integrity, path: base + '.tgz' };
    }
    this.opts.log?.(`npm: downloading ${name}@${version}`);
    const tmp = await mkdtemp(join(this.opts.dir, 'pack-'));
    try {
      const { stdout } = await run('npm', ['pack', `${name}@${version}`, '--json', '--pack-destination', tmp], { step: `npm pack ${name}@${version}`, cwd: tmp });
      const info = (JSON.parse(stdout.toString('utf8')) as { filename: string; integrity: string }[])[0];
      if (!info) throw new BaseImageBuildError(`npm pack ${name}@${version} printed no result`, { step: 'npm pack' });
      if (!(await integrityOf(join(tmp, info.filename), info.integrity))) {
        throw new BaseImageBuildError(`${name}@${version}: tarball does not match the registry's integrity ${info.integrity}`, { step: 'npm pack' });
      }
      await rename(join(tmp, info.filename), base + '.tgz');
      await writeFile(base + '.json', JSON.stringify({ name, version, integrity: info.integrity }) + '\n');
      return { name, version, integrity: info.integrity, path: base + '.tgz' };
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
}

async function integrityOf(path: string, integrity: string): Promise<boolean> {
  const [algo, expected] = integrity.split('-', 2) as [string, string];
  const h = createHash(algo);
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return h.digest('base64') === expected;
}

function compareSemver(a: string, b: string): number {
  const pa = a.split(/[.-]/).map(Number);
  const pb = b.split(/[.-]/).map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

function matches(version: string, range: string): boolean {
  return version === range || version.startsWith(range + '.');
}
