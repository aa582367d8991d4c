/**
 * Structured logging: one JSON object per line, fields not interpolated strings.
 * Child loggers carry context (request id, function, environment).
 * Level from LAMBDOCK_LOG_LEVEL (debug|info|warn|error|silent), default info.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFields = Record<string, unknown>;

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  write?: (line: string) => void;
  base?: LogFields;
}

function envLevel(): LogLevel {
  const v = process.env['LAMBDOCK_LOG_LEVEL'];
  return v && v in order ? (v as LogLevel) : 'info';
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? envLevel();
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const base = options.base ?? {};
  const emit = (lvl: LogLevel, msg: string, fields?: LogFields): void => {
    if (order[lvl] < order[level]) return;
    const record: LogFields = { time: new Date().toISOString(), level: lvl, msg, ...base, ...fields };
    const err = record['err'];
    if (err instanceof Error) record['err'] = { name: err.name, message: err.message, stack: err.stack };
    write(JSON.stringify(record));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger({ level, write, base: { ...base, ...fields } }),
  };
}
