/**
 * Lambda's console: every `console.*` call becomes one log record tagged with
 * time, request id and level, in text or JSON, filtered by level.
 *
 *   text: `2024-01-01T00:00:00.000Z\t<requestId>\tINFO\tmessage`  (newlines → `\r` unless stdout is a TTY,
 *         so one call stays one line for log collectors)
 *   JSON: `{"timestamp":…,"level":"INFO","requestId":…,"message":…}` (+ errorType/errorMessage/stackTrace)
 *
 * When Lambda hands the runtime a telemetry fd (`_LAMBDA_TELEMETRY_LOG_FD`), records go there as
 * framed binary messages instead of stdout (the framing is Lambda's: type, length, µs timestamp, bytes).
 */
import { writeSync } from 'node:fs';
import { format } from 'node:util';
import { intoError, toFormatted } from './error-format.js';

export type LogFormat = 'TEXT' | 'JSON';

export interface LogLevel {
  readonly name: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'FATAL';
  readonly priority: number;
  /** Bits Lambda's telemetry frame carries for the level. */
  readonly tlvMask: number;
}

export const LOG_LEVELS: Readonly<Record<LogLevel['name'], LogLevel>> = Object.freeze({
  TRACE: { name: 'TRACE', priority: 1, tlvMask: 0b00100 },
  DEBUG: { name: 'DEBUG', priority: 2, tlvMask: 0b01000 },
  INFO: { name: 'INFO', priority: 3, tlvMask: 0b01100 },
  WARN: { name: 'WARN', priority: 4, tlvMask: 0b10000 },
  ERROR: { name: 'ERROR', priority: 5, tlvMask: 0b10100 },
  FATAL: { name: 'FATAL', priority: 6, tlvMask: 0b11000 },
});

/**
 * The current request id lives on a well-known global symbol (the one Lambda's
 * own runtime uses) so libraries that read it keep working.
 */
const REQUEST_ID = Symbol.for('aws.lambda.runtime.requestId');
const globals = globalThis as unknown as Record<symbol, string | undefined>;

export function setCurrentRequestId(id: string | undefined): void {
  globals[REQUEST_ID] = id;
}

export function currentRequestId(): string | undefined {
  return globals[REQUEST_ID];
}

export interface LogSettings {
  format: LogFormat;
  level: LogLevel;
  /** Text lines keep their newlines only on a terminal. */
  keepNewlines: boolean;
  /** Telemetry fd from Lambda, if any; otherwise records go to stdout. */
  telemetryFd?: number;
}

/** Settings from `AWS_LAMBDA_LOG_FORMAT`, `AWS_LAMBDA_LOG_LEVEL`, `_LAMBDA_TELEMETRY_LOG_FD`. */
export function logSettingsFromEnv(env: NodeJS.ProcessEnv = process.env, isTTY = process.stdout.isTTY === true): LogSettings {
  const fmt: LogFormat = env.AWS_LAMBDA_LOG_FORMAT?.toUpperCase() === 'JSON' ? 'JSON' : 'TEXT';
  const levelName = env.AWS_LAMBDA_LOG_LEVEL?.toUpperCase() as LogLevel['name'] | undefined;
  const level = (levelName && LOG_LEVELS[levelName]) || LOG_LEVELS.TRACE;
  const fdText = env._LAMBDA_TELEMETRY_LOG_FD;
  const fd = fdText === undefined ? undefined : Number.parseInt(fdText, 10);
  return { format: fmt, level, keepNewlines: isTTY, telemetryFd: fd !== undefined && Number.isInteger(fd) ? fd : undefined };
}

/** One text record (without the trailing newline). */
export function formatTextRecord(timestamp: string, requestId: string | undefined, level: LogLevel, args: readonly unknown[]): string {
  return `${timestamp}\t${requestId}\t${level.name}\t${format(...args)}`;
}

function jsonErrorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    return Object.assign(
      {
        errorType: value.constructor?.name ?? 'UnknownError',
        errorMessage: value.message,
        stackTrace: typeof value.stack === 'string' ? value.stack.split('\n') : value.stack,
      },
      value,
    );
  }
  return value;
}

