import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from '@lambdock/common';

/** Calls `onChange` (debounced) when anything under `dirs` changes, ignoring VCS metadata. */
export function watchCode(dirs: readonly string[], logger: Logger, onChange: (file: string) => void, debounceMs = 100): () => void {
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  let last = '';
  for (const dir of dirs) {
    try {
      const w = watch(dir, { recursive: true }, (_event, file) => {
        const name = file ? String(file) : '';
        if (/(^|\/)\.git(\/|$)/.test(name)) return;
        last = name;
        clearTimeout(timer);
        timer = setTimeout(() => onChange(last), debounceMs);
      });
      w.on('error', (err) => logger.warn('watch failed', { dir, err }));
      watchers.push(w);
    } catch (err) {
      logger.warn('cannot watch directory', { dir, err });
    }
  }
  return () => {
    clearTimeout(timer);
    for (const w of watchers) w.close();
  };
}
