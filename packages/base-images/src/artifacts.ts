import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArtifactMissingError } from './errors.js';

/**
 * Build outputs of sibling packages that go into images. They are files, not imports:
 * base-images never loads their code, it copies what their own builds produced.
 */
export interface Artifacts {
  /**
   * Node runtime interface client: the runtime-client package's staging script, run as
   * `node SCRIPT DEST`, lays out /var/runtime (modules, package.json, bootstrap).
   */
  runtimeClientStage?: string;
  /** Emulator as one CommonJS file run by the image's own Node (nodejs images). */
  emulatorBundle?: string;
  /** Emulator as a single executable (python, provided): no Node in those images. */
  emulatorSea?: string;
}

const packagesDir = fileURLToPath(new URL('../../', import.meta.url));

export function defaultArtifacts(): Required<Artifacts> {
  return {
    runtimeClientStage: join(packagesDir, 'runtime-client', 'scripts', 'stage-runtime.mjs'),
    emulatorBundle: join(packagesDir, 'emulator', 'dist', 'aws-lambda-rie.cjs'),
    emulatorSea: join(packagesDir, 'emulator', 'dist', 'aws-lambda-rie'),
  };
}

export function requireFile(what: string, path: string | undefined, hint: string): string {
  if (!path || !existsSync(path)) throw new ArtifactMissingError(what, path ?? '(not configured)', hint);
  return path;
}

/** Every file under `dir` (sorted, relative paths) with its executable bit. */
export async function readFiles(dir: string): Promise<{ rel: string; data: Buffer; mode: number }[]> {
  const out: { rel: string; data: Buffer; mode: number }[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const name of (await readdir(d)).sort()) {
      const p = join(d, name);
      const s = await stat(p);
      if (s.isDirectory()) await walk(p);
      else out.push({ rel: relative(dir, p), data: await readFile(p), mode: s.mode & 0o111 ? 0o755 : 0o644 });
    }
  };
  await walk(dir);
  return out;
}
