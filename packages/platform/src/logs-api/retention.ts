import { readFileSync, renameSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { LogsApiError } from './errors.js';

/** Retention periods CloudWatch Logs accepts (days). */
export const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/**
 * Retention per log group, in a small JSON file written atomically (temp, fsync, rename).
 * A group without an entry keeps its events forever, as in CloudWatch Logs.
 */
export class RetentionSettings {
  #days: Record<string, number>;

  constructor(private readonly file: string) {
    try {
      this.#days = JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>;
    } catch {
      this.#days = {};
    }
  }

  get(group: string): number | undefined {
    return this.#days[group];
  }

  set(group: string, days: number | undefined): void {
    if (days !== undefined && !(RETENTION_DAYS as readonly number[]).includes(days)) {
      throw new LogsApiError(
        'InvalidParameterException',
        `1 validation error detected: Value '${days}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [${RETENTION_DAYS.join(', ')}]`,
      );
    }
    const next = { ...this.#days };
    if (days === undefined) delete next[group];
    else next[group] = days;
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(next));
    const fd = openSync(tmp, 'r');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.file);
    this.#days = next;
  }

  /** Oldest timestamp still kept for `group` at `now`, or undefined when everything is kept. */
  cutoff(group: string, now = Date.now()): number | undefined {
    const d = this.#days[group];
    return d === undefined ? undefined : now - d * 86_400_000;
  }

  entries(): [string, number][] {
    return Object.entries(this.#days);
  }
}
