/**
 * Output for people: colour only on a terminal, progress bars on long work,
 * errors as one clear line with a hint. `--json` output is for scripts.
 */
import type { Writable } from 'node:stream';

export interface Output {
  readonly tty: boolean;
  info(line: string): void;
  success(line: string): void;
  warn(line: string): void;
  json(value: unknown): void;
  table(rows: Record<string, string | number | undefined>[], columns: string[]): void;
  progress(label: string): Progress;
  bold(s: string): string;
  dim(s: string): string;
}

export interface Progress {
  update(done: number, total?: number, detail?: string): void;
  done(detail?: string): void;
}

const codes = { bold: [1, 22], dim: [2, 22], red: [31, 39], green: [32, 39], yellow: [33, 39] } as const;

export function createOutput(stdout: Writable & { isTTY?: boolean } = process.stdout, stderr: Writable & { isTTY?: boolean } = process.stderr): Output {
  const tty = Boolean(stdout.isTTY) && !process.env['NO_COLOR'];
  const errTty = Boolean(stderr.isTTY) && !process.env['NO_COLOR'];
  const paint = (on: boolean, c: keyof typeof codes, s: string) => (on ? `\x1b[${codes[c][0]}m${s}\x1b[${codes[c][1]}m` : s);
  return {
    tty,
    info: (line) => stdout.write(line + '\n'),
    success: (line) => stdout.write(paint(tty, 'green', '✔ ') + line + '\n'),
    warn: (line) => stderr.write(paint(errTty, 'yellow', 'warning: ') + line + '\n'),
    json: (value) => stdout.write(JSON.stringify(value, null, 2) + '\n'),
    table: (rows, columns) => {
      const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '-').length)));
      const line = (cells: string[]) => cells.map((s, i) => s.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
      stdout.write(paint(tty, 'bold', line(columns.map((c) => c.toUpperCase()))) + '\n');
      for (const r of rows) stdout.write(line(columns.map((c) => String(r[c] ?? '-'))) + '\n');
    },
    progress: (label) => createProgress(stderr, errTty, label),
    bold: (s) => paint(tty, 'bold', s),
    dim: (s) => paint(tty, 'dim', s),
  };
}

function createProgress(stream: Writable, tty: boolean, label: string): Progress {
  let last = 0;
  const human = (n: number) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`);
  return {
    update(done, total, detail) {
      if (!tty) return; // a log file gets only the final line
      const now = Date.now();
      if (now - last < 80) return;
      last = now;
      const width = 24;
      const frac = total ? Math.min(1, done / total) : 0;
      const bar = total ? '█'.repeat(Math.round(frac * width)).padEnd(width, '░') : '';
      const amount = total ? `${human(done)}/${human(total)}` : human(done);
      stream.write(`\r\x1b[K${label} ${bar} ${amount}${detail ? ' ' + detail : ''}`);
    },
    done(detail) {
      stream.write(`${tty ? '\r\x1b[K' : ''}${label} done${detail ? ' ' + detail : ''}\n`);
    },
  };
}

/** A user-facing failure: one line, plus a hint of what to do about it. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
