import type { ImageConfigSettings } from '../functions/model.js';
import { field } from '../http/io.js';

/** `ImageConfig` → settings; empty lists clear a value, as in Lambda. */
export function parseImageConfig(ic: Record<string, unknown> | undefined): ImageConfigSettings | undefined {
  if (!ic) return undefined;
  const out: ImageConfigSettings = {};
  const entryPoint = field.stringList(ic, 'EntryPoint');
  const command = field.stringList(ic, 'Command');
  const workingDirectory = field.string(ic, 'WorkingDirectory');
  if (entryPoint?.length) out.entryPoint = entryPoint;
  if (command?.length) out.command = command;
  if (workingDirectory) out.workingDirectory = workingDirectory;
  return out;
}
