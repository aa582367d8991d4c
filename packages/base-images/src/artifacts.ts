import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArtifactMissingError } from './errors.js';
import { run } from './exec.js';

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
  /** Emulator as one CommonJS file run by the image's own Node (nodejs images); default: built by `emulatorBuild`. */
  emulatorBundle?: string;
  /** Emulator as a single executable (python, provided): no Node in those images; default: built by `emulatorBuild`. */
  emulatorSea?: string;
  /**
   * The emulator package's build script, run as `node SCRIPT --bundle-dir DIR --out DIR/aws-lambda-rie`
   * when a bundle or single executable is needed and none was given (it caches by input hash).
   */
  emulatorBuild?: string;
}

const packagesDir = fileURLToPath(new URL('../../', import.meta.url));

export function defaultArtifacts(): Artifacts {
  return {
    runtimeClientStage: join(packagesDir, 'runtime-client', 'scripts', 'stage-runtime.mjs'),
    emulatorBuild: join(packagesDir, 'emulator', 'scripts', 'build-sea.mjs'),
  };
}

/**
 * Fills in the emulator's bundle and single executable from its build script when the
 * caller did not hand them over; only what the selected images need is built.
 */
export async function ensureEmulatorArtifacts(a: Artifacts, need: { bundle: boolean; sea: boolean }, workDir: string): Promise<Artifacts> {
  if ((!need.bundle || a.emulatorBundle) && (!need.sea || a.emulatorSea)) return a;
  const script = requireFile('emulator build script', a.emulatorBuild, 'the emulator package provides scripts/build-sea.mjs');
  await mkdir(workDir, { recursive: true });
  const sea = join(workDir, 'aws-lambda-rie');
  await run(process.execPath, [script, '--bundle-dir', workDir, '--out', sea], { step: 'build the emulator (bundle and single executable)' });
  return {
    ...a,
    emulatorBundle: a.emulatorBundle ?? requireFile('emulator bundle', join(workDir, 'aws-lambda-rie.cjs'), 'the emulator build did not write it'),
    emulatorSea: a.emulatorSea ?? requireFile('emulator single executable', sea, 'the emulator build did not write it'),
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