/** One JSON record: a single argument is kept as a value (errors expanded); several are formatted like console does. */
export function formatJsonRecord(timestamp: string, requestId: string | undefined, level: LogLevel, args: readonly unknown[]): string {
  const record: Record<string, unknown> = { timestamp, level: level.name, requestId };
  if (args.length === 1) {
    record.message = args[0];
    try {
      return JSON.stringify(record, jsonErrorReplacer);
    } catch {
      record.message = format(args[0]);
      return JSON.stringify(record);
    }
  }
  record.message = format(...args);
  for (const arg of args) {
    if (arg instanceof Error) {
      record.errorType = arg.constructor?.name ?? 'UnknownError';
      record.errorMessage = arg.message;
      record.stackTrace = typeof arg.stack === 'string' ? arg.stack.split('\n') : [];
      break;
    }
  }
  return JSON.stringify(record);
}

type Sink = (level: LogLevel, args: unknown[]) => void;

function stdoutSink(settings: LogSettings): Sink {
  const json = settings.format === 'JSON';
  const keepNewlines = settings.keepNewlines;
  return (level, args) => {
    const time = new Date().toISOString();
    const requestId = globals[REQUEST_ID];
    let line = json ? formatJsonRecord(time, requestId, level, args) : formatTextRecord(time, requestId, level, args);
    if (!keepNewlines && !json) line = line.replace(/\n/g, '\r');
    process.stdout.write(line + '\n');
  };
}

function telemetrySink(settings: LogSettings, fd: number): Sink {
  const json = settings.format === 'JSON';
  const header = Buffer.alloc(16);
  return (level, args) => {
    const now = new Date();
    const time = now.toISOString();
    const requestId = globals[REQUEST_ID];
    const text = json ? formatJsonRecord(time, requestId, level, args) : formatTextRecord(time, requestId, level, args) + '\n';
    const bytes = Buffer.from(text, 'utf8');
    header.writeUInt32BE(((json ? 0xa55a0002 : 0xa55a0003) | level.tlvMask) >>> 0, 0);
    header.writeInt32BE(bytes.length, 4);
    header.writeBigInt64BE(BigInt(now.getTime()) * 1000n, 8);
    writeSync(fd, header);
    writeSync(fd, bytes);
  };
}

/** What the runtime itself uses to report errors through the patched console. */
export interface RuntimeLogger {
  /** `Invoke Error`, `Uncaught Exception`…: text `label \t{json}`, JSON the error as the message. */
  logError(label: string, error: unknown): void;
}

const noop = (): void => {};

/**
 * Replace the console methods. Levels below the configured one become no-ops
 * (cheaper than checking on every call). Returns the runtime's error logger.
 */
export function patchConsole(settings: LogSettings = logSettingsFromEnv()): RuntimeLogger {
  const sink = settings.telemetryFd !== undefined ? telemetrySink(settings, settings.telemetryFd) : stdoutSink(settings);
  const threshold = settings.level.priority;
  const at = (level: LogLevel) => (level.priority >= threshold ? (...args: unknown[]) => sink(level, args) : noop);
  const c = console as Console & { fatal?: (...args: unknown[]) => void };
  c.trace = at(LOG_LEVELS.TRACE);
  c.debug = at(LOG_LEVELS.DEBUG);
  c.info = at(LOG_LEVELS.INFO);
  c.log = c.info;
  c.warn = at(LOG_LEVELS.WARN);
  c.error = at(LOG_LEVELS.ERROR);
  // FATAL is never filtered: it is the highest level.
  c.fatal = (...args: unknown[]) => sink(LOG_LEVELS.FATAL, args);
  if (settings.telemetryFd !== undefined) delete process.env._LAMBDA_TELEMETRY_LOG_FD;
  return settings.format === 'JSON'
    ? { logError: (_label, error) => console.error(intoError(error)) }
    : { logError: (label, error) => console.error(label, toFormatted(intoError(error))) };
}
