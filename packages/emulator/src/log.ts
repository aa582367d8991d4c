import type { Logger, LogFields, LogLevel } from '@lambdock/common';

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function stamp(d: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getUTCDate())} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())},${p(d.getUTCMilliseconds(), 3)}`;
}

function fieldText(fields: LogFields): string {
  let s = '';
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    const text = v instanceof Error ? v.message : typeof v === 'string' ? v : JSON.stringify(v);
    s += ` ${k}=${/[\s"]/.test(text) ? JSON.stringify(text) : text}`;
  }
  return s;
}

/**
 * The emulator's own diagnostics, for people reading `docker run` output: one line
 * each, in the shape AWS's emulator uses (`27 Nov 2026 15:00:00,000 [INFO] (rie) …`),
 * with structured fields as key=value. Written to stderr so stdout carries only
 * the function's output and Lambda's START/END/REPORT lines.
 */
export function humanLogger(level: LogLevel, write: (line: string) => void = (l) => process.stderr.write(l + '\n'), base: LogFields = {}): Logger {
  const emit = (lvl: LogLevel, msg: string, fields?: LogFields): void => {
    if (order[lvl] < order[level]) return;
    write(`${stamp(new Date())} [${lvl.toUpperCase()}] (rie) ${msg}${fieldText({ ...base, ...fields })}`);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => humanLogger(level, write, { ...base, ...fields }),
  };
}
